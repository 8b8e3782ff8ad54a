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
        pattern = re.escape(name)
        if re.fullmatch(r"\w+", name):  # an argument name: as a whole word, so "y" is not found in "yes"
            pattern = rf"(?<![\w]){pattern}(?![\w])"
        assert re.search(pattern, message, re.IGNORECASE), f"{name!r} not in message: {message}"


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


# --- training and fitting entry points ------------------------------------------------------------
TINY_VAE = {"latent_dim": 2, "encoder_units": [8], "decoder_units": [8], "activation": "relu", "epochs": 1,
            "batch_size": 50, "learning_rate": 1e-3, "train_images": 100, "jit_compile": False}


def _with(d: Dataset, **changes) -> Dataset:
    return d._replace(**changes)


@pytest.mark.parametrize(
    "change, words",
    [
        (lambda d: _with(d, x_train=np.where(d.x_train > 0.5, np.nan, d.x_train)), ["data.x_train", "NaN"]),
        (lambda d: _with(d, x_train=d.x_train * 255.0), ["data.x_train", "[0, 1]", "divide"]),
        (lambda d: _with(d, y_train=d.y_train[:-1]), ["data.y_train", "labels for"]),
    ],
    ids=["nan-pixels", "0-255-floats", "label-count"],
)
def test_train_vae_checks_its_data(change, words):
    from helpers import vae

    with refused(ValueError, *words):
        vae.train_vae(change(_tiny_dataset(100)), TINY_VAE, verbose=0)


@pytest.mark.parametrize(
    "cfg, error, words",
    [
        ({"latent_dim": 2}, ValueError, ["cfg", "missing settings", "training_config"]),
        ([("latent_dim", 2)], TypeError, ["cfg", "list"]),
        (dict(TINY_VAE, epochs=0), ValueError, ["cfg['epochs']"]),
        (dict(TINY_VAE, batch_size="64"), TypeError, ["cfg['batch_size']"]),
        (dict(TINY_VAE, encoder_units=512), TypeError, ["cfg['encoder_units']"]),
        (dict(TINY_VAE, activation="swishy"), ValueError, ["cfg['activation']", "swishy"]),
        (dict(TINY_VAE, learning_rate=-1e-3), ValueError, ["cfg['learning_rate']"]),
        (dict(TINY_VAE, learning_rate=float("nan")), ValueError, ["cfg['learning_rate']"]),
        (dict(TINY_VAE, warmup_fraction=1.5), ValueError, ["cfg['warmup_fraction']"]),
        (dict(TINY_VAE, prior="vamp"), ValueError, ["cfg['prior']", "vamp"]),
    ],
    ids=["missing-keys", "not-a-dict", "zero-epochs", "string-batch", "int-units", "activation", "negative-lr",
         "nan-lr", "warmup", "prior"],
)
def test_train_vae_checks_its_config(cfg, error, words):
    from helpers import vae

    with refused(error, *words):
        vae.train_vae(_tiny_dataset(100), cfg, verbose=0)


def test_train_vae_refuses_a_model_class_that_is_no_vae():
    from helpers import classical, vae

    with refused(TypeError, "model_class"):
        vae.train_vae(_tiny_dataset(100), TINY_VAE, verbose=0, model_class=classical.PixelNaiveBayes)


def test_pretrained_vae_accepts_a_keras_tuple_of_uint8(isolated_artifacts, monkeypatch, eager):
    from helpers import vae

    monkeypatch.setattr(vae, "training_config", lambda d: dict(TINY_VAE, latent_dim=d))
    a = _keras_arrays(100, 10)
    model, record = vae.pretrained_vae(2, ((a["x_train"], a["y_train"]), (a["x_test"], a["y_test"])), verbose=0)
    assert model.latent_dim == 2 and np.isfinite(record["history"]["loss"][-1])
    assert record["data"] == __import__("helpers.cache").cache.data_fingerprint(a["x_train"] / np.float32(255))


@pytest.mark.parametrize("latent_dim, error", [("20", TypeError), (0, ValueError), (2.5, TypeError)])
def test_pretrained_vae_checks_the_latent_size(latent_dim, error):
    from helpers import vae

    with refused(error, "latent_dim"):
        vae.pretrained_vae(latent_dim, _tiny_dataset())


@pytest.mark.parametrize(
    "kwargs, error, name",
    [({"n": -1}, ValueError, "n"), ({"n": 0}, ValueError, "n"), ({"n": 2.5}, TypeError, "n"),
     ({"n": "3"}, TypeError, "n"), ({"n": 3, "seed": -1}, ValueError, "seed"),
     ({"n": 3, "seed": "a"}, TypeError, "seed"), ({"n": 3, "seed": 1.5}, TypeError, "seed")],
)
def test_vae_sample_checks_count_and_seed(kwargs, error, name):
    from helpers import vae

    with refused(error, name):
        vae.VAE(2, (8,), (8,)).sample(**kwargs)


def test_class_prior_labels_are_checked():
    from helpers import vae

    model = vae.ClassPriorVAE(2, (8,), (8,), n_classes=3)
    with refused(ValueError, "labels", "NaN"):
        model.set_class_frequencies(np.array([0, 1, np.nan]))
    with refused(ValueError, "classes", "0..2"):
        model.sample_class([0, 7])
    with refused(TypeError, "classes"):
        model.sample_class(["a"])


