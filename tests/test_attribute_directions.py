"""Attribute directions (helpers.latent, notebook 07) on synthetic linear worlds with known answers."""

from __future__ import annotations

import numpy as np
import pytest

from helpers import latent

D = 12
N_PER_CLASS = 400


def linear_world(seed: int = 0, d: int = D, noise: float = 0.05):
    """Codes z | y ~ N(m_y, I) and an attribute s = a . z + small noise, with a known a.

    The class means live in the first 9 dimensions; ``a`` has a part inside
    that span and a part outside it, so the probe and the conditional
    direction differ by a known projection.
    """
    rng = np.random.default_rng(seed)
    means = np.zeros((10, d))
    k = min(9, d)
    means[:, :k] = 3.0 * rng.standard_normal((10, k))
    labels = np.repeat(np.arange(10), N_PER_CLASS)
    codes = means[labels] + rng.standard_normal((len(labels), d))
    a = np.zeros(d)
    a[0], a[-1] = 1.0, 2.0
    if d > 2:
        a[-2] = -1.0
    values = codes @ a + noise * rng.standard_normal(len(codes))
    return codes, values, labels, means, a


def cos(u, v) -> float:
    return float(u @ v / np.linalg.norm(u) / np.linalg.norm(v))


def test_probe_recovers_the_linear_attribute():
    codes, values, _, _, a = linear_world()
    w, b, r2 = latent.ridge_probe(codes, values)
    assert cos(w, a) > 0.999
    assert np.allclose(w, a, atol=0.02)
    assert r2 > 0.99


@pytest.mark.parametrize("n, d", [(60, 8), (40, 300)])  # fewer codes than numbers per code: the n x n route
def test_probe_is_the_ridge_solution_whatever_the_shape(n, d):
    rng = np.random.default_rng(3)
    codes = rng.standard_normal((n, d))
    values = codes[:, 0] - 0.5 * codes[:, 1] + 0.1 * rng.standard_normal(n)
    w, b, _ = latent.ridge_probe(codes, values, ridge=0.1)
    zc, sc = codes - codes.mean(axis=0), values - values.mean()
    gram = zc.T @ zc / n
    expected = np.linalg.solve(gram + 0.1 * np.trace(gram) / d * np.eye(d), zc.T @ sc / n)  # the d x d textbook form
    assert np.allclose(w, expected, atol=1e-10)
    assert b == pytest.approx(values.mean() - codes.mean(axis=0) @ expected, abs=1e-10)


def test_each_recipe_recovers_its_known_direction():
    codes, values, labels, means, a = linear_world()
    centroids = latent.class_centroids(codes, labels)
    dirs = latent.attribute_directions(codes, values, labels, centroids, attribute="s", counterfactual=0.5 * a)
    assert set(dirs.available()) == set(latent.DIRECTION_METHODS)
    # With isotropic noise inside each class, the within-class quartile contrast points along a.
    assert cos(dirs.vector("quantile"), a) > 0.98
    assert cos(dirs.vector("probe"), a) > 0.999
    assert cos(dirs.vector("counterfactual"), a) > 0.999
    # Conditional: a with the class span (the first 9 dimensions here) projected out.
    basis = latent.class_span(centroids)
    expected = a - basis.T @ (basis @ a)
    assert cos(dirs.vector("conditional"), expected) > 0.999
    assert np.abs(basis @ dirs.unit("conditional")).max() < 1e-9  # moves no class direction
    assert cos(dirs.vector("conditional"), a) < 0.95  # and so differs from the probe here


def test_alpha_one_is_one_standard_deviation_for_every_method():
    codes, values, labels, _, a = linear_world()
    centroids = latent.class_centroids(codes, labels)
    dirs = latent.attribute_directions(codes, values, labels, centroids, counterfactual=a + 0.3)
    sd = values.std()
    assert dirs.sd == pytest.approx(sd)
    for method in dirs.available():
        v = dirs.vector(method)
        assert dirs.probe_weights @ v == pytest.approx(sd, rel=1e-9)
        # In this world the probe is the truth: moving by v changes s by one SD.
        assert a @ v == pytest.approx(sd, rel=0.03), method


def test_conditional_is_missing_when_classes_fill_the_space():
    codes, values, labels, _, _ = linear_world(d=2)
    centroids = latent.class_centroids(codes, labels)
    dirs = latent.attribute_directions(codes, values, labels, centroids)
    assert "conditional" in dirs.missing and "whole 2-d" in dirs.missing["conditional"]
    assert np.all(np.isnan(dirs.vector("conditional")))
    assert "counterfactual" in dirs.missing
    assert set(dirs.available()) == {"quantile", "probe"}
    assert np.isnan(dirs.cosine("probe", "conditional"))


def test_a_direction_against_the_probe_is_reported_missing():
    codes, values, labels, _, a = linear_world()
    dirs = latent.attribute_directions(codes, values, labels, latent.class_centroids(codes, labels),
                                       counterfactual=-a)
    assert "counterfactual" in dirs.missing
    assert "probe" in dirs.available()


