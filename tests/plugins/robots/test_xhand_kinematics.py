"""XHand (copy (i) of the third-party kinematics) on an xArm7: structure, independent FK, stability.

The forward kinematics here is deliberately independent of ``xhand.py``: the joint table below is
typed in from ``human-data-and-kinematics.md`` §C.3 (variant (i)), with the thumb rota1 rotation as
its published rpy (the model uses the published quaternion), and composed with plain numpy.
"""

from __future__ import annotations

import math

import mujoco
import numpy as np
import pytest

from trackbench.harness.robot import HUMAN_FINGERTIPS
from trackbench.plugins.robots.xhand import XHand

PALM = "xhand/right_hand_link"
# joint (SDK order): parent joint (None = palm), origin xyz, origin rpy, axis, range (i)
TABLE_I = {
    "thumb_bend_joint": (None, (0.0228, 0.0095, -0.0305), (0, 0, 0), (0, 0, 1), (0, 1.832)),
    "thumb_rota_joint1": ("thumb_bend_joint", (0.028599, 0.0083177, 0.00178),
                          (0.2618, 0, 0.0407), (0, 1, 0), (-0.698, 1.745)),
    "thumb_rota_joint2": ("thumb_rota_joint1", (0.0553, 0, 0), (0, 0, 0), (0, 1, 0), (0, 1.745)),
    "index_bend_joint": (None, (0.0265, 0.0065, -0.0899), (0, 0, 0), (0, -1, 0), (-0.174, 0.174)),
    "index_joint1": ("index_bend_joint", (0, 0, -0.0178), (0, 0, 0), (1, 0, 0), (0, 1.919)),
    "index_joint2": ("index_joint1", (0, 0, -0.0558), (0, 0, 0), (1, 0, 0), (0, 1.919)),
    "mid_joint1": (None, (0.004, 0.0065, -0.1082), (0, 0, 0), (1, 0, 0), (0, 1.919)),
    "mid_joint2": ("mid_joint1", (0, 0, -0.0558), (0, 0, 0), (1, 0, 0), (0, 1.919)),
    "ring_joint1": (None, (-0.016, 0.0065, -0.1052), (0, 0, 0), (1, 0, 0), (0, 1.919)),
    "ring_joint2": ("ring_joint1", (0, 0, -0.0558), (0, 0, 0), (1, 0, 0), (0, 1.919)),
    "pinky_joint1": (None, (-0.036, 0.0065, -0.1022), (0, 0, 0), (1, 0, 0), (0, 1.919)),
    "pinky_joint2": ("pinky_joint1", (0, 0, -0.0558), (0, 0, 0), (1, 0, 0), (0, 1.919)),
}
# keypoint site: (last joint of the chain, fixed tip offset), thumb first
TIPS = {
    "xhand/kp_thumb": ("thumb_rota_joint2", (0.0502276, 0, 0)),
    "xhand/kp_index": ("index_joint2", (0, 0, -0.0422483)),
    "xhand/kp_middle": ("mid_joint2", (0, 0, -0.0422483)),
    "xhand/kp_ring": ("ring_joint2", (0, 0, -0.0422483)),
    "xhand/kp_little": ("pinky_joint2", (0, 0, -0.0422483)),
}
# §C.3 "Forward kinematics at q = 0 from right_hand_link".
PUBLISHED_ZERO = {
    "xhand/kp_thumb": (0.1568, 0.0221, -0.0287),
    "xhand/kp_index": (0.0265, 0.0065, -0.2057),
    "xhand/kp_middle": (0.004, 0.0065, -0.2062),
    "xhand/kp_ring": (-0.016, 0.0065, -0.2032),
    "xhand/kp_little": (-0.036, 0.0065, -0.2002),
}
SDK_NAMES = ["xhand/right_hand_" + name for name in TABLE_I]


def _rot(axis, angle) -> np.ndarray:
    x, y, z = np.asarray(axis, float) / np.linalg.norm(axis)
    k = np.array([[0, -z, y], [z, 0, -x], [-y, x, 0]])
    return np.eye(3) + math.sin(angle) * k + (1 - math.cos(angle)) * k @ k


