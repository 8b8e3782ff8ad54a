"""Figures shared by the notebooks: image grids, canvases, ellipses, curves.

Introduced in notebook 01 (class ellipses, probability maps, learning curves,
score histograms); notebook 02 adds the pixel-pair histogram and per-class
bars; later notebooks add the latent-space scatter (03), the interpolation
grid (05) and heatmaps (06). Everything returns the
matplotlib Figure so a notebook can tweak or save it.
"""

from __future__ import annotations

from typing import Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import Ellipse
from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator

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
        return str(v).replace("|", "\\|")  # a bare "|" (as in p(y|x)) would split the cell

    lines = ["| " + " | ".join(fmt(c) for c in columns) + " |", "|" + "---|" * len(columns)]
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
    from matplotlib.ticker import LogLocator, NullFormatter, PercentFormatter

    ax.set_xscale("log")
    ax.set_yscale("log")
    # plain "1,000" and "10%" read better on a projector than 10^3 and 10^-1
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))
    ax.yaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 3.0, 5.0)))
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


def _symlog_ticks(lo: float, hi: float, linthresh: float, max_per_side: int = 4) -> list[float]:
    """At most a few powers of ten on each side of zero: symlog's default labels every decade and they collide."""
    ticks = [0.0]
    first = int(np.ceil(np.log10(linthresh)))
    for sign, end in ((-1.0, -lo), (1.0, hi)):
        if end < 10.0 ** first:
            continue
        last = int(np.floor(np.log10(end)))
        step = max(1, int(np.ceil((last - first + 1) / max_per_side)))
        ticks += [sign * 10.0 ** e for e in range(last, first - 1, -step)]
    return sorted(ticks)


def _power_of_ten_label(value: float, _pos=None) -> str:
    if value == 0:
        return "0"
    exponent = int(round(np.log10(abs(value))))
    return f"${'-' if value < 0 else ''}10^{{{exponent}}}$"


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
        ax.xaxis.set_major_locator(FixedLocator(_symlog_ticks(edges[0], edges[-1], symlog)))
        ax.xaxis.set_major_formatter(FuncFormatter(_power_of_ten_label))
        ax.xaxis.set_minor_locator(NullLocator())
    ax.set_ylabel("share of images")
    if xlabel:
        ax.set_xlabel(xlabel)
    if title:
        ax.set_title(title)
    ax.legend(frameon=False, fontsize=8)
    return ax


# --- notebook 02: pixel dependence and per-class comparisons ---------------------


def pixel_pair_hist(axes, image_sets: dict[str, np.ndarray], pixel: tuple[int, int] = (14, 13), bins: int = 20):
    """For each image set, a 2-D histogram of a pixel against its right-hand neighbour (notebook 02).

    Real digits put the mass on the diagonal (neighbours are dark or light
    together); independent Naive Bayes pixels spread it over the square. A
    histogram rather than a scatter, because most values sit exactly at 0 or
    1 and a scatter would hide how many. Colour is the share of images, on a
    log scale shared by all panels.
    """
    from matplotlib.colors import LogNorm

    axes = np.atleast_1d(axes)
    if len(axes) != len(image_sets):
        raise ValueError(f"pixel_pair_hist got {len(axes)} axes for {len(image_sets)} image sets.")
    r, c = pixel
    if not (0 <= r < 28 and 0 <= c < 27):
        raise ValueError(f"pixel {pixel} has no right-hand neighbour inside a 28 x 28 image.")
    edges = np.linspace(0.0, 1.0, bins + 1)
    shares = []
    for images in image_sets.values():
        images = np.asarray(images)
        counts, _, _ = np.histogram2d(images[:, r, c], images[:, r, c + 1], bins=[edges, edges])
        shares.append(counts / max(len(images), 1))
    positive = [s[s > 0] for s in shares if (s > 0).any()]
    norm = LogNorm(vmin=min(p.min() for p in positive), vmax=max(p.max() for p in positive)) if positive else None
    mesh = None
    for ax, name, share in zip(axes, image_sets, shares):
        mesh = ax.pcolormesh(edges, edges, np.ma.masked_equal(share.T, 0), norm=norm, cmap="Blues")
        ax.set_aspect("equal")
        ax.set_title(name, fontsize=10)
        ax.set_xlabel(f"pixel ({r}, {c})")
    axes[0].set_ylabel(f"pixel ({r}, {c + 1})")
    if mesh is not None:
        axes[0].figure.colorbar(mesh, ax=list(axes), label="share of images", shrink=0.8)
    return shares


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


