"""Messy-page benchmark: every event of the `stray` profile, scored by what the reader said.

    python benchmarks/messy.py [--pages 48] [--seeds 61,62] [--jobs 2] [--keep DIR]

For each seed it simulates `--pages` pages of the `stray` profile (events.csv says which
event each line carries: a clean mark, stray strokes, arrows, comments, ring stains,
crossings-out, marks on the end-stops, pencil, near misses), runs the reader as a clinic
would (`srs-scan scan`, in a subprocess) and prints, per event type:

- items, and how many of them must be flagged (a person would not accept a value);
- silent errors: a value more than 2 mm off with no flag, or any value where a flag was due;
- flagged: share of items with any item flag; read: share given a value with no flag;
- right kind: of the items that must be flagged, the share whose flags include one that names
  the event (e.g. `crossed_out` for a crossed-out mark; `stray_ink` or `multiple_marks` for a
  stroke across the line) — the reader's flag names what a person must look at;
- mean and maximum error (mm) of the values read without a flag;
- the flags raised, by kind, so a regression shows which event and which flag it came from.

Crossed-out marks are also broken down by style (slash to dense scribble). Then the usual
whole-profile summary of `accuracy.py` for the same pages, and each silent error in full.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from accuracy import SILENT_ERROR_MM, _codes, _read_csv, print_scores, run_reader, score  # noqa: E402
from srs_scan.sheets.spec import load_form  # noqa: E402
from srs_scan.simulate import simulate  # noqa: E402


@dataclass
class Tally:
    items: int = 0
    must: int = 0
    silent: int = 0
    flagged: int = 0
    read: int = 0
    right_kind: int = 0
    errors_mm: list[float] = field(default_factory=list)
    kinds: Counter = field(default_factory=Counter)


def tally(events: list[dict[str, str]], read: list[dict[str, str]], silent_out: list[str]
          ) -> tuple[dict[str, Tally], dict[str, Tally]]:
    """Per event type and per crossed-out style: the reader's rows against events.csv."""
    by_key = {(Path(r["file"]).name, r["page"]): r for r in read}
    per_event: dict[str, Tally] = defaultdict(Tally)
    per_style: dict[str, Tally] = defaultdict(Tally)
    for e in events:
        r = by_key.get((e["file"], e["page"]))
        item = e["item"]
        got_flags = ({c.split(":", 1)[1] for c in _codes(r["flags"]) if c.startswith(f"{item}:")}
                     if r else {"missing_row"})
        got = (r.get(item) or "").strip() if r else ""
        must = bool(e["expect"])
        ok_flags = set(_codes(e["flags_ok"]))
        tallies = [per_event[e["event"]]]
        if e["event"] == "crossed_out":
            tallies.append(per_style[e["detail"].split(",")[0]])  # "slash, new mark at ..."
        silent = False
        err = None
        if got and not got_flags:
            if must:
                silent = True
            else:
                err = abs(float(got) - float(e["value"])) * 10.0
                silent = err > SILENT_ERROR_MM
        elif got and must:
            silent = True   # a value beside a flag, where none was due
        for t in tallies:
            t.items += 1
            t.must += must
            t.silent += silent
            t.flagged += bool(got_flags)
            t.read += bool(got) and not got_flags
            t.right_kind += must and bool(got_flags & ok_flags)
            t.kinds.update(got_flags or {"-"})
            if err is not None:
                t.errors_mm.append(err)
        if silent:
            silent_out.append(f"{e['file']} p{e['page']} {item}: {e['event']} ({e['detail']}), "
                              f"truth {e['value'] or 'flag ' + e['expect']}, read {got or '-'} "
                              f"{'+' + ','.join(sorted(got_flags)) if got_flags else 'no flag'}")
    return per_event, per_style


def _pct(n: int, d: int) -> str:
    return f"{100.0 * n / d:5.1f} %" if d else "    -  "


def print_tallies(title: str, tallies: dict[str, Tally], order) -> None:
    head = (f"{title:<15} {'items':>5} {'must':>5} {'silent':>6} {'flagged':>8} {'read':>8} "
            f"{'right kind':>10} {'MAE mm':>6} {'max mm':>6}  flags raised")
    print(head)
    print("-" * len(head))
    for name in order:
        t = tallies.get(name)
        if t is None:
            continue
        e = np.array(t.errors_mm) if t.errors_mm else None
        mae, mx = (f"{e.mean():6.2f}", f"{e.max():6.2f}") if e is not None else ("     -",) * 2
        kinds = ", ".join(f"{k} {n}" for k, n in t.kinds.most_common())
        print(f"{name:<15} {t.items:>5} {t.must:>5} {t.silent:>6} {_pct(t.flagged, t.items):>8} "
              f"{_pct(t.read, t.items):>8} {_pct(t.right_kind, t.must):>10} {mae} {mx}  {kinds}")


def main(argv: list[str] | None = None) -> int:
    from srs_scan.simulate.events import CROSS_OUT_STYLES, EVENTS

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=48, help="pages per seed (default 48)")
    parser.add_argument("--seeds", default="61,62", help="comma-separated seeds (default 61,62)")
    parser.add_argument("--jobs", type=int, default=None, help="passed to srs-scan scan --jobs")
    parser.add_argument("--keep", type=Path, default=None, help="keep the simulated sets here")
    args = parser.parse_args(argv)
    item_ids = load_form().item_ids
    all_events, all_read, all_truth, silent_out = [], [], [], []
    seconds = 0.0
    with tempfile.TemporaryDirectory(prefix="srs-messy-") as tmp:
        root = args.keep or Path(tmp)
        for seed in (int(s) for s in args.seeds.split(",") if s.strip()):
            scans = root / f"stray-{seed}"
            simulate(scans, "stray", args.pages, seed)
            truth_path, events_path = root / f"{seed}.truth.csv", root / f"{seed}.events.csv"
            (scans / "truth.csv").replace(truth_path)    # the reader sees only the scans
            (scans / "events.csv").replace(events_path)
            out_csv = root / f"{seed}.read.csv"
            code, err, secs = run_reader(scans, out_csv, args.jobs)
            if not out_csv.exists():
                print(f"seed {seed}: the reader exited {code} without a CSV:\n{err.strip()}")
                return 1
            seconds += secs
            tag = f"s{seed}_"   # one seed's stray.pdf is not another's
            for rows, path in ((all_events, events_path), (all_truth, truth_path),
                               (all_read, out_csv)):
                rows += [{**r, "file": tag + Path(r["file"]).name} for r in _read_csv(path)]
            print(f"seed {seed}: {args.pages} pages read in {secs:.1f} s", file=sys.stderr)
    per_event, per_style = tally(all_events, all_read, silent_out)
    print_tallies("event", per_event, EVENTS)
    print()
    print_tallies("crossed out by", per_style, CROSS_OUT_STYLES)
    print()
    print_scores([score("stray", all_truth, all_read, item_ids, seconds)])
    print(f"\nsilent errors ({len(silent_out)}): a value > {SILENT_ERROR_MM:g} mm off with no flag, "
          "or a value where a flag was due")
    for line in silent_out:
        print("  " + line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
