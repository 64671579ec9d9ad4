"""Wonik Allegro hand v4 (16 DoF, right) on an xArm7.

Built from primitives with the published joint table (dex-urdf ``allegro_hand_right.urdf`` / the
allegro_hand_ros v4 xacro, see ``docs/reference/human-data-and-kinematics.md`` §C.2): every joint
origin (xyz and fixed-axis rpy), axis and safety-margin limit is the URDF's; collision geometry is
a palm box, capsules along the links and r 0.012 fingertip spheres carrying the published link
masses.

Mount: ``allegro/base_link`` (the palm top, where the finger bases are) sits at flange + (0, 0,
0.095) in link7's frame, turned by yaw π about the flange z: the fingers point along the flange's
+z and the palm box fills the 0.095 m between flange and finger bases. The fingers flex towards
base_link +x (flexion axes +y, so a positive angle turns +z towards +x; the thumb tip also sits
on +x), so the grasping side of the palm is base_link +x = flange −x, as for the XHand mount.
At the paper's initial arm pose ``v16`` it faces the table (world direction (0.75, 0.18, −0.64)),
and the fingers point along (−0.05, −0.94, −0.33), at the objects. (With yaw 0 the fingers
closed upwards, away from every object: a policy had to roll the wrist ~π at ≤ 0.0083 rad per
control step before it could grasp anything.)

Keypoints, thumb first, are the distal-link origins (``link_15.0``, ``link_3.0``, ``link_7.0``,
``link_11.0``) with no offset, as in the authors' code (``useAllegroTips`` False); the 4th finger
plays the human little finger and the ring tip is synthesised as mean(middle, little). Sites at
the ``_tip`` frames (0.0267 / 0.0423 further along the distal link) are the fingertip surface sites
(where a pre-grasp places the tips).
"""

from __future__ import annotations

import math

import mujoco
from pydantic import Field

from trackbench.api import (
    WRIST_SITE, JointSpec, KeypointSpec, RobotSpec, SyntheticKeypoint, XArm7MountedHand, add_box,
    add_capsule, add_hinge, add_link, add_sphere, rpy_to_quat, xarm7_joints,
)

PREFIX = "allegro/"
MOUNT_OFFSET = (0.0, 0.0, 0.095)  # flange → base_link (palm length, v4 xacro palm_link_z)
MOUNT_YAW = math.pi  # base_link about the flange z: fingers flex towards flange −x

_Y, _Z, _NEG_X = (0, 1, 0), (0, 0, 1), (-1, 0, 0)
_ABD = 0.08726646255  # 5°: index / ring base roll

# joint_<i>: origin xyz from parent, origin rpy, axis, lower, upper (URDF limits minus the 0.1
# safety margin), mass of link_<i>.0 (kg). Joints 0/4/8/12 hang off base_link, the others off the
# previous link. Masses: §C.2 (dex-urdf); note dex-urdf gives link_7.0 the thumb-distal 0.0388.
ALLEGRO_TABLE = (
    ((0, 0.0435, -0.001542), (-_ABD, 0, 0), _Z, -0.47, 0.47, 0.0119),  # index
    ((0, 0, 0.0164), (0, 0, 0), _Y, -0.196, 1.61, 0.065),
    ((0, 0, 0.054), (0, 0, 0), _Y, -0.174, 1.709, 0.0355),
    ((0, 0, 0.0384), (0, 0, 0), _Y, -0.227, 1.618, 0.0096),
    ((0, 0, 0.0007), (0, 0, 0), _Z, -0.47, 0.47, 0.0119),  # middle
    ((0, 0, 0.0164), (0, 0, 0), _Y, -0.196, 1.61, 0.065),
    ((0, 0, 0.054), (0, 0, 0), _Y, -0.174, 1.709, 0.0355),
    ((0, 0, 0.0384), (0, 0, 0), _Y, -0.227, 1.618, 0.0388),
    ((0, -0.0435, -0.001542), (_ABD, 0, 0), _Z, -0.47, 0.47, 0.0119),  # ring (4th finger)
    ((0, 0, 0.0164), (0, 0, 0), _Y, -0.196, 1.61, 0.065),
    ((0, 0, 0.054), (0, 0, 0), _Y, -0.174, 1.709, 0.0355),
    ((0, 0, 0.0384), (0, 0, 0), _Y, -0.227, 1.618, 0.0096),
    ((-0.0182, 0.019333, -0.045987), (0, -1.65806278845, -1.5707963259), _NEG_X,
     0.263, 1.396, 0.0176),  # thumb
    ((-0.027, 0.005, 0.0399), (0, 0, 0), _Z, -0.105, 1.163, 0.0119),
    ((0, 0, 0.0177), (0, 0, 0), _Y, -0.189, 1.644, 0.038),
    ((0, 0, 0.0514), (0, 0, 0), _Y, -0.162, 1.719, 0.0388),
)
# finger: (keypoint name, distal joint index, tip offset along the distal link z)
FINGERS = (
    ("thumb", 15, 0.0423), ("index", 3, 0.0267), ("middle", 7, 0.0267), ("little", 11, 0.0267)
)
HUMAN_INDEX = {"thumb": 4, "index": 8, "middle": 12, "little": 20}
PALM_MASS, PALM_HALF, PALM_POS = 0.4154, (0.0204, 0.0565, 0.0475), (-0.0093, 0.0, -0.0475)
THUMB_BASE_HALF, THUMB_BASE_POS = (0.0179, 0.017, 0.02275), (-0.0179, 0.009, 0.0145)
LINK_RADIUS, TIP_RADIUS, TIP_MASS = 0.0098, 0.012, 0.0168
# Armature: the finger links are so light (joint-space inertias 5e-6 … 1.4e-3 kg·m²) that, with
# kp 40 / kd 5 / effort 0.35 at dt 1/240 s under implicitfast, armature 0 is unstable (random
# targets reach ~600 rad/s and 0.7 rad past the limits). 2e-5 is already bounded; 0.001 (a motor
# rotor's reflected inertia, which the real geared hand has) leaves a 50x margin, keeps speeds
# below ~13 rad/s and barely changes the response, which kd/kp and the effort limit dominate.
HAND_ARMATURE = 0.001


