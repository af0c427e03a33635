"""The review page in a real headless browser (pattern: test_review_browser.py): `F` asks first
and a later mark undoes it, `N` and `D` on whole-page entries, the whole page large with zoom,
candidate numbers that never overlap, and the reviewer's name remembered."""

from __future__ import annotations

import csv
from pathlib import Path

import cv2
import pytest

from srs_scan.batch.store import ResultStore
from srs_scan.cli import main
from srs_scan.results import BLANK_PAGE, MULTIPLE_MARKS, NO_MARK, Candidate, ItemResult, PageResult
from srs_scan.review.decisions import ReviewLog
from srs_scan.sheets.sheetid import SheetId
from tests.reviewdata import LINE_ENDS, RunningServer, blank_sheet, fill_store, x_for_value
from tests.test_review_browser import REVIEWER, _expect_left, _open, browser, shots  # noqa: F401 (fixtures)


def _export(db: Path, tmp_path: Path) -> list[dict[str, str]]:
    out = tmp_path / "export.csv"
    assert main(["export", "-o", str(out), "--db", str(db), "-q"]) == 0
    return list(csv.DictReader(out.open(encoding="utf-8")))


def _put(db: Path, spec, pages: list[tuple[str, PageResult]]) -> None:
    ok, jpeg = cv2.imencode(".jpg", blank_sheet(spec))
    with ResultStore(db) as store:
        for digest, result in pages:
            store.put(digest, result, jpeg.tobytes())


def _items(spec, flags=(NO_MARK,), candidates=()) -> tuple[ItemResult, ...]:
    return tuple(ItemResult(i.id, None, flags, candidates, LINE_ENDS) for i in spec.items)


def test_f_asks_first_and_a_mark_chosen_later_undoes_it(browser, tmp_path, spec):
    db = tmp_path / "results.srs.sqlite"
    fill_store(db, spec, pages=1)  # 4 flagged items; the first has two candidate marks
    with RunningServer(db) as server:
        page, errors = _open(browser, server)
        _expect_left(page, 4)
        page.keyboard.press("f")
        page.wait_for_selector("#confirm-dialog[open]")
        page.keyboard.press("Escape")  # changed her mind: nothing recorded
        page.wait_for_selector("#confirm-dialog", state="hidden")
        _expect_left(page, 4)
        page.keyboard.press("f")
        page.wait_for_selector("#confirm-dialog[open]")
        page.keyboard.press("f")  # F again confirms
        page.wait_for_selector("#done:not([hidden])")
        assert "not a form" in page.locator("#done-status").inner_text()
        assert "a_form" not in page.locator("#done-status").inner_text()
        page.keyboard.press("ArrowLeft")  # back to the last item, then to the first
        page.keyboard.press("ArrowLeft")
        page.keyboard.press("ArrowLeft")
        page.keyboard.press("ArrowLeft")
        assert page.locator("#heading").inner_text() == spec.items[0].heading
        assert "marked not a form" in page.locator("#status").inner_text()
        page.keyboard.press("1")  # a mark: it is a form after all
        _expect_left(page, 3)
        assert errors == []
    with ResultStore(db) as store:
        assert [d.action for d in ReviewLog(store).decisions()] == ["not_a_form", "candidate"]
    (row,) = _export(db, tmp_path)
    assert row["status"] == "review" and row[spec.items[0].id] != ""


def test_n_on_a_whole_page_entry_and_d_drops_a_copy(browser, tmp_path, spec):
    db = tmp_path / "results.srs.sqlite"
    sheet = SheetId(spec.form_id, spec.version, "TWICE001", "C7", "3", "")
    blank = PageResult("stack.pdf", 1, spec.form_id, spec.version,
                       SheetId(spec.form_id, spec.version, "BLANK001"), _items(spec), flags=(BLANK_PAGE,))
    good = PageResult("stack.pdf", 2, spec.form_id, spec.version, sheet,
                      tuple(ItemResult(i.id, 5.0, (), (), LINE_ENDS) for i in spec.items))
    again = PageResult("stack.pdf", 3, spec.form_id, spec.version, sheet,
                       tuple(ItemResult(i.id, 5.0, (), (), LINE_ENDS) for i in spec.items))
    _put(db, spec, [("h", blank), ("h", good), ("h", again)])
    with RunningServer(db) as server:
        page, errors = _open(browser, server)
        assert page.locator("#heading").inner_text() == "The whole page"
        assert page.locator("#drop").is_hidden()
        _expect_left(page, 7)  # the blank page, its 4 items; the copy; the blank sheet's client code
        page.keyboard.press("n")  # the client answered nothing
        _expect_left(page, 2)
        assert "stack.pdf, page 3" in page.locator("#source").inner_text()
        assert page.locator("#drop").is_visible()
        page.keyboard.press("d")
        _expect_left(page, 1)     # who the blank sheet is for: asked after the flagged items
        assert page.locator("#heading").inner_text() == "Whose sheet is this?"
        page.keyboard.type("C8")
        page.keyboard.press("Tab")
        page.keyboard.type("2")
        page.keyboard.press("Enter")
        page.wait_for_selector("#done:not([hidden])")
        assert errors == []
    rows = _export(db, tmp_path)
    assert [r["status"] for r in rows] == ["incomplete", "ok", "dropped"]
    assert rows[2]["total"] == "" and rows[1]["total"] == "20.0"


