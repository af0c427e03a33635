"""The hot folder: read each scan a network scanner drops into a folder, once, when it is complete.

A file is taken when it is complete and has stopped changing:
- its size and modification time have not changed for `settle_s` seconds (scanners write
  files in pieces), and
- no process is writing it, as far as the kernel has said (`writers.OpenWriters`: from the
  first write until the writer closes it, on Linux), and
- it is whole by its own structure (`looks_complete`): a PDF ends with `%%EOF`, every frame
  of a TIFF (its chain of image directories and their strips) lies inside the file, a JPEG
  ends with its end-of-image marker, a PNG with its IEND chunk. A fax writer that pauses
  between pages for longer than `settle_s` leaves a file whose frame chain or last strip
  points past its end: it is waited for. A file that stays open or incomplete, unchanged, for
  `incomplete_wait_s` is taken anyway (and, if incomplete, fails with its reason).

After reading, it moves to `INBOX/done/`, or to `INBOX/failed/` with a short `.reason.txt`
beside it when any of its pages could not be read. The CSV names each file where it now lies.

The results store is the truth. Which files this CSV holds is a table in the store
(`watched`: the file's content hash and where it was moved), recorded before the file is
moved; the CSV is then rebuilt from the store (with any review decisions made meanwhile).
So a watch killed at any moment and started again gives every row once: a file recorded
but not yet moved is moved to its recorded place, and a file whose content is already in the
CSV (the same scan dropped again) adds no rows.
"""

from __future__ import annotations

import json
import shutil
import struct
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from srs_scan.batch.export import CsvFormat, write_table
from srs_scan.batch.pipeline import ScanOptions, identify, own_outputs, read_batch
from srs_scan.batch import ledger
from srs_scan.batch.store import ResultStore
from srs_scan.batch.writers import OpenWriters
from srs_scan.clinical.settings import Settings, defaults
from srs_scan.fileio import write_atomic
from srs_scan.read.pages import find_inputs
from srs_scan.results import PageResult, Status, result_from_dict
from srs_scan.review.decisions import ReviewLog, reviewed_table
from srs_scan.sheets.spec import FormLibrary

DONE, FAILED = "done", "failed"
PARTIAL_SUFFIXES = (".part", ".tmp", ".crdownload", ".filepart")  # names of files still being copied
TAIL_BYTES = 65536  # how far from its end a file's closing marker may lie (phones append data)

SCHEMA = """
CREATE TABLE IF NOT EXISTS watched (
    csv TEXT NOT NULL,              -- the CSV (absolute path) this file's rows go to
    content_hash TEXT NOT NULL,
    target TEXT NOT NULL,           -- where the file is moved: INBOX/done/... or INBOX/failed/...
    errors TEXT NOT NULL,           -- its error rows as JSON (errors are not kept in pages)
    PRIMARY KEY (csv, content_hash)
);
"""


@dataclass(frozen=True)
class WatchOptions:
    settle_s: float = 3.0    # a file must stay unchanged this long before it is read
    poll_s: float = 1.0      # how often the folder is looked at
    csv: CsvFormat = CsvFormat()
    incomplete_wait_s: float = 300.0  # an unchanged but incomplete file is taken after this long
    settings: Settings = field(default_factory=defaults)  # the clinic's alert settings, for `alerts`


@dataclass(frozen=True)
class Taken:
    path: Path                  # where the file lay in the inbox
    target: Path                # where it lies now
    results: list[PageResult]   # its pages; none when its content was already in the CSV
    same_as: Path | None = None  # the earlier file with the same content


@dataclass
class _Seen:
    signature: tuple[int, int]
    since: float


def _candidates(inbox: Path) -> list[Path]:
    files, _ = find_inputs([inbox])
    files, _ = own_outputs(files, [])
    return [f for f in files if f.parent == inbox and not f.name.lower().endswith(PARTIAL_SUFFIXES)]


def _unique_target(folder: Path, name: str) -> Path:
    target, n = folder / name, 1
    while target.exists():
        target = folder / f"{Path(name).stem}-{n}{Path(name).suffix}"
        n += 1
    return target


