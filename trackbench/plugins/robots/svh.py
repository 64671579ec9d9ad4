"""Schunk SVH (20 joints driven independently, right) on an xArm7.

Built from the dex-urdf right-hand joint table (``schunk_svh_hand_right.urdf``): every link is a
body ``svh/<link name>`` and every revolute joint a hinge ``svh/<urdf joint name>`` with the
published origin, axis and range. As in the authors' code (27-D actions), the 9 driver channels and
the 11 URDF ``mimic`` joints are all driven independently: there are no couplings. Geometry is
primitives only (the dex-urdf palm cylinder and boxes, capsules along the phalanges, fingertip
spheres). Keypoints are the distal body origins ``right_hand_c/t/s/r/q`` as in the authors' code;
the tip points (thtip, fftip, …) get sites too, for reference only.

Mount: ``svh/base_link`` is a child of the flange (link7) at pos (0, 0, 0.0315), quat (0, 0, 0, 1)
(π about the flange z): fingers along the flange's +z, base_link x = −flange x, y = −flange y.
0.0315 m is the depth of the dex-urdf base cylinder below base_link (centre −0.009, half-length
0.0225), so the hand's base sits on the flange face. The yaw π makes the palm (base_link +x, the
side the fingers curl to) face the object spawn point from the v16 arm pose (cos 0.83; identity
would face it away, cos −0.83). The authors' xarm7_svh_vertical mount is not public.
"""

from __future__ import annotations

import mujoco

from trackbench.api import (
    ROBOT_CONAFFINITY, ROBOT_CONTYPE, JointSpec, KeypointSpec, RobotSpec, XArm7MountedHand,
    add_box, add_capsule, add_hinge, add_link, add_sphere, rpy_to_quat, xarm7_joints,
)

PREFIX = "svh/"
URDF_PREFIX = "right_hand_"
MOUNT_POS, MOUNT_QUAT = (0.0, 0.0, 0.0315), (0.0, 0.0, 0.0, 1.0)
# Small rotor inertia on every hand hinge (kg·m²). The distal links weigh 20 g, so their inertia
# about the joint is ~2e-6 kg·m²; with kp 40 the PD loop's natural frequency would be ~4500 rad/s,
# far beyond what a 1/240 s step integrates (ωdt ≈ 19), and a saturated 0.35 N·m torque would add
# ~700 rad/s per step: without armature random targets blow up (qvel ~1e7). 1e-3 (the order of a
# geared finger drive's reflected inertia) gives ωdt ≈ 0.8.
HAND_ARMATURE = 1e-3

# Hand joints in action order, per finger from the palm out: thumb, index, middle, then the palm
# joint j5 (it carries ring and little), ring, little. (URDF name without "right_hand_", upper
# limit); every lower limit is 0. This is also the MuJoCo tree order built below.
HAND_RANGES = (
    ("Thumb_Opposition", 0.9879), ("Thumb_Flexion", 0.9704), ("j3", 0.98506), ("j4", 1.406),
    ("index_spread", 0.28833), ("Index_Finger_Proximal", 0.79849),
    ("Index_Finger_Distal", 1.334), ("j14", 1.394),
    ("Middle_Finger_Proximal", 0.79849), ("Middle_Finger_Distal", 1.334), ("j15", 1.334),
    ("j5", 0.98786), ("ring_spread", 0.28833), ("Ring_Finger", 0.98175), ("j12", 1.334),
    ("j16", 1.395),
    ("Finger_Spread", 0.5829), ("Pinky", 0.98175), ("j13", 1.334), ("j17", 1.3971),
)

