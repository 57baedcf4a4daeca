"""CLI app: the ``paramscope`` command group and the one place errors become exit codes.

Exit codes: 0 ok; 2 bad input or usage (any ``ConfigError``, any click usage error); 1 a runtime
failure; 130 interrupted. Every error is one line on standard error: ``error: <message>``. Set
``PARAMSCOPE_DEBUG=1`` to see the traceback of an unexpected error instead.
"""

from __future__ import annotations

import os
from typing import Any

import click

from paramscope.cli.calibrate import calibrate_command
from paramscope.cli.common import BadInputError, CommandError, Interrupted
from paramscope.cli.dashboard import dashboard
from paramscope.cli.demo import demo
from paramscope.cli.inspect import best, status, trials
from paramscope.cli.plot import plot_command
from paramscope.cli.run import run, worker
from paramscope.cli.sensitivity import sensitivity_command
from paramscope.errors import ConfigError, ParamscopeError


def _one_line(exc: click.UsageError) -> BadInputError:
    hint = ""
    if exc.ctx is not None:
        hint = f" (see '{exc.ctx.command_path} --help')"
    return BadInputError(exc.format_message() + hint)


class ParamscopeGroup(click.Group):
    """A click group that turns paramscope's errors into one-line messages and exit codes."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(self.commands)  # in the order of a first session: demo, run, worker, ...

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (CommandError, Interrupted, click.exceptions.Exit, click.Abort):
            raise
        except click.UsageError as exc:
            raise _one_line(exc) from None
        except ConfigError as exc:
            raise BadInputError(str(exc)) from None
        except KeyboardInterrupt:
            raise Interrupted("interrupted") from None
        except ParamscopeError as exc:
            raise CommandError(str(exc)) from None
        except click.ClickException:
            raise
        except Exception as exc:
            if os.environ.get("PARAMSCOPE_DEBUG"):
                raise
            raise CommandError(f"{type(exc).__name__}: {exc}") from None


@click.group(
    "paramscope", cls=ParamscopeGroup, context_settings={"help_option_names": ["-h", "--help"]}
)
@click.version_option(package_name="paramscope", prog_name="paramscope")
def cli() -> None:
    """Optimize, understand and calibrate expensive functions on one database of runs.

    \b
    Start with:   paramscope demo
    Your own:     paramscope run study.toml
    Look:         paramscope status
    """


for _command in (demo, run, worker, status, best, trials, sensitivity_command):
    cli.add_command(_command)
for _command in (calibrate_command, dashboard, plot_command):
    cli.add_command(_command)


def main() -> None:
    """The ``paramscope`` console script.

    Example:
        >>> from click.testing import CliRunner
        >>> CliRunner().invoke(cli, ["--version"]).output.startswith("paramscope, version")
        True
    """
    cli(prog_name="paramscope")
