"""The benchmark table: every speed and quality goal of the series, measured.

    python -m benchmarks                  # everything (full mode), writes RESULTS.md + results.json
    python -m benchmarks --only matmul vae
    TUTORIAL_QUICK=1 python -m benchmarks # a smoke run; results stay in artifacts/

Models are loaded from the cache (artifacts/) or trained when missing, so a
fresh clone measures training time too. Figures are measured, never timed in
tests. In full mode the table goes to ``benchmarks/RESULTS.md`` and each
figure (value, unit, date) to ``benchmarks/results.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
SECTIONS = ("matmul", "vae", "bigan", "explorer", "morphometry", "jsexplorer", "jupyterlab", "scoring", "style",
            "flow", "diffusion", "slides", "memory", "series")


class Results:
    """Ordered figures: name -> (value, unit, goal text, note), each with its section and the day it was measured."""

    def __init__(self):
        self.rows: list[dict] = []
        self.date = time.strftime("%Y-%m-%d")
        self.section = ""  # set by main() before each section runs

    def add(self, name: str, value, unit: str, goal: str = "", note: str = "") -> None:
        value = float(value) if isinstance(value, (int, float, np.floating, np.integer)) else value
        self.rows.append({"name": name, "value": value, "unit": unit, "goal": goal, "note": note,
                          "section": self.section, "date": self.date})
        shown = f"{value:.4g}" if isinstance(value, float) else str(value)
        print(f"  {name}: {shown} {unit} {('(goal ' + goal + ')') if goal else ''}", flush=True)

    def markdown(self, header: str) -> str:
        dated = len({r["date"] for r in self.rows}) > 1  # a merged table says when each row was measured
        lines = [header, "", "| figure | value | unit | goal | note |" + (" measured |" if dated else ""),
                 "|---|---:|---|---|---|" + ("---|" if dated else "")]
        for r in self.rows:
            v = r["value"]
            shown = f"{v:.4g}" if isinstance(v, float) else str(v)
            lines.append(f"| {r['name']} | {shown} | {r['unit']} | {r['goal']} | {r['note']} |"
                         + (f" {r['date']} |" if dated else ""))
        return "\n".join(lines) + "\n"

    def as_json(self) -> dict:
        return {r["name"]: {k: r[k] for k in ("value", "unit", "goal", "note", "section", "date")} for r in self.rows}

    def merged_into(self, previous: dict, sections: list[str]) -> "Results":
        """The committed table with SECTIONS re-measured: their old rows replaced by this run's, the others kept
        (with the day they were measured), in the order of SECTIONS."""
        if "matmul" not in sections:
            raise ValueError("an update re-measures the matmul rate too: its rows are timed against it")
        kept = [dict(name=name, **row) for name, row in previous.items() if row.get("section") not in sections]
        missing = [row["name"] for row in kept if row.get("section") not in SECTIONS]
        if missing:
            raise ValueError(f"benchmarks/results.json rows without a known section: {missing[:3]}; run the whole table")
        # The kept rows' times go with the matmul rate of their own day: keep that rate, named by its day.
        kept_days = {row["date"] for row in kept}
        earlier_rates = {}
        for name, row in previous.items():
            if row.get("section") == "matmul" and row["date"] in kept_days - {self.date}:
                base = name
                while base.endswith(f", {row['date']}"):  # earlier updates named it by its day already
                    base = base.removesuffix(f", {row['date']}")
                earlier_rates[row["date"]] = dict(name=f"{base}, {row['date']}", **row)
        earlier_rates = list(earlier_rates.values())
        merged = Results()
        merged.rows = sorted(earlier_rates + kept + self.rows,
                             key=lambda row: SECTIONS.index(row["section"]))  # stable: the order within is kept
        merged.date = self.date
        return merged


class LazyContext(dict):
    """Shared state between sections; MNIST is loaded only by a section that needs it."""

    def __init__(self, **loaders):
        super().__init__()
        self.loaders = loaders

    def __missing__(self, key):
        if key not in self.loaders:
            raise KeyError(key)
        self[key] = self.loaders[key]()
        return self[key]


def matmul_rate(size: int = 2048, repeats: int = 10) -> float:
    """The machine's float32 matrix-multiply rate in GFLOP/s (the roofline), via TensorFlow."""
    import tensorflow as tf

    a = tf.random.normal((size, size))
    b = tf.random.normal((size, size))
    mm = tf.function(lambda x, y: tf.matmul(x, y))
    mm(a, b).numpy()
    best = np.inf
    for _ in range(3):
        start = time.perf_counter()
        for _ in range(repeats):
            c = mm(a, b)
        c.numpy()
        best = min(best, time.perf_counter() - start)
    return 2 * size ** 3 * repeats / best / 1e9


def bench_matmul(res: Results, ctx: dict) -> None:
    ctx["roofline"] = matmul_rate()
    res.add("float32 matmul rate (2048x2048, TensorFlow)", ctx["roofline"], "GFLOP/s", note="the roofline")


