"""The `srs-scan` command: parse arguments, run one command, map errors to exit codes.

This is the only module that prints or exits. Every other module returns data
or raises a typed error from `errors.py`.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import sqlite3
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from srs_scan import __version__
from srs_scan.errors import (ExitCode, RosterError, SrsScanError, UsageError, failing_file,
                             exit_code_for, failure_cause)
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
    "review": _ALWAYS, "export": _ALWAYS, "audit": _ALWAYS, "simulate": _ALWAYS, "enrol": _ALWAYS,
}  # a command not named here can return the codes in _ALWAYS


def exit_codes_help(command: str) -> str:
    codes = sorted(COMMAND_EXIT_CODES.get(command, _ALWAYS))
    return "exit codes:\n" + "".join(f"  {int(c):<4} {EXIT_CODE_WORDS[c]}\n" for c in codes)


def _count(n: int, word: str) -> str:
    """`1 page`, `2 pages`."""
    return f"{n} {word}{'' if n == 1 else 's'}"


def _positive_int(text: str) -> int:
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


def _add_table_options(parser: argparse.ArgumentParser, decimals: bool = True) -> None:
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


def _table_format(args: argparse.Namespace):
    """The CsvFormat the options ask for; warns when the values will be ambiguous in a spreadsheet."""
    from srs_scan.batch.export import CsvFormat, is_workbook

    try:
        fmt = CsvFormat(args.delimiter, args.decimal_comma, getattr(args, "decimals", 1))
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    if fmt.ambiguous() and not is_workbook(getattr(args, "output", None) or ""):
        mark = "," if fmt.decimal_comma else "."
        _say(args, f"warning: values with {fmt.decimals} decimals such as 8{mark}505 read as 8505 in a "
                   f"spreadsheet that groups thousands with '{mark}'; write -o results.xlsx or use "
                   f"--decimals 2")
    return fmt


def _iso_date(text: str):
    import datetime as dt

    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date like 2026-11-26, got {text!r}") from None


def _form_arg(text: str) -> Path:
    from srs_scan.sheets.spec import resolve_form

    return resolve_form(text)


def _add_form_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--form", type=_form_arg, metavar="NAME|FILE",
                        help="a built-in form (srs, ors) or a form definition file (default: srs)")


def _cmd_forms(args: argparse.Namespace) -> None:
    from srs_scan.fileio import write_atomic
    from srs_scan.sheets.generate import render_sheets
    from srs_scan.sheets.sheetid import SheetId, new_serials, read_roster
    from srs_scan.sheets.spec import DEFAULT_FORM, load_form

    specs = [load_form(path) for path in args.form or [DEFAULT_FORM]]
    for path, spec in zip(args.form or [DEFAULT_FORM], specs):
        if spec.enrolled is not None:
            raise UsageError(f"{path.name} is an enrolled form: print the blank it was enrolled "
                             f"from, not sheets made by srs-scan")
    if len({spec.form_id for spec in specs}) != len(specs):
        raise UsageError("give each --form once")
    kinds = [(spec.form_id, spec.version) for spec in specs]
    rng = random.Random(args.seed) if args.seed is not None else None
    if args.roster:
        try:
            text = args.roster.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            raise RosterError(f"cannot read roster {args.roster}: {exc}") from None
        try:
            sheets = read_roster(text, kinds, rng,
                                 warn=lambda message: print(f"srs-scan: warning: {args.roster.name}: "
                                                            f"{message}", file=sys.stderr))
        except ValueError as exc:
            raise RosterError(f"{args.roster.name}: {exc}") from None
    else:  # --count sets of blank sheets, one of each form per set
        serials = iter(new_serials(args.count * len(kinds), rng))
        sheets = [SheetId(f, v, next(serials)) for _ in range(args.count) for f, v in kinds]
    pdf = render_sheets(specs, sheets, args.paper, invariant=args.seed is not None)
    write_atomic(args.output, pdf)
    print(f"wrote {_count(len(sheets), 'sheet')} ({args.paper}) to {args.output}")
    print("Print at 100 % (actual size); \"fit to page\" shrinks the lines.")


def _cmd_enrol(args: argparse.Namespace) -> None:
    from srs_scan.sheets.enrol import enrol, write_form

    name = args.name or args.output.stem
    if not name.replace("-", "_").isidentifier():
        raise UsageError(f"--name '{name}' must be a plain word (letters, digits, - or _)")
    items = [i.strip() for i in args.items.split(",")] if args.items else None
    if items and not all(i.isidentifier() for i in items):
        raise UsageError("--items must be plain words (a-z, 0-9, _), separated by commas")
    if not args.blank.is_file():
        raise UsageError(f"no such file: {args.blank}")
    found = enrol(args.blank)
    reference, picture = write_form(found, args.output, name, items, args.blank.name)
    ids = items or [f"line{i + 1}" for i in range(len(found.lines))]
    print(f"{args.blank.name}: {found.size_mm[0]:.1f} x {found.size_mm[1]:.1f} mm "
          f"({found.scale_note}); {len(found.lines)} line(s):")
    for item_id, line in zip(ids, found.lines):
        ends = "end ticks" if line.ticks else "no end ticks: its own ends count"
        print(f"  {item_id}: {line.length_mm:.1f} mm long, left end at ({line.x_mm:.1f}, "
              f"{line.y_mm:.1f}) mm, {ends}")
    for line in found.ignored:
        print(f"  ignored: a {line.length_mm:.1f} mm line without end ticks at y = "
              f"{line.y_mm:.1f} mm (a writing line?)")
    print(f"wrote {args.output} and {reference.name}; check {picture} before reading copies")


def _cmd_labels(args: argparse.Namespace) -> None:
    from srs_scan.fileio import write_atomic
    from srs_scan.sheets.labels import LABEL_SHEETS, render_labels
    from srs_scan.sheets.sheetid import read_roster
    from srs_scan.sheets.spec import DEFAULT_FORM, load_form

    spec = load_form(args.form or DEFAULT_FORM)
    try:
        text = args.roster.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise RosterError(f"cannot read roster {args.roster}: {exc}") from None
    rng = random.Random(args.seed) if args.seed is not None else None
    try:
        sheets = read_roster(text, [(spec.form_id, spec.version)], rng,
                             warn=lambda message: print(message, file=sys.stderr))
    except ValueError as exc:
        raise RosterError(f"{args.roster.name}: {exc}") from None
    layout = LABEL_SHEETS[args.paper]
    write_atomic(args.output, render_labels(sheets, args.paper, invariant=args.seed is not None))
    pages = -(-len(sheets) // layout.per_sheet)
    print(f"wrote {len(sheets)} label{'s' if len(sheets) != 1 else ''} on {pages} sheet"
          f"{'s' if pages != 1 else ''} of {layout.product} to {args.output}")
    print("Print at 100 % (actual size). Stick one on each form, anywhere clear of the lines.")


def _cmd_scan(args: argparse.Namespace) -> int:
    from srs_scan import clinic_cli
    import time

    from srs_scan.batch.export import write_json, write_table
    from srs_scan.batch.pipeline import ScanOptions, identify, own_outputs, read_batch
    from srs_scan.batch.store import ResultStore
    from srs_scan.fileio import check_outputs
    from srs_scan.read.pages import find_inputs
    from srs_scan.results import DUPLICATE_SHEET, Status
    from srs_scan.review.decisions import ReviewLog, reviewed_table
    from srs_scan.sheets.spec import load_form_library

    fmt = _table_format(args)
    forms = load_form_library(args.form, args.only_given_forms)
    db = _store_path(args)
    files, skipped = find_inputs(args.inputs)
    # before anything is read: an output that is one of the inputs, or that cannot be written
    check_outputs([args.output, *([args.json] if args.json else [])], files,
                  [args.overlays] if args.overlays else [], stores=[db])
    written = [args.output, args.json, args.overlays, db, db.with_name(db.name + "-wal"),
               db.with_name(db.name + "-shm")]
    skipped, _ = own_outputs(skipped, written)
    files, ours = own_outputs(files, written)
    if skipped:
        _say(args, f"skipped {_count(len(skipped), 'file')} in folders that are not scans "
                   f"(for example {skipped[0].name})")
    if ours:
        _say(args, f"skipped {_count(len(ours), 'picture')} srs-scan wrote "
                   f"(for example {ours[0].name}): not scans")
    if not files:
        raise UsageError("no scans found (looked for PDF, TIFF, PNG and JPEG files)")
    inputs, repeats = identify(files)
    for path, first in repeats:
        _say(args, f"{path} has the same content as {first}: read once")
    options = ScanOptions(password=args.password, jobs=args.jobs, overlays=args.overlays)
    started = time.monotonic()
    progress = _Progress(enabled=not args.quiet and sys.stderr.isatty())
    with failing_file(db, "use the results database"), ResultStore(db) as store:
        batch = read_batch(inputs, forms, options, store, progress.show, waiting=lambda: _say(
            args, "another scan is reading some of these files: waiting for it, then using its readings"))
        # the store is the truth: the CSV carries every review decision made so far
        alerts = clinic_cli.sheet_alerts(args, store)
        table = reviewed_table(ReviewLog(store), forms, fmt.decimals, zip(batch.digests, batch.results),
                               alerts)
    progress.close()
    results = batch.results
    write_table(args.output, table, fmt)
    if args.json:
        write_json(args.json, results, [alerts.get((d, r.page), ()) for d, r in zip(batch.digests, results)])
    counts = {status: sum(r.status is status for r in results) for status in Status}
    refed = sum(DUPLICATE_SHEET in r.flags for r in results)
    # "read" is the work done on a page; a page with nothing flagged is "ok"
    fed_again = f" ({_count(refed, 'sheet')} fed again)" if refed else ""
    not_forms = counts[Status.NOT_A_FORM]
    _say(args, f"{_count(len(results), 'page')} ({batch.read_now} read now) in "
               f"{time.monotonic() - started:.1f} s: {counts[Status.OK]} ok, "
               f"{counts[Status.REVIEW]} to review{fed_again}, "
               f"{not_forms} not {'a form' if not_forms == 1 else 'forms'}, "
               f"{_count(counts[Status.ERROR], 'error')}; wrote {args.output}")
    return ExitCode.SOME_INPUTS_FAILED if counts[Status.ERROR] else ExitCode.OK


def _cmd_watch(args: argparse.Namespace) -> int:
    from srs_scan.batch.pipeline import ScanOptions
    from srs_scan.batch.store import ResultStore
    from srs_scan.batch.watch import HotFolder, Taken, WatchOptions
    from srs_scan.results import Status
    from srs_scan.sheets.spec import load_form_library
    from srs_scan.batch.export import is_workbook

    if not args.inbox.is_dir():
        raise UsageError(f"not a folder: {args.inbox}")
    if is_workbook(args.output):
        raise UsageError("watch adds rows to a CSV file; for a workbook, run "
                         "'srs-scan export -o results.xlsx' when you need one")
    fmt = _table_format(args)
    forms = load_form_library(args.form, args.only_given_forms)
    options = ScanOptions(password=args.password, jobs=args.jobs)

    def report(taken: Taken) -> None:
        where = f"{taken.target.parent.name}/"
        if taken.same_as is not None:
            _say(args, f"{taken.path.name}: the same content as {taken.same_as.name}, already read: "
                       f"no rows added; moved to {where}")
            return
        errors = sum(r.status is Status.ERROR for r in taken.results)
        review = sum(r.status is Status.REVIEW for r in taken.results)
        _say(args, f"{taken.path.name}: {_count(len(taken.results), 'page')}, {review} to review, "
                   f"{_count(errors, 'error')}; moved to {where}")

    with ResultStore(_store_path(args)) as store:
        folder = HotFolder(args.inbox, args.output, forms, store, options,
                           WatchOptions(settle_s=args.settle, csv=fmt,
                                        incomplete_wait_s=args.incomplete_wait))
        _say(args, f"watching {args.inbox} (Ctrl-C to stop); rows go to {args.output}")
        try:
            folder.run(lambda: False, report)  # Ctrl-C ends it: main() says so and exits 130
        finally:
            folder.close()
    return ExitCode.OK


def _store_path(args: argparse.Namespace, must_exist: bool = False) -> Path:
    """The clinic's results store: --db, else $SRS_SCAN_DB, else the per-user data folder."""
    from srs_scan.batch.store import clinic_db

    path, origin = clinic_db(args.db)
    if must_exist and not path.is_file():
        raise UsageError(f"no results store at {path} (chosen by {origin}): scan some sheets "
                         f"first, or give the store with --db FILE")
    return path


