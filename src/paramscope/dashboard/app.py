"""Dashboard app: assemble the Starlette application and run it under uvicorn.

``create_app(url, policy)`` wires the storage service, the JSON API, the pages and the security
gate (which runs before any route); ``serve(options)`` runs it. The app holds no state of its
own besides caches: every answer comes from the database, so several dashboards (or a restart)
always agree with the workers.
"""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.gzip import GZipMiddleware

from paramscope.dashboard import api, pages
from paramscope.dashboard.security import SecurityMiddleware, SecurityPolicy
from paramscope.dashboard.service import Service


@dataclass(frozen=True)
class DashboardOptions:
    """How to run the dashboard.

    Attributes:
        storage: the storage URL (a SQLite file or a PostgreSQL server).
        policy: who may connect and whether writes are allowed (its ``host`` is bound).
        port: the TCP port.
    """

    storage: str
    policy: SecurityPolicy
    port: int = 8080


def create_app(storage: str, policy: SecurityPolicy | None = None) -> Starlette:
    """The dashboard as an ASGI app over the database at ``storage``.

    Args:
        storage: a storage URL; the database is opened (and its schema migrated) now.
        policy: the security policy; default: loopback only, no token, read-only.

    Example:
        >>> import os, tempfile
        >>> url = "sqlite:///" + os.path.join(tempfile.mkdtemp(), "runs.db")
        >>> [route.path for route in create_app(url).routes][:2]
        ['/api/studies', '/api/studies/{study}']
    """
    policy = policy or SecurityPolicy()
    service = Service(storage)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        threading.Thread(target=pages.warm, name="warm-plotly", daemon=True).start()
        try:
            yield
        finally:
            service.close()

    app = Starlette(
        routes=[*api.routes(), *pages.routes()],
        middleware=[
            Middleware(SecurityMiddleware, policy=policy),
            Middleware(GZipMiddleware, minimum_size=4096),
        ],
        lifespan=lifespan,
    )
    app.state.service = service
    app.state.writes = policy.allow_writes
    return app


def serve(options: DashboardOptions) -> None:
    """Run the dashboard until interrupted (uvicorn, one process, quiet logs).

    Example:
        >>> callable(serve)
        True
    """
    import uvicorn

    app = create_app(options.storage, options.policy)
    config = uvicorn.Config(
        app,
        host=options.policy.host,
        port=options.port,
        log_level="warning",
        server_header=False,
        proxy_headers=False,
    )
    uvicorn.Server(config).run()
