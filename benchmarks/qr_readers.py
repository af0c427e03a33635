"""Reading the sheet id: OpenCV's try-list (the reader before) against zxing-cpp (the reader
now); and writing the code: ReportLab's qrencoder (today's) against segno.

Reading: simulated pages of every profile (seed `--seed`, `--pages` a profile) are registered as
the reader does, then the QR code is decoded by
  opencv    the 11-step OpenCV try-list srs-scan used before (kept below), then the whole page
  srs-scan  today's `register.read_sheet_id`: zxing-cpp on the form's QR square warped upright
            at 8 px/mm, then on the whole page
  zxing-patch  zxing-cpp on that square only (one call)
counting ids read right, ids read wrong and the time per page. The real files in
../shared/realdata (none is one of our sheets) are decoded whole-page by both: any id there
would be a false read. Writing: for payloads of every length the sheets carry, the code's side
in modules from each encoder, and whether each decoder reads back each encoder's code drawn
the way generate.py draws it.

    .venv/bin/python benchmarks/qr_readers.py --pages 12 --seed 40

Needs `pip install segno` (not a dependency of srs-scan; zxing-cpp is one).
"""

from __future__ import annotations

import argparse
import csv
from dataclasses import dataclass
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import cv2
import numpy as np
import segno
import zxingcpp

from srs_scan.read.pages import count_pages, find_inputs, load_page
from srs_scan.read.register import MarkerRegistrar, _qr_patch, read_sheet_id, to_grey
from srs_scan.read.registration import NoRegistration
from srs_scan.sheets.generate import qr_modules
from srs_scan.sheets.sheetid import QR_QUIET_MODULES, SheetId, parse_payload
from srs_scan.sheets.spec import FormSpec
from srs_scan.sheets.spec import load_form_library
from srs_scan.simulate import PROFILE_NAMES, simulate

ROOT = Path(__file__).resolve().parent.parent
REALDATA = ROOT.parent / "shared" / "realdata"


def zxing_ids(image: np.ndarray) -> list[SheetId]:
    found = zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)
    return [s for s in (parse_payload(b.text) for b in found if b.valid) if s is not None]


def read_zxing(grey, reg, spec, whole_page: bool) -> SheetId | None:
    ids = zxing_ids(_qr_patch(grey, reg, spec, 8.0, 3.0))
    if not ids and whole_page:
        ids = zxing_ids(grey)
    return ids[0] if ids else None


# ---- the OpenCV try-list srs-scan used before zxing-cpp (register.py until this benchmark), kept
# here as the baseline, word for word.

@dataclass(frozen=True)
class OpenCvTries:
    """How the sheet id's QR code is looked for: a list of cheap tries, in order, until one decodes.

    The form says where the code is and how big (`spec.qr_*_mm`), so each try warps that square
    upright at some scale, cleans it one way, and hands it to one of OpenCV's decoders. A clean
    page decodes on the first try; a fax (ragged 1-bit modules, 200x100 dpi pages stretched 2x)
    or a blurred phone photo may need another scale or cleaning: OpenCV's decoder is brittle
    to module size and edge noise, so a different scale alone often rescues it.
    """

    # Tries as (decoder, px per mm, cleaning). Decoder "known" is cv2.QRCodeDetector's decoding
    # alone, told where the code's corners are from the form's geometry (`module_counts`),
    # without searching the patch for it: a quarter of the time of "qr" and, on the pages
    # below, as reliable. "qr" is cv2.QRCodeDetector, searching the patch; "aruco"
    # cv2.QRCodeDetectorAruco (finds the finder patterns another way). Cleaning: "raw";
    # "otsu" threshold; "close" a 3x3 morphological close, which mends white notches on a
    # thresholded fax module edge. Modules are ~0.6 mm, so
    # 6-12 px/mm gives 3.6-7 px per module. Order from the simulator's fax, phone and low-res
    # pages (seeds 11, 12; 248 pages): ("qr", 12, "raw") alone read 234, the old first try
    # ("qr", 10, "raw") 229; the next three read every page left; the rest are spares that
    # each read most pages on their own, so an unseen page has more chances. ("known", 8, "raw")
    # came first later: it read all 61 sheets of the six profiles at seed 77, in 3 ms a page
    # against 12 ms for ("qr", 12, "raw").
    tries: tuple[tuple[str, float, str], ...] = (
        ("known", 8.0, "raw"),
        ("qr", 12.0, "raw"), ("aruco", 10.0, "raw"), ("qr", 6.0, "raw"), ("qr", 10.0, "raw"),
        ("qr", 8.0, "close"), ("aruco", 8.0, "close"), ("qr", 12.0, "close"), ("qr", 8.0, "raw"),
        ("qr", 10.0, "otsu"), ("aruco", 12.0, "raw"),
    )
    margin_mm: float = 3.0       # quiet zone kept around the code's square in the crop (mm)
    mend_px: int = 3             # side of the close/open kernel (px at the try's scale)
    whole_page: bool = True      # last resort: look for a code anywhere (slow: ~0.5 s a page)
    # The code's side in modules, most common first: the generator draws it with a quiet zone of
    # QR_QUIET_MODULES inside the form's square, so its corners depend on how long the payload is
    # (33: a pre-filled sheet; 29: a blank one; 37: the longest client codes). The decoder
    # forgives corners a fraction of a module off, so the first count usually reads the
    # neighbouring sizes too; the others are tried when registration error adds to that.
    module_counts: tuple[int, ...] = (33, 29, 37, 25, 41, 21)


