"""Bad input to helpers.plots, helpers.style and notebook 07's part of helpers.latent (issue 15).

The modules tests/test_bad_inputs.py does not cover. Each case asserts the error's type
(ValueError or TypeError) and that its message names the argument at fault; a few
check that a figure is not drawn from images it would show wrongly (NaN pixels drawn
blank, 0-255 grey levels drawn black).
"""

from __future__ import annotations

import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # headless: no display on CI

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from helpers import latent, plots, style  # noqa: E402

sys.path.insert(0, str(Path(__file__).parent))
from test_bad_inputs import refused  # noqa: E402  (the same check as the rest of the bad-input suite)
from test_style import BarModel, PositionJudge, bars  # noqa: E402  (the synthetic world of notebook 07's tests)


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.fixture
def ax():
    return plt.subplots()[1]


IMAGES = np.random.default_rng(0).random((3, 28, 28)).astype(np.float32)
NAN_IMAGES = IMAGES.copy()
NAN_IMAGES[0, 3, 3] = np.nan
GREY_LEVELS = np.round(IMAGES * 255)  # float 0-255: drawn on the 0-1 scale this is solid black
P = np.full((3, 10), 0.1)  # judged probabilities (A, 10)

# --- plots: (call, error, names the message must hold) ------------------------------------------------
PLOT_CASES = {
    "tile empty": (lambda ax: plots.tile(np.zeros((0, 2, 28, 28))), ValueError, ["images"]),
    "tile NaN": (lambda ax: plots.tile(NAN_IMAGES), ValueError, ["images", "NaN"]),
    "tile pad": (lambda ax: plots.tile(IMAGES, pad=-1), ValueError, ["pad"]),
    "image_grid empty list": (lambda ax: plots.image_grid([]), ValueError, ["images"]),
    "image_grid NaN": (lambda ax: plots.image_grid(NAN_IMAGES), ValueError, ["images", "NaN"]),
    "image_grid 0-255": (lambda ax: plots.image_grid(GREY_LEVELS), ValueError, ["images", "255"]),
    "image_grid one image": (lambda ax: plots.image_grid(IMAGES[0]), ValueError, ["images"]),
    "image_grid string": (lambda ax: plots.image_grid("digits"), TypeError, ["images"]),
    "image_grid ragged": (lambda ax: plots.image_grid([[1, 2], [3]]), TypeError, ["images"]),
    "image_grid short titles": (lambda ax: plots.image_grid(IMAGES, titles=["a"]), ValueError, ["titles"]),
    "image_grid titles string": (lambda ax: plots.image_grid(IMAGES, titles="abc"), TypeError, ["titles"]),
    "image_grid ncols 0": (lambda ax: plots.image_grid(IMAGES, ncols=0), ValueError, ["ncols"]),
    "image_grid ncols float": (lambda ax: plots.image_grid(IMAGES, ncols=2.5), TypeError, ["ncols"]),
    "image_grid vmin >= vmax": (lambda ax: plots.image_grid(IMAGES, vmin=1.0, vmax=0.0), ValueError, ["vmin", "vmax"]),
    "show_canvas 3-D": (lambda ax: plots.show_canvas(IMAGES), ValueError, ["grid"]),
    "show_canvas NaN": (lambda ax: plots.show_canvas(NAN_IMAGES[None]), ValueError, ["grid", "NaN"]),
    "show_canvas row labels": (lambda ax: plots.show_canvas(IMAGES[None], row_labels=["a", "b"]), ValueError,
                               ["row_labels"]),
    "show_canvas col labels": (lambda ax: plots.show_canvas(IMAGES[None], col_labels=["a"]), ValueError,
                               ["col_labels"]),
    "show_canvas ax": (lambda ax: plots.show_canvas(IMAGES[None], ax="left"), TypeError, ["ax", "Axes"]),
    "gaussian_ellipse variances": (lambda ax: plots.gaussian_ellipse(ax, [0, 0], [-1, 1]), ValueError, ["variances"]),
    "gaussian_ellipse mean": (lambda ax: plots.gaussian_ellipse(ax, [0, 0, 0], [1, 1]), ValueError, ["mean"]),
    "gaussian_ellipse n_sigma": (lambda ax: plots.gaussian_ellipse(ax, [0, 0], [1, 1], n_sigma=0), ValueError,
                                 ["n_sigma"]),
    "latent_scatter list labels": (lambda ax: plots.latent_scatter(ax, np.zeros((2, 2)), [0, 12]), ValueError,
                                   ["labels"]),
    "latent_scatter NaN codes": (lambda ax: plots.latent_scatter(ax, [[0, np.nan], [1, 1]], [0, 1]), ValueError,
                                 ["codes", "NaN"]),
    "latent_scatter few labels": (lambda ax: plots.latent_scatter(ax, np.zeros((3, 2)), [0, 1]), ValueError,
                                  ["labels"]),
    "training_curves list": (lambda ax: plots.training_curves([1, 2]), TypeError, ["history"]),
    "training_curves empty": (lambda ax: plots.training_curves({}), ValueError, ["history"]),
    "training_curves key": (lambda ax: plots.training_curves({"loss": [1]}, keys=["acc"]), ValueError, ["keys", "acc"]),
    "training_curves NaN": (lambda ax: plots.training_curves({"loss": [1.0, np.nan]}), ValueError, ["loss", "NaN"]),
    "table a dict": (lambda ax: plots.table({"a": 1}), TypeError, ["rows"]),
    "table row": (lambda ax: plots.table([{"a": 1}, 3]), TypeError, ["rows", "row 1"]),
    "table column": (lambda ax: plots.table([{"a": 1}], columns=["b"]), ValueError, ["columns", "b"]),
    "class_scatter fractional": (lambda ax: plots.class_scatter(ax, np.zeros((2, 2)), [0.5, 1]), ValueError, ["y"]),
    "class_scatter label": (lambda ax: plots.class_scatter(ax, np.zeros((2, 2)), [0, 1], label=3), TypeError,
                            ["label"]),
    "class_scatter ax": (lambda ax: plots.class_scatter(None, np.zeros((2, 2)), [0, 1]), TypeError, ["ax"]),
    "nb_ellipses variances": (lambda ax: plots.nb_ellipses(ax, np.ones((2, 2)), -np.ones((2, 2))), ValueError,
                              ["variances"]),
    "nb_ellipses n_sigmas": (lambda ax: plots.nb_ellipses(ax, np.ones((2, 2)), np.ones((2, 2)), n_sigmas="12"),
                             TypeError, ["n_sigmas"]),
    "probability_map not callable": (lambda ax: plots.probability_map(ax, np.ones((4, 2)), (0, 1), (0, 1)), TypeError,
                                     ["predict_proba"]),
    "probability_map log-proba": (lambda ax: plots.probability_map(ax, lambda x: np.full((len(x), 2), -0.7), (0, 1),
                                                                   (0, 1), resolution=5), ValueError,
                                  ["predict_proba", "log-probabilities"]),
    "probability_map xlim": (lambda ax: plots.probability_map(ax, lambda x: np.full((len(x), 2), .5), (1, 1), (0, 1)),
                             ValueError, ["xlim"]),
    "probability_map levels": (lambda ax: plots.probability_map(ax, lambda x: np.full((len(x), 2), .5), (0, 1), (0, 1),
                                                                resolution=5, levels=(0.9, 0.5)), ValueError,
                               ["levels"]),
    "probability_map resolution": (lambda ax: plots.probability_map(ax, lambda x: x, (0, 1), (0, 1), resolution="x"),
                                   TypeError, ["resolution"]),
    "learning_curves keys": (lambda ax: plots.learning_curves([{"model": "m", "n": 10}]), ValueError,
                             ["rows[0]", "error"]),
    "learning_curves zero error": (lambda ax: plots.learning_curves([{"model": "m", "n": 10, "error": 0.0}]),
                                   ValueError, ["rows[0]['error']"]),
    "learning_curves string": (lambda ax: plots.learning_curves("rows"), TypeError, ["rows"]),
    "symlog_bins linthresh": (lambda ax: plots.symlog_bins([1, 2], 0), ValueError, ["linthresh"]),
    "symlog_bins strings": (lambda ax: plots.symlog_bins(["a"], 1.0), TypeError, ["values"]),
    "score_histograms list": (lambda ax: plots.score_histograms(ax, [1, 2]), TypeError, ["groups"]),
    "score_histograms no finite": (lambda ax: plots.score_histograms(ax, {"a": [np.nan, np.inf]}), ValueError,
                                   ["groups", "finite"]),
    "score_histograms bins": (lambda ax: plots.score_histograms(ax, {"a": [1, 2]}, bins=0), ValueError, ["bins"]),
    "pixel_pair_hist images": (lambda ax: plots.pixel_pair_hist([ax], {"a": GREY_LEVELS}), ValueError,
                               ["image_sets['a']"]),
    "pixel_pair_hist empty set": (lambda ax: plots.pixel_pair_hist([ax], {"a": np.zeros((0, 28, 28))}), ValueError,
                                  ["image_sets['a']"]),
    "pixel_pair_hist pixel": (lambda ax: plots.pixel_pair_hist([ax], {"a": IMAGES}, pixel=(1.5, 2)), TypeError,
                              ["pixel"]),
    "pixel_pair_hist axes": (lambda ax: plots.pixel_pair_hist(["ax"], {"a": IMAGES}), TypeError, ["axes"]),
    "per_class_bars class names": (lambda ax: plots.per_class_bars(ax, {"a": [1, 2]}, class_names=["x"]), ValueError,
                                   ["class_names"]),
    "per_class_bars values": (lambda ax: plots.per_class_bars(ax, {"a": [[1, 2]]}), ValueError, ["values['a']"]),
    "model_grids empty": (lambda ax: plots.model_grids({}), ValueError, ["grids"]),
    "model_grids shapes": (lambda ax: plots.model_grids({"a": IMAGES[None], "b": IMAGES[None, :2]}), ValueError,
                           ["grids"]),
    "model_grids NaN": (lambda ax: plots.model_grids({"a": NAN_IMAGES[None]}), ValueError, ["grids['a']", "NaN"]),
    "mode_collapse counts": (lambda ax: plots.mode_collapse_panel({"a": [1]}, {"a": [1, 2]}), ValueError,
                             ["final_counts['a']"]),
    "mode_collapse list": (lambda ax: plots.mode_collapse_panel([1], {"a": [1] * 10}), TypeError,
                           ["classes_per_epoch"]),
    "normal_quantile_grid n": (lambda ax: plots.normal_quantile_grid("20"), TypeError, ["n"]),
    "normal_quantile_grid tail": (lambda ax: plots.normal_quantile_grid(5, "x"), TypeError, ["tail"]),
    "latent_manifold decode": (lambda ax: plots.latent_manifold("decode", n=3), TypeError, ["decode"]),
    "latent_manifold NaN": (lambda ax: plots.latent_manifold(lambda z: np.full((len(z), 28, 28), np.nan), n=3),
                            ValueError, ["decode", "NaN"]),
    "mark_quantile_grid ax": (lambda ax: plots.mark_quantile_grid([ax]), TypeError, ["ax"]),
    "shade_extrapolation": (lambda ax: plots.shade_extrapolation(ax, 1.0, 0.0), ValueError, ["lo", "hi"]),
    "probability_along_alpha alphas": (lambda ax: plots.probability_along_alpha(ax, "abc", P), TypeError, ["alphas"]),
    "probability_along_alpha probs": (lambda ax: plots.probability_along_alpha(ax, [0, .5, 1], np.log(P)), ValueError,
                                      ["probs", "log-probabilities"]),
    "probability_along_alpha highlight": (lambda ax: plots.probability_along_alpha(ax, [0, .5, 1], P, highlight=(12,)),
                                          ValueError, ["highlight"]),
    "probability_along_alpha xlim": (lambda ax: plots.probability_along_alpha(ax, [0, .5, 1], P, xlim=[]), ValueError,
                                     ["xlim"]),
    "frame_strip every": (lambda ax: plots.frame_strip(ax, [0, .5, 1], IMAGES, every=0), ValueError, ["every"]),
    "frame_strip NaN": (lambda ax: plots.frame_strip(ax, [0, .5, 1], NAN_IMAGES), ValueError, ["frames", "NaN"]),
    "judged_paths_figure entry": (lambda ax: plots.judged_paths_figure({"m": IMAGES}, [0, .5, 1]), TypeError,
                                  ["paths['m']"]),
    "judged_paths_figure judges": (lambda ax: plots.judged_paths_figure(
        {"m": (IMAGES, {"j": P}), "n": (IMAGES, {"k": P})}, [0, .5, 1]), ValueError, ["paths['n']", "judges"]),
    "band_along_alpha NaN": (lambda ax: plots.band_along_alpha(ax, [0, 1], [[0, np.nan]]), ValueError,
                             ["values", "NaN"]),
    "band_along_alpha quantiles": (lambda ax: plots.band_along_alpha(ax, [0, 1], np.zeros((2, 2)), quantiles=(0, 2)),
                                   ValueError, ["quantiles"]),
    "class_heatmap -inf": (lambda ax: plots.class_heatmap(ax, [[0, -np.inf], [1, 0]]), ValueError, ["matrix", "-inf"]),
    "class_heatmap strings": (lambda ax: plots.class_heatmap(ax, [["a"]]), TypeError, ["matrix"]),
    "heatmap_grid no key": (lambda ax: plots.heatmap_grid({"r": np.eye(3)}, ["r"], ["c"]), ValueError, ["matrices"]),
    "heatmap_grid row names": (lambda ax: plots.heatmap_grid({("r", "c"): np.eye(3)}, "r", ["c"]), TypeError,
                               ["row_names"]),
    "judge_scatter sizes": (lambda ax: plots.judge_scatter(ax, [1, 2], [1], "x", "y"), ValueError,
                            ["x_values", "y_values"]),
    "pair_bands class": (lambda ax: plots.pair_bands(ax, [0, 1], {"j": np.full((2, 2, 10), .1)}, 10, 2), ValueError,
                         ["a"]),
    "pair_bands shape": (lambda ax: plots.pair_bands(ax, [0, 1], {"j": np.full((2, 10), .1)}, 1, 2), ValueError,
                         ["probs['j']"]),
    "realism_figure ref": (lambda ax: plots.realism_figure([0, 1], {"m": {"j": np.ones((2, 2))}}, {}, {"j": None}, {}),
                           TypeError, ["entropy_ref['j']"]),
    "realism_figure distance": (lambda ax: plots.realism_figure([0, 1], {"m": {"j": np.ones((2, 2))}}, [], {}, {}),
                                TypeError, ["distance"]),
    "pair_figure probs": (lambda ax: plots.pair_figure([0, .5, 1], {"m": IMAGES}, {}, 1, 2), ValueError, ["probs"]),
    "success_along_alpha curve": (lambda ax: plots.success_along_alpha(ax, [0, 1], {"m": [0.1]}), ValueError,
                                  ["curves['m']"]),
    "success_along_alpha level": (lambda ax: plots.success_along_alpha(ax, [0, 1], {"m": [0, 1]}, level=2), ValueError,
                                  ["level"]),
    "per_class_distributions labels": (lambda ax: plots.per_class_distributions({"a": [1, 2]}, [0, 1, 2]), ValueError,
                                       ["values['a']"]),
    "per_class_distributions ncols": (lambda ax: plots.per_class_distributions({"a": [1, 2]}, [0, 1], ncols=0),
                                      ValueError, ["ncols"]),
    "dose_curves nothing to draw": (lambda ax: plots.dose_curves({}, [0, 1], ["q"], ["t"], ["m"]), ValueError,
                                    ["curves"]),
    "dose_curves curve": (lambda ax: plots.dose_curves({("m", "t", "q"): [1, 2, 3]}, [0, 1], ["q"], ["t"], ["m"]),
                          ValueError, ["curves[('m', 't', 'q')]"]),
    "matrix_heatmaps shape": (lambda ax: plots.matrix_heatmaps({"t": np.ones((2, 2))}, ["a"], ["b"]), ValueError,
                              ["matrices['t']"]),
    "matrix_heatmaps vmax": (lambda ax: plots.matrix_heatmaps({"t": [[1]]}, ["a"], ["b"], vmax=0), ValueError, ["vmax"]),
}


