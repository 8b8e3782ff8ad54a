"""Tests of helpers.scoring, helpers.judges and helpers.lineup: judges, crossover detection, transfer matrices, Frechet distance, the summary."""

from __future__ import annotations

import math

import numpy as np
import pytest

from helpers import judges, lineup, scoring
from helpers.data import Dataset
from helpers.latent import LatentSpace, prior_typical_norm

N = 10  # classes


# --- a toy world with known answers -----------------------------------------------------------
def region_image(c: int) -> np.ndarray:
    """Class c lights rows 2c+4 and 2c+5 (columns 4-23) of an otherwise black image."""
    img = np.zeros((28, 28), np.float32)
    img[2 * c + 4: 2 * c + 6, 4:24] = 1.0
    return img


def region_intensity(images: np.ndarray) -> np.ndarray:
    """Mean grey level of each class's region: (N, 28, 28) -> (N, 10)."""
    return np.stack([images[:, 2 * c + 4: 2 * c + 6, 4:24].mean(axis=(1, 2)) for c in range(N)], axis=1)


class RegionJudge(judges.Judge):
    """Softmax of beta * w_c * (intensity of region c): a judge whose answers we can work out by hand."""

    def __init__(self, weights=None, beta: float = 8.0, name: str = "region"):
        self.w = np.ones(N) if weights is None else np.asarray(weights, float)
        self.beta = beta
        self.name = name

    def _proba(self, x):
        return judges.softmax(self.beta * self.w * region_intensity(x))


class PixelIdentity:
    """Pixel space as latent space: encode flattens, decode clips (like the pixel-space NB)."""

    latent_dim = 784

    def encode(self, x):
        return np.asarray(x, np.float32).reshape(len(x), -1)

    def decode(self, z):
        return np.clip(np.asarray(z, np.float32), 0, 1).reshape(-1, 28, 28)

    def sample(self, n, seed=None):
        rng = np.random.default_rng(seed)
        return np.stack([region_image(int(c)) for c in rng.integers(0, N, n)])


class Frozen(PixelIdentity):
    """Ignores the code: always draws a 3. Moving in its latent space changes nothing the judge sees."""

    def decode(self, z):
        return np.repeat(region_image(3)[None], len(z), axis=0)


def toy_data(per_class_train: int = 5, per_class_test: int = 4, noise: float = 0.0, seed: int = 0) -> Dataset:
    rng = np.random.default_rng(seed)

    def split(per):
        y = np.repeat(np.arange(N), per)
        x = np.stack([region_image(int(c)) for c in y])
        if noise:
            x = np.clip(x + noise * rng.random(x.shape, dtype=np.float32), 0, 1)
        order = rng.permutation(len(y))
        return x[order].astype(np.float32), y[order].astype(np.int64)

    xtr, ytr = split(per_class_train)
    xte, yte = split(per_class_test)
    return Dataset(xtr, ytr, xte, yte)


@pytest.fixture(scope="module")
def toy():
    return toy_data()


# --- probabilities and entropy -----------------------------------------------------------------
def test_softmax_is_stable_and_sums_to_one():
    p = judges.softmax(np.array([[1000.0, 0.0, -1000.0], [0.0, 0.0, 0.0]]))
    assert np.all(np.isfinite(p))
    np.testing.assert_allclose(p.sum(axis=1), 1.0)
    np.testing.assert_allclose(p[1], 1 / 3)


def test_entropy_bits_known_values():
    uniform = np.full(10, 0.1)
    one_hot = np.eye(10)[3]
    np.testing.assert_allclose(scoring.entropy_bits(np.stack([uniform, one_hot])), [math.log2(10), 0.0], atol=1e-12)


def test_lr_judge_gives_probabilities(toy):
    from sklearn.linear_model import LogisticRegression

    lr = LogisticRegression(max_iter=200).fit(toy.x_train.reshape(len(toy.x_train), -1), toy.y_train)
    judge = judges.SklearnJudge(lr)
    p = judge.predict_proba(toy.x_test)
    assert p.shape == (len(toy.x_test), 10)
    np.testing.assert_allclose(p.sum(axis=1), 1.0, atol=1e-9)
    assert np.all(p >= 0)
    assert judge.accuracy(toy.x_test, toy.y_test) == 1.0
    # any leading shape (..., 28, 28) comes back as (..., 10)
    assert judge.predict_proba(toy.x_test[:6].reshape(2, 3, 28, 28)).shape == (2, 3, 10)


