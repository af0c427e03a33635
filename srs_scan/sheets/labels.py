"""Sticky-label sheets (`srs-scan labels`): identity for forms that carry no QR code of ours.

One label per roster row: a QR code with the same opaque ids our own sheets carry (form,
version, a fresh serial, client code, session, date; never a name) and the client code and
session in text. Stuck anywhere on an enrolled form, the reader finds it (`read/reader.py`).
Geometry of the two standard sheets, in mm from the paper's top-left corner:

- A4: Avery L7160 (and its compatibles, e.g. J8160): 3 x 7 labels of 63.5 x 38.1 mm,
  top margin 15.15 mm, left margin 7.25 mm, column pitch 66.04 mm (2.54 mm gap);
- US Letter: Avery 5160 (and 5260, 5960, 8160): 3 x 10 labels of 66.675 x 25.4 mm (2 5/8 x
  1 in), top margin 12.7 mm, left margin 4.7625 mm, column pitch 69.85 mm (3.175 mm gap).

This module does not read labels.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass

from reportlab.lib.colors import black
from reportlab.pdfgen.canvas import Canvas

from srs_scan.sheets.generate import qr_modules
from srs_scan.sheets.sheetid import QR_QUIET_MODULES, SheetId, sheet_problem
from srs_scan.sheets.spec import PAPER_SIZES_MM, mm_to_pt


@dataclass(frozen=True)
class LabelSheet:
    product: str
    columns: int
    rows: int
    width_mm: float
    height_mm: float
    top_mm: float
    left_mm: float
    pitch_x_mm: float
    pitch_y_mm: float

    @property
    def per_sheet(self) -> int:
        return self.columns * self.rows


LABEL_SHEETS = {
    "a4": LabelSheet("Avery L7160 (21 labels, 63.5 x 38.1 mm)", 3, 7, 63.5, 38.1, 15.15, 7.25,
                     66.04, 38.1),
    "letter": LabelSheet("Avery 5160 (30 labels, 2 5/8 x 1 in)", 3, 10, 66.675, 25.4, 12.7,
                         4.7625, 69.85, 25.4),
}
PAD_MM = 2.0  # kept clear inside each label's edge: label stock is cut to about +-1 mm
QR_MAX_MM = 24.0  # the code with its quiet zone: 0.6-0.7 mm modules, and room for the text


def render_labels(sheets: Sequence[SheetId], paper: str, invariant: bool = False) -> bytes:
    """A PDF of label sheets, one label per SheetId, in order."""
    layout = LABEL_SHEETS[paper]
    for sheet in sheets:
        if sheet_problem(sheet):
            raise ValueError(f"cannot print this id: {sheet_problem(sheet)}")
    w_mm, h_mm = PAPER_SIZES_MM[paper]
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=(mm_to_pt(w_mm), mm_to_pt(h_mm)), invariant=int(invariant),
                    pageCompression=1)
    canvas.setTitle(f"srs-scan labels ({layout.product})")
    canvas.setCreator("srs-scan")
    canvas.setViewerPreference("PrintScaling", "None")  # labels sit where the stock's labels are
    for i, sheet in enumerate(sheets):
        if i and i % layout.per_sheet == 0:
            canvas.showPage()
        row, col = divmod(i % layout.per_sheet, layout.columns)
        x = layout.left_mm + col * layout.pitch_x_mm
        y = layout.top_mm + row * layout.pitch_y_mm
        _label(canvas, sheet, x, y, layout, h_mm)
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def _label(canvas: Canvas, sheet: SheetId, x_mm: float, y_mm: float, layout: LabelSheet,
           page_h_mm: float) -> None:
    """The QR code (quiet zone included) at the label's left, the ids in text beside it."""
    def pt(x: float, y: float) -> tuple[float, float]:
        return mm_to_pt(x), mm_to_pt(page_h_mm - y)

    size = min(layout.height_mm - 2 * PAD_MM, QR_MAX_MM)
    modules = qr_modules(sheet.payload())
    cell = size / (modules.shape[0] + 2 * QR_QUIET_MODULES)
    x0, y0 = x_mm + PAD_MM + QR_QUIET_MODULES * cell, y_mm + PAD_MM + QR_QUIET_MODULES * cell
    path = canvas.beginPath()
    for r, c in zip(*modules.nonzero()):
        px, py = pt(x0 + c * cell, y0 + (r + 1) * cell)
        path.rect(px, py, mm_to_pt(cell), mm_to_pt(cell))
    canvas.setFillColor(black)
    canvas.drawPath(path, stroke=0, fill=1)
    tx = x_mm + PAD_MM + size + 2.0
    room = mm_to_pt(x_mm + layout.width_mm - PAD_MM - tx)
    lines = [(sheet.client_code or "(no client code)", "Helvetica-Bold", 12.0)]
    if sheet.session:
        lines.append((f"Session {sheet.session}", "Helvetica", 9.0))
    if sheet.date:
        lines.append((sheet.date, "Helvetica", 9.0))
    lines.append((f"{sheet.form_id} {sheet.serial}", "Helvetica", 7.0))
    ty = y_mm + PAD_MM + 4.0
    for text, font, points in lines:
        points = min(points, points * room / max(canvas.stringWidth(text, font, points), 1e-6))
        canvas.setFont(font, points)
        canvas.drawString(*pt(tx, ty), text)
        ty += points * 0.4 + 0.8
