"""Writing output files so that a crash or Ctrl-C never leaves half a file."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def write_atomic(path: Path | str, data: bytes) -> None:
    """Write to a temporary file beside `path`, flush it to disk, then rename over `path`."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


# Everything srs-scan writes that a scan folder could hold and a scanner could also have written
# (an overlay JPEG today; a report PDF tomorrow) carries this mark in its first bytes, so that
# no later run reads it back as a scan, wherever it was written or moved to.
OWN_OUTPUT_MARK = b"written by srs-scan: not a scan"
OWN_OUTPUT_HEAD_BYTES = 4096  # the mark sits within this many bytes of the start


def mark_jpeg(jpeg: bytes) -> bytes:
    """The JPEG with OWN_OUTPUT_MARK as a comment (COM) segment after its JFIF header."""
    at = 2  # after the start-of-image marker
    if jpeg[2:4] == b"\xff\xe0":  # keep the JFIF APP0 segment first, where readers expect it
        at = 4 + int.from_bytes(jpeg[4:6], "big")
    comment = b"\xff\xfe" + (len(OWN_OUTPUT_MARK) + 2).to_bytes(2, "big") + OWN_OUTPUT_MARK
    return jpeg[:at] + comment + jpeg[at:]


def is_own_output(path: Path) -> bool:
    """True for a file srs-scan wrote (it carries OWN_OUTPUT_MARK near its start)."""
    try:
        with path.open("rb") as handle:
            return OWN_OUTPUT_MARK in handle.read(OWN_OUTPUT_HEAD_BYTES)
    except OSError:
        return False  # an unreadable file is an input that gets its error row
