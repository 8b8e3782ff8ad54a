"""Execute every numbered notebook in full mode, in place, then clean it; or check them without writing.

``make run`` calls this. Each notebook runs top to bottom in a fresh kernel
with ``TUTORIAL_QUICK`` unset; outputs are kept (nbviewer shows them) and
volatile metadata (execution timestamps, saved widget state, cell ids) is
stripped by nbstripout. Wall times and each kernel's peak memory (its resident
set, ``VmHWM`` in ``/proc``) go to ``artifacts/run_times-full.json`` for the
benchmark table. Afterwards the table of contents (``notebooks/00_index.ipynb``)
and the README's notebook table are regenerated from the notebooks' title cells
(``tools.publishing``); the index itself is not executed.

    python -m tools.run_notebooks            # all notebooks
    python -m tools.run_notebooks 03 05      # only those whose names start so
    python -m tools.run_notebooks --check --quick [--json FILE]

``--check`` runs each notebook in a fresh kernel from a temporary folder and
writes nothing back: a notebook fails on an error or on a TensorFlow/CUDA log
line in its outputs, and the exit status is 1 when any failed. The
compatibility environments run it (tools/compat_env.py), and so does the
benchmark's memory section.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from tools import publishing, repo

REPO = repo.REPO
NOTEBOOKS = repo.NOTEBOOK_DIR


# Terminal colour codes in a traceback's last line (IPython colours it): not for a table or a log
_ANSI = re.compile(r"\x1b\[[0-9;]*m")

# The environment a kernel starts with, as binder/start sets it for a Binder session (a value already
# set wins): glibc's heap arenas capped at two, since a kernel's threads otherwise each keep freed
# memory in an arena of their own (binder/start says what it measured).
KERNEL_ENVIRONMENT = {"MALLOC_ARENA_MAX": "2"}


@contextlib.contextmanager
def kernel_environment(changes: dict[str, str | None]):
    """Set (or, for None, remove) these variables while a kernel starts; a kernel inherits the environment."""
    saved = {name: os.environ.get(name) for name in changes}
    for name, value in changes.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _default_environment() -> dict[str, str | None]:
    return {name: os.environ.get(name, value) for name, value in KERNEL_ENVIRONMENT.items()}


def numbered_notebooks(prefixes: list[str] | None = None) -> list[Path]:
    """The chapters (01_..., not the generated 00_index), optionally only those starting with PREFIXES."""
    paths = repo.content_notebooks(NOTEBOOKS)
    if prefixes:
        paths = [p for p in paths if any(p.name.startswith(x) for x in prefixes)]
    return paths


def clean(path: Path) -> None:
    """Strip volatile metadata but keep outputs (the standard tool, nbstripout).

    The flags are the ones tests/test_publishing.py verifies committed notebooks with.
    """
    subprocess.run(
        [sys.executable, "-m", "nbstripout", *publishing.NBSTRIPOUT_FLAGS, str(path)],
        check=True, stdin=subprocess.DEVNULL,
    )


def peak_rss_bytes(pid: int) -> int | None:
    """The peak resident set of process PID so far (``VmHWM`` in /proc/PID/status), bytes; None without /proc."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024  # the kernel reports kB (KiB)
    return None


def _kernel_pid(km) -> int | None:
    """The kernel's process id: jupyter_client 7+ keeps it in the provisioner, older ones in km.kernel."""
    provisioner = getattr(km, "provisioner", None)
    pid = getattr(provisioner, "pid", None) if provisioner is not None else None
    if pid is None:
        pid = getattr(getattr(km, "kernel", None), "pid", None)
    return pid


@dataclass
class Run:
    """One notebook executed: wall time, the kernel's peak memory, what went wrong (nothing, when it passed)."""

    name: str
    seconds: float
    peak_bytes: int | None
    problems: list[str] = field(default_factory=list)
    kernel_python: str | None = None
    error: CellExecutionError | None = None

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def peak_gb(self) -> float | None:
        return None if self.peak_bytes is None else self.peak_bytes / 1e9


