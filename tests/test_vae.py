"""The VAE of notebook 03: loss terms, bounds, training, interface, saving and the cache."""

from __future__ import annotations

import logging
import math
import warnings

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from keras import ops  # noqa: E402
from scipy.stats import norm  # noqa: E402

from helpers import cache, config, vae  # noqa: E402
from helpers.data import Dataset  # noqa: E402

LATENT = 4
UNITS = (32,)


def np_(t) -> np.ndarray:
    return np.asarray(ops.convert_to_numpy(t), dtype=np.float64)


def tiny_vae(latent_dim: int = LATENT, seed: int = 0) -> vae.VAE:
    config.seed_everything(seed)
    return vae.VAE(latent_dim, UNITS, UNITS, seed=seed)


def fit(model: vae.VAE, x: np.ndarray, epochs: int, batch_size: int = 100):
    model.compile(optimizer=keras.optimizers.Adam(2e-3), jit_compile=False)
    return model.fit(x, epochs=epochs, batch_size=batch_size, shuffle=True, verbose=0)


@pytest.fixture(scope="module")
def trained(mnist):
    """A small VAE fitted for a few epochs on 2000 real digits (a few seconds on CPU)."""
    model = tiny_vae()
    history = fit(model, mnist.x_train[:2000], epochs=4)
    return model, history.history


# --- the loss terms -------------------------------------------------------------------
def test_kl_of_the_prior_itself_is_zero():
    kl = np_(vae.gaussian_kl(np.zeros((3, 5), np.float32), np.zeros((3, 5), np.float32)))
    np.testing.assert_allclose(kl, 0.0, atol=1e-7)


def test_kl_matches_closed_form_by_hand():
    # one image, two dimensions: N(1, 1) and N(-2, 4) against N(0, 1).
    # KL(N(m, s^2) || N(0, 1)) = log(1/s) + (s^2 + m^2)/2 - 1/2
    mean = np.array([[1.0, -2.0]], np.float32)
    log_var = np.array([[0.0, math.log(4.0)]], np.float32)
    expected = (0.0 + (1 + 1) / 2 - 0.5) + (math.log(1 / 2) + (4 + 4) / 2 - 0.5)
    assert np_(vae.gaussian_kl(mean, log_var)) == pytest.approx([expected], rel=1e-6)


def test_kl_matches_monte_carlo():
    rng = np.random.default_rng(0)
    mean, sd = np.array([0.5, -1.0, 2.0]), np.array([0.3, 1.5, 1.0])
    z = mean + sd * rng.standard_normal((400_000, 3))
    mc = np.mean(np.sum(norm.logpdf(z, mean, sd) - norm.logpdf(z), axis=1))
    exact = np_(vae.gaussian_kl(mean[None].astype(np.float32), np.log(sd[None] ** 2).astype(np.float32)))[0]
    assert exact == pytest.approx(mc, abs=0.02)


def test_kl_is_per_image_not_averaged_over_dimensions():
    mean = np.ones((2, 7), np.float32)
    kl = np_(vae.gaussian_kl(mean, np.zeros_like(mean)))
    np.testing.assert_allclose(kl, [3.5, 3.5], rtol=1e-6)  # 7 dimensions x m^2/2


def test_gaussian_log_density_matches_scipy():
    rng = np.random.default_rng(1)
    z, mean = rng.standard_normal((2, 6, 3))
    log_var = rng.uniform(-2, 2, (6, 3))
    expected = norm.logpdf(z, mean, np.exp(0.5 * log_var)).sum(axis=1)
    got = np_(vae.gaussian_log_density(*(a.astype(np.float32) for a in (z, mean, log_var))))
    np.testing.assert_allclose(got, expected, rtol=1e-5)


def test_bernoulli_nll_matches_numpy_formula():
    rng = np.random.default_rng(2)
    x = rng.uniform(0, 1, (5, 28, 28))
    logits = rng.normal(0, 3, (5, 28, 28))
    p = 1 / (1 + np.exp(-logits))
    expected = -np.sum(x * np.log(p) + (1 - x) * np.log1p(-p), axis=(1, 2))
    got = np_(vae.bernoulli_nll(x.astype(np.float32), logits.astype(np.float32)))
    assert got.shape == (5,)
    np.testing.assert_allclose(got, expected, rtol=1e-5)


