"""Classical models: Gaussian Naive Bayes (generative) and logistic regression (discriminative).

Introduced in notebook 01; ``PixelNaiveBayes`` is the pixel-space generative
model of notebook 02 and implements the shared interface (helpers.interface),
and ``mnist_logistic_regression`` is the first judge of generated digits
(notebooks 02, 04, 05, 06).

Notebook 01 also uses the 2-D toy data (``make_2d_classes``), the learning
curve (``learning_curve``) and the unseen-class experiment
(``unseen_class_experiment``); notebook 02 adds ``ClassPCAGaussian``,
``neighbour_correlation`` and ``judge_hits``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np
from scipy.special import logsumexp
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import train_test_split
from sklearn.naive_bayes import GaussianNB
from threadpoolctl import threadpool_limits

from . import cache, config
from . import checks as ck
from .checks import checked, ref
from .data import Dataset, as_dataset, check_memory, load_mnist


# --- argument specs of this module (helpers.checks): what each function may be given ----------------------
def _fitted(model, attribute: str):
    """A clear error for a model used before ``fit`` (instead of scikit-learn's or an AttributeError)."""
    if not hasattr(model, attribute):
        raise ValueError(f"this {type(model).__name__} is not fitted yet: call .fit(x_train, y_train) first.")
    return model


def _fitted_self(model, *, name, attribute: str, part: str | None = None):
    """The model (``self``) after ``fit``; ``part`` names the fitted scikit-learn estimator it holds."""
    _fitted(getattr(model, part) if part else model, attribute)
    return model


def _fitted_nb(nb, *, name):
    """A fitted scikit-learn GaussianNB, or a clear error."""
    if not isinstance(nb, GaussianNB):
        raise TypeError(f"nb must be a fitted sklearn.naive_bayes.GaussianNB (for pixels: PixelNaiveBayes().nb), "
                        f"got {type(nb).__name__}.")
    return _fitted(nb, "theta_")


#: ``self`` of a PixelNaiveBayes, fitted (the attribute each method reads first).
def _nb_fitted(attribute: str = "theta_"):
    return ck.using(_fitted_self, attribute=attribute, part="nb")


_PCA_FITTED = ck.using(_fitted_self, attribute="components_")


def _named_images(x, *, name, called):
    """Images checked under the name the caller gives (``flatten``'s ``name``)."""
    return ck.check_images(x, name=called)


def _training_labels(y, *, name, x):
    """Labels (one per training image) of a non-empty training set."""
    labels = ck.check_labels(y, len(x), name=name)
    if len(x) == 0:
        raise ValueError("x: no training images; pass at least one image per class.")
    return labels


def _pca_training_labels(y, *, name, x, n_components):
    """Training labels with more images per class than components (a covariance needs them)."""
    y = _training_labels(y, name=name, x=x)
    small = [int(c) for c in np.unique(y) if np.sum(y == c) <= n_components]
    if small:
        raise ValueError(
            f"classes {small} have no more images than n_components={n_components}; "
            "their covariance cannot be estimated. Use fewer components or more images."
        )
    return y


def _two_class_labels(y, *, name, x):
    y = _training_labels(y, name=name, x=x)
    if len(np.unique(y)) < 2:
        raise ValueError(f"y: logistic regression needs at least two classes, got only {np.unique(y).tolist()}.")
    return y


def _sample_count(n, *, name, bytes_per_sample):
    """A number of samples: a non-negative integer that fits in memory."""
    if isinstance(n, (bool, np.bool_)) or not isinstance(n, (int, np.integer)) or n < 0:
        raise ValueError(f"n must be a non-negative integer number of samples, got {n!r}.")
    n = ck.check_count(n, name=name)  # at most 2**63 - 1: 10**400 is no array length (nor a float)
    check_memory(bytes_per_sample * n, name="n", what=f"{n:,} samples")
    return n


def _sample_classes(classes, *, name, n, known):
    """The class of each of n draws: None (drawn from the prior), one class, or one per sample, all in ``known``."""
    if classes is None:
        return None
    classes = np.asarray(classes) if not isinstance(classes, (dict, set, str, bytes)) else np.asarray(None)
    if classes.dtype.kind not in "iuf" or classes.dtype == bool:
        raise TypeError(f"classes must be one class id or one per sample ({n}), got {classes!r}.")
    try:
        classes = np.broadcast_to(classes, (n,))
    except ValueError:
        raise ValueError(f"classes has shape {classes.shape}; pass one class, or one per sample ({n}).") from None
    for c in np.unique(classes):
        ck.check_class(c, int(max(known)) + 1)  # integer and in range: clear message for typos
        if c not in known:
            raise ValueError(f"unknown class {c}: this model was fitted on classes {known.tolist()}.")
    return classes


def _nb_classes(model):
    return model.nb.classes_


def _pca_dim(model):
    return model.latent_dim


def _pixel_nb_bytes(model):
    return 4 * 8 * model.nb.theta_.shape[1]


def _pca_bytes(model):
    return 4 * 8 * (784 + model.latent_dim ** 2)


def _gnb_bytes(nb):
    return 4 * 8 * nb.theta_.shape[1]


def _points(x, *, name, nb):
    x = ck.check_numbers(x, name=name, ndim=2, what=f"points (N, {nb.n_features_in_})")
    if x.shape[1] != nb.n_features_in_:
        raise ValueError(f"x: the model was fitted on {nb.n_features_in_} features, got points of shape {x.shape}.")
    return x


def _component_count(n_components, *, name):
    if isinstance(n_components, bool) or not isinstance(n_components, (int, np.integer)) \
            or not 1 <= n_components <= 784:
        raise ValueError(f"n_components must be an integer in 1-784, got {n_components!r}.")
    return int(n_components)


def _points_per_class(n_per_class, *, name):
    if isinstance(n_per_class, bool) or not isinstance(n_per_class, (int, np.integer)) or n_per_class < 2:
        raise ValueError(f"n_per_class must be an integer >= 2, got {n_per_class!r}.")
    n_per_class = ck.check_count(n_per_class, name=name, minimum=2)  # at most 2**63 - 1
    check_memory(3 * 2 * 8.0 * n_per_class * 4, name="n_per_class", what=f"{n_per_class:,} points per class")
    return n_per_class


def _classifier(judge, *, name):
    ck.check_fitted_instance(judge, name=name, example="classical.mnist_logistic_regression()")
    if not callable(getattr(judge, "predict", None)):
        raise TypeError(f"judge must be a fitted classifier with a predict method, got {type(judge).__name__}.")
    if hasattr(judge, "classes_"):  # a scikit-learn-style predict returns classes_[argmax]: the digits, one per column
        ck.check_digit_classifier(judge, name=name)
    return judge


def _intended(intended, *, name, n):
    """The intended class of each image: one class for all, or one label per image."""
    if np.ndim(intended) == 0:
        return np.full(n, ck.check_class(intended, name=name))
    return ck.check_labels(intended, n, name=name)


def _max_iter(max_iter, *, name):
    return ck.check_count(config.SETTINGS.lr_max_iter if max_iter is None else max_iter, name=name, minimum=1)


def _seed_below_2_32(seed, *, name):
    seed = ck.check_count(seed, name=name)
    if seed >= 2**32:
        raise ValueError(f"seed must be below 2**32, got {seed}.")
    return seed


def _subset_size(n, *, name, y):
    n = ck.check_count(n, name=name, minimum=1)
    n_classes = len(np.unique(y))
    if not n_classes <= n <= len(y):
        raise ValueError(f"subset size {n} must lie between the number of classes ({n_classes}) and {len(y)}.")
    return n


def _repeats(repeats, *, name):
    repeats = ck.check_count(repeats, name=name, minimum=1)
    if repeats > 1000:
        raise ValueError(f"repeats must be at most 1000 draws per size (5 is plenty), got {repeats}.")
    return repeats


def _training_sizes(sizes, *, name, n_train):
    """Training-set sizes, sorted and distinct; a size beyond the data means "all of it"."""
    if isinstance(sizes, (int, np.integer)) or not hasattr(sizes, "__iter__"):
        raise TypeError(f"sizes must be a list of training-set sizes such as [100, 1000], got {sizes!r}.")
    sizes = sorted({min(ck.check_count(n, name="sizes entry", minimum=1), n_train) for n in sizes})
    if not sizes:
        raise ValueError("sizes: got no training-set sizes; pass e.g. [100, 1000].")
    return sizes


def _curve_rows(rows, *, name):
    if isinstance(rows, (str, bytes, dict)) or not hasattr(rows, "__iter__"):
        raise TypeError(f"rows must be the list of dicts learning_curve returns, got {type(rows).__name__}.")
    rows = list(rows)
    for row in rows:
        if not (isinstance(row, dict) and {"model", "n", "error"} <= row.keys()):
            raise ValueError(f"rows must be dicts with 'model', 'n' and 'error' (from learning_curve), got {row!r}.")
    return rows


def _seen_classes(seen_classes, *, name):
    if isinstance(seen_classes, (str, bytes)) or not hasattr(seen_classes, "__iter__"):
        raise TypeError(f"seen_classes must be a list of digit classes such as (0, 1, 2, 3, 4), got {seen_classes!r}.")
    seen_classes = tuple(int(ck.check_class(c, 10, name="seen class")) for c in seen_classes)
    if len(set(seen_classes)) < 2:
        raise ValueError(f"need at least two distinct seen classes to train a classifier, got {seen_classes}.")
    if len(set(seen_classes)) == 10:
        raise ValueError("all ten classes are seen: no class is left to be unseen.")
    return seen_classes


#: The groups unseen_class_experiment always scores; a far group of the same name would replace one.
DIGIT_GROUPS = ("seen digits", "unseen digits")


def _far_name(far_name, *, name):
    if not isinstance(far_name, str):
        raise TypeError(f"far_name must be a string naming the far-away images, e.g. 'Fashion-MNIST', "
                        f"got {far_name!r}.")
    if not far_name.strip():
        raise ValueError("far_name is empty; name the far-away images, e.g. 'Fashion-MNIST'.")
    if far_name in DIGIT_GROUPS:
        raise ValueError(f"far_name {far_name!r} is the name of a digit group, which the far images would replace; "
                         f"pass another name, e.g. 'Fashion-MNIST'.")
    return far_name


def _seen_classes_in(seen_classes, *, name, data):
    """Seen classes, of which the training split holds two or more and the test split holds some, not all."""
    seen_classes = _seen_classes(seen_classes, name=name)
    in_test = np.isin(data.y_test, seen_classes)
    if in_test.all() or not in_test.any():
        side = "unseen" if in_test.all() else "seen"
        raise ValueError(f"data: its test images hold no {side} digits (seen_classes {list(seen_classes)}, test "
                         f"classes {np.unique(data.y_test).tolist()}); pass test images of both kinds.")
    if len(np.unique(data.y_train[np.isin(data.y_train, seen_classes)])) < 2:
        raise ValueError(f"data: its training images hold fewer than two of seen_classes {list(seen_classes)}; "
                         "a classifier needs two.")
    return seen_classes


def _far_images(images, *, name, far_name):
    return None if images is None else ck.check_images(images, name=far_name)


def _some_pair_varies(result, name, args):
    """neighbour_correlation's result: NaN when no pixel pair varied, which the caller must hear about."""
    if np.isnan(result):
        raise ValueError(
            f"no pixel pair varies by more than min_std={args['min_std']} within a class; "
            "pass at least two images per class that are not constant."
        )
    return result


def _n_train(data):
    return len(data.y_train)


#: The training set of a classical model: images x and one label per image.
_TRAINING_SET = dict(x=ck.images(), y=ck.using(_training_labels, x=ref("x")))


@checked(x=ck.using(_named_images, called=ref("name")))
def flatten(x: np.ndarray, name: str = "images") -> np.ndarray:
    """Images (N, 28, 28) to rows (N, 784), validating shape and range."""
    return x.reshape(-1, 784)


@checked(nb=ck.using(_fitted_nb), x=ck.using(_points, nb=ref("nb")))
def gaussian_nb_log_px(nb: GaussianNB, x: np.ndarray) -> np.ndarray:
    """log p(x) = log sum_y p(x|y) p(y) under a fitted scikit-learn GaussianNB (notebook 01).

    The discriminative model has no such number: this is what a generative
    model adds on top of classification.
    """
    if len(x) == 0:  # scikit-learn refuses 0 samples: no points, no log-densities
        return np.zeros(0)
    return logsumexp(nb.predict_joint_log_proba(x), axis=1)


@checked(nb=ck.using(_fitted_nb), n=ck.using(_sample_count, bytes_per_sample=ref("nb", _gnb_bytes)),
         seed=ck.seed(), classes=ck.using(_sample_classes, n=ref("n"), known=ref("nb", lambda nb: nb.classes_)))
def sample_gaussian_nb(nb: GaussianNB, n: int, seed: int | None = None, classes=None) -> tuple[np.ndarray, np.ndarray]:
    """Draw n points from a fitted scikit-learn GaussianNB; returns (points, classes).

    Introduced in notebook 01 (the 2-D samples). Each feature is drawn
    independently from its class Gaussian - the Naive Bayes assumption made
    visible. No clipping: ``PixelNaiveBayes.sample`` clips pixels itself.
    """
    rng = np.random.default_rng(seed)
    if classes is None:
        classes = rng.choice(nb.classes_, size=n, p=nb.class_prior_)
    idx = np.searchsorted(nb.classes_, classes)
    mean, var = nb.theta_[idx], nb.var_[idx]
    return mean + np.sqrt(var) * rng.standard_normal(mean.shape), np.asarray(classes)


class PixelNaiveBayes:
    """Gaussian Naive Bayes in pixel space, seen as a generative model.

    Each class is a diagonal Gaussian over the 784 pixels: p(x|y) = prod_i N(x_i; mu_yi, s2_yi).
    Its "latent space" is pixel space itself, so ``encode`` is the identity
    (flattening) and ``decode`` clips to [0, 1]. Wraps scikit-learn's
    GaussianNB so classification matches the library exactly.
    """

    latent_dim = 28 * 28

    @checked(var_smoothing=ck.number(low=0.0))
    def __init__(self, var_smoothing: float = 1e-9):
        self.nb = GaussianNB(var_smoothing=var_smoothing)

    @checked(**_TRAINING_SET)
    def fit(self, x: np.ndarray, y: np.ndarray) -> "PixelNaiveBayes":
        self.nb.fit(x.reshape(-1, 784), y)
        return self

    @property
    @checked(self=_nb_fitted("classes_"))
    def classes_(self) -> np.ndarray:
        return self.nb.classes_

    @property
    @checked(self=_nb_fitted())
    def class_means(self) -> np.ndarray:
        """Per-class mean images, (n_classes, 28, 28)."""
        return self.nb.theta_.reshape(-1, 28, 28)

    @property
    @checked(self=_nb_fitted("var_"))
    def class_variances(self) -> np.ndarray:
        """Per-class pixel variances (smoothing included), (n_classes, 28, 28)."""
        return self.nb.var_.reshape(-1, 28, 28)

    @checked(self=_nb_fitted(), x=ck.images(label="images"))
    def predict(self, x: np.ndarray) -> np.ndarray:
        if len(x) == 0:  # scikit-learn refuses 0 samples: no images, no classes
            return self.nb.classes_[:0].copy()
        return self.nb.predict(x.reshape(-1, 784))

    @checked(self=_nb_fitted(), x=ck.images(label="images"))
    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        if len(x) == 0:  # scikit-learn refuses 0 samples: no images, no rows
            return np.zeros((0, len(self.nb.classes_)))
        return self.nb.predict_proba(x.reshape(-1, 784))

    @checked(self=_nb_fitted(), x=ck.images(label="images"))
    def log_likelihood(self, x: np.ndarray) -> np.ndarray:
        """log p(x) = log sum_y p(x|y) p(y), in nats per image."""
        return gaussian_nb_log_px(self.nb, x.reshape(-1, 784))

    # --- the shared generative-model interface ---------------------------------
    @checked(x=ck.images(label="images"))
    def encode(self, x: np.ndarray) -> np.ndarray:
        return x.reshape(-1, 784)

    @checked(z=ck.codes(latent_dim, label="codes"))
    def decode(self, z: np.ndarray) -> np.ndarray:
        return np.clip(z, 0.0, 1.0).reshape(-1, 28, 28)

    @checked(self=_nb_fitted(), n=ck.using(_sample_count, bytes_per_sample=ref("self", _pixel_nb_bytes)),
             seed=ck.seed(), classes=ck.using(_sample_classes, n=ref("n"), known=ref("self", _nb_classes)))
    def sample(self, n: int, seed: int | None = None, classes=None) -> np.ndarray:
        """Draw n images; ``classes`` fixes the class of each (default: drawn from the prior).

        Each pixel is drawn independently from its class Gaussian, then clipped
        to [0, 1]; that independence is what notebook 02 is about. The same
        draws as ``sample_gaussian_nb(self.nb, n, seed, classes)``, clipped.
        """
        rng = np.random.default_rng(seed)
        if classes is None:
            classes = rng.choice(self.nb.classes_, size=n, p=self.nb.class_prior_)  # y ~ p(y)
        k = np.searchsorted(self.nb.classes_, classes)
        mean, variance = self.nb.theta_[k], self.nb.var_[k]  # each image's class: mu_y, s2_y (784 each)
        pixels = mean + np.sqrt(variance) * rng.standard_normal(mean.shape)  # every pixel on its own
        return np.clip(pixels, 0.0, 1.0).astype(np.float32).reshape(n, 28, 28)


class ClassPCAGaussian:
    """One full-covariance Gaussian per class in a shared k-dimensional PCA subspace.

    Introduced in notebook 02 as the contrast to ``PixelNaiveBayes``: PCA finds
    the k directions along which digits vary most, and each class gets a
    Gaussian with a full k x k covariance there, so pixels that move together
    in real digits move together in samples. Implements the shared interface
    with the PCA coordinates as the latent space.
    """

    @checked(n_components=ck.using(_component_count), ridge=ck.number(low=0.0))
    def __init__(self, n_components: int = 40, ridge: float = 1e-6):
        self.latent_dim = n_components
        self.ridge = ridge  # keeps a covariance of a rare class positive definite

    @checked(x=ck.images(), y=ck.using(_pca_training_labels, x=ref("x"), n_components=ref("self", _pca_dim)))
    def fit(self, x: np.ndarray, y: np.ndarray) -> "ClassPCAGaussian":
        flat = x.reshape(-1, 784)
        # PCA by hand: eigh of the 784 x 784 pixel covariance is exact and, with many images and few
        # pixels, the fastest route. Centring first avoids the float32 cancellation of
        # computing X'X - n*mean*mean'. One BLAS thread: so small a matrix gains nothing
        # from threads, and on a busy machine OpenBLAS threads spin-wait (0.3 s vs 11 s measured).
        with threadpool_limits(limits=1, user_api="blas"):
            self.pixel_mean_ = flat.mean(axis=0, dtype=np.float64)
            centred = flat - self.pixel_mean_.astype(np.float32)
            cov = (centred.T @ centred).astype(np.float64) / max(len(flat) - 1, 1)
            eigval, eigvec = np.linalg.eigh(cov)  # ascending
        order = np.argsort(eigval)[::-1][: self.latent_dim]
        self.components_ = eigvec[:, order].T  # (k, 784), orthonormal rows
        self._explained = float(np.clip(eigval[order], 0, None).sum() / max(np.trace(cov), 1e-12))
        z = (centred @ self.components_.T.astype(np.float32)).astype(np.float64)
        self.classes_ = np.unique(y)
        self.means_ = np.stack([z[y == c].mean(axis=0) for c in self.classes_])
        eye = np.eye(self.latent_dim)
        self.covariances_ = np.stack([np.cov(z[y == c], rowvar=False) + self.ridge * eye for c in self.classes_])
        self.class_prior_ = np.array([np.mean(y == c) for c in self.classes_])
        self._chol = np.linalg.cholesky(self.covariances_)
        return self

    @property
    @checked(self=_PCA_FITTED)
    def explained_variance_ratio(self) -> float:
        """Share of the pixel variance that the k components keep."""
        return self._explained

    @property
    @checked(self=_PCA_FITTED)
    def class_means(self) -> np.ndarray:
        """Per-class mean images (the decoded class means), (n_classes, 28, 28)."""
        return self.decode(self.means_)

    @checked(self=_PCA_FITTED, x=ck.images(label="images"))
    def encode(self, x: np.ndarray) -> np.ndarray:
        return ((x.reshape(-1, 784) - self.pixel_mean_) @ self.components_.T).astype(np.float32)

    @checked(self=_PCA_FITTED, z=ck.codes(ref("self", _pca_dim), label="codes"))
    def decode(self, z: np.ndarray) -> np.ndarray:
        return np.clip(z @ self.components_ + self.pixel_mean_, 0.0, 1.0).astype(np.float32).reshape(-1, 28, 28)

    @checked(self=_PCA_FITTED, n=ck.using(_sample_count, bytes_per_sample=ref("self", _pca_bytes)), seed=ck.seed(),
             classes=ck.using(_sample_classes, n=ref("n"), known=ref("self", lambda model: model.classes_)))
    def sample(self, n: int, seed: int | None = None, classes=None) -> np.ndarray:
        """Draw n images: z ~ N(mean_y, cov_y) in the subspace, then decode and clip to [0, 1]."""
        rng = np.random.default_rng(seed)
        if classes is None:
            classes = rng.choice(self.classes_, size=n, p=self.class_prior_)
        idx = np.searchsorted(self.classes_, classes)
        eps = rng.standard_normal((n, self.latent_dim))
        z = self.means_[idx] + np.einsum("nij,nj->ni", self._chol[idx], eps)
        return self.decode(z)


@checked(n_per_class=ck.using(_points_per_class), seed=ck.seed())
def make_2d_classes(n_per_class: int = 150, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Three 2-D classes for notebook 01, built so each NB assumption is visibly tested.

    Class 0 is a tilted (correlated) Gaussian, which NB's axis-aligned
    ellipses cannot follow; class 1 is two blobs, which one Gaussian per class
    cannot follow either; class 2 is a round Gaussian, which NB fits well.
    Returns points (3 * n_per_class, 2) and labels.
    """
    rng = np.random.default_rng(seed)
    tilted = rng.multivariate_normal([-2.0, -0.5], [[1.0, 0.8], [0.8, 1.0]], n_per_class)
    half = n_per_class // 2
    blobs = np.concatenate([
        rng.normal([1.5, 2.5], 0.45, (half, 2)),
        rng.normal([3.5, 0.5], 0.45, (n_per_class - half, 2)),
    ])
    round_ = rng.normal([1.0, -2.5], 0.7, (n_per_class, 2))
    x = np.concatenate([tilted, blobs, round_])
    y = np.repeat(np.arange(3), n_per_class)
    order = rng.permutation(len(y))
    return x[order], y[order]


@checked(x=ck.images(), y=ck.labels(n=ref("x", len)), min_std=ck.number(low=0.0), returns=_some_pair_varies)
def neighbour_correlation(x: np.ndarray, y: np.ndarray, min_std: float = 0.05) -> float:
    """Mean within-class correlation of horizontally adjacent pixels (notebook 02).

    For every class and every pair of side-by-side pixels, the Pearson
    correlation across that class's images; averaged over the pairs where both
    pixels vary (std > ``min_std``), since a blank border pixel has no
    correlation to speak of. Within a class, so that the class mean's own
    smooth shape does not count as dependence: Naive Bayes samples score
    about 0, real digits well above.
    """
    corrs = []
    for c in np.unique(y):
        xc = x[y == c].astype(np.float64)
        if len(xc) < 2:
            continue  # one image has no spread
        a, b = xc[:, :, :-1].reshape(len(xc), -1), xc[:, :, 1:].reshape(len(xc), -1)
        sa, sb = a.std(axis=0), b.std(axis=0)
        ok = (sa > min_std) & (sb > min_std)
        cov = ((a - a.mean(axis=0)) * (b - b.mean(axis=0))).mean(axis=0)
        corrs.append(cov[ok] / (sa[ok] * sb[ok]))
    pooled = np.concatenate(corrs) if corrs else np.array([])
    return float(pooled.mean()) if pooled.size else float("nan")  # NaN: no pair varied (the check says so)


@checked(images=ck.images(), judge=ck.using(_classifier), intended=ck.using(_intended, n=ref("images", len)))
def judge_hits(judge, images: np.ndarray, intended) -> np.ndarray:
    """Boolean per image: did the classifier ``judge`` label it as its ``intended`` class (notebook 02)."""
    return np.asarray(judge.predict(images.reshape(-1, 784))) == intended


@checked(max_iter=ck.using(_max_iter), tol=ck.number(low=0.0, low_open=True), x=ck.images(),
         y=ck.using(_two_class_labels, x=ref("x")))
def fit_logistic_regression(x: np.ndarray, y: np.ndarray, max_iter: int | None = None,
                            tol: float = 1e-3) -> LogisticRegression:
    """Multinomial logistic regression on raw pixels (lbfgs, default L2 penalty).

    ``tol=1e-3`` stops early, which is plenty for the learning curve's many fits;
    the judge below fits once with scikit-learn's default 1e-4.
    """
    model = LogisticRegression(max_iter=max_iter, tol=tol)
    # One BLAS thread: the notebooks run two at a time on two cores, and oversubscribed OpenBLAS
    # threads spin-wait (a 10,000-image fit measured 1.8 s with one thread, 30 s with two).
    with threadpool_limits(limits=1, user_api="blas"):
        return model.fit(x.reshape(-1, 784), y)


@checked(data=ck.optional(ck.using(as_dataset)), retrain=ck.flag())
def mnist_logistic_regression(data: Dataset | None = None, *, retrain: bool = False) -> LogisticRegression:
    """The logistic-regression judge trained on ``data``'s training split (default MNIST), cached as plain arrays.

    The cache holds only coefficients (an .npz, no pickle), written atomically,
    with a key of the training images, labels and fit settings: a missing,
    unreadable or differently keyed cache is refitted.
    """
    data = load_mnist() if data is None else data
    max_iter = config.SETTINGS.lr_max_iter
    key = f"{cache.data_fingerprint(data.x_train, data.y_train)} max_iter={max_iter} tol=1e-4"
    path = cache.artifact_path("logreg-mnist", ".npz")
    stored = None if retrain else cache.load_arrays(path, ("coef", "intercept", "classes", "key"))
    if stored is not None and str(stored["key"]) == key and stored["coef"].shape == (len(stored["classes"]), 784) \
            and stored["intercept"].shape == (len(stored["classes"]),):
        model = LogisticRegression()
        model.coef_, model.intercept_, model.classes_ = stored["coef"], stored["intercept"], stored["classes"]
        model.n_features_in_ = model.coef_.shape[1]
        return model
    model = fit_logistic_regression(data.x_train, data.y_train, max_iter=max_iter, tol=1e-4)
    cache.save_arrays(path, coef=model.coef_, intercept=model.intercept_, classes=model.classes_, key=np.array(key))
    return model


# --- notebook 01: the learning curve ---------------------------------------------

NB_NAME = "Gaussian NB"
LR_NAME = "logistic regression"


@checked(n=ck.count(minimum=1), n_train=ck.count(minimum=1), repeats=ck.count(minimum=1))
def draws_per_size(n: int, n_train: int, repeats: int = 5) -> int:
    """How many random training sets of size n the learning curve uses.

    Small sets vary a lot from draw to draw and fit in a blink, so they get
    ``repeats`` draws; from 10,000 images on the spread is a few tenths of a
    percent while each fit costs the most, so they get one; the whole
    training set is a single "draw" anyway.
    """
    if n >= n_train:
        return 1
    if n <= 1000:
        return repeats
    return min(repeats, 3) if n <= 3000 else 1


@checked(y=ck.labels(), n=ck.using(_subset_size, y=ref("y")), seed=ck.using(_seed_below_2_32))
def stratified_indices(y: np.ndarray, n: int, seed: int) -> np.ndarray:
    """Indices of a random training subset of size n with every class present in proportion."""
    if n == len(y):
        return np.arange(len(y))
    idx, _ = train_test_split(np.arange(len(y)), train_size=n, stratify=y, random_state=seed)
    return np.sort(idx)


@checked(data=ck.using(as_dataset), repeats=ck.using(_repeats), seed=ck.count(),
         sizes=ck.using(_training_sizes, n_train=ref("data", _n_train)))
def learning_curve(
    data: Dataset,
    sizes: Sequence[int],
    *,
    full_lr: LogisticRegression | None = None,
    repeats: int = 5,
    seed: int = 0,
    max_iter: int | None = None,
) -> list[dict]:
    """Test error of Gaussian NB and logistic regression against training-set size (notebook 01).

    Ng & Jordan (2001) argued that the generative model approaches its (higher)
    asymptotic error with fewer examples. Each size is drawn
    ``draws_per_size`` times (stratified); ``full_lr`` - e.g. the cached
    ``mnist_logistic_regression`` judge - stands in for a refit on the whole
    training set. Returns one row per (model, size, draw):
    ``{"model", "n", "draw", "error", "seconds"}``.
    """
    n_train = len(data.y_train)
    x_test = flatten(data.x_test)
    rows = []
    for n in sizes:
        for draw in range(draws_per_size(n, n_train, repeats)):
            idx = stratified_indices(data.y_train, n, seed + draw)
            x, y = data.x_train[idx], data.y_train[idx]
            t0 = time.perf_counter()
            nb = PixelNaiveBayes().fit(x, y)
            t1 = time.perf_counter()
            if n == n_train and full_lr is not None:
                lr = full_lr  # already fitted on exactly this set
            else:
                lr = fit_logistic_regression(x, y, max_iter=max_iter)
            t2 = time.perf_counter()
            for name, model, seconds in ((NB_NAME, nb.nb, t1 - t0), (LR_NAME, lr, t2 - t1)):
                error = float(np.mean(model.predict(x_test) != data.y_test))
                rows.append({"model": name, "n": n, "draw": draw, "error": error, "seconds": seconds})
    return rows


@checked(rows=ck.using(_curve_rows))
def summarize_curve(rows: Sequence[dict]) -> list[dict]:
    """Mean, min and max test error per (size, model), for the notebook's table."""
    out = []
    for n in sorted({r["n"] for r in rows}):
        row = {"training images": n}
        for name in (NB_NAME, LR_NAME):
            errs = [r["error"] for r in rows if r["n"] == n and r["model"] == name]
            if errs:
                row[f"{name} error"] = float(np.mean(errs))
                row[f"{name} range"] = f"{min(errs):.3f}-{max(errs):.3f}" if len(errs) > 1 else "(1 draw)"
        row["draws"] = sum(1 for r in rows if r["n"] == n and r["model"] == NB_NAME)
        out.append(row)
    return out


# --- notebook 01: the unseen-class experiment ------------------------------------

SCORE_LR_MAXP = "LR max p(y|x)"
SCORE_NB_MAXP = "NB max p(y|x)"
SCORE_NB_LOGPX = "NB log p(x)"


@dataclass
class UnseenClassResult:
    """What two models trained on some classes say about test images of other classes.

    ``scores[score_name][group]`` holds one number per image; a higher score
    means "looks like training data". ``groups`` holds the images themselves.
    """

    seen_classes: tuple[int, ...]
    nb: PixelNaiveBayes
    lr: LogisticRegression
    groups: dict[str, np.ndarray]
    seen_labels: np.ndarray
    unseen_labels: np.ndarray
    scores: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)

    @property
    def seen_group(self) -> str:
        return next(iter(self.groups))

    def auc(self, score: str, group: str) -> float:
        """ROC AUC of ``score`` for telling seen test digits (positive) from ``group``.

        1.0: every seen image scores above every image of ``group``; 0.5: no
        better than a coin.
        """
        pos, neg = self.scores[score][self.seen_group], self.scores[score][group]
        labels = np.r_[np.ones(len(pos)), np.zeros(len(neg))]
        return float(roc_auc_score(labels, np.r_[pos, neg]))

    def auc_rows(self) -> list[dict]:
        """One row per score, one AUC column per out-of-training group."""
        others = list(self.groups)[1:]
        return [{"score": s, **{f"AUC vs {g}": self.auc(s, g) for g in others}} for s in self.scores]

    def seen_accuracy(self) -> dict[str, float]:
        """Test accuracy of both models on the seen classes: the task they were trained for."""
        x = flatten(self.groups[self.seen_group])
        return {
            NB_NAME: float(np.mean(self.nb.nb.predict(x) == self.seen_labels)),
            LR_NAME: float(np.mean(self.lr.predict(x) == self.seen_labels)),
        }


@checked(data=ck.using(as_dataset), seen_classes=ck.using(_seen_classes_in, data=ref("data")),
         far_name=ck.using(_far_name), far_images=ck.using(_far_images, far_name=ref("far_name")))
def unseen_class_experiment(
    data: Dataset,
    far_images: np.ndarray | None = None,
    *,
    seen_classes: Sequence[int] = (0, 1, 2, 3, 4),
    far_name: str = "Fashion-MNIST",
    max_iter: int | None = None,
) -> UnseenClassResult:
    """Train NB and LR on ``seen_classes`` only, then score seen, unseen and far-away test images.

    Notebook 01's test of "a cat-vs-bird classifier meets a dog": the groups
    are the seen classes' test digits, the other digits' test images, and
    (optionally) ``far_images`` such as Fashion-MNIST. Three scores per image:
    LR's max softmax probability, NB's max posterior, NB's log p(x).
    """
    in_train = np.isin(data.y_train, seen_classes)
    in_test = np.isin(data.y_test, seen_classes)
    nb = PixelNaiveBayes().fit(data.x_train[in_train], data.y_train[in_train])
    lr = fit_logistic_regression(data.x_train[in_train], data.y_train[in_train], max_iter=max_iter)
    groups = {"seen digits": data.x_test[in_test], "unseen digits": data.x_test[~in_test]}
    if far_images is not None:
        groups[far_name] = far_images
    result = UnseenClassResult(
        seen_classes=seen_classes, nb=nb, lr=lr, groups=groups,
        seen_labels=data.y_test[in_test], unseen_labels=data.y_test[~in_test],
    )
    for score, fn in (
        (SCORE_LR_MAXP, lambda x: lr.predict_proba(flatten(x)).max(axis=1)),
        (SCORE_NB_MAXP, lambda x: nb.predict_proba(x).max(axis=1)),
        (SCORE_NB_LOGPX, nb.log_likelihood),
    ):
        result.scores[score] = {g: fn(x) for g, x in groups.items()}
    return result
