"""Diffusion (notebook 09): the schedule, the DDIM sampler and its inverse, h-space, latent diffusion, the cache."""

from __future__ import annotations

import numpy as np
import pytest

from helpers import config, diffusion, vae  # noqa: E402
from helpers.interface import check_model


# --- the forward process -----------------------------------------------------------------------------
def test_schedule_runs_from_almost_clean_to_almost_pure_noise():
    t = np.linspace(0.0, 1.0, 101)
    logsnr = diffusion.logsnr_schedule(t)
    assert np.all(np.diff(logsnr) < 0)
    assert logsnr[0] == pytest.approx(diffusion.LOGSNR_MAX) and logsnr[-1] == pytest.approx(diffusion.LOGSNR_MIN)
    alpha, sigma = diffusion.alpha_sigma(logsnr)
    np.testing.assert_allclose(alpha ** 2 + sigma ** 2, 1.0, atol=1e-12)
    # with unbounded ends the schedule is the cosine one, alpha_t = cos(pi t / 2)
    wide = diffusion.alpha_sigma(diffusion.logsnr_schedule(t, -60.0, 60.0))[0]
    np.testing.assert_allclose(wide, np.cos(np.pi * t / 2), atol=1e-6)


def test_forward_noising_at_the_schedule_ends():
    rng = np.random.default_rng(0)
    x0 = rng.uniform(-1, 1, (2000, 784))
    eps = rng.standard_normal(x0.shape)
    clean = diffusion.add_noise(x0, 0.0, eps)
    noisy = diffusion.add_noise(x0, 1.0, eps)
    # sigma_0 = alpha_1 = 0.0067: a per-pixel error of that size, at most 0.05 over 1.6 million pixels
    assert np.sqrt(np.mean((clean - x0) ** 2)) < 0.01 and np.abs(clean - x0).max() < 0.05
    assert np.sqrt(np.mean((noisy - eps) ** 2)) < 0.01 and np.abs(noisy - eps).max() < 0.05
    assert abs(noisy.mean()) < 0.01 and abs(noisy.std() - 1.0) < 0.01
    middle = diffusion.add_noise(x0, 0.5, eps)
    a, s = diffusion.alpha_sigma(diffusion.logsnr_schedule(0.5))
    np.testing.assert_allclose(middle, a * x0 + s * eps)
    per_row = diffusion.add_noise(x0[:3], np.array([0.0, 0.5, 1.0]), eps[:3])
    np.testing.assert_allclose(per_row[2], noisy[2])


# --- the sampler and its inverse with the exact denoiser ---------------------------------------------------
@pytest.fixture(scope="module")
def gaussian():
    rng = np.random.default_rng(1)
    mean, std = rng.normal(0, 1, 40), rng.uniform(0.3, 1.5, 40)
    return mean, std, diffusion.gaussian_oracle(mean, std)


def test_sampler_with_the_oracle_reproduces_a_known_gaussian(gaussian):
    mean, std, oracle = gaussian
    noise = np.random.default_rng(2).standard_normal((20000, 40))
    errors = {}
    for steps in (5, 100):
        x = diffusion.ddim_sample(oracle, noise, steps)
        errors[steps] = np.abs(x.std(axis=0) / std - 1).max()
        if steps == 100:
            assert np.abs(x.mean(axis=0) - mean).max() < 4 * 1.5 / np.sqrt(len(x)) + 0.02
            assert errors[steps] < 0.05
    assert errors[100] < errors[5] / 3  # the discretisation error shrinks with the steps


def test_inversion_with_the_oracle_returns_the_input(gaussian):
    mean, std, oracle = gaussian
    x0 = mean + std * np.random.default_rng(3).standard_normal((500, 40))
    errors = []
    for steps in (10, 100, 1000):
        z = diffusion.ddim_invert(oracle, x0, steps)
        errors.append(np.abs(diffusion.ddim_sample(oracle, z, steps) - x0).mean())
    assert errors[2] < 0.01 and errors[2] < errors[1] < errors[0]
    # the inverted codes are standard normal, as the sampler's starting noise is
    z = diffusion.ddim_invert(oracle, x0, 1000)
    assert abs(z.mean()) < 0.05 and abs(z.std() - 1) < 0.05


