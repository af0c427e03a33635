"""Review decisions: click -> value in the reader's frame, the append-only trail, export and audit."""

from __future__ import annotations

import csv
import io
import sqlite3

import pytest
from hypothesis import given
from hypothesis import strategies as st

from srs_scan.batch.export import table_csv
from srs_scan.cli import main
from srs_scan.review.decisions import (
    PAGE, ReviewError, ReviewLog, crop_box_mm, is_settled, queue, reviewed_table, value_from_x,
)
from srs_scan.clinical.settings import defaults
from srs_scan.sheets.spec import load_form_library
from srs_scan.batch.store import ResultStore
from tests.reviewdata import LINE_ENDS, fill_store, x_for_value


@pytest.fixture(scope="module")
def template_db(tmp_path_factory, spec):
    db = tmp_path_factory.mktemp("review") / "results.srs.sqlite"
    fill_store(db, spec, pages=3)
    return db


@pytest.fixture
def db(tmp_path, template_db):
    copy = tmp_path / "results.srs.sqlite"
    copy.write_bytes(template_db.read_bytes())
    return copy


@given(st.integers(0, 100))
def test_a_click_on_the_mark_gives_its_value(tenths):
    value = tenths / 10
    assert value_from_x(x_for_value(value), LINE_ENDS, 10.0) == pytest.approx(value)


def test_clicks_past_the_ends_are_clamped():
    assert value_from_x(LINE_ENDS[0] - 5, LINE_ENDS, 10.0) == 0.0
    assert value_from_x(LINE_ENDS[1] + 5, LINE_ENDS, 10.0) == 10.0
    # measured from the end-stops given (the detected ones), not the form's 40 mm
    assert value_from_x(60.0, (50.0, 150.0), 10.0) == 1.0


def test_queue_is_oldest_first_and_each_decision_is_a_new_row(db, spec):
    with ResultStore(db) as store:
        log = ReviewLog(store)
        pages = list(log.pages())
        entries = queue(pages)
        assert len(entries) == 12 and [e.content_hash for e in entries[:4]] == ["hash000"] * 4
        assert entries[0].item_id == "relationship" and entries[0].reason == "More than one mark on the line"

        first = log.decide("hash000", 1, "relationship", "value", "Anna", x_mm=x_for_value(6.1), spec=spec)
        again = log.decide("hash000", 1, "relationship", "candidate", "Ben", candidate=1, note="checked")
        assert first[0].old_value is None and first[0].new_value == pytest.approx(6.1)
        assert again[0].old_value == pytest.approx(6.1)  # the trail chains: old = the previous decision
        assert "more than one mark" in again[0].reason and again[0].reason.endswith(": checked")
        latest = log.latest("hash000", 1)
        assert latest["relationship"].reviewer == "Ben"
        assert is_settled(entries[0], latest) and not is_settled(entries[1], latest)
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            store.db.execute("UPDATE reviews SET new_value = 0")
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            store.db.execute("DELETE FROM reviews")
        assert len(log.decisions()) == 2


def test_decisions_that_cannot_be_recorded(db, spec):
    with ResultStore(db) as store:
        log = ReviewLog(store)
        with pytest.raises(ReviewError, match="name"):
            log.decide("hash000", 1, "goals", "no_answer", "  \x00 ")
        with pytest.raises(ReviewError, match="outside"):
            log.decide("hash000", 1, "goals", "value", "Anna", x_mm=170.0, spec=spec)
        with pytest.raises(ReviewError, match="candidate"):
            log.decide("hash000", 1, "goals", "candidate", "Anna", candidate=0)  # no_mark: none
        with pytest.raises(ReviewError, match="page"):
            log.decide("nope", 1, "goals", "no_answer", "Anna")
        with pytest.raises(ReviewError, match="action"):
            log.decide("hash000", 1, "goals", "delete", "Anna")
        assert log.decisions() == []


def test_crop_covers_the_line_and_its_margins(spec):
    x0, y0, w, h = crop_box_mm(spec, 88.0, LINE_ENDS)
    assert (x0, x0 + w) == (28.0, 152.0) and (y0, h) == (78.0, 20.0)