@pytest.mark.parametrize("case", list(PLOT_CASES), ids=list(PLOT_CASES))
def test_plots_refuse_with_the_argument_named(case, ax):
    call, error, names = PLOT_CASES[case]
    with refused(error, *names):
        call(ax)


def test_plots_still_draw_what_they_drew(ax):
    """The checks leave valid figures alone: NaN where a figure means "no value", reversed limits, clipping."""
    plots.class_heatmap(ax, [[np.nan, 0.5], [np.inf, np.nan]])
    plots.dose_curves({("m", "t", "q"): [np.nan, np.nan]} | {("m", "t", "p"): [0.0, 1.0]}, [0, 1], ["q", "p"], ["t"],
                      ["m"])
    plots.per_class_distributions({"slant": [1.0, np.nan, 3.0]}, [0, 1, 1])
    plots.matrix_heatmaps({"t": [[np.nan, 0.2]]}, ["a"], ["b", "c"])
    plots.judge_scatter(ax, [0.1, np.nan], [0.2, 0.3], "x", "y")
    plots.image_grid(np.clip(IMAGES * 1.1, 0, 1.1), titles=list("abc"))  # a little over the scale: saturates
    plots.tile(np.arange(2 * 3 * 4 * 5).reshape(2, 3, 4, 5), pad_value=-1)  # tile is not tied to [0, 1]
    assert plots.table([{"a": 1, "b": 2.0}, {"a": 3}]).count("\n") == 3


