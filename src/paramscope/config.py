"""Config: the TOML study file, parsed and validated in full before anything touches a database.

A study file has three required tables: ``[study]`` (name, storage, objectives, constraints,
budget, workers, sampler, seed, retries, stopping), ``[space]`` (one parameter per key, built by
:meth:`Space.from_dict`) and ``[objective]`` (a ``command`` or a ``function``, with its timeout and
run options), and an optional ``[stopping]`` (the early-stopping rule and its settings).
:func:`load_study_file` turns a file into a frozen :class:`StudyFile` or raises one
``ConfigError`` whose single line names the file, the field and the expected form::

    study.toml: study.budget: expected an integer > 0, got 0

Relative paths in the file are relative to the file: a command's script (``branin.py``), an
executable written with a slash (``./run.sh``), a ``workdir``; the objective table records the
file's directory as ``cwd`` so that ``paramscope worker`` on the same machine rebuilds it as is.
"""

from __future__ import annotations

import os
import re
import shlex
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
)
from pydantic_core import ErrorDetails, PydanticCustomError

from paramscope.errors import ConfigError
from paramscope.execution.command_spec import CommandSpec
from paramscope.execution.objectives import Objective, objective_from_config
from paramscope.samplers import make_sampler
from paramscope.space import Space
from paramscope.stopping import rule_config
from paramscope.storage.base import ConstraintOp, Direction, StudyOptions
from paramscope.storage.urls import parse_url
from paramscope.trial import FrozenDict, frozen

SamplerName = Literal["bayes", "random", "sobol"]
StoppingName = Literal["asha", "hyperband", "median", "none"]
_TABLES = ("study", "space", "objective", "stopping", "sampler")
_FUNCTION = re.compile(r"^[A-Za-z_][\w.]*:[A-Za-z_][\w.]*$")
_CUSTOM = "paramscope"
Bound = Annotated[float, Field(allow_inf_nan=False)]
M = TypeVar("M", bound=BaseModel)

# The expected form of one entry of a table-valued field, for messages about that entry.
_ITEM_FORMS = {
    "objectives": "'min' or 'max'",
    "constraints": "['<=' or '>=', a finite number], e.g. mem_gb = ['<=', 16.0]",
    "env": "a string or a number",
}


def _default_objectives() -> dict[str, Direction]:
    return {"value": "min"}


def _strict() -> ConfigDict:
    return ConfigDict(extra="forbid", frozen=True, strict=True)


class StudyTable(BaseModel):
    """The ``[study]`` table; each field's description is the form its error message expects."""

    model_config = _strict()

    name: str = Field(min_length=1, pattern=r"\S", description="a non-empty string")
    storage: str | None = Field(
        default=None, description="a URL like 'sqlite:///paramscope.db' or 'postgresql://...'"
    )
    objectives: dict[str, Direction] = Field(
        default_factory=_default_objectives,
        min_length=1,
        description="'min', 'max' or a table like { loss = 'min', acc = 'max' }",
    )
    constraints: dict[str, tuple[ConstraintOp, Bound]] = Field(
        default_factory=dict, description="a table like { mem_gb = ['<=', 16.0] }"
    )
    budget: int | None = Field(default=None, gt=0, description="an integer > 0")
    workers: int = Field(default=1, ge=1, description="an integer >= 1")
    sampler: SamplerName = Field(default="bayes", description="one of 'bayes', 'random', 'sobol'")
    seed: int | None = Field(default=None, description="an integer")
    retries: int = Field(default=0, ge=0, description="an integer >= 0")
    stopping: StoppingName | None = Field(
        default=None, description="one of 'asha', 'hyperband', 'median', 'none'"
    )

    @field_validator("objectives", mode="before")
    @classmethod
    def _one_objective(cls, value: Any) -> Any:
        return {"value": value} if isinstance(value, str) else value

    @field_validator("constraints", mode="before")
    @classmethod
    def _pairs(cls, value: Any) -> Any:
        if isinstance(value, Mapping):
            return {k: tuple(v) if isinstance(v, list) else v for k, v in value.items()}
        return value

    @field_validator("constraints")
    @classmethod
    def _not_an_objective(cls, value: dict[str, Any], info: ValidationInfo) -> dict[str, Any]:
        for name in value:
            if name in info.data.get("objectives", {}):
                raise PydanticCustomError(_CUSTOM, f"{name!r} is already an objective's name")
        return value

    @field_validator("storage")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                parse_url(value)
            except ConfigError as exc:
                raise PydanticCustomError(_CUSTOM, str(exc).removeprefix("storage: ")) from None
        return value


