"""helpers.tensorflow_log: TensorFlow's C++ start-up log stays out of notebook outputs.

What TensorFlow prints depends on the CPU and the build, so each end-to-end test
first records what a plain ``import tensorflow`` prints here (the control), then
checks that importing ``helpers`` first leaves no log line, in a subprocess and in
a fresh Jupyter kernel as ``make run`` starts one. On this machine (TensorFlow
2.21, AVX-512) the control shows absl's "before absl::InitializeLog()" warning and
oneDNN's "custom operations are on" line, twice, and the CPU-feature banner.
"""

from __future__ import annotations

import os
import subprocess
import sys

import nbformat
import pytest
from nbclient import NotebookClient

from conftest import REPO
from helpers import tensorflow_log

LOG_SAMPLE = "I0000 00:00:1796114600.544766    9612 port.cc:153] oneDNN custom operations are on.\n"


def _env_as_make_run() -> dict:
    """The environment of a kernel that make run starts: no TF_CPP_MIN_LOG_LEVEL set beforehand."""
    env = {k: v for k, v in os.environ.items() if k not in {"TF_CPP_MIN_LOG_LEVEL", "TF_ENABLE_ONEDNN_OPTS"}}
    return env


def _stderr_of(code: str) -> str:
    proc = subprocess.run([sys.executable, "-c", code], env=_env_as_make_run(), cwd=REPO,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    return proc.stderr


def _log_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if tensorflow_log.is_log_line(line)]


def test_filter_drops_log_lines_and_passes_the_rest(capfd):
    with tensorflow_log.c_stderr_filtered():
        os.write(2, LOG_SAMPLE.encode() + b"a real problem, kept\n")
        os.write(2, b"WARNING: All log messages before absl::InitializeLog() is called are written to STDERR\n")
    err = capfd.readouterr().err
    assert err == "a real problem, kept\n"
    # descriptor 2 is back where it was
    os.write(2, b"after\n")
    assert capfd.readouterr().err == "after\n"


def test_filter_restores_stderr_when_the_import_fails(capfd):
    with pytest.raises(ZeroDivisionError):
        with tensorflow_log.c_stderr_filtered():
            os.write(2, b"said before failing\n")
            1 / 0
    os.write(2, b"after\n")
    assert capfd.readouterr().err == "said before failing\nafter\n"


def test_importing_helpers_first_silences_tensorflow_in_a_subprocess():
    control = _log_lines(_stderr_of("import tensorflow"))
    quiet = _stderr_of("import helpers, tensorflow, keras; "
                       "import importlib.resources as r; assert r.files('tensorflow').is_dir()")
    assert _log_lines(quiet) == [], f"log lines left (the control printed {len(control)}): {quiet}"
    print(f"plain import tensorflow printed {len(control)} log lines: {control}")


def test_user_can_keep_the_log():
    code = "import os; os.environ['TF_CPP_MIN_LOG_LEVEL'] = '0'; import helpers, sys; " \
           "from helpers import tensorflow_log as t; print(any(isinstance(f, t.QuietTensorFlowImport) for f in sys.meta_path))"
    proc = subprocess.run([sys.executable, "-c", code], env=_env_as_make_run(), cwd=REPO,
                          capture_output=True, text=True, timeout=120)
    assert proc.stdout.strip() == "False", proc.stderr


def test_a_fresh_kernel_shows_no_tensorflow_log(tmp_path, monkeypatch):
    """As make run executes a notebook: a fresh kernel whose first cell imports helpers (the bootstrap)."""
    for name in ("TF_CPP_MIN_LOG_LEVEL", "TF_ENABLE_ONEDNN_OPTS"):
        monkeypatch.delenv(name, raising=False)
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell("try: import helpers\nexcept ModuleNotFoundError: raise\n\nimport tensorflow as tf"),
        nbformat.v4.new_code_cell("import keras, numpy as np\n"
                                  "m = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)])\n"
                                  "m.compile('adam', 'mse', jit_compile=True)\n"
                                  "m.fit(np.zeros((8, 4)), np.zeros((8, 2)), verbose=0); print('trained')"),
    ]
    NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    outputs = [out for cell in nb.cells for out in cell.outputs]
    text = "".join(out.get("text", "") for out in outputs if out.output_type == "stream")
    assert "trained" in text
    assert not any(out.output_type == "error" for out in outputs)
    assert _log_lines(text) == [], text
