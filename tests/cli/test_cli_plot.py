"""CLI plot: every kind written as an offline HTML page; bad input is one line and exit 2."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result

import paramscope as ps

Invoke = Callable[..., Result]
ErrorLine = Callable[..., str]

SPACE = ps.Space({"x": ps.Float(0.0, 1.0), "k": ps.Choice(["a", "b"])})


@pytest.fixture
def stored(db: str) -> str:
    """A database with a single-objective study 'one' (12 trials) and a 2-objective 'two'."""
    one = ps.Study.create("one", SPACE, storage=db, sampler="random", seed=0)
    one.optimize(lambda p: p["x"] + (p["k"] == "b"), budget=12, executor="inline")
    one.close()
    two = ps.Study.create(
        "two", SPACE, objectives={"a": "min", "b": "max"}, storage=db, sampler="random", seed=0
    )
    two.optimize(lambda p: {"a": p["x"], "b": p["x"] ** 2}, budget=8, executor="inline")
    two.close()
    return db


def page(path: Path) -> str:
    html = path.read_text(encoding="utf-8")
    assert re.search(r"\* plotly\.js v\d+", html) and "<script src=" not in html
    return html


@pytest.mark.parametrize(
    ("kind", "extra", "trace"),
    [
        ("history", [], '"name":"best so far"'),
        ("parallel", [], '"type":"parcoords"'),
        ("slice", ["--max-points", "5"], '"type":"scatter"'),
        ("contour", ["--x", "x", "--y", "k"], '"type":"contour"'),
        ("importance", [], '"name":"total"'),
        ("intermediate", [], "no trial reported"),
    ],
)
def test_plot_writes_an_offline_page(
    invoke: Invoke, stored: str, tmp_path: Path, kind: str, extra: list[str], trace: str
) -> None:
    out = tmp_path / f"{kind}.html"
    result = invoke(
        "plot", kind, "--study", "one", "--storage", stored, "--output", str(out), *extra
    )
    assert result.exit_code == 0, result.output
    assert result.output.strip() == f"wrote {out} ({kind} of study 'one')"
    assert trace in page(out)


def test_plot_pareto_and_a_named_objective_of_a_two_objective_study(
    invoke: Invoke, stored: str, tmp_path: Path
) -> None:
    out = tmp_path / "front.html"
    result = invoke("plot", "pareto", "--study", "two", "--storage", stored, "-o", str(out))
    assert result.exit_code == 0, result.output
    assert "Pareto front of a (min), b (max)" in page(out)
    out = tmp_path / "b.html"
    args = ["--study", "two", "--storage", stored, "--objective", "b", "-o", str(out)]
    assert invoke("plot", "history", *args).exit_code == 0
    assert "History of b (max)" in page(out)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["history", "--study", "two"], "objective: expected one of ['a', 'b'] (the study has"),
        (["history", "--study", "one", "--objective", "acc"], "objective: expected one of"),
        (["contour", "--study", "one", "--x", "x"], "--y: expected a parameter name for a"),
        (["contour", "--study", "one", "--x", "x", "--y", "x"], "y: expected a parameter other"),
        (["contour", "--study", "one", "--x", "x", "--y", "z"], "y: expected a parameter name"),
        (["slice", "--study", "one", "--x", "x"], "--x: expected only with KIND 'contour'"),
        (["pareto", "--study", "one"], "objectives: expected 2 or 3 objectives for a Pareto"),
        (["history", "--study", "one", "--max-points", "1"], "--max-points: expected an integer"),
        (["history", "--study", "nope"], "study 'nope' not found"),
        (["bars", "--study", "one"], "'bars' is not one of"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    invoke: Invoke,
    stored: str,
    tmp_path: Path,
    one_line_error: ErrorLine,
    args: list[str],
    message: str,
) -> None:
    out = tmp_path / "p.html"
    result = invoke("plot", *args, "--storage", stored, "--output", str(out))
    assert message in one_line_error(result)
    assert not out.exists()


def test_output_must_be_an_html_file_in_an_existing_folder(
    invoke: Invoke, stored: str, tmp_path: Path, one_line_error: ErrorLine
) -> None:
    base = ["plot", "history", "--study", "one", "--storage", stored, "--output"]
    message = one_line_error(invoke(*base, str(tmp_path / "p.png")))
    assert message == f"--output: expected a FILE.html path, got '{tmp_path / 'p.png'}'"
    message = one_line_error(invoke(*base, str(tmp_path / "no" / "p.html")))
    assert message.startswith("--output: expected a file in an existing folder")


def test_plot_never_creates_a_database(
    invoke: Invoke, tmp_path: Path, one_line_error: ErrorLine
) -> None:
    db = tmp_path / "none.db"
    result = invoke(
        "plot", "history", "--study", "s", "--storage", f"sqlite:///{db}", "-o", "p.html"
    )
    assert "study 's' not found" in one_line_error(result)
    assert not db.exists()
