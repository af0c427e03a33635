"""Whether ink at a line has a stain's colour (coffee, tea: brown) rather than a pen's.

A coffee or tea ring absorbs blue light most, red least and green in between: it is brown or
tan. Pens are blue, black or red and pencil is grey, so a pen absorbs red at least as much as
blue (blue, black, grey) or green as much as blue (red). Only asked about ink the reader already
takes for a stain's band (broad and soft, lighter than a pen) that is too dark to set aside on
its darkness alone: it runs only where such a band meets the line. A grey or 1-bit scan has no
colour, and then nothing is a stain by its colour: the band stays flagged (stray ink), never
read. This module judges no shape and no darkness (`blobs.py`, `kinds.py`).
"""

from __future__ import annotations

import numpy as np

from srs_scan.read.blobs import Blob, PenInk
from srs_scan.read.params import Params
from srs_scan.read.stats import median
from srs_scan.read.strip import Strip


def stain_coloured(strip: Strip, ink: PenInk, blob: Blob, params: Params) -> bool:
    """Whether the blob's ink, off the printed line's rows, is brown: absorbs blue most, red
    at most `stain_red_share` of that, green between `stain_green_share`'s bounds."""
    if strip.colour is None:
        return False
    s = strip.px_per_mm
    c0, c1 = blob.cols
    # pen-dark ink joined to the band, on the line or off it, is a mark drawn on the stain (ring
    # seed 602 p20: a dot on a ring's band, all of it within the printed line's rows)
    whole = ((ink.labels[:, c0:c1] == blob.label)
             & (ink.pen[:, c0:c1] >= params.stain_colour_pen_darkness))
    if whole.sum() >= params.stain_colour_pen_area_mm2 * s * s:
        return False
    # its ink off the printed line (the black line would grey its colour), its darker half
    mine = ((ink.labels[:, c0:c1] == blob.label) & (ink.pen[:, c0:c1] > params.ink_threshold)
            & (np.abs(ink.dy[:, c0:c1]) > params.line_rows_mm * s))
    if mine.sum() < params.stain_colour_min_px:
        return False
    pen = ink.pen[:, c0:c1][mine]
    bgr = strip.colour[:, c0:c1, :3][mine].astype(np.float32)
    pad = int(round(params.stain_colour_paper_mm * s))
    a0, a1 = max(0, c0 - pad), c1 + pad
    paper_px = strip.darkness[:, a0:a1] < params.stain_colour_paper_darkness
    if paper_px.sum() < params.stain_colour_min_px:
        return False
    paper = median(strip.colour[:, a0:a1, :3][paper_px], axis=0).astype(np.float32)
    # its darker half, and its darkest pixels: pencil drawn on the band and joined to it is its
    # darkest ink, and not brown
    darkest = min(pen.size, max(params.stain_colour_min_px,
                                int(params.stain_colour_darkest_share * pen.size)))
    order = np.argsort(pen)
    return all(_brown(bgr[part].mean(axis=0), paper, params)
               for part in (pen >= median(pen), order[-darkest:]))


def _brown(bgr: np.ndarray, paper: np.ndarray, params: Params) -> bool:
    blue, green, red = 1.0 - bgr / np.maximum(paper, 1.0)
    low, high = params.stain_green_share
    return bool(blue >= params.stain_colour_min_absorb and red <= params.stain_red_share * blue
                and low * blue <= green <= high * blue)