def mode_collapse_panel(classes_per_epoch: dict[str, Sequence[int]], final_counts: dict[str, Sequence[int]],
                        n_classes: int = 10):
    """The mode-collapse check of notebook 04, one line/bar series per model.

    Left: classes the judge finds among the samples after each epoch. Right: how the
    final samples split over the classes, as shares, beside the uniform 1/n_classes line.
    """
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.2))
    for i, (name, found) in enumerate(classes_per_epoch.items()):
        left.plot(np.arange(1, len(found) + 1), found, marker="o", ms=3, label=name, color=plt.get_cmap("tab10")(i))
    left.set_ylim(0, n_classes + 0.5)
    left.set_xlabel("epoch")
    left.set_ylabel("classes found")
    left.set_title("classes among the samples, per epoch")
    left.legend(frameon=False, fontsize=8)
    width = 0.8 / max(1, len(final_counts))
    for i, (name, counts) in enumerate(final_counts.items()):
        counts = np.asarray(counts, dtype=float)
        shares = counts / max(counts.sum(), 1.0)
        offset = (i - (len(final_counts) - 1) / 2) * width
        right.bar(np.arange(n_classes) + offset, shares, width, label=name, color=plt.get_cmap("tab10")(i))
    right.axhline(1.0 / n_classes, color="grey", lw=1, ls="--", label="uniform")
    right.set_xticks(np.arange(n_classes))
    right.set_xlabel("class given by the judge")
    right.set_ylabel("share of final samples")
    right.set_title("final samples by class")
    right.legend(frameon=False, fontsize=8)
    fig.tight_layout()
    return fig


# --- notebook 03: the decoded 2-D latent manifold --------------------------------


def normal_quantile_grid(n: int = 20, tail: float = 0.05) -> np.ndarray:
    """n values of z at evenly spaced probabilities of N(0, 1), from ``tail`` to ``1 - tail``.

    Equal steps in probability rather than in z: each row and column of a
    decoded manifold then covers the same share of the prior's mass, so the
    dense middle of the prior gets most of the cells (notebook 03).
    """
    from scipy.stats import norm

    if int(n) < 2:
        raise ValueError(f"a quantile grid needs at least 2 points per axis, got {n}.")
    if not 0.0 < tail < 0.5:
        raise ValueError(f"tail must lie in (0, 0.5), got {tail}; 0 would put a code at infinity.")
    return norm.ppf(np.linspace(tail, 1.0 - tail, int(n)))


def latent_manifold(decode, n: int = 20, tail: float = 0.05, ax=None, title: str | None = None,
                    cell_size: float = 0.3, label_every: int = 2):
    """Decode an n x n grid of 2-D codes at Normal quantiles and draw it as one seamless canvas (notebook 03).

    ``decode`` maps (N, 2) codes to (N, 28, 28) images, e.g. ``model.decode``.
    Columns run along z1 (increasing to the right) and rows along z2
    (increasing upwards), so the canvas lines up with a scatter of the codes.
    Every ``label_every``-th tick is labelled with its z value.
    """
    q = normal_quantile_grid(n, tail)
    z1, z2 = np.meshgrid(q, q[::-1])  # top row = largest z2, as in a scatter plot
    codes = np.stack([z1.ravel(), z2.ravel()], axis=1).astype(np.float32)
    images = np.asarray(decode(codes))
    if images.shape != (n * n, 28, 28):
        raise ValueError(f"decode returned shape {images.shape} for {n * n} codes; expected ({n * n}, 28, 28).")
    if ax is None:
        fig, ax = plt.subplots(figsize=(cell_size * n + 0.8, cell_size * n + 0.6))
    else:
        fig = ax.figure
    # no gaps between cells: neighbouring codes decode to neighbouring images, and the eye should see one surface
    ax.imshow(tile(images.reshape(n, n, 28, 28), pad=0), cmap="gray_r", vmin=0, vmax=1, interpolation="antialiased")
    ticks = np.arange(n) * 28 + 13.5
    labels = [f"{v:.1f}" if i % max(1, label_every) == 0 else "" for i, v in enumerate(q)]
    ax.set_xticks(ticks, labels, fontsize=8)
    ax.set_yticks(ticks, labels[::-1], fontsize=8)
    ax.tick_params(length=2)
    for spine in ax.spines.values():
        spine.set_visible(False)
    ax.set_xlabel("$z_1$")
    ax.set_ylabel("$z_2$")
    if title:
        ax.set_title(title)
    return fig