def run_notebook(nb: nbformat.NotebookNode, name: str, cwd: Path, timeout: int = 3600,
                 environment: dict[str, str | None] | None = None) -> Run:
    """Execute NB (in place) in a fresh kernel started in CWD; its time, the kernel's peak memory, any error.

    The kernel starts with ``environment`` (default: :data:`KERNEL_ENVIRONMENT`, where not already set).
    """
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3", resources={"metadata": {"path": str(cwd)}})
    problems, peak, kernel_python, error = [], None, None, None
    start = time.perf_counter()
    with kernel_environment(_default_environment() if environment is None else environment), \
            client.setup_kernel():
        pid = _kernel_pid(client.km)
        try:
            client.execute(cleanup_kc=False)  # the kernel stays up until its peak is read
        except CellExecutionError as err:
            error = err
            problems.append(f"{name}: {_ANSI.sub('', str(err).strip().splitlines()[-1])}")
        finally:
            seconds = time.perf_counter() - start
            if pid is not None:
                peak = peak_rss_bytes(pid)
                try:
                    kernel_python = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")[0].decode()
                except OSError:
                    pass
    problems += [f"{name} cell {index}: TensorFlow/CUDA log line in the output: {line[:160]}"
                 for index, line in publishing.log_lines(nb)]
    return Run(name, seconds, peak, problems, kernel_python, error)


def execute(path: Path, timeout: int = 3600, record_time: bool = True) -> Run:
    """Run the notebook at PATH in place (full outputs kept, then cleaned); what make run records.

    ``record_time`` False keeps the running time recorded before: a re-run of some chapters on
    models cached by an earlier make run is faster than a reader's first run, which the index quotes.
    """
    nb = nbformat.read(path, as_version=4)
    run = run_notebook(nb, path.name, path.parent, timeout)
    if run.error is not None:
        raise run.error  # as before: make run stops, the notebook is not written
    # the table of contents quotes it (tools.publishing): measured here, in full mode
    if record_time or "tutorial" not in nb.metadata:
        nb.metadata["tutorial"] = {"run_seconds": round(run.seconds, 1), "measured": time.strftime("%Y-%m-%d")}
    nbformat.write(nb, path)
    clean(path)
    return run


def check(paths: list[Path], *, quick: bool, timeout: int = 1800,
          environment: dict[str, str | None] | None = None) -> list[Run]:
    """Run each notebook in a fresh kernel from a temporary folder, writing nothing back (mode set for the kernels).

    ``quick`` sets ``TUTORIAL_QUICK=1`` for the kernels (unset: full mode). Models go
    where ``TUTORIAL_ARTIFACTS`` says, as in any run. ``environment`` as in :func:`run_notebook`.
    """
    runs = []
    with kernel_environment({"TUTORIAL_QUICK": "1" if quick else None}):
        for path in paths:
            print(f"running {path.name} ({'quick' if quick else 'full'} mode) ...", flush=True)
            with tempfile.TemporaryDirectory(prefix="notebook-check-") as folder:
                run = run_notebook(nbformat.read(path, as_version=4), path.name, Path(folder), timeout, environment)
            runs.append(run)
            peak = "?" if run.peak_gb is None else f"{run.peak_gb:.2f} GB"
            print(f"  {'ok' if run.ok else 'FAILED'}: {run.seconds:.1f} s, kernel peak memory {peak}", flush=True)
            for problem in run.problems:
                print(f"  {problem}", flush=True)
            if run.error is not None:  # the cell, its code and the traceback, for the CI log
                print(str(run.error)[-4000:], flush=True)
    return runs


def matmul_rate() -> float | None:
    """The machine's float32 matmul rate (GFLOP/s), measured in a separate process so this one stays light.

    A time means little without the machine's speed (machines of one kind differ up to 3x), so
    ``make run`` records the rate before and after the series beside its times. None if it failed.
    """
    probe = "from benchmarks.__main__ import matmul_rate; print(matmul_rate())"
    try:
        done = subprocess.run([sys.executable, "-c", probe], cwd=REPO, capture_output=True, text=True, timeout=600)
        return float(done.stdout.split()[-1])
    except subprocess.TimeoutExpired:
        print("  warning: the matmul rate was not measured (no answer within 600 s)", flush=True)
    except (IndexError, ValueError):
        print(f"  warning: the matmul rate was not measured: {done.stderr.strip()[-300:]}", flush=True)
    return None