def bench_vae(res: Results, ctx: dict) -> None:
    from helpers import config, vae

    data = ctx["data"]
    for d in (20, 2):
        model, record = vae.pretrained_vae(d, data, verbose=0)
        elbo = vae.negative_elbo(model, data.x_test)
        k = config.SETTINGS.elbo_importance_samples
        iw = vae.importance_weighted_nll(model, data.x_test, k=k)
        goal = "<= 96" if d == 20 else ""
        res.add(f"VAE-{d}d test negative ELBO", elbo["neg_elbo"], "nats/image", goal)
        res.add(f"VAE-{d}d reconstruction part", elbo["reconstruction"], "nats/image")
        res.add(f"VAE-{d}d KL part", elbo["kl"], "nats/image")
        res.add(f"VAE-{d}d importance-weighted NLL (k={k})", iw, "nats/image")
        res.add(f"VAE-{d}d training time", record["train_seconds"] / 60, "min", "<= 3" if d == 20 else "")
        res.add(f"VAE-{d}d seconds per epoch (median)", float(np.median(record["epoch_seconds"])), "s",
                note=f"{len(record['epoch_seconds'])} epochs of {record['train_images']} images")
        if d == 20:
            gflops = vae.achieved_gflops(record)
            res.add("VAE-20d training throughput", gflops, "GFLOP/s", ">= 0.5 x roofline")
            if "roofline" in ctx:
                res.add("VAE-20d throughput / matmul rate", gflops / ctx["roofline"], "fraction", ">= 0.5")
    model, record = vae.pretrained_class_prior_vae(data, verbose=0)
    elbo = vae.negative_elbo(model, data.x_test)
    k = config.SETTINGS.elbo_importance_samples
    note = "notebook 06; p(z) = sum_y p(y) N(m_y, I), on unlabelled test digits"
    res.add("VAE-20d class prior test negative ELBO", elbo["neg_elbo"], "nats/image", note=note)
    res.add(f"VAE-20d class prior importance-weighted NLL (k={k})",
            vae.importance_weighted_nll(model, data.x_test, k=k), "nats/image")
    res.add("VAE-20d class prior training time", record["train_seconds"] / 60, "min",
            note=f"{len(record['epoch_seconds'])} epochs")


def bench_bigan(res: Results, ctx: dict) -> None:
    from helpers import bigan, classical

    data = ctx["data"]
    model, record = bigan.pretrained_bigan(data)
    figures = bigan.quality_figures(model, data, classical.mnist_logistic_regression(data))
    ctx["bigan"] = model
    goals = {"knn_accuracy": ">= 0.95", "class_kept": ">= 0.80", "train_seconds": "<= 300"}
    for key, value in figures.items():
        if not isinstance(value, (int, float, np.floating, np.integer)):
            continue  # per-class counts and the like stay in the notebook
        unit = "s" if "seconds" in key else ""
        res.add(f"BiGAN {key.replace('_', ' ')}", value, unit, goals.get(key, ""))


def bench_explorer(res: Results, ctx: dict) -> None:
    """The live explorer's kernel side (issue 22): a setting's frame set (every alpha step decoded and judged
    in one batch) and the message carrying it, per model of the series and per judge."""
    from helpers import judges, lineup, widgets

    data = ctx["data"]
    spaces = lineup.latent_spaces(lineup.contenders(data, elbo=False), data)
    rng = np.random.default_rng(0)
    # an attribute axis per model (a random direction: its frame set costs what notebook 07's axes cost)
    axes = {name: {"an axis": rng.standard_normal(sp.latent_dim) / np.sqrt(sp.latent_dim)} for name, sp in spaces.items()}
    for judge in (judges.lr_judge(data), judges.cnn_judge(data, verbose=0)[0]):
        explorer = widgets.InterpolationExplorer(spaces, data.x_test, data.y_test, judge, axes=axes)
        for name in spaces:
            seconds, sizes = {widgets.CLASS_PAIR: [], "an axis": []}, {}
            for k in range(14):  # a new digit (and class pair) each time: encode, decode and judge
                b, a = (int(c) for c in rng.choice(10, 2, replace=False))
                for axis, found in seconds.items():
                    fs = explorer.frame_set({"model": name, "axis": axis, "b": b, "a": a,
                                             "digit": (3 * k + (axis != widgets.CLASS_PAIR)) % len(explorer.labels)})
                    found.append(fs.seconds)
                    sizes[axis] = (len(fs.payload), len(fs.alphas))
            for axis, found in seconds.items():
                ms = 1000 * np.asarray(found[2:])  # the first two trace the model's functions
                kind = "class pair" if axis == widgets.CLASS_PAIR else "attribute axis"
                size, steps = sizes[axis]
                res.add(f"explorer frame set, {name}, {kind}, {judge.name} judge: compute time, p95",
                        np.percentile(ms, 95), "ms", note=f"median {np.median(ms):.1f} ms; {steps} alpha steps, a new "
                        f"digit each time, {len(ms)} settings")
                if judge.name == judges.LR_NAME:
                    res.add(f"explorer frame set, {name}, {kind}: payload", size / 1e3, "kB",
                            note=f"one message: {steps} x 10 float32 probabilities + {steps} x 784 image bytes")


