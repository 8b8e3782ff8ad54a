"""Bad input found by the fifth bad-input sweep: a clear error naming the argument, not a raw one.

Each case asserts the error's type (ValueError for a wrong value, TypeError for a wrong
kind of thing) and that its message names the argument at fault; every one failed on
the code before its fix (a library's traceback, a message naming no argument, or a
silently wrong result).
"""

from __future__ import annotations

import copy
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


# --- plots: figure sizes beyond any page (matplotlib's 'Image size ... is too large' or bad_alloc) -----------
def _plot_size_calls():
    import matplotlib

    matplotlib.use("Agg")
    from helpers import plots

    grids = {"m": np.random.default_rng(0).random((2, 3, 28, 28))}
    black = lambda z: np.zeros((len(z), 28, 28), np.float32)  # noqa: E731
    square = ({("r", "c"): np.eye(3)}, ["r"], ["c"])
    two = ({"t": np.eye(2)}, ["a", "b"], ["c", "d"])
    values, labels = {"a": np.arange(20.0)}, np.arange(20) % 10
    dose = ({("m", "a", "quantile"): np.arange(3.0)}, [0.0, 1.0, 2.0], ["quantile"], ["a"], ["m"])
    calls = {}
    for size in (1e6, 1000, 11):
        calls |= {
            f"model_grids cell_size {size:g}": (lambda s=size: plots.model_grids(grids, cell_size=s), "cell_size"),
            f"image_grid cell_size {size:g}": (lambda s=size: plots.image_grid(np.zeros((4, 28, 28)), cell_size=s),
                                               "cell_size"),
            f"show_canvas cell_size {size:g}": (lambda s=size: plots.show_canvas(np.zeros((2, 2, 28, 28)),
                                                                                 cell_size=s), "cell_size"),
            f"latent_manifold cell_size {size:g}": (lambda s=size: plots.latent_manifold(black, n=3, cell_size=s),
                                                    "cell_size"),
            f"heatmap_grid cell {size:g}": (lambda s=size: plots.heatmap_grid(*square, cell=s), "cell"),
            f"matrix_heatmaps cell width {size:g}": (lambda s=size: plots.matrix_heatmaps(*two, cell=(s, 1.5)),
                                                     "cell[0]"),
            f"per_class_distributions cell height {size:g}": (
                lambda s=size: plots.per_class_distributions(values, labels, cell=(3.4, s)), "cell[1]"),
            f"dose_curves cell width {size:g}": (lambda s=size: plots.dose_curves(*dose, cell=(s, 2.1)), "cell[0]"),
        }
    return calls


PLOT_SIZE_CASES = _plot_size_calls()


@pytest.mark.parametrize("case", PLOT_SIZE_CASES)
def test_figure_sizes_beyond_a_page_are_refused_by_name(case, closing_figures):
    """Before: a figure of 300,000,000 pixels that failed only when shown (matplotlib's 'Image size of
    300000110x200000080 pixels is too large'), or std::bad_alloc (MemoryError) for cells of 1,000 inches."""
    call, name = PLOT_SIZE_CASES[case]
    with refused(ValueError, name, "10"):  # the message gives the range, up to 10 inches
        call()