def as_record(runs: list[Run]) -> dict:
    """Runs as JSON: per notebook seconds, peak memory (bytes), problems, and the kernel's interpreter."""
    return {r.name: {"seconds": r.seconds, "peak_bytes": r.peak_bytes, "problems": r.problems,
                     "kernel_python": r.kernel_python} for r in runs}


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.run_notebooks", description=__doc__.splitlines()[0])
    parser.add_argument("prefixes", nargs="*", help="only the notebooks whose names start so (e.g. 03 05)")
    parser.add_argument("--check", action="store_true", help="run from a temporary folder, write nothing back")
    parser.add_argument("--quick", action="store_true", help="with --check: quick mode (TUTORIAL_QUICK=1)")
    parser.add_argument("--json", type=Path, help="with --check: write the runs (time, peak memory) here")
    parser.add_argument("--record-times", action="store_true",
                        help="with prefixes: record these runs' times in the notebooks (by default a partial run, "
                             "usually on cached models, keeps the times of the last whole make run)")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(REPO))
    if args.check:
        paths = numbered_notebooks(args.prefixes or None)
        if not paths:
            print("no notebooks matched", file=sys.stderr)
            return 1
        total_start = time.perf_counter()
        runs = check(paths, quick=args.quick)
        total = time.perf_counter() - total_start
        failed = [r.name for r in runs if not r.ok]
        peaks = [r.peak_gb for r in runs if r.peak_gb is not None]
        print(f"{len(runs) - len(failed)} of {len(runs)} notebooks passed in {total:.1f} s"
              + (f", largest kernel peak {max(peaks):.2f} GB" if peaks else "")
              + (f"; failed: {', '.join(failed)}" if failed else ""))
        if args.json:
            args.json.write_text(json.dumps({"mode": "quick" if args.quick else "full", "total_seconds": total,
                                             "python": sys.version.split()[0], "notebooks": as_record(runs)},
                                            indent=2))
        return 1 if failed else 0

    os.environ.pop("TUTORIAL_QUICK", None)  # full mode: the committed outputs
    from helpers import cache

    times, turns, peaks = {}, {}, {}
    rate_before = None if args.prefixes else matmul_rate()
    total_start = time.perf_counter()
    for path in numbered_notebooks(args.prefixes or None):
        print(f"running {path.name} ...", flush=True)
        turn_start = time.perf_counter()
        run = execute(path, record_time=args.record_times or not args.prefixes)
        times[path.name], peaks[path.name] = run.seconds, run.peak_bytes
        size_mb = path.stat().st_size / 1e6
        peak = "?" if run.peak_gb is None else f"{run.peak_gb:.2f} GB"
        print(f"  {run.seconds:.1f} s, {size_mb:.2f} MB, kernel peak memory {peak}", flush=True)
        for problem in run.problems + publishing.notebook_problems(path):
            print(f"  warning: {problem}", flush=True)
        # the notebook's whole share of the make run: its kernel's run plus writing, cleaning and checking it
        turns[path.name] = time.perf_counter() - turn_start
    total = time.perf_counter() - total_start
    print(f"all notebooks: {total:.1f} s")
    if not args.prefixes:
        rates = [rate_before, matmul_rate()]
        print("matmul rate before/after: " + "/".join("?" if r is None else f"{r:.0f}" for r in rates) + " GFLOP/s")
        cache.save_json(
            cache.artifact_path("run_times", ".json", mode="full"),
            {"notebooks": times, "turn_seconds": turns, "peak_bytes": peaks, "total_seconds": total,
             "measured": time.strftime("%Y-%m-%d"), "matmul_gflops": rates},
        )
    changed = publishing.write_all()
    if changed:
        print("regenerated " + ", ".join(changed))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
