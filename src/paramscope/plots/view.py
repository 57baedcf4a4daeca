"""Plot sources: a study, or trials with explicit settings, as the frozen view every plot reads.

The public ``plot_*`` functions accept a ``Study`` (read once) or a ``StudyView`` built from any
list of trials (``ps.minimize(...).trials``, a dashboard's page of trials) with the space and
objectives stated. This module also checks the names a user gives (objective, parameters) once,
at the boundary, with one-line ``ConfigError`` messages.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from paramscope.errors import ConfigError
from paramscope.space import Space
from paramscope.storage.base import ConstraintOp, Direction, StudySpec
from paramscope.study import Study, parse_constraints, parse_objectives
from paramscope.trial import FrozenDict, Trial, frozen


@dataclass(frozen=True)
class StudyView:
    """Trials in number order with the settings a plot needs.

    Attributes:
        trials: the trials, any states (sorted by number on construction).
        space: the parameters.
        objectives: name -> "min" | "max", in the study's order.
        constraints: name -> (op, bound); infeasible trials are drawn apart where it matters.
        name: shown in titles.

    Example:
        >>> import paramscope as ps
        >>> space = ps.Space({"x": ps.Float(-1.0, 1.0)})
        >>> r = ps.minimize(lambda p: p["x"] ** 2, space, budget=4, sampler="sobol", seed=0)
        >>> view = StudyView.build(r.trials, space, objectives="min")
        >>> len(view.trials), dict(view.objectives)
        (4, {'value': 'min'})
    """

    trials: tuple[Trial, ...]
    space: Space
    objectives: Mapping[str, Direction] = field(default_factory=lambda: frozen({"value": "min"}))
    constraints: Mapping[str, tuple[ConstraintOp, float]] = field(default_factory=FrozenDict)
    name: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "trials", tuple(sorted(self.trials, key=lambda t: t.number)))
        object.__setattr__(self, "objectives", frozen(self.objectives))
        object.__setattr__(self, "constraints", frozen(self.constraints))

    @classmethod
    def build(
        cls,
        trials: Sequence[Trial],
        space: Space,
        *,
        objectives: str | Mapping[str, str] = "min",
        constraints: Mapping[str, Any] | None = None,
        name: str = "",
    ) -> StudyView:
        """A view of ``trials``, checking the settings as ``Study.create`` does.

        Example:
            >>> import paramscope as ps
            >>> v = StudyView.build([], ps.Space({"x": ps.Float(0, 1)}), objectives={"a": "max"})
            >>> dict(v.objectives)
            {'a': 'max'}
        """
        if not isinstance(space, Space):
            raise ConfigError(f"space: expected ps.Space({{...}}), got {type(space).__name__}")
        bad = [t for t in trials if not isinstance(t, Trial)]
        if isinstance(trials, str) or bad:
            raise ConfigError(f"trials: expected a list of ps.Trial, got {trials!r:.80}")
        directions = parse_objectives(objectives)
        rules = parse_constraints(constraints, directions)
        return cls(tuple(trials), space, directions, rules, name)

    @classmethod
    def from_spec(cls, spec: StudySpec, trials: Sequence[Trial]) -> StudyView:
        """A view of ``trials`` under a stored study's settings (e.g. a dashboard's page)."""
        return cls(tuple(trials), spec.space, spec.objectives, spec.constraints, spec.name)


Source = Study | StudyView


def as_view(source: object) -> StudyView:
    """The view of a ``Study`` (its trials read once) or a ``StudyView`` (as it is).

    Example:
        >>> as_view([1, 2])
        Traceback (most recent call last):
        ...
        paramscope.errors.ConfigError: study: expected a ps.Study or a StudyView, got list
    """
    if isinstance(source, StudyView):
        return source
    if isinstance(source, Study):
        return StudyView.from_spec(source.spec, source.trials)
    raise ConfigError(f"study: expected a ps.Study or a StudyView, got {type(source).__name__}")


def pick_objective(view: StudyView, objective: object) -> tuple[str, Direction]:
    """The objective to plot and its direction: the named one, or the study's only one.

    Example:
        >>> import paramscope as ps
        >>> view = StudyView.build([], ps.Space({"x": ps.Float(0, 1)}),
        ...                        objectives={"loss": "min", "acc": "max"})
        >>> pick_objective(view, "acc")
        ('acc', 'max')
        >>> pick_objective(view, None)
        Traceback (most recent call last):
        ...
        paramscope.errors.ConfigError: objective: expected one of ['loss', 'acc'] (the study has several objectives), got None
    """  # noqa: E501
    names = list(view.objectives)
    if objective is None:
        if len(names) == 1:
            return names[0], view.objectives[names[0]]
        raise ConfigError(
            f"objective: expected one of {names} (the study has several objectives), got None"
        )
    if not isinstance(objective, str) or objective not in view.objectives:
        raise ConfigError(f"objective: expected one of {names}, got {objective!r}")
    return objective, view.objectives[objective]


def check_param(view: StudyView, name: object, what: str) -> str:
    """Check that ``name`` is a parameter of the view's space; ``what`` names the argument.

    Example:
        >>> import paramscope as ps
        >>> check_param(StudyView.build([], ps.Space({"x": ps.Float(0, 1)})), "z", "x")
        Traceback (most recent call last):
        ...
        paramscope.errors.ConfigError: x: expected a parameter name, one of ['x'], got 'z'
    """
    if not isinstance(name, str) or name not in view.space.names:
        raise ConfigError(
            f"{what}: expected a parameter name, one of {view.space.names}, got {name!r}"
        )
    return name
