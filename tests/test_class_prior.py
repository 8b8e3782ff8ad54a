"""The class-prior VAE of notebook 06: its mixture prior, its labelled loss, sampling, saving and training."""

from __future__ import annotations

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from keras import ops  # noqa: E402
from scipy.special import logsumexp  # noqa: E402
from scipy.stats import multivariate_normal  # noqa: E402

from helpers import cache, config, scoring, vae  # noqa: E402
from helpers.data import Dataset, shuffled_batches  # noqa: E402

LATENT = 3
UNITS = (16,)


def np_(t) -> np.ndarray:
    return np.asarray(ops.convert_to_numpy(t), dtype=np.float64)


def tiny(n_classes: int = 10, seed: int = 0) -> vae.ClassPriorVAE:
    config.seed_everything(seed)
    return vae.ClassPriorVAE(LATENT, UNITS, UNITS, seed=seed, n_classes=n_classes)


def test_log_prior_is_the_mixture_density():
    model = tiny(n_classes=3)
    means = np.array([[0.0, 0.0, 0.0], [3.0, -1.0, 0.5], [-2.0, 2.0, 1.0]], np.float32)
    model.class_means.assign(means)
    model.set_class_frequencies(np.array([0] * 5 + [1] * 3 + [2] * 2))
    z = np.random.default_rng(0).standard_normal((7, LATENT)).astype(np.float32) * 2
    expected = logsumexp([np.log(w) + multivariate_normal(m, np.eye(LATENT)).logpdf(z)
                          for w, m in zip((0.5, 0.3, 0.2), means)], axis=0)
    np.testing.assert_allclose(np_(model.log_prior(z)), expected, rtol=1e-5)
    joint = np_(model.class_log_joint(z))
    assert joint.shape == (7, 3)
    np.testing.assert_allclose(logsumexp(joint, axis=1), expected, rtol=1e-5)


def test_with_every_mean_at_zero_the_prior_is_the_standard_normal():
    model = tiny()
    model.class_means.assign(np.zeros((10, LATENT), np.float32))
    z = np.random.default_rng(1).standard_normal((5, LATENT)).astype(np.float32)
    np.testing.assert_allclose(np_(model.log_prior(z)), np_(vae.VAE.log_prior(model, z)), rtol=1e-5)


def test_kl_estimate_averages_to_the_closed_form():
    """For the N(0, I) special case the one-sample estimate must average to the exact KL."""
    model = tiny()
    model.class_means.assign(np.zeros((10, LATENT), np.float32))
    rng = np.random.default_rng(2)
    mean = np.tile(np.array([[0.5, -1.0, 2.0]], np.float32), (40000, 1))
    log_var = np.tile(np.array([[-1.0, 0.3, -0.2]], np.float32), (40000, 1))
    z = mean + np.exp(0.5 * log_var) * rng.standard_normal(mean.shape).astype(np.float32)
    estimate = np_(model.kl_estimate(z, mean, log_var)).mean()
    exact = float(np_(vae.gaussian_kl(mean[:1], log_var[:1]))[0])
    assert estimate == pytest.approx(exact, abs=0.05)
    # the plain VAE's KL is the closed form itself, whatever the draw
    plain = vae.VAE(LATENT, UNITS, UNITS)
    np.testing.assert_allclose(np_(plain.kl_estimate(z[:3], mean[:3], log_var[:3])), exact, rtol=1e-5)


def test_train_step_charges_each_image_the_kl_to_its_own_class(mnist):
    """Zero learning rate: the reported KL must be KL(q(z|x) || N(m_y, I)) with the image's own label."""
    x, y = mnist.x_train[:200], mnist.y_train[:200]
    model = tiny(seed=4)
    model.set_class_frequencies(y)
    model.class_means.assign(np.outer(np.arange(10), [5.0, 0.0, 0.0]).astype(np.float32))  # well apart
    batches, _ = shuffled_batches(x, y, batch_size=50)
    model.compile(optimizer=keras.optimizers.SGD(0.0), jit_compile=False)
    hist = model.fit(batches, epochs=1, verbose=0, shuffle=False).history
    mean, log_var = model.encode_distribution(x)
    m_y = model.prior_means()[y]
    own = 0.5 * np.sum(np.exp(log_var) + (mean - m_y) ** 2 - 1 - log_var, axis=1).mean()
    assert hist["kl"][0] == pytest.approx(own, rel=1e-4)
    # the KL to another class's mean is a different number: the labels matter
    wrong = model.prior_means()[(y + 1) % 10]
    other = 0.5 * np.sum(np.exp(log_var) + (mean - wrong) ** 2 - 1 - log_var, axis=1).mean()
    assert abs(other - own) > 5
    assert hist["loss"][0] == pytest.approx(hist["reconstruction"][0] + hist["kl"][0], rel=1e-5)


