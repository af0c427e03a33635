"""Pen marks on the lines: find each item's printed line, its end-stops and the marks on it.

For every item a strip around the line (the clear band, plus the margins past
each end) is warped through the homography into a rectified image at a fixed
resolution, so everything here works in form millimetres whatever the scan's
DPI or orientation. In that strip we find the printed line and its two
end-stops as they were actually printed, remove them, and measure every
remaining ink blob that meets the line. The value comes from the *detected*
end-stops, so a sheet printed at 94-97 % reads the same as one printed at 100 %.

This module does not find markers or decode the QR code (`register.py`) and
does not decide page-level flags (`read.py`). All thresholds live in `Params`.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from srs_scan.results import (CROSSED_OUT, FAINT, MULTIPLE_MARKS, NO_MARK, OFF_LINE, Candidate,
                              ItemResult)
from srs_scan.sheets.spec import FormSpec, Item


@dataclass(frozen=True)
class Params:
    """Every threshold of the reader, with its unit and why it has that value."""

    # --- registration (register.py) ---
    detect_px_per_mm: float = 5.0
    """Markers are first searched on a copy scaled to about this many px/mm (a 10 mm marker of
    6x6 cells is then 50 px: plenty for ArUco, and 5x faster than 300 dpi)."""
    marker_corner_share: float = 0.25
    """Markers are looked for first in the four corner regions of the image, each this share of
    its width and height; the whole image is searched only if any is missing there. On A4 and
    Letter a marker's inner edge is 25-34 mm from the paper's edges, within the outer 13 % of
    either side: the rest leaves room for skew, fit-to-page printing and a scanner's margin."""
    max_residual_mm: float = 0.8
    """Largest distance between a detected marker corner and where the fitted homography puts it.
    Larger means the markers disagree (a marker moved, paper badly curled): poor_registration."""
    max_leave_one_out_mm: float = 2.5
    """With four markers, each is predicted from the other three; a miss larger than this means
    they disagree (a homography can bend to fit four wrong points exactly). A curled phone photo
    misses by ~0.5-1.5 mm."""
    min_markers_trusted: int = 3
    """With fewer markers the homography is extrapolated from a small part of the page."""

    # --- the strip around each line ---
    strip_px_per_mm: float = 12.0
    """Rectified strip resolution: 0.083 mm per px, about a 300 dpi scan's own pixel."""
    strip_half_height_mm: float = 7.5
    """The band is +-6 mm; 1.5 mm more shows whether ink continues outside it (other
    handwriting), yet stays clear of the anchor text whose caps start ~7.8 mm below the line."""
    paper_window_mm: float = 8.0
    """Paper brightness is the local maximum over this window: wider than any mark (a scribble
    is ~5 mm) so that ink never counts as paper, narrow enough to follow uneven phone light."""

    # --- printed line and end-stops ---
    line_search_mm: float = 2.0
    """How far from where the homography puts the line we look for it."""
    line_chunk_mm: float = 10.0
    """The line is located in chunks of this length, then fitted as a straight line."""
    line_percentile: float = 30.0
    """Per chunk, the line's profile is this percentile across columns: the printed line is in
    every column, pen marks in few, so a low percentile keeps the line and drops the marks."""
    line_open_mm: float = 1.5
    """Ink near the line that runs on horizontally at least this far is the printed line; pen
    strokes crossing it are narrower (0.3-0.8 mm, ~1 mm slanted)."""
    line_rows_mm: float = 0.6
    """Half-height of the printed line's rows, blur included (a 0.14 mm stroke, blurred)."""
    stop_search_mm: float = 1.5
    """How far from the expected end-stop we look for it (registration error, not print scale:
    the homography already absorbs uniform scaling)."""
    stop_max_shift_mm: float = 1.2
    """A detected end-stop further than this from where expected is not trusted (registration on
    a flat scan is good to ~0.2 mm; a curled phone photo can be off by ~1 mm)."""
    stop_prior_mm: float = 0.4
    """Spread (1 sigma) of where an end-stop is found around where the homography puts it. On
    simulated office, fax, messy and phone scans the stops sit within 0.1 mm of that; a curled
    photo may be ~1 mm off, which is still found when nothing else near it looks like a stop."""
    stop_rows_percentile: float = 60.0
    """A column is part of the printed stop when this percentile of its darkness over the stop's
    rows is ink, i.e. ink covers at least 40 % of them: a 1-bit fax prints the stop as a stair
    whose steps each cover about half; a pen stroke beside the stop seldom runs that far."""
    stop_clear_mm: float = 0.6
    """Half-width of the strip removed around a detected end-stop before looking for marks."""
    stop_remnant_width_mm: float = 0.7
    """Ink left in an end-stop's zone after clearing it, no taller than the stop and narrower
    than this, is what remains of the stop (a 1-bit fax prints the 0.14 mm stop as a stair
    ~0.3-0.45 mm across); a pen dot on the stop is >= 0.9 mm across and is a mark (phone seed
    11: dots at 0.0 and 9.96 were dropped and the items read no_mark)..."""
    stop_remnant_area_mm2: float = 0.65
    """... and has less ink than this: the whole printed stop is 4 x 0.14 = 0.56 mm2; what its
    clearing misses, with the line's broken edge pieces beside it, reached 0.52 mm2 on 1-bit
    faxes (fax seeds 11-12). A 1.1 mm dot over the stop keeps ~0.7 mm2 beside the cleared
    columns; a smaller dot stays dropped, and the item is then flagged no_mark (safe)."""

    x_arms_min_rows: int = 6
    """An X over an end-stop is fitted arm by arm only with at least this many complete rows per
    arm (0.5 mm of arm at 12 px/mm), else the centroid fit stands..."""
    x_arms_min_span_mm: float = 0.8
    """... spread over at least this height (a slope from less is too loosely held)..."""
    x_arms_max_rms_mm: float = 0.12
    """... and only when each arm is straight: its crossings lie this close (rms) to a line.
    A drawn stroke wobbles by less; a ring's sides or a scribble do not fit."""
    x_arms_clear_gap_mm: float = 0.2
    """... where a crossing this close to the cleared stop may have lost ink to it (the blurred
    edge of a stroke is ~0.1-0.2 mm) and is left out of the arm fit..."""
    x_arms_max_shift_mm: float = 1.0
    """... and only when it moves the value by at most this: the centroid fit's bias from a cut
    arm is ~0.6 mm, so a larger change means the arms were not what they seemed."""

    # --- pen marks ---
    ink_threshold: float = 0.15
    """Darkness (0 paper, 1 black) above which a pixel is ink. JPEG noise stays under ~0.08;
    pencil is ~0.25-0.5, pens 0.5-0.9."""
    bridge_mm: float = 1.6
    """Vertical closing across the line: the printed line's rows (2 x `line_rows_mm`) are
    cleared of ink that runs along them, which can cut a mark in two; this rejoins the halves."""
    min_mark_area_mm2: float = 0.12
    """Smaller ink blobs are dust, toner specks or JPEG artefacts (a pen dot is >= 0.3 mm2)."""
    line_speck_area_mm2: float = 0.45
    """A blob lying wholly within the printed line's rows and smaller than this is a piece of the
    line itself (the steps of a skewed 1-bit fax line), not a mark: the smallest pen dot
    (0.9 mm across) covers ~0.6 mm2."""
    line_piece_height_mm: float = 0.7
    """A blob lying wholly within the printed line's rows and flatter than this is a piece of the
    line, whatever its length: a 1-bit fax breaks a line whose grey is near its threshold into
    dashes 1-2 mm long and ~0.4 mm tall. A pen dot is >= 0.9 mm across, and a stroke crossing
    the line reaches well outside its rows."""
    touch_mm: float = 0.9
    """A mark whose ink comes this close to the line centre touches it: the printed line's rows
    (`line_rows_mm`) are cleared of all ink, so a crossing stroke resumes just outside them.
    Off-line marks stand clear by 1.5 mm or more."""
    fit_rows_mm: float = 1.5
    """Where a mark meets the line is fitted on its ink within this distance of the line."""
    merge_gap_mm: float = 1.2
    """Marks on the line closer than this are pieces of one mark (a broken stroke)."""
    stain_darkness: float = 0.25
    """Ink whose darkest part (90th percentile, where it meets the line) is lighter than this is
    as likely the paper's handling as a pen: a fold crease, a coffee ring, or the two
    overlapping (simulated ones reach 0.21; the lightest pencil mark reads ~0.40). It never
    counts beside a real mark (no multiple_marks, off_line or crossed_out from a stain); on a
    line with nothing else it is shown as a faint candidate and the item flagged no_mark+faint."""
    stain_min_width_mm: float = 0.8
    """Light ink (below `stain_max_darkness`) at least this thick both ways is the area of a
    stain (a coffee ring's band is ~1.5 mm wide) and is kept apart from the pen ink it touches.
    Pen and pencil strokes are thinner (0.3-0.8 mm) or darker (a felt tip's 1 mm stroke), and a
    dark stroke's light blurred edge is thinner still; a light dot this big touches no darker
    ink, so it is unchanged."""
    stain_max_darkness: float = 0.35
    """Ink lighter than this may be a stain's (simulated ones reach 0.21, a darker ring ~0.3);
    a pen stroke's core is darker (the lightest pencil ~0.40), only its blurred edge is this
    light, and that edge goes with the stain where the stroke crosses it."""
    darkness_min_share: float = 0.25
    """A mark's darkness is judged beside the line's rows only when at least this share of its
    ink lies there; otherwise (a dot, 0.9-1.6 mm across, centred on the line) on all of it."""
    faint_darkness: float = 0.30
    """A mark whose darkest ink (90th percentile) is lighter than this is too faint to trust..."""
    faint_vs_line: float = 0.8
    """... unless it is at least this share of the printed line's darkness in the same strip.
    A 150 dpi or blurred phone scan shows the 0.14 mm printed line at ~0.3 (a 300 dpi scan at
    ~0.5), and thin pencil marks as dark as it, 0.26-0.30: flagged faint though plainly
    visible (low-res seed 11: 5 of 7 flagged clean items). On a 300 dpi scan 0.8 x the line is
    above `faint_darkness`, so the limit there is unchanged."""
    scribble_fill: float = 0.75
    """Ink fraction of a mark's bounding box above which it is a scribble (crossed out)..."""
    scribble_min_mm: float = 3.0
    """... provided the box is at least this big both ways (a dot is dense but small)."""
    scribble_passes: int = 4
    """A blob crossed this many times by a row of pixels (away from the line) is a zigzag
    scribble; an X, a circle or a tick is crossed at most twice."""
    pass_min_run_mm: float = 0.25
    """A row crossing a pen stroke (>= 0.3 mm wide, pencil ~0.25 mm, wider when slanted) runs
    through at least this much ink; shorter runs are where a row grazes the top of a wobbly
    ring or a speck of JPEG noise, which made rings and X's on phone photos look like scribbles."""
    crease_max_darkness: float = 0.35
    """A blob crossing the whole strip that is lighter than this is a fold crease, not ink."""
    crease_span: float = 0.9
    """... where 'whole strip' means this fraction of its height."""
    off_line_max_gap_mm: float = 4.5
    """Ink this near the line that does not touch it is an off-line mark even when it runs out of
    the strip (an off-line tick drawn 1.6-3.5 mm from the line may be 6 mm long); other writing
    coming in from outside the band (a comment under the prompt) stays >= 5.5 mm away."""
    off_line_min_area_mm2: float = 0.3
    """An ink blob in the band that does not touch the line must be this big to be an off-line
    mark rather than a speck."""


