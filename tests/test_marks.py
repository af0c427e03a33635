"""Pen-mark measurement on one line: every mark kind, the ends, and every item flag on purpose.

These call `read_item` with the page's exact geometry (no marker detection), so they test
measurement alone; test_read.py covers the same through registration and distortion.
"""

import math
from pathlib import Path

import cv2
import numpy as np
import pytest

from drawmarks import BLACK, BLUE, PENCIL, RED, Drawer, Pen, blank_page, distort
from srs_scan.read.marks import read_item
from srs_scan.read.params import Params
from srs_scan.results import CROSSED_OUT, FAINT, MULTIPLE_MARKS, NO_MARK, OFF_LINE, STRAY_INK
from srs_scan.sheets.spec import block_origin_mm, load_form
from srs_scan.simulate.events import LINE_HALF_MM

SPEC = load_form()
DPI = 300


def exact_mm_to_px(dpi=DPI):
    ox, oy = block_origin_mm(SPEC, "a4")
    k = dpi / 25.4
    # pixel centres: the page pixel (i, j) covers [i, i+1) / k mm
    return np.array([[k, 0, ox * k - 0.5], [0, k, oy * k - 0.5], [0, 0, 1]])


def read_all(image, dpi=DPI):
    h = exact_mm_to_px(dpi)
    return [read_item(image, h, SPEC, item) for item in SPEC.items]


@pytest.mark.parametrize("kind", ["tick", "slanted", "cross", "circle", "dot"])
def test_each_mark_kind_reads_where_it_meets_the_line(kind):
    values = (0.35, 4.83, 7.02, 9.61)
    image = blank_page()
    d = Drawer(image)
    for i, v in enumerate(values):
        pen = Pen((BLUE, BLACK, RED, BLUE)[i], (0.3, 0.5, 0.8, 0.6)[i])
        {"tick": lambda: d.tick(i, v, pen, up=4, down=2.5),
         "slanted": lambda: d.tick(i, v, pen, up=3, down=3, lean_mm=0.6),
         "cross": lambda: d.cross(i, v, pen),
         "circle": lambda: d.circle(i, v, pen, r=2.0),
         "dot": lambda: d.dot(i, v, pen)}[kind]()
    items = read_all(distort(image, jpeg=85))
    for item, v in zip(items, values):
        assert item.flags == (), (kind, item)
        assert item.value_cm == pytest.approx(v, abs=0.02), kind
    assert [c.kind for c in items[1].candidates] == [
        {"tick": "tick", "slanted": "tick", "cross": "cross", "circle": "circle",
         "dot": "dot"}[kind]]


def test_marks_at_and_beyond_the_ends_clamp_to_0_and_10():
    image = blank_page()
    d = Drawer(image)
    d.tick(0, 0.0)
    d.tick(1, 10.0)
    d.tick(2, -0.6)   # 6 mm left of the left end-stop
    d.tick(3, 10.5)
    items = read_all(image)
    assert [i.value_cm for i in items] == pytest.approx([0.0, 10.0, 0.0, 10.0], abs=0.02)
    assert all(i.flags == () for i in items)


@pytest.mark.parametrize("stretch", [0.985, 1.015])
def test_detected_end_stops_set_the_scale(stretch):
    """The value follows the printed end-stops as detected, not where the form file puts them.

    The page is read through a homography off by `stretch` about the line's centre (90 mm), so
    the stops are found up to 0.75 mm from where expected. Marks away from the centre then read
    0.04-0.06 cm wrong if the expected stops were used instead of the detected ones."""
    values = (0.8, 2.5, 7.5, 9.2)
    image = blank_page()
    d = Drawer(image)
    for i, v in enumerate(values):
        d.tick(i, v)
    squeeze = np.array([[stretch, 0, (1 - stretch) * 90.0], [0, 1, 0], [0, 0, 1]])
    h = exact_mm_to_px() @ np.linalg.inv(squeeze)
    for item, v in zip(SPEC.items, values):
        read = read_item(image, h, SPEC, item)
        assert read.flags == () and read.value_cm == pytest.approx(v, abs=0.02), (stretch, v, read)
        assert abs(read.value_cm - (squeeze @ [SPEC.line_x_mm + 10 * v, 0, 1])[0] / 10 + 4.0) > 0.035


def test_no_mark():
    items = read_all(blank_page())
    assert all(i.flags == (NO_MARK,) and i.value_cm is None and not i.candidates for i in items)


