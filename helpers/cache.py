"""Atomic caching of trained models and their training records.

Introduced in notebook 03. A trained model is stored as ``NAME-MODE.keras``
(Keras' own format, loaded with ``safe_mode=True``) plus ``NAME-MODE.json``
holding its configuration, training history and timings.

What keys an entry: the configuration, the mode (in the file name) and a
fingerprint of the training data (:func:`data_fingerprint`, a SHA-256 of the
arrays: 0.11 s for the 60,000 MNIST training images), so a model trained on
MNIST is never handed to a caller training on Fashion-MNIST.

How an entry is written: model and record go to hidden ``.partial`` files
first; the old record is removed, the model renamed into place, and the
record renamed last. The record carries the SHA-256 of the model file and a
summary of the model (class, latent size, weight shapes), so a record only
ever vouches for the exact file written with it: a run killed between the two
renames, or a ``.keras`` file copied over another's name, is detected on load
and trained again with a warning. ``.partial`` files of a run that was killed
are removed by the next call.
"""

from __future__ import annotations

import gc
import hashlib
import inspect
import json
import os
import re
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any, Callable, Mapping

import numpy as np

from . import checks as ck
from . import config
from .checks import checked


# --- argument specs of this module (helpers.checks) -----------------------------------------------------------
def _stem(stem, *, name):
    if not isinstance(stem, str) or not stem.strip() or "/" in stem or os.sep in stem or "\0" in stem \
            or stem != stem.strip():
        raise ValueError(f"artifact name must be a plain file stem, got {stem!r}.")
    return stem


def _as_path(path, name: str) -> Path:
    """A str or os.PathLike path (not empty) as a Path, or a TypeError/ValueError naming ``name``."""
    if isinstance(path, bytes) or not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"{name} must be a file path (a str or pathlib.Path), got {type(path).__name__} {path!r}.")
    if not str(path).strip() or "\0" in str(path):
        raise ValueError(f"{name} must name a file, got {str(path)!r}.")
    return Path(path)


def _file_path(path, *, name):
    """A path where a file is read or written: not a folder, its parent (if it exists) a folder."""
    path = _as_path(path, name)
    if path.is_dir():
        raise ValueError(f"{name}: {str(path)!r} is a folder, not a file; pass the path of a file in it, "
                         f"e.g. {str(path / 'name.json')!r}.")
    parent = next((p for p in path.parents if p.exists()), None)
    if parent is not None and not parent.is_dir():
        raise ValueError(f"{name}: {str(parent)!r} is a file, not a folder, so {str(path)!r} cannot be created there; "
                         "pass a path inside a folder.")
    return path


def _folder_path(folder, *, name):
    """None (the artifacts folder) or a folder; an existing file is refused."""
    if folder is None:
        return None
    folder = _as_path(folder, name)
    if folder.exists() and not folder.is_dir():
        raise ValueError(f"{name}: {str(folder)!r} is a file, not a folder; pass the folder holding the files.")
    return folder


def _callback(fn, *, name, arguments: int, example: str):
    """A callable that can be called with ``arguments`` positional arguments."""
    if not callable(fn):
        raise TypeError(f"{name} must be a function, e.g. {example}, got {type(fn).__name__} {fn!r}.")
    try:
        signature = inspect.signature(fn)
    except (TypeError, ValueError):  # some builtins have none: leave them to the call
        return fn
    try:
        signature.bind(*([None] * arguments))
    except TypeError:
        raise TypeError(f"{name} must take {arguments} argument{'s' if arguments != 1 else ''}, e.g. {example}; "
                        f"{getattr(fn, '__name__', type(fn).__name__)}{signature} does not.") from None
    return fn


def _record(record, *, name):
    """A dict (load_json discards anything else)."""
    if not isinstance(record, dict):
        raise TypeError(f"{name} must be a dict (load_json reads nothing else back), got {type(record).__name__}.")
    return record


