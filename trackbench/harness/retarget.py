"""Kinematic retargeting: a human hand trajectory → a robot's arm + hand joint trajectory.

Human keypoints [T, 21, 3] (MANO order, the world frame: table-top origin, z up, metres, 20 Hz)
become joint positions [T, n_dof] (rad; arm joints then hand joints, the robot's action order)
by differential inverse kinematics on the robot's own MuJoCo model (``robot.build()``), frame by
frame, each frame warm-started from the last. Per frame the QP (``mink.solve_ik``) weighs:

    fingertips   ‖p_site_k − p_human(h_k)‖²       position of every real keypoint's fingertip
                                                  site (``RobotSpec.fingertip_sites()``) on the
                                                  human keypoint it plays (``human_index``),
                                                  cost ``fingertip_cost``; synthetic keypoints
                                                  (Allegro's ring tip) are not targets
    wrist        orientation of the wrist site on the human palm frame (below), cost
                 ``wrist_orientation_cost``, and its position, cost ``wrist_position_cost``
    smoothness   ‖q_t − q_{t−1}‖² (``mink.DampingTask``, cost ``smoothness_cost``)
    posture      ‖q − q_default‖² (``mink.PostureTask``, cost ``posture_cost``): the arm's
                 redundant elbow stays near the robot's home pose
    limits       q within the joint limits (``mink.ConfigurationLimit``, a hard constraint)

The positions are absolute, not scaled by hand size: a demonstration must put the robot's
fingertips where the human's touched the object, whatever the robot's hand size, and the wrist
terms are light so that a hand larger than the human's (Allegro's) can back its wrist off.

The palm frame (:func:`palm_frame`). Human: forward f = middle knuckle (9) − wrist (0), lateral
l = index knuckle (5) − little knuckle (17), orthonormalised about f. Robot: the same
construction at its *calibration pose* (arm at home, hand joints at 0 clipped into their
limits, i.e. fingers straight), with f = mean of the non-thumb
fingertip sites − wrist site and l = the lowest-indexed minus the highest-indexed non-thumb
fingertip (index − little on a five-finger hand; thumb − index when only one non-thumb finger
exists). The wrist site's rotation relative to that frame is fixed by the robot's build, so the
wrist target is R_human(t) · R_robot_palmᵀ · R_wrist at calibration. The wrist position target
moves the human wrist along f by (human finger reach − robot finger reach), so that the robot's
straight fingers would end where the human's would.

Why ``mink`` and not ``dex-retargeting`` (the field's reference, Qin et al., AnyTeleop, RSS
2023): dex-retargeting reads URDF through Pinocchio, while trackbench robots are MJCF built in
code (``mujoco.MjSpec``); mink solves the same kind of QP on the very MuJoCo model the engine
simulates, so a third-party robot retargets with no URDF and no extra code, and the keypoint ↔
human map comes from its ``RobotSpec``. ``harness/pregrasp.py`` uses mink the same way.

Quality (:class:`Retargeted`): fingertip error after IK per frame and keypoint (m; reported in cm,
mean and 95th percentile) and joint-limit violations (entries of q outside the limits by more than
``LIMIT_TOLERANCE`` before the final clip; ConfigurationLimit keeps them at 0).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from pydantic import Field

from trackbench.harness.dataset import NUM_HAND_JOINTS
from trackbench.harness.errors import TrackbenchError
from trackbench.harness.specs import FrozenSpec

if TYPE_CHECKING:
    from trackbench.harness.robot import Robot, RobotSpec

# MANO indices of the palm frame: wrist, index / middle / little knuckles (MCP joints).
WRIST, INDEX_KNUCKLE, MIDDLE_KNUCKLE, LITTLE_KNUCKLE = 0, 5, 9, 17
FIRST_NON_THUMB = 5  # MANO indices 1-4 are the thumb
LIMIT_TOLERANCE = 1e-6  # rad (m for slides): what counts as a joint-limit violation


class RetargetSettings(FrozenSpec):
    """The IK's weights and iterations. Set by hand, not tuned; their quality on the synthetic
    set is in the README ("Retargeting quality")."""

    fingertip_cost: float = Field(default=1.0, gt=0, description="fingertip position cost (per m)")
    wrist_orientation_cost: float = Field(default=0.2, ge=0, description=(
        "wrist orientation cost (per rad) towards the human palm frame"))
    wrist_position_cost: float = Field(default=0.05, ge=0, description=(
        "wrist position cost (per m) towards the human wrist, moved by the reach difference"))
    smoothness_cost: float = Field(default=0.05, ge=0, description=(
        "cost of joint motion from the previous frame (mink DampingTask)"))
    posture_cost: float = Field(default=1e-3, ge=0, description=(
        "pull towards the robot's default pose, for the redundant arm"))
    iterations: int = Field(default=8, gt=0, le=1000, description="IK steps per frame")
    first_iterations: int = Field(default=80, gt=0, le=10_000, description=(
        "IK steps for the first frame, from the robot's default pose"))
    step: float = Field(default=0.1, gt=0, le=1.0, description="mink integration step (s)")


@dataclass(frozen=True)
class Retargeted:
    """One retargeted trajectory and its quality."""

    qpos: np.ndarray  # [T, n_dof] float64, rad (m for slides), within the joint limits
    fingertip_error: np.ndarray  # [T, K] m, each real keypoint's fingertip site to its target
    limit_violations: int  # entries of qpos outside the limits before the final clip

    @property
    def num_frames(self) -> int:
        return int(self.qpos.shape[0])


def retarget_problems(robot: "RobotSpec") -> list[str]:
    """Why ``robot`` cannot be retargeted onto (one sentence each; empty if it can): every human
    fingertip (4, 8, 12, 16, 20) must be played by a keypoint or synthesised from played ones,
    as for the fingertip map of ``track`` and ``amp``."""
    missing = robot.missing_human_fingertips()
    if not missing:
        return []
    return [f"its keypoints cannot cover the human fingertips {missing} (neither played by a "
            f"keypoint's human_index nor synthesised); retargeting puts every human fingertip on "
            f"the robot, so declare keypoints or synthetic_keypoints for them"]


def palm_frame(forward: np.ndarray, lateral: np.ndarray) -> np.ndarray:
    """[..., 3, 3] rotations whose columns are (f̂, n̂ × f̂, n̂) with n̂ = normalise(f × l), from
    the directions ``forward`` f and ``lateral`` l [..., 3] (l need not be orthogonal to f)."""
    f = forward / np.linalg.norm(forward, axis=-1, keepdims=True)
    n = np.cross(f, lateral)
    n = n / np.maximum(np.linalg.norm(n, axis=-1, keepdims=True), 1e-12)
    return np.stack([f, np.cross(n, f), n], axis=-1)


def human_palm_frame(keypoints: np.ndarray) -> np.ndarray:
    """[T, 3, 3] the human palm frame of keypoints [T, 21, 3] (module docstring)."""
    wrist = keypoints[:, WRIST]
    return palm_frame(keypoints[:, MIDDLE_KNUCKLE] - wrist,
                      keypoints[:, INDEX_KNUCKLE] - keypoints[:, LITTLE_KNUCKLE])


def human_reach(keypoints: np.ndarray) -> float:
    """The human's straight-finger reach (m): wrist → middle knuckle → middle tip along the bones,
    median over frames (bone lengths do not depend on the pose)."""
    chain = (0, 9, 10, 11, 12)
    bones = [np.linalg.norm(keypoints[:, b] - keypoints[:, a], axis=-1)
             for a, b in zip(chain[:-1], chain[1:])]
    return float(np.median(np.sum(bones, axis=0)))


class Retargeter:
    """Retargets human keypoint trajectories onto one robot (one compiled model, reused).

    ``robot``: the robot plugin (its ``build()`` and ``spec``). Raises TrackbenchError if
    ``mink`` is missing, or (:func:`retarget_problems`) the robot cannot cover the human
    fingertips.
    """

    def __init__(self, robot: "Robot", settings: RetargetSettings | None = None):
        try:
            import mink  # noqa: F401
        except ImportError:
            raise TrackbenchError("retargeting needs the 'mink' package (pip install mink)") from None
        import mujoco

        problems = retarget_problems(robot.spec)
        if problems:
            raise TrackbenchError(f"robot '{robot.name}': {problems[0]}")
        self._mj = mujoco
        self.robot, self.settings = robot, settings or RetargetSettings()
        spec = robot.spec
        joints = spec.arm_joints + spec.hand_joints
        self.model = robot.build().compile()
        self.data = mujoco.MjData(self.model)
        self._qpos_at = np.array([self.model.jnt_qposadr[self.model.joint(j.name).id]
                                  for j in joints])
        self.lower = np.array([j.lower for j in joints])
        self.upper = np.array([j.upper for j in joints])
        self.default = np.array([j.default for j in joints])
        self.sites = spec.fingertip_sites()
        self.human_index = [k.human_index for k in spec.keypoints]
        self._calibrate()

    # ---- calibration: the robot's palm frame at straight fingers ------------------------------
    def _calibrate(self) -> None:
        spec = self.robot.spec
        n_arm = len(spec.arm_joints)
        straight = self.default.copy()
        straight[n_arm:] = np.clip(0.0, self.lower[n_arm:], self.upper[n_arm:])
        self._forward_kinematics(straight)
        wrist = self.data.site(spec.wrist_site)
        tips = np.array([self.data.site(s).xpos for s in self.sites])
        fingers = [i for i, h in enumerate(self.human_index) if h >= FIRST_NON_THUMB]
        thumbs = [i for i, h in enumerate(self.human_index) if h < FIRST_NON_THUMB]
        self._orient = len(fingers) >= 2 or bool(fingers and thumbs)
        self.robot_reach = float(np.linalg.norm(tips[fingers].mean(axis=0) - wrist.xpos)) \
            if fingers else 0.0
        if not self._orient:  # one fingertip: no palm frame to align
            self._wrist_offset = np.eye(3)
            return
        ordered = sorted(fingers, key=lambda i: self.human_index[i])
        lateral = (tips[ordered[0]] - tips[ordered[-1]]) if len(ordered) >= 2 \
            else tips[thumbs[0]] - tips[ordered[0]]
        frame = palm_frame(tips[fingers].mean(axis=0) - wrist.xpos, lateral)
        self._wrist_offset = frame.T @ wrist.xmat.reshape(3, 3)  # wrist in the palm frame

    def _forward_kinematics(self, qpos: np.ndarray) -> None:
        self.data.qpos[self._qpos_at] = qpos
        self._mj.mj_kinematics(self.model, self.data)

    # ---- targets ---------------------------------------------------------------------------------
    def wrist_targets(self, keypoints: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """([T, 3] positions, [T, 3, 3] rotations) the wrist site is pulled towards."""
        frames = human_palm_frame(keypoints)
        shift = human_reach(keypoints) - self.robot_reach
        positions = keypoints[:, WRIST] + shift * frames[:, :, 0]
        return positions, frames @ self._wrist_offset

    def retarget(self, keypoints: np.ndarray) -> Retargeted:
        """Joint trajectory [T, n_dof] for human keypoints [T, 21, 3] (module docstring).

        Raises TrackbenchError for keypoints of another shape or with non-finite values."""
        import mink

        keypoints = np.asarray(keypoints, dtype=np.float64)
        if keypoints.ndim != 3 or keypoints.shape[1:] != (NUM_HAND_JOINTS, 3) \
                or not len(keypoints) or not np.isfinite(keypoints).all():
            raise TrackbenchError(f"retargeting needs finite human keypoints [T, 21, 3], got "
                                  f"shape {keypoints.shape}")
        s = self.settings
        wrist_pos, wrist_rot = self.wrist_targets(keypoints)
        q = np.zeros(self.model.nq)
        q[self._qpos_at] = self.default
        configuration = mink.Configuration(self.model, q)
        tips = [mink.FrameTask(site, "site", position_cost=s.fingertip_cost, orientation_cost=0.0)
                for site in self.sites]
        wrist = mink.FrameTask(self.robot.spec.wrist_site, "site",
                               position_cost=s.wrist_position_cost,
                               orientation_cost=s.wrist_orientation_cost if self._orient else 0.0)
        posture = mink.PostureTask(self.model, cost=s.posture_cost)
        posture.set_target(q.copy())
        tasks = tips + [wrist, posture]
        if s.smoothness_cost > 0:
            tasks.append(mink.DampingTask(self.model, cost=s.smoothness_cost))
        limits = [mink.ConfigurationLimit(self.model)]

        count = len(keypoints)
        qpos = np.zeros((count, len(self._qpos_at)))
        error = np.zeros((count, len(self.sites)))
        violations = 0
        for t in range(count):
            for task, h in zip(tips, self.human_index):
                task.set_target(mink.SE3.from_translation(keypoints[t, h]))
            wrist.set_target(mink.SE3.from_rotation_and_translation(
                mink.SO3.from_matrix(wrist_rot[t]), wrist_pos[t]))
            for _ in range(s.first_iterations if t == 0 else s.iterations):
                velocity = mink.solve_ik(configuration, tasks, s.step, "daqp", damping=1e-3,
                                         limits=limits)
                configuration.integrate_inplace(velocity, s.step)
            solved = configuration.q[self._qpos_at]
            violations += int(((solved < self.lower - LIMIT_TOLERANCE)
                               | (solved > self.upper + LIMIT_TOLERANCE)).sum())
            qpos[t] = np.clip(solved, self.lower, self.upper)
            error[t] = [np.linalg.norm(configuration.data.site(site).xpos - keypoints[t, h])
                        for site, h in zip(self.sites, self.human_index)]
        return Retargeted(qpos=qpos, fingertip_error=error, limit_violations=violations)

    def fingertip_positions(self, qpos: np.ndarray) -> np.ndarray:
        """[K, 3] the fingertip sites (m, world) at joint positions ``qpos`` [n_dof]."""
        self._forward_kinematics(np.asarray(qpos, dtype=np.float64))
        return np.array([self.data.site(s).xpos.copy() for s in self.sites])
