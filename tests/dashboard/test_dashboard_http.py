"""Dashboard HTTP tests: security gate, read-only default, paging in SQL, cursors, bad input."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

import paramscope as ps
from paramscope.dashboard import SecurityPolicy
from paramscope.errors import ConfigError
from paramscope.storage import SQLStorage
from paramscope.trial import TrialState

Client = Callable[..., Any]  # the ``client`` fixture of conftest.py
TOKEN = "t0k3n-for-the-dashboard-tests"
ORIGIN = "http://127.0.0.1:8080"  # the base URL of the ``client`` fixture
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

WRITER = SecurityPolicy(token=TOKEN, allow_writes=True)
GOOD = {"origin": ORIGIN, "authorization": f"Bearer {TOKEN}"}
PARAMS = {"lr": 0.001, "depth": 3, "act": "relu"}


def _error(response: Any, status: int) -> str:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    message = response.json()["error"]
    assert "\n" not in message and message
    return str(message)


@pytest.mark.parametrize(
    ("path", "headers"),
    [
        ("/", {}),
        ("/studies/demo", {}),
        ("/static/study.js", {}),
        ("/api/studies/demo/trials", {}),
        ("/api/studies/nope", {}),
        ("/api/studies", {"host": "evil.example"}),
    ],
)
def test_every_response_has_a_strict_csp(
    client: Client, study_url: str, path: str, headers: dict[str, str]
) -> None:
    response = client(study_url).get(path, headers=headers)
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "default-src 'none'" in csp
    assert "unsafe-eval" not in csp and "frame-ancestors 'none'" in csp
    assert response.headers["x-content-type-options"] == "nosniff"


def test_pages_have_no_inline_script(client: Client, study_url: str) -> None:
    http = client(study_url)
    for path in ("/", "/studies/demo", "/studies/demo/trials/3"):
        html = http.get(path).text
        assert "<script>" not in html and "<script src=" in html
        assert "http://" not in html and "https://" not in html  # nothing from a CDN
    js = http.get("/static/plotly.min.js", headers={"accept-encoding": "gzip"})
    assert js.status_code == 200 and js.headers["content-encoding"] == "gzip"
    assert len(js.content) > 1_000_000


@pytest.mark.parametrize("host", ["evil.example", "evil.example:8080", "127.0.0.2", ""])
def test_a_foreign_host_is_rejected(client: Client, study_url: str, host: str) -> None:
    response = client(study_url).get("/api/studies", headers={"host": host})
    assert "host" in _error(response, 400)


def test_loopback_hosts_are_accepted(client: Client, study_url: str) -> None:
    http = client(study_url)
    for host in ("127.0.0.1:8080", "localhost:8080", "[::1]:8080", "LOCALHOST"):
        assert http.get("/api/studies", headers={"host": host}).status_code == 200


def test_read_only_by_default(client: Client, fresh_url: str) -> None:
    http = client(fresh_url)
    response = http.post("/api/studies/demo/enqueue", json={"params": PARAMS}, headers=GOOD)
    assert "read-only" in _error(response, 403)
    number = 30
    assert "read-only" in _error(http.post(f"/api/studies/demo/trials/{number}/fail"), 403)
    with SQLStorage(fresh_url) as storage:
        assert storage.counts("demo")[TrialState.QUEUED] == 0
    assert http.get("/api/studies/demo").json()["writes"] is False


@pytest.mark.parametrize(
    "headers",
    [
        {"origin": ORIGIN},
        {"origin": ORIGIN, "authorization": "Bearer wrong-token-wrong-token"},
        {"origin": ORIGIN, "x-paramscope-token": TOKEN[:-1]},
    ],
)
def test_writes_without_the_token_are_rejected(
    client: Client, fresh_url: str, headers: dict[str, str]
) -> None:
    http = client(fresh_url, WRITER)
    response = http.post("/api/studies/demo/enqueue", json={"params": PARAMS}, headers=headers)
    assert "token" in _error(response, 401)
    with SQLStorage(fresh_url) as storage:
        assert storage.counts("demo")[TrialState.QUEUED] == 0


@pytest.mark.parametrize(
    "origin",
    [
        {"origin": "http://evil.example"},
        {"origin": "http://127.0.0.1:9999"},
        {"origin": "null"},
        {"referer": "http://evil.example/studies/demo"},
        {},
    ],
)
def test_writes_from_a_foreign_origin_are_rejected(
    client: Client, fresh_url: str, origin: dict[str, str]
) -> None:
    http = client(fresh_url, WRITER)
    headers = {"authorization": f"Bearer {TOKEN}", **origin}
    response = http.post("/api/studies/demo/enqueue", json={"params": PARAMS}, headers=headers)
    assert "origin" in _error(response, 403)


def test_writes_need_a_json_body(client: Client, fresh_url: str) -> None:
    http = client(fresh_url, WRITER)
    response = http.post("/api/studies/demo/enqueue", content=b"params=1", headers=GOOD)
    assert "content-type" in _error(response, 415)
    form = {**GOOD, "content-type": "application/json"}
    assert "body" in _error(http.post("/api/studies/demo/enqueue", content=b"{", headers=form), 400)
    bad = http.post("/api/studies/demo/enqueue", json={"params": {"lr": 5}}, headers=GOOD)
    assert "params" in _error(bad, 400)


def test_enqueue_and_fail_with_token_and_same_origin(client: Client, fresh_url: str) -> None:
    http = client(fresh_url, WRITER)
    made = http.post("/api/studies/demo/enqueue", json={"params": PARAMS}, headers=GOOD)
    assert made.status_code == 200, made.text
    assert made.json()["trial"]["state"] == "queued"
    study = ps.Study.load("demo", storage=fresh_url)
    running = study.ask()  # claims the queued trial
    assert dict(running.params) == PARAMS
    referer = {"referer": f"{ORIGIN}/studies/demo", "x-paramscope-token": TOKEN}
    failed = http.post(
        f"/api/studies/demo/trials/{running.number}/fail", json={"reason": "hung"}, headers=referer
    )
    assert failed.status_code == 200, failed.text
    assert failed.json()["trial"]["state"] == "failed"
    assert "hung" in study.storage.trial("demo", running.number).error  # type: ignore[operator]
    again = http.post(f"/api/studies/demo/trials/{running.number}/fail", json={}, headers=GOOD)
    assert "already failed" in _error(again, 409)
    study.close()


def test_a_token_protects_reads_and_logs_in_by_cookie(client: Client, study_url: str) -> None:
    http = client(study_url, SecurityPolicy(token=TOKEN))
    assert "token" in _error(http.get("/api/studies"), 401)
    login = http.get(f"/studies/demo?token={TOKEN}", follow_redirects=False)
    assert login.status_code == 303 and login.headers["location"] == "/studies/demo"
    assert "HttpOnly" in login.headers["set-cookie"]
    assert "SameSite=Strict" in login.headers["set-cookie"]
    assert http.get("/api/studies").status_code == 200  # the cookie now rides along
    http.cookies.clear()
    assert http.get("/api/studies", headers={"authorization": f"Bearer {TOKEN}"}).status_code == 200


def test_binding_elsewhere_needs_a_token() -> None:
    with pytest.raises(ConfigError, match=r"--host: binding 0\.0\.0\.0"):
        SecurityPolicy(host="0.0.0.0")
    with pytest.raises(ConfigError, match="--allow-writes"):
        SecurityPolicy(allow_writes=True)
    assert "127.0.0.1" in SecurityPolicy(host="0.0.0.0", token=TOKEN).allowed_hosts()


def _numbers(http: Any, **params: Any) -> tuple[int, list[int]]:
    response = http.get("/api/studies/demo/trials", params=params)
    assert response.status_code == 200, response.text
    body = response.json()
    return body["total"], [t["number"] for t in body["trials"]]


def test_paging_sorting_and_filtering_match_python(client: Client, study_url: str) -> None:
    http = client(study_url)
    with SQLStorage(study_url) as storage:
        trials = storage.trials("demo")
    by_lr = sorted(trials, key=lambda t: (-t.params["lr"], t.number))
    total, numbers = _numbers(http, sort="params.lr", order="desc", offset=5, limit=7)
    assert total == len(trials) and numbers == [t.number for t in by_lr[5:12]]

    complete = sorted((t for t in trials if t.value is not None), key=lambda t: (t.value, t.number))
    total, numbers = _numbers(http, sort="value", limit=500)
    assert numbers == [t.number for t in complete] + [30]  # the failed trial (no value) last
    total, numbers = _numbers(http, sort="value", order="desc", limit=3)
    assert numbers == [t.number for t in complete[::-1][:3]]

    wanted = [t.number for t in trials if t.params["depth"] >= 4 and t.params["act"] == "relu"]
    total, numbers = _numbers(http, filter="depth >= 4, act = relu", limit=500)
    assert (total, numbers) == (len(wanted), wanted) and 0 < total < len(trials)
    total, numbers = _numbers(http, filter="params.lr < 0.01, value > 0.5", limit=500)
    assert numbers == [
        t.number for t in complete_by_number(trials) if t.params["lr"] < 0.01 and t.value > 0.5
    ]  # type: ignore[operator]
    assert _numbers(http, state="failed") == (1, [30])
    assert _numbers(http, state="complete,failed", limit=2, offset=30) == (31, [30])
    assert _numbers(http, filter="state = failed") == (1, [30])
    assert _numbers(http, sort="duration", limit=1)[0] == 31


def complete_by_number(trials: list[Any]) -> list[Any]:
    return [t for t in trials if t.value is not None]


def test_the_cursor_returns_only_what_changed(client: Client, fresh_url: str) -> None:
    http = client(fresh_url)
    cursor = http.get("/api/studies/demo").json()["cursor"]

    def changes() -> list[tuple[int, str]]:
        nonlocal cursor
        body = http.get("/api/studies/demo/changes", params={"cursor": cursor}).json()
        cursor = body["cursor"]
        return [(t["number"], t["state"]) for t in body["trials"]]

    assert changes() == []
    study = ps.Study.load("demo", storage=fresh_url)
    trial = study.ask()
    assert changes() == [(31, "running")]
    assert changes() == []
    study.tell(trial, 0.5)
    queued = study.enqueue(PARAMS)
    assert changes() == [(31, "complete"), (queued.number, "queued")]
    claimed = study.ask()
    assert claimed.number == queued.number
    assert changes() == [(queued.number, "running")]
    study.tell(claimed, error="lost")
    assert changes() == [(queued.number, "failed")]
    assert changes() == []
    study.close()


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/api/studies/demo/trials?limit=0", "limit"),
        ("/api/studies/demo/trials?limit=x", "limit"),
        ("/api/studies/demo/trials?offset=-1", "offset"),
        ("/api/studies/demo/trials?sort=bogus", "sort"),
        ("/api/studies/demo/trials?sort=params.nope", "sort"),
        ("/api/studies/demo/trials?order=up", "order"),
        ("/api/studies/demo/trials?state=done", "state"),
        ("/api/studies/demo/trials?filter=lr%20~%201", "filter"),
        ("/api/studies/demo/trials?filter=lr%20%3C%20big", "filter"),
        ("/api/studies/demo/trials?filter=nope%20%3D%201", "filter"),
        ("/api/studies/demo/trials?color=red", "color"),
        ("/api/studies/demo/changes", "cursor"),
        ("/api/studies/demo/changes?cursor=x.y", "cursor"),
        ("/api/studies/demo/figures/history?objective=3", "objective"),
        ("/api/studies/demo/figures/pie", "figure"),
        ("/api/studies/demo/figures/pareto", "figure"),
        ("/api/studies/demo/trials/x1", "number"),
    ],
)
def test_bad_query_parameters_name_the_field(
    client: Client, study_url: str, path: str, field: str
) -> None:
    message = _error(client(study_url).get(path), 400)
    assert message.startswith(f"{field}:"), message


def test_unknown_study_and_trial_are_404(client: Client, study_url: str) -> None:
    http = client(study_url)
    assert "not found" in _error(http.get("/api/studies/nope/trials"), 404)
    assert "no trial" in _error(http.get("/api/studies/demo/trials/999"), 404)


def test_trial_endpoint_sends_reports_and_the_error_tail(client: Client, study_url: str) -> None:
    http = client(study_url)
    body = http.get("/api/studies/demo/trials/30").json()
    assert body["trial"]["error_tail"][-1] == "ValueError: boom"
    assert body["trial"]["state"] == "failed" and body["trial"]["reports"] == []
    body = http.get("/api/studies/rep/trials/1").json()
    assert [step for step, _ in body["trial"]["reports"]] == [1, 2, 3, 4, 5]
    drawn = [y for trace in body["figure"]["data"] for y in trace["y"] if y is not None]
    assert drawn == [value for _, value in body["trial"]["reports"]]


def test_studies_list_and_summary(client: Client, study_url: str) -> None:
    http = client(study_url)
    listed = {s["name"]: s for s in http.get("/api/studies").json()["studies"]}
    assert listed["demo"]["counts"]["complete"] == 30 and listed["demo"]["trials"] == 31
    study = ps.Study.load("demo", storage=study_url)
    best = study.best
    assert best is not None and listed["demo"]["best_value"] == best.value
    summary = http.get("/api/studies/demo").json()
    assert summary["best"]["number"] == best.number and summary["complete"] == 30
    study.close()


def test_figures_are_plotly_json(client: Client, study_url: str) -> None:
    http = client(study_url)
    history = http.get("/api/studies/demo/figures/history").json()
    assert len(history["data"][0]["x"]) == 30
    with SQLStorage(study_url) as storage:
        values = [t.value for t in storage.trials("demo") if t.value is not None]
    assert history["data"][1]["y"][-1] == min(values)
    pareto = http.get("/api/studies/mo/figures/pareto").json()
    assert sum(len(trace["x"]) for trace in pareto["data"]) == 20
    parallel = http.get("/api/studies/demo/figures/parallel").json()
    assert sum(trace["x"].count(None) for trace in parallel["data"]) == 30
    importance = http.get("/api/studies/demo/figures/importance").json()
    assert sorted(importance["data"][0]["y"]) == ["act", "depth", "lr"]
    json.dumps(importance)  # plain JSON, no NaN
