"""Pen marks on the lines: find each item's printed line, its end-stops and the marks on it.

For every item a strip around the line (the clear band, plus the margins past
each end) is warped through the homography into a rectified image at a fixed
resolution, so everything here works in form millimetres whatever the scan's
DPI or orientation. In that strip we find the printed line and its two
end-stops as they were actually printed, remove them, and measure every
remaining ink blob that meets the line. The value comes from the *detected*
end-stops, so a sheet printed at 94-97 % reads the same as one printed at 100 %.

This module does not find markers or decode the QR code (`register.py`) and
does not decide page-level flags (`reader.py`). All thresholds live in `params.py`;
the strip is `strip.py`, the ink analysis `blobs.py` and `crossing.py`.
"""


from __future__ import annotations

from dataclasses import replace

import numpy as np

from srs_scan.read.blobs import Blob, PenInk, find_blobs, within_reach
from srs_scan.read.colour import stain_coloured
from srs_scan.read.crossing import group_x_mm, sides_apart_mm
from srs_scan.read.kinds import (blob_kind, comes_from_afar, crosses_line_twice, ink_along_line,
                                 ink_inside_loop, letters_on_line, merge_blobs, overlong_crossing,
                                 stain_band, struck_tick)
from srs_scan.read.params import Params
from srs_scan.read.endtick import bilevel, mark_on_tick, tick_rows
from srs_scan.read.strip import (LineFit, Strip, find_end, find_line, find_stop, line_image,
                                 warp_strip)
from srs_scan.results import (CROSSED_OUT, FAINT, MULTIPLE_MARKS, NO_MARK, OFF_LINE, STRAY_INK,
                              Candidate, ItemResult)
from srs_scan.sheets.spec import FormSpec, Item