# --- a tiny trained model ------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def tiny_latent():
    """An MLP denoiser trained for a few seconds on a 2-d mixture of four Gaussians."""
    rng = np.random.default_rng(0)
    centres = np.array([[1.5, 1.5], [-1.5, 1.5], [1.5, -1.5], [-1.5, -1.5]])
    x = (centres[rng.integers(0, 4, 8192)] + 0.3 * rng.standard_normal((8192, 2))).astype(np.float32)
    cfg = diffusion.latent_config(width=64, depth=2, epochs=30, batch_size=256, learning_rate=3e-3, ema=0.99,
                                  budget_seconds=None)
    net = diffusion.build_mlp(2, 64, 2, 16)
    net, record, _ = diffusion.train_diffusion(x, cfg, net, pixel=False)
    run = diffusion._traced(net)

    def predict(z, logsnr):
        return np.asarray(run([z, np.full((len(z), 1), logsnr, np.float32)]))

    return x, predict, record


def test_tiny_model_learns_and_inversion_then_sampling_returns_the_input(tiny_latent):
    x, predict, record = tiny_latent
    assert record["history"]["loss"][-1] < record["history"]["loss"][0]
    points = x[:200]
    errors = {}
    for steps in (4, 16, 64):
        back = diffusion.ddim_sample(predict, diffusion.ddim_invert(predict, points, steps), steps)
        errors[steps] = float(np.sqrt(np.mean((back - points) ** 2)))
    # first-order steps: the error falls about as fast as the step length (points lie 1.5 from the origin)
    # (training on two threads is not bit-reproducible: 64 steps gave 0.151 in one of five runs, hence 0.2)
    tolerance = {4: 1.5, 16: 0.5, 64: 0.2}
    assert all(errors[s] < tolerance[s] for s in errors), errors
    assert errors[64] < errors[16] < errors[4] and errors[64] < 0.25 * errors[4], errors
    # and its samples land on the four clusters
    samples = diffusion.ddim_sample(predict, np.random.default_rng(5).standard_normal((2000, 2)), 32)
    assert np.mean(np.abs(np.abs(samples) - 1.5).max(axis=1) < 0.9) > 0.9


def test_a_time_budget_stops_training_and_drives_the_schedule():
    x = np.random.default_rng(0).standard_normal((4096, 2)).astype(np.float32)
    cfg = diffusion.latent_config(width=16, depth=1, epochs=10000, batch_size=256, budget_seconds=4.0,
                                  max_steps=None, jit_compile=False)
    _, record, _ = diffusion.train_diffusion(x, cfg, diffusion.build_mlp(2, 16, 1, 8), pixel=False)
    assert 0 < record["steps"] < 10000 * 16 and record["images_seen"] == 256 * record["steps"]
    assert record["stopped_by"] == "time limit"
    # It stops before a call (here 16 steps, one epoch) would end past the budget, unless the first call already did.
    assert record["train_seconds"] <= 4.0 + 0.1 or record["steps"] == 16, record
    progress = diffusion.keras.Variable(0.0)
    schedule = diffusion.BudgetSchedule(1e-3, 0.1, progress)
    rates = []
    for p in (0.0, 0.05, 0.1, 0.55, 1.0):
        progress.assign(p)
        rates.append(float(schedule(0)))
    np.testing.assert_allclose(rates, [0.0, 5e-4, 1e-3, 5e-4, 0.0], atol=1e-9)


def test_the_budget_clock_stops_before_a_call_would_end_past_the_budget(monkeypatch):
    """Calls of 3 s against a 10 s budget: after the call ending at 9 s the next would end at 12, so it stops there."""
    from types import SimpleNamespace

    now = [0.0]
    monkeypatch.setattr(diffusion.time, "perf_counter", lambda: now[0])
    clock = diffusion._Clock(trainer=None, budget=10.0, at_seconds=[], progress=diffusion.keras.Variable(0.0))
    clock.set_model(SimpleNamespace(stop_training=False))
    clock.on_train_begin()
    stopped_at = None
    for end in (3.0, 6.0, 9.0, 12.0):
        now[0] = end
        clock.on_train_batch_end(0, logs=None)
        if clock.model.stop_training:
            stopped_at = end
            break
    assert stopped_at == 9.0


