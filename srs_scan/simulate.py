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
   sheet and sets a coffee cup on it.
4. **Scan.** Skew, upside-down feeding, phone perspective and light, resampling
   to the scan dpi, blur, noise, JPEG, fax binarisation; written as a scanner
   writes: multi-page PDF of JPEGs, multi-page CCITT G4 TIFF, or JPEG photos.

Everything after printing is drawn in *paper millimetres* (origin top-left of
the sheet of paper, y down) and mapped back through the print transform onto
the rendered page, so one warp takes the page to the scan. The truth is
computed from the FormSpec and the print transform, never measured from pixels.

Same seed, same bytes: every random choice comes from one `random.Random`, every
noise field from a numpy generator seeded by it, and no file holds a timestamp.

This module does not read sheets; `benchmarks/accuracy.py` compares the reader
with the truth written here.
"""

from __future__ import annotations

import csv
import io
import math
import random
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import cv2
import numpy as np
import pypdfium2 as pdfium
from PIL import Image

from srs_scan.generate import render_sheets
from srs_scan.sheetid import SheetId, new_serials
from srs_scan.spec import MM_PER_INCH, PAPER_SIZES_MM, FormSpec, block_origin_mm, mm_to_pt

TRUTH_COLUMNS_HEAD = ("file", "page", "form", "sheet_id", "client_code", "session", "date")
TRUTH_COLUMNS_TAIL = ("total", "status", "flags", "expect")


# --------------------------------------------------------------------------- parameters

@dataclass(frozen=True)
class Params:
    """Every number that shapes a simulated sheet, with its unit and reason."""

    paper_dpi: int = 300                # px/inch the printed paper is drawn at; the scan resamples it
    supersample: int = 2                # pen strokes drawn at this factor, then averaged: smooth edges
    pen_width_mm: tuple[float, float] = (0.3, 0.8)   # ballpoint to felt tip
    pencil_share_of_width: float = 0.8  # pencil lines are a little thinner
    wobble_mm: tuple[float, float] = (0.015, 0.07)   # hand tremor, amplitude across the stroke
    bend_mm: tuple[float, float] = (-0.5, 0.5)       # curvature: sideways bow at a stroke's middle
    tick_len_mm: tuple[float, float] = (4.0, 9.0)
    tick_tilt_deg: float = 8.0          # ticks lean up to this far from vertical
    slant_deg: tuple[float, float] = (18.0, 40.0)
    slant_len_mm: tuple[float, float] = (6.0, 10.0)
    long_len_mm: tuple[float, float] = (12.0, 17.0)  # a long stroke reaches past the clear band
    x_arm_mm: tuple[float, float] = (4.5, 8.0)       # length of each stroke of an X
    x_angle_deg: tuple[float, float] = (28.0, 52.0)  # each X stroke's angle from vertical
    x_centre_dy_mm: float = 0.6         # an X's crossing sits up to this far off the line
    circle_r_mm: tuple[float, float] = (1.8, 3.5)
    circle_dy_mm: float = 0.4           # a circle's centre sits up to this far off the line
    dot_d_mm: tuple[float, float] = (0.9, 1.6)
    past_end_mm: tuple[float, float] = (1.0, 6.0)    # marks beyond an end-stop (inside the 12 mm margin)
    off_line_gap_mm: tuple[float, float] = (1.6, 3.5)  # clear paper between an off-line mark and its line
    second_mark_gap_mm: float = 12.0    # two marks on a line are at least this far apart
    item_case_share: float = 0.06       # share of items (beyond one of each) that carry a flag case
    writing_share: float = 0.5          # share of filled sheets with a name/code or comment written on
    prefilled_share: float = 0.5        # share of sheets pre-filled with client code and session
    print_offset_mm: float = 1.0        # printers place the page up to this far off centre
    toner_black: tuple[int, int] = (18, 45)  # printed black as the scanner sees it, 0-255
    paper_white: tuple[int, int] = (243, 252)
    scan_offset_mm: float = 1.5         # where the sheet lands on the platen or in the feeder
    show_through: float = 0.035         # a blank back shows the front, mirrored, this strongly
    fax_threshold: int = 165            # grey level below which a fax prints black; fax machines
                                        # darken thin strokes, so higher than mid-grey


@dataclass(frozen=True)
class Ink:
    name: str
    rgb: tuple[int, int, int]   # colour of a fully covered spot
    opacity: tuple[float, float]  # how much of the paper's light the ink removes
    grain: float                # 0 = even ballpoint line, 1 = very grainy (pencil)


INKS: dict[str, Ink] = {
    "blue": Ink("blue", (25, 45, 150), (0.80, 0.97), 0.15),
    "black": Ink("black", (22, 22, 28), (0.85, 0.98), 0.12),
    "red": Ink("red", (185, 30, 38), (0.80, 0.95), 0.15),
    "pencil": Ink("pencil", (70, 70, 76), (0.55, 0.80), 0.55),
}


@dataclass(frozen=True)
class Profile:
    """How a clinic's sheets get printed and scanned."""

    name: str
    output: str                         # "pdf" (JPEG pages), "tiff" (G4 pages) or "jpg" (one photo each)
    dpi: tuple[tuple[int, int], ...]    # (x, y) scan resolutions to pick from
    modes: tuple[str, ...]              # "RGB", "L" or "1"
    print_scale: tuple[float, float] = (1.0, 1.0)
    skew_deg: float = 2.0
    upside_down_share: float = 0.0
    blur_px: tuple[float, float] = (0.4, 0.9)    # scanner optics, Gaussian sigma in scan px
    noise: tuple[float, float] = (0.8, 2.5)      # sensor noise left after the scanner's own filtering
    jpeg_quality: tuple[int, int] = (60, 85)     # scanner "normal" to "high" quality settings
    inks: tuple[str, ...] = ("blue", "black", "red", "pencil")
    ink_weights: tuple[float, ...] = (0.45, 0.33, 0.08, 0.14)
    phone: bool = False
    messy: bool = False


PROFILES: dict[str, Profile] = {
    "office": Profile("office", "pdf", ((300, 300),), ("RGB", "L"), upside_down_share=0.15),
    "fit-to-page": Profile("fit-to-page", "pdf", ((300, 300),), ("RGB", "L"),
                           print_scale=(0.94, 0.97), upside_down_share=0.1),
    "fax": Profile("fax", "tiff", ((200, 100), (200, 200)), ("1",), skew_deg=1.5,
                   upside_down_share=0.1, blur_px=(0.3, 0.6), noise=(2.0, 5.0),
                   inks=("blue", "black", "red"), ink_weights=(0.5, 0.42, 0.08)),
    "low-res": Profile("low-res", "pdf", ((150, 150),), ("RGB", "L"), upside_down_share=0.1,
                       blur_px=(0.3, 0.7), jpeg_quality=(60, 85)),
    "phone": Profile("phone", "jpg", ((0, 0),), ("RGB",), skew_deg=6.0, blur_px=(0.5, 1.3),
                     noise=(2.0, 5.0), jpeg_quality=(80, 92), phone=True),
    "messy": Profile("messy", "pdf", ((300, 300),), ("RGB", "L"), upside_down_share=0.1,
                     messy=True),
}
MIXED = "mixed"
PROFILE_NAMES = (*PROFILES, MIXED)

