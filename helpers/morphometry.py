"""Morphometry: stroke thickness, length, slant, width, height and area, measured from the pixels.

Introduced in notebook 07 ("Any axis"). The attributes and their definitions
are those of Morpho-MNIST (Castro, Tan, Kainz, Konukoglu and Glocker 2019,
"Morpho-MNIST: quantitative assessment and diagnostics for representation
learning", JMLR 20(178)); this is an independent implementation on scipy and
scikit-image, written from the paper and its reference code, and vectorised
so that a hundred thousand digits take seconds rather than an hour.

Every digit is upscaled 4 times (bicubic spline, then a Gaussian of
sigma = 4/3 upscaled pixels: scikit-image's ``pyramid_expand``) and binarised
at half its intensity range. On that binary image, with lengths reported in
*original* pixels:

========== ======== =====================================================================
attribute  unit     definition
========== ======== =====================================================================
thickness  px       twice the mean Euclidean distance to the background, along the
                    medial axis (the skeleton): the typical stroke width
length     px       length of the medial axis: 1 per horizontal or vertical step,
                    sqrt(2) per diagonal step
slant      degrees  arctan(-u11 / u02) from the second-order central moments of the
                    upscaled grey image: the horizontal shear; positive leans right
                    (like italics), 0 is upright
width      px       width of the slant-corrected bounding parallelogram that leaves
height     px       out 1% of the ink on each side (2% per direction, Morpho-MNIST's
                    ``bound_frac``); height is the plain vertical extent so trimmed
area       px^2     number of ink pixels of the binary image (the ink), in original pixels
========== ======== =====================================================================

:func:`thickness` states the thickness definition one digit at a time, as
a reference that reads like the definition; :func:`measure` computes the same
numbers (and the other five attributes) for many digits at once.

:func:`measure` returns :class:`Morphometrics` (one float64 array per
attribute; ``.table()`` or ``np.asarray`` stacks them into an (N, 6) array
in :data:`ATTRIBUTES` order). A blank image (no contrast at all) gets NaN
everywhere and one warning counts them; Morpho-MNIST would binarise it to a
page of ink.

Speed. Digits are measured in chunks of 64, tiled into one image with
blank margins, so that one distance search, one sort and one pass of
scikit-image's compiled thinning loop serve the whole chunk; chunks run on
up to 4 threads. On this 2-core machine a digit costs about 220 us of CPU
(4,500 digits per second per core); 10,000 test digits measured 5,400 to
5,600 per second on both cores while other jobs ran (6,300 at 4,096 digits),
and 2,300 to 3,900 when those jobs took a core's worth or more, against 38
for Morpho-MNIST's ``measure_image``. The result of a digit does not depend
on the rest of its batch.

Agreement with Morpho-MNIST, whose code was run beside this one on the
same machine. The skeleton is scikit-image's medial axis with its random
tie-break (seed 42) replayed digit by digit, so the results are Morpho-MNIST's
up to floating-point rounding. Like Morpho-MNIST, the upscaled image is
rounded down to whole grey levels for digits stored as uint8 (MNIST files)
and kept in floating point for model samples; here images whose pixels are
all multiples of 1/255 take the first path (``quantized`` chooses). On the
first 3,000 MNIST test digits (uint8, as Morpho-MNIST reads them): length
and thickness identical (to 1e-12), area identical for 2,999 (one differs
by one upscaled pixel, 1/16 px^2, that float32 puts 3e-5 grey levels across
the threshold), slant within 0.001 degrees, width and height within 0.001
px (in 12% of digits, float32 rounds one or two upscaled pixels to the
neighbouring grey level); correlation 1.000000 for every attribute. On float images (test digits as floats, smoothed digits) the
largest difference is 1e-5. The perturbations agree to one grey level:
thinning identical on 300 test digits, thickening 0.7% of pixels one level
apart (Morpho-MNIST's float64 rounding leaves some saturated pixels at 254).

Counterfactuals with known answers, Morpho-MNIST's global perturbations:
:func:`thicken` and :func:`thin` dilate or erode the upscaled binary digit
with a disc whose radius is ``amount`` times half its own measured
thickness; :func:`shear` slants it by a given angle (Morpho-MNIST's SetSlant
aimed at arctan(tan(binary slant) + tan(angle))), :func:`stretch` changes its
width along its slant (SetWidth), :func:`scale` its size. Each is then
downscaled back to 28 x 28 grey levels as Morpho-MNIST does.
"""

from __future__ import annotations

import contextlib
import math
import os
import warnings
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, fields
from functools import lru_cache

import numpy as np
from scipy import ndimage as ndi

from . import checks as ck
from .checks import IMAGE_SHAPE, check_images, checked  # noqa: F401  (check_images: mm.check_images in tests)

#: The measured attributes, in the order of :meth:`Morphometrics.table`.
ATTRIBUTES = ("thickness", "length", "slant", "width", "height", "area")
#: The unit of each attribute (px: original 28 x 28 pixels).
UNITS = {"thickness": "px", "length": "px", "slant": "degrees", "width": "px", "height": "px",
         "area": "px^2"}

SCALE = 4  # upscaling factor for sub-pixel measurement (Morpho-MNIST's default)
THRESHOLD = 0.5  # binarise at this fraction of each digit's intensity range
BOUND_FRAC = 0.02  # share of the ink left out of the bounding parallelogram, per direction
CHUNK = 64  # digits per pass: a chunk's arrays (about 8 MB) stay in a core's caches
_SEED = 42  # Morpho-MNIST's seed for the medial axis' random tie-break