def test_two_marks_are_multiple_marks_with_both_candidates():
    image = blank_page()
    Drawer(image).tick(0, 2.0)
    Drawer(image).tick(0, 7.5)
    item = read_all(image)[0]
    assert item.flags == (MULTIPLE_MARKS,) and item.value_cm is None
    assert [c.value_cm for c in item.candidates] == pytest.approx([2.0, 7.5], abs=0.02)


def test_scribbled_out_mark_beside_a_new_one_is_crossed_out():
    image = blank_page()
    d = Drawer(image)
    d.scribble(1, 3.0)
    d.tick(1, 6.0)
    item = read_all(image)[1]
    assert CROSSED_OUT in item.flags and item.value_cm is None
    assert MULTIPLE_MARKS not in item.flags  # the scribble is not a live mark
    assert [c.crossed_out for c in item.candidates] == [True, False]


def _lean_stroke(d: Drawer, x: float, y: float, lean_deg: float, length: float,
                 at: float = 0.5) -> None:
    """A straight stroke through (x, y), leaning lean_deg from upright (+ down to the right),
    `at` of its length above the point."""
    import math
    dx, dy = math.sin(math.radians(lean_deg)), math.cos(math.radians(lean_deg))
    d.stroke(x - dx * length * at, y - dy * length * at,
             x + dx * length * (1 - at), y + dy * length * (1 - at))


@pytest.mark.parametrize("tick_lean,slash_lean,new", [
    (0, 45, "tick"), (-6, -40, "tick"), (5, 60, "cross"), (-3, 35, "tick"), (8, -55, "cross")])
def test_a_tick_struck_through_beside_a_new_mark_is_crossed_out(tick_lean, slash_lean, new):
    """A tick with one slash across it is a mark taken back, though its two strokes cross like an
    X's: an X's arms both lean (22-52 degrees), a tick stands upright (stray seeds 601-609: 8
    of 42 slashed ticks were multiple_marks, e.g. 601 p21, 606 p16)."""
    image = blank_page()
    d = Drawer(image)
    x, y = d.x_of(3.0), d.line_y(1)
    _lean_stroke(d, x, y, tick_lean, 6.0)
    _lean_stroke(d, x, y - 0.6, slash_lean, 8.5, at=0.45)
    getattr(d, new)(1, 6.5)
    item = read_all(distort(image, jpeg=85))[1]
    assert item.flags == (CROSSED_OUT,) and item.value_cm is None
    assert [c.crossed_out for c in item.candidates] == [True, False]
    assert item.candidates[1].value_cm == pytest.approx(6.5, abs=0.05)


@pytest.mark.parametrize("arms", [(40, -40), (25, -30), (50, -45), (24, -50)])
def test_an_x_beside_a_tick_is_two_marks_not_a_mark_taken_back(arms):
    """An X is a mark of its own: beside a tick it makes two live marks (multiple_marks), never a
    struck tick, whatever its arms' lean (X's arms lean 22-52 degrees from upright)."""
    image = blank_page()
    d = Drawer(image)
    x, y = d.x_of(3.0), d.line_y(1)
    for lean in arms:
        _lean_stroke(d, x, y, lean, 6.5)
    d.tick(1, 6.5)
    item = read_all(distort(image, jpeg=85))[1]
    assert item.flags == (MULTIPLE_MARKS,) and item.value_cm is None
    assert not any(c.crossed_out for c in item.candidates)


def test_a_check_mark_beside_a_tick_is_two_marks():
    """A check mark's two strokes meet at a corner, they do not cross: not a struck tick."""
    image = blank_page()
    d = Drawer(image)
    x, y = d.x_of(3.0), d.line_y(1)
    d.stroke(x - 2.0, y - 1.5, x, y + 1.5)
    d.stroke(x, y + 1.5, x + 1.5, y - 5.0)
    d.tick(1, 6.5)
    item = read_all(distort(image, jpeg=85))[1]
    assert item.flags == (MULTIPLE_MARKS,) and item.value_cm is None


def test_mark_near_but_off_the_line_is_off_line():
    image = blank_page()
    d = Drawer(image)
    x = d.x_of(4.0)
    y = d.line_y(2)
    d.stroke(x, y - 4.5, x, y - 1.5)  # stops 1.5 mm short of the line
    item = read_all(image)[2]
    assert item.flags == (OFF_LINE,) and item.value_cm is None
    assert item.candidates[0].touches_line is False
    assert item.candidates[0].value_cm == pytest.approx(4.0, abs=0.05)


