"""Off the beaten path (issue 19): Colab's and the lowest versions, Binder's memory, no data, another Keras backend.

- constraints/minimum.txt pins exactly pyproject.toml's floors; constraints/colab.txt holds Colab's versions,
  which pyproject.toml's ranges admit (else the chapter bootstrap would replace them in Colab);
- tools/compat_env.py: the interpreter it falls back to is announced, a step that replaces a pinned version
  is caught, a newer Colab freeze rewrites the pins;
- ``check_memory`` reads a container's limit (cgroup v2 ``memory.max``, v1 ``memory.limit_in_bytes``),
  here from fake cgroup files;
- Fashion-MNIST and MNIST with no network and no local copy: one DataError naming the ways out, no urllib
  traceback (the download fails as offline: the name lookup raises socket.gaierror), in a subprocess;
- ``KERAS_BACKEND=jax`` (or keras.json saying so): a ValueError at ``import helpers`` with the fix, in a subprocess;
- tools/run_notebooks' check mode measures the kernel's peak memory and fails a notebook on an error or a log line;
- binder/ holds the reader's pins of requirements.txt, not the test and browser stack; .ci/run runs both
  environments and still ends with ``make test``;
- binder/start and tools/run_notebooks start kernels with glibc's heap arenas capped (MALLOC_ARENA_MAX=2),
  and a kernel so started keeps to the cap (counted with glibc's malloc_stats), one without it does not.

These tests run in the main environment (make test) and in both compatibility environments.
"""

from __future__ import annotations

import json
import os
import platform
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import nbformat
import pytest

from conftest import REPO

if str(REPO) not in sys.path:  # tools/ is not an installed package
    sys.path.insert(0, str(REPO))

from helpers import config, data  # noqa: E402
from tools import compat_env, run_notebooks  # noqa: E402

COLAB = REPO / "constraints" / "colab.txt"
MINIMUM = REPO / "constraints" / "minimum.txt"
#: Colab's runtime (googlecolab/backend-info, August 2026) as issue 19 lists it.
COLAB_VERSIONS = {"tensorflow": "2.20.0", "keras": "3.13.2", "numpy": "2.1.3", "matplotlib": "3.10.0",
                  "ipywidgets": "7.7.1", "scikit-learn": "1.6.1", "scikit-image": "0.25.2", "scipy": "1.16.3",
                  "ipykernel": "6.17.1", "ipython": "7.34.0"}


def _project() -> dict:
    return tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]


def _floors() -> dict[str, str]:
    """``{name: floor}`` of pyproject.toml's dependencies and TensorFlow extras."""
    from packaging.requirements import Requirement

    project = _project()
    requirements = [Requirement(d) for d in project["dependencies"]]
    requirements += [Requirement(d) for extra in project["optional-dependencies"].values() for d in extra]
    floors = {}
    for req in requirements:
        lows = [s.version for s in req.specifier if s.operator == ">="]
        assert lows, f"{req}: no floor (>=) to test"
        floors[compat_env.normalized(req.name)] = lows[0]
    return floors


def _same_version(a: str, b: str) -> bool:
    from packaging.version import Version

    return Version(a) == Version(b)  # 2.0 == 2.0.0


# --------------------------------------------------------------------------- constraints files


def test_minimum_constraints_pin_every_floor_of_pyproject():
    floors, pinned = _floors(), compat_env.pins(MINIMUM)
    tensorflow_floor = floors.pop("tensorflow")
    assert _same_version(tensorflow_floor, floors["tensorflow-cpu"]), "the two TensorFlow extras share a floor"
    assert set(pinned) == set(floors), f"minimum.txt {sorted(pinned)} against pyproject {sorted(floors)}"
    wrong = {n: (pinned[n], floors[n]) for n in floors if not _same_version(pinned[n], floors[n])}
    assert not wrong, f"minimum.txt pin against pyproject floor: {wrong}"


def test_colab_constraints_hold_colabs_versions_and_pyproject_admits_them():
    from packaging.requirements import Requirement

    pinned = compat_env.pins(COLAB)
    assert {n: pinned.get(n) for n in COLAB_VERSIONS} == COLAB_VERSIONS
    assert "tensorflow-cpu" not in pinned, "Colab has the full tensorflow wheel"
    header = COLAB.read_text().split("\n\n")[0]
    assert "googlecolab/backend-info" in header and re.search(r"20\d\d-\d\d-\d\d", header)
    project = _project()
    for spec in project["dependencies"] + project["optional-dependencies"]["tensorflow"]:
        req = Requirement(spec)
        version = pinned[compat_env.normalized(req.name)]
        assert req.specifier.contains(version), f"{req} excludes Colab's {version}: the bootstrap would replace it"


