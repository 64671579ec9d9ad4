"""Retargeting (harness/retarget.py): mink IK on every registered robot's own model."""

from __future__ import annotations

import numpy as np
import pytest

from trackbench.harness.build import make_robot
from trackbench.harness.errors import TrackbenchError
from trackbench.harness.plugins import load_registry
from trackbench.harness.retarget import Retargeter, RetargetSettings, retarget_problems
from trackbench.plugins.datasets.synthetic import SyntheticDataset

REGISTRY = load_registry()
ROBOTS = REGISTRY.names("robots")
# Fingertip targets only: the wrist terms pull towards a human palm the test does not build.
FINGERTIPS_ONLY = RetargetSettings(wrist_orientation_cost=0.0, wrist_position_cost=0.0)


@pytest.fixture(scope="module")
def sequence():
    """One synthetic human sequence (a reach, grasp and lift)."""
    return SyntheticDataset(SyntheticDataset.Spec(num_sequences=1)).generate(0)


@pytest.mark.parametrize("name", ROBOTS)
def test_ik_reaches_a_reachable_fingertip_target_within_5_mm(name, sequence):
    robot = make_robot(REGISTRY, name)
    retargeter = Retargeter(robot, FINGERTIPS_ONLY)
    # A pose the robot can take: home, the arm moved a little, every hand joint at mid-range.
    rng = np.random.default_rng(0)
    goal = retargeter.default.copy()
    n_arm = len(robot.spec.arm_joints)
    goal[:n_arm] += rng.uniform(-0.15, 0.15, n_arm)
    goal[n_arm:] = 0.5 * (retargeter.lower[n_arm:] + retargeter.upper[n_arm:])
    goal = np.clip(goal, retargeter.lower, retargeter.upper)
    keypoints = sequence.keypoints[:1].astype(np.float64).copy()  # a human frame: a valid palm
    keypoints[0, retargeter.human_index] = retargeter.fingertip_positions(goal)

    result = retargeter.retarget(keypoints)

    assert result.fingertip_error.max() < 0.005, result.fingertip_error
    assert result.limit_violations == 0


@pytest.mark.parametrize("name", ROBOTS)
def test_a_human_sequence_retargets_within_the_joint_limits(name, sequence):
    robot = make_robot(REGISTRY, name)
    retargeter = Retargeter(robot)

    result = retargeter.retarget(sequence.keypoints)

    assert result.qpos.shape == (sequence.num_frames, robot.spec.num_dof)
    assert result.limit_violations == 0
    assert (result.qpos >= retargeter.lower).all() and (result.qpos <= retargeter.upper).all()
    # The hand follows the human's fingertips (measured: ~0.5 cm mean on the synthetic set).
    assert np.median(result.fingertip_error) < 0.02, np.median(result.fingertip_error)
    # Warm-started and damped: no frame flips a joint to another branch (π). Passing near the
    # xArm's wrist singularity (joint 5 at 0) turns joint 5 up to 0.7 rad in one frame (xhand).
    assert np.abs(np.diff(result.qpos, axis=0)).max() < 1.0


def test_a_robot_that_cannot_cover_the_human_fingertips_is_refused():
    allegro = make_robot(REGISTRY, "allegro")
    two_fingers = allegro.spec.model_copy(update={"keypoints": allegro.spec.keypoints[:2],
                                                  "synthetic_keypoints": ()})
    assert retarget_problems(two_fingers) and "[12, 16, 20]" in retarget_problems(two_fingers)[0]
    with pytest.raises(TrackbenchError, match="cannot cover the human fingertips"):
        Retargeter(type(allegro)(two_fingers))


def test_keypoints_of_the_wrong_shape_are_refused():
    retargeter = Retargeter(make_robot(REGISTRY, "allegro"))
    with pytest.raises(TrackbenchError, match=r"\[T, 21, 3\]"):
        retargeter.retarget(np.zeros((4, 20, 3)))
