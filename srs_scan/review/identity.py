"""Who a sheet belongs to, as a person typed it in review: client code, session and date.

A sheet printed blank carries no client code in its QR code; in review a person
types it (and the session number and date). Each typed field is one new row in
the `identities` table of the results store (append-only, like the review audit
trail), with who, when, the old and the new value. The latest row per field
counts; the reading itself is never changed. Values are checked by the same
rule as a roster row (`sheetid.identity_problem`).

Every read sheet without a client code is reachable in review, flagged or not:
`identity_queue` lists them for the queue's identity part, after the flagged items.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from srs_scan.batch import ledger
from srs_scan.batch.store import ResultStore
from srs_scan.results import PageResult, Status
from srs_scan.review.decisions import WHOLE_PAGE_OUTCOMES, ReviewLog, StoredPage, page_outcome
from srs_scan.sheets.sheetid import SheetId, identity_problem

FIELDS = ("client_code", "session", "date")

SCHEMA = """
CREATE TABLE IF NOT EXISTS identities (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    content_hash TEXT NOT NULL,
    page INTEGER NOT NULL,
    field TEXT NOT NULL CHECK (field IN ('client_code', 'session', 'date')),
    old_value TEXT NOT NULL,
    new_value TEXT NOT NULL,
    reviewer TEXT NOT NULL,
    at TEXT NOT NULL                -- ISO time, UTC
);
CREATE INDEX IF NOT EXISTS identities_by_page ON identities (content_hash, page);
CREATE TRIGGER IF NOT EXISTS identities_no_update BEFORE UPDATE ON identities
    BEGIN SELECT RAISE(ABORT, 'identity entries are append-only'); END;
CREATE TRIGGER IF NOT EXISTS identities_no_delete BEFORE DELETE ON identities
    BEGIN SELECT RAISE(ABORT, 'identity entries are append-only'); END;
"""


IDENTIFY_REASON = ("This sheet has no client code: type the client code, session and date written on it "
                   "(never a name)")


def lacks_client_code(result: PageResult) -> bool:
    """A read sheet (ok or flagged; not an error or a page that is no form) whose QR code or
    label carried no client code: a blank-printed sheet, or an enrolled form without a label."""
    return result.status in (Status.OK, Status.REVIEW) and not (result.sheet and result.sheet.client_code)


@dataclass(frozen=True)
class Unidentified:
    """A sheet in the review queue's identity part: `settled` once a client code was typed for it,
    or the page was left out in review (not a form, a dropped copy)."""
    page: StoredPage
    settled: bool


def identity_queue(log: ReviewLog, pages: Iterable[StoredPage]) -> list[Unidentified]:
    """Every read sheet without a client code from its QR code, in stack order: in review they
    come after the flagged items, whether or not anything on them was flagged."""
    typed = IdentityLog(log.store).typed()
    out = []
    for stored in pages:
        if not lacks_client_code(stored.result):
            continue
        key = (stored.content_hash, stored.result.page)
        left_out = page_outcome(log.latest(*key)) in WHOLE_PAGE_OUTCOMES
        out.append(Unidentified(stored, bool(typed.get(key, {}).get("client_code")) or left_out))
    return out


class IdentityError(ValueError):
    """Typed values that cannot be recorded: the message says what is wrong, in words."""


@dataclass(frozen=True)
class IdentityEntry:
    id: int
    content_hash: str
    page: int
    field: str
    old_value: str
    new_value: str
    reviewer: str
    at: str


class IdentityLog:
    def __init__(self, store: ResultStore) -> None:
        self.store, self.db = store, store.db
        self.db.executescript(SCHEMA)
        self.db.commit()

    def entries(self, digest: str | None = None, page: int | None = None) -> list[IdentityEntry]:
        sql, args = "SELECT * FROM identities", ()
        if digest is not None:
            sql, args = sql + " WHERE content_hash=? AND page=?", (digest, page)
        return [IdentityEntry(*row) for row in self.db.execute(sql + " ORDER BY id", args)]

    def typed(self) -> dict[tuple[str, int], dict[str, str]]:
        """Every page's latest typed value per field."""
        out: dict[tuple[str, int], dict[str, str]] = {}
        for e in self.entries():
            out.setdefault((e.content_hash, e.page), {})[e.field] = e.new_value
        return out

    def record(self, digest: str, page: int, current: SheetId | None, values: dict[str, str],
               reviewer: str) -> list[IdentityEntry]:
        """Check the typed client code, session and date as one; add a row for each changed field."""
        reviewer = re.sub(r"[\x00-\x1f\x7f]+", " ", reviewer or "").strip()[:60]
        if not reviewer:
            raise IdentityError("a reviewer name is needed")
        if current is not None and current.client_code:  # only what the review page offers is taken
            raise IdentityError("this sheet's client code comes from its QR code: nothing to type in")
        typed = {f: (values.get(f) or "").strip() for f in FIELDS}
        problem = identity_problem(typed["client_code"], typed["session"], typed["date"])
        if problem:
            raise IdentityError(problem)
        typed["session"] = str(int(typed["session"]))
        before = identity_of(current, self.typed().get((digest, page), {}))
        now = datetime.now(UTC).isoformat(timespec="seconds")
        rows = [(f, getattr(before, f) if before else "", typed[f]) for f in FIELDS
                if (getattr(before, f) if before else "") != typed[f]]
        with self.store.transaction():  # each entry sealed in the store's chain (batch/ledger.py)
            ids = [self.db.execute(
                "INSERT INTO identities (content_hash, page, field, old_value, new_value, reviewer, at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)", (digest, page, *row, reviewer, now)).lastrowid
                for row in rows]
            for new_id in ids:
                ledger.record_rowid(self.db, "identities", new_id)
        return [IdentityEntry(i, digest, page, *row, reviewer, now) for i, row in zip(ids, rows)]


def identity_of(sheet: SheetId | None, typed: dict[str, str]) -> SheetId | None:
    """The sheet id with what a person typed in place of what its QR code said."""
    if not typed:
        return sheet
    base = sheet or SheetId("", 0, "")
    return replace(base, **{f: typed[f] for f in FIELDS if f in typed})


def with_identity(result: PageResult, typed: dict[str, str]) -> PageResult:
    return replace(result, sheet=identity_of(result.sheet, typed)) if typed else result
