"""PDF pages -> page images, with pypdfium2: a page is rendered at the resolution of its scanned
image (or `Limits.default_dpi` for a page with none), honouring /Rotate; an encrypted file opens
with its password. Pages too big to hold are refused before they are rendered.

It does not find the file's type or turn a failure into a reason (`pages.py` does both).
"""

from __future__ import annotations

import math
import warnings
from ctypes import byref, c_uint
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
from pypdf import PdfReader

from srs_scan.errors import PageRefused
from srs_scan.read.page_image import PARAMS, POINTS_PER_INCH, Limits, PageImage, grey_if_neutral


def open_pdf(path: Path, password: str | None) -> pdfium.PdfDocument:
    """Open by path (pdfium reads from disk as needed, not the whole file into memory)."""
    try:
        return pdfium.PdfDocument(Path(path), password=password)
    except pdfium.PdfiumError as exc:
        code = getattr(exc, "err_code", None)
        if code == pdfium_c.FPDF_ERR_PASSWORD and password is not None:
            # A batch password given for every file must not lock out a file whose user
            # password is empty (it opens for anyone).
            try:
                return pdfium.PdfDocument(Path(path), password=None)
            except pdfium.PdfiumError:
                pass
        if code == pdfium_c.FPDF_ERR_PASSWORD:
            if password is None:
                raise PageRefused("encrypted: password needed") from None
            raise PageRefused("wrong password") from None
        if code == pdfium_c.FPDF_ERR_SECURITY:
            raise PageRefused("encrypted with a method that cannot be read") from None
        if code == pdfium_c.FPDF_ERR_FILE:
            raise PageRefused("file could not be read from disk") from None
        raise PageRefused("file is damaged (not a readable PDF)") from None


def pdf_page(pdf: pdfium.PdfDocument, path: Path, number: int, limits: Limits,
              probe: MaskProbe) -> PageImage:
    page = pdf[number - 1]
    try:
        width_pt, height_pt = page.get_size()
        if not (width_pt > 0 and height_pt > 0):
            raise PageRefused("page has no size (damaged page box)")
        images = _placed_images(page)
        if images:
            images = _with_masks(images, probe.mask_sizes(number - 1))
        _refuse_huge_images(images, limits)
        dpi = _render_dpi(width_pt, height_pt, images, limits)
        # pdfium sizes the bitmap as ceil(size * scale); the factor keeps float noise from
        # adding a pixel row (792 pt at 300 dpi is 3300 px, not 3301)
        scale = dpi / POINTS_PER_INCH * (1.0 - 1e-9)
        bitmap = page.render(scale=scale, draw_annots=True)
        # new_native bitmaps own a Python buffer, so the array view stays valid after close
        image = grey_if_neutral(bitmap.to_numpy())
        bitmap.close()
    finally:
        page.close()
    return PageImage(str(path), number, image, dpi)


@dataclass(frozen=True)
class _PlacedImage:
    width_px: int
    height_px: int
    width_pt: float      # length on the page of the image's x axis
    height_pt: float     # length on the page of the image's y axis
    area_pt2: float      # area covered on the page

    @property
    def dpi(self) -> float:
        """Pixels per inch along the finer of the image's two axes."""
        dx = self.width_px / (self.width_pt / POINTS_PER_INCH) if self.width_pt > 0 else 0.0
        dy = self.height_px / (self.height_pt / POINTS_PER_INCH) if self.height_pt > 0 else 0.0
        return max(dx, dy)


def _placed_images(page: pdfium.PdfPage, max_depth: int = 8) -> list[_PlacedImage]:
    """Every image on the page with its placed size, descending into form XObjects
    (composing their matrices, so skewed, rotated and nested placements are measured right)."""
    found: list[_PlacedImage] = []

    def visit(count: int, get, outer: np.ndarray, depth: int) -> None:
        for i in range(count):
            obj = get(i)
            if not obj:
                continue
            kind = pdfium_c.FPDFPageObj_GetType(obj)
            if kind not in (pdfium_c.FPDF_PAGEOBJ_IMAGE, pdfium_c.FPDF_PAGEOBJ_FORM):
                continue
            m = pdfium_c.FS_MATRIX()
            if not pdfium_c.FPDFPageObj_GetMatrix(obj, byref(m)):
                continue
            linear = np.array([[m.a, m.b], [m.c, m.d]]) @ outer  # PDF row-vector convention
            if kind == pdfium_c.FPDF_PAGEOBJ_IMAGE:
                w, h = c_uint(), c_uint()
                if pdfium_c.FPDFImageObj_GetImagePixelSize(obj, byref(w), byref(h)):
                    found.append(_PlacedImage(
                        w.value, h.value,
                        float(np.hypot(*linear[0])), float(np.hypot(*linear[1])),
                        float(abs(np.linalg.det(linear)))))
            elif depth < max_depth:
                visit(pdfium_c.FPDFFormObj_CountObjects(obj),
                      lambda j, o=obj: pdfium_c.FPDFFormObj_GetObject(o, j), linear, depth + 1)

    visit(pdfium_c.FPDFPage_CountObjects(page),
          lambda j: pdfium_c.FPDFPage_GetObject(page, j), np.eye(2), 0)
    return found


