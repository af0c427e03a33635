"""Where pen ink meets the printed line: the x of one blob, or of a mark made of several blobs.

Per-row ink centroids near the line are fitted as x(dy): a tick or a slanted stroke gives its
crossing, an X or a circle its centre. Where an end-stop was cleared away, an X is fitted on its
two arms and a ring drawn round or on the stop on its rows that kept both sides. Also how far
apart a mark's fits above and below the line lie, and whether ink closes a hole (a ring).
This module finds no blobs (`blobs.py`) and judges no shapes (`kinds.py`); a mark hidden in an
end tick is `endtick.py`'s.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import cv2
import numpy as np

from srs_scan.read.endtick import ring_side_in_stop_col
from srs_scan.read.params import Params
from srs_scan.read.stats import median
from srs_scan.read.strip import Strip

if TYPE_CHECKING:
    from srs_scan.read.blobs import Blob, PenInk


def of_group(labels: np.ndarray, group: list[Blob]) -> np.ndarray:
    """Where `labels` is one of the group's blobs (bool): `np.isin` for a few labels, faster."""
    mine = labels == group[0].label
    for blob in group[1:]:
        mine |= labels == blob.label
    return mine


def group_x_mm(strip: Strip, ink: PenInk, group: list[Blob], params: Params) -> float:
    """Where a mark made of one or more blobs meets the line, fitted on all of its ink at once.

    Pieces of one mark (cut by the line's or a stop's removal) are fitted together, not
    averaged, so a small piece does not count less than its share of the crossing.
    """
    s = strip.px_per_mm
    x0 = min(b.cols[0] for b in group)
    x1 = max(b.cols[1] for b in group)
    labels = ink.labels[:, x0:x1]
    mine = of_group(labels, group)
    rows = np.nonzero(mine.any(axis=1))[0]
    y0, y1 = int(rows.min()), int(rows.max()) + 1
    pen = np.where(mine[y0:y1], ink.pen[y0:y1, x0:x1], 0.0)
    dy = ink.dy[y0:y1, x0:x1]
    # An X whose arms reach past the stop closes a hole with the cleared box too; two straight
    # arms that slope opposite ways are an X, never a ring (office seed 90 p74: an X at 9.78
    # fitted as a ring drawn round the stop read 9.92).
    col = crossing_col(pen, dy, s, params)
    arms = None
    if ink.cleared[y0:y1, x0:x1].any():
        arms = _x_arms_col(pen, dy, ink.cleared[y0:y1, x0:x1], s, params)
        if arms is not None and abs(arms - col) > params.x_arms_max_shift_mm * s:
            arms = None
    # A ring drawn round the value with one side on an end-stop loses that side where the stop
    # is cleared, and the other side alone pulls the fit by its radius. A ring is still closed
    # with the cleared box filled in; it is then fitted on its rows that kept both sides (the
    # rest of the ring is symmetric about its centre). Only for rings: an X far from the line
    # may keep one arm only.
    # Where the pen closes a ring it may leave a gap (seed 603 p16: a ring round 0.37 on the
    # left stop, a 1 mm gap at its top, read 0.62 with no flag), so gaps up to `ring_gap_mm`
    # in its own ink are bridged before its closure is checked; never gaps to the cleared stop:
    # an X's arm ending just short of the stop would close a hole with it (office seed 90 p242).
    pad = params.ring_pad_px
    cleared = ink.cleared[y0:y1, max(0, x0 - pad):x1 + pad]
    if arms is None and cleared.any() and has_hole(bridge_gaps(
            of_group(ink.labels[y0:y1, max(0, x0 - pad):x1 + pad], group),
            params.ring_gap_mm * s) | cleared, s, params):
        skip = cleared.any(axis=1)
        if (~skip & (pen.sum(axis=1) > 0)).sum() >= params.fit_min_rows:
            ring = crossing_col(pen, dy, s, params, skip_rows=skip)
            if _ring_centre_plausible(ring, pen, dy, cleared, x0 - max(0, x0 - pad), s, params):
                return strip.x_mm(x0 + ring)
        # the side on the stop hidden on every row near the line, or a ring whose rows beyond
        # the stop are too few or too lopsided to fit (the far side alone read a radius aside:
        # messy seed 701 p49, a circle at 9.79 read 9.61, no flag)
        if (hidden := ring_side_in_stop_col(
                ink.pen[y0:y1], of_group(ink.labels[y0:y1], group),
                ink.dy[y0:y1], ink.cleared[y0:y1], x0, x1, s, params)) is not None:
            return strip.x_mm(hidden)
    return strip.x_mm(x0 + (col if arms is None else arms))


