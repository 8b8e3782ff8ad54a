"""Figures shared by the notebooks: image grids, canvases, ellipses, curves.

Introduced in notebook 01 (class ellipses, probability maps, learning curves,
score histograms); notebook 02 adds the pixel-pair histogram and per-class
bars; later notebooks add the latent-space scatter (03), the interpolation
grid (05) and heatmaps (06). Everything returns the
matplotlib Figure so a notebook can tweak or save it.
"""

from __future__ import annotations

from typing import Mapping, Sequence

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.patches import Ellipse
from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator

from . import checks as ck
from .checks import checked, ref
from .data import check_memory

#: One colour per digit, used for every scatter in the series.
DIGIT_COLORS = plt.get_cmap("tab10")(np.arange(10))


# --- argument specs (helpers.checks) of what a figure is asked to draw: a clear error, never a blank or wrong panel ---
def _axes(ax, *, name="ax") -> Axes:
    if not isinstance(ax, Axes):
        raise TypeError(f"{name}: expected a matplotlib Axes (e.g. from plt.subplots()), got {type(ax).__name__}.")
    return ax


_AX = ck.using(_axes)


def _mapping(value, *, name, what: str) -> Mapping:
    """A non-empty dict, or a clear error: an empty one would draw an empty figure."""
    if not isinstance(value, Mapping):
        raise TypeError(f"{name}: expected a dict of {what}, got {type(value).__name__}.")
    if not value:
        raise ValueError(f"{name}: the dict is empty; pass at least one entry of {what}.")
    return value


def _a_dict(value, *, name):
    if not isinstance(value, Mapping):
        raise TypeError(f"{name}: expected a dict, got {type(value).__name__}.")
    return value


def _names(names, *, name, n: int | None = None, unit: str) -> list | None:
    """Tick labels or titles: None, or a list of exactly ``n``, one per ``unit`` (row, column, image)."""
    if names is None:
        return None
    if isinstance(names, (str, bytes)) or not isinstance(names, (Sequence, np.ndarray)):
        raise TypeError(f"{name}: expected a list of labels, one per {unit}, got {type(names).__name__}.")
    names = list(names)
    if n is not None and len(names) != n:
        raise ValueError(f"{name}: {len(names)} labels for {n} {unit}s; pass one label per {unit}.")
    return names


def _pictures(images, *, name, ndim: int, what: str, vmin: float = 0.0, vmax: float = 1.0) -> np.ndarray:
    """Images to draw: ``ndim`` dimensions, at least one pixel, finite, on the colour scale [vmin, vmax].

    NaN pixels would be drawn blank and 0-255 grey levels as solid black, both without a word.
    Values a little off the scale are allowed (imshow saturates them); far off means a wrong scale.
    Returns the array, float as given (other dtypes as float64).
    """
    arr = ck.check_numbers(images, name=name, ndim=ndim, what=what)
    if arr.size == 0:
        raise ValueError(f"{name}: nothing to draw (shape {arr.shape}); pass {what} holding at least one image.")
    span = vmax - vmin
    lo, hi = float(arr.min()), float(arr.max())
    if lo < vmin - span / 2 or hi > vmax + span / 2:
        hint = "; divide grey levels 0-255 by 255" if (vmin, vmax) == (0.0, 1.0) and lo >= 0 and hi <= 255 else ""
        raise ValueError(f"{name}: values span [{lo:.3g}, {hi:.3g}], far outside the colour scale "
                         f"[{vmin:g}, {vmax:g}]{hint}.")
    given = np.asarray(images)
    return given if given.dtype.kind == "f" else arr


def _alpha_values(alphas, *, name="alphas") -> np.ndarray:
    alphas = ck.check_numbers(alphas, name=name, ndim=1, what="a 1-D grid of alpha values")
    if len(alphas) == 0:
        raise ValueError(f"{name}: the grid is empty; pass at least one alpha value.")
    return alphas


_ALPHAS = ck.using(_alpha_values)


def _limits(lim, *, name) -> tuple[float, float]:
    """An axis range (low, high) of two different finite numbers (high < low flips the axis)."""
    lim = ck.check_numbers(lim, name=name, ndim=1, what="a (low, high) pair of numbers")
    if lim.shape != (2,) or lim[0] == lim[1]:
        raise ValueError(f"{name}: expected a (low, high) pair of two different numbers, got {lim.tolist()}.")
    return float(lim[0]), float(lim[1])


def _probabilities(probs, *, name, what: str) -> np.ndarray:
    """Judged probabilities: finite and in [0, 1] (log-probabilities or scores would be drawn off the axis)."""
    probs = ck.check_numbers(probs, name=name, what=what)
    if probs.size and (probs.min() < -1e-6 or probs.max() > 1 + 1e-6):
        raise ValueError(f"{name}: values span [{probs.min():.3g}, {probs.max():.3g}]; pass {what} in [0, 1], "
                         "not log-probabilities or scores.")
    return probs


def _classes(classes, *, name, n_classes: int) -> tuple[int, ...]:
    """A collection of class indices in [0, n_classes)."""
    if isinstance(classes, (str, bytes)) or not isinstance(classes, (Sequence, np.ndarray, set, frozenset)):
        raise TypeError(f"{name}: expected a list of class indices 0-{n_classes - 1}, got {type(classes).__name__}.")
    out = []
    for c in classes:
        if isinstance(c, (bool, np.bool_)) or not isinstance(c, (int, np.integer)) or not 0 <= c < n_classes:
            raise ValueError(f"{name}: {c!r} is not a class index 0-{n_classes - 1}.")
        out.append(int(c))
    return tuple(out)


def _class(c, *, name, n_classes: int) -> int:
    return _classes([c], name=name, n_classes=n_classes)[0]


def _scale_top(vmax, *, name, vmin) -> float:
    """vmax of a colour scale, above vmin."""
    vmax = ck.check_number(vmax, name=name)
    if not vmin < vmax:
        raise ValueError(f"vmin, vmax: the colour scale needs vmin < vmax, got vmin={vmin:g}, vmax={vmax:g}.")
    return vmax


def _cmap(cmap, *, name, instances: bool = False):
    """A colormap: the name of one matplotlib knows ('viridis', 'gray_r' ...), or (``instances``) a Colormap."""
    if instances and isinstance(cmap, mpl.colors.Colormap):
        return cmap
    if not isinstance(cmap, str):
        raise TypeError(f"{name} must be the name of a matplotlib colormap such as 'viridis', got {cmap!r}.")
    if cmap not in mpl.colormaps:
        import difflib

        close = difflib.get_close_matches(cmap, list(mpl.colormaps), n=3)
        hint = f" (did you mean {', '.join(map(repr, close))}?)" if close else ""
        raise ValueError(f"{name}: unknown colormap {cmap!r}{hint}; pass one of matplotlib.colormaps, "
                         "e.g. 'viridis'.")
    return cmap


def _colors(colors, *, name):
    """None (the ten digit colours) or a non-empty sequence of matplotlib colours, one per class (cycled)."""
    if colors is None:
        return None
    if isinstance(colors, (str, bytes)) or not hasattr(colors, "__len__") or isinstance(colors, Mapping):
        raise TypeError(f"{name} must be a list of colours, one per class, e.g. ['C0', 'C1'], got {colors!r}.")
    if len(colors) == 0:
        raise ValueError(f"{name} is empty; pass at least one colour, e.g. ['C0', 'C1'], or None for the defaults.")
    for c in colors:
        if not mpl.colors.is_color_like(c):
            raise ValueError(f"{name}: {c!r} is not a matplotlib colour; pass names such as 'C0' or 'red', "
                             "or RGB(A) tuples in [0, 1].")
    return colors


_COLOUR_SCALE = dict(vmin=ck.number(), vmax=ck.using(_scale_top, vmin=ref("vmin")))


def _tile_images(images, *, name) -> np.ndarray:
    images = ck.check_numbers(images, name=name, ndim=None, what="(rows, cols, H, W) images").astype(np.float32)
    if images.ndim == 3:
        images = images[None]
    if images.ndim != 4:
        raise ValueError(f"tile expects (rows, cols, H, W) images, got shape {images.shape}.")
    if images.size == 0:
        raise ValueError(f"images: nothing to tile (shape {images.shape}); pass at least one image.")
    return images


