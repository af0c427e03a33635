"""pages.py: every file becomes page images or PageErrors with a reason, never an exception.

Fixtures are made on the fly (seeded) in tmp_path; tests/resources/README.md says what each
proves. The real-world files in ../shared/realdata are used when present, skipped otherwise.
"""

from __future__ import annotations

import io
import random
import struct
import tracemalloc
import warnings
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from pypdf import PdfReader, PdfWriter
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen.canvas import Canvas

from srs_scan.errors import UsageError
from srs_scan.sheets.generate import render_sheets
from srs_scan.read.pages import (Limits, PageError, PageImage, count_pages, find_inputs,
                            load_page)
from srs_scan.sheets.sheetid import SheetId
from srs_scan.sheets.spec import load_form

REALDATA = Path(__file__).resolve().parents[1].parent / "shared" / "realdata"


def _pages(path: Path, password: str | None = None, limits: Limits = Limits()
           ) -> list[PageImage | PageError]:
    """Every page as the batch reads them: count_pages, then load_page for each."""
    count = count_pages(path, password, limits)
    if isinstance(count, PageError):
        return [count]
    return [load_page(path, n, password, limits) for n in range(1, count + 1)]


def _only_images(items) -> list[PageImage]:
    assert all(isinstance(i, PageImage) for i in items), [getattr(i, "reason", "") for i in items]
    return items


def _test_page(seed: int, width: int, height: int) -> Image.Image:
    """A grey page with random black blocks: content that shows if pixels move or flip."""
    rng = np.random.default_rng(seed)
    pixels = np.full((height, width), 255, np.uint8)
    for _ in range(12):
        y, x = rng.integers(0, height - 8), rng.integers(0, width - 8)
        pixels[y:y + 8, x:x + 8] = 0
    return Image.fromarray(pixels)


# --------------------------------------------------------------------------- PDF


def test_vector_pdf_renders_every_page_at_default_dpi(tmp_path):
    spec = load_form()
    sheets = [SheetId(spec.form_id, spec.version, f"SER{i:05d}") for i in range(3)]
    path = tmp_path / "sheets.pdf"
    path.write_bytes(render_sheets(spec, sheets, "a4", invariant=True))
    assert count_pages(path) == 3
    pages = _only_images(_pages(path))
    assert [p.page for p in pages] == [1, 2, 3]
    for p in pages:
        assert p.dpi == 300.0
        h, w = p.image.shape[:2]
        assert abs(w - 210 / 25.4 * 300) <= 1 and abs(h - 297 / 25.4 * 300) <= 1
        assert p.image.dtype == np.uint8 and p.image.min() < 50  # the markers are black


@pytest.mark.parametrize("mode,dpi", [("RGB", 200), ("L", 300), ("1", 200), ("1", 300)])
def test_pillow_pdf_with_jpeg_or_ccitt_image_renders_at_image_dpi(tmp_path, mode, dpi):
    # Pillow writes mode "1" as CCITTFaxDecode (G4) and RGB/L as DCTDecode (JPEG)
    image = _test_page(1, dpi * 2, dpi * 3).convert(mode)
    path = tmp_path / f"scan_{mode}_{dpi}.pdf"
    image.save(path, resolution=dpi)
    reader = PdfReader(path)
    xobj = next(iter(reader.pages[0]["/Resources"]["/XObject"].values())).get_object()
    assert ("CCITT" if mode == "1" else "DCT") in str(xobj["/Filter"])
    (page,) = _only_images(_pages(path))
    assert page.dpi == dpi
    assert page.image.shape[:2] == (dpi * 3, dpi * 2)
    if mode == "1":  # lossless: every pixel comes back where it was
        assert np.array_equal(page.image, np.asarray(image.convert("L")))


def test_reportlab_flate_image_placed_at_known_size_sets_dpi(tmp_path):
    # 800 x 1200 px drawn on 4 x 6 inches = 200 dpi, on a Letter page with other vector content
    image = _test_page(2, 800, 1200).convert("RGB")
    path = tmp_path / "flate.pdf"
    canvas = Canvas(str(path), pagesize=(612, 792))
    canvas.drawImage(ImageReader(image), 72, 72, width=288, height=432)
    canvas.drawString(300, 700, "vector text")
    canvas.save()
    xobj = next(iter(PdfReader(path).pages[0]["/Resources"]["/XObject"].values())).get_object()
    assert "Flate" in str(xobj["/Filter"])
    (page,) = _only_images(_pages(path))
    assert page.dpi == 200
    assert page.image.shape[:2] == (2200, 1700)


