"""Dashboard API: the JSON endpoints the pages call; reads by default, two writes when allowed.

Reads: the studies list, a study's summary, one page of its trials (sorted, filtered and paged in
SQL), the trials changed since a cursor, its plots as plotly JSON built from thinned data, and one
trial. Writes (only with ``--allow-writes``; ``security.py`` checks the token and the origin
first): enqueue a trial with given params, and mark a running trial failed. Bodies are JSON, and
nothing from the network is ever unpickled. Errors are ``{"error": "<one line>"}`` with 400 (a
bad parameter, named), 404 (no such study or trial), 409 (a trial in the wrong state) or 503.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from paramscope.dashboard import query
from paramscope.dashboard.service import Service, trial_json
from paramscope.errors import ConfigError, StorageError, StudyNotFoundError, TrialStateError
from paramscope.storage.browse import Cursor

FIGURES = ("history", "parallel", "importance", "pareto")
MAX_BODY = 64 * 1024
PAGE_PARAMS = frozenset({"offset", "limit", "sort", "order", "state", "filter"})


def json_response(payload: Any, status: int = 200) -> Response:
    """Compact JSON (no NaN: the storage keeps only finite values, figures send null).

    Example:
        >>> json_response({"a": [1, 2]}).body
        b'{"a":[1,2]}'
    """
    body = json.dumps(payload, separators=(",", ":"), allow_nan=False, default=_plain)
    return Response(body, status_code=status, media_type="application/json")


def _plain(value: Any) -> Any:
    if hasattr(value, "tolist"):
        return value.tolist()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def error(status: int, message: str) -> Response:
    """A one-line ``{"error": message}`` response.

    Example:
        >>> error(400, "limit:  expected an integer ").body
        b'{"error":"limit: expected an integer"}'
    """
    return json_response({"error": " ".join(str(message).split())}, status)


def _only(params: Mapping[str, str], allowed: frozenset[str]) -> None:
    extra = sorted(set(params) - allowed)
    if extra:
        expected = ", ".join(sorted(allowed)) or "none"
        raise ConfigError(f"{extra[0]}: unknown query parameter (expected: {expected})")


def _number(text: str, field: str = "number") -> int:
    if not text.isdigit() or len(text) > 12:
        raise ConfigError(f"{field}: expected a trial number (an integer >= 0), got {text[:40]!r}")
    return int(text)


Handler = Callable[[Service, Request], Any]


def endpoint(handler: Handler, *, allowed: frozenset[str] = frozenset()) -> Callable[..., Any]:
    """Wrap a handler: check its query parameters, map paramscope errors to JSON statuses.

    Example:
        >>> callable(endpoint(lambda service, request: {}))
        True
    """

    def run(request: Request) -> Response:
        service: Service = request.app.state.service
        try:
            _only(request.query_params, allowed)
            return json_response(handler(service, request))
        except StudyNotFoundError as exc:
            return error(404, str(exc))
        except KeyError as exc:
            return error(404, str(exc.args[0]) if exc.args else "not found")
        except ConfigError as exc:
            return error(400, str(exc))
        except TrialStateError as exc:
            return error(409, str(exc))
        except StorageError as exc:
            return error(503, str(exc))

    return run


def _studies(service: Service, request: Request) -> Any:
    return {
        "studies": [
            {
                "name": s.name,
                "counts": {str(k): v for k, v in s.counts.items()},
                "trials": sum(s.counts.values()),
                "best_value": s.best_value,
                "direction": s.direction,
                "last_activity": s.last_activity,
            }
            for s in service.storage.list_studies()
        ],
        "writes": request.app.state.writes,
    }


def _study(service: Service, request: Request) -> Any:
    return {**service.summary(request.path_params["study"]), "writes": request.app.state.writes}


def _trial_page(service: Service, request: Request) -> Any:
    name = request.path_params["study"]
    spec = service.spec(name)
    page = service.page(name, query.page_query(request.query_params, spec))
    return {"total": page.total, "trials": [trial_json(t, spec) for t in page.trials]}


def _changes(service: Service, request: Request) -> Any:
    name = request.path_params["study"]
    text = request.query_params.get("cursor")
    if not text:
        raise ConfigError("cursor: expected the cursor the last response gave, got nothing")
    since = Cursor.decode(text)
    spec = service.spec(name)
    found = service.changes(name, since)
    counts = service.storage.counts(name) if found.trials else None
    return {
        "cursor": found.cursor.encode(),
        "trials": [trial_json(t, spec) for t in found.trials],
        "counts": None if counts is None else {str(k): v for k, v in counts.items()},
    }


def _figure(service: Service, request: Request) -> Any:
    name, kind = request.path_params["study"], request.path_params["kind"]
    if kind not in FIGURES:
        raise ConfigError(f"figure: expected one of {', '.join(FIGURES)}, got {kind[:40]!r}")
    spec = service.spec(name)
    count = len(spec.objectives)
    index = query.integer(request.query_params, "objective", 0, low=0, high=count - 1)
    if kind == "pareto" and count < 2:
        raise ConfigError(f"figure: pareto needs two or more objectives, study has {count}")
    return service.figure(name, kind, objective=index)


def _trial(service: Service, request: Request) -> Any:
    name = request.path_params["study"]
    spec = service.spec(name)
    found = service.trial(name, _number(request.path_params["number"]))
    figure = service.reports_figure(spec, found)
    return {"trial": trial_json(found, spec, full=True), "figure": figure}


async def _body(request: Request) -> dict[str, Any]:
    raw = await request.body()
    if len(raw) > MAX_BODY:
        raise ConfigError(f"body: expected at most {MAX_BODY} bytes of JSON, got {len(raw)}")
    try:
        body = json.loads(raw or b"{}")
    except ValueError:
        raise ConfigError("body: expected a JSON object, got text that is not JSON") from None
    if not isinstance(body, dict):
        raise ConfigError(f"body: expected a JSON object, got {type(body).__name__}")
    return body


def write_endpoint(action: Callable[[Service, Request, dict[str, Any]], Any]) -> Any:
    """A POST endpoint: read the JSON body here, run the write in a thread.

    Example:
        >>> callable(write_endpoint(lambda service, request, body: {}))
        True
    """

    async def run(request: Request) -> Response:
        try:
            body = await _body(request)
        except ConfigError as exc:
            return error(400, str(exc))
        wrapped = endpoint(lambda s, r: action(s, r, body))
        return await run_in_threadpool(wrapped, request)

    return run


def _enqueue(service: Service, request: Request, body: dict[str, Any]) -> Any:
    name = request.path_params["study"]
    params = body.get("params")
    if not isinstance(params, dict):
        raise ConfigError(f"params: expected a JSON object of name -> value, got {params!r}")
    return {"trial": trial_json(service.enqueue(name, params), service.spec(name))}


def _fail(service: Service, request: Request, body: dict[str, Any]) -> Any:
    name = request.path_params["study"]
    reason = body.get("reason", "")
    if not isinstance(reason, str) or len(reason) > 500:
        raise ConfigError(f"reason: expected a string of at most 500 characters, got {reason!r}")
    number = _number(request.path_params["number"])
    return {"trial": trial_json(service.fail(name, number, reason), service.spec(name))}


def routes() -> list[Route]:
    """The API's routes, under ``/api``.

    Example:
        >>> routes()[0].path
        '/api/studies'
    """
    base = "/api/studies/{study}"
    return [
        Route("/api/studies", endpoint(_studies)),
        Route(base, endpoint(_study)),
        Route(f"{base}/trials", endpoint(_trial_page, allowed=PAGE_PARAMS)),
        Route(f"{base}/changes", endpoint(_changes, allowed=frozenset({"cursor"}))),
        Route(f"{base}/figures/{{kind}}", endpoint(_figure, allowed=frozenset({"objective"}))),
        Route(f"{base}/trials/{{number}}", endpoint(_trial)),
        Route(f"{base}/enqueue", write_endpoint(_enqueue), methods=["POST"]),
        Route(f"{base}/trials/{{number}}/fail", write_endpoint(_fail), methods=["POST"]),
    ]