PHONE_SIZE_PX = (1800, 2400)  # portrait photo, width x height; the sheet fills most of it
PHONE_BACKGROUNDS = ((92, 70, 52), (150, 146, 140), (60, 62, 66), (196, 186, 170))  # desks


# --------------------------------------------------------------------------- plans (pure data)

@dataclass(frozen=True)
class Stroke:
    points_mm: tuple[tuple[float, float], ...]  # centreline, paper mm
    width_mm: float


@dataclass(frozen=True)
class PenMark:
    kind: str                   # tick, slant, cross, circle, dot, long, scribble, writing
    strokes: tuple[Stroke, ...]
    ink: str
    opacity: float
    true_x_mm: float | None     # paper mm where it meets the line; None for writing and scribbles
    text: str = ""              # for kind "writing": the words, drawn in a script font
    text_at_mm: tuple[float, float] = (0.0, 0.0)
    text_height_mm: float = 0.0


@dataclass(frozen=True)
class ItemTruth:
    item_id: str
    value_cm: float | None      # None when the item must be flagged
    expect: tuple[str, ...] = ()  # item flag codes the reader must raise


@dataclass(frozen=True)
class Handling:
    """What happened to the paper between filling in and scanning (the messy profile)."""

    holes_mm: tuple[tuple[float, float], ...] = ()
    hole_d_mm: float = 6.0
    hole_grey: int = 60
    staple_mm: tuple[tuple[float, float], tuple[float, float]] | None = None
    crease_mm: tuple[tuple[float, float], tuple[float, float]] | None = None
    crease_strength: float = 0.0
    ring_mm: tuple[float, float, float, float] | None = None  # cx, cy, radius, ring width
    ring_strength: float = 0.0


@dataclass(frozen=True)
class ScanPlan:
    dpi: tuple[int, int]
    mode: str
    skew_deg: float
    upside_down: bool
    offset_mm: tuple[float, float]
    blur_px: float
    noise: float
    jpeg_quality: int
    photo_corners: tuple[tuple[float, float], ...] = ()  # phone: where the paper's corners land, px
    light: tuple[float, float, float, float] = (1.0, 0.0, 0.0, 0.0)  # phone: level, gx, gy, vignette
    background: tuple[int, int, int] = (235, 235, 235)
    exif_rotated: bool = False


@dataclass(frozen=True)
class PagePlan:
    kind: str                       # "form", "blank_form", "blank_back", "foreign"
    profile: str
    sheet: SheetId | None
    print_scale: float
    print_offset_mm: tuple[float, float]
    marks: tuple[PenMark, ...]
    items: tuple[ItemTruth, ...]
    page_expect: tuple[str, ...]
    scan: ScanPlan
    handling: Handling = field(default_factory=Handling)
    toner: int = 30
    paper: int = 248
    noise_seed: int = 0
    foreign_text: tuple[str, ...] = ()


@dataclass(frozen=True)
class TruthRow:
    file: str
    page: int
    plan: PagePlan


@dataclass(frozen=True)
class Simulation:
    files: tuple[str, ...]          # names relative to the output folder, in writing order
    rows: tuple[TruthRow, ...]


# --------------------------------------------------------------------------- geometry

def print_transform(scale: float, offset_mm: tuple[float, float], paper: str) -> np.ndarray:
    """3x3 map from page mm (as the PDF says) to paper mm (as printed): shrink about the centre, shift."""
    w, h = PAPER_SIZES_MM[paper]
    cx, cy = w / 2.0, h / 2.0
    return np.array([[scale, 0.0, cx - scale * cx + offset_mm[0]],
                     [0.0, scale, cy - scale * cy + offset_mm[1]],
                     [0.0, 0.0, 1.0]])


def _apply(m: np.ndarray, x: float, y: float) -> tuple[float, float]:
    v = m @ np.array([x, y, 1.0])
    return float(v[0] / v[2]), float(v[1] / v[2])


def printed_line_mm(spec: FormSpec, item, paper: str, print_m: np.ndarray
                    ) -> tuple[tuple[float, float], tuple[float, float]]:
    """Centres of the item's left and right end-stops as printed, in paper mm."""
    ox, oy = block_origin_mm(spec, paper)
    (x0, y0), (x1, y1) = spec.line_ends_mm(item)
    return _apply(print_m, ox + x0, oy + y0), _apply(print_m, ox + x1, oy + y1)


def value_cm(x_mark_mm: float, left_mm: float, right_mm: float) -> float:
    """The SRS score of a mark at x on a line whose end-stops are at left and right, 0-10."""
    return min(10.0, max(0.0, 10.0 * (x_mark_mm - left_mm) / (right_mm - left_mm)))


# --------------------------------------------------------------------------- pen marks

def _wobbly_stroke(rng: random.Random, p: Params, angle_deg: float, length: float, n: int = 24
                   ) -> np.ndarray:
    """A hand-drawn straight-ish stroke through the origin, at angle from vertical, y down."""
    a = math.radians(angle_deg)
    d = np.array([math.sin(a), math.cos(a)])
    normal = np.array([math.cos(a), -math.sin(a)])
    u = np.linspace(0.0, 1.0, n)
    start = rng.uniform(0.3, 0.7)  # where along the stroke the origin (the crossing) lies
    along = (u - start) * length
    bend = rng.uniform(*p.bend_mm) * length / 8.0 * (1.0 - (2.0 * u - 1.0) ** 2)
    wob = np.zeros(n)
    for _ in range(2):
        amp, freq, ph = rng.uniform(*p.wobble_mm), rng.uniform(0.5, 1.8), rng.uniform(0, 2 * math.pi)
        wob += amp * np.sin(2 * math.pi * freq * u + ph)
    return along[:, None] * d + (bend + wob)[:, None] * normal


def _crossing_x(points: np.ndarray, y: float) -> float | None:
    """x where a polyline first crosses the horizontal y (linear between vertices)."""
    ys = points[:, 1] - y
    for i in range(len(points) - 1):
        if ys[i] == 0.0:
            return float(points[i, 0])
        if ys[i] * ys[i + 1] < 0:
            t = ys[i] / (ys[i] - ys[i + 1])
            return float(points[i, 0] + t * (points[i + 1, 0] - points[i, 0]))
    return None


def _segments_intersection(a: np.ndarray, b: np.ndarray) -> tuple[float, float] | None:
    for i in range(len(a) - 1):
        p, r = a[i], a[i + 1] - a[i]
        for j in range(len(b) - 1):
            q, s = b[j], b[j + 1] - b[j]
            denom = r[0] * s[1] - r[1] * s[0]
            if abs(denom) < 1e-12:
                continue
            t = ((q - p)[0] * s[1] - (q - p)[1] * s[0]) / denom
            u = ((q - p)[0] * r[1] - (q - p)[1] * r[0]) / denom
            if 0.0 <= t <= 1.0 and 0.0 <= u <= 1.0:
                x, y = p + t * r
                return float(x), float(y)
    return None


def _as_stroke(points: np.ndarray, width: float) -> Stroke:
    return Stroke(tuple((round(float(x), 4), round(float(y), 4)) for x, y in points), width)


