"""The interactive interpolation explorer and its static stand-ins.

Introduced in notebook 05. The explorer is built from ipywidgets: sliders and
menus for alpha, model, start class, target class and test sample; the
decoded image and the judge's class probabilities redraw as the slider
moves. A kernel is needed for that, so every explorer view also has a
stand-in that works without one: a scrubbable matplotlib animation
(``to_jshtml``, works on nbviewer) and a small-multiples PNG (works on
GitHub, which strips JavaScript).
"""

from __future__ import annotations

import io
import time
from typing import Callable, Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib import animation

from .data import check_class, check_images
from .latent import LatentSpace

#: A judge: images (N, 28, 28) in [0, 1] -> class probabilities (N, 10).
ProbaFn = Callable[[np.ndarray], np.ndarray]


def _probabilities(judge: ProbaFn, images: np.ndarray) -> np.ndarray:
    p = np.asarray(judge(images), dtype=np.float64)
    if p.ndim != 2 or p.shape != (len(images), 10):
        raise ValueError(f"the judge must return (N, 10) probabilities, got {p.shape}.")
    return p


class ExplorerFigure:
    """The explorer's picture: decoded image on the left, judged probabilities on the right.

    Built once; ``show`` only swaps the image data and bar heights, which is
    what keeps a slider update fast.
    """

    def __init__(self, figsize=(5.6, 2.4), dpi: int = 72):
        self.fig, (self.ax_img, self.ax_bar) = plt.subplots(
            1, 2, figsize=figsize, dpi=dpi, gridspec_kw={"width_ratios": [1, 1.6]})
        self.image = self.ax_img.imshow(np.zeros((28, 28)), cmap="gray_r", vmin=0, vmax=1, interpolation="nearest")
        self.ax_img.axis("off")
        self.bars = self.ax_bar.bar(np.arange(10), np.zeros(10), color="0.6")
        self.ax_bar.set_ylim(0, 1)
        self.ax_bar.set_xticks(np.arange(10))
        self.ax_bar.set_xlabel("digit")
        self.ax_bar.set_ylabel("judged probability")
        self.fig.tight_layout()

    def show(self, image: np.ndarray, probs: np.ndarray, a: int, b: int, title: str) -> None:
        self.image.set_data(image)
        for k, bar in enumerate(self.bars):
            bar.set_height(probs[k])
            bar.set_color("tab:red" if k == a else "tab:blue" if k == b else "0.6")
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

    grey = (255 * (1.0 - np.clip(image, 0, 1))).astype(np.uint8)  # dark ink on white, like gray_r
    img = Image.fromarray(grey, mode="L").resize((28 * scale, 28 * scale), Image.NEAREST)
    buf = io.BytesIO()
    img.save(buf, format="PNG", compress_level=1)
    return buf.getvalue()