# dex-urdf tree, parents before children, in depth-first order:
# (link, parent link, joint (None = fixed), origin xyz, origin rpy). Axes are local +z, except
# Thumb_Opposition's −z. Link and joint names drop the "right_hand_" prefix here; ROOT is the
# URDF's own "base_link" (body svh/base_link, the mount).
ROOT = None
SVH_TREE = (
    ("base_link", ROOT, None, (0, 0, 0), (0, 0, -1.57079)),  # fixed root_joint
    ("e1", "base_link", None, (0, -0.01313, 0), (0, 0, 0)),  # fixed joint f4
    ("z", "e1", "Thumb_Opposition", (-0.0169, 0.02626, 0), (0, 0.2618, 1.571)),
    ("a", "z", "Thumb_Flexion", (0, 0, 0.04596), (1.57079, -0.6004, 1.57079)),
    ("b", "a", "j3", (0.0485, 0, 0), (0, 0, 0)),
    ("c", "b", "j4", (0.030, 0, 0), (0, 0, 0)),
    ("virtual_l", "e1", "index_spread", (-0.025, 0, 0.110), (0, -1.5707, 1.5707)),
    ("l", "virtual_l", "Index_Finger_Proximal", (0, 0, 0), (-1.5707, 0, 0)),
    ("p", "l", "Index_Finger_Distal", (0.04804, 0, 0), (0, 0, 0)),
    ("t", "p", "j14", (0.026, 0, 0), (0, 0, 0)),
    ("virtual_k", "e1", None, (0, 0, 0.110), (0, -1.5707, 1.5707)),  # middle_spread_dummy
    ("k", "virtual_k", "Middle_Finger_Proximal", (0, 0, 0), (-1.5707, 0, 0)),
    ("o", "k", "Middle_Finger_Distal", (0.05004, 0, 0), (0, 0, 0)),
    ("s", "o", "j15", (0.032, 0, 0), (0, 0, 0)),
    ("e2", "e1", "j5", (0.0184, 0.006, 0.0375), (0, 0, 0)),
    ("virtual_j", "e2", "ring_spread", (0.003855, -0.006, 0.0655), (-1.5707, -1.5707, 0)),
    ("j", "virtual_j", "Ring_Finger", (0, 0, 0), (1.5707, 0, 0)),
    ("n", "j", "j12", (0.05004, 0, 0), (0, 0, 0)),
    ("r", "n", "j16", (0.032, 0, 0), (0, 0, 0)),
    ("virtual_i", "e2", "Finger_Spread", (0.025355, -0.006, 0.056), (-1.5707, -1.5707, 0)),
    ("i", "virtual_i", "Pinky", (0, 0, 0), (1.5707, 0, 0)),
    ("m", "i", "j13", (0.04454, 0, 0), (0, 0, 0)),
    ("q", "m", "j17", (0.022, 0, 0), (0, 0, 0)),
)
NEGATIVE_AXIS = {"Thumb_Opposition"}

# Phalanges: link → (length to the next joint or tip point along local x, capsule radius, kg).
# Distal masses 20 g / 24 g follow the dex-urdf inertials; the rest are estimates that bring the
# hand to ~1.30 kg (palm 0.70, thumb 0.15, index/middle/ring 0.114 each, little 0.105).
PHALANGES = {
    "a": (0.0485, 0.010, 0.05), "b": (0.030, 0.010, 0.03),
    "l": (0.04804, 0.010, 0.05), "p": (0.026, 0.009, 0.024),
    "k": (0.05004, 0.010, 0.05), "o": (0.032, 0.009, 0.024),
    "j": (0.05004, 0.010, 0.05), "n": (0.032, 0.009, 0.024),
    "i": (0.04454, 0.010, 0.045), "m": (0.022, 0.009, 0.02),
}
# Distal links: (tip point along local x, keypoint site, tip site). 20 g each.
DISTALS = {
    "c": (0.0275, "kp_thumb", "thtip"), "t": (0.014, "kp_index", "fftip"),
    "s": (0.014, "kp_middle", "mftip"), "r": (0.014, "kp_ring", "rftip"),
    "q": (0.014, "kp_little", "lftip"),
}
DISTAL_MASS, TIP_RADIUS = 0.02, 0.01
# Palm and finger-base primitives from the dex-urdf collision list: link → [(pos, half sizes, kg)];
# a 1-element size is a sphere radius.
PALM_BOXES = {
    "e1": [((0, 0.01313, 0.013), (0.025, 0.025, 0.013), 0.084),
           ((-0.00573, 0.0035, 0.05747), (0.0292, 0.019, 0.03205), 0.186),
           ((-0.01, 0.0035, 0.096), (0.021, 0.019, 0.0075), 0.03)],
    "e2": [((0.016, 0, 0.02), (0.0123, 0.0175, 0.0282), 0.08),
           ((0.0032, -0.0083, 0.048), (0.006, 0.009, 0.0105), 0.02)],
    "z": [((0, 0, 0.02842), (0.012, 0.0094, 0.004), 0.02),
          ((0.0125, 0, 0.04292), (0.003, 0.012, 0.0165), 0.015),
          ((-0.0125, 0, 0.04292), (0.003, 0.012, 0.0165), 0.015)],
    "virtual_l": [((0, 0, 0.00121), (0.012,), 0.02)],
    "virtual_k": [((0, 0, 0.00321), (0.010,), 0.02)],
    "virtual_j": [((0, 0, -0.00321), (0.010,), 0.02)],
    "virtual_i": [((0, 0, -0.00321), (0.010,), 0.02)],
}
BASE_CYLINDER = ((0, 0, -0.009), 0.045, 0.0225, 0.30)  # pos, radius, half-length, kg
GREY, DARK = (0.75, 0.75, 0.78, 1.0), (0.2, 0.2, 0.22, 1.0)


