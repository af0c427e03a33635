"""An audit picture of one read page: the sheet as registered, with what the reader saw drawn on it.

The page is warped upright into the form frame (so every sheet looks the same
whatever way it was scanned) and each line shows its detected end-stops
(green), the mark(s) found (blue; grey when crossed out or stray ink; an off-line mark in red
where its ink is, the gap to the line left visible), the value right of every mark, and any
flags in red in the margin left of the line, where no mark is. Pages that could not be registered get their
reason written across the original image. Drawing only: nothing is measured here.
"""

from __future__ import annotations

import cv2
import numpy as np

from srs_scan.results import ItemResult, PageResult
from srs_scan.sheets.spec import FormSpec

PX_PER_MM = 5.0          # overlay resolution: an A4 block is 900 x 1250 px
MARGIN_MM = 5.0          # shown around the content block
RED, GREEN, BLUE, GREY = (0, 0, 220), (0, 150, 0), (200, 90, 0), (140, 140, 140)
FONT = cv2.FONT_HERSHEY_SIMPLEX


def draw_overlay(image: np.ndarray, result: PageResult, spec: FormSpec | None) -> np.ndarray:
    """A BGR picture for a reviewer: the registered sheet annotated with the reader's findings."""
    if image.ndim == 2:
        image = cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
    if result.homography is None or spec is None:
        return _unregistered(image, result)
    s = PX_PER_MM

    def px(x_mm: float, y_mm: float) -> tuple[int, int]:
        return int(round((x_mm + MARGIN_MM) * s)), int(round((y_mm + MARGIN_MM) * s))

    size = (int((spec.block_w_mm + 2 * MARGIN_MM) * s), int((spec.block_h_mm + 2 * MARGIN_MM) * s))
    mm_to_out = np.array([[s, 0, MARGIN_MM * s], [0, s, MARGIN_MM * s], [0, 0, 1]])
    out = cv2.warpPerspective(image, mm_to_out @ np.array(result.homography), size,
                              flags=cv2.INTER_AREA, borderValue=(255, 255, 255))
    out = cv2.addWeighted(out, 0.6, np.full_like(out, 255), 0.4, 0)  # fade, so drawings stand out

    for item_spec, item in zip(spec.items, result.items):
        y = item_spec.y_mm
        ends = item.line_ends_x_mm or tuple(x for x, _ in spec.line_ends_mm(item_spec))
        for x in ends:
            cv2.line(out, px(x, y - 3), px(x, y + 3), GREEN, 2)
        for c in item.candidates:
            colour = BLUE if c.touches_line and not c.crossed_out and not c.stray else GREY
            if c.touches_line:
                cv2.line(out, px(c.x_mm, y - 5), px(c.x_mm, y + 5), colour, 2)
                cv2.circle(out, px(c.x_mm, y), int(2.5 * s), colour, 1)
            else:  # where the ink is: from its nearest point outwards, the gap to the line left clear
                near = y + c.offset_mm
                away = near + (4.0 if c.offset_mm >= 0 else -4.0)
                cv2.line(out, px(c.x_mm, near), px(c.x_mm, away), RED, 2)
                cv2.circle(out, px(c.x_mm, near), 2, RED, -1)
        # Labels stand clear of the marks they describe: the value right of the rightmost mark
        # (a mark past the right end-stop included), the flags below the clear band, where the
        # marks of this line are not.
        x_label, y_flags = value_label_x_mm(item, ends), y + spec.clear_band_mm + 2.5
        label = f"{item.value_cm:.1f} cm" if item.value_cm is not None else "no value"
        cv2.putText(out, label, px(x_label, y + 1.5), FONT, 0.6,
                    BLUE if item.value_cm is not None else RED, 2)
        if item.flags:
            cv2.putText(out, ", ".join(item.flags), px(ends[0], y_flags), FONT, 0.5, RED, 2)

    status = result.status.value
    header = f"{status}: {', '.join(result.flags)}" if result.flags else status
    cv2.putText(out, header, px(14, -0.8), FONT, 0.6, GREEN if status == "ok" else RED, 2)
    if result.sheet is not None:
        cv2.putText(out, f"sheet {result.sheet.serial}", px(120, -0.8), FONT, 0.5, GREY, 1)
    return out


def value_label_x_mm(item: ItemResult, ends: tuple[float, float]) -> float:
    """Where an item's value label starts: right of its right end-stop and of every mark."""
    return max([ends[1], *(c.x_mm + 3.0 for c in item.candidates)]) + 4.0


def _unregistered(image: np.ndarray, result: PageResult) -> np.ndarray:
    scale = min(1.0, 1250 / max(image.shape[:2]))
    out = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    text = result.reason or ", ".join(result.flags) or "not registered"
    for i, line in enumerate([text[k:k + 60] for k in range(0, len(text), 60)]):
        cv2.putText(out, line, (20, 40 + 30 * i), FONT, 0.8, RED, 2)
    return out
