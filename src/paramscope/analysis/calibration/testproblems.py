"""Calibration test problems: simulators whose posterior is known, for tests and benchmarks.

* ``banana``: the Rosenbrock "banana" posterior. Outputs ``(a, 10 (b - a^2))`` observed at
  ``(1, 0)`` with noise ``sigma`` give ``log p = -[(1 - a)^2 + 100 (b - a^2)^2] / (2 sigma^2)``, a
  curved ridge whose mode is ``(1, 1)``.
* ``linear_gaussian``: outputs ``A theta + c`` with Gaussian noise and a flat prior; the posterior
  is Gaussian with mean ``(A'A)^-1 A'(z - c)`` and covariance ``sigma^2 (A'A)^-1``.
* ``lorenz96``: the two-scale Lorenz-96 system (Lorenz 1996; the calibration setting of Cleary et
  al., "Calibrate, emulate, sample", 2021) with parameters ``(h, F, c, b)``; observed statistics
  of the slow and fast variables over a window after spin-up, from a fixed initial condition so
  each run is deterministic.
"""

# ruff: noqa: N806  (matrix names A, X, Y follow the maths)

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from paramscope.space import Float, FloatArray, Space


@dataclass(frozen=True, eq=False)
class Problem:
    """A calibration problem: simulator, space, observations, noise and what is known of it.

    Attributes:
        simulate: ``params -> outputs``.
        space: the parameters and their prior ranges.
        observed: the observations; ``noise`` their standard deviations.
        truth: the parameters that generated the data (or the known mode).
        mean, cov: the exact posterior mean and covariance when known.
        log_posterior: the exact log posterior of a parameter dict, when known.
    """

    simulate: Callable[[Mapping[str, Any]], Any]
    space: Space
    observed: Any
    noise: Any
    truth: Mapping[str, float]
    mean: FloatArray | None = None
    cov: FloatArray | None = None
    log_posterior: Callable[[Mapping[str, float]], float] | None = field(default=None)


def banana(sigma: float = 0.1) -> Problem:
    """The Rosenbrock banana on ``a in [-2, 2], b in [-1, 3]``: mode ``(1, 1)``.

    Example:
        >>> p = banana()
        >>> p.simulate({"a": 1.0, "b": 1.0}), p.observed
        ([1.0, 0.0], [1.0, 0.0])
    """

    def simulate(params: Mapping[str, Any]) -> list[float]:
        a, b = float(params["a"]), float(params["b"])
        return [a, 10.0 * (b - a * a)]

    def log_posterior(params: Mapping[str, float]) -> float:
        a, b = params["a"], params["b"]
        return -((1.0 - a) ** 2 + 100.0 * (b - a * a) ** 2) / (2.0 * sigma**2)

    space = Space({"a": Float(-2.0, 2.0), "b": Float(-1.0, 3.0)})
    return Problem(
        simulate, space, [1.0, 0.0], sigma, {"a": 1.0, "b": 1.0}, None, None, log_posterior
    )


def linear_gaussian(sigma: float = 0.2, seed: int = 0) -> Problem:
    """Three outputs linear in two parameters, Gaussian noise, flat prior on ``[-5, 5]^2``.

    Example:
        >>> p = linear_gaussian()
        >>> p.mean.shape, p.cov.shape
        ((2,), (2, 2))
    """
    A = np.array([[1.0, 0.5], [-0.3, 1.2], [0.8, -0.6]])
    c = np.array([0.5, -1.0, 2.0])
    truth = np.array([0.7, -0.4])
    rng = np.random.default_rng(seed)
    z = A @ truth + c + sigma * rng.standard_normal(3)
    precision = A.T @ A / sigma**2
    cov = np.linalg.inv(precision)
    mean = cov @ A.T @ (z - c) / sigma**2

    def simulate(params: Mapping[str, Any]) -> FloatArray:
        out: FloatArray = A @ np.array([params["t0"], params["t1"]], dtype=float) + c
        return out

    space = Space({"t0": Float(-5.0, 5.0), "t1": Float(-5.0, 5.0)})
    return Problem(simulate, space, z.tolist(), sigma, {"t0": 0.7, "t1": -0.4}, mean, cov)


