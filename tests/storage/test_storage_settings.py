"""Study settings (revision 0002): stopping rule and sampler options kept; old databases upgrade."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, select

import paramscope as ps
from paramscope.errors import ConfigError
from paramscope.storage import SQLStorage
from paramscope.storage.engine import MIGRATIONS_DIR
from paramscope.storage.schema import studies


def test_sampler_options_and_stopping_rule_are_stored_with_the_study(storage_url: str) -> None:
    space = ps.Space({"x": ps.Float(0, 1)})
    study = ps.Study.create(
        "settings",
        space,
        storage=storage_url,
        sampler_options={"deterministic": True},
        stopping={"rule": "median", "warmup_steps": 2},
    )
    study.close()
    again = ps.Study.load("settings", storage=storage_url)
    assert dict(again.spec.sampler_options) == {"deterministic": True}
    assert again.spec.options.stopping["rule"] == "median"
    assert again._sampler.options.deterministic  # type: ignore[attr-defined]
    again.close()


@pytest.mark.parametrize(
    ("sampler", "options", "message"),
    [
        ("bayes", {"determ": True}, "unknown option(s) ['determ']"),
        ("bayes", {"n_init": "ten"}, "n_init must be int"),
        ("random", {"deterministic": True}, "the random sampler takes none"),
    ],
)
def test_bad_sampler_options_write_nothing(
    tmp_path: Path, sampler: str, options: dict[str, object], message: str
) -> None:
    url = f"sqlite:///{tmp_path / 'runs.db'}"
    with pytest.raises(ConfigError, match=re.escape(message)):
        ps.Study.create(
            "bad",
            ps.Space({"x": ps.Float(0, 1)}),
            storage=url,
            sampler=sampler,
            sampler_options=options,
        )
    assert not (tmp_path / "runs.db").exists() or SQLStorage(url).list_studies() == []


def test_a_revision_0001_database_upgrades_with_default_settings(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = create_engine(url)
    with engine.begin() as conn:
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS_DIR))
        config.attributes["connection"] = conn
        command.upgrade(config, "0001")
        row = {
            "name": "old",
            "space": json.dumps({"x": {"type": "float", "low": 0.0, "high": 1.0}}),
            "objectives": json.dumps({"value": "min"}),
            "constraints": "{}",
            "sampler": "random",
            "seed": 3,
            "objective": None,
            "budget": None,
            "heartbeat_interval": 5.0,
            "grace": 60.0,
            "retries": 0,
            "next_number": 0,
            "created": "2026-01-01T00:00:00+00:00",
        }
        conn.exec_driver_sql(
            "INSERT INTO studies (name, space, objectives, constraints, sampler, seed, objective, "
            "budget, heartbeat_interval, grace, retries, next_number, created) VALUES "
            "(:name, :space, :objectives, :constraints, :sampler, :seed, :objective, :budget, "
            ":heartbeat_interval, :grace, :retries, :next_number, :created)",
            row,
        )
    engine.dispose()
    with SQLStorage(url) as storage:
        spec = storage.load_study("old")
        assert spec.options.stopping["rule"] == "asha"
        assert dict(spec.sampler_options) == {}
        assert spec.seed == 3
    with create_engine(url).connect() as conn:
        assert conn.execute(select(studies.c.settings)).scalar_one() is None
