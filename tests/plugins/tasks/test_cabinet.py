"""The `cabinet` task: success rule, sparse and dense rewards, drawer physics, observations.

Success and reward tests drive ``task.update`` with States taken from the real engine and edited
(drawer opening, fingertip positions); physics tests step the real MuJoCo model.
"""

from __future__ import annotations

from dataclasses import replace

import mujoco
import numpy as np
import pytest
import torch

from tests.plugins.tasks.support import REGISTRY, hold_actions, start
from trackbench.harness.build import make_task
from trackbench.harness.rewards import evaluate, total
from trackbench.kit import cabinet as cm
from trackbench.plugins.tasks.cabinet import rotate

ROBOTS = REGISTRY.names("robots")


def cabinet_env(robot: str = "allegro", num_envs: int = 2, **overrides):
    return start("cabinet", robot, num_envs, **overrides)


def with_opening(state, opening: float):
    return replace(state, articulation_pos=torch.full_like(state.articulation_pos, opening))


def set_drawer(engine, env_id: int, opening: float) -> None:
    """Write the drawer joint into the engine's physics state (time comes first in it)."""
    model = engine.model
    qpos_at = mujoco.mj_stateSize(model, mujoco.mjtState.mjSTATE_TIME.value)
    drawer = model.jnt_qposadr[model.joint(cm.DRAWER_JOINT).id]
    engine.physics_state(env_id)[qpos_at + drawer] = opening


def test_spec_defaults_follow_the_paper_code():
    spec = make_task(REGISTRY, "cabinet").spec
    assert (spec.arm_reset_noise, spec.success_opening, spec.success_hold_steps) == (0.05, 0.32, 10)
    assert (spec.moved_opening, spec.goal_opening, spec.episode_length) == (0.01, 0.30, 600)
    # The paper's cabinet resets only at the episode's end (paper-code-facts §7).
    assert not make_task(REGISTRY, "cabinet").success_ends_episode()
    assert make_task(REGISTRY, "cabinet", {"success_ends_episode": True}).success_ends_episode()
    assert make_task(REGISTRY, "grasp_lift").success_ends_episode()


def test_success_after_exactly_the_hold_count_at_the_success_opening():
    task, engine = cabinet_env()
    state = engine.state
    for step in range(9):
        frame = task.update(with_opening(state, 0.32))
        assert not frame.success.any(), step
    assert task.update(with_opening(state, 0.32)).success.all()  # the 10th step
    assert not frame.failed.any()

    task.begin(torch.arange(2), state)  # a new episode: the count starts again
    for _ in range(9):
        task.update(with_opening(state, 0.35))
    task.update(with_opening(state, 0.319))  # one step short of the opening breaks the run
    for _ in range(9):
        assert not task.update(with_opening(state, 0.33)).success.any()
    assert task.update(with_opening(state, 0.33)).success.all()


def test_success_hold_count_follows_the_spec():
    task, engine = cabinet_env(success_hold_steps=3, success_opening=0.2)
    state = with_opening(engine.state, 0.2)
    assert [bool(task.update(state).success[0]) for _ in range(3)] == [False, False, True]


def test_sparse_reward_is_zero_until_the_drawer_moves():
    task, engine = cabinet_env()
    terms = task.reward_terms()["task"]
    expected = {0.0: 0.0, 0.009: 0.0, 0.011: 1.0, 0.29: 1.0, 0.30: 2.0, 0.4: 2.0}
    for opening, reward in expected.items():
        frame = task.update(with_opening(engine.state, opening))
        assert torch.equal(total(evaluate(terms, frame)), torch.full((2,), reward)), opening
        assert bool(frame.flags["drawer_moved"][0]) == (opening > 0.01)


def test_dense_reward_rises_as_the_fingertips_close_around_the_handle():
    task, engine = cabinet_env()
    state = engine.state
    handle_pos, handle_quat = state.object_pos[:, 0], state.object_quat[:, 0]
    k = state.keypoints.shape[1]
    # Goal grip in the handle frame (x out of the drawer): fingers hooked in the gap behind the
    # bar, spread along it; the thumb in front of the bar.
    local = torch.zeros(k, 3)
    local[1:, 0] = -cm.HANDLE_HALF[0] - cm.HANDLE_GAP / 2
    local[1:, 1] = torch.linspace(-0.05, 0.05, k - 1)
    local[0, 0] = cm.HANDLE_HALF[0] + 0.012
    grip = handle_pos[:, None] + rotate(handle_quat[:, None], local.expand(2, k, 3))
    terms = task.reward_terms()["dense"]
    rewards = []
    for t in torch.linspace(0, 1, 11):
        keypoints = (1 - t) * state.keypoints + t * grip
        frame = task.update(replace(state, keypoints=keypoints))
        rewards.append(total(evaluate(terms, frame)))
    rewards = torch.stack(rewards)
    assert (rewards[1:] > rewards[:-1]).all(), rewards[:, 0]
    assert frame.buffers.around_handle.all()
    # Opening the drawer with the same grip pays more still.
    opened = task.update(replace(with_opening(state, 0.33), keypoints=grip))
    assert (total(evaluate(terms, opened)) > rewards[-1] + 7.5 * 0.33).all()