_H, _W = (SCALE * s for s in IMAGE_SHAPE)
_SIGMA = 2 * SCALE / 6  # pyramid_expand / pyramid_reduce default


def _attribute_table(table, *, name):
    """Attributes (N, 6) in ATTRIBUTES order: finite numbers, or NaN for blank images (as Morphometrics.table gives)."""
    what = f"attributes (N, {len(ATTRIBUTES)}) in the order {list(ATTRIBUTES)}, e.g. Morphometrics.table()"
    table = ck.check_numbers(table, name=name, ndim=2, finite=False, what=what)
    if table.shape[1] != len(ATTRIBUTES):
        raise ValueError(f"{name}: {table.shape[1]} columns; expected {what}.")
    if np.isinf(table).any():
        raise ValueError(f"{name}: contains infinite values; measured attributes are finite (NaN for blank images).")
    return table


@dataclass(frozen=True)
class Morphometrics:
    """One float64 array (N,) per attribute; NaN for blank images.

    ``m.thickness`` or ``m["thickness"]`` gives one attribute, ``m.table()``
    all of them as (N, 6) in :data:`ATTRIBUTES` order, ``m[idx]`` (an index
    array, mask or slice) the rows of a subset.
    """

    thickness: np.ndarray
    length: np.ndarray
    slant: np.ndarray
    width: np.ndarray
    height: np.ndarray
    area: np.ndarray

    names = ATTRIBUTES
    units = UNITS

    def table(self, names=ATTRIBUTES) -> np.ndarray:
        """The attributes as one (N, len(names)) float64 array."""
        return np.stack([self[n] for n in names], axis=-1)

    def as_dict(self) -> dict[str, np.ndarray]:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    def __len__(self) -> int:
        return len(self.thickness)

    def __array__(self, dtype=None, copy=None):
        table = self.table()
        return table if dtype is None else table.astype(dtype)

    def __getitem__(self, key):
        if isinstance(key, str):
            if key not in ATTRIBUTES:
                raise KeyError(f"unknown attribute {key!r}; measured are {list(ATTRIBUTES)}.")
            return getattr(self, key)
        return Morphometrics(**{n: a[key] for n, a in self.as_dict().items()})

    @classmethod
    @checked(table=ck.using(_attribute_table))
    def from_table(cls, table: np.ndarray) -> "Morphometrics":
        table = np.asarray(table, dtype=np.float64)
        return cls(**{n: table[:, i].copy() for i, n in enumerate(ATTRIBUTES)})


# --- linear operators: upscaling (pyramid_expand) and downscaling (pyramid_reduce) ---------------

def _zoom_matrix(n_in: int, n_out: int) -> np.ndarray:
    """(n_out, n_in): scikit-image's resize along one axis (cubic spline, grid-aligned, mirrored edges)."""
    eye = np.eye(n_in)
    return np.stack([ndi.zoom(eye[i], n_out / n_in, order=3, mode="mirror", grid_mode=True)
                     for i in range(n_in)], axis=1)


def _gauss_matrix(n: int) -> np.ndarray:
    """(n, n): a Gaussian of sigma 4/3 with reflected edges (pyramid_expand's smoothing)."""
    eye = np.eye(n)
    return np.stack([ndi.gaussian_filter1d(eye[i], _SIGMA, mode="reflect") for i in range(n)], axis=1)


@lru_cache(maxsize=None)
def _operators(dtype=np.float32):
    """Zoom up (112, 28), Gaussian (112, 112), zoom down (28, 112), and their transposes."""
    zoom_up = _zoom_matrix(IMAGE_SHAPE[0], _H)
    gauss = _gauss_matrix(_H)
    zoom_down = _zoom_matrix(_H, IMAGE_SHAPE[0])

    def cast(a):  # spline tails below 1e-10 dropped: as float32 denormals they slow BLAS 10-fold
        return np.ascontiguousarray(np.where(np.abs(a) < 1e-10, 0.0, a), dtype=dtype)

    return tuple(cast(a) for a in (zoom_up, zoom_up.T, gauss, gauss.T, zoom_down, zoom_down.T))


@lru_cache(maxsize=None)
def _blur_bands(dtype=np.float32, gain: float = 1.0, block: int = 28):
    """The Gaussian in blocks of output rows, each with the band of input rows it reads.

    The horizontal blocks are multiplied by ``gain`` (255 for the grey levels of _hires).
    """
    g = _operators(dtype)[2]
    bands = []
    for a in range(0, _H, block):
        used = np.flatnonzero(np.any(g[a:a + block] != 0, axis=0))
        lo, hi = int(used[0]), int(used[-1]) + 1
        part = np.ascontiguousarray(g[a:a + block, lo:hi])
        bands.append((a, a + block, lo, hi, part, np.ascontiguousarray(part.T * dtype(gain))))
    return bands


def _blur(v: np.ndarray, gain: float = 1.0) -> np.ndarray:
    """``gain`` x the Gaussian of pyramid_expand / pyramid_reduce on (n, 112, 112), as banded products."""
    n = len(v)
    bands = _blur_bands(v.dtype.type, gain)
    tall = np.empty_like(v)
    for a, b, lo, hi, part, _ in bands:
        tall[:, a:b] = np.matmul(part, v[:, lo:hi])  # vertical
    rows = tall.reshape(n * _H, _W)
    out = np.empty_like(rows)
    for a, b, lo, hi, _, part_t in bands:
        out[:, a:b] = rows[:, lo:hi] @ part_t  # horizontal
    return out.reshape(n, _H, _W)