def test_a_step_cap_stops_a_fast_machine_and_places_the_snapshots_by_the_steps():
    """Budget 600 s, cap 48 steps (3 calls of 16): the run stops at the cap, the schedule and the snapshots follow
    the steps' share."""
    x = np.random.default_rng(0).standard_normal((4096, 2)).astype(np.float32)
    cfg = diffusion.latent_config(width=16, depth=1, epochs=10000, batch_size=256, budget_seconds=600.0,
                                  max_steps=48, jit_compile=False, snapshot_seconds=[200.0, 400.0])
    _, record, taken = diffusion.train_diffusion(x, cfg, diffusion.build_mlp(2, 16, 1, 8), pixel=False)
    assert record["steps"] == 48 and record["train_seconds"] < 200.0 and record["stopped_by"] == "step cap"
    # a third and two thirds of the budget were reached after 16 and 32 steps: taken there, at the clock's seconds
    seconds = [s for s, _ in taken]
    assert len(seconds) == 2 and seconds[0] < seconds[1] < record["train_seconds"]


def test_the_budget_clock_follows_the_larger_share_and_stops_at_the_cap(monkeypatch):
    """A 100 s budget and a cap of 40 steps, calls of 10 steps taking 5 s: the steps' share leads, the run stops at
    40 steps (20 s), the snapshot at 50 s of the budget is taken after 20 steps, at 10 s on the clock."""
    from types import SimpleNamespace

    now, steps = [0.0], [0]
    monkeypatch.setattr(diffusion.time, "perf_counter", lambda: now[0])
    trainer = SimpleNamespace(optimizer=SimpleNamespace(iterations=diffusion.keras.Variable(0, dtype="int64")),
                              ema_weights=[diffusion.keras.Variable(np.zeros(2, np.float32))])
    progress = diffusion.keras.Variable(0.0)
    clock = diffusion._Clock(trainer=trainer, budget=100.0, at_seconds=[50.0], progress=progress, max_steps=40)
    clock.set_model(SimpleNamespace(stop_training=False))
    clock.on_train_begin()
    shares = []
    while not clock.model.stop_training and steps[0] < 100:
        now[0] += 5.0
        steps[0] += 10
        trainer.optimizer.iterations.assign(steps[0])
        clock.on_train_batch_end(0, logs=None)
        shares.append(float(progress.numpy()))
    assert steps[0] == 40 and shares == [0.25, 0.5, 0.75, 1.0]
    assert [s for s, _ in clock.taken] == [10.0] and clock.taken_at == {50.0: 10.0}


def test_the_loss_is_logged_along_the_steps_as_window_means():
    x = np.random.default_rng(1).standard_normal((4096, 2)).astype(np.float32)
    cfg = diffusion.latent_config(width=16, depth=1, epochs=4, batch_size=256, budget_seconds=None, jit_compile=False)
    _, record, _ = diffusion.train_diffusion(x, cfg, diffusion.build_mlp(2, 16, 1, 8), pixel=False)
    steps, losses = np.array(record["history"]["loss_steps"]).T
    np.testing.assert_array_equal(steps, [16, 32, 48, 64])  # 16 steps per call and per epoch: one entry each
    # each window is one whole epoch here, so its mean is the epoch's mean loss
    np.testing.assert_allclose(losses, record["history"]["loss"], rtol=1e-4)


# --- the pixel model, h-space and latent diffusion behind the interface ------------------------------------
@pytest.fixture(scope="module")
def pixel():
    config.seed_everything(0)
    net = diffusion.build_unet([8, 16], patch=2, embedding=16)
    rng = np.random.default_rng(0)
    for w in net.trainable_weights:  # random weights everywhere, so the output depends on every path
        w.assign(0.05 * rng.standard_normal(w.shape).astype(np.float32))
    return diffusion.PixelDiffusion(net, steps=3)


def test_pixel_model_implements_the_interface(pixel):
    check_model(pixel)
    x = np.random.default_rng(0).uniform(0, 1, (5, 28, 28)).astype(np.float32)
    z = pixel.encode(x)
    assert z.shape == (5, 784) and np.all(np.isfinite(z))
    images = pixel.decode(z)
    assert images.shape == (5, 28, 28) and images.min() >= 0 and images.max() <= 1
    assert pixel.sample(4, seed=0).shape == (4, 28, 28)
    np.testing.assert_array_equal(pixel.sample(4, seed=0), pixel.sample(4, seed=0))
    assert pixel.with_steps(7).steps == 7 and pixel.with_steps(7).net is pixel.net


