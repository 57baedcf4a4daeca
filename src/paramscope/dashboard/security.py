"""Dashboard security: the one gate every request passes — Host, token, writes, CSP headers.

Secure by default: the dashboard binds 127.0.0.1; binding to any other address needs a token;
it is read-only unless started with ``--allow-writes``, and then a write needs the token and a
same-origin request (its ``Origin``, or ``Referer``, must name the ``Host`` it was sent to) with
a JSON body. A request whose ``Host`` is not the bound host or a loopback name is refused, which
stops DNS-rebinding pages from reading the dashboard. Every response carries a strict
Content-Security-Policy (scripts only from the app's own static files) and no-sniff, no-frame,
no-referrer-across-sites headers.

The token may come as ``Authorization: Bearer <token>``, an ``X-Paramscope-Token`` header, the
``paramscope_token`` cookie, or once as ``?token=<token>`` in a page URL: the server then sets
the cookie (HttpOnly, SameSite=Strict) and redirects to the same URL without it.
"""

from __future__ import annotations

import ipaddress
import json
import secrets
import socket
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from paramscope.errors import ConfigError

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

TOKEN_ENV_VAR = "PARAMSCOPE_DASHBOARD_TOKEN"
COOKIE = "paramscope_token"
LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})
WILDCARDS = frozenset({"0.0.0.0", "::", ""})
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self'; connect-src 'self'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
"""Scripts only from the app itself (no inline script, no eval); plotly.js sets inline styles on
the elements it draws, so styles allow ``'unsafe-inline'`` (styles cannot run code)."""
HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-resource-policy", b"same-origin"),
]


def is_loopback(host: str) -> bool:
    """Whether ``host`` names this machine only (``127.0.0.1``, ``::1``, ``localhost``).

    Example:
        >>> is_loopback("127.0.0.1"), is_loopback("0.0.0.0"), is_loopback("localhost")
        (True, False, True)
    """
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def new_token() -> str:
    """A fresh random token (32 URL-safe characters from ``secrets``).

    Example:
        >>> len(new_token())
        32
    """
    return secrets.token_urlsafe(24)


def _machine_names() -> set[str]:
    """Names and addresses this machine answers to, for a dashboard bound to every interface."""
    names = {socket.gethostname().lower(), socket.getfqdn().lower()}
    for name in list(names):
        try:
            names.update(str(info[4][0]).lower() for info in socket.getaddrinfo(name, None))
        except OSError:
            continue
    return names


@dataclass(frozen=True)
class SecurityPolicy:
    """Who may reach the dashboard and what they may do.

    Attributes:
        host: the address the server binds.
        token: the shared secret, or None (allowed only on a loopback host without writes).
        allow_writes: whether the write endpoints are enabled at all.
        extra_hosts: more ``Host`` names to accept (a wildcard bind adds the machine's names).

    Example:
        >>> SecurityPolicy("0.0.0.0")
        Traceback (most recent call last):
        ...
        paramscope.errors.ConfigError: --host: binding 0.0.0.0 (not this machine only) needs a \
token; give --token or $PARAMSCOPE_DASHBOARD_TOKEN, or let the command generate one
    """

    host: str = "127.0.0.1"
    token: str | None = None
    allow_writes: bool = False
    extra_hosts: frozenset[str] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        if self.token is None and not is_loopback(self.host):
            raise ConfigError(
                f"--host: binding {self.host} (not this machine only) needs a token; give "
                f"--token or ${TOKEN_ENV_VAR}, or let the command generate one"
            )
        if self.token is None and self.allow_writes:
            raise ConfigError("--allow-writes: writes need a token; give --token or let it be made")
        if self.token is not None and len(self.token) < 16:
            raise ConfigError(
                f"--token: expected at least 16 characters, got {len(self.token)} characters"
            )

    def allowed_hosts(self) -> frozenset[str]:
        """The ``Host`` names (without port) requests may carry."""
        names = set(LOOPBACK_NAMES) | {h.lower() for h in self.extra_hosts}
        if self.host in WILDCARDS:
            names |= _machine_names()
        else:
            names.add(self.host.lower())
        return frozenset(names)


