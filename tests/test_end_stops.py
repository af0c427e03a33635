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
])
def test_a_mark_against_an_end_stop_reads_where_it_crosses_the_line(monkeypatch, name, item,
                                                                     y0_mm, truth):
    read = read_strip(monkeypatch, name, item, y0_mm)
    assert read.flags == () and read.value_cm == pytest.approx(truth, abs=0.05), read
