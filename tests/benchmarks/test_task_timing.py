"""benchmarks/task_timing.py: the scripted best case's phases come in order, at the wrist's speed."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

from script_cli import BadArguments  # noqa: E402  (the scripts' folder is not a package)
from task_timing import CLOSE_STEPS, play  # noqa: E402

from trackbench.harness.specs import RunSpec

RECIPE = {"arm_action": "wrist_delta", "hand_action": "delta", "hand_close_action": True}


def written(robot_spec: dict) -> dict:
    return RunSpec(engine="mujoco", robot="allegro", task="grasp_lift", method="dense", seed=0,
                   agent_steps=1000, num_envs=2, robot_spec=robot_spec).model_dump(mode="json")


def test_the_hand_reaches_then_closes_at_the_wrists_speed():
    spec = written(RECIPE)
    found = play(spec, 2, speed=0.2, limit=160)
    reach, close = found["ends"]["reach"], found["ends"]["close"]
    assert (reach >= 0).any(), "no env reached over its object in 160 steps at 0.2 m/s"
    assert ((close - reach)[reach >= 0] == CLOSE_STEPS).all()
    assert found["per_step"] == pytest.approx(0.2 / 20)  # 20 Hz control
    assert found["episode_length"] == 600  # the task's default, not the script's own limit
    assert spec["robot_spec"] == RECIPE  # the caller's spec is left as it was


def test_a_robot_without_the_close_action_is_refused():
    with pytest.raises(BadArguments, match="needs robot.arm_action=wrist_delta"):
        play(written({"arm_action": "wrist_delta"}), 2, speed=None, limit=1)
