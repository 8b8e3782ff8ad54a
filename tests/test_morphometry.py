"""Morphometry (helpers.morphometry) on images with known answers, and its counterfactuals."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from skimage import morphology, transform

from helpers import morphometry as mm


def render_strokes(segments, width: float, size: int = 28, supersample: int = 8) -> np.ndarray:
    """Anti-aliased strokes: each pixel's ink is the share of it within width/2 of a segment."""
    c = (np.arange(size * supersample) + 0.5) / supersample
    yy, xx = np.meshgrid(c, c, indexing="ij")
    ink = np.zeros(xx.shape, bool)
    for x0, y0, x1, y1 in segments:
        dx, dy = x1 - x0, y1 - y0
        t = np.clip(((xx - x0) * dx + (yy - y0) * dy) / (dx * dx + dy * dy), 0, 1)
        ink |= (xx - x0 - t * dx) ** 2 + (yy - y0 - t * dy) ** 2 <= (width / 2) ** 2
    return ink.reshape(size, supersample, size, supersample).mean(axis=(1, 3)).astype(np.float32)


def render_bar(width: float, height: float, degrees: float, size: int = 28, supersample: int = 8):
    """An anti-aliased bar of horizontal width ``width``, leaning right by ``degrees`` about the centre."""
    c = (np.arange(size * supersample) + 0.5) / supersample
    yy, xx = np.meshgrid(c, c, indexing="ij")
    centre = size / 2 + (size / 2 - yy) * np.tan(np.radians(degrees))
    ink = (np.abs(xx - centre) <= width / 2) & (np.abs(yy - size / 2) <= height / 2)
    return ink.reshape(size, supersample, size, supersample).mean(axis=(1, 3)).astype(np.float32)


def synthetic_digits() -> np.ndarray:
    """Eight digit-like glyphs (7, 1, 4, L, 0, 2, a slanted 1, a bold 7) on the 1/255 grid, like MNIST files."""
    angles = np.linspace(0, 2 * np.pi, 25)
    ring = [(14 + 5 * np.cos(a), 14 + 8 * np.sin(a), 14 + 5 * np.cos(b), 14 + 8 * np.sin(b))
            for a, b in zip(angles[:-1], angles[1:])]
    glyphs = [
        render_strokes([(8, 6, 20, 6), (20, 6, 12, 23)], 2.5),
        render_strokes([(15, 5, 13, 23)], 2.5),
        render_strokes([(17, 5, 8, 17), (8, 17, 21, 17), (17, 5, 17, 23)], 2.5),
        render_strokes([(10, 5, 10, 22), (10, 22, 20, 22)], 3.0),
        render_strokes(ring, 2.2),
        render_strokes([(9, 8, 14, 5), (14, 5, 19, 9), (19, 9, 9, 22), (9, 22, 20, 22)], 2.5),
        render_strokes([(18, 5, 10, 23)], 3.0),
        render_strokes([(8, 6, 20, 6), (20, 6, 12, 23)], 4.0),
    ]
    return np.round(np.stack(glyphs) * 255) / 255


@pytest.fixture(scope="module")
def digits(request) -> np.ndarray:
    """32 real test digits when MNIST is available (the ``mnist`` fixture), else synthetic glyphs."""
    try:
        data = request.getfixturevalue("mnist")
    except pytest.skip.Exception:
        return synthetic_digits().astype(np.float32)
    return data.x_test[:32]