@dataclass(frozen=True)
class Strip:
    """One item's band, rectified: `darkness` rows are y, columns x, in form mm via `to_mm`."""

    darkness: np.ndarray  # float32, 0 paper .. 1 black
    x0_mm: float
    y0_mm: float
    px_per_mm: float

    def x_mm(self, col: float) -> float:
        return self.x0_mm + col / self.px_per_mm

    def col(self, x_mm: float) -> float:
        return (x_mm - self.x0_mm) * self.px_per_mm

    def row(self, y_mm: float) -> float:
        return (y_mm - self.y0_mm) * self.px_per_mm


def to_darkness(image: np.ndarray) -> np.ndarray:
    """One channel where ink is dark: the darkest colour channel, so red and blue pens show."""
    if image.ndim == 3:
        b, g, r = cv2.split(image)[:3]
        return cv2.min(cv2.min(b, g), r)  # several times faster than numpy's min over axis 2
    return image


def warp_strip(image: np.ndarray, mm_to_px: np.ndarray, spec: FormSpec, item: Item,
               params: Params) -> Strip:
    """The item's band cut out of the page and rectified, with paper normalised to 0."""
    s = params.strip_px_per_mm
    x0 = spec.line_x_mm - spec.clear_margin_x_mm
    x1 = spec.line_end_x_mm + spec.clear_margin_x_mm
    y0 = item.y_mm - params.strip_half_height_mm
    width = int(round((x1 - x0) * s)) + 1
    height = int(round(2 * params.strip_half_height_mm * s)) + 1
    strip_to_mm = np.array([[1 / s, 0, x0], [0, 1 / s, y0], [0, 0, 1]])
    strip_to_px = mm_to_px @ strip_to_mm
    # Downsampling a high-resolution scan: smooth first so thin strokes are averaged, not skipped.
    px_per_mm_img = _scale_of(mm_to_px, (x0 + x1) / 2, item.y_mm)
    warped = cv2.warpPerspective(image, strip_to_px, (width, height),
                                 flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                                 borderMode=cv2.BORDER_REPLICATE)
    grey = to_darkness(warped)
    if px_per_mm_img > 1.6 * s:
        grey = cv2.GaussianBlur(grey.astype(np.float32), (0, 0), 0.4)
    k = max(3, int(params.paper_window_mm * s) | 1)
    # the local maximum is exact in 8 bits too, and several times faster there
    paper = cv2.dilate(grey, cv2.getStructuringElement(cv2.MORPH_RECT, (k, k)))
    grey, paper = grey.astype(np.float32), paper.astype(np.float32)
    paper = cv2.blur(paper, (k, k))
    darkness = np.clip(1.0 - grey / np.maximum(paper, 1.0), 0.0, 1.0)
    return Strip(darkness, x0, y0, s)


