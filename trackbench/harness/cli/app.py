"""The `trackbench` command. Each command lives in its own module; this file wires them up and
turns every TrackbenchError into one clear message and exit status 2, never a traceback."""

from __future__ import annotations

import os
import signal

# MuJoCo picks its GL backend when first imported: headless EGL unless the user chose otherwise.
os.environ.setdefault("MUJOCO_GL", "egl")

import typer  # noqa: E402
from typer.core import TyperGroup  # noqa: E402

from trackbench.harness import console  # noqa: E402
from trackbench.harness.errors import TrackbenchError  # noqa: E402
from trackbench.harness.interrupts import stop_on_signals  # noqa: E402

EXIT_USER_ERROR = 2


class TrackbenchGroup(TyperGroup):
    def invoke(self, ctx):
        with stop_on_signals():  # Ctrl-C and SIGTERM become Interrupted, once
            return self._invoke(ctx)

    def _invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except TrackbenchError as error:
            console.error(str(error))
            raise typer.Exit(EXIT_USER_ERROR) from None
        except OSError as error:  # a path the user gave: missing, a file, read-only, full
            where = f"{error.filename}: " if error.filename else ""
            console.error(f"{where}{error.strerror or error}")
            raise typer.Exit(EXIT_USER_ERROR) from None
        except KeyboardInterrupt as error:  # Ctrl-C or SIGTERM (interrupts.py)
            console.error(str(error) or "interrupted")
            raise typer.Exit(getattr(error, "exit_code", 130)) from None


app = typer.Typer(
    name="trackbench",
    cls=TrackbenchGroup,
    help="Benchmark harness for dexterous robot-hand RL: robots × tasks × reward methods.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _register_commands() -> None:
    from trackbench.harness.cli import (bench, data, evaluate, list_plugins, predictor, report,
                                        run, show, video)

    app.command("list")(list_plugins.list_command)
    app.command("run")(run.run_command)
    app.command("report")(report.report_command)
    app.command("show")(show.show_command)
    app.command("bench")(bench.bench_command)
    app.command("video")(video.video_command)
    app.command("evaluate")(evaluate.evaluate_command)
    app.add_typer(predictor.app, name="predictor")
    app.add_typer(data.app, name="data")


_register_commands()


def main() -> None:
    try:
        app()
    except KeyboardInterrupt as error:  # outside a command (while parsing, at exit)
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # stopping: a second Ctrl-C waits
        console.error(str(error) or "interrupted")
        raise SystemExit(getattr(error, "exit_code", 130)) from None