def _plain_arrays(arrays, *, name):
    """Arrays np.load(allow_pickle=False) can read back: no object arrays."""
    for key, value in arrays.items():
        try:
            kind = np.asarray(value).dtype
        except (TypeError, ValueError):  # ragged lists
            kind = np.dtype(object)
        if kind == object:
            raise TypeError(f"{key}: cannot store an array of Python objects (load_arrays reads no pickles); "
                            "pass an array of numbers or strings.")
    return arrays


def _keras_model(model, *, name):
    if not callable(getattr(model, "save", None)):
        raise TypeError(f"{name} must be a Keras model (with .save), got {type(model).__name__}.")
    return model


def _json_config(model_config, *, name):
    """A dict of settings that JSON can store (it keys the cache entry)."""
    if not isinstance(model_config, dict):
        raise TypeError(f"{name} must be a dict of settings, got {type(model_config).__name__}.")
    try:
        _jsonable(model_config)
    except (TypeError, ValueError) as err:
        raise TypeError(f"{name}: cannot be stored in the record ({err}); pass numbers, strings, lists and dicts.") \
            from None
    return model_config


def _optional_mapping(value, *, name, example: str):
    if value is not None and not isinstance(value, Mapping):
        raise TypeError(f"{name} must be a dict such as {example} (or None), got {type(value).__name__}.")
    return value


def _companion_paths(companions, *, name):
    """None or {name: file path} of files train() writes."""
    _optional_mapping(companions, name=name, example="{'snapshots': path}")
    for key, path in (companions or {}).items():
        _file_path(path, name=f"{name}[{key!r}]")
    return companions


def _array_keys(keys, *, name):
    """The names of the arrays to load: a tuple or list of strings ('xy' would be the keys 'x' and 'y')."""
    if isinstance(keys, (str, bytes)) or not isinstance(keys, (tuple, list)) \
            or not all(isinstance(k, str) for k in keys):
        raise TypeError(f"{name} must be a tuple of array names such as ('x', 'y'), got {keys!r}.")
    return tuple(keys)


def _suffix(suffix, *, name):
    if not isinstance(suffix, str) or not suffix.startswith(".") or len(suffix) < 2 or "/" in suffix \
            or os.sep in suffix or "\0" in suffix:
        raise ValueError(f"suffix must be a file extension such as '.json', got {suffix!r}.")
    return suffix


def _mode(mode, *, name):
    """'quick' or 'full' (None or empty: this run's mode)."""
    mode = mode or config.MODE
    if mode not in ("quick", "full"):
        raise ValueError(f"mode must be 'quick' or 'full', got {mode!r}.")
    return mode


def _fingerprintable(arrays, *, name):
    """Arrays as contiguous numpy arrays of plain dtypes (an object array has no stable bytes)."""
    out = []
    for a in arrays:
        a = np.ascontiguousarray(np.asarray(a))
        if a.dtype == object:
            raise TypeError(f"data_fingerprint: cannot fingerprint an object array of shape {a.shape}.")
        out.append(a)
    return tuple(out)


@checked(name=ck.using(_stem), suffix=ck.using(_suffix), mode=ck.using(_mode))
def artifact_path(name: str, suffix: str, mode: str | None = None) -> Path:
    """``artifacts/NAME-MODE.SUFFIX``: quick and full runs never share a file."""
    return config.artifacts_dir() / f"{name}-{mode}{suffix}"


#: A ``.partial`` file older than this belongs to no running write (a write takes seconds).
STALE_PARTIAL_SECONDS = 3600.0