def allegro_hand_joints() -> tuple[JointSpec, ...]:
    return tuple(
        JointSpec(name=f"{PREFIX}joint_{i}", lower=lo, upper=hi, default=min(max(0.0, lo), hi))
        for i, (_, _, _, lo, hi, _) in enumerate(ALLEGRO_TABLE)
    )


def allegro_keypoints() -> tuple[KeypointSpec, ...]:
    return tuple(
        KeypointSpec(site=f"{PREFIX}kp_{name}", human_index=HUMAN_INDEX[name],
                     surface_site=f"{PREFIX}tip_{name}")
        for name, _, _ in FINGERS
    )


class Allegro(XArm7MountedHand):
    """Wonik Allegro hand v4 (16 DoF, right) on an xArm7.

    Primitives from the published joint table, base_link at flange + (0, 0, 0.095) with yaw 0
    (yaw π: the fingers close towards flange −x), keypoints = distal-link origins as in the authors' code.
    """

    name = "allegro"

    class Spec(RobotSpec):
        arm_joints: tuple[JointSpec, ...] = Field(default_factory=xarm7_joints)
        hand_armature: float = HAND_ARMATURE
        hand_joints: tuple[JointSpec, ...] = Field(default_factory=allegro_hand_joints)
        hand_kp: float = Field(default=40.0, gt=0, description="hand PD stiffness (paper code)")
        hand_kd: float = Field(default=5.0, ge=0, description="hand PD damping (paper code)")
        hand_effort: float = Field(default=0.35, gt=0, description="hand torque limit (N·m)")
        arm_speed_scale: float = Field(default=1.0, gt=0, description="Allegro dofSpeedScale")
        keypoints: tuple[KeypointSpec, ...] = Field(default_factory=allegro_keypoints)
        synthetic_keypoints: tuple[SyntheticKeypoint, ...] = (
            SyntheticKeypoint(human_index=16, mean_of=(12, 20)),
        )
        wrist_site: str = WRIST_SITE

    def build_hand(self, flange: mujoco.MjsBody) -> None:
        joints = self.spec.hand_joints
        if len(joints) != len(ALLEGRO_TABLE):
            raise ValueError(f"Allegro has {len(ALLEGRO_TABLE)} joints, spec has {len(joints)}")
        base = add_link(flange, PREFIX + "base_link", MOUNT_OFFSET, rpy_to_quat(0, 0, MOUNT_YAW))
        add_box(base, PALM_POS, PALM_HALF, PALM_MASS, rgba=(0.2, 0.2, 0.2, 1), name=PREFIX + "palm")
        links: list[mujoco.MjsBody] = []
        for i, (xyz, rpy, axis, _, _, mass) in enumerate(ALLEGRO_TABLE):
            parent = base if i % 4 == 0 else links[-1]
            link = add_link(parent, f"{PREFIX}link_{i}.0", xyz, rpy_to_quat(*rpy))
            limits = joints[i]
            add_hinge(link, limits.name, axis, limits.lower, limits.upper, armature=self.spec.hand_armature)
            if i == 12:  # thumb base: the published box, not a capsule
                add_box(link, THUMB_BASE_POS, THUMB_BASE_HALF, mass, rgba=(0.2, 0.2, 0.2, 1))
            elif i % 4 != 3:  # capsule from this joint to the next one
                add_capsule(link, (0, 0, 0), ALLEGRO_TABLE[i + 1][0], LINK_RADIUS, mass)
            links.append(link)
        for name, distal, offset in FINGERS:
            link = links[distal]
            add_capsule(link, (0, 0, 0), (0, 0, offset), LINK_RADIUS, ALLEGRO_TABLE[distal][5])
            link.add_site(name=f"{PREFIX}kp_{name}", size=[0.006, 0, 0], rgba=[1, 0, 0, 1])
            tip = add_link(link, f"{PREFIX}link_{distal}.0_tip", (0, 0, offset))
            add_sphere(tip, (0, 0, 0), TIP_RADIUS, TIP_MASS, rgba=(0.9, 0.9, 0.9, 1))
            tip.add_site(name=f"{PREFIX}tip_{name}", size=[0.004, 0, 0], rgba=[0, 1, 0, 1])
