"""Enrol a blank form (`srs-scan enrol`): find its visual analogue scale lines, write a form file.

The blank (a PDF, vector or scanned, or a PNG / JPEG scan) is resampled to `PX_PER_MM`; that
image is the form's reference (the reader registers every filled copy to it by its printed
content, `read/enrolled.py`) and its pixels define the form's mm frame. A VAS line is a long,
straight, thin horizontal stroke; end ticks are short vertical strokes through its ends. When
some lines have ticks at both ends, lines without (signature and date lines) are left out.

This module does not read filled copies.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from srs_scan.errors import UsageError
from srs_scan.fileio import mark_png, write_atomic
from srs_scan.sheets.spec import PAPER_SIZES_MM, load_form

PX_PER_MM = 8.0          # reference resolution: 0.125 mm a pixel (203 dpi), ~250 kB for A4
MIN_LINE_MM = 20.0       # a shorter stroke is a dash or an underline, not a scale
MAX_THICK_MM = 1.2       # a VAS line is a thin stroke (0.1-0.5 mm); thicker is a bar or a box
MIN_TICK_MM = 1.5        # a tick reaches at least this far above and below the line
MIN_DPI = 100.0          # below this a 0.2 mm line is a pixel or less: too poor to enrol
MIN_FEATURES = 150       # printed detail the reader can register on (SIFT keypoints)
BAND_MAX_MM = 6.0        # the clear band around a line: as on our own sheets, unless the blank's
MARGIN_MAX_MM = 12.0     # print comes nearer (then 0.7 mm short of that print)


class EnrolError(UsageError):
    """The blank cannot be enrolled; the message says why, in one line."""


@dataclass(frozen=True)
class FoundLine:
    x_mm: float        # left end: the tick's centre, or where the stroke ends
    y_mm: float
    length_mm: float
    ticks: bool
    tick_height_mm: float  # 0 without ticks


@dataclass(frozen=True)
class Enrolment:
    reference: np.ndarray   # grey, PX_PER_MM
    lines: tuple[FoundLine, ...]
    ignored: tuple[FoundLine, ...]  # long lines without ticks on a form whose scales have them
    clear_band_mm: float
    clear_margin_x_mm: float
    size_mm: tuple[float, float]
    scale_note: str


def load_blank(path: Path) -> tuple[np.ndarray, float, str]:
    """The blank as a grey image and its px per mm (from the file, or guessed from the paper)."""
    from srs_scan.read.pages import PageError, load_page

    page = load_page(path, 1)
    if isinstance(page, PageError):
        raise EnrolError(f"cannot read the blank {path.name}: {page.reason}")
    image = page.image
    grey = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY) if image.ndim == 3 else image
    if image.ndim == 3:  # the darkest channel, so a line printed in colour shows as dark
        grey = np.min(image, axis=2)
    if page.dpi > 0:
        return grey, page.dpi / 25.4, f"{page.dpi:.0f} dpi, from the file"
    h, w = grey.shape
    short, long = sorted((w, h))
    paper, (pw, ph) = min(PAPER_SIZES_MM.items(),
                          key=lambda kv: abs(kv[1][1] / kv[1][0] - long / short))
    return grey, short / pw, f"no resolution in the file: taken as {paper} paper"


def enrol(path: Path) -> Enrolment:
    grey, px_per_mm, note = load_blank(path)
    if px_per_mm * 25.4 < MIN_DPI:
        raise EnrolError(f"the blank is too coarse to enrol ({px_per_mm * 25.4:.0f} dpi; "
                         f"scan it at 200-300 dpi)")
    k = PX_PER_MM / px_per_mm
    ref = cv2.resize(grey, None, fx=k, fy=k, interpolation=cv2.INTER_AREA if k < 1
                     else cv2.INTER_CUBIC)
    h, w = ref.shape
    ink = _ink(ref)
    if int(cv2.SIFT_create().detect(ref, None).__len__()) < MIN_FEATURES:
        raise EnrolError("the blank has too little printed detail for pages to be matched to it "
                         "(a blank page, or a photo too poor to enrol)")
    found = _find_lines(ink)
    if not found:
        raise EnrolError("no VAS line found on the blank (a long, thin, straight horizontal "
                         f"line of at least {MIN_LINE_MM:.0f} mm)")
    with_ticks = [ln for ln in found if ln.ticks]
    lines = with_ticks or found
    ignored = [ln for ln in found if ln not in lines]
    band, margin = _clearances(ink, lines)
    return Enrolment(ref, tuple(lines), tuple(ignored), band, margin,
                     (w / PX_PER_MM, h / PX_PER_MM), note)


def _ink(grey: np.ndarray) -> np.ndarray:
    """Ink as a 0/1 mask: darker than the local paper by a third of its brightness."""
    k = int(8 * PX_PER_MM) | 1
    paper = cv2.blur(cv2.dilate(grey, np.ones((k, k), np.uint8)), (k, k)).astype(np.float32)
    darkness = 1.0 - grey.astype(np.float32) / np.maximum(paper, 1.0)
    return (darkness > 0.3).astype(np.uint8)


def _find_lines(ink: np.ndarray) -> list[FoundLine]:
    s = PX_PER_MM
    # join the steps of a slightly skewed line, then keep only long horizontal runs
    joined = cv2.dilate(ink, np.ones((3, 1), np.uint8))
    runs = cv2.morphologyEx(joined, cv2.MORPH_OPEN, np.ones((1, int(MIN_LINE_MM * s * 0.75)),
                                                           np.uint8))
    n, labels, stats, _ = cv2.connectedComponentsWithStats(runs, connectivity=8)
    lines = []
    for i in range(1, n):
        x, y, bw, bh, _ = stats[i]
        if bw < MIN_LINE_MM * s or bh > MAX_THICK_MM * s + bw * 0.035:
            continue
        cols = np.arange(x, x + bw)
        band = ink[y:y + bh, x:x + bw].astype(np.float32)
        weight = band.sum(axis=0)
        ok = weight > 0
        if ok.sum() < 0.8 * bw:
            continue
        rows = (band * np.arange(y, y + bh)[:, None]).sum(axis=0)[ok] / weight[ok]
        slope, row0 = np.polyfit(cols[ok], rows, 1)
        if abs(slope) > 0.035:  # more than 2 degrees: not a horizontal scale
            continue
        thick = float(np.median(weight[ok])) / s
        if thick > MAX_THICK_MM:
            continue
        left, right = float(x), float(x + bw - 1)
        row = lambda c: row0 + slope * c  # noqa: E731
        tl, hl = _tick(ink, left, row(left))
        tr, hr = _tick(ink, right, row(right))
        ticks = tl is not None and tr is not None
        if ticks:
            left, right = tl, tr
        y_mm = float(row((left + right) / 2) + 0.5) / s
        lines.append(FoundLine(round((left + 0.5) / s, 3), round(y_mm, 3),
                               round((right - left) / s, 3), ticks,
                               round(min(hl, hr), 2) if ticks else 0.0))
    return sorted(lines, key=lambda ln: ln.y_mm)


def _tick(ink: np.ndarray, x_end: float, row: float) -> tuple[float | None, float]:
    """A vertical stroke through the line's end: its centre column and its height in mm
    (twice the shorter of its reach above and below), or None."""
    s = PX_PER_MM
    h, w = ink.shape
    c0, c1 = int(max(0, x_end - 1.0 * s)), int(min(w, x_end + 1.0 * s + 1))
    r = int(round(row))
    reach = []
    for sign in (-1, 1):
        d = 0
        while 0 <= r + sign * (d + 1) < h and ink[r + sign * (d + 1), c0:c1].any() and d < 15 * s:
            d += 1
        reach.append((d + 1) / s)  # rows r+1..r+d are ink: the tick ends past the last one
    if min(reach) < MIN_TICK_MM:
        return None, 0.0
    r0, r1 = int(r - (min(reach) - 0.3) * s), int(r + (min(reach) - 0.3) * s)
    rows = [rr for rr in range(r0, r1 + 1) if abs(rr - r) > 0.6 * s]
    cols = ink[rows, c0:c1].sum(axis=0).astype(np.float32)
    if cols.sum() == 0:
        return None, 0.0
    centre = c0 + float((cols * np.arange(c1 - c0)).sum() / cols.sum())
    return centre, 2 * min(reach)


def _clearances(ink: np.ndarray, lines: list[FoundLine]) -> tuple[float, float]:
    """How far other print stays from every line: above and below it (the clear band), and
    beyond its ends (the margin). Both as on our own sheets where the blank leaves room."""
    s = PX_PER_MM
    h, w = ink.shape
    band, margin = BAND_MAX_MM, MARGIN_MAX_MM
    for ln in lines:
        half = max(ln.tick_height_mm / 2, 0.8) + 0.3
        x0, x1 = int(ln.x_mm * s), int((ln.x_mm + ln.length_mm) * s)
        yc = ln.y_mm * s
        for sign in (-1, 1):  # rows above / below, beside the line's own strokes
            d = half
            while d < BAND_MAX_MM + 1:
                r = int(round(yc + sign * d * s))
                if not 0 <= r < h or ink[r, x0 + int(1.5 * s):x1 - int(1.5 * s)].any():
                    break
                d += 1 / s
            band = min(band, d - 0.7)
        rows = slice(int(max(0, yc - (half + 0.5) * s)), int(min(h, yc + (half + 0.5) * s)))
        for sign, start in ((-1, x0 - int(1.2 * s)), (1, x1 + int(1.2 * s))):
            d = 1.2
            while d < MARGIN_MAX_MM + 1:
                c = int(round(start + sign * (d - 1.2) * s))
                if not 0 <= c < w or ink[rows, c].any():
                    break
                d += 1 / s
            margin = min(margin, d - 0.7)
    return round(band, 2), round(max(margin, 1.5), 2)


def write_form(enrolment: Enrolment, output: Path, name: str, items: list[str] | None,
               source: str) -> tuple[Path, Path]:
    """The form file, its reference image beside it, and a picture of what was found."""
    lines = enrolment.lines
    ids = items or [f"line{i + 1}" for i in range(len(lines))]
    if len(ids) != len(lines):
        raise EnrolError(f"--items names {len(ids)} item(s), but the blank has {len(lines)} "
                         f"line(s)")
    if enrolment.clear_band_mm < max(ln.tick_height_mm / 2 for ln in lines) + 0.5:
        raise EnrolError("other print lies too close to a line for its marks to be told apart")
    stem = output.with_suffix("")
    reference = stem.with_name(stem.name + ".reference.png")
    picture = stem.with_name(stem.name + ".found.png")
    ok, encoded = cv2.imencode(".png", enrolment.reference)
    png = mark_png(encoded.tobytes())  # ours, not a scan: `scan` never reads it
    write_atomic(reference, png)
    ticks = [ln.tick_height_mm for ln in lines if ln.ticks]
    text = [
        f"# Enrolled with `srs-scan enrol` from {source}; check {picture.name}.",
        "# Geometry in mm in the reference image's frame (its top-left pixel corner is 0, 0).",
        "", "[form]", f'id = "{name}"', "version = 1", f'title = "{name}"', "",
        "[enrolled]", f'reference = "{reference.name}"', f"px_per_mm = {PX_PER_MM}",
        f'sha256 = "{hashlib.sha256(png).hexdigest()}"',
        f"width = {enrolment.size_mm[0]:.3f}", f"height = {enrolment.size_mm[1]:.3f}", "",
        "[lines]", f"stop_height = {float(np.median(ticks)) if ticks else 0.0:.2f}",
        f"clear_band = {enrolment.clear_band_mm}",
        f"clear_margin_x = {enrolment.clear_margin_x_mm}",
    ]
    for item_id, ln in zip(ids, lines):
        text += ["", "[[items]]", f'id = "{item_id}"', f"x = {ln.x_mm}", f"y = {ln.y_mm}",
                 f"length = {ln.length_mm}", f"stops = {'true' if ln.ticks else 'false'}"]
    write_atomic(output, ("\n".join(text) + "\n").encode("utf-8"))
    load_form(output)  # what we wrote must load
    ok, encoded = cv2.imencode(".png", _picture(enrolment, ids))
    write_atomic(picture, mark_png(encoded.tobytes()))
    return reference, picture


def _picture(enrolment: Enrolment, ids: list[str]) -> np.ndarray:
    s = PX_PER_MM
    out = cv2.cvtColor(enrolment.reference, cv2.COLOR_GRAY2BGR)
    out = cv2.addWeighted(out, 0.5, np.full_like(out, 255), 0.5, 0)
    for item_id, ln in zip(ids, enrolment.lines):
        a = (int(ln.x_mm * s), int(ln.y_mm * s))
        b = (int((ln.x_mm + ln.length_mm) * s), int(ln.y_mm * s))
        cv2.line(out, a, b, (0, 160, 0), 2)
        for x, _ in (a, b):
            cv2.line(out, (x, a[1] - int(3 * s)), (x, a[1] + int(3 * s)), (0, 160, 0), 2)
        cv2.putText(out, f"{item_id}: {ln.length_mm:.1f} mm", (a[0], a[1] - int(4 * s)),
                    cv2.FONT_HERSHEY_SIMPLEX, 0.8, (0, 0, 220), 2)
    for ln in enrolment.ignored:
        a = (int(ln.x_mm * s), int(ln.y_mm * s))
        b = (int((ln.x_mm + ln.length_mm) * s), int(ln.y_mm * s))
        cv2.line(out, a, b, (150, 150, 150), 1)
        cv2.putText(out, "ignored (no end ticks)", (a[0], a[1] - int(2 * s)),
                    cv2.FONT_HERSHEY_SIMPLEX, 0.6, (150, 150, 150), 1)
    return out
