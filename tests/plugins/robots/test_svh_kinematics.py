"""Schunk SVH on xArm7: structure, forward kinematics against an independent numpy FK of the
dex-urdf joint table, the published zero-pose figures, keypoint mapping and PD stability."""

from __future__ import annotations

import math

import mujoco
import numpy as np
import pytest

from trackbench.plugins.robots.svh import SchunkSVH

# Published right-hand table (human-data-and-kinematics.md §C.4), typed here independently of
# svh.py. Joint → (lower, upper).
PUBLISHED_RANGES = {
    "Thumb_Flexion": (0, 0.9704), "Thumb_Opposition": (0, 0.9879),
    "Index_Finger_Distal": (0, 1.334), "Index_Finger_Proximal": (0, 0.79849),
    "Middle_Finger_Distal": (0, 1.334), "Middle_Finger_Proximal": (0, 0.79849),
    "Ring_Finger": (0, 0.98175), "Pinky": (0, 0.98175), "Finger_Spread": (0, 0.5829),
    "j5": (0, 0.98786), "j3": (0, 0.98506), "j4": (0, 1.406), "j14": (0, 1.394),
    "j15": (0, 1.334), "j12": (0, 1.334), "j16": (0, 1.395), "j13": (0, 1.334),
    "j17": (0, 1.3971), "index_spread": (0, 0.28833), "ring_spread": (0, 0.28833),
}
# Chains from base_link to each tip point: (origin xyz, origin rpy, joint or None, axis z sign).
_ROOT = [((0, 0, 0), (0, 0, -1.57079), None, 1), ((0, -0.01313, 0), (0, 0, 0), None, 1)]
_E2 = [((0.0184, 0.006, 0.0375), (0, 0, 0), "j5", 1)]
CHAINS = {
    "thtip": _ROOT + [
        ((-0.0169, 0.02626, 0), (0, 0.2618, 1.571), "Thumb_Opposition", -1),
        ((0, 0, 0.04596), (1.57079, -0.6004, 1.57079), "Thumb_Flexion", 1),
        ((0.0485, 0, 0), (0, 0, 0), "j3", 1), ((0.030, 0, 0), (0, 0, 0), "j4", 1),
        ((0.0275, 0, 0), (0, 0, 0), None, 1)],
    "fftip": _ROOT + [
        ((-0.025, 0, 0.110), (0, -1.5707, 1.5707), "index_spread", 1),
        ((0, 0, 0), (-1.5707, 0, 0), "Index_Finger_Proximal", 1),
        ((0.04804, 0, 0), (0, 0, 0), "Index_Finger_Distal", 1),
        ((0.026, 0, 0), (0, 0, 0), "j14", 1), ((0.014, 0, 0), (0, 0, 0), None, 1)],
    "mftip": _ROOT + [
        ((0, 0, 0.110), (0, -1.5707, 1.5707), None, 1),
        ((0, 0, 0), (-1.5707, 0, 0), "Middle_Finger_Proximal", 1),
        ((0.05004, 0, 0), (0, 0, 0), "Middle_Finger_Distal", 1),
        ((0.032, 0, 0), (0, 0, 0), "j15", 1), ((0.014, 0, 0), (0, 0, 0), None, 1)],
    "rftip": _ROOT + _E2 + [
        ((0.003855, -0.006, 0.0655), (-1.5707, -1.5707, 0), "ring_spread", 1),
        ((0, 0, 0), (1.5707, 0, 0), "Ring_Finger", 1),
        ((0.05004, 0, 0), (0, 0, 0), "j12", 1),
        ((0.032, 0, 0), (0, 0, 0), "j16", 1), ((0.014, 0, 0), (0, 0, 0), None, 1)],
    "lftip": _ROOT + _E2 + [
        ((0.025355, -0.006, 0.056), (-1.5707, -1.5707, 0), "Finger_Spread", 1),
        ((0, 0, 0), (1.5707, 0, 0), "Pinky", 1),
        ((0.04454, 0, 0), (0, 0, 0), "j13", 1),
        ((0.022, 0, 0), (0, 0, 0), "j17", 1), ((0.014, 0, 0), (0, 0, 0), None, 1)],
}
# Tip site → keypoint site at the distal body origin (the chain without its last fixed offset).
KEYPOINT_OF_TIP = {"thtip": "kp_thumb", "fftip": "kp_index", "mftip": "kp_middle",
                   "rftip": "kp_ring", "lftip": "kp_little"}
