"""CSV and JSON writers for page results. One CSV row per input page, in input order.

CSV: file,page,form,sheet_id,client_code,session,date,<item ids>,total,status,flags.
A flagged item has an empty value; `total` is given only when every item has a
value. Text cells that a spreadsheet would run as a formula are neutralised.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Sequence
from dataclasses import asdict

from srs_scan.fileio import write_atomic
from srs_scan.results import PageResult, Status
from srs_scan.sheets.spec import FormLibrary

HEAD = ("file", "page", "form", "sheet_id", "client_code", "session", "date")
TAIL = ("total", "status", "flags")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def item_columns(forms: FormLibrary) -> list[str]:
    """Item ids of every known form, in form order, each once."""
    columns: dict[str, None] = {}
    for spec in forms.values():
        columns.update(dict.fromkeys(spec.item_ids))
    return list(columns)


def safe_cell(text: str) -> str:
    """Text a spreadsheet shows as text: a leading formula character gets a quote before it."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _number(value: float, decimals: int) -> str:
    return f"{value:.{decimals}f}"


def csv_row(result: PageResult, items: Sequence[str], decimals: int) -> dict[str, str]:
    sheet = result.sheet
    row = {
        "file": result.file, "page": str(result.page),
        "form": result.form_id,
        "sheet_id": sheet.serial if sheet else "",
        "client_code": sheet.client_code if sheet else "",
        "session": sheet.session if sheet else "",
        "date": sheet.date if sheet else "",
    }
    values = {item.item_id: item.value_cm for item in result.items}
    shown = {k: round(v, decimals) for k, v in values.items() if v is not None}
    for item_id in items:
        row[item_id] = _number(shown[item_id], decimals) if item_id in shown else ""
    complete = bool(values) and all(v is not None for v in values.values())
    row["total"] = _number(sum(shown.values()), decimals) if complete else ""
    row["status"] = result.status.value
    row["flags"] = result.reason if result.status is Status.ERROR else ";".join(result.all_flags())
    return {key: safe_cell(value) for key, value in row.items()}


def csv_text(results: Iterable[PageResult], forms: FormLibrary, decimals: int = 1) -> str:
    items = item_columns(forms)
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=[*HEAD, *items, *TAIL], lineterminator="\r\n")
    writer.writeheader()
    for result in results:
        writer.writerow(csv_row(result, items, decimals))
    return buffer.getvalue()


def write_csv(path, results: Iterable[PageResult], forms: FormLibrary, decimals: int = 1) -> None:
    write_atomic(path, csv_text(results, forms, decimals).encode("utf-8"))


def result_dict(result: PageResult) -> dict:
    """Everything about a page, for review and audit: every candidate mark with its position."""
    data = asdict(result)
    data["status"] = result.status.value
    data["flags_all"] = list(result.all_flags())
    data["total_cm"] = result.total_cm()
    return data


def write_json(path, results: Iterable[PageResult]) -> None:
    payload = {"pages": [result_dict(r) for r in results]}
    write_atomic(path, (json.dumps(payload, indent=1, ensure_ascii=False) + "\n").encode("utf-8"))
