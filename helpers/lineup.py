"""The line-up of notebook 06: the models compared, their scoreboard, and the notebook's tables.

Introduced in notebook 06. :func:`contenders` loads (or trains) the five models
of the comparison (pixel-space Gaussian NB, the 2-d and 20-d VAEs, the BiGAN and
the class-prior VAE); :func:`score_contenders` runs the measurements of
``helpers.scoring`` on each under the judges of ``helpers.judges`` and returns a
:class:`Scoreboard`; the functions under "tables" turn a scoreboard into the
notebook's tables and into sentences written from the numbers (:func:`findings`).
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass
from typing import Any, Callable, Sequence

import numpy as np

from . import checks as ck
from . import config
from .checks import checked, ref
from .data import Dataset, as_dataset, load_mnist
from .judges import CNN_NAME, LR_NAME, Judge, KerasJudge, as_judges, check_probabilities, cnn_judge, lr_judge
from .latent import LatentSpace
from .scoring import (DEFAULT_ALPHAS, TransferResult, _check_alphas, band_share, class_transfer, entropy_bits, failure_split,
                      frechet_floor, judge_agreement, prior_centers, prior_distance, sample_frechet)

#: Display names of the models compared in notebook 06, in table order.
GNB_NAME = "GNB pixels"
VAE2_NAME = "VAE-2d"
VAE20_NAME = "VAE-20d"
BIGAN_NAME = "BiGAN"
CLASS_PRIOR_NAME = "VAE-20d class prior"
MODEL_NAMES = (GNB_NAME, VAE2_NAME, VAE20_NAME, BIGAN_NAME, CLASS_PRIOR_NAME)


# --- the contenders -----------------------------------------------------------------------------------
@dataclass
class Contender:
    """A generative model in the comparison, with what the summary needs to know about it."""

    name: str
    model: Any
    gaussian_prior: bool
    neg_elbo: float | None = None
    record: dict | None = None

    def __post_init__(self):
        if not isinstance(self.name, str) or not self.name:
            raise TypeError(f"Contender: name must be a non-empty string (the table's row label), got {self.name!r}.")
        from .interface import check_model

        check_model(self.model)
        self.gaussian_prior = ck.check_flag(self.gaussian_prior, name="gaussian_prior")
        if self.neg_elbo is not None:
            self.neg_elbo = ck.check_number(self.neg_elbo, name="neg_elbo")
        if self.record is not None and not isinstance(self.record, dict):
            raise TypeError(f"Contender: record must be a dict (the model's training record) or None, got "
                            f"{type(self.record).__name__}.")


# --- argument specs of this module (helpers.checks): what each function may be given ----------------------
def _contenders(models, *, name="models") -> list[Contender]:
    """A list of :class:`Contender` (as :func:`contenders` returns), or a clear TypeError."""
    if isinstance(models, Contender):
        return [models]
    if isinstance(models, (str, bytes, dict)) or not hasattr(models, "__iter__"):
        raise TypeError(f"models must be a list of Contender (from lineup.contenders(data)), "
                        f"got {type(models).__name__}.")
    models = list(models)
    wrong = [type(m).__name__ for m in models if not isinstance(m, Contender)]
    if wrong or not models:
        raise TypeError(f"models must be a non-empty list of Contender (from lineup.contenders(data)); got "
                        f"{wrong or 'an empty list'}. Wrap a model as Contender(name, model, gaussian_prior=...).")
    names = [m.name for m in models]
    if len(set(names)) != len(names):
        raise ValueError(f"models need distinct names, got {names}.")
    return models


def _judges(judges, *, name):
    return as_judges(judges, name=name)


def _spaces(spaces, *, name):
    if spaces is not None and not isinstance(spaces, dict):
        raise TypeError(f"spaces must be a dict of model name -> LatentSpace, got {type(spaces).__name__}.")
    return spaces


def _keras_model(model, *, name):
    if not hasattr(model, "layers") or not hasattr(model, "count_params"):
        raise TypeError(f"model must be a Keras model (e.g. the VAE's encoder), got {type(model).__name__}.")
    return model


def _judged_paths(paths, *, name, alphas, at):
    """{model: (frames, {judge: probabilities (A, 10)})} as built from judged_path, every alpha of ``at`` on the
    grid; the probabilities as float64 arrays."""
    if not isinstance(paths, dict):
        raise TypeError(f"paths must be a dict model -> (frames, {{judge: probabilities}}) from judged_path, "
                        f"got {type(paths).__name__}.")
    alphas = _check_alphas(alphas)
    for alpha in at:
        if not np.isclose(alphas[int(np.argmin(np.abs(alphas - alpha)))], alpha):
            raise ValueError(f"at: alpha {alpha:g} is not on the grid {np.round(alphas, 3).tolist()}.")
    out = {}
    for model, entry in paths.items():
        if not (isinstance(entry, tuple) and len(entry) == 2 and isinstance(entry[1], dict)):
            raise TypeError(f"paths[{model!r}] must be (frames, {{judge: probabilities}}) as judged_path returns.")
        by_judge = {}
        for judge, p in entry[1].items():
            p = ck.check_numbers(p, name=f"paths[{model!r}][{judge!r}]", ndim=2,
                                 what=f"probabilities ({len(alphas)}, 10) along the path")
            if len(p) != len(alphas):
                raise ValueError(f"paths[{model!r}][{judge!r}] has {len(p)} rows for {len(alphas)} alphas.")
            by_judge[judge] = check_probabilities(p, len(alphas), p.shape[1], name=f"paths[{model!r}][{judge!r}]")
        out[model] = (entry[0], by_judge)
    return out


def _alpha_grid(alphas, *, name):
    return _check_alphas(alphas)


def load_bigan(data: Dataset) -> tuple[Any, dict] | None:
    """The BiGAN of notebook 04 via ``helpers.bigan.pretrained_bigan``, or None if that module is not there yet."""
    try:
        from . import bigan
        loader: Callable = bigan.pretrained_bigan
    except (ImportError, AttributeError) as err:
        warnings.warn(f"BiGAN left out: helpers.bigan.pretrained_bigan is not available ({err}).", stacklevel=2)
        return None
    return loader(data)


@checked(data=ck.using(as_dataset))
def contenders(data: Dataset, *, include_bigan: bool = True, include_class_prior: bool = True,
               elbo: bool = True) -> list[Contender]:
    """Pixel-space Gaussian NB, the 2-d and 20-d VAEs, the BiGAN and the class-prior VAE, loaded from the
    cache or trained.

    The class-prior VAE's prior is a Gaussian mixture; its realism distance is to the nearest component.
    ``elbo=False`` skips the VAEs' test -ELBO (``neg_elbo`` None), which notebook 07 does not use.
    """
    from . import vae
    from .classical import PixelNaiveBayes

    out = [Contender(GNB_NAME, PixelNaiveBayes().fit(data.x_train, data.y_train), gaussian_prior=False)]
    for dim, name in ((2, VAE2_NAME), (20, VAE20_NAME)):
        model, record = vae.pretrained_vae(dim, data)
        neg_elbo = vae.negative_elbo(model, data.x_test)["neg_elbo"] if elbo else None
        out.append(Contender(name, model, gaussian_prior=True, neg_elbo=neg_elbo, record=record))
    if include_bigan:
        loaded = load_bigan(data)
        if loaded is not None:
            out.append(Contender(BIGAN_NAME, loaded[0], gaussian_prior=True, record=loaded[1]))
    if include_class_prior:
        model, record = vae.pretrained_class_prior_vae(data)
        neg_elbo = vae.negative_elbo(model, data.x_test)["neg_elbo"] if elbo else None
        out.append(Contender(CLASS_PRIOR_NAME, model, gaussian_prior=True, neg_elbo=neg_elbo, record=record))
    return out


@checked(models=ck.using(_contenders), data=ck.using(as_dataset))
def latent_spaces(models: Sequence[Contender], data: Dataset) -> dict[str, LatentSpace]:
    """Each model's latent space with class centroids from the training digits."""
    return {m.name: LatentSpace(m.model, data.x_train, data.y_train, name=m.name) for m in models}


