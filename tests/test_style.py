"""helpers.style (notebook 07) on a synthetic renderer whose code *is* the style, so the answers are known.

The "model" draws one slanted bar: its code is (stroke thickness in px,
slant in tens of degrees, horizontal position). The position is the class,
read back by a judge. Moving along the thickness axis must therefore change
the measured thickness linearly, keep the class and leave slant alone; the
counterfactual (really thickened bars) must point along the first code axis.
"""

from __future__ import annotations

import numpy as np
import pytest

from helpers import judges, latent, morphometry, style
from helpers.data import Dataset

ROWS = np.arange(28)[:, None] + 0.5
COLS = np.arange(28)[None, :] + 0.5


def class_position(c):
    return 7.0 + 1.5 * np.asarray(c, dtype=np.float64)


def render(codes: np.ndarray) -> np.ndarray:
    """Anti-aliased bars: thickness t, slant 10 * s degrees (leaning right), centre x, rows 5-23."""
    codes = np.asarray(codes, dtype=np.float64)
    t, s, x = (codes[:, k, None, None] for k in range(3))
    centre = x + np.tan(np.radians(10.0 * s)) * (14.0 - ROWS[None])  # leans right going up
    ink = np.clip(t / 2.0 + 0.5 - np.abs(COLS[None] - centre), 0.0, 1.0)
    ink *= ((ROWS >= 5) & (ROWS <= 23))[None]
    return ink.astype(np.float32)


class BarModel:
    """encode measures the bar (thickness, slant, ink centre); decode draws it."""

    latent_dim = 3

    def encode(self, x):
        x = np.asarray(x, dtype=np.float32).reshape(-1, 28, 28)
        m = morphometry.measure(x)
        ink = x.sum(axis=(1, 2))
        centre = (x * COLS[None]).sum(axis=(1, 2)) / ink
        return np.stack([m.thickness, m.slant / 10.0, centre], axis=1).astype(np.float32)

    def decode(self, z):
        return render(np.asarray(z))

    def sample(self, n, seed=None):
        rng = np.random.default_rng(seed)
        return render(np.stack([rng.uniform(1.5, 4), rng.uniform(-1.5, 1.5), class_position(rng.integers(0, 10, n))], 1))


class PositionJudge(judges.Judge):
    """Names the class from the ink's mean column (the class is where the bar stands)."""

    name = "position"

    def _proba(self, x):
        centre = (x * COLS[None]).sum(axis=(1, 2)) / np.maximum(x.sum(axis=(1, 2)), 1e-9)
        dist = np.abs(centre[:, None] - class_position(np.arange(10))[None])
        return judges.softmax(-8.0 * dist)


def bars(n_per_class: int, seed: int):
    rng = np.random.default_rng(seed)
    labels = np.repeat(np.arange(10), n_per_class)
    n = len(labels)
    codes = np.stack([rng.uniform(1.8, 3.6, n), rng.uniform(-1.2, 1.2, n), class_position(labels)], axis=1)
    return render(codes), labels


@pytest.fixture(scope="module")
def world():
    x_train, y_train = bars(30, 0)
    x_test, y_test = bars(3, 1)
    data = Dataset(x_train, y_train, x_test, y_test)
    space = latent.LatentSpace(BarModel(), x_train, y_train, name="bars")
    board = style.evaluate({"bars": space}, data, PositionJudge(), probe_digits=300, counterfactual_digits=100,
                           test_per_class=3, verbose=False)
    return space, board


def test_the_renderer_has_the_style_it_was_asked_for():
    x = render(np.array([[2.0, 0.0, 14.0], [4.0, 0.0, 14.0], [3.0, 1.5, 14.0]]))
    m = morphometry.measure(x)
    assert m.thickness[1] / m.thickness[0] == pytest.approx(2.0, rel=0.15)
    assert m.slant[2] == pytest.approx(15.0, abs=2.0)
    assert abs(m.slant[0]) < 1.0


