"""Dashboard first render on a 100,000-trial study: paramscope's dashboard vs optuna-dashboard.

One synthetic single-objective study (5 parameters: log-float, int, log-int, choice, float) is
written with the same trials twice: into paramscope's storage (bulk insert into its tables after
``SQLStorage.create_study``) and into an Optuna RDB SQLite study (bulk insert into Optuna's
tables after ``optuna.create_study``; checked with ``optuna.load_study``). Each dashboard runs as
its own server process; for each repeat the server is started fresh and a new Chromium context
(empty cache) opens the study page twice: **cold** (first load after the server starts) and
**warm** (the same server again). Measured from navigation start to every plot drawn, in the page's
own clock (``performance.now()``), and the JSON bytes the page fetched until then.

"Plots drawn": paramscope — history, parallel coordinates and importance all rendered
(``body[data-ready]``, set after ``Plotly.react`` resolves for each); optuna-dashboard — the
three plots of its study page (history, hyperparameter importance, timeline) hold data.

    .venv/bin/python -m benchmarks.dashboard [--trials 10000,100000] [--repeats 3]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

import paramscope as ps
from benchmarks.results import markdown_table, median, write_section

OUT = Path(__file__).with_name("out") / "dashboard"
CHROMIUM = "/usr/bin/chromium"
TIMEOUT_S = 600
BIN = Path(sys.executable).parent
PARAMSCOPE_CMD = (str(BIN / "paramscope"), "dashboard")
SPACE = ps.Space(
    {
        "lr": ps.Float(1e-5, 1e-1, log=True),
        "depth": ps.Int(1, 8),
        "width": ps.Int(16, 512, log=True),
        "act": ps.Choice(["relu", "gelu", "tanh"]),
        "dropout": ps.Float(0.0, 0.5),
    }
)
ACTS = ["relu", "gelu", "tanh"]


def make_trials(n: int, seed: int = 0) -> list[dict[str, Any]]:
    """``n`` complete trials: params, a value (a smooth function plus noise) and times."""
    rng = np.random.default_rng(seed)
    lr = 10 ** rng.uniform(-5, -1, n)
    depth = rng.integers(1, 9, n)
    width = np.round(2 ** rng.uniform(4, 9, n)).astype(int)
    act = rng.integers(0, 3, n)
    dropout = rng.uniform(0, 0.5, n)
    value = (
        (np.log10(lr) + 3) ** 2
        + 0.1 * (depth - 4) ** 2
        + 0.2 * np.abs(np.log2(width) - 7)
        + np.array([0.0, 0.1, 0.3])[act]
        + 0.5 * dropout
        + rng.normal(0, 0.05, n)
    )
    start = datetime(2026, 1, 1, tzinfo=UTC)
    return [
        {
            "params": {
                "lr": float(lr[i]),
                "depth": int(depth[i]),
                "width": int(width[i]),
                "act": ACTS[int(act[i])],
                "dropout": float(dropout[i]),
            },
            "value": float(value[i]),
            "started": start + timedelta(seconds=10 * i),
            "finished": start + timedelta(seconds=10 * i + 8),
        }
        for i in range(n)
    ]


def write_paramscope(url: str, trials: list[dict[str, Any]]) -> None:
    """Create the study with paramscope's storage, then bulk-insert its trials."""
    from sqlalchemy import create_engine, insert, select, update

    from paramscope.storage import SQLStorage
    from paramscope.storage.base import StudySpec
    from paramscope.storage.schema import studies
    from paramscope.storage.schema import trials as table

    with SQLStorage(url) as storage:
        storage.create_study(StudySpec("bench", SPACE, sampler="random", seed=0))
    engine = create_engine(url)
    with engine.begin() as conn:
        study_id = conn.scalar(select(studies.c.id).where(studies.c.name == "bench"))
        for start in range(0, len(trials), 5000):
            rows = [
                {
                    "study_id": study_id,
                    "number": start + i,
                    "state": "complete",
                    "params": json.dumps(t["params"]),
                    "value": t["value"],
                    "values_json": json.dumps({"value": t["value"]}),
                    "started": t["started"],
                    "finished": t["finished"],
                    "heartbeat": t["finished"],
                    "worker": "bench",
                }
                for i, t in enumerate(trials[start : start + 5000])
            ]
            conn.execute(insert(table), rows)
        conn.execute(
            update(studies).where(studies.c.id == study_id).values(next_number=len(trials))
        )
    engine.dispose()


