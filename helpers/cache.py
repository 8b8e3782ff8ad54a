"""Atomic caching of trained models and their training records.

Introduced in notebook 03. A trained model is stored as ``NAME-MODE.keras``
(Keras' own format, loaded with ``safe_mode=True``) plus ``NAME-MODE.json``
holding its configuration, training history and timings. Both are written
to a temporary file first and renamed into place, so a crash mid-write never
leaves a half-written file under the final name. A model whose file does not
load, or whose record is missing or describes another configuration, is
trained again instead of being half-read.
"""

from __future__ import annotations

import json
import os
import tempfile
import warnings
from pathlib import Path
from typing import Any, Callable

import numpy as np

from . import config


def artifact_path(name: str, suffix: str, mode: str | None = None) -> Path:
    """``artifacts/NAME-MODE.SUFFIX``: quick and full runs never share a file."""
    mode = mode or config.MODE
    if not name or "/" in name or os.sep in name:
        raise ValueError(f"artifact name must be a plain file stem, got {name!r}.")
    return config.artifacts_dir() / f"{name}-{mode}{suffix}"


def atomic_write(path: Path, write: Callable[[Path], None]) -> Path:
    """Call ``write(tmp)`` on a temporary sibling of ``path``, then rename it into place.

    The temporary name keeps the suffix (Keras insists on ``.keras``) and starts
    with a dot so nothing globbing for artifacts picks it up.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=f".partial{path.suffix}", dir=path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        tmp.unlink()  # let the writer create it; some writers refuse an existing file
        write(tmp)
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    return path


def save_json(path: Path, record: dict[str, Any]) -> Path:
    def write(tmp: Path) -> None:
        tmp.write_text(json.dumps(record, indent=2, default=_json_default))

    return atomic_write(path, write)


def load_json(path: Path) -> dict[str, Any] | None:
    """The record at ``path``, or None when it is missing or unreadable."""
    try:
        return json.loads(Path(path).read_text())
    except (OSError, ValueError):
        return None


def _json_default(value):
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(f"cannot store {type(value).__name__} in a JSON record")


def save_arrays(path: Path, **arrays: np.ndarray) -> Path:
    """Store numpy arrays as an uncompressed .npz, atomically (no pickles)."""

    def write(tmp: Path) -> None:
        with open(tmp, "wb") as fh:
            np.savez(fh, **arrays)

    return atomic_write(path, write)


def load_arrays(path: Path, keys: tuple[str, ...]) -> dict[str, np.ndarray] | None:
    """The arrays stored at ``path``, or None when the file is missing, corrupt or incomplete."""
    try:
        with np.load(path, allow_pickle=False) as npz:
            if not all(k in npz.files for k in keys):
                return None
            return {k: npz[k] for k in keys}
    except FileNotFoundError:
        return None
    except Exception as err:  # a corrupt cache is discarded, never trusted
        warnings.warn(f"discarding unreadable cache {path}: {err}", stacklevel=2)
        return None


def save_keras_model(model, path: Path) -> Path:
    return atomic_write(path, lambda tmp: model.save(tmp))


def load_keras_model(path: Path):
    """Load a ``.keras`` file with safe mode on; None when missing or unreadable."""
    import keras

    path = Path(path)
    if not path.is_file():
        return None
    try:
        return keras.saving.load_model(path, compile=False, safe_mode=True)
    except Exception as err:
        warnings.warn(f"discarding unreadable model {path.name}: {type(err).__name__}: {err}", stacklevel=2)
        return None


def cached_model(
    name: str,
    model_config: dict[str, Any],
    train: Callable[[], tuple[Any, dict[str, Any]]],
    *,
    retrain: bool = False,
    verbose: bool = True,
):
    """Load model ``name`` for this mode, or call ``train()`` and cache what it returns.

    ``train`` returns ``(model, record)``; the record (history, timings, test
    figures) is stored beside the model with ``model_config`` so a later load
    can tell whether the file describes the configuration asked for.
    Returns ``(model, record, loaded_from_cache)``.
    """
    model_path = artifact_path(name, ".keras")
    record_path = artifact_path(name, ".json")
    if not retrain:
        record = load_json(record_path)
        if record is not None and record.get("config") == _jsonable(model_config):
            model = load_keras_model(model_path)
            if model is not None:
                if verbose:
                    print(f"loaded cached {model_path.name} (trained in {record.get('train_seconds', float('nan')):.1f} s)")
                return model, record, True
        elif record is not None and verbose:
            print(f"cached {record_path.name} describes another configuration; training again")
    model, record = train()
    record = dict(record, config=_jsonable(model_config), mode=config.MODE)
    save_keras_model(model, model_path)
    # The record is written last: a model without its record counts as unfinished.
    save_json(record_path, record)
    return model, record, False


def _jsonable(value):
    return json.loads(json.dumps(value, default=_json_default))