def test_sklearn_judge_puts_zero_on_unseen_classes(toy):
    from sklearn.linear_model import LogisticRegression

    keep = toy.y_train < 5
    lr = LogisticRegression(max_iter=200).fit(toy.x_train[keep].reshape(keep.sum(), -1), toy.y_train[keep])
    p = judges.SklearnJudge(lr).predict_proba(toy.x_test)
    assert np.all(p[:, 5:] == 0)
    np.testing.assert_allclose(p.sum(axis=1), 1.0, atol=1e-9)


def test_sklearn_judge_rejects_non_digit_classes():
    class Fake:
        classes_ = np.array([0, 11])

    with pytest.raises(ValueError, match="digit labels"):
        judges.SklearnJudge(Fake())


def test_cnn_judge_trains_caches_and_scores(isolated_artifacts):
    data = toy_data(per_class_train=40, per_class_test=10, noise=0.3, seed=1)
    cfg = judges.cnn_config(filters=[4, 8], kernels=[3, 3], dense=16, dropout=0.0, epochs=3,
                             batch_size=32, learning_rate=5e-3, train_images=len(data.x_train))
    judge, record = judges.cnn_judge(data, cfg=cfg, name="tiny-cnn", verbose=0)
    assert record["test_accuracy"] >= 0.9  # a learnable toy task: a broken network fails here
    assert record["train_seconds"] > 0 and len(record["history"]["loss"]) == 3
    p = judge.predict_proba(data.x_test)
    assert p.shape == (len(data.x_test), 10)
    np.testing.assert_allclose(p.sum(axis=1), 1.0, atol=1e-9)
    f = judge.features(data.x_test)
    assert f.shape == (len(data.x_test), 16)
    # second call: loaded from the cache, same predictions
    again, record2 = judges.cnn_judge(data, cfg=cfg, name="tiny-cnn", verbose=0)
    assert record2["train_seconds"] == record["train_seconds"]
    np.testing.assert_allclose(again.predict_proba(data.x_test), p, atol=1e-6)
    assert list(isolated_artifacts.glob("tiny-cnn-*.keras"))


def test_cnn_config_rejects_unknown_settings():
    with pytest.raises(TypeError, match="unknown CNN setting"):
        judges.cnn_config(filtres=[8])


@pytest.mark.parametrize("bad, message", [
    (np.zeros((3, 27, 28), np.float32), "expected shape"),
    (np.zeros((3, 28, 28), np.uint8), "dtype"),
    (np.full((3, 28, 28), 2.0, np.float32), r"\[0, 1\]"),
    (np.zeros((28, 28), np.float32), "one image"),
])
def test_judges_reject_bad_images(bad, message):
    with pytest.raises(ValueError, match=message):
        RegionJudge().predict_proba(bad)


# --- crossover detection ------------------------------------------------------------------------
def test_crossover_interpolates_between_grid_points():
    alphas = [0.0, 1.0, 2.0]
    # d = p_a - p_b goes -0.4, -0.2, +0.2: zero halfway between 1 and 2
    assert scoring.crossover_alpha(alphas, [0.1, 0.3, 0.5], [0.5, 0.5, 0.3]) == pytest.approx(1.5)


