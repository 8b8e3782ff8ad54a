"""helpers.cache: atomic writes, per-mode artifact names, the model cache that retrains on damage."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pytest

from helpers import cache, config


def _files(folder):
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


# --- names -----------------------------------------------------------------------


def test_quick_and_full_artifact_names_differ(isolated_artifacts):
    quick = cache.artifact_path("vae", ".keras", mode="quick")
    full = cache.artifact_path("vae", ".keras", mode="full")
    assert quick != full
    assert quick.name == "vae-quick.keras" and full.name == "vae-full.keras"
    assert quick.parent == full.parent == isolated_artifacts


def test_default_mode_is_current_mode(isolated_artifacts):
    assert cache.artifact_path("x", ".json").name == f"x-{config.MODE}.json"


@pytest.mark.parametrize("bad", ["", "a/b", "../escape"])
def test_artifact_name_must_be_plain(isolated_artifacts, bad):
    with pytest.raises(ValueError, match="plain file stem"):
        cache.artifact_path(bad, ".npz")


# --- atomic writes ---------------------------------------------------------------


def test_atomic_write_leaves_no_partial_file_when_writer_raises(isolated_artifacts):
    target = isolated_artifacts / "model-full.keras"

    def crash(tmp):
        tmp.write_bytes(b"half a model")  # the writer got somewhere, then died
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError, match="disk full"):
        cache.atomic_write(target, crash)
    assert _files(isolated_artifacts) == []  # neither the target nor the temporary file


def test_atomic_write_keeps_old_file_when_rewrite_fails(isolated_artifacts):
    target = isolated_artifacts / "rec-full.json"
    cache.save_json(target, {"v": 1})

    def crash(tmp):
        tmp.write_text('{"v": 2, "trunc')
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        cache.atomic_write(target, crash)
    assert cache.load_json(target) == {"v": 1}
    assert _files(isolated_artifacts) == ["rec-full.json"]


def test_atomic_write_temporary_name_is_hidden_and_keeps_suffix(isolated_artifacts):
    seen = []

    def write(tmp):
        seen.append(tmp)
        tmp.write_text("ok")

    final = cache.atomic_write(isolated_artifacts / "m-quick.keras", write)
    assert final.read_text() == "ok"
    assert seen[0].name.startswith(".") and seen[0].suffix == ".keras"
    assert seen[0].parent == final.parent  # same folder, so the rename is atomic
    assert not seen[0].exists()


# --- json and arrays -------------------------------------------------------------


def test_json_round_trip_with_numpy_values(isolated_artifacts):
    path = isolated_artifacts / "r.json"
    cache.save_json(path, {"acc": np.float32(0.5), "n": np.int64(3), "curve": np.arange(3)})
    assert cache.load_json(path) == {"acc": 0.5, "n": 3, "curve": [0, 1, 2]}


def test_json_refuses_unstorable_values(isolated_artifacts):
    path = isolated_artifacts / "r.json"
    with pytest.raises(TypeError, match="cannot store"):
        cache.save_json(path, {"model": object()})
    assert not path.exists()


def test_load_json_missing_or_corrupt_is_none(isolated_artifacts):
    assert cache.load_json(isolated_artifacts / "missing.json") is None
    isolated_artifacts.mkdir(parents=True)
    bad = isolated_artifacts / "bad.json"
    bad.write_text("{not json")
    assert cache.load_json(bad) is None


def test_arrays_round_trip(isolated_artifacts):
    path = isolated_artifacts / "a.npz"
    w = np.random.default_rng(0).standard_normal((3, 4))
    cache.save_arrays(path, w=w, b=np.arange(4))
    got = cache.load_arrays(path, ("w", "b"))
    np.testing.assert_array_equal(got["w"], w)
    np.testing.assert_array_equal(got["b"], np.arange(4))


def test_load_arrays_missing_incomplete_corrupt(isolated_artifacts):
    path = isolated_artifacts / "a.npz"
    assert cache.load_arrays(path, ("w",)) is None
    cache.save_arrays(path, w=np.ones(2))
    assert cache.load_arrays(path, ("w", "b")) is None  # incomplete: a key is missing
    path.write_bytes(path.read_bytes()[:30])
    with pytest.warns(UserWarning, match="discarding unreadable cache"):
        assert cache.load_arrays(path, ("w",)) is None


# --- the Keras model cache -------------------------------------------------------


def _tiny_model(seed=0):
    import keras

    config.seed_everything(seed)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    return model


def _counting_trainer(calls, seed=0):
    def train():
        calls.append(1)
        return _tiny_model(seed), {"history": {"loss": [1.0, 0.5]}, "train_seconds": 0.1}

    return train


def test_cached_model_trains_once_then_loads(isolated_artifacts):
    calls = []
    cfg = {"units": 2, "epochs": 1}
    model, record, loaded = cache.cached_model("tiny", cfg, _counting_trainer(calls), verbose=False)
    assert not loaded and calls == [1]
    assert record["config"] == cfg and record["mode"] == config.MODE
    again, record2, loaded2 = cache.cached_model("tiny", cfg, _counting_trainer(calls), verbose=False)
    assert loaded2 and calls == [1]
    assert record2["history"] == {"loss": [1.0, 0.5]}
    x = np.ones((1, 3), np.float32)
    np.testing.assert_allclose(np.asarray(again(x)), np.asarray(model(x)), rtol=1e-6)
    assert sorted(_files(isolated_artifacts)) == [f"tiny-{config.MODE}.json", f"tiny-{config.MODE}.keras"]


def test_a_freshly_trained_model_comes_back_without_its_traced_training_step(isolated_artifacts):
    """The traced step holds memory of the training run; the notebook only uses the trained model."""

    def train():
        model = _tiny_model()
        model.compile(optimizer="sgd", loss="mse")
        model.fit(np.ones((8, 3), np.float32), np.zeros((8, 2), np.float32), epochs=1, verbose=0)
        model.evaluate(np.ones((8, 3), np.float32), np.zeros((8, 2), np.float32), verbose=0)
        assert model.train_function is not None and model.test_function is not None  # what there is to drop
        return model, {"history": {}}

    model, _, loaded = cache.cached_model("tiny-fit", {"units": 2}, train, verbose=False)
    assert not loaded
    assert model.train_function is None and model.test_function is None
    before = model.get_weights()[0].copy()
    model.fit(np.ones((8, 3), np.float32), np.ones((8, 2), np.float32), epochs=1, verbose=0)  # traced again
    assert not np.allclose(model.get_weights()[0], before)


def test_corrupt_keras_file_is_discarded_and_retrained(isolated_artifacts):
    calls = []
    cfg = {"units": 2}
    cache.cached_model("tiny", cfg, _counting_trainer(calls), verbose=False)
    model_path = cache.artifact_path("tiny", ".keras")
    model_path.write_bytes(model_path.read_bytes()[:100])  # a crash or a bad copy cut the file
    with pytest.warns(UserWarning, match="discarding unreadable model"):
        model, _, loaded = cache.cached_model("tiny", cfg, _counting_trainer(calls), verbose=False)
    assert not loaded and calls == [1, 1]
    assert cache.load_keras_model(model_path) is not None  # the retrained model replaced the bad file


def test_changed_config_retrains(isolated_artifacts, capsys):
    calls = []
    cache.cached_model("tiny", {"units": 2}, _counting_trainer(calls), verbose=False)
    _, record, loaded = cache.cached_model("tiny", {"units": 3}, _counting_trainer(calls))
    assert not loaded and calls == [1, 1] and record["config"] == {"units": 3}
    assert "another configuration" in capsys.readouterr().out


def test_model_without_record_counts_as_unfinished(isolated_artifacts):
    calls = []
    cache.cached_model("tiny", {"units": 2}, _counting_trainer(calls), verbose=False)
    cache.artifact_path("tiny", ".json").unlink()
    _, _, loaded = cache.cached_model("tiny", {"units": 2}, _counting_trainer(calls), verbose=False)
    assert not loaded and calls == [1, 1]


def test_retrain_flag_forces_training(isolated_artifacts):
    calls = []
    cache.cached_model("tiny", {}, _counting_trainer(calls), verbose=False)
    _, _, loaded = cache.cached_model("tiny", {}, _counting_trainer(calls), retrain=True, verbose=False)
    assert not loaded and calls == [1, 1]


def test_failed_training_leaves_no_files(isolated_artifacts):
    def broken():
        raise RuntimeError("NaN loss")

    with pytest.raises(RuntimeError, match="NaN loss"):
        cache.cached_model("tiny", {}, broken, verbose=False)
    assert _files(isolated_artifacts) == []


def test_load_keras_model_missing_is_none(isolated_artifacts):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a missing file is normal: no warning
        assert cache.load_keras_model(isolated_artifacts / "none.keras") is None


# --- keyed on the data (issue 15) --------------------------------------------------


def test_data_fingerprint_changes_with_every_byte_dtype_and_shape():
    x = np.random.default_rng(0).random((50, 28, 28), dtype=np.float32)
    y = np.arange(50) % 10
    key = cache.data_fingerprint(x, y)
    assert cache.data_fingerprint(x.copy(), y.copy()) == key
    changed = x.copy()
    changed[49, 27, 27] += 1e-3
    assert cache.data_fingerprint(changed, y) != key
    assert cache.data_fingerprint(x, (y + 1) % 10) != key
    assert cache.data_fingerprint(x.astype(np.float64), y) != key
    assert cache.data_fingerprint(x.reshape(50, 784), y) != key
    assert cache.data_fingerprint(x[:49], y[:49]) != key
    assert cache.data_fingerprint(x) != key  # labels are part of it when given
    assert cache.data_fingerprint(np.asfortranarray(x), y) == key  # the values count, not the memory layout


def test_cached_model_keys_on_the_data(isolated_artifacts, capsys):
    calls = []
    first, _, _ = cache.cached_model("tiny", {"u": 2}, _counting_trainer(calls), data_key="aaa", verbose=False)
    _, record, loaded = cache.cached_model("tiny", {"u": 2}, _counting_trainer(calls, seed=1), data_key="bbb")
    assert not loaded and calls == [1, 1] and record["data"] == "bbb"
    assert "trained on other data" in capsys.readouterr().out
    _, record, loaded = cache.cached_model("tiny", {"u": 2}, _counting_trainer(calls), data_key="bbb", verbose=False)
    assert loaded and record["data"] == "bbb" and calls == [1, 1]


def _two_datasets():
    """Two tiny data sets of the same shape, as MNIST and Fashion-MNIST are: only the pixels differ."""
    from helpers.data import Dataset

    rng = np.random.default_rng(0)
    digits = Dataset(rng.random((200, 28, 28), dtype=np.float32) * 0.5, np.arange(200) % 10,
                     rng.random((20, 28, 28), dtype=np.float32), np.arange(20) % 10)
    clothes = digits._replace(x_train=1.0 - digits.x_train)
    return digits, clothes


TINY_VAE = {"latent_dim": 2, "encoder_units": [8], "decoder_units": [8], "activation": "relu", "epochs": 1,
            "batch_size": 100, "learning_rate": 1e-3, "train_images": 200, "jit_compile": False}


@pytest.mark.parametrize("order", ["digits first", "clothes first"])
def test_pretrained_vae_never_returns_a_model_trained_on_other_data(isolated_artifacts, eager, monkeypatch, order):
    from helpers import vae

    monkeypatch.setattr(vae, "training_config", lambda d: dict(TINY_VAE, latent_dim=d))
    digits, clothes = _two_datasets()
    first, second = (digits, clothes) if order == "digits first" else (clothes, digits)
    trained_on = []
    real_train = vae.train_vae
    monkeypatch.setattr(vae, "train_vae", lambda data, *a, **k: trained_on.append(data) or real_train(data, *a, **k))
    model_1, record_1 = vae.pretrained_vae(20, first, verbose=0)
    model_2, record_2 = vae.pretrained_vae(20, second, verbose=0)
    assert [d.x_train[0, 0, 0] for d in trained_on] == [first.x_train[0, 0, 0], second.x_train[0, 0, 0]]
    assert record_1["data"] == cache.data_fingerprint(first.x_train) != record_2["data"]
    x = digits.x_test[:3]
    assert not np.allclose(model_1.encode(x), model_2.encode(x))
    # the entry now belongs to `second`: asking with it again loads, asking with `first` trains again
    vae.pretrained_vae(20, second, verbose=0)
    assert len(trained_on) == 2
    _, record_3 = vae.pretrained_vae(20, first, verbose=0)
    assert len(trained_on) == 3 and record_3["data"] == record_1["data"]


def test_class_prior_vae_is_keyed_on_the_labels_too(isolated_artifacts, eager, monkeypatch):
    from helpers import vae

    monkeypatch.setattr(vae, "class_prior_config", lambda d=20: dict(TINY_VAE, prior="class"))
    digits, _ = _two_datasets()
    _, record = vae.pretrained_class_prior_vae(digits, verbose=0)
    relabelled = digits._replace(y_train=(digits.y_train + 1) % 10)
    _, record2 = vae.pretrained_class_prior_vae(relabelled, verbose=0)
    assert record2["data"] != record["data"]
    assert record2["data"] == cache.data_fingerprint(relabelled.x_train, relabelled.y_train)


class _StubJudge:
    classes_ = np.arange(10)

    def predict_proba(self, rows):
        return np.full((len(rows), 10), 0.1)


TINY_BIGAN = dict(latent_dim=4, g_hidden=(16,), e_hidden=(16,), d_hidden=(16, 8), d_dropout=0.0, epochs=1,
                  batch_size=100)


def test_pretrained_bigan_never_returns_a_model_trained_on_other_data(isolated_artifacts, eager, monkeypatch):
    from helpers import bigan

    monkeypatch.setattr("helpers.classical.mnist_logistic_regression", lambda data=None: _StubJudge())
    digits, clothes = _two_datasets()
    calls = []
    real_train = bigan.train_bigan
    monkeypatch.setattr(bigan, "train_bigan", lambda x, *a, **k: calls.append(x[0, 0, 0]) or real_train(x, *a, **k))
    _, record = bigan.pretrained_bigan(digits, verbose=False, **TINY_BIGAN)
    _, record2 = bigan.pretrained_bigan(clothes, verbose=False, **TINY_BIGAN)  # same size: the old key matched
    assert calls == [digits.x_train[0, 0, 0], clothes.x_train[0, 0, 0]]
    assert record2["data"] == cache.data_fingerprint(clothes.x_train) != record["data"]
    bigan.pretrained_bigan(clothes, verbose=False, **TINY_BIGAN)
    assert len(calls) == 2  # and the matching entry still loads


# --- model and record as one unit --------------------------------------------------


def _vae_trainer(calls, latent_dim=3):
    from helpers import vae

    def train():
        calls.append(latent_dim)
        return vae.VAE(latent_dim, (8,), (8,), seed=len(calls)), {"train_seconds": 0.1, "run": len(calls)}

    return train


def test_a_model_file_copied_over_another_is_detected(isolated_artifacts):
    calls = []
    cache.cached_model("small", {"d": 3}, _vae_trainer(calls, 3), verbose=False)
    cache.cached_model("other", {"d": 5}, _vae_trainer(calls, 5), verbose=False)
    small = cache.artifact_path("small", ".keras")
    small.write_bytes(cache.artifact_path("other", ".keras").read_bytes())  # a bad copy
    with pytest.warns(UserWarning, match="not the one written with this record"):
        model, _, loaded = cache.cached_model("small", {"d": 3}, _vae_trainer(calls, 3), verbose=False)
    assert not loaded and model.latent_dim == 3 and calls == [3, 5, 3]
    _, _, loaded = cache.cached_model("small", {"d": 3}, _vae_trainer(calls, 3), verbose=False)
    assert loaded  # the retrained entry is whole again


def test_a_model_of_another_latent_size_is_refused_even_with_a_forged_hash(isolated_artifacts):
    calls = []
    cache.cached_model("small", {"d": 3}, _vae_trainer(calls, 3), verbose=False)
    cache.cached_model("other", {"d": 8}, _vae_trainer(calls, 8), verbose=False)
    small, record_path = cache.artifact_path("small", ".keras"), cache.artifact_path("small", ".json")
    small.write_bytes(cache.artifact_path("other", ".keras").read_bytes())
    record = json.loads(record_path.read_text())
    record["model_sha256"] = cache.file_sha256(small)  # as if the record had been written for that file
    record_path.write_text(json.dumps(record))
    with pytest.warns(UserWarning, match="latent_dim 8, the record says 3"):
        model, _, loaded = cache.cached_model("small", {"d": 3}, _vae_trainer(calls, 3), verbose=False)
    assert not loaded and model.latent_dim == 3


def test_a_model_that_contradicts_its_configuration_is_retrained(isolated_artifacts):
    calls = []
    cache.cached_model("small", {"latent_dim": 3}, _vae_trainer(calls, 3), verbose=False)
    with pytest.warns(UserWarning, match="latent_dim 3, the configuration asks for 4"):
        _, _, loaded = cache.cached_model("small", {"latent_dim": 3}, _vae_trainer(calls, 4),
                                          expected={"latent_dim": 4}, verbose=False)
    assert not loaded


def test_a_trainer_returning_the_wrong_model_is_not_cached(isolated_artifacts):
    with pytest.raises(ValueError, match="latent_dim 3, the configuration asks for 32"):
        cache.cached_model("small", {}, _vae_trainer([], 3), expected={"latent_dim": 32}, verbose=False)
    assert _files(isolated_artifacts) == []


def test_a_bigan_of_another_latent_size_beside_its_record_is_retrained(isolated_artifacts, eager, monkeypatch):
    """The issue's case: a new BiGAN file (latent 8) beside the record of the old one (latent 32)."""
    from helpers import bigan

    monkeypatch.setattr("helpers.classical.mnist_logistic_regression", lambda data=None: _StubJudge())
    digits, _ = _two_datasets()
    bigan.pretrained_bigan(digits, verbose=False, **dict(TINY_BIGAN, latent_dim=6))
    path = cache.artifact_path("bigan", ".keras")
    saved = path.read_bytes()
    bigan.pretrained_bigan(digits, verbose=False, **dict(TINY_BIGAN, latent_dim=4))
    path.write_bytes(saved)  # the latent-6 model back under the latent-4 record
    with pytest.warns(UserWarning, match="does not match its record"):
        model, _ = bigan.pretrained_bigan(digits, verbose=False, **dict(TINY_BIGAN, latent_dim=4))
    assert model.latent_dim == 4


