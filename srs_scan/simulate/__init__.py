"""Filled, printed and scanned SRS sheets with known truth: `srs-scan simulate`.

The simulation follows the paper's life, in this order:

1. **Print.** The sheets `srs-scan forms` prints (`generate.render_sheets`) are
   rendered with pypdfium2, never redrawn. A printer may shrink the whole page
   about its centre ("fit to page", 94-97 %) and shift it a little.
2. **Fill in.** A hand draws pen marks on the *printed* lines: ticks, slanted
   strokes, X marks, circles around a point, dots and long strokes, with wobble
   and curvature, in blue, black, red or pencil. Each mark's true value is where
   it meets the printed line (an X: where its strokes cross; a circle: its
   centre), measured between the printed end-stop centres:
   ``value = 10 * (x_mark - x_left) / (x_right - x_left)``, clamped to 0-10.
   Some pages carry what a reader must flag (no mark, two marks, a crossed-out
   mark, a mark off the line, an unfilled sheet, a blank back, a foreign page)
   and other writing (a client code or name in its field, a comment).
3. **Handle.** The `messy` profile punches holes, staples a corner, folds the
   sheet and sets a coffee cup on it. The `stray` profile handles the sheet the
   same way and gives every line an event with its truth (`events.py`: stray
   strokes, arrows, comments and their underlines, ring stains, crossings-out,
   marks on the end-stops, pencil, near misses), listed in events.csv.
4. **Scan.** Skew, upside-down feeding, phone perspective and light, resampling
   to the scan dpi, blur, noise, JPEG, fax binarisation; written as a scanner
   writes: multi-page PDF of JPEGs, multi-page CCITT G4 TIFF, or JPEG photos.

Everything after printing is drawn in *paper millimetres* (origin top-left of
the sheet of paper, y down) and mapped back through the print transform onto
the rendered page, so one warp takes the page to the scan. The truth is
computed from the FormSpec and the print transform, never measured from pixels.

One stage a module: `model` (Params, inks, profiles, the plan records, the print
geometry), `plan` (every random choice, made up front as data), `pen` (pen-mark
shapes), `paper` (drawing on the paper and handling it), `scanner` (the scan and
the files a scanner writes). This module runs them and writes truth.csv.

Same seed, same bytes: every random choice comes from one `random.Random`, every
noise field from a numpy generator seeded by it, and no file holds a timestamp.

This package does not read sheets; `benchmarks/accuracy.py` compares the reader
with the truth written here.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from dataclasses import replace
from datetime import date
from pathlib import Path

import numpy as np

from srs_scan.batch.export import Cell, CsvFormat, Table, joined, result_columns, table_csv
from srs_scan.sheets.generate import render_sheets
from srs_scan.simulate.model import (
    MIXED, PROFILE_NAMES, PROFILES, PagePlan, Params, ScanPlan, Simulation, TruthRow, print_transform,
    printed_line_mm,
)
from srs_scan.simulate.paper import enrolled_page, foreign_pdf, iter_pdf_pages, paper_image, render_pdf_pages
from srs_scan.simulate.pen import draw_mark
from srs_scan.simulate.plan import plan_pages
from srs_scan.simulate.scanner import jpeg_bytes, pdf_of_jpegs, phone_jpeg, scan, tiff_g4
from srs_scan.sheets.spec import FormSpec

__all__ = [   # what tests, benchmarks and the CLI import from srs_scan.simulate
    "EVENT_COLUMNS", "PROFILES", "PROFILE_NAMES", "PagePlan", "Params", "ScanPlan", "TruthRow", "draw_mark",
    "paper_image", "plan_pages", "plan_simulation", "print_transform", "printed_line_mm", "scan",
    "simulate", "truth_csv",
]

TRUTH_DECIMALS = 2   # the truth to 0.01 cm, finer than any reader's default


def truth_columns(spec: FormSpec) -> tuple[str, ...]:
    """The reader's columns (`export.result_columns`) plus `expect`: what a reader must flag."""
    return (*result_columns({(spec.form_id, spec.version): spec}), "expect")