def _scale_of(mm_to_px: np.ndarray, x: float, y: float) -> float:
    """Image px per form mm near (x, y)."""
    pts = np.array([[[x, y], [x + 1.0, y]]], dtype=np.float64)
    a, b = cv2.perspectiveTransform(pts, mm_to_px)[0]
    return float(np.hypot(*(b - a)))


@dataclass(frozen=True)
class LineFit:
    row0: float           # line row at column 0
    slope: float          # rows per column
    darkness: float       # the printed line's darkness at its centre
    found: bool

    def row_at(self, col: float | np.ndarray) -> float | np.ndarray:
        return self.row0 + self.slope * col


def find_line(strip: Strip, spec: FormSpec, item: Item, params: Params) -> LineFit:
    """The printed line as a straight line in the strip.

    Chunks tile the line between the expected end-stops; in each, the line is the darkest row
    of the chunk's low-percentile profile (only the rows it may be on are profiled).
    """
    d, s = strip.darkness, strip.px_per_mm
    h, w = d.shape
    expected = strip.row(item.y_mm)
    c0, c1 = strip.col(spec.line_x_mm), strip.col(spec.line_end_x_mm)
    n = max(1, int(round((c1 - c0) / (params.line_chunk_mm * s))))
    edges = np.linspace(c0, c1, n + 1).round().astype(int)
    lo = int(max(1, expected - params.line_search_mm * s))
    hi = int(min(h - 2, expected + params.line_search_mm * s))
    # profiles[:, i] is row lo - 1 + i: the search rows and one more each side for the peak's
    # sub-row centre
    band = d[lo - 1:hi + 2]
    widths = np.diff(edges)
    if (widths == widths[0]).all():  # one call for all chunks (the usual case)
        chunks = band[:, edges[0]:edges[-1]].reshape(band.shape[0], n, widths[0])
        profiles = np.percentile(chunks, params.line_percentile, axis=2).T  # (chunks, rows)
    else:
        profiles = np.stack([np.percentile(band[:, a:b], params.line_percentile, axis=1)
                             for a, b in zip(edges[:-1], edges[1:])])
    centres = (edges[:-1] + edges[1:]) / 2.0
    rows, cols, peaks = [], [], []
    for prof, c in zip(profiles, centres):
        search = prof[1:-1]
        i = 1 + int(np.argmax(search))
        peak = float(prof[i])
        if peak < params.ink_threshold:
            continue
        win = prof[i - 1:i + 2] - search.min()
        rows.append(lo - 1 + i + float((win * np.arange(-1, 2)).sum() / max(win.sum(), 1e-6)))
        cols.append(c)
        peaks.append(peak)
    if len(rows) < 3:
        return LineFit(expected, 0.0, 0.0, False)
    cols_a, rows_a = np.array(cols), np.array(rows)
    keep = np.abs(rows_a - np.median(rows_a)) < 0.4 * s
    if keep.sum() >= 3:
        cols_a, rows_a = cols_a[keep], rows_a[keep]
    slope, row0 = np.polyfit(cols_a, rows_a, 1)
    return LineFit(float(row0), float(slope), float(np.median(peaks)), True)


