"""`trackbench show --task T` renders every registered task's scene as the task resets it."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from tests.plugins.tasks.support import REGISTRY
from trackbench.harness.cli.app import app
from trackbench.harness.png import read_png_size


def show(*args: str):
    return CliRunner().invoke(app, ["show", *args])


@pytest.mark.parametrize("task", REGISTRY.names("tasks"))
def test_show_renders_each_task(task, tmp_path):
    out = tmp_path / f"{task}.png"
    result = show("--robot", "allegro", "--task", task, "--out", str(out),
                  "--width", "160", "--height", "120")
    assert result.exit_code == 0, result.output
    assert read_png_size(out) == (160, 120) and out.stat().st_size > 2000


def test_show_env_picks_the_scene_variant(tmp_path):
    pictures = []
    for env in ("0", "1"):  # env 1 runs the second object (the wood block), not the can
        out = tmp_path / f"env{env}.png"
        result = show("--robot", "svh", "--task", "grasp_lift", "--env", env, "--out", str(out),
                      "--width", "160", "--height", "120")
        assert result.exit_code == 0 and f"env {env}" in result.output, result.output
        pictures.append(out.read_bytes())
    assert pictures[0] != pictures[1]
