"""What each page will be: every random choice of a run, made up front, as pure data.

`plan_pages` decides the page kinds (form, unfilled form, blank back, a letter that
is not our form), which items carry a case the reader must flag, each mark's kind,
value and ink, other writing, the print scale and offset, the handling (the messy
profile) and the scan settings, all from one `random.Random`. The truth follows from
the plans alone.

This module draws nothing and writes nothing.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from srs_scan.sheets.sheetid import SheetId, new_serials
from srs_scan.simulate.model import (
    PHONE_BACKGROUNDS, PHONE_SIZE_PX, PROFILES, Handling, ItemTruth, PagePlan, Params, PenMark, Profile,
    ScanPlan, apply_transform, print_transform, printed_line_mm,
)
from srs_scan.simulate.events import EVENT_WEIGHTS, EVENTS, plan_event
from srs_scan.simulate.pen import draw_mark, off_line_mark, scribble, writing
from srs_scan.sheets.spec import PAPER_SIZES_MM, FormSpec, block_origin_mm


MARK_KINDS = ("tick", "slant", "cross", "circle", "dot", "long")
MARK_WEIGHTS = (0.36, 0.15, 0.15, 0.10, 0.06, 0.18)
ITEM_CASES = ("no_mark", "multiple_marks", "crossed_out", "off_line")
NAMES = ("Sam", "J. Rivera", "Alex K", "Mo", "R. Okafor", "Lee")
COMMENTS = ("better today", "felt rushed", "thanks!", "ok", "hard week", "good", "not sure", "?")


def _true_value(rng: random.Random) -> float:
    """A target position in cm along the line, beyond 0-10 for marks past an end.

    Real SRS use: most marks high, some low, a few exactly on or past an end-stop.
    """
    r = rng.random()
    if r < 0.62:
        return 10.0 - min(4.5, abs(rng.gauss(0.0, 1.6)))
    if r < 0.82:
        return rng.uniform(0.3, 6.0)
    if r < 0.90:
        return 10.0 if rng.random() < 0.75 else 0.0
    return 10.0 + 0.1 * rng.uniform(1.0, 6.0) if rng.random() < 0.8 else -0.1 * rng.uniform(1.0, 6.0)


def _pick_ink(rng: random.Random, profile: Profile) -> str:
    return rng.choices(profile.inks, profile.ink_weights)[0]


def _plan_item(spec: FormSpec, item, paper: str, print_m: np.ndarray, case: str, ink: str,
               rng: random.Random, p: Params) -> tuple[list[PenMark], ItemTruth]:
    (xl, y), (xr, _) = printed_line_mm(spec, item, paper, print_m)
    span = xr - xl

    # past an end-stop, but inside the form's clear margin: an enrolled form may print its
    # end labels nearer than our own sheets' 12 mm (the shared VAS blank: 4.9 mm), and a mark
    # over those words is not one a reader can be asked to read
    past = min(p.past_end_mm[1], spec.clear_margin_x_mm - 1.0) / 6.0

    def x_at(v: float) -> float:  # v beyond 0-10 lands past the end-stop, by up to past_end_mm
        if v > 10.0:
            return xr + (v - 10.0) * 10.0 * past
        if v < 0.0:
            return xl + v * 10.0 * past
        return xl + v / 10.0 * span

    if case == "clean":
        kind = rng.choices(MARK_KINDS, MARK_WEIGHTS)[0]
        v = _true_value(rng)
        if not 0.0 <= v <= 10.0 and kind in ("dot", "circle"):
            kind = "tick"   # past an end a dot or circle would not reach the line at all
        mark = draw_mark(kind, x_at(v), y, ink, rng, p)
        assert mark.true_x_mm is not None
        return [mark], ItemTruth(item.id, round(spec.value_cm(mark.true_x_mm, (xl, xr)), 2))
    if case == "no_mark":
        return [], ItemTruth(item.id, None, ("no_mark",))
    if case == "off_line":
        return [off_line_mark(x_at(rng.uniform(1.0, 9.5)), y, ink, rng, p)], \
            ItemTruth(item.id, None, ("off_line",))
    first = rng.uniform(1.0, 9.0)
    second = first + rng.choice((-1, 1)) * rng.uniform(p.second_mark_gap_mm / 10.0, 5.0)
    if not 0.3 <= second <= 9.7:
        second = first - (second - first)
    kinds = [rng.choices(MARK_KINDS[:3], (0.6, 0.2, 0.2))[0] for _ in range(2)]
    if case == "multiple_marks":
        marks = [draw_mark(kinds[0], x_at(first), y, ink, rng, p),
                 draw_mark(kinds[1], x_at(second), y, ink, rng, p)]
        return marks, ItemTruth(item.id, None, ("multiple_marks",))
    if case == "crossed_out":
        marks = [draw_mark("tick", x_at(first), y, ink, rng, p),
                 scribble(x_at(first), y, ink, rng, p),
                 draw_mark(kinds[1], x_at(second), y, ink, rng, p)]
        return marks, ItemTruth(item.id, None, ("crossed_out",))
    raise ValueError(f"unknown item case {case!r}")


def _other_writing(spec: FormSpec, sheet: SheetId, paper: str, print_m: np.ndarray, ink: str,
                   rng: random.Random) -> list[PenMark]:
    """A code or name in the client-code field (if not pre-filled), or a comment beside a line."""
    ox, oy = block_origin_mm(spec, paper)
    marks: list[PenMark] = []
    fields = {f.name: f for f in spec.fields}
    if not sheet.client_code and "client_code" in fields and rng.random() < 0.7:
        f = fields["client_code"]
        text = rng.choice((f"C{rng.randint(100, 9999):04d}", rng.choice(NAMES)))
        at = apply_transform(print_m, ox + f.x_mm + rng.uniform(1.0, 6.0), oy + f.y_mm - rng.uniform(0.6, 1.5))
        marks.append(writing(text, at, rng.uniform(3.5, 5.0), ink, rng))
    if rng.random() < 0.5:
        item = rng.choice(spec.items)
        words = rng.choice(COMMENTS)
        if rng.random() < 0.5:   # in the right margin, past the clear band's end
            x = spec.line_end_x_mm + spec.clear_margin_x_mm + rng.uniform(1.0, 3.0)
            y = item.y_mm + rng.uniform(-1.0, 2.0)
            words = rng.choice([c for c in COMMENTS if len(c) <= 9])   # the margin is 25 mm wide
        else:                    # just above the clear band, under the prompt
            x = spec.line_x_mm + rng.uniform(10.0, 50.0)
            y = item.y_mm - spec.clear_band_mm - rng.uniform(0.6, 1.2)
        marks.append(writing(words, apply_transform(print_m, ox + x, oy + y), rng.uniform(2.6, 3.2), ink, rng))
    return marks


def _scan_plan(profile: Profile, paper: str, rng: random.Random) -> ScanPlan:
    dpi = rng.choice(profile.dpi)
    mode = rng.choice(profile.modes)
    plan = ScanPlan(
        dpi=dpi, mode=mode, skew_deg=rng.uniform(-profile.skew_deg, profile.skew_deg),
        upside_down=rng.random() < profile.upside_down_share,
        offset_mm=(rng.uniform(-1, 1) * Params.scan_offset_mm, rng.uniform(-1, 1) * Params.scan_offset_mm),
        blur_px=rng.uniform(*profile.blur_px), noise=rng.uniform(*profile.noise),
        jpeg_quality=rng.randint(*profile.jpeg_quality),
        background=(rng.randint(225, 245),) * 3)
    if not profile.phone:
        return plan
    pw, ph = PHONE_SIZE_PX
    w_mm, h_mm = PAPER_SIZES_MM[paper]
    fill = rng.uniform(0.80, 0.92)                   # share of the photo's height the sheet spans
    sh = ph * fill
    sw = sh * w_mm / h_mm
    cx, cy = pw / 2 + rng.uniform(-0.05, 0.05) * pw, ph / 2 + rng.uniform(-0.03, 0.03) * ph
    rot = math.radians(plan.skew_deg)
    corners = []
    for ux, uy in ((-0.5, -0.5), (0.5, -0.5), (0.5, 0.5), (-0.5, 0.5)):
        x, y = ux * sw, uy * sh
        x, y = x * math.cos(rot) - y * math.sin(rot), x * math.sin(rot) + y * math.cos(rot)
        j = 0.045 * sh                                # perspective: each corner moves independently
        corners.append((cx + x + rng.uniform(-j, j), cy + y + rng.uniform(-j, j)))
    # a camera held nearer the top than the bottom: the far edge shrinks
    tilt = rng.uniform(-0.06, 0.06) * sw
    corners[0] = (corners[0][0] + tilt, corners[0][1])
    corners[1] = (corners[1][0] - tilt, corners[1][1])
    return replace(plan, photo_corners=tuple(corners), upside_down=False,
                   light=(rng.uniform(0.82, 1.0), rng.uniform(-0.18, 0.18), rng.uniform(-0.18, 0.18),
                          rng.uniform(0.05, 0.2)),
                   background=rng.choice(PHONE_BACKGROUNDS), exif_rotated=rng.random() < 0.5)


def _handling(paper: str, rng: random.Random, rings: tuple[tuple[float, ...], ...] = (),
              events: bool = False) -> Handling:
    """Holes, a staple, a fold and a coffee ring; with events, the events' rings instead."""
    handling = _messy_handling(paper, rng)
    return replace(handling, ring_mm=None, rings=rings) if events else handling


