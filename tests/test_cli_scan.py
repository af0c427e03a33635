"""`srs-scan scan` end to end: one row per page, resume, no duplicates, real files never scored."""

from __future__ import annotations

import csv
import io
import multiprocessing
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

from drawmarks import Drawer, blank_page
from srs_scan.batch import pipeline
from srs_scan.cli import main
from srs_scan.errors import ExitCode
from srs_scan.sheets.sheetid import SheetId
from srs_scan.sheets.spec import load_form_library

REPO = Path(__file__).resolve().parents[1]
DPI = 150  # small pages keep these tests quick; accuracy is tested elsewhere


def _filled(serial: str, values: tuple[float, ...]) -> np.ndarray:
    page = blank_page(DPI, SheetId("srs", 1, serial, "C042", "5", ""))
    draw = Drawer(page, dpi=DPI)
    for item, value in enumerate(values):
        draw.tick(item, value)
    return page


def _foreign() -> np.ndarray:
    page = np.full((1754, 1240, 3), 255, np.uint8)
    for row in range(200, 1500, 60):
        cv2.putText(page, "Dear colleague, thank you for the referral.", (120, row),
                    cv2.FONT_HERSHEY_SIMPLEX, 1.0, (30, 30, 30), 2)
    return page


def _pdf(path: Path, pages: list[np.ndarray]) -> Path:
    images = [Image.fromarray(cv2.cvtColor(p, cv2.COLOR_BGR2RGB)) for p in pages]
    images[0].save(path, save_all=True, append_images=images[1:], resolution=DPI, quality=90)
    return path


def _rows(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))