def truth_record(row: TruthRow, spec: FormSpec) -> dict[str, Cell]:
    """One truth.csv row: what a perfect reader writes for this page, plus what it must flag."""
    plan = row.plan
    sheet = plan.sheet
    expect = (*plan.page_expect, *(f"{t.item_id}:{code}" for t in plan.items for code in t.expect))
    values = {t.item_id: t.value_cm for t in plan.items}
    record: dict[str, Cell] = {
        "file": row.file, "page": row.page, "form": spec.form_id if sheet else None}
    if spec.enrolled is not None:  # its blank has no QR code: the sheet is not identified
        sheet = None
    record |= {
        "sheet_id": sheet.serial if sheet else None,
        "client_code": (sheet.client_code or None) if sheet else None,
        "session": int(sheet.session) if sheet and sheet.session else None,
        "date": date.fromisoformat(sheet.date) if sheet and sheet.date else None}
    for item_id in spec.item_ids:
        record[item_id] = values.get(item_id)
    all_values = [values.get(i) for i in spec.item_ids]
    record["total"] = (sum(v for v in all_values if v is not None)
                       if sheet and all(v is not None for v in all_values) else None)
    record["status"] = "not_a_form" if "not_a_form" in expect else ("review" if expect else "ok")
    record["flags"] = record["expect"] = joined(expect)
    return record


def truth_csv(rows: Sequence[TruthRow], spec: FormSpec, fmt: CsvFormat = CsvFormat()) -> str:
    """truth.csv, written by the results' writer: same columns, quoting and number format."""
    fmt = replace(fmt, decimals=TRUTH_DECIMALS)
    return table_csv(Table(truth_columns(spec), [truth_record(row, spec) for row in rows]), fmt)


EVENT_COLUMNS = ("file", "page", "item", "event", "detail", "value", "expect", "flags_ok")


def events_csv(rows: Sequence[TruthRow], fmt: CsvFormat = CsvFormat()) -> str:
    """events.csv of the stray profile: each item's event, its numbers and what a reader may say."""
    records: list[dict[str, Cell]] = [
        {"file": row.file, "page": row.page, "item": t.item_id, "event": t.event,
         "detail": t.detail, "value": t.value_cm, "expect": joined(t.expect),
         "flags_ok": joined(t.flags_ok)}
        for row in rows for t in row.plan.items if t.event]
    return table_csv(Table(EVENT_COLUMNS, records), replace(fmt, decimals=TRUTH_DECIMALS))


def _scanned_pages(spec: FormSpec, plans: Sequence[PagePlan], paper: str, p: Params
                   ) -> Iterator[np.ndarray]:
    """Each plan's scanned page, drawn one at a time: a 300-page set is never all in memory."""
    sheets = [plan.sheet for plan in plans if plan.sheet is not None]
    forms: Iterator[np.ndarray]
    if spec.enrolled is not None:  # an enrolled form: its blank is what the clinic prints
        forms = (enrolled_page(spec, paper, p.paper_dpi) for _ in sheets)
    else:
        forms = iter_pdf_pages(render_sheets(spec, sheets, paper, invariant=True),
                               p.paper_dpi) if sheets else iter(())
    last = None
    for plan in plans:
        if plan.sheet is not None:
            rendered = next(forms)
        elif plan.kind == "foreign":
            rendered = render_pdf_pages(foreign_pdf(plan.foreign_text, paper), p.paper_dpi)[0]
        else:
            rendered = None
        img = paper_image(plan, rendered, paper, p, show_through=last)
        last = img
        yield scan(img, plan, paper, p)


def truth_rows(stem: str, plans: Sequence[PagePlan]) -> list[TruthRow]:
    """Which file and page each plan becomes: one PDF or TIFF per set, or one JPEG per photo."""
    output = PROFILES[plans[0].profile].output
    if output in ("pdf", "tiff"):
        name = f"{stem}.{'pdf' if output == 'pdf' else 'tif'}"
        return [TruthRow(name, i, pl) for i, pl in enumerate(plans, start=1)]
    digits = len(str(len(plans)))
    return [TruthRow(f"{stem}_{i:0{digits}d}.jpg", 1, pl) for i, pl in enumerate(plans, start=1)]