def write_optuna(url: str, trials: list[dict[str, Any]]) -> None:
    """Create the study with Optuna, then bulk-insert the same trials into its tables."""
    import optuna
    from optuna.distributions import (
        CategoricalDistribution,
        FloatDistribution,
        IntDistribution,
        distribution_to_json,
    )
    from sqlalchemy import create_engine, text

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(study_name="bench", storage=url, direction="minimize")
    dists = {
        "lr": FloatDistribution(1e-5, 1e-1, log=True),
        "depth": IntDistribution(1, 8),
        "width": IntDistribution(16, 512, log=True),
        "act": CategoricalDistribution(ACTS),
        "dropout": FloatDistribution(0.0, 0.5),
    }
    encoded = {k: distribution_to_json(d) for k, d in dists.items()}
    engine = create_engine(url)
    with engine.begin() as conn:
        for start in range(0, len(trials), 5000):
            chunk = trials[start : start + 5000]
            ids = range(start + 1, start + 1 + len(chunk))
            conn.execute(
                text(
                    "INSERT INTO trials (trial_id, number, study_id, state, datetime_start, "
                    "datetime_complete) VALUES (:id, :number, :sid, 'COMPLETE', :s, :f)"
                ),
                [
                    {
                        "id": tid,
                        "number": tid - 1,
                        "sid": study._study_id,
                        "s": t["started"].replace(tzinfo=None),
                        "f": t["finished"].replace(tzinfo=None),
                    }
                    for tid, t in zip(ids, chunk, strict=True)
                ],
            )
            conn.execute(
                text(
                    "INSERT INTO trial_params (trial_id, param_name, param_value, "
                    "distribution_json) VALUES (:id, :name, :value, :dist)"
                ),
                [
                    {
                        "id": tid,
                        "name": name,
                        "value": dists[name].to_internal_repr(t["params"][name]),
                        "dist": encoded[name],
                    }
                    for tid, t in zip(ids, chunk, strict=True)
                    for name in dists
                ],
            )
            conn.execute(
                text(
                    "INSERT INTO trial_values (trial_id, objective, value, value_type) "
                    "VALUES (:id, 0, :value, 'FINITE')"
                ),
                [{"id": tid, "value": t["value"]} for tid, t in zip(ids, chunk, strict=True)],
            )
    engine.dispose()
    loaded = optuna.load_study(study_name="bench", storage=url)
    best = min(t["value"] for t in trials)
    assert math.isclose(loaded.best_value, best), (loaded.best_value, best)


def build(n: int) -> tuple[str, str, float, float]:
    """Both databases in benchmarks/out/dashboard (rebuilt every run); write times in seconds."""
    OUT.mkdir(parents=True, exist_ok=True)
    paths = [OUT / "paramscope.db", OUT / "optuna.db"]
    for path in paths:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    trials = make_trials(n)
    urls = [f"sqlite:///{p}" for p in paths]
    t0 = time.perf_counter()
    write_paramscope(urls[0], trials)
    t1 = time.perf_counter()
    write_optuna(urls[1], trials)
    t2 = time.perf_counter()
    with ps.storage.SQLStorage(urls[0]) as storage:
        assert storage.counts("bench")[ps.trial.TrialState.COMPLETE] == n
    return urls[0], urls[1], t1 - t0, t2 - t1


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(command: list[str], port: int, timeout: float = 600.0) -> subprocess.Popen[bytes]:
    """Start a dashboard process and wait until it answers HTTP."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{command[0]} exited: {proc.stderr.read().decode()[-2000:]}")  # type: ignore[union-attr]
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2):
                return proc
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError(f"{command[0]} did not start within {timeout} s")


def stop_server(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


PARAMSCOPE_READY = "() => document.body.dataset.ready === '1'"
OPTUNA_PLOTS = ("plot-history", "graph-hyperparameter-importances", "graph-timeline")
OPTUNA_READY = (
    f"() => {list(OPTUNA_PLOTS)}.every(id => {{ const d = document.getElementById(id); "
    "return d && d.data && d.data.some(t => (t.x || []).length > 0); })"
)


def load_page(context: Any, url: str, ready: str, timeout_ms: float) -> dict[str, float]:
    """Open ``url`` in a fresh page; ms to ``ready`` and JSON bytes fetched until then."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    page = context.new_page()
    responses: list[Any] = []
    page.on("response", lambda response: responses.append(response))
    page.goto(url, wait_until="commit", timeout=timeout_ms)
    try:
        page.wait_for_function(ready, timeout=timeout_ms, polling=50)
        elapsed = float(page.evaluate("performance.now()"))
        page.wait_for_load_state("networkidle", timeout=timeout_ms)
    except PlaywrightTimeout:  # recorded as "not drawn within the timeout"
        elapsed = math.inf
    json_bytes = transfer = 0
    for response in responses:
        if "json" in (response.headers.get("content-type") or ""):
            try:
                json_bytes += len(response.body())
                transfer += int(response.request.sizes()["responseBodySize"])
            except Exception:
                continue
    page.close()
    return {"ms": elapsed, "json": json_bytes, "transfer": transfer}


