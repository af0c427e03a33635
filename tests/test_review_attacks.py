"""The review server under the attacks of the security review (issue #17), over a real socket.

Each test is one attack that once worked: numbers that overflow or are not whole, JSON nested
thousands deep, decisions the page never offered, two reviewers deciding on the same page.
"""

from __future__ import annotations

import http.client
import json
import multiprocessing
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time

import pytest

from srs_scan.batch.store import ResultStore
from srs_scan.results import ItemResult, PageResult
from srs_scan.review.connections import ConnectionParams
from srs_scan.review.decisions import ChangedMeanwhile, ReviewLog
from srs_scan.review.web import csrf_token
from srs_scan.sheets.sheetid import SheetId
from tests.reviewdata import LINE_ENDS, RunningServer, fill_store, x_for_value

ITEMS = ("relationship", "goals", "approach", "overall")


def _add_unflagged_pages(db) -> None:
    """hashNAF: a page that is not a form; hashOK1: a page with one flagged item of four."""
    sheet = SheetId("srs", 1, "OK00001", "C9", "1", "")
    with ResultStore(db) as store:
        store.put("hashNAF", PageResult("batch/letter.pdf", 1, None, None, None, (), flags=("not_a_form",)))
        items = tuple(ItemResult(i, 5.0, ("no_mark",) if i == "goals" else (), (), LINE_ENDS) for i in ITEMS)
        store.put("hashOK1", PageResult("batch/ok.pdf", 1, "srs", 1, sheet, items))


@pytest.fixture
def server(tmp_path, spec):
    db = tmp_path / "results.srs.sqlite"
    fill_store(db, spec, pages=2)
    _add_unflagged_pages(db)
    with RunningServer(db) as running:
        running.db = db
        yield running


def _post(server, body: dict | str | bytes) -> tuple[int, dict]:
    data = body if isinstance(body, bytes) else (body if isinstance(body, str) else json.dumps(body)).encode()
    status, _, answer = server.request("POST", "/api/decide", data, {
        "Content-Type": "application/json", "Origin": server.origin, "X-SRS-Token": server.token,
        "X-CSRF-Token": csrf_token(server.token)})
    return status, json.loads(answer)


def _decision(**fields) -> dict:
    return {"hash": "hash000", "page": 1, "item_id": "relationship", "action": "value",
            "x_mm": x_for_value(6.1), "reviewer": "Anna", "seen": None, **fields}


@pytest.mark.parametrize("raw", [
    json.dumps(_decision(page=2**63)), json.dumps(_decision(page=2**64 + 1)),
    json.dumps(_decision(page=4.9)), json.dumps(_decision(page="1")), json.dumps(_decision(page=True)),
    json.dumps(_decision(page=0)), json.dumps(_decision(page=-1)),
    json.dumps(_decision(x_mm=60.0)).replace("60.0", "1e400"),
    json.dumps(_decision(x_mm=60.0)).replace("60.0", "Infinity"),
    json.dumps(_decision(x_mm=60.0)).replace("60.0", "NaN"),
    json.dumps(_decision(x_mm="60")), json.dumps(_decision(x_mm=True)),
    json.dumps(_decision(action="candidate", candidate=2**63)),
    json.dumps(_decision(action="candidate", candidate=0.0)),
    json.dumps(_decision(seen="1")), json.dumps(_decision(seen=2**64)),
    json.dumps(_decision(reviewer=["Anna"])), json.dumps(_decision(hash={"a": 1})),
    json.dumps({k: v for k, v in _decision().items() if k != "seen"}),
    json.dumps(_decision(extra=1)),
    json.dumps(_decision(note="[" * 400 + "]" * 400)),  # brackets inside a string: valid, below
    "[" * 5000 + "]" * 5000, '{"a":' * 2000 + "1" + "}" * 2000, "[1, 2]", "null", "\"text\"",
    "{not json", b'{"hash": "\xff\xfe"}',
])
def test_malformed_decisions_are_400_never_500(server, raw):
    status, answer = _post(server, raw)
    if isinstance(raw, str) and "[[[" in raw and raw.startswith("{"):  # the brackets were in a note: a valid decision
        assert status == 200
        return
    assert status == 400, answer
    assert answer["error"].startswith("malformed request")