def line_image(strip: Strip, line: LineFit, stops_mm: tuple[float, float],
               params: Params) -> np.ndarray:
    """The printed line alone: what of the ink near the line runs on horizontally.

    A horizontal opening keeps ink that continues for `line_open_mm` along x (the printed line,
    including its darkness wobble on a skewed low-resolution scan) and drops anything narrower
    (a pen stroke crossing it). It is never darker than the strip, so subtracting it leaves
    exactly the ink that is not the line.
    """
    d, s = strip.darkness, strip.px_per_mm
    h, w = d.shape
    k = max(3, int(params.line_open_mm * s) | 1)
    # The opening runs along rows only, so only the rows the line crosses need it.
    ends = line.row_at(np.array([0.0, w - 1.0]))
    r0 = int(max(0, np.floor(ends.min() - params.line_rows_mm * s) - 1))
    r1 = int(min(h, np.ceil(ends.max() + params.line_rows_mm * s) + 2))
    out = np.zeros((h, w), np.float32)
    if r1 <= r0:
        return out
    opened = cv2.morphologyEx(d[r0:r1], cv2.MORPH_OPEN,
                              cv2.getStructuringElement(cv2.MORPH_RECT, (k, 1)))
    dy = (np.arange(r0, r1, dtype=np.float32)[:, None]
          - line.row_at(np.arange(w, dtype=np.float32))[None, :])
    near = np.abs(dy) <= params.line_rows_mm * s
    a = int(max(0, np.floor(strip.col(stops_mm[0] - params.stop_clear_mm))))
    b = int(min(w, np.ceil(strip.col(stops_mm[1] + params.stop_clear_mm)) + 1))
    near[:, :a] = False
    near[:, b:] = False
    out[r0:r1] = np.where(near, opened, 0.0)
    return out