@dataclass
class Scoreboard:
    """Everything notebook 06 measures for a list of contenders."""

    spaces: dict[str, LatentSpace]
    transfers: dict[str, dict[str, TransferResult]]  # model name -> judge name -> result
    frechet: dict[str, float]
    frechet_floor: float
    neg_elbo: dict[str, float | None]
    seconds: dict[str, float]

    def rows(self, judges: Sequence[str] = (CNN_NAME, LR_NAME)) -> list[dict[str, Any]]:
        """The summary table: one row per model (the test -ELBO column only when some model has one)."""
        rows = []
        with_elbo = any(v is not None for v in self.neg_elbo.values())
        for name, by_judge in self.transfers.items():
            row: dict[str, Any] = {"model": name}
            for j in judges:
                row[f"success at alpha=1 ({j})"] = by_judge[j].success_rate(1.0)
            for j in judges:
                row[f"median crossover ({j})"] = by_judge[j].median_crossover()
            row["Fréchet distance"] = self.frechet[name]
            elbo = self.neg_elbo.get(name)
            if with_elbo:
                row["test -ELBO (nats)"] = "n/a" if elbo is None else elbo
            rows.append(row)
        return rows

    def best(self, judge: str = CNN_NAME) -> dict[str, str]:
        """Winner per criterion: highest transfer success, lowest median crossover, lowest Frechet distance."""
        names = list(self.transfers)
        success = {n: self.transfers[n][judge].success_rate(1.0) for n in names}
        cross = {n: self.transfers[n][judge].median_crossover() for n in names}
        return {
            "success": max(names, key=lambda n: success[n]),
            "crossover": min(names, key=lambda n: cross[n]),
            "frechet": min(names, key=lambda n: self.frechet[n]),
        }

    def verdict(self, judge: str = CNN_NAME) -> str:
        """A sentence per criterion, written from the numbers, and the overall call."""
        b = self.best(judge)
        t = {n: self.transfers[n][judge] for n in self.transfers}
        lines = [
            f"Transfer success at alpha = 1 ({judge} judge): best {b['success']} "
            f"({t[b['success']].success_rate():.1%}).",
            f"Earliest median crossover: {b['crossover']} (alpha = {t[b['crossover']].median_crossover():.2f}).",
            f"Lowest Fréchet distance of samples: {b['frechet']} ({self.frechet[b['frechet']]:.2f}; "
            f"real-vs-real floor {self.frechet_floor:.2f}).",
        ]
        wins = {n: sum(v == n for v in b.values()) for n in self.transfers}
        top = max(wins, key=wins.get)
        if wins[top] == 3:
            lines.append(f"Verdict: {top} imagines best on all three counts.")
        elif b["success"] == b["frechet"]:
            lines.append(f"Verdict: {b['success']} imagines best: it moves digits to the target class most "
                         "reliably and draws the most realistic samples.")
        else:
            lines.append(f"Verdict: no single winner - {b['success']} moves digits between classes most reliably, "
                         f"while {b['frechet']} draws the most realistic samples.")
        return "\n".join(lines)


