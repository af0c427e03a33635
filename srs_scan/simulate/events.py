"""Messy-page events on one line, each with its truth: what a person would read or flag.

The `stray` profile gives each item one event drawn from `EVENT_WEIGHTS`: a clean mark, or a
clean mark with stray ink beside it (long strokes along, across or ending on the line, an
arrow, a comment just above or below the line with its underline, a ring stain), a
crossed-out mark (a light diagonal to a dense scribble) beside a new one, an X or a circle on
an end-stop, pencil of several darknesses, a tick that stops just short of the line, or two
ticks close together. Every distance and darkness comes from the simulator's own ranges
below (`EventParams`), which run across where a reader could draw its lines (touching or not,
one mark or two, stain or ink, faint or plain), never from the reader's constants.

The truth of an event says what a person would accept (`ItemTruth`): a value and no flag
needed (`value_cm`, `expect` empty; `flags_ok` lists flags that are fine too, e.g. `off_line`
for a tick 0.4 mm short of the line), or a flag required (`expect`, with `flags_ok` naming
every flag that describes the event correctly, e.g. `stray_ink` or `multiple_marks` for a
stroke across the line beside the mark).

This module draws nothing (`paper.py` does) and writes nothing.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, replace

import cv2
import numpy as np

from srs_scan.sheets.spec import value_cm
from srs_scan.simulate.model import INKS, ItemTruth, Params, PenMark, Stroke
from srs_scan.simulate.pen import as_stroke, draw_mark, scribble, wobbly_stroke, writing

EVENTS = ("clean", "stroke_along", "stroke_across", "stroke_ending", "arrow", "comment_above",
          "comment_below", "ring", "ring_empty", "crossed_out", "endstop_x", "endstop_circle",
          "pencil", "off_line_near", "two_marks_near")
EVENT_WEIGHTS = (4.0,) + (1.0,) * (len(EVENTS) - 1)   # a clean item in four of about fifteen
STRAY_FLAGS = ("stray_ink", "multiple_marks")         # right names for stray ink on the line
CROSS_OUT_STYLES = ("slash", "double_slash", "zigzag", "dense")
RING_COLOURS = ((150, 100, 55), (178, 132, 84), (122, 116, 108))  # coffee, tea, grey dirt
LINE_HALF_MM = 0.07                                   # the printed line is 0.14 mm thick
SHORT_WORDS = ("ok", "hard week", "felt rushed", "thanks!", "not sure", "tired", "kind of", "?")


@dataclass(frozen=True)
class EventParams:
    """The simulator's ranges for messy events; each runs across a reader's possible limits."""

    stray_len_mm: tuple[float, float] = (10.0, 40.0)     # a slipped pen, a stroke to the margin
    along_dy_mm: tuple[float, float] = (-1.2, 1.2)       # how far a stroke along the line sits off it
    along_slope_deg: float = 4.0
    end_gap_mm: tuple[float, float] = (-0.6, 2.5)        # stroke or arrow tip to the line's edge
    arrow_head_mm: tuple[float, float] = (1.5, 3.0)
    comment_gap_mm: tuple[float, float] = (-0.3, 4.0)    # nearest ink of a comment to the line's edge
    comment_height_mm: tuple[float, float] = (2.4, 3.6)
    underline_share: float = 0.6
    ring_strength: tuple[float, float] = (0.08, 0.6)     # lighter than any pencil to as dark as one
    ring_width_mm: tuple[float, float] = (0.8, 2.6)
    ring_radius_mm: tuple[float, float] = (15.0, 45.0)
    pencil_opacity: tuple[float, float] = (0.12, 0.8)
    pencil_hesitate: float = 0.25                        # lighter pencil: a person hesitates too
    short_gap_mm: tuple[float, float] = (-0.3, 2.5)      # a tick stopping short of the line
    short_touch_mm: float = 1.0                          # beyond this gap a person sees off_line
    near_gap_mm: tuple[float, float] = (0.3, 14.0)       # between two ticks' centres
    near_one_mm: float = 2.0                             # closer: one mark with a double stroke
    endstop_v: float = 0.4                               # X or circle centre within this of a stop, cm


def _stroke(points: np.ndarray, width: float, ink: str, rng: random.Random, kind: str,
            opacity: float | None = None) -> PenMark:
    return PenMark(kind, (as_stroke(points, width),), ink,
                   opacity if opacity is not None else rng.uniform(*INKS[ink].opacity), None)


def _pen_width(ink: str, rng: random.Random, p: Params) -> float:
    return rng.uniform(*p.pen_width_mm) * (p.pencil_share_of_width if ink == "pencil" else 1.0)


def _bowed(a: np.ndarray, b: np.ndarray, bow_mm: float, n: int = 40) -> np.ndarray:
    """A gently curved stroke from a to b, bowed sideways by bow_mm at its middle."""
    u = np.linspace(0.0, 1.0, n)[:, None]
    d = b - a
    normal = np.array([-d[1], d[0]]) / max(float(np.hypot(*d)), 1e-9)
    return a + u * d + (4.0 * u * (1.0 - u)) * bow_mm * normal


def _ending_stroke(tip: np.ndarray, rng: random.Random, e: EventParams, above: bool) -> np.ndarray:
    """A stroke coming from afar (above or below the line) and ending at `tip`."""
    length = rng.uniform(*e.stray_len_mm)
    ang = math.radians(rng.uniform(20.0, 75.0)) * rng.choice((-1, 1))  # from vertical
    far = tip + length * np.array([math.sin(ang), -math.cos(ang) if above else math.cos(ang)])
    return _bowed(far, tip, rng.uniform(-0.15, 0.15) * length)


def _tip_y(line_y: float, gap: float, width: float, above: bool) -> float:
    """y of a stroke's end so that its ink stops `gap` mm from the printed line's edge."""
    off = LINE_HALF_MM + gap + width / 2.0
    return line_y - off if above else line_y + off


def _text_width_mm(text: str, height_mm: float) -> float:
    font = cv2.FONT_HERSHEY_SCRIPT_SIMPLEX
    (_, base_h), _ = cv2.getTextSize("H", font, 1.0, 1)
    (tw, _), _ = cv2.getTextSize(text, font, 1.0, 1)
    return tw / base_h * height_mm


def plan_event(event: str, item_id: str, xl: float, xr: float, y: float, ink: str,
               rng: random.Random, p: Params, e: EventParams = EventParams(), scale_max: float = 10.0
               ) -> tuple[list[PenMark], tuple[tuple[float, ...], ...], ItemTruth]:
    """Marks, ring stains (cx, cy, r, width, strength, R, G, B) and truth for one item's event.

    `xl`, `xr` are the printed end-stops and `y` the line, in paper mm.
    """
    span = xr - xl

    def x_at(v: float) -> float:
        return xl + v / 10.0 * span

    def truth(mark: PenMark, detail: str = "", expect: tuple[str, ...] = (),
              flags_ok: tuple[str, ...] = ()) -> ItemTruth:
        assert mark.true_x_mm is not None
        v = None if expect else round(value_cm(mark.true_x_mm, xl, xr, scale_max), 2)
        return ItemTruth(item_id, v, expect, event, detail, flags_ok)

    def must(detail: str, flags_ok: tuple[str, ...]) -> ItemTruth:
        return ItemTruth(item_id, None, flags_ok[:1], event, detail, flags_ok)

    v = rng.uniform(0.5, 9.5)
    kind = rng.choices(("tick", "slant", "cross", "circle", "dot"), (0.45, 0.2, 0.2, 0.1, 0.05))[0]
    if event in ("clean", "ring", "comment_above", "comment_below", "stroke_along",
                 "stroke_across", "stroke_ending", "arrow"):
        mark = draw_mark(kind, x_at(v), y, ink, rng, p)
    if event == "clean":
        return [mark], (), truth(mark, kind)
    width = _pen_width(ink, rng, p)
    if event in ("stroke_along", "stroke_across"):
        length = rng.uniform(*e.stray_len_mm)
        if event == "stroke_along":
            cy = y + rng.uniform(*e.along_dy_mm)
            slope = math.tan(math.radians(rng.uniform(-e.along_slope_deg, e.along_slope_deg)))
            x0 = rng.uniform(xl - 8.0, xr - length + 8.0)
            xs = np.linspace(x0, x0 + length, 40)
            ys = cy + (xs - xs.mean()) * slope + rng.uniform(-0.3, 0.3) * np.sin(
                np.linspace(0, math.pi, 40))
            pts = np.stack([xs, ys], axis=1)
            near = float(np.min(np.abs(ys - y))) - width / 2.0 - LINE_HALF_MM
        else:
            ang = math.radians(rng.uniform(15.0, 70.0)) * rng.choice((-1, 1))  # from horizontal
            cx = x_at(rng.uniform(-0.5, 10.5))
            d = np.array([math.cos(ang), math.sin(ang)]) * length
            start = np.array([cx, y]) - d * rng.uniform(0.2, 0.8)
            pts = _bowed(start, start + d, rng.uniform(-0.1, 0.1) * length)
            near = -1.0
        stray = _stroke(pts, width, ink, rng, "stray")
        detail = f"gap {near:.2f} mm" if event == "stroke_along" else ""
        if near <= 0.0:
            return [mark, stray], (), must(detail, STRAY_FLAGS)
        return [mark, stray], (), truth(mark, detail, flags_ok=("stray_ink", "off_line"))
    if event in ("stroke_ending", "arrow"):
        above = rng.random() < 0.7
        gap = rng.uniform(*e.end_gap_mm)
        tip_x = x_at(rng.uniform(-0.5, 10.5))
        while abs(tip_x - mark.true_x_mm) < 3.0:  # beside the mark, not on it
            tip_x = x_at(rng.uniform(-0.5, 10.5))
        tip = np.array([tip_x, _tip_y(y, gap, width, above)])
        shaft = _ending_stroke(tip, rng, e, above)
        marks = [mark, _stroke(shaft, width, ink, rng, "stray")]
        if event == "arrow":
            back = shaft[-6] - tip
            back /= max(float(np.hypot(*back)), 1e-9)
            head = rng.uniform(*e.arrow_head_mm)
            for turn in (-1, 1):
                a = math.radians(28.0) * turn
                r = np.array([[math.cos(a), -math.sin(a)], [math.sin(a), math.cos(a)]]) @ back
                barb = np.stack([tip, tip + r * head], axis=1).T
                marks.append(_stroke(barb, width, ink, rng, "stray", marks[1].opacity))
            # a barb reaches back towards the line less than the tip: the tip is nearest
        detail = f"gap {gap:.2f} mm"
        if gap <= 0.0:
            return marks, (), must(detail, STRAY_FLAGS)
        return marks, (), truth(mark, detail, flags_ok=("stray_ink", "off_line", "multiple_marks"))
    if event in ("comment_above", "comment_below"):
        height = rng.uniform(*e.comment_height_mm)
        words = rng.choice(SHORT_WORDS)
        tw = _text_width_mm(words, height)
        x0 = rng.uniform(xl - 5.0, xr - tw)
        gap = rng.uniform(*e.comment_gap_mm)
        under = rng.random() < e.underline_share
        marks = [mark]
        if event == "comment_above":
            uy = y - LINE_HALF_MM - gap - width / 2.0          # the underline, or the baseline
            baseline = uy - rng.uniform(0.6, 1.0) if under else uy
        else:
            top = y + LINE_HALF_MM + gap
            baseline = top + height
            uy = baseline + rng.uniform(0.6, 1.0)
            gap = max(gap, 0.2)  # letters' tops: never quite on the line (ascenders vary)
        marks.append(writing(words, (x0, baseline), height, ink, rng))
        if under:
            ux = np.linspace(x0 - 0.5, x0 + tw + rng.uniform(0.0, 3.0), 30)
            uys = uy + rng.uniform(-0.15, 0.15) * np.sin(np.linspace(0, math.pi, 30))
            marks.append(_stroke(np.stack([ux, uys], axis=1), width, ink, rng, "stray"))
        detail = f"gap {gap:.2f} mm" + (", underlined" if under else "")
        if gap <= 0.0 and (under or event == "comment_above"):
            return marks, (), must(detail, STRAY_FLAGS)
        return marks, (), truth(mark, detail, flags_ok=("stray_ink", "off_line", "multiple_marks"))
    if event in ("ring", "ring_empty"):
        r = rng.uniform(*e.ring_radius_mm)
        cross_x = x_at(rng.uniform(0.0, 10.0))
        above = rng.random() < 0.5
        dy = rng.uniform(0.1, 0.9) * r   # where on the ring the line cuts it
        cx = cross_x + math.sqrt(max(r * r - dy * dy, 0.0)) * rng.choice((-1, 1))
        cy = y - dy if above else y + dy
        strength = rng.uniform(*e.ring_strength)
        rgb = rng.choice(RING_COLOURS)
        ring = (cx, cy, r, rng.uniform(*e.ring_width_mm), strength, *rgb)
        detail = f"strength {strength:.2f}"
        if event == "ring_empty":
            return [], (ring,), ItemTruth(item_id, None, ("no_mark",), event, detail,
                                          ("no_mark", "faint", "stray_ink"))
        return [mark], (ring,), truth(mark, detail, flags_ok=("stray_ink", "multiple_marks"))
    if event == "crossed_out":
        style = rng.choice(CROSS_OUT_STYLES)
        first = rng.uniform(1.0, 9.0)
        second = first + rng.choice((-1, 1)) * rng.uniform(1.2, 5.0)
        if not 0.3 <= second <= 9.7:
            second = first - (second - first)
        old = draw_mark(rng.choice(("tick", "tick", "slant", "cross")), x_at(first), y, ink, rng, p)
        marks = [old, *_cross_out(style, x_at(first), y, ink, rng, p, _lean(old))]
        # Always beside a new mark: a lone dense scribble on a line is as often a heavy mark
        # that a person reads (real VAS sample 01, line 3) as one taken back.
        rng.random()   # (was: a new mark in 85 % of cases; drawn to keep the seeds' other choices)
        marks.append(draw_mark(rng.choice(("tick", "slant", "cross")), x_at(second), y, ink, rng, p))
        new_v = value_cm(marks[-1].true_x_mm, xl, xr, scale_max)
        return marks, (), must(f"{style}, new mark at {new_v:.2f} cm", ("crossed_out",))
    if event in ("endstop_x", "endstop_circle"):
        at = rng.choice((0.0, 10.0)) + rng.uniform(-e.endstop_v, e.endstop_v)
        mark = draw_mark("cross" if event == "endstop_x" else "circle", x_at(at), y, ink, rng, p)
        return [mark], (), truth(mark, f"at {at:.2f} cm")
    if event == "pencil":
        opacity = rng.uniform(*e.pencil_opacity)
        mark = replace(draw_mark(kind if kind != "dot" else "tick", x_at(v), y, "pencil", rng, p),
                       opacity=opacity)
        ok = ("faint",) if opacity < e.pencil_hesitate else ()
        return [mark], (), truth(mark, f"opacity {opacity:.2f}", flags_ok=ok)
    if event == "off_line_near":
        tick = draw_mark("tick", x_at(v), y, ink, rng, p)
        pts = np.array(tick.strokes[0].points_mm)
        gap = rng.uniform(*e.short_gap_mm)
        above = rng.random() < 0.6
        end = _tip_y(y, gap, tick.strokes[0].width_mm, above)
        pts[:, 1] += end - (pts[:, 1].max() if above else pts[:, 1].min())
        tip = pts[np.argmax(pts[:, 1])] if above else pts[np.argmin(pts[:, 1])]
        mark = replace(tick, strokes=(Stroke(tuple(map(tuple, np.round(pts, 4))),
                                             tick.strokes[0].width_mm),), true_x_mm=float(tip[0]))
        detail = f"gap {gap:.2f} mm"
        if gap >= e.short_touch_mm:
            return [mark], (), must(detail, ("off_line",))
        return [mark], (), truth(mark, detail, flags_ok=("off_line",) if gap > 0.0 else ())
    if event == "two_marks_near":
        d_mm = rng.uniform(*e.near_gap_mm)
        a = draw_mark("tick", x_at(v), y, ink, rng, p)
        b = draw_mark("tick", x_at(v) + d_mm * rng.choice((-1, 1)), y, ink, rng, p)
        detail = f"apart {d_mm:.2f} mm"
        if d_mm >= e.near_one_mm:
            return [a, b], (), must(detail, ("multiple_marks",))
        assert a.true_x_mm is not None and b.true_x_mm is not None
        mid = replace(a, true_x_mm=(a.true_x_mm + b.true_x_mm) / 2.0)
        return [a, b], (), truth(mid, detail, flags_ok=("multiple_marks",))
    raise ValueError(f"unknown event {event!r}")


def _lean(mark: PenMark) -> int:
    """Which way a slanted stroke leans: +1 down to the right, -1 down to the left, 0 for any
    other mark (a tick leans too little to matter, an X both ways)."""
    if mark.kind != "slant":
        return 0
    (x0, y0), (x1, y1) = mark.strokes[0].points_mm[0], mark.strokes[0].points_mm[-1]
    return 1 if (x1 - x0) * (y1 - y0) > 0 else -1


def _cross_out(style: str, x: float, y: float, ink: str, rng: random.Random, p: Params,
               lean: int = 0) -> list[PenMark]:
    """What a client draws over a mark to take it back: one or two slashes, a zigzag, a dense
    scribble. A slash goes across the mark: over a stroke leaning one way (`lean`) it leans the
    other way (leaning the same way it ran nearly along the stroke, 0-20 degrees apart: two
    strokes no person would call a crossing-out)."""
    if style in ("slash", "double_slash"):
        width = _pen_width(ink, rng, p)
        opacity = rng.uniform(*INKS[ink].opacity)
        ang = rng.uniform(35.0, 65.0) * rng.choice((-1, 1))
        if lean and ang * lean > 0:
            ang = -ang   # (the same draws as before: the seeds' other choices stay)
        out = []
        for k in range(1 if style == "slash" else 2):
            pts = wobbly_stroke(rng, p, ang, rng.uniform(7.0, 12.0))
            shift = (k - 0.5) * 1.2 * rng.uniform(0.8, 1.2) if style == "double_slash" else 0.0
            pts += np.array([x + shift, y + rng.uniform(-0.8, 0.8)])
            out.append(_stroke(pts, width, ink, rng, "scribble", opacity))
        return out
    mark = scribble(x, y, ink, rng, p)
    if style == "zigzag":
        return [mark]
    extra = scribble(x + rng.uniform(-0.4, 0.4), y, ink, rng, p)   # a second pass: dense
    return [mark, replace(extra, opacity=mark.opacity)]
