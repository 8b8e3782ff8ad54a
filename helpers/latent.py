"""The latent-space engine: class centroids, class vectors, moving samples, paths.

Introduced in notebook 05 and used by notebook 06. It relies only on the
shared interface (``encode``, ``decode``, ``latent_dim``; helpers.interface),
so pixel-space Naive Bayes, both VAEs, the BiGAN and any future model behave
the same way here.

The recipe of the series, for a test image x_c of class c:

    z_c' = encode(x_c) + alpha * (z_a - z_b),    x' = decode(z_c')

where z_a, z_b are the centroids of classes a and b in latent space,
computed from training data only.
"""

from __future__ import annotations

import itertools
import math
from typing import Iterable, Sequence

import numpy as np
from scipy.special import gammaln

from .data import check_class, check_images
from .interface import check_codes, check_model

N_CLASSES = 10


def digit_pairs(n_classes: int = N_CLASSES) -> list[tuple[int, int]]:
    """All unordered pairs (b, a) with b < a: 45 for ten digits."""
    return list(itertools.combinations(range(n_classes), 2))


def ordered_pairs(n_classes: int = N_CLASSES) -> list[tuple[int, int]]:
    """All ordered pairs (b, a) with b != a: 90 for ten digits (notebook 06)."""
    return list(itertools.permutations(range(n_classes), 2))


def _as_alphas(alphas) -> np.ndarray:
    a = np.atleast_1d(np.asarray(alphas, dtype=np.float32))
    if a.ndim != 1:
        raise ValueError(f"alphas must be a number or a 1-D sequence, got shape {a.shape}.")
    if not np.all(np.isfinite(a)):
        raise ValueError("alphas must be finite numbers.")
    return a


def encode_images(model, x, batch_size: int = 4096) -> np.ndarray:
    """Validated images through ``model.encode``, in batches."""
    check_model(model)
    x = check_images(x)
    parts = [np.asarray(model.encode(x[i: i + batch_size]), dtype=np.float32) for i in range(0, len(x), batch_size)]
    return np.concatenate(parts) if parts else np.zeros((0, model.latent_dim), np.float32)


def class_centroids(codes: np.ndarray, labels: np.ndarray, n_classes: int = N_CLASSES) -> np.ndarray:
    """Mean code of each class, (n_classes, latent_dim). Pass *training* codes only."""
    codes = np.asarray(codes, dtype=np.float64)
    labels = np.asarray(labels)
    if codes.ndim != 2 or len(codes) != len(labels):
        raise ValueError(f"codes (N, d) and labels (N,) must match, got {codes.shape} and {labels.shape}.")
    counts = np.bincount(labels, minlength=n_classes)
    missing = np.flatnonzero(counts == 0)
    if missing.size:
        raise ValueError(f"no training samples of class(es) {missing.tolist()}; every class needs at least one.")
    sums = np.zeros((n_classes, codes.shape[1]))
    np.add.at(sums, labels, codes)
    return (sums / counts[:, None]).astype(np.float32)


def lerp(z0, z1, t) -> np.ndarray:
    """Linear path z0 + t (z1 - z0); t may be an array, giving (len(t), d)."""
    z0, z1 = np.asarray(z0, np.float64), np.asarray(z1, np.float64)
    t = _as_alphas(t).astype(np.float64)[:, None]
    return (z0 + t * (z1 - z0)).astype(np.float32)


def slerp(z0, z1, t) -> np.ndarray:
    """Spherical interpolation (Shoemake 1985; White 2016) between two codes.

    Follows the great circle between the directions of z0 and z1 while the
    norm moves linearly from |z0| to |z1|, so a path between two codes of
    typical norm stays at typical norm instead of cutting through the
    low-norm middle of the prior. Falls back to lerp for (anti)parallel codes.
    """
    z0, z1 = np.asarray(z0, np.float64), np.asarray(z1, np.float64)
    t = _as_alphas(t).astype(np.float64)[:, None]
    n0, n1 = np.linalg.norm(z0), np.linalg.norm(z1)
    if n0 == 0 or n1 == 0:
        return lerp(z0, z1, t[:, 0])
    u0, u1 = z0 / n0, z1 / n1
    omega = math.acos(float(np.clip(np.dot(u0, u1), -1.0, 1.0)))
    if omega < 1e-6 or abs(omega - math.pi) < 1e-6:
        return lerp(z0, z1, t[:, 0])
    direction = (np.sin((1 - t) * omega) * u0 + np.sin(t * omega) * u1) / math.sin(omega)
    return ((n0 + t * (n1 - n0)) * direction).astype(np.float32)


def prior_typical_norm(latent_dim: int) -> float:
    """E|z| for z ~ N(0, I_d): the radius of the prior's typical set (about sqrt(d))."""
    d = latent_dim
    return float(math.sqrt(2.0) * math.exp(gammaln((d + 1) / 2) - gammaln(d / 2)))