@pytest.fixture(scope="module")
def mixed_pdf(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("mixed")
    white = np.full((1754, 1240, 3), 255, np.uint8)
    pages = [_filled("AAAA0001", (9.1, 8.4, 9.6, 9.0)), white, _foreign(),
             _filled("AAAA0002", (3.2, 5.0, 7.7, 10.0)), _filled("AAAA0001", (9.1, 8.4, 9.6, 9.0))]
    return _pdf(folder / "batch.pdf", pages)


def test_one_row_per_page_in_order(mixed_pdf, tmp_path):
    out = tmp_path / "r.csv"
    assert main(["scan", str(mixed_pdf), "-o", str(out), "--jobs", "2", "-q"]) == ExitCode.OK
    rows = _rows(out)
    assert [r["page"] for r in rows] == ["1", "2", "3", "4", "5"]
    assert [r["status"] for r in rows] == ["ok", "not_a_form", "not_a_form", "ok", "review"]
    assert rows[0]["total"] == "36.1" and rows[3]["overall"] == "10.0"
    assert rows[4]["flags"] == "duplicate_sheet"  # the same sheet fed twice


def test_resume_reads_nothing_twice_and_same_csv(mixed_pdf, tmp_path, capsys):
    out = tmp_path / "r.csv"
    assert main(["scan", str(mixed_pdf), "-o", str(out), "--jobs", "1"]) == 0
    first = out.read_bytes()
    copy = tmp_path / "copy of batch.pdf"
    copy.write_bytes(mixed_pdf.read_bytes())
    capsys.readouterr()
    assert main(["scan", str(mixed_pdf), str(copy), "-o", str(out), "--jobs", "1"]) == 0
    err = capsys.readouterr().err
    assert "(0 read now)" in err and "same content" in err
    assert out.read_bytes() == first

    # the same rows for a spreadsheet set to German: semicolons and decimal commas
    german = tmp_path / "r-de.csv"
    assert main(["scan", str(mixed_pdf), "-o", str(german), "--db", str(tmp_path / "r.srs.sqlite"),
                 "--delimiter", ";", "--decimal-comma", "--decimals", "3", "-q"]) == 0
    rows = list(csv.DictReader(io.StringIO(german.read_text(encoding="utf-8")), delimiter=";"))
    assert re.fullmatch(r"36,\d\d\d", rows[0]["total"]) and [r["page"] for r in rows] == ["1", "2", "3", "4", "5"]
    assert main(["scan", str(mixed_pdf), "-o", str(german), "--db", str(tmp_path / "r.srs.sqlite"),
                 "--delimiter", "tab", "--decimals", "3"]) == 0
    assert "8.505 read as 8505" in capsys.readouterr().err   # three decimals: warned
    assert german.read_text(encoding="utf-8").startswith('"file"\t"page"\t')
    assert main(["scan", str(mixed_pdf), "-o", str(german), "--decimal-comma"]) == 2
    assert "decimal comma needs another delimiter" in capsys.readouterr().err

    import openpyxl   # the workbook: same rows, values as numbers

    book = tmp_path / "r.xlsx"
    assert main(["scan", str(mixed_pdf), "-o", str(book), "--db", str(tmp_path / "r.srs.sqlite"),
                 "--decimals", "3", "-q"]) == 0
    sheet = openpyxl.load_workbook(book).active
    assert [c.value for c in sheet["B"]][1:] == [1, 2, 3, 4, 5]
    total = [c.value for c in sheet[1]].index("total") + 1  # after every form's item columns
    cell = sheet.cell(row=2, column=total)
    assert isinstance(cell.value, float) and cell.number_format == "0.000"


def test_unreadable_input_gives_error_row_and_exit_3(mixed_pdf, tmp_path):
    bad = tmp_path / "torn.pdf"
    bad.write_bytes(mixed_pdf.read_bytes()[:300])
    empty = tmp_path / "empty.tif"
    empty.write_bytes(b"")
    out = tmp_path / "r.csv"
    code = main(["scan", str(bad), str(empty), str(mixed_pdf), "-o", str(out), "--jobs", "1", "-q"])
    assert code == ExitCode.SOME_INPUTS_FAILED
    rows = _rows(out)
    assert [r["status"] for r in rows[:2]] == ["error", "error"]
    assert all(r["flags"] for r in rows[:2])
    assert len(rows) == 7


def test_missing_input_is_a_usage_error(tmp_path, capsys):
    assert main(["scan", str(tmp_path / "nope.pdf"), "-o", str(tmp_path / "r.csv")]) == 2
    assert "Traceback" not in capsys.readouterr().err


def test_realdata_is_never_scored(realdata, tmp_path):
    out = tmp_path / "real.csv"
    code = main(["scan", str(realdata), "-o", str(out), "--jobs", "2", "-q"])
    assert code in (ExitCode.OK, ExitCode.SOME_INPUTS_FAILED)
    rows = _rows(out)
    files = {r["file"] for r in rows}
    expected = {str(p) for p in realdata.rglob("*") if p.is_file() and p.suffix.lower() in
                {".pdf", ".tif", ".tiff", ".png", ".jpg", ".jpeg"}}
    assert files == expected
    for row in rows:
        assert row["status"] in ("error", "not_a_form"), row
        assert row["total"] == "" and row["relationship"] == ""
        if row["status"] == "error":
            assert row["flags"]


def _cli(*args: str) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.Popen([sys.executable, "-m", "srs_scan", *args], cwd=REPO, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _wait_for_stored_pages(db: Path, pages: int, timeout_s: float = 300) -> None:
    """Until the running batch has kept `pages` readings in its results database."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        time.sleep(0.2)
        try:
            # read-only: a plain connect would create an empty file, which the scan refuses as damaged
            with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
                if conn.execute("SELECT COUNT(*) FROM pages").fetchone()[0] >= pages:
                    return
        except sqlite3.Error:
            continue


def test_kill_9_then_rerun_equals_an_uninterrupted_run(tmp_path):
    """A 100-page batch killed half way, then run again, gives exactly the uninterrupted CSV."""
    serials = [f"K{n:07d}" for n in range(10)]
    pages = [_filled(serials[n % 10], (n % 10, 9.0, 5.5, 10.0)) for n in range(100)]
    batch = _pdf(tmp_path / "hundred.pdf", pages)
    whole, resumed = tmp_path / "whole.csv", tmp_path / "resumed.csv"
    assert _cli("scan", str(batch), "-o", str(whole), "--jobs", "2", "-q",
                "--db", str(tmp_path / "whole.srs.sqlite")).wait(600) == 0

    db = tmp_path / "resumed.srs.sqlite"
    proc = _cli("scan", str(batch), "-o", str(resumed), "--jobs", "2", "-q", "--db", str(db))
    _wait_for_stored_pages(db, 30)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert not resumed.exists()  # nothing half-written
    with sqlite3.connect(db) as conn:
        kept = conn.execute("SELECT COUNT(*) FROM pages").fetchone()[0]
    assert 30 <= kept < 100

    rerun = _cli("scan", str(batch), "-o", str(resumed), "--jobs", "2", "--db", str(db))
    _, err = rerun.communicate(timeout=600)
    assert rerun.returncode == 0
    assert f"({100 - kept} read now)" in err.decode()
    def as_read(path: Path) -> list[dict[str, str]]:  # every column but when each page was read
        return [{k: v for k, v in row.items() if k != "scanned_at"} for row in _rows(path)]

    assert as_read(resumed) == as_read(whole)
    assert len(_rows(resumed)) == 100


def test_ctrl_c_leaves_no_half_written_output(tmp_path, clinic_store):
    pages = [_filled(f"C{n:07d}", (5.0, 6.0, 7.0, 8.0)) for n in range(40)]
    batch = _pdf(tmp_path / "forty.pdf", pages)
    out = tmp_path / "r.csv"
    proc = _cli("scan", str(batch), "-o", str(out), "--jobs", "2", "-q")
    _wait_for_stored_pages(clinic_store, 4)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == ExitCode.INTERRUPTED, err.decode()
    assert "Traceback" not in err.decode() and "interrupted" in err.decode()
    assert not out.exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".r.csv")] == []


def test_a_worker_killed_mid_batch_costs_only_its_pages(tmp_path):
    """A worker that dies (as under the out-of-memory killer) gives error rows, not a crash."""
    big = _pdf(tmp_path / "twelve.pdf", [_filled(f"W{n:07d}", (5, 5, 5, 5)) for n in range(12)])
    tasks = [pipeline.Task(big, n, str(big), "d") for n in range(1, 13)]
    options = pipeline.ScanOptions(jobs=2)
    forms = load_form_library()
    results = []
    for done in pipeline.scan(tasks, forms, options):
        results.append(done.result)
        if len(results) == 2:  # kill every worker of the pool while pages are in flight
            for child in multiprocessing.active_children():
                os.kill(child.pid, signal.SIGKILL)
    assert [r.page for r in results] == list(range(1, 13))
    statuses = [r.status.value for r in results]
    assert "error" in statuses and statuses.count("ok") >= 6
    assert all("reading process" in r.reason for r in results if r.status.value == "error")


def test_encrypted_pdf_needs_its_password(realdata, tmp_path, monkeypatch):
    locked = realdata / "bad_input" / "paperless__password-is-test.pdf"
    out = tmp_path / "r.csv"
    assert main(["scan", str(locked), "-o", str(out), "-q", "--jobs", "1"]) == ExitCode.SOME_INPUTS_FAILED
    assert [(r["status"], r["flags"]) for r in _rows(out)] == [("error", "encrypted: password needed")]
    monkeypatch.setenv("SRS_SCAN_PASSWORD", "test")
    assert main(["scan", str(locked), "-o", str(out), "-q", "--jobs", "1"]) == ExitCode.OK
    assert [r["status"] for r in _rows(out)] == ["not_a_form"]
