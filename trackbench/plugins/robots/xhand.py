"""Robotera XHAND1 (12 DoF, right) on an xArm7.

No official Robotera description is public. This model is built from third-party copy (i) of the
kinematics (an MJCF embedded in a Python hand-model class,
``docs/reference/human-data-and-kinematics.md`` §C.3): every joint origin, rotation and axis is
copy (i)'s, and so are the limits. The two copies disagree on the thumb (copy (ii),
Yuan-Xinyi/xhand "xhand2R32", gives thumb_rota_joint1 −1.05 … 1.57 and thumb_rota_joint2
−0.175 … 1.83); copy (i)'s −0.698 … 1.745 and 0 … 1.745 are used. Collision geometry is primitives
only: a palm box (the §C.3 size estimate; the palm mass is unknown, 0.3 kg is assumed), capsules
along the phalanges and fingertip spheres (r 0.009, thumb 0.01) ending flush with the tip frames,
carrying copy (i)'s link masses.

Mount: ``xhand/right_hand_link`` sits at flange + (0, 0, 0.025) in link7's frame with rotation
rpy (π, 0, −π/2), i.e. quat (0, √½, −√½, 0) = Rz(−π/2)·Rx(π). Rx(π) turns the fingers (−z of
right_hand_link) to the flange's +z; the yaw −π/2 then reproduces the only published xArm7–XHand
mount (Yuan-Xinyi/xhand ``hand_mount``: xyz (0, 0, 0.025), rpy (0, 0, 4.71239) on the y/z-flipped
copy (ii) palm frame, which is (i)'s palm frame turned by Rx(π)). In the flange frame the thumb
side (+x of right_hand_link) is −y and the palm normal (+y, where the fingers curl) is −x. At the
init pose v21 (base at (0.30, 0.45, 0), as in the authors' XHand config) the fingers point along
world (−0.42, −0.68, −0.60), towards the object spawn, and the palm faces (0.89, −0.18, −0.42).

Keypoints, thumb first, are the five ``*_tip`` frames (``right_hand_thumb_rota_tip``,
``right_hand_index_rota_tip``, ``right_hand_mid_tip``, ``right_hand_ring_tip``,
``right_hand_pinky_tip``) with no offset, as in the authors' code (``thumbFirst``,
``useAllegroTips`` True); the hand has all five fingers, so nothing is synthesised.
"""

from __future__ import annotations

import math

import mujoco
import numpy as np

from trackbench.api import (
    WRIST_SITE, JointSpec, KeypointSpec, RobotSpec, XArm7MountedHand, add_box, add_capsule,
    add_hinge, add_link, add_sphere, rpy_to_quat, xarm7_joints,
)

PREFIX = "xhand/"
LINK = "right_hand_"
PALM = "link"  # body xhand/right_hand_link
MOUNT_POS = (0.0, 0.0, 0.025)
MOUNT_QUAT = rpy_to_quat(math.pi, 0.0, -math.pi / 2)  # (0, √½, −√½, 0); see module docstring
ARM_HOME_V21 = (-0.2, -0.70, 0.0, 0.10, 1.25, -0.30, 0.0)  # released code's XHand init pose

_I = (1.0, 0.0, 0.0, 0.0)
_X, _Y, _Z, _NEG_Y = (1, 0, 0), (0, 1, 0), (0, 0, 1), (0, -1, 0)
_PHALANX, _DISTAL = (0, 0, -0.0558), (0, 0, -0.0422483)

# Copy (i), SDK order: joint, parent link, child link, origin xyz from parent, origin quat
# (w x y z), axis, lower, upper, child link mass (kg). Link names carry the "right_hand_" prefix.
# Masses: the published copy-(i) values; distal links are published as 0.0159–0.0162, 0.016 used.
XHAND_TABLE = (
    ("thumb_bend_joint", PALM, "thumb_bend_link", (0.0228, 0.0095, -0.0305), _I, _Z,
     0.0, 1.832, 0.01175),
    ("thumb_rota_joint1", "thumb_bend_link", "thumb_rota_link1", (0.028599, 0.0083177, 0.00178),
     (0.99124, 0.13050, 0.00266, 0.02017), _Y, -0.698, 1.745, 0.13267),  # = rpy (0.2618, 0, 0.0407)
    ("thumb_rota_joint2", "thumb_rota_link1", "thumb_rota_link2", (0.0553, 0, 0), _I, _Y,
     0.0, 1.745, 0.04336),
    ("index_bend_joint", PALM, "index_bend_link", (0.0265, 0.0065, -0.0899), _I, _NEG_Y,
     -0.174, 0.174, 0.06911),
    ("index_joint1", "index_bend_link", "index_rota_link1", (0, 0, -0.0178), _I, _X,
     0.0, 1.919, 0.06298),
    ("index_joint2", "index_rota_link1", "index_rota_link2", _PHALANX, _I, _X, 0.0, 1.919, 0.016),
    ("mid_joint1", PALM, "mid_link1", (0.004, 0.0065, -0.1082), _I, _X, 0.0, 1.919, 0.06298),
    ("mid_joint2", "mid_link1", "mid_link2", _PHALANX, _I, _X, 0.0, 1.919, 0.016),
    ("ring_joint1", PALM, "ring_link1", (-0.016, 0.0065, -0.1052), _I, _X, 0.0, 1.919, 0.06298),
    ("ring_joint2", "ring_link1", "ring_link2", _PHALANX, _I, _X, 0.0, 1.919, 0.016),
    ("pinky_joint1", PALM, "pinky_link1", (-0.036, 0.0065, -0.1022), _I, _X, 0.0, 1.919, 0.06298),
    ("pinky_joint2", "pinky_link1", "pinky_link2", _PHALANX, _I, _X, 0.0, 1.919, 0.016),
)
# Fixed tip frames: (distal link, tip frame name, offset from the distal link origin, keypoint
# site suffix, MANO index it plays). Thumb first, as the authors' keypoint list.
TIPS = (
    ("thumb_rota_link2", "thumb_rota_tip", (0.0502276, 0, 0), "thumb", 4),
    ("index_rota_link2", "index_rota_tip", _DISTAL, "index", 8),
    ("mid_link2", "mid_tip", _DISTAL, "middle", 12),
    ("ring_link2", "ring_tip", _DISTAL, "ring", 16),
    ("pinky_link2", "pinky_tip", _DISTAL, "little", 20),
)
# Palm box from the §C.3 estimate (0.09 × 0.033 × 0.11 m, centred near (−0.005, 0, −0.055)).
PALM_MASS, PALM_HALF, PALM_POS = 0.3, (0.045, 0.0165, 0.055), (-0.005, 0.0, -0.055)
LINK_RADIUS, THUMB_RADIUS, TIP_MASS = 0.009, 0.01, 0.004  # tip sphere radius = link radius
# Finger links weigh 12–130 g, so their inertias about the joints are ~1e-5–1e-4 kg·m². With kp 40
# the unarmatured distal joints have a natural frequency of ~1.6 krad/s, far above 1/dt = 240 Hz,
# and an effort-saturated (0.35 N·m) step changes a distal velocity by ~100 rad/s: with random
# hand targets they chatter at ~300 rad/s through their limits, and with random arm targets the
# model diverges. A rotor-like armature of 0.002 kg·m² (each real joint is a geared motor) keeps
# every joint resolved at dt = 1/240 s (≤ 12 rad/s, limits held) while the overdamped PD response
# (time constant kd/kp = 0.125 s) is unchanged. Same value as the Allegro model.
HAND_ARMATURE = 0.002