def test_pdf_dpi_is_clamped_and_lowered_to_fit_max_pixels(tmp_path):
    image = _test_page(3, 100, 100)
    path = tmp_path / "low.pdf"
    image.save(path, resolution=50)  # 50 dpi scan → rendered at min_dpi
    (page,) = _only_images(_pages(path))
    assert page.dpi == 100 and page.image.shape == (200, 200)
    # 2 x 2 in at 100 dpi = 40,000 px; a 10,000 px limit forces 50 dpi, below min_dpi 40
    limits = Limits(max_pixels=10_000, min_dpi=40)
    (page,) = _only_images(_pages(path, limits=limits))
    assert page.dpi == 50 and page.image.shape == (100, 100)


def test_huge_mediabox_is_refused_for_that_page_only(tmp_path):
    path = tmp_path / "bomb.pdf"
    canvas = Canvas(str(path), pagesize=(612, 792))
    canvas.drawString(72, 72, "page 1")
    canvas.showPage()
    canvas.setPageSize((14_400, 14_400))  # 200 x 200 in: 20000 x 20000 px even at 100 dpi
    canvas.drawString(72, 72, "page 2")
    canvas.showPage()
    canvas.setPageSize((612, 792))
    canvas.drawString(72, 72, "page 3")
    canvas.showPage()
    canvas.save()
    tracemalloc.start()
    items = _pages(path)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert [type(i) for i in items] == [PageImage, PageError, PageImage]
    assert items[1].page == 2 and "too large" in items[1].reason
    assert peak < 60 * 1024**2  # two Letter pages at 300 dpi, never the 400 Mpx one


def _encrypted_pdf(tmp_path: Path, user_password: str) -> Path:
    source = tmp_path / "plain.pdf"
    canvas = Canvas(str(source), pagesize=(144, 144))
    canvas.rect(36, 36, 72, 72, fill=1)
    canvas.save()
    writer = PdfWriter(clone_from=source)
    writer.encrypt(user_password=user_password, owner_password="owner-secret",
                   algorithm="RC4-128")
    path = tmp_path / "locked.pdf"
    with open(path, "wb") as f:
        writer.write(f)
    return path


def test_encrypted_pdf_needs_its_password(tmp_path):
    path = _encrypted_pdf(tmp_path, "clinic")
    (missing,) = _pages(path)
    assert isinstance(missing, PageError) and missing.page == 0
    assert missing.reason == "encrypted: password needed"
    (wrong,) = _pages(path, password="nope")
    assert isinstance(wrong, PageError) and wrong.reason == "wrong password"
    assert isinstance(count_pages(path), PageError)
    assert count_pages(path, password="clinic") == 1
    (page,) = _only_images(_pages(path, password="clinic"))
    assert page.image.shape == (600, 600) and page.image[300, 300] == 0


def test_empty_user_password_opens_with_or_without_a_batch_password(tmp_path):
    path = _encrypted_pdf(tmp_path, "")
    assert len(_only_images(_pages(path))) == 1
    assert len(_only_images(_pages(path, password="some-other-files-password"))) == 1


def test_load_page_opens_the_file_itself_and_checks_the_page_number(tmp_path):
    spec = load_form()
    path = tmp_path / "two.pdf"
    path.write_bytes(render_sheets(spec, [SheetId(spec.form_id, spec.version, "A"),
                                          SheetId(spec.form_id, spec.version, "B")],
                                   "letter", invariant=True))
    second = load_page(path, 2)
    assert isinstance(second, PageImage) and second.page == 2
    assert second.image.shape[:2] == (3300, 2550)
    beyond = load_page(path, 3)
    assert isinstance(beyond, PageError) and beyond.page == 3


# --------------------------------------------------------------------------- TIFF / PNG / JPEG


@pytest.mark.parametrize("compression,mode", [("group4", "1"), ("tiff_lzw", "L"),
                                              ("jpeg", "RGB"), ("packbits", "1")])
def test_multipage_tiff_every_encoding(tmp_path, compression, mode):
    frames = [_test_page(10 + i, 300, 400).convert(mode) for i in range(3)]
    path = tmp_path / f"{compression}.tif"
    frames[0].save(path, save_all=True, append_images=frames[1:], compression=compression,
                   dpi=(300, 300))
    assert count_pages(path) == 3
    pages = _only_images(_pages(path))
    assert [p.page for p in pages] == [1, 2, 3] and all(p.dpi == 300 for p in pages)
    for page, frame in zip(pages, frames):
        expected = np.asarray(frame.convert("L"), dtype=np.int16)
        got = page.image if page.image.ndim == 2 else page.image.mean(axis=2)
        tolerance = 40 if compression == "jpeg" else 0
        assert np.abs(got.astype(np.int16) - expected).mean() <= tolerance / 10
        assert np.abs(got.astype(np.int16) - expected).max() <= max(tolerance * 4, 0)
    assert isinstance(load_page(path, 3), PageImage)
    assert isinstance(load_page(path, 4), PageError)