def read_item(image: np.ndarray, mm_to_px: np.ndarray, spec: FormSpec, item: Item,
              params: Params = Params()) -> ItemResult:
    """Measure one item: its end-stops, its marks, its value or the flags that stop a value."""
    strip = warp_strip(image, mm_to_px, spec, item, params)
    line = find_line(strip, spec, item, params)
    (xl, _), (xr, _) = spec.line_ends_mm(item)
    if item.stops:
        left, _ = find_stop(strip, line, xl, spec, params)
        right, _ = find_stop(strip, line, xr, spec, params)
    else:  # a line printed without end-stops: its own ends, as found in this scan
        left, _ = find_end(strip, line, xl, -1, params)
        right, _ = find_end(strip, line, xr, +1, params)
    stops = (left, right)
    line_only = line_image(strip, line, stops, params)
    blobs, ink = find_blobs(strip, line, line_only, stops, spec.stop_height_mm / 2, params,
                            spec.clear_band_mm)
    # our own sheets only: an enrolled form's stops are where a scan of it put them, not exact
    if item.stops and spec.enrolled is None and (checked := _stops_apart_from_marks(
            strip, stops, (xl, xr), blobs, params)) != stops:
        stops = checked
        line_only = line_image(strip, line, stops, params)
        blobs, ink = find_blobs(strip, line, line_only, stops, spec.stop_height_mm / 2, params,
                                spec.clear_band_mm)
    s = strip.px_per_mm
    band = spec.clear_band_mm

    # Light ink, and a stain's band no darker than a stain (a coffee ring's arc, thick and soft)
    # or brown on a colour scan, is no mark: set aside, and shown only when nothing else is at
    # the line. Off the line a stain is nothing at all.
    stains = [b for b in blobs if _stain_like(b, params)]
    brown = [b for b in blobs if _brown_band(b, strip, ink, params)]
    light = [b for b in blobs if b.darkness < params.stain_darkness
             or (_stain_like(b, params) and b.darkness < params.stain_max_darkness)
             or any(b is a for a in brown)
             or (b.darkness < params.stain_max_darkness and b.area_mm2 < params.light_min_area_mm2
                 and b.gap_mm <= params.touch_mm)
             or _stain_speck(b, stains, s, params)]
    # ... unless it is a pencil stroke crossing the line, plain to see: read like a pen mark
    darker = [b for b in blobs if not any(b is a for a in light)]
    pencil = _pencil_strokes(light, stains, brown, darker, strip, ink, params)
    light = [b for b in light if not any(b is p for p in pencil)]
    # Ink left beside a brown band, lighter than a pen and brown itself, is the stain's too
    # (where two rings cross, their bands add up: seed 605 p3, read 4.08 on an empty line): a
    # stain as dark as ink, flagged, never read.
    blobs = [replace(b, stain=True) if brown and not any(b is a for a in light)
             and _beside_brown(b, brown, strip, ink, params) else b for b in blobs]
    blobs = [b for b in blobs if not any(b is a for a in light)
             and not (_stain_like(b, params) and b.gap_mm > params.touch_mm)]
    on_line = [b for b in blobs if b.gap_mm <= params.touch_mm]
    strip_h_mm = strip.darkness.shape[0] / s
    on_line = [b for b in on_line  # a fold crease crossing the band is long, thin and light
               if not (b.height_mm >= params.crease_span * strip_h_mm
                       and b.darkness < params.crease_max_darkness)]
    # Ink in the band that does not touch the line (find_blobs kept only ink within reach).
    off_line = [b for b in blobs if b.gap_mm > params.touch_mm
                and within_reach(b.gap_mm, b.touches_edge, band, params)
                and b.area_mm2 >= params.off_line_min_area_mm2
                and xl - spec.clear_margin_x_mm + params.off_line_end_mm < b.x_mm
                < xr + spec.clear_margin_x_mm - params.off_line_end_mm]

    ref = max(line.darkness, 1e-3)
    found: list[tuple[Candidate, float]] = []  # with the mark's absolute darkness
    # Off-line ink beside a mark on the line is a piece of that mark (an X or circle drawn over
    # an end-stop loses its middle where the stop is cleared): merged with it, fitted with it.
    touching = {id(b) for b in on_line}
    struck: dict[int, float] = {}  # marks whose strokes cross (an X, a struck-out mark): ink mm2
    maybe_struck: dict[int, list[Blob]] = {}  # the others: perhaps a tick struck through
    crossing: dict[int, list[Blob]] = {}  # marks whose strokes may cross: their ink
    pen_marks = [b for b in on_line + off_line if not b.stain]
    for group in merge_blobs(pen_marks, params.merge_gap_mm * s, ink.cleared.any(axis=0),
                             params.two_marks_apart_mm, params.fit_rows_mm):
        on = [b for b in group if id(b) in touching]
        if not on:
            for b in group:
                found.append((_candidate(b, b.x_mm, False, stops, ref, spec, params), b.darkness))
            continue
        x_mm = group_x_mm(strip, ink, group, params)
        # one stray piece makes the whole group stray: a mark joined to a stroke from elsewhere
        # is not read, whichever piece is larger
        stray = any(blob_kind(b, params) in STRAY_KINDS for b in group) or comes_from_afar(on)
        # a piece from afar ending on the line, grouped with a mark that crosses it on its own
        # (an arrow's tip beside a circle, hold-out messy seed 4009 p20: read 6.10, no flag);
        # a mark cut in two by an end-stop leaves a piece on each side, neither crossing
        stray = stray or (any(b.crosses for b in on)
                          and any(comes_from_afar([b]) for b in on))
        # ink from afar joined to the mark and ending near the line on one side (an arrow's tip
        # beside it) pulls the fit: the mark cannot be read apart from it, so it is not read
        stray = stray or (any(b.touches_edge for b in group) and sides_apart_mm(
            strip, ink, group, params) > params.afar_sides_apart_mm)
        # two strokes joined off the line, each crossing it: a mark and a stroke from elsewhere
        stray = stray or (not _one_side(on) and crosses_line_twice(ink, group, s, params))
        # letters resting on the line from one side are writing, not a mark taken back: a
        # scribble over a mark crosses the line (stray seeds 301-305: 30 comments crossed_out)
        stray |= _one_side(on) and any(blob_kind(b, params) == "scribble" for b in on)
        # and so are letters, each a piece of its own, that a row crosses as often together
        stray = stray or (_one_side(on) and letters_on_line(ink, group, s, params))
        # and so are pieces resting on it from one side wider together than any one mark, a
        # mark perhaps among their letters (messy seed 3001 p25: "hard week" on the line over a
        # dot, one group, read 1.1 mm off with no flag); so is ink written inside a circle on
        # the line (seed 3008 p68: a "?", read as the circle with no flag)
        span_mm = (max(b.cols[1] for b in on) - min(b.cols[0] for b in on)) / s
        stray |= _one_side(on) and span_mm > params.stray_width_mm
        stray = stray or ink_inside_loop(  # (its contours are taken only when still needed)
            ink, [b for b in on if blob_kind(b, params) == "circle"], s, params)
        # a mark that stops just short of the line, on one side of it: not clearly touching
        short = _one_side(on) and min(b.gap_mm for b in on) > params.touch_unsure_mm
        found.append((_candidate(max(on, key=lambda b: b.area_mm2), x_mm, not short, stops, ref,
                                 spec, params, stray), max(b.darkness for b in on)))
        if not _one_side(on) and not any(b.touches_edge for b in group):
            if any(b.passes >= 2 for b in group):  # (a row crosses two strokes)
                crossing[id(found[-1][0])] = group
            if any(_struck(b, params) for b in on):
                struck[id(found[-1][0])] = sum(b.area_mm2 for b in group)
            else:
                maybe_struck[id(found[-1][0])] = group
    # a tick struck through looks like an X, and is told from one only beside another mark
    # (measured only then: it takes a while)
    if sum(c.touches_line and not c.stray for c, _ in found) > 1:
        struck |= {key: sum(b.area_mm2 for b in group) for key, group in maybe_struck.items()
                   if struck_tick(ink, group, s, params)}
    found = _struck_through(found, struck, params)
    # a mark not struck out whose strokes cross, one longer than a pen X's: a mark with a stroke
    # from elsewhere across it (messy seed 3008 p69: read 8.58 as one X with no flag)
    found = [(replace(c, stray=True, kind="stray") if id(c) in crossing and not c.stray
              and not c.crossed_out and overlong_crossing(ink, crossing[id(c)], s, params)
              else c, dark) for c, dark in found]
    # A stain as dark as ink is stray ink of its own, never a piece of the pen mark it touched:
    # merged, it would pull that mark's fit aside; alone, it flags the item (never a value).
    for b in on_line + off_line:
        if b.stain:
            found.append((_candidate(b, b.x_mm, id(b) in touching, stops, ref, spec, params, True),
                          b.darkness))

    one_bit = bilevel(image, mm_to_px, xr, item.y_mm, spec.stop_height_mm / 2)  # a fax's line
    # a mark hidden in an end-stop: on an enrolled form's tall ticks, and on our own 4 mm stops
    # a short tick laid over one (messy seed 814 p1: cleared with the stop, read 8.64, no flag)
    if item.stops and not one_bit:
        stops, found = _marks_on_ticks(strip, line, stops, (xl, xr), found, spec, params,
                                       pen_marks if spec.enrolled is None else [])
    # a stain set aside where it meets the line thickens the line's core there, as a mark does:
    # a ring's band crossing at a slant thickens it over several mm (seed 704 p37: stray_ink)
    crossing_stains = [b for b in light if b.gap_mm <= params.touch_mm
                       and (_stain_like(b, params) or stain_band(b, params))]
    along = ink_along_line(line_only, stops, strip, on_line, ink, params, crossing_stains,
                           side_ink=spec.enrolled is None and not one_bit)
    flags = _item_flags(found, line.darkness if line.found else 1.0, params, along)
    if not flags and _light_beside_mark(light, stains, on_line, strip_h_mm, s, params):
        flags = (FAINT,)
    if not found:
        # Nothing but light ink touches the line: no mark to read, but show a person what is there.
        faint = [b for b in light if b.gap_mm <= params.touch_mm]
        for group in merge_blobs(faint, params.merge_gap_mm * s, ink.cleared.any(axis=0)):
            found.append((_candidate(max(group, key=lambda b: b.area_mm2),
                                     group_x_mm(strip, ink, group, params), True, stops, ref,
                                     spec, params), max(b.darkness for b in group)))
        if found:
            flags = (NO_MARK, FAINT, STRAY_INK) if along else (NO_MARK, FAINT)
    candidates = tuple(c for c, _ in found)
    value = candidates[0].value_cm if not flags else None
    return ItemResult(item_id=item.id, value_cm=value, flags=flags, candidates=candidates,
                      line_ends_x_mm=(round(stops[0], 3), round(stops[1], 3)))


