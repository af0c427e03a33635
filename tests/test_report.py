"""srs-scan report: the caseload numbers against a hand-computed example, every client and alert
of a simulated history in the HTML, an HTML that references nothing outside itself, the PDF."""

from __future__ import annotations

import html
import re
import stat

import pytest

from reportdata import HISTORY, write_history
from srs_scan.clinical.alerts import alerts
from srs_scan.clinical.history import Reading, order
from srs_scan.clinical.report import caseload, client_series
from srs_scan.clinical.settings import defaults

ORS_ITEMS = ("individually", "interpersonally", "socially", "overall")
SRS_ITEMS = ("relationship", "goals", "approach", "overall")


def _r(client, measure, session, total=None, band="", items=None):
    names = ORS_ITEMS if measure == "ors" else SRS_ITEMS
    values = items if items is not None else (total / 4,) * 4
    return Reading((f"{client}{measure}{session}", 1), measure, measure, client, session, "", band,
                   tuple(zip(names, values)), "2026-12-01T10:00:00")


# Hand-computed example (adult cut-off 25, RCI 5):
# A: ORS 16 -> 24 (+8, below 25): improved; SRS 36, 38, and 38 in session 3 (no ORS)
# B: ORS 20 -> 27 (+7, crosses 25): recovered; SRS 34 in session 1 only
# C: ORS 30 -> 22 (-8): worse; SRS 39, 39
# D: ORS 18 -> 20 (+2): unchanged; SRS session 1 has a flagged item (no total), 37
# E (child): one ORS 22, no SRS: not rated
CASELOAD = {
    "A": [_r("A", "ors", 1, 16), _r("A", "srs", 1, 36), _r("A", "ors", 2, 24), _r("A", "srs", 2, 38),
          _r("A", "srs", 3, 38)],
    "B": [_r("B", "ors", 1, 20), _r("B", "srs", 1, 34), _r("B", "ors", 2, 27)],
    "C": [_r("C", "ors", 1, 30), _r("C", "srs", 1, 39), _r("C", "ors", 2, 22), _r("C", "srs", 2, 39)],
    "D": [_r("D", "ors", 1, 18), _r("D", "srs", 1, items=(9.0, None, 9.0, 9.0)), _r("D", "ors", 2, 20),
          _r("D", "srs", 2, 37)],
    "E": [_r("E", "ors", 1, 22, band="child")],
}


def test_caseload_figures_match_the_hand_computed_example():
    figures = {f.label: f.value for f in caseload({c: order(h) for c, h in CASELOAD.items()}, defaults())}
    assert figures["Clients"] == "5 (adult 4, child 1)"
    assert figures["Sessions"] == "10"
    assert figures["Average sessions per client"] == "2.0"
    assert figures["Average intake ORS"] == "21.2"                  # (16+20+30+18+22)/5
    assert figures["Average intake SRS"] == "36.3"                  # (36+34+39)/3; D's first SRS has no total
    for label in ("recovered", "still below", "no reliable", "reliably worse"):
        assert [v for k, v in figures.items() if label in k] == ["1 of 4 (25 %)"]
    # mean change (8+7-8+2)/4 = 2.25; SD of intakes 16,20,30,18 = sqrt(116/3) = 6.218
    assert figures["Pre-post effect size"] == "0.36"
    assert figures["Sessions without an ORS sheet"] == "1"        # A session 3
    assert figures["Sessions without an SRS sheet"] == "2"        # B session 2, E session 1
    assert figures["Sheets without a total"] == "1"               # D's first SRS


def test_every_figure_says_how_it_is_computed():
    assert all(len(f.how) > 20 for f in caseload({c: order(h) for c, h in CASELOAD.items()}, defaults()))


def test_client_series_outcome_and_alerts():
    history = order(CASELOAD["C"])
    series = client_series("C", history, alerts(history, defaults()), defaults())
    assert (series.outcome, series.intake_ors, series.latest_ors) == ("worse", 30.0, 22.0)
    assert [r.ors for r in series.rows] == [30.0, 22.0]
    assert {a.code for a in series.alerts} == {"ors_above_cutoff", "ors_reliable_decline"}


@pytest.fixture
def clinic(tmp_path, monkeypatch):
    db = tmp_path / "clinic" / "results.srs.sqlite"
    write_history(db)
    monkeypatch.setenv("SRS_SCAN_DB", str(db))
    monkeypatch.delenv("SRS_SCAN_SETTINGS", raising=False)
    return db


def _expected_alerts(db):
    from srs_scan.batch.store import ResultStore
    from srs_scan.clinical.history import histories
    from srs_scan.clinical.records import readings, stored_pages

    with ResultStore(db) as store:
        every = histories(readings(stored_pages(store)))
    return {code: alerts(h, defaults()) for code, h in every.items()}


