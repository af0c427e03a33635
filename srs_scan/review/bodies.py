"""Request bodies of the review and session pages: their size bounds, and each JSON body checked
field by field (whole numbers, finite numbers, flat JSON, text of bounded length), so a malformed
request is a 400 with a reason, never a 500. Who may send them is `web.Guard`'s business.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass


@dataclass(frozen=True)
class WebParams:
    max_body_bytes: int = 16 * 1024  # a decision is ~200 bytes; anything big is not ours
    token_bytes: int = 32            # secrets.token_urlsafe: 256 bits
    max_json_depth: int = 2          # a decision is one flat object; nesting is refused before parsing
    max_page: int = 2**31 - 1        # no scan has more pages; keeps SQLite's 64-bit integers safe
    max_candidate: int = 1000        # a line never has this many candidate marks
    max_text_chars: int = 1000       # any one string field; the log trims names and notes further
    max_upload_bytes: int = 12 * 1024 * 1024  # a camera frame or a phone photo (session page only)


class BadRequest(ValueError):
    """A request body that is not a well-formed decision: answered 400."""


class BodyTooLarge(ValueError):
    """A body longer than its Content-Length said: answered 413 (`web.internal_error`)."""


DECISION_FIELDS = {"hash", "page", "item_id", "action", "x_mm", "candidate", "reviewer", "note", "seen"}


def _json_depth(text: str) -> int:
    """How deep arrays and objects nest in a JSON text (strings skipped), without parsing it."""
    depth = deepest = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            escaped, in_string = (False, True) if escaped else (char == "\\", char != '"')
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth -= 1
    return deepest


def _refuse_constant(name: str) -> float:
    raise BadRequest(f"{name} is not a number here")


IDENTITY_FIELDS = frozenset({"hash", "page", "client_code", "session", "date", "reviewer"})


def parse_decision(raw: bytes, params: WebParams = WebParams()) -> dict:
    """The decision a request body carries, each field of its one JSON type and in range.

    Only real integers are pages and candidates (not 4.9, "4" or true), numbers must be finite
    (1e400 parses as infinity: refused), and `seen` must be given (the page's latest decision id the
    reviewer saw, or null) so a change made meanwhile by someone else is noticed.
    """
    body = json_object(raw, params)
    if not {"hash", "page", "action", "seen"} <= body.keys():
        raise BadRequest("a decision needs hash, page, action and seen")
    if body.keys() - DECISION_FIELDS:
        raise BadRequest(f"unknown field {sorted(body.keys() - DECISION_FIELDS)[0]!r}")
    for name in ("hash", "item_id", "action", "reviewer", "note"):
        if not isinstance(body.get(name, ""), str) or len(body.get(name, "")) > params.max_text_chars:
            raise BadRequest(f"{name} must be text")
    _whole(body, "page", 1, params.max_page, optional=False)
    _whole(body, "candidate", 0, params.max_candidate, optional=True)
    _whole(body, "seen", 1, 2**63 - 1, optional=True)
    x_mm = body.get("x_mm")
    if x_mm is not None and (type(x_mm) not in (int, float) or not math.isfinite(x_mm)):
        raise BadRequest("x_mm must be a finite number")
    return body


def json_object(raw: bytes, params: WebParams) -> dict:
    """A request body as a JSON object: UTF-8, bounded depth, no NaN or Infinity."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise BadRequest("the request is not UTF-8") from None
    if _json_depth(text) > params.max_json_depth:
        raise BadRequest("the request nests too deep")
    try:
        body = json.loads(text, parse_constant=_refuse_constant)
    except json.JSONDecodeError:
        raise BadRequest("the request is not JSON") from None
    if not isinstance(body, dict):
        raise BadRequest("the request is not a JSON object")
    return body


def parse_identity(raw: bytes, params: WebParams = WebParams()) -> dict:
    """Client code, session and date typed for a sheet: text fields, and a page that is a real integer."""
    body = json_object(raw, params)
    if not {"hash", "page"} <= body.keys() or body.keys() - IDENTITY_FIELDS:
        raise BadRequest("an identity entry has hash, page, client_code, session, date and reviewer")
    for name in IDENTITY_FIELDS - {"page"}:
        if not isinstance(body.get(name, ""), str) or len(body.get(name, "")) > params.max_text_chars:
            raise BadRequest(f"{name} must be text")
    _whole(body, "page", 1, params.max_page, optional=False)
    return body


def _whole(body: dict, name: str, low: int, high: int, *, optional: bool) -> None:
    value = body.get(name)
    if value is None and optional:
        return
    if type(value) is not int or not low <= value <= high:  # bool is an int subclass: refused too
        raise BadRequest(f"{name} must be a whole number from {low} to {high}")
