"""helpers.plots: every figure helper draws what it is given, and rejects what it cannot draw."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")  # headless: no display on CI

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.patches import Ellipse  # noqa: E402

from helpers import plots  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


# --- tiles and grids -------------------------------------------------------------


def test_tile_places_each_image():
    images = np.arange(2 * 3 * 4 * 5, dtype=np.float32).reshape(2, 3, 4, 5)
    canvas = plots.tile(images, pad=1, pad_value=-1)
    assert canvas.shape == (2 * 5 - 1, 3 * 6 - 1)
    np.testing.assert_array_equal(canvas[5:9, 12:17], images[1, 2])
    assert (canvas[4, :] == -1).all() and (canvas[:, 5] == -1).all()


def test_tile_single_row_and_bad_shape():
    assert plots.tile(np.zeros((3, 4, 4)), pad=0).shape == (4, 12)
    with pytest.raises(ValueError, match="rows, cols, H, W"):
        plots.tile(np.zeros((4, 4)))


def test_image_grid_layout_and_titles():
    images = np.random.default_rng(0).random((7, 28, 28))
    fig = plots.image_grid(images, ncols=3, titles=[str(i) for i in range(7)], suptitle="seven")
    axes = fig.get_axes()
    assert len(axes) == 9  # 3 x 3, two left empty
    assert sum(1 for ax in axes if ax.images) == 7
    assert axes[6].get_title() == "6"
    np.testing.assert_array_equal(axes[2].images[0].get_array(), images[2])


def test_image_grid_accepts_flat_rows():
    fig = plots.image_grid(np.zeros((4, 784)), ncols=10)
    assert len(fig.get_axes()) == 4  # ncols shrinks to the number of images


def test_show_canvas_labels():
    grid = np.random.default_rng(0).random((2, 3, 28, 28))
    fig = plots.show_canvas(grid, row_labels=["a", "b"], col_labels=["x", "y", "z"], title="t")
    ax = fig.get_axes()[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["x", "y", "z"]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["a", "b"]
    assert ax.images[0].get_array().shape == (2 * 29 - 1, 3 * 29 - 1)


# --- 2-D class models ------------------------------------------------------------


def test_gaussian_ellipse_size():
    fig, ax = plt.subplots()
    patch = plots.gaussian_ellipse(ax, (1.0, 2.0), (4.0, 9.0), n_sigma=2)
    assert isinstance(patch, Ellipse)
    assert patch.width == pytest.approx(8.0) and patch.height == pytest.approx(12.0)
    assert patch.center == (1.0, 2.0)


def test_nb_ellipses_draws_each_sigma_for_each_class():
    fig, ax = plt.subplots()
    plots.nb_ellipses(ax, np.zeros((3, 2)), np.ones((3, 2)), n_sigmas=(1, 2))
    assert sum(isinstance(p, Ellipse) for p in ax.patches) == 6
    with pytest.raises(ValueError, match="means and variances"):
        plots.nb_ellipses(ax, np.zeros((3, 2)), np.ones((2, 2)))


def test_class_scatter_one_collection_per_class():
    fig, ax = plt.subplots()
    x = np.random.default_rng(0).normal(size=(30, 2))
    plots.class_scatter(ax, x, np.arange(30) % 3)
    assert len(ax.collections) == 3
    assert sorted(ax.get_legend_handles_labels()[1]) == ["class 0", "class 1", "class 2"]
    with pytest.raises(ValueError, match=r"\(N, 2\)"):
        plots.class_scatter(ax, np.zeros((5, 3)), np.zeros(5))


def test_probability_map_calls_model_on_grid():
    fig, ax = plt.subplots()
    seen = []

    def proba(points):
        seen.append(points.shape)
        p0 = 1 / (1 + np.exp(-4 * points[:, 0]))  # boundary at x = 0
        return np.c_[p0, 1 - p0]

    cs = plots.probability_map(ax, proba, (-1, 1), (-1, 1), levels=(0.9,), resolution=50)
    assert seen == [(2500, 2)]
    assert list(cs.levels) == [0.9]
    assert ax.get_xlim() == (-1, 1)
    with pytest.raises(ValueError, match="predict_proba returned"):
        plots.probability_map(ax, lambda p: np.ones(len(p)), (-1, 1), (-1, 1), resolution=10)


# --- learning curves and histograms ----------------------------------------------


def test_learning_curves_lines_follow_means():
    rows = [
        {"model": "A", "n": 10, "error": 0.4}, {"model": "A", "n": 10, "error": 0.6},
        {"model": "A", "n": 100, "error": 0.2},
        {"model": "B", "n": 10, "error": 0.5}, {"model": "B", "n": 100, "error": 0.1},
    ]
    fig = plots.learning_curves(rows)
    ax = fig.get_axes()[0]
    lines = {line.get_label(): line for line in ax.get_lines()}
    assert set(lines) == {"A", "B"}
    np.testing.assert_allclose(lines["A"].get_ydata(), [0.5, 0.2])
    np.testing.assert_allclose(lines["A"].get_xdata(), [10, 100])
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log"
    with pytest.raises(ValueError):
        plots.learning_curves([])


def test_symlog_bins_cover_many_decades():
    values = np.array([-1e9, -1e3, 0.0, 10.0, 2500.0])
    edges = plots.symlog_bins(values, linthresh=100, n_bins=20)
    assert len(edges) == 21
    assert edges[0] == pytest.approx(-1e9, rel=1e-6) and edges[-1] == pytest.approx(2500, rel=1e-6)
    assert np.all(np.diff(edges) > 0)
    # even on the symlog axis: far more bins below -1e3 than a linear split would give
    assert np.sum(edges < -1e3) > 5
    with pytest.raises(ValueError, match="finite"):
        plots.symlog_bins(np.array([np.nan]), 1.0)


def test_score_histograms_draws_shares_of_each_group():
    fig, ax = plt.subplots()
    groups = {"a": np.random.default_rng(0).random(50), "b": np.random.default_rng(1).random(80) + 0.5}
    plots.score_histograms(ax, groups, bins=10, xlabel="score")
    filled = [p for p in ax.patches if p.get_fill()]
    assert len(filled) == 2
    edges = np.histogram_bin_edges(np.concatenate(list(groups.values())), 10)  # shared edges
    for patch, v in zip(filled, groups.values()):
        shares = np.histogram(v, bins=edges)[0] / len(v)  # heights are shares, so groups of any size compare
        assert patch.get_path().vertices[:, 1].max() == pytest.approx(shares.max())
    assert ax.get_xlabel() == "score" and ax.get_ylabel() == "share of images"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["a", "b"]


def test_score_histograms_symlog_axis():
    fig, ax = plt.subplots()
    plots.score_histograms(ax, {"seen": np.array([2000.0, 2500.0]), "far": np.array([-1e10, -1e8])}, symlog=1000)
    assert ax.get_xscale() == "symlog"
    lo, hi = ax.get_xlim()
    assert lo <= -1e10 and hi >= 2500
    with pytest.raises(ValueError):
        plots.score_histograms(ax, {})


# --- notebook 02 -----------------------------------------------------------------


def test_pixel_pair_hist_counts_the_pair():
    rng = np.random.default_rng(0)
    images = rng.random((40, 28, 28))
    images[:10, 5, 6] = images[:10, 5, 7] = 0.0  # ten images blank at both pixels
    fig, axes = plt.subplots(1, 2)
    shares = plots.pixel_pair_hist(axes, {"real": images, "fake": images[:20]}, pixel=(5, 6), bins=4)
    assert shares[0].shape == (4, 4)
    assert shares[0].sum() == pytest.approx(1.0) and shares[1].sum() == pytest.approx(1.0)
    assert shares[0][0, 0] >= 10 / 40  # the blank pairs land in the bottom-left bin
    expected = np.histogram2d(images[:, 5, 6], images[:, 5, 7], bins=[np.linspace(0, 1, 5)] * 2)[0] / 40
    np.testing.assert_allclose(shares[0], expected)
    assert axes[1].get_title() == "fake"
    with pytest.raises(ValueError, match="right-hand neighbour"):
        plots.pixel_pair_hist(axes, {"a": images, "b": images}, pixel=(5, 27))
    with pytest.raises(ValueError, match="2 axes for 1 image sets"):
        plots.pixel_pair_hist(axes, {"a": images})


def test_per_class_bars():
    fig, ax = plt.subplots()
    plots.per_class_bars(ax, {"A": np.linspace(0, 1, 10), "B": np.ones(10)}, ylabel="share")
    bars = [p for p in ax.patches]
    assert len(bars) == 20
    assert sorted(round(b.get_height(), 6) for b in bars[:10]) == sorted(np.round(np.linspace(0, 1, 10), 6))
    assert [t.get_text() for t in ax.get_xticklabels()] == [str(i) for i in range(10)]
    with pytest.raises(ValueError, match="one value per class"):
        plots.per_class_bars(ax, {"A": np.ones(10), "B": np.ones(9)})
    with pytest.raises(ValueError, match="class names"):
        plots.per_class_bars(ax, {"A": np.ones(3)}, class_names=["a", "b"])


# --- latent scatter, training curves, table --------------------------------------


def test_latent_scatter():
    fig, ax = plt.subplots()
    codes = np.random.default_rng(0).normal(size=(50, 2))
    plots.latent_scatter(ax, codes, np.arange(50) % 10, title="z")
    assert len(ax.collections) == 10 and ax.get_title() == "z"
    with pytest.raises(ValueError, match="project them first"):
        plots.latent_scatter(ax, np.zeros((5, 3)), np.zeros(5))


def test_training_curves_one_panel_per_key():
    fig = plots.training_curves({"loss": [3, 2, 1], "acc": [0.1, 0.5, 0.9]}, title="run")
    axes = fig.get_axes()
    assert [ax.get_title() for ax in axes] == ["loss", "acc"]
    np.testing.assert_array_equal(axes[0].get_lines()[0].get_xdata(), [1, 2, 3])


def test_table_formats_rows():
    text = plots.table([{"model": "NB", "acc": 0.55591}, {"model": "LR", "acc": np.float32(0.9)}], floatfmt=".2f")
    lines = text.splitlines()
    assert lines[0] == "| model | acc |"
    assert lines[1] == "|---|---|"
    assert lines[2] == "| NB | 0.56 |" and lines[3] == "| LR | 0.90 |"
    assert plots.table([]) == ""
    assert plots.table([{"a": 1, "b": 2}], columns=["b"]).splitlines()[2] == "| 2 |"


def test_as_printed_is_the_value_the_table_shows():
    for value, spec in ((0.995, ".2f"), (28.8249, ".3g"), (0.0365, ".2g"), (0.4567, ".1%"), (1234.5, ".0f")):
        cell = plots.table([{"v": value}], floatfmt=spec).splitlines()[2].strip("| ")
        printed = plots.as_printed(value, spec)
        assert format(printed, spec) == cell
        assert printed == (float(cell[:-1]) / 100 if cell.endswith("%") else float(cell))
    assert plots.as_printed(0.995, ".2f") == 0.99  # what the prose's percentage is made from: 99%, not 100%
    with pytest.raises(ValueError, match="floatfmt"):
        plots.as_printed(0.5, "{:.2f}")
    with pytest.raises((TypeError, ValueError), match="value"):
        plots.as_printed("0.5")


def test_table_shows_a_column_only_later_rows_have():
    """Notebook 07's perturbation table: the first row leaves out the attribute it moves on purpose."""
    rows = [{"moved": "thickness", "slant": 0.1}, {"moved": "slant", "thickness": 0.2, "slant": "-"}]
    lines = plots.table(rows, floatfmt=".1f").splitlines()
    assert lines[0] == "| moved | slant | thickness |"
    assert lines[2] == "| thickness | 0.1 |  |" and lines[3] == "| slant | - | 0.2 |"


