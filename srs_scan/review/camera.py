"""Camera frames in, a plain hint or a confident reading out: the in-session page's reading rule.

Each frame (a JPEG or PNG from the browser) is read by the same reader as a scan (`read_page`).
Before any value is shown, the frame must pass these checks, in order, each with a hint in
plain words when it fails:

- a sheet is found at all (its alignment markers): else "hold the sheet up to the camera";
- the whole sheet is in the picture: else "show the whole sheet" (a corner outside the picture,
  or under a hand);
- the sheet is big enough in the picture (`min_px_per_mm`): else "move closer";
- when an item could not be read, the paper is not washed out by light (`max_glare_share`): else
  "tilt away from the light";
- the sheet did not move since the previous frame (`max_move_mm`) and is sharp (`min_sharpness`):
  else "hold still".

A frame that passes is a reading. `Accumulator` declares a reading confident when `frames_needed`
consecutive readings of the same sheet agree: the same items flagged, every other item within
`agree_mm`. Until then no value leaves the server. A dropped photo is one still picture: it is
read once (`read_photo`) with the same checks, without the motion check and the agreement.

This module keeps nothing on disk and logs nothing; storing a confirmed reading is `session.py`'s.
"""

from __future__ import annotations

import io
import secrets
from collections import deque
from dataclasses import dataclass, field

import cv2
import numpy as np
from PIL import Image

from srs_scan.read.params import Params as ReadParams
from srs_scan.read.reader import read_page
from srs_scan.read.register import detect_markers, to_grey
from srs_scan.results import SHEET_ID_UNREADABLE, PageResult, Status
from srs_scan.sheets.spec import FormLibrary, FormSpec


@dataclass(frozen=True)
class CameraParams:
    frames_needed: int = 3
    """Consecutive agreeing frames before a reading is shown. At the page's 4 frames a second,
    3 frames span about 0.75 s: a sheet that is still settling in the hand moves more than 0.5 mm
    in that time, and two frames alone can agree by chance while the sheet passes through one
    position. More frames would only add waiting (each read takes ~0.1-0.3 s on a laptop)."""
    agree_mm: float = 0.5
    """Largest spread of one item's value over those frames (the issue's rule: 0.5 mm)."""
    min_px_per_mm: float = 2.0
    """Below this the 0.5 mm agreement is a quarter pixel or less, and the QR code's modules are
    under 2 px: "move closer". A 720p camera with the A4 sheet filling its height gives ~2.4."""
    qr_px_per_mm: float = 3.0
    """Below this a QR code that was not read is taken as too small, not as missing: "move closer".
    Simulated 720p frames (~2.3 px/mm) read the QR code in 11 of 18 frames, 1080p (~3.4) in 18 of 18."""
    max_glare_share: float = 0.02
    """Share of the sheet's pixels that are blown out (every channel >= `glare_level`) when some
    item could not be read: a lamp's reflection hides pen marks under it."""
    glare_level: int = 250
    max_move_mm: float = 1.0
    """How far any corner of the sheet may move (in sheet mm) from one frame to the next: more is a
    sheet still moving in the hand (and motion blur)."""
    min_sharpness: float = 0.18
    """Steepest brightness step in the sheet (99th percentile of the gradient, per pixel, as a
    share of the paper-to-ink contrast). Simulated 720p frames of a steady sheet in focus give
    0.26-0.35, frames smeared by a hand's movement 0.15-0.27 (the motion check catches the rest)."""
    unsettled_after: int = 4
    """After this many readings in a row that each disagree with the one before (about 1 s), the
    page says so ("unsettled") instead of counting frames: usually a faint mark or a curled line
    read in some frames only."""
    max_frame_px: int = 4000
    """A longer side than this is downscaled before reading (a phone photo); frames are smaller."""
    max_picture_mpx: float = 50.0
    """A picture of more megapixels is refused before it is decoded (a 12 MB PNG can unpack to
    gigabytes); the largest phone photos are ~50 MP, the page sends at most 2400 px a side."""


HINTS = {
    "no_sheet": "Hold the sheet up to the camera, the whole sheet in view.",
    "whole_sheet": "Show the whole sheet: a corner is outside the picture or covered.",
    "closer": "Move closer: the sheet is too small in the picture.",
    "glare": "Tilt the sheet away from the light: the paper is washed out.",
    "still": "Hold still.",
    "unsettled": "A mark reads differently from frame to frame: hold the sheet flat and steady, "
                 "facing the camera (or store it later from a scan).",
    "unreadable": "This picture could not be read; try again.",
}


class NotAPicture(ValueError):
    """The bytes sent are not a JPEG or PNG picture."""


