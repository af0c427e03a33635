"""Scanning, and the files a scanner writes.

`scan` does a scanner's or a phone camera's work: one warp from the rendered page to
the scan (print transform, skew, upside-down feeding, phone perspective), then
optics, light, noise and fax binarisation. `pdf_of_jpegs`, `tiff_g4` and
`phone_jpeg` encode pages as a scanner or phone stores them, with no dates and no
ids, so the same pages give the same bytes.

This module draws nothing on the paper and writes no file itself: the run
(`srs_scan.simulate.simulate`) writes them, atomically.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence

import cv2
import numpy as np
from PIL import Image

from srs_scan.simulate.model import PHONE_SIZE_PX, PagePlan, Params, print_transform
from srs_scan.sheets.spec import MM_PER_INCH, PAPER_SIZES_MM


# --------------------------------------------------------------------------- scanning

def _mm_to_px(dpi_x: float, dpi_y: float) -> np.ndarray:
    kx, ky = dpi_x / MM_PER_INCH, dpi_y / MM_PER_INCH
    return np.array([[kx, 0, -0.5], [0, ky, -0.5], [0, 0, 1.0]])


def scan_transform(plan: PagePlan, paper: str, p: Params = Params()) -> np.ndarray:
    """3x3 map from paper mm to scan (or photo) pixels."""
    w_mm, h_mm = PAPER_SIZES_MM[paper]
    s = plan.scan
    if s.photo_corners:
        src = np.float32([(0, 0), (w_mm, 0), (w_mm, h_mm), (0, h_mm)])
        return cv2.getPerspectiveTransform(src, np.float32(s.photo_corners)).astype(float)
    a = math.radians(s.skew_deg + (180.0 if s.upside_down else 0.0))
    cx, cy = w_mm / 2.0, h_mm / 2.0
    rot = np.array([[math.cos(a), -math.sin(a), 0], [math.sin(a), math.cos(a), 0], [0, 0, 1.0]])
    to_c = np.array([[1, 0, -cx], [0, 1, -cy], [0, 0, 1.0]])
    back = np.array([[1, 0, cx + s.offset_mm[0]], [0, 1, cy + s.offset_mm[1]], [0, 0, 1.0]])
    return _mm_to_px(*s.dpi) @ back @ rot @ to_c


def _scan_size(plan: PagePlan, paper: str) -> tuple[int, int]:
    if plan.scan.photo_corners:
        return PHONE_SIZE_PX
    w_mm, h_mm = PAPER_SIZES_MM[paper]
    return round(w_mm / MM_PER_INCH * plan.scan.dpi[0]), round(h_mm / MM_PER_INCH * plan.scan.dpi[1])


def scan(img: np.ndarray, plan: PagePlan, paper: str, p: Params = Params()) -> np.ndarray:
    """Scanner or camera: one warp from the rendered page to the scan, then optics, light and noise."""
    s = plan.scan
    rng = np.random.default_rng(plan.noise_seed ^ 0x5CA9)
    render_to_mm = np.linalg.inv(_mm_to_px(p.paper_dpi, p.paper_dpi))
    total = scan_transform(plan, paper, p) @ print_transform(plan.print_scale, plan.print_offset_mm,
                                                             paper) @ render_to_mm
    if s.mode != "RGB":   # a grey or fax scan: one channel from the start, three times less work
        img = cv2.cvtColor(img, cv2.COLOR_RGB2GRAY)
    zoom = math.sqrt(abs(np.linalg.det(total[:2, :2])))   # scan px per render px
    if zoom < 0.95:   # anti-aliasing before the scan's coarser grid, as the optics would
        img = cv2.GaussianBlur(img, (0, 0), 0.45 / zoom)
    size = _scan_size(plan, paper)
    if s.photo_corners:
        out = cv2.warpPerspective(img, total, size, flags=cv2.INTER_LINEAR,
                                  borderMode=cv2.BORDER_CONSTANT, borderValue=(0, 0, 0))
        mask = cv2.warpPerspective(np.full(img.shape[:2], 255, np.uint8), total, size,
                                   flags=cv2.INTER_LINEAR)[:, :, None].astype(np.float32) / 255.0
        desk = np.empty_like(out)
        desk[:] = s.background
        desk = cv2.add(desk, rng.normal(0, 6, out.shape).astype(np.int16), dtype=cv2.CV_8U)
        desk = cv2.GaussianBlur(desk, (0, 0), 2.0)
        out = (out * mask + desk * (1 - mask)).astype(np.float32)
        out *= _light_field(size, s.light)[:, :, None] * np.array([1.0, 0.97, 0.9], np.float32)
        out = np.clip(out, 0, 255).astype(np.uint8)
    else:
        out = cv2.warpAffine(img, total[:2], size, flags=cv2.INTER_LINEAR,
                             borderMode=cv2.BORDER_CONSTANT, borderValue=s.background)
    out = cv2.GaussianBlur(out, (0, 0), s.blur_px)
    noise = rng.standard_normal(out.shape[:2], dtype=np.float32) * np.float32(s.noise)
    if out.ndim == 3:
        noise = cv2.merge([noise] * 3)   # luminance noise: the same in every channel
    out = cv2.add(out, noise, dtype=cv2.CV_8U)
    if s.mode == "1":
        grey = out
        header = f"FAX  +1 555 0100   CLINIC   P.{rng.integers(1, 4)}"
        cv2.putText(grey, header, (int(0.06 * size[0]), int(0.012 * size[1]) + 8),
                    cv2.FONT_HERSHEY_PLAIN, size[0] / 1700.0, 0, 1, cv2.LINE_8)
        return grey < p.fax_threshold   # True = black
    return out


def _light_field(size: tuple[int, int], light: tuple[float, float, float, float]) -> np.ndarray:
    """A window on one side, a lamp on the other: a smooth gradient with a vignette."""
    level, gx, gy, vignette = light
    w, h = size
    xs = np.linspace(-1, 1, w, dtype=np.float32)[None, :]
    ys = np.linspace(-1, 1, h, dtype=np.float32)[:, None]
    return level * (1.0 + gx * xs + gy * ys) * (1.0 - vignette * (xs ** 2 + ys ** 2) / 2.0)


# --------------------------------------------------------------------------- files

def jpeg_bytes(img: np.ndarray, quality: int, dpi: tuple[int, int] | None = None, exif: bytes = b"") -> bytes:
    buf = io.BytesIO()
    kwargs: dict = {"quality": quality, "subsampling": 2 if img.ndim == 3 else 0}
    if dpi:
        kwargs["dpi"] = dpi
    if exif:
        kwargs["exif"] = exif
    Image.fromarray(img).save(buf, "JPEG", **kwargs)
    return buf.getvalue()


def pdf_of_jpegs(pages: Sequence[tuple[bytes, int, int, bool, tuple[int, int]]]) -> bytes:
    """A PDF with one full-page JPEG image per page, as a scanner writes it.

    Each page is (jpeg bytes, width px, height px, is_colour, (dpi_x, dpi_y)). No
    dates, no ids: the same pages give the same bytes.
    """
    objects: list[bytes] = [b"", b""]   # 1: catalog, 2: pages; filled in below
    kids = []
    for data, w, h, colour, (dx, dy) in pages:
        n = len(objects)
        image_n, content_n, page_n = n + 1, n + 2, n + 3
        w_pt, h_pt = w * 72.0 / dx, h * 72.0 / dy
        space = b"/DeviceRGB" if colour else b"/DeviceGray"
        objects.append(b"<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace %s "
                       b"/BitsPerComponent 8 /Filter /DCTDecode /Length %d >>\nstream\n"
                       % (w, h, space, len(data)) + data + b"\nendstream")
        content = b"q %.4f 0 0 %.4f 0 0 cm /Im0 Do Q" % (w_pt, h_pt)
        objects.append(b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream")
        objects.append(b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %.4f %.4f] "
                       b"/Resources << /XObject << /Im0 %d 0 R >> >> /Contents %d 0 R >>"
                       % (w_pt, h_pt, image_n, content_n))
        kids.append(page_n)
    objects[0] = b"<< /Type /Catalog /Pages 2 0 R >>"
    objects[1] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (
        b" ".join(b"%d 0 R" % k for k in kids), len(kids))
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for i, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def tiff_g4(pages: Sequence[np.ndarray], dpi: Sequence[tuple[int, int]]) -> bytes:
    """A multi-page bilevel TIFF, CCITT group 4, as a fax or document scanner writes it."""
    images = [Image.fromarray(~page) for page in pages]   # mode "1": white is True
    buf = io.BytesIO()
    # one resolution per file: fax machines do not mix fine and standard mode in a document
    images[0].save(buf, "TIFF", save_all=True, append_images=images[1:], compression="group4",
                   dpi=dpi[0])
    return buf.getvalue()


def phone_jpeg(img: np.ndarray, quality: int, exif_rotated: bool) -> bytes:
    """A phone photo; half of them stored sideways with an EXIF tag saying how to turn them."""
    exif = Image.Exif()
    exif[0x010F] = "SimPhone"       # Make
    if exif_rotated:
        img = np.ascontiguousarray(np.rot90(img, 1))   # sensor data lies sideways...
        exif[0x0112] = 6                                # ...and orientation 6 says: turn 90 deg CW
    else:
        exif[0x0112] = 1
    return jpeg_bytes(img, quality, exif=exif.tobytes())
