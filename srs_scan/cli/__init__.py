"""The `srs-scan` command: parse arguments, run one command, map errors to exit codes.

This package is the only code that prints or exits. Every other module returns data or raises a
typed error from `errors.py`, and `main` below turns it into a message and an exit code.

Where a command lives (one module per stage, like the package's folders):
  sheets.py    forms, enrol, labels, simulate        paper out
  batch.py     scan, watch, export, import           many pages in, kept and written
  review.py    review, session, audit                a person's decisions
  clinical.py  client, report, settings              readings -> what a clinician acts on
  common.py    exit-code words, shared options and option types, say/count/store_path
To add a command: write `add_NAME(commands)` (its options, `set_defaults(run=cmd_NAME)`) and
`cmd_NAME(args)` in the module of its stage, then list `add_NAME` in COMMANDS below.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import sys
from collections.abc import Callable, Sequence

from srs_scan import __version__
from srs_scan.cli import batch, clinical, review, sheets
from srs_scan.cli.common import COMMAND_EXIT_CODES, EXIT_CODE_WORDS
from srs_scan.cli.sheets import SIMULATE_PROFILES
from srs_scan.errors import ExitCode, SrsScanError, UsageError, exit_code_for, failure_cause
from srs_scan.text import visible

# Every command, in the order `srs-scan --help` lists them.
COMMANDS: tuple[Callable[[argparse._SubParsersAction], None], ...] = (
    sheets.add_forms, sheets.add_enrol, sheets.add_labels,
    batch.add_scan, batch.add_watch,
    review.add_review, review.add_session, batch.add_export, review.add_audit,
    clinical.add_client, clinical.add_report, clinical.add_settings,
    batch.add_import, sheets.add_simulate,
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="srs-scan",
        description="Print, scan and score Session Rating Scale sheets. Everything stays on this computer.")
    parser.add_argument("--version", action="version", version=f"srs-scan {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for add in COMMANDS:
        add(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    if not (sys.argv[1:] if argv is None else argv):
        parser.print_help()
        return int(ExitCode.OK)
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse has printed its one-line message
        return int(exc.code or 0) and int(ExitCode.BAD_ARGUMENTS)
    run: Callable[[argparse.Namespace], int | None] = args.run
    try:
        return int(run(args) or ExitCode.OK)
    except SrsScanError as exc:
        print(visible(f"srs-scan: {exc}"), file=sys.stderr)
        return int(exc.exit_code)
    except KeyboardInterrupt:
        print("srs-scan: interrupted; no output file was left half-written", file=sys.stderr)
        return int(ExitCode.INTERRUPTED)
    except BrokenPipeError:  # the reader of our output went away (`| head`): nothing to say
        _quiet_stdout()
        return int(ExitCode.OK)
    except (OSError, sqlite3.Error) as exc:  # a file no code path expected to fail: still name it
        where = getattr(exc, "filename", None) or (
            "the results database" if isinstance(exc, sqlite3.Error) else "a file")
        print(visible(f"srs-scan: cannot use {where}: {failure_cause(exc)}"), file=sys.stderr)
        return int(exit_code_for(exc))
    except Exception as exc:  # a bug: say so plainly; the traceback only when asked for
        if os.environ.get("SRS_SCAN_DEBUG"):
            raise
        print(f"srs-scan: internal error ({type(exc).__name__}); no output file was left "
              f"half-written. Set SRS_SCAN_DEBUG=1 to see the details, and please report it.",
              file=sys.stderr)
        return int(ExitCode.INTERNAL)


def _quiet_stdout() -> None:
    """Point stdout at /dev/null, so that Python's own flush at exit finds no closed pipe."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):  # not a real file (a test's stand-in)
        pass


__all__ = ["main", "build_parser", "UsageError", "COMMANDS", "COMMAND_EXIT_CODES", "EXIT_CODE_WORDS",
           "SIMULATE_PROFILES"]
