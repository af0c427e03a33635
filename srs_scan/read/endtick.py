"""A pen mark drawn on a tall end tick: the ink the printed tick alone does not explain.

An enrolled form's end ticks may reach far above and below its line (the shared VAS form's
reach 3.75 mm), and a short tick or a dot drawn on one lies wholly inside it. `ink.find_blobs`
clears the printed tick's columns, so such a mark vanished with the tick and the item read
no_mark. The blank says what the tick alone looks like: one even stroke along its whole height,
printed as at the line's other end. So each row of the tick is weighed (its darkness summed
across the tick's columns): rows clearly heavier than the other end's tick, and than this
tick's own lightest rows, carry pen ink, and where that surplus lies beside the tick's centre
is where the mark meets the line.

Our own sheets' stops are short (4 mm) and a mark mostly reaches past them, where `crossing.py`
reads it; a short tick laid right over one does not (messy seed 814 p1), so this is used for
our own sheets too (`marks.read_item`). It does not decide flags.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from srs_scan.read.params import Params
from srs_scan.read.stats import median, percentile
from srs_scan.read.strip import LineFit, Strip


BILEVEL_GREYS = 8


@dataclass(frozen=True)
class TickMark:
    """Pen ink found on an end tick."""

    x_mm: float          # where the mark meets the line
    stop_x_mm: float     # the printed tick's own centre, from its rows without pen ink
    darkness: float      # the surplus ink's darkness (90th percentile)
    rows_mm: float       # how much of the tick's height carries the surplus


def bilevel(image: np.ndarray, mm_to_px: np.ndarray, x_mm: float, y_mm: float,
            half_mm: float) -> bool:
    """Whether the scan around the tick at (x_mm, y_mm) is 1-bit (a fax, a black-and-white
    scan; `image` grey or colour): there a printed tick is a pixel wider on some rows than on others, a surplus as large
    as a thin pen stroke's, so a mark hidden in the tick cannot be told from the tick."""
    corners = np.array([[[x_mm - half_mm, y_mm - half_mm], [x_mm + half_mm, y_mm + half_mm],
                         [x_mm - half_mm, y_mm + half_mm], [x_mm + half_mm, y_mm - half_mm]]])
    pts = cv2.perspectiveTransform(corners, mm_to_px)[0]
    h, w = image.shape[:2]
    x0, y0 = np.clip(np.floor(pts.min(axis=0)).astype(int), 0, (w, h))
    x1, y1 = np.clip(np.ceil(pts.max(axis=0)).astype(int) + 1, 0, (w, h))
    patch = image[y0:y1, x0:x1]
    if not patch.size:
        return False
    # 1-bit, or 1-bit resampled by 2 (a 200 x 100 dpi fax made square): a handful of greys;
    # a grey scan of a tick and its blurred edges has dozens
    greys = (np.count_nonzero(np.bincount(patch.ravel(), minlength=256))
             if patch.dtype == np.uint8 else len(np.unique(patch)))  # (counting is faster)
    if greys <= BILEVEL_GREYS:
        return True
    # 1-bit stretched along one axis by any factor (a 204 x 98 dpi fax made square: 2.08):
    # each pixel is black, white or a blend of its two neighbours with the same weights all
    # along its row (or column), so a row holds at most two greys besides black and white
    return patch.ndim == 2 and (_two_blends(patch) or _two_blends(patch.T))


def _two_blends(patch: np.ndarray) -> bool:
    """Whether every row of `patch` holds at most two values strictly between 0 and 255."""
    patch = patch.astype(np.int16)
    mid = (patch > 0) & (patch < 255)
    lo = np.where(mid, patch, 256).min(axis=1, keepdims=True)
    hi = np.where(mid, patch, -1).max(axis=1, keepdims=True)
    return not (mid & (patch != lo) & (patch != hi)).any()


def _centroid(profile: np.ndarray) -> float:
    return float((profile * np.arange(len(profile))).sum() / max(float(profile.sum()), 1e-6))


def _tick_rows(strip: Strip, line: LineFit, x_mm: float, half_mm: float, params: Params
               ) -> tuple[np.ndarray, np.ndarray, int]:
    """The tick's rows beside the line (darkness, rows x columns), their distance from the
    line in mm, and the first column of the window around the tick."""
    d, s = strip.darkness, strip.px_per_mm
    h, w = d.shape
    c = strip.col(x_mm)
    reach = int(round(params.tick_window_mm * s))
    a, b = int(max(0, round(c) - reach)), int(min(w, round(c) + reach + 1))
    out = np.arange(params.line_rows_mm, half_mm - params.stop_tip_gap_mm, 1 / s)
    dy = np.concatenate([-out[::-1], out])
    rows = np.round(line.row_at(c) + dy * s).astype(int)
    inside = (rows >= 0) & (rows < h)
    return d[rows[inside], a:b], dy[inside], a


