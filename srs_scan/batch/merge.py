"""`srs-scan import`: bring an older results database (one per CSV) into the clinic's store.

Nothing is lost and nothing is doubled: every page reading, review image, sheet
serial, review decision and identity entry of the old file is copied, unless
the very same row is already there (so importing twice changes nothing). A page
already in the clinic's store keeps the reading it has (both are readings of
the same file's page). Decisions keep their own time and reviewer; they are
appended after the store's own, in the order they were made.

The old file is only read, never changed.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path

from srs_scan.batch import ledger
from srs_scan.batch.store import ResultStore

# table -> the columns that say two rows are the same row (all columns but the row id)
KEYED = {"pages": ("content_hash", "page"), "sheet_images": ("content_hash", "page"),
         "serials": ("serial",), "camera_frames": ("content_hash", "page")}
APPENDED = ("reviews", "identities")  # audit trails: rows have an id, copied in id order


class NotAStore(ValueError):
    """The file is not an srs-scan results database."""


@dataclass(frozen=True)
class Imported:
    counts: dict[str, int]   # table -> rows added

    def total(self) -> int:
        return sum(self.counts.values())


def import_store(old: Path, store: ResultStore) -> Imported:
    """Copy every row of `old` the store lacks; one transaction, so a failure adds nothing."""
    try:
        source = sqlite3.connect(f"file:{old}?mode=ro", uri=True)
        tables = {row[0] for row in source.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    except sqlite3.DatabaseError as exc:
        raise NotAStore(f"{old.name} is not an srs-scan results database ({exc})") from None
    if "pages" not in tables:
        raise NotAStore(f"{old.name} is not an srs-scan results database (it has no pages table)")
    counts: dict[str, int] = {}
    try:  # one run: the readings it adds are "the last run's" pages in the report
        with store.run("import"), store.transaction():  # every copied row is sealed (ledger.py)
            for table in (*KEYED, *APPENDED):
                if table in tables and _has_table(store.db, table):
                    counts[table] = _copy(source, store, table)
    finally:
        source.close()
    return Imported(counts)


def _has_table(db: sqlite3.Connection, table: str) -> bool:
    return db.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name=?", (table,)).fetchone() is not None


def _columns(db: sqlite3.Connection, table: str) -> list[str]:
    return [row[1] for row in db.execute(f"PRAGMA table_info({table})")]


def _copy(source: sqlite3.Connection, store: ResultStore, table: str) -> int:
    target = store.db
    shared = [c for c in _columns(source, table) if c in _columns(target, table) and c != "id"]
    key = KEYED.get(table, tuple(shared))
    names = ", ".join(shared)
    order = " ORDER BY id" if "id" in _columns(source, table) else ""
    same = " AND ".join(f"{c} IS ?" for c in key)
    added = 0
    for row in source.execute(f"SELECT {names} FROM {table}{order}"):
        values = dict(zip(shared, row))
        if target.execute(f"SELECT 1 FROM {table} WHERE {same}", [values[c] for c in key]).fetchone():
            continue
        cursor = target.execute(f"INSERT INTO {table} ({names}) VALUES ({', '.join('?' * len(shared))})", row)
        ledger.record_rowid(target, table, cursor.lastrowid)
        if table == "pages":
            store.tag_page(values["content_hash"], values["page"])
        added += 1
    return added
