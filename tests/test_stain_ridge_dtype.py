"""A stain ridge whose crop is ink from edge to edge: the distance transform then gives
float32 distances near their maximum, and their median overflowed float32 (messy seed 603,
`RuntimeWarning: overflow encountered in reduce` on the console of `srs-scan scan`)."""

import warnings

import numpy as np

from srs_scan.read.blobs import _stain_ridges
from srs_scan.read.params import Params


def test_a_ridge_inside_ink_to_the_crop_edge_reads_without_numpy_warnings() -> None:
    h, w = 60, 60
    pieces = np.zeros((h, w), np.int32)
    pieces[:, 28:32] = 1                       # a thin stroke down the middle, top to bottom
    dark = pieces > 0
    stain = ~dark                              # flanked by the stain on both sides
    joined = np.ones((h, w), np.uint8)         # ink everywhere: no background in the crop
    pen = np.where(dark, 0.30, 0.28).astype(np.float32)   # hardly darker than the stain
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ridges = _stain_ridges(pieces, dark, stain, pen, joined, 11.8, Params())
    assert ridges[dark].all()                  # deep inside a band, hardly darker: a ridge
