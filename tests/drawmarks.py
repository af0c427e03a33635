"""Test helper (dev only): render a real sheet, draw pen marks at known mm positions, distort.

Pages are rendered from the generator's own PDF, so the tests measure the same
geometry a printer would print. Pen marks are drawn with OpenCV in page pixels
converted from form millimetres; distortions (rotation, skew, print scale,
blur, JPEG) are applied afterwards, like a printer and a scanner would.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import cv2
import numpy as np
import pypdfium2

from srs_scan.sheets.generate import render_sheets
from srs_scan.sheets.sheetid import SheetId
from srs_scan.sheets.spec import FormSpec, block_origin_mm, load_form

BLUE = (170, 60, 20)     # BGR ballpoint blue
BLACK = (25, 25, 25)
RED = (40, 30, 200)
PENCIL = (150, 150, 150)
SHEET = SheetId("srs", 1, "7KQ2M9XD", "C042", "5", "2026-11-26")


@functools.lru_cache(maxsize=8)
def _blank(dpi: int, payload_sheet: SheetId, paper: str) -> np.ndarray:
    pdf = render_sheets(load_form(), [payload_sheet], paper, invariant=True)
    page = pypdfium2.PdfDocument(pdf)[0]
    rgb = page.render(scale=dpi / 72).to_numpy()
    return cv2.cvtColor(rgb[:, :, :3], cv2.COLOR_RGB2BGR)


def blank_page(dpi: int = 300, sheet: SheetId = SHEET, paper: str = "a4") -> np.ndarray:
    """A freshly rendered sheet, BGR, as a copy the caller may draw on."""
    return _blank(dpi, sheet, paper).copy()


@dataclass(frozen=True)
class Pen:
    colour: tuple[int, int, int] = BLUE
    width_mm: float = 0.5


class Drawer:
    """Draws on a page in form millimetres."""

    def __init__(self, image: np.ndarray, spec: FormSpec | None = None, dpi: int = 300,
                 paper: str = "a4") -> None:
        self.image, self.spec, self.dpi = image, spec or load_form(), dpi
        self.origin = block_origin_mm(self.spec, paper)
        self.shift = 4  # cv2 fixed-point bits for sub-pixel drawing

    def px(self, x_mm: float, y_mm: float) -> tuple[int, int]:
        s = self.dpi / 25.4 * (1 << self.shift)
        return (round((self.origin[0] + x_mm) * s), round((self.origin[1] + y_mm) * s))

    def _w(self, pen: Pen) -> int:
        return max(1, round(pen.width_mm * self.dpi / 25.4))

    def stroke(self, x0: float, y0: float, x1: float, y1: float, pen: Pen = Pen()) -> None:
        cv2.line(self.image, self.px(x0, y0), self.px(x1, y1), pen.colour, self._w(pen),
                 cv2.LINE_AA, self.shift)

    def line_y(self, item: int) -> float:
        return self.spec.items[item].y_mm

    def x_of(self, value_cm: float) -> float:
        return self.spec.line_x_mm + value_cm * 10.0

    # mark shapes, each centred where it meets the line at value_cm
    def tick(self, item: int, value_cm: float, pen: Pen = Pen(), up: float = 3.0,
             down: float = 3.0, lean_mm: float = 0.0) -> None:
        x, y = self.x_of(value_cm), self.line_y(item)
        # lean: x offset per mm of height, the stroke still passes through (x, y)
        self.stroke(x + lean_mm * up, y - up, x - lean_mm * down, y + down, pen)

    def cross(self, item: int, value_cm: float, pen: Pen = Pen(), arm: float = 2.5) -> None:
        x, y = self.x_of(value_cm), self.line_y(item)
        self.stroke(x - arm, y - arm, x + arm, y + arm, pen)
        self.stroke(x - arm, y + arm, x + arm, y - arm, pen)

    def circle(self, item: int, value_cm: float, pen: Pen = Pen(), r: float = 2.5) -> None:
        x, y = self.x_of(value_cm), self.line_y(item)
        s = self.dpi / 25.4 * (1 << self.shift)
        cv2.circle(self.image, self.px(x, y), round(r * s), pen.colour, self._w(pen),
                   cv2.LINE_AA, self.shift)

    def dot(self, item: int, value_cm: float, pen: Pen = Pen(), r: float = 0.8) -> None:
        x, y = self.x_of(value_cm), self.line_y(item)
        s = self.dpi / 25.4 * (1 << self.shift)
        cv2.circle(self.image, self.px(x, y), round(r * s), pen.colour, -1, cv2.LINE_AA,
                   self.shift)

    def scribble(self, item: int, value_cm: float, pen: Pen = Pen(), size: float = 5.0) -> None:
        """Dense zig-zag hatching over a square: how people cross a mark out."""
        x, y = self.x_of(value_cm), self.line_y(item)
        h = size / 2
        steps = 14
        for i in range(steps):
            t0, t1 = i / steps, (i + 1) / steps
            self.stroke(x - h + size * t0, y + (h if i % 2 else -h),
                        x - h + size * t1, y + (-h if i % 2 else h), pen)
        self.tick(item, value_cm, pen, up=h, down=h)
        for i in range(steps):
            yy = y - h + size * i / steps
            self.stroke(x - h, yy, x + h, yy + size / steps, pen)


def distort(image: np.ndarray, angle_deg: float = 0.0, scale: float = 1.0,
            quarter_turns: int = 0, blur: float = 0.0, jpeg: int = 0,
            grey: bool = False) -> np.ndarray:
    """Rotate by a small angle and scale about the centre (printer), turn, blur, JPEG (scanner)."""
    h, w = image.shape[:2]
    if angle_deg or scale != 1.0:
        m = cv2.getRotationMatrix2D((w / 2, h / 2), angle_deg, scale)
        image = cv2.warpAffine(image, m, (w, h), flags=cv2.INTER_LINEAR,
                               borderValue=(255, 255, 255))
    if quarter_turns % 4:
        image = np.ascontiguousarray(np.rot90(image, quarter_turns % 4))
    if blur:
        image = cv2.GaussianBlur(image, (0, 0), blur)
    if grey:
        image = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    if jpeg:
        ok, buf = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, jpeg])
        assert ok
        image = cv2.imdecode(buf, cv2.IMREAD_UNCHANGED)
    return image

