"""Samplers: turn an immutable history into the next parameters to run; chosen by name."""

from __future__ import annotations

from collections.abc import Callable

from paramscope.errors import ConfigError
from paramscope.samplers.base import History, Sampler
from paramscope.samplers.random import RandomSampler
from paramscope.samplers.sobol import SobolSampler


def _bayes() -> Sampler:
    from paramscope.samplers.bayes import BayesSampler

    sampler: Sampler = BayesSampler()
    return sampler


SAMPLERS: dict[str, Callable[[], Sampler]] = {
    "bayes": _bayes,
    "random": RandomSampler,
    "sobol": SobolSampler,
}


def make_sampler(name: str) -> Sampler:
    """The sampler registered under ``name`` ("bayes", "random" or "sobol").

    Example:
        >>> type(make_sampler("random")).__name__
        'RandomSampler'
    """
    if name not in SAMPLERS:
        raise ConfigError(f"sampler: expected one of {sorted(SAMPLERS)}, got {name!r}")
    return SAMPLERS[name]()


__all__ = ["SAMPLERS", "History", "Sampler", "make_sampler"]