def test_the_whole_page_is_large_and_zooms(browser, tmp_path, spec, shots):
    db = tmp_path / "results.srs.sqlite"
    fill_store(db, spec, pages=1)
    with RunningServer(db) as server:
        page, errors = _open(browser, server)
        page.keyboard.press("p")
        page.wait_for_selector("#page-view:not([hidden])")
        page.wait_for_timeout(200)
        page.screenshot(path=str(shots / "review-whole-page.png"))
        first = page.locator("#page-svg").bounding_box()
        assert first["height"] >= 640 and first["width"] >= 640 * spec.block_w_mm / spec.block_h_mm - 2
        page.keyboard.press("+")
        page.keyboard.press("+")
        page.wait_for_timeout(100)
        zoomed = page.locator("#page-svg").bounding_box()
        assert zoomed["height"] == pytest.approx(2 * first["height"], rel=0.02)
        assert "200 %" in page.locator("#zoom-level").inner_text()
        page.keyboard.press("-")
        page.wait_for_timeout(100)
        assert page.locator("#page-svg").bounding_box()["height"] == pytest.approx(1.5 * first["height"], rel=0.02)
        assert errors == []


def test_candidate_numbers_never_overlap(browser, tmp_path, spec, shots):
    db = tmp_path / "results.srs.sqlite"
    close = tuple(Candidate(x_for_value(v), v, "tick", True) for v in (3.0, 3.05, 3.1, 3.2, 3.4, 7.0))
    result = PageResult("close.pdf", 1, spec.form_id, spec.version,
                        SheetId(spec.form_id, spec.version, "CLOSE001"),
                        _items(spec, (MULTIPLE_MARKS,), close))
    _put(db, spec, [("h", result)])
    with RunningServer(db) as server:
        page, errors = _open(browser, server)
        page.wait_for_selector("#crop .cand text")
        page.wait_for_timeout(200)
        page.screenshot(path=str(shots / "review-close-marks.png"))
        boxes = [t.bounding_box() for t in page.locator("#crop .cand text").all()]
        assert len(boxes) == len(close)
        for n, a in enumerate(boxes):
            for b in boxes[n + 1:]:
                apart = (a["x"] + a["width"] <= b["x"] or b["x"] + b["width"] <= a["x"]
                         or a["y"] + a["height"] <= b["y"] or b["y"] + b["height"] <= a["y"])
                assert apart, (a, b)
        crop = page.locator("#crop").bounding_box()
        assert all(crop["y"] <= b["y"] and b["y"] + b["height"] <= crop["y"] + crop["height"] for b in boxes)
        assert errors == []


def test_the_reviewers_name_is_asked_once(browser, tmp_path, spec):
    """Asked once on this computer, not on every page load: a new tab (as each `srs-scan review`
    opens) and a reload both know the name."""
    db = tmp_path / "results.srs.sqlite"
    fill_store(db, spec, pages=1)
    with RunningServer(db) as server:
        context = browser.new_context(viewport={"width": 1400, "height": 900})
        first = context.new_page()
        first.goto(f"{server.origin}/#token={server.token}")
        first.wait_for_selector("body[data-ready=yes]")
        first.fill("#name", REVIEWER)
        first.keyboard.press("Enter")
        page = context.new_page()  # a new tab on the printed link: this computer's storage
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(f"{server.origin}/#token={server.token}")
        page.wait_for_selector("body[data-ready=yes]")
        page.reload()
        page.wait_for_selector("body[data-ready=yes]")
        page.wait_for_timeout(200)
        assert not page.locator("#name-dialog").evaluate("d => d.open")
        assert REVIEWER in page.locator("#who").inner_text()
        page.keyboard.press("n")  # the keys work at once: no name to type first
        _expect_left(page, 3)
        assert errors == []
        context.close()


def test_a_key_right_after_the_confirm_dialog_closes_reaches_the_page(browser, tmp_path, spec):
    # the browser moves the focus out of a closed dialog only at its next frame: a loaded machine
    # once let the second F land on the closed dialog's button, whose own F handler swallowed it
    db = tmp_path / "results.srs.sqlite"
    fill_store(db, spec, pages=1)
    with RunningServer(db) as server:
        page, errors = _open(browser, server)
        _expect_left(page, 4)
        page.keyboard.press("f")
        page.wait_for_selector("#confirm-dialog[open]")
        target = page.evaluate("""() => {
            const dialog = document.getElementById("confirm-dialog");
            dialog.close();  // what Esc does, then a key in the same frame
            const target = document.activeElement;
            target.dispatchEvent(new KeyboardEvent("keydown", {key: "f", bubbles: true, cancelable: true}));
            return target.id || target.tagName;
        }""")
        page.wait_for_selector("#confirm-dialog[open]", timeout=5000)
        _expect_left(page, 4)
        assert errors == [], target
