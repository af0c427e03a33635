"""The rules for what a sheet may carry: one validator for printing (rosters, serials) and reading.

A sheet's QR code holds a form id, a version, a serial and, on pre-filled sheets, a
client code, a session number and a date. The same rules hold when a sheet is
printed and when its code is read back, so a forged or damaged code can put no
escape sequence, formula or impossible date into a results file or a terminal.

- client code: 1-20 ASCII letters, digits, `-` or `_`, starting with a letter or digit;
- serial: 1-16 ASCII capitals or digits (new serials are 8 Crockford base32 characters,
  never all digits and never digits-E-digits, which spreadsheets read as numbers);
- session: a whole number 1-9999 without leading zeros; date: a real YYYY-MM-DD date;
- form id: a plain word (letters, digits, `_` or `-`), at most 40 characters.

`spreadsheet_lookalike` says what a spreadsheet would turn a code into (a number, a
date, a true/false value): roster codes like that are allowed, with a warning.
Each check returns what is wrong, in words, or None; none of them raises.
"""

from __future__ import annotations

import re
from datetime import date

SERIAL_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32: no I, L, O, U
SERIAL_LENGTH = 8
MAX_SESSION = 9999

_CLIENT_CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,19}")
_SERIAL = re.compile(r"[0-9A-Z]{1,16}")
_SESSION = re.compile(r"[1-9][0-9]{0,3}")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_FORM_ID = re.compile(r"[A-Za-z_][A-Za-z0-9_-]{0,39}")
_NUMBER_LIKE = re.compile(r"[0-9]+|[0-9]+[Ee]-?[0-9]+|-[0-9]+")   # 0012, 1E5, 12E-3
# month names spreadsheets know in English, German, French and Dutch (ASCII spellings)
_MONTHS = ("jan|janv|januar|january|janvier|januari|feb|febr|februar|february|februari|mar|maerz|"
           "march|mars|maart|apr|april|avr|avril|may|mai|mei|jun|june|juni|juin|jul|july|juli|juil|"
           "juillet|aug|august|aout|augustus|sep|sept|september|septembre|oct|okt|october|oktober|"
           "octobre|nov|november|novembre|dec|dez|december|dezember|decembre")
_DATE_LIKE = re.compile(rf"[0-9]{{1,4}}-[0-9]{{1,4}}(-[0-9]{{1,4}})?|"
                        rf"[0-9]{{1,4}}-({_MONTHS})(-[0-9]{{1,4}})?|({_MONTHS})-[0-9]{{1,4}}",
                        re.IGNORECASE)
_BOOLEANS = {"true", "false", "wahr", "falsch", "vrai", "faux", "waar", "onwaar"}


def client_code_problem(code: str) -> str | None:
    if _CLIENT_CODE.fullmatch(code):
        return None
    return ("client_code must be 1-20 letters, digits, '-' or '_', starting with a letter or digit "
            "(an opaque code, never a name)")


def serial_problem(serial: str) -> str | None:
    return None if _SERIAL.fullmatch(serial) else "serial must be 1-16 capital letters or digits"


def session_problem(session: str) -> str | None:
    ok = _SESSION.fullmatch(session) and int(session) <= MAX_SESSION
    return None if ok else f"session must be a whole number from 1 to {MAX_SESSION}"


def date_problem(text: str) -> str | None:
    """An empty date is allowed; anything else must be a real calendar date."""
    if not text:
        return None
    if not _DATE.fullmatch(text):
        return "date must look like 2026-11-26"
    try:
        date.fromisoformat(text)
    except ValueError:
        return f"date {text} does not exist"
    return None


def form_id_problem(form_id: str) -> str | None:
    if _FORM_ID.fullmatch(form_id):
        return None
    return "form id must be a plain word (letters, digits, '_' or '-', at most 40)"


def serial_looks_like_a_number(serial: str) -> bool:
    """All digits, or digits-E-digits: what the serial generator never makes."""
    return _NUMBER_LIKE.fullmatch(serial) is not None


def spreadsheet_lookalike(code: str) -> str | None:
    """What a spreadsheet opening a CSV would turn `code` into, or None when it stays text."""
    if _NUMBER_LIKE.fullmatch(code):
        return "a number (leading zeros and letters lost)"
    if _DATE_LIKE.fullmatch(code):
        return "a date"
    if code.lower() in _BOOLEANS:
        return "a true/false value"
    return None
