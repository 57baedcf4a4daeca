"""GP surrogate: posterior equal to scikit-learn's, gradients equal to finite differences."""

# ruff: noqa: N806  (matrix names X, F follow the maths and scikit-learn)

from __future__ import annotations

import math

import numpy as np
import pytest
from sklearn.gaussian_process import GaussianProcessRegressor
from sklearn.gaussian_process.kernels import ConstantKernel, Matern, WhiteKernel

from paramscope.models import FeatureMap, GaussianProcess, GPHyper, ModelFitError
from paramscope.space import Choice, Float, Int, Space

CONTINUOUS = Space({"a": Float(0, 1), "b": Float(1e-3, 1.0, log=True), "c": Float(-5, 5)})
MIXED = Space(
    {"x": Float(0, 1), "k": Int(1, 8), "w": Int(1, 500, log=True), "act": Choice(["r", "g", "t"])}
)


def _hyper(d: int, noise: float = 1e-2) -> GPHyper:
    lengthscale = np.linspace(0.3, 1.1, d)
    return GPHyper(np.log(lengthscale), math.log(1.7), math.log(noise))


def _data(space: Space, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = FeatureMap.from_space(space).snap(rng.random((n, space.dim)))
    return X, rng.standard_normal(n)


@pytest.mark.parametrize("space", [CONTINUOUS, MIXED], ids=["continuous", "mixed"])
def test_posterior_equals_scikit_learn(space: Space) -> None:
    fmap = FeatureMap.from_space(space)
    X, y = _data(space, 25, seed=0)
    Xq = fmap.snap(np.random.default_rng(1).random((9, space.dim)))
    hyper = _hyper(space.dim)
    mean, var = GaussianProcess(fmap, hyper=hyper).condition(X, y).predict(Xq)

    # The same kernel on the same features: one-hot columns carry their 1/sqrt(2) scale in F.
    lengthscale = hyper.lengthscale[fmap.groups]
    kernel = ConstantKernel(hyper.outputscale, "fixed") * Matern(
        lengthscale, "fixed", nu=2.5
    ) + WhiteKernel(hyper.noise, "fixed")
    ref = GaussianProcessRegressor(kernel, alpha=1e-12, optimizer=None, normalize_y=False)
    ref.fit(fmap.transform(X), y)
    ref_mean, ref_std = ref.predict(fmap.transform(Xq), return_std=True)
    np.testing.assert_allclose(mean, ref_mean, atol=1e-6)
    np.testing.assert_allclose(var + hyper.noise, ref_std**2, atol=1e-6)  # sklearn adds noise


@pytest.mark.parametrize("space", [CONTINUOUS, MIXED], ids=["continuous", "mixed"])
def test_predict_gradients_equal_finite_differences(space: Space) -> None:
    fmap = FeatureMap.from_space(space)
    X, y = _data(space, 20, seed=2)
    gp = GaussianProcess(fmap, hyper=_hyper(space.dim, noise=1e-4)).condition(X, y)
    Xq = np.random.default_rng(3).uniform(0.05, 0.95, (6, space.dim))
    _, _, dmean, dvar = gp.predict_with_grad(Xq)
    eps = 1e-6
    for j in fmap.ordered_dims:
        step = np.zeros(space.dim)
        step[j] = eps
        (m_hi, v_hi), (m_lo, v_lo) = gp.predict(Xq + step), gp.predict(Xq - step)
        np.testing.assert_allclose(dmean[:, j], (m_hi - m_lo) / (2 * eps), atol=1e-6)
        np.testing.assert_allclose(dvar[:, j], (v_hi - v_lo) / (2 * eps), atol=1e-6)
    assert np.all(dmean[:, fmap.choice_dims] == 0.0)


@pytest.mark.parametrize("space", [CONTINUOUS, MIXED], ids=["continuous", "mixed"])
def test_predictions_with_and_without_gradients_agree_to_the_bit(space: Space) -> None:
    # The acquisition optimizer compares scores from both paths; the data's centred rows are
    # cached per conditioning, which must not change a single bit of the distances.
    fmap = FeatureMap.from_space(space)
    X, y = _data(space, 40, seed=6)
    gp = GaussianProcess(fmap, hyper=_hyper(space.dim)).condition(X, y)
    Xq = fmap.snap(np.random.default_rng(7).random((11, space.dim)))
    mean, var, _, _ = gp.predict_with_grad(Xq)
    ref_mean, ref_var = gp.predict(Xq)
    assert np.array_equal(mean, ref_mean) and np.array_equal(var, ref_var)
    assert np.array_equal(gp.predict_mean(Xq), ref_mean)


def test_condition_update_equals_conditioning_from_scratch() -> None:
    fmap = FeatureMap.from_space(MIXED)
    X, y = _data(MIXED, 30, seed=4)
    hyper = _hyper(MIXED.dim)
    updated = GaussianProcess(fmap, hyper=hyper).condition(X[:22], y[:22]).condition(X[22:], y[22:])
    fresh = GaussianProcess(fmap, hyper=hyper).condition(X, y)
    Xq = fmap.snap(np.random.default_rng(5).random((7, MIXED.dim)))
    for a, b in zip(updated.predict(Xq), fresh.predict(Xq), strict=True):
        np.testing.assert_allclose(a, b, atol=1e-10)
    assert updated.n == fresh.n == 30


def test_several_targets_equal_one_gp_per_target_with_their_gradients() -> None:
    fmap = FeatureMap.from_space(MIXED)
    X, _ = _data(MIXED, 24, seed=7)
    Y = np.random.default_rng(8).standard_normal((24, 3))
    hyper = _hyper(MIXED.dim)
    many = GaussianProcess(fmap, hyper=hyper).condition(X[:20], Y[:20]).condition(X[20:], Y[20:])
    Xq = np.random.default_rng(9).uniform(0.05, 0.95, (5, MIXED.dim))
    mean, var, dmean, dvar = many.predict_with_grad(Xq)
    assert mean.shape == (5, 3) and dmean.shape == (5, 3, MIXED.dim)
    for k in range(3):
        one = GaussianProcess(fmap, hyper=hyper).condition(X, Y[:, k])
        m1, v1, dm1, dv1 = one.predict_with_grad(Xq)
        np.testing.assert_allclose(mean[:, k], m1, atol=1e-10)
        np.testing.assert_allclose(dmean[:, k], dm1, atol=1e-8)
        np.testing.assert_allclose(var, v1, atol=1e-10)
        np.testing.assert_allclose(dvar, dv1, atol=1e-8)


def test_joint_posterior_matches_predict_and_draws_match_it() -> None:
    fmap = FeatureMap.from_space(CONTINUOUS)
    X, y = _data(CONTINUOUS, 12, seed=10)
    gp = GaussianProcess(fmap, hyper=_hyper(3, noise=0.3)).condition(X, y)
    Xq = np.random.default_rng(11).random((4, 3))
    mean, cov = gp.joint_posterior(Xq)
    m, v = gp.predict(Xq)
    np.testing.assert_allclose(mean, m, atol=1e-10)
    np.testing.assert_allclose(np.diag(cov), v, atol=1e-10)
    draws = gp.posterior_draws(Xq, 4096, seed=0)
    np.testing.assert_allclose(draws.mean(axis=0), mean, atol=0.02)
    np.testing.assert_allclose(np.cov(draws.T), cov, atol=0.03)
    np.testing.assert_array_equal(draws[:16], gp.posterior_draws(Xq, 16, seed=0))  # seeded


def test_noiseless_copy_interpolates_what_it_is_told() -> None:
    fmap = FeatureMap.from_space(CONTINUOUS)
    X, y = _data(CONTINUOUS, 10, seed=12)
    exact = GaussianProcess(fmap, hyper=_hyper(3, noise=0.5)).noiseless().condition(X, y)
    mean, var = exact.predict(X)
    np.testing.assert_allclose(mean, y, atol=1e-4)
    assert np.all(var < 1e-4)


def test_believing_the_mean_keeps_the_mean_and_shrinks_the_variance() -> None:
    fmap = FeatureMap.from_space(CONTINUOUS)
    X, y = _data(CONTINUOUS, 15, seed=6)
    gp = GaussianProcess(fmap, hyper=_hyper(3)).condition(X, y)
    u = np.full((1, 3), 0.5)
    mean, var = gp.predict(u)
    believed = gp.condition(u, mean)
    new_mean, new_var = believed.predict(u)
    np.testing.assert_allclose(new_mean, mean, atol=1e-10)
    assert new_var[0] < 0.1 * var[0]


def test_fit_interpolates_a_smooth_function_and_warm_starts() -> None:
    fmap = FeatureMap.from_space(Space({"x": Float(0, 1), "y": Float(0, 1)}))
    rng = np.random.default_rng(7)
    X = rng.random((30, 2))
    f = np.sin(5 * X[:, 0]) + X[:, 1] ** 2
    gp = GaussianProcess(fmap, seed=0).fit(X, (f - f.mean()) / f.std())
    assert gp.hyper is not None and gp.is_fitted
    Xq = rng.random((50, 2))
    fq = (np.sin(5 * Xq[:, 0]) + Xq[:, 1] ** 2 - f.mean()) / f.std()
    mean, var = gp.predict(Xq)
    assert np.sqrt(np.mean((mean - fq) ** 2)) < 0.05
    assert np.all(var >= 0)
    warm = GaussianProcess(fmap, hyper=gp.hyper, full_fit=False).fit(X, (f - f.mean()) / f.std())
    assert warm.hyper is not None
    np.testing.assert_allclose(warm.hyper.log_lengthscale, gp.hyper.log_lengthscale, atol=0.05)


def test_predict_before_fit_and_non_finite_data_raise_model_fit_error() -> None:
    gp = GaussianProcess(FeatureMap.from_space(CONTINUOUS))
    with pytest.raises(ModelFitError, match="no data"):
        gp.predict(np.zeros((1, 3)))
    with pytest.raises(ModelFitError, match="non-finite"):
        gp.fit(np.zeros((2, 3)), np.array([0.0, np.nan]))
