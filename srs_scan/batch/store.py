"""The local results database: one SQLite file per clinic that keeps every reading of every batch.

One store builds each client's history across batches, and makes batches
resumable and duplicate-free. Where it is: `--db FILE`, else the environment
variable SRS_SCAN_DB, else `results.srs.sqlite` in the per-user data folder
(`clinic_db`): the same rule for every command.

Each page's reading is stored under the content hash of its input file and its
page number, committed as soon as it is read. Running the same command again
reads only what is missing; scanning the same file twice (under any name)
never adds rows. A sheet serial belongs to the first page that carried it (in
input order within a batch; an earlier batch before a later one), so a re-fed
sheet is recognised in this batch or any later one. Review and export build on this.

Error results are not stored: a page that failed (a wrong password, a worker
that ran out of memory) is tried again next time.

Each command that stores readings does it inside a run (`ResultStore.run`: a row of
`runs` with the command and its start and end), and each reading is tagged with the run
that stored it (`page_runs`), so "the pages the last scan run read" is a question the
store can answer. A run that only finds its files already read stores nothing.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

from srs_scan.batch import ledger
from srs_scan.errors import NotAStore, StoreDamaged, StoreError, StoreTampered, failing_file
from srs_scan.results import DUPLICATE_SHEET, PageResult, Status, result_from_dict

SCHEMA_VERSION = 3  # 2: the ledger (a hash chain over every row); 3: runs (which run read each page)
SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS pages (
    content_hash TEXT NOT NULL,
    page INTEGER NOT NULL,
    file TEXT NOT NULL,             -- the file's name when it was first read
    read_at TEXT NOT NULL,
    status TEXT NOT NULL,
    result TEXT NOT NULL,           -- the PageResult as JSON, as the reader produced it
    forms TEXT NOT NULL DEFAULT '', -- spec.library_fingerprint of the forms it was read with
    PRIMARY KEY (content_hash, page)
);
CREATE TABLE IF NOT EXISTS sheet_images (
    content_hash TEXT NOT NULL,     -- flagged pages and sheets without a client code: the sheet
    page INTEGER NOT NULL,          -- in the form frame, JPEG at pipeline.REVIEW_PX_PER_MM, for review
    jpeg BLOB NOT NULL,
    PRIMARY KEY (content_hash, page)
);
CREATE TABLE IF NOT EXISTS camera_frames (
    content_hash TEXT NOT NULL,     -- a page read in `srs-scan session`: SHA-256 of `picture`
    page INTEGER NOT NULL,
    source TEXT NOT NULL,           -- camera (a frame of the live camera) or photo (dropped on the page)
    therapist TEXT NOT NULL,        -- who confirmed the reading
    picture BLOB NOT NULL,          -- the JPEG or PNG exactly as it was read, for the audit trail
    PRIMARY KEY (content_hash, page)
);
CREATE TABLE IF NOT EXISTS serials (
    serial TEXT PRIMARY KEY,        -- the first page that carried this sheet serial
    content_hash TEXT NOT NULL,
    page INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS runs (   -- one run of a command that stores readings (scan, a file
    id INTEGER PRIMARY KEY AUTOINCREMENT,  -- taken by watch, import, ...)
    command TEXT NOT NULL,
    started TEXT NOT NULL,          -- ISO time, UTC
    finished TEXT NOT NULL DEFAULT ''  -- '' while it runs, or when it was stopped before the end
);
CREATE TABLE IF NOT EXISTS page_runs (  -- the run that stored each page's reading; none for
    content_hash TEXT NOT NULL,     -- readings stored before runs were recorded (store version 2)
    page INTEGER NOT NULL,
    run INTEGER NOT NULL,
    PRIMARY KEY (content_hash, page)
);
"""


@dataclass(frozen=True)
class Run:
    id: int
    command: str
    started: str    # ISO time, UTC
    finished: str   # '' when it has not finished (still running, or stopped)


