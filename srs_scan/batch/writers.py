"""Which files in a folder another process still has open for writing: from the kernel's own
file events (Linux inotify), so the hot folder never takes a file whose writer has only paused.

A file counts as being written from the first write (or its creation) the kernel reports until
the writer closes it (`IN_CLOSE_WRITE`; the kernel closes the files of a process that dies, so
a crashed writer does not hold a file for ever). Opening a file to read it (as srs-scan does)
changes nothing. Files moved into the folder whole (`IN_MOVED_TO`) are complete.

What it cannot know: a file already open for writing when watching began, with no write since;
a writer on another computer (a network share mounted here: the kernel sees no events for it).
For those the hot folder still has settling and the file's own structure (`watch.looks_complete`).
Elsewhere than Linux, `OpenWriters` knows of no writer at all.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import struct
import sys
from pathlib import Path

IN_MODIFY, IN_CLOSE_WRITE, IN_MOVED_FROM, IN_MOVED_TO = 0x002, 0x008, 0x040, 0x080
IN_CREATE, IN_DELETE, IN_Q_OVERFLOW, IN_ISDIR = 0x100, 0x200, 0x4000, 0x40000000
IN_NONBLOCK, IN_CLOEXEC = 0o4000, 0o2000000
WATCHED = IN_MODIFY | IN_CLOSE_WRITE | IN_MOVED_FROM | IN_MOVED_TO | IN_CREATE | IN_DELETE
EVENT = struct.Struct("iIII")  # wd, mask, cookie, len; then len bytes of name


class OpenWriters:
    """The names in one folder that some process is writing now (as far as the kernel said)."""

    def __init__(self, folder: Path) -> None:
        self.writing: set[str] = set()
        self.fd = -1
        if not sys.platform.startswith("linux"):
            return
        libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
        fd = libc.inotify_init1(IN_NONBLOCK | IN_CLOEXEC)
        if fd < 0:
            return  # out of inotify instances: settling and structure still guard
        if libc.inotify_add_watch(fd, os.fsencode(folder), WATCHED) < 0:
            os.close(fd)
            return
        self.fd = fd

    def busy(self) -> set[str]:
        """Read what the kernel has said since the last call; the names still being written."""
        while self.fd >= 0:
            try:
                data = os.read(self.fd, 65536)
            except BlockingIOError:
                break
            self._apply(data)
        return set(self.writing)

    def _apply(self, data: bytes) -> None:
        at = 0
        while at + EVENT.size <= len(data):
            _wd, mask, _cookie, length = EVENT.unpack_from(data, at)
            name = os.fsdecode(data[at + EVENT.size:at + EVENT.size + length].rstrip(b"\0"))
            at += EVENT.size + length
            if mask & IN_ISDIR:
                continue
            if mask & IN_Q_OVERFLOW:
                self.writing.clear()  # events were lost: know nothing rather than something wrong
            elif mask & (IN_MODIFY | IN_CREATE):
                self.writing.add(name)
            elif mask & (IN_CLOSE_WRITE | IN_MOVED_FROM | IN_MOVED_TO | IN_DELETE):
                self.writing.discard(name)

    def close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1
