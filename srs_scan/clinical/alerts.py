"""Alert rules: small pure functions over one client's ordered history.

Each rule reads the history (`history.order`) and the clinic's settings and
returns `Alert`s, each on the sheet it is about, with the numbers behind it.
An alert needs every value it rests on: a flagged or blank item, or a missing
total, gives no alert (a clinician sees the value is missing instead). Because
every rule looks at the whole history, the alerts are the same whatever order
the sheets were scanned in, and they change when a review changes a value.

Codes (README, "Alerts"): srs_low_total, srs_low_item:ITEM, srs_drop,
ors_above_cutoff, ors_reliable_decline, ors_no_gain.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from srs_scan.clinical.history import Key, Reading, age_band
from srs_scan.clinical.settings import Settings


@dataclass(frozen=True)
class Alert:
    key: Key          # the sheet the alert is about
    code: str
    because: str      # the numbers behind it, in words


def srs_low_total(history: Sequence[Reading], s: Settings) -> list[Alert]:
    return [Alert(r.key, "srs_low_total", f"SRS total {r.total:.1f} {s['srs.low_total_compare']} "
                                         f"{s.number('srs.low_total'):g}")
            for r in _srs(history) if r.total is not None and s.below(r.total, "srs.low_total")]


def srs_low_item(history: Sequence[Reading], s: Settings) -> list[Alert]:
    return [Alert(r.key, f"srs_low_item:{item}", f"SRS {item} {value:.1f} {s['srs.low_item_compare']} "
                                                f"{s.number('srs.low_item'):g}")
            for r in _srs(history) for item, value in r.items
            if value is not None and s.below(value, "srs.low_item")]


def srs_drop(history: Sequence[Reading], s: Settings) -> list[Alert]:
    """A total at least `srs.drop` below the client's previous SRS (that one must have a total too)."""
    alerts = []
    srs = _srs(history)
    for before, now in zip(srs, srs[1:]):
        if before.total is not None and now.total is not None and \
                before.total - now.total >= s.number("srs.drop") - 1e-9:
            alerts.append(Alert(now.key, "srs_drop", f"SRS total {now.total:.1f}, "
                                                     f"previous {before.total:.1f}"))
    return alerts


def ors_above_cutoff(history: Sequence[Reading], s: Settings) -> list[Alert]:
    """The intake (first) ORS at or above the cut-off of the client's age band: a validity check."""
    intake = _intake(history)
    if intake is None or intake.total is None:
        return []
    band = age_band(history)
    cutoff = s.ors_cutoff(band)
    if intake.total < cutoff:
        return []
    return [Alert(intake.key, "ors_above_cutoff", f"intake ORS {intake.total:.1f} >= {cutoff:g} ({band})")]


def ors_reliable_decline(history: Sequence[Reading], s: Settings) -> list[Alert]:
    intake = _intake(history)
    if intake is None or intake.total is None:
        return []
    rci = s.number("ors.reliable_change")
    return [Alert(r.key, "ors_reliable_decline", f"ORS {r.total:.1f}, intake {intake.total:.1f}")
            for r in _ors(history)[1:] if r.total is not None and intake.total - r.total >= rci - 1e-9]


def ors_no_gain(history: Sequence[Reading], s: Settings) -> list[Alert]:
    """On each ORS from session `ors.no_gain_session` on, while no ORS so far has risen by the
    reliable change index above intake. Any missing total so far: no alert (it may have been the gain)."""
    ors = _ors(history)
    if not ors or ors[0].total is None:
        return []
    intake, rci, by = ors[0].total, s.number("ors.reliable_change"), int(s["ors.no_gain_session"])
    alerts = []
    for n, r in enumerate(ors[1:], start=1):
        so_far = [x.total for x in ors[1:n + 1]]
        if any(t is None for t in so_far):
            break
        best = max(t for t in so_far if t is not None)
        if best - intake >= rci - 1e-9:
            break
        if r.session is not None and r.session >= by:
            alerts.append(Alert(r.key, "ors_no_gain", f"by session {r.session} best ORS {best:.1f}, "
                                                      f"intake {intake:.1f}"))
    return alerts


RULES: tuple[Callable[[Sequence[Reading], Settings], list[Alert]], ...] = (
    srs_low_total, srs_low_item, srs_drop, ors_above_cutoff, ors_reliable_decline, ors_no_gain)


def alerts(history: Sequence[Reading], settings: Settings) -> list[Alert]:
    """Every rule over one client's ordered history."""
    return [alert for rule in RULES for alert in rule(history, settings)]


def by_sheet(found: Sequence[Alert]) -> dict[Key, tuple[str, ...]]:
    out: dict[Key, list[str]] = {}
    for a in found:
        out.setdefault(a.key, []).append(a.code)
    return {k: tuple(v) for k, v in out.items()}


def _srs(history: Sequence[Reading]) -> list[Reading]:
    return [r for r in history if r.measure == "srs"]


def _ors(history: Sequence[Reading]) -> list[Reading]:
    return [r for r in history if r.measure == "ors"]


def _intake(history: Sequence[Reading]) -> Reading | None:
    ors = _ors(history)
    return ors[0] if ors else None
