"""The results store is checked on opening, and its rows are sealed in a hash chain (issue #17).

Each attack of the fault injection and the security review, done with plain sqlite3 the way a
person with write access could: the store must refuse to serve what was changed, `audit --verify`
must name the first broken link, and a file that is empty, damaged or not a store must be
refused by every command that takes --db, with its exit code and no traceback.
"""

from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path

import pytest

from srs_scan.batch.store import ResultStore
from srs_scan.cli import main
from srs_scan.errors import NotAStore, StoreDamaged, StoreTampered
from srs_scan.review.decisions import ReviewLog
from tests.reviewdata import fill_store, x_for_value

SAMPLE = Path(__file__).resolve().parents[1] / "samples" / "phone_1.jpg"


@pytest.fixture
def store_file(tmp_path, spec) -> Path:
    db = tmp_path / "results.srs.sqlite"
    fill_store(db, spec, pages=2)
    with ResultStore(db) as store:
        log = ReviewLog(store)
        log.decide("hash000", 1, "relationship", "value", "Anna", x_mm=x_for_value(6.1), spec=spec)
        log.decide("hash000", 1, "goals", "no_answer", "Ben")
    return db


def _sql(db: Path, *statements: str) -> None:
    with sqlite3.connect(db) as connection:
        for statement in statements:
            connection.execute(statement)


def _verify(db: Path, capsys, *extra: str) -> tuple[int, str]:
    code = main(["audit", "--db", str(db), "--verify", *extra])
    return code, capsys.readouterr().out


def test_an_untouched_store_verifies_and_prints_its_head(store_file, capsys):
    code, out = _verify(store_file, capsys)
    assert code == 0 and "intact" in out
    head = out.split("chain head ")[1].split()[0]
    assert _verify(store_file, capsys, "--head", head)[0] == 0
    with ResultStore(store_file) as store:  # a later write keeps the old head in the chain
        ReviewLog(store).decide("hash001", 1, "goals", "no_answer", "Ben")
    assert _verify(store_file, capsys, "--head", head)[0] == 0
    code, out = _verify(store_file, capsys, "--head", "0" * 64)
    assert code == 4 and "is no longer in the chain" in out


def test_a_changed_stored_reading_is_refused_and_reported(store_file, capsys):
    with sqlite3.connect(store_file) as connection:
        (text,) = connection.execute("SELECT result FROM pages WHERE content_hash='hash001'").fetchone()
        result = json.loads(text)
        result["items"][0]["value_cm"] = 9.9  # a forged value, with no trace elsewhere
        connection.execute("UPDATE pages SET result=? WHERE content_hash='hash001'", (json.dumps(result),))
    with pytest.raises(StoreTampered, match=r"does not match its seals: pages \[\"hash001\", 1\] was changed"):
        ResultStore(store_file)
    code, out = _verify(store_file, capsys)
    assert code == 4 and 'First broken link: pages ["hash001", 1] was changed outside srs-scan' in out
    for command in (["export", "-o", str(store_file.parent / "out.csv")], ["audit"]):
        assert main([*command, "--db", str(store_file)]) == 4
        err = capsys.readouterr().err
        assert str(store_file) in err and "audit --verify" in err and "Traceback" not in err
    assert not (store_file.parent / "out.csv").exists()


def test_insert_or_replace_past_the_append_only_triggers_is_caught(store_file, capsys):
    _sql(store_file, "INSERT OR REPLACE INTO reviews (id, content_hash, page, item_id, old_value, new_value,"
                     " action, reason, reviewer, at) VALUES (1, 'hash000', 1, 'relationship', NULL, 1.0,"
                     " 'value', 'forged', 'Anna', '2026-01-01T00:00:00+00:00')")
    code, out = _verify(store_file, capsys)
    assert code == 4 and 'reviews [1] was changed outside srs-scan' in out


@pytest.mark.parametrize("forgery", [
    "DELETE FROM serials",                                                   # a serial's owner
    "INSERT INTO serials VALUES ('FORGED01', 'hash000', 1)",                # a row added by hand
    "UPDATE sheet_images SET jpeg = x'ffd8ffd9' WHERE content_hash='hash000'",  # the picture shown
])
def test_every_stored_table_is_covered(store_file, capsys, forgery):
    _sql(store_file, forgery)
    code, out = _verify(store_file, capsys)
    assert code == 4 and "outside srs-scan" in out


