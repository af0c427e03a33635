"""Marker registration: find the sheet's ArUco markers, fit image px -> form mm, decode the QR
sheet id. `MarkerRegistrar` is the `registration.Registrar` for our own sheets.

Each corner marker has its own id, so the fitted homography also says which way
up the page is: 0/90/180/270 degree turns, skew, printer scaling and a phone's
perspective all come out of the same fit. One hidden marker is fine (three give
12 corner points for 8 unknowns).

This module does not look at pen marks (`marks.py`) and does not decide what a
page is (`read.py`); failures come back as values, never exceptions.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import zxingcpp

from srs_scan.read.params import Params
from srs_scan.read.registration import NoRegistration, Registration
from srs_scan.sheets.sheetid import SheetId, parse_payload
from srs_scan.sheets.spec import FormLibrary, FormSpec, largest_paper_side_mm

Corners = dict[int, np.ndarray]  # marker id -> (4, 2) image px, ArUco order TL, TR, BR, BL


def to_grey(image: np.ndarray) -> np.ndarray:
    if image.ndim == 3:
        return cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    return image


def detect_markers(grey: np.ndarray, dictionary: str, params: Params = Params()) -> Corners:
    """Every marker of `dictionary` in the image, corners refined at full resolution.

    Detection runs on a copy scaled to about `detect_px_per_mm` (the page is A4 or Letter, so
    its long side is ~280-300 mm); if that misses markers, once more at full resolution.
    """
    detector = cv2.aruco.ArucoDetector(
        cv2.aruco.getPredefinedDictionary(getattr(cv2.aruco, dictionary)),
        cv2.aruco.DetectorParameters())
    px_per_mm = max(grey.shape) / largest_paper_side_mm()
    scale = min(1.0, params.detect_px_per_mm / px_per_mm)
    # The markers sit in the sheet's corners: look there first (a quarter of the work), then,
    # if any is missing (a phone photo with the sheet small in the frame, a page that is not
    # a form), on the whole page. At full resolution only when some markers were found but
    # not all (one printed faintly): a page with none at all is not a form, and a 300 dpi
    # search of it would cost more than reading a form.
    found = _detect_in_corners(detector, grey, scale, params.marker_corner_share)
    if len(found) < 4:
        found = max(found, _detect(detector, grey, scale), key=len)
    if 0 < len(found) < 4 and scale < 1.0:
        found = max(found, _detect(detector, grey, 1.0), key=len)
    if not found:
        return {}
    # Refine at full resolution, in a small window around each corner.
    win = max(2, int(round(params.corner_refine_mm * px_per_mm)))
    pts = np.concatenate(list(found.values())).astype(np.float32).reshape(-1, 1, 2)
    criteria = (cv2.TERM_CRITERIA_EPS + cv2.TERM_CRITERIA_MAX_ITER, 30, 0.01)
    refined = cv2.cornerSubPix(grey, pts, (win, win), (-1, -1), criteria).reshape(-1, 4, 2)
    out: Corners = {}
    for (mid, rough), fine in zip(found.items(), refined):
        # keep the refinement only where it stayed near the detection (it can wander into
        # a neighbouring cell's corner on a blurred or low-resolution scan)
        ok = np.linalg.norm(fine - rough, axis=1) < max(2.0, params.corner_refine_max_shift_px / scale)
        out[mid] = np.where(ok[:, None], fine, rough).astype(np.float64)
    return out


def _detect_in_corners(detector: cv2.aruco.ArucoDetector, grey: np.ndarray, scale: float,
                       share: float) -> Corners:
    """Markers found in the four corner regions (`share` of the height and width each)."""
    h, w = grey.shape
    ch, cw = int(h * share), int(w * share)
    found: Corners = {}
    for y0 in (0, h - ch):
        for x0 in (0, w - cw):
            for mid, pts in _detect(detector, grey[y0:y0 + ch, x0:x0 + cw], scale).items():
                if mid not in found:  # the first corner's: a repeat is a stray copy
                    found[mid] = pts + (x0, y0)
    return found


def _detect(detector: cv2.aruco.ArucoDetector, grey: np.ndarray, scale: float) -> Corners:
    # INTER_LINEAR, not INTER_AREA: ten times faster, and the 10 mm markers stay ~50 px wide;
    # the corners are refined at full resolution afterwards anyway
    small = grey if scale >= 1.0 else cv2.resize(grey, None, fx=scale, fy=scale,
                                                  interpolation=cv2.INTER_LINEAR)
    corners, ids, _ = detector.detectMarkers(small)
    found: Corners = {}
    if ids is None:
        return found
    for c, i in zip(corners, ids.ravel()):
        # keep the larger one if an id repeats (a stray marker printed elsewhere)
        pts = c.reshape(4, 2).astype(np.float64) / scale
        if int(i) not in found or cv2.contourArea(pts.astype(np.float32)) > cv2.contourArea(
                found[int(i)].astype(np.float32)):
            found[int(i)] = pts
    # ArUco's corners are pixel-corner based on a scaled copy: shift to full-res pixel centres
    if scale < 1.0:
        for k in found:
            found[k] = found[k] + (0.5 / scale - 0.5)
    return found


@dataclass(frozen=True)
class MarkerFit:
    """A homography fitted on one form's markers, before it becomes a `Registration`."""

    px_to_mm: np.ndarray       # 3x3 homography, image px -> form mm
    markers: tuple[int, ...]   # marker ids used
    residual_mm: float         # largest corner misfit after the fit
    trusted: bool              # enough markers, and they agree

    @property
    def mm_to_px(self) -> np.ndarray:
        return np.linalg.inv(self.px_to_mm)

    def registration(self, spec: FormSpec) -> Registration:
        return Registration(spec, self.px_to_mm, self.residual_mm, self.trusted,
                            f"registered on markers {', '.join(map(str, self.markers))}, "
                            f"worst corner misfit {self.residual_mm:.2f} mm")


