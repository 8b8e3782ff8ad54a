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
import re
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
    for name in ("TF_CPP_MIN_LOG_LEVEL", "TF_ENABLE_ONEDNN_OPTS", "PYTEST_CURRENT_TEST"):
        monkeypatch.delenv(name, raising=False)  # (ipykernel forwards descriptor 2 only outside pytest)
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


NEWLINE = "\n"
CUINIT = ("2026-12-03 08:03:52.086171: E external/local_xla/xla/stream_executor/cuda/cuda_platform.cc:51] "
          "failed call to cuInit: INTERNAL: CUDA error: Failed call to cuInit: UNKNOWN ERROR (303)")


def test_a_log_line_written_when_devices_are_first_listed_is_dropped(tmp_path):
    """A stand-in ``tensorflow`` that logs as the full wheel does on a machine without a GPU:
    nothing at import, the cuInit line when its devices are first listed (TensorFlow 2.20)."""
    fake = tmp_path / "fake" / "tensorflow"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text(
        "import os\n"
        "class config:\n"
        "    listed = False\n"
        "    @staticmethod\n"
        "    def list_physical_devices(kind=None):\n"
        "        if not config.listed:\n"
        f"            os.write(2, ({CUINIT!r} + '\\n').encode())\n"
        "            config.listed = True\n"
        "        return ['CPU:0']\n")
    env = _env_as_make_run() | {"PYTHONPATH": f"{tmp_path / 'fake'}{os.pathsep}{REPO}"}
    run = "import tensorflow; tensorflow.config.list_physical_devices(); print('ran')"
    control = subprocess.run([sys.executable, "-c", run], env=env, cwd=tmp_path, capture_output=True, text=True,
                             timeout=120)
    assert control.stdout.strip() == "ran" and CUINIT in control.stderr  # the stand-in does log
    quiet = subprocess.run([sys.executable, "-c", "import helpers; " + run], env=env, cwd=tmp_path,
                           capture_output=True, text=True, timeout=120)
    assert quiet.stdout.strip() == "ran", quiet.stderr
    assert _log_lines(quiet.stderr) == [], quiet.stderr


def test_first_operations_after_import_log_nothing():
    """The real TensorFlow, in a script: listing devices, a first operation and a first XLA compilation after
    ``import helpers`` print no log line (the XLA lines: TensorFlow 2.20 and later, see below).

    With Colab's TensorFlow 2.20 (tools/compat_env.py colab) the control prints the full wheel's
    "failed call to cuInit" (on a machine without a GPU) and XLA's "Compiled cluster using XLA!"
    through absl: there the test must have seen both. TensorFlow 2.18 logs XLA's start from an absl
    that only the kernel's filter reaches (test_a_fresh_kernel_shows_no_tensorflow_log covers it).
    """
    import tensorflow as tf

    xla_quiet_in_scripts = tuple(int(p) for p in tf.__version__.split(".")[:2]) >= (2, 20)
    ops = ("tf.config.list_physical_devices(); print(float(tf.constant(1.0) + 1)); "
           "print(tf.function(lambda x: x * 2 + 1, jit_compile=True)(tf.constant([1.0])).numpy())")
    control = _log_lines(_stderr_of(f"import tensorflow as tf; {ops}"))
    left = _log_lines(_stderr_of(f"import helpers; import tensorflow as tf; {ops}"))
    if not xla_quiet_in_scripts:
        left = [line for line in left if not re.search(r"absl::InitializeLog|service\.cc|device_compiler", line)]
    assert left == [], f"log lines left (the control printed {len(control)}): {left}"
    if os.environ.get("COMPAT_ENVIRONMENT") == "colab":
        assert any("Compiled cluster using XLA" in line for line in control), control
        if not os.path.exists("/dev/nvidia0"):  # no GPU here
            assert any("failed call to cuInit" in line for line in control), control
    print(f"import tensorflow + first operations printed {len(control)} log lines: {control}")


def test_absl_threshold_is_found_in_tensorflows_library():
    """The symbol quiet_absl calls is in this TensorFlow's framework library (Linux builds), and setting it works."""
    import tensorflow as tf

    library = os.path.join(os.path.dirname(tf.__file__), "libtensorflow_framework.so.2")
    if not os.path.isfile(library):
        pytest.skip("no libtensorflow_framework.so.2 (not a Linux build)")
    names = tensorflow_log._dynamic_symbols(library, tensorflow_log._SET_MIN_LOG_LEVEL)
    assert len(names) == 1 and names[0].startswith(b"_ZN4absl"), names
    assert tensorflow_log.quiet_absl(tf)
    assert tensorflow_log._dynamic_symbols(__file__, tensorflow_log._SET_MIN_LOG_LEVEL) == []  # not ELF


def test_in_a_kernel_descriptor_2_stays_filtered_after_the_import(tmp_path, monkeypatch):
    """What C++ writes to descriptor 2 later (XLA's start on TensorFlow 2.18) stays out; other lines get through."""
    for name in ("TF_CPP_MIN_LOG_LEVEL", "TF_ENABLE_ONEDNN_OPTS", "PYTEST_CURRENT_TEST"):
        monkeypatch.delenv(name, raising=False)  # (ipykernel forwards descriptor 2 only outside pytest)
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell("import helpers, os, time\nimport tensorflow as tf"),
        nbformat.v4.new_code_cell(f"os.write(2, {LOG_SAMPLE.encode()!r} + b'kept from C\\n')\n"
                                  f"os.write(2, {(CUINIT + NEWLINE).encode()!r})\n"
                                  "os.write(2, b'a prompt without newline')\ntime.sleep(0.5)"),
    ]
    NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    text = "".join(out.get("text", "") for cell in nb.cells for out in cell.outputs if out.output_type == "stream")
    assert "kept from C" in text and "a prompt without newline" in text, text
    assert _log_lines(text) == [], text
