"""Bad input found by the fourth bad-input sweep: a clear error naming the argument, not a raw one.

Each case asserts the error's type (ValueError for a wrong value, TypeError for a wrong
kind of thing) and that its message names the argument at fault; every one failed on
the code before its fix (a library's traceback, a message naming no argument, or a
silently wrong result).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from helpers import data

sys.path.insert(0, str(Path(__file__).parent))
from test_bad_inputs import refused  # noqa: E402  (the same check as the rest of the bad-input suite)


# --- data.shuffled_batches: labels and rows that reached TensorFlow (or trained on nonsense) -------------
X10 = np.zeros((10, 28, 28), np.float32)

SHUFFLED_CASES = {
    "y one-hot (10, 3)": (lambda: data.shuffled_batches(X10, np.zeros((10, 3)), batch_size=4), ValueError, "y"),
    "y shorter": (lambda: data.shuffled_batches(X10, np.zeros(9), batch_size=4), ValueError, "y"),
    "y strings": (lambda: data.shuffled_batches(X10, list("abcdefghij"), batch_size=4), TypeError, "y"),
    "y booleans": (lambda: data.shuffled_batches(X10, np.ones(10, bool), batch_size=4), TypeError, "y"),
    "y NaN": (lambda: data.shuffled_batches(X10, np.full(10, np.nan), batch_size=4), ValueError, "y"),
    "y ragged": (lambda: data.shuffled_batches(X10, [[1], [1, 2]] * 5, batch_size=4), TypeError, "y"),
    "x 1-D": (lambda: data.shuffled_batches(np.zeros(10, np.float32), batch_size=4), ValueError, "x"),
    "x empty rows": (lambda: data.shuffled_batches(np.zeros((10, 0), np.float32), batch_size=4), ValueError, "x"),
    "x grey levels": (lambda: data.shuffled_batches(np.zeros((10, 28, 28), np.uint8), batch_size=4), TypeError,
                      "x"),
    "x booleans": (lambda: data.shuffled_batches(np.zeros((10, 28, 28), bool), batch_size=4), TypeError, "x"),
    "x complex": (lambda: data.shuffled_batches(np.zeros((10, 28, 28), complex), batch_size=4), TypeError, "x"),
    "x NaN": (lambda: data.shuffled_batches(np.full((10, 28, 28), np.nan, np.float32), batch_size=4), ValueError,
              "x"),
}


@pytest.mark.parametrize("case", SHUFFLED_CASES)
def test_shuffled_batches_refuse_bad_rows_and_labels_by_name(case):
    """Before: batches of strings, NaN or (10, 3) labels, 1-D or uint8 rows were made; labels of the wrong
    length said '10 images but 9 labels' without naming y; ragged labels gave numpy's message."""
    call, error, name = SHUFFLED_CASES[case]
    with refused(error, name):
        call()


def test_shuffled_batches_still_take_images_codes_and_labels():
    batches, _ = data.shuffled_batches(X10, np.arange(10), batch_size=4)
    bx, by = next(iter(batches))
    assert tuple(bx.shape) == (4, 28, 28) and tuple(by.shape) == (4,)
    batches, _ = data.shuffled_batches([[0.5, 1.5]] * 6, np.arange(6.0), batch_size=4)  # codes, float labels
    assert tuple(next(iter(batches))[0].shape) == (4, 2)


