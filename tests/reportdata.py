"""Test helper (dev only): a simulated clinic history written straight into a results store
(page readings as the reader would store them), with no images to draw or scan."""

from __future__ import annotations

from pathlib import Path

from srs_scan.batch import ledger
from srs_scan.batch.store import ResultStore
from srs_scan.results import ItemResult, PageResult
from srs_scan.sheets.sheetid import SheetId

ORS_ITEMS = ("individually", "interpersonally", "socially", "overall")
SRS_ITEMS = ("relationship", "goals", "approach", "overall")

# client -> (age band, [(session, date, ORS items or None, SRS items or None)]); None in items = flagged
HISTORY = {
    "C042": ("", [(1, "2026-11-02", (5.0, 5.5, 6.0, 5.5), (9.6, 9.7, 9.5, 9.7)),
                  (2, "2026-11-09", (6.0, 6.0, 6.0, 6.0), (9.5, 9.5, 9.4, 9.6)),
                  (3, "2026-11-16", (5.5, 5.0, 5.5, 5.0), (8.5, 8.0, 8.0, 8.5)),
                  (4, "2026-11-23", (3.5, 4.0, 4.0, 4.0), (7.5, 7.0, 7.0, 7.5))]),
    "K7": ("child", [(1, "2026-11-03", (4.0, 4.5, 4.0, 4.5), (9.5, 9.5, 9.5, 9.5)),
                     (2, "2026-11-10", (6.5, 7.0, 7.0, 7.5), (9.8, 9.6, 9.7, 9.9)),
                     (3, "2026-11-17", (8.0, 8.5, 8.0, 8.5), None)]),
    "B19": ("adolescent", [(1, "2026-11-04", (7.5, 7.0, 7.5, 7.0), (9.0, 9.2, 9.1, 9.3)),
                           (2, "2026-11-11", (7.0, 7.5, 7.0, 7.5), (9.1, None, 9.2, 9.4))]),
}


def page(n: int, form: str, client: str, session: int, date: str, band: str,
         values: tuple[float | None, ...]) -> PageResult:
    items = tuple(ItemResult(item, v, () if v is not None else ("no_mark",))
                  for item, v in zip(ORS_ITEMS if form == "ors" else SRS_ITEMS, values))
    sheet = SheetId(form, 1, f"{form[0].upper()}{n:07d}", client, str(session), date, band)
    return PageResult(f"scan{n}.pdf", 1, form, 1, sheet, items)


def write_history(db: Path, history=HISTORY, read_at: str = "2026-11-30T09:00:00+00:00",
                  last: str = "2026-12-01T09:00:00+00:00") -> None:
    """Every sheet into the store; the last session of each client read on `last`, the rest on `read_at`."""
    n = 0
    with ResultStore(db) as store:
        for client, (band, rows) in history.items():
            for i, (session, date, ors, srs) in enumerate(rows):
                for form, values in (("ors", ors), ("srs", srs)):
                    if values is None:
                        continue
                    n += 1
                    store.put(f"{n:064x}", page(n, form, client, session, date, band, values))
                    with store.transaction():  # a change the store's chain seals, as srs-scan's own
                        store.db.execute("UPDATE pages SET read_at=? WHERE content_hash=?",
                                         (last if i == len(rows) - 1 else read_at, f"{n:064x}"))
                        ledger.record_rowid(store.db, "pages", store.db.execute(
                            "SELECT rowid FROM pages WHERE content_hash=?", (f"{n:064x}",)).fetchone()[0])