def test_vae_evaluation_counts_are_checked():
    from helpers import vae

    model = vae.VAE(2, (8,), (8,))
    x = _tiny_dataset().x_test[:4]
    with refused(ValueError, "k"):
        vae.importance_weighted_nll(model, x, k=0)
    with refused(TypeError, "chunk"):
        vae.importance_weighted_nll(model, x, k=2, chunk="10")
    with refused(ValueError, "batch_size"):
        vae.negative_elbo(model, x, batch_size=0)
    with refused(ValueError, "no images"):
        vae.negative_elbo(model, x[:0])


# --- BiGAN -----------------------------------------------------------------------------------------
def test_train_bigan_checks_its_config_and_images():
    from helpers import bigan

    x = _tiny_dataset().x_train
    with refused(ValueError, "cfg", "missing settings", "model_config"):
        bigan.train_bigan(x, {"architecture": dict(bigan.ARCHITECTURE)}, verbose=False)
    cfg = bigan.model_config()
    del cfg["training"]["batch_size"]
    with refused(ValueError, "cfg['training']", "batch_size"):
        bigan.train_bigan(x, cfg, verbose=False)
    with refused(ValueError, "epochs"):
        bigan.model_config(epochs=0)
    cfg = bigan.model_config()
    cfg["training"]["epochs"] = 0
    with refused(ValueError, "cfg['training']['epochs']"):
        bigan.train_bigan(x, cfg, verbose=False)
    with refused(ValueError, "x_train", "NaN"):
        bigan.train_bigan(np.full((4, 28, 28), np.nan, np.float32), verbose=False)
    with refused(TypeError, "cfg"):
        bigan.train_bigan(x, "tiny", verbose=False)


@pytest.mark.parametrize(
    "kwargs, error, name",
    [({"latent_dim": "4"}, ValueError, "latent_dim"), ({"g_hidden": "256"}, TypeError, "g_hidden"),
     ({"d_hidden": (16, 0)}, ValueError, "d_hidden"), ({"d_dropout": 1.5}, ValueError, "d_dropout"),
     ({"cycle_x_weight": -1.0}, ValueError, "cycle_x_weight"),
     ({"instance_noise": float("nan")}, ValueError, "instance_noise")],
)
def test_bigan_constructor_checks_its_settings(kwargs, error, name):
    from helpers import bigan

    with refused(error, name):
        bigan.BiGAN(**dict(dict(latent_dim=4, g_hidden=(8,), e_hidden=(8,), d_hidden=(8, 4)), **kwargs))


def test_bigan_settings_and_knn_inputs():
    from helpers import bigan

    with refused(TypeError, "colour", "known settings"):
        bigan.model_config(colour="red")
    codes = np.zeros((5, 2))
    with refused(ValueError, "test_labels", "labels for"):
        bigan.knn_accuracy(codes, np.arange(5), codes, np.arange(4))
    with refused(ValueError, "train_codes", "NaN"):
        bigan.knn_accuracy(np.full((5, 2), np.nan), np.arange(5), codes, np.arange(5))
    with refused(ValueError, "train_labels"):
        bigan.knn_accuracy(codes, np.array([0, 1, 2, 3, 10]), codes, np.arange(5))


# --- judges ----------------------------------------------------------------------------------------
def test_cnn_config_dicts_are_checked():
    from helpers import judges

    with refused(ValueError, "cfg", "missing settings", "cnn_config"):
        judges.train_cnn(_tiny_dataset(), {"filters": [4]}, verbose=0)
    with refused(TypeError, "cfg['filters']"):
        judges.build_cnn(dict(judges.cnn_config(), filters="32"))
    with refused(ValueError, "cfg['dropout']"):
        judges.build_cnn(dict(judges.cnn_config(), dropout=1.0))
    with refused(ValueError, "epochs"):
        judges.cnn_config(epochs=0)
    with refused(ValueError, "cfg['epochs']"):
        judges.train_cnn(_tiny_dataset(), dict(judges.cnn_config(), epochs=0), verbose=0)
    with refused(TypeError, "cfg"):
        judges.cnn_judge(_tiny_dataset(), cfg=[1, 2])


# --- classical models ------------------------------------------------------------------------------
@pytest.mark.parametrize("call", ["sample", "predict", "predict_proba", "log_likelihood", "class_means"])
def test_pixel_naive_bayes_before_fit(call):
    from helpers import classical

    model = classical.PixelNaiveBayes()
    with refused(ValueError, "not fitted", "fit"):
        attr = getattr(model, call)
        attr(3) if call == "sample" else attr(np.zeros((1, 28, 28), np.float32))


@pytest.mark.parametrize("call", ["encode", "decode", "sample"])
def test_class_pca_gaussian_before_fit(call):
    from helpers import classical

    model = classical.ClassPCAGaussian(4)
    arg = {"encode": np.zeros((1, 28, 28), np.float32), "decode": np.zeros((1, 4)), "sample": 2}[call]
    with refused(ValueError, "not fitted", "fit"):
        getattr(model, call)(arg)


