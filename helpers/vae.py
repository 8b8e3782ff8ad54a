"""A variational autoencoder (Kingma & Welling, 2014) in Keras 3.

Introduced in notebook 03; reused by notebooks 04-06 through the shared
interface (``encode``, ``decode``, ``sample``, ``latent_dim``). Notebook 06
adds :class:`ClassPriorVAE`, the same networks with a prior that knows the
classes.

The model is q(z|x) = N(mu(x), diag sigma^2(x)), p(z) = N(0, I) and a
Bernoulli decoder p(x|z) on the [0, 1] grey levels. The loss is the negative
ELBO *per image*: reconstruction (summed over the 784 pixels) plus the KL
divergence (summed over the latent dimensions), averaged over the batch. The
2018 seed code divided the KL term by the batch size a second time, which
silently turns the model into a nearly plain autoencoder; here both terms are
on the same per-image scale.
"""

from __future__ import annotations

import functools
import itertools
import math
import time

import keras
import numpy as np
from keras import layers, ops

from . import cache, config
from . import checks as ck
from .checks import checked, ref
from .data import Dataset, as_dataset, check_memory, load_mnist, shuffled_batches

LOG_2PI = math.log(2.0 * math.pi)


# --- argument specs of this module (helpers.checks): what each function may be given ----------------------
def _latent_size(latent_dim, *, name):
    if isinstance(latent_dim, (int, np.integer)) and not isinstance(latent_dim, bool) and latent_dim < 1:
        raise ValueError(f"latent_dim must be positive, got {latent_dim}.")
    return ck.check_count(latent_dim, name=name, minimum=1)


def _units(units, *, name) -> tuple[int, ...]:
    """Hidden-layer widths: a list or tuple of positive integers (may be empty: no hidden layer)."""
    if isinstance(units, (str, bytes)) or not isinstance(units, (list, tuple)):
        raise TypeError(f"{name} must be a list of layer widths such as [512, 512], got {units!r}.")
    return tuple(ck.check_count(u, name=f"{name} entry", minimum=1) for u in units)


def _decoder_units(units, *, name, latent_dim, encoder_units):
    """The decoder's widths, for a VAE (with the encoder's) that fits in memory."""
    units = _units(units, name=name)
    widths = [784, *encoder_units, 2 * latent_dim, *units, 784]
    check_memory(4.0 * 4 * sum(a * b for a, b in zip(widths[:-1], widths[1:])), name="latent_dim and units",
                 what="a VAE of these sizes")
    return units


def _activation(activation, *, name):
    if activation is not None and not callable(activation):
        try:
            keras.activations.get(activation)
        except (ValueError, TypeError):
            raise ValueError(f"activation: unknown activation {activation!r}; use e.g. 'silu' or 'relu'.") from None
    return activation


def _class_count(n_classes, *, name, vae_args, vae_kwargs):
    """Classes of a class prior: at least 2, their means fitting in memory beside the VAE's latent size."""
    if isinstance(n_classes, (int, np.integer)) and not isinstance(n_classes, bool) and n_classes < 2:
        raise ValueError(f"a class prior needs at least 2 classes, got {n_classes}.")
    n_classes = ck.check_count(n_classes, name=name, minimum=2)
    latent_dim = vae_args[0] if vae_args else vae_kwargs.get("latent_dim", 20)
    # a latent_dim beyond any count (10**400) is left to VAE's own check, which names it
    if isinstance(latent_dim, (int, np.integer)) and not isinstance(latent_dim, bool) and latent_dim <= ck.MAX_COUNT:
        check_memory(4.0 * 4 * n_classes * latent_dim, name="n_classes", what="the class means")
    return n_classes


def _every_class(y, *, name, n_classes):
    """Training labels in which every class occurs (their frequencies are p(y))."""
    if np.ndim(y) != 1 or np.size(y) == 0:
        raise ValueError(f"labels must be a non-empty 1-d array, got shape {np.shape(y)}.")
    y = ck.check_labels(y, n_classes=n_classes, name="labels")
    counts = np.bincount(y, minlength=n_classes)
    if np.any(counts == 0):
        missing = np.flatnonzero(counts == 0).tolist()
        raise ValueError(f"classes {missing} have no training images; a class prior needs every class.")
    return y


def _class_ids(y, *, name, n_classes):
    """One class or a list of them, as int64 (N,)."""
    y = np.atleast_1d(np.asarray(y)) if np.ndim(y) == 0 else y
    return ck.check_labels(y, n_classes=n_classes, name="classes")


def _labelled_batches(x, *, name, y):
    """What ClassPriorVAE.fit trains on: (image, label) batches, or images x with labels y."""
    import tensorflow as tf

    if y is not None:
        return x
    if isinstance(x, tf.data.Dataset):
        first = x.element_spec
    elif isinstance(x, keras.utils.PyDataset):
        first = x[0]
    elif hasattr(x, "__next__"):  # a generator: look at its first batch, then put it back
        try:
            first = next(x)
        except StopIteration:
            return iter(())
        x = itertools.chain([first], x)
    else:
        first = None  # images alone, without y
    if not (isinstance(first, tuple) and len(first) == 2):
        raise ValueError("ClassPriorVAE trains on (image, label) batches; pass labels to shuffled_batches.")
    return x


