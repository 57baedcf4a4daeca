"""CLI: the ``paramscope`` command, a thin layer over config, study, storage and rendering.

Commands: ``demo``, ``run``, ``worker``, ``status``, ``best``, ``trials``. Exit codes: 0 ok,
2 bad input or usage, 1 runtime failure; errors are one ``error: ...`` line on standard error.
"""

from __future__ import annotations

from paramscope.cli.app import cli, main

__all__ = ["cli", "main"]
