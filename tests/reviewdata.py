"""A results database full of flagged pages, built without the reader, for the review tests.

Each page's kept picture is a real printed sheet: rendered by the generator, rasterised with
pypdfium2, its content block cut out at 8 px per mm (the frame the pipeline keeps for review),
with a pen stroke drawn across each line at a known x in mm. So a click test clicks on a real
line picture at a known millimetre position.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import pypdfium2

from srs_scan.sheets.generate import render_sheets
from srs_scan.results import MULTIPLE_MARKS, NO_MARK, Candidate, ItemResult, PageResult
from srs_scan.sheets.sheetid import SheetId
from srs_scan.sheets.spec import FormSpec, block_origin_mm
from srs_scan.batch.store import ResultStore

PX_PER_MM = 8.0  # pipeline.REVIEW_PX_PER_MM
LINE_ENDS = (40.4, 139.6)  # detected end-stops, a little off the form's 40/140 like a real print


def blank_sheet(spec: FormSpec) -> np.ndarray:
    """The content block of a printed sheet at 8 px/mm, BGR."""
    pdf = render_sheets(spec, [SheetId(spec.form_id, spec.version, "TEST0001")], "a4", invariant=True)
    page = pypdfium2.PdfDocument(pdf)[0]
    scale = PX_PER_MM * 25.4 / 72  # pixels per PDF point
    image = page.render(scale=scale).to_numpy()[:, :, :3].copy()
    ox, oy = block_origin_mm(spec, "a4")
    x0, y0 = round(ox * PX_PER_MM), round(oy * PX_PER_MM)
    w, h = round(spec.block_w_mm * PX_PER_MM), round(spec.block_h_mm * PX_PER_MM)
    return np.ascontiguousarray(image[y0:y0 + h, x0:x0 + w])


def pen_stroke(image: np.ndarray, x_mm: float, y_mm: float, tilt_mm: float = 0.8) -> None:
    """A short blue-black stroke crossing the line at x_mm, slightly slanted like a hand's."""
    top = (round((x_mm + tilt_mm) * PX_PER_MM), round((y_mm - 4.0) * PX_PER_MM))
    bottom = (round((x_mm - tilt_mm) * PX_PER_MM), round((y_mm + 4.0) * PX_PER_MM))
    cv2.line(image, top, bottom, (110, 40, 20), 4, cv2.LINE_AA)


def x_for_value(value_cm: float) -> float:
    return LINE_ENDS[0] + (LINE_ENDS[1] - LINE_ENDS[0]) * value_cm / 10.0


@dataclass(frozen=True)
class Truth:
    digest: str
    page: int
    item_id: str
    mark_cm: float       # where the one real (not crossed-out) stroke is


def fill_store(db: Path, spec: FormSpec, pages: int, seed: int = 7) -> list[Truth]:
    """`pages` flagged pages of `spec` (every item flagged), each with a kept sheet picture.

    Item flags alternate: two marks (one crossed out, or stray ink) or a faint single mark with
    no candidate (flagged no_mark), so every decision kind has something to act on. On odd pages
    and page 0 the real mark is candidate 1; on the other even pages the decoy is listed first
    (stray ink on pages 2, 6, 10, ...), so a page suggesting the first candidate fails.
    """
    rng = np.random.default_rng(seed)
    blank = blank_sheet(spec)
    truths: list[Truth] = []
    with ResultStore(db) as store:
        for n in range(pages):
            image = blank.copy()
            items = []
            for k, item in enumerate(spec.items):
                mark = round(float(rng.uniform(0.5, 9.5)), 1)
                pen_stroke(image, x_for_value(mark), item.y_mm)
                if (n + k) % 2 == 0:
                    decoy = round(min(9.8, mark + 2.5) if mark < 5 else mark - 2.5, 1)
                    pen_stroke(image, x_for_value(decoy), item.y_mm, tilt_mm=-0.8)
                    real = Candidate(x_for_value(mark), mark, "stroke", True)
                    if n % 4 == 2:  # the decoy stray ink, listed first: never the suggestion
                        candidates = (Candidate(x_for_value(decoy), decoy, "stray", True, stray=True),
                                      real)
                    elif n and n % 2 == 0:  # crossed out, listed first: never the suggestion
                        candidates = (Candidate(x_for_value(decoy), decoy, "scribble", True,
                                                crossed_out=True), real)
                    else:
                        candidates = (real, Candidate(x_for_value(decoy), decoy, "scribble", True,
                                                      crossed_out=True))
                    items.append(ItemResult(item.id, None, (MULTIPLE_MARKS,), candidates, LINE_ENDS))
                else:
                    items.append(ItemResult(item.id, None, (NO_MARK,), (), LINE_ENDS))
                truths.append(Truth(f"hash{n:03d}", 1, item.id, mark))
            sheet = SheetId(spec.form_id, spec.version, f"SER{n:05d}", f"C{100 + n}", str(1 + n % 9), "")
            result = PageResult(f"batch/scan{n:03d}.pdf", 1, spec.form_id, spec.version, sheet, tuple(items))
            ok, jpeg = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 80])
            assert ok
            store.put(f"hash{n:03d}", result, jpeg.tobytes())
    return truths


class RunningServer:
    """The review app (or the app `make_app(token, port)` builds) on a real uvicorn server in a
    thread, on a free loopback port."""

    def __init__(self, db: Path, connections=None, make_app=None) -> None:
        import threading

        import uvicorn

        from srs_scan.review.connections import ConnectionParams
        from srs_scan.sheets.spec import load_form_library
        from srs_scan.review.web import bind_loopback, create_app, new_token, server_config

        self.sock = bind_loopback(0)
        self.port = self.sock.getsockname()[1]
        self.token = new_token()
        self.origin = f"http://127.0.0.1:{self.port}"
        app = (make_app or (lambda token, port: create_app(db, load_form_library(), token, port)))(
            self.token, self.port)
        self.server = uvicorn.Server(server_config(app, connections or ConnectionParams()))
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True)

    def __enter__(self) -> RunningServer:
        import time

        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started and time.monotonic() < deadline:
            time.sleep(0.02)
        assert self.server.started, "the review server did not start"
        return self

    def __exit__(self, *_: object) -> None:
        self.server.should_exit = True
        self.thread.join(10)
        self.sock.close()

    def request(self, method: str, path: str, body: bytes | None = None,
                headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
        import http.client

        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            connection.request(method, path, body=body, headers=headers or {})
            response = connection.getresponse()
            return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
        finally:
            connection.close()
