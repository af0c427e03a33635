"""Two scans of the same files at once share the work instead of reading every page twice.

While a scan reads, it holds an advisory lock for the content hash of each of its
input files, on one byte of the results database far beyond anything SQLite locks
(SQLite's own locks sit at 1 GiB). A second scan of the same content waits until the
first has finished and then finds every page already stored. Scans of other files on
the same database do not wait. Locks are taken in hash order, so two scans never wait
for each other in a circle, and the operating system drops them when a scan ends,
however it ends (kill -9 included).

The locks are Linux open-file-description locks: they hold between two stores in one
process as well as between processes, and closing them never drops SQLite's own locks
(POSIX record locks would). Where they do not exist (macOS, Windows), scans do not wait
for each other and may read a page twice, which costs time but never adds rows: the
store keeps one reading per page.
"""

from __future__ import annotations

import os
import struct
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None  # type: ignore[assignment]

LOCK_BASE = 1 << 41     # bytes into the database file: far past SQLite's lock bytes at 1 GiB
LOCK_SLOTS = 1 << 40    # one byte per hash prefix; two hashes sharing one only make a scan wait
TRY, WAIT = getattr(fcntl, "F_OFD_SETLK", None), getattr(fcntl, "F_OFD_SETLKW", None)


def _slot(digest: str) -> int | None:
    try:
        return LOCK_BASE + int(digest[:16], 16) % LOCK_SLOTS
    except ValueError:
        return None  # not a content hash ("unreadable:..."): nothing to share


def _lock(fd: int, offset: int, wait: bool) -> bool:
    """Lock one byte for writing; False when another scan holds it and `wait` is False."""
    # struct flock (64-bit Linux): l_type, l_whence, l_start, l_len, l_pid (0 for OFD locks)
    request = struct.pack("hhqqi4x", fcntl.F_WRLCK, os.SEEK_SET, offset, 1, 0)
    try:
        fcntl.fcntl(fd, WAIT if wait else TRY, request)
        return True
    except (BlockingIOError, PermissionError):  # EAGAIN or EACCES: held by another scan
        return False


@contextmanager
def reading(db: Path, digests: Iterable[str], waiting: Callable[[], None] | None = None) -> Iterator[None]:
    """Hold the locks for these contents while the body reads them. When another scan holds
    some, call `waiting` once, then wait for it."""
    slots = sorted({slot for slot in map(_slot, digests) if slot is not None})
    if WAIT is None or not slots:
        yield
        return
    fd = os.open(db, os.O_RDWR)
    try:
        told = False
        for slot in slots:
            if not _lock(fd, slot, wait=False):
                if waiting is not None and not told:
                    waiting()
                    told = True
                _lock(fd, slot, wait=True)
        yield
    finally:
        os.close(fd)  # drops every lock this scan held
