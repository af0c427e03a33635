"""`srs-scan forms`: sheets, rosters, and clear one-line errors with exit codes."""

from __future__ import annotations

import subprocess
import sys

import cv2
import pypdfium2
import pytest

from srs_scan.cli import main
from srs_scan.errors import ExitCode
from srs_scan.sheets.sheetid import parse_payload


def _payloads(pdf_path):
    doc = pypdfium2.PdfDocument(str(pdf_path))
    out = []
    for page in doc:
        grey = page.render(scale=200 / 72, grayscale=True).to_numpy()
        text, _, _ = cv2.QRCodeDetector().detectAndDecode(grey)
        out.append(parse_payload(text))
    return out


def test_count_writes_sheets_with_distinct_serials(tmp_path, capsys):
    out = tmp_path / "sheets.pdf"
    assert main(["forms", str(out), "--count", "3", "--seed", "3"]) == 0
    ids = _payloads(out)
    assert len(ids) == 3 and len({i.serial for i in ids}) == 3
    assert all(i.form_id == "srs" and i.client_code == "" for i in ids)
    assert "wrote 3 sheets" in capsys.readouterr().out


def test_roster_prefills_each_sheet(tmp_path):
    roster = tmp_path / "roster.csv"
    roster.write_text("client_code,session,date\nC042,5,2026-11-26\nK-77,12,\n", encoding="utf-8")
    out = tmp_path / "day.pdf"
    # seeded: the plain OpenCV decoder in _payloads misses about 1 random code in 30 at 200 dpi
    assert main(["forms", str(out), "--roster", str(roster), "--paper", "letter", "--seed", "1"]) == 0
    ids = _payloads(out)
    assert [(i.client_code, i.session, i.date) for i in ids] == [
        ("C042", "5", "2026-11-26"), ("K-77", "12", "")]
    text = pypdfium2.PdfDocument(str(out))[0].get_textpage().get_text_range()
    assert "C042" in text and "2026-11-26" in text


def test_roster_codes_a_spreadsheet_would_change_are_printed_with_a_warning(tmp_path, capsys):
    roster = tmp_path / "roster.csv"
    roster.write_text("client_code,session,date\n0012,1,\nC042,2,\n", encoding="utf-8")
    assert main(["forms", str(tmp_path / "day.pdf"), "--roster", str(roster), "--seed", "1"]) == 0
    err = capsys.readouterr().err
    assert "roster line 2" in err and "a number" in err and "line 3" not in err and "0012" not in err
    assert [i.client_code for i in _payloads(tmp_path / "day.pdf")] == ["0012", "C042"]


@pytest.mark.parametrize(("content", "message"), [
    ("client,session\nC1,1\n", "missing: client_code"),
    ("client_code,session,date\nJane Smith,1,\n", "line 2: client_code"),
    ("client_code,session,date\nC1,first,\n", "line 2: session"),
    ("client_code,session,date\nC1,1,26/11/2026\n", "line 2: date"),
    ("client_code,session,date\nC1,1,2026-02-30\n", "line 2: date 2026-02-30 does not exist"),
    ("client_code,session,date\n-12,1,\n", "line 2: client_code"),
    ("client_code,session,date\n", "no rows"),
])
def test_bad_roster_is_one_clear_line(tmp_path, capsys, content, message):
    roster = tmp_path / "roster.csv"
    roster.write_text(content)
    out = tmp_path / "x.pdf"
    assert main(["forms", str(out), "--roster", str(roster)]) == ExitCode.BAD_ARGUMENTS
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1 and "Traceback" not in err
    assert not out.exists()


def test_bad_arguments_and_form_file(tmp_path, capsys):
    assert main(["forms", str(tmp_path / "x.pdf"), "--count", "0"]) == ExitCode.BAD_ARGUMENTS
    assert main(["forms", str(tmp_path / "x.pdf"), "--paper", "a3"]) == ExitCode.BAD_ARGUMENTS
    bad = tmp_path / "bad.toml"
    bad.write_text("[form]\n")
    assert main(["forms", str(tmp_path / "x.pdf"), "--form", str(bad)]) == ExitCode.BAD_ARGUMENTS
    assert "bad.toml" in capsys.readouterr().err
    assert main(["forms", str(tmp_path / "x.pdf"), "--roster", str(tmp_path / "nope.csv")]) == 2


def test_console_entry_point_help():
    result = subprocess.run([sys.executable, "-m", "srs_scan", "forms", "--help"],
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0
    assert "--roster" in result.stdout and "exit codes" in result.stdout