def _write_partial(path: Path, write: Callable[[Path], None]) -> Path:
    """Call ``write(tmp)`` on a new hidden sibling of ``path`` and flush it to disk; returns ``tmp``.

    The temporary name starts with a dot (nothing globbing for artifacts picks
    it up), holds the writer's process id (so a later run can tell a killed
    write's leftovers, :func:`remove_stale_partials`) and keeps the suffix
    (Keras insists on ``.keras``). A writer that raises leaves nothing behind.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.stem}.{os.getpid()}.", suffix=f".partial{path.suffix}",
                                    dir=path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        tmp.unlink()  # let the writer create it; some writers refuse an existing file
        write(tmp)
        if not tmp.is_file():
            raise ValueError(f"write: it wrote no file at the path it was given ({tmp.name}); a writer must "
                             "create that file, e.g. lambda tmp: tmp.write_text(text).")
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return tmp


@checked(path=ck.using(_file_path), write=ck.using(_callback, arguments=1, example="lambda tmp: tmp.write_text(text)"))
def atomic_write(path: Path, write: Callable[[Path], None]) -> Path:
    """Call ``write(tmp)`` on a temporary sibling of ``path``, then rename it into place.

    A crash mid-write never leaves a half-written file under the final name.
    """
    tmp = _write_partial(path, write)
    try:
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return Path(path)


def _writer_alive(pid: int) -> bool:
    if os.name == "nt":  # os.kill(pid, 0) is not a probe on Windows: rely on the age alone
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # e.g. another user's process: it exists
        return True
    return True


@checked(folder=ck.using(_folder_path))
def remove_stale_partials(folder: Path | None = None) -> list[str]:
    """Delete ``.partial`` files left by killed writes in ``folder`` (default: the artifacts folder).

    Stale means: its writer (the process id in the name) is gone, or it is
    older than :data:`STALE_PARTIAL_SECONDS`. Returns the names removed.
    """
    folder = Path(folder) if folder is not None else config.artifacts_dir()
    removed = []
    for tmp in folder.glob(".*.partial*"):
        match = re.search(r"\.(\d+)\.[A-Za-z0-9_]+\.partial", tmp.name)
        pid = int(match.group(1)) if match else None
        try:
            old = time.time() - tmp.stat().st_mtime > STALE_PARTIAL_SECONDS
            if old or (pid is not None and pid != os.getpid() and not _writer_alive(pid)):
                tmp.unlink()
                removed.append(tmp.name)
        except FileNotFoundError:  # its writer just finished or another run removed it
            continue
    return removed


@checked(arrays=ck.using(_fingerprintable))
def data_fingerprint(*arrays) -> str:
    """A short SHA-256 of arrays' dtypes, shapes and bytes: the key of what a model was trained on.

    Measured 0.11 s for the 60,000 MNIST training images as float32 (188 MB),
    fast enough to hash everything rather than a sample.
    """
    digest = hashlib.sha256()
    for a in arrays:
        digest.update(f"{a.dtype.str}{a.shape};".encode())
        digest.update(a)
    return digest.hexdigest()[:24]


@checked(path=ck.using(_file_path))
def file_sha256(path: Path) -> str | None:
    """SHA-256 of a file's bytes, or None when it does not exist."""
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
    except FileNotFoundError:
        return None
    return digest.hexdigest()


@checked(path=ck.using(_file_path), record=ck.using(_record))
def save_json(path: Path, record: dict[str, Any]) -> Path:
    def write(tmp: Path) -> None:
        tmp.write_text(json.dumps(record, indent=2, default=_json_default))

    return atomic_write(path, write)


