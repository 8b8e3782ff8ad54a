"""Loading MNIST and Fashion-MNIST as float32 images in [0, 1].

Introduced in notebook 01. Every notebook gets its data from here, so a bad
file or a missing network fails in one place with one clear message.
"""

from __future__ import annotations

import gzip
import math
import os
import zipfile
from pathlib import Path
from typing import NamedTuple

import numpy as np

from . import checks as ck
from . import config
from .checks import (IMAGE_SHAPE, _as_array, check_class, check_count, check_images, check_labels,  # noqa: F401
                     check_number, check_numbers, check_positive, check_settings, checked, random_generator)

#: Environment variable naming a local copy of ``mnist.npz`` (Keras layout).
MNIST_ENV = "MNIST_NPZ"
#: Environment variable naming a folder with the four Fashion-MNIST IDX files.
FASHION_ENV = "FASHION_MNIST_DIR"
#: Where Debian's ``dataset-fashion-mnist`` package installs the IDX files.
DEBIAN_FASHION_DIR = Path("/usr/share/datasets/fashion-mnist")

DIGIT_NAMES = tuple(str(d) for d in range(10))
FASHION_NAMES = (
    "T-shirt", "trouser", "pullover", "dress", "coat",
    "sandal", "shirt", "sneaker", "bag", "ankle boot",
)


class DataError(RuntimeError):
    """A data set could not be loaded; the message says how to fix it."""