def _sample_count(n, *, name, latent_dim):
    n = ck.check_count(n, name=name, minimum=1)
    check_memory(4.0 * n * (latent_dim + 2 * 784), name="n", what=f"{n:,} samples")
    return n


def _test_images(x, *, name, called):
    """At least one image, checked under the name of the function that reads it."""
    x = ck.check_images(x, name=called)
    if len(x) == 0:
        raise ValueError(f"{called}: no images; pass at least one test image.")
    return x


def _chunk(chunk, *, name, k, x, model):
    """Images per compiled call, such that k importance samples of each fit in memory."""
    chunk = ck.check_count(chunk, name=name, minimum=1)
    check_memory(4.0 * 4 * k * min(chunk, max(len(x), 1)) * (model.latent_dim + 784), name="k",
                 what=f"{k:,} importance samples per image")
    return chunk


def _schedule_settings(cfg, *, name):
    cfg = ck.check_settings(cfg, ("learning_rate",), name=name, example="vae.training_config(20)")
    ck.check_positive(cfg["learning_rate"], name="cfg['learning_rate']")
    ck.check_number(cfg.get("warmup_fraction", 0.0), name="cfg['warmup_fraction']", low=0.0, high=1.0, high_open=True)
    return cfg


def _training_settings(cfg, *, name):
    return check_training_config(cfg)


def _verbosity(verbose, *, name):
    """Keras' verbosity: 0 (silent), 1 (a progress bar), 2 (a line per epoch) or "auto"; True/False as 1/0."""
    if isinstance(verbose, (bool, np.bool_)):
        return int(verbose)
    if isinstance(verbose, str) and verbose == "auto":
        return verbose
    if not isinstance(verbose, (int, np.integer)) or verbose not in (0, 1, 2):
        raise ValueError(f"{name} must be 0 (silent), 1 (a progress bar), 2 (a line per epoch) or 'auto', "
                         f"got {verbose!r}.")
    return int(verbose)


def _vae_class(model_class, *, name):
    if not (isinstance(model_class, type) and issubclass(model_class, VAE)):
        raise TypeError(f"model_class must be VAE or a subclass of it, got {model_class!r}.")
    return model_class


def _timed_record(record, *, name):
    record = ck.check_settings(record, ("epoch_seconds", "train_flops_per_image", "train_images"), name=name,
                               example="the record pretrained_vae returns")
    seconds = ck.check_numbers(record["epoch_seconds"], name="record['epoch_seconds']", ndim=1,
                               what="the seconds of each epoch, a list such as [4.1, 3.7]")
    if len(seconds) == 0:
        raise ValueError("record['epoch_seconds'] is empty: the record holds no timed epoch.")
    if not np.median(seconds) > 0 or seconds.min() < 0:
        raise ValueError(f"record['epoch_seconds'] must be positive durations, got {seconds.tolist()}.")
    ck.check_positive(record["train_flops_per_image"], name="record['train_flops_per_image']")
    ck.check_count(record["train_images"], name="record['train_images']", minimum=1)
    return record


def _decoded(images, name, args):
    """decode's result: finite pixels (huge codes can overflow the network)."""
    return check_decoder_output(images, args["z"])


def _latent_dim(model):
    return model.latent_dim


def _n_classes(model):
    return model.n_classes




# --- loss terms (backend-agnostic keras.ops, unit-tested) -------------------------
def bernoulli_nll(x, logits):
    """-log p(x|z) per image for a Bernoulli decoder, summed over pixels (nats).

    softplus(l) - x*l equals the sigmoid cross-entropy and is stable for any logit.
    """
    x = ops.reshape(x, (ops.shape(x)[0], -1))
    logits = ops.reshape(logits, (ops.shape(logits)[0], -1))
    return ops.sum(ops.softplus(logits) - x * logits, axis=-1)


def gaussian_kl(mean, log_var):
    """KL(N(mean, exp(log_var)) || N(0, I)) per image, summed over latent dimensions."""
    return 0.5 * ops.sum(ops.exp(log_var) + ops.square(mean) - 1.0 - log_var, axis=-1)


def gaussian_log_density(z, mean, log_var):
    """log N(z; mean, exp(log_var)) summed over the last axis."""
    return -0.5 * ops.sum(LOG_2PI + log_var + ops.square(z - mean) * ops.exp(-log_var), axis=-1)


def dense_forward_flops(units: list[int]) -> int:
    """Multiply-adds x 2 of a chain of Dense layers with these widths (input first)."""
    return sum(2 * a * b for a, b in zip(units[:-1], units[1:]))


