"""CLI dashboard: ``paramscope dashboard``, the live web view of a database of runs.

Secure by default: it binds 127.0.0.1 and is read-only. ``--host`` anything else needs a token
(``--token``, ``$PARAMSCOPE_DASHBOARD_TOKEN``, or one generated and printed once); writes need
``--allow-writes``, and then the token too. The database must exist: the dashboard never
creates one.
"""

from __future__ import annotations

import socket

import click

from paramscope.cli.common import BadInputError, describe_url, sqlite_file_missing, storage_option
from paramscope.dashboard import DashboardOptions, SecurityPolicy, serve
from paramscope.dashboard.security import TOKEN_ENV_VAR, WILDCARDS, is_loopback, new_token
from paramscope.storage.urls import parse_url, resolve_url


def _link(host: str, port: int, token: str | None) -> str:
    shown = socket.gethostname() if host in WILDCARDS else host
    shown = f"[{shown}]" if ":" in shown else shown
    return f"http://{shown}:{port}/" + (f"?token={token}" if token else "")


@click.command("dashboard", short_help="Serve a live web dashboard of the studies.")
@storage_option
@click.option(
    "--host", default="127.0.0.1", show_default=True, help="Address to bind (others need a token)."
)
@click.option(
    "--port", default=8080, show_default=True, type=click.IntRange(1, 65535), help="TCP port."
)
@click.option(
    "--token",
    envvar=TOKEN_ENV_VAR,
    metavar="T",
    help=f"Shared secret every request must carry [default: ${TOKEN_ENV_VAR}, or generated "
    "when --host is not local or --allow-writes is given].",
)
@click.option(
    "--allow-writes",
    is_flag=True,
    help="Enable enqueueing trials and failing running ones (needs the token, same origin).",
)
@click.option(
    "--allow-host",
    "allow_hosts",
    multiple=True,
    metavar="NAME",
    help="Another Host header name to accept, e.g. a reverse proxy's (repeatable).",
)
def dashboard(
    storage: str | None,
    host: str,
    port: int,
    token: str | None,
    allow_writes: bool,
    allow_hosts: tuple[str, ...],
) -> None:
    """Serve the studies of a database as live web pages (Ctrl-C stops).

    \b
    paramscope dashboard --storage sqlite:///runs.db          # http://127.0.0.1:8080/
    paramscope dashboard --host 0.0.0.0 --port 8080           # prints a token
    paramscope dashboard --allow-host runs.example.org        # behind a reverse proxy
    """
    url = resolve_url(storage)
    parsed = parse_url(url)
    if parsed.memory:
        raise BadInputError(
            f"--storage: expected a database file or server, got {url!r} (an in-memory "
            "database lives in one process and would be empty here)"
        )
    if sqlite_file_missing(url):
        raise BadInputError(
            f"--storage: {describe_url(url)} does not exist yet; run a study first "
            "(e.g. paramscope demo)"
        )
    for name in allow_hosts:
        if not name or any(c in name for c in "/ @?#"):
            raise BadInputError(
                f"--allow-host: expected a host name like runs.example.org, got {name!r}"
            )
    generated = token is None and (allow_writes or not is_loopback(host))
    if generated:
        token = new_token()
    policy = SecurityPolicy(
        host=host, token=token, allow_writes=allow_writes, extra_hosts=frozenset(allow_hosts)
    )
    mode = "writes allowed (token and same origin required)" if allow_writes else "read-only"
    click.echo(f"paramscope dashboard: {_link(host, port, token)}  ({mode})")
    if generated:
        click.echo(f"token: {token}  (generated, shown once; pass --token to choose one)")
    click.echo(f"storage: {describe_url(url)}   stop with Ctrl-C")
    serve(DashboardOptions(storage=url, policy=policy, port=port))