def test_a_kill_between_the_two_renames_never_leaves_a_new_model_beside_an_old_record(isolated_artifacts,
                                                                                  monkeypatch):
    calls = []
    cache.cached_model("small", {"d": 3}, _vae_trainer(calls, 3), verbose=False)
    old_record = cache.load_json(cache.artifact_path("small", ".json"))

    def killed(tmp, record_path):
        raise KeyboardInterrupt  # the model is renamed into place, the record is not

    monkeypatch.setattr(cache, "_rename_record", killed)
    with pytest.raises(KeyboardInterrupt):
        cache.cached_model("small", {"d": 3}, _vae_trainer(calls, 3), retrain=True, verbose=False)
    assert not cache.artifact_path("small", ".json").exists()  # the old record went before the new model came
    assert not [n for n in _files(isolated_artifacts) if "partial" in n]
    monkeypatch.undo()
    monkeypatch.setenv("TUTORIAL_ARTIFACTS", str(isolated_artifacts))
    _, record, loaded = cache.cached_model("small", {"d": 3}, _vae_trainer(calls, 3), verbose=False)
    assert not loaded and record["run"] == 3 and old_record["run"] == 1


def test_the_old_record_beside_a_new_model_is_caught_by_the_hash(isolated_artifacts):
    """The order of the old code (model renamed, then killed before the record): simulated by hand."""
    calls = []
    cache.cached_model("small", {"d": 3}, _vae_trainer(calls, 3), verbose=False)
    record = cache.artifact_path("small", ".json").read_bytes()
    cache.cached_model("small", {"d": 3}, _vae_trainer(calls, 3), retrain=True, verbose=False)
    cache.artifact_path("small", ".json").write_bytes(record)  # the first run's record, the second run's model
    with pytest.warns(UserWarning, match="not the one written with this record"):
        _, _, loaded = cache.cached_model("small", {"d": 3}, _vae_trainer(calls, 3), verbose=False)
    assert not loaded and len(calls) == 3


