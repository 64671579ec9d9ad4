"""What the MuJoCo engines share: the compiled model of each scene variant, where the State's
values sit in it, and the State built from physics and sensor arrays.

Both engines (``mujoco`` on the CPU, ``mjwarp`` on MuJoCo Warp) compile the same MjSpec: the
robot's, the task scene added, the EngineSpec's options, and one sensor block appended in this
order: keypoint positions [3 each], wrist position [3] and quaternion [4], then per tracked object
position [3], quaternion [4], linear [3] and angular velocity [3]. So the State of an env is a
slice of its sensor row, its qpos and its qvel, whichever engine stepped it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from trackbench.api import State, TrackbenchError


def compile_variant(robot, scene, spec):
    """The MjModel of ``robot`` in ``scene`` with the EngineSpec ``spec``'s options and sensors."""
    import mujoco

    model_spec = robot.build()
    scene.build(model_spec)
    model_spec.option.timestep = spec.sim_dt / spec.substeps
    model_spec.option.integrator = mujoco.mjtIntegrator.mjINT_IMPLICITFAST
    model_spec.option.cone = (mujoco.mjtCone.mjCONE_ELLIPTIC if spec.friction_cone == "elliptic"
                              else mujoco.mjtCone.mjCONE_PYRAMIDAL)
    model_spec.option.impratio = spec.impratio
    _add_sensors(model_spec, robot.spec, scene)
    try:
        return model_spec.compile()
    except ValueError as error:
        raise TrackbenchError(
            f"robot '{robot.name}' with this scene does not compile in MuJoCo: {error}"
        ) from None


def _add_sensors(model_spec, robot, scene) -> None:
    import mujoco

    sensor, obj = mujoco.mjtSensor, mujoco.mjtObj
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


@dataclass
class SceneModels:
    """The compiled variants of one robot × scene set and the addresses every engine reads.

    ``default_physics`` [n_variants, nstate] is each variant's full physics state (MuJoCo's
    mjSTATE_FULLPHYSICS: time, qpos, qvel, act, ...) with the robot in its default pose and the
    objects at their spawn; ``qpos_at`` / ``qvel_at`` are where qpos and qvel start in it.
    """

    robot: object
    scenes: tuple
    models: list = field(default_factory=list)
    joint_qpos: np.ndarray = None  # [n_dof] qpos address of each robot joint, action order
    joint_dof: np.ndarray = None  # [n_dof] dof address of each robot joint
    lower: np.ndarray = None  # [n_dof] joint limits
    upper: np.ndarray = None
    default_qpos: np.ndarray = None  # [n_dof] the robot's default pose
    object_qpos: list = None  # per tracked object: qpos address of its free joint, -1 if fixed
    articulation_qpos: np.ndarray = None  # [n_art]
    nstate: int = 0
    qpos_at: int = 0
    qvel_at: int = 0
    default_physics: np.ndarray = None

    @classmethod
    def build(cls, robot, scenes, spec) -> "SceneModels":
        """Compile every variant and index the first; raises TrackbenchError if the robot's
        joints and actuators do not line up or the variants compile to different sizes."""
        built = cls(robot, tuple(scenes), [compile_variant(robot, s, spec) for s in scenes])
        built._index()
        return built

    @property
    def model(self):
        return self.models[0]

    def _index(self) -> None:
        import mujoco

        model, spec = self.model, self.robot.spec
        joints = spec.arm_joints + spec.hand_joints
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
        self.joint_qpos = np.array([model.jnt_qposadr[i] for i in ids])
        self.joint_dof = np.array([model.jnt_dofadr[i] for i in ids])
        self.lower = np.array([j.lower for j in joints])
        self.upper = np.array([j.upper for j in joints])
        self.default_qpos = np.array([j.default for j in joints])
        self.object_qpos = []
        for tracked in self.scenes[0].objects:
            body = model.body(tracked.body)
            free = [j for j in range(model.njnt) if model.jnt_bodyid[j] == body.id
                    and model.jnt_type[j] == mujoco.mjtJoint.mjJNT_FREE]
            self.object_qpos.append(model.jnt_qposadr[free[0]] if free else -1)
        self.articulation_qpos = np.array(
            [model.jnt_qposadr[model.joint(name).id] for name in self.scenes[0].articulations],
            dtype=int)
        self.nstate = mujoco.mj_stateSize(model, mujoco.mjtState.mjSTATE_FULLPHYSICS.value)
        self.qpos_at = mujoco.mj_stateSize(model, mujoco.mjtState.mjSTATE_TIME.value)
        self.qvel_at = self.qpos_at + model.nq
        self.default_physics = np.stack([self._default_state(m, s)
                                         for m, s in zip(self.models, self.scenes)])

    def _default_state(self, model, scene) -> np.ndarray:
        """Full physics state of one variant: robot in its default pose, objects at their spawn."""
        import mujoco

        full = mujoco.mjtState.mjSTATE_FULLPHYSICS.value
        if mujoco.mj_stateSize(model, full) != self.nstate or model.nu != self.model.nu \
                or model.nsensordata != self.model.nsensordata:
            raise TrackbenchError("scene variants compile to models of different sizes; variants "
                                  "may differ in meshes and masses, not in bodies or joints")
        data = mujoco.MjData(model)
        data.qpos[self.joint_qpos] = self.default_qpos
        for tracked, adr in zip(scene.objects, self.object_qpos):
            if adr >= 0:
                data.qpos[adr:adr + 7] = (*tracked.init_pos, *tracked.init_quat)
        data.ctrl[:] = self.default_qpos
        mujoco.mj_forward(model, data)
        physics = np.empty(self.nstate)
        mujoco.mj_getState(model, data, physics, full)
        return physics

    def indices_on(self, device) -> tuple:
        """(joint_qpos, joint_dof, articulation_qpos) as long tensors on ``device``, made once:
        a GPU engine reads the State every step without copying addresses to the device."""
        import torch

        cache = self.__dict__.setdefault("_indices", {})
        if device not in cache:
            cache[device] = tuple(torch.as_tensor(adr, dtype=torch.long, device=device) for adr
                                  in (self.joint_qpos, self.joint_dof, self.articulation_qpos))
        return cache[device]

    def reset_qpos(self, qpos, robot_qpos=None, object_pos=None, object_quat=None):
        """Write a reset into ``qpos`` [n, nq] in place (NumPy or torch alike): the robot's joints
        clamped to their limits, free objects' positions and normalised quaternions. Returns the
        robot's joint positions [n, n_dof], the new PD targets."""
        if robot_qpos is not None:
            qpos[:, self.joint_qpos] = robot_qpos.clip(_like(self.lower, qpos), _like(self.upper, qpos))
        for index, adr in enumerate(self.object_qpos):
            if adr < 0:
                continue
            if object_pos is not None:
                qpos[:, adr:adr + 3] = object_pos[:, index]
            if object_quat is not None:
                quat = object_quat[:, index]
                squared = (quat * quat).sum(axis=1, keepdims=True)
                root = np.sqrt(squared) if isinstance(squared, np.ndarray) else squared.sqrt()
                qpos[:, adr + 3:adr + 7] = quat / root
        return qpos[:, self.joint_qpos]


