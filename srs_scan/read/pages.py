"""Files → page images: PDF (via pypdfium2), TIFF, PNG and JPEG (via Pillow), one page at a time.

What it does:
- detects the file type from its first bytes (not only the extension);
- PDF: renders each page at the resolution of its scanned image (or `Limits.default_dpi`
  for vector-only pages), honouring /Rotate; opens encrypted files with a password;
- TIFF/PNG/JPEG: every frame, EXIF orientation applied, every pixel mode turned into uint8
  grey or BGR, non-square pixels (fax 204x98 dpi) resampled to square;
- refuses pages too big to hold in memory *before* decoding them (image bombs);
- never raises for a bad file or page: each problem becomes a `PageError` with a reason
  written for clinic staff, and the other pages still come.

What it does not: deskew, binarise, find the form or judge whether a page is a form at all.
It holds at most one page image at a time and keeps no state between calls, so a worker in
another process can call `load_page(path, page)` on its own.
"""

from __future__ import annotations

import math
import re
import warnings
from collections.abc import Sequence
from ctypes import byref, c_uint
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

import cv2
import numpy as np
import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
from PIL import Image, ImageOps
from pypdf import PdfReader

from srs_scan.errors import PageRefused, UsageError, page_reason
from srs_scan.read.complete import pdf_is_cut_short, tiff_chain

SUPPORTED_EXTENSIONS = frozenset({".pdf", ".tif", ".tiff", ".png", ".jpg", ".jpeg"})
POINTS_PER_INCH = 72.0


@dataclass(frozen=True)
class Limits:
    """What this module will agree to read. Pass a different one to trade safety for reach."""

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
    """Tuning constants of this module (not safety limits), each with its unit and reason."""

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


# --------------------------------------------------------------------------- public API


def count_pages(path: Path, password: str | None = None,
                limits: Limits = Limits()) -> int | PageError:
    """Number of pages in the file, or why it cannot be opened (a PageError with page 0)."""
    try:
        kind = _check_file(path, limits)
        if kind is FileKind.PDF:
            with _open_pdf(path, password) as pdf:
                count = len(pdf)
        else:
            with _open_raster(path, kind) as im:
                count = _count_frames(im, limits)
        whole = _whole_pages_if_cut(path, kind, count, limits)
        return count if whole is None else whole + 1  # the page at the cut gets its error row
    except Exception as exc:  # last resort: one bad file must never stop a batch
        return _page_error(path, 0, exc, _kind_name(path))


def load_page(path: Path, page: int, password: str | None = None,
              limits: Limits = Limits()) -> PageImage | PageError:
    """One page (1-based) as an image, opening the file itself (safe to call from workers)."""
    try:
        kind = _check_file(path, limits)
    except Exception as exc:
        return _page_error(path, 0, exc, _kind_name(path))
    try:  # a file that cannot be opened is an error for the whole file (page 0)
        opened = _open_pdf(path, password) if kind is FileKind.PDF else _open_raster(path, kind)
    except Exception as exc:
        return _page_error(path, 0, exc, kind.value)
    try:
        with opened:
            pdf_pages = len(opened) if isinstance(opened, pdfium.PdfDocument) else 0
            whole = _whole_pages_if_cut(path, kind, pdf_pages, limits)
            if whole is not None and page == whole + 1:
                return PageError(str(path), page, _cut_reason(kind, page))
            if whole is not None and page > whole:
                return PageError(str(path), page, f"no page {page} in this {kind.value} file")
            if isinstance(opened, pdfium.PdfDocument):
                if not 1 <= page <= len(opened):
                    return PageError(str(path), page, f"no page {page}: the file has {len(opened)}")
                return _pdf_page(opened, path, page, limits, _MaskProbe(path, password))
            try:
                _seek_frame(opened, page - 1, limits)
            except EOFError:
                return PageError(str(path), page, f"no page {page} in this {kind.value} file")
            return _raster_page(opened, path, page, kind, limits)
    except Exception as exc:
        return _page_error(path, page, exc, kind.value)


