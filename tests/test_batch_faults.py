"""Faults during a batch: inputs that change under the reader, serials after a lost page,
output paths, a dead parent, two scans at once. Each test fails without its fix (issue #17)."""

from __future__ import annotations

import errno
import os
import re
import select
import signal
import sqlite3
import threading
import time
from pathlib import Path

import pytest

from srs_scan import errors, fileio
from srs_scan.batch import claims, pipeline
from srs_scan.batch import store as store_module
from srs_scan.batch.store import ResultStore
from srs_scan.cli import main
from srs_scan.errors import ExitCode
from srs_scan.results import Status
from srs_scan.sheets.spec import load_form_library
from test_cli_scan import _cli, _filled, _pdf, _rows, _wait_for_stored_pages


@pytest.fixture
def one_page(tmp_path) -> Path:
    return _pdf(tmp_path / "one.pdf", [_filled("R0000001", (1.0, 2.0, 3.0, 4.0))])


def _replace(path: Path, data: bytes) -> None:
    """Replace the file as a scanner or a copy would: a new file renamed over the old one."""
    temp = path.with_name(path.name + ".new")
    temp.write_bytes(data)
    os.replace(temp, path)


def test_a_file_replaced_mid_scan_does_not_poison_the_store(tmp_path, clinic_store):
    first = _pdf(tmp_path / "first.pdf", [_filled(f"F000000{n}", (1.0 + n, 2.0, 3.0, 4.0)) for n in range(3)])
    other = _pdf(tmp_path / "other.pdf", [_filled(f"G000000{n}", (9.0, 8.0, 7.0, 6.0)) for n in range(3)])
    original, replacement = first.read_bytes(), other.read_bytes()
    scans = tmp_path / "scans"
    scans.mkdir()
    batch = scans / "monday.pdf"
    batch.write_bytes(original)

    inputs, _ = pipeline.identify([batch])
    swapped = []

    def replace_after_first_page(done: int, total: int) -> None:
        if not swapped:
            _replace(batch, replacement)
            swapped.append(done)

    with ResultStore(clinic_store) as store:  # the store the re-run below uses
        results = pipeline.read_batch(inputs, load_form_library(), pipeline.ScanOptions(jobs=1),
                                      store, replace_after_first_page).results
    assert [r.status for r in results] == [Status.OK, Status.ERROR, Status.ERROR]
    assert all(r.reason == pipeline.CHANGED for r in results[1:])

    _replace(batch, original)  # the original comes back; the re-run must read it, not the other
    out, clean = tmp_path / "r.csv", tmp_path / "clean.csv"
    assert main(["scan", str(batch), "-o", str(out), "--jobs", "1", "-q"]) == ExitCode.OK
    assert main(["scan", str(first), "-o", str(clean), "--jobs", "1", "-q"]) == ExitCode.OK
    strip = lambda rows: [{k: v for k, v in r.items() if k != "file"} for r in rows]  # noqa: E731
    assert strip(_rows(out)) == strip(_rows(clean))
    assert [r["sheet_id"] for r in _rows(out)] == ["F0000000", "F0000001", "F0000002"]


def test_a_file_replaced_between_hashing_and_counting_is_an_error_row(tmp_path):
    batch = _pdf(tmp_path / "b.pdf", [_filled("H0000001", (5.0, 5.0, 5.0, 5.0))])
    inputs, _ = pipeline.identify([batch])
    _replace(batch, batch.read_bytes())  # same bytes, but another file: not the one hashed
    (done,) = list(pipeline.plan(inputs, pipeline.ScanOptions(jobs=1)))
    assert isinstance(done, pipeline.Done) and done.result.reason == pipeline.CHANGED


def test_the_first_page_in_input_order_owns_its_serial_after_a_lost_page(tmp_path, monkeypatch):
    """Page 1 fails in the first run (its worker killed); the re-fed copy on page 3 is read and
    stored. In the re-run page 1 is read: it is the original, page 3 is the duplicate."""
    batch = _pdf(tmp_path / "b.pdf", [_filled("S0000001", (1.0, 2.0, 3.0, 4.0)),
                                      _filled("S0000002", (5.0, 5.0, 5.0, 5.0)),
                                      _filled("S0000001", (1.0, 2.0, 3.0, 4.0))])
    out = tmp_path / "r.csv"
    read = pipeline.read_task

    def worker_killed_on_page_1(task, forms, options):
        if task.page == 1:
            return pipeline.Done(task.digest, pipeline.error_result(task.label, 1, "killed"), True)
        return read(task, forms, options)

    monkeypatch.setattr(pipeline, "read_task", worker_killed_on_page_1)
    assert main(["scan", str(batch), "-o", str(out), "--jobs", "1", "-q"]) == ExitCode.SOME_INPUTS_FAILED
    assert [r["flags"] for r in _rows(out)] == ["killed", "", ""]  # page 3 was first to be read
    monkeypatch.setattr(pipeline, "read_task", read)
    assert main(["scan", str(batch), "-o", str(out), "--jobs", "1", "-q"]) == ExitCode.OK
    assert [r["flags"] for r in _rows(out)] == ["", "", "duplicate_sheet"]
    assert main(["scan", str(batch), "-o", str(out), "--jobs", "1", "-q"]) == ExitCode.OK
    assert [r["flags"] for r in _rows(out)] == ["", "", "duplicate_sheet"]  # and it stays so


