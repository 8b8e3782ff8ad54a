"""Run settings shared by every notebook: quick mode, paths, seeding, versions.

Introduced in notebook 01. Quick mode (``TUTORIAL_QUICK=1``) is read here and
nowhere else, so every notebook, test and benchmark agrees on what "quick" means.
"""

from __future__ import annotations

import json
import os
import platform
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import checks as ck
from .checks import checked

#: Folder of this package, and of the repository that holds it.
PACKAGE_DIR = Path(__file__).resolve().parent
REPO_DIR = PACKAGE_DIR.parent


#: Spellings of a yes/no environment variable (case-insensitive; empty or unset means no).
TRUE_SPELLINGS = ("1", "true", "yes", "on")
FALSE_SPELLINGS = ("0", "false", "no", "off", "")


def _env_flag(name: str) -> bool:
    """Lenient: only a true spelling counts (for variables other tools set, such as ``CI``)."""
    return os.environ.get(name, "").strip().lower() in TRUE_SPELLINGS


def parse_flag(name: str) -> bool:
    """A yes/no environment variable read strictly: any other value is a ValueError naming it.

    Strict because a typo such as ``TUTORIAL_QUICK=2`` or ``=quick`` must not
    quietly start the ten-minute full run.
    """
    raw = os.environ.get(name)
    value = (raw or "").strip().lower()
    if value in TRUE_SPELLINGS:
        return True
    if value in FALSE_SPELLINGS:
        return False
    raise ValueError(
        f"{name}={raw!r} is not a yes/no value: set it to one of {'/'.join(TRUE_SPELLINGS)} "
        f"or {'/'.join(s for s in FALSE_SPELLINGS if s)} (case-insensitive), or leave it empty or unset "
        "(then restart the kernel)."
    )


#: The raw ``TUTORIAL_QUICK`` value (None when unset), shown by :func:`setup`.
QUICK_SETTING = os.environ.get("TUTORIAL_QUICK")
#: True when the notebooks should run in a few seconds (CI, smoke tests).
QUICK = parse_flag("TUTORIAL_QUICK")
MODE = "quick" if QUICK else "full"


