"""Property-based checks (hypothesis) of the public functions that take arrays (issue 15).

Random shapes, dtypes and values go into check_images, lerp / slerp, decode,
LatentSpace.move / vector / pair_grid, the judges, morphometry.measure, notebook 07's
ridge_probe / attribute_directions / principal_directions / style.measure_table, and
the image figures (plots.image_grid / tile / show_canvas). Each
call must give either a valid result (right shape, finite wherever the input was
finite) or a helpers error: ValueError, TypeError or helpers.data.DataError with a
message, raised by helpers code, never a raw numpy or TensorFlow error and never
NaN out of finite input. Models are tiny (a PixelNaiveBayes fitted on a small
synthetic set, an untrained VAE and BiGAN with 8 units), so the file runs in seconds.
"""

from __future__ import annotations

import os
import re
import traceback
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from helpers.data import DataError, Dataset

HELPERS_ERRORS = (ValueError, TypeError, DataError)
#: Wordings of errors that numpy, scikit-learn and TensorFlow raise themselves: none may reach the user.
RAW_MESSAGES = re.compile(
    r"could not broadcast|operands could not be broadcast|setting an array element|invalid literal|"
    r"could not convert|index \d+ is out of bounds|cannot reshape|zero-size array|inhomogeneous|"
    r"unsupported operand|not supported between|object is not|has no attribute|Expected 2D array|"
    r"Graph execution error|Exception encountered when calling",
    re.IGNORECASE,
)
#: Examples per property: 60 keeps the file at seconds; PROPERTY_EXAMPLES=2000 searches harder.
EXAMPLES = int(os.environ.get("PROPERTY_EXAMPLES", "60"))
PROPERTY = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                          HealthCheck.function_scoped_fixture])