def _dead_pid() -> int:
    import subprocess
    import sys

    proc = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    return int(proc.stdout)


def test_stale_partial_files_are_removed(isolated_artifacts):
    import os
    import time

    isolated_artifacts.mkdir(parents=True)
    dead = isolated_artifacts / f".small-{config.MODE}.{_dead_pid()}.k3j_x9ab.partial.keras"
    old = isolated_artifacts / f".small-{config.MODE}.{os.getppid()}.a1b2c3d4.partial.json"
    live = isolated_artifacts / f".other-{config.MODE}.{os.getppid()}.zz99yy88.partial.keras"
    for path in (dead, old, live):
        path.write_bytes(b"half written")
    hour_ago = time.time() - cache.STALE_PARTIAL_SECONDS - 60
    os.utime(old, (hour_ago, hour_ago))
    cache.cached_model("small", {"d": 3}, _vae_trainer([], 3), verbose=False)
    names = _files(isolated_artifacts)
    assert dead.name not in names and old.name not in names
    assert live.name in names  # a write in progress in another (living) process is left alone


def test_partial_names_carry_the_writer_pid(isolated_artifacts):
    import os

    seen = []
    cache.atomic_write(isolated_artifacts / "x-full.json", lambda tmp: seen.append(tmp.name) or tmp.write_text("{}"))
    assert f".{os.getpid()}." in seen[0]


