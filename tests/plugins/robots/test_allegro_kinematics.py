"""Allegro on xArm7: structure, FK against an independent URDF table, mapping, stability."""

from __future__ import annotations

import mujoco
import numpy as np
import pytest

from trackbench.plugins.robots.allegro import Allegro

# Typed in from the published URDF (dex-urdf allegro_hand_right.urdf, §C.2), independently of
# allegro.py: per finger, the four joints' (origin xyz, origin rpy, axis), then the tip offset.
_Y, _Z = (0, 1, 0), (0, 0, 1)
_FINGER = [((0, 0, 0.0164), (0, 0, 0), _Y), ((0, 0, 0.054), (0, 0, 0), _Y),
           ((0, 0, 0.0384), (0, 0, 0), _Y)]
URDF = {
    "index": ([((0, 0.0435, -0.001542), (-0.08726646255, 0, 0), _Z)] + _FINGER, 0.0267),
    "middle": ([((0, 0, 0.0007), (0, 0, 0), _Z)] + _FINGER, 0.0267),
    "little": ([((0, -0.0435, -0.001542), (0.08726646255, 0, 0), _Z)] + _FINGER, 0.0267),
    "thumb": ([((-0.0182, 0.019333, -0.045987), (0, -1.65806278845, -1.5707963259), (-1, 0, 0)),
               ((-0.027, 0.005, 0.0399), (0, 0, 0), _Z), ((0, 0, 0.0177), (0, 0, 0), _Y),
               ((0, 0, 0.0514), (0, 0, 0), _Y)], 0.0423),
}
FIRST_JOINT = {"index": 0, "middle": 4, "little": 8, "thumb": 12}
PUBLISHED_MIDDLE_TIP = np.array([0.0, 0.0, 0.1362])  # from base_link at q = 0 (§C.2)
MOUNT_Z = 0.095
# wrist site (flange) → middle tip at hand q = 0: 0.095 + 0.1362 = 0.2312 m along the flange z.
WRIST_TO_MIDDLE_TIP = 0.2312


def _rot(axis, angle) -> np.ndarray:
    k = np.asarray(axis, float) / np.linalg.norm(axis)
    K = np.array([[0, -k[2], k[1]], [k[2], 0, -k[0]], [-k[1], k[0], 0]])
    return np.eye(3) + np.sin(angle) * K + (1 - np.cos(angle)) * K @ K


def _urdf_frame(xyz, rpy) -> np.ndarray:
    T = np.eye(4)
    T[:3, :3] = _rot((0, 0, 1), rpy[2]) @ _rot((0, 1, 0), rpy[1]) @ _rot((1, 0, 0), rpy[0])
    T[:3, 3] = xyz
    return T


def numpy_fk(finger: str, q4) -> tuple[np.ndarray, np.ndarray]:
    """(distal-link origin, tip frame) of a finger in the base_link frame."""
    chain, tip = URDF[finger]
    T = np.eye(4)
    for (xyz, rpy, axis), q in zip(chain, q4):
        T = T @ _urdf_frame(xyz, rpy)
        J = np.eye(4)
        J[:3, :3] = _rot(axis, q)
        T = T @ J
    return T[:3, 3].copy(), (T @ np.array([0, 0, tip, 1.0]))[:3]


@pytest.fixture(scope="module")
def robot():
    return Allegro(Allegro.Spec())


@pytest.fixture(scope="module")
def model(robot):
    spec = robot.build()
    spec.option.timestep = 1 / 240
    spec.option.integrator = mujoco.mjtIntegrator.mjINT_IMPLICITFAST
    return spec.compile()


def _joints(robot):
    return robot.spec.arm_joints + robot.spec.hand_joints


def _posed(model, robot, hand_q) -> mujoco.MjData:
    data = mujoco.MjData(model)
    for joint, q in zip(_joints(robot), [j.default for j in robot.spec.arm_joints] + list(hand_q)):
        data.qpos[model.joint(joint.name).qposadr[0]] = q
    mujoco.mj_kinematics(model, data)
    return data


