"""A normalizing flow (Real NVP / Glow style) in Keras 3: the series' one model with an exact encoder.

Introduced in notebook 08. A flow is an invertible network f from images to
codes of the same size, trained by maximum likelihood through the change of
variables: log p(x) = log N(f(x); 0, I) + log |det df/dx|. So ``encode`` is
the forward pass to the Gaussian base (``latent_dim`` = 784), ``decode`` its
exact inverse, and decode(encode(x)) == x up to float rounding.

The pieces, each with its log-determinant (:class:`FlowStep` layers all
implement ``forward(x) -> (y, log_det)`` and ``inverse(y) -> x``):

- **pixels to logits** (:func:`dequantize`, :func:`to_logits`): 8-bit pixels
  x in {0, 1/255, ..., 1} become y = (255 x + u) / 256 with u ~ U[0, 1)
  (uniform dequantization), then l = logit(alpha + (1 - 2 alpha) y). The
  Jacobian of the logit is counted; the 1/256 bin width gives the 8 bits of
  :func:`bits_per_dim`. ``encode`` uses u = 1/2, the centre of each bin, so
  it is deterministic and an exact bijection of [0, 1].
- **squeeze**: 2 x 2 pixels to 4 channels (28 x 28 x 1 -> 14 x 14 x 4 -> 7 x 7 x 8); log-det 0.
- **actnorm** (Glow): per-channel scale and bias, set from the first batch
  so that every channel starts with zero mean and unit variance.
- **invertible 1 x 1 convolution** (Glow), LU-parametrised so that its
  log-determinant is a sum of logs.
- **affine coupling** (Real NVP): half of the values (a channel half or a
  checkerboard) pass unchanged and set the shift and log-scale of the other
  half through a CNN. The log-scale is bounded with tanh and the CNN's
  last layer starts at zero, so training starts at the identity.
- **spline coupling** (Durkan et al. 2019, neural spline flows): the same
  split, but each moved value goes through its own monotone rational-quadratic
  spline, which can *bend* a distribution where an affine map only shifts and
  scales it. Two of them open the flow (``spline_bins``), one per channel half:
  in logit space every blank pixel's dequantization noise has a one-sided,
  exponential shape, which a spline straightens at once and affine couplings
  only slowly (with them, 1.15 against 1.36 bits/dim after 3 minutes on
  2,000 test digits; benchmarks/flow_sweep.json).
- **multi-scale split**: after each scale half of the channels leave as
  codes; a learned prior (a coupling with the kept half) normalises them, so
  every code is N(0, I) under the model.

Bits per dimension on 8-bit test digits (:func:`bits_per_dim`) use one
dequantization draw per image; by Jensen's inequality uniform dequantization
gives an *upper bound* on the discrete model's bits per dimension.
"""

from __future__ import annotations

import json
import math
import time
from typing import Any

import keras
import numpy as np
from keras import layers, ops

from . import cache, config
from . import checks as ck
from .checks import checked
from .data import (Dataset, as_dataset, check_count, check_memory, check_number, check_numbers, check_positive,
                   check_settings, load_mnist, random_generator)

LOG_2PI = math.log(2.0 * math.pi)
#: Pixels of an MNIST digit: the code size of the flow.
PIXELS = 28 * 28
#: Grey levels of the 8-bit data: each is a bin of width 1/256 once dequantized.
LEVELS = 256
#: Display name in the line-up tables (notebook 08).
FLOW_NAME = "Flow"


# --- pixels <-> logits -------------------------------------------------------------------------------
def dequantize(x, noise):
    """(255 x + u) / 256: 8-bit pixels x in [0, 1] spread over their bins by u in [0, 1)."""
    return (x * (LEVELS - 1.0) + noise) / LEVELS


def quantize(y):
    """The inverse of :func:`dequantize` with u = 1/2: bin centres back to pixels (clipped to [0, 1])."""
    return ops.clip((y * LEVELS - 0.5) / (LEVELS - 1.0), 0.0, 1.0)


def to_logits(y, alpha: float):
    """l = logit(alpha + (1 - 2 alpha) y) per pixel, and the log-determinant of y -> l per image.

    dl/dy = (1 - 2 alpha) / (s (1 - s)) with s = alpha + (1 - 2 alpha) y; every pixel's factor is counted.
    """
    s = alpha + (1.0 - 2.0 * alpha) * y
    logits = ops.log(s) - ops.log1p(-s)
    log_det = ops.sum(math.log(1.0 - 2.0 * alpha) - ops.log(s) - ops.log1p(-s), axis=(1, 2, 3))
    return logits, log_det


def from_logits(logits, alpha: float):
    """The inverse of :func:`to_logits`: y = (sigmoid(l) - alpha) / (1 - 2 alpha)."""
    return (ops.sigmoid(logits) - alpha) / (1.0 - 2.0 * alpha)


def standard_normal_log_density(z):
    """log N(z; 0, I) per image, summed over every axis but the first."""
    return -0.5 * ops.sum(ops.square(z) + LOG_2PI, axis=tuple(range(1, len(z.shape))))