def looks_complete(path: Path) -> bool:
    """Whether the file is whole by its own structure (see the module docstring)."""
    try:
        with path.open("rb") as handle:
            head = handle.read(8)
            size = handle.seek(0, 2)
            handle.seek(max(0, size - TAIL_BYTES))
            tail = handle.read()
            if head[:2] in (b"II", b"MM"):
                return _tiff_complete(handle, head[:2] == b"II", size)
    except OSError:
        return True  # let the reader say what is wrong with it
    if head.startswith(b"%PDF"):
        return b"%%EOF" in tail
    if head.startswith(b"\xff\xd8"):
        return b"\xff\xd9" in tail
    if head.startswith(b"\x89PNG"):
        return b"IEND" in tail
    return True  # not a type we know the end of: settling is all we can go by


TIFF_DATA_TAGS = ((273, 279), (324, 325))  # (StripOffsets, StripByteCounts), (TileOffsets, TileByteCounts)
TIFF_TYPE_SIZES = {3: 2, 4: 4, 16: 8}      # SHORT, LONG, LONG8


def _tiff_complete(handle, little: bool, size: int) -> bool:
    """Every image directory in the chain, and every strip or tile it names, inside the file."""
    order = "<" if little else ">"

    def read(offset: int, fmt: str) -> tuple:
        handle.seek(offset)
        data = handle.read(struct.calcsize(order + fmt))
        if len(data) < struct.calcsize(order + fmt):
            raise EOFError
        return struct.unpack(order + fmt, data)

    try:
        (offset,) = read(4, "I")
        seen: set[int] = set()
        while offset:
            if offset in seen or offset + 2 > size:
                return offset in seen  # a loop is damage, not a file still being written
            seen.add(offset)
            (count,) = read(offset, "H")
            entries = {}
            for n in range(count):
                tag, kind, number, value = read(offset + 2 + 12 * n, "HHII")
                entries[tag] = (kind, number, value, offset + 2 + 12 * n + 8)
            for offsets_tag, counts_tag in TIFF_DATA_TAGS:
                if offsets_tag in entries and counts_tag in entries:
                    starts = _tiff_values(read, entries[offsets_tag])
                    lengths = _tiff_values(read, entries[counts_tag])
                    if any(s + n > size for s, n in zip(starts, lengths)):
                        return False
            (offset,) = read(offset + 2 + 12 * count, "I")
        return True
    except (EOFError, struct.error):
        return False


def _tiff_values(read: Callable, entry: tuple[int, int, int, int]) -> list[int]:
    kind, number, value, value_at = entry
    width = TIFF_TYPE_SIZES.get(kind, 4)
    fmt = {2: "H", 4: "I", 8: "Q"}[width]
    at = value_at if width * number <= 4 else value
    return list(read(at, fmt * number))


