"""One page end to end: markers -> homography -> sheet id -> every item's value or flags.

`read_page` never raises for a bad page: whatever goes wrong becomes a
`PageResult` that says so. It reads one image; files, batches and CSV are the
pipeline's business.
"""

from __future__ import annotations

import numpy as np

from srs_scan.errors import page_reason
from srs_scan.read.enrolled import FeatureRegistrar
from srs_scan.read.marks import read_item
from srs_scan.read.params import Params
from srs_scan.read.register import MarkerRegistrar, find_label, read_sheet_id, to_grey
from srs_scan.read.registration import NoRegistration, Registration
from srs_scan.results import (BLANK_PAGE, NO_MARK, NOT_A_FORM, POOR_REGISTRATION,
                              SHEET_ID_UNREADABLE, UNKNOWN_FORM, PageResult, error_result)
from srs_scan.sheets.spec import FormLibrary

__all__ = ["Params", "read_page"]


def read_page(image: np.ndarray, forms: FormLibrary, file: str = "", page: int = 1,
              params: Params = Params()) -> PageResult:
    """Read one page image (grey or BGR, any resolution and orientation) against the known forms."""
    try:
        return _read_page(image, forms, file, page, params)
    except Exception as exc:  # a bad page must never stop a batch: report it on its result
        return error_result(file, page, page_reason(exc, "page"))


def _read_page(image: np.ndarray, forms: FormLibrary, file: str, page: int,
               params: Params) -> PageResult:
    if image is None or image.ndim not in (2, 3) or min(image.shape[:2]) < params.min_image_px:
        return error_result(file, page, "could not read this page: the image is empty or tiny")
    if image.dtype != np.uint8:
        image = np.clip(image, 0, 255).astype(np.uint8)
    if image.ndim == 3 and image.shape[2] == 4:
        image = np.ascontiguousarray(image[:, :, :3])
    grey = to_grey(image)
    size = (int(image.shape[1]), int(image.shape[0]))
    base = PageResult(file=file, page=page, image_size=size)

    markers = MarkerRegistrar(forms, params)
    reg = markers.register(grey)
    if isinstance(reg, NoRegistration):
        reg = _register_enrolled(grey, forms)
    if isinstance(reg, NoRegistration):
        return _replace(base, flags=(NOT_A_FORM,))
    spec = reg.spec

    flags: list[str] = []
    if spec.enrolled is not None:
        # no QR code printed on an enrolled form: a label of ours stuck on it, if any; without
        # one the sheet is identified in review
        sheet = find_label(grey)
    elif (sheet := read_sheet_id(grey, reg, spec)) is None:
        flags.append(SHEET_ID_UNREADABLE)
    else:
        key = (sheet.form_id, sheet.version)
        if key not in forms:
            return _replace(base, form_id=sheet.form_id, form_version=sheet.version, sheet=sheet,
                            flags=(UNKNOWN_FORM,), homography=_as_tuple(reg.px_to_mm))
        if forms[key] is not spec:
            spec = forms[key]
            refit = markers.register(grey, spec)
            if isinstance(refit, NoRegistration):
                return _replace(base, form_id=spec.form_id, form_version=spec.version, sheet=sheet,
                                flags=(POOR_REGISTRATION,), reason="")
            reg = refit
    if not reg.trusted:
        flags.append(POOR_REGISTRATION)

    mm_to_px = reg.mm_to_px
    items = tuple(read_item(image, mm_to_px, spec, item, params) for item in spec.items)
    if items and all(NO_MARK in it.flags for it in items):
        flags.append(BLANK_PAGE)
    notes = (reg.reason,)
    return _replace(base, form_id=spec.form_id, form_version=spec.version, sheet=sheet,
                    items=items, flags=tuple(flags), homography=_as_tuple(reg.px_to_mm),
                    notes=notes)


def _register_enrolled(grey: np.ndarray, forms: FormLibrary) -> Registration | NoRegistration:
    """The enrolled form the page matches best (most of its print found), if any."""
    best: Registration | NoRegistration = NoRegistration("not one of our sheets, and no "
                                                         "enrolled form matches")
    for spec in forms.values():
        if spec.enrolled is not None:
            reg = FeatureRegistrar(spec).register(grey)
            if isinstance(reg, Registration) and (isinstance(best, NoRegistration)
                                                  or reg.trusted > best.trusted):
                best = reg
    return best


def _as_tuple(h: np.ndarray) -> tuple[tuple[float, ...], ...]:
    h = h / h[2, 2]
    return tuple(tuple(float(v) for v in row) for row in h)


def _replace(base: PageResult, **changes) -> PageResult:
    from dataclasses import replace
    return replace(base, **changes)


__all__ += ["Registration"]