def decode(data: bytes, params: CameraParams = CameraParams()) -> np.ndarray:
    """The picture as BGR pixels; a long side above `max_frame_px` is scaled down."""
    if not (data.startswith(b"\xff\xd8\xff") or data.startswith(b"\x89PNG\r\n\x1a\n")):
        raise NotAPicture("send a JPEG or PNG picture")
    try:  # the size from the header, before anything is unpacked
        width, height = Image.open(io.BytesIO(data)).size
    except (OSError, ValueError, Image.DecompressionBombError):
        raise NotAPicture("the picture could not be decoded (a damaged JPEG or PNG)") from None
    if width * height > params.max_picture_mpx * 1e6:
        raise NotAPicture(f"the picture is too large ({width} x {height} px): at most "
                          f"{params.max_picture_mpx:g} megapixels")
    image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    if image is None:
        raise NotAPicture("the picture could not be decoded (a damaged JPEG or PNG)")
    longest = max(image.shape[:2])
    if longest > params.max_frame_px:
        k = params.max_frame_px / longest
        image = cv2.resize(image, None, fx=k, fy=k, interpolation=cv2.INTER_AREA)
    return image


@dataclass(frozen=True)
class Frame:
    """One frame as read: a hint (no value may be shown) or a reading."""

    hint: str                          # a key of HINTS, '' when the frame is a reading
    result: PageResult | None = None
    corners_px: np.ndarray | None = None  # the sheet's content block corners in the picture
    px_per_mm: float = 0.0


def sheet_corners(result: PageResult, spec: FormSpec) -> np.ndarray:
    """The form's content block corners, in picture px (4x2)."""
    mm = np.array([[0, 0], [spec.block_w_mm, 0], [spec.block_w_mm, spec.block_h_mm],
                   [0, spec.block_h_mm]], float)
    to_px = np.linalg.inv(np.array(result.homography))
    pts = cv2.perspectiveTransform(mm[None], to_px)[0]
    return pts


def _px_per_mm(corners: np.ndarray, spec: FormSpec) -> float:
    area_px = cv2.contourArea(corners.astype(np.float32))
    return float(np.sqrt(area_px / (spec.block_w_mm * spec.block_h_mm)))


def _sheet_mask(shape: tuple[int, ...], corners: np.ndarray) -> np.ndarray:
    mask = np.zeros(shape[:2], np.uint8)
    cv2.fillConvexPoly(mask, np.round(corners).astype(np.int32), 1)
    return mask.astype(bool)


def glare_share(image: np.ndarray, mask: np.ndarray, params: CameraParams) -> float:
    blown = (image >= params.glare_level).all(axis=2) if image.ndim == 3 else image >= params.glare_level
    inside = int(mask.sum())
    return float((blown & mask).sum()) / inside if inside else 0.0


def sharpness(grey: np.ndarray, mask: np.ndarray) -> float:
    """99th percentile of the brightness gradient inside the sheet, over its ink-to-paper contrast."""
    values = grey[mask]
    if values.size < 100:
        return 0.0
    contrast = float(np.percentile(values, 98) - np.percentile(values, 1))
    if contrast < 20:
        return 0.0
    gx = cv2.Sobel(grey, cv2.CV_32F, 1, 0, ksize=3) / 8.0  # Sobel's 3x3 weights sum to 8: px steps
    gy = cv2.Sobel(grey, cv2.CV_32F, 0, 1, ksize=3) / 8.0
    steps = np.hypot(gx, gy)[mask]
    return float(np.percentile(steps, 99)) / contrast


def _markers_seen(grey: np.ndarray, forms: FormLibrary) -> int:
    dictionaries = {spec.aruco_dictionary for spec in forms.values() if spec.markers}
    return max((len(detect_markers(grey, d)) for d in dictionaries), default=0)


def read_frame(image: np.ndarray, forms: FormLibrary, previous: Frame | None = None,
               params: CameraParams = CameraParams(), read_params: ReadParams = ReadParams(),
               *, photo: bool = False) -> Frame:
    """One frame: its hint, or its reading. `previous`: the frame before (for the motion check);
    `photo`: a still picture, which has no frame before it (no motion check). Never raises."""
    try:
        return _read_frame(image, forms, previous, params, read_params, photo)
    except Exception:  # a frame the checks cannot handle is one more frame to wait for, never a 500
        return Frame("unreadable")