def xhand_joints() -> tuple[JointSpec, ...]:
    return tuple(
        JointSpec(name=f"{PREFIX}{LINK}{row[0]}", lower=row[6], upper=row[7],
                  default=min(max(0.0, row[6]), row[7]))
        for row in XHAND_TABLE
    )


def xhand_keypoints() -> tuple[KeypointSpec, ...]:
    return tuple(KeypointSpec(site=f"{PREFIX}kp_{tip[3]}", human_index=tip[4]) for tip in TIPS)


class XHand(XArm7MountedHand):
    """Robotera XHAND1 (12 DoF, right) on an xArm7; see the module docstring."""

    name = "xhand"

    class Spec(RobotSpec):
        arm_joints: tuple[JointSpec, ...] = xarm7_joints(ARM_HOME_V21)
        hand_armature: float = HAND_ARMATURE
        hand_joints: tuple[JointSpec, ...] = xhand_joints()
        hand_kp: float = 40.0
        hand_kd: float = 5.0
        hand_effort: float = 0.35
        arm_speed_scale: float = 10.0  # released code: dofSpeedScale 10 for XHand (1 otherwise)
        keypoints: tuple[KeypointSpec, ...] = xhand_keypoints()
        wrist_site: str = WRIST_SITE
        # Released code: the XHand arm base sits 0.30 m further along world x than Allegro's / SVH's
        # (its table offset is (−0.30, −0.45, 0.03)), so the table is at the same world place.
        base_pos: tuple[float, float, float] = (0.30, 0.45, 0.0)

    def build_hand(self, flange: mujoco.MjsBody) -> None:
        hand_joints = self.spec.hand_joints
        if len(hand_joints) != len(XHAND_TABLE):
            raise ValueError(f"XHand has {len(XHAND_TABLE)} joints, spec lists {len(hand_joints)}")
        bodies = {PALM: add_link(flange, PREFIX + LINK + PALM, MOUNT_POS, MOUNT_QUAT)}
        add_box(bodies[PALM], PALM_POS, PALM_HALF, PALM_MASS, rgba=(0.25, 0.25, 0.25, 1))
        # Each link's capsule runs from its origin to its child's joint origin (or its tip frame).
        segment_end = {row[1]: row[3] for row in XHAND_TABLE if row[1] != PALM}
        tips = {tip[0]: tip for tip in TIPS}
        for row, joint in zip(XHAND_TABLE, hand_joints):
            _, parent, child, xyz, quat, axis, _, _, mass = row
            body = add_link(bodies[parent], PREFIX + LINK + child, xyz, quat)
            bodies[child] = body
            add_hinge(body, joint.name, axis, joint.lower, joint.upper, armature=self.spec.hand_armature)
            radius = THUMB_RADIUS if child.startswith("thumb") else LINK_RADIUS
            if child not in tips:
                add_capsule(body, (0, 0, 0), segment_end[child], radius, mass)
                continue
            _, frame, offset, keypoint, _ = tips[child]
            offset = np.asarray(offset, float)
            # The distal capsule and fingertip sphere end flush with the published tip frame.
            pad = offset - radius * offset / np.linalg.norm(offset)
            add_capsule(body, (0, 0, 0), pad, radius, mass - TIP_MASS)
            add_sphere(body, pad, radius, TIP_MASS, rgba=(0.9, 0.9, 0.9, 1),
                       name=f"{PREFIX}{frame}")
            body.add_site(name=f"{PREFIX}kp_{keypoint}", pos=offset.tolist(), size=[0.004, 0, 0],
                          rgba=[1, 0, 0, 1])