def test_html_shows_every_client_and_alert_and_references_nothing_outside(clinic, tmp_path):
    from srs_scan.cli import main

    out = tmp_path / "report.html"
    assert main(["report", "-o", str(out), "-q"]) == 0
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    page = out.read_text(encoding="utf-8")
    found = _expected_alerts(clinic)
    assert sum(len(a) for a in found.values()) >= 8               # the history does raise alerts
    for code in HISTORY:
        assert f"Client {code}</h3>" in page
        for a in found[code]:
            assert html.escape(a.because) in page and a.code in page
    assert page.count("<svg") == 2 * len(HISTORY)                 # totals + SRS items per client
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:|//|file:)""", page, re.I)
    assert not re.search(r"url\(\s*['\"]?\s*(https?:|//)", page, re.I)
    assert not re.search(r"<script|<link|@import|<img|<iframe", page, re.I)
    # the batch section: the last scanning day's pages, with what still needs review
    assert "Pages read since 2026-12-01" in page
    assert "client B19 session 2 SRS: goals" in page and "srs-scan review" in page


def test_html_with_since_and_client_filters(clinic, tmp_path):
    from srs_scan.cli import main

    out = tmp_path / "one.html"
    assert main(["report", "-o", str(out), "--client", "K7", "-q"]) == 0
    page = out.read_text(encoding="utf-8")
    assert "Client K7</h3>" in page and "C042" not in page
    assert main(["report", "-o", str(out), "--since", "2026-12-02", "-q"]) == 0
    assert "Client" not in out.read_text(encoding="utf-8").split("<h2>Clients</h2>")[1].split("<h2>")[0][40:]


def test_report_usage_errors(clinic, tmp_path, capsys):
    from srs_scan.cli import main
    from srs_scan.errors import ExitCode

    assert main(["report", "-o", str(tmp_path / "x.pdf")]) == ExitCode.BAD_ARGUMENTS
    assert "--client" in capsys.readouterr().err
    assert main(["report", "-o", str(tmp_path / "x.pdf"), "--client", "Z99"]) == ExitCode.BAD_ARGUMENTS
    assert main(["report", "-o", str(tmp_path / "x.html"), "--since", "yesterday"]) == ExitCode.BAD_ARGUMENTS
    assert not list(tmp_path.glob("x.*"))


def test_client_pdf_is_one_page_and_renders(clinic, tmp_path):
    import shutil
    import subprocess

    import pypdfium2

    from srs_scan.cli import main
    from srs_scan.fileio import is_own_output

    out = tmp_path / "C042.pdf"
    assert main(["report", "--client", "C042", "-o", str(out), "-q"]) == 0
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    pdf = pypdfium2.PdfDocument(out)
    assert len(pdf) == 1
    text = pdf[0].get_textpage().get_text_range()
    assert "Client C042" in text and "ORS reliably below intake" in text and "SRS total below" in text
    assert is_own_output(out)
    if shutil.which("pdftoppm"):
        subprocess.run(["pdftoppm", "-png", "-r", "40", "-singlefile", str(out), str(tmp_path / "p")], check=True)
        assert (tmp_path / "p.png").stat().st_size > 1000


def _one_session_series():
    from srs_scan.clinical.report import ClientSeries, SessionRow

    row = SessionRow(1, "2026-11-05", 20.0, 34.5, (9.0, 8.0, 8.5, 9.0), ())
    return ClientSeries("S1", "adult", 25.0, 5.0, 36.0, 9.0, (row,), (), "", 20.0, None)


def test_a_client_with_one_session_shows_its_points():
    """LinePlot draws no line through a single point: every point has a marker, inside the plot
    (half a session from either edge), at its value's height."""
    from srs_scan.clinical.charts import srs_items_chart, svg, totals_chart

    totals = svg(totals_chart(_one_session_series(), width=460, height=220))
    circles = [(float(x), float(y)) for x, y in re.findall(r'<circle cx="([\d.]+)" cy="([\d.]+)"', totals)]
    assert len(circles) == 2                                      # the ORS and the SRS total
    left, width, bottom, height = 34, 460 - 140, 28, 220 - 48     # totals_chart's plot
    assert all(abs(x - (left + width / 2)) < 0.5 for x, _ in circles)  # session 1 of 0.5-1.5: the middle
    # in the drawing's own coordinates (renderSVG flips the whole group, not each shape)
    assert sorted(y for _, y in circles) == pytest.approx(
        sorted(bottom + height * v / 40 for v in (20.0, 34.5)))
    items = svg(srs_items_chart(_one_session_series()))
    assert items.count("<circle") == 4                            # one per SRS item


def test_cut_off_and_intake_band_labels_never_overlap():
    """Intake ORS 20 +/- 5 ends exactly at the adult cut-off 25: the two labels are moved apart."""
    from reportlab.graphics.shapes import String

    from srs_scan.clinical.charts import LABEL_GAP, totals_chart

    drawing = totals_chart(_one_session_series())
    side = sorted(s.y for s in drawing.contents if isinstance(s, String) and s.x > 34 + 460 - 140)
    assert len(side) == 3
    assert all(b - a >= LABEL_GAP - 1e-9 for a, b in zip(side, side[1:]))
