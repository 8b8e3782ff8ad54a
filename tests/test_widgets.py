"""The interpolation explorer (helpers.widgets): its kernel side, and the static stand-in.

What the page does with the frames is checked in Chromium (tests/test_jupyterlab.py).
"""

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


def frames_of(explorer):
    """The frames the page holds, read back from the widget's state as the page reads them."""
    info, data = explorer.frames_for, explorer.frames
    n = info["count"]
    probs = np.frombuffer(data[:40 * n], "<f4").reshape(n, 10)
    ink = np.frombuffer(data[40 * n:], np.uint8).reshape(n, 28, 28)
    return info, ink, probs


def test_every_alpha_step_of_a_setting_is_in_the_widget_state(toy):
    space, x, y = toy
    explorer = widgets.InterpolationExplorer({"linear": space}, x, y, toy_judge, start=(6, 0), sample_class=7)
    info, ink, probs = frames_of(explorer)
    digit = explorer.settings["digit"]
    assert explorer.labels[digit] == 7 and info["settings"]["b"] == 6 and info["settings"]["a"] == 0
    assert (info["low"], info["step"], info["count"]) == (-1.0, 0.05, 61)
    alphas = -1.0 + 0.05 * np.arange(61)
    expected = space.move(explorer.x[digit: digit + 1], a=0, b=6, alphas=alphas)[0]
    np.testing.assert_array_equal(ink, np.rint(np.clip(expected, 0, 1) * 255))
    np.testing.assert_allclose(probs, toy_judge(expected), atol=1e-6)
    assert len(explorer.frames) == 61 * (784 + 40)
    assert not np.array_equal(ink[0], ink[-1]) and not np.allclose(probs[0], probs[-1])
    assert len(explorer.thumbs) == len(explorer.labels) * 784


def test_a_setting_from_the_page_is_answered_in_one_message(toy, monkeypatch):
    """The page sends a setting (one comm message); the kernel answers with one update carrying all frames."""
    space, x, y = toy
    explorer = widgets.InterpolationExplorer({"linear": space}, x, y, toy_judge)
    sent = []

    class Comm:  # what the kernel would send to the page (ipywidgets 7 sends nothing without a kernel)
        kernel = object()

        def send(self, data, buffers=None):
            sent.append((data.get("method"), sorted([*data.get("state", {}), *(p[0] for p in data.get("buffer_paths", []))]),
                         sum(len(b) for b in buffers or [])))

    monkeypatch.setitem(explorer._trait_values, "comm", Comm())
    request = {**explorer.settings, "digit": 3, "b": 2, "a": 5, "alpha": 0.5, "request": "1:7"}
    explorer.set_state({"settings": request})  # what a message from the page does
    updates = [s for s in sent if s[0] == "update" and "frames" in s[1]]
    assert len(updates) == 1 and updates[0][1] == ["frames", "frames_for"], sent
    assert updates[0][2] == 61 * (784 + 40)  # the frames travel as one binary buffer
    info, ink, _ = frames_of(explorer)
    assert info["request"] == "1:7" and info["settings"]["digit"] == 3 and info["settings"]["alpha"] == 0.5
    expected = space.move(explorer.x[3:4], a=5, b=2, alphas=[-1.0, 0.5])[0]
    np.testing.assert_array_equal(ink[[0, 30]], np.rint(np.clip(expected, 0, 1) * 255))


def test_frame_sets_are_decoded_in_one_batch_and_kept(toy, monkeypatch):
    space, x, y = toy
    calls = []
    decode = space.decode
    monkeypatch.setattr(space, "decode", lambda z: calls.append(len(z)) or decode(z))
    explorer = widgets.InterpolationExplorer({"linear": space}, x, y, toy_judge, alpha_range=(-1.0, 2.0))
    assert calls == [61]  # -1 to 2 in steps of 0.05, in one call
    explorer.choose(alpha=1.25)  # alpha alone: the same frames
    explorer.choose(digit=2)
    explorer.choose(digit=explorer.settings["digit"] + 1)
    assert calls == [61, 61, 61]
    explorer.choose(digit=2)  # been there: kept
    assert calls == [61, 61, 61] and len(explorer.timings) == 3
    image, probs = explorer.frame(0.5)  # the direct computation, for comparison
    assert calls[-1] == 1
    fs = explorer.frame_set()
    np.testing.assert_allclose(fs.images[30], image, atol=1e-6)
    np.testing.assert_allclose(fs.probs[30], probs, atol=1e-9)


