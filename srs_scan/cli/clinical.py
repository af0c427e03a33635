"""The clinical commands of `srs-scan`: client, report and settings, and what scan and export
take from the clinic (every sheet's alerts, --client/--since filters, OpenFIT's layout).
Each `add_NAME` registers a command; `cmd_NAME` runs it."""

from __future__ import annotations

import argparse
from pathlib import Path

from srs_scan.cli.common import add_db_option, add_quiet_option, command, iso_date, say, store_path
from srs_scan.errors import ExitCode, UsageError


def clinic_settings(args: argparse.Namespace):
    """The clinic's alert settings: --settings, else $SRS_SCAN_SETTINGS, else beside the store."""
    from srs_scan.clinical.settings import load_settings, settings_path

    path, origin = settings_path(args.settings, store_path(args))
    return load_settings(path, required=origin != "beside the results store"), origin


def add_settings(commands: argparse._SubParsersAction) -> None:
    settings = command(
        commands, "settings", summary="print the alert settings in effect and where each came from",
        description="Print every alert threshold in effect, whether it is the default or comes "
                    "from the clinic's settings file, its meaning and its public source; and which "
                    "results store and settings file are in use.")
    add_db_option(settings)
    settings.set_defaults(run=cmd_settings)


def cmd_settings(args: argparse.Namespace) -> int:
    from srs_scan.batch.store import clinic_db
    from srs_scan.clinical.settings import SETTINGS

    store, store_origin = clinic_db(args.db)
    settings, origin = clinic_settings(args)
    present = settings.file is not None and settings.file.is_file()
    print(f"results store: {store} (from {store_origin}{'' if store.is_file() else '; not created yet'})")
    print(f"settings file: {settings.file} (from {origin}"
          f"{'' if present else '; not present, so every value is the default'})")
    print()
    for setting in SETTINGS:
        value = settings[setting.key]
        shown = f'"{value}"' if isinstance(value, str) else f"{value:g}"
        print(f"{setting.key} = {shown}   [{settings.origins[setting.key]}]")
        print(f"    {setting.meaning}")
        print(f"    default {setting.default!r}; source: {setting.source}")
    return ExitCode.OK


def add_client(commands: argparse._SubParsersAction) -> None:
    client = command(
        commands, "client", summary="one client's sessions: ORS and SRS values, totals and alerts",
        description="Print one client's history from the results store as a table: every session "
                    "in order (session number, then date) with the ORS items and total, the SRS "
                    "items and total, and the alerts, whatever order the sheets were scanned in.")
    client.add_argument("code", metavar="CODE", help="the client code")
    add_db_option(client)
    client.set_defaults(run=cmd_client)


def cmd_client(args: argparse.Namespace) -> int:
    from srs_scan.batch.store import ResultStore
    from srs_scan.clinical.alerts import alerts
    from srs_scan.clinical.history import histories
    from srs_scan.clinical.records import readings, stored_pages
    from srs_scan.clinical.table import client_table
    from srs_scan.sheets.ids import client_code_problem

    problem = client_code_problem(args.code)
    if problem:
        raise UsageError(problem)
    settings, _ = clinic_settings(args)
    with ResultStore(store_path(args, must_exist=True)) as store:
        history = histories(readings(stored_pages(store))).get(args.code)
    if not history:
        raise UsageError(f"no sheets for client {args.code} in the results store")
    print(client_table(args.code, history, alerts(history, settings), settings))
    return ExitCode.OK


def wanted(code: object, session_date: object, scanned_at: object, args: argparse.Namespace) -> bool:
    """--client: that client's rows only; --since: the session's date (else the day it was
    scanned) on or after the date given."""
    import datetime as dt

    if args.client and code != args.client:
        return False
    if args.since:
        when = session_date if isinstance(session_date, dt.date) else None
        if when is None and isinstance(scanned_at, dt.datetime):
            when = scanned_at.date()
        if isinstance(when, dt.datetime):
            when = when.date()
        return when is not None and when >= args.since
    return True