def test_light_pencil_crossing_the_line_reads_and_fainter_or_crease_like_ink_does_not():
    """Pencil as light as grey 205 on white (graphite at ~0.23 of its full darkness), drawn
    across the line, is plain to see and read (#14: messy seeds 801-809, 20 such marks were
    no_mark + faint). Pencil lighter still (grey 225), where a person hesitates, and a fold
    crease's thin straight line as light as that pencil (messy seed 54: read on a blank page
    when light ink was read by its darkness alone) are not read."""
    image = blank_page()
    d = Drawer(image)
    light = (205, 205, 205)
    d.tick(0, 3.0, Pen(light, 0.3), up=4.0, down=3.5)
    d.tick(1, 3.0, Pen(PENCIL, 0.4))
    d.tick(2, 6.0, Pen((225, 225, 225), 0.3), up=4.0, down=3.5)
    y = d.line_y(3)
    d.stroke(d.x_of(4.0), y - 3.5, d.x_of(4.0) + 0.1, y + 3.5, Pen(light, 0.12))
    items = read_all(distort(image, jpeg=85))
    assert items[0].flags == () and items[0].value_cm == pytest.approx(3.0, abs=0.03), items[0]
    assert items[1].flags == () and items[1].value_cm == pytest.approx(3.0, abs=0.02), items[1]
    assert items[2].value_cm is None and NO_MARK in items[2].flags, items[2]
    assert items[3].value_cm is None and NO_MARK in items[3].flags, items[3]


@pytest.mark.parametrize("gap_mm,reads", [(0.25, True), (0.8, False)])
def test_light_pencil_cut_at_the_line_reads_only_when_its_halves_reach_into_the_line(gap_mm, reads):
    # A light pencil tick loses its middle where the printed line is taken away, its halves
    # reaching into the line's rows from both sides (messy seeds 801 p35, p52, 802 p31): read.
    # Two light pieces that stop short of the line on both sides leave paper a person sees:
    # not one stroke across the line, so no value.
    image = blank_page()
    d = Drawer(image)
    x, y = d.x_of(5.5), d.line_y(2)
    pen = Pen((205, 205, 205), 0.3)
    d.stroke(x, y - 4.0, x + 0.1, y - gap_mm, pen)
    d.stroke(x + 0.1, y + gap_mm, x + 0.2, y + 3.5, pen)
    item = read_all(distort(image, jpeg=85))[2]
    if reads:
        assert item.flags == () and item.value_cm == pytest.approx(5.51, abs=0.03), item
    else:
        assert item.value_cm is None and NO_MARK in item.flags, item


def test_a_light_pencil_tick_beside_a_darker_mark_is_a_second_mark():
    # regression (accuracy, low-res SRS without markers, seed 9 p3): a second, lighter pencil
    # tick (0.24 where the first measured 0.40) was set aside as light ink, and the item read
    # from the first mark with no flag.
    image = blank_page(150)
    d = Drawer(image, dpi=150)
    d.tick(2, 3.7, Pen(PENCIL, 0.4))
    d.tick(2, 8.6, Pen((190, 190, 190), 0.35), up=4.0, down=3.0)  # measures 0.22
    item = read_all(distort(image, blur=1.0, jpeg=80), dpi=150)[2]
    assert item.value_cm is None and item.flags == (MULTIPLE_MARKS,), item
    assert sorted(round(c.value_cm, 1) for c in item.candidates) == [3.7, 8.6]


def test_printed_text_and_handwriting_outside_the_band_are_ignored():
    image = blank_page()
    d = Drawer(image)
    y = d.line_y(3)
    d.stroke(60, y - 12, 90, y - 7.0)  # a comment written above the band, dipping into it
    d.stroke(70, y + 9, 110, y + 6.8)
    d.tick(3, 5.5)
    item = read_all(image)[3]
    assert item.flags == () and item.value_cm == pytest.approx(5.5, abs=0.02)


def test_faint_fold_crease_across_the_band_is_not_a_mark():
    image = blank_page()
    d = Drawer(image)
    y = d.line_y(0)
    d.stroke(75, y - 40, 76, y + 40, Pen((215, 215, 215), 0.2))  # crease: long, thin, light
    d.tick(0, 8.0)
    item = read_all(distort(image, jpeg=80))[0]
    assert item.flags == () and item.value_cm == pytest.approx(8.0, abs=0.02)