def _hostname(host_header: str) -> str:
    """``example.org:8080`` -> ``example.org``; ``[::1]:80`` -> ``::1``."""
    host = host_header.strip().lower()
    if host.startswith("["):
        return host[1:].split("]", 1)[0]
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return bytes(value).decode("latin-1")
    return None


class SecurityMiddleware:
    """ASGI middleware enforcing a :class:`SecurityPolicy` before any route runs."""

    def __init__(self, app: ASGIApp, policy: SecurityPolicy) -> None:
        self.app = app
        self.policy = policy
        self.hosts = policy.allowed_hosts()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *HEADERS]
            await send(message)

        refusal = self.check(scope)
        if refusal is not None:
            await refusal(scope, receive, send_with_headers)
            return
        await self.app(scope, receive, send_with_headers)

    def check(self, scope: Scope) -> ASGIApp | None:
        """The response that refuses this request, or None to let it through."""
        host = _header(scope, b"host") or ""
        if _hostname(host) not in self.hosts:
            return _error(400, f"host: {host!r} is not this dashboard's host; use the bound one")
        method = scope["method"]
        if method not in {"GET", "HEAD", *WRITE_METHODS}:
            return _error(405, f"method: expected GET or POST, got {method}")
        token = self.policy.token
        if token is not None:
            given = self._token(scope)
            query_token = dict(parse_qsl(scope.get("query_string", b"").decode("latin-1")))
            from_query = query_token.get("token", "") if method == "GET" else ""
            if given is None and secrets.compare_digest(from_query.encode(), token.encode()):
                return _login(scope, token)
            if given is None or not secrets.compare_digest(given.encode(), token.encode()):
                return _error(401, "token: missing or wrong; open the link the dashboard printed")
        if method in WRITE_METHODS:
            return self._check_write(scope, host)
        return None

    def _check_write(self, scope: Scope, host: str) -> ASGIApp | None:
        if not self.policy.allow_writes:
            return _error(403, "writes: this dashboard is read-only; start it with --allow-writes")
        origin = _header(scope, b"origin") or _header(scope, b"referer")
        if origin is None:
            return _error(403, "origin: a write needs an Origin (or Referer) header, got none")
        parts = urlsplit(origin)
        if parts.scheme not in ("http", "https") or parts.netloc.lower() != host.lower():
            return _error(403, f"origin: expected the dashboard's own origin, got {origin!r}")
        content_type = (_header(scope, b"content-type") or "").split(";")[0].strip().lower()
        if content_type != "application/json":
            return _error(415, f"content-type: expected application/json, got {content_type!r}")
        return None

    def _token(self, scope: Scope) -> str | None:
        auth = _header(scope, b"authorization")
        if auth is not None and auth.lower().startswith("bearer "):
            return auth[7:].strip()
        direct = _header(scope, b"x-paramscope-token")
        if direct is not None:
            return direct.strip()
        cookie_header = _header(scope, b"cookie")
        if cookie_header:
            cookies: SimpleCookie = SimpleCookie()
            try:
                cookies.load(cookie_header)
            except Exception:
                return None
            if COOKIE in cookies:
                return cookies[COOKIE].value
        return None


def _error(status: int, message: str) -> ASGIApp:
    """A one-line JSON error response."""
    body = json.dumps({"error": message}).encode()

    async def respond(scope: Scope, receive: Receive, send: Send) -> None:
        headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(body))]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    return respond


def _login(scope: Scope, token: str) -> ASGIApp:
    """Set the token cookie and redirect to the same URL without ``token=``."""
    query = [(k, v) for k, v in parse_qsl(scope.get("query_string", b"").decode()) if k != "token"]
    location = (
        "/" + str(scope.get("path", "/")).lstrip("/") + (f"?{urlencode(query)}" if query else "")
    )
    cookie = f"{COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict"

    async def respond(scope: Scope, receive: Receive, send: Send) -> None:
        headers = [
            (b"location", location.encode("latin-1")),
            (b"set-cookie", cookie.encode("latin-1")),
            (b"content-length", b"0"),
        ]
        await send({"type": "http.response.start", "status": 303, "headers": headers})
        await send({"type": "http.response.body", "body": b""})

    return respond