def find_inputs(paths: Sequence[Path]) -> tuple[list[Path], list[Path]]:
    """(inputs, skipped). Files given by name are always inputs (an unsupported one later
    gets an error row); folders are walked recursively in name order, taking files with a
    supported extension and skipping hidden files and folders. `skipped` lists the other
    non-hidden files found in folders, so nothing is dropped silently."""
    inputs: list[Path] = []
    skipped: list[Path] = []
    seen: set[Path] = set()
    for path in paths:
        path = Path(path)
        if not path.exists():
            raise UsageError(f"input not found: {path}")
        if path.is_dir():
            _walk_folder(path, inputs, skipped, seen, visited_dirs=set())
        elif path.resolve() not in seen:
            seen.add(path.resolve())
            inputs.append(path)
    return inputs, skipped


def _walk_folder(folder: Path, inputs: list[Path], skipped: list[Path], seen: set[Path],
                 visited_dirs: set[Path]) -> None:
    real = folder.resolve()
    if real in visited_dirs:  # a symlink loop
        return
    visited_dirs.add(real)
    for entry in sorted(folder.iterdir(), key=lambda p: p.name):
        if entry.name.startswith("."):
            continue
        if entry.is_dir():
            _walk_folder(entry, inputs, skipped, seen, visited_dirs)
        elif entry.is_file():
            if entry.suffix.lower() not in SUPPORTED_EXTENSIONS:
                skipped.append(entry)
            elif entry.resolve() not in seen:
                seen.add(entry.resolve())
                inputs.append(entry)


# --------------------------------------------------------------------------- file type


def _whole_pages_if_cut(path: Path, kind: FileKind, pdf_pages: int, limits: Limits) -> int | None:
    """None for a whole file; for a file cut short, the pages before the cut (the next page
    gets an error row rather than vanishing). `pdf_pages`: what the PDF reader recovered."""
    if kind is FileKind.TIFF:
        chain = tiff_chain(path, limits.max_pages)
        return chain.pages if chain.broken else None
    if kind is FileKind.PDF and pdf_is_cut_short(path):
        return pdf_pages
    return None


def _cut_reason(kind: FileKind, page: int) -> str:
    return (f"file is damaged (truncated {kind.value}): the file is cut short at page {page}, "
            f"so this page and any after it are missing")


def _check_file(path: Path, limits: Limits) -> FileKind:
    """The file's type from its content; refuses missing, empty, huge or unknown files."""
    path = Path(path)
    if path.is_dir():
        raise PageRefused("this is a folder, not a file")
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise PageRefused("file not found") from None
    except PermissionError:
        raise PageRefused("no permission to read this file") from None
    if size == 0:
        raise PageRefused("empty file (0 bytes)")
    if size > limits.max_file_bytes:
        raise PageRefused(f"file too large to read safely ({size / 1024**3:.1f} GB)")
    try:
        with open(path, "rb") as f:
            head = f.read(PARAMS.sniff_bytes)
    except PermissionError:
        raise PageRefused("no permission to read this file") from None
    kind = sniff(head)
    if kind is None:
        raise PageRefused(f"not a scan: unsupported file type {_describe_unknown(path, head)}")
    return kind


