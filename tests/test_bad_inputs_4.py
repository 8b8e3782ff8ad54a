"""Bad input found by the fourth bad-input sweep: a clear error naming the argument, not a raw one.

Each case asserts the error's type (ValueError for a wrong value, TypeError for a wrong
kind of thing) and that its message names the argument at fault; every one failed on
the code before its fix (a library's traceback, a message naming no argument, or a
silently wrong result).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from helpers import data

sys.path.insert(0, str(Path(__file__).parent))
from test_bad_inputs import refused  # noqa: E402  (the same check as the rest of the bad-input suite)


# --- data.shuffled_batches: labels and rows that reached TensorFlow (or trained on nonsense) -------------
X10 = np.zeros((10, 28, 28), np.float32)

SHUFFLED_CASES = {
    "y one-hot (10, 3)": (lambda: data.shuffled_batches(X10, np.zeros((10, 3)), batch_size=4), ValueError, "y"),
    "y shorter": (lambda: data.shuffled_batches(X10, np.zeros(9), batch_size=4), ValueError, "y"),
    "y strings": (lambda: data.shuffled_batches(X10, list("abcdefghij"), batch_size=4), TypeError, "y"),
    "y booleans": (lambda: data.shuffled_batches(X10, np.ones(10, bool), batch_size=4), TypeError, "y"),
    "y NaN": (lambda: data.shuffled_batches(X10, np.full(10, np.nan), batch_size=4), ValueError, "y"),
    "y ragged": (lambda: data.shuffled_batches(X10, [[1], [1, 2]] * 5, batch_size=4), TypeError, "y"),
    "x 1-D": (lambda: data.shuffled_batches(np.zeros(10, np.float32), batch_size=4), ValueError, "x"),
    "x empty rows": (lambda: data.shuffled_batches(np.zeros((10, 0), np.float32), batch_size=4), ValueError, "x"),
    "x grey levels": (lambda: data.shuffled_batches(np.zeros((10, 28, 28), np.uint8), batch_size=4), TypeError,
                      "x"),
    "x booleans": (lambda: data.shuffled_batches(np.zeros((10, 28, 28), bool), batch_size=4), TypeError, "x"),
    "x complex": (lambda: data.shuffled_batches(np.zeros((10, 28, 28), complex), batch_size=4), TypeError, "x"),
    "x NaN": (lambda: data.shuffled_batches(np.full((10, 28, 28), np.nan, np.float32), batch_size=4), ValueError,
              "x"),
}


@pytest.mark.parametrize("case", SHUFFLED_CASES)
def test_shuffled_batches_refuse_bad_rows_and_labels_by_name(case):
    """Before: batches of strings, NaN or (10, 3) labels, 1-D or uint8 rows were made; labels of the wrong
    length said '10 images but 9 labels' without naming y; ragged labels gave numpy's message."""
    call, error, name = SHUFFLED_CASES[case]
    with refused(error, name):
        call()


def test_shuffled_batches_still_take_images_codes_and_labels():
    batches, _ = data.shuffled_batches(X10, np.arange(10), batch_size=4)
    bx, by = next(iter(batches))
    assert tuple(bx.shape) == (4, 28, 28) and tuple(by.shape) == (4,)
    batches, _ = data.shuffled_batches([[0.5, 1.5]] * 6, np.arange(6.0), batch_size=4)  # codes, float labels
    assert tuple(next(iter(batches))[0].shape) == (4, 2)