def bench_morphometry(res: Results, ctx: dict) -> None:
    """Notebook 07's measurements: Morpho-MNIST's six attributes of every test digit, timed."""
    from helpers import morphometry

    x = ctx["data"].x_test
    morphometry.measure(x[:16])  # builds the upscaling operators once per process
    rates = {}
    for workers in (None, 1):
        best = 0.0
        for _ in range(3):
            morphometry._permutation.cache_clear()  # each run as cold as a fresh process
            start = time.perf_counter()
            morphometry.measure(x, workers=workers)
            best = max(best, len(x) / (time.perf_counter() - start))
        rates[workers] = best
    threads = morphometry._check_workers(None)
    res.add("morphometry images per second", rates[None], "images/s", ">= 5000",
            f"all six attributes of {len(x)} test digits, {threads} threads, best of 3")
    res.add("morphometry images per second, one thread", rates[1], "images/s",
            note="Morpho-MNIST's measure_image: 38 images/s on this machine (issue 12)")


def bench_jsexplorer(res: Results, ctx: dict) -> None:
    """The explorer in the browser (issue 13): VAE-20d's decoder in the page, 200 slider moves in Chromium."""
    from helpers import browser_explorer, judges, latent, vae
    from tools import explorer_latency, slide_fit

    data = ctx["data"]
    model, _ = vae.pretrained_vae(20, data, verbose=0)
    space = latent.LatentSpace(model, data.x_train, data.y_train, name="VAE-20d")
    digits = np.concatenate([np.flatnonzero(data.y_test == c)[:4] for c in range(10)])  # as notebook 05 shows
    start = time.perf_counter()
    block = browser_explorer.browser_explorer(space, data.x_test[digits], data.y_test[digits],
                                              judge=judges.lr_judge(data))
    built = time.perf_counter() - start
    size_note = f"VAE-20d and {len(digits)} test digits; built in {built:.1f} s"
    try:
        m = explorer_latency.measure(block, model.decode, moves=200)
    except (ImportError, slide_fit.MeasureError) as err:  # no Playwright or Chromium
        print(f"  JavaScript explorer not measured in a browser: {err}")
        res.add("JavaScript explorer embedded size per model", block.size_bytes / 1e6, "MB", "<= 1", size_note)
        return
    res.add("JavaScript explorer p95 latency", m["p95_ms"], "ms", "<= 16",
            f"decode + draw per slider move in Chromium, {m['moves']} moves")
    res.add("JavaScript explorer median latency", m["median_ms"], "ms")
    res.add("JavaScript explorer max pixel error vs Keras decoder", m["max_pixel_error"], "", "<= 0.02",
            f"{m['states']} page states: digits x class pair x alpha")
    res.add("JavaScript explorer embedded size per model", block.size_bytes / 1e6, "MB", "<= 1", size_note)


def bench_jupyterlab(res: Results, ctx: dict) -> None:
    """The live explorer end to end (issues 14, 22): notebook 05 run in JupyterLab, its explorer driven in Chromium."""
    from helpers import config
    from tools import lab_harness

    try:
        stock = lab_harness.measure_notebook_explorer(quick=config.QUICK, moves=60, pauses_ms=(150,), setting_repeats=4)
        nodelay = lab_harness.measure_notebook_explorer(quick=config.QUICK, moves=60, pauses_ms=(150,),
                                                        tcp_nodelay=True, setting_repeats=4)
    except (ImportError, lab_harness.LabError) as err:  # no Playwright, Chromium or JupyterLab
        print(f"  JupyterLab explorer not measured: {err}")
        return
    make_lab = "the server `make lab` starts (tools/jupyter_server_config.py: no Nagle on kernel websockets)"
    for figures, server in ((nodelay, make_lab), (stock, "a plain `jupyter lab`")):
        tag = "" if figures is nodelay else ", stock jupyter lab"
        run = figures["runs"][150]
        note = (f"key press to new frame drawn in the page, {run['image']['n']} presses 150 ms apart, "
                f"{figures['model']}, {config.MODE} models; {server}")
        res.add(f"JupyterLab alpha move p95 latency{tag}", run["image"]["p95_ms"], "ms", "<= 16", note)
        res.add(f"JupyterLab alpha move median latency{tag}", run["image"]["median_ms"], "ms")
        res.add(f"JupyterLab alpha move p95, to the next paint{tag}", run["paint"]["p95_ms"], "ms", "",
                "until the animation frame after the draw (60 Hz: up to 16.7 ms of it is waiting for vsync)")
        res.add(f"JupyterLab messages to the kernel per alpha move{tag}", run["kernel_msgs"] / run["moves"], "", "0",
                f"every websocket message the page sent the kernel during {run['moves']} moves")
        settings = figures["settings"]
        for kind in ("digit", "pair", "model"):
            res.add(f"JupyterLab new {kind}: first frame p95{tag}", settings[kind]["p95_ms"], "ms", "<= 300",
                    f"from the reader's click or menu choice; median {settings[kind]['median_ms']:.0f} ms, "
                    f"{settings[kind]['n']} changes over notebook 05's models")
        for name, stats in settings["by_model"].items():
            res.add(f"  new digit, {name}: first frame p95{tag}", stats["p95_ms"], "ms", "<= 300",
                    f"median {stats['median_ms']:.0f} ms, {stats['n']} changes")
        res.add(f"JupyterLab comm messages per change of digit, pair or model{tag}",
                float(np.mean(settings["comm_msgs"])), "", "1",
                f"max {max(settings['comm_msgs'])} over {len(settings['comm_msgs'])} changes")
    for figures in (stock, nodelay):
        if figures["page_errors"]:
            print(f"  page errors during the measurement: {figures['page_errors']}")