def _hires(x: np.ndarray, quantized: np.ndarray) -> np.ndarray:
    """(n, 112, 112) float32: each digit upscaled as Morpho-MNIST does (grey levels 0..255)."""
    zu, zu_t = _operators()[:2]
    n = len(x)
    v = np.matmul(zu, (x.reshape(n * IMAGE_SHAPE[0], IMAGE_SHAPE[1]) @ zu_t).reshape(n, IMAGE_SHAPE[0], _W))
    # resize clips to each image's own range before the smoothing
    np.maximum(v, x.min(axis=(1, 2))[:, None, None], out=v)
    np.minimum(v, x.max(axis=(1, 2))[:, None, None], out=v)
    up = _blur(v, 255.0)
    # Morpho-MNIST casts the upscaled uint8 digit back to uint8. The offset absorbs
    # float32 rounding (chosen on 1,000 test digits: no difference from float64 left)
    if quantized.all():
        up += np.float32(3e-5)
        np.floor(up, out=up)
    elif quantized.any():
        up[quantized] = np.floor(up[quantized] + np.float32(3e-5))
    return up


def _downscale(binary: np.ndarray) -> np.ndarray:
    """Upscaled binary digits (n, 112, 112) back to (n, 28, 28) grey levels, as Morpho-MNIST does.

    pyramid_reduce (the Gaussian, then a bicubic resize clipped to the
    smoothed image's range) and the cast to uint8, returned as float32 in [0, 1].
    """
    zd, zd_t = _operators(np.float64)[4:]  # float64, so that the cast to uint8 rounds as it does there
    n = len(binary)
    smooth = _blur(binary.astype(np.float64))
    small = np.matmul(zd, (smooth.reshape(n * _H, _W) @ zd_t).reshape(n, _H, IMAGE_SHAPE[1]))
    np.clip(small, smooth.min(axis=(1, 2))[:, None, None], smooth.max(axis=(1, 2))[:, None, None], out=small)
    return (np.floor(255.0 * small) / 255.0).astype(np.float32)


# --- the medial axis, many digits at a time ---------------------------------------------------------

@lru_cache(maxsize=None)
def _removal_table() -> np.ndarray:
    """512 entries, one per 3x3 neighbourhood: 1 keeps the centre pixel, 0 may remove it.

    A pixel stays if removing it would change the number of 8-connected
    components in its neighbourhood, or if it has fewer than two neighbours
    (the rule of scikit-image's medial_axis).
    """
    eight = np.ones((3, 3), bool)
    table = np.zeros(512, np.uint8)
    for index in range(512):
        pattern = ((index >> np.arange(9)) & 1).astype(bool).reshape(3, 3)
        if not pattern[1, 1]:
            continue
        without = pattern.copy()
        without[1, 1] = False
        table[index] = (ndi.label(pattern, eight)[1] != ndi.label(without, eight)[1]) or pattern.sum() < 3
    return table


def _thinning_loop():
    """scikit-image's compiled single-pass thinning (the inner loop of medial_axis), or None."""
    try:  # scikit-image 0.25 and later
        from skimage.morphology._skeletonize_various_cy import _skeletonize_loop
    except ImportError:
        try:  # 0.24, pyproject.toml's floor: same function and arguments, another module
            from skimage.morphology._skeletonize_cy import _skeletonize_loop
        except ImportError:  # moved in a future scikit-image: fall back to medial_axis per digit
            return None
    return _skeletonize_loop


_LOOP = _thinning_loop()


_SEEDED_STATE = np.random.PCG64(_SEED).state  # default_rng(42), without re-hashing the seed each time


@lru_cache(maxsize=8192)
def _permutation(count: int) -> np.ndarray:
    """The random processing order medial_axis(rng=42) gives a digit with ``count`` ink pixels."""
    bitgen = np.random.PCG64()
    bitgen.state = _SEEDED_STATE
    order = np.random.Generator(bitgen).permutation(count).astype(np.uint16)
    order.flags.writeable = False
    return order


# The batch layout: digit i occupies a 128 x 128 tile, its 112 x 112 upscaled image at rows
# 8..119 and columns 0..111 of the tile, blank elsewhere. Powers of two make the digit, row
# and column of a flat index bit operations; the blank margins keep neighbouring digits apart
# for the 3 x 3 thinning rule and give the distance search sentinel rows.
_TILE_BITS = 7
_TILE = 1 << _TILE_BITS
_TOP = 8
_FAR = 200  # farther than any distance in an image; _FAR**2 + 111**2 fits in uint16