def mark_quantile_grid(ax, n: int = 20, tail: float = 0.05, **kwargs):
    """Draw the codes of :func:`latent_manifold`'s grid as small crosses on a 2-D scatter."""
    q = normal_quantile_grid(n, tail)
    z1, z2 = np.meshgrid(q, q)
    style = {"marker": "+", "s": 10, "color": "k", "alpha": 0.45, "linewidths": 0.6} | kwargs
    ax.scatter(z1.ravel(), z2.ravel(), **style)
    return ax


# --- notebook 06: judged probabilities along alpha, transfer heatmaps ------------


def shade_extrapolation(ax, lo: float = 0.0, hi: float = 1.0, color: str = "0.93"):
    """Grey background where alpha < lo or alpha > hi (extrapolation), dotted lines at lo and hi.

    Call after plotting, so the x-limits are known.
    """
    x0, x1 = ax.get_xlim()
    if x0 < lo:
        ax.axvspan(x0, lo, color=color, lw=0, zorder=0)
    if x1 > hi:
        ax.axvspan(hi, x1, color=color, lw=0, zorder=0)
    for v in (lo, hi):
        ax.axvline(v, color="0.55", lw=0.7, ls=":", zorder=0)
    ax.set_xlim(x0, x1)
    return ax


def probability_along_alpha(ax, alphas, probs, highlight: Sequence[int] = (), linestyle: str = "-",
                            title: str | None = None, ylabel: str = "p(class)", xlim=None):
    """Judged probability of every class, probs (A, 10), against alpha; ``highlight`` classes bold and labelled."""
    probs = np.asarray(probs)
    if probs.ndim != 2 or probs.shape[0] != len(alphas):
        raise ValueError(f"probs must be (len(alphas), n_classes) = ({len(alphas)}, 10), got {probs.shape}.")
    for c in range(probs.shape[1]):
        bold = c in highlight
        ax.plot(alphas, probs[:, c], ls=linestyle, color=DIGIT_COLORS[c], lw=2.2 if bold else 0.8,
                alpha=1.0 if bold else 0.5, label=str(c) if bold else None, zorder=3 if bold else 2)
    ax.set_ylim(-0.03, 1.03)
    ax.set_xlim(xlim if xlim is not None else (alphas[0], alphas[-1]))
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title, fontsize=10)
    shade_extrapolation(ax)
    return ax


def frame_strip(ax, alphas, frames, every: int = 2):
    """Frames (A, 28, 28) as one strip whose x-axis is alpha, so it lines up with a plot below it."""
    frames = np.asarray(frames)
    alphas = np.asarray(alphas, dtype=float)
    if len(frames) != len(alphas):
        raise ValueError(f"{len(frames)} frames for {len(alphas)} alphas.")
    idx = np.arange(0, len(alphas), max(1, int(every)))
    step = float(alphas[idx[1]] - alphas[idx[0]]) if len(idx) > 1 else 1.0
    canvas = tile(frames[idx][None], pad=1)
    ax.imshow(canvas, cmap="gray_r", vmin=0, vmax=1, interpolation="nearest", aspect="auto",
              extent=(alphas[idx[0]] - step / 2, alphas[idx[-1]] + step / 2, 0, 1))
    ax.set_yticks([])
    ax.set_xticks(alphas[idx])
    ax.set_xticklabels([f"{a:g}" for a in alphas[idx]], fontsize=7)
    ax.tick_params(length=0, pad=1)
    for spine in ax.spines.values():
        spine.set_visible(False)
    return ax


