"""Bayesian optimization sampler: history -> GP surrogates -> LogEI -> the next points to run.

Composition only; the maths lives in ``models/`` and ``acquisition/``. One ``suggest`` call:

1. Reads the history: complete and early-stopped trials with finite objective values train the
   objective model (a stopped trial with its last report; only complete ones are incumbents;
   several objectives are scalarized ParEGO-style); complete and stopped trials with a finite
   constraint value train that constraint's model; failed trials train nothing; running and queued
   trials are pending. Every trial's parameters are ``seen`` and never suggested again. Two or
   three objectives get one GP each and log EHVI instead (``multi.py``).
2. Until ``n_init`` trials are complete or pending, takes the scrambled Sobol sequence (trial
   number ``k`` takes point ``k``, as the ``sobol`` sampler does).
3. Otherwise fits the GPs (warm-started from this sampler's previous fit on the same space), makes
   them believe their own posterior mean at the pending points (kriging believer), and for each of
   the ``n`` points maximizes LogEI x P(feasible), then believes the chosen point too, so a batch
   and concurrent workers get distinct, useful points. When the fitted noise is large, LogEI is
   noisy EI (``acquisition/noisy.py``): averaged over joint posterior draws of the observed values.
4. Any model failure falls back to Sobol points with a ``SamplerFallbackWarning``; ``suggest``
   never raises for a numerical reason.
"""

# ruff: noqa: N803, N806  (matrix names X, Y, U follow the maths and scikit-learn)

from __future__ import annotations

import hashlib
import math
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, replace

import numpy as np
from numpy.typing import NDArray

from paramscope.acquisition import (
    Acquisition,
    AcquisitionFunction,
    ConstraintModel,
    LatentDraws,
    LogNoisyEI,
    augmented_chebyshev,
    optimize_acquisition,
    random_unseen,
    random_weights,
)
from paramscope.acquisition.cost import PerUnitCost
from paramscope.errors import ConfigError
from paramscope.models import FeatureMap, GaussianProcess, GPHyper, GPOptions, OutputTransform
from paramscope.models.features import ParamKey
from paramscope.models.linalg import ModelFitError, blas_threads
from paramscope.samplers.base import History
from paramscope.samplers.bayes_options import BayesOptions
from paramscope.samplers.cost import fit_cost_model
from paramscope.samplers.multi import MAX_EHVI_OBJECTIVES, HypervolumeModels, fit_hypervolume_models
from paramscope.samplers.random import trial_rng
from paramscope.samplers.sobol import sobol_points
from paramscope.space import FloatArray, Params, Space
from paramscope.trial import Trial, TrialState

_FALLBACK_ERRORS = (ModelFitError, np.linalg.LinAlgError, ArithmeticError, ValueError)
_N_ANCHORS = 5
_MODELLED = (TrialState.COMPLETE, TrialState.STOPPED)  # trials whose values train the objective


class SamplerFallbackWarning(RuntimeWarning):
    """The Bayesian sampler could not use its model and suggested quasi-random points instead."""


@dataclass(frozen=True)
class _Data:
    """The history as arrays: ``X: (n, d)``, minimized objectives ``Y: (n, k)`` and the rest."""

    X: FloatArray
    Y: FloatArray
    feasible: NDArray[np.bool_]
    constraints: Mapping[str, tuple[FloatArray, FloatArray]]
    pending: FloatArray
    seen: frozenset[ParamKey]


@dataclass(frozen=True)
class _Fit:
    """A cached hyperparameter fit: its data, their size, and the size at the last full fit."""

    fingerprint: str
    hyper: GPHyper
    n_fit: int
    n_full: int


@dataclass(frozen=True)
class _Models:
    """Fitted models ready for acquisition, and where to search first."""

    objective: GaussianProcess | None
    incumbent: float
    constraints: tuple[ConstraintModel, ...]
    constraint_gps: tuple[GaussianProcess, ...]
    anchors: FloatArray
    multi: HypervolumeModels | None = None  # two or three objectives: one GP each, log EHVI
    draws: LatentDraws | None = None  # a noisy objective: noisy EI over these draws

    def believe(self, U: FloatArray) -> _Models:
        """Condition every model on its own posterior mean at ``U: (q, d)`` (kriging believer)."""
        if U.shape[0] == 0:
            return self
        constraints, gps = [], []
        feasible = np.ones(U.shape[0], dtype=bool)
        for c, gp in zip(self.constraints, self.constraint_gps, strict=True):
            mean = gp.predict(U)[0]
            feasible &= mean <= c.bound if c.op == "<=" else mean >= c.bound
            gps.append(gp.condition(U, mean))
            constraints.append(replace(c, model=gps[-1]))
        if self.multi is not None:
            multi = self.multi.believe(U, feasible)
            return _Models(None, 0.0, tuple(constraints), tuple(gps), self.anchors, multi)
        objective, incumbent = self.objective, self.incumbent
        if objective is not None:
            mean = objective.predict(U)[0]
            objective = objective.condition(U, mean)
            if feasible.any():
                incumbent = min(incumbent, float(mean[feasible].min()))
        draws = None if self.draws is None else self.draws.believe(U, feasible)
        gps_t, constraints_t = tuple(gps), tuple(constraints)
        return _Models(objective, incumbent, constraints_t, gps_t, self.anchors, None, draws)