_A_BOARD = ck.instance(Scoreboard, "lineup.score_contenders(...)")


@checked(models=ck.using(_contenders), data=ck.using(as_dataset), judges=ck.using(_judges),
         spaces=ck.using(_spaces))
def score_contenders(
    models: Sequence[Contender],
    data: Dataset,
    cnn: KerasJudge,
    judges: Sequence[Judge],
    *,
    per_pair: int | None = None,
    alphas=DEFAULT_ALPHAS,
    frechet_samples: int | None = None,
    spaces: dict[str, LatentSpace] | None = None,
    verbose: bool = True,
) -> Scoreboard:
    """Latent spaces, transfer matrices (every judge), Frechet distances and the floor, for every model.

    ``spaces`` reuses latent spaces already built (see :func:`latent_spaces`).
    """
    n = int(frechet_samples or min(len(data.x_test), config.SETTINGS.frechet_samples))
    real = cnn.features(data.x_test[:n])
    floor = frechet_floor(cnn, data, n, real_features=real)
    spaces = dict(spaces or {})
    transfers, frechet, elbo, seconds = {}, {}, {}, {}
    for m in models:
        start = time.perf_counter()
        if m.name not in spaces:
            spaces[m.name] = LatentSpace(m.model, data.x_train, data.y_train, name=m.name)
        transfers[m.name] = class_transfer(spaces[m.name], data.x_test, data.y_test, judges, per_pair=per_pair,
                                           alphas=alphas, gaussian_prior=m.gaussian_prior)
        frechet[m.name] = sample_frechet(cnn, m.model, real, n)
        elbo[m.name] = m.neg_elbo
        seconds[m.name] = time.perf_counter() - start
        if verbose:
            print(f"{m.name}: scored in {seconds[m.name]:.1f} s")
    return Scoreboard(spaces, transfers, frechet, floor, elbo, seconds)