@pytest.mark.parametrize(
    "y, error, words",
    [
        (np.arange(39) % 10, ValueError, ["y", "39 labels for 40 images"]),
        (np.array(["3"] * 40), TypeError, ["y", "dtype"]),
        (np.full(40, np.nan), ValueError, ["y", "NaN"]),
        (np.arange(40) % 10 + 0.5, ValueError, ["y", "fractional"]),
        (np.arange(40) % 11, ValueError, ["y", "0..9"]),
    ],
    ids=["count", "strings", "nan", "fractions", "range"],
)
@pytest.mark.parametrize("fit", ["PixelNaiveBayes", "ClassPCAGaussian", "fit_logistic_regression"])
def test_fitting_checks_labels(fit, y, error, words):
    from helpers import classical

    x = _tiny_dataset(40).x_train
    call = {"PixelNaiveBayes": lambda: classical.PixelNaiveBayes().fit(x, y),
            "ClassPCAGaussian": lambda: classical.ClassPCAGaussian(2).fit(x, y),
            "fit_logistic_regression": lambda: classical.fit_logistic_regression(x, y)}[fit]
    with refused(error, *words):
        call()


def test_classical_entry_points_check_their_arguments():
    from helpers import classical

    d = _tiny_dataset(40)
    with refused(ValueError, "y", "two classes"):
        classical.fit_logistic_regression(d.x_train, np.zeros(40, int))
    with refused(TypeError, "sizes"):
        classical.learning_curve(d, 100)
    with refused(ValueError, "sizes entry"):
        classical.learning_curve(d, [0])
    with refused(TypeError, "data", "Dataset"):
        classical.learning_curve("mnist", [10])
    with refused(TypeError, "judge", "predict"):
        classical.judge_hits(object(), d.x_test, 3)
    nb = classical.PixelNaiveBayes().fit(d.x_train, d.y_train)
    with refused(ValueError, "intended"):
        classical.judge_hits(nb, d.x_test, 11)
    with refused(ValueError, "intended", "labels for"):
        classical.judge_hits(nb, d.x_test, [1, 2])
    with refused(ValueError, "seed"):
        classical.make_2d_classes(seed=-1)
    with refused(TypeError, "seed"):
        nb.sample(2, seed="x")
    with refused(ValueError, "y", "labels for"):
        classical.neighbour_correlation(d.x_train, d.y_train[:3])


# --- interface and latent ------------------------------------------------------------------------
@pytest.fixture(scope="module")
def pnb():
    """A PixelNaiveBayes on a tiny synthetic set: a real model of the interface, fitted in milliseconds."""
    from helpers import classical

    d = _tiny_dataset(60, 20)
    return classical.PixelNaiveBayes().fit(d.x_train, d.y_train)


def test_latent_space_of_a_model_class(pnb):
    from helpers import classical, latent

    d = _tiny_dataset()
    with refused(TypeError, "PixelNaiveBayes", "class", "instance"):
        latent.LatentSpace(classical.PixelNaiveBayes, d.x_train, d.y_train)


@pytest.mark.parametrize(
    "labels, error, words",
    [
        (lambda y: y.astype(float) + 0.5, ValueError, ["y_train", "fractional"]),
        (lambda y: np.where(y == 3, np.nan, y), ValueError, ["y_train", "NaN"]),
        (lambda y: np.where(y == 3, 12, y), ValueError, ["y_train", "0..9", "class 12"]),
        (lambda y: np.where(y == 3, -1, y), ValueError, ["y_train", "class -1"]),
        (lambda y: y.astype(str), TypeError, ["y_train", "dtype"]),
        (lambda y: y[:-5], ValueError, ["y_train", "35 labels for 40 images"]),
        (lambda y: np.eye(10)[y] * 0.5, ValueError, ["y_train", "not one-hot"]),
    ],
    ids=["fractions", "nan", "too-big", "negative", "strings", "too-few", "soft-one-hot"],
)
def test_latent_space_checks_its_labels(pnb, labels, error, words):
    from helpers import latent

    d = _tiny_dataset(40)
    with refused(error, *words):
        latent.LatentSpace(pnb, d.x_train, labels(d.y_train))


def test_latent_space_reads_one_hot_and_float_labels(pnb):
    from helpers import latent

    d = _tiny_dataset(40)
    plain = latent.LatentSpace(pnb, d.x_train, d.y_train)
    for y in (np.eye(10)[d.y_train], d.y_train.astype(np.float32)):
        np.testing.assert_array_equal(latent.LatentSpace(pnb, d.x_train, y).centroids, plain.centroids)


def test_latent_space_arguments(pnb):
    from helpers import latent

    d = _tiny_dataset(40)
    space = latent.LatentSpace(pnb, d.x_train, d.y_train)
    with refused(TypeError, "alphas"):
        space.move(d.x_test[:2], 1, 2, "0.5")
    with refused(ValueError, "alphas", "empty"):
        space.move(d.x_test[:2], 1, 2, [])
    with refused(ValueError, "pairs"):
        space.pair_grid([0.0, 1.0], pairs=[3])
    with refused(ValueError, "vector", "784"):
        space.moved_codes(space.encode(d.x_test[:2]), np.zeros(5), [1.0])
    with refused(ValueError, "vector", "NaN"):
        space.moved_codes(space.encode(d.x_test[:2]), np.full(784, np.nan), [1.0])
    with refused(ValueError, "n_classes"):
        latent.LatentSpace(pnb, d.x_train, d.y_train, n_classes=1)
    with refused(TypeError, "name"):
        latent.LatentSpace(pnb, d.x_train, d.y_train, name=3)
    with refused(ValueError, "labels"):
        latent.class_centroids(np.zeros((3, 2)), [0, 1, 2, 3])


