"""The `trackbench` command. Each command lives in its own module; this file wires them up and
turns every TrackbenchError into one clear message and exit status 2."""

from __future__ import annotations

import sys

import typer

from trackbench.harness import console
from trackbench.harness.errors import TrackbenchError

EXIT_USER_ERROR = 2

app = typer.Typer(
    name="trackbench",
    help="Benchmark harness for dexterous robot-hand RL: robots × tasks × reward methods.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _register_commands() -> None:
    from trackbench.harness.cli import bench, list_plugins, report, run, show

    app.command("list")(list_plugins.list_command)
    app.command("run")(run.run_command)
    app.command("report")(report.report_command)
    app.command("show")(show.show_command)
    app.command("bench")(bench.bench_command)


_register_commands()


def main() -> None:
    try:
        app(standalone_mode=False)
    except TrackbenchError as error:
        console.error(str(error))
        sys.exit(EXIT_USER_ERROR)
    except typer.Exit as done:
        sys.exit(done.exit_code)
    except typer.Abort:
        console.error("aborted")
        sys.exit(130)
    except KeyboardInterrupt:
        console.error("interrupted")
        sys.exit(130)
    except Exception as error:  # click usage errors arrive here in non-standalone mode
        import click

        if isinstance(error, click.ClickException):
            error.show()
            sys.exit(error.exit_code)
        raise