def _count(n: int, word: str) -> str:
    """`1 page`, `2 pages`."""
    return f"{n} {word}{'' if n == 1 else 's'}"


def _cmd_review(args: argparse.Namespace) -> int:
    import tempfile
    import webbrowser

    from srs_scan.sheets.spec import load_form_library
    from srs_scan.batch.store import ResultStore
    from srs_scan.review.web import bind_loopback, create_app, launcher_page, new_token, serve

    db = _store_path(args, must_exist=True)
    ResultStore(db).close()  # checked here, so a bad store is a message, not a server's traceback
    forms = load_form_library(args.form, args.only_given_forms)
    sock = bind_loopback(args.port)
    port = sock.getsockname()[1]
    token = new_token()
    url = f"http://127.0.0.1:{port}/#token={token}"  # a fragment: never sent to any server
    app = create_app(db, forms, token, port)
    print(f"review page for {db.name}: {url}")
    print("Only this computer can open it. Press Ctrl-C to stop.")
    # the launcher's folder goes on every way of stopping but kill -9: Ctrl-C, SIGTERM, SIGHUP
    with _signals_interrupt(), tempfile.TemporaryDirectory(prefix="srs-review-") as private:  # mode 0700
        if not args.no_browser:
            # the browser gets a private file that redirects, never the token on its command line
            webbrowser.open(launcher_page(url, Path(private)).as_uri())
        try:
            serve(app, sock)
        except KeyboardInterrupt:
            pass
    return ExitCode.OK


