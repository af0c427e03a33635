"""What the session page shows about a reading: values, total, alerts, and the client's chart.

Before the reading is stored, the client's history comes from the results store with this reading
added as a preview (never written); after it is stored, from the store alone. Alerts are the
clinic's rules (`clinical.alerts`) over that history, on this sheet; the chart is the report's
(`clinical.charts.totals_chart`, ReportLab), as SVG text. Client codes go to the page only.
"""

from __future__ import annotations

from srs_scan.batch.store import ResultStore
from srs_scan.clinical.alerts import alerts
from srs_scan.clinical.charts import svg, totals_chart
from srs_scan.clinical.history import Key, Reading, histories, order, reading
from srs_scan.clinical.records import readings, stored_pages
from srs_scan.clinical.report import client_series
from srs_scan.clinical.settings import Settings
from srs_scan.review.camera import Candidate
from srs_scan.sheets.spec import FormLibrary

PREVIEW = ("this reading, not stored yet", 1)  # the preview's key in the history: no page has it
FLAG_WORDS = {
    "no_mark": "no mark found", "multiple_marks": "more than one mark", "crossed_out": "a crossed-out mark",
    "off_line": "a mark beside the line", "faint": "a faint mark", "stray_ink": "ink that is no mark",
}


def _clinical(history: list[Reading], key: Key, settings: Settings) -> dict:
    """The alerts on the sheet `key`, and the client's totals chart, from an ordered history."""
    if not history:
        return {"alerts": [], "chart": ""}
    found = alerts(history, settings)
    series = client_series(history[0].client_code, history, found, settings)
    return {"alerts": [{"code": a.code, "because": a.because} for a in found if a.key == key],
            "chart": svg(totals_chart(series)), "sessions": len(series.rows)}


def reading_view(candidate: Candidate, forms: FormLibrary, store: ResultStore, settings: Settings) -> dict:
    """A confident reading for the page: each item's value or why it needs a person, the total,
    and (when the QR code names the client) the alerts and chart with this session added."""
    result = candidate.result
    spec = forms.get((result.form_id, result.form_version))
    headings = {item.id: item.heading for item in spec.items} if spec else {}
    sheet = result.sheet
    items = [{"item_id": i.item_id, "heading": headings.get(i.item_id, i.item_id),
              "value_cm": None if i.value_cm is None else round(i.value_cm, 1),
              "flags": [FLAG_WORDS.get(f, f.replace("_", " ")) for f in i.flags]} for i in result.items]
    total = result.total_cm()
    view = {"id": candidate.id, "source": candidate.source, "form": result.form_id,
            "serial": sheet.serial if sheet else "", "client_code": sheet.client_code if sheet else "",
            "session": sheet.session if sheet else "", "date": sheet.date if sheet else "",
            "needs_identity": not (sheet and sheet.client_code),
            "page_flags": [f.replace("_", " ") for f in result.flags],
            "items": items, "total": None if total is None else round(sum(v["value_cm"] for v in items), 1),
            "alerts": [], "chart": ""}
    preview = reading(PREVIEW, result, "9999")  # scanned last: after every stored sheet of its session
    if preview is not None:
        history = histories(readings(stored_pages(store))).get(preview.client_code, [])
        view.update(_clinical(order([*history, preview]), PREVIEW, settings))
    return view


def clinical_view(store: ResultStore, settings: Settings, key: Key, page: dict) -> dict:
    """Alerts and chart after the reading was stored (values as stored and reviewed so far)."""
    if not page.get("client_code"):
        return {"alerts": [], "chart": ""}
    history = histories(readings(stored_pages(store))).get(page["client_code"], [])
    return _clinical(history, key, settings)