def test_params_document_every_threshold():
    import dataclasses
    import inspect
    source = inspect.getsource(Params)
    for f in dataclasses.fields(Params):
        # each field is followed by its docstring: unit and reason
        after = source.split(f"    {f.name}:", 1)[1].split("\n", 2)[1]
        assert after.strip().startswith('"""'), f.name


def test_a_bent_tick_beside_an_end_stop_is_not_taken_for_the_stop():
    # regression: a tick ~1 mm inside the right stop, bowed so its middle has clear paper above
    # and below, was found as the stop (stop 1 mm short, value 10.0 instead of 9.89).
    image = blank_page()
    d = Drawer(image)
    x, y = d.x_of(9.89), d.line_y(3)
    pen = Pen(BLUE, 0.6)
    d.stroke(x - 0.5, y - 4.5, x, y, pen)   # a bow: top and bottom lean left of the middle
    d.stroke(x, y, x - 0.5, y + 4.5, pen)
    item = read_all(distort(image, jpeg=85))[3]
    assert item.flags == (), item
    assert abs(item.line_ends_x_mm[1] - SPEC.line_end_x_mm) < 0.2, item
    assert abs(item.value_cm - 9.89) < 0.05, item


def test_pieces_of_a_broken_printed_line_are_not_marks():
    # regression: a 1-bit fax breaks the line into flat dashes; one over 0.45 mm2 read as a mark
    # on an empty line. Here part of the line is erased, then redrawn as the fax leaves it:
    # 1.2 mm dashes, 0.4 mm thick, 1 mm apart.
    image = blank_page()
    d = Drawer(image)
    y = d.line_y(0)
    d.stroke(60.0, y, 120.0, y, Pen((255, 255, 255), 0.8))
    for x0 in np.arange(60.0, 120.0, 2.2):
        d.stroke(x0 + 0.2, y, x0 + 1.2, y, Pen(BLACK, 0.4))
    item = read_all(distort(image, jpeg=85))[0]
    assert item.flags == ("no_mark",), item


def test_light_crease_pieces_beside_a_mark_do_not_flag_it():
    # regression (messy profile): a crease broken into short light pieces near the line, and a
    # coffee ring's edge, read as a second faint mark (multiple_marks, faint) or an off-line mark.
    image = blank_page()
    d = Drawer(image)
    y = d.line_y(1)
    stain = Pen((200, 200, 200), 0.3)
    d.stroke(75.0, y - 3.5, 75.1, y - 0.8, stain)     # a piece of crease reaching the line
    d.stroke(75.1, y + 0.8, 75.2, y + 3.0, stain)
    d.stroke(100.0, y + 2.0, 104.0, y + 4.5, stain)   # a light arc off the line
    d.tick(1, 6.5)
    item = read_all(distort(image, jpeg=80))[1]
    assert item.flags == () and item.value_cm == pytest.approx(6.5, abs=0.02), item


def test_an_off_line_tick_running_out_of_the_strip_is_off_line():
    # regression: a tick 2 mm below the line, long enough to leave the strip, was dropped as
    # other writing and the item reported no_mark rather than off_line.
    image = blank_page()
    d = Drawer(image)
    x, y = d.x_of(4.0), d.line_y(0)
    d.stroke(x, y + 2.0, x + 0.8, y + 9.0, Pen(BLUE, 0.5))
    item = read_all(distort(image, jpeg=85))[0]
    assert item.flags == (OFF_LINE,), item


@pytest.mark.parametrize("value", [9.8, 0.2])
def test_a_circle_with_its_side_on_an_end_stop_reads_its_centre(value):
    # regression (office seed 12 p23): clearing the stop took the ring's side with it and the
    # other side alone pulled the value 1.8 mm towards the middle of the line.
    image = blank_page()
    d = Drawer(image)
    d.circle(2, value, Pen(BLACK, 0.6), r=2.5)
    item = read_all(distort(image, jpeg=85))[2]
    assert item.flags == () and item.value_cm == pytest.approx(value, abs=0.03), item



def test_specks_between_the_arms_of_an_x_do_not_make_it_a_scribble():
    # regression (phone seed 11, phone_02): JPEG specks between an X's upper arms, joined to it
    # by the closing across the line, made a row cross it four times: read as crossed_out.
    image = blank_page()
    d = Drawer(image)
    d.cross(1, 5.0, Pen(BLUE, 0.5), arm=2.5)
    x, y = d.x_of(5.0), d.line_y(1)
    for dx in (-0.5, 0.5):
        d.stroke(x + dx, y - 1.6, x + dx + 0.05, y - 1.6, Pen(BLUE, 0.12))
    item = read_all(image)[1]
    assert item.flags == () and item.candidates[0].kind == "cross", item
    assert item.value_cm == pytest.approx(5.0, abs=0.02)


