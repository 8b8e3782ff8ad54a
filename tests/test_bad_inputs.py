"""Bad input across the public helpers API (issue 15): a clear error of a type users expect, naming the argument.

Each case asserts the error's type (ValueError, TypeError or helpers.data.DataError)
and that its message names the argument (or environment variable) at fault.
Grouped by module, lowest layer first.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from contextlib import contextmanager

import numpy as np
import pytest

from conftest import REPO
from helpers import config


@contextmanager
def refused(error: type[Exception], *names: str):
    """Expect ``error`` whose message mentions every one of ``names`` (case-insensitive)."""
    with pytest.raises(error) as info:
        yield info
    message = str(info.value)
    for name in names:
        assert re.search(re.escape(name), message, re.IGNORECASE), f"{name!r} not in message: {message}"


# --- config: TUTORIAL_QUICK -------------------------------------------------------------------------
@pytest.mark.parametrize("value", ["1", "true", "TRUE", " Yes ", "on", "On"])
def test_quick_true_spellings(monkeypatch, value):
    monkeypatch.setenv("TUTORIAL_QUICK", value)
    assert config.parse_flag("TUTORIAL_QUICK") is True


@pytest.mark.parametrize("value", ["0", "false", "False", "no", "OFF", "", "  "])
def test_quick_false_spellings(monkeypatch, value):
    monkeypatch.setenv("TUTORIAL_QUICK", value)
    assert config.parse_flag("TUTORIAL_QUICK") is False


def test_quick_unset_is_false(monkeypatch):
    monkeypatch.delenv("TUTORIAL_QUICK", raising=False)
    assert config.parse_flag("TUTORIAL_QUICK") is False


@pytest.mark.parametrize("value", ["2", "quick", "y", "n", "-1", "full", "1.0", "tru"])
def test_quick_unknown_values_are_refused(monkeypatch, value):
    monkeypatch.setenv("TUTORIAL_QUICK", value)
    with refused(ValueError, "TUTORIAL_QUICK", repr(value), "true", "false", "unset"):
        config.parse_flag("TUTORIAL_QUICK")


def _import_config(value: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, TUTORIAL_QUICK=value)
    code = "from helpers import config; config.setup(quiet=False)"
    return subprocess.run([sys.executable, "-c", code], env=env, cwd=REPO, capture_output=True, text=True)


def test_unknown_quick_value_fails_at_import_with_the_message():
    out = _import_config("quick")
    assert out.returncode != 0
    assert "ValueError: TUTORIAL_QUICK='quick' is not a yes/no value" in out.stderr


def test_banner_shows_what_was_set():
    out = _import_config("Yes")
    assert out.returncode == 0, out.stderr
    assert "mode: quick (TUTORIAL_QUICK='Yes')" in out.stdout


# --- data: files ------------------------------------------------------------------------------------
from helpers import data  # noqa: E402
from helpers.data import DataError, Dataset  # noqa: E402


def _keras_arrays(n_train=30, n_test=10, seed=0):
    rng = np.random.default_rng(seed)
    return {
        "x_train": rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
        "y_train": (np.arange(n_train) % 10).astype(np.uint8),
        "x_test": rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
        "y_test": (np.arange(n_test) % 10).astype(np.uint8),
    }


def test_a_npy_file_as_mnist_npz(tmp_path, monkeypatch):
    path = tmp_path / "mnist.npy"
    np.save(path, np.zeros((3, 28, 28), np.uint8))
    monkeypatch.setenv(data.MNIST_ENV, str(path))
    with refused(DataError, str(path), ".npy", "MNIST_NPZ"):
        data.load_mnist()


def test_a_folder_as_mnist_npz(tmp_path):
    with refused(DataError, str(tmp_path), "folder", "MNIST_NPZ"):
        data.read_mnist_npz(tmp_path)


@pytest.mark.parametrize("fill, words", [(np.nan, "NaN"), (2.5, "fractional")])
def test_non_integer_labels_in_an_npz(tmp_path, fill, words):
    arrays = _keras_arrays()
    y = arrays["y_train"].astype(np.float64)
    y[4] = fill
    arrays["y_train"] = y
    np.savez(tmp_path / "m.npz", **arrays)
    with refused(DataError, "y_train", words):
        data.read_mnist_npz(tmp_path / "m.npz")


def test_integral_float_labels_in_an_npz_are_read(tmp_path):
    arrays = _keras_arrays()
    arrays["y_test"] = arrays["y_test"].astype(np.float32)
    np.savez(tmp_path / "m.npz", **arrays)
    got = data.read_mnist_npz(tmp_path / "m.npz")
    np.testing.assert_array_equal(got.y_test, np.arange(10))


def test_string_labels_in_an_npz(tmp_path):
    arrays = _keras_arrays()
    arrays["y_train"] = arrays["y_train"].astype(str)
    np.savez(tmp_path / "m.npz", **arrays)
    with refused(DataError, "y_train", "dtype"):
        data.read_mnist_npz(tmp_path / "m.npz")


# --- data: images, labels, counts, datasets --------------------------------------------------------
@pytest.mark.parametrize(
    "bad, error, words",
    [
        (None, TypeError, "None"),
        ([[0.0] * 28] * 27 + [[0.0] * 5], ValueError, "cannot read"),  # ragged rows
        (np.array(["a"] * 784).reshape(1, 784), TypeError, "dtype"),
        ({"x": 1}, TypeError, "dict"),
        (np.zeros((2, 28, 28), complex), ValueError, "dtype"),
        (np.full((2, 28, 28), 200.0), ValueError, "divide grey levels"),
    ],
    ids=["none", "ragged", "strings", "dict", "complex", "0-255-floats"],
)
def test_check_images(bad, error, words):
    with refused(error, "batch", words):
        data.check_images(bad, name="batch")


@pytest.mark.parametrize(
    "bad, error, words",
    [
        (np.array([0, 1, np.nan]), ValueError, "NaN"),
        (np.array([0.0, 1.5, 2.0]), ValueError, "fractional"),
        (np.array([0, 10, 2]), ValueError, "class 10"),
        (np.array([0, -1, 2]), ValueError, "class -1"),
        (np.array(["0", "1", "2"]), TypeError, "dtype"),
        (np.array([True, False, True]), TypeError, "booleans"),
        (np.array([0, 1]), ValueError, "2 labels for 3 images"),
        (np.zeros((3, 10)), ValueError, "not one-hot"),
        (np.zeros((3, 2, 2)), ValueError, "shape"),
        (None, TypeError, "None"),
    ],
    ids=["nan", "fraction", "too-big", "negative", "strings", "bools", "too-few", "not-one-hot", "3-d", "none"],
)
def test_check_labels(bad, error, words):
    with refused(error, "y_train", words):
        data.check_labels(bad, 3, name="y_train")


def test_check_labels_reads_integral_floats_one_hot_and_columns():
    np.testing.assert_array_equal(data.check_labels(np.array([0.0, 3.0, 9.0])), [0, 3, 9])
    np.testing.assert_array_equal(data.check_labels(np.eye(10)[[2, 7, 7]]), [2, 7, 7])
    np.testing.assert_array_equal(data.check_labels(np.array([[1], [4]])), [1, 4])
    assert data.check_labels(np.arange(5, dtype=np.uint8)).dtype == np.int64


@pytest.mark.parametrize(
    "bad, error", [(-1, ValueError), (2.5, TypeError), ("3", TypeError), (True, TypeError), (None, TypeError)])
def test_check_count(bad, error):
    with refused(error, "n_samples"):
        data.check_count(bad, name="n_samples")


def test_subset_refuses_negative_sizes():
    d = _tiny_dataset()
    with refused(ValueError, "n_train"):
        d.subset(-5, None)


def _tiny_dataset(n_train=40, n_test=20, seed=0) -> Dataset:
    rng = np.random.default_rng(seed)
    return Dataset(rng.random((n_train, 28, 28), dtype=np.float32), np.arange(n_train) % 10,
                   rng.random((n_test, 28, 28), dtype=np.float32), np.arange(n_test) % 10)


def test_as_dataset_reads_a_keras_tuple():
    a = _keras_arrays()
    d = data.as_dataset(((a["x_train"], a["y_train"]), (a["x_test"], a["y_test"])))
    assert isinstance(d, Dataset) and d.x_train.dtype == np.float32 and d.y_train.dtype == np.int64
    np.testing.assert_allclose(d.x_train, a["x_train"] / 255.0, atol=1e-7)


def test_as_dataset_converts_a_uint8_dataset_and_keeps_a_good_one():
    a = _keras_arrays()
    d = data.as_dataset(Dataset(a["x_train"], a["y_train"], a["x_test"], a["y_test"]))
    assert d.x_test.dtype == np.float32 and d.x_test.max() <= 1.0
    good = _tiny_dataset()
    assert data.as_dataset(good) is good


@pytest.mark.parametrize(
    "bad, error, words",
    [
        ("mnist", TypeError, "Dataset"),
        ((np.zeros((3, 28, 28)), np.zeros(3)), TypeError, "Dataset"),
        (Dataset(np.zeros((3, 28, 28)), np.zeros(2), np.zeros((1, 28, 28)), np.zeros(1)), ValueError, "data.y_train"),
        (Dataset(np.full((3, 28, 28), 9.0), np.zeros(3), np.zeros((1, 28, 28)), np.zeros(1)), ValueError,
         "data.x_train"),
    ],
    ids=["string", "pair", "label-count", "float-0-255"],
)
def test_as_dataset_refuses(bad, error, words):
    with refused(error, "data", words):
        data.as_dataset(bad)


def test_shuffled_batches_checks_its_arguments():
    x = np.zeros((10, 28, 28), np.float32)
    with refused(ValueError, "batch_size"):
        data.shuffled_batches(x, batch_size=0)
    with refused(ValueError, "empty"):
        data.shuffled_batches(x[:0], batch_size=4)
