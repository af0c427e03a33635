"""The pen ink on and near a line once the printed line and stops are removed, as blobs.

Each ink blob that meets the line (or lies in its clear band) is found and measured: its
darkness, its shape's measures, whether it touches the line, and the x in form mm where it marks
the line (fitted by `crossing.py`, which also fits a mark made of several blobs). Stains are cut
apart from the pen ink they touch. What each blob is (a mark's shape, stray ink, a stain) and
which blobs are one mark is `kinds.py`; an item's value and flags `marks.py`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from srs_scan.read.crossing import bridge_gaps, crossing_col, has_hole
from srs_scan.read.params import Params
from srs_scan.read.stats import median, percentile
from srs_scan.read.strip import LineFit, Strip


@dataclass(frozen=True)
class Blob:
    """One connected piece of pen ink in the strip (after the printed line is removed)."""

    x_mm: float          # where it meets the line (or its centre, when it does not)
    gap_mm: float        # distance of its nearest ink from the line centre
    area_mm2: float
    width_mm: float
    height_mm: float
    fill: float          # ink fraction of its bounding box
    darkness: float      # 90th percentile darkness of its ink
    has_hole: bool
    passes: int          # most separate ink runs along one row, away from the line
    touches_edge: bool   # reaches the top or bottom of the strip
    cols: tuple[int, int]
    label: int = 0       # its pixels in `PenInk.labels`
    stain: bool = False  # a stain's area, cut apart from the pen ink it touched
    thickness_mm: float = 0.0  # twice its area over its outline: a stroke's width
    lean: float = 0.0    # how far its ink >= `stray_far_mm` from the line leans (x per y)
    one_sided: bool = False  # ink beyond the line's rows on one side of the line only
    below: bool = False  # most of its ink lies below the line (y grows downwards)
    crosses: bool = False  # ink beyond the line's rows on both sides: a whole crossing of its own
    # of ink reaching the strip's edge (0 when it does not): how dark it is there, how many of the
    # strip's two edges it reaches, and the fewest strokes a row near the line crosses on either
    # side of it (`row_passes`, each side alone)
    edge_darkness: float = 0.0
    edges: int = 0
    passes_each_side: int = 0


@dataclass(frozen=True)
class PenInk:
    """The pen ink of one strip: what `find_blobs` measured its blobs on."""

    pen: np.ndarray       # float32 darkness of pen ink, 0 where not ink of a kept blob
    labels: np.ndarray    # int32 blob label per pixel
    dy: np.ndarray        # float32 rows from the printed line
    cleared: np.ndarray   # bool, where a printed end-stop was cleared away (ink unknown)


def find_blobs(strip: Strip, line: LineFit, line_only: np.ndarray,
               stops_mm: tuple[float, float], spec_half_stop: float, params: Params,
               band_mm: float) -> tuple[list[Blob], PenInk]:
    d, s = strip.darkness, strip.px_per_mm
    h, w = d.shape
    pen = d - line_only  # the line image is never darker than the strip
    np.maximum(pen, 0.0, out=pen)
    rows = np.arange(h, dtype=np.float32)[:, None]
    dy = rows - line.row_at(np.arange(w, dtype=np.float32))[None, :]  # rows from the line
    # Distance of each pixel from the printed line. Around an end-stop the printed ink is
    # cleared away, and the cleared box counts as part of the line: a mark at 0 or 10 drawn
    # over the stop survives only above and below it, and still touches the line.
    dist = np.abs(dy)
    stop_reach = (spec_half_stop + params.stop_reach_mm) * s
    # Only the stop's own columns are cleared, found from the detected stop outwards for as long
    # as most of the stop's rows are ink: a circle or an X drawn over or beside the stop keeps
    # the rest of its ink, so its centre is not pulled aside. (A vertical opening would miss a
    # 1-bit fax's stop, printed as a jagged stair that no single column runs all of.)
    zones = []
    stop_cols = []
    cleared = np.zeros((h, w), bool)
    for x in stops_mm:
        c = strip.col(x)
        a, b = int(max(0, c - params.stop_clear_mm * s)), int(min(w, c + params.stop_clear_mm * s + 1))
        zones.append((a, b))
        ca, cb = _stop_columns(d, dist, a, b, int(round(c)), spec_half_stop * s, params)
        clear = dist[:, ca:cb] <= stop_reach
        pen[:, ca:cb][clear] = 0.0
        cleared[:, ca:cb] |= clear
        stop_cols.append((ca, cb))
        dist[:, a:b] = np.maximum(0.0, dist[:, a:b] - stop_reach)
    mask = (pen > params.ink_threshold).astype(np.uint8)
    bridge = cv2.getStructuringElement(cv2.MORPH_RECT, (1, max(3, int(params.bridge_mm * s) | 1)))
    joined = cv2.morphologyEx(mask, cv2.MORPH_CLOSE, bridge)
    # A dot or a stroke drawn over an end-stop is cut in two where the stop is cleared; a row
    # with ink on both sides of the cleared columns is one mark across them, so its halves are
    # one blob (and judged as one: neither half alone looks like a dot).
    for ca, cb in stop_cols:
        j = params.stop_join_px
        if cb > ca and ca >= j and cb + j <= w:
            across = (cleared[:, ca] & mask[:, ca - j:ca].any(axis=1)
                      & mask[:, cb:cb + j].any(axis=1))
            joined[across, ca:cb] = 1
    joined, stain = _apart_from_stains(joined, mask, pen, s, params, cleared)
    piece_h = max(params.line_piece_height_mm,
                  _line_height_mm(line_only[line_rows(dy, s, params)], s, params)
                  + params.line_piece_over_line_mm) * s
    n, labels, stats = _components(joined)
    # Specks (JPEG ringing, pencil grain) are joined to a nearby mark by the closing above; they
    # count towards its ink but not towards how often a row crosses it (`row_passes`): two specks
    # between an X's arms would make it a four-pass scribble. Each piece of `mask` lies wholly
    # inside one blob, so a blob's own ink is enough to find its specks, unless a stain was cut
    # away from pen ink it touched (then the strip's whole mask is labelled, as it was before).
    strokes_all = _without_specks(mask, s, params) if stain.any() else None
    blobs = []
    for k in range(1, n):
        x, y, bw, bh, _ = stats[k]
        sub = labels[y:y + bh, x:x + bw] == k
        ink = sub & (mask[y:y + bh, x:x + bw] > 0)
        area = ink.sum() / s**2
        if area < params.min_mark_area_mm2:
            continue
        gap_mm = float(dist[y:y + bh, x:x + bw][sub].min() / s)
        touches_edge = y <= 0 or y + bh >= h
        if not within_reach(gap_mm, touches_edge, band_mm, params):
            continue  # other writing coming in from outside the band: not worth measuring
        sub_dy = dy[y:y + bh, x:x + bw]
        in_line_rows = (np.abs(sub_dy[ink]).max()
                        <= (params.line_rows_mm + params.line_rows_slack_mm) * s)
        if in_line_rows and (area < params.line_speck_area_mm2 or bh < piece_h):
            continue
        if any(a <= x and x + bw <= b for a, b in zones) and (
                np.abs(sub_dy[ink]).max() <= stop_reach
                and not _dot_on_stop(ink, sub_dy, s, params)):
            continue  # what is left of a stop the opening missed (a jagged 1-bit stop)
        if _stop_remnant_and_line_piece(ink, sub_dy, x, zones, stop_reach, piece_h, s, params):
            continue
        darkness = _darkness(d[y:y + bh, x:x + bw], ink, np.abs(sub_dy), s, params, band_mm)
        sub_pen = np.where(ink, pen[y:y + bh, x:x + bw], 0.0)
        cross_col = crossing_col(sub_pen, sub_dy, s, params)
        strokes = (_without_specks(ink, s, params) if strokes_all is None
                   else ink & strokes_all[y:y + bh, x:x + bw])
        beyond = params.touch_mm * s
        blobs.append(Blob(
            x_mm=strip.x_mm(x + cross_col),
            gap_mm=gap_mm,
            area_mm2=float(area), width_mm=bw / s, height_mm=bh / s,
            fill=float(ink.sum() / (bw * bh)),
            darkness=darkness,
            has_hole=has_hole(sub, s, params),
            passes=row_passes(strokes, sub_dy, s, params),
            touches_edge=touches_edge,
            cols=(int(x), int(x + bw)),
            label=k,
            stain=bool(stain[y:y + bh, x:x + bw][sub].any()),
            thickness_mm=_thickness(sub, s),
            lean=_lean(ink, sub_dy, cross_col, s, params),
            one_sided=bool((ink & (sub_dy < -beyond)).any()) != bool((ink & (sub_dy > beyond)).any()),
            crosses=bool((ink & (sub_dy < -beyond)).any()) and bool((ink & (sub_dy > beyond)).any()),
            below=bool(sub_dy[ink].mean() > 0),
            **(_at_edge(d[y:y + bh, x:x + bw], strokes, sub_dy, y, h, s, params)
               if touches_edge else {}),
        ))
    pen *= mask  # what the blobs were measured on is kept: their ink only (mask is 0 or 1)
    return blobs, PenInk(pen, labels, dy, cleared)


def within_reach(gap_mm: float, touches_edge: bool, band_mm: float, params: Params) -> bool:
    """Whether ink this far from the line can be a mark for the item: on the line, or off it
    but near it or wholly inside the band. Ink reaching the strip's edge may be other writing
    coming in from outside the band, unless it comes as near the line as a mark drawn just off
    it does."""
    return (gap_mm <= max(params.touch_mm, params.off_line_max_gap_mm)
            or (gap_mm < band_mm - params.band_edge_mm and not touches_edge))


def _components(binary: np.ndarray) -> tuple[int, np.ndarray, np.ndarray]:
    """`cv2.connectedComponentsWithStats` (8-connected), run only on the box around the ink:
    a strip is mostly paper, and labelling it whole took as long as the rest of the strip."""
    x, y, w, h = cv2.boundingRect(binary)
    labels = np.zeros(binary.shape, np.int32)
    if w == 0 or h == 0:
        return 1, labels, np.zeros((1, 5), np.int32)
    n, labels[y:y + h, x:x + w], stats, _ = cv2.connectedComponentsWithStats(
        np.ascontiguousarray(binary[y:y + h, x:x + w]), connectivity=8)
    stats[1:, cv2.CC_STAT_LEFT] += x
    stats[1:, cv2.CC_STAT_TOP] += y
    return n, labels, stats


def _without_specks(ink: np.ndarray, s: float, params: Params) -> np.ndarray:
    """`ink` without its pieces smaller than any mark (bool)."""
    _, labels, stats = _components(ink.astype(np.uint8))
    speck = stats[:, cv2.CC_STAT_AREA] < params.min_mark_area_mm2 * s**2
    speck[0] = True  # (the paper)
    return ~speck[labels]


def _apart_from_stains(joined: np.ndarray, mask: np.ndarray, pen: np.ndarray, s: float,
                       params: Params, cleared: np.ndarray | None = None
                       ) -> tuple[np.ndarray, np.ndarray]:
    """`joined` with a stain's ink cut one pixel apart from the pen ink it touches, so that each
    is a blob of its own: a coffee ring crossed by a tick made one blob that a row crossed four
    times (ring, tick, ring) and read as a scribble (messy seed 12, crossed_out). The stain is
    then judged on its own: as a stain (never beside a real mark) when lighter than
    `stain_darkness`, else as a mark of its own, never merged with the mark it touched
    (flagged); the tick as a tick. A light pen circle's closed loop is no stain
    (`_pen_loops`; `cleared`, where end-stops were cleared, may close it). Also returns where
    the stain is."""
    weak = (mask > 0) & (pen < params.stain_max_darkness)
    k = max(3, int(round(params.stain_min_width_mm * s)))
    core = cv2.morphologyEx(weak.astype(np.uint8), cv2.MORPH_OPEN,
                            np.ones((k, k), np.uint8)).astype(bool)
    if not core.any():
        return joined, core
    # The whole stain is the light ink connected to its broad parts: a ring thins out at its
    # ends, which would otherwise stay part of the pen ink they touch and pull its fit aside.
    _, weak_labels = cv2.connectedComponents(weak.astype(np.uint8), connectivity=8)
    stain = np.isin(weak_labels, np.unique(weak_labels[core])) & weak
    if stain.any():  # (most strips have none: their pieces need not be labelled again)
        stain &= ~_pen_loops(joined, stain, np.zeros_like(stain) if cleared is None else cleared,
                             s, params)
    if not stain.any():
        return joined, stain
    dark = (joined > 0) & ~stain
    # What the cut leaves that has no ink darker than a stain is not pen ink either (a faint
    # scanner streak running through the ring, its gaps bridged by the closing): it stays with
    # the stain, as it was before the cut (messy seed 14: a streak piece read as a second mark).
    n, pieces = cv2.connectedComponents(dark.astype(np.uint8), connectivity=8)
    darkest = np.zeros(n, np.float32)
    np.maximum.at(darkest, pieces[dark], np.where(mask > 0, pen, 0.0)[dark])
    faint_piece = dark & (darkest[pieces] < params.stain_max_darkness)
    stain |= faint_piece
    dark &= ~faint_piece
    stain |= _stain_ridges(pieces, dark, stain, pen, joined, s, params)
    dark &= ~stain
    beside = cv2.dilate(dark.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)
    return (dark | (stain & ~beside)).astype(np.uint8), stain


def _pen_loops(joined: np.ndarray, stain: np.ndarray, cleared: np.ndarray, s: float,
               params: Params) -> np.ndarray:
    """The ink of `joined`'s pieces with stain-like ink that are closed loops of a pen circle's
    size (closed with a cleared end-stop, and across a gap where the pen closed them): a light
    pencil circle blurred by a phone is as light and as broad as a stain's band, but a cup's ring
    is 30 mm across and more, never a loop within a strip (phone seed 703 p14 on the shared VAS
    form: a pencil ring at 9.62 against the right end tick was cut into pieces as a stain and
    the piece left of it read 9.31, no flag)."""
    loops = np.zeros(joined.shape, bool)
    n, labels, stats = _components(joined)
    limit = params.stain_loop_max_mm * s
    for k in np.unique(labels[stain]):
        x, y, w, h, _ = stats[k]
        if k == 0 or w > limit or h > limit:
            continue
        pad = params.ring_pad_px
        ya, yb, xa, xb = max(0, y - pad), y + h + pad, max(0, x - pad), x + w + pad
        piece = labels[ya:yb, xa:xb] == k
        closed = bridge_gaps(piece, params.ring_gap_mm * s) | cleared[ya:yb, xa:xb]
        if has_hole(closed, s, params, params.stain_loop_min_hole_mm2):
            loops[ya:yb, xa:xb] |= piece
    return loops


def _stain_ridges(pieces: np.ndarray, dark: np.ndarray, stain: np.ndarray, pen: np.ndarray,
                  joined: np.ndarray, s: float, params: Params) -> np.ndarray:
    """The pieces of `dark` that are a stain's own ridge: a ring's band, soft-edged, is darker
    along its middle than the stain cut, and its light flanks were cut off as the stain while
    the ridge stayed as "pen ink", a thin stroke crossing the line (messy seed 703 p39: a tea
    ring on an empty line read 2.14, no flag). Such a piece runs along the middle of a broad
    band of ink, flanked by the stain along most of its outline, and is hardly darker than the
    stain. A pencil stroke's light edge may be taken into the stain too where it crosses a
    ring, but the stroke with its edges is narrow (`stain_ridge_half_width_mm`), and a pen
    is far darker than any stain."""
    ridges = np.zeros(dark.shape, bool)
    grow = np.ones((3, 3), np.uint8)
    near = cv2.dilate(stain.astype(np.uint8), grow).astype(bool) & dark
    pad = int(np.ceil(2 * params.stain_ridge_half_width_mm * s))
    for k in np.unique(pieces[near]):
        ys, xs = np.nonzero(pieces == k)
        y0, x0 = max(ys.min() - pad, 0), max(xs.min() - pad, 0)
        y1, x1 = ys.max() + pad + 1, xs.max() + pad + 1
        piece = (pieces[y0:y1, x0:x1] == k) & dark[y0:y1, x0:x1]
        outline = cv2.dilate(piece.astype(np.uint8), grow).astype(bool) & ~piece
        flank = outline & stain[y0:y1, x0:x1]
        if flank.sum() < params.stain_ridge_share * outline.sum():
            continue
        # how far the piece's pixels lie inside ink: half the width of the band it runs along
        # (ink as joined across the printed line's rows, where the line's removal took some);
        # float64: with no background in the crop the float32 distances are near their maximum
        # and a median of two of them overflowed float32 (seed 603: a numpy warning on the console)
        inside = cv2.distanceTransform((joined[y0:y1, x0:x1] > 0).astype(np.uint8),
                                       cv2.DIST_L2, 5).astype(np.float64)
        if median(inside[piece]) < params.stain_ridge_half_width_mm * s:
            continue
        p = params.darkness_percentile
        sub = pen[y0:y1, x0:x1]
        if percentile(sub[piece], p) <= percentile(sub[flank], p) + params.stain_ridge_darker:
            ridges[y0:y1, x0:x1] |= piece
    return ridges


def line_rows(dy: np.ndarray, s: float, params: Params) -> slice:
    """The strip's rows the line image may hold ink in (`strip.line_image` keeps only rows
    within `line_rows_mm` of the line, `dy` rows from it): a measure over the line image need
    look at these rows only, a tenth of the strip or less."""
    return line_band(dy, params.line_rows_mm * s)


def line_band(dy: np.ndarray, half_px: float) -> slice:
    """The strip's rows that hold every pixel within `half_px` rows of the line anywhere along
    it (`dy`: rows from the line; it is straight, so its rows at either end bound it)."""
    first, last = -float(dy[0, 0]), -float(dy[0, -1])  # the line's row at either end
    return slice(max(0, math.floor(min(first, last) - half_px) - 1),
                 min(dy.shape[0], math.ceil(max(first, last) + half_px) + 2))


def _line_height_mm(line_only: np.ndarray, s: float, params: Params) -> float:
    """The printed line's height in this strip: its rows of ink, the median over its columns."""
    rows = np.count_nonzero(line_only > params.ink_threshold, axis=0)
    return float(median(rows[rows > 0])) / s if (rows > 0).any() else 0.0