def _transform(xyz, rpy, axis, q) -> np.ndarray:
    t = np.eye(4)
    roll, pitch, yaw = rpy  # URDF fixed-axis: R = Rz(yaw) Ry(pitch) Rx(roll)
    fixed = _rot((0, 0, 1), yaw) @ _rot((0, 1, 0), pitch) @ _rot((1, 0, 0), roll)
    t[:3, :3] = fixed @ _rot(axis, q)
    t[:3, 3] = xyz
    return t


def numpy_tip(site: str, q: dict[str, float]) -> np.ndarray:
    """Tip position in the right_hand_link frame from the typed-in table."""
    joint, offset = TIPS[site]
    chain = []
    while joint is not None:
        chain.append(joint)
        joint = TABLE_I[joint][0]
    t = np.eye(4)
    for name in reversed(chain):
        _, xyz, rpy, axis, _ = TABLE_I[name]
        t = t @ _transform(xyz, rpy, axis, q[name])
    return (t @ np.append(offset, 1.0))[:3]


@pytest.fixture(scope="module")
def robot() -> XHand:
    return XHand(XHand.Spec())


@pytest.fixture(scope="module")
def model(robot) -> mujoco.MjModel:
    m = robot.build().compile()
    m.opt.timestep = 1 / 240
    m.opt.integrator = mujoco.mjtIntegrator.mjINT_IMPLICITFAST
    return m


def _data_at(robot, model, hand_q: dict[str, float] | None = None) -> mujoco.MjData:
    data = mujoco.MjData(model)
    for joint in robot.spec.arm_joints + robot.spec.hand_joints:
        data.qpos[model.joint(joint.name).qposadr[0]] = joint.default
    for name, value in (hand_q or {}).items():
        data.qpos[model.joint("xhand/right_hand_" + name).qposadr[0]] = value
    mujoco.mj_kinematics(model, data)
    return data


def _in_body(model, data, site: str, body: str) -> np.ndarray:
    b = model.body(body).id
    return data.xmat[b].reshape(3, 3).T @ (data.site_xpos[model.site(site).id] - data.xpos[b])


def test_structure_and_limits(robot, model):
    spec = robot.spec
    assert model.njnt == 19 and model.nu == 19
    assert all(t == mujoco.mjtJoint.mjJNT_HINGE for t in model.jnt_type)
    joints = spec.arm_joints + spec.hand_joints
    assert [model.joint(i).name for i in range(model.njnt)] == [j.name for j in joints]
    assert [model.actuator(i).name for i in range(model.nu)] == [j.name for j in joints]
    np.testing.assert_allclose(model.jnt_range, [(j.lower, j.upper) for j in joints], atol=1e-9)
    np.testing.assert_allclose(model.actuator_ctrlrange, model.jnt_range, atol=1e-9)
    # The hand joints are the SDK names in SDK order, with copy (i)'s limits, defaults clamped 0.
    assert [j.name for j in spec.hand_joints] == SDK_NAMES
    np.testing.assert_allclose([(j.lower, j.upper) for j in spec.hand_joints],
                               [row[4] for row in TABLE_I.values()], atol=1e-9)
    assert all(j.default == min(max(0.0, j.lower), j.upper) for j in spec.hand_joints)
    # Paper code (XHand): init arm pose v21, hand PD 40/5/0.35, dofSpeedScale 10.
    assert [j.default for j in spec.arm_joints] == [-0.2, -0.70, 0.0, 0.10, 1.25, -0.30, 0.0]
    assert (spec.hand_kp, spec.hand_kd, spec.hand_effort) == (40.0, 5.0, 0.35)
    assert spec.arm_speed_scale == 10.0
    hand_act = slice(7, 19)
    np.testing.assert_allclose(model.actuator_gainprm[hand_act, 0], 40.0)
    np.testing.assert_allclose(model.actuator_biasprm[hand_act, 1:3], [[-40.0, -5.0]] * 12)
    np.testing.assert_allclose(model.actuator_forcerange[hand_act], [[-0.35, 0.35]] * 12)
    for site in [k.site for k in spec.keypoints] + [spec.wrist_site]:
        assert model.site(site).id >= 0