def squeeze(x):
    """(B, H, W, C) -> (B, H/2, W/2, 4C): each 2 x 2 block of pixels becomes 4 channels."""
    b, h, w, c = x.shape
    x = ops.reshape(x, (-1, h // 2, 2, w // 2, 2, c))
    x = ops.transpose(x, (0, 1, 3, 2, 4, 5))
    return ops.reshape(x, (-1, h // 2, w // 2, 4 * c))


def unsqueeze(x):
    """The inverse of :func:`squeeze`."""
    b, h, w, c = x.shape
    x = ops.reshape(x, (-1, h, w, 2, 2, c // 4))
    x = ops.transpose(x, (0, 1, 3, 2, 4, 5))
    return ops.reshape(x, (-1, 2 * h, 2 * w, c // 4))


@checked(h=ck.count(minimum=1), w=ck.count(minimum=1), parity=ck.one_of(0, 1))
def checkerboard(h: int, w: int, parity: int) -> np.ndarray:
    """A (1, h, w, 1) 0/1 mask of alternating pixels; ``parity`` 0 or 1 picks which half is 1."""
    return ((np.add.outer(np.arange(h), np.arange(w)) + parity) % 2).astype(np.float32)[None, :, :, None]


# --- the invertible layers ------------------------------------------------------------------------------
class FlowStep(layers.Layer):
    """An invertible layer: ``forward(x) -> (y, log_det per image)`` and ``inverse(y) -> x``."""

    def forward(self, x):  # pragma: no cover - abstract
        raise NotImplementedError

    def inverse(self, y):  # pragma: no cover - abstract
        raise NotImplementedError


class ActNorm(FlowStep):
    """y = (x + b) * exp(log_scale) per channel (Glow); :meth:`initialize` sets b, log_scale from data."""

    def __init__(self, channels: int, **kwargs):
        super().__init__(**kwargs)
        self.channels = int(channels)
        self.bias = self.add_weight(shape=(channels,), initializer="zeros", name="bias")
        self.log_scale = self.add_weight(shape=(channels,), initializer="zeros", name="log_scale")

    def initialize(self, x) -> None:
        """Zero mean and unit variance per channel on this batch (data-dependent initialisation)."""
        x = ops.convert_to_numpy(x).astype(np.float64)
        mean = x.mean(axis=(0, 1, 2))
        std = x.std(axis=(0, 1, 2)) + 1e-6
        self.bias.assign((-mean).astype(np.float32))
        self.log_scale.assign((-np.log(std)).astype(np.float32))

    def forward(self, x):
        pixels = x.shape[1] * x.shape[2]
        log_det = pixels * ops.sum(self.log_scale) * ops.ones_like(x[:, 0, 0, 0])
        return (x + self.bias) * ops.exp(self.log_scale), log_det

    def inverse(self, y):
        return y * ops.exp(-self.log_scale) - self.bias


class Invertible1x1(FlowStep):
    """A learned channel mixing y = W x at every pixel (Glow), with W = P L (U + diag(sign * exp(log_s))).

    P is a fixed permutation, L unit lower-triangular and U strictly upper-triangular, so
    log |det W| = sum(log_s) costs nothing; W starts as a random rotation (log-det 0).
    """

    def __init__(self, channels: int, seed: int = 0, **kwargs):
        super().__init__(**kwargs)
        import scipy.linalg

        self.channels = c = int(channels)
        rng = np.random.default_rng(seed)
        q, _ = np.linalg.qr(rng.standard_normal((c, c)))
        p, lower, upper = scipy.linalg.lu(q)
        diag = np.diag(upper)
        self.lower_mask = np.tril(np.ones((c, c), np.float32), -1)
        self.upper_mask = self.lower_mask.T.copy()
        self.p = self.add_weight(shape=(c, c), initializer=keras.initializers.Constant(p.astype(np.float32)),
                                 name="permutation", trainable=False)
        self.sign = self.add_weight(shape=(c,), initializer=keras.initializers.Constant(np.sign(diag).astype(np.float32)),
                                    name="sign", trainable=False)
        self.lower = self.add_weight(shape=(c, c), name="lower",
                                     initializer=keras.initializers.Constant((lower * self.lower_mask).astype(np.float32)))
        self.upper = self.add_weight(shape=(c, c), name="upper",
                                     initializer=keras.initializers.Constant((upper * self.upper_mask).astype(np.float32)))
        self.log_s = self.add_weight(shape=(c,), name="log_s",
                                     initializer=keras.initializers.Constant(np.log(np.abs(diag)).astype(np.float32)))

    def weight_matrix(self):
        eye = ops.eye(self.channels, dtype=self.lower.dtype)
        lower = self.lower * self.lower_mask + eye
        upper = self.upper * self.upper_mask + ops.diag(self.sign * ops.exp(self.log_s))
        return ops.matmul(self.p, ops.matmul(lower, upper))

    def forward(self, x):
        pixels = x.shape[1] * x.shape[2]
        log_det = pixels * ops.sum(self.log_s) * ops.ones_like(x[:, 0, 0, 0])
        return _mix_channels(x, ops.transpose(self.weight_matrix())), log_det

    def inverse(self, y):
        return _mix_channels(y, ops.transpose(ops.inv(self.weight_matrix())))


def _mix_channels(x, matrix):
    """x (B, H, W, C) times a (C, C) matrix at every pixel, as one 2-D matmul.

    A broadcast (B, H, W, C) @ (C, C) matmul ran as B*H*W tiny products on the CPU.
    """
    b, h, w, c = x.shape
    return ops.reshape(ops.matmul(ops.reshape(x, (-1, c)), matrix), (-1, h, w, c))


class Reverse(FlowStep):
    """Channels in reverse order (Real NVP's fixed permutation); log-det 0."""

    def forward(self, x):
        return ops.flip(x, axis=-1), ops.zeros_like(x[:, 0, 0, 0])

    def inverse(self, y):
        return ops.flip(y, axis=-1)


def conditioner(in_channels: int, out_channels: int, width: int, depth: int, name: str,
                out_kernel: int = 3) -> keras.Sequential:
    """The coupling's network: 3x3 conv, ``depth`` 1x1 convs (ReLU), then a zero-initialised ``out_kernel`` conv."""
    stack = [layers.Input((None, None, in_channels)),
             layers.Conv2D(width, 3, padding="same", activation="relu", name=f"{name}_in")]
    stack += [layers.Conv2D(width, 1, activation="relu", name=f"{name}_hidden{i}") for i in range(depth)]
    stack.append(layers.Conv2D(out_channels, out_kernel, padding="same", kernel_initializer="zeros",
                               name=f"{name}_out"))
    return keras.Sequential(stack, name=name)


def bounded(raw, bound: float):
    """A log-scale in (-bound, bound): bound * tanh(raw / bound), the identity near 0."""
    return bound * ops.tanh(raw / bound)


class AffineCoupling(FlowStep):
    """Real NVP's affine coupling: half of the values pass and set shift t and log-scale s of the rest.

    ``mask="channel"``: the first half of the channels passes, y_b = x_b * exp(s) + t.
    ``mask="checkerboard"``: alternate pixels pass (``parity`` picks which).
    """

    def __init__(self, channels: int, height: int, width_px: int, mask: str, parity: int, width: int, depth: int,
                 scale_bound: float, **kwargs):
        super().__init__(**kwargs)
        self.channels, self.mask, self.bound = int(channels), mask, float(scale_bound)
        if mask == "channel":
            self.passed = self.channels // 2
            self.net = conditioner(self.passed, 2 * (self.channels - self.passed), width, depth, f"{self.name}_net")
        else:
            self.board = checkerboard(height, width_px, parity)
            self.net = conditioner(self.channels, 2 * self.channels, width, depth, f"{self.name}_net")

    def _shift_scale(self, h):
        out = self.net(h)
        # halves by split, not slicing: a slice's gradient (StridedSliceGrad) took a tenth of a training step
        shift, raw_scale = ops.split(out, 2, axis=-1)
        return shift, bounded(raw_scale, self.bound)

    def forward(self, x):
        if self.mask == "channel":
            xa, xb = ops.split(x, [self.passed], axis=-1)
            t, s = self._shift_scale(xa)
            return ops.concatenate([xa, xb * ops.exp(s) + t], axis=-1), ops.sum(s, axis=(1, 2, 3))
        m = self.board
        t, s = self._shift_scale(x * m)
        s = s * (1.0 - m)
        return x * m + (1.0 - m) * (x * ops.exp(s) + t), ops.sum(s, axis=(1, 2, 3))

    def inverse(self, y):
        if self.mask == "channel":
            ya, yb = ops.split(y, [self.passed], axis=-1)
            t, s = self._shift_scale(ya)
            return ops.concatenate([ya, (yb - t) * ops.exp(-s)], axis=-1)
        m = self.board
        t, s = self._shift_scale(y * m)
        s = s * (1.0 - m)
        return y * m + (1.0 - m) * ((y - t) * ops.exp(-s))


#: The interval [-SPLINE_BOUND, SPLINE_BOUND] a spline coupling bends; outside it, the identity.
SPLINE_BOUND = 3.0
_MIN_BIN, _MIN_SLOPE = 1e-3, 1e-3
#: softplus(_SLOPE_SHIFT) = 1 - _MIN_SLOPE: a zero network output gives slope 1 at every knot (the identity).
_SLOPE_SHIFT = math.log(math.expm1(1.0 - _MIN_SLOPE))


def _knots(raw, bound: float):
    """Bin widths (softmax of ``raw`` (K, N), each at least _MIN_BIN) -> knots (K + 1, N) from -bound to bound."""
    k = raw.shape[0]
    widths = _MIN_BIN + (1.0 - _MIN_BIN * k) * ops.softmax(raw, axis=0)
    inner = ops.cumsum(widths, axis=0)[:-1]
    ends = ops.ones_like(raw[:1])
    return ops.concatenate([-ends, 2.0 * inner - 1.0, ends], axis=0) * bound


def rational_quadratic_spline(x, raw_widths, raw_heights, raw_slopes, bound: float = SPLINE_BOUND,
                              inverse: bool = False):
    """A monotone rational-quadratic spline per value (Durkan et al. 2019) and log |dy/dx| per value.

    K bins of learned widths and heights on [-bound, bound], learned slopes at
    the K - 1 inner knots and slope 1 at the ends, where it joins the identity
    outside the interval. It bends each value's distribution into another shape
    (an affine coupling only shifts and scales it); its inverse is a root of a quadratic.
    ``raw_*`` have the shape of x plus a last axis of K, K and K - 1 values.
    """
    shape = x.shape

    def bins_first(raw):  # (..., K) -> (K, N): the per-bin work runs along long rows, several times faster
        return ops.transpose(ops.reshape(raw, (-1, raw.shape[-1])))

    x = ops.reshape(x, (-1,))
    xs, ys = _knots(bins_first(raw_widths), bound), _knots(bins_first(raw_heights), bound)
    bins = xs.shape[0] - 1
    raw_slopes = bins_first(raw_slopes)
    ones = ops.ones_like(raw_slopes[:1])
    slopes = ops.concatenate([ones, _MIN_SLOPE + ops.softplus(raw_slopes + _SLOPE_SHIFT), ones], axis=0)
    inside = ops.logical_and(x > -bound, x < bound)
    v = ops.clip(x, -bound, bound)
    index = ops.sum(ops.cast(v[None] >= (ys if inverse else xs)[1:bins], "int32"), axis=0)
    onehot = ops.transpose(ops.one_hot(index, bins, dtype=v.dtype))  # (K, N): which bin each value is in

    def pick(table, offset=0):
        return ops.sum(onehot * table[offset: offset + bins], axis=0)

    x0, y0, d0, d1 = pick(xs), pick(ys), pick(slopes), pick(slopes, 1)
    w, h = pick(xs, 1) - x0, pick(ys, 1) - y0
    s = h / w
    if inverse:
        dy, bend = v - y0, d0 + d1 - 2.0 * s
        a = h * (s - d0) + dy * bend
        b = h * d0 - dy * bend
        c = -s * dy
        xi = 2.0 * c / (-b - ops.sqrt(ops.maximum(b * b - 4.0 * a * c, 0.0)))
        out = x0 + w * xi
    else:
        xi = (v - x0) / w
        out = y0 + h * (s * xi * xi + d0 * xi * (1.0 - xi)) / (s + (d0 + d1 - 2.0 * s) * xi * (1.0 - xi))
    xi = ops.clip(xi, 0.0, 1.0)
    den = s + (d0 + d1 - 2.0 * s) * xi * (1.0 - xi)
    log_slope = ops.log(s * s * (d1 * xi * xi + 2.0 * s * xi * (1.0 - xi) + d0 * (1.0 - xi) ** 2)) - 2.0 * ops.log(den)
    if inverse:
        log_slope = -log_slope
    out, log_slope = ops.where(inside, out, x), ops.where(inside, log_slope, 0.0)
    return ops.reshape(out, (-1, *shape[1:])), ops.reshape(log_slope, (-1, *shape[1:]))


class SplineCoupling(FlowStep):
    """A coupling whose moved half goes through a rational-quadratic spline set by the passed half.

    Half of the channels (``parity`` 0: the first half) pass unchanged; the
    network reads them and gives, for every value of the other half, the
    ``bins`` widths, heights and inner slopes of its spline. A zero network
    output is the identity, so training starts there, as with :class:`AffineCoupling`.
    """

    def __init__(self, channels: int, bins: int, parity: int, width: int, depth: int, **kwargs):
        super().__init__(**kwargs)
        self.channels, self.bins, self.parity = int(channels), int(bins), int(parity)
        self.passed = self.channels // 2
        self.moved = self.channels - self.passed
        self.net = conditioner(self.passed, self.moved * (3 * self.bins - 1), width, depth, f"{self.name}_net",
                               out_kernel=1)

    def _split(self, x):
        if self.parity == 0:
            return ops.split(x, [self.passed], axis=-1)
        moved, passed = ops.split(x, [self.moved], axis=-1)
        return passed, moved

    def _join(self, passed, moved):
        return ops.concatenate([passed, moved] if self.parity == 0 else [moved, passed], axis=-1)

    def _spline(self, passed, moved, inverse):
        raw = self.net(passed)
        raw = ops.reshape(raw, (-1, *raw.shape[1:3], self.moved, 3 * self.bins - 1))
        k = self.bins
        return rational_quadratic_spline(moved, *ops.split(raw, [k, 2 * k], axis=-1), inverse=inverse)

    def forward(self, x):
        passed, moved = self._split(x)
        out, log_slope = self._spline(passed, moved, inverse=False)
        return self._join(passed, out), ops.sum(log_slope, axis=(1, 2, 3))

    def inverse(self, y):
        passed, moved = self._split(y)
        return self._join(passed, self._spline(passed, moved, inverse=True)[0])


class SplitPrior(layers.Layer):
    """The learned prior of the codes that leave at a split (Glow): z = (out - mean(kept)) * exp(-log_sd(kept)).

    An affine coupling whose passed half is the kept channels, so the codes
    are N(0, I) under the model; zero-initialised, it starts as N(0, I) itself.
    """

    def __init__(self, kept: int, out: int, width: int, scale_bound: float, **kwargs):
        super().__init__(**kwargs)
        self.bound = float(scale_bound)
        self.net = conditioner(kept, 2 * out, width, 0, f"{self.name}_net")

    def _mean_log_sd(self, kept):
        mean, raw_log_sd = ops.split(self.net(kept), 2, axis=-1)
        return mean, bounded(raw_log_sd, self.bound)

    def forward(self, kept, out):
        mean, log_sd = self._mean_log_sd(kept)
        return (out - mean) * ops.exp(-log_sd), -ops.sum(log_sd, axis=(1, 2, 3))

    def inverse(self, kept, z):
        mean, log_sd = self._mean_log_sd(kept)
        return z * ops.exp(log_sd) + mean


# --- the model ----------------------------------------------------------------------------------------
def check_splits(splits, *, name: str = "splits") -> tuple[bool, bool]:
    """Two booleans (does half of the code leave after scale 0, after scale 1?), or a TypeError naming ``name``."""
    if (isinstance(splits, (str, bytes)) or not isinstance(splits, (list, tuple)) or len(splits) != 2
            or not all(isinstance(v, (bool, np.bool_)) for v in splits)):
        raise TypeError(f"{name} must be two booleans (does half of the code leave after scale 0, "
                        f"after scale 1?), e.g. [True, True], got {splits!r}.")
    return bool(splits[0]), bool(splits[1])


@checked(splits=ck.using(check_splits))
def scale_shapes(splits=(True, True)) -> tuple[tuple[int, int, int], ...]:
    """(height, width, channels) of the three scales.

    One squeeze gives 14 x 14 x 4; after scale 0, half of the channels leave
    when ``splits[0]``, and a second squeeze gives 7 x 7 x 8 (or x 16); after
    scale 1, half leave again when ``splits[1]`` (7 x 7 x 4), no squeeze (7 is odd).
    """
    c0 = 4
    c1 = 4 * (c0 // 2 if splits[0] else c0)
    c2 = c1 // 2 if splits[1] else c1
    return (14, 14, c0), (7, 7, c1), (7, 7, c2)


@checked(splits=ck.using(check_splits))
def code_sizes(splits=(True, True)) -> list[int]:
    """How many of the 784 code values leave at each scale: 392, 196, 196 with both splits."""
    shapes = scale_shapes(splits)
    sizes = [h * w * c // 2 if split else 0 for (h, w, c), split in zip(shapes[:2], splits)]
    return [*sizes, PIXELS - sum(sizes)]


#: The three scales of the default flow (both splits).
SCALE_SHAPES = scale_shapes()


def _finite_codes(codes, name, args) -> np.ndarray:
    if not np.all(np.isfinite(codes)):
        raise ValueError("encode: the flow returned NaN or infinite codes; is the model trained to a NaN loss?")
    return codes


def _finite_images(images, name, args) -> np.ndarray:
    if not np.all(np.isfinite(images)):
        raise ValueError(f"decode: codes as large as {np.abs(args['z']).max():.3g} overflow the flow's inverse; "
                         "pass codes of ordinary size (the base puts almost all of them within 5 of 0 per value).")
    return images


def _sample_count(n, *, name) -> int:
    """A count of samples >= 1 that fits in memory (codes, images and the flow's activations)."""
    n = check_count(n, name=name, minimum=1)
    check_memory(4.0 * n * 4 * PIXELS, name=name, what=f"{n:,} samples")
    return n


@keras.saving.register_keras_serializable(package="helpers")
class Flow(keras.Model):
    """A three-scale flow of 28 x 28 digits onto a 784-d standard normal code (notebook 08).

    ``steps`` flow steps per scale (actnorm, a channel mixing, an affine
    coupling), with coupling networks ``widths`` channels wide and ``depth``
    hidden 1x1 layers. ``mask`` is "channel", "checkerboard" or "alternate"
    (checkerboard and channel couplings in turn); ``mixing`` "1x1" (Glow's
    invertible convolution) or "reverse" (Real NVP's fixed permutation);
    ``splits`` says whether half of the values leave as codes after scale 0
    and after scale 1 (the multi-scale architecture of Real NVP);
    ``spline_bins`` > 0 opens scale 0 with an actnorm and two spline
    couplings of that many bins (one per channel half), 0 leaves them out.
    """

    def __init__(self, steps=(4, 4, 4), widths=(64, 64, 64), depth: int = 1, mask: str = "channel",
                 mixing: str = "1x1", actnorm: bool = True, split_prior: bool = True, scale_bound: float = 2.0,
                 alpha: float = 1e-6, splits=(True, True), spline_bins: int = 0, seed: int = 0, **kwargs):
        super().__init__(**kwargs)
        # Keras rebuilds a saved flow through this constructor: check what build_flow's configuration checks
        for key, value in (("steps", steps), ("widths", widths)):
            if isinstance(value, (str, bytes)) or not isinstance(value, (list, tuple)) or len(value) != 3:
                raise TypeError(f"Flow: {key} must be three integers, one per scale, e.g. (4, 4, 4), got {value!r}.")
        ck.check_choice(mask, ("channel", "checkerboard", "alternate"), name="mask")
        ck.check_choice(mixing, ("1x1", "reverse"), name="mixing")
        self.steps = tuple(check_count(s, name="steps entry", minimum=1) for s in steps)
        self.widths = tuple(check_count(w, name="widths entry", minimum=1) for w in widths)
        self.depth, self.mask, self.mixing = int(depth), str(mask), str(mixing)
        self.use_actnorm, self.use_split_prior = bool(actnorm), bool(split_prior)
        self.scale_bound, self.alpha, self.seed = float(scale_bound), float(alpha), int(seed)
        self.splits = tuple(bool(s) for s in splits)
        self.spline_bins = int(spline_bins)
        self.shapes = scale_shapes(self.splits)
        self.latent_dim = PIXELS
        self.scales = []
        for k, ((h, w, c), n_steps, width) in enumerate(zip(self.shapes, self.steps, self.widths)):
            chain = []
            if k == 0 and self.spline_bins:  # bend every value's own distribution first (both halves)
                chain.append(ActNorm(c, name="s0_actnorm_spline"))
                chain += [SplineCoupling(c, self.spline_bins, parity, width, self.depth, name=f"s0_spline{parity}")
                          for parity in (0, 1)]
            for i in range(n_steps):
                if self.use_actnorm:
                    chain.append(ActNorm(c, name=f"s{k}_actnorm{i}"))
                if self.mixing == "1x1":
                    chain.append(Invertible1x1(c, seed=self.seed + 100 * k + i, name=f"s{k}_mix{i}"))
                else:
                    chain.append(Reverse(name=f"s{k}_mix{i}"))
                kind = self.mask if self.mask != "alternate" else ("checkerboard" if i % 2 == 0 else "channel")
                chain.append(AffineCoupling(c, h, w, kind, i % 2, width, self.depth, self.scale_bound,
                                            name=f"s{k}_coupling{i}"))
            self.scales.append(chain)
        self.priors, self.prior_scales = [], []  # a learned prior per split, and the scale it follows
        if self.use_split_prior:
            for k, (_, _, c) in enumerate(self.shapes[:2]):
                if self.splits[k]:
                    self.priors.append(SplitPrior(c // 2, c // 2, self.widths[k], self.scale_bound,
                                                  name=f"s{k}_prior"))
                    self.prior_scales.append(k)
        self.built = True

    def get_config(self):
        return {**super().get_config(), "steps": list(self.steps), "widths": list(self.widths), "depth": self.depth,
                "mask": self.mask, "mixing": self.mixing, "actnorm": self.use_actnorm,
                "split_prior": self.use_split_prior, "scale_bound": self.scale_bound, "alpha": self.alpha,
                "splits": list(self.splits), "spline_bins": self.spline_bins, "seed": self.seed}

    @classmethod
    def from_config(cls, cfg):
        return cls(**cfg)

    # --- the change of variables ---
    def flow_forward(self, logits, initialize: bool = False):
        """Logits (B, 28, 28, 1) -> codes (B, 784) and the log-determinant of the flow per image.

        ``initialize=True`` sets every actnorm from the batch on the way (eager only).
        """
        h = squeeze(logits)
        log_det = ops.zeros_like(h[:, 0, 0, 0])
        codes = []
        for k, chain in enumerate(self.scales):
            if k == 1:
                h = squeeze(h)
            for step in chain:
                if initialize and isinstance(step, ActNorm):
                    step.initialize(h)
                h, ld = step.forward(h)
                log_det = log_det + ld
            if k < 2 and self.splits[k]:
                kept, out = ops.split(h, 2, axis=-1)
                if k in self.prior_scales:
                    out, ld = self.priors[self.prior_scales.index(k)].forward(kept, out)
                    log_det = log_det + ld
                codes.append(ops.reshape(out, (-1, int(np.prod(out.shape[1:])))))
                h = kept
        codes.append(ops.reshape(h, (-1, int(np.prod(h.shape[1:])))))
        return ops.concatenate(codes, axis=-1), log_det

    def flow_inverse(self, z):
        """Codes (B, 784) -> logits (B, 28, 28, 1): :meth:`flow_forward` backwards."""
        sizes = np.cumsum([0, *code_sizes(self.splits)])
        parts = [z[:, sizes[i]: sizes[i + 1]] for i in range(3)]
        h = ops.reshape(parts[2], (-1, *self.shapes[2]))
        for k in (2, 1, 0):
            if k < 2 and self.splits[k]:
                height, width, c = self.shapes[k]
                out = ops.reshape(parts[k], (-1, height, width, c // 2))
                if k in self.prior_scales:
                    out = self.priors[self.prior_scales.index(k)].inverse(h, out)
                h = ops.concatenate([h, out], axis=-1)
            for step in reversed(self.scales[k]):
                h = step.inverse(h)
            if k == 1:
                h = unsqueeze(h)
        return unsqueeze(h)

    def log_density(self, y):
        """log p(y) per image for dequantized pixels y (B, 28, 28) in (0, 1): base + flow + logit Jacobians (nats)."""
        logits, ld_logit = to_logits(ops.reshape(y, (-1, 28, 28, 1)), self.alpha)
        z, ld_flow = self.flow_forward(logits)
        return standard_normal_log_density(z) + ld_flow + ld_logit

    def nll_bits_per_dim(self, x, noise):
        """-log2 p per dimension of 8-bit pixels x (B, 28, 28) dequantized with ``noise``: an upper bound.

        The density of y in [0, 1]^784 times the bin volume 256^-784 bounds the
        probability of the 8-bit image, hence the 8 bits added per pixel.
        """
        return -self.log_density(dequantize(x, noise)) / (PIXELS * math.log(2.0)) + math.log2(LEVELS)

    def _bits_of_stacked(self, both):
        """:meth:`nll_bits_per_dim` of images and noise stacked along the rows: (B, 56, 28)."""
        return self.nll_bits_per_dim(both[:, :28], both[:, 28:])

    def call(self, x, training=False):
        return self.encode_graph(x)

    def encode_graph(self, x):
        """x (B, 28, 28) in [0, 1] -> codes (B, 784); bin centres, no noise."""
        logits, _ = to_logits(ops.reshape(dequantize(x, 0.5), (-1, 28, 28, 1)), self.alpha)
        return self.flow_forward(logits)[0]

    def decode_graph(self, z):
        """codes (B, 784) -> pixels (B, 28, 28) in [0, 1]."""
        return ops.reshape(quantize(from_logits(self.flow_inverse(z), self.alpha)), (-1, 28, 28))

    def train_flops_per_image(self) -> int:
        """Multiply-adds x 2 of one forward pass of every convolution, x 3 for a training step."""
        flops = 0
        for k, chain in enumerate(self.scales):
            h, w, _ = self.shapes[k]
            for step in chain:
                if isinstance(step, (AffineCoupling, SplineCoupling)):
                    flops += _conv_flops(step.net, h * w)
                elif isinstance(step, Invertible1x1):
                    flops += 2 * h * w * step.channels ** 2
        for k, prior in zip(self.prior_scales, self.priors):
            h, w, _ = self.shapes[k]
            flops += _conv_flops(prior.net, h * w)
        return 3 * flops

    # --- the shared generative-model interface ---
    #: each traced inference function's input shape after the batch axis
    _GRAPH_INPUTS = {"encode_graph": (28, 28), "decode_graph": (PIXELS,), "_bits_of_stacked": (56, 28)}

    def _graph(self, name: str, precise: bool = False):
        """A traced inference function: eager calls cost milliseconds of Python per layer.

        Traced once, for any batch size (the signature leaves the batch axis open):
        tracing this deep a graph takes seconds, and a trace per batch shape cost
        notebook 08 about as much as its inference. ``precise`` runs it on a float64
        twin of the flow (:meth:`_float64_twin`). Not XLA-compiled: compiling takes
        longer than the chapter's inference runs.
        """
        import tensorflow as tf

        graphs = self.__dict__.setdefault("_inference_graphs", {})
        if (name, precise) not in graphs:
            spec = tf.TensorSpec((None, *self._GRAPH_INPUTS[name]), "float64" if precise else "float32")
            graphs[name, precise] = tf.function(getattr(self._float64_twin() if precise else self, name),
                                                input_signature=[spec])
        return graphs[name, precise]

    def _float64_twin(self) -> "Flow":
        """The same flow in float64, its weights copied from this one's at every call.

        ``encode`` and ``decode`` run on it with ``precise=True``: float32 rounding
        (about 1e-7 per layer), compounded over some fifty layers of a sharply trained
        flow, moved a flow trained for 120 s by up to 1.1e-4 per pixel in decode(encode(x));
        in float64, 4e-6 with the codes stored as float32 (2026-12-04, 10,000 test
        digits), at several times the cost. Training and the default stay float32.
        """
        twin = self.__dict__.get("_twin")
        if twin is None:
            policy = keras.config.dtype_policy()
            keras.config.set_dtype_policy("float64")
            try:
                twin = self.__dict__["_twin"] = Flow.from_config(self.get_config())
            finally:
                keras.config.set_dtype_policy(policy)
        twin.set_weights([np.asarray(w, np.float64) for w in self.get_weights()])
        return twin

    def _batched(self, name: str, values: np.ndarray, batch_size: int, out_shape: tuple[int, ...],
                 precise: bool = False) -> np.ndarray:
        """``name`` on ``values`` in batches of ``batch_size``, as float32."""
        run = self._graph(name, precise)
        if precise:
            self._float64_twin()  # this flow's current weights
        values = np.asarray(values, np.float64 if precise else np.float32)
        parts = [ops.convert_to_numpy(run(values[i: i + batch_size])).astype(np.float32)
                 for i in range(0, len(values), batch_size)]
        return np.concatenate(parts) if parts else np.zeros((0, *out_shape), np.float32)

    @checked(x=ck.images(label="encode(x)"), batch_size=ck.count(minimum=1), precise=ck.flag(), returns=_finite_codes)
    def encode(self, x, batch_size: int = 256, precise: bool = False) -> np.ndarray:
        """The exact code f(x) of each image: (N, 784), N(0, I) under the model; ``precise``: in float64."""
        return self._batched("encode_graph", x, batch_size, (PIXELS,), precise)

    @checked(z=ck.codes(PIXELS, label="decode(z)"), batch_size=ck.count(minimum=1), precise=ck.flag(),
             returns=_finite_images)
    def decode(self, z, batch_size: int = 256, precise: bool = False) -> np.ndarray:
        """Images f^-1(z): (N, 28, 28) in [0, 1]; ``precise``: in float64."""
        return self._batched("decode_graph", z, batch_size, (28, 28), precise)

    @checked(n=ck.using(_sample_count), seed=ck.seed(), temperature=ck.number(low=0.0))
    def sample(self, n: int, seed: int | None = None, temperature: float = 1.0) -> np.ndarray:
        """n images decoded from codes drawn from N(0, temperature^2 I); temperature 0 decodes the mean code 0."""
        z = random_generator(seed).standard_normal((n, PIXELS)).astype(np.float32) * np.float32(temperature)
        return self.decode(z)

    def reconstruct(self, x) -> np.ndarray:
        return self.decode(self.encode(x))


def _conv_flops(net: keras.Sequential, pixels: int) -> int:
    flops = 0
    for layer in net.layers:
        if isinstance(layer, layers.Conv2D):
            k = layer.kernel.shape
            flops += 2 * pixels * int(np.prod(k))
    return flops


# --- evaluation ---------------------------------------------------------------------------------------
def _some_images(x, *, name) -> np.ndarray:
    x = ck.check_images(x, name=name)
    if len(x) == 0:
        raise ValueError(f"{name}: no images; pass at least one test image.")
    return x


_A_FLOW = ck.instance(Flow, "flow.pretrained_flow()[0]")


@checked(model=_A_FLOW, x=ck.using(_some_images), seed=ck.seed(), batch_size=ck.count(minimum=1))
def bits_per_dim(model: Flow, x, seed: int = 0, batch_size: int = 256) -> float:
    """Mean bits per dimension of 8-bit images x (N, 28, 28) in [0, 1], one dequantization draw each.

    An upper bound on -log2 P(x) / 784 of the discrete model (Jensen's inequality
    over the uniform noise), the convention of the published MNIST figures.
    """
    noise = random_generator(seed).random(x.shape, dtype=np.float32)
    both = np.concatenate([x, noise], axis=1)  # one array: the traced function takes one input
    nll = model._batched("_bits_of_stacked", both, batch_size, ())
    return float(np.mean(nll))


@checked(model=ck.model(), x=ck.using(_some_images), batch_size=ck.count(minimum=1))
def reconstruction_errors(model, x, batch_size: int = 256, **codec_options) -> dict[str, float]:
    """How exactly decode(encode(x)) returns x: max and mean absolute error, and differing 8-bit pixels.

    ``codec_options`` go to both ``encode`` and ``decode`` (a flow's ``precise=True``).
    """
    recon = np.concatenate([model.decode(model.encode(x[i: i + batch_size], **codec_options), **codec_options)
                            for i in range(0, len(x), batch_size)])
    err = np.abs(recon.astype(np.float64) - x)
    differing = np.round(recon * 255.0) != np.round(x * 255.0)
    return {"max abs error": float(err.max()), "mean abs error": float(err.mean()),
            "differing 8-bit pixels": int(differing.sum()), "images": len(x)}


# --- training and the cache -----------------------------------------------------------------------------
#: Settings every flow configuration needs (see :func:`training_config`).
REQUIRED_SETTINGS = ("steps", "widths", "depth", "mask", "mixing", "actnorm", "split_prior", "scale_bound", "alpha",
                     "splits", "spline_bins", "budget_seconds", "epochs", "batch_size", "learning_rate", "warmup_fraction",
                     "train_images", "jit_compile", "seed")
#: Settings a configuration may leave out: ``max_steps`` (None or absent: no cap on the optimizer steps).
OPTIONAL_SETTINGS = ("max_steps",)
ARCHITECTURE = ("steps", "widths", "depth", "mask", "mixing", "actnorm", "split_prior", "scale_bound", "alpha",
                "splits", "spline_bins", "seed")


def check_training_config(cfg, *, name: str = "cfg") -> dict[str, Any]:
    """``cfg`` with every setting :func:`train_flow` reads present and sensible, or an error naming it."""
    cfg = check_settings(cfg, REQUIRED_SETTINGS, name=name, example="flow.training_config()")
    for key in ("steps", "widths"):
        value = cfg[key]
        if isinstance(value, (str, bytes)) or not isinstance(value, (list, tuple)) or len(value) != 3:
            raise TypeError(f"{name}['{key}'] must be a list of three integers, one per scale, e.g. [4, 4, 4], "
                            f"got {value!r}.")
        for v in value:
            check_count(v, name=f"{name}['{key}'] entry", minimum=1)
    check_splits(cfg["splits"], name=f"{name}['splits']")
    check_count(cfg["depth"], name=f"{name}['depth']", minimum=0)
    if check_count(cfg["spline_bins"], name=f"{name}['spline_bins']", minimum=0) == 1:
        raise ValueError(f"{name}['spline_bins'] must be 0 (no spline couplings) or at least 2 bins, got 1.")
    for key, allowed in (("mask", ("channel", "checkerboard", "alternate")), ("mixing", ("1x1", "reverse"))):
        if cfg[key] not in allowed:
            raise ValueError(f"{name}['{key}'] must be one of {list(allowed)}, got {cfg[key]!r}.")
    for key in ("actnorm", "split_prior", "jit_compile"):
        if not isinstance(cfg[key], (bool, np.bool_)):
            raise TypeError(f"{name}['{key}'] must be True or False, got {cfg[key]!r}.")
    check_positive(cfg["scale_bound"], name=f"{name}['scale_bound']")
    check_number(cfg["alpha"], name=f"{name}['alpha']", low=0.0, high=0.5, high_open=True)
    for key in ("batch_size", "train_images"):
        check_count(cfg[key], name=f"{name}['{key}']", minimum=1)
    if cfg["budget_seconds"] is not None:
        check_positive(cfg["budget_seconds"], name=f"{name}['budget_seconds']")
    check_positive(cfg["epochs"], name=f"{name}['epochs']")  # fractions of an epoch allowed
    if cfg.get("max_steps") is not None:
        check_count(cfg["max_steps"], name=f"{name}['max_steps']", minimum=1)
    check_count(cfg["seed"], name=f"{name}['seed']")
    check_positive(cfg["learning_rate"], name=f"{name}['learning_rate']")
    check_number(cfg["warmup_fraction"], name=f"{name}['warmup_fraction']", low=0.0, high=1.0, high_open=True)
    return dict(cfg)


def _known_settings(overrides, *, name) -> dict[str, Any]:
    known = set(REQUIRED_SETTINGS) | set(OPTIONAL_SETTINGS)
    unknown = sorted(set(overrides) - known)
    if unknown:
        raise TypeError(f"unknown flow setting(s) {unknown}; known: {sorted(known)}.")
    return overrides


_A_CONFIG = ck.using(check_training_config)


@checked(overrides=ck.using(_known_settings), returns=ck.using(check_training_config, label="training_config(...)"))
def training_config(**overrides) -> dict[str, Any]:
    """Architecture and schedule of the series' flow for this mode (measured: ``python -m benchmarks.flow_sweep``).

    Training stops when ``budget_seconds`` of wall-clock time are spent or after
    ``max_steps`` optimizer steps (or ``epochs``), whichever comes first: a slower
    machine trains as far as the budget allows, a faster one stops at the steps a
    reference machine makes in it (:data:`helpers.config.Settings.flow_max_steps`)
    and so trains the same model as the book. ``budget_seconds=None`` trains for
    ``epochs`` (or ``max_steps``).
    """
    s = config.SETTINGS
    return {
        # few, wide couplings: 3 per coarse scale, 384 channels, fill this CPU's matrix units (0.37 of its matmul
        # rate against 0.11 for 6 of 96 channels, batch 32) for 0.02 bits/dim more after the same 68 s (1.186
        # against 1.164, first 2,000 test digits; benchmarks/flow_sweep.json, 2026-12-05)
        "steps": [2, 3, 3],
        "widths": [64, 384, 384],
        "depth": 1,
        "mask": "channel",
        "mixing": "1x1",
        "actnorm": True,
        "split_prior": True,
        "scale_bound": 2.0,
        "alpha": 1e-6,
        "splits": [True, True],
        "spline_bins": 8,  # 16 bins: 1.151 against 1.154 bits/dim after 180 s, each step slower
        "budget_seconds": s.flow_budget_seconds,
        "epochs": s.flow_max_epochs,
        "max_steps": s.flow_max_steps,
        "batch_size": 64,  # 128: 1.217 after 68 s (fewer steps); the learning rate: 2.5e-3 1.200, 6e-3 1.187
        "learning_rate": 4e-3,
        "warmup_fraction": 0.05,
        "train_images": s.train_subset or 60000,
        "jit_compile": s.flow_jit_compile,
        "seed": 0,
        **overrides,
    }


@checked(cfg=_A_CONFIG)
def build_flow(cfg: dict[str, Any]) -> Flow:
    """The flow of a configuration, untrained (one seed call)."""
    config.seed_everything(int(cfg["seed"]))
    return Flow(**{k: cfg[k] for k in ARCHITECTURE})


@checked(cfg=_A_CONFIG, progress=ck.number(low=0.0, high=1.0))
def learning_rate(cfg: dict[str, Any], progress: float) -> float:
    """The rate at ``progress`` (0 to 1) through training: linear warm-up to the peak, then cosine decay to zero.

    ``progress`` is the share of the run done: of the time budget or of the step
    cap, whichever is further along (see :func:`train_flow`), so the schedule
    spans the whole run on any machine.
    """
    peak, warmup = cfg["learning_rate"], cfg["warmup_fraction"]
    if progress < warmup:
        return peak * progress / warmup
    return peak * 0.5 * (1.0 + math.cos(math.pi * min(1.0, (progress - warmup) / (1.0 - warmup))))


def _checkpoint_times(values, *, name) -> list[float]:
    values = check_numbers(values, name=name, ndim=1, what="training times in seconds, e.g. (60, 120)")
    if np.any(values < 0):
        raise ValueError(f"{name}: training times must be >= 0 seconds, got {values.min():g}.")
    return sorted(float(v) for v in values)


@checked(data=ck.using(as_dataset), cfg=_A_CONFIG, checkpoints=ck.using(_checkpoint_times),
         eval_images=ck.count(minimum=1, allow_none=True), verbose=ck.flag())
def train_flow(data: Dataset, cfg: dict[str, Any], *, checkpoints=(), eval_images: int | None = None,
               verbose: bool = False) -> tuple[Flow, dict[str, Any]]:
    """Build and train a flow by maximum likelihood on dequantized training digits; returns (model, record).

    The clock is wall time from the start, tracing and XLA compilation included
    (what a reader waits for); training stops at ``cfg["budget_seconds"]`` or at
    ``cfg["max_steps"]`` steps, whichever comes first, and the learning rate follows
    the share of the run done, the larger of the two shares (:func:`learning_rate`).
    ``checkpoints`` are points of the run in budget seconds (the share done times the
    budget; on a machine that stops at the step cap they come earlier on the clock)
    at which the test bits/dim of the first ``eval_images`` test digits is measured
    (the clock stops while it is); each records the clock's seconds then. The
    record holds them, the training curve (train bits/dim per twentieth of an
    epoch), the steps and epochs reached, the seconds and the FLOPs per image.
    """
    import tensorflow as tf

    x = data.x_train[: cfg["train_images"]]
    x_eval = data.x_test[: eval_images or len(data.x_test)]
    batch, budget = int(cfg["batch_size"]), cfg["budget_seconds"]
    per_epoch = max(1, len(x) // batch)
    epoch_steps = max_steps = max(1, round(float(cfg["epochs"]) * per_epoch))
    if cfg.get("max_steps") is not None:
        max_steps = min(max_steps, int(cfg["max_steps"]))
    rng = np.random.default_rng(int(cfg["seed"]))
    start, paused = time.perf_counter(), 0.0

    def clock() -> float:
        return time.perf_counter() - start - paused

    def share_done() -> float:  # of the time budget or of the step cap, whichever is further along
        return max(clock() / budget, done / max_steps) if budget else done / max_steps

    model = build_flow(cfg)
    init = x[rng.choice(len(x), size=min(len(x), 512), replace=False)]
    model.flow_forward(to_logits(ops.reshape(dequantize(init, rng.random(init.shape, dtype=np.float32)),
                                             (-1, 28, 28, 1)), model.alpha)[0], initialize=True)
    optimizer = keras.optimizers.Adam(learning_rate(cfg, 0.0))
    weights = model.trainable_weights
    optimizer.build(weights)
    noise_seed = tf.Variable(int(cfg["seed"]), dtype=tf.int64, trainable=False)

    def step(xb):  # a batch from numpy: a graph constant of the training set would hold another 188 MB
        seed = tf.stack([noise_seed, tf.cast(optimizer.iterations, tf.int64)])
        u = tf.random.stateless_uniform(tf.shape(xb), seed=seed)
        with tf.GradientTape() as tape:
            loss = ops.mean(model.nll_bits_per_dim(xb, u))
        grads = tape.gradient(loss, weights)
        optimizer.apply_gradients(zip(grads, weights))
        return loss

    run = tf.function(step, jit_compile=bool(cfg["jit_compile"]))
    checkpoints = list(checkpoints)
    curve, at_checkpoints, losses = [], [], []
    every = max(1, per_epoch // 20)
    order = np.zeros(0, np.int64)
    done, first_step_seconds = 0, None
    while done < max_steps:
        progress = share_done()
        if progress >= 1.0:
            break
        optimizer.learning_rate.assign(learning_rate(cfg, progress))
        if len(order) < batch:  # a new epoch: a new shuffle
            order = np.concatenate([order, rng.permutation(len(x))])
        idx, order = order[:batch], order[batch:]
        loss = float(run(x[idx]))
        done += 1
        first_step_seconds = first_step_seconds or clock()
        losses.append(loss)
        if not np.isfinite(loss):
            raise FloatingPointError(f"flow training diverged at step {done} (loss {loss}); lower "
                                     f"cfg['learning_rate'] (now {cfg['learning_rate']}).")
        if done % every == 0:
            curve.append({"step": done, "epoch": done / per_epoch, "seconds": clock(),
                          "train bits/dim": float(np.mean(losses[-every:]))})
        while checkpoints and (share_done() * budget * (1 + 1e-12) if budget else clock()) >= checkpoints[0]:
            t0 = time.perf_counter()
            at_checkpoints.append({"budget seconds": checkpoints.pop(0), "seconds": clock(), "step": done,
                                   "test bits/dim": bits_per_dim(model, x_eval)})
            paused += time.perf_counter() - t0
        if verbose and done % per_epoch == 0:
            print(f"epoch {done / per_epoch:.2f}: train {np.mean(losses[-per_epoch:]):.3f} bits/dim, "
                  f"{clock():.0f} s", flush=True)
    seconds = clock()
    if not curve or curve[-1]["step"] != done:
        tail = done % every or every
        curve.append({"step": done, "epoch": done / per_epoch, "seconds": seconds,
                      "train bits/dim": float(np.mean(losses[-tail:]))})
    record = {
        "curve": curve,
        "checkpoints": at_checkpoints,
        "train_seconds": seconds,
        "first_step_seconds": first_step_seconds,
        "steps": done,
        "stopped_by": ("epochs" if done >= epoch_steps else "step cap" if done >= max_steps else "time limit"),
        "epochs": done / per_epoch,
        "images_seen": done * batch,
        "train_images": len(x),
        "train_flops_per_image": model.train_flops_per_image(),
        "parameters": int(sum(int(np.prod(w.shape)) for w in model.trainable_weights)),
        "measured": time.strftime("%Y-%m-%d"),
    }
    return model, record


#: Training times (seconds) at which the run measures the test bits/dim: the training curve's test points.
CHECKPOINT_SECONDS = (40.0, 80.0)
#: Test digits behind each checkpoint (the first ones; the final figure uses them all).
CHECKPOINT_IMAGES = 2000


def _cache_name(value, *, name) -> str:
    if not isinstance(value, str) or not value:
        raise TypeError(f"{name} must be a non-empty string (the cache file's stem), got {value!r}.")
    return value


@checked(data=ck.optional(ck.using(as_dataset)), cfg=ck.optional(_A_CONFIG), retrain=ck.flag(),
         name=ck.using(_cache_name), verbose=ck.flag())
def pretrained_flow(data: Dataset | None = None, *, cfg: dict[str, Any] | None = None, retrain: bool = False,
                    name: str = "flow", verbose: bool = True) -> tuple[Flow, dict[str, Any]]:
    """The series' flow trained on ``data`` (default MNIST): loaded from the model cache, else trained and cached.

    The entry is keyed on the configuration (:func:`training_config`, or
    ``cfg``), the mode and a fingerprint of the training images and of the test
    images its record was measured on; the record holds the training curve, the
    test bits/dim at :data:`CHECKPOINT_SECONDS` of training and on every test
    digit after it, and the training seconds. ``name`` lets tests cache a tiny
    flow under another name.
    """
    cfg = training_config() if cfg is None else cfg
    data = load_mnist() if data is None else data
    key = cache.data_fingerprint(data.x_train[: int(cfg["train_images"])], data.x_test)
    path = cache.artifact_path(name, ".keras", mode=config.MODE)
    memo_key = (str(path), config.MODE, key, json.dumps(cfg, sort_keys=True, default=str))
    if not retrain and memo_key in _LOADED and _LOADED[memo_key][2] == _file_state(path):
        return _LOADED[memo_key][:2]  # the same model object, so its traced graphs are reused

    def train():
        model, record = train_flow(data, cfg, checkpoints=CHECKPOINT_SECONDS, eval_images=CHECKPOINT_IMAGES)
        record["test_bits_per_dim"] = bits_per_dim(model, data.x_test)
        record["test_images"] = len(data.x_test)
        return model, record

    expected = {"class": "Flow", "latent_dim": PIXELS, "steps": tuple(cfg["steps"]), "widths": tuple(cfg["widths"])}
    model, record, _ = cache.cached_model(name, cfg, train, data_key=key, expected=expected, retrain=retrain,
                                          verbose=verbose)
    _LOADED[memo_key] = (model, record, _file_state(path))
    return model, record


#: Flows already loaded in this process, keyed on the cache file, mode, data and configuration: a re-run
#: of a notebook cell gets the same object, whose traced graphs (seconds each for a deep flow) are kept.
_LOADED: dict[tuple, tuple] = {}


def _file_state(path) -> tuple | None:
    try:
        stat = path.stat()
    except OSError:
        return None
    return stat.st_mtime_ns, stat.st_size


def _timed_record(record, *, name) -> dict[str, Any]:
    record = check_settings(record, ("curve", "train_flops_per_image"), name=name,
                            example="the record pretrained_flow returns")
    curve = record["curve"]
    if not isinstance(curve, (list, tuple)) or not all(isinstance(p, dict) and {"step", "seconds"} <= set(p)
                                                         for p in curve):
        raise TypeError(f"{name}['curve'] must be a list of points with 'step' and 'seconds', as in the record "
                        "pretrained_flow returns.")
    for k, point in enumerate(curve):
        for key in ("step", "seconds"):
            ck.check_number(point[key], name=f"{name}['curve'][{k}][{key!r}]", low=0.0)
    ck.check_positive(record["train_flops_per_image"], name=f"{name}['train_flops_per_image']")
    if len(curve) < 2:
        raise ValueError(f"{name}['curve'] has fewer than two points: too short a run to time.")
    if not curve[-1]["seconds"] > curve[0]["seconds"]:
        raise ValueError(f"{name}['curve']: its last point is not later than its first; no time to divide by.")
    if not curve[-1]["step"] > curve[0]["step"]:
        raise ValueError(f"{name}['curve']: its last point's step is not after its first; no steps to count.")
    return record


@checked(record=ck.using(_timed_record), batch_size=ck.count(minimum=1))
def achieved_gflops(record: dict[str, Any], batch_size: int) -> float:
    """Training GFLOP/s from a record: FLOPs per image x images per second over the steady part of the curve.

    The first point of the curve is left out: it holds the tracing and XLA compilation.
    """
    first, last = record["curve"][0], record["curve"][-1]
    images = (last["step"] - first["step"]) * batch_size
    return record["train_flops_per_image"] * images / (last["seconds"] - first["seconds"]) / 1e9


# --- the 2-d toy flow of notebook 08's first section ------------------------------------------------------
@checked(n=ck.count(minimum=2), seed=ck.seed(), noise=ck.number(low=0.0))
def two_moons(n: int, seed: int = 0, noise: float = 0.06) -> np.ndarray:
    """n points (n, 2) from two interleaved half circles, the usual toy density of flow tutorials."""
    check_memory(8.0 * n * 6, name="n", what=f"{n:,} points")
    rng = random_generator(seed)
    t = rng.uniform(0, np.pi, n)
    upper = rng.random(n) < 0.5
    x = np.where(upper, np.cos(t), 1.0 - np.cos(t))
    y = np.where(upper, np.sin(t), 0.5 - np.sin(t))
    return (np.stack([x - 0.5, y - 0.25], axis=1) * 1.5 + noise * rng.standard_normal((n, 2))).astype(np.float32)


@keras.saving.register_keras_serializable(package="helpers")
class ToyFlow(keras.Model):
    """A Real NVP on the plane: ``couplings`` affine couplings, each moving one coordinate given the other.

    The same idea as :class:`Flow` with nothing image-specific: x -> z through
    couplings that alternate which coordinate passes, log p(x) = log N(z) +
    the sum of the log-scales.
    """

    def __init__(self, couplings: int = 8, width: int = 64, scale_bound: float = 2.0, **kwargs):
        super().__init__(**kwargs)
        self.couplings, self.width, self.scale_bound = int(couplings), int(width), float(scale_bound)
        self.nets = [keras.Sequential([layers.Input((1,)), layers.Dense(width, activation="relu"),
                                       layers.Dense(width, activation="relu"),
                                       layers.Dense(2, kernel_initializer="zeros")], name=f"coupling{i}")
                     for i in range(self.couplings)]
        self.built = True

    def get_config(self):
        return {**super().get_config(), "couplings": self.couplings, "width": self.width,
                "scale_bound": self.scale_bound}

    def forward(self, x):
        """Points (N, 2) -> codes (N, 2) and log |det dz/dx| per point."""
        log_det = ops.zeros_like(x[:, 0])
        for i, net in enumerate(self.nets):
            keep, move = (x[:, :1], x[:, 1:]) if i % 2 == 0 else (x[:, 1:], x[:, :1])
            h = net(keep)
            s = bounded(h[:, 1:], self.scale_bound)
            moved = move * ops.exp(s) + h[:, :1]
            x = ops.concatenate([keep, moved] if i % 2 == 0 else [moved, keep], axis=1)
            log_det = log_det + s[:, 0]
        return x, log_det

    def inverse(self, z):
        """Codes (N, 2) -> points (N, 2)."""
        for i in reversed(range(self.couplings)):
            net = self.nets[i]
            keep, moved = (z[:, :1], z[:, 1:]) if i % 2 == 0 else (z[:, 1:], z[:, :1])
            h = net(keep)
            move = (moved - h[:, :1]) * ops.exp(-bounded(h[:, 1:], self.scale_bound))
            z = ops.concatenate([keep, move] if i % 2 == 0 else [move, keep], axis=1)
        return z

    def log_density(self, x):
        """log p(x) per point (nats): the base density at f(x) times the volume change."""
        z, log_det = self.forward(x)
        return standard_normal_log_density(z) + log_det


def check_numbers_2d(points, *, name: str = "points") -> np.ndarray:
    """Points (N, 2) as float32, N >= 2, finite, or a clear error."""
    points = check_numbers(points, name=name, ndim=2, what="points (N, 2) in the plane")
    if points.shape[1] != 2 or len(points) < 2:
        raise ValueError(f"{name}: expected at least two points of shape (N, 2), got {points.shape}.")
    if np.abs(points).max() > 1e4:  # float32 densities of such points under- and overflow
        raise ValueError(f"{name}: coordinates reach {np.abs(points).max():.3g}; scale the points to about unit "
                         "size, e.g. (points - points.mean(0)) / points.std(0).")
    return points.astype(np.float32)


@checked(points=ck.using(check_numbers_2d), steps=ck.count(minimum=1), batch_size=ck.count(minimum=1),
         learning_rate=ck.positive(), seed=ck.count())
def train_toy_flow(points, steps: int = 1500, batch_size: int = 256, learning_rate: float = 3e-3,
                   seed: int = 0) -> tuple[ToyFlow, list[float]]:
    """Fit a :class:`ToyFlow` to 2-d points by maximum likelihood; returns the flow and the loss (nats) per step."""
    import tensorflow as tf

    config.seed_everything(seed)
    model = ToyFlow()
    optimizer = keras.optimizers.Adam(keras.optimizers.schedules.CosineDecay(learning_rate, steps))
    data = tf.constant(points)
    rng = np.random.default_rng(seed)

    @tf.function
    def step(idx):
        with tf.GradientTape() as tape:
            loss = -ops.mean(model.log_density(tf.gather(data, idx)))
        grads = tape.gradient(loss, model.trainable_weights)
        optimizer.apply_gradients(zip(grads, model.trainable_weights))
        return loss

    losses = [float(step(tf.constant(rng.integers(0, len(points), batch_size)))) for _ in range(steps)]
    if not np.all(np.isfinite(losses)):
        raise FloatingPointError(f"the toy flow's training diverged (loss {losses[-1]}); lower learning_rate "
                                 f"(now {learning_rate:g}).")
    return model, losses