def _messy_handling(paper: str, rng: random.Random) -> Handling:
    w, h = PAPER_SIZES_MM[paper]
    holes = ((12.0, h / 2 - 40.0), (12.0, h / 2 + 40.0))  # ISO 838: 80 mm apart, 12 mm in
    corner = rng.choice(("tl", "tr"))
    x0 = rng.uniform(8.0, 22.0)
    y0 = rng.uniform(8.0, 26.0)
    ang = math.radians(rng.uniform(30.0, 60.0))
    start = (x0 if corner == "tl" else w - x0, y0)
    end = (start[0] + (12.0 * math.cos(ang) if corner == "tl" else -12.0 * math.cos(ang)),
           start[1] - 12.0 * math.sin(ang) + 12.0)
    crease_x = w / 2 + rng.uniform(-12.0, 12.0)
    lean = rng.uniform(-4.0, 4.0)
    return Handling(
        holes_mm=holes, hole_d_mm=rng.uniform(5.5, 6.5), hole_grey=rng.randint(25, 110),
        staple_mm=(start, end),
        crease_mm=((crease_x - lean, -5.0), (crease_x + lean, h + 5.0)),
        crease_strength=rng.uniform(0.06, 0.16),
        ring_mm=(rng.uniform(40.0, w - 40.0), rng.uniform(40.0, h - 40.0), rng.uniform(32.0, 42.0),
                 rng.uniform(1.0, 2.5)),
        ring_strength=rng.uniform(0.10, 0.22))


