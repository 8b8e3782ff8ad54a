"""The argument-checking layer (helpers.checks): the decorator, its specs, and printing a function's core."""

from __future__ import annotations

import numpy as np
import pytest

from helpers import checks as ck
from helpers import latent
from helpers.checks import checked, core_source, ref


@checked(x=ck.numbers(ndim=2, what="codes (N, d)"), n=ck.count(minimum=1),
         y=ck.labels(n=ref("x", len), n_classes=ref("n")), scale=ck.number(low=0, low_open=True))
def _mean_by_class(x, y, n=3, scale=1.0):
    """A docstring the printed core leaves out."""
    return np.stack([x[y == c].mean(axis=0) for c in range(n)]) * scale


def test_specs_convert_arguments_before_the_body_runs():
    out = _mean_by_class([[0, 0], [2, 2], [4, 4]], [0.0, 1.0, 2.0])  # lists and float labels are converted
    np.testing.assert_allclose(out, [[0, 0], [2, 2], [4, 4]])


@pytest.mark.parametrize("kwargs, kind, named", [
    (dict(x=[1, 2, 3], y=[0, 1, 2]), ValueError, "x"),
    (dict(x=np.zeros((3, 2)), y=[0, 1]), ValueError, "y"),          # one label per code: depends on x
    (dict(x=np.zeros((3, 2)), y=[0, 1, 3]), ValueError, "y"),       # classes below n: depends on n
    (dict(x=np.zeros((3, 2)), y=[0, 1, 2], n=0), ValueError, "n"),
    (dict(x=np.zeros((3, 2)), y=[0, 1, 2], scale=0.0), ValueError, "scale"),
    (dict(x=np.zeros((3, 2)), y=[0, 1, 2], scale="big"), TypeError, "scale"),
])
def test_each_bad_argument_is_named(kwargs, kind, named):
    with pytest.raises(kind, match=rf"\b{named}\b"):
        _mean_by_class(**kwargs)


def test_a_call_that_does_not_fit_the_signature_names_the_function():
    with pytest.raises(TypeError, match="_mean_by_class"):
        _mean_by_class(np.zeros((3, 2)), [0, 1, 2], 3, 1.0, "extra")


def test_specs_run_in_the_order_listed_and_see_earlier_results():
    seen = []

    def record(value, name, args):
        seen.append((name, dict(args)))
        return value * 2

    @checked(b=record, a=record)
    def f(a, b):
        return a, b

    assert f(1, 10) == (2, 20)
    assert [name for name, _ in seen] == ["b", "a"]
    assert seen[1][1]["b"] == 20  # a's spec saw b already checked


def test_a_spec_for_a_missing_parameter_fails_at_definition():
    with pytest.raises(TypeError, match="no parameter named"):
        @checked(nope=ck.flag())
        def f(x):
            return x


def test_returns_checks_the_result_with_the_checked_arguments():
    def positive_result(value, name, args):
        if value <= 0:
            raise ValueError(f"{name} of {args['x']} is not positive")
        return value

    @checked(x=ck.number(), returns=positive_result)
    def minus_one(x):
        return x - 1

    assert minus_one(3) == 2
    with pytest.raises(ValueError, match="result of 1.0"):
        minus_one(1)


def test_optional_and_one_of_and_instance():
    @checked(mode=ck.one_of("a", "b"), limit=ck.optional(ck.count()), kind=ck.instance(str, "'x'"))
    def f(mode, limit=None, kind="x"):
        return mode, limit, kind

    assert f("a") == ("a", None, "x")
    with pytest.raises(ValueError, match="unknown mode 'c'"):
        f("c")
    with pytest.raises(TypeError, match="limit"):
        f("a", limit=1.5)
    with pytest.raises(TypeError, match="kind must be a str"):
        f("b", kind=3)


def test_the_printed_core_has_no_decorator_no_docstring_and_no_checks():
    source = core_source(latent.quantile_direction)
    assert source.startswith("def quantile_direction(")
    assert "@checked" not in source and '"""' not in source
    assert "raise" not in source and "check" not in source
    assert "diffs.append(" in source  # the idea is there
    with_doc = core_source(latent.quantile_direction, docstring=True)
    assert "Tom White" in with_doc


def test_the_printed_core_of_a_method():
    source = core_source(latent.LatentSpace.move)
    assert source.startswith("def move(self, x, a")
    assert "self.decode(" in source


def test_show_core_renders_markdown_code_blocks():
    shown = ck.show_core(latent.lerp, latent.slerp)
    assert shown.data.count("```python") == 2
    assert "def slerp(" in shown.data


def test_every_checked_function_in_the_printed_list_has_a_clean_core():
    """What the chapters print holds the idea and no argument checks."""
    for fn in (latent.LatentSpace.move, latent.slerp, latent.quantile_direction):
        source = core_source(fn)
        assert "raise " not in source, fn.__qualname__