def bench_scoring(res: Results, ctx: dict) -> None:
    """The judges, per-model transfer success and Frechet distances (notebook 06)."""
    from helpers import lineup

    f = lineup.benchmark_figures(ctx["data"])
    res.add("CNN judge test accuracy", f["cnn_test_accuracy"], "", ">= 0.99")
    res.add("CNN judge training time", f["cnn_train_seconds"], "s", "<= 120")
    res.add("logistic-regression judge test accuracy", f["lr_test_accuracy"], "")
    for name, value in f["transfer_success_cnn"].items():
        goal = ">= 0.90" if name in (lineup.VAE20_NAME, lineup.CLASS_PRIOR_NAME) else ""
        res.add(f"{name} transfer success at alpha = 1 (CNN judge)", value, "", goal,
                f"mean over 90 ordered pairs, {f['transfer_per_pair']} test digits each")
    for name, value in f["transfer_success_lr"].items():
        res.add(f"{name} transfer success at alpha = 1 (LR judge)", value, "")
    for name, value in f["start_kept_cnn"].items():
        res.add(f"{name} start class kept at alpha = 0 (CNN judge)", value, "", note="the ceiling for a move")
    for name, value in f["median_crossover_cnn"].items():
        res.add(f"{name} median crossover alpha (CNN judge)", value, "")
    for name, value in f["frechet"].items():
        res.add(f"{name} sample Frechet distance (CNN features)", value, "")
    res.add("Frechet distance floor (real train vs real test)", f["frechet_floor"], "")


def bench_style(res: Results, ctx: dict) -> None:
    """Notebook 07: moving held-out digits along style axes, for every model and recipe."""
    from helpers import judges, lineup, style

    data = ctx["data"]
    cnn, _ = judges.cnn_judge(data, verbose=0)
    spaces = lineup.latent_spaces(lineup.contenders(data), data)
    start = time.perf_counter()
    board = style.evaluate(spaces, data, cnn, verbose=False)
    seconds = time.perf_counter() - start
    f = style.benchmark_figures(board)
    best = f"{f['best model']}, {f['best method']} direction"
    res.add("style: best model and recipe", best, "", note="most goals met on thickness and slant, then least entangled")
    for attr in ("thickness", "slant"):
        res.add(f"style: {attr} change at alpha = 1 (best)", f[f"{attr} change at alpha=1"], "SD", ">= 0.8", best)
        res.add(f"style: {attr} class kept at alpha = 1 (best, CNN)", f[f"{attr} class kept at alpha=1"], "",
                ">= 0.95", best)
        floor = f[f"{attr} real perturbation side effects"]
        res.add(f"style: {attr} other attributes move (best)", f[f"{attr} other attributes move"], "SD",
                f"<= {max(0.25, floor):.2f}", f"real perturbation: {floor:.2f} SD per SD")
    for attr in style.MOVED:
        res.add(f"style: {attr} best cosine with the counterfactual direction", f[f"{attr} best cosine with counterfactual"],
                "", ">= 0.8", f"{f['best model']}, {f[f'{attr} best cosine method']} direction")
    for name, dose in board.doses.items():
        for method in dose.methods:
            for attr in style.MOVED:
                if not dose.available(attr, method):
                    res.add(f"  {name}, {method}, {attr}", "n/a", "",
                            note=board.directions[name][attr].missing.get(method, ""))
                    continue
                cos = board.directions[name][attr].cosine(method, "counterfactual")
                res.add(f"  {name}, {method}, {attr}",
                        f"{dose.change_at(attr, method):+.2f} SD; kept {dose.class_kept(attr, method):.2f}; "
                        f"others {dose.side_effect(attr, method):.2f} SD; cos {cos:.2f}", "",
                        note="change at alpha = 1; class kept (CNN); other attributes; cosine with counterfactual")
    res.add("style: measurement seconds (models loaded)", seconds, "s")