def test_crossover_edge_cases():
    alphas = np.array([-0.5, 0.0, 0.5, 1.0])
    pa = np.array([
        [0.0, 0.1, 0.2, 0.3],   # never catches up
        [0.6, 0.5, 0.4, 0.3],   # already ahead at the first point
        [0.0, 0.5, 0.0, 0.9],   # touches zero at 0.0 exactly, then dips: the first crossing counts
        [0.0, 0.0, 0.2, 0.6],   # crosses between 0.5 and 1.0
    ])
    pb = np.array([
        [0.9, 0.8, 0.7, 0.6],
        [0.1, 0.1, 0.1, 0.1],
        [0.5, 0.5, 0.5, 0.1],
        [0.8, 0.6, 0.4, 0.2],
    ])
    out = scoring.crossover_alpha(alphas, pa, pb)
    assert np.isinf(out[0]) and out[0] > 0
    assert out[1] == -0.5
    assert out[2] == pytest.approx(0.0)
    # d: -0.2 at 0.5, +0.4 at 1.0 -> 0.5 + 0.5 * 0.2 / 0.6
    assert out[3] == pytest.approx(0.5 + 0.5 / 3)
    # the median of a set where most never cross is inf, not nan
    assert np.isinf(np.median(out[[0, 0, 3]]))


@pytest.mark.parametrize("alphas, pa, pb, message", [
    ([0.0, 1.0, 0.5], [0.1, 0.2, 0.3], [0.3, 0.2, 0.1], "increasing"),
    ([0.0], [0.1], [0.2], "at least two"),
    ([0.0, 1.0], [0.1, 0.2, 0.3], [0.3, 0.2, 0.1], "same shape"),
    ([0.0, 1.0], [0.1, np.nan], [0.3, 0.2], "NaN"),
])
def test_crossover_rejects_bad_input(alphas, pa, pb, message):
    with pytest.raises(ValueError, match=message):
        scoring.crossover_alpha(alphas, pa, pb)


# --- the transfer matrix on a toy model with a known answer --------------------------------------
def test_transfer_matrix_known_answer(toy):
    space = LatentSpace(PixelIdentity(), toy.x_train, toy.y_train, name="identity")
    w = np.linspace(1.0, 3.0, N)  # unequal weights make the crossover depend on the pair
    alphas = np.round(np.arange(-0.5, 2.0001, 0.01), 4)
    results = scoring.class_transfer(space, toy.x_test, toy.y_test, [RegionJudge(w)], per_pair=3, alphas=alphas)
    r = results["region"]
    assert r.probs.shape == (N, N, 3, len(alphas), N)
    s = r.success_matrix(1.0)
    assert np.all(np.isnan(np.diag(s)))
    off = ~np.eye(N, dtype=bool)
    np.testing.assert_allclose(s[off], 1.0)
    assert r.success_rate(1.0) == pytest.approx(1.0)
    # x_b + alpha (x_a - x_b): region a shows alpha, region b shows 1 - alpha, so
    # p(a) >= p(b) exactly when w_a alpha >= w_b (1 - alpha): alpha* = w_b / (w_a + w_b).
    expected = w[:, None] / (w[None, :] + w[:, None])
    np.testing.assert_allclose(r.crossover_matrix()[off], expected[off], atol=0.011)
    assert r.never_crossed() == 0.0
    # at alpha = 0 nothing has moved: the judge still says b everywhere
    assert r.success_rate(0.0) == 0.0
    assert r.prior_dist is None and r.distances() is None


def test_transfer_of_a_model_that_ignores_its_code(toy):
    space = LatentSpace(Frozen(), toy.x_train, toy.y_train, name="frozen")
    r = scoring.class_transfer(space, toy.x_test, toy.y_test, [RegionJudge()], per_pair=2)["region"]
    s = r.success_matrix(1.0)
    off = ~np.eye(N, dtype=bool)
    # it always draws a 3: only the pairs with target 3 "succeed"
    np.testing.assert_allclose(s[:, 3][np.arange(N) != 3], 1.0)
    assert np.all(s[off & (np.arange(N)[None, :] != 3)] == 0)
    assert r.success_rate() == pytest.approx(9 / 90)
    # pairs starting at 3 never see p(a) overtake p(3)
    assert np.all(np.isinf(r.crossover_matrix()[3, [0, 1, 2, 4]]))


