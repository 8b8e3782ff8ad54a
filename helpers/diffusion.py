"""Diffusion models that encode: DDIM sampling, and DDIM inversion as ``encode``.

Introduced in notebook 09. Two models, both behind the series' interface
(``encode``, ``decode``, ``latent_dim``, ``sample``; helpers.interface), so
``latent.LatentSpace``, ``scoring``, ``style`` and the explorers take them
unchanged:

- :class:`PixelDiffusion`: a small U-Net denoiser on 28 x 28 digits; its code
  is the starting noise x_T (784 numbers).
- :class:`LatentDiffusion`: the Stable Diffusion recipe in miniature, an MLP
  denoiser on the 20-d codes of the series' VAE-20d, decoded by the VAE's
  decoder; its code is the 20-d starting noise.
- :class:`HSpaceDiffusion`: the pixel model's second code, the U-Net's
  bottleneck activations ("h-space", Kwon et al. 2023), next to the noise they
  act on (see its docstring for why the noise is part of the code).

The forward process is x_t = alpha_t x_0 + sigma_t eps with alpha_t^2 +
sigma_t^2 = 1 and a cosine-type schedule in continuous time t in [0, 1]
(:func:`logsnr_schedule`). The networks predict v = alpha_t eps - sigma_t x_0
(Salimans & Ho 2022), from which both x_0 and eps follow. Sampling runs the
deterministic DDIM update (Song et al. 2021) from t = 1 to 0; inversion runs
the same update from 0 to 1, so ``decode(encode(x))`` gives x back up to the
discretisation error, which shrinks with the number of steps.
"""

from __future__ import annotations

import functools
import math
import time
import weakref
from typing import Any, Callable

import keras
import numpy as np
from keras import layers, ops

from . import cache, config
from .checks import (check_flag, checked, codes, count, flag, images, instance, model, number, numbers, one_of,
                     optional, positive, ref, seed, using)
from .judges import KerasJudge
from .data import (Dataset, as_dataset, check_count, check_images, check_memory, check_number, check_positive,
                   check_settings, load_mnist, random_generator, shuffled_batches)
from .latent import LatentSpace
from .scoring import TransferResult, frechet_distance

#: Autoguidance's default weight (notebook 09 measures 1 to 3.5) and the largest accepted (a bound on typos).
GUIDANCE = 2.5
MAX_GUIDANCE = 20.0
#: log signal-to-noise ratio at t = 0 and t = 1: alpha_0 = 0.99998, sigma_1 = 0.99998.
LOGSNR_MAX = 10.0
LOGSNR_MIN = -10.0


# --- argument checks (the decorators below use them; the function bodies are the idea) ------------------
#: What a network may predict: v (our choice), the noise eps, or the clean x_0.
PARAMETERISATIONS = ("v", "eps", "x0")


def _predictor(value, *, name):
    if not callable(value):
        raise TypeError(f"{name} must be a denoiser predict(x_t, logsnr) -> v, such as diffusion.gaussian_oracle("
                        f"mean, std) or PixelDiffusion(...).predictor(), got {type(value).__name__}.")
    if getattr(value, "checked_denoiser", False):
        return value

    def predict(x, logsnr):  # what the denoiser returns is checked too: a wrong one would give NaN images
        v = value(x, logsnr)
        try:
            v = np.asarray(v, dtype=np.float32)
        except (TypeError, ValueError):
            v = None
        if v is None or v.shape != np.shape(x):
            raise ValueError(f"{name} returned {type(v).__name__ if v is None else f'shape {v.shape}'} for a state "
                             f"of shape {np.shape(x)}; a denoiser must return v of the state's shape.")
        if not np.all(np.isfinite(v)):
            raise ValueError(f"{name} returned NaN or infinite values at log-SNR {logsnr:g}.")
        return v

    predict.checked_denoiser = True
    return predict


#: The most sampler steps accepted: each is a pass of the network over every image (1,000 is already plenty).
MAX_STEPS = 10_000


def _steps(value, *, name):
    steps = check_count(value, name=name, minimum=1)
    if steps > MAX_STEPS:
        raise ValueError(f"{name} must be at most {MAX_STEPS:,} (each step is a pass of the network), got {steps:,}.")
    return steps


STEPS = using(_steps)


def _times(value, *, name, rows=None):
    if isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be a time in [0, 1] (0 = data, 1 = noise), or an array of them, got {value!r}.")
    t = numbers(what="diffusion times in [0, 1]")(value, name, {})
    if t.size == 0:
        raise ValueError(f"{name}: got no times; pass a time in [0, 1] or one per row.")
    if np.any((t < 0) | (t > 1)):
        raise ValueError(f"{name} must lie in [0, 1] (0 = data, 1 = noise), got values from {t.min():g} to {t.max():g}.")
    if rows is not None and t.ndim and t.shape != (rows,):
        raise ValueError(f"{name} must be one time or one per row of x0 ({rows}), got shape {t.shape}.")
    return t


def _noise_like(value, *, name, like):
    eps = numbers()(value, name, {})
    if eps.shape != np.shape(like):
        raise ValueError(f"{name} must have the shape of x0, {np.shape(like)}, got {eps.shape}.")
    return eps


def _spreads(value, *, name, like=None):
    std = numbers(what="standard deviations (> 0)")(value, name, {})
    if std.size == 0:
        raise ValueError(f"{name}: got no standard deviations; pass one number or one per data entry.")
    if like is not None:
        try:
            np.broadcast_shapes(np.shape(like), std.shape)
        except ValueError:
            raise ValueError(f"{name} has shape {std.shape}, which does not match the mean's {np.shape(like)}; "
                             f"pass one per entry of the mean, or one number.") from None
    if np.any(std <= 0):
        raise ValueError(f"{name} must be positive standard deviations, got a minimum of {std.min():g}.")
    return std


def _widths(value, *, name):
    if isinstance(value, (str, bytes)) or not isinstance(value, (list, tuple)) or len(value) != 2:
        raise TypeError(f"{name} must be two channel counts such as (64, 128), got {value!r}.")
    return tuple(check_count(w, name=f"{name} entry", minimum=1) for w in value)


def _training_rows(value, *, name):
    if not isinstance(value, np.ndarray) or value.ndim not in (2, 3) or len(value) == 0:
        raise TypeError(f"{name} must be a numpy array of images (N, 28, 28) or codes (N, d) with N >= 1, got "
                        f"{type(value).__name__} of shape {getattr(value, 'shape', None)}.")
    if not np.all(np.isfinite(value)):
        raise ValueError(f"{name}: contains NaN or infinite values.")
    return value.astype(np.float32, copy=False)


def _states(value, *, name):
    x = numbers(what="pixel states (N, 28, 28) or (N, 784)")(value, name, {})
    if x.ndim == 2 and x.shape[1] == 784:
        x = x.reshape(-1, 28, 28)
    if x.ndim != 3 or x.shape[1:] != (28, 28):
        raise ValueError(f"{name}: expected pixel states of shape (N, 28, 28) or (N, 784), got {x.shape}.")
    return x.astype(np.float32)


def _shifts(value, *, name, n, shape):
    shift = numbers(what=f"bottleneck shifts (N, {', '.join(map(str, shape))})")(value, name, {})
    if shift.shape != (n, *shape):
        raise ValueError(f"{name} must hold one bottleneck shift per code, shape {(n, *shape)}, got {shift.shape}.")
    return shift.astype(np.float32)


def _pixel_net(value, *, name):
    if not isinstance(value, keras.Model) or len(value.inputs) != 3:
        raise TypeError(f"{name} must be the pixel denoiser from diffusion.build_unet (three inputs), got "
                        f"{type(value).__name__}.")
    return value


def _guide_net(value, *, name):
    """None, or a pixel denoiser (a net or a PixelDiffusion) of the same input shapes as the model's."""
    if value is None:
        return None
    net = value.net if isinstance(value, PixelDiffusion) else value
    if not isinstance(net, keras.Model) or len(net.inputs) != 3:
        raise TypeError(f"{name} must be a weaker pixel denoiser (diffusion.build_unet, or a PixelDiffusion such as a "
                        f"training snapshot), got {type(value).__name__}.")
    return net


def _latent_net(value, *, name):
    if not isinstance(value, keras.Model) or len(value.inputs) != 2:
        raise TypeError(f"{name} must be the latent denoiser from diffusion.build_mlp, got {type(value).__name__}.")
    return value


def _vae(value, *, name):
    for member in ("encode", "decode", "latent_dim"):
        if not hasattr(value, member):
            raise TypeError(f"{name} must be the series' VAE (vae.pretrained_vae(20)), got {type(value).__name__}.")
    return value