def _in_base(model, data, site: str) -> np.ndarray:
    base = model.body("allegro/base_link").id
    R = data.xmat[base].reshape(3, 3)
    return R.T @ (data.site_xpos[model.site(site).id] - data.xpos[base])


def test_structure_matches_spec(robot, model):
    joints = _joints(robot)
    assert len(robot.spec.arm_joints) == 7 and len(robot.spec.hand_joints) == 16
    assert model.njnt == 23 and model.nu == 23 and model.nq == 23
    assert all(t == mujoco.mjtJoint.mjJNT_HINGE for t in model.jnt_type)
    assert [model.joint(i).name for i in range(model.njnt)] == [j.name for j in joints]
    assert [j.name for j in robot.spec.hand_joints] == [f"allegro/joint_{i}" for i in range(16)]
    expected = np.array([[j.lower, j.upper] for j in joints])
    np.testing.assert_allclose(model.jnt_range, expected, atol=1e-9)  # radians, not degrees
    np.testing.assert_allclose(model.actuator_ctrlrange, expected, atol=1e-9)
    assert [model.actuator(i).name for i in range(model.nu)] == [j.name for j in joints]
    np.testing.assert_allclose(model.actuator_gainprm[7:, 0], 40.0)
    np.testing.assert_allclose(model.actuator_biasprm[7:, 2], -5.0)
    np.testing.assert_allclose(model.actuator_forcerange[7:], [[-0.35, 0.35]] * 16)
    thumb = robot.spec.hand_joints[12]
    assert (thumb.lower, thumb.default) == (0.263, 0.263)
    assert all(j.default == 0.0 for i, j in enumerate(robot.spec.hand_joints) if i != 12)
    for finger, first in FIRST_JOINT.items():  # keypoint sites sit at the distal-link origins
        site = model.site(f"allegro/kp_{finger}")
        assert model.body(site.bodyid[0]).name == f"allegro/link_{first + 3}.0"
        np.testing.assert_allclose(site.pos, 0.0)
    bodies = [model.body(b).name for b in model.geom_bodyid]
    hand_geoms = [g for g, body in enumerate(bodies) if body.startswith("allegro/")]
    assert len(hand_geoms) >= 17 and all(model.geom_contype[g] == 2 for g in hand_geoms)
    hand_mass = model.body_subtreemass[model.body("allegro/base_link").id]
    assert hand_mass == pytest.approx(0.9841, abs=1e-3)  # sum of the published link masses


@pytest.mark.parametrize("fraction", [None, 0.4, 0.85])
def test_forward_kinematics_matches_urdf_table(robot, model, fraction):
    hand = robot.spec.hand_joints
    if fraction is None:  # all zero, clamped into the limits (thumb joint_12 → 0.263)
        q = [min(max(0.0, j.lower), j.upper) for j in hand]
    else:
        q = [j.lower + fraction * (j.upper - j.lower) for j in hand]
    data = _posed(model, robot, q)
    for finger, first in FIRST_JOINT.items():
        distal, tip = numpy_fk(finger, q[first:first + 4])
        np.testing.assert_allclose(_in_base(model, data, f"allegro/kp_{finger}"), distal, atol=2e-3)
        np.testing.assert_allclose(_in_base(model, data, f"allegro/tip_{finger}"), tip, atol=2e-3)


