"""Classical models: Gaussian Naive Bayes (generative) and logistic regression (discriminative).

Introduced in notebook 01; ``PixelNaiveBayes`` is the pixel-space generative
model of notebook 02 and implements the shared interface (helpers.interface),
and ``mnist_logistic_regression`` is the first judge of generated digits
(notebooks 02, 04, 05, 06).
"""

from __future__ import annotations

import numpy as np
from scipy.special import logsumexp
from sklearn.linear_model import LogisticRegression
from sklearn.naive_bayes import GaussianNB

from . import cache, config
from .data import Dataset, check_class, check_images, load_mnist
from .interface import check_codes


def flatten(x: np.ndarray) -> np.ndarray:
    """Images (N, 28, 28) to rows (N, 784), validating shape and range."""
    return check_images(x).reshape(len(x), -1)


class PixelNaiveBayes:
    """Gaussian Naive Bayes in pixel space, seen as a generative model.

    Each class is a diagonal Gaussian over the 784 pixels: p(x|y) = prod_i N(x_i; mu_yi, s2_yi).
    Its "latent space" is pixel space itself, so ``encode`` is the identity
    (flattening) and ``decode`` clips to [0, 1]. Wraps scikit-learn's
    GaussianNB so classification matches the library exactly.
    """

    latent_dim = 28 * 28

    def __init__(self, var_smoothing: float = 1e-9):
        self.nb = GaussianNB(var_smoothing=var_smoothing)

    def fit(self, x: np.ndarray, y: np.ndarray) -> "PixelNaiveBayes":
        self.nb.fit(flatten(x), np.asarray(y))
        return self

    @property
    def classes_(self) -> np.ndarray:
        return self.nb.classes_

    @property
    def class_means(self) -> np.ndarray:
        """Per-class mean images, (n_classes, 28, 28)."""
        return self.nb.theta_.reshape(-1, 28, 28)

    @property
    def class_variances(self) -> np.ndarray:
        """Per-class pixel variances (smoothing included), (n_classes, 28, 28)."""
        return self.nb.var_.reshape(-1, 28, 28)

    def predict(self, x: np.ndarray) -> np.ndarray:
        return self.nb.predict(flatten(x))

    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        return self.nb.predict_proba(flatten(x))

    def log_likelihood(self, x: np.ndarray) -> np.ndarray:
        """log p(x) = log sum_y p(x|y) p(y), in nats per image."""
        return logsumexp(self.nb.predict_joint_log_proba(flatten(x)), axis=1)

    # --- the shared generative-model interface ---------------------------------
    def encode(self, x: np.ndarray) -> np.ndarray:
        return flatten(x).astype(np.float32)

    def decode(self, z: np.ndarray) -> np.ndarray:
        z = check_codes(z, self.latent_dim)
        return np.clip(z, 0.0, 1.0).reshape(-1, 28, 28)

    def sample(self, n: int, seed: int | None = None, classes=None) -> np.ndarray:
        """Draw n images; ``classes`` fixes the class of each (default: drawn from the prior).

        Each pixel is drawn independently from its class Gaussian, then clipped
        to [0, 1]; that independence is what notebook 02 is about.
        """
        rng = np.random.default_rng(seed)
        if classes is None:
            classes = rng.choice(self.classes_, size=n, p=self.nb.class_prior_)
        classes = np.broadcast_to(np.asarray(classes), (n,))
        idx = np.searchsorted(self.classes_, classes)
        for c in np.unique(classes):
            check_class(int(c), len(self.classes_))
        mean, var = self.nb.theta_[idx], self.nb.var_[idx]
        draws = mean + np.sqrt(var) * rng.standard_normal(mean.shape)
        return np.clip(draws, 0.0, 1.0).astype(np.float32).reshape(n, 28, 28)


def fit_logistic_regression(x: np.ndarray, y: np.ndarray, max_iter: int | None = None) -> LogisticRegression:
    """Multinomial logistic regression on raw pixels (lbfgs, default L2 penalty)."""
    max_iter = max_iter or config.SETTINGS.lr_max_iter
    model = LogisticRegression(max_iter=max_iter, tol=1e-3)
    return model.fit(flatten(x), np.asarray(y))


def mnist_logistic_regression(data: Dataset | None = None, *, retrain: bool = False) -> LogisticRegression:
    """The logistic-regression judge trained on MNIST train, cached as plain arrays.

    The cache holds only coefficients (an .npz, no pickle), written atomically;
    a missing or unreadable cache is refitted.
    """
    path = cache.artifact_path("logreg-mnist", ".npz")
    stored = None if retrain else cache.load_arrays(path, ("coef", "intercept", "classes"))
    if stored is not None:
        model = LogisticRegression()
        model.coef_, model.intercept_, model.classes_ = stored["coef"], stored["intercept"], stored["classes"]
        model.n_features_in_ = model.coef_.shape[1]
        return model
    data = data if data is not None else load_mnist()
    model = fit_logistic_regression(data.x_train, data.y_train)
    cache.save_arrays(path, coef=model.coef_, intercept=model.intercept_, classes=model.classes_)
    return model