def _marks_on_ticks(strip: Strip, line: LineFit, stops: tuple[float, float],
                    expected: tuple[float, float], found: list[tuple[Candidate, float]],
                    spec: FormSpec, params: Params, beside: list[Blob]
                    ) -> tuple[tuple[float, float], list[tuple[Candidate, float]]]:
    """A mark hidden in a tall end tick (`endtick.py`), added to what was `found` when no mark
    on the line was read at that tick already. Pieces of it seen off the line (a tip reaching
    past the tick's cleared box) are dropped: they are that mark. Returns the stops (a tick's
    centre from its rows without pen ink, where a mark was found on it) and the marks.
    On our own sheets (`beside`: the pen ink found) an end whose tick window any of that ink
    reaches into is left alone: the ink on the stop is that mark's own (a ring's side on the
    stop, messy seed 814 p22: its centre is 2.5 mm off, and it read as a second mark)."""
    new = list(stops)
    reach = params.tick_window_mm + params.merge_gap_mm
    rows = None  # both ticks' rows, taken once for either end
    for end in (0, 1):
        near = [f for f in found if abs(f[0].x_mm - stops[end]) <= reach]
        if any(c.touches_line or c.stray for c, _ in near):
            continue  # read (or flagged) by blobs.py already
        c, r = strip.col(stops[end]), reach * strip.px_per_mm
        if any(b.cols[0] <= c + r and b.cols[1] >= c - r for b in beside):
            continue
        rows = rows or tick_rows(strip, line, stops, spec.stop_height_mm / 2, params)
        tick = mark_on_tick(strip, line, stops, end, expected[end], spec.stop_height_mm / 2,
                            params, rows)
        if tick is None:
            continue
        found = [f for f in found if not any(f is n for n in near)]
        new[end] = tick.stop_x_mm
        found.append((Candidate(x_mm=round(tick.x_mm, 3),
                                value_cm=round(spec.value_cm(tick.x_mm, (new[0], new[1])), 3),
                                kind="on end tick", touches_line=True, crossed_out=False,
                                contrast=round(min(1.0, tick.darkness / max(line.darkness, 1e-3)),
                                               3),
                                stray=False, offset_mm=0.0), tick.darkness))
    return (new[0], new[1]), found