class _BrokenModel:
    latent_dim = 2

    def __init__(self, encode_out=None, decode_out=None):
        self._encode_out, self._decode_out = encode_out, decode_out

    def encode(self, x):
        return self._encode_out(x) if self._encode_out else np.zeros((len(x), 2), np.float32)

    def decode(self, z):
        return self._decode_out(z) if self._decode_out else np.zeros((len(z), 28, 28), np.float32)

    def sample(self, n, seed=None):
        return np.zeros((n, 28, 28), np.float32)


def test_a_model_that_breaks_the_contract_is_named():
    from helpers import latent

    d = _tiny_dataset(20)
    with refused(TypeError, "_BrokenModel.encode", "latent_dim=2"):
        latent.LatentSpace(_BrokenModel(encode_out=lambda x: np.zeros((len(x), 3))), d.x_train, d.y_train)
    with refused(TypeError, "_BrokenModel.encode"):
        latent.LatentSpace(_BrokenModel(encode_out=lambda x: np.full((len(x), 2), np.nan)), d.x_train, d.y_train)
    space = latent.LatentSpace(_BrokenModel(decode_out=lambda z: np.full((len(z), 28, 28), np.nan)),
                               d.x_train, d.y_train, name="broken")
    with refused(TypeError, "broken.decode", "NaN"):
        space.move(d.x_test[:1], 1, 2, [0.5])


def test_check_model_refuses_a_boolean_latent_size():
    from helpers import interface

    class Odd(_BrokenModel):
        latent_dim = True

    with refused(TypeError, "latent_dim"):
        interface.check_model(Odd())


# --- lerp and slerp: one batched meaning for both ----------------------------------------------
@pytest.mark.parametrize("path", ["lerp", "slerp"])
def test_paths_of_one_pair_and_of_a_batch(path):
    from helpers import latent

    fn = getattr(latent, path)
    rng = np.random.default_rng(0)
    z0, z1 = rng.standard_normal((4, 5)), rng.standard_normal((4, 5))
    t = np.linspace(0, 1, 4)  # len(t) equal to the batch size: the case that used to go wrong
    batched = fn(z0, z1, t)
    assert batched.shape == (4, 4, 5)
    for i in range(4):
        np.testing.assert_allclose(batched[i], fn(z0[i], z1[i], t), atol=1e-6)
    np.testing.assert_allclose(batched[:, 0], z0, atol=1e-5)
    np.testing.assert_allclose(batched[:, -1], z1, atol=1e-5)
    assert fn(z0[0], z1, t).shape == (4, 4, 5)  # one start against many ends
    np.testing.assert_allclose(fn(z0[0], z1, t)[2], fn(z0[0], z1[2], t), atol=1e-6)


@pytest.mark.parametrize("path", ["lerp", "slerp"])
@pytest.mark.parametrize(
    "z0, z1, t, error, name",
    [
        (np.zeros((3, 2)), np.zeros((4, 2)), [0.5], ValueError, "z1"),
        (np.zeros(3), np.zeros(2), [0.5], ValueError, "code size"),
        (np.zeros((2, 2, 2)), np.zeros((2, 2, 2)), [0.5], ValueError, "z0"),
        (np.array([np.nan, 0.0]), np.zeros(2), [0.5], ValueError, "z0"),
        (np.zeros(2), "abc", [0.5], TypeError, "z1"),
        (np.zeros(2), np.ones(2), [[0.5]], ValueError, "t"),
        (np.zeros(2), np.ones(2), [np.inf], ValueError, "t"),
        (np.zeros(2), np.ones(2), ["x"], TypeError, "t"),
        (np.full(2, 1e38), np.full(2, -1e38), [3.0], ValueError, "float32"),
    ],
    ids=["batch-sizes", "code-sizes", "3-d", "nan", "string", "2-d-t", "inf-t", "string-t", "overflow"],
)
def test_paths_refuse(path, z0, z1, t, error, name):
    from helpers import latent

    with refused(error, name):
        getattr(latent, path)(z0, z1, t)


# --- judges: what they return, and what counts as a judge ----------------------------------------
@pytest.fixture(scope="module")
def fitted_lr():
    from helpers import classical

    d = _tiny_dataset(60)
    return classical.fit_logistic_regression(d.x_train, d.y_train, max_iter=20)


def _uniform(x):
    return np.full((len(x), 10), 0.1)