def test_transfer_with_two_judges_and_a_gaussian_prior(toy):
    space = LatentSpace(PixelIdentity(), toy.x_train, toy.y_train)
    judges = [RegionJudge(name="one"), RegionJudge(beta=3.0, name="two")]  # same ranking, other confidence
    out = scoring.class_transfer(space, toy.x_test, toy.y_test, judges, per_pair=2, gaussian_prior=True)
    assert set(out) == {"one", "two"}
    d = out["one"].distances()
    assert d.shape == (90 * 2, len(scoring.DEFAULT_ALPHAS))
    assert np.all(d >= 0)
    assert scoring.judge_agreement(out) == pytest.approx(1.0)  # both judges rank the regions alike
    assert out["two"].entropy().mean() > out["one"].entropy().mean()  # the cooler softmax is less sure
    assert out["one"].entropy().shape == d.shape
    assert scoring.typical_pair(out["one"]) in [(b, a) for b in range(N) for a in range(N) if a != b]


def test_class_transfer_rejects_bad_input(toy):
    space = LatentSpace(PixelIdentity(), toy.x_train, toy.y_train)
    with pytest.raises(ValueError, match="at least one judge"):
        scoring.class_transfer(space, toy.x_test, toy.y_test, [], per_pair=2)
    with pytest.raises(ValueError, match="distinct names"):
        scoring.class_transfer(space, toy.x_test, toy.y_test, [RegionJudge(), RegionJudge()], per_pair=2)
    with pytest.raises(ValueError, match="per pair"):
        scoring.class_transfer(space, toy.x_test, toy.y_test, [RegionJudge()], per_pair=50)
    with pytest.raises(ValueError, match="y_test"):
        scoring.class_transfer(space, toy.x_test, toy.y_test[:-1], [RegionJudge()], per_pair=2)
    r = scoring.class_transfer(space, toy.x_test, toy.y_test, [RegionJudge()], per_pair=1)["region"]
    with pytest.raises(ValueError, match="not on the grid"):
        r.success_matrix(0.3)


def test_judged_path_moves_one_digit(toy):
    space = LatentSpace(PixelIdentity(), toy.x_train, toy.y_train)
    x7 = toy.x_test[toy.y_test == 7][:1]
    frames, probs = scoring.judged_path(space, [RegionJudge()], x7, a=0, b=6, alphas=[0.0, 1.0])
    assert frames.shape == (2, 28, 28) and probs["region"].shape == (2, 10)
    # the 6-to-0 vector adds region 0 and removes region 6 (already dark in a 7): the 7 stays the favourite
    assert probs["region"][0].argmax() == 7 and probs["region"][1][0] > probs["region"][0][0]
    with pytest.raises(ValueError, match="one image"):
        scoring.judged_path(space, [RegionJudge()], toy.x_test[:2], a=0, b=6)


def test_prior_distance_is_zero_on_the_typical_sphere():
    d = 20
    z = np.zeros((3, d))
    z[:, 0] = prior_typical_norm(d)
    np.testing.assert_allclose(scoring.prior_distance(z), 0.0, atol=1e-12)
    assert scoring.prior_distance(np.zeros((1, d)))[0] == pytest.approx(prior_typical_norm(d))


# --- the Frechet distance -----------------------------------------------------------------------
def test_frechet_of_a_set_with_itself_is_zero_and_grows_with_a_shift():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((500, 8)) @ rng.standard_normal((8, 8))
    assert scoring.frechet_distance(x, x) == pytest.approx(0.0, abs=1e-6)
    shifts = [0.1, 0.5, 2.0]
    values = [scoring.frechet_distance(x, x + s) for s in shifts]
    # a shift by s in each of 8 coordinates changes only the mean term: 8 s^2
    np.testing.assert_allclose(values, [8 * s * s for s in shifts], rtol=1e-6)
    assert values == sorted(values)


def test_frechet_of_two_gaussians_matches_the_formula():
    # N(0, I) vs N(0, 4 I) in d dimensions: tr(I + 4I - 2 * 2I) = d
    rng = np.random.default_rng(1)
    d = 5
    a = rng.standard_normal((20000, d))
    b = 2.0 * rng.standard_normal((20000, d))
    assert scoring.frechet_distance(a, b) == pytest.approx(d, rel=0.05)
    assert scoring.gaussian_frechet(np.zeros(d), np.eye(d), np.zeros(d), 4 * np.eye(d)) == pytest.approx(d)