@dataclass(frozen=True)
class Settings:
    """Sizes that change between quick and full mode.

    ``None`` for a subset means "use everything".
    """

    train_subset: int | None
    test_subset: int | None
    vae_epochs: int
    bigan_epochs: int
    cnn_epochs: int
    lr_max_iter: int
    learning_curve_sizes: tuple[int, ...]
    interpolation_samples: int
    transfer_per_pair: int
    elbo_importance_samples: int
    #: Notebook 06: samples per model (and real digits) in the Frechet distance.
    frechet_samples: int = 10000
    #: Notebook 04's pure BiGAN, the comparison run: as many epochs as the BiGAN (``bigan_epochs``),
    #: so that the two runs differ only in the objective.
    pure_bigan_epochs: int = 12
    #: Notebook 07: measured training digits behind each attribute probe, perturbed training digits
    #: behind each counterfactual direction, and held-out test digits per class moved along each axis.
    style_probe_digits: int = 10000
    style_counterfactual_digits: int = 1000
    style_test_per_class: int = 20
    #: Notebook 08: the flow's training budget in wall-clock seconds (it trains as far as they allow on the
    #: reader's machine; its wide couplings reached 1.165 bits/dim on the first 2,000 test digits after 2 minutes
    #: and 1.140 after 3, benchmarks/flow_sweep.json, 2026-12-05, against a goal of 1.25 within 3; 100 s leave
    #: room in the chapter's 4 minutes for everything else) and the most epochs it may run; steps of
    #: the 2-d toy flow, training digits behind the flow's class centroids and style probes (encoding all
    #: 60,000 would take a large part of the chapter's 4 minutes), test digits per ordered pair in its
    #: transfer matrix, and samples per Frechet distance.
    flow_budget_seconds: float = 100.0
    flow_max_epochs: float = 100.0
    #: The step caps of the flow and of the two diffusion models: training stops at the time budget or at the cap,
    #: whichever comes first. A slower machine stops at the budget, as before; a faster one stops at the cap, so it
    #: trains the same model as the book and the chapters' times shrink with the machine. None: no cap (quick mode,
    #: whose budgets are seconds). The caps are counted on a reference machine, one on which chapters 01-07 take
    #: the 10 minutes the issues were set on: 0.8 of what a machine that ran them in 8.0 minutes made in a make run
    #: from an empty artifacts/ (2026-12-05, 377/378 GFLOP/s: flow 1,269 steps in 100 s, pixel diffusion 9,025 in
    #: 300 s, latent diffusion 1,815 in 60 s). Each cap is what the reference makes in part of its budget, 85 s of
    #: the flow's 100, 208 s of the pixel model's 300 and 33 s of the latent model's 60, so that the nine chapters
    #: fit the 20 minutes of issue 21 there: with caps of the whole budgets (1,000, 7,200 and 1,450 steps) the series
    #: took 2.18 x chapters 01-07, and 2.01 with the pixel and latent caps at 5,000 and 1,000. What the lower caps
    #: cost, same machine, 2,000 samples of 20 steps against the first 2,000 test digits: pixel diffusion 5,000
    #: steps in 165 s, Frechet distance 36.2 and autoguided 22.9, against 32.5 and 21.7 after 7,200 in 228 s; latent
    #: diffusion 1,000 steps in 28 s, 6.89 against 6.63 after 1,450 in 38 s. The flow's cap is for its wide
    #: couplings (helpers.flow.training_config): 360 steps of 64 in 68 s (= 0.8 x 85 s) on a 360/386 GFLOP/s
    #: machine, 2026-12-05 (benchmarks/flow_sweep.json).
    flow_max_steps: int | None = 360
    diffusion_pixel_max_steps: int | None = 5000
    diffusion_latent_max_steps: int | None = 800
    #: XLA-compile the VAEs', judges' and diffusion models' training steps. Off in quick mode: a few dozen steps do
    #: not repay the compilation, whose memory stays with the kernel (notebook 09 from an empty cache, quick mode:
    #: kernel peak 2.02 GB with XLA, 1.71 GB without, on 2026-12-03).
    xla: bool = True
    #: XLA-compile the flow's training step. Off: on a 2-core CPU the compiled step was slower (1,318 against 1,491
    #: steps of 64 in 180 s) and compiling took 4 s more of the budget (benchmarks/flow_sweep.json, 2026-12-03).
    flow_jit_compile: bool = False
    #: the 2-d toy flow: 1,500 steps reached a held-out -log p of 1.43 nats per point (a Gaussian 2.70; 2026-12-05).
    flow_toy_steps: int = 1000
    flow_train_codes: int = 5000
    flow_transfer_per_pair: int = 10
    flow_frechet_samples: int = 1000
    #: Notebook 09: training budgets (seconds) of the pixel and latent diffusion models, test digits per class
    #: moved through each diffusion latent space (decoding runs the sampler, so these experiments are scaled to
    #: the cost), samples per Frechet distance of the step sweep, and sampler steps per decode in those spaces.
    diffusion_pixel_seconds: float = 300.0
    diffusion_latent_seconds: float = 60.0
    diffusion_per_class: int = 5
    diffusion_samples: int = 1000
    diffusion_move_steps: int = 10


FULL = Settings(
    train_subset=None,
    test_subset=None,
    vae_epochs=26,
    bigan_epochs=12,
    # 3 epochs: 99.04% test accuracy in 34 s; a fourth epoch bought 0.08 points for 10 s more.
    cnn_epochs=3,
    lr_max_iter=300,
    learning_curve_sizes=(30, 100, 300, 1000, 3000, 10000, 30000, 60000),
    interpolation_samples=64,
    transfer_per_pair=50,
    elbo_importance_samples=100,
    frechet_samples=10000,
)

QUICK_SETTINGS = Settings(
    train_subset=3000,
    test_subset=1000,
    vae_epochs=2,
    bigan_epochs=2,
    cnn_epochs=1,
    lr_max_iter=50,
    learning_curve_sizes=(30, 300, 3000),
    interpolation_samples=8,
    transfer_per_pair=8,
    elbo_importance_samples=10,
    frechet_samples=1000,
    pure_bigan_epochs=2,
    style_probe_digits=1000,
    style_counterfactual_digits=200,
    style_test_per_class=4,
    flow_budget_seconds=4.0,
    flow_max_epochs=1.0,
    flow_max_steps=None,
    diffusion_pixel_max_steps=None,
    diffusion_latent_max_steps=None,
    xla=False,
    flow_jit_compile=False,
    flow_toy_steps=100,
    flow_train_codes=500,
    flow_transfer_per_pair=3,
    flow_frechet_samples=200,
    diffusion_pixel_seconds=8.0,
    diffusion_latent_seconds=4.0,
    diffusion_per_class=1,
    diffusion_samples=100,
    diffusion_move_steps=4,
)

