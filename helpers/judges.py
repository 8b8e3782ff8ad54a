"""The judges: classifiers that score images, so that "it looks like a 3" becomes a number.

Introduced in notebook 06 (the logistic regression itself comes from notebook 01);
notebook 07 judges its style-moved digits with the same CNN. Every judge has one
interface, ``predict_proba(images (N, 28, 28)) -> (N, 10)`` and ``name``:

- :class:`SklearnJudge` wraps a fitted scikit-learn classifier on raw pixels;
  :func:`lr_judge` is the cached logistic regression of ``helpers.classical``.
- :class:`KerasJudge` wraps a Keras classifier; its penultimate ``features``
  layer also gives ``features(images)``, the space of the Frechet distance.
  :func:`cnn_judge` trains (or loads from the model cache) the small CNN of
  :func:`cnn_config` / :func:`build_cnn`.

Two judges, so that a result is not an artefact of one classifier's blind spots.
"""

from __future__ import annotations

import functools
import math
import time
from typing import Any

import numpy as np

from . import cache, config
from . import checks as ck
from .checks import checked, ref
from .data import Dataset, as_dataset, load_mnist, shuffled_batches
from .latent import N_CLASSES

CNN_NAME = "CNN"
LR_NAME = "logistic regression"


# --- argument specs of this module (helpers.checks): what each function may be given ----------------------
def _image_batch(images, *, name, judge: str) -> np.ndarray:
    """Images (..., 28, 28), or (N, 784), as validated float32 (..., 28, 28), named after the judge."""
    name = f"images ({judge} judge)"
    try:
        arr = np.asarray(images)
    except (TypeError, ValueError):
        arr = None
    if arr is None or arr.dtype == object:
        return ck.check_images(images, name=name)  # refuses None and what numpy cannot read, clearly
    if arr.ndim >= 4 and arr.shape[-2:] == (28, 28):
        return ck.check_images(arr.reshape(-1, 28, 28), name=name).reshape(arr.shape)
    return ck.check_images(arr, name=name)


def _flat_batch(x, *, name, judge: str) -> np.ndarray:
    """A flat batch (N, 28, 28) of images: accuracy compares one judged class per image with one label."""
    x = _image_batch(x, name=name, judge=judge)
    if x.ndim != 3:
        raise ValueError(f"x: accuracy needs a flat batch of images (N, 28, 28), got {x.shape[:-3]} images.")
    if len(x) == 0:
        raise ValueError("x: no images; an accuracy needs at least one image and its label.")
    return x


def _judge_name(judge):
    return judge.name


def _name_label(value, *, name):
    if not isinstance(value, str) or not value:
        raise TypeError(f"name must be a non-empty string (it labels the judge's results), got {value!r}.")
    return value


def _plain_name_label(value, *, name):
    if not isinstance(value, str) or not value:
        raise TypeError(f"name must be a non-empty string, got {value!r}.")
    return value


def _optional_name_label(value, *, name):
    if value is not None and (not isinstance(value, str) or not value):
        raise TypeError(f"name must be a non-empty string, got {value!r}.")
    return value


def _fitted_classifier(model, *, name, owner):
    """A fitted scikit-learn classifier of digit labels 0-9 with predict_proba (checks.check_digit_classifier)."""
    if isinstance(model, type):
        raise TypeError(f"{owner}: got the class {model.__name__}, not a fitted classifier; fit an instance first.")
    if not hasattr(model, "classes_") and callable(getattr(model, "predict_proba", None)):
        raise ValueError(f"{owner}: this {type(model).__name__} is not fitted yet; call .fit(x, y) first.")
    ck.check_digit_classes(model, name=owner)
    if not callable(getattr(model, "predict_proba", None)):
        raise TypeError(f"{owner}: expected a fitted scikit-learn classifier with predict_proba, "
                        f"got {type(model).__name__}.")
    return ck.check_digit_classifier(model, name=owner)


def _features_images(images, *, name, judge: str):
    return ck.check_images(images, name=f"{judge} features")


def _function(fn, *, name):
    if not callable(fn):
        raise TypeError(f"a function judge must be callable, got {type(fn).__name__}.")
    owner = getattr(fn, "__self__", None)  # a bound method: an unfitted estimator's fails at the first call
    if hasattr(owner, "get_params") and not isinstance(owner, type):
        ck.check_fitted_instance(owner, name=name, example="judges.lr_judge()")
    return fn