def test_train_step_without_labels_says_what_to_do(mnist):
    model = tiny()
    model.compile(optimizer=keras.optimizers.Adam(1e-3), jit_compile=False)
    with pytest.raises(ValueError, match="labels"):
        model.fit(mnist.x_train[:100], epochs=1, batch_size=50, verbose=0)


def test_class_frequencies_are_checked_and_stored():
    model = tiny(n_classes=3)
    model.set_class_frequencies(np.array([0, 0, 1, 2]))
    np.testing.assert_allclose(np.exp(np_(model.log_class_prior)), [0.5, 0.25, 0.25], rtol=1e-6)
    with pytest.raises(ValueError, match=r"classes \[2\] have no training images"):
        model.set_class_frequencies(np.array([0, 1, 1]))
    with pytest.raises(ValueError, match="must lie in 0..2"):
        model.set_class_frequencies(np.array([0, 1, 3]))
    with pytest.raises(ValueError, match="non-empty 1-d"):
        model.set_class_frequencies(np.zeros((2, 2), int))
    with pytest.raises(ValueError, match="at least 2 classes"):
        vae.ClassPriorVAE(LATENT, UNITS, UNITS, n_classes=1)


def test_samples_follow_the_class_frequencies_and_means(monkeypatch):
    model = tiny(n_classes=3)
    model.class_means.assign(np.array([[10.0, 0, 0], [0, 10.0, 0], [0, 0, 10.0]], np.float32))
    model.set_class_frequencies(np.array([0] * 6 + [1] * 3 + [2]))
    seen = {}
    monkeypatch.setattr(model, "decode", lambda z: seen.setdefault("z", z) * 0 + 0.5)
    model.sample(3000, seed=0)
    nearest = np.argmax(seen["z"], axis=1)  # each code sits by its own class mean
    np.testing.assert_allclose(np.bincount(nearest, minlength=3) / 3000, [0.6, 0.3, 0.1], atol=0.03)
    with pytest.raises(ValueError, match="classes must lie in 0..2"):
        model.sample_class([0, 3])


def test_samples_are_images_and_reproducible():
    model = tiny()
    a, b = model.sample(6, seed=1), model.sample(6, seed=1)
    assert a.shape == (6, 28, 28) and a.min() >= 0 and a.max() <= 1
    np.testing.assert_array_equal(a, b)
    assert model.sample_class([3, 3], seed=0).shape == (2, 28, 28)


def test_importance_weighted_bound_uses_the_mixture_prior(mnist):
    model = tiny(seed=5)
    model.set_class_frequencies(mnist.y_train[:1000])
    x = mnist.x_test[:300]
    elbo = vae.negative_elbo(model, x)
    assert elbo["neg_elbo"] == pytest.approx(elbo["reconstruction"] + elbo["kl"], rel=1e-5)
    # k = 1 has the ELBO's expectation; with the N(0, I) prior in its place the figure would move
    assert vae.importance_weighted_nll(model, x, k=1) == pytest.approx(elbo["neg_elbo"], abs=1.5)
    assert vae.importance_weighted_nll(model, x, k=20) <= elbo["neg_elbo"]


def test_save_and_load_keep_the_prior(isolated_artifacts, mnist):
    model = tiny(seed=6)
    model.set_class_frequencies(mnist.y_train[:500])
    path = isolated_artifacts / "cp.keras"
    cache.save_keras_model(model, path)
    again = cache.load_keras_model(path)
    assert isinstance(again, vae.ClassPriorVAE) and again.n_classes == 10
    np.testing.assert_array_equal(again.prior_means(), model.prior_means())
    np.testing.assert_array_equal(np_(again.log_class_prior), np_(model.log_class_prior))
    np.testing.assert_array_equal(again.sample(4, seed=0), model.sample(4, seed=0))


