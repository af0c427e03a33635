"""Enrolled forms: enrol a blank without markers, then read filled copies registered by features."""

from __future__ import annotations

import random
from pathlib import Path

import cv2
import numpy as np
import pytest

from srs_scan.cli import main
from srs_scan.read.pages import load_page
from srs_scan.read.reader import read_page
from srs_scan.results import BLANK_PAGE, NOT_A_FORM, Status
from srs_scan.sheets.enrol import EnrolError, enrol, write_form
from srs_scan.sheets.spec import load_form_library

DPI = 200
S = DPI / 25.4  # px per mm
WORDS = ("pain", "today", "sleep", "mood", "worst", "none", "please", "mark", "each", "line",
         "how", "much", "overall", "week", "score", "rate", "your", "the", "at", "all")


def _blank(seed: int, lines: list[tuple[float, float, float]]) -> np.ndarray:
    """An A4 page at DPI: lines of text from `seed` and tickless lines (x, y, length) in mm."""
    rng = random.Random(seed)
    page = np.full((int(297 * S), int(210 * S), 3), 255, np.uint8)
    for row in range(14):
        y = 20 + row * 8.5 if row < 6 else 100 + (row - 6) * 22
        text = " ".join(rng.choice(WORDS) for _ in range(6))
        cv2.putText(page, text, (int(20 * S), int(y * S)), cv2.FONT_HERSHEY_SIMPLEX, 1.1,
                    (40, 40, 40), 2, cv2.LINE_AA)
    for x, y, length in lines:
        cv2.line(page, (int(x * S), int(y * S)), (int((x + length) * S), int(y * S)),
                 (30, 30, 30), 2, cv2.LINE_AA)
    return page


LINES = [(40.0, 110.0, 100.0), (50.0, 154.0, 70.0)]  # between text rows (100 + 22k mm)


def _mark(page: np.ndarray, x_mm: float, y_mm: float) -> None:
    cv2.line(page, (int(x_mm * S), int((y_mm - 3) * S)), (int((x_mm + 0.4) * S), int((y_mm + 3) * S)),
             (170, 60, 20), 4, cv2.LINE_AA)


def _scan(page: np.ndarray, angle: float, scale: float) -> np.ndarray:
    h, w = page.shape[:2]
    m = cv2.getRotationMatrix2D((w / 2, h / 2), angle, scale)
    return cv2.warpAffine(page, m, (w, h), flags=cv2.INTER_AREA, borderValue=(255, 255, 255))