# --- cache: paths and callbacks (pathlib's or os' errors, or None read as "no cache") ----------------------
def _cache_calls(tmp_path):
    from helpers import cache

    a_file, a_folder = tmp_path / "a-file", tmp_path / "a-folder"  # made by the test
    tiny = {"x": np.zeros(2)}
    return {
        "atomic_write path None": (lambda: cache.atomic_write(None, lambda t: t.write_text("1")), TypeError, "path"),
        "atomic_write path ''": (lambda: cache.atomic_write("", lambda t: t.write_text("1")), ValueError, "path"),
        "atomic_write path a folder": (lambda: cache.atomic_write(a_folder, lambda t: t.write_text("1")), ValueError,
                                       "path"),
        "atomic_write under a file": (lambda: cache.atomic_write(a_file / "x.json", lambda t: t.write_text("1")),
                                      ValueError, "path"),
        "atomic_write write None": (lambda: cache.atomic_write(tmp_path / "w.json", None), TypeError, "write"),
        "atomic_write write no argument": (lambda: cache.atomic_write(tmp_path / "w.json", lambda: None), TypeError,
                                           "write"),
        "atomic_write write writes nothing": (lambda: cache.atomic_write(tmp_path / "w.json", lambda t: None),
                                              ValueError, "write"),
        "save_json path a folder": (lambda: cache.save_json(a_folder, {"a": 1}), ValueError, "path"),
        "save_json path None": (lambda: cache.save_json(None, {"a": 1}), TypeError, "path"),
        "save_json record a list": (lambda: cache.save_json(tmp_path / "r.json", [1, 2]), TypeError, "record"),
        "load_json path int": (lambda: cache.load_json(5), TypeError, "path"),
        "load_json path a folder": (lambda: cache.load_json(a_folder), ValueError, "path"),
        "save_arrays path a folder": (lambda: cache.save_arrays(a_folder, **tiny), ValueError, "path"),
        "save_arrays objects": (lambda: cache.save_arrays(tmp_path / "o.npz", x=np.array([object()])), TypeError,
                                "x"),
        "load_arrays path None": (lambda: cache.load_arrays(None, ("x",)), TypeError, "path"),
        "load_arrays path a folder": (lambda: cache.load_arrays(a_folder, ("x",)), ValueError, "path"),
        "file_sha256 path a folder": (lambda: cache.file_sha256(a_folder), ValueError, "path"),
        "remove_stale_partials folder a file": (lambda: cache.remove_stale_partials(a_file), ValueError, "folder"),
        "remove_stale_partials folder int": (lambda: cache.remove_stale_partials(5), TypeError, "folder"),
        "load_keras_model path None": (lambda: cache.load_keras_model(None), TypeError, "path"),
        "load_keras_model path a folder": (lambda: cache.load_keras_model(a_folder), ValueError, "path"),
        "save_keras_model model str": (lambda: cache.save_keras_model("m", tmp_path / "m.keras"), TypeError, "model"),
        "artifact_path name blank": (lambda: cache.artifact_path(" ", ".json"), ValueError, "name"),
        "artifact_path suffix '.'": (lambda: cache.artifact_path("a", "."), ValueError, "suffix"),
        "cached_model train None": (lambda: cache.cached_model("m", {}, None), TypeError, "train"),
        "cached_model train with an argument": (lambda: cache.cached_model("m", {}, lambda data: None), TypeError,
                                                "train"),
        "cached_model train returns 5": (lambda: cache.cached_model("m", {}, lambda: 5, verbose=False), TypeError,
                                         "train"),
        "cached_model train returns no model": (lambda: cache.cached_model("m", {}, lambda: (None, {}),
                                                                           verbose=False), TypeError, "train"),
        "cached_model model_config a set": (lambda: cache.cached_model("m", {1, 2}, lambda: None), TypeError,
                                            "model_config"),
        "cached_model companions a list": (lambda: cache.cached_model("m", {}, lambda: None, companions=["a"]),
                                           TypeError, "companions"),
        "cached_model expected a list": (lambda: cache.cached_model("m", {}, lambda: None, expected=[1]), TypeError,
                                         "expected"),
        "cached_model retrain 'no'": (lambda: cache.cached_model("m", {}, lambda: None, retrain="no"), TypeError,
                                      "retrain"),
    }


CACHE_CASES = list(_cache_calls(Path("unused")))