@pytest.mark.parametrize(
    "output, words",
    [
        (lambda x: np.log(_uniform(x)), ["judge", "log-probabilities"]),
        (lambda x: np.full((len(x), 10), np.nan), ["judge", "NaN"]),
        (lambda x: np.full((len(x), 10), 0.5), ["judge", "sum to 1"]),
        (lambda x: np.full((len(x), 10), 3.0), ["judge", "above 1"]),
        (lambda x: np.full((len(x), 9), 1 / 9), ["judge", "shape (3, 9)", "(N, 10)"]),
        (lambda x: _uniform(x)[:-1], ["judge", "shape"]),
    ],
    ids=["log-probs", "nan", "unnormalised", "logits", "nine-classes", "too-few-rows"],
)
def test_what_a_judge_returns_is_checked(output, words):
    from helpers import judges

    judge = judges.as_judge(output)
    with refused(ValueError, *words):
        judge.predict_proba(np.zeros((3, 28, 28), np.float32))


def test_as_judge_reads_the_sensible_things(fitted_lr):
    from helpers import judges

    x = _tiny_dataset().x_test[:5]
    lr = judges.SklearnJudge(fitted_lr)
    for form in (fitted_lr, fitted_lr.predict_proba, lr, lr.predict_proba):
        got = judges.as_judge(form)
        np.testing.assert_allclose(got.predict_proba(x), lr.predict_proba(x))
    fn = judges.as_judge(_uniform)
    assert isinstance(fn, judges.FunctionJudge) and fn.name == "_uniform"
    flat_only = judges.as_judge(lambda rows: fitted_lr.predict_proba(rows))  # a function that wants (N, 784)
    np.testing.assert_allclose(flat_only.predict_proba(x), lr.predict_proba(x))


def test_as_judge_refuses(fitted_lr):
    from sklearn.linear_model import LogisticRegression

    from helpers import judges

    with refused(TypeError, "judge", "LogisticRegression", "class"):
        judges.as_judge(LogisticRegression)
    with refused(ValueError, "not fitted"):
        judges.as_judge(LogisticRegression())
    with refused(TypeError, "judge", "str"):
        judges.as_judge("cnn")
    with refused(ValueError, "judges", "distinct names"):
        judges.as_judges([fitted_lr, fitted_lr])
    with refused(ValueError, "judges"):
        judges.as_judges([])
    with refused(TypeError, "KerasJudge"):
        judges.KerasJudge(fitted_lr)
    with refused(TypeError, "images", "None"):
        judges.as_judge(_uniform).predict_proba(None)


def test_judge_accuracy_checks_labels(fitted_lr):
    from helpers import judges

    d = _tiny_dataset()
    with refused(ValueError, "y", "NaN"):
        judges.SklearnJudge(fitted_lr).accuracy(d.x_test, np.full(len(d.x_test), np.nan))


# --- scoring and line-up ---------------------------------------------------------------------------
@pytest.fixture(scope="module")
def pixel_space(pnb):
    from helpers import latent

    d = _tiny_dataset(60, 20)
    return latent.LatentSpace(pnb, d.x_train, d.y_train, name="pixels")


def test_class_transfer_wraps_a_bare_function_judge(pixel_space):
    from helpers import scoring

    d = _tiny_dataset(60, 20)
    out = scoring.class_transfer(pixel_space, d.x_test, d.y_test, _uniform, per_pair=1, alphas=[0.0, 1.0])
    assert list(out) == ["_uniform"] and out["_uniform"].probs.shape == (10, 10, 1, 2, 10)


def test_class_transfer_refuses(pixel_space, pnb):
    from helpers import scoring

    d = _tiny_dataset(60, 20)
    x, y = d.x_test, d.y_test
    with refused(TypeError, "space", "LatentSpace"):
        scoring.class_transfer(pnb, x, y, [_uniform], per_pair=1)
    with refused(ValueError, "log-probabilities"):
        scoring.class_transfer(pixel_space, x, y, [lambda im: np.log(_uniform(im))], per_pair=1, alphas=[0.0, 1.0])
    with refused(ValueError, "per_pair"):
        scoring.class_transfer(pixel_space, x, y, [_uniform], per_pair=0)
    with refused(ValueError, "y_test", "labels for"):
        scoring.class_transfer(pixel_space, x, y[:-3], [_uniform], per_pair=1)
    with refused(ValueError, "alphas", "increasing"):
        scoring.class_transfer(pixel_space, x, y, [_uniform], per_pair=1, alphas=[1.0, 0.0])
    with refused(TypeError, "alphas"):
        scoring.class_transfer(pixel_space, x, y, [_uniform], per_pair=1, alphas="0 to 1")
    with refused(TypeError, "judges"):
        scoring.class_transfer(pixel_space, x, y, None, per_pair=1)
    with refused(TypeError, "space"):
        scoring.judged_path("pixels", [_uniform], x[:1], 1, 2)


def test_scoring_helpers_refuse(pixel_space, fitted_lr):
    from helpers import judges, scoring

    d = _tiny_dataset(60, 20)
    with refused(TypeError, "judge", "features"):
        scoring.frechet_floor(judges.SklearnJudge(fitted_lr), d)
    with refused(ValueError, "per_class"):
        scoring.test_digits_per_class(d.y_test, 0)
    with refused(ValueError, "codes"):
        scoring.prior_distance(np.full((2, 3), np.nan))
    with refused(ValueError, "labels"):
        scoring.class_shape_mismatch(np.zeros((4, 2)), np.array([0, 1, 2, 11]), n_classes=3)
    result = scoring.class_transfer(pixel_space, d.x_test, d.y_test, [_uniform], per_pair=1, alphas=[0.0, 1.0])
    with refused(TypeError, "alpha"):
        result["_uniform"].success_rate("1")