def judged_paths_figure(paths: dict, alphas, highlight: Sequence[int] = (), ncols: int = 2, every: int = 2,
                        title: str | None = None):
    """For each model: the moved frames, then one probability panel per judge, all on one alpha axis.

    ``paths`` maps a model name to ``(frames (A, 28, 28), {judge name: probs (A, 10)})``. Each model
    gets its own sub-figure, so titles and tick labels of neighbouring models never collide.
    """
    names = list(paths)
    judges = list(next(iter(paths.values()))[1])
    alphas = np.asarray(alphas, dtype=float)
    nrows = int(np.ceil(len(names) / ncols))
    fig = plt.figure(figsize=(6.0 * ncols, (1.0 + 1.8 * len(judges)) * nrows + 0.4), layout="constrained")
    subfigs = np.atleast_1d(fig.subfigures(nrows, ncols, wspace=0.04, hspace=0.06)).ravel()
    shown = np.arange(0, len(alphas), max(1, int(every)))
    half = (alphas[shown[1]] - alphas[shown[0]]) / 2 if len(shown) > 1 else 0.5
    xlim = (alphas[0] - half, alphas[-1] + half)
    for sub, name in zip(subfigs, names):
        frames, probs = paths[name]
        axes = sub.subplots(1 + len(judges), 1, gridspec_kw={"height_ratios": [0.9] + [1.8] * len(judges)})
        frame_strip(axes[0], alphas, frames, every=every)
        axes[0].set_xlim(xlim)
        sub.suptitle(name, fontsize=11, fontweight="bold")
        for k, (ax, judge) in enumerate(zip(axes[1:], judges)):
            probability_along_alpha(ax, alphas, probs[judge], highlight=highlight, ylabel=f"{judge}\np(class)",
                                    xlim=xlim)
            ax.yaxis.label.set_fontsize(9)
            if k == len(judges) - 1:
                ax.set_xlabel("alpha")
            else:
                ax.tick_params(labelbottom=False)
        if name == names[0] and highlight:
            axes[1].legend(title="class", fontsize=8, title_fontsize=8, loc="center left", frameon=False)
    for sub in subfigs[len(names):]:
        sub.set_visible(False)
    if title:
        fig.suptitle(title, fontsize=13)
    return fig


def band_along_alpha(ax, alphas, values, color=None, label: str | None = None, quantiles=(0.25, 0.75),
                     linestyle: str = "-", band: bool = True):
    """Median of values (M, A) against alpha, with a quantile band (default: the middle half)."""
    values = np.asarray(values, dtype=float)
    if values.ndim != 2 or values.shape[1] != len(alphas):
        raise ValueError(f"values must be (M, {len(alphas)}), got {values.shape}.")
    mid = np.median(values, axis=0)
    line, = ax.plot(alphas, mid, color=color, ls=linestyle, lw=1.8, label=label)
    if band:
        lo, hi = np.quantile(values, quantiles, axis=0)
        ax.fill_between(alphas, lo, hi, color=line.get_color(), alpha=0.2, lw=0)
    return line


def class_heatmap(ax, matrix, title: str | None = None, vmin: float = 0.0, vmax: float = 1.0,
                  cmap: str = "viridis", fmt=lambda v: f"{100 * v:.0f}", annotate: bool = True,
                  fontsize: float = 6.0):
    """A 10 x 10 matrix indexed [start class b, target class a] as a heatmap.

    NaN cells (the diagonal) are light grey and blank; +inf cells ("never")
    are drawn in dark grey and marked with the infinity sign.
    """
    import matplotlib as mpl

    m = np.asarray(matrix, dtype=float)
    if m.ndim != 2 or m.shape[0] != m.shape[1]:
        raise ValueError(f"class_heatmap needs a square matrix, got {m.shape}.")
    colours = mpl.colormaps[cmap].copy()
    colours.set_bad("0.88")
    colours.set_over("0.25")
    shown = np.ma.masked_invalid(np.where(np.isposinf(m), vmax + abs(vmax) + 1.0, m))
    im = ax.imshow(shown, cmap=colours, vmin=vmin, vmax=vmax, interpolation="nearest")
    n = m.shape[0]
    if annotate:
        for b in range(n):
            for a in range(n):
                v = m[b, a]
                if np.isnan(v):
                    continue
                text = "\u221e" if np.isposinf(v) else fmt(v)
                frac = 0.0 if np.isposinf(v) else (np.clip(v, vmin, vmax) - vmin) / max(vmax - vmin, 1e-12)
                r, g, bl, _ = (0.25, 0.25, 0.25, 1.0) if np.isposinf(v) else colours(frac)
                dark = 0.299 * r + 0.587 * g + 0.114 * bl < 0.5  # white text on dark cells
                ax.text(a, b, text, ha="center", va="center", fontsize=fontsize, color="white" if dark else "black")
    ax.set_xticks(range(n))
    ax.set_yticks(range(n))
    ax.tick_params(length=0, labelsize=8)
    ax.set_xlabel("target class a")
    ax.set_ylabel("start class b")
    for spine in ax.spines.values():
        spine.set_visible(False)
    if title:
        ax.set_title(title, fontsize=10)
    return im


