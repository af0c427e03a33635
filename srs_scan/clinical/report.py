"""The numbers behind `srs-scan report`: pure functions over the clients' histories.

Three sections, each a plain data structure the HTML and PDF writers only lay out:
- the batch: the pages the last run read (the last run that stored any reading: a re-scan of
  files already read stores none), or those read since a date; the alerts on them, what still
  needs review (flagged items, sheets without a client code);
- per client: ORS and SRS totals by session, the four SRS items, the alert history,
  and the outcome from intake to latest ORS by the reliable change index (RCI);
- the caseload: `Figure`s, each with a sentence saying how it is computed.

Rules (public, see settings.py for sources): ORS cut-off by age band, ORS RCI
(`ors.reliable_change`), reliably improved / recovered / worse as Jacobson-style
categories (OpenFIT KA-01031); pre-post effect size = mean change / SD of intake.
Only values a person can see on the sheets are used: a missing total is never guessed.
Client codes only; nothing here prints or writes.
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from srs_scan.batch.store import Run
from srs_scan.clinical.alerts import Alert
from srs_scan.clinical.history import Key, Reading, age_band, sessions
from srs_scan.clinical.records import StoredReading
from srs_scan.clinical.settings import Settings
from srs_scan.results import DUPLICATE_SHEET, Status
from srs_scan.review.decisions import INCOMPLETE, NO_ANSWER

SRS_ITEMS = ("relationship", "goals", "approach", "overall")
OUTCOMES = ("recovered", "improved", "unchanged", "worse")
OUTCOME_WORDS = {
    "recovered": "reliably improved and crossed the cut-off (recovered)",
    "improved": "reliably improved, still below the cut-off",
    "unchanged": "no reliable change",
    "worse": "reliably worse",
}


@dataclass(frozen=True)
class Figure:
    label: str
    value: str
    how: str          # one sentence: how the figure is computed


@dataclass(frozen=True)
class AlertLine:
    client: str
    session: int | None
    measure: str      # "ors" / "srs"
    code: str
    because: str      # the numbers behind it


@dataclass(frozen=True)
class SessionRow:
    session: int | None
    date: str
    ors: float | None                 # total, None when missing or incomplete
    srs: float | None
    srs_items: tuple[float | None, ...]   # in SRS_ITEMS order
    alerts: tuple[str, ...]


@dataclass(frozen=True)
class ClientSeries:
    code: str
    band: str
    cutoff: float
    rci: float
    srs_cutoff: float
    low_item: float
    rows: tuple[SessionRow, ...]
    alerts: tuple[AlertLine, ...]
    outcome: str                      # one of OUTCOMES, or "" when there is no intake and later ORS
    intake_ors: float | None
    latest_ors: float | None


@dataclass(frozen=True)
class Batch:
    scope: str                        # which pages, in words: the last run (what, when, how many) or a date
    pages: int
    ok: int
    review: int
    not_a_form: int
    duplicates: int
    alerts: tuple[AlertLine, ...]
    to_review: tuple[str, ...]        # "client C042 session 3 SRS: goals" (no file names: they may hold names)
    no_client_code: int = 0           # sheets still waiting for a client code typed in review


def alert_lines(history: Sequence[Reading], found: Sequence[Alert]) -> list[AlertLine]:
    """Alerts in history order, each with the client, session and measure of its sheet."""
    place = {r.key: n for n, r in enumerate(history)}
    where = {r.key: r for r in history}
    return [AlertLine(where[a.key].client_code, where[a.key].session, where[a.key].measure, a.code, a.because)
            for a in sorted(found, key=lambda a: place.get(a.key, 0)) if a.key in where]


def _first_total(history: Sequence[Reading], measure: str) -> float | None:
    """The first sheet of that measure (the intake); None when it has no total."""
    first = next((r for r in history if r.measure == measure), None)
    return None if first is None else first.total


def outcome(history: Sequence[Reading], settings: Settings) -> tuple[str, float | None, float | None]:
    """(category, intake ORS, latest ORS): the change from the intake ORS to the latest later ORS
    with a total, against the RCI and the cut-off of the client's age band. '' when the intake
    ORS has no total or no later ORS has one."""
    ors = [r for r in history if r.measure == "ors"]
    intake = ors[0].total if ors else None
    later = [r.total for r in ors[1:] if r.total is not None]
    if intake is None or not later:
        return "", intake, None
    latest = later[-1]
    change, rci = latest - intake, settings.number("ors.reliable_change")
    cutoff = settings.ors_cutoff(age_band(history))
    if change >= rci - 1e-9:
        return ("recovered" if intake < cutoff <= latest else "improved"), intake, latest
    if -change >= rci - 1e-9:
        return "worse", intake, latest
    return "unchanged", intake, latest


def client_series(code: str, history: Sequence[Reading], found: Sequence[Alert],
                  settings: Settings) -> ClientSeries:
    codes: dict[Key, list[str]] = {}
    for a in found:
        codes.setdefault(a.key, []).append(a.code)
    rows = []
    for session, date, readings in sessions(history):
        ors = next((r for r in readings if r.measure == "ors"), None)
        srs = next((r for r in readings if r.measure == "srs"), None)
        rows.append(SessionRow(
            session, date, ors.total if ors else None, srs.total if srs else None,
            tuple(srs.value(i) if srs else None for i in SRS_ITEMS),
            tuple(c for r in readings for c in codes.get(r.key, ()))))
    band = age_band(history)
    category, intake, latest = outcome(history, settings)
    return ClientSeries(code, band, settings.ors_cutoff(band), settings.number("ors.reliable_change"),
                        settings.number("srs.low_total"), settings.number("srs.low_item"), tuple(rows),
                        tuple(alert_lines(history, found)), category, intake, latest)


def _mean(values: Sequence[float]) -> str:
    return f"{statistics.fmean(values):.1f}" if values else "-"


def _share(n: int, of: int) -> str:
    return f"{n} of {of} ({100 * n / of:.0f} %)" if of else "-"


def caseload(by_client: Mapping[str, Sequence[Reading]], settings: Settings) -> list[Figure]:
    """The caseload figures over every client given, each with how it is computed."""
    bands: dict[str, int] = {}
    for history in by_client.values():
        bands[age_band(history)] = bands.get(age_band(history), 0) + 1
    groups = {code: sessions(h) for code, h in by_client.items()}
    n_sessions = sum(len(g) for g in groups.values())
    intake_ors = [t for h in by_client.values() if (t := _first_total(h, "ors")) is not None]
    intake_srs = [t for h in by_client.values() if (t := _first_total(h, "srs")) is not None]
    results = [outcome(h, settings) for h in by_client.values()]
    rated = [(c, i, l) for c, i, l in results if c]
    no_ors = sum(1 for g in groups.values() for _, _, rs in g if not any(r.measure == "ors" for r in rs))
    no_srs = sum(1 for g in groups.values() for _, _, rs in g if not any(r.measure == "srs" for r in rs))
    no_total = sum(1 for h in by_client.values() for r in h if r.measure and r.total is None)
    rci = settings.number("ors.reliable_change")
    figures = [
        Figure("Clients", f"{len(by_client)} ("
               + ", ".join(f"{band} {n}" for band, n in sorted(bands.items())) + ")",
               "Distinct client codes with at least one ORS or SRS sheet, by the age band of the "
               "intake ORS (adult when none is given)."),
        Figure("Sessions", str(n_sessions),
               "Distinct session numbers per client (sheets without a session number count by date), "
               "summed over clients."),
        Figure("Average sessions per client", f"{n_sessions / len(by_client):.1f}" if by_client else "-",
               "Sessions divided by clients."),
        Figure("Average intake ORS", _mean(intake_ors),
               f"Mean total (0-40) of each client's first ORS, over the {len(intake_ors)} clients whose "
               f"first ORS has every item."),
        Figure("Average intake SRS", _mean(intake_srs),
               f"Mean total (0-40) of each client's first SRS, over the {len(intake_srs)} clients whose "
               f"first SRS has every item."),
    ]
    for category in OUTCOMES:
        n = sum(1 for c, _, _ in rated if c == category)
        figures.append(Figure(f"Share {OUTCOME_WORDS[category]}", _share(n, len(rated)),
                              _outcome_how(category, rci, len(rated), len(by_client))))
    changes = [latest - intake for _, intake, latest in rated if intake is not None and latest is not None]
    intakes = [intake for _, intake, _ in rated if intake is not None]
    effect = "-"
    if len(intakes) >= 2 and statistics.stdev(intakes) > 0:
        effect = f"{statistics.fmean(changes) / statistics.stdev(intakes):.2f}"
    figures += [
        Figure("Pre-post effect size", effect,
               f"Mean change (latest ORS minus intake ORS) divided by the standard deviation (n-1) of "
               f"the intake ORS, over the same {len(rated)} clients; not severity-adjusted."),
        Figure("Sessions without an ORS sheet", str(no_ors), "Sessions that have an SRS but no ORS sheet."),
        Figure("Sessions without an SRS sheet", str(no_srs), "Sessions that have an ORS but no SRS sheet."),
        Figure("Sheets without a total", str(no_total),
               "ORS or SRS sheets with an item still flagged or left blank (run srs-scan review); "
               "they are left out of every figure above that needs a total."),
    ]
    return figures


def _outcome_how(category: str, rci: float, rated: int, clients: int) -> str:
    rule = {
        "recovered": f"latest ORS at least {rci:g} (the RCI) above intake, intake below the client's "
                     f"age-band cut-off and latest at or above it",
        "improved": f"latest ORS at least {rci:g} above intake, without crossing the cut-off from below",
        "unchanged": f"latest ORS less than {rci:g} from intake either way",
        "worse": f"latest ORS at least {rci:g} below intake",
    }[category]
    return (f"Clients whose {rule}; out of the {rated} of {clients} clients with an intake ORS total "
            f"and a later ORS total.")


def default_since(pages: Sequence[StoredReading]) -> str:
    """The UTC day of the newest reading in the store (the last scanning day); '' for no pages."""
    return max((p.scanned_at for p in pages), default="")[:10]


def _when(iso: str, day: str = "") -> str:
    """An ISO time as `2026-12-02 09:14 UTC`; only `09:14` when it is on `day`."""
    text = iso[:16].replace("T", " ")
    return text[11:] if day and text.startswith(day) else f"{text} UTC" if not day else text


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def batch_pages(pages: Sequence[StoredReading], runs: Sequence[Run],
                since: str = "") -> tuple[str, list[StoredReading]]:
    """The pages of "today's batch" and what they are, in words. With `since` (an ISO date): the
    pages read on or after it. Else the last run that stored any reading (a run whose files were
    all read before stores none: it is named, not shown empty). A store whose readings predate
    runs: the UTC day of the newest reading."""
    if since:
        return f"Pages read since {since}.", [p for p in pages if p.scanned_at >= since]
    stored = {p.run for p in pages if p.run is not None}
    last = max((r for r in runs if r.id in stored), key=lambda r: r.id, default=None)
    if last is None:
        day = default_since(pages)
        return (f"Pages read since {day or '(no pages yet)'} (UTC), the last day pages were read; "
                "no scan run is recorded for them (read before srs-scan recorded runs).",
                [p for p in pages if p.scanned_at >= day])
    chosen = [p for p in pages if p.run == last.id]
    end = f"to {_when(last.finished, last.started[:10])}" if last.finished else "(stopped before it finished)"
    words = (f"Pages read in the last scan run: srs-scan {last.command}, {_when(last.started)} {end}, "
             f"{_plural(len(chosen), 'page')} read.")
    later = [r for r in runs if r.id > last.id]
    if later:
        words += (f" {_plural(len(later), 'later run')} (the last {_when(later[-1].started)}) read no new "
                  "pages: their files had been read before.")
    return words, chosen


def batch(recent: Sequence[StoredReading], by_client: Mapping[str, Sequence[Reading]],
          found: Sequence[Alert], scope: str) -> Batch:
    """The pages of `recent` (`batch_pages`): their alerts, what still needs review, the counts."""
    keys = {p.key for p in recent}
    readings = {r.key: r for h in by_client.values() for r in h}
    lines = [line for h in by_client.values()
             for line in alert_lines(h, [a for a in found if a.key in keys and a.key in {r.key for r in h}])]
    to_review = []
    no_code = 0
    for p in recent:
        r, sheet = readings.get(p.key), p.result.sheet
        kind = (r.measure.upper() if r else "") or (p.result.form_id or "page").upper()
        flagged = [i.item_id for i in p.result.items if i.flags and NO_ANSWER not in i.flags] + \
            list(p.result.flags) if p.status == Status.REVIEW.value else []
        missing = p.status in (Status.OK.value, Status.REVIEW.value, INCOMPLETE) and not (sheet and sheet.client_code)
        if not flagged and not missing:
            continue
        no_code += missing
        serial = f" (sheet {sheet.serial})" if sheet and sheet.serial else ""
        where = (f"client {r.client_code} session {r.session if r.session is not None else '?'} {kind}"
                 if r else f"{kind} sheet without a client code{serial}")
        to_review.append(f"{where}: " + "; ".join([", ".join(flagged)] * bool(flagged)
                                                  + ["type its client code in"] * missing))
    statuses = [p.status for p in recent]
    return Batch(scope, len(recent), statuses.count(Status.OK.value), statuses.count(Status.REVIEW.value),
                 statuses.count(Status.NOT_A_FORM.value),
                 sum(1 for p in recent if DUPLICATE_SHEET in p.result.flags), tuple(lines), tuple(to_review),
                 no_code)