def _stop_remnant_and_line_piece(ink: np.ndarray, dy: np.ndarray, x: int,
                                 zones: list[tuple[int, int]], stop_reach: float,
                                 piece_h: float, s: float, params: Params) -> bool:
    """A jagged 1-bit stop's remnant joined to a short piece of the line beside it (the line
    broken by the fax next to the stop): within the stop's zone no taller than the stop, outside
    it a flat piece within the line's rows. Seen as a 0.06 value on an empty fax line."""
    cols = np.arange(ink.shape[1]) + x
    in_zone = np.zeros(ink.shape[1], bool)
    for a, b in zones:
        in_zone |= (cols >= a) & (cols < b)
    if not in_zone.any() or in_zone.all():
        return False
    inside, outside = ink[:, in_zone], ink[:, ~in_zone]
    if not outside.any() or not inside.any():
        return False
    if _dot_on_stop(inside, dy[:, in_zone], s, params):  # the line's piece is not the dot's
        return False
    out_dy = np.abs(dy[:, ~in_zone][outside])
    out_rows = np.nonzero(outside.any(axis=1))[0]
    return bool(np.abs(dy[:, in_zone][inside]).max() <= stop_reach
                and out_dy.max() <= (params.line_rows_mm + params.line_rows_slack_mm) * s
                and out_rows.max() - out_rows.min() + 1 < piece_h)