@pytest.mark.parametrize("case", CACHE_CASES)
def test_cache_refuses_bad_paths_and_callbacks_by_name(case, tmp_path, isolated_artifacts):
    """Before: pathlib's 'expected str, bytes or os.PathLike object', IsADirectoryError, FileExistsError,
    "'NoneType' object is not callable", a folder or None read as a missing cache (None), an object array
    stored as a pickle that load_arrays then discarded, or retrain='no' meaning True."""
    (tmp_path / "a-file").write_text("x")
    (tmp_path / "a-folder").mkdir()
    call, error, name = _cache_calls(tmp_path)[case]
    with refused(error, name):
        call()


def test_cache_still_reads_and_writes_files(tmp_path):
    from helpers import cache

    cache.save_json(str(tmp_path / "r.json"), {"a": 1})
    assert cache.load_json(tmp_path / "r.json") == {"a": 1}
    assert cache.load_json(tmp_path / "missing.json") is None
    cache.save_arrays(tmp_path / "a.npz", x=np.arange(3), s=np.array(["k"]))
    assert cache.load_arrays(tmp_path / "a.npz", ("x", "s"))["s"][0] == "k"
    assert cache.remove_stale_partials(tmp_path / "missing") == []
    assert cache.file_sha256(tmp_path / "missing") is None


# --- unfitted scikit-learn classifiers as judges: scikit-learn's NotFittedError from deep inside ----------
def _unfitted_judge_calls():
    from sklearn.linear_model import LogisticRegression
    from sklearn.naive_bayes import GaussianNB

    from helpers import bigan, classical

    images = np.random.default_rng(0).random((4, 28, 28)).astype(np.float32)
    return {
        "bigan.judged_labels LR": (lambda: bigan.judged_labels(images, LogisticRegression()), ValueError),
        "bigan.class_counts GaussianNB": (lambda: bigan.class_counts(images, GaussianNB()), ValueError),
        "bigan.class_counts the class": (lambda: bigan.class_counts(images, LogisticRegression), TypeError),
        "classical.judge_hits LR": (lambda: classical.judge_hits(LogisticRegression(), images, 3), ValueError),
        "classical.judge_hits the class": (lambda: classical.judge_hits(LogisticRegression, images, 3), TypeError),
    }


@pytest.mark.parametrize("case", list(_unfitted_judge_calls()))
def test_unfitted_judges_say_so_by_name(case):
    """Before: sklearn's NotFittedError (or 'predict() missing 1 required positional argument') from inside
    scikit-learn; judges.SklearnJudge and judges.as_judge already said 'not fitted yet; call .fit(x, y)'."""
    call, error = _unfitted_judge_calls()[case]
    with refused(error, "judge", "fit"):
        call()


def test_fitted_judges_still_judge():
    from sklearn.linear_model import LogisticRegression

    from helpers import bigan, classical

    rng = np.random.default_rng(0)
    x, y = rng.random((20, 28, 28)).astype(np.float32), np.arange(20) % 10
    lr = LogisticRegression(max_iter=50).fit(x.reshape(20, -1), y)
    assert bigan.class_counts(x, lr).sum() == 20
    assert classical.judge_hits(lr, x, y).shape == (20,)


# --- empty batches: a correctly shaped empty result, as VAE.encode and the judges give -------------------
@pytest.fixture(scope="module")
def tiny_vae():
    from helpers import vae

    return vae.VAE(2, (8,), (8,))


DIGITS = np.random.default_rng(0).random((20, 28, 28)).astype(np.float32)
LABELS = np.arange(20) % 10
NO_DIGITS = DIGITS[:0]


def test_vae_encode_distribution_of_no_images_is_empty(tiny_vae):
    """Before: numpy's 'need at least one array to concatenate'."""
    mean, log_var = tiny_vae.encode_distribution(NO_DIGITS)
    assert mean.shape == log_var.shape == (0, 2) == tiny_vae.encode(NO_DIGITS).shape
    assert mean.dtype == np.float32


