"""The interpolation explorer in the browser: the decoder runs in JavaScript, no kernel needed.

Introduced in notebook 05 (notebook 07 passes its attribute axes). The live
explorer of :mod:`helpers.widgets` needs a running kernel; on nbviewer, in the
``make html`` pages and in the reveal.js decks there is none. This module
turns one model's decoder into a self-contained HTML/JS block, the output of
a cell: the decoder's weights (compressed), the codes and thumbnails of a few
dozen test digits, the class centroids and, for the judge's bars, a logistic
regression's 7,850 weights. The page runs the same ES module as the live
widget (``helpers/explorer.js``: same controls, digit and bars); only its
frames come from a hand-written forward pass of the Dense layers (the 20-d
VAE's decoder is about 0.67 M multiply-adds, under a millisecond in plain
JavaScript), computed for each step of alpha the first time it shows. No
library is loaded: a tensor library would add more bytes to every notebook
than the weights themselves.

    >>> block = browser_explorer(space, x_digits, y_digits, judge=judges.lr_judge(), axes={"thickness": v})
    >>> block            # displays in JupyterLab, nbviewer, the HTML pages and decks

Compression, measured on the 20-d VAE's decoder (SiLU, 20-512-512-784; a
model trained for 8 of the series' 26 epochs, codes of 40 test digits moved
over the slider's range): the weights in float32 are 2.7 MB and in float16
1.35 MB (1.8 MB as base64 text), too big for the 1 MB budget per model.
Rounding each weight to 8 bits with one scale per output unit fits (0.9 MB
as text) but decodes images up to 0.15 grey levels off, because rounding
errors add up over 512 inputs per unit and three layers. What is done instead:

- GPTQ rounding (Frantar et al. 2023): weights are rounded one input at a
  time and each rounding error is pushed onto the inputs not yet rounded,
  weighted by how those inputs co-vary over codes the explorer will show
  (the calibration codes). Same 8 bits: 0.026 instead of 0.15.
- Steps of any size, entropy-coded: the rounded weights, zigzag-coded into a
  low and a high byte plane, are deflated (zlib; the page inflates them with
  the browser's ``DecompressionStream``). Trained weights are peaked around
  zero, so deflate gets within 2% of their entropy, and a step can be as
  fine (or as coarse) as each layer needs.
- Steps where they matter (:func:`allocate_steps`): the output layer's
  rounding shows most (0.050 alone at 8 bits, against 0.020 and 0.008 for
  the hidden layers), the first layer is tiny (10 k weights), and output
  pixels that stay saturated hide their errors; then all steps are rescaled
  until the images are within ``max_pixel_error`` of ``model.decode`` on
  validation codes, measured in Python with the page's arithmetic
  (:meth:`BrowserExplorer.decode`). Result: 0.014 for a 799 kB block, built
  in about 4 s; a block over ``max_bytes`` is refused.

Accuracy holds for codes like the ones rounded for: the digits' codes moved
along class pairs and the given axes over the slider's range, with a
quarter-range margin. Far outside (codes several times longer) the errors grow.

The page exposes each explorer as ``window.latentExplorers.byId[id]`` (its
state, the time of every slider move in ``timings``, and ``benchmark(n)``);
that is all it adds to the page's globals.
"""

from __future__ import annotations

import base64
import hashlib
import html as html_lib
import itertools
import json
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import numpy as np

from . import checks as ck
from .checks import check_images, check_number, checked, ref
from .interface import check_codes
from .judges import SklearnJudge, as_judge
from .latent import LatentSpace
from .widgets import CLASS_PAIR, _check_range, check_vector

#: Activations the page's forward pass implements (Keras names).
ACTIVATIONS = ("linear", "relu", "silu", "swish", "tanh", "sigmoid", "elu", "softplus")
MAX_DIGITS = 100
MAX_AXES = 16
#: At most this many roundings are tried to bring the images within max_pixel_error.
MAX_ATTEMPTS = 5
_ids = itertools.count(1)


# --------------------------------------------------------------------------- the decoder as arrays
@dataclass(frozen=True)
class DenseLayer:
    """One Dense layer: h_out = activation(h_in @ kernel + bias); kernel is (inputs, outputs)."""

    kernel: np.ndarray
    bias: np.ndarray
    activation: str


def _activation_name(layer) -> str:
    name = layer.get_config().get("activation", "linear")
    if not isinstance(name, str):  # a serialised custom function
        name = getattr(layer.activation, "__name__", repr(name))
    return name


