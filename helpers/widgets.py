"""The interactive interpolation explorer and its static stand-in.

Introduced in notebook 05; notebook 07 adds attribute axes. The explorer is
one ipywidgets widget written with anywidget: its page side is the ES module
``helpers/explorer.js``, which it shares with the page-only block of
:mod:`helpers.browser_explorer`, so both look and behave alike (model, axis,
class pair, digit thumbnails, alpha, the judge's bars). When the reader picks
a setting other than alpha, the page sends it to the kernel in one message;
the kernel decodes and judges every step of alpha in one batch
(:meth:`InterpolationExplorer.frame_set`) and sends them back in one message.
Alpha moves then only swap frames in the page: no alpha move waits on the
kernel. Any model with the shared interface (helpers.interface), wrapped in a
:class:`~helpers.latent.LatentSpace`, works, however slow its decoder: its
frames are computed in the kernel. Without a kernel (GitHub, nbviewer, the
HTML pages, the decks) the page-only block and :func:`small_multiples` stand in.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import anywidget
import matplotlib.pyplot as plt
import numpy as np
import traitlets

from . import checks as ck
from .checks import check_class, check_images, check_number, check_numbers, checked, ref
from .judges import as_judge
from .latent import LatentSpace

#: A judge: images (N, 28, 28) in [0, 1] -> class probabilities (N, 10).
ProbaFn = Callable[[np.ndarray], np.ndarray]

#: The explorer's page side, shared with helpers.browser_explorer.
MODULE = Path(__file__).with_name("explorer.js")

#: Bar colours: the target class a, the start class b, the digit's own class, every other class.
TARGET_COLOUR, START_COLOUR, OWN_COLOUR, OTHER_COLOUR = "tab:red", "tab:blue", "0.15", "0.65"

#: What GitHub shows for the widget (it renders a widget output's text/plain; ipywidgets 7 cuts it at 110 characters).
PLAIN_TEXT = "Interactive explorer: a live widget, run the notebook to use it."


def _check_range(values, *, name: str) -> tuple[float, float]:
    """A slider range (low, high) of two finite numbers with low < high (not '12', ('-1', '2') or (True, 2))."""
    wrong = TypeError(f"{name} must be two numbers (low, high), e.g. (-1, 2), got {values!r}.")
    if isinstance(values, (str, bytes, Mapping, set)) or ck.not_meant_as_numbers(values):
        raise wrong  # a string is a sequence of characters, a dict of its keys: neither is meant as two numbers
    try:
        items = list(values)
    except TypeError:
        raise wrong from None
    if len(items) != 2 or any(isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, float, np.integer, np.floating))
                              for v in items):
        raise wrong
    try:
        low, high = (float(v) for v in items)
    except OverflowError:
        raise ck._too_large(name, ck._first_huge_int(items), "two finite numbers (low, high)") from None
    if not (np.isfinite(low) and np.isfinite(high) and low < high):
        raise ValueError(f"{name} must be (low, high) with finite low < high, got {values!r}.")
    return low, high


def _check_spaces(spaces, *, name: str = "spaces") -> dict[str, LatentSpace]:
    """The explorer's ``spaces``: a non-empty dict of model name -> LatentSpace."""
    if not isinstance(spaces, Mapping):
        raise TypeError(f"spaces must be a dict of model name -> LatentSpace, e.g. {{'VAE-20d': space}}, "
                        f"got {type(spaces).__name__}.")
    if not spaces:
        raise ValueError("the explorer needs at least one model's LatentSpace.")
    for name, space in spaces.items():
        if not isinstance(space, LatentSpace):
            raise TypeError(f"spaces[{name!r}] is a {type(space).__name__}, not a LatentSpace; wrap the model as "
                            "LatentSpace(model, data.x_train, data.y_train).")
    return dict(spaces)


def _check_test_digits(x, *, name: str) -> np.ndarray:
    x = check_images(x, name=name)
    if len(x) == 0:
        raise ValueError(f"{name}: the explorer needs at least one test digit.")
    return x


def _check_step(step, *, name: str, pair, axis) -> float:
    """An alpha step that divides both slider ranges into at most 2,000 steps."""
    step = check_number(step, name=name, low=0.0, low_open=True)
    for low, high in (pair, axis):
        if abs((high - low) / step - round((high - low) / step)) > 1e-6 or (high - low) / step > 2000:
            raise ValueError(f"{name} must divide alpha_range and attribute_range into at most 2,000 "
                             f"steps, got {step} for ({low}, {high}).")
    return step


