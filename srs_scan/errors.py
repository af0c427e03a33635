"""Every failure in one place: run-stopping errors with their exit codes, and the plain-language
reason a page or file could not be read.

A problem with one page is never an exception that leaves this package: it is a flag or an
error row on that page's result, and the batch goes on. `page_reason` turns whatever stopped a
page into the words on its row (never the exception's own text: it may hold paths). The types
below are for what makes the run itself impossible (bad arguments, a bad form file or roster,
a disk that is full or read-only, a results database that cannot be used); `exit_code_for`
gives the CLI its exit code, in one place.

To add a case: a new cause of a failed page gets a line in `page_reason`; a new way for the
whole run to fail gets an `SrsScanError` subclass with its `exit_code` (and a row in the
README's exit-code table); a file that cannot be written or opened goes through `failing_file`.
"""

from __future__ import annotations

import errno
import os
import sqlite3
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from enum import IntEnum
from pathlib import Path


class ExitCode(IntEnum):
    OK = 0                  # every page was read or flagged for review
    INTERNAL = 1            # a bug in srs-scan: please report it
    BAD_ARGUMENTS = 2       # bad command line, form file, roster, settings file; no results store yet
    SOME_INPUTS_FAILED = 3  # the run finished, but some inputs or pages could not be read at all
                            # (damaged, or an encrypted PDF without its right password)
    ENVIRONMENT = 4         # this computer stopped the run: disk full, no permission, damaged database,
                            # or a results store changed outside srs-scan
    INTERRUPTED = 130       # Ctrl-C; no output file was left half-written


class SrsScanError(Exception):
    """A problem that stops the run, with a message meant for clinic staff."""

    exit_code: ExitCode = ExitCode.INTERNAL


class UsageError(SrsScanError):
    exit_code = ExitCode.BAD_ARGUMENTS


class FormFileError(UsageError):
    """The form definition file is missing or invalid."""


class RosterError(UsageError):
    """The roster CSV for pre-filled sheets is missing or invalid."""


class SettingsError(UsageError):
    """The clinic settings file is unreadable or holds a bad value (the message names the key)."""


class EnvironmentFailure(SrsScanError):
    """The computer would not let the run finish: a file could not be written or opened."""

    exit_code = ExitCode.ENVIRONMENT


# Causes in words, by errno, for failures to write or open a file.
_OS_CAUSES = {
    errno.ENOSPC: "the disk is full",
    errno.EDQUOT: "the disk quota is used up",
    errno.EROFS: "the disk is read-only",
    errno.EACCES: "no permission",
    errno.EPERM: "no permission",
    errno.ENOENT: "the folder does not exist",
    errno.EISDIR: "it is a folder",
    errno.EIO: "the disk reported an input/output error",
}


def failure_cause(exc: BaseException) -> str:
    """Why a file could not be written or opened, in words for clinic staff."""
    if isinstance(exc, OSError):
        return _OS_CAUSES.get(exc.errno or 0, exc.strerror or type(exc).__name__)
    text = str(exc).lower()
    if isinstance(exc, sqlite3.Error):
        if "full" in text:
            return "the disk is full"
        if "readonly" in text or "read-only" in text:
            return "it is read-only (check its permissions and its folder's)"
        if "not a database" in text or "malformed" in text or "encrypted" in text:
            return ("it is damaged or not a results database (move it aside and scan again, or "
                    "restore it from a backup)")
        if "locked" in text or "busy" in text:
            return "another program is using it"
        if "unable to open" in text:
            return "it cannot be opened"
        if "disk i/o" in text:
            return "the disk reported an input/output error"
    return type(exc).__name__


@contextmanager
def failing_file(path: Path | str, doing: str) -> Iterator[None]:
    """Turn an OS or SQLite failure on `path` into an EnvironmentFailure that names the
    user's path (never a temporary file) and the cause: "cannot write results.csv: the disk is full"."""
    try:
        yield
    except (OSError, sqlite3.Error) as exc:
        cause = failure_cause(exc)
        if isinstance(exc, sqlite3.Error) and "damaged" not in cause:
            cause = _folder_cause(Path(path)) or cause  # SQLite says "unable to open": say why
        raise EnvironmentFailure(f"cannot {doing} {path}: {cause}") from exc


def _folder_cause(path: Path) -> str | None:
    """Why nothing can be written beside `path` (SQLite needs its folder for its journal files)."""
    folder = path.parent
    try:
        if os.statvfs(folder).f_flag & os.ST_RDONLY:
            return _OS_CAUSES[errno.EROFS]
    except (OSError, AttributeError):  # no statvfs (Windows) or no folder
        return None
    return None if os.access(folder, os.W_OK) else "no permission to write in its folder"


class PageRefused(Exception):
    """A page or file the reader will not read; its message is already the reason for staff."""


# The computer's own reasons, said the same way on a failed page's row as when a run stops.
_INPUT_CAUSES = (errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM, errno.EIO)


def _is_a(exc: BaseException, module: str, name: str) -> bool:
    """isinstance against a library's exception type without importing the library here (an
    exception of a library that was never imported cannot have been raised)."""
    cls = getattr(sys.modules.get(module), name, None)
    return isinstance(cls, type) and isinstance(exc, cls)


def page_reason(exc: BaseException, kind: str = "file") -> str:
    """Why a page (or a whole file) could not be read, in words for clinic staff.

    `kind` names the file type ("PDF", "TIFF", ...). Our own refusals keep their wording;
    anything else is described by its type, never by its text (which may hold paths).
    """
    if isinstance(exc, PageRefused):
        return str(exc)
    if isinstance(exc, MemoryError):
        return "page too large for the memory available"
    if _is_a(exc, "concurrent.futures.process", "BrokenProcessPool"):
        return "the reading process stopped (out of memory or killed)"
    if isinstance(exc, OSError) and exc.errno in _INPUT_CAUSES:
        return f"could not read this file: {_OS_CAUSES[exc.errno]}"
    if isinstance(exc, (OSError, SyntaxError, ValueError, EOFError)):
        if isinstance(exc, EOFError) or "truncated" in str(exc).lower():
            return f"file is damaged (truncated {kind})"
        return f"file is damaged (unreadable {kind} data)"
    if _is_a(exc, "pypdfium2", "PdfiumError"):
        return "page is damaged (the PDF page could not be drawn)"
    return f"could not read this page (an unexpected {type(exc).__name__}: please report it)"


def exit_code_for(exc: BaseException) -> ExitCode:
    """The exit code of a run stopped by `exc`."""
    if isinstance(exc, SrsScanError):
        return exc.exit_code
    if isinstance(exc, KeyboardInterrupt):
        return ExitCode.INTERRUPTED
    if isinstance(exc, (OSError, sqlite3.Error)):  # a file no code path expected to fail
        return ExitCode.ENVIRONMENT
    return ExitCode.INTERNAL


class NotAStore(UsageError):
    """The file given as the results store is not one (another file, or from a newer srs-scan)."""


class StoreError(SrsScanError):
    """The results store cannot be trusted as it is; the message says what to do."""

    exit_code = ExitCode.ENVIRONMENT


class StoreDamaged(StoreError):
    """Empty, or SQLite finds it damaged."""


class StoreTampered(StoreError):
    """A stored row or the chain over them was changed outside srs-scan."""