def test_bernoulli_nll_is_stable_for_extreme_logits():
    x = np.zeros((2, 28, 28), np.float32)
    x[1] = 1.0
    logits = np.full((2, 28, 28), -200.0, np.float32)
    got = np_(vae.bernoulli_nll(x, logits))
    assert np.all(np.isfinite(got))
    assert got[0] == pytest.approx(0.0, abs=1e-6)  # confident and right
    assert got[1] == pytest.approx(784 * 200.0, rel=1e-6)  # confident and wrong


def test_bernoulli_nll_accepts_flat_images():
    rng = np.random.default_rng(3)
    x = rng.uniform(0, 1, (4, 28, 28)).astype(np.float32)
    logits = rng.normal(size=(4, 28, 28)).astype(np.float32)
    np.testing.assert_allclose(np_(vae.bernoulli_nll(x.reshape(4, 784), logits.reshape(4, 784))),
                               np_(vae.bernoulli_nll(x, logits)), rtol=1e-6)


def test_flop_count_by_hand():
    model = vae.VAE(3, (10,), (20,))
    enc = 2 * 784 * 10 + 2 * (2 * 10 * 3)
    dec = 2 * 3 * 20 + 2 * 20 * 784
    assert model.train_flops_per_image() == 3 * (enc + dec)


def test_achieved_gflops_uses_the_median_epoch():
    record = {"train_flops_per_image": 1_000_000, "train_images": 1000, "epoch_seconds": [30.0, 1.0, 1.0, 2.0]}
    assert vae.achieved_gflops(record) == pytest.approx(1000 * 1e6 / 1.5 / 1e9)


def test_warmup_rises_linearly_to_the_peak_then_decays_to_zero():
    cfg = {"learning_rate": 5e-3, "warmup_fraction": 0.1}
    schedule = vae.warmup_cosine(cfg, steps=1000)
    rate = [float(ops.convert_to_numpy(schedule(step))) for step in (0, 50, 100, 550, 1000)]
    assert rate[0] == pytest.approx(0.0, abs=1e-9)
    assert rate[1] == pytest.approx(2.5e-3, rel=1e-3)  # halfway up the ramp
    assert rate[2] == pytest.approx(5e-3, rel=1e-4)  # the peak, at the end of the warm-up
    assert rate[3] == pytest.approx(2.5e-3, rel=1e-3)  # halfway down the cosine
    assert rate[4] == pytest.approx(0.0, abs=1e-7)


def test_schedule_without_warmup_starts_at_the_peak():
    schedule = vae.warmup_cosine({"learning_rate": 1e-3}, steps=100)
    assert float(ops.convert_to_numpy(schedule(0))) == pytest.approx(1e-3)


# --- training and the bounds on a small real model -------------------------------------------
def test_training_loss_is_finite_decreasing_and_unweighted(trained, mnist):
    _, hist = trained
    for key in ("loss", "reconstruction", "kl"):
        assert np.all(np.isfinite(hist[key])), key
    assert hist["loss"][-1] < hist["loss"][0] - 20  # nats per image
    # the loss is reconstruction + KL with equal weights, each per image
    np.testing.assert_allclose(hist["loss"], np.add(hist["reconstruction"], hist["kl"]), rtol=1e-4)


def test_train_step_reports_the_per_image_terms(mnist):
    """With a zero learning rate, fit's metrics must equal the standalone per-image figures.

    Catches a KL weighted by 1/batch (the 2018 seed bug) or a loss averaged
    over pixels instead of summed: both change the numbers train_step reports.
    """
    x = mnist.x_train[:200]
    model = tiny_vae(seed=4)
    model.compile(optimizer=keras.optimizers.SGD(0.0), jit_compile=False)
    hist = model.fit(x, epochs=1, batch_size=50, shuffle=False, verbose=0).history
    ref = vae.negative_elbo(model, x)
    assert hist["kl"][0] == pytest.approx(ref["kl"], rel=1e-4)  # the KL needs no sampling
    assert hist["reconstruction"][0] == pytest.approx(ref["reconstruction"], abs=2.0)
    assert 784 * math.log(2) * 0.7 < ref["reconstruction"] < 784 * math.log(2) * 1.3  # summed over pixels
    assert hist["loss"][0] == pytest.approx(hist["reconstruction"][0] + hist["kl"][0], rel=1e-5)
    evaluated = model.evaluate(x, batch_size=50, verbose=0, return_dict=True)
    assert evaluated["kl"] == pytest.approx(ref["kl"], rel=1e-4)