def test_class_counts_of_no_images_are_zero_for_a_scikit_learn_judge():
    """Before: 'cannot reshape array of size 0 into shape (0,newaxis)' (a helpers Judge already gave zeros)."""
    from sklearn.linear_model import LogisticRegression

    from helpers import bigan, judges

    lr = LogisticRegression(max_iter=50).fit(DIGITS.reshape(20, -1), LABELS)
    np.testing.assert_array_equal(bigan.class_counts(NO_DIGITS, lr), np.zeros(10))
    np.testing.assert_array_equal(bigan.class_counts(NO_DIGITS, judges.SklearnJudge(lr)), np.zeros(10))
    assert bigan.judged_labels(NO_DIGITS, lr).shape == (0,)


def test_pixel_naive_bayes_of_no_images_is_empty():
    """Before: scikit-learn's 'Found array with 0 sample(s) ... while a minimum of 1 is required by GaussianNB'."""
    from helpers import classical

    nb = classical.PixelNaiveBayes().fit(DIGITS, LABELS)
    assert nb.predict(NO_DIGITS).shape == (0,)
    assert nb.predict(NO_DIGITS).dtype == nb.predict(DIGITS[:2]).dtype
    assert nb.predict_proba(NO_DIGITS).shape == (0, 10)
    assert nb.log_likelihood(NO_DIGITS).shape == (0,)
    assert classical.gaussian_nb_log_px(nb.nb, np.zeros((0, 784))).shape == (0,)


# --- browser_explorer: the page's decode / probabilities and gptq_round --------------------------------
@pytest.fixture(scope="module")
def block(tiny_vae):
    from sklearn.linear_model import LogisticRegression

    from helpers import browser_explorer as bx

    lr = LogisticRegression(max_iter=50).fit(DIGITS.reshape(20, -1), LABELS)
    centroids = np.random.default_rng(1).normal(size=(10, 2))
    return bx.browser_explorer(tiny_vae, DIGITS[:3], LABELS[:3], centroids=centroids, judge=lr)


def test_browser_explorer_decode_of_no_codes_is_empty(block):
    """Before: 'cannot reshape array of size 0 into shape (0,newaxis)'."""
    assert block.decode(np.zeros((0, 2))).shape == (0, 28, 28)
    assert block.probabilities(NO_DIGITS).shape == (0, 10)


BLOCK_CASES = {
    "decode one code": (lambda b: b.decode(np.zeros(2)), ValueError, "z"),
    "decode wrong width": (lambda b: b.decode(np.zeros((2, 3))), ValueError, "z"),
    "decode (N, 1, d)": (lambda b: b.decode(np.zeros((2, 1, 2))), ValueError, "z"),
    "decode NaN": (lambda b: b.decode(np.full((2, 2), np.nan)), ValueError, "z"),
    "decode strings": (lambda b: b.decode([["a", "b"]]), TypeError, "z"),
    "decode booleans": (lambda b: b.decode(np.ones((2, 2), bool)), TypeError, "z"),
    "decode complex": (lambda b: b.decode(np.ones((2, 2), complex)), TypeError, "z"),
    "decode None": (lambda b: b.decode(None), TypeError, "z"),
    "probabilities one image": (lambda b: b.probabilities(DIGITS[0]), ValueError, "images"),
    "probabilities (N, 27, 27)": (lambda b: b.probabilities(np.zeros((2, 27, 27))), ValueError, "images"),
    "probabilities NaN": (lambda b: b.probabilities(np.full((2, 28, 28), np.nan)), ValueError, "images"),
    "probabilities grey levels": (lambda b: b.probabilities(np.full((2, 28, 28), 200.0)), ValueError, "images"),
    "probabilities uint8": (lambda b: b.probabilities(np.zeros((2, 28, 28), np.uint8)), ValueError, "images"),
    "probabilities booleans": (lambda b: b.probabilities(np.ones((2, 28, 28), bool)), ValueError, "images"),
    "probabilities strings": (lambda b: b.probabilities([["a"]]), TypeError, "images"),
    "probabilities None": (lambda b: b.probabilities(None), TypeError, "images"),
}