def dense_layers(model) -> tuple[list[DenseLayer], bool]:
    """The Dense layers of ``model.decoder`` and whether ``model.decode`` applies a sigmoid to them.

    Supported: a model with a Keras ``decoder`` (functional or Sequential)
    made of Dense layers with the activations in :data:`ACTIVATIONS`, plus
    Flatten/Reshape, mapping (latent_dim,) to 784 values; ``model.decode``
    must equal the decoder's output or its sigmoid (checked numerically).
    """
    import keras

    decoder = getattr(model, "decoder", None)
    if not isinstance(decoder, keras.Model):
        raise TypeError(
            f"{type(model).__name__} has no Keras `decoder` model; the browser explorer supports models like "
            "helpers.vae.VAE, whose `decoder` is a keras.Model of Dense layers (z -> 784 logits or pixels).")
    layers = []
    for layer in decoder.layers:
        if isinstance(layer, keras.layers.Dense):
            act = _activation_name(layer)
            if act not in ACTIVATIONS:
                raise TypeError(f"decoder layer {layer.name!r} uses the activation {act!r}; the browser explorer "
                                f"implements {', '.join(ACTIVATIONS)}.")
            kernel, *rest = [np.asarray(w, np.float64) for w in layer.get_weights()]
            bias = rest[0] if rest else np.zeros(kernel.shape[1])
            layers.append(DenseLayer(kernel, bias, "silu" if act == "swish" else act))
        elif not isinstance(layer, (keras.layers.InputLayer, keras.layers.Flatten, keras.layers.Reshape)):
            raise TypeError(f"decoder layer {layer.name!r} is a {type(layer).__name__}; the browser explorer supports "
                            "decoders made of Dense layers (with Flatten/Reshape), such as helpers.vae.VAE's.")
    if not layers:
        raise TypeError("the decoder has no Dense layers; the browser explorer needs a Dense decoder.")
    sizes = [layers[0].kernel.shape[0]] + [lay.kernel.shape[1] for lay in layers]
    if any(a.kernel.shape[1] != b.kernel.shape[0] for a, b in itertools.pairwise(layers)):
        raise TypeError(f"the decoder's Dense layers do not form a chain (widths {sizes}).")
    if sizes[0] != model.latent_dim or sizes[-1] != 784:
        raise TypeError(f"the decoder maps {sizes[0]} to {sizes[-1]} values; the explorer needs "
                        f"latent_dim ({model.latent_dim}) to 784 (28 x 28 pixels).")
    # Which of the two readings of the last layer is model.decode? Check on a few codes.
    z = np.random.default_rng(0).standard_normal((8, sizes[0])).astype(np.float32)
    decoded = np.asarray(model.decode(z), np.float64).reshape(len(z), -1)
    raw = _forward(layers, z, final_sigmoid=False)
    for final_sigmoid, out in ((True, _sigmoid(raw)), (False, raw)):
        if np.allclose(out, decoded, atol=1e-4):
            return layers, final_sigmoid
    raise TypeError(f"{type(model).__name__}.decode(z) is neither the decoder's output nor its sigmoid "
                    "(max difference {:.3g}); the browser explorer reproduces only those."
                    .format(float(np.abs(_sigmoid(raw) - decoded).max())))


def _sigmoid(x):
    return 0.5 * (1.0 + np.tanh(0.5 * x))  # overflow-free form of 1 / (1 + exp(-x))


def _activate(x: np.ndarray, name: str) -> np.ndarray:
    if name == "linear":
        return x
    if name == "relu":
        return np.maximum(x, 0.0)
    if name == "silu":
        return x * _sigmoid(x)
    if name == "tanh":
        return np.tanh(x)
    if name == "sigmoid":
        return _sigmoid(x)
    if name == "elu":
        return np.where(x > 0, x, np.expm1(np.minimum(x, 0.0)))
    if name == "softplus":
        return np.maximum(x, 0.0) + np.log1p(np.exp(-np.abs(x)))
    raise ValueError(f"unknown activation {name!r}")


def _forward(layers, z, final_sigmoid: bool = True, upto: int | None = None) -> np.ndarray:
    """The decoder in float64 numpy; ``upto=k`` returns the input of layer k instead."""
    h = np.asarray(z, np.float64)
    for k, layer in enumerate(layers):
        if k == upto:
            return h
        h = _activate(h @ layer.kernel + layer.bias, layer.activation)
    return _sigmoid(h) if final_sigmoid else h


# --------------------------------------------------------------------------- compression
def _kernel(kernel, *, name):
    k = ck.check_numbers(kernel, name=name, ndim=2, what="a Dense kernel (inputs, outputs)")
    if k.size == 0:
        raise ValueError(f"{name}: got shape {k.shape}; pass a Dense kernel with at least one input and output.")
    return k


def _layer_inputs(inputs, *, name, kernel):
    x = ck.check_numbers(inputs, name=name, ndim=2, what=f"the layer's inputs (N, {kernel.shape[0]})")
    if x.shape[1] != kernel.shape[0] or len(x) == 0:
        raise ValueError(f"{name}: expected the layer's inputs (N >= 1, {kernel.shape[0]}) for a kernel of shape "
                         f"{kernel.shape}, got shape {x.shape}.")
    return x