def _ink_distances(flat: np.ndarray, n: int) -> np.ndarray:
    """Squared Euclidean distance from each ink pixel to the nearest background pixel (int64).

    Exact and separable: the horizontal distance within each run of ink,
    then the best vertical offset, pixel by pixel, stopping once no farther
    row can beat the distance found. Outside the image is not background
    (scipy's distance_transform_edt, as medial_axis uses it).
    """
    n_ink = len(flat)
    if n_ink == 0:
        return np.zeros(0, np.int64)
    col = flat & (_TILE - 1)
    starts = np.empty(n_ink, bool)
    starts[0] = True
    np.not_equal(flat[1:], flat[:-1] + 1, out=starts[1:])  # blank columns 112..127 end every row
    start_at = np.flatnonzero(starts)
    run_len = np.diff(np.append(start_at, n_ink))
    first = col[start_at]
    last = first + run_len - 1
    nowhere = 1 << 20  # a run that touches the image's edge has no background on that side
    first = np.where(first > 0, first - 1, -nowhere)  # the background pixel left of the run
    last = np.where(last < _W - 1, last + 1, nowhere)  # and right of it
    across = np.minimum(col - np.repeat(first, run_len), np.repeat(last, run_len) - col)
    np.minimum(across, _FAR, out=across)
    # squared horizontal distances, with sentinel rows above and below each digit (and a
    # sentinel tile after the last, where offsets past either end of the batch land)
    grid = np.full((n + 1, _TILE, _TILE), _FAR ** 2, np.uint16)
    grid[:n, _TOP:_TOP + _H] = 0
    grid = grid.reshape(-1)
    best = (across * across).astype(np.uint16)
    grid[flat] = best
    # vertical offsets k = 1, 2, ...: row y +- k offers k**2 + across**2 there; a pixel is done
    # once k**2 reaches its best. The blank rows of the tiles (8 below each digit, 8 above
    # the next) make offsets up to 2 * _TOP safe without bounds checks.
    todo = np.flatnonzero(best > 1)
    k = 1
    while len(todo) and k < _H:
        f = flat[todo]
        if k <= 2 * _TOP:
            cand = np.minimum(np.take(grid, f - k * _TILE), np.take(grid, f + k * _TILE))
        else:  # rare (strokes over 8 px thick): check the digit's own bounds
            row = ((f >> _TILE_BITS) & (_TILE - 1)) - _TOP
            up = np.where(row >= k, np.take(grid, np.where(row >= k, f - k * _TILE, f)), _FAR ** 2)
            down = np.where(row < _H - k, np.take(grid, np.where(row < _H - k, f + k * _TILE, f)), _FAR ** 2)
            cand = np.minimum(up, down).astype(np.uint16)
        cand += k * k
        b = np.minimum(best[todo], cand)
        best[todo] = b
        k += 1
        todo = np.compress(b > k * k, todo)
    return best.astype(np.int64)


def _skeletons(tiles: np.ndarray):
    """Medial axes of many binary digits laid out as tiles (n, 128, 128) bool, in one pass.

    Thins ``tiles`` in place to the skeletons and returns the flat indices of
    the ink pixels, their squared distances to the background, which of them
    are on the skeleton, and the number of ink pixels per digit.
    """
    n = len(tiles)
    t = tiles.reshape(-1).view(np.uint8)
    flat = np.flatnonzero(tiles.reshape(-1))  # (bool is the fast path)
    counts = np.diff(np.searchsorted(flat, np.arange(n + 1) << (2 * _TILE_BITS)))
    dist2 = _ink_distances(flat, n)
    across3 = t[:-2] + t[1:-1] + t[2:]  # across3[i - 1]: ink in columns i-1..i+1
    neighbours = across3[flat - _TILE - 1] + across3[flat - 1] + across3[flat + _TILE - 1]
    corner = 9 - neighbours.astype(np.int64)  # fewer ink neighbours: more of a corner, processed later
    tie = np.concatenate([_permutation(int(c)) for c in counts if c]) if len(flat) else np.zeros(0, np.uint16)
    # processing order within a digit: distance, then cornerness, then the random tie-break;
    # digits one after the other, so that each one's pixels stay in cache
    digit = flat >> (2 * _TILE_BITS)
    idx_bits = max(1, int(len(flat)).bit_length())
    d_bits = max(1, int(dist2.max()).bit_length()) if len(flat) else 1
    n_bits = max(1, int(n).bit_length())
    if n_bits + d_bits + 4 + 14 + idx_bits <= 63:
        key = (digit << d_bits | dist2) << 4 | corner
        key <<= 14
        key |= tie
        key <<= idx_bits
        key |= np.arange(len(flat))
        key.sort()
        order = (key & ((1 << idx_bits) - 1)).astype(np.int32)
    else:
        order = np.lexsort((tie, corner, dist2, digit)).astype(np.int32)
    if _LOOP is not None:
        _LOOP(t.reshape(n * _TILE, _TILE), flat >> _TILE_BITS, flat & (_TILE - 1), order, _removal_table())
    else:
        from skimage.morphology import medial_axis

        for i in np.flatnonzero(counts):
            tiles[i, _TOP:_TOP + _H, :_W] = medial_axis(tiles[i, _TOP:_TOP + _H, :_W], rng=_SEED)
    on_skeleton = t[flat].astype(bool)
    return flat, dist2, on_skeleton, counts


# --- moments and the bounding parallelogram ---------------------------------------------------------

def _quantile_position(cdf: np.ndarray, q: float) -> np.ndarray:
    """np.interp(q, cdf[i], arange(m)) for every row of a non-decreasing (n, m) cdf."""
    n, m = cdf.shape
    j = np.count_nonzero(cdf <= q, axis=1) - 1
    out = np.where(j < 0, 0.0, float(m - 1))
    mid = (j >= 0) & (j < m - 1)
    r, jm = np.flatnonzero(mid), j[mid]
    c0, c1 = cdf[r, jm], cdf[r, jm + 1]
    out[mid] = jm + (q - c0) / (c1 - c0)
    return out


