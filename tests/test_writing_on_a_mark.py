"""Words written on a line, over its mark or inside it: never read as the mark (#14).

Messy seed 3001 p25 `overall`: "hard week" written just above the line, its letters resting on
it, with the client's dot under the "w": letters and dot were one group of ink on one side of
the line, read as one mark 1.1 mm off the dot, no flag. Seed 3008 p68 `relationship`: a "?"
written inside the client's circle, its foot on the line, read as the circle with no flag. A
person looks twice at both. The comments here are the simulator's (`simulate/events.py`:
letters 2.4-3.6 mm tall, resting on the line or dipping 0.3 mm into it) and the marks the
simulator's (dots 0.9-1.6 mm across, circles 1.8-3.5 mm in radius, pens 0.3-0.8 mm).
"""

from __future__ import annotations

import cv2
import pytest

from drawmarks import BLACK, BLUE, Drawer, Pen, blank_page, distort
from srs_scan.results import STRAY_INK
from test_marks import read_all
from test_stroke_through_a_mark import _simulated_item


def _write(d: Drawer, text: str, left_mm: float, baseline_mm: float, height_mm: float,
           colour: tuple[int, int, int] = BLACK) -> None:
    """Handwriting with capitals `height_mm` tall and its baseline at `baseline_mm`, in a
    0.35 mm pen, as the simulator writes comments (`simulate/paper.py`)."""
    font, k = cv2.FONT_HERSHEY_SCRIPT_SIMPLEX, d.dpi / 25.4
    (_, height), _ = cv2.getTextSize("H", font, 1.0, 1)
    org = tuple(v >> d.shift for v in d.px(left_mm, baseline_mm))
    cv2.putText(d.image, text, org, font, height_mm * k / height, colour, round(0.35 * k),
                cv2.LINE_AA)


@pytest.mark.parametrize("dot", [None, (0.6, -0.2), (0.5, 0.2)])   # radius, its centre's dy
@pytest.mark.parametrize("text,height_mm,dip_mm", [("hard week", 3.0, 0.0),
                                                    ("felt rushed", 2.6, 0.3),
                                                    ("not sure", 3.4, 0.15)])
def test_words_resting_on_the_line_are_stray_ink_with_or_without_a_mark_under_them(
        dot, text, height_mm, dip_mm):
    image = blank_page()
    d = Drawer(image)
    item_no, v = 3, 6.9
    x, y = d.x_of(v), d.line_y(item_no)
    if dot is not None:   # the simulator's dot: 0.9-1.6 mm across, within 0.2 mm of the line
        r, dy = dot
        s = d.dpi / 25.4 * (1 << d.shift)
        cv2.circle(image, d.px(x, y + dy), round(r * s), BLACK, -1, cv2.LINE_AA, d.shift)
    # the dot lies under the words, a little right of their middle, as on seed 3001 p25
    _write(d, text, x - 9.0, y + dip_mm, height_mm)
    item = read_all(distort(image, jpeg=85))[item_no]
    assert item.value_cm is None and STRAY_INK in item.flags, item


@pytest.mark.parametrize("text,height_mm", [("no", 2.4), ("n/a", 2.4), ("fine", 2.4),
                                             ("meh", 3.4), ("good", 2.4), ("ok", 3.4),
                                             ("so-so", 2.4)])
@pytest.mark.parametrize("dip_mm", [-0.3, 0.0])
def test_a_short_word_written_alone_on_an_empty_line_is_stray_ink(text, height_mm, dip_mm):
    # narrower than any one mark (2-8 mm), so not caught by its width: a client writes "n/a"
    # or "ok" on the line instead of a mark. Its letters are pieces of their own, each crossed
    # once or twice by a row; together as often as a scribble. Read 4.1-4.4 with no flag
    image = blank_page()
    d = Drawer(image)
    item_no, v = 2, 4.0
    _write(d, text, d.x_of(v), d.line_y(item_no) - 0.07 + dip_mm, height_mm, BLUE)
    item = read_all(distort(image, jpeg=85))[item_no]
    assert item.value_cm is None and STRAY_INK in item.flags, item


@pytest.mark.parametrize("up,lean_mm,second", [(3.0, 0.0, None), (4.5, 0.3, None),
                                               (2.0, -0.2, None), (3.0, 0.0, 2.5)])
def test_ticks_resting_on_the_line_from_above_are_still_marks(up, lean_mm, second):
    # a short tick drawn down to the line and stopping on it is one piece crossed once: read;
    # two such ticks 2.5 mm apart are two marks (`multiple_marks`), not letters
    image = blank_page()
    d = Drawer(image)
    item_no, v = 1, 5.3
    pen = Pen(BLUE, 0.5)
    d.tick(item_no, v, pen, up=up, down=0.0, lean_mm=lean_mm)
    if second is not None:
        d.tick(item_no, v + second / 10, pen, up=up, down=0.0)
    item = read_all(distort(image, jpeg=85))[item_no]
    if second is None:
        assert item.flags == () and item.value_cm == pytest.approx(v, abs=0.06), item
    else:
        assert STRAY_INK not in item.flags and item.value_cm is None, item


@pytest.mark.parametrize("r_mm,text_mm,dip_mm", [(2.5, 3.6, 0.1), (2.5, 3.0, -0.3),
                                                  (3.0, 3.6, -0.3)])
def test_a_question_mark_written_inside_a_circle_on_the_line_is_stray_ink(r_mm, text_mm, dip_mm):
    # (a smaller "?" inside, crossed by a row as often as a scribble is, makes the circle one:
    # crossed_out, no value either)
    image = blank_page()
    d = Drawer(image)
    item_no, v = 0, 7.72
    x, y = d.x_of(v), d.line_y(item_no)
    d.circle(item_no, v, Pen(BLUE, 0.4), r=r_mm)
    _write(d, "?", x - 0.6, y + dip_mm, text_mm, BLUE)
    item = read_all(distort(image, jpeg=85))[item_no]
    assert item.value_cm is None and STRAY_INK in item.flags, item


@pytest.mark.parametrize("r_mm", [1.8, 2.6, 3.5])
@pytest.mark.parametrize("width_mm", [0.3, 0.8])
@pytest.mark.parametrize("crease", [False, True])
def test_an_empty_circle_of_any_size_and_pen_still_reads(r_mm, width_mm, crease):
    # the circle's own stroke, however wide, lies along its outline: nothing inside it; a fold
    # crease through it, long, thin and light, is no writing (messy seed 801 p29)
    image = blank_page()
    d = Drawer(image)
    d.circle(2, 4.4, Pen(BLUE, width_mm), r=r_mm)
    if crease:
        x, y = d.x_of(4.4) + 0.4, d.line_y(2)
        d.stroke(x, y - 40, x + 0.3, y + 40, Pen((215, 215, 215), 0.2))
    item = read_all(distort(image, jpeg=85))[2]
    assert item.flags == () and item.value_cm == pytest.approx(4.4, abs=0.05), item


@pytest.mark.parametrize("seed,page,item_id", [(3001, 25, "overall"), (3008, 68, "relationship")])
def test_the_messy_pages_words_on_a_mark_are_stray_ink(seed, page, item_id):
    truth, item = _simulated_item(seed, page, item_id)
    assert truth.event == "comment_above" and truth.value_cm is None
    assert item.value_cm is None and STRAY_INK in item.flags, item
