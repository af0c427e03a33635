"""Round trips: simulate printing, filling in and scanning, read it back, compare with the truth.

One small seeded set per profile, scored exactly as benchmarks/accuracy.py scores the
large ones. The bars are the product's: zero silent errors, every must-flag item and
page flagged, every page a row, every sheet id read, and the error bounds per profile.
"""

from __future__ import annotations

import csv
import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

from srs_scan.cli import main
from srs_scan.simulate import simulate
from srs_scan.sheets.spec import load_form

BENCH = Path(__file__).resolve().parents[1] / "benchmarks" / "accuracy.py"
# (MAE mm, max mm) per profile: the bars
BARS = {"office": (0.25, 1.0), "fit-to-page": (0.25, 1.0), "messy": (0.25, 1.0),
        "fax": (0.5, 1.5), "low-res": (0.5, 1.5), "phone": (0.5, 1.5)}


@pytest.fixture(scope="module")
def accuracy():
    spec = importlib.util.spec_from_file_location("accuracy", BENCH)
    module = importlib.util.module_from_spec(spec)
    sys.modules["accuracy"] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    yield module
    sys.modules.pop("accuracy", None)


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@pytest.mark.parametrize("profile", list(BARS))
def test_round_trip(profile, tmp_path, accuracy):
    scans = tmp_path / "scans"
    simulate(scans, profile=profile, pages=12, seed=101)
    truth_csv = tmp_path / "truth.csv"
    (scans / "truth.csv").rename(truth_csv)
    out = tmp_path / "read.csv"
    assert main(["scan", str(scans), "-o", str(out), "--decimals", "2", "--jobs", "2", "-q"]) == 0
    truth, read = _rows(truth_csv), _rows(out)
    score = accuracy.score(profile, truth, read, load_form().item_ids, 1.0)

    assert score.missing_pages == 0 and len(read) == len(truth)
    assert score.silent_errors == 0
    assert score.must_flag_items_flagged == score.must_flag_items > 0
    # and named for what it is (a crossed-out mark crossed_out, not multiple_marks)
    assert score.must_flag_items_named >= 0.9 * score.must_flag_items, score
    assert score.must_flag_pages_flagged == score.must_flag_pages > 0
    by_key = {(Path(r["file"]).name, r["page"]): r for r in read}
    for t in truth:
        assert by_key[(t["file"], t["page"])]["sheet_id"] == t["sheet_id"], (t["file"], t["page"])
    errors = np.array(score.errors_mm)
    mae_bar, max_bar = BARS[profile]
    assert errors.mean() <= mae_bar and errors.max() <= max_bar, (errors.mean(), errors.max())
    assert score.clean_read >= 0.95 * score.clean_items, (score.clean_read, score.clean_items)
