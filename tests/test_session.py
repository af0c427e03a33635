"""The in-session page's server: frames in, hints or a confident reading out, stored once on confirm.

Frames are simulated camera frames (`simulate.video`): a sheet moving in the hand, then held still,
with the plan's truth. Each test posts JPEG frames through a real server (token, CSRF, Origin) as
the page does; the browser itself is test_session_browser.py's.
"""

from __future__ import annotations

import csv
import hashlib
import json

import cv2
import numpy as np
import pytest

from srs_scan.batch.store import ResultStore
from srs_scan.clinical.records import readings, stored_pages
from srs_scan.clinical.history import histories
from srs_scan.clinical.settings import defaults
from srs_scan.review.camera import CameraParams, HINTS, Accumulator, agree, read_frame
from srs_scan.review.session import create_session_app
from srs_scan.review.web import csrf_token
from srs_scan.results import DUPLICATE_SHEET, ItemResult, PageResult
from srs_scan.sheets.spec import load_form, load_form_library
from srs_scan.simulate.video import STEADY, CameraShot, camera_sequence
from tests.reviewdata import RunningServer

SHOT = CameraShot(moving_frames=4, steady_frames=5)


@pytest.fixture(scope="module")
def forms():
    return load_form_library()


@pytest.fixture(scope="module")
def prefilled():
    """Seed 3: a pre-filled sheet (client C8572, session 13), every item marked once."""
    return camera_sequence(load_form(), 3, SHOT)


@pytest.fixture(scope="module")
def blank_code():
    """Seed 1: a sheet printed blank (a serial, no client code in its QR code)."""
    return camera_sequence(load_form(), 1, SHOT)


def _jpeg(image: np.ndarray, quality: int = 90) -> bytes:
    ok, data = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
    assert ok
    return data.tobytes()


def _assert_truth(items: list[dict], truth) -> None:
    for item, value in zip(items, truth):
        assert item["value_cm"] == pytest.approx(value, abs=0.1), item["item_id"]  # 1 mm


class Session:
    def __init__(self, db, forms, settings=None) -> None:
        self.server = RunningServer(db, make_app=lambda token, port: create_session_app(
            db, forms, settings or defaults(), token, port))

    def __enter__(self):
        self.server.__enter__()
        self.csrf = csrf_token(self.server.token)
        return self

    def __exit__(self, *exc) -> None:
        self.server.__exit__(*exc)

    def post(self, path: str, body: bytes, kind: str = "application/json", **headers: str):
        status, _, data = self.server.request("POST", path, body, {
            "X-SRS-Token": self.server.token, "X-CSRF-Token": self.csrf, "Origin": self.server.origin,
            "Content-Type": kind, "Content-Length": str(len(body)), **headers})
        return status, json.loads(data) if data.startswith(b"{") else data.decode()

    def frames(self, frames, quality: int = 90) -> list[dict]:
        answers = []
        for frame in frames:
            status, answer = self.post("/api/frame", _jpeg(frame, quality), "image/jpeg")
            assert status == 200, answer
            answers.append(answer)
        return answers

    def confirm(self, reading: str, **fields: str):
        return self.post("/api/confirm", json.dumps({"reading": reading, "therapist": "T. Therapist", **fields}).encode())


def test_moving_frames_give_hints_and_steady_ones_a_confident_reading(tmp_path, forms, prefilled):
    with Session(tmp_path / "r.sqlite", forms) as s:
        answers = s.frames(prefilled.frames)
    moving = [a for a, phase in zip(answers, prefilled.phases) if phase != STEADY]
    assert all(a["state"] == "hint" for a in moving)
    assert {a["hint"] for a in moving} <= set(HINTS.values())
    assert not any("reading" in a for a in answers[:-2])   # no value before 3 frames agree
    confident = [a for a in answers if a["state"] == "confident"]
    assert confident, [a.get("hint") or a["state"] for a in answers]
    reading = confident[0]["reading"]
    _assert_truth(reading["items"], prefilled.truth)
    assert reading["client_code"] == "C8572" and reading["session"] == "13"
    assert reading["total"] == pytest.approx(sum(prefilled.truth), abs=0.4)
    assert reading["chart"].startswith("<svg")                        # the client's chart, this session in it