def test_line_up_refuses_models_that_are_not_contenders(pnb, fitted_lr):
    from helpers import lineup

    d = _tiny_dataset(60, 20)
    with refused(TypeError, "models", "Contender"):
        lineup.latent_spaces([pnb], d)
    with refused(TypeError, "models", "dict"):
        lineup.latent_spaces({"pixels": pnb}, d)
    contender = lineup.Contender("pixels", pnb, gaussian_prior=False)
    with refused(ValueError, "distinct names"):
        lineup.latent_spaces([contender, contender], d)
    assert list(lineup.latent_spaces(contender, d)) == ["pixels"]


def test_bigan_judged_labels_takes_either_kind_of_judge(fitted_lr):
    from helpers import bigan, judges

    x = _tiny_dataset().x_test
    np.testing.assert_array_equal(bigan.judged_labels(x, fitted_lr),
                                  bigan.judged_labels(x, judges.SklearnJudge(fitted_lr)))
    with refused(TypeError, "judge"):
        bigan.judged_labels(x, "lr")


# --- the interactive explorer ----------------------------------------------------------------------
def _explorer(pixel_space, **overrides):
    from helpers import widgets

    d = _tiny_dataset(60, 20)
    args = dict(spaces={"pixels": pixel_space}, x_test=d.x_test, y_test=d.y_test, judge=_uniform)
    args.update(overrides)
    return widgets.InterpolationExplorer(**args)


def test_explorer_accepts_a_fitted_classifier_or_its_predict_proba(pixel_space, fitted_lr):
    from helpers import judges

    lr = judges.SklearnJudge(fitted_lr)
    for judge in (fitted_lr, fitted_lr.predict_proba, lr, lr.predict_proba):
        image, probs = _explorer(pixel_space, judge=judge).frame()
        np.testing.assert_allclose(probs, lr.predict_proba(image[None])[0])


@pytest.mark.parametrize(
    "overrides, error, words",
    [
        ({"judge": lambda x: np.log(_uniform(x))}, ValueError, ["judge", "log-probabilities"]),
        ({"judge": lambda x: np.full((len(x), 10), np.nan)}, ValueError, ["judge", "NaN"]),
        ({"judge": "LogisticRegression"}, TypeError, ["judge"]),
        ({"spaces": "list"}, TypeError, ["spaces", "dict"]),
        ({"spaces": {}}, ValueError, ["LatentSpace"]),
        ({"start": (10, 0)}, ValueError, ["start class b", "10"]),
        ({"start": 6}, TypeError, ["start"]),
        ({"sample_class": 10}, ValueError, ["sample_class"]),
        ({"alpha_range": (2.0, -1.0)}, ValueError, ["alpha_range"]),
        ({"alpha_range": (0.0, np.inf)}, ValueError, ["alpha_range"]),
        ({"alpha_range": 2.0}, TypeError, ["alpha_range"]),
        ({"y_test": np.arange(5)}, ValueError, ["y_test", "5 labels for 20 images"]),
    ],
    ids=["log-probs", "nan", "string-judge", "string-spaces", "empty-spaces", "start-10", "start-int",
         "sample-class-10", "reversed-range", "infinite-range", "number-range", "few-labels"],
)
def test_explorer_refuses(pixel_space, overrides, error, words):
    with refused(error, *words):
        _explorer(pixel_space, **overrides)


def test_explorer_refuses_a_list_and_models(pixel_space, pnb):
    with refused(TypeError, "spaces", "dict"):
        _explorer(pixel_space, spaces=[pixel_space])
    with refused(TypeError, "spaces['pixels']", "PixelNaiveBayes", "LatentSpace("):
        _explorer(pixel_space, spaces={"pixels": pnb})


def test_explorer_refuses_a_sample_class_missing_from_the_test_digits(pixel_space):
    d = _tiny_dataset(60, 20)
    keep = d.y_test != 7
    with refused(ValueError, "sample_class", "class 7"):
        _explorer(pixel_space, x_test=d.x_test[keep], y_test=d.y_test[keep])
    _explorer(pixel_space, x_test=d.x_test[keep], y_test=d.y_test[keep], sample_class=3)  # another class works


