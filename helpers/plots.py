"""Figures shared by the notebooks: image grids, canvases, ellipses, curves.

Introduced in notebook 01 (class ellipses, probability maps, learning curves,
score histograms); notebook 02 adds the pixel-pair scatter and per-class
bars; later notebooks add the latent-space scatter (03), the interpolation
grid (05) and heatmaps (06). Everything returns the
matplotlib Figure so a notebook can tweak or save it.
"""

from __future__ import annotations

from typing import Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import Ellipse

#: One colour per digit, used for every scatter in the series.
DIGIT_COLORS = plt.get_cmap("tab10")(np.arange(10))


def tile(images: np.ndarray, pad: int = 1, pad_value: float = 1.0) -> np.ndarray:
    """Tile a (rows, cols, H, W) array of images into one (rows*H, cols*W) canvas."""
    images = np.asarray(images, dtype=np.float32)
    if images.ndim == 3:
        images = images[None]
    if images.ndim != 4:
        raise ValueError(f"tile expects (rows, cols, H, W) images, got shape {images.shape}.")
    rows, cols, h, w = images.shape
    canvas = np.full((rows * (h + pad) - pad, cols * (w + pad) - pad), pad_value, np.float32)
    for r in range(rows):
        for c in range(cols):
            canvas[r * (h + pad): r * (h + pad) + h, c * (w + pad): c * (w + pad) + w] = images[r, c]
    return canvas


def image_grid(
    images: np.ndarray,
    ncols: int = 10,
    titles: Sequence[str] | None = None,
    suptitle: str | None = None,
    cell_size: float = 0.9,
    cmap: str = "gray_r",
    vmin: float = 0.0,
    vmax: float = 1.0,
):
    """Show a flat batch of images (N, 28, 28) in a grid, with optional titles."""
    images = np.asarray(images)
    if images.ndim == 2 and images.shape[1] == 784:
        images = images.reshape(-1, 28, 28)
    n = len(images)
    ncols = max(1, min(ncols, n))
    nrows = int(np.ceil(n / ncols))
    fig, axes = plt.subplots(
        nrows, ncols, figsize=(cell_size * ncols, cell_size * nrows + (0.35 if titles else 0)),
        squeeze=False,
    )
    for i, ax in enumerate(axes.flat):
        ax.axis("off")
        if i < n:
            ax.imshow(images[i], cmap=cmap, vmin=vmin, vmax=vmax, interpolation="nearest")
            if titles is not None:
                ax.set_title(titles[i], fontsize=8, pad=2)
    if suptitle:
        fig.suptitle(suptitle)
    fig.tight_layout(pad=0.2)
    return fig


def show_canvas(
    grid: np.ndarray,
    row_labels: Sequence[str] | None = None,
    col_labels: Sequence[str] | None = None,
    title: str | None = None,
    cell_size: float = 0.45,
    ax=None,
    cmap: str = "gray_r",
):
    """Draw a (rows, cols, 28, 28) grid as one image with row and column labels.

    One ``imshow`` instead of rows*cols axes keeps large grids (the 45 digit
    pairs) light enough for nbviewer.
    """
    grid = np.asarray(grid)
    rows, cols, h, w = grid.shape
    if ax is None:
        fig, ax = plt.subplots(figsize=(cell_size * cols + 1.2, cell_size * rows + 0.6))
    else:
        fig = ax.figure
    ax.imshow(tile(grid, pad=1), cmap=cmap, vmin=0, vmax=1, interpolation="nearest")
    ax.set_xticks([c * (w + 1) + w / 2 for c in range(cols)] if col_labels is not None else [])
    ax.set_yticks([r * (h + 1) + h / 2 for r in range(rows)] if row_labels is not None else [])
    if col_labels is not None:
        ax.set_xticklabels(col_labels, fontsize=8)
    if row_labels is not None:
        ax.set_yticklabels(row_labels, fontsize=8)
    ax.tick_params(length=0)
    for spine in ax.spines.values():
        spine.set_visible(False)
    if title:
        ax.set_title(title)
    return fig


def gaussian_ellipse(ax, mean, variances, n_sigma: float = 1.0, **kwargs) -> Ellipse:
    """Draw the n-sigma contour of an axis-aligned 2-D Gaussian (a Naive Bayes class)."""
    sd = np.sqrt(np.asarray(variances, dtype=float))
    patch = Ellipse(tuple(mean), 2 * n_sigma * sd[0], 2 * n_sigma * sd[1], fill=False, **kwargs)
    ax.add_patch(patch)
    return patch