def _per_code_entry(value, *, name, dim, positive=False):
    v = numbers(what=f"one number per code entry ({dim})")(value, name, {}).reshape(-1)
    if v.size != dim:
        raise ValueError(f"{name} must hold one number per code entry, {dim}, got {v.size}.")
    if positive and np.any(v <= 0):
        raise ValueError(f"{name} must be positive (standard deviations of the codes), got a minimum of {v.min():g}.")
    return v.astype(np.float32)


def _h_space(value, *, name):
    if not isinstance(value, LatentSpace) or not isinstance(value.model, HSpaceDiffusion):
        raise TypeError(f"{name} must be a LatentSpace of an HSpaceDiffusion model, e.g. latent.LatentSpace("
                        f"diffusion.HSpaceDiffusion(pixel), x_train, y_train), got {type(value).__name__}.")
    return value


def _some_images(value, *, name):
    x = images()(value, name, {})
    if len(x) == 0:
        raise ValueError(f"{name}: pass at least one image.")
    return x


def _config(value, *, name):
    return check_training_config(value, name=name)


# --- the noise schedule -------------------------------------------------------------------------------
def logsnr_schedule(t, logsnr_min: float = LOGSNR_MIN, logsnr_max: float = LOGSNR_MAX):
    """log(alpha_t^2 / sigma_t^2) of the cosine schedule, squeezed into [logsnr_min, logsnr_max].

    With unbounded ends this is exactly Nichol & Dhariwal's cosine schedule,
    alpha_t = cos(pi t / 2); the bounds keep alpha_1 and sigma_0 away from 0,
    where the log-SNR would be infinite. Works on numbers, numpy arrays and tensors.
    """
    logsnr_min = check_number(logsnr_min, name="logsnr_min")
    logsnr_max = check_number(logsnr_max, name="logsnr_max", low=logsnr_min, low_open=True)
    b = math.atan(math.exp(-0.5 * logsnr_max))
    a = math.atan(math.exp(-0.5 * logsnr_min)) - b
    if not ops.is_tensor(t):  # numbers and arrays are checked; tensors come from the training graph
        return -2.0 * np.log(np.tan(a * _times(t, name="t") + b))
    return -2.0 * ops.log(ops.tan(a * t + b))


def alpha_sigma(logsnr):
    """(alpha, sigma) from the log-SNR: alpha^2 = sigmoid(logsnr), sigma^2 = sigmoid(-logsnr)."""
    if isinstance(logsnr, (float, int, np.ndarray, np.floating)):
        logsnr = np.asarray(logsnr, dtype=np.float64)
        return np.sqrt(1.0 / (1.0 + np.exp(-logsnr))), np.sqrt(1.0 / (1.0 + np.exp(logsnr)))
    return ops.sqrt(ops.sigmoid(logsnr)), ops.sqrt(ops.sigmoid(-logsnr))


@checked(x0=numbers(), t=using(_times, rows=ref("x0", len)), eps=using(_noise_like, like=ref("x0")))
def add_noise(x0, t, eps):
    """The forward process: x_t = alpha_t x_0 + sigma_t eps (t broadcast over the trailing axes)."""
    t = t.reshape((-1,) + (1,) * (x0.ndim - 1)) if np.ndim(t) else t
    alpha, sigma = alpha_sigma(logsnr_schedule(t))
    return alpha * x0 + sigma * eps


@checked(steps=STEPS)
def time_grid(steps: int) -> np.ndarray:
    """The sampler's times, uniform in t: 1 = t_0 > t_1 > ... > t_steps = 0."""
    return np.linspace(1.0, 0.0, steps + 1)


# --- the deterministic sampler and its inverse -----------------------------------------------------------
#: A denoiser for the sampler: ``predict(x_t, logsnr) -> v`` on arrays of any shape (N, ...), logsnr a number.
Predictor = Callable[[np.ndarray, float], np.ndarray]


@checked(predict=using(_predictor), x=numbers(what="the state x_t, an array of numbers (N, ...)"),
         t_from=number(0.0, 1.0), t_to=number(0.0, 1.0), clip=optional(positive()))
def ddim_step(predict: Predictor, x, t_from: float, t_to: float, clip: float | None = None) -> np.ndarray:
    """One deterministic DDIM move of the state x from time ``t_from`` to ``t_to`` (either direction).

    The denoiser at (x, t_from) gives v; then x_0 = alpha x - sigma v and
    eps = sigma x + alpha v, and the state at t_to is alpha' x_0 + sigma' eps.
    Running it from 1 towards 0 samples; from 0 towards 1 it inverts. ``clip``
    bounds the x_0 estimate (the pixels' range) and recomputes eps to match.
    """
    logsnr = float(logsnr_schedule(t_from))
    a, s = alpha_sigma(logsnr)
    a2, s2 = alpha_sigma(float(logsnr_schedule(t_to)))
    x = np.asarray(x, dtype=np.float32)
    v = np.asarray(predict(x, logsnr), dtype=np.float32)
    x0 = a * x - s * v
    eps = s * x + a * v
    if clip is not None:
        x0 = np.clip(x0, -clip, clip)
        eps = (x - a * x0) / s
    return (a2 * x0 + s2 * eps).astype(np.float32)


@checked(predict=using(_predictor), x_T=numbers(), steps=STEPS, clip=optional(positive()))
def ddim_sample(predict: Predictor, x_T, steps: int, clip: float | None = None) -> np.ndarray:
    """Run the DDIM sampler from noise x_T at t = 1 to t = 0 in ``steps`` uniform steps."""
    x = np.asarray(x_T, dtype=np.float32)
    grid = time_grid(steps)
    for t_from, t_to in zip(grid[:-1], grid[1:]):
        x = ddim_step(predict, x, t_from, t_to, clip)
    return x


@checked(predict=using(_predictor), x0=numbers(), steps=STEPS)
def ddim_invert(predict: Predictor, x0, steps: int) -> np.ndarray:
    """DDIM inversion: the same update run from the data at t = 0 up to t = 1, giving its noise x_T."""
    x = np.asarray(x0, dtype=np.float32)
    grid = time_grid(steps)[::-1]
    for t_from, t_to in zip(grid[:-1], grid[1:]):
        x = ddim_step(predict, x, t_from, t_to)
    return x


@checked(mean=numbers(), std=using(_spreads, like=ref("mean")))
def gaussian_oracle(mean, std) -> Predictor:
    """The exact v-denoiser for data x_0 ~ N(mean, diag(std^2)): the sampler's reference in the tests.

    For Gaussian data the posterior mean is linear,
    E[x_0 | x_t] = mean + alpha std^2 / (alpha^2 std^2 + sigma^2) (x_t - alpha mean),
    and v = (alpha x_t - x_0) / sigma.
    """
    var = std ** 2
    data_shape = np.broadcast_shapes(np.shape(mean), var.shape)

    def predict(x, logsnr):
        a, s = alpha_sigma(float(logsnr))
        x = np.asarray(x, dtype=np.float64)
        try:
            fits = np.broadcast_shapes(x.shape, data_shape) == x.shape
        except ValueError:
            fits = False
        if not fits:
            raise ValueError(f"gaussian_oracle: states of shape {x.shape} do not match its data's shape {data_shape}.")
        x0 = mean + a * var / (a * a * var + s * s) * (x - a * mean)
        return ((a * x - x0) / s).astype(np.float32)

    return predict


def as_v(output, x, logsnr: float, parameterisation: str):
    """The network's output, whatever it predicts (v, eps or x0), as v = alpha eps - sigma x_0."""
    a, s = alpha_sigma(float(logsnr))
    if parameterisation == "v":
        return output
    if parameterisation == "eps":
        x0 = (x - s * output) / a
        return a * output - s * x0
    eps = (x - a * output) / s  # x0
    return a * eps - s * output


# --- the networks --------------------------------------------------------------------------------------
def noise_embedding(logsnr, dim: int):
    """Sinusoidal features of the log-SNR (as a transformer embeds positions): (N, 1) -> (N, dim)."""
    half = dim // 2
    freqs = ops.exp(ops.linspace(0.0, math.log(1000.0), half))  # periods from 2 pi to 2 pi / 1000 in logsnr / 20
    angles = (logsnr / 20.0) * freqs[None, :] * math.pi
    return ops.concatenate([ops.sin(angles), ops.cos(angles)], axis=-1)


@keras.saving.register_keras_serializable(package="helpers")
class NoiseEmbedding(layers.Layer):
    """The log-SNR as ``dim`` sinusoidal features (a layer, so saved models rebuild it)."""

    def __init__(self, dim: int = 32, **kwargs):
        super().__init__(**kwargs)
        self.dim = int(dim)

    def call(self, logsnr):
        return noise_embedding(logsnr, self.dim)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.dim)

    def get_config(self):
        return {**super().get_config(), "dim": self.dim}