def _like(array: np.ndarray, reference):
    """``array`` as ``reference``'s kind: NumPy as is, a torch tensor on its device and dtype."""
    if isinstance(reference, np.ndarray):
        return array
    import torch

    return torch.as_tensor(array, dtype=reference.dtype, device=reference.device)


def scene_points(scene) -> np.ndarray:
    """[n_obj, P, 3] body-frame surface points of a scene's tracked objects."""
    if not scene.objects:
        return np.zeros((0, 0, 3))
    return np.stack([o.points for o in scene.objects])


def pose_points(points, pos, quat):
    """Body-frame points [n_obj, P, 3] or per env [N, n_obj, P, 3], posed by pos [N, n_obj, 3]
    and quat (w, x, y, z) → world-frame [N, n_obj, P, 3]."""
    import torch

    if points.numel() == 0:
        return torch.zeros(pos.shape[0], pos.shape[1], 0, 3, device=pos.device)
    w, xyz = quat[..., :1].unsqueeze(-2), quat[..., 1:].unsqueeze(-2)  # [N, n_obj, 1, 1|3]
    p = points if points.dim() == 4 else points.unsqueeze(0).expand(pos.shape[0], -1, -1, -1)
    xyz = xyz.expand_as(p)
    t = 2.0 * torch.cross(xyz, p, dim=-1)  # rotate: p + w·t + xyz × t
    return p + w * t + torch.cross(xyz, t, dim=-1) + pos.unsqueeze(-2)


def make_state(models: SceneModels, qpos, qvel, sensors, targets, steps, points, class_ids) -> State:
    """The State of every env from torch tensors of one device: qpos [N, nq], qvel [N, nv],
    sensors [N, nsensordata], PD targets [N, n_dof], steps [N] long, body-frame points
    [N, n_obj, P, 3] and class ids [N, n_obj]. Float fields are float32 copies."""
    import torch

    f32 = lambda x: x.to(torch.float32, copy=True).contiguous()  # noqa: E731
    n, robot = qpos.shape[0], models.robot.spec
    k, n_obj = len(robot.keypoints), len(models.scenes[0].objects)
    joint_qpos, joint_dof, articulation_qpos = models.indices_on(qpos.device)
    keypoints = sensors[:, :3 * k].reshape(n, k, 3)
    wrist_pos, wrist_quat = sensors[:, 3 * k:3 * k + 3], sensors[:, 3 * k + 3:3 * k + 7]
    objects = sensors[:, 3 * k + 7:].reshape(n, n_obj, 13)
    object_pos, object_quat = f32(objects[..., 0:3]), f32(objects[..., 3:7])
    return State(
        joint_pos=f32(qpos[:, joint_qpos]),
        joint_vel=f32(qvel[:, joint_dof]),
        joint_target=f32(targets),
        keypoints=f32(keypoints),
        wrist_pos=f32(wrist_pos),
        wrist_quat=f32(wrist_quat),
        object_pos=object_pos,
        object_quat=object_quat,
        object_linvel=f32(objects[..., 7:10]),
        object_angvel=f32(objects[..., 10:13]),
        object_points=pose_points(points, object_pos, object_quat),
        object_class_ids=class_ids.clone(),
        articulation_pos=f32(qpos[:, articulation_qpos]),
        step=steps.clone(),
    )
