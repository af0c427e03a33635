"""Errors that stop a whole run, each with its exit code.

A problem with one page is never an exception here: it is a flag or an error
row on that page's result, and the batch goes on. These types are for what
makes the run itself impossible (bad arguments, a bad form file or roster, a
disk that is full or read-only, a results database that cannot be used).
The CLI maps them to exit codes in one place.
"""

from __future__ import annotations

import errno
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from enum import IntEnum
from pathlib import Path


class ExitCode(IntEnum):
    OK = 0                  # every page was read or flagged for review
    INTERNAL = 1            # a bug in srs-scan: please report it
    BAD_ARGUMENTS = 2       # bad command line, form file, roster or password
    SOME_INPUTS_FAILED = 3  # the run finished, but some inputs or pages could not be read at all
    ENVIRONMENT = 4         # this computer stopped the run: disk full, no permission, damaged database
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
        raise EnvironmentFailure(f"cannot {doing} {path}: {failure_cause(exc)}") from exc
