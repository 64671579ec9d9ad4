"""The control law and the blow-up rule every engine applies, against values worked out by hand.

Dyadic numbers (speed 8, sim_dt 1/64: an arm step of 1/8) keep every expected value exact, so the
comparisons are equalities, on NumPy float64 (what the CPU engine uses) and torch alike.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from trackbench.harness.arm_kinematics import ArmKinematics
from trackbench.harness.build import make_engine, make_robot
from trackbench.harness.errors import TrackbenchError
from trackbench.harness.control import fold_close_action, joint_targets, wrist_delta_targets
from trackbench.harness.instability import unstable_envs
from trackbench.harness.plugins import load_registry
from trackbench.harness.scene import table_with_box

REGISTRY = load_registry()

# Two arm joints in [-1, 1], one hand joint in [-0.5, 1.5].
LOWER, UPPER = [-1.0, -1.0, -0.5], [1.0, 1.0, 1.5]
PREVIOUS = [[0.0, 0.5, 0.9], [1.0, -0.95, 0.9]]
ACTIONS = [[1.0, -0.5, 0.0],  # arm +1/8 and −1/16; hand mid-range
           [3.0, -1.0, -2.0]]  # clipped to [1, −1, −1]: both arm joints run into their limits
EXPECTED = [[0.125, 0.4375, 0.5],  # hand: −0.5 + 0.5·(0 + 1)·2; the previous 0.9 plays no part
            [1.0, -1.0, -0.5]]  # 1 + 1/8 and −0.95 − 1/8 clamped; hand at its lower limit


@pytest.mark.parametrize("as_array", [np.array, lambda x: torch.tensor(x, dtype=torch.float64)],
                         ids=["numpy", "torch"])
def test_joint_targets_by_hand(as_array):
    previous = as_array(PREVIOUS)
    targets = joint_targets(previous, as_array(ACTIONS), as_array(LOWER), as_array(UPPER),
                            n_arm=2, arm_speed_scale=8.0, sim_dt=1 / 64)
    assert type(targets) is type(previous)
    assert targets.tolist() == EXPECTED
    assert previous.tolist() == PREVIOUS  # a new array; the engine decides where it goes


@pytest.mark.parametrize("as_array", [np.array, lambda x: torch.tensor(x, dtype=torch.float64)],
                         ids=["numpy", "torch"])
def test_delta_hand_targets_by_hand(as_array):
    """hand_action=delta: the hand target moves hand_step · action from the previous target and
    stays in its limits; the zero action holds it (what a grasped start needs)."""
    actions = as_array([[0.0, 0.0, 1.0], [0.0, 0.0, -0.5], [0.0, 0.0, 0.0]])
    previous = as_array([[0.0, 0.0, 1.25], [0.0, 0.0, 0.0], [0.0, 0.0, 0.9]])
    targets = joint_targets(previous, actions, as_array(LOWER), as_array(UPPER), n_arm=2,
                            arm_speed_scale=8.0, sim_dt=1 / 64, hand_step=0.5)
    assert targets[:, 2].tolist() == [1.5, -0.25, 0.9]  # 1.25 + 0.5 clamped to 1.5; −0.25; held


@pytest.mark.parametrize("as_array", [np.array, lambda x: torch.tensor(x, dtype=torch.float64)],
                         ids=["numpy", "torch"])
def test_the_close_action_adds_to_every_hand_joint_by_hand(as_array):
    """One arm action, two hand joints, the close action last: it is added to each hand joint's
    action, every action and every sum clipped to [-1, 1]; the arm's action is untouched."""
    actions = as_array([[0.5, 0.0, 0.25, 1.0],     # close: both hand joints +1 and +1 (clipped)
                        [2.0, -0.5, 0.5, -0.25],   # arm clipped to 1; −0.75 and 0.25
                        [0.0, -3.0, 0.0, 5.0]])    # each clipped first: −1 + 1 = 0, 0 + 1 = 1
    folded = fold_close_action(actions, slice(1, 3))
    assert type(folded) is type(actions)
    assert folded.tolist() == [[0.5, 1.0, 1.0], [1.0, -0.75, 0.25], [0.0, 0.0, 1.0]]
    assert actions.shape == (3, 4)  # a new array