def test_the_accumulator_needs_three_agreeing_frames_and_never_mixes_sheets(forms, prefilled):
    steady = [f for f, p in zip(prefilled.frames, prefilled.phases) if p == STEADY]
    acc, previous = Accumulator(CameraParams()), None
    seen = []
    for frame in steady[:4]:
        read = read_frame(frame, forms, previous)
        previous = read
        seen.append(acc.add(read, b"", frame) is not None)
    assert seen == [False, False, False, True]  # the first waits for a second look (motion), then 3 agree
    result = acc.confident.result
    moved = PageResult(**{**result.__dict__, "items": tuple(
        ItemResult(i.item_id, i.value_cm + (0.06 if n == 0 else 0.0), i.flags) for n, i in enumerate(result.items))})
    assert agree([result, result], 0.5)
    assert not agree([result, moved], 0.5)             # 0.6 mm apart on one item
    flagged = PageResult(**{**result.__dict__, "items": (ItemResult(result.items[0].item_id, None, ("faint",)),
                                                         *result.items[1:])})
    assert not agree([result, flagged], 0.5)           # an item flagged in one frame only
    for n in range(5):                                   # found in every other frame: never confident,
        assert acc.add(_as_frame(flagged if n % 2 else result), b"", steady[0]) is None
    assert acc.unsettled                                 # and the page says why
    other = PageResult(**{**result.__dict__, "sheet": result.sheet.__class__(**{**result.sheet.__dict__, "serial": "OTHER123"})})
    assert not agree([result, other], 0.5)


def _as_frame(result: PageResult):
    from srs_scan.review.camera import Frame

    return Frame("", result, np.zeros((4, 2)), 3.0)