def test_a_row_grazing_a_ring_top_counts_only_the_strokes_it_crosses():
    # regression (phone seed 11, phone_20): a wobbly pencil ring's top arc touches a row in
    # 2-px bits, which were counted as passes: a ring read as four passes, crossed_out.
    from srs_scan.read.blobs import row_passes
    s = Params().strip_px_per_mm
    ink = np.zeros((40, 100), bool)
    ink[5, 10:16] = ink[5, 80:86] = True   # the ring's two sides, 0.5 mm wide
    ink[5, 40:42] = ink[5, 55:57] = True   # its top arc grazing the row
    dy = np.repeat((np.arange(40) - 30.0)[:, None], 100, axis=1)  # row 5 is 2.1 mm from the line
    assert row_passes(ink, dy, s, Params()) == 2
    ink[5, 40:46] = ink[5, 55:61] = True   # a zigzag's strokes, crossed
    assert row_passes(ink, dy, s, Params()) == 4


@pytest.mark.parametrize("value", [9.96, 0.03])
def test_a_dot_on_an_end_stop_reads(value):
    # regression (phone seed 11, phone_12 and phone_25): a dot on the stop was cut in two by
    # the stop's clearing, each half dropped as the stop's remnant or judged on its blurred rim
    # as a stain: no_mark.
    image = blank_page()
    d = Drawer(image)
    d.dot(3, value, Pen(BLUE), r=0.5)
    item = read_all(distort(image, blur=1.2, jpeg=85))[3]
    assert item.flags == () and item.value_cm == pytest.approx(value, abs=0.05), item


def test_pencil_as_dark_as_the_printed_line_on_a_blurred_150_dpi_scan_is_not_faint():
    # regression (low-res seed 11: 5 of 7 flagged clean items): a 150 dpi scan lightens every
    # thin stroke; a pencil tick as dark as the printed line was flagged faint.
    image = blank_page(150)
    d = Drawer(image, dpi=150)
    for i in range(4):
        d.tick(i, 2.0 + 2.0 * i, Pen((165, 165, 165), 0.3))
    items = read_all(distort(image, blur=1.3, jpeg=70), dpi=150)
    for i, item in enumerate(items):
        assert item.flags == () and item.value_cm == pytest.approx(2.0 + 2.0 * i, abs=0.05), item


def test_a_faint_streak_joined_to_writing_above_the_band_is_not_a_mark():
    # regression (messy seed 12): a scanner streak, barely darker than paper, ran across the band
    # into a comment's letters just above it and was judged as dark as the letters: a second
    # mark on the line (multiple_marks).
    image = blank_page()
    d = Drawer(image)
    y = d.line_y(2)
    streak = Pen((190, 190, 190), 0.08)
    d.stroke(79.5, y - 7.5, 79.5, y + 7.5, streak)
    for x in (77.0, 78.3, 79.5):  # letters of the comment, above the band, meeting the streak
        d.stroke(x - 0.5, y - 7.3, x + 0.5, y - 6.7, Pen(BLUE, 0.4))
    d.tick(2, 9.3)
    item = read_all(distort(image, jpeg=80))[2]
    assert item.flags == () and item.value_cm == pytest.approx(9.3, abs=0.02), item


def _coffee_ring(d, item, grey):
    """A wide light ring (a cup's base) whose lower edge comes within ~1.5 mm of the line."""
    ring = Pen((grey, grey - 5, grey - 15), 1.6)
    s = d.dpi / 25.4 * (1 << d.shift)
    cv2.circle(d.image, d.px(d.x_of(3.0), d.line_y(item) - 15.0), round(13.0 * s), ring.colour,
               d._w(ring), cv2.LINE_AA, d.shift)


def test_a_tick_crossing_a_coffee_ring_reads():
    # regression (messy seed 12): the ring and the tick made one blob, crossed four times by a
    # row (ring, tick, ring): read as a scribble (crossed_out); here it read no_mark + faint.
    image = blank_page()
    d = Drawer(image)
    _coffee_ring(d, 1, 215)
    d.tick(1, 2.6, up=4.0, down=3.0)
    item = read_all(distort(image, jpeg=80))[1]
    assert item.flags == () and item.value_cm == pytest.approx(2.6, abs=0.02), item


