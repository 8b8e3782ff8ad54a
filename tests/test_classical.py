"""helpers.classical and helpers.interface: the models of notebooks 01-02 and the shared model contract."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import norm
from sklearn.naive_bayes import GaussianNB

from helpers import cache, classical, interface
from helpers.data import Dataset

# Short fits on toy data stop before convergence on purpose.
pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def _lit(c):
    """The 6 x 6 block of pixels that class c lights up (a 3 x 4 grid of blocks, so up to 12 classes)."""
    r, k = divmod(int(c), 4)
    return slice(1 + 9 * r, 7 + 9 * r), slice(1 + 7 * k, 7 + 7 * k)


def _blob_images(n_per_class=40, n_classes=3, seed=0):
    """Noisy images whose class says which block is lit: easy, but not trivial, to learn."""
    rng = np.random.default_rng(seed)
    x = rng.normal(0.1, 0.05, (n_per_class * n_classes, 28, 28))
    y = np.repeat(np.arange(n_classes), n_per_class)
    for c in range(n_classes):
        rows, cols = _lit(c)
        x[y == c, rows, cols] += 0.6
    return np.clip(x, 0, 1).astype(np.float32), y


def _smooth_images(n, seed=0):
    """Images made of a few broad strokes: neighbouring pixels strongly correlated."""
    rng = np.random.default_rng(seed)
    cols = np.linspace(0, 1, 28)
    x = np.empty((n, 28, 28), np.float32)
    for i in range(n):
        centre, width = rng.uniform(0.3, 0.7), rng.uniform(0.05, 0.2)
        profile = np.exp(-((cols - centre) ** 2) / (2 * width ** 2))
        x[i] = profile[None, :] * rng.uniform(0.5, 1.0)
    return x


def _tiny_dataset(seed=0):
    x, y = _blob_images(60, 10, seed)
    x_test, y_test = _blob_images(10, 10, seed + 1)
    return Dataset(x, y, x_test, y_test)


# --- flatten and sampling primitives ---------------------------------------------


def test_flatten_validates():
    x, _ = _blob_images(2, 2)
    assert classical.flatten(x).shape == (4, 784)
    with pytest.raises(ValueError, match="expected shape"):
        classical.flatten(np.zeros((2, 27, 28), np.float32))


def test_sample_gaussian_nb_matches_fitted_moments():
    rng = np.random.default_rng(0)
    x = np.r_[rng.normal([0, 0], [1, 3], (500, 2)), rng.normal([5, -5], [0.5, 0.5], (500, 2))]
    y = np.repeat([0, 1], 500)
    nb = GaussianNB().fit(x, y)
    points, classes = classical.sample_gaussian_nb(nb, 4000, seed=1, classes=np.repeat([0, 1], 2000))
    for c in (0, 1):
        np.testing.assert_allclose(points[classes == c].mean(0), nb.theta_[c], atol=0.15)
        np.testing.assert_allclose(points[classes == c].var(0), nb.var_[c], rtol=0.1)
    # features drawn independently: no correlation within a class
    assert abs(np.corrcoef(points[classes == 0].T)[0, 1]) < 0.06


def test_sample_gaussian_nb_prior_and_seed():
    x = np.r_[np.zeros((90, 2)), np.ones((10, 2))] + np.random.default_rng(0).normal(0, 0.1, (100, 2))
    nb = GaussianNB().fit(x, np.r_[np.zeros(90, int), np.ones(10, int)])
    a, ca = classical.sample_gaussian_nb(nb, 2000, seed=5)
    b, cb = classical.sample_gaussian_nb(nb, 2000, seed=5)
    np.testing.assert_array_equal(a, b)
    assert 0.85 < np.mean(ca == 0) < 0.95  # drawn from the 90/10 prior


@pytest.mark.parametrize("bad_n", [-1, 2.5, True])
def test_sample_gaussian_nb_rejects_bad_n(bad_n):
    nb = GaussianNB().fit(np.random.default_rng(0).random((10, 2)), np.arange(10) % 2)
    with pytest.raises(ValueError, match="non-negative integer"):
        classical.sample_gaussian_nb(nb, bad_n)


# --- PixelNaiveBayes -------------------------------------------------------------


def test_pixel_nb_learns_class_means_and_variances():
    x, y = _blob_images()
    nb = classical.PixelNaiveBayes().fit(x, y)
    for c in range(3):
        np.testing.assert_allclose(nb.class_means[c], x[y == c].mean(0), atol=1e-5)
        np.testing.assert_allclose(nb.class_variances[c], x[y == c].var(0), atol=1e-5)
    assert (nb.predict(x) == y).mean() > 0.95


def test_pixel_nb_log_likelihood_is_the_naive_product():
    x, y = _blob_images()
    nb = classical.PixelNaiveBayes().fit(x, y)
    flat = x[:5].reshape(5, -1)
    per_class = np.stack([
        norm.logpdf(flat, nb.nb.theta_[c], np.sqrt(nb.nb.var_[c])).sum(1) + np.log(nb.nb.class_prior_[c])
        for c in range(3)
    ], axis=1)
    expected = np.logaddexp.reduce(per_class, axis=1)
    np.testing.assert_allclose(nb.log_likelihood(x[:5]), expected, rtol=1e-6)


def test_pixel_nb_sample_shapes_classes_and_seed():
    x, y = _blob_images()
    nb = classical.PixelNaiveBayes().fit(x, y)
    s = nb.sample(6, seed=3, classes=2)
    assert s.shape == (6, 28, 28) and s.dtype == np.float32
    assert s.min() >= 0.0 and s.max() <= 1.0
    np.testing.assert_array_equal(s, nb.sample(6, seed=3, classes=2))
    assert not np.array_equal(s, nb.sample(6, seed=4, classes=2))
    # class 2's lit rows are bright in its samples, class 0's are not
    assert s[(slice(None), *_lit(2))].mean() > 0.5 > s[(slice(None), *_lit(0))].mean()


def test_pixel_nb_sample_unknown_class():
    x, y = _blob_images()
    nb = classical.PixelNaiveBayes().fit(x, y)
    with pytest.raises(ValueError, match="unknown class 7"):
        nb.sample(2, classes=7)
    with pytest.raises(ValueError, match="integer class"):
        nb.sample(2, classes=1.5)


def test_pixel_nb_sample_classes_not_starting_at_zero():
    x, y = _blob_images()
    nb = classical.PixelNaiveBayes().fit(x, y + 5)  # fitted on classes 5, 6, 7
    s = nb.sample(4, seed=0, classes=7)
    assert s[(slice(None), *_lit(2))].mean() > 0.5  # class 7 is the third class, lit like class 2
    with pytest.raises(ValueError, match=r"fitted on classes \[5, 6, 7\]"):
        nb.sample(1, classes=3)


def test_pixel_nb_implements_interface():
    x, y = _blob_images()
    nb = classical.PixelNaiveBayes().fit(x, y)
    interface.check_model(nb)
    assert isinstance(nb, interface.GenerativeModel)
    z = nb.encode(x[:3])
    assert z.shape == (3, nb.latent_dim)
    np.testing.assert_allclose(nb.decode(z), x[:3], atol=1e-6)
    np.testing.assert_array_equal(nb.decode(np.full((1, 784), 2.0)), np.ones((1, 28, 28)))  # clipped
    with pytest.raises(ValueError, match="expected shape"):
        nb.decode(np.zeros((2, 10)))


# --- ClassPCAGaussian ------------------------------------------------------------


def test_class_pca_gaussian_recovers_class_covariance():
    rng = np.random.default_rng(0)
    basis = np.linalg.qr(rng.standard_normal((784, 3)))[0].T * 0.1  # a 3-D subspace of pixel space
    cov = np.array([[4.0, 1.5, 0.0], [1.5, 2.0, 0.0], [0.0, 0.0, 0.5]])
    z = np.r_[rng.multivariate_normal([0, 0, 0], cov, 3000), rng.multivariate_normal([3, 0, 0], cov, 3000)]
    x = (0.5 + z @ basis).reshape(-1, 28, 28).astype(np.float32)
    assert 0 <= x.min() and x.max() <= 1
    y = np.repeat([0, 1], 3000)
    model = classical.ClassPCAGaussian(3).fit(x, y)
    assert model.explained_variance_ratio > 0.999
    # covariances are estimated in PCA coordinates, so compare what is basis-free: the spectrum
    np.testing.assert_allclose(np.linalg.eigvalsh(model.covariances_[0]), np.linalg.eigvalsh(cov) * 0.1**2, rtol=0.1)
    s = model.sample(3000, seed=0, classes=1)
    np.testing.assert_allclose(s.mean(0), x[y == 1].mean(0), atol=0.02)
    # the samples keep the dependence between pixels that the data has
    real = np.corrcoef(x[y == 1].reshape(3000, -1)[:, :50].T)
    fake = np.corrcoef(s.reshape(3000, -1)[:, :50].T)
    assert np.abs(real - fake).max() < 0.15


def test_class_pca_gaussian_interface_and_errors():
    x, y = _blob_images(n_per_class=30)
    model = classical.ClassPCAGaussian(5).fit(x, y)
    interface.check_model(model)
    assert model.latent_dim == 5 and model.class_means.shape == (3, 28, 28)
    z = model.encode(x[:4])
    assert z.shape == (4, 5)
    assert model.decode(z).shape == (4, 28, 28)
    s = model.sample(7, seed=1)
    assert s.shape == (7, 28, 28) and 0 <= s.min() and s.max() <= 1
    np.testing.assert_array_equal(s, model.sample(7, seed=1))
    with pytest.raises(ValueError, match="unknown class 9"):
        model.sample(2, classes=9)
    with pytest.raises(ValueError, match="pass one class, or one per sample"):
        model.sample(3, classes=[0, 1])


def test_class_pca_gaussian_pca_matches_scikit_learn():
    from sklearn.decomposition import PCA

    x, y = _blob_images(n_per_class=60)
    model = classical.ClassPCAGaussian(8).fit(x, y)
    reference = PCA(8, svd_solver="full").fit(x.reshape(len(x), -1).astype(np.float64))
    assert model.explained_variance_ratio == pytest.approx(reference.explained_variance_ratio_.sum(), rel=1e-4)
    # same subspace: projecting onto one basis and back through the other loses nothing
    overlap = model.components_ @ reference.components_.T
    np.testing.assert_allclose(np.linalg.svd(overlap, compute_uv=False), np.ones(8), atol=1e-3)
    # encode -> decode is the projection onto that subspace (no clipping needed for these values)
    np.testing.assert_allclose(
        model.decode(model.encode(x[:5])).reshape(5, -1),
        reference.inverse_transform(reference.transform(x[:5].reshape(5, -1))), atol=1e-4,
    )


@pytest.mark.parametrize("k", [0, 785, 2.0, True])
def test_class_pca_gaussian_rejects_bad_k(k):
    with pytest.raises(ValueError, match="n_components"):
        classical.ClassPCAGaussian(k)


def test_class_pca_gaussian_needs_enough_images_per_class():
    x, y = _blob_images(n_per_class=4)
    with pytest.raises(ValueError, match="no more images than n_components"):
        classical.ClassPCAGaussian(6).fit(x, y)
    with pytest.raises(ValueError, match="one label per image"):
        classical.ClassPCAGaussian(2).fit(x, y[:-1])


# --- 2-D toy data and pixel statistics -------------------------------------------


def test_make_2d_classes():
    x, y = classical.make_2d_classes(50, seed=1)
    assert x.shape == (150, 2) and np.bincount(y).tolist() == [50, 50, 50]
    x2, y2 = classical.make_2d_classes(50, seed=1)
    np.testing.assert_array_equal(x, x2)
    assert not np.array_equal(x, classical.make_2d_classes(50, seed=2)[0])
    # class 0 is the tilted one: strongly correlated coordinates; class 2 is round
    assert np.corrcoef(x[y == 0].T)[0, 1] > 0.6
    assert abs(np.corrcoef(x[y == 2].T)[0, 1]) < 0.3
    with pytest.raises(ValueError):
        classical.make_2d_classes(1)


def test_neighbour_correlation_separates_smooth_from_independent():
    smooth = _smooth_images(200)
    rng = np.random.default_rng(0)
    noise = rng.random((200, 28, 28), dtype=np.float32)
    labels = np.zeros(200, int)
    assert classical.neighbour_correlation(smooth, labels) > 0.9
    assert abs(classical.neighbour_correlation(noise, labels)) < 0.02


def test_neighbour_correlation_is_within_class():
    # two classes with different constant levels: between-class differences alone would look correlated
    rng = np.random.default_rng(1)
    x = np.r_[0.2 + 0.1 * rng.random((100, 28, 28)), 0.7 + 0.1 * rng.random((100, 28, 28))].astype(np.float32)
    y = np.repeat([0, 1], 100)
    assert abs(classical.neighbour_correlation(x, y, min_std=0.01)) < 0.02
    assert classical.neighbour_correlation(x, np.zeros(200, int), min_std=0.01) > 0.9


def test_neighbour_correlation_errors():
    with pytest.raises(ValueError, match="no pixel pair varies"):
        classical.neighbour_correlation(np.zeros((5, 28, 28), np.float32), np.zeros(5, int))
    with pytest.raises(ValueError, match="one label per image"):
        classical.neighbour_correlation(np.zeros((5, 28, 28), np.float32), np.zeros(4, int))


def test_judge_hits():
    x, y = _blob_images()
    judge = classical.fit_logistic_regression(x, y, max_iter=50)
    hits = classical.judge_hits(judge, x, y)
    assert hits.dtype == bool and hits.shape == (len(y),) and hits.mean() > 0.95
    assert not classical.judge_hits(judge, x[y == 0], 1).any()  # a single intended class broadcasts


# --- logistic regression and its cache -------------------------------------------


def test_fit_logistic_regression_default_max_iter_from_settings(monkeypatch):
    import dataclasses

    from helpers import config

    monkeypatch.setattr(config, "SETTINGS", dataclasses.replace(config.SETTINGS, lr_max_iter=3))
    x, y = _blob_images()
    assert classical.fit_logistic_regression(x, y).max_iter == 3
    assert classical.fit_logistic_regression(x, y, max_iter=7).max_iter == 7


def _few_lr_iterations(monkeypatch):
    """Random-pixel data never converges; a short fit keeps these cache tests fast."""
    import dataclasses

    from helpers import config

    monkeypatch.setattr(config, "SETTINGS", dataclasses.replace(config.SETTINGS, lr_max_iter=20))


def test_mnist_logistic_regression_caches_coefficients(isolated_artifacts, tiny_mnist_npz, monkeypatch):
    from helpers.data import read_mnist_npz

    _few_lr_iterations(monkeypatch)
    data = read_mnist_npz(tiny_mnist_npz)
    fitted = classical.mnist_logistic_regression(data)
    path = cache.artifact_path("logreg-mnist", ".npz")
    assert path.is_file()

    def must_not_fit(*args, **kwargs):
        raise AssertionError("refitted although a cache exists")

    monkeypatch.setattr(classical, "fit_logistic_regression", must_not_fit)
    loaded = classical.mnist_logistic_regression(data)
    flat = data.x_test.reshape(len(data.x_test), -1)
    np.testing.assert_allclose(loaded.predict_proba(flat), fitted.predict_proba(flat), rtol=1e-6)


def test_mnist_logistic_regression_refits_corrupt_cache(isolated_artifacts, tiny_mnist_npz, monkeypatch):
    from helpers.data import read_mnist_npz

    _few_lr_iterations(monkeypatch)
    data = read_mnist_npz(tiny_mnist_npz)
    path = cache.artifact_path("logreg-mnist", ".npz")  # creates the folder
    path.write_bytes(b"not an npz")
    with pytest.warns(UserWarning, match="discarding unreadable cache"):
        model = classical.mnist_logistic_regression(data)
    assert model.coef_.shape == (10, 784)
    assert cache.load_arrays(path, ("coef", "intercept", "classes")) is not None


# --- learning curve --------------------------------------------------------------


def test_draws_per_size():
    assert classical.draws_per_size(30, 60000) == 5
    assert classical.draws_per_size(3000, 60000) == 3
    assert classical.draws_per_size(3000, 60000, repeats=2) == 2
    assert classical.draws_per_size(10000, 60000) == 1
    assert classical.draws_per_size(30000, 60000) == 1
    assert classical.draws_per_size(60000, 60000) == 1
    assert classical.draws_per_size(100, 100, repeats=5) == 1  # the whole set has one draw


def test_stratified_indices():
    y = np.repeat(np.arange(10), 50)
    idx = classical.stratified_indices(y, 30, seed=0)
    assert len(idx) == len(set(idx)) == 30
    assert np.bincount(y[idx]).tolist() == [3] * 10
    assert not np.array_equal(idx, classical.stratified_indices(y, 30, seed=1))
    np.testing.assert_array_equal(classical.stratified_indices(y, 500, seed=0), np.arange(500))
    with pytest.raises(ValueError, match="between the number of classes"):
        classical.stratified_indices(y, 5, seed=0)


def test_learning_curve_rows_and_full_model_reuse():
    data = _tiny_dataset()
    n_train = len(data.y_train)
    full = classical.fit_logistic_regression(data.x_train, data.y_train, max_iter=30)
    full.predict = lambda x: np.full(len(x), -1)  # a marker: every prediction wrong
    rows = classical.learning_curve(data, [20, 100, 10**6], full_lr=full, repeats=2, max_iter=30)
    sizes = sorted({r["n"] for r in rows})
    assert sizes == [20, 100, n_train]  # a size beyond the data means all of it
    count = {(r["model"], r["n"]) for r in rows}
    assert len(count) == 6
    assert sum(1 for r in rows if r["n"] == 20 and r["model"] == classical.NB_NAME) == 2
    last_lr = [r for r in rows if r["n"] == n_train and r["model"] == classical.LR_NAME]
    assert len(last_lr) == 1 and last_lr[0]["error"] == 1.0  # the supplied model was used
    assert all(0.0 <= r["error"] <= 1.0 and r["seconds"] >= 0 for r in rows)
    summary = classical.summarize_curve(rows)
    assert [s["training images"] for s in summary] == sizes
    assert summary[0]["draws"] == 2 and summary[-1][f"{classical.LR_NAME} range"] == "(1 draw)"


def test_learning_curve_on_real_mnist(mnist):
    rows = classical.learning_curve(mnist, [50, 500], repeats=1, max_iter=50)
    err = {(r["model"], r["n"]): r["error"] for r in rows}
    # more data helps logistic regression, and with 500 images it beats Naive Bayes
    assert err[(classical.LR_NAME, 500)] < err[(classical.LR_NAME, 50)]
    assert err[(classical.LR_NAME, 500)] < err[(classical.NB_NAME, 500)]


# --- unseen-class experiment -----------------------------------------------------


def test_unseen_class_experiment_structure_and_auc():
    data = _tiny_dataset()
    far = np.random.default_rng(5).random((20, 28, 28), dtype=np.float32)  # pure noise: far from everything
    res = classical.unseen_class_experiment(data, far, seen_classes=(0, 1, 2), far_name="noise", max_iter=50)
    assert list(res.groups) == ["seen digits", "unseen digits", "noise"]
    assert set(np.unique(res.seen_labels)) == {0, 1, 2}
    assert not set(np.unique(res.unseen_labels)) & {0, 1, 2}
    assert set(res.scores) == {classical.SCORE_LR_MAXP, classical.SCORE_NB_MAXP, classical.SCORE_NB_LOGPX}
    for score in res.scores.values():
        assert [len(v) for v in score.values()] == [len(res.groups[g]) for g in res.groups]
    assert res.seen_accuracy()[classical.LR_NAME] > 0.9
    # NB's log p(x) finds uniform noise wildly unlikely under blank-background digits
    assert res.auc(classical.SCORE_NB_LOGPX, "noise") > 0.99
    rows = res.auc_rows()
    assert [r["score"] for r in rows] == list(res.scores)
    assert set(rows[0]) == {"score", "AUC vs unseen digits", "AUC vs noise"}


def test_auc_direction():
    """A score that ranks every seen image above every unseen one has AUC 1, the reverse 0."""
    data = _tiny_dataset()
    res = classical.unseen_class_experiment(data, seen_classes=(0, 1), max_iter=20)
    n_seen, n_unseen = len(res.groups["seen digits"]), len(res.groups["unseen digits"])
    res.scores["perfect"] = {"seen digits": np.ones(n_seen), "unseen digits": np.zeros(n_unseen)}
    res.scores["backwards"] = {"seen digits": np.zeros(n_seen), "unseen digits": np.ones(n_unseen)}
    assert res.auc("perfect", "unseen digits") == 1.0
    assert res.auc("backwards", "unseen digits") == 0.0


@pytest.mark.parametrize("seen, match", [((3,), "at least two"), (tuple(range(10)), "no class is left"), ((0, 12), "unknown class 12")])
def test_unseen_class_experiment_rejects_bad_classes(seen, match):
    with pytest.raises(ValueError, match=match):
        classical.unseen_class_experiment(_tiny_dataset(), seen_classes=seen)


# --- helpers.interface -----------------------------------------------------------


class _NoDecode:
    latent_dim = 2

    def encode(self, x):
        return x

    def sample(self, n, seed=None):
        return np.zeros((n, 28, 28))


def test_check_model_names_missing_members():
    with pytest.raises(TypeError, match=r"missing \['decode'\]"):
        interface.check_model(_NoDecode())


def test_check_model_rejects_non_callable_and_bad_dim():
    class NotCallable(_NoDecode):
        decode = 3

    with pytest.raises(TypeError, match=r"not callable \['decode'\]"):
        interface.check_model(NotCallable())

    class BadDim(_NoDecode):
        latent_dim = 0

        def decode(self, z):
            return z

    with pytest.raises(TypeError, match="positive int"):
        interface.check_model(BadDim())


def test_check_codes():
    z = interface.check_codes([[1, 2], [3, 4]], 2)
    assert z.dtype == np.float32 and z.shape == (2, 2)
    with pytest.raises(ValueError, match="one code"):
        interface.check_codes(np.zeros(2), 2)
    with pytest.raises(ValueError, match=r"expected shape \(N, 2\)"):
        interface.check_codes(np.zeros((3, 5)), 2)
    with pytest.raises(ValueError, match="NaN"):
        interface.check_codes([[np.nan, 0.0]], 2)


def test_gaussian_nb_log_px_is_a_density():
    """On a 1-D grid, exp(log p(x)) integrates to 1 and peaks near the class means."""
    rng = np.random.default_rng(0)
    x = np.r_[rng.normal(-2, 0.5, 200), rng.normal(3, 1.0, 100)][:, None]
    nb = GaussianNB().fit(x, np.r_[np.zeros(200, int), np.ones(100, int)])
    grid = np.linspace(-8, 10, 4001)[:, None]
    density = np.exp(classical.gaussian_nb_log_px(nb, grid))
    assert np.trapezoid(density, grid[:, 0]) == pytest.approx(1.0, abs=1e-3)
    assert abs(grid[np.argmax(density), 0] - nb.theta_[0, 0]) < 0.05