def find_stop(strip: Strip, line: LineFit, x_expected_mm: float, spec: FormSpec,
              params: Params) -> tuple[float, bool]:
    """The end-stop's x in form mm (sub-pixel), and whether it was found rather than assumed.

    An end-stop is a short vertical stroke reaching `stop_height/2` above and below the line and
    no further; a pen mark at the stop reaches further, so it is not taken for one.
    """
    d, s = strip.darkness, strip.px_per_mm
    h, w = d.shape
    c_exp = strip.col(x_expected_mm)
    half = spec.stop_height_mm / 2
    lo = int(max(0, c_exp - params.stop_search_mm * s))
    hi = int(min(w - 1, c_exp + params.stop_search_mm * s))
    r_line = float(line.row_at(c_exp))
    inner = [int(r_line + sign * k * s) for sign in (-1, 1) for k in np.arange(0.5, half - 0.3, 1 / s)]
    inner = [r for r in inner if 0 <= r < h]
    prof = d[inner, lo:hi + 1].mean(axis=0)
    # Clear paper beyond the stop's tips on at least one side: a mark drawn over the stop often
    # runs on past one tip, seldom past both exactly in the stop's column.
    beyond = np.full(prof.shape, np.inf)
    for sign in (-1, 1):
        outer = [int(r_line + sign * k * s)
                 for k in np.arange(half + 0.6, params.strip_half_height_mm - 0.2, 1 / s)]
        outer = [r for r in outer if 0 <= r < h]
        if outer:
            beyond = np.minimum(beyond, d[outer, lo:hi + 1].mean(axis=0))
    stop_like = np.where(beyond < 0.3 * np.maximum(prof, 1e-3), prof, 0.0)
    if stop_like.size == 0 or stop_like.max() < params.ink_threshold:
        return x_expected_mm, False
    # A pen mark beside the stop can look as stop-like as the stop (a bent tick's middle is dark
    # and has clear paper above and below it): among stop-like columns prefer the one nearest
    # where the homography puts the stop, which is where the stop almost always is.
    dx_mm = (np.arange(lo, hi + 1) - c_exp) / s
    prior = np.exp(-0.5 * (dx_mm / params.stop_prior_mm) ** 2)
    i = int(np.argmax(np.where(stop_like >= params.ink_threshold, stop_like * prior, 0.0)))
    r = int(round(0.4 * s))
    a, b = max(0, i - r), min(len(prof), i + r + 1)
    wts = np.clip(prof[a:b] - params.ink_threshold / 2, 0, None)
    col = lo + a + float((wts * np.arange(b - a)).sum() / max(wts.sum(), 1e-6))
    x = strip.x_mm(col)
    if abs(x - x_expected_mm) > params.stop_max_shift_mm:
        return x_expected_mm, False
    return x, True


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
    pen = np.maximum(d - line_only, 0.0)  # the line image is never darker than the strip
    rows = np.arange(h, dtype=np.float32)[:, None]
    dy = rows - line.row_at(np.arange(w, dtype=np.float32))[None, :]  # rows from the line
    # Distance of each pixel from the printed line. Around an end-stop the printed ink is
    # cleared away, and the cleared box counts as part of the line: a mark at 0 or 10 drawn
    # over the stop survives only above and below it, and still touches the line.
    dist = np.abs(dy)
    stop_reach = (spec_half_stop + 0.4) * s
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
    # Specks (JPEG ringing, pencil grain) are joined to a nearby mark by the closing below; they
    # count towards its ink but not towards how often a row crosses it (`_passes`): two specks
    # between an X's arms would make it a four-pass scribble.
    n0, lab0, st0 = _components(mask)
    speck = st0[:, cv2.CC_STAT_AREA] < params.min_mark_area_mm2 * s**2
    speck[0] = False
    bridge = cv2.getStructuringElement(cv2.MORPH_RECT, (1, max(3, int(params.bridge_mm * s) | 1)))
    joined = cv2.morphologyEx(mask, cv2.MORPH_CLOSE, bridge)
    # A dot or a stroke drawn over an end-stop is cut in two where the stop is cleared; a row
    # with ink on both sides of the cleared columns is one mark across them, so its halves are
    # one blob (and judged as one: neither half alone looks like a dot).
    for ca, cb in stop_cols:
        if cb > ca and ca >= 2 and cb + 2 <= w:
            across = (cleared[:, ca] & mask[:, ca - 2:ca].any(axis=1)
                      & mask[:, cb:cb + 2].any(axis=1))
            joined[across, ca:cb] = 1
    joined, stain = _apart_from_stains(joined, mask, pen, s, params)
    n, labels, stats = _components(joined)
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
        if not _within_reach(gap_mm, touches_edge, band_mm, params):
            continue  # other writing coming in from outside the band: not worth measuring
        sub_dy = dy[y:y + bh, x:x + bw]
        in_line_rows = np.abs(sub_dy[ink]).max() <= (params.line_rows_mm + 0.3) * s
        if in_line_rows and (area < params.line_speck_area_mm2
                             or bh < params.line_piece_height_mm * s):
            continue
        if any(a <= x and x + bw <= b for a, b in zones) and (
                np.abs(sub_dy[ink]).max() <= stop_reach
                and not _dot_on_stop(ink, s, params)):
            continue  # what is left of a stop the opening missed (a jagged 1-bit stop)
        if _stop_remnant_and_line_piece(ink, sub_dy, x, zones, stop_reach, s, params):
            continue
        darkness = _darkness(d[y:y + bh, x:x + bw], ink, np.abs(sub_dy), s, params, band_mm)
        sub_pen = np.where(ink, pen[y:y + bh, x:x + bw], 0.0)
        blobs.append(Blob(
            x_mm=strip.x_mm(x + _crossing_col(sub_pen, sub_dy, s, params)),
            gap_mm=gap_mm,
            area_mm2=float(area), width_mm=bw / s, height_mm=bh / s,
            fill=float(ink.sum() / (bw * bh)),
            darkness=darkness,
            has_hole=_has_hole(sub, s),
            passes=_passes(ink & ~speck[lab0[y:y + bh, x:x + bw]], sub_dy, s, params),
            touches_edge=touches_edge,
            cols=(int(x), int(x + bw)),
            label=k,
            stain=bool(stain[y:y + bh, x:x + bw][sub].any()),
        ))
    pen[mask == 0] = 0.0  # what the blobs were measured on is kept: their ink only
    return blobs, PenInk(pen, labels, dy, cleared)


