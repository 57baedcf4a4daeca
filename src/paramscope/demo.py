"""Demo: the objective of ``paramscope demo``, a support vector classifier on scikit-learn's digits.

The digits dataset (1,797 images of 8×8 pixels, ten classes) ships inside scikit-learn, so the
demo needs no download. One trial is a five-fold cross-validation of an ``SVC``; its accuracy
swings from about 0.1 to about 0.99 across the space (``gamma`` on a log scale matters most), so
a good optimizer visibly beats luck within thirty trials. The function is top-level so that
worker processes, and ``paramscope worker --study demo``, can import it by name.
"""

from __future__ import annotations

import time
from functools import cache
from typing import Any

import numpy as np
from numpy.typing import NDArray

from paramscope.space import Choice, Float, Int, Space

OBJECTIVE = "paramscope.demo:svc_accuracy"
"""The demo objective's import path, stored with the demo study for ``paramscope worker``."""

FOLDS = 5


def demo_space() -> Space:
    """The demo's search space: the SVC's ``C``, ``gamma``, ``kernel`` and polynomial ``degree``.

    ``degree`` only matters when ``kernel`` is ``"poly"``.

    Example:
        >>> demo_space().names
        ['C', 'gamma', 'kernel', 'degree']
    """
    return Space(
        {
            "C": Float(1e-2, 1e3, log=True),
            "gamma": Float(1e-5, 1e-1, log=True),
            "kernel": Choice(["rbf", "poly", "sigmoid"]),
            "degree": Int(2, 5),
        }
    )


@cache
def _digits() -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    from sklearn.datasets import load_digits

    data = load_digits()
    return np.asarray(data.data, dtype=float), np.asarray(data.target)


def svc_accuracy(params: dict[str, Any]) -> dict[str, float]:
    """Cross-validated accuracy of an ``SVC`` with ``params`` on the digits dataset.

    Args:
        params: ``C``, ``gamma``, ``kernel`` and ``degree``, as in :func:`demo_space`.

    Returns:
        ``accuracy`` (the mean over five folds, to maximize), its spread over the folds
        ``accuracy_std`` and the wall time ``cv_seconds``, kept as metrics.

    Example:
        >>> result = svc_accuracy({"C": 10.0, "gamma": 1e-3, "kernel": "rbf", "degree": 3})
        >>> result["accuracy"] > 0.95
        True
    """
    from sklearn.model_selection import cross_val_score
    from sklearn.svm import SVC

    start = time.perf_counter()
    features, labels = _digits()
    model = SVC(
        C=float(params["C"]),
        gamma=float(params["gamma"]),
        kernel=str(params["kernel"]),
        degree=int(params["degree"]),
    )
    scores = cross_val_score(model, features, labels, cv=FOLDS, n_jobs=1)
    return {
        "accuracy": float(np.mean(scores)),
        "accuracy_std": float(np.std(scores)),
        "cv_seconds": time.perf_counter() - start,
    }
