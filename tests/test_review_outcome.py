"""What a reviewed row says: status and flags of the row as reviewed, resolved flags apart,
`not a form` undone by a later mark, a dropped copy, no answer on a whole page, stack order."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime

import pytest

from srs_scan.batch import store as store_module
from srs_scan.batch.export import split_list
from srs_scan.batch.store import ResultStore
from srs_scan.results import (
    BLANK_PAGE, DUPLICATE_SHEET, MULTIPLE_MARKS, NO_MARK, Candidate, ItemResult, PageResult,
)
from srs_scan.review.decisions import PAGE, ReviewLog, is_settled, queue, reviewed_table
from srs_scan.sheets.sheetid import SheetId
from srs_scan.clinical.settings import defaults
from srs_scan.sheets.spec import load_form_library
from tests.reviewdata import LINE_ENDS

ITEMS = ("relationship", "goals", "approach", "overall")
FORMS = load_form_library()


def _page(file: str, page: int, serial: str, values=(5.0, 6.0, 7.0, 8.0), flags=(),
          item_flags: dict[str, tuple[str, ...]] | None = None) -> PageResult:
    item_flags = item_flags or {}
    items = []
    for item_id, value in zip(ITEMS, values):
        these = item_flags.get(item_id, ())
        candidates = (Candidate(60.0, 2.0, "tick", True), Candidate(61.0, 2.1, "tick", True)) \
            if MULTIPLE_MARKS in these else ()
        items.append(ItemResult(item_id, None if these else value, these, candidates, LINE_ENDS))
    return PageResult(file, page, "srs", 1, SheetId("srs", 1, serial, "C7", "2", ""), tuple(items),
                      flags=flags)


def _rows(log: ReviewLog) -> list[dict]:
    return reviewed_table(log, FORMS, settings=defaults()).rows


@pytest.fixture
def log(tmp_path):
    with ResultStore(tmp_path / "r.srs.sqlite") as store:
        yield ReviewLog(store)


def test_a_blank_sheet_accepted_is_not_ok_with_empty_values(log):
    blank = _page("a.pdf", 1, "BLANK001", flags=(BLANK_PAGE,),
                  item_flags={i: (NO_MARK,) for i in ITEMS})
    log.store.put("h", blank)
    log.decide("h", 1, PAGE, "accept", "Anna")
    (row,) = _rows(log)
    assert row["status"] == "incomplete" and row["total"] is None
    assert split_list(row["flags"]) == [f"{i}:no_answer" for i in ITEMS]
    assert split_list(row["resolved_flags"]) == ["blank_page", *(f"{i}:no_mark" for i in ITEMS)]


def test_after_review_status_and_flags_describe_the_reviewed_row(log):
    log.store.put("h", _page("a.pdf", 1, "S1", item_flags={"goals": (MULTIPLE_MARKS,)}))
    (before,) = _rows(log)
    assert (before["status"], before["flags"], before["resolved_flags"]) == (
        "review", "goals:multiple_marks", "")
    log.decide("h", 1, "goals", "candidate", "Anna", candidate=1)
    (row,) = _rows(log)
    assert (row["status"], row["flags"], row["goals"], row["total"]) == ("ok", "", 2.1, 22.1)
    assert row["resolved_flags"] == "goals:multiple_marks"


def test_not_a_form_is_undone_by_a_mark_chosen_afterwards(log):
    log.store.put("h", _page("a.pdf", 1, "S1", item_flags={"goals": (MULTIPLE_MARKS,),
                                                             "overall": (NO_MARK,)}))
    entries = queue(list(log.pages()))
    log.decide("h", 1, PAGE, "not_a_form", "Anna")
    assert all(is_settled(e, log.latest("h", 1)) for e in entries)
    assert _rows(log)[0]["status"] == "not_a_form"
    log.decide("h", 1, "goals", "candidate", "Anna", candidate=0)  # it is a form after all
    (row,) = _rows(log)
    assert row["status"] == "review" and row["goals"] == 2.0 and row["flags"] == "overall:no_mark"
    assert [is_settled(e, log.latest("h", 1)) for e in entries] == [True, False]


def test_a_duplicate_copy_can_be_dropped(log):
    first = _page("a.pdf", 1, "TWICE001")
    log.store.put("h1", first)
    log.store.put("h2", _page("b.pdf", 1, "TWICE001"))
    (entry,) = queue(list(log.pages()))
    assert (entry.content_hash, entry.item_id) == ("h2", PAGE)
    log.decide("h2", 1, PAGE, "drop", "Anna")
    assert is_settled(entry, log.latest("h2", 1))
    kept, dropped = _rows(log)
    assert kept["status"] == "ok" and kept["total"] == 26.0
    assert dropped["status"] == "dropped" and dropped["total"] is None and dropped["relationship"] is None
    assert dropped["flags"] == DUPLICATE_SHEET


def test_no_answer_on_a_whole_page_entry(log):
    log.store.put("h", _page("a.pdf", 1, "BLANK002", flags=(BLANK_PAGE,),
                             item_flags={i: (NO_MARK,) for i in ITEMS}))
    decisions = log.decide("h", 1, PAGE, "no_answer", "Anna")
    assert [(d.item_id, d.new_value) for d in decisions] == [(i, None) for i in ITEMS] + [(PAGE, None)]
    assert all(is_settled(e, log.latest("h", 1)) for e in queue(list(log.pages())))
    assert _rows(log)[0]["status"] == "incomplete"


def test_the_queue_is_in_stack_order(log, monkeypatch):
    """Files in the order first read, pages in page order, even when a page was read again later."""
    times = iter(["2026-12-01T10:00:05+00:00", "2026-12-01T10:00:01+00:00", "2026-12-01T10:00:09+00:00",
                  "2026-12-01T10:00:02+00:00"])

    class Clock:
        @staticmethod
        def now(_tz=None):
            return datetime.fromisoformat(next(times)).astimezone(UTC)

    monkeypatch.setattr(store_module, "datetime", Clock)
    flagged = {"goals": (NO_MARK,)}
    log.store.put("hz", _page("z.pdf", 2, "Z2", item_flags=flagged))
    log.store.put("hz", _page("z.pdf", 1, "Z1", item_flags=flagged))
    log.store.put("ha", _page("a.pdf", 1, "A1", item_flags=flagged))  # a later batch
    log.store.put("hz", _page("z.pdf", 3, "Z3", item_flags=flagged))
    order = [(e.content_hash, e.page) for e in queue(list(log.pages()))]
    assert order == [("hz", 1), ("hz", 2), ("hz", 3), ("ha", 1)]


def test_a_store_from_before_drop_accepts_it(tmp_path):
    db = tmp_path / "old.srs.sqlite"
    with ResultStore(db) as store:
        store.put("h", _page("a.pdf", 1, "OLD00001", item_flags={"goals": (NO_MARK,)}))
        ReviewLog(store).decide("h", 1, "goals", "no_answer", "Anna")
    with sqlite3.connect(db) as conn:  # the reviews table as the first release made it
        sql = conn.execute("SELECT sql FROM sqlite_master WHERE name='reviews'").fetchone()[0]
        conn.executescript("ALTER TABLE reviews RENAME TO r0; DROP TRIGGER reviews_no_update;"
                           "DROP TRIGGER reviews_no_delete; DROP INDEX reviews_by_page;"
                           + sql.replace(", 'drop'", "") + "; INSERT INTO reviews SELECT * FROM r0;"
                           "DROP TABLE r0;")
    with ResultStore(db) as store:
        log = ReviewLog(store)
        log.decide("h", 1, PAGE, "drop", "Ben")
        assert [d.action for d in log.decisions()] == ["no_answer", "drop"]
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            store.db.execute("DELETE FROM reviews")