def _grid_images(images, *, name, vmin, vmax) -> np.ndarray:
    """A flat batch of images (N, 28, 28) or (N, 784) on the colour scale."""
    what = "a batch of images (N, 28, 28) or (N, 784)"
    flat = ck.check_numbers(images, name=name, finite=False, what=what)
    if flat.ndim == 2 and flat.shape[1] == 784:
        images = np.asarray(images).reshape(-1, 28, 28)
    return _pictures(images, name=name, ndim=3, what=what, vmin=vmin, vmax=vmax)


def _float_format(spec, *, name):
    """A format spec for one float, as format(0.5, spec) reads it (e.g. ".3f")."""
    if not isinstance(spec, str):
        raise TypeError(f"{name} must be a format spec such as '.3f', got {spec!r}.")
    try:
        format(0.5, spec)
    except (ValueError, TypeError) as err:
        raise ValueError(f"{name}: {spec!r} is no format spec for a float ({err}); pass e.g. '.3f' or '.1%' "
                         "(no braces, no '%').") from None
    return spec


def _value_writer(fmt, *, name):
    """A function writing one cell's value as text, e.g. lambda v: f"{100 * v:.0f}"."""
    example = 'lambda v: f"{100 * v:.0f}"'
    if not callable(fmt):
        hint = f" (for the format string {fmt!r}: lambda v: {fmt!r}.format(v))" if isinstance(fmt, str) else ""
        raise TypeError(f"{name} must be a function of one value returning text, e.g. {example}{hint}; "
                        f"got {type(fmt).__name__}.")
    try:
        text = fmt(0.5)
    except Exception as err:
        raise TypeError(f"{name} must be a function of one value returning text, e.g. {example}; "
                        f"{name}(0.5) raised {type(err).__name__}: {err}") from None
    if not isinstance(text, str):
        raise TypeError(f"{name} must return text (a str), e.g. {example}; {name}(0.5) returned "
                        f"{type(text).__name__} {text!r}.")
    return fmt


def _format_string(fmt, *, name):
    """A str.format template with one field for the value, e.g. "{:.2f}"."""
    if not isinstance(fmt, str):
        raise TypeError(f"{name} must be a format string such as '{{:.2f}}', got {type(fmt).__name__}.")
    try:
        text = fmt.format(0.5)
    except (ValueError, IndexError, KeyError) as err:
        raise ValueError(f"{name}: {fmt!r} cannot write a number ({type(err).__name__}: {err}); pass e.g. "
                         "'{:.2f}'.") from None
    if text == fmt:
        raise ValueError(f"{name}: {fmt!r} has no field for the value, so every cell would read {fmt!r}; "
                         "pass e.g. '{:.2f}'.")
    return fmt


#: The largest panel or cell side a figure takes, in inches (800 px at the notebooks' 80 dpi, beyond CONTRIBUTING's
#: 1,400-px page for two cells): matplotlib ran out of memory drawing 1,000-inch cells and refuses images of over
#: 2**23 px a side only when the figure is shown, far from the call that asked for it.
MAX_CELL_INCHES = 10.0

#: The largest font size (points) a figure's numbers take; FreeType fails drawing a million-point font.
MAX_FONT_POINTS = 100.0

#: The largest side of a whole figure, in inches: 8,000 px at the notebooks' 80 dpi, over five of CONTRIBUTING's
#: 1,400-px pages (the notebooks' largest figures are about 17 inches a side). Many panels of an allowed size
#: (MAX_CELL_INCHES) still made figures of 1,000 inches (500 columns of 2-inch cells), which matplotlib drew for
#: seconds into hundreds of MB, or failed on with std::bad_alloc (a 400 x 400 manifold of 2-inch cells).
MAX_FIGURE_INCHES = 100.0

#: A notebook page's width in inches (CONTRIBUTING: 1,400 px at 80 dpi), for the messages.
PAGE_INCHES = 17.5


def _inches(size, *, name):
    """One side of a panel or cell in inches: a number in (0, MAX_CELL_INCHES]."""
    return ck.check_number(size, name=name, low=0, high=MAX_CELL_INCHES, low_open=True)


_INCHES = ck.using(_inches)
_FONT_POINTS = ck.number(low=0, high=MAX_FONT_POINTS, low_open=True)


def _page_sized(figsize, *, wide: tuple[str, str], tall: tuple[str, str] | None = None) -> tuple[float, float]:
    """``figsize`` (width, height) in inches when neither side exceeds MAX_FIGURE_INCHES; else a ValueError.

    ``wide`` (and ``tall``, for a height that can grow) is ``(arguments, fix)``: the arguments that make the
    figure that wide (tall), and what to pass instead. Checked where the layout is worked out, just before
    the figure is made, since the whole figure's size follows from several arguments at once.
    """
    for inches, side, why in zip(figsize, ("wide", "tall"), (wide, tall)):
        if why is not None and inches > MAX_FIGURE_INCHES:
            names, fix = why
            raise ValueError(f"{names}: the figure would be {inches:,.4g} inches {side}, more than the "
                             f"{MAX_FIGURE_INCHES:g} inches a figure may take (a notebook page is {PAGE_INCHES:g} "
                             f"inches wide); {fix}.")
    return figsize


def _cell_shape(cell, *, name):
    """(width, height) of one panel in inches: two numbers in (0, MAX_CELL_INCHES]."""
    if isinstance(cell, (str, bytes)) or not isinstance(cell, (tuple, list)) or len(cell) != 2:
        raise TypeError(f"{name} must be (width, height) in inches, e.g. (2.6, 1.7), got {cell!r}.")
    return tuple(_inches(c, name=f"{name}[{i}]") for i, c in enumerate(cell))


def _cell_size(cell_size, *, name, ax=None):
    """A cell size in (0, MAX_CELL_INCHES] inches (used only when the figure is made here, ``ax`` None)."""
    return _inches(cell_size, name=name) if ax is None else cell_size


def _ellipse_variances(variances, *, name, mean):
    variances = ck.check_numbers(variances, name=name, ndim=1, what="two variances (var_x, var_y)")
    if mean.shape != (2,) or variances.shape != (2,):
        raise ValueError(f"mean and variances: expected two numbers each, got shapes {mean.shape} and "
                         f"{variances.shape}.")
    if np.any(variances < 0):
        raise ValueError(f"variances: must be non-negative, got {variances.tolist()}.")
    return variances


def _points_2d(codes, *, name):
    codes = ck.check_numbers(codes, name=name, what="(N, 2) codes")
    if codes.ndim != 2 or codes.shape[1] != 2:
        raise ValueError(f"latent_scatter needs (N, 2) codes, got {codes.shape}; project them first.")
    return codes


def _history_keys(keys, *, name, history):
    """The keys of ``history`` to draw (None: all), each a list of one number per epoch."""
    keys = _names(keys, name=name, unit="panel") or list(history.keys())
    unknown = [k for k in keys if k not in history]
    if unknown:
        raise ValueError(f"keys: {unknown} not in history; it holds {list(history)}.")
    for key in keys:
        values = ck.check_numbers(history[key], name=f"history[{key!r}]", ndim=1, what="one number per epoch")
        if len(values) == 0:
            raise ValueError(f"history[{key!r}]: no epochs to plot; pass one number per epoch.")
    return keys


def _table_rows(rows, *, name):
    if isinstance(rows, (str, bytes, Mapping)) or not isinstance(rows, (Sequence, np.ndarray)):
        raise TypeError(f"rows: expected a list of dicts (one per table row), got {type(rows).__name__}.")
    bad = [i for i, r in enumerate(rows) if not isinstance(r, Mapping)] if len(rows) else []
    if bad:
        raise TypeError(f"rows: row {bad[0]} is a {type(rows[bad[0]]).__name__}; pass a list of dicts "
                        "(one per table row).")
    return rows


def _table_columns(columns, *, name, rows):
    """The columns to show (None: every key of any row, in the order they first appear), each held by some row."""
    if not len(rows):
        return columns
    every_key = list(dict.fromkeys(key for row in rows for key in row))  # a later row's extra column is kept
    columns = _names(columns, name=name, unit="column") or every_key
    unknown = [c for c in columns if not any(c in r for r in rows)]
    if unknown:
        raise ValueError(f"columns: no row has {unknown}; the rows' keys are {list(rows[0].keys())}.")
    return columns


def _legend_format(label, *, name):
    if label is not None and not isinstance(label, str):
        raise TypeError(f"label: expected a legend format such as 'class {{}}', or None, got {type(label).__name__}.")
    return label