@pytest.mark.parametrize("arm_action", ["joint_delta", "wrist_delta"])
def test_the_close_action_closes_every_finger_together(arm_action):
    """robot.hand_close_action: one more action; at +1 (the hand's own actions 0) every hand
    target moves hand_delta_speed / control_hz towards its upper limit, the arm's stay; the law
    gives numpy and torch the same; the inverse law adds a 0 close action."""
    from trackbench.harness.control import ControlLaw
    from trackbench.harness.replay import ActionInverse

    robot = make_robot(REGISTRY, "allegro", {"arm_action": arm_action, "hand_action": "delta",
                                             "hand_close_action": True})
    spec = robot.spec
    assert spec.num_actions == spec.num_arm_actions + len(spec.hand_joints) + 1
    engine = make_engine(REGISTRY, "mujoco", robot, table_with_box(), 2, 0)
    law = ControlLaw(robot, engine.spec)
    joints = spec.arm_joints + spec.hand_joints
    previous = np.tile([j.default for j in joints], (2, 1))
    actions = np.zeros((2, spec.num_actions))
    actions[:, -1] = [1.0, -1.0]
    targets = law(previous, actions)
    step = spec.hand_step(engine.spec.control_hz)
    lower = np.array([j.lower for j in spec.hand_joints])
    upper = np.array([j.upper for j in spec.hand_joints])
    assert np.allclose(targets[:, :7], previous[:, :7], atol=1e-12)
    assert np.allclose(targets[0, 7:], np.minimum(previous[0, 7:] + step, upper))
    assert np.allclose(targets[1, 7:], np.maximum(previous[1, 7:] - step, lower))
    assert np.array_equal(law(torch.as_tensor(previous), torch.as_tensor(actions)).numpy(), targets)
    inverse = ActionInverse(engine)
    desired = previous.copy()
    desired[:, 7:] += 0.05
    undone = inverse(previous, desired)
    assert undone.shape == (2, spec.num_actions) and (undone[:, -1] == 0).all()
    assert np.allclose(law(previous, undone), desired, atol=1e-9)


def test_the_close_action_needs_delta_hands():
    with pytest.raises(TrackbenchError, match="hand_close_action adds to the hand.s delta actions") \
            as refused:
        make_robot(REGISTRY, "allegro", {"hand_close_action": True})
    assert "Value error" not in str(refused.value)  # the reason, not pydantic's label


@pytest.mark.parametrize("arm_action", ["joint_delta", "wrist_delta"])
def test_the_inverse_control_law_round_trips_delta_hands(arm_action):
    """replay.ActionInverse (demonstrations, grasped starts) inverts the law for delta hands."""
    from trackbench.harness.control import ControlLaw
    from trackbench.harness.replay import ActionInverse

    robot = make_robot(REGISTRY, "allegro", {"arm_action": arm_action, "hand_action": "delta"})
    engine = make_engine(REGISTRY, "mujoco", robot, table_with_box(), 2, 0)
    law, inverse = ControlLaw(robot, engine.spec), ActionInverse(engine)
    joints = robot.spec.arm_joints + robot.spec.hand_joints
    previous = np.tile([j.default for j in joints], (2, 1))
    desired = previous.copy()
    desired[:, 7:] += 0.05  # within one step of 2 rad/s at 20 Hz (0.1 rad)
    targets = law(previous, inverse(previous, desired))
    assert np.allclose(targets, desired, atol=1e-9)


@pytest.mark.parametrize("as_array", [np.array, torch.tensor], ids=["numpy", "torch"])
def test_unstable_envs_by_hand(as_array):
    nan = float("nan")
    finite = as_array([True, False, True, True, True, True])
    velocity = as_array([[1.0, -199.0],   # slow: fine
                         [nan, 0.0],      # non-finite (reported by the engine)
                         [0.0, -201.0],   # too fast backwards
                         [200.0, 0.0],    # at the limit: fine, only faster counts
                         [0.0, 0.0],      # restarted by the simulator
                         [nan, 0.0]])     # a NaN velocity alone is not "fast"
    restarted = as_array([False, False, False, False, True, False])
    unstable = unstable_envs(finite, velocity, restarted, max_joint_speed=200.0)
    assert unstable.tolist() == [False, True, True, False, True, False]
    overflowed = as_array([True, False, False, False, False, False])  # a full contact buffer
    unstable = unstable_envs(finite, velocity, restarted, 200.0, overflowed=overflowed)
    assert unstable.tolist() == [True, True, True, False, True, False]


