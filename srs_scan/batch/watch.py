"""The hot folder: read each scan a network scanner drops into a folder, once, when it is complete.

A file is taken when its size and modification time have not changed for
`settle_s` seconds (scanners write files in pieces). After reading, it moves to
`INBOX/done/`, or to `INBOX/failed/` with a short `.reason.txt` beside it when
any of its pages could not be read. Rows are added to the CSV, which is
rewritten whole (atomically) after each file.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from srs_scan.batch.export import (
    CsvFormat, Table, item_columns, page_cells, read_table, result_columns, write_table,
)
from srs_scan.fileio import write_atomic
from srs_scan.read.pages import find_inputs
from srs_scan.batch.pipeline import ScanOptions, identify, read_batch
from srs_scan.results import PageResult, Status
from srs_scan.sheets.spec import FormLibrary
from srs_scan.batch.store import ResultStore

DONE, FAILED = "done", "failed"
PARTIAL_SUFFIXES = (".part", ".tmp", ".crdownload", ".filepart")  # names of files still being copied


@dataclass(frozen=True)
class WatchOptions:
    settle_s: float = 3.0    # a file must stay unchanged this long before it is read
    poll_s: float = 1.0      # how often the folder is looked at
    csv: CsvFormat = CsvFormat()


@dataclass
class _Seen:
    signature: tuple[int, int]
    since: float


def _candidates(inbox: Path) -> list[Path]:
    files, _ = find_inputs([inbox])
    return [f for f in files if f.parent == inbox and not f.name.lower().endswith(PARTIAL_SUFFIXES)]


def _unique_target(folder: Path, name: str) -> Path:
    target, n = folder / name, 1
    while target.exists():
        target = folder / f"{Path(name).stem}-{n}{Path(name).suffix}"
        n += 1
    return target


class HotFolder:
    """Reads settled files from `inbox` into `store` and keeps `output` (CSV) up to date."""

    def __init__(self, inbox: Path, output: Path, forms: FormLibrary, store: ResultStore,
                 scan: ScanOptions, options: WatchOptions = WatchOptions(),
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.inbox, self.output, self.forms, self.store = inbox, output, forms, store
        self.scan_options, self.options, self.clock = scan, options, clock
        self.seen: dict[Path, _Seen] = {}
        self.rows = self._existing_rows()
        for sub in (DONE, FAILED):
            (inbox / sub).mkdir(exist_ok=True)

    def _existing_rows(self) -> list[dict]:
        if not self.output.exists():
            return []
        numbers = ("page", "session", *item_columns(self.forms), "total")
        return read_table(self.output, numbers).rows

    def settled(self) -> list[Path]:
        """Files whose size and time have not changed for `settle_s`."""
        now, ready = self.clock(), []
        present = _candidates(self.inbox)
        for path in present:
            try:
                stat = path.stat()
            except FileNotFoundError:
                continue
            signature = (stat.st_size, stat.st_mtime_ns)
            entry = self.seen.get(path)
            if entry is None or entry.signature != signature:
                self.seen[path] = _Seen(signature, now)
            elif now - entry.since >= self.options.settle_s:
                ready.append(path)
        for gone in set(self.seen) - set(present):
            del self.seen[gone]
        return ready

    def take(self, path: Path) -> list[PageResult]:
        """Read one settled file, record its rows, move it to done/ or failed/."""
        inputs, _ = identify([path])
        results = read_batch(inputs, self.forms, self.scan_options, self.store).results
        items = item_columns(self.forms)
        self.rows.extend(page_cells(r, items, self.options.csv.decimals) for r in results)
        self._write_csv()
        errors = [r for r in results if r.status is Status.ERROR]
        target = _unique_target(self.inbox / (FAILED if errors else DONE), path.name)
        shutil.move(str(path), target)
        if errors:
            reasons = "\n".join(f"page {r.page}: {r.reason}" for r in errors)
            write_atomic(target.with_name(target.name + ".reason.txt"), (reasons + "\n").encode())
        self.seen.pop(path, None)
        return results

    def _write_csv(self) -> None:
        write_table(self.output, Table(result_columns(self.forms), self.rows), self.options.csv)

    def run(self, should_stop: Callable[[], bool], on_file: Callable[[Path, list[PageResult]], None]) -> None:
        while not should_stop():
            for path in self.settled():
                on_file(path, self.take(path))
            time.sleep(self.options.poll_s)