def test_refresh_takes_a_newer_freeze(tmp_path):
    constraints = tmp_path / "colab.txt"
    constraints.write_text("# header\nnumpy==2.1.3\nscikit_learn==1.6.1\nvanished==1.0\n")
    freeze = tmp_path / "pip-freeze.txt"
    freeze.write_text("numpy==2.2.0\nscikit-learn==1.6.1\nother==3\n")
    changes = compat_env.refresh(constraints, freeze)
    assert constraints.read_text() == "# header\nnumpy==2.2.0\nscikit_learn==1.6.1\nvanished==1.0\n"
    assert changes == ["numpy 2.1.3 -> 2.2.0", "vanished is not in pip-freeze.txt: left at 1.0 (remove it?)"]


def test_a_step_that_replaces_a_pinned_version_is_caught(tmp_path, monkeypatch):
    env = compat_env.ENVIRONMENTS["colab"]
    before = {"numpy": "2.1.3", "keras": "3.13.2", "unpinned": "1"}
    assert compat_env.changed_pins(env, before, dict(before, unpinned="2")) == []
    assert compat_env.changed_pins(env, before, dict(before, numpy="2.4.6")) == ["numpy 2.1.3 -> 2.4.6"]


def test_a_missing_python_is_announced_and_replaced(monkeypatch):
    env = compat_env.Environment("colab", "3.99", "a Python that does not exist")
    python, note = compat_env.choose_python(env, None)
    assert compat_env._python_version(python) is not None
    assert note and "python3.99" in note and "not found" in note and "colab.txt" in note
    assert compat_env.choose_python(env, sys.executable) == (sys.executable, None)