def latent_scatter(ax, codes: np.ndarray, labels: np.ndarray, title: str | None = None, s: float = 2.0):
    """Scatter 2-D codes coloured by digit, with a legend (notebooks 03 and 04)."""
    codes = np.asarray(codes)
    if codes.ndim != 2 or codes.shape[1] != 2:
        raise ValueError(f"latent_scatter needs (N, 2) codes, got {codes.shape}; project them first.")
    for d in range(10):
        m = labels == d
        ax.scatter(codes[m, 0], codes[m, 1], s=s, color=DIGIT_COLORS[d], label=str(d), alpha=0.6, linewidths=0)
    ax.legend(markerscale=5, fontsize=8, loc="upper right", ncol=2, frameon=False)
    ax.set_aspect("equal", adjustable="datalim")
    if title:
        ax.set_title(title)
    return ax


def training_curves(history: dict[str, list[float]], keys: Sequence[str] | None = None, title: str | None = None):
    """Plot per-epoch training metrics side by side (one panel per key)."""
    keys = list(keys or history.keys())
    fig, axes = plt.subplots(1, len(keys), figsize=(3.2 * len(keys), 2.8), squeeze=False)
    for ax, key in zip(axes[0], keys):
        values = history[key]
        ax.plot(np.arange(1, len(values) + 1), values, marker="o", ms=3)
        ax.set_xlabel("epoch")
        ax.set_title(key)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def table(rows: Sequence[dict], columns: Sequence[str] | None = None, floatfmt: str = ".3f") -> str:
    """A markdown table from dicts; notebooks print it with IPython's Markdown."""
    if not rows:
        return ""
    columns = list(columns or rows[0].keys())

    def fmt(v):
        if isinstance(v, (float, np.floating)):
            return format(float(v), floatfmt)
        return str(v)

    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(fmt(r.get(c, "")) for c in columns) + " |" for r in rows]
    return "\n".join(lines)


# --- notebook 01: 2-D class models, learning curves, score histograms ------------


def class_scatter(ax, x: np.ndarray, y: np.ndarray, *, marker: str = "o", s: float = 12.0, alpha: float = 0.5,
                  label: str | None = "class {}", colors=None):
    """Scatter 2-D points coloured by class (notebook 01); ``label`` formats the legend entry."""
    x, y = np.asarray(x), np.asarray(y)
    if x.ndim != 2 or x.shape[1] != 2 or y.shape != (len(x),):
        raise ValueError(f"class_scatter needs points (N, 2) and labels (N,), got {x.shape} and {y.shape}.")
    colors = DIGIT_COLORS if colors is None else colors
    for c in np.unique(y):
        m = y == c
        ax.scatter(x[m, 0], x[m, 1], s=s, marker=marker, color=colors[int(c) % len(colors)], alpha=alpha,
                   linewidths=0 if marker == "o" else 1.0, label=label.format(c) if label else None)
    return ax


def nb_ellipses(ax, means: np.ndarray, variances: np.ndarray, n_sigmas: Sequence[float] = (1.0, 2.0), colors=None):
    """Each class's axis-aligned Gaussian as n-sigma ellipses plus its mean (notebook 01)."""
    means, variances = np.atleast_2d(means), np.atleast_2d(variances)
    if means.shape != variances.shape or means.shape[1] != 2:
        raise ValueError(f"nb_ellipses needs (K, 2) means and variances, got {means.shape} and {variances.shape}.")
    colors = DIGIT_COLORS if colors is None else colors
    for k, (mu, var) in enumerate(zip(means, variances)):
        for n_sigma in n_sigmas:
            # the 1-sigma contour solid, wider ones dashed, so the eye reads them as nested
            gaussian_ellipse(ax, mu, var, n_sigma, color=colors[k % len(colors)], lw=2 if n_sigma == 1 else 1.2,
                             ls="-" if n_sigma == 1 else "--")
        ax.plot(*mu, marker="+", ms=12, mew=2.5, color=colors[k % len(colors)])
    return ax