@pytest.mark.parametrize("case", BLOCK_CASES)
def test_browser_explorer_block_checks_codes_and_images_by_name(block, case):
    """Before: numpy's matmul or reshape errors, 'could not convert string to float', 'len() of unsized
    object', or images of NaN, booleans, 0-255 grey levels and complex codes judged / decoded silently."""
    call, error, name = BLOCK_CASES[case]
    with refused(error, name):
        call(block)


def test_browser_explorer_block_still_decodes_and_judges(block, tiny_vae):
    z = np.random.default_rng(2).normal(size=(3, 2))
    assert np.abs(block.decode(z) - tiny_vae.decode(z.astype(np.float32))).max() <= block.max_pixel_error + 1e-6
    assert block.decode(z.tolist()).shape == (3, 28, 28)
    np.testing.assert_allclose(block.probabilities(DIGITS[:2].reshape(2, 784)), block.probabilities(DIGITS[:2]))


KERNEL = np.random.default_rng(0).normal(size=(4, 3))
INPUTS = np.random.default_rng(1).normal(size=(50, 4))
STEPS = np.full(3, 0.01)

GPTQ_CASES = {
    "kernel 1-D": (lambda bx: bx.gptq_round(KERNEL[:, 0], INPUTS, STEPS), ValueError, "kernel"),
    "kernel None": (lambda bx: bx.gptq_round(None, INPUTS, STEPS), TypeError, "kernel"),
    "kernel NaN": (lambda bx: bx.gptq_round(np.full((4, 3), np.nan), INPUTS, STEPS), ValueError, "kernel"),
    "inputs of another width": (lambda bx: bx.gptq_round(KERNEL, INPUTS[:, :3], STEPS), ValueError, "inputs"),
    "inputs 1-D": (lambda bx: bx.gptq_round(KERNEL, INPUTS[:, 0], STEPS), ValueError, "inputs"),
    "inputs NaN": (lambda bx: bx.gptq_round(KERNEL, np.full((50, 4), np.nan), STEPS), ValueError, "inputs"),
    "inputs none": (lambda bx: bx.gptq_round(KERNEL, INPUTS[:0], STEPS), ValueError, "inputs"),
    "steps zero": (lambda bx: bx.gptq_round(KERNEL, INPUTS, np.zeros(3)), ValueError, "steps"),
    "steps negative": (lambda bx: bx.gptq_round(KERNEL, INPUTS, -STEPS), ValueError, "steps"),
    "steps of another length": (lambda bx: bx.gptq_round(KERNEL, INPUTS, np.full(4, 0.01)), ValueError, "steps"),
    "steps NaN": (lambda bx: bx.gptq_round(KERNEL, INPUTS, np.full(3, np.nan)), ValueError, "steps"),
    "steps tiny": (lambda bx: bx.gptq_round(KERNEL, INPUTS, np.full(3, 1e-300)), ValueError, "steps"),
    "damping negative": (lambda bx: bx.gptq_round(KERNEL, INPUTS, STEPS, damping=-1), ValueError, "damping"),
    "damping a string": (lambda bx: bx.gptq_round(KERNEL, INPUTS, STEPS, damping="a"), TypeError, "damping"),
    "damping 0, inputs constant": (lambda bx: bx.gptq_round(KERNEL, np.zeros((50, 4)), STEPS, damping=0),
                                   ValueError, "damping"),
    "block 0": (lambda bx: bx.gptq_round(KERNEL, INPUTS, STEPS, block=0), ValueError, "block"),
    "block -1": (lambda bx: bx.gptq_round(KERNEL, INPUTS, STEPS, block=-1), ValueError, "block"),
    "block 2.5": (lambda bx: bx.gptq_round(KERNEL, INPUTS, STEPS, block=2.5), TypeError, "block"),
}


