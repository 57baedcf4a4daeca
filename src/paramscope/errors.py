"""Errors: the one exception tree that every layer of the flow raises.

Each error also subclasses a builtin so callers can catch what they already know. A
``ConfigError`` is bad input (the CLI exits with code 2 and writes nothing); everything else is a
runtime failure (exit code 1).
"""

from __future__ import annotations


class ParamscopeError(Exception):
    """Base of every error paramscope raises on purpose."""


class ConfigError(ParamscopeError, ValueError):
    """Bad input from the user: a space, a study file, an argument, a URL. Nothing was written."""


class SpaceError(ConfigError):
    """A parameter or search space that cannot be built as given."""


class StorageURLError(ConfigError):
    """A storage URL that names no supported database."""


class StudyNotFoundError(ConfigError, LookupError):
    """Loading a study name that the storage does not hold."""


class StudyExistsError(ConfigError):
    """Creating a study under a name that holds a different study."""


class ObjectiveError(ParamscopeError, RuntimeError):
    """An objective run that gave no usable result; it becomes a failed trial, never raised out."""


class StorageError(ParamscopeError, RuntimeError):
    """The database refused or lost a write that paramscope needed."""


class TrialStateError(ParamscopeError, RuntimeError):
    """A trial was told or reported in a state that does not allow it (e.g. told twice)."""
