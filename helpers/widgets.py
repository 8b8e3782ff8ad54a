"""The interactive interpolation explorer and its static stand-ins.

Introduced in notebook 05; notebook 07 adds attribute axes. The explorer is
built from ipywidgets: sliders and menus for alpha, model, axis (a class pair
b -> a, or a named attribute axis such as thickness), start and target class
and test sample. The decoded digit and the judge's class probabilities are
drawn into one PNG (:func:`frame_png`), so a slider move sends one image to
the browser, not a dozen widget updates. A kernel is needed for that, so every
explorer view also has a stand-in that works without one: a scrubbable
matplotlib animation (``to_jshtml``, works on nbviewer) and a small-multiples
PNG (works on GitHub, which strips JavaScript).
"""

from __future__ import annotations

import functools
import io
import time
from typing import Callable, Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib import animation

from .data import check_class, check_count, check_images, check_labels, check_numbers
from .judges import as_judge
from .latent import LatentSpace

#: A judge: images (N, 28, 28) in [0, 1] -> class probabilities (N, 10).
ProbaFn = Callable[[np.ndarray], np.ndarray]


def _probabilities(judge: ProbaFn, images: np.ndarray) -> np.ndarray:
    """The judge's probabilities (N, 10), checked (helpers.judges.check_probabilities): log-probabilities
    or NaN would draw plausible-looking bars. A Judge, a fitted classifier or a function all work."""
    return as_judge(judge).predict_proba(images)


def _check_range(values, name: str) -> tuple[float, float]:
    """A slider range (low, high) of two finite numbers with low < high."""
    try:
        low, high = (float(v) for v in values)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be two numbers (low, high), got {values!r}.") from None
    if not (np.isfinite(low) and np.isfinite(high) and low < high):
        raise ValueError(f"{name} must be (low, high) with finite low < high, got {values!r}.")
    return low, high


def _check_spaces(spaces) -> dict[str, LatentSpace]:
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


#: Bar colours: the target class a, the start class b (in attribute mode the digit's own class,
#: which a style move should keep), every other class (matplotlib's tab:red, tab:blue, 0.6 grey).
TARGET_COLOUR = "tab:red"
START_COLOUR = "tab:blue"
OTHER_COLOUR = "0.6"
_RGB = {TARGET_COLOUR: (214, 39, 40), START_COLOUR: (31, 119, 180), OTHER_COLOUR: (153, 153, 153)}


class ExplorerFigure:
    """The stand-ins' picture: decoded image on the left, judged probabilities on the right.

    Built once; ``show`` only swaps the image data and bar heights, which is
    what keeps drawing an animation's frames cheap.
    """

    def __init__(self, figsize=(5.6, 2.4), dpi: int = 72):
        self.fig, (self.ax_img, self.ax_bar) = plt.subplots(
            1, 2, figsize=figsize, dpi=dpi, gridspec_kw={"width_ratios": [1, 1.6]})
        self.image = self.ax_img.imshow(np.zeros((28, 28)), cmap="gray_r", vmin=0, vmax=1, interpolation="nearest")
        self.ax_img.axis("off")
        self.bars = self.ax_bar.bar(np.arange(10), np.zeros(10), color=OTHER_COLOUR)
        self.ax_bar.set_ylim(0, 1)
        self.ax_bar.set_xticks(np.arange(10))
        self.ax_bar.set_xlabel("digit")
        self.ax_bar.set_ylabel("judged probability")
        self.fig.tight_layout()

    def show(self, image: np.ndarray, probs: np.ndarray, title: str,
             highlight: Mapping[int, str] | None = None) -> None:
        """Draw IMAGE and PROBS; HIGHLIGHT maps a class to its bar colour (others grey)."""
        highlight = highlight or {}
        self.image.set_data(image)
        for k, bar in enumerate(self.bars):
            bar.set_height(probs[k])
            bar.set_color(highlight.get(k, OTHER_COLOUR))
        self.ax_img.set_title(title, fontsize=9)

    def png(self) -> bytes:
        buf = io.BytesIO()
        self.fig.savefig(buf, format="png")
        return buf.getvalue()