def draw_mark(kind: str, x_mm: float, line_y_mm: float, ink: str, rng: random.Random,
              p: Params = Params()) -> PenMark:
    """A pen mark of `kind` whose true point (see module docstring) is x_mm on the line at line_y_mm."""
    width = rng.uniform(*p.pen_width_mm) * (p.pencil_share_of_width if ink == "pencil" else 1.0)
    opacity = rng.uniform(*INKS[ink].opacity)
    if kind in ("tick", "slant", "long"):
        if kind == "tick":
            angle, length = rng.uniform(-p.tick_tilt_deg, p.tick_tilt_deg), rng.uniform(*p.tick_len_mm)
        elif kind == "slant":
            angle = rng.uniform(*p.slant_deg) * rng.choice((1, 1, 1, -1))
            length = rng.uniform(*p.slant_len_mm)
        else:
            angle, length = rng.uniform(-12.0, 12.0), rng.uniform(*p.long_len_mm)
        pts = _wobbly_stroke(rng, p, angle, length) + np.array([x_mm, line_y_mm])
        cross = _crossing_x(pts, line_y_mm)
        assert cross is not None  # the stroke runs through its own origin
        pts[:, 0] += x_mm - cross
        return PenMark(kind, (_as_stroke(pts, width),), ink, opacity, x_mm)
    if kind == "cross":
        angle = rng.uniform(*p.x_angle_deg)
        a = _wobbly_stroke(rng, p, angle, rng.uniform(*p.x_arm_mm))
        b = _wobbly_stroke(rng, p, -angle * rng.uniform(0.8, 1.2), rng.uniform(*p.x_arm_mm))
        meet = _segments_intersection(a, b)
        assert meet is not None  # both strokes pass through the origin
        shift = np.array([x_mm - meet[0], line_y_mm + rng.uniform(-1, 1) * p.x_centre_dy_mm - meet[1]])
        return PenMark(kind, (_as_stroke(a + shift, width), _as_stroke(b + shift, width)),
                       ink, opacity, x_mm)
    if kind == "circle":
        r = rng.uniform(*p.circle_r_mm)
        ratio, tilt = rng.uniform(0.8, 1.1), rng.uniform(0, math.pi)
        start = rng.uniform(0, 2 * math.pi)
        sweep = 2 * math.pi + rng.uniform(-0.35, 0.9)  # a small gap or an overlap where the pen closes
        t = np.linspace(0, 1, 60)
        ang = start + sweep * t
        rad = r * (1.0 + 0.04 * np.sin(3 * ang + rng.uniform(0, 6.3)))
        ex, ey = rad * np.cos(ang), rad * ratio * np.sin(ang)
        pts = np.stack([ex * math.cos(tilt) - ey * math.sin(tilt),
                        ex * math.sin(tilt) + ey * math.cos(tilt)], axis=1)
        pts += np.array([x_mm, line_y_mm + rng.uniform(-1, 1) * p.circle_dy_mm])
        return PenMark(kind, (_as_stroke(pts, width),), ink, opacity, x_mm)
    if kind == "dot":
        d = rng.uniform(*p.dot_d_mm)
        y = line_y_mm + rng.uniform(-0.2, 0.2)
        pts = np.array([[x_mm - 0.1, y], [x_mm + 0.1, y]])
        return PenMark(kind, (_as_stroke(pts, d),), ink, max(opacity, 0.85), x_mm)
    raise ValueError(f"unknown mark kind {kind!r}")


def off_line_mark(x_mm: float, line_y_mm: float, ink: str, rng: random.Random,
                  p: Params = Params()) -> PenMark:
    """A tick that stops short of the line: above or below, with clear paper between."""
    mark = draw_mark("tick", x_mm, line_y_mm, ink, rng, p)
    pts = np.array(mark.strokes[0].points_mm)
    gap = rng.uniform(*p.off_line_gap_mm) + mark.strokes[0].width_mm / 2.0
    if rng.random() < 0.6:   # above the line: its lowest point ends gap mm above
        pts[:, 1] += (line_y_mm - gap) - pts[:, 1].max()
    else:
        pts[:, 1] += (line_y_mm + gap) - pts[:, 1].min()
    return replace(mark, kind="off_line", strokes=(_as_stroke(pts, mark.strokes[0].width_mm),),
                   true_x_mm=None)


def scribble(x_mm: float, line_y_mm: float, ink: str, rng: random.Random, p: Params = Params()
             ) -> PenMark:
    """The zigzag a client draws over a mark to take it back."""
    width = rng.uniform(*p.pen_width_mm)
    passes = rng.randint(6, 10)
    half_w, half_h = rng.uniform(1.8, 3.0), rng.uniform(3.0, 5.0)
    xs = np.linspace(x_mm - half_w, x_mm + half_w, passes) + np.array(
        [rng.uniform(-0.3, 0.3) for _ in range(passes)])
    ys = np.array([line_y_mm + (half_h if i % 2 else -half_h) * rng.uniform(0.7, 1.0)
                   for i in range(passes)])
    return PenMark("scribble", (_as_stroke(np.stack([xs, ys], axis=1), width),), ink,
                   rng.uniform(*INKS[ink].opacity), None)


def writing(text: str, at_mm: tuple[float, float], height_mm: float, ink: str, rng: random.Random
            ) -> PenMark:
    """Handwritten-looking words, left end of the baseline at `at_mm`."""
    return PenMark("writing", (), ink, rng.uniform(*INKS[ink].opacity), None, text, at_mm, height_mm)


# --------------------------------------------------------------------------- planning

MARK_KINDS = ("tick", "slant", "cross", "circle", "dot", "long")
MARK_WEIGHTS = (0.36, 0.15, 0.15, 0.10, 0.06, 0.18)
ITEM_CASES = ("no_mark", "multiple_marks", "crossed_out", "off_line")
NAMES = ("Sam", "J. Rivera", "Alex K", "Mo", "R. Okafor", "Lee")
COMMENTS = ("better today", "felt rushed", "thanks!", "ok", "hard week", "good", "not sure", "?")


def _true_value(rng: random.Random) -> float:
    """A target position in cm along the line, beyond 0-10 for marks past an end.

    Real SRS use: most marks high, some low, a few exactly on or past an end-stop.
    """
    r = rng.random()
    if r < 0.62:
        return 10.0 - min(4.5, abs(rng.gauss(0.0, 1.6)))
    if r < 0.82:
        return rng.uniform(0.3, 6.0)
    if r < 0.90:
        return 10.0 if rng.random() < 0.75 else 0.0
    return 10.0 + 0.1 * rng.uniform(1.0, 6.0) if rng.random() < 0.8 else -0.1 * rng.uniform(1.0, 6.0)


def _pick_ink(rng: random.Random, profile: Profile) -> str:
    return rng.choices(profile.inks, profile.ink_weights)[0]