# --- style and latent (notebook 07) -------------------------------------------------------------------
@pytest.fixture(scope="module")
def world():
    x_train, y_train = bars(20, 0)
    x_test, y_test = bars(2, 1)
    space = latent.LatentSpace(BarModel(), x_train, y_train, name="bars")
    train_values = style.measure_table(x_train)
    scale = style.StyleScale.from_table(train_values)
    index = np.arange(len(x_train))
    pairs = style.counterfactual_pairs(x_train[:30])
    directions = style.style_directions(space, train_values, index, pairs, scale)
    dose = style.dose_response(space, directions, x_test, y_test, PositionJudge(), scale)
    real, perturbed = style.real_changes(x_test, scale)
    truth = style.ground_truth(space, directions, dose, x_test, real, perturbed)
    board = style.StyleBoard(scale, {"bars": directions}, {"bars": dose}, real, truth)
    return dict(space=space, x=x_test, y=y_test, tv=train_values, scale=scale, index=index, pairs=pairs,
                dirs=directions, dose=dose, real=real, perturbed=perturbed, board=board)


W = "world"
STYLE_CASES = {
    "measure_table names": (lambda w: style.measure_table(w["x"], "thickness"), TypeError, ["names"]),
    "measure_table unknown": (lambda w: style.measure_table(w["x"], ["colour"]), ValueError, ["names", "colour"]),
    "measure_table ragged": (lambda w: style.measure_table([[1, 2], [3]]), ValueError, ["images"]),
    "measure_table None": (lambda w: style.measure_table(None), TypeError, ["images"]),
    "perturb attribute": (lambda w: style.perturb(["slant"], w["x"]), ValueError, ["attribute"]),
    "perturb sign bool": (lambda w: style.perturb("slant", w["x"], True), ValueError, ["sign"]),
    "scale from None": (lambda w: style.StyleScale.from_table(None), TypeError, ["table"]),
    "scale columns": (lambda w: style.StyleScale.from_table(w["tv"][:, :2]), ValueError, ["table", "columns"]),
    "scale one row": (lambda w: style.StyleScale.from_table(w["tv"][:1]), ValueError, ["table"]),
    "scale in_sd": (lambda w: w["scale"].in_sd(np.ones(2)), ValueError, ["change"]),
    "scale index": (lambda w: w["scale"].index(["slant"]), ValueError, ["attribute"]),
    "counterfactual_pairs empty": (lambda w: style.counterfactual_pairs(w["x"][:0]), ValueError, ["x"]),
    "counterfactual_pairs attributes": (lambda w: style.counterfactual_pairs(w["x"], ["height"]), ValueError,
                                        ["attributes", "height"]),
    "style_directions space": (lambda w: style.style_directions(None, w["tv"], w["index"], w["pairs"], w["scale"]),
                               TypeError, ["space", "LatentSpace"]),
    "style_directions train_values": (lambda w: style.style_directions(w["space"], w["tv"][:5], w["index"], w["pairs"],
                                                                       w["scale"]), ValueError, ["train_values"]),
    "style_directions index": (lambda w: style.style_directions(w["space"], w["tv"], "abc", w["pairs"], w["scale"]),
                               TypeError, ["index"]),
    "style_directions index range": (lambda w: style.style_directions(w["space"], w["tv"], w["index"] + 5, w["pairs"],
                                                                      w["scale"]), ValueError, ["index"]),
    "style_directions pairs": (lambda w: style.style_directions(w["space"], w["tv"], w["index"], None, w["scale"]),
                               TypeError, ["pairs"]),
    "style_directions pair": (lambda w: style.style_directions(w["space"], w["tv"], w["index"], {"slant": w["x"]},
                                                               w["scale"]), TypeError, ["pairs['slant']"]),
    "style_directions scale": (lambda w: style.style_directions(w["space"], w["tv"], w["index"], w["pairs"], {}),
                               TypeError, ["scale", "StyleScale"]),
    "dose_response space": (lambda w: style.dose_response("bars", w["dirs"], w["x"], w["y"], PositionJudge(),
                                                          w["scale"]), TypeError, ["space"]),
    "dose_response directions": (lambda w: style.dose_response(w["space"], [], w["x"], w["y"], PositionJudge(),
                                                               w["scale"]), TypeError, ["directions"]),
    "dose_response judge": (lambda w: style.dose_response(w["space"], w["dirs"], w["x"], w["y"], None, w["scale"]),
                            TypeError, ["judge"]),
    "dose_response labels": (lambda w: style.dose_response(w["space"], w["dirs"], w["x"], w["y"] + 10,
                                                           PositionJudge(), w["scale"]), ValueError, ["y"]),
    "dose_response empty x": (lambda w: style.dose_response(w["space"], w["dirs"], w["x"][:0], w["y"][:0],
                                                            PositionJudge(), w["scale"]), ValueError, ["x"]),
    "dose_response alphas": (lambda w: style.dose_response(w["space"], w["dirs"], w["x"], w["y"], PositionJudge(),
                                                           w["scale"], alphas=[0, np.nan]), ValueError, ["alphas"]),
    "dose_response methods": (lambda w: style.dose_response(w["space"], w["dirs"], w["x"], w["y"], PositionJudge(),
                                                            w["scale"], methods=[]), TypeError, ["methods"]),
    "dose_response method": (lambda w: style.dose_response(w["space"], w["dirs"], w["x"], w["y"], PositionJudge(),
                                                           w["scale"], methods=["pca"]), ValueError, ["method", "pca"]),
    "dose curve of": (lambda w: w["dose"].curve("slant", "probe", of="colour"), ValueError, ["of", "colour"]),
    "dose alpha": (lambda w: w["dose"].change_at("slant", "probe", None), TypeError, ["alpha"]),
    "dose class_kept alpha": (lambda w: w["dose"].class_kept("slant", "probe", 0.5), ValueError, ["alpha", "judged"]),
    "dose alpha_reaching target": (lambda w: w["dose"].alpha_reaching("slant", "probe", "one"), TypeError, ["target"]),
    "dose side_effects method": (lambda w: w["dose"].side_effects(None), ValueError, ["method"]),
    "dose side_effects counted": (lambda w: w["dose"].side_effects("probe", 1.0, "slant"), TypeError, ["counted"]),
    "dose side_effect attribute": (lambda w: w["dose"].side_effect("height", "probe"), ValueError, ["height"]),
    "entanglement_summary shape": (lambda w: style.entanglement_summary(np.ones(3)), ValueError, ["matrix"]),
    "entanglement_summary moved": (lambda w: style.entanglement_summary(np.ones((3, 5)), "slant"), TypeError,
                                   ["moved"]),
    "principal_axes space": (lambda w: style.principal_axes(None, w["x"], w["scale"]), TypeError, ["space"]),
    "principal_axes index": (lambda w: style.principal_axes(w["space"], w["x"], w["scale"], index=[0.5]), TypeError,
                             ["index"]),
    "principal_axes k": (lambda w: style.principal_axes(w["space"], w["x"], w["scale"], k=9), ValueError, ["k"]),
    "principal_axes counted": (lambda w: style.principal_axes(w["space"], w["x"], w["scale"], counted=["slant"]),
                               ValueError, ["counted"]),
    "real_changes scale": (lambda w: style.real_changes(w["x"], None), TypeError, ["scale"]),
    "real_changes moved": (lambda w: style.real_changes(w["x"], w["scale"], []), ValueError, ["moved"]),
    "real side_effect": (lambda w: w["real"].side_effect("area"), ValueError, ["area"]),
    "ground_truth dose": (lambda w: style.ground_truth(w["space"], w["dirs"], None, w["x"], w["real"], w["perturbed"]),
                          TypeError, ["dose"]),
    "ground_truth real": (lambda w: style.ground_truth(w["space"], w["dirs"], w["dose"], w["x"], {}, w["perturbed"]),
                          TypeError, ["real"]),
    "ground_truth perturbed": (lambda w: style.ground_truth(w["space"], w["dirs"], w["dose"], w["x"], w["real"], {}),
                               ValueError, ["perturbed", "thickness"]),
    "ground_truth perturbed shape": (lambda w: style.ground_truth(w["space"], w["dirs"], w["dose"], w["x"][:3],
                                                                  w["real"], w["perturbed"]), ValueError,
                                     ["perturbed['thickness']"]),
    "board meets model": (lambda w: w["board"].meets("vae", "probe"), ValueError, ["model", "vae"]),
    "board meets change": (lambda w: w["board"].meets("bars", "probe", change="big"), TypeError, ["change"]),
    "board rows attributes": (lambda w: w["board"].rows("slant"), TypeError, ["attributes"]),
    "board best_cosine attribute": (lambda w: w["board"].best_cosine("bars", "area"), ValueError,
                                    ["attribute", "area"]),
    "benchmark_figures": (lambda w: style.benchmark_figures({}), TypeError, ["board", "StyleBoard"]),
    "evaluate spaces": (lambda w: style.evaluate([w["space"]], None, PositionJudge()), TypeError, ["spaces"]),
    "evaluate space": (lambda w: style.evaluate({"m": BarModel()}, None, PositionJudge()), TypeError,
                       ["spaces['m']", "LatentSpace"]),
    "evaluate data": (lambda w: style.evaluate({"m": w["space"]}, w["x"], PositionJudge()), TypeError, ["data"]),
    "evaluate probe_digits": (lambda w: style.evaluate({"m": w["space"]}, _data(w), PositionJudge(), probe_digits=2.5),
                              TypeError, ["probe_digits"]),
    "evaluate judge": (lambda w: style.evaluate({"m": w["space"]}, _data(w), "cnn"), TypeError, ["judge"]),
}


