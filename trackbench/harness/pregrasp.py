"""Pre-grasp start states: the hand open around the task's object, found by inverse kinematics.

A named training curriculum for the lift tasks (``task.pregrasp_start``, issue 13), in the spirit
of resetting to demonstration states (Nair et al., "Overcoming Exploration in Reinforcement
Learning with Demonstrations", ICRA 2018; Uchendu et al., "Jump-Start RL", ICML 2023): a fraction
of *training* resets puts the robot where a grasp can begin, so that PPO meets closing and lifting
long before random exploration would. Evaluation never uses it (``VecEnv.evaluation``).

The pose: the thumb tip (keypoint 0, the robot contract's "thumb first") on one side of the
object and the other fingertips on the opposite side, ``gap`` metres off the object's horizontal
extent along a direction ``d``, at ``height`` of the object's height. Differential IK (``mink``,
a maintained QP-based IK library for MuJoCo models) solves for arm + hand joints from the reset
pose; a pose whose robot geoms penetrate the object or the table more than ``PENETRATION`` is
rejected (teleporting into penetration would launch the object), and the next of
``DIRECTIONS`` approach directions, in an order drawn from the env's generator, is tried.

Chosen by measurement (allegro / grasp_lift, the six paper objects, 12 resets x 8 directions):
aiming the fingertip *surface* sites (``RobotSpec.fingertip_sites``) with gap 0.04 m at 0.8 of
the height, 39 of 96 poses were collision-free and every reset had at least one; aiming the
keypoints (Allegro's distal-link origins) or at half the height, 2-24 of 96. From such poses a
scripted squeeze and lift holds the object in 40 of 192 (env, direction) tries
(``benchmarks/scripted_grasp.py``).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
import torch

from trackbench.harness.errors import TrackbenchError

if TYPE_CHECKING:
    from trackbench.harness.robot import Robot
    from trackbench.harness.scene import Scene

DIRECTIONS = 8  # approach directions tried, evenly spaced in the horizontal plane
GAP = 0.04  # m, fingertip to the object's extent along the approach direction
HEIGHT = 0.8  # of the object's height above its lowest point, where the fingertips aim
PENETRATION = 0.003  # m, deepest robot contact accepted in the pose
MAX_ERROR = 0.02  # m, mean fingertip distance to its target accepted
IK_STEPS, IK_DT = 40, 0.1  # mink iterations and their integration step (converged by ~20)
POSTURE_COST = 1e-3  # pulls unconstrained joints towards the reset pose


class PregraspSearch:
    """Pre-grasp robot poses for the envs of one engine (one compiled model per scene variant).

    ``robot``: the robot plugin (its ``build()`` and ``spec.fingertip_sites()``);
    ``scenes``: the engine's scene variants (env i simulates ``scenes[i % len(scenes)]``).
    Raises TrackbenchError if ``mink`` is missing or a scene has no free object to grasp.
    """

    def __init__(self, robot: "Robot", scenes: "tuple[Scene, ...]"):
        try:
            import mink  # noqa: F401  (checked here so that a missing install fails at setup)
        except ImportError:
            raise TrackbenchError("task.pregrasp_start needs the 'mink' package "
                                  "(pip install mink)") from None
        import mujoco

        self._mj = mujoco
        self.robot = robot
        self.scenes = tuple(scenes)
        self.sites = robot.spec.fingertip_sites()
        joints = robot.spec.arm_joints + robot.spec.hand_joints
        alone = robot.build().compile()
        robot_bodies = {alone.body(b).name for b in range(1, alone.nbody)}
        self._models, self._datas, self._qpos, self._object_qpos = [], [], [], []
        self._robot_body: list[np.ndarray] = []  # per variant: [nbody] bool
        for scene in self.scenes:
            if not scene.objects:
                raise TrackbenchError("task.pregrasp_start needs a scene with a tracked object")
            model_spec = robot.build()
            scene.build(model_spec)
            model = model_spec.compile()
            self._models.append(model)
            self._datas.append(mujoco.MjData(model))
            self._qpos.append(np.array([model.jnt_qposadr[model.joint(j.name).id] for j in joints]))
            body = model.body(scene.objects[0].body).id
            free = [j for j in range(model.njnt) if model.jnt_bodyid[j] == body
                    and model.jnt_type[j] == mujoco.mjtJoint.mjJNT_FREE]
            if not free:
                raise TrackbenchError(f"task.pregrasp_start: object '{scene.objects[0].body}' is "
                                      "not free to move (nothing to grasp)")
            self._object_qpos.append(int(model.jnt_qposadr[free[0]]))
            self._robot_body.append(np.array([model.body(b).name in robot_bodies
                                              for b in range(model.nbody)]))

    def solve(self, env_id: int, robot_qpos: torch.Tensor, object_pos: torch.Tensor,
              object_quat: torch.Tensor, generator: torch.Generator,
              progress: float = 1.0) -> torch.Tensor | None:
        """A pre-grasp pose [n_dof] (rad, arm then hand) for env ``env_id`` whose reset puts the
        robot at ``robot_qpos`` [n_dof] and object 0 at ``object_pos`` [3] (m, world) with
        ``object_quat`` [4] (w, x, y, z); None if no direction gives a collision-free pose.
        ``progress`` < 1 returns the pose that far of the way in from the reset instead
        (:meth:`between`), from the first direction whose pre-grasp *and* that pose are
        collision-free: joint-space paths round the object from some directions.
        Consumes one draw of ``generator`` (the direction order)."""
        found = self._first_direction(env_id, robot_qpos, object_pos, object_quat, generator,
                                      progress)
        return None if found is None else found[0]

    def solve_with_squeeze(self, env_id: int, robot_qpos: torch.Tensor, object_pos: torch.Tensor,
                           object_quat: torch.Tensor, generator: torch.Generator, squeeze: float
                           ) -> tuple[torch.Tensor, torch.Tensor] | None:
        """As :meth:`solve`, plus the pose [n_dof] of the same approach direction whose fingertips
        aim ``squeeze`` m inside the object's extent (from the pre-grasp: what a closing hand
        aims at, so that its position servos press). None if no pre-grasp exists."""
        found = self._first_direction(env_id, robot_qpos, object_pos, object_quat, generator)
        if found is None:
            return None
        pose, angle = found
        return pose, self.pose(env_id, pose, object_pos, object_quat, angle, gap=-squeeze)

    def _first_direction(self, env_id: int, robot_qpos: torch.Tensor, object_pos: torch.Tensor,
                         object_quat: torch.Tensor, generator: torch.Generator,
                         progress: float = 1.0) -> tuple[torch.Tensor, float] | None:
        """(pose, approach angle in rad) of the first collision-free direction, in an order drawn
        from ``generator`` (one draw); None if none. ``progress``: as in :meth:`solve`."""
        first = int(torch.randint(DIRECTIONS, (1,), generator=generator))
        for k in range(DIRECTIONS):
            angle = 2.0 * math.pi * ((first + k) % DIRECTIONS) / DIRECTIONS
            pose = self.pose(env_id, robot_qpos, object_pos, object_quat, angle)
            if pose is not None and progress < 1.0:
                pose = self.between(env_id, robot_qpos, pose, progress, object_pos, object_quat)
            if pose is not None:
                return pose, angle
        return None

    def pose(self, env_id: int, robot_qpos: torch.Tensor, object_pos: torch.Tensor,
             object_quat: torch.Tensor, angle: float, gap: float = GAP,
             height: float = HEIGHT) -> torch.Tensor | None:
        """The pose [n_dof] for one approach ``angle`` (rad about world z: the thumb on the
        +direction side) with the fingertips ``gap`` m off the object's extent at ``height`` of its
        height (0 bottom, 1 top), IK started from
        ``robot_qpos``; None if it misses its targets or penetrates. A negative ``gap`` asks for
        a squeeze (the targets inside the object): returned without the penetration check."""
        variant = env_id % len(self.scenes)
        model, data = self._place(variant, robot_qpos, object_pos, object_quat)
        qpos_at = self._qpos[variant]
        body = model.body(self.scenes[variant].objects[0].body).id
        points = self.scenes[variant].objects[0].points @ data.xmat[body].reshape(3, 3).T \
            + data.xpos[body]
        qpos = self._pose(model, data, data.qpos.copy(), points, angle, gap, height,
                          qpos_at, self._robot_body[variant])
        if qpos is None:
            return None
        return torch.as_tensor(qpos[qpos_at], dtype=robot_qpos.dtype, device=robot_qpos.device)

    def between(self, env_id: int, reset_qpos: torch.Tensor, pose: torch.Tensor, progress: float,
                object_pos: torch.Tensor, object_quat: torch.Tensor) -> torch.Tensor | None:
        """The pose [n_dof] (rad) ``progress`` of the way from ``reset_qpos`` [n_dof] to the
        pre-grasp ``pose`` [n_dof], joint by joint (0: the reset, 1: the pre-grasp): a start on
        the way in for the reverse curriculum (``task.pregrasp_progress``). None if it penetrates
        the object or the table more than ``PENETRATION`` with object 0 at ``object_pos`` [3] (m)
        and ``object_quat`` [4] (w, x, y, z)."""
        if not 0.0 <= progress <= 1.0:
            raise ValueError(f"progress must be in [0, 1], got {progress}")
        between = reset_qpos + progress * (pose - reset_qpos)
        variant = env_id % len(self.scenes)
        model, data = self._place(variant, between, object_pos, object_quat)
        if _deepest_robot_contact(model, data, self._robot_body[variant]) < -PENETRATION:
            return None
        return between

    def _place(self, variant: int, robot_qpos: torch.Tensor, object_pos: torch.Tensor,
               object_quat: torch.Tensor):
        """(model, data) of scene ``variant`` with the robot at ``robot_qpos`` and object 0 at
        ``object_pos`` / ``object_quat``, forwarded (contacts computed)."""
        model, data = self._models[variant], self._datas[variant]
        qpos_at, obj_at = self._qpos[variant], self._object_qpos[variant]
        self._mj.mj_resetData(model, data)
        data.qpos[qpos_at] = robot_qpos.detach().cpu().double().numpy()
        data.qpos[obj_at:obj_at + 3] = object_pos.detach().cpu().double().numpy()
        data.qpos[obj_at + 3:obj_at + 7] = object_quat.detach().cpu().double().numpy()
        self._mj.mj_forward(model, data)
        return model, data

    def _pose(self, model, data, start: np.ndarray, points: np.ndarray, angle: float,
              gap: float, height: float, robot_qpos_at: np.ndarray,
              robot_body: np.ndarray) -> np.ndarray | None:
        import mink

        direction = np.array([math.cos(angle), math.sin(angle), 0.0])
        centre = points.mean(axis=0)
        low, high = points[:, 2].min(), points[:, 2].max()
        aim = np.array([centre[0], centre[1], low + height * (high - low)])
        reach = np.abs((points - centre) @ direction).max() + gap
        targets = [aim + reach * direction] + [aim - reach * direction] * (len(self.sites) - 1)
        configuration = mink.Configuration(model, start.copy())
        tasks = []
        for site, target in zip(self.sites, targets):
            task = mink.FrameTask(site, "site", position_cost=1.0, orientation_cost=0.0)
            task.set_target(mink.SE3.from_translation(target))
            tasks.append(task)
        posture = mink.PostureTask(model, cost=POSTURE_COST)
        posture.set_target(start)
        tasks.append(posture)
        limits = [mink.ConfigurationLimit(model)]
        for _ in range(IK_STEPS):
            velocity = mink.solve_ik(configuration, tasks, IK_DT, "daqp", damping=1e-3,
                                     limits=limits)
            configuration.integrate_inplace(velocity, IK_DT)
        # Only the robot moves; the object stays where the reset puts it.
        data.qpos[:] = start
        data.qpos[robot_qpos_at] = configuration.q[robot_qpos_at]
        self._mj.mj_forward(model, data)
        if gap < 0:
            return data.qpos.copy()
        error = np.mean([np.linalg.norm(data.site(site).xpos - target)
                         for site, target in zip(self.sites, targets)])
        if error > MAX_ERROR or _deepest_robot_contact(model, data, robot_body) < -PENETRATION:
            return None
        return data.qpos.copy()


def _deepest_robot_contact(model, data, robot_body: np.ndarray) -> float:
    """The most negative contact distance (m) that involves a robot geom (0 if none): contacts
    between the world and objects (an object resting on the table) do not count."""
    deepest = 0.0
    for i in range(data.ncon):
        contact = data.contact[i]
        if robot_body[model.geom_bodyid[contact.geom1]] or robot_body[model.geom_bodyid[contact.geom2]]:
            deepest = min(deepest, float(contact.dist))
    return deepest