class ObjectiveTable(BaseModel):
    """The ``[objective]`` table: exactly one of ``command`` and ``function``, and run options."""

    model_config = _strict()

    command: list[str] | str | None = Field(
        default=None,
        description="a list like ['python', 'run.py', '--x', '{x}'] or one string",
    )
    function: str | None = Field(default=None, description="'package.module:function'")
    timeout: float | None = Field(default=None, gt=0, description="a number of seconds > 0")
    workdir: str | None = Field(default=None, min_length=1, description="a directory path")
    keep: Literal["failed", "all", "none"] | None = Field(
        default=None, description="one of 'failed', 'all', 'none'"
    )
    env: dict[str, str | int | float] | None = Field(
        default=None, description="a table like { OMP_NUM_THREADS = 1 }"
    )
    kill_grace: float | None = Field(default=None, ge=0, description="a number of seconds >= 0")

    @field_validator("function")
    @classmethod
    def _function_path(cls, value: str | None) -> str | None:
        if value is not None and not _FUNCTION.match(value):
            raise PydanticCustomError(_CUSTOM, f"expected 'package.module:function', got {value!r}")
        return value


_MIN_RESOURCE = Field(default=1, ge=1, description="an integer >= 1")
_REDUCTION = Field(default=3, ge=2, description="an integer >= 2")


class AshaTable(BaseModel):
    """``[stopping]`` with ``rule = "asha"`` (the default rule)."""

    model_config = _strict()

    rule: Literal["asha"] = Field(default="asha", description="'asha'")
    min_resource: int = _MIN_RESOURCE
    reduction_factor: int = _REDUCTION
    max_resource: int | None = Field(default=None, ge=1, description="an integer >= 1")
    min_early_stopping_rate: int = Field(default=0, ge=0, description="an integer >= 0")


class HyperbandTable(BaseModel):
    """``[stopping]`` with ``rule = "hyperband"``: ``max_resource`` is required."""

    model_config = _strict()

    rule: Literal["hyperband"] = Field(default="hyperband", description="'hyperband'")
    min_resource: int = _MIN_RESOURCE
    max_resource: int = Field(ge=1, description="the last step a trial reports, an integer >= 1")
    reduction_factor: int = _REDUCTION


class MedianTable(BaseModel):
    """``[stopping]`` with ``rule = "median"``."""

    model_config = _strict()

    rule: Literal["median"] = Field(default="median", description="'median'")
    warmup_steps: int = Field(default=0, ge=0, description="an integer >= 0")
    min_trials: int = Field(default=5, ge=1, description="an integer >= 1")


class NoStoppingTable(BaseModel):
    """``[stopping]`` with ``rule = "none"``: no settings."""

    model_config = _strict()

    rule: Literal["none"] = Field(default="none", description="'none'")


_STOPPING_TABLES: dict[str, type[BaseModel]] = {
    "asha": AshaTable,
    "hyperband": HyperbandTable,
    "median": MedianTable,
    "none": NoStoppingTable,
}


@dataclass(frozen=True)
class StudyFile:
    """A validated study file: everything ``paramscope run`` needs, nothing yet written.

    Attributes:
        path: The file as given.
        name: The study's name.
        storage: The storage URL in the file, or None to use the default.
        objectives: Objective name → "min" or "max".
        constraints: Constraint name → (operator, bound).
        budget: Study-wide finished trials to reach, or None (then ``--budget`` is needed).
        workers: Local worker processes.
        sampler: "bayes", "random" or "sobol".
        seed: The sampler's seed, or None.
        retries: How often a trial whose worker died is re-queued.
        stopping: The early-stopping rule's full table (``[study] stopping`` or ``[stopping]``).
        sampler_options: The ``[sampler]`` table: the sampler's settings (``deterministic``...).
        space: The search space.
        objective: The ``[objective]`` table as stored with the study: paths resolved against
            the file's directory, which is also recorded as ``cwd``.
    """

    path: Path
    name: str
    space: Space
    objective: Mapping[str, Any]
    storage: str | None = None
    objectives: Mapping[str, Direction] = field(default_factory=lambda: frozen({"value": "min"}))
    constraints: Mapping[str, tuple[ConstraintOp, float]] = field(default_factory=FrozenDict)
    budget: int | None = None
    workers: int = 1
    sampler: SamplerName = "bayes"
    seed: int | None = None
    retries: int = 0
    stopping: Mapping[str, Any] = field(default_factory=lambda: frozen({"rule": "asha"}))
    sampler_options: Mapping[str, Any] = field(default_factory=FrozenDict)

    def options(self, budget: int | None = None) -> StudyOptions:
        """The study options to store: ``budget`` (else the file's), retries and stopping rule.

        Example:
            >>> from paramscope.space import Float
            >>> f = StudyFile(Path("s.toml"), "s", Space({"x": Float(0, 1)}), {}, budget=5)
            >>> f.options().budget, f.options(9).budget
            (5, 9)
        """
        return StudyOptions(
            budget=self.budget if budget is None else budget,
            retries=self.retries,
            stopping=self.stopping,
        )


