"""Dashboard pages: the HTML shells and static files (JS, CSS, plotly.js) the browser loads.

Pages are static HTML with no inline script; their scripts read the study and trial from the
URL and call the JSON API. plotly.js is served from the installed ``plotly`` Python package
(``plotly/package_data/plotly.min.js``), gzipped once in memory, so the dashboard works offline
and never loads anything from a CDN.
"""

from __future__ import annotations

import gzip
import threading
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

STATIC = Path(__file__).with_name("static")
_GZIP_LOCK = threading.Lock()


def plotly_js_path() -> Path:
    """Where the installed plotly package keeps its bundled ``plotly.min.js``.

    Example:
        >>> plotly_js_path().name
        'plotly.min.js'
    """
    import plotly

    return Path(plotly.__file__).parent / "package_data" / "plotly.min.js"


@lru_cache(maxsize=1)
def _plotly_bytes() -> tuple[bytes, bytes]:
    raw = plotly_js_path().read_bytes()
    return raw, gzip.compress(raw, compresslevel=6, mtime=0)


def warm() -> None:
    """Read and gzip plotly.js ahead of the first page (called in a thread at startup).

    Example:
        >>> warm()
    """
    with _GZIP_LOCK:
        _plotly_bytes()


def plotly_js(request: Request) -> Response:
    """plotly.min.js, gzipped when the browser accepts it, cacheable for a day.

    Example:
        >>> from starlette.requests import Request
        >>> scope = {"type": "http", "headers": [(b"accept-encoding", b"gzip")]}
        >>> plotly_js(Request(scope)).headers["content-encoding"]
        'gzip'
    """
    with _GZIP_LOCK:
        raw, packed = _plotly_bytes()
    headers = {"cache-control": "public, max-age=86400", "vary": "accept-encoding"}
    if "gzip" in request.headers.get("accept-encoding", ""):
        headers["content-encoding"] = "gzip"
        return Response(packed, media_type="text/javascript", headers=headers)
    return Response(raw, media_type="text/javascript", headers=headers)


def _page(name: str) -> Callable[[Request], Response]:
    def serve(request: Request) -> Response:
        return FileResponse(STATIC / name, headers={"cache-control": "no-cache"})

    return serve


def routes() -> list[BaseRoute]:
    """The page routes and the static mount.

    Example:
        >>> [r.path for r in routes()][:2]
        ['/', '/studies/{study}']
    """
    return [
        Route("/", _page("index.html")),
        Route("/studies/{study}", _page("study.html")),
        Route("/studies/{study}/trials/{number:int}", _page("trial.html")),
        Route("/static/plotly.min.js", plotly_js),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]
