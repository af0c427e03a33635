"""The printed sheet, checked on the PDF itself and on a 600 dpi rendering of it."""

from __future__ import annotations

import io
import random

import cv2
import numpy as np
import pypdfium2
import pytest
from pypdf import PdfReader
from pypdf.generic import ContentStream

from srs_scan.sheets.generate import render_sheets
from srs_scan.sheets.sheetid import SheetId, new_serials, parse_payload
from srs_scan.sheets.spec import PAPER_SIZES_MM, block_origin_mm, mm_to_pt

DPI = 600
PX_PER_MM = DPI / 25.4


def _sheet(spec, serial="7KQ2M9XD", **kw) -> SheetId:
    return SheetId(spec.form_id, spec.version, serial, **kw)


def _segments(pdf: bytes) -> list[tuple[float, float, float, float]]:
    """Every straight m/l segment drawn on page 1, in PDF points."""
    reader = PdfReader(io.BytesIO(pdf))
    ops = ContentStream(reader.pages[0].get_contents(), reader).operations
    assert [args for args, op in ops if op == b"cm"] in ([], [[1, 0, 0, 1, 0, 0]])
    segments, start = [], None
    for args, op in ops:
        if op == b"m":
            start = tuple(float(a) for a in args)
        elif op == b"l" and start is not None:
            end = tuple(float(a) for a in args)
            segments.append((*start, *end))
            start = end
    return segments


@pytest.mark.parametrize("paper", ["a4", "letter"])
def test_pdf_lines_are_exactly_100_mm(spec, paper):
    segments = _segments(render_sheets(spec, [_sheet(spec)], paper))
    stop_pt = mm_to_pt(spec.stop_height_mm)
    stops = [s for s in segments if s[0] == s[2] and abs(abs(s[1] - s[3]) - stop_pt) < 0.01]
    assert len(stops) == 2 * len(spec.items)
    by_row: dict[float, list[float]] = {}
    for x0, y0, _, y1 in stops:
        by_row.setdefault(round((y0 + y1) / 2, 2), []).append(x0)
    assert len(by_row) == len(spec.items)
    for xs in by_row.values():
        assert len(xs) == 2
        assert abs(max(xs) - min(xs) - 283.46) <= 0.01


def _render(pdf: bytes, page: int = 0, dpi: int = DPI) -> np.ndarray:
    doc = pypdfium2.PdfDocument(pdf)
    grey = doc[page].render(scale=dpi / 72, grayscale=True).to_numpy()
    return grey if grey.ndim == 2 else grey[..., 0]


@pytest.fixture(scope="module", params=["a4", "letter"])
def rendered(request, spec):
    paper = request.param
    sheet = _sheet(spec, client_code="C042", session="5", date="2026-11-26")
    return paper, sheet, _render(render_sheets(spec, [sheet], paper))


def _form_to_px(spec, paper, x_mm, y_mm):
    ox, oy = block_origin_mm(spec, paper)
    return (ox + x_mm) * PX_PER_MM, (oy + y_mm) * PX_PER_MM


def test_rendered_lines_measure_100_mm(spec, rendered):
    paper, _, image = rendered
    ink = image < 128
    for item in spec.items:
        _, row = _form_to_px(spec, paper, 0, item.y_mm)
        # a row 1.5 mm above the line crosses only the end-stops
        probe = ink[int(round(row - 1.5 * PX_PER_MM))]
        cols = np.flatnonzero(probe)
        assert cols.size > 0
        left, right = cols[cols < probe.size / 2], cols[cols >= probe.size / 2]
        centres = [(c.min() + c.max() + 1) / 2 for c in (left, right)]
        length_mm = (centres[1] - centres[0]) / PX_PER_MM
        assert length_mm == pytest.approx(100.0, abs=0.1)


def test_markers_found_with_their_ids(spec, rendered):
    _, _, image = rendered
    dictionary = cv2.aruco.getPredefinedDictionary(getattr(cv2.aruco, spec.aruco_dictionary))
    detector = cv2.aruco.ArucoDetector(dictionary, cv2.aruco.DetectorParameters())
    small = cv2.resize(image, None, fx=0.5, fy=0.5, interpolation=cv2.INTER_AREA)
    _, ids, _ = detector.detectMarkers(small)
    assert ids is not None
    assert sorted(ids.ravel().tolist()) == sorted(m.id for m in spec.markers)