def load_study_file(path: str | os.PathLike[str]) -> StudyFile:
    """Read and validate a TOML study file; nothing is created or written.

    Args:
        path: The study file, e.g. ``examples/branin/study.toml``.

    Returns:
        The frozen, validated study file.

    Raises:
        ConfigError: One line naming the file, the field and the expected form, e.g.
            ``study.toml: space.lr: Float: log=True needs low > 0, got low=0.0``.

    Example:
        >>> import pathlib, tempfile
        >>> folder = pathlib.Path(tempfile.mkdtemp())
        >>> _ = (folder / "study.toml").write_text(
        ...     '[study]\\nname = "s"\\nbudget = 10\\n'
        ...     '[space]\\nx = { type = "float", low = 0.0, high = 1.0 }\\n'
        ...     '[objective]\\nfunction = "math:sqrt"\\n'
        ... )
        >>> spec = load_study_file(folder / "study.toml")
        >>> spec.name, spec.budget, spec.space.names, dict(spec.objectives)
        ('s', 10, ['x'], {'value': 'min'})
    """
    file = Path(path)
    document = _read_toml(file)
    try:
        return _build(file, document)
    except ConfigError as exc:
        raise ConfigError(f"{file}: {exc}") from None


def _read_toml(file: Path) -> dict[str, Any]:
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{file}: no such study file") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{file}: not valid TOML: the file is not UTF-8 text") from None
    except OSError as exc:
        raise ConfigError(f"{file}: cannot read the study file: {exc.strerror}") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{file}: not valid TOML: {exc}") from None


def _build(file: Path, document: dict[str, Any]) -> StudyFile:
    unknown = [key for key in document if key not in _TABLES]
    if unknown:
        raise ConfigError(
            f"{unknown[0]}: unknown table; a study file has " + ", ".join(f"[{t}]" for t in _TABLES)
        )
    study = _validate(StudyTable, _table(document, "study", "name = 'my-study'"), "study")
    space = Space.from_dict(_table(document, "space", "x = { type = 'float', low = 0, high = 1 }"))
    raw = _table(document, "objective", "command = ['python', 'run.py', '--x', '{x}']")
    objective = _validate(ObjectiveTable, raw, "objective")
    stored = _objective_table(objective, file.resolve().parent)
    if "command" in stored:
        CommandSpec.from_config(stored, space_names=space.names)
    return StudyFile(
        path=file,
        name=study.name,
        space=space,
        objective=frozen(stored),
        storage=study.storage,
        objectives=frozen(study.objectives),
        constraints=frozen(study.constraints),
        budget=study.budget,
        workers=study.workers,
        sampler=study.sampler,
        seed=study.seed,
        retries=study.retries,
        stopping=frozen(_stopping(document.get("stopping"), study.stopping)),
        sampler_options=frozen(_sampler_options(document.get("sampler", {}), study.sampler)),
    )


def _sampler_options(table: Any, sampler: str) -> dict[str, Any]:
    """The ``[sampler]`` table: the settings of ``[study] sampler``, checked by the sampler."""
    if not isinstance(table, dict):
        raise ConfigError(
            f"sampler: expected a table [sampler] like deterministic = true, got {table!r}"
        )
    try:
        make_sampler(sampler, table)
    except ConfigError as exc:
        raise ConfigError(str(exc).replace("sampler_options: ", "sampler: ", 1)) from None
    return dict(table)