@lru_cache(maxsize=None)
def _row_weights() -> np.ndarray:
    """(W, W + 4): a row times this gives its cumulative sums (W + 1), then mass, sum x, sum x^2."""
    w = np.zeros((_W, _W + 4))
    w[:, 1:_W + 1] = np.triu(np.ones((_W, _W)))  # column j: ink in the first j columns
    xc = np.arange(_W) - (_W - 1) / 2  # centred, so float32 sums stay exact enough
    w[:, _W + 1], w[:, _W + 2], w[:, _W + 3] = 1.0, xc, xc ** 2
    return w.astype(np.float32)


def _sheared_quantile(rows: np.ndarray, n: int, start: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Where the ink left of a sheared line reaches ``target`` (n, k), interpolated as np.interp does.

    ``rows`` (n * H, W + 4) starts with row-wise cumulative sums (column j:
    ink in the first j columns); the line at position t takes
    clip(t + start[y]) columns of row y. Binary search over t = 0..W-1, then
    linear interpolation between the two positions around the target.
    """
    stride = rows.shape[1]
    base = (np.arange(n * _H).reshape(n, 1, _H) * stride)
    start = start[:, None, :]
    cum = rows.reshape(-1)

    def mass_left(t):  # (n, k)
        cols = np.clip(t[:, :, None] + start, 0, _W)
        cols += base
        return np.take(cum, cols).sum(axis=2)

    lo = np.full(target.shape, -1)  # mass_left(lo) <= target (at -1 by convention)
    hi = np.full(target.shape, _W)  # mass_left(hi) > target (at W by convention)
    for _ in range(int(math.ceil(math.log2(_W + 1)))):
        mid = (lo + hi) // 2
        ok = (mass_left(np.maximum(mid, 0)) <= target) & (mid >= 0)
        lo = np.where(ok, mid, lo)
        hi = np.where(ok | (mid == lo), hi, mid)
    j = lo
    out = np.where(j < 0, 0.0, float(_W - 1))
    inside = (j >= 0) & (j < _W - 1)
    if inside.any():
        c0 = mass_left(np.clip(j, 0, _W - 1))
        c1 = mass_left(np.clip(j + 1, 0, _W - 1))
        with np.errstate(divide="ignore", invalid="ignore"):
            out = np.where(inside, j + (target - c0) / (c1 - c0), out)
    return out


def _shape_moments(hires: np.ndarray):
    """Slant (degrees), width and height (px) of each upscaled grey digit."""
    n = len(hires)
    rows = hires.reshape(n * _H, _W) @ _row_weights()
    per_row = rows[:, _W + 1:].reshape(n, _H, 3).astype(np.float64)
    mass_row = per_row[:, :, 0]
    yc = np.arange(_H) - (_H - 1) / 2
    with np.errstate(divide="ignore", invalid="ignore"):
        m00 = mass_row.sum(axis=1)
        mx = per_row[:, :, 1].sum(axis=1) / m00
        my = mass_row @ yc / m00
        u11 = per_row[:, :, 1] @ yc / m00 - mx * my
        u02 = mass_row @ yc ** 2 / m00 - my ** 2
        shear = u11 / u02
    slant = np.degrees(np.arctan(-shear))
    # width: between two lines parallel to the slant that each leave out 1% of the ink;
    # pixel (y, x) is left of the line at t when x + 0.5 - shear * (y - y_mid) < t
    y_mid = my + (_H - 1) / 2
    offset = np.floor(0.5 - shear[:, None] * (np.arange(_H)[None, :] - y_mid[:, None]))
    start = -np.where(np.isfinite(offset), offset, 0).astype(np.int64)
    q = BOUND_FRAC / 2
    left, right = _sheared_quantile(rows, n, start, np.stack([q * m00, (1 - q) * m00], axis=1)).T
    with np.errstate(divide="ignore", invalid="ignore"):
        above = np.concatenate([np.zeros((n, 1)), np.cumsum(mass_row, axis=1)[:, :-1]], axis=1) / m00[:, None]
    top, bottom = _quantile_position(above, q), _quantile_position(above, 1 - q)
    return slant, (right - left) / SCALE, (bottom - top) / SCALE


# --- argument specs of this module (helpers.checks) -------------------------------------------------

def _check_quantized(quantized, *, name: str = "quantized"):
    """True, False or None (decide per image)."""
    if quantized is not None and not isinstance(quantized, (bool, np.bool_)):
        raise TypeError(f"quantized must be True, False or None (decide per image), got {quantized!r}.")
    return quantized


def _check_workers(workers, *, name: str = "workers") -> int:
    """Threads: a positive whole number, or None for the machine's cores (up to 4)."""
    if workers is None:
        return max(1, min(4, os.cpu_count() or 1))
    if isinstance(workers, (bool, np.bool_)) or not isinstance(workers, (int, np.integer)) or workers < 1:
        raise ValueError(f"workers must be a positive whole number of threads (or None: up to 4), got {workers!r}.")
    return int(workers)


def _finite_number(value, *, name) -> float:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name} must be a number, got {type(value).__name__} {value!r}.")
    return ck.check_number(value, name=name)  # finite, and 10**400 refused by name (no float holds it)