def heatmap_grid(matrices: dict, row_names: Sequence[str], col_names: Sequence[str], *, vmin: float = 0.0,
                 vmax: float = 1.0, cmap: str = "viridis", fmt=lambda v: f"{100 * v:.0f}", colorbar_label: str = "",
                 title: str | None = None, cell: float = 3.1):
    """Heatmaps ``matrices[(row, col)]`` in a grid (e.g. judges x models) with one shared colour bar."""
    fig, axes = plt.subplots(len(row_names), len(col_names), figsize=(cell * len(col_names) + 0.8,
                                                                      cell * len(row_names) + 0.4), squeeze=False)
    im = None
    for i, r in enumerate(row_names):
        for j, c in enumerate(col_names):
            ax = axes[i, j]
            key = (r, c)
            if key not in matrices:
                ax.axis("off")
                continue
            im = class_heatmap(ax, matrices[key], title=f"{c}\n{r}", vmin=vmin, vmax=vmax, cmap=cmap, fmt=fmt)
            if j:
                ax.set_ylabel("")
            if i < len(row_names) - 1:
                ax.set_xlabel("")
    if im is not None:
        fig.colorbar(im, ax=axes.ravel().tolist(), shrink=0.6, label=colorbar_label, extend="max")
    if title:
        fig.suptitle(title)
    return fig


def judge_scatter(ax, x_values, y_values, xlabel: str, ylabel: str, title: str | None = None, lim=(0.0, 1.0)):
    """One point per ordered pair: a figure under one judge against the same figure under another."""
    x = np.asarray(x_values, dtype=float).ravel()
    y = np.asarray(y_values, dtype=float).ravel()
    ok = np.isfinite(x) & np.isfinite(y)
    ax.scatter(x[ok], y[ok], s=10, alpha=0.6, linewidths=0)
    ax.plot(lim, lim, color="0.6", lw=0.8, ls="--")
    ax.set_xlim(lim)
    ax.set_ylim(lim)
    ax.set_aspect("equal")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title, fontsize=10)
    return ax


def pair_bands(ax, alphas, probs: dict, a: int, b: int, title: str | None = None):
    """p(a) and p(b) along alpha for many digits moved from b to a, one line style per judge.

    ``probs`` maps a judge name to probabilities (n, A, 10). The first judge
    gets the median and the middle-half band; the others their median only.
    """
    styles = ["-", "--", ":", "-."]
    for k, (judge, p) in enumerate(probs.items()):
        p = np.asarray(p)
        for c in (a, b):
            band_along_alpha(ax, alphas, p[..., c], color=DIGIT_COLORS[c], label=f"p({c}), {judge}",
                             linestyle=styles[k % len(styles)], band=k == 0)
    ax.set_ylim(-0.03, 1.03)
    ax.set_xlim(alphas[0], alphas[-1])
    ax.set_xlabel("alpha")
    if title:
        ax.set_title(title, fontsize=10)
    shade_extrapolation(ax)
    return ax