@pytest.mark.parametrize("grey,flagged", [(200, False), (150, True)])
def test_a_ring_beside_a_tick_is_told_apart_and_never_fitted_with_it(grey, flagged):
    # A ring's band (1.6 mm, thick and soft) is a stain, not a mark, and never merged into the
    # tick (that read 0.6 mm off, unflagged). As light as a stain (grey 200: darkness ~0.27,
    # lighter than any pencil line) it is set aside and the tick reads; darker (grey 150, ~0.45)
    # a person would look twice: stray ink, flagged, no value (the review page suggests none).
    image = blank_page()
    d = Drawer(image)
    _coffee_ring(d, 1, grey)
    d.tick(1, 2.6, up=4.0, down=3.0)
    item = read_all(distort(image, jpeg=80))[1]
    if flagged:
        assert item.value_cm is None and item.flags == (STRAY_INK,), item
    else:
        assert item.flags == () and item.value_cm == pytest.approx(2.6, abs=0.02), item


def test_a_faint_streak_through_a_stain_stays_with_the_stain():
    # regression (messy seed 14): a scanner streak crossing a coffee ring, its 1-px gaps bridged
    # by the closing, was cut off the ring as "pen ink" and read as a second mark.
    from srs_scan.read.blobs import _apart_from_stains
    s = 12.0
    pen = np.zeros((180, 200), np.float32)
    pen[100:130, 40:160] = 0.20            # the ring's broad band
    pen[10:100, 100] = 0.16                # the streak, running up out of the band...
    pen[50:52, 100] = 0.0                  # ... with a gap the vertical closing bridges
    mask = (pen > Params().ink_threshold).astype(np.uint8)
    joined = mask.copy()
    joined[50:52, 100] = 1
    _, stain = _apart_from_stains(joined, mask, pen, s, Params())
    assert stain[10:100, 100].all()
    pen[20:40, 95:106] = 0.8               # a real pen mark on the streak is not a stain
    mask = (pen > Params().ink_threshold).astype(np.uint8)
    joined = mask.copy()
    joined[50:52, 100] = 1
    cut, stain = _apart_from_stains(joined, mask, pen, s, Params())
    assert not stain[20:40, 95:106].any() and cut[20:40, 95:106].all()


@pytest.mark.parametrize("value", [0.1, 9.9])
def test_an_x_over_an_end_stop_reads_its_centre(value):
    # Clearing the stop cuts a piece out of one arm; per-row centroids then read 0.6 mm off
    # towards the other arm. Each arm is fitted as a line instead.
    image = blank_page()
    d = Drawer(image)
    d.cross(0, value)
    item = read_all(distort(image, jpeg=80))[0]
    assert item.flags == () and item.value_cm == pytest.approx(value, abs=0.015), item


def test_column_percentile_equals_numpy_per_column():
    from srs_scan.read.blobs import _column_percentile

    rng = np.random.default_rng(7)
    for _ in range(300):
        rows, cols = rng.integers(1, 40), rng.integers(1, 30)
        values, chosen = rng.random((rows, cols)), rng.random((rows, cols)) < rng.random()
        q = float(rng.choice([0, 30, 60, 90, 100]))
        expected = [np.percentile(values[chosen[:, j], j], q) if chosen[:, j].any() else 0.0
                    for j in range(cols)]
        assert np.allclose(_column_percentile(values, chosen, q), expected)


def _stray_page(draw_stray, mark_value):
    image = blank_page()
    d = Drawer(image)
    y = d.line_y(1)
    draw_stray(d, y)
    d.tick(1, mark_value)
    return read_all(distort(image, jpeg=85))[1]


@pytest.mark.parametrize("case", ["along, on the line", "along, beside it", "across",
                                  "arrow ending on it", "underline joined to the mark"])
def test_stray_ink_at_the_line_is_flagged_never_read(case):
    """Ink a person would not take for a mark (a slipped pen, an arrow, an underline) is never
    turned into a value, even beside a clear mark: the item is flagged stray_ink."""
    def along_on(d, y):
        d.stroke(d.x_of(2.0), y + 0.05, d.x_of(5.5), y + 0.1)

    def along_beside(d, y):
        d.stroke(d.x_of(2.0), y + 0.7, d.x_of(5.5), y + 0.8)

    def across(d, y):
        d.stroke(d.x_of(3.0) - 9.0, y - 9.0, d.x_of(3.0) + 9.0, y + 9.0)

    def arrow(d, y):
        tip = (d.x_of(3.5), y)
        d.stroke(tip[0] + 9.0, y - 12.0, *tip)
        d.stroke(*tip, tip[0] + 0.4, y - 2.5)
        d.stroke(*tip, tip[0] + 2.4, y - 1.2)

    def underline(d, y):
        d.stroke(d.x_of(7.2) - 6.0, y - 3.4, d.x_of(7.2) + 9.0, y - 3.6)

    draw = {"along, on the line": along_on, "along, beside it": along_beside, "across": across,
            "arrow ending on it": arrow, "underline joined to the mark": underline}[case]
    item = _stray_page(draw, 7.2)
    assert item.value_cm is None and STRAY_INK in item.flags, (case, item)
    # the reader judged it: the stray piece is marked so, never offered as the mark
    assert all(c.stray for c in item.candidates if abs(c.value_cm - 7.2) > 0.3), item