def read_opencv(grey: np.ndarray, reg: MarkerFit | Registration | None, spec: FormSpec | None,
                  qr: OpenCvTries = OpenCvTries()) -> SheetId | None:
    """The sheet id from the QR code: first the region the form says, upright, at several
    scales and cleanings (`OpenCvTries.tries`); then anywhere on the page.
    """
    decoders: dict[str, cv2.QRCodeDetector] = {}
    if reg is not None and spec is not None:
        patches: dict[float, np.ndarray] = {}
        for decoder, scale, cleaning in qr.tries:
            if scale not in patches:
                patches[scale] = _qr_patch(grey, reg, spec, scale, qr.margin_mm)
            patch = _clean(patches[scale], cleaning, qr.mend_px)
            if decoder == "known":
                sheet = _decode_known(decoders, patch, spec, scale, qr)
            else:
                sheet = _decode(decoders, decoder, patch)
            if sheet is not None:
                return sheet
    if qr.whole_page:
        return _decode(decoders, "qr", grey)
    return None


def _clean(patch: np.ndarray, cleaning: str, mend_px: int) -> np.ndarray:
    kernel = np.ones((mend_px, mend_px), np.uint8)
    if cleaning == "otsu":
        return cv2.threshold(patch, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)[1]
    if cleaning == "close":
        return cv2.morphologyEx(patch, cv2.MORPH_CLOSE, kernel)
    return patch


def _decode_known(decoders: dict[str, cv2.QRCodeDetector], patch: np.ndarray, spec: FormSpec,
                  px_per_mm: float, qr: OpenCvTries) -> SheetId | None:
    """Decode the code in a `_qr_patch` where the form's geometry puts its corners, trying each
    likely size of the code in modules."""
    for modules in qr.module_counts:
        inset = qr.margin_mm + QR_QUIET_MODULES * spec.qr_size_mm / (modules + 2 * QR_QUIET_MODULES)
        a = inset * px_per_mm  # the patch's pixel u is at margin + u / px_per_mm on the form
        b = (2 * qr.margin_mm + spec.qr_size_mm - inset) * px_per_mm
        corners = np.array([[[a, a], [b, a], [b, b], [a, b]]], np.float32)
        try:
            text, _ = _decoder(decoders, "qr").decode(patch, corners)
        except cv2.error:
            continue
        sheet = parse_payload(text) if text else None
        if sheet is not None:
            return sheet
    return None


def _decoder(decoders: dict[str, cv2.QRCodeDetector], name: str) -> cv2.QRCodeDetector:
    """The decoder called `name`, made on first use and kept for the page's other tries."""
    if name not in decoders:
        decoders[name] = cv2.QRCodeDetectorAruco() if name == "aruco" else cv2.QRCodeDetector()
    return decoders[name]


def _decode(decoders: dict[str, cv2.QRCodeDetector], name: str, image: np.ndarray
            ) -> SheetId | None:
    """A payload `parse_payload` accepts, or None."""
    try:
        text, _, _ = _decoder(decoders, name).detectAndDecode(image)
    except cv2.error:
        return None
    return parse_payload(text) if text else None


READERS = {
    "opencv": lambda grey, reg, spec: read_opencv(grey, reg, spec),
    "srs-scan": lambda grey, reg, spec: read_sheet_id(grey, reg, spec),
    "zxing-patch": lambda grey, reg, spec: read_zxing(grey, reg, spec, False),
}


def pages_of(folder: Path):
    files, _ = find_inputs([folder])
    for f in files:
        n = count_pages(f)
        for p in range(1, (n if isinstance(n, int) else 0) + 1):
            loaded = load_page(f, p)
            if not hasattr(loaded, "image"):
                continue
            yield f, p, loaded.image


