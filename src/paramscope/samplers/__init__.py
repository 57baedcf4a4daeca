"""Samplers: turn an immutable history into the next parameters to run; chosen by name."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from paramscope.errors import ConfigError
from paramscope.samplers.base import History, Sampler
from paramscope.samplers.random import RandomSampler
from paramscope.samplers.sobol import SobolSampler


def _bayes(options: Mapping[str, Any]) -> Sampler:
    from paramscope.samplers.bayes import BayesOptions, BayesSampler

    sampler: Sampler = BayesSampler(BayesOptions.from_mapping(options))
    return sampler


def _plain(cls: Callable[[], Sampler], name: str) -> Callable[[Mapping[str, Any]], Sampler]:
    def build(options: Mapping[str, Any]) -> Sampler:
        if options:
            raise ConfigError(
                f"sampler_options: the {name} sampler takes none, got {dict(options)}"
            )
        return cls()

    return build


SAMPLERS: dict[str, Callable[[Mapping[str, Any]], Sampler]] = {
    "bayes": _bayes,
    "random": _plain(RandomSampler, "random"),
    "sobol": _plain(SobolSampler, "sobol"),
}


def make_sampler(name: str, options: Mapping[str, Any] | None = None) -> Sampler:
    """The sampler registered under ``name`` ("bayes", "random" or "sobol") with its options.

    Args:
        name: the sampler's name.
        options: the sampler's settings (``bayes``: ``deterministic``, ``n_init``,
            ``acquisition``, ``ucb_beta``); the others take none.

    Raises:
        ConfigError: an unknown name, or an option the sampler does not take.

    Example:
        >>> type(make_sampler("random")).__name__
        'RandomSampler'
        >>> make_sampler("bayes", {"deterministic": True}).options.deterministic
        True
    """
    if name not in SAMPLERS:
        raise ConfigError(f"sampler: expected one of {sorted(SAMPLERS)}, got {name!r}")
    return SAMPLERS[name](options or {})


__all__ = ["SAMPLERS", "History", "Sampler", "make_sampler"]
