"""The review commands of `srs-scan`: review (the local web page where a person settles flagged
items), session (the local camera page that scores a sheet in the session) and audit (every
decision made there, and the store's hash chain). Each `add_NAME` registers a command; `cmd_NAME`
runs it."""

from __future__ import annotations

import argparse
import contextlib
from collections.abc import Iterator
from pathlib import Path

from srs_scan.cli.common import add_db_option, add_forms_options, command, count, store_path
from srs_scan.errors import ExitCode
from srs_scan.text import visible


def _add_page_options(parser: argparse.ArgumentParser) -> None:
    """Where a local web page listens, and whether a browser opens it (review, session)."""
    parser.add_argument("--port", type=int, default=0, metavar="N",
                        help="port on 127.0.0.1 (default: any free port)")
    parser.add_argument("--no-browser", action="store_true", help="only print the link")


def add_review(commands: argparse._SubParsersAction) -> None:
    review = command(
        commands, "review", summary="settle flagged items on a local web page",
        description="Open a web page, on this computer only, that shows every flagged item with "
                    "the picture of its line: click where the mark meets the line, pick a mark, or "
                    "say no answer / not a form. Every change is kept with who, when and why.")
    add_db_option(review, settings=False)
    _add_page_options(review)
    add_forms_options(review)
    review.set_defaults(run=cmd_review)


def cmd_review(args: argparse.Namespace) -> int:
    from srs_scan.batch.store import ResultStore
    from srs_scan.review.audit import sheets_without_client_code
    from srs_scan.review.web import bind_loopback, create_app, new_token
    from srs_scan.sheets.spec import load_form_library

    db = store_path(args, must_exist=True)
    with ResultStore(db) as store:  # checked here, so a bad store is a message, not a server's traceback
        no_code = sheets_without_client_code(store)
    forms = load_form_library(args.form, args.only_given_forms)
    sock = bind_loopback(args.port)
    port = sock.getsockname()[1]
    token = new_token()
    note = (f"{count(no_code, 'sheet')} still need{'s' if no_code == 1 else ''} a client code: they come "
            "after the flagged items." if no_code else "")
    serve_page(create_app(db, forms, token, port), sock, token, "review", db, args.no_browser, note)
    return ExitCode.OK


def add_session(commands: argparse._SubParsersAction) -> None:
    session = command(
        commands, "session", summary="score a sheet in the session with the computer's camera",
        description="Open a web page, on this computer only, that reads a filled sheet held up to "
                    "the camera (or a photo dropped on it): plain hints until three frames agree "
                    "within 0.5 mm, then the values, total, alerts and the client's chart. A "
                    "reading is stored only when you confirm it, with the picture that was read.")
    add_db_option(session)
    _add_page_options(session)
    add_forms_options(session)
    session.set_defaults(run=cmd_session)


def cmd_session(args: argparse.Namespace) -> int:
    from srs_scan.batch.store import ResultStore
    from srs_scan.cli.clinical import clinic_settings
    from srs_scan.review.session import create_session_app
    from srs_scan.review.web import bind_loopback, new_token
    from srs_scan.sheets.spec import load_form_library

    db = store_path(args)  # a first session may make the clinic's store
    ResultStore(db).close()  # checked here, so a bad store is a message, not a server's traceback
    settings, _ = clinic_settings(args)
    forms = load_form_library(args.form, args.only_given_forms)
    sock = bind_loopback(args.port)
    port = sock.getsockname()[1]
    token = new_token()
    serve_page(create_session_app(db, forms, settings, token, port), sock, token, "session", db, args.no_browser)
    return ExitCode.OK


def serve_page(app, sock, token: str, name: str, db: Path, no_browser: bool, note: str = "") -> None:
    """Print the page's address (the first line), open it in the browser, serve until Ctrl-C."""
    import tempfile
    import webbrowser

    from srs_scan.review.web import launcher_page, serve

    url = f"http://127.0.0.1:{sock.getsockname()[1]}/#token={token}"  # a fragment: never sent to any server
    print(f"{name} page for {db.name}: {url}", flush=True)
    if note:
        print(note, flush=True)
    print("Only this computer can open it. Press Ctrl-C to stop.", flush=True)
    # the launcher's folder goes on every way of stopping but kill -9: Ctrl-C, SIGTERM, SIGHUP
    with signals_interrupt(), tempfile.TemporaryDirectory(prefix=f"srs-{name}-") as private:  # mode 0700
        if not no_browser:
            # the browser gets a private file that redirects, never the token on its command line
            webbrowser.open(launcher_page(url, Path(private), name).as_uri())
        try:
            serve(app, sock)
        except KeyboardInterrupt:
            pass


@contextlib.contextmanager
def signals_interrupt() -> Iterator[None]:
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


def add_audit(commands: argparse._SubParsersAction) -> None:
    audit = command(
        commands, "audit", summary="list every change made in review",
        description="List every review decision and every client code, session and date typed for a "
                    "sheet, oldest first: when, who, which page and item, old value -> new value, "
                    "the action and the reason.")
    add_db_option(audit, settings=False)
    audit.add_argument("--verify", action="store_true",
                       help="check the store's hash chain instead: every stored reading and decision "
                            "as srs-scan wrote it (exit 4 and the first broken link if not)")
    audit.add_argument("--head", metavar="HASH",
                       help="with --verify: a chain head printed by an earlier --verify; it must still "
                            "be in the chain")
    audit.set_defaults(run=cmd_audit)


def cmd_audit(args: argparse.Namespace) -> int:
    from srs_scan.batch.store import ResultStore
    from srs_scan.review.audit import audit_lines

    if args.verify:
        return _verify_store(store_path(args, must_exist=True), args.head or "")
    with ResultStore(store_path(args, must_exist=True)) as store:
        lines = audit_lines(store)  # review decisions and typed client codes, sessions, dates
    if not lines:
        print("no changes recorded yet")
    for line in lines:
        # names, notes, file names and codes may hold anything a forged sheet or store put there:
        # shown, never run by the terminal
        print(visible(line))
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