def sniff(head: bytes) -> FileKind | None:
    """The file type from its first bytes, or None when it is none we read."""
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return FileKind.PNG
    if head.startswith(b"\xff\xd8\xff"):
        return FileKind.JPEG
    if head[:4] in (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+"):
        return FileKind.TIFF
    if b"%PDF-" in head:  # PDF readers accept junk before the header (paperless invalid_pdf)
        return FileKind.PDF
    return None


def _describe_unknown(path: Path, head: bytes) -> str:
    suffix = path.suffix.lower()
    if suffix and suffix not in SUPPORTED_EXTENSIONS:
        return suffix
    if suffix:  # a .pdf/.png/... whose content is something else
        return f"(the file is named {suffix} but its content is not {suffix[1:].upper()})"
    return "(no extension, content not recognised)"


def _kind_name(path: Path) -> str:
    return Path(path).suffix.lstrip(".").upper() or "file"


# --------------------------------------------------------------------------- PDF


def _open_pdf(path: Path, password: str | None) -> pdfium.PdfDocument:
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


def _pdf_page(pdf: pdfium.PdfDocument, path: Path, number: int, limits: Limits,
              probe: _MaskProbe) -> PageImage:
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
        image = _grey_if_neutral(bitmap.to_numpy())
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


class _MaskProbe:
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


# --------------------------------------------------------------------------- TIFF / PNG / JPEG


def _open_raster(path: Path, kind: FileKind) -> Image.Image:
    """Open lazily (header only). Pillow's bomb check fires here for absurd sizes; our own
    Limits.max_pixels check follows on each frame, so Pillow's warning adds nothing."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        try:
            return Image.open(Path(path), formats=[kind.value])
        except Image.DecompressionBombError as exc:
            raise PageRefused(_bomb_reason(exc)) from None
        except Image.UnidentifiedImageError:
            raise PageRefused(f"file is damaged (not a readable {kind.value})") from None


def _bomb_reason(exc: Exception) -> str:
    numbers = re.findall(r"\d+", str(exc))
    size = f" ({int(numbers[0]):,} pixels)" if numbers else ""
    return f"page too large to read safely{size}"


def _count_frames(im: Image.Image, limits: Limits) -> int:
    """Frames that can be reached, walking the IFD chain rather than trusting a page-count
    tag; stops at limits.max_pages so a looping chain cannot run forever."""
    count = 1
    if not getattr(im, "is_animated", False) and getattr(im, "n_frames", 1) == 1:
        return 1
    while count < limits.max_pages:
        try:
            im.seek(count)
        except EOFError:
            break
        except Exception:
            break  # a damaged link in the chain: the pages before it still count
        count += 1
    return count


def _seek_frame(im: Image.Image, index: int, limits: Limits) -> None:
    if not 0 <= index < limits.max_pages:
        raise EOFError
    if index > 0 or getattr(im, "tell", lambda: 0)() != 0:
        im.seek(index)


def _raster_page(im: Image.Image, path: Path, number: int, kind: FileKind,
                 limits: Limits) -> PageImage:
    """The current frame of an open image as a PageImage (size checked before decoding)."""
    width, height = im.size
    if width * height > limits.max_pixels:
        raise PageRefused(f"page too large to read safely ({width} x {height} px)")
    if width == 0 or height == 0:
        raise PageRefused("page has no pixels")
    dpi_x, dpi_y = _declared_dpi(im)
    im.load()  # decoding happens here: truncated or corrupt data raises OSError
    frame = _upright(im)
    if frame is not im and _orientation(im) in (5, 6, 7, 8):
        dpi_x, dpi_y = dpi_y, dpi_x
    image = _to_uint8(frame)
    image, dpi = _square_pixels(image, dpi_x, dpi_y, limits)
    return PageImage(str(path), number, _grey_if_neutral(image), dpi)


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


# --------------------------------------------------------------------------- shared helpers


def _grey_if_neutral(image: np.ndarray) -> np.ndarray:
    """A BGR(A/x) image whose colour channels are all equal becomes 2-D grey (a third of the
    memory; most scans are black-and-white). Other images come back as contiguous BGR."""
    if image.ndim == 2:
        return image
    bgr = image[:, :, :3]
    b = bgr[:, :, 0]
    if np.array_equal(b, bgr[:, :, 1]) and np.array_equal(b, bgr[:, :, 2]):
        return np.ascontiguousarray(b)
    return np.ascontiguousarray(bgr)


def _page_error(path: Path, page: int, exc: BaseException, kind: str) -> PageError:
    """The error row for a page (0: the whole file) that failed, its reason from `errors.py`."""
    if isinstance(exc, Image.DecompressionBombError):
        exc = PageRefused(_bomb_reason(exc))
    return PageError(str(path), page, page_reason(exc, kind))
