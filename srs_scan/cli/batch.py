"""The batch commands of `srs-scan`: scan and watch (scans in, one row per page), export (the
store out, as reviewed) and import (an older results database in). Each `add_NAME` registers a
command; `cmd_NAME` runs it."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from srs_scan.cli import clinical
from srs_scan.cli.common import (Progress, add_db_option, add_forms_options, add_quiet_option,
                                 add_reading_options, add_table_options, command, count, iso_date,
                                 say, store_path, table_format)
from srs_scan.errors import ExitCode, UsageError, failing_file

if TYPE_CHECKING:
    from srs_scan.results import PageResult


def add_scan(commands: argparse._SubParsersAction) -> None:
    scan = command(
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
    add_reading_options(scan, default_jobs=os.cpu_count() or 1)
    scan.set_defaults(run=cmd_scan)


def cmd_scan(args: argparse.Namespace) -> int:
    import time

    from srs_scan.batch.export import split_list, write_json, write_table
    from srs_scan.batch.pipeline import ScanOptions, identify, own_outputs, read_batch
    from srs_scan.batch.store import ResultStore
    from srs_scan.fileio import check_outputs
    from srs_scan.read.pages import find_inputs
    from srs_scan.results import DUPLICATE_SHEET, Status
    from srs_scan.review.decisions import ReviewLog, reviewed_table
    from srs_scan.sheets.spec import load_form_library

    fmt = table_format(args)
    forms = load_form_library(args.form, args.only_given_forms)
    db = store_path(args)
    files, skipped = find_inputs(args.inputs)
    # before anything is read: an output that is one of the inputs, or that cannot be written
    check_outputs([args.output, *([args.json] if args.json else [])], files,
                  [args.overlays] if args.overlays else [], stores=[db])
    written = [args.output, args.json, args.overlays, db, db.with_name(db.name + "-wal"),
               db.with_name(db.name + "-shm")]
    skipped, _ = own_outputs(skipped, written)
    files, ours = own_outputs(files, written)
    if skipped:
        say(args, f"skipped {count(len(skipped), 'file')} in folders that are not scans "
                  f"(for example {skipped[0].name})")
    if ours:
        say(args, f"skipped {count(len(ours), 'picture')} srs-scan wrote "
                  f"(for example {ours[0].name}): not scans")
    if not files:
        raise UsageError("no scans found (looked for PDF, TIFF, PNG and JPEG files)")
    inputs, repeats = identify(files)
    for path, first in repeats:
        say(args, f"{path} has the same content as {first}: read once")
    options = ScanOptions(password=args.password, jobs=args.jobs, overlays=args.overlays)
    started = time.monotonic()
    progress = Progress(enabled=not args.quiet and sys.stderr.isatty())
    with failing_file(db, "use the results database"), ResultStore(db) as store:
        with store.run("scan"):  # the readings stored now are this run's (the report's default batch)
            batch = read_batch(inputs, forms, options, store, progress.show, waiting=lambda: say(
                args, "another scan is reading some of these files: waiting for it, then using its readings"))
        # the store is the truth: the CSV carries every review decision made so far
        table = reviewed_table(ReviewLog(store), forms, fmt.decimals, zip(batch.digests, batch.results),
                               settings=clinical.clinic_settings(args)[0])
    progress.close()
    results = batch.results
    write_table(args.output, table, fmt)
    if args.json:
        write_json(args.json, results, [split_list(str(row["alerts"])) for row in table.rows])
    counts = {status: sum(r.status is status for r in results) for status in Status}
    refed = sum(DUPLICATE_SHEET in r.flags for r in results)
    # "read" is the work done on a page; a page with nothing flagged is "ok"
    fed_again = f" ({count(refed, 'sheet')} fed again)" if refed else ""
    not_forms = counts[Status.NOT_A_FORM]
    say(args, f"{count(len(results), 'page')} ({batch.read_now} read now) in "
              f"{time.monotonic() - started:.1f} s: {counts[Status.OK]} ok, "
              f"{counts[Status.REVIEW]} to review{fed_again}, "
              f"{not_forms} not {'a form' if not_forms == 1 else 'forms'}, "
              f"{count(counts[Status.ERROR], 'error')}; wrote {args.output}")
    say_errors(args, results)
    return ExitCode.SOME_INPUTS_FAILED if counts[Status.ERROR] else ExitCode.OK


SHOWN_ERRORS = 5   # the rest are in the CSV's reason column


def say_errors(args: argparse.Namespace, results: Sequence[PageResult]) -> None:
    """Why pages could not be read, in words: the first few, then where to find the rest."""
    from srs_scan.results import Status

    failed = [r for r in results if r.status is Status.ERROR]
    for r in failed[:SHOWN_ERRORS]:
        say(args, f"  {r.file} page {r.page}: {r.reason}" if r.page else f"  {r.file}: {r.reason}")
    if len(failed) > SHOWN_ERRORS:
        say(args, f"  and {count(len(failed) - SHOWN_ERRORS, 'more error')}: see the reason column of "
                  f"{args.output}")


def add_watch(commands: argparse._SubParsersAction) -> None:
    watch = command(
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
    add_reading_options(watch, default_jobs=1)
    watch.set_defaults(run=cmd_watch)


def cmd_watch(args: argparse.Namespace) -> int:
    from srs_scan.batch.export import is_workbook
    from srs_scan.batch.pipeline import ScanOptions
    from srs_scan.batch.store import ResultStore
    from srs_scan.batch.watch import HotFolder, Taken, WatchOptions
    from srs_scan.results import Status
    from srs_scan.sheets.spec import load_form_library

    if not args.inbox.is_dir():
        raise UsageError(f"not a folder: {args.inbox}")
    if is_workbook(args.output):
        raise UsageError("watch adds rows to a CSV file; for a workbook, run "
                         "'srs-scan export -o results.xlsx' when you need one")
    fmt = table_format(args)
    forms = load_form_library(args.form, args.only_given_forms)
    options = ScanOptions(password=args.password, jobs=args.jobs)

    def report(taken: Taken) -> None:
        where = f"{taken.target.parent.name}/"
        if taken.same_as is not None:
            say(args, f"{taken.path.name}: the same content as {taken.same_as.name}, already read: "
                      f"no rows added; moved to {where}")
            return
        errors = sum(r.status is Status.ERROR for r in taken.results)
        review = sum(r.status is Status.REVIEW for r in taken.results)
        say(args, f"{taken.path.name}: {count(len(taken.results), 'page')}, {review} to review, "
                  f"{count(errors, 'error')}; moved to {where}")

    with ResultStore(store_path(args)) as store:
        folder = HotFolder(args.inbox, args.output, forms, store, options,
                           WatchOptions(settle_s=args.settle, csv=fmt, incomplete_wait_s=args.incomplete_wait,
                                        settings=clinical.clinic_settings(args)[0]))
        say(args, f"watching {args.inbox} (Ctrl-C to stop); rows go to {args.output}")
        try:
            folder.run(lambda: False, report)  # Ctrl-C ends it: main() says so and exits 130
        finally:
            folder.close()
    return ExitCode.OK


def add_export(commands: argparse._SubParsersAction) -> None:
    export = command(
        commands, "export", summary="write the CSV with reviewed values",
        description="Write one CSV row per stored page with the values as reviewed, plus the "
                    "columns reviewed (yes/no) and reviewer.")
    export.add_argument("-o", "--output", type=Path, required=True, metavar="results.csv",
                        help="CSV file to write (one row per stored page), or results.xlsx for a workbook")
    add_db_option(export)
    add_table_options(export)
    export.add_argument("--client", metavar="CODE", help="only this client's sheets")
    export.add_argument("--since", type=iso_date, metavar="YYYY-MM-DD",
                        help="only sessions on or after this date (a sheet without a date: the day "
                             "it was scanned)")
    export.add_argument("--format", choices=("pages", "openfit"), default="pages",
                        help="pages: one row per page (default); openfit: one row per client "
                             "session in OpenFIT's import layout (see the README)")
    add_forms_options(export)
    add_quiet_option(export)
    export.set_defaults(run=cmd_export)


def cmd_export(args: argparse.Namespace) -> int:
    from srs_scan.batch.export import Table, write_table
    from srs_scan.batch.store import ResultStore
    from srs_scan.review.decisions import ReviewLog, reviewed_table
    from srs_scan.sheets.spec import load_form_library

    db = store_path(args, must_exist=True)
    fmt = table_format(args)
    forms = load_form_library(args.form, args.only_given_forms)
    with ResultStore(db) as store:
        if args.format == "openfit":
            return clinical.export_openfit(args, store, fmt)
        table = reviewed_table(ReviewLog(store), forms, fmt.decimals, settings=clinical.clinic_settings(args)[0])
    rows = [row for row in table.rows if clinical.wanted(row.get("client_code"), row.get("date"),
                                                         row.get("scanned_at"), args)]
    write_table(args.output, Table(table.columns, rows), fmt)
    say(args, f"wrote {count(len(rows), 'row')} with reviewed values to {args.output}")
    return ExitCode.OK


def add_import(commands: argparse._SubParsersAction) -> None:
    importing = command(
        commands, "import", summary="bring an older per-CSV results database into the clinic's store",
        description="Copy every page reading, review image, sheet serial and review decision of an "
                    "older results database (e.g. results.srs.sqlite beside a CSV) into the clinic's "
                    "store. Rows already there are not added twice; the old file is not changed.")
    importing.add_argument("old", type=Path, metavar="OLD.sqlite", help="the older results database")
    add_db_option(importing, settings=False)
    add_quiet_option(importing)
    importing.set_defaults(run=cmd_import)


def cmd_import(args: argparse.Namespace) -> int:
    from srs_scan.batch.merge import NotAStore, import_store
    from srs_scan.batch.store import ResultStore
    from srs_scan.review.decisions import ReviewLog

    if not args.old.is_file():
        raise UsageError(f"no such file: {args.old}")
    target = store_path(args)
    if target.exists() and args.old.resolve() == target.resolve():
        raise UsageError(f"{args.old} is the clinic's store itself")
    with ResultStore(target) as store:
        ReviewLog(store)  # the audit trail's table exists before decisions are copied into it
        try:
            done = import_store(args.old, store)
        except NotAStore as exc:
            raise UsageError(str(exc)) from None
    words = {"pages": "page readings", "sheet_images": "review images", "serials": "sheet serials",
             "reviews": "review decisions", "identities": "identity entries",
             "camera_frames": "session camera pictures"}
    added = ", ".join(f"{n} {words.get(t, t)}" for t, n in done.counts.items())
    say(args, f"imported {args.old.name} into {target}: {added}")
    return ExitCode.OK