STRAY_KINDS = ("stray", "stain", "writing")


def _stops_apart_from_marks(strip: Strip, stops: tuple[float, float],
                            expected: tuple[float, float], blobs: list[Blob], params: Params
                            ) -> tuple[float, float]:
    """The end-stops, with one taken from a mark's ink placed the printed length from the
    other instead: found with pen ink at it, away from where the registration puts it and
    and from the printed length to the other stop (`stop_length_tol_mm`), while the other stop,
    with no ink at it, is where expected. Otherwise (both clear, both marked, or both away
    from where expected: the page's scale is off there) the stops as found."""
    tol = params.stop_length_tol_mm
    length = expected[1] - expected[0]
    if abs(stops[1] - stops[0] - length) <= tol:
        return stops
    reach = params.stop_search_mm * strip.px_per_mm
    marked = [any(not b.stain and b.cols[0] - reach <= strip.col(x) <= b.cols[1] + reach
                  for b in blobs) for x in stops]
    away = [abs(x - e) > tol for x, e in zip(stops, expected)]
    if marked == [True, False] and away == [True, False]:
        return stops[1] - length, stops[1]
    if marked == [False, True] and away == [False, True]:
        return stops[0], stops[0] + length
    return stops
    reach = params.stop_search_mm * strip.px_per_mm
    marked = [any(not b.stain and b.cols[0] - reach <= strip.col(x) <= b.cols[1] + reach
                  for b in blobs) for x in stops]
    if marked == [True, False]:
        return stops[1] - length_mm, stops[1]
    if marked == [False, True]:
        return stops[0], stops[0] + length_mm
    return stops


def _stain_like(b: Blob, params: Params) -> bool:
    return b.stain or blob_kind(b, params) == "stain"


def _brown_band(b: Blob, strip: Strip, ink: PenInk, params: Params) -> bool:
    """A stain's band darker than the stain cut, told by its colour: cut apart as a stain, or as
    thick, long and light as one (`stain_band`: a ring's band running along the strip is also
    too wide for a mark), lighter than a pen, and brown on a colour scan (`colour.py`). Colour
    is measured only for such a band."""
    return ((b.stain or stain_band(b, params)) and b.darkness < params.stain_ink_darkness
            and stain_coloured(strip, ink, b, params))


def _beside_brown(b: Blob, brown: list[Blob], strip: Strip, ink: PenInk, params: Params) -> bool:
    """Whether ink lighter than a pen lies in a brown band's columns and is brown itself."""
    pad = params.merge_gap_mm * strip.px_per_mm
    return (b.darkness < params.stain_ink_darkness
            and any(a.cols[0] - pad <= b.cols[1] and b.cols[0] - pad <= a.cols[1] for a in brown)
            and stain_coloured(strip, ink, b, params))


