"""The interpolation explorer (helpers.widgets) and its static stand-ins."""

from __future__ import annotations

import io

import numpy as np
import pytest

from helpers import latent, widgets


class LinearModel:
    """A model with the shared interface whose latent space is a fixed linear map."""

    latent_dim = 4

    def __init__(self, seed: int = 0):
        rng = np.random.default_rng(seed)
        self.w = rng.standard_normal((784, self.latent_dim)).astype(np.float32) / 28

    def encode(self, x):
        return np.asarray(x, np.float32).reshape(len(x), -1) @ self.w

    def decode(self, z):
        return (1 / (1 + np.exp(-(np.asarray(z) @ self.w.T)))).reshape(-1, 28, 28).astype(np.float32)

    def sample(self, n, seed=None):
        return self.decode(np.random.default_rng(seed).standard_normal((n, self.latent_dim)))


def toy_judge(images):
    """Probabilities from the mean brightness of ten image bands: a deterministic judge."""
    bands = images.reshape(len(images), -1)[:, :780].reshape(len(images), 10, 78).mean(axis=2) * 10
    e = np.exp(bands - bands.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


@pytest.fixture(scope="module")
def toy():
    rng = np.random.default_rng(1)
    x = rng.random((200, 28, 28)).astype(np.float32)
    y = np.arange(200) % 10
    space = latent.LatentSpace(LinearModel(), x, y, name="linear")
    return space, x, y


def decoded(png: bytes) -> np.ndarray:
    from PIL import Image

    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(int)


def bar_heights(png: bytes, layout: widgets.FrameLayout) -> np.ndarray:
    """Height in pixels of each of the ten bars of a frame, read from its pixels."""
    rgb = decoded(png)
    heights = []
    for x in layout.bar_x:
        column = rgb[layout.chart_top:layout.chart_bottom, x + layout.bar_width // 2]
        heights.append(int((np.abs(column - 255).sum(axis=1) > 150).sum()))  # not white, not a light gridline
    return np.asarray(heights)


def test_explorer_image_changes_with_alpha(toy):
    space, x, y = toy
    explorer = widgets.InterpolationExplorer({"linear": space}, x, y, toy_judge, start=(6, 0), sample_class=7)
    explorer.alpha_slider.value = 0.0
    before = explorer.image_widget.value
    probs_before = explorer.probabilities.copy()
    explorer.alpha_slider.value = 1.5
    assert explorer.image_widget.value != before
    assert not np.allclose(explorer.probabilities, probs_before)
    assert np.isclose(explorer.probabilities.sum(), 1.0, atol=1e-6)
    # the bars are in the image: they follow the judged probabilities
    layout = widgets.FrameLayout()
    full = layout.chart_bottom - layout.chart_top
    for png, probs in ((before, probs_before), (explorer.image_widget.value, explorer.probabilities)):
        np.testing.assert_allclose(bar_heights(png, layout), probs * full, atol=1.5)


def test_explorer_sends_one_image_and_one_text_per_move(toy, monkeypatch):
    """A slider move updates two widgets (the image, then the text line), once each: no bar widgets."""
    import ipywidgets

    if int(ipywidgets.__version__.split(".")[0]) < 8:  # Colab's 7.7.1 (tools/compat_env.py colab)
        pytest.skip("ipywidgets 7 sends nothing outside a kernel (its Comm has no kernel): checked on ipywidgets 8")
    space, x, y = toy
    explorer = widgets.InterpolationExplorer({"linear": space}, x, y, toy_judge)
    sent = []
    original = ipywidgets.Widget._send

    def record(self, msg, buffers=None):
        binary = [path[0] for path in msg.get("buffer_paths", [])]  # the PNG travels as a binary buffer
        sent.append((self, sorted([*msg.get("state", {}), *binary])))
        return original(self, msg, buffers)

    monkeypatch.setattr(ipywidgets.Widget, "_send", record)
    explorer.alpha_slider.value = 0.65
    others = [(w, keys) for w, keys in sent if w is not explorer.alpha_slider]
    assert others == [(explorer.image_widget, ["value"]), (explorer.message, ["value"])], others


def test_explorer_frame_matches_engine(toy):
    space, x, y = toy
    explorer = widgets.InterpolationExplorer({"linear": space}, x, y, toy_judge, start=(2, 5), sample_class=3)
    idx = explorer.sample_box.value
    image, probs = explorer.frame(alpha=0.7)
    expected = space.move(x[idx: idx + 1], a=5, b=2, alphas=[0.7])[0, 0]
    np.testing.assert_allclose(image, expected, atol=1e-6)
    np.testing.assert_allclose(probs, toy_judge(expected[None])[0], atol=1e-9)


def test_explorer_same_class_shows_message_instead_of_failing(toy):
    space, x, y = toy
    explorer = widgets.InterpolationExplorer({"linear": space}, x, y, toy_judge)
    explorer.a_menu.value = explorer.b_menu.value
    assert "different classes" in explorer.message.value


def test_explorer_latency_is_measured_per_move(toy):
    space, x, y = toy
    explorer = widgets.InterpolationExplorer({"linear": space}, x, y, toy_judge)
    lat = explorer.measure_latency(np.linspace(-1, 2, 10))
    assert lat["n"] == 10
    assert 0 < lat["median_ms"] <= lat["p95_ms"]


def test_explorer_rejects_bad_judge(toy):
    space, x, y = toy
    with pytest.raises(ValueError, match=r"\(N, 10\)"):
        widgets.InterpolationExplorer({"linear": space}, x, y, lambda im: np.ones((len(im), 3)))


def test_explorer_needs_a_model(toy):
    _, x, y = toy
    with pytest.raises(ValueError, match="at least one"):
        widgets.InterpolationExplorer({}, x, y, toy_judge)


def test_frame_png_draws_the_digit_and_the_bars():
    rng = np.random.default_rng(3)
    image = rng.random((28, 28)).astype(np.float32)
    probs = rng.dirichlet(np.ones(10))
    layout = widgets.FrameLayout(scale=6)
    png = widgets.frame_png(image, probs, {0: widgets.TARGET_COLOUR, 6: widgets.START_COLOUR})
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    rgb = decoded(png)
    assert rgb.shape[1::-1] == layout.size
    # the digit: dark ink on white, each pixel a 6 x 6 block, grey levels within the ramp's step
    x0, y0, x1, y1 = layout.digit_box
    digit = rgb[y0:y1:6, x0:x1:6, 0]
    np.testing.assert_allclose(digit, 255 * (1 - image), atol=255 / 190)
    assert (rgb[y0:y1, x0:x1, 0] == rgb[y0:y1, x0:x1, 2]).all()  # grey, not tinted
    # the bars: heights follow the probabilities; a red, b blue, the others grey
    full = layout.chart_bottom - layout.chart_top
    np.testing.assert_allclose(bar_heights(png, layout), probs * full, atol=1.5)
    bottom = layout.chart_bottom - 1
    colour = {k: tuple(rgb[bottom, x + layout.bar_width // 2]) for k, x in enumerate(layout.bar_x)}
    assert colour[0] == (214, 39, 40) and colour[6] == (31, 119, 180)
    assert all(colour[k] == (153, 153, 153) for k in range(10) if k not in (0, 6) and probs[k] * full >= 1)


def test_frame_png_refuses_bad_shapes_and_colours():
    with pytest.raises(ValueError, match=r"\(28, 28\) image and 10 probabilities"):
        widgets.frame_png(np.zeros((28, 27)), np.full(10, 0.1))
    with pytest.raises(ValueError, match="10 probabilities"):
        widgets.frame_png(np.zeros((28, 28)), np.full(9, 0.1))
    with pytest.raises(ValueError, match="highlight colours"):
        widgets.frame_png(np.zeros((28, 28)), np.full(10, 0.1), {3: "green"})


def test_image_png_is_a_png():
    png = widgets.image_png(np.zeros((28, 28), np.float32))
    assert png[:8] == b"\x89PNG\r\n\x1a\n"


def test_animation_has_one_frame_per_alpha_and_embeds_as_html(toy):
    space, x, _ = toy
    anim = widgets.alpha_animation(space, x[:1], a=1, b=2, alphas=np.linspace(0, 1, 4), judge=toy_judge)
    html = anim.to_jshtml()
    assert html.count("data:image/png;base64") == 4
    assert "anim" in html


def test_small_multiples_draws_one_column_per_alpha(toy):
    space, x, _ = toy
    fig = widgets.small_multiples(space, x[:1], a=1, b=2, alphas=np.linspace(0, 1, 5), judge=toy_judge)
    assert len(fig.axes) == 10


# --- attribute mode (notebook 07) ----------------------------------------------------------
@pytest.fixture(scope="module")
def two_models(toy):
    space, x, y = toy
    other = latent.LatentSpace(LinearModel(seed=5), x, y, name="other")
    thickness = np.array([1.0, -0.5, 0.25, 0.0], np.float32)
    slant = np.array([0.0, 0.8, 0.0, -0.6], np.float32)
    axes = {"linear": {"thickness": thickness, "slant": slant}}
    return {"linear": space, "other": other}, axes, x, y


def test_attribute_axis_moves_along_its_vector_and_disables_the_class_menus(two_models):
    spaces, axes, x, y = two_models
    explorer = widgets.InterpolationExplorer(spaces, x, y, toy_judge, axes=axes)
    assert list(explorer.axis_menu.options) == [widgets.CLASS_PAIR, "thickness", "slant"]
    assert explorer.axis_menu in explorer.widget.children[1].children
    explorer.alpha_slider.value = 1.0
    pair_image = explorer.image_widget.value
    assert not explorer.a_menu.disabled and not explorer.b_menu.disabled

    explorer.axis_menu.value = "thickness"
    assert explorer.image_widget.value != pair_image
    assert explorer.a_menu.disabled and explorer.b_menu.disabled
    assert "thickness +1.00 SD" in explorer.message.value
    idx = explorer.sample_box.value
    own = int(y[idx])
    assert f"p({own}) = " in explorer.message.value  # the judge still says whether the class is kept
    image, probs = explorer.frame()
    code = spaces["linear"].encode(x[idx: idx + 1])[0]
    expected = spaces["linear"].decode((code + 1.0 * axes["linear"]["thickness"])[None])[0]
    np.testing.assert_allclose(image, expected, atol=1e-6)
    np.testing.assert_allclose(explorer.probabilities, toy_judge(expected[None])[0], atol=1e-9)

    thick = explorer.image_widget.value
    explorer.axis_menu.value = "slant"
    assert explorer.image_widget.value not in (thick, pair_image)
    explorer.axis_menu.value = widgets.CLASS_PAIR
    assert not explorer.a_menu.disabled and not explorer.b_menu.disabled
    assert explorer.image_widget.value == pair_image  # same settings, same picture
    assert "moved 6 &rarr; 0" in explorer.message.value


def test_attribute_axis_has_its_own_alpha_range(two_models):
    spaces, axes, x, y = two_models
    explorer = widgets.InterpolationExplorer(spaces, x, y, toy_judge, axes=axes, alpha_range=(-1.0, 2.0),
                                             attribute_range=(-3.0, 3.0))
    explorer.alpha_slider.value = 1.5
    explorer.axis_menu.value = "thickness"
    assert (explorer.alpha_slider.min, explorer.alpha_slider.max) == (-3.0, 3.0)
    assert explorer.alpha_slider.value == 1.5
    explorer.alpha_slider.value = -2.5
    explorer.axis_menu.value = widgets.CLASS_PAIR
    assert (explorer.alpha_slider.min, explorer.alpha_slider.max) == (-1.0, 2.0)
    assert explorer.alpha_slider.value == -1.0  # kept inside the class range
    assert "alpha -1.00" in explorer.message.value


def test_switching_to_a_model_without_that_axis_falls_back_to_the_class_pair(two_models):
    spaces, axes, x, y = two_models
    explorer = widgets.InterpolationExplorer(spaces, x, y, toy_judge, axes=axes)
    explorer.axis_menu.value = "slant"
    timings = len(explorer.timings)
    explorer.model_menu.value = "other"
    assert list(explorer.axis_menu.options) == [widgets.CLASS_PAIR]
    assert explorer.axis_menu.value == widgets.CLASS_PAIR
    assert not explorer.a_menu.disabled
    assert len(explorer.timings) == timings + 1  # one redraw for the whole switch
    explorer.model_menu.value = "linear"
    assert list(explorer.axis_menu.options) == [widgets.CLASS_PAIR, "thickness", "slant"]


def test_no_axes_means_no_axis_menu(toy):
    space, x, y = toy
    explorer = widgets.InterpolationExplorer({"linear": space}, x, y, toy_judge)
    assert explorer.axis_menu not in explorer.widget.children[1].children
    assert list(explorer.axis_menu.options) == [widgets.CLASS_PAIR]


@pytest.mark.parametrize("axes, error, match", [
    ([("linear", {})], TypeError, r"axes must map a model name"),
    ({"linear": [1, 2, 3, 4]}, TypeError, r"axes\['linear'\] must map an axis name"),
    ({"missing": {"thickness": np.ones(4)}}, ValueError, r"axes names model 'missing'.*not in spaces"),
    ({3: {"thickness": np.ones(4)}}, TypeError, r"axes keys must be model names"),
    ({"linear": {7: np.ones(4)}}, TypeError, r"axis names in axes\['linear'\] must be non-empty strings"),
    ({"linear": {"": np.ones(4)}}, TypeError, r"non-empty strings"),
    ({"linear": {widgets.CLASS_PAIR: np.ones(4)}}, ValueError, r"class-pair mode"),
    ({"linear": {"thickness": np.ones(3)}}, ValueError, r"axes\['linear'\]\['thickness'\] must have shape \(4,\)"),
    ({"linear": {"thickness": np.ones((1, 4))}}, ValueError, r"must have shape \(4,\)"),
    ({"linear": {"thickness": np.array([1.0, np.nan, 0, 0])}}, ValueError, r"1 non-finite"),
    ({"linear": {"thickness": np.zeros(4)}}, ValueError, r"all zeros"),
    ({"linear": {"thickness": "thick"}}, TypeError, r"axes\['linear'\]\['thickness'\] must be a numeric array"),
])
def test_bad_axes_are_refused_naming_the_argument(toy, axes, error, match):
    space, x, y = toy
    with pytest.raises(error, match=match):
        widgets.InterpolationExplorer({"linear": space}, x, y, toy_judge, axes=axes)


def test_attribute_frame_highlights_the_digits_own_class(two_models):
    spaces, axes, x, y = two_models
    explorer = widgets.InterpolationExplorer(spaces, x, y, toy_judge, axes=axes, sample_class=3)
    explorer.axis_menu.value = "thickness"
    rgb = decoded(explorer.image_widget.value)
    layout = widgets.FrameLayout()
    label_row = rgb[layout.chart_bottom + 3: layout.chart_bottom + 18]
    blue = [(np.abs(label_row[:, x: x + layout.bar_width] - (31, 119, 180)).sum(axis=2) < 60).sum()
            for x in layout.bar_x]
    assert int(np.argmax(blue)) == 3 and sorted(blue)[-2] == 0  # only the 3's label is blue


# --- static stand-ins along an attribute axis ------------------------------------------------
def test_animation_along_an_attribute_axis(two_models):
    spaces, axes, x, _ = two_models
    v = axes["linear"]["thickness"]
    anim = widgets.alpha_animation(spaces["linear"], x[:1], vector=v, axis="thickness",
                                   alphas=np.linspace(-2, 2, 5), judge=toy_judge, label="linear")
    html = anim.to_jshtml()
    assert html.count("data:image/png;base64") == 5
    pair = widgets.alpha_animation(spaces["linear"], x[:1], a=1, b=2, alphas=np.linspace(-2, 2, 5), judge=toy_judge)
    assert pair.to_jshtml().split("data:image/png;base64")[2] != html.split("data:image/png;base64")[2]


def test_small_multiples_along_an_attribute_axis_shows_the_moved_images(two_models):
    spaces, axes, x, _ = two_models
    space, v = spaces["linear"], axes["linear"]["slant"]
    alphas = np.linspace(-2, 2, 4)
    fig = widgets.small_multiples(space, x[:1], vector=v, axis="slant", alphas=alphas, judge=toy_judge)
    assert len(fig.axes) == 8
    expected = space.decode(space.moved_codes(space.encode(x[:1]), v, alphas)[0])
    shown = np.stack([ax.images[0].get_array() for ax in fig.axes[:4]])
    np.testing.assert_allclose(shown, expected, atol=1e-6)
    assert "slant" in fig._suptitle.get_text()
    own = int(np.argmax(toy_judge(x[:1])[0]))
    assert fig.axes[4].get_xticklabels()[0].get_text() == str(own)


@pytest.mark.parametrize("kwargs, error, match", [
    ({"a": 1, "b": 2, "vector": np.ones(4), "axis": "thickness"}, ValueError, "not both"),
    ({}, TypeError, "pass a and b"),
    ({"a": 1}, TypeError, "pass a and b"),
    ({"vector": np.ones(4)}, TypeError, "axis must name"),
    ({"vector": np.ones(5), "axis": "thickness"}, ValueError, r"vector must have shape \(4,\)"),
    ({"vector": np.full(4, np.inf), "axis": "thickness"}, ValueError, "non-finite"),
])
@pytest.mark.parametrize("stand_in", [widgets.alpha_animation, widgets.small_multiples])
def test_stand_ins_refuse_an_ambiguous_or_bad_axis(toy, stand_in, kwargs, error, match):
    space, x, _ = toy
    with pytest.raises(error, match=match):
        stand_in(space, x[:1], alphas=[0.0, 1.0], judge=toy_judge, **kwargs)


def test_stand_ins_keep_their_positional_signature(toy):
    space, x, _ = toy
    fig = widgets.small_multiples(space, x[:1], 1, 2, np.linspace(0, 1, 3), toy_judge, "linear")
    assert len(fig.axes) == 6
    with pytest.raises(TypeError, match="alphas is required"):
        widgets.small_multiples(space, x[:1], a=1, b=2, judge=toy_judge)


def test_slider_steps_are_decoded_in_one_batch_and_match_the_direct_frame(toy, monkeypatch):
    """A slider move looks its frame up; model, sample or classes changing decodes all steps again, once."""
    space, x, y = toy
    calls = []
    decode = space.decode
    monkeypatch.setattr(space, "decode", lambda z: calls.append(len(z)) or decode(z))
    explorer = widgets.InterpolationExplorer({"linear": space}, x, y, toy_judge, alpha_range=(-1.0, 2.0))
    assert calls == [61]  # -1 to 2 in steps of 0.05, in one call
    for alpha in (0.5, 1.25, -0.35, 0.5):
        explorer.alpha_slider.value = alpha
    assert calls == [61]
    image, probs = explorer.frame()  # the direct computation, for comparison
    assert calls == [61, 1]
    cached = explorer._track()
    step = explorer._step_index(0.5)
    np.testing.assert_allclose(cached["images"][step], image, atol=1e-6)
    # float32 decoding of 61 steps at once and of one can differ in the last bits (5e-7 relative on TF 2.20)
    np.testing.assert_allclose(explorer.probabilities, probs, rtol=1e-6, atol=1e-9)
    explorer.sample_box.value = explorer.sample_box.value + 1
    assert calls == [61, 1, 61]
    explorer.alpha_slider.value = 0.123  # between steps (set from code): computed on its own
    assert calls == [61, 1, 61, 1]
