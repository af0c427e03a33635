"""The sheet id carried in each sheet's QR code: encode, decode, new serials.

The payload holds only opaque values: form id, form version, a random sheet
serial and, on pre-filled sheets, the clinic's opaque client code, the session
number, the session date and the client's age band (adult, adolescent, child:
it selects the ORS cut-off). Never a name. Example:

    srs-scan:1;f=srs;v=1;s=7KQ2M9XD;c=C042;n=5;d=2026-11-26
"""

from __future__ import annotations

import csv
import random
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from srs_scan.sheets.ids import (
    SERIAL_ALPHABET, SERIAL_LENGTH, client_code_problem, date_problem, form_id_problem,
    serial_looks_like_a_number, serial_problem, session_problem, spreadsheet_lookalike,
)

PREFIX = "srs-scan:1"
QR_QUIET_MODULES = 2  # white modules around the code, inside the form's square (drawn and read)
_KEYS = {"f": "form_id", "v": "version", "s": "serial", "c": "client_code", "n": "session", "d": "date",
         "a": "age_band"}
AGE_BANDS = ("adult", "adolescent", "child")  # the ORS cut-off differs by band; adult when not given


@dataclass(frozen=True)
class SheetId:
    form_id: str
    version: int
    serial: str
    client_code: str = ""
    session: str = ""
    date: str = ""
    age_band: str = ""  # "" = not given (read as adult)

    def payload(self) -> str:
        parts = [PREFIX, f"f={self.form_id}", f"v={self.version}", f"s={self.serial}"]
        for key, value in (("c", self.client_code), ("n", self.session), ("d", self.date),
                           ("a", self.age_band)):
            if value:
                parts.append(f"{key}={value}")
        return ";".join(parts)


def parse_payload(text: str) -> SheetId | None:
    """The SheetId in a QR payload, or None when the text is not one of ours or breaks a rule
    of `ids` (the rules sheets are printed by): such a code is not used."""
    parts = text.strip().split(";")
    if not parts or parts[0] != PREFIX:
        return None
    values: dict[str, str] = {}
    for part in parts[1:]:
        key, sep, value = part.partition("=")
        if not sep or key not in _KEYS:
            return None
        values[_KEYS[key]] = value
    if not {"form_id", "version", "serial"} <= values.keys() or not values["version"].isdigit():
        return None
    sheet = SheetId(values["form_id"], int(values["version"]), values["serial"],
                    values.get("client_code", ""), values.get("session", ""), values.get("date", ""),
                    values.get("age_band", ""))
    return sheet if sheet_problem(sheet) is None else None


def sheet_problem(sheet: SheetId) -> str | None:
    """What breaks the rules in a sheet id, or None: the same rules for printing and reading."""
    return (form_id_problem(sheet.form_id) or serial_problem(sheet.serial)
            or (sheet.client_code and client_code_problem(sheet.client_code))
            or (sheet.session and session_problem(sheet.session))
            or date_problem(sheet.date)
            or (sheet.age_band and age_band_problem(sheet.age_band)) or None)


def age_band_problem(band: str) -> str | None:
    return None if band in AGE_BANDS else f"age_band must be one of {', '.join(AGE_BANDS)} (or empty for adult)"


def identity_problem(code: str, session: str, date: str) -> str | None:
    """What is wrong with a client code, session number and date, or None: the rule for a roster
    row and for an identity a person types in review."""
    return client_code_problem(code) or session_problem(session) or date_problem(date)


def new_serials(count: int, rng: random.Random | None = None) -> list[str]:
    """`count` distinct random serials, none a spreadsheet reads as a number (about 1 in 6,800
    random ones would be: all digits, or digits-E-digits); pass a seeded rng for reproducible sheets."""
    pick = rng.choice if rng is not None else secrets.choice
    serials: dict[str, None] = {}  # a dict keeps insertion order and drops repeats
    while len(serials) < count:
        serial = "".join(pick(SERIAL_ALPHABET) for _ in range(SERIAL_LENGTH))
        if not serial_looks_like_a_number(serial):
            serials[serial] = None
    return list(serials)


def read_roster(text: str, forms: Sequence[tuple[str, int]], rng: random.Random | None = None,
                warn: Callable[[str], None] | None = None) -> list[SheetId]:
    """Pre-filled SheetIds, each with a fresh serial: per roster row one sheet of each form, in order.

    The roster is a CSV with client_code, session, and optionally date and age_band.

    Raises ValueError naming the line and what is wrong with it; `warn` hears of client
    codes a spreadsheet would turn into a number, date or true/false value.
    """
    reader = csv.DictReader(text.splitlines())
    missing = {"client_code", "session"} - set(reader.fieldnames or [])
    if missing:
        raise ValueError(f"roster needs the columns client_code, session and date; "
                         f"missing: {', '.join(sorted(missing))}")
    rows: list[tuple[str, str, str, str]] = []
    for number, row in enumerate(reader, start=2):
        code, session, date, band = ((row.get(k) or "").strip()
                                     for k in ("client_code", "session", "date", "age_band"))
        session = session.lstrip("0") if session.isdigit() else session
        band = band.lower()
        problem = identity_problem(code, session, date) or (band and age_band_problem(band))
        if problem:
            raise ValueError(f"roster line {number}: {problem}")
        lookalike = spreadsheet_lookalike(code)
        if lookalike and warn is not None:
            warn(f"roster line {number}: a spreadsheet opening the results CSV turns this client "
                 f"code into {lookalike}; import the CSV's client_code column as text (see the "
                 f"README)")
        rows.append((code, session, date, band))
    if not rows:
        raise ValueError("roster has no rows")
    serials = iter(new_serials(len(rows) * len(forms), rng))
    return [SheetId(form_id, version, next(serials), *row) for row in rows for form_id, version in forms]
