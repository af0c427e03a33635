"""The simulator's truth is where a mark really meets the printed line, and its files are what it says.

The measurement tests do not trust the simulator's geometry: they find the
printed end-stops and the ink on the rendered scan, by colour, and compute the
value from pixels alone.
"""

from __future__ import annotations

import csv
import io
import random
import sys

import cv2
import numpy as np
import pytest

from srs_scan.sheets.sheetid import SheetId
from srs_scan.simulate import (
    PagePlan, ScanPlan, TruthRow, draw_mark, truth_csv, paper_image, plan_pages, print_transform, printed_line_mm,
    scan, simulate, render_pdf_pages,
)
from srs_scan.sheets.generate import render_sheets
from srs_scan.sheets.spec import block_origin_mm, load_form

DPI = 300
PX_PER_MM = DPI / 25.4


@pytest.fixture(scope="module")
def spec():
    return load_form()


def _scan_with(spec, marks, scale: float, offset=(0.6, -0.4)) -> np.ndarray:
    """A straight 300 dpi colour scan of one sheet carrying `marks`, printed at `scale`."""
    sheet = SheetId(spec.form_id, spec.version, "TEST0001")
    plan = PagePlan(kind="form", profile="office", sheet=sheet, print_scale=scale,
                    print_offset_mm=offset, marks=tuple(marks), items=(), page_expect=(),
                    scan=ScanPlan(dpi=(DPI, DPI), mode="RGB", skew_deg=0.0, upside_down=False,
                                  offset_mm=(0.0, 0.0), blur_px=0.5, noise=0.0, jpeg_quality=90),
                    noise_seed=7)
    rendered = render_pdf_pages(render_sheets(spec, [sheet], "a4", invariant=True), DPI)[0]
    return scan(paper_image(plan, rendered, "a4"), plan, "a4")


