"""The BiGAN of notebook 04: training step, interface, serialisation, cache, figures.

Every test builds a tiny model (a few dozen units) on synthetic images, so the
file runs in seconds without MNIST.
"""

from __future__ import annotations

import warnings

import keras
import numpy as np
import pytest
import tensorflow as tf

from helpers import bigan, cache
from helpers.data import Dataset
from helpers.interface import GenerativeModel, check_model

@pytest.fixture(autouse=True)
def eager_tiny_steps(request):
    """Run train steps eagerly: tracing costs far more than a tiny model's step.

    Tests named ``..._in_graph_mode`` keep the compiled path (so does the notebook's quick run).
    """
    if request.node.name.endswith("_in_graph_mode"):
        yield
        return
    tf.config.run_functions_eagerly(True)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*does not apply to tf.data functions.*")
        yield
    tf.config.run_functions_eagerly(False)


TINY = dict(latent_dim=4, g_hidden=(16,), e_hidden=(16,), d_hidden=(16, 8), d_dropout=0.0)


def tiny_model(**overrides) -> bigan.BiGAN:
    keras.utils.set_random_seed(0)
    model = bigan.BiGAN(**dict(TINY, **overrides))
    model.compile()
    return model


def toy_images(n: int = 64, seed: int = 0) -> np.ndarray:
    """Blocky images in [0, 1]: a bright square at a random place on a dark field."""
    rng = np.random.default_rng(seed)
    x = np.zeros((n, 28, 28), np.float32)
    for i, (r, c) in enumerate(rng.integers(0, 20, (n, 2))):
        x[i, r: r + 8, c: c + 8] = 1.0
    return x


@pytest.fixture
def tiny_data() -> Dataset:
    rng = np.random.default_rng(1)
    return Dataset(
        toy_images(200, seed=2), np.arange(200) % 10,
        toy_images(50, seed=3), rng.permutation(np.arange(50) % 10),
    )


def weights(net) -> list[np.ndarray]:
    """Trainable weights only (batch-norm moving statistics change in any forward pass)."""
    return [keras.ops.convert_to_numpy(w).copy() for w in net.trainable_weights]


def changed(before, after) -> bool:
    return any(not np.allclose(a, b) for a, b in zip(before, after))


# --- architecture and the shared interface -------------------------------------------
def test_outputs_have_the_right_shapes_and_ranges():
    model = tiny_model()
    x = toy_images(7)
    z = model.encode(x)
    assert z.shape == (7, 4) and z.dtype == np.float32
    images = model.decode(z)
    assert images.shape == (7, 28, 28) and images.dtype == np.float32
    assert images.min() >= 0.0 and images.max() <= 1.0
    flat = model.encode(x.reshape(7, 784))
    np.testing.assert_allclose(flat, z, atol=1e-6)
    samples = model.sample(5, seed=3)
    assert samples.shape == (5, 28, 28) and 0.0 <= samples.min() and samples.max() <= 1.0
    logit = model.discriminator([x, z])
    assert tuple(logit.shape) == (7, 1)


def test_generator_output_is_sigmoid_so_it_matches_the_data_range():
    model = tiny_model()
    raw = keras.ops.convert_to_numpy(model.generator(100.0 * model.prior(64, seed=0)))
    assert raw.min() >= 0.0 and raw.max() <= 1.0
    assert raw.min() < 0.05 and raw.max() > 0.95, "extreme codes should saturate a sigmoid at both ends"
    assert model.generator.layers[-2].activation is keras.activations.sigmoid


def test_sample_is_reproducible_with_a_seed():
    model = tiny_model()
    np.testing.assert_array_equal(model.sample(4, seed=1), model.sample(4, seed=1))
    assert not np.allclose(model.sample(4, seed=1), model.sample(4, seed=2))


def test_implements_the_shared_interface():
    model = tiny_model()
    check_model(model)
    assert isinstance(model, GenerativeModel)
    assert model.latent_dim == 4


@pytest.mark.filterwarnings("ignore:All-NaN slice")
@pytest.mark.parametrize(
    "bad, message",
    [
        (np.zeros((28, 28), np.float32), "one image"),
        (np.zeros((3, 27, 27), np.float32), "expected shape"),
        (np.zeros((3, 28, 28), np.uint8), "dtype"),
        (np.full((3, 28, 28), 2.0, np.float32), r"expected \[0, 1\]"),
        (np.full((3, 28, 28), np.nan, np.float32), "NaN"),
    ],
)
def test_encode_rejects_bad_images(bad, message):
    with pytest.raises(ValueError, match=message):
        tiny_model().encode(bad)


