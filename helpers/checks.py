"""Argument checks, kept apart from the ideas they guard.

Introduced in notebook 03, the first chapter that prints the series' own code.
Every public function of ``helpers`` checks what it is given and names the
argument at fault, with an error of the type a user expects (TypeError for the
wrong kind of thing, ValueError for a wrong value). The checks sit in one
decorator above the function, not in its body, so the body holds the idea
alone and a chapter can print exactly that (:func:`show_core`)::

    @checked(codes=numbers(ndim=2, what="codes (N, d)"), labels=labels(n=ref("codes", len)),
             quantile=number(low=0, high=0.5, low_open=True))
    def quantile_direction(codes, values, labels, quantile=0.25):
        ...                                   # the recipe, nothing else

``checked`` binds the call's arguments to the signature, passes each named one
through its *spec* in the order the decorator lists them, and calls the
function with what the specs return (an array as float32, a count as int...).
A spec is any callable ``spec(value, name, args)``; ``args`` holds the
arguments checked so far, so a spec can depend on one listed before it
(``ref("codes", len)``: the number of codes). The factories below cover what
the series needs; :func:`using` wraps any ``check(value, name=...)`` function.

The converters themselves (``check_images``, ``check_labels`` ...) live here
too and are used directly where a value is not an argument (a model's output,
a file's contents); ``helpers.data`` re-exports them.
"""

from __future__ import annotations

import functools
import inspect
import math
import re
import textwrap
from typing import Any, Callable, Mapping

import numpy as np

IMAGE_SHAPE = (28, 28)


# --- converters: one value in, the checked value out, or a clear error naming it ----------------------
def dtype_kind(x) -> str | None:
    """numpy's kind letter of what x holds ("f", "b", "U", ...), or None where numpy cannot read x as an array."""
    try:
        return (x if hasattr(x, "dtype") else np.asarray(x)).dtype.kind
    except (TypeError, ValueError, AttributeError):
        return None


def not_meant_as_numbers(x) -> bool:
    """Whether x holds booleans, strings or complex numbers, which numpy would read as 1/0, 0.5 or a real part."""
    return dtype_kind(x) in ("b", "U", "S", "c")


#: The largest count numpy can index (int64): a count beyond it cannot be an array's length.
MAX_COUNT = 2**63 - 1


def describe(value) -> str:
    """``repr(value)`` for a message, except that a huge integer reads "an integer of about 10**400".

    Python refuses to print integers of more than 4,300 digits, and a 400-digit one
    would bury the message.
    """
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > 10**15:
        return f"an integer of about {'-' if value < 0 else ''}10**{int(math.log10(abs(value)))}"
    return repr(value)


def _too_large(name: str, value, what: str) -> ValueError:
    """The error for an integer too large to be read as a float (10**400): OverflowError in numpy and Python."""
    got = "an integer" if value is None else describe(value)
    return ValueError(f"{name}: got {got}, too large for a floating-point number (beyond about 1.8e308); "
                      f"pass {what}.")


def _first_huge_int(x):
    """The first integer of x (nested lists) too large for a float64, or None."""
    stack = [x]
    while stack:
        item = stack.pop()
        if isinstance(item, int) and not isinstance(item, bool):
            if abs(item) > 1.7e308:
                return item
        elif isinstance(item, (list, tuple)):
            stack.extend(reversed(item))
        elif isinstance(item, np.ndarray) and item.dtype == object:
            stack.extend(reversed(item.ravel().tolist()))
    return None


def is_complex(x) -> bool:
    """Whether x holds complex numbers (False for what numpy cannot read: the caller's check says why)."""
    try:
        return bool(np.iscomplexobj(x))
    except (TypeError, ValueError):
        return False


def _as_array(x, name: str, what: str) -> np.ndarray:
    """``np.asarray(x)``, with a clear error for None, ragged lists and objects numpy cannot read."""
    if x is None:
        raise TypeError(f"{name}: got None; pass {what}.")
    try:
        arr = np.asarray(x)
    except (ValueError, TypeError) as err:  # ragged nested lists, objects without __array__
        raise ValueError(f"{name}: cannot read a {type(x).__name__} as an array ({err}); pass {what}.") from None
    if arr.dtype == object or arr.dtype.kind in "USV":
        raise TypeError(f"{name}: got {type(x).__name__} of dtype {arr.dtype}; pass {what}.")
    return arr


