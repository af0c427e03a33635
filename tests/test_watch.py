"""The hot folder: each file read once, whole, even when the scanner writes it slowly."""

from __future__ import annotations

import csv
import io
import threading
import time
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from drawmarks import Drawer, blank_page
from srs_scan.batch.export import CsvFormat
from tests.test_export import formula_cells
from srs_scan.batch.pipeline import ScanOptions
from srs_scan.sheets.sheetid import SheetId
from srs_scan.sheets.spec import load_form_library
from srs_scan.batch.store import ResultStore
from srs_scan.batch.watch import HotFolder, WatchOptions

DPI = 150


def _pdf_bytes(serials: list[str]) -> bytes:
    images = []
    for serial in serials:
        page = blank_page(DPI, SheetId("srs", 1, serial, "C042", "5", ""))
        draw = Drawer(page, dpi=DPI)
        for item, value in enumerate((9.0, 8.0, 7.0, 6.0)):
            draw.tick(item, value)
        images.append(Image.fromarray(cv2.cvtColor(page, cv2.COLOR_BGR2RGB)))
    buffer = io.BytesIO()
    images[0].save(buffer, "PDF", save_all=True, append_images=images[1:], resolution=DPI)
    return buffer.getvalue()


def _write_slowly(path: Path, data: bytes, pieces: int = 8, pause_s: float = 0.25) -> None:
    with path.open("wb") as handle:
        for n in range(pieces):
            handle.write(data[n * len(data) // pieces:(n + 1) * len(data) // pieces])
            handle.flush()
            time.sleep(pause_s)


def test_each_file_is_read_once_and_whole(tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    out = tmp_path / "results.csv"
    slow_pdf = _pdf_bytes(["SLOW0001", "SLOW0002", "SLOW0003"])
    (inbox / "quick.pdf").write_bytes(_pdf_bytes(["QUICK001"]))
    (inbox / "broken.pdf").write_bytes(b"%PDF-1.4 this is not a real PDF")
    (inbox / "notes.txt").write_text("not a scan")  # ignored: not a scan file type
    writer = threading.Thread(target=_write_slowly, args=(inbox / "slow.pdf", slow_pdf))

    taken: list[tuple[str, int]] = []
    deadline = time.monotonic() + 120

    def done() -> bool:
        names = {name for name, _ in taken}
        return {"quick.pdf", "slow.pdf", "broken.pdf"} <= names or time.monotonic() > deadline

    with ResultStore(tmp_path / "r.sqlite") as store:
        folder = HotFolder(inbox, out, load_form_library(), store, ScanOptions(jobs=1),
                           WatchOptions(settle_s=1.0, poll_s=0.1, incomplete_wait_s=3.0))
        writer.start()  # the scanner writes slow.pdf in pieces while the folder is watched
        folder.run(done, lambda t: taken.append((t.path.name, len(t.results))))
        writer.join()

    assert sorted(taken) == [("broken.pdf", 1), ("quick.pdf", 1), ("slow.pdf", 3)]
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    slow = [r for r in rows if r["file"].endswith("slow.pdf")]
    assert [r["sheet_id"] for r in slow] == ["SLOW0001", "SLOW0002", "SLOW0003"]
    assert all(r["status"] == "ok" and r["total"] == "30.0" for r in slow)
    assert len(rows) == 5
    assert sorted(p.name for p in (inbox / "done").iterdir()) == ["quick.pdf", "slow.pdf"]
    failed = sorted(p.name for p in (inbox / "failed").iterdir())
    assert failed == ["broken.pdf", "broken.pdf.reason.txt"]
    assert "damaged" in (inbox / "failed" / "broken.pdf.reason.txt").read_text()
    assert (inbox / "notes.txt").exists()


def test_rows_survive_a_restart_in_any_csv_format(tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    out = tmp_path / "results.csv"
    forms = load_form_library()
    fmt = CsvFormat(delimiter=";", decimal_comma=True)
    for n, serial in enumerate(["FIRST001", "SECOND01"]):
        (inbox / f"scan{n}.pdf").write_bytes(_pdf_bytes([serial]))
        with ResultStore(tmp_path / "r.sqlite") as store:
            clock = iter(np.arange(0, 100, 5.0)).__next__
            folder = HotFolder(inbox, out, forms, store, ScanOptions(jobs=1),
                               WatchOptions(settle_s=1.0, csv=fmt), clock=clock)
            assert folder.settled() == []  # first sight: not yet settled
            ready = folder.settled()
            assert [p.name for p in ready] == [f"scan{n}.pdf"]
            folder.take(ready[0])
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8")), delimiter=";"))
    assert [r["sheet_id"] for r in rows] == ["FIRST001", "SECOND01"]
    assert [(r["page"], r["session"], r["total"]) for r in rows] == [("1", "5", "30,0")] * 2
    assert formula_cells(out.read_text(encoding="utf-8")) == []


def test_watch_writes_csv_only(tmp_path, capsys):
    from srs_scan.cli import main

    assert main(["watch", str(tmp_path), "-o", str(tmp_path / "r.xlsx")]) == 2
    assert "export -o results.xlsx" in capsys.readouterr().err


def test_watch_csv_has_the_columns_and_alerts_of_export(tmp_path):
    """watch, scan and export write one table (review/decisions.reviewed_table): the same columns,
    and each page's alerts from its client's history (a total of 30 is below the SRS cut-off 36)."""
    from srs_scan.cli import main

    inbox, db = tmp_path / "inbox", tmp_path / "r.sqlite"
    inbox.mkdir()
    (inbox / "scan.pdf").write_bytes(_pdf_bytes(["ALERT001"]))
    with ResultStore(db) as store:
        clock = iter(np.arange(0, 100, 5.0)).__next__
        folder = HotFolder(inbox, tmp_path / "watch.csv", load_form_library(), store, ScanOptions(jobs=1),
                           WatchOptions(settle_s=1.0), clock=clock)
        folder.settled()
        folder.take(folder.settled()[0])
        (run,) = store.runs()           # each file taken is a run, its pages tagged with it
        assert run.command == "watch" and run.finished and set(store.page_runs().values()) == {run.id}
    assert main(["export", "-o", str(tmp_path / "export.csv"), "--db", str(db), "-q"]) == 0
    watched = list(csv.DictReader(io.StringIO((tmp_path / "watch.csv").read_text(encoding="utf-8"))))
    exported = list(csv.DictReader(io.StringIO((tmp_path / "export.csv").read_text(encoding="utf-8"))))
    assert list(watched[0]) == list(exported[0])
    assert "srs_low_total" in watched[0]["alerts"].split(" | ")
    assert watched[0]["alerts"] == exported[0]["alerts"]
    assert watched[0]["scanned_at"] == exported[0]["scanned_at"] != ""