def test_hints_for_glare_a_hidden_corner_a_far_sheet_and_no_sheet(forms, prefilled):
    steady = prefilled.frames[-1]
    still = read_frame(steady, forms, None)  # gives the corners of the sheet for the motion check
    h, w = steady.shape[:2]
    glare = steady.copy()
    cv2.ellipse(glare, (w // 2, h // 2), (120, 90), 0, 0, 360, (255, 255, 255), -1)
    assert read_frame(glare, forms, still).hint == "glare"
    cut = steady[: int(h * 0.7)]                        # the bottom of the sheet outside the picture
    assert read_frame(cut, forms, None).hint == "whole_sheet"
    far = cv2.copyMakeBorder(cv2.resize(steady, None, fx=0.6, fy=0.6, interpolation=cv2.INTER_AREA),
                             150, 150, 250, 250, cv2.BORDER_CONSTANT, value=(90, 90, 90))
    assert read_frame(far, forms, None).hint == "closer"
    assert read_frame(np.full((720, 1280, 3), 128, np.uint8), forms, None).hint == "no_sheet"
    blurred = cv2.GaussianBlur(steady, (0, 0), 3.0)
    assert read_frame(blurred, forms, read_frame(blurred, forms, None)).hint in ("still", "no_sheet")


def _confident(s: Session, sequence, quality: int = 90) -> dict:
    answers = s.frames(sequence.frames, quality)
    return next(a for a in answers if a["state"] == "confident")["reading"]


def test_confirm_stores_the_reading_once_and_a_later_scan_is_the_same_sheet(tmp_path, forms, prefilled):
    from srs_scan.cli import main

    db = tmp_path / "r.sqlite"
    with Session(db, forms) as s:
        reading = _confident(s, prefilled)
        status, out = s.confirm(reading["id"])
        assert status == 200, out
        assert out["page"]["client_code"] == "C8572" and out["clinical"]["chart"].startswith("<svg")
        status, again = s.confirm(reading["id"])        # the reading is gone from the page
        assert status == 400 and "read the sheet again" in again["error"]
        second = _confident(s, prefilled, quality=88)      # the same sheet held up once more: other frames
        status, refused = s.confirm(second["id"])
        assert status == 400 and "already in the results store" in refused["error"]
    with ResultStore(db) as store:
        assert store.verify().intact
        (row,) = store.db.execute("SELECT content_hash, picture, source, therapist FROM camera_frames").fetchall()
        assert hashlib.sha256(row[1]).hexdigest() == row[0] and row[2:] == ("camera", "T. Therapist")
        assert len(stored_pages(store)) == 1
        (run,) = store.runs()                              # the confirmed reading is a run's
        assert run.command == "session" and list(store.page_runs().values()) == [run.id]
    # the front desk scans the same sheet later: recognised as that sheet, not a second session
    photo = tmp_path / "desk" / "scan.jpg"
    photo.parent.mkdir()
    cv2.imwrite(str(photo), prefilled.frames[-1], [cv2.IMWRITE_JPEG_QUALITY, 95])
    main(["scan", str(photo.parent), "-o", str(tmp_path / "out.csv"), "--db", str(db), "--quiet", "--jobs", "1"])
    rows = list(csv.DictReader((tmp_path / "out.csv").open()))
    scanned = [r for r in rows if r["file"].endswith("scan.jpg")]
    assert len(scanned) == 1 and DUPLICATE_SHEET in scanned[0]["flags"]
    with ResultStore(db) as store:
        history = histories(readings(stored_pages(store)))["C8572"]
    assert len(history) == 1
    # `import` into another store takes the session's picture along with its reading
    from srs_scan.batch.merge import import_store

    with ResultStore(tmp_path / "other.sqlite") as other:
        assert import_store(db, other).counts["camera_frames"] == 1


def test_a_sheet_without_a_client_code_asks_for_it(tmp_path, forms, blank_code):
    db = tmp_path / "r.sqlite"
    with Session(db, forms) as s:
        reading = _confident(s, blank_code)
        assert reading["needs_identity"] and reading["chart"] == ""
        _assert_truth(reading["items"], blank_code.truth)
        status, out = s.confirm(reading["id"])
        assert status == 400 and "no client code" in out["error"]
        status, out = s.confirm(reading["id"], client_code="Jane Doe", session="3", date="2026-12-01")
        assert status == 400  # a name is not a client code: the review's rule
        status, out = s.confirm(reading["id"], client_code="K-77", session="3", date="2026-12-01")
        assert status == 200, out
        assert out["page"]["client_code"] == "K-77" and out["page"]["identity_typed"]
        assert out["clinical"]["chart"].startswith("<svg")


def test_the_session_server_refuses_what_is_not_ours(tmp_path, forms, prefilled):
    with Session(tmp_path / "r.sqlite", forms) as s:
        frame = _jpeg(prefilled.frames[0])
        status, _, _ = s.server.request("POST", "/api/frame", frame, {"Content-Type": "image/jpeg"})
        assert status == 401                                                   # no token
        assert s.post("/api/frame", frame, "image/gif")[0] == 415
        assert s.post("/api/frame", b"GIF89a not a picture", "image/jpeg") == (400, {"error": "send a JPEG or PNG picture"})
        assert s.post("/api/frame", frame, "image/jpeg", Origin="http://evil.example")[0] == 403
        assert s.post("/api/confirm", b'{"reading": 5}')[0] == 400
        big = b"\xff\xd8\xff" + b"\0" * (13 * 1024 * 1024)
        assert s.post("/api/frame", big, "image/jpeg")[0] == 413
        bomb = cv2.imencode(".png", np.zeros((8000, 8000), np.uint8))[1].tobytes()  # 69 kB, 64 MP
        status, answer = s.post("/api/photo", bomb, "image/png")
        assert status == 400 and "too large" in answer["error"]
        status, _, page = s.server.request("GET", "/")
        assert status == 200 and b"session.js" in page                        # the shell needs no token


def test_a_failure_in_the_server_is_a_message_not_a_traceback(tmp_path, forms, monkeypatch, capfd):
    from srs_scan.review import session as session_module

    def broken(*_args, **_kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(session_module, "decode", broken)
    with Session(tmp_path / "r.sqlite", forms) as s:
        status, answer = s.post("/api/frame", b"\xff\xd8\xff", "image/jpeg")
    assert status == 500 and "internal error in srs-scan (RuntimeError)" in answer["error"]
    assert "Traceback" not in capfd.readouterr().err