def peak_rss_mb(pid: int) -> float:
    """The peak resident memory of a process (``VmHWM``), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return math.nan


Run = dict[str, dict[str, float]]


def measure(
    name: str, command: Callable[[int], list[str]], path: str, ready: str, repeats: int
) -> list[Run]:
    """Cold and warm loads per repeat; after a load that never draws, no further repeats."""
    from playwright.sync_api import sync_playwright

    out: list[Run] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        for repeat in range(repeats):
            port = _free_port()
            proc = start_server(command(port), port)
            try:
                context = browser.new_context(viewport={"width": 1400, "height": 1000})
                base = f"http://127.0.0.1:{port}{path}"
                cold = load_page(context, base, ready, TIMEOUT_S * 1000)
                warm = (
                    cold
                    if math.isinf(cold["ms"])
                    else load_page(context, base, ready, TIMEOUT_S * 1000)
                )
                context.close()
                memory = peak_rss_mb(proc.pid)
            finally:
                stop_server(proc)
            print(f"{name} #{repeat + 1}: cold {cold}, warm {warm}, {memory:.0f} MB", flush=True)
            out.append({"cold": cold, "warm": warm, "server": {"mb": memory}})
            if math.isinf(cold["ms"]):
                break
        browser.close()
    return out


def _row(trials: int, name: str, runs: list[Run]) -> list[str]:
    def m(kind: str, key: str) -> float:
        return median([r[kind][key] for r in runs])

    def seconds(kind: str) -> str:
        value = m(kind, "ms") / 1000
        return f"{value:.2f}" if math.isfinite(value) else f"not drawn in {TIMEOUT_S} s"

    def megabytes(key: str) -> str:
        value = m("cold", key)
        if math.isinf(m("cold", "ms")):
            return f"{value / 1e6:.2f} (plots not drawn)"
        return f"{value / 1e6:.2f}"

    return [
        f"{trials:,}",
        name,
        f"{len(runs)}",
        seconds("cold"),
        seconds("warm"),
        megabytes("json"),
        megabytes("transfer"),
        f"{m('server', 'mb'):.0f}",
    ]


def compare(trials: int, repeats: int) -> tuple[list[list[str]], str]:
    """Build the study of ``trials`` trials and measure both dashboards on it."""
    ps_url, optuna_url, ps_write, optuna_write = build(trials)
    print(f"{trials}: written paramscope {ps_write:.1f} s, optuna {optuna_write:.1f} s")
    ours = measure(
        "paramscope",
        lambda port: [*PARAMSCOPE_CMD, "--storage", ps_url, "--port", str(port)],
        "/studies/bench",
        PARAMSCOPE_READY,
        repeats,
    )
    theirs = measure(
        "optuna-dashboard",
        lambda port: [str(BIN / "optuna-dashboard"), optuna_url, "--port", str(port), "--quiet"],
        "/dashboard/studies/1",
        OPTUNA_READY,
        repeats,
    )
    raw = OUT.with_name(f"dashboard-{trials}-runs.json")
    raw.write_text(json.dumps({"paramscope": ours, "optuna-dashboard": theirs}, indent=1))
    rows = [_row(trials, "paramscope", ours), _row(trials, "optuna-dashboard", theirs)]
    note = f"{trials:,} trials: paramscope {ps_write:.1f} s, Optuna tables {optuna_write:.1f} s"
    return rows, note


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--trials", default="10000,100000", help="comma-separated study sizes")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    sizes = [int(x) for x in args.trials.split(",")]
    rows: list[list[str]] = []
    notes: list[str] = []
    for trials in sizes:
        size_rows, note = compare(trials, args.repeats)
        rows += size_rows
        notes.append(note)
    import optuna_dashboard

    header = [
        "trials",
        "dashboard",
        "repeats",
        "first render, cold server (s)",
        "first render, warm server (s)",
        "JSON fetched (MB)",
        "JSON on the wire (MB)",
        "server peak memory (MB)",
    ]
    body = (
        "A single-objective study (5 parameters) with the same trials in both storages (SQLite "
        f"files). Median of up to {args.repeats} repeats; each repeat starts the dashboard's "
        "server afresh and opens the study page in a new Chromium context (Playwright, "
        "headless, no GPU): **cold** is the first load after the server starts, **warm** the "
        "second load on the same server. Time is from navigation start to every plot drawn "
        "(paramscope: history, parallel coordinates, importance; optuna-dashboard: history, "
        "hyperparameter importance, timeline); JSON is what the page fetched until then "
        "(decoded, and as sent, gzip; a response still being computed when the time ran out "
        f"counts 0). A dashboard whose plots are not drawn within {TIMEOUT_S} s is not "
        "repeated. Raw runs: `benchmarks/out/dashboard-<trials>-runs.json`.\n\n"
        f"{markdown_table(header, rows)}\n\n"
        f"Writing the studies (bulk inserts, not compared): {'; '.join(notes)}. "
        f"optuna-dashboard {optuna_dashboard.__version__} (its default server). paramscope "
        "draws at most about 2,000 history points and 1,000 sampled trials per plot and pages "
        "the table 50 rows at a time in SQL; optuna-dashboard sends every trial to the page."
    )
    write_section("dashboard", f"python -m benchmarks.dashboard --trials {args.trials}", body)
    print(body)


if __name__ == "__main__":
    main()