@contextlib.contextmanager
def _signals_interrupt() -> Iterator[None]:
    """SIGTERM stops the command like Ctrl-C, so `with` blocks clean up; SIGHUP (the terminal
    closed) is taken as SIGTERM. uvicorn takes SIGTERM while it serves, shuts down, then raises it
    again: it arrives here."""
    import signal

    def interrupt(_signum: int, _frame: object) -> None:
        raise KeyboardInterrupt

    def hang_up(_signum: int, _frame: object) -> None:
        signal.raise_signal(signal.SIGTERM)  # whoever handles SIGTERM now (uvicorn, or `interrupt`)

    handlers = {"SIGTERM": interrupt, "SIGHUP": hang_up}
    before = {sig: signal.signal(sig, handler) for name, handler in handlers.items()
              if (sig := getattr(signal, name, None)) is not None}
    try:
        yield
    finally:
        for sig, handler in before.items():
            signal.signal(sig, handler)


def _cmd_export(args: argparse.Namespace) -> int:
    from srs_scan import clinic_cli
    from srs_scan.batch.export import Table, write_table
    from srs_scan.batch.store import ResultStore
    from srs_scan.review.decisions import ReviewLog, reviewed_table
    from srs_scan.sheets.spec import load_form_library

    db = _store_path(args, must_exist=True)
    fmt = _table_format(args)
    forms = load_form_library(args.form, args.only_given_forms)
    with ResultStore(db) as store:
        if args.format == "openfit":
            return clinic_cli.export_openfit(args, store, fmt)
        table = reviewed_table(ReviewLog(store), forms, fmt.decimals, alerts=clinic_cli.sheet_alerts(args, store))
    rows = [row for row in table.rows if clinic_cli.wanted(row.get("client_code"), row.get("date"),
                                                 row.get("scanned_at"), args)]
    write_table(args.output, Table(table.columns, rows), fmt)
    _say(args, f"wrote {_count(len(rows), 'row')} with reviewed values to {args.output}")
    return ExitCode.OK