def image_png(image: np.ndarray, scale: int = 6) -> bytes:
    """A (28, 28) image in [0, 1] as PNG bytes, enlarged with nearest-neighbour pixels.

    Encoding a tiny PNG with Pillow takes well under a millisecond, where a
    full matplotlib redraw takes tens; that difference is the explorer's latency.
    """
    from PIL import Image

    image = check_numbers(image, name="image", what="one image (28, 28) in [0, 1]")
    if image.shape != (28, 28):
        raise ValueError(f"image: expected one image (28, 28), got shape {image.shape}.")
    scale = check_count(scale, name="scale", minimum=1)
    grey = (255 * (1.0 - np.clip(image, 0, 1))).astype(np.uint8)  # dark ink on white, like gray_r
    img = Image.fromarray(grey, mode="L").resize((28 * scale, 28 * scale), Image.NEAREST)
    buf = io.BytesIO()
    img.save(buf, format="PNG", compress_level=1)
    return buf.getvalue()


class FrameLayout:
    """Where :func:`frame_png` puts things, in pixels (for the tests, and for reading the image).

    The digit fills a square of ``28 * scale`` pixels at ``digit_box``; bar k
    spans ``bar_x[k]`` to ``bar_x[k] + bar_width``, from ``chart_bottom`` (p = 0)
    up to ``chart_top`` (p = 1); class labels sit under the bars.
    """

    margin, gap, bar_width, bar_gap, axis_width, label_height = 8, 22, 20, 6, 30, 34

    def __init__(self, scale: int = 6):
        self.scale = int(scale)
        side = 28 * self.scale
        m = self.margin
        self.digit_box = (m, m, m + side, m + side)
        self.chart_top, self.chart_bottom = m + 14, m + side  # room above p = 1 for a value
        self.chart_left = m + side + self.gap + self.axis_width
        self.bar_x = [self.chart_left + self.bar_gap + k * (self.bar_width + self.bar_gap) for k in range(10)]
        self.chart_right = self.bar_x[-1] + self.bar_width + self.bar_gap
        self.size = (self.chart_right + m, self.chart_bottom + self.label_height)

    def bar_top(self, p: float) -> int:
        """The y pixel of a bar of probability P (rows grow downwards)."""
        p = min(max(float(p), 0.0), 1.0)
        return round(self.chart_bottom - p * (self.chart_bottom - self.chart_top))


@functools.lru_cache(maxsize=4)
def _font(size: int):
    """DejaVu Sans, the font of every matplotlib figure in the series (matplotlib ships it)."""
    from matplotlib import font_manager
    from PIL import ImageFont

    return ImageFont.truetype(font_manager.findfont("DejaVu Sans"), size)


# A frame is a palette image: its background (axis, labels) takes the first BACKGROUND_COLOURS
# entries, then the bar colours, then a grey ramp for the digit. Encoding a palette PNG costs a
# quarter of an RGB one, and the moving parts are then plain numpy slices.
_TEXT, _AXIS, _GRID, _FRAME = (40, 40, 40), (90, 90, 90), (225, 225, 225), (200, 200, 200)
_INKS = (_TEXT, _AXIS, _GRID, _FRAME, *_RGB.values())
_BLENDS = 8  # anti-aliased text: each ink blended with white in this many steps
BACKGROUND_COLOURS = 1 + len(_INKS) * _BLENDS
_BAR_INDEX = {name: BACKGROUND_COLOURS + i for i, name in enumerate(_RGB)}
_RAMP_START = BACKGROUND_COLOURS + len(_RGB)
_RAMP_LEVELS = 256 - _RAMP_START


def _background_palette() -> list[int]:
    """White, then every ink at _BLENDS strengths over white."""
    colours = [(255, 255, 255)]
    for ink in _INKS:
        for step in range(1, _BLENDS + 1):
            t = step / _BLENDS
            colours.append(tuple(round(255 + t * (c - 255)) for c in ink))
    return [v for c in colours for v in c]