class MaskProbe:
    """Sizes of the soft masks of a page's images, read with pypdf (pdfium does not expose
    them). Scanners' "compact"/MRC PDFs put the sharp text layer in a 300 dpi mask over a
    100 dpi background or even a 1x1 px colour: the mask sets the resolution to render at.
    Best effort: any failure (e.g. AES without the `cryptography` package) gives no masks."""

    def __init__(self, path: Path, password: str | None) -> None:
        self.path, self.password = Path(path), password
        self._reader: PdfReader | None = None
        self._failed = False

    def mask_sizes(self, index: int) -> dict[tuple[int, int], tuple[int, int]]:
        """{(image width, height) px: (largest mask width, height) px} for one page."""
        if self._failed:
            return {}
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                if self._reader is None:
                    self._reader = PdfReader(self.path, strict=False)
                    if self._reader.is_encrypted:
                        self._reader.decrypt(self.password or "")
                sizes: dict[tuple[int, int], tuple[int, int]] = {}
                resources = self._reader.pages[index].get("/Resources")
                _collect_masks(resources, sizes, depth=0, seen=set())
                return sizes
        except Exception:
            self._failed = True
            return {}


def _collect_masks(resources, sizes: dict, depth: int, seen: set[int]) -> None:
    resources = resources.get_object() if resources is not None else None
    if not hasattr(resources, "get") or depth > 8:
        return
    xobjects = resources.get("/XObject")
    xobjects = xobjects.get_object() if xobjects is not None else None
    if not hasattr(xobjects, "values"):
        return
    for ref in xobjects.values():
        xobj = ref.get_object()
        if id(xobj) in seen or not hasattr(xobj, "get"):
            continue
        seen.add(id(xobj))
        if xobj.get("/Subtype") == "/Form":
            _collect_masks(xobj.get("/Resources"), sizes, depth + 1, seen)
            continue
        if xobj.get("/Subtype") != "/Image":
            continue
        size = (int(xobj.get("/Width", 0)), int(xobj.get("/Height", 0)))
        for key in ("/SMask", "/Mask"):
            mask = xobj.get(key)
            mask = mask.get_object() if mask is not None else None
            if hasattr(mask, "get") and "/Width" in mask:  # a stream, not a colour-key array
                mask_size = (int(mask["/Width"]), int(mask.get("/Height", 0)))
                if mask_size[0] * mask_size[1] > math.prod(sizes.get(size, size)):
                    sizes[size] = mask_size


def _with_masks(images: list[_PlacedImage],
                mask_sizes: dict[tuple[int, int], tuple[int, int]]) -> list[_PlacedImage]:
    """Images whose mask has more pixels than they do are measured by their mask."""
    out = []
    for img in images:
        mask = mask_sizes.get((img.width_px, img.height_px))
        if mask and mask[0] * mask[1] > img.width_px * img.height_px:
            img = _PlacedImage(mask[0], mask[1], img.width_pt, img.height_pt, img.area_pt2)
        out.append(img)
    return out


def _refuse_huge_images(images: list[_PlacedImage], limits: Limits) -> None:
    """pdfium decodes an embedded image in full whatever the render size, so a 35000 px
    square fax image is a bomb even on a page rendered small."""
    for img in images:
        if img.width_px * img.height_px > limits.max_pixels:
            raise PageRefused(f"page too large to read safely (embedded image "
                           f"{img.width_px} x {img.height_px} px)")


def _render_dpi(width_pt: float, height_pt: float, images: list[_PlacedImage],
                limits: Limits) -> float:
    """The resolution of the page's main scanned image (largest by pixels among those covering
    a real part of the page), clamped to the limits and lowered if the page would be too big."""
    page_area = width_pt * height_pt
    scans = [img for img in images
             if img.area_pt2 >= PARAMS.min_image_area_fraction * page_area and img.dpi > 0]
    if scans:
        main = max(scans, key=lambda img: img.width_px * img.height_px)
        dpi = float(round(main.dpi))
    else:
        dpi = limits.default_dpi
    dpi = min(max(dpi, limits.min_dpi), limits.max_dpi)
    w_in, h_in = width_pt / POINTS_PER_INCH, height_pt / POINTS_PER_INCH
    if (w_in * dpi) * (h_in * dpi) > limits.max_pixels:
        dpi = math.floor(math.sqrt(limits.max_pixels / (w_in * h_in)))
        if dpi < limits.min_dpi:
            raise PageRefused(f"page too large to read safely ({math.ceil(w_in * limits.min_dpi)} x "
                           f"{math.ceil(h_in * limits.min_dpi)} px at {limits.min_dpi:g} dpi)")
    return dpi
