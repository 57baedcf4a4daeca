"""Calibration summary: posterior draws in parameter units, and the warnings a result must carry.

A calibration can finish and still be doubtful: runs failed, the chain was short for its
autocorrelation time, the emulator missed the real simulator at posterior draws, an observation
no parameter value reproduces, a posterior piled against the edge of its range. Each becomes a
sentence in ``CalibrationResult.warnings`` (and a ``RuntimeWarning``), never a silent answer.
"""

# ruff: noqa: N803  (matrix name U follows the maths)

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from paramscope.analysis.calibration.identifiability import Identifiability
from paramscope.analysis.calibration.posterior import MIN_AUTOCORR_MULTIPLE, Chain, OutputCheck
from paramscope.analysis.calibration.result import Diagnostics, EmulatorCheck
from paramscope.analysis.calibration.runs import RunRecorder
from paramscope.space import Float, FloatArray, Space

if TYPE_CHECKING:
    import pandas as pd


def decode_columns(space: Space, U: FloatArray) -> FloatArray:
    """Unit-cube draws ``U: (s, d)`` in parameter units, for continuous ``Float`` parameters.

    Example:
        >>> space = Space({"a": Float(0.0, 10.0), "lr": Float(1e-4, 1e-2, log=True)})
        >>> decode_columns(space, np.array([[0.5, 0.5]])).round(6).tolist()
        [[5.0, 0.001]]
    """
    out = np.empty_like(U, dtype=float)
    for j, (_, param) in enumerate(space.items):
        assert isinstance(param, Float)
        u = np.clip(U[:, j], 0.0, 1.0)
        if param.log:
            lo, hi = math.log(param.low), math.log(param.high)
            out[:, j] = np.clip(np.exp(lo + u * (hi - lo)), param.low, param.high)
        else:
            out[:, j] = param.low + u * (param.high - param.low)
    return out


def draws_frame(space: Space, U: FloatArray) -> pd.DataFrame:
    """Posterior draws as a DataFrame with one column per parameter (parameter units).

    Example:
        >>> draws_frame(Space({"h": Float(0.5, 1.5)}), np.array([[0.5], [1.0]]))["h"].tolist()
        [1.0, 1.5]
    """
    import pandas as pd

    return pd.DataFrame(decode_columns(space, U), columns=space.names)


def _run_warnings(recorder: RunRecorder) -> list[str]:
    if not recorder.failed:
        return []
    first = recorder.errors[0].strip().splitlines()[0] if recorder.errors else "unknown"
    return [
        f"{recorder.failed} of {recorder.runs} simulator runs failed and were left out (they are "
        f"failed trials in study {recorder.study.name!r}); first reason: {first}"
    ]


def _chain_warnings(diagnostics: Diagnostics) -> list[str]:
    notes = []
    kept = diagnostics.steps - diagnostics.steps // 2
    tau = diagnostics.autocorr
    if math.isfinite(tau) and kept < MIN_AUTOCORR_MULTIPLE * tau:
        notes.append(
            f"the MCMC kept {kept} steps per walker, fewer than {MIN_AUTOCORR_MULTIPLE} "
            f"autocorrelation times ({tau:.0f} steps): intervals are rough; raise options.max_steps"
        )
    if diagnostics.acceptance < 0.05:
        notes.append(
            f"the MCMC accepted only {diagnostics.acceptance:.1%} of its moves: the posterior may "
            "be badly explored"
        )
    return notes


def _check_warnings(check: EmulatorCheck | None) -> list[str]:
    if check is None:
        return []
    if check.runs == 0:
        return ["every check run at the posterior draws failed: the emulator was not verified"]
    if check.coverage < 0.8:
        return [
            f"at {check.runs} posterior draws only {check.coverage:.0%} of the simulator's outputs "
            "were within 2 standard deviations of the emulator (error "
            f"{check.error_to_noise:.2f} x the noise); it was refit with these runs, but the "
            "intervals may still be too narrow: a larger budget would make them trustworthy"
        ]
    return []


def _edge_warnings(names: Sequence[str], U: FloatArray, report: Identifiability) -> list[str]:
    notes = []
    low, high = np.quantile(U, [0.05, 0.95], axis=0)
    for j, name in enumerate(names):
        if name in report.unidentified:
            continue
        if low[j] < 0.005 or high[j] > 0.995:
            side = "lower" if low[j] < 0.005 else "upper"
            notes.append(
                f"{name}'s posterior piles up against the {side} bound of its range: the range "
                "may be too narrow to hold the best values"
            )
    return notes


def posterior_warnings(
    recorder: RunRecorder,
    chain: Chain,
    report: Identifiability,
    predictive: Sequence[OutputCheck],
    check: EmulatorCheck | None,
    diagnostics: Diagnostics,
) -> list[str]:
    """Every reason to doubt the result, as sentences (empty when none)."""
    notes = _run_warnings(recorder) + _chain_warnings(diagnostics) + _check_warnings(check)
    notes += _edge_warnings(recorder.space.names, chain.U, report)
    for item in predictive:
        if item.p_value < 0.01:
            notes.append(
                f"output {item.name} is hard to match: observed {item.observed:.4g}, predicted "
                f"{item.predicted:.4g} (p = {item.p_value:.3f}); the simulator may not reproduce "
                "it at any parameter value, or its noise is understated"
            )
    return notes
