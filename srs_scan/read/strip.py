"""One item's strip: the band around its line warped to form millimetres, the printed line and its end-stops.

The strip is rectified through the homography at a fixed resolution, so everything after it
works in form millimetres whatever the scan's DPI or orientation. The end-stops are found as
they were actually printed, so a sheet printed at 94-97 % reads the same as one at 100 %.
This module does not look at pen marks (`blobs.py`).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from srs_scan.read.params import Params
from srs_scan.read.stats import median, percentile
from srs_scan.sheets.spec import FormSpec, Item


@dataclass(frozen=True)
class Strip:
    """One item's band, rectified: `darkness` rows are y, columns x, in form mm via `to_mm`."""

    darkness: np.ndarray  # float32, 0 paper .. 1 black
    x0_mm: float
    y0_mm: float
    px_per_mm: float
    half_height_mm: float  # the strip reaches this far above and below the line
    colour: np.ndarray | None = None  # the same pixels in BGR (uint8), from a colour scan only

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
    (xl, _), (xr, _) = spec.line_ends_mm(item)
    x0 = xl - spec.clear_margin_x_mm
    x1 = xr + spec.clear_margin_x_mm
    half = spec.clear_band_mm + params.strip_beyond_band_mm
    y0 = item.y_mm - half
    width = int(round((x1 - x0) * s)) + 1
    height = int(round(2 * half * s)) + 1
    strip_to_mm = np.array([[1 / s, 0, x0], [0, 1 / s, y0], [0, 0, 1]])
    strip_to_px = mm_to_px @ strip_to_mm
    # Downsampling a high-resolution scan: smooth first so thin strokes are averaged, not skipped.
    px_per_mm_img = _scale_of(mm_to_px, (x0 + x1) / 2, item.y_mm)
    warped = cv2.warpPerspective(image, strip_to_px, (width, height),
                                 flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                                 borderMode=cv2.BORDER_REPLICATE)
    grey = to_darkness(warped)
    if px_per_mm_img > params.smooth_above_ratio * s:
        grey = cv2.GaussianBlur(grey.astype(np.float32), (0, 0), params.smooth_sigma_px)
    paper = paper_level(grey, max(3, int(params.paper_window_mm * s) | 1))
    # darkness = clip(1 - grey / max(paper, 1), 0, 1), in place: the same float32 steps without
    # four strip-sized temporaries (this runs on every item of every page)
    darkness = grey.astype(np.float32)
    np.maximum(paper, 1.0, out=paper)
    np.divide(darkness, paper, out=darkness)
    np.subtract(1.0, darkness, out=darkness)
    np.clip(darkness, 0.0, 1.0, out=darkness)
    return Strip(darkness, x0, y0, s, half, warped if warped.ndim == 3 else None)


def paper_level(grey: np.ndarray, k: int) -> np.ndarray:
    """The paper's brightness around each pixel (float32): the brightest value in the k x k
    window, averaged over a k x k window. The same numbers as `cv2.dilate` and then `cv2.blur`
    of a float32 copy (tests/test_paper_estimate.py), in about a third of their time: the
    maximum in a few whole-array steps, the mean summed in float64 and rounded once."""
    brightest = _local_max(_local_max(grey, k, 1), k, 0)
    return cv2.boxFilter(brightest, cv2.CV_64F, (k, k)).astype(np.float32)


