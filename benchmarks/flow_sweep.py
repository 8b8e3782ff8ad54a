"""The flow's measured choices (issue 20): variants of a base configuration, each trained for a wall-clock budget.

    flock /work/cpu.lock python -m benchmarks.flow_sweep --budget 60 --runs base alpha=0.05 "batch_size=64,learning_rate=1e-3"
    python -m benchmarks.flow_sweep --table      # the recorded runs, grouped by budget

Each run trains ``flow.train_flow`` on all 60,000 training digits for the budget
(the learning-rate schedule spans it, compilation included), then scores the
first 2,000 test digits (the same digits and the same dequantization noise
for every run, so the differences are paired). The float32 matmul rate is
measured before and after each run in the same process, and the CPU time the
*other* processes used meanwhile (from /proc/stat) is recorded, since the
machine is shared: a run is comparable with another only at a similar rate.
Every run is appended to ``benchmarks/flow_sweep.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
LOG = HERE / "flow_sweep.json"
EVAL_IMAGES = 2000


def _busy_jiffies() -> tuple[int, int] | None:
    """(busy, total) CPU jiffies of the whole machine since boot, or None off Linux."""
    try:
        fields = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    except (OSError, ValueError, IndexError):
        return None
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
    return sum(fields) - idle, sum(fields)


def _own_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def parse_overrides(text: str) -> dict:
    """``"alpha=0.05,batch_size=64"`` -> {"alpha": 0.05, "batch_size": 64}; values are JSON ("base": none)."""
    if text in ("base", ""):
        return {}
    out = {}
    for part in text.split(";" if ";" in text else ","):
        key, _, value = part.partition("=")
        if not _:
            raise SystemExit(f"override {part!r}: expected key=value")
        out[key.strip()] = json.loads(value.replace("True", "true").replace("False", "false"))
    return out


def watch_other_processes(train):
    """Run ``train()``; return its result and the cores other processes used meanwhile (None off Linux)."""
    jiffies, own, wall = _busy_jiffies(), _own_cpu_seconds(), time.perf_counter()
    result = train()
    wall = time.perf_counter() - wall
    own = _own_cpu_seconds() - own
    after = _busy_jiffies()
    if not (jiffies and after):
        return result, None
    return result, max(0.0, (after[0] - jiffies[0]) / os.sysconf("SC_CLK_TCK") - own) / wall


def machine_fields(before: float, others: float | None) -> dict:
    """What a run's numbers depend on besides its configuration: the matmul rate before and now, the others' load."""
    from benchmarks.__main__ import matmul_rate

    return {"matmul GFLOP/s before": before, "matmul GFLOP/s after": matmul_rate(),
            "other processes (cores)": others, "load average": os.getloadavg()[0],
            "measured": time.strftime("%Y-%m-%d %H:%M")}


def print_row(row: dict) -> None:
    print(json.dumps({k: (round(v, 4) if isinstance(v, float) else v) for k, v in row.items() if k not in ("base", "config")}),
          flush=True)


def run_one(data, base: dict, overrides: dict, budget: float, label: str) -> dict:
    from benchmarks.__main__ import matmul_rate
    from helpers import flow

    cfg = flow.training_config(**{**base, "max_steps": None, **overrides, "budget_seconds": budget})  # no step cap
    before = matmul_rate()
    (model, record), others = watch_other_processes(lambda: flow.train_flow(data, cfg))
    start = time.perf_counter()
    bpd = flow.bits_per_dim(model, data.x_test[:EVAL_IMAGES], seed=0)
    eval_seconds = time.perf_counter() - start
    row = {
        "label": label, "overrides": overrides, "base": base, "config": cfg, "budget_seconds": budget,
        "test bits/dim": bpd, "test images": EVAL_IMAGES, "steps": record["steps"],
        "epochs": record["epochs"], "train_seconds": record["train_seconds"],
        "first_step_seconds": record["first_step_seconds"], "parameters": record["parameters"],
        "train_flops_per_image": record["train_flops_per_image"],
        "training GFLOP/s": (flow.achieved_gflops(record, cfg["batch_size"]) if len(record["curve"]) > 1 else None),
        "images/s": record["images_seen"] / record["train_seconds"],
        "final train bits/dim": record["curve"][-1]["train bits/dim"],
        "eval seconds": eval_seconds, **machine_fields(before, others),
    }
    print_row(row)
    return row


def append(rows: list[dict], path: Path = LOG) -> None:
    """Add runs to a sweep's log (this one's, or another sweep's ``path``), written atomically."""
    from helpers import cache

    log = cache.load_json(path) or {"runs": []}
    log["runs"].extend(rows)
    cache.atomic_write(path, lambda p: p.write_text(json.dumps(log, indent=1)))