def _class_ids(y, *, name, x):
    """Integer class labels, one per point of x (N, 2); returned as given (np.asarray)."""
    ids = ck.check_numbers(y, name=name, what="integer class labels (N,)")
    if x.ndim != 2 or x.shape[1] != 2 or ids.shape != (len(x),):
        raise ValueError(f"class_scatter needs points (N, 2) and labels (N,), got {x.shape} and {ids.shape}.")
    if np.any(ids != np.round(ids)):
        raise ValueError("y: contains fractional values; pass integer class labels (N,).")
    return np.asarray(y)


def _class_means(means, *, name):
    return np.atleast_2d(ck.check_numbers(means, name=name, what="(K, 2) class means"))


def _class_moments(variances, *, name, means):
    variances = np.atleast_2d(ck.check_numbers(variances, name=name, what="(K, 2) class variances"))
    if means.shape != variances.shape or means.ndim != 2 or means.shape[1] != 2:
        raise ValueError(f"nb_ellipses needs (K, 2) means and variances, got {means.shape} and {variances.shape}.")
    if np.any(variances < 0):
        raise ValueError("variances: must be non-negative (they are the classes' variances).")
    return variances


def _n_sigmas(n_sigmas, *, name):
    n_sigmas = ck.check_numbers(n_sigmas, name=name, ndim=(0, 1), what="positive numbers of SDs, e.g. (1, 2)")
    if np.any(n_sigmas <= 0):
        raise ValueError(f"n_sigmas: must be positive numbers of SDs, got {n_sigmas.tolist()}.")
    return np.atleast_1d(n_sigmas).tolist()


def _probability_function(predict_proba, *, name):
    if not callable(predict_proba):
        raise TypeError(f"predict_proba: expected a function from (N, 2) points to (N, K) probabilities, such as "
                        f"model.predict_proba, got {type(predict_proba).__name__}.")
    return predict_proba


def _levels(levels, *, name):
    levels = ck.check_numbers(levels, name=name, ndim=1, what="increasing probability levels in (0, 1)")
    if levels.size and (levels.min() <= 0 or levels.max() >= 1 or np.any(np.diff(levels) <= 0)):
        raise ValueError(f"levels: expected increasing probability levels in (0, 1), got {levels.tolist()}.")
    return levels


def _grid_probabilities(predict_proba, points: np.ndarray) -> np.ndarray:
    """What ``predict_proba`` says on the grid's points, refused unless one probability row per point."""
    proba = ck.check_numbers(predict_proba(points), name="predict_proba", finite=False,
                             what="(N, K) class probabilities")
    if proba.ndim != 2 or proba.shape[0] != len(points) or proba.shape[1] < 1:
        raise ValueError(f"predict_proba returned shape {proba.shape}, expected ({len(points)}, K).")
    if not np.all(np.isfinite(proba)) or proba.min() < -1e-6 or proba.max() > 1 + 1e-6 \
            or not np.allclose(proba.sum(axis=1), 1.0, atol=1e-3):
        raise ValueError("predict_proba: returned values that are not probabilities (finite, in [0, 1], each row "
                         "summing to 1); pass the model's predict_proba, not log-probabilities or scores.")
    return proba


def _curve_rows(rows, *, name):
    """{"model", "n", "error"} dicts, n > 0 and error in (0, 1] (both axes are logarithmic)."""
    if isinstance(rows, (str, bytes, Mapping)) or not isinstance(rows, (Sequence, np.ndarray)):
        raise TypeError(f"rows: expected a list of {{'model', 'n', 'error'}} dicts, got {type(rows).__name__}.")
    if not rows:
        raise ValueError("learning_curves needs at least one row.")
    for i, r in enumerate(rows):
        if not isinstance(r, Mapping) or not {"model", "n", "error"} <= set(r):
            raise ValueError(f"rows[{i}]: expected a dict with keys 'model', 'n' and 'error', got {r!r}.")
        # both axes are logarithmic: a zero or negative value would silently vanish from the figure
        ck.check_number(r["n"], name=f"rows[{i}]['n']", low=0, low_open=True)
        ck.check_number(r["error"], name=f"rows[{i}]['error']", low=0, high=1, low_open=True)
    return rows


def _finite_scores(values, *, name):
    values = ck.check_numbers(values, name=name, finite=False, what="scores (N,)")
    values = values[np.isfinite(values)]
    if values.size == 0:
        raise ValueError("symlog_bins needs at least one finite value.")
    return values


def _score_groups(groups, *, name):
    """{name: scores (N,)} with at least one finite score among them."""
    if not isinstance(groups, Mapping):
        raise TypeError(f"groups: expected a dict of name -> scores (N,), got {type(groups).__name__}.")
    if not groups:
        raise ValueError("score_histograms needs at least one group.")
    checked_ = [ck.check_numbers(v, name=f"groups[{key!r}]", ndim=(0, 1), finite=False, what="scores (N,)")
                for key, v in groups.items()]
    if not np.isfinite(np.concatenate([np.atleast_1d(v) for v in checked_])).any():
        raise ValueError("groups: no finite score to draw; pass scores with at least one finite value.")
    return groups


def _axes_list(axes, *, name):
    axes = np.atleast_1d(np.asarray(axes, dtype=object)).ravel()
    for ax in axes:
        _axes(ax, name=name)
    return axes


def _image_sets(image_sets, *, name, axes):
    """{name: images (N >= 1, 28, 28)}, one set per axes."""
    image_sets = _mapping(image_sets, name=name, what="name -> images (N, 28, 28)")
    if len(axes) != len(image_sets):
        raise ValueError(f"pixel_pair_hist got {len(axes)} axes for {len(image_sets)} image sets.")
    out = {}
    for key, images in image_sets.items():
        images = ck.check_images(images, name=f"image_sets[{key!r}]")
        if len(images) == 0:
            raise ValueError(f"image_sets[{key!r}]: no images; pass at least one image per set.")
        out[key] = images
    return out


def _pixel(pixel, *, name):
    """A (row, column) pixel with a right-hand neighbour in a 28 x 28 image."""
    if (isinstance(pixel, (str, bytes)) or not isinstance(pixel, (Sequence, np.ndarray)) or len(pixel) != 2
            or any(isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, np.integer)) for v in pixel)):
        raise TypeError(f"pixel: expected a (row, column) pair of integers, got {pixel!r}.")
    r, c = (int(v) for v in pixel)
    if not (0 <= r < 28 and 0 <= c < 27):
        raise ValueError(f"pixel {pixel} has no right-hand neighbour inside a 28 x 28 image.")
    return r, c


def _series(values, *, name):
    """{series name: one value per class}, every series as long."""
    if not isinstance(values, Mapping):
        raise TypeError(f"values: expected a dict of series name -> one value per class, got {type(values).__name__}.")
    if not values:
        raise ValueError("per_class_bars needs at least one series.")
    values = {label: ck.check_numbers(v, name=f"values[{label!r}]", ndim=1, what="one value per class")
              for label, v in values.items()}
    lengths = {len(v) for v in values.values()}
    if len(lengths) != 1:
        raise ValueError(f"every series needs one value per class; got lengths {sorted(lengths)}.")
    return values


def _class_names(class_names, *, name, values):
    k = len(next(iter(values.values())))
    names = _names(class_names, name=name, unit="class") if class_names is not None else [str(i) for i in range(k)]
    if len(names) != k:
        raise ValueError(f"class_names: {len(names)} class names for {k} classes.")
    return names


def _model_grids(grids, *, name):
    """{model: (rows, cols, 28, 28) grid}, every grid with the same rows and columns."""
    grids = _mapping(grids, name=name, what="model name -> (rows, cols, 28, 28) grid")
    grids = {key: _pictures(g, name=f"grids[{key!r}]", ndim=4, what="a (rows, cols, 28, 28) grid of images")
             for key, g in grids.items()}
    rows, cols = next(iter(grids.values())).shape[:2]
    if any(g.shape[:2] != (rows, cols) for g in grids.values()):
        raise ValueError(f"grids: every grid must have the same rows and columns, got "
                         f"{ {n: g.shape[:2] for n, g in grids.items()} }.")
    return grids


def _classes_per_epoch(found, *, name):
    found = _mapping(found, name=name, what="model name -> classes found per epoch")
    for key, values in found.items():
        ck.check_numbers(values, name=f"classes_per_epoch[{key!r}]", ndim=1, what="classes found, one per epoch")
    return found


def _final_counts(final_counts, *, name, n_classes):
    final_counts = _mapping(final_counts, name=name, what="model name -> sample count per class")
    for key, counts in final_counts.items():
        counts = ck.check_numbers(counts, name=f"final_counts[{key!r}]", ndim=1,
                                  what=f"one sample count per class ({n_classes})")
        if counts.shape != (n_classes,) or np.any(counts < 0):
            raise ValueError(f"final_counts[{key!r}]: expected {n_classes} non-negative counts (one per class), "
                             f"got {counts.tolist()}.")
    return final_counts