PUBLISHED_ZERO_FK = {"fftip": (-0.013, 0.025, 0.198), "mftip": (-0.013, 0, 0.206),
                     "rftip": (-0.013, -0.022, 0.199), "lftip": (-0.013, -0.044, 0.174),
                     "thtip": (0.041, 0.104, 0.102)}
DT, SUBSTEPS = 1 / 240, 12
# The brief asks for 2 mm; the two FKs agree to ~1e-6 m, and 0.1 mm also catches a 2 mm origin slip.
FK_TOL = 1e-4


def _rz(angle: float) -> np.ndarray:
    c, s = math.cos(angle), math.sin(angle)
    return np.array([[c, -s, 0], [s, c, 0], [0, 0, 1.0]])


def _transform(xyz, rpy, angle: float = 0.0) -> np.ndarray:
    roll, pitch, yaw = rpy
    rx = np.array([[1, 0, 0], [0, math.cos(roll), -math.sin(roll)],
                   [0, math.sin(roll), math.cos(roll)]])
    ry = np.array([[math.cos(pitch), 0, math.sin(pitch)], [0, 1, 0],
                   [-math.sin(pitch), 0, math.cos(pitch)]])
    out = np.eye(4)
    out[:3, :3] = _rz(yaw) @ ry @ rx @ _rz(angle)
    out[:3, 3] = xyz
    return out


def numpy_fk(chain, q: dict[str, float]) -> np.ndarray:
    pose = np.eye(4)
    for xyz, rpy, joint, sign in chain:
        pose = pose @ _transform(xyz, rpy, sign * q.get(joint, 0.0) if joint else 0.0)
    return pose[:3, 3]


@pytest.fixture(scope="module")
def robot() -> SchunkSVH:
    return SchunkSVH(SchunkSVH.Spec())


@pytest.fixture(scope="module")
def model(robot) -> mujoco.MjModel:
    compiled = robot.build().compile()
    compiled.opt.timestep = DT
    compiled.opt.integrator = mujoco.mjtIntegrator.mjINT_IMPLICITFAST
    return compiled


def _mujoco_in_base(model, robot, q: dict[str, float]) -> dict[str, np.ndarray]:
    data = mujoco.MjData(model)
    for joint in robot.spec.arm_joints:
        data.joint(joint.name).qpos = joint.default
    for name, value in q.items():
        data.joint("svh/right_hand_" + name).qpos = value
    mujoco.mj_kinematics(model, data)
    base = data.body("svh/base_link")
    rotation = base.xmat.reshape(3, 3)
    sites = list(CHAINS) + list(KEYPOINT_OF_TIP.values())
    return {s: rotation.T @ (data.site("svh/" + s).xpos - base.xpos) for s in sites}


def test_structure_names_and_ranges(robot, model):
    spec = robot.spec
    joints = spec.arm_joints + spec.hand_joints
    assert model.njnt == 27 and model.nu == 27 and len(spec.hand_joints) == 20
    assert all(t == mujoco.mjtJoint.mjJNT_HINGE for t in model.jnt_type)
    assert [model.joint(i).name for i in range(model.njnt)] == [j.name for j in joints]
    assert [model.actuator(i).name for i in range(model.nu)] == [j.name for j in joints]
    expected = np.array([[j.lower, j.upper] for j in joints])
    np.testing.assert_allclose(model.jnt_range, expected, atol=1e-9)  # radians, not degrees
    np.testing.assert_allclose(model.actuator_ctrlrange, expected, atol=1e-9)
    hand = {j.name.removeprefix("svh/right_hand_"): (j.lower, j.upper) for j in spec.hand_joints}
    assert hand == PUBLISHED_RANGES
    # Fixed-base links are bodies of their own, and every robot geom stays out of self-collision.
    for link in ("base_link", "right_hand_base_link", "right_hand_e1", "right_hand_c"):
        assert model.body("svh/" + link).id > 0
    assert not np.any(model.geom_contype[1:] & model.geom_conaffinity[1:])
    assert abs(model.body("svh/base_link").subtreemass[0] - 1.3) < 0.1  # SVH datasheet ~1.3 kg


@pytest.mark.parametrize("fraction", [0.0, 0.4])
def test_forward_kinematics_matches_independent_table(robot, model, fraction):
    q = {name: lo + fraction * (hi - lo) for name, (lo, hi) in PUBLISHED_RANGES.items()}
    mj = _mujoco_in_base(model, robot, q)
    for tip, chain in CHAINS.items():
        np.testing.assert_allclose(mj[tip], numpy_fk(chain, q), atol=FK_TOL, err_msg=tip)
        np.testing.assert_allclose(mj[KEYPOINT_OF_TIP[tip]], numpy_fk(chain[:-1], q),
                                   atol=FK_TOL, err_msg=KEYPOINT_OF_TIP[tip])
    if fraction:  # the pose really moved every tip (the check is not vacuous)
        zero = _mujoco_in_base(model, robot, {})
        assert all(np.linalg.norm(mj[t] - zero[t]) > 0.02 for t in CHAINS)


