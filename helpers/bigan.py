"""The BiGAN of notebook 04: a GAN that also learns to encode.

A plain GAN learns a generator G(z) and a discriminator D(x). A BiGAN
(Donahue et al. 2016, "Adversarial Feature Learning"; the same idea as ALI,
Dumoulin et al. 2016) adds an encoder E(x) and lets the discriminator see
*pairs*: D(x, z) tells real pairs (x, E(x)) from generated pairs (G(z), z).
The only way for G and E to fool it is to make the two joint distributions
equal, and at that optimum E and G invert each other.

``cycle_x_weight`` / ``cycle_z_weight`` optionally add the ALICE-style
cycle-consistency terms (Li et al. 2017) mean|x - G(E(x))| and
mean (z - E(G(z)))^2 to the generator/encoder loss. Both 0 is the pure
BiGAN objective; notebook 04 trains both and reports both.

The model implements the shared interface (helpers.interface): ``latent_dim``,
``encode``, ``decode``, ``sample``; it is a registered Keras serialisable so
``keras.saving.load_model(path, safe_mode=True)`` restores it, and
:func:`pretrained_bigan` caches it with :func:`helpers.cache.cached_model`.
"""

from __future__ import annotations

import math
import time
from typing import Any

import keras
import numpy as np
import tensorflow as tf
from keras import layers, ops

from . import cache, config
from . import checks as ck
from .checks import checked, ref
from .data import Dataset, as_dataset, check_memory, load_mnist, shuffled_batches

#: Cache stem of the final model, and of the pure-BiGAN comparison model.
NAME = "bigan"
PURE_NAME = "bigan-pure"

#: Architecture of the final model (constructor arguments of :class:`BiGAN`).
#: Why these, from short full-data exploration runs (3-5 epochs) on a shared 2-core CPU:
#: 256-unit MLPs ran 2-3x faster than 512-unit ones; without batch norm in G and with
#: dropout 0.2 in D, D won outright and G collapsed to two classes (with or without a weak
#: cycle term); batch norm in G plus dropout 0.5 in D kept all ten classes. Annealed
#: instance noise on D's input did not clearly help the codes. The pure objective's
#: codes and reconstructions stayed far below the goals, so the final model adds the
#: cycle terms (x weight 50 on the mean absolute pixel error, z weight 1); the z term
#: mainly raised the share of reconstructions that keep their class.
ARCHITECTURE: dict[str, Any] = dict(
    latent_dim=32,
    g_hidden=(256, 256),
    e_hidden=(256, 256),
    d_hidden=(256, 256),
    g_batchnorm=True,
    d_dropout=0.5,
    label_smoothing=0.1,
    instance_noise=0.0,
    cycle_x_weight=50.0,
    cycle_z_weight=1.0,
)
#: Optimiser and batch settings (Adam with beta1 = 0.5, as in DCGAN and the paper).
TRAINING: dict[str, Any] = dict(batch_size=128, learning_rate=2e-4, beta_1=0.5)

#: How many fixed-noise samples are kept per epoch, and how many are judged.
SNAPSHOT_SAMPLES = 10
JUDGED_SAMPLES = 1000
#: A class counts as "found" when at least this share of judged samples gets it.
MIN_CLASS_SHARE = 0.01


# --- argument specs of this module (helpers.checks): what each function may be given ----------------------
def _hidden(hidden, *, name, latent_dim, what: str = "hidden", at_least: int = 0) -> tuple[int, ...]:
    """Layer widths (positive integers) of a network that fits in memory beside codes of ``latent_dim``."""
    if isinstance(hidden, (str, bytes)) or not isinstance(hidden, (list, tuple)):
        raise TypeError(f"{what} must be a list of layer widths such as (256, 256), got {hidden!r}.")
    hidden = tuple(ck.check_count(u, name=f"{what} entry", minimum=1) for u in hidden)
    widths = [784 + latent_dim, *hidden, 784 + latent_dim]
    check_memory(4.0 * 4 * sum(a * b for a, b in zip(widths[:-1], widths[1:])), name="latent_dim and hidden",
                 what="a network of these sizes")
    if len(hidden) < at_least:
        raise ValueError(f"{what} needs at least one layer size" + (" for the discriminator." if what == "hidden"
                                                                       else "."))
    return hidden