def _amount(amount, *, name) -> float:
    amount = _finite_number(amount, name=name)
    if amount < 0:
        raise ValueError(f"amount must be >= 0 (a fraction of the digit's own thickness), got {amount}.")
    return amount


def _factor(factor, *, name) -> float:
    factor = _finite_number(factor, name=name)
    if not 0.2 <= factor <= 5:
        raise ValueError(f"factor must be between 0.2 and 5 (1 leaves the digit as it is), got {factor}.")
    return factor


def _shear_angle(degrees, *, name) -> float:
    degrees = _finite_number(degrees, name=name)
    if not -80 <= degrees <= 80:
        raise ValueError(f"degrees must be between -80 and 80 (a shear steeper than that leaves the image), "
                         f"got {degrees}.")
    return degrees


# --- the public functions ---------------------------------------------------------------------------

def _quantized(x: np.ndarray, quantized) -> np.ndarray:
    """Per image: take Morpho-MNIST's uint8 path? (None: when every pixel is a multiple of 1/255.)"""
    if quantized is None:
        levels = x * np.float32(255)
        return np.all(np.abs(levels - np.rint(levels)) < 1e-3, axis=(1, 2))
    return np.full(len(x), bool(quantized))


def _binary_tiles(x: np.ndarray, quantized: np.ndarray):
    """Upscaled grey digits, their binary images in the tile layout, and which are blank."""
    n = len(x)
    hires = _hires(x, quantized)
    lo, hi = hires.min(axis=(1, 2)), hires.max(axis=(1, 2))
    blank = ~(hi - lo > 1e-4)
    tiles = np.zeros((n, _TILE, _TILE), bool)
    np.greater_equal(hires, (lo + (hi - lo) * THRESHOLD)[:, None, None], out=tiles[:, _TOP:_TOP + _H, :_W])
    tiles[blank] = False
    return hires, tiles, blank


def _stroke_measures(tiles: np.ndarray):
    """Thickness, length and area of binary digits (thins ``tiles`` to their skeletons)."""
    n = len(tiles)
    flat, dist2, on_skel, counts = _skeletons(tiles)
    skel = np.compress(on_skel, flat)
    sk_digit = skel >> (2 * _TILE_BITS)
    n_skel = np.bincount(sk_digit, minlength=n)
    with np.errstate(divide="ignore", invalid="ignore"):
        thickness = 2 * np.bincount(sk_digit, np.sqrt(np.compress(on_skel, dist2)), minlength=n) / n_skel / SCALE
    t = tiles.reshape(-1).view(np.uint8)
    steps = (t[skel + 1] + t[skel + _TILE]).astype(np.float64) \
        + math.sqrt(2) * (t[skel + _TILE - 1] + t[skel + _TILE + 1]).astype(np.float64)
    length = np.bincount(sk_digit, steps, minlength=n) / SCALE
    return thickness, length, counts / SCALE ** 2


def _measure_chunk(x: np.ndarray, quantized: np.ndarray) -> np.ndarray:
    hires, tiles, blank = _binary_tiles(x, quantized)
    thickness, length, area = _stroke_measures(tiles)
    slant, width, height = _shape_moments(hires)
    out = np.stack([thickness, length, slant, width, height, area], axis=1)
    out[blank] = np.nan
    return out


_BLAS = None


def _one_blas_thread():
    """A context in which numpy's BLAS runs one thread (ours run the chunks side by side).

    Two BLAS threads per chunk on a busy 2-core machine cost up to 5x; threadpoolctl comes
    with scikit-learn. Without it, BLAS keeps its own setting.
    """
    global _BLAS
    if _BLAS is None:
        try:
            from threadpoolctl import ThreadpoolController

            _BLAS = ThreadpoolController()
        except ImportError:  # pragma: no cover - scikit-learn brings it
            _BLAS = False
    return _BLAS.limit(limits=1, user_api="blas") if _BLAS else contextlib.nullcontext()


def _in_chunks(func, n: int, workers: int, *arrays):
    """func(*chunk) for consecutive chunks of CHUNK images, on ``workers`` threads; results in order."""
    spans = [(a, min(a + CHUNK, n)) for a in range(0, n, CHUNK)]
    call = lambda span: func(*(arr[span[0]:span[1]] for arr in arrays))  # noqa: E731
    with _one_blas_thread():
        if workers > 1 and len(spans) > 1:
            with ThreadPoolExecutor(min(workers, len(spans))) as pool:
                return list(pool.map(call, spans))
        return [call(span) for span in spans]


@checked(images=ck.images(), quantized=ck.using(_check_quantized), workers=ck.using(_check_workers))
def measure(images, *, quantized: bool | None = None, workers: int | None = None) -> Morphometrics:
    """Thickness, length, slant, width, height and area of every image (Morpho-MNIST's definitions).

    ``images``: (N, 28, 28) or (N, 784) floats in [0, 1]. ``quantized``:
    None (default) rounds the upscaled digit down to whole grey levels for
    images on the 1/255 grid, as Morpho-MNIST does for uint8 MNIST digits,
    and keeps other images in floating point, as it does for model samples;
    True or False forces one path for all. ``workers``: threads (default:
    the machine's cores, up to 4); the results do not depend on it. Blank
    images (no contrast) get NaN and one warning with their count; an empty
    batch gives empty arrays.
    """
    x = images
    parts = _in_chunks(lambda chunk: _measure_chunk(chunk, _quantized(chunk, quantized)), len(x), workers, x)
    table = np.concatenate(parts) if parts else np.zeros((0, len(ATTRIBUTES)))
    n_blank = int(np.isnan(table).all(axis=1).sum())
    if n_blank:
        warnings.warn(f"{n_blank} of {len(x)} images are blank (no contrast): their attributes are NaN.",
                      stacklevel=2)
    return Morphometrics.from_table(table)