def test_a_serial_read_in_an_earlier_batch_stays_with_it(tmp_path):
    monday = _pdf(tmp_path / "monday.pdf", [_filled("T0000001", (1.0, 2.0, 3.0, 4.0))])
    tuesday = _pdf(tmp_path / "tuesday.pdf", [_filled("T0000001", (1.0, 2.0, 3.0, 4.5))])
    db = tmp_path / "clinic.srs.sqlite"
    assert main(["scan", str(monday), "-o", str(tmp_path / "m.csv"), "--db", str(db), "-q", "--jobs", "1"]) == 0
    assert main(["scan", str(tuesday), "-o", str(tmp_path / "t.csv"), "--db", str(db), "-q", "--jobs", "1"]) == 0
    assert [r["flags"] for r in _rows(tmp_path / "t.csv")] == ["duplicate_sheet"]


# --------------------------------------------------------------------------- environment failures


def _no_space(*_args, **_kwargs):
    raise OSError(errno.ENOSPC, "No space left on device")


def _scan(batch: Path, out: Path, *extra: str) -> int:
    return main(["scan", str(batch), "-o", str(out), "--jobs", "1", "-q", *extra])


def test_disk_full_on_the_csv_names_the_file_and_the_cause(one_page, tmp_path, monkeypatch, capsys):
    out = tmp_path / "r.csv"
    monkeypatch.setattr(os, "fsync", _no_space)  # the CSV's last write finds the disk full
    assert _scan(one_page, out) == ExitCode.ENVIRONMENT
    err = capsys.readouterr().err
    assert f"cannot write {out}: the disk is full" in err
    assert "internal error" not in err and ".tmp" not in err
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".r.csv")) == []


def test_disk_full_on_the_store_names_the_store(one_page, tmp_path, clinic_store, monkeypatch, capsys):
    opened = store_module.ResultStore.__init__

    def nearly_full(self, path):
        opened(self, path)
        pages = self.db.execute("PRAGMA page_count").fetchone()[0]
        self.db.execute(f"PRAGMA max_page_count={pages}")  # SQLite's own "database or disk is full"

    monkeypatch.setattr(store_module.ResultStore, "__init__", nearly_full)
    assert _scan(one_page, tmp_path / "r.csv") == ExitCode.ENVIRONMENT
    err = capsys.readouterr().err
    assert f"{clinic_store}: the disk is full" in err and "internal error" not in err


def test_read_only_store_names_the_store(one_page, tmp_path, clinic_store, monkeypatch, capsys):
    db = clinic_store
    assert _scan(one_page, tmp_path / "first.csv", "--db", str(db)) == ExitCode.OK
    connect = sqlite3.connect
    monkeypatch.setattr(store_module.sqlite3, "connect",  # as a read-only disk or file would
                        lambda path, **kw: connect(f"file:{path}?mode=ro", uri=True, **kw))
    other = _pdf(tmp_path / "other.pdf", [_filled("R0000002", (5.0, 5.0, 5.0, 5.0))])
    assert _scan(other, tmp_path / "r.csv") == ExitCode.ENVIRONMENT
    err = capsys.readouterr().err
    assert str(db) in err and "read-only" in err and "internal error" not in err


def test_malformed_store_names_the_store(one_page, tmp_path, clinic_store, capsys):
    db = clinic_store
    db.write_bytes(b"these are not the results you are looking for\n" * 200)
    # not an SQLite file at all: exit 2 like any --db that is not a store (issue #15); a store
    # SQLite finds damaged is exit 4 (tests/test_store_integrity.py)
    assert _scan(one_page, tmp_path / "r.csv") == ExitCode.BAD_ARGUMENTS
    err = capsys.readouterr().err
    assert str(db) in err and "not an srs-scan results store" in err and "backup" in err
    assert "internal error" not in err


# --------------------------------------------------------------------------- output paths, first


@pytest.fixture
def nothing_read(monkeypatch):
    def refuse(*_args, **_kwargs):
        raise AssertionError("the inputs were read before the outputs were checked")
    monkeypatch.setattr(pipeline, "identify", refuse)


def test_output_folder_that_does_not_exist_is_refused_first(one_page, tmp_path, nothing_read, capsys):
    out = tmp_path / "no such folder" / "r.csv"
    assert _scan(one_page, out) == ExitCode.BAD_ARGUMENTS
    assert f"cannot write {out}: the folder {out.parent} does not exist" in capsys.readouterr().err
    assert not out.parent.exists()


