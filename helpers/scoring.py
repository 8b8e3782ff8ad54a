"""Judging generated digits with numbers: class transfer, realism and sample quality.

Introduced in notebook 06. The 2018 seed showed a few interpolated images to
a logistic-regression classifier and said it "pretty much agrees with our
perception". This module turns that remark into measurements. The judges
themselves (a logistic regression and a CNN, one interface) live in
``helpers.judges``; the line-up of models and the notebook's summary tables
in ``helpers.lineup``.

Class transfer
    :func:`class_transfer` moves held-out test digits of class b along
    z_a - z_b (``LatentSpace.moved_codes`` and one decode call per start
    class) and records what every judge says at every alpha.
    :class:`TransferResult` turns that into the directed 10 x 10 success
    matrix at alpha = 1 and the crossover alpha where p(a) overtakes p(b)
    (:func:`crossover_alpha`).

Realism
    The judge's entropy along alpha (:func:`entropy_bits`) and, for models
    with a N(0, I) prior, the distance of the moved code from the prior's
    typical set, | |z| - E|z| | (:func:`prior_distance`).

Sample quality
    :func:`frechet_distance` between CNN features of real test digits and of
    a model's samples: an MNIST analogue of the FID (Heusel et al. 2017),
    with :func:`frechet_floor` (real train digits vs real test digits, same
    sample size) as the floor no model can beat.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np
from scipy import linalg

from . import checks as ck
from . import config
from .checks import checked, ref
from .data import Dataset, as_dataset, check_memory
from .judges import PROBABILITY_TOLERANCE, Judge, KerasJudge, as_judges
from .latent import N_CLASSES, LatentSpace, class_centroids, ordered_pairs, path_norms, prior_typical_norm

#: The alpha grid of the transfer experiment: from -0.5 (away from a) to 2
#: (twice the class vector), step 0.125, so 0 and 1 are grid points.
DEFAULT_ALPHAS = np.round(np.arange(-0.5, 2.0 + 1e-9, 0.125), 6).astype(np.float64)


# --- argument specs of this module (helpers.checks): what each function may be given ----------------------
def _probabilities(probs, *, name):
    """Probability vectors along the last axis: entries in [0, 1], each row summing to 1 (within the judges'
    PROBABILITY_TOLERANCE, for float32 softmax outputs)."""
    p = ck.check_numbers(probs, name=name, what="probabilities (..., n_classes) in [0, 1]")
    if p.ndim == 0 or p.shape[-1] == 0 or (p.size and (p.min() < -1e-6 or p.max() > 1 + 1e-6)):
        raise ValueError(f"probs: expected probabilities (..., n_classes) in [0, 1], got shape {p.shape}"
                         + (f" with values in [{p.min():.3g}, {p.max():.3g}]." if p.size else "."))
    sums = p.sum(axis=-1)
    off = np.abs(sums - 1.0)
    if off.size and off.max() > PROBABILITY_TOLERANCE:
        where = np.unravel_index(off.argmax(), off.shape)
        row = "the vector" if not where else f"row {int(where[0]) if len(where) == 1 else tuple(map(int, where))}"
        raise ValueError(f"probs: rows must be probabilities that sum to 1 (within {PROBABILITY_TOLERANCE:g}), but "
                         f"{row} sums to {sums[where]:.4g}; pass one probability per class, normalised per row "
                         "(e.g. p / p.sum(axis=-1, keepdims=True), or a judge's predict_proba).")
    return p


def _alpha_grid(alphas, *, name="alphas") -> np.ndarray:
    """A 1-D grid of at least two finite, strictly increasing alphas."""
    try:
        if ck.not_meant_as_numbers(alphas):
            raise TypeError
        a = np.asarray(alphas, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"alphas must be a 1-D grid of real numbers, got {alphas!r}.") from None
    if a.size > ck.MAX_ALPHAS:
        raise ValueError(f"alphas: got {a.size:,} values; pass at most {ck.MAX_ALPHAS:,}.")
    if a.ndim != 1 or len(a) < 2:
        raise ValueError(f"alphas must be a 1-D grid of at least two values, got shape {a.shape}.")
    if not np.all(np.isfinite(a)):
        raise ValueError("alphas must be finite.")
    if not np.all(np.diff(a) > 0):
        raise ValueError("alphas must be strictly increasing.")
    return a


def _check_alphas(alphas) -> np.ndarray:
    """:func:`_alpha_grid` for callers outside the decorator (helpers.lineup)."""
    return _alpha_grid(alphas)


def _curves(p, *, name):
    return ck.check_numbers(p, name=name, finite=False, what="probabilities (..., A)")


def _start_curves(ps, *, name, p_target, alphas):
    """p(b) curves matching the p(a) curves and the grid; no NaN in either."""
    ps = _curves(ps, name=name)
    pt = p_target
    if pt.shape != ps.shape or pt.ndim == 0 or pt.shape[-1] != len(alphas):
        raise ValueError(
            f"p_target {pt.shape} and p_start {ps.shape} must have the same shape (..., {len(alphas)})."
        )
    if not (np.all(np.isfinite(pt)) and np.all(np.isfinite(ps))):
        raise ValueError("probabilities contain NaN or infinite values.")
    return ps


def _codes(codes, *, name):
    codes = ck.check_numbers(codes, name=name, what="codes (..., d)")
    if codes.ndim == 0 or codes.shape[-1] == 0:
        raise ValueError(f"codes must be finite codes (..., d), got shape {codes.shape}.")
    return codes


def _code_size(latent_dim, *, name, codes):
    d = codes.shape[-1] if latent_dim is None else ck.check_count(latent_dim, name=name, minimum=1)
    if d != codes.shape[-1]:
        raise ValueError(f"latent_dim={d} but the codes have {codes.shape[-1]} dimensions; leave latent_dim out.")
    return int(d)


def _centers(centers, *, name, codes):
    if centers is None:
        return None
    centers = ck.check_numbers(centers, name=name, what=f"prior means (K, {codes.shape[-1]})")
    if centers.ndim != 2 or centers.shape[1] != codes.shape[-1] or len(centers) == 0:
        raise ValueError(f"centers must have shape (K, {codes.shape[-1]}) with K >= 1, got {centers.shape}; "
                         "pass None for the N(0, I) prior.")
    return centers


def _grid_alpha(alpha, *, name, alphas):
    """An alpha of the grid ``alphas``."""
    if isinstance(alpha, (bool, np.bool_)) or not isinstance(alpha, (int, float, np.integer, np.floating)):
        raise TypeError(f"alpha must be a number on the grid, got {alpha!r}.")
    if not np.any(np.isclose(alphas, alpha, atol=1e-6)):
        raise ValueError(f"alpha {alpha} is not on the grid {np.round(alphas, 3).tolist()}.")
    return alpha


def _other_class(b, *, name, a, n_classes):
    b = ck.check_class(b, n_classes, name=name)
    if a == b:
        raise ValueError("a and b must differ.")
    return b


def _result_classes(result):
    return result.n_classes


def _result_alphas(result):
    return result.alphas


def _per_class(per_class, *, name, y_test, n_classes):
    """How many test digits of each class to take: every class must have that many."""
    per_class = ck.check_count(per_class, name=name, minimum=1)
    for c in range(n_classes):
        found = int(np.sum(y_test == c))
        if found < per_class:
            raise ValueError(f"only {found} test digits of class {c}; {per_class} per pair were asked for.")
    return per_class


def _per_pair(per_pair, *, name):
    return ck.check_count(config.SETTINGS.transfer_per_pair if per_pair is None else per_pair, name=name, minimum=1)


def _space(space, *, name):
    if not isinstance(space, LatentSpace):
        raise TypeError(f"space must be a LatentSpace, got {type(space).__name__}; wrap a model as "
                        "LatentSpace(model, data.x_train, data.y_train).")
    return space


def _space_classes(space):
    return space.n_classes


def _judges(judges, *, name):
    return as_judges(judges, name=name)


def _one_image(x, *, name):
    x = ck.check_images(x, name=name)
    if len(x) != 1:
        raise ValueError(f"judged_path moves one image; got {len(x)} (pass x[i:i + 1]).")
    return x


def _result(result, *, name):
    if not isinstance(result, TransferResult):
        raise TypeError(f"{name} must be a TransferResult (one value of what class_transfer returns), "
                        f"got {type(result).__name__}.")
    return result


def _results(results, *, name):
    """{judge name: TransferResult} of at least two judges."""
    if not isinstance(results, dict):
        raise TypeError(f"results must be the dict class_transfer returns (judge name -> TransferResult), "
                        f"got {type(results).__name__}.")
    for r in results.values():
        _result(r, name="results values")
    if len(results) < 2:
        raise ValueError("need at least two judges to compare.")
    return results


def _rows(values, *, name):
    values = ck.check_numbers(values, name=name, ndim=2, finite=False, what="values (M, A)")
    if len(values) == 0:
        raise ValueError("values: no rows to take a share of.")
    return values


def _features(f, *, name, like=None) -> np.ndarray:
    """Features (N >= 2, k) of finite numbers; as many columns as ``like``."""
    f = ck.check_numbers(f, name=name, finite=False, what="features (N, k)")
    if f.ndim != 2:
        raise ValueError(f"{name}: expected features of shape (N, k), got {f.shape}.")
    if len(f) < 2:
        raise ValueError(f"{name}: need at least two samples to estimate a covariance, got {len(f)}.")
    if not np.all(np.isfinite(f)):
        raise ValueError(f"{name}: contains NaN or infinite values.")
    if like is not None and like.shape[1] != f.shape[1]:
        raise ValueError(f"feature sizes differ: {like.shape[1]} and {f.shape[1]}.")
    if f.shape[1] == 0:
        raise ValueError(f"{name}: got features of shape {f.shape}; pass at least one feature per sample.")
    check_memory(8.0 * 4 * f.shape[1] ** 2, name=name, what=f"covariances of {f.shape[1]:,} features")
    return f


def _matching_moments(eps, *, name, mu1, cov1, mu2, cov2):
    """eps >= 0, for means (k,) and covariances (k, k) of one size k."""
    eps = ck.check_number(eps, name=name, low=0.0)
    k = mu1.shape[0]
    if mu1.shape != (k,) or mu2.shape != (k,) or cov1.shape != (k, k) or cov2.shape != (k, k):
        raise ValueError(f"shapes do not match: means {mu1.shape}, {mu2.shape}; covariances {cov1.shape}, {cov2.shape}.")
    for label, cov in (("cov1", cov1), ("cov2", cov2)):
        scale = max(1.0, float(np.abs(cov).max()) if cov.size else 1.0)
        if not np.allclose(cov, cov.T, rtol=1e-6, atol=1e-9 * scale):
            raise ValueError(f"{label} is not symmetric; pass a covariance matrix, e.g. np.cov(features, rowvar=False).")
        if k and np.linalg.eigvalsh(cov).min() < -1e-6 * scale:
            raise ValueError(f"{label} has a negative eigenvalue; a covariance is positive semi-definite "
                             "(np.cov(features, rowvar=False) gives one).")
    with np.errstate(over="ignore", invalid="ignore"):
        size = float(np.sum((mu1 - mu2) ** 2) + np.abs(np.trace(cov1)) + np.abs(np.trace(cov2)))
    if not np.isfinite(size):
        raise _overflow(mu1, cov1, mu2, cov2)
    return eps


def _feature_judge(judge, *, name):
    if not callable(getattr(judge, "features", None)):
        raise TypeError(f"judge must have a features() layer (the CNN judge, judges.cnn_judge()[0]), "
                        f"got {type(judge).__name__}.")
    return judge


def _floor_size(n, *, name, data):
    return ck.check_count(n or min(len(data.x_test), config.SETTINGS.frechet_samples), name=name, minimum=2)


def _sample_size(n, *, name, real_features):
    return ck.check_count(n or len(real_features), name=name, minimum=2)


#: Codes whose largest entry lies within [2**-32, 2**32] are measured as they are; beyond, divided by a power of two.
ORDINARY_CODES = (2.0**-32, 2.0**32)


def _scale_exponent(*arrays: np.ndarray) -> int:
    """0 for codes of ordinary size (``ORDINARY_CODES``); else the power of two that brings the largest entry
    into [0.5, 1).

    Dividing by a power of two is exact and changes no ratio, and keeps squared distances, covariances and
    float32 centroids from overflowing (codes of 1e160: inf and NaN) or underflowing (1e-160: all 0).
    """
    largest = max(max(float(a.max(initial=0.0)), -float(a.min(initial=0.0))) for a in arrays)
    if largest == 0.0 or ORDINARY_CODES[0] <= largest <= ORDINARY_CODES[1]:
        return 0
    return int(np.frexp(largest)[1])


def _shape_codes(codes, *, name):
    return ck.check_numbers(codes, name=name, finite=False, what="codes (N, d)")


def _shape_labels(labels, *, name, codes, n_classes):
    """One label per code (N,), for finite codes (N, d), every class with at least two codes."""
    if codes.ndim != 2:
        raise ValueError(f"codes must be (N, d), got shape {codes.shape}.")
    if not np.all(np.isfinite(codes)):
        raise ValueError("codes contain NaN or infinite values.")
    labels = ck.check_labels(labels, len(codes), n_classes, name=name)
    for c in range(n_classes):
        own = int(np.sum(labels == c))
        if own < 2:
            raise ValueError(f"class {c} has {own} codes; at least two are needed for a covariance.")
    return labels


def _test_labels(test_labels, *, name, test_codes, train_codes, n_classes):
    test_labels = ck.check_labels(test_labels, len(test_codes), n_classes, name=name)
    if test_codes.ndim != 2 or test_codes.shape[1] != train_codes.shape[1] or test_labels.shape != (len(test_codes),):
        raise ValueError(f"test codes {test_codes.shape} and labels {test_labels.shape} do not match the training "
                         f"codes {train_codes.shape}.")
    return test_labels


def _finite_layout(layout, name, args):
    """class_geometry's result: a spread and separation within float64 (codes near 1e308 put them beyond), and
    a ratio that is defined (all training codes at one point give 0 / 0)."""
    if layout["spread"] == 0 and layout["separation"] == 0:
        raise ValueError("train_codes: every training code is the same point, so spread and separation are both 0 "
                         "and the layout is undefined; pass codes that vary (encode the digits with a trained model).")
    if not all(np.isfinite(layout[key]) for key in ("spread", "separation")):
        largest = max(float(np.abs(args[key]).max(initial=0.0)) for key in ("train_codes", "test_codes"))
        raise ValueError(f"train_codes and test_codes: codes as large as {largest:.3g} put the classes' spread or "
                         "separation beyond the float64 range (about 1.8e308); divide all codes by a common factor "
                         "(the ratios, the nearest-centroid shares and the shape mismatch do not change).")
    return layout


def _geometry_per_pair(per_pair, *, name, test_labels, n_classes):
    per_pair = _per_pair(per_pair, name=name)
    _per_class(per_pair, name=name, y_test=test_labels, n_classes=n_classes)
    return per_pair


# --- measurements on probability curves ------------------------------------------------------------
@checked(probs=ck.using(_probabilities))
def entropy_bits(probs) -> np.ndarray:
    """Entropy of each probability vector (last axis) in bits: 0 = certain, log2(10) = 3.32 = clueless."""
    p = probs
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(p > 0, p * np.log2(np.where(p > 0, p, 1.0)), 0.0)
    return -terms.sum(axis=-1)


@checked(alphas=ck.using(_alpha_grid), p_target=ck.using(_curves),
         p_start=ck.using(_start_curves, p_target=ref("p_target"), alphas=ref("alphas")))
def crossover_alpha(alphas, p_target, p_start) -> np.ndarray:
    """The smallest alpha at which p(a) overtakes p(b), per curve.

    ``p_target`` and ``p_start`` are probabilities (..., A) on the grid
    ``alphas`` (A,). Between grid points the difference d = p(a) - p(b) is
    interpolated linearly, so the crossover is where that polyline first
    reaches zero from below:

    - the first grid alpha if p(a) already leads (d >= 0) at the first point;
    - ``+inf`` if p(a) never catches up on the grid (so medians stay defined:
      a median of inf means more than half never crossed).
    """
    d = p_target - p_start
    ahead = d >= 0
    ever = ahead.any(axis=-1)
    first = ahead.argmax(axis=-1)  # index of the first grid point where p(a) leads
    before = np.maximum(first - 1, 0)
    d1 = np.take_along_axis(d, first[..., None], axis=-1)[..., 0]
    d0 = np.take_along_axis(d, before[..., None], axis=-1)[..., 0]
    a0, a1 = alphas[before], alphas[first]
    with np.errstate(divide="ignore", invalid="ignore"):
        frac = np.where(first > 0, -d0 / (d1 - d0), 0.0)  # d0 < 0 <= d1 here, so d1 - d0 > 0
    return np.where(ever, a0 + frac * (a1 - a0), np.inf)


@checked(codes=ck.using(_codes), latent_dim=ck.using(_code_size, codes=ref("codes")),
         centers=ck.using(_centers, codes=ref("codes")))
def prior_distance(codes, latent_dim: int | None = None, centers=None) -> np.ndarray:
    """| |z| - E|z| | for codes (..., d): how far each code is from the N(0, I) prior's typical set.

    With ``centers`` (K, d), the prior is a mixture of N(c_k, I) (the class-prior
    VAE): the distance to the nearest component's typical set.
    """
    typical = prior_typical_norm(latent_dim)
    if centers is None:
        return np.abs(path_norms(codes) - typical)
    norms = np.linalg.norm(codes[..., None, :] - centers, axis=-1)  # (..., K)
    return np.abs(norms - typical).min(axis=-1)


def prior_centers(model) -> np.ndarray | None:
    """The component means of a mixture prior (``model.prior_means()``), or None for N(0, I)."""
    means = getattr(model, "prior_means", None)
    if means is None:
        return None
    if not callable(means):
        raise TypeError(f"{type(model).__name__}.prior_means must be a method returning the prior's means (K, d), "
                        f"got {type(means).__name__}.")
    centers = ck.check_numbers(means(), name=f"{type(model).__name__}.prior_means()", ndim=2,
                               what="the prior's component means (K, d)")
    if len(centers) == 0:
        raise ValueError(f"{type(model).__name__}.prior_means() returned no means; a mixture prior has K >= 1.")
    return centers


# --- the class-transfer experiment ------------------------------------------------------------------
@dataclass
class TransferResult:
    """What one judge says about test digits of class b moved along z_a - z_b, for every ordered pair.

    ``probs[b, a]`` is (n, A, 10): n test digits of class b, A alphas; the
    diagonal (a == b) is NaN. ``prior_dist[b, a]`` is (n, A) for models with
    a N(0, I) prior, else None. Matrices are indexed [start class b, target class a].
    """

    model_name: str
    judge_name: str
    alphas: np.ndarray
    probs: np.ndarray
    prior_dist: np.ndarray | None = None
    _cross: np.ndarray | None = field(default=None, repr=False)

    @property
    def n_classes(self) -> int:
        return self.probs.shape[0]

    @property
    def per_pair(self) -> int:
        return self.probs.shape[2]

    def _off_diagonal(self) -> np.ndarray:
        return ~np.eye(self.n_classes, dtype=bool)

    @checked(alpha=ck.using(_grid_alpha, alphas=ref("self", _result_alphas)))
    def alpha_index(self, alpha: float) -> int:
        return int(np.flatnonzero(np.isclose(self.alphas, alpha, atol=1e-6))[0])

    def judged(self, alpha: float = 1.0) -> np.ndarray:
        """The judged class of every moved digit at ``alpha``: (10, 10, n), -1 on the diagonal."""
        p = self.probs[:, :, :, self.alpha_index(alpha), :]
        out = np.nan_to_num(p, nan=-1.0).argmax(axis=-1)
        out[~self._off_diagonal()] = -1
        return out

    def success_matrix(self, alpha: float = 1.0) -> np.ndarray:
        """Share of moved digits judged as the target a at ``alpha``: (10, 10), NaN diagonal."""
        targets = np.arange(self.n_classes)[None, :, None]
        m = (self.judged(alpha) == targets).mean(axis=-1)
        m = m.astype(np.float64)
        m[~self._off_diagonal()] = np.nan
        return m

    def success_rate(self, alpha: float = 1.0) -> float:
        """Success at ``alpha`` averaged over the ordered pairs (each pair weighs the same)."""
        return float(np.nanmean(self.success_matrix(alpha)))

    def start_kept(self) -> float:
        """Share of digits the judge names as their own start class b at alpha = 0.

        At alpha = 0 the frame is decode(encode(x)), the model's reconstruction,
        so this is the ceiling for any move: a digit the judge does not
        recognise before moving is unlikely to be recognised as a after it.
        """
        starts = np.arange(self.n_classes)[:, None, None]
        kept = (self.judged(0.0) == starts).mean(axis=-1).astype(np.float64)
        kept[~self._off_diagonal()] = np.nan
        return float(np.nanmean(kept))

    def crossovers(self) -> np.ndarray:
        """Crossover alpha of every moved digit: (10, 10, n); NaN on the diagonal, inf if never.

        The search starts at alpha = 0, the digit itself, and runs along the
        vector towards a: behind the start (alpha < 0) p(a) and p(b) can both
        be near zero, and a tie there says nothing about moving from b to a.
        0 means the judge already prefers a to b at alpha = 0.
        """
        if self._cross is None:
            c = self.n_classes
            keep = self.alphas >= -1e-9
            if keep.sum() < 2:
                raise ValueError("the alpha grid needs at least two values >= 0 to find crossovers.")
            alphas = self.alphas[keep]
            out = np.full((c, c, self.per_pair), np.nan)
            for b in range(c):
                for a in range(c):
                    if a != b:
                        p = self.probs[b, a][:, keep]
                        out[b, a] = crossover_alpha(alphas, p[..., a], p[..., b])
            self._cross = out
        return self._cross

    def success_curve(self) -> np.ndarray:
        """Success (judged as the target, averaged over the pairs) at every alpha of the grid: (A,)."""
        return np.array([self.success_rate(float(a)) for a in self.alphas])

    @checked(level=ck.number())  # above 1: never reached, inf
    def alpha_reaching(self, level: float) -> float:
        """The smallest grid alpha >= 0 at which the success over the pairs reaches ``level`` (inf if none)."""
        curve = self.success_curve()
        ok = (self.alphas >= 0) & (curve >= level)
        return float(self.alphas[ok][0]) if ok.any() else float("inf")

    def crossover_matrix(self) -> np.ndarray:
        """Median crossover alpha per pair (10, 10); inf where most digits never crossed."""
        c = self.crossovers()
        m = np.full(c.shape[:2], np.nan)
        off = self._off_diagonal()
        m[off] = np.median(c[off], axis=-1)
        return m

    def median_crossover(self) -> float:
        """Median crossover over every pair and digit (inf if more than half never crossed)."""
        return float(np.median(self.crossovers()[self._off_diagonal()]))

    def never_crossed(self) -> float:
        """Share of moved digits whose p(a) never overtook p(b) on the grid."""
        return float(np.mean(np.isinf(self.crossovers()[self._off_diagonal()])))

    def entropy(self) -> np.ndarray:
        """Judge entropy (bits) of every moved digit over the off-diagonal pairs: (90 * n, A)."""
        return entropy_bits(self.probs[self._off_diagonal()]).reshape(-1, len(self.alphas))

    def distances(self) -> np.ndarray | None:
        """Prior distance of every moved code: (90 * n, A), or None without a Gaussian prior."""
        if self.prior_dist is None:
            return None
        return self.prior_dist[self._off_diagonal()].reshape(-1, len(self.alphas))

    @checked(b=ck.class_id(ref("self", _result_classes)),
             a=ck.using(_other_class, a=ref("b"), n_classes=ref("self", _result_classes)))
    def pair_curves(self, b: int, a: int) -> np.ndarray:
        """Probabilities (n, A, 10) of the digits of class b moved towards a."""
        return self.probs[b, a]


@checked(n_classes=ck.count(minimum=1), y_test=ck.labels(n_classes=ref("n_classes")),
         per_class=ck.using(_per_class, y_test=ref("y_test"), n_classes=ref("n_classes")))
def test_digits_per_class(y_test, per_class: int, n_classes: int = N_CLASSES) -> np.ndarray:
    """Indices (n_classes, per_class) of the first ``per_class`` test digits of each class."""
    return np.stack([np.flatnonzero(y_test == c)[:per_class] for c in range(n_classes)])


@checked(space=ck.using(_space), judges=ck.using(_judges), per_pair=ck.using(_per_pair),
         alphas=ck.using(_alpha_grid), x_test=ck.images(),
         y_test=ck.labels(n=ref("x_test", len), n_classes=ref("space", _space_classes)), gaussian_prior=ck.flag())
def class_transfer(
    space: LatentSpace,
    x_test,
    y_test,
    judges: Sequence[Judge],
    *,
    per_pair: int | None = None,
    alphas=DEFAULT_ALPHAS,
    gaussian_prior: bool = False,
    method: str = "centroid",
) -> dict[str, TransferResult]:
    """Move held-out digits of every class b along z_a - z_b for every target a; judge every frame.

    For each start class b: one encode of its ``per_pair`` test digits, the
    moved codes for all nine targets and every alpha at once
    (``LatentSpace.moved_codes``), one decode call and one call per judge.
    Returns ``{judge.name: TransferResult}``.
    """
    names = [j.name for j in judges]
    c, k, d = space.n_classes, len(alphas), space.latent_dim
    chosen = test_digits_per_class(y_test, per_pair, c)
    probs = {n: np.full((c, c, per_pair, k, c), np.nan, np.float32) for n in names}
    dist = np.full((c, c, per_pair, k), np.nan, np.float32) if gaussian_prior else None
    for b in range(c):
        codes = space.encode(x_test[chosen[b]])
        targets = [a for a in range(c) if a != b]
        moved = np.stack([space.moved_codes(codes, space.vector(a, b, method), alphas) for a in targets])
        images = space.decode(moved.reshape(-1, d)).reshape(len(targets), per_pair, k, 28, 28)
        for judge in judges:
            probs[judge.name][b, targets] = judge.predict_proba(images)
        if dist is not None:
            dist[b, targets] = prior_distance(moved, d, prior_centers(space.model))
    return {n: TransferResult(space.name, n, alphas, probs[n], dist) for n in names}


@checked(space=ck.using(_space), judges=ck.using(_judges), x=ck.using(_one_image))
def judged_path(space: LatentSpace, judges: Sequence[Judge], x, a: int, b: int, alphas=DEFAULT_ALPHAS):
    """One digit moved along z_a - z_b: frames (A, 28, 28) and {judge name: probabilities (A, 10)}."""
    frames = space.move(x, a, b, alphas)[0]
    return frames, {j.name: j.predict_proba(frames) for j in judges}


@checked(result=ck.using(_result))
def typical_pair(result: TransferResult) -> tuple[int, int]:
    """The ordered pair (b, a) whose median crossover is the median over the pairs (ties: first)."""
    m = result.crossover_matrix()
    pairs = ordered_pairs(result.n_classes)
    values = np.array([m[b, a] for b, a in pairs])
    finite = np.isfinite(values)
    target = np.median(values)  # may be inf when most pairs never cross
    if not np.isfinite(target):
        idx = int(np.flatnonzero(~finite)[0])
    else:
        idx = int(np.argmin(np.where(finite, np.abs(values - target), np.inf)))
    return pairs[idx]


@checked(results=ck.using(_results))
def judge_agreement(results: dict[str, TransferResult]) -> float:
    """Share of moved frames (all pairs, digits, alphas) on which every judge names the same class."""
    judged = [np.nan_to_num(r.probs[r._off_diagonal()], nan=-1).argmax(axis=-1) for r in results.values()]
    same = np.all([j == judged[0] for j in judged[1:]], axis=0)
    return float(same.mean())


@checked(result=ck.using(_result))
def failure_split(result: TransferResult, alpha: float = 1.0) -> dict[str, float]:
    """Where the moved digits that are *not* judged the target at ``alpha`` went: stayed b, or a third class.

    Shares of the failures (they add up to 1; NaN when nothing failed).
    """
    judged = result.judged(alpha)
    c = result.n_classes
    b = np.arange(c)[:, None, None]
    a = np.arange(c)[None, :, None]
    off = np.broadcast_to(~np.eye(c, dtype=bool)[:, :, None], judged.shape)
    failed = off & (judged != a)
    n = failed.sum()
    if n == 0:
        return {"stayed b": float("nan"), "third class": float("nan")}
    stayed = (failed & (judged == b)).sum() / n
    return {"stayed b": float(stayed), "third class": float(1.0 - stayed)}


@checked(values=ck.using(_rows), threshold=ck.number())
def band_share(values: np.ndarray, threshold: float) -> np.ndarray:
    """Share of rows above ``threshold`` at each alpha: values (M, A) -> (A,)."""
    return np.mean(values > threshold, axis=0)


# --- the Frechet distance -------------------------------------------------------------------------
def _overflow(*moments) -> ValueError:
    largest = max(float(np.abs(m).max(initial=0.0)) for m in moments)
    return ValueError(f"the Frechet distance overflows float64 with means and covariances this large (entries up to "
                      f"{largest:.3g}); rescale the features first.")


def _sqrtm_of_product(cov1: np.ndarray, cov2: np.ndarray, eps: float) -> np.ndarray:
    """The real square root of cov1 @ cov2, recomputed with ``eps`` I added to both when inaccurate.

    A singular product is common (dead ReLU features): scipy's root of it can be inaccurate or not
    finite. A tiny imaginary part is rounding noise and dropped; a large one means the covariances
    are not valid, which is refused.
    """
    with np.errstate(over="ignore", invalid="ignore"):
        product = cov1 @ cov2
    if not np.all(np.isfinite(product)):
        raise _overflow(cov1, cov2)
    with warnings.catch_warnings():  # a singular product is common (dead features); checked just below
        warnings.simplefilter("ignore", linalg.LinAlgWarning)
        root = linalg.sqrtm(product)
    big = max(float(np.abs(product).max(initial=0.0)), 1e-300)  # norms of huge entries overflow: divide first
    scale = max(np.linalg.norm(product / big), 1e-300)
    with np.errstate(over="ignore", invalid="ignore"):
        error = np.linalg.norm((root @ root - product) / big) / scale if np.all(np.isfinite(root)) else np.inf
    if not error <= 1e-3:  # NaN too
        offset = eps * np.eye(len(cov1))
        root = linalg.sqrtm((cov1 + offset) @ (cov2 + offset))
    if np.iscomplexobj(root):
        imag = np.max(np.abs(np.diagonal(root).imag))
        if imag > 1e-3 * max(1.0, np.max(np.abs(np.diagonal(root).real))):
            raise ValueError(f"matrix square root has a large imaginary part ({imag:.3g}); covariances are not valid.")
        root = root.real
    return root


@checked(mu1=ck.numbers(ndim=1, what="a mean vector (k,)"), mu2=ck.numbers(ndim=1, what="a mean vector (k,)"),
         cov1=ck.numbers(ndim=2, what="a covariance (k, k)"), cov2=ck.numbers(ndim=2, what="a covariance (k, k)"),
         eps=ck.using(_matching_moments, mu1=ref("mu1"), cov1=ref("cov1"), mu2=ref("mu2"), cov2=ref("cov2")))
def gaussian_frechet(mu1, cov1, mu2, cov2, eps: float = 1e-6) -> float:
    """Frechet (2-Wasserstein) distance squared between N(mu1, cov1) and N(mu2, cov2).

    |mu1 - mu2|^2 + tr(cov1 + cov2 - 2 (cov1 cov2)^(1/2)), in float64. If the
    product's square root is inaccurate or not finite (nearly singular
    covariances, e.g. dead ReLU features), ``eps`` I is added to both
    covariances and the root recomputed; the real part is kept (a tiny
    imaginary part is rounding noise, a large one raises) and the result is
    clipped at 0.
    """
    root = _sqrtm_of_product(cov1, cov2, eps)  # (cov1 cov2)^(1/2)
    diff = mu1 - mu2
    value = float(diff @ diff + np.trace(cov1) + np.trace(cov2) - 2.0 * np.trace(root))
    return max(value, 0.0)


@checked(features_a=ck.using(_features), features_b=ck.using(_features, like=ref("features_a")))
def frechet_distance(features_a, features_b, eps: float = 1e-6) -> float:
    """Frechet distance between Gaussians fitted to two feature sets (N, k) and (M, k)."""
    k = features_a.shape[1]
    mu_a, cov_a = features_a.mean(axis=0), np.cov(features_a, rowvar=False).reshape(k, k)
    mu_b, cov_b = features_b.mean(axis=0), np.cov(features_b, rowvar=False).reshape(k, k)
    return gaussian_frechet(mu_a, cov_a, mu_b, cov_b, eps)


@checked(judge=ck.using(_feature_judge), data=ck.using(as_dataset), n=ck.using(_floor_size, data=ref("data")),
         seed=ck.seed())
def frechet_floor(judge: KerasJudge, data: Dataset, n: int | None = None, seed: int = 0,
                  real_features: np.ndarray | None = None) -> float:
    """Real vs real: n random training digits against the test digits, in the judge's features.

    The same sample size as the models' samples, so the floor carries the
    same small-sample bias; no model's samples can be expected to beat it.
    """
    rng = np.random.default_rng(seed)
    idx = rng.choice(len(data.x_train), size=min(n, len(data.x_train)), replace=False)
    real = real_features if real_features is not None else judge.features(data.x_test[:n])
    return frechet_distance(judge.features(data.x_train[idx]), real)


@checked(judge=ck.using(_feature_judge), model=ck.model(), real_features=ck.using(_features),
         n=ck.using(_sample_size, real_features=ref("real_features")))
def sample_frechet(judge: KerasJudge, model, real_features: np.ndarray, n: int | None = None, seed: int = 0) -> float:
    """Frechet distance between ``n`` samples of ``model`` and the real test features."""
    samples = ck.check_images(model.sample(n, seed=seed), name=f"{type(model).__name__}.sample")
    return frechet_distance(judge.features(samples), real_features)


@checked(codes=ck.using(_shape_codes), n_classes=ck.count(minimum=1),
         labels=ck.using(_shape_labels, codes=ref("codes"), n_classes=ref("n_classes")))
def class_shape_mismatch(codes, labels, n_classes: int = N_CLASSES) -> np.ndarray:
    """How differently each pair of classes spreads around its centroid: (C, C), 0 on the diagonal.

    Introduced in notebook 06. Moving a digit by z_a - z_b keeps its offset
    from the class-b centroid and places it around the class-a centroid, so
    the arithmetic assumes every class spreads the same way. Entry (a, b) is
    the Frechet distance between N(0, S_a) and N(0, S_b), the two classes'
    code covariances with their centroids removed, divided by the mean of
    tr S_a and tr S_b. It is 0 when the two spreads coincide, does not change
    when all codes are scaled, and reaches 2 when the classes vary in
    orthogonal directions.
    """
    d = codes.shape[1]
    exponent = _scale_exponent(codes)  # the mismatch is scale-free: huge or tiny codes are measured scaled
    if exponent:
        codes = np.ldexp(codes, -exponent)
    covs = [np.cov(codes[labels == c], rowvar=False).reshape(d, d) for c in range(n_classes)]
    zero = np.zeros(d)
    out = np.zeros((n_classes, n_classes))
    for a in range(n_classes):
        for b in range(a + 1, n_classes):
            scale = 0.5 * (np.trace(covs[a]) + np.trace(covs[b]))
            out[a, b] = out[b, a] = gaussian_frechet(zero, covs[a], zero, covs[b]) / max(scale, 1e-300)
    return out


@checked(train_codes=ck.numbers(ndim=2, what="codes (N, d)"), test_codes=ck.numbers(ndim=2, what="codes (N, d)"),
         n_classes=ck.count(minimum=1),
         train_labels=ck.labels_of_every_class(ref("train_codes", len), ref("n_classes")),
         test_labels=ck.using(_test_labels, test_codes=ref("test_codes"), train_codes=ref("train_codes"),
                              n_classes=ref("n_classes")),
         per_pair=ck.using(_geometry_per_pair, test_labels=ref("test_labels"), n_classes=ref("n_classes")),
         shape=ck.flag(), returns=_finite_layout)
def class_geometry(train_codes, train_labels, test_codes, test_labels, per_pair: int | None = None,
                   n_classes: int = N_CLASSES, shape: bool = True) -> dict[str, float]:
    """The layout of the classes in a code space, and the transfer it predicts without decoder or judge.

    Introduced in notebook 06. Centroids come from the training codes.

    - ``spread``: root-mean-square distance of a training code to its class centroid;
    - ``separation``: mean distance between two class centroids;
    - ``separation / spread``: below 1, a typical digit is farther from its own centroid
      than the centroids are from each other;
    - ``nearest centroid``: share of test codes nearest to their own class's centroid;
    - ``moved nearest target``: the first ``per_pair`` test digits of every class b moved by
      z_a - z_b for every a (alpha = 1), and the share that land nearest to centroid a;
    - ``shape mismatch``: :func:`class_shape_mismatch` averaged over the 45 pairs (left out with
      ``shape=False``: it costs 45 Frechet distances between d x d covariances, half a minute at d = 784).
    """
    # Huge or tiny codes (1e160, 1e-160) are measured divided by a power of two (exact; no ratio changes), so that
    # squared distances and the float32 centroids stay finite and non-zero; spread and separation are scaled back.
    exponent = _scale_exponent(train_codes, test_codes)
    if exponent:
        train_codes, test_codes = np.ldexp(train_codes, -exponent), np.ldexp(test_codes, -exponent)
    centroids = class_centroids(train_codes, train_labels, n_classes).astype(np.float64)
    off = ~np.eye(n_classes, dtype=bool)
    spread = np.sqrt(np.mean(np.sum((train_codes - centroids[train_labels]) ** 2, axis=1)))
    separation = np.linalg.norm(centroids[:, None] - centroids[None], axis=-1)[off].mean()

    def nearest(codes):
        return np.linalg.norm(codes[..., None, :] - centroids, axis=-1).argmin(axis=-1)

    chosen = test_digits_per_class(test_labels, per_pair, n_classes)
    moved = test_codes[chosen][:, None] + (centroids[None, :, None] - centroids[:, None, None])  # (b, a, n, d)
    landed = nearest(moved) == np.arange(n_classes)[None, :, None]
    layout = {
        "spread": float(np.ldexp(spread, exponent)),
        "separation": float(np.ldexp(separation, exponent)),
        "separation / spread": float(separation / spread),
        "nearest centroid": float(np.mean(nearest(test_codes) == test_labels)),
        "moved nearest target": float(landed.mean(axis=-1)[off].mean()),
    }
    if shape:
        layout["shape mismatch"] = float(class_shape_mismatch(train_codes, train_labels, n_classes)[off].mean())
    return layout