def _upscaled_ink(images: np.ndarray, quantized) -> np.ndarray:
    """Each digit as Morpho-MNIST measures it: upscaled 4 times and binarised, (N, 112, 112) bool (True: ink).

    A blank image (no contrast) has no ink at all.
    """
    _, tiles, _ = _binary_tiles(images, _quantized(images, quantized))
    return tiles[:, _TOP:_TOP + _H, :_W]


@checked(images=ck.images(), quantized=ck.using(_check_quantized))
def thickness(images, *, quantized: bool | None = None) -> np.ndarray:
    """Stroke thickness of each digit in pixels: Morpho-MNIST's definition, written out one digit at a time.

    Introduced in notebook 07. The medial axis (skeleton) of a stroke runs
    along its middle, so the distance from a skeleton pixel to the nearest
    background pixel is half the stroke's width there; thickness is twice its
    mean over the skeleton, measured on the digit upscaled 4 times and given
    in pixels of the 28 x 28 image. NaN for a blank image. The readable
    reference for ``measure(images).thickness``, which computes the same
    numbers for many digits at once (tests/test_morphometry.py compares them).
    """
    from skimage.morphology import medial_axis

    out = np.full(len(images), np.nan)
    for i, ink in enumerate(_upscaled_ink(images, quantized)):
        if ink.any():
            skeleton, distance = medial_axis(ink, return_distance=True, rng=_SEED)  # distance to the background
            out[i] = 2 * distance[skeleton].mean() / SCALE  # upscaled pixels -> pixels of the 28 x 28 image
    return out


# --- counterfactuals: Morpho-MNIST's global perturbations, with known answers --------------------

def _within(mask: np.ndarray, radius: int) -> np.ndarray:
    """Pixels within Euclidean distance ``radius`` of a True pixel of ``mask`` (n, H, W); outside ignored.

    The dilation of ``mask`` by skimage's disk(radius): the horizontal
    distance to the nearest True pixel in each row, then the best row within
    ``radius``. (Morpho-MNIST's dilation reflects the image at its edges;
    reflected pixels are never nearer than the originals, so it is the same.)
    """
    n = len(mask)
    cap = min(radius + 1, 180)  # cap**2 + radius**2 stays within int16
    xs = np.arange(_W, dtype=np.int16)
    left = np.where(mask, xs, np.int16(-2 * _W))
    np.maximum.accumulate(left, axis=2, out=left)
    right = np.where(mask[:, :, ::-1], xs[::-1], np.int16(3 * _W))
    np.minimum.accumulate(right, axis=2, out=right)
    across = np.minimum(xs - left, right[:, :, ::-1] - xs)
    np.minimum(across, cap, out=across)
    padded = np.full((n, _H + 2 * radius, _W), cap * cap, np.int16)
    np.multiply(across, across, out=padded[:, radius:radius + _H])
    best = padded[:, radius:radius + _H].copy()
    step = np.empty_like(best)
    for k in range(1, radius + 1):
        for rows in (slice(radius - k, radius - k + _H), slice(radius + k, radius + k + _H)):
            np.add(padded[:, rows], k * k, out=step)
            np.minimum(best, step, out=best)
    return best <= radius * radius