def bench_flow(res: Results, ctx: dict) -> None:
    """Notebook 08's flow (issue 20): bits/dim against training time, exactness, throughput."""
    from benchmarks import flow_sweep
    from helpers import cache, flow

    data = ctx["data"]
    model, record = flow.pretrained_flow(data, verbose=False)
    cfg = record["config"]
    minutes = record["train_seconds"] / 60
    bound = "uniform dequantization: an upper bound on the discrete bits/dim"
    res.add("flow test bits/dim, all test digits", record["test_bits_per_dim"], "bits/dim", "<= 1.25",
            f"{record['test_images']} test digits after {minutes:.2f} min of training; {bound}")
    res.add("flow training time", minutes, "min", "<= 3",
            f"a {cfg['budget_seconds']:g} s wall-clock budget (compilation included), "
            f"{_step_cap(cfg)}, stopped by the {record['stopped_by']}: {record['steps']} steps of "
            f"{cfg['batch_size']}, {record['epochs']:.2f} epochs of {record['train_images']} digits, "
            f"{record['parameters']:,} parameters")
    for point in record["checkpoints"]:
        res.add(f"flow test bits/dim at {point['seconds']:.0f} s of the run ({point['budget seconds']:.0f} s "
                f"of its {cfg['budget_seconds']:g} s budget)",
                point["test bits/dim"], "bits/dim", note=f"first {flow.CHECKPOINT_IMAGES:,} test digits, "
                f"step {point['step']} (mid-schedule: the learning rate is still high)")
    for run in flow_sweep.runs_of(cfg):
        res.add(f"flow test bits/dim, a {run['budget_seconds']:.0f} s budget", run["test bits/dim"], "bits/dim",
                note=f"first {run['test images']:,} test digits; {run['steps']} steps, {run['epochs']:.2f} epochs; "
                     f"matmul {run['matmul GFLOP/s before']:.0f}/{run['matmul GFLOP/s after']:.0f} GFLOP/s before/"
                     f"after, {run['measured']} (benchmarks/flow_sweep.json)")
    for precise, how in ((True, "in float64 (precise=True)"), (False, "in float32, the default")):
        errors = flow.reconstruction_errors(model, data.x_test, precise=precise)
        res.add(f"flow reconstruction max abs error, {how}", errors["max abs error"], "", "< 1e-4",
                f"decode(encode(x)) on {errors['images']:,} test digits")
        res.add(f"flow reconstruction differing 8-bit pixels, {how}", errors["differing 8-bit pixels"], "pixels",
                "0", f"of {errors['images'] * 784:,}")
    if len(record["curve"]) < 2:  # a quick-mode run can end within its first (traced) steps: nothing to time
        res.add("flow training throughput", "n/a", "GFLOP/s", ">= 0.3 x roofline",
                f"{record['steps']} steps in {record['train_seconds']:.1f} s, most of it tracing: too short a run to time")
    else:
        gflops = flow.achieved_gflops(record, cfg["batch_size"])
        res.add("flow training throughput", gflops, "GFLOP/s", ">= 0.3 x roofline",
                f"{record['train_flops_per_image'] / 1e6:.0f} MFLOP per training image (convolutions and 1x1 mixing)")
        if "roofline" in ctx:
            res.add("flow throughput / matmul rate", gflops / ctx["roofline"], "fraction", ">= 0.3")
    times = cache.load_json(cache.artifact_path("run_times", ".json", mode="full")) or {}
    seconds = (times.get("notebooks") or {}).get("08_flows.ipynb")
    if seconds is None:
        print("  no time for 08_flows.ipynb in artifacts/run_times-full.json: run `make run` to time it")
    else:
        res.add("notebook 08 run time", seconds / 60, "min", "<= 4",
                f"in make run{run_machine(times)}, measured {times.get('measured', '?')}")


