"""One results store per clinic: where it is, that batches add up in it, importing an old store."""

from __future__ import annotations

import csv
import sqlite3

import pytest

from clinicsheets import filled_sheet
from srs_scan.batch.store import ResultStore, clinic_db, data_dir
from srs_scan.cli import main
from srs_scan.errors import ExitCode
from srs_scan.review.decisions import ReviewLog


def _rows(path):
    return list(csv.DictReader(path.open(encoding="utf-8")))


def test_store_location_rule(tmp_path, monkeypatch, clinic_store):
    assert clinic_db() == (clinic_store, "$SRS_SCAN_DB")
    assert clinic_db(tmp_path / "x.sqlite") == (tmp_path / "x.sqlite", "--db")
    monkeypatch.delenv("SRS_SCAN_DB")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    assert clinic_db() == (tmp_path / "data" / "srs-scan" / "results.srs.sqlite", "the per-user data folder")
    monkeypatch.setenv("XDG_DATA_HOME", "relative/ignored")  # the XDG rule: only absolute paths count
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert data_dir() == tmp_path / "home" / ".local" / "share" / "srs-scan"


def test_batches_on_different_days_build_one_store(tmp_path, monkeypatch):
    monkeypatch.delenv("SRS_SCAN_DB")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monday, tuesday = tmp_path / "monday", tmp_path / "tuesday"
    monday.mkdir(), tuesday.mkdir()
    filled_sheet(monday / "a.png", "srs", [9.0, 9.5, 8.0, 9.9], client="C042", session="1")
    filled_sheet(tuesday / "b.png", "srs", [7.0, 6.5, 8.0, 7.9], client="C042", session="2")
    assert main(["scan", str(monday), "-o", str(tmp_path / "mon.csv"), "--jobs", "1", "-q"]) == 0
    assert main(["scan", str(tuesday), "-o", str(tmp_path / "tue.csv"), "--jobs", "1", "-q"]) == 0
    store = tmp_path / "data" / "srs-scan" / "results.srs.sqlite"
    assert store.is_file() and not list(tmp_path.glob("*.sqlite"))  # nothing beside the CSVs
    assert (store.stat().st_mode & 0o777) == 0o600
    assert (store.parent.stat().st_mode & 0o777) == 0o700
    assert [r["session"] for r in _rows(tmp_path / "tue.csv")] == ["2"]  # a scan's CSV: its own pages
    # re-reading Monday's file adds nothing
    assert main(["scan", str(monday), "-o", str(tmp_path / "mon2.csv"), "--jobs", "1", "-q"]) == 0
    assert main(["export", "-o", str(tmp_path / "all.csv"), "-q"]) == 0
    assert sorted(r["session"] for r in _rows(tmp_path / "all.csv")) == ["1", "2"]


@pytest.mark.parametrize("command", [["review", "--no-browser"], ["audit"], ["export", "-o", "x.csv"]])
def test_commands_that_need_a_store_say_where_they_looked(command, tmp_path, capsys, clinic_store):
    assert main(command) == ExitCode.BAD_ARGUMENTS
    err = capsys.readouterr().err
    assert str(clinic_store) in err and "$SRS_SCAN_DB" in err and "--db" in err


def test_import_brings_an_old_store_in_with_nothing_lost(tmp_path, capsys, clinic_store):
    scans = tmp_path / "scans"
    scans.mkdir()
    filled_sheet(scans / "a.png", "srs", [9.0, None, 8.0, 9.9], client="C042", session="1")
    filled_sheet(scans / "b.png", "ors", [4.0, 5.0, 6.0, 7.0], client="C042", session="1")
    old = tmp_path / "results.srs.sqlite"
    assert main(["scan", str(scans), "-o", str(tmp_path / "r.csv"), "--db", str(old), "--jobs", "1", "-q"]) == 0
    with ResultStore(old) as store:
        log = ReviewLog(store)
        flagged = next(p for p in log.pages() if p.result.status.value == "review")
        log.decide(flagged.content_hash, 1, "goals", "no_answer", "Dr Test", note="left empty")
        log.decide(flagged.content_hash, 1, "", "accept", "Dr Test")
    # the clinic's store already has another page
    other = tmp_path / "other"
    other.mkdir()
    filled_sheet(other / "c.png", "srs", [5.0, 5.0, 5.0, 5.0], client="K7", session="3")
    assert main(["scan", str(other), "-o", str(tmp_path / "c.csv"), "--jobs", "1", "-q"]) == 0

    before = old.read_bytes()
    assert main(["import", str(old)]) == 0
    assert "2 page readings" in capsys.readouterr().err
    assert old.read_bytes() == before  # the old file is only read

    def dump(path, table, columns):
        with sqlite3.connect(path) as db:
            return sorted(db.execute(f"SELECT {columns} FROM {table}").fetchall())

    for table, columns in [("pages", "content_hash, page, file, read_at, status, result"),
                           ("sheet_images", "content_hash, page, jpeg"),
                           ("serials", "serial, content_hash, page"),
                           ("reviews", "content_hash, page, item_id, old_value, new_value, action, "
                                       "reason, reviewer, at")]:
        old_rows = dump(old, table, columns)
        assert old_rows and set(old_rows) <= set(dump(clinic_store, table, columns)), table
    assert len(dump(clinic_store, "pages", "page")) == 3
    # importing again adds nothing
    counts = {t: len(dump(clinic_store, t, "*")) for t in ("pages", "reviews", "serials")}
    assert main(["import", str(old), "-q"]) == 0
    assert counts == {t: len(dump(clinic_store, t, "*")) for t in ("pages", "reviews", "serials")}
    # the reviewed value comes out of the clinic's export
    assert main(["export", "-o", str(tmp_path / "all.csv"), "-q"]) == 0
    rows = {r["form"] + r["client_code"]: r for r in _rows(tmp_path / "all.csv")}
    assert rows["srsC042"]["reviewed"] == "yes" and rows["srsC042"]["goals"] == ""


def test_import_refuses_what_is_not_a_store(tmp_path, capsys):
    junk = tmp_path / "junk.sqlite"
    junk.write_bytes(b"not a database at all" * 100)
    assert main(["import", str(junk)]) == ExitCode.BAD_ARGUMENTS
    assert "not an srs-scan results database" in capsys.readouterr().err
    with sqlite3.connect(tmp_path / "other.sqlite") as db:
        db.execute("CREATE TABLE t (x)")
    assert main(["import", str(tmp_path / "other.sqlite")]) == ExitCode.BAD_ARGUMENTS
    assert main(["import", str(tmp_path / "missing.sqlite")]) == ExitCode.BAD_ARGUMENTS