def _fraction(value, *, name, upper: float):
    """A number in [0, upper), or a clear error naming ``name``."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)) \
            or not 0.0 <= value < upper:
        raise ValueError(f"{name} must be in [0, {upper:g}), got {value!r}.")
    return value


def _positive_int(value, *, name):
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} must be a positive int, got {value!r}.")
    return ck.check_count(value, name=name, minimum=1)  # a Python int: np.uint8(3) + 784 would overflow


def _weight(value, *, name):
    """0 (off) or a positive number (not a bool: False is no weight)."""
    value = ck.check_number(value, name=name)
    if value != 0:
        ck.check_positive(value, name=name)
    return value


def _net_hidden(key: str, at_least: int = 0):
    return ck.using(_hidden, latent_dim=ref("latent_dim"), what=key, at_least=at_least)


def _prior_count(n, *, name, latent_dim):
    if isinstance(n, (bool, np.bool_)) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"n must be a positive int, got {n!r}.")
    n = ck.check_count(n, name=name, minimum=1)
    check_memory(4.0 * n * (latent_dim + 2 * 784), name="n", what=f"{n:,} samples")
    return n


def _latent_dim(model):
    return model.latent_dim


def _generated(images, name, args):
    """decode's result: finite pixels (huge codes can overflow the generator)."""
    if not np.all(np.isfinite(images)):
        raise ValueError(f"decode: codes as large as {np.abs(args['z']).max():.3g} overflow the generator; "
                         "pass codes of ordinary size (the prior N(0, I) puts almost all within a few units of 0).")
    return images


def _judge(judge, *, name):
    """A fitted scikit-learn classifier (predict_proba and classes_) or a helpers.judges Judge (predict)."""
    ck.check_fitted_instance(judge, name=name, example="judges.lr_judge()")
    if not ((callable(getattr(judge, "predict_proba", None)) and hasattr(judge, "classes_"))
            or callable(getattr(judge, "predict", None))):
        raise TypeError(f"judge must be a fitted classifier (predict_proba and classes_) or a helpers.judges Judge, "
                        f"got {type(judge).__name__}.")
    if callable(getattr(judge, "predict_proba", None)) and hasattr(judge, "classes_"):  # labelled by classes_[argmax]
        ck.check_digit_classifier(judge, name=name)
    return judge


def _class_counts(counts, *, name):
    counts = ck.check_numbers(counts, name=name, ndim=1, what="class counts (n_classes,)")
    if np.any(counts < 0) or np.any(counts != np.round(counts)):
        raise ValueError(f"counts must be non-negative whole numbers (from class_counts), got {counts.tolist()}.")
    return counts


def _count_of_classes(n_classes, *, name):
    n_classes = ck.check_count(n_classes, name=name, minimum=1)
    check_memory(8.0 * n_classes, name="n_classes", what=f"{n_classes:,} class counts")
    return n_classes


def _knn_codes(codes, *, name, like=None):
    """Codes (N, d), or images (N, 28, 28) read as 784-d codes, as float32 (N, d); the same d as ``like``."""
    codes = ck.check_numbers(codes, name=name, finite=False, what="codes (N, d) or images")
    if codes.ndim < 2 or len(codes) == 0:
        raise ValueError(f"{name}: expected a non-empty (N, d) array of codes (or images), got shape {codes.shape}.")
    if not np.all(np.isfinite(codes)):
        raise ValueError(f"{name}: contains NaN or infinite values.")
    codes = codes.reshape(len(codes), -1)
    # The distances are float32 sums of squares: codes of 1e19 overflowed them (test codes equal to the
    # training codes scored 0.27), codes below 1e-18 vanished in them. One common scale does not change
    # which neighbour is nearest, so the fix is the caller's: scale both sets of codes.
    top = max(float(codes.max()), -float(codes.min())) if codes.size else 0.0
    if top * top * codes.shape[1] > 1e37 or 0 < top < 1e-18:
        raise ValueError(f"{name}: codes as large as {top:.3g} would {'overflow' if top > 1 else 'underflow'} the "
                         "float32 distances; divide train and test codes by one common scale (the nearest "
                         "neighbours do not change), e.g. by np.abs(train_codes).max().")
    codes = codes.astype(np.float32)
    if like is not None and like.shape[1] != codes.shape[1]:
        raise ValueError(f"code sizes differ: train {like.shape}, test {codes.shape}.")
    return codes


def _known_settings(overrides, *, name):
    for k in overrides:
        if not (k in ARCHITECTURE or k in TRAINING or k in ("epochs", "seed")):
            known = sorted([*ARCHITECTURE, *TRAINING, "epochs", "seed"])
            raise TypeError(f"unknown BiGAN setting {k!r}; known settings: {known}.")
    return overrides


def _check_training(train: dict[str, Any], prefix: str) -> None:
    """The BiGAN's training settings, each named as ``prefix['key']`` (or plainly) when wrong."""
    def name(key):
        return f"{prefix}['{key}']" if prefix else key

    for key in ("batch_size", "epochs"):
        ck.check_count(train[key], name=name(key), minimum=1)
    ck.check_count(train["seed"], name=name("seed"))
    ck.check_positive(train["learning_rate"], name=name("learning_rate"))
    _fraction(train["beta_1"], name=name("beta_1"), upper=1.0)