def _is_feasible(values: Mapping[str, float], constraints: Mapping[str, tuple[str, float]]) -> bool:
    for name, (op, bound) in constraints.items():
        v = values.get(name)
        if v is None or not math.isfinite(v):
            return False
        if (op == "<=" and not v <= bound) or (op == ">=" and not v >= bound):
            return False
    return True


_Encoded = dict[int, tuple[Mapping[str, object], FloatArray, ParamKey]]


def _encoded(
    history: History, fmap: FeatureMap, t: Trial, cache: _Encoded
) -> tuple[FloatArray, ParamKey]:
    """A trial's unit-cube point and key, from ``cache`` when its parameters are unchanged (a
    study's trials keep their parameters: encoding hundreds of them on every call was 5% of a
    suggestion at 500 trials)."""
    entry = cache.get(t.number)
    if entry is not None and entry[0] == t.params:
        return entry[1], entry[2]
    u, key = history.space.encode(t.params), fmap.params_key(t.params)
    cache[t.number] = (dict(t.params), u, key)
    return u, key


def _collect(history: History, fmap: FeatureMap, cache: _Encoded | None = None) -> _Data:
    cache = {} if cache is None else cache
    names = list(history.objectives)
    signs = np.array([1.0 if history.objectives[n] == "min" else -1.0 for n in names])
    X, Y, feasible, pending, seen = [], [], [], [], set()
    cons: dict[str, tuple[list[FloatArray], list[float]]] = {
        c: ([], []) for c in history.constraints
    }
    for t in history.trials:
        try:
            u, key = _encoded(history, fmap, t, cache)
        except (KeyError, ValueError, TypeError):
            continue  # parameters from another space version: not usable, not suggestible
        seen.add(key)
        if t.state in (TrialState.RUNNING, TrialState.QUEUED):
            pending.append(u)
            continue
        if t.state == TrialState.FAILED:
            continue
        for name, (xs, ys) in cons.items():
            v = t.values.get(name)
            if v is not None and math.isfinite(v):
                xs.append(u)
                ys.append(float(v))
        values = [t.values.get(n) for n in names]
        if t.state not in _MODELLED or any(v is None or not math.isfinite(v) for v in values):
            continue
        X.append(u)
        Y.append(signs * np.array(values, dtype=float))
        # A stopped trial's value is its last report: it teaches the model that its region is
        # poor, but it is no incumbent (it never finished), so it never counts as feasible.
        complete = t.state == TrialState.COMPLETE
        feasible.append(complete and _is_feasible(t.values, history.constraints))
    d, k = history.space.dim, len(names)
    return _Data(
        X=np.array(X).reshape(len(X), d),
        Y=np.array(Y).reshape(len(Y), k),
        feasible=np.array(feasible, dtype=bool),
        constraints={
            c: (np.array(xs).reshape(len(xs), d), np.array(ys)) for c, (xs, ys) in cons.items()
        },
        pending=np.array(pending).reshape(len(pending), d),
        seen=frozenset(seen),
    )


