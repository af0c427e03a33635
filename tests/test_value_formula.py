"""One value formula (mark x in mm -> score in cm): the reader's, the review's, the simulator's,
and the review page's JavaScript copy, held equal by running it in node."""

from __future__ import annotations

import json
import random
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from srs_scan.review.decisions import value_from_x
from srs_scan.sheets.spec import value_cm

REVIEW_JS = Path(__file__).resolve().parents[1] / "srs_scan" / "review" / "static" / "shared.js"  # review.js and session.js load it


def _cases() -> list[tuple[float, tuple[float, float], float, float]]:
    rng = random.Random(10)
    cases = []
    for ends, scale in [((40.0, 140.0), 10.0), ((41.3, 135.2), 10.0), ((40.0, 120.0), 8.0)]:
        span = ends[1] - ends[0]
        # every half step exactly (where rounding rules differ), past both ends, and at random
        cases += [(ends[0] + span * k / (2 * scale * 10), ends, scale, 0.1)
                  for k in range(-4, 2 * int(scale) * 10 + 5)]
        cases += [(rng.uniform(ends[0] - 5, ends[1] + 5), ends, scale, step)
                  for step in (0.1, 0.01) for _ in range(300)]
    return cases


def test_the_formula():
    assert value_cm(90.0, 40.0, 140.0, 10.0) == 5.0
    assert value_cm(30.0, 40.0, 140.0, 10.0) == 0.0 and value_cm(150.0, 40.0, 140.0, 10.0) == 10.0
    assert value_cm(88.0, 40.0, 136.0, 10.0) == 5.0  # a sheet printed at 96 %: its own end-stops
    assert value_from_x(40.5, (40.0, 140.0), 10.0) == 0.1  # a half step rounds up


def test_the_review_page_computes_what_python_does(tmp_path):
    node = shutil.which("node") or shutil.which("nodejs")
    if node is None:
        pytest.skip("node is not installed")
    js = REVIEW_JS.read_text()
    value_at = re.search(r"^function valueAt\(.*?^}", js, re.S | re.M)
    assert value_at, "valueAt not found in shared.js"
    cases = _cases()
    script = tmp_path / "value.js"
    script.write_text(value_at.group(0) + "\nconst cases = " + json.dumps(cases) + ";\n"
                      "console.log(JSON.stringify(cases.map(([x, e, s, st]) => valueAt(x, e, s, st))));\n")
    out = json.loads(subprocess.run([node, str(script)], capture_output=True, text=True,
                                    check=True, timeout=60).stdout)
    assert len(out) == len(cases) > 1000
    for (x, ends, scale, step), from_js in zip(cases, out):
        assert from_js == pytest.approx(value_from_x(x, ends, scale, step), abs=1e-9), (x, ends, scale, step)
