"""Calibration: paramscope.calibrate vs emcee run directly on the simulator, in one run.

Two problems (paramscope.analysis.calibration.testproblems):

* the Rosenbrock banana (outputs ``(a, 10 (b - a^2))`` observed at ``(1, 0)``, noise 0.1), whose
  exact 90% intervals come from integrating the posterior on a fine grid;
* the two-scale Lorenz-96 system, reduced to K=8, J=4 (RK4, dt = 0.01, statistics over 10 time
  units after 2 of spin-up, from one fixed initial condition), truth (h, F, c, b) = (1, 10, 10,
  10), observations from a run at the truth from another initial condition, noise = each
  statistic's standard deviation over 16 initial conditions at the truth.

paramscope: ``ps.calibrate`` at two budgets of simulator runs (history matching, MCMC on the
emulator, a check at posterior draws; default options). Direct: emcee's ensemble sampler on the
simulator itself (every log-likelihood evaluation is a simulator run), the same uniform prior, the
likelihood ``N(z; f(theta), noise^2)`` for the banana and ``N(z; f(theta), 2 noise^2)`` for
Lorenz-96 (the observation's internal variability plus the run's own). Eight independent
ensembles of 8 walkers (2 d for Lorenz-96, the fewest emcee allows: the fewest runs per step)
start in a small ball around the truth (the most favourable start for the direct method) and
advance in lockstep, each simulator call batching all their walkers. The reference intervals are
exact (banana) or, for each ensemble, the pooled second halves of the other seven (Lorenz-96;
the table shows all eight pooled). A direct ensemble "has comparable intervals" after n steps
when the 90% interval widths of its draws from steps n/2..n are within 20% of the reference's
for every parameter, at that checkpoint and every later one; its runs are walkers x (n + 1), and
the table gives the median over ensembles.

    .venv/bin/python -m benchmarks.calibration [--quick] [--no-write]
    .venv/bin/python -m benchmarks.calibration --report   # re-render the last run's JSON
"""

from __future__ import annotations

import argparse
import json
import math
import threading
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

import paramscope as ps
from benchmarks.results import markdown_table, median, write_section
from paramscope.analysis.calibration import CalibrationOptions, CalibrationResult
from paramscope.analysis.calibration.testproblems import (
    LORENZ96_STATISTICS,
    Lorenz96,
    Problem,
    banana,
    lorenz96,
)

COMMAND = "python -m benchmarks.calibration"
SAVED = Path(__file__).with_name("out") / "calibration.json"
LEVEL = 0.9
TOLERANCE = 0.2

BatchLogLik = Callable[[np.ndarray], np.ndarray]


@dataclass(frozen=True)
class Setup:
    """One problem as both methods see it."""

    name: str
    problem: Problem
    budgets: tuple[int, ...]  # paramscope budgets; the first is the headline
    batch_loglik: BatchLogLik  # (n, d) unit-cube points -> (n,) log likelihood
    ensembles: int
    walkers: int
    steps: int
    check_every: int


def decode(space: ps.Space, U: np.ndarray) -> np.ndarray:  # noqa: N803
    lows = np.array([space[n].low for n in space.names])  # type: ignore[union-attr]
    highs = np.array([space[n].high for n in space.names])  # type: ignore[union-attr]
    return lows + np.clip(U, 0.0, 1.0) * (highs - lows)


def intervals(draws: np.ndarray) -> np.ndarray:
    """``(d, 2)`` equal-tailed intervals of ``draws: (s, d)`` at LEVEL."""
    tail = (1.0 - LEVEL) / 2.0
    return np.quantile(draws, [tail, 1.0 - tail], axis=0).T


class Lockstep:
    """Batches the log-likelihood calls of several emcee ensembles (one thread each) into one."""

    def __init__(self, groups: int, fn: BatchLogLik) -> None:
        self.fn = fn
        self.requests: list[np.ndarray] = [np.zeros((0, 1))] * groups
        self.results: list[np.ndarray] = [np.zeros(0)] * groups
        self.barrier = threading.Barrier(groups, action=self._run)
        self.calls = 0

    def _run(self) -> None:
        sizes = [r.shape[0] for r in self.requests]
        out = self.fn(np.vstack(self.requests))
        self.results = np.split(out, np.cumsum(sizes)[:-1])
        self.calls += 1

    def log_prob(self, group: int) -> BatchLogLik:
        def evaluate(U: np.ndarray) -> np.ndarray:  # noqa: N803
            inside = np.all((U >= 0.0) & (U <= 1.0), axis=1)
            self.requests[group] = np.clip(U, 0.0, 1.0)
            self.barrier.wait()
            return np.where(inside, self.results[group], -np.inf)

        return evaluate