class MarkerRegistrar:
    """The `Registrar` for our own sheets: their four corner markers, for one page.

    Made per page: it keeps the markers it found in that page (by dictionary), so registering
    the same page to another form (the one its QR code names) does not search again.
    """

    def __init__(self, forms: FormLibrary, params: Params = Params()) -> None:
        self.forms, self.params = forms, params
        self._found: dict[str, Corners] = {}

    def register(self, grey: np.ndarray, spec: FormSpec | None = None
                 ) -> Registration | NoRegistration:
        """Register to the form whose markers were found most (or to `spec`)."""
        if spec is None:
            for form in self.forms.values():
                self._markers(grey, form)
            spec = _best_form(self.forms, self._found)
            if spec is None:
                return NoRegistration("no alignment markers")
        fit = fit_homography(self._markers(grey, spec), spec, self.params)
        return fit if isinstance(fit, NoRegistration) else fit.registration(spec)

    def _markers(self, grey: np.ndarray, spec: FormSpec) -> Corners:
        if not spec.markers:
            return {}
        if spec.aruco_dictionary not in self._found:
            self._found[spec.aruco_dictionary] = detect_markers(grey, spec.aruco_dictionary,
                                                                self.params)
        return self._found[spec.aruco_dictionary]


def _best_form(forms: FormLibrary, found_by_dict: dict[str, Corners]) -> FormSpec | None:
    """The form whose markers were found most; ties go to the first form in the library."""
    best, best_n = None, 0
    for spec in forms.values():
        ids = {m.id for m in spec.markers}
        n = len(ids & set(found_by_dict.get(spec.aruco_dictionary, {})))
        if n > best_n:
            best, best_n = spec, n
    return best


def fit_homography(found: Corners, spec: FormSpec,
                   params: Params = Params()) -> MarkerFit | NoRegistration:
    """Fit image px -> form mm on the corners of `spec`'s markers found in the image."""
    by_id = spec.marker_by_id()
    ids = sorted(i for i in found if i in by_id)
    if not ids:
        return NoRegistration("no alignment markers of this form")
    src = np.concatenate([found[i] for i in ids])
    dst = np.array([p for i in ids for p in by_id[i].corners_mm(spec.marker_size_mm)], float)
    h = _fit(src, dst)
    residual = _residual(h, src, dst)
    if residual > params.max_residual_mm and len(ids) >= 4:
        # one marker disagreeing with the rest (moved, partly covered): fit without it
        best = None
        for drop in ids:
            keep = [i for i in ids if i != drop]
            s2 = np.concatenate([found[i] for i in keep])
            d2 = np.array([p for i in keep for p in by_id[i].corners_mm(spec.marker_size_mm)])
            h2 = _fit(s2, d2)
            r2 = _residual(h2, s2, d2)
            if best is None or r2 < best[0]:
                best = (r2, h2, keep)
        if best is not None and best[0] <= params.max_residual_mm:
            residual, h, ids = best[0], best[1], best[2]
    trusted = len(ids) >= params.min_markers_trusted and residual <= params.max_residual_mm
    if trusted and len(ids) >= 4:
        trusted = _leave_one_out(found, spec, ids) <= params.max_leave_one_out_mm
    return MarkerFit(h, tuple(ids), float(residual), trusted)


