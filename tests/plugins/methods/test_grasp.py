"""Method `grasp`: the reach / grip / lift rungs of the sanity ladder, against hand-computed values."""

from __future__ import annotations

import dataclasses
import math
from types import SimpleNamespace

import pytest
import torch

from trackbench.harness.env import VecEnv
from trackbench.harness.matrix import plan
from trackbench.harness.plugins import load_registry
from trackbench.harness.rewards import RewardManager
from trackbench.harness.specs import MatrixSpec

REGISTRY = load_registry()


def grasp_env(num_envs=2, **overrides):
    matrix = MatrixSpec(robots=["allegro"], tasks=["grasp_lift"], methods=["grasp"], agent_steps=10,
                        num_envs=num_envs, overrides={"method": overrides})
    return VecEnv.build(plan(matrix, REGISTRY)[0], REGISTRY)


def test_grasp_rewards_reach_grip_and_lift_from_the_fingertips_surface_distances():
    env = grasp_env()
    assert env.term_names == ["reach", "grip", "lift", "energy"]
    step = env.step(torch.rand(2, env.num_actions) * 2 - 1)
    state = env.engine.state
    distances = torch.cdist(state.keypoints, state.object_points[:, 0]).min(dim=-1).values
    spec = env.method.spec
    reach = 1 - torch.tanh(distances.mean(dim=1) / spec.reach_scale)
    grip = ((1 - torch.tanh(distances[:, 0] / spec.grip_scale))
            * (1 - torch.tanh(distances[:, 1:].min(dim=1).values / spec.grip_scale)))
    # from a reset the hand is 20+ cm away: no grip, so no lift whatever the object does
    assert (distances[:, 0] > spec.grip_distance).all()
    assert torch.allclose(step.reward, reach + grip, atol=1e-6)


def posed(state, thumb, finger, rise):
    """A copy of ``state`` with the thumb `thumb` m outside object 0's first surface sample, keypoint
    1 `finger` m outside the sample farthest from it (None: 1 m above, as are the other tips),
    and the object and those tips raised by `rise` m."""
    points, centre = state.object_points[0, 0], state.object_pos[0, 0]
    near, far = points[0], points[(points - points[0]).norm(dim=1).argmax()]

    def outside(point, gap):
        if gap is None:
            return point + torch.tensor([0.0, 0.0, 1.0])
        return point + gap * (point - centre) / (point - centre).norm()

    keypoints = state.keypoints.clone()
    keypoints[:] = near + torch.tensor([0.0, 0.0, 1.0])
    keypoints[0, 0], keypoints[0, 1] = outside(near, thumb), outside(far, finger)
    lift = torch.tensor([0.0, 0.0, rise])
    object_pos, object_points = state.object_pos.clone(), state.object_points.clone()
    object_pos[:, 0] += lift
    object_points[:, 0] += lift
    return dataclasses.replace(state, keypoints=keypoints + lift, object_pos=object_pos,
                               object_points=object_points)


@pytest.mark.parametrize("thumb, finger, rise, gripped", [
    (0.01, 0.01, 0.05, True),   # opposed tips on the surface, raised 5 cm: half the lift term
    (0.01, 0.01, 0.30, True),   # raised past lift_height: the full term
    (0.06, 0.01, 0.05, False),  # the thumb 6 cm off the surface: no lift pay, whatever the rise
    (0.01, None, 0.05, False),  # only the thumb on it: none either
])
def test_the_lift_term_pays_the_rise_only_while_thumb_and_a_finger_grip(thumb, finger, rise, gripped):
    env = grasp_env(num_envs=1)
    state = env.engine.state
    start = float(state.object_pos[0, 0, 2])
    frame = SimpleNamespace(state=posed(state, thumb, finger, rise), n_arm=7)
    surface = torch.cdist(frame.state.keypoints, frame.state.object_points[:, 0]).min(dim=-1).values[0]
    assert surface[0] <= thumb + 1e-6 and (finger is None or surface[1] <= finger + 1e-6)
    values = RewardManager(env.method).step(frame)[0]
    spec = env.method.spec
    assert 0.01 < spec.grip_distance < 0.06  # the cases above sit on either side of it
    expected_lift = spec.lift_weight * min(rise / spec.lift_height, 1.0) if gripped else 0.0
    assert float(values["lift"][0]) == pytest.approx(expected_lift, abs=1e-5)
    thumb_d, finger_d = float(surface[0]), float(surface[1:].min())
    expected_grip = (1 - math.tanh(thumb_d / spec.grip_scale)) * (1 - math.tanh(finger_d / spec.grip_scale))
    assert float(values["grip"][0]) == pytest.approx(expected_grip, abs=1e-5)
    assert env.method.metrics()["grip_share"] == (1.0 if gripped else 0.0)
    assert float(env.engine.state.object_pos[0, 0, 2]) == start  # scoring moved nothing


def test_a_resumed_grasp_method_keeps_each_episodes_start_height():
    env = grasp_env()
    saved = env.method.state_dict()
    other = grasp_env()
    other.method._start_z.fill_(-1.0)
    other.method.load_state_dict(saved)
    assert torch.equal(other.method._start_z, env.method._start_z)


def test_grasp_refuses_a_robot_with_a_single_keypoint():
    cls = REGISTRY.get("methods", "grasp").cls
    method = cls(cls.Spec())
    robot = SimpleNamespace(name="one_tip", keypoints=(object(),))
    assert "at least one other fingertip" in method.check_compatible(None, robot)[0]


@pytest.mark.parametrize("lag, gripped, expected", [
    (0.0, True, 0.0),         # every finger at its target: free, no force
    (0.004, True, 0.16 / 0.35),  # kp 40 × 0.004 rad = 0.16 N·m of the 0.35 N·m effort
    (0.5, True, 1.0),         # blocked far from its target: the servo's effort limit
    (0.5, False, 0.0),        # pushing, but not at the object: nothing
])
def test_the_squeeze_term_reads_servo_torque_against_a_resistance_while_gripped(lag, gripped, expected):
    env = grasp_env(num_envs=1, squeeze_weight=2.0)
    assert env.term_names == ["reach", "grip", "lift", "squeeze", "energy"]
    state = posed(env.engine.state, 0.01, 0.01 if gripped else None, 0.0)
    n_arm = len(env.engine.robot.spec.arm_joints)
    target = state.joint_pos.clone()
    target[:, n_arm:] += lag * torch.where(torch.arange(target.shape[1] - n_arm) % 2 == 0, 1.0, -1.0)
    frame = SimpleNamespace(state=dataclasses.replace(state, joint_target=target), n_arm=n_arm)
    values = RewardManager(env.method).step(frame)[0]
    assert env.engine.robot.spec.hand_kp == 40.0 and env.engine.robot.spec.hand_effort == 0.35
    assert float(values["squeeze"][0]) == pytest.approx(2.0 * expected, abs=1e-5)


def test_the_squeeze_term_is_off_by_default():
    assert "squeeze" not in grasp_env(num_envs=1).term_names