def test_h_space_injection_with_zero_shift_changes_nothing(pixel):
    z = np.random.default_rng(1).standard_normal((6, 784)).astype(np.float32)
    zero = np.zeros((6, *pixel.h_shape), np.float32)
    np.testing.assert_array_equal(pixel.decode(z, shift=zero, until=0.0), pixel.decode(z))
    h = diffusion.HSpaceDiffusion(pixel, until=0.3)
    check_model(h)
    x = np.random.default_rng(2).uniform(0, 1, (6, 28, 28)).astype(np.float32)
    codes = h.encode(x)
    assert codes.shape == (6, h.latent_dim) and h.latent_dim == 784 + int(np.prod(pixel.h_shape))
    np.testing.assert_array_equal(codes[:, :784], pixel.encode(x))
    np.testing.assert_allclose(h.decode(codes), pixel.decode(codes[:, :784]), atol=1e-6)
    # a shift does change the digits (so the test above could fail)
    moved = codes.copy()
    moved[:, 784:] += 1.0
    assert np.abs(h.decode(moved) - h.decode(codes)).max() > 1e-3


def _random_unet(seed):
    net = diffusion.build_unet([8, 16], patch=2, embedding=16)
    rng = np.random.default_rng(seed)
    for w in net.trainable_weights:
        w.assign(0.05 * rng.standard_normal(w.shape).astype(np.float32))
    return net


def test_guidance_moves_away_from_the_guide_by_its_weight(pixel):
    guide = diffusion.PixelDiffusion(_random_unet(7), steps=3)
    x = np.random.default_rng(3).standard_normal((4, 28, 28)).astype(np.float32)
    v, weak = pixel.predictor()(x, 0.5), guide.predictor()(x, 0.5)
    assert np.abs(v - weak).max() > 1e-3  # two different nets, so the checks below could fail
    for w in (0.0, 1.0, 2.5):
        guided = pixel.with_guidance(guide, w)
        np.testing.assert_allclose(guided.predictor()(x, 0.5), weak + w * (v - weak), atol=1e-5)
    guided = pixel.with_guidance(guide.net, 2.5)
    assert guided.with_steps(5).guide is guide.net and guided.with_steps(5).guidance == 2.5
    z = np.random.default_rng(4).standard_normal((3, 784)).astype(np.float32)
    np.testing.assert_array_equal(pixel.with_guidance(guide, 1.0).decode(z), pixel.decode(z))
    assert np.abs(guided.decode(z) - pixel.decode(z)).max() > 1e-3
    check_model(guided)


def test_guidance_arguments_are_checked(pixel):
    with pytest.raises(ValueError, match="guidance must be"):
        pixel.with_guidance(pixel, -1.0)
    with pytest.raises(ValueError, match="guidance must be"):
        pixel.with_guidance(pixel, 25.0)
    with pytest.raises(TypeError, match="guidance must be"):
        pixel.with_guidance(pixel, "2")
    with pytest.raises(TypeError, match="guide must be a weaker pixel denoiser"):
        pixel.with_guidance(diffusion.build_mlp(20, 8, 1, 8), 2.0)
    with pytest.raises(ValueError, match="guide: a denoiser of bottleneck"):
        pixel.with_guidance(diffusion.build_unet([8, 24], patch=2, embedding=16), 2.0)
    for bad, error in ((0.0, ValueError), (1.0, ValueError), ("0.2", TypeError)):
        with pytest.raises(error, match="guide_fraction"):
            diffusion.pixel_config(guide_fraction=bad)


def test_autoguidance_guides_by_the_weights_kept_early_in_training(isolated_artifacts, mnist):
    cfg = diffusion.pixel_config(widths=[8, 16], embedding=16, train_images=512, batch_size=32, jit_compile=False,
                                 snapshot_seconds=[], budget_seconds=10.0, guide_fraction=0.5)
    model, record = diffusion.pretrained_pixel_diffusion(mnist, cfg=cfg, steps=2)
    # kept when half the budget was spent (no step cap here), and the clock's seconds then recorded
    assert 5.0 <= record["guide_seconds"] < 10.0 + 5.0
    guided = diffusion.autoguided(model, record, guidance=2.0)
    assert guided.guidance == 2.0 and guided.name == "pixel diffusion, autoguided" and guided.net is model.net
    early = guided.guide.get_weights()
    snapshot = dict(diffusion.training_snapshots(model, record))[record["guide_seconds"]]
    for a, b in zip(early, snapshot.net.get_weights()):
        np.testing.assert_array_equal(a, b)
    untimed = diffusion.pixel_config(widths=[8, 16], embedding=16, epochs=1, train_images=128, batch_size=128,
                                     jit_compile=False, snapshot_seconds=[], budget_seconds=None)
    plain, plain_record = diffusion.pretrained_pixel_diffusion(mnist, cfg=untimed, steps=2, name="untimed")
    with pytest.raises(ValueError, match="record: this model kept no guide"):
        diffusion.autoguided(plain, plain_record, name="untimed")