TINY_CFG = {"latent_dim": 8, "encoder_units": [64], "decoder_units": [64], "activation": "silu", "epochs": 10,
            "batch_size": 100, "learning_rate": 2e-2, "warmup_fraction": 0.05, "train_images": 2000, "prior": "class"}


def test_training_on_labels_gathers_each_class_around_its_mean(mnist):
    """After a short run the codes of a class lie nearer their own mean m_y than any other class's."""
    model, record = vae.train_vae(mnist, TINY_CFG, verbose=0)
    assert isinstance(model, vae.ClassPriorVAE)
    assert record["history"]["loss"][-1] < record["history"]["loss"][0]
    codes = model.encode(mnist.x_test[:1000])
    dist = np.linalg.norm(codes[:, None] - model.prior_means()[None], axis=-1)
    accuracy = np.mean(dist.argmin(axis=1) == mnist.y_test[:1000])
    assert accuracy > 0.5  # 200 steps of a small model (measured 0.71); chance is 0.1
    np.testing.assert_allclose(np.exp(np_(model.log_class_prior)),
                               np.bincount(mnist.y_train[:2000], minlength=10) / 2000, rtol=1e-5)


def test_unknown_prior_is_refused(mnist):
    with pytest.raises(ValueError, match="unknown prior 'vamp'"):
        vae.train_vae(mnist, dict(TINY_CFG, prior="vamp"), verbose=0)