def bench_diffusion(res: Results, ctx: dict) -> None:
    """Notebook 09 (issue 21): latent and pixel diffusion, their samples, inversion and class transfer."""
    from helpers import config, diffusion, judges, latent, scoring, vae

    data = ctx["data"]
    cnn, _ = judges.cnn_judge(data, verbose=0)
    n = min(config.SETTINGS.frechet_samples, len(data.x_test))
    real = cnn.features(data.x_test[:n])
    vae20, _ = vae.pretrained_vae(20, data, verbose=0)
    reference_fd = scoring.frechet_distance(cnn.features(vae20.sample(n, seed=0)), real)
    res.add("VAE-20d sample Frechet distance (CNN features), reference", reference_fd, "",
            note=f"{n} samples, seed 0: the pixel model's goal")

    latent_model, latent_record = diffusion.pretrained_latent_diffusion(data, steps=20)
    q = diffusion.sample_quality(latent_model, cnn, real, n)
    res.add("latent diffusion training time", latent_record["train_seconds"], "s", "<= 60",
            f"{latent_record['images_seen'] / latent_record['train_images']:.0f} epochs of the cached VAE-20d's codes")
    res.add("latent diffusion sample Frechet distance (20 steps)", q["frechet"], "", "<= 10", f"{n} samples")
    res.add("latent diffusion confident samples (CNN p > 0.9)", q["confident"], "")

    pixel, record = diffusion.pretrained_pixel_diffusion(data, steps=20)
    flops = diffusion.forward_flops(pixel.net)
    rate = record["images_seen"] / record["train_seconds"]
    res.add("pixel diffusion training time", record["train_seconds"] / 60, "min", "<= 6",
            f"{record['images_seen'] / record['train_images']:.1f} epochs, {record['steps']:,} steps, stopped by the "
            f"{record['stopped_by']} ({record['config']['budget_seconds']:g} s, {_step_cap(record['config'])}), "
            f"{record['parameters']:,} parameters, {flops / 1e6:.0f} MFLOP/pass")
    res.add("pixel diffusion training images per second", rate, "images/s")
    gflops = 3 * flops * rate / 1e9
    res.add("pixel diffusion training throughput", gflops, "GFLOP/s", note="3 x forward FLOPs x images/s")
    if "roofline" in ctx:
        res.add("pixel diffusion throughput / matmul rate", gflops / ctx["roofline"], "fraction")
    q = diffusion.sample_quality(pixel, cnn, real, n)
    res.add("pixel diffusion sample Frechet distance (20 steps)", q["frechet"], "", "",
            f"{n} samples, unguided (the goal is on the autoguided row)")
    res.add("pixel diffusion confident samples (CNN p > 0.9)", q["confident"], "")
    guided = diffusion.autoguided(pixel, record)
    q = diffusion.sample_quality(guided, cnn, real, n)
    res.add(f"pixel diffusion sample Frechet distance, autoguided (20 steps, w = {guided.guidance:g})", q["frechet"],
            "", f"<= {reference_fd:.1f}", f"{n} samples; guided by its own EMA weights at {record['guide_seconds']:.0f} s "
            "of training, 40 passes a sample; goal: the VAE-20d's")
    res.add("pixel diffusion confident samples, autoguided", q["confident"], "")
    small = min(1000, n)
    for (seconds, snap), point in zip(diffusion.training_snapshots(pixel, record), record["snapshot_points"]):
        fd = scoring.frechet_distance(cnn.features(snap.sample(small, seed=0)), real[:small])
        res.add(f"pixel diffusion FD after {seconds / 60:.1f} min of training ({point:.0f} s of the budget) "
                "(20 steps)", fd, "",
                note=f"EMA weights of then, {small} samples")
    for steps in (5, 10, 50):
        q = diffusion.sample_quality(pixel.with_steps(steps), cnn, real[:small], small)
        res.add(f"pixel diffusion FD with {steps} steps", q["frechet"], "", note=f"{small} samples")

    x = data.x_test[:200]
    vae_error = diffusion.reconstruction_error(vae20, x)
    res.add("VAE-20d reconstruction MSE per pixel", vae_error, "", note=f"{len(x)} test digits")
    for steps in (10, 20, 50):
        error = diffusion.reconstruction_error(pixel.with_steps(steps), x)
        res.add(f"pixel diffusion inversion MSE per pixel ({steps} steps)", error, "", f"< {vae_error:.4f}")

    n_train, per_pair = 500, 5
    x_tr, y_tr = data.x_train[:n_train], data.y_train[:n_train]
    moves = pixel.with_steps(10)
    spaces = {"pixel x_T": latent.LatentSpace(moves, x_tr, y_tr, name="pixel x_T"),
              "h-space": latent.LatentSpace(diffusion.HSpaceDiffusion(moves), x_tr, y_tr, name="h-space"),
              "latent-diffusion x_T": latent.LatentSpace(latent_model.with_steps(10), x_tr, y_tr,
                                                         name="latent-diffusion x_T"),
              "VAE-20d z": latent.LatentSpace(vae20, x_tr, y_tr, name="VAE-20d z")}
    spaces["h only"] = diffusion.h_only_vectors(spaces["h-space"])
    best = 0.0
    for name, space in spaces.items():
        start = time.perf_counter()
        result = scoring.class_transfer(space, data.x_test, data.y_test, [cnn], per_pair=per_pair,
                                        alphas=np.array([0.0, 0.5, 1.0]))[judges.CNN_NAME]
        success, se = diffusion.success_with_error(result)
        best = max(best, success)
        res.add(f"{name} transfer success at alpha = 1 (CNN judge)", success, "",
                note=f"+/- {se:.3f} (standard error), {per_pair} digits per pair, 10 steps, "
                     f"{time.perf_counter() - start:.0f} s")
    res.add("best transfer success of these spaces at alpha = 1 (CNN judge)", best, "", ">= 0.93",
            "the class-prior VAE's is in the scoring section")


