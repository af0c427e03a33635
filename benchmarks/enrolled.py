"""Enrolled forms benchmark: enrol two blanks without markers, simulate filled copies, read them.

    python benchmarks/enrolled.py [--pages 24] [--seed 1] [--jobs 2] [--profiles office,phone]
                                  [--speed-pages 12] [--rounds 3]

The two forms:
- `vas`: the real VAS blank (../shared/realdata/vas_pen_marks/VAS_template.pdf), three
  100 mm lines with end ticks; skipped when the shared folder is absent;
- `srs_plain`: our own SRS layout with its four markers, QR code and serial painted out (as
  a clinic's licensed PDF would be: nothing for the marker reader to find), from a PNG.

Each is enrolled (`srs-scan enrol`), then `benchmarks/accuracy.py --form` simulates each
profile (office, fit-to-page, phone, messy by default) with the form's own blank as the
printed page, reads it with `scan --form` (the built-in forms stay in the library) and scores
it: error in mm, clean items read, silent errors, must-flag items and pages flagged. Foreign
pages and blank backs are in every set (truth `not_a_form`); any value on them counts as a
silent error.

Last, speed: one office set of `--speed-pages` pages for each form (both enrolled ones and our
own sheets with markers and QR), each read by the whole `srs-scan scan` command with `--jobs`,
the three taken in turn for `--rounds` rounds (a shared machine's load then falls on all three
alike); it prints each form's median seconds per page and its ratio to our own sheets'.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import cv2
import numpy as np
import pypdfium2

HERE = Path(__file__).resolve().parent
VAS_BLANK = HERE.parents[1] / "shared" / "realdata" / "vas_pen_marks" / "VAS_template.pdf"
DPI = 300


def srs_without_markers(path: Path) -> None:
    """Our own SRS blank at DPI with the markers, the QR code and its serial painted white."""
    from srs_scan.sheets.generate import render_sheets
    from srs_scan.sheets.sheetid import SheetId
    from srs_scan.sheets.spec import block_origin_mm, load_form

    spec = load_form()
    pdf = render_sheets(spec, [SheetId(spec.form_id, spec.version, "AAAAAAAA")], "a4",
                        invariant=True)
    page = pypdfium2.PdfDocument(pdf)[0].render(scale=DPI / 72).to_numpy()[:, :, :3].copy()
    ox, oy = block_origin_mm(spec, "a4")
    k = DPI / 25.4

    def white(x0: float, y0: float, x1: float, y1: float) -> None:
        cv2.rectangle(page, (int((ox + x0) * k), int((oy + y0) * k)),
                      (int((ox + x1) * k), int((oy + y1) * k)), (255, 255, 255), -1)

    for m in spec.markers:
        white(m.x_mm - 1, m.y_mm - 1, m.x_mm + spec.marker_size_mm + 1, m.y_mm + spec.marker_size_mm + 1)
    white(spec.qr_x_mm - 1, spec.qr_y_mm - 1, spec.qr_x_mm + spec.qr_size_mm + 1,
          spec.serial_y_mm + 5)
    cv2.imwrite(str(path), np.ascontiguousarray(page))


def enrol(blank: Path, out: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "srs_scan", "enrol", str(blank), "-o", str(out)],
                          capture_output=True, text=True)
    print(done.stdout.strip() or done.stderr.strip(), file=sys.stderr)
    if done.returncode:
        raise SystemExit(f"enrolling {blank} failed")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=24)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--profiles", default="office,fit-to-page,phone,messy")
    parser.add_argument("--speed-pages", type=int, default=12)
    parser.add_argument("--rounds", type=int, default=3, help="speed rounds (0: no speed run)")
    args = parser.parse_args()
    common = ["--pages", str(args.pages), "--seed", str(args.seed), "--jobs", str(args.jobs)]
    with tempfile.TemporaryDirectory(prefix="srs-enrolled-") as tmp:
        forms = Path(tmp) / "forms"
        forms.mkdir()
        srs_without_markers(Path(tmp) / "srs_plain_blank.png")
        enrol(Path(tmp) / "srs_plain_blank.png", forms / "srs_plain.toml")
        runs = [("srs_plain", forms / "srs_plain.toml")]
        if VAS_BLANK.is_file():
            enrol(VAS_BLANK, forms / "vas.toml")
            runs.insert(0, ("vas", forms / "vas.toml"))
        else:
            print("(no ../shared/realdata: the VAS form is skipped)", file=sys.stderr)
        for name, form in runs:
            print(f"\n=== {name} (enrolled, no markers) ===", flush=True)
            subprocess.run([sys.executable, str(HERE / "accuracy.py"), *common, "--profiles",
                            args.profiles, "--form", str(form)], check=False)
        if args.rounds:
            speed([(name, form) for name, form in runs] + [("srs (own sheets)", None)],
                  Path(tmp) / "speed", args)
    return 0


def speed(runs: list[tuple[str, Path | None]], root: Path, args: argparse.Namespace) -> None:
    """Median seconds per page of `scan` on an office set of each form, the forms in turn."""
    from accuracy import run_reader
    from srs_scan.sheets.spec import load_form
    from srs_scan.simulate import simulate

    sets = []
    for i, (name, form) in enumerate(runs):
        scans = root / f"set{i}"
        simulate(scans, "office", args.speed_pages, args.seed,
                 spec=load_form(form) if form else load_form())
        (scans / "truth.csv").unlink()
        sets.append((name, form, scans))
    times: dict[str, list[float]] = {name: [] for name, _ in runs}
    for _ in range(args.rounds):
        for name, form, scans in sets:
            code, err, seconds = run_reader(scans, scans.with_suffix(".csv"), args.jobs, form)
            if code not in (0, 1):
                raise SystemExit(f"{name}: scan exited {code}: {err.strip()}")
            times[name].append(seconds / args.speed_pages)
    own = statistics.median(times[runs[-1][0]])
    print(f"\n=== speed: office, {args.speed_pages} pages, --jobs {args.jobs}, median of "
          f"{args.rounds} rounds (the whole command) ===")
    for name, _ in runs:
        med = statistics.median(times[name])
        print(f"{name:<18} {med:6.2f} s/page  {1 / med:5.2f} pages/s  {med / own:4.2f} x own "
              f"sheets  (rounds: {', '.join(f'{t:.2f}' for t in times[name])})")


if __name__ == "__main__":
    sys.exit(main())
