"""End to end in a real headless browser: Debian's Chromium driven by Playwright.

Open the queue with the printed token, click on a line picture at a known millimetre position,
check the stored value (within 0.1 cm) and its audit row, export and check the CSV. A second test
clears 50 flagged items with clicks and keys and prints how long that took (not a pass/fail
criterion). Screenshots go to tmp_path, or to $SRS_REVIEW_SCREENSHOTS when set.

Under CI (CI=true) a missing Chromium or Playwright fails the test: nothing is skipped silently.
"""

from __future__ import annotations

import csv
import os
import shutil
import time
from pathlib import Path

import pytest

from srs_scan.cli import main
from srs_scan.review.decisions import ReviewLog, crop_box_mm
from srs_scan.batch.store import ResultStore
from tests.reviewdata import LINE_ENDS, RunningServer, fill_store, x_for_value

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
REVIEWER = "Test Reviewer"


def _unavailable(reason: str):
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI must run the browser test: .ci/run installs Chromium)")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def browser():
    chromium = shutil.which("chromium")
    if chromium is None:
        _unavailable("Debian's chromium is not installed (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("playwright is not installed (pip install -e '.[test]')")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def shots(tmp_path) -> Path:
    folder = Path(os.environ.get("SRS_REVIEW_SCREENSHOTS", tmp_path))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _open(browser, server: RunningServer, context=None):
    viewport = {"width": 1400, "height": 900}
    page = context.new_page() if context else browser.new_page(viewport=viewport)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{server.origin}/#token={server.token}")
    page.wait_for_selector("body[data-ready=yes]")
    assert "token" not in page.url  # moved into the tab's sessionStorage
    page.fill("#name", REVIEWER)
    page.keyboard.press("Enter")
    # no waiting before the next key: the page must hand the keys back at once (it once left the
    # focus in the closed dialog's input, and the first shortcut was lost)
    from playwright.sync_api import expect
    expect(page.locator("#who")).to_contain_text(REVIEWER)
    return page, errors


def _crop_point(page, spec, y_mm: float, x_mm: float) -> tuple[float, float]:
    """Screen position of a form-frame point in the crop, from the crop's box (not the page's code)."""
    x0, y0, w, h = crop_box_mm(spec, y_mm, LINE_ENDS)
    box = page.locator("#crop").bounding_box()
    return box["x"] + (x_mm - x0) / w * box["width"], box["y"] + (y_mm - y0) / h * box["height"]


def _expect_left(page, left: int) -> None:
    # locator waits, not wait_for_function: the page's CSP forbids evaluating strings, rightly
    from playwright.sync_api import expect

    try:
        expect(page.locator("#progress")).to_contain_text(f"· {left} left")
    except AssertionError as exc:  # say what the page showed and where the keys went
        focused = page.locator(":focus")
        where = (focused.first.get_attribute("id") or focused.first.evaluate("e => e.tagName")
                 if focused.count() else "nothing")
        raise AssertionError(f"{exc}\nstatus line: {page.locator('#status').inner_text()!r}; "
                             f"focus: {where}") from None


def _left(page) -> int:
    text = page.locator("#progress").inner_text()
    return int(text.split("·")[1].split()[0]) if "left" in text else 0


def test_the_launcher_file_the_cli_opens_leads_to_a_working_page(browser, tmp_path, spec):
    # `srs-scan review` starts the browser on this file, never on the tokened URL: the token must
    # survive the redirect from a file:// page in the fragment
    from srs_scan.review.web import launcher_page

    db = tmp_path / "results.srs.sqlite"
    fill_store(db, spec, pages=1)
    with RunningServer(db) as server:
        launcher = launcher_page(f"{server.origin}/#token={server.token}", tmp_path)
        page = browser.new_page()
        page.goto(launcher.as_uri())
        page.wait_for_selector("body[data-ready=yes]")
        assert page.url == f"{server.origin}/"
        assert "1 of 4" in page.locator("#progress").inner_text()  # the queue came with the token
        page.close()


def test_click_on_the_line_records_the_value_audit_and_csv(browser, tmp_path, spec, shots):
    db = tmp_path / "results.srs.sqlite"
    truth = fill_store(db, spec, pages=1)[0]  # relationship, with two marks: one crossed out
    item = spec.items[0]
    with RunningServer(db) as server:
        page, errors = _open(browser, server)
        assert "1 of 4" in page.locator("#progress").inner_text()
        assert "More than one mark" in page.locator("#reason").inner_text()
        assert "Client C100" in page.locator("#sheet-line").inner_text()
        x, y = _crop_point(page, spec, item.y_mm, x_for_value(truth.mark_cm))
        page.fill("#note", "client pointed at her mark")
        page.keyboard.press("Enter")  # leaves the note; the shortcuts work again
        page.mouse.move(x, y)
        assert page.locator("#live").inner_text() == f"{truth.mark_cm:.1f} cm"  # the live preview
        page.screenshot(path=str(shots / "review-hover.png"))
        page.mouse.click(x, y)
        _expect_left(page, 3)
        assert "Saved: Relationship" in page.locator("#status").inner_text()
        assert page.locator("#heading").inner_text() == "Goals and topics"  # the next item appears
        assert page.locator("#note").input_value() == ""  # the note went with the decision
        page.keyboard.press("p")
        page.wait_for_selector("#page-view:not([hidden])")
        page.wait_for_timeout(200)
        page.screenshot(path=str(shots / "review-page.png"))
        assert errors == []

    with ResultStore(db) as store:
        (decision,) = ReviewLog(store).decisions()
    assert decision.item_id == item.id and decision.action == "value"
    assert decision.new_value == pytest.approx(truth.mark_cm, abs=0.1)
    assert decision.old_value is None and decision.reviewer == REVIEWER
    assert "more than one mark" in decision.reason and decision.at
    assert decision.reason.endswith(": client pointed at her mark")

    out = tmp_path / "results.csv"
    assert main(["export", "-o", str(out), "--db", str(db), "-q"]) == 0
    (row,) = csv.DictReader(out.open(encoding="utf-8"))
    assert float(row[item.id]) == pytest.approx(truth.mark_cm, abs=0.1)
    assert (row["reviewed"], row["reviewer"]) == ("yes", REVIEWER)


def test_clearing_50_items(browser, tmp_path, spec, shots, capsys):
    db = tmp_path / "results.srs.sqlite"
    truths = fill_store(db, spec, pages=13)[:50]  # 52 flagged items; clear the first 50
    y_by_item = {i.id: i.y_mm for i in spec.items}
    with RunningServer(db) as server:
        page, errors = _open(browser, server)
        page.locator("#crop").wait_for()
        started = time.monotonic()
        for n, truth in enumerate(truths):
            # like a person would: press 1 / Enter for the suggested mark, N, or click the stroke
            has_candidates = (n // 4 + n % 4) % 2 == 0  # see fill_store
            if has_candidates and n % 3 == 0:
                # Enter takes the suggested mark: on pages 4, 6, 10, 12 the decoy (crossed out
                # or stray ink) is listed first, and the suggestion must skip it; 1 is the real
                # mark on odd pages
                page.keyboard.press("Enter" if n % 2 == 0 else "1")
            elif n % 5 == 4:
                page.keyboard.press("n")
            else:
                page.mouse.click(*_crop_point(page, spec, y_by_item[truth.item_id], x_for_value(truth.mark_cm)))
            _expect_left(page, 51 - n)
            if n == 0:
                page.screenshot(path=str(shots / "review-after-first.png"))
        elapsed = time.monotonic() - started
        page.screenshot(path=str(shots / "review-50.png"))
        assert _left(page) == 2 and errors == []
    with capsys.disabled():
        print(f"\ncleared 50 flagged items in the browser in {elapsed:.1f} s ({elapsed / 50 * 1000:.0f} ms each)")

    with ResultStore(db) as store:
        decisions = ReviewLog(store).decisions()
    assert len(decisions) == 50
    for truth, decision in zip(truths, decisions):
        assert (decision.content_hash, decision.item_id) == (truth.digest, truth.item_id)
        if decision.action == "no_answer":
            assert decision.new_value is None
        else:  # a click on the stroke, or the real (not crossed-out) candidate
            assert decision.new_value == pytest.approx(truth.mark_cm, abs=0.1)


class _Recorder:
    """Another local service on 127.0.0.1 (another port) that writes down every request it gets."""

    def __init__(self) -> None:
        import http.server
        import threading

        seen = self.seen = []

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - the standard library's name
                seen.append(f"{self.requestline}\n{self.headers}")
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                self.end_headers()
                self.wfile.write(b"<!doctype html><title>another local service</title><p>hello")

            def log_message(self, *_: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.origin = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> _Recorder:
        self.thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def test_another_local_server_the_browser_visits_receives_no_token(browser, tmp_path, spec):
    # cookies are not separated by port: a token cookie reached every service on 127.0.0.1
    db = tmp_path / "results.srs.sqlite"
    fill_store(db, spec, pages=1)
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    with RunningServer(db) as server, _Recorder() as other:
        page, errors = _open(browser, server, context)
        page.keyboard.press("n")  # a decision: every kind of request the page makes has been made
        _expect_left(page, 3)
        page.goto(f"{other.origin}/")
        page.goto(f"{other.origin}/favicon.ico")
        context.new_page().goto(f"{other.origin}/again")
        assert len(other.seen) >= 3 and errors == []
        leaked = [request for request in other.seen if server.token in request
                  or "srs_review" in request.lower()]
        assert leaked == []
        assert context.cookies() == []  # nothing for any port to receive
    context.close()


def test_two_review_sessions_side_by_side(browser, tmp_path, spec):
    # a second session used to replace the first one's cookie: its page then got 401
    first_db, second_db = tmp_path / "first.srs.sqlite", tmp_path / "second.srs.sqlite"
    fill_store(first_db, spec, pages=1)
    fill_store(second_db, spec, pages=2)
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    with RunningServer(first_db) as first, RunningServer(second_db) as second:
        page_one, errors_one = _open(browser, first, context)
        page_two, errors_two = _open(browser, second, context)
        assert "1 of 8" in page_two.locator("#progress").inner_text()
        page_one.reload()  # the first session's page, after the second one opened
        page_one.wait_for_selector("body[data-ready=yes]")
        assert "1 of 4" in page_one.locator("#progress").inner_text()
        page_one.keyboard.press("n")
        _expect_left(page_one, 3)
        page_two.keyboard.press("n")
        _expect_left(page_two, 7)
        assert errors_one == errors_two == []
    for db in (first_db, second_db):
        with ResultStore(db) as store:
            assert len(ReviewLog(store).decisions()) == 1
    context.close()


def test_the_page_says_when_someone_else_decided_meanwhile(browser, tmp_path, spec):
    db = tmp_path / "results.srs.sqlite"
    fill_store(db, spec, pages=1)
    with RunningServer(db) as server:
        page, errors = _open(browser, server)
        with ResultStore(db) as store:  # a second reviewer, on another server, decides first
            ReviewLog(store).decide("hash000", 1, spec.items[0].id, "no_answer", "Ben")
        page.keyboard.press("n")
        from playwright.sync_api import expect

        expect(page.locator("#status")).to_contain_text("Not saved: Ben decided on relationship meanwhile")
        _expect_left(page, 3)  # Ben's decision is shown: the item counts as settled
        page.keyboard.press("n")  # having seen it, a new decision is taken
        expect(page.locator("#status")).to_contain_text("Saved:")
        assert errors == []
    with ResultStore(db) as store:
        assert [(d.reviewer, d.action) for d in ReviewLog(store).decisions()] == [
            ("Ben", "no_answer"), (REVIEWER, "no_answer")]


def test_typing_the_client_code_of_a_blank_sheet(browser, tmp_path, spec, capsys):
    """A sheet printed blank has no client code: the reviewer types it (checked like a roster row),
    each typed field is one audit row, and the code reaches the export and the client's history."""
    from dataclasses import replace

    from playwright.sync_api import expect

    from srs_scan.review.identity import IdentityLog
    from srs_scan.sheets.sheetid import SheetId

    db = tmp_path / "results.srs.sqlite"
    fill_store(db, spec, pages=1)
    with ResultStore(db) as store:
        (stored,) = ReviewLog(store).pages()
        items = (replace(stored.result.items[0], value_cm=9.5, flags=(), candidates=()),
                 *stored.result.items[1:2],
                 *(replace(i, value_cm=9.0, flags=(), candidates=()) for i in stored.result.items[2:]))
        blank = replace(stored.result, file="zz-blank.pdf", items=items,
                        sheet=SheetId(spec.form_id, spec.version, "BLANK001"))
        store.put("hashblank", blank, store.sheet_jpeg(stored.content_hash, 1))
    with RunningServer(db) as server:
        page, errors = _open(browser, server)
        expect(page.locator("#identity")).to_be_hidden()  # the first sheet came with its code
        for _ in range(4):
            page.keyboard.press("ArrowRight")
        expect(page.locator("#progress")).to_contain_text("5 of 6")  # 6th: the sheet's identity entry
        expect(page.locator("#identity")).to_be_visible()
        assert "Client code (no names)" in page.locator("#identity").inner_text()
        page.fill("#id-code", "Jane Smith")
        page.fill("#id-session", "3")
        page.click("#id-save")
        expect(page.locator("#status")).to_contain_text("Not saved: client_code must be")
        page.fill("#id-code", "C777")
        page.fill("#id-date", "2026-11-26")
        page.click("#id-save")
        expect(page.locator("#status")).to_contain_text("Saved: client C777, session 3, 2026-11-26")
        expect(page.locator("#sheet-line")).to_contain_text("Client C777")
        page.keyboard.press("n")  # the shortcuts work again after saving: no answer on the item
        _expect_left(page, 4)
        assert not errors
        page.close()
    with ResultStore(db) as store:
        rows = IdentityLog(store).entries()
    assert [(r.content_hash, r.field, r.old_value, r.new_value, r.reviewer) for r in rows] == [
        ("hashblank", "client_code", "", "C777", REVIEWER), ("hashblank", "session", "", "3", REVIEWER),
        ("hashblank", "date", "", "2026-11-26", REVIEWER)]
    out = tmp_path / "export.csv"
    assert main(["export", "-o", str(out), "--db", str(db), "-q"]) == 0
    row = next(r for r in csv.DictReader(out.open(encoding="utf-8")) if r["sheet_id"] == "BLANK001")
    assert (row["client_code"], row["session"], row["date"]) == ("C777", "3", "2026-11-26")
    capsys.readouterr()
    assert main(["client", "C777", "--db", str(db)]) == 0
    assert "2026-11-26" in capsys.readouterr().out


def _unflagged(stored, digest: str, serial: str, client_code: str = ""):
    """A sheet read without any flag (every item has a value), with or without a client code."""
    from dataclasses import replace

    from srs_scan.sheets.sheetid import SheetId

    items = tuple(replace(i, value_cm=8.0 + n / 2, flags=(), candidates=())
                  for n, i in enumerate(stored.result.items))
    sheet = SheetId(stored.result.form_id, stored.result.form_version, serial, client_code,
                    "2" if client_code else "", "")
    return digest, replace(stored.result, file=f"batch/{digest}.pdf", items=items, sheet=sheet)


def test_a_sheet_read_without_flags_gets_its_client_code_in_review(browser, tmp_path, spec, shots):
    """A sheet with no client code that the reader read cleanly still comes up in review: after the
    flagged items, as an identity entry showing where the code is written; `review` counts them."""
    from playwright.sync_api import expect

    from srs_scan.review.identity import IdentityLog

    db = tmp_path / "results.srs.sqlite"
    fill_store(db, spec, pages=1)                      # 4 flagged items, on a sheet with its code
    with ResultStore(db) as store:
        (stored,) = ReviewLog(store).pages()
        picture = store.sheet_jpeg(stored.content_hash, 1)
        store.put(*_unflagged(stored, "hashnocode", "NOCODE01"), picture)
        store.put(*_unflagged(stored, "hashcoded", "CODED001", "C900"), picture)  # needs nothing
    with RunningServer(db) as server:
        page, errors = _open(browser, server)
        expect(page.locator("#progress")).to_contain_text("1 of 5 · 5 left · 1 sheet without a client code")
        for _ in range(4):
            page.keyboard.press("ArrowRight")
        expect(page.locator("#progress")).to_contain_text("5 of 5")
        expect(page.locator("#heading")).to_have_text("Whose sheet is this?")
        expect(page.locator("#identity")).to_be_visible()
        expect(page.locator("#reason")).to_contain_text("no client code")
        expect(page.locator("#crop image")).to_have_count(1)   # the sheet's fields, to read the code off
        expect(page.locator("[data-action=accept]")).to_be_hidden()  # nothing else to decide here
        expect(page.locator("#id-code")).to_be_focused()
        page.screenshot(path=str(shots / "identify-entry.png"))
        page.keyboard.type("K-12")
        page.keyboard.press("Tab")
        page.keyboard.type("7")
        page.fill("#id-date", "2026-11-30")
        page.keyboard.press("Enter")                          # in the date field: saves the box
        expect(page.locator("#status")).to_contain_text("Saved: client K-12, session 7, 2026-11-30")
        expect(page.locator("#progress")).not_to_contain_text("without a client code")
        _expect_left(page, 4)
        expect(page.locator("#progress")).to_contain_text("1 of 5")  # on to the first open entry
        assert not errors
        page.close()
    with ResultStore(db) as store:
        rows = IdentityLog(store).entries()
    assert [(r.content_hash, r.field, r.new_value) for r in rows] == [
        ("hashnocode", "client_code", "K-12"), ("hashnocode", "session", "7"), ("hashnocode", "date", "2026-11-30")]
    out = tmp_path / "export.csv"
    assert main(["export", "-o", str(out), "--db", str(db), "-q"]) == 0
    row = next(r for r in csv.DictReader(out.open(encoding="utf-8")) if r["sheet_id"] == "NOCODE01")
    assert (row["client_code"], row["session"], row["date"], row["status"]) == ("K-12", "7", "2026-11-30", "ok")
