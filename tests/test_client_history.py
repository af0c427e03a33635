"""Client history across batches: sheets scanned in separate runs and out of order build one
history; `srs-scan client` shows it with its alerts; a review decision changes the alerts."""

from __future__ import annotations

import pytest

from clinicsheets import filled_sheet
from srs_scan.batch.store import ResultStore
from srs_scan.cli import main
from srs_scan.errors import ExitCode
from srs_scan.review.decisions import ReviewLog
from srs_scan.sheets.spec import load_form, resolve_form

# C042's alliance frays: SRS 38.5 -> 38.0 -> 33.0 -> 29.0; the ORS rises a little, then falls
SESSIONS = {
    1: ("2026-11-02", (5.0, 5.5, 6.0, 5.5), (9.6, 9.7, 9.5, 9.7)),
    2: ("2026-11-09", (6.0, 6.0, 6.0, 6.0), (9.5, 9.5, 9.4, 9.6)),
    3: ("2026-11-16", (5.5, 5.0, 5.5, 5.0), (8.5, 8.0, 8.0, 8.5)),
    4: ("2026-11-23", (3.5, 4.0, 4.0, 4.0), (7.5, 7.0, 7.0, 7.5)),
}
RUNS = [(3, 1), (4,), (2,)]  # three scanning days, out of session order


def _scan_runs(tmp_path, runs=RUNS, missing_srs_item_in=None):
    for n, run in enumerate(runs):
        folder = tmp_path / f"run{n}"
        folder.mkdir()
        for session in run:
            date, ors, srs = SESSIONS[session]
            if session == missing_srs_item_in:
                srs = (srs[0], None, *srs[2:])
            filled_sheet(folder / f"ors{session}.png", "ors", ors, client="C042", session=str(session), date=date)
            filled_sheet(folder / f"srs{session}.png", "srs", srs, client="C042", session=str(session), date=date)
        assert main(["scan", str(folder), "-o", str(tmp_path / f"run{n}.csv"), "--jobs", "1", "-q"]) in (0,)


def _client(capsys, code="C042"):
    capsys.readouterr()
    assert main(["client", code]) == 0
    return capsys.readouterr().out


def test_client_table_from_separate_out_of_order_runs(tmp_path, capsys):
    _scan_runs(tmp_path)
    out = _client(capsys)
    print(out)
    lines = out.splitlines()
    rows = [line.split() for line in lines[3:7]]
    assert [r[0] for r in rows] == ["1", "2", "3", "4"]  # session order, not scan order
    assert [r[1] for r in rows] == [SESSIONS[n][0] for n in (1, 2, 3, 4)]
    for row, n in zip(rows, (1, 2, 3, 4)):
        _, ors, srs = SESSIONS[n]
        assert [float(v) for v in row[2:6]] == pytest.approx(ors, abs=0.11)
        assert float(row[6]) == pytest.approx(sum(ors), abs=0.3)
        assert [float(v) for v in row[7:11]] == pytest.approx(srs, abs=0.11)
        assert float(row[11]) == pytest.approx(sum(srs), abs=0.3)
    assert "srs_drop" not in lines[3] and "srs_drop" not in lines[4]    # 38.5 -> 38.0: less than 1
    assert "srs_drop" in lines[5] and "srs_low_total" in lines[5]        # 37.4 -> 33.0
    assert "srs_drop" in lines[6] and "ors_reliable_decline" in lines[6] and "ors_no_gain" in lines[6]
    assert "session 4 SRS: srs_drop (SRS total 29.0, previous 33.0)" in out


def test_review_decision_recomputes_the_alerts(tmp_path, capsys, clinic_store):
    _scan_runs(tmp_path, runs=[(1, 2, 3, 4)], missing_srs_item_in=3)
    out = _client(capsys)
    row3 = out.splitlines()[5]
    assert " - " in row3 and "srs_low_total" not in row3  # no alert from a missing value
    assert "srs_drop" not in out.splitlines()[6]          # the SRS before session 4 has no total
    with ResultStore(clinic_store) as store:
        log = ReviewLog(store)
        page = next(p for p in log.pages() if p.result.status.value == "review")
        spec = load_form(resolve_form("srs"))
        log.decide(page.content_hash, page.result.page, "goals", "value", "Dr Test",
                   x_mm=spec.line_x_mm + 80.0, spec=spec)
    out = _client(capsys)
    assert "srs_drop" in out.splitlines()[5] and "srs_low_total" in out.splitlines()[5]
    assert "srs_drop" in out.splitlines()[6]


def test_client_errors(capsys):
    assert main(["client", "C042"]) == ExitCode.BAD_ARGUMENTS  # no store yet
    assert main(["client", "Jane Smith"]) == ExitCode.BAD_ARGUMENTS


def _csv(path):
    import csv

    return list(csv.DictReader(path.open(encoding="utf-8")))


