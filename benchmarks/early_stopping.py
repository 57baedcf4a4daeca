"""Early stopping: epochs to reach a target accuracy with ASHA, no stopping, Optuna's Hyperband.

An SGDClassifier is trained epoch by epoch (``partial_fit``, one pass over the training split) on
scikit-learn's bundled digits data; after each epoch the validation error is reported. Four
hyperparameters (alpha and eta0 on a log scale, the loss and the penalty) are drawn at random.
Every method gets the same search space, the same trial budget, the same epochs per trial and the
same seeds:

- paramscope, random sampler + ASHA (the default rule; min_resource 1, reduction factor 3),
- paramscope, random sampler + Hyperband (same settings),
- paramscope, random sampler, no stopping (the same configurations as the two above, in the same
  order, since the sampler is seeded by trial number),
- Optuna, RandomSampler + HyperbandPruner (min_resource 1, max_resource = epochs, factor 3),
- Optuna, RandomSampler + SuccessiveHalvingPruner (Optuna's ASHA, same settings).

Measured: the epochs trained in all (stopped trials count the epochs they ran) until the best
validation accuracy seen so far first reaches the target; a run that never reaches it within the
budget counts all its epochs (marked in the table). A run ends when the target is reached.

    .venv/bin/python -m benchmarks.early_stopping [--seeds 10] [--budget 60] [--epochs 81]
        [--target 0.965] [--no-write]
"""

from __future__ import annotations

import argparse
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import optuna
import sklearn
from sklearn.datasets import load_digits
from sklearn.linear_model import SGDClassifier
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

import paramscope as ps
from benchmarks.results import markdown_table, median, write_section
from paramscope.stopping import ASHA, Hyperband

LOSSES = ["hinge", "log_loss", "modified_huber"]
PENALTIES = ["l2", "l1", "elasticnet"]
SPACE = ps.Space(
    {
        "alpha": ps.Float(1e-6, 1e-1, log=True),
        "eta0": ps.Float(1e-4, 1.0, log=True),
        "loss": ps.Choice(LOSSES),
        "penalty": ps.Choice(PENALTIES),
    }
)
METHODS = (
    "paramscope-asha",
    "paramscope-hyperband",
    "paramscope-none",
    "optuna-hyperband",
    "optuna-sha",
)
OnEpoch = Callable[[int, float], bool]


