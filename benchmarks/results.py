"""Shared by the benchmark scripts: write one named section of benchmarks/RESULTS.md."""

from __future__ import annotations

import gzip
import json
import multiprocessing
import platform
import re
import statistics
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).with_name("RESULTS.md")
ARCHIVE = Path(__file__).with_name("archive")
HEADER = (
    "# Benchmark results\n\nEach section is written by the script it names; rerun it to refresh.\n"
)


def load_runs(path: Path) -> list[dict[str, Any]]:
    """The rows of a resumable benchmark's JSON-lines file (none if it does not exist yet)."""
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def _archive_path(runs: Path) -> Path:
    return ARCHIVE / f"{runs.stem}-optuna.jsonl.gz"


def _optuna_version() -> str | None:
    try:
        import optuna
    except ImportError:
        return None
    return str(optuna.__version__)


def restore_peer_runs(runs: Path) -> int:
    """Add the archived Optuna rows to ``runs`` that it lacks; returns how many were added.

    Optuna's rows do not depend on paramscope's code and are seeded, yet its GPSampler takes
    hours on this benchmark's seeds; they are kept in git (``benchmarks/archive``) so a new machine
    reruns only paramscope. Rows written by another Optuna release than the installed one are
    not restored (so they are rerun); delete the archive file to rerun them all.
    """
    archive = _archive_path(runs)
    if not archive.exists():
        return 0
    key_fields = ("method", "problem", "task", "seed", "workers")
    have = {tuple(r.get(k) for k in key_fields) for r in load_runs(runs)}
    with gzip.open(archive, "rt") as f:
        rows = [json.loads(line) for line in f if line.strip()]
    version = _optuna_version()  # rows of another Optuna release are rerun, not reused
    missing = [
        r
        for r in rows
        if tuple(r.get(k) for k in key_fields) not in have and r.get("optuna") == version
    ]
    runs.parent.mkdir(exist_ok=True)
    with runs.open("a") as out:
        out.writelines(json.dumps(r) + "\n" for r in missing)
    return len(missing)


def archive_peer_runs(runs: Path) -> None:
    """Write the Optuna rows of ``runs`` to ``benchmarks/archive`` (see ``restore_peer_runs``)."""
    rows = [r for r in load_runs(runs) if str(r["method"]).startswith("optuna-")]
    for r in rows:  # the Optuna that wrote a row is the one installed when it is first archived
        r.setdefault("optuna", _optuna_version())
    if rows:
        ARCHIVE.mkdir(exist_ok=True)
        rows.sort(
            key=lambda r: (
                r["method"],
                r.get("problem") or r.get("task"),
                r["seed"],
                r.get("workers", 1),
            )
        )
        text = "".join(json.dumps(r) + "\n" for r in rows).encode()
        _archive_path(runs).write_bytes(gzip.compress(text, mtime=0))  # same rows, same bytes


def sync_peer_runs(runs: Path) -> None:
    """Before a report: restore the archived Optuna rows, then archive the ones run since."""
    restore_peer_runs(runs)
    archive_peer_runs(runs)


def stream_rows(
    runs: Path,
    job: Callable[[Any], dict[str, Any]],
    jobs: Sequence[Any],
    n_jobs: int,
    describe: Callable[[dict[str, Any]], str],
) -> None:
    """Run ``job`` over ``jobs`` in ``n_jobs`` forked processes, appending each row to ``runs``
    as it finishes (so an interrupted run resumes) and printing ``[i/n] describe(row)``."""
    runs.parent.mkdir(exist_ok=True)
    with multiprocessing.get_context("fork").Pool(n_jobs) as pool, runs.open("a") as out:
        rows: Iterable[dict[str, Any]] = pool.imap_unordered(job, jobs)
        for i, row in enumerate(rows, 1):
            out.write(json.dumps(row) + "\n")
            out.flush()
            print(f"[{i}/{len(jobs)}] {describe(row)}")


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def median(values: Sequence[float]) -> float:
    return float(statistics.median(values))


def cpu_model() -> str:
    """The CPU's model name (Linux ``/proc/cpuinfo``; else whatever ``platform`` knows)."""
    try:
        with open("/proc/cpuinfo") as info:
            for line in info:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def write_section(name: str, command: str, body: str) -> None:
    """Replace (or append) the section ``name`` of RESULTS.md, stamped with the command and host."""
    import numpy
    import scipy

    # numpy and scipy too: their linear algebra and L-BFGS-B steer every GP-based run, so the
    # same seeds give other trajectories under other releases; the CPU too, as BLAS kernels (and
    # so the rounding) differ between CPU models.
    stamp = (
        f"{datetime.now(UTC):%Y-%m-%d}, {platform.machine()} {cpu_model()}, "
        f"Python {platform.python_version()}, "
        f"numpy {numpy.__version__}, scipy {scipy.__version__}"
    )
    section = (
        f"<!-- section:{name} -->\n## {name}\n\n"
        f"Command: `{command}` ({stamp})\n\n{body.strip()}\n<!-- /section:{name} -->"
    )
    text = RESULTS.read_text() if RESULTS.exists() else HEADER
    pattern = re.compile(
        rf"<!-- section:{re.escape(name)} -->.*?<!-- /section:{re.escape(name)} -->", re.S
    )
    text = (
        pattern.sub(lambda _: section, text)
        if pattern.search(text)
        else text.rstrip() + "\n\n" + section + "\n"
    )
    RESULTS.write_text(text)
