"""The staged start curriculum (task.start_stages): validated at load, scheduled on training agent
steps, counted, restored with the env, off in evaluation."""

from __future__ import annotations

import json

import pytest
import torch

from tests.harness.training.test_training import NUM_ENVS as ENVS, STEPS, TINY_PPO
from tests.harness.lift_env import REGISTRY, make_lift_env
from trackbench.harness.build import make_task
from trackbench.harness.env import VecEnv
from trackbench.harness.errors import TrackbenchError
from trackbench.harness.execute import execute_cell
from trackbench.harness.matrix import plan
from trackbench.harness.results import RunDir
from trackbench.harness.specs import MatrixSpec
from trackbench.harness.start_stages import StartStage, stages_note
from trackbench.harness.training.episodes import PREGRASP, STANDARD

NUM_ENVS = 6  # one of each paper object
EPISODE = 2  # control steps: a reset every other step


def make_env(task_fields: dict) -> VecEnv:
    return make_lift_env({"episode_length": EPISODE, **task_fields}, NUM_ENVS)


# Pre-grasps for the first 3 control steps of every env (the first reset and the one after step
# 2), then the task's own resets.
STAGES = [{"until": 3 * NUM_ENVS, "pregrasp_start": 1.0}]


@pytest.fixture(scope="module")
def env() -> VecEnv:
    return make_env({"start_stages": STAGES})


def step(env: VecEnv, times: int) -> None:
    for _ in range(times):
        env.step(torch.zeros(NUM_ENVS, env.num_actions))


def test_each_stage_applies_until_its_agent_steps_then_the_tasks_own_fields(env):
    assert env.agent_steps == 0 and env.curriculum_metrics()["start_stage"] == 0
    assert (env._start == PREGRASP).all()
    step(env, EPISODE)  # the episodes end at 2 · NUM_ENVS agent steps: still stage 0
    assert env.agent_steps == 2 * NUM_ENVS
    assert env.curriculum_metrics()["pregrasp_starts_total"] == 2 * NUM_ENVS
    assert (env._start == PREGRASP).all()
    step(env, EPISODE)  # at 4 · NUM_ENVS: past the stage, standard starts (pregrasp_start = 0)
    metrics = env.curriculum_metrics()
    assert metrics["start_stage"] == 1 and metrics["pregrasp_starts_total"] == 2 * NUM_ENVS
    assert (env._start == STANDARD).all()


def test_evaluation_steps_do_not_advance_the_schedule(env):
    before = env.agent_steps
    with env.evaluation():
        env.reset(full_episodes=True)
        step(env, 3)
    assert env.agent_steps == before


def test_the_schedules_clock_travels_with_the_env_state(env):
    state = env.state_dict()
    other = make_env({"start_stages": STAGES})
    assert other.agent_steps == 0
    other.load_state_dict(state)
    assert other.agent_steps == env.agent_steps
    assert other.curriculum_metrics() == env.curriculum_metrics()
    del state["training_steps"]  # as checkpoints before stages: their runs had none
    other.load_state_dict(state)
    assert other.agent_steps == 0


def test_stage_picks_the_first_stage_not_yet_over():
    env = make_env({"start_stages": [{"until": 100, "grasped_start": 0.0, "pregrasp_start": 0.5},
                                     {"until": 300, "pregrasp_start": 0.2}]})
    assert [env.starts.stage(n) for n in (0, 99, 100, 299, 300, 10**9)] == [0, 0, 1, 1, 2, 2]
    assert [mix.pregrasp_start for mix in env.starts.mixes] == [0.5, 0.2, 0.0]


# A pre-grasp start's fingertips are near the object, so most episodes from one raise "near"
# (mean fingertip distance 12 cm) within 2 steps (5 or 6 of 6 here), and an episode of zero
# actions never lifts it.
NEAR_STAGE = {"pregrasp_start": 1.0, "advance_rate": 0.5, "advance_event": "near",
              "advance_window": NUM_ENVS}


def test_a_stage_ends_once_its_advance_criterion_is_met():
    env = make_env({"start_stages": [NEAR_STAGE]})
    step(env, 1)
    assert env.curriculum_metrics()["start_stage"] == 0
    assert "start_stage_rate" not in env.curriculum_metrics()  # no episode counted yet
    step(env, 1)  # every env's first episode ends, most near the object: the window is full
    assert env.curriculum_metrics()["start_stage"] == 1
    assert (env._start == STANDARD).all()


def test_a_criterion_not_met_keeps_the_stage_and_reports_its_rate():
    env = make_env({"start_stages": [NEAR_STAGE | {"advance_event": "lift"}]})
    step(env, 3 * EPISODE)
    metrics = env.curriculum_metrics()
    assert metrics["start_stage"] == 0 and metrics["start_stage_rate"] == 0.0
    assert (env._start == PREGRASP).all()


def test_episodes_planned_in_an_earlier_stage_do_not_count_toward_the_next():
    env = make_env({"start_stages": [{"until": EPISODE * NUM_ENVS, "pregrasp_start": 1.0},
                                     NEAR_STAGE]})
    step(env, EPISODE)  # stage 0 ends as its episodes do; they were planned in it
    metrics = env.curriculum_metrics()
    assert metrics["start_stage"] == 1 and "start_stage_rate" not in metrics
    step(env, EPISODE)  # stage 1's own episodes fill its window
    assert env.curriculum_metrics()["start_stage"] == 2