@dataclass(frozen=True)
class Digits:
    """The digits data, standardized, split 70/30 once (the same split for every run)."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_valid: np.ndarray
    y_valid: np.ndarray
    classes: np.ndarray

    @classmethod
    def load(cls) -> Digits:
        x, y = load_digits(return_X_y=True)
        x_tr, x_va, y_tr, y_va = train_test_split(x, y, test_size=0.3, random_state=0, stratify=y)
        scaler = StandardScaler().fit(x_tr)
        return cls(scaler.transform(x_tr), y_tr, scaler.transform(x_va), y_va, np.unique(y))


def train(data: Digits, params: dict[str, Any], epochs: int, on_epoch: OnEpoch) -> float:
    """Train for up to ``epochs`` epochs, calling ``on_epoch(epoch, accuracy)`` after each one.

    Stops when ``on_epoch`` returns True; returns the last validation error.
    """
    model = SGDClassifier(
        alpha=params["alpha"],
        eta0=params["eta0"],
        loss=params["loss"],
        penalty=params["penalty"],
        learning_rate="invscaling",
        random_state=0,
    )
    error = 1.0
    for epoch in range(1, epochs + 1):
        model.partial_fit(data.x_train, data.y_train, classes=data.classes)
        scores = data.x_valid @ model.coef_.T + model.intercept_
        accuracy = float(np.mean(model.classes_[np.argmax(scores, axis=1)] == data.y_valid))
        error = 1.0 - accuracy
        if on_epoch(epoch, accuracy):
            break
    return error


@dataclass
class Tracker:
    """Counts epochs and remembers when the best accuracy first reached the target."""

    target: float
    epochs: int = 0
    best: float = 0.0
    at_target: int | None = None
    trials: int = 0
    trials_at_target: int | None = None
    stopped: int = 0
    seconds: float = 0.0
    started: float = field(default_factory=time.perf_counter)

    def epoch(self, accuracy: float) -> None:
        self.epochs += 1
        self.best = max(self.best, accuracy)
        if self.at_target is None and self.best >= self.target:
            self.at_target = self.epochs
            self.trials_at_target = self.trials

    @property
    def reached(self) -> bool:
        return self.at_target is not None


@dataclass(frozen=True)
class Setup:
    data: Digits
    epochs: int
    budget: int
    target: float


def run_paramscope(setup: Setup, method: str, seed: int) -> Tracker:
    """One paramscope study (in memory, one worker), trial by trial until the target."""
    rules: dict[str, Any] = {
        "paramscope-asha": ASHA(min_resource=1, reduction_factor=3, max_resource=setup.epochs),
        "paramscope-hyperband": Hyperband(
            min_resource=1, max_resource=setup.epochs, reduction_factor=3
        ),
        "paramscope-none": "none",
    }
    tracker = Tracker(setup.target)
    study = ps.Study.create(
        f"{method}-{seed}",
        SPACE,
        storage="sqlite://",
        sampler="random",
        seed=seed,
        stopping=rules[method],
    )

    def objective(params: dict[str, Any], trial: Any) -> float:
        tracker.trials += 1

        def on_epoch(epoch: int, accuracy: float) -> bool:
            tracker.epoch(accuracy)
            trial.report(epoch, 1.0 - accuracy)
            return bool(trial.should_stop())

        return train(setup.data, params, setup.epochs, on_epoch)

    for budget in range(1, setup.budget + 1):  # the budget counts the whole study: one more
        study.optimize(objective, budget=budget, executor="inline")
        if tracker.reached:
            break
    tracker.stopped = study.counts()[ps.TrialState.STOPPED]
    tracker.seconds = time.perf_counter() - tracker.started
    study.close()
    return tracker


def run_optuna(setup: Setup, method: str, seed: int) -> Tracker:
    """One Optuna study (in memory) with RandomSampler and the pruner, until the target."""
    pruners: dict[str, Callable[[], optuna.pruners.BasePruner]] = {
        "optuna-hyperband": lambda: optuna.pruners.HyperbandPruner(
            min_resource=1, max_resource=setup.epochs, reduction_factor=3
        ),
        "optuna-sha": lambda: optuna.pruners.SuccessiveHalvingPruner(
            min_resource=1, reduction_factor=3
        ),
    }
    tracker = Tracker(setup.target)
    study = optuna.create_study(
        study_name=f"{method}-{seed}",  # Hyperband's brackets hash the name: keep it fixed
        direction="minimize",
        sampler=optuna.samplers.RandomSampler(seed=seed),
        pruner=pruners[method](),
    )

    def objective(trial: optuna.Trial) -> float:
        tracker.trials += 1
        params = {
            "alpha": trial.suggest_float("alpha", 1e-6, 1e-1, log=True),
            "eta0": trial.suggest_float("eta0", 1e-4, 1.0, log=True),
            "loss": trial.suggest_categorical("loss", LOSSES),
            "penalty": trial.suggest_categorical("penalty", PENALTIES),
        }
        pruned = False

        def on_epoch(epoch: int, accuracy: float) -> bool:
            nonlocal pruned
            tracker.epoch(accuracy)
            trial.report(1.0 - accuracy, epoch)
            pruned = trial.should_prune()
            return pruned

        error = train(setup.data, params, setup.epochs, on_epoch)
        if pruned:
            raise optuna.TrialPruned()
        return error

    def stop_at_target(study: optuna.Study, trial: optuna.trial.FrozenTrial) -> None:
        if tracker.reached:
            study.stop()

    study.optimize(objective, n_trials=setup.budget, callbacks=[stop_at_target])
    tracker.stopped = sum(t.state == optuna.trial.TrialState.PRUNED for t in study.trials)
    tracker.seconds = time.perf_counter() - tracker.started
    return tracker


def run(setup: Setup, method: str, seed: int) -> Tracker:
    if method.startswith("paramscope"):
        return run_paramscope(setup, method, seed)
    return run_optuna(setup, method, seed)


def epochs_to_target(tracker: Tracker) -> int:
    """Epochs until the target, or every epoch run when it was never reached (censored)."""
    return tracker.at_target if tracker.at_target is not None else tracker.epochs


def report(results: dict[str, list[Tracker]], setup: Setup, seeds: list[int]) -> str:
    """The markdown body: one row per method, then the paired ratios and the verdict."""
    none = results.get("paramscope-none", [])
    rows = []
    for method, runs in results.items():
        epochs = [epochs_to_target(t) for t in runs]
        reached = sum(t.reached for t in runs)
        ratio = ""
        if none and method != "paramscope-none":
            ratio = f"{median(epochs) / median([epochs_to_target(t) for t in none]):.2f}"
        rows.append(
            [
                method,
                f"{reached}/{len(runs)}",
                f"{median(epochs):.0f}",
                ratio,
                f"{median([t.trials for t in runs]):.0f}",
                f"{median([t.stopped for t in runs]):.0f}",
                f"{sum(t.seconds for t in runs):.0f}",
            ]
        )
    header = [
        "method",
        "seeds reaching target",
        "median epochs to target",
        "vs no stopping",
        "median trials run",
        "median trials stopped",
        "total seconds",
    ]
    lines = [
        f"SGDClassifier on digits (1257 train / 540 validation), up to {setup.epochs} epochs per "
        f"trial, random search over alpha, eta0 (log), loss and penalty, trial budget "
        f"{setup.budget}; target: best validation accuracy >= {setup.target}. Seeds "
        f"{seeds[0]}..{seeds[-1]}; a run that misses the target counts all its epochs.",
        "",
        markdown_table(header, rows),
        "",
        _verdict(results),
    ]
    return "\n".join(lines)


def _verdict(results: dict[str, list[Tracker]]) -> str:
    needed = ("paramscope-asha", "paramscope-none", "optuna-hyperband")
    if not all(m in results for m in needed):
        return ""
    asha, none, hyperband = (median([epochs_to_target(t) for t in results[m]]) for m in needed)
    paired = [
        epochs_to_target(a) / epochs_to_target(n)
        for a, n in zip(results["paramscope-asha"], results["paramscope-none"], strict=True)
    ]
    met = asha <= none / 2 and asha <= hyperband
    return (
        f"ASHA needs {asha / none:.2f}× the epochs of no stopping (median of the per-seed ratios "
        f"on the same configurations: {median(paired):.2f}×) and {asha / hyperband:.2f}× those of "
        f"Optuna's HyperbandPruner. Issue 4 target (≤ 0.5× no stopping and ≤ Optuna Hyperband): "
        f"{'met' if met else 'not met'}."
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--budget", type=int, default=60)
    parser.add_argument("--epochs", type=int, default=81)
    parser.add_argument("--target", type=float, default=0.965)
    parser.add_argument("--methods", nargs="+", default=list(METHODS), choices=METHODS)
    parser.add_argument("--no-write", action="store_true", help="print, do not write RESULTS.md")
    args = parser.parse_args()
    warnings.filterwarnings("ignore")  # SGD's ConvergenceWarning on single epochs
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    sklearn.set_config(assume_finite=True)
    setup = Setup(Digits.load(), args.epochs, args.budget, args.target)
    seeds = list(range(args.seeds))
    results: dict[str, list[Tracker]] = {m: [] for m in args.methods}
    for seed in seeds:
        for method in args.methods:
            tracker = run(setup, method, seed)
            results[method].append(tracker)
            at = f"{tracker.at_target} epochs" if tracker.reached else f"missed ({tracker.epochs})"
            print(
                f"seed {seed} {method:22s} target {at:>14s}  trials {tracker.trials:3d}  "
                f"stopped {tracker.stopped:3d}  {tracker.seconds:5.1f} s",
                flush=True,
            )
    body = report(results, setup, seeds)
    print(body)
    if not args.no_write:
        command = (
            f"python -m benchmarks.early_stopping --seeds {args.seeds} --budget {args.budget} "
            f"--epochs {args.epochs} --target {args.target}"
        )
        write_section("Early stopping", command, body)


if __name__ == "__main__":
    main()
