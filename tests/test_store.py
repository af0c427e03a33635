"""The results store: readings survive a restart, errors are retried, re-fed serials are flagged."""

from __future__ import annotations

import stat
from dataclasses import replace
from pathlib import Path

import pytest

from srs_scan.results import DUPLICATE_SHEET, Candidate, ItemResult, PageResult, error_result
from srs_scan.sheets.sheetid import SheetId
from srs_scan.batch.store import ResultStore, content_hash


def _reading(page: int, serial: str, file: str = "a.pdf") -> PageResult:
    items = (ItemResult("relationship", 9.3, (), (Candidate(133.0, 9.3, "tick", True),), (40.0, 140.0)),)
    return PageResult(file, page, "srs", 1, SheetId("srs", 1, serial, "C042", "5", ""), items,
                      homography=((1.0, 0.0, 0.0), (0.0, 1.0, 0.0), (0.0, 0.0, 1.0)),
                      image_size=(2480, 3508))


def test_round_trip_and_restart(tmp_path):
    db = tmp_path / "r.srs.sqlite"
    original = _reading(1, "AAAA1111")
    with ResultStore(db) as store:
        store.put("h1", original)
    assert stat.S_IMODE(db.stat().st_mode) == 0o600
    with ResultStore(db) as store:
        assert store.get("h1", 1) == original
        assert store.get("h1", 2) is None


def test_errors_are_not_kept_so_they_are_retried(tmp_path):
    with ResultStore(tmp_path / "r.sqlite") as store:
        store.put("h1", error_result("a.pdf", 1, "encrypted: password needed"))
        assert store.get("h1", 1) is None


def test_second_page_with_a_serial_is_a_duplicate(tmp_path):
    with ResultStore(tmp_path / "r.sqlite") as store:
        first, again = _reading(1, "SERIAL01"), _reading(2, "SERIAL01")
        store.put("h1", first)
        store.put("h1", again)
        assert DUPLICATE_SHEET not in store.with_duplicate_flag("h1", first).flags
        flagged = store.with_duplicate_flag("h1", again)
        assert flagged.flags == (DUPLICATE_SHEET,)
        # the stored reading stays as read; the flag is worked out from the serial's first page
        assert store.get("h1", 2).flags == ()
        assert store.with_duplicate_flag("h2", _reading(1, "OTHER999")).flags == ()


def test_putting_again_does_not_duplicate(tmp_path):
    with ResultStore(tmp_path / "r.sqlite") as store:
        store.put("h1", _reading(1, "S1"))
        store.put("h1", replace(_reading(1, "S1"), file="renamed.pdf"))
        assert store.db.execute("SELECT COUNT(*) FROM pages").fetchone()[0] == 1


def test_content_hash(tmp_path):
    a, b = tmp_path / "a.pdf", tmp_path / "b.pdf"
    a.write_bytes(b"%PDF-1.4 same")
    b.write_bytes(b"%PDF-1.4 same")
    assert content_hash(a) == content_hash(b) != content_hash(Path(__file__))


class _CtrlCAfterBegin:
    """The store's connection, with Ctrl-C landing the moment a BEGIN has returned (Python
    delivers the signal between the call's return and the next line)."""

    def __init__(self, db) -> None:
        self.db, self.armed = db, True

    def execute(self, sql, *args):
        cursor = self.db.execute(sql, *args)
        if sql.startswith("BEGIN") and self.armed:
            self.armed = False
            raise KeyboardInterrupt
        return cursor

    def __getattr__(self, name):
        return getattr(self.db, name)


def test_ctrl_c_as_a_transaction_begins_leaves_none_open(tmp_path):
    # `srs-scan scan` stopped with Ctrl-C ended once with "this computer stopped the run"
    # (exit 4) instead of "interrupted" (130): a transaction left open, the run's closing write
    # could not begin its own
    with ResultStore(tmp_path / "r.sqlite") as store:
        real = store.db
        store.db = _CtrlCAfterBegin(real)
        with pytest.raises(KeyboardInterrupt):
            store.put("h1", _reading(1, "S1"))
        assert not real.in_transaction
        store.db = real
        store.put("h1", _reading(1, "S1"))  # the next write begins as usual
        assert store.get("h1", 1) == _reading(1, "S1")
