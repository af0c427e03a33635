"""Does a change keep every reading the same? Simulate a fixed set of pages, read them, compare.

Simulates `--pages` sheets of each of the six scan profiles (seed `--seed`), reads them with the
code of this checkout (`srs-scan scan --json --decimals 3`) and compares every page's reading
(form, serial, page flags, each item's value, flags, candidates and line ends) with either a
saved reading (`--saved`, default `benchmarks/readings_seed77.json`, 72 pages) or the reading
made by another revision's code (`--baseline REV`, e.g. `main`: its simulator makes the pages,
so a change to the simulator itself does not count as a difference).

    .venv/bin/python benchmarks/same_readings.py                  # against the saved reading
    .venv/bin/python benchmarks/same_readings.py --baseline main  # against main's code
    .venv/bin/python benchmarks/same_readings.py --save benchmarks/readings_seed77.json

`--profiles stray mixed --baseline main` compares the two profiles the saved reading lacks.
Prints each difference and exits 1 if there is any. Takes about a minute on two cores.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tarfile
import tempfile
from io import BytesIO
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROFILES = ("office", "fit-to-page", "fax", "low-res", "phone", "messy")
SAVED = ROOT / "benchmarks" / "readings_seed77.json"


def run(code: Path, *args: str) -> None:
    env = dict(os.environ, PYTHONPATH=str(code))
    subprocess.run([sys.executable, "-m", "srs_scan", *args], env=env, cwd=code, check=False,
                   stdout=subprocess.DEVNULL)


def simulate(code: Path, out: Path, seed: int, pages: int, profiles: tuple[str, ...]) -> None:
    for p in profiles:
        run(code, "simulate", str(out / p), "--profile", p, "--pages", str(pages),
            "--seed", str(seed))


def read(code: Path, pages_dir: Path, work: Path, jobs: int,
         profiles: tuple[str, ...]) -> dict[str, list[dict]]:
    """Every page's reading per profile, with paths relative to the profile's folder."""
    readings = {}
    for p in profiles:
        js = work / f"{p}.json"
        run(code, "scan", str(pages_dir / p), "-o", str(work / f"{p}.csv"), "--json", str(js),
            "--db", str(work / f"{p}.db"), "--quiet", "--decimals", "3", "--jobs", str(jobs))
        readings[p] = [normalise(page, pages_dir / p) for page in json.loads(js.read_text())["pages"]]
    return readings


def normalise(page: dict, folder: Path) -> dict:
    page = dict(page)
    page["file"] = os.path.relpath(page["file"], folder)
    return page


def pruned(value):
    """Without empty entries ("", None, [], {}), so that a field added later with an empty value
    (the sheet's age_band) is no difference, while a value that appears or changes is one."""
    if isinstance(value, dict):
        kept = {k: pruned(v) for k, v in value.items()}
        return {k: v for k, v in kept.items() if v not in ("", None, [], {})}
    if isinstance(value, list):
        return [pruned(v) for v in value]
    return value


def differences(old: dict[str, list[dict]], new: dict[str, list[dict]]) -> list[str]:
    out = []
    for p in dict.fromkeys([*new, *old]):
        a, b = pruned(old.get(p, [])), pruned(new.get(p, []))
        if len(a) != len(b):
            out.append(f"{p}: {len(a)} pages before, {len(b)} now")
        for x, y in zip(a, b):
            if x != y:
                keys = sorted(k for k in set(x) | set(y) if x.get(k) != y.get(k))
                out.append(f"{p} {y.get('file')} page {y.get('page')}: " + "; ".join(
                    f"{k}: {x.get(k)!r} -> {y.get(k)!r}" for k in keys))
    return out


def checkout(rev: str, into: Path) -> Path:
    tar = subprocess.run(["git", "archive", rev, "srs_scan", "forms"], cwd=ROOT, check=True,
                         capture_output=True).stdout
    with tarfile.open(fileobj=BytesIO(tar)) as t:
        t.extractall(into, filter="data")
    return into


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seed", type=int, default=77)
    ap.add_argument("--pages", type=int, default=12, help="pages per profile")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--saved", type=Path, default=SAVED)
    ap.add_argument("--baseline", metavar="REV", help="compare with this git revision's reading")
    ap.add_argument("--save", type=Path, help="write this checkout's reading here and stop")
    ap.add_argument("--profiles", nargs="+", default=PROFILES, metavar="NAME",
                    help=f"scan profiles to simulate (default: {' '.join(PROFILES)}; the saved "
                         "reading holds these; stray and mixed only with --baseline)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        sim_code = checkout(args.baseline, tmp_path / "base") if args.baseline else ROOT
        profiles = tuple(args.profiles)
        simulate(sim_code, tmp_path / "pages", args.seed, args.pages, profiles)
        (tmp_path / "new").mkdir()
        new = read(ROOT, tmp_path / "pages", tmp_path / "new", args.jobs, profiles)
        if args.save:
            args.save.write_text(json.dumps({"seed": args.seed, "pages": args.pages,
                                             "readings": new}, separators=(",", ":")) + "\n")
            print(f"saved {sum(map(len, new.values()))} pages to {args.save}")
            return 0
        if args.baseline:
            (tmp_path / "old").mkdir()
            old = read(sim_code, tmp_path / "pages", tmp_path / "old", args.jobs, profiles)
        else:
            saved = json.loads(args.saved.read_text())
            if (saved["seed"], saved["pages"]) != (args.seed, args.pages):
                sys.exit(f"{args.saved} holds seed {saved['seed']}, {saved['pages']} pages a profile")
            old = {p: saved["readings"].get(p, []) for p in profiles}
    diffs = differences(old, new)
    n = sum(map(len, new.values()))
    for d in diffs:
        print(d)
    print(f"{n} pages, {len(diffs)} differences" + (" (same readings)" if not diffs else ""))
    return 1 if diffs else 0


if __name__ == "__main__":
    sys.exit(main())