def test_ci_runs_both_environments_then_make_test():
    script = (REPO / ".ci" / "run").read_text()
    commands = [line.strip() for line in script.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    assert commands[-1] == "make test", "make test stays the last step (its exit status is the run's)"
    for name in compat_env.ENVIRONMENTS:
        assert re.search(rf"tools[./]compat_env(\.py)? {name}\b", script), f"{name} environment not run in CI"
    assert "set -euo pipefail" in script  # a failing environment fails the run


# --------------------------------------------------------------------------- memory: the container's limit


def _fake_cgroups(tmp_path, monkeypatch, membership: str, files: dict[str, str]) -> None:
    root = tmp_path / "cgroup"
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    proc = tmp_path / "proc-self-cgroup"
    proc.write_text(membership)
    monkeypatch.setattr(data, "CGROUP_ROOT", root)
    monkeypatch.setattr(data, "PROC_CGROUP", proc)


def test_check_memory_reads_a_cgroup_v2_limit(tmp_path, monkeypatch):
    _fake_cgroups(tmp_path, monkeypatch, "0::/\n", {"memory.max": "2147483648\n"})  # Binder: 2 GiB
    assert data.container_memory_limit() == 2 ** 31
    assert data.memory_limit() == (2 ** 31, "this container's memory limit (cgroup)")
    data.check_memory(1.5e9, name="n", what="1.5 GB of samples")  # fits
    with pytest.raises(ValueError, match=r"^n: 3,000 samples would need 3\.0 GB, more than this container's "
                                         r"memory limit \(cgroup\) of 2\.1 GB; pass a smaller n\.$"):
        data.check_memory(3e9, name="n", what="3,000 samples")


def test_a_nested_group_takes_the_smallest_limit_on_the_way_up(tmp_path, monkeypatch):
    _fake_cgroups(tmp_path, monkeypatch, "0::/kubepods/pod1/jupyter\n", {
        "memory.max": "max\n",
        "kubepods/pod1/memory.max": "1073741824\n",
        "kubepods/pod1/jupyter/memory.max": "max\n",
    })
    assert data.container_memory_limit() == 2 ** 30
    with pytest.raises(ValueError, match="container's memory limit"):
        data.check_memory(1.2e9, name="k", what="the samples")


def test_check_memory_reads_a_cgroup_v1_limit(tmp_path, monkeypatch):
    _fake_cgroups(tmp_path, monkeypatch, "9:pids:/\n4:memory:/docker/abc\n0::/\n", {
        "memory/memory.limit_in_bytes": "9223372036854771712\n",  # v1's "no limit"
        "memory/docker/abc/memory.limit_in_bytes": "1500000000\n",
    })
    assert data.container_memory_limit() == 1_500_000_000
    with pytest.raises(ValueError, match=r"more than this container's memory limit \(cgroup\) of 1\.5 GB"):
        data.check_memory(2e9, name="n", what="the samples")


def test_a_container_seen_from_inside_has_its_limit_at_the_root(tmp_path, monkeypatch):
    """Without a cgroup namespace the membership names a path the container's mount does not have."""
    _fake_cgroups(tmp_path, monkeypatch, "0::/system.slice/docker-abc.scope\n", {"memory.max": "1000000000\n"})
    assert data.container_memory_limit() == 1_000_000_000


def test_no_limit_falls_back_to_the_machine(tmp_path, monkeypatch):
    _fake_cgroups(tmp_path, monkeypatch, "4:memory:/\n0::/\n", {
        "memory.max": "max\n", "memory/memory.limit_in_bytes": "9223372036854771712\n"})
    assert data.container_memory_limit() is None
    limit, whose = data.memory_limit()
    assert whose == "this machine's memory" and limit == data._physical_memory()
    with pytest.raises(ValueError, match="more than this machine's memory"):
        data.check_memory(limit * 2.0, name="n", what="twice the machine")


# --------------------------------------------------------------------------- data with no network


OFFLINE = """
import json, socket, traceback
from pathlib import Path

def offline(*args, **kwargs):  # what a name lookup does with no network
    raise socket.gaierror(-2, "Name or service not known")

socket.getaddrinfo = offline
from helpers import data
data.DEBIAN_FASHION_DIR = Path({debian!r})  # no Debian package either
found = {{}}
for name in ("load_fashion_mnist", "load_mnist"):
    try:
        getattr(data, name)()
    except Exception as err:
        found[name] = {{"type": type(err).__name__, "message": str(err), "cause": repr(err.__cause__),
                       "suppressed": err.__suppress_context__, "traceback": "".join(traceback.format_exception(err))}}
print("RESULT " + json.dumps(found))
"""


def test_no_network_and_no_copy_gives_one_clear_error(tmp_path):
    env = {k: v for k, v in os.environ.items()
           if k not in {data.MNIST_ENV, data.FASHION_ENV, "PYTHONPATH", "KERAS_BACKEND"}}
    env |= {"KERAS_HOME": str(tmp_path / "keras"), "HOME": str(tmp_path), "PYTHONPATH": str(REPO)}
    code = OFFLINE.format(debian=str(tmp_path / "no-debian-package"))
    proc = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    found = json.loads(proc.stdout.split("RESULT ", 1)[1])
    for name, ways in (("load_fashion_mnist", ["dataset-fashion-mnist", f"{data.FASHION_ENV}", "network"]),
                       ("load_mnist", [f"{data.MNIST_ENV}=", "network"])):
        err = found[name]
        assert err["type"] == "DataError", err
        assert "could not be downloaded (gaierror: [Errno -2] Name or service not known)" in err["message"]
        for way in ways:
            assert way in err["message"], (name, way, err["message"])
        # one error, not urllib's chain: no cause, no context, no frame outside helpers
        assert err["cause"] == "None" and err["suppressed"], err
        frames = re.findall(r'File "([^"]+)"', err["traceback"])
        assert frames and all("helpers" in f or f == "<string>" for f in frames), frames
        assert "During handling" not in err["traceback"] and "direct cause" not in err["traceback"]


def test_fashion_variable_is_read_before_the_download(tmp_path, monkeypatch):
    monkeypatch.setenv(data.FASHION_ENV, str(tmp_path / "empty"))
    (tmp_path / "empty").mkdir()
    with pytest.raises(data.DataError, match=f"dataset-fashion-mnist, or point {data.FASHION_ENV}"):
        data.load_fashion_mnist()


# --------------------------------------------------------------------------- another Keras backend


def _import_helpers(tmp_path, **variables) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in {"KERAS_BACKEND", "KERAS_HOME", "PYTHONPATH"}}
    env |= {"PYTHONPATH": str(REPO), "KERAS_HOME": str(tmp_path / "keras")} | variables
    code = "import sys, helpers; print('imported', 'keras' in sys.modules)"
    return subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=120)


def test_jax_backend_is_refused_at_import_with_the_fix(tmp_path):
    proc = _import_helpers(tmp_path, KERAS_BACKEND="jax")
    assert proc.returncode != 0
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith("ValueError: This series needs Keras's 'tensorflow' backend, but Keras is set to 'jax' "
                           "(KERAS_BACKEND='jax')"), proc.stderr[-2000:]
    assert "%env KERAS_BACKEND=tensorflow" in last and "restart the kernel" in last
    assert "site-packages/keras" not in proc.stderr and "jax" not in proc.stderr.split("ValueError")[0], \
        "refused before Keras loads (no frame of Keras, no attempt to import jax)"