def test_directions_point_along_the_code_axis_of_their_attribute(world):
    space, board = world
    axes = {"thickness": 0, "slant": 1}
    for attr, k in axes.items():
        dirs = board.directions["bars"][attr]
        for method in ("quantile", "probe", "counterfactual"):
            u = dirs.unit(method)
            assert abs(u[k]) > 0.9, (attr, method, u)
        # Nine class directions fill a 3-d code space: no room is left for a conditional direction.
        assert "whole 3-d" in dirs.missing["conditional"]


def test_dose_response_is_linear_and_one_sd_per_alpha_along_the_probe(world):
    _, board = world
    dose = board.doses["bars"]
    for attr in ("thickness", "slant"):
        assert dose.slope(attr, "probe") == pytest.approx(1.0, abs=0.25), attr
        assert dose.linearity(attr, "probe") > 0.95
        assert dose.change_at(attr, "probe", 1.0) == pytest.approx(1.0, abs=0.3)
        assert 0.6 < dose.alpha_reaching(attr, "probe", 1.0) < 1.4
        c = dose.curve(attr, "probe")
        assert c[dose.alpha_index(0.0)] == 0.0 and np.all(np.diff(c) > 0)


def test_class_is_kept_and_other_attributes_barely_move(world):
    _, board = world
    dose = board.doses["bars"]
    assert dose.kept0 == 1.0
    for attr in ("thickness", "slant"):
        assert dose.class_kept(attr, "probe", 1.0) == 1.0
    # Moving thickness leaves slant alone, and the other way round.
    m = dose.side_effects("probe", 1.0)
    t, s = style.COUNTED.index("thickness"), style.COUNTED.index("slant")
    assert m[style.MOVED.index("thickness"), s] < 0.15
    assert m[style.MOVED.index("slant"), t] < 0.3
    assert m[style.MOVED.index("thickness"), t] > 0.7
    # In a bar, width *is* thickness: the summary counts that coupling as entanglement, as it should.
    diag = [m[i, style.COUNTED.index(a)] for i, a in enumerate(style.MOVED)]
    off = [m[i, k] for i, a in enumerate(style.MOVED) for k, c in enumerate(style.COUNTED) if c != a]
    assert style.entanglement_summary(m) == pytest.approx(np.mean(off) / np.mean(diag))
    assert m[style.MOVED.index("thickness"), style.COUNTED.index("width")] > 0.7


def test_real_perturbations_move_their_own_attribute(world):
    _, board = world
    real = board.real
    for i, attr in enumerate(real.moved):
        assert real.main[i] > 0.3, attr
        assert real.per_sd[i, real.names.index(attr)] == pytest.approx(1.0, abs=0.2)
    # Shearing a bar leaves its thickness (nearly) alone.
    assert real.per_sd[real.moved.index("slant"), real.names.index("thickness")] < 0.3


def test_ground_truth_rows_and_verdict_follow_the_numbers(world):
    _, board = world
    rows = [r for r in board.truth if r["attribute"] == "thickness" and r["method"] == "probe"]
    assert len(rows) == 1
    row = rows[0]
    assert row["cosine with counterfactual"] > 0.9
    # Moving the code as far as the real thickening moved thickness lands nearer the thickened bar than not moving.
    assert row["pixel distance to real"] < row["not moving"]
    model, method = board.best()
    assert model == "bars"
    assert board.meets(model, method)["thickness"]["change"]
    text = "\n".join(board.verdict())
    assert f"Verdict: bars with the {method} direction" in text
    figures = style.benchmark_figures(board)
    assert figures["best model"] == "bars"
    assert figures["thickness best cosine with counterfactual"] > 0.9