def _unchecked_cell_calls():
    from helpers import plots

    values, labels = {"a": np.arange(20.0)}, np.arange(20) % 10
    dose = ({("m", "a", "quantile"): np.arange(3.0)}, [0.0, 1.0, 2.0], ["quantile"], ["a"], ["m"])
    return {
        "per_class_distributions cell 0": (lambda: plots.per_class_distributions(values, labels, cell=(0, 2)),
                                           ValueError, "cell[0]"),
        "per_class_distributions cell negative": (lambda: plots.per_class_distributions(values, labels,
                                                                                        cell=(3, -1)),
                                                  ValueError, "cell[1]"),
        "per_class_distributions cell NaN": (lambda: plots.per_class_distributions(values, labels,
                                                                                   cell=(np.nan, 2)),
                                             ValueError, "cell[0]"),
        "per_class_distributions cell 'a'": (lambda: plots.per_class_distributions(values, labels, cell=("a", 2)),
                                             TypeError, "cell[0]"),
        "per_class_distributions cell True": (lambda: plots.per_class_distributions(values, labels,
                                                                                    cell=(True, 2)),
                                              TypeError, "cell[0]"),
        "per_class_distributions cell 3": (lambda: plots.per_class_distributions(values, labels, cell=3), TypeError,
                                           "cell"),
        "dose_curves cell 0": (lambda: plots.dose_curves(*dose, cell=(0, 2)), ValueError, "cell[0]"),
        "dose_curves cell inf": (lambda: plots.dose_curves(*dose, cell=(2, np.inf)), ValueError, "cell[1]"),
        "dose_curves cell 'a'": (lambda: plots.dose_curves(*dose, cell=("a", 2)), TypeError, "cell[0]"),
        "dose_curves cell None": (lambda: plots.dose_curves(*dose, cell=None), TypeError, "cell"),
        "heatmap_grid fontsize 1e6": (lambda: plots.heatmap_grid({("r", "c"): np.eye(3)}, ["r"], ["c"],
                                                                 fontsize=1e6), ValueError, "fontsize"),
    }


UNCHECKED_CELL_CASES = list(_unchecked_cell_calls())


@pytest.mark.parametrize("case", UNCHECKED_CELL_CASES)
def test_panel_sizes_and_font_sizes_are_checked_by_name(case, closing_figures):
    """Before: numpy's LinAlgError 'Singular matrix' (a cell of 0), matplotlib's 'figure size must be positive
    finite not (-3, 1.5)', "ufunc 'isfinite' not supported", 'object is not subscriptable', a cell of True drawn
    as one inch, or FreeType's 'FT_Set_Char_Size ... invalid pixel size' for a font of a million points."""
    call, error, name = _unchecked_cell_calls()[case]
    with refused(error, name):
        call()


def test_plot_sizes_were_already_refused_below_zero_and_not_finite():
    import matplotlib.pyplot as plt

    from helpers import plots

    grids = {"m": np.zeros((2, 3, 28, 28))}
    for bad, error in ((0, ValueError), (-1, ValueError), (np.nan, ValueError), (np.inf, ValueError),
                       ("a", TypeError), (True, TypeError), (10**400, ValueError)):
        with refused(error, "cell_size"):
            plots.model_grids(grids, cell_size=bad)
    plt.close("all")


def test_plot_sizes_up_to_ten_inches_still_draw():
    import matplotlib.pyplot as plt

    from helpers import plots

    assert plots.model_grids({"m": np.zeros((1, 1, 28, 28))}, cell_size=10).get_size_inches()[1] == \
        pytest.approx(10.8)
    plots.per_class_distributions({"a": np.arange(20.0)}, np.arange(20) % 10, cell=[3, 2])
    plots.dose_curves({("m", "a", "quantile"): np.arange(3.0)}, [0.0, 1.0, 2.0], ["quantile"], ["a"], ["m"],
                      cell=(2, 2))
    plots.heatmap_grid({("r", "c"): np.eye(3)}, ["r"], ["c"], cell=4.4, fontsize=9.5)
    plt.close("all")


# --- style.StyleScale.from_table: attributes so large that their SD overflows to infinity ------------------
def _huge_tables():
    table = np.random.default_rng(0).random((5, 6))
    mixed = table.copy()
    mixed[4] *= 1e300
    return {"1e300": table * 1e300, "-1e300": -table * 1e300, "1e155": table * 1e155, "one row 1e300": mixed}


@pytest.mark.parametrize("case", list(_huge_tables()))
def test_style_scale_refuses_attributes_whose_spread_overflows(case):
    """Before: a StyleScale whose every SD was inf, so that every change in SDs read 0 (or NaN)."""
    from helpers import style

    with refused(ValueError, "table"):
        style.StyleScale.from_table(_huge_tables()[case])


def test_style_scale_still_measures_large_and_blank_rows():
    from helpers import style

    table = np.random.default_rng(0).random((5, 6))
    table[1] = np.nan  # a blank image
    scale = style.StyleScale.from_table(table * 1e100)
    assert np.all(np.isfinite(scale.sd)) and np.all(scale.sd > 0)
    np.testing.assert_allclose(scale.sd, np.nanstd(table, axis=0) * 1e100)


