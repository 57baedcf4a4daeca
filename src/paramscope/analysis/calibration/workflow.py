"""Calibrate: history-matching waves, then MCMC on the final emulator, checked against real runs.

``calibrate`` wires the steps of this package: runs recorded as trials (``runs.py``), emulators
(``emulator.py``), waves that rule out implausible space (``history_matching.py``), emcee on the
final emulator and the MAP (``posterior.py``), the two-level check that re-runs the simulator at
posterior draws and refits, and the identifiability report (``identifiability.py``).
"""

# ruff: noqa: N806  (matrix names X, Y, U follow the maths)

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from paramscope.analysis.calibration.emulator import Emulator
from paramscope.analysis.calibration.history_matching import (
    BoolArray,
    IntArray,
    Matcher,
    Wave,
    design,
    grow,
    training_rows,
)
from paramscope.analysis.calibration.identifiability import identifiability
from paramscope.analysis.calibration.observations import Observations
from paramscope.analysis.calibration.options import CalibrationOptions, RunPlan
from paramscope.analysis.calibration.posterior import (
    Chain,
    LogPosterior,
    find_map,
    predictive_check,
    sample,
    spread_draws,
    start_points,
)
from paramscope.analysis.calibration.result import CalibrationResult, Diagnostics, EmulatorCheck
from paramscope.analysis.calibration.runs import CalibrationError, RunRecorder, Simulator
from paramscope.analysis.calibration.summary import draws_frame, posterior_warnings
from paramscope.errors import ConfigError
from paramscope.models import FeatureMap, ModelFitError
from paramscope.models.linalg import blas_threads
from paramscope.samplers.sobol import sobol_points
from paramscope.space import Float, FloatArray, Space
from paramscope.storage.base import Storage
from paramscope.study import check_budget

_BLAS_THREADS = 1
"""BLAS threads while designing and sampling: small matrices gain nothing from more."""


@dataclass
class _Session:
    """The working state of one calibration (internal; the result is frozen)."""

    simulate: Simulator
    recorder: RunRecorder
    matcher: Matcher
    options: CalibrationOptions
    fmap: FeatureMap
    rng: np.random.Generator
    seed: int
    reference: FloatArray
    keep: BoolArray
    emulators: list[Emulator] = field(default_factory=list)
    active: list[Emulator] = field(default_factory=list)
    waves: list[Wave] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def next_seed(self) -> int:
        return int(self.rng.integers(2**31 - 1))

    def fit(self, rows: IntArray) -> Emulator:
        """An emulator on the complete runs ``rows`` (indices into the recorder's data)."""
        X, Y = self.recorder.X[rows], self.recorder.Y[rows]
        try:
            return Emulator.fit(
                X, Y, self.fmap, options=self.options.emulator, seed=self.next_seed()
            )
        except ModelFitError as exc:
            raise CalibrationError(
                f"could not fit the emulator on {len(rows)} runs: {exc}"
            ) from None

    def least_training(self) -> int:
        return int(min(self.recorder.X.shape[0], max(2 * (self.fmap.dim + 1), 10)))


def _check_arguments(simulate: Any, space: Any, seed: Any, options: Any) -> None:
    if not callable(simulate):
        raise ConfigError(f"simulate: expected a function params -> outputs, got {simulate!r}")
    if not isinstance(space, Space):
        raise ConfigError(f"space: expected ps.Space({{...}}), got {type(space).__name__}")
    for name, param in space.items:
        if not isinstance(param, Float) or param.step is not None:
            raise ConfigError(
                f"space.{name}: calibrate needs continuous ps.Float parameters (no step), "
                f"got {param.to_dict()}"
            )
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
        raise ConfigError(f"seed: expected an integer or None, got {seed!r}")
    if not isinstance(options, CalibrationOptions):
        raise ConfigError(f"options: expected CalibrationOptions(...), got {options!r}")