def check_decoder_output(images: np.ndarray, z: np.ndarray) -> np.ndarray:
    """Decoded images, or a ValueError when finite but huge codes overflowed the network into NaN."""
    if not np.all(np.isfinite(images)):
        raise ValueError(f"decode: codes as large as {np.abs(z).max():.3g} overflow the decoder; "
                         "pass codes of ordinary size (the prior puts almost all of them within a few units of 0).")
    return images


# --- the model --------------------------------------------------------------------
def _inference_call(net, t):
    """``net(t)`` in inference mode; wrapped in a tf.function by :meth:`VAE._graph`."""
    return net(t, training=False)


@keras.saving.register_keras_serializable(package="helpers")
class VAE(keras.Model):
    """MLP VAE with its own ``train_step``; see the module docstring for the loss.

    ``encoder_units`` / ``decoder_units`` are the hidden widths. The encoder
    outputs the mean and the log-variance of q(z|x); the decoder outputs
    Bernoulli logits, and ``decode`` returns their sigmoid (pixel means).
    """

    @checked(latent_dim=ck.using(_latent_size), encoder_units=ck.using(_units),
             decoder_units=ck.using(_decoder_units, latent_dim=ref("latent_dim"), encoder_units=ref("encoder_units")),
             seed=ck.count(), activation=ck.using(_activation))
    def __init__(
        self,
        latent_dim: int = 20,
        encoder_units: tuple[int, ...] = (512, 512),
        decoder_units: tuple[int, ...] = (512, 512),
        activation: str = "relu",
        seed: int = 0,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.latent_dim = latent_dim
        self.encoder_units = encoder_units
        self.decoder_units = decoder_units
        self.activation = activation
        self.seed = seed
        self.noise = keras.random.SeedGenerator(seed)

        x_in = keras.Input((28, 28), name="image")
        h = layers.Flatten()(x_in)
        for i, u in enumerate(self.encoder_units):
            h = layers.Dense(u, activation=activation, name=f"enc_{i}")(h)
        mean = layers.Dense(self.latent_dim, name="z_mean")(h)
        log_var = layers.Dense(self.latent_dim, name="z_log_var")(h)
        self.encoder = keras.Model(x_in, [mean, log_var], name="encoder")

        z_in = keras.Input((self.latent_dim,), name="z")
        h = z_in
        for i, u in enumerate(self.decoder_units):
            h = layers.Dense(u, activation=activation, name=f"dec_{i}")(h)
        logits = layers.Reshape((28, 28))(layers.Dense(28 * 28, name="logits")(h))
        self.decoder = keras.Model(z_in, logits, name="decoder")

        self.loss_tracker = keras.metrics.Mean(name="loss")
        self.rec_tracker = keras.metrics.Mean(name="reconstruction")
        self.kl_tracker = keras.metrics.Mean(name="kl")
        # Both halves are functional models, built on creation; so is the whole.
        self.built = True

    # Keras needs these to restore the model from a .keras file.
    def get_config(self):
        return {
            **super().get_config(),
            "latent_dim": self.latent_dim,
            "encoder_units": list(self.encoder_units),
            "decoder_units": list(self.decoder_units),
            "activation": self.activation,
            "seed": self.seed,
        }

    @classmethod
    def from_config(cls, cfg):
        return cls(**cfg)

    @property
    def metrics(self):
        return [self.loss_tracker, self.rec_tracker, self.kl_tracker]

    def train_flops_per_image(self) -> int:
        """Approximate FLOPs of one training step per image (forward x 3 for backprop)."""
        enc = dense_forward_flops([784, *self.encoder_units]) + 2 * dense_forward_flops([self.encoder_units[-1], self.latent_dim])
        dec = dense_forward_flops([self.latent_dim, *self.decoder_units, 784])
        return 3 * (enc + dec)

    def _terms(self, x, training: bool):
        mean, log_var = self.encoder(x, training=training)
        eps = keras.random.normal(ops.shape(mean), seed=self.noise)
        z = mean + ops.exp(0.5 * log_var) * eps  # the reparameterisation trick
        logits = self.decoder(z, training=training)
        return bernoulli_nll(x, logits), gaussian_kl(mean, log_var)

    def call(self, x, training=False):
        mean, _ = self.encoder(x, training=training)
        return self.decoder(mean, training=training)

    def log_prior(self, z):
        """log p(z) summed over the latent dimensions: here the standard normal N(0, I)."""
        zeros = ops.zeros_like(z)
        return gaussian_log_density(z, zeros, zeros)

    def kl_estimate(self, z, mean, log_var):
        """The KL part of the ELBO per image for one posterior draw z; exact for the N(0, I) prior."""
        return gaussian_kl(mean, log_var)

    def train_step(self, data):
        import tensorflow as tf  # the gradient tape is the TensorFlow backend's

        x, _, _ = keras.utils.unpack_x_y_sample_weight(data)  # the images (labels, if any, are not used)
        with tf.GradientTape() as tape:
            rec, kl = self._terms(x, training=True)
            loss = ops.mean(rec + kl)
        grads = tape.gradient(loss, self.trainable_weights)
        self.optimizer.apply_gradients(zip(grads, self.trainable_weights))
        return self._update_metrics(loss, rec, kl)

    def test_step(self, data):
        x, _, _ = keras.utils.unpack_x_y_sample_weight(data)
        rec, kl = self._terms(x, training=False)
        return self._update_metrics(ops.mean(rec + kl), rec, kl)

    def _update_metrics(self, loss, rec, kl):
        self.loss_tracker.update_state(loss)
        self.rec_tracker.update_state(ops.mean(rec))
        self.kl_tracker.update_state(ops.mean(kl))
        return {m.name: m.result() for m in self.metrics}

    # --- the shared generative-model interface ---------------------------------
    def _graph(self, name: str):
        """A traced (tf.function) inference call of a sub-network.

        An eager Keras call costs milliseconds of Python overhead per batch;
        the interactive explorer decodes one code per slider move, so the
        traced version is what keeps it responsive.
        """
        import tensorflow as tf

        cache = self.__dict__.setdefault("_inference_graphs", {})
        if name not in cache:
            # A partial, not a lambda: TensorFlow counts retracings per code object, so one lambda
            # shared by every VAE's encoder and decoder tripped its "excessive retracing" warning.
            cache[name] = tf.function(functools.partial(_inference_call, getattr(self, name)), reduce_retracing=True)
        return cache[name]

    @checked(x=ck.images(label="encode(x)"), batch_size=ck.count(minimum=1))
    def encode(self, x, batch_size: int = 2048) -> np.ndarray:
        """Mean codes mu(x), (N, latent_dim)."""
        run = self._graph("encoder")
        out = [ops.convert_to_numpy(run(x[i: i + batch_size])[0]) for i in range(0, len(x), batch_size)]
        return np.concatenate(out) if out else np.zeros((0, self.latent_dim), np.float32)

    @checked(x=ck.images(label="encode_distribution"), batch_size=ck.count(minimum=1))
    def encode_distribution(self, x, batch_size: int = 2048) -> tuple[np.ndarray, np.ndarray]:
        """Mean and log-variance of q(z|x)."""
        parts = [self.encoder(x[i: i + batch_size]) for i in range(0, len(x), batch_size)]
        if not parts:  # no images: no codes, as encode
            return np.zeros((0, self.latent_dim), np.float32), np.zeros((0, self.latent_dim), np.float32)
        return (np.concatenate([ops.convert_to_numpy(p[0]) for p in parts]),
                np.concatenate([ops.convert_to_numpy(p[1]) for p in parts]))

    @checked(z=ck.codes(ref("self", _latent_dim), label="decode(z)"), batch_size=ck.count(minimum=1), returns=_decoded)
    def decode(self, z, batch_size: int = 4096) -> np.ndarray:
        """Pixel means sigmoid(logits), (N, 28, 28) in [0, 1]."""
        run = self._graph("decoder")
        out = [ops.convert_to_numpy(ops.sigmoid(run(z[i: i + batch_size]))) for i in range(0, len(z), batch_size)]
        return np.concatenate(out) if out else np.zeros((0, 28, 28), np.float32)

    @checked(n=ck.using(_sample_count, latent_dim=ref("self", _latent_dim)), seed=ck.seed())
    def sample(self, n: int, seed: int | None = None) -> np.ndarray:
        """Decode n codes drawn from the prior N(0, I)."""
        z = np.random.default_rng(seed).standard_normal((n, self.latent_dim)).astype(np.float32)
        return self.decode(z)

    def reconstruct(self, x) -> np.ndarray:
        return self.decode(self.encode(x))


@keras.saving.register_keras_serializable(package="helpers")
class ClassPriorVAE(VAE):
    """A VAE of p(x, y): y ~ p(y), z | y ~ N(m_y, I), x | z from the decoder; introduced in notebook 06.

    The encoder and decoder are the plain VAE's; only the prior changes. Each
    class gets a learned mean m_y (``class_means``) and the *same* unit
    covariance, and the decoder never sees y. Training uses the labels: the
    KL term of an image of class y is KL(q(z|x) || N(m_y, I)), so its loss is
    a bound on -log p(x, y) + log p(y).

    Why: notebook 06 measures that the plain VAE's latent arithmetic
    z + (z_a - z_b) often lands in a third class, because its class centroids
    sit closer together than a typical digit sits to its own centroid
    (separation / spread 0.90 in the full run). Pulling each class's codes
    towards its own mean, with the same spread for all, moves the classes
    apart (1.58); how alike their shapes are barely changes (shape mismatch
    0.21 and 0.20). The model is still one of p(x): p(z) = sum_y p(y)
    N(z; m_y, I), a Gaussian mixture, so its ELBO on unlabelled test digits
    compares with the plain VAE's (:meth:`kl_estimate`).
    """

    @checked(n_classes=ck.using(_class_count, vae_args=ref("args"), vae_kwargs=ref("kwargs")))
    def __init__(self, *args, n_classes: int = 10, **kwargs):
        super().__init__(*args, **kwargs)
        self.n_classes = n_classes
        # Unit-scale random starts: all-zero means would start every class on the same spot.
        self.class_means = self.add_weight(
            shape=(self.n_classes, self.latent_dim), name="class_means",
            initializer=keras.initializers.RandomNormal(stddev=1.0, seed=self.seed + 1))
        # log p(y), fixed from the training labels' frequencies (``set_class_frequencies``).
        self.log_class_prior = self.add_weight(
            shape=(self.n_classes,), name="log_class_prior", trainable=False,
            initializer=keras.initializers.Constant(-math.log(self.n_classes)))

    def get_config(self):
        return {**super().get_config(), "n_classes": self.n_classes}

    @checked(y=ck.using(_every_class, n_classes=ref("self", _n_classes)))
    def set_class_frequencies(self, y) -> None:
        """Fix p(y) to the class frequencies of the labels y; every class must occur."""
        counts = np.bincount(y, minlength=self.n_classes)
        self.log_class_prior.assign(np.log(counts / counts.sum()).astype(np.float32))

    def class_log_joint(self, z):
        """log p(y) + log N(z; m_y, I) for every class: (..., n_classes)."""
        zeros = ops.zeros_like(self.class_means)
        return gaussian_log_density(ops.expand_dims(z, -2), self.class_means, zeros) + self.log_class_prior

    def log_prior(self, z):
        """log p(z) of the mixture sum_y p(y) N(m_y, I)."""
        return ops.logsumexp(self.class_log_joint(z), axis=-1)

    def kl_estimate(self, z, mean, log_var):
        """log q(z|x) - log p(z) at the draw z: the mixture has no closed-form KL, so one sample estimates it."""
        return gaussian_log_density(z, mean, log_var) - self.log_prior(z)

    @checked(x=ck.using(_labelled_batches, y=ref("y")))
    def fit(self, x=None, y=None, *args, **kwargs):
        """Keras' ``fit`` on (image, label) batches (e.g. ``shuffled_batches(x, y, ...)``): the prior needs y."""
        return super().fit(x, y, *args, **kwargs)

    def train_step(self, data):
        import tensorflow as tf

        x, y = data  # images and their labels (fit makes sure there are labels)
        with tf.GradientTape() as tape:
            mean, log_var = self.encoder(x, training=True)
            eps = keras.random.normal(ops.shape(mean), seed=self.noise)
            z = mean + ops.exp(0.5 * log_var) * eps
            rec = bernoulli_nll(x, self.decoder(z, training=True))
            # A one-hot matmul, not a gather: its gradient is dense, which XLA and Adam handle without scatters.
            own_means = ops.matmul(ops.one_hot(ops.cast(y, "int32"), self.n_classes), self.class_means)
            kl = gaussian_kl(mean - own_means, log_var)
            loss = ops.mean(rec + kl)
        grads = tape.gradient(loss, self.trainable_weights)
        self.optimizer.apply_gradients(zip(grads, self.trainable_weights))
        return self._update_metrics(loss, rec, kl)

    def test_step(self, data):
        x, _, _ = keras.utils.unpack_x_y_sample_weight(data)  # scored as images alone, like negative_elbo
        mean, log_var = self.encoder(x, training=False)
        z = mean + ops.exp(0.5 * log_var) * keras.random.normal(ops.shape(mean), seed=self.noise)
        rec = bernoulli_nll(x, self.decoder(z, training=False))
        kl = self.kl_estimate(z, mean, log_var)
        return self._update_metrics(ops.mean(rec + kl), rec, kl)

    def prior_means(self) -> np.ndarray:
        """The class means m_y, (n_classes, latent_dim)."""
        return ops.convert_to_numpy(self.class_means)

    @checked(n=ck.using(_sample_count, latent_dim=ref("self", _latent_dim)), seed=ck.seed())
    def sample(self, n: int, seed: int | None = None) -> np.ndarray:
        """Decode n codes from the mixture prior: y ~ p(y), then z ~ N(m_y, I)."""
        rng = np.random.default_rng(seed)
        p = np.exp(ops.convert_to_numpy(self.log_class_prior).astype(np.float64))
        y = rng.choice(self.n_classes, size=n, p=p / p.sum())
        return self.sample_class(y, seed=rng)

    @checked(y=ck.using(_class_ids, n_classes=ref("self", _n_classes)), seed=ck.seed())
    def sample_class(self, y, seed=None) -> np.ndarray:
        """Decode one code z ~ N(m_y, I) per entry of the class labels y."""
        rng = np.random.default_rng(seed)
        z = self.prior_means()[y] + rng.standard_normal((len(y), self.latent_dim)).astype(np.float32)
        return self.decode(z.astype(np.float32))


# --- evaluation -----------------------------------------------------------------------
_A_VAE = ck.instance(VAE, "from pretrained_vae()")


@checked(model=_A_VAE, x=ck.using(_test_images, called="negative_elbo"), batch_size=ck.count(minimum=1),
         seed=ck.seed())
def negative_elbo(model: VAE, x, batch_size: int = 2000, seed: int = 0) -> dict[str, float]:
    """Test negative ELBO in nats per image, with its reconstruction and KL parts.

    One reparameterised sample per image (an unbiased estimate of the ELBO).
    The KL part comes from ``model.kl_estimate``: exact for the N(0, I)
    prior, a one-sample estimate for the class-prior mixture.
    """
    rng = np.random.default_rng(seed)
    rec_all, kl_all = [], []
    for i in range(0, len(x), batch_size):
        xb = x[i: i + batch_size]
        mean, log_var = (ops.convert_to_numpy(t) for t in model.encoder(xb))
        z = mean + np.exp(0.5 * log_var) * rng.standard_normal(mean.shape).astype(np.float32)
        logits = model.decoder(z)
        rec_all.append(ops.convert_to_numpy(bernoulli_nll(xb, logits)))
        kl_all.append(ops.convert_to_numpy(model.kl_estimate(z, mean, log_var)))
    rec, kl = np.concatenate(rec_all), np.concatenate(kl_all)
    return {"neg_elbo": float(np.mean(rec + kl)), "reconstruction": float(np.mean(rec)), "kl": float(np.mean(kl))}


def importance_log_weights(model: VAE, x, eps):
    """log p(x|z) + log p(z) - log q(z|x) at z = mu(x) + sigma(x) eps: x (b, 28, 28), eps (k, b, d) -> (k, b).

    Written with keras.ops only, so :func:`importance_weighted_nll` can run it as one compiled graph.
    """
    mean, log_var = model.encoder(x, training=False)
    z = mean[None] + ops.exp(0.5 * log_var)[None] * eps
    k, b, d = ops.shape(eps)[0], ops.shape(eps)[1], ops.shape(eps)[2]
    logits = ops.reshape(model.decoder(ops.reshape(z, (k * b, d)), training=False), (k, b, -1))
    pixels = ops.reshape(x, (1, b, -1))
    log_px_z = -ops.sum(ops.softplus(logits) - pixels * logits, axis=-1)  # bernoulli_nll, broadcast over k
    return log_px_z + model.log_prior(z) - gaussian_log_density(z, mean[None], log_var[None])


@checked(model=_A_VAE, x=ck.using(_test_images, called="importance_weighted_nll"), k=ck.count(minimum=1),
         chunk=ck.using(_chunk, k=ref("k"), x=ref("x"), model=ref("model")), seed=ck.seed())
def importance_weighted_nll(model: VAE, x, k: int = 200, chunk: int = 50, seed: int = 0) -> float:
    """-log p(x) estimated with k importance samples from q(z|x) (Burda et al. 2016).

    log p(x) >= log (1/k) sum_i p(x|z_i) p(z_i) / q(z_i|x); the bound tightens
    as k grows, so this is a tighter estimate than the ELBO (k = 1). Each chunk
    runs as one XLA-compiled call (:func:`importance_log_weights`): on the
    20-d VAE, 10,000 test images with k = 100 took 13.7 s this way and 18.7 s
    with eager calls.
    """
    import tensorflow as tf
    from scipy.special import logsumexp

    run = tf.function(functools.partial(importance_log_weights, model), jit_compile=config.SETTINGS.xla,
                      reduce_retracing=True)
    rng = np.random.default_rng(seed)
    out = []
    for i in range(0, len(x), chunk):
        xb = x[i: i + chunk]
        eps = rng.standard_normal((k, len(xb), model.latent_dim)).astype(np.float32)
        log_w = ops.convert_to_numpy(run(xb, eps)).astype(np.float64)
        out.append(-(logsumexp(log_w, axis=0) - np.log(k)))
    return float(np.mean(np.concatenate(out)))


# --- training and the cache --------------------------------------------------------------
class EpochTimer(keras.callbacks.Callback):
    """Records wall seconds per epoch (the throughput figure of notebook 03)."""

    def on_train_begin(self, logs=None):
        self.seconds = []

    def on_epoch_begin(self, epoch, logs=None):
        self._start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.seconds.append(time.perf_counter() - self._start)


@checked(latent_dim=ck.count(minimum=1))
def training_config(latent_dim: int) -> dict:
    """Architecture and schedule of the VAEs used in the series, for this mode.

    Why these, measured on a 2-core CPU with a 3-minute budget for the 20-d model
    (test -ELBO after 20 epochs, the other settings held fixed):

    - An MLP keeps the matrix units busy (large dense matmuls run near the
      machine's peak), while convolutions at MNIST size spend most of their
      time in overheads.
    - SiLU (x * sigmoid(x)) instead of ReLU: 97.7 against 99.6 nats.
    - A peak learning rate of 5e-3 reached after a 5% linear warm-up, then a
      cosine decay to zero: with SiLU, 95.8 nats, against 96.4 at 3e-3 and
      96.5 at 8e-3. Without the warm-up the same peak rate gave 98.4: the
      first, erratic updates of a fresh network cost more than they teach.
    - Batches of 256 keep the matmuls large. Batch normalisation, a
      full-covariance posterior and a decoder bias started at the mean image
      were each worse in the same sweep.
    - The 2-d model gets a third of the epochs: it is there to be looked at,
      and its bound is limited by the two dimensions far more than by training
      (15 epochs instead of 8 lowered its final training loss by about 5 nats;
      going from 2 to 20 dimensions is worth about 50).
    """
    s = config.SETTINGS
    return {
        "latent_dim": latent_dim,
        "encoder_units": [512, 512],
        "decoder_units": [512, 512],
        "activation": "silu",
        "epochs": s.vae_epochs if latent_dim > 2 else max(1, s.vae_epochs // 3),
        "batch_size": 256,
        "learning_rate": 5e-3,
        "warmup_fraction": 0.05,
        "train_images": s.train_subset or 60000,
    }


def class_prior_config(latent_dim: int = 20) -> dict:
    """The class-prior VAE of notebook 06: the plain VAE's architecture and schedule, 2/5 of its epochs.

    Fewer epochs, because the whole series must run in 10 minutes (13 epochs
    made ``make run`` take 604.7 s), and the class prior learns its layout
    fast. In the sweep that chose it (full mode, test digits moved by
    z + (z_a - z_b), judged by that day's 4-epoch CNN, 50 per pair), 10 epochs
    gave a 96.9-nat ELBO and 92.6% transfer success, 13 epochs 95.8 nats and
    93.5%, 26 epochs 93.7 nats and 96.0% (the plain VAE at 26 epochs: 95.3
    and 76.3%). Starting from the trained plain VAE was worse for the same
    time: 8 more epochs gave 94.3 nats but only 88.3% success.
    """
    return dict(training_config(latent_dim), prior="class",
                epochs=max(1, 2 * config.SETTINGS.vae_epochs // 5))


@checked(cfg=ck.using(_schedule_settings), steps=ck.count(minimum=1))
def warmup_cosine(cfg: dict, steps: int):
    """Linear warm-up over ``cfg["warmup_fraction"]`` of the steps to the peak rate, then cosine decay to zero."""
    warmup = int(cfg.get("warmup_fraction", 0.0) * steps)
    if warmup == 0:
        return keras.optimizers.schedules.CosineDecay(cfg["learning_rate"], decay_steps=max(1, steps))
    return keras.optimizers.schedules.CosineDecay(
        0.0, decay_steps=max(1, steps - warmup), warmup_target=cfg["learning_rate"], warmup_steps=warmup)


#: Settings every VAE configuration needs (see :func:`training_config`).
REQUIRED_SETTINGS = ("latent_dim", "encoder_units", "decoder_units", "activation", "epochs", "batch_size",
                     "learning_rate", "train_images")


def check_training_config(cfg) -> dict:
    """``cfg`` with every setting :func:`train_vae` reads present and sensible, or a clear error naming it."""
    cfg = ck.check_settings(cfg, REQUIRED_SETTINGS, name="cfg", example="vae.training_config(20)")
    for key in ("latent_dim", "epochs", "batch_size", "train_images"):
        ck.check_count(cfg[key], name=f"cfg['{key}']", minimum=1)
    for key in ("encoder_units", "decoder_units"):
        units = cfg[key]
        if isinstance(units, (str, bytes)) or not isinstance(units, (list, tuple)) or not units:
            raise TypeError(f"cfg['{key}'] must be a non-empty list of layer widths, e.g. [512, 512], got {units!r}.")
        for u in units:
            ck.check_count(u, name=f"cfg['{key}'] entry", minimum=1)
    if not isinstance(cfg["activation"], str):
        raise TypeError(f"cfg['activation'] must be the name of a Keras activation such as 'silu', "
                        f"got {cfg['activation']!r}.")
    try:
        keras.activations.get(cfg["activation"])
    except (ValueError, TypeError):
        raise ValueError(f"cfg['activation']: unknown activation {cfg['activation']!r}; use e.g. 'silu' or 'relu'.") \
            from None
    ck.check_positive(cfg["learning_rate"], name="cfg['learning_rate']")
    warmup = cfg.get("warmup_fraction", 0.0)
    if isinstance(warmup, bool) or not isinstance(warmup, (int, float)) or not 0.0 <= warmup < 1.0:
        raise ValueError(f"cfg['warmup_fraction'] must be a number in [0, 1), got {warmup!r}.")
    prior = cfg.get("prior", "standard")
    if not isinstance(prior, str) or prior not in ("standard", "class"):
        raise ValueError(f"cfg['prior']: unknown prior {prior!r}; use 'standard' or 'class'.")
    if "jit_compile" in cfg:  # 'no' would have meant True
        ck.check_flag(cfg["jit_compile"], name="cfg['jit_compile']")
    return cfg


@checked(cfg=ck.using(_training_settings), data=ck.using(as_dataset), model_class=ck.using(_vae_class),
         verbose=ck.using(_verbosity))
def train_vae(data: Dataset, cfg: dict, verbose: int = 2, model_class: type = VAE) -> tuple[VAE, dict]:
    """Build (one seed call) and fit a VAE; returns the model and its training record.

    ``model_class`` lets notebook 03 train a variant (the seed's buggy loss) the same way;
    ``cfg["prior"] == "class"`` trains a :class:`ClassPriorVAE` on images and labels.
    The data (a Dataset or a keras.datasets tuple) and ``cfg`` are checked first: NaN pixels or
    grey levels 0-255 would otherwise train, without a word, to a NaN or enormous loss.
    """
    prior = cfg.get("prior", "standard")
    if prior == "class":
        model_class = ClassPriorVAE
    config.seed_everything(0)
    model = model_class(cfg["latent_dim"], cfg["encoder_units"], cfg["decoder_units"], cfg["activation"])
    x = data.x_train[: cfg["train_images"]]
    y = None
    if prior == "class":
        y = data.y_train[: cfg["train_images"]]
        model.set_class_frequencies(y)
    batches, steps_per_execution = shuffled_batches(x, y, batch_size=cfg["batch_size"])
    steps = cfg["epochs"] * math.ceil(len(x) / cfg["batch_size"])
    # XLA compiles the step in about 4 s and then runs it faster; runs of a few seconds
    # (notebook 03's short comparison) may set "jit_compile": False to skip that.
    model.compile(optimizer=keras.optimizers.Adam(warmup_cosine(cfg, steps)),
                  jit_compile=cfg.get("jit_compile", config.SETTINGS.xla), steps_per_execution=steps_per_execution)
    timer = EpochTimer()
    start = time.perf_counter()
    history = model.fit(batches, epochs=cfg["epochs"], verbose=verbose, callbacks=[timer], shuffle=False)
    train_seconds = time.perf_counter() - start
    final = history.history.get("loss", [float("nan")])[-1]
    if not np.isfinite(final):
        raise FloatingPointError(f"VAE training diverged: final loss {final}; lower cfg['learning_rate'] "
                                 f"(now {cfg['learning_rate']}).")
    record = {
        "history": {k: [float(v) for v in vals] for k, vals in history.history.items()},
        "epoch_seconds": timer.seconds,
        "train_seconds": train_seconds,
        "train_flops_per_image": model.train_flops_per_image(),
        "train_images": len(x),
        "measured": time.strftime("%Y-%m-%d"),
    }
    return model, record


def _cached_vae(name: str, cfg: dict, data, retrain: bool, verbose: int):
    """Train or load a VAE keyed on ``cfg`` and on the training images (and labels) it would see."""
    data = load_mnist() if data is None else data
    n = cfg["train_images"]
    labelled = cfg.get("prior", "standard") == "class"
    key = cache.data_fingerprint(data.x_train[:n], *([data.y_train[:n]] if labelled else []))
    expected = {"class": "ClassPriorVAE" if labelled else "VAE", "latent_dim": cfg["latent_dim"],
                "encoder_units": cfg["encoder_units"], "decoder_units": cfg["decoder_units"],
                "activation": cfg["activation"]}

    def train():
        return train_vae(data, cfg, verbose=verbose)

    model, record, _ = cache.cached_model(name, cfg, train, data_key=key, expected=expected, retrain=retrain)
    return model, record


@checked(latent_dim=ck.count(minimum=1), data=ck.optional(ck.using(as_dataset)), retrain=ck.flag(),
         verbose=ck.using(_verbosity))
def pretrained_vae(latent_dim: int = 20, data: Dataset | None = None, *, retrain: bool = False,
                   verbose: int = 2) -> tuple[VAE, dict]:
    """The series' VAE with this latent size, trained on ``data`` (default MNIST): cached, else trained.

    The cache entry is keyed on the configuration and on a fingerprint of the
    training images, so another data set never gets this one's model.
    """
    cfg = training_config(latent_dim)
    return _cached_vae(f"vae-d{latent_dim}", cfg, data, retrain, verbose)


@checked(data=ck.optional(ck.using(as_dataset)), retrain=ck.flag(), verbose=ck.using(_verbosity))
def pretrained_class_prior_vae(data: Dataset | None = None, *, retrain: bool = False,
                               verbose: int = 2) -> tuple[ClassPriorVAE, dict]:
    """The class-prior VAE of notebook 06 (20-d): cached (keyed on images and labels), else trained."""
    return _cached_vae("vae-classprior-d20", class_prior_config(20), data, retrain, verbose)


@checked(record=ck.using(_timed_record))
def achieved_gflops(record: dict) -> float:
    """Training GFLOP/s from a record: FLOPs per image x images / median epoch time.

    The median skips the first epoch's XLA compilation.
    """
    seconds = float(np.median(record["epoch_seconds"]))
    return record["train_flops_per_image"] * record["train_images"] / seconds / 1e9