def test_explorer_frame_matches_engine(toy):
    space, x, y = toy
    explorer = widgets.InterpolationExplorer({"linear": space}, x, y, toy_judge, start=(2, 5), sample_class=3)
    digit = explorer.settings["digit"]
    image, probs = explorer.frame(alpha=0.7)
    expected = space.move(explorer.x[digit: digit + 1], a=5, b=2, alphas=[0.7])[0, 0]
    np.testing.assert_allclose(image, expected, atol=1e-6)
    np.testing.assert_allclose(probs, toy_judge(expected[None])[0], atol=1e-9)


def test_settings_are_checked(toy):
    space, x, y = toy
    explorer = widgets.InterpolationExplorer({"linear": space}, x, y, toy_judge)
    with pytest.raises(ValueError, match="two different classes"):
        explorer.choose(a=explorer.settings["b"])
    with pytest.raises(ValueError, match="model must be one of"):
        explorer.choose(model="other")
    with pytest.raises(ValueError, match="digit must index"):
        explorer.choose(digit=len(explorer.labels))
    with pytest.raises(ValueError, match="axis must be"):
        explorer.choose(axis="thickness")
    with pytest.raises(TypeError, match="choose takes"):
        explorer.choose(sample=3)
    explorer.choose(alpha=9.0)
    assert explorer.settings["alpha"] == 2.0  # kept in the range


def test_a_failing_model_is_reported_in_the_page_not_lost(toy, monkeypatch):
    space, x, y = toy
    explorer = widgets.InterpolationExplorer({"linear": space}, x, y, toy_judge)
    monkeypatch.setattr(space, "decode", lambda z: 1 / 0)
    explorer.set_state({"settings": {**explorer.settings, "digit": 5, "request": "1:1"}})
    assert explorer.frames_for["request"] == "1:1"
    assert "ZeroDivisionError" in explorer.frames_for["error"]
    with pytest.raises(ZeroDivisionError):  # from Python, the error is raised
        explorer.choose(digit=6)


def test_plain_text_says_what_it_is_and_how_to_use_it(toy):
    """Where a widget cannot render (GitHub, nbviewer) its plain text shows: it names a live widget and says to run
    the notebook, and promises nothing about the page around it (not every chapter has a page-only block)."""
    space, x, y = toy
    explorer = widgets.InterpolationExplorer({"linear": space}, x, y, toy_judge)
    data, _ = explorer._repr_mimebundle_()
    text = data["text/plain"]
    assert text == repr(explorer) and len(text) <= 110  # ipywidgets 7 (Colab) cuts longer ones
    assert "live widget" in text and "run the notebook" in text and "VBox" not in text
    assert data["application/vnd.jupyter.widget-view+json"]["model_id"] == explorer.model_id
    assert explorer.widget is explorer


def test_explorer_rejects_bad_judge(toy):
    space, x, y = toy
    with pytest.raises(ValueError, match=r"\(N, 10\)"):
        widgets.InterpolationExplorer({"linear": space}, x, y, lambda im: np.ones((len(im), 3)))


def test_explorer_needs_a_model(toy):
    _, x, y = toy
    with pytest.raises(ValueError, match="at least one"):
        widgets.InterpolationExplorer({}, x, y, toy_judge)


@pytest.mark.parametrize("kwargs, error, match", [
    ({"digits": [0, 1, 500]}, ValueError, "digits must be 1 to 100 indices"),
    ({"digits": "all"}, TypeError, "digits"),
    ({"digits": [0, 1]}, ValueError, "sample_class: none of digits"),
    ({"alpha_step": 0.07}, ValueError, "alpha_step must divide"),
    ({"alpha_step": 0}, ValueError, "alpha_step"),
])
def test_bad_digits_and_steps_are_refused(toy, kwargs, error, match):
    space, x, y = toy
    with pytest.raises(error, match=match):
        widgets.InterpolationExplorer({"linear": space}, x, y, toy_judge, **kwargs)


def test_small_multiples_shows_start_target_and_the_digits_class_on_one_scale(toy):
    space, x, _ = toy
    fig = widgets.small_multiples(space, x[:1], a=1, b=2, alphas=np.linspace(0, 1, 5), judge=toy_judge, true_class=7)
    assert len(fig.axes) == 10
    bars = fig.axes[5:]
    assert [t.get_text() for t in bars[0].get_xticklabels()] == ["2", "1", "7"]
    image = space.decode(space.moved_codes(space.encode(x[:1]), space.vector(1, 2), np.linspace(0, 1, 5))[0])
    np.testing.assert_allclose([p.get_height() for p in bars[2].patches], toy_judge(image)[2, [2, 1, 7]], atol=1e-6)
    assert all(ax.get_shared_y_axes().joined(bars[0], ax) for ax in bars)
    assert bars[0].get_ylabel() and bars[0].get_xlabel() == "class"
    own = widgets.small_multiples(space, x[:1], a=1, b=2, alphas=[0.0, 1.0], judge=toy_judge)  # judged class
    judged = int(np.argmax(toy_judge(x[:1])[0]))
    assert [t.get_text() for t in own.axes[2].get_xticklabels()] == list(dict.fromkeys(["2", "1", str(judged)]))


