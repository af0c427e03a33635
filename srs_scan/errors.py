"""Errors that stop a whole run, each with its exit code.

A problem with one page is never an exception here: it is a flag or an error
row on that page's result, and the batch goes on. These types are for what
makes the run itself impossible (bad arguments, a bad form file or roster).
The CLI maps them to exit codes in one place.
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0                  # every page was read or flagged for review
    INTERNAL = 1            # a bug in srs-scan: please report it
    BAD_ARGUMENTS = 2       # bad command line, form file, roster or password
    SOME_INPUTS_FAILED = 3  # the run finished, but some inputs or pages could not be read at all
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