def export_openfit(args: argparse.Namespace, store, fmt) -> int:
    import datetime as dt

    from srs_scan.batch.export import write_table
    from srs_scan.clinical.history import histories
    from srs_scan.clinical.openfit import openfit_table
    from srs_scan.clinical.records import readings, stored_pages

    chosen = [h for code, h in histories(readings(stored_pages(store))).items()
              if not args.client or code == args.client]
    if args.since:
        chosen = [[r for r in h if wanted(r.client_code, iso(r.date), dt.datetime.fromisoformat(
            r.scanned_at).replace(tzinfo=None), args)] for h in chosen]
    result = openfit_table(chosen)
    write_table(args.output, result.table, fmt)
    say(args, f"wrote {len(result.table.rows)} client sessions in OpenFIT's import layout to {args.output}")
    if result.incomplete:
        say(args, f"left out {result.incomplete} session(s) whose ORS or SRS sheet still has an item "
                   f"without a value: settle them with 'srs-scan review', then export again")
    if result.no_session:
        say(args, f"left out {result.no_session} sheet(s) without a session number")
    return ExitCode.OK


def iso(text: str):
    import datetime as dt

    try:
        return dt.date.fromisoformat(text) if text else None
    except ValueError:
        return None


def add_report(commands: argparse._SubParsersAction) -> None:
    report = command(
        commands, "report", summary="a self-contained HTML report, or one client's one-page PDF",
        description="Write the batch, per-client charts and the caseload figures as one HTML file that "
                    "needs no network (-o report.html), or one client's chart, sessions and alerts as a "
                    "one-page PDF (--client CODE -o C042.pdf). Client codes only; the file is private "
                    "to you (mode 0600) and written atomically.")
    report.add_argument("-o", "--output", type=Path, required=True, metavar="FILE",
                        help="report.html, or CODE.pdf with --client")
    report.add_argument("--since", type=iso_date, metavar="DATE",
                        help="the batch section shows pages read on or after DATE (YYYY-MM-DD), and "
                             "the report covers the clients with a sheet read since then (default: the "
                             "batch is the last scanning day; every client is shown)")
    report.add_argument("--client", metavar="CODE", help="only this client")
    add_db_option(report)
    add_quiet_option(report)
    report.set_defaults(run=cmd_report)


def cmd_report(args: argparse.Namespace) -> int:
    from srs_scan.batch.store import ResultStore
    from srs_scan.clinical.alerts import alerts
    from srs_scan.clinical.history import histories
    from srs_scan.clinical.records import readings, stored_pages
    from srs_scan.clinical.report import batch, batch_pages, caseload, client_series
    from srs_scan.fileio import check_outputs, write_atomic
    from srs_scan.sheets.ids import client_code_problem

    pdf = args.output.suffix.lower() == ".pdf"
    if pdf and not args.client:
        raise UsageError("a PDF report is for one client: give --client CODE (or write .html)")
    if args.client and (problem := client_code_problem(args.client)):
        raise UsageError(problem)
    check_outputs([args.output], [])
    settings, _ = clinic_settings(args)
    with ResultStore(store_path(args, must_exist=True)) as store:
        pages, runs = stored_pages(store), store.runs()
    every = histories(readings(pages))
    found = {code: alerts(h, settings) for code, h in every.items()}
    since = args.since.isoformat() if args.since else ""
    if args.client:
        if args.client not in every:
            raise UsageError(f"no sheets for client {args.client} in the results store")
        chosen = {args.client: every[args.client]}
        scope = f"Client {args.client} only."
    elif args.since:
        recent = {p.key for p in pages if p.scanned_at >= since}
        chosen = {c: h for c, h in every.items() if any(r.key in recent for r in h)}
        scope = f"Clients with a sheet read since {since}: {len(chosen)} (their whole history)."
    else:
        chosen = every
        scope = f"All {len(chosen)} clients in the results store."
    series = [client_series(code, chosen[code], found[code], settings) for code in sorted(chosen)]
    if pdf:
        from srs_scan.clinical.report_pdf import client_pdf

        write_atomic(args.output, client_pdf(series[0]))
    else:
        from srs_scan.clinical.report_html import html_report

        all_found = [a for code in chosen for a in found[code]]
        words, in_batch = batch_pages(pages, runs, since)  # the last run that read pages, or --since
        page = html_report(batch(in_batch, chosen, all_found, words), series, caseload(chosen, settings), scope)
        write_atomic(args.output, page.encode("utf-8"))
    say(args, f"wrote the report ({len(series)} client{'s' if len(series) != 1 else ''}) to {args.output}")
    return ExitCode.OK