def bench_slides(res: Results, ctx: dict) -> None:
    """Decks a presenter can use (issue 13): every slide of every `make slides` deck, measured in Chromium."""
    from tools import slide_fit

    try:
        decks = slide_fit.build_and_measure()
    except (ImportError, slide_fit.MeasureError, RuntimeError) as err:  # no Playwright, Chromium or npm
        print(f"  slides not measured: {err}")
        return
    t = slide_fit.totals(decks)
    canvas = " x ".join(map(str, decks[0].canvas)) if decks else "?"
    res.add("slides overflowing the canvas", t["overflowing"], "slides", "0",
            f"out of {t['slides']} slides in {t['decks']} decks, {canvas} canvas")
    res.add("visible words on the median slide", t["median_words"], "words", "<= 60", "speaker notes excluded")
    res.add("visible words on the longest slide", t["max_words"], "words")
    res.add("tallest slide", t["tallest_px"], "px", f"<= {canvas.split(' x ')[-1]}", "slide coordinates")


#: Binder gives a session 1-2 GB: the goals for one notebook's kernel, per mode (GB = 1e9 bytes).
MEMORY_GOALS_GB = {"quick": 1.5, "full": 2.0}


def bench_memory(res: Results, ctx: dict) -> None:
    """Each notebook's peak memory (issue 19): its kernel's resident set (VmHWM), quick and full mode.

    As on a first Binder launch: every notebook in order, each in a fresh kernel started
    from a temporary folder, with an empty artifacts folder per mode, so each trains its
    models (a later run that loads them peaks lower), and with the environment
    ``binder/start`` gives a Binder session (glibc's heap arenas capped at two). Quick
    mode is measured a second time with glibc's default, for what the cap buys. The
    full-mode part takes about as long as ``make run``. A smoke run (TUTORIAL_QUICK=1)
    measures quick mode only.
    """
    import tempfile

    from helpers import config
    from tools import run_notebooks

    paths = run_notebooks.numbered_notebooks()
    capped = run_notebooks.KERNEL_ENVIRONMENT
    setting = ", ".join(f"{k}={v}" for k, v in capped.items())
    passes = [("quick", capped, "")] + ([] if config.QUICK else [("full", capped, "")])
    passes.append(("quick", {name: None for name in capped}, ", glibc's default arenas"))
    for mode, environment, variant in passes:
        goal = MEMORY_GOALS_GB[mode]
        with tempfile.TemporaryDirectory(prefix=f"memory-{mode}-") as artifacts, \
                run_notebooks.kernel_environment({"TUTORIAL_ARTIFACTS": artifacts}):
            runs = run_notebooks.check(paths, quick=mode == "quick", environment=environment)
        peaks = [r.peak_gb for r in runs if r.peak_gb is not None]
        if variant:  # the comparison: only the largest
            if peaks:
                worst = max(runs, key=lambda r: r.peak_gb or 0)
                res.add(f"peak memory, largest notebook, {mode} mode{variant}", max(peaks), "GB", "",
                        f"{worst.name}; without {setting} (binder/start sets it)")
            continue
        for run in runs:
            note = f"{run.seconds:.0f} s, models trained" + ("" if run.ok else f"; FAILED: {run.problems[0][:80]}")
            value = "n/a" if run.peak_gb is None else run.peak_gb
            res.add(f"peak memory, {run.name}, {mode} mode", value, "GB", f"<= {goal:g}", note)
        if peaks:
            res.add(f"peak memory, largest notebook, {mode} mode", max(peaks), "GB", f"<= {goal:g}",
                    f"kernel resident set (VmHWM), first run, {setting} as binder/start sets: "
                    "Binder's budget is 1-2 GB")


def _step_cap(cfg: dict) -> str:
    """A training configuration's step cap, for a row's note: 'at most 1,000 steps' or 'no step cap'."""
    return f"at most {cfg['max_steps']:,} steps" if cfg.get("max_steps") else "no step cap"


def run_machine(record: dict) -> str:
    """The machine's speed around a make run, for a row's note: ' at 105/98 GFLOP/s (matmul before/after)'."""
    rates = [r for r in record.get("matmul_gflops") or [] if r is not None]
    return f" at {'/'.join(f'{r:.0f}' for r in rates)} GFLOP/s (matmul before/after)" if rates else ""


#: The chapters whose make run the issues' minute goals were set against (10 min on their machine), and
#: the later chapters' goals as shares of it: notebook 08 4 min (issue 20), notebook 09 9 min (issue 21).
SERIES_REFERENCE = ("01", "02", "03", "04", "05", "06", "07")
RELATIVE_GOALS = {"08": 0.4, "09": 0.9}


