"""The audit overlay shows what a flag is about: an off-line mark where its ink is, labels clear
of the marks they describe."""

from __future__ import annotations

import numpy as np

from drawmarks import Drawer, blank_page
from srs_scan.read.overlay import MARGIN_MM, PX_PER_MM, draw_overlay, value_label_x_mm
from srs_scan.read.reader import read_page
from srs_scan.results import OFF_LINE
from srs_scan.sheets.spec import load_form, load_form_library

SPEC = load_form()


def _red(out: np.ndarray) -> np.ndarray:
    return (out[:, :, 2] > 180) & (out[:, :, 1] < 80) & (out[:, :, 0] < 80)


def _px(mm: float) -> int:
    return int(round((mm + MARGIN_MM) * PX_PER_MM))


def test_an_off_line_mark_is_drawn_where_its_ink_is_with_the_gap_visible():
    image = blank_page()
    d = Drawer(image)
    d.tick(0, 4.0, up=6.0, down=-2.6)   # ends 2.6 mm above the line (2.35 mm of clear paper)
    for item in (1, 2, 3):
        d.tick(item, 5.0)
    result = read_page(image, load_form_library())
    item = result.items[0]
    assert item.flags == (OFF_LINE,), item
    (cand,) = item.candidates
    assert -2.6 < cand.offset_mm < -2.0, cand   # above the line: negative, about the gap
    out = draw_overlay(image, result, SPEC)
    y, col = SPEC.items[0].y_mm, _px(cand.x_mm)
    red = _red(out)[:, col - 2:col + 3].any(axis=1)
    near = y + cand.offset_mm
    assert not red[_px(near + 0.7):_px(y + 0.5)].any()   # the gap to the line is left clear
    assert red[_px(near - 0.5):_px(near + 0.3)].any()    # the mark is drawn at its ink


def test_the_value_label_stands_right_of_every_mark_even_past_the_end_stop():
    image = blank_page()
    d = Drawer(image)
    for item, v in enumerate((10.55, 3.0, 9.9, 6.0)):
        d.tick(item, v)
    result = read_page(image, load_form_library())
    for item in result.items:
        ends = item.line_ends_x_mm
        assert ends is not None and item.value_cm is not None, item
        assert value_label_x_mm(item, ends) >= max(c.x_mm for c in item.candidates) + 5.0
    assert result.items[0].candidates[0].x_mm > result.items[0].line_ends_x_mm[1] + 4.0
