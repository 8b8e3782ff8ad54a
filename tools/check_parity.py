"""Bad calls across the public helpers API, run on two revisions: did any outcome change?

A survey for refactors of the argument checks (issue 18): for every public function
and method of ``helpers`` (widgets and browser_explorer excepted), a valid call is
taken and each argument in turn is replaced by each value of a pool of careless
inputs (None, strings, bools, negative, fractional, NaN, infinite and huge numbers,
empty and ragged lists, dicts, NaN images, 0-255 images, one image, wrong shapes,
out-of-range labels, callables...), and each pair of arguments by a pair of them.
Every call's outcome is recorded: the error's type and message (addresses masked),
or a summary of the result. Run it on two revisions and compare:

    python -m tools.check_parity --rev 6e25a88 --out parity.json   # checks out REV's helpers in a temp dir

It prints the calls whose outcome differs, and per outcome kind how many calls
ended in a TypeError/ValueError naming an argument (clear), in another error
(unclear: raw library errors), or returned. Helpers need ``MNIST_NPZ`` for nothing:
every input is made here. Takes a few minutes; hold the CPU lock.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import warnings
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def pool():
    """The careless inputs, fresh each time (a call may change an array it is given)."""
    import numpy as np

    return {
        "None": None, "str": "x", "True": True, "-1": -1, "0": 0, "2.5": 2.5, "nan": float("nan"),
        "inf": float("inf"), "10**12": 10**12, "[]": [], "{}": {}, "object": object(),
        "nan-images": np.full((3, 28, 28), np.nan, np.float32), "0-255-images": np.full((3, 28, 28), 200.0),
        "no-images": np.zeros((0, 28, 28), np.float32), "one-image": np.zeros((28, 28), np.float32),
        "vector5": np.zeros(5), "matrix4x3": np.zeros((4, 3)), "labels-11": np.array([0, 1, 11]),
        "strings": np.array(["a", "b", "c"]), "pair": (1.0, 0.0), "-0.5": -0.5, "1e300": 1e300,
        "function": (lambda *args, **kwargs: None), "bools": np.array([True, False, True]),
        "ragged": [[1, 2], [3]],
    }


PAIRS = (("None", "None"), ("str", "str"), ("-1", "-1"), ("nan", "nan"))


def _fixtures():
    import matplotlib

    matplotlib.use("Agg")
    import keras
    import matplotlib.pyplot as plt
    import numpy as np
    from sklearn.naive_bayes import GaussianNB

    sys.path.insert(0, str(REPO / "tests"))
    from test_style import BarModel, PositionJudge, bars

    from helpers import bigan, classical, config, judges, latent, scoring, style, vae
    from helpers.data import Dataset

    config.seed_everything(0)
    rng = np.random.default_rng(0)
    d = Dataset(rng.random((60, 28, 28), dtype=np.float32), np.arange(60) % 10,
                rng.random((20, 28, 28), dtype=np.float32), np.arange(20) % 10)
    pnb = classical.PixelNaiveBayes().fit(d.x_train, d.y_train)
    pca = classical.ClassPCAGaussian(2).fit(d.x_train[:60], d.y_train[:60] % 3)
    gnb = GaussianNB().fit(rng.normal(size=(30, 2)), np.arange(30) % 3)
    lr = classical.fit_logistic_regression(d.x_train, d.y_train, max_iter=20)
    config.seed_everything(0)
    small_vae = vae.VAE(2, (8,), (8,))
    prior_vae = vae.ClassPriorVAE(2, (8,), (8,), n_classes=10)
    gan = bigan.BiGAN(latent_dim=2, g_hidden=(8,), e_hidden=(8,), d_hidden=(8, 4))
    cnn_model = judges.build_cnn(judges.cnn_config(filters=[2], kernels=[3], dense=8))

    def uniform(images):
        return np.full((len(images), 10), 0.1)

    space = latent.LatentSpace(pnb, d.x_train, d.y_train, name="pixels")
    result = scoring.class_transfer(space, d.x_test, d.y_test, [uniform], per_pair=1, alphas=[0.0, 1.0])["uniform"]
    x_train, y_train = bars(20, 0)
    x_test, y_test = bars(2, 1)
    bar_space = latent.LatentSpace(BarModel(), x_train, y_train, name="bars")
    train_values = style.measure_table(x_train)
    scale = style.StyleScale.from_table(train_values)
    pairs = style.counterfactual_pairs(x_train[:30])
    directions = style.style_directions(bar_space, train_values, np.arange(len(x_train)), pairs, scale)
    dose = style.dose_response(bar_space, directions, x_test, y_test, PositionJudge(), scale)
    real, perturbed = style.real_changes(x_test, scale)
    truth = style.ground_truth(bar_space, directions, dose, x_test, real, perturbed)
    board = style.StyleBoard(scale, {"bars": directions}, {"bars": dose}, real, truth)
    fig, ax = plt.subplots()
    return dict(d=d, pnb=pnb, pca=pca, gnb=gnb, lr=lr, vae=small_vae, prior_vae=prior_vae, gan=gan, cnn=cnn_model,
                uniform=uniform, space=space, result=result, bar_space=bar_space, train_values=train_values,
                scale=scale, pairs=pairs, directions=directions, dose=dose, real=real, perturbed=perturbed,
                board=board, x_bars=x_test, y_bars=y_test, judge=PositionJudge(), ax=ax, keras=keras,
                bars_data=Dataset(x_train, y_train, x_test, y_test))


def registry(f):
    """(id, function, valid keyword arguments) for the public API."""
    import numpy as np

    from helpers import bigan, cache, classical, data, judges, lineup, morphometry, plots, scoring, style, vae

    d, x, y = f["d"], f["d"].x_test, f["d"].y_test
    img3 = x[:3]
    probs = np.full((3, 10), 0.1)
    tiny_vae_cfg = {"latent_dim": 2, "encoder_units": [8], "decoder_units": [8], "activation": "relu", "epochs": 1,
                    "batch_size": 50, "learning_rate": 1e-3, "train_images": 60, "jit_compile": False}
    codes = np.random.default_rng(1).normal(size=(30, 4))
    y30 = np.arange(30) % 10
    ax = f["ax"]
    sj = judges.SklearnJudge(f["lr"])
    kj = judges.KerasJudge(f["cnn"])
    R = [
        # data
        ("Dataset.subset", d.subset, dict(n_train=10, n_test=5)),
        ("shuffled_batches", data.shuffled_batches, dict(x=img3, y=np.arange(3), batch_size=2)),
        ("as_dataset", data.as_dataset, dict(data=d)),
        ("load_mnist", data.load_mnist, dict(path=os.environ.get("MNIST_NPZ", "/nonexistent.npz"), quick=True)),
        ("read_mnist_npz", data.read_mnist_npz, dict(path="/nonexistent.npz")),
        # cache
        ("artifact_path", cache.artifact_path, dict(name="x", suffix=".json", mode="quick")),
        # classical
        ("flatten", classical.flatten, dict(x=img3, name="images")),
        ("gaussian_nb_log_px", classical.gaussian_nb_log_px, dict(nb=f["gnb"], x=np.zeros((3, 2)))),
        ("sample_gaussian_nb", classical.sample_gaussian_nb, dict(nb=f["gnb"], n=3, seed=0, classes=None)),
        ("PixelNaiveBayes", classical.PixelNaiveBayes, dict(var_smoothing=1e-9)),
        ("PixelNaiveBayes.fit", classical.PixelNaiveBayes().fit, dict(x=d.x_train, y=d.y_train)),
        ("PixelNaiveBayes.predict", f["pnb"].predict, dict(x=img3)),
        ("PixelNaiveBayes.log_likelihood", f["pnb"].log_likelihood, dict(x=img3)),
        ("PixelNaiveBayes.encode", f["pnb"].encode, dict(x=img3)),
        ("PixelNaiveBayes.decode", f["pnb"].decode, dict(z=np.zeros((2, 784)))),
        ("PixelNaiveBayes.sample", f["pnb"].sample, dict(n=3, seed=0, classes=None)),
        ("ClassPCAGaussian", classical.ClassPCAGaussian, dict(n_components=4, ridge=1e-6)),
        ("ClassPCAGaussian.fit", classical.ClassPCAGaussian(2).fit, dict(x=d.x_train, y=d.y_train % 3)),
        ("ClassPCAGaussian.encode", f["pca"].encode, dict(x=img3)),
        ("ClassPCAGaussian.decode", f["pca"].decode, dict(z=np.zeros((2, 2)))),
        ("ClassPCAGaussian.sample", f["pca"].sample, dict(n=3, seed=0, classes=None)),
        ("make_2d_classes", classical.make_2d_classes, dict(n_per_class=5, seed=0)),
        ("neighbour_correlation", classical.neighbour_correlation, dict(x=d.x_train, y=d.y_train, min_std=0.05)),
        ("judge_hits", classical.judge_hits, dict(judge=f["lr"], images=img3, intended=3)),
        ("fit_logistic_regression", classical.fit_logistic_regression,
         dict(x=d.x_train, y=d.y_train, max_iter=5, tol=1e-3)),
        ("draws_per_size", classical.draws_per_size, dict(n=10, n_train=100, repeats=5)),
        ("stratified_indices", classical.stratified_indices, dict(y=d.y_train, n=20, seed=0)),
        ("learning_curve", classical.learning_curve, dict(data=d, sizes=[20], repeats=1, seed=0, max_iter=5)),
        ("summarize_curve", classical.summarize_curve, dict(rows=[{"model": "m", "n": 1, "error": 0.1}])),
        ("unseen_class_experiment", classical.unseen_class_experiment,
         dict(data=d, far_images=None, seen_classes=(0, 1), far_name="far", max_iter=5)),
        # vae
        ("VAE", vae.VAE, dict(latent_dim=2, encoder_units=(8,), decoder_units=(8,), activation="relu", seed=0)),
        ("ClassPriorVAE", lambda n_classes: vae.ClassPriorVAE(2, (8,), (8,), n_classes=n_classes),
         dict(n_classes=3)),
        ("VAE.encode", f["vae"].encode, dict(x=img3, batch_size=10)),
        ("VAE.encode_distribution", f["vae"].encode_distribution, dict(x=img3, batch_size=10)),
        ("VAE.decode", f["vae"].decode, dict(z=np.zeros((2, 2)), batch_size=10)),
        ("VAE.sample", f["vae"].sample, dict(n=3, seed=0)),
        ("ClassPriorVAE.set_class_frequencies", f["prior_vae"].set_class_frequencies, dict(y=np.arange(20) % 10)),
        ("ClassPriorVAE.sample", f["prior_vae"].sample, dict(n=3, seed=0)),
        ("ClassPriorVAE.sample_class", f["prior_vae"].sample_class, dict(y=[1, 2], seed=0)),
        ("negative_elbo", vae.negative_elbo, dict(model=f["vae"], x=img3, batch_size=10, seed=0)),
        ("importance_weighted_nll", vae.importance_weighted_nll, dict(model=f["vae"], x=img3, k=2, chunk=2, seed=0)),
        ("training_config", vae.training_config, dict(latent_dim=2)),
        ("warmup_cosine", vae.warmup_cosine, dict(cfg={"learning_rate": 1e-3}, steps=10)),
        ("check_training_config", vae.check_training_config, dict(cfg=tiny_vae_cfg)),
        ("train_vae", vae.train_vae, dict(data=d, cfg=tiny_vae_cfg, verbose=0, model_class=vae.VAE)),
        ("achieved_gflops", vae.achieved_gflops,
         dict(record={"epoch_seconds": [1.0], "train_flops_per_image": 10, "train_images": 5})),
        # bigan
        ("build_generator", bigan.build_generator, dict(latent_dim=2, hidden=(8,), batchnorm=True)),
        ("build_encoder", bigan.build_encoder, dict(latent_dim=2, hidden=(8,))),
        ("build_discriminator", bigan.build_discriminator, dict(latent_dim=2, hidden=(8,), dropout=0.5)),
        ("BiGAN", bigan.BiGAN, dict(latent_dim=2, g_hidden=(8,), e_hidden=(8,), d_hidden=(8, 4), g_batchnorm=True,
                                    d_dropout=0.5, label_smoothing=0.1, instance_noise=0.0, cycle_x_weight=1.0,
                                    cycle_z_weight=1.0)),
        ("BiGAN.encode", f["gan"].encode, dict(x=img3, batch_size=10)),
        ("BiGAN.decode", f["gan"].decode, dict(z=np.zeros((2, 2)), batch_size=10)),
        ("BiGAN.prior", f["gan"].prior, dict(n=3, seed=0)),
        ("BiGAN.sample", f["gan"].sample, dict(n=3, seed=0)),
        ("judged_labels", bigan.judged_labels, dict(images=img3, judge=f["lr"])),
        ("class_counts", bigan.class_counts, dict(images=img3, judge=f["lr"], n_classes=10)),
        ("classes_found", bigan.classes_found, dict(counts=[1, 2, 0], min_share=0.01)),
        ("knn_accuracy", bigan.knn_accuracy,
         dict(train_codes=codes, train_labels=y30, test_codes=codes, test_labels=y30, chunk=10)),
        ("model_config", lambda **kw: bigan.model_config(**kw), dict(epochs=2, batch_size=16)),
        ("train_bigan", bigan.train_bigan,
         dict(x_train=d.x_train[:16], cfg=bigan.model_config(epochs=1, batch_size=16, latent_dim=2,
                                                             g_hidden=(8,), e_hidden=(8,), d_hidden=(8, 4)),
              judge=None, verbose=False)),
        ("quality_figures", bigan.quality_figures, dict(model=f["gan"], data=d, judge=f["lr"], n_samples=5, seed=0)),
        # judges
        ("Judge.predict_proba", sj.predict_proba, dict(images=img3)),
        ("Judge.accuracy", sj.accuracy, dict(x=img3, y=[1, 2, 3])),
        ("check_probabilities", judges.check_probabilities, dict(p=probs, n=3, n_classes=10, name="judge")),
        ("SklearnJudge", judges.SklearnJudge, dict(model=f["lr"], name="lr")),
        ("FunctionJudge", judges.FunctionJudge, dict(fn=f["uniform"], name="u")),
        ("as_judge", judges.as_judge, dict(judge=f["uniform"], name="judge")),
        ("as_judges", judges.as_judges, dict(judges=[f["uniform"]], name="judges")),
        ("KerasJudge", judges.KerasJudge, dict(model=f["cnn"], name="CNN", feature_layer="features", batch_size=8)),
        ("KerasJudge.features", kj.features, dict(images=img3)),
        ("softmax", judges.softmax, dict(logits=probs)),
        ("cnn_config", lambda **kw: judges.cnn_config(**kw), dict(epochs=1, filters=[2])),
        ("build_cnn", judges.build_cnn, dict(cfg=judges.cnn_config(filters=[2], kernels=[3], dense=4))),
        ("train_cnn", judges.train_cnn, dict(data=d, cfg=judges.cnn_config(filters=[2], kernels=[3], dense=4,
                                                                           epochs=1, train_images=20), verbose=0)),
        # scoring
        ("entropy_bits", scoring.entropy_bits, dict(probs=probs)),
        ("crossover_alpha", scoring.crossover_alpha, dict(alphas=[0.0, 1.0], p_target=[0.1, 0.9], p_start=[0.9, 0.1])),
        ("prior_distance", scoring.prior_distance, dict(codes=codes, latent_dim=4, centers=None)),
        ("TransferResult.alpha_index", f["result"].alpha_index, dict(alpha=1.0)),
        ("TransferResult.success_rate", f["result"].success_rate, dict(alpha=1.0)),
        ("TransferResult.alpha_reaching", f["result"].alpha_reaching, dict(level=0.5)),
        ("TransferResult.pair_curves", f["result"].pair_curves, dict(b=1, a=2)),
        ("test_digits_per_class", scoring.test_digits_per_class, dict(y_test=y, per_class=1, n_classes=10)),
        ("class_transfer", scoring.class_transfer,
         dict(space=f["space"], x_test=x, y_test=y, judges=[f["uniform"]], per_pair=1, alphas=[0.0, 1.0],
              gaussian_prior=False, method="centroid")),
        ("judged_path", scoring.judged_path,
         dict(space=f["space"], judges=[f["uniform"]], x=x[:1], a=1, b=2, alphas=[0.0, 1.0])),
        ("typical_pair", scoring.typical_pair, dict(result=f["result"])),
        ("judge_agreement", scoring.judge_agreement, dict(results={"a": f["result"], "b": f["result"]})),
        ("failure_split", scoring.failure_split, dict(result=f["result"], alpha=1.0)),
        ("band_share", scoring.band_share, dict(values=np.zeros((3, 2)), threshold=0.5)),
        ("gaussian_frechet", scoring.gaussian_frechet,
         dict(mu1=np.zeros(2), cov1=np.eye(2), mu2=np.ones(2), cov2=np.eye(2), eps=1e-6)),
        ("frechet_distance", scoring.frechet_distance, dict(features_a=codes, features_b=codes + 1, eps=1e-6)),
        ("frechet_floor", scoring.frechet_floor, dict(judge=kj, data=d, n=10, seed=0, real_features=None)),
        ("sample_frechet", scoring.sample_frechet,
         dict(judge=kj, model=f["pnb"], real_features=np.random.default_rng(0).normal(size=(10, 8)), n=10, seed=0)),
        ("class_shape_mismatch", scoring.class_shape_mismatch, dict(codes=codes, labels=y30 % 3, n_classes=3)),
        ("class_geometry", scoring.class_geometry,
         dict(train_codes=codes, train_labels=y30 % 3, test_codes=codes, test_labels=y30 % 3, per_pair=1,
              n_classes=3)),
        # lineup
        ("latent_spaces", lineup.latent_spaces,
         dict(models=[lineup.Contender("p", f["pnb"], gaussian_prior=False)], data=d)),
        ("layer_rows", lineup.layer_rows, dict(model=f["cnn"])),
        ("path_rows", lineup.path_rows, dict(paths={"m": (img3, {"j": probs})}, alphas=[0.0, 1.0, 2.0],
                                             at=(0.0, 1.0))),
        # morphometry
        ("measure", morphometry.measure, dict(images=img3, quantized=None, workers=1)),
        ("thicken", morphometry.thicken, dict(images=img3, amount=0.5)),
        ("thin", morphometry.thin, dict(images=img3, amount=0.5)),
        ("shear", morphometry.shear, dict(images=img3, degrees=10.0)),
        ("stretch", morphometry.stretch, dict(images=img3, factor=1.2)),
        ("scale", morphometry.scale, dict(images=img3, factor=1.2)),
        # style
        ("perturb", style.perturb, dict(attribute="slant", images=img3, sign=1)),
        ("measure_table", style.measure_table, dict(images=img3, names=("thickness", "slant"))),
        ("StyleScale.from_table", style.StyleScale.from_table, dict(table=f["train_values"])),
        ("StyleScale.index", f["scale"].index, dict(name="slant")),
        ("StyleScale.in_sd", f["scale"].in_sd, dict(change=np.zeros((2, 6)))),
        ("counterfactual_pairs", style.counterfactual_pairs, dict(x=f["x_bars"][:2], attributes=("slant",))),
        ("style_directions", style.style_directions,
         dict(space=f["bar_space"], train_values=f["train_values"], index=np.arange(len(f["train_values"])),
              pairs=f["pairs"], scale=f["scale"])),
        ("DoseResponse.curve", f["dose"].curve, dict(attribute="slant", method="probe", of=None)),
        ("DoseResponse.change_at", f["dose"].change_at, dict(attribute="slant", method="probe", alpha=1.0, of=None)),
        ("DoseResponse.alpha_reaching", f["dose"].alpha_reaching, dict(attribute="slant", method="probe", target=1.0)),
        ("DoseResponse.class_kept", f["dose"].class_kept, dict(attribute="slant", method="probe", alpha=1.0)),
        ("DoseResponse.side_effects", f["dose"].side_effects, dict(method="probe", alpha=1.0)),
        ("DoseResponse.side_effect", f["dose"].side_effect, dict(attribute="slant", method="probe", alpha=1.0)),
        ("entanglement_summary", style.entanglement_summary, dict(matrix=np.ones((3, 5)))),
        ("dose_response", style.dose_response,
         dict(space=f["bar_space"], directions=f["directions"], x=f["x_bars"][:4], y=f["y_bars"][:4],
              judge=f["judge"], scale=f["scale"])),
        ("principal_axes", style.principal_axes,
         dict(space=f["bar_space"], x=f["x_bars"][:4], scale=f["scale"], k=2, index=None)),
        ("RealChange.side_effect", f["real"].side_effect, dict(attribute="slant")),
        ("real_changes", style.real_changes, dict(x=f["x_bars"][:4], scale=f["scale"], moved=("slant",))),
        ("ground_truth", style.ground_truth,
         dict(space=f["bar_space"], directions=f["directions"], dose=f["dose"], x=f["x_bars"], real=f["real"],
              perturbed=f["perturbed"])),
        ("StyleBoard.rows", f["board"].rows, dict(attributes=("slant",))),
        ("StyleBoard.meets", f["board"].meets, dict(model="bars", method="probe", attributes=("slant",))),
        ("StyleBoard.best_cosine", f["board"].best_cosine, dict(model="bars", attribute="slant")),
        ("style.benchmark_figures", style.benchmark_figures, dict(board=f["board"])),
        ("evaluate", style.evaluate,
         dict(spaces={"bars": f["bar_space"]}, data=f["bars_data"], judge=f["judge"], probe_digits=50,
              counterfactual_digits=10, test_per_class=1, verbose=False)),
        # plots
        ("tile", plots.tile, dict(images=img3, pad=1, pad_value=1.0)),
        ("image_grid", plots.image_grid, dict(images=img3, ncols=3, titles=None, vmin=0.0, vmax=1.0, cell_size=0.5)),
        ("show_canvas", plots.show_canvas, dict(grid=img3[None], row_labels=None, col_labels=None, ax=None)),
        ("gaussian_ellipse", plots.gaussian_ellipse, dict(ax=ax, mean=[0, 0], variances=[1, 1], n_sigma=1.0)),
        ("latent_scatter", plots.latent_scatter, dict(ax=ax, codes=np.zeros((3, 2)), labels=[0, 1, 2])),
        ("training_curves", plots.training_curves, dict(history={"loss": [1.0, 0.5]}, keys=None)),
        ("table", plots.table, dict(rows=[{"a": 1}], columns=None)),
        ("class_scatter", plots.class_scatter, dict(ax=ax, x=np.zeros((2, 2)), y=[0, 1], label="class {}")),
        ("nb_ellipses", plots.nb_ellipses, dict(ax=ax, means=np.ones((2, 2)), variances=np.ones((2, 2)),
                                                n_sigmas=(1.0,))),
        ("probability_map", plots.probability_map,
         dict(ax=ax, predict_proba=lambda p: np.full((len(p), 2), 0.5), xlim=(0, 1), ylim=(0, 1), resolution=4)),
        ("learning_curves", plots.learning_curves, dict(rows=[{"model": "m", "n": 10, "error": 0.1}], ax=None)),
        ("symlog_bins", plots.symlog_bins, dict(values=[1.0, 10.0], linthresh=1.0, n_bins=4)),
        ("score_histograms", plots.score_histograms, dict(ax=ax, groups={"a": [1.0, 2.0]}, bins=4)),
        ("pixel_pair_hist", plots.pixel_pair_hist, dict(axes=[ax], image_sets={"a": img3}, pixel=(14, 13), bins=4)),
        ("per_class_bars", plots.per_class_bars, dict(ax=ax, values={"a": [1.0, 2.0]}, class_names=None)),
        ("model_grids", plots.model_grids, dict(grids={"a": img3[None]})),
        ("mode_collapse_panel", plots.mode_collapse_panel,
         dict(classes_per_epoch={"a": [1, 2]}, final_counts={"a": [1] * 10}, n_classes=10)),
        ("normal_quantile_grid", plots.normal_quantile_grid, dict(n=4, tail=0.05)),
        ("latent_manifold", plots.latent_manifold,
         dict(decode=lambda z: np.zeros((len(z), 28, 28)), n=3, tail=0.05, label_every=2)),
        ("mark_quantile_grid", plots.mark_quantile_grid, dict(ax=ax, n=3, tail=0.05)),
        ("shade_extrapolation", plots.shade_extrapolation, dict(ax=ax, lo=0.0, hi=1.0)),
        ("probability_along_alpha", plots.probability_along_alpha,
         dict(ax=ax, alphas=[0, 0.5, 1], probs=probs, highlight=(1,), xlim=None)),
        ("frame_strip", plots.frame_strip, dict(ax=ax, alphas=[0, 0.5, 1], frames=img3, every=1)),
        ("judged_paths_figure", plots.judged_paths_figure,
         dict(paths={"m": (img3, {"j": probs})}, alphas=[0, 0.5, 1], ncols=1, every=1)),
        ("band_along_alpha", plots.band_along_alpha, dict(ax=ax, alphas=[0, 1], values=np.zeros((2, 2)),
                                                          quantiles=(0.25, 0.75))),
        ("class_heatmap", plots.class_heatmap, dict(ax=ax, matrix=np.eye(3), vmin=0.0, vmax=1.0)),
        ("heatmap_grid", plots.heatmap_grid, dict(matrices={("r", "c"): np.eye(3)}, row_names=["r"],
                                                  col_names=["c"])),
        ("judge_scatter", plots.judge_scatter, dict(ax=ax, x_values=[0.1], y_values=[0.2], xlabel="x", ylabel="y",
                                                    lim=(0.0, 1.0))),
        ("pair_bands", plots.pair_bands, dict(ax=ax, alphas=[0, 1], probs={"j": np.full((2, 2, 10), 0.1)}, a=1,
                                              b=2)),
        ("realism_figure", plots.realism_figure,
         dict(alphas=[0, 1], entropy={"m": {"j": np.ones((2, 2))}}, distance={}, entropy_ref={"j": 1.0},
              distance_ref={})),
        ("pair_figure", plots.pair_figure, dict(alphas=[0, 0.5, 1], frames={"m": img3},
                                                probs={"m": {"j": np.full((2, 3, 10), 0.1)}}, a=1, b=2, every=1)),
        ("success_along_alpha", plots.success_along_alpha, dict(ax=ax, alphas=[0, 1], curves={"m": [0.1, 0.2]},
                                                                level=None)),
        ("per_class_distributions", plots.per_class_distributions,
         dict(values={"a": [1.0, 2.0]}, labels=[0, 1], units=None, ncols=1)),
        ("dose_curves", plots.dose_curves, dict(curves={("m", "t", "q"): [0.0, 1.0]}, alphas=[0, 1], methods=["q"],
                                                attributes=["t"], models=["m"], ylim=(-3.0, 3.0))),
        ("matrix_heatmaps", plots.matrix_heatmaps, dict(matrices={"t": [[0.1]]}, row_names=["a"], col_names=["b"],
                                                        vmax=1.0)),
    ]
    return R


def summary(value, depth=0):
    """A comparable digest of a result: arrays by shape, dtype and rounded values; figures by type."""
    import numpy as np

    if isinstance(value, np.ndarray):
        if value.dtype.kind in "biuf":
            v = np.round(np.nan_to_num(value.astype(np.float64), nan=-7.0, posinf=7e9, neginf=-7e9), 4)
            return ["array", list(value.shape), value.dtype.str, float(v.sum()), float(np.abs(v).sum())]
        return ["array", list(value.shape), value.dtype.str]
    if isinstance(value, (bool, int, str)) or value is None:
        return value
    if isinstance(value, float):
        return "nan" if value != value else round(value, 6)
    if depth > 3:
        return type(value).__name__
    if isinstance(value, dict):
        return {str(k): summary(v, depth + 1) for k, v in list(value.items())[:30]}
    if isinstance(value, (list, tuple)):
        return [summary(v, depth + 1) for v in value[:30]]
    return type(value).__name__


class Timeout(Exception):
    pass


def _alarm(signum, frame):
    raise Timeout()


def outcome(fn, kwargs):
    import keras
    import matplotlib.pyplot as plt
    import numpy as np

    keras.utils.set_random_seed(0)
    signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(20)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with np.errstate(all="ignore"):
                result = fn(**kwargs)
        out = ["ok", summary(result)]
    except Timeout:
        out = ["timeout"]
    except Exception as err:  # noqa: BLE001 - every outcome is recorded
        message = re.sub(r"0x[0-9a-f]+", "0x?", str(err))
        message = re.sub(r"/tmp/[^\s'\"]*", "/tmp/?", message)
        out = ["error", type(err).__name__, message[:600]]
    finally:
        signal.alarm(0)
        plt.close("all")
    return out


def survey(limit: str | None = None) -> dict:
    fixtures = _fixtures()
    results = {}
    for name, fn, base in registry(fixtures):
        if limit and not re.search(limit, name):
            continue
        results[f"{name}()"] = outcome(fn, base)
        for param in base:
            for label, bad in pool().items():
                results[f"{name}({param}={label})"] = outcome(fn, dict(base, **{param: bad}))
        params = list(base)
        for i, first in enumerate(params):
            for second in params[i + 1:]:
                for a, b in PAIRS:
                    bad = pool()
                    results[f"{name}({first}={a}, {second}={b})"] = outcome(fn, dict(base, **{first: bad[a],
                                                                                            second: bad[b]}))
    return results


def _run_on(helpers_root: Path, out: Path, limit: str | None) -> None:
    env = dict(os.environ, PYTHONPATH=str(helpers_root), TUTORIAL_QUICK="1", TF_CPP_MIN_LOG_LEVEL="3")
    code = (f"import json, sys; sys.path.append({str(REPO)!r}); from tools import check_parity as p; "
            f"json.dump(p.survey({limit!r}), open({str(out)!r}, 'w'))")
    subprocess.run([sys.executable, "-c", code], env=env, check=True, cwd=tempfile.gettempdir())


def kind(o) -> str:
    if o[0] != "error":
        return o[0]
    return "clear" if o[1] in ("TypeError", "ValueError", "DataError") else "unclear"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rev", default="HEAD", help="the revision to compare the work tree's helpers with")
    parser.add_argument("--only", default=None, help="a regular expression: survey these functions only")
    parser.add_argument("--out", default=None, help="write both surveys and the differences to this JSON file")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        base = tmp / "base"
        base.mkdir()
        archive = subprocess.run(["git", "archive", args.rev, "helpers"], cwd=REPO, capture_output=True, check=True)
        subprocess.run(["tar", "-x", "-C", str(base)], input=archive.stdout, check=True)
        os.environ.setdefault("TUTORIAL_ARTIFACTS", str(tmp / "artifacts"))
        _run_on(base, tmp / "old.json", args.only)
        _run_on(REPO, tmp / "new.json", args.only)
        old, new = (json.loads((tmp / f).read_text()) for f in ("old.json", "new.json"))
    differ = {k: {"old": old.get(k), "new": new.get(k)} for k in sorted(set(old) | set(new)) if old.get(k) != new.get(k)}
    for k, v in differ.items():
        print(f"{k}\n    old: {v['old']}\n    new: {v['new']}")
    for label, runs in (("old", old), ("new", new)):
        counts = {}
        for o in runs.values():
            counts[kind(o)] = counts.get(kind(o), 0) + 1
        print(f"{label} ({args.rev if label == 'old' else 'work tree'}): {len(runs)} calls, {counts}")
    print(f"{len(differ)} calls with a different outcome")
    if args.out:
        Path(args.out).write_text(json.dumps({"old": old, "new": new, "differ": differ}, indent=1))


if __name__ == "__main__":
    main()
