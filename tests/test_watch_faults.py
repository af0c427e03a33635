"""The hot folder under the paths a clinic meets: a restart at the worst moment, a file dropped
twice, a scanner that pauses mid-file, Ctrl-C, and a review between two files."""

from __future__ import annotations

import csv
import io
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import cv2
import pytest
from PIL import Image

from drawmarks import Drawer, blank_page
from srs_scan.batch import watch
from srs_scan.batch.pipeline import ScanOptions
from srs_scan.batch.store import ResultStore
from srs_scan.batch.watch import HotFolder, WatchOptions
from srs_scan.review.decisions import PAGE, ReviewLog
from srs_scan.sheets.sheetid import SheetId
from srs_scan.sheets.spec import load_form_library

REPO = Path(__file__).resolve().parents[1]
DPI = 150
FORMS = load_form_library()


def _pages(serials: list[str], missing: int | None = None) -> list[Image.Image]:
    images = []
    for serial in serials:
        page = blank_page(DPI, SheetId("srs", 1, serial, "C042", "5", ""))
        draw = Drawer(page, dpi=DPI)
        for item, value in enumerate((9.0, 8.0, 7.0, 6.0)):
            if item != missing:
                draw.tick(item, value)
        images.append(Image.fromarray(cv2.cvtColor(page, cv2.COLOR_BGR2RGB)))
    return images


def _pdf_bytes(serials: list[str], missing: int | None = None) -> bytes:
    images = _pages(serials, missing)
    buffer = io.BytesIO()
    images[0].save(buffer, "PDF", save_all=True, append_images=images[1:], resolution=DPI)
    return buffer.getvalue()


def _tiff_bytes(serials: list[str]) -> bytes:
    images = [im.convert("1") for im in _pages(serials)]
    buffer = io.BytesIO()
    images[0].save(buffer, "TIFF", save_all=True, append_images=images[1:], compression="group4",
                   dpi=(DPI, DPI))
    return buffer.getvalue()


