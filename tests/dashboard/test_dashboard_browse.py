"""storage/browse.py on both backends: SQL paging, JSON sorting and filtering, exact cursors."""

from __future__ import annotations

import pytest

import paramscope as ps
from paramscope.errors import ConfigError
from paramscope.storage.browse import Condition, Cursor, Key, PageQuery, TrialBrowser
from paramscope.trial import TrialState

SPACE = ps.Space({"x": ps.Float(0.0, 1.0), "k": ps.Choice(["a", "b", "c"])})


def test_pages_sort_and_filter_in_sql(storage_url: str) -> None:
    study = ps.Study.create("s", SPACE, storage=storage_url, sampler="random", seed=3)
    study.optimize(lambda p: p["x"] + (p["k"] == "b"), budget=25, executor="inline")
    trials = study.trials
    browser = TrialBrowser(storage_url)
    try:
        by_x = sorted(trials, key=lambda t: -t.params["x"])
        page = browser.page(
            "s", PageQuery(offset=3, limit=5, sort=Key("params", "x"), descending=True)
        )
        assert page.total == 25 and [t.number for t in page.trials] == [t.number for t in by_x[3:8]]
        by_k = sorted(trials, key=lambda t: (t.params["k"], t.number))
        page = browser.page("s", PageQuery(limit=100, sort=Key("params", "k", text=True)))
        assert [t.number for t in page.trials] == [t.number for t in by_k]
        wanted = [t.number for t in trials if t.params["k"] == "b" and t.params["x"] < 0.5]
        clauses = (
            Condition(Key("params", "k", text=True), "=", "b"),
            Condition(Key("params", "x"), "<", 0.5),
        )
        page = browser.page("s", PageQuery(limit=100, conditions=clauses))
        assert (page.total, [t.number for t in page.trials]) == (len(wanted), wanted)
        page = browser.page("s", PageQuery(limit=100, sort=Key("values", "value")))
        assert [t.value for t in page.trials] == sorted(t.value for t in trials)  # type: ignore[type-var]
        assert browser.page("s", PageQuery(sort=Key("column", "duration"))).total == 25
        rows = browser.columns("s", [Key("values", "value")], states=[TrialState.COMPLETE])
        assert rows == [(t.number, t.value) for t in trials]
    finally:
        browser.close()
        study.close()


def test_the_cursor_is_exact(storage_url: str) -> None:
    study = ps.Study.create("c", SPACE, storage=storage_url, sampler="random", seed=0)
    browser = TrialBrowser(storage_url)
    try:
        cursor = browser.cursor("c")
        queued = [study.enqueue({"x": 0.1 * i, "k": "a"}).number for i in range(3)]
        found = browser.changes("c", cursor)
        assert [t.number for t in found.trials] == queued
        assert found.cursor == Cursor(3, (), (0, 1, 2))
        running = study.ask()  # claims trial 0
        found = browser.changes("c", found.cursor)
        assert [(t.number, t.state) for t in found.trials] == [(0, TrialState.RUNNING)]
        study.tell(running, 0.5)
        found = browser.changes("c", found.cursor)
        assert [(t.number, t.state) for t in found.trials] == [(0, TrialState.COMPLETE)]
        assert browser.changes("c", found.cursor).trials == []
        assert Cursor.decode(found.cursor.encode()) == found.cursor
    finally:
        browser.close()
        study.close()


@pytest.mark.parametrize("text", ["", "1", "1.2", "x.y.z", "3.5-2.", "3.0-999999999."])
def test_a_bad_cursor_is_a_config_error(text: str) -> None:
    with pytest.raises(ConfigError, match=r"^cursor: "):
        Cursor.decode(text)