def _check_start(start, *, name: str) -> tuple[int, int]:
    if not (isinstance(start, (tuple, list)) and len(start) == 2):
        raise TypeError(f"{name} must be a class pair (b, a) such as (6, 0), got {start!r}.")
    return check_class(start[0], name=f"{name} class b"), check_class(start[1], name=f"{name} class a")


def _check_sample_class(c, *, name: str, y_test: np.ndarray) -> int:
    c = check_class(c, name=name)
    if not np.any(y_test == c):
        raise ValueError(f"{name}: no test digit of class {c} in y_test; pass {name}= one of "
                         f"{np.unique(y_test).tolist()}.")
    return c


def _check_digits(digits, *, name: str, y_test: np.ndarray, sample_class: int, per_class: int = 4) -> np.ndarray:
    """The test digits on offer (indices into x_test); by default the first PER_CLASS of each class."""
    if digits is None:
        return np.concatenate([np.flatnonzero(y_test == c)[:per_class] for c in np.unique(y_test)])
    idx = check_numbers(digits, name=name, ndim=1, what="indices into x_test, e.g. [0, 5, 17]")
    if idx.size == 0 or idx.size > 100 or np.any(idx != np.round(idx)) or idx.min() < 0 or idx.max() >= len(y_test):
        raise ValueError(f"digits must be 1 to 100 indices into x_test (0..{len(y_test) - 1}), got {digits!r}.")
    if not np.any(y_test[idx.astype(np.int64)] == sample_class):
        raise ValueError(f"sample_class: none of digits is a {sample_class}; add one, or pass another sample_class.")
    return idx.astype(np.int64)


#: The axis menu's entry for moving along a class vector b -> a (the other entries name attribute axes).
CLASS_PAIR = "class pair"

#: Attribute axes of the explorer: {model name: {axis name: direction (latent_dim,)}}.
Axes = Mapping[str, Mapping[str, np.ndarray]]


def check_vector(vector, latent_dim: int, name: str = "vector") -> np.ndarray:
    """A direction in a latent space of LATENT_DIM: finite, non-zero, shape (latent_dim,); as float32."""
    if isinstance(vector, (str, bytes)) or ck.not_meant_as_numbers(vector):  # ['1', '2'] and booleans read as numbers
        raise TypeError(f"{name} must be a numeric array of shape ({latent_dim},), got "
                        f"{ck.dtype_kind(vector) == 'b' and 'booleans' or 'strings or complex numbers'}; pass numbers.")
    try:
        v = np.asarray(vector, dtype=np.float64)
    except OverflowError:
        raise ck._too_large(name, ck._first_huge_int(vector), f"a finite direction of shape ({latent_dim},)") from None
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a numeric array of shape ({latent_dim},), "
                        f"got {type(vector).__name__}.") from None
    if v.shape != (latent_dim,):
        raise ValueError(f"{name} must have shape ({latent_dim},) (the model's latent_dim), got {v.shape}.")
    if not np.all(np.isfinite(v)):
        raise ValueError(f"{name} has {int((~np.isfinite(v)).sum())} non-finite entries; pass a finite direction.")
    if not np.any(v):
        raise ValueError(f"{name} is all zeros: it would not move the digit; pass a non-zero direction.")
    return v.astype(np.float32)


def check_axes(axes: Axes | None, spaces: Mapping[str, LatentSpace], *, name: str = "axes"
               ) -> dict[str, dict[str, np.ndarray]]:
    """Validate the explorer's ``axes`` argument against ``spaces``; returns float32 copies."""
    if axes is None:
        return {}
    if not isinstance(axes, Mapping):
        raise TypeError("axes must map a model name to {axis name: direction vector}, "
                        f"e.g. {{'VAE-20d': {{'thickness': v}}}}; got {type(axes).__name__}.")
    checked: dict[str, dict[str, np.ndarray]] = {}
    for model, named in axes.items():
        if not isinstance(model, str):
            raise TypeError(f"axes keys must be model names (str), got {model!r}.")
        if model not in spaces:
            raise ValueError(f"axes names model {model!r}, which is not in spaces; models: {list(spaces)}.")
        if not isinstance(named, Mapping):
            raise TypeError(f"axes[{model!r}] must map an axis name to a direction vector, "
                            f"got {type(named).__name__}.")
        checked[model] = {}
        for axis, vector in named.items():
            if not isinstance(axis, str) or not axis.strip():
                raise TypeError(f"axis names in axes[{model!r}] must be non-empty strings, got {axis!r}.")
            if axis == CLASS_PAIR:
                raise ValueError(f"{CLASS_PAIR!r} is the explorer's class-pair mode; name the axis otherwise.")
            checked[model][axis] = check_vector(vector, spaces[model].latent_dim, name=f"axes[{model!r}][{axis!r}]")
    return checked