@pytest.fixture(scope="module")
def tiny_vae():
    config.seed_everything(0)
    return vae.VAE(20, (16,), (16,))


def test_latent_diffusion_decodes_through_the_vae_decoder(tiny_vae):
    config.seed_everything(0)
    net = diffusion.build_mlp(20, 32, 1, 16)
    for w in net.trainable_weights:
        w.assign(0.05 * np.random.default_rng(0).standard_normal(w.shape).astype(np.float32))
    mean, std = np.linspace(-1, 1, 20), np.linspace(0.5, 2, 20)
    model = diffusion.LatentDiffusion(net, tiny_vae, mean, std, steps=4)
    check_model(model)
    z = np.random.default_rng(1).standard_normal((7, 20)).astype(np.float32)
    codes = diffusion.ddim_sample(model.predict, z, 4) * std + mean
    np.testing.assert_allclose(model.decode(z), tiny_vae.decode(codes.astype(np.float32)), atol=1e-6)
    x = tiny_vae.decode(z)
    inverted = model.encode(x)
    expected = diffusion.ddim_invert(model.predict, (tiny_vae.encode(x) - mean) / std, 4)
    np.testing.assert_allclose(inverted, expected, atol=1e-5)


# --- the cache -------------------------------------------------------------------------------------------
def test_cache_round_trip(isolated_artifacts, mnist):
    cfg = diffusion.pixel_config(widths=[8, 16], embedding=16, epochs=1, train_images=256, batch_size=128,
                                 jit_compile=False, snapshot_seconds=[0.0], budget_seconds=None)
    model, record = diffusion.pretrained_pixel_diffusion(mnist, cfg=cfg, steps=2)
    assert record["snapshots"] == 1 and (isolated_artifacts / f"diffusion-pixel-{config.MODE}.keras").is_file()
    again, record2 = diffusion.pretrained_pixel_diffusion(mnist, cfg=cfg, steps=2)
    assert record2["model_sha256"] == record["model_sha256"]
    z = np.random.default_rng(0).standard_normal((3, 784)).astype(np.float32)
    np.testing.assert_array_equal(again.decode(z), model.decode(z))
    snaps = diffusion.training_snapshots(again, record2)
    assert len(snaps) == 1 and snaps[0][1].decode(z).shape == (3, 28, 28)
    # another configuration is another model: trained again, never handed the cached one
    other = dict(cfg, learning_rate=1e-3)
    _, record3 = diffusion.pretrained_pixel_diffusion(mnist, cfg=other, steps=2)
    assert record3["config"]["learning_rate"] == 1e-3


def test_cache_is_keyed_on_the_data(isolated_artifacts, mnist, capsys):
    cfg = diffusion.pixel_config(widths=[8, 16], embedding=16, epochs=1, train_images=128, batch_size=128,
                                 jit_compile=False, snapshot_seconds=[], budget_seconds=None)
    diffusion.pretrained_pixel_diffusion(mnist, cfg=cfg, steps=2)
    flipped = mnist._replace(x_train=mnist.x_train[::-1].copy())
    _, record = diffusion.pretrained_pixel_diffusion(flipped, cfg=cfg, steps=2)
    assert "trained on other data" in capsys.readouterr().out


# --- bad inputs --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("overrides, error, match", [
    ({"parameterisation": "score"}, ValueError, "parameterisation"),
    ({"epochs": 0}, ValueError, "epochs"),
    ({"learning_rate": -1.0}, ValueError, "learning_rate"),
    ({"ema": 1.0}, ValueError, "ema"),
    ({"widths": 64}, TypeError, "widths"),
    ({"patch": 4}, ValueError, "patch"),
    ({"batch_sise": 3}, TypeError, "batch_sise"),
])
def test_bad_settings_are_named(overrides, error, match):
    with pytest.raises(error, match=match):
        diffusion.pixel_config(**overrides)


