"""`srs-scan report --client CODE -o C042.pdf`: one page a therapist can print or show the client:
the chart of ORS and SRS totals, a table of sessions, and the alerts in plain words."""

from __future__ import annotations

import io

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle
from xml.sax.saxutils import escape

from srs_scan.clinical.charts import srs_items_chart, totals_chart
from srs_scan.clinical.report import OUTCOME_WORDS, ClientSeries
from srs_scan.clinical.report_html import MISSING_WORDS, rule_words
from srs_scan.fileio import OWN_OUTPUT_MARK


def _num(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def client_pdf(s: ClientSeries) -> bytes:
    styles = getSampleStyleSheet()
    small = styles["BodyText"].clone("small", fontSize=8.5, leading=10.5)
    out = io.BytesIO()
    # the title carries the own-output mark, so a report saved into a scan folder is never read as a scan
    doc = SimpleDocTemplate(out, pagesize=A4, leftMargin=18 * mm, rightMargin=18 * mm, topMargin=14 * mm,
                            bottomMargin=14 * mm, title=f"Client {s.code} ({OWN_OUTPUT_MARK.decode()})",
                            author="srs-scan", invariant=True)
    change = (f"Intake ORS {s.intake_ors:.1f}, latest {s.latest_ors:.1f}: {OUTCOME_WORDS[s.outcome]}."
              if s.outcome else "Not enough ORS totals yet to judge change.")
    story = [Paragraph(f"Client {escape(s.code)}: how sessions are going", styles["Heading2"]),
             Paragraph(escape(f"{s.band}; ORS cut-off {s.cutoff:g}; shaded band: intake ORS +/- {s.rci:g} "
                              f"(the reliable change index). {change}"), small),
             totals_chart(s, 470, 200), srs_items_chart(s, 470, 90), Spacer(1, 4)]
    rows = [["session", "date", "ORS", "SRS", *(f"SRS {i}" for i in ("rel.", "goals", "appr.", "overall"))]]
    rows += [[("?" if r.session is None else str(r.session)), r.date or "-", _num(r.ors), _num(r.srs),
              *(_num(v) for v in r.srs_items)] for r in s.rows[-14:]]
    table = Table(rows, repeatRows=1)
    table.setStyle(TableStyle([("FONTSIZE", (0, 0), (-1, -1), 8), ("GRID", (0, 0), (-1, -1), 0.3, colors.grey),
                               ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8eef6")),
                               ("ALIGN", (2, 1), (-1, -1), "RIGHT")]))
    story += [table, Paragraph(MISSING_WORDS, small), Spacer(1, 6), Paragraph("Alerts", styles["Heading4"])]
    if len(s.rows) > 14:
        story.insert(-3, Paragraph(f"(the last 14 of {len(s.rows)} sessions)", small))
    lines = [f"Session {'?' if a.session is None else a.session} ({a.measure.upper()}): "
             f"{rule_words(a.code)}: {a.because}." for a in s.alerts[-12:]]
    story += [Paragraph(escape(line), small) for line in lines] or [Paragraph("No alerts.", small)]
    doc.build(story)
    return out.getvalue()
