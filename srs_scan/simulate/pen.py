"""Pen-mark shapes: where a hand's strokes go, in paper millimetres.

`draw_mark` draws ticks, slanted strokes, X marks, circles around a point, dots and
long strokes, with wobble and curvature. A mark's true point is where it meets the
printed line (an X: where its strokes cross; a circle: its centre). `off_line_mark`,
`scribble` (a mark taken back) and `writing` (words in a field or margin) are the
marks a reader must flag or leave alone.

A mark here is data (`PenMark`: polylines with a width, or words); this module puts
no ink on pixels (`paper.py` does) and does not decide which mark goes where
(`plan.py` does). Not to be confused with `srs_scan/marks.py`, the reader's side.
"""

from __future__ import annotations

import math
import random
from dataclasses import replace

import numpy as np

from srs_scan.simulate.model import INKS, Params, PenMark, Stroke


def wobbly_stroke(rng: random.Random, p: Params, angle_deg: float, length: float, n: int = 24
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


def as_stroke(points: np.ndarray, width: float) -> Stroke:
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
        pts = wobbly_stroke(rng, p, angle, length) + np.array([x_mm, line_y_mm])
        cross = _crossing_x(pts, line_y_mm)
        assert cross is not None  # the stroke runs through its own origin
        pts[:, 0] += x_mm - cross
        return PenMark(kind, (as_stroke(pts, width),), ink, opacity, x_mm)
    if kind == "cross":
        angle = rng.uniform(*p.x_angle_deg)
        a = wobbly_stroke(rng, p, angle, rng.uniform(*p.x_arm_mm))
        b = wobbly_stroke(rng, p, -angle * rng.uniform(0.8, 1.2), rng.uniform(*p.x_arm_mm))
        meet = _segments_intersection(a, b)
        assert meet is not None  # both strokes pass through the origin
        shift = np.array([x_mm - meet[0], line_y_mm + rng.uniform(-1, 1) * p.x_centre_dy_mm - meet[1]])
        return PenMark(kind, (as_stroke(a + shift, width), as_stroke(b + shift, width)),
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
        return PenMark(kind, (as_stroke(pts, width),), ink, opacity, x_mm)
    if kind == "dot":
        d = rng.uniform(*p.dot_d_mm)
        y = line_y_mm + rng.uniform(-0.2, 0.2)
        pts = np.array([[x_mm - 0.1, y], [x_mm + 0.1, y]])
        return PenMark(kind, (as_stroke(pts, d),), ink, max(opacity, 0.85), x_mm)
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
    return replace(mark, kind="off_line", strokes=(as_stroke(pts, mark.strokes[0].width_mm),),
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
    return PenMark("scribble", (as_stroke(np.stack([xs, ys], axis=1), width),), ink,
                   rng.uniform(*INKS[ink].opacity), None)


def writing(text: str, at_mm: tuple[float, float], height_mm: float, ink: str, rng: random.Random
            ) -> PenMark:
    """Handwritten-looking words, left end of the baseline at `at_mm`."""
    return PenMark("writing", (), ink, rng.uniform(*INKS[ink].opacity), None, text, at_mm, height_mm)