def test_scan_csv_and_json_carry_alerts_from_the_whole_history(tmp_path):
    import json

    _scan_runs(tmp_path, runs=[(1, 2, 3)])
    late = tmp_path / "late"
    late.mkdir()
    date, ors, srs = SESSIONS[4]
    filled_sheet(late / "srs4.png", "srs", srs, client="C042", session="4", date=date)
    out, details = tmp_path / "late.csv", tmp_path / "late.json"
    assert main(["scan", str(late), "-o", str(out), "--json", str(details), "--jobs", "1", "-q"]) == 0
    (row,) = _csv(out)
    # session 4 alone in this batch, compared with session 3 from an earlier one
    assert row["alerts"].split(" | ")[:2] == ["srs_low_total", "srs_low_item:relationship"]
    assert "srs_drop" in row["alerts"]
    import datetime as dt

    scanned = dt.datetime.strptime(row["scanned_at"], "%Y-%m-%d %H:%M:%S")  # UTC, to the second
    assert abs(scanned - dt.datetime.now(dt.UTC).replace(tzinfo=None)) < dt.timedelta(minutes=30)
    (page,) = json.loads(details.read_text())["pages"]
    assert "srs_drop" in page["alerts"]


def test_export_filters_by_client_and_date(tmp_path):
    _scan_runs(tmp_path, runs=[(1, 2), (3, 4)])
    other = tmp_path / "other"
    other.mkdir()
    filled_sheet(other / "k.png", "srs", (9, 9, 9, 9), client="K-77", session="1", date="2026-11-20")
    assert main(["scan", str(other), "-o", str(tmp_path / "k.csv"), "--jobs", "1", "-q"]) == 0
    out = tmp_path / "x.csv"
    assert main(["export", "-o", str(out), "-q"]) == 0
    assert len(_csv(out)) == 9
    assert main(["export", "-o", str(out), "--client", "C042", "-q"]) == 0
    assert {r["client_code"] for r in _csv(out)} == {"C042"} and len(_csv(out)) == 8
    assert main(["export", "-o", str(out), "--since", "2026-11-16", "-q"]) == 0
    assert sorted((r["client_code"], r["session"]) for r in _csv(out)) == [
        ("C042", "3"), ("C042", "3"), ("C042", "4"), ("C042", "4"), ("K-77", "1")]
    assert main(["export", "-o", str(out), "--client", "C042", "--since", "2026-11-20", "-q"]) == 0
    assert [r["session"] for r in _csv(out)] == ["4", "4"]
    assert main(["export", "-o", str(out), "--since", "26/11/2026"]) == ExitCode.BAD_ARGUMENTS


def test_openfit_export_one_row_per_session_no_placeholder_zeros(tmp_path, capsys):
    _scan_runs(tmp_path, runs=[(2, 1), (3,)], missing_srs_item_in=3)
    lone = tmp_path / "lone"
    lone.mkdir()
    filled_sheet(lone / "ors5.png", "ors", (0.0, 2.0, 3.0, 4.0), client="C042", session="5",
                 date="2026-11-30")
    assert main(["scan", str(lone), "-o", str(tmp_path / "l.csv"), "--jobs", "1", "-q"]) == 0
    out = tmp_path / "openfit.csv"
    capsys.readouterr()
    assert main(["export", "-o", str(out), "--format", "openfit", "--client", "C042"]) == 0
    assert "left out 1 session" in capsys.readouterr().err    # session 3's SRS needs review
    rows = _csv(out)
    assert list(rows[0]) == ["Client_ID", "Session_ID", "Session_Date", "ORS_Skip", "ORSQ1", "ORSQ2",
                             "ORSQ3", "ORSQ4", "Total_ORS", "SRS_Skip", "SRSQ1", "SRSQ2", "SRSQ3",
                             "SRSQ4", "Total_SRS"]
    assert [(r["Session_ID"], r["Session_Date"]) for r in rows] == [
        ("1", "2026-11-02"), ("2", "2026-11-09"), ("5", "2026-11-30")]
    for r, n in zip(rows[:2], (1, 2)):
        _, ors, srs = SESSIONS[n]
        assert (r["ORS_Skip"], r["SRS_Skip"], r["Total_ORS"], r["Total_SRS"]) == ("0", "0", "", "")
        assert [float(r[f"ORSQ{i}"]) for i in range(1, 5)] == pytest.approx(ors, abs=0.11)
        assert [float(r[f"SRSQ{i}"]) for i in range(1, 5)] == pytest.approx(srs, abs=0.11)
    last = rows[2]
    assert last["ORSQ1"] == "0.0"  # a real mark at the left end is a genuine 0
    assert last["SRS_Skip"] == "1" and all(last[f"SRSQ{i}"] == "" for i in range(1, 5))