SETTINGS = QUICK_SETTINGS if QUICK else FULL


def _user_cache_dir() -> Path:
    """The per-user cache folder of the series: ``$XDG_CACHE_HOME/generative-tutorials`` (``~/.cache/...``)."""
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local")
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Caches"
    else:
        xdg = os.environ.get("XDG_CACHE_HOME", "")
        base = Path(xdg) if os.path.isabs(xdg) else Path.home() / ".cache"  # the XDG rule: relative = unset
    return base / "generative-tutorials"


def _in_checkout() -> bool:
    """True when the package sits in a checkout of its repository (``make`` installs it editable)."""
    import sysconfig

    if not (REPO_DIR / "pyproject.toml").is_file():
        return False
    site_dirs = {sysconfig.get_paths()[key] for key in ("purelib", "platlib")}
    return not any(PACKAGE_DIR.is_relative_to(Path(d).resolve()) for d in site_dirs if d)


def artifacts_dir() -> Path:
    """Where trained models and caches live (created on first use).

    ``TUTORIAL_ARTIFACTS`` overrides it. In a checkout of the repository it is
    ``artifacts/`` beside the package (ignored by git), so notebooks, tests and
    ``make run`` share one cache from any working directory. A package installed
    from an archive (Colab, ``pip install``) sits in site-packages, no place for
    models and maybe read-only: then the per-user cache folder,
    ``$XDG_CACHE_HOME/generative-tutorials`` (``~/.cache/generative-tutorials``;
    ``~/Library/Caches/...`` on macOS, ``%LOCALAPPDATA%\\...`` on Windows).
    """
    override = os.environ.get("TUTORIAL_ARTIFACTS", "").strip()
    if override:
        path = Path(override).expanduser()
        where = f"TUTORIAL_ARTIFACTS={override!r}"
    else:
        path = REPO_DIR / "artifacts" if _in_checkout() else _user_cache_dir()
        where = f"the artifacts folder {str(path)!r}"
    if path.exists() and not path.is_dir():
        raise ValueError(f"{where} is a file, not a folder: set TUTORIAL_ARTIFACTS to a folder (created if missing)")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise OSError(err.errno, f"cannot create {where} ({err.strerror}): set TUTORIAL_ARTIFACTS to a writable folder") from err
    return path


def versions() -> dict[str, str]:
    """Versions of the libraries whose behaviour the results depend on."""
    import keras
    import matplotlib
    import numpy
    import sklearn
    import tensorflow

    return {
        "python": platform.python_version(),
        "tensorflow": tensorflow.__version__,
        "keras": keras.__version__,
        "keras backend": keras.backend.backend(),
        "numpy": numpy.__version__,
        "scikit-learn": sklearn.__version__,
        "matplotlib": matplotlib.__version__,
    }


#: The Keras backend the series runs on: its models train with TensorFlow itself (tf.data, tf.function,
#: GradientTape), so another backend would fail in the first training step.
KERAS_BACKEND = "tensorflow"


def _keras_config_file() -> Path:
    """The ``keras.json`` Keras reads: in ``$KERAS_HOME``, else ``~/.keras`` (``/tmp/.keras`` if home is read-only)."""
    folder = os.environ.get("KERAS_HOME")
    if folder is None:
        home = os.path.expanduser("~")
        folder = os.path.join(home if os.access(home, os.W_OK) else "/tmp", ".keras")
    return Path(folder).expanduser() / "keras.json"


def keras_backend() -> tuple[str, str]:
    """The backend Keras uses (or will use) in this process, and where that choice comes from.

    Decided as Keras decides, without importing it: Keras already imported,
    else ``KERAS_BACKEND`` (when not empty), else ``"backend"`` in ``keras.json``,
    else TensorFlow.
    """
    keras = sys.modules.get("keras")
    if keras is not None:
        try:
            return keras.config.backend(), "Keras, imported before helpers"
        except Exception:  # half-imported or broken: judge from the settings below
            pass
    env = os.environ.get("KERAS_BACKEND", "")
    if env:
        return env, f"KERAS_BACKEND={env!r}"
    path = _keras_config_file()
    try:
        chosen = json.loads(path.read_text()).get("backend")
    except (OSError, ValueError, AttributeError):
        chosen = None
    if isinstance(chosen, str) and chosen:
        return chosen, f'"backend": "{chosen}" in {path}'
    return KERAS_BACKEND, "Keras's default"


