"""The session page in Debian's Chromium with a fake camera playing simulated sheets.

The camera is Chromium's own fake device fed from a .y4m video written here (`simulate.video`):
a sheet moving in the hand with motion blur, then held still, looping. The test checks that the
values the page shows match the truth within 1 mm, that the server never gave a value for a frame
of the moving sheet (each frame carries its phase in a corner square), and that after confirming
the reading lands in the store exactly once, also when the same sheet is confirmed again. A second
test drops a photo of a sheet with an unmarked item and clicks its mark on the crop, as in review.

Screenshots of each state go to tmp_path, or to $SRS_SESSION_SCREENSHOTS when set. Skipped without
Chromium or Playwright (failed under CI, like test_review_browser.py).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import cv2
import pytest

from srs_scan.batch.store import ResultStore
from srs_scan.clinical.settings import defaults
from srs_scan.results import ItemResult, PageResult
from srs_scan.review import session as session_module
from srs_scan.review.decisions import ReviewLog, crop_box_mm
from srs_scan.sheets.sheetid import SheetId
from srs_scan.sheets.spec import load_form, load_form_library
from srs_scan.simulate.video import MOVING, CameraShot, camera_sequence, phase_of, write_y4m
from tests.reviewdata import RunningServer
from tests.test_review_browser import CHROMIUM_ARGS, _unavailable

FPS = 4  # the page sends at most 4 frames a second: about one a video frame
SHOT = CameraShot(moving_frames=6, steady_frames=10)
THERAPIST = "Test Therapist"


@pytest.fixture(scope="module")
def sequence():
    return camera_sequence(load_form(), 3, SHOT)  # client C8572, session 13, every item marked once


@pytest.fixture(scope="module")
def playwright():
    if shutil.which("chromium") is None:
        _unavailable("Debian's chromium is not installed (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("playwright is not installed (pip install -e '.[test]')")
    with sync_playwright() as playwright:  # one per module: Playwright's sync API allows no second
        yield playwright


def _chromium(playwright, args: list[str]):
    browser = playwright.chromium.launch(executable_path=shutil.which("chromium"), args=[*CHROMIUM_ARGS, *args])
    yield browser
    browser.close()


@pytest.fixture(scope="module")
def browser(playwright, sequence, tmp_path_factory):
    """Chromium whose camera plays the sequence, looping; camera use allowed without asking."""
    video = tmp_path_factory.mktemp("camera") / "sheet.y4m"
    write_y4m(video, sequence.frames, FPS)
    yield from _chromium(playwright, ["--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
                                      f"--use-file-for-fake-video-capture={video}"])


@pytest.fixture(scope="module")
def cameraless(playwright):
    """Chromium on a computer without a camera: the page offers the drop."""
    yield from _chromium(playwright, [])


@pytest.fixture
def shots(tmp_path) -> Path:
    folder = Path(os.environ.get("SRS_SESSION_SCREENSHOTS", tmp_path))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def earlier_sessions(db: Path, client: str, totals: dict[int, tuple[float, ...]]) -> None:
    """Earlier SRS sheets of the client, so the chart shows a history with this session added."""
    items = ("relationship", "goals", "approach", "overall")
    with ResultStore(db) as store:
        for session, values in totals.items():
            sheet = SheetId("srs", 1, f"EARL{session:04d}", client, str(session), "")
            result = PageResult(f"earlier{session}.pdf", 1, "srs", 1, sheet,
                                tuple(ItemResult(i, v) for i, v in zip(items, values)))
            store.put(f"earlier{session}", result)


def _session(db: Path):
    forms = load_form_library()
    return RunningServer(db, make_app=lambda token, port: session_module.create_session_app(
        db, forms, defaults(), token, port))


def _open(browser, server):
    page = browser.new_page(viewport={"width": 1500, "height": 1000})
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{server.origin}/#token={server.token}")
    page.wait_for_selector("body[data-ready=yes]")
    page.fill("#name", THERAPIST)
    page.keyboard.press("Enter")
    return page, errors


def test_the_camera_page_reads_the_steady_sheet_and_stores_it_once(browser, sequence, tmp_path, shots, monkeypatch):
    db = tmp_path / "results.srs.sqlite"
    earlier_sessions(db, "C8572", {10: (8.1, 7.9, 8.4, 8.0), 11: (9.0, 8.8, 9.1, 9.2), 12: (9.4, 9.1, 9.5, 9.3)})
    seen: list[tuple[str, str, bool]] = []   # (phase of the frame, hint, a reading)
    real = session_module.read_frame

    def spy(image, *args, **kwargs):
        frame = real(image, *args, **kwargs)
        seen.append((phase_of(image), frame.hint, frame.result is not None))
        return frame

    monkeypatch.setattr(session_module, "read_frame", spy)
    with _session(db) as server:
        page, errors = _open(browser, server)
        page.wait_for_selector("body[data-state=hint]", timeout=20_000)
        assert page.locator("#result").is_hidden()                 # a hint, never a value
        page.screenshot(path=str(shots / "session-hint.png"))
        page.wait_for_selector("body[data-state=confident]", timeout=40_000)
        page.screenshot(path=str(shots / "session-reading.png"))
        shown = [page.locator(f'#values tr[data-item="{item.id}"] td.value').get_attribute("data-value")
                 for item in load_form().items]
        for value, truth in zip(shown, sequence.truth):
            assert float(value) == pytest.approx(truth, abs=0.1)     # within 1 mm
        assert "C8572" in page.locator("#sheet-line").inner_text()
        assert page.locator("#chart").get_attribute("src").startswith("blob:")
        page.click("#store-it")
        page.wait_for_selector("body[data-state=stored]")
        page.screenshot(path=str(shots / "session-stored.png"))
        # the same sheet held up again and confirmed again: refused, not a second session
        page.click("#next-sheet")
        page.wait_for_selector("body[data-state=confident]", timeout=40_000)
        page.click("#store-it")
        from playwright.sync_api import expect
        expect(page.locator("#status")).to_contain_text("already in the results store")
        assert errors == []
    moving = [s for s in seen if s[0] == MOVING]
    assert moving and all(hint and not reading for _, hint, reading in moving), moving
    with ResultStore(db) as store:
        rows = store.db.execute("SELECT result FROM pages WHERE content_hash NOT LIKE 'earlier%'").fetchall()
        assert len(rows) == 1 and '"40YGECYY"' in rows[0][0]
        assert store.db.execute("SELECT COUNT(*) FROM camera_frames").fetchone()[0] == 1
        assert store.verify().intact


def test_a_dropped_photo_with_an_unmarked_item_is_read_and_its_mark_clicked(cameraless, tmp_path, shots):
    photo = camera_sequence(load_form(), 2, CameraShot(moving_frames=0, steady_frames=1)).frames[0]
    ok, jpeg = cv2.imencode(".jpg", photo, [cv2.IMWRITE_JPEG_QUALITY, 92])
    db = tmp_path / "results.srs.sqlite"
    spec = load_form()
    with _session(db) as server:
        page, errors = _open(cameraless, server)
        from playwright.sync_api import expect
        expect(page.locator("#hint")).to_contain_text("drop a photo")
        transfer = page.evaluate_handle(
            "(bytes) => { const t = new DataTransfer();"
            " t.items.add(new File([new Uint8Array(bytes)], 'phone.jpg', {type: 'image/jpeg'})); return t; }",
            list(jpeg.tobytes()))
        page.dispatch_event("body", "drop", {"dataTransfer": transfer})
        try:
            page.wait_for_selector("body[data-state=confident]", timeout=20_000)
        except Exception:
            raise AssertionError(f"hint: {page.locator('#hint').inner_text()!r}, status: "
                                 f"{page.locator('#status').inner_text()!r}, errors: {errors}") from None
        flagged = page.locator("#values tr.flagged")
        assert flagged.count() >= 1                        # approach has no mark: never a value
        page.click("#store-it")
        page.wait_for_selector(".flag-item svg image")
        item_id = page.locator(".flag-item").first.get_attribute("data-item")
        item = next(i for i in spec.items if i.id == item_id)
        stored = page.locator(".flag-item svg").first
        box = stored.bounding_box()
        with ResultStore(db) as store:
            (digest, _), = store.db.execute("SELECT content_hash, page FROM pages").fetchall()
            result = ReviewLog(store).page(digest, 1).result
        ends = next(i.line_ends_x_mm for i in result.items if i.item_id == item_id) or (40.0, 140.0)
        x0, y0, w, h = crop_box_mm(spec, item.y_mm, ends)
        x_mm = ends[0] + (ends[1] - ends[0]) * 0.62
        page.screenshot(path=str(shots / "session-flagged.png"))
        page.mouse.click(box["x"] + (x_mm - x0) / w * box["width"], box["y"] + (item.y_mm - y0) / h * box["height"])
        page.wait_for_selector(f'.flag-item.done[data-item="{item_id}"]')
        assert errors == []
    with ResultStore(db) as store:
        (decision,) = ReviewLog(store).decisions()
    assert decision.item_id == item_id and decision.reviewer == THERAPIST
    assert decision.new_value == pytest.approx(6.2, abs=0.1)
