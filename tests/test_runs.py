"""Scan runs: each reading is tagged with the run that stored it, the report's "today's batch" is
the last run that read any page, a re-scan of files already read stores nothing, and a store from
before runs opens, migrates and stays sealed."""

from __future__ import annotations

import re
import sqlite3

from clinicsheets import filled_sheet
from srs_scan.batch.store import ResultStore
from srs_scan.cli import main
from srs_scan.results import ItemResult, PageResult
from srs_scan.sheets.sheetid import SheetId


def _batch_section(path) -> tuple[str, int]:
    """(the sentence saying which pages, how many pages read) of the report's first section."""
    page = path.read_text(encoding="utf-8")
    part = page.split("<h2>Today's batch</h2>")[1].split("<h2>")[0]
    words = re.search(r"<p>(.*?)</p>", part).group(1)
    return words, int(re.search(r"<td>pages read</td><td class='n'>(\d+)", part).group(1))


def test_the_report_shows_the_last_run_that_read_pages(tmp_path):
    monday, tuesday = tmp_path / "monday", tmp_path / "tuesday"
    monday.mkdir()
    tuesday.mkdir()
    filled_sheet(monday / "ors.png", "ors", (5.0, 5.0, 5.0, 5.0), client="C042", session="1")
    filled_sheet(monday / "srs.png", "srs", (9.5, 9.5, 9.5, 9.5), client="C042", session="1")
    filled_sheet(tuesday / "srs.png", "srs", (8.0, 8.0, 8.0, 8.0), client="C042", session="2")
    db, report = tmp_path / "r.sqlite", tmp_path / "report.html"

    def scan(*folders) -> None:
        assert main(["scan", *map(str, folders), "-o", str(tmp_path / "out.csv"), "--db", str(db),
                     "--jobs", "1", "-q"]) == 0

    def make_report(*extra) -> tuple[str, int]:
        assert main(["report", "-o", str(report), "--db", str(db), "-q", *extra]) == 0
        return _batch_section(report)

    scan(monday)
    words, pages = make_report()
    assert pages == 2 and "last scan run: srs-scan scan" in words and "2 pages read" in words
    scan(monday)                       # again: the files were read, nothing new is stored
    with ResultStore(db) as store:
        assert [r.command for r in store.runs()] == ["scan", "scan"] and all(r.finished for r in store.runs())
        assert set(store.page_runs().values()) == {1}
    words, pages = make_report()
    assert pages == 2 and "1 later run" in words and "read no new pages" in words
    scan(monday, tuesday)              # Monday's files again and Tuesday's new one
    words, pages = make_report()
    assert pages == 1 and "1 page read" in words and "later run" not in words
    batch = report.read_text(encoding="utf-8").split("<h2>Clients</h2>")[0]
    assert "srs_low_total" in batch    # Tuesday's SRS 32.0 is below 36: its alert is in the batch
    _, pages = make_report("--since", "2000-01-01")   # --since still overrides
    assert pages == 3
    assert main(["audit", "--verify", "--db", str(db)]) == 0  # every run and tag is sealed


def test_a_store_from_before_runs_opens_migrates_and_stays_sealed(tmp_path, capsys):
    db = tmp_path / "old.sqlite"
    sheet = SheetId("srs", 1, "OLD00001", "C042", "1", "2026-11-02")
    items = tuple(ItemResult(i, 9.0) for i in ("relationship", "goals", "approach", "overall"))
    with ResultStore(db) as store:
        store.put("a" * 64, PageResult("old.pdf", 1, "srs", 1, sheet, items))
    with sqlite3.connect(db) as raw:   # as srs-scan with store version 2 left it: no runs at all
        raw.executescript("DROP TABLE runs; DROP TABLE page_runs; "
                          "UPDATE meta SET value='2' WHERE key='schema_version';")
    with ResultStore(db) as store:
        assert store.db.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone() == ("3",)
        assert store.verify().intact and store.runs() == [] and store.page_runs() == {}
    assert main(["report", "-o", str(tmp_path / "r.html"), "--db", str(db), "-q"]) == 0
    words, pages = _batch_section(tmp_path / "r.html")
    assert pages == 1 and "no scan run is recorded" in words
    with ResultStore(db) as store:     # a later run tags what it stores, and the chain holds
        with store.run("import") as run:
            store.put("b" * 64, PageResult("new.pdf", 1, "srs", 1, sheet, items))
        assert store.page_runs() == {("b" * 64, 1): run} and store.verify().intact
    assert main(["audit", "--verify", "--db", str(db)]) == 0
    capsys.readouterr()


def test_import_is_a_run(tmp_path, capsys):
    old, new = tmp_path / "old.sqlite", tmp_path / "new.sqlite"
    sheet = SheetId("srs", 1, "IMP00001", "C042", "1", "")
    items = tuple(ItemResult(i, 9.0) for i in ("relationship", "goals", "approach", "overall"))
    with ResultStore(old) as store:
        store.put("c" * 64, PageResult("old.pdf", 1, "srs", 1, sheet, items))
    assert main(["import", str(old), "--db", str(new), "-q"]) == 0
    with ResultStore(new) as store:
        (run,) = store.runs()
        assert run.command == "import" and store.page_runs() == {("c" * 64, 1): run.id}