def _cmd_audit(args: argparse.Namespace) -> int:
    from srs_scan.review.decisions import ReviewLog
    from srs_scan.batch.store import ResultStore

    if args.verify:
        return _verify_store(_store_path(args, must_exist=True), args.head or "")
    with ResultStore(_store_path(args, must_exist=True)) as store:
        log = ReviewLog(store)
        serials = {}
        for stored in log.pages():
            sheet = stored.result.sheet
            serials[(stored.content_hash, stored.result.page)] = (
                f"{stored.result.file} p{stored.result.page}",
                f"sheet {sheet.serial}" if sheet and sheet.serial else "no sheet code")
        decisions = log.decisions()
    if not decisions:
        print("no changes recorded yet")
    def cm(value: float | None) -> str:
        return "-" if value is None else f"{value:.1f}"

    for d in decisions:
        where, sheet = serials.get((d.content_hash, d.page), ("(page no longer stored)", ""))
        # names, notes, file names and codes may hold anything a forged sheet or store put there:
        # shown, never run by the terminal
        print(visible(f"{d.at}  {d.reviewer}  {where}  {sheet}  {d.item_id or '(page)'}  "
              f"{cm(d.old_value)} -> {cm(d.new_value)}  {d.action}  {d.reason}"))
    return ExitCode.OK