def _ink(images: np.ndarray) -> np.ndarray:
    """Images in [0, 1] as the page draws them: (N, 784) bytes, 255 = ink 1."""
    return np.rint(np.clip(images, 0, 1) * 255).astype(np.uint8).reshape(len(images), 784)


@dataclass(frozen=True)
class FrameSet:
    """Every step of alpha of one setting: what the page receives in one message."""

    settings: dict       # model, axis, b, a, digit (and alpha: where the slider stood)
    alphas: np.ndarray   # (A,)
    images: np.ndarray   # (A, 28, 28) in [0, 1], model.decode's
    probs: np.ndarray    # (A, 10), the judge's
    seconds: float       # to encode, decode and judge them

    @property
    def ink(self) -> np.ndarray:
        """The images as the page receives them: (A, 784) bytes, 255 = ink 1."""
        return _ink(self.images)

    @property
    def payload(self) -> bytes:
        """One message's binary buffer: the probabilities as float32, then the images' bytes."""
        return self.probs.astype("<f4").tobytes() + self.ink.tobytes()


class InterpolationExplorer(anywidget.AnyWidget):
    """ipywidgets explorer of decode(encode(x) + alpha v), with v a class vector or an attribute axis.

    ``spaces`` maps a model name to its fitted :class:`LatentSpace`;
    ``judge`` maps images to class probabilities. In class-pair mode (the
    default, notebook 05) v = z_a - z_b for the classes chosen in the "from b"
    and "to a" menus. ``axes`` (notebook 07) adds attribute axes per model:
    ``{model name: {axis name: direction (latent_dim,)}}``, each direction
    scaled so that alpha = 1 is one standard deviation of the attribute; the
    "axis" menu then offers them beside "class pair", alpha runs over
    ``attribute_range`` and the judge's bars show whether the digit keeps its
    class. ``digits`` (indices into ``x_test``, default four per class) are the
    start digits on offer; the first of ``sample_class`` is shown first.

    The widget is its own view (``explorer.widget`` is the explorer). The
    page holds the frames of the current setting (:class:`FrameSet`, one
    message); a change of model, axis, class or digit asks the kernel once.
    From Python, :meth:`choose` changes the setting as a reader would.
    """

    _esm = MODULE
    meta = traitlets.Dict().tag(sync=True)        # what the menus offer
    thumbs = traitlets.Bytes().tag(sync=True)     # the digits on offer, (N, 784) bytes
    settings = traitlets.Dict().tag(sync=True)    # model, axis, b, a, digit, alpha (sent by the page on a change)
    frames = traitlets.Bytes().tag(sync=True)     # FrameSet.payload of the setting in frames_for
    frames_for = traitlets.Dict().tag(sync=True)  # settings, request, low, step, count (or error)

    @checked(spaces=ck.using(_check_spaces), axes=ck.using(check_axes, spaces=ref("spaces")),
             x_test=ck.using(_check_test_digits), y_test=ck.labels(n=ref("x_test", len)), judge=ck.using(as_judge),
             alpha_range=ck.using(_check_range), attribute_range=ck.using(_check_range),
             alpha_step=ck.using(_check_step, pair=ref("alpha_range"), axis=ref("attribute_range")),
             start=ck.using(_check_start), sample_class=ck.using(_check_sample_class, y_test=ref("y_test")),
             digits=ck.using(_check_digits, y_test=ref("y_test"), sample_class=ref("sample_class")))
    def __init__(self, spaces: Mapping[str, LatentSpace], x_test, y_test, judge: ProbaFn,
                 alpha_range: tuple[float, float] = (-1.0, 2.0), start: tuple[int, int] = (6, 0),
                 sample_class: int = 7, axes: Axes | None = None,
                 attribute_range: tuple[float, float] = (-2.0, 2.0), digits=None, alpha_step: float = 0.05):
        ranges = {CLASS_PAIR: alpha_range, "axis": attribute_range}
        b, a = start
        super().__init__()
        self.spaces, self.axes, self.judge = spaces, axes, judge
        self.x, self.labels, self.digits = x_test[digits], y_test[digits], digits
        self.ranges = {kind: (low, high, alpha_step) for kind, (low, high) in ranges.items()}
        self.timings: list[float] = []   # seconds per frame set computed
        self._frame_sets: OrderedDict[tuple, FrameSet] = OrderedDict()
        self._codes: dict[tuple[str, int], np.ndarray] = {}
        self.meta = {"title": f"decode(z + \u03b1\u00b7v), judged by {judge.name}: frames from the kernel",
                     "models": list(spaces), "axes": {m: list(axes.get(m, {})) for m in spaces},
                     "classes": 10, "labels": self.labels.tolist(), "names": [f"test #{i}" for i in digits],
                     "judge": judge.name, "ranges": {("pair" if kind == CLASS_PAIR else kind):
                                                     {"low": low, "high": high, "step": step}
                                                     for kind, (low, high, step) in self.ranges.items()}}
        self.thumbs = _ink(self.x).tobytes()
        first = int(np.flatnonzero(self.labels == sample_class)[0])
        self.settings = {"model": next(iter(spaces)), "axis": CLASS_PAIR, "b": b, "a": a, "digit": first,
                         "alpha": float(np.clip(0.0, *ranges[CLASS_PAIR]))}

    @property
    def widget(self) -> InterpolationExplorer:
        """The widget to display (the explorer itself; kept from the ipywidgets VBox version)."""
        return self

    def __repr__(self) -> str:
        return PLAIN_TEXT

    # --- settings
    @traitlets.validate("settings")
    def _valid_settings(self, proposal) -> dict:
        return self.check_settings(proposal["value"])

    def check_settings(self, s: Mapping) -> dict:
        """A setting the explorer can show: known model, class or axis, digit on offer, alpha in its range."""
        if not isinstance(s, Mapping):
            raise TypeError(f"settings must be a dict of model, axis, b, a, digit and alpha, got {type(s).__name__}.")
        model, axis = s.get("model"), s.get("axis", CLASS_PAIR)
        if model not in self.spaces:
            raise ValueError(f"settings: model must be one of {list(self.spaces)}, got {model!r}.")
        if axis != CLASS_PAIR and not any(axis in named for named in self.axes.values()):
            raise ValueError(f"settings: axis must be {CLASS_PAIR!r} or one of the axes, got {axis!r}.")
        axis = axis if axis in self.axes.get(model, {}) else CLASS_PAIR  # this model lacks it: the class pair
        b, a = check_class(s.get("b"), name="settings['b']"), check_class(s.get("a"), name="settings['a']")
        if axis == CLASS_PAIR and a == b:
            raise ValueError(f"settings: pick two different classes, the vector z_a - z_b is zero when a = b = {a}.")
        digit = s.get("digit")
        if isinstance(digit, bool) or not isinstance(digit, (int, np.integer)) or not 0 <= digit < len(self.labels):
            raise ValueError(f"settings: digit must index the {len(self.labels)} digits on offer, got {digit!r}.")
        low, high, _ = self.ranges[CLASS_PAIR if axis == CLASS_PAIR else "axis"]
        alpha = float(np.clip(check_number(s.get("alpha", 0.0), name="settings['alpha']"), low, high))
        extra = {"request": str(s["request"])} if "request" in s else {}
        return {"model": model, "axis": axis, "b": b, "a": a, "digit": int(digit), "alpha": alpha, **extra}

    @traitlets.observe("settings")
    def _send_frames(self, change) -> None:
        """The frames of the new setting, in one message (the page waits for the request it made)."""
        request = change["new"].get("request")
        try:
            fs = self.frame_set()
        except Exception as err:  # noqa: BLE001 - shown in the page, which would otherwise wait forever
            if request is None:
                raise
            self.frames_for = {"error": f"The kernel could not compute this setting: {type(err).__name__}: {err}",
                               "request": request}
            return
        low, _, step = self.ranges[CLASS_PAIR if fs.settings["axis"] == CLASS_PAIR else "axis"]
        with self.hold_sync():
            self.frames = fs.payload
            self.frames_for = {"settings": {**fs.settings, "alpha": change["new"]["alpha"]}, "request": request,
                               "low": low, "step": step, "count": len(fs.alphas)}

    def choose(self, **settings) -> None:
        """Change the setting from Python (model=, axis=, b=, a=, digit=, alpha=); every view follows."""
        unknown = set(settings) - {"model", "axis", "b", "a", "digit", "alpha"}
        if unknown:
            raise TypeError(f"choose takes model, axis, b, a, digit and alpha, got {sorted(unknown)}.")
        self.settings = {k: v for k, v in {**self.settings, **settings}.items() if k != "request"}

    @property
    def attribute(self) -> str | None:
        """The attribute axis being moved along, or None in class-pair mode."""
        return None if self.settings["axis"] == CLASS_PAIR else self.settings["axis"]

    def direction(self, settings: Mapping | None = None) -> np.ndarray:
        """The latent direction v of a setting (z_a - z_b, or the attribute axis); default the current one."""
        s = self.settings if settings is None else settings
        if s["axis"] != CLASS_PAIR:
            return self.axes[s["model"]][s["axis"]]
        return self.spaces[s["model"]].vector(s["a"], s["b"])

    def _code(self, model: str, digit: int) -> np.ndarray:
        if (model, digit) not in self._codes:
            self._codes[model, digit] = self.spaces[model].encode(self.x[digit: digit + 1])
        return self._codes[model, digit]

    # --- frames
    def frame_set(self, settings: Mapping | None = None) -> FrameSet:
        """Every step of alpha of a setting (default: the current one), decoded and judged in one batch.

        The last 16 are kept, so going back to a setting costs nothing.
        """
        s = self.settings if settings is None else self.check_settings(settings)
        key = (s["model"], s["axis"], s["b"], s["a"], s["digit"])
        if key not in self._frame_sets:
            start = time.perf_counter()
            low, high, step = self.ranges[CLASS_PAIR if s["axis"] == CLASS_PAIR else "axis"]
            alphas = np.round(low + step * np.arange(round((high - low) / step) + 1), 9)
            space = self.spaces[s["model"]]
            images = space.decode(space.moved_codes(self._code(s["model"], s["digit"]), self.direction(s), alphas)[0])
            probs = self.judge.predict_proba(images)
            seconds = time.perf_counter() - start
            self.timings.append(seconds)
            settings = {k: s[k] for k in ("model", "axis", "b", "a", "digit")}
            self._frame_sets[key] = FrameSet(settings, alphas, images, probs, seconds)
        self._frame_sets.move_to_end(key)
        while len(self._frame_sets) > 16:
            self._frame_sets.popitem(last=False)
        return self._frame_sets[key]

    def frame(self, alpha: float | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Decoded image and judged probabilities of the current setting at ALPHA (default: the slider's)."""
        s = self.settings
        alpha = s["alpha"] if alpha is None else check_number(alpha, name="alpha")
        space = self.spaces[s["model"]]
        image = space.decode(space.moved_codes(self._code(s["model"], s["digit"]), self.direction(), [alpha])[0])
        return image[0], self.judge.predict_proba(image)[0]


# --- the static stand-in (no kernel needed) ---------------------------------------------------
def _check_vector_or_pair(vector, *, name: str, space: LatentSpace, a, b, axis):
    """Either a class pair (a and b: the vector is None) or an attribute axis (VECTOR and its name AXIS)."""
    if vector is None:
        if a is None or b is None:
            raise TypeError("pass a and b (a class pair, e.g. a=0, b=6) or vector and axis "
                            "(an attribute axis, e.g. vector=v, axis='thickness').")
        space.vector(a, b)  # refuses classes it cannot move between
        return None
    if a is not None or b is not None:
        raise ValueError("pass either a and b (a class pair) or vector and axis (an attribute axis), not both.")
    if not isinstance(axis, str) or not axis.strip():
        raise TypeError(f"axis must name the attribute the vector moves, e.g. axis='thickness'; got {axis!r}.")
    return check_vector(vector, space.latent_dim, name=name)


#: The most alphas one row of small multiples shows: each is two axes (3,000 alphas drew 6,000 and hung).
MAX_FIGURE_ALPHAS = 101


def _check_stand_in_alphas(alphas, *, name: str) -> np.ndarray:
    if alphas is None:
        raise TypeError(f"{name} is required: the values of alpha to show, e.g. np.linspace(-1, 2, 13).")
    alphas = check_numbers(alphas, name=name, ndim=(0, 1),
                           what="the values of alpha (a number or a 1-D list), e.g. np.linspace(-1, 2, 13)").reshape(-1)
    if alphas.size == 0:
        raise ValueError(f"{name}: got none; pass the values of alpha to show, e.g. np.linspace(-1, 2, 13).")
    if alphas.size > MAX_FIGURE_ALPHAS:
        raise ValueError(f"{name}: got {alphas.size:,} values; a figure shows at most {MAX_FIGURE_ALPHAS} (each is "
                         "an image and a bar chart, and thousands of axes take minutes to draw); pass fewer, e.g. "
                         "np.linspace(-1, 2, 13).")
    return alphas.astype(np.float32)


def _check_some_digit(x, *, name: str) -> np.ndarray:
    """Images of which the first is the digit to move: at least one."""
    x = check_images(x, name=name)
    if len(x) == 0:
        raise ValueError(f"{name}: got no images; pass at least one digit, e.g. data.x_test[:1].")
    return x


def _check_required_judge(judge, *, name: str):
    if judge is None:
        raise TypeError(f"{name} is required: a function from images (N, 28, 28) to probabilities (N, 10).")
    return as_judge(judge, name=name)


@checked(space=ck.instance(LatentSpace, "LatentSpace(model, data.x_train, data.y_train)"),
         x=ck.using(_check_some_digit), vector=ck.using(_check_vector_or_pair, space=ref("space"), a=ref("a"), b=ref("b"), axis=ref("axis")),
         alphas=ck.using(_check_stand_in_alphas), judge=ck.using(_check_required_judge),
         true_class=ck.optional(ck.class_id()))
def small_multiples(space: LatentSpace, x, a: int | None = None, b: int | None = None, alphas=None,
                    judge: ProbaFn | None = None, label: str = "", *, vector=None, axis: str | None = None,
                    true_class: int | None = None):
    """One row of decoded images along alpha with the judge's probabilities under each (a static PNG).

    The digit's class c is ``true_class`` (its label) or, without one, the
    class the judge gives the unmoved digit. Along a class pair (``a``, ``b``):
    p(b), p(a) and p(c), so a digit that is neither b nor a still shows bars.
    Along an attribute axis (``vector``, ``axis``): p(c) and the strongest
    other class, so a lost class shows at a glance. The bars share one y-axis.
    """
    direction = space.vector(a, b) if vector is None else vector
    images = space.decode(space.moved_codes(space.encode(x[:1]), direction, alphas)[0])
    probs = judge.predict_proba(images)
    judged = int(np.argmax(judge.predict_proba(x[:1])[0]))  # the class the judge gives the unmoved digit
    own = judged if true_class is None else true_class
    axis = None if vector is None else axis
    fig, axes = plt.subplots(2, len(alphas), figsize=(0.85 * len(alphas) + 0.5, 2.6), sharey="row",
                             gridspec_kw={"height_ratios": [1, 0.9]}, squeeze=False)
    for i, alpha in enumerate(alphas):
        axes[0, i].imshow(images[i], cmap="gray_r", vmin=0, vmax=1, interpolation="nearest")
        axes[0, i].set_title(f"\u03b1 = {alpha:+.2f}", fontsize=8)
        axes[0, i].axis("off")
        if axis is None:
            shown = dict.fromkeys([b, a, own])  # the digit's class only when it is neither b nor a
            colours = [{b: START_COLOUR, a: TARGET_COLOUR}.get(k, OWN_COLOUR) for k in shown]
        else:
            shown = [own, int(np.argmax(np.where(np.arange(10) == own, -np.inf, probs[i])))]
            colours = [OWN_COLOUR, OTHER_COLOUR]
        ax = axes[1, i]
        ax.bar(range(len(shown)), probs[i, list(shown)], color=colours)
        ax.set_ylim(0, 1)
        ax.set_xticks(range(len(shown)), [str(k) for k in shown], fontsize=8)
        ax.tick_params(axis="y", labelsize=7)
    axes[1, 0].set_yticks([0, 0.5, 1])
    axes[1, 0].set_ylabel("judged\nprobability", fontsize=8)
    axes[1, 0].set_xlabel("class", fontsize=8)
    whose = f"its class {own}" if true_class is not None else f"the class the judge gives it unmoved, {own}"
    if axis is None:
        title = f"{label} test digit moved from {b} (blue) towards {a} (red)" + (
            f"; black: {whose}" if own not in (a, b) else "")
    else:
        title = f"{label} test digit moved along {axis}; black: {whose}, grey: the strongest other class"
    fig.suptitle(title.strip(), fontsize=10)
    fig.tight_layout()
    return fig