@pytest.mark.parametrize(
    "bad, message",
    [
        (np.zeros(4, np.float32), "one code"),
        (np.zeros((3, 5), np.float32), r"expected shape \(N, 4\)"),
        (np.full((3, 4), np.inf, np.float32), "NaN or infinite"),
    ],
)
def test_decode_rejects_bad_codes(bad, message):
    with pytest.raises(ValueError, match=message):
        tiny_model().decode(bad)


@pytest.mark.parametrize("n", [0, -3, 2.5, True, "4"])
def test_sample_rejects_bad_counts(n):
    with pytest.raises(ValueError, match="positive int"):
        tiny_model().sample(n)


def test_constructor_rejects_bad_settings():
    with pytest.raises(ValueError, match="latent_dim"):
        bigan.BiGAN(latent_dim=0)
    with pytest.raises(ValueError, match="label_smoothing"):
        bigan.BiGAN(**dict(TINY, label_smoothing=0.7))


# --- the training step ----------------------------------------------------------------
def losses(model, x, z) -> dict[str, float]:
    out = model.losses_on_batch(keras.ops.convert_to_tensor(x), keras.ops.convert_to_tensor(z), training=False)
    return {k: float(keras.ops.convert_to_numpy(v)) for k, v in out.items() if k not in ("real", "fake")}


def test_train_step_updates_discriminator_generator_and_encoder():
    model = tiny_model(cycle_x_weight=1.0, cycle_z_weight=1.0)
    nets = {name: getattr(model, name) for name in ("discriminator", "generator", "encoder")}
    before = {name: weights(net) for name, net in nets.items()}
    logs = model.train_on_batch(toy_images(32), return_dict=True)
    for name, net in nets.items():
        assert changed(before[name], weights(net)), f"{name} weights did not change"
    assert {"d_loss", "ge_loss", "d_real", "d_fake", "recon_x", "recon_z"} <= set(logs)
    assert logs["recon_x"] > 0 and logs["recon_z"] > 0


def test_a_discriminator_step_lowers_its_loss_and_leaves_g_and_e_alone():
    model = bigan.BiGAN(**TINY)
    model.compile(d_optimizer=keras.optimizers.SGD(0.05), ge_optimizer=keras.optimizers.SGD(0.0))
    x, z = toy_images(64), model.prior(64, seed=0)
    g_before, e_before = weights(model.generator), weights(model.encoder)
    first = losses(model, x, z)
    for _ in range(3):
        model.update(x, z)
    after = losses(model, x, z)
    assert after["d_loss"] < first["d_loss"] - 1e-3, (first, after)
    assert after["ge_loss"] > first["ge_loss"], "a better D should make G/E's adversarial loss rise"
    assert not changed(g_before, weights(model.generator))
    assert not changed(e_before, weights(model.encoder))


def test_a_generator_encoder_step_lowers_their_loss_and_leaves_d_alone():
    model = bigan.BiGAN(**TINY)
    model.compile(d_optimizer=keras.optimizers.SGD(0.0), ge_optimizer=keras.optimizers.SGD(0.05))
    x, z = toy_images(64), model.prior(64, seed=0)
    d_before = weights(model.discriminator)
    first = losses(model, x, z)
    for _ in range(3):
        model.update(x, z)
    after = losses(model, x, z)
    assert after["ge_loss"] < first["ge_loss"] - 1e-3, (first, after)
    assert after["d_loss"] > first["d_loss"], "G and E fooling D more should raise D's loss"
    assert not changed(d_before, weights(model.discriminator))


def test_cycle_term_pulls_reconstructions_towards_the_input():
    model = bigan.BiGAN(**dict(TINY, cycle_x_weight=50.0))
    model.compile(d_optimizer=keras.optimizers.SGD(0.0), ge_optimizer=keras.optimizers.Adam(1e-2))
    x, z = toy_images(64), model.prior(64, seed=0)
    first = losses(model, x, z)["recon_x"]
    for _ in range(20):
        model.update(x, z)
    assert losses(model, x, z)["recon_x"] < 0.8 * first


def test_pure_bigan_has_no_cycle_terms():
    out = losses(tiny_model(), toy_images(8), np.zeros((8, 4), np.float32))
    assert "recon_x" not in out and "recon_z" not in out


def test_training_a_few_epochs_stays_finite_and_records_everything_in_graph_mode(tiny_data):
    cfg = bigan.model_config(epochs=3, batch_size=32, **TINY)
    model, record, snapshots = bigan.train_bigan(tiny_data.x_train, cfg, judge=_StubJudge(), verbose=False)
    for key, values in record["history"].items():
        assert len(values) == 3 and np.all(np.isfinite(values)), key
    assert len(record["epoch_seconds"]) == 3 and record["train_seconds"] > 0
    assert snapshots.shape == (4, bigan.SNAPSHOT_SAMPLES, 28, 28)
    assert np.all((snapshots >= 0) & (snapshots <= 1))
    assert len(record["classes_per_epoch"]) == 3 and record["classes_found"] == record["classes_per_epoch"][-1]
    assert all(0 <= c <= 10 for c in record["classes_per_epoch"])