@pytest.mark.parametrize("robot", ROBOTS)
def test_drawer_stays_closed_while_the_robot_holds_still(robot):
    task, engine = cabinet_env(robot)
    state = engine.state
    for _ in range(40):
        state = engine.step(hold_actions(engine))
        frame = task.update(state)
        assert state.articulation_pos.abs().max() < 1e-4
        assert not frame.flags["drawer_moved"].any()
        assert total(evaluate(task.reward_terms()["task"], frame)).eq(0).all()
    assert engine.unstable_resets == 0


def test_an_open_drawer_stays_put_within_its_limits_and_resets_closed():
    task, engine = cabinet_env()
    set_drawer(engine, 0, 0.2)
    state = engine.state
    for _ in range(40):
        state = engine.step(hold_actions(engine))
        opening = state.articulation_pos[:, 0]
        assert 0.19 < opening[0] < 0.21 and abs(opening[1]) < 1e-4
    engine.reset(torch.tensor([0]))
    assert engine.state.articulation_pos[0, 0] == 0.0  # the engine resets the drawer closed


def test_pulling_the_handle_opens_the_drawer_up_to_its_limit_and_a_light_tug_does_not():
    _, engine = cabinet_env()
    model = engine.model
    data = mujoco.MjData(model)
    mujoco.mj_setState(model, data, engine.physics_state(0), mujoco.mjtState.mjSTATE_FULLPHYSICS)
    actuated = [model.jnt_qposadr[model.actuator(i).trnid[0]] for i in range(model.nu)]
    data.ctrl[:] = data.qpos[actuated]  # hold the robot where it is
    drawer = model.jnt_qposadr[model.joint(cm.DRAWER_JOINT).id]
    handle = model.body(cm.HANDLE_BODY).id

    def pull(newtons: float, seconds: float) -> float:
        data.xfrc_applied[handle, :3] = [0.0, newtons, 0.0]  # +y: out of the cabinet
        for _ in range(int(seconds / model.opt.timestep)):
            mujoco.mj_step(model, data)
        return float(data.qpos[drawer])

    friction = make_task(REGISTRY, "cabinet").spec.drawer_friction
    assert abs(pull(0.5 * friction, 0.5)) < 1e-3
    assert pull(5 * friction, 0.5) > 0.05
    assert pull(50.0, 1.5) == pytest.approx(cm.DRAWER_TRAVEL, abs=5e-3)


def test_handle_cloud_label_and_privileged_values():
    task, engine = cabinet_env("xhand")
    set_drawer(engine, 1, 0.1)
    state = engine.step(hold_actions(engine))
    frame = task.update(state)
    points = task.policy_points(state)
    assert points.shape == (2, 100, 3) and torch.equal(points, state.object_points[:, 0])
    assert torch.equal(task.goal_label(state), torch.zeros(2, dtype=torch.long))
    assert state.object_class_ids[0, 0] == 0
    # Closed, the cloud is the handle bar across the drawer front, where the model puts it.
    centre = torch.as_tensor(cm.closed_handle_world_pos(), dtype=torch.float32)
    assert torch.allclose(points[0].mean(dim=0), centre, atol=0.01)
    extent = points[0].max(dim=0).values - points[0].min(dim=0).values
    assert torch.allclose(extent, 2 * torch.tensor(cm.HANDLE_HALF)[[1, 0, 2]], atol=2e-3)
    assert torch.allclose(points[1] - points[0], torch.tensor([0.0, 0.1, 0.0]), atol=2e-3)
    np.testing.assert_array_equal(cm.handle_points(), cm.handle_points())

    k = state.keypoints.shape[1]
    privileged = task.privileged(frame)
    assert privileged.shape == (2, k + 5)
    expected_opening = state.articulation_pos[:, 0]
    assert torch.equal(privileged[:, k], expected_opening)
    nearest = (state.keypoints[:, :, None] - points[:, None]).norm(dim=-1).min(dim=-1).values
    assert (privileged[:, :k] <= nearest + 1e-5).all()  # to the bar's surface, not its samples
    assert (privileged[:, :k] > nearest - 0.02).all()
    assert torch.allclose(privileged[:, k + 2:], state.object_pos[:, 0] - state.wrist_pos)


def test_drawer_velocity_is_positive_while_it_opens():
    task, engine = cabinet_env(num_envs=1)
    set_drawer(engine, 0, 0.1)
    physics = engine.physics_state(0)
    model = engine.model
    qvel_at = mujoco.mj_stateSize(model, mujoco.mjtState.mjSTATE_TIME.value) + model.nq
    physics[qvel_at + model.jnt_dofadr[model.joint(cm.DRAWER_JOINT).id]] = 0.5  # sliding out
    state = engine.step(hold_actions(engine))
    frame = task.update(state)
    assert frame.buffers.opening_velocity[0] > 0.05
    assert state.articulation_pos[0, 0] > 0.1


