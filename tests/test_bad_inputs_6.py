"""Bad input found by the sixth bad-input sweep: a clear error naming the argument, or a correct result.

Each refusal asserts the error's type (ValueError for a wrong value) and that its message names the
argument at fault; every case failed on the code before its fix (a silently wrong result: inf, NaN, 0 or
another digit's label; or an error naming no argument, from deep inside a library).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent))
from test_bad_inputs import refused  # noqa: E402  (the same check as the rest of the bad-input suite)


@pytest.fixture
def closing_figures():
    """Close every figure a test drew (or began to draw before it was refused)."""
    import matplotlib.pyplot as plt

    yield
    plt.close("all")


# --- scoring.class_geometry: codes so large (or small) that squared distances overflow (or underflow) ----------
def _clusters(seed=0, n=20):
    """Ten round clusters at 20 x the unit vectors, spread 1 in every direction (as test_class_prior's)."""
    rng = np.random.default_rng(seed)
    labels = np.repeat(np.arange(10), n)
    return 20.0 * np.eye(10)[labels] + rng.standard_normal((len(labels), 10)), labels


@pytest.fixture(scope="module")
def layout():
    from helpers import scoring

    train, y = _clusters()
    test, y_test = _clusters(seed=1)
    return train, y, test, y_test, scoring.class_geometry(train, y, test, y_test, per_pair=5)


@pytest.mark.parametrize("scale", [1e40, 1e160, 1e300, 1e-160, 1e-300])
def test_class_geometry_of_huge_or_tiny_codes_is_the_layout_scaled(scale, layout):
    """Before: spread inf and separation NaN (1e40: the float32 centroids overflowed), 'cov1: contains NaN or
    infinite values' (1e160, 1e300: the covariances overflowed), or separation 0 with nearest centroid 0.1
    (1e-160: the centroids underflowed) -- a layout that says nothing of the codes'."""
    from helpers import scoring

    train, y, test, y_test, base = layout
    scaled = scoring.class_geometry(train * scale, y, test * scale, y_test, per_pair=5)
    assert set(scaled) == set(base) and all(np.isfinite(v) for v in scaled.values())
    for key in ("spread", "separation"):
        assert scaled[key] == pytest.approx(base[key] * scale, rel=1e-5), key
    for key in ("separation / spread", "nearest centroid", "moved nearest target", "shape mismatch"):
        assert scaled[key] == pytest.approx(base[key], rel=1e-5, abs=1e-9), key


@pytest.mark.parametrize("scale", [1e160, 1e-200])
def test_class_shape_mismatch_does_not_change_when_codes_are_huge_or_tiny(scale):
    """Before: 'cov1: contains NaN or infinite values' (1e160), or a mismatch of 0 for every pair (1e-200)."""
    from helpers import scoring

    codes, y = _clusters()
    np.testing.assert_allclose(scoring.class_shape_mismatch(codes * scale, y), scoring.class_shape_mismatch(codes, y),
                               rtol=1e-6, atol=1e-12)


def test_class_geometry_refuses_codes_whose_separation_is_beyond_float64(layout):
    """Before: 'cov1: contains NaN or infinite values', naming no argument of class_geometry."""
    from helpers import scoring

    rng = np.random.default_rng(0)
    y = np.repeat(np.arange(10), 5)
    codes = 1.5e308 * np.eye(10)[y] + 1e306 * rng.standard_normal((50, 10))  # centroids 2.1e308 apart
    with refused(ValueError, "train_codes", "test_codes"):
        scoring.class_geometry(codes, y, codes, y, per_pair=2)


def test_class_geometry_refuses_codes_that_are_all_one_point():
    """Before: 'separation / spread' NaN (0 / 0), with numpy's RuntimeWarning 'invalid value encountered'."""
    from helpers import scoring

    y = np.repeat(np.arange(10), 5)
    with refused(ValueError, "train_codes"):
        scoring.class_geometry(np.ones((50, 3)), y, np.ones((50, 3)), y, per_pair=2, shape=False)


def test_class_geometry_of_ordinary_codes_is_unchanged(layout):
    """Codes of ordinary size are measured as they are: a power of two changes no digit of the layout."""
    from helpers import scoring

    train, y, test, y_test, base = layout
    doubled = scoring.class_geometry(train * 2.0**20, y, test * 2.0**20, y_test, per_pair=5)
    assert doubled["spread"] == base["spread"] * 2.0**20 and doubled["separation"] == base["separation"] * 2.0**20
    assert doubled["separation / spread"] == base["separation / spread"]


# --- scoring.entropy_bits: rows that are not probability vectors --------------------------------------------
NOT_PROBABILITIES = {
    "a row summing to 1.1": [0.5, 0.6],
    "a row summing to 0.4": [[0.2, 0.2]],
    "one good row, one summing to 0.6": [[0.5, 0.5], [0.3, 0.3]],
    "ten times 0.2": np.full((3, 10), 0.2),
    "all zeros": np.zeros((2, 10)),
    "a row off by 0.01": [[0.505, 0.505]],
}


@pytest.mark.parametrize("case", NOT_PROBABILITIES)
def test_entropy_bits_refuses_rows_that_do_not_sum_to_one(case):
    """Before: an entropy returned for each (0.94 bits for [0.5, 0.6], 0 bits for all zeros)."""
    from helpers import scoring

    with refused(ValueError, "probs", "sum to 1"):
        scoring.entropy_bits(NOT_PROBABILITIES[case])


def test_entropy_bits_still_takes_probabilities_of_float32_softmax():
    from helpers import scoring

    logits = np.random.default_rng(0).normal(0, 5, (1000, 10)).astype(np.float32)
    p = np.exp(logits - logits.max(axis=1, keepdims=True))
    p = (p / p.sum(axis=1, keepdims=True)).astype(np.float32)
    assert scoring.entropy_bits(p).shape == (1000,)
    assert scoring.entropy_bits(np.full((2, 3, 10), 0.1)).shape == (2, 3)
    assert scoring.entropy_bits(np.zeros((0, 10))).shape == (0,)
    assert scoring.entropy_bits([0.5, 0.5 + 5e-4]) == pytest.approx(1.0, abs=1e-3)  # within float32 rounding
    with refused(ValueError, "probs"):  # negative entries were refused before, and still are
        scoring.entropy_bits([0.6, 0.6, -0.2])


# --- bigan.judged_labels and classical.judge_hits: a classifier whose classes_ was set by hand --------------
# the digits, the fitted logistic regression (a fixture) and the hand-set classes_ of sweep 5's judge tests
from test_bad_inputs_5 import X, Y, _with_classes, fitted_lr  # noqa: E402, F401


CLASSES_CASES = {
    "9 classes for 10 columns": np.arange(9),
    "11 classes for 10 columns": np.arange(11) % 10,
    "duplicated": np.r_[0, 0, np.arange(2, 10)],
    "reversed": np.arange(10)[::-1],
    "shifted to 1-10": np.arange(1, 11),
    "fractions": np.arange(10) + 0.5,
    "strings": np.array(list("0123456789")),
    "2-D": np.arange(10)[None],
    "empty": np.arange(0),
}


@pytest.mark.parametrize("case", CLASSES_CASES)
def test_judged_labels_refuses_a_judge_with_classes_set_by_hand(case, fitted_lr):
    """Before: another digit's label for every image (reversed: a 0 judged as a 9; strings: labels '0'-'9'),
    'judge returned shape (20, 10) ... expected (20, 9)' naming no classes_, or numpy's IndexError."""
    from helpers import bigan

    with refused(ValueError, "judge", "classes_"):
        bigan.judged_labels(X, _with_classes(fitted_lr, CLASSES_CASES[case]))


@pytest.mark.parametrize("case", CLASSES_CASES)
def test_judge_hits_refuses_a_judge_with_classes_set_by_hand(case, fitted_lr):
    """Before: hits counted against the wrong digits (reversed), none at all (strings compared with ints),
    or numpy's IndexError from inside scikit-learn's predict."""
    from helpers import classical

    with refused(ValueError, "judge", "classes_"):
        classical.judge_hits(_with_classes(fitted_lr, CLASSES_CASES[case]), X, Y)


def test_judges_fitted_on_other_than_784_pixels_are_refused_by_name():
    """Before: scikit-learn's 'X has 784 features, but LogisticRegression is expecting 10 features as input'."""
    from sklearn.linear_model import LogisticRegression

    from helpers import bigan, classical

    small = LogisticRegression(max_iter=50).fit(X.reshape(20, -1)[:, :10], Y)
    with refused(ValueError, "judge", "784"):
        bigan.judged_labels(X, small)
    with refused(ValueError, "judge", "784"):
        classical.judge_hits(small, X, Y)


def test_fitted_judges_still_label_and_hit(fitted_lr):
    from sklearn.linear_model import LogisticRegression

    from helpers import bigan, classical, judges

    labels = bigan.judged_labels(X, fitted_lr)
    np.testing.assert_array_equal(labels, fitted_lr.predict(X.reshape(20, -1)))
    np.testing.assert_array_equal(bigan.judged_labels(X, judges.SklearnJudge(fitted_lr)), labels)
    np.testing.assert_array_equal(classical.judge_hits(fitted_lr, X, Y), labels == Y)
    three = LogisticRegression(max_iter=50).fit(X.reshape(20, -1)[Y < 3], Y[Y < 3])  # some digits only
    assert set(bigan.judged_labels(X, three)) <= {0, 1, 2}
    assert classical.judge_hits(three, X[Y < 3], Y[Y < 3]).shape == (6,)
    float_labels = _with_classes(fitted_lr, np.arange(10.0))  # fitted on labels 0.0-9.0
    np.testing.assert_array_equal(bigan.judged_labels(X, float_labels), labels)
    nb = classical.PixelNaiveBayes().fit(X, Y)
    assert classical.judge_hits(nb, X, Y).shape == (20,)


# --- plots: many panels of an allowed size make a figure far beyond a page -----------------------------------
MANY = 60  # panels: each a few inches, at most 10 (sweep 5's per-panel limit), together 120 to 200 inches


def _figure_calls():
    from helpers import plots

    black = lambda z: np.zeros((len(z), 28, 28), np.float32)  # noqa: E731
    names = [f"n{i}" for i in range(MANY)]
    values, labels = {n: np.arange(20.0) for n in names}, np.arange(20) % 10
    alphas = np.array([0.0, 0.5, 1.0])
    dose_wide = ({(m, "a", "quantile"): np.arange(3.0) for m in names}, alphas, ["quantile"], ["a"], names)
    dose_tall = ({("m", a, "quantile"): np.arange(3.0) for a in names}, alphas, ["quantile"], names, ["m"])
    path = (np.zeros((3, 28, 28)), {"judge": np.full((3, 10), 0.1)})
    entropy = {n: {"judge": np.zeros((1, 3))} for n in names}
    frames = {n: np.zeros((3, 28, 28)) for n in names}
    probs = {n: {"judge": np.full((1, 3, 10), 0.1)} for n in names}
    heat = {("r", n): np.eye(2) for n in names}
    return {
        "image_grid wide": (lambda: plots.image_grid(np.zeros((MANY, 28, 28)), ncols=MANY, cell_size=2),
                            ["ncols", "cell_size"]),
        "image_grid tall": (lambda: plots.image_grid(np.zeros((MANY, 28, 28)), ncols=1, cell_size=2),
                            ["images", "ncols", "cell_size"]),
        "show_canvas wide": (lambda: plots.show_canvas(np.zeros((2, 500, 28, 28)), cell_size=2),
                             ["grid", "cell_size"]),
        "show_canvas tall": (lambda: plots.show_canvas(np.zeros((200, 2, 28, 28)), cell_size=1),
                             ["grid", "cell_size"]),
        "model_grids wide": (lambda: plots.model_grids({n: np.zeros((1, 3, 28, 28)) for n in names}, cell_size=1),
                             ["grids", "cell_size"]),
        "model_grids tall": (lambda: plots.model_grids({"m": np.zeros((200, 1, 28, 28))}, cell_size=1),
                             ["grids", "cell_size"]),
        "latent_manifold": (lambda: plots.latent_manifold(black, n=200, cell_size=1), ["n", "cell_size"]),
        "heatmap_grid wide": (lambda: plots.heatmap_grid(heat, ["r"], names), ["col_names", "cell", "ncols"]),
        "heatmap_grid tall": (lambda: plots.heatmap_grid(heat, ["r"], names, ncols=1),
                              ["row_names", "col_names", "ncols", "cell"]),
        "per_class_distributions wide": (lambda: plots.per_class_distributions(values, labels, ncols=MANY),
                                         ["ncols", "cell[0]"]),
        "per_class_distributions tall": (lambda: plots.per_class_distributions(values, labels, ncols=1),
                                         ["values", "ncols", "cell[1]"]),
        "dose_curves wide": (lambda: plots.dose_curves(*dose_wide), ["models", "cell[0]"]),
        "dose_curves tall": (lambda: plots.dose_curves(*dose_tall), ["attributes", "cell[1]"]),
        "matrix_heatmaps": (lambda: plots.matrix_heatmaps({n: np.eye(2) for n in names}, ["a", "b"], ["c", "d"]),
                            ["matrices", "cell[0]"]),
        "training_curves": (lambda: plots.training_curves({n: [1.0, 0.5] for n in names}), ["keys"]),
        "judged_paths_figure wide": (lambda: plots.judged_paths_figure({"m": path}, alphas, ncols=MANY),
                                     ["ncols"]),
        "judged_paths_figure tall": (lambda: plots.judged_paths_figure({n: path for n in names}, alphas, ncols=1),
                                     ["paths", "ncols"]),
        "realism_figure": (lambda: plots.realism_figure(alphas, entropy, {n: None for n in names}, {"judge": 1.0},
                                                        {}), ["entropy"]),
        "pair_figure": (lambda: plots.pair_figure(alphas, frames, probs, 0, 1), ["frames"]),
    }


FIGURE_CASES = list(_figure_calls())


@pytest.mark.parametrize("case", FIGURE_CASES)
def test_figures_beyond_a_page_are_refused_naming_what_makes_them_large(case, closing_figures):
    """Before: each figure was made, 120 to 1,000 inches on a side (at 80 dpi, 10,000 to 80,000 px), which
    matplotlib drew for seconds into hundreds of MB or failed on with std::bad_alloc (latent_manifold
    n=400 x 2 in) -- after decoding n x n codes."""
    call, names = _figure_calls()[case]
    with refused(ValueError, *names, "inches"):
        call()


def test_latent_manifold_refuses_its_figure_before_decoding(closing_figures):
    from helpers import plots

    decoded = []
    with refused(ValueError, "n", "cell_size"):
        plots.latent_manifold(lambda z: decoded.append(len(z)) or np.zeros((len(z), 28, 28)), n=200, cell_size=1)
    assert decoded == []


def test_figures_up_to_the_limit_still_draw(closing_figures):
    """The notebooks' largest figures are about 17 inches a side; the limit is far above."""
    from helpers import plots

    limit = plots.MAX_FIGURE_INCHES
    assert limit >= 5 * 17.5
    assert plots.show_canvas(np.zeros((45, 21, 28, 28)), cell_size=0.36).get_size_inches()[1] == pytest.approx(16.8)
    fig = plots.show_canvas(np.zeros((2, 80, 28, 28)), cell_size=1.2)  # 97.2 inches wide
    assert fig.get_size_inches()[0] == pytest.approx(97.2) and fig.get_size_inches()[0] <= limit
    assert plots.image_grid(np.zeros((100, 28, 28)), ncols=10, cell_size=0.9).get_size_inches()[1] == \
        pytest.approx(9.0)
    # a canvas drawn into the caller's axes: the caller sized the figure
    import matplotlib.pyplot as plt

    _, ax = plt.subplots()
    plots.show_canvas(np.zeros((2, 500, 28, 28)), cell_size=2, ax=ax)