def test_training_is_reproducible(tiny_data):
    cfg = bigan.model_config(epochs=1, batch_size=64, **TINY)
    a, _, _ = bigan.train_bigan(tiny_data.x_train, cfg, verbose=False)
    b, _, _ = bigan.train_bigan(tiny_data.x_train, cfg, verbose=False)
    np.testing.assert_allclose(a.encode(tiny_data.x_test), b.encode(tiny_data.x_test), atol=1e-5)


def test_epoch_log_stops_on_nan_and_prints_one_line_per_epoch(capsys):
    log = bigan.EpochLog(epochs=2)
    log.set_model(tiny_model())
    log.on_train_begin()
    log.on_epoch_begin(0)
    log.on_epoch_end(0, {"d_loss": 0.5, "ge_loss": 1.0})
    assert capsys.readouterr().out.count("\n") == 1
    log.on_epoch_begin(1)
    with pytest.raises(FloatingPointError, match="epoch 2"):
        log.on_epoch_end(1, {"d_loss": float("nan"), "ge_loss": 1.0})


def test_instance_noise_is_annealed_to_zero():
    model = tiny_model(instance_noise=0.3)
    log = bigan.EpochLog(epochs=3)
    log.set_model(model)
    seen = []
    for epoch in range(3):
        log.on_epoch_begin(epoch)
        seen.append(float(keras.ops.convert_to_numpy(model.noise_std)))
    np.testing.assert_allclose(seen, [0.3, 0.2, 0.1], atol=1e-6)


# --- serialisation and the cache ----------------------------------------------------
def test_save_load_round_trip_gives_identical_outputs(tmp_path):
    model = tiny_model(cycle_x_weight=0.5, label_smoothing=0.2)
    model.train_on_batch(toy_images(16))
    path = tmp_path / "bigan.keras"
    model.save(path)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no "compile() was not called" warning either
        loaded = keras.saving.load_model(path, safe_mode=True)
    assert isinstance(loaded, bigan.BiGAN)
    assert loaded.d_optimizer.get_config()["learning_rate"] == pytest.approx(2e-4)
    assert loaded.get_config() == model.get_config()
    x, z = toy_images(9), model.prior(9, seed=4)
    np.testing.assert_array_equal(loaded.encode(x), model.encode(x))
    np.testing.assert_array_equal(loaded.decode(z), model.decode(z))
    np.testing.assert_array_equal(
        keras.ops.convert_to_numpy(loaded.discriminator([x, z])),
        keras.ops.convert_to_numpy(model.discriminator([x, z])),
    )


class _StubJudge:
    """A judge that calls an image's class from its brightest row (cheap and deterministic)."""

    classes_ = np.arange(10)

    def predict_proba(self, rows):
        rows = np.asarray(rows).reshape(len(rows), 28, 28)
        labels = rows.sum(axis=2).argmax(axis=1) % 10
        return np.eye(10)[labels]


TINY_RUN = dict(TINY, epochs=1, batch_size=64)


def test_pretrained_bigan_trains_once_then_loads_from_the_cache(tiny_data, isolated_artifacts, monkeypatch):
    monkeypatch.setattr("helpers.classical.mnist_logistic_regression", lambda data=None: _StubJudge())
    model, record = bigan.pretrained_bigan(tiny_data, verbose=False, **TINY_RUN)
    assert (isolated_artifacts / f"bigan-{cache.config.MODE}.keras").is_file()
    assert record["snapshots"].shape == (2, bigan.SNAPSHOT_SAMPLES, 28, 28)
    for key in ("history", "epoch_seconds", "seconds_per_epoch", "train_seconds", "classes_per_epoch", "classes_found"):
        assert key in record, key

    def no_training(*args, **kwargs):
        raise AssertionError("the cached model should have been loaded, not trained")

    monkeypatch.setattr(bigan, "train_bigan", no_training)
    again, record2 = bigan.pretrained_bigan(tiny_data, verbose=False, **TINY_RUN)
    x = tiny_data.x_test
    np.testing.assert_array_equal(again.encode(x), model.encode(x))
    np.testing.assert_array_equal(record2["snapshots"], record["snapshots"])
    assert again.training_record["train_seconds"] == pytest.approx(record["train_seconds"])