def test_fax_tiff_with_non_square_pixels_is_resampled(tmp_path):
    # 1 x 1 inch at 200 x 100 dpi (fax "normal" mode): 200 px wide, 100 px tall
    image = _test_page(20, 200, 100).convert("1")
    path = tmp_path / "fax.tif"
    image.save(path, compression="group4", dpi=(200, 100))
    (page,) = _only_images(_pages(path))
    assert page.dpi == 200
    assert page.image.shape == (200, 200)


def test_tiff_whose_page_chain_loops_ends(tmp_path):
    buffer = io.BytesIO()
    Image.new("L", (20, 10), 200).save(buffer, format="TIFF")
    data = bytearray(buffer.getvalue())
    ifd = struct.unpack("<I", data[4:8])[0]
    next_ifd = ifd + 2 + 12 * struct.unpack("<H", data[ifd:ifd + 2])[0]
    data[next_ifd:next_ifd + 4] = struct.pack("<I", ifd)  # "next page" is this page again
    path = tmp_path / "loop.tif"
    path.write_bytes(bytes(data))
    assert count_pages(path) == 1
    assert [type(i) for i in _pages(path)] == [PageImage]


def test_png_alpha_is_composited_onto_white(tmp_path):
    rgba = np.zeros((20, 30, 4), np.uint8)
    rgba[:, :15] = (255, 0, 0, 255)   # opaque red on the left, transparent on the right
    path = tmp_path / "alpha.png"
    Image.fromarray(rgba, "RGBA").save(path)
    (page,) = _only_images(_pages(path))
    assert page.image.shape == (20, 30, 3)
    assert tuple(page.image[10, 5]) == (0, 0, 255)        # BGR red
    assert tuple(page.image[10, 25]) == (255, 255, 255)   # paper white
    assert page.dpi == 0.0  # no dpi stored


def test_sixteen_bit_png_becomes_uint8(tmp_path):
    ramp = np.linspace(0, 65535, 64 * 8).astype(np.uint16).reshape(8, 64)
    path = tmp_path / "deep.png"
    Image.fromarray(ramp).save(path)
    (page,) = _only_images(_pages(path))
    assert page.image.dtype == np.uint8 and page.image.ndim == 2
    assert page.image.min() == 0 and page.image.max() == 255


def test_jpeg_exif_orientation_is_applied(tmp_path):
    pixels = np.full((40, 60, 3), 255, np.uint8)   # 60 wide, 40 tall
    pixels[:10, :10] = 0                          # black mark in the stored top-left corner
    image = Image.fromarray(pixels)
    exif = image.getexif()
    exif[0x0112] = 6  # "rotate 90 degrees clockwise to display"
    path = tmp_path / "phone.jpg"
    image.save(path, exif=exif, quality=95, dpi=(72, 72))
    (page,) = _only_images(_pages(path))
    assert page.image.shape[:2] == (60, 40)       # now portrait
    assert page.image[5, 34] < 60                 # the mark moved to the top-right
    assert page.image[5, 5] > 200


def test_png_bomb_is_refused_without_decoding(tmp_path):
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(
            ">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    header = struct.pack(">IIBBBBB", 100_000, 100_000, 8, 0, 0, 0, 0)
    path = tmp_path / "bomb.png"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
                     + chunk(b"IDAT", zlib.compress(b"\x00" * 1000)) + chunk(b"IEND", b""))
    tracemalloc.start()
    (item,) = _pages(path)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert isinstance(item, PageError) and "too large" in item.reason
    assert peak < 10 * 1024**2
    assert isinstance(count_pages(path), PageError)


def test_our_pixel_limit_applies_below_pillows(tmp_path):
    path = tmp_path / "small.png"
    _test_page(4, 100, 100).save(path)
    (item,) = _pages(path, limits=Limits(max_pixels=5_000))
    assert isinstance(item, PageError) and item.reason == (
        "page too large to read safely (100 x 100 px)")


# --------------------------------------------------------------------------- bad files


