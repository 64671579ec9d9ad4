"""MuJoCo Warp (``mjwarp``) against the CPU engine, on warp's CPU device: the same reset gives the
same State, resting physics stays within float32 tolerance of MuJoCo's float64, the same State
gives the same rewards and success flags, and what only mjwarp has (buffer overflows, graph
replay, exact resume of device state, render through MuJoCo, the install and device checks).

Small on purpose (2–4 worlds, tens of control steps): warp's CPU device is for correctness, and
the engines are built once per session (``warp_engines.py``).
"""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest
import torch

from tests.harness.conftest import assert_user_error
from tests.plugins.engines.warp_engines import needs_warp, warp_engine
from trackbench.harness.build import make_engine, make_robot, make_task, start_episodes
from trackbench.harness.errors import TrackbenchError
from trackbench.harness.plugins import load_registry
from trackbench.harness.scene import table_with_box

REGISTRY = load_registry()
ROBOTS = REGISTRY.names("robots")
FIELDS = ("joint_pos", "joint_vel", "joint_target", "keypoints", "wrist_pos", "wrist_quat",
          "object_pos", "object_quat", "object_linvel", "object_angvel", "object_points",
          "articulation_pos")
# float32 against float64 after 10 control steps (120 physics steps) of a hand holding still and
# a box resting on the table; measured differences are 10–100× smaller.
TOLERANCE = {"joint_vel": 1e-2, "object_linvel": 1e-2, "object_angvel": 5e-2}
DEFAULT_TOLERANCE = 1e-3


def assert_states_close(warp, cpu, tolerance=DEFAULT_TOLERANCE):
    for name in FIELDS:
        a, b = getattr(warp, name).cpu(), getattr(cpu, name)
        assert a.shape == b.shape and a.dtype == b.dtype, name
        gap = float((a - b).abs().max()) if a.numel() else 0.0
        assert gap <= TOLERANCE.get(name, tolerance), f"{name}: {gap}"
    assert torch.equal(warp.step.cpu(), cpu.step)
    assert torch.equal(warp.object_class_ids.cpu(), cpu.object_class_ids)


@needs_warp
@pytest.mark.parametrize("robot", ROBOTS)
def test_the_same_reset_and_actions_give_the_states_of_the_cpu_engine(robot):
    warp = warp_engine(REGISTRY, robot, 2, table_with_box(), "box")
    cpu = make_engine(REGISTRY, "mujoco", make_robot(REGISTRY, robot), table_with_box(), 2, 0)
    assert_states_close(warp.state, cpu.state, tolerance=1e-6)  # no physics yet: only float32
    hold = torch.zeros(2, warp.num_actions)  # arm still, hand mid-range: resting contacts
    hold[1, len(warp.robot.spec.arm_joints):] = 0.5
    for _ in range(10):
        warp_state, cpu_state = warp.step(hold), cpu.step(hold)
    assert_states_close(warp_state, cpu_state)
    assert warp.unstable_resets == 0 and not warp.unstable.any()


@needs_warp
def test_the_same_states_give_the_same_rewards_and_success_flags():
    """grasp_lift's objects, allegro: both engines reset every env by the same plan; the task and
    the dense method judge each engine's State. At reset the States are the same up to float32
    rounding, and so are the rewards and the success and failure flags. (Stepped, fingers that
    start on a mesh object part after a few steps: MuJoCo and mjwarp find different mesh
    contacts, so the parity of stepped physics is checked on resting contacts above.)"""
    from trackbench.harness.context import RunContext
    from trackbench.harness.rewards import RewardManager

    task_cpu, task_warp = make_task(REGISTRY, "grasp_lift"), make_task(REGISTRY, "grasp_lift")
    scenes = task_cpu.scenes()
    cpu = make_engine(REGISTRY, "mujoco", make_robot(REGISTRY, "allegro"), scenes, 4, 0)
    warp = warp_engine(REGISTRY, "allegro", 4, scenes, "grasp_lift")
    judged = []
    for task, engine in ((task_cpu, cpu), (task_warp, warp)):
        start_episodes(task, engine, seed=7)
        method = REGISTRY.get("methods", "dense").cls(REGISTRY.resolve_spec("methods", "dense", {}))
        method.setup(task, engine.robot.spec, 4, RunContext(REGISTRY))
        method.begin(torch.arange(4), engine.state)
        frame = task.update(engine.state)
        method.observe(frame)
        values, total = RewardManager(method, 4, "cpu").step(frame)
        judged.append((frame, values, total))
    (cpu_frame, cpu_values, cpu_total), (warp_frame, warp_values, warp_total) = judged
    assert_states_close(warp_frame.state, cpu_frame.state, tolerance=1e-6)
    assert torch.equal(warp_frame.success, cpu_frame.success)
    assert torch.equal(warp_frame.failed, cpu_frame.failed)
    assert cpu_values.keys() == warp_values.keys()
    for name in cpu_values:
        assert torch.allclose(warp_values[name], cpu_values[name], atol=1e-5), name
    assert torch.allclose(warp_total, cpu_total, atol=1e-5)


@needs_warp
def test_wrist_delta_actions_reach_the_same_targets_as_on_the_cpu_engine():
    """The wrist-delta law needs MuJoCo's CPU Jacobians: mjwarp takes them through the host."""
    robot = {"arm_action": "wrist_delta"}
    warp = make_engine(REGISTRY, "mjwarp", make_robot(REGISTRY, "xhand", robot), table_with_box(), 2, 0)
    cpu = make_engine(REGISTRY, "mujoco", make_robot(REGISTRY, "xhand", robot), table_with_box(), 2, 0)
    actions = torch.linspace(-1, 1, 2 * warp.num_actions).reshape(2, -1)
    for _ in range(2):
        warp_state, cpu_state = warp.step(actions), cpu.step(actions)
    assert torch.equal(warp_state.joint_target, cpu_state.joint_target)
    assert torch.allclose(warp_state.wrist_pos, cpu_state.wrist_pos, atol=1e-4)