def outcome(fn, *args, **kwargs):
    """``fn(*args)``'s result, or None after checking that it failed the way helpers fail."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = fn(*args, **kwargs)
    except Exception as err:  # the property: which exceptions, and from where
        check_error(err)
        event(f"refused: {type(err).__name__}")
        return None
    event("valid result")
    return result


def check_error(err: Exception) -> None:
    """A helpers error: the right type, a message of its own, raised by helpers code."""
    assert isinstance(err, HELPERS_ERRORS), f"raw {type(err).__name__}: {err}"
    message = str(err)
    assert message and not RAW_MESSAGES.search(message), f"a library's own message reached the user: {message}"
    innermost = traceback.extract_tb(err.__traceback__)[-1].filename
    assert "/helpers/" in innermost, f"raised from {innermost}, not by helpers: {message}"


def finite(*arrays) -> bool:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return all(np.all(np.isfinite(np.asarray(a, dtype=np.complex128))) for a in arrays)


# --- strategies ------------------------------------------------------------------------------------
DTYPES = st.sampled_from([np.float32, np.float64, np.float16, np.uint8, np.int64, np.bool_, np.complex64])
VALUES = st.floats(allow_nan=True, allow_infinity=True, width=32)
UNIT_VALUES = st.floats(0.0, 1.0, width=32)


@st.composite
def any_array(draw, shapes=None):
    """Arrays of any dtype and of image-like or arbitrary shapes, values anywhere (NaN and inf included)."""
    shape = draw(shapes if shapes is not None else st.one_of(
        st.tuples(st.integers(0, 3), st.just(28), st.just(28)),
        st.tuples(st.integers(0, 3), st.just(784)),
        st.just((28, 28)),
        hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=5),
    ))
    dtype = draw(DTYPES)
    kind = np.dtype(dtype).kind
    if kind == "b":
        elements = st.booleans()
    elif kind in "iu":
        info = np.iinfo(dtype)
        elements = st.integers(int(info.min), int(info.max))
    elif draw(st.booleans()):
        elements = hnp.from_dtype(np.dtype(dtype), allow_nan=True, allow_infinity=True)
    else:
        width = 16 if dtype == np.float16 else 32
        elements = st.floats(0.0, 1.0, width=width)
    return draw(hnp.arrays(dtype, shape, elements=elements, fill=elements))


@st.composite
def unit_images(draw, max_n=3):
    """Valid images: float32 (N, 28, 28) in [0, 1]."""
    n = draw(st.integers(1, max_n))
    return draw(hnp.arrays(np.float32, (n, 28, 28), elements=UNIT_VALUES, fill=UNIT_VALUES))


def codes(d, max_n=4):
    """Arrays meant as codes of size d: right and wrong shapes, any values (mostly ordinary codes)."""
    ordinary = st.one_of(
        hnp.arrays(np.float32, st.tuples(st.integers(1, max_n), st.just(d)), elements=st.floats(-5, 5, width=32)),
        hnp.arrays(np.float64, (d,), elements=st.floats(-5, 5)))
    return mostly(ordinary, any_array(st.one_of(st.tuples(st.integers(0, max_n), st.just(d)), st.just((d,)),
                                                hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=5))))


def mostly(valid, *bad):
    """Valid values three times in four, so the result checks run as often as the refusals."""
    return st.one_of(valid, valid, valid, *bad) if bad else valid


VALID_ALPHAS = st.one_of(st.floats(-3, 3), st.lists(st.floats(-3, 3), min_size=1, max_size=4))
ALPHAS = mostly(VALID_ALPHAS, st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.lists(st.floats(-1e6, 1e6, allow_nan=False), min_size=0, max_size=4),
    hnp.arrays(np.float64, hnp.array_shapes(min_dims=0, max_dims=2, max_side=4), elements=VALUES),
    st.text(max_size=3), st.none(),
))
DISTINCT_PAIR = st.tuples(st.integers(0, 9), st.integers(1, 9)).map(lambda p: (p[0], (p[0] + p[1]) % 10))
CLASSES = mostly(st.integers(0, 9), st.one_of(st.integers(-2, 11), st.floats(-1, 11), st.text(max_size=2),
                                             st.booleans(), st.none()))


# --- fixtures: small models ----------------------------------------------------------------------
def _tiny_dataset(n_train=60, n_test=20, seed=0) -> Dataset:
    rng = np.random.default_rng(seed)
    return Dataset(rng.random((n_train, 28, 28), dtype=np.float32), np.arange(n_train) % 10,
                   rng.random((n_test, 28, 28), dtype=np.float32), np.arange(n_test) % 10)


@pytest.fixture(scope="module")
def pnb():
    from helpers import classical

    d = _tiny_dataset()
    return classical.PixelNaiveBayes().fit(d.x_train, d.y_train)


@pytest.fixture(scope="module")
def tiny_vae():
    from helpers import vae

    return vae.VAE(2, (8,), (8,), seed=0)


@pytest.fixture(scope="module")
def tiny_bigan():
    from helpers import bigan

    return bigan.BiGAN(latent_dim=2, g_hidden=(8,), e_hidden=(8,), d_hidden=(8, 4))


@pytest.fixture(scope="module")
def spaces(pnb, tiny_vae):
    from helpers import latent

    d = _tiny_dataset()
    return {"pixels": latent.LatentSpace(pnb, d.x_train, d.y_train), "vae": latent.LatentSpace(tiny_vae, d.x_train,
                                                                                             d.y_train)}


@pytest.fixture(scope="module")
def judge_list(pnb):
    from helpers import judges

    return [judges.SklearnJudge(pnb, "pixel NB"), judges.as_judge(lambda x: np.full((len(x), 10), 0.1))]


# --- properties ------------------------------------------------------------------------------------
@PROPERTY
@given(x=mostly(unit_images(), any_array()))
def test_check_images(x):
    from helpers import data

    out = outcome(data.check_images, x)
    if out is not None:
        assert out.dtype == np.float32 and out.ndim == 3 and out.shape[1:] == (28, 28)
        assert finite(out) and (out.size == 0 or (out.min() >= -1e-6 and out.max() <= 1 + 1e-6))


@PROPERTY
@given(y=mostly(hnp.arrays(np.int64, st.integers(0, 4), elements=st.integers(0, 9)),
              any_array(st.one_of(hnp.array_shapes(min_dims=0, max_dims=2, min_side=0, max_side=4),
                                  st.tuples(st.integers(0, 4), st.just(10))))),
       n=st.one_of(st.none(), st.integers(0, 4)))
def test_check_labels(y, n):
    from helpers import data

    out = outcome(data.check_labels, y, n)
    if out is not None:
        assert out.dtype == np.int64 and out.ndim == 1 and np.all((out >= 0) & (out < 10))
        assert n is None or len(out) == n


@PROPERTY
@given(z0=codes(3), z1=codes(3), t=ALPHAS, path=st.sampled_from(["lerp", "slerp"]))
def test_lerp_and_slerp(z0, z1, t, path):
    from helpers import latent

    out = outcome(getattr(latent, path), z0, z1, t)
    if out is not None:
        n_t = np.size(t)
        assert out.shape[-2:] == (n_t, np.shape(z0)[-1]) and out.dtype == np.float32
        assert finite(out), "NaN or inf out of finite input"


@PROPERTY
@given(z=codes(2), model=st.sampled_from(["vae", "bigan", "pixels"]))
def test_decode(z, model, tiny_vae, tiny_bigan, pnb):
    m = {"vae": tiny_vae, "bigan": tiny_bigan, "pixels": pnb}[model]
    if model == "pixels" and np.ndim(z) == 2 and np.shape(z)[1] == 2:
        z = np.resize(z, (len(z), 784))  # the pixel model's codes are its 784 pixels
    out = outcome(m.decode, z)
    if out is not None:
        assert out.shape == (len(z), 28, 28) and finite(out) and (out.size == 0 or out.min() >= 0 and out.max() <= 1)


@PROPERTY
@given(x=mostly(unit_images(), any_array()), pair=mostly(DISTINCT_PAIR, st.tuples(CLASSES, CLASSES)),
       alphas=ALPHAS, model=st.sampled_from(["pixels", "vae"]),
       method=mostly(st.sampled_from(["centroid", "balanced", "pooled"]), st.text(max_size=3)))
def test_latent_space_move(spaces, x, pair, alphas, model, method):
    a, b = pair
    out = outcome(spaces[model].move, x, a, b, alphas, method)
    if out is not None:
        assert out.shape == (len(x), np.size(alphas), 28, 28) and finite(out)


@PROPERTY
@given(pair=mostly(DISTINCT_PAIR, st.tuples(CLASSES, CLASSES)),
       method=mostly(st.sampled_from(["centroid", "balanced", "pooled"]), st.text(max_size=3)),
       model=st.sampled_from(["pixels", "vae"]))
def test_latent_space_vector(spaces, pair, method, model):
    a, b = pair
    out = outcome(spaces[model].vector, a, b, method)
    if out is not None:
        assert out.shape == (spaces[model].latent_dim,) and finite(out)


@PROPERTY
@given(alphas=ALPHAS, pairs=mostly(st.one_of(st.none(), st.lists(DISTINCT_PAIR, min_size=1, max_size=3)),
                                    st.lists(st.tuples(CLASSES, CLASSES), max_size=3),
                                    st.lists(CLASSES, max_size=2), st.text(max_size=2)),
       model=st.sampled_from(["pixels", "vae"]))
def test_latent_space_pair_grid(spaces, alphas, pairs, model):
    out = outcome(spaces[model].pair_grid, alphas, pairs)
    if out is not None:
        assert out.ndim == 4 and out.shape[1:] == (np.size(alphas), 28, 28) and finite(out)


@PROPERTY
@given(x=mostly(st.one_of(unit_images(), unit_images().map(lambda x: x[:, None])), any_array()),
       which=st.integers(0, 1))
def test_judges(judge_list, x, which):
    out = outcome(judge_list[which].predict_proba, x)
    if out is not None:
        assert out.shape[-1] == 10 and finite(out)
        assert np.all(out >= 0) and np.allclose(out.sum(axis=-1), 1.0, atol=1e-3) if out.size else True


@PROPERTY
@given(values=mostly(
    hnp.arrays(np.float64, st.tuples(st.integers(1, 3), st.just(10)), elements=st.floats(0.01, 1.0))
    .map(lambda p: p / p.sum(axis=1, keepdims=True)),
    hnp.arrays(np.float64, st.tuples(st.integers(1, 3), st.just(10)), elements=VALUES),
    any_array()))
def test_what_a_judge_returns(values):
    from helpers import judges

    judge = judges.as_judge(lambda x: values)
    out = outcome(judge.predict_proba, np.zeros((len(values) if np.ndim(values) else 1, 28, 28), np.float32))
    if out is not None:
        assert finite(out) and np.allclose(out.sum(axis=-1), 1.0, atol=1e-3)


morphometry = pytest.importorskip("helpers.morphometry")


@settings(max_examples=max(10, EXAMPLES // 3), deadline=None)
@given(x=mostly(unit_images(max_n=2), any_array()))
def test_morphometry_measure(x):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result = morphometry.measure(x, workers=1)
        except Exception as err:
            check_error(err)
            event(f"refused: {type(err).__name__}")
            return
    event("valid result")
    table = result.table()
    assert table.shape == (len(x), len(morphometry.ATTRIBUTES))
    blank = np.isnan(table).any(axis=1)
    if blank.any():  # NaN only for images measure() declares blank, with its warning and count
        said = [str(w.message) for w in caught if "blank" in str(w.message)]
        assert said and said[0].startswith(f"{int(blank.sum())} of {len(x)}"), said
    assert finite(table[~blank])


# --- notebook 07: attribute directions, measured style, figures ------------------------------------
@st.composite
def direction_world(draw):
    """Codes (N, d), one value per code and labels: mostly ordinary, sometimes extreme or of the wrong shape."""
    n, d = draw(st.integers(0, 12)), draw(st.integers(1, 4))
    wide = st.floats(-1e6, 1e6, allow_subnormal=False) | st.floats(allow_nan=True, allow_infinity=True)
    elements = mostly(st.floats(-5, 5), wide)
    codes_ = draw(mostly(hnp.arrays(np.float64, (n, d), elements=elements), any_array()))
    values = draw(mostly(hnp.arrays(np.float64, (n,), elements=elements), any_array()))
    labels = draw(mostly(hnp.arrays(np.int64, (n,), elements=st.integers(0, 9)), any_array()))
    return codes_, values, labels, d


@PROPERTY
@given(world=direction_world(), ridge=mostly(st.just(1e-3), st.floats(allow_nan=True), st.text(max_size=2)))
def test_ridge_probe(world, ridge):
    from helpers import latent

    codes_, values, _, _ = world
    out = outcome(latent.ridge_probe, codes_, values, ridge)
    if out is not None:
        w, b, r2 = out
        assert w.shape == (np.shape(codes_)[1],)
        assert finite(w, b, r2), "NaN or inf out of finite input"


@PROPERTY
@given(world=direction_world(), counterfactual=st.booleans())
def test_attribute_directions(world, counterfactual):
    from helpers import latent

    codes_, values, labels, d = world
    centroids = np.random.default_rng(0).normal(size=(10, d))
    cf = np.ones(d) if counterfactual else None
    out = outcome(latent.attribute_directions, codes_, values, labels, centroids, counterfactual=cf)
    if out is not None:
        assert finite(out.sd, out.probe_weights, out.probe_r2) and out.sd > 0
        for method, v in out.vectors.items():
            assert v.shape == (d,)
            # a direction is either a finite vector or missing, with the reason said
            assert finite(v) or (np.all(np.isnan(v)) and method in out.missing), (method, v)


@PROPERTY
@given(world=direction_world(), k=mostly(st.integers(1, 4), st.integers(-1, 6), st.floats(0, 3), st.none()))
def test_principal_directions(world, k):
    from helpers import latent

    codes_ = world[0]
    out = outcome(latent.principal_directions, codes_, k)
    if out is not None:
        axes, sds = out
        assert axes.shape == (k, np.shape(codes_)[1]) and sds.shape == (k,)
        assert finite(axes, sds) and np.all(sds >= 0)
        assert np.allclose(np.linalg.norm(axes, axis=1), 1.0, atol=1e-6)


@settings(max_examples=max(10, EXAMPLES // 3), deadline=None)
@given(x=mostly(unit_images(max_n=2), unit_images(max_n=2).map(lambda x: x[None]), any_array()))
def test_style_measure_table(x):
    from helpers import morphometry, style

    out = outcome(style.measure_table, x)
    if out is not None:
        assert out.shape == np.shape(x)[:-2] + (len(morphometry.ATTRIBUTES),)
        rows = out.reshape(-1, out.shape[-1])
        blank = np.isnan(rows).all(axis=1)  # NaN only as whole rows: the blank images
        assert finite(rows[~blank])


@PROPERTY
@given(images=mostly(unit_images(), any_array()), which=st.sampled_from(["image_grid", "tile", "show_canvas"]))
def test_image_figures(images, which):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from helpers import plots

    arg = images[None] if which == "show_canvas" and np.ndim(images) == 3 else images
    out = outcome(getattr(plots, which), arg)
    try:
        if out is not None and which == "tile":
            assert finite(out), "NaN or inf drawn"
        elif out is not None:
            drawn = out.axes[0].images[0].get_array()
            assert finite(np.ma.filled(drawn, np.nan)), "NaN or inf drawn"
    finally:
        plt.close("all")