def _within_reach(gap_mm: float, touches_edge: bool, band_mm: float, params: Params) -> bool:
    """Whether ink this far from the line can be a mark for the item: on the line, or off it
    but near it or wholly inside the band. Ink reaching the strip's edge may be other writing
    coming in from outside the band, unless it comes as near the line as a mark drawn just off
    it does."""
    return (gap_mm <= max(params.touch_mm, params.off_line_max_gap_mm)
            or (gap_mm < band_mm - 0.5 and not touches_edge))


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


def _apart_from_stains(joined: np.ndarray, mask: np.ndarray, pen: np.ndarray, s: float,
                       params: Params) -> tuple[np.ndarray, np.ndarray]:
    """`joined` with a stain's ink cut one pixel apart from the pen ink it touches, so that each
    is a blob of its own: a coffee ring crossed by a tick made one blob that a row crossed four
    times (ring, tick, ring) and read as a scribble (messy seed 12, crossed_out). The stain is
    then judged on its own: as a stain (never beside a real mark) when lighter than
    `stain_darkness`, else as a mark of its own, never merged with the mark it touched
    (flagged); the tick as a tick. Also returns where the stain is."""
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
    beside = cv2.dilate(dark.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)
    return (dark | (stain & ~beside)).astype(np.uint8), stain


def _stop_remnant_and_line_piece(ink: np.ndarray, dy: np.ndarray, x: int,
                                 zones: list[tuple[int, int]], stop_reach: float, s: float,
                                 params: Params) -> bool:
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
    if _dot_on_stop(ink, s, params):
        return False
    out_dy = np.abs(dy[:, ~in_zone][outside])
    out_rows = np.nonzero(outside.any(axis=1))[0]
    return bool(np.abs(dy[:, in_zone][inside]).max() <= stop_reach
                and out_dy.max() <= (params.line_rows_mm + 0.3) * s
                and out_rows.max() - out_rows.min() + 1 < params.line_piece_height_mm * s)


def _dot_on_stop(ink: np.ndarray, s: float, params: Params) -> bool:
    """Ink in an end-stop's zone that is a pen dot over the stop, not what is left of the stop:
    wider than the stop's remnant and with more ink than one."""
    cols = np.nonzero(ink.any(axis=0))[0]
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
    enough = max(4.0, params.darkness_min_share * ink.sum())
    for where in (near, off_rows):
        if where.sum() >= enough:
            return float(np.percentile(d[where], 90))
    return float(np.percentile(d[ink], 90))


def group_x_mm(strip: Strip, ink: PenInk, group: list[Blob], params: Params) -> float:
    """Where a mark made of one or more blobs meets the line, fitted on all of its ink at once.

    Pieces of one mark (cut by the line's or a stop's removal) are fitted together, not
    averaged, so a small piece does not count less than its share of the crossing.
    """
    s = strip.px_per_mm
    x0 = min(b.cols[0] for b in group)
    x1 = max(b.cols[1] for b in group)
    labels = ink.labels[:, x0:x1]
    mine = np.isin(labels, [b.label for b in group])
    rows = np.nonzero(mine.any(axis=1))[0]
    y0, y1 = int(rows.min()), int(rows.max()) + 1
    pen = np.where(mine[y0:y1], ink.pen[y0:y1, x0:x1], 0.0)
    dy = ink.dy[y0:y1, x0:x1]
    # A ring drawn round the value with one side on an end-stop loses that side where the stop
    # is cleared, and the other side alone pulls the fit by its radius. A ring is still closed
    # with the cleared box filled in; it is then fitted on its rows that kept both sides (the
    # rest of the ring is symmetric about its centre). Only for rings: an X far from the line
    # may keep one arm only.
    pad = 2  # px: a stop cleared right up to the ring's side leaves no cleared pixel inside it
    cleared = ink.cleared[y0:y1, max(0, x0 - pad):x1 + pad]
    if cleared.any() and _has_hole(
            np.isin(ink.labels[y0:y1, max(0, x0 - pad):x1 + pad], [b.label for b in group])
            | cleared, s):
        skip = cleared.any(axis=1)
        if (~skip & (pen.sum(axis=1) > 0)).sum() >= 3:
            return strip.x_mm(x0 + _crossing_col(pen, dy, s, params, skip_rows=skip))
    col = _crossing_col(pen, dy, s, params)
    if ink.cleared[y0:y1, x0:x1].any():
        arms = _x_arms_col(pen, dy, ink.cleared[y0:y1, x0:x1], s, params)
        if arms is not None and abs(arms - col) <= params.x_arms_max_shift_mm * s:
            col = arms
    return strip.x_mm(x0 + col)


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
    row_dy = np.median(dy, axis=1)
    k = 2 * int(round(params.x_arms_clear_gap_mm * s)) + 1
    near_cleared = cv2.dilate(cleared.astype(np.uint8), np.ones((1, k), np.uint8)).astype(bool)
    arm_pts: tuple[list, list] = ([], [])
    for r in np.nonzero((np.abs(row_dy) >= params.line_rows_mm * s)
                        & (np.abs(row_dy) <= 3.0 * s))[0]:
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
    if not (b1 > 0.3 and b2 < -0.3):  # the down-right arm, then the down-left one
        return None
    return float((a1 + a2) / 2)


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
    rows = (dist[:, a:b] >= 0.3 * half_px) & (dist[:, a:b] <= half_px)
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


