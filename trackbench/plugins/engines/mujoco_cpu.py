"""MuJoCo on the CPU: N copies of one compiled model stepped in parallel by ``mujoco.rollout``.

One control step is one rollout call of ``decimation × substeps`` physics steps for all envs: the
whole step runs in MuJoCo's C thread pool with the GIL released, and the State is read from the
returned physics state and sensor arrays without a Python loop over envs.

Timing note: MuJoCo evaluates sensors before integrating, so keypoints, wrist and object poses in
State describe the configuration one physics substep (1/240 s by default) before ``joint_pos``.
"""

from __future__ import annotations

import os

import numpy as np

from trackbench.api import ControlLaw, Engine, EngineSpec, State, TrackbenchError, unstable_envs


class MujocoEngine(Engine):
    """MuJoCo (CPU): parallel envs via mujoco.rollout's thread pool (default engine)."""

    name = "mujoco"

    class Spec(EngineSpec):
        pass

    def __init__(self, spec, robot, scenes, num_envs, seed):
        super().__init__(spec, robot, scenes, num_envs, seed)
        import mujoco
        import torch
        from mujoco import rollout

        self._mj, self._torch = mujoco, torch
        # One compiled model per scene variant; mujoco.rollout steps a list of models that share
        # one size signature, so env i simply runs variant i % n_variants.
        self.variant_models = [self._compile(scene) for scene in self.scenes]
        self.model = self.variant_models[0]
        self._index_model()
        self._variant = np.arange(num_envs) % len(self.scenes)
        threads = spec.num_threads or os.cpu_count() or 1
        self.num_threads = threads
        self._pool = rollout.Rollout(nthread=threads)
        self._datas = [mujoco.MjData(self.model) for _ in range(threads)]
        self.env_models = [self.variant_models[v] for v in self._variant]
        self._nstep = spec.physics_steps_per_control
        n, nstate, nu = num_envs, self._nstate, self.model.nu
        self._physics = self._default_physics[self._variant].copy()
        self._control = np.zeros((n, self._nstep, nu))
        self._out_state = np.zeros((n, self._nstep, nstate))
        self._out_sensors = np.zeros((n, self._nstep, self.model.nsensordata))
        self._sensors = np.zeros((n, self.model.nsensordata))
        self._targets = np.tile(self._default_qpos, (n, 1))
        self._steps = np.zeros(n, dtype=np.int64)
        self._unstable = np.zeros(n, dtype=bool)
        self.unstable_resets = 0
        self._points = torch.as_tensor(np.stack([_scene_points(s) for s in self.scenes])[self._variant],
                                       dtype=torch.float32)  # [N, n_obj, P, 3] body frames
        self._class_ids = torch.tensor(
            [[o.class_id for o in self.scenes[v].objects] for v in self._variant], dtype=torch.long
        ).reshape(n, len(self.scene.objects))
        self.reset(torch.arange(n))

    def model_of(self, env_id: int):
        """The compiled model env ``env_id`` runs (its scene variant's)."""
        return self.env_models[env_id]

    # ---- model construction -------------------------------------------------------------------
    def _compile(self, scene):
        mujoco = self._mj
        model_spec = self.robot.build()
        scene.build(model_spec)
        model_spec.option.timestep = self.spec.sim_dt / self.spec.substeps
        model_spec.option.integrator = mujoco.mjtIntegrator.mjINT_IMPLICITFAST
        model_spec.option.cone = (mujoco.mjtCone.mjCONE_ELLIPTIC if self.spec.friction_cone
                                  == "elliptic" else mujoco.mjtCone.mjCONE_PYRAMIDAL)
        model_spec.option.impratio = self.spec.impratio
        self._add_sensors(model_spec, scene)
        try:
            return model_spec.compile()
        except ValueError as error:
            raise TrackbenchError(
                f"robot '{self.robot.name}' with this scene does not compile in MuJoCo: {error}"
            ) from None

    def _add_sensors(self, model_spec, scene) -> None:
        mujoco = self._mj
        sensor, obj = mujoco.mjtSensor, mujoco.mjtObj
        robot = self.robot.spec
        for keypoint in robot.keypoints:
            model_spec.add_sensor(type=sensor.mjSENS_FRAMEPOS, objtype=obj.mjOBJ_SITE,
                                  objname=keypoint.site)
        model_spec.add_sensor(type=sensor.mjSENS_FRAMEPOS, objtype=obj.mjOBJ_SITE,
                              objname=robot.wrist_site)
        model_spec.add_sensor(type=sensor.mjSENS_FRAMEQUAT, objtype=obj.mjOBJ_SITE,
                              objname=robot.wrist_site)
        for tracked in scene.objects:
            for kind in (sensor.mjSENS_FRAMEPOS, sensor.mjSENS_FRAMEQUAT,
                         sensor.mjSENS_FRAMELINVEL, sensor.mjSENS_FRAMEANGVEL):
                model_spec.add_sensor(type=kind, objtype=obj.mjOBJ_XBODY, objname=tracked.body)

    def _index_model(self) -> None:
        mujoco, model = self._mj, self.model
        robot = self.robot.spec
        joints = robot.arm_joints + robot.hand_joints
        try:
            ids = [model.joint(j.name).id for j in joints]
            actuators = [model.actuator(j.name).id for j in joints]
        except KeyError as error:
            raise TrackbenchError(f"robot '{self.robot.name}' model lacks joint/actuator {error}") from None
        if actuators != list(range(len(joints))) or model.nu != len(joints):
            raise TrackbenchError(
                f"robot '{self.robot.name}': the model needs exactly one actuator per joint, in "
                f"action order (arm then hand); found nu={model.nu}"
            )
        self._joint_qpos = np.array([model.jnt_qposadr[i] for i in ids])
        self._joint_dof = np.array([model.jnt_dofadr[i] for i in ids])
        self._lower = np.array([j.lower for j in joints])
        self._upper = np.array([j.upper for j in joints])
        self._default_qpos = np.array([j.default for j in joints])
        self._control_law = ControlLaw(self.robot, self.spec)
        self._object_qpos = []
        for tracked in self.scene.objects:
            body = model.body(tracked.body)
            free = [j for j in range(model.njnt) if model.jnt_bodyid[j] == body.id
                    and model.jnt_type[j] == mujoco.mjtJoint.mjJNT_FREE]
            self._object_qpos.append(model.jnt_qposadr[free[0]] if free else -1)
        self._articulation_qpos = np.array(
            [model.jnt_qposadr[model.joint(name).id] for name in self.scene.articulations], dtype=int
        )
        # Offsets of qpos/qvel inside the full-physics state vector (time comes first).
        full = mujoco.mjtState.mjSTATE_FULLPHYSICS.value
        self._nstate = mujoco.mj_stateSize(model, full)
        self._time_at = 0
        self._qpos_at = mujoco.mj_stateSize(model, mujoco.mjtState.mjSTATE_TIME.value)
        self._qvel_at = self._qpos_at + model.nq
        self._default_physics = np.stack([
            self._default_state(variant, scene) for variant, scene in zip(self.variant_models, self.scenes)
        ])
        self._scratch = [mujoco.MjData(variant) for variant in self.variant_models]

    def _default_state(self, model, scene) -> np.ndarray:
        """Full physics state of one variant: robot in its default pose, objects at their spawn."""
        mujoco = self._mj
        if mujoco.mj_stateSize(model, mujoco.mjtState.mjSTATE_FULLPHYSICS.value) != self._nstate \
                or model.nu != self.model.nu or model.nsensordata != self.model.nsensordata:
            raise TrackbenchError("scene variants compile to models of different sizes; variants "
                                  "may differ in meshes and masses, not in bodies or joints")
        data = mujoco.MjData(model)
        data.qpos[self._joint_qpos] = self._default_qpos
        for tracked, adr in zip(scene.objects, self._object_qpos):
            if adr >= 0:
                data.qpos[adr:adr + 7] = (*tracked.init_pos, *tracked.init_quat)
        data.ctrl[:] = self._default_qpos
        mujoco.mj_forward(model, data)
        physics = np.empty(self._nstate)
        mujoco.mj_getState(model, data, physics, mujoco.mjtState.mjSTATE_FULLPHYSICS.value)
        return physics

    # ---- the Engine contract -------------------------------------------------------------------
    def reset(self, env_ids, robot_qpos=None, object_pos=None, object_quat=None) -> None:
        ids = np.asarray(env_ids.cpu() if hasattr(env_ids, "cpu") else env_ids, dtype=np.int64)
        if ids.size == 0:
            return
        physics = self._default_physics[self._variant[ids]]
        qpos = physics[:, self._qpos_at:self._qpos_at + self.model.nq]
        if robot_qpos is not None:
            q = np.clip(_numpy(robot_qpos), self._lower, self._upper)
            qpos[:, self._joint_qpos] = q
        targets = qpos[:, self._joint_qpos].copy()
        for index, adr in enumerate(self._object_qpos):
            if adr < 0:
                continue
            if object_pos is not None:
                qpos[:, adr:adr + 3] = _numpy(object_pos)[:, index]
            if object_quat is not None:
                quat = _numpy(object_quat)[:, index]
                qpos[:, adr + 3:adr + 7] = quat / np.linalg.norm(quat, axis=1, keepdims=True)
        self._physics[ids] = physics
        self._targets[ids] = targets
        self._steps[ids] = 0
        self._refresh_sensors(ids)

    def step(self, actions):
        expected = (self.num_envs, self.num_actions)
        if tuple(actions.shape) != expected:
            raise TrackbenchError(
                f"actions must have shape {list(expected)} (num_envs, num_actions) for robot "
                f"'{self.robot.name}', got {list(actions.shape)}"
            )
        self._targets[:] = self._control_law(self._targets, _numpy(actions))
        self._control[:] = self._targets[:, None, :]
        self._pool.rollout(
            self.env_models, self._datas, self._physics, self._control,
            nstep=self._nstep, state=self._out_state, sensordata=self._out_sensors,
            skip_checks=True,
        )
        self._physics[:] = self._out_state[:, -1]
        self._sensors[:] = self._out_sensors[:, -1]
        self._steps += 1
        self._unstable[:] = unstable_envs(*self._physics_facts(), self.spec.max_joint_speed)
        if self._unstable.any():
            bad = np.flatnonzero(self._unstable)
            self.unstable_resets += bad.size
            self.reset(bad)
        return self.state

    def _physics_facts(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(finite [N], joint velocities [N, nv], restarted [N]) for ``unstable_envs``. MuJoCo
        restarts a diverged MjData by itself, zeroing its time: a time off the step count
        shows it."""
        finite = np.isfinite(self._physics).all(axis=1) & np.isfinite(self._sensors).all(axis=1)
        qvel = self._physics[:, self._qvel_at:self._qvel_at + self.model.nv]
        expected_time = self._steps * self._nstep * self.model.opt.timestep
        restarted = np.abs(self._physics[:, self._time_at] - expected_time) > 1e-6
        return finite, qvel, restarted

    def _refresh_sensors(self, ids: np.ndarray) -> None:
        mujoco = self._mj
        full = mujoco.mjtState.mjSTATE_FULLPHYSICS.value
        for i in ids:
            model, data = self.env_models[i], self._scratch[self._variant[i]]
            mujoco.mj_setState(model, data, self._physics[i], full)
            mujoco.mj_forward(model, data)
            self._sensors[i] = data.sensordata

    @property
    def unstable(self):
        return self._torch.as_tensor(self._unstable.copy())

    @property
    def state(self) -> State:
        torch = self._torch
        n, robot = self.num_envs, self.robot.spec
        f32 = lambda x: torch.as_tensor(np.ascontiguousarray(x), dtype=torch.float32)  # noqa: E731
        qpos = self._physics[:, self._qpos_at:self._qpos_at + self.model.nq]
        qvel = self._physics[:, self._qvel_at:self._qvel_at + self.model.nv]
        k = len(robot.keypoints)
        sensors = self._sensors
        keypoints = sensors[:, :3 * k].reshape(n, k, 3)
        wrist_pos, wrist_quat = sensors[:, 3 * k:3 * k + 3], sensors[:, 3 * k + 3:3 * k + 7]
        objects = sensors[:, 3 * k + 7:].reshape(n, len(self.scene.objects), 13)
        object_pos, object_quat = f32(objects[..., 0:3]), f32(objects[..., 3:7])
        return State(
            joint_pos=f32(qpos[:, self._joint_qpos]),
            joint_vel=f32(qvel[:, self._joint_dof]),
            joint_target=f32(self._targets),
            keypoints=f32(keypoints),
            wrist_pos=f32(wrist_pos),
            wrist_quat=f32(wrist_quat),
            object_pos=object_pos,
            object_quat=object_quat,
            object_linvel=f32(objects[..., 7:10]),
            object_angvel=f32(objects[..., 10:13]),
            object_points=pose_points(self._points, object_pos, object_quat),
            object_class_ids=self._class_ids.clone(),
            articulation_pos=f32(qpos[:, self._articulation_qpos]),
            step=torch.as_tensor(self._steps.copy()),
        )

    # Exact resume: the full physics state (qpos, qvel, act, warm-start, time) of every env,
    # the sensors read from it, PD targets and counters. The rollout scratch arrays are not state.
    RESUME_STATE = ("_physics", "_sensors", "_targets", "_steps", "_unstable", "unstable_resets")

    def state_dict(self) -> dict:
        from trackbench.api import capture

        return capture(self, self.RESUME_STATE)

    def render(self, env_id=0, width=640, height=480, camera=None, keypoints=True, *,
               markers=(), shadows=True):
        from trackbench.plugins.engines.render import render_env

        return render_env(self, env_id, width, height, camera, keypoints, markers, shadows)

    # Used by `render` and by tests that inject faults.
    def physics_state(self, env_id: int) -> np.ndarray:
        return self._physics[env_id]


def _numpy(value) -> np.ndarray:
    if hasattr(value, "detach"):
        return value.detach().cpu().numpy()
    return np.asarray(value)


def _scene_points(scene) -> np.ndarray:
    """[n_obj, P, 3] body-frame surface points of a scene's tracked objects."""
    if not scene.objects:
        return np.zeros((0, 0, 3))
    return np.stack([o.points for o in scene.objects])


def pose_points(points, pos, quat):
    """Body-frame points [n_obj, P, 3] or per env [N, n_obj, P, 3], posed by pos [N, n_obj, 3]
    and quat (w, x, y, z) → world-frame [N, n_obj, P, 3]."""
    import torch

    if points.numel() == 0:
        return torch.zeros(pos.shape[0], pos.shape[1], 0, 3)
    w, xyz = quat[..., :1].unsqueeze(-2), quat[..., 1:].unsqueeze(-2)  # [N, n_obj, 1, 1|3]
    p = points if points.dim() == 4 else points.unsqueeze(0).expand(pos.shape[0], -1, -1, -1)
    xyz = xyz.expand_as(p)
    t = 2.0 * torch.cross(xyz, p, dim=-1)  # rotate: p + w·t + xyz × t
    return p + w * t + torch.cross(xyz, t, dim=-1) + pos.unsqueeze(-2)
