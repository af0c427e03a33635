"""CSV and JSON: the schema, flagged items left empty, totals, spreadsheet safety."""

from __future__ import annotations

import csv
import io
import json

import pytest

from srs_scan.batch.export import (
    FORMULA_STARTS, CsvFormat, csv_text, joined, safe_cell, split_list, write_csv, write_json,
)
from srs_scan.results import Candidate, ItemResult, PageResult, Status, error_result
from srs_scan.sheets.sheetid import SheetId
from srs_scan.sheets.spec import DEFAULT_FORM, load_form_library

FORMS = load_form_library([DEFAULT_FORM], only_given=True)  # the SRS alone: its own columns
IDS = ("relationship", "goals", "approach", "overall")


def _page(values, flags=None, page=1, code="C042") -> PageResult:
    flags = flags or {}
    items = tuple(
        ItemResult(i, None if i in flags else v, tuple(flags.get(i, ())),
                   (Candidate(40 + v * 10, v, "tick", True),))
        for i, v in zip(IDS, values))
    return PageResult("batch.pdf", page, "srs", 1, SheetId("srs", 1, "7KQ2M9XD", code, "5", "2026-11-26"),
                      items)


def _rows(text: str, delimiter: str = ",") -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text), delimiter=delimiter))


HEADER = ("file", "page", "form", "sheet_id", "client_code", "session", "date", "relationship",
          "goals", "approach", "overall", "total", "status", "flags")


def test_schema_and_a_clean_row():
    text = csv_text([_page([9.14, 8.75, 9.0, 9.96])], FORMS, CsvFormat(decimals=2))
    assert text.splitlines()[0] == ",".join(f'"{c}"' for c in HEADER)
    assert text.splitlines()[1].startswith('"batch.pdf",1,"srs","7KQ2M9XD","C042",5,2026-11-26,9.14,')
    row = _rows(text)[0]
    assert row["relationship"] == "9.14" and row["overall"] == "9.96"
    assert row["total"] == "36.85" and row["status"] == "ok" and row["flags"] == ""
    assert row["client_code"] == "C042" and row["sheet_id"] == "7KQ2M9XD"


def test_total_is_the_sum_of_the_values_shown():
    row = _rows(csv_text([_page([9.14, 8.76, 9.04, 9.96])], FORMS, CsvFormat(decimals=1)))[0]
    assert [row[i] for i in IDS] == ["9.1", "8.8", "9.0", "10.0"]
    assert row["total"] == "36.9"


def test_flagged_item_has_no_value_and_no_total():
    row = _rows(csv_text([_page([9, 8, 7, 6], {"goals": ["multiple_marks"]})], FORMS))[0]
    assert row["goals"] == "" and row["total"] == "" and row["relationship"] == "9.0"
    assert row["status"] == "review" and row["flags"] == "goals:multiple_marks"


def test_error_and_not_a_form_rows():
    results = [error_result("broken.pdf", 3, "file is damaged"),
               PageResult("letter.pdf", 1, flags=("not_a_form",))]
    rows = _rows(csv_text(results, FORMS))
    assert rows[0]["status"] == "error" and rows[0]["flags"] == "file is damaged"
    assert rows[0]["page"] == "3"
    assert rows[1]["status"] == "not_a_form" and rows[1]["relationship"] == ""


def test_formula_cells_are_neutralised():
    for text in ("=HYPERLINK(\"x\")", "+1", "-2", "@SUM(A1)", " =1+1", "\u00a0=1", "\uff1d1+1"):
        assert safe_cell(text).startswith("'"), text
    assert safe_cell("\tx") == "\ufffdx" and safe_cell("\r=1") == "\ufffd=1"
    assert safe_cell("C042") == "C042" and safe_cell("'=1") == "'=1"  # neutralising twice changes nothing
    result = PageResult("=cmd.pdf", 1, flags=("not_a_form",))
    assert _rows(csv_text([result], FORMS))[0]["file"] == "'=cmd.pdf"


def test_every_part_of_a_joined_cell_is_neutralised():
    cell = joined(["Anna", "=cmd|' /C calc'!A0", "-1+2"])
    assert cell == "Anna | '=cmd\u00a6' /C calc'!A0 | '-1+2"
    assert split_list(cell) == ["Anna", "'=cmd\u00a6' /C calc'!A0", "'-1+2"]
    assert not any(part.lstrip().startswith(FORMULA_STARTS) for part in split_list(cell))


# what a forged sheet or a hostile file name can carry, and a reviewer could type
HOSTILE = ["a\t=1+1", "b;=1+1", "c,=1+1", "d\r\n=1+1", "-12", "=cmd|' /C calc'!A0",
           "\u202e=1", "e\u2028=1", "@x", "+x", '"=q"', "\x1b[2Ahidden"]


def hostile_results() -> list[PageResult]:
    pages = []
    for n, text in enumerate(HOSTILE, start=1):
        sheet = SheetId("srs", 1, text, text, text, text)
        items = tuple(ItemResult(i, 5.0, () if k else ("faint",)) for k, i in enumerate(IDS))
        pages.append(PageResult(f"{text}.pdf", n, "srs", 1, sheet, items, flags=(text,)))
    pages.append(error_result(HOSTILE[0], 99, "=reason;" + HOSTILE[1]))
    return pages


def _is_number(text: str) -> bool:
    try:
        float(text.replace(",", "."))
        return True
    except ValueError:
        return False


def formula_cells(text: str) -> list[str]:
    """Every cell that would run as a formula, however a spreadsheet splits the text: on comma,
    semicolon or tab, with quotes or ignoring them, and a joined cell on its separator."""
    cells = []
    for delimiter in (",", ";", "\t"):
        rows = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        cells += [field for row in rows for field in row]
        cells += [f.removeprefix('"') for line in text.split("\r\n") for f in line.split(delimiter)]
    parts = [part for cell in cells for part in (cell, *cell.split("|"))]
    return [p for p in parts if p.lstrip().startswith(FORMULA_STARTS) and not _is_number(p)]


def test_the_hostile_texts_would_run_if_written_plainly():
    plain = "\r\n".join(",".join(HOSTILE) for _ in range(2))
    assert len(formula_cells(plain)) > len(HOSTILE)   # the check finds what it looks for


@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_hostile_text_stays_in_its_cell_and_never_runs(delimiter):
    fmt = CsvFormat(delimiter=delimiter, decimal_comma=delimiter != ",")
    text = csv_text(hostile_results(), FORMS, fmt)
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    assert len(rows) == len(HOSTILE) + 2 and {len(r) for r in rows} == {len(HEADER)}
    assert formula_cells(text) == []
    # one line per row, and nothing that moves a cursor, reverses text or breaks a line
    assert len(text.split("\r\n")) == len(HOSTILE) + 3 and text.count("\n") == text.count("\r\n")
    assert not any(c in text for c in "\x1b\u202e\u2028") and text.count("\r") == text.count("\n")
    if delimiter != "\t":
        assert "\t" not in text


@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_truth_csv_is_written_the_same_safe_way(spec, delimiter):
    from srs_scan.simulate import plan_simulation, truth_csv

    rows = [row for rows in plan_simulation("mixed", 12, 2026, spec=spec) for row in rows]
    text = truth_csv(rows, spec, CsvFormat(delimiter=delimiter, decimal_comma=delimiter != ","))
    assert formula_cells(text) == []
    parsed = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    assert len(parsed) == len(rows) + 1 and {len(r) for r in parsed} == {len(HEADER) + 1}


def test_numbers_with_a_decimal_comma():
    fmt = CsvFormat(delimiter=";", decimal_comma=True, decimals=2)
    text = csv_text([_page([9.14, 8.75, 9.0, 9.96])], FORMS, fmt)
    row = _rows(text, ";")[0]
    assert (row["relationship"], row["total"], row["page"]) == ("9,14", "36,85", "1")
    assert ';9,14;8,75;9,00;9,96;36,85;"ok";""' in text
    with pytest.raises(ValueError, match="delimiter"):
        CsvFormat(delimiter=",", decimal_comma=True)
    assert CsvFormat(decimals=3).ambiguous() and not CsvFormat(decimals=2).ambiguous()


def test_flags_are_one_cell_whatever_the_delimiter():
    result = _page([9, 8, 7, 6], {"goals": ["multiple_marks"], "overall": ["faint"]})
    for delimiter in (",", ";", "\t"):
        row = _rows(csv_text([result], FORMS, CsvFormat(delimiter=delimiter)), delimiter)[0]
        assert split_list(row["flags"]) == ["goals:multiple_marks", "overall:faint"]


def test_files_written_whole(tmp_path):
    results = [_page([1, 2, 3, 4], page=p) for p in (1, 2)]
    write_csv(tmp_path / "r.csv", results, FORMS)
    write_json(tmp_path / "r.json", results)
    assert len(_rows((tmp_path / "r.csv").read_text())) == 2
    data = json.loads((tmp_path / "r.json").read_text())
    assert data["pages"][0]["items"][0]["candidates"][0]["kind"] == "tick"
    assert data["pages"][1]["status"] == Status.OK.value
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.csv", "r.json"]  # no temp files left


def test_another_forms_columns_come_from_its_item_ids(tmp_path):
    from srs_scan.sheets.spec import DEFAULT_FORM, load_form_library

    text = DEFAULT_FORM.read_text().replace('id = "srs"', 'id = "ors"')
    for old, new in (("relationship", "individually"), ("goals", "interpersonally"),
                     ("approach", "socially")):
        text = text.replace(f'id = "{old}"', f'id = "{new}"')
    (tmp_path / "ors.toml").write_text(text)
    forms = load_form_library([tmp_path], only_given=True)
    header = csv_text([], forms).splitlines()[0]
    assert header == ('"file","page","form","sheet_id","client_code","session","date","individually",'
                      '"interpersonally","socially","overall","total","status","flags"')


def test_workbook_cells_have_their_types(tmp_path):
    import datetime

    import openpyxl

    from srs_scan.batch.export import result_table, write_table

    results = [_page([9.14, 8.75, 9.0, 9.96], code="0012"),
               _page([9, 8, 7, 6], {"goals": ["multiple_marks"]}, page=2), *hostile_results()]
    table = result_table(results, FORMS, decimals=2)
    write_table(tmp_path / "r.xlsx", table, CsvFormat(decimals=2))
    sheet = openpyxl.load_workbook(tmp_path / "r.xlsx").active
    assert [c.value for c in sheet[1]] == list(HEADER) and sheet.freeze_panes == "A2"
    numbers = {"relationship", "goals", "approach", "overall", "total"}
    seen = set()
    for row in sheet.iter_rows(min_row=2):
        for column, cell in zip(HEADER, row):
            if cell.value is None:
                continue
            seen.add(column)
            if column in numbers:
                assert cell.data_type == "n" and isinstance(cell.value, int | float)
                assert cell.number_format == "0.00"
            elif column in ("page", "session") and not isinstance(cell.value, str):
                assert cell.data_type == "n" and isinstance(cell.value, int)
            elif column == "date" and not isinstance(cell.value, str):
                assert cell.is_date and isinstance(cell.value, datetime.datetime)
            else:   # text: a string, even `=1+1` (never a formula) and `0012`
                assert cell.data_type == "s" and isinstance(cell.value, str), (column, cell.value)
                assert not any(c in cell.value for c in "\t\r\n\x1b")
    assert seen == set(HEADER)
    first = [c.value for c in sheet[2]]
    assert first[4] == "0012" and first[5] == 5 and first[6] == datetime.datetime(2026, 11, 26)
    assert first[11] == 36.85
    assert [c.value for row in sheet.iter_rows() for c in row if c.data_type == "f"] == []
    codes = [c.value for c in sheet["E"]]
    assert "=cmd|' /C calc'!A0" in codes and "-12" in codes   # strings as they were, never formulas
    widths = [sheet.column_dimensions[chr(ord("A") + i)].width for i in range(len(HEADER))]
    assert all(w >= len(name) for w, name in zip(widths, HEADER))