@functools.lru_cache(maxsize=64)
def _frame_template(scale: int, highlight: tuple[tuple[int, str], ...],
                    caption: str) -> tuple[np.ndarray, tuple[int, ...]]:
    """Everything of a frame that does not move (axis, gridlines, class labels in their colours,
    caption) as palette indices, and the palette."""
    from PIL import Image, ImageDraw

    lay = FrameLayout(scale)
    img = Image.new("RGB", lay.size, "white")
    draw = ImageDraw.Draw(img)
    small, label = _font(10), _font(13)
    for p in (0.0, 0.5, 1.0):
        y = lay.bar_top(p)
        draw.line([(lay.chart_left, y), (lay.chart_right, y)], fill=_GRID if p else _AXIS)
        draw.text((lay.chart_left - 4, y), f"{p:g}", fill=_AXIS, font=small, anchor="rm")
    colours = dict(highlight)
    for k, x in enumerate(lay.bar_x):
        colour = _RGB[colours[k]] if k in colours else _TEXT
        draw.text((x + lay.bar_width / 2, lay.chart_bottom + 3), str(k), fill=colour, font=label, anchor="mt")
    draw.text(((lay.chart_left + lay.chart_right) / 2, lay.size[1] - 2), caption,
              fill=_AXIS, font=small, anchor="md")
    x0, y0, x1, y1 = lay.digit_box
    draw.rectangle([x0 - 1, y0 - 1, x1, y1], outline=_FRAME)
    palette = _background_palette()
    reference = Image.new("P", (1, 1))
    reference.putpalette(palette + [0] * (768 - len(palette)))
    quantised = img.quantize(palette=reference, dither=Image.Dither.NONE)
    for rgb in _RGB.values():
        palette += list(rgb)
    for level in range(_RAMP_LEVELS):
        palette += [round(level * 255 / (_RAMP_LEVELS - 1))] * 3
    indices = np.array(quantised, dtype=np.uint8)
    indices.setflags(write=False)
    return indices, tuple(palette)


def frame_png(image: np.ndarray, probs: np.ndarray, highlight: Mapping[int, str] | None = None,
              caption: str = "judged probability per digit", scale: int = 6) -> bytes:
    """The explorer's picture as one PNG: the digit on the left, the judge's ten bars on the right.

    IMAGE is (28, 28) in [0, 1], drawn dark on white and enlarged SCALE times;
    PROBS is (10,). HIGHLIGHT maps a class to a colour name (``TARGET_COLOUR``,
    ``START_COLOUR``); those bars and their class labels are coloured, the
    others grey; CAPTION goes under the bars. One small image per slider move is what keeps the explorer
    fast in the browser (:class:`FrameLayout` says where things are); it is
    drawn and encoded in well under a millisecond.
    """
    from PIL import Image

    image = np.asarray(image, dtype=np.float32)
    probs = np.nan_to_num(np.asarray(probs, dtype=np.float64).reshape(-1))
    if image.shape != (28, 28) or probs.shape != (10,):
        raise ValueError(f"frame_png needs a (28, 28) image and 10 probabilities, got {image.shape} and {probs.shape}.")
    highlight = dict(highlight or {})
    unknown = set(highlight.values()) - set(_RGB)
    if unknown:
        raise ValueError(f"highlight colours must be among {sorted(_RGB)}, got {sorted(unknown)}.")
    lay = FrameLayout(scale)
    template, palette = _frame_template(lay.scale, tuple(sorted(highlight.items())), str(caption))
    frame = template.copy()
    ink = np.clip(np.nan_to_num(image), 0, 1)  # dark ink on white, like gray_r
    levels = (_RAMP_START + np.rint((1.0 - ink) * (_RAMP_LEVELS - 1))).astype(np.uint8)
    x0, y0, x1, y1 = lay.digit_box
    frame[y0:y1, x0:x1] = np.repeat(np.repeat(levels, lay.scale, axis=0), lay.scale, axis=1)
    for k, x in enumerate(lay.bar_x):
        frame[lay.bar_top(probs[k]):lay.chart_bottom, x:x + lay.bar_width] = _BAR_INDEX[highlight.get(k, OTHER_COLOUR)]
    img = Image.fromarray(frame, mode="P")
    img.putpalette(palette)
    buf = io.BytesIO()
    img.save(buf, format="PNG", compress_level=1)
    return buf.getvalue()


#: The axis menu's entry for moving along a class vector b -> a (the other entries name attribute axes).
CLASS_PAIR = "class pair"

#: Attribute axes of the explorer: {model name: {axis name: direction (latent_dim,)}}.
Axes = Mapping[str, Mapping[str, np.ndarray]]


def check_vector(vector, latent_dim: int, name: str = "vector") -> np.ndarray:
    """A direction in a latent space of LATENT_DIM: finite, non-zero, shape (latent_dim,); as float32."""
    try:
        v = np.asarray(vector, dtype=np.float64)
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


