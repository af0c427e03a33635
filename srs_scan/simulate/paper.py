"""Drawing on the paper: pen marks, holes, a staple, a fold and a coffee ring.

`paper_image` takes a page as printed (the form rendered with pypdfium2, a letter
that is not our form drawn with ReportLab by `foreign_pdf`, or nothing for a blank
back) and draws on it every `PenMark` and the `Handling` of its plan. They are drawn
in paper mm, mapped back through the print transform onto the page as rendered at
100 %, so the single warp in `scanner.py` takes everything to the scan. Toner and
paper shades, ink grain and show-through are drawn here too.

This module chooses nothing (the plan did) and does not scan.
"""

from __future__ import annotations

import io
from collections.abc import Iterator, Sequence

import cv2
import numpy as np
import pypdfium2 as pdfium

from srs_scan.simulate.model import INKS, Handling, PagePlan, Params, PenMark, print_transform
from srs_scan.sheets.spec import MM_PER_INCH, PAPER_SIZES_MM, FormSpec, block_origin_mm, mm_to_pt


class _Frame:
    """Paper mm (after printing) -> pixels of the page as rendered at 100 %, before printing.

    Anything drawn on the printed paper is drawn here through the inverse print
    transform, so the single warp render -> scan puts it where the hand put it.
    """

    def __init__(self, print_m: np.ndarray, dpi: int) -> None:
        self.inv = np.linalg.inv(print_m)
        self.k = dpi / MM_PER_INCH
        self.scale = 1.0 / print_m[0, 0]

    def px(self, pts_mm: np.ndarray) -> np.ndarray:
        pts = np.asarray(pts_mm, dtype=float).reshape(-1, 2)
        v = np.c_[pts, np.ones(len(pts))] @ self.inv.T
        return v[:, :2] / v[:, 2:] * self.k - 0.5   # OpenCV: integer coordinates are pixel centres

    def len_px(self, mm: float) -> float:
        return mm * self.k * self.scale


def _coverage(shape_px: tuple[int, int], draw, ss: int) -> np.ndarray:
    """Run draw(canvas, ss) on a supersampled uint8 canvas; return coverage 0-1 at 1x."""
    h, w = shape_px
    canvas = np.zeros((h * ss, w * ss), np.uint8)
    draw(canvas, ss)
    return cv2.resize(canvas, (w, h), interpolation=cv2.INTER_AREA).astype(np.float32) / 255.0


def _ink_on(img: np.ndarray, x0: int, y0: int, cover: np.ndarray, rgb: tuple[int, int, int],
            opacity: float) -> None:
    """Ink absorbs light: multiply the paper under it towards the ink's colour."""
    h, w = cover.shape
    ys, xs = slice(max(y0, 0), min(y0 + h, img.shape[0])), slice(max(x0, 0), min(x0 + w, img.shape[1]))
    c = cover[ys.start - y0:ys.stop - y0, xs.start - x0:xs.stop - x0, None] * opacity
    if c.size == 0:
        return
    region = img[ys, xs].astype(np.float32)
    tint = np.array(rgb, np.float32) / 255.0
    img[ys, xs] = np.clip(region * (1.0 - c * (1.0 - tint)), 0, 255).astype(np.uint8)


def _paint(img: np.ndarray, x0: int, y0: int, cover: np.ndarray, grey: float) -> None:
    """Opaque paint (a hole shows the scanner's backing): blend towards grey by coverage."""
    h, w = cover.shape
    ys, xs = slice(max(y0, 0), min(y0 + h, img.shape[0])), slice(max(x0, 0), min(x0 + w, img.shape[1]))
    c = cover[ys.start - y0:ys.stop - y0, xs.start - x0:xs.stop - x0, None]
    region = img[ys, xs].astype(np.float32)
    img[ys, xs] = np.clip(region * (1.0 - c) + grey * c, 0, 255).astype(np.uint8)


def _draw_polylines(img: np.ndarray, frame: _Frame, polylines: Sequence[np.ndarray], width_mm: float,
                    ss: int, pad_mm: float = 1.5) -> tuple[int, int, np.ndarray]:
    """Coverage of thick polylines (paper mm) in render px: (x0, y0, coverage)."""
    px = [frame.px(pl) for pl in polylines]
    allp = np.vstack(px)
    pad = frame.len_px(width_mm + pad_mm)
    x0, y0 = (np.floor(allp.min(axis=0) - pad)).astype(int)
    x1, y1 = (np.ceil(allp.max(axis=0) + pad)).astype(int)
    thick = max(1, round(frame.len_px(width_mm) * ss))
    shift = 4  # OpenCV sub-pixel bits

    def draw(canvas: np.ndarray, s: int) -> None:
        for pl in px:
            pts = np.round(((pl - [x0, y0] + 0.5) * s - 0.5) * (1 << shift)).astype(np.int32)
            cv2.polylines(canvas, [pts], False, 255, thick, cv2.LINE_AA, shift)

    return x0, y0, _coverage((y1 - y0, x1 - x0), draw, ss)


