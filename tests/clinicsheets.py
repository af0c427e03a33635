"""Test helper (dev only): filled ORS and SRS sheets with known values, as scanned PNG files.

Each sheet is rendered from the generator's own PDF with its QR code (client
code, session, date, age band), a tick drawn at each given value, and written
as a PNG, the way a scanner would hand it over. A value of None leaves that
line unmarked (the reader flags it).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import cv2
import pypdfium2

from drawmarks import Drawer
from srs_scan.sheets.generate import render_sheets
from srs_scan.sheets.sheetid import SheetId
from srs_scan.sheets.spec import load_form, resolve_form

DPI = 150


def filled_sheet(path: Path, form: str, values: Sequence[float | None], *, client: str = "",
                 session: str = "", date: str = "", age_band: str = "", serial: str = "") -> Path:
    spec = load_form(resolve_form(form))
    serial = serial or f"{form[:1].upper()}{client}{session}".replace("-", "")[:8].ljust(8, "0")
    sheet = SheetId(spec.form_id, spec.version, serial, client, session, date, age_band)
    page = pypdfium2.PdfDocument(render_sheets(spec, [sheet], "a4", invariant=True))[0]
    image = cv2.cvtColor(page.render(scale=DPI / 72).to_numpy()[:, :, :3], cv2.COLOR_RGB2BGR)
    drawer = Drawer(image, spec, DPI)
    for item, value in enumerate(values):
        if value is not None:
            drawer.tick(item, value)
    cv2.imwrite(str(path), image)
    return path
