"""Fault injection for `srs-scan scan`: does any fault lose, duplicate or change a row?

    python benchmarks/faults.py [--pages 120] [--kills 8] [--jobs 2] [--seed 7]

Simulates `--pages` scanned sheets (150 dpi, several PDF files plus a two-page fax TIFF),
reads them once without faults (the reference CSV), then repeats each experiment below on
its own copy of the results database and compares the final CSV with the reference, row by
row (keyed by file and page):

- kill -9, SIGTERM and Ctrl-C (SIGINT) of the batch at random moments, then a re-run;
- kill -9 of one worker at a random moment (its pages become error rows), then a re-run;
- kill -9 of the batch while its own parent does not collect it (a zombie): its workers must end;
- a file replaced during the scan and put back, then a re-run;
- two scans of the same batch at once, on one results database;
- a disk that is full, a read-only store and a damaged store (a tmpfs of a few hundred KB
  when this runs as root and may mount one; otherwise the disk-full case is skipped);
- a two-page fax cut short at 70 % and 95 %.

Everything stays on this computer (no network), each step has a time limit, and the
temporary folder, mounts and any process started here are removed at the end.
Nothing here is asserted: it prints what happened. Timing is never measured.
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import random
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
STEP_S = 900  # the longest any one command may take here
STORED = "SELECT COUNT(*) FROM pages"


@dataclass
class Outcome:
    name: str
    runs: int
    lost: int
    duplicated: int
    changed: int
    note: str

    def line(self) -> str:
        verdict = "ok" if not (self.lost or self.duplicated or self.changed) else "ROWS WRONG"
        return (f"{self.name:<34} runs {self.runs:>3}  lost {self.lost:>3}  duplicated {self.duplicated:>3}  "
                f"changed {self.changed:>3}  {verdict}; {self.note}")


def cli(*args: str, **popen) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.Popen([sys.executable, "-m", "srs_scan", *map(str, args)], cwd=REPO, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, **popen)


def store(out: Path) -> Path:
    """Each experiment's own results store, beside its CSV (never the clinic's real store)."""
    return out.with_name(out.stem + ".srs.sqlite")


def scan_args(inputs: list[Path], out: Path, jobs: int, *extra: str) -> list[str]:
    db = [] if "--db" in extra else ["--db", str(store(out))]
    return ["scan", *map(str, inputs), "-o", str(out), *db, "--jobs", str(jobs), *extra]


def run(*args: str) -> tuple[int, str]:
    proc = cli(*args)
    _, err = proc.communicate(timeout=STEP_S)
    return proc.returncode, err.decode(errors="replace")


def rows(path: Path) -> list[dict[str, str]]:
    if not path.exists():
        return []
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))


def compare(reference: list[dict[str, str]], got: list[dict[str, str]]) -> tuple[int, int, int]:
    """(lost, duplicated, changed) rows of `got` against `reference`, keyed by file and page."""
    want = {(r["file"], r["page"]): r for r in reference}
    seen = Counter((r["file"], r["page"]) for r in got)
    have = {(r["file"], r["page"]): r for r in got}
    lost = sum(key not in have for key in want)
    duplicated = sum(n - 1 for n in seen.values()) + sum(key not in want for key in seen)
    changed = sum(key in have and have[key] != row for key, row in want.items())
    return lost, duplicated, changed


def stored(db: Path) -> int:
    try:
        with sqlite3.connect(db, timeout=1) as conn:
            return conn.execute(STORED).fetchone()[0]
    except sqlite3.Error:
        return 0


def descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        children.setdefault(int(text[text.rindex(")") + 2:].split()[1]), []).append(int(stat.parent.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except OSError:
        return False


def end_all(pids: list[int]) -> int:
    """Kill what is left of processes started here; returns how many were still running."""
    left = [pid for pid in pids if alive(pid)]
    for pid in left:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    return len(left)


class Lab:
    def __init__(self, root: Path, inputs: list[Path], jobs: int, rng: random.Random) -> None:
        self.root, self.inputs, self.jobs, self.rng = root, inputs, jobs, rng
        self.pages = 0
        self.reference: list[dict[str, str]] = []
        self.started: list[int] = []  # every process id seen, for the final clean-up

    def scan(self, out: Path, *extra: str) -> subprocess.Popen:
        proc = cli(*scan_args(self.inputs, out, self.jobs, *(extra or ("-q",))))
        self.started.append(proc.pid)
        return proc

    def finish(self, name: str, out: Path, runs: int, note: str, *extra: str) -> Outcome:
        code, err = run(*scan_args(self.inputs, out, self.jobs, *extra))
        lost, dup, changed = compare(self.reference, rows(out))
        found = re.search(r"\((\d+) read now\)", err)
        return Outcome(name, runs + 1, lost, dup, changed,
                       f"{note}; final run rc {code}, read {found.group(1) if found else '?'} pages")

    def interrupt(self, name: str, how: str, rounds: int) -> Outcome:
        """Stop the batch at a random moment, `rounds` times in a row, then let it finish."""
        out = self.root / f"{name}.csv"
        db = store(out)
        codes, left = [], 0
        for _ in range(rounds):
            proc = self.scan(out)
            target = stored(db) + self.rng.randint(1, max(2, self.pages // (rounds + 1)))
            deadline = time.monotonic() + STEP_S
            while proc.poll() is None and stored(db) < target and time.monotonic() < deadline:
                time.sleep(0.05)
            time.sleep(self.rng.uniform(0, 0.5))
            family = descendants(proc.pid)
            self.started += family
            if how == "worker":
                workers = [pid for pid in family if alive(pid)]
                if workers:
                    os.kill(self.rng.choice(workers), signal.SIGKILL)
            elif proc.poll() is None:
                proc.send_signal({"kill": signal.SIGKILL, "term": signal.SIGTERM, "int": signal.SIGINT}[how])
            proc.communicate(timeout=STEP_S)
            codes.append(proc.returncode)
            time.sleep(3.0)  # the workers' watchdog looks once a second
            left += end_all(family)
        note = f"rc {','.join(map(str, codes))}; {left} processes left behind"
        return self.finish(name, out, rounds, note)

    def zombie(self) -> Outcome:
        """kill -9 of the batch while its parent (a process that never collects it) lives on."""
        out = self.root / "zombie.csv"
        script = ("import subprocess, sys, time; p = subprocess.Popen(sys.argv[1:]); "
                  "print(p.pid, flush=True); time.sleep(3600)")
        args = [sys.executable, "-m", "srs_scan", *scan_args(self.inputs, out, self.jobs, "-q")]
        parent = subprocess.Popen([sys.executable, "-c", script, *args], cwd=REPO, stdout=subprocess.PIPE,
                                  env={**os.environ, "PYTHONPATH": str(REPO)})
        self.started.append(parent.pid)
        batch = int(parent.stdout.readline())
        db = store(out)
        deadline = time.monotonic() + STEP_S
        while stored(db) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        family = descendants(batch)
        self.started += family
        os.kill(batch, signal.SIGKILL)
        time.sleep(5.0)
        zombie = Path(f"/proc/{batch}").exists() and not alive(batch)
        left = end_all(family)
        parent.kill()
        parent.wait()
        note = f"batch a zombie: {zombie}; {left} of {len(family)} workers still running 5 s later"
        return self.finish("kill -9, parent never reaps", out, 1, note)

    def replaced(self) -> Outcome:
        """A file is replaced by another scan while the batch reads, then put back."""
        victim, donor = self.inputs[0], self.inputs[1]
        original = victim.read_bytes()
        out = self.root / "replaced.csv"
        db = store(out)
        proc = self.scan(out)
        deadline = time.monotonic() + STEP_S
        while proc.poll() is None and stored(db) < 2 and time.monotonic() < deadline:
            time.sleep(0.02)
        temp = victim.with_name(".swap.tmp")
        shutil.copyfile(donor, temp)
        os.replace(temp, victim)
        proc.communicate(timeout=STEP_S)
        first = proc.returncode
        temp.write_bytes(original)
        os.replace(temp, victim)
        return self.finish("file replaced mid-scan, restored", out, 1, f"rc {first} while replaced")

    def concurrent(self) -> Outcome:
        db = self.root / "together.srs.sqlite"
        outs = [self.root / f"together{n}.csv" for n in (1, 2)]
        procs = [self.scan(out, "--db", db) for out in outs]
        results = [proc.communicate(timeout=STEP_S) for proc in procs]
        read = [int(m.group(1)) if (m := re.search(rb"\((\d+) read now\)", err)) else -1
                for _, err in results]
        lost, dup, changed = map(max, zip(*(compare(self.reference, rows(out)) for out in outs)))
        return Outcome("two scans at once, one store", 2, lost, dup, changed,
                       f"rc {[p.returncode for p in procs]}; pages read {read[0]} + {read[1]} "
                       f"of {self.pages}; {stored(db)} stored")

    def damaged_store(self) -> Outcome:
        out = self.root / "damaged.csv"
        db = store(out)
        db.write_bytes(b"not a results database\n" * 500)
        code, err = run(*scan_args(self.inputs, out, self.jobs, "-q"))
        said = err.strip().splitlines()[-1] if err.strip() else ""
        db.unlink()
        return self.finish("damaged store", out, 1, f"rc {code}: {said!r}")

    def tmpfs(self) -> list[Outcome]:
        """A full disk and a read-only store on a small tmpfs, when this process may mount one."""
        mount = self.root / "small-disk"
        mount.mkdir()
        if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=400k", "tmpfs", str(mount)],
                          capture_output=True).returncode != 0:
            return [Outcome("disk full", 0, 0, 0, 0, "skipped: cannot mount a tmpfs (needs root)")]
        outcomes = []
        try:
            out = mount / "r.csv"
            code, err = run(*scan_args(self.inputs, out, self.jobs, "-q"))
            said = err.strip().splitlines()[-1] if err.strip() else ""
            outcomes.append(Outcome("disk full (store on a 400 KB disk)", 1, 0, 0, 0,
                                    f"rc {code}: {said!r}; half-written files: "
                                    f"{sorted(p.name for p in mount.iterdir() if p.name.endswith('.tmp'))}"))
            subprocess.run(["mount", "-o", "remount,size=64m", str(mount)], check=True)
            outcomes.append(self.finish("disk full, then room again", out, 1, "same store, resumed"))
            subprocess.run(["mount", "-o", "remount,ro", str(mount)], check=True)
            code, err = run(*scan_args(self.inputs, self.root / "ro.csv", self.jobs,
                                       "--db", str(mount / "r.srs.sqlite"), "-q"))
            said = err.strip().splitlines()[-1] if err.strip() else ""
            outcomes.append(Outcome("read-only store", 1, 0, 0, 0, f"rc {code}: {said!r}"))
        finally:
            subprocess.run(["umount", "-l", str(mount)], capture_output=True)
        return outcomes

    def truncated_fax(self) -> list[Outcome]:
        from PIL import Image
        frames = [Image.effect_noise((800, 1100), 60).convert("1") for _ in range(2)]
        buffer = io.BytesIO()
        frames[0].save(buffer, format="TIFF", save_all=True, append_images=frames[1:],
                       compression="group4", dpi=(200, 200))
        data = buffer.getvalue()
        outcomes = []
        for kept in (0.70, 0.95):
            fax = self.root / f"fax-{int(kept * 100)}.tif"
            fax.write_bytes(data[: int(len(data) * kept)])
            out = self.root / f"fax-{int(kept * 100)}.csv"
            code, _ = run(*scan_args([fax], out, 1, "-q"))
            got = [(r["page"], r["status"], r["flags"][:40]) for r in rows(out)]
            lost = 0 if len(got) == 2 and got[1][1] == "error" else 1
            outcomes.append(Outcome(f"2-page fax cut at {int(kept * 100)} %", 1, lost, 0, 0, f"rc {code}: {got}"))
        return outcomes


def simulate_inputs(folder: Path, pages: int, seed: int) -> list[Path]:
    """Scans in several files (the replaced-file experiment needs at least two), in name order."""
    per_file = max(4, pages // 6)
    made, n = [], 0
    while sum(p[1] for p in made) < pages:
        count = min(per_file, pages - sum(p[1] for p in made))
        out = folder / f"sim{n:02d}"
        code, err = run("simulate", out, "--profile", "low-res", "--pages", max(count, 1), "--seed", seed + n)
        if code != 0:
            raise SystemExit(f"simulate failed: {err}")
        made.append((out, count))
        n += 1
    inputs = []
    for out, _ in made:
        for scan in sorted(out.glob("*.pdf")):
            target = folder / f"{out.name}-{scan.name}"
            scan.rename(target)
            inputs.append(target)
        shutil.rmtree(out)
    return inputs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=120)
    parser.add_argument("--kills", type=int, default=8, help="interruptions per kind of signal")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    root = Path(tempfile.mkdtemp(prefix="srs-faults-"))
    # every store and setting inside the temporary folder: never the clinic's own
    os.environ.update(SRS_SCAN_DB=str(root / "unused.srs.sqlite"), XDG_DATA_HOME=str(root / "data"))
    os.environ.pop("SRS_SCAN_SETTINGS", None)
    lab = Lab(root, [], args.jobs, rng)
    try:
        lab.inputs = simulate_inputs(root, args.pages, args.seed)
        reference = root / "reference.csv"
        code, err = run(*scan_args(lab.inputs, reference, args.jobs))
        lab.reference = rows(reference)
        lab.pages = len(lab.reference)
        print(f"{lab.pages} pages in {len(lab.inputs)} files; reference run rc {code}: {err.strip()[-120:]}")
        outcomes = [
            lab.interrupt("kill -9 of the batch", "kill", args.kills),
            lab.interrupt("SIGTERM of the batch", "term", args.kills),
            lab.interrupt("Ctrl-C (SIGINT)", "int", args.kills),
            lab.interrupt("kill -9 of one worker", "worker", args.kills),
            lab.zombie(),
            lab.replaced(),
            lab.concurrent(),
            lab.damaged_store(),
            *lab.tmpfs(),
            *lab.truncated_fax(),
        ]
        for outcome in outcomes:
            print(outcome.line(), flush=True)
    finally:
        left = end_all(lab.started)
        shutil.rmtree(root, ignore_errors=True)
        print(f"cleaned up {root} ({left} stray processes ended)")


if __name__ == "__main__":
    main()