def simulated(pages: int, seed: int) -> dict[str, dict[str, list]]:
    forms = load_form_library()
    stats: dict[str, dict[str, list]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for profile in [p for p in PROFILE_NAMES if p != "mixed"]:
            out = Path(tmp) / profile
            simulate(out, profile=profile, pages=pages, seed=seed)
            with (out / "truth.csv").open(newline="") as handle:
                truth = {(r["file"], r["page"]): r["sheet_id"] for r in csv.DictReader(handle)}
            per = stats.setdefault(profile, defaultdict(list))
            for f, p, image in pages_of(out):
                expected = truth.get((f.name, str(p)), "")
                grey = to_grey(image)
                reg = MarkerRegistrar(forms).register(grey)
                if isinstance(reg, NoRegistration) or not expected:
                    continue
                per["sheets"].append(1)
                for name, read in READERS.items():
                    t0 = time.perf_counter()
                    sheet = read(grey, reg, reg.spec)
                    per[name + " ms"].append(1000 * (time.perf_counter() - t0))
                    per[name + " right"].append(int(sheet is not None and sheet.serial == expected))
                    per[name + " wrong"].append(int(sheet is not None and sheet.serial != expected))
    return stats


def real_files() -> dict[str, int]:
    counts = defaultdict(int)
    for folder in ("scanner_encodings", "bad_input"):
        if not (REALDATA / folder).is_dir():
            continue
        for _, _, image in pages_of(REALDATA / folder):
            grey = to_grey(image)
            counts["pages"] += 1
            counts["opencv ids"] += read_opencv(grey, None, None) is not None
            counts["zxing ids"] += bool(zxing_ids(grey))
            counts["zxing any QR"] += len(zxingcpp.read_barcodes(grey, formats=zxingcpp.BarcodeFormat.QRCode))
    return counts


def draw(modules: np.ndarray, px: int = 8) -> np.ndarray:
    """A code drawn as the generator draws it: black modules, a quiet zone, at px per module."""
    q = QR_QUIET_MODULES
    img = np.full(((modules.shape[0] + 2 * q) * px,) * 2, 255, np.uint8)
    for r, c in zip(*np.nonzero(modules)):
        img[(r + q) * px:(r + q + 1) * px, (c + q) * px:(c + q + 1) * px] = 0
    return img


def writers() -> list[tuple[str, int, int, bool, bool]]:
    rows = []
    for sheet in [SheetId("srs", 1, "W7P3SFEY"), SheetId("srs", 1, "W7P3SFEY", "C042", "5", "2026-11-26"),
                  SheetId("srs", 1, "W7P3SFEY", "K" * 20, "123", "2026-11-26")]:
        payload = sheet.payload()
        ours = qr_modules(payload)
        seg = np.array(segno.make_qr(payload, error="m", boost_error=False).matrix, bool)
        for name, m in (("reportlab", ours), ("segno", seg)):
            img = draw(m)
            cv_text, _, _ = cv2.QRCodeDetector().detectAndDecode(img)
            zx = zxingcpp.read_barcodes(img)
            rows.append((f"{name} {len(payload)} chars", m.shape[0], len(payload),
                         cv_text == payload, bool(zx) and zx[0].text == payload))
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--pages", type=int, default=12)
    ap.add_argument("--seed", type=int, default=40)
    args = ap.parse_args()
    stats = simulated(args.pages, args.seed)
    print(f"simulated, seed {args.seed}, {args.pages} pages a profile: ids read right / wrong, median ms a page")
    total: dict[str, list] = defaultdict(list)
    for profile, per in stats.items():
        cells = [f"{name}: {sum(per[name + ' right'])}/{len(per['sheets'])} right, "
                 f"{sum(per[name + ' wrong'])} wrong, {np.median(per[name + ' ms']):.1f} ms"
                 for name in READERS]
        print(f"  {profile:12s} " + " | ".join(cells))
        for k, v in per.items():
            total[k] += v
    print("  all          " + " | ".join(
        f"{name}: {sum(total[name + ' right'])}/{len(total['sheets'])}, {sum(total[name + ' wrong'])} wrong, "
        f"{np.median(total[name + ' ms']):.1f} ms (max {max(total[name + ' ms']):.0f})" for name in READERS))
    print("real files (none is our sheet):", dict(real_files()))
    print("writing: encoder, payload, side in modules, OpenCV reads it back, zxing reads it back")
    for row in writers():
        print("  ", row)


if __name__ == "__main__":
    main()