def _data(w):
    from helpers.data import Dataset

    x_train, y_train = bars(20, 0)
    return Dataset(x_train, y_train, w["x"], w["y"])


@pytest.mark.parametrize("case", list(STYLE_CASES), ids=list(STYLE_CASES))
def test_style_refuses_with_the_argument_named(case, world):
    call, error, names = STYLE_CASES[case]
    with refused(error, *names):
        call(world)


RNG = np.random.default_rng(0)
CODES = RNG.normal(size=(40, 3))
VALUES = CODES[:, 0] + 0.1 * RNG.normal(size=40)
LABELS = np.arange(40) % 10
CENTROIDS = latent.class_centroids(CODES, LABELS)
LATENT_CASES = {
    "ridge_probe NaN codes": (lambda: latent.ridge_probe(np.full((40, 3), np.nan), VALUES), ValueError,
                              ["codes", "NaN"]),
    "ridge_probe huge codes": (lambda: latent.ridge_probe(CODES * 1e300, VALUES), ValueError, ["codes"]),
    "ridge_probe constant": (lambda: latent.ridge_probe(CODES, np.ones(40)), ValueError, ["values", "does not vary"]),
    "ridge_probe inf values": (lambda: latent.ridge_probe(CODES, np.r_[VALUES[:-1], np.inf]), ValueError, ["values"]),
    "ridge_probe strings": (lambda: latent.ridge_probe(CODES, np.full(40, "a")), TypeError, ["values"]),
    "ridge_probe ridge": (lambda: latent.ridge_probe(CODES, VALUES, -1.0), ValueError, ["ridge"]),
    "ridge_probe ridge NaN": (lambda: latent.ridge_probe(CODES, VALUES, np.nan), ValueError, ["ridge"]),
    "class_span NaN": (lambda: latent.class_span(np.full((10, 3), np.nan)), ValueError, ["centroids"]),
    "quantile_direction 1-D codes": (lambda: latent.quantile_direction(VALUES, VALUES, LABELS), ValueError, ["codes"]),
    "quantile_direction bool labels": (lambda: latent.quantile_direction(CODES, VALUES, LABELS > 4), TypeError,
                                       ["labels"]),
    "quantile_direction ragged labels": (lambda: latent.quantile_direction(CODES, VALUES, [[1, 2], [3]]), ValueError,
                                         ["labels"]),
    "quantile_direction n_classes": (lambda: latent.quantile_direction(CODES, VALUES, LABELS, 0.25, 2.5), TypeError,
                                     ["n_classes"]),
    "quantile_direction quantile": (lambda: latent.quantile_direction(CODES, VALUES, LABELS, "q"), TypeError,
                                    ["quantile"]),
    "attribute_directions attribute": (lambda: latent.attribute_directions(CODES, VALUES, LABELS, CENTROIDS,
                                                                           attribute=3), TypeError, ["attribute"]),
    "attribute_directions min_cosine": (lambda: latent.attribute_directions(CODES, VALUES, LABELS, CENTROIDS,
                                                                            min_cosine=2.5), ValueError,
                                        ["min_cosine"]),
    "attribute_directions centroids NaN": (lambda: latent.attribute_directions(CODES, VALUES, LABELS,
                                                                               np.full((10, 3), np.nan)), ValueError,
                                           ["centroids"]),
    "principal_directions NaN": (lambda: latent.principal_directions(np.full((5, 3), np.nan)), ValueError, ["codes"]),
    # found by tests/test_properties.py: 2 codes span one direction, not 3 (the result had 2 rows for k = 3)
    "principal_directions k over the codes": (lambda: latent.principal_directions(CODES[:2], k=3), ValueError, ["k"]),
    # ... and ridge = 0 on collinear codes was numpy's LinAlgError; values near 1e154 overflowed to NaN
    "ridge_probe ridge 0 collinear": (lambda: latent.ridge_probe(np.zeros((5, 1)), np.arange(5.0), 0.0), ValueError,
                                      ["ridge"]),
    "ridge_probe huge values": (lambda: latent.ridge_probe(CODES, VALUES * 1e154), ValueError, ["values"]),
    "directions vector method": (lambda: latent.attribute_directions(CODES, VALUES, LABELS, CENTROIDS).vector(["probe"]),
                                 ValueError, ["method"]),
}


@pytest.mark.parametrize("case", list(LATENT_CASES), ids=list(LATENT_CASES))
def test_latent_directions_refuse_with_the_argument_named(case):
    call, error, names = LATENT_CASES[case]
    with refused(error, *names):
        call()


def test_latent_space_attribute_directions_index(world):
    space = world["space"]
    values = world["tv"][:, 0]
    with refused(TypeError, "index"):
        space.attribute_directions("thickness", values[:3], index=["a", "b", "c"])
    with refused(ValueError, "index"):
        space.attribute_directions("thickness", values[:3], index=[0, 1, 10_000])
    with refused(ValueError, "x_changed"):
        space.code_shift(world["x"], world["x"][:1])


def test_browser_explorer_infinite_pair_is_a_type_error():
    from helpers import browser_explorer

    with refused(TypeError, "pair"):
        browser_explorer._check_class_pair((1, np.inf), 10)
