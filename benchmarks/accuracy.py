"""Accuracy benchmark: simulate each scanning profile, run the reader, compare with the truth.

    python benchmarks/accuracy.py [--pages 24] [--seed 1] [--profiles office,fax] [--jobs 2]
                                  [--form forms/NAME.toml]

For each profile it writes a seeded set with `srs_scan.simulate`, runs the
reader exactly as a clinic would (`srs-scan scan DIR -o out.csv --decimals 2`,
in a subprocess, timed), joins the reader's CSV with truth.csv on (file, page)
and prints, per profile:

- MAE, 95th percentile and maximum error in mm, over items with a true value
  that the reader gave a value;
- clean read: share of clean items (one true mark, page needs no flag) read
  with a value and no flag;
- silent errors: a value more than 2 mm off with no flag on that item, or any
  value given where the truth says the item or page must be flagged;
- must-flag items flagged (any flag on the item counts), the share of them whose flags
  include the one the truth names (right kind: crossed_out, not multiple_marks), and
  must-flag pages flagged (the page's status is not ok);
- pages per second of the scan's wall time.
"""

from __future__ import annotations

import argparse
import csv
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from srs_scan.batch.export import split_list
from srs_scan.simulate import PROFILES, simulate
from srs_scan.sheets.spec import load_form

SILENT_ERROR_MM = 2.0   # a value this far off with no flag is a silent error


@dataclass(frozen=True)
class Score:
    profile: str
    pages: int
    errors_mm: tuple[float, ...]
    clean_items: int
    clean_read: int
    silent_errors: int
    must_flag_items: int
    must_flag_items_flagged: int
    must_flag_pages: int
    must_flag_pages_flagged: int
    missing_pages: int
    seconds: float
    sheet_ids: int = 0        # pages whose truth has a sheet id
    sheet_ids_read: int = 0   # of those, pages where the reader read that same id
    must_flag_items_named: int = 0  # must-flag items whose flags include the one the truth names


def _read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _codes(text: str | None) -> set[str]:
    return set(split_list(text or ""))


def _item_flags(codes: set[str], item_id: str) -> set[str]:
    return {c for c in codes if c.startswith(f"{item_id}:")}


def score(profile: str, truth: list[dict[str, str]], read: list[dict[str, str]], item_ids,
          seconds: float) -> Score:
    """Compare the reader's rows with the truth rows, page by page and item by item."""
    by_key = {(Path(r.get("file", "")).name, str(r.get("page", ""))): r for r in read}
    errors, silent, missing, sheet_ids, sheet_ids_read, named = [], 0, 0, 0, 0, 0
    clean = clean_read = must_items = must_items_flagged = must_pages = must_pages_flagged = 0
    for t in truth:
        r = by_key.get((t["file"], t["page"]))
        expect = _codes(t["expect"])
        page_expect = {c for c in expect if ":" not in c}
        if r is None:
            missing += 1
            continue
        got_flags = _codes(r.get("flags"))
        if t.get("sheet_id"):
            sheet_ids += 1
            sheet_ids_read += r.get("sheet_id") == t["sheet_id"]
        if page_expect:
            must_pages += 1
            must_pages_flagged += r.get("status", "ok") != "ok"
        for item in item_ids:
            got = (r.get(item) or "").strip()
            must = bool(_item_flags(expect, item)) or bool(page_expect)
            flagged = bool(_item_flags(got_flags, item))
            if _item_flags(expect, item):
                must_items += 1
                must_items_flagged += flagged
                # the flag's kind: crossed_out is not multiple_marks, off_line is not no_mark
                named += bool(_item_flags(expect, item) & _item_flags(got_flags, item))
            if must:
                silent += bool(got)
                continue
            clean += 1
            if not got:
                continue
            err_mm = abs(float(got) - float(t[item])) * 10.0
            errors.append(err_mm)
            clean_read += not flagged
            silent += err_mm > SILENT_ERROR_MM and not flagged
    return Score(profile, len(truth), tuple(errors), clean, clean_read, silent, must_items,
                 must_items_flagged, must_pages, must_pages_flagged, missing, seconds,
                 sheet_ids, sheet_ids_read, named)


def _pct(n: int, d: int) -> str:
    return f"{100.0 * n / d:5.1f} %" if d else "    -  "


