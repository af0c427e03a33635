"""Review decisions: the queue of flagged items, the append-only audit trail, reviewed results.

A person settles what the reader flagged. Every decision is one new row in the
`reviews` table of the results database (never an update: triggers refuse
UPDATE and DELETE, and each row is sealed in the store's hash chain, so an edit
made past the triggers is detected: batch/ledger.py), with who, when, the old
value, the new value and why. The
current reviewed value of an item is its latest row; the reading itself in
`pages` is never changed.

A click on the line is turned into a value in the reader's millimetre frame:
value_cm = 10 * (x_mm - left end) / (right end - left end), with the end-stops
the reader detected on that sheet (the form's when it found none), clamped to
0-10 and rounded to 0.1 cm.

This module does not serve web pages (`web.py`) or print (`srs_scan/cli/`).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from srs_scan.batch.export import Table, item_columns, joined, page_cells, result_columns
from srs_scan.results import (
    BLANK_PAGE, CROSSED_OUT, DUPLICATE_SHEET, FAINT, MULTIPLE_MARKS, NO_MARK, NOT_A_FORM, OFF_LINE,
    POOR_REGISTRATION, SHEET_ID_UNREADABLE, STRAY_INK, UNKNOWN_FORM, ItemResult, PageResult, Status,
    result_from_dict,
)
from srs_scan.sheets.spec import FormLibrary, FormSpec, value_cm
from srs_scan.text import plain
from srs_scan.batch import ledger
from srs_scan.batch.store import ResultStore
from srs_scan.clinical.settings import Settings

PAGE = ""  # the item_id of a decision about the whole page
ITEM_ACTIONS = ("value", "candidate", "no_answer")
# no_answer on the page: the client answered none of the items still open (a blank sheet);
# drop: this copy of a sheet fed twice is left out (its row stays, with no values)
PAGE_ACTIONS = ("not_a_form", "accept", "drop", "no_answer")
ACTIONS = tuple(dict.fromkeys((*ITEM_ACTIONS, *PAGE_ACTIONS)))
WHOLE_PAGE_OUTCOMES = ("not_a_form", "drop")  # undone by any later decision on one of its items
REVIEW_COLUMNS = ("reviewed", "reviewer", "resolved_flags")
NO_ANSWER = "no_answer"  # item flag after review: a person found no answer (no value, nothing to check)
INCOMPLETE, DROPPED = "incomplete", "dropped"  # statuses only a reviewed row can have
CLINICAL_COLUMNS = ("alerts", "scanned_at")  # alerts from the client's whole history; when read (UTC)

SCHEMA = f"""
CREATE TABLE IF NOT EXISTS reviews (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    content_hash TEXT NOT NULL,
    page INTEGER NOT NULL,
    item_id TEXT NOT NULL,          -- '' for a decision about the whole page
    old_value REAL,                 -- cm; NULL = no value
    new_value REAL,
    action TEXT NOT NULL CHECK (action IN ({", ".join(repr(a) for a in ACTIONS)})),
    reason TEXT NOT NULL,
    reviewer TEXT NOT NULL,
    at TEXT NOT NULL                -- ISO time, UTC
);
CREATE INDEX IF NOT EXISTS reviews_by_page ON reviews (content_hash, page);
-- the audit trail is append-only: a correction is a new row, never an edit
CREATE TRIGGER IF NOT EXISTS reviews_no_update BEFORE UPDATE ON reviews
    BEGIN SELECT RAISE(ABORT, 'reviews are append-only'); END;
CREATE TRIGGER IF NOT EXISTS reviews_no_delete BEFORE DELETE ON reviews
    BEGIN SELECT RAISE(ABORT, 'reviews are append-only'); END;
