"""Fixtures for the dashboard tests: a SQLite file with two small studies, an HTTP client."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

with warnings.catch_warnings():  # starlette suggests httpx2; httpx is what is installed
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

import paramscope as ps
from paramscope.dashboard import SecurityPolicy, create_app

TOKEN = "t0k3n-for-the-dashboard-tests"
ORIGIN = "http://127.0.0.1:8080"
SPACE = ps.Space(
    {
        "lr": ps.Float(1e-4, 1e-1, log=True),
        "depth": ps.Int(1, 8),
        "act": ps.Choice(["relu", "tanh"]),
    }
)


def objective(params: dict[str, Any]) -> float:
    return params["lr"] * 10 + params["depth"] * 0.1 + float(params["act"] == "tanh")


def make_studies(url: str) -> None:
    """ "demo": 30 complete trials and one failed; "mo": 20 trials of two objectives."""
    study = ps.Study.create("demo", SPACE, storage=url, sampler="random", seed=0)
    study.optimize(objective, budget=30, executor="inline")
    trial = study.ask()
    study.tell(trial, error="Traceback (most recent call last):\nValueError: boom")
    study.close()
    multi = ps.Study.create(
        "mo", SPACE, objectives={"a": "min", "b": "min"}, storage=url, sampler="random", seed=1
    )
    multi.optimize(
        lambda p: {"a": p["lr"], "b": 1.0 / p["lr"] + 500.0 * p["depth"]},
        budget=20,
        executor="inline",
    )
    multi.close()
    curves = ps.Study.create("rep", SPACE, storage=url, sampler="random", seed=2, stopping="none")
    curves.optimize(reporting, budget=2, executor="inline")
    curves.close()


def two_objectives(params: dict[str, Any]) -> dict[str, float]:
    """A trade-off on lr; a deeper model is dominated."""
    return {"a": params["lr"], "b": 1.0 / params["lr"] + 500.0 * params["depth"]}


def reporting(params: dict[str, Any], trial: Any) -> float:
    """Reports five intermediate values, 1/step + lr."""
    for step in range(1, 6):
        trial.report(step, 1.0 / step + params["lr"])
    return 0.2 + params["lr"]


@pytest.fixture(scope="session")
def studies_maker() -> Callable[[str], None]:
    """``make_studies`` itself, for fixtures that need the studies in a URL of their own."""
    return make_studies


@pytest.fixture(scope="module")
def study_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A SQLite file holding the two studies (shared by a module: tests that write add trials)."""
    url = f"sqlite:///{tmp_path_factory.mktemp('dash') / 'runs.db'}"
    make_studies(url)
    return url


@pytest.fixture
def fresh_url(tmp_path: Path) -> str:
    """A SQLite file holding the two studies, for one test only."""
    url = f"sqlite:///{tmp_path / 'runs.db'}"
    make_studies(url)
    return url


Client = Callable[..., TestClient]


@pytest.fixture
def client() -> Iterator[Client]:
    """``client(url, policy=None)``: a TestClient whose requests carry ``Host: 127.0.0.1:8080``."""
    opened: list[TestClient] = []

    def make(url: str, policy: SecurityPolicy | None = None) -> TestClient:
        test_client = TestClient(create_app(url, policy), base_url=ORIGIN)
        test_client.__enter__()
        opened.append(test_client)
        return test_client

    yield make
    for test_client in opened:
        test_client.__exit__(None, None, None)
