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

TensorFlow 2.20 also logs through absl without applying ``TF_CPP_MIN_LOG_LEVEL`` to it (2.21
does): XLA's first compilation, in whichever cell first trains, prints absl's "before
absl::InitializeLog()" warning and ``I0000 ... device_compiler.h:196] Compiled cluster using
XLA!``. So the import also gives absl the same threshold (:func:`quiet_absl`).

Older TensorFlow (2.18, the floor) logs XLA's start from a second copy of absl, inside
libtensorflow_cc, whose threshold cannot be reached. So in a Jupyter kernel, where Python's
own output does not go through file descriptor 2 (ipykernel sends it as messages), descriptor
2 stays filtered after the import too (:func:`filter_kernel_stderr`): a thread passes on every
line but the log lines.

``TF_ENABLE_ONEDNN_OPTS=0`` would also silence oneDNN, but it changes the
arithmetic and the speed: the models must not depend on how quiet the log is.
tools/publishing.py fails on any such line left in a committed notebook.
"""

from __future__ import annotations

import contextlib
import importlib.abc
import ctypes
import importlib.machinery
import os
import re
import select
import struct
import sys
import tempfile
import threading

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


#: absl's ``SetMinLogLevel(LogSeverityAtLeast)`` as TensorFlow's framework library exports it (the name
#: carries absl's release, e.g. ``lts_20250127``).
_SET_MIN_LOG_LEVEL = re.compile(rb"_ZN4absl\w*?14SetMinLogLevelENS0_18LogSeverityAtLeastE")


def _dynamic_symbols(path: str, pattern: re.Pattern) -> list[bytes]:
    """Names matching PATTERN in the dynamic symbol table of a 64-bit little-endian ELF library (Linux)."""
    with open(path, "rb") as fh:
        head = fh.read(64)
        if head[:6] != b"\x7fELF\x02\x01":
            return []
        (section_offset,) = struct.unpack_from("<Q", head, 0x28)
        entry_size, count = struct.unpack_from("<HH", head, 0x3A)
        fh.seek(section_offset)
        # (name, type, flags, addr, offset, size, link, info, align, entsize) per section
        sections = [struct.unpack_from("<IIQQQQIIQQ", fh.read(entry_size)) for _ in range(count)]
        for section in sections:
            if section[1] == 11:  # SHT_DYNSYM; its names are in section `link`
                names = sections[section[6]]
                fh.seek(names[4])
                return pattern.findall(fh.read(names[5]))
    return []


def quiet_absl(tensorflow_module) -> bool:
    """Give absl's own log TensorFlow's threshold (``TF_CPP_MIN_LOG_LEVEL``); True when it was set.

    absl's SetMinLogLevel takes the same numbers (0 info ... 3 fatal). It is found by
    name in TensorFlow's framework library and called through ctypes; on another
    platform, or without the library or the function, nothing changes.
    """
    try:
        level = min(max(int(os.environ.get("TF_CPP_MIN_LOG_LEVEL", "2")), 0), 3)
        library = os.path.join(os.path.dirname(tensorflow_module.__file__), "libtensorflow_framework.so.2")
        if not os.path.isfile(library):
            return False
        names = _dynamic_symbols(library, _SET_MIN_LOG_LEVEL)
        if not names:
            return False
        set_min_log_level = getattr(ctypes.CDLL(library), names[0].decode())
        set_min_log_level.argtypes, set_min_log_level.restype = [ctypes.c_int], None
        set_min_log_level(level)
        return True
    except Exception:  # an odd build must not break the import over a log line
        return False


def _in_kernel() -> bool:
    """True in a Jupyter kernel: sys.stderr is ipykernel's stream, so Python's tracebacks avoid descriptor 2."""
    return type(sys.stderr).__module__.startswith("ipykernel")


def _pump(source: int, target: int) -> None:
    """Copy lines from descriptor SOURCE to TARGET, leaving out log lines; a partial line waits 0.1 s at most."""
    pending = b""
    try:
        while True:
            ready, _, _ = select.select([source], [], [], 0.1)
            chunk = os.read(source, 65536) if ready else b""
            if ready and not chunk:
                break  # every writer closed
            pending += chunk
            *lines, pending = pending.split(b"\n")
            kept = b"".join(line + b"\n" for line in lines if not is_log_line(line.decode("utf-8", "replace")))
            if pending and not chunk:  # a prompt or progress text without a newline: do not hold it back
                kept, pending = kept + pending, b""
            if kept:
                os.write(target, kept)
    except Exception:  # never leave writers blocked on a pipe nobody reads
        with contextlib.suppress(OSError):
            os.dup2(target, 2)


def filter_kernel_stderr() -> bool:
    """In a Jupyter kernel, keep descriptor 2 filtered for good (a daemon thread); True if installed.

    Outside a kernel nothing changes: there Python itself writes to descriptor 2, and a
    traceback at exit must not wait on a thread.
    """
    if not _in_kernel() or getattr(filter_kernel_stderr, "installed", False):
        return False
    read_end, write_end = os.pipe()
    target = os.dup(2)  # where descriptor 2 went: ipykernel's own pipe to the notebook
    os.dup2(write_end, 2)
    os.close(write_end)
    threading.Thread(target=_pump, args=(read_end, target), name="tensorflow-log-filter", daemon=True).start()
    filter_kernel_stderr.installed = True
    return True


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
            quiet_absl(module)
            find_devices(module)
        with contextlib.suppress(Exception):  # an odd setup must not break the import over a log line
            filter_kernel_stderr()


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
