"""helpers.config: quick mode, artifact folder, seeding, the setup() cell."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys

import numpy as np
import pytest

from conftest import REPO
from helpers import config


def _mode_in_subprocess(env_value: str | None) -> dict:
    """Import config in a fresh interpreter: QUICK is read once, at import."""
    import os

    env = {k: v for k, v in os.environ.items() if k != "TUTORIAL_QUICK"}
    if env_value is not None:
        env["TUTORIAL_QUICK"] = env_value
    code = (
        "import json; from helpers import config; "
        "print(json.dumps({'quick': config.QUICK, 'mode': config.MODE, "
        "'train': config.SETTINGS.train_subset, 'sizes': config.SETTINGS.learning_curve_sizes}))"
    )
    out = subprocess.run([sys.executable, "-c", code], env=env, cwd=REPO, capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


@pytest.mark.parametrize("value, quick", [("1", True), ("yes", True), (" TRUE ", True), ("0", False), ("", False), (None, False)])
def test_quick_flag_is_read_from_environment(value, quick):
    got = _mode_in_subprocess(value)
    assert got["quick"] is quick
    assert got["mode"] == ("quick" if quick else "full")
    expected = config.QUICK_SETTINGS if quick else config.FULL
    assert got["train"] == expected.train_subset
    assert tuple(got["sizes"]) == expected.learning_curve_sizes


def test_env_flag(monkeypatch):
    monkeypatch.setenv("SOME_FLAG", "On")
    assert config._env_flag("SOME_FLAG")
    monkeypatch.setenv("SOME_FLAG", "nope")
    assert not config._env_flag("SOME_FLAG")
    monkeypatch.delenv("SOME_FLAG")
    assert not config._env_flag("SOME_FLAG")


def test_quick_settings_are_smaller_than_full():
    quick, full = dataclasses.asdict(config.QUICK_SETTINGS), dataclasses.asdict(config.FULL)
    assert quick.keys() == full.keys()
    for key, q in quick.items():
        f = full[key]
        if key == "learning_curve_sizes":
            assert max(q) <= config.QUICK_SETTINGS.train_subset  # every size can be drawn from the quick subset
            assert list(q) == sorted(q) and list(f) == sorted(f)
        elif f is None:
            assert q is not None  # full uses everything, quick trims
        elif key.endswith("_max_steps"):
            assert q is None, key  # quick mode's budgets are a few seconds: the clock alone stops them
        elif isinstance(f, bool):
            assert q <= f, key  # a switch (XLA): quick mode never turns on what full mode leaves off
        else:
            assert q < f, key


def test_settings_are_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.SETTINGS.vae_epochs = 1


def test_artifacts_dir_override(tmp_path, monkeypatch):
    target = tmp_path / "a" / "b"
    monkeypatch.setenv("TUTORIAL_ARTIFACTS", str(target))
    assert config.artifacts_dir() == target
    assert target.is_dir()  # created on demand


def test_artifacts_dir_default_is_beside_package(monkeypatch):
    monkeypatch.delenv("TUTORIAL_ARTIFACTS", raising=False)
    assert config.artifacts_dir() == config.REPO_DIR / "artifacts"


def test_seed_everything_makes_numpy_repeatable():
    config.seed_everything(3)
    a = np.random.rand(4)
    config.seed_everything(3)
    b = np.random.rand(4)
    config.seed_everything(4)
    c = np.random.rand(4)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_setup_prints_mode_and_versions(capsys):
    import matplotlib as mpl

    settings = config.setup(seed=1)
    out = capsys.readouterr().out
    assert settings is config.SETTINGS
    assert f"mode: {config.MODE}" in out and "seed 1" in out
    for lib in ("tensorflow", "keras", "numpy", "scikit-learn"):
        assert lib in out
    assert mpl.rcParams["figure.dpi"] == 80 and mpl.rcParams["image.cmap"] == "gray_r"


def test_setup_quiet_prints_nothing(capsys):
    config.setup(quiet=True)
    assert capsys.readouterr().out == ""


def test_versions_lists_libraries():
    v = config.versions()
    assert {"python", "tensorflow", "keras", "numpy", "scikit-learn", "matplotlib"} <= v.keys()
    assert v["numpy"] == np.__version__


def test_in_ci(monkeypatch):
    monkeypatch.setenv("CI", "true")
    assert config.in_ci()
    monkeypatch.setenv("CI", "")
    assert not config.in_ci()