def test_bad_inputs_are_refused_with_the_argument_named(pixel, tiny_vae):
    with pytest.raises(ValueError, match="x: values span"):
        pixel.encode(np.full((2, 28, 28), 255.0))
    with pytest.raises(ValueError, match=r"z: expected shape \(N, 784\)"):
        pixel.decode(np.zeros((2, 20)))
    with pytest.raises(ValueError, match="z: contains NaN"):
        pixel.decode(np.full((1, 784), np.nan))
    with pytest.raises(TypeError, match="model"):
        diffusion.reconstruction_error(object(), np.zeros((1, 28, 28)))
    with pytest.raises(TypeError, match="judge"):
        diffusion.sample_quality(pixel, object(), np.zeros((2, 8)), 2)
    with pytest.raises(TypeError, match="result"):
        diffusion.success_with_error({"CNN": None})
    with pytest.raises(TypeError, match="space"):
        diffusion.class_layout(pixel)
    with pytest.raises(ValueError, match="steps"):
        pixel.with_steps(0)
    with pytest.raises(TypeError, match="steps"):
        pixel.with_steps(2.5)
    with pytest.raises(ValueError, match="n must"):
        pixel.sample(0)
    with pytest.raises(ValueError, match="until"):
        diffusion.HSpaceDiffusion(pixel, until=1.5)
    with pytest.raises(TypeError, match="pixel"):
        diffusion.HSpaceDiffusion(tiny_vae)
    with pytest.raises(TypeError, match="net"):
        diffusion.PixelDiffusion(tiny_vae.decoder)
    with pytest.raises(TypeError, match="vae"):
        diffusion.LatentDiffusion(diffusion.build_mlp(20, 8, 1, 8), object(), np.zeros(20), np.ones(20))
    with pytest.raises(ValueError, match="steps"):
        diffusion.time_grid(0)


