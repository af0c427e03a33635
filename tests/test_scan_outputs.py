"""`srs-scan scan` as a new user runs it: its own outputs are never read back as scans, stored
readings follow the forms they were read with, and a re-scan after a review keeps the review."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from drawmarks import Drawer, blank_page
from test_cli_scan import _pdf, _rows  # the batch tests' own helpers, as test_batch_faults uses them
from srs_scan.cli import main
from srs_scan.errors import ExitCode
from srs_scan.review.decisions import PAGE, ReviewLog
from srs_scan.sheets.sheetid import SheetId
from srs_scan.sheets.spec import DEFAULT_FORM, load_form
from srs_scan.batch.store import ResultStore

DPI = 150


def _page(form: str, serial: str, values=(9.0, 8.0, 7.0, 6.0)) -> np.ndarray:
    page = blank_page(DPI, SheetId(form, 1, serial, "C042", "5", ""))
    draw = Drawer(page, dpi=DPI)
    for item, value in enumerate(values):
        if value is not None:
            draw.tick(item, value)
    return page


@pytest.fixture
def trial(tmp_path) -> Path:
    folder = tmp_path / "trial"
    folder.mkdir()
    _pdf(folder / "scan.pdf", [_page("srs", "OWN00001"), _page("srs", "OWN00002")])
    return folder


def test_the_readme_example_reads_the_same_pages_every_time(trial, tmp_path):
    """Overlays, CSV, JSON and the store written inside the scanned folder are never scans."""
    out, overlays = trial / "trial.csv", trial / "overlays"
    args = ["scan", str(trial), "-o", str(out), "--overlays", str(overlays),
            "--json", str(trial / "details.json"), "--jobs", "1", "-q"]
    for _ in range(3):
        assert main(args) == ExitCode.OK
        rows = _rows(out)
        assert [r["sheet_id"] for r in rows] == ["OWN00001", "OWN00002"]
    assert len(list(overlays.glob("*.jpg"))) == 2


def test_overlays_written_elsewhere_are_not_read_later(trial, tmp_path, capsys):
    """Overlays from an earlier run, moved or written anywhere, are recognised as ours."""
    out = tmp_path / "r.csv"
    assert main(["scan", str(trial), "-o", str(out), "--overlays", str(tmp_path / "pictures"),
                 "--jobs", "1", "-q"]) == 0
    moved = trial / "checked"
    (tmp_path / "pictures").rename(moved)
    capsys.readouterr()
    assert main(["scan", str(trial), "-o", str(out), "--jobs", "1"]) == 0
    assert len(_rows(out)) == 2
    assert "2 pictures srs-scan wrote" in capsys.readouterr().err
    # even named one by one, an overlay is not read as a scan
    picture = next(moved.glob("*.jpg"))
    assert main(["scan", str(picture), "-o", str(tmp_path / "p.csv"), "--jobs", "1", "-q"]) == 2


@pytest.fixture
def other_form(tmp_path) -> Path:
    """A second form: the SRS geometry under another id (as a clinic's licensed wording would be)."""
    path = tmp_path / "forms" / "other.toml"
    path.parent.mkdir()
    path.write_text(DEFAULT_FORM.read_text().replace('id = "srs"', 'id = "other"'))
    assert load_form(path).form_id == "other"
    return path


def test_form_option_adds_to_the_built_in_forms_and_rereads(tmp_path, other_form):
    batch = _pdf(tmp_path / "mixed.pdf", [_page("srs", "SRS00001"), _page("other", "OTH00001")])
    out = tmp_path / "r.csv"
    assert main(["scan", str(batch), "-o", str(out), "--jobs", "1", "-q"]) == 0
    assert [r["status"] for r in _rows(out)] == ["ok", "review"]
    assert _rows(out)[1]["flags"] == "unknown_form"
    # the right form given: the stored unknown_form reading is redone, the srs sheet still reads
    assert main(["scan", str(batch), "-o", str(out), "--jobs", "1", "-q", "--form", str(other_form)]) == 0
    rows = _rows(out)
    assert [(r["form"], r["status"], r["total"]) for r in rows] == [
        ("srs", "ok", "30.0"), ("other", "ok", "30.0")]
    # only the given forms, when asked
    assert main(["scan", str(batch), "-o", str(out), "--jobs", "1", "-q", "--form", str(other_form),
                 "--only-given-forms"]) == 0
    assert [(r["form"], r["status"]) for r in _rows(out)] == [("srs", "review"), ("other", "ok")]
    assert _rows(out)[0]["flags"] == "unknown_form"


def test_only_given_forms_needs_a_form(tmp_path, trial, capsys):
    assert main(["scan", str(trial), "-o", str(tmp_path / "r.csv"), "--only-given-forms"]) == 2
    assert "--form" in capsys.readouterr().err


def test_a_rescan_after_review_keeps_the_review(tmp_path, clinic_store):
    batch = _pdf(tmp_path / "b.pdf", [_page("srs", "REV00001", (9.0, None, 7.0, 6.0)),
                                      _page("srs", "REV00002")])
    out = tmp_path / "r.csv"
    assert main(["scan", str(batch), "-o", str(out), "--jobs", "1", "-q"]) == 0
    first = _rows(out)
    assert first[0]["status"] == "review" and "reviewed" in first[0]
    assert (first[0]["reviewed"], first[1]["reviewed"]) == ("no", "no")
    with ResultStore(clinic_store) as store:
        log = ReviewLog(store)
        (page,) = [p for p in log.pages() if p.result.page == 1]
        log.decide(page.content_hash, 1, "goals", "value", "Anna", x_mm=60.0,
                   spec=load_form())
        log.decide(page.content_hash, 1, PAGE, "accept", "Anna")
    export = tmp_path / "export.csv"
    assert main(["export", "-o", str(export), "-q"]) == 0
    assert main(["scan", str(batch), "-o", str(out), "--jobs", "1", "-q"]) == 0
    rescanned = _rows(out)
    assert rescanned == _rows(export)  # the store is the truth: same columns, same decisions
    assert (rescanned[0]["reviewed"], rescanned[0]["reviewer"]) == ("yes", "Anna")
    assert rescanned[0]["status"] != "review"


def test_the_pictures_enrol_writes_are_not_scans(tmp_path, capsys):
    """`enrol` writes a reference image and a picture of what it found: kept among the scans,
    neither is read as one (and the enrolled form still reads its copies: tests/test_enrol.py)."""
    from test_enrol import LINES, _blank

    cv2.imwrite(str(tmp_path / "blank.png"), _blank(1, LINES))
    kept = tmp_path / "scans"
    kept.mkdir()
    assert main(["enrol", str(tmp_path / "blank.png"), "-o", str(kept / "pain.toml")]) == 0
    assert len(list(kept.glob("*.png"))) == 2
    for picture in kept.glob("*.png"):  # still an ordinary PNG
        assert cv2.imread(str(picture)) is not None
    capsys.readouterr()
    assert main(["scan", str(kept), "-o", str(tmp_path / "r.csv"), "--jobs", "1"]) == 2
    assert "no scans found" in capsys.readouterr().err