def _leave_one_out(found: Corners, spec: FormSpec, ids: list[int]) -> float:
    """The worst miss when each marker's corners are predicted from the other markers alone."""
    by_id = spec.marker_by_id()
    worst = 0.0
    for out in ids:
        keep = [i for i in ids if i != out]
        h = _fit(np.concatenate([found[i] for i in keep]),
                 np.array([p for i in keep for p in by_id[i].corners_mm(spec.marker_size_mm)]))
        worst = max(worst, _residual(h, found[out], np.array(by_id[out].corners_mm(spec.marker_size_mm))))
    return worst


def _fit(src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    if len(src) >= 8:
        h, _ = cv2.findHomography(src, dst, 0)
        if h is not None:
            return h
    # a single marker: its four corners still define a homography, if not a good one
    return cv2.getPerspectiveTransform(src[:4].astype(np.float32), dst[:4].astype(np.float32))


def _residual(h: np.ndarray, src: np.ndarray, dst: np.ndarray) -> float:
    proj = cv2.perspectiveTransform(src.reshape(-1, 1, 2), h).reshape(-1, 2)
    return float(np.linalg.norm(proj - dst, axis=1).max())


def px_to_mm(h: np.ndarray, pts: np.ndarray) -> np.ndarray:
    return cv2.perspectiveTransform(np.asarray(pts, float).reshape(-1, 1, 2), h).reshape(-1, 2)


def mm_to_px(h: np.ndarray, pts: np.ndarray) -> np.ndarray:
    return px_to_mm(np.linalg.inv(h), pts)


@dataclass(frozen=True)
class QrParams:
    """How the sheet id's QR code is looked for: where the form says, warped upright, by
    zxing-cpp; then, if that fails, anywhere on the page.

    zxing-cpp replaced an 11-step OpenCV try-list (scales, cleanings, three decoders, six module
    counts): on simulated pages of all six profiles it read every sheet id the try-list read, in
    one call and about a thirtieth of the time (benchmarks/qr_readers.py).
    """

    px_per_mm: float = 8.0   # the upright patch's resolution: ~5 px per 0.6 mm module
    margin_mm: float = 3.0   # quiet zone kept around the code's square in the patch (mm)
    whole_page: bool = True  # last resort: look for a code anywhere on the page


def read_sheet_id(grey: np.ndarray, reg: MarkerFit | Registration | None, spec: FormSpec | None,
                  qr: QrParams = QrParams()) -> SheetId | None:
    """The sheet id from the QR code: first the square the form says, upright; then anywhere."""
    if reg is not None and spec is not None:
        sheet = _decode(_qr_patch(grey, reg, spec, qr.px_per_mm, qr.margin_mm))
        if sheet is not None:
            return sheet
    return _decode(grey) if qr.whole_page else None


def _qr_patch(grey: np.ndarray, reg: MarkerFit | Registration, spec: FormSpec, px_per_mm: float,
              margin_mm: float) -> np.ndarray:
    """The form's QR square (plus a margin) warped upright at `px_per_mm`."""
    x0, y0 = spec.qr_x_mm - margin_mm, spec.qr_y_mm - margin_mm
    size = int(round((spec.qr_size_mm + 2 * margin_mm) * px_per_mm))
    to_mm = np.array([[1 / px_per_mm, 0, x0], [0, 1 / px_per_mm, y0], [0, 0, 1]])
    return cv2.warpPerspective(grey, reg.mm_to_px @ to_mm, (size, size),
                               flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP, borderValue=255)


def _decode(image: np.ndarray) -> SheetId | None:
    """The first QR code in the image whose payload `parse_payload` accepts, or None."""
    for code in zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode):
        sheet = parse_payload(code.text) if code.valid else None
        if sheet is not None:
            return sheet
    return None


def find_label(grey: np.ndarray) -> SheetId | None:
    """The ids on one of our sticky labels (`sheets/labels.py`) stuck anywhere on the page:
    zxing-cpp finds and decodes a QR code in any place and orientation on the whole page
    (OpenCV needed a search on small copies with two detectors, then a decode at 12 px/mm)."""
    return _decode(grey)
