"""The simulator's data: every number, the inks and profiles, the plan records, the print geometry.

`Params` holds every number that shapes a simulated sheet, with its unit and reason;
`Ink` and `Profile` say how a pen looks and how a clinic prints and scans. The plan
records (`PagePlan` and what it holds) are pure data with every random choice already
made, handed from planning (`plan.py`) to drawing (`paper.py`) to scanning
(`scanner.py`); `TruthRow` and `Simulation` name what a run wrote. The print geometry
(`print_transform`, `printed_line_mm`, with the form's `value_cm`) is what the truth is computed from:
the FormSpec and the print transform, never pixels.

This module makes no random choice, draws nothing and writes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from srs_scan.sheets.sheetid import SheetId
from srs_scan.sheets.spec import PAPER_SIZES_MM, FormSpec, block_origin_mm


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
    events: bool = False      # each item gets a messy-page event (simulate/events.py)


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
    "stray": Profile("stray", "pdf", ((300, 300),), ("RGB", "L"), upside_down_share=0.1,
                     messy=True, events=True),
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
    event: str = ""             # the stray profile's event on this line (simulate/events.py)
    detail: str = ""            # the event's own numbers, e.g. "gap 0.40 mm"
    flags_ok: tuple[str, ...] = ()  # flags that describe the event rightly (must or may raise)


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
    rings: tuple[tuple[float, ...], ...] = ()  # stains of events: cx, cy, r, width, strength, R, G, B


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


def apply_transform(m: np.ndarray, x: float, y: float) -> tuple[float, float]:
    v = m @ np.array([x, y, 1.0])
    return float(v[0] / v[2]), float(v[1] / v[2])


def printed_line_mm(spec: FormSpec, item, paper: str, print_m: np.ndarray
                    ) -> tuple[tuple[float, float], tuple[float, float]]:
    """Centres of the item's left and right end-stops as printed, in paper mm."""
    ox, oy = block_origin_mm(spec, paper)
    (x0, y0), (x1, y1) = spec.line_ends_mm(item)
    return apply_transform(print_m, ox + x0, oy + y0), apply_transform(print_m, ox + x1, oy + y1)