def test_a_direction_that_moves_nothing_earns_no_goals():
    """Keeping the class and having no side effects count only where the attribute really moved."""
    alphas = style.DOSE_ALPHAS
    n, k = 4, len(morphometry.ATTRIBUTES)
    change = np.zeros((1, 1, n, len(alphas), k))
    dose = style.DoseResponse("still", ("thickness",), ("probe",), morphometry.ATTRIBUTES, alphas, change,
                              np.zeros((1, 1, n, 3), np.int64), style.JUDGED_ALPHAS, np.zeros(n, np.int64), 1.0, 0.0)
    real = style.RealChange(("thickness",), morphometry.ATTRIBUTES, np.array([1.0]), np.eye(k)[:1])
    board = style.StyleBoard(None, {}, {"still": dose}, real, [])
    met = board.meets("still", "probe", attributes=("thickness",))["thickness"]
    assert met == {"change": False, "class kept": False, "side effects": False}
    assert dose.class_kept("thickness", "probe") == 1.0  # it did keep the class, it just did nothing


def test_bad_inputs_are_refused(world):
    space, board = world
    with pytest.raises(ValueError, match="sign"):
        style.perturb("thickness", np.zeros((1, 28, 28), np.float32), 2)
    with pytest.raises(ValueError, match="attribute"):
        style.perturb("colour", np.zeros((1, 28, 28), np.float32))
    with pytest.raises(ValueError, match="images"):
        style.measure_table(np.zeros((2, 27, 28)))
    dose = board.doses["bars"]
    with pytest.raises(ValueError, match="not moved"):
        dose.curve("area", "probe")
    with pytest.raises(ValueError, match="method"):
        dose.curve("thickness", "pca")
    with pytest.raises(ValueError, match="grid"):
        dose.change_at("thickness", "probe", 0.25)
    x, y = bars(1, 3)
    with pytest.raises(ValueError, match="y"):
        style.dose_response(space, board.directions["bars"], x, y[:3], PositionJudge(), board.scale)


def test_findings_quote_the_board(world):
    _, board = world
    lines = board.findings()
    dose = board.doses["bars"]
    mean_probe = np.nanmean([dose.slope(a, "probe") for a in dose.moved])
    assert f"{mean_probe:.2f} SD along the probe direction" in lines[0]
    assert any("bars" in line and "R^2" in line for line in lines)
    assert any(line.startswith("All six goals") for line in lines)
    assert any(f"{dose.kept0:.0%}" in line for line in lines)


def test_principal_axes_are_labelled_by_what_they_move(world):
    space, board = world
    x, _ = bars(2, 5)
    rows = style.principal_axes(space, x, board.scale, k=3)
    assert [r["component"] for r in rows] == [1, 2, 3]
    # The widest code axis is the class position (7 to 20.5 px), which moves no counted attribute much;
    # the next two are slant (+-12 degrees = 1.2 code units) and thickness: each is named for its own attribute.
    labels = {r["moves most"] for r in rows[1:]}
    assert "slant" in labels
    for r in rows:
        assert abs(r["by (SD per component SD)"]) >= abs(r["by"])


def test_perturb_and_measure_table_refuse_an_array_sign_and_a_repeated_name(mnist):
    """Found by a bad-input sweep: numpy's 'truth value is ambiguous', and a silently doubled column."""
    x = mnist.x_test[:4]
    with pytest.raises(ValueError, match="sign must be"):
        style.perturb("thickness", x, np.array([1, 1]))
    with pytest.raises(ValueError, match="'thickness' is named twice"):
        style.measure_table(x, ["thickness", "thickness"])


def test_every_real_perturbation_has_a_label_in_its_own_units():
    """Notebook 07's table names each perturbation by what it does: a thickening is not 0.4 px."""
    assert set(style.PERTURBATION_LABELS) == set(style.PERTURBATION_SIZES)
    labels = {a: style.PERTURBATION_LABELS[a].format(style.PERTURBATION_SIZES[a]) for a in style.PERTURBATION_SIZES}
    assert labels["thickness"] == "thickened by 0.4 x its own thickness"
    assert "px" not in " ".join(labels.values())
