"""Identifiability: which parameters the observations constrain, said in words.

Measured on the unit cube, where the prior is uniform (standard deviation ``1/sqrt(12)``): a
parameter whose posterior standard deviation is at least ``unidentified_ratio`` of the prior's is
not identified by the data; a pair whose posterior correlation is at least ``correlation`` in
absolute value is constrained as a combination rather than one by one.
"""

# ruff: noqa: N803, N806  (matrix name U follows the maths)

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from paramscope.space import FloatArray

PRIOR_SD = 1.0 / math.sqrt(12.0)


@dataclass(frozen=True)
class Identifiability:
    """How well the observations pin down each parameter and pair.

    Attributes:
        spread: parameter -> posterior standard deviation over the prior's (unit cube; 1 means
            the data taught nothing about it).
        unidentified: parameters whose spread is at least the threshold.
        correlated: ``(a, b, r)`` for strongly correlated pairs, strongest first.
        sentences: the report in words.

    Example:
        >>> rng = np.random.default_rng(0)
        >>> a = 0.5 + 0.01 * rng.standard_normal(2000)
        >>> U = np.column_stack([a, rng.random(2000)])
        >>> report = identifiability(U, ["a", "b"])
        >>> report.unidentified
        ('b',)
    """

    spread: Mapping[str, float]
    unidentified: tuple[str, ...]
    correlated: tuple[tuple[str, str, float], ...]
    sentences: tuple[str, ...]

    def __str__(self) -> str:
        return "\n".join(self.sentences)


def _describe_spread(name: str, ratio: float) -> str:
    return (
        f"{name} is not identified: its posterior spread is {ratio:.0%} of its prior's, so the "
        f"observations say little about it."
    )


def _describe_pair(a: str, b: str, r: float) -> str:
    sign = "positively" if r > 0 else "negatively"
    trade = "rise together" if r > 0 else "trade off"
    return (
        f"{a} and {b} are strongly {sign} correlated (r = {r:+.2f}): they {trade}, and the "
        f"observations pin down a combination of them better than each alone."
    )


def identifiability(
    U: FloatArray,
    names: Sequence[str],
    *,
    unidentified_ratio: float = 0.8,
    correlation: float = 0.8,
) -> Identifiability:
    """The identifiability report of posterior draws ``U: (s, d)`` in the unit cube."""
    U = np.atleast_2d(U)
    sd = U.std(axis=0)
    spread = {name: float(s / PRIOR_SD) for name, s in zip(names, sd, strict=True)}
    unidentified = tuple(n for n in names if spread[n] >= unidentified_ratio)
    pairs: list[tuple[str, str, float]] = []
    if U.shape[1] > 1 and U.shape[0] > 2:
        with np.errstate(invalid="ignore", divide="ignore"):
            corr = np.atleast_2d(np.corrcoef(U, rowvar=False))
        for i in range(len(names)):
            for j in range(i + 1, len(names)):
                r = float(corr[i, j])
                if math.isfinite(r) and abs(r) >= correlation:
                    pairs.append((names[i], names[j], r))
    pairs.sort(key=lambda p: -abs(p[2]))
    sentences = [_describe_spread(n, spread[n]) for n in unidentified]
    sentences += [_describe_pair(a, b, r) for a, b, r in pairs]
    if not unidentified:
        widest = max(spread.values())
        sentences.insert(
            0,
            f"Every parameter is constrained by the observations: the widest posterior spread "
            f"is {widest:.0%} of its prior's.",
        )
    if not pairs and len(names) > 1:
        sentences.append(f"No pair of parameters is strongly correlated (|r| < {correlation:g}).")
    return Identifiability(spread, unidentified, tuple(pairs), tuple(sentences))