def test_class_prior_config_follows_the_settings():
    cfg = vae.class_prior_config()
    assert cfg["prior"] == "class" and cfg["latent_dim"] == 20
    assert cfg["epochs"] == max(1, 2 * config.SETTINGS.vae_epochs // 5)
    assert {k: v for k, v in cfg.items() if k not in ("prior", "epochs")} == {
        k: v for k, v in vae.training_config(20).items() if k != "epochs"}
    assert cache._jsonable(cfg) == cfg


def test_pretrained_class_prior_vae_trains_once_then_loads(isolated_artifacts, monkeypatch, mnist):
    monkeypatch.setattr(vae, "class_prior_config", lambda d=20: dict(TINY_CFG, epochs=2, train_images=300))
    data = Dataset(mnist.x_train[:300], mnist.y_train[:300], mnist.x_test[:50], mnist.y_test[:50])
    model, record = vae.pretrained_class_prior_vae(data, verbose=0)
    assert (isolated_artifacts / f"vae-classprior-d20-{config.MODE}.keras").is_file()
    again, record2 = vae.pretrained_class_prior_vae(data, verbose=0)
    assert record2 == record and isinstance(again, vae.ClassPriorVAE)
    np.testing.assert_array_equal(again.encode(data.x_test), model.encode(data.x_test))


# --- the realism distance of a mixture prior (helpers.scoring) ------------------------------------
def test_prior_distance_to_the_nearest_component():
    d = 20
    typical = scoring.prior_typical_norm(d)
    centers = np.array([np.zeros(d), np.full(d, 5.0)])
    on_second = centers[1] + typical * np.eye(d)[0]  # exactly on the second component's typical shell
    far = np.full(d, 50.0)
    dist = scoring.prior_distance(np.stack([on_second, far]), centers=centers)
    assert dist[0] == pytest.approx(0.0, abs=1e-9)
    assert dist[1] == pytest.approx(abs(np.linalg.norm(far - centers[1]) - typical))
    # a single component at the origin is the plain N(0, I) figure
    z = np.random.default_rng(0).standard_normal((4, 3, d))
    np.testing.assert_allclose(scoring.prior_distance(z, centers=np.zeros((1, d))), scoring.prior_distance(z))
    with pytest.raises(ValueError, match="centers must have shape"):
        scoring.prior_distance(z, centers=np.zeros((2, d + 1)))


def test_prior_centers_come_from_the_model():
    model = tiny()
    np.testing.assert_array_equal(scoring.prior_centers(model), model.prior_means())
    assert scoring.prior_centers(vae.VAE(LATENT, UNITS, UNITS)) is None


def test_class_shape_mismatch_is_zero_for_shifted_copies_and_grows_with_rotation():
    rng = np.random.default_rng(0)
    base = rng.standard_normal((4000, 3)) * [3.0, 1.0, 0.2]
    labels = np.repeat([0, 1, 2], len(base))
    rotated = base[:, [1, 0, 2]]  # the long axis turned by 90 degrees
    same = np.concatenate([base, base + [10, 0, 0], base - [0, 5, 5]])
    turned = np.concatenate([base, base + [10, 0, 0], rotated])
    m_same = scoring.class_shape_mismatch(same, labels, n_classes=3)
    m_turned = scoring.class_shape_mismatch(turned, labels, n_classes=3)
    np.testing.assert_allclose(m_same, 0.0, atol=1e-6)
    assert m_turned[0, 2] > 0.3 and m_turned[0, 2] == m_turned[2, 0] and m_turned[0, 1] < 1e-6
    np.testing.assert_allclose(scoring.class_shape_mismatch(7 * turned, labels, n_classes=3), m_turned, atol=1e-9)
    with pytest.raises(ValueError, match="class 1 has 0 codes"):
        scoring.class_shape_mismatch(base, np.zeros(len(base), int), n_classes=3)
    with pytest.raises(ValueError, match="labels: 12000 labels for 4000"):
        scoring.class_shape_mismatch(base, labels, n_classes=3)


def clusters(separation: float, n: int = 60, seed: int = 0):
    """Ten round clusters of codes at separation x the unit vectors, spread 1 in every direction."""
    rng = np.random.default_rng(seed)
    labels = np.repeat(np.arange(10), n)
    codes = separation * np.eye(10)[labels] + rng.standard_normal((len(labels), 10))
    return codes, labels


def test_class_geometry_of_clusters_with_a_known_layout():
    far_train, y = clusters(20.0)
    far_test, y_test = clusters(20.0, seed=1)
    far = scoring.class_geometry(far_train, y, far_test, y_test, per_pair=10)
    assert far["spread"] == pytest.approx(np.sqrt(10), rel=0.1)  # unit variance in 10 dimensions
    assert far["separation"] == pytest.approx(20 * np.sqrt(2), rel=0.02)
    assert far["separation / spread"] == pytest.approx(far["separation"] / far["spread"])
    assert far["nearest centroid"] == 1.0 and far["moved nearest target"] == 1.0
    assert far["shape mismatch"] < 0.2  # the same round shape, up to sampling noise
    near_train, _ = clusters(1.0)
    near_test, _ = clusters(1.0, seed=1)
    near = scoring.class_geometry(near_train, y, near_test, y_test, per_pair=10)
    assert near["separation / spread"] < 1 and near["nearest centroid"] < 0.6 and near["moved nearest target"] < 0.6
    with pytest.raises(ValueError, match="do not match"):
        scoring.class_geometry(far_train, y, far_test[:, :3], y_test, per_pair=10)
    lean = scoring.class_geometry(far_train, y, far_test, y_test, per_pair=10, shape=False)
    assert "shape mismatch" not in lean and lean == {k: v for k, v in far.items() if k != "shape mismatch"}
    with pytest.raises(TypeError, match="shape"):
        scoring.class_geometry(far_train, y, far_test, y_test, per_pair=10, shape="no")


def test_evaluate_reports_the_unlabelled_bound(mnist):
    """``evaluate`` (test_step) scores images alone against the mixture prior, like ``negative_elbo``."""
    x, y = mnist.x_test[:400], mnist.y_test[:400]
    model = tiny(seed=8)
    model.set_class_frequencies(mnist.y_train[:1000])
    model.class_means.assign(np.full((10, LATENT), 6.0, np.float32) * np.sign(np.arange(10) - 4.5)[:, None])
    model.compile(optimizer=keras.optimizers.Adam(1e-3), jit_compile=False)
    batches, _ = shuffled_batches(x, y, batch_size=100)
    scores = model.evaluate(batches, verbose=0, return_dict=True)
    ref = vae.negative_elbo(model, x)
    assert scores["loss"] == pytest.approx(scores["reconstruction"] + scores["kl"], rel=1e-5)
    assert scores["loss"] == pytest.approx(ref["neg_elbo"], abs=3.0)  # two independent one-sample estimates
    # the means sit far from the origin, so a KL to N(0, I) would give a very different figure
    kl_to_standard_normal = float(np.mean(np_(vae.gaussian_kl(*model.encode_distribution(x)))))
    assert scores["kl"] - kl_to_standard_normal > 20
