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
from dataclasses import dataclass, field
from typing import Iterable, Sequence

import numpy as np
from scipy.special import gammaln

from . import checks as ck
from .checks import checked, ref
from .data import check_memory
from .interface import check_decoded

N_CLASSES = 10


# --- argument specs of this module (helpers.checks): what each function may be given ----------------------
def _class_count(n, *, name):
    """A number of classes >= 2 whose pairs fit in memory."""
    n = ck.check_count(n, name=name, minimum=2)
    check_memory(64.0 * n ** 2, name=name, what=f"all pairs of {n:,} classes")
    return n


def _path_end(z, *, name, other=None):
    """One end of a path: a code (d,) or a batch (N, d) of finite numbers, matching the other end."""
    if z is None or isinstance(z, (str, bytes)):
        raise TypeError(f"{name} must be a code (d,) or a batch of codes (N, d), got {z!r}.")
    try:
        z = np.asarray(z, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a code (d,) or a batch of codes (N, d) of numbers.") from None
    if z.ndim not in (1, 2) or z.shape[-1] == 0:
        raise ValueError(f"{name} must be a code (d,) or a batch of codes (N, d), got shape {z.shape}.")
    if not np.all(np.isfinite(z)):
        raise ValueError(f"{name} contains NaN or infinite values.")
    if other is not None:
        if other.shape[-1] != z.shape[-1]:
            raise ValueError(f"z0 and z1 must have the same code size, got shapes {other.shape} and {z.shape}.")
        n0, n1 = len(np.atleast_2d(other)), len(np.atleast_2d(z))
        if n0 != n1 and 1 not in (n0, n1):
            raise ValueError(f"z0 and z1 hold {n0} and {n1} codes; pass one path's ends or equal batches.")
    return z


def _float32_path(path, *, name):
    """The path as float32, refused when it leaves the float32 range."""
    with np.errstate(over="ignore", invalid="ignore"):
        out = np.asarray(path).astype(np.float32)
    if not np.all(np.isfinite(out)):
        raise ValueError("z0, z1 and t give points beyond the float32 range; use codes and t of ordinary size.")
    return out


def _finite_moves(codes, *, name):
    """Moved codes, refused when a code leaves the float32 range."""
    if not np.all(np.isfinite(codes)):
        raise ValueError("codes, vector and alphas give codes beyond the float32 range; use a vector and alphas of "
                         "ordinary size.")
    return codes


_PATH_CHECKS = dict(z0=ck.using(_path_end), z1=ck.using(_path_end, other=ref("z0")), t=ck.alphas(),
                    returns=ck.using(_float32_path))


def _other_class(b, *, name, a, n_classes):
    """The start class b: a class other than the target a."""
    b = ck.check_class(b, n_classes, name=name)
    if a == b:
        raise ValueError(f"start and target class are both {a}; the vector z_a - z_b would be zero.")
    return b


def _space_classes(space):
    return space.n_classes


def _space_dim(space):
    return space.latent_dim


#: The class pair (a target, b start) of a method of LatentSpace.
_PAIR_CHECKS = dict(a=ck.class_id(ref("self", _space_classes), label="target class a"),
                    b=ck.using(_other_class, a=ref("a"), n_classes=ref("self", _space_classes),
                               label="start class b"))


def _one_vector(v, *, name, latent_dim):
    """One direction (d,) of finite numbers (a batch of one is accepted)."""
    v = np.reshape(v, (1, -1)) if np.size(v) == latent_dim else v
    v = ck.codes(latent_dim)(v, name, {})
    if len(v) != 1:
        raise ValueError(f"{name} must be one direction of shape ({latent_dim},), got {len(v)} of them; pass one row.")
    return v[0]


def _class_pairs(pairs, *, name, n_classes):
    """A non-empty list of (b, a) class pairs, each two different classes; None means all 45."""
    if pairs is None:
        return digit_pairs(n_classes)
    if isinstance(pairs, (str, bytes)) or not hasattr(pairs, "__iter__"):
        raise ValueError(f"pairs must be a list of (b, a) class pairs such as [(0, 6)], got {pairs!r}.")
    pairs = list(pairs)
    if not pairs or not all(isinstance(p, (tuple, list)) and len(p) == 2 for p in pairs):
        raise ValueError(f"pairs must be a non-empty list of (b, a) class pairs such as [(0, 6)], got {pairs!r}.")
    for b, a in pairs:
        a = ck.check_class(a, n_classes, name="target class a")
        _other_class(b, name="start class b", a=a, n_classes=n_classes)
    return [(int(b), int(a)) for b, a in pairs]


def _changed_images(x_changed, *, name, like):
    """Images that pair up one to one with ``like`` (at least one)."""
    x_changed = ck.check_images(x_changed, name=name)
    if x_changed.shape != like.shape:
        raise ValueError(f"x_changed must pair up with x: shapes {x_changed.shape} and {like.shape}.")
    if len(x_changed) == 0:
        raise ValueError("x: pass at least one image.")
    return x_changed


def _index(index, *, name, n):
    """Positions (1-D integers) of training codes, or a boolean mask of length n; None keeps all."""
    if index is None:
        return None
    index = np.asarray(index) if not isinstance(index, (str, bytes)) else np.asarray([index])
    if not ((index.dtype == bool and index.shape == (n,)) or (index.ndim == 1 and index.dtype.kind in "iu")):
        raise TypeError(f"index: expected integer positions of training codes (1-D) or a boolean mask of "
                        f"length {n}, got {index.dtype} of shape {index.shape}.")
    if index.dtype != bool and index.size and (index.min() < -n or index.max() >= n):
        raise ValueError(f"index: positions must lie in 0..{n - 1} (there are {n} training codes).")
    return index


def _path(path, *, name):
    path = ck.check_numbers(path, name=name, finite=False, what="codes along a path (..., d)")
    if path.ndim == 0:
        raise ValueError("path: expected codes along a path (..., d), got a single number.")
    return path


def _dimension(value, *, name):
    d = ck.check_count(value, name=name, minimum=1, maximum=None)  # a dimension in a formula: 10**20 is fine
    if d > 1e300:
        raise ValueError(f"{name} must be a dimension a float can hold, got an integer of {d.bit_length()} bits.")
    return d


def _some_pairs(value, *, name):
    z0 = ck.check_numbers(value, name=name, what="codes (n_pairs, d)")
    if z0.ndim == 2 and len(z0) == 0:
        raise ValueError(f"{name} holds no codes; pass at least one pair of codes (n_pairs >= 1, d).")
    return z0


def _pairs_of_codes(z1, *, name, like):
    z1 = ck.check_numbers(z1, name=name, what="codes (n_pairs, d)")
    if z1.shape != like.shape or z1.ndim != 2:
        raise ValueError(f"z0 and z1 must both be (n_pairs, d), got {like.shape} and {z1.shape}.")
    return z1


# --- classes, pairs, centroids -----------------------------------------------------------------------------
@checked(n_classes=ck.using(_class_count))
def digit_pairs(n_classes: int = N_CLASSES) -> list[tuple[int, int]]:
    """All unordered pairs (b, a) with b < a: 45 for ten digits."""
    return list(itertools.combinations(range(n_classes), 2))


@checked(n_classes=ck.using(_class_count))
def ordered_pairs(n_classes: int = N_CLASSES) -> list[tuple[int, int]]:
    """All ordered pairs (b, a) with b != a: 90 for ten digits (notebook 06)."""
    return list(itertools.permutations(range(n_classes), 2))


@checked(model=ck.model(), x=ck.images(label="images"), batch_size=ck.count(minimum=1))
def encode_images(model, x, batch_size: int = 4096) -> np.ndarray:
    """Validated images through ``model.encode``, in batches."""
    parts = [np.asarray(model.encode(x[i: i + batch_size]), dtype=np.float32) for i in range(0, len(x), batch_size)]
    codes = np.concatenate(parts) if parts else np.zeros((0, model.latent_dim), np.float32)
    if codes.shape != (len(x), model.latent_dim) or not np.all(np.isfinite(codes)):
        raise TypeError(f"{type(model).__name__}.encode returned {codes.shape} codes (or NaN) for {len(x)} images; "
                        f"encode(x) must return finite codes (N, latent_dim={model.latent_dim}).")
    return codes


_CENTROID_ROWS = 4096


@checked(codes=ck.numbers(ndim=2, what="codes (N, d)", keep_float=True), n_classes=ck.count(minimum=1),
         labels=ck.labels_of_every_class(ref("codes", len), ref("n_classes")))
def class_centroids(codes: np.ndarray, labels: np.ndarray, n_classes: int = N_CLASSES) -> np.ndarray:
    """Mean code of each class, (n_classes, latent_dim). Pass *training* codes only."""
    counts = np.bincount(labels, minlength=n_classes)
    sums = np.zeros((n_classes, codes.shape[1]))
    # in slices: np.add.at casts its values to float64 first, which for 60,000 pixel codes is 376 MB at once
    for start in range(0, len(codes), _CENTROID_ROWS):
        np.add.at(sums, labels[start: start + _CENTROID_ROWS], codes[start: start + _CENTROID_ROWS])
    return (sums / counts[:, None]).astype(np.float32)


# --- paths ---------------------------------------------------------------------------------------------
@checked(**_PATH_CHECKS)
def lerp(z0, z1, t) -> np.ndarray:
    """Linear path z0 + t (z1 - z0) at every t (a number or a 1-D sequence).

    Two codes (d,) give one path (len(t), d); two batches (N, d) give N paths
    (N, len(t), d), pair i running from z0[i] to z1[i] (as :func:`slerp` does).
    """
    a, b = np.broadcast_arrays(np.atleast_2d(z0), np.atleast_2d(z1))
    t = t.astype(np.float64)[None, :, None]
    path = a[:, None, :] + t * (b - a)[:, None, :]
    return path if max(z0.ndim, z1.ndim) == 2 else path[0]


@checked(**_PATH_CHECKS)
def slerp(z0, z1, t) -> np.ndarray:
    """Spherical interpolation (Shoemake 1985; White 2016) between two codes, or between pairs of codes.

    Follows the great circle between the directions of z0 and z1 while the
    norm moves linearly from |z0| to |z1|, so a path between two codes of
    typical norm stays at typical norm instead of cutting through the
    low-norm middle of the prior. Falls back to lerp for (anti)parallel or
    zero codes. Shapes as for :func:`lerp`: (len(t), d), or (N, len(t), d) for batches.
    """
    a, b = np.broadcast_arrays(np.atleast_2d(z0), np.atleast_2d(z1))
    t = t.astype(np.float64)[None, :, None]
    n0, n1 = np.linalg.norm(a, axis=1), np.linalg.norm(b, axis=1)
    u0 = a / np.where(n0 > 0, n0, 1.0)[:, None]             # unit directions
    u1 = b / np.where(n1 > 0, n1, 1.0)[:, None]
    omega = np.arccos(np.clip(np.sum(u0 * u1, axis=1), -1.0, 1.0))  # the angle between them
    straight = (n0 == 0) | (n1 == 0) | (omega < 1e-6) | (np.abs(omega - math.pi) < 1e-6)
    w = np.where(straight, 1.0, omega)[:, None, None]
    direction = (np.sin((1 - t) * w) * u0[:, None, :] + np.sin(t * w) * u1[:, None, :]) / np.sin(w)
    norm = n0[:, None, None] + t * (n1 - n0)[:, None, None]  # the length moves linearly
    line = a[:, None, :] + t * (b - a)[:, None, :]
    path = np.where(straight[:, None, None], line, norm * direction)
    return path if max(z0.ndim, z1.ndim) == 2 else path[0]


@checked(latent_dim=ck.using(_dimension))
def prior_typical_norm(latent_dim: int) -> float:
    """E|z| for z ~ N(0, I_d): the radius of the prior's typical set (about sqrt(d))."""
    if latent_dim < 1000:
        return float(math.sqrt(2.0) * math.exp(gammaln((latent_dim + 1) / 2) - gammaln(latent_dim / 2)))
    # The difference of two huge log-gammas loses its digits (d = 1e20 gave 1.41); the asymptotic
    # series of sqrt(2) Gamma((d + 1) / 2) / Gamma(d / 2) agrees with it to 4e-13 at d = 1000.
    d = float(latent_dim)  # an int too large for a float is refused by the spec
    return math.sqrt(d) * (1 - 1 / (4 * d) + 1 / (32 * d**2) + 5 / (128 * d**3) - 21 / (2048 * d**4))


class LatentSpace:
    """A model's latent space with class centroids fitted on training data.

    >>> space = LatentSpace(model, data.x_train, data.y_train)
    >>> frames = space.move(data.x_test[:5], a=0, b=6, alphas=np.linspace(-0.5, 1.5, 9))
    """

    @checked(model=ck.model(), name=ck.instance(str, "'VAE-20d'", allow_none=True),
             n_classes=ck.count(minimum=2), x_train=ck.images(),
             y_train=ck.labels(n=ref("x_train", len), n_classes=ref("n_classes")))
    def __init__(self, model, x_train, y_train, n_classes: int = N_CLASSES, name: str | None = None):
        self.model = model
        self.name = name or type(model).__name__
        self.n_classes = n_classes
        self.train_labels = y_train
        self.train_codes = encode_images(model, x_train)
        self.centroids = class_centroids(self.train_codes, self.train_labels, n_classes)
        self.counts = np.bincount(self.train_labels, minlength=n_classes)

    @property
    def latent_dim(self) -> int:
        return int(self.model.latent_dim)

    @checked(**_PAIR_CHECKS, method=ck.one_of("centroid", "balanced", "pooled"))
    def vector(self, a: int, b: int, method: str = "centroid") -> np.ndarray:
        """The direction from class b to class a.

        ``"centroid"``: z_a - z_b, the plain difference of class centroids.
        ``"balanced"``: the bias-corrected form in the spirit of White (2016):
        each class's one-vs-rest attribute vector mu_c - mean(others) is
        computed with every other class weighted equally (not by its count),
        and the pair vector is v_a - v_b. ``"pooled"`` is the uncorrected
        one-vs-rest version, where frequent classes weigh more.
        """
        if method == "centroid":
            return self.centroids[a] - self.centroids[b]
        balanced = method == "balanced"
        return self.attribute_vector(a, balanced) - self.attribute_vector(b, balanced)

    @checked(c=ck.class_id(ref("self", _space_classes)), balanced=ck.flag())
    def attribute_vector(self, c: int, balanced: bool = True) -> np.ndarray:
        """One-vs-rest vector of class c: its centroid minus the centroid of all other samples."""
        others = [k for k in range(self.n_classes) if k != c]
        if balanced:
            rest = self.centroids[others].mean(axis=0)
        else:
            w = self.counts[others] / self.counts[others].sum()
            rest = (w[:, None] * self.centroids[others]).sum(axis=0)
        return (self.centroids[c] - rest).astype(np.float32)

    def encode(self, x) -> np.ndarray:
        return encode_images(self.model, x)

    @checked(z=ck.codes(ref("self", _space_dim)),
             returns=lambda images, _, args: check_decoded(images, len(args["z"]), name=f"{args['self'].name}.decode"))
    def decode(self, z) -> np.ndarray:
        return self.model.decode(z)

    @checked(codes=ck.codes(ref("self", _space_dim)), vector=ck.using(_one_vector, latent_dim=ref("self", _space_dim)),
             alphas=ck.alphas(), returns=ck.using(_finite_moves))
    def moved_codes(self, codes, vector, alphas) -> np.ndarray:
        """codes (N, d) + alphas (A,) x vector (d,) -> (N, A, d)."""
        return codes[:, None, :] + alphas[None, :, None] * vector[None, None, :]

    def move(self, x, a: int, b: int, alphas, method: str = "centroid") -> np.ndarray:
        """decode(encode(x) + alpha (z_a - z_b)) for every image and alpha: (N, A, 28, 28).

        One encode call and one decode call for the whole batch.
        """
        codes = self.moved_codes(self.encode(x), self.vector(a, b, method), alphas)
        n, k, d = codes.shape
        return self.decode(codes.reshape(n * k, d)).reshape(n, k, 28, 28)

    @checked(**_PAIR_CHECKS, alphas=ck.alphas())
    def centroid_path(self, a: int, b: int, alphas) -> np.ndarray:
        """Decoded z_b + alpha (z_a - z_b): from the centroid of b (alpha 0) to that of a (alpha 1)."""
        return self.decode(lerp(self.centroids[b], self.centroids[a], alphas))

    @checked(alphas=ck.alphas(), pairs=ck.using(_class_pairs, n_classes=ref("self", _space_classes)))
    def pair_grid(self, alphas, pairs: Sequence[tuple[int, int]] | None = None) -> np.ndarray:
        """Centroid paths for many pairs in one decode call: (len(pairs), A, 28, 28)."""
        codes = np.stack([lerp(self.centroids[b], self.centroids[a], alphas) for b, a in pairs])
        p, k, d = codes.shape
        return self.decode(codes.reshape(p * k, d)).reshape(p, k, 28, 28)

    @checked(x=ck.images(), x_changed=ck.using(_changed_images, like=ref("x")))
    def code_shift(self, x, x_changed) -> np.ndarray:
        """Mean of encode(x_changed) - encode(x) over pairs of images: where a real change goes in code space.

        Introduced in notebook 07, where x_changed is x thickened, sheared or
        stretched (helpers.morphometry), so the shift is the ground-truth
        direction of that attribute.
        """
        return (self.encode(x_changed).astype(np.float64) - self.encode(x)).mean(axis=0)

    @checked(index=ck.using(_index, n=ref("self", lambda space: len(space.train_codes))))
    def attribute_directions(self, attribute: str, values, index=None, counterfactual=None,
                             **options) -> "AttributeDirections":
        """The four directions of an attribute in this space (see :func:`attribute_directions`).

        ``values`` is the attribute measured on the training digits
        ``self.train_codes[index]`` (all of them when ``index`` is None);
        ``counterfactual`` a :meth:`code_shift`.
        """
        codes, labels = self.train_codes, self.train_labels
        if index is not None:
            codes, labels = codes[index], labels[index]
        return attribute_directions(codes, values, labels, self.centroids, attribute=attribute,
                                    counterfactual=counterfactual, **options)


@checked(path=ck.using(_path))
def path_norms(path: np.ndarray) -> np.ndarray:
    """Euclidean norm of each code along a path (..., d)."""
    return np.linalg.norm(path, axis=-1)


@checked(space=ck.instance(LatentSpace, "LatentSpace(model, x_train, y_train)"), x=ck.images(label="images"),
         alphas=ck.alphas())
def looped_move(space: LatentSpace, x, a: int, b: int, alphas: Iterable[float]) -> np.ndarray:
    """Reference implementation of :meth:`LatentSpace.move`, one decode per image and alpha.

    Kept as the readable definition that the test of the vectorised version
    compares against.
    """
    v = space.vector(a, b)
    out = []
    for img in x:
        z = space.encode(img[None])[0]
        out.append([space.decode((z + np.float32(al) * v)[None])[0] for al in alphas])
    return np.asarray(out, dtype=np.float32)


@checked(z0=ck.using(_some_pairs), z1=ck.using(_pairs_of_codes, like=ref("z0")))
def interpolation_norms(z0: np.ndarray, z1: np.ndarray, t) -> dict[str, np.ndarray]:
    """Norms along lerp and slerp paths for many pairs of codes: each (n_pairs, len(t)).

    Used in notebook 05 to show that a straight line between two codes of
    typical norm passes through codes the prior almost never produces.
    """
    return {
        "lerp": np.stack([path_norms(lerp(a, b, t)) for a, b in zip(z0, z1)]),
        "slerp": np.stack([path_norms(slerp(a, b, t)) for a, b in zip(z0, z1)]),
    }


# --- attribute directions (notebook 07) ------------------------------------------------------
#: The four recipes for an attribute direction, in the order notebook 07 presents them.
DIRECTION_METHODS = ("quantile", "probe", "conditional", "counterfactual")


def _known_method(method, *, name, known):
    if not isinstance(method, str) or method not in known:
        raise ValueError(f"unknown direction method {method!r}; use one of {known}.")
    return method


@dataclass
class AttributeDirections:
    """Four directions in one code space that should move attribute s, each scaled to "one SD per alpha".

    Introduced in notebook 07. ``vectors[method]`` is a (d,) vector v such that
    the linear probe predicts a change of exactly one standard deviation of s
    for z -> z + v: ``probe_weights @ v == sd``. So alpha = 1 means "+1 SD of s"
    for every method and every model, and the methods differ only in where
    they point. A method that cannot give a direction here has a NaN vector and
    a reason in ``missing`` (for example the conditional direction in a 2-d
    space, where the nine class directions already fill the space).
    """

    attribute: str
    sd: float
    probe_weights: np.ndarray
    probe_r2: float
    vectors: dict[str, np.ndarray]
    missing: dict[str, str] = field(default_factory=dict)

    def unit(self, method: str) -> np.ndarray:
        """The direction of ``method`` with unit length (NaN when missing)."""
        v = self.vector(method)
        return v / np.linalg.norm(v) if np.all(np.isfinite(v)) else v

    @checked(method=ck.using(_known_method, known=ref("self", lambda directions: list(directions.vectors))))
    def vector(self, method: str) -> np.ndarray:
        return self.vectors[method]

    def available(self) -> list[str]:
        """The methods that gave a direction."""
        return [m for m, v in self.vectors.items() if np.all(np.isfinite(v))]

    def cosine(self, first: str, second: str) -> float:
        """Cosine between two methods' directions (NaN when either is missing)."""
        a, b = self.unit(first), self.unit(second)
        return float(a @ b) if np.all(np.isfinite(a)) and np.all(np.isfinite(b)) else float("nan")


def _attribute_values(values, *, name, n):
    """One measured value per code, NaN allowed (a blank image has no slant), infinities not."""
    values = ck.check_numbers(values, name=name, finite=False, what=f"one attribute value per code, shape ({n},)")
    if np.isinf(values).any():
        raise ValueError(f"{name}: contains infinite values; pass finite measurements (NaN for a blank image).")
    if np.isfinite(values).any() and np.nanmax(np.abs(values)) > 1e100:  # its square would overflow
        raise ValueError(f"{name}: values up to {np.nanmax(np.abs(values)):.3g}; pass measurements of ordinary size.")
    if values.shape != (n,):
        raise ValueError(f"{name}: expected one value per code, shape ({n},), got {values.shape}.")
    return values


def _probe_values(values, *, name, n):
    """Attribute values with at least 3 finite ones that differ: what a regression can fit."""
    values = _attribute_values(values, name=name, n=n)
    keep = np.isfinite(values)
    if keep.sum() < 3:
        raise ValueError(f"{name}: only {int(keep.sum())} finite values; the probe needs at least 3.")
    if np.ptp(values[keep]) == 0:
        raise ValueError(f"{name}: the attribute does not vary (every value is {values[keep][0]:g}); a probe needs "
                         "digits that differ in it.")
    return values


def _direction_codes(codes, *, name):
    """Codes (N, d) of finite numbers, small enough that their squares do not overflow float64."""
    codes = ck.check_numbers(codes, name=name, what="codes (N, d)")
    if codes.ndim != 2 or codes.shape[1] == 0:
        raise ValueError(f"{name}: expected shape (N, d) with d >= 1, got {codes.shape}.")
    if codes.size and np.abs(codes).max() > 1e100:
        raise ValueError(f"{name}: values up to {np.abs(codes).max():.3g}; pass codes of ordinary size (a model's "
                         "encode gives values of order 1).")
    return codes


def _centroids(c, *, name):
    c = _direction_codes(c, name=name)
    if len(c) < 2:
        raise ValueError(f"{name}: expected shape (n_classes >= 2, d), got {c.shape}.")
    return c


def _class_count(n_classes, *, name, n):
    """A number of classes, at least 1 and at most the number of codes (each class needs codes of its own)."""
    n_classes = ck.check_count(n_classes, name=name, minimum=1)
    if n_classes > n:
        raise ValueError(f"{name}: {n_classes:,} classes for {n:,} codes; every class needs codes of its own.")
    return n_classes


def _quantile_values(values, *, name, n, labels, n_classes, quantile):
    """Attribute values of which some class has distinct top and bottom quantiles."""
    values = _attribute_values(values, name=name, n=n)
    for c in range(n_classes):
        own = values[(labels == c) & np.isfinite(values)]
        if len(own) >= 2 and np.quantile(own, 1.0 - quantile) > np.quantile(own, quantile):
            return values
    raise ValueError(f"{name}: no class has distinct top and bottom quantiles; is the attribute constant?")


def _varying_values(values, *, name, n, attribute):
    values = _attribute_values(values, name=name, n=n)
    sd = float(np.nanstd(values))
    if not sd > 0:
        raise ValueError(f"{name}: the attribute {attribute!r} does not vary (SD {sd}); no direction to find.")
    return values


def _counterfactual(cf, *, name, d):
    if cf is None:
        return None
    cf = ck.check_numbers(cf, name=name, finite=False, what=f"a mean code difference ({d},)").reshape(-1)
    if cf.shape != (d,) or not np.all(np.isfinite(cf)):
        raise ValueError(f"{name}: expected a finite mean code difference of shape ({d},), got {cf.shape}.")
    return cf


def _component_count(k, *, name, codes):
    if len(codes) < 2:
        raise ValueError(f"codes: expected shape (N >= 2, d), got {codes.shape}.")
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not 1 <= k <= codes.shape[1]:
        raise ValueError(f"{name} must be an integer from 1 to the code size {codes.shape[1]}, got {k!r}.")
    if k > len(codes) - 1:
        # N centred codes span at most N - 1 directions: more would be arbitrary (or missing) rows
        raise ValueError(f"{name} must be at most the number of codes minus one ({len(codes) - 1}) for {len(codes)} "
                         f"codes, got {k}; pass more codes or a smaller k.")
    return int(k)


def _codes_len(codes):
    return len(codes)


def _codes_dim(codes):
    return codes.shape[1]


@checked(codes=ck.using(_direction_codes), values=ck.using(_probe_values, n=ref("codes", _codes_len)),
         ridge=ck.number(low=0))
def ridge_probe(codes, values, ridge: float = 1e-3) -> tuple[np.ndarray, float, float]:
    """Linear probe s ~ w . z + b by ridge regression: returns (w, b, R^2 on the fitting data).

    The penalty is ``ridge`` times the mean code variance, so it means the same
    in a 2-d VAE and in 784-d pixel space; it only matters where codes are
    collinear (pixels that are always blank). Rows with a NaN value (blank
    images, see helpers.morphometry) are left out.
    """
    keep = np.isfinite(values)
    z, s = codes[keep], values[keep]
    z_mean, s_mean = z.mean(axis=0), s.mean()
    zc, sc = z - z_mean, s - s_mean
    n, d = zc.shape
    penalty = float(ridge) * max(float(np.sum(zc * zc)) / n / d, 1e-12)  # ridge x the mean code variance
    try:
        if d <= n:
            gram = zc.T @ zc / n
            gram.flat[:: d + 1] += penalty
            w = np.linalg.solve(gram, zc.T @ sc / n)
        else:  # the same w through the n x n Gram matrix of the digits: codes longer than the digits are many
            gram = zc @ zc.T / n  # (h-space: 3,920 numbers a code) would need a d x d matrix of 100+ MB
            gram.flat[:: n + 1] += penalty
            w = zc.T @ np.linalg.solve(gram, sc / n)
    except np.linalg.LinAlgError:  # only knowable by solving: the codes turned out collinear
        raise ValueError(f"ridge: the codes are collinear (some code dimension never varies or repeats another), so "
                         f"ridge={ridge:g} leaves the probe undetermined; pass a positive ridge such as 1e-3.") from None
    residual = sc - zc @ w
    total = float(sc @ sc)
    r2 = 1.0 - float(residual @ residual) / total if total > 0 else float("nan")
    return w, float(s_mean - z_mean @ w), r2


@checked(centroids=ck.using(_centroids))
def class_span(centroids) -> np.ndarray:
    """Orthonormal basis (k, d) of the span of the class-centroid differences (k <= n_classes - 1)."""
    _, sv, vt = np.linalg.svd(centroids - centroids.mean(axis=0), full_matrices=False)
    return vt[sv > 1e-8 * max(sv.max(), 1e-300)]


@checked(codes=ck.using(_direction_codes), n_classes=ck.using(_class_count, n=ref("codes", _codes_len)),
         labels=ck.labels(n=ref("codes", _codes_len), n_classes=ref("n_classes")),
         quantile=ck.number(low=0, high=0.5, low_open=True),
         values=ck.using(_quantile_values, n=ref("codes", _codes_len), labels=ref("labels"),
                         n_classes=ref("n_classes"), quantile=ref("quantile")))
def quantile_direction(codes, values, labels, quantile: float = 0.25, n_classes: int = N_CLASSES) -> np.ndarray:
    """Centroid of the top ``quantile`` of s minus that of the bottom ``quantile``, within each class, averaged.

    The source's class-vector recipe applied to an attribute, with Tom White's
    bias correction: comparing thick and thin digits *of the same class* keeps
    the class out of the vector (thick 0s and thin 1s would otherwise make
    "thickness" point from 1 to 0). Every class weighs the same.
    """
    diffs = []
    for c in range(n_classes):
        own = (labels == c) & np.isfinite(values)
        if own.sum() < 2:
            continue
        lo, hi = np.quantile(values[own], [quantile, 1.0 - quantile])
        top, bottom = own & (values >= hi), own & (values <= lo)
        if top.any() and bottom.any() and hi > lo:
            diffs.append(codes[top].mean(axis=0) - codes[bottom].mean(axis=0))
    return np.mean(diffs, axis=0)


@checked(attribute=ck.instance(str, "'thickness'"), min_cosine=ck.number(low=-1, high=1),
         codes=ck.using(_direction_codes),
         values=ck.using(_varying_values, n=ref("codes", _codes_len), attribute=ref("attribute")),
         centroids=ck.using(_centroids),
         counterfactual=ck.using(_counterfactual, d=ref("codes", _codes_dim)))
def attribute_directions(
    codes,
    values,
    labels,
    centroids,
    *,
    attribute: str = "attribute",
    counterfactual=None,
    quantile: float = 0.25,
    ridge: float = 1e-3,
    min_cosine: float = 0.02,
) -> AttributeDirections:
    """The four directions of attribute s in one code space, each scaled so alpha = 1 is +1 SD of s.

    Introduced in notebook 07. ``codes`` (N, d) and ``labels`` are training
    digits, ``values`` (N,) the attribute measured on those digits (NaN for a
    blank image), ``centroids`` the class centroids of the space.

    1. ``quantile``: :func:`quantile_direction` (within-class top minus bottom quartile).
    2. ``probe``: the ridge weights w of s on z (:func:`ridge_probe`), InterFaceGAN's boundary normal.
    3. ``conditional``: w with the span of the class-centroid differences projected out
       (:func:`class_span`), so that moving style should not move class.
    4. ``counterfactual``: ``counterfactual`` is the mean of encode(perturb(x)) - encode(x)
       over real digits (the caller perturbs; see helpers.morphometry); None leaves it missing.

    Scaling: v = u * sd / (w . u) for a unit direction u. A direction the probe
    says barely moves s (cosine with w below ``min_cosine``), or one pointing
    against it, has no meaningful scale and is reported missing.
    """
    d = codes.shape[1]
    if centroids.shape[1] != d:
        raise ValueError(f"centroids: expected {d} columns like the codes, got {centroids.shape[1]}.")
    sd = float(np.nanstd(values))
    w, _, r2 = ridge_probe(codes, values, ridge)
    raw = {"quantile": quantile_direction(codes, values, labels, quantile), "probe": w}
    basis = class_span(centroids)
    raw["conditional"] = w - basis.T @ (basis @ w)
    raw["counterfactual"] = counterfactual
    missing: dict[str, str] = {} if counterfactual is not None else {"counterfactual": "no perturbed digits given"}
    w_norm = np.linalg.norm(w)
    vectors = {}
    for method in DIRECTION_METHODS:
        u = raw[method]
        if u is None:
            vectors[method] = np.full(d, np.nan)
            continue
        n = np.linalg.norm(u)
        cosine = float(u @ w) / (n * w_norm) if n > 0 and w_norm > 0 else 0.0
        if n <= 1e-9 * max(w_norm, 1e-300) and method == "conditional":
            missing[method] = f"the class directions span the whole {d}-d code space"
        elif cosine < min_cosine:
            missing[method] = f"the probe says it barely moves {attribute} (cosine {cosine:.2f} with the probe)"
        if method in missing:
            vectors[method] = np.full(d, np.nan)
        else:
            u = u / n
            vectors[method] = u * sd / float(u @ w)
    return AttributeDirections(attribute, sd, w, r2, vectors, missing)


@checked(codes=ck.using(_direction_codes), k=ck.using(_component_count, codes=ref("codes")))
def principal_directions(codes, k: int = 5) -> tuple[np.ndarray, np.ndarray]:
    """The codes' top ``k`` principal directions (GANSpace, Harkonen et al. 2020): (k, d) unit rows and their SDs.

    Introduced in notebook 07: directions found without any attribute at all,
    which the notebook then labels by the attribute each one moves most.
    The sign of each direction is arbitrary (that of the SVD).
    """
    centred = codes - codes.mean(axis=0)
    _, sv, vt = np.linalg.svd(centred, full_matrices=False)
    return vt[:k], sv[:k] / np.sqrt(len(codes) - 1)