@pytest.mark.parametrize("arm_action", ["joint_delta", "wrist_delta"])
def test_the_control_law_gives_numpy_and_torch_the_same_targets(arm_action):
    """A GPU engine hands the law torch tensors: the same float64 values come back, as a tensor
    on the targets' device (joint deltas computed there; wrist deltas by the CPU Jacobians)."""
    from trackbench.harness.control import ControlLaw

    robot = make_robot(REGISTRY, "allegro", {"arm_action": arm_action})
    engine = make_engine(REGISTRY, "mujoco", robot, table_with_box(), 1, 0)
    law = ControlLaw(robot, engine.spec)
    joints = robot.spec.arm_joints + robot.spec.hand_joints
    previous = np.tile([j.default for j in joints], (3, 1))
    actions = torch.linspace(-1.5, 1.5, 3 * robot.spec.num_actions).reshape(3, -1)
    expected = law(previous, actions)
    targets = law(torch.as_tensor(previous), actions)
    assert isinstance(targets, torch.Tensor) and targets.dtype == torch.float64
    assert np.array_equal(targets.numpy(), expected)



def test_wrist_delta_targets_by_hand():
    """With J = I (six arm joints, each moving one wrist coordinate) damped least squares gives
    Δq = Δx / (1 + λ²); the hand maps as in the joint-delta law; arm targets are clamped."""
    jacobian = np.tile(np.eye(6), (2, 1, 1))
    lower, upper = np.array([-1.0] * 6 + [-0.5]), np.array([1.0] * 6 + [1.5])
    previous = np.zeros((2, 7))
    previous[1, 0] = 0.99
    actions = np.array([[1.0, -0.5, 0, 0, 0, 2.0, 0.0],  # last arm action clipped to 1
                        [1.0, 0, 0, 0, 0, 0, -1.0]])
    targets = wrist_delta_targets(previous, actions, lower, upper, jacobian, linear_step=0.04,
                                  angular_step=0.1, damping=0.5)
    shrink = 1 / 1.25
    assert np.allclose(targets[0], [0.04 * shrink, -0.02 * shrink, 0, 0, 0, 0.1 * shrink, 0.5])
    assert targets[1, 0] == 1.0 and targets[1, 6] == -0.5  # clamped at the limit; hand lower
    assert previous[1, 0] == 0.99  # a new array


@pytest.mark.parametrize("robot", REGISTRY.names("robots"))
def test_wrist_delta_moves_the_wrist_in_a_straight_line(robot):
    """Every registered robot under wrist_delta: 6 arm actions; holding +z for one second moves
    the commanded wrist 0.1 m straight up (wrist_linear_speed) without turning it, holding the
    yaw action turns it 0.5 rad (wrist_angular_speed), and the physical wrist follows."""
    engine = make_engine(REGISTRY, "mujoco", make_robot(REGISTRY, robot, {"arm_action": "wrist_delta"}),
                         table_with_box(), 2, 0)
    spec = engine.robot.spec
    assert engine.num_actions == 6 + len(spec.hand_joints)
    kinematics = ArmKinematics(engine.robot)
    n_arm = len(spec.arm_joints)
    start = engine.state
    pos0, rot0 = kinematics.wrist_pose(start.joint_target[:, :n_arm].double().numpy())
    actions = torch.zeros(2, engine.num_actions)
    actions[0, 2] = 1.0  # up
    actions[1, 5] = 1.0  # turn about the world z axis
    for _ in range(int(engine.spec.control_hz)):
        state = engine.step(actions)
    pos, rot = kinematics.wrist_pose(state.joint_target[:, :n_arm].double().numpy())
    turned = [np.degrees(np.arccos(np.clip((np.trace(r @ r0.T) - 1) / 2, -1, 1)))
              for r, r0 in zip(rot, rot0)]
    assert abs(pos[0, 2] - pos0[0, 2] - 0.1) < 0.012 and np.abs(pos[0, :2] - pos0[0, :2]).max() < 0.005
    assert turned[0] < 2.0 and abs(turned[1] - np.degrees(0.5)) < 1.0
    assert np.abs(pos[1] - pos0[1]).max() < 0.005
    assert float(state.wrist_pos[0, 2] - start.wrist_pos[0, 2]) > 0.07


def test_joint_delta_and_absolute_hands_are_the_paper_default():
    spec = make_robot(REGISTRY, "allegro").spec
    assert spec.arm_action == "joint_delta" and spec.num_actions == spec.num_dof
    assert spec.hand_action == "absolute"