def test_keras_json_choosing_jax_is_refused_too(tmp_path):
    (tmp_path / "keras").mkdir()
    (tmp_path / "keras" / "keras.json").write_text(json.dumps({"backend": "jax", "floatx": "float32"}))
    proc = _import_helpers(tmp_path)
    assert proc.returncode != 0
    assert f'"backend": "jax" in {tmp_path / "keras" / "keras.json"}' in proc.stderr
    assert 'set "backend": "tensorflow"' in proc.stderr
    assert _import_helpers(tmp_path, KERAS_BACKEND="tensorflow").returncode == 0  # the variable wins, as in Keras


@pytest.mark.parametrize("value", ["tensorflow", ""])
def test_tensorflow_backend_or_none_imports(tmp_path, value):
    proc = _import_helpers(tmp_path, KERAS_BACKEND=value)
    assert proc.returncode == 0 and proc.stdout.strip() == "imported False", proc.stderr[-2000:]


def test_keras_imported_before_with_another_backend_is_refused(monkeypatch):
    class FakeKeras:
        class config:
            @staticmethod
            def backend():
                return "torch"

    monkeypatch.setitem(sys.modules, "keras", FakeKeras)
    monkeypatch.delenv("KERAS_BACKEND", raising=False)
    assert config.keras_backend() == ("torch", "Keras, imported before helpers")
    with pytest.raises(ValueError, match=r"set to 'torch' \(Keras, imported before helpers\).*restart the kernel"):
        config.check_keras_backend()


# --------------------------------------------------------------------------- notebook check mode, memory


def _notebook(*sources: str) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(s) for s in sources]
    return nb


def test_check_mode_measures_the_kernels_peak_memory(tmp_path):
    nb = _notebook("import numpy as np\nblock = np.ones(400_000_000 // 8)\nprint(block.nbytes)", "del block")
    run = run_notebooks.run_notebook(nb, "memory.ipynb", tmp_path, timeout=120)
    assert run.ok, run.problems
    assert run.peak_bytes is not None and run.peak_bytes >= 400e6, run.peak_bytes
    assert run.peak_bytes < 2e9
    assert Path(run.kernel_python).name.startswith("python")
    small = run_notebooks.run_notebook(_notebook("x = 1"), "small.ipynb", tmp_path, timeout=120)
    assert small.peak_bytes < run.peak_bytes - 300e6  # a fresh kernel each


def test_check_mode_fails_a_notebook_on_an_error_or_a_log_line(tmp_path):
    failing = run_notebooks.run_notebook(_notebook("1 / 0", "print('not reached')"), "bad.ipynb", tmp_path, 120)
    assert not failing.ok and "ZeroDivisionError" in failing.problems[0] and failing.error is not None
    assert "\x1b" not in failing.problems[0], "a colour code in the report"
    line = ("2026-12-03 08:03:52.086171: E external/local_xla/xla/stream_executor/cuda/cuda_platform.cc:51] "
            "failed call to cuInit: INTERNAL: CUDA error: Failed call to cuInit: UNKNOWN ERROR (303)")
    noisy = run_notebooks.run_notebook(_notebook(f"import sys; print({line!r}, file=sys.stderr)"), "noisy.ipynb",
                                       tmp_path, 120)
    assert not noisy.ok and "cuInit" in noisy.problems[0] and noisy.error is None


def test_peak_rss_of_this_process():
    assert run_notebooks.peak_rss_bytes(os.getpid()) > 10e6
    assert run_notebooks.peak_rss_bytes(2 ** 22 + 7) is None  # no such process


# --------------------------------------------------------------------------- Binder


def _pins_of(path: Path) -> dict[str, str]:
    found = {}
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, version = re.split(r"~=|==", line)
            found[compat_env.normalized(name)] = version.strip()
    return found


def test_binder_image_holds_the_readers_pins_and_not_the_test_stack():
    binder, pins = _pins_of(REPO / "binder" / "requirements.txt"), _pins_of(REPO / "requirements.txt")
    assert {n: pins.get(n) for n in binder} == binder, "binder/requirements.txt must repeat requirements.txt's pins"
    needed = (set(_floors()) - {"tensorflow"}) & set(pins)  # what requirements.txt pins (tensorflow-cpu included)
    assert needed and needed <= set(binder), f"missing on Binder: {sorted(needed - set(binder))}"
    stack = {"pytest", "pytest-xdist", "nbmake", "playwright", "hypothesis", "nbstripout", "nbconvert",
             "jupyterlab-rise"}
    assert not stack & set(binder), f"test/browser/publishing tools in the Binder image: {stack & set(binder)}"
    assert (REPO / "binder" / "runtime.txt").read_text().strip() == "python-3.11"
    post = REPO / "binder" / "postBuild"
    assert os.access(post, os.X_OK) and "pip install --no-cache-dir -e ." in post.read_text()


