"""The latent-space engine (helpers/latent.py) on models whose answers are known."""

from __future__ import annotations

import numpy as np
import pytest

from helpers import latent

D = 3
N_CLASSES = 10


class PixelCodeModel:
    """A linear model with a known latent space: the code *is* the first three pixels.

    ``encode`` reads pixels 0-2 of the flattened image; ``decode`` writes the
    code there on a blank image. Class centroids, vectors and moved images
    can therefore be computed by hand.
    """

    latent_dim = D

    def __init__(self):
        self.decode_calls = 0
        self.encode_calls = 0

    def encode(self, x):
        self.encode_calls += 1
        return np.asarray(x, np.float32).reshape(len(x), -1)[:, :D].copy()

    def decode(self, z):
        self.decode_calls += 1
        z = np.asarray(z, np.float32)
        out = np.zeros((len(z), 784), np.float32)
        out[:, :D] = z
        return out.reshape(-1, 28, 28)

    def sample(self, n, seed=None):
        return self.decode(np.random.default_rng(seed).uniform(0, 1, (n, D)))


def images_with_codes(codes) -> np.ndarray:
    x = np.zeros((len(codes), 784), np.float32)
    x[:, :D] = codes
    return x.reshape(-1, 28, 28)


#: class centres in [0.2, 0.8] so that centre +- 0.1 stays a valid grey level
BASE = np.random.default_rng(0).uniform(0.2, 0.8, (N_CLASSES, D)).astype(np.float32)
#: deliberately unequal class sizes (2, 4, ..., 20), so pooled and balanced vectors differ
COUNTS = 2 * np.arange(1, N_CLASSES + 1)