def _grid_size(n, *, name):
    n = _fits(n, name=name, what="grid values")
    if n < 2:
        raise ValueError(f"a quantile grid needs at least 2 points per axis, got n={n}.")
    return n


def _tail(tail, *, name):
    if isinstance(tail, (bool, np.bool_)) or not isinstance(tail, (int, float, np.integer, np.floating)):
        raise TypeError(f"tail must be a number in (0, 0.5), got {tail!r}.")
    if not 0.0 < tail < 0.5:
        raise ValueError(f"tail must lie in (0, 0.5), got {tail}; 0 would put a code at infinity.")
    return tail


def _decoder(decode, *, name):
    if not callable(decode):
        raise TypeError(f"decode: expected a function from (N, 2) codes to images, such as model.decode, "
                        f"got {type(decode).__name__}.")
    return decode


def _decoded_images(decode, codes: np.ndarray) -> np.ndarray:
    """What ``decode`` gives for the codes, refused unless one image in [0, 1] per code."""
    images = np.asarray(decode(codes))
    if images.shape != (len(codes), 28, 28):
        raise ValueError(f"decode returned shape {images.shape} for {len(codes)} codes; "
                         f"expected ({len(codes)}, 28, 28).")
    _pictures(images, name="decode", ndim=3, what="images (N, 28, 28) in [0, 1]")
    return images


def _upper(hi, *, name, lo):
    hi = ck.check_number(hi, name=name)
    if lo > hi:
        raise ValueError(f"lo and hi: the interpolation range needs lo <= hi, got lo={lo:g}, hi={hi:g}.")
    return hi


def _alpha_probabilities(probs, *, name, alphas):
    probs = _probabilities(probs, name=name, what="(len(alphas), n_classes) probabilities")
    if probs.ndim != 2 or probs.shape[0] != len(alphas):
        raise ValueError(f"probs must be (len(alphas), n_classes) = ({len(alphas)}, 10), got {probs.shape}.")
    return probs


def _strip_alphas(alphas, *, name, frames):
    alphas = _alpha_values(alphas, name=name)
    if len(frames) != len(alphas):
        raise ValueError(f"{len(frames)} frames for {len(alphas)} alphas.")
    return alphas


def _judged_paths(paths, *, name):
    """{model: (frames, {judge: probs})}, every model judged by the same judges."""
    paths = _mapping(paths, name=name, what="model name -> (frames (A, 28, 28), {judge name: probs (A, 10)})")
    for key, entry in paths.items():
        if not (isinstance(entry, (tuple, list)) and len(entry) == 2 and isinstance(entry[1], Mapping) and entry[1]):
            raise TypeError(f"paths[{key!r}]: expected a (frames, {{judge name: probs}}) pair, got "
                            f"{type(entry).__name__}.")
    judges = list(next(iter(paths.values()))[1])
    for key, (_, probs) in paths.items():
        if list(probs) != judges:
            raise ValueError(f"paths[{key!r}]: judges {list(probs)} differ from the first model's {judges}; "
                             "pass the same judges for every model.")
    return paths


def _band_values(values, *, name, alphas):
    values = ck.check_numbers(values, name=name, what=f"values (M, {len(alphas)}), one column per alpha")
    if values.ndim != 2 or values.shape[1] != len(alphas) or len(values) == 0:
        raise ValueError(f"values must be (M, {len(alphas)}) with M >= 1, got {values.shape}.")
    return values


def _quantile_pair(quantiles, *, name):
    quantiles = ck.check_numbers(quantiles, name=name, ndim=1, what="a (low, high) pair of quantiles in [0, 1]")
    if quantiles.shape != (2,) or quantiles.min() < 0 or quantiles.max() > 1:
        raise ValueError(f"quantiles: expected a (low, high) pair in [0, 1], got {quantiles.tolist()}.")
    return quantiles


def _square_matrix(matrix, *, name):
    # NaN (no value, e.g. the diagonal) and +inf ("never") are drawn on purpose; -inf has no meaning here
    m = ck.check_numbers(matrix, name=name, finite=False, what="a square matrix [start class, target class]")
    if m.ndim != 2 or m.shape[0] != m.shape[1] or m.size == 0:
        raise ValueError(f"class_heatmap needs a square matrix, got {m.shape}.")
    if np.isneginf(m).any():
        raise ValueError("matrix: contains -inf; pass finite values, NaN for no value or +inf for never.")
    return m


def _grid_columns(col_names, *, name, row_names, matrices):
    """Column names of a grid of heatmaps: with the row names, at least one of the matrices' keys."""
    col_names = _names(col_names, name=name, unit="column")
    if not row_names or not col_names:
        raise ValueError("row_names and col_names: pass at least one name each.")
    if not any((r, c) in matrices for r in row_names for c in col_names):
        raise ValueError(f"matrices: no key (row, col) matches row_names x col_names; its keys are "
                         f"{list(matrices)[:4]}..., the grid asks for e.g. {(row_names[0], col_names[0])!r}.")
    return col_names


def _flat(values, *, name, like=None):
    """One figure per pair (raveled), as many as ``like``."""
    values = ck.check_numbers(values, name=name, finite=False, what="one figure per pair").ravel()
    if like is not None and values.shape != like.shape:
        raise ValueError(f"x_values and y_values: {like.size} and {values.size} values; pass one of each per pair.")
    return values


def _judge_curves(probs, *, name, alphas):
    """{judge: probabilities (n >= 1, A, n_classes)}."""
    probs = _mapping(probs, name=name, what="judge name -> probabilities (n, A, 10)")
    out = {}
    for judge, p in probs.items():
        p = _probabilities(p, name=f"probs[{judge!r}]", what=f"probabilities (n, {len(alphas)}, n_classes)")
        if p.ndim != 3 or p.shape[1] != len(alphas) or len(p) == 0:
            raise ValueError(f"probs[{judge!r}]: expected (n >= 1, {len(alphas)}, n_classes), got {p.shape}.")
        out[judge] = p
    return out


def _n_judged_classes(probs):
    return list(probs.values())[-1].shape[2]


def _entropies(entropy, *, name):
    entropy = _mapping(entropy, name=name, what="model name -> {judge name: (M, A) entropies}")
    for model, per_judge in entropy.items():
        _mapping(per_judge, name=f"entropy[{model!r}]", what="judge name -> (M, A) entropies")
    return entropy


def _levels_dict(refs, *, name):
    """{key: level}: a dict of numbers (the real-data levels)."""
    refs = _a_dict(refs, name=name)
    for key, level in refs.items():
        ck.check_number(level, name=f"{name}[{key!r}]")
    return refs


def _model_probs(probs, *, name, frames):
    if not isinstance(probs, Mapping):
        raise TypeError(f"probs: expected a dict of model name -> {{judge name: (n, A, 10)}}, got "
                        f"{type(probs).__name__}.")
    missing = [key for key in frames if key not in probs]
    if missing:
        raise ValueError(f"probs: no probabilities for {missing}; pass one entry per model in frames.")
    return probs


def _success_curves(curves, *, name, alphas):
    curves = _mapping(curves, name=name, what=f"model name -> success rates ({len(alphas)},)")
    curves = {key: _probabilities(c, name=f"curves[{key!r}]", what=f"success rates ({len(alphas)},), one per alpha")
              for key, c in curves.items()}
    for key, c in curves.items():
        if c.shape != alphas.shape:
            raise ValueError(f"curves[{key!r}]: expected {len(alphas)} success rates (one per alpha), got shape "
                             f"{c.shape}.")
    return curves


def _labels_of_values(labels, *, name, values):
    """Class labels (N,), one per value of every attribute in ``values``."""
    labels = ck.check_labels(labels, name=name)
    for key, v in values.items():
        # NaN is expected here (a blank image has no slant) and left out of the boxes
        v = ck.check_numbers(v, name=f"values[{key!r}]", finite=False, what=f"one value per digit ({len(labels)},)")
        if v.shape != labels.shape:
            raise ValueError(f"values[{key!r}]: {v.size} values for {len(labels)} labels; pass one per digit.")
    return labels


def _units(units, *, name):
    if units is not None and not isinstance(units, Mapping):
        raise TypeError(f"units: expected a dict of attribute name -> unit, got {type(units).__name__}.")
    return units


