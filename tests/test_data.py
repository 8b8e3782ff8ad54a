"""helpers.data: reading MNIST / Fashion-MNIST, and the errors a reader sees when that fails."""

from __future__ import annotations

import dataclasses
import gzip
import math
import struct

import numpy as np
import pytest

from helpers import config, data
from helpers.data import DataError, shuffled_batches


def _write_npz(path, **arrays):
    np.savez(path, **arrays)
    return path


def _valid_arrays(n_train=20, n_test=10):
    rng = np.random.default_rng(1)
    return {
        "x_train": rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
        "y_train": (np.arange(n_train) % 10).astype(np.uint8),
        "x_test": rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
        "y_test": (np.arange(n_test) % 10).astype(np.uint8),
    }


# --- reading a good file ---------------------------------------------------------


def test_read_mnist_npz_scales_to_unit_floats(tiny_mnist_npz):
    ds = data.read_mnist_npz(tiny_mnist_npz)
    raw = np.load(tiny_mnist_npz)
    assert ds.x_train.shape == (200, 28, 28) and ds.x_test.shape == (50, 28, 28)
    assert ds.x_train.dtype == np.float32 and ds.y_train.dtype == np.int64
    np.testing.assert_allclose(ds.x_train, raw["x_train"] / 255.0, atol=1e-6)
    np.testing.assert_array_equal(ds.y_test, raw["y_test"])
    assert ds.class_names == data.DIGIT_NAMES


def test_load_mnist_reads_env_path(tiny_mnist_npz, monkeypatch):
    monkeypatch.setenv(data.MNIST_ENV, str(tiny_mnist_npz))
    ds = data.load_mnist(quick=False)
    assert len(ds.x_train) == 200 and len(ds.y_test) == 50


def test_explicit_path_wins_over_env(tiny_mnist_npz, tmp_path, monkeypatch):
    monkeypatch.setenv(data.MNIST_ENV, str(tmp_path / "does-not-exist.npz"))
    assert len(data.load_mnist(tiny_mnist_npz, quick=False).x_train) == 200


def test_quick_mode_trims_to_quick_settings(tiny_mnist_npz, monkeypatch):
    small = dataclasses.replace(config.QUICK_SETTINGS, train_subset=30, test_subset=7)
    monkeypatch.setattr(config, "QUICK_SETTINGS", small)
    quick = data.load_mnist(tiny_mnist_npz, quick=True)
    full = data.load_mnist(tiny_mnist_npz, quick=False)
    assert (len(quick.x_train), len(quick.y_train), len(quick.x_test), len(quick.y_test)) == (30, 30, 7, 7)
    np.testing.assert_array_equal(quick.x_train, full.x_train[:30])  # the first images, in order


def test_subset_none_keeps_everything(tiny_mnist_npz):
    ds = data.read_mnist_npz(tiny_mnist_npz)
    same = ds.subset(None, None)
    assert len(same.x_train) == 200 and len(same.x_test) == 50
    part = ds.subset(5, 3)
    assert part.x_train.shape == (5, 28, 28) and part.y_test.shape == (3,)


# --- bad files -------------------------------------------------------------------


def test_missing_file_names_the_file_and_the_variable(tmp_path):
    missing = tmp_path / "nope.npz"
    with pytest.raises(DataError, match="not found") as err:
        data.read_mnist_npz(missing)
    assert str(missing) in str(err.value) and data.MNIST_ENV in str(err.value)


def test_missing_file_via_env(tmp_path, monkeypatch):
    monkeypatch.setenv(data.MNIST_ENV, str(tmp_path / "gone.npz"))
    with pytest.raises(DataError, match="gone.npz"):
        data.load_mnist()


def test_truncated_file_raises_data_error(tiny_mnist_npz, tmp_path):
    cut = tmp_path / "cut.npz"
    cut.write_bytes(tiny_mnist_npz.read_bytes()[:5000])
    with pytest.raises(DataError, match="truncated or corrupt"):
        data.read_mnist_npz(cut)


