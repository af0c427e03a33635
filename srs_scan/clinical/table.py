"""One client's sessions as a plain-text table for the terminal (`srs-scan client`).

Rows are sessions in order (session number, then date); each shows the ORS items
and total, the SRS items and total, and the alert codes on that session's sheets.
A value that is missing (flagged and not yet reviewed, or left blank) shows as
`-`, never as a number. This module builds text; the CLI prints it.
"""

from __future__ import annotations

from collections.abc import Sequence

from srs_scan.clinical.alerts import Alert
from srs_scan.clinical.history import Reading, age_band, sessions
from srs_scan.clinical.settings import Settings

ORS_ITEMS = ("individually", "interpersonally", "socially", "overall")
SRS_ITEMS = ("relationship", "goals", "approach", "overall")
SHORT = {"individually": "indiv", "interpersonally": "inter", "socially": "social",
         "relationship": "relat", "overall": "overall", "goals": "goals", "approach": "approach"}
MISSING = "-"


def client_table(code: str, history: Sequence[Reading], found: Sequence[Alert], settings: Settings) -> str:
    band = age_band(history)
    codes: dict = {}
    for a in found:
        codes.setdefault(a.key, []).append(a.code)
    head = ["session", "date",
            *(f"O.{SHORT[i]}" for i in ORS_ITEMS), "O.total",
            *(f"S.{SHORT[i]}" for i in SRS_ITEMS), "S.total", "alerts"]
    rows: list[list[str]] = []
    for session, date, readings in sessions(history):
        ors = [r for r in readings if r.measure == "ors"] or [None]
        srs = [r for r in readings if r.measure == "srs"] or [None]
        for n in range(max(len(ors), len(srs))):
            o = ors[n] if n < len(ors) else None
            s = srs[n] if n < len(srs) else None
            alert_codes = [c for r in (o, s) if r is not None for c in codes.get(r.key, ())]
            rows.append([str(session) if session is not None else "?", date or MISSING,
                         *_cells(o, ORS_ITEMS), *_cells(s, SRS_ITEMS), _compact(alert_codes)])
    widths = [max(len(row[i]) for row in (head, *rows)) for i in range(len(head))]
    lines = [f"client {code} ({band}; ORS cut-off {settings.ors_cutoff(band):g}): "
             f"{len(rows)} session rows from {len(history)} sheets"]
    for row in (head, ["-" * w for w in widths], *rows):
        lines.append("  ".join(cell.rjust(w) if i < len(row) - 1 else cell
                               for i, (cell, w) in enumerate(zip(row, widths))).rstrip())
    lines.append(f"O. = ORS, S. = SRS (cm, 0-10 per item); {MISSING} = no value (a flagged item not "
                 f"yet reviewed, or no sheet)")
    if found:
        lines.append("")
        lines.append("alerts:")
        where = {r.key: r for r in history}
        place = {r.key: n for n, r in enumerate(history)}
        for a in sorted(found, key=lambda a: place[a.key]):
            r = where[a.key]
            lines.append(f"  session {r.session if r.session is not None else '?'} {r.measure.upper()}: "
                         f"{a.code} ({a.because})")
    return "\n".join(lines)


def _compact(codes: Sequence[str]) -> str:
    """srs_low_item:goals, srs_low_item:approach -> srs_low_item:goals,approach (the table only)."""
    low = [c.split(":", 1)[1] for c in codes if c.startswith("srs_low_item:")]
    rest = [c for c in codes if not c.startswith("srs_low_item:")]
    return " ".join([*rest, *([f"srs_low_item:{','.join(low)}"] if low else [])])


def _cells(r: Reading | None, items: Sequence[str]) -> list[str]:
    if r is None:
        return [MISSING] * (len(items) + 1)
    values = [r.value(i) for i in items]
    total = r.total
    return [*(MISSING if v is None else f"{v:.1f}" for v in values), MISSING if total is None else f"{total:.1f}"]