def test_frechet_survives_dead_features():
    # two constant (dead ReLU) features make both covariances singular
    rng = np.random.default_rng(2)
    x = np.c_[rng.standard_normal((300, 4)), np.zeros((300, 2))]
    y = np.c_[rng.standard_normal((300, 4)) + 1.0, np.zeros((300, 2))]
    same = scoring.frechet_distance(x, x)
    apart = scoring.frechet_distance(x, y)
    assert np.isfinite(same) and same == pytest.approx(0.0, abs=1e-4)
    assert np.isfinite(apart) and apart > 3.0


@pytest.mark.parametrize("a, b, message", [
    (np.zeros((10, 3)), np.zeros((10, 4)), "feature sizes"),
    (np.zeros((1, 3)), np.zeros((10, 3)), "at least two"),
    (np.zeros(10), np.zeros((10, 1)), r"\(N, k\)"),
    (np.full((10, 3), np.nan), np.zeros((10, 3)), "NaN"),
])
def test_frechet_rejects_bad_input(a, b, message):
    with pytest.raises(ValueError, match=message):
        scoring.frechet_distance(a, b)


# --- the summary follows the numbers ------------------------------------------------------------
def fake_result(name: str, success: bool) -> scoring.TransferResult:
    """A transfer result where every moved digit is judged the target (success) or stays the start class."""
    alphas = np.array([0.0, 1.0])
    probs = np.full((N, N, 2, 2, N), np.nan, np.float32)
    for b in range(N):
        for a in range(N):
            if a != b:
                probs[b, a] = 0.0
                probs[b, a, :, 0, b] = 1.0
                probs[b, a, :, 1, a if success else b] = 1.0
    return scoring.TransferResult(name, "CNN", alphas, probs)


def test_start_kept_counts_digits_judged_as_their_start_class_at_alpha_zero():
    r = fake_result("m", True)
    assert r.start_kept() == 1.0
    probs = r.probs.copy()
    probs[:, :, 0, 0, :] = 0.0
    probs[:, :, 0, 0, 0] = 1.0  # the first digit of every pair looks like a 0 before moving
    probs[np.eye(N, dtype=bool)] = np.nan
    blurred = scoring.TransferResult("m", "CNN", r.alphas, probs)
    # kept: the second digit always; the first only when the start class is 0 (9 of 90 pairs)
    assert blurred.start_kept() == pytest.approx((90 + 9) / 180)
    no_zero = scoring.TransferResult("m", "CNN", np.array([0.5, 1.0]), r.probs)
    with pytest.raises(ValueError, match="not on the grid"):
        no_zero.start_kept()


def test_scoreboard_verdict_follows_the_numbers():
    transfers = {"good mover": {"CNN": fake_result("good mover", True)},
                 "good painter": {"CNN": fake_result("good painter", False)}}
    board = lineup.Scoreboard(spaces={}, transfers=transfers, frechet={"good mover": 9.0, "good painter": 1.0},
                               frechet_floor=0.5, neg_elbo={"good mover": 100.0, "good painter": None}, seconds={})
    assert transfers["good mover"]["CNN"].success_rate() == 1.0
    assert transfers["good painter"]["CNN"].success_rate() == 0.0
    assert transfers["good mover"]["CNN"].median_crossover() == pytest.approx(0.5)
    best = board.best()
    assert best == {"success": "good mover", "crossover": "good mover", "frechet": "good painter"}
    text = board.verdict()
    assert "no single winner" in text and "good mover moves digits" in text
    rows = board.rows(judges=("CNN",))
    assert rows[1]["test -ELBO (nats)"] == "n/a" and rows[0]["Fréchet distance"] == 9.0
    board.neg_elbo = {"good mover": None, "good painter": None}  # lineup.contenders(elbo=False): no column of n/a
    assert [list(r) for r in board.rows(judges=("CNN",))] == [
        ["model", "success at alpha=1 (CNN)", "median crossover (CNN)", "Fréchet distance"]] * 2
    # flip the Frechet distances: one model now wins everything
    board.frechet = {"good mover": 1.0, "good painter": 9.0}
    assert "good mover imagines best on all three counts" in board.verdict()