def _verify_store(db: Path, known_head: str) -> int:
    """`audit --verify`: walk the store's hash chain, print the first broken link (exit 4) or the head."""
    from srs_scan.batch.store import ResultStore

    with ResultStore(db, check_chain=False) as store:
        verdict = store.verify(known_head)
    if verdict.started:
        print(f"the chain began on this existing store at {verdict.started}")
    if verdict.intact:
        print(f"{db}: intact: {verdict.entries} sealed writes; chain head {verdict.head}")
        print("Keep the head somewhere else: `audit --verify --head HEAD` later shows whether anything "
              "written before it was rewritten, even by someone who knows the chain.")
        return ExitCode.OK
    print(f"{db}: changed outside srs-scan. First broken link: {verdict.problems[0]}")
    for problem in verdict.problems[1:]:
        print(f"  also: {problem}")
    return ExitCode.ENVIRONMENT


def _say(args: argparse.Namespace, message: str) -> None:
    if not args.quiet:
        print(visible(message), file=sys.stderr)


class _Progress:
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

# simulate.PROFILE_NAMES, repeated so that `srs-scan --help` does not load the simulator
SIMULATE_PROFILES = ("office", "fit-to-page", "fax", "low-res", "phone", "messy", "stray", "mixed")


def _cmd_simulate(args: argparse.Namespace) -> None:
    import secrets

    from srs_scan.simulate import simulate
    from srs_scan.sheets.spec import DEFAULT_FORM, load_form

    seed = args.seed if args.seed is not None else secrets.randbelow(10**6)
    fmt = _table_format(args)
    sim = simulate(args.out_dir, args.profile, args.pages, seed, args.paper,
                   load_form(args.form or DEFAULT_FORM), fmt=fmt)
    print(f"wrote {_count(len(sim.rows), 'simulated page')} ({args.profile}, seed {seed}) to {args.out_dir}:")
    for name in sim.files:
        print(f"  {name}")
    print("  truth.csv (the true value of every mark, and what a reader must flag)")


def _add_reading_options(parser: argparse.ArgumentParser, default_jobs: int) -> None:
    """Options shared by the commands that read scans (scan, watch)."""
    _add_table_options(parser)
    parser.add_argument("--jobs", type=_positive_int, default=default_jobs, metavar="N",
                        help=f"pages read at once, in separate processes (default {default_jobs})")
    parser.add_argument("--password", metavar="PASSWORD", default=os.environ.get("SRS_SCAN_PASSWORD"),
                        help="password for encrypted PDFs (or set SRS_SCAN_PASSWORD, which keeps it "
                             "out of the shell history)")
    _add_forms_options(parser)
    _add_db_option(parser)
    parser.add_argument("-q", "--quiet", action="store_true", help="print nothing but errors")


def _add_forms_options(parser: argparse.ArgumentParser) -> None:
    """The forms a reading command knows: the built-in ones plus any given."""
    parser.add_argument("--form", type=_form_arg, action="append", metavar="NAME|FILE",
                        help="a built-in form by name (srs, ors), a form file, or a folder of them, "
                             "added to the built-in forms; may be repeated")
    parser.add_argument("--only-given-forms", action="store_true",
                        help="use only the forms given with --form, not the built-in ones")


def _add_db_option(parser: argparse.ArgumentParser, settings: bool = True) -> None:
    parser.add_argument("--db", type=Path, metavar="FILE",
                        help="the clinic's results store, which keeps every reading of every batch "
                             "(default: $SRS_SCAN_DB, else results.srs.sqlite in the per-user data "
                             "folder, e.g. ~/.local/share/srs-scan)")
    if settings:
        parser.add_argument("--settings", type=Path, metavar="FILE",
                            help="the clinic's alert settings (default: $SRS_SCAN_SETTINGS, else "
                                 "settings.toml beside the results store)")


