"""The tamper-evident trail of a results store: every stored row sealed in a hash chain.

Each time srs-scan writes a row of any table in the store (a reading, a review picture, a sheet
serial, a review decision, ...), it appends one entry to the `ledger` table: which table and row
(its primary key), the SHA-256 of the row's content as written ('' once a row is removed), and
`link` = SHA-256(previous entry's link, table, key, row hash). So the ledger is a hash chain,
and the latest entry for a row says what that row must contain.

`verify` walks the chain and compares every row with its latest entry. An edit made with any
other tool (an UPDATE, an `INSERT OR REPLACE` past the append-only triggers, a row added or
deleted, an entry of the ledger changed) shows up as the first broken link or as a row that does
not match its seal. What it cannot show: someone who knows this scheme and recomputes every link
after editing, or who deletes the newest entries together with their rows; compare the chain's
head with one noted earlier (`audit --verify` prints it) to catch those. Write access to the file
can always destroy it; it cannot rewrite it unnoticed by a tool that does not know the chain.

A store from before the chain is sealed as it is on its first open by srs-scan (`ensure`), and
says so (meta `chain_started`). A migration that changes a table's columns must seal its rows
again. This module does not open files or decide what happens when the check fails (`store.py`).
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime

SCHEMA = (  # statement by statement: executescript would commit the caller's transaction
    """CREATE TABLE IF NOT EXISTS ledger (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        tbl TEXT NOT NULL,          -- the table written
        key TEXT NOT NULL,          -- the row's primary key, as JSON
        row_hash TEXT NOT NULL,     -- SHA-256 of the row as written; '' when it was removed
        link TEXT NOT NULL          -- SHA-256 of the previous link, tbl, key and row_hash
    )""",
    """CREATE TRIGGER IF NOT EXISTS ledger_no_update BEFORE UPDATE ON ledger
        BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END""",
    """CREATE TRIGGER IF NOT EXISTS ledger_no_delete BEFORE DELETE ON ledger
        BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END""",
)
UNSEALED = {"ledger", "meta", "sqlite_sequence"}  # the chain itself, and bookkeeping
GENESIS = "srs-scan results store"


@dataclass(frozen=True)
class Verdict:
    entries: int                 # links in the chain
    head: str                    # the newest link ('' for an empty chain)
    problems: tuple[str, ...]    # the first broken link first; empty when the store is intact
    started: str                 # when the chain began on an existing store, else ''

    @property
    def intact(self) -> bool:
        return not self.problems


def sealed_tables(db: sqlite3.Connection) -> list[str]:
    names = db.execute("SELECT name FROM sqlite_master WHERE type='table' ORDER BY name").fetchall()
    return [name for (name,) in names if name not in UNSEALED]


def _key_columns(db: sqlite3.Connection, table: str) -> list[str]:
    info = db.execute(f'PRAGMA table_info("{table}")').fetchall()  # noqa: S608 - a name from sqlite_master
    keyed = sorted((row[5], row[1]) for row in info if row[5])
    return [name for _, name in keyed] or ["rowid"]


def _row_hash(columns: list[str], row: tuple) -> str:
    content = {name: {"sha256": hashlib.sha256(value).hexdigest()} if isinstance(value, bytes) else value
               for name, value in zip(columns, row)}
    return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()


def _link(previous: str, table: str, key: str, row_hash: str) -> str:
    return hashlib.sha256("\n".join((previous, table, key, row_hash)).encode()).hexdigest()


def _rows(db: sqlite3.Connection, table: str, where: str = "", args: tuple = ()):
    """(key JSON, row hash) of each row of `table` (matching `where`)."""
    keys = _key_columns(db, table)
    cursor = db.execute(f'SELECT {", ".join(keys)}, * FROM "{table}" {where}', args)  # noqa: S608
    columns = [d[0] for d in cursor.description][len(keys):]
    for row in cursor:
        yield json.dumps(list(row[:len(keys)])), _row_hash(columns, row[len(keys):])


def _append(db: sqlite3.Connection, table: str, key: str, row_hash: str) -> None:
    last = db.execute("SELECT link FROM ledger ORDER BY id DESC LIMIT 1").fetchone()
    link = _link(last[0] if last else GENESIS, table, key, row_hash)
    db.execute("INSERT INTO ledger (tbl, key, row_hash, link) VALUES (?, ?, ?, ?)", (table, key, row_hash, link))


def record(db: sqlite3.Connection, table: str, *key: object) -> None:
    """Seal the row of `table` with this primary key as it is now (removed: ''). Call it in the
    same transaction as the write, after it; an IMMEDIATE one, so two writers never fork the chain."""
    columns = _key_columns(db, table)
    where = "WHERE " + " AND ".join(f"{c} IS ?" for c in columns)
    found = list(_rows(db, table, where, key))
    _append(db, table, json.dumps(list(key)), found[0][1] if found else "")


def record_rowid(db: sqlite3.Connection, table: str, rowid: int) -> None:
    """`record` for a row just inserted, found by its rowid (`cursor.lastrowid`)."""
    keys = _key_columns(db, table)
    found = db.execute(f'SELECT {", ".join(keys)} FROM "{table}" WHERE rowid=?', (rowid,)).fetchone()  # noqa: S608
    record(db, table, *(found if found is not None else (rowid,)))


def ensure(db: sqlite3.Connection) -> int:
    """Create the ledger; on a store from before it, seal every row as it is. Returns how many
    rows were sealed now (0 when the chain already existed). Call inside an IMMEDIATE transaction,
    so a second process opening the same store waits and finds the chain complete."""
    if db.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name='ledger'").fetchone():
        return 0
    for statement in SCHEMA:
        db.execute(statement)
    sealed = 0
    for table in sealed_tables(db):
        for key, row_hash in list(_rows(db, table, "ORDER BY rowid")):
            _append(db, table, key, row_hash)
            sealed += 1
    if sealed:
        db.execute("INSERT OR REPLACE INTO meta VALUES ('chain_started', ?)",
                   (f"{datetime.now(UTC).isoformat(timespec='seconds')}, {sealed} earlier rows sealed as found",))
    return sealed


def verify(db: sqlite3.Connection, known_head: str = "") -> Verdict:
    """Walk the chain, then compare every row with its latest seal. Problems are in plain words,
    the first broken link (in the order things were written) first. `known_head`: a head printed
    by an earlier check, which must still be a link of the chain."""
    problems: list[str] = []
    latest: dict[tuple[str, str], tuple[int, str]] = {}
    previous, entries = GENESIS, 0
    for entry_id, table, key, row_hash, link in db.execute(
            "SELECT id, tbl, key, row_hash, link FROM ledger ORDER BY id"):
        if link != _link(previous, table, key, row_hash) and not problems:
            problems.append(f"the chain is broken at entry {entry_id} ({table} {key}): "
                            "an entry was changed, removed or inserted outside srs-scan")
        latest[(table, key)] = (entry_id, row_hash)
        previous, entries = link, entries + 1
        known_head = "" if link == known_head else known_head
    found: list[tuple[int, str]] = []
    present: set[tuple[str, str]] = set()
    for table in sealed_tables(db):
        for key, row_hash in _rows(db, table):
            present.add((table, key))
            seal = latest.get((table, key))
            if seal is None:
                found.append((entries + 1, f"{table} {key} was added outside srs-scan (it has no seal)"))
            elif seal[1] != row_hash:
                found.append((seal[0], f"{table} {key} was changed outside srs-scan "
                                       f"(it no longer matches its seal, entry {seal[0]})"))
    for (table, key), (entry_id, row_hash) in latest.items():
        if row_hash and (table, key) not in present:
            found.append((entry_id, f"{table} {key} was removed outside srs-scan (sealed at entry {entry_id})"))
    problems.extend(message for _, message in sorted(found))
    if known_head:
        problems.append(f"the earlier head {known_head[:16]}... is no longer in the chain: the store was "
                        "rewritten, or entries after it were cut off")
    started = db.execute("SELECT value FROM meta WHERE key='chain_started'").fetchone()
    return Verdict(entries, previous if entries else "", tuple(problems), started[0] if started else "")
