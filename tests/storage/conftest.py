"""Fixtures for the storage tests: a small study spec factory and a valid params dict."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from paramscope.space import Choice, Float, Int, Space
from paramscope.storage.base import StudySpec

SPACE = Space({"x": Float(0.0, 1.0), "n": Int(1, 8), "act": Choice(["relu", "tanh"])})


def _make_spec(name: str = "study", **changes: Any) -> StudySpec:
    return StudySpec(name, **({"space": SPACE} | changes))


@pytest.fixture
def spec() -> Callable[..., StudySpec]:
    """``spec(name="study", **fields)``: a study over x (float), n (int), act (choice)."""
    return _make_spec


@pytest.fixture
def params() -> dict[str, Any]:
    """A params dict valid in the ``spec`` space."""
    return {"x": 0.5, "n": 3, "act": "relu"}