def content_hash(path: Path, chunk: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(chunk):
            digest.update(block)
    return digest.hexdigest()


DB_ENV = "SRS_SCAN_DB"
DB_NAME = "results.srs.sqlite"


def data_dir() -> Path:
    """The per-user data folder for srs-scan, by each system's convention.

    Linux and other Unix: $XDG_DATA_HOME/srs-scan, by default ~/.local/share/srs-scan (the XDG
    Base Directory specification); macOS: ~/Library/Application Support/srs-scan; Windows:
    %LOCALAPPDATA%\\srs-scan. Written out here rather than taken from a library: three
    well-known rules, no dependency.
    """
    home = Path.home()
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA") or home / "AppData" / "Local")
    elif sys.platform == "darwin":
        base = home / "Library" / "Application Support"
    else:
        xdg = os.environ.get("XDG_DATA_HOME", "")
        base = Path(xdg) if os.path.isabs(xdg) else home / ".local" / "share"
    return base / "srs-scan"


def clinic_db(given: Path | None = None) -> tuple[Path, str]:
    """The clinic's results store and where that choice came from: --db, $SRS_SCAN_DB, or the
    per-user data folder. Every command finds the store by this one rule."""
    if given is not None:
        return given, "--db"
    if os.environ.get(DB_ENV):
        return Path(os.environ[DB_ENV]).expanduser(), f"${DB_ENV}"
    return data_dir() / DB_NAME, "the per-user data folder"


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


RECOVER = ("Restore it from a backup, or move it aside and scan again to start a new store "
           "(review decisions live only in the store)")


def _create(path: Path) -> None:
    """A new, empty store, made whole under a temporary name and then put in place: a crash
    never leaves a 0-byte store, and a store another process just made is not replaced."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)  # private if it is new
    fresh = path.with_name(f".{path.name}.{os.getpid()}.new")
    # created readable by this user only: it holds client codes and scores
    os.close(os.open(fresh, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    try:
        db = sqlite3.connect(fresh)
        db.executescript(SCHEMA)
        db.execute("INSERT INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))
        ledger.ensure(db)
        db.commit()
        db.close()
        try:
            os.link(fresh, path)
        except FileExistsError:
            pass  # another process made it first: use theirs
        except OSError:  # a file system without hard links
            if not path.exists():
                os.replace(fresh, path)
    finally:
        fresh.unlink(missing_ok=True)


def _check_file(path: Path) -> None:
    if not path.is_file():
        raise NotAStore(f"{path} is not a file; give the results store with --db")
    with path.open("rb") as handle:
        head = handle.read(len(SQLITE_HEADER))
    if not head:
        raise StoreDamaged(f"{path}: the results store is empty (0 bytes): it was cut short, and its "
                           f"readings and review decisions are gone. {RECOVER}")
    if head != SQLITE_HEADER:
        raise NotAStore(f"{path} is not an srs-scan results store (not an SQLite database): give the "
                        "results store with --db; if this was your store, it was overwritten: restore "
                        "it from a backup")


SQLITE_HEADER = b"SQLite format 3\x00"
SQLITE_CORRUPT, SQLITE_NOTADB = 11, 26  # sqlite3.DatabaseError.sqlite_errorcode of a damaged file


class ResultStore:
    """The results store, checked on opening: a file that is empty, not a store, damaged, or
    changed outside srs-scan (`ledger.verify`) is refused with what to do. A store from before
    the chain is sealed as found. `check_chain=False` only for `audit --verify`, which reports it."""

    def __init__(self, path: Path, *, check_chain: bool = True) -> None:
        self.path = path
        with failing_file(path, "open the results database"):  # full, read-only, locked: say which
            if not path.exists():
                _create(path)
            _check_file(path)
            self.db = sqlite3.connect(path, timeout=30)
            self.run_id: int | None = None  # readings stored now are tagged with this run (`run`)
            try:
                self._open(check_chain)
            except sqlite3.DatabaseError as exc:
                if getattr(exc, "sqlite_errorcode", None) not in (SQLITE_CORRUPT, SQLITE_NOTADB):
                    raise  # locked, read-only, disk full: not damage (failing_file names the cause)
                self.db.close()
                raise StoreDamaged(f"{path}: the results store is damaged ({exc}). {RECOVER}") from None
            except StoreError:
                self.db.close()
                raise

    def _open(self, check_chain: bool) -> None:
        problems = [row[0] for row in self.db.execute("PRAGMA quick_check")]
        if problems != ["ok"]:
            raise StoreDamaged(f"{self.path}: the results store is damaged (SQLite: {problems[0]}). {RECOVER}")
        tables = {name for (name,) in self.db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        version = self.db.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone() \
            if "meta" in tables else None
        if version is None or not version[0].isdigit():
            raise NotAStore(f"{self.path} is an SQLite file but not an srs-scan results store; "
                            "give the results store with --db")
        if int(version[0]) > SCHEMA_VERSION:
            raise NotAStore(f"{self.path} was written by a newer srs-scan (store version {version[0]}, "
                            f"this one knows up to {SCHEMA_VERSION}): update srs-scan")
        self.db.execute("PRAGMA journal_mode=WAL")  # only now: it changes the file's header
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.executescript(SCHEMA)
        columns = {row[1] for row in self.db.execute("PRAGMA table_info(pages)")}
        if "forms" not in columns:  # a store from before readings named their forms
            self.db.execute("ALTER TABLE pages ADD COLUMN forms TEXT NOT NULL DEFAULT ''")
            self.db.commit()
        with self.transaction():
            ledger.ensure(self.db)  # a store from before the chain is sealed as found
            self.db.execute("UPDATE meta SET value=? WHERE key='schema_version'", (str(SCHEMA_VERSION),))
        if check_chain:
            verdict = self.verify()
            if not verdict.intact:
                raise StoreTampered(
                    f"{self.path}: the results store does not match its seals: {verdict.problems[0]}"
                    f"{f' (and {len(verdict.problems) - 1} more)' if len(verdict.problems) > 1 else ''}. "
                    f"`srs-scan audit --verify --db {self.path}` lists every change; restore the file "
                    "from a backup")

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> ResultStore:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """One IMMEDIATE transaction: the write lock is taken before the first read, so nothing read
        inside can change before the writes that depend on it (another process waits its turn).
        Ctrl-C can land the moment BEGIN returns: the transaction is rolled back then too, or the
        run's closing write would find it still open and the run end as a database failure."""
        try:
            self.db.execute("BEGIN IMMEDIATE")
            yield
        except BaseException:
            if self.db.in_transaction:
                self.db.rollback()
            raise
        self.db.commit()

    @contextmanager
    def run(self, command: str) -> Iterator[int]:
        """A run of `command`: every reading `put` stores inside is tagged with it, so the report's
        "today's batch" can be the pages the last run read. Its start and end are sealed rows of
        `runs`; a run stopped by an error or Ctrl-C is finished too, one killed keeps '' as its end.
        Any writer of readings (scan, watch, import, the camera page) wraps its work in one."""
        with failing_file(self.path, "write to the results database"), self.transaction():
            self.run_id = self.db.execute("INSERT INTO runs (command, started) VALUES (?, ?)",
                                          (command, _now())).lastrowid
            ledger.record(self.db, "runs", self.run_id)
        try:
            yield self.run_id
        finally:
            run_id, self.run_id = self.run_id, None
            with failing_file(self.path, "write to the results database"), self.transaction():
                self.db.execute("UPDATE runs SET finished=? WHERE id=?", (_now(), run_id))
                ledger.record(self.db, "runs", run_id)

    def runs(self) -> list[Run]:
        return [Run(*row) for row in self.db.execute("SELECT id, command, started, finished FROM runs ORDER BY id")]

    def page_runs(self) -> dict[tuple[str, int], int]:
        """(content hash, page) -> the run that stored its reading (absent: stored before runs)."""
        return {(d, p): r for d, p, r in self.db.execute("SELECT content_hash, page, run FROM page_runs")}

    def tag_page(self, digest: str, page: int) -> None:
        """The reading just stored belongs to the current run; with none, an older tag is removed."""
        if self.run_id is not None:
            self.db.execute("INSERT OR REPLACE INTO page_runs VALUES (?, ?, ?)", (digest, page, self.run_id))
        elif not self.db.execute("DELETE FROM page_runs WHERE content_hash=? AND page=?", (digest, page)).rowcount:
            return
        ledger.record(self.db, "page_runs", digest, page)

    def get(self, digest: str, page: int, forms: str | None = None) -> PageResult | None:
        """The stored reading; None when there is none, or when `forms` is given and the
        reading was made with another set of forms (it must be read again)."""
        row = self.db.execute("SELECT result, forms FROM pages WHERE content_hash=? AND page=?",
                              (digest, page)).fetchone()
        if row is None or (forms is not None and row[1] != forms):
            return None
        return result_from_dict(json.loads(row[0]))

    def put(self, digest: str, result: PageResult, sheet_jpeg: bytes | None = None,
            forms: str = "") -> None:
        """Keep a reading (not an error), its sheet image if flagged, and claim its serial."""
        if result.status is Status.ERROR:
            return
        stored = replace(result, flags=tuple(f for f in result.flags if f != DUPLICATE_SHEET))
        with failing_file(self.path, "write to the results database"), self.transaction():
            # every row written is sealed in the chain (ledger.py)
            self.db.execute(
                "INSERT OR REPLACE INTO pages VALUES (?, ?, ?, ?, ?, ?, ?)",
                (digest, result.page, result.file, _now(), stored.status.value, json.dumps(asdict(stored)), forms))
            ledger.record(self.db, "pages", digest, result.page)
            self.tag_page(digest, result.page)
            removed = self.db.execute("DELETE FROM sheet_images WHERE content_hash=? AND page=?",
                                      (digest, result.page)).rowcount  # an earlier reading's picture
            if sheet_jpeg is not None:
                self.db.execute("INSERT INTO sheet_images VALUES (?, ?, ?)",
                                (digest, result.page, sheet_jpeg))
            if removed or sheet_jpeg is not None:
                ledger.record(self.db, "sheet_images", digest, result.page)
            if result.sheet and result.sheet.serial and self.db.execute(
                    "INSERT OR IGNORE INTO serials VALUES (?, ?, ?)",
                    (result.sheet.serial, digest, result.page)).rowcount:
                ledger.record(self.db, "serials", result.sheet.serial)

    def verify(self, known_head: str = "") -> ledger.Verdict:
        """The chain checked on one snapshot: a write another process commits meanwhile (a row
        and its seal, in one transaction) is seen whole or not at all."""
        self.db.execute("BEGIN")
        try:
            return ledger.verify(self.db, known_head)
        finally:
            self.db.rollback()

    def has_sheet_jpeg(self, digest: str, page: int) -> bool:
        """Whether the page's registered sheet picture is kept (without loading it)."""
        return self.db.execute("SELECT 1 FROM sheet_images WHERE content_hash=? AND page=?",
                               (digest, page)).fetchone() is not None

    def sheet_jpeg(self, digest: str, page: int) -> bytes | None:
        row = self.db.execute("SELECT jpeg FROM sheet_images WHERE content_hash=? AND page=?",
                              (digest, page)).fetchone()
        return bytes(row[0]) if row else None

    def with_duplicate_flag(self, digest: str, result: PageResult,
                            batch_order: Mapping[tuple[str, int], int] | None = None) -> PageResult:
        """Flag the page when an earlier page (here or in an earlier batch) had its serial.

        `batch_order` is the position of each page of the batch being read. Serials are
        claimed as pages are stored, so a page that failed (its worker killed) and is read in
        a later run finds its serial claimed by a copy further on: within a batch the page
        first in input order takes the serial back. Pages of earlier batches keep theirs."""
        if not result.sheet or not result.sheet.serial:
            return result
        serial, me = result.sheet.serial, (digest, result.page)
        owner = self.db.execute("SELECT content_hash, page FROM serials WHERE serial=?",
                                (serial,)).fetchone()
        order = batch_order or {}
        if owner is not None and me in order and order.get(tuple(owner), -1) > order[me]:
            with self.transaction():
                self.db.execute("UPDATE serials SET content_hash=?, page=? WHERE serial=?", (*me, serial))
                ledger.record(self.db, "serials", serial)
            owner = me
        if owner is None or tuple(owner) == me or DUPLICATE_SHEET in result.flags:
            return result
        return replace(result, flags=(*result.flags, DUPLICATE_SHEET))
