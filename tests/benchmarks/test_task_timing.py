"""benchmarks/task_timing.py: the scripted phases come in order, at the wrist's speed; successes
and failures are the task's own; the floor is kinematics."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

from script_cli import BadArguments  # noqa: E402  (the scripts' folder is not a package)
from task_timing import CLOSE_STEPS, REACHED, play  # noqa: E402

from trackbench.harness.specs import RunSpec

RECIPE = {"arm_action": "wrist_delta", "hand_action": "delta", "hand_close_action": True}


def written(robot_spec: dict, task: str = "grasp_lift", **task_spec) -> dict:
    return RunSpec(engine="mujoco", robot="allegro", task=task, method="dense", seed=0,
                   agent_steps=1000, num_envs=2, robot_spec=robot_spec,
                   task_spec=task_spec).model_dump(mode="json")


def test_the_hand_reaches_then_closes_at_the_wrists_speed():
    spec = written(RECIPE)
    found = play(spec, 2, speed=0.2, limit=160)
    reach, close = found["ends"]["reach"], found["ends"]["close"]
    assert (reach >= 0).any(), "no env reached over its object in 160 steps at 0.2 m/s"
    assert ((close - reach)[reach >= 0] == CLOSE_STEPS).all()
    assert found["speed"] == 0.2 and found["hold"] == 50
    assert found["episode_length"] == 600  # the task's default, not the script's own limit
    # The floor: at 1 cm per step per axis, at least the hold, and no later than the script.
    assert (found["floor"] >= 50).all() and (found["rise"] > 0).all()
    assert (found["floor"] <= (reach + CLOSE_STEPS + found["rise"] + 50 + REACHED / 0.01))[
        reach >= 0].all()
    assert spec["robot_spec"] == RECIPE  # the caller's spec is left as it was


def test_a_success_is_the_tasks_own_and_is_counted_once():
    """A goal at the resting object, held one step: the task's rule fires on the first step
    (the episode then restarts from a standard reset, which the script no longer counts)."""
    found = play(written(RECIPE, goal=(0.0, 0.0, 0.06), success_tolerance=0.3, hold_steps=1),
                 2, speed=None, limit=5)
    assert found["ends"]["success"].tolist() == [1, 1]
    assert found["ends"]["failure"].tolist() == [-1, -1]
    assert (found["rise"] == 0).all()


def test_a_robot_without_the_close_action_or_a_task_without_a_goal_is_refused():
    with pytest.raises(BadArguments, match="needs robot.arm_action=wrist_delta"):
        play(written({"arm_action": "wrist_delta"}), 2, speed=None, limit=1)
    with pytest.raises(BadArguments, match="task 'cabinet' has no point goal"):
        play(written(RECIPE, task="cabinet"), 2, speed=None, limit=1)