def _grain(cover: np.ndarray, amount: float, rng: np.random.Generator) -> np.ndarray:
    """Ballpoint skips and pencil tooth: uneven ink along the stroke."""
    if amount <= 0:
        return cover
    noise = rng.random(cover.shape, dtype=np.float32)
    noise = cv2.GaussianBlur(noise, (0, 0), 0.8)
    noise = (noise - noise.mean()) / (noise.std() + 1e-6)
    return np.clip(cover * (1.0 - amount * 0.35 + amount * 0.35 * noise), 0.0, 1.0)


def _draw_mark(img: np.ndarray, frame: _Frame, mark: PenMark, ss: int, rng: np.random.Generator) -> None:
    ink = INKS[mark.ink]
    if mark.kind == "writing":
        x0, y0, cover = _draw_text(frame, mark, ss)
    else:
        x0, y0, cover = _draw_polylines(img, frame, [np.array(s.points_mm) for s in mark.strokes],
                                        max(s.width_mm for s in mark.strokes), ss)
    _ink_on(img, x0, y0, _grain(cover, ink.grain, rng), ink.rgb, mark.opacity)


def _draw_text(frame: _Frame, mark: PenMark, ss: int) -> tuple[int, int, np.ndarray]:
    font = cv2.FONT_HERSHEY_SCRIPT_SIMPLEX
    height_px = frame.len_px(mark.text_height_mm) * ss
    (_, base_h), _ = cv2.getTextSize("H", font, 1.0, 1)
    scale = height_px / base_h
    thick = max(1, round(frame.len_px(0.35) * ss))
    (tw, th), base = cv2.getTextSize(mark.text, font, scale, thick)
    x, y = frame.px(np.array([mark.text_at_mm]))[0]
    pad = 4 * ss
    w, h = (tw + 2 * pad) // ss + 2, (th + base + 2 * pad) // ss + 2
    x0, y0 = int(x) - pad // ss, int(y - (th + pad) / ss)

    def draw(canvas: np.ndarray, s: int) -> None:
        org = (round((x - x0) * s), round((y - y0) * s))
        cv2.putText(canvas, mark.text, org, font, scale, 255, thick, cv2.LINE_AA)

    return x0, y0, _coverage((h, w), draw, ss)


def _disc(frame: _Frame, centre_mm: tuple[float, float], d_mm: float, ss: int
          ) -> tuple[int, int, np.ndarray]:
    c = frame.px(np.array([centre_mm]))[0]
    r = frame.len_px(d_mm / 2.0)
    x0, y0 = int(c[0] - r - 3), int(c[1] - r - 3)
    size = int(2 * r + 7)

    def draw(canvas: np.ndarray, s: int) -> None:
        cx, cy = ((c - [x0, y0] + 0.5) * s - 0.5) * 16
        cv2.circle(canvas, (round(cx), round(cy)), round(r * s * 16), 255, -1, cv2.LINE_AA, 4)

    return x0, y0, _coverage((size, size), draw, ss)


def _handle(img: np.ndarray, frame: _Frame, h: Handling, rng: np.random.Generator, ss: int) -> None:
    for centre in h.holes_mm:
        _paint(img, *_disc(frame, centre, h.hole_d_mm, ss), h.hole_grey)
    rings = [(*h.ring_mm, h.ring_strength, 150, 100, 55)] if h.ring_mm is not None else []
    for cx, cy, r, width, strength, *rgb in [*rings, *h.rings]:
        t = np.linspace(0, 2 * np.pi, 180)
        ring = np.stack([cx + r * np.cos(t), cy + r * 0.96 * np.sin(t)], axis=1)
        x0, y0, cover = _draw_polylines(img, frame, [ring], width, 1)
        cover = cv2.GaussianBlur(cover, (0, 0), frame.len_px(0.4))
        _ink_on(img, x0, y0, cover, tuple(int(c) for c in rgb), strength)
    if h.crease_mm is not None:
        line = np.array(h.crease_mm)
        x0, y0, cover = _draw_polylines(img, frame, [line], 0.2, 1, pad_mm=0.5)
        _ink_on(img, x0, y0, cover, (0, 0, 0), h.crease_strength)
        x0, y0, cover = _draw_polylines(img, frame, [line + [0.35, 0.0]], 0.3, 1, pad_mm=0.5)
        _paint(img, x0, y0, cover * 0.5, 255)   # the raised side of the fold catches the light
    if h.staple_mm is not None:
        a, b = np.array(h.staple_mm)
        x0, y0, cover = _draw_polylines(img, frame, [np.array([a, b])], 0.9, ss)
        _paint(img, x0, y0, cover, 105)
        x0, y0, cover = _draw_polylines(img, frame, [np.array([a, b])], 0.3, ss, pad_mm=0.5)
        _paint(img, x0, y0, cover, 205)        # the wire's shine