def test_heatmap_grid_writes_its_numbers_at_the_size_asked():
    m = np.full((10, 10), 50.0)
    np.fill_diagonal(m, np.nan)
    fig = plots.heatmap_grid({("CNN", "VAE"): m}, ["CNN"], ["VAE"], vmin=0, vmax=100, fmt=lambda v: f"{v:.0f}",
                             fontsize=9.5)
    sizes = {t.get_fontsize() for t in fig.axes[0].texts}
    assert sizes == {9.5} and len(fig.axes[0].texts) == 90
    assert {t.get_text() for t in fig.axes[0].texts} == {"50"}
    with pytest.raises(ValueError, match="fontsize"):
        plots.heatmap_grid({("CNN", "VAE"): m}, ["CNN"], ["VAE"], fontsize=0)
    plt.close("all")


def test_table_escapes_pipes_in_cells():
    text = plots.table([{"score": "max p(y|x)", "AUC": 0.5}])
    assert text.splitlines()[2] == "| max p(y\\|x) | 0.500 |"  # still two cells


def test_symlog_ticks_are_few_and_span_the_data():
    fig, ax = plt.subplots()
    plots.score_histograms(ax, {"a": np.array([-3e10, -5e4, 10.0, 4000.0])}, symlog=1000)
    ticks = ax.get_xticks()
    assert 0.0 in ticks and len(ticks) <= 9
    assert min(ticks) <= -1e10 and max(ticks) >= 1e3
    assert ax.xaxis.get_major_formatter()(-1e10) == "$-10^{10}$"


def test_heatmap_grid_wraps_its_panels():
    m = np.full((10, 10), 0.5)
    matrices = {("CNN", name): m for name in "abcde"}
    fig = plots.heatmap_grid(matrices, ["CNN"], list("abcde"), ncols=3)
    maps = [ax for ax in fig.axes if ax.texts]
    assert len(maps) == 5 and fig.axes[5].axison is False  # 2 x 3 panels, the sixth left empty
    assert [ax.get_title() for ax in maps] == [f"{n}\nCNN" for n in "abcde"]
    plt.close("all")