def _wave(session: _Session, index: int, size: int) -> None:
    """Run one wave of ``size`` runs, fit its emulator, rule out what it finds implausible."""
    recorder, dim = session.recorder, session.fmap.dim
    if index == 1:
        U = sobol_points(dim, 0, size, session.seed)
    else:
        with blas_threads(_BLAS_THREADS):
            U = design(
                session.matcher, session.active, session.reference, recorder.X, size, session.rng
            )
    failed_before = recorder.failed
    recorder.run(session.simulate, U)
    if recorder.X.shape[0] < dim + 2:
        first = recorder.errors[0] if recorder.errors else "none"
        raise CalibrationError(
            f"only {recorder.X.shape[0]} of {recorder.runs} simulator runs completed, too few "
            f"to emulate {dim} parameters; first failure: {first}"
        )
    rows = training_rows(session.matcher, session.active, recorder.X, session.least_training())
    emulator = session.fit(rows)
    session.emulators.append(emulator)
    with blas_threads(_BLAS_THREADS):
        keep = session.keep.copy()
        idx = np.flatnonzero(keep)
        keep[idx] = session.matcher.keep([emulator], session.reference[idx])
        runs_kept = session.matcher.keep([*session.active, emulator], recorder.X)
    empty = not keep.any() and not runs_kept.any()
    if empty:
        session.warnings.append(
            f"wave {index} ruled out every point of the space (implausibility > "
            f"{session.matcher.cutoff:g} everywhere): the simulator may not be able to match "
            "the observations within the stated noise and discrepancy; the posterior then "
            "describes the least-bad fit"
        )
    else:
        session.keep = keep
        session.active.append(emulator)
    session.waves.append(
        Wave(
            index=index,
            runs=recorder.runs - sum(w.runs for w in session.waves),
            failed=recorder.failed - failed_before,
            trained_on=len(rows),
            fraction_ruled_out=1.0 - float(session.keep.mean()),
            nroy_points=int(session.keep.sum()),
            empty=empty,
        )
    )


def _chain(
    session: _Session,
    target: LogPosterior,
    extra: FloatArray | None = None,
    *,
    steps: int,
    final: bool = True,
) -> Chain:
    """MCMC on ``target``, started at the most probable of the NROY points (and ``extra``)."""
    options = session.options
    dim = session.fmap.dim
    walkers = options.walkers or max(16, 6 * dim)
    walkers += walkers % 2
    seeds = [session.reference[session.keep], session.recorder.X]
    if extra is not None:
        seeds.append(extra)
    candidates = np.vstack(seeds)
    candidates = candidates[session.matcher.keep(target.truncation, candidates)]
    if candidates.shape[0] < 4 * walkers:
        base = candidates if candidates.shape[0] else session.reference
        candidates = grow(session.matcher, target.truncation, base, 8 * walkers, session.rng)
    start = start_points(target, candidates, walkers, session.rng)
    longest = (options.max_steps or 4 * steps) if final else steps
    return sample(target, start, steps=steps, seed=session.next_seed(), max_steps=longest)


