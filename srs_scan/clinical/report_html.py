"""`srs-scan report -o report.html`: one self-contained HTML file (no network, no scripts, no fonts
or images from elsewhere; opens from a USB stick). Charts are inline SVG from charts.py.

Every piece of text from the store (client codes, alert numbers) is escaped; client codes only.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from srs_scan.clinical.charts import srs_items_chart, svg, totals_chart
from srs_scan.clinical.report import OUTCOME_WORDS, AlertLine, Batch, ClientSeries, Figure
from srs_scan.fileio import OWN_OUTPUT_MARK

STYLE = """
body { font-family: sans-serif; margin: 2em auto; max-width: 60em; color: #222; }
h1 { font-size: 1.5em; } h2 { border-bottom: 2px solid #1f5fa8; padding-bottom: .2em; margin-top: 2em; }
table { border-collapse: collapse; margin: .5em 0; }
td, th { border: 1px solid #ccc; padding: .2em .6em; text-align: left; vertical-align: top; }
td.n { text-align: right; } td.d { white-space: nowrap; }
.alert { background: #fdecea; } .how { color: #555; font-size: .9em; }
.client { page-break-inside: avoid; border-top: 1px solid #ccc; margin-top: 1.5em; }
code { background: #f2f2f2; padding: 0 .3em; }
svg { display: block; width: 100%; max-width: 46em; height: auto; }
"""

MISSING_WORDS = "- = no value: an item still flagged (not yet reviewed) or left blank, or no sheet."
RULE_WORDS = {
    "srs_low_total": "SRS total below the cut-off",
    "srs_low_item": "an SRS item below the low-item line",
    "srs_drop": "SRS total dropped since the previous session",
    "ors_above_cutoff": "intake ORS at or above the cut-off (check the intake)",
    "ors_reliable_decline": "ORS reliably below intake",
    "ors_no_gain": "no reliable ORS gain yet",
}


def rule_words(code: str) -> str:
    base, _, item = code.partition(":")
    words = RULE_WORDS.get(base, base)
    return f"{words} ({item})" if item else words


def _session(line: AlertLine) -> str:
    return "?" if line.session is None else str(line.session)


def _num(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def _alert_table(lines: Sequence[AlertLine], with_client: bool) -> str:
    if not lines:
        return "<p>No alerts.</p>"
    head = ("<tr>" + ("<th>client</th>" if with_client else "")
            + "<th>session</th><th>sheet</th><th>rule</th><th>the numbers</th></tr>")
    rows = "".join(
        "<tr class='alert'>" + (f"<td>{escape(a.client)}</td>" if with_client else "")
        + f"<td class='n'>{_session(a)}</td><td>{escape(a.measure.upper())}</td>"
        f"<td>{escape(rule_words(a.code))} <code>{escape(a.code)}</code></td><td>{escape(a.because)}</td></tr>"
        for a in lines)
    return f"<table>{head}{rows}</table>"


def _batch(b: Batch) -> str:
    parts = [f"<h2>Today's batch</h2><p>{escape(b.scope)}</p>",
             "<h3>Alerts</h3>", _alert_table(b.alerts, True), "<h3>Still needs review</h3>"]
    if b.to_review:
        parts.append("<p>Open the review page with the command <code>srs-scan review</code> and settle "
                     "these (flagged items; the client code of a sheet without one); until then their "
                     "values are left out of totals and alerts.</p><ul>"
                     + "".join(f"<li>{escape(t)}</li>" for t in b.to_review) + "</ul>")
    else:
        parts.append("<p>Nothing waits for review.</p>")
    counts = (("pages read", b.pages), ("ok (read without flags, or settled in review)", b.ok),
              ("need review", b.review), ("without a client code", b.no_client_code),
              ("not a form", b.not_a_form), ("sheets fed twice", b.duplicates))
    parts.append("<h3>Counts</h3><table>" + "".join(f"<tr><td>{k}</td><td class='n'>{v}</td></tr>"
                                                     for k, v in counts) + "</table>")
    return "".join(parts)


def _client(s: ClientSeries) -> str:
    rows = "".join(
        f"<tr><td class='n'>{'?' if r.session is None else r.session}</td><td class='d'>{escape(r.date or '-')}</td>"
        f"<td class='n'>{_num(r.ors)}</td><td class='n'>{_num(r.srs)}</td>"
        f"<td>{escape(', '.join(r.alerts))}</td></tr>" for r in s.rows)
    if s.outcome:
        change = f"intake ORS {s.intake_ors:.1f}, latest {s.latest_ors:.1f}: {OUTCOME_WORDS[s.outcome]}"
    else:
        change = "not enough ORS totals yet to judge change (needs an intake and a later ORS)"
    return (f"<div class='client'><h3>Client {escape(s.code)}</h3>"
            f"<p>{escape(s.band)}; ORS cut-off {s.cutoff:g}; reliable change index {s.rci:g}. "
            f"{escape(change)}.</p>"
            f"{svg(totals_chart(s))}{svg(srs_items_chart(s))}"
            "<table><tr><th>session</th><th>date</th><th>ORS</th><th>SRS</th><th>alerts</th></tr>"
            f"{rows}</table><p class='how'>{MISSING_WORDS}</p><h4>Alert history</h4>{_alert_table(s.alerts, False)}</div>")


def _caseload(figures: Sequence[Figure]) -> str:
    rows = "".join(f"<tr><td>{escape(f.label)}</td><td class='n'>{escape(f.value)}</td>"
                   f"<td class='how'>{escape(f.how)}</td></tr>" for f in figures)
    return ("<h2>Caseload</h2><table><tr><th>figure</th><th>value</th><th>how it is computed</th></tr>"
            f"{rows}</table>")


def html_report(b: Batch, clients: Sequence[ClientSeries], figures: Sequence[Figure], scope: str) -> str:
    body = _batch(b) + f"<h2>Clients</h2><p>{escape(scope)}</p>" + "".join(_client(s) for s in clients) \
        + _caseload(figures)
    return ("<!DOCTYPE html>\n<!-- " + OWN_OUTPUT_MARK.decode() + " -->\n"
            "<html lang='en'><head><meta charset='utf-8'><title>srs-scan report</title>"
            f"<style>{STYLE}</style></head><body><h1>srs-scan report</h1>{body}"
            "<p class='how'>Client codes only. Alerts and cut-offs follow the clinic's settings "
            "(<code>srs-scan settings</code>).</p></body></html>\n")
