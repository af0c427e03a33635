"""The paper commands of `srs-scan`: forms, enrol, labels (sheets out) and simulate (sheets filled,
printed and scanned, with known truth). Each `add_NAME` registers a command; `cmd_NAME` runs it."""

from __future__ import annotations

import argparse
import random
import sys
from pathlib import Path

from srs_scan.cli.common import (add_form_option, add_table_options, command, count, form_arg,
                                 positive_int, table_format)
from srs_scan.errors import RosterError, UsageError

# simulate.PROFILE_NAMES, repeated so that `srs-scan --help` does not load the simulator
SIMULATE_PROFILES = ("office", "fit-to-page", "fax", "low-res", "phone", "messy", "stray", "mixed")


def _roster_text(roster: Path) -> str:
    try:
        return roster.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise RosterError(f"cannot read roster {roster}: {exc}") from None


def add_forms(commands: argparse._SubParsersAction) -> None:
    forms = command(
        commands, "forms", summary="write printable sheets to a PDF",
        description="Write printable SRS (or ORS) sheets to a PDF: blank sheets with distinct serials, "
                    "or one pre-filled sheet per row of a roster.",
        epilog="Print the PDF at 100 % (actual size).")
    forms.add_argument("output", type=Path, metavar="OUT.pdf", help="PDF file to write")
    what = forms.add_mutually_exclusive_group()
    what.add_argument("--count", type=positive_int, default=1, metavar="N",
                      help="number of blank sheets, each with its own serial (default 1)")
    what.add_argument("--roster", type=Path, metavar="roster.csv",
                      help="CSV with columns client_code, session, date and optionally age_band "
                           "(adult, adolescent, child): one pre-filled sheet per row and form")
    forms.add_argument("--paper", choices=("a4", "letter"), default="a4", help="paper size (default a4)")
    forms.add_argument("--form", type=form_arg, action="append", metavar="NAME|FILE",
                       help="a built-in form (srs, ors) or a form file (default: srs); give it twice "
                            "(--form ors --form srs) for both sheets per roster row, in that order")
    forms.add_argument("--seed", type=int, default=None,
                       help="make serials and the PDF reproducible (for tests and samples; "
                            "never for sheets you hand out)")
    forms.set_defaults(run=cmd_forms)


def cmd_forms(args: argparse.Namespace) -> None:
    from srs_scan.fileio import write_atomic
    from srs_scan.sheets.generate import render_sheets
    from srs_scan.sheets.sheetid import SheetId, new_serials, read_roster
    from srs_scan.sheets.spec import DEFAULT_FORM, load_form

    specs = [load_form(path) for path in args.form or [DEFAULT_FORM]]
    for path, spec in zip(args.form or [DEFAULT_FORM], specs):
        if spec.enrolled is not None:
            raise UsageError(f"{path.name} is an enrolled form: print the blank it was enrolled "
                             f"from, not sheets made by srs-scan")
    if len({spec.form_id for spec in specs}) != len(specs):
        raise UsageError("give each --form once")
    kinds = [(spec.form_id, spec.version) for spec in specs]
    rng = random.Random(args.seed) if args.seed is not None else None
    if args.roster:
        text = _roster_text(args.roster)
        try:
            sheets = read_roster(text, kinds, rng,
                                 warn=lambda message: print(f"srs-scan: warning: {args.roster.name}: "
                                                            f"{message}", file=sys.stderr))
        except ValueError as exc:
            raise RosterError(f"{args.roster.name}: {exc}") from None
    else:  # --count sets of blank sheets, one of each form per set
        serials = iter(new_serials(args.count * len(kinds), rng))
        sheets = [SheetId(f, v, next(serials)) for _ in range(args.count) for f, v in kinds]
    pdf = render_sheets(specs, sheets, args.paper, invariant=args.seed is not None)
    write_atomic(args.output, pdf)
    print(f"wrote {count(len(sheets), 'sheet')} ({args.paper}) to {args.output}")
    print("Print at 100 % (actual size); \"fit to page\" shrinks the lines.")


def add_enrol(commands: argparse._SubParsersAction) -> None:
    enrol = command(
        commands, "enrol", summary="enrol a blank form without markers, to read its copies",
        description="Find every visual analogue scale line on a blank form (PDF, PNG or JPEG), "
                    "and write a form file (with the blank's reference image beside it) that "
                    "`scan --form` reads filled copies with. Also writes a picture of the blank "
                    "with each line found drawn and labelled: check it.")
    enrol.add_argument("blank", type=Path, metavar="BLANK", help="the blank form")
    enrol.add_argument("-o", "--output", type=Path, required=True, metavar="forms/NAME.toml",
                       help="form file to write")
    enrol.add_argument("--items", metavar="a,b,c",
                       help="item ids, top to bottom (default line1, line2, ...)")
    enrol.add_argument("--name", metavar="NAME", help="the form's id (default: the file's name)")
    enrol.set_defaults(run=cmd_enrol)