@checked(data=ck.optional(ck.using(as_dataset)))
def benchmark_figures(data: Dataset | None = None) -> dict[str, Any]:
    """The figures the benchmark table reports for notebook 06 (this mode's settings).

    CNN test accuracy and training seconds (from its cache record), the
    logistic regression's test accuracy, each model's transfer success at
    alpha = 1 under both judges, the share of reconstructions (alpha = 0) the CNN
    still names as their start class, the median crossover under the CNN judge,
    each model's sample Frechet distance, the real-vs-real floor, and the
    seconds the scoring itself took (models already loaded).
    """
    data = load_mnist() if data is None else data
    cnn, record = cnn_judge(data)
    lr = lr_judge(data)
    models = contenders(data)
    start = time.perf_counter()
    board = score_contenders(models, data, cnn, [cnn, lr], verbose=False)
    return {
        "cnn_test_accuracy": float(record["test_accuracy"]),
        "cnn_train_seconds": float(record["train_seconds"]),
        "lr_test_accuracy": lr.accuracy(data.x_test, data.y_test),
        "transfer_success_cnn": {n: r[CNN_NAME].success_rate(1.0) for n, r in board.transfers.items()},
        "transfer_success_lr": {n: r[LR_NAME].success_rate(1.0) for n, r in board.transfers.items()},
        "start_kept_cnn": {n: r[CNN_NAME].start_kept() for n, r in board.transfers.items()},
        "median_crossover_cnn": {n: r[CNN_NAME].median_crossover() for n, r in board.transfers.items()},
        "frechet": dict(board.frechet),
        "frechet_floor": board.frechet_floor,
        "scoring_seconds": time.perf_counter() - start,
        "transfer_per_pair": int(config.SETTINGS.transfer_per_pair),
        "mode": config.MODE,
    }


# --- tables for notebook 06 ---------------------------------------------------------------------------
@checked(model=ck.using(_keras_model))
def layer_rows(model) -> list[dict[str, Any]]:
    """One row per layer of a Keras model: name, output shape, parameters."""
    return [{"layer": layer.name, "output shape": str(tuple(layer.output.shape[1:])),
             "parameters": int(layer.count_params())} for layer in model.layers]


@checked(at=ck.numbers(ndim=1, what="alphas to report, on the grid"),
         paths=ck.using(_judged_paths, alphas=ref("alphas"), at=ref("at")), alphas=ck.using(_alpha_grid))
def path_rows(paths: dict, alphas=DEFAULT_ALPHAS, at: Sequence[float] = (0.0, 1.0, 2.0)) -> list[dict[str, Any]]:
    """What each judge says along each model's path: the judged class and its probability at a few alphas.

    ``paths`` is ``{model: (frames, {judge: probs (A, 10)})}`` as built from :func:`judged_path`.
    """
    rows = []
    for model, (_, by_judge) in paths.items():
        for judge, p in by_judge.items():
            row: dict[str, Any] = {"model": model, "judge": judge}
            for alpha in at:
                i = int(np.argmin(np.abs(alphas - alpha)))  # the grid point of this alpha
                c = int(p[i].argmax())
                row[f"alpha={alpha:g}"] = f"{c} ({p[i, c]:.2f})"
            rows.append(row)
    return rows


