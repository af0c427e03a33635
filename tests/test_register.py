"""Registration: markers -> homography px -> form mm, the sheet id, and their failures."""

import cv2
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from drawmarks import SHEET, Drawer, blank_page, distort
from srs_scan.read.register import (NoRegistration, QrParams, detect_markers, fit_homography,
                               mm_to_px, px_to_mm, read_sheet_id, to_grey)
from srs_scan.sheets.sheetid import SheetId
from srs_scan.sheets.spec import block_origin_mm, load_form

SPEC = load_form()
DPI = 200  # registration is resolution-free; a smaller page keeps these tests quick


def page_px(x_mm, y_mm, dpi=DPI):
    ox, oy = block_origin_mm(SPEC, "a4")
    k = dpi / 25.4
    return np.array([(ox + x_mm) * k - 0.5, (oy + y_mm) * k - 0.5])


@settings(max_examples=8, deadline=None)
@given(angle=st.floats(-3, 3), scale=st.floats(0.90, 1.03), turns=st.integers(0, 3))
def test_fitted_homography_maps_line_ends_to_their_form_mm(angle, scale, turns):
    image = blank_page(DPI)
    h, w = image.shape[:2]
    warped = distort(image, angle_deg=angle, scale=scale, quarter_turns=turns)
    reg = fit_homography(detect_markers(to_grey(warped), SPEC.aruco_dictionary), SPEC)
    assert not isinstance(reg, NoRegistration) and reg.trusted
    assert reg.markers == (0, 1, 2, 3)
    # where distort() sent the line ends, computed independently of the reader
    m = np.vstack([cv2.getRotationMatrix2D((w / 2, h / 2), angle, scale), [0, 0, 1]])
    for item in SPEC.items:
        for end in SPEC.line_ends_mm(item):
            x, y = (m @ [*page_px(*end), 1])[:2]
            for _ in range(turns % 4):  # np.rot90 turns counter-clockwise: (x, y) -> (y, W-1-x)
                x, y = y, (w if _ % 2 == 0 else h) - 1 - x
            assert px_to_mm(reg.px_to_mm, [x, y])[0] == pytest.approx(end, abs=0.15)


@settings(max_examples=30, deadline=None)
@given(x=st.floats(0, 180), y=st.floats(0, 250))
def test_mm_to_px_to_mm_is_the_identity(x, y):
    reg = fit_homography(detect_markers(to_grey(blank_page(DPI)), SPEC.aruco_dictionary), SPEC)
    there = mm_to_px(reg.px_to_mm, [x, y])
    assert there[0] == pytest.approx(page_px(x, y), abs=0.1 * DPI / 25.4)
    assert px_to_mm(reg.px_to_mm, there)[0] == pytest.approx((x, y), abs=1e-6)


def test_markers_away_from_the_image_corners_are_found_on_the_whole_image():
    # A photo with the sheet small in the middle of the frame: the corner regions searched
    # first hold no marker, so the whole image is searched, and the fit is the same.
    page = to_grey(blank_page(DPI))
    h, w = page.shape
    canvas = np.full((3 * h, 3 * w), 255, np.uint8)
    canvas[h:2 * h, w:2 * w] = page
    found = detect_markers(canvas, SPEC.aruco_dictionary)
    assert sorted(found) == [0, 1, 2, 3]
    reg = fit_homography(found, SPEC)
    assert reg.trusted
    corner = px_to_mm(reg.px_to_mm, page_px(0, 0) + (w, h))[0]
    assert corner == pytest.approx((0, 0), abs=0.15)


def test_three_markers_suffice_and_none_is_no_registration():
    grey = to_grey(blank_page(DPI))
    found = detect_markers(grey, SPEC.aruco_dictionary)
    del found[2]
    reg = fit_homography(found, SPEC)
    assert reg.trusted and reg.markers == (0, 1, 3)
    assert isinstance(fit_homography({}, SPEC), NoRegistration)


def test_a_marker_that_disagrees_is_dropped_or_flagged():
    found = detect_markers(to_grey(blank_page(DPI)), SPEC.aruco_dictionary)
    found[1] = found[1] + 40.0  # 5 mm off: as if pasted in the wrong place
    assert not fit_homography(found, SPEC).trusted
    two = {k: found[k] for k in (0, 1)}  # and with nothing to outvote it: not trusted
    assert not fit_homography(two, SPEC).trusted