def _ends_at_tips(strip: Strip, line: LineFit, x_mm: float, half_mm: float,
                  params: Params) -> bool:
    """Whether the paper just beyond both tips of the tick at `x_mm` is clear in the tick's
    window: an even surplus on every row that stops there is a pen stroke laid along the tick
    (messy seed 814 p1: a second tick drawn over the right stop, hidden with it, no flag), while
    a fold's shadow or a stain's edge runs on past the tips."""
    d, s = strip.darkness, strip.px_per_mm
    h, w = d.shape
    c = strip.col(x_mm)
    reach = int(round(params.tick_window_mm * s))
    a, b = int(max(0, round(c) - reach)), int(min(w, round(c) + reach + 1))
    start = half_mm + params.stop_reach_mm
    out = np.arange(start, start + params.tick_beyond_mm, 1 / s)
    for sign in (-1, 1):
        rows = np.round(line.row_at(c) + sign * out * s).astype(int)
        rows = rows[(rows >= 0) & (rows < h)]
        if not rows.size or float(median(d[rows, a:b].sum(axis=1) / s)) > \
                params.tick_pen_mass_mm:
            return False
    return True


TickRows = tuple[np.ndarray, np.ndarray, int]  # `_tick_rows`: darkness, mm from the line, column


def tick_rows(strip: Strip, line: LineFit, stops_mm: tuple[float, float], half_mm: float,
              params: Params) -> tuple[TickRows, TickRows]:
    """Both end ticks' rows beside the line (`_tick_rows`), as `mark_on_tick` looks at them."""
    return (_tick_rows(strip, line, stops_mm[0], half_mm, params),
            _tick_rows(strip, line, stops_mm[1], half_mm, params))


def mark_on_tick(strip: Strip, line: LineFit, stops_mm: tuple[float, float], end: int,
                 expected_mm: float, half_mm: float, params: Params,
                 rows: tuple[TickRows, TickRows] | None = None) -> TickMark | None:
    """Pen ink on the end tick `end` (0 left, 1 right) at `stops_mm[end]`, or None.

    `expected_mm` is where the registration puts the tick: its centre when pen ink covers so
    much of it that too few clean rows are left to find the centre from. `rows`: both ticks'
    rows (`tick_rows`) when already taken for the other end."""
    s = strip.px_per_mm
    rows = rows or tick_rows(strip, line, stops_mm, half_mm, params)
    (here, dy, a), (there, _, _) = rows[end], rows[1 - end]
    if here.shape[0] < 2 or there.shape[0] < 2 or here.shape[1] < 3:
        return None
    mass = here.sum(axis=1) / s                      # darkness x mm, per row
    # The tick alone: as heavy as the other end's tick, or as this one's lightest rows (when the
    # other end carries a mark too), whichever is lighter.
    tick = min(float(median(there.sum(axis=1) / s)), float(percentile(mass, 25)))
    pen = mass - tick > params.tick_pen_mass_mm
    if pen.sum() / s < params.tick_pen_rows_mm:
        return None
    clean = ~pen
    excess = mass[pen] - tick
    if not clean.any() and percentile(excess, 90) <= params.tick_band_even * percentile(
            excess, 10) and not _ends_at_tips(strip, line, stops_mm[end], half_mm, params):
        # as much more ink on every row of the tick: a band along it (a fold's shadow, a stain's
        # edge), never a mark wholly inside it (messy seed 1001 p15 on the VAS form: a shadow
        # band beside the right tick of an empty line read 9.98, no flag)
        return None
    cols = np.arange(here.shape[1], dtype=np.float64)
    if clean.sum() / s >= params.tick_clean_rows_mm:
        shape = median(here[clean], axis=0)       # the tick's own profile across its columns
        centre = _centroid(shape)
    else:  # the other end's tick, moved to where the registration puts this one
        other = median(there, axis=0)
        centre = strip.col(expected_mm) - a
        shape = np.interp(cols + _centroid(other) - centre, cols, other)
    surplus = np.clip(here[pen] - shape[None, :], 0.0, None)
    weight = mass[pen] - tick
    xs = (surplus * cols).sum(axis=1) / np.maximum(surplus.sum(axis=1), 1e-6)
    ys = dy[pen]
    edge = params.tick_edge_px
    if (here[pen][:, :edge] > params.ink_threshold).any() or \
            (here[pen][:, -edge:] > params.ink_threshold).any():
        return None  # ink running on past the window (a stain's band, a stroke): blobs.py's
    inked = surplus > params.ink_threshold
    if not inked.any() or percentile(surplus[inked], params.darkness_percentile) \
            < params.stain_darkness:
        return None  # the surplus is too light for a pen: a stain or a crease on the tick
    # as dark as the pen's pixels look (where it overlaps the tick, the tick adds to it)
    darkness = float(percentile(here[pen][inked], params.darkness_percentile))
    if (ys < 0).any() and (ys > 0).any() and np.ptp(ys) > 2 / s:
        slope, col = np.polyfit(ys, xs, 1, w=np.sqrt(weight))
        if abs(slope) > params.fit_max_slope:
            col = float((xs * weight).sum() / weight.sum())
    else:
        col = float((xs * weight).sum() / weight.sum())
    return TickMark(strip.x_mm(a + float(col)), strip.x_mm(a + centre), darkness,
                    float(pen.sum() / s))


