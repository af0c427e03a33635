"""Marks drawn on or against an end-stop, read from strips the simulator made (#14).

Each strip is one item's band as the reader rectified it from a simulated messy page (see
`tests/resources/README.md`), so the test runs the whole of `read_item` on exactly the ink that
was misread: the printed stop is cleared away with whatever of the mark lies on it, and the
mark must still be read where it crosses the line, or flagged.
"""

from pathlib import Path

import cv2
import numpy as np
import pytest

import srs_scan.read.marks as marks
from drawmarks import BLACK, BLUE, Drawer, Pen, blank_page, distort
from srs_scan.read.marks import read_item
from srs_scan.read.strip import Strip
from srs_scan.sheets.spec import load_form
from test_marks import exact_mm_to_px

SPEC = load_form()
RESOURCES = Path(__file__).resolve().parent / "resources"


def read_strip(monkeypatch, name: str, item: int, y0_mm: float):
    dark = cv2.imread(str(RESOURCES / name), cv2.IMREAD_UNCHANGED).astype(np.float32) / 65535
    strip = Strip(dark, x0_mm=28.0, y0_mm=y0_mm, px_per_mm=12.0, half_height_mm=7.5)
    monkeypatch.setattr(marks, "warp_strip", lambda *args: strip)
    return read_item(np.zeros((8, 8), np.uint8), exact_mm_to_px(), SPEC, SPEC.items[item])


@pytest.mark.parametrize("name, item, y0_mm, truth", [
    # messy seed 701 p49: a 4 mm circle whose right side lies on the right stop; its rows
    # beyond the stop are its top and bottom arcs only, too lopsided to fit, and the far side
    # alone read 9.61 (2 mm off), unflagged
    ("strip_ring_side_on_stop.png", 2, 164.5, 9.79),
    # messy seed 707 p15: a thick ring whose right side covers the right stop; the stop's
    # clearing took 1.2 mm of it and the rest read 9.76 (1 mm off), unflagged
    ("strip_thick_ring_on_stop.png", 3, 206.5, 9.86),
    # messy seed 707 p11: an X at 0.20 whose long lower arm runs past the left stop closed a
    # hole with it and was fitted as a ring drawn round the stop: read 0.0 (2 mm off), unflagged
    ("strip_x_beside_stop.png", 3, 206.5, 0.20),
    # office seed 790 p60: an X at 9.81 whose lower arm's tip touched the right stop's foot,
    # fitted as a ring with its side on the stop on its long other arm: read 9.65, unflagged
    ("strip_x_arm_on_stop_foot.png", 0, 80.5, 9.81),
    # office seed 790 p107: a small ring (3.3 mm tall, within the stop's height) with its side
    # on the right stop: every row near the line lost that side, and its hidden side, taken
    # from the cleared stop, lay 1.95 mm from its far side, refused as a ring by 0.05 mm: its
    # far side alone read 9.70 (0.9 mm off), unflagged
    ("strip_small_ring_in_stop.png", 0, 80.5, 9.79),
])
def test_a_mark_against_an_end_stop_reads_where_it_crosses_the_line(monkeypatch, name, item,
                                                                     y0_mm, truth):
    read = read_strip(monkeypatch, name, item, y0_mm)
    assert read.flags == () and read.value_cm == pytest.approx(truth, abs=0.05), read


def test_a_stop_taken_from_a_marks_ink_is_placed_from_the_other_stop(monkeypatch):
    # messy seed 603 p30: an X at 9.81 with its arms past the right stop's tips hid the stop
    # (ink beyond its tips) and its own arms looked like one 1 mm inside it: the line measured
    # 99.0 mm, the X read 10.0 (1.9 mm off), unflagged. The left stop is clear and where the
    # registration puts it, so the right one is placed 100 mm from it.
    read = read_strip(monkeypatch, "strip_x_taken_for_stop.png", 2, 164.5)
    assert read.line_ends_x_mm[1] == pytest.approx(140.0, abs=0.1), read
    assert read.flags == () and read.value_cm == pytest.approx(9.81, abs=0.05), read


@pytest.mark.parametrize("stretch, shift_mm", [(0.994, 0.0), (1.006, 0.0), (1.0, 0.3),
                                              (1.0, -0.3)])
def test_end_stops_set_the_scale_with_marks_on_them(stretch, shift_mm):
    """The value follows the printed end-stops as detected, for marks on either stop and just
    inside them, when the registration is off in scale or position (the stops found about
    0.3 mm from where expected, the line up to 0.6 mm longer or shorter than printed): a mark
    on a stop does not move it, and a stop found away from where expected is kept when the
    other one is away too (the page's scale is off there; no stop was taken from a mark)."""
    values = (0.1, 9.9, 0.3, 9.65)
    image = blank_page()
    d = Drawer(image)
    d.cross(0, values[0], Pen(BLUE, 0.5))
    d.cross(1, values[1], Pen(BLACK, 0.5))
    d.tick(2, values[2], Pen(BLUE, 0.4))
    d.circle(3, values[3], Pen(BLACK, 0.5), r=2.5)
    # the homography is off by `stretch` about the line's centre (90 mm) and by `shift_mm`
    squeeze = np.array([[stretch, 0, (1 - stretch) * 90.0 + shift_mm], [0, 1, 0], [0, 0, 1]])
    h = exact_mm_to_px() @ np.linalg.inv(squeeze)
    image = distort(image, jpeg=85)
    for item, v in zip(SPEC.items, values):
        read = read_item(image, h, SPEC, item)
        assert read.flags == () and read.value_cm == pytest.approx(v, abs=0.015), (v, read)
        if item.id in ("approach", "overall"):  # not on a stop: measured within 0.05 mm
            # the stops where the form file puts them would read these 0.027 cm or more off
            as_expected = ((squeeze @ [SPEC.line_x_mm + 10 * v, 0, 1])[0] - SPEC.line_x_mm) / 10
            assert abs(as_expected - read.value_cm) > 0.02, (v, as_expected, read)


@pytest.mark.parametrize("values", [(0.15, 9.85, 0.21, 9.79), (0.17, 9.83, 0.19, 9.81)])
def test_a_tick_just_inside_an_end_stop_is_no_ring_with_a_hidden_side(values):
    """The other side of `ring_min_across_mm`: a tick 1.5-2.1 mm inside a stop, whose side and
    the stop lie that far apart, reads where it crosses the line, not halfway to the stop."""
    image = blank_page()
    d = Drawer(image)
    for i, v in enumerate(values):
        d.tick(i, v, Pen(BLUE, 0.5), up=4, down=2.5)
    image = distort(image, jpeg=85)
    for item, v in zip(SPEC.items, values):
        read = read_item(image, exact_mm_to_px(), SPEC, item)
        assert read.flags == () and read.value_cm == pytest.approx(v, abs=0.02), (v, read)