def test_a_criterions_progress_travels_with_the_env_state():
    stages = [NEAR_STAGE | {"advance_window": 2 * NUM_ENVS}]
    env, other = make_env({"start_stages": stages}), make_env({"start_stages": stages})
    step(env, EPISODE)  # half the window
    other.load_state_dict(env.state_dict())
    assert other.curriculum_metrics() == env.curriculum_metrics()
    assert env.curriculum_metrics()["start_stage"] == 0
    step(env, EPISODE)
    step(other, EPISODE)
    assert other.curriculum_metrics()["start_stage"] == env.curriculum_metrics()["start_stage"] == 1


def test_checkpoints_before_advance_criteria_take_their_stage_from_the_agent_steps(env):
    state = env.state_dict()
    for name in ("stage", "planned_in", "window"):
        del state["starts"][name]
    other = make_env({"start_stages": STAGES})
    other.load_state_dict(state)
    assert other.curriculum_metrics()["start_stage"] == env.curriculum_metrics()["start_stage"]


def test_without_stages_nothing_is_reported_or_drawn():
    env = make_env({})
    assert env.curriculum_metrics() == {} and not env.starts.active


@pytest.mark.parametrize("stages, message", [
    ([{"until": 10, "pregrasp_start": 0.6, "grasped_start": 0.6}],
     "pregrasp_start \\+ grasped_start must be at most 1"),
    ([{"until": 10, "pregrasp_progress": [0.5, 0.2]}], "pregrasp_progress must be \\(low, high\\)"),
    ([{"until": 20}, {"until": 10}], "start_stages must end in increasing order of 'until'"),
    ([{"until": 0}], "greater than 0"),
    ([{"until": 10, "grasped": 1.0}], "Extra inputs are not permitted"),
    ([{"pregrasp_start": 0.5}], "needs 'until' \\(agent steps\\), 'advance_rate' or both"),
    ([{"pregrasp_start": 0.5, "advance_rate": 0}], "greater than 0"),
    ([{"pregrasp_start": 0.5, "advance_rate": 0.3, "advance_start": "grasped"}],
     "advances on 'grasped' starts must have some"),
    ([{"grasped_start": 1.0, "advance_rate": 0.3, "advance_start": "standard"}],
     "advances on 'standard' starts must have some"),
    ([{"pregrasp_start": 0.5, "advance_rate": 0.3, "advance_event": "lifted"}],
     "advance_event must be one of the task's events \\['lift', 'near'\\], got 'lifted'"),
    ([{"pregrasp_start": 0.5, "advance_rate": 0.3, "advance_window": 0}], "greater than or equal"),
    ([{"until": 20}, {"advance_rate": 0.3, "pregrasp_start": 1}, {"until": 10}],
     "start_stages must end in increasing order of 'until', got \\[20, 10\\]"),
])
def test_a_bad_schedule_is_refused_at_load_with_one_message(stages, message):
    with pytest.raises(TrackbenchError, match=message):
        make_task(REGISTRY, "grasp_lift", {"start_stages": stages})


def test_a_stage_is_its_own_model_with_the_tasks_defaults():
    assert StartStage(until=5) == StartStage(until=5, pregrasp_start=0.0, grasped_start=0.0,
                                             pregrasp_progress=(1.0, 1.0))


def test_a_staged_cell_trains_and_logs_the_stage_of_every_epoch(tmp_path):
    """Through the harness as `trackbench run` executes a cell: 4 envs × horizon 8 = 32 agent
    steps per epoch; the pre-grasp stage ends at 48, inside the second epoch."""
    matrix = MatrixSpec(robots=["allegro"], tasks=["grasp_lift"], methods=["dense"],
                        agent_steps=STEPS, num_envs=ENVS, overrides={
                            "ppo": TINY_PPO, "task": {"episode_length": 4, "start_stages": [
                                {"until": 48, "pregrasp_start": 1.0}]}})
    spec = plan(matrix, REGISTRY)[0]
    run = RunDir.for_spec(tmp_path, spec)
    execute_cell(spec, REGISTRY, run)
    rows = [json.loads(line) for line in (run.path / "metrics.jsonl").read_text().splitlines()]
    epochs = [row for row in rows if "epoch" in row]
    assert [row["start_stage"] for row in epochs] == [0, 1, 1]
    assert epochs[-1]["pregrasp_starts_total"] > 0


def test_a_stage_ending_at_or_beyond_the_budget_is_noted_at_plan_time(cli, tmp_path):
    assert stages_note([{"until": 500}, {"until": 999}], 1000) is None
    assert stages_note([StartStage(pregrasp_start=1.0, advance_rate=0.2).model_dump()],
                       1000) is None
    note = stages_note([{"until": 500}, {"until": 1000}], 1000)
    assert note.startswith("start stage 1 ends at 1,000 agent steps")
    result = cli("run", "--steps", "1000", "--out", str(tmp_path), "--dry-run", "--set",
                 'task.start_stages=[{"until": 2000, "grasped_start": 1.0}]')
    assert result.exit_code == 0, result.output
    assert "note: task 'grasp_lift': start stage 0 ends at 2,000 agent steps" in \
        " ".join(result.output.split())