def _stopping(table: Any, name: str | None) -> dict[str, Any]:
    """The stopping rule's full table from ``[study] stopping`` and the ``[stopping]`` table."""
    if table is None:
        return rule_config(name or "asha")
    if not isinstance(table, dict):
        raise ConfigError(
            f"stopping: expected a table [stopping] with e.g. rule = 'asha', got {table!r}"
        )
    rule = table.get("rule", name or "asha")
    if name is not None and rule != name:
        raise ConfigError(
            f"stopping.rule: {rule!r} disagrees with study.stopping = {name!r}; give the rule once"
        )
    model = _STOPPING_TABLES.get(rule) if isinstance(rule, str) else None
    if model is None:
        names = ", ".join(map(repr, _STOPPING_TABLES))
        raise ConfigError(f"stopping.rule: expected one of {names}, got {rule!r}")
    checked = _validate(model, {**table, "rule": rule}, "stopping")
    return rule_config(checked.model_dump())


def _table(document: Mapping[str, Any], name: str, example: str) -> dict[str, Any]:
    if name not in document:
        raise ConfigError(f"{name}: required; expected a table [{name}] with e.g. {example}")
    table = document[name]
    if not isinstance(table, dict):
        raise ConfigError(f"{name}: expected a table [{name}], got {table!r}")
    return table


def _validate(model: type[M], data: dict[str, Any], section: str) -> M:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_describe(model, exc.errors()[0], data, section)) from None


def _describe(
    model: type[BaseModel], error: ErrorDetails, data: Mapping[str, Any], section: str
) -> str:
    """One line for pydantic's first error: the field's path, the expected form, the input."""
    loc = [str(part) for part in error["loc"]]
    if not loc:
        return f"{section}: {error['msg']}"
    name = loc[0]
    fields = model.model_fields
    if error["type"] == "extra_forbidden":
        return f"{section}.{name}: unknown key; allowed keys are {', '.join(fields)}"
    info = fields[name]
    if error["type"] == "missing":
        return f"{section}.{name}: required; expected {info.description}"
    path, value, form = [name], data.get(name), info.description
    if name in _ITEM_FORMS and len(loc) > 1 and isinstance(value, Mapping):
        path, value, form = [name, loc[1]], value.get(loc[1]), _ITEM_FORMS[name]
    where = ".".join([section, *path])
    if error["type"] == _CUSTOM:
        return f"{where}: {error['msg']}"
    return f"{where}: expected {form}, got {_show(value)}"


def _show(value: Any) -> str:
    if isinstance(value, tuple):
        value = list(value)
    return repr(value)


def _objective_table(objective: ObjectiveTable, base: Path) -> dict[str, Any]:
    """The ``[objective]`` table to store: exactly one kind, relative paths made absolute."""
    given = objective.model_dump(exclude_none=True)
    if ("command" in given) == ("function" in given):
        both = "not both" if "command" in given else "one is required"
        raise ConfigError(
            "objective: expected either command = ['python', 'run.py', '--x', '{x}'] or "
            f"function = 'package.module:function' ({both})"
        )
    if "function" in given:
        extra = sorted(set(given) - {"function"})
        if extra:
            raise ConfigError(f"objective.{extra[0]}: applies to a command objective only")
        return {"function": given["function"], "cwd": str(base)}
    if isinstance(given["command"], str):
        try:
            given["command"] = shlex.split(given["command"])
        except ValueError as exc:
            raise ConfigError(
                f"objective.command: cannot split {given['command']!r}: {exc}"
            ) from None
    # Relative paths in the command and workdir are taken from the study file's folder when
    # the command runs (CommandSpec.cwd), so the stored table stays as the user wrote it.
    return {**given, "cwd": str(base)}


def build_objective(
    table: Mapping[str, Any], *, study: str, space: Space, first_objective: str = "value"
) -> Objective:
    """The callable a worker runs, from a stored ``[objective]`` table; checked before any run.

    ``cwd`` (the study file's folder) is where a command's relative paths and a function's
    module are looked up.

    Args:
        table: The stored ``[objective]`` table (``StudyFile.objective``, ``StudySpec.objective``).
        study: The study's name (per-trial working directories are named after it).
        space: The study's space (placeholders must name its parameters).
        first_objective: The objective a stopped command's last report is recorded under.

    Raises:
        ConfigError: A command that does not exist, a placeholder naming no parameter, a
            function that cannot be imported.

    Example:
        >>> from paramscope.space import Float
        >>> fn = build_objective({"function": "math:sqrt", "cwd": "."}, study="s",
        ...                      space=Space({"x": Float(0, 1)}))
        >>> fn(4.0)
        2.0
    """
    return objective_from_config(table, study=study, space=space, first_objective=first_objective)