def ring_side_in_stop_col(pen: np.ndarray, mine: np.ndarray, dy: np.ndarray,
                          cleared: np.ndarray, x0: int, x1: int, s: float, params: Params
                          ) -> float | None:
    """Where a ring meets the line when its side on an end-stop is hidden on every row: a stop
    as tall as the ring (a tall tick of an enrolled form, or a small ring on our own 4 mm stop)
    is cleared with the ring's side on it, and the far side alone pulled the fit by the ring's
    radius (fit-to-page seed 13: 1.9 mm). The hidden side lies in the cleared columns (with
    what of it shows just beyond them), so near the line the ring's middle is halfway between
    its far side and there.

    `pen`, `mine` (the ring's pixels), `dy` and `cleared` are the ring's rows across the whole
    strip; [x0, x1) its columns. Returns a strip column, or None when this is no ring with a
    hidden side: no stop in its columns, a ring drawn round the stop (both sides show: the
    plain fit is right), ink near the line that is not the ring's outermost on the far side (an
    X whose arms reach the stop has arms beyond its crossing), or sides closer than a ring's."""
    box = np.nonzero(cleared[:, max(0, x0 - params.ring_pad_px):x1 + params.ring_pad_px]
                     .any(axis=0))[0] + max(0, x0 - params.ring_pad_px)
    if not box.size:
        return None
    lo, hi = int(box.min()), int(box.max())
    stop = (lo + hi) / 2.0
    far = x0 if stop > (x0 + x1) / 2 else x1 - 1
    ink = np.where(mine, pen, 0.0)
    r = np.abs(median(dy, axis=1))
    rows = (r >= params.line_rows_mm * s) & (r <= params.fit_rows_mm * s) & (ink.sum(axis=1) > 0)
    if rows.sum() < params.fit_min_rows:
        return None
    near = ink[rows]
    c = np.arange(near.shape[1], dtype=np.float64)
    # the far side is the ink nearer the far end than the stop; the rest is the hidden side's
    # (its edge may show just short of the cleared columns, or just beyond them)
    split = (far + (lo if far == x0 else hi)) / 2.0
    far_side = np.where((c < split) if far == x0 else (c > split), near, 0.0)
    beyond = np.where((c > hi) if far == x0 else (c < lo), near, 0.0)
    if far_side.sum() == 0:
        return None
    side = float((far_side * c).sum() / far_side.sum())
    if abs(side - far) > params.ring_side_reach_mm * s:
        return None
    if beyond.sum() > 0:
        shows = float((beyond * c).sum() / beyond.sum())
        if min(abs(shows - lo), abs(shows - hi)) > params.ring_side_reach_mm * s:
            return None  # a whole side beyond the stop: a ring round it, fitted as it is
    # the hidden side: the cleared columns, as dark as the far side, and what shows beside them
    hidden = (near - far_side).sum(axis=0)
    hidden[lo:hi + 1] += float(median(far_side[far_side > 0])) * len(near)
    near_side = float((hidden * c).sum() / hidden.sum())
    if abs(near_side - side) < params.ring_min_across_mm * s:
        return None
    return (side + near_side) / 2.0