@pytest.mark.parametrize("fraction", [None, 0.4])
def test_fingertip_fk_matches_independent_numpy(robot, model, fraction):
    if fraction is None:  # all zeros, clamped into the limits
        q = {name: min(max(0.0, lo), hi) for name, (*_, (lo, hi)) in TABLE_I.items()}
    else:
        q = {name: lo + fraction * (hi - lo) for name, (*_, (lo, hi)) in TABLE_I.items()}
    data = _data_at(robot, model, q)
    for site in TIPS:
        np.testing.assert_allclose(_in_body(model, data, site, PALM), numpy_tip(site, q),
                                   atol=2e-3, err_msg=f"{site} at {fraction or 0} of range")
    if fraction:  # the pose really moved every model tip, so the match above is not at rest
        rest = _data_at(robot, model, {name: 0.0 for name in TABLE_I})
        for site in TIPS:
            moved = _in_body(model, data, site, PALM) - _in_body(model, rest, site, PALM)
            assert np.linalg.norm(moved) > 0.02, site


def test_zero_pose_matches_published_figures_and_mount(robot, model):
    data = _data_at(robot, model)
    for site, published in PUBLISHED_ZERO.items():
        assert np.linalg.norm(_in_body(model, data, site, PALM) - published) < 0.01, site
    # Mount: right_hand_link 0.025 m out of the flange; fingers (its −z) along the flange's +z.
    flange = model.body("xarm7/link7").id
    palm = model.body(PALM).id
    r_flange = data.xmat[flange].reshape(3, 3)
    np.testing.assert_allclose(r_flange.T @ (data.xpos[palm] - data.xpos[flange]),
                               [0, 0, 0.025], atol=1e-9)
    fingers = r_flange.T @ -data.xmat[palm].reshape(3, 3)[:, 2]
    np.testing.assert_allclose(fingers, [0, 0, 1], atol=1e-9)
    middle = model.site("xhand/kp_middle").id
    tip_in_flange = r_flange.T @ (data.site_xpos[middle] - data.xpos[flange])
    assert abs(tip_in_flange[2] - (0.025 + 0.2062)) < 0.005


def test_keypoints_are_the_five_human_fingertips(robot):
    spec = robot.spec
    # Each tip site plays the MANO joint of the finger it is on (MANO's tip indices, typed in).
    mano_tip = {"thumb": 4, "index": 8, "middle": 12, "ring": 16, "little": 20}
    assert [(k.site, k.human_index) for k in spec.keypoints] == [
        (f"xhand/kp_{finger}", index) for finger, index in mano_tip.items()]
    assert [k.human_index for k in spec.keypoints] == list(HUMAN_FINGERTIPS)
    assert [k.site for k in spec.keypoints] == list(TIPS)
    assert spec.synthetic_keypoints == ()
    assert spec.human_fingertip_sources() == [(0,), (1,), (2,), (3,), (4,)]


@pytest.mark.parametrize("arm", ["hold", "random"])
def test_random_actions_stay_finite(robot, model, arm):
    """200 control steps (12 × 1/240 s, implicitfast) of seeded uniform targets in ctrlrange.

    With the arm held, the hand must stay inside its limits at finger-motor speeds (an unarmatured
    hand fails this: distal joints chatter at ~300 rad/s through their limits). With random arm
    targets over the full ±2π ranges the arm whips the hand, so only boundedness is asked.
    """
    data = _data_at(robot, model)
    rng = np.random.default_rng(0)
    low, high = model.actuator_ctrlrange.T
    hold = data.qpos[:7].copy()
    hand = slice(7, 19)
    max_hand_speed = max_violation = 0.0
    for _ in range(200):
        data.ctrl[:] = rng.uniform(low, high)
        if arm == "hold":
            data.ctrl[:7] = hold
        for _ in range(12):
            mujoco.mj_step(model, data)
        assert np.isfinite(data.qpos).all() and np.isfinite(data.qvel).all()
        max_hand_speed = max(max_hand_speed, np.abs(data.qvel[hand]).max())
        lower, upper = model.jnt_range[hand].T
        max_violation = max(max_violation, (lower - data.qpos[hand]).max(),
                            (data.qpos[hand] - upper).max())
    # MuJoCo resets the state when it meets a bad acceleration: that must never have happened.
    assert data.warning[mujoco.mjtWarning.mjWARN_BADQACC].number == 0
    assert np.abs(data.qvel[:7]).max() < 50.0
    if arm == "hold":
        assert max_hand_speed < 30.0
        assert max_violation < 0.02
        np.testing.assert_allclose(data.qpos[:7], hold, atol=0.02)
    else:
        assert max_hand_speed < 500.0
        assert max_violation < 1.5