def _page_kinds(n: int, rng: random.Random, profile: Profile) -> list[str]:
    kinds = ["form"] * n
    extras = []
    if n >= 6:   # about one of each per 12 pages, as in a real week's stack
        extras += ["blank_form", "foreign"] * max(1, n // 12)
    if n >= 8 and not profile.phone:
        extras += ["blank_back"] * max(1, n // 12)
    slots = rng.sample(range(1, n), min(len(extras), n - 1)) if n > 1 else []
    for slot, kind in zip(slots, extras):
        kinds[slot] = kind
    for i, kind in enumerate(kinds):  # a blank back follows the front it belongs to
        if kind == "blank_back" and kinds[i - 1] != "form":
            j = next((k for k in range(1, n) if kinds[k] == "form" and kinds[k - 1] == "form"), None)
            if j is not None:
                kinds[i], kinds[j] = "form", "blank_back"
    return kinds


FOREIGN_WORDS = ("appointment", "referral", "please", "the", "clinic", "report", "summary", "of",
                 "attached", "you", "for", "and", "next", "week", "insurance", "form", "signed",
                 "date", "therapy", "session", "thank", "regarding", "our", "with", "notes")


def plan_pages(spec: FormSpec, profile_name: str, pages: int, rng: random.Random,
               paper: str = "a4", p: Params = Params(), looks: Sequence[str] | None = None
               ) -> list[PagePlan]:
    """What each page will be, every random choice made: pure data, nothing drawn yet.

    `looks` optionally gives each page its own profile for printing, handling and
    scanning (the mixed batch); the page kinds follow `profile_name`.
    """
    profile = PROFILES[profile_name]
    kinds = _page_kinds(pages, rng, profile)
    forms = [i for i, k in enumerate(kinds) if k == "form"]
    # one of each item case on its own page when there is room, then a few more at random
    cases: dict[tuple[int, int], str] = {}
    if len(forms) >= 6:
        for case, page_i in zip(ITEM_CASES, rng.sample(forms, len(ITEM_CASES))):
            cases[(page_i, rng.randrange(len(spec.items)))] = case
    for page_i in forms:
        for item_i in range(len(spec.items)):
            if (page_i, item_i) not in cases and rng.random() < p.item_case_share:
                cases[(page_i, item_i)] = rng.choice(ITEM_CASES)

    serials = new_serials(pages, rng)
    plans = []
    for i, kind in enumerate(kinds):
        profile = PROFILES[looks[i]] if looks else PROFILES[profile_name]
        scale = rng.uniform(*profile.print_scale)
        offset = (rng.uniform(-1, 1) * p.print_offset_mm, rng.uniform(-1, 1) * p.print_offset_mm)
        print_m = print_transform(scale, offset, paper)
        sheet = None
        marks: list[PenMark] = []
        items: tuple[ItemTruth, ...] = ()
        page_expect: tuple[str, ...] = ()
        foreign: tuple[str, ...] = ()
        rings: tuple[tuple[float, ...], ...] = ()
        if kind in ("form", "blank_form"):
            prefilled = rng.random() < p.prefilled_share
            sheet = SheetId(spec.form_id, spec.version, serials[i],
                            f"C{rng.randint(1, 9999):04d}" if prefilled else "",
                            str(rng.randint(1, 30)) if prefilled else "",
                            f"2026-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
                            if prefilled and rng.random() < 0.5 else "")
            ink = _pick_ink(rng, profile)
            if kind == "form":
                truths = []
                for j, item in enumerate(spec.items):
                    if profile.events:
                        (xl, y), (xr, _) = printed_line_mm(spec, item, paper, print_m)
                        event = rng.choices(EVENTS, EVENT_WEIGHTS)[0]
                        item_marks, item_rings, truth = plan_event(
                            event, item.id, xl, xr, y, ink, rng, p, scale_max=spec.scale_max)
                        rings += item_rings
                    else:
                        item_marks, truth = _plan_item(spec, item, paper, print_m,
                                                       cases.get((i, j), "clean"), ink, rng, p)
                    marks += item_marks
                    truths.append(truth)
                items = tuple(truths)
            else:
                items = tuple(ItemTruth(item.id, None) for item in spec.items)
                page_expect = ("blank_page",)
            if rng.random() < p.writing_share:
                marks += _other_writing(spec, sheet, paper, print_m, ink, rng)
        else:
            page_expect = ("not_a_form",)
            if kind == "foreign":
                foreign = tuple(" ".join(rng.choice(FOREIGN_WORDS) for _ in range(rng.randint(8, 13)))
                                for _ in range(rng.randint(14, 24)))
        plans.append(PagePlan(
            kind=kind, profile=profile.name, sheet=sheet, print_scale=scale, print_offset_mm=offset,
            marks=tuple(marks), items=items, page_expect=page_expect,
            scan=_scan_plan(profile, paper, rng),
            handling=_handling(paper, rng, rings, profile.events) if profile.messy else Handling(),
            toner=rng.randint(*p.toner_black), paper=rng.randint(*p.paper_white),
            noise_seed=rng.getrandbits(63), foreign_text=foreign))
    return plans
