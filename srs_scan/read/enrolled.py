"""Feature registration: a page registered to an enrolled blank form by its printed content.

The `registration.Registrar` for forms enrolled with `srs-scan enrol` (no markers, no QR code).
ORB features of the page are matched to the blank's reference image, a homography is fitted by
MAGSAC (OpenCV's USAC), and the fit is checked the way a person would: does the blank's printed
content lie where the fit puts it? A page whose content does not (a foreign form with lines, a
blank back, a letter) is not registered, so it is never scored. The marks code then refines
each line locally (its row, its end-stops or ends, found in the scan itself).

ORB, not SIFT: on this machine SIFT took ~0.6-1 s a page at 3-4 px/mm against ~0.05 s for ORB,
and both matched the real VAS copy (vas_pen_marks) with hundreds of inliers.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import cv2
import numpy as np

from srs_scan.read.registration import NoRegistration, Registration
from srs_scan.sheets.spec import FormSpec


@dataclass(frozen=True)
class FeatureParams:
    """Thresholds of feature registration, each with its unit and reason."""

    px_per_mm: float = 4.0
    """Both images are matched at about this resolution: text strokes (0.3 mm) stay ~1 px, and
    ORB finds ~3000 corners on a printed A4 page in ~0.05 s."""
    features: int = 3000
    """ORB keypoints per image: more adds matches on sparse forms, and time on all."""
    ratio: float = 0.8
    """Lowe's ratio test: a match counts when clearly better than the second best."""
    ransac_mm: float = 1.0
    """A match further than this from where the homography puts it is an outlier (MAGSAC)."""
    min_inliers: int = 30
    """Fewer agreeing matches: the page is not this form (a printed form gives hundreds)."""
    min_content: float = 0.6
    """Share of the blank's printed ink found where the homography puts it (within `near_mm`)
    below which the page is not this form: another form's lines or text seldom cover a third
    of ours, a blank back none."""
    trusted_content: float = 0.85
    """... and below which a registered page is read but flagged poor_registration (a torn
    corner, a fold, a hand over the page): a clean copy covers 0.95 or more."""
    near_mm: float = 0.75
    """How near the page's ink must be to where the blank's ink maps."""


@lru_cache(maxsize=8)
def _reference(path: str, sha256: str, px_per_mm_ref: float, params: FeatureParams
               ) -> tuple[tuple, np.ndarray, np.ndarray, float]:
    """The blank's keypoints, descriptors and ink mask at `params.px_per_mm` (made once per
    process and form; `sha256` names the image's content)."""
    ref = cv2.imread(path, cv2.IMREAD_GRAYSCALE)
    if ref is None:
        raise ValueError(f"cannot read the form's reference image {path}")
    k = params.px_per_mm / px_per_mm_ref
    small = cv2.resize(ref, None, fx=k, fy=k, interpolation=cv2.INTER_AREA)
    keypoints, descriptors = cv2.ORB_create(params.features).detectAndCompute(small, None)
    ink = _ink(small, params.px_per_mm)
    return tuple(kp.pt for kp in keypoints), descriptors, ink, k


def _ink(grey: np.ndarray, px_per_mm: float) -> np.ndarray:
    k = int(8 * px_per_mm) | 1
    paper = cv2.blur(cv2.dilate(grey, np.ones((k, k), np.uint8)), (k, k)).astype(np.float32)
    return ((1.0 - grey.astype(np.float32) / np.maximum(paper, 1.0)) > 0.25).astype(np.uint8)


class FeatureRegistrar:
    """Registers a page to one enrolled form."""

    def __init__(self, spec: FormSpec, params: FeatureParams = FeatureParams()) -> None:
        if spec.enrolled is None:
            raise ValueError(f"form '{spec.form_id}' is not an enrolled form")
        self.spec, self.params = spec, params

    def register(self, grey: np.ndarray) -> Registration | NoRegistration:
        p, enrolled = self.params, self.spec.enrolled
        assert enrolled is not None
        ref_pts, ref_desc, ref_ink, _ = _reference(str(enrolled.reference), enrolled.sha256,
                                                  enrolled.px_per_mm, p)
        # the page is about the blank's size: bring it to about px_per_mm
        k = min(1.0, p.px_per_mm * max(self.spec.block_w_mm, self.spec.block_h_mm) / max(grey.shape))
        small = cv2.resize(grey, None, fx=k, fy=k, interpolation=cv2.INTER_AREA)
        keypoints, desc = cv2.ORB_create(p.features).detectAndCompute(small, None)
        if desc is None or ref_desc is None or len(keypoints) < p.min_inliers:
            return NoRegistration("too little printed content to match")
        pairs = cv2.BFMatcher(cv2.NORM_HAMMING).knnMatch(desc, ref_desc, k=2)
        good = [m[0] for m in pairs if len(m) == 2 and m[0].distance < p.ratio * m[1].distance]
        if len(good) < p.min_inliers:
            return NoRegistration(f"does not match the blank of '{self.spec.form_id}' "
                                  f"({len(good)} matching features)")
        src = np.float32([keypoints[m.queryIdx].pt for m in good])
        dst = np.float32([ref_pts[m.trainIdx] for m in good])
        h_small, mask = cv2.findHomography(src, dst, cv2.USAC_MAGSAC, p.ransac_mm * p.px_per_mm)
        inliers = int(mask.sum()) if mask is not None else 0
        if h_small is None or inliers < p.min_inliers:
            return NoRegistration(f"does not match the blank of '{self.spec.form_id}' "
                                  f"({inliers} features agree)")
        # page px -> small page px -> small reference px -> mm (pixel centres: pixel u of an
        # image at s px per mm covers u/s .. (u+1)/s mm)
        q = 1 / p.px_per_mm
        to_mm = np.array([[q, 0, 0.5 * q], [0, q, 0.5 * q], [0, 0, 1]])
        shrink = np.array([[k, 0, 0.5 * k - 0.5], [0, k, 0.5 * k - 0.5], [0, 0, 1]])
        px_to_mm = to_mm @ h_small @ shrink
        content = _content_found(small, h_small, ref_ink, p)
        if content < p.min_content:
            return NoRegistration(f"only {content:.0%} of the blank's print of "
                                  f"'{self.spec.form_id}' is on the page")
        proj = cv2.perspectiveTransform(src[mask.ravel() > 0].reshape(-1, 1, 2), h_small)
        misfit = float(np.median(np.linalg.norm(proj.reshape(-1, 2) - dst[mask.ravel() > 0],
                                                axis=1))) / p.px_per_mm
        trusted = content >= p.trusted_content
        return Registration(self.spec, px_to_mm, misfit, trusted,
                            f"registered on the blank's print: {inliers} features agree, "
                            f"median misfit {misfit:.2f} mm, {content:.0%} of its print found")


def _content_found(small: np.ndarray, h_small: np.ndarray, ref_ink: np.ndarray,
                   p: FeatureParams) -> float:
    """Share of the blank's ink pixels that have page ink within `near_mm` once registered."""
    height, width = ref_ink.shape
    warped = cv2.warpPerspective(small, h_small, (width, height), flags=cv2.INTER_LINEAR,
                                 borderValue=255)
    ink = _ink(warped, p.px_per_mm)
    r = max(1, int(round(p.near_mm * p.px_per_mm)))
    near = cv2.dilate(ink, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * r + 1, 2 * r + 1)))
    total = int(ref_ink.sum())
    return float((near & ref_ink).sum()) / total if total else 0.0