"""

FLAG_WORDS = {
    NO_MARK: "no mark found on the line",
    MULTIPLE_MARKS: "more than one mark on the line",
    CROSSED_OUT: "a crossed-out mark",
    OFF_LINE: "a mark near the line that does not touch it",
    FAINT: "a very faint mark",
    STRAY_INK: "ink at the line that is no mark (a stray stroke, an arrow, a stain)",
    NOT_A_FORM: "not one of our forms",
    UNKNOWN_FORM: "a form file we do not have",
    BLANK_PAGE: "nothing marked on the whole sheet",
    SHEET_ID_UNREADABLE: "the sheet's code could not be read",
    DUPLICATE_SHEET: "this sheet (same serial) was already read",
    POOR_REGISTRATION: "the sheet could not be aligned well: check values by eye",
}


@dataclass(frozen=True)
class Params:
    """Review geometry and input limits, each with its unit and reason."""

    crop_beyond_band_mm: float = 4.0  # above and below the form's clear band: a long tick's reach
    value_step_cm: float = 0.1       # what the CSV shows by default; finer clicks are not meaningful
    reviewer_max_chars: int = 60
    note_max_chars: int = 200


class ReviewError(ValueError):
    """A decision that cannot be recorded (unknown page or item, a click off the crop)."""


UNCHECKED = -1  # `decide(seen=...)` default: record without comparing with what the reviewer saw


class ChangedMeanwhile(ReviewError):
    """Someone decided on this page after the reviewer last saw it: nothing was recorded."""

    def __init__(self, latest: "Decision") -> None:
        where = latest.item_id or "the page"
        super().__init__(f"{latest.reviewer} decided on {where} meanwhile ({latest.action}, {latest.at}); "
                         "look again and decide anew")
        self.latest = latest


@dataclass(frozen=True)
class Decision:
    id: int
    content_hash: str
    page: int
    item_id: str
    old_value: float | None
    new_value: float | None
    action: str
    reason: str
    reviewer: str
    at: str


@dataclass(frozen=True)
class StoredPage:
    content_hash: str
    read_at: str
    result: PageResult          # as read, with the duplicate flag worked out


@dataclass(frozen=True)
class QueueEntry:
    """One thing a person must settle: a flagged item, or a page with page flags (item_id '')."""

    content_hash: str
    page: int
    item_id: str
    reason: str


# ---------------------------------------------------------------- geometry


def line_ends_x_mm(item: ItemResult, spec: FormSpec) -> tuple[float, float]:
    """The end-stops the reader found on this sheet, else where the form puts them."""
    if item.line_ends_x_mm and item.line_ends_x_mm[1] > item.line_ends_x_mm[0]:
        return item.line_ends_x_mm
    return spec.line_x_mm, spec.line_end_x_mm


def value_from_x(x_mm: float, ends: tuple[float, float], scale_max: float,
                 step_cm: float = Params.value_step_cm) -> float:
    """Where a click meets the line, as a score: the reader's formula, rounded to `step_cm`."""
    steps = value_cm(x_mm, ends[0], ends[1], scale_max) / step_cm
    whole = math.floor(steps)  # halves round up, as the review page's JavaScript (Math.round) does
    return round((whole + (steps - whole >= 0.5)) * step_cm, 6)


def crop_box_mm(spec: FormSpec, item_y_mm: float, ends: tuple[float, float],
                params: Params = Params()) -> tuple[float, float, float, float]:
    """(x0, y0, width, height) of the band shown for one item, in the form frame."""
    left = min(ends[0], spec.line_x_mm) - spec.clear_margin_x_mm  # the form's clear margin
    right = max(ends[1], spec.line_end_x_mm) + spec.clear_margin_x_mm
    half = spec.clear_band_mm + params.crop_beyond_band_mm
    return (left, item_y_mm - half, right - left, 2 * half)


# ---------------------------------------------------------------- the log