def test_reset_noise_on_the_arm_is_the_paper_cabinet_coefficient():
    task, engine = cabinet_env(num_envs=1)
    spec = engine.robot.spec
    plan = task.reset(torch.arange(256), torch.Generator().manual_seed(1))
    arm = plan.robot_qpos[:, :len(spec.arm_joints)]
    default = torch.tensor([j.default for j in spec.arm_joints])
    span = torch.tensor([max(j.upper - j.default, j.default - j.lower) for j in spec.arm_joints])
    assert ((arm - default).abs() <= 0.05 * span + 1e-6).all()
    assert ((arm - default).abs().max(dim=0).values > 0.03 * span).all()


def frame_of(opening, around, grasp_dist=0.5, tip_dist=(1.0, 1.0, 1.0, 1.0)):
    """A TaskFrame of one env with hand-set buffers (the defaults: far from the handle)."""
    from trackbench.harness.task import TaskFrame
    from trackbench.plugins.tasks.cabinet import CabinetBuffers

    n = len(opening)
    buffers = CabinetBuffers(
        opening=torch.tensor(opening), opening_velocity=torch.zeros(n),
        hold_steps=torch.zeros(n, dtype=torch.long),
        tip_handle_dist=torch.tensor([tip_dist] * n), grasp_dist=torch.full((n,), grasp_dist),
        around_handle=torch.tensor(around), moved_opening=0.01, goal_opening=0.30,
        success_opening=0.32)
    return TaskFrame(state=None, n_arm=7, success=torch.zeros(n, dtype=torch.bool),
                     failed=torch.zeros(n, dtype=torch.bool), buffers=buffers)


def test_dense_terms_match_franka_cabinet_by_hand():
    """IsaacGymEnvs' compute_franka_reward (docs/reference/anchors.md §4.2): around_handle is 0.5
    when the fingers wrap the handle, so open = q·(1 + 0.5·[around]) and the staged bonuses are
    0.5·[q > 0.01] + 0.5·[around]·[q > 0.2] + 1.0·[around]·[q > limit]."""
    task = make_task(REGISTRY, "cabinet")
    dense = task.reward_terms()["dense"]
    openings = [0.0, 0.005, 0.1, 0.25, 0.25, 0.33, 0.33]
    around = [False, True, True, False, True, False, True]
    values = evaluate(dense, frame_of(openings, around, grasp_dist=0.01,
                                      tip_dist=(0.0, 0.01, 0.05, 0.04)))
    # dist: (1/(1 + 0.01²))² · 2 (d ≤ 0.02), weight 2.0
    assert torch.allclose(values["cabinet_approach_handle"],
                          torch.full((7,), 2.0 * 2.0 / (1 + 1e-4) ** 2))
    # fingertips: 2 · mean(0.04, 0.03, 0, 0) = 0.035, weight 5.0
    assert torch.allclose(values["cabinet_fingertips_near_handle"], torch.full((7,), 0.175))
    # around: 0.25 · 0.5 per step the fingers wrap the handle
    assert torch.allclose(values["cabinet_around_handle"],
                          torch.tensor([0.125 * a for a in around]))
    expected_open = [7.5 * q * (1 + 0.5 * a) for q, a in zip(openings, around)]
    assert torch.allclose(values["cabinet_open_distance"], torch.tensor(expected_open))
    expected_bonus = [0.0, 0.0, 0.5, 0.5, 1.0, 0.5, 2.0]
    assert torch.allclose(values["cabinet_open_bonus"], torch.tensor(expected_bonus))


def test_a_robot_whose_keypoints_do_not_start_with_the_thumb_fails_at_plan_time():
    from trackbench.harness.errors import TrackbenchError
    from trackbench.harness.matrix import plan
    from trackbench.harness.specs import MatrixSpec

    allegro = REGISTRY.get("robots", "allegro").cls.Spec()
    thumb_last = [k.model_dump() for k in reversed(allegro.keypoints)]
    matrix = MatrixSpec(robots=["allegro"], tasks=["cabinet", "grasp_lift"], methods=["dense"],
                        overrides={"robot": {"keypoints": thumb_last}})
    with pytest.raises(TrackbenchError) as error:
        plan(matrix, REGISTRY)
    message = str(error.value)
    assert ("allegro × cabinet: task 'cabinet': the drawer-handle grasp test needs the thumb tip "
            "(human index 4) as the first keypoint") in message
    assert "[20, 12, 8, 4]" in message and "grasp_lift" not in message
    # Setup refuses the same robot for callers that did not plan.
    task = make_task(REGISTRY, "cabinet")
    with pytest.raises(TrackbenchError, match="task 'cabinet': the drawer-handle grasp test"):
        task.setup(allegro.model_copy(update={"keypoints": allegro.keypoints[::-1]}), 2)
