"""Every read sheet without a client code reaches review's identity entry, flagged or not; what
the review page does not offer (typing over a QR code's client code) is refused."""

from __future__ import annotations

from dataclasses import replace

import pytest

from clinicsheets import filled_sheet
from srs_scan.batch.store import ResultStore
from srs_scan.cli import main
from srs_scan.results import Status
from srs_scan.review.decisions import PAGE, ReviewLog
from srs_scan.review.identity import IdentityError, IdentityLog, identity_queue
from srs_scan.review.web import queue_payload
from srs_scan.review.decisions import Params
from srs_scan.sheets.spec import load_form_library


def _review_says(db) -> str:
    """What `srs-scan review` prints before it serves (up to its "Ctrl-C" line); then it is stopped."""
    import os
    import signal
    import subprocess
    import sys

    process = subprocess.Popen([sys.executable, "-m", "srs_scan", "review", "--no-browser", "--db", str(db)],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env={**os.environ, "PYTHONUNBUFFERED": "1"})
    lines: list[str] = []
    try:
        while not lines or "Ctrl-C" not in lines[-1] and lines[-1]:
            lines.append(process.stdout.readline())
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(20)
    return "".join(lines)


def test_a_clean_blank_printed_sheet_is_queued_with_its_picture(tmp_path, capsys):
    """Scanned for real: a sheet printed blank and filled in cleanly is read `ok`, and still comes
    up for its client code, with the picture a person reads the code from; a pre-filled one does not."""
    filled_sheet(tmp_path / "blank.png", "srs", (9.0, 9.5, 9.0, 9.5))                  # no client code
    filled_sheet(tmp_path / "known.png", "srs", (9.0, 9.5, 9.0, 9.5), client="C042", session="2")
    db = tmp_path / "r.sqlite"
    assert main(["scan", str(tmp_path), "-o", str(tmp_path / "out.csv"), "--db", str(db), "--jobs", "1", "-q"]) == 0
    with ResultStore(db) as store:
        log = ReviewLog(store)
        pages = list(log.pages())
        assert [p.result.status for p in pages] == [Status.OK, Status.OK]
        (waiting,) = identity_queue(log, pages)
        assert waiting.page.result.file.endswith("blank.png") and not waiting.settled
        assert store.has_sheet_jpeg(waiting.page.content_hash, 1)        # to read the code off
        payload = queue_payload(log, load_form_library(), Params())
        assert [e["kind"] for e in payload["entries"]] == ["identify"]
        shown = payload["pages"][payload["entries"][0]["page_key"]]
        assert shown["has_sheet"] and shown["fields_mm"][2] > 100       # the three written fields

        assert "1 sheet still needs a client code" in _review_says(db)
        IdentityLog(store).record(waiting.page.content_hash, 1, waiting.page.result.sheet,
                                  {"client_code": "K-12", "session": "3", "date": "2026-11-30"}, "Anna")
        assert [u.settled for u in identity_queue(log, list(log.pages()))] == [True]
        assert "client code" not in _review_says(db)
        known = next(p for p in pages if p.result.sheet.client_code == "C042")
        with pytest.raises(IdentityError, match="comes from its QR code"):
            IdentityLog(store).record(known.content_hash, 1, known.result.sheet,
                                      {"client_code": "K-13", "session": "3", "date": ""}, "Anna")


def test_flagged_pages_come_first_and_a_page_left_out_needs_no_code(tmp_path, spec):
    from tests.reviewdata import fill_store

    db = tmp_path / "r.sqlite"
    fill_store(db, spec, pages=2)
    with ResultStore(db) as store:
        log = ReviewLog(store)
        for stored in list(log.pages()):  # the same sheets, printed blank
            store.put(stored.content_hash, replace(stored.result, sheet=replace(stored.result.sheet, client_code="")),
                      store.sheet_jpeg(stored.content_hash, 1))
        payload = queue_payload(log, load_form_library(), Params())
        kinds = [e["kind"] for e in payload["entries"]]
        assert kinds == ["flag"] * 8 + ["identify"] * 2                 # after every flagged item
        log.decide("hash001", 1, PAGE, "not_a_form", "Anna")
        assert [u.settled for u in identity_queue(log, list(log.pages()))] == [False, True]


def test_audit_lists_the_identity_entries(tmp_path, capsys):
    """Who typed which client code, session and date for which sheet, and when: among the decisions."""
    from tests.reviewdata import fill_store
    from srs_scan.sheets.spec import load_form, resolve_form

    db = tmp_path / "r.sqlite"
    fill_store(db, load_form(resolve_form("srs")), pages=1)
    with ResultStore(db) as store:
        (stored,) = ReviewLog(store).pages()
        store.put("blank", replace(stored.result, file="blank.pdf",
                                   sheet=replace(stored.result.sheet, serial="BLANK001", client_code="")))
        ReviewLog(store).decide("blank", 1, "goals", "no_answer", "Ben")
        blank_sheet = ReviewLog(store).page("blank", 1).result.sheet
        IdentityLog(store).record("blank", 1, blank_sheet,
                                  {"client_code": "K-12", "session": "3", "date": ""}, "Anna")
        IdentityLog(store).record("blank", 1, blank_sheet,
                                  {"client_code": "K-13", "session": "3", "date": ""}, "Ben")
    capsys.readouterr()
    assert main(["audit", "--db", str(db)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 4                          # a decision, two typed fields, one correction
    assert "Ben  blank.pdf p1  sheet BLANK001  goals" in lines[0]
    assert lines[1].endswith("Anna  blank.pdf p1  sheet BLANK001  identity client_code  - -> K-12  typed in review")
    assert lines[2].endswith("Anna  blank.pdf p1  sheet BLANK001  identity session  1 -> 3  typed in review")
    assert lines[3].endswith("Ben  blank.pdf p1  sheet BLANK001  identity client_code  K-12 -> K-13  typed in review")