# --- judges: a classifier whose classes_ was set by hand, or a bound predict_proba of an unfitted one -------
X = np.random.default_rng(0).random((20, 28, 28)).astype(np.float32)
Y = np.arange(20) % 10


@pytest.fixture(scope="module")
def fitted_lr():
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(max_iter=50).fit(X.reshape(20, -1), Y)


def _with_classes(model, classes):
    model = copy.deepcopy(model)
    model.classes_ = classes
    return model


CLASSES_CASES = {
    "9 classes for 10 columns": np.arange(9),
    "11 classes for 10 columns": np.arange(11) % 10,
    "duplicated": np.r_[0, 0, np.arange(2, 10)],
    "reversed": np.arange(10)[::-1],
    "fractions": np.arange(10) + 0.5,
    "2-D": np.arange(10)[None],
    "a scalar": np.int64(3),
    "empty": np.arange(0),
}


@pytest.mark.parametrize("case", CLASSES_CASES)
def test_sklearn_judge_refuses_classes_set_by_hand(case, fitted_lr):
    """Before: numpy's 'shape mismatch: value array of shape (2,10) could not be broadcast', 'rows that do not sum
    to 1' at the first judgement, or silently wrong columns (reversed classes judged a 0 as a 9; fractions
    truncated to the integer below)."""
    from helpers import judges

    model = _with_classes(fitted_lr, CLASSES_CASES[case])
    with refused(ValueError, "classes_"):
        judges.SklearnJudge(model)
    with refused(ValueError, "classes_"):
        judges.as_judge(model)


def test_an_unfitted_classifier_with_classes_set_by_hand_is_refused():
    """Before: scikit-learn's "'LogisticRegression' object has no attribute 'coef_'" at the first judgement."""
    from sklearn.linear_model import LogisticRegression

    from helpers import judges

    model = LogisticRegression()
    model.classes_ = np.arange(10)
    with refused(ValueError, "fit"):
        judges.SklearnJudge(model)
    with refused(ValueError, "fit"):
        judges.as_judge(model)


def test_function_judge_of_an_unfitted_estimators_predict_proba_is_refused_at_once():
    """Before: accepted, then 'predict_proba judge failed on images ... NotFittedError' at the first call."""
    from sklearn.linear_model import LogisticRegression

    from helpers import judges

    with refused(ValueError, "fn", "not fitted", "fit"):
        judges.FunctionJudge(LogisticRegression().predict_proba)


def test_judges_of_fitted_classifiers_still_judge(fitted_lr):
    from helpers import judges

    p = judges.SklearnJudge(fitted_lr).predict_proba(X[:3])
    np.testing.assert_allclose(p, fitted_lr.predict_proba(X[:3].reshape(3, -1)))
    float_labels = _with_classes(fitted_lr, np.arange(10.0))  # fitted on labels 0.0-9.0
    np.testing.assert_allclose(judges.SklearnJudge(float_labels).predict_proba(X[:3]), p)
    assert judges.FunctionJudge(fitted_lr.predict_proba).predict_proba(X[:3]).shape == (3, 10)


