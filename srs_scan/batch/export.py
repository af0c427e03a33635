"""The one writer of result tables: CSV or an .xlsx workbook (and JSON details) for scan, watch,
export and the simulator.

A table is a tuple of column names and rows of typed cells (`Cell`): `str` is text,
`int` a whole number, `float` a value in cm shown with `CsvFormat.decimals`, `date`
and `datetime` dates, `None` an empty cell. Every command builds its rows with
`page_cells` (one row per page: file,page,form,sheet_id,client_code,session,date,
<item ids>,total,status,flags) and may add columns of its own: a column is a name
in the column tuple and a key in the row (a missing key is an empty cell).

What a spreadsheet gets, whatever its delimiter and locale settings:
- every text cell quoted; numbers and dates bare, so they import as numbers and dates;
- control and format characters (tab, CR, LF, the rest of Unicode Cc, Cf, Zl, Zp) in
  text shown as U+FFFD, so no cell can split a row or hide text;
- a text cell whose first non-blank character starts a formula gets a `'` before it, and
  so does every piece after a `,` `;` or `|` inside it (each part of a joined cell, and
  what a reader splitting on another delimiter, or ignoring quotes, would see as a cell);
- lists (flags, reviewer names) joined with `LIST_SEPARATOR`, which is no delimiter;
- `delimiter` `,` `;` or tab; `decimal_comma` writes 8,5 for the spreadsheets of much
  of Europe (not with the `,` delimiter).

A workbook (`-o results.xlsx`) needs none of that: each cell is written with its type.

This module does not read pages or decide what a value is; it only writes them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from datetime import date, datetime
from pathlib import Path

from srs_scan.fileio import write_atomic
from srs_scan.results import PageResult, Status
from srs_scan.sheets.spec import FormLibrary
from srs_scan.text import visible

Cell = str | int | float | date | datetime | None

HEAD = ("file", "page", "form", "sheet_id", "client_code", "session", "date")
TAIL = ("total", "status", "flags")
DELIMITERS = {",": "comma", ";": "semicolon", "\t": "tab"}
LIST_SEPARATOR = " | "   # joins flags and names: not a delimiter of any spreadsheet import
FORMULA_STARTS = ("=", "+", "-", "@", "\uff1d", "\uff0b", "\uff0d", "\uff20")  # and full-width forms
LINE_END = "\r\n"        # RFC 4180
MAX_UNAMBIGUOUS_DECIMALS = 2  # 8.505 / 8,505 reads as 8505 where that mark groups thousands


@dataclass(frozen=True)
class CsvFormat:
    """How numbers and cells are written: the one place for delimiter, decimal mark and decimals."""

    delimiter: str = ","
    decimal_comma: bool = False
    decimals: int = 1

    def __post_init__(self) -> None:
        if self.delimiter not in DELIMITERS:
            raise ValueError("the delimiter must be ',', ';' or a tab")
        if self.decimal_comma and self.delimiter == ",":
            raise ValueError("a decimal comma needs another delimiter: use ';' or tab")

    def ambiguous(self) -> bool:
        """More decimals than a reader with the other decimal mark can tell from thousands."""
        return self.decimals > MAX_UNAMBIGUOUS_DECIMALS


@dataclass(frozen=True)
class Table:
    columns: tuple[str, ...]
    rows: list[dict[str, Cell]]


# ---------------------------------------------------------------- text cells


_FORMULA_AFTER = re.compile(r"(^|[,;|])(\s*)(?=[" + re.escape("".join(FORMULA_STARTS)) + "])")


def safe_cell(text: str) -> str:
    """Text a spreadsheet shows as text: control characters visible, and a `'` before a formula
    character that starts the cell or follows a `,` `;` or `|` (where a reader that splits on it,
    quotes or not, would start a new cell)."""
    return _FORMULA_AFTER.sub(r"\1'\2", visible(text))


def joined(parts: Iterable[str]) -> str:
    """One cell listing `parts`: each part safe on its own, none containing the separator."""
    sep = LIST_SEPARATOR.strip()
    return LIST_SEPARATOR.join(safe_cell(p.replace(sep, "\u00a6")) for p in parts if p)


def split_list(cell: str) -> list[str]:
    """The parts of a joined cell (flags, names), as `joined` wrote them."""
    return [p.strip() for p in (cell or "").split(LIST_SEPARATOR.strip()) if p.strip()]


# ---------------------------------------------------------------- rows


def item_columns(forms: FormLibrary) -> list[str]:
    """Item ids of every known form, in form order, each once."""
    columns: dict[str, None] = {}
    for spec in forms.values():
        columns.update(dict.fromkeys(spec.item_ids))
    return list(columns)


def result_columns(forms: FormLibrary) -> tuple[str, ...]:
    return (*HEAD, *item_columns(forms), *TAIL)


def _session(text: str) -> Cell:
    return int(text) if text.isascii() and text.isdigit() else (text or None)


def _date(text: str) -> Cell:
    try:
        return date.fromisoformat(text) if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text) else (text or None)
    except ValueError:
        return text


def page_cells(result: PageResult, items: Sequence[str], decimals: int) -> dict[str, Cell]:
    """One page's row. Values are rounded to `decimals`; the total is the sum of what is shown."""
    sheet = result.sheet
    row: dict[str, Cell] = {
        "file": result.file, "page": result.page, "form": result.form_id or None,
        "sheet_id": sheet.serial if sheet else None,
        "client_code": (sheet.client_code or None) if sheet else None,
        "session": _session(sheet.session) if sheet else None,
        "date": _date(sheet.date) if sheet else None,
    }
    values = {item.item_id: item.value_cm for item in result.items}
    shown = {k: round(float(v), decimals) for k, v in values.items() if v is not None}
    for item_id in items:
        row[item_id] = shown.get(item_id)
    complete = bool(values) and all(v is not None for v in values.values())
    row["total"] = round(sum(shown.values()), decimals) if complete else None
    row["status"] = result.status.value
    row["flags"] = result.reason if result.status is Status.ERROR else joined(result.all_flags())
    return row


