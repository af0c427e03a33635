"""A short tick drawn right over an end-stop of our own sheet: hidden with the stop, never lost (#14).

Messy seed 814 p1 `relationship`: a tick at 8.65 and a second one 13.75 mm to its right, drawn
over the right end-stop. The second tick reached no further than the stop's cleared box (the
stop's 2 mm each side plus its blur), so it was cleared with the stop and the item read 8.64
with no flag. A person counts two marks. The stop's rows weigh twice the other stop's: pen ink
on every row, which reads as a fold's shadow along the stop, but a shadow runs on past the
stop's tips and the tick ends with them.
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from drawmarks import BLACK, BLUE, Drawer, Pen, blank_page, distort
from srs_scan.results import MULTIPLE_MARKS
from test_marks import read_all
from test_stroke_through_a_mark import _simulated_item


def test_the_simulated_tick_over_the_right_stop_beside_a_mark_is_multiple_marks():
    truth, item = _simulated_item(814, 1, "relationship")
    assert truth.event == "two_marks_near" and truth.flags_ok == (MULTIPLE_MARKS,)
    assert item.value_cm is None and MULTIPLE_MARKS in item.flags, item


@pytest.mark.parametrize("end", [0.0, 10.0])
@pytest.mark.parametrize("pen", [Pen(BLACK, 0.5), Pen(BLUE, 0.4)])
def test_a_short_tick_over_a_stop_beside_a_mark_is_multiple_marks(end, pen):
    image = blank_page()
    d = Drawer(image)
    d.tick(0, 5.2, pen, up=3.5, down=3.0)
    # within the stop's cleared box: 2 mm each side plus 0.4 mm of blur
    d.tick(0, end + 0.025, pen, up=2.2, down=2.1)
    item = read_all(distort(image, jpeg=85))[0]
    assert item.value_cm is None and MULTIPLE_MARKS in item.flags, item


def test_a_short_tick_over_a_stop_alone_reads_at_that_end():
    image = blank_page()
    d = Drawer(image)
    d.tick(1, 10.02, Pen(BLACK, 0.5), up=2.2, down=2.1)
    item = read_all(distort(image, jpeg=85))[1]
    assert item.flags == () and item.value_cm == pytest.approx(10.0, abs=0.06), item


def test_a_shadow_band_along_a_stop_that_runs_past_its_tips_is_no_mark():
    image = blank_page()
    d = Drawer(image)
    x, y = d.x_of(10.0), d.line_y(2)
    band = np.zeros(image.shape[:2], np.float32)
    px = int(round((x + 0.2) * 300 / 25.4))
    cv2.line(band, (px, 0), (px, image.shape[0] - 1), 1.0, 3)
    band = cv2.GaussianBlur(band, (0, 0), 0.3 * 300 / 25.4)
    image = (image * (1 - 0.3 * band / band.max())[..., None]).astype(np.uint8)
    item = read_all(distort(image, jpeg=85))[2]
    assert item.value_cm is None, item


@pytest.mark.parametrize("page", [22, 32])
def test_a_ring_with_its_side_on_a_stop_stays_one_mark(page):
    # messy seed 814 p22 (a ring at 9.75) and p32 (at 0.31): the ring's side lies on the stop
    # and weighs on its rows as a tick laid over it would; it is the ring's, not a second mark
    truth, item = _simulated_item(814, page, "relationship")
    assert truth.event == "endstop_circle" and truth.value_cm is not None
    assert item.flags == () and item.value_cm == pytest.approx(truth.value_cm, abs=0.05), item