def _check_architecture(arch: dict[str, Any], prefix: str) -> None:
    """The BiGAN's architecture settings, through the checks of :class:`BiGAN`'s constructor (the same names)."""
    checked_ = dict(arch)
    for key, spec in BiGAN.__init__.checks.items():
        if key in checked_:
            checked_[key] = spec(checked_[key], f"{prefix}['{key}']" if prefix else key, checked_)


def _sensible_training(cfg, name, args):
    """model_config's result: the overridden settings must make sense (g_batchnorm='no' would have meant True)."""
    _check_architecture(cfg["architecture"], "")
    _check_training(cfg["training"], "")
    return cfg


def _bigan_config(cfg, *, name):
    """A complete BiGAN configuration (None: the default ``model_config()``)."""
    cfg = model_config() if cfg is None else cfg
    cfg = ck.check_settings(cfg, ("architecture", "training"), name=name, example="bigan.model_config()")
    arch = ck.check_settings(cfg["architecture"], ARCHITECTURE, name="cfg['architecture']",
                             example="bigan.model_config()")
    train = ck.check_settings(cfg["training"], (*TRAINING, "epochs", "seed"), name="cfg['training']",
                              example="bigan.model_config()")
    unknown = sorted(set(arch) - set(ARCHITECTURE))
    if unknown:
        raise ValueError(f"cfg['architecture']: unknown settings {unknown}; known: {sorted(ARCHITECTURE)}.")
    _check_architecture(arch, "cfg['architecture']")
    _check_training(train, "cfg['training']")
    return dict(cfg, architecture=arch, training=train)


def _training_images(x_train, *, name):
    """Training images (a whole data set gives its training split), at least one."""
    if isinstance(x_train, Dataset) or (isinstance(x_train, tuple) and len(x_train) == 2):
        x_train = as_dataset(x_train, name=name).x_train  # a whole data set: train on its training images
    x_train = ck.check_images(x_train, name=name)
    if len(x_train) == 0:
        raise ValueError("x_train: no images to train on; pass at least one batch of images.")
    return x_train


def _mlp(inputs, hidden, name, activation_out=None, units_out=None, dropout=0.0, batchnorm=False):
    h = inputs
    for i, units in enumerate(hidden):
        h = layers.Dense(units, use_bias=not batchnorm, name=f"{name}_dense{i}")(h)
        if batchnorm:
            h = layers.BatchNormalization(name=f"{name}_bn{i}")(h)
        h = layers.LeakyReLU(0.2, name=f"{name}_lrelu{i}")(h)
        if dropout:
            h = layers.Dropout(dropout, name=f"{name}_drop{i}")(h)
    if units_out is not None:
        h = layers.Dense(units_out, activation=activation_out, name=f"{name}_out")(h)
    return h


@checked(latent_dim=ck.count(minimum=1), hidden=_net_hidden("hidden"), batchnorm=ck.flag())
def build_generator(latent_dim: int, hidden=(256, 256), batchnorm: bool = True) -> keras.Model:
    """G: z (latent_dim) -> image (28, 28) in [0, 1] (sigmoid, matching the data)."""
    z = keras.Input((latent_dim,), name="z")
    h = _mlp(z, hidden, "g", activation_out="sigmoid", units_out=28 * 28, batchnorm=batchnorm)
    x = layers.Reshape((28, 28), name="g_image")(h)
    return keras.Model(z, x, name="generator")


@checked(latent_dim=ck.count(minimum=1), hidden=_net_hidden("hidden"))
def build_encoder(latent_dim: int, hidden=(256, 256)) -> keras.Model:
    """E: image (28, 28) -> code (latent_dim), linear output (the prior is N(0, I))."""
    x = keras.Input((28, 28), name="x")
    h = layers.Flatten(name="e_flat")(x)
    z = _mlp(h, hidden, "e", units_out=latent_dim)
    return keras.Model(x, z, name="encoder")


@checked(latent_dim=ck.count(minimum=1), hidden=_net_hidden("hidden", at_least=1),
         dropout=ck.using(_fraction, upper=1.0))
def build_discriminator(latent_dim: int, hidden=(256, 256), dropout: float = 0.5) -> keras.Model:
    """D: (image, code) -> one logit. Each input gets its own first layer, then a joint MLP."""
    x = keras.Input((28, 28), name="x")
    z = keras.Input((latent_dim,), name="z")
    hx = layers.Flatten(name="d_flat")(x)
    hx = _mlp(hx, hidden[:1], "dx", dropout=dropout)
    hz = _mlp(z, hidden[:1], "dz", dropout=dropout)
    h = layers.Concatenate(name="d_joint")([hx, hz])
    logit = _mlp(h, hidden[1:], "dxz", units_out=1, dropout=dropout)
    return keras.Model([x, z], logit, name="discriminator")


