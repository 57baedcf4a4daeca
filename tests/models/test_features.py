"""Feature map: grids agree with the space's decoding, choices become one-hot, keys identify."""

# ruff: noqa: N806  (matrix names F follow the maths)

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from paramscope.models import FeatureMap
from paramscope.space import Choice, Float, Int, Space

SPACE = Space(
    {
        "x": Float(-1.0, 2.0),
        "lr": Float(1e-5, 1e-1, log=True),
        "k": Int(1, 8),
        "w": Int(16, 512, log=True),
        "s": Int(0, 20, step=5),
        "d": Float(0.0, 0.5, step=0.05),
        "act": Choice(["relu", "gelu", "tanh"]),
        "flag": Choice([True, False]),
    }
)
FMAP = FeatureMap.from_space(SPACE)
points = st.lists(st.floats(0.0, 1.0), min_size=SPACE.dim, max_size=SPACE.dim)


def test_dims_and_groups_follow_the_parameter_kinds() -> None:
    assert FMAP.ordered_dims.tolist() == [0, 1, 2, 3, 4, 5]
    assert FMAP.grid_dims.tolist() == [2, 3, 4, 5]
    assert FMAP.float_dims.tolist() == [0, 1]
    assert FMAP.choice_dims.tolist() == [6, 7]
    assert FMAP.groups.tolist() == [0, 1, 2, 3, 4, 5, 6, 6, 6, 7, 7]
    assert FMAP.n_features == 11


@settings(max_examples=200, deadline=None)
@given(points)
def test_level_index_and_snap_agree_with_space_decode(u: list[float]) -> None:
    arr = np.array([u])
    snapped = FMAP.snap(arr)
    assert SPACE.decode(snapped[0]) == SPACE.decode(arr[0])
    for j, (name, param) in enumerate(SPACE.items):
        if j in FMAP.grid_dims or j in FMAP.choice_dims:
            index = int(FMAP.level_index(arr[:, j], j)[0])
            assert param.decode(u[j]) == param.decode(FMAP.level_position(np.array([index]), j)[0])
            assert snapped[0, j] == SPACE.encode(SPACE.decode(arr[0]))[j], name


@settings(max_examples=100, deadline=None)
@given(points)
def test_choices_are_one_hot_at_unit_squared_distance(u: list[float]) -> None:
    F = FMAP.transform(np.array([u]))[0]
    np.testing.assert_allclose(F[:6], u[:6])
    for block in (F[6:9], F[9:11]):
        assert np.count_nonzero(block) == 1
        assert 2 * block.max() ** 2 == 1.0 or abs(2 * block.max() ** 2 - 1.0) < 1e-12


@settings(max_examples=100, deadline=None)
@given(points)
def test_keys_identify_decoded_params(u: list[float]) -> None:
    arr = np.array(u)
    params = SPACE.decode(arr)
    assert FMAP.key(arr) == FMAP.params_key(params)
    assert FMAP.key(FMAP.snap(arr[None])[0]) == FMAP.key(arr)


def test_neighbors_step_grids_and_switch_choices() -> None:
    u = FMAP.snap(np.full((1, SPACE.dim), 0.5))[0]
    neighbors = FMAP.neighbors(u)
    # 4 grids x 2 steps + (3 - 1) + (2 - 1) other options
    assert neighbors.shape == (11, SPACE.dim)
    base = SPACE.decode(u)
    for v in neighbors:
        changed = [k for k, val in SPACE.decode(v).items() if val != base[k]]
        assert len(changed) == 1
        assert changed[0] not in ("x", "lr")


def test_neighbors_stay_inside_the_grid() -> None:
    fmap = FeatureMap.from_space(Space({"k": Int(0, 3)}))
    edge = fmap.snap(np.zeros((1, 1)))[0]
    assert [fmap.space.decode(v)["k"] for v in fmap.neighbors(edge)] == [1]
