"""The reader's own percentile and median give numpy's numbers, value and type, bit for bit."""

import numpy as np
import pytest

from srs_scan.read.stats import median, percentile

DTYPES = (np.float32, np.float64, np.uint8, np.int32, np.int64)


def _samples(seed: int):
    rng = np.random.default_rng(seed)
    for trial in range(3000):
        dtype = DTYPES[trial % len(DTYPES)]
        n = int(rng.integers(1, 300))
        if np.issubdtype(dtype, np.integer):
            yield rng.integers(0, 255, n).astype(dtype), rng
        else:  # darkness in 0-1, and sums and distances far larger
            yield (rng.random(n) * rng.choice([0.01, 1.0, 100.0])).astype(dtype), rng


@pytest.mark.parametrize("seed", [1, 2])
def test_percentile_is_numpys_bit_for_bit(seed):
    for values, rng in _samples(seed):
        q = float(rng.choice([5, 10, 25, 30, 50, 75, 90, 95, 100, 0, rng.random() * 100]))
        want, got = np.percentile(values, q), percentile(values, q)
        assert got == want and np.asarray(got).dtype == np.asarray(want).dtype, (values, q)


@pytest.mark.parametrize("seed", [3, 4])
def test_median_is_numpys_bit_for_bit(seed):
    for values, _ in _samples(seed):
        want, got = np.median(values), median(values)
        assert got == want and np.asarray(got).dtype == np.asarray(want).dtype, values


def test_of_a_list_and_of_a_block():
    block = np.arange(12, dtype=np.float32).reshape(3, 4)
    assert percentile(block, 30) == np.percentile(block, 30)
    assert median([3.0, 1.0, 2.0, 10.0]) == 2.5


def test_no_values():
    with pytest.warns(RuntimeWarning):
        assert np.isnan(median(np.zeros(0, np.float32)))
    with pytest.raises(IndexError):
        percentile(np.zeros(0), 50)


@pytest.mark.parametrize("axis", [0, 1, 2])
def test_percentile_along_an_axis_is_numpys(axis):
    rng = np.random.default_rng(5)
    for dtype in (np.float32, np.float64):
        block = rng.random((31, 11, 120)).astype(dtype)
        paper = np.where(rng.random(block.shape) < 0.6, 0, block)  # most of a strip is 0, tied
        for values in (block, paper):
            for q in (0, 30, 50, 62.5, 100):
                want, got = np.percentile(values, q, axis=axis), percentile(values, q, axis=axis)
                assert got.dtype == want.dtype and np.array_equal(got, want)


@pytest.mark.parametrize("axis", [0, 1])
def test_median_along_an_axis_is_numpys(axis):
    rng = np.random.default_rng(6)
    for rows, cols in ((30, 41), (31, 40), (1, 7)):
        for dtype in (np.float32, np.float64, np.int64):
            block = (rng.random((rows, cols)) * 50).astype(dtype)
            want, got = np.median(block, axis=axis), median(block, axis=axis)
            assert got.dtype == want.dtype and np.array_equal(got, want)