def _ink_moments(ink: np.ndarray):
    """Centroid (x, y) and horizontal shear u11 / u02 of binary digits (n, H, W)."""
    f = ink.astype(np.float32)
    xs, ys = np.arange(_W, dtype=np.float64), np.arange(_H, dtype=np.float64)
    rows = f.sum(axis=2, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        m00 = rows.sum(axis=1)
        cx = f.sum(axis=1, dtype=np.float64) @ xs / m00
        cy = rows @ ys / m00
        u11 = (f @ xs.astype(np.float32)).astype(np.float64) @ ys / m00 - cx * cy
        u02 = rows @ ys ** 2 / m00 - cy ** 2
        shear = u11 / u02
    ok = np.isfinite(cx) & np.isfinite(cy) & np.isfinite(shear)
    return np.where(ok, cx, 0.0), np.where(ok, cy, 0.0), np.where(ok, shear, 0.0)


def _resample(ink: np.ndarray, src_x: np.ndarray, src_y: np.ndarray | None = None) -> np.ndarray:
    """ink sampled at columns ``src_x`` (n, H or 1, W) and rows ``src_y`` (n, H, 1), nearest pixel.

    skimage.transform.warp of a binary image (order 0, blank outside), as
    Morpho-MNIST's deformations use it; ``src_y`` None keeps the rows.
    """
    inside = (src_x >= 0) & (src_x <= _W - 1)
    col = np.clip(np.floor(src_x + 0.5), 0, _W - 1).astype(np.intp)
    if src_y is not None:
        inside = inside & (src_y >= 0) & (src_y <= _H - 1)
        row = np.clip(np.floor(src_y + 0.5), 0, _H - 1).astype(np.intp)
        ink = np.take_along_axis(ink, np.broadcast_to(row, (len(ink), _H, 1)), axis=1)
    return np.take_along_axis(ink, np.broadcast_to(col, ink.shape), axis=2) & inside


def _perturb_chunk(x: np.ndarray, quantized: np.ndarray, change) -> np.ndarray:
    hires, tiles, blank = _binary_tiles(x, quantized)
    ink = tiles[:, _TOP:_TOP + _H, :_W].copy()
    out = _downscale(change(ink, tiles))
    out[blank] = x[blank]  # nothing to perturb
    return out


def _perturb(x: np.ndarray, change) -> np.ndarray:
    """Checked images x, each changed by ``change(ink, tiles)`` on its upscaled binary digit, then downscaled."""
    work = lambda chunk: _perturb_chunk(chunk, _quantized(chunk, None), change)  # noqa: E731
    parts = _in_chunks(work, len(x), _check_workers(None), x)
    return np.concatenate(parts) if parts else np.zeros((0, *IMAGE_SHAPE), np.float32)


def _radii(tiles: np.ndarray, amount: float) -> np.ndarray:
    """Morpho-MNIST's disc radius (upscaled pixels): amount x half the digit's own thickness, rounded down."""
    thickness = _stroke_measures(tiles)[0]
    r = np.floor(amount * SCALE * np.nan_to_num(thickness, nan=0.0) / 2)
    # A disc reaching past the image's diagonal (157 upscaled pixels) covers all of it: larger ones change nothing
    return np.minimum(r, 160).astype(np.int64)


@checked(amount=ck.using(_amount), images=ck.images())
def thicken(images, amount: float = 1.0) -> np.ndarray:
    """Digits thickened by about ``amount`` times their own thickness (1.0: 1.93 times as thick, median).

    Morpho-MNIST's Thickening: the upscaled binary digit dilated with a disc
    of radius floor(amount * 4 * thickness / 2) upscaled pixels, then
    downscaled to 28 x 28 grey levels (multiples of 1/255). Blank images come
    back unchanged. Returns float32 (N, 28, 28).
    """
    def change(ink, tiles):
        radii = _radii(tiles, amount)
        for r in np.unique(radii[radii > 0]):
            pick = radii == r
            ink[pick] = _within(ink[pick], int(r))
        return ink

    return _perturb(images, change)


@checked(amount=ck.using(_amount), images=ck.images())
def thin(images, amount: float = 0.7) -> np.ndarray:
    """Digits thinned by about ``amount`` of their own thickness (0.7: to about half, measured).

    Morpho-MNIST's Thinning: the upscaled binary digit eroded with a disc of
    radius floor(amount * 4 * thickness / 2) upscaled pixels, then
    downscaled (which blurs the stroke back a little: thin(x, 0.7) measures
    0.55 of the original thickness on test digits, median). Too much
    thinning can erase a digit (then ``measure`` gives NaN). Returns float32
    (N, 28, 28).
    """
    def change(ink, tiles):
        radii = _radii(tiles, amount)
        for r in np.unique(radii[radii > 0]):
            pick = radii == r
            ink[pick] &= ~_within(~ink[pick], int(r))
        return ink

    return _perturb(images, change)


@checked(degrees=ck.using(_shear_angle), images=ck.images())
def shear(images, degrees: float) -> np.ndarray:
    """Digits slanted by ``degrees`` (positive leans right): a horizontal shear about each centroid.

    x' = x + tan(degrees) * (y_centroid - y) on the upscaled binary digit,
    so tan(slant) grows by tan(degrees): the measured slant changes by about
    ``degrees`` for an upright digit (exactly arctan(tan(s) + tan(d)) - s).
    Then downscaled. Returns float32 (N, 28, 28).
    """
    t = math.tan(math.radians(degrees))

    def change(ink, tiles):
        _, cy, _ = _ink_moments(ink)
        offset = t * (np.arange(_H)[None, :, None] - cy[:, None, None])  # (n, H, 1)
        return _resample(ink, np.arange(_W)[None, None, :] + offset)

    return _perturb(images, change)


@checked(factor=ck.using(_factor), images=ck.images())
def stretch(images, factor: float) -> np.ndarray:
    """Digits made ``factor`` times as wide, along their own slant (slant and height stay).

    Morpho-MNIST's width change: the upscaled binary digit stretched
    horizontally about its centroid, along lines parallel to its slant, then
    downscaled. Returns float32 (N, 28, 28).
    """
    def change(ink, tiles):
        cx, cy, sh = _ink_moments(ink)
        ys = np.arange(_H)[None, :, None] - cy[:, None, None]
        row_start = cx[:, None, None] * (1 - 1 / factor) + sh[:, None, None] * (1 - 1 / factor) * ys
        return _resample(ink, np.arange(_W)[None, None, :] / factor + row_start)

    return _perturb(images, change)


@checked(factor=ck.using(_factor), images=ck.images())
def scale(images, factor: float) -> np.ndarray:
    """Digits made ``factor`` times as large about their centroid (width, height, length, thickness).

    The upscaled binary digit resampled (nearest pixel), then downscaled.
    Returns float32 (N, 28, 28).
    """
    def change(ink, tiles):
        cx, cy, _ = _ink_moments(ink)
        src_x = (np.arange(_W)[None, None, :] - cx[:, None, None]) / factor + cx[:, None, None]
        src_y = (np.arange(_H)[None, :, None] - cy[:, None, None]) / factor + cy[:, None, None]
        return _resample(ink, src_x, src_y)

    return _perturb(images, change)