def _keras_classifier(model, *, name, owner):
    """A Keras model whose output is N_CLASSES logits."""
    import keras

    if not isinstance(model, keras.Model):
        raise TypeError(f"{owner}: KerasJudge needs a Keras classifier model, got {type(model).__name__}.")
    if tuple(model.output.shape[1:]) != (N_CLASSES,):
        raise ValueError(f"{owner}: the model must output {N_CLASSES} logits, got shape {model.output.shape}.")
    return model


def _feature_layer(layer, *, name, model, owner):
    try:
        model.get_layer(layer)
    except ValueError as err:
        raise ValueError(f"{owner}: the model has no layer named {layer!r} to take features from.") from err
    return layer


def _logits(logits, *, name):
    z = ck.check_numbers(logits, name=name, what="logits (..., n_classes)")
    if z.ndim == 0 or z.shape[-1] == 0:
        raise ValueError(f"logits: expected logits (..., n_classes), got shape {z.shape}.")
    return z


def _known_cnn_settings(overrides, *, name):
    unknown = set(overrides) - set(CNN_SETTINGS)
    if unknown:
        raise TypeError(f"unknown CNN setting(s) {sorted(unknown)}; known: {sorted(CNN_SETTINGS)}.")
    return overrides


def _check_cnn_training(cfg: dict[str, Any], prefix: str) -> None:
    """The CNN's training settings, each named as ``prefix['key']`` (or plainly) when wrong."""
    def name(key):
        return f"{prefix}['{key}']" if prefix else key

    for key in ("epochs", "batch_size", "train_images"):
        ck.check_count(cfg[key], name=name(key), minimum=1)
    ck.check_count(cfg["seed"], name=name("seed"))
    ck.check_positive(cfg["learning_rate"], name=name("learning_rate"))


def _sensible_cnn_training(cfg, name, args):
    """cnn_config's result: the overridden training settings and architecture must make sense."""
    _check_cnn_training(cfg, "")
    return _cnn_architecture(cfg, name=name)


def _cnn_architecture(cfg, *, name):
    cfg = ck.check_settings(cfg, ("filters", "kernels", "dense"), name=name, example="judges.cnn_config()")
    for key in ("filters", "kernels"):
        if isinstance(cfg[key], (str, bytes)) or not isinstance(cfg[key], (list, tuple)):
            raise TypeError(f"cfg['{key}'] must be a list of integers such as [32, 64], got {cfg[key]!r}.")
        for value in cfg[key]:
            ck.check_count(value, name=f"cfg['{key}'] entry", minimum=1)
    if len(cfg["filters"]) != len(cfg["kernels"]) or not cfg["filters"]:
        raise ValueError("filters and kernels must be non-empty lists of the same length.")
    ck.check_count(cfg["dense"], name="cfg['dense']", minimum=1)
    ck.check_number(cfg.get("dropout", 0.0), name="cfg['dropout']", low=0.0, high=1.0, high_open=True)
    return cfg


def _cnn_training(cfg, *, name):
    cfg = ck.check_settings(cfg, CNN_SETTINGS, name=name, example="judges.cnn_config()")
    _check_cnn_training(cfg, "cfg")
    return cfg


def _cnn_settings(cfg, *, name):
    """A CNN configuration with every setting (None: ``cnn_config()``)."""
    return cnn_config() if cfg is None else ck.check_settings(cfg, CNN_SETTINGS, name=name,
                                                                example="judges.cnn_config()")


# --- judges --------------------------------------------------------------------------------


class Judge:
    """A classifier that scores images; subclasses implement ``_proba`` on (N, 28, 28).

    ``predict_proba`` accepts (N, 28, 28), (N, 784) or any (..., 28, 28)
    batch and returns float64 probabilities of shape (..., 10) that sum to one.
    """

    name: str = "judge"
    n_classes: int = N_CLASSES

    def _proba(self, x: np.ndarray) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    @checked(images=ck.using(_image_batch, judge=ref("self", _judge_name)))
    def predict_proba(self, images) -> np.ndarray:
        lead, x = images.shape[:-2], images.reshape(-1, 28, 28)
        if len(x) == 0:
            return np.zeros((*lead, self.n_classes))
        p = check_probabilities(self._proba(x), len(x), self.n_classes, name=f"{self.name} judge")
        return p.reshape(*lead, self.n_classes)

    def predict(self, images) -> np.ndarray:
        """The judged class of every image (argmax of ``predict_proba``)."""
        return self.predict_proba(images).argmax(axis=-1)

    @checked(x=ck.using(_flat_batch, judge=ref("self", _judge_name)),
             y=ck.labels(n=ref("x", len), n_classes=ref("self", lambda judge: judge.n_classes)))
    def accuracy(self, x, y) -> float:
        """Share of images ``x`` judged as their label ``y``."""
        return float(np.mean(self.predict(x) == y))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name!r})"


