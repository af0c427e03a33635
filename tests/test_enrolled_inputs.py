"""Enrolled forms, the inputs a clinic has: a blank scanned into a PDF (a raster image inside),
and filled copies fed in any way round (turned 90, 180 or 270 degrees)."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

from srs_scan.read.pages import load_page
from srs_scan.read.reader import read_page
from srs_scan.results import Status
from srs_scan.sheets.enrol import enrol, write_form
from srs_scan.sheets.spec import load_form_library
from test_enrol import DPI, LINES, MANUAL_MM, _blank, _mark, _scan

TURNS = {90: cv2.ROTATE_90_CLOCKWISE, 180: cv2.ROTATE_180, 270: cv2.ROTATE_90_COUNTERCLOCKWISE}


def _scanned_pdf(image: np.ndarray, path: Path, dpi: float, quality: int = 85) -> None:
    """A one-page PDF holding `image` as a JPEG, the way a scanner's "scan to PDF" writes it."""
    rgb = cv2.cvtColor(image, cv2.COLOR_BGR2RGB) if image.ndim == 3 else image
    Image.fromarray(rgb).save(path, "PDF", resolution=dpi, quality=quality)


def _scanned_blank(seed: int = 1) -> np.ndarray:
    """The test blank as a flatbed would give it back: a little skewed, grey paper, noise."""
    page = _scan(_blank(seed, LINES), 0.6, 1.0).astype(np.float32)
    rng = np.random.default_rng(seed)
    page = 0.92 * page + rng.normal(0.0, 3.0, page.shape)
    return np.clip(page, 0, 255).astype(np.uint8)


def test_a_blank_scanned_to_pdf_enrols_like_the_image_itself(tmp_path):
    _scanned_pdf(_scanned_blank(), tmp_path / "blank.pdf", DPI)
    found = enrol(tmp_path / "blank.pdf")
    assert "from the file" in found.scale_note  # the PDF's page size gives the resolution
    assert [ln.ticks for ln in found.lines] == [False, False]
    for ln, (x, y, length) in zip(found.lines, LINES):
        assert ln.length_mm == pytest.approx(length, abs=0.5)
        assert (ln.x_mm, ln.y_mm) == pytest.approx((x, y), abs=1.0)  # skewed 0.6 deg
    write_form(found, tmp_path / "survey.toml", "survey", ["first", "second"], "blank.pdf")
    forms = load_form_library([tmp_path / "survey.toml"])
    page = _blank(1, LINES)  # a clean print of the same form, filled
    truth = (3.3, 6.6)
    for (x, y, length), v in zip(LINES, truth):
        _mark(page, x + v / 10 * length + 0.2, y)
    result = read_page(_scan(page, -1.0, 0.97), forms)
    assert result.form_id == "survey" and result.status is Status.OK, result
    for item, v in zip(result.items, truth):
        assert item.value_cm == pytest.approx(v, abs=0.1), item


@pytest.fixture(scope="module")
def survey(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("turned")
    cv2.imwrite(str(folder / "blank.png"), _blank(1, LINES))
    write_form(enrol(folder / "blank.png"), folder / "survey.toml", "survey", ["first", "second"],
               "blank.png")
    return folder / "survey.toml"


@pytest.mark.parametrize("turn", [90, 180, 270])
def test_a_filled_copy_fed_in_turned_reads_the_same(survey, turn, tmp_path):
    forms = load_form_library([survey])
    page = _blank(1, LINES)
    truth = (1.7, 9.2)
    for (x, y, length), v in zip(LINES, truth):
        _mark(page, x + v / 10 * length + 0.2, y)
    turned = cv2.rotate(_scan(page, 0.8, 0.98), TURNS[turn])
    # through a file, as a scanner would hand it over (a PDF whose page is landscape for 90/270)
    _scanned_pdf(turned, tmp_path / "copy.pdf", DPI)
    loaded = load_page(tmp_path / "copy.pdf", 1)
    result = read_page(loaded.image, forms)
    assert result.form_id == "survey" and result.status is Status.OK, (turn, result)
    for item, v in zip(result.items, truth):
        assert item.value_cm == pytest.approx(v, abs=0.1), (turn, item)


# ------------------------------------------------------------------ the real VAS form

def test_the_real_vas_blank_as_a_scanned_pdf_reads_the_real_copy_any_way_round(realdata,
                                                                               tmp_path):
    folder = realdata / "vas_pen_marks"
    jpeg = cv2.imread(str(folder / "VAS_template.jpg"))  # A4 at 200 dpi, untagged
    _scanned_pdf(jpeg, tmp_path / "blank.pdf", 200.0)
    found = enrol(tmp_path / "blank.pdf")
    vector = enrol(folder / "VAS_template.pdf")
    assert len(found.lines) == 3 and all(ln.ticks for ln in found.lines)
    for a, b in zip(found.lines, vector.lines):
        assert (a.x_mm, a.y_mm, a.length_mm) == pytest.approx((b.x_mm, b.y_mm, b.length_mm),
                                                              abs=0.5)
    write_form(found, tmp_path / "vas.toml", "vas", None, "blank.pdf")
    forms = load_form_library([tmp_path / "vas.toml"])
    copy = load_page(folder / "VAS_sample_01.pdf", 1).image
    for turn in (0, 90, 180, 270):
        image = copy if turn == 0 else cv2.rotate(copy, TURNS[turn])
        result = read_page(image, forms)
        assert result.form_id == "vas", (turn, result)
        for item, manual in zip(result.items, MANUAL_MM):
            # line 3's mark is a blob filled in with a dense zigzag: read at its middle however
            # the page is turned (turned, hairline gaps between its strokes made it a scribble)
            assert item.value_cm is not None and not item.flags, (turn, item)
            assert abs(item.value_cm * 10 - manual) <= 1.0, (turn, item, manual)