def quiet_measure(images, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no warning expected on real ink
        return mm.measure(images, **kwargs)


# --- known answers ----------------------------------------------------------------------------------

@pytest.mark.parametrize("width", [2.0, 3.0, 4.0])
def test_thickness_of_strokes_drawn_at_known_widths(width):
    strokes = np.stack([render_strokes([seg], width) for seg in
                        [(14, 5, 14, 23), (5, 14, 23, 14), (7, 21, 21, 7), (10, 23, 18, 5)]])
    for images in (strokes, np.round(strokes * 255) / 255):  # float samples and uint8-like digits
        thickness = quiet_measure(images).thickness
        np.testing.assert_allclose(thickness, width, rtol=0.10)


def test_the_readable_thickness_is_the_fast_paths_thickness(digits):
    """mm.thickness (the definition, one digit at a time with scikit-image's medial axis) equals measure's."""
    blank = np.zeros((1, 28, 28), np.float32)
    images = np.concatenate([digits, blank, digits[:3].astype(np.float32) * 0.9])  # uint8-grid and float digits
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the blank image's warning
        fast = mm.measure(images).thickness
    readable = mm.thickness(images)
    assert np.isnan(readable[len(digits)]) and np.isnan(fast[len(digits)])
    assert np.isfinite(readable).sum() == len(images) - 1
    np.testing.assert_allclose(readable, fast, rtol=1e-9, equal_nan=True)


def test_thickness_orders_strokes_and_length_follows_the_stroke():
    m = quiet_measure(np.stack([render_strokes([(14, 9, 14, 19)], 2.5), render_strokes([(14, 5, 14, 23)], 2.5)]))
    short, long = m.length
    assert 8 <= short <= 14 and 16 <= long <= 23  # 10 and 18 px of stroke
    assert long - short == pytest.approx(8, abs=1.5)


@pytest.mark.parametrize("degrees", [-20.0, 0.0, 15.0, 30.0])
def test_slant_of_a_bar_drawn_at_a_known_angle(degrees):
    slant = quiet_measure(render_bar(3, 18, degrees)[None]).slant[0]
    assert slant == pytest.approx(degrees, abs=1.0)  # positive leans right


def test_height_of_a_bar_and_width_and_height_swap_with_orientation():
    m = quiet_measure(np.stack([render_bar(3, 18, 10), render_strokes([(14, 6, 14, 22)], 3),
                                render_strokes([(6, 14, 22, 14)], 3)]))
    assert m.height[0] == pytest.approx(18, abs=0.5)
    assert m.width[1] == pytest.approx(m.height[2], rel=1e-5) and m.height[1] == pytest.approx(m.width[2], rel=1e-5)
    assert m.area[1] == pytest.approx(m.area[2])


@pytest.mark.parametrize("degrees", [-15.0, 20.0])
def test_shear_by_a_known_angle_is_recovered_from_the_slant(digits, degrees):
    before = quiet_measure(digits)
    after = quiet_measure(mm.shear(digits, degrees))
    # a shear adds tan(degrees) to tan(slant); recovered angle within 2 degrees
    recovered = np.degrees(np.arctan(np.tan(np.radians(after.slant)) - np.tan(np.radians(before.slant))))
    assert np.median(np.abs(recovered - degrees)) < 1.0
    assert np.mean(np.abs(recovered - degrees) < 2.0) >= 0.9
    assert np.all(np.sign(after.slant - before.slant) == np.sign(degrees))
    # ... and barely changes the ink
    assert np.median(np.abs(after.area / before.area - 1)) < 0.03


@pytest.mark.parametrize("factor", [0.8, 1.25])
def test_scaling_a_digit_scales_its_width_and_height(digits, factor):
    before = quiet_measure(digits)
    after = quiet_measure(mm.scale(digits, factor))
    assert np.median(after.width / before.width) == pytest.approx(factor, rel=0.05)
    assert np.median(after.height / before.height) == pytest.approx(factor, rel=0.05)


def test_stretching_changes_width_only(digits):
    before = quiet_measure(digits)
    after = quiet_measure(mm.stretch(digits, 1.25))
    assert np.median(after.width / before.width) == pytest.approx(1.25, rel=0.05)
    assert np.median(after.height / before.height) == pytest.approx(1.0, abs=0.02)
    assert np.median(np.abs(after.slant - before.slant)) < 1.0


def test_thicken_and_thin_move_thickness_the_right_way_and_keep_slant(digits):
    before = quiet_measure(digits)
    thick = quiet_measure(mm.thicken(digits, 1.0))
    thinned = quiet_measure(mm.thin(digits, 0.7))
    # amount 1.0 dilates by about half the thickness on each side: about twice as thick
    assert 1.6 <= np.median(thick.thickness / before.thickness) <= 2.4
    assert 0.35 <= np.median(thinned.thickness / before.thickness) <= 0.8
    assert np.all(thick.thickness > before.thickness) and np.all(thinned.thickness < before.thickness)
    for moved in (thick, thinned):
        assert np.median(np.abs(moved.slant - before.slant)) < 3.0
    assert np.all(thick.area > before.area) and np.all(thinned.area < before.area)


def test_no_change_at_amount_zero_and_factor_one(digits):
    base = mm.thicken(digits, 0.0)  # binarise, downscale: the round trip alone
    for moved in (mm.thin(digits, 0.0), mm.shear(digits, 0.0), mm.stretch(digits, 1.0), mm.scale(digits, 1.0)):
        np.testing.assert_array_equal(moved, base)
    # the round trip alone moves every attribute a little (the skeleton's spurs most)
    steady = ("thickness", "slant", "width", "height", "area")
    after, before = quiet_measure(base), quiet_measure(digits)
    np.testing.assert_allclose(after.table(steady), before.table(steady), rtol=0.1, atol=0.6)
    assert np.median(after.length / before.length) == pytest.approx(1, abs=0.05)


# --- the implementation against scikit-image / scipy on the same binary images -------------------

def _binary(images):
    x = mm.check_images(images)
    _, tiles, _ = mm._binary_tiles(x, mm._quantized(x, None))
    return tiles, tiles[:, mm._TOP:mm._TOP + mm._H, :mm._W].copy()


def test_upscaling_is_pyramid_expand(digits):
    hires = mm._hires(digits, np.zeros(len(digits), bool))
    for i in range(3):
        expected = 255 * transform.pyramid_expand(digits[i].astype(np.float64), upscale=4, order=3, channel_axis=None)
        np.testing.assert_allclose(hires[i], expected, atol=2e-3)


def awkward_shapes() -> np.ndarray:
    """A disc 18 px across (distances far beyond the tiles' margins), ink cut by the image border,
    and a page of ink with a hole: the cases where a distance search could leave its digit."""
    yy, xx = np.mgrid[:28, :28]
    disc = ((yy - 14) ** 2 + (xx - 13) ** 2 <= 81).astype(np.float32)
    border = np.zeros((28, 28), np.float32)
    border[:, :4] = 1
    border[0, :] = 1
    page = np.ones((28, 28), np.float32)
    page[20:23, 5:8] = 0
    return np.stack([disc, border, page])


@pytest.mark.parametrize("kind", ["digits", "awkward shapes"])
def test_skeleton_and_distances_are_medial_axis_per_digit(digits, kind):
    tiles, ink = _binary(digits[:12] if kind == "digits" else awkward_shapes())
    flat, dist2, on_skel, counts = mm._skeletons(tiles)
    grid_rows = (flat >> mm._TILE_BITS) & (mm._TILE - 1)
    digit, row, col = flat >> (2 * mm._TILE_BITS), grid_rows - mm._TOP, flat & (mm._TILE - 1)
    for i in range(len(ink)):
        skeleton, distance = morphology.medial_axis(ink[i], return_distance=True, rng=42)
        mine = digit == i
        np.testing.assert_array_equal(np.sqrt(dist2[mine]), distance[row[mine], col[mine]])
        ours = np.zeros_like(skeleton)
        ours[row[mine & on_skel], col[mine & on_skel]] = True
        np.testing.assert_array_equal(ours, skeleton)
    assert counts.tolist() == ink.sum(axis=(1, 2)).tolist()


def test_the_compiled_thinning_loop_is_found_and_the_fallback_agrees(digits, monkeypatch):
    assert mm._LOOP is not None, "scikit-image moved _skeletonize_loop: measure falls back to a slow path"
    fast = quiet_measure(digits[:6])
    monkeypatch.setattr(mm, "_LOOP", None)
    np.testing.assert_array_equal(quiet_measure(digits[:6]).table(), fast.table())


def test_dilation_and_erosion_are_scikit_image_morphology(digits):
    _, ink = _binary(np.concatenate([digits[:4], awkward_shapes()]))
    for r in (2, 5):
        disk = morphology.disk(r)
        dilated, eroded = mm._within(ink, r), ~mm._within(~ink, r)
        for i in range(len(ink)):
            np.testing.assert_array_equal(dilated[i], morphology.dilation(ink[i], disk))
            np.testing.assert_array_equal(eroded[i], morphology.erosion(ink[i], disk))


def test_downscaling_is_pyramid_reduce_cast_to_uint8(digits):
    _, ink = _binary(digits[:3])
    small = mm._downscale(ink)
    for i in range(len(ink)):
        expected = (255 * transform.pyramid_reduce(ink[i], downscale=4, order=3, channel_axis=None)).astype(np.uint8)
        assert np.abs(np.round(small[i] * 255) - expected).max() <= 1
        assert np.mean(np.round(small[i] * 255) == expected) > 0.99


# --- batches, blanks and bad input ----------------------------------------------------------------

def test_tiled_results_equal_results_per_image(digits, monkeypatch):
    # equal up to BLAS rounding (bitwise here); ink bleeding between tiles would differ by far more
    same = dict(rtol=1e-6, atol=1e-6)
    together = quiet_measure(digits).table()
    alone = np.concatenate([quiet_measure(digits[i:i + 1]).table() for i in range(len(digits))])
    np.testing.assert_allclose(together, alone, **same)
    monkeypatch.setattr(mm, "CHUNK", 5)  # many chunks on two threads
    np.testing.assert_allclose(quiet_measure(digits, workers=2).table(), together, **same)
    np.testing.assert_allclose(quiet_measure(digits[::-1]).table()[::-1], together, **same)
    neighbours = np.concatenate([digits, awkward_shapes(), digits[::-1]])  # ink up to the tile edges
    np.testing.assert_allclose(quiet_measure(neighbours).table()[:len(digits)], together, **same)


def test_blank_images_get_nan_and_one_warning_with_their_count(digits):
    batch = np.concatenate([np.zeros((2, 28, 28), np.float32), digits[:3], np.full((1, 28, 28), 0.5, np.float32)])
    with pytest.warns(UserWarning, match="3 of 6 images are blank") as caught:
        m = mm.measure(batch)
    assert len(caught) == 1
    blank = np.array([True, True, False, False, False, True])
    assert np.all(np.isnan(m.table()[blank])) and np.all(np.isfinite(m.table()[~blank]))
    np.testing.assert_array_equal(m.table()[~blank], quiet_measure(digits[:3]).table())
    np.testing.assert_array_equal(mm.thicken(batch, 1.0)[blank], batch[blank])  # nothing to perturb


def test_empty_batch_gives_empty_arrays():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        m = mm.measure(np.zeros((0, 28, 28), np.float32))
        assert len(m) == 0 and m.table().shape == (0, 6)
        assert all(m[name].shape == (0,) and m[name].dtype == np.float64 for name in mm.ATTRIBUTES)
        assert mm.thicken(np.zeros((0, 784), np.float32)).shape == (0, 28, 28)


def test_result_type(digits):
    m = quiet_measure(digits[:5].reshape(5, 784))
    assert m.table().shape == (5, 6) and len(m) == 5
    for i, name in enumerate(mm.ATTRIBUTES):
        np.testing.assert_array_equal(m.table()[:, i], m[name])
        np.testing.assert_array_equal(m[name], getattr(m, name))
        assert name in mm.UNITS
    assert m.table(("slant", "area")).shape == (5, 2)
    np.testing.assert_array_equal(np.asarray(m), m.table())
    np.testing.assert_array_equal(m[[0, 2]].table(), m.table()[[0, 2]])
    np.testing.assert_array_equal(mm.Morphometrics.from_table(m.table()).table(), m.table())
    assert m.as_dict().keys() == set(mm.ATTRIBUTES)
    with pytest.raises(KeyError, match="unknown attribute 'colour'"):
        m["colour"]


@pytest.mark.parametrize("bad, message", [
    (np.zeros((28, 28), np.float32), "images: got one image"),
    (np.zeros((3, 27, 27), np.float32), r"images: expected shape \(N, 28, 28\)"),
    (np.zeros((3, 28, 28), np.uint8), "images: expected float images"),
    (np.full((3, 28, 28), 2.0, np.float32), r"images: values span"),
    (np.full((3, 28, 28), np.nan, np.float32), "images: contains NaN"),
])
def test_bad_images_are_refused_like_the_rest_of_helpers(bad, message):
    for call in (mm.measure, mm.thicken, mm.thin, lambda x: mm.shear(x, 10), lambda x: mm.scale(x, 1.1),
                 lambda x: mm.stretch(x, 1.1)):
        with pytest.raises(ValueError, match=message):
            call(bad)


def test_bad_arguments_name_themselves(digits):
    x = digits[:2]
    cases = [
        (lambda: mm.thicken(x, -1.0), ValueError, "amount must be >= 0"),
        (lambda: mm.thin(x, float("nan")), ValueError, "amount must be a finite number"),
        (lambda: mm.thicken(x, "more"), TypeError, "amount must be a number"),
        (lambda: mm.shear(x, 95.0), ValueError, "degrees must be between -80 and 80"),
        (lambda: mm.shear(x, None), TypeError, "degrees must be a number"),
        (lambda: mm.scale(x, 0.0), ValueError, "factor must be between 0.2 and 5"),
        (lambda: mm.stretch(x, float("inf")), ValueError, "factor must be a finite number"),
        (lambda: mm.measure(x, quantized="yes"), TypeError, "quantized must be True, False or None"),
        (lambda: mm.measure(x, workers=0), ValueError, "workers must be a positive whole number"),
    ]
    for call, error, message in cases:
        with pytest.raises(error, match=message):
            call()


def test_quantized_path_is_chosen_per_image_and_can_be_forced():
    glyph = render_strokes([(14, 5, 14, 23)], 2.6)[None]
    on_grid = np.round(glyph * 255) / 255
    assert mm._quantized(np.concatenate([glyph, on_grid]), None).tolist() == [False, True]
    auto = quiet_measure(on_grid).table()
    np.testing.assert_array_equal(quiet_measure(on_grid, quantized=True).table(), auto)
    assert not np.array_equal(quiet_measure(on_grid, quantized=False).table(), auto)