#: How far probabilities may stray from [0, 1] and rows from summing to 1 (float32 rounding).
PROBABILITY_TOLERANCE = 1e-3


@checked(n=ck.count(), n_classes=ck.count(minimum=1))
def check_probabilities(p, n: int, n_classes: int = N_CLASSES, *, name: str = "judge") -> np.ndarray:
    """What a judge returned, as float64 (n, n_classes): finite, in [0, 1], each row summing to 1.

    The explorer and the scores read these numbers as probabilities; log-probabilities,
    logits or NaN would draw plausible-looking nonsense, so they are refused here.
    """
    try:
        if ck.not_meant_as_numbers(p):  # booleans, strings or complex numbers would be read as 1/0, 0.1 or a real part
            raise TypeError
        p = np.asarray(p, dtype=np.float64)
    except (TypeError, ValueError):
        got = {"b": "booleans", "U": "strings", "S": "strings", "c": "complex numbers"}.get(ck.dtype_kind(p),
                                                                                          type(p).__name__)
        raise TypeError(f"{name} returned {got}, not an array of probabilities ({n}, {n_classes}).") from None
    if p.shape != (n, n_classes):
        raise ValueError(f"{name} returned shape {p.shape} for {n} images; a judge must return probabilities "
                         f"(N, {n_classes}), one row per image.")
    if not np.all(np.isfinite(p)):
        raise ValueError(f"{name} returned NaN or infinite values; a judge must return probabilities.")
    tol = PROBABILITY_TOLERANCE
    if p.min() < -tol:
        raise ValueError(f"{name} returned negative values (min {p.min():.3g}): these look like log-probabilities "
                         "or logits; return probabilities (np.exp of log-probabilities, softmax of logits).")
    if p.max() > 1 + tol:
        raise ValueError(f"{name} returned values above 1 (max {p.max():.3g}): these look like logits or scores; "
                         "return probabilities (softmax of logits).")
    sums = p.sum(axis=1)
    worst = float(np.max(np.abs(sums - 1.0)))
    if worst > tol:
        raise ValueError(f"{name} returned rows that do not sum to 1 (off by up to {worst:.3g}); "
                         "return one probability per class, normalised per image.")
    return np.clip(p, 0.0, 1.0)


class SklearnJudge(Judge):
    """A fitted scikit-learn classifier on flattened pixels (e.g. the logistic regression)."""

    @checked(name=ck.using(_name_label), model=ck.using(_fitted_classifier, owner=ref("name")))
    def __init__(self, model, name: str = LR_NAME):
        self.model = model
        self.name = name
        self._columns = ck.check_labels(model.classes_, name="classes_")

    def _proba(self, x: np.ndarray) -> np.ndarray:
        p = self.model.predict_proba(x.reshape(len(x), -1))
        out = np.zeros((len(x), self.n_classes))
        out[:, self._columns] = p  # a class the model never saw gets probability 0
        return out


class FunctionJudge(Judge):
    """A plain function as a judge: ``fn(images (N, 28, 28)) -> probabilities (N, 10)``.

    Rows (N, 784) are tried when the function refuses images; what it returns is
    checked like every judge's output.
    """

    @checked(fn=ck.using(_function), name=ck.using(_optional_name_label))
    def __init__(self, fn, name: str | None = None):
        self.fn = fn
        self.name = name or getattr(fn, "__name__", None) or "judge"

    def _proba(self, x: np.ndarray) -> np.ndarray:
        try:
            return self.fn(x)
        except Exception as err:  # some functions want flat rows; try those before giving up
            try:
                return self.fn(x.reshape(len(x), -1))
            except Exception:
                raise TypeError(f"{self.name} judge failed on images (N, 28, 28) and on rows (N, 784): "
                                f"{type(err).__name__}: {err}") from err