def test_a_rewritten_ledger_entry_breaks_the_chain(store_file, capsys):
    _sql(store_file, "DROP TRIGGER ledger_no_update",
         "UPDATE ledger SET row_hash = '0' WHERE id = 3")
    code, out = _verify(store_file, capsys)
    assert code == 4 and "First broken link: the chain is broken at entry 3" in out


def test_an_older_store_without_the_chain_is_sealed_on_first_open(tmp_path, store_file, capsys):
    _sql(store_file, "DROP TRIGGER ledger_no_delete", "DROP TRIGGER ledger_no_update", "DROP TABLE ledger",
         "DELETE FROM meta WHERE key='chain_started'", "UPDATE meta SET value='1' WHERE key='schema_version'")
    with ResultStore(store_file) as store:  # migrated, not refused
        assert store.verify().intact and "earlier rows sealed as found" in store.verify().started
        assert len(ReviewLog(store).decisions()) == 2
    code, out = _verify(store_file, capsys)
    assert code == 0 and "the chain began on this existing store" in out


def _commands(db: Path, tmp_path: Path) -> dict[str, list[str]]:
    inbox = tmp_path / "inbox"
    inbox.mkdir(exist_ok=True)
    out = str(tmp_path / "out.csv")
    return {"scan": ["scan", str(SAMPLE), "-o", out], "watch": ["watch", str(inbox), "-o", out],
            "review": ["review", "--no-browser"], "export": ["export", "-o", out], "audit": ["audit"],
            "audit --verify": ["audit", "--verify"], "client": ["client", "C100"],
            "import": ["import", str(SAMPLE)]}


def _damaged(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[4096:8192] = b"\x5a" * 4096  # a page of the B-tree overwritten
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("kind, make, code, words", [
    ("empty", lambda p: p.write_bytes(b""), 4, r"is empty \(0 bytes\)"),
    ("text", lambda p: p.write_text("client,score\nC1,30\n"), 2, "is not an srs-scan results store"),
    ("other sqlite", lambda p: _sql(p, "CREATE TABLE t (x)"), 2, "SQLite file but not an srs-scan"),
    ("newer", lambda p: _sql(p, "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT)",
                            "INSERT INTO meta VALUES ('schema_version', '99')"), 2, "newer srs-scan"),
    ("damaged", None, 4, "the results store is damaged"),
    ("a folder", None, 2, "is not a file|no results store at"),
])
def test_every_command_refuses_a_bad_store_with_a_clear_message(tmp_path, spec, capsys, kind, make, code,
                                                                 words):
    db = tmp_path / "bad.srs.sqlite"
    if kind == "damaged":
        fill_store(db, spec, pages=3)
        _damaged(db)
    elif kind == "a folder":
        db.mkdir()
    else:
        make(db)
    before = db.read_bytes() if db.is_file() else None
    for name, command in _commands(db, tmp_path).items():
        assert main([*command, "--db", str(db)]) == code, name
        err = capsys.readouterr().err
        assert re.search(words, err) and str(db) in err, (name, err)
        assert "Traceback" not in err and "internal error" not in err, name
    assert (db.read_bytes() if db.is_file() else None) == before  # refused, not "repaired" or replaced


def test_a_new_store_is_never_left_empty(tmp_path):
    db = tmp_path / "new.srs.sqlite"
    with ResultStore(db):
        assert db.stat().st_size > 0
    assert not list(tmp_path.glob(".*.new"))
    with pytest.raises(NotAStore):
        ResultStore(tmp_path)
    (tmp_path / "zero.srs.sqlite").write_bytes(b"")
    with pytest.raises(StoreDamaged, match="Restore it from a backup"):
        ResultStore(tmp_path / "zero.srs.sqlite")


def test_rows_brought_in_by_import_are_sealed(tmp_path, store_file, capsys):
    clinic = tmp_path / "clinic.srs.sqlite"
    assert main(["import", str(store_file), "--db", str(clinic)]) == 0
    code, out = _verify(clinic, capsys)
    assert code == 0 and "intact" in out
    with sqlite3.connect(clinic) as connection:
        assert connection.execute("SELECT COUNT(*) FROM reviews").fetchone()[0] == 2