@checked(board=_A_BOARD)
def judge_comparison_rows(board: Scoreboard, first: str = CNN_NAME, second: str = LR_NAME) -> list[dict[str, Any]]:
    """Do the two judges tell the same story? Per model: success under each, their correlation over the
    90 pairs, and the share of all moved frames on which they name the same class."""
    rows = []
    for name, by_judge in board.transfers.items():
        s1, s2 = by_judge[first].success_matrix(1.0), by_judge[second].success_matrix(1.0)
        off = ~np.isnan(s1)
        corr = np.corrcoef(s1[off], s2[off])[0, 1] if np.std(s1[off]) > 0 and np.std(s2[off]) > 0 else float("nan")
        rows.append({
            "model": name,
            f"success ({first})": float(np.nanmean(s1)),
            f"success ({second})": float(np.nanmean(s2)),
            "pair correlation": float(corr),
            "same class named (all frames)": judge_agreement({first: by_judge[first], second: by_judge[second]}),
        })
    return rows


@checked(models=ck.using(_contenders), data=ck.using(as_dataset), judges=ck.using(_judges))
def realism_reference(board: Scoreboard, models: Sequence[Contender], data: Dataset, judges: Sequence[Judge],
                      q: float = 0.95, n: int | None = None) -> dict[str, dict[str, float]]:
    """The same realism figures on real test digits: where the data lives.

    ``entropy[judge]``: the q-quantile of the judge's entropy on real test
    digits; ``distance[model]``: the q-quantile of | |z| - E|z| | for the
    encoded test digits (models with a Gaussian prior only).
    """
    n = int(n or min(len(data.x_test), config.SETTINGS.frechet_samples))
    x = data.x_test[:n]
    entropy = {j.name: float(np.quantile(entropy_bits(j.predict_proba(x)), q)) for j in judges}
    distance = {}
    for m in models:
        if m.gaussian_prior:
            codes = board.spaces[m.name].encode(x)
            distance[m.name] = float(np.quantile(prior_distance(codes, centers=prior_centers(m.model)), q))
    return {"entropy": entropy, "distance": distance, "q": q}


@checked(board=_A_BOARD)
def realism_rows(board: Scoreboard, reference: dict, judge: str = CNN_NAME,
                 at: Sequence[float] = (-0.5, 0.0, 0.5, 1.0, 1.5, 2.0)) -> list[dict[str, Any]]:
    """Realism of the moved digits at a few alphas, per model, against the real-data levels in ``reference``.

    Three rows per model (the last only with a Gaussian prior): the judge's
    median entropy; the share of moved digits more uncertain than 95 % of real
    test digits; the share of moved codes farther from the prior's typical
    set than 95 % of real test codes.
    """
    rows = []
    q = int(round(100 * reference.get("q", 0.95)))
    for name, by_judge in board.transfers.items():
        r = by_judge[judge]
        idx = [r.alpha_index(alpha) for alpha in at]
        cols = [f"alpha={alpha:g}" for alpha in at]
        ent = r.entropy()
        measures = [
            (f"median {judge} entropy (bits)", np.median(ent, axis=0)),
            (f"share more uncertain than {q}% of real digits", band_share(ent, reference["entropy"][judge])),
        ]
        dist = r.distances()
        if dist is not None and name in reference["distance"]:
            measures.append((f"share of codes outside {q}% of real codes", band_share(dist, reference["distance"][name])))
        for label, values in measures:
            rows.append({"model": name, "measure": label, **{c: float(values[i]) for c, i in zip(cols, idx)}})
    return rows


