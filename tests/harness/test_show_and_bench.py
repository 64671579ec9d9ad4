"""`trackbench show` renders a PNG per robot; `trackbench bench` reports engine vs raw rollout."""

from __future__ import annotations

import json

import numpy as np
import pytest

from tests.harness.conftest import assert_user_error
from trackbench.harness.plugins import load_registry
from trackbench.harness.png import read_png_size, write_png

ROBOTS = load_registry().names("robots")


@pytest.mark.parametrize("robot", ROBOTS)
def test_show_writes_a_png_of_the_scene(cli, robot, tmp_path):
    out = tmp_path / f"{robot}.png"
    result = cli("show", "--robot", robot, "--out", str(out), "--width", "160", "--height", "120")
    assert result.exit_code == 0, result.output
    assert read_png_size(out) == (160, 120)
    assert out.stat().st_size > 2000  # a real picture compresses worse than a blank one


def test_show_unknown_camera_and_robot(cli, tmp_path):
    out = tmp_path / "x.png"
    assert_user_error(cli("show", "--robot", "allegro", "--camera", "top", "--out", str(out)),
                      "unknown camera 'top'", "front")
    assert_user_error(cli("show", "--robot", "alegro", "--out", str(out)), "Did you mean 'allegro'?")
    assert not out.exists()


def test_show_renders_a_third_party_task(cli, toy_plugins, tmp_path):
    result = cli("show", "--robot", "allegro", "--task", "t", "--out", str(tmp_path / "t.png"))
    assert result.exit_code == 0, result.output
    assert read_png_size(tmp_path / "t.png") == (960, 720)


def test_png_writer_round_trips_size(tmp_path):
    image = np.zeros((7, 5, 3), dtype=np.uint8)
    write_png(tmp_path / "a.png", image)
    assert read_png_size(tmp_path / "a.png") == (5, 7)
    with pytest.raises(ValueError):
        write_png(tmp_path / "b.png", np.zeros((4, 4), dtype=np.uint8))


def test_bench_reports_engine_raw_and_ratio(cli):
    result = cli("bench", "--robot", "xhand", "--envs", "2", "--steps", "3", "--json")
    assert result.exit_code == 0, result.output
    figures = json.loads(result.stdout)
    assert figures["robot"] == "xhand" and figures["num_envs"] == 2 and figures["control_steps"] == 3
    assert figures["physics_steps_per_control"] == 12
    assert figures["ratio"] == pytest.approx(figures["raw_seconds"] / figures["engine_seconds"])
    assert figures["engine_env_steps_per_s"] > 0 and figures["raw_env_steps_per_s"] > 0


def test_bench_refuses_an_engine_without_a_mujoco_model(cli, toy_plugins):
    result = cli("bench", "--robot", "a", "--engine", "toy_engine", "--envs", "1", "--steps", "1")
    assert_user_error(result, "engine 'toy_engine' exposes no MuJoCo model")


def test_bench_train_times_every_stage_of_the_loop_against_raw_physics(cli):
    result = cli("bench", "--train", "--robot", "allegro", "--task", "grasp_lift", "--envs", "4",
                 "--steps", "20", "--set", "ppo.horizon_length=10", "--set", "ppo.mini_epochs=1",
                 "--set", "ppo.actor_units=[16]", "--set", "ppo.critic_units=[16]",
                 "--set", "ppo.pointnet_units=[8]", "--json")
    assert result.exit_code == 0, result.output
    figures = json.loads(result.stdout)
    assert figures["agent_steps"] == 80 and figures["num_envs"] == 4
    stages = figures["stages"]
    assert set(stages) == {"physics", "task", "method", "reset", "observation", "policy",
                           "ppo_update", "logging", "other"}
    for name in ("physics", "task", "method", "observation", "policy", "ppo_update"):
        assert stages[name]["us_per_agent_step"] > 0, name
    assert sum(stage["fraction"] for stage in stages.values()) == pytest.approx(1.0, abs=0.02)
    assert figures["ratio"] == pytest.approx(
        figures["agent_steps_per_s"] / figures["raw_env_steps_per_s"])


def test_bench_set_without_train_is_refused(cli):
    assert_user_error(cli("bench", "--set", "ppo.mini_epochs=1"),
                      "--set and --device apply to --train only")
    assert_user_error(cli("bench", "--device", "cuda"), "--set and --device apply to --train only")


@pytest.mark.parametrize("device, message", [
    ("cuda", "torch sees no CUDA device"),  # this machine: CPU only (skipped where one is)
    ("tpu", "field 'device'"),
])
def test_bench_train_device_is_checked_before_training(cli, device, message):
    import torch

    if device == "cuda" and torch.cuda.is_available():
        pytest.skip("this machine has a CUDA device")
    result = cli("bench", "--train", "--robot", "allegro", "--envs", "2", "--steps", "2",
                 "--device", device)
    assert_user_error(result, message)


def test_stage_times_synchronise_at_both_edges_of_a_stage():
    from trackbench.harness.stages import StageTimes

    calls = []
    times = StageTimes(sync=lambda: calls.append("sync"))
    with times.stage("physics"):
        calls.append("work")
    assert calls == ["sync", "work", "sync"]
    assert times.seconds["physics"] > 0


def test_bench_engine_with_fewer_actions_than_joints():
    """Wrist-delta robots have 6 arm actions for 7 arm joints: the raw rollout replays the
    engine's joint targets (one per actuator), not its actions."""
    from trackbench.harness.benchmark import bench_engine
    from trackbench.harness.build import make_engine, make_robot
    from trackbench.harness.plugins import load_registry
    from trackbench.harness.scene import table_with_box

    registry = load_registry()
    robot = make_robot(registry, "allegro", {"arm_action": "wrist_delta"})
    engine = make_engine(registry, "mujoco", robot, table_with_box(), 2, 0)
    assert engine.num_actions < robot.spec.num_dof
    result = bench_engine(engine, control_steps=2, repeats=1)
    assert result.engine_seconds > 0 and result.raw_seconds > 0
