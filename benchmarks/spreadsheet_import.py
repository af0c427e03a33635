"""How srs-scan's CSV and workbook import into a real spreadsheet: LibreOffice Calc, headless.

Writes one table of hostile and awkward pages (formulas, `;` `,` tab CR LF and escape
sequences in file names, codes and flags; `0012`; a client code `-12`) the way srs-scan
writes it: CSV with `,`, CSV with `;` and decimal commas, and .xlsx. Each is opened by
`soffice --headless --convert-to xlsx` under English (en-US) and German (de-DE) settings,
with the CSV import's defaults and with the stricter options (evaluate formulas, detect
special numbers), also with the other delimiter than the one written; the result is read
with openpyxl and reported: formula cells, rows, columns, and whether the values came in
as numbers. Needs `soffice` (Debian: libreoffice-calc) and openpyxl; prints only.

    .venv/bin/python benchmarks/spreadsheet_import.py
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from srs_scan.batch.export import CsvFormat, result_table, table_csv, table_xlsx  # noqa: E402
from srs_scan.sheets.spec import load_form_library  # noqa: E402
from test_export import HOSTILE, _page, hostile_results  # noqa: E402

LANGUAGES = {"en-US": 1033, "de-DE": 1031}
SEPARATORS = {",": 44, ";": 59, "\t": 9}


def csv_filter(separator: str, language: int, strict: bool) -> str:
    """LibreOffice's CSV import options: separator, `"` quotes, UTF-8, from line 1, the language;
    the rest at LibreOffice's defaults, or strict: detect special numbers and evaluate formulas."""
    options = f"CSV:{SEPARATORS[separator]},34,76,1,,{language}"
    return options + (",false,true,false,false,false,-1,true" if strict else "")


def _unprotected(table) -> str:
    """The control: the same table through Python's csv module with no quoting of text and no
    neutralising, as a careless writer would; it shows that the check finds formulas."""
    import csv
    import io

    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(table.columns)
    for row in table.rows:
        writer.writerow(["" if row.get(c) is None else _raw(row.get(c)) for c in table.columns])
    return buffer.getvalue()


def _raw(value) -> str:
    return value.lstrip("'") if isinstance(value, str) else str(value)


def convert(source: Path, out_dir: Path, filter_options: str | None, profile: Path) -> Path:
    command = ["soffice", f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to", "xlsx",
               "--outdir", str(out_dir)]
    if filter_options:
        command.append(f"--infilter={filter_options}")
    subprocess.run([*command, str(source)], check=True, capture_output=True, timeout=120)
    return out_dir / (source.stem + ".xlsx")


def describe(xlsx: Path, expected_rows: int, columns: int) -> str:
    import openpyxl

    sheet = openpyxl.load_workbook(xlsx).active
    header = [c.value for c in sheet[1]]
    rows = [[c.value for c in row] for row in sheet.iter_rows(min_row=2)]
    formulas = [c.value for row in sheet.iter_rows() for c in row if c.data_type == "f"]
    widest = max(len([v for v in row if v is not None]) for row in [header, *rows])
    values = [row[header.index("relationship")] for row in rows] if "relationship" in header else []
    values = [v for v in values if v is not None]
    numeric = sum(isinstance(v, int | float) for v in values)
    code = rows[0][header.index("client_code")] if "client_code" in header and rows else None
    found = f" {formulas[:2]!r}" if formulas else ""
    return (f"rows {len(rows)}/{expected_rows}, widest {widest}/{columns} cells, formulas {len(formulas)}"
            f"{found}, values as numbers {numeric}/{len(values)} (first {values[0] if values else None!r}),"
            f" client code '0012' -> {code!r}")


def main() -> int:
    if shutil.which("soffice") is None:
        print("soffice not found (Debian: apt-get install libreoffice-calc)")
        return 0
    forms = load_form_library()
    results = [_page([9.14, 8.75, 9.0, 9.96], code="0012"), *hostile_results()]
    table = result_table(results, forms, decimals=2)
    print(f"{len(results)} pages ({len(HOSTILE)} hostile texts), {len(table.columns)} columns")
    with tempfile.TemporaryDirectory(prefix="srs-calc-") as tmp:
        root = Path(tmp)
        profile = root / "profile"
        files = {
            "unprotected-control.csv": _unprotected(table).encode(),
            "comma.csv": table_csv(table, CsvFormat(",", False, 2)).encode(),
            "semicolon-decimal-comma.csv": table_csv(table, CsvFormat(";", True, 2)).encode(),
            "results.xlsx": table_xlsx(table, 2),
        }
        for name, data in files.items():
            (root / name).write_bytes(data)
        for name in files:
            source = root / name
            if name.endswith(".xlsx"):
                runs = [("any language", "opened", None)]
            else:
                written = ";" if name.startswith("semicolon") else ","
                runs = [(language, f"split on {sep!r}{' strict' if strict else ''}", csv_filter(sep, code, strict))
                        for language, code in LANGUAGES.items()
                        for sep in (written, ";" if written == "," else ",", "\t") for strict in (False, True)
                        if not name.startswith("unprotected") or sep != "\t"]
            for n, (language, label, options) in enumerate(runs):
                out = root / f"{source.stem}-{n}"
                out.mkdir()
                result = convert(source, out, options, profile)
                print(f"{name:28} {language:12} {label:16} {describe(result, len(results), len(table.columns))}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