def _read_frame(image: np.ndarray, forms: FormLibrary, previous: Frame | None, params: CameraParams,
                read_params: ReadParams, photo: bool) -> Frame:
    result = read_page(image, forms, "camera", 1, read_params)
    grey = to_grey(image)
    if result.status is Status.ERROR:
        return Frame("unreadable")
    spec = forms.get((result.form_id, result.form_version))
    if result.status is Status.NOT_A_FORM or result.homography is None or spec is None:
        return Frame("whole_sheet" if _markers_seen(grey, forms) else "no_sheet")
    corners = sheet_corners(result, spec)
    h, w = image.shape[:2]
    margin = 2.0
    if (corners[:, 0] < -margin).any() or (corners[:, 1] < -margin).any() or \
            (corners[:, 0] > w + margin).any() or (corners[:, 1] > h + margin).any():
        return Frame("whole_sheet")
    scale = _px_per_mm(corners, spec)
    if scale < params.min_px_per_mm or (SHEET_ID_UNREADABLE in result.flags and scale < params.qr_px_per_mm):
        return Frame("closer", corners_px=corners, px_per_mm=scale)
    mask = _sheet_mask(image.shape, corners)
    if (result.status is not Status.OK and glare_share(image, mask, params) > params.max_glare_share):
        # white paper often clips in a camera's picture: light is only the hint when it cost a value
        return Frame("glare", corners_px=corners, px_per_mm=scale)
    # a sheet only just found (no sheet in the frame before) may be moving: it waits one frame
    moved = not photo and (previous is None or previous.corners_px is None or
                           float(np.abs(corners - previous.corners_px).max()) / scale > params.max_move_mm)
    if moved or sharpness(grey, mask) < params.min_sharpness:
        return Frame("still", corners_px=corners, px_per_mm=scale)
    return Frame("", result, corners, scale)


def _signature(result: PageResult) -> tuple:
    """What must be the same in agreeing frames: the sheet, its form and which items are flagged."""
    serial = result.sheet.serial if result.sheet else ""
    return (result.form_id, result.form_version, serial, result.flags,
            tuple((item.item_id, item.flags) for item in result.items))


def agree(results: list[PageResult], agree_mm: float) -> bool:
    """Same sheet, same flags, and every item's value within `agree_mm` over all the results."""
    if len({_signature(r) for r in results}) != 1:
        return False
    for n in range(len(results[0].items)):
        values = [r.items[n].value_cm for r in results]
        if any(v is None for v in values):
            continue  # flagged in every frame alike (the signature says so)
        if (max(values) - min(values)) * 10.0 > agree_mm + 1e-9:  # values in cm, agreement in mm
            return False
    return True


@dataclass
class Candidate:
    """A confident reading waiting for the therapist: the frame read last, and its picture."""

    id: str
    result: PageResult
    frame: bytes                       # the picture as sent (JPEG or PNG): kept when stored
    image: np.ndarray
    source: str                        # "camera" or "photo"


@dataclass
class Accumulator:
    """The recent frames of one camera stream, and the confident reading once there is one."""

    params: CameraParams = field(default_factory=CameraParams)
    recent: deque = field(default_factory=deque)     # (Frame, bytes, image) of consecutive readings
    previous: Frame | None = None
    confident: Candidate | None = None
    breaks: int = 0          # readings in a row that disagreed with the frame before

    def reset(self) -> None:
        self.recent.clear()
        self.previous = None
        self.confident = None
        self.breaks = 0

    @property
    def unsettled(self) -> bool:
        """Readings keep disagreeing (a faint mark found in some frames only): say so, not just wait."""
        return self.breaks >= self.params.unsettled_after

    def add(self, frame: Frame, data: bytes, image: np.ndarray) -> Candidate | None:
        """Take one frame; the confident reading when this frame completes an agreeing run."""
        self.previous = frame
        if frame.hint or frame.result is None:
            self.recent.clear()
            self.breaks = 0
            return None
        self.recent.append((frame, data, image))
        while len(self.recent) > self.params.frames_needed:
            self.recent.popleft()
        results = [f.result for f, _, _ in self.recent]
        if not agree(results, self.params.agree_mm):
            # the newest frame starts a new run: keep it alone
            last = self.recent[-1]
            self.recent.clear()
            self.recent.append(last)
            self.breaks += 1
            return None
        self.breaks = 0 if len(self.recent) > 1 else self.breaks
        if len(self.recent) < self.params.frames_needed:
            return None
        last_frame, last_data, last_image = self.recent[-1]
        self.confident = Candidate(secrets.token_urlsafe(12), last_frame.result, last_data, last_image, "camera")
        self.recent.clear()
        return self.confident

    @property
    def agreeing(self) -> int:
        return len(self.recent)


def read_photo(data: bytes, forms: FormLibrary, params: CameraParams = CameraParams()
               ) -> tuple[Frame, Candidate | None]:
    """A dropped photo: read once with the frame checks (no motion, no agreement over frames)."""
    image = decode(data, params)
    frame = read_frame(image, forms, None, params, photo=True)
    if frame.hint:
        return frame, None
    return frame, Candidate(secrets.token_urlsafe(12), frame.result, data, image, "photo")
