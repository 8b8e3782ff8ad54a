"""Figures shared by the notebooks: image grids, canvases, ellipses, curves.

Introduced in notebook 01; later notebooks add the latent-space scatter
(03), the interpolation grid (05) and heatmaps (06). Everything returns the
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