def test_quantile_direction_keeps_the_class_out():
    """Class 1 is thin and class 0 thick, but within each class s is unrelated to the class axis.

    A pooled top-minus-bottom contrast points along the class axis; the
    within-class one does not.
    """
    rng = np.random.default_rng(1)
    labels = np.repeat([0, 1], 2000)
    codes = rng.standard_normal((4000, 3))
    codes[:, 0] += np.where(labels == 0, 4.0, -4.0)  # the class axis
    values = 2.0 * (labels == 0) + codes[:, 1]       # thicker zeros; style along axis 1
    v = latent.quantile_direction(codes, values, labels, n_classes=2)
    assert abs(cos(v, np.array([1.0, 0, 0]))) < 0.1
    assert cos(v, np.array([0, 1.0, 0])) > 0.99
    pooled_top, pooled_bottom = values >= np.quantile(values, 0.75), values <= np.quantile(values, 0.25)
    pooled = codes[pooled_top].mean(0) - codes[pooled_bottom].mean(0)
    assert cos(pooled, np.array([1.0, 0, 0])) > 0.5  # what the correction removes


def test_blank_images_are_left_out_of_the_probe():
    codes, values, labels, _, a = linear_world()
    values = values.copy()
    values[::7] = np.nan
    w, _, r2 = latent.ridge_probe(codes, values)
    assert cos(w, a) > 0.999 and r2 > 0.99


@pytest.mark.parametrize("kwargs, message", [
    ({"values": np.zeros(5)}, "values"),
    ({"labels": np.zeros(3)}, "labels"),
    ({"centroids": np.zeros((10, 4))}, "centroids"),
    ({"counterfactual": np.zeros(4)}, "counterfactual"),
    ({"quantile": 0.7}, "quantile"),
])
def test_bad_inputs_name_the_argument(kwargs, message):
    codes, values, labels, means, a = linear_world()
    args = {"codes": codes, "values": values, "labels": labels, "centroids": latent.class_centroids(codes, labels)}
    extra = {k: v for k, v in kwargs.items() if k not in args}
    args.update({k: v for k, v in kwargs.items() if k in args})
    with pytest.raises(ValueError, match=message):
        latent.attribute_directions(args["codes"], args["values"], args["labels"], args["centroids"], **extra)


def test_constant_attribute_is_refused():
    codes, _, labels, _, _ = linear_world()
    with pytest.raises(ValueError, match="does not vary"):
        latent.attribute_directions(codes, np.ones(len(codes)), labels, latent.class_centroids(codes, labels))


class FirstPixels:
    """A linear 'model' whose code is the first D pixels (scaled), so a pixel change is a known code change."""

    latent_dim = D

    def encode(self, x):
        return 2.0 * np.asarray(x, np.float32).reshape(len(x), -1)[:, :D]

    def decode(self, z):
        out = np.zeros((len(z), 784), np.float32)
        out[:, :D] = np.clip(np.asarray(z) / 2.0, 0, 1)
        return out.reshape(-1, 28, 28)

    def sample(self, n, seed=None):
        return self.decode(np.random.default_rng(seed).uniform(0, 2, (n, D)))


def test_latent_space_code_shift_and_directions():
    rng = np.random.default_rng(0)
    labels = np.repeat(np.arange(10), 50)
    x = np.zeros((500, 784), np.float32)
    x[:, :D] = rng.uniform(0.1, 0.6, (500, D))
    x[np.arange(500), 20 + labels] = 1.0  # class marks outside the code
    x = x.reshape(-1, 28, 28)
    space = latent.LatentSpace(FirstPixels(), x, labels)
    changed = x.copy().reshape(500, -1)
    changed[:, 3] += 0.2  # the "perturbation": pixel 3 brighter, so code 3 + 0.4
    shift = space.code_shift(x, changed.reshape(-1, 28, 28))
    assert np.allclose(shift, 0.4 * np.eye(D)[3], atol=1e-5)
    values = space.train_codes[:, 3] + 0.5 * space.train_codes[:, 5]
    dirs = space.attribute_directions("s", values, counterfactual=shift)
    assert cos(dirs.vector("counterfactual"), np.eye(D)[3]) > 0.999
    assert cos(dirs.vector("probe"), np.eye(D)[3] + 0.5 * np.eye(D)[5]) > 0.999
    sub = space.attribute_directions("s", values[:200], index=np.arange(200))
    assert cos(sub.vector("probe"), dirs.vector("probe")) > 0.999
    with pytest.raises(ValueError, match="x_changed"):
        space.code_shift(x, x[:3])


def test_principal_directions_find_the_widest_axes():
    rng = np.random.default_rng(0)
    codes = rng.standard_normal((5000, 4)) * np.array([5.0, 0.5, 2.0, 1.0])
    axes, sds = latent.principal_directions(codes, k=2)
    assert abs(axes[0] @ np.eye(4)[0]) > 0.999 and abs(axes[1] @ np.eye(4)[2]) > 0.99
    assert sds == pytest.approx([5.0, 2.0], rel=0.05)
    with pytest.raises(ValueError, match="k must"):
        latent.principal_directions(codes, k=5)
    with pytest.raises(ValueError, match="codes"):
        latent.principal_directions(codes[0])