def _write_files(out_dir: Path, rows: list[TruthRow], spec: FormSpec, paper: str, p: Params) -> None:
    from srs_scan.fileio import write_atomic

    plans = [r.plan for r in rows]
    images = _scanned_pages(spec, plans, paper, p)
    output = PROFILES[plans[0].profile].output
    if output == "pdf":   # each page is JPEG-compressed as it is drawn
        write_atomic(out_dir / rows[0].file, pdf_of_jpegs([
            (jpeg_bytes(img, pl.scan.jpeg_quality, pl.scan.dpi), img.shape[1], img.shape[0], img.ndim == 3,
             pl.scan.dpi) for img, pl in zip(images, plans)]))
    elif output == "tiff":
        write_atomic(out_dir / rows[0].file, tiff_g4(list(images), [pl.scan.dpi for pl in plans]))
    else:
        for img, row in zip(images, rows):
            write_atomic(out_dir / row.file,
                         phone_jpeg(img, row.plan.scan.jpeg_quality, row.plan.scan.exif_rotated))


MIXED_BATCH = ("office", "fit-to-page", "messy", "low-res")


def plan_simulation(profile: str, pages: int, seed: int, paper: str = "a4",
                    spec: FormSpec | None = None, p: Params = Params()) -> list[list[TruthRow]]:
    """Every page of a run, planned and named, one list per output set; nothing drawn.

    The truth depends on this alone, so it can be checked without rendering a pixel.
    `mixed` plans batch.pdf (`pages` pages drawn from the office, fit-to-page,
    messy and low-res profiles), fax.tif (2 pages) and phone_1.jpg, phone_2.jpg.
    """
    from srs_scan.sheets.spec import load_form

    if profile not in PROFILE_NAMES:
        raise ValueError(f"unknown profile {profile!r}; choose from {', '.join(PROFILE_NAMES)}")
    spec = spec or load_form()
    rng = random.Random(seed)
    if profile == MIXED:
        looks = [MIXED_BATCH[i % len(MIXED_BATCH)] for i in range(pages)]
        rng.shuffle(looks)
        sets = [("batch", plan_pages(spec, "office", pages, rng, paper, p, looks)),
                ("fax", plan_pages(spec, "fax", 2, rng, paper, p)),
                ("phone", plan_pages(spec, "phone", 2, rng, paper, p))]
    else:
        sets = [(profile, plan_pages(spec, profile, pages, rng, paper, p))]
    out = []
    for stem, plans in sets:
        if PROFILES[plans[0].profile].output == "tiff":   # a fax keeps one resolution throughout
            plans = [replace(pl, scan=replace(pl.scan, dpi=plans[0].scan.dpi)) for pl in plans]
        out.append(truth_rows(stem, plans))
    return out


def simulate(out_dir: Path | str, profile: str = "office", pages: int = 12, seed: int = 0,
             paper: str = "a4", spec: FormSpec | None = None, p: Params = Params(),
             fmt: CsvFormat = CsvFormat()) -> Simulation:
    """Write scanned files and truth.csv for simulated pages into out_dir (see `plan_simulation`)."""
    from srs_scan.fileio import write_atomic
    from srs_scan.sheets.spec import load_form

    spec = spec or load_form()
    out = Path(out_dir)
    sets = plan_simulation(profile, pages, seed, paper, spec, p)
    for rows in sets:
        _write_files(out, rows, spec, paper, p)
    all_rows = [row for rows in sets for row in rows]
    write_atomic(out / "truth.csv", truth_csv(all_rows, spec, fmt).encode("utf-8"))
    if any(t.event for r in all_rows for t in r.plan.items):
        write_atomic(out / "events.csv", events_csv(all_rows, fmt).encode("utf-8"))
    return Simulation(tuple(dict.fromkeys(r.file for r in all_rows)), tuple(all_rows))