def test_zero_pose_matches_published_figures(robot, model):
    mj = _mujoco_in_base(model, robot, {})
    assert np.linalg.norm(mj["mftip"] - np.array([-0.013, 0.0, 0.206])) < 0.01
    for tip, published in PUBLISHED_ZERO_FK.items():
        assert np.linalg.norm(mj[tip] - np.array(published)) < 0.01, tip


def test_keypoints_are_the_distal_body_origins(robot, model):
    spec = SchunkSVH.Spec()
    assert [k.human_index for k in spec.keypoints] == [4, 8, 12, 16, 20]
    assert spec.human_fingertip_sources() == [(0,), (1,), (2,), (3,), (4,)]
    assert spec.synthetic_keypoints == () and spec.wrist_site == "wrist"
    data = mujoco.MjData(model)
    data.qpos[:] = np.random.default_rng(1).uniform(*model.jnt_range.T)
    mujoco.mj_kinematics(model, data)
    for keypoint, link in zip(spec.keypoints, "ctsrq"):
        np.testing.assert_allclose(data.site(keypoint.site).xpos,
                                   data.body("svh/right_hand_" + link).xpos, atol=1e-12)
    model.site("wrist")  # raises KeyError if absent


def _reset(model, robot) -> mujoco.MjData:
    data = mujoco.MjData(model)
    defaults = [j.default for j in robot.spec.arm_joints + robot.spec.hand_joints]
    data.qpos[:] = defaults
    data.ctrl[:] = defaults
    return data


def test_random_policy_actions_stay_finite_and_within_limits(robot, model):
    """Seeded random actions with the paper's semantics: hand targets absolute (scaled to the
    limits), arm targets as deltas of arm_speed_scale · (1/120) · a."""
    data = _reset(model, robot)
    rng = np.random.default_rng(0)
    low, high = model.actuator_ctrlrange.T
    for _ in range(200):
        action = rng.uniform(-1.0, 1.0, model.nu)
        data.ctrl[7:] = low[7:] + 0.5 * (action[7:] + 1.0) * (high[7:] - low[7:])
        step = robot.spec.arm_speed_scale / 120 * action[:7]
        data.ctrl[:7] = np.clip(data.ctrl[:7] + step, low[:7], high[:7])
        for _ in range(SUBSTEPS):
            mujoco.mj_step(model, data)
        assert np.all(np.isfinite(data.qpos)) and np.all(np.isfinite(data.qvel))
        assert np.abs(data.qvel[7:]).max() < 20.0 and np.abs(data.qvel[:7]).max() < 1.0
        assert np.all(data.qpos >= model.jnt_range[:, 0] - 0.01)
        assert np.all(data.qpos <= model.jnt_range[:, 1] + 0.01)


def test_uniform_random_ctrl_over_full_range_stays_finite(robot, model):
    """Stress: every actuator (arm included, ±2π) gets a uniform target within its ctrlrange.
    The arm then whips at up to ~100 rad/s and flings the hand, so only finiteness and a loose
    bound are asserted; without the hand armature this run goes unstable (qvel ~1e7)."""
    data = _reset(model, robot)
    rng = np.random.default_rng(0)
    low, high = model.actuator_ctrlrange.T
    for _ in range(200):
        data.ctrl[:] = rng.uniform(low, high)
        for _ in range(SUBSTEPS):
            mujoco.mj_step(model, data)
        assert np.all(np.isfinite(data.qpos)) and np.all(np.isfinite(data.qvel))
        assert np.abs(data.qvel).max() < 500.0


def test_hand_holds_its_pose_with_paper_gains(robot, model):
    """kp 40 / effort 0.35 N·m hold half-range targets against gravity at the v16 arm pose."""
    data = _reset(model, robot)
    target = np.array([0.5 * (j.lower + j.upper) for j in robot.spec.hand_joints])
    data.ctrl[7:] = target
    for _ in range(20 * SUBSTEPS):  # 1 s
        mujoco.mj_step(model, data)
    assert np.abs(data.qpos[7:] - target).max() < 0.01
    assert np.abs(data.qvel[7:]).max() < 0.01