def _dose_models(models, *, name, curves, alphas, methods, attributes):
    """Model names of a dose figure; with methods and attributes, at least one drawable curve."""
    models = _names(models, name=name, unit="model")
    if not (methods and attributes and models):
        raise ValueError("methods, attributes and models: pass at least one name each.")
    for key, c in curves.items():
        if c is not None:
            # NaN marks a missing direction, left out of the panel
            c = ck.check_numbers(c, name=f"curves[{key!r}]", finite=False,
                                 what=f"a curve ({len(alphas)},), one per alpha")
            if c.shape != alphas.shape:
                raise ValueError(f"curves[{key!r}]: expected {len(alphas)} values (one per alpha), got {c.shape}.")
    if not any((m, a, meth) in curves for m in models for a in attributes for meth in methods):
        raise ValueError("curves: no (model, attribute, method) key matches models x attributes x methods; the "
                         "figure would be empty.")
    return models


def _dose_curves(curves, *, name):
    if not isinstance(curves, Mapping):
        raise TypeError(f"curves: expected a dict of (model, attribute, method) -> (A,) curve, got "
                        f"{type(curves).__name__}.")
    return curves


def _titled_matrices(matrices, *, name, row_names, col_names):
    """{title: (rows, cols) matrix} of finite numbers or NaN, each matching row_names x col_names."""
    matrices = _mapping(matrices, name=name, what="title -> (rows, cols) matrix")
    out = {}
    for title, m in matrices.items():
        # NaN marks a missing entry, drawn grey
        m = ck.check_numbers(m, name=f"matrices[{title!r}]", finite=False, what="a (rows, cols) matrix")
        if m.shape != (len(row_names), len(col_names)):
            raise ValueError(f"matrices[{title!r}]: expected shape ({len(row_names)}, {len(col_names)}) to match "
                             f"row_names and col_names, got {m.shape}.")
        if np.isinf(m).any():
            raise ValueError(f"matrices[{title!r}]: contains infinite values; pass finite numbers (NaN for none).")
        out[title] = m
    return out


def _fits(n, *, name, minimum: int = 0, bytes_each: float = 8.0, power: int = 1, what: str = "values"):
    """A count whose ``n ** power`` values of ``bytes_each`` bytes fit in memory."""
    n = ck.check_count(n, name=name, minimum=minimum)
    check_memory(bytes_each * float(n) ** power, name=name, what=f"{what} for {name}={n:,}")
    return n


def _pad(pad, *, name, images):
    pad = ck.check_count(pad, name=name)
    rows, cols, h, w = images.shape
    check_memory(4.0 * (rows * (h + pad)) * (cols * (w + pad)), name=name, what=f"a canvas with pad={pad:,}")
    return pad


def _every(every, *, name, alphas):
    """Show every ``every``-th frame; a step longer than the grid shows its first frame, whatever its size."""
    return min(ck.check_count(every, name=name, minimum=1), max(1, len(alphas)))


def _named(unit: str):
    """A spec: a list of names, one per ``unit`` (no fixed count)."""
    return ck.using(_names, unit=unit)


@checked(images=ck.using(_tile_images), pad=ck.using(_pad, images=ref("images")), pad_value=ck.number())
def tile(images: np.ndarray, pad: int = 1, pad_value: float = 1.0) -> np.ndarray:
    """Tile a (rows, cols, H, W) array of images into one (rows*H, cols*W) canvas."""
    rows, cols, h, w = images.shape
    canvas = np.full((rows * (h + pad) - pad, cols * (w + pad) - pad), pad_value, np.float32)
    for r in range(rows):
        for c in range(cols):
            canvas[r * (h + pad): r * (h + pad) + h, c * (w + pad): c * (w + pad) + w] = images[r, c]
    return canvas


@checked(**_COLOUR_SCALE, images=ck.using(_grid_images, vmin=ref("vmin"), vmax=ref("vmax")),
         titles=ck.using(_names, n=ref("images", len), unit="image"), ncols=ck.count(minimum=1),
         cell_size=_INCHES, cmap=ck.using(_cmap, instances=True))
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
    n = len(images)
    ncols = max(1, min(ncols, n))
    nrows = int(np.ceil(n / ncols))
    # Room for each row's titles and for the suptitle, so that neither overlaps the images.
    title_room = 0.2 if titles is not None else 0.0
    suptitle_room = 0.4 if suptitle else 0.0
    height = (cell_size + title_room) * nrows + suptitle_room
    figsize = _page_sized((cell_size * ncols, height),
                          wide=("ncols and cell_size", "pass a smaller ncols or cell_size"),
                          tall=("images, ncols and cell_size", f"{n:,} images in rows of {ncols} make {nrows:,} rows; "
                                "pass fewer images, a larger ncols or a smaller cell_size"))
    fig, axes = plt.subplots(nrows, ncols, figsize=figsize, squeeze=False)
    for i, ax in enumerate(axes.flat):
        ax.axis("off")
        if i < n:
            ax.imshow(images[i], cmap=cmap, vmin=vmin, vmax=vmax, interpolation="nearest")
            if titles is not None:
                ax.set_title(titles[i], fontsize=8, pad=2)
    if suptitle:
        fig.suptitle(suptitle, y=1 - 0.05 / height)
    # Fixed margins (tight_layout ignores the titles of all rows but the first and lets them hide under images).
    fig.subplots_adjust(left=0.005, right=0.995, bottom=0.01, top=1 - (suptitle_room + title_room) / height,
                        wspace=0.05, hspace=(title_room + 0.05) / cell_size)
    return fig


@checked(grid=ck.using(_pictures, ndim=4, what="a (rows, cols, 28, 28) grid of images"),
         row_labels=ck.using(_names, n=ref("grid", len), unit="row"),
         col_labels=ck.using(_names, n=ref("grid", lambda grid: grid.shape[1]), unit="column"),
         cell_size=ck.using(_cell_size, ax=ref("ax")), ax=ck.optional(_AX), cmap=ck.using(_cmap, instances=True))
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
    rows, cols, h, w = grid.shape
    if ax is None:
        fig, ax = plt.subplots(figsize=_page_sized(
            (cell_size * cols + 1.2, cell_size * rows + 0.6),
            wide=("grid and cell_size", f"the grid has {cols:,} columns; pass fewer columns or a smaller cell_size"),
            tall=("grid and cell_size", f"the grid has {rows:,} rows; pass fewer rows or a smaller cell_size")))
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


@checked(ax=_AX, mean=ck.numbers(ndim=1, what="a 2-D point (x, y)"),
         variances=ck.using(_ellipse_variances, mean=ref("mean")), n_sigma=ck.number(low=0, low_open=True))
def gaussian_ellipse(ax, mean, variances, n_sigma: float = 1.0, **kwargs) -> Ellipse:
    """Draw the n-sigma contour of an axis-aligned 2-D Gaussian (a Naive Bayes class)."""
    sd = np.sqrt(variances)
    patch = Ellipse(tuple(mean), 2 * n_sigma * sd[0], 2 * n_sigma * sd[1], fill=False, **kwargs)
    ax.add_patch(patch)
    return patch


@checked(ax=_AX, codes=ck.using(_points_2d), labels=ck.labels(n=ref("codes", len)), s=ck.positive())
def latent_scatter(ax, codes: np.ndarray, labels: np.ndarray, title: str | None = None, s: float = 2.0):
    """Scatter 2-D codes coloured by digit, with a legend (notebooks 03 and 04)."""
    for d in range(10):
        m = labels == d
        ax.scatter(codes[m, 0], codes[m, 1], s=s, color=DIGIT_COLORS[d], label=str(d), alpha=0.6, linewidths=0)
    ax.legend(markerscale=5, fontsize=8, loc="upper right", ncol=2, frameon=False)
    ax.set_aspect("equal", adjustable="datalim")
    if title:
        ax.set_title(title)
    return ax


@checked(history=ck.using(_mapping, what="per-epoch values, such as {'loss': [...]}"),
         keys=ck.using(_history_keys, history=ref("history")))
def training_curves(history: dict[str, list[float]], keys: Sequence[str] | None = None, title: str | None = None):
    """Plot per-epoch training metrics side by side (one panel per key)."""
    figsize = _page_sized((3.2 * len(keys), 2.8), wide=("keys", f"{len(keys):,} panels of 3.2 inches side by side; "
                                                       "pass fewer keys, e.g. keys=['loss']"))
    fig, axes = plt.subplots(1, len(keys), figsize=figsize, squeeze=False)
    for ax, key in zip(axes[0], keys):
        values = history[key]
        ax.plot(np.arange(1, len(values) + 1), values, marker="o", ms=3)
        ax.set_xlabel("epoch")
        ax.set_title(key)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


