"""UFactory xArm7, written from the xarm_ros URDF table, and the base class of hands mounted on it.

Collision geometry is capsules along the links (no meshes: nothing is downloaded). Inertias come
from the capsules with the published link masses. The flange frame is link7's origin, z out of the
flange; hands mount there.
"""

from __future__ import annotations

import math
from abc import abstractmethod

import mujoco

from trackbench.harness.robot import JointSpec, Robot
from trackbench.kit.mjcf import add_capsule, add_hinge, add_link, rpy_to_quat

TWO_PI = 2 * math.pi

# name, origin xyz from parent, origin rpy, lower, upper, link mass (kg)  — xarm_ros xarm7 table.
XARM7_TABLE = (
    ("joint1", (0, 0, 0.267), (0, 0, 0), -TWO_PI, TWO_PI, 2.382),
    ("joint2", (0, 0, 0), (-math.pi / 2, 0, 0), -2.059, 2.0944, 1.869),
    ("joint3", (0, -0.293, 0), (math.pi / 2, 0, 0), -TWO_PI, TWO_PI, 1.6383),
    ("joint4", (0.0525, 0, 0), (math.pi / 2, 0, 0), -0.19198, 3.927, 1.7269),
    ("joint5", (0.0775, -0.3425, 0), (math.pi / 2, 0, 0), -TWO_PI, TWO_PI, 1.3203),
    ("joint6", (0, 0, 0), (math.pi / 2, 0, 0), -1.69297, math.pi, 1.325),
    ("joint7", (0.076, 0.097, 0), (-math.pi / 2, 0, 0), -TWO_PI, TWO_PI, 0.17),
)
ARM_PREFIX = "xarm7/"
WRIST_SITE = "wrist"
ARM_RADIUS = 0.045
# The released code's initial arm pose for Allegro and SVH ("v16").
ARM_HOME_V16 = (-0.79, -0.30, 0.16, 0.43, 2.20, 0.72, -1.67)


def xarm7_joints(default_pose=ARM_HOME_V16) -> tuple[JointSpec, ...]:
    return tuple(
        JointSpec(name=ARM_PREFIX + row[0], lower=row[3], upper=row[4], default=q)
        for row, q in zip(XARM7_TABLE, default_pose)
    )


class XArm7MountedHand(Robot):
    """Base of every hand mounted on the xArm7 flange. Subclasses implement :meth:`build_hand`."""

    @abstractmethod
    def build_hand(self, flange: mujoco.MjsBody) -> None:
        """Add the hand's bodies, joints (named as in ``spec.hand_joints``), geoms and keypoint
        sites under ``flange`` (link7's frame: origin at the flange, z pointing out of it)."""

    def build(self) -> mujoco.MjSpec:
        spec = self.spec
        model = mujoco.MjSpec()
        model.modelname = self.name
        model.compiler.degree = False  # every angle here is in radians, as in the URDF tables
        yaw = rpy_to_quat(0.0, 0.0, spec.base_yaw)
        parent = add_link(model.worldbody, ARM_PREFIX + "link_base", spec.base_pos, yaw)
        add_capsule(parent, (0, 0, 0.03), (0, 0, 0.2), 0.06, 0.88556)
        for index, (joint, xyz, rpy, _, _, mass) in enumerate(XARM7_TABLE):
            link = add_link(parent, f"{ARM_PREFIX}link{index + 1}", xyz, rpy_to_quat(*rpy))
            limits = spec.arm_joints[index]
            add_hinge(link, limits.name, (0, 0, 1), limits.lower, limits.upper, armature=0.1)
            child = XARM7_TABLE[index + 1][1] if index + 1 < len(XARM7_TABLE) else (0, 0, 0)
            add_capsule(link, (0, 0, 0), child, ARM_RADIUS, mass, rgba=(0.85, 0.85, 0.85, 1))
            parent = link
        parent.add_site(name=WRIST_SITE, size=[0.01, 0, 0])
        self.build_hand(parent)
        add_position_actuators(model, spec)
        return model


def add_position_actuators(model: mujoco.MjSpec, spec) -> None:
    """One PD position servo per joint, in action order: force = kp(target − q) − kd·q̇, clamped."""
    groups = ((spec.arm_joints, spec.arm_kp, spec.arm_kd, spec.arm_effort),
              (spec.hand_joints, spec.hand_kp, spec.hand_kd, spec.hand_effort))
    for joints, kp, kd, effort in groups:
        for joint in joints:
            model.add_actuator(
                name=joint.name,
                target=joint.name,
                trntype=mujoco.mjtTrn.mjTRN_JOINT,
                gaintype=mujoco.mjtGain.mjGAIN_FIXED,
                gainprm=[kp] + [0] * 9,
                biastype=mujoco.mjtBias.mjBIAS_AFFINE,
                biasprm=[0, -kp, -kd] + [0] * 7,
                ctrlrange=[joint.lower, joint.upper],
                ctrllimited=mujoco.mjtLimited.mjLIMITED_TRUE,
                forcerange=[-effort, effort],
                forcelimited=mujoco.mjtLimited.mjLIMITED_TRUE,
            )