def _bce_with_logits(target: float, logits):
    """Mean binary cross-entropy against a constant target, computed stably from logits."""
    return ops.mean(target * ops.softplus(-logits) + (1.0 - target) * ops.softplus(logits))


@keras.saving.register_keras_serializable(package="tutorial")
class BiGAN(keras.Model):
    """Generator G, encoder E and pair discriminator D trained by one ``train_step``.

    D and (G, E) have their own optimisers (:meth:`compile`); each step computes
    one forward pass and updates D and (G, E) simultaneously from it. Sizes are
    constructor arguments so tests can build a tiny model.
    """

    @checked(latent_dim=ck.using(_positive_int), g_hidden=_net_hidden("g_hidden"), e_hidden=_net_hidden("e_hidden"),
             d_hidden=_net_hidden("d_hidden", at_least=1), label_smoothing=ck.using(_fraction, upper=0.5),
             d_dropout=ck.using(_fraction, upper=1.0), instance_noise=ck.using(_weight),
             cycle_x_weight=ck.using(_weight), cycle_z_weight=ck.using(_weight), g_batchnorm=ck.flag())
    def __init__(
        self,
        latent_dim: int = 32,
        g_hidden=(256, 256),
        e_hidden=(256, 256),
        d_hidden=(256, 256),
        g_batchnorm: bool = True,
        d_dropout: float = 0.5,
        label_smoothing: float = 0.1,
        instance_noise: float = 0.0,
        cycle_x_weight: float = 0.0,
        cycle_z_weight: float = 0.0,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.latent_dim = int(latent_dim)
        self.g_hidden = tuple(int(u) for u in g_hidden)
        self.e_hidden = tuple(int(u) for u in e_hidden)
        self.d_hidden = tuple(int(u) for u in d_hidden)
        self.g_batchnorm = bool(g_batchnorm)
        self.d_dropout = float(d_dropout)
        self.label_smoothing = float(label_smoothing)
        self.instance_noise = float(instance_noise)
        self.cycle_x_weight = float(cycle_x_weight)
        self.cycle_z_weight = float(cycle_z_weight)
        self.generator = build_generator(self.latent_dim, self.g_hidden, self.g_batchnorm)
        self.encoder = build_encoder(self.latent_dim, self.e_hidden)
        self.discriminator = build_discriminator(self.latent_dim, self.d_hidden, self.d_dropout)
        # Std of the Gaussian "instance noise" added to D's image input; annealed to 0.
        self.noise_std = keras.Variable(self.instance_noise, trainable=False, name="noise_std", dtype="float32")
        self.seed_generator = keras.random.SeedGenerator()
        self.trackers = {
            k: keras.metrics.Mean(name=k)
            for k in ("d_loss", "ge_loss", "d_real", "d_fake", "recon_x", "recon_z")
        }
        self.built = True

    # --- serialisation ------------------------------------------------------------
    def get_config(self) -> dict[str, Any]:
        base = super().get_config()
        base.update(
            latent_dim=self.latent_dim, g_hidden=list(self.g_hidden), e_hidden=list(self.e_hidden),
            d_hidden=list(self.d_hidden), g_batchnorm=self.g_batchnorm, d_dropout=self.d_dropout,
            label_smoothing=self.label_smoothing, instance_noise=self.instance_noise,
            cycle_x_weight=self.cycle_x_weight,
            cycle_z_weight=self.cycle_z_weight,
        )
        return base

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> "BiGAN":
        config = dict(config)
        config.pop("trainable", None)
        config.pop("dtype", None)
        return cls(**config)

    # --- training -------------------------------------------------------------------
    def compile(self, d_optimizer=None, ge_optimizer=None, jit_compile=False, **kwargs):
        """Separate Adam optimisers for D and for (G, E) (defaults: lr 2e-4, beta1 0.5).

        XLA is off by default: on a laptop CPU it made these small MLPs about 1.8x slower.
        """
        super().compile(jit_compile=jit_compile, **kwargs)
        self.d_optimizer = d_optimizer or keras.optimizers.Adam(2e-4, beta_1=0.5)
        self.ge_optimizer = ge_optimizer or keras.optimizers.Adam(2e-4, beta_1=0.5)

    def get_compile_config(self) -> dict[str, Any]:
        """The two optimisers' settings, so ``load_model(..., compile=True)`` can rebuild them."""
        if not hasattr(self, "d_optimizer"):
            return {}
        return {
            "d_optimizer": keras.optimizers.serialize(self.d_optimizer),
            "ge_optimizer": keras.optimizers.serialize(self.ge_optimizer),
        }

    def compile_from_config(self, config: dict[str, Any]) -> None:
        if not config:
            return
        self.compile(
            d_optimizer=keras.optimizers.deserialize(config["d_optimizer"]),
            ge_optimizer=keras.optimizers.deserialize(config["ge_optimizer"]),
        )
        # Create the optimiser slots now, so the saved optimiser state has somewhere to load into.
        self.d_optimizer.build(self.discriminator.trainable_variables)
        self.ge_optimizer.build(self.generator.trainable_variables + self.encoder.trainable_variables)

    @property
    def metrics(self):
        return list(self.trackers.values())

    def call(self, x, training=False):
        """The reconstruction G(E(x)) (lets Keras trace the model end to end)."""
        return self.generator(self.encoder(x, training=training), training=training)

    def _d_logits(self, x, z, training=True):
        if self.instance_noise > 0:
            x = x + self.noise_std * keras.random.normal(ops.shape(x), seed=self.seed_generator)
        return self.discriminator([x, z], training=training)

    def losses_on_batch(self, x, z, training=True):
        """D's loss, G/E's adversarial loss and the cycle terms on one batch (no update).

        Real pairs (x, E(x)) have label 1 (smoothed to 1 - label_smoothing for D),
        generated pairs (G(z), z) label 0. G and E use the non-saturating
        loss with the labels swapped.
        """
        x = ops.convert_to_tensor(x, "float32")
        z = ops.convert_to_tensor(z, "float32")
        z_hat = self.encoder(x, training=training)
        x_gen = self.generator(z, training=training)
        real = self._d_logits(x, z_hat, training)
        fake = self._d_logits(x_gen, z, training)
        d_loss = _bce_with_logits(1.0 - self.label_smoothing, real) + _bce_with_logits(0.0, fake)
        adv = _bce_with_logits(0.0, real) + _bce_with_logits(1.0, fake)
        out = dict(d_loss=d_loss, ge_loss=adv, real=real, fake=fake)
        if self.cycle_x_weight > 0:
            out["recon_x"] = ops.mean(ops.abs(x - self.generator(z_hat, training=training)))
        if self.cycle_z_weight > 0:
            out["recon_z"] = ops.mean(ops.square(z - self.encoder(x_gen, training=training)))
        return out

    def _sample_prior(self, n):
        return keras.random.normal((n, self.latent_dim), seed=self.seed_generator)

    def train_step(self, data):
        """One training step on a batch of images: draw z from the prior, then :meth:`update`."""
        x, _, _ = keras.utils.unpack_x_y_sample_weight(data)
        x = ops.cast(x, "float32")
        out = self.update(x, self._sample_prior(ops.shape(x)[0]))
        self.trackers["d_loss"].update_state(out["d_loss"])
        self.trackers["ge_loss"].update_state(out["ge_loss"])
        self.trackers["d_real"].update_state(ops.mean(ops.sigmoid(out["real"])))
        self.trackers["d_fake"].update_state(ops.mean(ops.sigmoid(out["fake"])))
        self.trackers["recon_x"].update_state(out.get("recon_x", 0.0))
        self.trackers["recon_z"].update_state(out.get("recon_z", 0.0))
        return {k: t.result() for k, t in self.trackers.items()}

    def update(self, x, z):
        """One simultaneous update on images x and prior codes z; returns the losses before it.

        A shared forward pass gives D's loss and G/E's loss; D descends its loss
        with ``d_optimizer``, G and E descend theirs (the swapped-label loss plus
        the weighted cycle terms) with ``ge_optimizer``.
        """
        d_vars = self.discriminator.trainable_variables
        ge_vars = self.generator.trainable_variables + self.encoder.trainable_variables
        with tf.GradientTape(persistent=True) as tape:
            out = self.losses_on_batch(x, z)
            total = out["ge_loss"]
            if "recon_x" in out:
                total = total + self.cycle_x_weight * out["recon_x"]
            if "recon_z" in out:
                total = total + self.cycle_z_weight * out["recon_z"]
        d_grads = tape.gradient(out["d_loss"], d_vars)
        ge_grads = tape.gradient(total, ge_vars)
        del tape
        self.d_optimizer.apply_gradients(zip(d_grads, d_vars))
        self.ge_optimizer.apply_gradients(zip(ge_grads, ge_vars))
        return out

    # --- the shared generative-model interface -----------------------------------
    @checked(x=ck.images(label="images"), batch_size=ck.count(minimum=1))
    def encode(self, x: np.ndarray, batch_size: int = 2048) -> np.ndarray:
        """E(x): images (N, 28, 28) or (N, 784) in [0, 1] -> codes (N, latent_dim)."""
        return self._batched(self.encoder, x, batch_size, (self.latent_dim,))

    @checked(z=ck.codes(ref("self", _latent_dim), label="codes"), batch_size=ck.count(minimum=1),
             returns=_generated)
    def decode(self, z: np.ndarray, batch_size: int = 2048) -> np.ndarray:
        """G(z): codes (N, latent_dim) -> images (N, 28, 28) in [0, 1]."""
        return np.clip(self._batched(self.generator, z, batch_size, (28, 28)), 0.0, 1.0)

    def sample(self, n: int, seed: int | None = None) -> np.ndarray:
        """n images G(z) with z drawn from the prior N(0, I) (numpy generator ``seed``)."""
        return self.decode(self.prior(n, seed))

    @checked(n=ck.using(_prior_count, latent_dim=ref("self", _latent_dim)), seed=ck.seed())
    def prior(self, n: int, seed: int | None = None) -> np.ndarray:
        """n codes from the prior N(0, I), float32 (n, latent_dim)."""
        rng = np.random.default_rng(seed)
        return rng.standard_normal((int(n), self.latent_dim)).astype(np.float32)

    @staticmethod
    def _batched(net, values, batch_size, out_shape) -> np.ndarray:
        out = np.empty((len(values), *out_shape), np.float32)
        for i in range(0, len(values), batch_size):
            out[i: i + batch_size] = ops.convert_to_numpy(net(values[i: i + batch_size], training=False))
        return out


# --- judging --------------------------------------------------------------------------
def _sklearn_probabilities(judge, images: np.ndarray) -> np.ndarray:
    """A scikit-learn judge's probabilities on 784 pixels, refused when not one finite row per image."""
    if len(images) == 0:  # scikit-learn refuses 0 samples: no images, no rows (as a helpers.judges Judge)
        return np.zeros((0, len(judge.classes_)))
    proba = np.asarray(judge.predict_proba(images.reshape(len(images), -1)), dtype=np.float64)
    if proba.shape != (len(images), len(judge.classes_)) or not np.all(np.isfinite(proba)):
        raise ValueError(f"judge returned shape {proba.shape} (or NaN) for {len(images)} images; "
                         f"expected finite probabilities ({len(images)}, {len(judge.classes_)}).")
    return proba


@checked(images=ck.images(), judge=ck.using(_judge))
def judged_labels(images: np.ndarray, judge) -> np.ndarray:
    """The judge's label for each image: argmax of a scikit-learn ``predict_proba`` on 784 pixels,
    or the ``predict`` of a helpers.judges Judge."""
    if callable(getattr(judge, "predict_proba", None)) and hasattr(judge, "classes_"):
        return np.asarray(judge.classes_)[_sklearn_probabilities(judge, images).argmax(axis=1)]
    return np.asarray(judge.predict(images))


@checked(n_classes=ck.using(_count_of_classes))
def class_counts(images: np.ndarray, judge, n_classes: int = 10) -> np.ndarray:
    """How many images the judge gives to each class."""
    labels = ck.check_labels(judged_labels(images, judge), n_classes=n_classes, name="judged labels")
    return np.bincount(labels, minlength=n_classes)


@checked(counts=ck.using(_class_counts), min_share=ck.number(low=0.0, high=1.0))
def classes_found(counts: np.ndarray, min_share: float = MIN_CLASS_SHARE) -> int:
    """Classes given to at least ``min_share`` of the samples (the mode-collapse check)."""
    return int((counts >= max(1, math.ceil(min_share * counts.sum()))).sum())


@checked(train_codes=ck.using(_knn_codes), test_codes=ck.using(_knn_codes, like=ref("train_codes")),
         train_labels=ck.labels(n=ref("train_codes", len)), test_labels=ck.labels(n=ref("test_codes", len)),
         chunk=ck.count(minimum=1))
def knn_accuracy(
    train_codes: np.ndarray, train_labels: np.ndarray, test_codes: np.ndarray, test_labels: np.ndarray,
    chunk: int = 500,
) -> float:
    """1-nearest-neighbour accuracy (Euclidean) of test codes against the train codes.

    Vectorised: ||a - b||^2 = ||a||^2 - 2 a.b + ||b||^2, one chunk of test rows at a time,
    so the distance matrix never holds more than ``chunk`` x N_train floats.
    """
    train_sq = (train_codes ** 2).sum(axis=1)
    nearest = np.empty(len(test_codes), np.int64)
    for i in range(0, len(test_codes), chunk):
        block = test_codes[i: i + chunk]
        # ||a||^2 is the same for every train row, so it does not change the argmin.
        dist = train_sq[None, :] - 2.0 * block @ train_codes.T
        nearest[i: i + chunk] = dist.argmin(axis=1)
    return float((np.asarray(train_labels)[nearest] == np.asarray(test_labels)).mean())


# --- training -------------------------------------------------------------------------
class EpochLog(keras.callbacks.Callback):
    """One printed line per epoch, epoch timings, fixed-noise snapshots and judged classes."""

    def __init__(self, epochs: int, judge=None, seed: int = 0, verbose: bool = True):
        super().__init__()
        self.epochs = epochs
        self.judge = judge
        self.verbose = verbose
        rng = np.random.default_rng(seed + 1)  # independent of the training noise
        self.seed = seed
        self.history: dict[str, list[float]] = {}
        self.epoch_seconds: list[float] = []
        self.snapshots: list[np.ndarray] = []
        self.classes_per_epoch: list[int] = []
        self.class_counts: list[list[int]] = []
        self._rng = rng

    def on_train_begin(self, logs=None):
        dim = self.model.latent_dim
        self.fixed_noise = self._rng.standard_normal((SNAPSHOT_SAMPLES, dim)).astype(np.float32)
        self.judge_noise = self._rng.standard_normal((JUDGED_SAMPLES, dim)).astype(np.float32)
        self.snapshots.append(self.model.decode(self.fixed_noise))  # before training: epoch 0

    def on_epoch_begin(self, epoch, logs=None):
        if self.model.instance_noise > 0:  # anneal linearly to 0 over training
            self.model.noise_std.assign(self.model.instance_noise * (1 - epoch / self.epochs))
        self._start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        seconds = time.perf_counter() - self._start
        self.epoch_seconds.append(seconds)
        logs = {k: float(v) for k, v in (logs or {}).items()}
        bad = [k for k, v in logs.items() if not np.isfinite(v)]
        if bad:
            raise FloatingPointError(f"BiGAN training diverged at epoch {epoch + 1}: {bad} not finite ({logs}).")
        for k, v in logs.items():
            self.history.setdefault(k, []).append(v)
        self.snapshots.append(self.model.decode(self.fixed_noise))
        line = f"epoch {epoch + 1:>3}/{self.epochs}  {seconds:5.1f} s  " + "  ".join(
            f"{k} {v:.3f}" for k, v in logs.items() if not (k.startswith("recon") and v == 0.0)
        )
        if self.judge is not None:
            counts = class_counts(self.model.decode(self.judge_noise), self.judge)
            self.class_counts.append(counts.tolist())
            self.classes_per_epoch.append(classes_found(counts))
            line += f"  classes {self.classes_per_epoch[-1]}/10"
        if self.verbose:
            print(line, flush=True)


@checked(overrides=ck.using(_known_settings), returns=_sensible_training)
def model_config(settings=None, **overrides) -> dict[str, Any]:
    """Everything that determines a trained model: architecture, training, epochs, data size."""
    settings = settings or config.SETTINGS
    arch = dict(ARCHITECTURE)
    train = dict(TRAINING)
    for k, v in overrides.items():
        if k in arch:
            arch[k] = v
        else:
            train[k] = v
    train.setdefault("epochs", settings.bigan_epochs)
    train.setdefault("seed", 0)
    return dict(architecture=arch, training=train)


@checked(cfg=ck.using(_bigan_config), x_train=ck.using(_training_images))
def train_bigan(
    x_train: np.ndarray, cfg: dict[str, Any] | None = None, *, judge=None, verbose: bool = True
) -> tuple[BiGAN, dict[str, Any], np.ndarray]:
    """Build (one seed call) and train a BiGAN; returns (model, record, snapshots).

    ``snapshots`` is (epochs + 1, SNAPSHOT_SAMPLES, 28, 28): G on a fixed noise
    batch before training and after every epoch. Raises FloatingPointError on NaN.
    """
    arch, train = cfg["architecture"], cfg["training"]
    config.seed_everything(train["seed"])
    model = BiGAN(**arch)
    batches, steps_per_execution = shuffled_batches(x_train, batch_size=train["batch_size"])
    model.compile(
        d_optimizer=keras.optimizers.Adam(train["learning_rate"], beta_1=train["beta_1"]),
        ge_optimizer=keras.optimizers.Adam(train["learning_rate"], beta_1=train["beta_1"]),
        steps_per_execution=steps_per_execution,
    )
    log = EpochLog(train["epochs"], judge=judge, seed=train["seed"], verbose=verbose)
    start = time.perf_counter()
    model.fit(batches, epochs=train["epochs"], shuffle=False, verbose=0, callbacks=[log])
    train_seconds = time.perf_counter() - start
    record = dict(
        history=log.history,
        epoch_seconds=log.epoch_seconds,
        seconds_per_epoch=float(np.mean(log.epoch_seconds)),
        train_seconds=train_seconds,
        n_train=len(x_train),
        classes_per_epoch=log.classes_per_epoch,
        class_counts_per_epoch=log.class_counts,
        classes_found=log.classes_per_epoch[-1] if log.classes_per_epoch else None,
        min_class_share=MIN_CLASS_SHARE,
        judged_samples=JUDGED_SAMPLES,
    )
    return model, record, np.stack(log.snapshots)


@checked(data=ck.optional(ck.using(as_dataset)), retrain=ck.flag(), pure=ck.flag())
def pretrained_bigan(
    data: Dataset | None = None, *, retrain: bool = False, pure: bool = False, verbose: bool = True, **overrides
):
    """The notebook's BiGAN, loaded from the cache or trained: ``(model, record)``.

    ``pure=True`` gives the pure BiGAN (cycle weights 0), cached separately, for
    comparison; it trains for ``config.SETTINGS.pure_bigan_epochs`` unless ``epochs`` is given.
    ``overrides`` change single settings of :func:`model_config` (tests use them to train a tiny model).
    The record holds the per-epoch history, seconds per epoch, train seconds and the mode-collapse check
    (classes the judge finds per epoch);
    ``record["snapshots"]`` holds the fixed-noise samples per epoch, stored in
    ``artifacts/NAME-snapshots-MODE.npz``. The model also carries the record as
    ``model.training_record`` (read by :func:`quality_figures`). The cache
    entry is keyed on the settings and a fingerprint of ``data.x_train``; model,
    record and snapshot file are checked against each other on every load.
    """
    from .classical import mnist_logistic_regression

    name = PURE_NAME if pure else NAME
    if pure:  # the comparison run: shorter unless told otherwise (config.Settings.pure_bigan_epochs)
        overrides = {"epochs": config.SETTINGS.pure_bigan_epochs, **overrides, "cycle_x_weight": 0.0,
                     "cycle_z_weight": 0.0}
    cfg = model_config(**overrides)
    snap_path = cache.artifact_path(f"{name}-snapshots", ".npz")
    holder: dict[str, np.ndarray] = {}

    def train():
        judge = mnist_logistic_regression(data)
        model, record, snapshots = train_bigan(data.x_train, cfg, judge=judge, verbose=verbose)
        cache.save_arrays(snap_path, snapshots=snapshots)  # hashed into the record by cache.cached_model
        holder["snapshots"] = snapshots
        return model, record

    data = load_mnist() if data is None else data
    cfg_key = dict(cfg, n_train=len(data.x_train))
    model, record, loaded = cache.cached_model(
        name, cfg_key, train, data_key=cache.data_fingerprint(data.x_train),
        expected={"class": "BiGAN", **cfg["architecture"]}, companions={"snapshots": snap_path},
        retrain=retrain, verbose=verbose)
    if loaded:  # the snapshot file's hash was checked against the record
        stored = cache.load_arrays(snap_path, ("snapshots",))
        holder["snapshots"] = stored["snapshots"] if stored else None
    record = dict(record, snapshots=holder.get("snapshots"))
    # Plain attribute (not tracked by Keras): quality_figures reads the timings from it.
    object.__setattr__(model, "training_record", {k: v for k, v in record.items() if k != "snapshots"})
    return model, record


@checked(model=ck.model(), data=ck.using(as_dataset), n_samples=ck.count(minimum=1))
def quality_figures(
    model: BiGAN, data: Dataset, judge, *, n_samples: int = JUDGED_SAMPLES, seed: int = 0
) -> dict[str, Any]:
    """The BiGAN's benchmark figures on ``data``'s test set.

    - ``knn_accuracy``: 1-NN test accuracy on E(x) codes, train codes as the reference set;
    - ``class_kept``: share of test digits whose reconstruction G(E(x)) the judge gives the true label
      (``judge_accuracy`` is the judge on the originals, the ceiling for it);
    - ``classes_found``: classes the judge finds among ``n_samples`` samples (>= 1 % each);
    - ``seconds_per_epoch`` / ``train_seconds``: from the training record (NaN if unknown).
    """
    codes_train = model.encode(data.x_train)
    codes_test = model.encode(data.x_test)
    recon = model.decode(codes_test)
    counts = class_counts(model.sample(n_samples, seed=seed), judge)
    record = getattr(model, "training_record", None) or {}
    return dict(
        knn_accuracy=knn_accuracy(codes_train, data.y_train, codes_test, data.y_test),
        class_kept=float((judged_labels(recon, judge) == data.y_test).mean()),
        judge_accuracy=float((judged_labels(data.x_test, judge) == data.y_test).mean()),
        classes_found=classes_found(counts),
        class_counts=counts.tolist(),
        seconds_per_epoch=float(record.get("seconds_per_epoch", float("nan"))),
        train_seconds=float(record.get("train_seconds", float("nan"))),
    )


__all__ = [
    "ARCHITECTURE", "TRAINING", "NAME", "PURE_NAME", "BiGAN", "EpochLog",
    "build_discriminator", "build_encoder", "build_generator", "class_counts", "classes_found",
    "judged_labels", "knn_accuracy", "model_config", "pretrained_bigan", "quality_figures", "train_bigan",
]