def _unit_steps(steps, *, name, kernel):
    s = ck.check_numbers(steps, name=name, ndim=(0, 1), what=f"rounding steps, one per output unit "
                                                              f"({kernel.shape[1]},)")
    if s.ndim == 1 and s.shape != (kernel.shape[1],):
        raise ValueError(f"{name}: expected one step per output unit, shape ({kernel.shape[1]},), got {s.shape}.")
    if not np.all(s > 0):
        raise ValueError(f"{name} must be positive, got a smallest step of {s.min():.3g}.")
    if np.abs(kernel).max() / s.min() > 2.0**52:  # the rounded integers would overflow int64
        raise ValueError(f"{name}: steps as small as {s.min():.3g} against weights up to {np.abs(kernel).max():.3g} "
                         "give integers beyond 2**52; pass steps such as unit_steps(layer, 1.0).")
    return s


@checked(kernel=ck.using(_kernel), inputs=ck.using(_layer_inputs, kernel=ref("kernel")),
         steps=ck.using(_unit_steps, kernel=ref("kernel")), damping=ck.number(low=0.0),
         block=ck.count(minimum=1))
def gptq_round(kernel: np.ndarray, inputs: np.ndarray, steps: np.ndarray, damping: float = 0.01,
               block: int = 128) -> np.ndarray:
    """Integers q with q * steps close to ``kernel`` *as the layer's outputs on these inputs see it*.

    GPTQ (Frantar et al. 2023): round the rows (inputs) one at a time, most
    active first, and spread each row's rounding error over the rows not yet
    rounded, in proportion to how the inputs co-vary (H = X^T X); rows are
    updated in blocks, so most of the work is one matrix product per block.
    On the 20-d VAE this cut the decoded images' worst error from 0.15 to
    0.026 at 8 bits.
    """
    w = np.array(kernel, np.float64)
    x = np.asarray(inputs, np.float64)
    h = x.T @ x
    h += damping * max(float(np.mean(np.diag(h))), 1e-12) * np.eye(len(h))
    order = np.argsort(-np.diag(h), kind="stable")
    w, h = w[order], h[np.ix_(order, order)]
    try:
        upper = np.linalg.cholesky(np.linalg.inv(h)).T  # Cholesky factor of H^-1, upper triangular
    except np.linalg.LinAlgError:  # only without damping: inputs that never vary make H singular
        raise ValueError(f"damping: the inputs' H = X^T X is singular and damping={damping} adds nothing to it; "
                         "pass damping > 0 (e.g. the default 0.01).") from None
    q = np.zeros(w.shape, np.int64)
    for b0 in range(0, len(w), block):
        b1 = min(len(w), b0 + block)
        errors = np.zeros((b1 - b0, w.shape[1]))
        for i in range(b0, b1):
            q[i] = np.round(w[i] / steps)
            errors[i - b0] = (w[i] - q[i] * steps) / upper[i, i]
            w[i + 1:b1] -= np.outer(upper[i, i + 1:b1], errors[i - b0])
        w[b1:] -= upper[b0:b1, b1:].T @ errors
    out = np.empty_like(q)
    out[order] = q
    return out


@dataclass(frozen=True)
class QuantizedLayer:
    """A Dense layer as the page holds it: kernel = q * step (one step per output unit)."""

    q: np.ndarray      # (inputs, outputs) integers
    step: np.ndarray   # (outputs,) float32
    bias: np.ndarray
    activation: str

    @property
    def kernel(self) -> np.ndarray:
        """The dequantised kernel, rounded to float32 as the page stores it."""
        return (self.q * self.step.astype(np.float64)).astype(np.float32).astype(np.float64)


def unit_steps(layer: DenseLayer, scale: float, sensitivity: np.ndarray | None = None) -> np.ndarray:
    """Rounding steps per output unit: ``scale`` times the 8-bit step (max |w| / 127), float32.

    ``sensitivity`` (per unit, at most 1) widens the step of units whose
    changes barely show: up to 4x for output pixels that stay saturated
    (sigmoid slope near zero) on every calibration code.
    """
    peak = np.abs(layer.kernel).max(axis=0)
    widen = 1.0 if sensitivity is None else np.clip(1.0 / np.maximum(sensitivity, 1e-12), 1.0, 4.0)
    return np.where(peak > 0, scale * widen * peak / 127.0, 1.0).astype(np.float32)


def quantize_layers(layers: list[DenseLayer], calibration: np.ndarray, scales, sensitivity=None) -> list[QuantizedLayer]:
    """Every layer GPTQ-rounded with ``scales[k]`` times its 8-bit step (see :func:`unit_steps`).

    Layer by layer, each on the inputs the *quantised* layers before it produce,
    so a layer also makes up for some of the rounding before it. ``sensitivity``
    applies to the last layer's units.
    """
    out: list[QuantizedLayer] = []
    h = np.asarray(calibration, np.float64)
    for k, layer in enumerate(layers):
        last = k == len(layers) - 1
        step = unit_steps(layer, float(scales[k]), sensitivity if last else None)
        q = gptq_round(layer.kernel, h, step.astype(np.float64))
        if np.abs(q).max() > 32767:
            raise RuntimeError("weights out of the 16-bit range of the page's format; this should not happen.")
        qlayer = QuantizedLayer(q, step, layer.bias.astype(np.float32).astype(np.float64), layer.activation)
        out.append(qlayer)
        if not last:
            h = _activate(h @ qlayer.kernel + qlayer.bias, layer.activation)
    return out