def run_direct(setup: Setup, seed: int) -> np.ndarray:
    """Chains ``(ensembles, steps, walkers, d)`` of emcee on the simulator itself."""
    import emcee

    space = setup.problem.space
    d = space.dim
    u_truth = np.array([space[n].encode(setup.problem.truth[n]) for n in space.names])
    rng = np.random.default_rng(seed)
    starts = [rng.standard_normal((setup.walkers, d)) for _ in range(setup.ensembles)]
    lockstep = Lockstep(setup.ensembles, setup.batch_loglik)
    chains: list[np.ndarray] = [np.zeros(0)] * setup.ensembles

    def worker(g: int) -> None:
        sampler = emcee.EnsembleSampler(setup.walkers, d, lockstep.log_prob(g), vectorize=True)
        sampler.random_state = np.random.RandomState(seed + g).get_state()
        start = np.clip(u_truth + 0.01 * starts[g], 0.0, 1.0)
        sampler.run_mcmc(start, setup.steps, progress=False)
        chains[g] = sampler.get_chain()

    threads = [threading.Thread(target=worker, args=(g,)) for g in range(setup.ensembles)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return np.stack(chains)


def steps_to_match(chain: np.ndarray, reference: np.ndarray, every: int) -> int | None:
    """First checkpoint n (then every later one) whose steps n/2..n give interval widths within
    TOLERANCE of ``reference: (d, 2)``; None if the chain never settles."""
    ref_width = reference[:, 1] - reference[:, 0]
    good_from = None
    for n in range(every, chain.shape[0] + 1, every):
        draws = chain[n // 2 : n].reshape(-1, chain.shape[2])
        width = np.diff(intervals(draws), axis=1)[:, 0]
        ok = bool(np.all(np.abs(width / ref_width - 1.0) <= TOLERANCE))
        if ok and good_from is None:
            good_from = n
        elif not ok:
            good_from = None
    return good_from


def banana_reference(problem: Problem) -> np.ndarray:
    """Exact 90% intervals of the banana posterior (in parameter units) on a fine grid."""
    assert problem.log_posterior is not None
    a = np.linspace(-2.0, 2.0, 2001)
    b = np.linspace(-1.0, 3.0, 2001)
    A, B = np.meshgrid(a, b, indexing="ij")  # noqa: N806
    logp = problem.log_posterior({"a": A, "b": B})  # type: ignore[dict-item]
    p = np.exp(logp - logp.max())
    out = []
    for axis, grid in ((1, a), (0, b)):
        marginal = p.sum(axis=axis)
        cdf = np.cumsum(marginal) / marginal.sum()
        tail = (1.0 - LEVEL) / 2.0
        out.append([float(np.interp(tail, cdf, grid)), float(np.interp(1 - tail, cdf, grid))])
    return np.array(out)


def banana_setup(quick: bool) -> Setup:
    problem = banana()

    def loglik(U: np.ndarray) -> np.ndarray:  # noqa: N803
        theta = decode(problem.space, U)
        y = np.column_stack([theta[:, 0], 10.0 * (theta[:, 1] - theta[:, 0] ** 2)])
        z = np.asarray(problem.observed)
        return -0.5 * np.sum((y - z) ** 2, axis=1) / problem.noise**2

    return Setup("banana", problem, (60, 30), loglik, 8, 8, 600 if quick else 4000, 20)


def lorenz_setup(quick: bool) -> Setup:
    system = Lorenz96(dt=0.01, every=5, window=10.0, spin_up=2.0)
    problem = lorenz96(system)
    z = np.array([problem.observed[k] for k in LORENZ96_STATISTICS])
    sd = np.array([problem.noise[k] for k in LORENZ96_STATISTICS])

    def loglik(U: np.ndarray) -> np.ndarray:  # noqa: N803
        stats = system.statistics(decode(problem.space, U))
        out = -0.5 * np.sum((stats - z) ** 2 / (2.0 * sd**2), axis=1)
        return np.where(np.isfinite(out), out, -np.inf)

    return Setup("lorenz96", problem, (200, 100), loglik, 8, 8, 40 if quick else 600, 10)


@dataclass(frozen=True)
class Calibrated:
    budget: int
    result: CalibrationResult
    seconds: float


@dataclass(frozen=True)
class Outcome:
    setup: Setup
    ours: list[Calibrated]
    reference: np.ndarray  # (d, 2) intervals shown as the reference
    reference_label: str
    direct_steps: list[int | None]  # per ensemble
    direct_seconds: float


def run_ours(setup: Setup, budget: int, *, quick: bool, seed: int) -> Calibrated:
    problem = setup.problem
    print(f"[{setup.name}] paramscope.calibrate, budget {budget} ...", flush=True)
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        result = ps.calibrate(
            problem.simulate,
            problem.space,
            observed=problem.observed,
            noise=problem.noise,
            budget=budget,
            seed=seed,
            options=CalibrationOptions(steps=300 if quick else 2000),
        )
    return Calibrated(budget, result, time.perf_counter() - start)


def run_problem(setup: Setup, *, quick: bool, seed: int) -> Outcome:
    ours = [run_ours(setup, budget, quick=quick, seed=seed) for budget in setup.budgets]
    print(f"[{setup.name}] emcee on the simulator ...", flush=True)
    start = time.perf_counter()
    chains = run_direct(setup, seed)
    direct_seconds = time.perf_counter() - start
    space = setup.problem.space
    thetas = decode(space, chains.reshape(-1, space.dim)).reshape(chains.shape)
    kept = thetas[:, setup.steps // 2 :]  # (ensembles, steps/2, walkers, d)
    if setup.name == "banana":
        reference, label = banana_reference(setup.problem), "the exact posterior (grid)"
        references = [reference] * setup.ensembles
    else:
        reference = intervals(kept.reshape(-1, space.dim))
        label = "the second halves of the other direct ensembles, pooled"
        references = [
            intervals(np.delete(kept, g, axis=0).reshape(-1, space.dim))
            for g in range(setup.ensembles)
        ]
    matched = [
        steps_to_match(thetas[g], references[g], setup.check_every) for g in range(setup.ensembles)
    ]
    print(f"[{setup.name}] direct done in {direct_seconds:.0f} s", flush=True)
    return Outcome(setup, ours, reference, label, matched, direct_seconds)


def summarize(o: Outcome) -> dict[str, Any]:
    """Everything the report needs, as plain JSON (kept in benchmarks/out/calibration.json)."""
    names = o.setup.problem.space.names
    head = o.ours[0].result
    walkers, steps = o.setup.walkers, o.setup.steps
    return {
        "problem": o.setup.name,
        "names": names,
        "truth": dict(o.setup.problem.truth),
        "ours": [
            {
                "runs": c.result.runs_used,
                "intervals": [list(c.result.interval(n, LEVEL)) for n in names],
                "seconds": c.seconds,
            }
            for c in o.ours
        ],
        "waves": [w.fraction_ruled_out for w in head.waves],
        "map": dict(head.map),
        "sentences": list(head.identifiability.sentences),
        "warnings": list(head.warnings),
        "reference": o.reference.tolist(),
        "reference_label": o.reference_label,
        "direct": {
            "ensembles": o.setup.ensembles,
            "walkers": walkers,
            "max_runs": walkers * (steps + 1),
            "runs": [None if n is None else walkers * (n + 1) for n in o.direct_steps],
            "seconds": o.direct_seconds,
        },
    }


def _interval_text(names: list[str], ivals: list[list[float]]) -> str:
    return ", ".join(f"{n} [{lo:.3g}, {hi:.3g}]" for n, (lo, hi) in zip(names, ivals, strict=True))


def direct_runs(direct: dict[str, Any]) -> tuple[float, str]:
    """Median runs to comparable intervals over the ensembles and its text; an ensemble that
    never got there counts as its whole chain, so the median is then a lower bound ("≥")."""
    runs = [direct["max_runs"] if r is None else r for r in direct["runs"]]
    bound = any(r is None for r in direct["runs"])
    value = median(runs)
    return value, f"{'≥ ' if bound else ''}{value:.0f}"


def _inside(record: dict[str, Any], ivals: list[list[float]]) -> str:
    pairs = zip(record["names"], ivals, strict=True)
    return "yes" if all(lo <= record["truth"][n] <= hi for n, (lo, hi) in pairs) else "no"


def report(records: list[dict[str, Any]]) -> str:
    header = ["problem", "method", "simulator runs", f"{LEVEL:.0%} intervals", "truth inside"]
    header += ["width / reference", "seconds"]
    rows, notes = [], []
    for r in records:
        names, reference = r["names"], r["reference"]
        for ours in r["ours"]:
            ratio = [
                (hi - lo) / (ref[1] - ref[0])
                for (lo, hi), ref in zip(ours["intervals"], reference, strict=True)
            ]
            rows.append(
                [r["problem"], "paramscope", ours["runs"], _interval_text(names, ours["intervals"]),
                 _inside(r, ours["intervals"]), ", ".join(f"{x:.2f}" for x in ratio),
                 f"{ours['seconds']:.0f}"]
            )  # fmt: skip
        d = r["direct"]
        method = f"emcee on the simulator ({d['ensembles']} ensembles x {d['walkers']} walkers)"
        rows.append(
            [r["problem"], method, direct_runs(d)[1], _interval_text(names, reference),
             _inside(r, reference), "reference", f"{d['seconds']:.0f}"]
        )  # fmt: skip
        notes.append(_note(r))
    return markdown_table(header, rows) + "\n\n" + "\n".join(notes)


def _note(r: dict[str, Any]) -> str:
    d = r["direct"]
    value, text = direct_runs(d)
    used = r["ours"][0]["runs"]
    per = ", ".join("never" if x is None else str(x) for x in d["runs"])
    never = sum(x is None for x in d["runs"])
    bound = f"; {never} never did within {d['max_runs']} runs" if never else ""
    factor = f"{'at least ' if never else ''}{value / used:.1f}x paramscope's {used}"
    ruled = ", ".join(f"{w:.1%}" for w in r["waves"])
    shown = ", ".join(f"{n} = {v:.4g}" for n, v in r["map"].items())
    if r["problem"] == "banana":  # a point mode; Lorenz-96's posterior is a ridge (see below)
        distance = math.sqrt(sum((r["map"][n] - r["truth"][n]) ** 2 for n in r["truth"]))
        shown += f" (distance to (1, 1): {distance:.4f})"
    warned = "; ".join(r["warnings"])
    return (
        f"- **{r['problem']}**: emcee on the simulator needed {text} runs (median over "
        f"ensembles: {per}{bound}) to get interval widths within {TOLERANCE:.0%} of "
        f"{r['reference_label']}: {factor}. paramscope with {used} runs: space ruled out after "
        f"each wave {ruled}; MAP {shown}. {' '.join(r['sentences'])}"
        + (f" Warnings: {warned}." if warned else "")
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="short chains (a smoke test)")
    parser.add_argument("--no-write", action="store_true", help="print, do not write RESULTS.md")
    parser.add_argument("--report", action="store_true", help="re-render the last run's JSON")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    if args.report:
        saved = json.loads(SAVED.read_text())
        records, minutes = saved["records"], saved["minutes"]
    else:
        started = time.perf_counter()
        setups = [banana_setup(args.quick), lorenz_setup(args.quick)]
        records = [summarize(run_problem(s, quick=args.quick, seed=args.seed)) for s in setups]
        minutes = (time.perf_counter() - started) / 60.0
        if not args.quick:
            SAVED.parent.mkdir(exist_ok=True)
            SAVED.write_text(json.dumps({"records": records, "minutes": minutes}, indent=1))
    body = report(records)
    print(body)
    print(f"total {minutes:.1f} min")
    if not args.no_write and not args.quick:
        intro = (
            "paramscope.calibrate (history matching, MCMC on a GP emulator, a check at "
            "posterior draws) against emcee run directly on the simulator; the set-up is in the "
            f"script's docstring. Reduced two-scale Lorenz-96: K=8, J=4. Total {minutes:.0f} min "
            "on one core."
        )
        write_section("Calibration", COMMAND, intro + "\n\n" + body)


if __name__ == "__main__":
    main()