def _line_geometry(img: np.ndarray, approx_y_px: float) -> tuple[float, float, float]:
    """(row of the printed line, left end-stop column, right end-stop column), from pixels only."""
    rgb = img.astype(int)
    neutral_dark = (rgb.max(axis=2) < 140) & (np.ptp(rgb, axis=2) < 40)
    y0 = int(approx_y_px - 7 * PX_PER_MM)   # a fit-to-page print moves lines by up to ~5 mm
    band = neutral_dark[y0:int(approx_y_px + 7 * PX_PER_MM)]
    row = y0 + int(np.argmax(band.sum(axis=1)))
    # weighted centre of the darkness in the rows just around the line
    rows = np.arange(row - 3, row + 4)
    dark = 255 - img[row - 3:row + 4, img.shape[1] // 3:2 * img.shape[1] // 3, 0].astype(float)
    line_y = float((dark.sum(axis=1) * rows).sum() / dark.sum())
    # end-stops: the only neutral ink 1-1.8 mm above the line
    above = neutral_dark[int(line_y - 1.8 * PX_PER_MM):int(line_y - 1.0 * PX_PER_MM)]
    cols = np.nonzero(above.sum(axis=0) >= above.shape[0] // 2)[0]
    left, right = cols[cols < img.shape[1] / 2], cols[cols > img.shape[1] / 2]
    weights = 255 - img[int(line_y - 1.8 * PX_PER_MM):int(line_y - 1.0 * PX_PER_MM)].astype(float)[:, :, 0]
    centre = lambda c: float((weights[:, c].sum(axis=0) * c).sum() / weights[:, c].sum())  # noqa: E731
    return line_y, centre(np.arange(left.min() - 2, left.max() + 3)), \
        centre(np.arange(right.min() - 2, right.max() + 3))


def _blue(img: np.ndarray) -> np.ndarray:
    rgb = img.astype(int)
    return (rgb[:, :, 2] - rgb[:, :, 0]) > 45


def _tick_x(img, line_y) -> float:
    rows = slice(int(round(line_y)) - 1, int(round(line_y)) + 2)
    ink = _blue(img)[rows].astype(float)
    cols = np.arange(img.shape[1])
    return float((ink.sum(axis=0) * cols).sum() / ink.sum())


def _cross_x(img, line_y, near_x) -> float:
    """Fit each stroke of the X (run centres away from the crossing) and intersect the fits."""
    ink = _blue(img)
    win = int(6 * PX_PER_MM)
    x_lo = int(near_x - win)
    a_pts, b_pts = [], []
    for r in range(int(line_y - win), int(line_y + win)):
        cols = np.nonzero(ink[r, x_lo:x_lo + 2 * win])[0]
        if len(cols) == 0:
            continue
        runs = np.split(cols, np.nonzero(np.diff(cols) > 1)[0] + 1)
        if len(runs) != 2:
            continue
        (l, rr) = (float(runs[0].mean()) + x_lo, float(runs[1].mean()) + x_lo)
        # y down: above the crossing "\" is the left run, "/" the right one; below, the reverse
        above = (r < line_y - 0.2 * PX_PER_MM) if abs(r - line_y) > 1.5 * PX_PER_MM else None
        if above is None:
            continue
        (a_pts if above else b_pts).append((r, l))
        (b_pts if above else a_pts).append((r, rr))
    # a hand bows its strokes: fit each as a parabola, then meet them nearest the line
    fa = np.polyfit([p[0] for p in a_pts], [p[1] for p in a_pts], 2)
    fb = np.polyfit([p[0] for p in b_pts], [p[1] for p in b_pts], 2)
    roots = np.roots(fa - fb)
    y = min((r.real for r in roots if abs(r.imag) < 1e-9), key=lambda r: abs(r - line_y))
    return float(np.polyval(fa, y))


def _circle_x(img, line_y, near_x) -> float:
    ink = _blue(img)
    win = int(6 * PX_PER_MM)
    ys, xs = np.nonzero(ink[int(line_y - win):int(line_y + win), int(near_x - win):int(near_x + win)])
    (cx, _), _, _ = cv2.fitEllipse(np.stack([xs, ys], axis=1).astype(np.float32))
    return float(cx + near_x - win)


@pytest.mark.parametrize("scale", [1.0, 0.95])
def test_truth_is_where_tick_cross_and_circle_meet_the_printed_line(spec, scale):
    rng = random.Random(11 + int(scale * 100))
    print_m = print_transform(scale, (0.6, -0.4), "a4")
    wanted = {"relationship": ("tick", 3.7), "goals": ("cross", 6.2), "approach": ("circle", 8.4),
              "overall": ("slant", 1.3)}
    marks, truth = [], {}
    for item in spec.items:
        kind, v = wanted[item.id]
        (xl, y), (xr, _) = printed_line_mm(spec, item, "a4", print_m)
        mark = draw_mark(kind, xl + v / 10 * (xr - xl), y, "blue", rng)
        marks.append(mark)
        truth[item.id] = spec.value_cm(mark.true_x_mm, (xl, xr))
        assert truth[item.id] == pytest.approx(v, abs=1e-9)
    img = _scan_with(spec, marks, scale)
    ox, oy = block_origin_mm(spec, "a4")
    measured = {}
    for item in spec.items:
        # only a rough place to look comes from the form; everything else from pixels
        top = int((oy + item.y_mm - 12) * PX_PER_MM)
        band = img[top:top + int(24 * PX_PER_MM)]
        line_y, left, right = _line_geometry(band, 12 * PX_PER_MM)
        kind, v = wanted[item.id]
        near = left + v / 10 * (right - left)
        x = {"tick": lambda: _tick_x(band, line_y), "slant": lambda: _tick_x(band, line_y),
             "cross": lambda: _cross_x(band, line_y, near),
             "circle": lambda: _circle_x(band, line_y, near)}[kind]()
        measured[item.id] = 10 * (x - left) / (right - left)
        # the printed line really is shrunk on a fit-to-page print
        assert (right - left) / PX_PER_MM == pytest.approx(100 * scale, abs=0.15)
    for item_id, v in truth.items():
        assert measured[item_id] == pytest.approx(v, abs=0.03), item_id   # 0.3 mm


def test_same_seed_same_bytes_other_seed_other_truth(tmp_path):
    a = simulate(tmp_path / "a", "office", 2, seed=5)
    simulate(tmp_path / "b", "office", 2, seed=5)
    simulate(tmp_path / "c", "office", 2, seed=6)
    for name in (*a.files, "truth.csv"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name
    assert (tmp_path / "a" / "truth.csv").read_bytes() != (tmp_path / "c" / "truth.csv").read_bytes()


def test_truth_csv_has_the_readers_columns_and_consistent_rows(spec):
    plans = plan_pages(spec, "office", 12, random.Random(3))
    text = truth_csv([TruthRow("office.pdf", i, pl) for i, pl in enumerate(plans, start=1)], spec)
    rows = list(csv.DictReader(io.StringIO(text)))
    assert list(rows[0]) == ["file", "page", "form", "sheet_id", "client_code", "session", "date",
                             *spec.item_ids, "total", "status", "flags", "expect"]
    assert [r["page"] for r in rows] == [str(i) for i in range(1, 13)]
    for r in rows:
        values = [r[i] for i in spec.item_ids]
        if not r["expect"]:
            assert r["status"] == "ok" and all(values)
            assert float(r["total"]) == pytest.approx(sum(map(float, values)), abs=0.011)
        for item_id in spec.item_ids:   # a flagged item never carries a value
            if f"{item_id}:" in r["expect"]:
                assert r[item_id] == ""
        for v in filter(None, values):
            assert 0.0 <= float(v) <= 10.0 and len(v.split(".")[1]) == 2


def test_values_follow_real_use_high_mostly_some_low_some_at_the_ends(spec):
    plans = plan_pages(spec, "office", 120, random.Random(2))
    values = np.array([t.value_cm for pl in plans for t in pl.items if t.value_cm is not None])
    assert len(values) > 300
    assert 0.45 < np.mean(values >= 7.5) < 0.85
    assert 0.1 < np.mean(values < 5.0) < 0.35
    assert 0.03 < np.mean(values == 10.0) and 0.01 < np.mean(values == 0.0)


def test_every_case_a_reader_must_flag_is_in_a_dozen_pages(spec):
    plans = plan_pages(spec, "office", 12, random.Random(9))
    kinds = [pl.kind for pl in plans]
    assert {"blank_form", "blank_back", "foreign"} <= set(kinds)
    back = kinds.index("blank_back")
    assert kinds[back - 1] == "form"            # a blank back follows its front
    cases = {code for pl in plans for t in pl.items for code in t.expect}
    assert {"no_mark", "multiple_marks", "crossed_out", "off_line"} <= cases
    for pl in plans:
        for t, item in zip(pl.items, spec.items):
            assert (t.value_cm is None) == bool(t.expect) or pl.kind == "blank_form"


def test_off_line_marks_leave_clear_paper_and_others_cross_the_line(spec):
    plans = plan_pages(spec, "office", 60, random.Random(4))
    checked = 0
    for pl in plans:
        print_m = print_transform(pl.print_scale, pl.print_offset_mm, "a4")
        line_ys = [printed_line_mm(spec, item, "a4", print_m)[0][1] for item in spec.items]
        for mark in pl.marks:
            if mark.kind == "writing":
                continue
            pts = np.vstack([s.points_mm for s in mark.strokes])
            gap = min(np.abs(pts[:, 1] - y).min() for y in line_ys) - mark.strokes[0].width_mm / 2
            if mark.kind == "off_line":
                assert gap >= 1.5
                checked += 1
            elif mark.kind in ("tick", "slant", "long", "scribble"):
                assert any(pts[:, 1].min() < y < pts[:, 1].max() for y in line_ys)
    assert checked >= 2


def _pdf_images(path):
    from pypdf import PdfReader
    reader = PdfReader(path)
    out = []
    for page in reader.pages:
        (name, xobj), = page["/Resources"]["/XObject"].items()
        img = xobj.get_object()
        w_in = float(page.mediabox.width) / 72
        out.append((img["/Filter"], img["/ColorSpace"], round(img["/Width"] / w_in)))
    return out


@pytest.mark.parametrize("profile,dpi", [("office", 300), ("low-res", 150), ("messy", 300),
                                         ("fit-to-page", 300)])
def test_pdf_profiles_are_jpeg_pages_at_the_scan_dpi(tmp_path, profile, dpi):
    import pypdfium2 as pdfium

    sim = simulate(tmp_path, profile, 2, seed=21)
    path = tmp_path / f"{profile}.pdf"
    assert sim.files == (path.name,)
    images = _pdf_images(path)
    assert len(images) == 2
    for flt, space, got_dpi in images:
        assert flt == "/DCTDecode" and space in ("/DeviceRGB", "/DeviceGray")
        assert got_dpi == dpi
    doc = pdfium.PdfDocument(path)
    assert len(doc) == 2 and doc[0].render(scale=0.2).to_numpy().size > 0


def test_fax_is_a_bilevel_group4_tiff_at_fax_resolution(tmp_path):
    from PIL import Image

    simulate(tmp_path, "fax", 3, seed=8)
    with Image.open(tmp_path / "fax.tif") as im:
        assert im.n_frames == 3
        for i in range(3):
            im.seek(i)
            assert im.mode == "1" and im.info["compression"] == "group4"
            dpi = tuple(round(v) for v in im.info["dpi"])
            assert dpi in ((200, 100), (200, 200))
            assert im.size == (round(210 / 25.4 * dpi[0]), round(297 / 25.4 * dpi[1]))


def test_phone_photos_are_jpegs_some_turned_by_exif(tmp_path):
    from PIL import Image, ImageOps

    sim = simulate(tmp_path, "phone", 2, seed=4)
    assert sim.files == ("phone_1.jpg", "phone_2.jpg")
    orientations = set()
    for name in sim.files:
        with Image.open(tmp_path / name) as im:
            assert im.format == "JPEG" and im.mode == "RGB"
            orientations.add(im.getexif().get(0x0112))
            assert ImageOps.exif_transpose(im).size == (1800, 2400)   # upright: portrait
    assert orientations == {1, 6}


def test_mixed_writes_the_sample_bundle_layout(tmp_path):
    sim = simulate(tmp_path, "mixed", 2, seed=2)
    assert sim.files == ("batch.pdf", "fax.tif", "phone_1.jpg", "phone_2.jpg")
    rows = list(csv.DictReader(io.StringIO((tmp_path / "truth.csv").read_text())))
    assert [(r["file"], r["page"]) for r in rows] == [
        ("batch.pdf", "1"), ("batch.pdf", "2"), ("fax.tif", "1"), ("fax.tif", "2"), ("phone_1.jpg", "1"), ("phone_2.jpg", "1")]


def test_cli_simulate_writes_files_and_truth(tmp_path, capsys):
    from srs_scan.cli import SIMULATE_PROFILES, main
    from srs_scan.simulate import PROFILE_NAMES

    assert SIMULATE_PROFILES == PROFILE_NAMES
    assert main(["simulate", str(tmp_path), "--profile", "low-res", "--pages", "1", "--seed", "4"]) == 0
    assert (tmp_path / "low-res.pdf").exists() and (tmp_path / "truth.csv").exists()
    assert "seed 4" in capsys.readouterr().out
    assert main(["simulate", str(tmp_path), "--profile", "nope"]) == 2


def test_benchmark_scores_a_perfect_reader_and_catches_a_silent_error(spec, monkeypatch):
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "benchmarks" / "accuracy.py"
    module_spec = importlib.util.spec_from_file_location("accuracy", path)
    bench = importlib.util.module_from_spec(module_spec)
    monkeypatch.setitem(sys.modules, "accuracy", bench)   # dataclasses look their module up
    module_spec.loader.exec_module(bench)

    plans = plan_pages(spec, "office", 12, random.Random(3))
    text = truth_csv([TruthRow("office.pdf", i, pl) for i, pl in enumerate(plans, start=1)], spec)
    truth = list(csv.DictReader(io.StringIO(text)))
    perfect = bench.score("office", truth, [dict(r) for r in truth], spec.item_ids, 1.0)
    assert perfect.silent_errors == 0 and max(perfect.errors_mm) == 0.0
    assert perfect.clean_read == perfect.clean_items > 0
    assert perfect.must_flag_items_flagged == perfect.must_flag_items > 0
    assert perfect.must_flag_pages_flagged == perfect.must_flag_pages > 0

    wrong = [dict(r) for r in truth]
    clean = next(r for r in wrong if r["status"] == "ok")
    v = float(clean["relationship"])
    clean["relationship"] = f"{v + 0.3 if v <= 9.7 else v - 0.3:.2f}"   # 3 mm off, no flag
    foreign = next(r for r in wrong if r["status"] == "not_a_form")
    foreign.update(status="ok", flags="", goals="5.00")
    scored = bench.score("office", truth, wrong, spec.item_ids, 1.0)
    assert scored.silent_errors == 2
    assert scored.must_flag_pages_flagged == perfect.must_flag_pages - 1


def test_committed_samples_truth_is_what_the_simulator_plans_for_seed_2026(spec):
    from pathlib import Path

    from srs_scan.simulate import plan_simulation

    committed = Path(__file__).resolve().parents[1] / "samples" / "truth.csv"
    if not committed.exists():
        pytest.skip("samples/ not present")
    rows = [row for rows in plan_simulation("mixed", 12, 2026, spec=spec) for row in rows]
    assert truth_csv(rows, spec) == committed.read_bytes().decode("utf-8")


def test_stray_profile_plans_every_event_on_both_sides_of_each_limit(spec):
    """The stray profile's events come with truth, and their distances and darknesses run across
    every limit a reader could draw (touching or not, one mark or two, faint or plain)."""
    import re

    from srs_scan.simulate import plan_simulation
    from srs_scan.simulate.events import EVENTS, EventParams

    rows = plan_simulation("stray", 80, 7, spec=spec)[0]
    items = [t for r in rows for t in r.plan.items if r.plan.kind == "form"]
    assert {t.event for t in items} == set(EVENTS)
    numbers: dict[str, list[float]] = {}
    for t in items:
        assert (t.value_cm is None) == bool(t.expect), t   # a value, or a flag due: never both
        assert set(t.expect) <= set(t.flags_ok), t
        if t.value_cm is not None:
            assert 0.0 <= t.value_cm <= 10.0
        found = re.search(r"(-?\d+\.\d+)", t.detail)
        if found:
            numbers.setdefault(t.event, []).append(float(found.group(1)))
    e = EventParams()
    assert min(numbers["off_line_near"]) < 0.0 < e.short_touch_mm < max(numbers["off_line_near"])
    assert min(numbers["two_marks_near"]) < e.near_one_mm < max(numbers["two_marks_near"])
    assert min(numbers["pencil"]) < e.pencil_hesitate < max(numbers["pencil"])
    assert min(numbers["arrow"]) < 0.0 < max(numbers["arrow"])
    rings = numbers["ring"] + numbers["ring_empty"]
    assert min(rings) < 0.15 and max(rings) > 0.45   # lighter than any pencil to as dark as one
    touching = [t for t in items if t.event == "off_line_near" and t.expect]
    assert all(t.expect == ("off_line",) for t in touching)
    # the old profiles are untouched: no events, no rings of events
    office = plan_simulation("messy", 12, 7, spec=spec)[0]
    assert not any(t.event for r in office for t in r.plan.items)


def test_a_slash_strikes_a_stroke_across_it_never_along_it():
    """A client takes a mark back with a slash drawn across it: over a slanted stroke the slash
    leans the other way. One leaning the same way crossed it at 0-20 degrees, two strokes nearly
    along each other that no person would call a crossing-out (stray seeds 606 p33, 608 p66)."""
    import math

    from srs_scan.simulate.events import plan_event
    from srs_scan.simulate.model import Params

    def lean(stroke) -> float:   # degrees from upright, + leaning down to the right
        (x0, y0), (x1, y1) = stroke.points_mm[0], stroke.points_mm[-1]
        if y1 < y0:
            x0, y0, x1, y1 = x1, y1, x0, y0
        return math.degrees(math.atan2(x1 - x0, y1 - y0))

    seen = 0
    for seed in range(400):
        marks, _, truth = plan_event("crossed_out", "overall", 40.0, 140.0, 100.0, "blue",
                                     random.Random(seed), Params())
        old, struck = marks[0], marks[1:-1]
        if not truth.detail.startswith(("slash", "double_slash")) or old.kind == "cross":
            continue
        seen += 1
        for slash in struck:
            apart = abs(lean(slash.strokes[0]) - lean(old.strokes[0]))
            assert apart >= 25.0, (seed, old.kind, truth.detail, apart)
    assert seen > 50