def allocate_steps(layers: list[DenseLayer], calibration: np.ndarray, validation: np.ndarray, reference: np.ndarray,
                   final_sigmoid: bool, target: float, sensitivity=None) -> np.ndarray:
    """Step scales per layer that spend the error budget where it buys the most bytes.

    Each layer is rounded alone at its 8-bit step (the others exact) and its
    worst image error e_k measured. If errors grow in proportion to the step
    and add up, the fewest bits for a total error ``target`` come with scales
    c_k = target * n_k / (N * e_k), n_k the layer's weights and N all of them:
    small layers (the 20 x 512 first layer) get fine steps, layers whose
    rounding barely shows get coarse ones. On the 20-d VAE the output layer
    dominates (0.050 alone against 0.020 and 0.008 for the hidden layers).
    """
    sizes = np.array([lay.kernel.size for lay in layers], np.float64)
    errors = np.zeros(len(layers))
    for k in range(len(layers)):
        rounded = quantize_layers(layers[k:k + 1], _forward(layers, calibration, upto=k), [1.0],
                                  sensitivity if k == len(layers) - 1 else None)[0]
        mixed = [rounded if j == k else lay for j, lay in enumerate(layers)]
        errors[k] = max(float(np.abs(_forward(mixed, validation, final_sigmoid) - reference).max()), 1e-9)
    return np.clip(target * sizes / (sizes.sum() * errors), 1 / 64, 4.0)


