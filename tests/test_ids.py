"""One validator for what a sheet carries: the same rules when printing and when reading a QR code."""

from __future__ import annotations

import random
from dataclasses import dataclass

import pytest

from drawmarks import blank_page
from srs_scan.read.reader import read_page
from srs_scan.results import SHEET_ID_UNREADABLE
from srs_scan.sheets.ids import (
    client_code_problem, date_problem, serial_looks_like_a_number, spreadsheet_lookalike,
)
from srs_scan.sheets.sheetid import SheetId, new_serials, parse_payload, read_roster
from srs_scan.sheets.spec import load_form_library

GOOD = "srs-scan:1;f=srs;v=1;s=7KQ2M9XD;c=C042;n=5;d=2026-11-26"


@pytest.mark.parametrize("code", ["C042", "K-77", "a_1", "0012", "X" * 20])
def test_client_codes_that_may_be_printed(code):
    assert client_code_problem(code) is None


@pytest.mark.parametrize("code", ["-12", "_x", "", "X" * 21, "a b", "a\t=1+1", "=1+1", "Jörg", "a;b"])
def test_client_codes_that_may_not(code):
    assert client_code_problem(code)


@pytest.mark.parametrize(("code", "becomes"), [
    ("0012", "number"), ("12", "number"), ("1E5", "number"), ("12E45678", "number"), ("3e-2", "number"),
    ("2026-01-02", "date"), ("Jan-05", "date"), ("05-Jan", "date"), ("1-2", "date"), ("Okt-2026", "date"),
    ("TRUE", "true/false"), ("false", "true/false"), ("WAHR", "true/false"),
])
def test_codes_a_spreadsheet_changes_are_named(code, becomes):
    assert becomes in spreadsheet_lookalike(code)


@pytest.mark.parametrize("code", ["C042", "K-77", "Jan", "A12E5", "TRUEX", "12a-3", "E5"])
def test_codes_that_stay_text(code):
    assert spreadsheet_lookalike(code) is None


def test_impossible_dates_are_refused():
    assert date_problem("2026-02-28") is None and date_problem("") is None
    assert "does not exist" in date_problem("2026-02-30")
    assert date_problem("2026-2-3") and date_problem("26/11/2026")


class _Scripted(random.Random):
    """An rng whose first picks spell serials a spreadsheet reads as numbers."""

    def __init__(self, first: str) -> None:
        super().__init__(1)
        self.first = list(first)

    def choice(self, seq):
        return self.first.pop(0) if self.first else super().choice(seq)


def test_new_serials_never_look_like_numbers():
    assert serial_looks_like_a_number("00012345") and serial_looks_like_a_number("12E45678")
    assert not serial_looks_like_a_number("1E836VY9")
    (serial,) = new_serials(1, _Scripted("00012345" + "12E45678"))
    assert not serial_looks_like_a_number(serial) and len(serial) == 8
    many = new_serials(20000, random.Random(3))
    assert not any(serial_looks_like_a_number(s) for s in many)


def test_a_good_payload_and_old_serials_read():
    assert parse_payload(GOOD) == SheetId("srs", 1, "7KQ2M9XD", "C042", "5", "2026-11-26")
    # a serial printed before serials avoided digits only still reads
    assert parse_payload("srs-scan:1;f=srs;v=1;s=00012345").serial == "00012345"


@pytest.mark.parametrize("forged", [
    "s=\x1b[2A\x1b[Khidden", "c=a\t=1+1", "c==1+1", "c=-12", "c=C042\r\n", "d=2026-02-30", "d=2026-1-2",
    "n=0", "n=10000", "n=05", "n=5\u202e", "f=srs x", "s=", "s=abc", "c=C\u200b042",
])
def test_a_payload_breaking_a_rule_is_not_used(forged):
    key = forged.split("=", 1)[0]
    parts = [p for p in GOOD.split(";") if not p.startswith(f"{key}=")]
    assert parse_payload(";".join([parts[0], forged, *parts[1:]])) is None


@dataclass(frozen=True)
class _Forged(SheetId):
    """A sheet whose QR code says something srs-scan would never print."""

    forged: str = ""

    def payload(self) -> str:
        return self.forged


def test_a_forged_code_on_a_real_sheet_gives_sheet_id_unreadable():
    forged = _Forged("srs", 1, "7KQ2M9XD", "C042", "5", "2026-11-26",
                     forged="srs-scan:1;f=srs;v=1;s=7KQ2\x1b[2A;c=a\t=1+1")
    result = read_page(blank_page(200, forged), load_form_library(), "forged.pdf", 1)
    assert SHEET_ID_UNREADABLE in result.flags and result.sheet is None
    # the same way of forging, within the rules, is read: the refusal above is the rules'
    honest = _Forged("srs", 1, "7KQ2M9XD", forged=GOOD.replace("7KQ2M9XD", "7KQ2M9XE"))
    result = read_page(blank_page(200, honest), load_form_library(), "honest.pdf", 1)
    assert result.sheet.serial == "7KQ2M9XE" and SHEET_ID_UNREADABLE not in result.flags


def test_roster_rules_and_warnings():
    warnings: list[str] = []
    text = "client_code,session,date\nC042,0005,2026-11-26\n0012,1,\nJan-05,2,\nTRUE,3,\n"
    sheets = read_roster(text, [("srs", 1)], random.Random(1), warn=warnings.append)
    assert [s.session for s in sheets] == ["5", "1", "2", "3"]
    assert [w.split(":")[0] for w in warnings] == ["roster line 3", "roster line 4", "roster line 5"]
    assert "number" in warnings[0] and "date" in warnings[1] and "true/false" in warnings[2]
    for bad, message in (("-12,1,", "starting with a letter or digit"),
                         ("C1,1,2026-02-30", "does not exist")):
        with pytest.raises(ValueError, match=message):
            read_roster(f"client_code,session,date\n{bad}\n", [("srs", 1)])