def _crossing_col(pen: np.ndarray, dy: np.ndarray, s: float, params: Params,
                  skip_rows: np.ndarray | None = None) -> float:
    """Column where the ink meets the line: per-row ink centroids near the line, fitted x(dy).

    A tick or slanted stroke gives its crossing; an X or a circle is symmetric about its centre,
    so the centroid of both of its sides is the centre.
    """
    cols = np.arange(pen.shape[1], dtype=np.float64)
    row_w = pen.sum(axis=1)
    row_dy = np.median(dy, axis=1)
    known = np.ones(len(row_w), bool) if skip_rows is None else ~skip_rows
    near = (np.abs(row_dy) <= params.fit_rows_mm * s) & (row_w > 0) & known
    if near.sum() < 3:
        near = (row_w > 0) & known
    if near.sum() < 3:
        near = row_w > 0
    if near.sum() == 0:
        return pen.shape[1] / 2
    xc = (pen[near] * cols).sum(axis=1) / row_w[near]
    wts, ys = row_w[near], row_dy[near]
    if near.sum() >= 3 and np.ptp(ys) > 2:
        slope, icpt = np.polyfit(ys, xc, 1, w=np.sqrt(wts))
        if abs(slope) < 3:  # steeper than ~70 deg from vertical: the fit is ill-posed
            return float(icpt)
    # a mark that does not straddle the line rows: the ink nearest the line
    return float((xc * wts).sum() / wts.sum())


def _passes(ink: np.ndarray, dy: np.ndarray, s: float, params: Params) -> int:
    """The most separate ink runs along a row 1-3 mm from the line (where an X's arms part).

    Runs shorter than `pass_min_run_mm` do not count: there the row only grazes the top of a
    curve (a ring's wobbly top arc) or a speck, rather than crossing a stroke.
    """
    rows = np.abs(np.median(dy, axis=1))
    chosen = ink[(rows >= 1.0 * s) & (rows <= 3.0 * s)]
    if chosen.size == 0:
        return 0
    # every run of ink along every chosen row at once: starts and ends pair up row by row,
    # since np.nonzero walks the rows in order
    edges = np.diff(chosen.astype(np.int8), axis=1, prepend=0, append=0)
    start_rows, starts = np.nonzero(edges == 1)
    _, ends = np.nonzero(edges == -1)
    long_runs = start_rows[ends - starts >= params.pass_min_run_mm * s]
    return int(np.bincount(long_runs).max()) if long_runs.size else 0


def _has_hole(region: np.ndarray, s: float) -> bool:
    contours, hierarchy = cv2.findContours(region.astype(np.uint8), cv2.RETR_CCOMP,
                                           cv2.CHAIN_APPROX_SIMPLE)
    if hierarchy is None:
        return False
    for c, hinfo in zip(contours, hierarchy[0]):
        if hinfo[3] >= 0 and cv2.contourArea(c) > 1.0 * s * s:
            return True
    return False


def _kind(b: Blob, params: Params) -> str:
    if min(b.width_mm, b.height_mm) > params.scribble_min_mm and (
            b.fill > params.scribble_fill or b.passes >= params.scribble_passes):
        return "scribble"
    if b.has_hole:
        return "circle"
    if b.width_mm < 2.0 and b.height_mm < 2.0:
        return "dot"
    if b.width_mm < 0.7 * b.height_mm:
        return "tick"
    if 0.5 < b.width_mm / b.height_mm < 2.0:
        return "cross"
    return "stroke"


def _merge(blobs: list[Blob], gap_px: float, cleared_cols: np.ndarray) -> list[list[Blob]]:
    """Group blobs whose column ranges overlap or nearly touch: pieces of one mark.

    Columns where a printed end-stop was cleared away do not count towards the gap: a mark
    drawn over the stop loses its middle there, and its halves are still one mark.
    """
    groups: list[list[Blob]] = []
    for b in sorted(blobs, key=lambda b: b.cols[0]):
        end = max(g.cols[1] for g in groups[-1]) if groups else 0
        gap = int((~cleared_cols[end:b.cols[0]]).sum()) if b.cols[0] > end else b.cols[0] - end
        if groups and gap <= gap_px:
            groups[-1].append(b)
        else:
            groups.append([b])
    return groups


def _value_cm(x_mm: float, stops: tuple[float, float]) -> float:
    v = 10.0 * (x_mm - stops[0]) / (stops[1] - stops[0])
    return float(min(10.0, max(0.0, v)))