def test_qr_code_decodes_to_the_payload(spec, rendered):
    _, sheet, image = rendered
    small = cv2.resize(image, None, fx=0.5, fy=0.5, interpolation=cv2.INTER_AREA)
    text, _, _ = cv2.QRCodeDetector().detectAndDecode(small)
    assert text == sheet.payload()
    assert parse_payload(text) == sheet


def test_nothing_printed_near_the_paper_edges(spec, rendered):
    _, _, image = rendered
    edge = int(np.ceil(spec.edge_clearance_mm * PX_PER_MM))
    inner = np.ones_like(image, dtype=bool)
    inner[edge:-edge, edge:-edge] = False
    assert image[inner].min() > 240
    assert image[~inner].min() < 50  # and the page is not empty


def test_bands_hold_only_the_line_and_its_end_stops(spec, rendered):
    paper, _, image = rendered
    ink = image < 200
    half_stroke = 1.0 * PX_PER_MM * 0.5  # stroke (0.4 pt = 0.14 mm) plus anti-aliasing
    for item in spec.items:
        x0, y0, x1, y1 = spec.clear_band_mm_box(item)
        c0, r0 = (int(v) for v in _form_to_px(spec, paper, x0, y0))
        c1, r1 = (int(v) for v in _form_to_px(spec, paper, x1, y1))
        band = ink[r0:r1, c0:c1].copy()
        _, line_row = _form_to_px(spec, paper, 0, item.y_mm)
        band[int(line_row - half_stroke) - r0:int(line_row + half_stroke) + 1 - r0, :] = False
        for stop_x, _ in spec.line_ends_mm(item):
            col, _ = _form_to_px(spec, paper, stop_x, 0)
            half_h = spec.stop_height_mm / 2 * PX_PER_MM
            band[int(line_row - half_h) - r0 - 2:int(line_row + half_h) - r0 + 3,
                 int(col - half_stroke) - c0:int(col + half_stroke) + 1 - c0] = False
        assert not band.any(), f"something printed in the clear band of {item.id}"


def test_count_gives_distinct_serials_in_qr_codes(spec):
    serials = new_serials(3, random.Random(7))
    pdf = render_sheets(spec, [_sheet(spec, s) for s in serials], "a4")
    decoded = []
    for page in range(3):
        text, _, _ = cv2.QRCodeDetector().detectAndDecode(_render(pdf, page, 200))
        decoded.append(parse_payload(text).serial)
    assert decoded == serials and len(set(decoded)) == 3


def test_invariant_output_is_reproducible(spec):
    a = render_sheets(spec, [_sheet(spec)], "a4", invariant=True)
    b = render_sheets(spec, [_sheet(spec)], "a4", invariant=True)
    assert a == b


def test_page_sizes(spec):
    for paper, (w, h) in PAPER_SIZES_MM.items():
        reader = PdfReader(io.BytesIO(render_sheets(spec, [_sheet(spec)], paper)))
        box = reader.pages[0].mediabox
        assert float(box.width) == pytest.approx(mm_to_pt(w), abs=0.01)
        assert float(box.height) == pytest.approx(mm_to_pt(h), abs=0.01)


def test_printed_pdfs_ask_viewers_to_print_at_actual_size(spec):
    """Acrobat's print dialog defaults to actual size (not fit-to-page) when the catalogue says so."""
    from pathlib import Path

    samples = Path(__file__).resolve().parents[1] / "samples"
    from srs_scan.sheets.labels import LABEL_SHEETS, render_labels

    pdfs = [render_sheets(spec, [_sheet(spec)], paper) for paper in PAPER_SIZES_MM]
    pdfs += [render_labels([_sheet(spec)], paper) for paper in LABEL_SHEETS]
    pdfs += [p.read_bytes() for p in sorted(samples.glob("blank_srs_*.pdf"))]
    assert len(pdfs) >= len(PAPER_SIZES_MM) + len(LABEL_SHEETS)
    for pdf in pdfs:
        catalogue = PdfReader(io.BytesIO(pdf)).trailer["/Root"]
        assert catalogue["/ViewerPreferences"]["/PrintScaling"] == "/None"