def _dot_on_stop(ink: np.ndarray, dy: np.ndarray, s: float, params: Params) -> bool:
    """Ink in an end-stop's zone that is a pen dot over the stop, not what is left of the stop:
    wider than the stop's remnant and with more ink than one, near the line (a dot is no taller
    than `dot_max_mm`; a tall end tick's remnant (7.5 mm, the shared VAS form) has twice the ink
    of a 4 mm stop's, most of it far from the line)."""
    ink = ink & (np.abs(dy) <= params.dot_max_mm / 2 * s)
    cols = np.nonzero(ink.any(axis=0))[0]
    if cols.size == 0:
        return False
    return bool(cols.max() - cols.min() + 1 >= params.stop_remnant_width_mm * s
                and ink.sum() >= params.stop_remnant_area_mm2 * s * s)


def _darkness(d: np.ndarray, ink: np.ndarray, dist: np.ndarray, s: float, params: Params,
              band_mm: float) -> float:
    """90th percentile darkness of a blob's ink where it meets the line, else wherever it is.

    Judged just beside the printed line's rows: on them the line's own darkness would lend a
    crease crossing it the look of ink, and further out a crease may have run into a comment's
    letters, which are real ink but not what meets the line. Ink outside the clear band is never
    judged, nor counted in the share below: a faint scanner streak joined to a comment's
    letters above the band read as dark as the letters (messy seed 12, multiple_marks).
    """
    in_band = ink & (dist <= band_mm * s)
    if in_band.any():
        ink = in_band
    off_rows = ink & (dist > params.line_rows_mm * s)
    near = off_rows & (dist <= params.fit_rows_mm * s)
    # A dot on the line has only its blurred rim outside the line's rows: judged there it looks
    # as light as a stain. Where too little of the ink is off the rows, judge all of it.
    enough = max(params.darkness_min_px, params.darkness_min_share * ink.sum())
    for where in (near, off_rows):
        if where.sum() >= enough:
            return float(percentile(d[where], params.darkness_percentile))
    return float(percentile(d[ink], params.darkness_percentile))


