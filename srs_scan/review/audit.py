"""`srs-scan audit`: every change made in review, in the order made, one line each.

Two trails make it up: the review decisions (`reviews`: a value, a mark, no answer, accept,
not a form, drop) and the identity entries (`identities`: a client code, session or date typed
for a sheet without one). Each line says when, who, which file and page, which sheet, what
(an item, `(page)`, or `identity client_code` ...), old -> new, and why. Client codes appear
here because the person asked for this list; they are never logged. Lines are plain text:
`cli.py` prints them through `text.visible`, so nothing in them is run by the terminal.
"""

from __future__ import annotations

from dataclasses import dataclass

from srs_scan.batch.store import ResultStore
from srs_scan.review.decisions import ReviewLog
from srs_scan.review.identity import IdentityLog, identity_queue


@dataclass(frozen=True)
class AuditLine:
    at: str          # ISO time, UTC
    order: int       # the row's id within its trail (decisions before identities at the same second)
    text: str


def _cm(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def audit_lines(store: ResultStore) -> list[str]:
    """Every review decision and identity entry, oldest first."""
    log = ReviewLog(store)
    places = {}
    for stored in log.pages():
        sheet = stored.result.sheet
        places[(stored.content_hash, stored.result.page)] = (
            f"{stored.result.file} p{stored.result.page}",
            f"sheet {sheet.serial}" if sheet and sheet.serial else "no sheet code")
    gone = ("(page no longer stored)", "")
    lines = []
    for d in log.decisions():
        where, sheet = places.get((d.content_hash, d.page), gone)
        lines.append(AuditLine(d.at, d.id, f"{d.at}  {d.reviewer}  {where}  {sheet}  {d.item_id or '(page)'}  "
                                           f"{_cm(d.old_value)} -> {_cm(d.new_value)}  {d.action}  {d.reason}"))
    for e in IdentityLog(store).entries():
        where, sheet = places.get((e.content_hash, e.page), gone)
        lines.append(AuditLine(e.at, 1 << 62 | e.id,
                               f"{e.at}  {e.reviewer}  {where}  {sheet}  identity {e.field}  "
                               f"{e.old_value or '-'} -> {e.new_value or '-'}  typed in review"))
    return [line.text for line in sorted(lines, key=lambda line: (line.at, line.order))]


def sheets_without_client_code(store: ResultStore) -> int:
    """How many read sheets still need a client code typed in review."""
    log = ReviewLog(store)
    return sum(not u.settled for u in identity_queue(log, list(log.pages())))