def probability_map(ax, predict_proba, xlim: tuple[float, float], ylim: tuple[float, float], *,
                    levels: Sequence[float] = (0.5, 0.7, 0.9, 0.99), resolution: int = 200, colors=None):
    """What a classifier learns in 2-D: shaded decision regions, the boundary, and contours of max p(y|x).

    ``predict_proba`` maps (N, 2) points to (N, K) class probabilities (notebook 01).
    Returns the contour set so a caller can label it.
    """
    colors = DIGIT_COLORS if colors is None else colors
    gx, gy = np.meshgrid(np.linspace(*xlim, resolution), np.linspace(*ylim, resolution))
    proba = np.asarray(predict_proba(np.c_[gx.ravel(), gy.ravel()]))
    if proba.ndim != 2 or proba.shape[0] != gx.size:
        raise ValueError(f"predict_proba returned shape {proba.shape}, expected ({gx.size}, K).")
    winner = proba.argmax(axis=1).reshape(gx.shape)
    top = proba.max(axis=1).reshape(gx.shape)
    k = proba.shape[1]
    from matplotlib.colors import ListedColormap

    ax.imshow(winner, origin="lower", extent=(*xlim, *ylim), aspect="auto", alpha=0.15,
              cmap=ListedColormap([colors[i % len(colors)] for i in range(k)]), vmin=-0.5, vmax=k - 0.5,
              interpolation="nearest")
    # boundary: where the winning class changes
    ax.contour(gx, gy, winner, levels=np.arange(k - 1) + 0.5, colors="k", linewidths=1.5)
    cs = ax.contour(gx, gy, top, levels=list(levels), colors="0.35", linewidths=0.8, linestyles=":")
    ax.clabel(cs, fontsize=7, fmt="%.2f")
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)
    return cs


def learning_curves(rows: Sequence[dict], ax=None, title: str | None = None):
    """Test error against training-set size, one line per model, log-log (notebook 01).

    ``rows`` are ``{"model", "n", "error"}`` dicts, several per size when the
    size was drawn more than once: each draw is a dot, the line joins the
    means and the band spans min to max, so the spread is visible.
    """
    if not rows:
        raise ValueError("learning_curves needs at least one row.")
    fig = None
    if ax is None:
        fig, ax = plt.subplots(figsize=(6.5, 4.0))
    models = list(dict.fromkeys(r["model"] for r in rows))
    for i, name in enumerate(models):
        color = plt.get_cmap("tab10")(i)
        mine = [r for r in rows if r["model"] == name]
        sizes = np.array(sorted({r["n"] for r in mine}))
        errs = [np.array([r["error"] for r in mine if r["n"] == n]) for n in sizes]
        ax.scatter([r["n"] for r in mine], [r["error"] for r in mine], s=10, color=color, alpha=0.5, linewidths=0)
        ax.plot(sizes, [e.mean() for e in errs], marker="o", color=color, label=name)
        ax.fill_between(sizes, [e.min() for e in errs], [e.max() for e in errs], color=color, alpha=0.15, lw=0)
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter, PercentFormatter

    ax.set_xscale("log")
    ax.set_yscale("log")
    # plain "1,000" and "10%" read better on a projector than 10^3 and 10^-1
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))
    ax.yaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
    ax.yaxis.set_major_formatter(PercentFormatter(xmax=1.0, decimals=0))
    ax.yaxis.set_minor_formatter(NullFormatter())
    ax.set_xlabel("training images")
    ax.set_ylabel("test error")
    ax.legend(frameon=False)
    if title:
        ax.set_title(title)
    if fig is not None:
        fig.tight_layout()
    return fig if fig is not None else ax.figure


def symlog_bins(values: np.ndarray, linthresh: float, n_bins: int = 40) -> np.ndarray:
    """Bin edges evenly spaced on a symlog axis, so histograms spanning many decades look even."""
    from matplotlib.scale import SymmetricalLogTransform

    values = np.asarray(values, dtype=float)
    values = values[np.isfinite(values)]
    if values.size == 0:
        raise ValueError("symlog_bins needs at least one finite value.")
    transform = SymmetricalLogTransform(10, linthresh, 1.0)
    lo, hi = transform.transform(np.array([values.min(), values.max()]))
    if hi == lo:
        hi = lo + 1.0
    return transform.inverted().transform(np.linspace(lo, hi, n_bins + 1))


