"""Geometry only from the form file: a second form of other geometry (tests/resources/
other_geometry.toml: 120 mm lines, other band, stops, markers, code and text places) prints,
simulates and reads with no change to the code."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from srs_scan.cli import main
from srs_scan.errors import FormFileError
from srs_scan.review.decisions import crop_box_mm
from srs_scan.sheets.spec import load_form
from srs_scan.simulate import simulate

OTHER = Path(__file__).resolve().parent / "resources" / "other_geometry.toml"


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_a_form_of_other_geometry_reads_with_no_code_change(tmp_path):
    spec = load_form(OTHER)
    assert spec.scale_max == 12.0 and spec.item_ids == ("first", "second", "third")
    scans = tmp_path / "scans"
    simulate(scans, profile="office", pages=6, seed=3, spec=spec)
    out = tmp_path / "read.csv"
    code = main(["scan", str(scans), "-o", str(out), "--form", str(OTHER), "--decimals", "2",
                 "--jobs", "1", "-q"])
    assert code == 0
    truth = {(r["file"], r["page"]): r for r in _rows(scans / "truth.csv")}
    read = _rows(out)
    assert len(read) == len(truth) == 6
    compared = 0
    for row in read:
        t = truth[(Path(row["file"]).name, row["page"])]
        if t["status"] == "not_a_form":  # the simulator's page of something else
            assert row["status"] == "not_a_form"
            continue
        assert (row["form"], row["sheet_id"]) == ("other-geometry", t["sheet_id"])
        for item in spec.item_ids:
            if t[item] and row[item]:  # a clean mark read: within 0.1 of its true value (1 mm)
                assert abs(float(row[item]) - float(t[item])) < 0.1, (row, item)
                compared += 1
            elif t[item]:
                assert item in row["flags"] or "poor_registration" in row["flags"], (row, item)
            else:  # must be flagged
                assert not row[item], (row, item)
    assert compared >= 8


def test_it_prints(tmp_path):
    out = tmp_path / "sheets.pdf"
    assert main(["forms", str(out), "--form", str(OTHER), "--count", "2", "--paper", "letter"]) == 0
    assert out.read_bytes().startswith(b"%PDF")


def test_the_review_crop_follows_the_form():
    spec = load_form(OTHER)
    x0, y0, width, height = crop_box_mm(spec, 92.0, (25.0, 145.0))
    assert (x0, width) == (15.0, 140.0)  # the form's 10 mm clear margin past each end-stop
    assert y0 == 92.0 - height / 2 and height > 2 * spec.clear_band_mm


@pytest.mark.parametrize(("old", "new"), [("anchor_below = 9.0", "anchor_below = 7.0"),
                                          ("prompt_above = 9.0", "prompt_above = 6.0"),
                                          ("y = 140.0", "y = 115.0")])
def test_text_too_near_a_line_is_refused(tmp_path, old, new):
    path = tmp_path / "bad.toml"
    path.write_text(OTHER.read_text().replace(old, new, 1))
    with pytest.raises(FormFileError):
        load_form(path)