def test_bad_files_give_plain_reasons(tmp_path):
    rng = random.Random(5)
    png = io.BytesIO()
    _test_page(6, 200, 200).save(png, format="PNG")
    cases = {
        "empty.pdf": (b"", "empty file (0 bytes)"),
        "garbage.pdf": (bytes(rng.randrange(256) for _ in range(2000)), "not a scan"),
        "broken.pdf": (b"%PDF-1.4\n" + bytes(rng.randrange(256) for _ in range(500)), "damaged"),
        "notes.txt": (b"client notes\n", "not a scan: unsupported file type .txt"),
        "letter.docx": (b"PK\x03\x04" + b"\x00" * 100, "not a scan: unsupported file type .docx"),
        "cut.png": (png.getvalue()[: len(png.getvalue()) // 2], "file is damaged (truncated PNG)"),
    }
    for name, (content, reason) in cases.items():
        path = tmp_path / name
        path.write_bytes(content)
        items = _pages(path)
        assert len(items) == 1 and isinstance(items[0], PageError), name
        assert reason in items[0].reason, (name, items[0].reason)
        if name != "cut.png":  # a PNG that opens but cannot be decoded is one failed page
            assert items[0].page == 0
            assert isinstance(count_pages(path), PageError)
            assert isinstance(load_page(path, 1), PageError)


def test_content_decides_the_type_not_the_extension(tmp_path):
    path = tmp_path / "really_a_png.pdf"
    _test_page(7, 50, 40).save(path, format="PNG")
    (page,) = _only_images(_pages(path))
    assert page.image.shape == (40, 50)


def test_missing_file_is_a_page_error_not_an_exception(tmp_path):
    (item,) = _pages(tmp_path / "gone.pdf")
    assert isinstance(item, PageError) and item.page == 0 and "not found" in item.reason


# --------------------------------------------------------------------------- find_inputs


def test_find_inputs_walks_folders_in_name_order_and_reports_skipped(tmp_path):
    (tmp_path / "b").mkdir()
    (tmp_path / ".hidden_dir").mkdir()
    for name in ["b/2.PDF", "b/1.tif", "a.JPEG", "c.png", "notes.docx", ".hidden.pdf",
                 ".hidden_dir/x.pdf", "z.tiff"]:
        (tmp_path / name).write_bytes(b"x")
    given = tmp_path / "notes.docx"
    inputs, skipped = find_inputs([tmp_path, given])
    rel = [p.relative_to(tmp_path).as_posix() for p in inputs]
    assert rel == ["a.JPEG", "b/1.tif", "b/2.PDF", "c.png", "z.tiff", "notes.docx"]
    assert [p.name for p in skipped] == ["notes.docx"]
    with pytest.raises(UsageError, match="not found"):
        find_inputs([tmp_path / "nope"])


# --------------------------------------------------------------------------- real-world files

PASSWORDS = {
    "ocrmypdf__skew-encrypted.pdf": "password",
    "paperless__password-is-test.pdf": "test",
    "pypdf__r2-user-password.pdf": "asdfzxcv",
    "pypdf__r4-aes-user-password.pdf": "asdfzxcv",
    "pypdf__r6-user-password.pdf": "asdfzxcv",
}
# Page counts from realdata/MANIFEST.md
SCANNER_PAGES = {
    "ocrmypdf__ccitt.pdf": 1, "ocrmypdf__jbig2.pdf": 1, "ocrmypdf__linn.pdf": 1,
    "ocrmypdf__skew.pdf": 1, "ocrmypdf__rotated_skew.pdf": 1, "ocrmypdf__cardinal.pdf": 4,
    "ocrmypdf__2400dpi.pdf": 1, "ocrmypdf__aspect.pdf": 1, "ocrmypdf__lichtenstein.pdf": 1,
    "ocrmypdf__c02-22.pdf": 1, "ocrmypdf__cmyk.pdf": 1, "ocrmypdf__palette.pdf": 1,
    "ocrmypdf__epson.pdf": 1, "ocrmypdf__kcs.pdf": 1, "ocrmypdf__enron1.pdf": 1,
    "ocrmypdf__masks.pdf": 1, "ocrmypdf__multipage.pdf": 6, "ocrmypdf__poster.pdf": 1,
    "paperless__barcode-fax-image.pdf": 3, "paperless__several-patcht-codes.pdf": 7,
    "paperless__rotated.pdf": 4, "paperless__multi-page-images.tiff": 3,
    "paperless__multi-page-images-alpha-rgb.tiff": 3, "pypdf__indirect-rotation.pdf": 5,
    "pypdf__Seige_of_Vicksburg_Sample_OCR.pdf": 6, "pypdf__imagemagick-images.pdf": 6,
    "pypdf__imagemagick-CCITTFaxDecode.pdf": 1, "pillow__old-style-jpeg-compression.tif": 1,
    "pillow__pport_g4.tif": 1, "pillow__g4-fillorder-test.tif": 1,
    "pillow__total-pages-zero.tif": 3, "pillow__tiff_strip_ycbcr_jpeg_2x2_sampling.tif": 1,
}
FAST = Limits(max_dpi=100.0, min_dpi=50.0)  # the realdata test checks robustness, not detail


def _realdata_files(folder: str) -> list[Path]:
    base = REALDATA / folder
    return sorted(p for p in base.iterdir() if p.suffix != ".md") if base.is_dir() else []


@pytest.mark.skipif(not REALDATA.is_dir(), reason="../shared/realdata is absent")
@pytest.mark.parametrize("path", _realdata_files("bad_input") + _realdata_files("scanner_encodings"),
                         ids=lambda p: p.name)
def test_realdata_never_raises(path):
    password = PASSWORDS.get(path.name)
    items = _pages(path, password, FAST)[:2]
    assert items and all(isinstance(i, (PageImage, PageError)) for i in items)
    for item in items:
        if isinstance(item, PageImage):
            assert item.image.dtype == np.uint8 and item.image.ndim in (2, 3)
            assert item.image.ndim == 2 or item.image.shape[2] == 3
    if path.name in SCANNER_PAGES:
        assert count_pages(path, password, FAST) == SCANNER_PAGES[path.name]
        assert all(isinstance(i, PageImage) for i in items), [i for i in items]
    if path.name in PASSWORDS:
        assert isinstance(items[0], PageImage)
        locked = _pages(path, None, FAST)[0]
        assert isinstance(locked, PageError) and "password" in locked.reason
    if path.name == "paperless__encrypted.pdf":
        assert items == [PageError(str(path), 0, "encrypted: password needed")]
        assert load_page(path, 1, "test", FAST) == PageError(str(path), 0, "wrong password")


# --------------------------------------------------------------------------- files cut short


def _two_page_fax(tmp_path: Path) -> bytes:
    frames = [_test_page(30 + i, 800, 1100).convert("1") for i in range(2)]
    buffer = io.BytesIO()
    frames[0].save(buffer, format="TIFF", save_all=True, append_images=frames[1:],
                   compression="group4", dpi=(200, 200))
    return buffer.getvalue()


@pytest.mark.parametrize("kept", [0.70, 0.95])
def test_tiff_cut_short_gives_an_error_row_for_the_lost_page(tmp_path, kept):
    """A 2-page fax cut off part way is not a good 1-page file: page 2 is an error with its reason."""
    data = _two_page_fax(tmp_path)
    path = tmp_path / "cut.tif"
    path.write_bytes(data[: int(len(data) * kept)])
    with warnings.catch_warnings(record=True) as printed:
        warnings.simplefilter("always")
        assert count_pages(path) == 2
        assert isinstance(load_page(path, 1), PageImage)
        lost = load_page(path, 2)
    # Pillow's "Corrupt EXIF data", printed to the desk with a library path, said no more
    assert [str(w.message) for w in printed] == []
    assert isinstance(lost, PageError) and "truncated TIFF" in lost.reason and "cut short" in lost.reason
    assert [type(i) for i in _pages(path)] == [PageImage, PageError]
    assert _pages(path)[0].page == 1 and _pages(path)[1] == lost


def test_whole_tiff_has_no_extra_row(tmp_path):
    path = tmp_path / "whole.tif"
    path.write_bytes(_two_page_fax(tmp_path))
    assert count_pages(path) == 2
    assert [type(i) for i in _pages(path)] == [PageImage, PageImage]


def test_pdf_without_its_end_marker_says_pages_may_be_missing(tmp_path):
    images = [Image.new("L", (300, 400), 255) for _ in range(3)]
    whole = tmp_path / "whole.pdf"
    images[0].save(whole, save_all=True, append_images=images[1:], resolution=50)
    cut = tmp_path / "cut.pdf"
    cut.write_bytes(whole.read_bytes().rstrip()[:-len(b"%%EOF")])  # the reader still opens it
    assert count_pages(whole) == 3
    assert count_pages(cut) == 4
    rows = _pages(cut)
    assert [type(i) for i in rows] == [PageImage, PageImage, PageImage, PageError]
    assert "truncated PDF" in rows[3].reason and load_page(cut, 4) == rows[3]