# --------------------------------------------------------------------------- the kernel's heap arenas

_ARENAS_AFTER_THREADS = '''
import ctypes, os, tempfile, threading
libc = ctypes.CDLL("libc.so.6")
def work():  # a thread that allocates while others do: glibc may give it an arena of its own
    for _ in range(2000):
        blocks = [ctypes.create_string_buffer(4096) for _ in range(20)]
threads = [threading.Thread(target=work) for _ in range(12)]
[t.start() for t in threads]; [t.join() for t in threads]
with tempfile.TemporaryFile() as out:  # malloc_stats writes one "Arena n:" block per arena to stderr
    saved = os.dup(2); os.dup2(out.fileno(), 2); libc.malloc_stats(); os.dup2(saved, 2)
    out.seek(0); text = out.read().decode()
print(os.environ.get("MALLOC_ARENA_MAX"), sum(line.startswith("Arena ") for line in text.splitlines()))
'''


def _kernel_arenas(tmp_path, environment=None) -> tuple[str, int]:
    nb = _notebook(_ARENAS_AFTER_THREADS)
    run = run_notebooks.run_notebook(nb, "arenas.ipynb", tmp_path, timeout=120, environment=environment)
    assert run.ok, run.problems
    setting, count = nb.cells[0].outputs[0]["text"].split()
    return setting, int(count)


@pytest.mark.skipif(not sys.platform.startswith("linux") or platform.libc_ver()[0] != "glibc",
                    reason="the arena cap is glibc's")
def test_kernels_start_with_the_arena_cap_that_binder_start_sets(tmp_path, monkeypatch):
    monkeypatch.delenv("MALLOC_ARENA_MAX", raising=False)
    setting, capped = _kernel_arenas(tmp_path)
    assert setting == run_notebooks.KERNEL_ENVIRONMENT["MALLOC_ARENA_MAX"] == "2"
    assert capped <= 2
    setting, default = _kernel_arenas(tmp_path, environment={"MALLOC_ARENA_MAX": None})
    assert setting == "None" and default > capped, (default, capped)  # what the cap is for
    assert "MALLOC_ARENA_MAX" not in os.environ  # the runner's own environment is left as it was
    monkeypatch.setenv("MALLOC_ARENA_MAX", "3")  # the user's value wins
    assert _kernel_arenas(tmp_path)[0] == "3"


def test_binder_start_sets_the_same_cap_and_hands_over(tmp_path):
    start = REPO / "binder" / "start"
    assert os.access(start, os.X_OK)
    env = {k: v for k, v in os.environ.items() if k != "MALLOC_ARENA_MAX"}
    out = subprocess.run([str(start), sys.executable, "-c", "import os; print(os.environ['MALLOC_ARENA_MAX'])"],
                         env=env, capture_output=True, text=True, check=True).stdout.strip()
    assert out == run_notebooks.KERNEL_ENVIRONMENT["MALLOC_ARENA_MAX"]
    out = subprocess.run([str(start), sys.executable, "-c", "import os; print(os.environ['MALLOC_ARENA_MAX'])"],
                         env={**env, "MALLOC_ARENA_MAX": "5"}, capture_output=True, text=True, check=True).stdout
    assert out.strip() == "5"


def test_make_lab_gives_its_kernels_the_same_cap(monkeypatch):
    pytest.importorskip("jupyter_server")
    from traitlets.config import Config

    monkeypatch.setenv("MALLOC_ARENA_MAX", "unset below")  # so that the test's end restores the variable as it was
    monkeypatch.delenv("MALLOC_ARENA_MAX")  # (the config file sets it in this process's environment)
    source = (REPO / "tools" / "jupyter_server_config.py").read_text()
    exec(compile(source, "jupyter_server_config.py", "exec"), {"c": Config()})
    assert os.environ["MALLOC_ARENA_MAX"] == run_notebooks.KERNEL_ENVIRONMENT["MALLOC_ARENA_MAX"]
    monkeypatch.setenv("MALLOC_ARENA_MAX", "7")
    exec(compile(source, "jupyter_server_config.py", "exec"), {"c": Config()})
    assert os.environ["MALLOC_ARENA_MAX"] == "7"
