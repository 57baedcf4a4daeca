"""Scale out: trials per second with 8 workers on PostgreSQL vs Optuna, and the Dask overhead.

Two measurements, each repeated and reported as the median:

* storage throughput: 8 worker processes share one study on one PostgreSQL server (a throwaway
  server started here, ``fsync=off`` like the tests); a trivial objective and random sampling on
  both sides, so the numbers are the bookkeeping cost (ask, write, tell, read history) per trial.
  paramscope runs ``Study.optimize(workers=8)`` (forked processes), Optuna 8 forked processes on
  one ``RDBStorage`` study, each with its share of the trials and a ``RandomSampler``.
* Dask overhead: the same trivial study run with 2 workers by the processes executor and by the
  Dask executor on a ``LocalCluster`` of 2 single-threaded worker processes (started before the
  clock starts); the difference per trial is what sending each trial through Dask costs.

    .venv/bin/python -m benchmarks.scaleout [--trials 1000] [--workers 8] [--repeats 3]
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg

from benchmarks.results import markdown_table, median, write_section
from benchmarks.throughput import run_optuna_at, run_paramscope_at

PG_OPTIONS = "-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200"


def _as_postgres(command: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


@contextmanager
def postgres_server() -> Iterator[str]:
    """Start a throwaway PostgreSQL server (initdb, pg_ctl) and yield the URL of its admin db."""
    bins = max(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name))
    base = Path(tempfile.mkdtemp(prefix="paramscope-bench-pg-"))
    base.chmod(0o755)
    data, log = base / "data", base / "server.log"
    if os.geteuid() == 0:
        shutil.chown(base, user="postgres", group="postgres")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    subprocess.run(
        _as_postgres([str(bins / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust"]),
        check=True,
        capture_output=True,
    )
    options = f"-p {port} -k {base} {PG_OPTIONS}"
    pg_ctl = str(bins / "pg_ctl")
    start = [pg_ctl, "start", "-D", str(data), "-w", "-l", str(log), "-o", options]
    subprocess.run(_as_postgres(start), check=True, capture_output=True)
    try:
        yield f"postgresql://postgres@127.0.0.1:{port}/postgres"
    finally:
        stop = [pg_ctl, "stop", "-D", str(data), "-m", "fast", "-w"]
        subprocess.run(_as_postgres(stop), check=False, capture_output=True)
        shutil.rmtree(base, ignore_errors=True)


def fresh_database(admin_url: str, name: str) -> str:
    """Drop and create database ``name`` on the server; return its URL."""
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return admin_url.rsplit("/", 1)[0] + f"/{name}"


def run_paramscope(url: str, trials: int, workers: int, seed: int, executor: Any) -> float:
    return run_paramscope_at(url, trials, workers, seed, executor)


def run_optuna(url: str, trials: int, workers: int, seed: int) -> float:
    return run_optuna_at(
        url.replace("postgresql://", "postgresql+psycopg://"), trials, workers, seed
    )


def throughput(admin: str, args: argparse.Namespace) -> tuple[str, dict[str, list[float]]]:
    runners = {
        "paramscope (random, PostgreSQL)": lambda url, seed: run_paramscope(
            url, args.trials, args.workers, seed, "processes"
        ),
        "Optuna RDBStorage (random, PostgreSQL)": lambda url, seed: run_optuna(
            url, args.trials, args.workers, seed
        ),
    }
    seconds: dict[str, list[float]] = {name: [] for name in runners}
    for repeat in range(args.repeats):
        for index, (name, runner) in enumerate(runners.items()):
            url = fresh_database(admin, f"bench_{index}_{repeat}")
            seconds[name].append(runner(url, repeat))
            print(f"{name}: run {repeat}: {args.trials / seconds[name][-1]:.1f} trials/s")
    optuna_rate = args.trials / median(seconds["Optuna RDBStorage (random, PostgreSQL)"])
    rows = []
    for name, times in seconds.items():
        rate = args.trials / median(times)
        each = ", ".join(f"{args.trials / t:.0f}" for t in times)
        rows.append(
            [name, f"{median(times):.1f}", f"{rate:.1f}", each, f"{rate / optuna_rate:.2f}×"]
        )
    table = markdown_table(
        ["storage", "seconds (median)", "trials/s", "each run", "vs Optuna"], rows
    )
    return table, seconds


def dask_overhead(admin: str, args: argparse.Namespace) -> str:
    from distributed import Client, LocalCluster

    cluster = LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    )
    client = Client(cluster)
    n = args.dask_trials
    per_trial: dict[str, list[float]] = {"processes": [], "dask": []}
    try:
        for repeat in range(args.repeats):
            for name, executor in (("processes", "processes"), ("dask", client)):
                url = fresh_database(admin, f"dask_{name}_{repeat}")
                elapsed = run_paramscope(url, n, 2, repeat, executor)
                per_trial[name].append(1000.0 * elapsed / n)
                print(f"{name}: run {repeat}: {per_trial[name][-1]:.2f} ms per trial")
    finally:
        client.close()
        cluster.close()
    rows = [
        [name, f"{median(ms):.2f}", ", ".join(f"{m:.2f}" for m in ms)]
        for name, ms in per_trial.items()
    ]
    extra = median(per_trial["dask"]) - median(per_trial["processes"])
    return (
        markdown_table(["executor (2 workers)", "ms per trial (median)", "each run"], rows)
        + f"\n\nDask adds {extra:+.2f} ms per trial over the processes executor "
        f"({n} trials of a trivial objective, PostgreSQL, a LocalCluster of 2 worker processes)."
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--dask-trials", type=int, default=300)
    args = parser.parse_args()
    load_before = os.getloadavg()[0]
    with postgres_server() as admin:
        table, _ = throughput(admin, args)
        dask_table = dask_overhead(admin, args)
    load = f"{load_before:.1f} at the start, {os.getloadavg()[0]:.1f} at the end"
    body = (
        f"{args.trials} trials of a trivial objective, {args.workers} worker processes, one "
        f"PostgreSQL server ({PG_OPTIONS.replace(' -c ', ', ').removeprefix('-c ')}), random "
        f"sampling on both sides, the two alternating, median of {args.repeats} runs. "
        f"{os.cpu_count()} CPUs, 1-minute load average {load}: on a busy machine the absolute "
        f"rates are low, the ratio is the result.\n\n{table}\n\n"
        f"### Dask executor overhead\n\n{dask_table}\n\nThe Dask driver asks, submits and "
        "tells every trial from one thread (the sampler runs once, in the driver), so with a "
        "trivial objective its rate is one driver's bookkeeping rate; the processes executor "
        "runs that bookkeeping in each worker process at once."
    )
    command = (
        f"python -m benchmarks.scaleout --trials {args.trials} --workers {args.workers} "
        f"--repeats {args.repeats} --dask-trials {args.dask_trials}"
    )
    write_section("Scale out", command, body)
    print(body)


if __name__ == "__main__":
    main()
