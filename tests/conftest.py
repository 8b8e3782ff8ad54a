"""Shared fixtures: a small synthetic MNIST-like file and an isolated artifacts folder."""

from __future__ import annotations

import contextlib
import fcntl
import os
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parent.parent

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def real_mnist_path() -> Path | None:
    """The MNIST file the notebooks would read offline, if this machine has one."""
    env = os.environ.get("MNIST_NPZ")
    if env and Path(env).is_file():
        return Path(env)
    shared = REPO.parent / "shared" / "data" / "mnist.npz"
    return shared if shared.is_file() else None


@pytest.fixture
def tiny_mnist_npz(tmp_path) -> Path:
    """A valid file in the keras.datasets.mnist layout, 200 train / 50 test images."""
    rng = np.random.default_rng(0)
    path = tmp_path / "mnist.npz"
    np.savez(
        path,
        x_train=rng.integers(0, 256, (200, 28, 28), dtype=np.uint8),
        y_train=np.arange(200, dtype=np.uint8) % 10,
        x_test=rng.integers(0, 256, (50, 28, 28), dtype=np.uint8),
        y_test=np.arange(50, dtype=np.uint8) % 10,
    )
    return path


@pytest.fixture
def isolated_artifacts(tmp_path, monkeypatch) -> Path:
    """Point the model cache at a fresh folder for this test."""
    folder = tmp_path / "artifacts"
    monkeypatch.setenv("TUTORIAL_ARTIFACTS", str(folder))
    return folder


@pytest.fixture(scope="session")
def mnist():
    """Real MNIST (quick-mode subset) when available; tests needing it skip otherwise."""
    from helpers.data import load_mnist

    path = real_mnist_path()
    if path is None and not os.environ.get("CI"):
        pytest.skip("no offline MNIST: set MNIST_NPZ=/path/to/mnist.npz")
    return load_mnist(path, quick=True)


@pytest.fixture(scope="session")
def playwright_instance():
    """The test session's one Playwright (sync API), shared by every browser test module.

    Playwright's sync API allows one running instance per thread: a second
    ``sync_playwright().start()`` in the same worker fails ("using Playwright
    Sync API inside the asyncio loop"). Modules launch their own Chromium from
    this one. None when Playwright is not installed (each module then skips,
    or fails under CI, with its own message).
    """
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        yield None
        return
    pw = sync_playwright().start()
    try:
        yield pw
    finally:
        pw.stop()


@contextlib.contextmanager
def exclusive(lock_path: Path):
    """Hold an exclusive lock on LOCK_PATH: xdist workers that share a built site take turns building it."""
    with open(lock_path, "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


@pytest.fixture
def eager():
    """Tiny training runs step eagerly: tracing a graph costs far more than their few steps."""
    import warnings

    import tensorflow as tf

    tf.config.run_functions_eagerly(True)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*does not apply to tf.data functions.*")
        yield
    tf.config.run_functions_eagerly(False)