class Dataset(NamedTuple):
    """Train and test splits: images (N, 28, 28) float32 in [0, 1], labels int64."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    class_names: tuple[str, ...] = DIGIT_NAMES

    @checked(n_train=ck.count(allow_none=True), n_test=ck.count(allow_none=True))
    def subset(self, n_train: int | None, n_test: int | None) -> "Dataset":
        """The first ``n_train`` / ``n_test`` samples (``None`` keeps all)."""
        return self._replace(
            x_train=self.x_train[:n_train], y_train=self.y_train[:n_train],
            x_test=self.x_test[:n_test], y_test=self.y_test[:n_test],
        )


_MNIST_KEYS = ("x_train", "y_train", "x_test", "y_test")


# --- argument specs of this module (helpers.checks) -----------------------------------------------------------
def _path(path, *, name, what: str = "a file path (str or pathlib.Path) to a mnist.npz", optional: bool = False):
    if optional and path is None:
        return None
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"{name} must be {what}, got {type(path).__name__}.")
    return path


def _mnist_file(path, *, name):
    """An existing mnist.npz file (not a folder), as a Path."""
    path = Path(_path(path, name=name)).expanduser()
    if path.is_dir():
        raise DataError(
            f"{path} is a folder; point {MNIST_ENV} (or path) at the mnist.npz file itself, "
            f"or unset {MNIST_ENV} to download MNIST through Keras."
        )
    if not path.is_file():
        raise DataError(
            f"MNIST file not found: {path}. Point {MNIST_ENV} at an existing mnist.npz, "
            f"or unset {MNIST_ENV} to download MNIST through Keras."
        )
    return path


def _quick_flag(quick, *, name):
    if quick is not None and not isinstance(quick, (bool, np.bool_)):
        raise TypeError(f"quick must be True, False or None (the quick-mode setting), got {quick!r}.")
    return quick


def _training_images(x, *, name):
    """Rows to train on: float images (N, 28, 28) or codes (N, d), finite, at least one."""
    what = "float images (N, 28, 28) or codes (N, d) to train on"
    try:
        arr = np.asarray(x)
    except (TypeError, ValueError):  # ragged lists
        arr = np.asarray(None)
    if arr.ndim == 0 or arr.dtype == object or arr.dtype.kind in "USV":
        raise TypeError(f"x: expected images (N, 28, 28) to train on, got {type(x).__name__}.")
    if len(x) == 0:
        raise ValueError("shuffled_batches: no images to train on (x is empty); pass at least one image.")
    if arr.ndim < 2 or arr[0].size == 0:
        raise ValueError(f"x: expected {what}, got shape {arr.shape}; pass one row per image or code.")
    if arr.dtype.kind != "f":
        fix = {"b": "convert a mask with x.astype(np.float32)",
               "c": "pass real numbers (x.real, if the imaginary parts are zero)"}.get(
            arr.dtype.kind, "divide 0-255 grey levels by 255, e.g. x / 255.0 (load_mnist does this)")
        raise TypeError(f"x: expected {what}, got dtype {arr.dtype}; {fix}.")
    for i in range(0, len(arr), 4096):  # in chunks: no full-size temporary for 60,000 images
        if not np.all(np.isfinite(arr[i: i + 4096])):
            raise ValueError("x: contains NaN or infinite values; pass finite numbers to train on "
                             "(np.nan_to_num(x) sets NaN to 0).")
    return x


def _one_label_each(y, *, name, x):
    """None, or one label per image: a 1-D array of finite real numbers as long as x."""
    if y is None:
        return None
    what = "one label per image, an array of shape (N,)"
    try:
        labels = np.asarray(y) if not isinstance(y, (dict, set)) else np.asarray(None)
    except (TypeError, ValueError):  # ragged lists
        labels = np.asarray(None)
    if labels.ndim == 0 or labels.dtype == object:
        raise TypeError(f"y: expected {what}, got {type(y).__name__}.")
    if labels.dtype.kind not in "iuf":
        kind = {"b": "booleans", "c": "complex numbers"}.get(labels.dtype.kind, f"dtype {labels.dtype}")
        raise TypeError(f"y: expected {what} (numbers, e.g. class ids 0-9), got {kind}.")
    if labels.ndim != 1:
        raise ValueError(f"y: expected {what}, got shape {labels.shape}; pass class ids (e.g. y.argmax(axis=1) "
                         "for one-hot rows).")
    if labels.shape[0] != len(x):
        raise ValueError(f"y: {len(x)} images but {labels.shape[0]} labels; pass one label per image.")
    if labels.dtype.kind == "f" and not np.all(np.isfinite(labels)):
        raise ValueError(f"y: contains NaN or infinite values; pass {what}.")
    return y


def _to_unit_float(images: np.ndarray) -> np.ndarray:
    """Grey levels 0-255 as float32 in [0, 1], in one new array (no temporaries: MNIST's are 188 MB each)."""
    out = images.astype(np.float32)
    out /= np.float32(255.0)
    return np.clip(out, 0.0, 1.0, out=out)


def _as_dataset(arrays: dict[str, np.ndarray], names: tuple[str, ...], quick: bool | None) -> Dataset:
    """Validated uint8 splits as a Dataset, cut to the quick-mode subsets before they become floats.

    Cutting first means quick mode converts the 4,000 images it keeps, not all 70,000:
    a kernel's peak memory drops by about 0.4 GB (Binder gives 1-2 GB).
    """
    if _quick(quick):
        s = config.QUICK_SETTINGS
        cut = {"train": s.train_subset, "test": s.test_subset}
        arrays = {k: v[:cut[k.split("_")[1]]] for k, v in arrays.items()}
    return Dataset(
        _to_unit_float(arrays["x_train"]), arrays["y_train"].astype(np.int64),
        _to_unit_float(arrays["x_test"]), arrays["y_test"].astype(np.int64), names,
    )


def _validate(arrays: dict[str, np.ndarray], source: str) -> None:
    """Check the Keras MNIST layout; raise DataError naming ``source`` otherwise."""
    for split in ("train", "test"):
        x, y = arrays[f"x_{split}"], arrays[f"y_{split}"]
        if x.ndim != 3 or x.shape[1:] != IMAGE_SHAPE:
            raise DataError(
                f"{source}: x_{split} has shape {x.shape}, expected (N, 28, 28). "
                "The file is not in the keras.datasets.mnist layout."
            )
        if y.shape != (x.shape[0],):
            raise DataError(
                f"{source}: y_{split} has shape {y.shape} but x_{split} holds "
                f"{x.shape[0]} images; labels and images must match one to one."
            )
        if x.dtype != np.uint8:
            raise DataError(f"{source}: x_{split} has dtype {x.dtype}, expected uint8 grey levels 0-255.")
        if not (np.issubdtype(y.dtype, np.integer) or np.issubdtype(y.dtype, np.floating)):
            raise DataError(f"{source}: y_{split} has dtype {y.dtype}, expected integer class labels 0-9.")
        if np.issubdtype(y.dtype, np.floating) and not np.all(np.isfinite(y)):
            raise DataError(f"{source}: y_{split} holds NaN or infinite labels, expected integer class labels 0-9.")
        if np.issubdtype(y.dtype, np.floating) and np.any(y != np.round(y)):
            raise DataError(f"{source}: y_{split} holds fractional labels, expected integer class labels 0-9.")
        if y.size and (y.min() < 0 or y.max() > 9):
            raise DataError(f"{source}: y_{split} holds labels outside 0-9.")


@checked(path=ck.using(_mnist_file))
def read_mnist_npz(path: str | os.PathLike) -> Dataset:
    """Read a ``mnist.npz`` in the layout that ``keras.datasets.mnist`` caches.

    A missing, truncated or wrong-layout file raises :class:`DataError` naming
    the file, never a bare numpy traceback.
    """
    return _as_dataset(_read_mnist_arrays(path), DIGIT_NAMES, quick=False)


def _read_mnist_arrays(path: str | os.PathLike) -> dict[str, np.ndarray]:
    """The four uint8/label arrays of a ``mnist.npz``, checked (see :func:`read_mnist_npz`)."""
    path = _mnist_file(path, name="path")  # also for $MNIST_NPZ, which no argument spec sees
    try:
        loaded = np.load(path, allow_pickle=False)
        if not isinstance(loaded, np.lib.npyio.NpzFile):
            # np.load reads a .npy file as one bare array: no splits, no labels.
            raise DataError(
                f"{path} holds a single array (a .npy file), not an .npz archive with "
                f"{list(_MNIST_KEYS)}; point {MNIST_ENV} at a mnist.npz in the keras.datasets.mnist layout."
            )
        with loaded as npz:
            missing = [k for k in _MNIST_KEYS if k not in npz.files]
            if missing:
                raise DataError(
                    f"{path}: missing arrays {missing}; expected {list(_MNIST_KEYS)} "
                    "(the keras.datasets.mnist layout)."
                )
            arrays = {k: npz[k] for k in _MNIST_KEYS}
    except DataError:
        raise
    except (zipfile.BadZipFile, EOFError, OSError, ValueError) as err:
        raise DataError(
            f"{path} is not a readable .npz file ({type(err).__name__}: {err}). "
            "It may be truncated or corrupt: download it again, or unset "
            f"{MNIST_ENV} to let Keras fetch a fresh copy."
        ) from err
    _validate(arrays, str(path))
    return arrays


def _cause(err: BaseException) -> str:
    """What went wrong, in one line: the innermost exception behind ERR (urllib wraps the socket's)."""
    while err.__cause__ is not None or (err.__context__ is not None and not err.__suppress_context__):
        err = err.__cause__ or err.__context__
    reason = getattr(err, "reason", None)  # urllib's URLError carries the socket error here
    if isinstance(reason, BaseException):
        err = reason
    text = " ".join(str(err).split())
    return f"{type(err).__name__}: {text[:200]}" if text else type(err).__name__


def _download(loader, what: str, ways_out: str):
    """``loader()`` (a keras.datasets download), or one DataError naming the ways out.

    Raised ``from None``: the reader gets one sentence, not urllib's 40-line chain
    (the cause is kept, in one line, in the message).
    """
    try:
        return loader()  # Keras checks the file's hash and caches it in ~/.keras/datasets
    except Exception as err:  # urllib, socket, ssl and Keras's own wrappers: all mean "no data"
        cause = _cause(err)
    raise DataError(f"{what} is not on this machine and could not be downloaded ({cause}). "
                    f"{ways_out}") from None


def _mnist_ways_out() -> str:
    return (f"If this machine is offline, copy a mnist.npz (the keras.datasets.mnist layout) here and set "
            f"{MNIST_ENV}=/path/to/mnist.npz (in a notebook: %env {MNIST_ENV}=/path/to/mnist.npz, then run the "
            "cell again); or connect to the network once (Keras keeps its copy in ~/.keras/datasets).")


def _fashion_ways_out() -> str:
    return ("Ways out: install Debian's package dataset-fashion-mnist (`sudo apt-get install "
            f"dataset-fashion-mnist`; it puts the files in {DEBIAN_FASHION_DIR}, read from there); or set "
            f"{FASHION_ENV} to a folder holding the four IDX files (train-images-idx3-ubyte.gz, "
            "train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz; in a notebook: "
            f"%env {FASHION_ENV}=/path/to/folder, then run the cell again); or connect to the network once "
            "(Keras keeps its copy in ~/.keras/datasets).")


def _download_mnist() -> dict[str, np.ndarray]:
    import keras

    (x_train, y_train), (x_test, y_test) = _download(
        keras.datasets.mnist.load_data, "MNIST (through keras.datasets.mnist)", _mnist_ways_out())
    arrays = {"x_train": x_train, "y_train": y_train, "x_test": x_test, "y_test": y_test}
    _validate(arrays, "keras.datasets.mnist")
    return arrays


@checked(path=ck.using(_path, optional=True), quick=ck.using(_quick_flag))
def load_mnist(path: str | os.PathLike | None = None, *, quick: bool | None = None) -> Dataset:
    """MNIST as float32 images in [0, 1], shape (N, 28, 28), integer labels.

    Reads ``path``, else the file named by ``$MNIST_NPZ``, else downloads
    through Keras (hash-checked and cached). ``quick`` (default: the quick-mode
    setting) trims to the quick-mode subset sizes.
    """
    source = path if path is not None else os.environ.get(MNIST_ENV)
    arrays = _read_mnist_arrays(source) if source else _download_mnist()
    return _as_dataset(arrays, DIGIT_NAMES, quick)


def _quick(quick: bool | None) -> bool:
    """``quick`` checked, or the quick-mode setting when None."""
    if quick is not None and not isinstance(quick, (bool, np.bool_)):
        raise TypeError(f"quick must be True, False or None (the quick-mode setting), got {quick!r}.")
    return bool(config.QUICK if quick is None else quick)


def _read_idx(path: Path, expected_dims: int) -> np.ndarray:
    """Read one IDX file (optionally gzipped): the format of the original MNIST files."""
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as fh:
            raw = fh.read()
    except (OSError, EOFError) as err:
        raise DataError(f"{path}: cannot read IDX file ({err}); reinstall it.") from err
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] != 0x08:
        raise DataError(f"{path}: not an unsigned-byte IDX file.")
    ndim = raw[3]
    if ndim != expected_dims:
        raise DataError(f"{path}: IDX file has {ndim} dimensions, expected {expected_dims}.")
    shape = tuple(int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    body = np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim)
    if body.size != int(np.prod(shape)):
        raise DataError(f"{path}: IDX file is truncated ({body.size} bytes for shape {shape}).")
    return body.reshape(shape)