def _res_block(h, emb, width: int, name: str):
    """Conv - add noise embedding - SiLU - conv, plus the input: the U-Net's unit."""
    skip = h if h.shape[-1] == width else layers.Conv2D(width, 1, name=f"{name}_skip")(h)
    h = layers.Conv2D(width, 3, padding="same", activation="silu", name=f"{name}_conv1")(h)
    h = h + layers.Reshape((1, 1, width))(layers.Dense(width, name=f"{name}_emb")(emb))
    h = layers.Conv2D(width, 3, padding="same", name=f"{name}_conv2")(layers.Activation("silu")(h))
    return skip + h


@checked(widths=using(_widths), patch=one_of(1, 2), embedding=count(minimum=2), blocks=count(minimum=1))
def build_unet(widths=(64, 128), patch: int = 2, embedding: int = 64, blocks: int = 1) -> keras.Model:
    """The pixel denoiser: (x_t (28, 28), logsnr (1,), h shift) -> (v (28, 28), h).

    Channels last. The image is first cut into ``patch`` x ``patch`` patches
    stacked as channels (space-to-depth: a 2 x 2 patch turns 28 x 28 x 1 into
    14 x 14 x 4), so every convolution runs on a quarter of the positions;
    then one U-Net level at 28/patch and one at half that size, where the
    bottleneck ``h`` lives. ``h shift`` is added to the bottleneck before the
    decoder half reads it (the h-space injection); zeros change nothing.
    """
    c1, c2 = (int(w) for w in widths)
    side = 28 // patch
    x_in = keras.Input((28, 28), name="x_t")
    snr_in = keras.Input((1,), name="logsnr")
    shift_in = keras.Input((side // 2, side // 2, c2), name="h_shift")
    emb = NoiseEmbedding(embedding, name="noise_features")(snr_in)
    emb = layers.Dense(embedding, activation="silu", name="emb1")(emb)
    emb = layers.Dense(embedding, activation="silu", name="emb2")(emb)
    h = layers.Reshape((side, patch, side, patch))(x_in)
    h = layers.Permute((1, 3, 2, 4))(h)
    h = layers.Reshape((side, side, patch * patch), name="patches")(h)
    h = layers.Conv2D(c1, 3, padding="same", name="stem")(h)
    for i in range(blocks):
        h = _res_block(h, emb, c1, f"down{i}")
    skip = h
    h = layers.Conv2D(c2, 3, strides=2, padding="same", name="downsample")(h)
    for i in range(blocks):
        h = _res_block(h, emb, c2, f"mid{i}")
    bottleneck = layers.Identity(name="h")(h)
    h = layers.Add(name="h_injected")([bottleneck, shift_in])
    for i in range(blocks):
        h = _res_block(h, emb, c2, f"midup{i}")
    h = layers.UpSampling2D(2, name="upsample")(h)
    h = layers.Concatenate(name="skip_join")([h, skip])
    for i in range(blocks):
        h = _res_block(h, emb, c1, f"up{i}")
    h = layers.Conv2D(patch * patch, 3, padding="same", name="head", kernel_initializer="zeros")(
        layers.Activation("silu")(h))
    h = layers.Reshape((side, side, patch, patch))(h)
    h = layers.Permute((1, 3, 2, 4))(h)
    v = layers.Reshape((28, 28), name="v")(h)
    return keras.Model([x_in, snr_in, shift_in], [v, bottleneck], name="pixel_denoiser")


@checked(width=count(minimum=1), depth=count(minimum=1), embedding=count(minimum=2))
def build_pixel_mlp(width: int = 1024, depth: int = 4, embedding: int = 64) -> keras.Model:
    """A pixel denoiser made of dense layers only: (x_t (28, 28), logsnr, h shift (width,)) -> (v, h).

    Dense matrix products run near the CPU's peak rate, convolutions of a few
    channels far below it; ``h`` is the activation after the first half of
    the residual blocks.
    """
    x_in = keras.Input((28, 28), name="x_t")
    snr_in = keras.Input((1,), name="logsnr")
    shift_in = keras.Input((width,), name="h_shift")
    emb = NoiseEmbedding(embedding, name="noise_features")(snr_in)
    emb = layers.Dense(width, activation="silu", name="emb")(emb)
    h = layers.Dense(width, name="stem")(layers.Flatten()(x_in)) + emb
    bottleneck = None
    for i in range(depth):
        h = h + layers.Dense(width, name=f"block{i}_b")(
            layers.Dense(width, activation="silu", name=f"block{i}_a")(layers.Activation("silu")(h) + emb))
        if i == depth // 2 - 1:
            bottleneck = layers.Identity(name="h")(h)
            h = layers.Add(name="h_injected")([bottleneck, shift_in])
    v = layers.Dense(784, name="head", kernel_initializer="zeros")(layers.Activation("silu")(h))
    return keras.Model([x_in, snr_in, shift_in], [layers.Reshape((28, 28), name="v")(v), bottleneck],
                       name="pixel_mlp_denoiser")


@checked(dim=count(minimum=1), width=count(minimum=1), depth=count(minimum=1), embedding=count(minimum=2))
def build_mlp(dim: int = 20, width: int = 512, depth: int = 4, embedding: int = 64) -> keras.Model:
    """The latent denoiser: (z_t (dim,), logsnr (1,)) -> v (dim,), a residual MLP with SiLU."""
    z_in = keras.Input((dim,), name="z_t")
    snr_in = keras.Input((1,), name="logsnr")
    emb = NoiseEmbedding(embedding, name="noise_features")(snr_in)
    emb = layers.Dense(width, activation="silu", name="emb")(emb)
    h = layers.Dense(width, name="stem")(z_in) + emb
    for i in range(depth):
        h = h + layers.Dense(width, name=f"block{i}_b")(
            layers.Dense(width, activation="silu", name=f"block{i}_a")(layers.Activation("silu")(h)))
    v = layers.Dense(dim, name="v", kernel_initializer="zeros")(layers.Activation("silu")(h))
    return keras.Model([z_in, snr_in], v, name="latent_denoiser")


@checked(net=instance(keras.Model, "diffusion.build_unet()"))
def forward_flops(net: keras.Model) -> int:
    """Multiply-adds x 2 of one forward pass per image: convolutions and dense layers (the rest is small)."""
    total = 0
    for layer in net.layers:
        if isinstance(layer, layers.Conv2D):
            out = layer.output.shape
            k = layer.kernel.shape
            total += 2 * out[1] * out[2] * k[0] * k[1] * k[2] * k[3]
        elif isinstance(layer, layers.Dense):
            total += 2 * int(np.prod(layer.kernel.shape))
    return int(total)


# --- training ------------------------------------------------------------------------------------------
def loss_weight(logsnr, parameterisation: str, gamma: float | None):
    """Weight on the squared error of the network's output, so that every parameterisation minimises the same thing.

    Min-SNR-gamma (Hang et al. 2023) weighs the squared error of x_0 by min(SNR, gamma),
    so nearly clean images (high SNR, easy to denoise) do not dominate the gradient.
    The x_0 error is sigma times the v error (|x_0 err|^2 = |v err|^2 / (SNR + 1)) and
    sigma / alpha times the eps error (|x_0 err|^2 = |eps err|^2 / SNR), hence the
    divisions. ``gamma`` None: the plain loss of the parameterisation.
    """
    snr = ops.exp(logsnr)
    if gamma is None:
        return ops.ones_like(snr)
    clipped = ops.minimum(snr, gamma)
    if parameterisation == "v":
        return clipped / (snr + 1.0)
    if parameterisation == "eps":
        return clipped / snr
    return clipped  # x0


@keras.saving.register_keras_serializable(package="helpers")
class DiffusionTrainer(keras.Model):
    """Wraps a denoiser for ``fit``: noises a batch at random times and regresses the target.

    Keeps an exponential moving average of the weights (``ema`` decay per step),
    the weights that sampling uses (Karras et al. 2024 explain why it helps). The
    times are stratified: one uniform offset per batch plus i / batch, so each
    batch covers [0, 1] evenly (lower-variance gradients than i.i.d. times).
    """

    def __init__(self, net: keras.Model, parameterisation: str = "v", gamma: float | None = 5.0,
                 ema: float = 0.999, pixel: bool = True, seed: int = 0, **kwargs):
        super().__init__(**kwargs)
        self.net = net
        self.parameterisation = parameterisation
        self.gamma = gamma
        self.ema = float(ema)
        self.pixel = bool(pixel)
        self.noise = keras.random.SeedGenerator(seed)
        self.ema_weights = [keras.Variable(w, trainable=False, name=f"ema_{i}")
                            for i, w in enumerate(net.trainable_weights)]
        self.loss_tracker = keras.metrics.Mean(name="loss")

    @property
    def metrics(self):
        return [self.loss_tracker]

    def _predict(self, x_t, logsnr):
        if self.pixel:
            n = ops.shape(x_t)[0]
            shift_shape = self.net.inputs[2].shape[1:]
            out = self.net([x_t, logsnr, ops.zeros((n, *shift_shape))], training=True)
            return out[0]
        return self.net([x_t, logsnr], training=True)

    def train_step(self, data):
        import tensorflow as tf

        x0 = data[0] if isinstance(data, tuple) else data
        if self.pixel:
            x0 = 2.0 * x0 - 1.0
        n = ops.shape(x0)[0]
        u = keras.random.uniform((), seed=self.noise)
        t = ops.mod(u + ops.cast(ops.arange(n), "float32") / ops.cast(n, "float32"), 1.0)
        logsnr = ops.reshape(logsnr_schedule(t), (-1, 1))
        trailing = (1,) * (len(x0.shape) - 1)
        a, s = alpha_sigma(ops.reshape(logsnr, (-1, *trailing)))
        eps = keras.random.normal(ops.shape(x0), seed=self.noise)
        x_t = a * x0 + s * eps
        target = {"v": a * eps - s * x0, "eps": eps, "x0": x0}[self.parameterisation]
        weight = ops.reshape(loss_weight(logsnr, self.parameterisation, self.gamma), (-1,))
        with tf.GradientTape() as tape:
            out = self._predict(x_t, logsnr)
            err = ops.mean(ops.reshape(ops.square(out - target), (n, -1)), axis=-1)
            loss = ops.mean(weight * err)
        grads = tape.gradient(loss, self.net.trainable_weights)
        self.optimizer.apply_gradients(zip(grads, self.net.trainable_weights))
        # The average warms up: decay (1 + n) / (10 + n) until it reaches ``ema``, so a short run's
        # average is not dominated by the random initial weights.
        n_step = ops.cast(self.optimizer.iterations, "float32")
        decay = ops.minimum(self.ema, (1.0 + n_step) / (10.0 + n_step))
        for e, w in zip(self.ema_weights, self.net.trainable_weights):
            e.assign(decay * e + (1.0 - decay) * w)
        self.loss_tracker.update_state(loss)
        return {"loss": self.loss_tracker.result()}


class _Clock(keras.callbacks.Callback):
    """The training clock: stops at the time budget or the step cap, drives the schedule, keeps EMA weights.

    ``progress`` (0 to 1) is the share of the run done, of the time budget or of the
    step cap ``max_steps``, whichever is further along; the learning-rate schedule
    reads it, so warm-up and cosine decay span the run on any machine. ``at_seconds``
    are points of the run in budget seconds (the share done times the budget): the EMA
    weights are copied there, and ``taken`` holds them with the clock's seconds then
    (earlier than the point on a machine that stops at the step cap). The seconds
    include XLA compilation: they are what a reader waits for.
    """

    def __init__(self, trainer: DiffusionTrainer, budget: float | None, at_seconds, progress,
                 log_every: int = 100, log_seconds: float = 0.0, max_steps: int | None = None):
        super().__init__()
        self.log_every, self.log_seconds = int(log_every), float(log_seconds)
        self.trainer = trainer
        self.budget = budget
        self.max_steps = max_steps
        self.progress = progress
        self.at = sorted(float(s) for s in at_seconds)
        self.taken: list[tuple[float, list[np.ndarray]]] = []
        self.taken_at: dict[float, float] = {}  # point of the run (budget seconds) -> clock seconds when taken
        self.paused = 0.0
        self.start: float | None = None  # set by the caller to count fit()'s own set-up too

    def on_train_begin(self, logs=None):
        if self.start is None:
            self.start = time.perf_counter()
        self.epoch_seconds = []
        self.loss_steps: list[tuple[int, float]] = []  # (optimizer steps, mean loss since the previous entry)
        self._logged = (0, 0, 0.0)  # steps at the last entry, steps into the epoch then, epoch mean then
        self._logged_at = 0.0
        self._last_call_end = 0.0

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch_start = time.perf_counter()
        self._epoch_first_step = int(ops.convert_to_numpy(self.trainer.optimizer.iterations))
        last, _, _ = self._logged
        self._logged = (last, last - self._epoch_first_step, 0.0)

    def _log_loss(self, logs):
        """Every ``log_every`` steps, the mean loss over those steps (from the running epoch mean)."""
        if not logs or "loss" not in logs:
            return
        done = int(ops.convert_to_numpy(self.trainer.optimizer.iterations))
        last, into_then, mean_then = self._logged
        elapsed = time.perf_counter() - self.start - self.paused
        if done - last < self.log_every or elapsed - self._logged_at < self.log_seconds:
            return
        self._logged_at = elapsed
        into_now, mean_now = done - self._epoch_first_step, float(logs["loss"])
        into_then = max(into_then, 0)  # the previous entry fell in an earlier epoch: this epoch's mean so far
        window = (into_now * mean_now - into_then * mean_then) / max(into_now - into_then, 1)
        self.loss_steps.append((done, float(window)))
        self._logged = (done, into_now, mean_now)

    def on_epoch_end(self, epoch, logs=None):
        self.epoch_seconds.append(time.perf_counter() - self.epoch_start)

    def on_train_batch_end(self, batch, logs=None):
        self._log_loss(logs)
        now = time.perf_counter() - self.start - self.paused
        done = int(ops.convert_to_numpy(self.trainer.optimizer.iterations)) if self.max_steps else 0
        step_share = done / self.max_steps if self.max_steps else 0.0
        share = max(now / self.budget, step_share) if self.budget else step_share
        point = share * self.budget if self.budget else now  # where the run is, in budget seconds
        # (a hair of slack: 1,000 of 5,000 steps times 300 s must count as 60 s despite rounding)
        while self.at and point + 1e-9 * (self.budget or 1.0) >= self.at[0]:
            t0 = time.perf_counter()
            self.taken_at[self.at[0]] = now
            self.taken.append((now, [ops.convert_to_numpy(e) for e in self.trainer.ema_weights]))
            self.at.pop(0)
            self.paused += time.perf_counter() - t0
        if self.budget:
            self.progress.assign(min(1.0, share))
            # Stop when the next call would end past the budget, so training stays within it.
            if now + (now - self._last_call_end) >= self.budget:
                self.model.stop_training = True
        if self.max_steps and done >= self.max_steps:
            self.model.stop_training = True
        self._last_call_end = now


class BudgetSchedule(keras.optimizers.schedules.LearningRateSchedule):
    """Linear warm-up to ``peak`` over ``warmup`` of the budget, then cosine decay to zero, read from ``progress``."""

    def __init__(self, peak: float, warmup: float, progress):
        self.peak, self.warmup, self.progress = float(peak), float(warmup), progress

    def __call__(self, step):
        p = ops.convert_to_tensor(self.progress)
        rise = p / max(self.warmup, 1e-9)
        fall = 0.5 * (1.0 + ops.cos(math.pi * ops.clip((p - self.warmup) / (1.0 - self.warmup), 0.0, 1.0)))
        return self.peak * ops.where(p < self.warmup, rise, fall)

    def get_config(self):
        return {"peak": self.peak, "warmup": self.warmup}


# --- the configurations ---------------------------------------------------------------------------------
def pixel_config(**overrides) -> dict[str, Any]:
    """Architecture and schedule of the pixel diffusion model for this mode (chosen by measurement; notebook 09)."""
    s = config.SETTINGS
    cfg = {
        "widths": [32, 64],
        "patch": 2,
        "blocks": 1,
        "embedding": 64,
        "parameterisation": "v",
        "gamma": 5.0,
        "ema": 0.999,
        "batch_size": 32,
        # 2e-3: Frechet distance 37.7 after 5 min against 44.0 with 1e-3; 3e-3 and 4e-3 were worse after 2 min
        # (75 and 137 against 55), and neither attention at the bottleneck nor clipping the gradient paid
        # (benchmarks/diffusion_sweep.json; those two options are in commit 604386e).
        "learning_rate": 2e-3,
        "warmup_fraction": 0.02,
        "epochs": 100,
        "budget_seconds": s.diffusion_pixel_seconds,
        "max_steps": s.diffusion_pixel_max_steps,  # a faster machine stops here (config.Settings)
        "jit_compile": s.xla,
        "train_images": s.train_subset or 60000,
        "snapshot_seconds": [60.0, 120.0, 240.0],
        # Autoguidance's guide: the EMA weights at this share of the budget (one minute of five). On the model of
        # 2026-12-04's make run, guided at w = 2.5 (2,000 samples, 20 steps), its 1-minute weights took the Frechet
        # distance from 38.0 to 23.9 and its 2-minute ones to 27.9; in a second run, slowed by other work, guides
        # from 15 to 90 s all took it from 46.5 to between 29 and 37 (w = 2 and 3).
        "guide_fraction": 0.2,
        "seed": 0,
    }
    return _override(cfg, overrides, "pixel_config")


def latent_config(**overrides) -> dict[str, Any]:
    """The latent diffusion model on VAE-20d codes for this mode (notebook 09)."""
    s = config.SETTINGS
    cfg = {
        "width": 256,
        "depth": 3,
        "embedding": 64,
        "parameterisation": "v",
        "gamma": 5.0,
        "ema": 0.999,
        "batch_size": 1024,
        "learning_rate": 3e-3,
        "warmup_fraction": 0.02,
        "epochs": 400,
        "budget_seconds": s.diffusion_latent_seconds,
        "max_steps": s.diffusion_latent_max_steps,
        "jit_compile": s.xla,
        "train_images": s.train_subset or 60000,
        "snapshot_seconds": [],
        "seed": 0,
    }
    return _override(cfg, overrides, "latent_config")


def _override(cfg: dict, overrides: dict, name: str) -> dict:
    unknown = sorted(set(overrides) - set(cfg))
    if unknown:
        raise TypeError(f"{name}: unknown setting(s) {unknown}; known: {sorted(cfg)}.")
    cfg.update(overrides)
    return check_training_config(cfg, name=name)


def check_training_config(cfg, *, name: str = "cfg") -> dict:
    """A configuration with every setting present and sensible, or a clear error naming the one at fault."""
    cfg = check_settings(cfg, ("parameterisation", "gamma", "ema", "batch_size", "learning_rate", "epochs",
                               "train_images", "seed"), name=name, example="diffusion.pixel_config()")
    if cfg["parameterisation"] not in ("v", "eps", "x0"):
        raise ValueError(f"{name}['parameterisation'] must be 'v', 'eps' or 'x0', got {cfg['parameterisation']!r}.")
    if cfg["gamma"] is not None:
        check_positive(cfg["gamma"], name=f"{name}['gamma']")
    check_number(cfg["ema"], name=f"{name}['ema']", low=0.0, high=1.0, high_open=True)
    for key in ("batch_size", "epochs", "train_images"):
        check_count(cfg[key], name=f"{name}['{key}']", minimum=1)
    check_count(cfg["seed"], name=f"{name}['seed']")
    check_positive(cfg["learning_rate"], name=f"{name}['learning_rate']")
    check_number(cfg.get("warmup_fraction", 0.0), name=f"{name}['warmup_fraction']", low=0.0, high=1.0,
                 high_open=True)
    if cfg.get("budget_seconds") is not None:
        check_positive(cfg["budget_seconds"], name=f"{name}['budget_seconds']")
    if cfg.get("max_steps") is not None:
        check_count(cfg["max_steps"], name=f"{name}['max_steps']", minimum=1)
    if "widths" in cfg:
        widths = cfg["widths"]
        if isinstance(widths, (str, bytes)) or not isinstance(widths, (list, tuple)) or len(widths) != 2:
            raise TypeError(f"{name}['widths'] must be two channel counts such as [64, 128], got {widths!r}.")
        for w in widths:
            check_count(w, name=f"{name}['widths'] entry", minimum=1)
        if isinstance(cfg.get("patch"), (bool, np.bool_)) or cfg.get("patch") not in (1, 2):
            raise ValueError(f"{name}['patch'] must be 1 or 2 (28 must split into patches, then halve), "
                             f"got {cfg.get('patch')!r}.")
        check_count(cfg.get("blocks"), name=f"{name}['blocks']", minimum=1)
    for key in ("width", "depth"):  # the latent denoiser's
        if key in cfg:
            check_count(cfg[key], name=f"{name}['{key}']", minimum=1)
    if "embedding" in cfg:
        check_count(cfg["embedding"], name=f"{name}['embedding']", minimum=2)
    if "jit_compile" in cfg:
        check_flag(cfg["jit_compile"], name=f"{name}['jit_compile']")
    if "snapshot_seconds" in cfg:
        seconds = cfg["snapshot_seconds"]
        if isinstance(seconds, (str, bytes)) or not isinstance(seconds, (list, tuple)):
            raise TypeError(f"{name}['snapshot_seconds'] must be a list of training times in seconds such as "
                            f"[60, 120], got {seconds!r}.")
        for value in seconds:
            check_number(value, name=f"{name}['snapshot_seconds'] entry", low=0.0)
    if cfg.get("guide_fraction") is not None:
        check_number(cfg["guide_fraction"], name=f"{name}['guide_fraction']", low=0.0, high=1.0, low_open=True,
                     high_open=True)
    return cfg


@checked(x=using(_training_rows), cfg=using(_config), net=instance(keras.Model, "diffusion.build_unet()"),
         pixel=flag(), verbose=count())
def train_diffusion(x: np.ndarray, cfg: dict, net: keras.Model, pixel: bool, verbose: int = 0):
    """Fit ``net`` on the rows of ``x`` (images or codes); returns (net with EMA weights, record, snapshots).

    With ``cfg["budget_seconds"]`` the run stops when the budget is spent or after
    ``cfg["max_steps"]`` steps (or ``cfg["epochs"]``), whichever comes first, and the
    learning-rate schedule follows the share of the run done, the larger of the time's
    and the steps' (a faster machine stops at the cap and trains the same model);
    without a budget, the schedule follows the steps of ``cfg["epochs"]`` (or the cap).
    """
    from .vae import warmup_cosine

    config.seed_everything(int(cfg["seed"]))
    trainer = DiffusionTrainer(net, cfg["parameterisation"], cfg["gamma"], cfg["ema"], pixel=pixel,
                               seed=int(cfg["seed"]))
    batches, per_call = shuffled_batches(x, batch_size=int(cfg["batch_size"]))
    epoch_steps = int(cfg["epochs"]) * math.ceil(len(x) / int(cfg["batch_size"]))
    max_steps = int(cfg["max_steps"]) if cfg.get("max_steps") is not None else None
    steps = min(epoch_steps, max_steps) if max_steps else epoch_steps
    budget = cfg.get("budget_seconds")
    progress = keras.Variable(0.0, trainable=False, name="budget_progress")
    schedule = (BudgetSchedule(cfg["learning_rate"], cfg.get("warmup_fraction", 0.0), progress) if budget
                else warmup_cosine(cfg, steps))
    trainer.compile(optimizer=keras.optimizers.Adam(schedule), jit_compile=bool(cfg.get("jit_compile")),
                    steps_per_execution=per_call)
    # The loss is logged about 50 times a run (every 2% of the time budget, or of the planned steps): enough
    # points for a curve on any machine. Logging does not change the model, so the cache key leaves it out.
    guide_at = cfg["guide_fraction"] * budget if budget and cfg.get("guide_fraction") else None
    at_seconds = sorted({float(v) for v in cfg.get("snapshot_seconds") or []} | ({guide_at} if guide_at else set()))
    clock = _Clock(trainer, budget, at_seconds, progress, log_every=1 if budget else max(1, steps // 50),
                   log_seconds=budget / 50 if budget else 0.0, max_steps=max_steps)
    start = clock.start = time.perf_counter()
    history = trainer.fit(batches, epochs=int(cfg["epochs"]), verbose=verbose, callbacks=[clock], shuffle=False)
    seconds = time.perf_counter() - start - clock.paused
    losses = [float(v) for v in history.history["loss"]]
    if not np.isfinite(losses[-1]):
        raise FloatingPointError(f"diffusion training diverged (final loss {losses[-1]}); lower "
                                 f"cfg['learning_rate'] (now {cfg['learning_rate']}).")
    for w, e in zip(net.trainable_weights, trainer.ema_weights):
        w.assign(e)
    done = int(ops.convert_to_numpy(trainer.optimizer.iterations))
    record = {"history": {"loss": losses, "loss_steps": [list(p) for p in clock.loss_steps]},
              "epoch_seconds": clock.epoch_seconds, "train_seconds": seconds,
              "train_images": int(len(x)), "steps": done, "images_seen": done * int(cfg["batch_size"]),
              "stopped_by": ("step cap" if max_steps and done >= max_steps else
                             "epochs" if done >= epoch_steps else "time limit"),
              "parameters": int(net.count_params()), "measured": time.strftime("%Y-%m-%d")}
    # where in the run each snapshot was taken (budget seconds: the share done times the budget), beside the clock's
    record["snapshot_points"] = sorted(clock.taken_at)
    if guide_at is not None:
        record["guide_seconds"] = clock.taken_at.get(guide_at)  # on the clock; None if the run ended before it
    return net, record, clock.taken


# --- the models behind the interface ---------------------------------------------------------------------
_TRACED: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def _traced(net: keras.Model):
    """The net's inference call as one traced function, shared by every model built on this net.

    ``with_steps`` makes new model objects; sharing the trace spares each of them the tracing.
    """
    import tensorflow as tf

    if net not in _TRACED:
        _TRACED[net] = tf.function(functools.partial(_forward, net), reduce_retracing=True)
    return _TRACED[net]


def _forward(net, inputs):
    return net(inputs, training=False)


class PixelDiffusion:
    """Pixel-space diffusion behind the series' interface; introduced in notebook 09.

    ``encode(x)`` runs DDIM inversion from the digits (scaled to [-1, 1]) to
    their noise x_T, (N, 784); ``decode(z)`` runs the sampler from x_T back to
    images in [0, 1]; ``sample(n)`` decodes fresh Gaussian noise. ``steps`` is
    the number of network passes per encode or decode. ``batch_size`` digits
    go through the U-Net at once: 250 decodes 2,000 codes in 14.7 s where 1,000
    took 17.7 s, and holds 0.35 GB less (peak 0.88 GB against 1.23; 20 steps,
    131 GFLOP/s).
    """

    @checked(net=using(_pixel_net), steps=STEPS, clip=flag(), batch_size=count(minimum=1),
             parameterisation=one_of(*PARAMETERISATIONS), name=instance(str, "'pixel diffusion'"),
             guide=using(_guide_net), guidance=number(0.0, MAX_GUIDANCE))
    def __init__(self, net: keras.Model, steps: int = 20, *, clip: bool = True, batch_size: int = 250,
                 parameterisation: str = "v", name: str = "pixel diffusion", guide: keras.Model | None = None,
                 guidance: float = 1.0):
        self.net = net
        self.steps = steps
        self.clip = clip
        self.batch_size = batch_size
        self.parameterisation = parameterisation
        self.name = name
        self.latent_dim = 784
        self.h_shape = tuple(int(d) for d in net.inputs[2].shape[1:])
        self._run = _traced(net)
        if guide is not None and tuple(guide.inputs[2].shape[1:]) != self.h_shape:
            raise ValueError(f"guide: a denoiser of bottleneck {tuple(guide.inputs[2].shape[1:])} cannot guide one of "
                             f"{self.h_shape}; pass a snapshot of the same architecture.")
        self.guide, self.guidance = guide, float(guidance)
        self._run_guide = None if guide is None else _traced(guide)

    @checked(steps=STEPS)
    def with_steps(self, steps: int) -> "PixelDiffusion":
        """The same network (and guide) with another number of sampler steps."""
        return PixelDiffusion(self.net, steps, clip=self.clip, batch_size=self.batch_size,
                              parameterisation=self.parameterisation, name=self.name, guide=self.guide,
                              guidance=self.guidance)

    @checked(guide=using(_guide_net), guidance=number(0.0, MAX_GUIDANCE), name=optional(instance(str, "'guided'")))
    def with_guidance(self, guide, guidance: float = GUIDANCE, name: str | None = None) -> "PixelDiffusion":
        """The same network guided by a weaker one: v = v_guide + guidance (v - v_guide) at every step.

        Autoguidance (Karras et al. 2024): where the model and a weaker version of it
        disagree, the weaker one is wrong in the same way, only more, so moving
        ``guidance`` times the difference away from it corrects the model's own
        errors. Every step costs two passes, one per net. ``guidance`` 1 is the model alone.
        """
        return PixelDiffusion(self.net, self.steps, clip=self.clip, batch_size=self.batch_size,
                              parameterisation=self.parameterisation, name=name or self.name, guide=guide,
                              guidance=guidance)

    def predictor(self, shift: np.ndarray | None = None, until: float = 0.0) -> Predictor:
        """The net as the sampler's ``predict(x_t, logsnr) -> v``; adds ``shift`` to h while logsnr <= that of ``until``."""
        edge = float(logsnr_schedule(until))
        if shift is not None:
            shift = numbers(ndim=1 + len(self.h_shape), what=f"bottleneck shifts (N, {', '.join(map(str, self.h_shape))})"
                            )(shift, "shift", {}).astype(np.float32)

        def predict(x, logsnr):
            x = numbers(what="pixel states (N, 28, 28)")(x, "x_t", {}).astype(np.float32)
            logsnr = check_number(logsnr, name="logsnr")
            if x.ndim != 3 or x.shape[1:] != (28, 28):
                raise ValueError(f"the pixel denoiser takes states of shape (N, 28, 28), got {x.shape}; "
                                 "reshape codes (N, 784) with z.reshape(-1, 28, 28).")
            n = len(x)
            inject = shift is not None and logsnr <= edge + 1e-9
            if inject and shift.shape != (n, *self.h_shape):
                raise ValueError(f"shift must hold one bottleneck shift per state, shape {(n, *self.h_shape)}, "
                                 f"got {shift.shape}.")
            s = shift if inject else np.zeros((n, *self.h_shape), np.float32)
            snr = np.full((n, 1), logsnr, np.float32)
            v = as_v(ops.convert_to_numpy(self._run([x, snr, s])[0]), x, logsnr, self.parameterisation)
            if self._run_guide is None or self.guidance == 1.0:
                return v
            # The guide gets no shift: a shift is measured in the model's own bottleneck.
            weak = as_v(ops.convert_to_numpy(self._run_guide([x, snr, np.zeros_like(s)])[0]), x, logsnr,
                        self.parameterisation)
            return weak + self.guidance * (v - weak)

        return predict

    @checked(x_t=using(_states), t=number(0.0, 1.0))
    def bottleneck(self, x_t, t: float = 1.0) -> np.ndarray:
        """h, the bottleneck activations of the denoiser at state x_t and time t: (N, *h_shape)."""
        out = []
        for i in range(0, len(x_t), self.batch_size):
            xb = np.asarray(x_t[i: i + self.batch_size], np.float32).reshape(-1, 28, 28)
            n = len(xb)
            _, h = self._run([xb, np.full((n, 1), float(logsnr_schedule(t)), np.float32),
                              np.zeros((n, *self.h_shape), np.float32)])
            out.append(ops.convert_to_numpy(h))
        return np.concatenate(out) if out else np.zeros((0, *self.h_shape), np.float32)

    @checked(x=images())
    def encode(self, x) -> np.ndarray:
        """DDIM inversion of images (N, 28, 28) in [0, 1] to their noise x_T, (N, 784)."""
        predict = self.predictor()
        out = [ddim_invert(predict, 2.0 * x[i: i + self.batch_size] - 1.0, self.steps)
               for i in range(0, len(x), self.batch_size)]
        return np.concatenate(out).reshape(-1, 784) if out else np.zeros((0, 784), np.float32)

    @checked(z=codes(784), shift=optional(using(_shifts, n=ref("z", len), shape=ref("self", lambda m: m.h_shape))),
             until=number(0.0, 1.0))
    def decode(self, z, *, shift: np.ndarray | None = None, until: float = 0.0) -> np.ndarray:
        """The sampler from noise codes (N, 784) to images (N, 28, 28) in [0, 1]."""
        out = []
        for i in range(0, len(z), self.batch_size):
            part = None if shift is None else shift[i: i + self.batch_size]
            x = ddim_sample(self.predictor(part, until), z[i: i + self.batch_size].reshape(-1, 28, 28),
                            self.steps, clip=1.0 if self.clip else None)
            out.append(np.clip((x + 1.0) / 2.0, 0.0, 1.0))
        return np.concatenate(out) if out else np.zeros((0, 28, 28), np.float32)

    @checked(n=count(minimum=1), seed=seed())
    def sample(self, n: int, seed: int | None = None) -> np.ndarray:
        """n digits decoded from fresh noise N(0, I)."""
        check_memory(4.0 * n * 784 * 3, name="n", what=f"{n:,} samples")
        z = random_generator(seed).standard_normal((n, 784)).astype(np.float32)
        return self.decode(z)


class HSpaceDiffusion:
    """The pixel model's h-space (Kwon et al. 2023, simplified), behind the series' interface.

    The code of a digit is [x_T, h]: its inverted noise (784 numbers) and
    the U-Net's bottleneck activations at that noise and t = 1 (``h_dim``
    numbers). Decoding runs the sampler from x_T and, while t >= ``until``,
    adds Delta h = h_code - h(x_T) to the bottleneck at every step, the same
    shift at every step, as Kwon et al. do. An unchanged code has Delta h = 0
    and decodes exactly like the pixel model.

    Why the noise is part of the code: h alone does not determine an image
    (the sampler needs a starting noise, and h is computed from it), so a
    code of h only could not be decoded without remembering each digit's
    noise, which the stateless interface does not allow. So a class vector
    z_a - z_b computed from centroids moves the noise part too;
    :func:`h_only_vectors` gives the space whose class vectors move h alone.
    """

    @checked(pixel=instance(PixelDiffusion, "diffusion.pretrained_pixel_diffusion()[0]"), until=number(0.0, 1.0))
    def __init__(self, pixel: PixelDiffusion, until: float = 0.5):
        self.pixel = pixel
        self.until = until
        self.h_dim = int(np.prod(pixel.h_shape))
        self.latent_dim = 784 + self.h_dim
        self.name = "h-space"

    @checked(x=images())
    def encode(self, x) -> np.ndarray:
        x_T = self.pixel.encode(x)
        return np.concatenate([x_T, self.pixel.bottleneck(x_T, 1.0).reshape(len(x_T), self.h_dim)], axis=1)

    @checked(z=codes(ref("self", lambda m: m.latent_dim)))
    def decode(self, z) -> np.ndarray:
        x_T = z[:, :784]
        shift = z[:, 784:].reshape(-1, *self.pixel.h_shape) - self.pixel.bottleneck(x_T, 1.0)
        return self.pixel.decode(x_T, shift=shift, until=self.until)

    @checked(n=count(minimum=1), seed=seed())
    def sample(self, n: int, seed: int | None = None) -> np.ndarray:
        return self.pixel.sample(n, seed)


@checked(space=using(_h_space))
def h_only_vectors(space):
    """``space`` (a LatentSpace of an :class:`HSpaceDiffusion`) with every centroid's noise part set to their mean.

    Class vectors z_a - z_b of the returned space then move h alone, as in Kwon
    et al.; the codes and the decoder are shared with ``space``.
    """
    import copy

    out = copy.copy(space)
    out.centroids = space.centroids.copy()
    out.centroids[:, :784] = space.centroids[:, :784].mean(axis=0)
    out.name = f"{space.name} (h only)"
    return out


class LatentDiffusion:
    """Diffusion on the VAE-20d's codes, decoded by the VAE's decoder (Rombach et al. 2022 in miniature).

    Introduced in notebook 09. ``encode(x)``: the VAE's mean code, standardised
    with the training codes' mean and SD, inverted by DDIM to its 20-d noise.
    ``decode(z)``: the sampler back to a code, then the VAE's decoder.
    """

    @checked(net=using(_latent_net), vae=using(_vae),
             code_mean=using(_per_code_entry, dim=ref("vae", lambda v: int(v.latent_dim))),
             code_std=using(_per_code_entry, dim=ref("vae", lambda v: int(v.latent_dim)), positive=True),
             steps=STEPS, parameterisation=one_of(*PARAMETERISATIONS),
             name=instance(str, "'latent diffusion'"))
    def __init__(self, net: keras.Model, vae, code_mean, code_std, steps: int = 20, *,
                 parameterisation: str = "v", name: str = "latent diffusion"):
        if int(net.inputs[0].shape[-1]) != int(vae.latent_dim):
            raise ValueError(f"net denoises codes of {net.inputs[0].shape[-1]} numbers but the VAE's codes have "
                             f"{vae.latent_dim}; build it with diffusion.build_mlp(dim={vae.latent_dim}).")
        self.net = net
        self.vae = vae
        self.latent_dim = int(vae.latent_dim)
        self.code_mean, self.code_std = code_mean, code_std
        self.steps = steps
        self.parameterisation = parameterisation
        self.name = name
        self._run = _traced(net)

    @checked(steps=STEPS)
    def with_steps(self, steps: int) -> "LatentDiffusion":
        return LatentDiffusion(self.net, self.vae, self.code_mean, self.code_std, steps,
                               parameterisation=self.parameterisation, name=self.name)

    def predict(self, z, logsnr):
        """The denoiser as the sampler reads it: v at (z, logsnr)."""
        z = numbers(what=f"latent states (N, {self.latent_dim})")(z, "z_t", {}).astype(np.float32)
        logsnr = check_number(logsnr, name="logsnr")
        if z.ndim != 2 or z.shape[1] != self.latent_dim:
            raise ValueError(f"the latent denoiser takes states of shape (N, {self.latent_dim}), got {z.shape}.")
        out = ops.convert_to_numpy(self._run([z, np.full((len(z), 1), logsnr, np.float32)]))
        return as_v(out, z, logsnr, self.parameterisation)

    @checked(x=images())
    def encode(self, x) -> np.ndarray:
        codes = (self.vae.encode(x) - self.code_mean) / self.code_std
        return ddim_invert(self.predict, codes, self.steps)

    @checked(z=codes(ref("self", lambda m: m.latent_dim)))
    def decode(self, z) -> np.ndarray:
        codes = ddim_sample(self.predict, z, self.steps) * self.code_std + self.code_mean
        return self.vae.decode(codes)

    @checked(n=count(minimum=1), seed=seed())
    def sample(self, n: int, seed: int | None = None) -> np.ndarray:
        check_memory(4.0 * n * (self.latent_dim + 2 * 784), name="n", what=f"{n:,} samples")
        return self.decode(random_generator(seed).standard_normal((n, self.latent_dim)).astype(np.float32))


# --- the cache --------------------------------------------------------------------------------------------
def _snapshot_path(name: str):
    return cache.artifact_path(f"{name}-snapshots", ".npz")


@checked(data=optional(using(as_dataset)), cfg=optional(using(_config)), steps=STEPS, retrain=flag(),
         name=instance(str, "'diffusion-pixel'"), verbose=count())
def pretrained_pixel_diffusion(data: Dataset | None = None, *, cfg: dict | None = None, steps: int = 20,
                               retrain: bool = False, name: str = "diffusion-pixel", verbose: int = 0
                               ) -> tuple[PixelDiffusion, dict]:
    """The pixel diffusion model of notebook 09: cached (keyed on config, mode and data), else trained.

    Returns the model (with ``steps`` sampler steps) and its training record.
    EMA weights at ``cfg["snapshot_seconds"]`` of training are cached beside it
    (:func:`training_snapshots`).
    """
    cfg = pixel_config() if cfg is None else cfg
    data = load_mnist() if data is None else data
    x = data.x_train[: cfg["train_images"]]
    key = cache.data_fingerprint(x)
    snapshots = _snapshot_path(name)

    def train():
        net = build_unet(cfg["widths"], cfg["patch"], cfg["embedding"], cfg["blocks"])
        net, record, taken = train_diffusion(x, cfg, net, pixel=True, verbose=verbose)
        arrays = {f"s{i}_w{j}": w for i, (_, ws) in enumerate(taken) for j, w in enumerate(ws)}
        cache.save_arrays(snapshots, seconds=np.array([s for s, _ in taken], np.float64), **arrays)
        return net, dict(record, snapshots=len(taken))

    net, record, _ = cache.cached_model(name, cfg, train, data_key=key, companions={"snapshots": snapshots},
                                        retrain=retrain, verbose=bool(verbose) or True)
    return PixelDiffusion(net, steps, parameterisation=cfg["parameterisation"]), record


@checked(model=instance(PixelDiffusion, "diffusion.pretrained_pixel_diffusion()[0]"),
         record=instance(dict, "diffusion.pretrained_pixel_diffusion()[1]"), name=instance(str, "'diffusion-pixel'"))
def training_snapshots(model: PixelDiffusion, record: dict, name: str = "diffusion-pixel"
                       ) -> list[tuple[float, PixelDiffusion]]:
    """(training seconds, model with the EMA weights of then) for every snapshot taken while training."""
    loaded = cache.load_arrays(_snapshot_path(name), ("seconds",))
    if loaded is None:
        return []
    out = []
    count = len(model.net.trainable_weights)
    with np.load(_snapshot_path(name)) as npz:
        for i, seconds in enumerate(loaded["seconds"]):
            net = keras.models.clone_model(model.net)
            net.set_weights(model.net.get_weights())
            if f"s{i}_w{count - 1}" not in npz.files:
                return []  # written by another architecture: no snapshots to show
            for j, w in enumerate(net.trainable_weights):
                w.assign(npz[f"s{i}_w{j}"])
            out.append((float(seconds), PixelDiffusion(net, model.steps, parameterisation=model.parameterisation)))
    return out


@checked(model=instance(PixelDiffusion, "diffusion.pretrained_pixel_diffusion()[0]"),
         record=instance(dict, "diffusion.pretrained_pixel_diffusion()[1]"), guidance=number(0.0, MAX_GUIDANCE),
         name=instance(str, "'diffusion-pixel'"))
def autoguided(model: PixelDiffusion, record: dict, guidance: float = GUIDANCE, name: str = "diffusion-pixel"
               ) -> PixelDiffusion:
    """The model guided by its own EMA weights from early in training (``cfg["guide_fraction"]`` of the budget).

    Autoguidance (Karras et al. 2024) with the guide the same network trained for a
    fifth of the time: no second model to train, only the snapshot kept on the way.
    """
    at = record.get("guide_seconds")
    guide = next((snap for seconds, snap in training_snapshots(model, record, name) if seconds == at), None)
    if guide is None:
        raise ValueError("record: this model kept no guide while training (trained without a time budget or with "
                         "guide_fraction=None); pass a weaker denoiser to model.with_guidance(guide, guidance).")
    return model.with_guidance(guide, guidance, name=f"{model.name}, autoguided")


@checked(data=optional(using(as_dataset)), cfg=optional(using(_config)), steps=STEPS, retrain=flag(),
         name=instance(str, "'diffusion-latent'"), verbose=count())
def pretrained_latent_diffusion(data: Dataset | None = None, *, cfg: dict | None = None, steps: int = 20,
                                retrain: bool = False, name: str = "diffusion-latent", verbose: int = 0
                                ) -> tuple[LatentDiffusion, dict]:
    """Latent diffusion on the cached VAE-20d (vae.pretrained_vae(20, data)): cached, else trained.

    Keyed on the configuration, the mode, the training images and the VAE
    file it was trained on (its SHA-256), so a retrained VAE means a retrained prior.
    """
    from . import vae as vae_module

    cfg = latent_config() if cfg is None else cfg
    data = load_mnist() if data is None else data
    vae, vae_record = vae_module.pretrained_vae(20, data, verbose=0)
    x = data.x_train[: cfg["train_images"]]
    key = cache.data_fingerprint(x) + "-vae-" + str(vae_record.get("model_sha256", ""))[:16]
    codes = vae.encode(x)
    mean, std = codes.mean(axis=0), codes.std(axis=0) + 1e-6

    def train():
        net = build_mlp(vae.latent_dim, cfg["width"], cfg["depth"], cfg["embedding"])
        net, record, _ = train_diffusion(((codes - mean) / std).astype(np.float32), cfg, net, pixel=False,
                                         verbose=verbose)
        return net, dict(record, code_mean=mean.tolist(), code_std=std.tolist())

    net, record, _ = cache.cached_model(name, cfg, train, data_key=key, retrain=retrain)
    return LatentDiffusion(net, vae, record["code_mean"], record["code_std"], steps,
                           parameterisation=cfg["parameterisation"]), record


# --- measurements for notebook 09 -------------------------------------------------------------------------
#: The share of samples the judge names with probability above this counts as "confident digits".
CONFIDENT = 0.9


@checked(model=model(), judge=instance(KerasJudge, "judges.cnn_judge()[0]"),
         real_features=numbers(ndim=2, what="the judge's features of real digits, judge.features(x_test)"),
         n=count(minimum=2), seed=seed())
def sample_quality(model, judge, real_features: np.ndarray, n: int, seed: int = 0) -> dict[str, float]:
    """n samples of ``model``: the judge's share of confident digits, the Frechet distance in its features, seconds."""
    start = time.perf_counter()
    samples = check_images(model.sample(n, seed=seed), name=f"{type(model).__name__}.sample")
    seconds = time.perf_counter() - start
    probs = judge.predict_proba(samples)
    return {"confident": float(np.mean(probs.max(axis=1) > CONFIDENT)),
            "frechet": frechet_distance(judge.features(samples), real_features), "seconds": seconds}


@checked(model=model(), x=using(_some_images))
def reconstruction_error(model, x) -> float:
    """Mean squared error per pixel of decode(encode(x)) against x (pixels in [0, 1])."""
    return float(np.mean((model.decode(model.encode(x)) - x) ** 2))


@checked(result=instance(TransferResult, "a value of scoring.class_transfer(...)"), alpha=number())
def success_with_error(result, alpha: float = 1.0) -> tuple[float, float]:
    """Transfer success at ``alpha`` over the ordered pairs and its standard error.

    Each pair's success is a share of its n digits, with binomial variance
    p (1 - p) / n; the rate averages the pairs, so its variance is the mean of
    theirs divided by the number of pairs.
    """
    m = result.success_matrix(alpha)
    p = m[np.isfinite(m)]
    se = math.sqrt(float(np.mean(p * (1 - p) / result.per_pair)) / len(p))
    return float(p.mean()), se


# --- what was tried, measured (python -m benchmarks --only diffusion repeats the final choices) -------------------
#: Latent diffusion on the VAE-20d's codes, each row trained for 45-50 s on this 2-core CPU while other jobs
#: shared it (float32 matmul rate measured at 76.6 GFLOP/s in the same locked run, against about 400 alone);
#: Frechet distance of 2,000 samples (20 steps) to 2,000 test digits in the CNN judge's features. The floor is
#: the VAE's own reconstructions of 2,000 training digits: 8.89; its N(0, I) prior samples: 24.9.
LATENT_DESIGN = [
    {"tried": "MLP 512 x 4, batch 512, v-prediction, min-SNR-5", "training steps": 295, "Fréchet distance": 21.1},
    {"tried": "MLP 512 x 3, batch 2048", "training steps": 120, "Fréchet distance": 23.7},
    {"tried": "MLP 256 x 3, batch 1024 (chosen)", "training steps": 413, "Fréchet distance": 12.3},
    {"tried": "the same, without min-SNR weighting", "training steps": 354, "Fréchet distance": 15.7},
    {"tried": "the same, predicting eps instead of v", "training steps": 531, "Fréchet distance": 84.4},
]


@checked(space=instance(LatentSpace, "latent.LatentSpace(model, x_train, y_train)"))
def class_layout(space) -> dict[str, float]:
    """Separation / spread of a LatentSpace's classes, from its training codes (notebook 06's measure, cheap form).

    ``spread``: root-mean-square distance of a code to its class centroid; ``separation``: mean distance
    between two centroids. Below 1, a digit sits farther from its own centroid than the centroids sit
    from each other, and adding a centroid difference barely changes which class a code is nearest.
    (``scoring.class_geometry`` also compares the classes' covariances, which in 3,920 dimensions costs
    minutes; the ratio needs none of that.)
    """
    codes, labels, c = space.train_codes.astype(np.float64), space.train_labels, space.centroids.astype(np.float64)
    spread = float(np.sqrt(np.mean(np.sum((codes - c[labels]) ** 2, axis=1))))
    off = ~np.eye(len(c), dtype=bool)
    separation = float(np.linalg.norm(c[:, None] - c[None], axis=-1)[off].mean())
    nearest = np.argmin(((codes[:, None, :] - c[None]) ** 2).sum(-1) if codes.shape[1] <= 1000
                        else np.stack([np.sum((codes - ci) ** 2, axis=1) for ci in c], axis=1), axis=1)
    return {"spread": spread, "separation": separation, "separation / spread": separation / spread,
            "nearest centroid (training codes)": float(np.mean(nearest == labels))}


#: The pixel model: each row trained on this 2-core CPU while other jobs shared it (float32 matmul rate 65-110
#: GFLOP/s in those locked runs, against about 400 alone), then 1,000 samples (20 steps) against 1,000 test digits
#: in the CNN judge's features. The first row is issue 21's report of a textbook attempt (a 189 GFLOP/s machine).
#: Not in the table: jit_compile on or off made no difference to the U-Net (449 against 437 images/s), batches of
#: 512 were slower per image than 256 (240 against 449 images/s), and a peak learning rate of 4e-3 diverged.
PIXEL_DESIGN = [
    {"tried": "textbook U-Net: 28 x 28, eps-prediction, batch 128 (issue 21)", "images/s": 200, "optimizer steps": 375,
     "trained (s)": 240, "Fréchet distance": 117},
    {"tried": "2 x 2 patches, levels 14 x 14 and 7 x 7; v-prediction, min-SNR-5; batch 256, EMA 0.999",
     "images/s": 440, "optimizer steps": 129, "trained (s)": 88, "Fréchet distance": 300},
    {"tried": "the same with the EMA warming up, (1 + n) / (10 + n)", "images/s": 426, "optimizer steps": 124,
     "trained (s)": 90, "Fréchet distance": 178},
    {"tried": "dense layers instead of convolutions (10M parameters, half the FLOPs)", "images/s": 717,
     "optimizer steps": 209, "trained (s)": 72, "Fréchet distance": 256},
    {"tried": "U-Net, batch 64", "images/s": 322, "optimizer steps": 504, "trained (s)": 100, "Fréchet distance": 129},
    {"tried": "U-Net, batch 32, peak learning rate 1e-3 (chosen)", "images/s": 304, "optimizer steps": 975,
     "trained (s)": 100, "Fréchet distance": 110},
]