def _two_level(
    session: _Session, target: LogPosterior, chain: Chain, runs: int
) -> tuple[LogPosterior, Chain, EmulatorCheck]:
    """Run the simulator at ``runs`` posterior draws, compare with the emulator, refit, resample."""
    recorder = session.recorder
    U = spread_draws(chain.U, runs, recorder.X, session.rng)
    before, failed_before = recorder.X.shape[0], recorder.failed
    recorder.run(session.simulate, U)
    X_new, Y_new = recorder.X[before:], recorder.Y[before:]
    obs = session.matcher.obs
    if X_new.shape[0] == 0:
        check = EmulatorCheck(0, recorder.failed - failed_before, math.nan, math.nan, False)
        return target, chain, check
    with blas_threads(_BLAS_THREADS):
        mean, var = target.emulator.predict(X_new)
    error = Y_new - mean
    coverage = float(np.mean(np.abs(error) <= 2.0 * np.sqrt(var)))
    to_noise = float(np.sqrt(np.mean((error / obs.noise) ** 2)))
    rows = training_rows(session.matcher, target.truncation, recorder.X, session.least_training())
    refit = LogPosterior(session.fit(rows), session.matcher, target.truncation)
    with blas_threads(_BLAS_THREADS):
        thinned = chain.U[:: max(1, chain.U.shape[0] // 500)]
        chain = _chain(session, refit, thinned, steps=session.options.steps)
    check = EmulatorCheck(X_new.shape[0], recorder.failed - failed_before, coverage, to_noise, True)
    return refit, chain, check


def calibrate(
    simulate: Simulator,
    space: Space,
    *,
    observed: Any,
    noise: Any,
    budget: int = 200,
    seed: int | None = None,
    storage: str | Storage | None = None,
    options: CalibrationOptions | None = None,
) -> CalibrationResult:
    """Calibrate ``simulate``'s parameters against observations: history matching, then MCMC.

    Args:
        simulate: ``simulate(params) -> vector | dict`` of outputs matching ``observed`` (or
            ``simulate(params, trial)``). A run that raises or returns the wrong shape, NaN or
            inf is a failed trial and calibration goes on.
        space: the parameters, all continuous ``ps.Float``; the prior is uniform on the space's
            unit cube (log-uniform for ``log=True``).
        observed: the data, a vector or a dict of named outputs (numbers or vectors).
        noise: the observation error's standard deviation: a number, one per output, or a
            dict by observed name.
        budget: simulator runs in all (history-matching waves and the check at posterior draws).
        seed: makes the designs, the emulators' fits and the MCMC reproducible.
        storage: database URL (or storage) that records the runs as trials; None keeps them in
            a temporary database.
        options: waves, cutoff, discrepancy, MCMC length, check runs (``CalibrationOptions``).

    Returns:
        The frozen ``CalibrationResult``: ``samples``, ``map``, ``interval(name, level)``,
        ``waves``, ``predictive``, ``identifiability``, ``emulator_check``, ``warnings``.

    Raises:
        ConfigError: bad observations (shape, NaN), noise <= 0, a budget too small, a space
            with non-continuous parameters.
        CalibrationError: too few runs completed to emulate the simulator.

    Example:
        >>> import paramscope as ps
        >>> space = ps.Space({"a": ps.Float(-2.0, 2.0)})
        >>> from paramscope.analysis.calibration import CalibrationOptions
        >>> opts = CalibrationOptions(steps=200, waves=2)
        >>> cal = ps.calibrate(lambda p: [p["a"], p["a"] ** 2], space, observed=[1.0, 1.0],
        ...                    noise=0.1, budget=20, seed=0, options=opts)
        >>> low, high = cal.interval("a", level=0.9)
        >>> bool(low < 1.0 < high), round(cal.map["a"], 1)
        (True, 1.0)
    """
    options = options if options is not None else CalibrationOptions()
    _check_arguments(simulate, space, seed, options)
    check_budget(budget)
    obs = Observations.build(observed, noise, options.discrepancy)
    plan = RunPlan.build(budget, space.dim, options)
    rng = np.random.default_rng(seed)
    base_seed = int(rng.integers(2**31 - 1)) if seed is None else seed
    recorder = RunRecorder.open(space, obs, storage=storage, name=options.name)
    try:
        matcher = Matcher(obs, options.cutoff, options.rank(obs.size))
        reference = sobol_points(space.dim, 0, options.reference_points, base_seed + 1)
        session = _Session(
            simulate,
            recorder,
            matcher,
            options,
            FeatureMap.from_space(space),
            rng,
            base_seed,
            reference,
            np.ones(reference.shape[0], dtype=bool),
        )
        return _calibrate(session, plan)
    finally:
        recorder.close()


def _calibrate(session: _Session, plan: RunPlan) -> CalibrationResult:
    for index, size in enumerate(plan.waves, start=1):
        _wave(session, index, size)
    final = session.emulators[-1]
    truncation = tuple(e for e in session.active if e is not final)
    target = LogPosterior(final, session.matcher, truncation)
    # With a check to follow, the first chain only has to find the draws to run the simulator at.
    steps = session.options.steps
    with blas_threads(_BLAS_THREADS):
        first = max(100, steps // 2) if plan.check else steps
        chain = _chain(session, target, steps=first, final=not plan.check)
    check = None
    if plan.check:
        target, chain, check = _two_level(session, target, chain, plan.check)
    return _result(session, target, chain, check)


def _result(
    session: _Session, target: LogPosterior, chain: Chain, check: EmulatorCheck | None
) -> CalibrationResult:
    recorder, options = session.recorder, session.options
    space = recorder.space
    with blas_threads(_BLAS_THREADS):
        mode = find_map(target, chain)
        simulated = recorder.Y[recorder.Y.shape[0] - check.runs :] if check and check.runs else None
        predictive = predictive_check(target, chain.U, simulated, level=0.9, rng=session.rng)
    report = identifiability(
        chain.U,
        space.names,
        unidentified_ratio=options.unidentified_ratio,
        correlation=options.correlation,
    )
    autocorr = float(np.nanmax(chain.autocorr)) if chain.autocorr.size else math.nan
    diagnostics = Diagnostics(chain.walkers, chain.steps, chain.acceptance, autocorr)
    notes = session.warnings + posterior_warnings(
        recorder, chain, report, predictive, check, diagnostics
    )
    for note in notes:
        warnings.warn(f"calibrate: {note}", RuntimeWarning, stacklevel=4)
    return CalibrationResult(
        samples=draws_frame(space, chain.U),
        map=space.decode(mode),
        waves=tuple(session.waves),
        predictive=predictive,
        identifiability=report,
        emulator_check=check,
        diagnostics=diagnostics,
        runs_used=recorder.runs,
        runs_failed=recorder.failed,
        warnings=tuple(notes),
        trials=recorder.trials(),
        study=recorder.study.name,
        storage=recorder.storage_url,
    )