def svh_joints() -> tuple[JointSpec, ...]:
    return tuple(
        JointSpec(name=PREFIX + URDF_PREFIX + name, lower=0.0, upper=upper)
        for name, upper in HAND_RANGES
    )


class SchunkSVH(XArm7MountedHand):
    """Schunk SVH (20 joints driven independently, right) on an xArm7.

    Built from the dex-urdf right-hand joint table; the 20 joints are driven independently as in
    the authors' code (no mimic couplings); primitives only; mount: base_link at flange
    (0, 0, 0.0315), rotated π about the flange z (fingers along its +z, palm towards the object
    at v16); keypoints = distal body origins right_hand_c/t/s/r/q as in the authors' code.
    Hand joint order: see ``HAND_RANGES``.
    """

    name = "svh"

    class Spec(RobotSpec):
        arm_joints: tuple[JointSpec, ...] = xarm7_joints()
        hand_armature: float = HAND_ARMATURE
        hand_joints: tuple[JointSpec, ...] = svh_joints()
        hand_kp: float = 40.0
        hand_kd: float = 5.0
        hand_effort: float = 0.35
        arm_speed_scale: float = 1.0
        keypoints: tuple[KeypointSpec, ...] = tuple(
            KeypointSpec(site=PREFIX + site, human_index=index)
            for site, index in (("kp_thumb", 4), ("kp_index", 8), ("kp_middle", 12),
                                ("kp_ring", 16), ("kp_little", 20))
        )
        wrist_site: str = "wrist"

    def build_hand(self, flange: mujoco.MjsBody) -> None:
        limits = {joint.name: joint for joint in self.spec.hand_joints}
        bodies = {ROOT: add_link(flange, PREFIX + "base_link", MOUNT_POS, MOUNT_QUAT)}
        for link, parent, joint, xyz, rpy in SVH_TREE:
            body = add_link(bodies[parent], PREFIX + URDF_PREFIX + link, xyz, rpy_to_quat(*rpy))
            bodies[link] = body
            if joint is not None:
                spec = limits[PREFIX + URDF_PREFIX + joint]
                axis = (0, 0, -1) if joint in NEGATIVE_AXIS else (0, 0, 1)
                add_hinge(body, spec.name, axis, spec.lower, spec.upper, armature=self.spec.hand_armature)
            _add_geometry(body, link)


def _add_geometry(body: mujoco.MjsBody, link: str) -> None:
    if link == "base_link":
        pos, radius, half_length, mass = BASE_CYLINDER
        body.add_geom(type=mujoco.mjtGeom.mjGEOM_CYLINDER, pos=list(pos),
                      size=[radius, half_length, 0], mass=mass, rgba=list(DARK),
                      contype=ROBOT_CONTYPE, conaffinity=ROBOT_CONAFFINITY)
    for pos, size, mass in PALM_BOXES.get(link, ()):
        if len(size) == 1:
            add_sphere(body, pos, size[0], mass, rgba=DARK)
        else:
            add_box(body, pos, size, mass, rgba=GREY)
    if link in PHALANGES:
        length, radius, mass = PHALANGES[link]
        add_capsule(body, (0, 0, 0), (length, 0, 0), radius, mass, rgba=GREY)
    if link in DISTALS:
        tip, keypoint, tip_site = DISTALS[link]
        pad = (tip - TIP_RADIUS, 0, 0)  # the sphere's surface reaches the tip point
        add_capsule(body, (0, 0, 0), pad, 0.009, DISTAL_MASS / 2, rgba=GREY)
        add_sphere(body, pad, TIP_RADIUS, DISTAL_MASS / 2, rgba=DARK)
        body.add_site(name=PREFIX + keypoint, pos=[0, 0, 0], size=[0.006, 0, 0])
        body.add_site(name=PREFIX + tip_site, pos=[tip, 0, 0], size=[0.004, 0, 0])