def _rows(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _folder(tmp_path: Path, store: ResultStore, clock: Clock, **options) -> HotFolder:
    return HotFolder(tmp_path / "inbox", tmp_path / "results.csv", FORMS, store, ScanOptions(jobs=1),
                     WatchOptions(settle_s=1.0, **options), clock=clock)


def _take_all(folder: HotFolder, clock: Clock) -> list[Path]:
    folder.settled()
    clock.now += 5
    ready = folder.settled()
    for path in ready:
        folder.take(path)
    return ready


@pytest.fixture
def inbox(tmp_path) -> Path:
    (tmp_path / "inbox").mkdir()
    return tmp_path / "inbox"


def test_the_csv_names_the_file_where_it_now_lies(tmp_path, inbox):
    (inbox / "a.pdf").write_bytes(_pdf_bytes(["WATCH001"]))
    clock = Clock()
    with ResultStore(tmp_path / "r.srs.sqlite") as store:
        _take_all(_folder(tmp_path, store, clock), clock)
    (row,) = _rows(tmp_path / "results.csv")
    assert row["file"] == str(inbox / "done" / "a.pdf") and Path(row["file"]).exists()


def test_the_same_file_dropped_again_adds_no_rows(tmp_path, inbox):
    data = _pdf_bytes(["TWICE001"])
    clock = Clock()
    with ResultStore(tmp_path / "r.srs.sqlite") as store:
        folder = _folder(tmp_path, store, clock)
        (inbox / "a.pdf").write_bytes(data)
        _take_all(folder, clock)
        (inbox / "a.pdf").write_bytes(data)  # the scanner sends it again, same name
        (inbox / "copy.pdf").write_bytes(data)  # and under another name
        assert len(_take_all(folder, clock)) == 2
    rows = _rows(tmp_path / "results.csv")
    assert [r["sheet_id"] for r in rows] == ["TWICE001"]
    assert sorted(p.name for p in (inbox / "done").iterdir()) == ["a-1.pdf", "a.pdf", "copy.pdf"]


class Killed(BaseException):
    """Stands for kill -9 at one moment: nothing after it runs."""


@pytest.mark.parametrize("moment", ["move", "csv"])
def test_killed_before_the_move_or_the_csv_a_restart_gives_each_row_once(tmp_path, inbox, monkeypatch,
                                                                        moment):
    (inbox / "first.pdf").write_bytes(_pdf_bytes(["KILL0001"]))
    (inbox / "second.pdf").write_bytes(_pdf_bytes(["KILL0002", "KILL0003"]))
    clock = Clock()

    def die(*_args, **_kwargs):
        raise Killed

    with ResultStore(tmp_path / "r.srs.sqlite") as store:
        folder = _folder(tmp_path, store, clock)
        folder.settled()
        clock.now += 5
        first, second = sorted(folder.settled())
        folder.take(first)
        with monkeypatch.context() as patch:
            patch.setattr(watch.shutil if moment == "move" else watch, "move" if moment == "move"
                          else "write_table", die)
            with pytest.raises(Killed):
                folder.take(second)
    with ResultStore(tmp_path / "r.srs.sqlite") as store:  # started again
        _take_all(_folder(tmp_path, store, clock), clock)
    rows = _rows(tmp_path / "results.csv")
    assert [r["sheet_id"] for r in rows] == ["KILL0001", "KILL0002", "KILL0003"]
    assert all(Path(r["file"]).parent == inbox / "done" for r in rows)
    assert sorted(p.name for p in (inbox / "done").iterdir()) == ["first.pdf", "second.pdf"]


def test_a_file_still_being_written_is_not_taken(tmp_path, inbox):
    """A fax writer that pauses mid-file for longer than --settle: the file is incomplete (its
    frame chain points past its end), so it waits; whole, it is read with every page."""
    data = _tiff_bytes(["FAX00001", "FAX00002"])
    clock = Clock()
    with ResultStore(tmp_path / "r.srs.sqlite") as store:
        folder = _folder(tmp_path, store, clock, incomplete_wait_s=600.0)
        for cut in (0.3, 0.7, 0.95):
            (inbox / "fax.tif").write_bytes(data[:int(len(data) * cut)])
            folder.settled()
            clock.now += 30  # far longer than settle_s
            assert folder.settled() == [], cut
        (inbox / "fax.tif").write_bytes(data)
        assert len(_take_all(folder, clock)) == 1
    rows = _rows(tmp_path / "results.csv")
    assert [r["sheet_id"] for r in rows] == ["FAX00001", "FAX00002"]


def test_a_whole_file_still_open_for_writing_is_not_taken(tmp_path, inbox):
    """A writer that has written a whole first page and pauses, the file still open: the file is
    a complete one-page TIFF by its structure, but the kernel says it is being written."""
    first = _tiff_bytes(["OPEN0001"])
    clock = Clock()
    with ResultStore(tmp_path / "r.srs.sqlite") as store:
        folder = _folder(tmp_path, store, clock, incomplete_wait_s=600.0)
        with (inbox / "fax.tif").open("wb") as writer:
            writer.write(first)
            writer.flush()
            assert watch.looks_complete(inbox / "fax.tif")
            folder.settled()
            clock.now += 30
            assert folder.settled() == []  # still open for writing
        assert len(_take_all(folder, clock)) == 1  # closed: whole
        folder.close()
    assert [r["sheet_id"] for r in _rows(tmp_path / "results.csv")] == ["OPEN0001"]


def test_an_incomplete_file_is_taken_in_the_end(tmp_path, inbox):
    """A file that never completes is not left in the inbox for ever: it fails with its reason."""
    (inbox / "torn.pdf").write_bytes(_pdf_bytes(["TORN0001"])[:2000])
    clock = Clock()
    with ResultStore(tmp_path / "r.srs.sqlite") as store:
        folder = _folder(tmp_path, store, clock, incomplete_wait_s=60.0)
        folder.settled()
        clock.now += 30
        assert folder.settled() == []
        clock.now += 31
        (ready,) = folder.settled()
        folder.take(ready)
    assert (inbox / "failed" / "torn.pdf.reason.txt").exists()


def test_the_csv_carries_review_decisions_made_meanwhile(tmp_path, inbox):
    """Rows are rebuilt from the store, not from memory: a review between two files stays."""
    clock = Clock()
    with ResultStore(tmp_path / "r.srs.sqlite") as store:
        folder = _folder(tmp_path, store, clock)
        (inbox / "a.pdf").write_bytes(_pdf_bytes(["REVW0001"], missing=1))
        _take_all(folder, clock)
        assert _rows(tmp_path / "results.csv")[0]["status"] == "review"
        log = ReviewLog(store)
        (page,) = list(log.pages())
        log.decide(page.content_hash, 1, "goals", "value", "Anna", x_mm=90.0, spec=FORMS[("srs", 1)])
        log.decide(page.content_hash, 1, PAGE, "accept", "Anna")
        (inbox / "b.pdf").write_bytes(_pdf_bytes(["REVW0002"]))
        _take_all(folder, clock)
    first, second = _rows(tmp_path / "results.csv")
    assert (first["goals"], first["reviewed"], first["reviewer"]) == ("5.0", "yes", "Anna")
    assert second["sheet_id"] == "REVW0002" and second["reviewed"] == "no"


def test_ctrl_c_exits_130(tmp_path, inbox):
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen([sys.executable, "-m", "srs_scan", "watch", str(inbox), "-o",
                             str(tmp_path / "r.csv")], cwd=tmp_path, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert b"watching" in proc.stderr.readline()  # started: the folder is being watched
    time.sleep(0.5)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert b"Traceback" not in err