def test_a_tick_beside_a_short_comment_stroke_off_the_band_still_reads():
    """A comment's underline well above the line (clear of the band) changes nothing."""
    item = _stray_page(lambda d, y: d.stroke(d.x_of(2.0), y - 6.8, d.x_of(4.5), y - 6.9), 7.2)
    assert item.flags == () and item.value_cm == pytest.approx(7.2, abs=0.02), item


def test_underlined_words_just_below_the_line_are_not_a_crossed_out_mark():
    """A comment under the line is crossed by a row of pixels as often as a scribble is, but it
    does not touch the line: writing (stray ink), never a mark taken back."""
    image = blank_page()
    d = Drawer(image)
    y = d.line_y(1)
    scale = 3.0 * d.dpi / 25.4 / cv2.getTextSize("H", cv2.FONT_HERSHEY_SCRIPT_SIMPLEX, 1.0, 1)[0][1]
    org = tuple(v >> d.shift for v in d.px(d.x_of(2.0), y + 4.6))
    cv2.putText(image, "hard week", org, cv2.FONT_HERSHEY_SCRIPT_SIMPLEX, scale, BLUE, 3,
                cv2.LINE_AA)
    d.stroke(d.x_of(2.0) - 0.5, y + 5.3, d.x_of(2.0) + 14.0, y + 5.4)   # underlined
    d.tick(1, 7.0)
    item = read_all(distort(image, jpeg=85))[1]
    assert CROSSED_OUT not in item.flags and item.value_cm is None and item.flags, item
    assert not any(c.crossed_out for c in item.candidates), item



RESOURCES = Path(__file__).resolve().parent / "resources"


def _saved_strip(dark: np.ndarray, item_index: int, y0_mm: float):
    """A strip saved as the reader rectified it (12 px/mm from x 28 mm): its stops and blobs."""
    from srs_scan.read.blobs import find_blobs
    from srs_scan.read.strip import Strip, find_line, find_stop, line_image

    spec, params = load_form(), Params()
    item = spec.items[item_index]
    strip = Strip(dark, x0_mm=28.0, y0_mm=y0_mm, px_per_mm=12.0, half_height_mm=7.5)
    line = find_line(strip, spec, item, params)
    (xl, _), (xr, _) = spec.line_ends_mm(item)
    stops = (find_stop(strip, line, xl, spec, params)[0], find_stop(strip, line, xr, spec, params)[0])
    blobs, ink = find_blobs(strip, line, line_image(strip, line, stops, params), stops,
                            spec.stop_height_mm / 2, params, spec.clear_band_mm)
    return strip, stops, blobs, ink, params


def test_an_x_whose_arms_reach_past_an_end_stop_is_not_fitted_as_a_ring():
    # regression (office seed 90 p74, its `approach` strip as the reader rectified it, 12 px/mm):
    # an X at 9.78 whose arms reach past the right end-stop closes a hole with the cleared stop,
    # and was fitted as a ring drawn round the stop on the rows beyond its tips: read 9.92.
    from srs_scan.read.crossing import group_x_mm

    dark = cv2.imread(str(RESOURCES / "strip_x_past_stop.png"), cv2.IMREAD_GRAYSCALE)
    strip, stops, blobs, ink, params = _saved_strip(dark.astype(np.float32) / 255, 2, 164.5)
    assert len(blobs) == 1
    value_mm = group_x_mm(strip, ink, blobs, params) - stops[0]
    assert value_mm == pytest.approx(97.8, abs=0.5)


