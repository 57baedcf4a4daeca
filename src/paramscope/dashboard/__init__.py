"""Dashboard: a live web view of the database of runs, served by Starlette; read-only by default.

``paramscope dashboard`` runs ``app.serve``; ``create_app(url)`` gives the ASGI app for tests or
another server. Security (Host check, token, writes, CSP) lives in ``security.py``.
"""

from __future__ import annotations

from paramscope.dashboard.app import DashboardOptions, create_app, serve
from paramscope.dashboard.security import SecurityPolicy

__all__ = ["DashboardOptions", "SecurityPolicy", "create_app", "serve"]
