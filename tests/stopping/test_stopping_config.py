"""The study file's stopping rule (``[study] stopping`` or ``[stopping]``) and the CLI around it."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from paramscope.cli import cli
from paramscope.config import load_study_file
from paramscope.errors import ConfigError
from paramscope.stopping import ASHA, Hyperband, MedianRule, NoStopping, make_rule
from paramscope.study import Study
from paramscope.trial import TrialState

HEAD = """\
[study]
name = "s"
budget = 4
sampler = "random"
seed = 0
{study_extra}

[space]
x = {{ type = "float", low = 0.0, high = 1.0 }}

[objective]
function = "math:sqrt"
{tail}
"""


def study_file(tmp_path: Path, study_extra: str = "", tail: str = "") -> Path:
    path = tmp_path / "study.toml"
    path.write_text(HEAD.format(study_extra=study_extra, tail=tail))
    return path


def error_of(path: Path) -> str:
    with pytest.raises(ConfigError) as caught:
        load_study_file(path)
    message = str(caught.value)
    assert "\n" not in message
    return message


@pytest.mark.parametrize(
    ("study_extra", "tail", "rule"),
    [
        ("", "", ASHA()),
        ('stopping = "median"', "", MedianRule()),
        ('stopping = "none"', "", NoStopping()),
        ("", "[stopping]\nreduction_factor = 4\nmax_resource = 64", ASHA(1, 4, 64)),
        ("", '[stopping]\nrule = "hyperband"\nmax_resource = 27', Hyperband(1, 27, 3)),
        (
            'stopping = "hyperband"',
            "[stopping]\nmax_resource = 81\nmin_resource = 3",
            Hyperband(3, 81),
        ),
        ("", '[stopping]\nrule = "median"\nwarmup_steps = 5\nmin_trials = 2', MedianRule(5, 2)),
    ],
)
def test_the_file_names_the_rule(tmp_path: Path, study_extra: str, tail: str, rule: object) -> None:
    spec = load_study_file(study_file(tmp_path, study_extra, tail))
    assert make_rule(spec.stopping) == rule
    assert dict(spec.options().stopping) == dict(spec.stopping)


@pytest.mark.parametrize(
    ("study_extra", "tail", "expected"),
    [
        (
            'stopping = "sha"',
            "",
            "study.stopping: expected one of 'asha', 'hyperband', 'median', 'none', got 'sha'",
        ),
        (
            "",
            '[stopping]\nrule = "sha"',
            "stopping.rule: expected one of 'asha', 'hyperband', 'median', 'none', got 'sha'",
        ),
        (
            "",
            "[stopping]\nreduction_factor = 1",
            "stopping.reduction_factor: expected an integer >= 2, got 1",
        ),
        (
            "",
            "[stopping]\nreduction_factor = 2.5",
            "stopping.reduction_factor: expected an integer >= 2, got 2.5",
        ),
        (
            "",
            "[stopping]\nmin_resource = 0",
            "stopping.min_resource: expected an integer >= 1, got 0",
        ),
        (
            "",
            "[stopping]\nmin_resource = 4\nmax_resource = 2",
            "stopping.max_resource: expected None or an integer >= min_resource (4), got 2",
        ),
        (
            "",
            "[stopping]\nwarmup_steps = 2",
            "stopping.warmup_steps: unknown key; allowed keys are rule, min_resource",
        ),
        (
            "",
            '[stopping]\nrule = "hyperband"',
            "stopping.max_resource: required; expected the last step a trial reports",
        ),
        (
            "",
            '[stopping]\nrule = "median"\nmin_trials = 0',
            "stopping.min_trials: expected an integer >= 1, got 0",
        ),
        (
            'stopping = "median"',
            '[stopping]\nrule = "asha"',
            "stopping.rule: 'asha' disagrees with study.stopping = 'median'",
        ),
    ],
)
def test_bad_rules_in_the_file_are_one_line_naming_the_field(
    tmp_path: Path, study_extra: str, tail: str, expected: str
) -> None:
    message = error_of(study_file(tmp_path, study_extra, tail))
    assert expected in message
    assert message.startswith(str(tmp_path / "study.toml"))


def test_a_stopping_key_that_is_not_a_table(tmp_path: Path) -> None:
    path = tmp_path / "study.toml"
    path.write_text("stopping = 3\n" + HEAD.format(study_extra="", tail=""))
    assert "stopping: expected a table [stopping] with e.g. rule = 'asha', got 3" in error_of(path)


@given(st.integers(-5, 10), st.integers(-5, 10))
def test_generated_asha_settings_are_accepted_exactly_when_in_range(
    reduction_factor: int, min_resource: int
) -> None:
    table = {"rule": "asha", "reduction_factor": reduction_factor, "min_resource": min_resource}
    if reduction_factor >= 2 and min_resource >= 1:
        rule = make_rule(table)
        assert make_rule(rule.to_config()) == rule
        return
    field = "min_resource" if min_resource < 1 else "reduction_factor"
    with pytest.raises(
        ConfigError, match=rf"^stopping\.{field}: expected an integer >= \d, got -?\d+$"
    ):
        make_rule(table)


REPORTING = """
import json, sys
x = float(sys.argv[1])
for step in range(1, 5):
    print(json.dumps({"step": step, "value": x + 1.0 / step}), flush=True)
print(json.dumps({"value": x + 0.25}))
"""


def test_run_applies_the_files_rule_and_status_shows_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PARAMSCOPE_STORAGE", raising=False)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "train.py").write_text(textwrap.dedent(REPORTING))
    path = tmp_path / "study.toml"
    path.write_text(
        HEAD.format(study_extra="", tail="").replace(
            'function = "math:sqrt"', f'command = ["{sys.executable}", "train.py", "{{x}}"]'
        )
        + '\n[stopping]\nrule = "median"\nmin_trials = 1\n'
    )
    db = f"sqlite:///{tmp_path / 'runs.db'}"
    runner = CliRunner()
    done = runner.invoke(cli, ["run", str(path), "--storage", db], catch_exceptions=False)
    assert done.exit_code == 0, done.output
    study = Study.load("s", storage=db)
    assert dict(study.spec.options.stopping) == MedianRule(0, 1).to_config()
    counts = study.counts()
    assert counts[TrialState.COMPLETE] + counts[TrialState.STOPPED] == 4
    assert all(t.reports for t in study.trials)
    study.close()
    status = runner.invoke(cli, ["status", "--study", "s", "--storage", db])
    assert status.exit_code == 0, status.output
    assert "early stopping: median (warmup_steps=0, min_trials=1)" in status.output
    assert "stopped" in status.output and "complete" in status.output
    # Resuming with another rule in the file keeps the stored one, and says so.
    path.write_text(path.read_text().replace('"median"\nmin_trials = 1', '"none"'))
    again = runner.invoke(cli, ["run", str(path), "--storage", db], catch_exceptions=False)
    assert again.exit_code == 0, again.output
    assert "note: the stored study keeps its early stopping rule median" in again.output
