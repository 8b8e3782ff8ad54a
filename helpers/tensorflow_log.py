"""TensorFlow's C++ start-up log, kept out of notebook outputs (installed by ``helpers/__init__.py``).

Every notebook imports ``helpers`` first (its first code cell), so this is in place
before anything loads TensorFlow. Two things are needed, measured with TensorFlow
2.21 on an AVX-512 CPU (a fresh kernel running ``import tensorflow``):

- ``TF_CPP_MIN_LOG_LEVEL=2``, set before TensorFlow loads, hides TensorFlow's own
  INFO and WARNING lines (the CPU-feature banner, XLA's "service initialized"
  and "Compiled cluster" lines);
- it does not hide what TensorFlow's libraries log through absl while they load:
  absl's ``WARNING: All log messages before absl::InitializeLog() is called are
  written to STDERR`` and oneDNN's ``I0000 ... port.cc:153] oneDNN custom
  operations are on ...``, twice. C++ writes them to file descriptor 2, which
  Jupyter kernels forward into the cell's output. So the first ``import
  tensorflow`` runs with descriptor 2 sent to a temporary file; afterwards, the
  lines in the C++ log formats (:func:`is_log_line`) are dropped and anything
  else is passed on to ``sys.stderr``.

The full ``tensorflow`` wheel (Colab's; ``requirements.txt`` pins tensorflow-cpu) looks for CUDA
when it first lists its devices, not at import. On a machine without a GPU, TensorFlow 2.20 then
logs ``E... cuda_platform.cc:51] failed call to cuInit: INTERNAL: CUDA error: ... (303)``: an
ERROR line, which ``TF_CPP_MIN_LOG_LEVEL=2`` lets through, into the output of whichever cell
first runs an operation. So the filtered import also lists the physical devices
(:func:`find_devices`), and the line is dropped with the rest.

``TF_ENABLE_ONEDNN_OPTS=0`` would also silence oneDNN, but it changes the
arithmetic and the speed: the models must not depend on how quiet the log is.
tools/publishing.py fails on any such line left in a committed notebook.
"""

from __future__ import annotations

import contextlib
import importlib.abc
import importlib.machinery
import os
import re
import sys
import tempfile

#: A line that TensorFlow, XLA or absl log from C++ (or absl/TensorFlow from Python), whatever the CPU.
LOG_LINE = re.compile(
    r"""^\s*(?:
        [IWEF]\d{4}\s\d\d:\d\d:\d+\.\d+\s+\d+\s+\S+:\d+\]          # absl: I0000 00:00:1796114600.5  9612 port.cc:153]
      | \d{4}-\d\d-\d\d\s\d\d:\d\d:\d\d\.\d+:\s[IWEF]\s\S+:\d+\]      # older TensorFlow: 2024-01-30 22:44:42.4: I tensorflow/...:153]
      | WARNING:\sAll\slog\smessages\sbefore\sabsl::InitializeLog\(\)
      | (?:INFO|WARNING|ERROR|FATAL):(?:absl|tensorflow):              # Python absl / tf logging
      | To\senable\sthe\sfollowing\sinstructions:.*rebuild\sTensorFlow   # second line of the CPU-feature banner
      | TF-TRT\sWarning:
    )""",
    re.VERBOSE,
)


def is_log_line(line: str) -> bool:
    """True for a TensorFlow / XLA / absl log line (the formats in LOG_LINE)."""
    return bool(LOG_LINE.match(line))


@contextlib.contextmanager
def c_stderr_filtered():
    """Send file descriptor 2 to a temporary file meanwhile; then pass on its lines that are not log lines."""
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as capture:
        os.dup2(capture.fileno(), 2)
        try:
            yield
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            capture.seek(0)
            text = capture.read().decode("utf-8", errors="replace")
            kept = "".join(line for line in text.splitlines(keepends=True) if not is_log_line(line))
            if kept:
                sys.stderr.write(kept)


def find_devices(tensorflow_module) -> None:
    """Let TensorFlow look for its devices now (where a CUDA build logs its cuInit failure).

    Physical devices only: which devices are visible, and memory growth, can still be set
    afterwards, as TensorFlow requires (before the runtime's logical devices exist).
    """
    with contextlib.suppress(Exception):  # an odd build must not break the import over a log line
        tensorflow_module.config.list_physical_devices()


class _QuietLoader(importlib.abc.Loader):
    """The real loader of ``tensorflow``, run with descriptor 2 filtered."""

    def __init__(self, loader):
        self.loader = loader

    def create_module(self, spec):
        return self.loader.create_module(spec)

    def exec_module(self, module):
        # From here on the module answers to its real loader (importlib.resources & co ask it).
        module.__loader__ = self.loader
        if module.__spec__ is not None:
            module.__spec__.loader = self.loader
        with c_stderr_filtered():
            self.loader.exec_module(module)
            find_devices(module)


class QuietTensorFlowImport(importlib.abc.MetaPathFinder):
    """Finds ``tensorflow`` the usual way, once, and loads it with descriptor 2 filtered."""

    def find_spec(self, name, path=None, target=None):
        if name != "tensorflow":
            return None
        with contextlib.suppress(ValueError):
            sys.meta_path.remove(self)  # once: TensorFlow's submodules load as usual
        spec = importlib.machinery.PathFinder.find_spec(name, path)
        if spec is None or spec.loader is None:
            return None  # not installed: the usual ModuleNotFoundError follows
        spec.loader = _QuietLoader(spec.loader)
        return spec


def install() -> None:
    """Quiet TensorFlow's C++ log in this process, if TensorFlow has not been loaded yet.

    ``TF_CPP_MIN_LOG_LEVEL=0`` set by the user keeps the whole log, as TensorFlow documents.
    """
    if os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2") == "0":
        return
    if "tensorflow" in sys.modules or any(isinstance(f, QuietTensorFlowImport) for f in sys.meta_path):
        return
    sys.meta_path.insert(0, QuietTensorFlowImport())