class BayesSampler:
    """GP-based Bayesian optimization (the default ``sampler="bayes"``); see the module doc.

    The sampler keeps a small cache of hyperparameters per space to warm-start the next fit, so
    one object should serve one study across calls. Under a seed, the same sequence of histories
    gives the same suggestions.

    Example:
        >>> from paramscope.space import Space, Float
        >>> history = History(Space({"x": Float(0.0, 1.0)}), seed=0)
        >>> len(BayesSampler().suggest(history, n=2))
        2
    """

    def __init__(self, options: BayesOptions | None = None) -> None:
        self.options = options or BayesOptions()
        self._cache: dict[tuple[Space, str], _Fit] = {}
        self._encoded: dict[Space, _Encoded] = {}
        self._seed = int(np.random.SeedSequence().entropy % (2**63))  # type: ignore[operator]

    def suggest(self, history: History, n: int = 1) -> list[Params]:
        """``n`` distinct new parameter dicts for ``history``, none already tried or pending.

        Args:
            history: the study so far (space, objectives, constraints, trials, seed).
            n: how many points to propose together (a batch, chosen greedily with fantasies).

        Raises:
            ConfigError: ``n`` is not an integer >= 1.

        Example:
            >>> from paramscope.space import Space, Int
            >>> from paramscope.trial import Trial
            >>> space = Space({"k": Int(0, 9)})
            >>> done = tuple(Trial(number=i, params={"k": i}, state="complete", values={"value": i})
            ...              for i in range(6))
            >>> batch = BayesSampler().suggest(History(space, done, seed=0), n=2)
            >>> len(batch), all(p["k"] not in range(6) for p in batch)
            (2, True)
        """
        if not isinstance(n, int) or n < 1:
            raise ConfigError(f"suggest: n must be an integer >= 1, got {n!r}")
        with blas_threads(self.options.blas_threads):
            return self._suggest(history, n)

    def _suggest(self, history: History, n: int) -> list[Params]:
        fmap = FeatureMap.from_space(history.space)
        data = _collect(history, fmap, self._encoded.setdefault(history.space, {}))
        started = data.X.shape[0] + data.pending.shape[0]
        n_sobol = min(n, max(0, self.options.initial_design_size(fmap.dim) - started))
        points = self._sobol(history, fmap, set(data.seen), n_sobol, 0)
        if n_sobol < n:
            rng = trial_rng(history.seed, history.next_number)
            try:
                picks = self._bayes(fmap, history, data, n - n_sobol, points, rng)
            except _FALLBACK_ERRORS as exc:
                warnings.warn(
                    f"bayes sampler: the model failed ({type(exc).__name__}: {exc}); "
                    "suggesting quasi-random points instead",
                    SamplerFallbackWarning,
                    stacklevel=3,  # the caller of suggest
                )
                picks = None
            if picks is None:  # too little data for any model, or a failed one: stay quasi-random
                seen = self._seen(fmap, data, points)
                picks = self._sobol(history, fmap, seen, n - n_sobol, n_sobol)
            points += picks
        return [history.space.decode(u) for u in points]

    @staticmethod
    def _seen(fmap: FeatureMap, data: _Data, points: list[FloatArray]) -> set[ParamKey]:
        return set(data.seen) | {fmap.key(u) for u in points}

    def _sobol(
        self, history: History, fmap: FeatureMap, seen: set[ParamKey], count: int, offset: int
    ) -> list[FloatArray]:
        """``count`` unseen points of the scrambled Sobol sequence from trial ``next + offset``."""
        seed = history.seed if history.seed is not None else self._seed
        out: list[FloatArray] = []
        start = history.next_number + offset
        for _ in range(8):
            if len(out) == count:
                break
            for u in sobol_points(fmap.dim, start, 4 * count, seed):
                if len(out) < count and fmap.key(u) not in seen:
                    seen.add(fmap.key(u))
                    out.append(u)
            start += 4 * count
        rng = trial_rng(history.seed, history.next_number + offset)
        while len(out) < count:
            out.append(random_unseen(fmap, rng, seen))
            seen.add(fmap.key(out[-1]))
        return out

    def _bayes(
        self,
        fmap: FeatureMap,
        history: History,
        data: _Data,
        count: int,
        batch: list[FloatArray],
        rng: np.random.Generator,
    ) -> list[FloatArray] | None:
        """``count`` points by the models, or None when there is too little data to fit one."""
        fitted = self._models(fmap, history, data, rng)
        if fitted is None:
            return None
        models = fitted.believe(np.vstack([data.pending, *[u[None] for u in batch]]))
        seen = self._seen(fmap, data, batch)
        cost = None
        if self.options.cost is not None:
            cost = fit_cost_model(
                history, self.options.cost, lambda role, X, y: self._fit(fmap, role, X, y, rng)
            )
        picks: list[FloatArray] = []
        for _ in range(count):
            score: Acquisition
            if models.multi is not None:
                score = models.multi.acquisition(models.constraints)
            elif models.draws is not None:
                score = LogNoisyEI(models.draws, models.constraints)
            else:
                score = AcquisitionFunction(
                    models.objective,
                    incumbent=models.incumbent,
                    constraints=models.constraints,
                    kind=self.options.acquisition,
                    beta=self.options.ucb_beta,
                )
            if cost is not None:
                score = PerUnitCost(score, cost, self.options.cost_weight)
            u = optimize_acquisition(
                score,
                fmap,
                rng=rng,
                seen=seen,
                anchors=models.anchors,
                options=self.options.optimizer,
            )
            picks.append(u)
            seen.add(fmap.key(u))
            if len(picks) < count:
                models = models.believe(u[None])
        return picks

    def _models(
        self, fmap: FeatureMap, history: History, data: _Data, rng: np.random.Generator
    ) -> _Models | None:
        constraints, gps = [], []
        for name, (op, bound) in history.constraints.items():
            Xc, yc = data.constraints[name]
            if Xc.shape[0] < 2:
                continue
            t = OutputTransform.fit(yc, power=False)
            gps.append(self._fit(fmap, f"constraint:{name}", Xc, t.forward(yc), rng))
            constraints.append(ConstraintModel(gps[-1], float(t.forward(np.array(bound))), op))
        feasible = data.feasible
        if constraints and (data.X.shape[0] < 2 or not feasible.any()):
            # Nothing feasible yet: search for feasibility first.
            acq = AcquisitionFunction(None, constraints=tuple(constraints))
            X = np.vstack([c[0] for c in data.constraints.values()])
            anchors = X[np.argsort(-acq(X), kind="stable")[:_N_ANCHORS]]
            return _Models(None, 0.0, tuple(constraints), tuple(gps), anchors)
        if data.X.shape[0] < 2:
            return None
        if not feasible.any():  # constraints declared but never reported: nothing to model them on
            feasible = np.ones_like(feasible)
        if 1 < data.Y.shape[1] <= MAX_EHVI_OBJECTIVES:
            multi, anchors = fit_hypervolume_models(
                lambda role, X, z: self._fit(fmap, role, X, z, rng),
                list(history.objectives),
                data.X,
                data.Y,
                feasible,
                rng=rng,
                n_anchors=_N_ANCHORS,
            )
            return _Models(None, 0.0, tuple(constraints), tuple(gps), anchors, multi)
        y = data.Y[:, 0]
        if data.Y.shape[1] > 1:
            y = augmented_chebyshev(data.Y, random_weights(data.Y.shape[1], rng))
        z = OutputTransform.fit(y).forward(y)
        gp = self._fit(fmap, "objective", data.X, z, rng)
        assert gp.hyper is not None
        incumbent = float(z[feasible].min())
        noisy = gp.hyper.noise > self.options.noisy_threshold * gp.hyper.outputscale
        ranked, draws = z, None
        if noisy and not self._gp_options.deterministic:
            # A noisy best observation is partly luck: rank by the posterior mean, and improve on
            # the plausible values of the observed points, not on one lucky draw (noisy EI).
            ranked = gp.predict_mean(data.X)
            incumbent = float(ranked[feasible].min())
            if self.options.acquisition == "ei":
                seed = int(rng.integers(2**31))
                draws = LatentDraws.from_posterior(
                    gp, data.X, feasible, self.options.noisy_draws, seed
                )
        order = np.argsort(np.where(feasible, ranked, np.inf), kind="stable")[:_N_ANCHORS]
        anchors = data.X[order[feasible[order]]]
        return _Models(gp, incumbent, tuple(constraints), tuple(gps), anchors, None, draws)

    @property
    def _gp_options(self) -> GPOptions:
        gp = self.options.gp
        return replace(gp, deterministic=True) if self.options.deterministic else gp

    def _fit(
        self, fmap: FeatureMap, role: str, X: FloatArray, y: FloatArray, rng: np.random.Generator
    ) -> GaussianProcess:
        """A GP on ``(X, y)``: the cached hyperparameters for the same (or barely grown) data, else
        a fit warm-started from them (multi-start when the data have grown by ``refit_growth``)."""
        seed = int(rng.integers(2**31))
        key = (fmap.space, role)
        fingerprint = hashlib.blake2b(X.tobytes() + y.tobytes(), digest_size=16).hexdigest()
        entry = self._cache.get(key)
        options = self._gp_options
        n = X.shape[0]
        if entry is not None and (
            entry.fingerprint == fingerprint
            or n < entry.n_fit * (1.0 + self.options.refit_tolerance)
        ):
            return GaussianProcess(fmap, hyper=entry.hyper, options=options).condition(X, y)
        full = entry is None or n >= self.options.refit_growth * entry.n_full
        gp = GaussianProcess(
            fmap,
            hyper=None if entry is None else entry.hyper,
            options=options,
            full_fit=full,
            seed=seed,
        ).fit(X, y)
        assert gp.hyper is not None
        n_full = n if full or entry is None else entry.n_full
        self._cache[key] = _Fit(fingerprint, gp.hyper, n, n_full)
        return gp


__all__ = ["BayesOptions", "BayesSampler", "SamplerFallbackWarning"]