def sides_apart_mm(strip: Strip, ink: PenInk, group: list[Blob], params: Params) -> float:
    """How far apart a mark's crossing lies when fitted on its rows above the line alone and on
    those below alone (0 when a side has too few rows near the line to fit). A stroke, an X or
    a circle crossing the line gives one crossing both ways; other ink near the line on one
    side (an arrow's tip joined to the mark) pulls that side's fit towards it."""
    s = strip.px_per_mm
    x0 = min(b.cols[0] for b in group)
    x1 = max(b.cols[1] for b in group)
    mine = of_group(ink.labels[:, x0:x1], group)
    pen = np.where(mine, ink.pen[:, x0:x1], 0.0)
    dy = ink.dy[:, x0:x1]
    row_dy = median(dy, axis=1)
    near = (np.abs(row_dy) <= params.fit_rows_mm * s) & (pen.sum(axis=1) > 0)
    above, below = near & (row_dy < 0), near & (row_dy > 0)
    if min(above.sum(), below.sum()) < params.fit_min_rows:
        return 0.0
    return abs(crossing_col(pen, dy, s, params, skip_rows=~above)
               - crossing_col(pen, dy, s, params, skip_rows=~below)) / s


def bridge_gaps(region: np.ndarray, gap_px: float) -> np.ndarray:
    """`region` with gaps narrower than `gap_px` between its pieces closed (a disc's closing)."""
    k = max(3, int(round(gap_px)) | 1)
    disc = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k))
    padded = cv2.copyMakeBorder(region.astype(np.uint8), k, k, k, k, cv2.BORDER_CONSTANT, value=0)
    return cv2.morphologyEx(padded, cv2.MORPH_CLOSE, disc)[k:-k, k:-k].astype(bool)


def _ring_centre_plausible(col: float, pen: np.ndarray, dy: np.ndarray, cleared: np.ndarray,
                           shift: int, s: float, params: Params) -> bool:
    """Whether a ring fitted at `col` fits the stop it was closed with: drawn round the stop
    (ink on both sides of it), or with one side on it, its centre a radius away. An X whose
    arms reach the stop also closes a hole with the cleared box, and its ring fit lands next to
    the stop (stray seed 305: an X at 0.29 read 0.05)."""
    stop_cols = np.nonzero(cleared.any(axis=0))[0] - shift   # in `pen`'s columns
    ink_cols = np.nonzero(pen.any(axis=0))[0]
    r_min = params.ring_side_min_mm * s
    if not ink_cols.min() + r_min <= col <= ink_cols.max() - r_min:
        return False  # a ring's centre lies inside it (seed 305: an X over a stop fitted 4 mm out)
    # drawn round the stop: a ring's sides reach well past it on both sides near the line, where
    # it is widest (an X's arm tip just past the stop does not make it one, nor a long arm that
    # reaches past it only far from the line: fax seed 8 p15 without markers, an X at 9.75
    # fitted as a ring round the right stop on its arm tips read 9.97, no flag; messy seed 707
    # p11: an X at 0.20 with its long lower arm past the left stop read 0.0)
    near = np.abs(median(dy, axis=1)) <= params.fit_rows_mm * s
    sides = np.nonzero(pen[near].any(axis=0))[0]
    if sides.size and sides.min() + r_min <= stop_cols.min() \
            and sides.max() - r_min >= stop_cols.max():
        return True
    if min(abs(col - stop_cols.min()), abs(col - stop_cols.max())) < r_min:
        return False
    # with its side on the stop, the ring's far side is the stop mirrored about its centre; an
    # X's arm reaching the stop, fitted on its long other arm beyond the stop's rows, is not
    # (office seed 790 p60: an X at 9.81 fitted 3.4 mm from the stop with ink only 1.8 mm out)
    far = ink_cols.min() if col < stop_cols.min() else ink_cols.max()
    reach = params.ring_side_reach_mm * s
    return bool(2 * col - stop_cols.max() - reach <= far <= 2 * col - stop_cols.min() + reach)


