"""Registration, the interface: a page image in; the form it is, a homography to that form's mm
frame, how well it fits and why, out.

Two implementations sit behind it: `register.MarkerRegistrar` (our own sheets, by their printed
ArUco markers) and `enrolled.FeatureRegistrar` (an enrolled blank form, by its own printed
content). The reader asks them in turn and hands the first `Registration` to the marks code,
which only ever sees the form and the homography, never which registrar ran.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np

from srs_scan.sheets.spec import FormSpec


@dataclass(frozen=True)
class Registration:
    """A page registered to a form."""

    spec: FormSpec           # the form the page was registered to
    px_to_mm: np.ndarray     # 3x3 homography, image px -> the form's mm frame
    quality_mm: float        # the registrar's own misfit figure, in form mm (smaller is better)
    trusted: bool            # False: the page is read, but flagged poor_registration
    reason: str              # how it was registered, in words (kept in the result's notes)

    @property
    def mm_to_px(self) -> np.ndarray:
        return np.linalg.inv(self.px_to_mm)


@dataclass(frozen=True)
class NoRegistration:
    """The page could not be registered to any form this registrar knows; `reason` says why."""

    reason: str


class Registrar(Protocol):
    """Anything that can register a page image to a form."""

    def register(self, grey: np.ndarray) -> Registration | NoRegistration:
        """`grey`: the page, 8-bit single channel, any resolution and orientation."""
        ...