def test_zero_pose_tips_and_mount(robot, model):
    data = _posed(model, robot, [0.0] * 12 + [0.263] + [0.0] * 3)
    middle_tip = _in_base(model, data, "allegro/tip_middle")
    np.testing.assert_allclose(middle_tip, PUBLISHED_MIDDLE_TIP, atol=1e-2)
    np.testing.assert_allclose(middle_tip, PUBLISHED_MIDDLE_TIP, atol=1e-6)  # exact, in fact
    index_tip, little_tip = (_in_base(model, data, f"allegro/tip_{f}") for f in ("index", "little"))
    np.testing.assert_allclose(index_tip, [0, 0.0553, 0.1334], atol=1e-4)  # published, §C.2
    np.testing.assert_allclose(little_tip, [0, -0.0553, 0.1334], atol=1e-4)
    wrist = data.site_xpos[model.site(robot.spec.wrist_site).id]
    flange_z = data.site_xmat[model.site(robot.spec.wrist_site).id].reshape(3, 3)[:, 2]
    to_tip = data.site_xpos[model.site("allegro/tip_middle").id] - wrist
    assert np.linalg.norm(to_tip) == pytest.approx(WRIST_TO_MIDDLE_TIP, abs=1e-2)
    assert to_tip @ flange_z == pytest.approx(WRIST_TO_MIDDLE_TIP, abs=1e-6)  # fingers along +z
    base = data.xpos[model.body("allegro/base_link").id]
    np.testing.assert_allclose(base - wrist, MOUNT_Z * flange_z, atol=1e-9)
    # yaw π: base_link x, y = flange −x, −y, so the grasping side (base_link +x) is flange −x
    flange_R = data.site_xmat[model.site(robot.spec.wrist_site).id].reshape(3, 3)
    base_R = data.xmat[model.body("allegro/base_link").id].reshape(3, 3)
    np.testing.assert_allclose(base_R, flange_R @ np.diag([-1.0, -1.0, 1.0]), atol=1e-9)


def test_the_fingers_close_towards_the_table_at_the_initial_pose(robot, model):
    """The side the fingers flex towards faces the objects at v16, so closing the hand at the
    start pose moves the fingertips down and towards flange −x (issue 13: with the hand mounted at
    yaw 0 they closed upwards, away from every object)."""
    hand = robot.spec.hand_joints
    opened = _posed(model, robot, [j.default for j in hand])
    closed = _posed(model, robot, [0.0 if i in (0, 4, 8) else j.lower + 0.8 * (j.upper - j.lower)
                                   for i, j in enumerate(hand)])
    tips = [k.site for k in robot.spec.keypoints]
    mean_tip = lambda data: np.mean([data.site_xpos[model.site(s).id] for s in tips], axis=0)  # noqa: E731
    motion = mean_tip(closed) - mean_tip(opened)
    flange_R = opened.site_xmat[model.site(robot.spec.wrist_site).id].reshape(3, 3)
    assert motion @ -flange_R[:, 0] > 0.03  # towards the grasping side
    assert motion[2] < -0.03  # down, towards the table
    assert -flange_R[2, 0] < -0.5  # the grasping side faces the table


def test_keypoint_mapping_matches_authors():
    spec = Allegro.Spec()
    assert [k.human_index for k in spec.keypoints] == [4, 8, 12, 20]
    assert all(k.human_index in (4, 8, 12, 16, 20) for k in spec.keypoints)
    assert [k.site for k in spec.keypoints] == [
        "allegro/kp_thumb", "allegro/kp_index", "allegro/kp_middle", "allegro/kp_little"]
    # thumb, index, middle, ring = mean(middle, 4th finger), little = 4th finger
    assert spec.human_fingertip_sources() == [(0,), (1,), (2,), (2, 3), (3,)]
    assert spec.wrist_site == "wrist" and spec.arm_speed_scale == 1.0


def test_random_control_stays_stable(robot, model):
    data = _posed(model, robot, [j.default for j in robot.spec.hand_joints])
    defaults = np.array([j.default for j in _joints(robot)])
    data.ctrl[:] = defaults
    lower, upper = model.actuator_ctrlrange.T
    rng = np.random.default_rng(0)
    peak_speed = 0.0
    for _ in range(200):  # 200 control steps at 20 Hz, 12 physics steps of 1/240 s each
        data.ctrl[7:] = rng.uniform(lower[7:], upper[7:])
        for _ in range(12):
            mujoco.mj_step(model, data)
            peak_speed = max(peak_speed, float(np.abs(data.qvel).max()))
        assert np.isfinite(data.qpos).all() and np.isfinite(data.qvel).all()
    assert peak_speed < 50.0  # without armature the fingers reach ~600 rad/s
    assert np.all(data.qpos[7:] > lower[7:] - 0.02) and np.all(data.qpos[7:] < upper[7:] + 0.02)
    assert np.abs(data.qpos[:7] - defaults[:7]).max() < 0.05  # the arm holds its pose
    assert data.warning[mujoco.mjtWarning.mjWARN_BADQACC].number == 0