def test_sheet_id_is_read_and_a_blotted_code_is_none():
    image = blank_page(DPI)
    grey = to_grey(distort(image, angle_deg=1.0, quarter_turns=2, jpeg=80))
    reg = fit_homography(detect_markers(grey, SPEC.aruco_dictionary), SPEC)
    assert read_sheet_id(grey, reg, SPEC) == SHEET
    d = Drawer(image, dpi=DPI)
    (x, y), (x2, y2) = d.px(150, 20), d.px(164, 34)
    cv2.rectangle(image, (x >> 4, y >> 4), (x2 >> 4, y2 >> 4), (0, 0, 0), -1)
    grey = to_grey(image)
    assert read_sheet_id(grey, fit_homography(detect_markers(grey, "DICT_4X4_50"), SPEC),
                         SPEC) is None


@pytest.mark.parametrize("sheet", [
    SheetId("srs", 1, "Q4P2KQHZ"),                                          # blank: 29 modules
    SheetId("srs", 1, "Q4P2KQHZ", "C7898", "29", "2026-06-11"),            # pre-filled: 33
    SheetId("srs", 1, "Q4P2KQHZ", "ABCDEFGHIJKLMNOPQRST", "999", "2026-06-11"),  # longest: 37
])
def test_the_code_is_decoded_where_the_form_puts_it_whatever_its_size(sheet):
    grey = to_grey(distort(blank_page(DPI, sheet=sheet), angle_deg=-0.7, jpeg=85))
    reg = fit_homography(detect_markers(grey, SPEC.aruco_dictionary), SPEC)
    # from the form's QR square alone, with no whole-page fallback
    assert read_sheet_id(grey, reg, SPEC, qr=QrParams(whole_page=False)) == sheet


def fax_standard_mode(angle_deg: float, threshold: int, blur: float, seed: int) -> np.ndarray:
    """A 200 dpi page as a fax in standard mode sends it: skewed, 100 dpi down the page, noisy,
    thresholded to 1 bit, then stretched 2x vertically to square pixels as `pages.py` does."""
    grey = to_grey(blank_page(DPI))
    h, w = grey.shape
    m = cv2.getRotationMatrix2D((w / 2, h / 2), angle_deg, 1.0)
    grey = cv2.warpAffine(grey, m, (w, h), flags=cv2.INTER_LINEAR, borderValue=255)
    grey = cv2.GaussianBlur(cv2.resize(grey, (w, h // 2), interpolation=cv2.INTER_AREA),
                            (0, 0), blur)
    noise = np.random.default_rng(seed).standard_normal(grey.shape).astype(np.float32) * 12
    grey = cv2.add(grey, noise, dtype=cv2.CV_8U)
    ragged = np.where(grey < threshold, 0, 255).astype(np.uint8)
    return cv2.resize(ragged, (w, h), interpolation=cv2.INTER_LINEAR)


# Each of these ragged codes was missed by the reader that tried only 10 px/mm as is and
# Otsu-thresholded, then the whole page.
@pytest.mark.parametrize("angle_deg, threshold, blur, seed",
                         [(1.3, 150, 0.6, 0), (0.9, 165, 0.6, 1), (0.4, 150, 0.9, 2)])
def test_a_ragged_fax_code_is_read_from_its_region(angle_deg, threshold, blur, seed):
    grey = fax_standard_mode(angle_deg, threshold, blur, seed)
    reg = fit_homography(detect_markers(grey, SPEC.aruco_dictionary), SPEC)
    assert reg.trusted
    # from the form's QR region alone: the whole-page fallback is not what reads it
    assert read_sheet_id(grey, reg, SPEC, qr=QrParams(whole_page=False)) == SHEET


def test_the_marker_registrar_gives_the_form_and_its_homography_or_a_reason():
    from srs_scan.read.register import MarkerRegistrar
    from srs_scan.read.registration import Registrar, Registration

    registrar: Registrar = MarkerRegistrar({(SPEC.form_id, SPEC.version): SPEC})
    reg = registrar.register(to_grey(blank_page(DPI)))
    assert isinstance(reg, Registration) and reg.spec is SPEC and reg.trusted
    assert reg.reason.startswith("registered on markers 0, 1, 2, 3")
    assert px_to_mm(reg.px_to_mm, page_px(40.0, 88.0))[0] == pytest.approx((40.0, 88.0), abs=0.15)
    none = MarkerRegistrar({(SPEC.form_id, SPEC.version): SPEC}).register(
        np.full((800, 600), 255, np.uint8))
    assert isinstance(none, NoRegistration) and "markers" in none.reason