@pytest.mark.parametrize("content", ["[]", "3", '"text"', "null"])
def test_a_record_that_is_not_an_object_is_discarded(isolated_artifacts, content):
    calls = []
    cache.cached_model("tiny", {}, _counting_trainer(calls), verbose=False)
    cache.artifact_path("tiny", ".json").write_text(content)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _, record, loaded = cache.cached_model("tiny", {}, _counting_trainer(calls), verbose=False)
    assert not loaded and calls == [1, 1] and isinstance(record, dict)


def test_a_record_from_before_the_data_key_is_retrained(isolated_artifacts):
    calls = []
    cache.cached_model("tiny", {}, _counting_trainer(calls), data_key="k", verbose=False)
    path = cache.artifact_path("tiny", ".json")
    record = json.loads(path.read_text())
    del record["data"], record["model_sha256"]
    path.write_text(json.dumps(record))
    _, _, loaded = cache.cached_model("tiny", {}, _counting_trainer(calls), data_key="k", verbose=False)
    assert not loaded and calls == [1, 1]


def test_train_must_return_a_record_dict(isolated_artifacts):
    with pytest.raises(TypeError, match="record"):
        cache.cached_model("tiny", {}, lambda: (_tiny_model(), [1, 2]), verbose=False)


def test_the_logistic_regression_cache_is_keyed_on_the_data(isolated_artifacts):
    from helpers import classical

    digits, clothes = _two_datasets()
    first = classical.mnist_logistic_regression(digits)
    other = classical.mnist_logistic_regression(clothes)
    assert not np.allclose(first.coef_, other.coef_)  # refitted, not the digits' coefficients
    again = classical.mnist_logistic_regression(clothes)
    np.testing.assert_array_equal(again.coef_, other.coef_)
