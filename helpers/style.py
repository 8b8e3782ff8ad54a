"""Moving real digits along style axes, measured: dose-response, class kept, entanglement, ground truth.

Introduced in notebook 07 ("Any axis"). The series' source claims that a
generative model can move a real sample along *any* axis (for faces: age,
hair colour). For digits the axes are style attributes measured from the
pixels (``helpers.morphometry``: thickness, slant, width, ...). No model was
trained with them, so each attribute direction is found after training
(``helpers.latent.attribute_directions``: four recipes), and this module
measures what moving along it does:

- **dose-response**: the change of the attribute on decode(z + alpha v) against
  decode(z), in standard deviations of the attribute over real training digits,
  for alpha from -2 to 2: slope, linearity (R^2) and the alpha that reaches +1 SD;
- **class kept**: the share of moved digits the judge still names as their class;
- **entanglement**: how much every *other* attribute moves meanwhile, next to
  the side effects of real thickening, shearing and stretching (the floor);
- **ground truth**: the cosine between each learned direction and the
  counterfactual one (where real perturbed digits land in code space), and the
  pixel distance between a moved digit and the real perturbed digit.

:func:`evaluate` runs all of it for a line-up of models and returns a
:class:`StyleBoard`; notebook 07 and ``python -m benchmarks`` both call it.
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

import numpy as np

from . import checks as ck
from . import config, morphometry
from .checks import checked, ref
from .data import Dataset, as_dataset
from .judges import Judge, as_judge
from .latent import DIRECTION_METHODS, AttributeDirections, LatentSpace

#: The attributes moved in notebook 07.
MOVED = ("thickness", "slant", "width")
#: The attributes whose side effects count as entanglement. Area follows from length x thickness,
#: so it is reported but left out of the count.
COUNTED = ("thickness", "slant", "width", "height", "length")
#: The alpha grid of the dose-response curves (alpha = 1 is +1 SD as predicted by the probe).
DOSE_ALPHAS = np.array([-2.0, -1.0, 0.0, 0.5, 1.0, 2.0])
#: Where the judge is asked whether the class survived.
JUDGED_ALPHAS = (0.0, 1.0, 2.0)

#: The real perturbations behind the counterfactual directions: attribute -> (name, down, up).
#: Thickening/thinning are Morpho-MNIST's global perturbations; a shear moves slant; a
#: horizontal stretch moves width. Each pair is symmetric, so up(x) - down(x) is a central difference.
#: Sizes chosen to move their attribute by about one SD of MNIST's training digits (measured on 300 test
#: digits: a disc of 0.4 x half the digit's own thickness, +1.09 SD; a 16-degree shear, +1.01 SD; a 1.35x
#: horizontal stretch, +1.00 SD).
PERTURBATION_SIZES = {"thickness": 0.4, "slant": 16.0, "width": 1.35}
#: What each real perturbation does, in its own units (notebook 07's table): the sizes are not all pixels.
PERTURBATION_LABELS = {"thickness": "thickened by {:g} x its own thickness", "slant": "sheared by {:g} degrees",
                       "width": "stretched {:g} x as wide"}


# --- argument specs of this module (helpers.checks): each names the argument and what to pass ------------
def _instance(value, *, name, cls, example: str):
    if not isinstance(value, cls):
        raise TypeError(f"{name}: expected a {cls.__name__} ({example}), got {type(value).__name__}.")
    return value


def _space(space, *, name="space") -> LatentSpace:
    return _instance(space, name=name, cls=LatentSpace, example="helpers.latent.LatentSpace(model, x_train, y_train)")


def _scale(scale, *, name="scale") -> "StyleScale":
    return _instance(scale, name=name, cls=StyleScale,
                     example="style.StyleScale.from_table(style.measure_table(x_train))")


def _attributes(names, *, name, known: Sequence[str] = morphometry.ATTRIBUTES) -> tuple[str, ...]:
    """A non-empty list of attribute names, each one of ``known``."""
    if isinstance(names, str) or not isinstance(names, (Sequence, np.ndarray)):
        raise TypeError(f"{name}: expected a list of attribute names such as {list(known[:2])}, got {names!r}.")
    names = tuple(names)
    if not names:
        raise ValueError(f"{name}: pass at least one attribute name, from {list(known)}.")
    unknown = [n for n in names if not isinstance(n, str) or n not in known]
    if unknown:
        raise ValueError(f"{name}: unknown attribute {unknown[0]!r}; use names from {list(known)}.")
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise ValueError(f"{name}: {repeated[0]!r} is named twice; name each attribute once.")
    return names


def _directions(directions, *, name="directions") -> dict[str, AttributeDirections]:
    """{attribute: AttributeDirections}, non-empty, as :func:`style_directions` returns."""
    if not isinstance(directions, Mapping):
        raise TypeError(f"{name}: expected a dict of attribute -> AttributeDirections (style.style_directions), "
                        f"got {type(directions).__name__}.")
    if not directions:
        raise ValueError(f"{name}: the dict is empty; pass the directions of at least one attribute.")
    for attr, dirs in directions.items():
        _instance(dirs, name=f"{name}[{attr!r}]", cls=AttributeDirections, example="latent.attribute_directions(...)")
    return dict(directions)


def _index(index, *, name="index", n: int) -> np.ndarray:
    """Integer positions into ``n`` training codes (a boolean mask of length n also works)."""
    arr = np.asarray(index) if not isinstance(index, (str, bytes)) else np.asarray([index])
    if arr.dtype == bool and arr.shape == (n,):
        return np.flatnonzero(arr)
    if arr.ndim != 1 or arr.dtype.kind not in "iu":
        raise TypeError(f"{name}: expected integer positions of training codes (1-D), got {index!r:.60}.")
    if arr.size == 0:
        raise ValueError(f"{name}: no training codes picked; pass at least one position.")
    if arr.min() < -n or arr.max() >= n:
        raise ValueError(f"{name}: positions must lie in 0..{n - 1} (there are {n} training codes), got "
                         f"{int(arr.min())}..{int(arr.max())}.")
    return arr


def _n_train_codes(space):
    return len(space.train_codes)


def _perturbed_attribute(attribute, *, name):
    if not isinstance(attribute, str) or attribute not in PERTURBATION_SIZES:
        raise ValueError(f"attribute: no real perturbation for {attribute!r}; use one of {sorted(PERTURBATION_SIZES)}.")
    return attribute


def _sign(sign, *, name):
    if isinstance(sign, (bool, np.bool_)) or not isinstance(sign, (int, float, np.integer, np.floating)) \
            or sign not in (1, -1):
        raise ValueError(f"sign must be +1 (more) or -1 (less), got {sign!r}.")
    return sign


def _image_stack(images, *, name):
    """Images of any leading shape (..., 28, 28), checked, as float32 of the same shape."""
    if isinstance(images, (str, bytes)) or images is None:
        raise TypeError(f"images: expected float images in [0, 1] of shape (..., 28, 28), got {images!r}.")
    try:
        shape = np.shape(images)
    except ValueError:  # a ragged list
        raise ValueError("images: expected float images in [0, 1] of shape (..., 28, 28), got a ragged list.") \
            from None
    if len(shape) < 3 or shape[-2:] != (28, 28):
        raise ValueError(f"images: expected shape (..., 28, 28), got {shape}.")
    images = np.asarray(images)
    return ck.check_images(images.reshape(-1, 28, 28), name="images").reshape(images.shape)


def _measured_table(table, *, name, names):
    """Attributes of real digits (N, len(names)): finite or NaN, at least 2 full rows, each column varying."""
    table = ck.check_numbers(table, name=name, ndim=2, finite=False,
                             what=f"attributes of real digits (N, {len(names)}) from style.measure_table")
    if table.shape[1] != len(names):
        raise ValueError(f"table: {table.shape[1]} columns for {len(names)} names; pass "
                         f"style.measure_table(x, names) for the same names.")
    if np.isinf(table).any():
        raise ValueError("table: contains infinite values; measured attributes are finite (NaN for blank images).")
    finite_rows = np.isfinite(table).all(axis=1).sum()
    if finite_rows < 2:
        raise ValueError(f"table: {finite_rows} fully measured digits; the scale needs at least 2 (pass more "
                         "real digits).")
    with np.errstate(over="ignore", invalid="ignore"):
        sd = np.nanstd(table, axis=0)  # overflows to inf beyond about 1e154: every change would read 0 SDs
    if not np.all(np.isfinite(sd)):
        huge = [n for n, v in zip(names, sd) if not np.isfinite(v)]
        raise ValueError(f"table: attribute(s) {huge} are too large for their SD to be computed in floating point "
                         f"(values up to {np.nanmax(np.abs(table)):.3g}); pass style.measure_table(x, names) of "
                         "real digits.")
    if not np.all(sd > 0):
        flat = [n for n, v in zip(names, sd) if not v > 0]
        raise ValueError(f"table: attribute(s) {flat} do not vary over these digits, so they have no SD to "
                         "measure changes in; pass more varied real digits.")
    return table


def _one_of_names(attribute, *, name, names, what: str = "measured are"):
    if not isinstance(attribute, str) or attribute not in names:
        raise ValueError(f"unknown attribute {attribute!r}; {what} {list(names)}.")
    return attribute


def _changes(change, *, name, names):
    change = ck.check_numbers(change, name=name, finite=False, what=f"changes of every attribute (..., {len(names)})")
    if change.ndim == 0 or change.shape[-1] != len(names):
        raise ValueError(f"change: expected a last axis of {len(names)} attributes {list(names)}, "
                         f"got shape {change.shape}.")
    return change


def _names(owner):
    return owner.names


def _digits(x, *, name, what: str = "perturb"):
    """At least one image."""
    x = ck.check_images(x, name=name)
    if len(x) == 0:
        raise ValueError(f"x: no digits to {what}; pass at least one image.")
    return x


def _train_values(train_values, *, name, index, scale):
    train_values = ck.check_numbers(train_values, name=name, ndim=2, finite=False,
                                    what=f"attributes of the training digits (len(index), {len(scale.names)})")
    if train_values.shape != (len(index), len(scale.names)):
        raise ValueError(f"train_values: expected the attributes of the {len(index)} indexed training digits, shape "
                         f"({len(index)}, {len(scale.names)}), got {train_values.shape}.")
    return train_values


def _pairs(pairs, *, name, scale):
    """{attribute: (less, more)} of measured attributes, as :func:`counterfactual_pairs` returns."""
    if not isinstance(pairs, Mapping) or not pairs:
        raise TypeError(f"pairs: expected a non-empty dict of attribute -> (less, more) images, as "
                        f"style.counterfactual_pairs returns, got {pairs!r:.60}.")
    for attr, pair in pairs.items():
        scale.index(attr)
        if not (isinstance(pair, (tuple, list)) and len(pair) == 2):
            raise TypeError(f"pairs[{attr!r}]: expected a (less, more) pair of image batches, got "
                            f"{type(pair).__name__}.")
    return pairs


def _moved_attribute(attribute, *, name, moved):
    if not isinstance(attribute, str) or attribute not in moved:
        raise ValueError(f"attribute {attribute!r} was not moved; moved were {list(moved)}.")
    return attribute


def _method(method, *, name, methods):
    if not isinstance(method, str) or method not in methods:
        raise ValueError(f"unknown method {method!r}; use one of {list(methods)}.")
    return method


def _measured_of(of, *, name, names, attribute):
    """The attribute whose change is read (None: the moved one)."""
    of = attribute if of is None else of
    if not isinstance(of, str) or of not in names:
        raise ValueError(f"{name}: unknown attribute {of!r}; measured are {list(names)}.")
    return of


def _grid_alpha(alpha, *, name, alphas):
    alpha = ck.check_number(alpha, name=name)
    if not np.any(np.isclose(alphas, alpha)):
        raise ValueError(f"alpha {alpha} is not on the grid {alphas.tolist()}.")
    return alpha


def _judged_alpha(alpha, *, name, judged_alphas):
    alpha = ck.check_number(alpha, name=name)
    if not np.any(np.isclose(judged_alphas, alpha)):
        raise ValueError(f"alpha {alpha} was not judged; the judged alphas are {list(judged_alphas)}.")
    return alpha


def _moved(dose):
    return dose.moved


def _methods(dose):
    return dose.methods


def _alphas(dose):
    return dose.alphas


def _entanglement(matrix, *, name, moved, counted):
    matrix = ck.check_numbers(matrix, name=name, ndim=2, finite=False,
                              what=f"an entanglement matrix ({len(moved)}, {len(counted)}) from "
                                   "DoseResponse.side_effects")
    if matrix.shape != (len(moved), len(counted)):
        raise ValueError(f"matrix: expected shape ({len(moved)}, {len(counted)}) for moved {list(moved)} and counted "
                         f"{list(counted)}, got {matrix.shape}.")
    return matrix


def _judge(judge, *, name):
    return as_judge(judge, name=name)


def _dose_alphas(alphas, *, name):
    alphas = ck.check_numbers(alphas, name=name, what="a 1-D grid of alphas containing 0")
    if alphas.ndim != 1 or not np.any(np.isclose(alphas, 0.0)):
        raise ValueError(f"alphas must be a 1-D grid containing 0, got {alphas}.")
    return alphas


def _direction_methods(methods, *, name, directions, scale, space):
    """Direction methods that every attribute's directions have, each of the space's code size."""
    if isinstance(methods, str) or not isinstance(methods, (Sequence, np.ndarray)) or not len(methods):
        raise TypeError(f"methods: expected a non-empty list of direction methods from {list(DIRECTION_METHODS)}, "
                        f"got {methods!r}.")
    for attr, dirs in directions.items():
        scale.index(attr)
        for m in methods:
            if dirs.vector(m).shape != (space.latent_dim,):
                raise ValueError(f"directions[{attr!r}]: {m} vector has shape {dirs.vector(m).shape}, not the "
                                 f"code size ({space.latent_dim},) of {space.name}; find them in this space.")
    return methods


def _judged_alphas(judged_alphas, *, name, alphas):
    judged_alphas = tuple(float(a) for a in np.atleast_1d(
        ck.check_numbers(judged_alphas, name=name, ndim=(0, 1), what="alphas on the alpha grid")))
    if not all(np.any(np.isclose(alphas, a)) for a in judged_alphas):
        raise ValueError(f"judged_alphas {judged_alphas} must lie on the alpha grid {alphas.tolist()}.")
    return judged_alphas


def _labelling_attributes(counted, *, name, known):
    counted = _attributes(counted, name=name, known=known)
    if len(counted) < 2:
        raise ValueError(f"counted: each direction is labelled by its two largest effects; pass at least two "
                         f"attributes, got {list(counted)}.")
    return counted


def _perturbed_digits(x, *, name, dose, directions, perturbed, real):
    """The digits of a ground truth: one real perturbed digit per digit for every attribute ``dose`` moved."""
    x = ck.check_images(x, name=name)
    for attr in dose.moved:
        for what, known in (("directions", directions), ("perturbed", perturbed), ("real.moved", real.moved)):
            if attr not in known:
                raise ValueError(f"{what}: no entry for {attr!r}, which dose moved; pass the directions, dose and "
                                 "real changes of the same attributes.")
        if np.shape(perturbed[attr]) != x.shape:
            raise ValueError(f"perturbed[{attr!r}]: shape {np.shape(perturbed[attr])}, expected {x.shape}: one "
                             "perturbed digit per digit in x (style.real_changes(x, scale)).")
    if real.moved != dose.moved:
        raise ValueError(f"real: perturbed {list(real.moved)}, but dose moved {list(dose.moved)}; pass "
                         "style.real_changes(x, scale, dose.moved).")
    return x


def _mapping(value, *, name, what: str):
    if not isinstance(value, Mapping):
        raise TypeError(f"{name}: expected a dict of {what}, got {type(value).__name__}.")
    return value


def _board_model(model, *, name, doses):
    if not isinstance(model, str) or model not in doses:
        raise ValueError(f"model: unknown model {model!r}; the board holds {list(doses)}.")
    return model


def _doses(board):
    return board.doses


def _board_attributes(attributes, *, name, board, model):
    return _attributes(attributes, name=name, known=board.doses[model].moved)


def _perturbed_by(attribute, *, name, moved):
    if not isinstance(attribute, str) or attribute not in moved:
        raise ValueError(f"attribute {attribute!r} was not perturbed; perturbed were {list(moved)}.")
    return attribute


def _board_attribute(attribute, *, name, directions, model):
    if not isinstance(attribute, str) or attribute not in directions.get(model, {}):
        raise ValueError(f"attribute: {attribute!r} has no directions in {model}; it has "
                         f"{list(directions.get(model, {}))}.")
    return attribute


def _spaces(spaces, *, name):
    if not isinstance(spaces, Mapping) or not spaces:
        raise TypeError(f"spaces: expected a non-empty dict of name -> LatentSpace, got {spaces!r:.60}.")
    for key, space in spaces.items():
        _space(space, name=f"spaces[{key!r}]")
    return spaces


def _digit_count(n, *, name, minimum: int, setting: str):
    """A count of digits (None: this mode's setting)."""
    n = ck.check_count(n, name=name, minimum=minimum, allow_none=True)
    return int(n or getattr(config.SETTINGS, setting))


def _test_per_class(per_class, *, name, data):
    """Test digits per class (None: this mode's setting), which every class must have."""
    per_class = _digit_count(per_class, name=name, minimum=1, setting="style_test_per_class")
    if any(np.sum(data.y_test == c) < per_class for c in range(10)):
        raise ValueError(f"fewer than {per_class} digits in some class; pass a smaller per_class.")
    return per_class


def _probe_table(train_values, *, name, data, probe_digits):
    """The attributes of the first probe_digits training digits (None: measured here)."""
    if train_values is None:
        return None
    n = min(probe_digits, len(data.x_train))
    train_values = ck.check_numbers(train_values, name=name, finite=False,
                                    what="the attributes of the first probe_digits training digits "
                                         "(style.measure_table)")
    if train_values.shape != (n, len(morphometry.ATTRIBUTES)):
        raise ValueError(f"train_values: expected the attributes of the first {n} training digits, "
                         f"shape ({n}, {len(morphometry.ATTRIBUTES)}), got {train_values.shape}.")
    return train_values


#: The (attribute, method) pair of a DoseResponse method: a moved attribute and one of its methods.
_DOSE_PAIR = dict(attribute=ck.using(_moved_attribute, moved=ref("self", _moved)),
                  method=ck.using(_method, methods=ref("self", _methods)))


def _perturb(attribute: str, images: np.ndarray, sign: int) -> np.ndarray:
    """Checked images changed along a checked attribute (sign +1 or -1)."""
    size = PERTURBATION_SIZES[attribute]
    if attribute == "thickness":
        return morphometry.thicken(images, size) if sign > 0 else morphometry.thin(images, size)
    if attribute == "slant":
        return morphometry.shear(images, sign * size)
    if attribute == "width":
        return morphometry.stretch(images, size if sign > 0 else 1.0 / size)
    raise AssertionError(f"PERTURBATION_SIZES names {attribute!r} but _perturb does not handle it")


@checked(sign=ck.using(_sign), images=ck.images(), attribute=ck.using(_perturbed_attribute))
def perturb(attribute: str, images, sign: int = 1) -> np.ndarray:
    """Real digits changed along one attribute: thickened/thinned, sheared, stretched/squeezed (sign +1/-1)."""
    return _perturb(attribute, images, sign)


@checked(names=ck.using(_attributes), images=ck.using(_image_stack))
def measure_table(images, names: Sequence[str] = morphometry.ATTRIBUTES) -> np.ndarray:
    """Attributes of many images as one float64 array (..., len(names)); NaN for blank images.

    Images may have any leading shape (..., 28, 28). Blank images are expected
    here (a digit thinned away at alpha = -2), so their warning is not repeated:
    count the NaN rows instead.
    """
    lead, flat = images.shape[:-2], images.reshape(-1, 28, 28)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        table = morphometry.measure(flat).table(tuple(names))
    return table.reshape(*lead, len(names))


@dataclass(frozen=True)
class StyleScale:
    """Mean and standard deviation of each attribute over real training digits: the unit of every change."""

    names: tuple[str, ...]
    mean: np.ndarray
    sd: np.ndarray

    @classmethod
    @checked(names=ck.using(_attributes), table=ck.using(_measured_table, names=ref("names")))
    def from_table(cls, table: np.ndarray, names: Sequence[str] = morphometry.ATTRIBUTES) -> "StyleScale":
        """From :func:`measure_table` of real training digits: (N, len(names)), NaN rows for blank images."""
        return cls(names, np.nanmean(table, axis=0), np.nanstd(table, axis=0))

    @checked(name=ck.using(_one_of_names, names=ref("self", _names)))
    def index(self, name: str) -> int:
        return self.names.index(name)

    @checked(change=ck.using(_changes, names=ref("self", _names)))
    def in_sd(self, change: np.ndarray) -> np.ndarray:
        """A change of every attribute (..., len(names)) in units of that attribute's SD."""
        return change / self.sd


@checked(x=ck.using(_digits), attributes=ck.using(_attributes, known=tuple(PERTURBATION_SIZES)))
def counterfactual_pairs(x, attributes: Sequence[str] = MOVED) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Real digits perturbed down and up along each attribute: {attribute: (less, more)}.

    Computed once and shared by every model: where each model encodes these
    pairs is its counterfactual direction.
    """
    return {attr: (perturb(attr, x, -1), perturb(attr, x, +1)) for attr in attributes}


@checked(space=ck.using(_space), scale=ck.using(_scale), index=ck.using(_index, n=ref("space", _n_train_codes)),
         train_values=ck.using(_train_values, index=ref("index"), scale=ref("scale")),
         pairs=ck.using(_pairs, scale=ref("scale")))
def style_directions(space: LatentSpace, train_values: np.ndarray, index: np.ndarray,
                     pairs: Mapping[str, tuple[np.ndarray, np.ndarray]], scale: StyleScale
                     ) -> dict[str, AttributeDirections]:
    """The four directions of each attribute in ``pairs`` in one model's code space.

    ``train_values`` (n, len(scale.names)) are the attributes of the training
    digits ``space.train_codes[index]``; ``pairs`` (:func:`counterfactual_pairs`)
    are real training digits perturbed both ways, for the counterfactual direction.
    """
    out = {}
    for attr, (less, more) in pairs.items():
        out[attr] = space.attribute_directions(attr, train_values[:, scale.index(attr)], index=index,
                                               counterfactual=space.code_shift(less, more))
    return out


@dataclass
class DoseResponse:
    """What moving held-out digits along each direction of each attribute did, for one model.

    ``change[i, j]`` is (n, A, k): for attribute ``moved[i]`` and method
    ``methods[j]``, the n digits at each alpha, the change of all k measured
    attributes against the alpha = 0 reconstruction, in SDs (NaN where the
    direction is missing or the image came out blank). ``judged[i, j]`` is
    (n, len(judged_alphas)) judged classes; ``kept0`` the share of
    reconstructions judged as their label (the ceiling).
    """

    model: str
    moved: tuple[str, ...]
    methods: tuple[str, ...]
    names: tuple[str, ...]
    alphas: np.ndarray
    change: np.ndarray
    judged: np.ndarray
    judged_alphas: tuple[float, ...]
    labels: np.ndarray
    kept0: float
    blank: float

    def _ij(self, attribute: str, method: str) -> tuple[int, int]:
        return self.moved.index(attribute), self.methods.index(method)

    @checked(**_DOSE_PAIR)
    def available(self, attribute: str, method: str) -> bool:
        i, j = self._ij(attribute, method)
        return bool(np.isfinite(self.change[i, j]).any())

    @checked(**_DOSE_PAIR, of=ck.using(_measured_of, names=ref("self", _names), attribute=ref("attribute")))
    def curve(self, attribute: str, method: str, of: str | None = None) -> np.ndarray:
        """Mean change of attribute ``of`` (default: the moved one) at each alpha, in SDs: (A,)."""
        i, j = self._ij(attribute, method)
        k = self.names.index(of)
        values = self.change[i, j, :, :, k]
        if not np.isfinite(values).any():
            return np.full(len(self.alphas), np.nan)
        return np.nanmean(values, axis=0)

    def slope(self, attribute: str, method: str) -> float:
        """Least-squares slope of the mean curve, in SDs per unit alpha (1 is what the probe promised)."""
        c = self.curve(attribute, method)
        if not np.all(np.isfinite(c)):
            return float("nan")
        return float(np.polyfit(self.alphas, c, 1)[0])

    def linearity(self, attribute: str, method: str) -> float:
        """R^2 of a straight line through the mean curve."""
        c = self.curve(attribute, method)
        if not np.all(np.isfinite(c)) or np.var(c) == 0:
            return float("nan")
        fit = np.polyval(np.polyfit(self.alphas, c, 1), self.alphas)
        return float(1.0 - np.sum((c - fit) ** 2) / np.sum((c - c.mean()) ** 2))

    def change_at(self, attribute: str, method: str, alpha: float = 1.0, of: str | None = None) -> float:
        c = self.curve(attribute, method, of)
        return float(c[self.alpha_index(alpha)])

    @checked(alpha=ck.using(_grid_alpha, alphas=ref("self", _alphas)))
    def alpha_index(self, alpha: float) -> int:
        return int(np.flatnonzero(np.isclose(self.alphas, alpha))[0])

    @checked(target=ck.number())
    def alpha_reaching(self, attribute: str, method: str, target: float = 1.0) -> float:
        """The alpha >= 0 where the mean change first reaches ``target`` SDs (linear between grid points; inf if never)."""
        c = self.curve(attribute, method)
        keep = self.alphas >= 0
        a, c = self.alphas[keep], c[keep]
        if not np.all(np.isfinite(c)):
            return float("nan")
        above = np.flatnonzero(c >= target)
        if above.size == 0:
            return float("inf")
        k = int(above[0])
        if k == 0:
            return float(a[0])
        return float(a[k - 1] + (target - c[k - 1]) / (c[k] - c[k - 1]) * (a[k] - a[k - 1]))

    @checked(**_DOSE_PAIR, alpha=ck.using(_judged_alpha, judged_alphas=ref("self", lambda dose: dose.judged_alphas)))
    def class_kept(self, attribute: str, method: str, alpha: float = 1.0) -> float:
        """Share of moved digits the judge names as their own class at ``alpha``."""
        i, j = self._ij(attribute, method)
        if not self.available(attribute, method):
            return float("nan")
        col = list(np.isclose(self.judged_alphas, alpha)).index(True)
        return float(np.mean(self.judged[i, j, :, col] == self.labels))

    @checked(alpha=ck.using(_grid_alpha, alphas=ref("self", _alphas)),
             method=ck.using(_method, methods=ref("self", _methods)),
             counted=ck.using(_attributes, known=ref("self", _names)))
    def side_effects(self, method: str, alpha: float = 1.0, counted: Sequence[str] = COUNTED) -> np.ndarray:
        """Entanglement matrix (len(moved), len(counted)): mean |change| of each counted attribute, in SDs."""
        a = self.alpha_index(alpha)
        out = np.full((len(self.moved), len(counted)), np.nan)
        for i, attr in enumerate(self.moved):
            j = self.methods.index(method)
            if not self.available(attr, method):
                continue
            for k, other in enumerate(counted):
                out[i, k] = np.nanmean(np.abs(self.change[i, j, :, a, self.names.index(other)]))
        return out

    @checked(**_DOSE_PAIR)
    def side_effect(self, attribute: str, method: str, alpha: float = 1.0, counted: Sequence[str] = COUNTED) -> float:
        """Mean |change| of the *other* counted attributes when ``attribute`` is moved, in SDs."""
        row = self.side_effects(method, alpha, counted)[self.moved.index(attribute)]
        others = [k for k, n in enumerate(counted) if n != attribute]
        return float(np.mean(row[others]))


@checked(moved=ck.using(_attributes), counted=ck.using(_attributes),
         matrix=ck.using(_entanglement, moved=ref("moved"), counted=ref("counted")))
def entanglement_summary(matrix: np.ndarray, moved: Sequence[str] = MOVED, counted: Sequence[str] = COUNTED) -> float:
    """One number per matrix: the mean off-diagonal entry over the mean diagonal entry."""
    diag = np.array([matrix[i, list(counted).index(a)] for i, a in enumerate(moved) if a in counted])
    off = np.array([matrix[i, k] for i, a in enumerate(moved) for k, c in enumerate(counted) if c != a])
    if not (np.isfinite(diag).any() and np.isfinite(off).any()):
        return float("nan")  # no direction of this method in this space
    return float(np.nanmean(off) / np.nanmean(diag))


@checked(space=ck.using(_space), scale=ck.using(_scale), directions=ck.using(_directions), judge=ck.using(_judge),
         x=ck.using(_digits, what="move"), y=ck.labels(n=ref("x", len)), alphas=ck.using(_dose_alphas),
         methods=ck.using(_direction_methods, directions=ref("directions"), scale=ref("scale"), space=ref("space")),
         judged_alphas=ck.using(_judged_alphas, alphas=ref("alphas")))
def dose_response(space: LatentSpace, directions: dict[str, AttributeDirections], x, y, judge: Judge,
                  scale: StyleScale, alphas=DOSE_ALPHAS, methods: Sequence[str] = DIRECTION_METHODS,
                  judged_alphas: Sequence[float] = JUDGED_ALPHAS) -> DoseResponse:
    """Move every digit along every direction of every attribute; measure and judge the results.

    One encode, one decode of all moved codes and one measurement call for the
    whole model (``helpers.morphometry`` tiles them), and one judge call on the
    alphas in ``judged_alphas``.
    """
    moved, methods = tuple(directions), tuple(methods)
    z = space.encode(x).astype(np.float32)
    n, d, A = len(x), z.shape[1], len(alphas)
    vectors = np.stack([[directions[a].vector(m) for m in methods] for a in moved])  # (P, M, d)
    ok = np.all(np.isfinite(vectors), axis=-1)
    nonzero = ~np.isclose(alphas, 0.0)
    steps = (alphas[None, nonzero, None] * vectors[ok][:, None, :]).astype(np.float32)  # (P_ok, A-1, d)
    # float32 throughout: for wide codes (notebook 09's h-space) a float64 copy of every move is 0.1 GB
    picked = z[None, :, None, :] + steps[:, None, :, :]  # (P_ok, n, A-1, d)
    base = space.decode(z)
    moved_images = space.decode(picked.reshape(-1, d)).reshape(*picked.shape[:-1], 28, 28)
    base_table = measure_table(base, scale.names)
    table = measure_table(moved_images, scale.names)  # (P_ok, n, A-1, k)
    k = len(scale.names)
    change = np.full((len(moved), len(methods), n, A, k), np.nan)
    full = np.zeros((len(picked), n, A, k))
    full[:, :, nonzero] = scale.in_sd(table - base_table[None, :, None, :])
    change[ok] = full
    blank = float(np.mean(np.isnan(table).any(axis=-1))) if table.size else 0.0
    # The judge: reconstructions once, moved digits at the judged alphas.
    judged = np.full((len(moved), len(methods), n, len(judged_alphas)), -1, dtype=np.int64)
    base_class = judge.predict(base)
    cols = [int(np.flatnonzero(np.isclose(alphas[nonzero], a))[0]) if not np.isclose(a, 0.0) else None
            for a in judged_alphas]
    wanted = [c for c in cols if c is not None]
    if wanted and len(picked):
        verdicts = judge.predict(moved_images[:, :, wanted])  # (P_ok, n, W)
    out = np.empty((len(picked), n, len(judged_alphas)), dtype=np.int64)
    w = 0
    for col_index, c in enumerate(cols):
        if c is None:
            out[:, :, col_index] = base_class[None]
        else:
            out[:, :, col_index] = verdicts[:, :, w]
            w += 1
    judged[ok] = out
    return DoseResponse(space.name, moved, methods, tuple(scale.names), alphas, change, judged, judged_alphas,
                        y, float(np.mean(base_class == y)), blank)


@checked(space=ck.using(_space), scale=ck.using(_scale),
         counted=ck.using(_labelling_attributes, known=ref("scale", _names)),
         index=ck.optional(ck.using(_index, n=ref("space", _n_train_codes))), x=ck.using(_digits, what="move"))
def principal_axes(space: LatentSpace, x, scale: StyleScale, k: int = 5, counted: Sequence[str] = COUNTED,
                   index=None) -> list[dict[str, Any]]:
    """The top ``k`` principal directions of the training codes (GANSpace), each labelled by what it moves.

    Every held-out digit in ``x`` is moved one standard deviation of the
    principal component up and down; the mean change of each counted
    attribute (half the difference, in the attribute's SDs per component SD)
    says what the direction does, and the largest names it. ``index`` picks
    the training codes (default: all). Directions found with no attribute in
    mind, so the labels are a finding, not a choice.
    """
    from .latent import principal_directions

    codes = space.train_codes if index is None else space.train_codes[index]
    axes, sds = principal_directions(codes, k)
    z = space.encode(x).astype(np.float64)
    moved = z[None, None] + np.array([-1.0, 1.0])[None, :, None, None] * (sds[:, None] * axes)[:, None, None, :]
    images = space.decode(moved.reshape(-1, z.shape[1]).astype(np.float32)).reshape(k, 2, len(x), 28, 28)
    table = measure_table(images, scale.names)  # (k, 2, n, attrs)
    change = np.nanmean(scale.in_sd(table[:, 1] - table[:, 0]) / 2.0, axis=1)  # (k, attrs)
    rows = []
    for i in range(k):
        effects = {c: float(change[i, scale.index(c)]) for c in counted}
        ranked = sorted(effects, key=lambda c: -abs(effects[c]))
        rows.append({"model": space.name, "component": i + 1, "moves most": ranked[0],
                     "by (SD per component SD)": effects[ranked[0]], "then": ranked[1],
                     "by": effects[ranked[1]], **{f"{c}": effects[c] for c in counted}})
    return rows


@dataclass
class RealChange:
    """Real digits perturbed along each attribute: the change of every attribute per 1 SD of the moved one.

    ``per_sd[i]`` is (k,): mean |change| of each measured attribute when
    attribute ``moved[i]`` is perturbed, divided by the mean change of the
    moved attribute itself (both in SDs), so the moved entry is 1 and the rest
    are the perturbation's own side effects at a +1 SD change: the floor for
    the models' entanglement. ``main[i]`` is the mean change of the moved
    attribute itself, in SDs.
    """

    moved: tuple[str, ...]
    names: tuple[str, ...]
    main: np.ndarray
    per_sd: np.ndarray

    @checked(counted=ck.using(_attributes, known=ref("self", _names)))
    def side_effects(self, counted: Sequence[str] = COUNTED) -> np.ndarray:
        return np.stack([[self.per_sd[i, self.names.index(c)] for c in counted] for i in range(len(self.moved))])

    @checked(attribute=ck.using(_perturbed_by, moved=ref("self", _moved)))
    def side_effect(self, attribute: str, counted: Sequence[str] = COUNTED) -> float:
        row = self.side_effects(counted)[self.moved.index(attribute)]
        return float(np.mean([v for v, c in zip(row, counted) if c != attribute]))


@checked(x=ck.using(_digits), scale=ck.using(_scale), moved=ck.using(_attributes, known=tuple(PERTURBATION_SIZES)))
def real_changes(x, scale: StyleScale, moved: Sequence[str] = MOVED) -> tuple[RealChange, dict[str, np.ndarray]]:
    """Perturb real digits up along each attribute and measure every attribute; also returns the perturbed digits."""
    before = measure_table(x, scale.names)
    mains, rows, perturbed = [], [], {}
    for attr in moved:
        up = perturb(attr, x, +1)
        perturbed[attr] = up
        delta = scale.in_sd(measure_table(up, scale.names) - before)
        main = float(np.nanmean(delta[:, scale.index(attr)]))
        mains.append(main)
        rows.append(np.nanmean(np.abs(delta), axis=0) / abs(main))
    return RealChange(tuple(moved), tuple(scale.names), np.array(mains), np.stack(rows)), perturbed


@checked(space=ck.using(_space), directions=ck.using(_directions),
         dose=ck.using(_instance, cls=DoseResponse, example="style.dose_response(...)"),
         real=ck.using(_instance, cls=RealChange, example="the first result of style.real_changes(x, scale)"),
         perturbed=ck.using(_mapping, what="attribute -> perturbed digits (the second result of style.real_changes)"),
         x=ck.using(_perturbed_digits, dose=ref("dose"), directions=ref("directions"), perturbed=ref("perturbed"),
                    real=ref("real")))
def ground_truth(space: LatentSpace, directions: dict[str, AttributeDirections], dose: DoseResponse, x,
                 real: RealChange, perturbed: dict[str, np.ndarray]) -> list[dict[str, Any]]:
    """Per attribute and learned method: cosine with the counterfactual direction, and pixel distances.

    The moved digit is decode(z + alpha* v) with alpha* the alpha at which the
    model's dose-response predicts the real perturbation's mean change; it is
    compared (mean absolute pixel difference) with the real perturbed digit,
    next to two references: not moving at all (the plain reconstruction
    against the perturbed digit) and the model's reconstruction error of the
    perturbed digit itself (the best a code can do).
    """
    z = space.encode(x).astype(np.float64)
    rows = []
    for i, attr in enumerate(dose.moved):
        target = perturbed[attr]
        recon = space.decode(z.astype(np.float32))
        floor = float(np.abs(space.decode(space.encode(target)) - target).mean())
        still = float(np.abs(recon - target).mean())
        for method in dose.methods:
            slope = dose.slope(attr, method)
            row = {"model": space.name, "attribute": attr, "method": method,
                   "cosine with counterfactual": directions[attr].cosine(method, "counterfactual")}
            if np.isfinite(slope) and slope > 0:
                alpha_star = float(real.main[i] / slope)
                moved = space.decode((z + alpha_star * directions[attr].vector(method)).astype(np.float32))
                row.update({"alpha*": alpha_star, "pixel distance to real": float(np.abs(moved - target).mean())})
            else:
                row.update({"alpha*": float("nan"), "pixel distance to real": float("nan")})
            row.update({"not moving": still, "reconstruction of real": floor})
            rows.append(row)
    return rows


@dataclass
class StyleBoard:
    """Everything notebook 07 measures for a line-up of models."""

    scale: StyleScale
    directions: dict[str, dict[str, AttributeDirections]]
    doses: dict[str, DoseResponse]
    real: RealChange
    truth: list[dict[str, Any]]
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def models(self) -> list[str]:
        return list(self.doses)

    @checked(attributes=ck.using(_attributes, known=MOVED))
    def rows(self, attributes: Sequence[str] = MOVED) -> list[dict[str, Any]]:
        """One row per model, attribute and method: every figure the goals ask for."""
        rows = []
        for name, dose in self.doses.items():
            for attr in attributes:
                for method in dose.methods:
                    if not dose.available(attr, method):
                        reason = self.directions[name][attr].missing.get(method, "missing")
                        rows.append({"model": name, "attribute": attr, "method": method, "change at alpha=1 (SD)":
                                     "n/a", "note": reason})
                        continue
                    rows.append({
                        "model": name, "attribute": attr, "method": method,
                        "change at alpha=1 (SD)": dose.change_at(attr, method, 1.0),
                        "slope (SD per alpha)": dose.slope(attr, method),
                        "linearity R^2": dose.linearity(attr, method),
                        "alpha for +1 SD": dose.alpha_reaching(attr, method, 1.0),
                        "class kept, alpha=1": dose.class_kept(attr, method, 1.0),
                        "class kept, alpha=2": dose.class_kept(attr, method, 2.0),
                        "others move (SD)": dose.side_effect(attr, method, 1.0),
                        "cosine with counterfactual": self.directions[name][attr].cosine(method, "counterfactual"),
                    })
        return rows

    @checked(model=ck.using(_board_model, doses=ref("self", _doses)),
             attributes=ck.using(_board_attributes, board=ref("self"), model=ref("model")),
             change=ck.number(), kept=ck.number(), side=ck.number())
    def meets(self, model: str, method: str, attributes: Sequence[str] = ("thickness", "slant"),
              change: float = 0.8, kept: float = 0.95, side: float = 0.25) -> dict[str, dict[str, bool]]:
        """The issue's three goals for one model and recipe, per attribute.

        A direction that moves nothing keeps the class and has no side effects
        for free, so those two goals count only where the change goal is met.
        """
        dose = self.doses[model]
        out = {}
        for attr in attributes:
            if not dose.available(attr, method):
                out[attr] = {"change": False, "class kept": False, "side effects": False}
                continue
            moved = dose.change_at(attr, method, 1.0) >= change
            limit = max(side, self.real.side_effect(attr))
            out[attr] = {"change": moved,
                         "class kept": moved and dose.class_kept(attr, method, 1.0) >= kept,
                         "side effects": moved and dose.side_effect(attr, method, 1.0) <= limit}
        return out

    @checked(attributes=ck.using(_attributes, known=MOVED))
    def ranking(self, attributes: Sequence[str] = ("thickness", "slant")) -> list[tuple[str, str, int, float]]:
        """(model, method, goals met, mean side effect) for every pair with a direction, best first.

        Order: goals met; then how close the change at alpha = 1 comes to one SD
        (capped at 1, so overshooting earns nothing); then smaller side effects.
        """
        out = []
        for name, dose in self.doses.items():
            for method in dose.methods:
                if not all(dose.available(a, method) for a in attributes):
                    continue
                met = sum(sum(v.values()) for v in self.meets(name, method, attributes).values())
                reach = float(np.mean([min(dose.change_at(a, method, 1.0), 1.0) for a in attributes]))
                side = float(np.mean([dose.side_effect(a, method) for a in attributes]))
                out.append((name, method, met, reach, side))
        out.sort(key=lambda r: (-r[2], -round(r[3], 2), r[4]))
        return [(m, meth, met, side) for m, meth, met, _, side in out]

    def best(self) -> tuple[str, str]:
        ranking = self.ranking()
        if not ranking:
            raise ValueError("board: no model has a thickness and a slant direction of any method, so there is no "
                             "best one; evaluate a space where those directions exist.")
        model, method, _, _ = ranking[0]
        return model, method

    @checked(model=ck.using(_board_model, doses=ref("self", _doses)),
             attribute=ck.using(_board_attribute, directions=ref("self", lambda board: board.directions),
                                model=ref("model")))
    def best_cosine(self, model: str, attribute: str) -> tuple[str, float]:
        """The learned method (not the counterfactual itself) closest to the counterfactual direction."""
        dirs = self.directions[model][attribute]
        cos = {m: dirs.cosine(m, "counterfactual") for m in DIRECTION_METHODS if m != "counterfactual"}
        cos = {m: c for m, c in cos.items() if np.isfinite(c)}
        if not cos:
            return "none", float("nan")
        m = max(cos, key=cos.get)
        return m, cos[m]

    def verdict(self) -> list[str]:
        """Which recipe and which model move style best, as sentences written from the numbers."""
        model, method = self.best()
        dose = self.doses[model]
        lines = []
        for name, meth, met, side in self.ranking()[:3]:
            lines.append(f"{name}, {meth} direction: {met} of 6 goals met (thickness and slant), "
                         f"other attributes move {side:.2f} SD on average at alpha = 1.")
        parts = []
        for attr in ("thickness", "slant"):
            parts.append(f"{attr} {dose.change_at(attr, method):+.2f} SD with the class kept for "
                         f"{dose.class_kept(attr, method):.0%} (reconstructions: {dose.kept0:.0%}), others moving "
                         f"{dose.side_effect(attr, method):.2f} SD (real perturbation: "
                         f"{self.real.side_effect(attr):.2f})")
        lines.append(f"Verdict: {model} with the {method} direction moves style best: at alpha = 1, "
                     + "; ".join(parts) + ".")
        cos_parts = []
        for attr in MOVED:
            m, c = self.best_cosine(model, attr)
            cos_parts.append(f"{attr} {c:.2f} ({m})")
        lines.append(f"Closest learned direction to the counterfactual in {model}: " + ", ".join(cos_parts) + ".")
        return lines


    def findings(self) -> list[str]:
        """The notebook's lessons as sentences written from the numbers of this run."""
        out = []
        slopes = {m: [d.slope(a, m) for d in self.doses.values() for a in d.moved] for m in DIRECTION_METHODS}
        mean = {m: float(np.nanmean(v)) if np.isfinite(v).any() else float("nan") for m, v in slopes.items()}
        out.append("Averaged over the models and the three attributes, one unit of alpha moves the attribute by "
                   + ", ".join(f"{mean[m]:.2f} SD along the {m} direction" for m in DIRECTION_METHODS)
                   + " (the probe promised 1).")
        model, method = self.best()
        dirs, dose = self.directions[model], self.doses[model]
        attr = max(MOVED, key=lambda a: dirs[a].probe_r2)
        probe, quantile = dose.slope(attr, "probe"), dose.slope(attr, "quantile")
        lead = ("A good probe is not a good direction" if probe < quantile - 0.05 else
                "Here the probe's direction moves about as much as the quantile direction")
        out.append(f"{lead}: in {model} the probe predicts {attr} from the code with R^2 = "
                   f"{dirs[attr].probe_r2:.2f}, and moving along it changes {attr} by {probe:.2f} SD per alpha, "
                   f"against {quantile:.2f} along the within-class quantile direction.")
        summary = {n: min((entanglement_summary(d.side_effects(m)) for m in d.methods if d.available(MOVED[0], m)),
                          default=float("nan")) for n, d in self.doses.items()}
        ok = {n: v for n, v in summary.items() if np.isfinite(v)}
        if ok:
            low, high = min(ok, key=ok.get), max(ok, key=ok.get)
            out.append(f"Least entangled: {low} (side effects {ok[low]:.2f} of the intended change, best recipe); most: "
                       f"{high} ({ok[high]:.2f}); real perturbations of the pixels: "
                       f"{entanglement_summary(self.real.side_effects()):.2f}.")
        best_met = {}
        for name, meth, met, _ in self.ranking():
            best_met.setdefault(name, (meth, met))
        full = [f"{n} ({m})" for n, (m, met) in best_met.items() if met == 6]
        out.append("All six goals (thickness and slant) are met by " + (", ".join(full) if full else "no model")
                   + "; the others' best: " + ", ".join(f"{n} {met} of 6 ({m})" for n, (m, met) in best_met.items()
                                                   if met < 6) + ".")
        kept = {n: d.kept0 for n, d in self.doses.items()}
        worst = min(kept, key=kept.get)
        out.append(f"Reconstruction alone keeps the class for {kept[worst]:.0%} ({worst}) to {max(kept.values()):.0%} "
                   f"of the test digits; {model}'s {method} direction keeps {dose.class_kept('thickness', method):.0%} "
                   f"(thickness) and {dose.class_kept('slant', method):.0%} (slant) at +1 SD, against its ceiling of "
                   f"{dose.kept0:.0%}.")
        return out


def _stratified(y, per_class: int, n_classes: int = 10) -> np.ndarray:
    """The first ``per_class`` digits of each class (every class has that many), in their order."""
    return np.sort(np.concatenate([np.flatnonzero(y == c)[:per_class] for c in range(n_classes)]))


@checked(spaces=ck.using(_spaces), data=ck.using(as_dataset), judge=ck.using(_judge),
         probe_digits=ck.using(_digit_count, minimum=3, setting="style_probe_digits"),
         counterfactual_digits=ck.using(_digit_count, minimum=1, setting="style_counterfactual_digits"),
         test_per_class=ck.using(_test_per_class, data=ref("data")),
         train_values=ck.using(_probe_table, data=ref("data"), probe_digits=ref("probe_digits")))
def evaluate(spaces: Mapping[str, LatentSpace], data: Dataset, judge: Judge, *, probe_digits: int | None = None,
             counterfactual_digits: int | None = None, test_per_class: int | None = None,
             alphas=DOSE_ALPHAS, train_values: np.ndarray | None = None, verbose: bool = True) -> StyleBoard:
    """Directions, dose-response, class kept, entanglement and ground truth for every model in ``spaces``.

    Sizes default to this mode's settings: the probes see ``probe_digits``
    measured training digits, the counterfactual directions
    ``counterfactual_digits`` perturbed training digits, and every measurement
    moves ``test_per_class`` held-out test digits of each class. ``train_values``
    passes the attributes of the first ``probe_digits`` training digits when
    they are already measured (:func:`measure_table`).
    """
    start = time.perf_counter()
    probe_index = np.arange(min(probe_digits, len(data.x_train)))
    if train_values is None:
        train_values = measure_table(data.x_train[probe_index])
    scale = StyleScale.from_table(train_values)
    pairs = counterfactual_pairs(data.x_train[len(data.x_train) - min(counterfactual_digits, len(data.x_train)):])
    test_index = _stratified(data.y_test, test_per_class)
    x_test, y_test = data.x_test[test_index], data.y_test[test_index]
    real, perturbed = real_changes(x_test, scale)
    seconds = {"measure and perturb real digits": time.perf_counter() - start}
    directions, doses, truth = {}, {}, []
    for name, space in spaces.items():
        t = time.perf_counter()
        directions[name] = style_directions(space, train_values, probe_index, pairs, scale)
        doses[name] = dose_response(space, directions[name], x_test, y_test, judge, scale, alphas)
        truth += ground_truth(space, directions[name], doses[name], x_test, real, perturbed)
        seconds[name] = time.perf_counter() - t
        if verbose:
            print(f"{name}: directions, dose-response and ground truth in {seconds[name]:.1f} s")
    return StyleBoard(scale, directions, doses, real, truth, seconds)


@checked(board=ck.using(_instance, cls=StyleBoard, example="style.evaluate(...)"))
def benchmark_figures(board: StyleBoard) -> dict[str, Any]:
    """The goals' figures from a board: the best model and recipe on thickness and slant, and the cosines."""
    model, method = board.best()
    dose = board.doses[model]
    out: dict[str, Any] = {"best model": model, "best method": method}
    for attr in ("thickness", "slant"):
        out[f"{attr} change at alpha=1"] = dose.change_at(attr, method)
        out[f"{attr} class kept at alpha=1"] = dose.class_kept(attr, method)
        out[f"{attr} other attributes move"] = dose.side_effect(attr, method)
        out[f"{attr} real perturbation side effects"] = board.real.side_effect(attr)
    for attr in MOVED:
        m, c = board.best_cosine(model, attr)
        out[f"{attr} best cosine with counterfactual"] = c
        out[f"{attr} best cosine method"] = m
    return out
