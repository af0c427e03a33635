"""TIFF, PNG and JPEG pages -> page images, with Pillow: every frame, the EXIF orientation
applied, every pixel mode turned into uint8 grey or BGR, non-square pixels (fax 204x98 dpi)
resampled to square. A frame too big to hold is refused before it is decoded.

It does not find the file's type or turn a failure into a reason (`pages.py` does both).
"""

from __future__ import annotations

import math
import re
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageOps

from srs_scan.errors import PageRefused
from srs_scan.read.page_image import PARAMS, FileKind, Limits, PageImage, grey_if_neutral


def open_raster(path: Path, kind: FileKind) -> Image.Image:
    """Open lazily (header only). Pillow's bomb check fires here for absurd sizes; our own
    Limits.max_pixels check follows on each frame, so Pillow's warning adds nothing."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        try:
            return Image.open(Path(path), formats=[kind.value])
        except Image.DecompressionBombError as exc:
            raise PageRefused(bomb_reason(exc)) from None
        except Image.UnidentifiedImageError:
            raise PageRefused(f"file is damaged (not a readable {kind.value})") from None


@contextmanager
def _quiet_pillow() -> Iterator[None]:
    """Pillow's own warnings about a damaged file ("Corrupt EXIF data" on a TIFF cut short) are
    printed with a library path that looks like a crash to the front desk; the page's row says
    what is wrong in plain words instead."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        yield


def bomb_reason(exc: Exception) -> str:
    numbers = re.findall(r"\d+", str(exc))
    size = f" ({int(numbers[0]):,} pixels)" if numbers else ""
    return f"page too large to read safely{size}"


def count_frames(im: Image.Image, limits: Limits) -> int:
    """Frames that can be reached, walking the IFD chain rather than trusting a page-count
    tag; stops at limits.max_pages so a looping chain cannot run forever."""
    count = 1
    if not getattr(im, "is_animated", False) and getattr(im, "n_frames", 1) == 1:
        return 1
    while count < limits.max_pages:
        try:
            with _quiet_pillow():
                im.seek(count)
        except EOFError:
            break
        except Exception:
            break  # a damaged link in the chain: the pages before it still count
        count += 1
    return count


def seek_frame(im: Image.Image, index: int, limits: Limits) -> None:
    if not 0 <= index < limits.max_pages:
        raise EOFError
    if index > 0 or getattr(im, "tell", lambda: 0)() != 0:
        with _quiet_pillow():
            im.seek(index)


def raster_page(im: Image.Image, path: Path, number: int, kind: FileKind,
                 limits: Limits) -> PageImage:
    """The current frame of an open image as a PageImage (size checked before decoding)."""
    width, height = im.size
    if width * height > limits.max_pixels:
        raise PageRefused(f"page too large to read safely ({width} x {height} px)")
    if width == 0 or height == 0:
        raise PageRefused("page has no pixels")
    dpi_x, dpi_y = _declared_dpi(im)
    with _quiet_pillow():
        im.load()  # decoding happens here: truncated or corrupt data raises OSError
    frame = _upright(im)
    if frame is not im and _orientation(im) in (5, 6, 7, 8):
        dpi_x, dpi_y = dpi_y, dpi_x
    image = _to_uint8(frame)
    image, dpi = _square_pixels(image, dpi_x, dpi_y, limits)
    return PageImage(str(path), number, grey_if_neutral(image), dpi)


def _declared_dpi(im: Image.Image) -> tuple[float, float]:
    """(x, y) dots per inch as the file declares them; 0.0 when missing or implausible."""
    raw = im.info.get("dpi")
    try:
        dx, dy = (float(raw[0]), float(raw[1])) if raw else (0.0, 0.0)
    except (TypeError, ValueError, IndexError):
        return 0.0, 0.0
    if not (math.isfinite(dx) and math.isfinite(dy)):
        return 0.0, 0.0
    if min(dx, dy) < PARAMS.min_plausible_dpi:
        return 0.0, 0.0
    return dx, dy


def _orientation(im: Image.Image) -> int:
    try:
        return int(im.getexif().get(0x0112, 1))
    except Exception:
        return 1


def _upright(im: Image.Image) -> Image.Image:
    """Apply the EXIF orientation (phone photos). A broken EXIF block leaves the image as is:
    registration finds the page orientation from the markers anyway."""
    if _orientation(im) == 1:
        return im
    try:
        return ImageOps.exif_transpose(im)
    except Exception:
        return im


def _to_uint8(im: Image.Image) -> np.ndarray:
    """Any Pillow mode as uint8 grey (2-D) or BGR; transparency composited onto white paper."""
    mode = im.mode
    if mode == "1":
        return np.asarray(im.convert("L"))
    if mode == "L":
        return np.asarray(im)
    if mode in ("I;16", "I;16L", "I;16B", "I;16N", "I", "F"):
        values = np.asarray(im).astype(np.float64)
        if mode.startswith("I;16") or (mode == "I" and values.max(initial=0) > 255):
            values = values / 257.0  # 16-bit range onto 8-bit
        return np.clip(np.rint(values), 0, 255).astype(np.uint8)
    if mode == "P":
        im = im.convert("RGBA" if "transparency" in im.info else "RGB")
    elif mode == "PA":
        im = im.convert("RGBA")
    elif mode in ("LA", "La"):
        im = im.convert("RGBA")
    elif mode == "RGBa":
        im = im.convert("RGBA")
    elif mode != "RGBA" and mode != "RGB":
        im = im.convert("RGB")  # CMYK, YCbCr, LAB, HSV, RGBX
    if im.mode == "RGBA":
        white = Image.new("RGBA", im.size, (255, 255, 255, 255))
        im = Image.alpha_composite(white, im).convert("RGB")
    return np.ascontiguousarray(np.asarray(im)[:, :, ::-1])


def _square_pixels(image: np.ndarray, dpi_x: float, dpi_y: float,
                   limits: Limits) -> tuple[np.ndarray, float]:
    """Upsample the coarser axis so pixels are square; returns the image and its dpi."""
    if dpi_x <= 0 or dpi_y <= 0:
        return image, 0.0
    if abs(dpi_x - dpi_y) <= PARAMS.square_pixel_tolerance * max(dpi_x, dpi_y):
        return image, max(dpi_x, dpi_y)
    dpi = max(dpi_x, dpi_y)
    height, width = image.shape[:2]
    new_w = round(width * dpi / dpi_x)
    new_h = round(height * dpi / dpi_y)
    if new_w * new_h > limits.max_pixels:
        raise PageRefused(f"page too large to read safely ({new_w} x {new_h} px after "
                       f"making pixels square)")
    return cv2.resize(image, (new_w, new_h), interpolation=cv2.INTER_LINEAR), dpi