def result_table(results: Iterable[PageResult], forms: FormLibrary, decimals: int = 1) -> Table:
    items = item_columns(forms)
    return Table(result_columns(forms), [page_cells(r, items, decimals) for r in results])


# ---------------------------------------------------------------- CSV


def _field(value: Cell, fmt: CsvFormat) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        value = "yes" if value else "no"
    if isinstance(value, str):
        return '"' + safe_cell(value).replace('"', '""') + '"'
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, int):
        return str(value)
    text = f"{value:.{fmt.decimals}f}"
    return text.replace(".", ",") if fmt.decimal_comma else text


def csv_line(cells: Sequence[Cell], fmt: CsvFormat) -> str:
    return fmt.delimiter.join(_field(c, fmt) for c in cells) + LINE_END


def table_csv(table: Table, fmt: CsvFormat = CsvFormat()) -> str:
    lines = [csv_line(table.columns, fmt)]
    lines.extend(csv_line([row.get(c) for c in table.columns], fmt) for row in table.rows)
    return "".join(lines)


def is_workbook(path: Path | str) -> bool:
    return str(path).lower().endswith(".xlsx")


def write_table(path: Path | str, table: Table, fmt: CsvFormat = CsvFormat()) -> None:
    """Write `table` atomically: a workbook for a `.xlsx` name, else CSV in UTF-8."""
    data = table_xlsx(table, fmt.decimals) if is_workbook(path) else table_csv(table, fmt).encode("utf-8")
    write_atomic(path, data)


# ---------------------------------------------------------------- workbook


MAX_COLUMN_CHARS = 60


