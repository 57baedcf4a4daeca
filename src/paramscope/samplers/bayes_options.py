"""Settings of the bayes sampler: the effort and behaviour a study can choose.

``USER_OPTIONS`` are the ones a study stores (``sampler_options`` / the study file's ``[sampler]``
table); the rest are for benchmarks and experiments.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from paramscope.acquisition import OptimizeOptions
from paramscope.errors import ConfigError
from paramscope.models import GPOptions

USER_OPTIONS: dict[str, type] = {
    "deterministic": bool,
    "n_init": int,
    "acquisition": str,
    "ucb_beta": float,
    "cost": str,
    "cost_weight": float,
}
"""The settings a study may store for the bayes sampler (``sampler_options``), and their types."""


@dataclass(frozen=True)
class BayesOptions:
    """Settings of ``BayesSampler``.

    Attributes:
        n_init: size of the Sobol initial design; None = ``max(5, min(2 d, 10))``
            (``benchmarks/initial_design.py``: an uncapped 2·d did no better above d = 5).
        acquisition: ``"ei"`` (LogEI, noise-aware when the fitted noise is large) or ``"ucb"``.
        ucb_beta: UCB's exploration weight (``mean - sqrt(beta) * std``).
        cost: name of a cost metric the objective returns (seconds, GPU-hours): maximize
            improvement per unit cost, ``log EI - cost_weight * E[log cost]``.
        cost_weight: exponent of the cost in that ratio, in ``[0, 1]``.
        deterministic: the objective returns the same value for the same parameters: fix the
            GP noise at a tiny value instead of inferring it.
        noisy_threshold: fitted noise / outputscale above which EI becomes noisy EI.
        noisy_draws: posterior draws of the observed values that noisy EI averages over (a
            power of two: they are scrambled Sobol points).
        refit_growth: run a full multi-start hyperparameter fit when the data have grown by this
            factor since the last one; in between, one warm-started run.
        refit_tolerance: keep the last fitted hyperparameters (only conditioning on the new data)
            until the data have grown by this fraction: every trial below 50 points, every 10th
            at 500. Hyperparameters barely move with one more point; the fit is the main cost.
        blas_threads: BLAS threads while suggesting (None: leave the process's setting); one is
            fastest for a GP's matrices and immune to oversubscription by parallel workers.
        gp: priors and effort of the GP hyperparameter fits.
        optimizer: effort of the acquisition optimizer.

    Example:
        >>> BayesOptions().initial_design_size(3)
        6
    """

    n_init: int | None = None
    acquisition: Literal["ei", "ucb"] = "ei"
    ucb_beta: float = 4.0
    cost: str | None = None
    cost_weight: float = 1.0
    deterministic: bool = False
    noisy_threshold: float = 1e-3
    noisy_draws: int = 16
    refit_growth: float = 1.5
    refit_tolerance: float = 0.02
    blas_threads: int | None = 1
    gp: GPOptions = field(default_factory=GPOptions)
    optimizer: OptimizeOptions = field(default_factory=OptimizeOptions)

    def __post_init__(self) -> None:
        if self.n_init is not None and (not isinstance(self.n_init, int) or self.n_init < 1):
            raise ConfigError(f"BayesOptions: n_init must be an integer >= 1, got {self.n_init!r}")
        if self.acquisition not in ("ei", "ucb"):
            raise ConfigError(
                f"BayesOptions: acquisition must be 'ei' or 'ucb', got {self.acquisition!r}"
            )
        if not 0.0 <= self.cost_weight <= 1.0:
            raise ConfigError(
                f"BayesOptions: cost_weight must be in [0, 1], got {self.cost_weight!r}"
            )
        if not self.ucb_beta > 0:
            raise ConfigError(f"BayesOptions: ucb_beta must be > 0, got {self.ucb_beta!r}")
        n = self.noisy_draws
        if not isinstance(n, int) or isinstance(n, bool) or n < 2 or n & (n - 1):
            raise ConfigError(f"BayesOptions: noisy_draws must be a power of two >= 2, got {n!r}")
        if not self.refit_growth > 1:
            raise ConfigError(f"BayesOptions: refit_growth must be > 1, got {self.refit_growth!r}")
        if not self.refit_tolerance >= 0:
            raise ConfigError(
                f"BayesOptions: refit_tolerance must be >= 0, got {self.refit_tolerance!r}"
            )

    @classmethod
    def from_mapping(cls, options: Mapping[str, Any]) -> BayesOptions:
        """The options a study stores (``sampler_options``): only the user-facing settings.

        Example:
            >>> BayesOptions.from_mapping({"deterministic": True, "n_init": 8}).n_init
            8
        """
        unknown = sorted(set(options) - set(USER_OPTIONS))
        if unknown:
            raise ConfigError(
                f"sampler_options: unknown option(s) {unknown} for 'bayes', "
                f"expected some of {list(USER_OPTIONS)}"
            )
        for name, value in options.items():
            kind = USER_OPTIONS[name]
            ok = isinstance(value, kind) and not (kind is not bool and isinstance(value, bool))
            if kind is float:
                ok = isinstance(value, int | float) and not isinstance(value, bool)
            if not ok:
                raise ConfigError(f"sampler_options: {name} must be {kind.__name__}, got {value!r}")
        return cls(**dict(options))

    def initial_design_size(self, d: int) -> int:
        """Number of Sobol points before the model takes over, for ``d`` parameters."""
        return self.n_init if self.n_init is not None else max(5, min(2 * d, 10))
