"""Printable sheets: draw a FormSpec with ReportLab, one page per sheet.

Every coordinate comes from the FormSpec (millimetres in the form frame) and is
converted to PDF points at the edge, by `_Page.pt`; where the words go and
their sizes are the form's `[text]` table (`FormSpec.text`). This module holds
no geometry of its own.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

import cv2
import numpy as np
from reportlab.graphics.barcode import qrencoder
from reportlab.lib.colors import Color, black, white
from reportlab.lib.utils import simpleSplit
from reportlab.pdfgen.canvas import Canvas

from srs_scan.sheets.sheetid import QR_QUIET_MODULES, SheetId, sheet_problem
from srs_scan.sheets.spec import PAPER_SIZES_MM, FormSpec, block_origin_mm, mm_to_pt

INK = Color(0.13, 0.18, 0.22)       # everything a client reads: a dark slate that survives a poor copy
MUTED = Color(0.40, 0.45, 0.49)     # only what staff read: the serial, the form id, the printer note
RULE = Color(0.45, 0.49, 0.52)      # field underlines
SANS, SANS_BOLD = "Helvetica", "Helvetica-Bold"

# Type sizes and positions are the form's [text] table (spec.TextLayout): what a client reads at
# least 10 pt, the instruction at least 11 pt (tests/test_sheet_legibility.py holds them to it).


class _Page:
    """Converts form-frame millimetres (y down) to PDF points (y up) on one paper."""

    def __init__(self, canvas: Canvas, spec: FormSpec, paper: str) -> None:
        self.c, self.spec = canvas, spec
        self.ox, self.oy = block_origin_mm(spec, paper)
        self.page_h_mm = PAPER_SIZES_MM[paper][1]

    def pt(self, x_mm: float, y_mm: float) -> tuple[float, float]:
        return mm_to_pt(self.ox + x_mm), mm_to_pt(self.page_h_mm - (self.oy + y_mm))

    def text(self, x_mm: float, y_mm: float, s: str, font: str, size: float,
             color: Color = INK, align: str = "left") -> None:
        self.c.setFont(font, size)
        self.c.setFillColor(color)
        x, y = self.pt(x_mm, y_mm)
        {"left": self.c.drawString, "centre": self.c.drawCentredString,
         "right": self.c.drawRightString}[align](x, y, s)

    def cells(self, x_mm: float, y_mm: float, cell_mm: float, dark: np.ndarray) -> None:
        """Fill the dark cells of a grid as one path, so no seams show between cells."""
        path = self.c.beginPath()
        for row, col in zip(*np.nonzero(dark)):
            x, y = self.pt(x_mm + col * cell_mm, y_mm + (row + 1) * cell_mm)
            path.rect(x, y, mm_to_pt(cell_mm), mm_to_pt(cell_mm))
        self.c.setFillColor(black)
        self.c.drawPath(path, stroke=0, fill=1)


def aruco_bits(spec: FormSpec, marker_id: int) -> np.ndarray:
    """The marker's cells including its black border, True where black."""
    dictionary = cv2.aruco.getPredefinedDictionary(getattr(cv2.aruco, spec.aruco_dictionary))
    cells = dictionary.markerSize + 2
    image = cv2.aruco.generateImageMarker(dictionary, marker_id, cells)
    return image < 128


def qr_modules(payload: str) -> np.ndarray:
    """The QR code's modules (True = dark), level M, from ReportLab's encoder. segno was compared
    (benchmarks/qr_readers.py): the same sizes (29, 33, 37 modules for blank, pre-filled and the
    longest payloads) and both decoders read either's codes back; ReportLab is already a
    dependency, so it stays."""
    code = qrencoder.QRCode(None, qrencoder.QRErrorCorrectLevel.M)
    code.addData(payload)
    code.make()
    n = code.getModuleCount()
    return np.array([[code.isDark(r, c) for c in range(n)] for r in range(n)], dtype=bool)


def draw_sheet(canvas: Canvas, spec: FormSpec, sheet: SheetId, paper: str) -> None:
    page = _Page(canvas, spec, paper)
    w = spec.block_w_mm
    for marker in spec.markers:
        bits = aruco_bits(spec, marker.id)
        page.cells(marker.x_mm, marker.y_mm, spec.marker_size_mm / bits.shape[0], bits)

    t = spec.text
    page.text(t.margin_x, t.title_y, spec.title, SANS_BOLD, t.title_pt)
    if spec.subtitle:
        page.text(t.margin_x, t.subtitle_y, spec.subtitle, SANS, t.subtitle_pt)
    _draw_fields(page, sheet)
    _draw_sheet_id(page, sheet)

    # the instruction stops short of the staff column under the code (the printer note)
    staff_column_x = spec.qr_x_mm + spec.qr_size_mm - t.footer_width - t.footer_gap
    lines = simpleSplit(spec.instructions, SANS, t.instructions_pt,
                        mm_to_pt(min(w - t.margin_x, staff_column_x) - t.margin_x))
    for i, line in enumerate(lines):
        page.text(t.margin_x, t.instructions_y + i * t.instructions_leading, line, SANS,
                  t.instructions_pt)

    for item in spec.items:
        _draw_item(page, item)