LORENZ96_TRUTH: Mapping[str, float] = {"h": 1.0, "F": 10.0, "c": 10.0, "b": 10.0}
LORENZ96_STATISTICS = (
    "mean_x",
    "var_x",
    "mean_ybar",
    "var_ybar",
    "cov_x_ybar",
    "var_y",
    "acf_x",
    "acf_y",
)


@dataclass(frozen=True)
class Lorenz96:
    """The two-scale Lorenz-96 system and the statistics it is calibrated on.

    ``dX_k/dt = -X_{k-1} (X_{k-2} - X_{k+1}) - X_k + F - (h c / b) sum_j Y_{j,k}``,
    ``dY_{j,k}/dt = -c b Y_{j+1,k} (Y_{j+2,k} - Y_{j-1,k}) - c Y_{j,k} + (h c / b) X_k``
    (the fast variables form one ring of ``K J``), integrated by fixed-step RK4 from a fixed
    initial condition. Statistics over the window after spin-up, averaged over ``k``: mean and
    variance of ``X``, of ``Ybar_k`` (the mean of the ``J`` fast variables of ``k``), their
    covariance, the variance of ``Y``, the autocorrelation of ``X`` at lag ``lag`` and of ``Y`` at
    one sample (``every`` steps).

    Attributes:
        K, J: slow variables, fast variables per slow one.
        dt: RK4 step; ``spin_up`` and ``window`` in model time units; ``every``: steps between
            the samples that enter the statistics; ``lag``: autocorrelation lag (model time).
        seed: seeds the initial condition (the same for every run).

    Example:
        >>> stats = Lorenz96(window=2.0).statistics(np.array([[1.0, 10.0, 10.0, 10.0]]))
        >>> stats.shape, bool(np.all(np.isfinite(stats)))
        ((1, 8), True)
    """

    K: int = 8
    J: int = 4
    dt: float = 0.005
    spin_up: float = 2.0
    window: float = 10.0
    every: int = 10
    lag: float = 0.25
    seed: int = 0

    def initial(self, seeds: list[int]) -> FloatArray:
        """``(len(seeds), K + K J)`` initial states, one per seed."""
        rows = []
        for seed in seeds:
            rng = np.random.default_rng(seed)
            x = rng.standard_normal(self.K)
            rows.append(np.concatenate([x, 0.1 * rng.standard_normal(self.K * self.J)]))
        return np.array(rows)

    def trajectory(self, theta: FloatArray, z0: FloatArray | None = None) -> FloatArray:
        """States after spin-up for each row ``(h, F, c, b)`` of ``theta: (n, 4)``, from the
        fixed initial state (or the rows of ``z0``): ``(n, samples, K + K J)``; NaN where a run
        blew up."""
        theta = np.atleast_2d(np.asarray(theta, dtype=float))
        n, K, KJ = theta.shape[0], self.K, self.K * self.J
        h, F, c, b = (theta[:, i : i + 1] for i in range(4))
        cb, hcb = c * b, h * c / b
        k, j = np.arange(K), np.arange(KJ)
        km1, km2, kp1 = (k - 1) % K, (k - 2) % K, (k + 1) % K
        jp1, jp2, jm1 = (j + 1) % KJ, (j + 2) % KJ, (j - 1) % KJ
        krep = np.repeat(k, self.J)

        def rhs(z: FloatArray) -> FloatArray:
            x, y = z[:, :K], z[:, K:]
            out = np.empty_like(z)
            out[:, :K] = (
                x[:, km1] * (x[:, kp1] - x[:, km2]) - x + F - hcb * y.reshape(n, K, -1).sum(2)
            )
            out[:, K:] = cb * y[:, jp1] * (y[:, jm1] - y[:, jp2]) - c * y + hcb * x[:, krep]
            return out

        z = np.tile(self.initial([self.seed]), (n, 1)) if z0 is None else np.array(z0, dtype=float)
        spin, total = round(self.spin_up / self.dt), round((self.spin_up + self.window) / self.dt)
        samples = []
        dt, half = self.dt, self.dt / 2.0
        with np.errstate(all="ignore"):
            for step in range(total):
                k1 = rhs(z)
                k2 = rhs(z + half * k1)
                k3 = rhs(z + half * k2)
                k4 = rhs(z + dt * k3)
                z = z + (dt / 6.0) * (k1 + 2.0 * (k2 + k3) + k4)
                if step >= spin and (step - spin) % self.every == 0:
                    samples.append(z)
        return np.stack(samples, axis=1)

    def statistics(self, theta: FloatArray, z0: FloatArray | None = None) -> FloatArray:
        """The eight statistics (``LORENZ96_STATISTICS``) for each row of ``theta: (n, 4)``
        (from the initial states ``z0`` when given)."""
        Z = self.trajectory(theta, z0)
        X = Z[:, :, : self.K]
        Y = Z[:, :, self.K :]
        Ybar = Y.reshape(*Y.shape[:2], self.K, self.J).mean(axis=3)
        lag = max(1, round(self.lag / (self.dt * self.every)))
        Xc = X - X.mean(axis=1, keepdims=True)
        acf = np.mean(Xc[:, lag:] * Xc[:, :-lag], axis=(1, 2)) / np.mean(Xc**2, axis=(1, 2))
        Yc = Y - Y.mean(axis=1, keepdims=True)
        acf_y = np.mean(Yc[:, 1:] * Yc[:, :-1], axis=(1, 2)) / np.mean(Yc**2, axis=(1, 2))
        with np.errstate(all="ignore"):
            cov = np.mean(
                (X - X.mean(axis=1, keepdims=True)) * (Ybar - Ybar.mean(axis=1, keepdims=True)),
                axis=(1, 2),
            )
            out: FloatArray = np.column_stack(
                [
                    X.mean(axis=(1, 2)),
                    X.var(axis=1).mean(axis=1),
                    Ybar.mean(axis=(1, 2)),
                    Ybar.var(axis=1).mean(axis=1),
                    cov,
                    Y.var(axis=1).mean(axis=1),
                    acf,
                    acf_y,
                ]
            )
        return out

    def simulate(self, params: Mapping[str, Any]) -> dict[str, float]:
        """One run: the statistics by name for a parameter dict ``{h, F, c, b}``."""
        theta = np.array([[params["h"], params["F"], params["c"], params["b"]]], dtype=float)
        return dict(zip(LORENZ96_STATISTICS, self.statistics(theta)[0].tolist(), strict=True))


