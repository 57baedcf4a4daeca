"""Corner plot of a posterior: the binned data step, the plotly figure and the HTML file."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from paramscope.errors import ConfigError
from paramscope.plots.posterior import corner_data, corner_figure, write_corner_html


@pytest.fixture
def draws() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    a = rng.normal(1.0, 0.1, 4000)
    return pd.DataFrame({"a": a, "b": a**2 + rng.normal(0.0, 0.01, 4000), "c": rng.random(4000)})


def test_corner_data_bins_every_marginal_and_pair(draws: pd.DataFrame) -> None:
    data = corner_data(draws, bins=20, map={"a": 1.0, "b": 1.0, "c": 0.5}, level=0.9)
    assert data.names == ("a", "b", "c")
    assert sorted(data.pairs) == [(1, 0), (2, 0), (2, 1)]
    assert all(int(h.sum()) == len(draws) for h in data.pairs.values())
    for i in range(3):
        width = np.diff(data.edges[i])
        assert data.marginals[i].shape == (20,)
        assert float(np.sum(data.marginals[i] * width)) == pytest.approx(1.0)
    low, high = data.intervals["a"]
    assert low == pytest.approx(1.0 - 0.1645, abs=0.01) and high == pytest.approx(1.1645, abs=0.01)


def test_corner_figure_has_marginals_pairs_and_marks(draws: pd.DataFrame, tmp_path: Path) -> None:
    data = corner_data(draws, map={"a": 1.0, "b": 1.0, "c": 0.5}, truth={"a": 1.0, "b": 1.0})
    figure = corner_figure(data, title="banana")
    kinds = [trace.type for trace in figure.data]
    assert kinds.count("bar") == 3 and kinds.count("heatmap") == 3
    assert kinds.count("scatter") == 3 + 1  # MAP in every pair; truth only where both are known
    out = write_corner_html(data, tmp_path / "corner.html")
    text = out.read_text()
    assert out.exists() and "plotly" in text and "banana" not in text


@pytest.mark.parametrize(
    ("frame", "bins", "message"),
    [
        (pd.DataFrame({"a": [1.0]}), 10, r"samples: expected at least 2 draws"),
        (pd.DataFrame({"a": [1.0, 2.0]}), 1, r"bins: expected an integer >= 2, got 1"),
    ],
)
def test_corner_data_rejects_too_little(frame: pd.DataFrame, bins: int, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        corner_data(frame, bins=bins)