def test_not_an_npz_raises_data_error(tmp_path):
    junk = tmp_path / "mnist.npz"
    junk.write_text("<html>404 not found</html>")
    with pytest.raises(DataError, match="not a readable .npz"):
        data.read_mnist_npz(junk)


def test_wrong_layout_missing_keys(tmp_path):
    arrays = _valid_arrays()
    path = _write_npz(tmp_path / "m.npz", images=arrays["x_train"], labels=arrays["y_train"])
    with pytest.raises(DataError, match="missing arrays"):
        data.read_mnist_npz(path)


def test_wrong_layout_flat_images(tmp_path):
    arrays = _valid_arrays()
    arrays["x_train"] = arrays["x_train"].reshape(20, 784)
    with pytest.raises(DataError, match=r"x_train has shape \(20, 784\)"):
        data.read_mnist_npz(_write_npz(tmp_path / "m.npz", **arrays))


def test_wrong_layout_label_count(tmp_path):
    arrays = _valid_arrays()
    arrays["y_test"] = arrays["y_test"][:-1]
    with pytest.raises(DataError, match="y_test"):
        data.read_mnist_npz(_write_npz(tmp_path / "m.npz", **arrays))


def test_wrong_layout_float_pixels(tmp_path):
    arrays = _valid_arrays()
    arrays["x_test"] = arrays["x_test"].astype(np.float32) / 255
    with pytest.raises(DataError, match="uint8"):
        data.read_mnist_npz(_write_npz(tmp_path / "m.npz", **arrays))


def test_wrong_layout_labels_out_of_range(tmp_path):
    arrays = _valid_arrays()
    arrays["y_train"][3] = 11
    with pytest.raises(DataError, match="outside 0-9"):
        data.read_mnist_npz(_write_npz(tmp_path / "m.npz", **arrays))


def test_offline_without_file_tells_user_to_set_mnist_npz(monkeypatch):
    import keras

    def no_network():
        raise OSError("Name or service not known")

    monkeypatch.delenv(data.MNIST_ENV, raising=False)
    monkeypatch.setattr(keras.datasets.mnist, "load_data", no_network)
    with pytest.raises(DataError) as err:
        data.load_mnist()
    message = str(err.value)
    assert f"{data.MNIST_ENV}=" in message and "offline" in message
    assert "Name or service not known" in message  # the cause is kept for the curious


def test_download_path_validates_and_scales(monkeypatch):
    import keras

    arrays = _valid_arrays(12, 4)
    monkeypatch.delenv(data.MNIST_ENV, raising=False)
    monkeypatch.setattr(
        keras.datasets.mnist, "load_data",
        lambda: ((arrays["x_train"], arrays["y_train"]), (arrays["x_test"], arrays["y_test"])),
    )
    ds = data.load_mnist(quick=False)
    assert ds.x_train.shape == (12, 28, 28) and ds.x_train.max() <= 1.0
    np.testing.assert_allclose(ds.x_test * 255, arrays["x_test"], atol=1e-3)


# --- Fashion-MNIST IDX files -----------------------------------------------------


def _write_idx(path, array, *, gz=True):
    header = bytes([0, 0, 0x08, array.ndim]) + b"".join(struct.pack(">I", d) for d in array.shape)
    payload = header + array.astype(np.uint8).tobytes()
    if gz:
        with gzip.open(path, "wb") as fh:
            fh.write(payload)
    else:
        path.write_bytes(payload)
    return path