@pytest.fixture
def training_set():
    """Per class: pairs of codes centre +- offset, so each class mean is its centre exactly."""
    rng = np.random.default_rng(1)
    codes, labels = [], []
    for c, n in enumerate(COUNTS):
        off = rng.uniform(-0.1, 0.1, (n // 2, D))
        codes += [BASE[c] + off, BASE[c] - off]
        labels += [c] * n
    codes = np.concatenate(codes)
    order = rng.permutation(len(codes))
    return images_with_codes(codes[order]), np.asarray(labels)[order]


@pytest.fixture
def space(training_set):
    return latent.LatentSpace(PixelCodeModel(), *training_set)


@pytest.fixture
def test_images():
    return images_with_codes(np.random.default_rng(2).uniform(0.3, 0.7, (5, D)))


@pytest.fixture(scope="module")
def vae_space():
    """A small untrained VAE (nonlinear, implements the interface) with centroids on random images."""
    keras = pytest.importorskip("keras")
    from helpers import vae

    keras.utils.set_random_seed(0)
    model = vae.VAE(4, (16,), (16,))
    rng = np.random.default_rng(3)
    x = rng.uniform(0, 1, (200, 28, 28)).astype(np.float32)
    return latent.LatentSpace(model, x, np.arange(200) % 10), rng.uniform(0, 1, (6, 28, 28)).astype(np.float32)


# --- centroids and vectors ---------------------------------------------------------------
def test_centroids_are_the_class_means(space):
    np.testing.assert_allclose(space.centroids, BASE, atol=1e-6)
    np.testing.assert_array_equal(space.counts, COUNTS)


def test_centroid_vector_points_from_b_to_a(space):
    np.testing.assert_allclose(space.vector(7, 2), BASE[7] - BASE[2], atol=1e-6)
    np.testing.assert_allclose(space.vector(2, 7), -space.vector(7, 2), atol=1e-7)


def test_balanced_and_pooled_vectors_by_hand(space):
    a, b = 9, 0  # the biggest and the smallest class
    def one_vs_rest(c, weights):
        others = [k for k in range(N_CLASSES) if k != c]
        w = np.asarray(weights, float)[others]
        return BASE[c] - (w[:, None] * BASE[others]).sum(axis=0) / w.sum()

    balanced = one_vs_rest(a, np.ones(N_CLASSES)) - one_vs_rest(b, np.ones(N_CLASSES))
    pooled = one_vs_rest(a, COUNTS) - one_vs_rest(b, COUNTS)
    np.testing.assert_allclose(space.vector(a, b, "balanced"), balanced, atol=1e-5)
    np.testing.assert_allclose(space.vector(a, b, "pooled"), pooled, atol=1e-5)
    # with unequal class sizes the count weighting changes the direction
    assert np.abs(space.vector(a, b, "pooled") - space.vector(a, b, "balanced")).max() > 1e-3
    # with equal weights the one-vs-rest difference is the centroid difference scaled by K/(K-1)
    np.testing.assert_allclose(space.vector(a, b, "balanced"),
                               N_CLASSES / (N_CLASSES - 1) * space.vector(a, b), atol=1e-5)


def test_pooled_equals_balanced_when_classes_are_equal():
    codes = np.repeat(BASE, 4, axis=0)
    labels = np.repeat(np.arange(N_CLASSES), 4)
    sp = latent.LatentSpace(PixelCodeModel(), images_with_codes(codes), labels)
    np.testing.assert_allclose(sp.vector(3, 5, "pooled"), sp.vector(3, 5, "balanced"), atol=1e-6)


def test_class_centroids_function_directly():
    codes = np.array([[0.0, 0.0], [2.0, 4.0], [1.0, 1.0]])
    got = latent.class_centroids(codes, np.array([0, 0, 1]), n_classes=2)
    np.testing.assert_allclose(got, [[1.0, 2.0], [1.0, 1.0]])


def test_class_centroids_of_many_codes_are_the_float64_means_without_a_float64_copy():
    """More codes than one slice (the sums run in slices) give the textbook means; float32 codes stay float32."""
    rng = np.random.default_rng(0)
    n = 3 * latent._CENTROID_ROWS + 17
    codes = (rng.standard_normal((n, 64)) * 3 + 100).astype(np.float32)
    labels = rng.integers(0, 10, n)
    expected = np.stack([codes[labels == c].astype(np.float64).mean(axis=0) for c in range(10)])
    np.testing.assert_allclose(latent.class_centroids(codes, labels), expected, rtol=1e-6)
    import tracemalloc

    tracemalloc.start()
    try:
        latent.class_centroids(codes, labels)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < codes.nbytes, f"{peak:,} bytes allocated for {codes.nbytes:,} bytes of codes"


def test_checking_float32_codes_takes_one_float32_copy_and_still_catches_bad_values():
    """Decoding many wide codes (notebook 09's h-space) must not pay for a float64 copy to check them."""
    import tracemalloc

    from helpers.interface import check_codes

    codes = np.random.default_rng(0).standard_normal((2000, 500)).astype(np.float32)
    tracemalloc.start()
    try:
        checked_codes = check_codes(codes, 500)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 1.5 * codes.nbytes, f"{peak:,} bytes allocated for {codes.nbytes:,} bytes of codes"
    np.testing.assert_array_equal(checked_codes, codes)
    assert checked_codes is not codes and checked_codes.dtype == np.float32  # a copy: the caller's array is safe
    with pytest.raises(ValueError, match="float32 range"):
        check_codes(np.full((2, 3), 1e300), 3)
    with pytest.raises(ValueError, match="NaN"):
        check_codes(np.array([[0.0, np.nan, 1.0]], np.float16), 3)
    with pytest.raises(TypeError, match="numeric codes"):
        check_codes([["a", "b", "c"]], 3)
    np.testing.assert_array_equal(check_codes([[1, 2, 3]], 3), np.array([[1, 2, 3]], np.float32))


# --- moving images --------------------------------------------------------------------
def test_move_by_hand(space, test_images):
    alphas = np.array([-0.5, 0.0, 0.5, 1.0])
    moved = space.move(test_images, a=4, b=1, alphas=alphas)
    assert moved.shape == (5, 4, 28, 28)
    expected = test_images.reshape(5, 784)[:, None, :D] + alphas[None, :, None] * (BASE[4] - BASE[1])
    np.testing.assert_allclose(moved.reshape(5, 4, 784)[..., :D], expected, atol=1e-6)
    assert np.all(moved.reshape(5, 4, 784)[..., D:] == 0)


def test_move_is_one_encode_and_one_decode_call(training_set, test_images):
    model = PixelCodeModel()
    sp = latent.LatentSpace(model, *training_set)
    model.encode_calls = model.decode_calls = 0
    sp.move(test_images, 3, 8, np.linspace(0, 1, 7))
    assert (model.encode_calls, model.decode_calls) == (1, 1)


def test_alpha_zero_is_the_plain_reconstruction(space, test_images, vae_space):
    np.testing.assert_allclose(space.move(test_images, 1, 2, [0.0])[:, 0],
                               space.model.decode(space.model.encode(test_images)), atol=1e-7)
    sp, x = vae_space
    np.testing.assert_allclose(sp.move(x, 5, 6, [0.0])[:, 0], sp.model.reconstruct(x), atol=1e-6)


def test_vectorised_move_agrees_with_the_loop(vae_space):
    sp, x = vae_space
    alphas = [-1.0, 0.0, 0.5, 2.0]
    fast = sp.move(x, 3, 8, alphas)
    slow = latent.looped_move(sp, x, 3, 8, alphas)
    assert fast.shape == slow.shape == (6, 4, 28, 28)
    np.testing.assert_allclose(fast, slow, atol=1e-5)
    # and the images really move with alpha (the test could fail)
    assert np.abs(fast[:, -1] - fast[:, 0]).max() > 1e-3


def test_centroid_path_runs_from_b_to_a(space):
    path = space.centroid_path(6, 3, [0.0, 0.5, 1.0]).reshape(3, 784)[:, :D]
    np.testing.assert_allclose(path, [BASE[3], (BASE[3] + BASE[6]) / 2, BASE[6]], atol=1e-6)


def test_pair_grid_has_45_pairs_matching_the_paths(space):
    alphas = np.linspace(0, 1, 5)
    grid = space.pair_grid(alphas)
    assert grid.shape == (45, 5, 28, 28)
    pairs = latent.digit_pairs()
    assert len(pairs) == 45 and len(set(pairs)) == 45 and all(b < a for b, a in pairs)
    for i in (0, 17, 44):
        b, a = pairs[i]
        np.testing.assert_allclose(grid[i], space.centroid_path(a, b, alphas), atol=1e-7)
    assert len(latent.ordered_pairs()) == 90


# --- paths ---------------------------------------------------------------------------------
def test_lerp_midpoint_and_endpoints():
    z0, z1 = np.array([1.0, -2.0, 0.0]), np.array([3.0, 2.0, 4.0])
    path = latent.lerp(z0, z1, [0.0, 0.5, 1.0])
    np.testing.assert_allclose(path, [z0, [2.0, 0.0, 2.0], z1], atol=1e-6)
    assert latent.lerp(z0, z1, 0.25).shape == (1, 3)


def test_slerp_endpoints_exact_and_norm_constant():
    rng = np.random.default_rng(4)
    z0, z1 = rng.standard_normal((2, 20))
    z1 *= np.linalg.norm(z0) / np.linalg.norm(z1)
    t = np.linspace(0, 1, 11)
    path = latent.slerp(z0, z1, t)
    np.testing.assert_allclose(path[0], z0, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(path[-1], z1, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(latent.path_norms(path), np.linalg.norm(z0), rtol=1e-6)
    # lerp cuts through the low-norm middle; slerp does not
    assert latent.path_norms(latent.lerp(z0, z1, t))[5] < 0.9 * np.linalg.norm(z0)


def test_slerp_follows_the_great_circle():
    z0, z1 = np.array([2.0, 0.0]), np.array([0.0, 2.0])
    mid = latent.slerp(z0, z1, 0.5)[0]
    np.testing.assert_allclose(mid, [np.sqrt(2), np.sqrt(2)], atol=1e-6)


def test_slerp_norm_moves_linearly_for_unequal_norms():
    z0, z1 = np.array([1.0, 0.0, 0.0]), np.array([0.0, 3.0, 0.0])
    np.testing.assert_allclose(latent.path_norms(latent.slerp(z0, z1, [0, 0.25, 0.5, 1])), [1, 1.5, 2, 3], atol=1e-6)


def test_slerp_falls_back_to_lerp_for_parallel_or_zero_codes():
    z0 = np.array([1.0, 2.0])
    for z1 in (2 * z0, -z0, np.zeros(2)):
        np.testing.assert_allclose(latent.slerp(z0, z1, [0.3]), latent.lerp(z0, z1, [0.3]), atol=1e-6)
        assert np.all(np.isfinite(latent.slerp(z0, z1, [0.3])))


@pytest.mark.parametrize("d", [1, 2, 20, 100])
def test_prior_typical_norm_matches_monte_carlo(d):
    z = np.random.default_rng(d).standard_normal((100_000, d))
    mc = np.linalg.norm(z, axis=1).mean()
    assert latent.prior_typical_norm(d) == pytest.approx(mc, rel=0.01)
    assert latent.prior_typical_norm(d) < np.sqrt(d)  # Jensen: E|z| < sqrt(E|z|^2)


def test_prior_typical_norm_exact_in_one_dimension():
    assert latent.prior_typical_norm(1) == pytest.approx(np.sqrt(2 / np.pi), rel=1e-12)


# --- bad input -----------------------------------------------------------------------------
@pytest.mark.parametrize("a, b", [(10, 0), (0, -1), (1.5, 0), (True, 0), ("3", 0)])
def test_unknown_class_is_a_value_error(space, a, b):
    with pytest.raises(ValueError):
        space.vector(a, b)


def test_same_class_is_a_value_error(space, test_images):
    with pytest.raises(ValueError, match="both 3"):
        space.vector(3, 3)
    with pytest.raises(ValueError):
        space.move(test_images, 3, 3, [0.5])
    with pytest.raises(ValueError):
        space.pair_grid([0, 1], pairs=[(2, 2)])


def test_unknown_method_is_a_value_error(space):
    with pytest.raises(ValueError, match="unknown method"):
        space.vector(1, 2, "median")


@pytest.mark.parametrize(
    "bad",
    [
        lambda x: x[:, :27, :27],
        lambda x: x[0],
        lambda x: x * 2.0 + 0.5,
        lambda x: (x * 255).astype(np.uint8),
    ],
    ids=["wrong-shape", "single-image", "wrong-range", "uint8"],
)
def test_bad_images_are_value_errors(space, test_images, bad):
    with pytest.raises(ValueError):
        space.move(bad(test_images), 1, 2, [0.5])
    with pytest.raises(ValueError):
        space.encode(bad(test_images))


@pytest.mark.parametrize("alphas", [[[0.0, 1.0]], [np.nan], [np.inf]], ids=["2-d", "nan", "inf"])
def test_bad_alphas_are_value_errors(space, test_images, alphas):
    with pytest.raises(ValueError):
        space.move(test_images, 1, 2, alphas)


def test_bad_vector_or_codes_are_value_errors(space):
    with pytest.raises(ValueError):
        space.moved_codes(np.zeros((2, D)), np.zeros(D + 1), [0.5])
    with pytest.raises(ValueError):
        space.decode(np.zeros((2, D + 1)))


def test_missing_class_in_training_data_is_a_value_error(training_set):
    x, y = training_set
    keep = y != 4
    with pytest.raises(ValueError, match="class\\(es\\) \\[4\\]"):
        latent.LatentSpace(PixelCodeModel(), x[keep], y[keep])


def test_labels_must_match_images(training_set):
    x, y = training_set
    with pytest.raises(ValueError):
        latent.LatentSpace(PixelCodeModel(), x, y[:-1])


class NoDecode:
    latent_dim = 3

    def encode(self, x):
        return np.zeros((len(x), 3))

    def sample(self, n, seed=None):
        return np.zeros((n, 28, 28))


class StringDim(PixelCodeModel):
    latent_dim = "3"


class EncodeNotCallable(PixelCodeModel):
    encode = np.zeros(3)


@pytest.mark.parametrize("model", [object(), NoDecode(), StringDim(), EncodeNotCallable()],
                         ids=["object", "no-decode", "string-dim", "encode-not-callable"])
def test_model_without_the_interface_is_a_type_error(training_set, model):
    with pytest.raises(TypeError):
        latent.LatentSpace(model, *training_set)
    with pytest.raises(TypeError):
        latent.encode_images(model, training_set[0])


def test_moves_refuse_what_was_not_meant_as_numbers(space, test_images):
    """Found by a bad-input sweep: these were read as numbers, or allocated until the process died."""
    codes = space.encode(test_images[:2])
    v = space.vector(1, 2)
    for alphas in ([True, False], ["0.5"], np.array([1 + 2j])):
        with pytest.raises(TypeError, match="alphas must be a number or a 1-D sequence of real numbers"):
            space.move(test_images[:2], 1, 2, alphas)
    with pytest.raises(ValueError, match="alphas: got 100,000 values; pass at most 10,000"):
        space.pair_grid(np.linspace(0, 1, 100_000))
    with pytest.raises(ValueError, match=r"vector must be one direction .* got 2 of them"):
        space.moved_codes(codes, np.stack([v, v]), [1.0])
    with pytest.raises(TypeError, match="codes: expected numeric codes .* got booleans"):
        space.moved_codes(codes > 0, v, [1.0])
    with pytest.raises(TypeError, match="alphas must be a number"):
        space.centroid_path(1, 2, "x")
    with pytest.raises(TypeError, match="t must be a number or a 1-D sequence of real numbers"):
        latent.slerp(codes[0], codes[1], np.array(["0.5"]))
    assert space.moved_codes(codes, v[None], [1.0]).shape == (2, 1, codes.shape[1])  # a batch of one vector is fine
    with pytest.raises(ValueError, match="beyond the float32 range"):
        space.moved_codes(codes, np.full(codes.shape[1], 1e30), [1e30])


def test_direction_tools_refuse_codes_without_entries_and_too_many_classes():
    """Found by a bad-input sweep: numpy's reduction error, a ZeroDivisionError, or a loop over 10**9 classes."""
    rng = np.random.default_rng(0)
    codes, values, labels = rng.standard_normal((60, 4)), rng.standard_normal(60), np.arange(60) % 10
    with pytest.raises(ValueError, match="n_classes: 1,000,000,000 classes for 60 codes"):
        latent.quantile_direction(codes, values, labels, n_classes=10**9)
    with pytest.raises(ValueError, match=r"codes: expected shape \(N, d\) with d >= 1"):
        latent.ridge_probe(np.zeros((60, 0)), values)
    with pytest.raises(ValueError, match=r"centroids: expected shape \(N, d\) with d >= 1"):
        latent.class_span(np.zeros((10, 0)))
    assert latent.quantile_direction(codes, values, labels).shape == (4,)


def test_typical_norm_of_large_dimensions_and_norms_of_no_pairs():
    """Found by a bad-input sweep: d = 1e20 gave 1.41 (the log-gammas lost their digits), d = 10**400 an
    OverflowError, interpolation_norms of no codes numpy's 'need at least one array to stack'."""
    assert latent.prior_typical_norm(10**20) == pytest.approx(1e10, rel=1e-12)
    from scipy.special import gammaln

    for d in (999, 1000, 5000):  # either side of the switch to the asymptotic series: the log-gamma formula
        exact = np.sqrt(2.0) * np.exp(gammaln((d + 1) / 2) - gammaln(d / 2))
        assert latent.prior_typical_norm(d) == pytest.approx(exact, rel=1e-11)
    with pytest.raises(ValueError, match="latent_dim must be a dimension a float can hold"):
        latent.prior_typical_norm(10**400)
    with pytest.raises(ValueError, match="z0 holds no codes; pass at least one pair"):
        latent.interpolation_norms(np.zeros((0, 4)), np.zeros((0, 4)), np.linspace(0, 1, 3))