def check_keras_backend() -> None:
    """Refuse, at ``import helpers``, a Keras backend other than TensorFlow, saying how to switch.

    A ValueError naming the setting, as for a bad ``TUTORIAL_QUICK``; without it the
    series would fail much later, inside a training step.
    """
    backend, source = keras_backend()
    if backend == KERAS_BACKEND:
        return
    if source.startswith("Keras, imported"):
        fix = ("Keras was imported with that backend before helpers, and cannot switch in a running kernel: "
               "restart the kernel (Colab: Runtime > Restart session), run `%env KERAS_BACKEND=tensorflow` "
               "first, then this notebook")
    elif source.startswith("KERAS_BACKEND"):
        fix = ("set KERAS_BACKEND=tensorflow (or unset it) and restart the kernel: in a notebook, "
               "`%env KERAS_BACKEND=tensorflow` as the first cell of a fresh kernel; in a shell, "
               "`export KERAS_BACKEND=tensorflow` before starting Jupyter")
    else:
        fix = (f'set "backend": "tensorflow" in {_keras_config_file()}, or set KERAS_BACKEND=tensorflow '
               "(`%env KERAS_BACKEND=tensorflow` as the first cell), and restart the kernel")
    raise ValueError(
        f"This series needs Keras's {KERAS_BACKEND!r} backend, but Keras is set to {backend!r} ({source}). "
        f"Its models train with TensorFlow itself, so they would fail in a training step. To fix it, {fix}."
    )


def _seed(seed, *, name):
    """A seed Python, numpy and Keras all take: an integer in [0, 2**32) (numpy's integers too, as Python ints)."""
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"{name} must be an integer in [0, 2**32), e.g. 0, got {seed!r} ({type(seed).__name__}).")
    if not 0 <= seed < 2**32:
        raise ValueError(f"{name} must be an integer in [0, 2**32) (numpy's limit), got {ck.describe(int(seed))}.")
    return int(seed)  # Keras refuses np.int64


@checked(seed=ck.using(_seed))
def seed_everything(seed: int = 0) -> None:
    """Seed Python, numpy and the Keras backend in one call (one per model build)."""
    import keras

    keras.utils.set_random_seed(seed)


@checked(seed=ck.using(_seed), quiet=ck.flag())
def setup(seed: int = 0, *, quiet: bool = False) -> Settings:
    """Call once at the top of every notebook.

    Seeds every generator, sets matplotlib defaults for figures that read well
    on a projector and on nbviewer, and prints the mode and library versions so
    a reader can tell what produced the committed outputs.
    """
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import matplotlib as mpl

    seed_everything(seed)
    mpl.rcParams.update(
        {
            "figure.dpi": 80,
            "savefig.dpi": 80,
            "figure.figsize": (7.0, 4.0),
            "axes.grid": False,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "image.cmap": "gray_r",
            "font.size": 11,
            "animation.embed_limit": 20.0,
        }
    )
    if not quiet:
        line = ", ".join(f"{k} {v}" for k, v in versions().items())
        print(f"mode: {MODE} ({quick_setting_text()}), seed {seed}")
        print(line)
    return SETTINGS


def quick_setting_text() -> str:
    """What was set, for the banner: ``TUTORIAL_QUICK='yes'``, or that it was not set."""
    return "TUTORIAL_QUICK not set" if QUICK_SETTING is None else f"TUTORIAL_QUICK={QUICK_SETTING!r}"


def in_ci() -> bool:
    return _env_flag("CI")


__all__ = [
    "FULL",
    "KERAS_BACKEND",
    "MODE",
    "PACKAGE_DIR",
    "QUICK",
    "QUICK_SETTINGS",
    "REPO_DIR",
    "SETTINGS",
    "Settings",
    "artifacts_dir",
    "check_keras_backend",
    "in_ci",
    "keras_backend",
    "parse_flag",
    "quick_setting_text",
    "seed_everything",
    "setup",
    "versions",
]

if sys.version_info < (3, 11):  # pragma: no cover - guarded by pyproject too
    raise RuntimeError("The tutorial helpers need Python 3.11 or newer.")