def realism_figure(alphas, entropy: dict, distance: dict, entropy_ref: dict, distance_ref: dict,
                   title: str | None = None):
    """Two rows of panels, one column per model: judge entropy along alpha, then distance from the prior's
    typical set, each beside the level real test digits stay under (dashed grey line).

    ``entropy[model][judge]`` and ``distance[model]`` are (M, A) arrays (``distance[model]`` may be None);
    ``entropy_ref[judge]`` and ``distance_ref[model]`` are the real-data levels.
    """
    models = list(entropy)
    fig, axes = plt.subplots(2, len(models), figsize=(3.3 * len(models), 5.4), squeeze=False, sharex=True)
    styles = ["-", "--", ":"]
    for j, model in enumerate(models):
        ax = axes[0, j]
        for k, (judge, values) in enumerate(entropy[model].items()):
            line = band_along_alpha(ax, alphas, values, color=f"C{k}", label=judge, linestyle=styles[k % 3], band=k == 0)
            if judge in entropy_ref:
                ax.axhline(entropy_ref[judge], color=line.get_color(), lw=0.9, ls=(0, (2, 2)), alpha=0.8)
        ax.set_ylim(0, np.log2(10) + 0.05)
        ax.set_title(model, fontsize=10)
        shade_extrapolation(ax)
        ax = axes[1, j]
        d = distance.get(model)
        if d is None:
            ax.text(0.5, 0.5, "no Gaussian prior:\npixel space", ha="center", va="center", transform=ax.transAxes,
                    fontsize=9, color="0.4")
            ax.set_yticks([])
        else:
            band_along_alpha(ax, alphas, d, color="C2", label="moved codes")
            if model in distance_ref:
                ax.axhline(distance_ref[model], color="0.3", lw=0.9, ls=(0, (2, 2)), label="real codes (95%)")
            ax.set_ylim(bottom=0)
        ax.set_xlim(alphas[0], alphas[-1])
        ax.set_xlabel("alpha")
        shade_extrapolation(ax)
    axes[0, 0].set_ylabel("judge entropy (bits)")
    axes[1, 0].set_ylabel("| |z| - E|z| |")
    axes[0, 0].legend(fontsize=8, frameon=False, loc="upper left")
    for ax in axes[1]:
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=8, frameon=False, loc="upper left")
            break
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def pair_figure(alphas, frames: dict, probs: dict, a: int, b: int, every: int = 4, title: str | None = None):
    """One column per model: a digit of class b moved towards a (frames), then :func:`pair_bands` for many digits.

    ``frames[model]`` is (A, 28, 28); ``probs[model]`` maps a judge name to (n, A, 10).
    """
    names = list(frames)
    alphas = np.asarray(alphas, dtype=float)
    fig = plt.figure(figsize=(3.4 * len(names), 3.9), layout="constrained")
    subfigs = np.atleast_1d(fig.subfigures(1, len(names), wspace=0.02))
    shown = np.arange(0, len(alphas), max(1, int(every)))
    half = (alphas[shown[1]] - alphas[shown[0]]) / 2 if len(shown) > 1 else 0.5
    xlim = (alphas[0] - half, alphas[-1] + half)
    for i, (sub, name) in enumerate(zip(subfigs, names)):
        top, ax = sub.subplots(2, 1, gridspec_kw={"height_ratios": [0.8, 2.6]})
        frame_strip(top, alphas, frames[name], every=every)
        top.set_xlim(xlim)
        sub.suptitle(name, fontsize=10, fontweight="bold")
        pair_bands(ax, alphas, probs[name], a, b)
        ax.set_xlim(xlim)
        if i == 0:
            ax.set_ylabel("judged probability")
            ax.legend(fontsize=7, frameon=False, loc="center left")
        else:
            ax.tick_params(labelleft=False)
    if title:
        fig.suptitle(title, fontsize=12)
    return fig


def success_along_alpha(ax, alphas, curves: dict, level: float | None = None, title: str | None = None):
    """Success rate against alpha, one line per model (``curves[model]`` is (A,)), with an optional target level."""
    for name, curve in curves.items():
        ax.plot(alphas, curve, marker="o", ms=2.5, lw=1.6, label=name)
    if level is not None:
        ax.axhline(level, color="0.4", lw=0.8, ls="--")
    ax.set_ylim(-0.02, 1.02)
    ax.set_xlim(alphas[0], alphas[-1])
    ax.set_xlabel("alpha")
    ax.set_ylabel("success (judged as target)")
    if title:
        ax.set_title(title, fontsize=10)
    shade_extrapolation(ax)
    return ax


# --- notebook 07: style axes -------------------------------------------------------------------
METHOD_STYLES = {"quantile": ("tab:orange", "-"), "probe": ("tab:blue", "-"),
                 "conditional": ("tab:green", "--"), "counterfactual": ("tab:red", ":")}


