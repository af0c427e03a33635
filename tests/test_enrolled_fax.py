"""Enrolled forms faxed: a 1-bit fax's broken printed line is never read as a mark.

A fax prints a VAS line over two 0.25 mm pixel rows; where the skewed line steps to the next
row it breaks into pieces that cover both rows, one row taller than the line, and beside a
tall end tick a piece joins the tick's remnant. Such pieces were read as a mark on an empty
line (issue #13: VAS fax seed 5 page 13).
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from srs_scan.read.pages import load_page
from srs_scan.read.reader import read_page
from srs_scan.results import BLANK_PAGE, NO_MARK
from srs_scan.sheets.enrol import enrol, write_form
from srs_scan.sheets.sheetid import SheetId
from srs_scan.sheets.spec import FormSpec, load_form, load_form_library
from srs_scan.simulate.model import Handling, PagePlan, Params, ScanPlan
from srs_scan.simulate.paper import enrolled_page, paper_image
from srs_scan.simulate.scanner import scan, tiff_g4
from test_enrol import S, _blank
from test_enrolled_ticks import LINES, TICK_HALF_MM

LINE_PX = 3  # 0.38 mm at 200 dpi, as the shared VAS form's lines


def _thick_ticked_blank() -> np.ndarray:
    page = _blank(1, [])
    for x, y, length in LINES:
        cv2.line(page, (int(x * S), int(y * S)), (int((x + length) * S), int(y * S)),
                 (30, 30, 30), LINE_PX, cv2.LINE_AA)
        for end in (x, x + length):
            cv2.line(page, (int(round(end * S)), int((y - TICK_HALF_MM) * S)),
                     (int(round(end * S)), int((y + TICK_HALF_MM) * S)), (30, 30, 30), 2,
                     cv2.LINE_AA)
    return page


def _fax(page: np.ndarray, skew_deg: float) -> np.ndarray:
    """A standard-mode fax (200 x 100 dpi, 1-bit) of `page` (200 dpi), skewed, as the reader
    gets it: rows stretched back to square pixels."""
    grey = cv2.cvtColor(page, cv2.COLOR_BGR2GRAY)
    h, w = grey.shape
    turn = cv2.getRotationMatrix2D((w / 2, h / 2), skew_deg, 1.0)
    grey = cv2.warpAffine(grey, turn, (w, h), flags=cv2.INTER_LINEAR, borderValue=255)
    rows = cv2.resize(grey, (w, h // 2), interpolation=cv2.INTER_AREA)
    bits = np.where(rows < 165, 0, 255).astype(np.uint8)
    return cv2.resize(bits, (w, h), interpolation=cv2.INTER_LINEAR)


@pytest.fixture(scope="module")
def thick(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("thick")
    cv2.imwrite(str(folder / "blank.png"), _thick_ticked_blank())
    write_form(enrol(folder / "blank.png"), folder / "vas.toml", "vas", ["first", "second"],
               "blank.png")
    return folder / "vas.toml"


@pytest.mark.parametrize("skew_deg", [-1.2, -0.85, -0.5, 0.5, 1.0, 1.3])
def test_a_faxed_blank_with_thick_lines_reads_no_mark_on_every_line(thick, skew_deg):
    result = read_page(_fax(_thick_ticked_blank(), skew_deg), load_form_library([thick]))
    assert [(it.value_cm, it.flags) for it in result.items] == [(None, (NO_MARK,))] * 2
    assert BLANK_PAGE in result.flags


def test_a_dot_and_a_tick_on_a_faxed_thick_line_are_still_read(thick):
    page = _thick_ticked_blank()
    (x1, y1, n1), (x2, y2, n2) = LINES
    cv2.circle(page, (int(round((x1 + 0.37 * n1) * S)), int(round(y1 * S))),
               int(round(0.8 * S)), (150, 60, 20), -1, cv2.LINE_AA)  # a 1.6 mm dot at 3.7
    cv2.line(page, (int((x2 + 0.62 * n2) * S), int((y2 - 2.5) * S)),
             (int((x2 + 0.62 * n2) * S), int((y2 + 2.5) * S)), (150, 60, 20), 3, cv2.LINE_AA)
    for skew in (-0.85, 1.0):
        result = read_page(_fax(page, skew), load_form_library([thick]))
        assert [it.value_cm for it in result.items] == pytest.approx([3.7, 6.2], abs=0.1)


@pytest.fixture(scope="module")
def real_vas(realdata, tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("vas")
    found = enrol(realdata / "vas_pen_marks" / "VAS_template.pdf")
    write_form(found, folder / "vas.toml", "vas", ["line1", "line2", "line3"],
               "VAS_template.pdf")
    return folder / "vas.toml"


def _simulated_fax(spec: FormSpec, skew_deg: float, offset_mm: tuple[float, float],
                   folder: Path, dpi: tuple[int, int] = (200, 100)) -> Path:
    """The enrolled blank printed and faxed (standard mode) by the simulator, as a TIFF tagged
    `dpi` (a fax machine's 204 x 98 is stretched by 2.08 to square pixels, not by 2)."""
    p = Params()
    plan = PagePlan(kind="blank_form", profile="fax", sheet=SheetId(spec.form_id, 1, "AAAAAAAA"),
                    print_scale=1.0, print_offset_mm=(-0.5, 0.29), marks=(), items=(),
                    page_expect=(), handling=Handling(), toner=28, paper=252, noise_seed=7,
                    scan=ScanPlan(dpi=(200, 100), mode="1", skew_deg=skew_deg, upside_down=False,
                                  offset_mm=offset_mm, blur_px=0.46, noise=3.7, jpeg_quality=66,
                                  background=(225, 225, 225)))
    page = scan(paper_image(plan, enrolled_page(spec, "a4", p.paper_dpi), "a4", p), plan, "a4", p)
    out = folder / f"fax{skew_deg}.tif"
    out.write_bytes(tiff_g4([page], [dpi]))
    return out


@pytest.mark.parametrize("dpi", [(200, 100), (204, 98)])
@pytest.mark.parametrize("skew_deg", [-1.0, -0.5, -0.1, 0.1, 0.5, 0.8])
def test_the_real_vas_blank_faxed_reads_no_mark_on_every_line(real_vas, skew_deg, dpi, tmp_path):
    """Its faxed line is 0.5 mm tall and breaks into 0.75 mm pieces where it steps."""
    fax = _simulated_fax(load_form(real_vas), skew_deg, (0.0, 0.13), tmp_path, dpi)
    result = read_page(load_page(fax, 1).image, load_form_library([real_vas]))
    assert [(it.value_cm, it.flags) for it in result.items] == [(None, (NO_MARK,))] * 3