def check_images(x: np.ndarray, *, name: str = "images") -> np.ndarray:
    """Validate a batch of images: shape (N, 28, 28) or (N, 784), values in [0, 1].

    Returns the batch as float32 (N, 28, 28). Used by every model's ``encode``.
    """
    x = _as_array(x, name, "float images in [0, 1] of shape (N, 28, 28)")
    if x.ndim == 2 and x.shape[1] == 784:
        x = x.reshape(-1, *IMAGE_SHAPE)
    elif x.shape == IMAGE_SHAPE:
        raise ValueError(f"{name}: got one image of shape {x.shape}; pass a batch, e.g. x[None].")
    if x.ndim != 3 or x.shape[1:] != IMAGE_SHAPE:
        raise ValueError(f"{name}: expected shape (N, 28, 28) or (N, 784), got {x.shape}.")
    if not np.issubdtype(x.dtype, np.floating):
        # the fix depends on what was passed: grey levels, a mask, or complex numbers
        fix = {"b": "convert a mask with x.astype(np.float32)",
               "c": "pass real numbers (x.real, if the imaginary parts are zero)"}.get(
            x.dtype.kind, "divide 0-255 grey levels by 255, e.g. x / 255.0 (load_mnist does this)")
        raise ValueError(f"{name}: expected float images in [0, 1], got dtype {x.dtype}; {fix}.")
    if not np.all(np.isfinite(x)):
        raise ValueError(f"{name}: contains NaN or infinite values; pass finite pixel values in [0, 1] "
                         "(np.nan_to_num(x) sets NaN to 0).")
    if x.size and (x.min() < -1e-6 or x.max() > 1 + 1e-6):
        hint = "; divide grey levels 0-255 by 255" if x.min() >= 0 and x.max() <= 255 else ""
        raise ValueError(f"{name}: values span [{x.min():.3g}, {x.max():.3g}], expected [0, 1]{hint}.")
    return x.astype(np.float32, copy=False)


def check_count(n, *, name: str = "n", minimum: int = 0, allow_none: bool = False,
                maximum: int | None = MAX_COUNT) -> int | None:
    """An integer count in [``minimum``, ``maximum``] (a bool is not a count), or a clear error naming ``name``.

    ``maximum`` is by default the largest length numpy can index (2**63 - 1); None allows any integer
    (a dimension used only in a formula, such as ``latent.prior_typical_norm``'s).
    """
    if n is None and allow_none:
        return None
    if isinstance(n, (bool, np.bool_)) or not isinstance(n, (int, np.integer)):
        if isinstance(n, (float, np.floating)) and float(n).is_integer():
            n = int(n)  # 100.0 reads as 100
        else:
            kind = "an integer" + (" or None" if allow_none else "")
            raise TypeError(f"{name} must be {kind}, got {n!r} ({type(n).__name__}).")
    if n < minimum:
        raise ValueError(f"{name} must be at least {minimum}, got {describe(n)}.")
    if maximum == MAX_COUNT and n > MAX_COUNT:
        raise ValueError(f"{name}: got {describe(n)}, more than any array can hold (numpy counts up to 2**63 - 1); "
                         f"pass a smaller {name}.")
    if maximum is not None and n > maximum:
        raise ValueError(f"{name} must be at most {maximum:,}, got {describe(n)}.")
    return int(n)


def random_generator(seed=None, *, name: str = "seed") -> np.random.Generator:
    """``np.random.default_rng(seed)`` for None, a non-negative integer or a Generator; else a clear error."""
    if seed is None or isinstance(seed, np.random.Generator):
        return np.random.default_rng(seed)
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"{name} must be a non-negative integer, None or a numpy Generator, got {seed!r}.")
    if seed < 0:
        raise ValueError(f"{name} must be a non-negative integer, got {seed}.")
    return np.random.default_rng(int(seed))


