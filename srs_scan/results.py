"""What reading one page produces: frozen dataclasses, no behaviour beyond naming things.

Every page of every input ends as exactly one `PageResult`: read, flagged for
review, not a form, or an error with a plain-language reason. Problems with a
page are flags on its result, never exceptions.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from srs_scan.sheets.sheetid import SheetId

# Item flags: the reader will not give this item a value; a person must look.
NO_MARK = "no_mark"                # nothing crosses or touches the line
MULTIPLE_MARKS = "multiple_marks"  # two or more marks on one line
CROSSED_OUT = "crossed_out"        # a scribbled-over mark (usually beside a new one)
OFF_LINE = "off_line"              # a mark near the line that does not touch it
FAINT = "faint"                    # a mark too light to measure with confidence
STRAY_INK = "stray_ink"            # ink at the line that is no mark: a long stroke, an arrow, a stain

# Page flags.
NOT_A_FORM = "not_a_form"                    # no alignment markers: a cover letter, a blank back
UNKNOWN_FORM = "unknown_form"                # our markers and QR, but a form file we do not have
BLANK_PAGE = "blank_page"                    # a form nobody filled in
SHEET_ID_UNREADABLE = "sheet_id_unreadable"  # the QR code could not be decoded
DUPLICATE_SHEET = "duplicate_sheet"          # this serial was already read in the batch
POOR_REGISTRATION = "poor_registration"      # markers found, but they do not agree with each other


class Status(StrEnum):
    OK = "ok"                  # all items read, nothing flagged
    REVIEW = "review"          # something is flagged for a person to check
    NOT_A_FORM = "not_a_form"  # a page that is not one of our sheets
    ERROR = "error"            # the page could not be decoded; `reason` says why


@dataclass(frozen=True)
class Candidate:
    """One pen mark found at a line, kept for review even when the item is flagged."""

    x_mm: float          # where the mark meets the line, form frame
    value_cm: float      # 10 * (x - left end-stop) / (right - left end-stop), clamped to 0-10
    kind: str            # tick, cross, circle, dot, stroke, scribble, stray, stain
    touches_line: bool
    crossed_out: bool = False
    contrast: float = 1.0  # ink darkness relative to the printed line, 0-1
    stray: bool = False    # judged no mark (a long stroke, an arrow, a stain): never a value
    offset_mm: float = 0.0  # off the line: from the line to its nearest ink, + below, - above


@dataclass(frozen=True)
class ItemResult:
    item_id: str
    value_cm: float | None               # None whenever the item is flagged
    flags: tuple[str, ...] = ()
    candidates: tuple[Candidate, ...] = ()
    line_ends_x_mm: tuple[float, float] | None = None  # end-stops as detected, form frame


@dataclass(frozen=True)
class PageResult:
    file: str
    page: int                            # 1-based
    form_id: str = ""
    form_version: int = 0
    sheet: SheetId | None = None
    items: tuple[ItemResult, ...] = ()
    flags: tuple[str, ...] = ()          # page flags
    reason: str = ""                     # set only for errors: what went wrong, in words
    homography: tuple[tuple[float, ...], ...] | None = None  # image px -> form mm, 3x3
    image_size: tuple[int, int] | None = None                # (width, height) px as read
    notes: tuple[str, ...] = field(default=())               # extra words for reviewers

    @property
    def status(self) -> Status:
        if self.reason:
            return Status.ERROR
        if NOT_A_FORM in self.flags:
            return Status.NOT_A_FORM
        if self.flags or any(item.flags for item in self.items):
            return Status.REVIEW
        return Status.OK

    def all_flags(self) -> tuple[str, ...]:
        """Page flags, then item flags as `item:code`, in form order."""
        item_flags = (f"{item.item_id}:{flag}" for item in self.items for flag in item.flags)
        return (*self.flags, *item_flags)

    def total_cm(self) -> float | None:
        values = [item.value_cm for item in self.items]
        if not values or any(v is None for v in values):
            return None
        return sum(v for v in values if v is not None)


def error_result(file: str, page: int, reason: str) -> PageResult:
    return PageResult(file=file, page=page, reason=reason)


def result_from_dict(data: dict) -> PageResult:
    """Rebuild a PageResult from `dataclasses.asdict` output (as stored in the results database)."""
    items = tuple(
        ItemResult(
            item["item_id"], item["value_cm"], tuple(item["flags"]),
            tuple(Candidate(**c) for c in item["candidates"]),
            tuple(item["line_ends_x_mm"]) if item["line_ends_x_mm"] else None)
        for item in data.get("items", ()))
    sheet = SheetId(**data["sheet"]) if data.get("sheet") else None
    homography = data.get("homography")
    return PageResult(
        file=data["file"], page=data["page"], form_id=data.get("form_id", ""),
        form_version=data.get("form_version", 0), sheet=sheet, items=items,
        flags=tuple(data.get("flags", ())), reason=data.get("reason", ""),
        homography=tuple(tuple(row) for row in homography) if homography else None,
        image_size=tuple(data["image_size"]) if data.get("image_size") else None,
        notes=tuple(data.get("notes", ())))
