"""Bad input found by the third bad-input sweep (issue 15): a clear error naming the argument, not a raw one.

Each case asserts the error's type (ValueError for a wrong value, TypeError for a wrong
kind of thing) and that its message names the argument at fault; every one failed on
the code before its fix (an OverflowError, numpy's TypeError, a silently wrong result
or a hang).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from helpers import checks as ck
from helpers import data, interface

sys.path.insert(0, str(Path(__file__).parent))
from test_bad_inputs import refused  # noqa: E402  (the same check as the rest of the bad-input suite)

HUGE = 10**400  # no float holds it: float(HUGE) is an OverflowError


# --- huge integers: an OverflowError (or numpy's TypeError) before --------------------------------------
HUGE_CASES = {
    "check_number": (lambda: ck.check_number(HUGE, name="alpha"), ["alpha", "10**400"]),
    "check_number negative": (lambda: ck.check_number(-(10**5000), name="alpha"), ["alpha"]),
    "check_positive": (lambda: ck.check_positive(HUGE, name="learning_rate"), ["learning_rate"]),
    "check_numbers": (lambda: ck.check_numbers([[1, HUGE]], name="x"), ["x", "10**400"]),
    "check_alphas": (lambda: ck.check_alphas([0, HUGE]), ["alphas"]),
    "check_count": (lambda: ck.check_count(HUGE, name="n"), ["n", "2**63"]),
    "check_codes": (lambda: interface.check_codes([[0, HUGE]], 2, name="z"), ["z"]),
    "check_memory": (lambda: data.check_memory(HUGE, name="n", what="samples"), ["n", "GB"]),
}


@pytest.mark.parametrize("case", HUGE_CASES, ids=list(HUGE_CASES))
def test_huge_integers_are_refused_by_name(case):
    call, names = HUGE_CASES[case]
    with refused(ValueError, *names):
        call()


def test_check_memory_refuses_what_is_no_number_of_bytes():
    with refused(TypeError, "n_bytes", "n"):
        data.check_memory("x", name="n", what="samples")
    with refused(ValueError, "n_bytes", "NaN"):
        data.check_memory(float("nan"), name="n", what="samples")


def test_counts_up_to_int64_still_pass():
    assert ck.check_count(2**63 - 1, name="n") == 2**63 - 1
    assert ck.check_number(10**300, name="a") == 1e300
    assert ck.check_positive(np.int64(3), name="a") == 3.0


def test_memory_guards_refuse_huge_counts_by_name():
    from helpers import bigan, classical, morphometry, vae

    with refused(ValueError, "latent_dim"):
        vae.VAE(latent_dim=HUGE)
    with refused(ValueError, "latent_dim"):  # not n_classes: the class means' guard leaves it to latent_dim
        vae.ClassPriorVAE(HUGE, (8,), (8,), n_classes=3)
    with refused(ValueError, "n_classes"):
        vae.ClassPriorVAE(2, (8,), (8,), n_classes=HUGE)
    with refused(ValueError, "latent_dim"):
        bigan.BiGAN(latent_dim=HUGE)
    with refused(ValueError, "n_per_class"):
        classical.make_2d_classes(n_per_class=HUGE)
    with refused(ValueError, "amount"):
        morphometry.thicken(np.zeros((1, 28, 28), np.float32), amount=HUGE)


def test_bigan_latent_dim_as_a_small_numpy_integer_builds():
    from helpers import bigan

    model = bigan.BiGAN(latent_dim=np.uint8(3), g_hidden=(8,), e_hidden=(8,), d_hidden=(8,))
    assert model.latent_dim == 3


def test_a_dimension_used_only_in_a_formula_may_exceed_int64():
    from helpers import latent

    assert latent.prior_typical_norm(10**20) == pytest.approx(1e10, rel=1e-12)
    with refused(ValueError, "n", "1,000"):
        ck.check_count(1001, name="n", maximum=1000)


# --- booleans read as 1/0 by check_numbers (some twenty public calls) -----------------------------------
BOOLS = np.array([True, False])


@pytest.mark.parametrize("value", [BOOLS, [True, False], np.bool_(True), [[True], [False]]],
                         ids=["array", "list", "numpy scalar", "nested list"])
def test_check_numbers_refuses_booleans(value):
    with refused(TypeError, "x", "booleans", "astype"):
        ck.check_numbers(value, name="x")


def test_public_calls_refuse_boolean_arrays():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from helpers import bigan, classical, plots

    with refused(TypeError, "counts"):
        bigan.classes_found(BOOLS)
    with refused(TypeError, "train_codes"):
        bigan.knn_accuracy(np.ones((30, 2), bool), np.arange(30) % 3, np.ones((30, 2)), np.arange(30) % 3)
    with refused(TypeError, "values"):
        plots.symlog_bins(BOOLS, 1.0)
    fig, ax = plt.subplots()
    try:
        with refused(TypeError, "matrix"):
            plots.class_heatmap(ax, np.eye(3, dtype=bool))
    finally:
        plt.close(fig)
    x = np.random.default_rng(0).normal(size=(30, 2))
    nb = classical.GaussianNB().fit(x, np.arange(30) % 3)
    with refused(TypeError, "x"):
        classical.gaussian_nb_log_px(nb, x > 0)


def test_check_numbers_still_takes_integers_and_floats():
    np.testing.assert_array_equal(ck.check_numbers([1, 2], name="x"), [1.0, 2.0])
    assert ck.check_numbers(np.float32([0.5]), name="x", keep_float=True).dtype == np.float32


# --- flags given as truthy strings: 'no' meant True -----------------------------------------------------
def _flag_calls():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from helpers import bigan, classical, config, plots, vae

    tiny_vae = {"latent_dim": 2, "encoder_units": [8], "decoder_units": [8], "activation": "relu", "epochs": 1,
                "batch_size": 10, "learning_rate": 1e-3, "train_images": 10}
    ax = plt.subplots()[1]
    return {
        "pretrained_vae retrain": (lambda: vae.pretrained_vae(2, retrain="no"), "retrain"),
        "pretrained_class_prior_vae retrain": (lambda: vae.pretrained_class_prior_vae(retrain="no"), "retrain"),
        "mnist_logistic_regression retrain": (lambda: classical.mnist_logistic_regression(retrain="no"), "retrain"),
        "pretrained_bigan pure": (lambda: bigan.pretrained_bigan(pure="no"), "pure"),
        "pretrained_bigan retrain": (lambda: bigan.pretrained_bigan(retrain="no"), "retrain"),
        "BiGAN g_batchnorm": (lambda: bigan.BiGAN(g_batchnorm="no"), "g_batchnorm"),
        "BiGAN g_batchnorm None": (lambda: bigan.BiGAN(g_batchnorm=None), "g_batchnorm"),
        "BiGAN instance_noise False": (lambda: bigan.BiGAN(instance_noise=False), "instance_noise"),
        "BiGAN instance_noise array": (lambda: bigan.BiGAN(instance_noise=np.array([1, 2])), "instance_noise"),
        "model_config g_batchnorm": (lambda: bigan.model_config(g_batchnorm="no"), "g_batchnorm"),
        "model_config g_hidden": (lambda: bigan.model_config(g_hidden="abc"), "g_hidden"),
        "model_config latent_dim": (lambda: bigan.model_config(latent_dim=-3), "latent_dim"),
        "train_bigan cfg g_batchnorm": (lambda: bigan.train_bigan(
            np.zeros((3, 28, 28), np.float32),
            dict(bigan.model_config(), architecture=dict(bigan.ARCHITECTURE, g_batchnorm="no"))),
            "cfg['architecture']['g_batchnorm']"),
        "check_training_config jit_compile": (lambda: vae.check_training_config(dict(tiny_vae, jit_compile="no")),
                                              "cfg['jit_compile']"),
        "check_training_config prior array": (lambda: vae.check_training_config(
            dict(tiny_vae, prior=np.array(["class"]))), "cfg['prior']"),
        "train_vae verbose": (lambda: vae.train_vae(((np.zeros((10, 28, 28), np.uint8), np.arange(10)),
                                                    (np.zeros((10, 28, 28), np.uint8), np.arange(10))),
                                                   tiny_vae, verbose="loud"), "verbose"),
        "band_along_alpha band": (lambda: plots.band_along_alpha(ax, [0, 1], np.ones((2, 2)), band="no"), "band"),
        "class_heatmap annotate": (lambda: plots.class_heatmap(ax, np.eye(3), annotate="no"), "annotate"),
        "setup quiet": (lambda: config.setup(quiet="no"), "quiet"),
        "seed_everything True": (lambda: config.seed_everything(True), "seed"),
    }


FLAG_CASES = list(_flag_calls())


@pytest.mark.parametrize("case", FLAG_CASES)
def test_flags_and_settings_are_refused_by_name(case, isolated_artifacts):
    """Refused before any training: on the code before, retrain='no' retrained (and rewrote the cache)."""
    call, name = _flag_calls()[case]
    with pytest.raises((TypeError, ValueError)) as info:
        call()
    assert name in str(info.value), str(info.value)


@pytest.mark.parametrize("seed, error", [(-1, ValueError), (2**32, ValueError), (10**400, ValueError),
                                         (2.5, TypeError), ("0", TypeError), (None, TypeError)])
def test_seed_everything_names_its_seed(seed, error):
    from helpers import config

    with refused(error, "seed", "2**32"):
        config.seed_everything(seed)


def test_seed_everything_takes_numpy_integers():
    from helpers import config

    config.seed_everything(np.int64(1))
    config.seed_everything(np.uint32(2**32 - 1))
    config.seed_everything(0)


# --- strings (and dicts, booleans) read as sequences of numbers -----------------------------------------
@pytest.fixture(scope="module")
def tiny_vae():
    from helpers import vae

    return vae.VAE(2, (8,), (8,))


DIGITS = np.random.default_rng(0).random((3, 28, 28)).astype(np.float32)
CENTROIDS = np.random.default_rng(1).normal(size=(10, 2))


@pytest.mark.parametrize("pair", ["60", ("6", "0"), (True, 0), {6: 0}], ids=["string", "strings", "bool", "dict"])
def test_browser_explorer_pair_must_be_two_class_labels(tiny_vae, pair):
    from helpers import browser_explorer as bx

    with refused(TypeError, "pair"):
        bx.browser_explorer(tiny_vae, DIGITS, [0, 1, 2], centroids=CENTROIDS, pair=pair)


@pytest.mark.parametrize("centroids, error", [([["1", "2"]] * 10, TypeError), (np.ones((10, 2), bool), TypeError),
                                              ("abc", TypeError), ([[0.0], [0.0, 1.0]], TypeError),
                                              ([[0, HUGE]] + [[0, 0]] * 9, ValueError)],
                         ids=["strings", "bools", "string", "ragged", "huge"])
def test_browser_explorer_centroids_must_be_numbers(tiny_vae, centroids, error):
    from helpers import browser_explorer as bx

    with refused(error, "centroids"):
        bx.browser_explorer(tiny_vae, DIGITS, [0, 1, 2], centroids=centroids)


@pytest.mark.parametrize("alpha_range, error", [("12", TypeError), (("-1", "2"), TypeError), ((True, 2), TypeError),
                                                ({-1: "a", 2: "b"}, TypeError), ((0, HUGE), ValueError)],
                         ids=["string", "strings", "bool", "dict", "huge"])
def test_explorer_alpha_range_must_be_two_numbers(alpha_range, error):
    from test_widgets import LinearModel, toy_judge

    from helpers import latent, widgets

    x = np.random.default_rng(1).random((20, 28, 28)).astype(np.float32)
    y = np.arange(20) % 10
    space = latent.LatentSpace(LinearModel(), x, y, name="linear")
    with refused(error, "alpha_range"):
        widgets.InterpolationExplorer({"linear": space}, x, y, toy_judge, alpha_range=alpha_range)


@pytest.mark.parametrize("vector, error", [(["1", "2"], TypeError), ([True, False], TypeError),
                                           ([1, HUGE], ValueError)], ids=["strings", "bools", "huge"])
def test_check_vector_refuses_what_is_no_direction(vector, error):
    from helpers import widgets

    with refused(error, "vector"):
        widgets.check_vector(vector, 2)


def test_ranges_pairs_and_vectors_still_pass():
    from helpers import widgets
    from helpers.browser_explorer import _check_class_pair

    assert widgets._check_range(np.array([-1, 2]), name="r") == (-1.0, 2.0)
    assert widgets._check_range([-1.0, np.float32(2)], name="r") == (-1.0, 2.0)
    assert _check_class_pair(np.array([6, 0]), 10) == (6, 0)
    assert _check_class_pair((6.0, 0), 10) == (6, 0)
    assert widgets.check_vector([1, 0], 2).dtype == np.float32


def test_load_arrays_keys_must_be_a_tuple_of_names(tmp_path):
    from helpers import cache

    path = tmp_path / "a.npz"
    np.savez(path, x=np.zeros(2), y=np.ones(2))
    with refused(TypeError, "keys"):
        cache.load_arrays(path, "xy")
    assert set(cache.load_arrays(path, ("x", "y"))) == {"x", "y"}


# --- knn_accuracy: float32 distances that overflowed gave a wrong accuracy ------------------------------
@pytest.mark.parametrize("scale", [1e19, 1e25, 1e-25])
def test_knn_accuracy_refuses_codes_its_float32_distances_cannot_hold(scale):
    from helpers import bigan

    codes = np.random.default_rng(0).normal(size=(30, 4))
    labels = np.arange(30) % 3
    assert bigan.knn_accuracy(codes, labels, codes, labels) == 1.0
    with refused(ValueError, "train_codes", "scale"):
        bigan.knn_accuracy(codes * scale, labels, codes * scale, labels)
    assert bigan.knn_accuracy(codes * 1e15, labels, codes * 1e15, labels) == 1.0


# --- unseen_class_experiment: a far group named like a digit group replaced it ---------------------------
def _blob_dataset(test_classes=range(10)):
    from helpers.data import Dataset

    rng = np.random.default_rng(0)
    y = np.arange(60) % 10
    y_test = np.array([c for c in test_classes for _ in range(2)])
    return Dataset(rng.random((60, 28, 28)).astype(np.float32), y,
                   rng.random((len(y_test), 28, 28)).astype(np.float32), y_test)


@pytest.mark.parametrize("far_name, error", [("seen digits", ValueError), ("unseen digits", ValueError),
                                             (5, TypeError), ("", ValueError)])
def test_unseen_class_experiment_far_name_must_be_a_new_group_name(far_name, error):
    from helpers import classical

    far = np.zeros((4, 28, 28), np.float32)
    with refused(error, "far_name"):
        classical.unseen_class_experiment(_blob_dataset(), far, far_name=far_name, max_iter=3)


def test_unseen_class_experiment_needs_seen_and_unseen_test_digits():
    from helpers import classical

    with refused(ValueError, "data", "unseen"):
        classical.unseen_class_experiment(_blob_dataset(range(5)), seen_classes=(0, 1, 2, 3, 4), max_iter=3)


# --- widgets.small_multiples: 3,000 alphas drew 6,000 axes and hung ---------------------------------------
@pytest.fixture(scope="module")
def linear_space():
    from test_widgets import LinearModel

    from helpers import latent

    x = np.random.default_rng(1).random((20, 28, 28)).astype(np.float32)
    return latent.LatentSpace(LinearModel(), x, np.arange(20) % 10, name="linear"), x


@pytest.mark.parametrize("alphas, error, names", [
    (np.linspace(-1, 2, 3000), ValueError, ["alphas", "101"]),
    ([[0, 0.5], [1, 1.5]], ValueError, ["alphas"]),
    ([True, False], TypeError, ["alphas"]),
], ids=["3000 alphas", "2-D", "bools"])
def test_small_multiples_alphas(linear_space, alphas, error, names):
    from test_widgets import toy_judge

    from helpers import widgets

    space, x = linear_space
    with refused(error, *names):
        widgets.small_multiples(space, x[:1], a=1, b=2, alphas=alphas, judge=toy_judge)


def test_small_multiples_needs_a_digit(linear_space):
    from test_widgets import toy_judge

    from helpers import widgets

    space, x = linear_space
    with refused(ValueError, "x"):
        widgets.small_multiples(space, x[:0], a=1, b=2, alphas=[0.0, 1.0], judge=toy_judge)


# --- plot keywords: colormaps and colour lists ------------------------------------------------------------
def _plot_keyword_calls():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from helpers import plots

    ax = plt.subplots()[1]
    images = np.random.default_rng(0).random((2, 28, 28)).astype(np.float32)
    points, ids = np.random.default_rng(0).normal(size=(6, 2)), np.arange(6) % 3
    means, variances = np.zeros((3, 2)), np.ones((3, 2))
    return {
        "image_grid cmap": (lambda: plots.image_grid(images, cmap="nope"), ValueError, "cmap"),
        "image_grid cmap int": (lambda: plots.image_grid(images, cmap=5), TypeError, "cmap"),
        "show_canvas cmap": (lambda: plots.show_canvas(images[None], cmap="nope"), ValueError, "cmap"),
        "class_heatmap cmap": (lambda: plots.class_heatmap(ax, np.eye(3), cmap="nope"), ValueError, "cmap"),
        "matrix_heatmaps cmap": (lambda: plots.matrix_heatmaps({"t": np.eye(2)}, ["a", "b"], ["c", "d"], cmap="nope"),
                                 ValueError, "cmap"),
        "class_scatter colors []": (lambda: plots.class_scatter(ax, points, ids, colors=[]), ValueError, "colors"),
        "class_scatter colors str": (lambda: plots.class_scatter(ax, points, ids, colors="red"), TypeError, "colors"),
        "nb_ellipses colors []": (lambda: plots.nb_ellipses(ax, means, variances, colors=[]), ValueError, "colors"),
        "nb_ellipses colors bad": (lambda: plots.nb_ellipses(ax, means, variances, colors=["nope"]), ValueError,
                                   "colors"),
        "probability_map colors []": (lambda: plots.probability_map(
            ax, lambda p: np.full((len(p), 3), 1 / 3), (0, 1), (0, 1), colors=[]), ValueError, "colors"),
    }


@pytest.mark.parametrize("case", list(_plot_keyword_calls()))
def test_plot_keywords_are_checked(case):
    import matplotlib.pyplot as plt

    call, error, name = _plot_keyword_calls()[case]
    try:
        with refused(error, name):
            call()
    finally:
        plt.close("all")


def test_plot_keywords_still_take_colormaps_and_colours():
    import matplotlib
    import matplotlib.pyplot as plt

    from helpers import plots

    ax = plt.subplots()[1]
    plots.image_grid(np.zeros((2, 28, 28)), cmap=matplotlib.colormaps["magma"])
    plots.class_heatmap(ax, np.eye(3), cmap="magma")
    plots.class_scatter(ax, np.zeros((2, 2)), [0, 1], colors=[(1, 0, 0), "C1"])
    plt.close("all")