def test_a_huge_picture_page_number_is_404_not_500(server):
    auth = {"X-SRS-Token": server.token}
    for page in (str(2**63), str(2**64), "9" * 400, "1e3", "-1", "%D9%A1"):  # the last: an Arabic-Indic 1
        assert server.request("GET", f"/sheet/hash000/{page}.jpg", headers=auth)[0] == 404, page
    assert server.request("GET", "/sheet/hash000/1.jpg", headers=auth)[0] == 200


def test_only_decisions_the_page_offered_are_taken(server):
    status, answer = _post(server, _decision(hash="hashNAF", item_id="", action="accept"))
    assert (status, answer["error"]) == (400, "this page was not flagged: there is nothing to decide on it")
    status, answer = _post(server, _decision(hash="hashOK1", item_id="relationship"))
    assert (status, answer["error"]) == (400, "this item was not flagged: there is nothing to decide on it")
    status, answer = _post(server, _decision(hash="hashOK1", item_id="nonsense"))
    assert (status, answer["error"]) == (400, "no such item on this page")
    assert _post(server, _decision(hash="hashOK1", item_id="goals"))[0] == 200   # flagged: offered
    assert _post(server, _decision(hash="hash001", item_id="goals", action="accept"))[0] == 200
    with ResultStore(server.db) as store:
        decided = {(d.content_hash, d.item_id) for d in ReviewLog(store).decisions()}
    assert not {key for key in decided if key[0] in ("hashNAF",)} and ("hashOK1", "relationship") not in decided


def test_the_second_reviewer_is_told_the_value_changed_under_them(server):
    first = _post(server, _decision(reviewer="Anna"))
    assert first[0] == 200 and first[1]["page"]["seen"] is not None
    status, answer = _post(server, _decision(reviewer="Ben", x_mm=x_for_value(2.0)))  # Ben saw none
    assert status == 409
    assert answer["error"].startswith("Anna decided on relationship meanwhile")
    decided = next(i for i in answer["page"]["items"] if i["item_id"] == "relationship")["decision"]
    assert decided["reviewer"] == "Anna" and decided["new_value"] == pytest.approx(6.1)
    seen = answer["page"]["seen"]  # Ben looks again and decides anew
    status, answer = _post(server, _decision(reviewer="Ben", x_mm=x_for_value(2.0), seen=seen))
    assert status == 200
    with ResultStore(server.db) as store:
        rows = [(d.reviewer, d.old_value, d.new_value) for d in ReviewLog(store).decisions()]
    assert rows == [("Anna", None, pytest.approx(6.1)), ("Ben", pytest.approx(6.1), pytest.approx(2.0))]


def _decide_many(db, reviewer: str, count: int, start) -> None:
    """One reviewer's server, in its own process: `count` decisions on the same item."""
    from srs_scan.sheets.spec import load_form

    spec = load_form()
    start.wait()
    with ResultStore(db) as store:
        log = ReviewLog(store)
        for n in range(count):
            log.decide("hash000", 1, "relationship", "value", reviewer, x_mm=x_for_value(n % 10 + 0.5),
                       spec=spec)


def test_two_servers_on_one_store_never_record_a_stale_old_value(tmp_path, spec):
    # every row's old value must be the new value of the row before it: the latest decision is
    # read inside the write transaction (it was read before it: 29 % of rows were stale)
    db = tmp_path / "results.srs.sqlite"
    fill_store(db, spec, pages=1)
    ReviewLog(ResultStore(db)).store.close()
    context = multiprocessing.get_context("spawn")
    start = context.Event()
    workers = [context.Process(target=_decide_many, args=(db, name, 150, start)) for name in ("Anna", "Ben")]
    for worker in workers:
        worker.start()
    start.set()
    for worker in workers:
        worker.join(120)
        assert worker.exitcode == 0
    with ResultStore(db) as store:
        rows = ReviewLog(store).decisions()
    assert len(rows) == 300
    stale = [b for a, b in zip(rows, rows[1:]) if b.old_value != a.new_value]
    assert stale == []