def _command(commands: argparse._SubParsersAction, name: str, summary: str,
             description: str, epilog: str = "") -> argparse.ArgumentParser:
    """A subcommand whose --help ends with the exit codes it can return, laid out as written."""
    return commands.add_parser(name, help=summary, description=description,
                               epilog=(epilog + "\n\n" if epilog else "") + exit_codes_help(name),
                               formatter_class=argparse.RawDescriptionHelpFormatter)


def build_parser() -> argparse.ArgumentParser:
    from srs_scan import clinic_cli
    parser = argparse.ArgumentParser(
        prog="srs-scan",
        description="Print, scan and score Session Rating Scale sheets. Everything stays on this computer.")
    parser.add_argument("--version", action="version", version=f"srs-scan {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    forms = _command(
        commands, "forms", summary="write printable sheets to a PDF",
        description="Write printable SRS (or ORS) sheets to a PDF: blank sheets with distinct serials, "
                    "or one pre-filled sheet per row of a roster.",
        epilog="Print the PDF at 100 % (actual size).")
    forms.add_argument("output", type=Path, metavar="OUT.pdf", help="PDF file to write")
    what = forms.add_mutually_exclusive_group()
    what.add_argument("--count", type=_positive_int, default=1, metavar="N",
                      help="number of blank sheets, each with its own serial (default 1)")
    what.add_argument("--roster", type=Path, metavar="roster.csv",
                      help="CSV with columns client_code, session, date and optionally age_band "
                           "(adult, adolescent, child): one pre-filled sheet per row and form")
    forms.add_argument("--paper", choices=("a4", "letter"), default="a4", help="paper size (default a4)")
    forms.add_argument("--form", type=_form_arg, action="append", metavar="NAME|FILE",
                       help="a built-in form (srs, ors) or a form file (default: srs); give it twice "
                            "(--form ors --form srs) for both sheets per roster row, in that order")
    forms.add_argument("--seed", type=int, default=None,
                       help="make serials and the PDF reproducible (for tests and samples; "
                            "never for sheets you hand out)")
    forms.set_defaults(run=_cmd_forms)

    enrol = _command(
        commands, "enrol", summary="enrol a blank form without markers, to read its copies",
        description="Find every visual analogue scale line on a blank form (PDF, PNG or JPEG), "
                    "and write a form file (with the blank's reference image beside it) that "
                    "`scan --form` reads filled copies with. Also writes a picture of the blank "
                    "with each line found drawn and labelled: check it.")
    enrol.add_argument("blank", type=Path, metavar="BLANK", help="the blank form")
    enrol.add_argument("-o", "--output", type=Path, required=True, metavar="forms/NAME.toml",
                       help="form file to write")
    enrol.add_argument("--items", metavar="a,b,c",
                       help="item ids, top to bottom (default line1, line2, ...)")
    enrol.add_argument("--name", metavar="NAME", help="the form's id (default: the file's name)")
    enrol.set_defaults(run=_cmd_enrol)

    labels = _command(
        commands, "labels", summary="print sticky labels with a QR code per roster row",
        description="Print one sticky label per roster row (client_code, session, date): a QR "
                    "code with opaque ids and the client code in text, for forms that carry no "
                    "QR code of ours. The reader finds a label anywhere on the page.",
        epilog="label sheets: a4 = Avery L7160 (21 labels, 63.5 x 38.1 mm); letter = Avery "
               "5160 (30 labels, 2 5/8 x 1 in), and their compatibles.")
    labels.add_argument("roster", type=Path, metavar="roster.csv",
                        help="CSV with columns client_code, session, date")
    labels.add_argument("-o", "--output", type=Path, required=True, metavar="labels.pdf",
                        help="PDF file to write: one label sheet per page")
    labels.add_argument("--paper", choices=("a4", "letter"), default="a4",
                        help="a4: Avery L7160; letter: Avery 5160 (default a4)")
    _add_form_option(labels)
    labels.add_argument("--seed", type=int, default=None,
                        help="reproducible serials (for tests; never for labels you hand out)")
    labels.set_defaults(run=_cmd_labels)

    scan = _command(
        commands, "scan", summary="read scanned sheets and write scores to CSV",
        description="Read scanned SRS sheets (PDF, TIFF, PNG, JPEG; files or folders), measure "
                    "every pen mark in cm, flag what a person must check, and write one CSV row "
                    "per page.")
    scan.add_argument("inputs", nargs="+", type=Path, metavar="INPUT",
                      help="scan files, or folders to search (recursively, in name order)")
    scan.add_argument("-o", "--output", type=Path, required=True, metavar="results.csv",
                      help="CSV file to write (one row per page), or results.xlsx for a workbook "
                           "that opens right in every spreadsheet")
    scan.add_argument("--overlays", type=Path, metavar="DIR",
                      help="write one picture per page showing what was read, for checking")
    scan.add_argument("--json", type=Path, metavar="FILE",
                      help="also write every detail (all candidate marks) as JSON")
    _add_reading_options(scan, default_jobs=os.cpu_count() or 1)
    scan.set_defaults(run=_cmd_scan)

    watch = _command(
        commands, "watch", summary="read each scan a network scanner drops into a folder",
        description="Watch a folder: read each new scan once it is completely written, add its rows "
                    "to the CSV, and move it to done/ (or failed/, with a reason file).")
    watch.add_argument("inbox", type=Path, metavar="INBOX", help="the folder the scanner writes to")
    watch.add_argument("-o", "--output", type=Path, required=True, metavar="results.csv",
                       help="CSV file kept up to date: one row per page of every file taken")
    watch.add_argument("--settle", type=float, default=3.0, metavar="SECONDS",
                       help="read a file once it has not changed for this long (default 3)")
    watch.add_argument("--incomplete-wait", type=float, default=300.0, metavar="SECONDS",
                       help="a file that is not yet whole (a PDF without its end, a TIFF whose "
                            "pages point past its end) is waited for; after this long unchanged "
                            "it is read anyway and fails with its reason (default 300)")
    _add_reading_options(watch, default_jobs=1)
    watch.set_defaults(run=_cmd_watch)

    review = _command(
        commands, "review", summary="settle flagged items on a local web page",
        description="Open a web page, on this computer only, that shows every flagged item with "
                    "the picture of its line: click where the mark meets the line, pick a mark, or "
                    "say no answer / not a form. Every change is kept with who, when and why.")
    _add_db_option(review, settings=False)
    review.add_argument("--port", type=int, default=0, metavar="N",
                        help="port on 127.0.0.1 (default: any free port)")
    review.add_argument("--no-browser", action="store_true", help="only print the link")
    _add_forms_options(review)
    review.set_defaults(run=_cmd_review)

    export = _command(
        commands, "export", summary="write the CSV with reviewed values",
        description="Write one CSV row per stored page with the values as reviewed, plus the "
                    "columns reviewed (yes/no) and reviewer.")
    export.add_argument("-o", "--output", type=Path, required=True, metavar="results.csv",
                        help="CSV file to write (one row per stored page), or results.xlsx for a workbook")
    _add_db_option(export)
    _add_table_options(export)
    export.add_argument("--client", metavar="CODE", help="only this client's sheets")
    export.add_argument("--since", type=_iso_date, metavar="YYYY-MM-DD",
                        help="only sessions on or after this date (a sheet without a date: the day "
                             "it was scanned)")
    export.add_argument("--format", choices=("pages", "openfit"), default="pages",
                        help="pages: one row per page (default); openfit: one row per client "
                             "session in OpenFIT's import layout (see the README)")
    _add_forms_options(export)
    export.add_argument("-q", "--quiet", action="store_true", help="print nothing but errors")
    export.set_defaults(run=_cmd_export)

    audit = _command(
        commands, "audit", summary="list every change made in review",
        description="List every review decision, oldest first: when, who, which page and item, "
                    "old value -> new value, the action and the reason.")
    _add_db_option(audit, settings=False)
    audit.add_argument("--verify", action="store_true",
                       help="check the store's hash chain instead: every stored reading and decision "
                            "as srs-scan wrote it (exit 4 and the first broken link if not)")
    audit.add_argument("--head", metavar="HASH",
                       help="with --verify: a chain head printed by an earlier --verify; it must still "
                            "be in the chain")
    audit.set_defaults(run=_cmd_audit)

    client = _command(
        commands, "client", summary="one client's sessions: ORS and SRS values, totals and alerts",
        description="Print one client's history from the results store as a table: every session "
                    "in order (session number, then date) with the ORS items and total, the SRS "
                    "items and total, and the alerts, whatever order the sheets were scanned in.")
    client.add_argument("code", metavar="CODE", help="the client code")
    _add_db_option(client)
    client.set_defaults(run=clinic_cli.cmd_client)

    report = _command(
        commands, "report", summary="a self-contained HTML report, or one client's one-page PDF",
        description="Write the batch, per-client charts and the caseload figures as one HTML file that "
                    "needs no network (-o report.html), or one client's chart, sessions and alerts as a "
                    "one-page PDF (--client CODE -o C042.pdf). Client codes only; the file is private "
                    "to you (mode 0600) and written atomically.")
    report.add_argument("-o", "--output", type=Path, required=True, metavar="FILE",
                        help="report.html, or CODE.pdf with --client")
    report.add_argument("--since", type=_iso_date, metavar="DATE",
                        help="the batch section shows pages read on or after DATE (YYYY-MM-DD), and "
                             "the report covers the clients with a sheet read since then (default: the "
                             "batch is the last scanning day; every client is shown)")
    report.add_argument("--client", metavar="CODE", help="only this client")
    _add_db_option(report)
    report.add_argument("-q", "--quiet", action="store_true", help="print nothing but errors")
    report.set_defaults(run=clinic_cli.cmd_report)

    settings = _command(
        commands, "settings", summary="print the alert settings in effect and where each came from",
        description="Print every alert threshold in effect, whether it is the default or comes "
                    "from the clinic's settings file, its meaning and its public source; and which "
                    "results store and settings file are in use.")
    _add_db_option(settings)
    settings.set_defaults(run=clinic_cli.cmd_settings)

    importing = _command(
        commands, "import", summary="bring an older per-CSV results database into the clinic's store",
        description="Copy every page reading, review image, sheet serial and review decision of an "
                    "older results database (e.g. results.srs.sqlite beside a CSV) into the clinic's "
                    "store. Rows already there are not added twice; the old file is not changed.")
    importing.add_argument("old", type=Path, metavar="OLD.sqlite", help="the older results database")
    _add_db_option(importing, settings=False)
    importing.add_argument("-q", "--quiet", action="store_true", help="print nothing but errors")
    importing.set_defaults(run=clinic_cli.cmd_import)

    simulate = _command(
        commands, "simulate", summary="write filled, printed and scanned sheets with known truth",
        description="Fill in sheets with simulated pen marks, print and scan them as a real "
                    "clinic would, and write the scans with truth.csv: the true value of every "
                    "mark and what a reader must flag. Try the whole pipeline before you own a scanner.",
        epilog="profiles: office (300 dpi PDF), fit-to-page (printed at 94-97 %), fax (G4 TIFF), "
               "low-res (150 dpi), phone (JPEG photos), messy (holes, staple, fold, coffee), "
               "stray (messy, plus stray strokes, arrows, comments, rings, crossings-out, pencil "
               "on the lines; events.csv says which), mixed (a bit of each)")
    simulate.add_argument("out_dir", type=Path, metavar="OUT_DIR", help="folder to write into")
    simulate.add_argument("--pages", type=_positive_int, default=12, metavar="N",
                          help="pages to simulate (default 12; mixed adds 2 fax pages and 2 photos)")
    simulate.add_argument("--seed", type=int, default=None,
                          help="same seed, same files (default: a new seed, printed)")
    simulate.add_argument("--profile", choices=SIMULATE_PROFILES, default="mixed", metavar="NAME",
                          help=f"how sheets are printed and scanned: {', '.join(SIMULATE_PROFILES)} "
                               "(default mixed)")
    simulate.add_argument("--paper", choices=("a4", "letter"), default="a4", help="paper size (default a4)")
    _add_form_option(simulate)
    _add_table_options(simulate, decimals=False)
    simulate.set_defaults(run=_cmd_simulate)
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


__all__ = ["main", "build_parser", "UsageError"]
