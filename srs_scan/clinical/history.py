"""A client's history: every reading with that client code, across all batches, in session order.

A `Reading` is one sheet as a clinician sees it: which measure (ORS or SRS), the
client code, session number, date and age band (from the QR code, or typed in
review), the item values after review (None where an item is still flagged or
was left blank: never a guess) and the total (only when every item has a value).
Values are in cm to 0.1, as a ruler reads them; the total is the sum of those.

The history is ordered by session number, then date, then when the page was
scanned, so the order sheets were scanned in does not matter. Pages that are
not forms, sheets fed a second time (same serial) and pages with no client code
are left out. This module reads data and returns data; it prints nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from srs_scan.results import DUPLICATE_SHEET, PageResult, Status

MEASURES = ("ors", "srs")
Key = tuple[str, int]  # (content hash, page): a page in the results store


@dataclass(frozen=True)
class Reading:
    key: Key
    measure: str                          # "ors", "srs", or "" for another form
    form_id: str
    client_code: str
    session: int | None
    date: str                             # ISO date or ""
    age_band: str                         # "" = adult
    items: tuple[tuple[str, float | None], ...]
    scanned_at: str                       # when the page was read (ISO, UTC)

    @property
    def total(self) -> float | None:
        values = [v for _, v in self.items]
        if not values or any(v is None for v in values):
            return None
        return round(sum(v for v in values if v is not None), 1)

    def value(self, item_id: str) -> float | None:
        return dict(self.items).get(item_id)


def measure_of(form_id: str) -> str:
    """ors and srs, and a clinic's licensed copies named ors-... / srs-...; '' for other forms."""
    head = form_id.split("-", 1)[0].lower()
    return head if head in MEASURES else ""


def reading(key: Key, result: PageResult, scanned_at: str) -> Reading | None:
    """The page as a history entry (values as reviewed), or None when it belongs to no history."""
    sheet = result.sheet
    if (result.status in (Status.NOT_A_FORM, Status.ERROR) or DUPLICATE_SHEET in result.flags
            or sheet is None or not sheet.client_code):
        return None
    items = tuple((item.item_id, None if item.value_cm is None else round(item.value_cm, 1))
                  for item in result.items)
    session = int(sheet.session) if sheet.session.isdigit() else None
    return Reading(key, measure_of(result.form_id), result.form_id, sheet.client_code, session,
                   sheet.date, sheet.age_band, items, scanned_at)


def order(readings: Iterable[Reading]) -> list[Reading]:
    """Session number, then date, then scan time; sheets without a session number last."""
    return sorted(readings, key=lambda r: (r.session is None, r.session or 0, r.date or "9999",
                                           r.scanned_at, r.key))


def histories(readings: Iterable[Reading]) -> dict[str, list[Reading]]:
    """Each client's readings, in order."""
    by_client: dict[str, list[Reading]] = {}
    for r in readings:
        by_client.setdefault(r.client_code, []).append(r)
    return {code: order(rs) for code, rs in by_client.items()}


def age_band(history: Sequence[Reading]) -> str:
    """The band of the intake ORS, else of any sheet that has one, else adult."""
    ors = [r for r in history if r.measure == "ors"]
    for r in (*ors[:1], *history):
        if r.age_band:
            return r.age_band
    return "adult"


def sessions(history: Sequence[Reading]) -> list[tuple[int | None, str, list[Reading]]]:
    """The history grouped by (session, date): the ORS and SRS of one session together."""
    groups: dict[tuple[int | None, str], list[Reading]] = {}
    for r in history:
        groups.setdefault((r.session, r.date if r.session is None else ""), []).append(r)
    out = []
    for (session, _), rs in groups.items():
        dates = sorted({r.date for r in rs if r.date})
        out.append((session, ", ".join(dates), rs))
    return out