@checked(board=_A_BOARD)
def findings(board: Scoreboard, reference: dict, accuracy: dict[str, float], judge: str = CNN_NAME,
             other: str = LR_NAME) -> list[str]:
    """The notebook's conclusions as sentences written from the numbers, so the text follows the run."""
    names = list(board.transfers)
    succ = {n: board.transfers[n][judge].success_rate() for n in names}
    succ_other = {n: board.transfers[n][other].success_rate() for n in names}
    best, worst = max(names, key=succ.get), min(names, key=succ.get)
    lenient = [n for n in names if succ_other[n] > succ[n]]
    agree = {n: judge_agreement({judge: board.transfers[n][judge], other: board.transfers[n][other]}) for n in names}
    out = [
        f"The judges are right on {accuracy[judge]:.1%} ({judge}) and {accuracy[other]:.1%} ({other}) of the "
        "real test digits.",
        f"At alpha = 1 the {judge} labels {succ[best]:.0%} of the moved digits of {best} as the target class, the most "
        f"of the {len(names)} models; {worst} manages {succ[worst]:.0%}.",
        f"{other[:1].upper()}{other[1:]} counts more moved digits as successes than the {judge} for "
        f"{len(lenient)} of {len(names)} models"
        + (f" ({', '.join(lenient)})" if lenient else "")
        + f"; the two judges name the same class on {min(agree.values()):.0%} to {max(agree.values()):.0%} of all "
        "moved frames, depending on the model.",
    ]
    r0 = board.transfers[names[0]][judge]
    i1, i2 = r0.alpha_index(1.0), r0.alpha_index(float(r0.alphas[-1]))
    a_max = float(r0.alphas[-1])
    third = {n: failure_split(board.transfers[n][judge])["third class"] for n in names}
    out.append("When the " + judge + " does not name the target at alpha = 1, the digit has moved on to a third class "
               "(rather than stayed b) in " + ", ".join(f"{third[n]:.0%} ({n})" for n in names)
               + " of those cases.")
    if np.any(np.isclose(r0.alphas, 0.0, atol=1e-6)):
        kept = {n: board.transfers[n][judge].start_kept() for n in names}
        out.append(f"At alpha = 0, the reconstruction itself, the {judge} names the start class for "
                   + ", ".join(f"{kept[n]:.0%} ({n})" for n in names)
                   + " of the digits: the ceiling for any move.")
    if a_max > 1.0:
        at_max = {n: board.transfers[n][judge].success_rate(a_max) for n in names}
        groups = [("raises", [n for n in names if at_max[n] > succ[n]]),
                  ("lowers", [n for n in names if at_max[n] < succ[n]]),
                  ("leaves unchanged", [n for n in names if at_max[n] == succ[n]])]
        parts = [f"{verb} the success of " + ", ".join(f"{n} (to {at_max[n]:.0%})" for n in group)
                 for verb, group in groups if group]
        out.append(f"Going beyond the full vector to alpha = {a_max:g} " + "; it ".join(parts) + ".")
    for n in names:
        r = board.transfers[n][judge]
        unsure = band_share(r.entropy(), reference["entropy"][judge])
        text = (f"{n}: the {judge} is less sure than on 95% of real digits for {unsure[i1]:.0%} of moved digits at "
                f"alpha = 1 and {unsure[i2]:.0%} at alpha = {a_max:g}")
        dist = r.distances()
        if dist is not None and n in reference["distance"]:
            outside = band_share(dist, reference["distance"][n])
            text += (f"; {outside[i1]:.0%} (alpha = 1) and {outside[i2]:.0%} (alpha = {a_max:g}) of its moved codes "
                     "lie farther from the prior's typical set than 95% of real codes")
        out.append(text + ".")
    fd_best, fd_worst = min(names, key=board.frechet.get), max(names, key=board.frechet.get)
    out.append(f"Sample Fréchet distances run from {board.frechet[fd_best]:.1f} ({fd_best}) to "
               f"{board.frechet[fd_worst]:.1f} ({fd_worst}); real digits against real digits score "
               f"{board.frechet_floor:.2f}.")
    out.extend(board.verdict(judge).splitlines()[-1:])
    return out


@checked(board=_A_BOARD)
def success_rows(board: Scoreboard, at: Sequence[float] = (0.5, 1.0, 1.5, 2.0), level: float = 0.9) -> list[dict[str, Any]]:
    """Success over the 90 pairs at a few alphas, per model and judge, and the first alpha reaching ``level``."""
    rows = []
    for name, by_judge in board.transfers.items():
        for judge, r in by_judge.items():
            row: dict[str, Any] = {"model": name, "judge": judge}
            row.update({f"alpha={a:g}": r.success_rate(a) for a in at})
            reach = r.alpha_reaching(level)
            row[f"first alpha with {level:.0%}"] = "not on the grid" if np.isinf(reach) else f"{reach:g}"
            rows.append(row)
    return rows