@needs_warp
def test_a_full_contact_buffer_resets_and_flags_the_worlds_it_cut():
    """One contact per world cannot hold a box resting on the table (four corners): mjwarp
    drops contacts, and every world of the pool is reset and flagged, not silently wrong."""
    engine = warp_engine(REGISTRY, "xhand", 2, table_with_box(), "box", nconmax=1)
    engine.step(torch.zeros(2, engine.num_actions))
    assert engine.unstable.all()
    assert engine.unstable_resets == engine.overflow_resets == 2
    assert engine.state.step.tolist() == [0, 0]


@needs_warp
def test_exact_resume_continues_bitwise():
    engine = warp_engine(REGISTRY, "allegro", 2, table_with_box(), "box")
    generator = torch.Generator().manual_seed(3)
    actions = [torch.rand(2, engine.num_actions, generator=generator) * 2 - 1 for _ in range(8)]
    for a in actions[:4]:
        engine.step(a)
    saved = engine.state_dict()
    for a in actions[4:]:
        first = engine.step(a)
    engine.reset(torch.arange(2))  # somewhere else entirely
    engine.load_state_dict(saved)
    for a in actions[4:]:
        second = engine.step(a)
    for name in FIELDS + ("step",):
        assert torch.equal(getattr(first, name), getattr(second, name)), name


@needs_warp
def test_graph_replay_is_launching_the_kernels_one_by_one():
    graph = warp_engine(REGISTRY, "xhand", 2, table_with_box(), "box")
    eager = warp_engine(REGISTRY, "xhand", 2, table_with_box(), "box", graph=False)
    generator = torch.Generator().manual_seed(1)
    for _ in range(3):
        actions = torch.rand(2, graph.num_actions, generator=generator) * 2 - 1
        replayed, launched = graph.step(actions), eager.step(actions)
    for name in FIELDS:
        assert torch.equal(getattr(replayed, name), getattr(launched, name)), name


@needs_warp
def test_render_draws_a_world_through_mujoco():
    engine = warp_engine(REGISTRY, "allegro", 2, table_with_box(), "box")
    cpu = make_engine(REGISTRY, "mujoco", make_robot(REGISTRY, "allegro"), table_with_box(), 2, 0)
    assert np.allclose(engine.physics_state(1), cpu.physics_state(1), atol=1e-6)
    image = engine.render(1, 64, 48, shadows=False)
    assert image.shape == (48, 64, 3) and image.dtype == np.uint8 and image.std() > 0
    assert np.abs(image.astype(int) - cpu.render(1, 64, 48, shadows=False)).mean() < 1.0


def test_without_mujoco_warp_the_engine_names_the_install_command(cli, monkeypatch, tmp_path):
    find_spec = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *rest: None if name == "mujoco_warp" else find_spec(name, *rest))
    result = cli("run", "--engine", "mjwarp", "--dry-run", "--out", str(tmp_path))
    assert_user_error(result, "engine 'mjwarp': it needs MuJoCo Warp, which is not installed: "
                              "pip install 'mujoco-warp==4.0.0'")
    with pytest.raises(TrackbenchError, match="pip install 'mujoco-warp==4.0.0'"):
        make_engine(REGISTRY, "mjwarp", make_robot(REGISTRY, "xhand"), table_with_box(), 1, 0)


@needs_warp
def test_a_cuda_device_that_warp_does_not_see_is_refused(monkeypatch):
    from trackbench.plugins.engines.mujoco_warp import install_problem
    from trackbench.plugins.engines.warp_worlds import import_warp

    wp, _ = import_warp()
    monkeypatch.setattr(wp, "get_cuda_device_count", lambda: 0)
    assert install_problem("cuda") == ("--device cuda: warp sees 0 CUDA device(s) on this "
                                       "machine; use --device cpu (warp's CPU device, for tests)")
    assert install_problem("cpu") is None


@needs_warp
def test_run_device_reaches_the_engine_unless_set():
    from trackbench.harness.matrix import plan
    from trackbench.harness.specs import MatrixSpec

    def engine_device(**overrides):
        matrix = MatrixSpec(robots=["xhand"], tasks=["grasp_lift"], methods=["dense"],
                            engine="mjwarp", **overrides)
        return plan(matrix, REGISTRY)[0].engine_spec["device"]

    assert engine_device() == "cpu"
    assert engine_device(overrides={"engine": {"device": "cpu", "nconmax": 32}}) == "cpu"


@needs_warp
@pytest.mark.slow
def test_trackbench_run_trains_and_reports_on_mjwarp(cli, tmp_path):
    import json

    result = cli("run", "--engine", "mjwarp", "--device", "cpu", "--robot", "allegro",
                 "--task", "grasp_lift", "--method", "dense", "--envs", "4", "--steps", "200",
                 "--set", "ppo.eval_episodes=4", "--set", "task.episode_length=20",
                 "--out", str(tmp_path))
    assert result.exit_code == 0, result.output
    run_dir = tmp_path / "allegro__grasp_lift__dense__s0"
    summary = json.loads((run_dir / "result.json").read_text())
    assert summary["status"] == "ok" and summary["agent_steps"] >= 200
    assert summary["unstable_env_steps"] == 0
    assert json.loads((run_dir / "spec.json").read_text())["engine"] == "mjwarp"
