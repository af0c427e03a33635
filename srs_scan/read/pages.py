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
another process can call `load_page(path, page)` on its own. The formats are read in
`pdf_pages.py` and `raster_pages.py`; what they share (`PageImage`, `PageError`, `Limits`) is in
`page_image.py`. This module finds the files, tells their type, asks the right one for a page,
and turns any failure into a `PageError`.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pypdfium2 as pdfium
from PIL import Image

from srs_scan.errors import PageRefused, UsageError, page_reason
from srs_scan.read.complete import pdf_is_cut_short, tiff_chain
from srs_scan.read.page_image import PARAMS, FileKind, Limits, PageError, PageImage, Params
from srs_scan.read.pdf_pages import MaskProbe, open_pdf, pdf_page
from srs_scan.read.raster_pages import bomb_reason, count_frames, open_raster, raster_page, seek_frame

SUPPORTED_EXTENSIONS = frozenset({".pdf", ".tif", ".tiff", ".png", ".jpg", ".jpeg"})

__all__ = ["FileKind", "Limits", "PageError", "PageImage", "Params", "SUPPORTED_EXTENSIONS",
           "count_pages", "find_inputs", "load_page", "sniff"]


# --------------------------------------------------------------------------- public API


def count_pages(path: Path, password: str | None = None,
                limits: Limits = Limits()) -> int | PageError:
    """Number of pages in the file, or why it cannot be opened (a PageError with page 0)."""
    try:
        kind = _check_file(path, limits)
        if kind is FileKind.PDF:
            with open_pdf(path, password) as pdf:
                count = len(pdf)
        else:
            with open_raster(path, kind) as im:
                count = count_frames(im, limits)
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
        opened = open_pdf(path, password) if kind is FileKind.PDF else open_raster(path, kind)
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
                return pdf_page(opened, path, page, limits, MaskProbe(path, password))
            try:
                seek_frame(opened, page - 1, limits)
            except EOFError:
                return PageError(str(path), page, f"no page {page} in this {kind.value} file")
            return raster_page(opened, path, page, kind, limits)
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


def _page_error(path: Path, page: int, exc: BaseException, kind: str) -> PageError:
    """The error row for a page (0: the whole file) that failed, its reason from `errors.py`."""
    if isinstance(exc, Image.DecompressionBombError):
        exc = PageRefused(bomb_reason(exc))
    return PageError(str(path), page, page_reason(exc, kind))
