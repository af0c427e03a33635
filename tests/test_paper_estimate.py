"""The strip's paper estimate gives the numbers of the plain OpenCV steps it replaces, value for
value: `cv2.dilate` with a square window, then `cv2.blur` of a float32 copy."""

import cv2
import numpy as np
import pytest

from srs_scan.read.strip import paper_level


def _images(seed: int):
    rng = np.random.default_rng(seed)
    for trial in range(60):
        h, w = int(rng.integers(1, 250)), int(rng.integers(1, 400))
        image = (rng.random((h, w)) * 255).astype(np.uint8)
        if trial % 3 == 1:  # paper with a few dark strokes, as a strip is
            image = np.full((h, w), 230, np.uint8)
            image[rng.integers(0, h, 5), :] = 40
        if trial % 3 == 2:  # a smoothed high-resolution scan's strip is float32
            image = cv2.GaussianBlur(image.astype(np.float32), (0, 0), 1.0)
        yield image, int(rng.choice([3, 5, 33, 63, 65, 97, 129]))


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_paper_level_is_dilate_then_blur(seed):
    for image, k in _images(seed):
        brightest = cv2.dilate(image, cv2.getStructuringElement(cv2.MORPH_RECT, (k, k)))
        want = cv2.blur(brightest.astype(np.float32), (k, k))
        got = paper_level(image, k)
        assert got.dtype == want.dtype and np.array_equal(got, want), (image.shape, image.dtype, k)
