"""A page as the reader gets it (`PageImage`), or why it did not come (`PageError`), and the
limits on what an input file may be: what `pages.py` and its two format modules share.

It opens no file.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

import numpy as np

POINTS_PER_INCH = 72.0


@dataclass(frozen=True)
class Limits:
    """What the page readers will agree to read. Pass a different one to trade safety for reach."""

    # Pixels (width x height) of one page image after choosing its resolution. 120 Mpx is
    # A3 at 600 dpi with room to spare (~100 Mpx) and 360 MB as BGR: beyond that a page is
    # more likely an "image bomb" (a tiny file that decodes to gigabytes) than a scan.
    max_pixels: int = 120_000_000
    # Bytes of one input file. A 300-page colour scan is a few hundred MB; 2 GiB is refused
    # so a stray disk image or video does not tie up a worker.
    max_file_bytes: int = 2 * 1024**3
    # Dots per inch used to render a PDF page that holds no scanned image (born-digital,
    # e.g. the printable sheets themselves): 300 dpi is what scanners use for forms.
    default_dpi: float = 300.0
    # Dots per inch: a PDF page is rendered at the resolution of its scanned image, clamped
    # to this range. Below 100 dpi a 0.4 pt line and the pen marks are lost; above 600 dpi
    # pixels add memory and time but no measurement precision (0.04 mm per px).
    min_dpi: float = 100.0
    max_dpi: float = 600.0
    # Frames of one TIFF: a guard against an IFD chain that loops or claims absurd counts.
    max_pages: int = 10_000


@dataclass(frozen=True)
class Params:
    """Tuning constants of the page readers (not safety limits), each with its unit and reason."""

    # Fraction of the page area an image must cover to set the page's render resolution;
    # smaller images are logos or stamps on a vector page, whose dpi says nothing.
    min_image_area_fraction: float = 0.10
    # Relative difference between x and y dpi tolerated as "square" (0.01 = 1 %); fax
    # modes differ by 2x, rounding in scanner headers by well under 1 %.
    square_pixel_tolerance: float = 0.01
    # Dots per inch below which a declared resolution is nonsense (files saying "1 dpi")
    # and is reported as unknown (0.0) rather than trusted.
    min_plausible_dpi: float = 20.0
    # Bytes read from the start of a file to recognise its type; PDF allows junk before
    # "%PDF" and readers accept it within the first 1024 bytes.
    sniff_bytes: int = 1024


PARAMS = Params()


@dataclass(frozen=True)
class PageImage:
    source: str          # the path as given
    page: int            # 1-based
    image: np.ndarray    # uint8; 2-D grey, or HxWx3 in OpenCV's BGR order; square pixels
    dpi: float           # pixels per inch after any resampling; 0.0 when unknown


@dataclass(frozen=True)
class PageError:
    source: str
    page: int            # 1-based; 0 stands for the whole file (it could not be opened)
    reason: str          # plain language for clinic staff


class FileKind(Enum):
    PDF = "PDF"
    TIFF = "TIFF"
    PNG = "PNG"
    JPEG = "JPEG"


def grey_if_neutral(image: np.ndarray) -> np.ndarray:
    """A BGR(A/x) image whose colour channels are all equal becomes 2-D grey (a third of the
    memory; most scans are black-and-white). Other images come back as contiguous BGR."""
    if image.ndim == 2:
        return image
    bgr = image[:, :, :3]
    b = bgr[:, :, 0]
    if np.array_equal(b, bgr[:, :, 1]) and np.array_equal(b, bgr[:, :, 2]):
        return np.ascontiguousarray(b)
    return np.ascontiguousarray(bgr)