def _fashion_dir() -> Path | None:
    override = os.environ.get(FASHION_ENV)
    if override:
        return Path(override).expanduser()
    return DEBIAN_FASHION_DIR if DEBIAN_FASHION_DIR.is_dir() else None


@checked(folder=ck.using(_path, what="a folder path (str or pathlib.Path)", optional=True), quick=ck.using(_quick_flag))
def load_fashion_mnist(folder: str | os.PathLike | None = None, *, quick: bool | None = None) -> Dataset:
    """Fashion-MNIST in the same form as :func:`load_mnist`.

    Reads the four IDX files from ``folder``, ``$FASHION_MNIST_DIR`` or Debian's
    ``/usr/share/datasets/fashion-mnist`` (``apt-get install dataset-fashion-mnist``),
    else downloads through Keras. Offline with none of them: one :class:`DataError`
    naming these three ways out.
    """
    folder = Path(folder) if folder is not None else _fashion_dir()
    if folder is not None:
        names = {
            "x_train": "train-images-idx3-ubyte", "y_train": "train-labels-idx1-ubyte",
            "x_test": "t10k-images-idx3-ubyte", "y_test": "t10k-labels-idx1-ubyte",
        }
        arrays = {}
        for key, stem in names.items():
            candidates = [folder / f"{stem}.gz", folder / stem]
            found = next((p for p in candidates if p.is_file()), None)
            if found is None:
                raise DataError(
                    f"Fashion-MNIST file {stem}(.gz) not found in {folder}. Install Debian's "
                    f"dataset-fashion-mnist, or point {FASHION_ENV} at a folder holding the four IDX files."
                )
            arrays[key] = _read_idx(found, 3 if key.startswith("x") else 1)
        _validate(arrays, str(folder))
    else:
        import keras

        (xtr, ytr), (xte, yte) = _download(
            keras.datasets.fashion_mnist.load_data, "Fashion-MNIST (through keras.datasets.fashion_mnist)",
            _fashion_ways_out())
        arrays = {"x_train": xtr, "y_train": ytr, "x_test": xte, "y_test": yte}
    return _as_dataset(arrays, FASHION_NAMES, quick)