def test_output_equal_to_an_input_is_refused_first(one_page, tmp_path, nothing_read, capsys):
    before = one_page.read_bytes()
    other = _pdf(tmp_path / "other.pdf", [_filled("R0000002", (5.0, 5.0, 5.0, 5.0))])
    assert _scan(one_page, one_page) == ExitCode.BAD_ARGUMENTS
    assert main(["scan", str(other), str(one_page), "-o", str(one_page), "-q"]) == ExitCode.BAD_ARGUMENTS
    assert _scan(one_page, tmp_path / "r.csv", "--json", str(one_page)) == ExitCode.BAD_ARGUMENTS
    assert "is one of the scans to read" in capsys.readouterr().err
    assert one_page.read_bytes() == before


def test_output_folder_that_takes_no_files_is_refused_first(one_page, tmp_path, nothing_read,
                                                            monkeypatch, capsys):
    def read_only(*_args, **_kwargs):
        raise OSError(errno.EROFS, "Read-only file system")
    monkeypatch.setattr(fileio.tempfile, "TemporaryFile", read_only)
    out = tmp_path / "r.csv"
    assert _scan(one_page, out) == ExitCode.ENVIRONMENT
    assert f"cannot write {out}: the disk is read-only" in capsys.readouterr().err


# --------------------------------------------------------------------------- processes


def _descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        parent = int(text[text.rindex(")") + 2:].split()[1])
        children.setdefault(parent, []).append(int(stat.parent.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")


def _end_of_file(fd: int, within_s: float) -> bool:
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.2)
        if ready and os.read(fd, 1 << 16) == b"":
            return True
    return False


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc (Linux)")
def test_workers_end_when_the_batch_is_killed_and_left_a_zombie(tmp_path, clinic_store):
    """This test is the parent that does not collect its child: after kill -9 the batch is a
    zombie, and its workers must still notice, exit and let go of the caller's pipes."""
    batch = _pdf(tmp_path / "twenty.pdf", [_filled(f"Z{n:07d}", (5.0, 6.0, 7.0, 8.0)) for n in range(20)])
    proc = _cli("scan", str(batch), "-o", str(tmp_path / "r.csv"), "--jobs", "2", "-q")
    workers: list[int] = []
    try:
        _wait_for_stored_pages(clinic_store, 2)
        workers = _descendants(proc.pid)
        assert workers, "the batch should have worker processes by now"
        os.kill(proc.pid, signal.SIGKILL)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and any(map(_alive, workers)):
            time.sleep(0.2)
        assert not _alive(proc.pid) and Path(f"/proc/{proc.pid}").exists()  # a zombie, not collected
        assert [pid for pid in workers if _alive(pid)] == []
        assert _end_of_file(proc.stderr.fileno(), within_s=10)  # nobody holds the caller's pipe
    finally:
        for pid in workers:
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)
        proc.wait()


def test_two_scans_of_the_same_batch_at_once_read_each_page_once(tmp_path):
    batch = _pdf(tmp_path / "eight.pdf", [_filled(f"D{n:07d}", (n, 5.0, 5.0, 5.0)) for n in range(8)])
    db = tmp_path / "clinic.srs.sqlite"
    runs = [_cli("scan", str(batch), "-o", str(tmp_path / f"{name}.csv"), "--db", str(db), "--jobs", "1")
            for name in ("first", "second")]
    errors = [run.communicate(timeout=600)[1].decode() for run in runs]
    assert [run.returncode for run in runs] == [0, 0], errors
    read_now = [int(re.search(r"\((\d+) read now\)", err).group(1)) for err in errors]
    assert sum(read_now) == 8, errors
    assert (tmp_path / "first.csv").read_bytes() == (tmp_path / "second.csv").read_bytes()
    assert len(_rows(tmp_path / "first.csv")) == 8
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT COUNT(*) FROM pages").fetchone()[0] == 8


def test_claims_on_one_content_wait_and_others_do_not(tmp_path):
    db = tmp_path / "s.sqlite"
    ResultStore(db).close()
    told: list[str] = []
    entered = threading.Event()

    def second_scan() -> None:
        with claims.reading(db, ["a" * 64], lambda: told.append("waiting")):
            entered.set()

    with claims.reading(db, ["a" * 64, "b" * 64]):
        with claims.reading(db, ["c" * 64], lambda: told.append("other content waited")):
            pass
        waiter = threading.Thread(target=second_scan)
        waiter.start()
        assert not entered.wait(1.0) and told == ["waiting"]  # held while the first scan reads
    assert entered.wait(5.0)
    waiter.join()


def test_a_store_in_a_read_only_folder_says_so(tmp_path, monkeypatch):
    """SQLite only says "unable to open database file" when it cannot make its journal beside
    the store: the message says why (here a read-only disk, as statvfs reports it)."""
    class ReadOnlyDisk:
        f_flag = os.ST_RDONLY

    monkeypatch.setattr(errors.os, "statvfs", lambda _folder: ReadOnlyDisk())
    with pytest.raises(errors.EnvironmentFailure, match="store.sqlite: the disk is read-only"):
        with errors.failing_file(tmp_path / "store.sqlite", "open the results database"):
            raise sqlite3.OperationalError("unable to open database file")
