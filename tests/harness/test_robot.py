"""The robot contract's plan-time check: the Spec against the model the robot builds."""

from __future__ import annotations

import mujoco
import pytest

from trackbench.harness.errors import TrackbenchError
from trackbench.harness.plugins import load_registry
from trackbench.harness.robot import JointSpec, KeypointSpec, Robot, RobotSpec

REGISTRY = load_registry()


@pytest.mark.parametrize("name", REGISTRY.names("robots"))
def test_every_registered_robot_passes_its_model_check(name):
    entry = REGISTRY.get("robots", name)
    assert entry.cls(entry.cls.Spec()).check_model() == []


class OneJointSpec(RobotSpec):
    arm_joints: tuple[JointSpec, ...] = (JointSpec(name="j", lower=-1.0, upper=1.0),)
    hand_joints: tuple[JointSpec, ...] = ()
    keypoints: tuple[KeypointSpec, ...] = (KeypointSpec(site="tip", human_index=4),)
    wrist_site: str = "wrist"


class OneJoint(Robot):
    """A one-joint stick whose actuators the test chooses."""

    name = "one_joint"
    Spec = OneJointSpec
    actuated: tuple[str, ...] = ()

    def build(self):
        model = mujoco.MjSpec()
        body = model.worldbody.add_body(name="stick")
        body.add_joint(name="j", type=mujoco.mjtJoint.mjJNT_HINGE, axis=[1, 0, 0])
        body.add_geom(type=mujoco.mjtGeom.mjGEOM_SPHERE, size=[0.01, 0, 0], mass=0.1)
        body.add_site(name="tip")
        body.add_site(name="wrist")
        for index, joint in enumerate(self.actuated):
            model.add_actuator(name=f"{joint}{'_extra' * index}", target=joint,
                               trntype=mujoco.mjtTrn.mjTRN_JOINT)
        return model


def stick(*actuated: str) -> OneJoint:
    robot = OneJoint(OneJointSpec())
    robot.actuated = actuated
    return robot


def test_a_correctly_actuated_model_has_no_problems():
    assert stick("j").check_model() == []


def test_a_joint_without_its_actuator_is_a_problem():
    assert stick().check_model() == ["joint 'j' has no actuator named 'j'"]


def test_actuators_beyond_one_per_joint_are_a_problem():
    assert stick("j", "j").check_model() == [
        "the model needs exactly one actuator per joint, in action order (arm then hand): "
        "1 joints, 2 actuators"]


def test_missing_sites_and_joints_are_each_named():
    spec = OneJointSpec(
        keypoints=(KeypointSpec(site="tip", human_index=4), KeypointSpec(site="nail", human_index=8)),
        wrist_site="cuff", hand_joints=(JointSpec(name="k", lower=0.0, upper=1.0),))
    robot = OneJoint(spec)
    robot.actuated = ("j",)
    assert robot.check_model() == [
        "keypoint site 'nail' (human index 8) is not in the model",
        "wrist site 'cuff' is not in the model",
        "joint 'k' is not in the model",
        "joint 'k' has no actuator named 'k'",
    ]


def test_a_build_that_raises_is_one_problem_not_a_traceback():
    class Broken(OneJoint):
        def build(self):
            raise RuntimeError("no MJCF today")

    assert Broken(OneJointSpec()).check_model() == [
        "the model does not build and compile: RuntimeError: no MJCF today"]


def test_fingertip_sources_of_a_robot_lacking_fingertips_are_a_user_error():
    spec = OneJointSpec()
    assert spec.missing_human_fingertips() == [8, 12, 16, 20]
    with pytest.raises(TrackbenchError, match=r"lacks human fingertips \[8, 12, 16, 20\]"):
        spec.human_fingertip_sources()