def _fashion_folder(tmp_path, *, gz=True, n_train=12, n_test=6):
    folder = tmp_path / "fashion"
    folder.mkdir()
    rng = np.random.default_rng(2)
    suffix = ".gz" if gz else ""
    _write_idx(folder / f"train-images-idx3-ubyte{suffix}", rng.integers(0, 256, (n_train, 28, 28)), gz=gz)
    _write_idx(folder / f"train-labels-idx1-ubyte{suffix}", np.arange(n_train) % 10, gz=gz)
    _write_idx(folder / f"t10k-images-idx3-ubyte{suffix}", rng.integers(0, 256, (n_test, 28, 28)), gz=gz)
    _write_idx(folder / f"t10k-labels-idx1-ubyte{suffix}", np.arange(n_test) % 10, gz=gz)
    return folder


@pytest.mark.parametrize("gz", [True, False])
def test_fashion_reads_idx_files(tmp_path, gz):
    ds = data.load_fashion_mnist(_fashion_folder(tmp_path, gz=gz), quick=False)
    assert ds.x_train.shape == (12, 28, 28) and ds.x_test.shape == (6, 28, 28)
    assert ds.class_names == data.FASHION_NAMES
    np.testing.assert_array_equal(ds.y_train, np.arange(12) % 10)
    assert 0.0 <= ds.x_train.min() and ds.x_train.max() <= 1.0


def test_fashion_env_folder(tmp_path, monkeypatch):
    monkeypatch.setenv(data.FASHION_ENV, str(_fashion_folder(tmp_path)))
    assert len(data.load_fashion_mnist(quick=False).x_test) == 6