class FeatureRegionJudge(RegionJudge):
    """A region judge that also exposes features (the region intensities), like the CNN judge."""

    def features(self, images):
        return region_intensity(np.asarray(images, np.float32).reshape(-1, 28, 28)) + 0.01 * np.arange(N)


def test_score_contenders_end_to_end_on_toys():
    data = toy_data(per_class_train=6, per_class_test=6, noise=0.05, seed=3)
    judge = FeatureRegionJudge(name="CNN")
    other = RegionJudge(beta=2.0, name="logistic regression")
    models = [lineup.Contender("identity", PixelIdentity(), gaussian_prior=True),
              lineup.Contender("frozen", Frozen(), gaussian_prior=False, neg_elbo=12.5)]
    board = lineup.score_contenders(models, data, judge, [judge, other], per_pair=3, frechet_samples=40,
                                     verbose=False)
    assert set(board.transfers) == {"identity", "frozen"}
    assert board.transfers["identity"]["CNN"].success_rate() > board.transfers["frozen"]["CNN"].success_rate()
    assert np.isfinite(board.frechet_floor) and all(np.isfinite(v) for v in board.frechet.values())
    rows = board.rows()
    assert [r["model"] for r in rows] == ["identity", "frozen"] and rows[1]["test -ELBO (nats)"] == 12.5
    comparison = lineup.judge_comparison_rows(board)
    assert 0.0 <= comparison[0]["same class named (all frames)"] <= 1.0
    reference = lineup.realism_reference(board, models, data, [judge, other], n=40)
    assert set(reference["distance"]) == {"identity"}  # only models with a Gaussian prior
    realism = lineup.realism_rows(board, reference)
    assert len(realism) == 3 + 2  # entropy, uncertain share, codes outside (prior) + the first two for frozen
    shares = [v for r in realism if r["measure"].startswith("share") for k, v in r.items() if k.startswith("alpha")]
    assert all(0.0 <= v <= 1.0 for v in shares)
    x7 = data.x_test[data.y_test == 7][:1]
    paths = {n: scoring.judged_path(sp, [judge], x7, a=0, b=6) for n, sp in board.spaces.items()}
    table = lineup.path_rows(paths)
    assert table[0]["alpha=0"].startswith("7 (") and table[1]["alpha=1"].startswith("3 (")


def test_findings_are_written_from_the_numbers():
    transfers = {"mover": {"CNN": fake_result("mover", True), "logistic regression": fake_result("mover", True)},
                 "stayer": {"CNN": fake_result("stayer", False), "logistic regression": fake_result("stayer", True)}}
    board = lineup.Scoreboard(spaces={}, transfers=transfers, frechet={"mover": 3.0, "stayer": 7.0},
                               frechet_floor=0.5, neg_elbo={}, seconds={})
    reference = {"entropy": {"CNN": 0.1}, "distance": {}, "q": 0.95}
    text = lineup.findings(board, reference, {"CNN": 0.99, "logistic regression": 0.92})
    assert "99.0% (CNN)" in text[0]
    assert "100% of the moved digits of mover" in text[1] and "stayer manages 0%" in text[1]
    assert text[2].startswith("Logistic regression counts") and "for 1 of 2 models (stayer)" in text[2] and "50% to 100%" in text[2]
    assert "3.0 (mover) to 7.0 (stayer)" in text[-2]
    assert "0% (stayer)" in text[3]  # the stayer's failures all stayed b: none went to a third class
    assert text[4] == ("At alpha = 0, the reconstruction itself, the CNN names the start class for 100% (mover), "
                       "100% (stayer) of the digits: the ceiling for any move.")
    assert not any("beyond the full vector" in line for line in text)  # the fake grid ends at alpha = 1
    assert "mover imagines best" in text[-1]