# --- beyond the list: every public function taking arrays, counts, seeds, models, paths --------
def _cases():
    """(id, call(fixtures) -> None, error, words): one careless call each, from a survey of the whole API."""
    from helpers import bigan, cache, classical, judges, latent, lineup, scoring, vae

    x = _tiny_dataset().x_test
    codes = np.random.default_rng(0).standard_normal((30, 4))
    y30 = np.arange(30) % 10
    return [
        # data
        ("read_mnist_npz-int", lambda f: data.read_mnist_npz(3), TypeError, ["path"]),
        ("fashion-folder-int", lambda f: data.load_fashion_mnist(3), TypeError, ["folder"]),
        ("load_mnist-quick-str", lambda f: data.load_mnist("/work/shared/data/mnist.npz", quick="no"), TypeError,
         ["quick"]),
        # classical
        ("nb_log_px-model", lambda f: classical.gaussian_nb_log_px("nb", x), TypeError, ["nb", "GaussianNB"]),
        ("nb_log_px-width", lambda f: classical.gaussian_nb_log_px(f["pnb"].nb, np.zeros((2, 3))), ValueError,
         ["x", "784"]),
        ("sample_nb-classes-dict", lambda f: classical.sample_gaussian_nb(f["pnb"].nb, 3, classes={}), TypeError,
         ["classes"]),
        ("var_smoothing", lambda f: classical.PixelNaiveBayes(var_smoothing=-1), ValueError, ["var_smoothing"]),
        ("ridge", lambda f: classical.ClassPCAGaussian(4, ridge="x"), TypeError, ["ridge"]),
        ("min_std", lambda f: classical.neighbour_correlation(x, np.arange(20) % 10, None), TypeError, ["min_std"]),
        ("lr-tol", lambda f: classical.fit_logistic_regression(x, np.arange(20) % 10, tol=-1), ValueError, ["tol"]),
        ("lr-max_iter-0", lambda f: classical.fit_logistic_regression(x, np.arange(20) % 10, max_iter=0),
         ValueError, ["max_iter"]),
        ("draws_per_size", lambda f: classical.draws_per_size(None, 100), TypeError, ["n"]),
        ("stratified-seed", lambda f: classical.stratified_indices(np.arange(20) % 10, 10, -1), ValueError,
         ["seed"]),
        ("learning_curve-repeats", lambda f: classical.learning_curve(_tiny_dataset(), [20], repeats=0),
         ValueError, ["repeats"]),
        ("learning_curve-repeats-huge", lambda f: classical.learning_curve(_tiny_dataset(), [20], repeats=10**12),
         ValueError, ["repeats"]),
        ("summarize-none", lambda f: classical.summarize_curve(None), TypeError, ["rows"]),
        ("summarize-keys", lambda f: classical.summarize_curve([{}]), ValueError, ["rows"]),
        ("unseen-classes-int", lambda f: classical.unseen_class_experiment(_tiny_dataset(), seen_classes=3),
         TypeError, ["seen_classes"]),
        # vae
        ("VAE-latent-str", lambda f: vae.VAE("2"), TypeError, ["latent_dim"]),
        ("VAE-units-str", lambda f: vae.VAE(2, "512"), TypeError, ["encoder_units"]),
        ("VAE-activation", lambda f: vae.VAE(2, (8,), (8,), "swishy"), ValueError, ["activation", "swishy"]),
        ("VAE-too-big", lambda f: vae.VAE(10**9, (8,), (8,)), ValueError, ["latent_dim", "GB"]),
        ("encode-batch", lambda f: vae.VAE(2, (8,), (8,)).encode(x, batch_size=-1), ValueError, ["batch_size"]),
        ("elbo-model", lambda f: vae.negative_elbo("vae", x), TypeError, ["model", "VAE"]),
        ("training_config", lambda f: vae.training_config("20"), TypeError, ["latent_dim"]),
        ("warmup_cosine", lambda f: vae.warmup_cosine({}, 10), ValueError, ["cfg", "learning_rate"]),
        ("gflops-record", lambda f: vae.achieved_gflops({}), ValueError, ["record"]),
        ("vae-sample-huge", lambda f: vae.VAE(2, (8,), (8,)).sample(10**12), ValueError, ["n", "GB"]),
        # bigan
        ("generator-latent", lambda f: bigan.build_generator(0), ValueError, ["latent_dim"]),
        ("generator-batchnorm", lambda f: bigan.build_generator(2, (8,), "yes"), TypeError, ["batchnorm"]),
        ("classes_found-negative", lambda f: bigan.classes_found([-1, 2]), ValueError, ["counts"]),
        ("classes_found-share", lambda f: bigan.classes_found([1, 2], min_share=2.0), ValueError, ["min_share"]),
        ("knn-strings", lambda f: bigan.knn_accuracy("a", y30, codes, y30), TypeError, ["train_codes"]),
        ("quality-model", lambda f: bigan.quality_figures("bigan", _tiny_dataset(), f["pnb"]), TypeError, ["str"]),
        ("bigan-prior-huge", lambda f: f["bigan"].prior(10**12), ValueError, ["n", "GB"]),
        ("bigan-decode-batch", lambda f: f["bigan"].decode(np.zeros((1, 2)), batch_size=0), ValueError,
         ["batch_size"]),
        # latent
        ("digit_pairs", lambda f: latent.digit_pairs(1), ValueError, ["n_classes"]),
        ("typical_norm", lambda f: latent.prior_typical_norm(-1), ValueError, ["latent_dim"]),
        ("path_norms", lambda f: latent.path_norms(None), TypeError, ["path"]),
        ("looped_move", lambda f: latent.looped_move("space", x[:1], 1, 2, [0.5]), TypeError, ["space"]),
        ("interpolation_norms", lambda f: latent.interpolation_norms("a", codes, [0, 1]), TypeError, ["z0"]),
        ("attribute_vector-balanced", lambda f: f["space"].attribute_vector(1, balanced="yes"), TypeError,
         ["balanced"]),
        ("lerp-bool-t", lambda f: latent.lerp(codes[0], codes[1], True), TypeError, ["t"]),
        ("centroids-n_classes", lambda f: latent.class_centroids(codes, y30, 10**12), ValueError, ["n_classes"]),
        # judges
        ("softmax-str", lambda f: judges.softmax("x"), TypeError, ["logits"]),
        ("softmax-empty", lambda f: judges.softmax([]), ValueError, ["logits"]),
        ("judge-name", lambda f: judges.SklearnJudge(f["lr"], name=3), TypeError, ["name"]),
        ("cnn_config-lr", lambda f: judges.cnn_config(learning_rate=-1.0), ValueError, ["learning_rate"]),
        # scoring
        ("entropy-str", lambda f: scoring.entropy_bits("x"), TypeError, ["probs"]),
        ("entropy-range", lambda f: scoring.entropy_bits([[2.0, -1.0]]), ValueError, ["probs"]),
        ("crossover-str", lambda f: scoring.crossover_alpha([0, 1], "a", "b"), TypeError, ["p_target"]),
        ("prior_distance-dim", lambda f: scoring.prior_distance(codes, 3), ValueError, ["latent_dim"]),
        ("typical_pair", lambda f: scoring.typical_pair(None), TypeError, ["result"]),
        ("judge_agreement", lambda f: scoring.judge_agreement([f["result"]]), TypeError, ["results"]),
        ("failure_split", lambda f: scoring.failure_split("x"), TypeError, ["result"]),
        ("band_share-nan", lambda f: scoring.band_share(codes, float("nan")), ValueError, ["threshold"]),
        ("frechet-means", lambda f: scoring.gaussian_frechet("a", np.eye(2), np.zeros(2), np.eye(2)), TypeError,
         ["mu1"]),
        ("frechet-features", lambda f: scoring.frechet_distance("a", codes), TypeError, ["features_a"]),
        ("geometry-per_pair", lambda f: scoring.class_geometry(codes, y30, codes, y30, per_pair=0), ValueError,
         ["per_pair"]),
        # lineup and cache
        ("layer_rows", lambda f: lineup.layer_rows("m"), TypeError, ["model"]),
        ("path_rows", lambda f: lineup.path_rows([1]), TypeError, ["paths"]),
        ("artifact-suffix", lambda f: cache.artifact_path("x", "json"), ValueError, ["suffix"]),
        ("artifact-mode", lambda f: cache.artifact_path("x", ".json", "fast"), ValueError, ["mode"]),
    ]