def runs_of(cfg: dict) -> list[dict]:
    """The logged runs of ``cfg``'s configuration (any budget), latest per budget, shortest budget first.

    The sweep runs without a step cap (it measures what time buys), so the cap is left out of the comparison.
    """
    from helpers import cache

    def architecture_and_schedule(c: dict) -> dict:
        return {**c, "budget_seconds": None, "max_steps": None}

    same = {}
    for run in (cache.load_json(LOG) or {"runs": []})["runs"]:
        if architecture_and_schedule(run["config"]) == architecture_and_schedule(cfg):
            same[run["budget_seconds"]] = run
    return [same[b] for b in sorted(same)]


#: the columns every sweep's table ends with (:func:`run_cells`)
RUN_HEADER = "steps | epochs | images/s | GFLOP/s | matmul before/after | others (cores) |"
RUN_ALIGN = "---:|---:|---:|---:|---|---:|"


def run_cells(r: dict) -> str:
    """The cells every sweep's table ends with: how far the run got, and on what machine."""
    gf, others = r["training GFLOP/s"], r["other processes (cores)"]
    return (f"{r['steps']} | {r['epochs']:.2f} | {r['images/s']:.0f} | {'?' if gf is None else f'{gf:.1f}'} | "
            f"{r['matmul GFLOP/s before']:.0f}/{r['matmul GFLOP/s after']:.0f} | "
            f"{'?' if others is None else f'{others:.2f}'} |")


def table(runs: list[dict]) -> str:
    lines = [f"| budget (s) | label | bits/dim | {RUN_HEADER}", f"|---:|---|---:|{RUN_ALIGN}"]
    for r in sorted(runs, key=lambda r: (r["budget_seconds"], r["test bits/dim"])):
        lines.append(f"| {r['budget_seconds']:.0f} | {r['label']} | {r['test bits/dim']:.3f} | {run_cells(r)}")
    return "\n".join(lines)


def parse_arguments(argv: list[str] | None, prog: str, description: str, budget: float, example: str):
    """A sweep's command line (this one's and benchmarks.diffusion_sweep's), with TensorFlow's log quiet."""
    parser = argparse.ArgumentParser(prog=prog, description=description)
    parser.add_argument("--budget", type=float, default=budget, help="training seconds per run")
    parser.add_argument("--base", default="base", help=f"overrides every run starts from, e.g. {example}")
    parser.add_argument("--runs", nargs="*", default=[], help="variants: 'base' or key=value[,key=value]")
    parser.add_argument("--table", action="store_true", help="print the recorded runs")
    args = parser.parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    sys.path.insert(0, str(HERE.parent))
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_arguments(argv, "python -m benchmarks.flow_sweep", __doc__.splitlines()[0], 60.0, "alpha=0.05")
    from helpers import cache, config
    from helpers.data import load_mnist

    if args.table:
        print(table((cache.load_json(LOG) or {"runs": []})["runs"]))
        return 0
    if config.MODE != "full":
        raise SystemExit("the sweep measures full-mode training; unset TUTORIAL_QUICK")
    data = load_mnist()
    base = parse_overrides(args.base)
    for text in args.runs:
        label = text if not base else f"{args.base} + {text}"
        append([run_one(data, base, parse_overrides(text), args.budget, label)])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