@pytest.mark.parametrize("call, error, match", [
    (lambda: diffusion.add_noise(np.zeros((2, 3)), 1.5, np.zeros((2, 3))), ValueError, r"t must lie in \[0, 1\]"),
    (lambda: diffusion.add_noise(np.zeros((2, 3)), 0.5, np.zeros((2, 4))), ValueError, "eps must have the shape of x0"),
    (lambda: diffusion.add_noise("digit", 0.5, np.zeros((2, 3))), TypeError, "x0"),
    (lambda: diffusion.ddim_step("net", np.zeros((1, 3)), 1.0, 0.5), TypeError, "predict must be a denoiser"),
    (lambda: diffusion.ddim_step(diffusion.gaussian_oracle(0.0, 1.0), np.zeros((1, 3)), 1.0, -0.5), ValueError, "t_to"),
    (lambda: diffusion.ddim_sample(diffusion.gaussian_oracle(0.0, 1.0), np.zeros((1, 3)), 4, clip=0.0), ValueError, "clip"),
    (lambda: diffusion.ddim_invert(diffusion.gaussian_oracle(0.0, 1.0), np.full((1, 3), np.nan), 4), ValueError, "x0"),
    (lambda: diffusion.gaussian_oracle(0.0, [1.0, 0.0]), ValueError, "std must be positive"),
    (lambda: diffusion.build_unet((32,)), TypeError, "widths must be two channel counts"),
    (lambda: diffusion.build_unet((32, 64), patch=3), ValueError, "patch"),
    (lambda: diffusion.build_mlp(20, width=0), ValueError, "width"),
    (lambda: diffusion.forward_flops("net"), TypeError, "net must be a Model"),
    (lambda: diffusion.train_diffusion([[0.0]], diffusion.latent_config(), diffusion.build_mlp(1, 8, 1, 8), False),
     TypeError, "x must be a numpy array"),
    (lambda: diffusion.train_diffusion(np.zeros((4, 20), np.float32), {"epochs": 1},
                                       diffusion.build_mlp(20, 8, 1, 8), False), ValueError, "cfg: missing settings"),
    (lambda: diffusion.h_only_vectors("space"), TypeError, "space must be a LatentSpace of an HSpaceDiffusion"),
    (lambda: diffusion.pretrained_pixel_diffusion(steps=0), ValueError, "steps"),
    (lambda: diffusion.pretrained_latent_diffusion(cfg={"epochs": 1}), ValueError, "cfg: missing settings"),
    (lambda: diffusion.success_with_error(None), TypeError, "result"),
    # found by a bad-input sweep: each of these returned NaN, misread the value or raised numpy's own error
    (lambda: diffusion.ddim_step(diffusion.gaussian_oracle(0.0, 1.0), None, 1.0, 0.5), TypeError, "x: expected the state"),
    (lambda: diffusion.ddim_step(diffusion.gaussian_oracle(0.0, 1.0), np.full((1, 3), np.nan), 1.0, 0.5),
     ValueError, "x: contains NaN"),
    (lambda: diffusion.ddim_step(lambda x, logsnr: None, np.zeros((2, 3)), 1.0, 0.5), ValueError,
     r"predict returned shape \(\) for a state of shape \(2, 3\)"),
    (lambda: diffusion.ddim_step(lambda x, logsnr: np.zeros(1), np.zeros((2, 3)), 1.0, 0.5), ValueError,
     "must return v of the state's shape"),
    (lambda: diffusion.ddim_sample(lambda x, logsnr: x * np.nan, np.zeros((2, 3)), 2), ValueError,
     "predict returned NaN"),
    (lambda: diffusion.ddim_sample(diffusion.gaussian_oracle(np.zeros(3), 1.0), np.zeros((2, 4)), 2), ValueError,
     "states of shape"),
    (lambda: diffusion.ddim_invert(diffusion.gaussian_oracle(0.0, 1.0), np.zeros((1, 3)), 10**12), ValueError,
     "steps must be at most 10,000"),
    (lambda: diffusion.time_grid(10**12), ValueError, "steps must be at most"),
    (lambda: diffusion.logsnr_schedule(1.5), ValueError, r"t must lie in \[0, 1\]"),
    (lambda: diffusion.logsnr_schedule(np.nan), ValueError, "t: contains NaN"),
    (lambda: diffusion.logsnr_schedule(True), TypeError, "t must be a time"),
    (lambda: diffusion.logsnr_schedule("0.5"), TypeError, "t: expected diffusion times"),
    (lambda: diffusion.logsnr_schedule(0.5 + 1j), TypeError, "complex"),
    (lambda: diffusion.logsnr_schedule(0.5, 5.0, -5.0), ValueError, "logsnr_max"),
    (lambda: diffusion.add_noise(np.zeros((2, 3)), np.array([0.1, 0.2, 0.3]), np.ones((2, 3))), ValueError,
     r"t must be one time or one per row of x0 \(2\)"),
    (lambda: diffusion.add_noise(np.zeros((2, 3)), np.zeros(0), np.ones((2, 3))), ValueError, "t: got no times"),
    (lambda: diffusion.add_noise(np.zeros((2, 3)) + 1j, 0.5, np.ones((2, 3))), TypeError, "x0: .*complex"),
    (lambda: diffusion.gaussian_oracle(np.zeros(3), np.ones(4)), ValueError, "std has shape"),
    (lambda: diffusion.gaussian_oracle(0.0, np.ones(0)), ValueError, "std: got no standard deviations"),
    (lambda: diffusion.build_unet((8, 16), patch=True), ValueError, "patch"),
    (lambda: diffusion.pixel_config(jit_compile="no"), TypeError, r"\['jit_compile'\] must be True or False"),
    (lambda: diffusion.pixel_config(patch=True), ValueError, "patch"),
    (lambda: diffusion.pixel_config(embedding="big"), TypeError, "embedding"),
    (lambda: diffusion.pixel_config(snapshot_seconds="60"), TypeError, "snapshot_seconds"),
    (lambda: diffusion.pixel_config(snapshot_seconds=[-1]), ValueError, "snapshot_seconds"),
    (lambda: diffusion.latent_config(width="wide"), TypeError, "width"),
    (lambda: diffusion.latent_config(depth=0), ValueError, "depth"),
])
def test_argument_checks_name_the_argument(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_model_constructors_check_their_arguments(pixel, tiny_vae):
    net = diffusion.build_mlp(20, 8, 1, 8)
    with pytest.raises(ValueError, match="code_mean must hold one number per code entry, 20"):
        diffusion.LatentDiffusion(net, tiny_vae, np.zeros(19), np.ones(20))
    with pytest.raises(ValueError, match="code_std must be positive"):
        diffusion.LatentDiffusion(net, tiny_vae, np.zeros(20), np.zeros(20))
    with pytest.raises(ValueError, match="parameterisation"):
        diffusion.PixelDiffusion(pixel.net, parameterisation="score")
    with pytest.raises(TypeError, match="clip must be True or False"):
        diffusion.PixelDiffusion(pixel.net, clip="yes")
    with pytest.raises(ValueError, match="x: pass at least one image"):
        diffusion.reconstruction_error(pixel, np.zeros((0, 28, 28)))
    with pytest.raises(ValueError, match="n must"):
        diffusion.HSpaceDiffusion(pixel).sample(0)
    with pytest.raises(ValueError, match="build it with diffusion.build_mlp"):
        diffusion.LatentDiffusion(diffusion.build_mlp(8, 16, 1, 16), tiny_vae, np.zeros(20), np.ones(20))
    latent = diffusion.LatentDiffusion(net, tiny_vae, np.zeros(20), np.ones(20))
    with pytest.raises(ValueError, match="logsnr must be a finite number"):
        latent.predict(np.zeros((2, 20), np.float32), np.nan)
    with pytest.raises(ValueError, match=r"latent denoiser takes states of shape \(N, 20\)"):
        latent.predict(np.zeros((2, 19), np.float32), 0.0)


def test_pixel_model_checks_shifts_times_and_states(pixel, tiny_vae):
    z = np.zeros((2, 784), np.float32)
    h = pixel.h_shape
    with pytest.raises(ValueError, match="until must be a finite number in"):  # beyond 1, the shift was never applied
        pixel.decode(z, shift=np.ones((2, *h), np.float32), until=2.0)
    with pytest.raises(ValueError, match=r"shift must hold one bottleneck shift per code, shape \(2, "):
        pixel.decode(z, shift=np.zeros((2, 3), np.float32))
    with pytest.raises(ValueError, match="shift: contains NaN"):
        pixel.decode(z, shift=np.full((2, *h), np.nan, np.float32))
    with pytest.raises(ValueError, match="t must be a finite number in"):
        pixel.bottleneck(z, 2.0)
    with pytest.raises(ValueError, match=r"x_t: expected pixel states of shape \(N, 28, 28\)"):
        pixel.bottleneck(np.zeros((2, 27, 27)))
    with pytest.raises(ValueError, match="pixel denoiser takes states of shape"):
        diffusion.ddim_sample(pixel.predictor(), z, 2)
    with pytest.raises(TypeError, match="z: expected real codes"):
        pixel.decode(z + 1j)
    predict = pixel.predictor()
    with pytest.raises(TypeError, match="logsnr must be a number"):
        predict(z.reshape(-1, 28, 28), "a")
    with pytest.raises(ValueError, match="logsnr must be a finite number"):  # NaN images before
        predict(z.reshape(-1, 28, 28), np.nan)
    with pytest.raises(TypeError, match="shift: expected bottleneck shifts"):
        pixel.predictor(shift="abc")
    with pytest.raises(ValueError, match="shift must hold one bottleneck shift per state"):
        pixel.predictor(shift=np.zeros((3, *h), np.float32))(z.reshape(-1, 28, 28), -5.0)
    assert predict(z.reshape(-1, 28, 28).tolist(), 0.0).shape == (2, 28, 28)  # a list of states is read as one
    assert pixel.bottleneck(z).shape == pixel.bottleneck(z.reshape(-1, 28, 28)).shape == (2, *h)
    assert diffusion.HSpaceDiffusion(pixel).encode(np.zeros((0, 28, 28), np.float32)).shape == (0, 784 + np.prod(h))


@pytest.mark.parametrize("parameterisation", ["eps", "x0"])
def test_every_parameterisation_reads_as_the_same_v(parameterisation, gaussian):
    _, _, oracle = gaussian
    x = np.random.default_rng(4).standard_normal((8, 40)).astype(np.float32)
    for logsnr in (-6.0, 0.0, 6.0):
        v = oracle(x, logsnr)
        a, s = diffusion.alpha_sigma(logsnr)
        output = {"eps": s * x + a * v, "x0": a * x - s * v}[parameterisation]
        np.testing.assert_allclose(diffusion.as_v(output, x, logsnr, parameterisation), v, atol=1e-4)