def _x_arms_col(pen: np.ndarray, dy: np.ndarray, cleared: np.ndarray, s: float,
                params: Params) -> float | None:
    """Where an X drawn over an end-stop meets the line, from its two arms fitted as lines.

    Clearing the stop cuts a piece out of one arm, and per-row centroids are then pulled
    towards the other arm (~0.6 mm). Here each row away from the line must cross the X exactly
    twice; a crossing that touches the cleared columns is incomplete and left out. The left
    crossings above the line and the right ones below are one arm, the others the other arm;
    each arm is fitted as x(dy) and the mark is where their mean meets the line. None (use the
    centroid fit) unless both arms are straight, slope opposite ways and have enough rows.
    """
    row_dy = median(dy, axis=1)
    k = 2 * int(round(params.x_arms_clear_gap_mm * s)) + 1
    near_cleared = cv2.dilate(cleared.astype(np.uint8), np.ones((1, k), np.uint8)).astype(bool)
    arm_pts: tuple[list, list] = ([], [])
    for r in np.nonzero((np.abs(row_dy) >= params.line_rows_mm * s)
                        & (np.abs(row_dy) <= params.x_arms_reach_mm * s))[0]:
        ink_row = (pen[r] > 0) | cleared[r]  # a run split only by the cleared stop is one run
        edges = np.diff(ink_row.astype(np.int8), prepend=0, append=0)
        starts, ends = np.nonzero(edges == 1)[0], np.nonzero(edges == -1)[0]
        if len(starts) != 2:
            continue
        for side, (a, b) in enumerate(zip(starts, ends)):
            if near_cleared[r, a:b].any():
                continue
            w = pen[r, a:b]
            x = float((w * np.arange(a, b)).sum() / max(w.sum(), 1e-6))
            # the arm running down to the right is the left crossing above the line
            arm = side if row_dy[r] < 0 else 1 - side
            arm_pts[arm].append((row_dy[r], x))
    fits = []
    for pts in arm_pts:
        if len(pts) < params.x_arms_min_rows:
            return None
        ys, xs = np.array(pts).T
        if np.ptp(ys) < params.x_arms_min_span_mm * s:
            return None
        slope, icpt = np.polyfit(ys, xs, 1)
        if np.sqrt(np.mean((xs - (icpt + slope * ys)) ** 2)) > params.x_arms_max_rms_mm * s:
            return None
        fits.append((slope, icpt))
    (b1, a1), (b2, a2) = fits
    m = params.x_arms_min_slope
    if not (b1 > m and b2 < -m):  # the down-right arm, then the down-left one
        return None
    return float((a1 + a2) / 2)


def crossing_col(pen: np.ndarray, dy: np.ndarray, s: float, params: Params,
                  skip_rows: np.ndarray | None = None) -> float:
    """Column where the ink meets the line: per-row ink centroids near the line, fitted x(dy).

    A tick or slanted stroke gives its crossing; an X or a circle is symmetric about its centre,
    so the centroid of both of its sides is the centre.
    """
    cols = np.arange(pen.shape[1], dtype=np.float64)
    row_w = pen.sum(axis=1)
    row_dy = median(dy, axis=1)
    known = np.ones(len(row_w), bool) if skip_rows is None else ~skip_rows
    near = (np.abs(row_dy) <= params.fit_rows_mm * s) & (row_w > 0) & known
    far = near.sum() < params.fit_min_rows
    if far:
        near = (row_w > 0) & known
    if near.sum() < params.fit_min_rows:
        near = row_w > 0
    if near.sum() == 0:
        return pen.shape[1] / 2
    xc = (pen[near] * cols).sum(axis=1) / row_w[near]
    wts, ys = row_w[near], row_dy[near]
    # ink only far from the line and on one side of it (a mark's tip left above a cleared
    # end-stop) is not fitted down to the line: its slope over a few rows, carried 2-3 mm, put a
    # tick drawn over the stop 1.5 mm aside (low-res seed 53)
    far = far and (ys.min() > 0 or ys.max() < 0) and np.ptp(ys) < np.abs(ys).min()
    if not far and near.sum() >= params.fit_min_rows and np.ptp(ys) > params.fit_min_span_px:
        slope, icpt = np.polyfit(ys, xc, 1, w=np.sqrt(wts))
        if abs(slope) < params.fit_max_slope:  # nearly along the line: the fit is ill-posed
            return float(icpt)
    # a mark that does not straddle the line rows: the ink nearest the line
    return float((xc * wts).sum() / wts.sum())


def has_hole(region: np.ndarray, s: float, params: Params,
              min_area_mm2: float | None = None) -> bool:
    least = params.hole_min_area_mm2 if min_area_mm2 is None else min_area_mm2
    contours, hierarchy = cv2.findContours(region.astype(np.uint8), cv2.RETR_CCOMP,
                                           cv2.CHAIN_APPROX_SIMPLE)
    if hierarchy is None:
        return False
    for c, hinfo in zip(contours, hierarchy[0]):
        if hinfo[3] >= 0 and cv2.contourArea(c) > least * s * s:
            return True
    return False
