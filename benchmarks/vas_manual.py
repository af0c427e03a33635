"""A careful manual measurement of the real filled VAS copy (../shared/realdata/vas_pen_marks).

How: render the scan at its own 600 dpi (`pdftoppm -r 600`), look at zoomed crops of each
line's two end ticks and its pen mark (this script writes them, with a pixel grid, to
OUT/lineN.png), and measure on the pixels:
- an end tick: the darkness-weighted column centre over the tick's rows 0.6-1.5 mm above and
  below the line (the line's own rows left out);
- the tick mark on line 1: the same centre of the blue pen ink just above and below the line;
- the X on line 2: the crossing of its two arms, each fitted as a straight line to its ink
  (also printed: the middle of the two arms on the line's own row);
- the filled blob on line 3: the middle of its extent on the line's rows (by eye on the crop:
  2043-2137 px, i.e. 30.45 mm; the saturated-blue pen mask gives 2044-2130 px, 30.32 mm).
Value = 100 * (mark - left tick) / (right tick - left tick): mm of the line's 100.

Usage: python benchmarks/vas_manual.py [OUT_DIR]
"""

import subprocess
import sys
import tempfile
from pathlib import Path

import cv2
import numpy as np

SCAN = Path(__file__).resolve().parents[2] / "shared/realdata/vas_pen_marks/VAS_sample_01.pdf"
# (line row, left tick, right tick, the mark's column range) in px at 600 dpi, found by eye
LINES = {1: (2882, 1400, 3690, (1870, 1900)), 2: (3779, 1395, 3688, (3050, 3130)),
         3: (4673, 1391, 3684, (2030, 2145))}


def centroid(w: np.ndarray, rows: np.ndarray, c0: int, c1: int) -> float:
    prof = w[rows, c0:c1].sum(axis=0)
    prof = np.clip(prof - np.percentile(prof, 20), 0, None)
    return c0 + float((prof * np.arange(c1 - c0)).sum() / prof.sum())


def crossing_of_arms(pen: np.ndarray, y: int, c0: int, c1: int) -> tuple[float, float, float]:
    """(x, y) where an X's two arms cross, and the arms' middle on row y."""
    ys, xs = np.nonzero(pen[y - 60:y + 60, c0:c1])
    ys, xs = ys + y - 60, xs + c0
    a1 = np.polyfit([y - 50, y + 50], [c0 + 10, c1 - 10], 1)
    a2 = np.polyfit([y - 50, y + 50], [c1 - 10, c0 + 10], 1)
    for _ in range(10):  # assign each pixel to the nearer arm, refit both
        near1 = np.abs(xs - np.polyval(a1, ys)) < np.abs(xs - np.polyval(a2, ys))
        a1, a2 = np.polyfit(ys[near1], xs[near1], 1), np.polyfit(ys[~near1], xs[~near1], 1)
    yc = (a2[1] - a1[1]) / (a1[0] - a2[0])
    return float(np.polyval(a1, yc)), float(yc), float((np.polyval(a1, y) + np.polyval(a2, y)) / 2)


def main() -> None:
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(tempfile.mkdtemp())
    out.mkdir(parents=True, exist_ok=True)
    subprocess.run(["pdftoppm", "-r", "600", "-png", "-singlefile", str(SCAN), str(out / "scan")],
                   check=True)
    im = cv2.imread(str(out / "scan.png"))
    f = im.astype(np.float32)
    dark = 1 - f.min(axis=2) / 255.0                               # any ink
    pen = ((f[..., 0] - f[..., 2]) > 90) & (f[..., 2] < 140)      # saturated ballpoint blue
    for n, (y, left, right, (c0, c1)) in LINES.items():
        tick_rows = np.r_[y - 35:y - 15, y + 15:y + 35]
        lt = centroid(dark, tick_rows, left - 12, left + 12)
        rt = centroid(dark, tick_rows, right - 12, right + 12)
        if n == 1:
            mark = centroid(pen.astype(np.float32), np.r_[y - 30:y - 8, y + 8:y + 30], c0, c1)
            how = "tick: centre of its ink beside the line"
        elif n == 2:
            mark, yc, mid = crossing_of_arms(pen, y, c0, c1)
            how = (f"X: arms cross at ({mark:.1f}, {yc:.1f}); their middle on the line's row "
                   f"{mid:.1f} px = {100 * (mid - lt) / (rt - lt):.2f} mm")
        else:
            cols = np.nonzero(pen[y - 12:y + 13, c0:c1].any(axis=0))[0] + c0
            mark = (cols.min() + cols.max()) / 2
            how = f"blob: middle of {cols.min()}..{cols.max()} px on the line's rows"
        value = 100 * (mark - lt) / (rt - lt)
        print(f"line {n}: ticks {lt:.1f} .. {rt:.1f} px ({(rt - lt) / 600 * 25.4:.2f} mm on "
              f"paper), mark {mark:.1f} px -> {value:.2f} mm ({how})")
        crops = [im[y - 40:y + 40, x - 20:x + 20] for x in (left, (c0 + c1) // 2, right)]
        cv2.imwrite(str(out / f"line{n}.png"), np.hstack(
            [cv2.resize(c, (400, 800), interpolation=cv2.INTER_NEAREST) for c in crops]))


if __name__ == "__main__":
    main()