#: Training steps per ``fit`` call at most (see shuffled_batches).
MAX_STEPS_PER_CALL = 32


@checked(batch_size=ck.count(minimum=1), x=ck.using(_training_images), y=ck.using(_one_label_each, x=ck.ref("x")))
def shuffled_batches(x: np.ndarray, y: np.ndarray | None = None, *, batch_size: int):
    """Training batches for ``keras.Model.fit``, reshuffled every epoch, and a steps-per-execution.

    Introduced with the VAE (notebook 03); the BiGAN and the CNN judge train on it too.

    Why not ``fit(x, shuffle=True)``: on two cores, the input pipeline's own
    threads competed with the training step, and epochs alternated between a
    fast and a slow speed (VAE: 3.7 and 5.1 s; CNN: 12 and 20 s). Here only
    indices are shuffled, images are gathered from one in-memory tensor, and
    the pipeline gets a single thread with autotuning off, which gave steady
    fast epochs. ``steps_per_execution`` (the second value, a divisor of the
    batches per epoch) runs several steps per call and saves per-step overhead.
    """
    import tensorflow as tf

    images = tf.constant(x)
    labels = None if y is None else tf.constant(np.asarray(y))

    def gather(idx):
        return tf.gather(images, idx) if labels is None else (tf.gather(images, idx), tf.gather(labels, idx))

    batches = (tf.data.Dataset.range(len(x)).shuffle(len(x), reshuffle_each_iteration=True)
               .batch(batch_size).map(gather))
    options = tf.data.Options()
    options.threading.private_threadpool_size = 1
    options.autotune.enabled = False
    steps = -(-len(x) // batch_size)
    # At most 32 steps per call: Keras 3.5 (the floor) unrolls them in Python, and TensorFlow refuses more than
    # 32 get_next() calls in one traced function ("An unusually high number of ... get_next() calls").
    per_call = max(d for d in range(1, min(steps, MAX_STEPS_PER_CALL) + 1) if steps % d == 0)
    return batches.with_options(options), per_call


def _physical_memory() -> int | None:
    try:
        return int(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    except (AttributeError, ValueError, OSError):  # not POSIX: no limit known
        return None


#: Where the control groups are mounted, and this process's membership (tests point both at fake files).
CGROUP_ROOT = Path("/sys/fs/cgroup")
PROC_CGROUP = Path("/proc/self/cgroup")
#: cgroup v1 writes "no limit" as a page-rounded 2**63 - 1; anything this large means none.
_NO_LIMIT = 1 << 60


def _limits_up(base: Path, group: str, filename: str) -> list[int]:
    """The limits in FILENAME of GROUP (under BASE) and of each parent group up to BASE itself."""
    limits = []
    parts = [p for p in group.strip().split("/") if p]
    for depth in range(len(parts), -1, -1):
        try:
            text = (base.joinpath(*parts[:depth]) / filename).read_text().strip()
        except OSError:  # not mounted here (a container sees its own group as the root)
            continue
        if text.isdigit() and int(text) < _NO_LIMIT:
            limits.append(int(text))  # "max" (v2) and v1's huge number mean no limit
    return limits


def container_memory_limit() -> int | None:
    """The memory limit of this process's control group, in bytes: a container's (Binder, Docker); None if none.

    cgroup v2: ``memory.max`` of the group named on the ``0::`` line of ``/proc/self/cgroup``,
    and of its parents, under ``/sys/fs/cgroup``; cgroup v1: ``memory.limit_in_bytes`` under
    ``/sys/fs/cgroup/memory`` for the ``memory`` line. The smallest limit found applies.
    """
    try:
        lines = PROC_CGROUP.read_text().splitlines()
    except OSError:  # not Linux
        lines = []
    limits = []
    for line in lines:
        _, controllers, group = (line.split(":", 2) + ["", ""])[:3]
        if controllers == "":  # the v2 (unified) hierarchy
            limits += _limits_up(CGROUP_ROOT, group, "memory.max")
        elif "memory" in controllers.split(","):
            limits += _limits_up(CGROUP_ROOT / "memory", group, "memory.limit_in_bytes")
    if not lines:
        limits += _limits_up(CGROUP_ROOT, "/", "memory.max") + _limits_up(CGROUP_ROOT / "memory", "/",
                                                                          "memory.limit_in_bytes")
    return min(limits) if limits else None


def memory_limit() -> tuple[int | None, str]:
    """The memory this process may use, in bytes, and whose limit it is: the container's or the machine's."""
    machine, container = _physical_memory(), container_memory_limit()
    if container is not None and (machine is None or container < machine):
        return container, "this container's memory limit (cgroup)"
    return machine, "this machine's memory"


def check_memory(n_bytes: float, *, name: str, what: str) -> None:
    """Refuse a request that could not fit in memory, naming the argument behind it.

    The limit is the container's when there is one (Binder gives 1-2 GB; see
    :func:`container_memory_limit`), else the machine's. Without it, a count
    such as 10**12 surfaces as numpy's bare MemoryError or TensorFlow's
    ResourceExhaustedError after a long wait, or the kernel is killed.
    """
    if isinstance(n_bytes, (bool, np.bool_)) or not isinstance(n_bytes, (int, float, np.integer, np.floating)):
        raise TypeError(f"n_bytes must be a number of bytes (what {name} would allocate), got {n_bytes!r} "
                        f"({type(n_bytes).__name__}).")
    if n_bytes != n_bytes:  # NaN: no comparison would refuse it
        raise ValueError(f"n_bytes must be a number of bytes (what {name} would allocate), got NaN.")
    limit, whose = memory_limit()
    if limit is not None and n_bytes > limit:
        # an integer beyond the float range (10**400) is compared exactly and printed by its size
        size = (f"{n_bytes / 1e9:,.1f} GB" if not isinstance(n_bytes, int) or n_bytes < 10**300
                else f"about 10**{int(math.log10(n_bytes)) - 9} GB")
        raise ValueError(f"{name}: {what} would need {size}, more than {whose} of "
                         f"{limit / 1e9:,.1f} GB; pass a smaller {name}.")


def _dataset_images(x, name: str) -> np.ndarray:
    """Images of a Dataset: uint8 grey levels become float32 in [0, 1]; floats must already be there."""
    x = _as_array(x, name, "images (N, 28, 28), uint8 0-255 or float in [0, 1]")
    if x.dtype == np.uint8:
        x = _to_unit_float(x.reshape(-1, *IMAGE_SHAPE) if x.ndim == 2 and x.shape[1] == 784 else x)
    return check_images(x, name=name)


def as_dataset(data, *, name: str = "data") -> Dataset:
    """``data`` as a checked :class:`Dataset` of float32 images in [0, 1] and int64 labels.

    Accepts a Dataset, or the ``((x_train, y_train), (x_test, y_test))`` tuple of
    ``keras.datasets.mnist.load_data()``; uint8 grey levels are divided by 255.
    Every model's training entry point reads its data through here.
    """
    if isinstance(data, Dataset):
        parts, names = data[:4], data.class_names
    elif (isinstance(data, (tuple, list)) and len(data) == 2
          and all(isinstance(p, (tuple, list)) and len(p) == 2 for p in data)):
        parts, names = (data[0][0], data[0][1], data[1][0], data[1][1]), DIGIT_NAMES
    else:
        raise TypeError(
            f"{name}: expected a helpers.data.Dataset (e.g. load_mnist()) or a keras.datasets-style "
            f"((x_train, y_train), (x_test, y_test)) tuple, got {type(data).__name__}."
        )
    x_train = _dataset_images(parts[0], f"{name}.x_train")
    x_test = _dataset_images(parts[2], f"{name}.x_test")
    y_train = check_labels(parts[1], len(x_train), name=f"{name}.y_train")
    y_test = check_labels(parts[3], len(x_test), name=f"{name}.y_test")
    if (isinstance(data, Dataset) and x_train is data.x_train and y_train is data.y_train
            and x_test is data.x_test and y_test is data.y_test):
        return data
    return Dataset(x_train, y_train, x_test, y_test, tuple(names))