def _one_side(blobs: list[Blob]) -> bool:
    """All of this ink lies on one side of the line (it touches it, but does not cross it)."""
    return all(b.one_sided for b in blobs) and len({b.below for b in blobs}) == 1


def _struck(b: Blob, params: Params) -> bool:
    """Whether a mark looks struck through: three strokes crossing, two crossing over more than
    a mark's size (an X with arms of 4.5-8 mm stays within ~7 mm; a tick with a 7-12 mm slash
    over it does not), or pen-dark ink far thicker than one stroke (strokes laid over each
    other: a dense scribble that fills in solid, crossed by a row only once)."""
    return (b.passes >= 3
            or (b.passes >= 2 and max(b.width_mm, b.height_mm) >= params.struck_min_size_mm)
            or (b.thickness_mm > params.scribble_thickness_mm
                and b.darkness >= params.stain_ink_darkness))


def _struck_through(found: list[tuple[Candidate, float]], struck: dict[int, float],
                    params: Params) -> list[tuple[Candidate, float]]:
    """Two or more marks on the line, all single strokes but one whose strokes cross: that one
    was struck through, taken back (a tick with a slash over it beside a new tick; the slash
    may make it too wide or slanted for a mark, stray, but it stays within the strip). Of
    several with crossing strokes, the one with by far the most ink (`struck_ink_ratio`) was
    struck out (an X with a slash over it beside a new X); when none stands out, which one was
    taken back is not seen: left to `multiple_marks`. Either way the item gets no value."""
    live = [c for c, _ in found if c.touches_line and not c.crossed_out and not c.stray]
    crossed = sorted((c for c, _ in found if id(c) in struck and c.touches_line
                      and not c.crossed_out and (not c.stray or c.kind == "stray")),
                     key=lambda c: struck[id(c)], reverse=True)
    if not crossed or not [c for c in live if c is not crossed[0]]:
        return found
    if len(crossed) > 1 and struck[id(crossed[0])] < params.struck_ink_ratio * struck[id(crossed[1])]:
        return found
    return [(replace(c, crossed_out=True, stray=False, kind="scribble") if c is crossed[0] else c,
             dark) for c, dark in found]


def _light_beside_mark(light: list[Blob], stains: list[Blob], on_line: list[Blob],
                       strip_h_mm: float, s: float, params: Params) -> bool:
    """Light ink set aside that crosses the line right beside a pen mark may be a part of that
    mark, lighter than the rest (a pencil circle's side under a shadow band): the mark read
    alone may be off by its radius (messy seed 604 p13: 3 mm, no flag). A person would hesitate
    at such a mark too: faint. Light ink on one side of the line only (a ring's or a streak's
    piece, specks), a stain's band or speck, or a crease crossing the strip, is not pen ink
    and leaves the mark alone."""
    gap = params.merge_gap_mm * s
    marks = [m for m in on_line if not m.stain]
    return any(
        b.crosses and b.darkness < params.stain_darkness
        and not _stain_like(b, params) and not _stain_speck(b, stains, s, params)
        and b.height_mm < params.crease_span * strip_h_mm
        and any(b.cols[0] - gap <= m.cols[1] and m.cols[0] - gap <= b.cols[1] for m in marks)
        for b in light)


def _pencil_strokes(light: list[Blob], stains: list[Blob], brown: list[Blob], darker: list[Blob],
                    strip: Strip, ink: PenInk, params: Params) -> list[Blob]:
    """Light ink at the line that is a pencil stroke crossing it (a tick, a slant, an X or a
    circle's side): its pieces together reach well beyond the line on both sides, are as wide
    as a pencil's line (a fold crease is thinner, a ring's band wider), stay inside the strip
    (a ring or a crease runs through it) and are grey, not a stain's. A person reads such a
    mark at a glance; lighter ink, or light ink of any other shape, stays set aside. Light ink
    right beside darker ink at the line stays set aside too: it may be that mark's lighter part
    (`_light_beside_mark` flags it faint); and so does light ink beside an end-stop, where a
    smudge or a band along the stop, cut by the stop's clearing, is as narrow as a pencil line
    (a tall printed tick on an enrolled form: read 10.0 on a blank line)."""
    s = strip.px_per_mm
    gap = params.merge_gap_mm * s
    at_line = [b for b in light if b.gap_mm <= params.touch_mm]
    marks = [m for m in darker if m.gap_mm <= params.touch_mm]
    strokes: list[Blob] = []
    cleared = ink.cleared.any(axis=0)
    for group in merge_blobs(at_line, gap, cleared):
        main = max(group, key=lambda b: b.area_mm2)
        plain = all(not _stain_like(b, params) and not any(b is a for a in brown)
                    and not _stain_speck(b, stains, s, params) and not b.touches_edge
                    and not stain_coloured(strip, ink, b, params) for b in group)
        crosses = (any(b.crosses for b in group) or len({b.below for b in group}) == 2) and (
            _reaches_line_both_sides(group, ink, s, params))
        lo, hi = min(b.cols[0] for b in group), max(b.cols[1] for b in group)
        beside = (any(lo - gap <= m.cols[1] and m.cols[0] - gap <= hi for m in marks)
                  or cleared[max(0, int(lo - gap)):int(hi + gap)].any())
        if (plain and crosses and not beside and main.height_mm >= params.pencil_min_height_mm
                and params.pencil_width_mm[0] <= main.thickness_mm <= params.pencil_width_mm[1]
                and max(b.darkness for b in group) >= params.pencil_darkness):
            strokes += group
    return strokes


