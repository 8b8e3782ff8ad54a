"""The interpolation explorer (helpers.widgets) and its static stand-ins."""

from __future__ import annotations

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


def test_explorer_image_changes_with_alpha(toy):
    space, x, y = toy
    explorer = widgets.InterpolationExplorer({"linear": space}, x, y, toy_judge, start=(6, 0), sample_class=7)
    explorer.alpha_slider.value = 0.0
    before = explorer.image_widget.value
    bars_before = [b.value for b in explorer.bars]
    explorer.alpha_slider.value = 1.5
    assert explorer.image_widget.value != before
    assert [b.value for b in explorer.bars] != bars_before
    assert np.isclose(sum(b.value for b in explorer.bars), 1.0, atol=1e-6)


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
