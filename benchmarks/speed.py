"""Speed and memory benchmark: full read vs. rasterising alone, and peak memory vs. batch size.

    python benchmarks/speed.py [--pages 40] [--jobs 2] [--rounds 5] [--sizes 20,200,30,300]

1. Simulates `--pages` distinct office scans (300 dpi JPEG pages in one PDF, as a
   sheet-fed scanner writes them).
2. Rasterises every page and nothing else in `--jobs` worker processes
   (pages.load_page), then reads every page in full (pipeline.scan: decode,
   register, measure) with the same number of processes. Prints both steady
   rates (first page out to last page out, so pool start-up is left out of both)
   for each of `--rounds` rounds, and their medians.
3. Builds PDFs of each pair of sizes in `--sizes` (small, large) from the same
   `small` distinct pages (the large one repeats them), so both batches hold the
   same kinds of page and only their length differs. Runs
   `srs-scan scan` on each in a subprocess, and samples the resident memory of
   the whole process tree (the CLI and its workers) every 20 ms. Prints the
   peak for each size and the ratio of the largest to the smallest.

Timing is measured here, never in the test suite.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from collections.abc import Iterator
from pathlib import Path

from pypdf import PdfReader, PdfWriter

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from srs_scan.read.pages import PageError, count_pages, load_page  # noqa: E402
from srs_scan.batch.pipeline import ScanOptions, Task, scan  # noqa: E402
from srs_scan.results import PageResult  # noqa: E402
from srs_scan.simulate import simulate  # noqa: E402
from srs_scan.sheets.spec import load_form_library  # noqa: E402


def _decode_only(task: tuple[Path, int]) -> int:
    loaded = load_page(*task)
    return 0 if isinstance(loaded, PageError) else loaded.image.size


def _steady_rate(results: Iterator[object]) -> float:
    """Pages per second from the first page's arrival to the last: the rate a long batch
    keeps up, without the few seconds it takes to start the worker processes."""
    first = last = 0.0
    count = 0
    for _ in results:
        last = time.perf_counter()
        first = first or last
        count += 1
    return (count - 1) / (last - first)


def rates(pdf: Path, jobs: int) -> tuple[float, float, int]:
    """One round: rasterise-only pages/s, full-read pages/s, and pages read or flagged."""
    pages = count_pages(pdf)
    assert isinstance(pages, int)
    tasks = [(pdf, n) for n in range(1, pages + 1)]
    with ProcessPoolExecutor(jobs) as pool:
        decode = _steady_rate(pool.map(_decode_only, tasks))
    forms = load_form_library()
    items = [Task(pdf, n, str(pdf), "bench") for n in range(1, pages + 1)]
    results: list[PageResult] = []
    full = _steady_rate(results.append(done.result) or done
                        for done in scan(items, forms, ScanOptions(jobs=jobs)))
    read = sum(r.status.value in ("ok", "review") for r in results)
    return decode, full, read


def repeat_pdf(source: Path, target: Path, pages: int, distinct: int) -> None:
    reader = PdfReader(source)
    writer = PdfWriter()
    for n in range(pages):
        writer.add_page(reader.pages[n % min(distinct, len(reader.pages))])
    with target.open("wb") as handle:
        writer.write(handle)


def _tree_rss_kib(pid: int) -> int:
    total, stack = 0, [pid]
    while stack:
        current = stack.pop()
        try:
            status = Path(f"/proc/{current}/status").read_text()
            total += int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmRSS")))
            for task in Path(f"/proc/{current}/task").iterdir():
                stack.extend(int(c) for c in (task / "children").read_text().split())
        except (OSError, StopIteration, ValueError):
            continue
    return total


def peak_memory_mib(pdf: Path, jobs: int, workdir: Path) -> tuple[float, float]:
    out = workdir / f"{pdf.stem}.csv"
    command = [sys.executable, "-m", "srs_scan", "scan", str(pdf), "-o", str(out), "--jobs", str(jobs),
               "-q", "--db", str(workdir / f"{pdf.stem}.sqlite")]
    started = time.perf_counter()
    proc = subprocess.Popen(command, cwd=REPO)
    peak = 0
    while proc.poll() is None:
        peak = max(peak, _tree_rss_kib(proc.pid))
        time.sleep(0.02)
    if proc.returncode != 0:
        raise SystemExit(f"scan failed on {pdf.name} (exit {proc.returncode})")
    return peak / 1024, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pages", type=int, default=40, help="distinct simulated pages (default 40)")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--sizes", default="20,200,30,300", help="batch sizes for the memory check")
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=5,
                        help="rounds of both rate measurements; medians are reported (default 5), "
                             "since a shared machine's speed drifts from minute to minute")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        simulate(work / "sim", profile="office", pages=args.pages, seed=args.seed)
        source = work / "sim" / "office.pdf"
        print(f"office profile, {args.pages} pages at 300 dpi (JPEG in PDF), {args.jobs} processes, "
              f"{args.rounds} rounds (each: rasterise only, then full read)")
        decodes, fulls = [], []
        for n in range(args.rounds):
            decode, full, read = rates(source, args.jobs)
            decodes.append(decode)
            fulls.append(full)
            print(f"  round {n + 1}: rasterise only {decode:5.2f} pages/s, full read {full:5.2f} "
                  f"pages/s ({full / decode:.0%}; {read} pages read or flagged)")
        decode, full = statistics.median(decodes), statistics.median(fulls)
        print(f"  median         : rasterise only {decode:5.2f} pages/s, full read {full:5.2f} pages/s"
              f"  -> full read at {full / decode:.0%} of the rasterise-only rate")
        sizes = [int(s) for s in args.sizes.split(",")]
        peaks: dict[int, float] = {}
        for n, size in enumerate(sizes):
            pdf = work / f"batch{size}.pdf"
            repeat_pdf(source, pdf, size, distinct=sizes[n - n % 2])
            peaks[size], seconds = peak_memory_mib(pdf, args.jobs, work)
            print(f"  {size:4d} pages: peak memory {peaks[size]:6.1f} MiB (CLI + workers), "
                  f"{seconds:5.1f} s, {size / seconds:4.2f} pages/s")
        for small, large in zip(sizes[::2], sizes[1::2]):
            print(f"  peak memory {large} vs {small} pages: {peaks[large] / peaks[small]:.2f}x")


if __name__ == "__main__":
    main()