def test_negative_elbo_drops_over_a_few_training_steps(mnist):
    x = mnist.x_train[:500]
    model = tiny_vae(seed=3)
    before = vae.negative_elbo(model, x)
    fit(model, x, epochs=2, batch_size=50)
    after = vae.negative_elbo(model, x)
    for part in (before, after):
        assert all(np.isfinite(v) for v in part.values())
        assert part["neg_elbo"] == pytest.approx(part["reconstruction"] + part["kl"], rel=1e-5)
        assert part["kl"] >= 0
    assert after["neg_elbo"] < before["neg_elbo"] - 20


def test_importance_weighted_bound_is_tighter_than_the_elbo(trained, mnist):
    model, _ = trained
    x = mnist.x_test[:300]
    elbo = vae.negative_elbo(model, x)["neg_elbo"]
    iw5 = vae.importance_weighted_nll(model, x, k=5)
    iw50 = vae.importance_weighted_nll(model, x, k=50)
    assert iw50 <= iw5 <= elbo
    assert iw50 < elbo - 0.5  # a trained 4-d VAE leaves nats between the bounds
    # k = 1 is the ELBO again (same expectation; averaged over 300 images)
    assert vae.importance_weighted_nll(model, x, k=1) == pytest.approx(elbo, abs=1.5)


def test_evaluation_is_reproducible_with_a_seed(trained, mnist):
    model, _ = trained
    x = mnist.x_test[:100]
    assert vae.negative_elbo(model, x, seed=5) == vae.negative_elbo(model, x, seed=5)
    assert vae.importance_weighted_nll(model, x, k=3, seed=5) == vae.importance_weighted_nll(model, x, k=3, seed=5)


def test_evaluation_rejects_bad_images(trained, mnist):
    model, _ = trained
    with pytest.raises(ValueError):
        vae.negative_elbo(model, mnist.x_test[:10] * 255)
    with pytest.raises(ValueError):
        vae.importance_weighted_nll(model, mnist.x_test[:10, :27, :27], k=2)


# --- the shared interface --------------------------------------------------------------
def test_interface_shapes_and_ranges(mnist):
    model = tiny_vae()
    x = mnist.x_test[:7]
    z = model.encode(x)
    assert z.shape == (7, LATENT) and z.dtype == np.float32
    np.testing.assert_array_equal(model.encode(x.reshape(7, 784)), z)
    mean, log_var = model.encode_distribution(x)
    np.testing.assert_array_equal(mean, z)
    assert log_var.shape == (7, LATENT)
    for images in (model.decode(z), model.reconstruct(x), model.sample(5, seed=0)):
        assert images.shape[1:] == (28, 28)
        assert images.min() >= 0.0 and images.max() <= 1.0
    assert model.sample(5, seed=0).shape == (5, 28, 28)
    np.testing.assert_array_equal(model.sample(3, seed=1), model.sample(3, seed=1))
    assert not np.array_equal(model.sample(3, seed=1), model.sample(3, seed=2))
    assert model.encode(x[:0]).shape == (0, LATENT)
    assert model.decode(np.zeros((0, LATENT))).shape == (0, 28, 28)