# --- the cores the chapters print (issue 18): the idea, no argument checks ------------------------------------
def _printed_cores():
    from helpers import bigan, classical, morphometry, scoring, vae

    return (
        classical.PixelNaiveBayes.sample,  # notebook 02: the Naive Bayes sampler
        vae.VAE._terms, vae.VAE.train_step, vae.bernoulli_nll, vae.gaussian_kl,  # notebook 03: the loss and the step
        bigan.BiGAN.train_step, bigan.BiGAN.update,  # notebook 04: the BiGAN update
        latent.LatentSpace.move, latent.lerp, latent.slerp,  # notebook 05
        vae.ClassPriorVAE.train_step, scoring.gaussian_frechet, scoring.frechet_distance,  # notebook 06
        latent.quantile_direction, morphometry.thickness,  # notebook 07
    )


#: Functions whose printed core must hold no argument checks. Extend it when a chapter prints another.
PRINTED_CORES = _printed_cores()


@pytest.mark.parametrize("fn", PRINTED_CORES, ids=lambda fn: fn.__qualname__)
def test_printed_cores_hold_no_argument_checks(fn):
    import re

    source = core_source(fn)
    body = source.split(":\n", 1)[1]  # after the signature
    assert body.strip(), fn.__qualname__
    assert not re.search(r"\braise\b", body), f"{fn.__qualname__} raises in its core:\n{source}"
    assert not re.search(r"check\w*\(", body), f"{fn.__qualname__} calls a check in its core:\n{source}"
    assert "isinstance(" not in body, f"{fn.__qualname__} guards with isinstance in its core:\n{source}"
    assert '"""' not in source and not source.startswith("@")


def test_a_core_with_a_check_would_be_caught():
    """The test above can fail: a function with a guard in its body is flagged."""
    import re

    def guarded(x):
        if x < 0:
            raise ValueError("x must be >= 0")
        return x

    assert re.search(r"\braise\b", core_source(guarded))


def test_the_decorator_keeps_the_signature_for_getfullargspec():
    """Keras reads a layer's __init__ with inspect.getfullargspec, which ignores __wrapped__."""
    import inspect

    from helpers import vae

    spec = inspect.getfullargspec(vae.VAE.__init__)
    assert spec.args[:3] == ["self", "latent_dim", "encoder_units"] and spec.varkw == "kwargs"


def test_the_printed_naive_bayes_sampler_draws_what_sample_gaussian_nb_draws():
    from helpers import classical

    rng = np.random.default_rng(0)
    x = rng.random((40, 28, 28), dtype=np.float32)
    model = classical.PixelNaiveBayes().fit(x, np.arange(40) % 4)
    draws, classes = classical.sample_gaussian_nb(model.nb, 6, seed=3)
    np.testing.assert_array_equal(model.sample(6, seed=3), np.clip(draws, 0, 1).astype(np.float32).reshape(6, 28, 28))
    fixed, _ = classical.sample_gaussian_nb(model.nb, 6, seed=3, classes=2)
    np.testing.assert_array_equal(model.sample(6, seed=3, classes=2),
                                  np.clip(fixed, 0, 1).astype(np.float32).reshape(6, 28, 28))


def test_the_frechet_core_matches_the_closed_form():
    """Two 1-D Gaussians: (mu1 - mu2)^2 + (s1 - s2)^2."""
    from helpers import scoring

    value = scoring.gaussian_frechet([1.0], [[4.0]], [3.0], [[1.0]])
    assert value == pytest.approx((1 - 3) ** 2 + (2 - 1) ** 2)
    with pytest.raises(ValueError, match="shapes do not match"):
        scoring.gaussian_frechet([1.0, 2.0], np.eye(2), [3.0], [[1.0]])


def test_centroids_need_every_class_in_the_labels():
    codes = np.zeros((6, 2))
    with pytest.raises(ValueError, match=r"class\(es\) \[2\] in labels"):
        latent.class_centroids(codes, np.array([0, 0, 1, 1, 3, 3]), n_classes=4)
    with pytest.raises(ValueError, match="n_classes=10 but only 6 codes"):
        latent.class_centroids(codes, np.array([0, 1, 2, 3, 4, 5]), n_classes=10)
    assert latent.class_centroids(codes, np.array([0, 0, 1, 1, 2, 3]), n_classes=4).shape == (4, 2)


def test_check_numbers_keeps_a_float_array_only_when_asked():
    x32 = np.ones((3, 2), np.float32)
    assert ck.check_numbers(x32, name="x").dtype == np.float64
    assert ck.check_numbers(x32, name="x", keep_float=True) is x32
    ints = ck.check_numbers(np.ones((3, 2), int), name="x", keep_float=True)
    assert ints.dtype == np.float64  # not a float array: converted as always
    with pytest.raises(ValueError, match="NaN"):
        ck.check_numbers(np.array([[np.nan]], np.float32), name="x", keep_float=True)