# --- found probing judges and scoring further: settings, judges' outputs and empty probability vectors -------
def _judge_output_calls():
    from helpers import judges, scoring

    def returning(value):
        return judges.FunctionJudge(lambda x: value(len(x)), "fixed")

    return {
        "cnn_config settings 3": (lambda: judges.cnn_config(3), TypeError, "settings"),
        "cnn_config settings a dict": (lambda: judges.cnn_config({"cnn_epochs": 1}), TypeError, "settings"),
        "cnn_config dropout 1.5": (lambda: judges.cnn_config(dropout=1.5), ValueError, "cfg['dropout']"),
        "cnn_config filters 'a'": (lambda: judges.cnn_config(filters="a"), TypeError, "cfg['filters']"),
        "cnn_config kernels of another length": (lambda: judges.cnn_config(kernels=[5]), ValueError, "kernels"),
        "judge returns booleans": (lambda: returning(lambda n: np.eye(10, dtype=bool)[:n]).predict_proba(X[:2]),
                                   TypeError, "booleans"),
        "judge returns strings": (lambda: returning(lambda n: np.full((n, 10), "0.1")).predict_proba(X[:2]),
                                  TypeError, "strings"),
        "judge returns complex": (lambda: returning(lambda n: np.full((n, 10), 0.1 + 1j)).predict_proba(X[:2]),
                                  TypeError, "complex"),
        "check_probabilities n_classes 0": (lambda: judges.check_probabilities(np.zeros((2, 0)), 2, 0), ValueError,
                                            "n_classes"),
        "check_probabilities n 'a'": (lambda: judges.check_probabilities(np.full((2, 10), 0.1), "a"), TypeError,
                                      "n"),
        "entropy_bits of no classes": (lambda: scoring.entropy_bits([]), ValueError, "probs"),
        "entropy_bits (2, 0)": (lambda: scoring.entropy_bits(np.zeros((2, 0))), ValueError, "probs"),
    }


@pytest.mark.parametrize("case", list(_judge_output_calls()))
def test_cnn_settings_judge_outputs_and_empty_probabilities_are_checked(case):
    """Before: "'int' object has no attribute 'cnn_epochs'", a config with dropout 1.5 or filters 'a' returned (and
    refused only by build_cnn), a judge's booleans read as 1/0, its strings as numbers and its complex numbers
    as their real parts (with numpy's ComplexWarning), numpy's 'zero-size array to reduction operation minimum',
    and an entropy of -0.0 bits for probability vectors of no classes."""
    call, error, name = _judge_output_calls()[case]
    with refused(error, name):
        call()


def test_cnn_dropout_may_be_a_numpy_number():
    """Before: build_cnn refused np.float32(0.5) ('must be a number in [0, 1)'), a dropout read from an array."""
    from helpers import judges

    cfg = judges.cnn_config(dropout=np.float32(0.5), filters=[2], kernels=[3], dense=4)
    assert judges.build_cnn(cfg).get_layer("dropout").rate == 0.5
    assert judges.check_probabilities([[0.5, 0.5]], 1, 2).shape == (1, 2)


# --- found probing plots further: marker and font sizes ---------------------------------------------------
def _marker_calls():
    import matplotlib.pyplot as plt

    from helpers import plots

    def ax():
        return plt.subplots()[1]

    points, ids = np.zeros((3, 2)), [0, 1, 2]
    return {
        "class_heatmap fontsize 'a'": (lambda: plots.class_heatmap(ax(), np.eye(3), fontsize="a"), TypeError,
                                       "fontsize"),
        "class_heatmap fontsize -1": (lambda: plots.class_heatmap(ax(), np.eye(3), fontsize=-1), ValueError,
                                      "fontsize"),
        "class_heatmap fontsize NaN": (lambda: plots.class_heatmap(ax(), np.eye(3), fontsize=np.nan), ValueError,
                                       "fontsize"),
        "class_heatmap fontsize 1e6": (lambda: plots.class_heatmap(ax(), np.eye(3), fontsize=1e6), ValueError,
                                       "fontsize"),
        "latent_scatter s 'a'": (lambda: plots.latent_scatter(ax(), points, ids, s="a"), TypeError, "s"),
        "latent_scatter s -1": (lambda: plots.latent_scatter(ax(), points, ids, s=-1), ValueError, "s"),
        "latent_scatter s NaN": (lambda: plots.latent_scatter(ax(), points, ids, s=np.nan), ValueError, "s"),
        "class_scatter s -1": (lambda: plots.class_scatter(ax(), points, ids, s=-1), ValueError, "s"),
    }


@pytest.mark.parametrize("case", list(_marker_calls()))
def test_marker_and_font_sizes_are_checked_by_name(case, closing_figures):
    """Before: matplotlib's 'Size is invalid. Valid font size are xx-small, ...', 's must be float, but has type
    <U1', 'need at least one array to concatenate' (a marker size of -1 or NaN), FreeType's 'invalid pixel
    size', or numbers of -1 or NaN points drawn."""
    call, error, name = _marker_calls()[case]
    with refused(error, name):
        call()
