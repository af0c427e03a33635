"""`srs-scan export --format openfit`: one row per client session in OpenFIT's import layout.

Followed: OpenFIT's support article "Importing data into OpenFIT"
(support.openfit.care/support/solutions/articles/204000000593), in the version that
describes the ORS/SRS score rules with 0/1 skip flags (modified 1 December): per
session `ORS_Skip` and `SRS_Skip` (1 = no survey: every score field blank), and
with skip 0 "Format A": all four subscores `ORSQ1`-`ORSQ4` / `SRSQ1`-`SRSQ4` and a
blank total (`Total_ORS`, `Total_SRS`). Never a 0 as a placeholder, never some
subscores without the others, never subscores with a total.

Only what srs-scan knows is written: `Client_ID` (the opaque client code),
`Session_ID` (the session number) and `Session_Date`. OpenFIT's provider, case and
client-name columns are left for the clinic to add in its own system: srs-scan
holds no names. A session whose ORS or SRS sheet still has an item without a value
(flagged, not yet reviewed) cannot be written in a valid format; it is left out
and counted, so the caller can say so.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from srs_scan.batch.export import Cell, Table
from srs_scan.clinical.history import Reading, sessions

ORS_ORDER = ("individually", "interpersonally", "socially", "overall")  # ORSQ1-ORSQ4
SRS_ORDER = ("relationship", "goals", "approach", "overall")            # SRSQ1-SRSQ4
COLUMNS = ("Client_ID", "Session_ID", "Session_Date",
           "ORS_Skip", "ORSQ1", "ORSQ2", "ORSQ3", "ORSQ4", "Total_ORS",
           "SRS_Skip", "SRSQ1", "SRSQ2", "SRSQ3", "SRSQ4", "Total_SRS")


@dataclass(frozen=True)
class OpenFit:
    table: Table
    incomplete: int      # sessions left out: a sheet still needs review
    no_session: int      # sheets left out: no session number


def openfit_table(histories: Iterable[Sequence[Reading]]) -> OpenFit:
    rows: list[dict[str, Cell]] = []
    incomplete = no_session = 0
    for history in histories:
        for session, when, readings in sessions(history):
            if session is None:
                no_session += len(readings)
                continue
            row: dict[str, Cell] = {"Client_ID": readings[0].client_code, "Session_ID": session,
                                    "Session_Date": _date(when)}
            ok = True
            for measure, order in (("ors", ORS_ORDER), ("srs", SRS_ORDER)):
                sheets = [r for r in readings if r.measure == measure]
                ok = _measure(row, measure.upper(), sheets[-1] if sheets else None, order) and ok
            if ok:
                rows.append(row)
            else:
                incomplete += 1
    return OpenFit(Table(COLUMNS, rows), incomplete, no_session)


def _measure(row: dict[str, Cell], name: str, sheet: Reading | None, order: Sequence[str]) -> bool:
    """Fill one measure's columns; False when the sheet has an item without a value."""
    if sheet is None:
        row[f"{name}_Skip"] = 1
        return True
    values = [sheet.value(item) for item in order]
    if any(v is None for v in values):
        return False
    row[f"{name}_Skip"] = 0
    for n, value in enumerate(values, start=1):
        row[f"{name}Q{n}"] = value
    return True


def _date(text: str) -> Cell:
    first = text.split(",")[0].strip()
    try:
        return date.fromisoformat(first) if first else None
    except ValueError:
        return first