class HotFolder:
    """Reads settled files from `inbox` into `store` and keeps `output` (CSV) up to date."""

    def __init__(self, inbox: Path, output: Path, forms: FormLibrary, store: ResultStore,
                 scan: ScanOptions, options: WatchOptions = WatchOptions(),
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.inbox, self.output, self.forms, self.store = inbox, output, forms, store
        self.scan_options, self.options, self.clock = scan, options, clock
        self.seen: dict[Path, _Seen] = {}
        self.csv_key = str(output.resolve())
        self.writers = OpenWriters(inbox)
        store.db.executescript(SCHEMA)
        store.db.commit()
        for sub in (DONE, FAILED):
            (inbox / sub).mkdir(exist_ok=True)
        if self._taken():  # whatever a run stopped at any moment left behind is put right
            self._write_csv()

    def settled(self) -> list[Path]:
        """Files complete by their structure whose size and time have not changed for `settle_s`
        (or, incomplete, for `incomplete_wait_s`)."""
        now, ready = self.clock(), []
        present = _candidates(self.inbox)
        busy = self.writers.busy()
        for path in present:
            try:
                stat = path.stat()
            except FileNotFoundError:
                continue
            signature = (stat.st_size, stat.st_mtime_ns)
            entry = self.seen.get(path)
            if entry is None or entry.signature != signature:
                self.seen[path] = _Seen(signature, now)
            elif now - entry.since >= self.options.incomplete_wait_s or (
                    now - entry.since >= self.options.settle_s and path.name not in busy
                    and looks_complete(path)):
                ready.append(path)
        for gone in set(self.seen) - set(present):
            del self.seen[gone]
        return ready

    def take(self, path: Path) -> Taken:
        """Read one settled file, record where it goes, move it there, rebuild the CSV."""
        (entry,), _ = identify([path])
        digest = entry.digest
        self.seen.pop(path, None)
        recorded = self.store.db.execute(
            "SELECT target, errors FROM watched WHERE csv=? AND content_hash=?",
            (self.csv_key, digest)).fetchone()
        if recorded is not None and not json.loads(recorded[1]):
            target = Path(recorded[0])
            if target.exists():  # the same scan dropped again: its rows are in the CSV already
                moved = _unique_target(self.inbox / DONE, path.name)
                shutil.move(str(path), moved)
                return Taken(path, moved, [], same_as=target)
            self._move(path, target, [])  # recorded, then stopped before the move
            return Taken(path, target, self._results(digest, target, []))
        with self.store.run("watch"):  # each file taken is a run: the report's "today's batch"
            results = read_batch([entry], self.forms, self.scan_options, self.store).results
        errors = [r for r in results if r.status is Status.ERROR]
        target = _unique_target(self.inbox / (FAILED if errors else DONE), path.name)
        with self.store.transaction():  # sealed in the store's chain like every stored row
            self.store.db.execute("INSERT OR REPLACE INTO watched VALUES (?, ?, ?, ?)",
                                  (self.csv_key, digest, str(target),
                                   json.dumps([asdict(r) for r in errors])))
            ledger.record(self.store.db, "watched", self.csv_key, digest)
        self._move(path, target, errors)
        return Taken(path, target, self._results(digest, target, errors))

    def _move(self, path: Path, target: Path, errors: list[PageResult]) -> None:
        if errors:
            reasons = "\n".join(f"page {r.page}: {r.reason}" for r in errors)
            write_atomic(target.with_name(target.name + ".reason.txt"), (reasons + "\n").encode())
        shutil.move(str(path), target)
        self._write_csv()

    def _results(self, digest: str, target: Path, errors: list[PageResult]) -> list[PageResult]:
        """The file's pages, stored readings and error rows, in page order, named by `target`."""
        rows = self.store.db.execute("SELECT result FROM pages WHERE content_hash=? ORDER BY page",
                                     (digest,)).fetchall()
        pages = {r.page: r for r in errors}
        for (text,) in rows:
            result = result_from_dict(json.loads(text))
            pages.setdefault(result.page, result)
        return [self.store.with_duplicate_flag(digest, _named(pages[n], target)) for n in sorted(pages)]

    def _taken(self) -> list[tuple[str, str, str]]:
        return self.store.db.execute(
            "SELECT content_hash, target, errors FROM watched WHERE csv=? ORDER BY rowid",
            (self.csv_key,)).fetchall()

    def _write_csv(self) -> None:
        """The whole CSV rebuilt from the store: every file this CSV took, in the order taken."""
        pages = []
        for digest, target, errors in self._taken():
            failed = [result_from_dict(e) for e in json.loads(errors)]
            pages.extend((digest, r) for r in self._results(digest, Path(target), failed))
        table = reviewed_table(ReviewLog(self.store), self.forms, self.options.csv.decimals, pages,
                               settings=self.options.settings)
        write_table(self.output, table, self.options.csv)

    def close(self) -> None:
        self.writers.close()

    def run(self, should_stop: Callable[[], bool], on_file: Callable[[Taken], None]) -> None:
        while not should_stop():
            for path in self.settled():
                on_file(self.take(path))
            time.sleep(self.options.poll_s)


def _named(result: PageResult, target: Path) -> PageResult:
    return replace(result, file=str(target))