@checked(path=ck.using(_file_path))
def load_json(path: Path) -> dict[str, Any] | None:
    """The record at ``path``, or None when it is missing, unreadable or not a JSON object."""
    try:
        record = json.loads(Path(path).read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(record, dict):
        warnings.warn(f"discarding {Path(path).name}: it holds a {type(record).__name__}, not a record", stacklevel=2)
        return None
    return record


def _json_default(value):
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(f"cannot store {type(value).__name__} in a JSON record")


@checked(path=ck.using(_file_path), arrays=ck.using(_plain_arrays))
def save_arrays(path: Path, **arrays: np.ndarray) -> Path:
    """Store numpy arrays as an uncompressed .npz, atomically (no pickles)."""

    def write(tmp: Path) -> None:
        with open(tmp, "wb") as fh:
            np.savez(fh, **arrays)

    return atomic_write(path, write)


@checked(path=ck.using(_file_path), keys=ck.using(_array_keys))
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


@checked(model=ck.using(_keras_model), path=ck.using(_file_path))
def save_keras_model(model, path: Path) -> Path:
    return atomic_write(path, lambda tmp: model.save(tmp))


@checked(path=ck.using(_file_path))
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


def model_summary(model) -> dict[str, Any]:
    """What a record remembers of its model's shape: class, latent size, parameters, weight shapes."""
    latent = getattr(model, "latent_dim", None)
    return {
        "class": type(model).__name__,
        "latent_dim": None if latent is None else int(latent),
        "parameters": int(sum(int(np.prod(w.shape)) for w in model.weights)),
        "weight_shapes": [[int(d) for d in w.shape] for w in model.weights],
    }


def _summary_mismatch(model, summary: Any, expected: dict[str, Any] | None) -> str | None:
    """How ``model`` differs from its recorded summary and from the attributes its configuration implies."""
    actual = model_summary(model)
    if not isinstance(summary, dict):
        return "the record holds no model summary"
    for key in ("class", "latent_dim", "parameters", "weight_shapes"):
        if summary.get(key) != actual[key]:
            if key == "weight_shapes":
                return "the model's weight shapes differ from the record's"
            return f"the model has {key} {actual[key]!r}, the record says {summary.get(key)!r}"
    for key, want in (expected or {}).items():
        have = type(model).__name__ if key == "class" else getattr(model, key, "<missing>")
        if _jsonable(have) != _jsonable(want):
            return f"the model has {key} {have!r}, the configuration asks for {want!r}"
    return None


@checked(name=ck.using(_stem), model_config=ck.using(_json_config),
         train=ck.using(_callback, arguments=0, example="a function returning (model, record)"),
         expected=ck.using(_optional_mapping, example="{'latent_dim': 20}"),
         companions=ck.using(_companion_paths), retrain=ck.flag())
def cached_model(
    name: str,
    model_config: dict[str, Any],
    train: Callable[[], tuple[Any, dict[str, Any]]],
    *,
    data_key: str | None = None,
    expected: dict[str, Any] | None = None,
    companions: dict[str, Path] | None = None,
    retrain: bool = False,
    verbose: bool = True,
):
    """Load model ``name`` for this mode, or call ``train()`` and cache what it returns.

    ``train`` returns ``(model, record)``; the record (history, timings, test
    figures) is stored beside the model with ``model_config`` and ``data_key``
    (:func:`data_fingerprint` of the training data), and a cached entry is used
    only when both match. ``expected`` maps model attributes to the values the
    configuration implies (``"class"``: the class name), checked on every load.
    ``companions`` names further files that ``train`` writes (e.g. per-epoch
    snapshots): their hashes go into the record, and a missing or changed one
    means the entry is trained again. Returns ``(model, record, loaded_from_cache)``.
    """
    model_path = artifact_path(name, ".keras")
    record_path = artifact_path(name, ".json")
    remove_stale_partials(model_path.parent)
    wanted_config = _jsonable(model_config)
    companions = {k: Path(v) for k, v in (companions or {}).items()}
    if not retrain:
        loaded = _load_entry(model_path, record_path, wanted_config, data_key, expected, companions, verbose)
        if loaded is not None:
            return (*loaded, True)
    result = train()
    if not (isinstance(result, (tuple, list)) and len(result) == 2):
        raise TypeError(f"{name}: train() must return (model, record dict), got {type(result).__name__} {result!r:.60}.")
    model, record = result
    if not hasattr(model, "weights") or not callable(getattr(model, "save", None)):
        raise TypeError(f"{name}: train() must return (model, record dict), got a {type(model).__name__} model; "
                        "return the trained Keras model first.")
    if not isinstance(record, dict):
        raise TypeError(f"{name}: train() must return (model, record dict), got a {type(record).__name__} record.")
    problem = _summary_mismatch(model, model_summary(model), expected)
    if problem:
        raise ValueError(f"{name}: train() returned a model that does not fit its configuration ({problem}); "
                         "it is not cached.")
    record = dict(record, config=wanted_config, mode=config.MODE, data=data_key, model_summary=model_summary(model),
                  companions={k: file_sha256(v) for k, v in companions.items()})
    _commit(model, record, model_path, record_path)
    release_training_step(model)
    return model, record, False


def release_training_step(model) -> None:
    """Drop the traced training and evaluation steps a freshly trained Keras model keeps.

    Their graphs hold on to buffers of the training run: about 0.2 GB after a BiGAN's 12
    epochs (two BiGANs trained in one process peaked at 1.64 GB, 1.51 GB when the first
    one's step was dropped before the second trained). A notebook that trains its models
    then works on with them; one that loads them from the cache never had these steps.
    Keras traces them again on the next ``fit`` or ``evaluate``.
    """
    for step in ("train_function", "test_function"):
        if getattr(model, step, None) is not None:
            setattr(model, step, None)
    gc.collect()


def _load_entry(model_path, record_path, wanted_config, data_key, expected, companions, verbose):
    """``(model, record)`` of a cached entry that matches, or None (saying why when it matters)."""
    record = load_json(record_path)
    if record is None:
        return None
    if record.get("config") != wanted_config:
        if verbose:
            print(f"cached {record_path.name} describes another configuration; training again")
        return None
    if record.get("data") != data_key:
        if verbose:
            print(f"cached {record_path.name} was trained on other data (fingerprint {record.get('data')}, "
                  f"now {data_key}); training again")
        return None
    sha = file_sha256(model_path)
    if sha is None:
        if verbose:
            print(f"cached {record_path.name} has no model file beside it; training again")
        return None
    model = load_keras_model(model_path)
    if model is None:
        return None  # unreadable: load_keras_model has warned
    problem = None
    if sha != record.get("model_sha256"):
        problem = "the model file is not the one written with this record (another run's, or copied over it)"
    else:
        problem = _summary_mismatch(model, record.get("model_summary"), expected)
    recorded = record.get("companions") or {}
    for key, path in companions.items():
        if problem is None and (recorded.get(key) is None or file_sha256(path) != recorded.get(key)):
            problem = f"its {key} file {path.name} is missing or not the one written with it"
    if problem:
        warnings.warn(f"cached {model_path.name} does not match its record: {problem}; training again", stacklevel=3)
        return None
    if verbose:
        seconds = record.get("train_seconds")
        took = f" (trained in {seconds:.1f} s)" if isinstance(seconds, (int, float)) else ""
        print(f"loaded cached {model_path.name}{took}")
    return model, record


def _commit(model, record: dict[str, Any], model_path: Path, record_path: Path) -> None:
    """Write model and record as one unit: both partial files first, the record's rename last.

    Between removing the old record and renaming the new one in, the folder
    holds a model without a record, which counts as unfinished; at no moment
    does a record sit beside a model it was not written with.
    """
    tmp_model = _write_partial(model_path, lambda tmp: model.save(tmp))
    tmp_record = None
    try:
        record["model_sha256"] = file_sha256(tmp_model)
        tmp_record = _write_partial(
            record_path, lambda tmp: tmp.write_text(json.dumps(record, indent=2, default=_json_default)))
        record_path.unlink(missing_ok=True)
        os.replace(tmp_model, model_path)
        _rename_record(tmp_record, record_path)
    finally:
        tmp_model.unlink(missing_ok=True)
        if tmp_record is not None:
            tmp_record.unlink(missing_ok=True)


def _rename_record(tmp: Path, record_path: Path) -> None:
    """The commit: from this rename on, the new entry is complete."""
    os.replace(tmp, record_path)


def _jsonable(value):
    return json.loads(json.dumps(value, default=_json_default))
