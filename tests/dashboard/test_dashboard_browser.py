"""Dashboard in a real browser: Playwright on Debian's Chromium against a live uvicorn server.

Never runs ``playwright install``: it uses /usr/bin/chromium and skips when that is missing.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

import paramscope as ps
from paramscope.dashboard import create_app

CHROMIUM = "/usr/bin/chromium"
pytestmark = [
    pytest.mark.skipif(
        not os.path.exists(CHROMIUM), reason=f"needs Debian's Chromium at {CHROMIUM}"
    ),
    pytest.mark.slow,
]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def server(
    tmp_path_factory: pytest.TempPathFactory, studies_maker: Callable[[str], None]
) -> Iterator[tuple[str, str]]:
    """A uvicorn server in a thread over a fresh SQLite file; yields (base URL, storage URL)."""
    import uvicorn

    url = f"sqlite:///{tmp_path_factory.mktemp('live') / 'runs.db'}"
    studies_maker(url)
    port = _free_port()
    config = uvicorn.Config(create_app(url), host="127.0.0.1", port=port, log_level="warning")
    uv = uvicorn.Server(config)
    thread = threading.Thread(target=uv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not uv.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}", url
    uv.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A fresh page that records console errors and uncaught exceptions in ``page.problems``."""
    context = browser.new_context()
    tab = context.new_page()
    problems: list[str] = []
    tab.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    tab.on("pageerror", lambda e: problems.append(str(e)))
    tab.problems = problems
    yield tab
    context.close()


def _points(page: Any, plot: str) -> int:
    return int(page.get_attribute(f"#{plot}", "data-points"))


@pytest.mark.parametrize(
    "path",
    ["/", "/studies/demo", "/studies/mo", "/studies/demo/trials/30", "/studies/rep/trials/1"],
)
def test_pages_load_without_console_errors(server: tuple[str, str], page: Any, path: str) -> None:
    base, _ = server
    page.goto(base + path)
    if path == "/":
        page.wait_for_selector("#studies tbody tr[data-study='demo']")
    else:
        page.wait_for_selector("body[data-ready='1']", timeout=30_000)
    assert page.problems == []
    assert page.inner_text("#error") == ""
    if path == "/studies/rep/trials/1":  # one curve of five reported steps
        assert _points(page, "plot-reports") == 1
        ys = page.evaluate("document.getElementById('plot-reports').data[0].y")
        assert len([y for y in ys if y is not None]) == 5


def test_plots_render_the_expected_number_of_points(server: tuple[str, str], page: Any) -> None:
    base, url = server
    page.goto(base + "/studies/mo")
    page.wait_for_selector("body[data-ready='1']", timeout=30_000)
    study = ps.Study.load("mo", storage=url)
    complete = sum(t.state == "complete" for t in study.trials)
    front = len(study.pareto_front())
    study.close()
    assert _points(page, "plot-history") == complete
    assert _points(page, "plot-pareto") == complete
    assert _points(page, "plot-parallel") == complete
    svg_points = page.locator("#plot-history .scatterlayer .trace:first-child .point").count()
    assert svg_points == complete
    assert page.locator("#plot-pareto .scatterlayer .point").count() == complete
    drawn = page.evaluate(
        "Object.fromEntries(document.getElementById('plot-pareto').data"
        ".map(t => [t.name, t.x.length]))"
    )
    assert drawn == {"dominated": complete - front, "Pareto front": front}
    assert 0 < front < complete
    assert page.problems == []


def test_a_trial_told_while_the_page_is_open_appears(server: tuple[str, str], page: Any) -> None:
    base, url = server
    page.goto(base + "/studies/demo")
    page.wait_for_selector("body[data-ready='1']", timeout=30_000)
    before = _points(page, "plot-history")
    study = ps.Study.load("demo", storage=url)
    trial = study.ask()
    row = f"#trials tbody tr[data-number='{trial.number}']"
    page.wait_for_selector(f"{row}.running", timeout=15_000)
    study.tell(trial, 0.001)  # a new best
    page.wait_for_selector(f"{row}.complete", timeout=15_000)
    page.wait_for_selector(f"#plot-history[data-points='{before + 1}']", timeout=15_000)
    best_line = page.evaluate("document.getElementById('plot-history').data[1].y")
    assert best_line[-1] == 0.001
    assert page.locator("#counts [data-state='complete']").inner_text().endswith(str(before + 1))
    study.close()
    assert page.problems == []


def test_the_table_filter_works(server: tuple[str, str], page: Any) -> None:
    base, url = server
    page.goto(base + "/studies/demo")
    page.wait_for_selector("body[data-ready='1']", timeout=30_000)
    study = ps.Study.load("demo", storage=url)
    wanted = [
        t.number for t in study.trials if t.params["depth"] >= 5 and t.params["act"] == "relu"
    ]
    study.close()
    page.fill("#filter", "depth >= 5, act = relu")
    page.click("#table-form button[type='submit']")
    page.wait_for_selector(f"#page-info[data-total='{len(wanted)}']", timeout=15_000)
    shown = page.eval_on_selector_all(
        "#trials tbody tr", "rows => rows.map(r => Number(r.dataset.number))"
    )
    assert shown == wanted
    page.fill("#filter", "depth >> 5")
    page.click("#table-form button[type='submit']")
    page.wait_for_function("() => document.getElementById('table-error').textContent !== ''")
    assert page.inner_text("#table-error").startswith("filter:")
    page.click("th[data-key='params.lr']")  # sort by a parameter, in SQL
    page.fill("#filter", "")
    page.click("#table-form button[type='submit']")
    page.wait_for_function("() => document.getElementById('table-error').textContent === ''")
    page.wait_for_selector("th[data-key='params.lr']:has-text('▲')")
    # Chrome logs each 400 answer to the bad filter (the sort click still carried it); no other
    bad_requests = [p for p in page.problems if "400 (Bad Request)" in p]
    assert page.problems == bad_requests and len(bad_requests) == 2