@pytest.fixture(scope="module")
def enrolled(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("forms")
    cv2.imwrite(str(folder / "blank.png"), _blank(1, LINES))
    found = enrol(folder / "blank.png")
    write_form(found, folder / "survey.toml", "survey", ["first", "second"], "blank.png")
    return folder / "survey.toml"


def test_enrol_finds_tickless_lines_of_any_length_top_to_bottom(tmp_path):
    cv2.imwrite(str(tmp_path / "blank.png"), _blank(1, LINES))
    found = enrol(tmp_path / "blank.png")
    assert [ln.ticks for ln in found.lines] == [False, False]
    for ln, (x, y, length) in zip(found.lines, LINES):
        assert ln.length_mm == pytest.approx(length, abs=0.5)  # A4 guessed from the aspect
        assert (ln.x_mm, ln.y_mm) == pytest.approx((x, y), abs=0.5)


def test_a_filled_copy_is_read_against_its_own_line_ends(enrolled):
    forms = load_form_library([enrolled])
    page = _blank(1, LINES)
    truth = (2.35, 8.1)
    for (x, y, length), v in zip(LINES, truth):
        _mark(page, x + v / 10 * length + 0.2, y)  # the stroke's centre: its slant's middle
    for angle, scale in ((0.0, 1.0), (2.5, 0.96), (181.0, 1.0)):
        result = read_page(_scan(page, angle, scale), forms)
        assert result.form_id == "survey" and result.status is Status.OK, result
        assert [i.item_id for i in result.items] == ["first", "second"]
        for item, v in zip(result.items, truth):
            assert item.value_cm == pytest.approx(v, abs=0.1), (angle, scale, item)


def test_a_blank_copy_is_blank_and_a_foreign_form_is_never_scored(enrolled):
    forms = load_form_library([enrolled])
    assert BLANK_PAGE in read_page(_blank(1, LINES), forms).flags
    other = _blank(2, LINES)  # other text, the same lines in the same places, marked
    _mark(other, 80.0, 110.0)
    result = read_page(other, forms)
    assert result.flags == (NOT_A_FORM,) and not result.items
    assert read_page(np.full((2339, 1654), 255, np.uint8), forms).flags == (NOT_A_FORM,)


def test_enrol_says_why_a_blank_cannot_be_enrolled(tmp_path):
    cv2.imwrite(str(tmp_path / "white.png"), np.full((2339, 1654), 255, np.uint8))
    with pytest.raises(EnrolError, match="too little printed detail"):
        enrol(tmp_path / "white.png")
    cv2.imwrite(str(tmp_path / "text.png"), _blank(3, []))
    with pytest.raises(EnrolError, match="no VAS line"):
        enrol(tmp_path / "text.png")
    assert main(["enrol", str(tmp_path / "text.png"), "-o", str(tmp_path / "t.toml")]) == 2
    assert not (tmp_path / "t.toml").exists()


def test_enrol_command_writes_the_form_its_reference_and_a_picture(tmp_path, capsys):
    cv2.imwrite(str(tmp_path / "blank.png"), _blank(1, LINES))
    out = tmp_path / "forms" / "pain.toml"
    out.parent.mkdir()
    assert main(["enrol", str(tmp_path / "blank.png"), "-o", str(out), "--items", "a,b"]) == 0
    printed = capsys.readouterr().out
    assert "a: 100." in printed and "b: 70." in printed  # lengths to 0.1 mm (caps add ~0.3)
    assert (out.parent / "pain.reference.png").is_file() and (out.parent / "pain.found.png").is_file()
    assert main(["enrol", str(tmp_path / "blank.png"), "-o", str(out), "--items", "a"]) == 2


# ------------------------------------------------------------------ the real VAS form

# Measured by hand on the 600 dpi scan (benchmarks/vas_manual.py shows how): mm of the
# line's 100, from its left tick. vas-reader's own reading: 21.4, 74.5, 30.7.
MANUAL_MM = (21.23, 74.11, 30.32)


def test_the_real_vas_blank_enrols_and_its_filled_copy_reads_within_1_mm(realdata, tmp_path):
    folder = realdata / "vas_pen_marks"
    found = enrol(folder / "VAS_template.pdf")
    assert len(found.lines) == 3 and all(ln.ticks for ln in found.lines)
    assert all(ln.length_mm == pytest.approx(100.0, abs=0.5) for ln in found.lines)
    assert len(found.ignored) == 2  # the signature and date lines
    # the same blank as a JPEG without a resolution tag: A4 from its shape, the same lines
    jpeg = enrol(folder / "VAS_template.jpg")
    for a, b in zip(jpeg.lines, found.lines):
        assert (a.x_mm, a.y_mm, a.length_mm) == pytest.approx((b.x_mm, b.y_mm, b.length_mm), abs=0.5)
    write_form(found, tmp_path / "vas.toml", "vas", None, "VAS_template.pdf")
    forms = load_form_library([tmp_path / "vas.toml"])
    page = load_page(folder / "VAS_sample_01.pdf", 1)
    result = read_page(page.image, forms)
    assert result.form_id == "vas"
    for item, manual in zip(result.items, MANUAL_MM):
        assert item.value_cm is not None, item
        assert abs(item.value_cm * 10 - manual) <= 1.0, (item, manual)
    # the blank itself is a blank copy; a scanned letter with lines is not this form
    blank = load_page(folder / "VAS_template.pdf", 1)
    assert BLANK_PAGE in read_page(blank.image, forms).flags
    letter = load_page(realdata / "scanner_encodings" / "ocrmypdf__enron1.pdf", 1)
    assert read_page(letter.image, forms).flags == (NOT_A_FORM,)


def test_simulate_fills_and_scans_an_enrolled_form_and_the_reader_agrees(enrolled, tmp_path):
    import csv

    from srs_scan.simulate import simulate
    from srs_scan.sheets.spec import load_form

    spec = load_form(enrolled)
    simulate(tmp_path, "office", 5, seed=4, spec=spec)
    truth = list(csv.DictReader((tmp_path / "truth.csv").open(encoding="utf-8")))
    assert len(truth) == 5 and all(not row["sheet_id"] for row in truth)
    forms = load_form_library([enrolled])
    kinds = set()
    for row in truth:
        result = read_page(load_page(tmp_path / row["file"], int(row["page"])).image, forms)
        kinds.add(row["status"])
        if row["status"] == "not_a_form":
            assert result.status is Status.NOT_A_FORM, (row, result)
            continue
        assert result.form_id == "survey"
        for item in result.items:
            if item.value_cm is not None:
                assert not row["expect"] or item.item_id not in row["expect"]
                assert item.value_cm == pytest.approx(float(row[item.item_id]), abs=0.1)
    assert "ok" in kinds or "review" in kinds


def test_scan_reads_enrolled_forms_and_our_own_sheets_in_one_batch(enrolled, tmp_path):
    import csv

    from drawmarks import blank_page

    scans = tmp_path / "scans"
    scans.mkdir()
    page = _blank(1, LINES)
    _mark(page, 40 + 42.0, 110.0)
    _mark(page, 50 + 35.0, 154.0)
    cv2.imwrite(str(scans / "a_enrolled.png"), _scan(page, 1.5, 0.97))
    cv2.imwrite(str(scans / "b_ours.png"), blank_page(200))
    cv2.imwrite(str(scans / "c_foreign.png"), _blank(2, LINES))
    out = tmp_path / "out.csv"
    assert main(["scan", str(scans), "-o", str(out), "--form", str(enrolled), "--jobs", "1",
                 "--quiet", "--decimals", "2"]) == 0
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert [(r["form"], r["status"]) for r in rows] == [
        ("survey", "ok"), ("srs", "review"), ("", "not_a_form")]
    assert float(rows[0]["first"]) == pytest.approx(4.2, abs=0.1)
    assert float(rows[0]["second"]) == pytest.approx(5.0, abs=0.1)
    assert "relationship" in rows[0] and not rows[0]["relationship"]
