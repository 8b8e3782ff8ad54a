"""The pixel diffusion model's measured choices (issue 21): variants of its configuration, each trained for a budget.

    flock /work/cpu.lock python -m benchmarks.diffusion_sweep --budget 120 --runs base "learning_rate=2e-3"
    python -m benchmarks.diffusion_sweep --table      # the recorded runs, grouped by budget

Each run trains ``diffusion.train_diffusion`` on all 60,000 training digits for
the budget (the learning-rate schedule spans it, compilation included), then
draws 2,000 samples with 20 DDIM steps (the same noises for every run) and
scores them with the series' CNN judge against the first 2,000 test digits:
the Frechet distance in its features and the share of confident digits. As in
``benchmarks.flow_sweep``, the matmul rate is measured before and after each
run and the CPU time other processes used meanwhile is recorded. Every run is
appended to ``benchmarks/diffusion_sweep.json``.
"""

from __future__ import annotations

import time
from pathlib import Path

from benchmarks.flow_sweep import (RUN_ALIGN, RUN_HEADER, append, machine_fields, parse_arguments, parse_overrides,
                                   print_row, run_cells, watch_other_processes)

HERE = Path(__file__).resolve().parent
LOG = HERE / "diffusion_sweep.json"
EVAL_IMAGES = 2000
SAMPLE_STEPS = 20


def run_one(data, judge, real_features, base: dict, overrides: dict, budget: float, label: str) -> dict:
    from benchmarks.__main__ import matmul_rate
    from helpers import diffusion

    cfg = diffusion.pixel_config(**{**base, "max_steps": None, **overrides, "budget_seconds": budget,
                                    "snapshot_seconds": []})  # a sweep measures what time buys: no step cap
    before = matmul_rate()
    net = diffusion.build_unet(cfg["widths"], cfg["patch"], cfg["embedding"], cfg["blocks"])
    (net, record, _), others = watch_other_processes(
        lambda: diffusion.train_diffusion(data.x_train[: cfg["train_images"]], cfg, net, pixel=True))
    model = diffusion.PixelDiffusion(net, SAMPLE_STEPS, parameterisation=cfg["parameterisation"])
    start = time.perf_counter()
    quality = diffusion.sample_quality(model, judge, real_features, EVAL_IMAGES, seed=0)
    eval_seconds = time.perf_counter() - start
    flops = diffusion.forward_flops(net)
    rate = record["images_seen"] / record["train_seconds"]
    row = {
        "label": label, "overrides": overrides, "base": base, "config": cfg, "budget_seconds": budget,
        "frechet": quality["frechet"], "confident": quality["confident"], "samples": EVAL_IMAGES,
        "sample steps": SAMPLE_STEPS, "steps": record["steps"],
        "epochs": record["images_seen"] / record["train_images"], "train_seconds": record["train_seconds"],
        "parameters": record["parameters"], "forward_flops": flops, "images/s": rate,
        "training GFLOP/s": 3 * flops * rate / 1e9, "final loss": record["history"]["loss"][-1],
        "eval seconds": eval_seconds, **machine_fields(before, others),
    }
    print_row(row)
    return row


def table(runs: list[dict]) -> str:
    lines = [f"| budget (s) | label | FD (20 steps) | confident | {RUN_HEADER}", f"|---:|---|---:|---:|{RUN_ALIGN}"]
    for r in sorted(runs, key=lambda r: (r["budget_seconds"], r["frechet"])):
        lines.append(f"| {r['budget_seconds']:.0f} | {r['label']} | {r['frechet']:.1f} | {r['confident']:.2f} | "
                     f"{run_cells(r)}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = parse_arguments(argv, "python -m benchmarks.diffusion_sweep", __doc__.splitlines()[0], 120.0,
                           "batch_size=64")
    from helpers import cache, config, judges
    from helpers.data import load_mnist

    if args.table:
        print(table((cache.load_json(LOG) or {"runs": []})["runs"]))
        return 0
    if config.MODE != "full":
        raise SystemExit("the sweep measures full-mode training; unset TUTORIAL_QUICK")
    data = load_mnist()
    judge, _ = judges.cnn_judge(data)
    real_features = judge.features(data.x_test[:EVAL_IMAGES])
    base = parse_overrides(args.base)
    for text in args.runs:
        label = text if not base else f"{args.base} + {text}"
        append([run_one(data, judge, real_features, base, parse_overrides(text), args.budget, label)], LOG)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
