"""read_page end to end: round trips at known mm positions through printer/scanner distortions,
and every page flag provoked on purpose."""

import cv2
import numpy as np
import pytest

from drawmarks import BLACK, PENCIL, RED, SHEET, Drawer, Pen, blank_page, distort
from srs_scan.read.overlay import draw_overlay
from srs_scan.read.reader import read_page
from srs_scan.results import (BLANK_PAGE, NO_MARK, NOT_A_FORM, POOR_REGISTRATION,
                              SHEET_ID_UNREADABLE, UNKNOWN_FORM, Status)
from srs_scan.sheets.sheetid import SheetId
from srs_scan.sheets.spec import load_form, load_form_library

FORMS = load_form_library()
SPEC = load_form()
TOL_CM = 0.03  # 0.3 mm: the bar for office scans is a 0.25 mm mean, 1 mm max


def marked_page(values=(3.7, 6.25, 0.5, 9.1), dpi=300, sheet=SHEET):
    img = blank_page(dpi, sheet)
    d = Drawer(img, dpi=dpi)
    d.tick(0, values[0])
    d.cross(1, values[1], Pen(BLACK))
    d.circle(2, values[2], Pen(RED))
    d.dot(3, values[3])
    return img


def values_of(result):
    return [item.value_cm for item in result.items]


@pytest.mark.parametrize("turns", [0, 1, 2, 3])
def test_any_quarter_turn_reads_the_same(turns):
    values = (3.7, 6.25, 0.5, 9.1)
    image = distort(marked_page(values), angle_deg=1.3, quarter_turns=turns, jpeg=85)
    result = read_page(image, FORMS, "scan.pdf", 2)
    assert result.status == Status.OK, result.all_flags()
    assert result.sheet == SHEET
    assert (result.file, result.page, result.form_id, result.form_version) == ("scan.pdf", 2, "srs", 1)
    assert values_of(result) == pytest.approx(values, abs=TOL_CM)


@pytest.mark.parametrize("scale,angle", [(0.94, 2.0), (0.97, -1.5), (1.03, 0.7)])
def test_printer_scaling_and_skew_do_not_bias_values(scale, angle):
    values = (1.2, 5.0, 7.75, 9.9)
    image = distort(marked_page(values), angle_deg=angle, scale=scale, blur=0.7, jpeg=75,
                    grey=True)
    result = read_page(image, FORMS)
    assert values_of(result) == pytest.approx(values, abs=TOL_CM)
    for item in result.items:  # end-stops found at the form's positions, in the form frame
        assert item.line_ends_x_mm == pytest.approx((40.0, 140.0), abs=0.15)


def test_low_resolution_150_dpi():
    values = (2.0, 4.4, 6.6, 8.8)
    result = read_page(distort(marked_page(values, dpi=150), jpeg=80), FORMS)
    assert values_of(result) == pytest.approx(values, abs=0.05)


def test_homography_maps_image_pixels_to_form_mm():
    image = marked_page()
    result = read_page(image, FORMS)
    h = np.array(result.homography)
    # the top-left corner of marker 0 is at block origin (15, 23.5) mm on A4, 300 dpi
    px = np.array([[[15.0 * 300 / 25.4, 23.5 * 300 / 25.4]]])
    assert cv2.perspectiveTransform(px, h)[0, 0] == pytest.approx((0.0, 0.0), abs=0.1)
    assert result.image_size == (image.shape[1], image.shape[0])


def test_one_marker_covered_still_reads():
    image = marked_page()
    d = Drawer(image)
    x, y = d.px(170 - 3, -3)  # a staple-sized blot over the top-right marker
    x2, y2 = d.px(183, 13)
    cv2.rectangle(image, (x >> 4, y >> 4), (x2 >> 4, y2 >> 4), (60, 60, 60), -1)
    result = read_page(distort(image, angle_deg=-1.0, jpeg=85), FORMS)
    assert POOR_REGISTRATION not in result.flags
    assert values_of(result) == pytest.approx((3.7, 6.25, 0.5, 9.1), abs=TOL_CM)


def test_blank_form_is_flagged_blank():
    result = read_page(blank_page(), FORMS)
    assert BLANK_PAGE in result.flags
    assert all(item.flags == (NO_MARK,) and item.value_cm is None for item in result.items)
    assert result.status == Status.REVIEW


def test_foreign_page_is_not_a_form():
    page = np.full((3508, 2480), 255, np.uint8)
    cv2.putText(page, "Dear colleague, please find enclosed", (200, 400),
                cv2.FONT_HERSHEY_SIMPLEX, 3, 0, 5)
    result = read_page(page, FORMS, "letter.pdf", 1)
    assert result.flags == (NOT_A_FORM,) and result.status == Status.NOT_A_FORM
    assert result.items == ()


def test_blotted_qr_reads_marks_and_flags_sheet_id():
    image = marked_page()
    d = Drawer(image)
    x, y = d.px(150, 20)
    x2, y2 = d.px(164, 34)
    cv2.rectangle(image, (x >> 4, y >> 4), (x2 >> 4, y2 >> 4), (40, 40, 40), -1)
    result = read_page(image, FORMS)
    assert result.flags == (SHEET_ID_UNREADABLE,)
    assert result.sheet is None and result.form_id == "srs"
    assert values_of(result) == pytest.approx((3.7, 6.25, 0.5, 9.1), abs=TOL_CM)


def test_qr_of_a_form_we_do_not_have_is_unknown_form():
    stranger = SheetId("phq9", 3, "ABCDEFGH")
    result = read_page(marked_page(sheet=stranger), FORMS)
    assert result.flags == (UNKNOWN_FORM,)
    assert result.sheet == stranger and result.items == ()


@pytest.mark.parametrize("image", [np.zeros((10, 10), np.uint8),
                                   np.random.default_rng(1).integers(0, 255, (900, 700, 3),
                                                                     dtype=np.uint8)])
def test_never_raises_on_garbage(image):
    result = read_page(image, FORMS, "x.png", 3)
    assert result.status in (Status.ERROR, Status.NOT_A_FORM)
    assert (result.file, result.page) == ("x.png", 3)


def test_error_becomes_a_result():
    result = read_page("not an image", FORMS, "x.png", 1)  # type: ignore[arg-type]
    assert result.status == Status.ERROR and result.reason.startswith("could not read this page")


def test_pencil_mark_reads():
    image = blank_page()
    d = Drawer(image)
    for i, v in enumerate((1.0, 3.0, 5.0, 7.0)):
        d.tick(i, v, Pen(PENCIL, 0.4), lean_mm=0.3)
    result = read_page(distort(image, jpeg=80), FORMS)
    assert values_of(result) == pytest.approx((1.0, 3.0, 5.0, 7.0), abs=TOL_CM)


def test_overlay_draws_on_registered_sheet():
    image = marked_page()
    result = read_page(image, FORMS)
    out = draw_overlay(image, result, SPEC)
    assert out.ndim == 3 and out.shape[2] == 3
    # something red, green and blue is drawn; the plain page has none of it
    assert ((out[:, :, 1] > 120) & (out[:, :, 0] < 60) & (out[:, :, 2] < 60)).any()
    foreign = read_page(np.full((500, 400), 255, np.uint8), FORMS)
    assert draw_overlay(np.full((500, 400), 255, np.uint8), foreign, None).shape[2] == 3