@pytest.fixture(scope="module")
def survey_fixtures(pnb, pixel_space, fitted_lr):
    from helpers import bigan, scoring

    d = _tiny_dataset(60, 20)
    result = scoring.class_transfer(pixel_space, d.x_test, d.y_test, [_uniform], per_pair=1, alphas=[0.0, 1.0])
    return {"pnb": pnb, "space": pixel_space, "lr": fitted_lr, "result": result["_uniform"],
            "bigan": bigan.BiGAN(latent_dim=2, g_hidden=(8,), e_hidden=(8,), d_hidden=(8, 4))}


@pytest.mark.parametrize("case", _cases(), ids=lambda c: c[0])
def test_the_rest_of_the_api(survey_fixtures, case):
    _, call, error, words = case
    with refused(error, *words):
        call(survey_fixtures)


def test_artifacts_pointing_at_a_file(tmp_path, monkeypatch):
    target = tmp_path / "not-a-folder"
    target.write_text("x")
    monkeypatch.setenv("TUTORIAL_ARTIFACTS", str(target))
    with refused(ValueError, "TUTORIAL_ARTIFACTS", str(target), "folder"):
        config.artifacts_dir()


@pytest.mark.parametrize("stand_in", ["small_multiples"])  # alpha_animation went with the page-only explorer
def test_stand_ins_check_space_and_alphas(pixel_space, pnb, stand_in):
    import matplotlib

    matplotlib.use("Agg")
    from helpers import widgets

    fn = getattr(widgets, stand_in)
    x = _tiny_dataset().x_test[:1]
    with refused(TypeError, "space", "LatentSpace"):
        fn(pnb, x, 1, 2, [0.0, 1.0], _uniform)
    with refused(TypeError, "alphas"):
        fn(pixel_space, x, 1, 2, "0 to 1", _uniform)
    with refused(ValueError, "alphas"):
        fn(pixel_space, x, 1, 2, [], _uniform)


def test_shuffled_batches_run_at_most_32_steps_per_call():
    """Keras 3.5 (the floor) unrolls steps_per_execution in Python; TensorFlow refuses more than 32 get_next()s."""
    x = np.zeros((64 * 4, 28, 28), dtype="float32")  # 64 batches of 4: 64 steps per call before the cap
    _, per_call = data.shuffled_batches(x, batch_size=4)
    assert per_call == data.MAX_STEPS_PER_CALL == 32
    _, per_call = data.shuffled_batches(x[: 7 * 4], batch_size=4)  # 7 batches: all in one call
    assert per_call == 7