def read_item(image: np.ndarray, mm_to_px: np.ndarray, spec: FormSpec, item: Item,
              params: Params = Params()) -> ItemResult:
    """Measure one item: its end-stops, its marks, its value or the flags that stop a value."""
    strip = warp_strip(image, mm_to_px, spec, item, params)
    line = find_line(strip, spec, item, params)
    (xl, _), (xr, _) = spec.line_ends_mm(item)
    left, _ = find_stop(strip, line, xl, spec, params)
    right, _ = find_stop(strip, line, xr, spec, params)
    stops = (left, right)
    line_only = line_image(strip, line, stops, params)
    blobs, ink = find_blobs(strip, line, line_only, stops, spec.stop_height_mm / 2, params,
                            spec.clear_band_mm)
    s = strip.px_per_mm
    band = spec.clear_band_mm

    light = [b for b in blobs if b.darkness < params.stain_darkness]
    blobs = [b for b in blobs if b.darkness >= params.stain_darkness]
    on_line = [b for b in blobs if b.gap_mm <= params.touch_mm]
    strip_h_mm = strip.darkness.shape[0] / s
    on_line = [b for b in on_line  # a fold crease crossing the band is long, thin and light
               if not (b.height_mm >= params.crease_span * strip_h_mm
                       and b.darkness < params.crease_max_darkness)]
    # Ink in the band that does not touch the line (find_blobs kept only ink within reach).
    off_line = [b for b in blobs if b.gap_mm > params.touch_mm
                and _within_reach(b.gap_mm, b.touches_edge, band, params)
                and b.area_mm2 >= params.off_line_min_area_mm2
                and xl - spec.clear_margin_x_mm + 1 < b.x_mm < xr + spec.clear_margin_x_mm - 1]

    ref = max(line.darkness, 1e-3)
    found: list[tuple[Candidate, float]] = []  # with the mark's absolute darkness
    # Off-line ink beside a mark on the line is a piece of that mark (an X or circle drawn over
    # an end-stop loses its middle where the stop is cleared): merged with it, fitted with it.
    touching = {id(b) for b in on_line}
    pen_marks = [b for b in on_line + off_line if not b.stain]
    for group in _merge(pen_marks, params.merge_gap_mm * s, ink.cleared.any(axis=0)):
        on = [b for b in group if id(b) in touching]
        if not on:
            for b in group:
                found.append((_candidate(b, b.x_mm, False, stops, ref, params), b.darkness))
            continue
        x_mm = group_x_mm(strip, ink, group, params)
        found.append((_candidate(max(on, key=lambda b: b.area_mm2), x_mm, True, stops, ref,
                                 params), max(b.darkness for b in on)))
    # A stain as dark as ink is a mark of its own, never a piece of the pen mark it touched:
    # merged, it would pull that mark's fit aside; alone, it flags the item.
    for b in on_line + off_line:
        if b.stain:
            found.append((_candidate(b, b.x_mm, id(b) in touching, stops, ref, params),
                          b.darkness))

    flags = _item_flags(found, line.darkness if line.found else 1.0, params)
    if not found:
        # Nothing but light ink touches the line: no mark to read, but show a person what is there.
        faint = [b for b in light if b.gap_mm <= params.touch_mm]
        for group in _merge(faint, params.merge_gap_mm * s, ink.cleared.any(axis=0)):
            found.append((_candidate(max(group, key=lambda b: b.area_mm2),
                                     group_x_mm(strip, ink, group, params), True, stops, ref,
                                     params), max(b.darkness for b in group)))
        if found:
            flags = (NO_MARK, FAINT)
    candidates = tuple(c for c, _ in found)
    value = candidates[0].value_cm if not flags else None
    return ItemResult(item_id=item.id, value_cm=value, flags=flags, candidates=candidates,
                      line_ends_x_mm=(round(left, 3), round(right, 3)))


def _candidate(b: Blob, x_mm: float, touches: bool, stops: tuple[float, float], ref: float,
               params: Params) -> Candidate:
    kind = _kind(b, params)
    return Candidate(x_mm=round(x_mm, 3), value_cm=round(_value_cm(x_mm, stops), 3), kind=kind,
                     touches_line=touches, crossed_out=kind == "scribble",
                     contrast=round(min(1.0, b.darkness / ref), 3))


def _item_flags(found: list[tuple[Candidate, float]], line_darkness: float,
                params: Params) -> tuple[str, ...]:
    """Flag rather than guess: a value only for exactly one clear, live mark on the line."""
    flags: list[str] = []
    live = [(c, dark) for c, dark in found if c.touches_line and not c.crossed_out]
    if any(c.crossed_out for c, _ in found):
        flags.append(CROSSED_OUT)
    if len(live) > 1:
        flags.append(MULTIPLE_MARKS)
    if any(not c.touches_line and not c.crossed_out for c, _ in found):
        flags.append(OFF_LINE)
    if not found:
        flags.append(NO_MARK)
    # Faint means lighter than the limit *and* clearly lighter than the printed line in this
    # scan: a low-resolution or blurred scan lightens every thin stroke, the 0.14 mm line
    # included, and a pencil mark as dark as the line is as plain to see as the line.
    limit = min(params.faint_darkness, params.faint_vs_line * line_darkness)
    if any(dark < limit for _, dark in live):
        flags.append(FAINT)
    return tuple(flags)