def test_failure_split_tells_staying_from_wandering(toy):
    space = LatentSpace(Frozen(), toy.x_train, toy.y_train, name="frozen")
    r = scoring.class_transfer(space, toy.x_test, toy.y_test, [RegionJudge()], per_pair=2)["region"]
    split = scoring.failure_split(r)
    # the frozen model always draws a 3: failures from b = 3 stay b (9 of the 81 failing pairs), the rest go to 3
    assert split["stayed b"] == pytest.approx(9 / 81)
    assert split["third class"] == pytest.approx(72 / 81)
    assert np.isnan(scoring.failure_split(fake_result("m", True))["stayed b"])


def test_transfer_crossover_searches_from_the_digit_itself():
    # behind the start (alpha = -0.5) both p(a) and p(b) are tiny and p(a) edges ahead; that is no crossover
    alphas = np.array([-0.5, 0.0, 0.5, 1.0])
    probs = np.full((N, N, 1, 4, N), np.nan, np.float32)
    for b in range(N):
        for a in range(N):
            if a != b:
                curve = np.zeros((4, N), np.float32)
                curve[:, (b + 5) % N if (b + 5) % N not in (a, b) else (b + 7) % N] = 1.0
                curve[0, a], curve[0, b] = 0.02, 0.01
                curve[1:, :] = 0.0
                curve[1, b] = 1.0
                curve[2, b], curve[2, a] = 0.6, 0.4   # d = -0.2 at 0.5
                curve[3, a] = 1.0                     # d = +1.0 at 1.0
                probs[b, a] = curve
    r = scoring.TransferResult("toy", "judge", alphas, probs)
    off = ~np.eye(N, dtype=bool)
    np.testing.assert_allclose(r.crossover_matrix()[off], 0.5 + 0.5 * 0.2 / 1.2)
    np.testing.assert_allclose(r.success_curve(), [0.0, 0.0, 0.0, 1.0])
    assert r.alpha_reaching(0.9) == 1.0 and np.isinf(r.alpha_reaching(1.1))


def test_findings_report_what_extrapolation_does(toy):
    space = LatentSpace(PixelIdentity(), toy.x_train, toy.y_train)
    judge = FeatureRegionJudge(name="CNN")
    other = RegionJudge(beta=2.0, name="logistic regression")
    models = [lineup.Contender("identity", PixelIdentity(), gaussian_prior=False)]
    board = lineup.score_contenders(models, toy, judge, [judge, other], per_pair=2, frechet_samples=20,
                                     spaces={"identity": space}, verbose=False)
    reference = lineup.realism_reference(board, models, toy, [judge, other], n=20)
    text = lineup.findings(board, reference, {"CNN": 1.0, "logistic regression": 1.0})
    beyond = [line for line in text if "beyond the full vector" in line]
    # moving the toy digits past alpha = 1 keeps the target region lit and the start region dark: still 100%
    assert beyond == ["Going beyond the full vector to alpha = 2 leaves unchanged the success of identity (to 100%)."]


def test_class_transfer_alphas_and_flags_are_checked_as_meant():
    """Found by a bad-input sweep: booleans and strings were read as alphas, 'no' as gaussian_prior=True."""
    for alphas in ([False, True], ["0", "1"], np.array([0, 1 + 1j])):
        with pytest.raises(TypeError, match="alphas must be a 1-D grid of real numbers"):
            scoring._check_alphas(alphas)
    with pytest.raises(ValueError, match="pass at most 10,000"):
        scoring._check_alphas(np.arange(50_000.0))
    assert scoring._check_alphas([0, 0.5, 1]).dtype == np.float64
    assert scoring.class_transfer.checks["gaussian_prior"](True, "gaussian_prior", {}) is True
    with pytest.raises(TypeError, match="gaussian_prior must be True or False"):
        scoring.class_transfer.checks["gaussian_prior"]("no", "gaussian_prior", {})