class ReviewLog:
    """The `reviews` table in a results database: append decisions, read them back."""

    def __init__(self, store: ResultStore, params: Params = Params()) -> None:
        self.store, self.db, self.params = store, store.db, params
        self.db.executescript(SCHEMA)
        _allow_every_action(self.db)
        self.db.commit()

    def pages(self) -> Iterator[StoredPage]:
        """Every stored page in stack order: files in the order they were first read (oldest
        batch first), each file's pages in page order (a page read again later keeps its place)."""
        rows = self.db.execute(
            "SELECT p.content_hash, p.page, p.read_at, p.result FROM pages p JOIN "
            "(SELECT content_hash, MIN(read_at) AS first FROM pages GROUP BY content_hash) f "
            "ON f.content_hash = p.content_hash ORDER BY f.first, p.file, p.content_hash, p.page").fetchall()
        for digest, _page, read_at, text in rows:
            result = self.store.with_duplicate_flag(digest, result_from_dict(json.loads(text)))
            yield StoredPage(digest, read_at, result)

    def page(self, digest: str, page: int) -> StoredPage:
        row = self.db.execute("SELECT read_at FROM pages WHERE content_hash=? AND page=?",
                              (digest, page)).fetchone()
        result = self.store.get(digest, page)
        if row is None or result is None:
            raise ReviewError("no such page in the results database")
        return StoredPage(digest, row[0], self.store.with_duplicate_flag(digest, result))

    def decisions(self, digest: str | None = None, page: int | None = None) -> list[Decision]:
        """Every decision in the order made; for one page when given."""
        sql, args = "SELECT * FROM reviews", ()
        if digest is not None:
            sql, args = sql + " WHERE content_hash=? AND page=?", (digest, page)
        return [Decision(*row) for row in self.db.execute(sql + " ORDER BY id", args)]

    def latest(self, digest: str, page: int) -> dict[str, Decision]:
        """The current decision per item ('' = the page): its latest row."""
        return {d.item_id: d for d in self.decisions(digest, page)}

    def decide(self, digest: str, page: int, item_id: str, action: str, reviewer: str, *,
               x_mm: float | None = None, candidate: int | None = None, note: str = "",
               spec: FormSpec | None = None, seen: int | None = UNCHECKED) -> list[Decision]:
        """Record one decision (an accepted page records one row per item and one for the page).

        Only a decision the review page could offer is taken: a page action on a page in the queue,
        an item action on a flagged item. `seen` is the page's latest decision id the reviewer saw
        (None: none yet); when another decision was made since, `ChangedMeanwhile` is raised and
        nothing is recorded. The check and the write are one IMMEDIATE transaction, so a second
        server on the same store can neither slip a decision in between nor record a stale old value.
        """
        reviewer = _clean(reviewer, self.params.reviewer_max_chars)
        note = _clean(note, self.params.note_max_chars)
        if not reviewer:
            raise ReviewError("a reviewer name is needed")
        if action not in ACTIONS:
            raise ReviewError(f"unknown action {action!r}")
        with self.store.transaction():
            stored = self.page(digest, page)
            _check_offered(stored, item_id, action)
            decisions = self.decisions(digest, page)
            if seen is not UNCHECKED and (decisions[-1].id if decisions else None) != seen:
                raise ChangedMeanwhile(decisions[-1])
            rows = self._rows(stored.result, {d.item_id: d for d in decisions}, item_id, action,
                              note, x_mm, candidate, spec)
            now = datetime.now(UTC).isoformat(timespec="seconds")
            ids = [self._append(digest, page, row, reviewer, now) for row in rows]
        return [Decision(i, digest, page, *row[:5], reviewer, now) for i, row in zip(ids, rows)]

    def _append(self, digest: str, page: int, row: tuple, reviewer: str, now: str) -> int:
        """One row of the trail, sealed in the store's chain (batch/ledger.py)."""
        new_id = self.db.execute(
            "INSERT INTO reviews (content_hash, page, item_id, old_value, new_value, action, reason,"
            " reviewer, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", (digest, page, *row, reviewer, now)).lastrowid
        ledger.record(self.db, "reviews", new_id)
        return new_id

    def _rows(self, result: PageResult, latest: dict[str, Decision], item_id: str, action: str, note: str,
              x_mm: float | None, candidate: int | None, spec: FormSpec | None) -> list[tuple]:
        """(item_id, old value, new value, action, reason) of each row the decision adds."""
        def current(item: ItemResult) -> float | None:
            done = latest.get(item.item_id)
            return done.new_value if done else item.value_cm

        if action in ITEM_ACTIONS and item_id != PAGE:
            item = next(i for i in result.items if i.item_id == item_id)
            new = self._item_value(item, action, x_mm, candidate, spec)
            return [(item_id, current(item), new, action, _reason(item.flags, action, note))]
        if action in WHOLE_PAGE_OUTCOMES:
            return [(PAGE, None, None, action, _reason(result.flags, action, note))]
        # accept the page as read (or no answer): every undecided item keeps the reader's value (or none)
        rows = [(item.item_id, item.value_cm, item.value_cm if action == "accept" else None, action,
                 _reason(item.flags, action, note)) for item in result.items if item.item_id not in latest]
        return [*rows, (PAGE, None, None, action, _reason(result.flags, action, note))]

    def _item_value(self, item: ItemResult, action: str, x_mm: float | None, candidate: int | None,
                    spec: FormSpec | None) -> float | None:
        if action == "no_answer":
            return None
        if action == "candidate":
            if candidate is None or not 0 <= candidate < len(item.candidates):
                raise ReviewError("no such candidate mark")
            return item.candidates[candidate].value_cm
        if x_mm is None or spec is None:
            raise ReviewError("a click position and the form are needed")
        ends = line_ends_x_mm(item, spec)
        x0, _y0, width, _h = crop_box_mm(spec, 0.0, ends, self.params)
        if not x0 <= x_mm <= x0 + width:
            raise ReviewError("the click is outside the line's picture")
        return value_from_x(x_mm, ends, spec.scale_max, self.params.value_step_cm)


