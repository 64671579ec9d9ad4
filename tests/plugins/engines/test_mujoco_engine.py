"""The engine contract on every registered robot: compile, State shapes, control, determinism,
fault isolation. Real MuJoCo, small env counts; the tests parametrized over ``ENGINES`` hold for
MuJoCo Warp (``mjwarp``, on warp's CPU device) as well, skipped where it is not installed."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from trackbench.harness.build import make_engine, make_robot
from trackbench.harness.control import joint_targets
from trackbench.harness.errors import TrackbenchError
from trackbench.harness.plugins import load_registry
from trackbench.harness.robot import HUMAN_FINGERTIPS
from trackbench.harness.scene import table_with_box
from tests.plugins.engines.warp_engines import corrupt, needs_warp, warp_engine

REGISTRY = load_registry()
ROBOTS = REGISTRY.names("robots")
ENGINES = ["mujoco", pytest.param("mjwarp", marks=needs_warp)]


def engine_for(robot: str, num_envs: int = 4, seed: int = 0, engine: str = "mujoco"):
    if engine == "mjwarp":  # one per session, reset: warp's kernels are compiled once
        return warp_engine(REGISTRY, robot, num_envs, table_with_box(), "box")
    return make_engine(REGISTRY, "mujoco", make_robot(REGISTRY, robot), table_with_box(), num_envs, seed)


def random_rollout(engine, steps: int, seed: int):
    generator = torch.Generator().manual_seed(seed)
    states = []
    for _ in range(steps):
        actions = torch.rand(engine.num_envs, engine.num_actions, generator=generator) * 2 - 1
        states.append(engine.step(actions))
    return states


@pytest.mark.parametrize("engine_name", ENGINES)
@pytest.mark.parametrize("robot", ROBOTS)
def test_model_matches_spec(robot, engine_name):
    engine = engine_for(robot, engine=engine_name)
    spec = engine.robot.spec
    joints = spec.arm_joints + spec.hand_joints
    model = engine.model
    assert model.nu == len(joints) == engine.num_actions
    for joint in joints:
        low, high = model.joint(joint.name).range
        assert (low, high) == pytest.approx((joint.lower, joint.upper))
    state = engine.state
    assert state.joint_pos.shape == (4, len(joints))
    assert torch.allclose(state.joint_pos[0], torch.tensor([j.default for j in joints]), atol=1e-5)
    assert state.keypoints.shape == (4, len(spec.keypoints), 3)
    assert state.object_points.shape == (4, 1, 100, 3)


@pytest.mark.parametrize("robot", ROBOTS)
def test_every_keypoint_maps_to_a_human_fingertip(robot):
    spec = make_robot(REGISTRY, robot).spec
    sources = spec.human_fingertip_sources()
    assert len(sources) == len(HUMAN_FINGERTIPS)
    assert all(0 <= i < len(spec.keypoints) for group in sources for i in group)
    assert all(k.human_index in HUMAN_FINGERTIPS for k in spec.keypoints)


@pytest.mark.parametrize("engine_name", ENGINES)
@pytest.mark.parametrize("robot", ROBOTS)
def test_random_actions_stay_finite_and_box_rests_on_table(robot, engine_name):
    engine = engine_for(robot, engine=engine_name)
    steps = 200 if engine_name == "mujoco" else 60  # warp's CPU device: 10 s of physics at 4 envs
    states = random_rollout(engine, steps, seed=1)
    assert all(bool(s.is_finite().all()) for s in states)
    assert engine.unstable_resets == 0
    assert int(states[-1].step[0]) == steps
    # The box was never touched by a hand hovering above the table: it rests at its half-size.
    assert torch.allclose(states[-1].object_pos[..., 2], torch.full((4, 1), 0.03), atol=2e-3)


@pytest.mark.parametrize("engine_name", ENGINES)
@pytest.mark.parametrize("robot", ROBOTS)
def test_same_seed_same_states(robot, engine_name):
    first = random_rollout(engine_for(robot, seed=3, engine=engine_name), 20, seed=5)[-1]
    second = random_rollout(engine_for(robot, seed=3, engine=engine_name), 20, seed=5)[-1]
    for name in ("joint_pos", "joint_vel", "keypoints", "object_pos", "object_points"):
        assert torch.equal(getattr(first, name), getattr(second, name)), name


@pytest.mark.parametrize("engine_name", ENGINES)
def test_hand_targets_absolute_and_arm_targets_delta(engine_name):
    engine = engine_for("allegro", num_envs=2, engine=engine_name)
    spec = engine.robot.spec
    n_arm = len(spec.arm_joints)
    start = engine.state.joint_target.clone()
    actions = torch.zeros(2, engine.num_actions)
    actions[:, :n_arm] = 1.0  # arm: + arm_speed_scale · sim_dt per step
    actions[1, n_arm:] = 1.0  # hand env 1: upper limits; env 0: mid-range
    state = engine.step(actions)
    arm_step = spec.arm_speed_scale * engine.spec.sim_dt
    assert torch.allclose(state.joint_target[:, :n_arm], start[:, :n_arm] + arm_step, atol=1e-6)
    lower = torch.tensor([j.lower for j in spec.hand_joints])
    upper = torch.tensor([j.upper for j in spec.hand_joints])
    assert torch.allclose(state.joint_target[0, n_arm:], (lower + upper) / 2, atol=1e-6)
    assert torch.allclose(state.joint_target[1, n_arm:], upper, atol=1e-6)
    # Out-of-range actions are clamped to [-1, 1].
    assert torch.allclose(engine.step(actions * 50).joint_target[1, n_arm:], upper, atol=1e-6)


@pytest.mark.parametrize("engine_name", ENGINES)
@pytest.mark.parametrize("robot", ROBOTS)
def test_the_engine_steps_exactly_the_targets_of_the_control_law(robot, engine_name):
    engine = engine_for(robot, num_envs=2, engine=engine_name)
    spec = engine.robot.spec
    joints = spec.arm_joints + spec.hand_joints
    lower, upper = np.array([j.lower for j in joints]), np.array([j.upper for j in joints])
    previous = np.tile([j.default for j in joints], (2, 1))  # a fresh engine's targets, float64
    actions = torch.linspace(-1.5, 1.5, 2 * engine.num_actions).reshape(2, -1)
    expected = joint_targets(previous, actions.double().numpy(), lower, upper,
                             len(spec.arm_joints), spec.arm_speed_scale, engine.spec.sim_dt)
    assert torch.equal(engine.step(actions).joint_target.cpu(), torch.as_tensor(expected).float())


@pytest.mark.parametrize("engine_name", ENGINES)
def test_hand_follows_its_targets(engine_name):
    engine = engine_for("xhand", num_envs=1, engine=engine_name)
    n_arm = len(engine.robot.spec.arm_joints)
    actions = torch.zeros(1, engine.num_actions)  # hand mid-range, arm still
    for _ in range(30):
        state = engine.step(actions)
    error = (state.joint_pos[0, n_arm:] - state.joint_target[0, n_arm:]).abs().max()
    assert error < 0.05


@pytest.mark.parametrize("engine_name", ENGINES)
def test_reset_only_named_envs(engine_name):
    engine = engine_for("allegro", num_envs=3, engine=engine_name)
    random_rollout(engine, 10, seed=0)
    before = engine.state
    engine.reset(torch.tensor([1]))
    after = engine.state
    assert int(after.step[1]) == 0 and int(after.step[0]) == 10 and int(after.step[2]) == 10
    default = torch.tensor([j.default for j in engine.robot.spec.arm_joints + engine.robot.spec.hand_joints])
    assert torch.allclose(after.joint_pos[1], default, atol=1e-5)
    for name in ("joint_pos", "joint_vel", "keypoints", "object_pos", "joint_target"):
        assert torch.equal(getattr(after, name)[[0, 2]], getattr(before, name)[[0, 2]]), name


@pytest.mark.parametrize("engine_name", ENGINES)
def test_reset_places_robot_and_objects_where_asked(engine_name):
    engine = engine_for("xhand", num_envs=2, engine=engine_name)
    qpos = engine.state.joint_pos.clone()
    qpos[:, -1] = 0.5
    engine.reset(torch.tensor([0, 1]), robot_qpos=qpos,
                 object_pos=torch.tensor([[[0.1, -0.05, 0.03]], [[-0.1, 0.05, 0.03]]]))
    state = engine.state
    assert torch.allclose(state.joint_pos[:, -1], torch.full((2,), 0.5), atol=1e-6)
    assert torch.allclose(state.object_pos[1, 0], torch.tensor([-0.1, 0.05, 0.03]), atol=1e-6)
    # The point cloud moves with the object.
    assert torch.allclose(state.object_points[1, 0].mean(0)[:2], torch.tensor([-0.1, 0.05]), atol=0.01)


@pytest.mark.parametrize("engine_name", ENGINES)
def test_nan_in_one_env_resets_only_that_env(engine_name):
    engine = engine_for("allegro", num_envs=3, engine=engine_name)
    random_rollout(engine, 5, seed=0)
    corrupt(engine, 1)  # NaN in env 1's physics state
    state = engine.step(torch.zeros(3, engine.num_actions))
    assert engine.unstable.tolist() == [False, True, False]
    assert engine.unstable_resets == 1
    assert bool(state.is_finite().all())
    assert state.step.tolist() == [6, 0, 6]
    state = engine.step(torch.zeros(3, engine.num_actions))
    assert engine.unstable.tolist() == [False, False, False]


@pytest.mark.parametrize("engine_name", ENGINES)
def test_wrong_action_shape_is_a_clear_error(engine_name):
    engine = engine_for("allegro", num_envs=2, engine=engine_name)
    with pytest.raises(TrackbenchError, match=r"actions must have shape \[2, 23\].*got \[2, 19\]"):
        engine.step(torch.zeros(2, 19))


@pytest.mark.parametrize("engine_name", ENGINES)
@pytest.mark.parametrize("robot", ROBOTS)
def test_state_keypoints_are_the_keypoint_sites(robot, engine_name):
    import mujoco

    engine = engine_for(robot, num_envs=1, engine=engine_name)
    data = mujoco.MjData(engine.model)
    mujoco.mj_setState(engine.model, data, engine.physics_state(0), mujoco.mjtState.mjSTATE_FULLPHYSICS)
    mujoco.mj_forward(engine.model, data)
    spec = engine.robot.spec
    expected = np.stack([data.site(k.site).xpos for k in spec.keypoints])
    atol = 1e-6 if engine_name == "mujoco" else 1e-5  # mjwarp computes in float32
    assert np.allclose(engine.state.keypoints[0].numpy(), expected, atol=atol)
    assert np.allclose(engine.state.wrist_pos[0].numpy(), data.site(spec.wrist_site).xpos, atol=atol)


@pytest.mark.parametrize("engine_name", ENGINES)
def test_scene_variants_run_side_by_side(engine_name):
    """Env i simulates variant i % n: each env's box rests at its own size, with its own cloud."""
    small, large = table_with_box(half_size=0.02), table_with_box(half_size=0.05)
    engine = make_engine(REGISTRY, engine_name, make_robot(REGISTRY, "xhand"), (small, large), 4, 0)
    hold = torch.zeros(4, engine.num_actions)
    for _ in range(10):
        state = engine.step(hold)
    heights = state.object_pos[:, 0, 2]
    assert torch.allclose(heights, torch.tensor([0.02, 0.05, 0.02, 0.05]), atol=2e-3)
    spread = state.object_points[:, 0, :, 2].max(dim=1).values - heights
    assert torch.allclose(spread, torch.tensor([0.02, 0.05, 0.02, 0.05]), atol=2e-3)


@pytest.mark.parametrize("engine_name", ENGINES)
def test_mismatched_scene_variants_are_refused(engine_name):
    from trackbench.harness.scene import Scene

    empty = Scene(build=lambda model: None)
    with pytest.raises(TrackbenchError, match="scene variants differ"):
        make_engine(REGISTRY, engine_name, make_robot(REGISTRY, "xhand"), (table_with_box(), empty), 2, 0)