def _at_edge(d: np.ndarray, ink: np.ndarray, dy: np.ndarray, top: int, h: int, s: float,
             params: Params) -> dict[str, float | int]:
    """For ink running out of the strip: how dark it is within `edge_rows_mm` of the strip's top
    or bottom (a pen stroke's, or a stain's band joined to a mark), whether it reaches one edge or
    both, and how many strokes a row near the line crosses on its less crossed side (a mark with
    a stroke through it: two or more on both sides; a tick with an arrow's barb touching its
    top: one below)."""
    rows = np.arange(top, top + ink.shape[0])[:, None]
    e = params.edge_rows_mm * s
    near_top, near_bottom = ink & (rows < e), ink & (rows >= h - e)
    edge = near_top | near_bottom
    return {"edge_darkness": (float(percentile(d[edge], params.darkness_percentile))
                              if edge.any() else 0.0),
            "edges": int(near_top.any()) + int(near_bottom.any()),
            "passes_each_side": min(row_passes(ink & (dy < 0), dy, s, params),
                                    row_passes(ink & (dy > 0), dy, s, params))}


def _column_percentile(values: np.ndarray, chosen: np.ndarray, q: float) -> np.ndarray:
    """Per column, `np.percentile` (linear) of the chosen rows' values; 0 where none is chosen.
    One sort for all columns instead of a percentile call per column (this runs on every page)."""
    ranked = np.sort(np.where(chosen, values, -np.inf), axis=0)
    n = chosen.sum(axis=0)
    pos = (ranked.shape[0] - n) + np.maximum(n - 1, 0) * (q / 100.0)
    lo = np.minimum(np.floor(pos).astype(int), ranked.shape[0] - 1)  # n = 0: any row, masked below
    hi = np.minimum(lo + 1, ranked.shape[0] - 1)
    cols = np.arange(values.shape[1])
    ranked[~np.isfinite(ranked)] = 0.0  # only reached where no row is chosen (n = 0)
    low, high = ranked[lo, cols], ranked[hi, cols]
    result = low + (high - low) * (pos - lo)
    return np.where(n > 0, result, 0.0)