def test_a_decision_with_an_outdated_seen_records_nothing(tmp_path, spec):
    db = tmp_path / "results.srs.sqlite"
    fill_store(db, spec, pages=1)
    with ResultStore(db) as one, ResultStore(db) as two:
        anna, ben = ReviewLog(one), ReviewLog(two)
        (row,) = anna.decide("hash000", 1, "goals", "no_answer", "Anna", seen=None)
        with pytest.raises(ChangedMeanwhile, match="Anna decided on goals"):
            ben.decide("hash000", 1, "overall", "no_answer", "Ben", seen=None)
        ben.decide("hash000", 1, "overall", "no_answer", "Ben", seen=row.id)
        assert [d.reviewer for d in anna.decisions()] == ["Anna", "Ben"]


def _start_review(db, **env: str) -> tuple[subprocess.Popen, int, str]:
    """`srs-scan review` as a user starts it, with its real server settings. With BROWSER in
    `env` it "opens a browser" (that command) on its launcher file, else it only prints the link."""
    command = [sys.executable, "-m", "srs_scan", "review", "--db", str(db)]
    process = subprocess.Popen(command + ([] if "BROWSER" in env else ["--no-browser"]),
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env={**os.environ, "PYTHONUNBUFFERED": "1", **env})
    line = process.stdout.readline()
    found = re.search(r"http://127\.0\.0\.1:(\d+)/\S*token=([\w-]+)", line)
    assert found, (line, process.stderr.read() if process.poll() is not None else "")
    port, token = int(found.group(1)), found.group(2)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:  # the URL is printed just before the server listens
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            time.sleep(0.1)
    return process, port, token


def _queue_status(port: int, token: str) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("GET", "/api/queue", headers={"X-SRS-Token": token})
        return connection.getresponse().status
    finally:
        connection.close()


def test_idle_and_trickling_connections_do_not_lock_the_reviewer_out(tmp_path, spec):
    # 40 connections that send nothing and 10 that send a byte every 2 s, on loopback: the
    # reviewer's requests are still answered, and the silent ones are closed at the deadline
    db = tmp_path / "results.srs.sqlite"
    fill_store(db, spec, pages=1)
    process, port, token = _start_review(db)
    stop = threading.Event()
    idle: list[socket.socket] = []
    trickling: list[socket.socket] = []

    def trickle() -> None:
        request = b"GET /api/queue HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        for n in range(len(request)):
            for sock in trickling:
                try:
                    sock.send(request[n:n + 1])
                except OSError:
                    pass
            if stop.wait(2.0):
                return

    try:
        idle = [socket.create_connection(("127.0.0.1", port), timeout=5) for _ in range(40)]
        trickling = [socket.create_connection(("127.0.0.1", port), timeout=5) for _ in range(10)]
        threading.Thread(target=trickle, daemon=True).start()
        time.sleep(0.5)
        assert [_queue_status(port, token) for _ in range(3)] == [200, 200, 200]
        time.sleep(2.5)
        assert _queue_status(port, token) == 200
        limit = ConnectionParams().deadline_s + 5
        for sock in [idle[0], idle[-1], trickling[0]]:
            sock.settimeout(limit)
            assert sock.recv(64) == b""  # closed by the server: its request never arrived in time
    finally:
        stop.set()
        for sock in idle + trickling:
            sock.close()
        process.terminate()
        process.wait(20)


@pytest.mark.parametrize("how", ["SIGTERM", "SIGINT", "SIGHUP"])
def test_the_launcher_file_goes_however_the_server_is_stopped(tmp_path, spec, how):
    # after SIGTERM the launcher file, which holds the token, stayed in its temporary folder
    db = tmp_path / "results.srs.sqlite"
    fill_store(db, spec, pages=1)
    private = tmp_path / "tmp"
    private.mkdir()
    process, port, token = _start_review(db, BROWSER="true", TMPDIR=str(private))
    try:
        deadline = time.monotonic() + 20
        while not list(private.glob("srs-review-*/open-review.html")) and time.monotonic() < deadline:
            time.sleep(0.1)
        (launcher,) = private.glob("srs-review-*/open-review.html")
        assert token in launcher.read_text()
        assert _queue_status(port, token) == 200
        process.send_signal(getattr(signal, how))
        assert process.wait(60) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(10)
    assert list(private.iterdir()) == []