def test_export_has_reviewed_values_and_who(db, spec, tmp_path):
    forms = load_form_library()
    with ResultStore(db) as store:
        log = ReviewLog(store)
        log.decide("hash000", 1, "relationship", "value", "Anna", x_mm=x_for_value(6.1), spec=spec)
        log.decide("hash000", 1, "goals", "no_answer", "Anna")
        log.decide("hash000", 1, "approach", "candidate", "Ben", candidate=0)
        log.decide("hash000", 1, "overall", "value", "Ben", x_mm=x_for_value(2.5), spec=spec)
        log.decide("hash001", 1, PAGE, "not_a_form", "Ben")
        log.decide("hash002", 1, "goals", "value", "Anna", x_mm=x_for_value(3.0), spec=spec)
        log.decide("hash002", 1, PAGE, "accept", "Anna")
        rows = list(csv.DictReader(io.StringIO(table_csv(reviewed_table(log, forms, settings=defaults())))))
    first, second, third = rows
    assert (first["relationship"], first["goals"], first["overall"]) == ("6.1", "", "2.5")
    # no answer on goals: no total, and not `ok`; the flags are the reviewed row's, what the
    # reader flagged and a person settled is in resolved_flags
    assert first["status"] == "incomplete" and first["total"] == ""
    assert first["flags"] == "goals:no_answer"
    assert first["resolved_flags"].startswith("relationship:multiple_marks")
    assert (first["reviewed"], first["reviewer"]) == ("yes", "Anna | Ben")
    assert second["status"] == "not_a_form" and second["relationship"] == ""
    # accepting a page keeps the reader's values (none here) for the items not yet decided:
    # a row with empty values is `incomplete`, never `ok`
    assert third["goals"] == "3.0" and third["status"] == "incomplete" and third["reviewer"] == "Anna"

    # the same through the command line, and the audit lists every change
    out = tmp_path / "out" / "results.csv"
    assert main(["export", "-o", str(out), "--db", str(db), "-q"]) == 0
    exported = list(csv.DictReader(out.open(encoding="utf-8")))
    # every table carries the alerts of each client's history (the reviewed 6.1, 7.5 and 2.5 are low)
    assert exported[0]["alerts"] == "srs_low_item:relationship | srs_low_item:approach | srs_low_item:overall"
    assert exported == rows

    # and as a workbook: the same rows, numbers as numbers
    import openpyxl

    assert main(["export", "-o", str(out.with_suffix(".xlsx")), "--db", str(db), "-q"]) == 0
    book = openpyxl.load_workbook(out.with_suffix(".xlsx")).active
    header, *cells = [[c.value for c in row] for row in book.iter_rows()]
    assert header == list(rows[0]) and len(cells) == len(rows)
    assert [dict(zip(header, r))["relationship"] for r in cells][0] == 6.1
    assert dict(zip(header, cells[0]))["reviewer"] == "Anna | Ben"


def test_audit_lists_changes(db, spec, capsys):
    with ResultStore(db) as store:
        ReviewLog(store).decide("hash000", 1, "relationship", "value", "Anna", x_mm=x_for_value(7.0), spec=spec)
    assert main(["audit", "--db", str(db)]) == 0
    line = capsys.readouterr().out.strip()
    assert "Anna" in line and "relationship" in line and "- -> 7.0" in line and "SER00000" in line


def test_names_notes_and_file_names_reach_the_terminal_harmless(tmp_path, capsys):
    from srs_scan.results import ItemResult, PageResult

    escape = "\x1b[2A\x1b[K"
    items = (ItemResult("relationship", None, ("no_mark",)),)
    with ResultStore(tmp_path / "r.srs.sqlite") as store:
        store.put("h", PageResult(f"scan{escape}.pdf", 1, "srs", 1, None, items))
        (decision,) = ReviewLog(store).decide("h", 1, "relationship", "no_answer", f"Eve{escape}\u202e",
                                              note=f"fine{escape}\r\nforged line")
    assert decision.reviewer == "Eve[2A[K" and "\n" not in decision.reason and "\x1b" not in decision.reason
    assert main(["audit", "--db", str(tmp_path / "r.srs.sqlite")]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out and out.count("\n") == 1 and "scan\ufffd[2A\ufffd[K.pdf" in out


@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_reviewer_names_never_run_as_formulas(tmp_path, delimiter):
    from srs_scan.batch.export import CsvFormat, split_list
    from srs_scan.results import ItemResult, PageResult
    from tests.test_export import formula_cells

    names = ["=cmd|' /C calc'!A0", "Anna;=1+1", "-1+2", "@SUM(A1)", "+x", "Ben\t=2+2"]
    items = tuple(ItemResult(i, None, ("no_mark",)) for i in ("relationship", "goals"))
    with ResultStore(tmp_path / "r.srs.sqlite") as store:
        store.put("h", PageResult("a.pdf", 1, "srs", 1, None, items))
        log = ReviewLog(store)
        for name in names:
            log.decide("h", 1, "relationship", "no_answer", name)
        fmt = CsvFormat(delimiter=delimiter, decimal_comma=delimiter != ",")
        text = table_csv(reviewed_table(log, load_form_library(), settings=defaults()), fmt)
    assert formula_cells(text) == []
    (row,) = csv.DictReader(io.StringIO(text), delimiter=delimiter)
    assert len(split_list(row["reviewer"])) == len(names)


def test_export_without_a_database_is_a_usage_error(tmp_path, capsys):
    assert main(["export", "-o", str(tmp_path / "results.csv")]) == 2
    assert "no results store" in capsys.readouterr().err


def test_a_page_flag_is_one_entry_and_accepting_keeps_the_values(tmp_path):
    from srs_scan.results import POOR_REGISTRATION, ItemResult, PageResult
    from srs_scan.sheets.sheetid import SheetId

    items = tuple(ItemResult(i, 5.0 + k, (), (), LINE_ENDS)
                  for k, i in enumerate(("relationship", "goals", "approach", "overall")))
    result = PageResult("a.pdf", 1, "srs", 1, SheetId("srs", 1, "S1", "C7", "2", ""), items,
                        flags=(POOR_REGISTRATION,))
    with ResultStore(tmp_path / "r.srs.sqlite") as store:
        store.put("h", result)
        log = ReviewLog(store)
        (entry,) = queue(list(log.pages()))
        assert entry.item_id == PAGE and "aligned" in entry.reason
        rows = log.decide("h", 1, PAGE, "accept", "Anna")
        assert [(d.item_id, d.old_value, d.new_value) for d in rows][:2] == [
            ("relationship", 5.0, 5.0), ("goals", 6.0, 6.0)]
        table = reviewed_table(log, load_form_library(), settings=defaults())
        (row,) = csv.DictReader(io.StringIO(table_csv(table)))
    assert (row["status"], row["total"], row["flags"], row["reviewed"]) == ("ok", "26.0", "", "yes")
    assert row["resolved_flags"] == "poor_registration"