def _local_max(a: np.ndarray, k: int, axis: int) -> np.ndarray:
    """The maximum over a centred window of `k` (odd) values along `axis` (0 rows, 1 columns),
    for values >= 0; the window is cut short at the ends. As `cv2.dilate` with a k x 1 kernel,
    value for value, in a few whole-array maxima instead of k per value: a run of 2n is the
    maximum of two runs of n, so 1, 2, 4, ... 64 and then two overlapping runs of 64 make 97
    (the paper window, 8 mm at 12 px/mm, is wide and this runs on every item)."""
    h = k // 2
    pad = (h, h, 0, 0) if axis == 0 else (0, 0, h, h)
    run = cv2.copyMakeBorder(a, *pad, cv2.BORDER_CONSTANT, value=0)  # 0: never the maximum
    span = 1  # run[i] is the maximum of the `span` values from i on
    while 2 * span <= k:
        ahead = run[span:] if axis == 0 else run[:, span:]
        here = run[:-span] if axis == 0 else run[:, :-span]
        run = cv2.max(here, ahead)  # a new array: no reading of values this step has written
        span *= 2
    n, rest = a.shape[axis], k - span
    if axis == 0:
        return cv2.max(run[:n], run[rest:rest + n])
    return cv2.max(run[:, :n], run[:, rest:rest + n])


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
    (xl, _), (xr, _) = spec.line_ends_mm(item)
    c0, c1 = strip.col(xl), strip.col(xr)
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
        profiles = percentile(chunks, params.line_percentile, axis=2).T  # (chunks, rows)
    else:
        profiles = np.stack([percentile(band[:, a:b], params.line_percentile, axis=1)
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
    if len(rows) < params.line_min_chunks:
        return LineFit(expected, 0.0, 0.0, False)
    cols_a, rows_a = np.array(cols), np.array(rows)
    keep = np.abs(rows_a - median(rows_a)) < params.line_outlier_mm * s
    if keep.sum() >= params.line_min_chunks:
        cols_a, rows_a = cols_a[keep], rows_a[keep]
    slope, row0 = np.polyfit(cols_a, rows_a, 1)
    return LineFit(float(row0), float(slope), float(median(peaks)), True)


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
    ks = np.arange(params.stop_rows_start_mm, half - params.stop_tip_gap_mm, 1 / s)
    inner = _rows_at(r_line, np.concatenate((-ks, ks)), s, h)  # above the line, then below
    prof = d[inner, lo:hi + 1].mean(axis=0)
    # Clear paper beyond the stop's tips on at least one side: a mark drawn over the stop often
    # runs on past one tip, seldom past both exactly in the stop's column.
    beyond = np.full(prof.shape, np.inf)
    ks = np.arange(half + params.stop_beyond_mm, strip.half_height_mm - params.strip_edge_mm, 1 / s)
    for sign in (-1, 1):
        outer = _rows_at(r_line, sign * ks, s, h)
        if outer.size:
            beyond = np.minimum(beyond, d[outer, lo:hi + 1].mean(axis=0))
    stop_like = np.where(beyond < params.stop_beyond_ratio * np.maximum(prof, 1e-3), prof, 0.0)
    if stop_like.size == 0 or stop_like.max() < params.ink_threshold:
        return x_expected_mm, False
    # A pen mark beside the stop can look as stop-like as the stop (a bent tick's middle is dark
    # and has clear paper above and below it): among stop-like columns prefer the one nearest
    # where the homography puts the stop, which is where the stop almost always is.
    dx_mm = (np.arange(lo, hi + 1) - c_exp) / s
    prior = np.exp(-0.5 * (dx_mm / params.stop_prior_mm) ** 2)
    i = int(np.argmax(np.where(stop_like >= params.ink_threshold, stop_like * prior, 0.0)))
    r = int(round(params.stop_centroid_mm * s))
    a, b = max(0, i - r), min(len(prof), i + r + 1)
    wts = np.clip(prof[a:b] - params.ink_threshold * params.stop_weight_share, 0, None)
    col = lo + a + float((wts * np.arange(b - a)).sum() / max(wts.sum(), 1e-6))
    x = strip.x_mm(col)
    if abs(x - x_expected_mm) > params.stop_max_shift_mm:
        return x_expected_mm, False
    return x, True


def _rows_at(row: float, offsets_mm: np.ndarray, s: float, h: int) -> np.ndarray:
    """The strip rows `offsets_mm` from `row` (truncated, as `int()` does), those in the strip."""
    rows = (row + offsets_mm * s).astype(np.int64)
    return rows[(rows >= 0) & (rows < h)]


def find_end(strip: Strip, line: LineFit, x_expected_mm: float, outward: int,
             params: Params) -> tuple[float, bool]:
    """A line printed without end-stops ends where its ink does: walking outward (`outward`
    -1 for the left end, +1 for the right) from inside the line, the sub-pixel column where its
    darkness falls below half the line's. Returns the x in form mm and whether it was found."""
    d, s = strip.darkness, strip.px_per_mm
    h, w = d.shape
    c_exp = strip.col(x_expected_mm)
    lo = int(max(0, c_exp - params.stop_search_mm * s))
    hi = int(min(w - 1, c_exp + params.stop_search_mm * s))
    if hi <= lo or not line.found:
        return x_expected_mm, False
    cols = np.arange(lo, hi + 1)
    rows = np.clip(np.round(line.row_at(cols)).astype(int), 1, h - 2)
    prof = np.max([d[rows + k, cols] for k in (-1, 0, 1)], axis=0)
    # a pen stroke crossing here has ink above and below the line's rows too
    off = [int(round(k * s)) for k in (-2.0, -1.5, -1.0, 1.0, 1.5, 2.0)]
    crossed = np.max([d[np.clip(rows + k, 0, h - 1), cols] for k in off], axis=0) \
        >= params.ink_threshold
    half = line.darkness / 2
    order = list(range(len(cols) - 1, -1, -1) if outward < 0 else range(len(cols)))
    if prof[order[0]] < half or crossed[order[0]]:
        return x_expected_mm, False
    for prev, i in zip(order, order[1:]):
        if crossed[i]:
            # a mark over the line's end hides where the line stops: if the line does not go
            # on beyond the mark, keep where the registration puts the end
            beyond = [j for j in order[order.index(i):] if not crossed[j]]
            if not beyond or prof[beyond[0]] < half:
                return x_expected_mm, False
            continue
        if prof[i] < half:  # between prev (ink) and i (paper): interpolate the half point
            t = (prof[prev] - half) / max(prof[prev] - prof[i], 1e-6)
            return strip.x_mm(cols[prev] + t * (cols[i] - cols[prev])), True
    return x_expected_mm, False