def check_axes(axes: Axes | None, spaces: Mapping[str, LatentSpace]) -> dict[str, dict[str, np.ndarray]]:
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


class InterpolationExplorer:
    """ipywidgets explorer of decode(encode(x) + alpha v), with v a class vector or an attribute axis.

    ``spaces`` maps a model name to its fitted :class:`LatentSpace`;
    ``judge`` maps images to class probabilities. In class-pair mode (the
    default, notebook 05) v = z_a - z_b for the classes chosen in the "from b"
    and "to a" menus. ``axes`` (notebook 07) adds attribute axes per model:
    ``{model name: {axis name: direction (latent_dim,)}}``, each direction
    scaled so that alpha = 1 is one standard deviation of the attribute; the
    "axis" menu then offers them beside "class pair", the class menus are
    disabled, alpha runs over ``attribute_range`` and the judge's bars show
    whether the digit keeps its class.

    Each move draws the digit and the ten bars into one PNG (:func:`frame_png`)
    and sends it with the text line: two widget messages instead of a dozen,
    which is what the browser's latency is made of. All slider steps of the
    current settings are decoded and judged in one batch when the settings
    change (:meth:`_track`), so a slider move costs a lookup and, the first
    time a step is shown, one small PNG.
    """

    def __init__(self, spaces: Mapping[str, LatentSpace], x_test, y_test, judge: ProbaFn,
                 alpha_range: tuple[float, float] = (-1.0, 2.0), start: tuple[int, int] = (6, 0),
                 sample_class: int = 7, axes: Axes | None = None,
                 attribute_range: tuple[float, float] = (-2.0, 2.0)):
        self.spaces = _check_spaces(spaces)
        self.axes = check_axes(axes, self.spaces)
        self.x_test = check_images(x_test, name="x_test")
        if len(self.x_test) == 0:
            raise ValueError("x_test: the explorer needs at least one test digit.")
        self.y_test = check_labels(y_test, len(self.x_test), name="y_test")
        self.judge = as_judge(judge, name="judge")
        self.alpha_range = _check_range(alpha_range, "alpha_range")
        self.attribute_range = _check_range(attribute_range, "attribute_range")
        if not (isinstance(start, (tuple, list)) and len(start) == 2):
            raise TypeError(f"start must be a class pair (b, a) such as (6, 0), got {start!r}.")
        start = (check_class(start[0], name="start class b"), check_class(start[1], name="start class a"))
        sample_class = check_class(sample_class, name="sample_class")
        if not np.any(self.y_test == sample_class):
            raise ValueError(f"sample_class: no test digit of class {sample_class} in y_test; pass sample_class= one "
                             f"of {np.unique(self.y_test).tolist()}.")
        self._code_cache: dict[tuple[str, int], np.ndarray] = {}
        self._tracks: dict[tuple, dict] = {}  # slider steps decoded per settings: see _track
        self._quiet = False  # set while one change adjusts other controls: update once, at the end
        self.timings: list[float] = []
        self.probabilities = np.zeros(10)

        import ipywidgets as w

        b, a = start
        first = int(np.flatnonzero(self.y_test == sample_class)[0])
        self.model_menu = w.Dropdown(options=list(self.spaces), description="model")
        self.axis_menu = w.Dropdown(options=self._axis_options(self.model_menu.value), value=CLASS_PAIR,
                                    description="axis")
        self.b_menu = w.Dropdown(options=list(range(10)), value=b, description="from b")
        self.a_menu = w.Dropdown(options=list(range(10)), value=a, description="to a")
        self.sample_box = w.BoundedIntText(value=first, min=0, max=len(self.x_test) - 1, description="test #")
        self.alpha_slider = w.FloatSlider(value=0.0, min=self.alpha_range[0], max=self.alpha_range[1], step=0.05,
                                          description="alpha", continuous_update=True, readout_format=".2f")
        width, height = FrameLayout().size
        self.image_widget = w.Image(format="png", width=width, height=height)
        self.message = w.HTML()
        self.model_menu.observe(self._on_model, names="value")
        self.axis_menu.observe(self._on_axis, names="value")
        for control in (self.b_menu, self.a_menu, self.sample_box, self.alpha_slider):
            control.observe(self.update, names="value")
        menus = [self.axis_menu] if self.axes else []  # notebook 05 has no attribute axes: no axis menu
        self.widget = w.VBox([
            w.HBox([self.model_menu, self.sample_box]),
            w.HBox(menus + [self.b_menu, self.a_menu]),
            self.alpha_slider,
            self.image_widget,
            self.message,
        ])
        self.update()

    # --- state
    def _axis_options(self, model_name: str) -> list[str]:
        return [CLASS_PAIR, *self.axes.get(model_name, {})]

    @property
    def attribute(self) -> str | None:
        """The attribute axis being moved along, or None in class-pair mode."""
        return None if self.axis_menu.value == CLASS_PAIR else self.axis_menu.value

    def direction(self) -> np.ndarray:
        """The latent direction v of the current settings (z_a - z_b, or the attribute axis)."""
        if self.attribute is not None:
            return self.axes[self.model_menu.value][self.attribute]
        return self.spaces[self.model_menu.value].vector(self.a_menu.value, self.b_menu.value)

    def _code(self, model_name: str, index: int) -> np.ndarray:
        key = (model_name, index)
        if key not in self._code_cache:
            self._code_cache[key] = self.spaces[model_name].encode(self.x_test[index: index + 1])[0]
        return self._code_cache[key]

    def frame(self, alpha: float | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Decoded image and judged probabilities for the current settings."""
        space = self.spaces[self.model_menu.value]
        alpha = self.alpha_slider.value if alpha is None else alpha
        code = self._code(self.model_menu.value, self.sample_box.value)
        z = (code + np.float32(alpha) * self.direction())[None]
        image = space.decode(z)
        return image[0], _probabilities(self.judge, image)[0]

    def _step_index(self, alpha: float) -> int | None:
        """Which of the slider's steps ALPHA is (a reader can only reach those), or None if it is none."""
        slider = self.alpha_slider
        k = round((alpha - slider.min) / slider.step)
        return k if abs(slider.min + k * slider.step - alpha) < 1e-9 else None

    def _track(self) -> dict:
        """Every slider step of the current settings, decoded and judged in one batch.

        A move then costs a lookup and one small PNG (drawn once per step and
        kept), not a decode and a judge call: the kernel gives the browser its
        image sooner, and competes less for the CPU with the server and the
        browser while it does. Built when model, sample, axis or classes change;
        the last few are kept.
        """
        slider = self.alpha_slider
        settings = (self.model_menu.value, self.sample_box.value, self.attribute or (self.a_menu.value, self.b_menu.value),
                    slider.min, slider.max, slider.step)
        track = self._tracks.pop(settings, None)
        if track is None:
            steps = round((slider.max - slider.min) / slider.step)
            alphas = (slider.min + slider.step * np.arange(steps + 1)).astype(np.float32)
            code = self._code(self.model_menu.value, self.sample_box.value)
            images = self.spaces[self.model_menu.value].decode(code[None] + alphas[:, None] * self.direction()[None])
            track = {"images": images, "probs": _probabilities(self.judge, images), "pngs": {}}
        self._tracks[settings] = track  # most recent last
        while len(self._tracks) > 8:
            self._tracks.pop(next(iter(self._tracks)))
        return track

    # --- reacting to the controls
    def _on_model(self, change=None) -> None:
        """A model has its own attribute axes: offer them, keep the axis when the new model has it."""
        axis = self.axis_menu.value
        options = self._axis_options(self.model_menu.value)
        self._quiet = True
        try:
            with self.axis_menu.hold_sync():
                self.axis_menu.options = options
                self.axis_menu.value = axis if axis in options else CLASS_PAIR
            self._apply_axis()
        finally:
            self._quiet = False
        self.update()

    def _on_axis(self, change=None) -> None:
        if self._quiet:
            return
        self._quiet = True
        try:
            self._apply_axis()
        finally:
            self._quiet = False
        self.update()

    def _apply_axis(self) -> None:
        """Class menus on or off and alpha's range, for the chosen axis (one message per widget)."""
        attribute = self.attribute is not None
        for menu in (self.a_menu, self.b_menu):
            menu.disabled = attribute
        low, high = self.attribute_range if attribute else self.alpha_range
        slider = self.alpha_slider
        with slider.hold_sync():
            slider.min, slider.max = min(low, slider.min), max(high, slider.max)  # never cut the value off midway
            slider.value = float(np.clip(slider.value, low, high))
            slider.min, slider.max = low, high

    def _highlight(self) -> tuple[dict[int, str], str]:
        if self.attribute is not None:
            own = int(self.y_test[self.sample_box.value])
            return {own: START_COLOUR}, f"judged probability; blue: the digit's class {own}"
        return ({self.a_menu.value: TARGET_COLOUR, self.b_menu.value: START_COLOUR},
                "judged probability; red: to a, blue: from b")

    def update(self, change=None) -> float:
        """Redraw for the current widget values; returns the seconds it took."""
        if self._quiet:
            return 0.0
        start = time.perf_counter()
        a, b = self.a_menu.value, self.b_menu.value
        attribute = self.attribute
        if attribute is None and a == b:
            self.message.value = "<b>Pick two different classes</b>: the vector z_a - z_b is zero when a = b."
            return 0.0
        alpha = self.alpha_slider.value
        step = self._step_index(alpha)
        highlight, caption = self._highlight()
        if step is None:  # set from code between two steps: computed on its own
            image, probs = self.frame()
            png = frame_png(image, probs, highlight, caption)
        else:
            track = self._track()
            image, probs = track["images"][step], track["probs"][step]
            png = track["pngs"].get(step)
            if png is None:
                png = track["pngs"][step] = frame_png(image, probs, highlight, caption)
        idx = self.sample_box.value
        own = int(self.y_test[idx])
        if attribute is None:
            text = (f"test #{idx} (a {own}) moved {b} &rarr; {a}, alpha {alpha:+.2f}: "
                    f"p({a}) = {probs[a]:.2f}, p({b}) = {probs[b]:.2f}, judged {int(np.argmax(probs))}")
        else:
            text = (f"test #{idx} (a {own}), {attribute} {alpha:+.2f} SD: p({own}) = {probs[own]:.2f}, "
                    f"judged {int(np.argmax(probs))}")
        self.probabilities = probs
        # the image first: it is what the reader is watching; the text line follows in the same burst
        self.image_widget.value = png
        self.message.value = text
        seconds = time.perf_counter() - start
        self.timings.append(seconds)
        return seconds

    def measure_latency(self, alphas: Sequence[float]) -> dict[str, float]:
        """Slider latency: set each alpha as a user would and time decode + judge + redraw."""
        self.timings = []
        for alpha in alphas:
            self.alpha_slider.value = float(alpha)  # fires update through the observer
        t = np.asarray(self.timings) * 1000
        return {"median_ms": float(np.median(t)), "p95_ms": float(np.percentile(t, 95)), "n": int(len(t))}


# --- static stand-ins (no kernel needed) --------------------------------------------------
def _stand_in_axis(space: LatentSpace, a, b, vector, axis) -> tuple[np.ndarray, str | None]:
    """The direction of a stand-in: z_a - z_b for a class pair, or VECTOR for the attribute AXIS."""
    if not isinstance(space, LatentSpace):
        raise TypeError(f"space must be a LatentSpace, got {type(space).__name__}; wrap the model as "
                        "LatentSpace(model, data.x_train, data.y_train).")
    if vector is None:
        if a is None or b is None:
            raise TypeError("pass a and b (a class pair, e.g. a=0, b=6) or vector and axis "
                            "(an attribute axis, e.g. vector=v, axis='thickness').")
        return space.vector(a, b), None
    if a is not None or b is not None:
        raise ValueError("pass either a and b (a class pair) or vector and axis (an attribute axis), not both.")
    if not isinstance(axis, str) or not axis.strip():
        raise TypeError(f"axis must name the attribute the vector moves, e.g. axis='thickness'; got {axis!r}.")
    return check_vector(vector, space.latent_dim, name="vector"), axis


def _stand_in_frames(space: LatentSpace, x, vector: np.ndarray, alphas, judge: ProbaFn):
    """Decoded frames (A, 28, 28) of the first image of X along VECTOR, their probabilities, and
    the judge's class for the unmoved digit. One encode, one decode and one judge call."""
    if alphas is None:
        raise TypeError("alphas is required: the values of alpha to show, e.g. np.linspace(-1, 2, 13).")
    if judge is None:
        raise TypeError("judge is required: a function from images (N, 28, 28) to probabilities (N, 10).")
    x = check_images(x)[:1]
    alphas = check_numbers(alphas, name="alphas", what="the values of alpha, e.g. np.linspace(-1, 2, 13)")
    alphas = alphas.astype(np.float32).reshape(-1)
    if alphas.size == 0:
        raise ValueError("alphas: got none; pass the values of alpha to show, e.g. np.linspace(-1, 2, 13).")
    codes = space.moved_codes(space.encode(x), vector, alphas)[0]
    images = space.decode(codes)
    probs = _probabilities(judge, images)
    own = int(np.argmax(_probabilities(judge, x)[0]))
    return images, probs, alphas, own


def alpha_animation(space: LatentSpace, x, a: int | None = None, b: int | None = None, alphas=None,
                    judge: ProbaFn | None = None, label: str = "", *, vector=None,
                    axis: str | None = None) -> animation.FuncAnimation:
    """The explorer as a matplotlib animation over alpha; embed with ``to_jshtml()``.

    Along a class pair (``a``, ``b``: notebook 05) or an attribute axis
    (``vector`` of shape (latent_dim,) and its name ``axis``: notebook 07,
    alpha in the vector's units, e.g. SD). In attribute mode the blue bar is
    the class the judge gives the unmoved digit. All frames are decoded and
    judged in one batch before drawing.
    """
    direction, axis = _stand_in_axis(space, a, b, vector, axis)
    images, probs, alphas, own = _stand_in_frames(space, x, direction, alphas, judge)
    fig = ExplorerFigure(dpi=60)  # every frame is an embedded PNG: keep them small for nbviewer
    if axis is None:
        highlight = {a: TARGET_COLOUR, b: START_COLOUR}
        titles = [f"{label} {b}->{a}, alpha {al:+.2f}".strip() for al in alphas]
    else:
        highlight = {own: START_COLOUR}
        titles = [f"{label} {axis} {al:+.2f}".strip() for al in alphas]

    def draw(i):
        fig.show(images[i], probs[i], titles[i], highlight)
        return [fig.image, *fig.bars]

    draw(0)
    anim = animation.FuncAnimation(fig.fig, draw, frames=len(alphas), interval=150, blit=False)
    plt.close(fig.fig)  # the HTML player replaces the static figure
    return anim


def small_multiples(space: LatentSpace, x, a: int | None = None, b: int | None = None, alphas=None,
                    judge: ProbaFn | None = None, label: str = "", *, vector=None, axis: str | None = None):
    """One row of decoded images along alpha with two judged probabilities under each (a static PNG).

    Along a class pair (``a``, ``b``): p(b) and p(a). Along an attribute axis
    (``vector``, ``axis``): p(c) for the class c the judge gives the unmoved
    digit, and the strongest other class, so a lost class shows at a glance.
    """
    direction, axis = _stand_in_axis(space, a, b, vector, axis)
    images, probs, alphas, own = _stand_in_frames(space, x, direction, alphas, judge)
    fig, axes = plt.subplots(2, len(alphas), figsize=(0.85 * len(alphas), 2.3),
                             gridspec_kw={"height_ratios": [1, 0.9]}, squeeze=False)
    for i, alpha in enumerate(alphas):
        axes[0, i].imshow(images[i], cmap="gray_r", vmin=0, vmax=1, interpolation="nearest")
        axes[0, i].set_title(f"{alpha:+.2f}", fontsize=8)
        axes[0, i].axis("off")
        ax = axes[1, i]
        if axis is None:
            shown, colours = [b, a], [START_COLOUR, TARGET_COLOUR]
        else:
            other = int(np.argmax(np.where(np.arange(10) == own, -np.inf, probs[i])))
            shown, colours = [own, other], [START_COLOUR, OTHER_COLOUR]
        ax.bar([0, 1], probs[i, shown], color=colours)
        ax.set_ylim(0, 1)
        ax.set_xticks([0, 1], [str(k) for k in shown], fontsize=8)
        ax.set_yticks([] if i else [0, 1])
    if axis is None:
        title = f"{label} test digit moved from {b} towards {a}: decoded image and judged p(b), p(a)"
    else:
        title = (f"{label} test digit moved along {axis}: decoded image, judged p({own}) "
                 "and the strongest other class")
    fig.suptitle(title.strip(), fontsize=10)
    fig.tight_layout()
    return fig
