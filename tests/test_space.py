"""Space: validation messages and unit-cube round trips."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from paramscope.errors import SpaceError
from paramscope.space import Choice, Float, Int, Space, param_from_dict


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: Float(3, 1), "Float: low < high must hold, got low=3, high=1"),
        (lambda: Float(0.0, 1.0, log=True), "Float: log=True needs low > 0, got low=0.0"),
        (lambda: Float(-1.0, 1.0, log=True), "log=True needs low > 0"),
        (lambda: Float(0, math.inf), "high must be a finite number"),
        (lambda: Float(0, 1, step=0), "step must be a number > 0"),
        (lambda: Float(0, 1, step=2.0), "step must be at most high - low"),
        (lambda: Float(1, 2, log=True, step=0.1), "step and log=True cannot be combined"),
        (lambda: Int(5, 2), "Int: low <= high must hold, got low=5, high=2"),
        (lambda: Int(0, 8, log=True), "Int: log=True needs low > 0"),
        (lambda: Int(0.5, 8), "Int: low must be an integer"),  # type: ignore[arg-type]
        (lambda: Int(0, 8, step=0), "Int: step must be an integer >= 1"),
        (lambda: Choice([]), "Choice: options must be a non-empty list, got []"),
        (lambda: Choice(["a", "a"]), "options must be distinct"),
        (lambda: Choice("abc"), "options must be a list"),
        (lambda: Space({}), "Space: expected a non-empty dict"),
        (lambda: Space({"a b": Float(0, 1)}), "names must be identifiers"),
        (lambda: Space({"x": (0, 1)}), "x must be ps.Float, ps.Int or ps.Choice"),
        (lambda: Space({"x": Float(0, 1), "X": Float(0, 1)}), "differ in more than case"),
    ],
)
def test_bad_parameters_say_what_was_expected(build: object, message: str) -> None:
    with pytest.raises(SpaceError, match=re.escape(message)):
        build()  # type: ignore[operator]


def test_space_errors_are_value_errors() -> None:
    with pytest.raises(ValueError, match="low < high"):
        Float(2, 1)


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"x": {"type": "bool"}}, "space.x: type must be one of 'float', 'int', 'choice'"),
        ({"x": {"type": "float", "low": 3, "high": 1}}, "space.x: Float: low < high"),
        ({"x": {"type": "choice", "options": []}}, "space.x: Choice: options must be a non-empty"),
        ({"x": {"type": "int", "low": 1, "high": 2, "size": 3}}, "unknown field"),
        ({"x": {"type": "float", "low": 1}}, "space.x: float:"),
        ({"x": 3}, "space.x: parameter must be a table"),
    ],
)
def test_from_dict_names_the_field(spec: dict[str, object], message: str) -> None:
    with pytest.raises(SpaceError, match=message):
        Space.from_dict(spec)


def test_dict_form_round_trips() -> None:
    space = Space(
        {
            "lr": Float(1e-5, 1e-1, log=True),
            "depth": Int(1, 8),
            "width": Int(16, 512, log=True),
            "act": Choice(["relu", "gelu", "tanh"]),
            "dropout": Float(0.0, 0.5, step=0.05),
        }
    )
    assert Space.from_dict(space.to_dict()) == space
    assert param_from_dict({"type": "int", "low": 1, "high": 8, "step": 2}) == Int(1, 8, step=2)


def test_discrete_levels_get_equal_shares_of_the_cube() -> None:
    param = Int(1, 4)
    hits = [param.decode(u) for u in np.linspace(0, 1, 4000, endpoint=False)]
    assert [hits.count(v) for v in (1, 2, 3, 4)] == [1000, 1000, 1000, 1000]
    assert Choice(["a", "b"]).decode(1.0) == "b"
    assert Float(0.0, 0.5, step=0.05).levels == 11


def test_validate_checks_names_and_ranges() -> None:
    space = Space({"x": Float(0, 1), "k": Choice(["a", "b"]), "n": Int(1, 9, step=2)})
    assert space.validate({"k": "a", "n": 3, "x": 0.5}) == {"x": 0.5, "k": "a", "n": 3}
    with pytest.raises(SpaceError, match=r"missing \['n'\], unexpected \['y'\]"):
        space.validate({"x": 0.5, "k": "a", "y": 1})
    with pytest.raises(SpaceError, match=r"params\.x: value 2\.0 is outside"):
        space.validate({"x": 2.0, "k": "a", "n": 3})
    with pytest.raises(SpaceError, match=r"params\.n"):
        space.validate({"x": 0.5, "k": "a", "n": 4})
    with pytest.raises(SpaceError, match=r"params\.k"):
        space.validate({"x": 0.5, "k": "c", "n": 3})


# --- round trips (hypothesis) -------------------------------------------------------------------

finite = st.floats(-1e6, 1e6, allow_nan=False)


@st.composite
def float_params(draw: st.DrawFn) -> tuple[Float, float]:
    log = draw(st.booleans())
    low = draw(st.floats(1e-6, 1e3)) if log else draw(finite)
    high = low + draw(st.floats(1e-3, 1e6)) if not log else low * draw(st.floats(1.01, 1e6))
    param = Float(low, high, log=log)
    return param, draw(st.floats(param.low, param.high))


@given(float_params())
def test_float_round_trip(case: tuple[Float, float]) -> None:
    param, x = case
    u = param.encode(x)
    assert -1e-9 <= u <= 1 + 1e-9
    assert math.isclose(param.decode(u), x, rel_tol=1e-9, abs_tol=1e-9 * (param.high - param.low))


@st.composite
def int_params(draw: st.DrawFn) -> tuple[Int, int]:
    log = draw(st.booleans())
    low = draw(st.integers(1, 1000)) if log else draw(st.integers(-1000, 1000))
    high = low + draw(st.integers(0, 10_000))
    step = 1 if log else draw(st.integers(1, 7))
    param = Int(low, high, log=log, step=step)
    k = draw(st.integers(0, param.levels - 1))
    return param, (low + k * step if not log else draw(st.integers(low, high)))


@given(int_params())
def test_int_round_trip(case: tuple[Int, int]) -> None:
    param, x = case
    assert param.decode(param.encode(x)) == x


@given(
    st.lists(
        st.one_of(st.text(max_size=5), st.integers(), st.booleans()),
        min_size=1,
        max_size=8,
        unique_by=lambda v: (type(v).__name__, v),
    ),
    st.data(),
)
def test_choice_round_trip(options: list[object], data: st.DataObject) -> None:
    param = Choice(options)  # type: ignore[arg-type]
    value = data.draw(st.sampled_from(options))
    decoded = param.decode(param.encode(value))
    assert decoded == value and type(decoded) is type(value)


@given(st.lists(st.floats(0, 1), min_size=3, max_size=3))
def test_space_decode_encode_is_stable(u: list[float]) -> None:
    space = Space({"a": Float(-1, 1), "b": Int(0, 9), "c": Choice(["x", "y", "z"])})
    params = space.decode(u)
    assert space.decode(space.encode(params)) == pytest.approx(params)
    assert space.validate(params) == params