@pytest.mark.parametrize("case", GPTQ_CASES)
def test_gptq_round_checks_its_arguments_by_name(case):
    """Before: IndexError, numpy's broadcast or 'Input must be 1- or 2-d', LinAlgError, 'range() arg 3 must not
    be zero', or integers silently wrong (NaN, zero or negative steps, inputs of another width, block=-1)."""
    from helpers import browser_explorer as bx

    call, error, name = GPTQ_CASES[case]
    with refused(error, name):
        call(bx)


def test_gptq_round_still_rounds():
    from helpers import browser_explorer as bx

    q = bx.gptq_round(KERNEL, INPUTS, STEPS)
    assert q.shape == (4, 3) and q.dtype == np.int64
    assert np.abs(q * STEPS - KERNEL).max() < 0.05
    np.testing.assert_array_equal(bx.gptq_round(KERNEL, INPUTS, 0.01), q)  # one step for all units
    assert bx.gptq_round(KERNEL, INPUTS, STEPS, damping=0).shape == (4, 3)


# --- settings, records and tables with missing or bad fields; plot format and size keywords -------------
FLOW_CURVE = [{"step": 0, "seconds": 1.0}, {"step": 100, "seconds": 3.0}]
VAE_RECORD = {"epoch_seconds": [2.0, 1.0, 1.0], "train_flops_per_image": 1e6, "train_images": 1000}


def _record_and_table_calls():
    from helpers import flow, morphometry, vae

    lr = {"learning_rate": 1e-3}
    table = np.random.default_rng(0).random((5, 6))
    return {
        "warmup_cosine warmup_fraction '0.1'": (lambda: vae.warmup_cosine(dict(lr, warmup_fraction="0.1"), 100),
                                                TypeError, "cfg['warmup_fraction']"),
        "warmup_cosine warmup_fraction 2": (lambda: vae.warmup_cosine(dict(lr, warmup_fraction=2), 100), ValueError,
                                            "cfg['warmup_fraction']"),
        "warmup_cosine warmup_fraction -0.5": (lambda: vae.warmup_cosine(dict(lr, warmup_fraction=-0.5), 100),
                                               ValueError, "cfg['warmup_fraction']"),
        "warmup_cosine warmup_fraction NaN": (lambda: vae.warmup_cosine(dict(lr, warmup_fraction=float("nan")), 100),
                                              ValueError, "cfg['warmup_fraction']"),
        "warmup_cosine warmup_fraction None": (lambda: vae.warmup_cosine(dict(lr, warmup_fraction=None), 100),
                                               TypeError, "cfg['warmup_fraction']"),
        "vae gflops epoch_seconds a number": (lambda: vae.achieved_gflops(dict(VAE_RECORD, epoch_seconds=1.0)),
                                              ValueError, "record['epoch_seconds']"),
        "vae gflops epoch_seconds strings": (lambda: vae.achieved_gflops(dict(VAE_RECORD, epoch_seconds=["1", "2"])),
                                             TypeError, "record['epoch_seconds']"),
        "vae gflops epoch_seconds zeros": (lambda: vae.achieved_gflops(dict(VAE_RECORD, epoch_seconds=[0.0, 0.0])),
                                           ValueError, "record['epoch_seconds']"),
        "vae gflops epoch_seconds negative": (lambda: vae.achieved_gflops(dict(VAE_RECORD, epoch_seconds=[-1.0])),
                                              ValueError, "record['epoch_seconds']"),
        "vae gflops train_flops_per_image None": (lambda: vae.achieved_gflops(
            dict(VAE_RECORD, train_flops_per_image=None)), TypeError, "record['train_flops_per_image']"),
        "vae gflops train_images '1000'": (lambda: vae.achieved_gflops(dict(VAE_RECORD, train_images="1000")),
                                           TypeError, "record['train_images']"),
        "flow gflops train_flops_per_image None": (lambda: flow.achieved_gflops(
            {"curve": FLOW_CURVE, "train_flops_per_image": None}, 32), TypeError, "record['train_flops_per_image']"),
        "flow gflops seconds strings": (lambda: flow.achieved_gflops(
            {"curve": [{"step": 0, "seconds": "1"}, {"step": 9, "seconds": "3"}], "train_flops_per_image": 1.0}, 32),
            TypeError, "seconds"),
        "flow gflops seconds None": (lambda: flow.achieved_gflops(
            {"curve": [{"step": 0, "seconds": None}, {"step": 9, "seconds": 3.0}], "train_flops_per_image": 1.0}, 32),
            TypeError, "seconds"),
        "flow gflops step backwards": (lambda: flow.achieved_gflops(
            {"curve": [{"step": 9, "seconds": 1.0}, {"step": 0, "seconds": 3.0}], "train_flops_per_image": 1.0}, 32),
            ValueError, "step"),
        "Morphometrics.from_table 1-D": (lambda: morphometry.Morphometrics.from_table(table[0]), ValueError, "table"),
        "Morphometrics.from_table 3 columns": (lambda: morphometry.Morphometrics.from_table(table[:, :3]), ValueError,
                                               "table"),
        "Morphometrics.from_table 8 columns": (lambda: morphometry.Morphometrics.from_table(np.ones((5, 8))),
                                               ValueError, "table"),
        "Morphometrics.from_table None": (lambda: morphometry.Morphometrics.from_table(None), TypeError, "table"),
        "Morphometrics.from_table strings": (lambda: morphometry.Morphometrics.from_table([["a"] * 6]), TypeError,
                                             "table"),
        "Morphometrics.from_table booleans": (lambda: morphometry.Morphometrics.from_table(np.ones((2, 6), bool)),
                                              TypeError, "table"),
        "Morphometrics.from_table infinite": (lambda: morphometry.Morphometrics.from_table(np.full((2, 6), np.inf)),
                                              ValueError, "table"),
    }