def _check_offered(stored: StoredPage, item_id: str, action: str) -> None:
    """The review page offers page actions (no answer and drop included) on a page in the queue,
    item actions on flagged items."""
    entries = queue([stored])
    if not entries:
        raise ReviewError("this page was not flagged: there is nothing to decide on it")
    if action in ITEM_ACTIONS and item_id != PAGE and not any(e.item_id == item_id for e in entries):
        known = any(item.item_id == item_id for item in stored.result.items)
        raise ReviewError("this item was not flagged: there is nothing to decide on it" if known
                          else "no such item on this page")


def _allow_every_action(db) -> None:
    """A store made before an action existed has the older CHECK on `reviews.action`: the table
    is copied into one with today's list (rows, ids and order unchanged; triggers made anew)."""
    sql = db.execute("SELECT sql FROM sqlite_master WHERE type='table' AND name='reviews'").fetchone()[0]
    if all(repr(action) in sql for action in ACTIONS):
        return
    db.executescript(
        "BEGIN IMMEDIATE; ALTER TABLE reviews RENAME TO reviews_before; DROP TRIGGER IF EXISTS "
        "reviews_no_update; DROP TRIGGER IF EXISTS reviews_no_delete; DROP INDEX IF EXISTS reviews_by_page;"
        + SCHEMA + "INSERT INTO reviews SELECT * FROM reviews_before; DROP TABLE reviews_before; COMMIT;")


def _clean(text: str, limit: int) -> str:
    """One line of plain text: no control or format characters, trimmed, bounded."""
    return plain(text)[:limit]


def _reason(flags: tuple[str, ...], action: str, note: str) -> str:
    words = "; ".join(FLAG_WORDS.get(flag, flag) for flag in flags) or "not flagged"
    return f"{words} -> {action}" + (f": {note}" if note else "")


# ---------------------------------------------------------------- queue and results


def queue(pages: list[StoredPage]) -> list[QueueEntry]:
    """What needs a person, oldest batch first: a page entry for page flags, then flagged items."""
    entries: list[QueueEntry] = []
    for stored in pages:
        result = stored.result
        if result.status is not Status.REVIEW:
            continue
        if result.flags:
            entries.append(QueueEntry(stored.content_hash, result.page, PAGE, flag_words(result.flags)))
        for item in result.items:
            if item.flags:
                entries.append(QueueEntry(stored.content_hash, result.page, item.item_id,
                                          flag_words(item.flags)))
    return entries


def flag_words(flags: tuple[str, ...]) -> str:
    text = "; ".join(FLAG_WORDS.get(flag, flag) for flag in flags)
    return text[:1].upper() + text[1:]


def page_outcome(latest: dict[str, Decision]) -> str | None:
    """The page decision that counts: not_a_form or drop only while no item was decided after it
    (choosing a mark afterwards says it is a form, this copy is kept); accept and no_answer always."""
    page = latest.get(PAGE)
    if page is None:
        return None
    if page.action in WHOLE_PAGE_OUTCOMES and any(d.id > page.id for d in latest.values()):
        return None
    return page.action


def is_settled(entry: QueueEntry, latest: dict[str, Decision]) -> bool:
    outcome = page_outcome(latest)
    if outcome in WHOLE_PAGE_OUTCOMES:
        return True
    return entry.item_id in latest if entry.item_id else outcome is not None