def render_pdf_pages(pdf: bytes, dpi: int) -> list[np.ndarray]:
    return list(iter_pdf_pages(pdf, dpi))


def iter_pdf_pages(pdf: bytes, dpi: int) -> Iterator[np.ndarray]:
    """Each page of `pdf` at `dpi`, BGR, one at a time (a long set never sits in memory)."""
    doc = pdfium.PdfDocument(pdf)
    try:
        for i in range(len(doc)):
            yield doc[i].render(scale=dpi / 72.0, rev_byteorder=True).to_numpy()[:, :, :3].copy()
    finally:
        doc.close()


def enrolled_page(spec: FormSpec, paper: str, dpi: int) -> np.ndarray:
    """An enrolled form's blank (its reference image) on the paper at `dpi`, placed as
    `block_origin_mm` says (the blank's page centred on the paper), BGR."""
    enrolled = spec.enrolled
    assert enrolled is not None
    ref = cv2.imread(str(enrolled.reference), cv2.IMREAD_GRAYSCALE)
    w_mm, h_mm = PAPER_SIZES_MM[paper]
    ox, oy = block_origin_mm(spec, paper)
    k = dpi / MM_PER_INCH / enrolled.px_per_mm
    m = np.array([[k, 0, ox * dpi / MM_PER_INCH + 0.5 * k - 0.5],
                  [0, k, oy * dpi / MM_PER_INCH + 0.5 * k - 0.5]])
    size = (round(w_mm / MM_PER_INCH * dpi), round(h_mm / MM_PER_INCH * dpi))
    page = cv2.warpAffine(ref, m, size, flags=cv2.INTER_CUBIC, borderValue=255)
    return cv2.cvtColor(page, cv2.COLOR_GRAY2BGR)


def foreign_pdf(lines: Sequence[str], paper: str) -> bytes:
    """A page that is not our form: a letter from the clinic, drawn with ReportLab."""
    from reportlab.pdfgen.canvas import Canvas

    buffer = io.BytesIO()
    w, h = (mm_to_pt(v) for v in PAPER_SIZES_MM[paper])
    c = Canvas(buffer, pagesize=(w, h), invariant=1)
    c.setFont("Helvetica-Bold", 16)
    c.drawString(mm_to_pt(25), h - mm_to_pt(30), "Riverside Counselling Centre")
    c.setFont("Helvetica", 10.5)
    y = h - mm_to_pt(50)
    for line in lines:
        c.drawString(mm_to_pt(25), y, line.capitalize() + ".")
        y -= mm_to_pt(6.5)
    c.setLineWidth(0.5)
    c.line(mm_to_pt(25), y - mm_to_pt(14), mm_to_pt(95), y - mm_to_pt(14))  # signature line
    c.drawString(mm_to_pt(25), y - mm_to_pt(19), "Signature")
    c.showPage()
    c.save()
    return buffer.getvalue()


def paper_image(plan: PagePlan, rendered: np.ndarray | None, paper: str, p: Params = Params(),
                show_through: np.ndarray | None = None) -> np.ndarray:
    """The sheet as it lies on the scanner, in the frame of the page rendered at 100 %.

    `rendered` is the PDF page at p.paper_dpi (None for a blank back page).
    """
    w_mm, h_mm = PAPER_SIZES_MM[paper]
    size = (round(h_mm / MM_PER_INCH * p.paper_dpi), round(w_mm / MM_PER_INCH * p.paper_dpi))
    if rendered is None:
        img = np.full((*size, 3), 255, np.uint8)
        if show_through is not None:   # the front shows through thin paper, mirrored
            ghost = cv2.GaussianBlur(show_through[:, ::-1], (0, 0), 3.0).astype(np.float32)
            img = np.clip(255.0 - p.show_through * (255.0 - ghost), 0, 255).astype(np.uint8)
    else:
        img = rendered
    # toner is not pure black and paper not pure white
    lut = np.clip(plan.toner + np.arange(256) * (plan.paper - plan.toner) / 255.0, 0, 255).astype(np.uint8)
    img = cv2.LUT(img, lut)
    frame = _Frame(print_transform(plan.print_scale, plan.print_offset_mm, paper), p.paper_dpi)
    rng = np.random.default_rng(plan.noise_seed)
    for mark in plan.marks:
        _draw_mark(img, frame, mark, p.supersample, rng)
    _handle(img, frame, plan.handling, rng, p.supersample)
    return img