def _plan_item(spec: FormSpec, item, paper: str, print_m: np.ndarray, case: str, ink: str,
               rng: random.Random, p: Params) -> tuple[list[PenMark], ItemTruth]:
    (xl, y), (xr, _) = printed_line_mm(spec, item, paper, print_m)
    span = xr - xl

    def x_at(v: float) -> float:  # v beyond 0-10 lands past the end-stop, by past_end_mm
        if v > 10.0:
            return xr + (v - 10.0) * 10.0 * (p.past_end_mm[1] / 6.0)
        if v < 0.0:
            return xl + v * 10.0 * (p.past_end_mm[1] / 6.0)
        return xl + v / 10.0 * span

    if case == "clean":
        kind = rng.choices(MARK_KINDS, MARK_WEIGHTS)[0]
        v = _true_value(rng)
        if not 0.0 <= v <= 10.0 and kind in ("dot", "circle"):
            kind = "tick"   # past an end a dot or circle would not reach the line at all
        mark = draw_mark(kind, x_at(v), y, ink, rng, p)
        assert mark.true_x_mm is not None
        return [mark], ItemTruth(item.id, round(value_cm(mark.true_x_mm, xl, xr), 2))
    if case == "no_mark":
        return [], ItemTruth(item.id, None, ("no_mark",))
    if case == "off_line":
        return [off_line_mark(x_at(rng.uniform(1.0, 9.5)), y, ink, rng, p)], \
            ItemTruth(item.id, None, ("off_line",))
    first = rng.uniform(1.0, 9.0)
    second = first + rng.choice((-1, 1)) * rng.uniform(p.second_mark_gap_mm / 10.0, 5.0)
    if not 0.3 <= second <= 9.7:
        second = first - (second - first)
    kinds = [rng.choices(MARK_KINDS[:3], (0.6, 0.2, 0.2))[0] for _ in range(2)]
    if case == "multiple_marks":
        marks = [draw_mark(kinds[0], x_at(first), y, ink, rng, p),
                 draw_mark(kinds[1], x_at(second), y, ink, rng, p)]
        return marks, ItemTruth(item.id, None, ("multiple_marks",))
    if case == "crossed_out":
        marks = [draw_mark("tick", x_at(first), y, ink, rng, p),
                 scribble(x_at(first), y, ink, rng, p),
                 draw_mark(kinds[1], x_at(second), y, ink, rng, p)]
        return marks, ItemTruth(item.id, None, ("crossed_out",))
    raise ValueError(f"unknown item case {case!r}")


def _other_writing(spec: FormSpec, sheet: SheetId, paper: str, print_m: np.ndarray, ink: str,
                   rng: random.Random) -> list[PenMark]:
    """A code or name in the client-code field (if not pre-filled), or a comment beside a line."""
    ox, oy = block_origin_mm(spec, paper)
    marks: list[PenMark] = []
    fields = {f.name: f for f in spec.fields}
    if not sheet.client_code and "client_code" in fields and rng.random() < 0.7:
        f = fields["client_code"]
        text = rng.choice((f"C{rng.randint(100, 9999):04d}", rng.choice(NAMES)))
        at = _apply(print_m, ox + f.x_mm + rng.uniform(1.0, 6.0), oy + f.y_mm - rng.uniform(0.6, 1.5))
        marks.append(writing(text, at, rng.uniform(3.5, 5.0), ink, rng))
    if rng.random() < 0.5:
        item = rng.choice(spec.items)
        words = rng.choice(COMMENTS)
        if rng.random() < 0.5:   # in the right margin, past the clear band's end
            x = spec.line_end_x_mm + spec.clear_margin_x_mm + rng.uniform(1.0, 3.0)
            y = item.y_mm + rng.uniform(-1.0, 2.0)
            words = rng.choice([c for c in COMMENTS if len(c) <= 9])   # the margin is 25 mm wide
        else:                    # just above the clear band, under the prompt
            x = spec.line_x_mm + rng.uniform(10.0, 50.0)
            y = item.y_mm - spec.clear_band_mm - rng.uniform(0.6, 1.2)
        marks.append(writing(words, _apply(print_m, ox + x, oy + y), rng.uniform(2.6, 3.2), ink, rng))
    return marks


def _scan_plan(profile: Profile, paper: str, rng: random.Random) -> ScanPlan:
    dpi = rng.choice(profile.dpi)
    mode = rng.choice(profile.modes)
    plan = ScanPlan(
        dpi=dpi, mode=mode, skew_deg=rng.uniform(-profile.skew_deg, profile.skew_deg),
        upside_down=rng.random() < profile.upside_down_share,
        offset_mm=(rng.uniform(-1, 1) * Params.scan_offset_mm, rng.uniform(-1, 1) * Params.scan_offset_mm),
        blur_px=rng.uniform(*profile.blur_px), noise=rng.uniform(*profile.noise),
        jpeg_quality=rng.randint(*profile.jpeg_quality),
        background=(rng.randint(225, 245),) * 3)
    if not profile.phone:
        return plan
    pw, ph = PHONE_SIZE_PX
    w_mm, h_mm = PAPER_SIZES_MM[paper]
    fill = rng.uniform(0.80, 0.92)                   # share of the photo's height the sheet spans
    sh = ph * fill
    sw = sh * w_mm / h_mm
    cx, cy = pw / 2 + rng.uniform(-0.05, 0.05) * pw, ph / 2 + rng.uniform(-0.03, 0.03) * ph
    rot = math.radians(plan.skew_deg)
    corners = []
    for ux, uy in ((-0.5, -0.5), (0.5, -0.5), (0.5, 0.5), (-0.5, 0.5)):
        x, y = ux * sw, uy * sh
        x, y = x * math.cos(rot) - y * math.sin(rot), x * math.sin(rot) + y * math.cos(rot)
        j = 0.045 * sh                                # perspective: each corner moves independently
        corners.append((cx + x + rng.uniform(-j, j), cy + y + rng.uniform(-j, j)))
    # a camera held nearer the top than the bottom: the far edge shrinks
    tilt = rng.uniform(-0.06, 0.06) * sw
    corners[0] = (corners[0][0] + tilt, corners[0][1])
    corners[1] = (corners[1][0] - tilt, corners[1][1])
    return replace(plan, photo_corners=tuple(corners), upside_down=False,
                   light=(rng.uniform(0.82, 1.0), rng.uniform(-0.18, 0.18), rng.uniform(-0.18, 0.18),
                          rng.uniform(0.05, 0.2)),
                   background=rng.choice(PHONE_BACKGROUNDS), exif_rotated=rng.random() < 0.5)


def _handling(paper: str, rng: random.Random) -> Handling:
    w, h = PAPER_SIZES_MM[paper]
    holes = ((12.0, h / 2 - 40.0), (12.0, h / 2 + 40.0))  # ISO 838: 80 mm apart, 12 mm in
    corner = rng.choice(("tl", "tr"))
    x0 = rng.uniform(8.0, 22.0)
    y0 = rng.uniform(8.0, 26.0)
    ang = math.radians(rng.uniform(30.0, 60.0))
    start = (x0 if corner == "tl" else w - x0, y0)
    end = (start[0] + (12.0 * math.cos(ang) if corner == "tl" else -12.0 * math.cos(ang)),
           start[1] - 12.0 * math.sin(ang) + 12.0)
    crease_x = w / 2 + rng.uniform(-12.0, 12.0)
    lean = rng.uniform(-4.0, 4.0)
    return Handling(
        holes_mm=holes, hole_d_mm=rng.uniform(5.5, 6.5), hole_grey=rng.randint(25, 110),
        staple_mm=(start, end),
        crease_mm=((crease_x - lean, -5.0), (crease_x + lean, h + 5.0)),
        crease_strength=rng.uniform(0.06, 0.16),
        ring_mm=(rng.uniform(40.0, w - 40.0), rng.uniform(40.0, h - 40.0), rng.uniform(32.0, 42.0),
                 rng.uniform(1.0, 2.5)),
        ring_strength=rng.uniform(0.10, 0.22))