class LatentSpace:
    """A model's latent space with class centroids fitted on training data.

    >>> space = LatentSpace(model, data.x_train, data.y_train)
    >>> frames = space.move(data.x_test[:5], a=0, b=6, alphas=np.linspace(-0.5, 1.5, 9))
    """

    def __init__(self, model, x_train, y_train, n_classes: int = N_CLASSES, name: str | None = None):
        check_model(model)
        self.model = model
        self.name = name or type(model).__name__
        self.n_classes = n_classes
        self.train_codes = encode_images(model, x_train)
        self.train_labels = np.asarray(y_train)
        self.centroids = class_centroids(self.train_codes, self.train_labels, n_classes)
        self.counts = np.bincount(self.train_labels, minlength=n_classes)

    @property
    def latent_dim(self) -> int:
        return int(self.model.latent_dim)

    def _pair(self, a: int, b: int) -> tuple[int, int]:
        a = check_class(a, self.n_classes, name="target class a")
        b = check_class(b, self.n_classes, name="start class b")
        if a == b:
            raise ValueError(f"start and target class are both {a}; the vector z_a - z_b would be zero.")
        return a, b

    def vector(self, a: int, b: int, method: str = "centroid") -> np.ndarray:
        """The direction from class b to class a.

        ``"centroid"``: z_a - z_b, the plain difference of class centroids.
        ``"balanced"``: the bias-corrected form in the spirit of White (2016):
        each class's one-vs-rest attribute vector mu_c - mean(others) is
        computed with every other class weighted equally (not by its count),
        and the pair vector is v_a - v_b. ``"pooled"`` is the uncorrected
        one-vs-rest version, where frequent classes weigh more.
        """
        a, b = self._pair(a, b)
        if method == "centroid":
            return self.centroids[a] - self.centroids[b]
        if method in ("balanced", "pooled"):
            return self.attribute_vector(a, balanced=method == "balanced") - self.attribute_vector(
                b, balanced=method == "balanced")
        raise ValueError(f"unknown method {method!r}; use 'centroid', 'balanced' or 'pooled'.")

    def attribute_vector(self, c: int, balanced: bool = True) -> np.ndarray:
        """One-vs-rest vector of class c: its centroid minus the centroid of all other samples."""
        c = check_class(c, self.n_classes)
        others = [k for k in range(self.n_classes) if k != c]
        if balanced:
            rest = self.centroids[others].mean(axis=0)
        else:
            w = self.counts[others] / self.counts[others].sum()
            rest = (w[:, None] * self.centroids[others]).sum(axis=0)
        return (self.centroids[c] - rest).astype(np.float32)

    def encode(self, x) -> np.ndarray:
        return encode_images(self.model, x)

    def decode(self, z) -> np.ndarray:
        z = check_codes(z, self.latent_dim)
        return np.asarray(self.model.decode(z), dtype=np.float32)

    def moved_codes(self, codes, vector, alphas) -> np.ndarray:
        """codes (N, d) + alphas (A,) x vector (d,) -> (N, A, d)."""
        codes = check_codes(codes, self.latent_dim)
        vector = np.asarray(vector, np.float32).reshape(-1)
        if vector.shape != (self.latent_dim,):
            raise ValueError(f"vector must have shape ({self.latent_dim},), got {vector.shape}.")
        return codes[:, None, :] + _as_alphas(alphas)[None, :, None] * vector[None, None, :]

    def move(self, x, a: int, b: int, alphas, method: str = "centroid") -> np.ndarray:
        """decode(encode(x) + alpha (z_a - z_b)) for every image and alpha: (N, A, 28, 28).

        One encode call and one decode call for the whole batch.
        """
        codes = self.moved_codes(self.encode(x), self.vector(a, b, method), alphas)
        n, k, d = codes.shape
        return self.decode(codes.reshape(n * k, d)).reshape(n, k, 28, 28)

    def centroid_path(self, a: int, b: int, alphas) -> np.ndarray:
        """Decoded z_b + alpha (z_a - z_b): from the centroid of b (alpha 0) to that of a (alpha 1)."""
        a, b = self._pair(a, b)
        return self.decode(lerp(self.centroids[b], self.centroids[a], alphas))

    def pair_grid(self, alphas, pairs: Sequence[tuple[int, int]] | None = None) -> np.ndarray:
        """Centroid paths for many pairs in one decode call: (len(pairs), A, 28, 28)."""
        pairs = list(pairs) if pairs is not None else digit_pairs(self.n_classes)
        alphas = _as_alphas(alphas)
        for b, a in pairs:
            self._pair(a, b)
        codes = np.stack([lerp(self.centroids[b], self.centroids[a], alphas) for b, a in pairs])
        p, k, d = codes.shape
        return self.decode(codes.reshape(p * k, d)).reshape(p, k, 28, 28)


def path_norms(path: np.ndarray) -> np.ndarray:
    """Euclidean norm of each code along a path (..., d)."""
    return np.linalg.norm(np.asarray(path, np.float64), axis=-1)


def looped_move(space: LatentSpace, x, a: int, b: int, alphas: Iterable[float]) -> np.ndarray:
    """Reference implementation of :meth:`LatentSpace.move`, one decode per image and alpha.

    Kept as the readable definition that the test of the vectorised version
    compares against.
    """
    v = space.vector(a, b)
    out = []
    for img in check_images(x):
        z = space.encode(img[None])[0]
        out.append([space.decode((z + np.float32(al) * v)[None])[0] for al in alphas])
    return np.asarray(out, dtype=np.float32)


def interpolation_norms(z0: np.ndarray, z1: np.ndarray, t) -> dict[str, np.ndarray]:
    """Norms along lerp and slerp paths for many pairs of codes: each (n_pairs, len(t)).

    Used in notebook 05 to show that a straight line between two codes of
    typical norm passes through codes the prior almost never produces.
    """
    z0, z1 = np.asarray(z0), np.asarray(z1)
    if z0.shape != z1.shape or z0.ndim != 2:
        raise ValueError(f"z0 and z1 must both be (n_pairs, d), got {z0.shape} and {z1.shape}.")
    return {
        "lerp": np.stack([path_norms(lerp(a, b, t)) for a, b in zip(z0, z1)]),
        "slerp": np.stack([path_norms(slerp(a, b, t)) for a, b in zip(z0, z1)]),
    }