def bench_series(res: Results, ctx: dict) -> None:
    from helpers import cache

    record = cache.load_json(cache.artifact_path("run_times", ".json", mode="full"))
    if record is None:
        print("  no artifacts/run_times-full.json: run `make run` first to time the whole series")
        return
    # Issue 21's goal, for all nine chapters (it was 10 min for 01-07, then 14 with 08: issue 20)
    times = record["notebooks"]
    chapters = len(times)
    machine = run_machine(record)
    res.add("make run, whole series (training included)", record["total_seconds"] / 60, "min",
            "<= 20" if chapters >= 9 else "<= 14" if chapters == 8 else "<= 10",
            f"{chapters} chapters in one make run{machine}, measured {record.get('measured', '?')}")
    peaks = record.get("peak_bytes", {})
    for name, seconds in times.items():
        peak = peaks.get(name)
        res.add(f"  {name}", seconds, "s", note="" if peak is None else f"kernel peak memory {peak / 1e9:.2f} GB")
    # The issues set their minutes on a machine where chapters 01-07 took 10 minutes; machines of this kind
    # differ up to 3x, so the same goals as shares of this run's 01-07 time hold on any of them. Each chapter's
    # share is its turn in the make run (its kernel's run plus writing and checking the notebook, a few seconds),
    # so that the chapters' turns add up to the make run the total is; records from before turns were kept
    # (2026-12-05) have only the kernels' times, which leave those seconds out of 01-07.
    turns = record.get("turn_seconds") or times
    reference = sum(s for name, s in turns.items() if name[:2] in SERIES_REFERENCE)
    if chapters > len(SERIES_REFERENCE) and all(any(n.startswith(p) for n in turns) for p in SERIES_REFERENCE):
        res.add("make run, chapters 01-07 of it", reference / 60, "min",
                note="the issues' reference: 10 min on the machine they were written on"
                + ("; each chapter's turn: its run, writing and checking it" if "turn_seconds" in record else ""))
        later = {name: s for name, s in turns.items() if name[:2] not in SERIES_REFERENCE}
        for name, seconds in later.items():
            goal = RELATIVE_GOALS.get(name[:2])
            res.add(f"notebook {name[:2]} / chapters 01-07", seconds / reference, "fraction",
                    "" if goal is None else f"<= {goal:g}", "its minutes goal over the reference's 10")
        flow_chapter = next((seconds for name, seconds in later.items() if name.startswith("08")), None)
        if chapters >= 9 and flow_chapter is not None:  # issue 20's goal, set before chapter 09 existed
            res.add("chapters 01-08 / chapters 01-07", (reference + flow_chapter) / reference, "fraction", "<= 1.4",
                    "14 min (issue 20) over the reference's 10")
        res.add("make run / chapters 01-07", record["total_seconds"] / reference, "fraction",
                "<= 2" if chapters >= 9 else "<= 1.4" if chapters == 8 else "",
                "20 min (issue 21) over the reference's 10" if chapters >= 9 else
                "14 min (issue 20) over the reference's 10" if chapters == 8 else "")


BENCHES = {"matmul": bench_matmul, "vae": bench_vae, "bigan": bench_bigan,
           "explorer": bench_explorer, "morphometry": bench_morphometry, "jsexplorer": bench_jsexplorer,
           "jupyterlab": bench_jupyterlab, "scoring": bench_scoring,
           "style": bench_style, "flow": bench_flow, "diffusion": bench_diffusion,
           "slides": bench_slides, "memory": bench_memory, "series": bench_series}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="+", choices=SECTIONS, help="run only these sections")
    parser.add_argument("--update", action="store_true",
                        help="with --only (matmul included): replace those sections' rows in the committed table")
    args = parser.parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    sys.path.insert(0, str(HERE.parent))
    from helpers import cache, config
    from helpers.data import load_mnist

    config.setup(0)
    if args.update and (config.MODE != "full" or not args.only):
        parser.error("--update takes --only SECTIONS, in full mode (a whole run rewrites the table anyway)")
    res = Results()
    ctx = LazyContext(data=load_mnist)
    for name in args.only or SECTIONS:
        print(f"[{name}]", flush=True)
        res.section = name
        BENCHES[name](res, ctx)

    header = (f"# Benchmark results ({config.MODE} mode, {res.date})\n\n"
              f"Machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores. "
              + ", ".join(f"{k} {v}" for k, v in config.versions().items()))
    if args.update:
        res = res.merged_into(json.loads((HERE / "results.json").read_text()), args.only)
        header = (f"# Benchmark results ({config.MODE} mode; {', '.join(args.only)} re-measured on {res.date}, "
                  "the other rows on the day given)\n\n" + header.split("\n\n", 1)[1]
                  + "\n\nEach row's times go with the matmul rate measured the same day (the first rows).")
    table = res.markdown(header)
    print()
    print(table)
    # the whole table, or an update of some sections (opt-in sections are written by themselves)
    if config.MODE == "full" and (not args.only or args.update):
        (HERE / "RESULTS.md").write_text(table)
        cache.atomic_write(HERE / "results.json",
                           lambda p: p.write_text(json.dumps(res.as_json(), indent=2)))
        print(f"wrote {HERE / 'RESULTS.md'} and {HERE / 'results.json'}")
    else:
        out = cache.artifact_path("benchmarks", ".md")
        out.write_text(table)
        print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