def score_histograms(ax, groups: dict[str, np.ndarray], *, bins: int = 40, symlog: float | None = None,
                     xlabel: str | None = None, title: str | None = None):
    """Overlaid density histograms of one score for several image groups (notebook 01).

    ``symlog`` (a linear threshold) switches the x axis to symlog for scores
    such as log p(x) that span many orders of magnitude.
    """
    if not groups:
        raise ValueError("score_histograms needs at least one group.")
    values = np.concatenate([np.asarray(v, dtype=float) for v in groups.values()])
    if symlog is not None:
        edges = symlog_bins(values, symlog, bins)
    else:
        edges = np.histogram_bin_edges(values[np.isfinite(values)], bins=bins)
    for i, (name, v) in enumerate(groups.items()):
        # weights rather than density=True: bar heights are shares of the group, whatever the bin width
        v = np.asarray(v, dtype=float)
        ax.hist(v, bins=edges, weights=np.full(len(v), 1.0 / max(len(v), 1)), histtype="stepfilled",
                alpha=0.35, color=plt.get_cmap("tab10")(i), label=name)
        ax.hist(v, bins=edges, weights=np.full(len(v), 1.0 / max(len(v), 1)), histtype="step",
                color=plt.get_cmap("tab10")(i))
    if symlog is not None:
        ax.set_xscale("symlog", linthresh=symlog)
    ax.set_ylabel("share of images")
    if xlabel:
        ax.set_xlabel(xlabel)
    if title:
        ax.set_title(title)
    ax.legend(frameon=False, fontsize=8)
    return ax


# --- notebook 02: pixel dependence and per-class comparisons ---------------------


def pixel_pair_scatter(axes, image_sets: dict[str, np.ndarray], pixel: tuple[int, int] = (14, 13)):
    """For each image set, scatter a pixel against its right-hand neighbour (notebook 02).

    Real digits put the points along the diagonal (neighbours are dark or
    light together); independent Naive Bayes pixels fill a square.
    """
    axes = np.atleast_1d(axes)
    if len(axes) != len(image_sets):
        raise ValueError(f"pixel_pair_scatter got {len(axes)} axes for {len(image_sets)} image sets.")
    r, c = pixel
    if not (0 <= r < 28 and 0 <= c < 27):
        raise ValueError(f"pixel {pixel} has no right-hand neighbour inside a 28 x 28 image.")
    for ax, (name, images) in zip(axes, image_sets.items()):
        images = np.asarray(images)
        ax.scatter(images[:, r, c], images[:, r, c + 1], s=6, alpha=0.3, linewidths=0)
        ax.set_xlim(-0.05, 1.05)
        ax.set_ylim(-0.05, 1.05)
        ax.set_aspect("equal")
        ax.set_title(name, fontsize=10)
        ax.set_xlabel(f"pixel ({r}, {c})")
    axes[0].set_ylabel(f"pixel ({r}, {c + 1})")
    return axes


def per_class_bars(ax, values: dict[str, np.ndarray], class_names: Sequence[str] | None = None,
                   ylabel: str | None = None, title: str | None = None):
    """Grouped bars: one group per class, one bar per series (notebook 02's judge shares)."""
    if not values:
        raise ValueError("per_class_bars needs at least one series.")
    lengths = {len(v) for v in values.values()}
    if len(lengths) != 1:
        raise ValueError(f"every series needs one value per class; got lengths {sorted(lengths)}.")
    k = lengths.pop()
    names = list(class_names) if class_names is not None else [str(i) for i in range(k)]
    if len(names) != k:
        raise ValueError(f"{len(names)} class names for {k} classes.")
    width = 0.8 / len(values)
    for i, (label, v) in enumerate(values.items()):
        ax.bar(np.arange(k) + (i - (len(values) - 1) / 2) * width, v, width, label=label,
               color=plt.get_cmap("tab10")(i))
    ax.set_xticks(np.arange(k), names)
    if ylabel:
        ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    ax.legend(frameon=False, fontsize=8, ncol=min(len(values), 4), loc="lower center", bbox_to_anchor=(0.5, 1.0))
    return ax


def model_grids(grids: dict, row_labels=None, col_labels=None, title: str | None = None, cell_size: float = 0.32):
    """Several (rows, cols, 28, 28) grids side by side, one panel per model (notebook 05)."""
    names = list(grids)
    rows, cols = next(iter(grids.values())).shape[:2]
    fig, axes = plt.subplots(1, len(names), figsize=(len(names) * (cols * cell_size + 0.5) + 0.6,
                                                     rows * cell_size + 0.8), squeeze=False)
    for i, (ax, name) in enumerate(zip(axes[0], names)):
        show_canvas(grids[name], row_labels=row_labels if i == 0 else None, col_labels=col_labels,
                    title=name, ax=ax)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig
