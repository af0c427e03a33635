"""CSV and JSON: the schema, flagged items left empty, totals, spreadsheet safety."""

from __future__ import annotations

import csv
import io
import json

from srs_scan.batch.export import csv_text, safe_cell, write_csv, write_json
from srs_scan.results import Candidate, ItemResult, PageResult, Status, error_result
from srs_scan.sheets.sheetid import SheetId
from srs_scan.sheets.spec import load_form_library

FORMS = load_form_library()
IDS = ("relationship", "goals", "approach", "overall")


def _page(values, flags=None, page=1, code="C042") -> PageResult:
    flags = flags or {}
    items = tuple(
        ItemResult(i, None if i in flags else v, tuple(flags.get(i, ())),
                   (Candidate(40 + v * 10, v, "tick", True),))
        for i, v in zip(IDS, values))
    return PageResult("batch.pdf", page, "srs", 1, SheetId("srs", 1, "7KQ2M9XD", code, "5", "2026-11-26"),
                      items)


def _rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_schema_and_a_clean_row():
    text = csv_text([_page([9.14, 8.75, 9.0, 9.96])], FORMS, decimals=2)
    assert text.splitlines()[0] == ("file,page,form,sheet_id,client_code,session,date,relationship,"
                                    "goals,approach,overall,total,status,flags")
    row = _rows(text)[0]
    assert row["relationship"] == "9.14" and row["overall"] == "9.96"
    assert row["total"] == "36.85" and row["status"] == "ok" and row["flags"] == ""
    assert row["client_code"] == "C042" and row["sheet_id"] == "7KQ2M9XD"


def test_total_is_the_sum_of_the_values_shown():
    row = _rows(csv_text([_page([9.14, 8.76, 9.04, 9.96])], FORMS, decimals=1))[0]
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
    for text in ("=HYPERLINK(\"x\")", "+1", "-2", "@SUM(A1)", "\tx", "\rx"):
        assert safe_cell(text).startswith("'")
    assert safe_cell("C042") == "C042"
    result = PageResult("=cmd.pdf", 1, flags=("not_a_form",))
    assert _rows(csv_text([result], FORMS))[0]["file"] == "'=cmd.pdf"


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
    assert header == ("file,page,form,sheet_id,client_code,session,date,individually,"
                      "interpersonally,socially,overall,total,status,flags")
