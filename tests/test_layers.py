"""The layout is the architecture: imports point one way through the flow (DESIGN.md)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "paramscope"

# Lower layers never import higher ones. Within a layer, modules may import each other.
LAYERS: list[set[str]] = [
    {"errors", "distributions", "space", "trial", "problems"},
    {"storage", "ranking", "hypervolume", "export"},
    {"models", "acquisition"},
    {"samplers"},
    {"stopping"},
    {"execution"},
    {"study", "api"},
    {"analysis"},
    {"plots", "config", "demo"},
    {"cli", "dashboard"},
]


def layer_of(top: str) -> int:
    for index, names in enumerate(LAYERS):
        if top in names:
            return index
    raise AssertionError(f"module paramscope.{top} is in no layer of tests/test_layers.py")


def modules() -> list[Path]:
    return [p for p in PACKAGE.rglob("*.py") if p.name != "__init__.py" or p.parent != PACKAGE]


def imported_tops(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    tops: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            parts = node.module.split(".")
            if parts[0] == "paramscope" and len(parts) > 1:
                tops.add(parts[1])
        elif isinstance(node, ast.Import):
            for alias in node.names:
                parts = alias.name.split(".")
                if parts[0] == "paramscope" and len(parts) > 1:
                    tops.add(parts[1])
    return tops


@pytest.mark.parametrize("path", modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_imports_point_down_the_flow(path: Path) -> None:
    top = path.relative_to(PACKAGE).parts[0].removesuffix(".py")
    own = layer_of(top)
    upward = sorted(t for t in imported_tops(path) if t != top and layer_of(t) > own)
    assert not upward, f"paramscope.{top} (layer {own}) imports higher layers: {upward}"


def test_every_module_opens_with_its_role() -> None:
    missing = [
        str(p.relative_to(PACKAGE))
        for p in PACKAGE.rglob("*.py")
        if "migrations" not in p.parts and not ast.get_docstring(ast.parse(p.read_text()))
    ]
    assert not missing, f"modules without a docstring naming their role: {missing}"
