"""Calibrate the two-scale Lorenz-96 system (K=36, J=10) from statistics of its variables.

The truth is (h, F, c, b) = (1, 10, 10, 10); the observations are eight statistics of a run at
the truth from another initial condition (means and variances of the slow variables X and of the
fast variables' local means, their covariance, the fast variables' variance, two
autocorrelations), with noise = each statistic's spread over 16 initial conditions at the truth.
Every simulator run is a trial in ``lorenz96.db``; the posterior's corner plot goes to
``lorenz96-posterior.html``.

    python examples/lorenz96_calibration.py [--budget 200] [--seed 0]

About 200 runs of roughly a second to a few seconds each on one core.
"""

from __future__ import annotations

import argparse

import paramscope as ps
from paramscope.analysis.calibration.testproblems import LORENZ96_TRUTH, Lorenz96, lorenz96
from paramscope.plots.posterior import corner_data, write_corner_html


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budget", type=int, default=200, help="simulator runs")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--storage", default="sqlite:///lorenz96.db")
    parser.add_argument("--plot", default="lorenz96-posterior.html")
    args = parser.parse_args()

    system = Lorenz96(K=36, J=10, dt=0.005, every=10, spin_up=2.0, window=10.0)
    problem = lorenz96(system)  # observations and noise from runs at the truth
    print("observed:", {k: round(v, 4) for k, v in problem.observed.items()})

    cal = ps.calibrate(
        problem.simulate,
        problem.space,
        observed=problem.observed,
        noise=problem.noise,
        budget=args.budget,
        seed=args.seed,
        storage=args.storage,
    )
    print(cal.summary())
    for name, truth in LORENZ96_TRUTH.items():
        low, high = cal.interval(name, level=0.9)
        verdict = "inside" if low <= truth <= high else "OUTSIDE"
        print(f"{name}: truth {truth:g} is {verdict} the 90% interval [{low:.3g}, {high:.3g}]")
    data = corner_data(cal.samples, map=cal.map, truth=dict(LORENZ96_TRUTH))
    print("corner plot:", write_corner_html(data, args.plot, title="Lorenz-96 posterior"))


if __name__ == "__main__":
    main()