def _stop_columns(d: np.ndarray, dist: np.ndarray, a: int, b: int, c: int, half_px: float,
                  params: Params) -> tuple[int, int]:
    """The columns [ca, cb) of the printed stop near column c, within the zone [a, b)."""
    rows = (dist[:, a:b] >= params.stop_rows_from * half_px) & (dist[:, a:b] <= half_px)
    prof = _column_percentile(d[:, a:b], rows, params.stop_rows_percentile)
    is_stop = prof >= params.ink_threshold
    j = int(np.clip(c - a, 0, b - a - 1))
    if not is_stop[j]:
        return c, c  # nothing stop-like where it was found: clear nothing
    lo, hi = j, j
    while lo > 0 and is_stop[lo - 1]:
        lo -= 1
    while hi < b - a - 1 and is_stop[hi + 1]:
        hi += 1
    return a + lo, a + hi + 1


def row_passes(ink: np.ndarray, dy: np.ndarray, s: float, params: Params,
               rows_mm: tuple[float, float] | None = None) -> int:
    """The most separate ink runs along a row 1-3 mm from the line (where an X's arms part),
    or `rows_mm` from it.

    Runs shorter than `pass_min_run_mm` do not count: there the row only grazes the top of a
    curve (a ring's wobbly top arc) or a speck, rather than crossing a stroke.
    """
    rows = np.abs(median(dy, axis=1))
    near_mm, far_mm = rows_mm or params.passes_rows_mm
    chosen = ink[(rows >= near_mm * s) & (rows <= far_mm * s)]
    if chosen.size == 0:
        return 0
    gap = int(round(params.pass_min_gap_mm * s))
    if gap > 1:  # close gaps narrower than `gap` px along each row
        chosen = cv2.morphologyEx(chosen.astype(np.uint8), cv2.MORPH_CLOSE,
                                  np.ones((1, gap + 1), np.uint8)).astype(bool)
    # every run of ink along every chosen row at once: starts and ends pair up row by row,
    # since np.nonzero walks the rows in order
    edges = np.diff(chosen.astype(np.int8), axis=1, prepend=0, append=0)
    start_rows, starts = np.nonzero(edges == 1)
    _, ends = np.nonzero(edges == -1)
    long_runs = start_rows[ends - starts >= params.pass_min_run_mm * s]
    return int(np.bincount(long_runs).max()) if long_runs.size else 0


def _thickness(region: np.ndarray, s: float) -> float:
    """A stroke's width in mm: twice its area over the length of its outline (holes included)."""
    contours, _ = cv2.findContours(region.astype(np.uint8), cv2.RETR_LIST, cv2.CHAIN_APPROX_SIMPLE)
    perimeter = sum(cv2.arcLength(c, True) for c in contours)
    return float(2.0 * region.sum() / max(perimeter, 1.0) / s)


def _lean(ink: np.ndarray, dy: np.ndarray, cross_col: float, s: float, params: Params) -> float:
    """How far the blob's ink far from the line lies aside from where it meets the line, per
    unit of height, on the side where it leans most: ~0 for an upright stroke."""
    cols = np.broadcast_to(np.arange(ink.shape[1], dtype=np.float32)[None, :], ink.shape)
    lean = 0.0
    for side in (dy <= -params.stray_far_mm * s, dy >= params.stray_far_mm * s):
        far = ink & side
        if far.sum() >= 4:
            lean = max(lean, abs(float(cols[far].mean()) - cross_col) / float(np.abs(dy[far]).mean()))
    return lean