class InterpolationExplorer:
    """ipywidgets explorer of decode(encode(x_c) + alpha (z_a - z_b)).

    ``spaces`` maps a model name to its fitted :class:`LatentSpace`;
    ``judge`` maps images to class probabilities. The decoded image is an
    ``Image`` widget and the probabilities are ten vertical bars
    (``FloatProgress`` widgets), so a slider move sends a few small values to
    the browser instead of a re-rendered matplotlib figure. Codes of the
    chosen sample are cached per model: a slider move costs one decode, one
    judge call and the widget updates.
    """

    def __init__(self, spaces: Mapping[str, LatentSpace], x_test, y_test, judge: ProbaFn,
                 alpha_range: tuple[float, float] = (-1.0, 2.0), start: tuple[int, int] = (6, 0),
                 sample_class: int = 7):
        if not spaces:
            raise ValueError("the explorer needs at least one model's LatentSpace.")
        self.spaces = dict(spaces)
        self.x_test = check_images(x_test, name="x_test")
        self.y_test = np.asarray(y_test)
        self.judge = judge
        self._code_cache: dict[tuple[str, int], np.ndarray] = {}
        self.timings: list[float] = []

        import ipywidgets as w

        b, a = start
        first = int(np.flatnonzero(self.y_test == check_class(sample_class))[0])
        self.model_menu = w.Dropdown(options=list(self.spaces), description="model")
        self.b_menu = w.Dropdown(options=list(range(10)), value=b, description="from b")
        self.a_menu = w.Dropdown(options=list(range(10)), value=a, description="to a")
        self.sample_box = w.BoundedIntText(value=first, min=0, max=len(self.x_test) - 1, description="test #")
        self.alpha_slider = w.FloatSlider(value=0.0, min=alpha_range[0], max=alpha_range[1], step=0.05,
                                          description="alpha", continuous_update=True, readout_format=".2f")
        self.image_widget = w.Image(format="png", width=168, height=168)
        self.bars = [w.FloatProgress(value=0.0, min=0.0, max=1.0, orientation="vertical",
                                     layout=w.Layout(width="22px", height="150px")) for _ in range(10)]
        bar_chart = w.HBox([w.VBox([bar, w.Label(str(k))]) for k, bar in enumerate(self.bars)])
        self.message = w.HTML()
        for control in (self.model_menu, self.b_menu, self.a_menu, self.sample_box, self.alpha_slider):
            control.observe(self.update, names="value")
        self.widget = w.VBox([
            w.HBox([self.model_menu, self.sample_box]),
            w.HBox([self.b_menu, self.a_menu]),
            self.alpha_slider,
            w.HBox([self.image_widget, bar_chart]),
            self.message,
        ])
        self.update()

    def _code(self, model_name: str, index: int) -> np.ndarray:
        key = (model_name, index)
        if key not in self._code_cache:
            self._code_cache[key] = self.spaces[model_name].encode(self.x_test[index: index + 1])[0]
        return self._code_cache[key]

    def frame(self, alpha: float | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Decoded image and judged probabilities for the current settings."""
        space = self.spaces[self.model_menu.value]
        a, b = self.a_menu.value, self.b_menu.value
        alpha = self.alpha_slider.value if alpha is None else alpha
        code = self._code(self.model_menu.value, self.sample_box.value)
        z = (code + np.float32(alpha) * space.vector(a, b))[None]
        image = space.decode(z)
        return image[0], _probabilities(self.judge, image)[0]

    def update(self, change=None) -> float:
        """Redraw for the current widget values; returns the seconds it took."""
        start = time.perf_counter()
        a, b = self.a_menu.value, self.b_menu.value
        if a == b:
            self.message.value = "<b>Pick two different classes</b>: the vector z_a - z_b is zero when a = b."
            return 0.0
        image, probs = self.frame()
        self.image_widget.value = image_png(image)
        for k, bar in enumerate(self.bars):
            bar.value = float(probs[k])
            bar.bar_style = "danger" if k == a else "info" if k == b else ""
        idx = self.sample_box.value
        self.message.value = (f"test #{idx} (a {self.y_test[idx]}) moved {b} &rarr; {a}, "
                              f"alpha {self.alpha_slider.value:+.2f}: p({a}) = {probs[a]:.2f}, "
                              f"p({b}) = {probs[b]:.2f}, judged {int(np.argmax(probs))}")
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
def alpha_animation(space: LatentSpace, x, a: int, b: int, alphas: Sequence[float], judge: ProbaFn,
                    label: str = "") -> animation.FuncAnimation:
    """The explorer as a matplotlib animation over alpha; embed with ``to_jshtml()``.

    All frames are decoded and judged in one batch before drawing.
    """
    x = check_images(x)[:1]
    alphas = np.asarray(alphas, dtype=np.float32)
    images = space.move(x, a, b, alphas)[0]
    probs = _probabilities(judge, images)
    fig = ExplorerFigure(dpi=60)  # every frame is an embedded PNG: keep them small for nbviewer

    def draw(i):
        fig.show(images[i], probs[i], a, b, f"{label} {b}->{a}, alpha {alphas[i]:+.2f}".strip())
        return [fig.image, *fig.bars]

    draw(0)
    anim = animation.FuncAnimation(fig.fig, draw, frames=len(alphas), interval=150, blit=False)
    plt.close(fig.fig)  # the HTML player replaces the static figure
    return anim


def small_multiples(space: LatentSpace, x, a: int, b: int, alphas: Sequence[float], judge: ProbaFn,
                    label: str = ""):
    """One row of decoded images along alpha with p(a) and p(b) under each (a static PNG)."""
    x = check_images(x)[:1]
    alphas = np.asarray(alphas, dtype=np.float32)
    images = space.move(x, a, b, alphas)[0]
    probs = _probabilities(judge, images)
    fig, axes = plt.subplots(2, len(alphas), figsize=(0.85 * len(alphas), 2.3),
                             gridspec_kw={"height_ratios": [1, 0.9]}, squeeze=False)
    for i, alpha in enumerate(alphas):
        axes[0, i].imshow(images[i], cmap="gray_r", vmin=0, vmax=1, interpolation="nearest")
        axes[0, i].set_title(f"{alpha:+.2f}", fontsize=8)
        axes[0, i].axis("off")
        ax = axes[1, i]
        ax.bar([0, 1], [probs[i, b], probs[i, a]], color=["tab:blue", "tab:red"])
        ax.set_ylim(0, 1)
        ax.set_xticks([0, 1], [str(b), str(a)], fontsize=8)
        ax.set_yticks([] if i else [0, 1])
    fig.suptitle(f"{label} test digit moved from {b} towards {a}: decoded image and judged p(b), p(a)".strip(),
                 fontsize=10)
    fig.tight_layout()
    return fig
