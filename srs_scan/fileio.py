"""Writing output files so that a crash or Ctrl-C never leaves half a file, and checking
before a long run that its outputs can be written at all."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from pathlib import Path

from srs_scan.errors import UsageError, failing_file


def write_atomic(path: Path | str, data: bytes) -> None:
    """Write to a temporary file beside `path`, flush it to disk, then rename over `path`.
    A failure (disk full, no permission) raises EnvironmentFailure naming `path`."""
    path = Path(path)
    with failing_file(path, "write"):
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


def mark_png(png: bytes) -> bytes:
    """The PNG with OWN_OUTPUT_MARK as a text chunk right after its header chunk (IHDR)."""
    import struct
    import zlib

    at = 8 + 4 + 4 + 13 + 4  # signature, then IHDR: length, type, 13 bytes of data, CRC
    data = b"Software\0" + OWN_OUTPUT_MARK
    chunk = struct.pack(">I", len(data)) + b"tEXt" + data + struct.pack(">I", zlib.crc32(b"tEXt" + data))
    return png[:at] + chunk + png[at:]


def is_own_output(path: Path) -> bool:
    """True for a file srs-scan wrote (it carries OWN_OUTPUT_MARK near its start)."""
    try:
        with path.open("rb") as handle:
            return OWN_OUTPUT_MARK in handle.read(OWN_OUTPUT_HEAD_BYTES)
    except OSError:
        return False  # an unreadable file is an input that gets its error row


def check_outputs(files: Sequence[Path], inputs: Sequence[Path], folders: Sequence[Path] = (),
                  stores: Sequence[Path] = ()) -> None:
    """Before anything is read: every output file can be written where it is asked for, and
    none is an input or another output; output folders (overlay pictures) exist or are made.
    `stores` (the results store, whose folder it makes itself) are only checked against the
    inputs and the other outputs. UsageError for a path that cannot be meant,
    EnvironmentFailure for a place that refuses files; both name the path as the user gave it."""
    scans = {path.resolve() for path in inputs}
    given: dict[Path, Path] = {}
    for path in [*stores, *files]:
        real = path.resolve()
        if real in scans:
            raise UsageError(f"{path} is one of the scans to read: give another name to write to")
        if real in given:
            raise UsageError(f"{path} is given for two outputs: give each its own name")
        given[real] = path
    for path in files:
        if path.is_dir():
            raise UsageError(f"{path} is a folder: give a file name to write to")
        if not path.parent.is_dir():
            raise UsageError(f"cannot write {path}: the folder {path.parent} does not exist")
        _try_writing_in(path.parent, path)
    for folder in folders:
        if folder.exists() and not folder.is_dir():
            raise UsageError(f"{folder} is a file, not a folder")
        with failing_file(folder, "make the folder"):
            folder.mkdir(parents=True, exist_ok=True)
        _try_writing_in(folder, folder)


def _try_writing_in(folder: Path, shown: Path) -> None:
    with failing_file(shown, "write"), tempfile.TemporaryFile(dir=folder) as probe:
        probe.write(b"\0")
        probe.flush()