def per_class_distributions(values: dict, labels, units: dict | None = None, ncols: int = 3, cell=(3.4, 2.3)):
    """One box plot per class for each attribute: ``values[name]`` (N,) measured on digits with ``labels`` (N,)."""
    labels = np.asarray(labels)
    names = list(values)
    nrows = int(np.ceil(len(names) / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(cell[0] * ncols, cell[1] * nrows), squeeze=False)
    for ax, name in zip(axes.flat, names):
        v = np.asarray(values[name], dtype=float)
        groups = [v[(labels == c) & np.isfinite(v)] for c in range(10)]
        box = ax.boxplot(groups, positions=range(10), widths=0.6, showfliers=False, patch_artist=True)
        for patch, colour in zip(box["boxes"], DIGIT_COLORS):
            patch.set_facecolor(colour)
            patch.set_alpha(0.55)
        ax.set_xticks(range(10))
        unit = (units or {}).get(name, "")
        ax.set_title(f"{name}" + (f" ({unit})" if unit else ""), fontsize=10)
    for ax in list(axes.flat)[len(names):]:
        ax.axis("off")
    fig.supxlabel("digit class", fontsize=10)
    fig.tight_layout()
    return fig


def dose_curves(curves: dict, alphas, methods: Sequence[str], attributes: Sequence[str], models: Sequence[str],
                cell=(2.5, 2.1), ylim=(-3.0, 3.0)):
    """Mean measured change (SDs) against alpha: rows attributes, columns models, one line per method.

    ``curves[(model, attribute, method)]`` is (A,) or missing. The dashed
    diagonal is what the probe predicted (one SD per unit alpha).
    """
    fig, axes = plt.subplots(len(attributes), len(models), figsize=(cell[0] * len(models), cell[1] * len(attributes)),
                             sharex=True, sharey=True, squeeze=False)
    for i, attr in enumerate(attributes):
        for j, model in enumerate(models):
            ax = axes[i, j]
            ax.plot(alphas, alphas, color="0.6", lw=0.8, ls="--")
            ax.axhline(0, color="0.85", lw=0.6)
            for method in methods:
                c = curves.get((model, attr, method))
                if c is None or not np.all(np.isfinite(c)):
                    continue
                colour, ls = METHOD_STYLES.get(method, (None, "-"))
                ax.plot(alphas, c, color=colour, ls=ls, lw=1.6, marker="o", ms=3, label=method)
            ax.set_ylim(*ylim)
            if i == 0:
                ax.set_title(model, fontsize=9)
            if j == 0:
                ax.set_ylabel(f"{attr}\nchange (SD)", fontsize=9)
            if i == len(attributes) - 1:
                ax.set_xlabel("alpha")
    handles, labels = axes[0, 0].get_legend_handles_labels()
    if handles:
        fig.legend(handles, labels, loc="upper center", ncol=len(handles), fontsize=8, frameon=False,
                   bbox_to_anchor=(0.5, 1.02))
    fig.tight_layout(rect=(0, 0, 1, 0.96))
    return fig


def matrix_heatmaps(matrices: dict, row_names: Sequence[str], col_names: Sequence[str], *, vmax: float = 1.0,
                    cmap: str = "magma_r", colorbar_label: str = "", cell=(2.6, 1.7), fmt: str = "{:.2f}"):
    """Small annotated heatmaps side by side, one per entry of ``matrices`` (title -> (rows, cols) array)."""
    import matplotlib as mpl

    n = len(matrices)
    fig, axes = plt.subplots(1, n, figsize=(cell[0] * n + 0.8, cell[1] + 0.6), squeeze=False)
    colours = mpl.colormaps[cmap].copy()
    colours.set_bad("0.88")
    im = None
    for ax, (title, m) in zip(axes[0], matrices.items()):
        m = np.asarray(m, dtype=float)
        im = ax.imshow(np.ma.masked_invalid(m), cmap=colours, vmin=0, vmax=vmax, aspect="auto")
        for r in range(m.shape[0]):
            for c in range(m.shape[1]):
                if np.isfinite(m[r, c]):
                    frac = min(m[r, c] / vmax, 1.0)
                    ax.text(c, r, fmt.format(m[r, c]), ha="center", va="center", fontsize=7,
                            color="white" if frac > 0.6 else "black")
        ax.set_xticks(range(len(col_names)), col_names, rotation=45, ha="right", fontsize=8)
        ax.set_yticks(range(len(row_names)), row_names if ax is axes[0, 0] else [], fontsize=8)
        ax.tick_params(length=0)
        ax.set_title(title, fontsize=9)
        for spine in ax.spines.values():
            spine.set_visible(False)
    if im is not None:
        fig.colorbar(im, ax=axes.ravel().tolist(), shrink=0.8, label=colorbar_label, extend="max")
    return fig
