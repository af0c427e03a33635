"""The `srs-scan` command: parse arguments, run one command, map errors to exit codes.

This is the only module that prints or exits. Every other module returns data
or raises a typed error from `errors.py`.
"""

from __future__ import annotations

import argparse
import random
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from srs_scan import __version__
from srs_scan.errors import ExitCode, RosterError, SrsScanError, UsageError

EXIT_CODES_HELP = """exit codes:
  0    every page was read or flagged for review
  1    an internal error in srs-scan (please report it)
  2    bad arguments, form file, roster or password
  3    the run finished, but some inputs or pages could not be read at all
  130  interrupted (Ctrl-C); no output file was left half-written
"""


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _add_form_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--form", type=Path, metavar="FILE",
                        help="form definition file (default: forms/srs.toml, the built-in SRS sheet)")


def _cmd_forms(args: argparse.Namespace) -> None:
    from srs_scan.fileio import write_atomic
    from srs_scan.generate import render_sheets
    from srs_scan.sheetid import SheetId, new_serials, read_roster
    from srs_scan.spec import DEFAULT_FORM, load_form

    spec = load_form(args.form or DEFAULT_FORM)
    rng = random.Random(args.seed) if args.seed is not None else None
    if args.roster:
        try:
            text = args.roster.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            raise RosterError(f"cannot read roster {args.roster}: {exc}") from None
        try:
            sheets = read_roster(text, spec.form_id, spec.version, rng)
        except ValueError as exc:
            raise RosterError(f"{args.roster.name}: {exc}") from None
    else:
        sheets = [SheetId(spec.form_id, spec.version, s) for s in new_serials(args.count, rng)]
    pdf = render_sheets(spec, sheets, args.paper, invariant=args.seed is not None)
    write_atomic(args.output, pdf)
    plural = "s" if len(sheets) != 1 else ""
    print(f"wrote {len(sheets)} sheet{plural} ({args.paper}) to {args.output}")
    print("Print at 100 % (actual size); \"fit to page\" shrinks the lines.")


# simulate.PROFILE_NAMES, repeated so that `srs-scan --help` does not load the simulator
SIMULATE_PROFILES = ("office", "fit-to-page", "fax", "low-res", "phone", "messy", "mixed")


def _cmd_simulate(args: argparse.Namespace) -> None:
    import secrets

    from srs_scan.simulate import simulate
    from srs_scan.spec import DEFAULT_FORM, load_form

    seed = args.seed if args.seed is not None else secrets.randbelow(10**6)
    sim = simulate(args.out_dir, args.profile, args.pages, seed, args.paper,
                   load_form(args.form or DEFAULT_FORM))
    print(f"wrote {len(sim.rows)} simulated pages ({args.profile}, seed {seed}) to {args.out_dir}:")
    for name in sim.files:
        print(f"  {name}")
    print("  truth.csv (the true value of every mark, and what a reader must flag)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="srs-scan",
        description="Print, scan and score Session Rating Scale sheets. Everything stays on this computer.",
        epilog=EXIT_CODES_HELP, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"srs-scan {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    forms = commands.add_parser(
        "forms", help="write printable sheets to a PDF",
        description="Write printable SRS sheets to a PDF: blank sheets with distinct serials, "
                    "or one pre-filled sheet per row of a roster.",
        epilog="Print the PDF at 100 %% (actual size).\n\n" + EXIT_CODES_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    forms.add_argument("output", type=Path, metavar="OUT.pdf", help="PDF file to write")
    what = forms.add_mutually_exclusive_group()
    what.add_argument("--count", type=_positive_int, default=1, metavar="N",
                      help="number of blank sheets, each with its own serial (default 1)")
    what.add_argument("--roster", type=Path, metavar="roster.csv",
                      help="CSV with columns client_code, session, date: one pre-filled sheet per row")
    forms.add_argument("--paper", choices=("a4", "letter"), default="a4", help="paper size (default a4)")
    _add_form_option(forms)
    forms.add_argument("--seed", type=int, default=None,
                       help="make serials and the PDF reproducible (for tests and samples; "
                            "never for sheets you hand out)")
    forms.set_defaults(run=_cmd_forms)

    simulate = commands.add_parser(
        "simulate", help="write filled, printed and scanned sheets with known truth",
        description="Fill in sheets with simulated pen marks, print and scan them as a real "
                    "clinic would, and write the scans with truth.csv: the true value of every "
                    "mark and what a reader must flag. Try the whole pipeline before you own a scanner.",
        epilog="profiles: office (300 dpi PDF), fit-to-page (printed at 94-97 %), fax (G4 TIFF), "
               "low-res (150 dpi), phone (JPEG photos), messy (holes, staple, fold, coffee), "
               "mixed (a bit of each)\n\n" + EXIT_CODES_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    simulate.add_argument("out_dir", type=Path, metavar="OUT_DIR", help="folder to write into")
    simulate.add_argument("--pages", type=_positive_int, default=12, metavar="N",
                          help="pages to simulate (default 12; mixed adds 2 fax pages and 2 photos)")
    simulate.add_argument("--seed", type=int, default=None,
                          help="same seed, same files (default: a new seed, printed)")
    simulate.add_argument("--profile", choices=SIMULATE_PROFILES, default="mixed", metavar="NAME",
                          help=f"how sheets are printed and scanned: {', '.join(SIMULATE_PROFILES)} "
                               "(default mixed)")
    simulate.add_argument("--paper", choices=("a4", "letter"), default="a4", help="paper size (default a4)")
    _add_form_option(simulate)
    simulate.set_defaults(run=_cmd_simulate)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse has printed its one-line message
        return int(exc.code or 0) and int(ExitCode.BAD_ARGUMENTS)
    run: Callable[[argparse.Namespace], int | None] = args.run
    try:
        return int(run(args) or ExitCode.OK)
    except SrsScanError as exc:
        print(f"srs-scan: {exc}", file=sys.stderr)
        return int(exc.exit_code)
    except KeyboardInterrupt:
        print("srs-scan: interrupted; no output file was left half-written", file=sys.stderr)
        return int(ExitCode.INTERRUPTED)
    except OSError as exc:
        print(f"srs-scan: {exc.strerror or exc}: {exc.filename or ''}".rstrip(": "), file=sys.stderr)
        return int(ExitCode.BAD_ARGUMENTS)


__all__ = ["main", "build_parser", "UsageError"]