def table_xlsx(table: Table, decimals: int = 1) -> bytes:
    """An .xlsx workbook of `table`: every cell written with its type (XlsxWriter's write_string,
    write_number, write_datetime), so text stays text in every locale (`=1+1` is a string, `0012`
    keeps its zeros), values are numbers shown with `decimals`, dates are dates; the header is
    frozen and every column is as wide as its longest cell."""
    import io

    import xlsxwriter

    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "remove_timezone": True,
                                        "strings_to_numbers": False, "strings_to_formulas": False,
                                        "strings_to_urls": False})
    sheet = book.add_worksheet("results")
    styles = {
        "head": book.add_format({"bold": True}),
        "text": book.add_format({"num_format": "@"}),
        "value": book.add_format({"num_format": "0." + "0" * decimals if decimals else "0"}),
        "date": book.add_format({"num_format": "yyyy-mm-dd"}),
        "time": book.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"}),
    }
    widths = [len(name) for name in table.columns]
    for col, name in enumerate(table.columns):
        sheet.write_string(0, col, name, styles["head"])
    for r, row in enumerate(table.rows, start=1):
        for col, name in enumerate(table.columns):
            shown = _write_cell(sheet, r, col, row.get(name), styles)
            widths[col] = max(widths[col], len(shown))
    for col, width in enumerate(widths):
        sheet.set_column(col, col, min(width, MAX_COLUMN_CHARS) + 2)
    sheet.freeze_panes(1, 0)
    book.close()
    return buffer.getvalue()


def _write_cell(sheet, r: int, col: int, value: Cell, styles: dict) -> str:
    """Write one typed cell; returns roughly what it shows, for the column width."""
    if value is None:
        return ""
    if isinstance(value, bool):
        value = "yes" if value else "no"
    if isinstance(value, str):
        text = visible(value)
        sheet.write_string(r, col, text, styles["text"])
        return text
    if isinstance(value, datetime):
        sheet.write_datetime(r, col, value, styles["time"])
        return "2026-01-01 00:00:00"
    if isinstance(value, date):
        sheet.write_datetime(r, col, value, styles["date"])
        return "2026-01-01"
    if isinstance(value, int):
        sheet.write_number(r, col, value)
        return str(value)
    sheet.write_number(r, col, value, styles["value"])
    return f"{value:.2f}"


def csv_text(results: Iterable[PageResult], forms: FormLibrary, fmt: CsvFormat = CsvFormat()) -> str:
    return table_csv(result_table(results, forms, fmt.decimals), fmt)


def write_csv(path, results: Iterable[PageResult], forms: FormLibrary, fmt: CsvFormat = CsvFormat()) -> None:
    write_table(path, result_table(results, forms, fmt.decimals), fmt)


def _number(text: str) -> Cell:
    try:
        return int(text) if text.isdigit() else float(text.replace(",", "."))
    except ValueError:
        return text


def read_table(path: Path, numbers: Iterable[str], dates: Iterable[str] = ("date",)) -> Table:
    """A table this module wrote, read back (the hot folder keeps adding to its CSV): the delimiter
    is taken from the header, `numbers` and `dates` name the columns that are not text."""
    import csv

    text = path.read_text(encoding="utf-8")
    first = text.split("\n", 1)[0]
    delimiter = next((c for c in first if c in DELIMITERS), ",")
    reader = csv.DictReader(text.splitlines(), delimiter=delimiter)
    numbers, dates = set(numbers), set(dates)
    rows: list[dict[str, Cell]] = []
    for raw in reader:
        row: dict[str, Cell] = {}
        for column, value in raw.items():
            if column is None or value is None or value == "":
                continue
            if column in numbers:
                row[column] = _number(value)
            elif column in dates:
                row[column] = _date(value)
            else:
                row[column] = value
        rows.append(row)
    return Table(tuple(reader.fieldnames or ()), rows)


# ---------------------------------------------------------------- JSON


def result_dict(result: PageResult) -> dict:
    """Everything about a page, for review and audit: every candidate mark with its position."""
    data = asdict(result)
    data["status"] = result.status.value
    data["flags_all"] = list(result.all_flags())
    data["total_cm"] = result.total_cm()
    return data


def write_json(path, results: Iterable[PageResult], alerts: Iterable[Iterable[str]] | None = None) -> None:
    """Every page's details; with `alerts` (one list per page, in order), each page's alert codes."""
    payload = {"pages": [result_dict(r) for r in results]}
    if alerts is not None:
        for page, codes in zip(payload["pages"], alerts):
            page["alerts"] = list(codes)
    write_atomic(path, (json.dumps(payload, indent=1, ensure_ascii=False) + "\n").encode("utf-8"))
