"""Is the reader as fast as it was? CPU time of `read_page` for this checkout against another revision.

    python benchmarks/speed_vs.py --baseline REV [--pages 20] [--profiles office,messy] [--rounds 8] [--repeats 3]

Simulates `--pages` pages of each profile once (with this checkout's simulator), then in each of
`--rounds` rounds reads every page with this checkout's code and with REV's (`git archive REV`),
taking the two in turn (first one, then the other, swapping each round) so that a shared machine's
load falls on both alike. Each read runs in its own single process: pages are decoded first
(`pages.load_page`, not timed), then `reader.read_page` is timed on each page with CPU time
(`time.process_time`), so other processes on the machine do not count, and the least of
`--repeats` reads of the page is kept. OpenCV runs on one thread, as in each worker of
`srs-scan scan` (its idle pool threads spinning on a busy machine would count as CPU time
otherwise). Prints pages per CPU-second per round, the medians and their ratio, and the median
of each round's own ratio (the two reads of a round run back to back, under the same load). Timing is measured here, never in the tests.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from same_readings import ROOT, checkout  # noqa: E402

# Run in a child with PYTHONPATH set to one revision's code: prints CPU seconds for all pages.
CHILD = """
import json, os, sys, time
from pathlib import Path
import cv2
cv2.setNumThreads(1)  # as in each batch worker (pipeline._init_worker): CPU time is then the read's own
from srs_scan.read.pages import count_pages, load_page
from srs_scan.read.reader import read_page
from srs_scan.sheets.spec import load_form_library
forms = load_form_library()
images = []
for f in sys.argv[1:]:
    for n in range(1, count_pages(Path(f)) + 1):
        images.append(load_page(Path(f), n))
REPEATS = int(os.environ["SPEED_VS_REPEATS"])


def cpu(im):
    start = time.process_time()
    read_page(im.image, forms, im.source, im.page)
    return time.process_time() - start


read_page(images[0].image, forms, "warm-up", 1)
# each page read REPEATS times, its least CPU time kept (as timeit does): a busy machine's
# interruptions only ever add time, so the least is nearest the read's own cost
best = [min(cpu(im) for _ in range(REPEATS)) for im in images]
print(json.dumps({"pages": len(images), "cpu": sum(best)}))
"""


def cpu_rate(code: Path, files: list[Path], repeats: int) -> float:
    env = dict(os.environ, PYTHONPATH=str(code), OMP_NUM_THREADS="1",
               SPEED_VS_REPEATS=str(repeats))
    out = subprocess.run([sys.executable, "-c", CHILD, *map(str, files)], env=env, cwd=code,
                         check=True, capture_output=True, text=True).stdout
    got = json.loads(out.strip().splitlines()[-1])
    return got["pages"] / got["cpu"]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--baseline", required=True, metavar="REV")
    ap.add_argument("--pages", type=int, default=20, help="pages per profile (default 20)")
    ap.add_argument("--profiles", default="office,messy")
    ap.add_argument("--seed", type=int, default=5)
    ap.add_argument("--rounds", type=int, default=8)
    ap.add_argument("--repeats", type=int, default=3,
                    help="reads of each page in a round, the least CPU time kept (default 3)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        base = checkout(args.baseline, tmp_path / "base")
        files = []
        for prof in args.profiles.split(","):
            subprocess.run([sys.executable, "-m", "srs_scan", "simulate", str(tmp_path / prof),
                            "--profile", prof, "--pages", str(args.pages), "--seed", str(args.seed)],
                           cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
            files += sorted(p for p in (tmp_path / prof).iterdir() if p.suffix != ".csv")
        now, then = [], []
        for r in range(args.rounds):
            order = [(ROOT, now), (base, then)] if r % 2 == 0 else [(base, then), (ROOT, now)]
            for code, rates in order:
                rates.append(cpu_rate(code, files, args.repeats))
            print(f"round {r + 1}: this checkout {now[-1]:.2f}, {args.baseline} {then[-1]:.2f} "
                  "pages per CPU-second", flush=True)
    a, b = statistics.median(now), statistics.median(then)
    print(f"median: this checkout {a:.2f}, {args.baseline} {b:.2f} pages per CPU-second; "
          f"this checkout takes {100 * (b / a - 1):+.1f} % time per page")
    # each round's two reads ran back to back, so a slow spell of a shared machine falls on both:
    # the round's own ratio cancels it, where the medians above are each taken across spells
    ratios = sorted(100 * (t / n - 1) for n, t in zip(now, then))
    print(f"per round: this checkout takes {statistics.median(ratios):+.1f} % time per page "
          f"(median of the rounds' own ratios; rounds {ratios[0]:+.1f} to {ratios[-1]:+.1f} %)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