@pytest.mark.parametrize("case", list(_record_and_table_calls()))
def test_settings_records_and_tables_are_checked_by_name(case):
    """Before: int('0.10.10.1...'), 'cannot convert float NaN to integer', a schedule warming up over -50% or 200%
    of the steps, ZeroDivisionError, numpy's 'not compatible with add.reduce', negative GFLOP/s, 'unsupported
    operand type(s)', IndexError, or a table of 8 columns, booleans or infinities taken as attributes."""
    call, error, name = _record_and_table_calls()[case]
    with refused(error, name):
        call()


def test_style_scale_from_table_was_already_checked():
    from helpers import style

    with refused(ValueError, "table"):
        style.StyleScale.from_table(np.ones((3, 6)) * np.arange(3)[:, None] * np.nan)


def test_records_and_tables_still_read():
    from helpers import flow, morphometry, vae

    assert vae.achieved_gflops(VAE_RECORD) == pytest.approx(1.0)
    assert flow.achieved_gflops({"curve": FLOW_CURVE, "train_flops_per_image": 1e6}, 32) == pytest.approx(1.6)
    table = np.random.default_rng(0).random((5, 6))
    table[1] = np.nan  # a blank image
    np.testing.assert_array_equal(morphometry.Morphometrics.from_table(table).table(), table)
    assert float(vae.warmup_cosine({"learning_rate": 1e-3, "warmup_fraction": 0.1}, 100)(10)) == pytest.approx(1e-3)


