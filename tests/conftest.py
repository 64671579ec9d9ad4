import os

import pytest

# Headless rendering: MuJoCo chooses its GL backend on first import.
os.environ.setdefault("MUJOCO_GL", "egl")


@pytest.fixture
def cli():
    """Invoke the `trackbench` CLI in-process; returns Typer's Result."""
    from typer.testing import CliRunner

    from trackbench.harness.cli.app import app

    runner = CliRunner()

    def invoke(*args: str):
        return runner.invoke(app, list(args))

    return invoke
