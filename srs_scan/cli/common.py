"""What every `srs-scan` command shares: exit-code words, option types, shared options, messages.

The commands themselves live beside this module, one module per stage (sheets, batch, review,
clinical), and `__init__.py` lists them in the order `srs-scan --help` shows them. Nothing here
reads a scan or touches the store; heavy imports wait inside functions, so `--help` stays quick.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from srs_scan.errors import ExitCode, UsageError
from srs_scan.text import visible

# The words for each exit code: the README's table says exactly these (a test compares them).
EXIT_CODE_WORDS = {
    ExitCode.OK: "success: every page was read or flagged for review",
    ExitCode.INTERNAL: "an internal error in srs-scan (please report it)",
    ExitCode.BAD_ARGUMENTS: "bad arguments, form file, roster, settings file, or no results store yet",
    ExitCode.SOME_INPUTS_FAILED: "the run finished, but some inputs or pages could not be read at all "
                                 "(damaged, or an encrypted PDF without its right password)",
    ExitCode.ENVIRONMENT: "this computer stopped the run: the disk is full, no permission, a read-only "
                          "or damaged file (the message names the file and the cause; fix that and run "
                          "the same command again); a results store that is empty or was changed outside srs-scan "
                          "(audit --verify says where)",
    ExitCode.INTERRUPTED: "interrupted (Ctrl-C); no output file was left half-written",
}
# every command reads or writes files: any can meet a full disk or a damaged store
_ALWAYS = (ExitCode.OK, ExitCode.INTERNAL, ExitCode.BAD_ARGUMENTS, ExitCode.ENVIRONMENT,
           ExitCode.INTERRUPTED)
# The exit codes each command can return (its --help lists them).
COMMAND_EXIT_CODES: dict[str, tuple[ExitCode, ...]] = {
    "forms": _ALWAYS, "scan": (*_ALWAYS, ExitCode.SOME_INPUTS_FAILED), "watch": _ALWAYS,
    "review": _ALWAYS, "session": _ALWAYS, "export": _ALWAYS, "audit": _ALWAYS, "simulate": _ALWAYS, "enrol": _ALWAYS,
}  # a command not named here can return the codes in _ALWAYS


def exit_codes_help(command: str) -> str:
    codes = sorted(COMMAND_EXIT_CODES.get(command, _ALWAYS))
    return "exit codes:\n" + "".join(f"  {int(c):<4} {EXIT_CODE_WORDS[c]}\n" for c in codes)


def command(commands: argparse._SubParsersAction, name: str, summary: str,
            description: str, epilog: str = "") -> argparse.ArgumentParser:
    """A subcommand whose --help ends with the exit codes it can return, laid out as written."""
    return commands.add_parser(name, help=summary, description=description,
                               epilog=(epilog + "\n\n" if epilog else "") + exit_codes_help(name),
                               formatter_class=argparse.RawDescriptionHelpFormatter)


# --- what the user sees -------------------------------------------------------------------------

def count(n: int, word: str) -> str:
    """`1 page`, `2 pages`."""
    return f"{n} {word}{'' if n == 1 else 's'}"


def say(args: argparse.Namespace, message: str) -> None:
    """A line on stderr, unless --quiet."""
    if not args.quiet:
        print(visible(message), file=sys.stderr)


class Progress:
    """A one-line progress bar on stderr, only when stderr is a terminal."""

    def __init__(self, enabled: bool) -> None:
        import time

        self.enabled, self.clock = enabled, time.monotonic
        self.started = self.clock()

    def show(self, done: int, total: int) -> None:
        if not self.enabled:
            return
        rate = done / max(self.clock() - self.started, 1e-6)
        left = (total - done) / rate if rate else 0.0
        filled = int(30 * done / max(total, 1))
        print(f"\r[{'#' * filled}{'.' * (30 - filled)}] {done}/{total} pages  "
              f"{rate:.1f} pages/s  {left:.0f} s left ", end="", file=sys.stderr, flush=True)

    def close(self) -> None:
        if self.enabled:
            print(file=sys.stderr)


# --- option types ---------------------------------------------------------------------------------

def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


DELIMITER_NAMES = {",": ",", "comma": ",", ";": ";", "semicolon": ";", "tab": "\t", "\t": "\t"}


def _delimiter(text: str) -> str:
    try:
        return DELIMITER_NAMES[text.lower()]
    except KeyError:
        raise argparse.ArgumentTypeError("choose ',' (comma), ';' (semicolon) or tab") from None


def iso_date(text: str):
    import datetime as dt

    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date like 2026-11-26, got {text!r}") from None


def form_arg(text: str) -> Path:
    from srs_scan.sheets.spec import resolve_form

    return resolve_form(text)


# --- options several commands take ----------------------------------------------------------------

def add_table_options(parser: argparse.ArgumentParser, decimals: bool = True) -> None:
    """How numbers and cells are written: every command that writes CSV takes these."""
    if decimals:
        parser.add_argument("--decimals", type=int, choices=range(0, 4), default=1, metavar="N",
                            help="decimals for values in cm (default 1; 2 for research)")
    parser.add_argument("--delimiter", type=_delimiter, default=",", metavar="CHAR",
                        help="CSV delimiter: ',' (default), ';' or tab (what spreadsheets in much of "
                             "Europe expect)")
    parser.add_argument("--decimal-comma", action="store_true",
                        help="write 8,5 instead of 8.5 (with --delimiter ';' or tab), for spreadsheets "
                             "set to German, French, Dutch and similar")


def table_format(args: argparse.Namespace):
    """The CsvFormat the options ask for; warns when the values will be ambiguous in a spreadsheet."""
    from srs_scan.batch.export import CsvFormat, is_workbook

    try:
        fmt = CsvFormat(args.delimiter, args.decimal_comma, getattr(args, "decimals", 1))
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    if fmt.ambiguous() and not is_workbook(getattr(args, "output", None) or ""):
        mark = "," if fmt.decimal_comma else "."
        say(args, f"warning: values with {fmt.decimals} decimals such as 8{mark}505 read as 8505 in a "
                  f"spreadsheet that groups thousands with '{mark}'; write -o results.xlsx or use "
                  f"--decimals 2")
    return fmt


def add_form_option(parser: argparse.ArgumentParser) -> None:
    """One form, for a command that writes sheets of one kind."""
    parser.add_argument("--form", type=form_arg, metavar="NAME|FILE",
                        help="a built-in form (srs, ors) or a form definition file (default: srs)")


def add_forms_options(parser: argparse.ArgumentParser) -> None:
    """The forms a reading command knows: the built-in ones plus any given."""
    parser.add_argument("--form", type=form_arg, action="append", metavar="NAME|FILE",
                        help="a built-in form by name (srs, ors), a form file, or a folder of them, "
                             "added to the built-in forms; may be repeated")
    parser.add_argument("--only-given-forms", action="store_true",
                        help="use only the forms given with --form, not the built-in ones")


def add_reading_options(parser: argparse.ArgumentParser, default_jobs: int) -> None:
    """Options shared by the commands that read scans (scan, watch)."""
    add_table_options(parser)
    parser.add_argument("--jobs", type=positive_int, default=default_jobs, metavar="N",
                        help=f"pages read at once, in separate processes (default {default_jobs})")
    parser.add_argument("--password", metavar="PASSWORD", default=os.environ.get("SRS_SCAN_PASSWORD"),
                        help="password for encrypted PDFs (or set SRS_SCAN_PASSWORD, which keeps it "
                             "out of the shell history)")
    add_forms_options(parser)
    add_db_option(parser)
    add_quiet_option(parser)


def add_quiet_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-q", "--quiet", action="store_true", help="print nothing but errors")


def add_db_option(parser: argparse.ArgumentParser, settings: bool = True) -> None:
    parser.add_argument("--db", type=Path, metavar="FILE",
                        help="the clinic's results store, which keeps every reading of every batch "
                             "(default: $SRS_SCAN_DB, else results.srs.sqlite in the per-user data "
                             "folder, e.g. ~/.local/share/srs-scan)")
    if settings:
        parser.add_argument("--settings", type=Path, metavar="FILE",
                            help="the clinic's alert settings (default: $SRS_SCAN_SETTINGS, else "
                                 "settings.toml beside the results store)")


def store_path(args: argparse.Namespace, must_exist: bool = False) -> Path:
    """The clinic's results store: --db, else $SRS_SCAN_DB, else the per-user data folder."""
    from srs_scan.batch.store import clinic_db

    path, origin = clinic_db(args.db)
    if must_exist and not path.is_file():
        raise UsageError(f"no results store at {path} (chosen by {origin}): scan some sheets "
                         f"first, or give the store with --db FILE")
    return path