def _draw_fields(page: _Page, sheet: SheetId) -> None:
    values = {"client_code": sheet.client_code, "session": sheet.session, "date": sheet.date}
    c, t = page.c, page.spec.text
    for field in page.spec.fields:
        page.text(field.x_mm, field.y_mm - t.field_label_above, field.label, SANS,
                  t.field_label_pt)
        c.setStrokeColor(RULE)
        c.setLineWidth(0.5)
        c.line(*page.pt(field.x_mm, field.y_mm), *page.pt(field.x_mm + field.width_mm, field.y_mm))
        if values.get(field.name):
            page.text(field.x_mm + t.field_value_dx, field.y_mm - t.field_value_above,
                      values[field.name], SANS, t.field_value_pt)


def _draw_sheet_id(page: _Page, sheet: SheetId) -> None:
    spec = page.spec
    modules = qr_modules(sheet.payload())
    quiet = QR_QUIET_MODULES
    cell = spec.qr_size_mm / (modules.shape[0] + 2 * quiet)
    page.cells(spec.qr_x_mm + quiet * cell, spec.qr_y_mm + quiet * cell, cell, modules)
    t = spec.text
    page.text(spec.serial_x_mm, spec.serial_y_mm, f"Sheet {sheet.serial}", SANS, t.serial_pt,
              MUTED, "centre")
    page.text(spec.serial_x_mm, spec.serial_y_mm + t.form_line_below,
              f"{spec.form_id} v{spec.version}", SANS, t.form_line_pt, MUTED, "centre")
    # the printer instruction is for staff: with the code they look at, not in the client's path
    right = spec.qr_x_mm + spec.qr_size_mm
    note = simpleSplit(spec.footer, SANS, t.footer_pt, mm_to_pt(t.footer_width))
    for i, line in enumerate(note):
        page.text(right, spec.serial_y_mm + t.footer_below_serial + i * t.footer_leading, line,
                  SANS, t.footer_pt, MUTED, "right")


def _draw_item(page: _Page, item) -> None:
    spec, c, t = page.spec, page.c, page.spec.text
    (x0, y), (x1, _) = spec.line_ends_mm(item)
    half_stop = spec.stop_height_mm / 2.0
    page.text(x0, y - t.heading_above, item.heading, SANS_BOLD, t.heading_pt)
    if item.prompt:
        page.text(x0, y - t.prompt_above, item.prompt, SANS, t.prompt_pt)
    c.setStrokeColor(black)
    c.setLineWidth(spec.line_width_pt)
    c.setLineCap(0)  # butt caps: the stroke ends exactly where the form file says
    c.line(*page.pt(x0, y), *page.pt(x1, y))
    for x in (x0, x1):
        c.line(*page.pt(x, y - half_stop), *page.pt(x, y + half_stop))
    page.text(x0, y + t.anchor_below, item.left, SANS, t.anchor_pt)
    page.text(x1, y + t.anchor_below, item.right, SANS, t.anchor_pt, align="right")


def render_sheets(spec: FormSpec | Sequence[FormSpec], sheets: Sequence[SheetId], paper: str = "a4",
                  invariant: bool = False) -> bytes:
    """A PDF with one page per sheet. `invariant` drops dates and ids, for reproducible files.

    Given several forms, each sheet is drawn with the form its form id names."""
    specs = [spec] if isinstance(spec, FormSpec) else list(spec)
    by_id = {s.form_id: s for s in specs}
    spec = specs[0]
    if paper not in PAPER_SIZES_MM:
        raise ValueError(f"unknown paper size {paper!r}")
    for sheet in sheets:  # what the reader would refuse is never printed
        if sheet_problem(sheet):
            raise ValueError(f"cannot print this sheet id: {sheet_problem(sheet)}")
    buffer = io.BytesIO()
    w_mm, h_mm = PAPER_SIZES_MM[paper]
    canvas = Canvas(buffer, pagesize=(mm_to_pt(w_mm), mm_to_pt(h_mm)), invariant=int(invariant),
                    pageCompression=1)
    canvas.setTitle(f"{spec.title} ({spec.form_id} v{spec.version})")
    # the hint that makes a PDF viewer's print dialog default to actual size, not fit-to-page
    canvas.setViewerPreference("PrintScaling", "None")
    canvas.setCreator("srs-scan")
    canvas.setFillColor(white)
    for sheet in sheets:
        draw_sheet(canvas, by_id.get(sheet.form_id, spec), sheet, paper)
        canvas.showPage()
    canvas.save()
    return buffer.getvalue()
