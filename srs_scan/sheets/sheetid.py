"""The sheet id carried in each sheet's QR code: encode, decode, new serials.

The payload holds only opaque values: form id, form version, a random sheet
serial and, on pre-filled sheets, the clinic's opaque client code, the session
number and the session date. Never a name. Example:

    srs-scan:1;f=srs;v=1;s=7KQ2M9XD;c=C042;n=5;d=2026-11-26
"""

from __future__ import annotations

import csv
import random
import re
import secrets
from dataclasses import dataclass

PREFIX = "srs-scan:1"
SERIAL_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32: no I, L, O, U
SERIAL_LENGTH = 8
CLIENT_CODE_RE = re.compile(r"[A-Za-z0-9_-]{1,20}")
DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}")
QR_QUIET_MODULES = 2  # white modules around the code, inside the form's square (drawn and read)
_KEYS = {"f": "form_id", "v": "version", "s": "serial", "c": "client_code", "n": "session", "d": "date"}


@dataclass(frozen=True)
class SheetId:
    form_id: str
    version: int
    serial: str
    client_code: str = ""
    session: str = ""
    date: str = ""

    def payload(self) -> str:
        parts = [PREFIX, f"f={self.form_id}", f"v={self.version}", f"s={self.serial}"]
        for key, value in (("c", self.client_code), ("n", self.session), ("d", self.date)):
            if value:
                parts.append(f"{key}={value}")
        return ";".join(parts)


def parse_payload(text: str) -> SheetId | None:
    """The SheetId in a QR payload, or None when the text is not one of ours."""
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
    return SheetId(values["form_id"], int(values["version"]), values["serial"],
                   values.get("client_code", ""), values.get("session", ""), values.get("date", ""))


def new_serials(count: int, rng: random.Random | None = None) -> list[str]:
    """`count` distinct random serials; pass a seeded rng for reproducible sheets."""
    pick = rng.choice if rng is not None else secrets.choice
    serials: dict[str, None] = {}  # a dict keeps insertion order and drops repeats
    while len(serials) < count:
        serials["".join(pick(SERIAL_ALPHABET) for _ in range(SERIAL_LENGTH))] = None
    return list(serials)


def read_roster(text: str, form_id: str, version: int,
                rng: random.Random | None = None) -> list[SheetId]:
    """One SheetId, with a fresh serial, per row of a roster CSV (client_code, session, date).

    Raises ValueError naming the line and what is wrong with it.
    """
    reader = csv.DictReader(text.splitlines())
    missing = {"client_code", "session"} - set(reader.fieldnames or [])
    if missing:
        raise ValueError(f"roster needs the columns client_code, session and date; "
                         f"missing: {', '.join(sorted(missing))}")
    rows: list[tuple[str, str, str]] = []
    for number, row in enumerate(reader, start=2):
        code, session, date = ((row.get(k) or "").strip() for k in ("client_code", "session", "date"))
        if not CLIENT_CODE_RE.fullmatch(code):
            raise ValueError(f"roster line {number}: client_code must be 1-20 letters, digits, "
                             f"'-' or '_' (an opaque code, never a name)")
        if not session.isdigit() or not 1 <= int(session) <= 9999:
            raise ValueError(f"roster line {number}: session must be a whole number from 1 to 9999")
        if date and not DATE_RE.fullmatch(date):
            raise ValueError(f"roster line {number}: date must look like 2026-11-26")
        rows.append((code, str(int(session)), date))
    if not rows:
        raise ValueError("roster has no rows")
    serials = new_serials(len(rows), rng)
    return [SheetId(form_id, version, serial, *row) for serial, row in zip(serials, rows)]