def _zigzag_planes(q: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Signed integers -> low and high byte of 2|q| (- 1 if negative), output unit by output unit."""
    q = np.asarray(q, np.int64).T.ravel()  # (outputs, inputs): each unit's weights contiguous, as the page reads them
    zz = np.where(q >= 0, 2 * q, -2 * q - 1)
    return (zz & 0xFF).astype(np.uint8), (zz >> 8).astype(np.uint8)


def _pack(arrays: dict[str, np.ndarray]) -> tuple[bytes, dict]:
    """Concatenate arrays (uint8 or float32), each at a 4-byte boundary; their (offset, length, type)."""
    parts, index, offset = [], {}, 0
    for name, arr in arrays.items():
        arr = np.ascontiguousarray(arr)
        kind = {np.dtype(np.uint8): "u8", np.dtype(np.float32): "f32"}[arr.dtype]
        raw = arr.astype("<f4" if kind == "f32" else np.uint8).tobytes()
        index[name] = [offset, int(arr.size), kind]
        pad = (-len(raw)) % 4
        parts.append(raw + b"\0" * pad)
        offset += len(raw) + pad
    return b"".join(parts), index


# --------------------------------------------------------------------------- arguments
def _check_class_pair(pair, n_classes: int, *, name: str = "pair") -> tuple[int, int]:
    wrong = TypeError(f"pair must be two class labels (b, a), e.g. (6, 0), got {pair!r}.")
    if isinstance(pair, (str, bytes, Mapping, set)) or ck.not_meant_as_numbers(pair):
        raise wrong  # '60' would be read as the classes 6 and 0, ('6', '0') and (True, 0) as numbers
    try:
        items = list(pair)
    except TypeError:
        raise wrong from None
    if any(isinstance(c, (bool, np.bool_, str, bytes)) for c in items):
        raise wrong
    try:
        b, a = (int(c) for c in items)
        ok = all(float(c) == int(c) for c in items)
    except (TypeError, ValueError, OverflowError):  # OverflowError: an infinite class
        raise TypeError(f"pair must be two class labels (b, a), got {pair!r}.") from None
    if not ok or not (0 <= b < n_classes and 0 <= a < n_classes):
        raise ValueError(f"pair must be two class labels in 0..{n_classes - 1}, got {pair!r}.")
    if a == b:
        raise ValueError(f"pair {pair!r} starts and ends at class {a}; the vector z_a - z_b would be zero.")
    return b, a


def _check_axes(axes, latent_dim: int, *, name: str = "axes") -> dict[str, np.ndarray]:
    if axes is None:
        return {}
    if not isinstance(axes, Mapping):
        raise TypeError(f"axes must be a mapping name -> direction vector, e.g. {{'thickness': v}}; "
                        f"got {type(axes).__name__}.")
    if len(axes) > MAX_AXES:
        raise ValueError(f"axes: at most {MAX_AXES} named axes fit the menu, got {len(axes)}.")
    for name in axes:
        if not isinstance(name, str) or not name.strip() or len(name) > 40 or name == CLASS_PAIR:
            raise ValueError(f"axes: each name must be a non-empty string of at most 40 characters other than "
                             f"{CLASS_PAIR!r}, got {name!r}.")
    out = {name.strip(): check_vector(v, latent_dim, name=f"axes[{name!r}]") for name, v in axes.items()}
    if len(out) != len(axes):
        raise ValueError("axes: two names are the same after trimming spaces.")
    return out


def _check_alpha_step(step, *, name: str, span: tuple[float, float]) -> float:
    step = check_number(step, name=name, low=0.0, low_open=True)
    if step > span[1] - span[0] or (span[1] - span[0]) / step > 2000:
        raise ValueError(f"{name} must be positive, at most the range and at least 1/2000 of it; got {step}.")
    return step


def _check_start_digits(x, *, name: str) -> np.ndarray:
    x = check_images(x, name=name)
    if not 1 <= len(x) <= MAX_DIGITS:
        raise ValueError(f"{name}: pass 1 to {MAX_DIGITS} start digits (about 40 fit the menu), got {len(x)}.")
    return x


def _check_start(start, *, name: str, n: int) -> int:
    if isinstance(start, bool) or not isinstance(start, (int, np.integer)) or not 0 <= start < n:
        raise ValueError(f"{name} must be an index into x, 0..{n - 1}; got {start!r}.")
    return int(start)


class _Source(NamedTuple):
    model: object
    centroids: np.ndarray
    train_codes: np.ndarray | None
    name: str


def _check_source(source, *, name: str, centroids) -> _Source:
    """(model, centroids, training codes or None, name) from a LatentSpace or a model + centroids."""
    if isinstance(source, LatentSpace):
        if centroids is not None:
            raise ValueError("centroids: a LatentSpace brings its own training-set centroids; pass one or the other.")
        source = _Source(source.model, np.asarray(source.centroids, np.float32), source.train_codes, source.name)
    elif not (hasattr(source, "decoder") and hasattr(source, "encode") and hasattr(source, "latent_dim")):
        raise TypeError(f"the first argument must be a helpers.latent.LatentSpace, or a model with latent_dim, "
                        f"encode and a Keras Dense `decoder` (e.g. helpers.vae.VAE); got {type(source).__name__}.")
    elif centroids is None:
        raise ValueError("centroids: pass the (n_classes, latent_dim) class centroids with a bare model, "
                         "or pass a LatentSpace instead.")
    else:
        c = ck.check_numbers(centroids, name="centroids", what=f"class centroids (n_classes, {source.latent_dim})")
        if c.ndim != 2 or c.shape[1] != source.latent_dim or len(c) < 2:
            raise ValueError(f"centroids must have shape (n_classes >= 2, {source.latent_dim}), got {c.shape}.")
        if not np.all(np.isfinite(c)):
            raise ValueError("centroids must be finite.")
        source = _Source(source, c.astype(np.float32), None, type(source).__name__)
    dim = source.model.latent_dim
    if not isinstance(dim, (int, np.integer)) or dim < 1:
        raise TypeError(f"{type(source.model).__name__}.latent_dim must be a positive int, got {dim!r}.")
    return source


def _check_name(value, *, name: str, source: _Source) -> str:
    value = source.name if value is None else value
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{name} must be a non-empty string, got {value!r}.")
    return value.strip()


# --------------------------------------------------------------------------- codes to check against
def _vectors(centroids, axes, pairs) -> np.ndarray:
    vs = [centroids[a] - centroids[b] for b, a in pairs] + list(axes.values())
    return np.asarray(vs, np.float64)


def _calibration_codes(codes, train_codes, centroids, axes, lo, hi, rng, n: int = 4000) -> np.ndarray:
    """Codes like those the explorer shows (and a margin beyond), to fit the rounding to."""
    k = len(centroids)
    base = codes if train_codes is None else np.concatenate([codes, train_codes[rng.permutation(len(train_codes))[:2000]]])
    pairs = [(b, a) for b in range(k) for a in range(k) if a != b]
    vectors = _vectors(centroids, axes, pairs)
    margin = 0.25 * (hi - lo)
    idx = rng.integers(0, len(base), n)
    which = rng.integers(0, len(vectors), n)
    alphas = rng.uniform(lo - margin, hi + margin, n)
    moved = base[idx] + alphas[:, None] * vectors[which]
    return np.concatenate([moved, base, centroids]).astype(np.float64)


def _validation_codes(codes, labels, centroids, axes, lo, hi, rng, pairs_per_digit: int = 9) -> np.ndarray:
    """Each embedded digit moved from its own class and along random pairs and every axis, over the slider's range."""
    k = len(centroids)
    alphas = np.linspace(lo, hi, 13)
    out = []
    for z, y in zip(codes, labels):
        targets = rng.permutation([c for c in range(k) if c != y])[:3]
        pairs = [(int(y), int(a)) for a in targets]
        for _ in range(pairs_per_digit - len(pairs)):
            b, a = rng.choice(k, 2, replace=False)
            pairs.append((int(b), int(a)))
        vectors = _vectors(centroids, axes, pairs)
        out.append(z[None, None, :] + alphas[None, :, None] * vectors[:, None, :])
    return np.concatenate([o.reshape(-1, codes.shape[1]) for o in out]).astype(np.float32)


# --------------------------------------------------------------------------- the block
class _Fit:
    """The decoder, the codes to round for and to check on, and Keras' images of the latter."""

    def __init__(self, layers, final_sigmoid, calibration, validation, model):
        self.layers, self.final_sigmoid = layers, final_sigmoid
        self.calibration, self.validation = calibration, validation
        self.reference = np.asarray(model.decode(validation), np.float64).reshape(len(validation), -1)
        self.sensitivity = None
        if final_sigmoid:  # a pixel's error shows in proportion to the sigmoid's slope there (at most 1/4)
            p = _forward(layers, calibration)
            self.sensitivity = (p * (1 - p)).max(axis=0) / 0.25

    def block(self, scales, meta: dict, extra: dict) -> dict:
        """The layers rounded with these step scales, their worst error and the HTML block carrying them."""
        qlayers = quantize_layers(self.layers, self.calibration, scales, self.sensitivity)
        error = float(np.abs(_forward(qlayers, self.validation, self.final_sigmoid) - self.reference).max())
        arrays = {}
        for k, layer in enumerate(qlayers):
            lo_plane, hi_plane = _zigzag_planes(layer.q)
            arrays.update({f"lo{k}": lo_plane, f"hi{k}": hi_plane, f"step{k}": layer.step,
                           f"bias{k}": layer.bias.astype(np.float32)})
        raw, index = _pack({**arrays, **extra})
        payload = zlib.compress(raw, 9)
        layout = [{"inputs": int(lay.q.shape[0]), "outputs": int(lay.q.shape[1]), "activation": lay.activation}
                  for lay in qlayers]
        html = _block_html({**meta, "layers": layout, "arrays": index}, payload)
        return {"layers": qlayers, "html": html, "error": error, "bytes": len(html.encode("utf-8")),
                "payload_bytes": len(payload), "scales": [float(c) for c in scales]}


def _block_latent_dim(block) -> int:
    return int(block.layers[0].q.shape[0])


def _page_codes(z, *, name, latent_dim):
    """Codes (N, latent_dim) as float64 (the page's arithmetic), checked as every model's decode checks them."""
    check_codes(z, latent_dim, name=name)
    return np.asarray(z, np.float64)


def _page_images(images, *, name):
    """Images (N, 28, 28) or (N, 784) in [0, 1] as float64, checked as every judge checks them."""
    check_images(images, name=name)
    return np.asarray(images, np.float64)


def _judged_block(block, *, name):
    if block.judge is None:
        raise ValueError("this block carries no judge: pass judge= to browser_explorer.")
    return block


class BrowserExplorer:
    """A self-contained HTML/JS explorer of one model; displays itself in a notebook (``_repr_html_``).

    ``html`` is the block, ``size_bytes`` its size in the notebook (UTF-8),
    ``max_pixel_error`` the worst difference between the page's decoder and
    ``model.decode`` on the validation codes; :meth:`decode` and
    :meth:`probabilities` are the page's arithmetic in numpy.
    """

    def __init__(self, *, html: str, element_id: str, name: str, layers: list[QuantizedLayer], final_sigmoid: bool,
                 codes: np.ndarray, labels: np.ndarray, centroids: np.ndarray, axes: dict[str, np.ndarray],
                 judge: tuple[np.ndarray, np.ndarray] | None, report: dict):
        self.html, self.element_id, self.name = html, element_id, name
        self.layers, self.final_sigmoid = layers, final_sigmoid
        self.codes, self.labels, self.centroids, self.axes = codes, labels, centroids, axes
        self.judge, self.report = judge, report

    @property
    def size_bytes(self) -> int:
        return len(self.html.encode("utf-8"))

    @property
    def max_pixel_error(self) -> float:
        return float(self.report["max_pixel_error"])

    @checked(z=ck.using(_page_codes, latent_dim=ref("self", _block_latent_dim)))
    def decode(self, z) -> np.ndarray:
        """What the page computes for codes z (N, latent_dim): images (N, 28, 28)."""
        return _forward(self.layers, z, self.final_sigmoid).reshape(len(z), 28, 28)

    @checked(self=ck.using(_judged_block), images=ck.using(_page_images))
    def probabilities(self, images) -> np.ndarray:
        """What the page's judge says of IMAGES (N, 28, 28): probabilities (N, 10)."""
        weights, bias = (np.asarray(w, np.float64) for w in self.judge)
        logits = images.reshape(len(images), 784) @ weights.T + bias
        e = np.exp(logits - logits.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)

    def _repr_html_(self) -> str:
        return self.html

    def __repr__(self) -> str:
        r = self.report
        return (f"BrowserExplorer({self.name!r}: {len(self.codes)} digits, {len(self.axes)} named axes, "
                f"{self.size_bytes / 1e3:.0f} kB, max pixel error {r['max_pixel_error']:.4f} vs model.decode)")


def page_judge(judge, *, name: str = "judge") -> tuple[np.ndarray, np.ndarray]:
    """A judge the page can run, as float32 (weights (10, 784), bias (10,)): a multinomial logistic
    regression on pixels (judges.lr_judge(), a fitted LogisticRegression, or its predict_proba)."""
    lr = as_judge(judge, name=name)
    model = lr.model if isinstance(lr, SklearnJudge) else None
    weights, bias = getattr(model, "coef_", None), getattr(model, "intercept_", None)
    if weights is None or np.shape(weights) != (10, 784) or np.shape(bias) != (10,) \
            or list(getattr(model, "classes_", [])) != list(range(10)):
        raise TypeError(f"judge: the page runs a logistic regression on pixels over the ten digits "
                        f"(judges.lr_judge()), got {lr.name!r}; the CNN's convolutions do not run in the page.")
    weights, bias = np.asarray(weights, np.float32), np.asarray(bias, np.float32)
    x = np.random.default_rng(0).random((8, 784))
    logits = x @ weights.T.astype(np.float64) + bias
    page = np.exp(logits - logits.max(axis=1, keepdims=True))
    if not np.allclose(page / page.sum(axis=1, keepdims=True), lr.predict_proba(x.reshape(8, 28, 28)), atol=1e-4):
        raise TypeError("judge: its probabilities are not the softmax of its linear scores (a one-vs-rest "
                        "logistic regression?); the page reproduces a multinomial one only.")
    return weights, bias


@checked(source=ck.using(_check_source, centroids=ref("centroids")), x=ck.using(_check_start_digits),
         y=ck.labels(n=ref("x", len), n_classes=ref("source", lambda s: len(s.centroids))),
         axes=ck.using(_check_axes, latent_dim=ref("source", lambda s: int(s.model.latent_dim))),
         pair=ck.using(_check_class_pair, n_classes=ref("source", lambda s: len(s.centroids))),
         start=ck.using(_check_start, n=ref("x", len)), alpha_range=ck.using(_check_range),
         alpha_step=ck.using(_check_alpha_step, span=ref("alpha_range")),
         alpha=ck.number(low=ref("alpha_range", min), high=ref("alpha_range", max)),
         max_pixel_error=ck.number(low=0, high=1, low_open=True, high_open=True), max_bytes=ck.count(minimum=10_000),
         name=ck.using(_check_name, source=ref("source")),
         judge=ck.optional(ck.using(page_judge)))
def browser_explorer(source, x, y, *, judge=None, centroids=None, axes: Mapping[str, np.ndarray] | None = None,
                     name: str | None = None, pair: tuple[int, int] = (6, 0), start: int = 0,
                     alpha_range: tuple[float, float] = (-1.0, 2.0), alpha_step: float = 0.05, alpha: float = 0.0,
                     max_pixel_error: float = 0.015, max_bytes: int = 1_000_000) -> BrowserExplorer:
    """The explorer as an HTML/JS block for one model: decode(z + alpha v) computed in the page.

    ``source``: a :class:`~helpers.latent.LatentSpace` (its training-set
    centroids are used), or a model plus ``centroids`` (n_classes, latent_dim);
    the model's ``decoder`` must be made of Dense layers (see :func:`dense_layers`).
    ``x``, ``y``: the test digits to offer as start points (up to 100; about 40
    is a good menu) and their labels. ``judge``: the judge whose bars the page
    draws, a logistic regression (see :func:`page_judge`); without one, no bars.
    ``axes``: extra named directions in code
    space, e.g. ``{"thickness": v}``, offered beside "class pair b -> a"; scale
    them so that alpha = 1 is one standard deviation of the attribute.
    ``pair`` (b, a), ``start`` (an index into x) and ``alpha`` set what the
    page shows first; ``alpha_range`` and ``alpha_step`` set the slider.
    The weights are compressed until the page's images are within
    ``max_pixel_error`` of ``model.decode``; a block over ``max_bytes`` is refused.
    """
    model, cents, train_codes, _ = source
    d, n_classes, (lo, hi), (b, a), target = int(model.latent_dim), len(cents), alpha_range, pair, max_pixel_error
    labels, named_axes, judged, step = y, axes, judge, alpha_step
    layers, final_sigmoid = dense_layers(model)
    codes = np.asarray(model.encode(x), np.float32)
    rng = np.random.default_rng(0)
    fit = _Fit(layers, final_sigmoid, _calibration_codes(codes, train_codes, cents, named_axes, lo, hi, rng),
               _validation_codes(codes, labels, cents, named_axes, lo, hi, rng), model)
    extra = {"codes": codes.ravel(), "centroids": cents.ravel(),
             "thumbs": np.round(255 * x.reshape(len(x), -1)).astype(np.uint8).ravel(),
             "axes": np.asarray(list(named_axes.values()), np.float32).reshape(-1)}
    if judged is not None:
        extra.update(judgeW=judged[0].ravel(), judgeB=judged[1])
    ranges = {"low": lo, "high": hi, "step": step}
    judged_by = ", judged by a logistic regression" if judged is not None else ""
    meta = {"title": f"{name}: decode(z + \u03b1\u00b7v){judged_by}, computed in this page", "models": [name],
            "axes": {name: list(named_axes)}, "classes": n_classes, "labels": labels.tolist(),
            "names": [f"#{i}" for i in range(len(x))], "judge": judged is not None,
            "ranges": {"pair": ranges, "axis": ranges}, "latentDim": d, "finalSigmoid": final_sigmoid,
            "settings": {"model": name, "axis": CLASS_PAIR, "b": b, "a": a, "digit": int(start), "alpha": alpha}}

    # Errors grow about in proportion to the steps: rescale all of them until the
    # images are within the target, and stop once they are. A coarser try that
    # overshoots is bracketed: the next try lies between it and the last that
    # passed, where the error's growth between the two (log-log) says 0.95 x target is.
    scales = allocate_steps(layers, fit.calibration, fit.validation, fit.reference, final_sigmoid, target,
                            fit.sensitivity)
    tried, best, overshot = [], None, None
    for _ in range(MAX_ATTEMPTS):
        cand = fit.block(scales, meta, extra)
        tried.append({k: cand[k] for k in ("scales", "error", "bytes")})
        passed = cand["error"] <= target
        if passed and (best is None or cand["bytes"] < best["bytes"]):
            best = cand
        if not passed and best is not None and (overshot is None or cand["error"] < overshot["error"]):
            overshot = cand
        if passed and cand["error"] >= 0.8 * target:
            break
        if best is not None and overshot is not None:
            rescaled = _between(best, overshot, 0.95 * target)
        else:
            rescaled = np.clip(scales * (0.95 * target / max(cand["error"], 1e-9)), 1 / 256, 4.0)
        if np.allclose(rescaled, scales, rtol=0.01):  # the coarsest (or finest) steps allowed, or no room left
            break
        scales = rescaled
    if best is None:
        raise ValueError(f"max_pixel_error: after {len(tried)} roundings the page's images are still "
                         f"{min(t['error'] for t in tried):.4f} from model.decode, more than {target}; "
                         "pass a larger max_pixel_error.")
    if best["bytes"] > max_bytes:
        raise ValueError(
            f"max_bytes: the block takes {best['bytes']:,} bytes (limit {max_bytes:,}) for images within "
            f"max_pixel_error={target} of model.decode; raise max_pixel_error or max_bytes, or pass fewer digits.")
    report = {
        "max_pixel_error": best["error"], "step_scales": best["scales"], "bytes": best["bytes"],
        "payload_bytes": best["payload_bytes"], "weights": int(sum(lay.q.size for lay in best["layers"])),
        "validation_codes": len(fit.validation), "alpha_range": (lo, hi), "tried": tried,
    }
    element_id = f"lx-{hashlib.sha1(best['html'].encode()).hexdigest()[:8]}-{next(_ids)}"  # same on a re-run
    return BrowserExplorer(html=best["html"].replace(_PLACEHOLDER_ID, element_id), element_id=element_id, name=name,
                           layers=best["layers"], final_sigmoid=final_sigmoid, codes=codes, labels=labels,
                           centroids=cents, axes=named_axes, judge=judged, report=report)


def _between(passed: dict, overshot: dict, goal: float) -> np.ndarray:
    """Step scales between a try within the target and a coarser one past it, where the error should reach goal.

    The error grows with the steps faster than in proportion (rounding errors add up over
    the layers); fitted as a power law through the two tries, and kept within the inner
    80% of the bracket so that every try narrows it.
    """
    low, high = np.asarray(passed["scales"]), np.asarray(overshot["scales"])
    growth = np.log(overshot["error"] / passed["error"])
    share = np.log(goal / passed["error"]) / growth if growth > 0 else 0.5
    return low * (high / low) ** float(np.clip(share, 0.1, 0.9))


_PLACEHOLDER_ID = "lx-00000000-0"
MODULE = Path(__file__).with_name("explorer.js").read_text(encoding="utf-8")
if "</script" in MODULE.lower():
    raise ImportError("helpers/explorer.js must not contain '</script': it is inlined in a <script> element.")


def _block_html(meta: dict, payload: bytes) -> str:
    """The container (with a note for pages without JavaScript) and the shared module, mounting it."""
    # "</" inside the script would end it early in an HTML parser; JSON allows "<\/".
    meta_json = json.dumps(meta, separators=(",", ":")).replace("</", "<\\/")
    return (
        f'<div class="lx-explorer" data-lx-id="{_PLACEHOLDER_ID}" data-prevent-swipe="" '
        f'data-lm-suppress-shortcuts="true" data-p-suppress-shortcuts="true">'
        f'<div class="lx-nojs">Interactive explorer of {html_lib.escape(meta["models"][0])}: it runs as JavaScript in '
        "the page, so it needs nbviewer, JupyterLab (trusted notebook), the HTML pages or the slides; the figures "
        "below show the same moves as still images.</div></div>\n"
        f'<script type="module">\n{MODULE}\nmountPage("{_PLACEHOLDER_ID}", {meta_json},\n'
        f'"{base64.b64encode(payload).decode("ascii")}");\n</script>'
    )


def standalone_page(*explorers: BrowserExplorer, title: str = "Latent-space explorer") -> str:
    """A complete HTML document holding these explorers (for a browser without a notebook)."""
    if not explorers or not all(isinstance(e, BrowserExplorer) for e in explorers):
        raise TypeError("standalone_page takes one or more BrowserExplorer blocks (from browser_explorer).")
    body = "\n".join(e.html for e in explorers)
    return (f"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{html_lib.escape(title)}"
            f"</title></head>\n<body>\n{body}\n</body></html>\n")