def as_judge(judge, *, name: str = "judge") -> Judge:
    """``judge`` as a :class:`Judge`: a Judge as is, a fitted scikit-learn classifier (or its bound
    ``predict_proba``) as a :class:`SklearnJudge`, a Keras classifier as a :class:`KerasJudge`, any
    other callable as a :class:`FunctionJudge`; anything else is a TypeError naming ``name``."""
    if isinstance(judge, Judge):
        return judge
    if isinstance(judge, type):
        raise TypeError(f"{name}: got the class {judge.__name__}, not a judge; pass a fitted instance "
                        "(e.g. judges.lr_judge()) or a function images -> probabilities.")
    owner = getattr(judge, "__self__", None)
    if owner is not None and getattr(judge, "__name__", "") == "predict_proba":
        if isinstance(owner, Judge):
            return owner
        if hasattr(owner, "classes_") or hasattr(owner, "get_params"):  # a scikit-learn estimator
            judge = owner
    if hasattr(judge, "get_params") and hasattr(judge, "predict_proba"):  # scikit-learn, fitted or not
        label = LR_NAME if type(judge).__name__ == "LogisticRegression" else type(judge).__name__
        return SklearnJudge(judge, label)
    if hasattr(judge, "get_layer"):  # looks like Keras: import it only then (a function judge needs no TensorFlow)
        import keras

        if isinstance(judge, keras.Model):
            return KerasJudge(judge)
    if callable(judge):
        return FunctionJudge(judge)
    raise TypeError(f"{name}: expected a judge (judges.lr_judge(), judges.cnn_judge()[0]) or a function "
                    f"images (N, 28, 28) -> probabilities (N, 10), got {type(judge).__name__}.")


def as_judges(judges, *, name: str = "judges") -> list[Judge]:
    """One judge or a list of them, each through :func:`as_judge`; names must be distinct."""
    if judges is None:
        raise TypeError(f"{name}: pass at least one judge.")
    items = list(judges) if isinstance(judges, (list, tuple)) else [judges]
    if not items:
        raise ValueError(f"{name}: pass at least one judge.")
    out = [as_judge(j, name=f"{name}[{i}]") for i, j in enumerate(items)]
    names = [j.name for j in out]
    if len(set(names)) != len(names):
        raise ValueError(f"{name} need distinct names, got {names}.")
    return out


def _forward(net, x):
    """``net(x)`` in inference mode; traced by :class:`KerasJudge`."""
    return net(x, training=False)