def _plot_calls():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from helpers import plots

    ax = plt.subplots()[1]
    grids = {"m": np.random.default_rng(0).random((2, 3, 28, 28))}
    black = lambda z: np.zeros((len(z), 28, 28), np.float32)  # noqa: E731
    square = {("r", "c"): np.eye(3)}
    two = ({"t": np.eye(2)}, ["a", "b"], ["c", "d"])
    return {
        "table floatfmt 'q'": (lambda: plots.table([{"a": 1.5}], floatfmt="q"), ValueError, "floatfmt"),
        "table floatfmt braces": (lambda: plots.table([{"a": 1.5}], floatfmt="{:.2f}"), ValueError, "floatfmt"),
        "table floatfmt None": (lambda: plots.table([{"a": 1.5}], floatfmt=None), TypeError, "floatfmt"),
        "class_heatmap fmt a string": (lambda: plots.class_heatmap(ax, np.eye(3), fmt="{:.0f}"), TypeError, "fmt"),
        "class_heatmap fmt returns int": (lambda: plots.class_heatmap(ax, np.eye(3), fmt=lambda v: 3), TypeError,
                                          "fmt"),
        "heatmap_grid fmt None": (lambda: plots.heatmap_grid(square, ["r"], ["c"], fmt=None), TypeError, "fmt"),
        "heatmap_grid cell 0": (lambda: plots.heatmap_grid(square, ["r"], ["c"], cell=0), ValueError, "cell"),
        "heatmap_grid cell '3'": (lambda: plots.heatmap_grid(square, ["r"], ["c"], cell="3"), TypeError, "cell"),
        "matrix_heatmaps fmt '{:q}'": (lambda: plots.matrix_heatmaps(*two, fmt="{:q}"), ValueError, "fmt"),
        "matrix_heatmaps fmt without a field": (lambda: plots.matrix_heatmaps(*two, fmt=".2f"), ValueError, "fmt"),
        "matrix_heatmaps fmt a function": (lambda: plots.matrix_heatmaps(*two, fmt=lambda v: f"{v}"), TypeError,
                                           "fmt"),
        "matrix_heatmaps cell 3": (lambda: plots.matrix_heatmaps(*two, cell=3), TypeError, "cell"),
        "matrix_heatmaps cell negative": (lambda: plots.matrix_heatmaps(*two, cell=(-1, 2)), ValueError, "cell"),
        "model_grids cell_size -1": (lambda: plots.model_grids(grids, cell_size=-1), ValueError, "cell_size"),
        "model_grids cell_size 0": (lambda: plots.model_grids(grids, cell_size=0), ValueError, "cell_size"),
        "model_grids cell_size 'a'": (lambda: plots.model_grids(grids, cell_size="a"), TypeError, "cell_size"),
        "latent_manifold cell_size NaN": (lambda: plots.latent_manifold(black, n=3, cell_size=float("nan")),
                                          ValueError, "cell_size"),
        "latent_manifold cell_size 'a'": (lambda: plots.latent_manifold(black, n=3, cell_size="a"), TypeError,
                                          "cell_size"),
    }


@pytest.mark.parametrize("case", list(_plot_calls()))
def test_plot_format_and_size_keywords_are_checked(case):
    """Before: format()'s 'Unknown format code', "'str' object is not callable", "'function' object has no
    attribute 'format'", matplotlib's 'figure size must be positive finite', a heatmap whose every cell read
    '.2f', or an empty figure for a cell size of 0."""
    import matplotlib.pyplot as plt

    call, error, name = _plot_calls()[case]
    try:
        with refused(error, name):
            call()
    finally:
        plt.close("all")


def test_plot_keywords_still_take_formats_and_sizes():
    import matplotlib.pyplot as plt

    from helpers import plots

    assert "1.50" in plots.table([{"a": 1.5}], floatfmt=".2f")
    plots.class_heatmap(plt.subplots()[1], np.eye(3), fmt=lambda v: f"{v:.1f}")
    plots.matrix_heatmaps({"t": np.eye(2)}, ["a", "b"], ["c", "d"], fmt="{:.1%}", cell=[2, 1.5])
    plots.model_grids({"m": np.zeros((2, 3, 28, 28))}, cell_size=0.5)
    plt.close("all")
