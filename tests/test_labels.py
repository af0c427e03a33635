"""Sticky labels: one per roster row, a QR code of opaque ids the reader finds anywhere."""

from __future__ import annotations

import cv2
import numpy as np
import pypdfium2
import pytest

from srs_scan.cli import main
from srs_scan.read.reader import read_page
from srs_scan.sheets.labels import LABEL_SHEETS, render_labels
from srs_scan.sheets.sheetid import SheetId
from srs_scan.sheets.spec import load_form_library
from test_enrol import LINES, S, _blank, _mark, _scan, enrolled  # noqa: F401 (a fixture)

SHEETS = [SheetId("survey", 1, f"K7Q2M9X{c}", f"C{i:03d}", str(i), "2026-11-26")
          for i, c in enumerate("ABCDEFGHJKLMNPQRSTUVWXYZ", start=1)]


def _label_image(sheet_index: int, paper: str = "a4") -> np.ndarray:
    """One label cut out of the rendered sheet, at the test pages' resolution."""
    pdf = pypdfium2.PdfDocument(render_labels(SHEETS, paper, invariant=True))
    page = pdf[0].render(scale=S * 25.4 / 72).to_numpy()[:, :, :3].copy()
    layout = LABEL_SHEETS[paper]
    row, col = divmod(sheet_index, layout.columns)
    x, y = layout.left_mm + col * layout.pitch_x_mm, layout.top_mm + row * layout.pitch_y_mm
    return page[int(y * S):int((y + layout.height_mm) * S), int(x * S):int((x + layout.width_mm) * S)]


@pytest.mark.parametrize("paper", ["a4", "letter"])
def test_label_sheets_fit_their_products_and_hold_one_label_per_row(paper):
    layout = LABEL_SHEETS[paper]
    pdf = pypdfium2.PdfDocument(render_labels(SHEETS, paper, invariant=True))
    assert len(pdf) == -(-len(SHEETS) // layout.per_sheet)
    w, h = pdf[0].get_size()
    right = layout.left_mm + (layout.columns - 1) * layout.pitch_x_mm + layout.width_mm
    bottom = layout.top_mm + (layout.rows - 1) * layout.pitch_y_mm + layout.height_mm
    assert right < w / 72 * 25.4 and bottom <= h / 72 * 25.4 + 0.01


def test_a_label_anywhere_on_an_enrolled_form_identifies_the_sheet(enrolled):  # noqa: F811
    forms = load_form_library([enrolled])
    page = _blank(1, LINES)
    _mark(page, 40 + 61.5, 110.0)
    _mark(page, 50 + 20.0, 154.0)
    label = _label_image(4)
    lh, lw = label.shape[:2]
    y0, x0 = int(250 * S), int(120 * S)  # bottom right, clear of the lines
    page[y0:y0 + lh, x0:x0 + lw] = label
    for angle in (0.0, 3.0, 180.0):
        result = read_page(_scan(page, angle, 0.97), forms)
        assert result.sheet == SHEETS[4], angle
        assert result.items[0].value_cm == pytest.approx(6.15, abs=0.1)
    unlabelled = read_page(_blank(1, LINES), forms)
    assert unlabelled.sheet is None and unlabelled.form_id == "survey"


def test_labels_command(tmp_path, capsys):
    roster = tmp_path / "roster.csv"
    roster.write_text("client_code,session,date\nC042,5,2026-11-26\nK-77,12,\n", encoding="utf-8")
    assert main(["labels", str(roster), "-o", str(tmp_path / "l.pdf"), "--paper", "letter"]) == 0
    assert "2 labels on 1 sheet of Avery 5160" in capsys.readouterr().out
    assert len(pypdfium2.PdfDocument(tmp_path / "l.pdf")) == 1
    roster.write_text("client_code,session,date\nJane Doe,5,\n", encoding="utf-8")
    assert main(["labels", str(roster), "-o", str(tmp_path / "bad.pdf")]) == 2
    assert not (tmp_path / "bad.pdf").exists()