def _reaches_line_both_sides(group: list[Blob], ink: PenInk, s: float, params: Params) -> bool:
    """Whether the ink itself (not the gap the closing bridged) comes within
    `pencil_cut_gap_mm` of the line's centre from above and from below: a stroke crossing the
    line, cut only where the printed line was taken away."""
    near = params.pencil_cut_gap_mm * s
    above = below = False
    for b in group:
        c0, c1 = b.cols
        dy = ink.dy[:, c0:c1][(ink.labels[:, c0:c1] == b.label) & (ink.pen[:, c0:c1] > 0)]
        above |= bool(((dy < 0) & (dy >= -near)).any())
        below |= bool(((dy >= 0) & (dy <= near)).any())
    return above and below


def _stain_speck(b: Blob, stains: list[Blob], s: float, params: Params) -> bool:
    """A speck no bigger than a pen dot, within a stain's columns and no darker than the stain
    by much: a piece of the stain's band come apart from it (stray seed 302: a dark ring's
    speck read as the only mark on an empty line)."""
    pad = params.stain_speck_pad_mm * s
    return b.area_mm2 < params.stain_speck_area_mm2 and any(
        st is not b and st.cols[0] - pad <= b.cols[0] and b.cols[1] <= st.cols[1] + pad
        and b.darkness < st.darkness + params.stain_speck_darker for st in stains)


def _candidate(b: Blob, x_mm: float, touches: bool, stops: tuple[float, float], ref: float,
               spec: FormSpec, params: Params, stray: bool = False) -> Candidate:
    kind = "stain" if b.stain else blob_kind(b, params)
    if kind == "scribble" and (stray or not touches):  # words beside the line, not a mark taken back
        kind = "writing"
        stray = True
    if stray and kind not in STRAY_KINDS:
        kind = "stray"
    return Candidate(x_mm=round(x_mm, 3), value_cm=round(spec.value_cm(x_mm, stops), 3), kind=kind,
                     touches_line=touches, crossed_out=kind == "scribble",
                     contrast=round(min(1.0, b.darkness / ref), 3),
                     stray=stray or kind in STRAY_KINDS,
                     offset_mm=0.0 if touches else round(b.gap_mm if b.below else -b.gap_mm, 2))


def _item_flags(found: list[tuple[Candidate, float]], line_darkness: float,
                params: Params, along: bool = False) -> tuple[str, ...]:
    """Flag rather than guess: a value only for exactly one clear, live mark on the line, with
    no ink beside it that is no mark (stray ink: never read, never a guess)."""
    flags: list[str] = []
    live = [(c, dark) for c, dark in found
            if c.touches_line and not c.crossed_out and not c.stray]
    if any(c.crossed_out for c, _ in found):
        flags.append(CROSSED_OUT)
    if len(live) > 1:
        flags.append(MULTIPLE_MARKS)
    if any(not c.touches_line and not c.crossed_out and not c.stray for c, _ in found):
        flags.append(OFF_LINE)
    if along or any(c.stray for c, _ in found):
        flags.append(STRAY_INK)
    if not found and not along:
        flags.append(NO_MARK)
    # Faint means lighter than the limit *and* clearly lighter than the printed line in this
    # scan: a low-resolution or blurred scan lightens every thin stroke, the 0.14 mm line
    # included, and a pencil mark as dark as the line is as plain to see as the line.
    limit = min(params.faint_darkness, params.faint_vs_line * line_darkness)
    if any(dark < limit for _, dark in live):
        flags.append(FAINT)
    return tuple(flags)