def test_a_corrupt_cached_model_is_trained_again(tiny_data, isolated_artifacts, monkeypatch):
    monkeypatch.setattr("helpers.classical.mnist_logistic_regression", lambda data=None: _StubJudge())
    bigan.pretrained_bigan(tiny_data, verbose=False, **TINY_RUN)
    path = isolated_artifacts / f"bigan-{cache.config.MODE}.keras"
    path.write_bytes(b"not a keras file")
    calls = []
    real_train = bigan.train_bigan
    monkeypatch.setattr(bigan, "train_bigan", lambda *a, **k: calls.append(1) or real_train(*a, **k))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model, _ = bigan.pretrained_bigan(tiny_data, verbose=False, **TINY_RUN)
    assert calls == [1]
    assert model.encode(tiny_data.x_test).shape == (50, 4)
    assert keras.saving.load_model(path, safe_mode=True, compile=False) is not None


def test_a_missing_snapshot_file_triggers_retraining(tiny_data, isolated_artifacts, monkeypatch):
    monkeypatch.setattr("helpers.classical.mnist_logistic_regression", lambda data=None: _StubJudge())
    bigan.pretrained_bigan(tiny_data, verbose=False, **TINY_RUN)
    (isolated_artifacts / f"bigan-snapshots-{cache.config.MODE}.npz").unlink()
    _, record = bigan.pretrained_bigan(tiny_data, verbose=False, **TINY_RUN)
    assert record["snapshots"] is not None


def test_pure_and_final_models_are_cached_separately(tiny_data, isolated_artifacts, monkeypatch):
    monkeypatch.setattr("helpers.classical.mnist_logistic_regression", lambda data=None: _StubJudge())
    final, _ = bigan.pretrained_bigan(tiny_data, verbose=False, **dict(TINY_RUN, cycle_x_weight=1.0))
    pure, _ = bigan.pretrained_bigan(tiny_data, pure=True, verbose=False, **dict(TINY_RUN, cycle_x_weight=1.0))
    assert final.cycle_x_weight == 1.0 and pure.cycle_x_weight == 0.0 and pure.cycle_z_weight == 0.0
    assert (isolated_artifacts / f"bigan-pure-{cache.config.MODE}.keras").is_file()


# --- figures --------------------------------------------------------------------------
def test_knn_accuracy_matches_a_brute_force_count():
    rng = np.random.default_rng(0)
    train, test = rng.normal(size=(300, 5)), rng.normal(size=(77, 5))
    y_train, y_test = rng.integers(0, 3, 300), rng.integers(0, 3, 77)
    brute = np.linalg.norm(test[:, None] - train[None], axis=2).argmin(axis=1)
    expected = (y_train[brute] == y_test).mean()
    assert bigan.knn_accuracy(train, y_train, test, y_test, chunk=16) == pytest.approx(expected)
    assert bigan.knn_accuracy(train, y_train, train, y_train) == 1.0
    with pytest.raises(ValueError, match="code sizes differ"):
        bigan.knn_accuracy(train, y_train, test[:, :3], y_test)


def test_classes_found_ignores_rare_classes():
    assert bigan.classes_found(np.array([500, 495, 5, 0, 0, 0, 0, 0, 0, 0])) == 2
    assert bigan.classes_found(np.full(10, 100)) == 10
    assert bigan.classes_found(np.array([1, 0, 0])) == 1


def test_quality_figures_reports_every_figure_in_range(tiny_data):
    model = tiny_model()
    object.__setattr__(model, "training_record", {"seconds_per_epoch": 1.5, "train_seconds": 3.0})
    figures = bigan.quality_figures(model, tiny_data, _StubJudge(), n_samples=100)
    assert 0.0 <= figures["knn_accuracy"] <= 1.0
    assert 0.0 <= figures["class_kept"] <= 1.0
    assert 1 <= figures["classes_found"] <= 10 and sum(figures["class_counts"]) == 100
    assert figures["seconds_per_epoch"] == 1.5 and figures["train_seconds"] == 3.0


def test_the_pure_bigan_trains_for_the_comparison_run_epochs(tiny_data, isolated_artifacts, monkeypatch):
    monkeypatch.setattr("helpers.classical.mnist_logistic_regression", lambda data=None: _StubJudge())
    run = {k: v for k, v in TINY_RUN.items() if k != "epochs"}
    monkeypatch.setattr(cache.config, "SETTINGS", cache.config.SETTINGS.__class__(
        **{**cache.config.SETTINGS.__dict__, "pure_bigan_epochs": 2}))
    pure, record = bigan.pretrained_bigan(tiny_data, pure=True, verbose=False, **run)
    assert len(record["epoch_seconds"]) == 2
    _, explicit = bigan.pretrained_bigan(tiny_data, pure=True, verbose=False, retrain=True, **TINY_RUN)
    assert len(explicit["epoch_seconds"]) == TINY_RUN["epochs"]