def test_an_x_whose_long_arm_reaches_past_an_end_stop_far_from_the_line_is_fitted_as_an_x():
    # regression (#13: our SRS layout without markers, fax seed 8 p15, its second line's strip as
    # the reader rectified it, 1-bit): an X at 9.75 with one long arm reaching 1.5 mm past the
    # right stop 3 mm below the line closed a hole with the cleared stop and was fitted as a
    # ring drawn round the stop on its arm tips: read 9.97, no flag. A ring round the stop is
    # widest near the line, and reaches past the stop there.
    from srs_scan.read.crossing import group_x_mm

    dark = cv2.imread(str(RESOURCES / "strip_fax_x_near_stop.png"), cv2.IMREAD_UNCHANGED)  # 16-bit
    strip, stops, blobs, ink, params = _saved_strip(dark.astype(np.float32) / 65535, 1, 122.5)
    marks = [b for b in blobs if b.area_mm2 > 5]
    assert len(marks) == 1
    value_mm = group_x_mm(strip, ink, marks, params) - stops[0]
    assert value_mm == pytest.approx(97.5, abs=0.3)


@pytest.mark.parametrize("value, gap_at_deg", [(0.30, -60), (0.35, -60), (9.65, -120), (9.70, 60)])
def test_a_ring_left_open_with_its_side_on_an_end_stop_reads_its_centre(value, gap_at_deg):
    # regression (messy seed 603 p16): a ring round 0.37 with its side on the left stop, left
    # open on its far side where the pen closed it, made no hole; its far side alone read 0.62,
    # with no flag. Here the rings' sides lie 0-0.5 mm beyond the stop.
    image = blank_page()
    d = Drawer(image)
    s = d.dpi / 25.4 * (1 << d.shift)
    r, gap_mm = 3.5, 1.3   # a 1.3 mm opening along the ring: ~0.8 mm of paper between its ends
    half_gap_deg = math.degrees(gap_mm / r) / 2
    cv2.ellipse(image, d.px(d.x_of(value), d.line_y(2)), (round(r * s), round(r * s)), 0,
                gap_at_deg + half_gap_deg, gap_at_deg + 360 - half_gap_deg, BLACK,
                d._w(Pen(BLACK, 0.5)), cv2.LINE_AA, d.shift)
    item = read_all(distort(image, jpeg=85))[2]
    assert item.flags == () and item.value_cm == pytest.approx(value, abs=0.06), item


def test_a_tick_stopping_short_in_a_ring_band_is_not_read(monkeypatch):
    # regression (stray seed 507 p53, its `overall` strip as the reader rectified it, 12 px/mm):
    # a tick stopping 1.07 mm short of the line, its tip in a dark ring's band; the band's ink
    # beside the tip came 0.83 mm from the line and the tick read 2.84 as touching, no flag.
    import srs_scan.read.marks as marks
    from srs_scan.read.strip import Strip

    png = Path(__file__).resolve().parent / "resources" / "strip_tick_short_in_ring.png"
    dark = cv2.imread(str(png), cv2.IMREAD_UNCHANGED).astype(np.float32) / 65535  # 16-bit
    strip = Strip(dark, x0_mm=28.0, y0_mm=206.5, px_per_mm=12.0, half_height_mm=7.5)
    monkeypatch.setattr(marks, "warp_strip", lambda *args: strip)
    item = read_item(np.zeros((8, 8), np.uint8), exact_mm_to_px(), SPEC, SPEC.items[3])
    assert item.value_cm is None and item.flags == (OFF_LINE,), item
    assert item.candidates[0].value_cm == pytest.approx(2.84, abs=0.05)   # shown where it is


@pytest.mark.parametrize("above", [True, False])
def test_a_tick_stopping_short_is_read_only_when_it_plainly_touches(above):
    # A tick whose end has 0.85-0.95 mm of paper between it and the printed line is one a person
    # hesitates over: flagged off_line, never read. One 0.2 mm short looks touching: read.
    image = blank_page()
    d = Drawer(image)
    pen = Pen(BLUE, 0.4)
    for item, (value, paper_mm) in enumerate([(3.0, 0.85), (5.0, 0.95), (7.0, 0.2)]):
        x, y = d.x_of(value), d.line_y(item)
        side = -1 if above else 1
        end = y + side * (LINE_HALF_MM + paper_mm + pen.width_mm / 2)   # cv2 caps are round
        d.stroke(x + 0.6, y + side * 5.5, x, end, pen)
    items = read_all(distort(image, jpeg=85))
    assert [i.flags for i in items[:3]] == [(OFF_LINE,), (OFF_LINE,), ()], items
    assert items[2].value_cm == pytest.approx(7.0, abs=0.05)
