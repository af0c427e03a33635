"""A light pen stroke drawn along the line, half over it: stray ink, never a value (#14).

Messy seed 815 p2 `relationship`: a circle at 3.21 and a stroke 36 mm long lying on the line,
its ink 0.2 mm over the line's edge, as light as a worn pen (0.35 dark). The line's opening
takes it away with the line, and it widens the line's core by less than `along_rows_mm` and
is no darker than the line: the circle was read with no flag.
"""

from __future__ import annotations

import pytest

from drawmarks import Drawer, Pen, blank_page, distort
from srs_scan.results import MULTIPLE_MARKS, STRAY_INK
from test_marks import read_all
from test_stroke_through_a_mark import _simulated_item

WORN = Pen((170, 170, 170), 0.35)   # a light, worn pen: ~0.35 dark, as at seed 815 p2


def test_the_seed_815_stroke_along_the_line_is_stray_ink():
    truth, item = _simulated_item(815, 2, "relationship")
    assert truth.event == "stroke_along" and truth.value_cm is None
    assert item.value_cm is None and {STRAY_INK, MULTIPLE_MARKS} & set(item.flags), item


@pytest.mark.parametrize("dy", [0.25, -0.25, 0.35])
@pytest.mark.parametrize("span", [(5.5, 9.4), (0.6, 2.0)])
def test_a_light_stroke_half_over_the_line_is_stray_ink(dy, span):
    image = blank_page()
    d = Drawer(image)
    y = d.line_y(1)
    d.circle(1, 3.2 if span[0] > 3 else 7.2)
    d.stroke(d.x_of(span[0]), y + dy, d.x_of(span[1]), y + dy * 1.1, WORN)
    item = read_all(distort(image, jpeg=85))[1]
    assert item.value_cm is None and STRAY_INK in item.flags, item


@pytest.mark.parametrize("value", [3.2, 7.2])
def test_a_circle_alone_on_the_line_still_reads(value):
    image = blank_page()
    d = Drawer(image)
    d.circle(1, value)
    item = read_all(distort(image, jpeg=85))[1]
    assert item.flags == () and item.value_cm == pytest.approx(value, abs=0.06), item