def reviewed_result(result: PageResult, latest: dict[str, Decision]) -> PageResult:
    """The page as a person settled it: decided items carry their new value and no flags but
    `no_answer` when they have no value; page flags go once the page is accepted."""
    outcome = page_outcome(latest)
    if outcome == "not_a_form":
        items = tuple(replace(item, value_cm=None, flags=()) for item in result.items)
        return replace(result, items=items, flags=(NOT_A_FORM,))
    if outcome == "drop":
        items = tuple(replace(item, value_cm=None, flags=()) for item in result.items)
        return replace(result, items=items, flags=(DUPLICATE_SHEET,))

    def settled(item: ItemResult) -> ItemResult:
        value = latest[item.item_id].new_value
        return replace(item, value_cm=value, flags=() if value is not None else (NO_ANSWER,))

    items = tuple(settled(item) if item.item_id in latest else item for item in result.items)
    flags = () if outcome in ("accept", "no_answer") else result.flags
    return replace(result, items=items, flags=flags)


def reviewed_status(reviewed: PageResult, latest: dict[str, Decision]) -> str:
    """ok, review, not_a_form and error as for a reading; after review also `incomplete` (nothing
    left to check, some item has no answer) and `dropped` (a copy of a sheet fed twice)."""
    if page_outcome(latest) == "drop":
        return DROPPED
    if reviewed.status in (Status.ERROR, Status.NOT_A_FORM):
        return reviewed.status.value
    still_open = [f for f in reviewed.all_flags() if not f.endswith(":" + NO_ANSWER)]
    if still_open:
        return Status.REVIEW.value
    if any(item.value_cm is None for item in reviewed.items):
        return INCOMPLETE
    return Status.OK.value


def reviewed_table(log: ReviewLog, forms: FormLibrary, decimals: int = 1,
                   pages: Iterable[tuple[str, PageResult]] | None = None, *,
                   settings: Settings) -> Table:
    """The table with the decisions made so far: `status` and `flags` of the row as reviewed
    (`reviewed_result`, `reviewed_status`), `reviewed` yes/no, the `reviewer` names (in the order
    they acted) and `resolved_flags`, what the reader flagged that a person has settled; the client
    code, session and date a person typed in review in place of the sheet's; the `alerts` of each
    page from its client's whole history in the store, by the clinic's `settings` (clinical/alerts.py;
    computed here, so no writer can leave them out) and `scanned_at`, when the page was read.

    `pages` are (content hash, result) pairs in the order wanted, e.g. one scan's batch;
    by default every stored page, oldest batch first. Every table srs-scan writes comes
    from here, so scan, watch and export agree on columns and values.
    """
    if pages is None:
        pages = ((stored.content_hash, stored.result) for stored in log.pages())
    from srs_scan.clinical.records import alerts_by_sheet, stored_pages
    from srs_scan.review.identity import IdentityLog, with_identity

    alerts = alerts_by_sheet(stored_pages(log.store), settings)
    items = item_columns(forms)
    typed = IdentityLog(log.store).typed()
    read_at = dict(((d, p), t) for d, p, t in log.db.execute("SELECT content_hash, page, read_at FROM pages"))
    rows = []
    for digest, as_read in pages:
        key = (digest, as_read.page)
        decisions = log.decisions(digest, as_read.page)
        latest = {d.item_id: d for d in decisions}
        reviewed = reviewed_result(as_read, latest)
        row = page_cells(with_identity(reviewed, typed.get(key, {})), items, decimals)
        row["status"] = reviewed_status(reviewed, latest)
        now = reviewed.all_flags()
        row["resolved_flags"] = joined(f for f in as_read.all_flags() if f not in now)
        row["reviewed"] = "yes" if decisions else "no"
        row["reviewer"] = joined(dict.fromkeys(d.reviewer for d in decisions))
        row["alerts"] = joined(alerts.get(key, ()))
        row["scanned_at"] = _utc(read_at.get(key))
        rows.append(row)
    return Table((*result_columns(forms), *REVIEW_COLUMNS, *CLINICAL_COLUMNS), rows)


def _utc(text: str | None) -> datetime | None:
    """A stored ISO time as a plain UTC datetime (what the writers show), None when absent."""
    if not text:
        return None
    try:
        return datetime.fromisoformat(text).astimezone(UTC).replace(tzinfo=None)
    except ValueError:
        return None