def lorenz96(
    system: Lorenz96 | None = None, *, replicates: int = 16, observation_seed: int = 1
) -> Problem:
    """Lorenz-96 with truth ``(h, F, c, b) = (1, 10, 10, 10)`` and prior ranges
    ``h in [0.5, 1.5]``, ``F, c, b in [6, 14]``.

    The observations are the statistics of a run at the truth from another initial condition
    (``observation_seed``); the noise of each statistic is its standard deviation over
    ``replicates`` initial conditions at the truth (its internal variability).

    Example:
        >>> p = lorenz96(Lorenz96(window=1.0), replicates=3)
        >>> sorted(p.noise) == sorted(LORENZ96_STATISTICS), p.space.names
        (True, ['h', 'F', 'c', 'b'])
    """
    system = system or Lorenz96()
    truth = np.array([[LORENZ96_TRUTH[k] for k in ("h", "F", "c", "b")]])
    seeds = [observation_seed, *range(1000, 1000 + replicates)]
    rows = system.statistics(np.repeat(truth, len(seeds), axis=0), system.initial(seeds))
    observed = dict(zip(LORENZ96_STATISTICS, rows[0].tolist(), strict=True))
    noise = dict(zip(LORENZ96_STATISTICS, np.std(rows[1:], axis=0, ddof=1).tolist(), strict=True))
    space = Space(
        {"h": Float(0.5, 1.5), "F": Float(6.0, 14.0), "c": Float(6.0, 14.0), "b": Float(6.0, 14.0)}
    )
    return Problem(system.simulate, space, observed, noise, LORENZ96_TRUTH)