def _page_kinds(n: int, rng: random.Random, profile: Profile) -> list[str]:
    kinds = ["form"] * n
    extras = []
    if n >= 6:   # about one of each per 12 pages, as in a real week's stack
        extras += ["blank_form", "foreign"] * max(1, n // 12)
    if n >= 8 and not profile.phone:
        extras += ["blank_back"] * max(1, n // 12)
    slots = rng.sample(range(1, n), min(len(extras), n - 1)) if n > 1 else []
    for slot, kind in zip(slots, extras):
        kinds[slot] = kind
    for i, kind in enumerate(kinds):  # a blank back follows the front it belongs to
        if kind == "blank_back" and kinds[i - 1] != "form":
            j = next((k for k in range(1, n) if kinds[k] == "form" and kinds[k - 1] == "form"), None)
            if j is not None:
                kinds[i], kinds[j] = "form", "blank_back"
    return kinds


FOREIGN_WORDS = ("appointment", "referral", "please", "the", "clinic", "report", "summary", "of",
                 "attached", "you", "for", "and", "next", "week", "insurance", "form", "signed",
                 "date", "therapy", "session", "thank", "regarding", "our", "with", "notes")


def plan_pages(spec: FormSpec, profile_name: str, pages: int, rng: random.Random,
               paper: str = "a4", p: Params = Params(), looks: Sequence[str] | None = None
               ) -> list[PagePlan]:
    """What each page will be, every random choice made: pure data, nothing drawn yet.

    `looks` optionally gives each page its own profile for printing, handling and
    scanning (the mixed batch); the page kinds follow `profile_name`.
    """
    profile = PROFILES[profile_name]
    kinds = _page_kinds(pages, rng, profile)
    forms = [i for i, k in enumerate(kinds) if k == "form"]
    # one of each item case on its own page when there is room, then a few more at random
    cases: dict[tuple[int, int], str] = {}
    if len(forms) >= 6:
        for case, page_i in zip(ITEM_CASES, rng.sample(forms, len(ITEM_CASES))):
            cases[(page_i, rng.randrange(len(spec.items)))] = case
    for page_i in forms:
        for item_i in range(len(spec.items)):
            if (page_i, item_i) not in cases and rng.random() < p.item_case_share:
                cases[(page_i, item_i)] = rng.choice(ITEM_CASES)

    serials = new_serials(pages, rng)
    plans = []
    for i, kind in enumerate(kinds):
        profile = PROFILES[looks[i]] if looks else PROFILES[profile_name]
        scale = rng.uniform(*profile.print_scale)
        offset = (rng.uniform(-1, 1) * p.print_offset_mm, rng.uniform(-1, 1) * p.print_offset_mm)
        print_m = print_transform(scale, offset, paper)
        sheet = None
        marks: list[PenMark] = []
        items: tuple[ItemTruth, ...] = ()
        page_expect: tuple[str, ...] = ()
        foreign: tuple[str, ...] = ()
        if kind in ("form", "blank_form"):
            prefilled = rng.random() < p.prefilled_share
            sheet = SheetId(spec.form_id, spec.version, serials[i],
                            f"C{rng.randint(1, 9999):04d}" if prefilled else "",
                            str(rng.randint(1, 30)) if prefilled else "",
                            f"2026-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
                            if prefilled and rng.random() < 0.5 else "")
            ink = _pick_ink(rng, profile)
            if kind == "form":
                truths = []
                for j, item in enumerate(spec.items):
                    item_marks, truth = _plan_item(spec, item, paper, print_m,
                                                   cases.get((i, j), "clean"), ink, rng, p)
                    marks += item_marks
                    truths.append(truth)
                items = tuple(truths)
            else:
                items = tuple(ItemTruth(item.id, None) for item in spec.items)
                page_expect = ("blank_page",)
            if rng.random() < p.writing_share:
                marks += _other_writing(spec, sheet, paper, print_m, ink, rng)
        else:
            page_expect = ("not_a_form",)
            if kind == "foreign":
                foreign = tuple(" ".join(rng.choice(FOREIGN_WORDS) for _ in range(rng.randint(8, 13)))
                                for _ in range(rng.randint(14, 24)))
        plans.append(PagePlan(
            kind=kind, profile=profile.name, sheet=sheet, print_scale=scale, print_offset_mm=offset,
            marks=tuple(marks), items=items, page_expect=page_expect,
            scan=_scan_plan(profile, paper, rng),
            handling=_handling(paper, rng) if profile.messy else Handling(),
            toner=rng.randint(*p.toner_black), paper=rng.randint(*p.paper_white),
            noise_seed=rng.getrandbits(63), foreign_text=foreign))
    return plans


# --------------------------------------------------------------------------- drawing the paper

class _Frame:
    """Paper mm (after printing) -> pixels of the page as rendered at 100 %, before printing.

    Anything drawn on the printed paper is drawn here through the inverse print
    transform, so the single warp render -> scan puts it where the hand put it.
    """

    def __init__(self, print_m: np.ndarray, dpi: int) -> None:
        self.inv = np.linalg.inv(print_m)
        self.k = dpi / MM_PER_INCH
        self.scale = 1.0 / print_m[0, 0]

    def px(self, pts_mm: np.ndarray) -> np.ndarray:
        pts = np.asarray(pts_mm, dtype=float).reshape(-1, 2)
        v = np.c_[pts, np.ones(len(pts))] @ self.inv.T
        return v[:, :2] / v[:, 2:] * self.k - 0.5   # OpenCV: integer coordinates are pixel centres

    def len_px(self, mm: float) -> float:
        return mm * self.k * self.scale


def _coverage(shape_px: tuple[int, int], draw, ss: int) -> np.ndarray:
    """Run draw(canvas, ss) on a supersampled uint8 canvas; return coverage 0-1 at 1x."""
    h, w = shape_px
    canvas = np.zeros((h * ss, w * ss), np.uint8)
    draw(canvas, ss)
    return cv2.resize(canvas, (w, h), interpolation=cv2.INTER_AREA).astype(np.float32) / 255.0


def _ink_on(img: np.ndarray, x0: int, y0: int, cover: np.ndarray, rgb: tuple[int, int, int],
            opacity: float) -> None:
    """Ink absorbs light: multiply the paper under it towards the ink's colour."""
    h, w = cover.shape
    ys, xs = slice(max(y0, 0), min(y0 + h, img.shape[0])), slice(max(x0, 0), min(x0 + w, img.shape[1]))
    c = cover[ys.start - y0:ys.stop - y0, xs.start - x0:xs.stop - x0, None] * opacity
    if c.size == 0:
        return
    region = img[ys, xs].astype(np.float32)
    tint = np.array(rgb, np.float32) / 255.0
    img[ys, xs] = np.clip(region * (1.0 - c * (1.0 - tint)), 0, 255).astype(np.uint8)


def _paint(img: np.ndarray, x0: int, y0: int, cover: np.ndarray, grey: float) -> None:
    """Opaque paint (a hole shows the scanner's backing): blend towards grey by coverage."""
    h, w = cover.shape
    ys, xs = slice(max(y0, 0), min(y0 + h, img.shape[0])), slice(max(x0, 0), min(x0 + w, img.shape[1]))
    c = cover[ys.start - y0:ys.stop - y0, xs.start - x0:xs.stop - x0, None]
    region = img[ys, xs].astype(np.float32)
    img[ys, xs] = np.clip(region * (1.0 - c) + grey * c, 0, 255).astype(np.uint8)


def _draw_polylines(img: np.ndarray, frame: _Frame, polylines: Sequence[np.ndarray], width_mm: float,
                    ss: int, pad_mm: float = 1.5) -> tuple[int, int, np.ndarray]:
    """Coverage of thick polylines (paper mm) in render px: (x0, y0, coverage)."""
    px = [frame.px(pl) for pl in polylines]
    allp = np.vstack(px)
    pad = frame.len_px(width_mm + pad_mm)
    x0, y0 = (np.floor(allp.min(axis=0) - pad)).astype(int)
    x1, y1 = (np.ceil(allp.max(axis=0) + pad)).astype(int)
    thick = max(1, round(frame.len_px(width_mm) * ss))
    shift = 4  # OpenCV sub-pixel bits

    def draw(canvas: np.ndarray, s: int) -> None:
        for pl in px:
            pts = np.round(((pl - [x0, y0] + 0.5) * s - 0.5) * (1 << shift)).astype(np.int32)
            cv2.polylines(canvas, [pts], False, 255, thick, cv2.LINE_AA, shift)

    return x0, y0, _coverage((y1 - y0, x1 - x0), draw, ss)


def _grain(cover: np.ndarray, amount: float, rng: np.random.Generator) -> np.ndarray:
    """Ballpoint skips and pencil tooth: uneven ink along the stroke."""
    if amount <= 0:
        return cover
    noise = rng.random(cover.shape, dtype=np.float32)
    noise = cv2.GaussianBlur(noise, (0, 0), 0.8)
    noise = (noise - noise.mean()) / (noise.std() + 1e-6)
    return np.clip(cover * (1.0 - amount * 0.35 + amount * 0.35 * noise), 0.0, 1.0)


def _draw_mark(img: np.ndarray, frame: _Frame, mark: PenMark, ss: int, rng: np.random.Generator) -> None:
    ink = INKS[mark.ink]
    if mark.kind == "writing":
        x0, y0, cover = _draw_text(frame, mark, ss)
    else:
        x0, y0, cover = _draw_polylines(img, frame, [np.array(s.points_mm) for s in mark.strokes],
                                        max(s.width_mm for s in mark.strokes), ss)
    _ink_on(img, x0, y0, _grain(cover, ink.grain, rng), ink.rgb, mark.opacity)


def _draw_text(frame: _Frame, mark: PenMark, ss: int) -> tuple[int, int, np.ndarray]:
    font = cv2.FONT_HERSHEY_SCRIPT_SIMPLEX
    height_px = frame.len_px(mark.text_height_mm) * ss
    (_, base_h), _ = cv2.getTextSize("H", font, 1.0, 1)
    scale = height_px / base_h
    thick = max(1, round(frame.len_px(0.35) * ss))
    (tw, th), base = cv2.getTextSize(mark.text, font, scale, thick)
    x, y = frame.px(np.array([mark.text_at_mm]))[0]
    pad = 4 * ss
    w, h = (tw + 2 * pad) // ss + 2, (th + base + 2 * pad) // ss + 2
    x0, y0 = int(x) - pad // ss, int(y - (th + pad) / ss)

    def draw(canvas: np.ndarray, s: int) -> None:
        org = (round((x - x0) * s), round((y - y0) * s))
        cv2.putText(canvas, mark.text, org, font, scale, 255, thick, cv2.LINE_AA)

    return x0, y0, _coverage((h, w), draw, ss)


def _disc(frame: _Frame, centre_mm: tuple[float, float], d_mm: float, ss: int
          ) -> tuple[int, int, np.ndarray]:
    c = frame.px(np.array([centre_mm]))[0]
    r = frame.len_px(d_mm / 2.0)
    x0, y0 = int(c[0] - r - 3), int(c[1] - r - 3)
    size = int(2 * r + 7)

    def draw(canvas: np.ndarray, s: int) -> None:
        cx, cy = ((c - [x0, y0] + 0.5) * s - 0.5) * 16
        cv2.circle(canvas, (round(cx), round(cy)), round(r * s * 16), 255, -1, cv2.LINE_AA, 4)

    return x0, y0, _coverage((size, size), draw, ss)


def _handle(img: np.ndarray, frame: _Frame, h: Handling, rng: np.random.Generator, ss: int) -> None:
    for centre in h.holes_mm:
        _paint(img, *_disc(frame, centre, h.hole_d_mm, ss), h.hole_grey)
    if h.ring_mm is not None:
        cx, cy, r, width = h.ring_mm
        t = np.linspace(0, 2 * np.pi, 180)
        ring = np.stack([cx + r * np.cos(t), cy + r * 0.96 * np.sin(t)], axis=1)
        x0, y0, cover = _draw_polylines(img, frame, [ring], width, 1)
        cover = cv2.GaussianBlur(cover, (0, 0), frame.len_px(0.4))
        _ink_on(img, x0, y0, cover, (150, 100, 55), h.ring_strength)
    if h.crease_mm is not None:
        line = np.array(h.crease_mm)
        x0, y0, cover = _draw_polylines(img, frame, [line], 0.2, 1, pad_mm=0.5)
        _ink_on(img, x0, y0, cover, (0, 0, 0), h.crease_strength)
        x0, y0, cover = _draw_polylines(img, frame, [line + [0.35, 0.0]], 0.3, 1, pad_mm=0.5)
        _paint(img, x0, y0, cover * 0.5, 255)   # the raised side of the fold catches the light
    if h.staple_mm is not None:
        a, b = np.array(h.staple_mm)
        x0, y0, cover = _draw_polylines(img, frame, [np.array([a, b])], 0.9, ss)
        _paint(img, x0, y0, cover, 105)
        x0, y0, cover = _draw_polylines(img, frame, [np.array([a, b])], 0.3, ss, pad_mm=0.5)
        _paint(img, x0, y0, cover, 205)        # the wire's shine


def _render_pdf_pages(pdf: bytes, dpi: int) -> list[np.ndarray]:
    doc = pdfium.PdfDocument(pdf)
    try:
        return [doc[i].render(scale=dpi / 72.0, rev_byteorder=True).to_numpy()[:, :, :3].copy()
                for i in range(len(doc))]
    finally:
        doc.close()


def foreign_pdf(lines: Sequence[str], paper: str) -> bytes:
    """A page that is not our form: a letter from the clinic, drawn with ReportLab."""
    from reportlab.pdfgen.canvas import Canvas

    buffer = io.BytesIO()
    w, h = (mm_to_pt(v) for v in PAPER_SIZES_MM[paper])
    c = Canvas(buffer, pagesize=(w, h), invariant=1)
    c.setFont("Helvetica-Bold", 16)
    c.drawString(mm_to_pt(25), h - mm_to_pt(30), "Riverside Counselling Centre")
    c.setFont("Helvetica", 10.5)
    y = h - mm_to_pt(50)
    for line in lines:
        c.drawString(mm_to_pt(25), y, line.capitalize() + ".")
        y -= mm_to_pt(6.5)
    c.setLineWidth(0.5)
    c.line(mm_to_pt(25), y - mm_to_pt(14), mm_to_pt(95), y - mm_to_pt(14))  # signature line
    c.drawString(mm_to_pt(25), y - mm_to_pt(19), "Signature")
    c.showPage()
    c.save()
    return buffer.getvalue()


def paper_image(plan: PagePlan, rendered: np.ndarray | None, paper: str, p: Params = Params(),
                show_through: np.ndarray | None = None) -> np.ndarray:
    """The sheet as it lies on the scanner, in the frame of the page rendered at 100 %.

    `rendered` is the PDF page at p.paper_dpi (None for a blank back page).
    """
    w_mm, h_mm = PAPER_SIZES_MM[paper]
    size = (round(h_mm / MM_PER_INCH * p.paper_dpi), round(w_mm / MM_PER_INCH * p.paper_dpi))
    if rendered is None:
        img = np.full((*size, 3), 255, np.uint8)
        if show_through is not None:   # the front shows through thin paper, mirrored
            ghost = cv2.GaussianBlur(show_through[:, ::-1], (0, 0), 3.0).astype(np.float32)
            img = np.clip(255.0 - p.show_through * (255.0 - ghost), 0, 255).astype(np.uint8)
    else:
        img = rendered
    # toner is not pure black and paper not pure white
    lut = np.clip(plan.toner + np.arange(256) * (plan.paper - plan.toner) / 255.0, 0, 255).astype(np.uint8)
    img = cv2.LUT(img, lut)
    frame = _Frame(print_transform(plan.print_scale, plan.print_offset_mm, paper), p.paper_dpi)
    rng = np.random.default_rng(plan.noise_seed)
    for mark in plan.marks:
        _draw_mark(img, frame, mark, p.supersample, rng)
    _handle(img, frame, plan.handling, rng, p.supersample)
    return img


# --------------------------------------------------------------------------- scanning

def _mm_to_px(dpi_x: float, dpi_y: float) -> np.ndarray:
    kx, ky = dpi_x / MM_PER_INCH, dpi_y / MM_PER_INCH
    return np.array([[kx, 0, -0.5], [0, ky, -0.5], [0, 0, 1.0]])


def scan_transform(plan: PagePlan, paper: str, p: Params = Params()) -> np.ndarray:
    """3x3 map from paper mm to scan (or photo) pixels."""
    w_mm, h_mm = PAPER_SIZES_MM[paper]
    s = plan.scan
    if s.photo_corners:
        src = np.float32([(0, 0), (w_mm, 0), (w_mm, h_mm), (0, h_mm)])
        return cv2.getPerspectiveTransform(src, np.float32(s.photo_corners)).astype(float)
    a = math.radians(s.skew_deg + (180.0 if s.upside_down else 0.0))
    cx, cy = w_mm / 2.0, h_mm / 2.0
    rot = np.array([[math.cos(a), -math.sin(a), 0], [math.sin(a), math.cos(a), 0], [0, 0, 1.0]])
    to_c = np.array([[1, 0, -cx], [0, 1, -cy], [0, 0, 1.0]])
    back = np.array([[1, 0, cx + s.offset_mm[0]], [0, 1, cy + s.offset_mm[1]], [0, 0, 1.0]])
    return _mm_to_px(*s.dpi) @ back @ rot @ to_c


def _scan_size(plan: PagePlan, paper: str) -> tuple[int, int]:
    if plan.scan.photo_corners:
        return PHONE_SIZE_PX
    w_mm, h_mm = PAPER_SIZES_MM[paper]
    return round(w_mm / MM_PER_INCH * plan.scan.dpi[0]), round(h_mm / MM_PER_INCH * plan.scan.dpi[1])


def scan(img: np.ndarray, plan: PagePlan, paper: str, p: Params = Params()) -> np.ndarray:
    """Scanner or camera: one warp from the rendered page to the scan, then optics, light and noise."""
    s = plan.scan
    rng = np.random.default_rng(plan.noise_seed ^ 0x5CA9)
    render_to_mm = np.linalg.inv(_mm_to_px(p.paper_dpi, p.paper_dpi))
    total = scan_transform(plan, paper, p) @ print_transform(plan.print_scale, plan.print_offset_mm,
                                                             paper) @ render_to_mm
    if s.mode != "RGB":   # a grey or fax scan: one channel from the start, three times less work
        img = cv2.cvtColor(img, cv2.COLOR_RGB2GRAY)
    zoom = math.sqrt(abs(np.linalg.det(total[:2, :2])))   # scan px per render px
    if zoom < 0.95:   # anti-aliasing before the scan's coarser grid, as the optics would
        img = cv2.GaussianBlur(img, (0, 0), 0.45 / zoom)
    size = _scan_size(plan, paper)
    if s.photo_corners:
        out = cv2.warpPerspective(img, total, size, flags=cv2.INTER_LINEAR,
                                  borderMode=cv2.BORDER_CONSTANT, borderValue=(0, 0, 0))
        mask = cv2.warpPerspective(np.full(img.shape[:2], 255, np.uint8), total, size,
                                   flags=cv2.INTER_LINEAR)[:, :, None].astype(np.float32) / 255.0
        desk = np.empty_like(out)
        desk[:] = s.background
        desk = cv2.add(desk, rng.normal(0, 6, out.shape).astype(np.int16), dtype=cv2.CV_8U)
        desk = cv2.GaussianBlur(desk, (0, 0), 2.0)
        out = (out * mask + desk * (1 - mask)).astype(np.float32)
        out *= _light_field(size, s.light)[:, :, None] * np.array([1.0, 0.97, 0.9], np.float32)
        out = np.clip(out, 0, 255).astype(np.uint8)
    else:
        out = cv2.warpAffine(img, total[:2], size, flags=cv2.INTER_LINEAR,
                             borderMode=cv2.BORDER_CONSTANT, borderValue=s.background)
    out = cv2.GaussianBlur(out, (0, 0), s.blur_px)
    noise = rng.standard_normal(out.shape[:2], dtype=np.float32) * np.float32(s.noise)
    if out.ndim == 3:
        noise = cv2.merge([noise] * 3)   # luminance noise: the same in every channel
    out = cv2.add(out, noise, dtype=cv2.CV_8U)
    if s.mode == "1":
        grey = out
        header = f"FAX  +1 555 0100   CLINIC   P.{rng.integers(1, 4)}"
        cv2.putText(grey, header, (int(0.06 * size[0]), int(0.012 * size[1]) + 8),
                    cv2.FONT_HERSHEY_PLAIN, size[0] / 1700.0, 0, 1, cv2.LINE_8)
        return grey < p.fax_threshold   # True = black
    return out


def _light_field(size: tuple[int, int], light: tuple[float, float, float, float]) -> np.ndarray:
    """A window on one side, a lamp on the other: a smooth gradient with a vignette."""
    level, gx, gy, vignette = light
    w, h = size
    xs = np.linspace(-1, 1, w, dtype=np.float32)[None, :]
    ys = np.linspace(-1, 1, h, dtype=np.float32)[:, None]
    return level * (1.0 + gx * xs + gy * ys) * (1.0 - vignette * (xs ** 2 + ys ** 2) / 2.0)


# --------------------------------------------------------------------------- files

def _jpeg(img: np.ndarray, quality: int, dpi: tuple[int, int] | None = None, exif: bytes = b"") -> bytes:
    buf = io.BytesIO()
    kwargs: dict = {"quality": quality, "subsampling": 2 if img.ndim == 3 else 0}
    if dpi:
        kwargs["dpi"] = dpi
    if exif:
        kwargs["exif"] = exif
    Image.fromarray(img).save(buf, "JPEG", **kwargs)
    return buf.getvalue()


def pdf_of_jpegs(pages: Sequence[tuple[bytes, int, int, bool, tuple[int, int]]]) -> bytes:
    """A PDF with one full-page JPEG image per page, as a scanner writes it.

    Each page is (jpeg bytes, width px, height px, is_colour, (dpi_x, dpi_y)). No
    dates, no ids: the same pages give the same bytes.
    """
    objects: list[bytes] = [b"", b""]   # 1: catalog, 2: pages; filled in below
    kids = []
    for data, w, h, colour, (dx, dy) in pages:
        n = len(objects)
        image_n, content_n, page_n = n + 1, n + 2, n + 3
        w_pt, h_pt = w * 72.0 / dx, h * 72.0 / dy
        space = b"/DeviceRGB" if colour else b"/DeviceGray"
        objects.append(b"<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace %s "
                       b"/BitsPerComponent 8 /Filter /DCTDecode /Length %d >>\nstream\n"
                       % (w, h, space, len(data)) + data + b"\nendstream")
        content = b"q %.4f 0 0 %.4f 0 0 cm /Im0 Do Q" % (w_pt, h_pt)
        objects.append(b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream")
        objects.append(b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %.4f %.4f] "
                       b"/Resources << /XObject << /Im0 %d 0 R >> >> /Contents %d 0 R >>"
                       % (w_pt, h_pt, image_n, content_n))
        kids.append(page_n)
    objects[0] = b"<< /Type /Catalog /Pages 2 0 R >>"
    objects[1] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (
        b" ".join(b"%d 0 R" % k for k in kids), len(kids))
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for i, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def tiff_g4(pages: Sequence[np.ndarray], dpi: Sequence[tuple[int, int]]) -> bytes:
    """A multi-page bilevel TIFF, CCITT group 4, as a fax or document scanner writes it."""
    images = [Image.fromarray(~page) for page in pages]   # mode "1": white is True
    buf = io.BytesIO()
    # one resolution per file: fax machines do not mix fine and standard mode in a document
    images[0].save(buf, "TIFF", save_all=True, append_images=images[1:], compression="group4",
                   dpi=dpi[0])
    return buf.getvalue()


def phone_jpeg(img: np.ndarray, quality: int, exif_rotated: bool) -> bytes:
    """A phone photo; half of them stored sideways with an EXIF tag saying how to turn them."""
    exif = Image.Exif()
    exif[0x010F] = "SimPhone"       # Make
    if exif_rotated:
        img = np.ascontiguousarray(np.rot90(img, 1))   # sensor data lies sideways...
        exif[0x0112] = 6                                # ...and orientation 6 says: turn 90 deg CW
    else:
        exif[0x0112] = 1
    return _jpeg(img, quality, exif=exif.tobytes())


# --------------------------------------------------------------------------- truth and the whole run

def truth_columns(spec: FormSpec) -> tuple[str, ...]:
    return (*TRUTH_COLUMNS_HEAD, *spec.item_ids, *TRUTH_COLUMNS_TAIL)


def truth_record(row: TruthRow, spec: FormSpec) -> dict[str, str]:
    """One truth.csv row: what a perfect reader writes for this page, plus what it must flag."""
    plan = row.plan
    sheet = plan.sheet
    expect = (*plan.page_expect, *(f"{t.item_id}:{code}" for t in plan.items for code in t.expect))
    values = {t.item_id: t.value_cm for t in plan.items}
    record = {"file": row.file, "page": str(row.page),
              "form": spec.form_id if sheet else "", "sheet_id": sheet.serial if sheet else "",
              "client_code": sheet.client_code if sheet else "",
              "session": sheet.session if sheet else "", "date": sheet.date if sheet else ""}
    for item_id in spec.item_ids:
        v = values.get(item_id)
        record[item_id] = "" if v is None else f"{v:.2f}"
    all_values = [values.get(i) for i in spec.item_ids]
    record["total"] = (f"{sum(v for v in all_values if v is not None):.2f}"
                       if sheet and all(v is not None for v in all_values) else "")
    record["status"] = "not_a_form" if "not_a_form" in expect else ("review" if expect else "ok")
    record["flags"] = record["expect"] = ";".join(expect)
    return record


def truth_csv(rows: Sequence[TruthRow], spec: FormSpec) -> str:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=truth_columns(spec), lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow(truth_record(row, spec))
    return buf.getvalue()


def _scanned_pages(spec: FormSpec, plans: Sequence[PagePlan], paper: str, p: Params
                   ) -> list[np.ndarray]:
    sheets = [plan.sheet for plan in plans if plan.sheet is not None]
    forms = iter(_render_pdf_pages(render_sheets(spec, sheets, paper, invariant=True), p.paper_dpi)
                 if sheets else [])
    out, last = [], None
    for plan in plans:
        if plan.sheet is not None:
            rendered = next(forms)
        elif plan.kind == "foreign":
            rendered = _render_pdf_pages(foreign_pdf(plan.foreign_text, paper), p.paper_dpi)[0]
        else:
            rendered = None
        img = paper_image(plan, rendered, paper, p, show_through=last)
        last = img
        out.append(scan(img, plan, paper, p))
    return out


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
    if output == "pdf":
        write_atomic(out_dir / rows[0].file, pdf_of_jpegs([
            (_jpeg(img, pl.scan.jpeg_quality, pl.scan.dpi), img.shape[1], img.shape[0], img.ndim == 3,
             pl.scan.dpi) for img, pl in zip(images, plans)]))
    elif output == "tiff":
        write_atomic(out_dir / rows[0].file, tiff_g4(images, [pl.scan.dpi for pl in plans]))
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
    from srs_scan.spec import load_form

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
             paper: str = "a4", spec: FormSpec | None = None, p: Params = Params()) -> Simulation:
    """Write scanned files and truth.csv for simulated pages into out_dir (see `plan_simulation`)."""
    from srs_scan.fileio import write_atomic
    from srs_scan.spec import load_form

    spec = spec or load_form()
    out = Path(out_dir)
    sets = plan_simulation(profile, pages, seed, paper, spec, p)
    for rows in sets:
        _write_files(out, rows, spec, paper, p)
    all_rows = [row for rows in sets for row in rows]
    write_atomic(out / "truth.csv", truth_csv(all_rows, spec).encode("utf-8"))
    return Simulation(tuple(dict.fromkeys(r.file for r in all_rows)), tuple(all_rows))