def test_interface_batches_give_the_same_answer(mnist):
    model = tiny_vae()
    x = mnist.x_test[:50]
    np.testing.assert_allclose(model.encode(x, batch_size=7), model.encode(x), rtol=1e-5, atol=1e-6)
    z = model.encode(x)
    np.testing.assert_allclose(model.decode(z, batch_size=9), model.decode(z), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize(
    "bad, match",
    [
        (lambda x: x[:, :27, :27], "expected shape"),
        (lambda x: x[0], "one image"),
        (lambda x: x * 255.0, "expected \\[0, 1\\]"),
        (lambda x: (x * 255).astype(np.uint8), "uint8"),
        (lambda x: np.where(x > 0.5, np.nan, x), "NaN"),
    ],
    ids=["wrong-shape", "single-image", "wrong-range", "uint8", "nan"],
)
def test_encode_rejects_bad_images(mnist, bad, match):
    model = tiny_vae()
    with pytest.raises(ValueError, match=match):
        model.encode(bad(mnist.x_test[:3].copy()))


@pytest.mark.parametrize(
    "codes, match",
    [
        (np.zeros((3, LATENT + 1)), "expected shape"),
        (np.zeros(LATENT), "one code"),
        (np.zeros((3, LATENT, 1)), "expected shape"),
        (np.full((2, LATENT), np.inf), "NaN or infinite"),
    ],
    ids=["wrong-width", "single-code", "3-d", "inf"],
)
def test_decode_rejects_bad_codes(codes, match):
    with pytest.raises(ValueError, match=match):
        tiny_vae().decode(codes)


def test_many_models_do_not_trip_the_retracing_warning(caplog):
    """Each model traces its own encoder/decoder; notebooks with several VAEs print no TF warning."""
    rng = np.random.default_rng(0)
    with caplog.at_level(logging.WARNING, logger="tensorflow"):
        for d in (2, 3, 2, 3):
            model = vae.VAE(d, (8,), (8,))
            for n in (50, 7, 3):
                model.decode(model.encode(rng.uniform(0, 1, (n, 28, 28)).astype(np.float32)))
    assert "retracing" not in caplog.text


def test_constructor_rejects_empty_latent():
    with pytest.raises(ValueError):
        vae.VAE(0)


def test_the_vae_implements_the_interface():
    from helpers.interface import GenerativeModel, check_model

    model = tiny_vae()
    check_model(model)
    assert isinstance(model, GenerativeModel)


# --- serialisation and the cache ---------------------------------------------------------
def test_get_config_from_config_round_trip(mnist):
    model = vae.VAE(3, (16, 8), (8,), activation="tanh", seed=7)
    cfg = model.get_config()
    assert (cfg["latent_dim"], cfg["encoder_units"], cfg["decoder_units"], cfg["activation"], cfg["seed"]) == (
        3, [16, 8], [8], "tanh", 7)
    clone = vae.VAE.from_config(cfg)
    assert [w.shape for w in clone.get_weights()] == [w.shape for w in model.get_weights()]
    clone.set_weights(model.get_weights())
    x = mnist.x_test[:5]
    np.testing.assert_array_equal(clone.encode(x), model.encode(x))
    np.testing.assert_array_equal(clone.decode(model.encode(x)), model.decode(model.encode(x)))


class Trainer:
    """A train function for cache.cached_model that counts its calls and returns a tiny VAE."""

    def __init__(self, latent_dim: int = 3):
        self.calls = 0
        self.latent_dim = latent_dim

    def __call__(self):
        self.calls += 1
        model = vae.VAE(self.latent_dim, (8,), (8,), seed=self.calls)
        return model, {"history": {"loss": [1.0, 0.5]}, "train_seconds": 0.1, "calls": self.calls}


def test_cache_round_trip_gives_identical_outputs(isolated_artifacts, mnist):
    train = Trainer()
    cfg = {"latent_dim": 3, "units": [8]}
    model, record, loaded = cache.cached_model("tiny", cfg, train, verbose=False)
    assert not loaded and train.calls == 1
    assert (isolated_artifacts / f"tiny-{config.MODE}.keras").is_file()
    again, record2, loaded2 = cache.cached_model("tiny", cfg, train, verbose=False)
    assert loaded2 and train.calls == 1
    assert isinstance(again, vae.VAE) and again.latent_dim == 3
    assert record2["history"] == record["history"] and record2["config"] == cfg and record2["mode"] == config.MODE
    x = mnist.x_test[:20]
    np.testing.assert_array_equal(again.encode(x), model.encode(x))
    z = np.random.default_rng(0).standard_normal((6, 3)).astype(np.float32)
    np.testing.assert_array_equal(again.decode(z), model.decode(z))
    # the noise generator is restored too: a loaded model's ELBO estimate is reproducible
    assert vae.negative_elbo(again, x) == vae.negative_elbo(model, x)


def test_corrupt_model_file_is_discarded_and_retrained(isolated_artifacts):
    train = Trainer()
    cfg = {"latent_dim": 3}
    cache.cached_model("tiny", cfg, train, verbose=False)
    path = cache.artifact_path("tiny", ".keras")
    path.write_bytes(b"not a zip file at all")
    with pytest.warns(UserWarning, match="discarding unreadable model"):
        model, _, loaded = cache.cached_model("tiny", cfg, train, verbose=False)
    assert not loaded and train.calls == 2
    _, record, loaded = cache.cached_model("tiny", cfg, train, verbose=False)
    assert loaded and record["calls"] == 2  # the retrained model replaced the corrupt file


def test_truncated_model_file_is_discarded(isolated_artifacts):
    train = Trainer()
    cache.cached_model("tiny", {"d": 3}, train, verbose=False)
    path = cache.artifact_path("tiny", ".keras")
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _, _, loaded = cache.cached_model("tiny", {"d": 3}, train, verbose=False)
    assert not loaded and train.calls == 2


def test_record_of_another_config_triggers_retraining(isolated_artifacts, capsys):
    train = Trainer()
    cache.cached_model("tiny", {"epochs": 2}, train)
    _, record, loaded = cache.cached_model("tiny", {"epochs": 3}, train)
    assert not loaded and train.calls == 2 and record["config"] == {"epochs": 3}
    assert "describes another configuration" in capsys.readouterr().out
    _, _, loaded = cache.cached_model("tiny", {"epochs": 3}, train)
    assert loaded and train.calls == 2


def test_model_without_its_record_counts_as_unfinished(isolated_artifacts):
    train = Trainer()
    cache.cached_model("tiny", {"d": 3}, train, verbose=False)
    cache.artifact_path("tiny", ".json").unlink()
    _, _, loaded = cache.cached_model("tiny", {"d": 3}, train, verbose=False)
    assert not loaded and train.calls == 2


def test_retrain_flag_forces_training(isolated_artifacts):
    train = Trainer()
    cache.cached_model("tiny", {"d": 3}, train, verbose=False)
    _, _, loaded = cache.cached_model("tiny", {"d": 3}, train, retrain=True, verbose=False)
    assert not loaded and train.calls == 2


def test_quick_and_full_artifacts_never_share_a_file(isolated_artifacts, monkeypatch):
    assert cache.artifact_path("vae-d20", ".keras", "quick") != cache.artifact_path("vae-d20", ".keras", "full")
    train = Trainer()
    monkeypatch.setattr(config, "MODE", "quick")
    cache.cached_model("tiny", {"d": 3}, train, verbose=False)
    monkeypatch.setattr(config, "MODE", "full")
    _, record, loaded = cache.cached_model("tiny", {"d": 3}, train, verbose=False)
    assert not loaded and train.calls == 2 and record["mode"] == "full"
    assert sorted(p.name for p in isolated_artifacts.glob("tiny-*")) == [
        "tiny-full.json", "tiny-full.keras", "tiny-quick.json", "tiny-quick.keras"]


def test_no_partial_files_are_left_behind(isolated_artifacts):
    cache.cached_model("tiny", {"d": 3}, Trainer(), verbose=False)
    assert not [p.name for p in isolated_artifacts.iterdir() if "partial" in p.name]


def test_training_config_follows_the_settings():
    for d in (2, 20):
        cfg = vae.training_config(d)
        assert cfg["latent_dim"] == d
        assert cfg["train_images"] == (config.SETTINGS.train_subset or 60000)
        assert 1 <= cfg["epochs"] <= config.SETTINGS.vae_epochs
        assert cache._jsonable(cfg) == cfg  # storable in the record as is


def test_pretrained_vae_trains_once_then_loads(isolated_artifacts, monkeypatch, mnist):
    tiny = {"latent_dim": 2, "encoder_units": [16], "decoder_units": [16], "activation": "relu",
            "epochs": 2, "batch_size": 100, "learning_rate": 1e-3, "train_images": 300}
    monkeypatch.setattr(vae, "training_config", lambda d: dict(tiny, latent_dim=d))
    data = Dataset(mnist.x_train[:300], mnist.y_train[:300], mnist.x_test[:50], mnist.y_test[:50])
    model, record = vae.pretrained_vae(2, data, verbose=0)
    assert model.latent_dim == 2
    assert len(record["history"]["loss"]) == 2 and len(record["epoch_seconds"]) == 2
    assert record["train_images"] == 300 and record["train_seconds"] > 0
    assert vae.achieved_gflops(record) > 0
    assert (isolated_artifacts / f"vae-d2-{config.MODE}.keras").is_file()
    again, record2 = vae.pretrained_vae(2, data, verbose=0)
    assert record2 == record
    np.testing.assert_array_equal(again.encode(data.x_test), model.encode(data.x_test))


# --- notebook 03's plotting helpers ------------------------------------------------------
def test_normal_quantile_grid():
    from helpers import plots

    q = plots.normal_quantile_grid(20, tail=0.05)
    assert q.shape == (20,) and np.all(np.diff(q) > 0)
    np.testing.assert_allclose(norm.cdf(q), np.linspace(0.05, 0.95, 20), atol=1e-12)
    np.testing.assert_allclose(q, -q[::-1], atol=1e-12)  # symmetric about 0
    for bad in ({"n": 1}, {"tail": 0.0}, {"tail": 0.5}):
        with pytest.raises(ValueError):
            plots.normal_quantile_grid(**{"n": 5, **bad})


def test_latent_manifold_lines_up_with_a_scatter():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from helpers import plots

    seen = []

    def decode(z):
        seen.append(np.asarray(z))
        img = np.zeros((len(z), 28, 28), np.float32)
        img[:, 0, 0] = norm.cdf(z[:, 0])  # brightness of the corner pixel encodes z1 ...
        img[:, 0, 1] = norm.cdf(z[:, 1])  # ... and its neighbour z2
        return img

    fig = plots.latent_manifold(decode, n=4, tail=0.1)
    z = seen[0].reshape(4, 4, 2)
    q = plots.normal_quantile_grid(4, 0.1)
    np.testing.assert_allclose(z[0, 0], [q[0], q[-1]], rtol=1e-6)  # top left: smallest z1, largest z2
    np.testing.assert_allclose(z[-1, -1], [q[-1], q[0]], rtol=1e-6)  # bottom right
    canvas = fig.axes[0].images[0].get_array()
    assert canvas.shape == (4 * 28, 4 * 28)  # seamless: no gaps between cells
    assert canvas[0, 0] == pytest.approx(0.1, abs=1e-6) and canvas[0, 1] == pytest.approx(0.9, abs=1e-6)
    plt.close(fig)
    with pytest.raises(ValueError, match="decode returned"):
        plots.latent_manifold(lambda z: np.zeros((3, 28, 28)), n=4)


def test_jit_compile_can_be_switched_off_for_short_runs(mnist):
    tiny = {"latent_dim": 2, "encoder_units": [16], "decoder_units": [16], "activation": "relu",
            "epochs": 1, "batch_size": 100, "learning_rate": 1e-3, "train_images": 300}
    data = Dataset(mnist.x_train[:300], mnist.y_train[:300], mnist.x_test[:50], mnist.y_test[:50])
    compiled, _ = vae.train_vae(data, tiny, verbose=0)
    eager, record = vae.train_vae(data, dict(tiny, jit_compile=False), verbose=0)
    assert compiled.jit_compile is True and eager.jit_compile is False
    assert np.isfinite(record["history"]["loss"][0])


def test_importance_log_weights_match_the_separate_terms(trained, mnist):
    model, _ = trained
    x = mnist.x_test[:7]
    eps = np.random.default_rng(0).standard_normal((3, 7, LATENT)).astype(np.float32)
    log_w = np_(vae.importance_log_weights(model, x, eps))
    mean, log_var = model.encode_distribution(x)
    z = mean[None] + np.exp(0.5 * log_var)[None] * eps
    for i in range(3):
        expected = (-np_(vae.bernoulli_nll(x, model.decoder(z[i]))) + np_(model.log_prior(z[i]))
                    - np_(vae.gaussian_log_density(z[i], mean, log_var)))
        np.testing.assert_allclose(log_w[i], expected, rtol=1e-4, atol=1e-3)
    with pytest.raises(ValueError, match="k must be at least 1"):
        vae.importance_weighted_nll(model, x, k=0)