@checked(rows=ck.using(_table_rows), columns=ck.using(_table_columns, rows=ref("rows")),
         floatfmt=ck.using(_float_format))
def table(rows: Sequence[dict], columns: Sequence[str] | None = None, floatfmt: str = ".3f") -> str:
    """A markdown table from dicts; notebooks print it with IPython's Markdown."""
    if len(rows) == 0:
        return ""

    def fmt(v):
        if isinstance(v, (float, np.floating)):
            return format(float(v), floatfmt)
        return str(v).replace("|", "\\|")  # a bare "|" (as in p(y|x)) would split the cell

    lines = ["| " + " | ".join(fmt(c) for c in columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(fmt(r.get(c, "")) for c in columns) + " |" for r in rows]
    return "\n".join(lines)


@checked(value=ck.number(), floatfmt=ck.using(_float_format))
def as_printed(value: float, floatfmt: str = ".3f") -> float:
    """``value`` rounded as :func:`table` prints it with ``floatfmt`` (notebooks 08 and 09).

    Prose computed from a table's numbers (a share, a ratio, a difference) then agrees with the
    table a reader sees: 0.995 printed as 0.99 is 99% in the text, not 100%.
    """
    text = format(float(value), floatfmt)
    return float(text[:-1]) / 100 if text.endswith("%") else float(text)


# --- notebook 01: 2-D class models, learning curves, score histograms ------------


@checked(ax=_AX, label=ck.using(_legend_format), x=ck.numbers(what="points (N, 2)"),
         y=ck.using(_class_ids, x=ref("x")), colors=ck.using(_colors), s=ck.positive(), alpha=ck.number(low=0, high=1))
def class_scatter(ax, x: np.ndarray, y: np.ndarray, *, marker: str = "o", s: float = 12.0, alpha: float = 0.5,
                  label: str | None = "class {}", colors=None):
    """Scatter 2-D points coloured by class (notebook 01); ``label`` formats the legend entry."""
    colors = DIGIT_COLORS if colors is None else colors
    for c in np.unique(y):
        m = y == c
        ax.scatter(x[m, 0], x[m, 1], s=s, marker=marker, color=colors[int(c) % len(colors)], alpha=alpha,
                   linewidths=0 if marker == "o" else 1.0, label=label.format(c) if label else None)
    return ax


@checked(ax=_AX, means=ck.using(_class_means), variances=ck.using(_class_moments, means=ref("means")),
         n_sigmas=ck.using(_n_sigmas), colors=ck.using(_colors))
def nb_ellipses(ax, means: np.ndarray, variances: np.ndarray, n_sigmas: Sequence[float] = (1.0, 2.0), colors=None):
    """Each class's axis-aligned Gaussian as n-sigma ellipses plus its mean (notebook 01)."""
    colors = DIGIT_COLORS if colors is None else colors
    for k, (mu, var) in enumerate(zip(means, variances)):
        for n_sigma in n_sigmas:
            # the 1-sigma contour solid, wider ones dashed, so the eye reads them as nested
            gaussian_ellipse(ax, mu, var, n_sigma, color=colors[k % len(colors)], lw=2 if n_sigma == 1 else 1.2,
                             ls="-" if n_sigma == 1 else "--")
        ax.plot(*mu, marker="+", ms=12, mew=2.5, color=colors[k % len(colors)])
    return ax


@checked(ax=_AX, predict_proba=ck.using(_probability_function), xlim=ck.using(_limits), ylim=ck.using(_limits),
         resolution=ck.using(_fits, minimum=2, bytes_each=8.0 * 4, power=2, what="a grid of points"),
         levels=ck.using(_levels), colors=ck.using(_colors))
def probability_map(ax, predict_proba, xlim: tuple[float, float], ylim: tuple[float, float], *,
                    levels: Sequence[float] = (0.5, 0.7, 0.9, 0.99), resolution: int = 200, colors=None):
    """What a classifier learns in 2-D: shaded decision regions, the boundary, and contours of max p(y|x).

    ``predict_proba`` maps (N, 2) points to (N, K) class probabilities (notebook 01).
    Returns the contour set so a caller can label it.
    """
    colors = DIGIT_COLORS if colors is None else colors
    gx, gy = np.meshgrid(np.linspace(*xlim, resolution), np.linspace(*ylim, resolution))
    proba = _grid_probabilities(predict_proba, np.c_[gx.ravel(), gy.ravel()])
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


@checked(rows=ck.using(_curve_rows), ax=ck.optional(_AX))
def learning_curves(rows: Sequence[dict], ax=None, title: str | None = None):
    """Test error against training-set size, one line per model, log-log (notebook 01).

    ``rows`` are ``{"model", "n", "error"}`` dicts, several per size when the
    size was drawn more than once: each draw is a dot, the line joins the
    means and the band spans min to max, so the spread is visible.
    """
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


@checked(values=ck.using(_finite_scores), linthresh=ck.number(low=0, low_open=True),
         n_bins=ck.using(_fits, minimum=1, what="bin edges"))
def symlog_bins(values: np.ndarray, linthresh: float, n_bins: int = 40) -> np.ndarray:
    """Bin edges evenly spaced on a symlog axis (finite values only), so histograms spanning many decades look even."""
    from matplotlib.scale import SymmetricalLogTransform

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


@checked(ax=_AX, groups=ck.using(_score_groups), bins=ck.using(_fits, minimum=1, what="bin edges"))
def score_histograms(ax, groups: dict[str, np.ndarray], *, bins: int = 40, symlog: float | None = None,
                     xlabel: str | None = None, title: str | None = None):
    """Overlaid density histograms of one score for several image groups (notebook 01).

    ``symlog`` (a linear threshold) switches the x axis to symlog for scores
    such as log p(x) that span many orders of magnitude.
    """
    values = np.concatenate([np.atleast_1d(np.asarray(v, dtype=np.float64)) for v in groups.values()])
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


@checked(axes=ck.using(_axes_list), image_sets=ck.using(_image_sets, axes=ref("axes")), pixel=ck.using(_pixel),
         bins=ck.using(_fits, minimum=1, power=2, what="a 2-D histogram"))
def pixel_pair_hist(axes, image_sets: dict[str, np.ndarray], pixel: tuple[int, int] = (14, 13), bins: int = 20):
    """For each image set, a 2-D histogram of a pixel against its right-hand neighbour (notebook 02).

    Real digits put the mass on the diagonal (neighbours are dark or light
    together); independent Naive Bayes pixels spread it over the square. A
    histogram rather than a scatter, because most values sit exactly at 0 or
    1 and a scatter would hide how many. Colour is the share of images, on a
    log scale shared by all panels.
    """
    from matplotlib.colors import LogNorm

    r, c = pixel
    edges = np.linspace(0.0, 1.0, bins + 1)
    shares = []
    for images in image_sets.values():
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


@checked(ax=_AX, values=ck.using(_series), class_names=ck.using(_class_names, values=ref("values")))
def per_class_bars(ax, values: dict[str, np.ndarray], class_names: Sequence[str] | None = None,
                   ylabel: str | None = None, title: str | None = None):
    """Grouped bars: one group per class, one bar per series (notebook 02's judge shares)."""
    k, names = len(class_names), class_names
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


@checked(grids=ck.using(_model_grids), cell_size=_INCHES)
def model_grids(grids: dict, row_labels=None, col_labels=None, title: str | None = None, cell_size: float = 0.32):
    """Several (rows, cols, 28, 28) grids side by side, one panel per model (notebook 05)."""
    names = list(grids)
    rows, cols = next(iter(grids.values())).shape[:2]
    figsize = _page_sized((len(names) * (cols * cell_size + 0.5) + 0.6, rows * cell_size + 0.8),
                          wide=("grids and cell_size", f"{len(names)} grids of {cols:,} columns side by side; pass "
                                "fewer grids, grids of fewer columns or a smaller cell_size"),
                          tall=("grids and cell_size", f"grids of {rows:,} rows; pass grids of fewer rows or a "
                                "smaller cell_size"))
    fig, axes = plt.subplots(1, len(names), figsize=figsize, squeeze=False)
    for i, (ax, name) in enumerate(zip(axes[0], names)):
        show_canvas(grids[name], row_labels=row_labels if i == 0 else None, col_labels=col_labels,
                    title=name, ax=ax)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


@checked(n_classes=ck.count(minimum=1), classes_per_epoch=ck.using(_classes_per_epoch),
         final_counts=ck.using(_final_counts, n_classes=ref("n_classes")))
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


@checked(n=ck.using(_grid_size), tail=ck.using(_tail))
def normal_quantile_grid(n: int = 20, tail: float = 0.05) -> np.ndarray:
    """n values of z at evenly spaced probabilities of N(0, 1), from ``tail`` to ``1 - tail``.

    Equal steps in probability rather than in z: each row and column of a
    decoded manifold then covers the same share of the prior's mass, so the
    dense middle of the prior gets most of the cells (notebook 03).
    """
    from scipy.stats import norm

    return norm.ppf(np.linspace(tail, 1.0 - tail, int(n)))


def _manifold_figsize(n: int, cell_size: float) -> tuple[float, float]:
    """The (width, height) in inches of latent_manifold's own figure: n x n cells and room for the ticks."""
    return cell_size * n + 0.8, cell_size * n + 0.6


def _manifold_cell_size(cell_size, *, name, n, ax):
    """A cell size in inches; with the figure made here (``ax`` None), n x n cells must fit MAX_FIGURE_INCHES
    (checked before the n * n codes are decoded)."""
    cell_size = _cell_size(cell_size, name=name, ax=ax)
    if ax is None:
        why = ("n and cell_size", f"a grid of {n:,} x {n:,} cells; pass a smaller n or cell_size, or an ax to "
               "draw in")
        _page_sized(_manifold_figsize(n, cell_size), wide=why, tall=why)
    return cell_size


@checked(decode=ck.using(_decoder), n=ck.using(_fits, bytes_each=4.0 * 784, power=2, what="decoded images"),
         label_every=ck.count(minimum=1), ax=ck.optional(_AX),
         cell_size=ck.using(_manifold_cell_size, n=ref("n"), ax=ref("ax")))
def latent_manifold(decode, n: int = 20, tail: float = 0.05, ax=None, title: str | None = None,
                    cell_size: float = 0.3, label_every: int = 2):
    """Decode an n x n grid of 2-D codes at Normal quantiles and draw it as one seamless canvas (notebook 03).

    ``decode`` maps (N, 2) codes to (N, 28, 28) images, e.g. ``model.decode``.
    Columns run along z1 (increasing to the right) and rows along z2
    (increasing upwards), so the canvas lines up with a scatter of the codes.
    Every ``label_every``-th tick is labelled with its z value.
    """
    q = normal_quantile_grid(n, tail)
    n = len(q)
    z1, z2 = np.meshgrid(q, q[::-1])  # top row = largest z2, as in a scatter plot
    codes = np.stack([z1.ravel(), z2.ravel()], axis=1).astype(np.float32)
    images = _decoded_images(decode, codes)
    if ax is None:
        fig, ax = plt.subplots(figsize=_manifold_figsize(n, cell_size))
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


@checked(ax=_AX, n=ck.using(_fits, bytes_each=16.0, power=2, what="grid points"))
def mark_quantile_grid(ax, n: int = 20, tail: float = 0.05, **kwargs):
    """Draw the codes of :func:`latent_manifold`'s grid as small crosses on a 2-D scatter."""
    q = normal_quantile_grid(n, tail)
    z1, z2 = np.meshgrid(q, q)
    style = {"marker": "+", "s": 10, "color": "k", "alpha": 0.45, "linewidths": 0.6} | kwargs
    ax.scatter(z1.ravel(), z2.ravel(), **style)
    return ax


# --- notebook 06: judged probabilities along alpha, transfer heatmaps ------------


@checked(ax=_AX, lo=ck.number(), hi=ck.using(_upper, lo=ref("lo")))
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


@checked(ax=_AX, alphas=_ALPHAS, probs=ck.using(_alpha_probabilities, alphas=ref("alphas")),
         highlight=ck.using(_classes, n_classes=ref("probs", lambda p: p.shape[1])), xlim=ck.optional(ck.using(_limits)))
def probability_along_alpha(ax, alphas, probs, highlight: Sequence[int] = (), linestyle: str = "-",
                            title: str | None = None, ylabel: str = "p(class)", xlim=None):
    """Judged probability of every class, probs (A, 10), against alpha; ``highlight`` classes bold and labelled."""
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


@checked(ax=_AX, frames=ck.using(_pictures, ndim=3, what="frames (A, 28, 28), one per alpha"),
         alphas=ck.using(_strip_alphas, frames=ref("frames")), every=ck.using(_every, alphas=ref("alphas")))
def frame_strip(ax, alphas, frames, every: int = 2):
    """Frames (A, 28, 28) as one strip whose x-axis is alpha, so it lines up with a plot below it."""
    idx = np.arange(0, len(alphas), every)
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


@checked(paths=ck.using(_judged_paths), alphas=_ALPHAS, ncols=ck.using(_fits, minimum=1, bytes_each=4.0 * 600 * 600,
                                                                      what="a figure"),
         every=ck.using(_every, alphas=ref("alphas")))
def judged_paths_figure(paths: dict, alphas, highlight: Sequence[int] = (), ncols: int = 2, every: int = 2,
                        title: str | None = None):
    """For each model: the moved frames, then one probability panel per judge, all on one alpha axis.

    ``paths`` maps a model name to ``(frames (A, 28, 28), {judge name: probs (A, 10)})``. Each model
    gets its own sub-figure, so titles and tick labels of neighbouring models never collide.
    """
    names = list(paths)
    judges = list(next(iter(paths.values()))[1])
    nrows = int(np.ceil(len(names) / ncols))
    figsize = _page_sized((6.0 * ncols, (1.0 + 1.8 * len(judges)) * nrows + 0.4),
                          wide=("ncols", f"{ncols:,} columns of 6 inches; pass a smaller ncols"),
                          tall=("paths and ncols", f"{len(names):,} models in rows of {ncols:,}, each row "
                                f"{1.0 + 1.8 * len(judges):.3g} inches for its {len(judges)} judge(s); pass fewer "
                                "models or judges, or a larger ncols"))
    fig = plt.figure(figsize=figsize, layout="constrained")
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


@checked(ax=_AX, alphas=_ALPHAS, values=ck.using(_band_values, alphas=ref("alphas")),
         quantiles=ck.using(_quantile_pair), band=ck.flag())
def band_along_alpha(ax, alphas, values, color=None, label: str | None = None, quantiles=(0.25, 0.75),
                     linestyle: str = "-", band: bool = True):
    """Median of values (M, A) against alpha, with a quantile band (default: the middle half)."""
    mid = np.median(values, axis=0)
    line, = ax.plot(alphas, mid, color=color, ls=linestyle, lw=1.8, label=label)
    if band:
        lo, hi = np.quantile(values, quantiles, axis=0)
        ax.fill_between(alphas, lo, hi, color=line.get_color(), alpha=0.2, lw=0)
    return line


@checked(ax=_AX, matrix=ck.using(_square_matrix), annotate=ck.flag(), cmap=ck.using(_cmap),
         fmt=ck.using(_value_writer), fontsize=_FONT_POINTS, **_COLOUR_SCALE)
def class_heatmap(ax, matrix, title: str | None = None, vmin: float = 0.0, vmax: float = 1.0,
                  cmap: str = "viridis", fmt=lambda v: f"{100 * v:.0f}", annotate: bool = True,
                  fontsize: float = 6.0):
    """A 10 x 10 matrix indexed [start class b, target class a] as a heatmap.

    NaN cells (the diagonal) are light grey and blank; +inf cells ("never")
    are drawn in dark grey and marked with the infinity sign.
    """
    import matplotlib as mpl

    m = matrix
    colours = mpl.colormaps[cmap].with_extremes(bad="0.88", over="0.25")
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


@checked(matrices=ck.using(_mapping, what="(row name, column name) -> square matrix"),
         row_names=_named("row"), col_names=ck.using(_grid_columns, row_names=ref("row_names"), matrices=ref("matrices")),
         fontsize=_FONT_POINTS, ncols=ck.optional(ck.count(minimum=1)), cmap=ck.using(_cmap),
         fmt=ck.using(_value_writer), cell=_INCHES)
def heatmap_grid(matrices: dict, row_names: Sequence[str], col_names: Sequence[str], *, vmin: float = 0.0,
                 vmax: float = 1.0, cmap: str = "viridis", fmt=lambda v: f"{100 * v:.0f}", colorbar_label: str = "",
                 title: str | None = None, cell: float = 3.1, fontsize: float = 6.0, ncols: int | None = None):
    """Heatmaps ``matrices[(row, col)]`` in a grid (e.g. judges x models) with one shared colour bar.

    ``fontsize`` is the cells' numbers (points); ``fmt`` writes them, so it must match the matrices' units
    (the default writes a 0-1 share as a percentage). ``ncols`` wraps the panels into rows of at most that
    many, so that larger maps still fit a page.
    """
    panels = [(r, c) for r in row_names for c in col_names]
    across = ("col_names and cell", "pass a smaller cell, or an ncols that wraps the panels into rows") \
        if ncols is None else ("ncols and cell", "pass a smaller ncols or cell")
    ncols = len(col_names) if ncols is None else ncols
    nrows = -(-len(panels) // ncols)
    figsize = _page_sized((cell * ncols + 0.8, cell * nrows + 0.4), wide=across,
                          tall=("row_names, col_names, ncols and cell", f"{len(panels):,} panels in rows of {ncols:,} "
                                f"make {nrows:,} rows; pass fewer names, a larger ncols or a smaller cell"))
    fig, axes = plt.subplots(nrows, ncols, figsize=figsize, squeeze=False)
    im = None
    for k, ax in enumerate(axes.flat):
        key = panels[k] if k < len(panels) else None
        if key not in matrices:
            ax.axis("off")
            continue
        r, c = key
        im = class_heatmap(ax, matrices[key], title=f"{c}\n{r}", vmin=vmin, vmax=vmax, cmap=cmap, fmt=fmt,
                           fontsize=fontsize)
        if k % ncols:
            ax.set_ylabel("")
        if k + ncols < len(panels):
            ax.set_xlabel("")
    if im is not None:
        fig.colorbar(im, ax=axes.ravel().tolist(), shrink=0.6, label=colorbar_label, extend="max")
    if title:
        fig.suptitle(title)
    return fig


@checked(ax=_AX, x_values=ck.using(_flat), y_values=ck.using(_flat, like=ref("x_values")), lim=ck.using(_limits))
def judge_scatter(ax, x_values, y_values, xlabel: str, ylabel: str, title: str | None = None, lim=(0.0, 1.0)):
    """One point per ordered pair: a figure under one judge against the same figure under another."""
    x, y = x_values, y_values
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


@checked(ax=_AX, alphas=_ALPHAS, probs=ck.using(_judge_curves, alphas=ref("alphas")),
         a=ck.using(_class, n_classes=ref("probs", _n_judged_classes)),
         b=ck.using(_class, n_classes=ref("probs", _n_judged_classes)))
def pair_bands(ax, alphas, probs: dict, a: int, b: int, title: str | None = None):
    """p(a) and p(b) along alpha for many digits moved from b to a, one line style per judge.

    ``probs`` maps a judge name to probabilities (n, A, 10). The first judge
    gets the median and the middle-half band; the others their median only.
    """
    styles = ["-", "--", ":", "-."]
    for k, (judge, p) in enumerate(probs.items()):
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


@checked(alphas=_ALPHAS, entropy=ck.using(_entropies), distance=ck.using(_a_dict),
         entropy_ref=ck.using(_levels_dict), distance_ref=ck.using(_levels_dict))
def realism_figure(alphas, entropy: dict, distance: dict, entropy_ref: dict, distance_ref: dict,
                   title: str | None = None):
    """Two rows of panels, one column per model: judge entropy along alpha, then distance from the prior's
    typical set, each beside the level real test digits stay under (dashed grey line).

    ``entropy[model][judge]`` and ``distance[model]`` are (M, A) arrays (``distance[model]`` may be None);
    ``entropy_ref[judge]`` and ``distance_ref[model]`` are the real-data levels.
    """
    models = list(entropy)
    figsize = _page_sized((3.3 * len(models), 5.4), wide=("entropy", f"one column per model, {len(models):,} "
                                                                    "models; pass fewer models"))
    fig, axes = plt.subplots(2, len(models), figsize=figsize, squeeze=False, sharex=True)
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


@checked(frames=ck.using(_mapping, what="model name -> frames (A, 28, 28)"),
         probs=ck.using(_model_probs, frames=ref("frames")), alphas=_ALPHAS, every=ck.using(_every, alphas=ref("alphas")))
def pair_figure(alphas, frames: dict, probs: dict, a: int, b: int, every: int = 4, title: str | None = None):
    """One column per model: a digit of class b moved towards a (frames), then :func:`pair_bands` for many digits.

    ``frames[model]`` is (A, 28, 28); ``probs[model]`` maps a judge name to (n, A, 10).
    """
    names = list(frames)
    figsize = _page_sized((3.4 * len(names), 3.9), wide=("frames", f"one column per model, {len(names):,} models; "
                                                                   "pass fewer models"))
    fig = plt.figure(figsize=figsize, layout="constrained")
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


@checked(ax=_AX, alphas=_ALPHAS, curves=ck.using(_success_curves, alphas=ref("alphas")),
         level=ck.optional(ck.number(low=0, high=1)))
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


@checked(values=ck.using(_mapping, what="attribute name -> values (N,)"),
         labels=ck.using(_labels_of_values, values=ref("values")), units=ck.using(_units),
         ncols=ck.using(_fits, minimum=1, bytes_each=4.0 * 340 * 230, what="a figure"), cell=ck.using(_cell_shape))
def per_class_distributions(values: dict, labels, units: dict | None = None, ncols: int = 3, cell=(3.4, 2.3)):
    """One box plot per class for each attribute: ``values[name]`` (N,) measured on digits with ``labels`` (N,)."""
    names = list(values)
    nrows = int(np.ceil(len(names) / ncols))
    figsize = _page_sized((cell[0] * ncols, cell[1] * nrows),
                          wide=("ncols and cell[0]", "pass a smaller ncols or cell[0]"),
                          tall=("values, ncols and cell[1]", f"{len(names):,} attributes in rows of {ncols:,} make "
                                f"{nrows:,} rows; pass fewer attributes, a larger ncols or a smaller cell[1]"))
    fig, axes = plt.subplots(nrows, ncols, figsize=figsize, squeeze=False)
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


@checked(curves=ck.using(_dose_curves), alphas=_ALPHAS, methods=_named("method"), attributes=_named("attribute"),
         models=ck.using(_dose_models, curves=ref("curves"), alphas=ref("alphas"), methods=ref("methods"),
                         attributes=ref("attributes")),
         ylim=ck.using(_limits), cell=ck.using(_cell_shape))
def dose_curves(curves: dict, alphas, methods: Sequence[str], attributes: Sequence[str], models: Sequence[str],
                cell=(2.5, 2.1), ylim=(-3.0, 3.0)):
    """Mean measured change (SDs) against alpha: rows attributes, columns models, one line per method.

    ``curves[(model, attribute, method)]`` is (A,) or missing. The dashed
    diagonal is what the probe predicted (one SD per unit alpha).
    """
    figsize = _page_sized((cell[0] * len(models), cell[1] * len(attributes)),
                          wide=("models and cell[0]", f"{len(models):,} models side by side; pass fewer models or a "
                                "smaller cell[0]"),
                          tall=("attributes and cell[1]", f"{len(attributes):,} attributes one above another; pass "
                                "fewer attributes or a smaller cell[1]"))
    fig, axes = plt.subplots(len(attributes), len(models), figsize=figsize, sharex=True, sharey=True, squeeze=False)
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


@checked(row_names=_named("row"), col_names=_named("column"), vmax=ck.number(low=0, low_open=True),
         cmap=ck.using(_cmap), fmt=ck.using(_format_string), cell=ck.using(_cell_shape),
         matrices=ck.using(_titled_matrices, row_names=ref("row_names"), col_names=ref("col_names")))
def matrix_heatmaps(matrices: dict, row_names: Sequence[str], col_names: Sequence[str], *, vmax: float = 1.0,
                    cmap: str = "magma_r", colorbar_label: str = "", cell=(2.6, 1.7), fmt: str = "{:.2f}"):
    """Small annotated heatmaps side by side, one per entry of ``matrices`` (title -> (rows, cols) array)."""
    import matplotlib as mpl

    n = len(matrices)
    figsize = _page_sized((cell[0] * n + 0.8, cell[1] + 0.6), wide=("matrices and cell[0]", f"{n:,} matrices side by "
                                                                   "side; pass fewer matrices or a smaller cell[0]"))
    fig, axes = plt.subplots(1, n, figsize=figsize, squeeze=False)
    colours = mpl.colormaps[cmap].with_extremes(bad="0.88")
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