def print_scores(scores: list[Score]) -> None:
    head = (f"{'profile':<12} {'pages':>5} {'MAE mm':>7} {'p95 mm':>7} {'max mm':>7} "
            f"{'clean read':>10} {'silent':>6} {'items flagged':>13} {'right kind':>10} {'pages flagged':>13} "
            f"{'missing':>7} {'ids read':>8} {'pages/s':>7}")
    print(head)
    print("-" * len(head))
    for s in scores:
        e = np.array(s.errors_mm) if s.errors_mm else None
        mae, p95, mx = ((f"{e.mean():7.2f}", f"{np.percentile(e, 95):7.2f}", f"{e.max():7.2f}")
                        if e is not None else ("      -",) * 3)
        print(f"{s.profile:<12} {s.pages:>5} {mae} {p95} {mx} {_pct(s.clean_read, s.clean_items):>10} "
              f"{s.silent_errors:>6} {_pct(s.must_flag_items_flagged, s.must_flag_items):>13} "
              f"{_pct(s.must_flag_items_named, s.must_flag_items):>10} "
              f"{_pct(s.must_flag_pages_flagged, s.must_flag_pages):>13} {s.missing_pages:>7} "
              f"{_pct(s.sheet_ids_read, s.sheet_ids):>8} "
              f"{s.pages / s.seconds if s.seconds else 0:7.2f}")


def run_reader(scans: Path, out_csv: Path, jobs: int | None, form: Path | None = None
               ) -> tuple[int, str, float]:
    # a store of its own, new each run: never the clinic's (or a colleague's) store, and never a
    # reading kept from an earlier run of another reader
    db = out_csv.with_suffix(".srs.sqlite")
    for old in (db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")):
        old.unlink(missing_ok=True)
    cmd = [sys.executable, "-m", "srs_scan", "scan", str(scans), "-o", str(out_csv), "--decimals", "2",
           "--db", str(db)]
    if form:
        cmd += ["--form", str(form)]
    if jobs:
        cmd += ["--jobs", str(jobs)]
    start = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True)
    return done.returncode, done.stderr, time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=24, help="pages per profile (default 24)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--profiles", default=",".join(PROFILES),
                        help=f"comma-separated, from {', '.join(PROFILES)} (default all)")
    parser.add_argument("--jobs", type=int, default=None, help="passed to srs-scan scan --jobs")
    parser.add_argument("--keep", type=Path, default=None, help="keep the simulated sets in this folder")
    parser.add_argument("--form", type=Path, default=None,
                        help="simulate this form (e.g. an enrolled one) and read with --form it")
    args = parser.parse_args(argv)
    profiles = [p.strip() for p in args.profiles.split(",") if p.strip()]
    unknown = [p for p in profiles if p not in PROFILES]
    if unknown:
        parser.error(f"unknown profile {unknown[0]!r}")
    spec = load_form(args.form) if args.form else load_form()
    item_ids = spec.item_ids

    with tempfile.TemporaryDirectory(prefix="srs-bench-") as tmp:
        root = args.keep or Path(tmp)
        scores = []
        for i, profile in enumerate(profiles):
            scans = root / profile
            t0 = time.perf_counter()
            simulate(scans, profile, args.pages, args.seed + i, spec=spec)
            sim_s = time.perf_counter() - t0
            truth_path = root / f"{profile}.truth.csv"
            (scans / "truth.csv").replace(truth_path)   # the reader sees only what a scanner wrote
            truth = _read_csv(truth_path)
            print(f"simulated {profile}: {len(truth)} pages in {sim_s:.1f} s", file=sys.stderr)
            out_csv = root / f"{profile}.read.csv"
            code, err, seconds = run_reader(scans, out_csv, args.jobs, args.form)
            if not out_csv.exists():
                print(f"{profile}: the reader exited {code} without writing a CSV:\n{err.strip()}")
                continue
            scores.append(score(profile, truth, _read_csv(out_csv), item_ids, seconds))
        if scores:
            print()
            print_scores(scores)
            print(f"\nsilent error: a value > {SILENT_ERROR_MM:g} mm off with no flag on the item, "
                  "or any value where the truth says it must be flagged")
    return 0


if __name__ == "__main__":
    sys.exit(main())