def test_frechet_refuses_what_is_not_a_covariance_or_too_large():
    """Found by a bad-input sweep: non-PSD or asymmetric covariances gave 0.0, 200,000 features a MemoryError."""
    eye = np.eye(3)
    with pytest.raises(ValueError, match="cov1 has a negative eigenvalue"):
        scoring.gaussian_frechet(np.zeros(3), -eye, np.zeros(3), eye)
    with pytest.raises(ValueError, match="cov2 is not symmetric"):
        scoring.gaussian_frechet(np.zeros(3), eye, np.zeros(3), np.triu(np.ones((3, 3))))
    with pytest.raises(ValueError, match="at least one feature"):
        scoring.frechet_distance(np.zeros((5, 0)), np.zeros((5, 0)))
    with pytest.raises(ValueError, match="features_a: covariances of 200,000 features would need"):
        scoring.frechet_distance(np.zeros((2, 200_000)), np.zeros((2, 200_000)))
    assert scoring.gaussian_frechet(np.zeros(3), eye, np.ones(3), eye) == pytest.approx(3.0)


def test_line_up_tables_and_contenders_check_their_arguments():
    with pytest.raises(TypeError, match="board must be a Scoreboard"):
        lineup.success_rows(None)
    with pytest.raises(TypeError, match="board must be a Scoreboard"):
        lineup.judge_comparison_rows(None)
    with pytest.raises(TypeError, match="gaussian_prior must be True or False"):
        lineup.Contender("pixels", PixelIdentity(), gaussian_prior="no")
    with pytest.raises(TypeError, match="name must be a non-empty string"):
        lineup.Contender(3, PixelIdentity(), gaussian_prior=False)


def test_judges_refuse_a_classifier_of_other_features_and_an_accuracy_of_nothing():
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(0)
    small = LogisticRegression(max_iter=50).fit(rng.random((40, 25)), np.arange(40) % 10)
    with pytest.raises(ValueError, match="fitted on 25 features, but a judge reads the 784 pixels"):
        judges.SklearnJudge(small)
    judge = judges.FunctionJudge(lambda x: np.full((len(x), 10), 0.1))
    with pytest.raises(ValueError, match="x: no images"):
        judge.accuracy(np.zeros((0, 28, 28), np.float32), [])


def test_frechet_overflow_prior_centres_and_shape_labels_are_refused_clearly():
    """Found by a bad-input sweep: means of 1e300 gave inf, string prior means and no centres numpy's errors,
    labels given as a string a message about shapes."""
    eye = np.eye(2)
    with pytest.raises(ValueError, match="overflows float64 .* rescale the features"):
        scoring.gaussian_frechet(np.full(2, 1e300), eye, np.zeros(2), eye)
    with pytest.raises(ValueError, match="overflows float64"):
        scoring.gaussian_frechet(np.zeros(2), eye * 1e200, np.zeros(2), eye * 1e200)
    assert scoring.gaussian_frechet(np.zeros(2), eye * 1e150, np.zeros(2), eye * 1e150) == pytest.approx(0.0, abs=1e140)

    class StringPrior(PixelIdentity):
        def prior_means(self):
            return np.array([["a", "b"]])

    with pytest.raises(TypeError, match=r"StringPrior.prior_means\(\): expected the prior's component means"):
        scoring.prior_centers(StringPrior())
    with pytest.raises(ValueError, match=r"centers must have shape \(K, 4\) with K >= 1"):
        scoring.prior_distance(np.ones((3, 4)), centers=np.zeros((0, 4)))
    assert scoring.prior_centers(PixelIdentity()) is None
    with pytest.raises(TypeError, match="labels: got str"):
        scoring.class_shape_mismatch(np.random.default_rng(0).standard_normal((40, 3)), "abc")


def test_path_rows_refuse_what_are_not_probabilities_and_alphas_off_the_grid():
    alphas = np.linspace(0.0, 2.0, 9)
    p = np.full((9, 10), 0.1)
    with pytest.raises(ValueError, match="negative values"):
        lineup.path_rows({"m": (None, {"j": -p})}, alphas=alphas)
    with pytest.raises(ValueError, match="do not sum to 1"):
        lineup.path_rows({"m": (None, {"j": 5 * p})}, alphas=alphas)
    with pytest.raises(ValueError, match="at: alpha 0.37 is not on the grid"):
        lineup.path_rows({}, alphas=alphas, at=(0.37,))
    assert lineup.path_rows({"m": (None, {"j": p})}, alphas=alphas)[0]["alpha=1"] == "0 (0.10)"
