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