def check_settings(cfg, required, *, name: str, example: str) -> dict:
    """A settings dict holding every key in ``required``, or a clear error naming what is missing.

    ``example`` names where a complete dict comes from (e.g. ``"vae.training_config(20)"``).
    """
    if not isinstance(cfg, Mapping):
        raise TypeError(f"{name}: expected a dict of settings such as {example}, got {type(cfg).__name__}.")
    missing = [k for k in required if k not in cfg]
    if missing:
        raise ValueError(f"{name}: missing settings {missing}; start from {example} and change what you need.")
    return dict(cfg)


def check_positive(value, *, name: str) -> float:
    """A finite number > 0 (a learning rate, a weight), or a clear error naming ``name``."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name} must be a positive number, got {value!r} ({type(value).__name__}).")
    try:
        value = float(value)
    except OverflowError:
        raise _too_large(name, value, "a positive finite number") from None
    if not (np.isfinite(value) and value > 0):
        raise ValueError(f"{name} must be a positive finite number, got {value!r}.")
    return value


def check_number(value, *, name: str, low: float | None = None, high: float | None = None,
                 low_open: bool = False, high_open: bool = False) -> float:
    """A finite number within [low, high] (an end is excluded when ``low_open`` / ``high_open``)."""
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value.item()
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name} must be a number, got {value!r} ({type(value).__name__}).")
    try:
        value = float(value)
    except OverflowError:
        raise _too_large(name, value, "a finite number") from None
    below = low is not None and (value < low or (low_open and value == low))
    above = high is not None and (value > high or (high_open and value == high))
    if not np.isfinite(value) or below or above:
        left, right = ("(" if low_open else "[", ")" if high_open else "]")
        span = f" in {left}{'-inf' if low is None else f'{low:g}'}, {'inf' if high is None else f'{high:g}'}{right}"
        raise ValueError(f"{name} must be a finite number{span if low is not None or high is not None else ''}, "
                         f"got {value!r}.")
    return value


def check_numbers(x, *, name: str, ndim=None, finite: bool = True, what: str | None = None,
                  keep_float: bool = False) -> np.ndarray:
    """``x`` as a float64 array (of ``ndim`` dimensions: an int or a tuple of allowed ones), or a clear error.

    ``what`` describes what to pass (e.g. "codes (N, d)"); NaN and infinities are refused when ``finite``.
    ``keep_float`` keeps a float array as it is (float32 stays float32, no copy): for large arrays,
    where a float64 copy would double the memory (60,000 pixel codes: 376 MB).
    """
    what = what or "an array of numbers"
    if x is None or isinstance(x, (str, bytes)):
        raise TypeError(f"{name}: expected {what}, got {x!r}.")
    if is_complex(x):
        raise TypeError(f"{name}: expected {what}, got complex numbers; pass real ones (x.real, if the imaginary "
                        "parts are zero).")
    if dtype_kind(x) in ("U", "S"):
        raise TypeError(f"{name}: expected {what}, got strings; pass numbers.")
    if dtype_kind(x) == "b":  # True/False would be read as 1/0
        raise TypeError(f"{name}: expected {what}, got booleans; pass numbers, e.g. x.astype(np.float32) if 1/0 "
                        "is meant.")
    try:
        floating = keep_float and isinstance(x, np.ndarray) and x.dtype.kind == "f"
        arr = x if floating else np.asarray(x, dtype=np.float64)
    except OverflowError:
        raise _too_large(name, _first_huge_int(x), what) from None
    except (TypeError, ValueError):
        raise TypeError(f"{name}: expected {what}, got a {type(x).__name__} that is not an array of numbers.") \
            from None
    allowed = (ndim,) if isinstance(ndim, int) else ndim
    if allowed is not None and arr.ndim not in allowed:
        raise ValueError(f"{name}: expected {what}, got shape {arr.shape}.")
    if finite and not np.all(np.isfinite(arr)):
        raise ValueError(f"{name}: contains NaN or infinite values; pass {what} of finite numbers.")
    return arr


def check_labels(y, n_images: int | None = None, n_classes: int = 10, *, name: str = "labels") -> np.ndarray:
    """Class labels as int64 (N,): integer ids in [0, n_classes), one per image.

    Integral floats (3.0) and exact one-hot rows (N, n_classes) are read as the
    class ids they denote; anything else (NaN, fractions, strings, other shapes,
    out-of-range ids, a count other than ``n_images``) is a clear error.
    """
    what = f"integer class ids 0-{n_classes - 1}, one per image"
    y = _as_array(y, name, what)
    if y.dtype == bool:
        raise TypeError(f"{name}: got booleans; pass {what}.")
    if y.dtype.kind not in "iuf":
        raise TypeError(f"{name}: got dtype {y.dtype}; pass {what}.")
    if y.dtype.kind == "f" and not np.all(np.isfinite(y)):
        raise ValueError(f"{name}: contains NaN or infinite values; pass {what}.")
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    elif y.ndim == 2 and y.shape[1] == n_classes and y.size:
        one_hot = np.all((y == 0) | (y == 1)) and np.all(y.sum(axis=1) == 1)
        if not one_hot:
            raise ValueError(f"{name}: got an (N, {n_classes}) array that is not one-hot; pass {what} "
                             "(e.g. y.argmax(axis=1)).")
        y = y.argmax(axis=1)
    if y.ndim != 1:
        raise ValueError(f"{name}: expected shape (N,), got {y.shape}; pass {what}.")
    if y.dtype.kind == "f":
        if np.any(y != np.round(y)):
            raise ValueError(f"{name}: contains fractional values such as {y[y != np.round(y)][0]!r}; pass {what}.")
    y = y.astype(np.int64, copy=False)
    if y.size and (y.min() < 0 or y.max() >= n_classes):
        bad = y[(y < 0) | (y >= n_classes)]
        raise ValueError(f"{name} must lie in 0..{n_classes - 1} (integer class ids), got class {int(bad[0])}.")
    if n_images is not None and len(y) != n_images:
        raise ValueError(f"{name}: {len(y)} labels for {n_images} images; pass one label per image.")
    return y


def check_class(label: int, n_classes: int = 10, *, name: str = "class") -> int:
    """An integer class index in [0, n_classes), or a clear ValueError."""
    if isinstance(label, (bool, np.bool_)) or not isinstance(label, (int, np.integer)):
        raise ValueError(f"{name}: expected an integer class 0-{n_classes - 1}, got {label!r}.")
    if not 0 <= int(label) < n_classes:
        raise ValueError(f"{name}: unknown class {label}; classes are 0-{n_classes - 1}.")
    return int(label)


#: The most alphas a move or a path takes at once: a slider has 61-81; every alpha is a decoded image per digit.
MAX_ALPHAS = 10_000


def check_alphas(alphas, *, name: str = "alphas") -> np.ndarray:
    """A number or a 1-D sequence of finite numbers as float32 (A,), or a clear error naming ``name``."""
    if alphas is None or isinstance(alphas, (str, bytes, bool, np.bool_)) or getattr(alphas, "dtype", None) == bool:
        raise TypeError(f"{name} must be a number or a 1-D sequence of numbers, got {alphas!r}.")
    try:
        if not_meant_as_numbers(alphas):
            raise TypeError
        a = np.atleast_1d(np.asarray(alphas, dtype=np.float64))
    except OverflowError:
        raise _too_large(name, _first_huge_int(alphas), "finite numbers") from None
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a number or a 1-D sequence of real numbers, got {alphas!r}.") from None
    if a.size > MAX_ALPHAS:
        raise ValueError(f"{name}: got {a.size:,} values; pass at most {MAX_ALPHAS:,} (each is an image per digit).")
    with np.errstate(over="ignore"):
        a = a.astype(np.float32)
    if a.ndim != 1:
        raise ValueError(f"{name} must be a number or a 1-D sequence, got shape {a.shape}.")
    if not np.all(np.isfinite(a)):
        raise ValueError(f"{name} must be finite numbers (within the float32 range).")
    if a.size == 0:
        raise ValueError(f"{name}: got an empty sequence; pass at least one value.")
    return a


def check_flag(value, *, name: str) -> bool:
    """True or False (numpy's bools too); anything else is a TypeError naming ``name``."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {value!r}.")
    return bool(value)


def check_fitted_instance(model, *, name: str, example: str) -> Any:
    """A classifier instance that has been fitted: the class itself, or an unfitted scikit-learn estimator
    (whose predict would raise NotFittedError from inside scikit-learn), is refused naming ``name``."""
    if isinstance(model, type):
        raise TypeError(f"{name}: got the class {model.__name__}, not a fitted classifier; fit an instance first.")
    if hasattr(model, "get_params") and not hasattr(model, "classes_"):
        raise ValueError(f"{name}: this {type(model).__name__} is not fitted yet; call .fit(x, y) on training "
                         f"digits first, or pass a fitted judge such as {example}.")
    return model


def check_digit_classes(model, *, name: str) -> np.ndarray:
    """A classifier's ``classes_`` as int64: distinct digit labels 0-9 in increasing order, as scikit-learn's fit
    sets them, or a ValueError naming ``name`` (the judge) and classes_.

    They name the columns of its predict_proba (and predict returns ``classes_[argmax]``); a classes_ set by
    hand (reversed, duplicated, fractional, strings) would put each probability under the wrong digit.
    """
    expected = f"{name}: expected a classifier fitted on digit labels 0-9"
    try:
        classes = check_labels(getattr(model, "classes_", None), name="classes_")
    except (TypeError, ValueError) as err:
        raise ValueError(f"{expected}; its {err}") from None
    if classes.size == 0 or np.any(np.diff(classes) <= 0):
        raise ValueError(f"{expected}, got classes_ {classes.tolist()}: .fit sets distinct labels in increasing "
                         "order, one per column of predict_proba; fit the classifier rather than set classes_.")
    return classes


def check_digit_classifier(model, *, name: str) -> Any:
    """A fitted scikit-learn-style classifier that judges digits: its ``classes_`` pass :func:`check_digit_classes`,
    it reads the 784 pixels of a digit, and (when it has predict_proba) gives one column per class for a blank
    digit; else a ValueError naming ``name``.

    The one check for every place a scikit-learn classifier judges digits (``judges.SklearnJudge``,
    ``bigan.judged_labels``, ``classical.judge_hits``): a classes_ set by hand, of another length than the
    columns, or on an unfitted model shows here, not as wrong labels or a library's error at the first judgement.
    """
    classes = check_digit_classes(model, name=name)
    features = getattr(model, "n_features_in_", 784)
    if features != 784:
        raise ValueError(f"{name}: the classifier was fitted on {features} features, but a judge reads the 784 "
                         "pixels of each digit; fit it on x.reshape(len(x), -1).")
    if callable(getattr(model, "predict_proba", None)):
        # One blank digit: a classes_ set by hand on an unfitted model, or of another length than the columns, shows
        # here rather than as scikit-learn's AttributeError (or numpy's broadcast error) at the first judgement.
        try:
            columns = np.shape(model.predict_proba(np.zeros((1, 784), np.float32)))
        except Exception as err:
            raise ValueError(f"{name}: this {type(model).__name__} cannot judge a blank digit ({type(err).__name__}: "
                             f"{err}); is it fitted? call .fit(x, y) on training digits first.") from None
        if columns != (1, len(classes)):
            raise ValueError(f"{name}: classes_ names {len(classes)} classes but predict_proba gives shape {columns} "
                             "for one digit; fit the classifier rather than set classes_.")
    return model


def check_choice(value, options, *, name: str) -> Any:
    """One of ``options`` (compared with ==; True is not 1 here), or a ValueError listing them."""
    is_bool = isinstance(value, (bool, np.bool_))
    if isinstance(value, (list, dict, set, np.ndarray)) or not any(
            value == o and is_bool == isinstance(o, (bool, np.bool_)) for o in options):
        raise ValueError(f"unknown {name} {value!r}: {name} must be one of {', '.join(repr(o) for o in options)}.")
    return value


# --- the decorator ------------------------------------------------------------------------------------------
Spec = Callable[[Any, str, dict], Any]


def checked(*, returns: Spec | None = None, **specs: Spec):
    """Decorator: check the named arguments with their specs before the function runs.

    Specs run in the order given, each on the argument's value (defaults
    included) and seeing the arguments checked before it; the function is
    called with what they return. A call that does not fit the signature at
    all is a TypeError naming the function. ``returns`` checks the result the
    same way (``spec(result, "result", args)``): for results that only the
    computation can reveal as unusable, such as a path beyond the float32
    range; the body then runs without numpy's overflow warnings, since the
    result's check judges the numbers.
    """

    def decorate(fn):
        signature = inspect.signature(fn)
        unknown = [name for name in specs if name not in signature.parameters]
        if unknown:
            raise TypeError(f"@checked on {fn.__qualname__}: no parameter named {unknown}.")

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            try:
                bound = signature.bind(*args, **kwargs)
            except TypeError as err:
                raise TypeError(f"{fn.__qualname__}(): {err}") from None
            bound.apply_defaults()
            values = bound.arguments
            for name, spec in specs.items():
                values[name] = spec(values[name], name, values)
            if returns is None:
                return fn(*bound.args, **bound.kwargs)
            with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
                result = fn(*bound.args, **bound.kwargs)
            return returns(result, "result", values)

        wrapper.checks = dict(specs, **({"returns": returns} if returns else {}))
        # The function's own signature, also for inspect.getfullargspec (which ignores __wrapped__):
        # Keras reads a layer's __init__ arguments that way.
        wrapper.__signature__ = signature
        return wrapper

    return decorate


class ref:
    """A spec option taken from another, already checked argument: ``ref("codes", len)`` is len(codes)."""

    def __init__(self, argument: str, transform: Callable[[Any], Any] | None = None):
        self.argument, self.transform = argument, transform

    def resolve(self, args: dict) -> Any:
        value = args[self.argument]
        return value if self.transform is None else self.transform(value)


def _resolved(options: dict, args: dict) -> dict:
    return {k: (v.resolve(args) if isinstance(v, ref) else v) for k, v in options.items()}


def using(check: Callable, *, label: str | None = None, **options) -> Spec:
    """A spec from any ``check(value, name=..., **options)`` converter; options may be :class:`ref`.

    ``label`` replaces the argument's name in messages (e.g. "target class a").
    """

    def spec(value, name, args):
        return check(value, name=label or name, **_resolved(options, args))

    spec.__name__ = getattr(check, "__name__", "check")
    return spec


def optional(inner: Spec) -> Spec:
    """``inner``, except that None passes unchanged (an argument whose None means "the default")."""

    def spec(value, name, args):
        return None if value is None else inner(value, name, args)

    return spec


def images(**options) -> Spec:
    """Images (N, 28, 28) or (N, 784) in [0, 1], as float32 (N, 28, 28)."""
    return using(check_images, **options)


def count(minimum: int = 0, allow_none: bool = False, **options) -> Spec:
    """An integer count >= ``minimum``."""
    return using(check_count, minimum=minimum, allow_none=allow_none, **options)


def number(low=None, high=None, low_open: bool = False, high_open: bool = False, **options) -> Spec:
    """A finite number, within [low, high] when given (ends excluded when ``*_open``)."""
    return using(check_number, low=low, high=high, low_open=low_open, high_open=high_open, **options)


def positive(**options) -> Spec:
    """A finite number > 0."""
    return using(check_positive, **options)


def numbers(ndim=None, finite: bool = True, what: str | None = None, **options) -> Spec:
    """An array of numbers as float64, of ``ndim`` dimensions (an int or a tuple of allowed ones)."""
    return using(check_numbers, ndim=ndim, finite=finite, what=what, **options)


def labels(n=None, n_classes=10, **options) -> Spec:
    """Class ids as int64 (N,); ``n`` (often ``ref("x", len)``) is how many there must be."""
    return using(check_labels, n_images=n, n_classes=n_classes, **options)


def check_labels_of_every_class(y, n_images: int, n_classes: int, *, name: str = "labels") -> np.ndarray:
    """Labels (one per code) in which every one of ``n_classes`` classes occurs: each class needs a centroid."""
    y = check_labels(y, n_images, n_classes, name=name)
    if n_classes > n_images:
        raise ValueError(f"n_classes={n_classes} but only {n_images} codes: every class needs at least one.")
    missing = np.flatnonzero(np.bincount(y, minlength=n_classes) == 0)
    if missing.size:
        raise ValueError(f"no training samples of class(es) {missing.tolist()} in {name}; every class needs at "
                         "least one.")
    return y


def labels_of_every_class(n, n_classes, **options) -> Spec:
    """Class ids as int64 (N,) in which every class occurs (latent.class_geometry, scoring's centroids)."""
    return using(check_labels_of_every_class, n_images=n, n_classes=n_classes, **options)


def class_id(n_classes=10, **options) -> Spec:
    """One integer class in [0, n_classes)."""
    return using(check_class, n_classes=n_classes, **options)


def alphas(**options) -> Spec:
    """A number or a 1-D sequence of finite numbers, as float32 (A,)."""
    return using(check_alphas, **options)


def flag(**options) -> Spec:
    """True or False."""
    return using(check_flag, **options)


def one_of(*options_: Any, label: str | None = None) -> Spec:
    """One of the given values."""
    return using(check_choice, options=options_, label=label)


def seed(**options) -> Spec:
    """None, a non-negative integer or a numpy Generator (returned unchanged)."""

    def check_seed(value, *, name):
        random_generator(value, name=name)
        return value

    return using(check_seed, **options)


def instance(kinds, example: str, *, allow_none: bool = False) -> Spec:
    """An instance of ``kinds`` (a class or a tuple); ``example`` says where one comes from."""
    names = " or ".join(k.__name__ for k in (kinds if isinstance(kinds, tuple) else (kinds,)))

    def spec(value, name, args):
        if value is None and allow_none:
            return None
        if not isinstance(value, kinds):
            raise TypeError(f"{name} must be a {names} (e.g. {example}), got {type(value).__name__}.")
        return value

    return spec


def model() -> Spec:
    """A generative model with the series' interface (``helpers.interface``)."""

    def spec(value, name, args):
        from .interface import check_model

        check_model(value)
        return value

    return spec


def codes(latent_dim, **options) -> Spec:
    """Codes as float32 (N, latent_dim); ``latent_dim`` is an int or a :class:`ref`."""

    def check(value, *, name, latent_dim):
        from .interface import check_codes

        return check_codes(value, latent_dim, name=name)

    return using(check, latent_dim=latent_dim, **options)


# --- printing the idea ------------------------------------------------------------------------------------
def core_source(fn, *, docstring: bool = False) -> str:
    """The source of ``fn`` as a chapter prints it: no decorators, no argument checks, no docstring.

    Works on functions and methods decorated with :func:`checked` (and any
    other decorator), and on classes' methods reached through the class.
    """
    target = inspect.unwrap(fn)
    source = textwrap.dedent(inspect.getsource(target))
    lines = source.splitlines()
    start = next(i for i, line in enumerate(lines) if re.match(r"(async\s+)?def |class ", line))
    lines = lines[start:]
    if not docstring:
        lines = _without_docstring(lines, target)
    return "\n".join(lines).rstrip() + "\n"


def _without_docstring(lines: list[str], target) -> list[str]:
    doc = inspect.getdoc(target) if getattr(target, "__doc__", None) else None
    if not doc:
        return lines
    # The header may span several lines: the body starts after the line ending with ':'.
    body = next(i for i, line in enumerate(lines) if line.rstrip().endswith(":")) + 1
    quote = lines[body].strip()[:3]
    if quote not in ('"""', "'''"):
        return lines
    end = body
    if not (lines[body].strip().count(quote) >= 2 and len(lines[body].strip()) > 3):
        end = next(i for i in range(body + 1, len(lines)) if quote in lines[i])
    rest = lines[end + 1:]
    while rest and not rest[0].strip():
        rest = rest[1:]
    return lines[:body] + rest


def show_core(*fns, docstring: bool = False):
    """Display the core of each function as a highlighted code block (notebooks call this)."""
    from IPython.display import Markdown

    blocks = [core_source(fn, docstring=docstring) for fn in fns]
    return Markdown("\n".join(f"```python\n{b}```" for b in blocks))


__all__ = [
    "alphas", "check_alphas", "check_choice", "check_class", "check_count", "check_digit_classes",
    "check_digit_classifier", "check_flag", "check_images",
    "check_labels", "check_number", "check_numbers", "check_positive", "check_settings", "checked", "class_id",
    "codes", "core_source", "count", "flag", "images", "instance", "labels", "model", "number", "numbers",
    "one_of", "optional", "positive", "random_generator", "ref", "seed", "show_core", "using",
]