def test_fashion_missing_file(tmp_path):
    folder = _fashion_folder(tmp_path)
    (folder / "t10k-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(DataError, match="t10k-labels-idx1-ubyte"):
        data.load_fashion_mnist(folder)


def test_fashion_truncated_idx(tmp_path):
    folder = _fashion_folder(tmp_path, gz=False)
    path = folder / "train-images-idx3-ubyte"
    path.write_bytes(path.read_bytes()[:-100])
    with pytest.raises(DataError, match="truncated"):
        data.load_fashion_mnist(folder)


def test_fashion_wrong_dimensions(tmp_path):
    folder = _fashion_folder(tmp_path, gz=False)
    _write_idx(folder / "t10k-labels-idx1-ubyte", np.zeros((6, 2)), gz=False)
    with pytest.raises(DataError, match="2 dimensions, expected 1"):
        data.load_fashion_mnist(folder)


def test_fashion_not_idx(tmp_path):
    folder = _fashion_folder(tmp_path, gz=False)
    (folder / "train-labels-idx1-ubyte").write_bytes(b"PK\x03\x04 definitely a zip")
    with pytest.raises(DataError, match="not an unsigned-byte IDX"):
        data.load_fashion_mnist(folder)


def test_fashion_corrupt_gzip(tmp_path):
    folder = _fashion_folder(tmp_path)
    path = folder / "train-images-idx3-ubyte.gz"
    path.write_bytes(path.read_bytes()[:40])
    with pytest.raises(DataError, match="cannot read IDX"):
        data.load_fashion_mnist(folder)


def test_fashion_offline_without_folder(monkeypatch, tmp_path):
    import keras

    def no_network():
        raise OSError("offline")

    monkeypatch.delenv(data.FASHION_ENV, raising=False)
    monkeypatch.setattr(data, "DEBIAN_FASHION_DIR", tmp_path / "not-installed")
    monkeypatch.setattr(keras.datasets.fashion_mnist, "load_data", no_network)
    with pytest.raises(DataError, match=data.FASHION_ENV):
        data.load_fashion_mnist()


@pytest.mark.skipif(not data.DEBIAN_FASHION_DIR.is_dir(), reason="dataset-fashion-mnist not installed")
def test_installed_fashion_mnist_quick(monkeypatch):
    monkeypatch.delenv(data.FASHION_ENV, raising=False)
    ds = data.load_fashion_mnist(quick=True)
    assert len(ds.x_train) == config.QUICK_SETTINGS.train_subset
    assert len(ds.x_test) == config.QUICK_SETTINGS.test_subset
    assert set(np.unique(ds.y_test)) <= set(range(10))


# --- input checks ----------------------------------------------------------------


def test_check_images_accepts_flat_rows():
    x = np.random.default_rng(0).random((3, 784), dtype=np.float32)
    out = data.check_images(x)
    assert out.shape == (3, 28, 28)
    np.testing.assert_array_equal(out[1].ravel(), x[1])


@pytest.mark.parametrize(
    "bad, match",
    [
        (np.zeros((28, 28), np.float32), "one image"),
        (np.zeros((4, 27, 28), np.float32), "expected shape"),
        (np.zeros((4, 100), np.float32), "expected shape"),
        (np.zeros((4, 28, 28), np.uint8), "dtype uint8; divide 0-255 grey levels by 255"),
        (np.zeros((4, 28, 28), np.int64), "dtype int64; divide 0-255 grey levels by 255"),
        (np.zeros((4, 28, 28), bool), "dtype bool; convert a mask with x.astype"),
        (np.zeros((4, 28, 28), np.complex64), "dtype complex64; pass real numbers"),
        (np.full((2, 28, 28), 255.0, np.float32), "expected \\[0, 1\\]"),
        (np.full((2, 28, 28), -0.5, np.float32), "expected \\[0, 1\\]"),
        (np.full((2, 28, 28), np.nan, np.float32), "NaN"),
    ],
)
def test_check_images_rejects(bad, match):
    with pytest.raises(ValueError, match=match):
        data.check_images(bad, name="batch")


def test_check_images_names_the_argument():
    with pytest.raises(ValueError, match="^samples:"):
        data.check_images(np.zeros((2, 5)), name="samples")


def test_check_class():
    assert data.check_class(np.int64(7)) == 7
    for bad in (10, -1, 2.0, "3", True):
        with pytest.raises(ValueError):
            data.check_class(bad)
    with pytest.raises(ValueError, match="unknown class 5; classes are 0-4"):
        data.check_class(5, 5)


def test_real_mnist_quick_subset(mnist):
    assert len(mnist.x_train) == config.QUICK_SETTINGS.train_subset
    assert set(np.unique(mnist.y_train)) == set(range(10))
    assert mnist.x_train.dtype == np.float32 and 0.0 <= mnist.x_train.min() and mnist.x_train.max() <= 1.0


def test_shuffled_batches_visit_every_image_once_per_epoch_in_a_new_order():
    x = np.arange(1000, dtype=np.float32)[:, None, None] * np.ones((1, 28, 28), np.float32) / 1000
    batches, per_call = shuffled_batches(x, batch_size=64)
    epochs = [np.concatenate([np.asarray(b)[:, 0, 0] for b in batches]) for _ in range(2)]
    for seen in epochs:
        np.testing.assert_allclose(np.sort(seen), x[:, 0, 0])  # a permutation: nothing lost or repeated
    assert not np.array_equal(epochs[0], epochs[1])  # reshuffled each epoch
    assert math.ceil(1000 / 64) % per_call == 0  # whole executions per epoch


def test_shuffled_batches_keep_labels_with_their_images():
    x = np.arange(300, dtype=np.float32)[:, None, None] * np.ones((1, 28, 28), np.float32) / 300
    y = np.arange(300) % 10
    batches, per_call = shuffled_batches(x, y, batch_size=32)
    seen_x, seen_y = zip(*[(np.asarray(bx)[:, 0, 0], np.asarray(by)) for bx, by in batches])
    seen_x, seen_y = np.concatenate(seen_x), np.concatenate(seen_y)
    np.testing.assert_array_equal(seen_y, np.rint(seen_x * 300).astype(int) % 10)  # each label still beside its image
    assert not np.array_equal(seen_y, y)  # and the order was shuffled
    assert math.ceil(300 / 32) % per_call == 0


def test_shuffled_batches_reject_labels_of_another_length():
    with pytest.raises(ValueError, match="300 images but 299 labels"):
        shuffled_batches(np.zeros((300, 28, 28), np.float32), np.zeros(299), batch_size=32)
