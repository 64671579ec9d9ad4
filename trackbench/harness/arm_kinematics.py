"""Wrist Jacobians of a robot's arm, from the robot's own MuJoCo model (no task scene).

The wrist-delta action space (``RobotSpec.arm_action = "wrist_delta"``) turns a Cartesian wrist
motion into arm joint deltas by damped least squares; this module supplies the Jacobian it
needs. The robot's base is fixed to the world, so the wrist's Jacobian depends only on the arm
joints, and the robot model alone (what ``Robot.build`` returns) gives it for every engine.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from trackbench.harness.errors import TrackbenchError

if TYPE_CHECKING:
    from trackbench.harness.robot import Robot


class ArmKinematics:
    """Wrist-site Jacobians [N, 6, n_arm] (world frame) at given arm joint positions.

    Built once per engine: compiles the robot's model (tens of milliseconds) and keeps one
    MjData for the per-env loop (about 10 µs per env on this machine's CPU).
    Raises TrackbenchError if the model does not compile or lacks the wrist site or an arm joint.
    """

    def __init__(self, robot: "Robot"):
        import mujoco

        self._mj = mujoco
        spec = robot.spec
        try:
            self.model = robot.build().compile()
            self._site = self.model.site(spec.wrist_site).id
            joints = [self.model.joint(j.name) for j in spec.arm_joints]
        except (ValueError, KeyError) as error:
            raise TrackbenchError(f"robot '{robot.name}': no wrist kinematics: {error}") from None
        self._qpos = np.array([self.model.jnt_qposadr[j.id] for j in joints])
        self._dof = np.array([self.model.jnt_dofadr[j.id] for j in joints])
        self._data = mujoco.MjData(self.model)

    def jacobian(self, arm_qpos: np.ndarray) -> np.ndarray:
        """arm_qpos [N, n_arm] (rad) → [N, 6, n_arm]: rows 0–2 the wrist site's linear velocity
        (m/s), rows 3–5 its angular velocity (rad/s), per unit joint velocity, world frame
        (MuJoCo's ``mj_jacSite``)."""
        mujoco, model, data = self._mj, self.model, self._data
        out = np.empty((arm_qpos.shape[0], 6, self._dof.size))
        jacp, jacr = np.empty((3, model.nv)), np.empty((3, model.nv))
        for env, q in enumerate(arm_qpos):
            data.qpos[self._qpos] = q
            mujoco.mj_kinematics(model, data)
            mujoco.mj_comPos(model, data)  # mj_jac reads the subtree centres of mass it computes
            mujoco.mj_jacSite(model, data, jacp, jacr, self._site)
            out[env, :3], out[env, 3:] = jacp[:, self._dof], jacr[:, self._dof]
        return out

    def wrist_pose(self, arm_qpos: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """arm_qpos [N, n_arm] → (positions [N, 3] in m, rotation matrices [N, 3, 3]) of the
        wrist site in the world frame (forward kinematics of the same model)."""
        mujoco, model, data = self._mj, self.model, self._data
        pos, rot = np.empty((arm_qpos.shape[0], 3)), np.empty((arm_qpos.shape[0], 3, 3))
        for env, q in enumerate(arm_qpos):
            data.qpos[self._qpos] = q
            mujoco.mj_kinematics(model, data)
            pos[env], rot[env] = data.site_xpos[self._site], data.site_xmat[self._site].reshape(3, 3)
        return pos, rot