# --- attribute mode (notebook 07) ----------------------------------------------------------
@pytest.fixture(scope="module")
def two_models(toy):
    space, x, y = toy
    other = latent.LatentSpace(LinearModel(seed=5), x, y, name="other")
    thickness = np.array([1.0, -0.5, 0.25, 0.0], np.float32)
    slant = np.array([0.0, 0.8, 0.0, -0.6], np.float32)
    axes = {"linear": {"thickness": thickness, "slant": slant}}
    return {"linear": space, "other": other}, axes, x, y


def test_attribute_axis_moves_along_its_vector(two_models):
    spaces, axes, x, y = two_models
    explorer = widgets.InterpolationExplorer(spaces, x, y, toy_judge, axes=axes)
    assert explorer.meta["axes"] == {"linear": ["thickness", "slant"], "other": []}
    pair = frames_of(explorer)[1]
    explorer.choose(axis="thickness", alpha=1.0)
    info, ink, probs = frames_of(explorer)
    assert info["settings"]["axis"] == "thickness" and explorer.attribute == "thickness"
    assert (info["low"], info["count"]) == (-2.0, 81)  # attribute_range in steps of 0.05
    digit = explorer.settings["digit"]
    code = spaces["linear"].encode(explorer.x[digit: digit + 1])[0]
    expected = spaces["linear"].decode((code + 1.0 * axes["linear"]["thickness"])[None])[0]
    np.testing.assert_array_equal(ink[60], np.rint(np.clip(expected, 0, 1) * 255))
    np.testing.assert_allclose(probs[60], toy_judge(expected[None])[0], atol=1e-6)
    image, _ = explorer.frame()
    np.testing.assert_allclose(image, expected, atol=1e-6)
    explorer.choose(axis="slant")
    assert not np.array_equal(frames_of(explorer)[1][60], ink[60])
    explorer.choose(axis=widgets.CLASS_PAIR)
    np.testing.assert_array_equal(frames_of(explorer)[1], pair)  # same settings, same frames


def test_attribute_axis_has_its_own_alpha_range(two_models):
    spaces, axes, x, y = two_models
    explorer = widgets.InterpolationExplorer(spaces, x, y, toy_judge, axes=axes, alpha_range=(-1.0, 2.0),
                                             attribute_range=(-3.0, 3.0))
    assert explorer.meta["ranges"] == {"pair": {"low": -1.0, "high": 2.0, "step": 0.05},
                                       "axis": {"low": -3.0, "high": 3.0, "step": 0.05}}
    explorer.choose(axis="thickness", alpha=-2.5)
    assert explorer.frames_for["count"] == 121
    explorer.choose(axis=widgets.CLASS_PAIR)
    assert explorer.settings["alpha"] == -1.0  # kept inside the class range


def test_switching_to_a_model_without_that_axis_falls_back_to_the_class_pair(two_models):
    spaces, axes, x, y = two_models
    explorer = widgets.InterpolationExplorer(spaces, x, y, toy_judge, axes=axes)
    explorer.choose(axis="slant")
    timings = len(explorer.timings)
    explorer.choose(model="other")
    assert explorer.settings["axis"] == widgets.CLASS_PAIR
    assert explorer.frames_for["settings"]["model"] == "other"
    assert len(explorer.timings) == timings + 1  # one frame set for the whole switch


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


# --- the static stand-in along an attribute axis ---------------------------------------------
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
def test_stand_in_refuses_an_ambiguous_or_bad_axis(toy, kwargs, error, match):
    space, x, _ = toy
    with pytest.raises(error, match=match):
        widgets.small_multiples(space, x[:1], alphas=[0.0, 1.0], judge=toy_judge, **kwargs)


def test_stand_ins_keep_their_positional_signature(toy):
    space, x, _ = toy
    fig = widgets.small_multiples(space, x[:1], 1, 2, np.linspace(0, 1, 3), toy_judge, "linear")
    assert len(fig.axes) == 6
    with pytest.raises(TypeError, match="alphas is required"):
        widgets.small_multiples(space, x[:1], a=1, b=2, judge=toy_judge)
