"""Readings from the clinic's results store, as reviewed, and the alerts on every sheet.

Joins the store (page readings), the review decisions (values a person settled)
and the identities typed in review, then hands the result to the pure functions
of `history.py` and `alerts.py`. Nothing here prints or writes.
"""

from __future__ import annotations

from dataclasses import dataclass

from srs_scan.batch.store import ResultStore
from srs_scan.clinical.alerts import Alert, alerts, by_sheet
from srs_scan.clinical.history import Key, Reading, histories, reading
from srs_scan.clinical.settings import Settings
from srs_scan.results import PageResult
from srs_scan.review.decisions import ReviewLog, reviewed_result, reviewed_status
from srs_scan.review.identity import IdentityLog, with_identity


@dataclass(frozen=True)
class StoredReading:
    key: Key
    scanned_at: str
    result: PageResult        # as reviewed, with any typed identity
    reviewers: tuple[str, ...]
    run: int | None = None    # the run that stored the reading (None: stored before runs were kept)
    status: str = ""          # as reviewed (decisions.reviewed_status): ok, review, incomplete, ...


def stored_pages(store: ResultStore) -> list[StoredReading]:
    """Every page in the store (oldest batch first), with review decisions and typed identities."""
    log = ReviewLog(store)
    typed = IdentityLog(store).typed()
    runs = store.page_runs()
    out = []
    for stored in log.pages():
        key = (stored.content_hash, stored.result.page)
        decisions = log.decisions(*key)
        latest = {d.item_id: d for d in decisions}
        result = reviewed_result(stored.result, latest)
        out.append(StoredReading(key, stored.read_at, with_identity(result, typed.get(key, {})),
                                 tuple(dict.fromkeys(d.reviewer for d in decisions)), runs.get(key),
                                 reviewed_status(result, latest)))
    return out


def readings(pages: list[StoredReading]) -> list[Reading]:
    return [r for p in pages if (r := reading(p.key, p.result, p.scanned_at)) is not None]


def all_alerts(pages: list[StoredReading], settings: Settings) -> list[Alert]:
    return [a for history in histories(readings(pages)).values() for a in alerts(history, settings)]


def alerts_by_sheet(pages: list[StoredReading], settings: Settings) -> dict[Key, tuple[str, ...]]:
    return by_sheet(all_alerts(pages, settings))