class KerasJudge(Judge):
    """A Keras classifier whose last layer gives 10 logits and whose ``features`` layer is the penultimate one."""

    @checked(model=ck.using(_keras_classifier, owner=ref("name")), name=ck.using(_plain_name_label),
             feature_layer=ck.using(_feature_layer, model=ref("model"), owner=ref("name")),
             batch_size=ck.count(minimum=1))
    def __init__(self, model, name: str = CNN_NAME, feature_layer: str = "features", batch_size: int = 1024):
        import keras
        import tensorflow as tf

        self.model = model
        self.name = name
        self.batch_size = int(batch_size)
        features = model.get_layer(feature_layer).output
        # One forward pass gives both the features and the logits.
        self._both = keras.Model(model.input, [features, model.output], name=f"{model.name}_features")
        # Traced once: notebook 06 judges about a million images, and an eager call per batch of a
        # convolutional net was measured 30% slower (1.55 s against 1.10 s per 18,900 images).
        self._forward = tf.function(functools.partial(_forward, self._both), reduce_retracing=True)

    def _run(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        from keras import ops

        feats, logits = [], []
        for i in range(0, len(x), self.batch_size):
            f, lg = self._forward(x[i: i + self.batch_size])
            feats.append(ops.convert_to_numpy(f))
            logits.append(ops.convert_to_numpy(lg))
        return np.concatenate(feats), np.concatenate(logits).astype(np.float64)

    def _proba(self, x: np.ndarray) -> np.ndarray:
        return softmax(self._run(x)[1])

    @checked(images=ck.using(_features_images, judge=ref("self", _judge_name)))
    def features(self, images) -> np.ndarray:
        """Penultimate-layer activations (N, k): the space of the Frechet distance."""
        if len(images) == 0:
            return np.zeros((0, int(self._both.outputs[0].shape[-1])), np.float32)
        return self._run(images)[0]


@checked(logits=ck.using(_logits))
def softmax(logits: np.ndarray) -> np.ndarray:
    """Row-wise softmax in float64, shifted by the row maximum so no exp overflows."""
    z = logits - logits.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


def lr_judge(data: Dataset | None = None) -> SklearnJudge:
    """Judge 1: the cached logistic regression on raw pixels (helpers.classical)."""
    from .classical import mnist_logistic_regression

    return SklearnJudge(mnist_logistic_regression(data), LR_NAME)


# --- the CNN judge ----------------------------------------------------------------------------
#: Settings every CNN configuration needs (see :func:`cnn_config`).
CNN_SETTINGS = ("filters", "kernels", "dense", "dropout", "epochs", "batch_size", "learning_rate", "train_images",
                "seed")


@checked(settings=ck.instance(config.Settings, "config.SETTINGS", allow_none=True),
         overrides=ck.using(_known_cnn_settings), returns=_sensible_cnn_training)
def cnn_config(settings: config.Settings | None = None, **overrides) -> dict[str, Any]:
    """Architecture and schedule of the CNN judge for this mode.

    Two strided convolutions (no pooling layers: a stride-2 convolution
    downsamples and learns at once, at a quarter of the cost of a stride-1
    convolution followed by pooling), a 128-unit penultimate ``features``
    layer and 10 logits. Adam with a cosine decay to zero over the run.
    """
    s = settings or config.SETTINGS
    cfg = {
        "filters": [32, 64],
        "kernels": [5, 5],
        "dense": 128,
        "dropout": 0.25,
        "epochs": s.cnn_epochs,
        "batch_size": 128,
        "learning_rate": 2e-3,
        "train_images": s.train_subset or 60000,
        "seed": 0,
    }
    cfg.update(overrides)
    return cfg


@checked(cfg=ck.using(_cnn_architecture))
def build_cnn(cfg: dict[str, Any]):
    """The CNN judge as a functional Keras model: image (28, 28) -> 10 logits."""
    import keras
    from keras import layers

    x_in = keras.Input((28, 28), name="image")
    h = layers.Reshape((28, 28, 1), name="channel")(x_in)
    for i, (f, k) in enumerate(zip(cfg["filters"], cfg["kernels"])):
        h = layers.Conv2D(int(f), int(k), strides=2, padding="same", activation="relu", name=f"conv{i}")(h)
    h = layers.Flatten(name="flatten")(h)
    h = layers.Dense(int(cfg["dense"]), activation="relu", name="features")(h)
    if cfg.get("dropout"):
        h = layers.Dropout(float(cfg["dropout"]), name="dropout")(h)
    logits = layers.Dense(N_CLASSES, name="logits")(h)
    return keras.Model(x_in, logits, name="cnn_judge")


@checked(cfg=ck.using(_cnn_training), data=ck.using(as_dataset))
def train_cnn(data: Dataset, cfg: dict[str, Any], verbose: int = 2):
    """Build (one seed call) and fit the CNN on ``data``'s training images; returns (model, record)."""
    import keras

    config.seed_everything(int(cfg["seed"]))
    model = build_cnn(cfg)
    x = data.x_train[: cfg["train_images"]]
    y = data.y_train[: cfg["train_images"]]
    steps = int(cfg["epochs"]) * math.ceil(len(x) / int(cfg["batch_size"]))
    schedule = keras.optimizers.schedules.CosineDecay(float(cfg["learning_rate"]), decay_steps=max(1, steps))
    batches, steps_per_execution = shuffled_batches(x, y, batch_size=int(cfg["batch_size"]))
    model.compile(
        optimizer=keras.optimizers.Adam(schedule),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
        steps_per_execution=steps_per_execution,
        jit_compile="auto" if config.SETTINGS.xla else False,
    )
    from .vae import EpochTimer  # the same per-epoch clock as the VAE

    clock = EpochTimer()
    start = time.perf_counter()
    history = model.fit(batches, epochs=int(cfg["epochs"]), shuffle=False, verbose=verbose, callbacks=[clock])
    train_seconds = time.perf_counter() - start
    judge = KerasJudge(model)
    record = {
        "history": {k: [float(v) for v in vals] for k, vals in history.history.items()},
        "epoch_seconds": clock.seconds,
        "train_seconds": train_seconds,
        "train_images": len(x),
        "test_accuracy": judge.accuracy(data.x_test, data.y_test),
        "test_images": len(data.x_test),
        "parameters": int(model.count_params()),
        "measured": time.strftime("%Y-%m-%d"),
    }
    return model, record


@checked(cfg=ck.using(_cnn_settings), data=ck.optional(ck.using(as_dataset)))
def cnn_judge(data: Dataset | None = None, *, retrain: bool = False, cfg: dict[str, Any] | None = None,
              name: str = "cnn-judge", verbose: int = 2) -> tuple[KerasJudge, dict[str, Any]]:
    """Judge 2: the CNN, loaded from the model cache or trained (at most a few epochs) and cached.

    Returns ``(judge, record)``; the record holds the training history,
    ``train_seconds`` and ``test_accuracy``. ``cfg`` (see :func:`cnn_config`)
    and ``name`` let tests train a tiny network under another cache name.
    """
    data = load_mnist() if data is None else data
    n = cfg["train_images"]
    # The test split is part of the key too: the record's test accuracy was measured on it.
    key = cache.data_fingerprint(data.x_train[:n], data.y_train[:n], data.x_test, data.y_test)

    def train():
        return train_cnn(data, cfg, verbose=verbose)

    model, record, _ = cache.cached_model(name, cfg, train, data_key=key, retrain=retrain, verbose=bool(verbose))
    return KerasJudge(model, CNN_NAME), record
