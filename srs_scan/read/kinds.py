"""What each piece of ink at a line is, and which pieces are one mark.

A blob measured by `blobs.py` is judged here: a mark's shape (tick, cross, circle, dot, stroke),
a scribble, stray ink (a stroke from elsewhere) or a stain's band; pieces of one mark are
grouped; pen ink drawn along the printed line, which left with the line, is found from the
line's own core; a mark that may be a tick struck through is taken apart into its straight
strokes. This module measures nothing else on the page and decides no flags (`marks.py`).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from srs_scan.read.blobs import Blob, PenInk, line_band, line_rows, row_passes
from srs_scan.read.crossing import of_group
from srs_scan.read.params import Params
from srs_scan.read.stats import median, percentile
from srs_scan.read.strip import Strip


def comes_from_afar(group: list[Blob]) -> bool:
    """Ink reaching the line from outside the strip and stopping there (an arrow, a stroke
    ending on the line): all of a mark's pieces lie on one side of the line and one reaches the
    strip's edge. A tick crosses the line; a long mark drawn over an end-stop is cut in two
    there, one piece each side, and is judged whole."""
    sides = {b.below for b in group}
    return (all(b.one_sided for b in group) and len(sides) == 1
            and any(b.touches_edge for b in group))


def blob_kind(b: Blob, params: Params) -> str:
    """What a piece of ink is: a scribble (crossed out), stray ink (no mark: a stroke from
    elsewhere, a stain's band), or a mark's shape (circle, dot, tick, cross, stroke)."""
    if min(b.width_mm, b.height_mm) > params.scribble_min_mm and (
            b.fill > params.scribble_fill or b.passes >= params.scribble_passes):
        return "scribble"
    if b.width_mm > params.stray_width_mm or (b.touches_edge and b.lean > params.stray_lean):
        return "stray"
    if stain_band(b, params):
        return "stain"
    if b.touches_edge and _through_mark(b, params):
        return "stray"
    if b.has_hole:
        return "circle"
    if b.width_mm < params.dot_max_mm and b.height_mm < params.dot_max_mm:
        return "dot"
    if b.width_mm < params.tick_max_aspect * b.height_mm:
        return "tick"
    low, high = params.cross_aspect
    if low < b.width_mm / b.height_mm < high:
        return "cross"
    return "stroke"


def stain_band(b: Blob, params: Params) -> bool:
    """Whether a piece of ink is as thick, long and light as a stain's band (whatever else it
    may be too: a ring's band running far along the strip is also too wide for a mark)."""
    band = b.touches_edge and b.darkness < params.stain_edge_darkness  # a ring running through
    thick = params.stain_edge_thickness_mm if band else params.stain_thickness_mm
    return (b.thickness_mm > thick and b.darkness < params.stain_ink_darkness
            and max(b.width_mm, b.height_mm) >= params.stain_length_mm)


def _through_mark(b: Blob, params: Params) -> bool:
    """Ink running out of the strip that is a pen stroke drawn through a mark, not one long mark:
    it runs out of the strip on both sides and more than one stroke crosses the rows near the
    line (`edge_mark_max_passes`), or more strokes than a circle's or an X's two cross them on
    both sides of the line (`mark_max_passes`); and it is as dark as a pen where it leaves the
    strip (a stain's band or a crease joined to a mark is not: `edge_pen_share`)."""
    return ((b.edges == 2 and b.passes > params.edge_mark_max_passes)
            or b.passes_each_side > params.mark_max_passes) and (
        b.edge_darkness >= params.edge_pen_share * b.darkness)


def ink_inside_loop(ink: PenInk, blobs: list[Blob], s: float, params: Params) -> bool:
    """Whether pen ink lies well inside one of these circles, away from the line's rows:
    something written in the circle (a "?", messy seed 3008 p68) or another mark. Inside means
    deeper than `loop_inside_mm` within the convex hull of the circle's hole (its largest):
    writing joined to the circle's stroke bites into the hole, and the hull covers it again,
    while a circle's own stroke lies outside its hole, and writing joined to it from outside
    (an underlined "ok" touching it from below, seed 603 p36) outside the hole's hull."""
    for b in blobs:
        c0, c1 = b.cols
        region = (ink.labels[:, c0:c1] == b.label).astype(np.uint8)
        contours, hierarchy = cv2.findContours(region, cv2.RETR_CCOMP, cv2.CHAIN_APPROX_SIMPLE)
        holes = ([c for c, h in zip(contours, hierarchy[0]) if h[3] >= 0]
                 if hierarchy is not None else [])
        if not holes:
            continue
        hull = np.zeros_like(region)
        cv2.drawContours(hull, [cv2.convexHull(max(holes, key=cv2.contourArea))], -1, 1,
                         cv2.FILLED)
        depth = cv2.distanceTransform(hull, cv2.DIST_L2, 3)
        inside = ((ink.pen[:, c0:c1] >= params.loop_inside_share * b.darkness)
                  & (depth > params.loop_inside_mm * s)
                  & (np.abs(ink.dy[:, c0:c1]) > params.line_rows_mm * s))
        if inside.sum() >= params.loop_inside_area_mm2 * s * s:
            return True
    return False


def merge_blobs(blobs: list[Blob], gap_px: float, cleared_cols: np.ndarray,
                apart_mm: float = np.inf, beside_mm: float | None = None
                ) -> list[list[Blob]]:
    """Group blobs whose column ranges overlap or nearly touch: pieces of one mark.

    Columns where a printed end-stop was cleared away do not count towards the gap: a mark
    drawn over the stop loses its middle there, and its halves are still one mark. Two blobs
    that each cross the line on their own, with no stop cleared between them, are two marks
    when they cross it more than `apart_mm` apart (two slanted ticks' boxes nearly touch).
    Ink on one side of the line that comes within `beside_mm` of it (the rows a crossing is
    fitted on), beside a mark crossing the line and not in its columns, is ink of its own: a
    comment's letters resting on or just above the line beside an X (messy seeds 608 p67, 611
    p14: merged, they moved the mark by 2-7 mm). A piece of a broken circle lies within its
    columns; ink further out never moves the fit, and stays merged.
    """
    groups: list[list[Blob]] = []
    for b in sorted(blobs, key=lambda b: b.cols[0]):
        last = max(groups[-1], key=lambda g: g.cols[1]) if groups else None
        end = last.cols[1] if last else 0
        gap = int((~cleared_cols[end:b.cols[0]]).sum()) if b.cols[0] > end else b.cols[0] - end
        if (last and gap <= gap_px and not _two_crossings(groups[-1], b, cleared_cols, apart_mm)
                and not (beside_mm is not None
                         and _beside_crossing(last, b, cleared_cols, beside_mm))):
            groups[-1].append(b)
        else:
            groups.append([b])
    return groups


def _beside_crossing(a: Blob, b: Blob, cleared_cols: np.ndarray, within_mm: float) -> bool:
    """One of two neighbouring pieces crosses the line, the other lies on one side of it and
    comes within `within_mm` of it, and their columns neither overlap nor have a cleared
    end-stop between them (an X drawn over a stop keeps its arms' tips beyond the stop's)."""
    lo, hi = min(a.cols[1], b.cols[1]), max(a.cols[0], b.cols[0])
    if lo > hi or cleared_cols[lo:hi].any():
        return False
    return any(m.crosses and o.one_sided and o.gap_mm <= within_mm for m, o in ((a, b), (b, a)))


def _two_crossings(group: list[Blob], b: Blob, cleared_cols: np.ndarray, apart_mm: float) -> bool:
    if not b.crosses:
        return False
    for a in group:
        lo, hi = min(a.cols[0], b.cols[0]), max(a.cols[1], b.cols[1])
        if (a.crosses and not cleared_cols[lo:hi].any()
                and abs(a.x_mm - b.x_mm) > apart_mm):
            return True
    return False


def ink_along_line(line_only: np.ndarray, stops_mm: tuple[float, float], strip: Strip,
                   marks: list[Blob], ink: PenInk, params: Params,
                   stains: list[Blob] | None = None, side_ink: bool = False) -> bool:
    """Whether pen ink runs along the printed line, on it: removed with the line, it shows only
    as the line's dark core standing taller than the line's own over a stretch no mark explains.
    A mark explains the core only where it crosses the line: a stroke of the same ink running
    on along the line from it is not the mark (messy seed 608 p50: a stroke from an X, along the
    line and across it, read as the X)."""
    s = strip.px_per_mm
    band = line_rows(ink.dy, s, params)  # the line image is 0 off these rows
    line_only, dy = line_only[band], ink.dy[band]
    a = int(max(0, strip.col(stops_mm[0] + params.stop_clear_mm + 0.5)))
    b = int(min(line_only.shape[1], strip.col(stops_mm[1] - params.stop_clear_mm - 0.5)))
    if b - a < params.along_min_mm * s:
        return False
    peak = line_only[:, a:b].max(axis=0)
    # the printed line's own darkness: most of a line is as printed, but where a fax broke it
    # into dashes the opening leaves them lighter (a median over a 60 % dashed line is theirs)
    line_dark = (float(percentile(peak[peak > 0], params.along_line_percentile))
                 if (peak > 0).any() else 0.0)
    # the core: rows darker than half the line (a pencil stroke half over a 0.5 line widens it)
    # and never lighter than a stain
    core = (line_only[:, a:b] > max(params.along_darkness, line_dark / 2)).sum(axis=0)
    # the line's own core where it shows at all: a 1-bit fax breaks the line into dashes, and
    # where most of it is gone the dashes left are not thick
    shown = core[core > 0]
    thick = core >= (median(shown) if shown.size else 0.0) + params.along_rows_mm * s
    # or darker than the line's own darkness: a pen line drawn right over the printed one
    thick |= peak >= line_dark + params.along_darker
    # or more ink beside the line's centre rows than the line has there: a light pen stroke
    # drawn half over the line widens it by less than a row but adds as much ink as the line's
    # own (messy seed 815 p2: 36 mm along it, read 3.21 from the mark with no flag). Only where
    # asked (`side_ink`): on our own forms' thin line scanned in grey. A 1-bit fax's skewed line
    # steps a whole row, and an enrolled form's line may be thick (0.38 mm): either holds a row's
    # ink off the straight line's centre where it wavers by a fraction of a row
    if side_ink:
        side = _side_ink_mm(line_only[:, a:b], dy[:, a:b], s, params)
        thick |= side >= params.along_side_ink_mm
    reach = [(m, params.line_rows_mm / 2) for m in marks]
    # a stain set aside thickens the line wherever its band runs on or beside it: crossing it,
    # or running along it (a ring's top grazing the line, seed 603 p24: stray_ink)
    reach += [(m, params.along_stain_reach_mm) for m in stains or []]
    for m, within in reach:  # a mark crossing the line thickens it where it crosses
        if m.gap_mm > params.line_rows_mm:  # ink beside the line's rows leaves its core alone
            continue  # (a comment's letters resting on an underline drawn along the line)
        lo, hi = _crossing_cols(ink, m, within * s)
        thick[max(0, lo - a - int(s)):max(0, hi - a + int(s))] = False
    edges = np.diff(thick.astype(np.int8), prepend=0, append=0)
    runs = np.nonzero(edges == -1)[0] - np.nonzero(edges == 1)[0]
    return bool(runs.size and runs.max() >= params.along_min_mm * s)


def _side_ink_mm(line_only: np.ndarray, dy: np.ndarray, s: float, params: Params) -> np.ndarray:
    """Per column, how much more ink the removed line holds off its centre rows (beyond
    `along_side_mm`) than it holds there along most of its length, in mm of full-dark ink: a
    band as dark across all the line's rows (a shadow, a stain's band) counts only above its
    lightest row."""
    rows = np.abs(dy) <= params.line_rows_mm * s
    floor = np.where(rows, line_only, np.inf).min(axis=0)
    floor[~np.isfinite(floor)] = 0.0
    side = (np.where(rows & (np.abs(dy) > params.along_side_mm * s),
                     np.maximum(line_only - floor, 0.0), 0.0).sum(axis=0) / s)
    shown = side[line_only.max(axis=0) > 0]
    return side - (float(median(shown)) if shown.size else 0.0)


def _crossing_cols(ink: PenInk, m: Blob, half_px: float) -> tuple[int, int]:
    """The columns [lo, hi) where a mark's ink (its halves rejoined across the line's rows)
    covers the line's centre: where it crosses the line. None such: an empty range."""
    c0, c1 = m.cols
    rows = line_band(ink.dy, half_px)
    mine = (ink.labels[rows, c0:c1] == m.label) & (np.abs(ink.dy[rows, c0:c1]) <= half_px)
    cols = np.nonzero(mine.any(axis=0))[0]
    return (c0 + int(cols[0]), c0 + int(cols[-1]) + 1) if cols.size else (c0, c0)


def struck_tick(ink: PenInk, group: list[Blob], s: float, params: Params) -> bool:
    """Whether a mark is a tick struck through: two straight strokes crossing, one upright and
    one leaning far from it (a slash). An X's arms both lean, one each way."""
    mine, _ = _group_pen(ink, group)
    rows, cols = np.nonzero(mine)
    leans = crossing_strokes(np.stack([cols / s, rows / s], axis=1), _stroke_band_mm(group, params),
                             params)
    if leans is None:
        return False
    upright, slash = sorted(abs(a) for a in leans)
    return upright <= params.struck_upright_max_deg and slash >= params.struck_slash_min_deg


def crossing_strokes(xy_mm: np.ndarray, band_mm: float, params: Params
                     ) -> tuple[float, float] | None:
    """The lean (degrees from upright, + leaning down to the right) of two straight strokes
    that cross each other and together make up this ink (`xy_mm`: one row per ink pixel), or
    None when the ink is not that (one stroke, a V or a tick's two arms meeting at a corner, a
    circle, a scribble)."""
    strokes = two_strokes(xy_mm, band_mm, params)
    if strokes is None or _along_from_meet(xy_mm, strokes, params) is None:
        return None
    return strokes.first.lean_deg, strokes.second.lean_deg


def _along_from_meet(xy_mm: np.ndarray, strokes: TwoStrokes, params: Params
                     ) -> tuple[np.ndarray, np.ndarray] | None:
    """Where each stroke's ink lies along it from where the two meet (mm), or None when either
    does not run on past the meeting by `cross_reach_mm` each way: they do not cross (a V's
    arms meet at their ends, a hook)."""
    along = []
    for stroke in (strokes.first, strokes.second):
        t = (xy_mm[stroke.inside] - strokes.meet) @ stroke.along
        if t.size == 0 or t.min() > -params.cross_reach_mm or t.max() < params.cross_reach_mm:
            return None
        along.append(t)
    return along[0], along[1]


@dataclass(frozen=True)
class Stroke:
    """A straight band of ink: its lean (degrees from upright, + leaning down to the right),
    its offset (x cos(lean) - y sin(lean) along its middle) and which ink points it holds."""

    lean_deg: float
    offset: float
    inside: np.ndarray

    @property
    def along(self) -> np.ndarray:
        a = np.radians(self.lean_deg)
        return np.array([np.sin(a), np.cos(a)])

    @property
    def normal(self) -> np.ndarray:
        a = np.radians(self.lean_deg)
        return np.array([np.cos(a), -np.sin(a)])

    def x_at(self, y: float) -> float:
        """Where its middle is at height y (never level: strokes lean less than 90 degrees)."""
        a = np.radians(self.lean_deg)
        return float((self.offset + y * np.sin(a)) / np.cos(a))


@dataclass(frozen=True)
class TwoStrokes:
    """Two straight strokes that make up a piece of ink, and where their middles cross (x, y)."""

    first: Stroke
    second: Stroke
    meet: np.ndarray


def two_strokes(xy_mm: np.ndarray, band_mm: float, params: Params) -> TwoStrokes | None:
    """The two straight strokes, leaning at least `cross_min_angle_deg` apart, that together
    make up this ink (`xy_mm`: one row per ink pixel), or None when two straight strokes do not
    (one stroke, a circle, a scribble).

    Each stroke is the straight band `band_mm` wide that holds the most ink (a line's Hough
    peak, found by projecting the ink across every direction); the second is looked for in the
    ink the first leaves."""
    x, y = xy_mm[:, 0], xy_mm[:, 1]
    leans = np.radians(np.arange(-88.0, 90.0, 2.0))
    first = _best_band(x, y, leans, band_mm)
    rest = ~first[2]
    apart = np.abs((np.degrees(leans) - first[0] + 90.0) % 180.0 - 90.0) >= params.cross_min_angle_deg
    if rest.sum() < params.stroke_min_share * len(x):
        return None
    second = _best_band(x[rest], y[rest], leans[apart], band_mm)
    inside2 = np.zeros(len(x), bool)
    inside2[rest] = second[2]
    if (first[2] | inside2).mean() < params.strokes_explained_share:
        return None
    one, two = Stroke(*first), Stroke(second[0], second[1], inside2)
    meet = np.linalg.solve(np.stack([one.normal, two.normal]), np.array([one.offset, two.offset]))
    return TwoStrokes(one, two, meet)


def overlong_crossing(ink: PenInk, group: list[Blob], s: float, params: Params) -> bool:
    """Whether a mark is X-like, two straight strokes crossing each other on the line (within
    `strokes_meet_off_line_mm` of it), each running on past where they cross, with one of them
    longer end to end than any stroke of a pen X (`x_stroke_max_mm`) and leaning far from
    upright (a tick, up to 9 mm, leans within `struck_upright_max_deg`): a mark with a stroke
    from elsewhere drawn across it (messy seed 3008 p69: a 7.6 mm slant crossed on the line by
    an 11 mm stroke, read 8.58 as one X with no flag). Which ink is the mark is not seen."""
    xy = _group_xy(ink, group, s)
    if float(np.hypot(*np.ptp(xy, axis=0))) <= params.x_stroke_max_mm:
        return False  # no stroke of it is longer than its whole ink (the fit takes a while)
    strokes = two_strokes(xy, _stroke_band_mm(group, params), params)
    if strokes is None or abs(strokes.meet[1]) > params.strokes_meet_off_line_mm:
        return False
    along = _along_from_meet(xy, strokes, params)
    return along is not None and any(
        float(np.ptp(t)) > params.x_stroke_max_mm
        and abs(stroke.lean_deg) > params.struck_upright_max_deg
        for t, stroke in zip(along, (strokes.first, strokes.second)))


def _stroke_band_mm(group: list[Blob], params: Params) -> float:
    """How wide a straight band holds one of a mark's strokes: its thickest piece's stroke."""
    return max(b.thickness_mm for b in group) + params.stroke_band_slack_mm


def _group_xy(ink: PenInk, group: list[Blob], s: float) -> np.ndarray:
    """A mark's pen ink, one row per pixel: (x, y) in mm, y from the printed line."""
    mine, span = _group_pen(ink, group)
    rows, cols = np.nonzero(mine)
    return np.stack([cols / s, ink.dy[:, span][rows, cols] / s], axis=1)


def _group_pen(ink: PenInk, group: list[Blob]) -> tuple[np.ndarray, slice]:
    """Where a mark's pen ink is (bool), over the columns its pieces span, and those columns."""
    span = slice(min(b.cols[0] for b in group), max(b.cols[1] for b in group))
    return of_group(ink.labels[:, span], group) & (ink.pen[:, span] > 0), span


def crosses_line_twice(ink: PenInk, group: list[Blob], s: float, params: Params) -> bool:
    """Whether a mark is two straight strokes that each cross the line on their own, more than
    `two_marks_apart_mm` apart, and meet farther than `strokes_meet_off_line_mm` from it: a
    tick with a stroke from elsewhere joined at its top (messy seed 801 p43: a tick at 2.29 and
    an 11 mm stroke from its top down across the line, a Λ, read 2.48 as one X). Which of the
    two is the mark is not seen. An X's strokes cross each other on the line: it is one mark."""
    if not _covers_line_apart(ink, group, s, params):
        return False  # (the strokes are looked for only then: it takes a while)
    xy = _group_xy(ink, group, s)
    strokes = two_strokes(xy, _stroke_band_mm(group, params), params)
    if strokes is None:
        return False
    # strokes that cross each other (an X, a struck tick) are aimed at the line, and so is a
    # check mark's corner, at its foot; strokes joined at an end above the line (a tick with a
    # stroke drawn on from its top, a Λ) need not be
    joined_above = strokes.meet[1] < 0 and _along_from_meet(xy, strokes, params) is None
    if abs(strokes.meet[1]) <= (params.strokes_join_off_line_mm if joined_above
                                else params.strokes_meet_off_line_mm):
        return False
    # each stroke's own ink reaches past the line's touch on both sides: it crosses the line
    beyond = params.touch_mm
    return (all((xy[st.inside, 1] < -beyond).any() and (xy[st.inside, 1] > beyond).any()
                for st in (strokes.first, strokes.second))
            and abs(strokes.first.x_at(0.0) - strokes.second.x_at(0.0)) > params.two_marks_apart_mm)


def letters_on_line(ink: PenInk, group: list[Blob], s: float, params: Params) -> bool:
    """Whether a mark of several pieces is crossed by a row as often as a scribble is
    (`scribble_passes`, `letters_rows_mm` from the line), its pieces together: letters are a
    piece each, crossed once or twice ("no" written on an empty line, resting on it, read 4.16
    with no flag; one piece of joined-up letters is a scribble already)."""
    if len(group) < 2:
        return False
    mine, span = _group_pen(ink, group)
    return (row_passes(mine, ink.dy[:, span], s, params, params.letters_rows_mm)
            >= params.scribble_passes)


def _covers_line_apart(ink: PenInk, group: list[Blob], s: float, params: Params) -> bool:
    """Whether a mark's ink (its halves rejoined across the line's rows) covers the line's
    centre in two or more places whose middles lie more than `two_marks_apart_mm` apart."""
    c0, c1 = min(b.cols[0] for b in group), max(b.cols[1] for b in group)
    rows = line_band(ink.dy, params.line_rows_mm / 2 * s)
    mine = (of_group(ink.labels[rows, c0:c1], group)
            & (np.abs(ink.dy[rows, c0:c1]) <= params.line_rows_mm / 2 * s))
    edges = np.diff(mine.any(axis=0).astype(np.int8), prepend=0, append=0)
    middles = (np.nonzero(edges == 1)[0] + np.nonzero(edges == -1)[0]) / 2.0
    return middles.size > 1 and float(np.ptp(middles)) > params.two_marks_apart_mm * s


def _best_band(x: np.ndarray, y: np.ndarray, leans: np.ndarray, band_mm: float
               ) -> tuple[float, float, np.ndarray]:
    """The straight band `band_mm` wide, leaning at one of `leans` (radians from upright), that
    holds the most of the points: its lean in degrees, its offset and which points it holds.
    Offsets are counted in bins of a quarter band, every lean at once (a Hough transform)."""
    across = np.outer(np.cos(leans), x) - np.outer(np.sin(leans), y)
    step = band_mm / 4.0
    low = across.min()
    bins = int((across.max() - low) / step) + 5
    at = ((across - low) / step).astype(np.int64) + bins * np.arange(len(leans))[:, None]
    counts = np.bincount(at.ravel(), minlength=bins * len(leans)).reshape(len(leans), bins)
    total = np.concatenate([np.zeros((len(leans), 1), np.int64), np.cumsum(counts, axis=1)], axis=1)
    held = total[:, 4:] - total[:, :-4]   # bins j to j + 3: one band
    row, j = np.unravel_index(int(np.argmax(held)), held.shape)
    a, centre = float(leans[row]), low + (j + 2.0) * step
    inside = np.abs(x * np.cos(a) - y * np.sin(a) - centre) <= band_mm / 2.0
    return float(np.degrees(a)), centre, inside
