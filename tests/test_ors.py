"""The ORS companion form: printing it beside the SRS, age bands in the QR code, mixed stacks."""

from __future__ import annotations

import csv

import cv2
import pypdfium2
import pytest

from clinicsheets import filled_sheet
from srs_scan.cli import main
from srs_scan.errors import ExitCode
from srs_scan.sheets.sheetid import parse_payload
from srs_scan.sheets.spec import load_form, load_form_library, resolve_form


def _payloads(pdf_path):
    """Each page's QR payload; two detectors at two resolutions, as one may miss a given code."""
    out = []
    for page in pypdfium2.PdfDocument(str(pdf_path)):
        text = ""
        for dpi in (200, 300):
            grey = page.render(scale=dpi / 72, grayscale=True).to_numpy()
            for detector in (cv2.QRCodeDetector(), cv2.QRCodeDetectorAruco()):
                text = text or detector.detectAndDecode(grey)[0]
        out.append(parse_payload(text))
    return out


def test_ors_form_has_the_four_public_item_ids_and_its_own_markers():
    ors, srs = load_form(resolve_form("ors")), load_form(resolve_form("srs"))
    assert ors.item_ids == ("individually", "interpersonally", "socially", "overall")
    assert ors.line_length_mm == srs.line_length_mm == 100.0
    # different marker ids: an ORS sheet is told from an SRS sheet even without its QR code
    assert not {m.id for m in ors.markers} & {m.id for m in srs.markers}
    assert [f.label for f in ors.fields if f.name == "client_code"] == ["Client code (no names)"]


def test_forms_ors_then_srs_per_roster_row_with_age_band(tmp_path):
    roster = tmp_path / "roster.csv"
    roster.write_text("client_code,session,date,age_band\nC042,5,2026-11-26,adolescent\nK-77,2,,\n")
    out = tmp_path / "day.pdf"
    assert main(["forms", str(out), "--roster", str(roster), "--form", "ors", "--form", "srs"]) == 0
    ids = _payloads(out)
    assert [(i.form_id, i.client_code, i.session, i.age_band) for i in ids] == [
        ("ors", "C042", "5", "adolescent"), ("srs", "C042", "5", "adolescent"),
        ("ors", "K-77", "2", ""), ("srs", "K-77", "2", "")]
    assert len({i.serial for i in ids}) == 4
    text = pypdfium2.PdfDocument(str(out))[0].get_textpage().get_text_range()
    assert "Outcome Rating Scale" in text and "Client code (no names)" in text


def test_forms_blank_ors_by_name_and_by_path(tmp_path):
    assert main(["forms", str(tmp_path / "a.pdf"), "--form", "ors", "--count", "2"]) == 0
    assert main(["forms", str(tmp_path / "b.pdf"), "--form", str(resolve_form("ors"))]) == 0
    assert [i.form_id for i in _payloads(tmp_path / "a.pdf")] == ["ors", "ors"]
    assert main(["forms", str(tmp_path / "c.pdf"), "--form", "nosuchform"]) == ExitCode.BAD_ARGUMENTS


def test_bad_age_band_is_one_clear_line(tmp_path, capsys):
    roster = tmp_path / "roster.csv"
    roster.write_text("client_code,session,date,age_band\nC1,1,,senior\n")
    assert main(["forms", str(tmp_path / "x.pdf"), "--roster", str(roster)]) == ExitCode.BAD_ARGUMENTS
    assert "line 2: age_band must be one of adult, adolescent, child" in capsys.readouterr().err


def test_scan_reads_ors_and_srs_sheets_mixed(tmp_path):
    scans = tmp_path / "scans"
    scans.mkdir()
    truth = {
        "1.png": ("ors", [3.0, 4.5, 6.2, 5.0], "adolescent"),
        "2.png": ("srs", [9.5, 8.0, 9.2, 9.9], ""),
        "3.png": ("ors", [7.1, 2.4, 8.8, 6.6], ""),
    }
    for name, (form, values, band) in truth.items():
        filled_sheet(scans / name, form, values, client="C042", session=name[0], age_band=band)
    out = tmp_path / "r.csv"
    assert main(["scan", str(scans), "-o", str(out), "--jobs", "1", "-q"]) == 0
    rows = list(csv.DictReader(out.open()))
    assert [r["form"] for r in rows] == ["ors", "srs", "ors"]
    columns = list(rows[0])
    # the SRS columns keep their place; the ORS items follow; the shared `overall` once
    assert columns.index("relationship") < columns.index("individually")
    assert columns.count("overall") == 1
    for row, (form, values, _band) in zip(rows, truth.values()):
        items = load_form_library()[(form, 1)].item_ids
        got = [float(row[i]) for i in items]
        assert got == pytest.approx(values, abs=0.11)
        assert float(row["total"]) == pytest.approx(sum(values), abs=0.3)
        assert all(row[i] == "" for i in columns[7:14] if i not in items)
