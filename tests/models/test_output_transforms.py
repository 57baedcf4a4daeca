"""Output transforms: standardize, Yeo-Johnson warp skewed data, stay monotone and invertible."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from paramscope.models import OutputTransform
from paramscope.models.transforms import yeo_johnson, yeo_johnson_inverse


@settings(max_examples=200, deadline=None)
@given(st.floats(-20.0, 20.0), st.floats(-2.0, 4.0))
def test_yeo_johnson_inverse_round_trips(x: float, lam: float) -> None:
    z = yeo_johnson(np.array([x]), lam)
    assert yeo_johnson_inverse(z, lam)[0] == pytest.approx(x, rel=1e-7, abs=1e-7)


@pytest.mark.parametrize("lam", [0.0, 2.0, 0.5, -1.0])
def test_yeo_johnson_matches_scipy_and_special_cases(lam: float) -> None:
    x = np.linspace(-3, 3, 13)
    np.testing.assert_allclose(yeo_johnson(x, lam), stats.yeojohnson(x, lmbda=lam))
    np.testing.assert_allclose(yeo_johnson_inverse(yeo_johnson(x, lam), lam), x, atol=1e-12)


def test_skewed_data_are_warped_monotonically_and_invertibly() -> None:
    y = np.exp(np.random.default_rng(0).normal(0, 1.5, 60))  # log-normal: heavy right tail
    t = OutputTransform.fit(y)
    assert t.lam is not None
    z = t.forward(y)
    assert abs(stats.skew(z)) < abs(stats.skew((y - y.mean()) / y.std()))
    assert np.mean(z) == pytest.approx(0.0, abs=1e-12)
    assert np.std(z) == pytest.approx(1.0)
    order = np.argsort(y)
    assert np.all(np.diff(z[order]) > 0)
    np.testing.assert_allclose(t.inverse(z), y, rtol=1e-9)


def test_symmetric_or_few_data_are_only_standardized() -> None:
    y = np.random.default_rng(1).normal(5.0, 2.0, 50)
    assert OutputTransform.fit(y).lam is None
    assert OutputTransform.fit(np.array([1.0, 100.0, 2.0])).lam is None
    assert OutputTransform.fit(np.exp(y), power=False).lam is None


def test_constant_data_do_not_divide_by_zero() -> None:
    t = OutputTransform.fit(np.full(6, 3.0))
    np.testing.assert_allclose(t.forward(np.full(6, 3.0)), 0.0)
    assert t.inverse(np.array([0.0]))[0] == 3.0