def cmd_enrol(args: argparse.Namespace) -> None:
    from srs_scan.sheets.enrol import enrol, write_form

    name = args.name or args.output.stem
    if not name.replace("-", "_").isidentifier():
        raise UsageError(f"--name '{name}' must be a plain word (letters, digits, - or _)")
    items = [i.strip() for i in args.items.split(",")] if args.items else None
    if items and not all(i.isidentifier() for i in items):
        raise UsageError("--items must be plain words (a-z, 0-9, _), separated by commas")
    if not args.blank.is_file():
        raise UsageError(f"no such file: {args.blank}")
    found = enrol(args.blank)
    reference, picture = write_form(found, args.output, name, items, args.blank.name)
    ids = items or [f"line{i + 1}" for i in range(len(found.lines))]
    print(f"{args.blank.name}: {found.size_mm[0]:.1f} x {found.size_mm[1]:.1f} mm "
          f"({found.scale_note}); {len(found.lines)} line(s):")
    for item_id, line in zip(ids, found.lines):
        ends = "end ticks" if line.ticks else "no end ticks: its own ends count"
        print(f"  {item_id}: {line.length_mm:.1f} mm long, left end at ({line.x_mm:.1f}, "
              f"{line.y_mm:.1f}) mm, {ends}")
    for line in found.ignored:
        print(f"  ignored: a {line.length_mm:.1f} mm line without end ticks at y = "
              f"{line.y_mm:.1f} mm (a writing line?)")
    print(f"wrote {args.output} and {reference.name}; check {picture} before reading copies")


def add_labels(commands: argparse._SubParsersAction) -> None:
    labels = command(
        commands, "labels", summary="print sticky labels with a QR code per roster row",
        description="Print one sticky label per roster row (client_code, session, date): a QR "
                    "code with opaque ids and the client code in text, for forms that carry no "
                    "QR code of ours. The reader finds a label anywhere on the page.",
        epilog="label sheets: a4 = Avery L7160 (21 labels, 63.5 x 38.1 mm); letter = Avery "
               "5160 (30 labels, 2 5/8 x 1 in), and their compatibles.")
    labels.add_argument("roster", type=Path, metavar="roster.csv",
                        help="CSV with columns client_code, session, date")
    labels.add_argument("-o", "--output", type=Path, required=True, metavar="labels.pdf",
                        help="PDF file to write: one label sheet per page")
    labels.add_argument("--paper", choices=("a4", "letter"), default="a4",
                        help="a4: Avery L7160; letter: Avery 5160 (default a4)")
    add_form_option(labels)
    labels.add_argument("--seed", type=int, default=None,
                        help="reproducible serials (for tests; never for labels you hand out)")
    labels.set_defaults(run=cmd_labels)


def cmd_labels(args: argparse.Namespace) -> None:
    from srs_scan.fileio import write_atomic
    from srs_scan.sheets.labels import LABEL_SHEETS, render_labels
    from srs_scan.sheets.sheetid import read_roster
    from srs_scan.sheets.spec import DEFAULT_FORM, load_form

    spec = load_form(args.form or DEFAULT_FORM)
    text = _roster_text(args.roster)
    rng = random.Random(args.seed) if args.seed is not None else None
    try:
        sheets = read_roster(text, [(spec.form_id, spec.version)], rng,
                             warn=lambda message: print(message, file=sys.stderr))
    except ValueError as exc:
        raise RosterError(f"{args.roster.name}: {exc}") from None
    layout = LABEL_SHEETS[args.paper]
    write_atomic(args.output, render_labels(sheets, args.paper, invariant=args.seed is not None))
    pages = -(-len(sheets) // layout.per_sheet)
    print(f"wrote {len(sheets)} label{'s' if len(sheets) != 1 else ''} on {pages} sheet"
          f"{'s' if pages != 1 else ''} of {layout.product} to {args.output}")
    print("Print at 100 % (actual size). Stick one on each form, anywhere clear of the lines.")


def add_simulate(commands: argparse._SubParsersAction) -> None:
    simulate = command(
        commands, "simulate", summary="write filled, printed and scanned sheets with known truth",
        description="Fill in sheets with simulated pen marks, print and scan them as a real "
                    "clinic would, and write the scans with truth.csv: the true value of every "
                    "mark and what a reader must flag. Try the whole pipeline before you own a scanner.",
        epilog="profiles: office (300 dpi PDF), fit-to-page (printed at 94-97 %), fax (G4 TIFF), "
               "low-res (150 dpi), phone (JPEG photos), messy (holes, staple, fold, coffee), "
               "stray (messy, plus stray strokes, arrows, comments, rings, crossings-out, pencil "
               "on the lines; events.csv says which), mixed (a bit of each)")
    simulate.add_argument("out_dir", type=Path, metavar="OUT_DIR", help="folder to write into")
    simulate.add_argument("--pages", type=positive_int, default=12, metavar="N",
                          help="pages to simulate (default 12; mixed adds 2 fax pages and 2 photos)")
    simulate.add_argument("--seed", type=int, default=None,
                          help="same seed, same files (default: a new seed, printed)")
    simulate.add_argument("--profile", choices=SIMULATE_PROFILES, default="mixed", metavar="NAME",
                          help=f"how sheets are printed and scanned: {', '.join(SIMULATE_PROFILES)} "
                               "(default mixed)")
    simulate.add_argument("--paper", choices=("a4", "letter"), default="a4", help="paper size (default a4)")
    add_form_option(simulate)
    add_table_options(simulate, decimals=False)
    simulate.set_defaults(run=cmd_simulate)


def cmd_simulate(args: argparse.Namespace) -> None:
    import secrets

    from srs_scan.simulate import simulate
    from srs_scan.sheets.spec import DEFAULT_FORM, load_form

    seed = args.seed if args.seed is not None else secrets.randbelow(10**6)
    fmt = table_format(args)
    sim = simulate(args.out_dir, args.profile, args.pages, seed, args.paper,
                   load_form(args.form or DEFAULT_FORM), fmt=fmt)
    print(f"wrote {count(len(sim.rows), 'simulated page')} ({args.profile}, seed {seed}) to {args.out_dir}:")
    for name in sim.files:
        print(f"  {name}")
    print("  truth.csv (the true value of every mark, and what a reader must flag)")
