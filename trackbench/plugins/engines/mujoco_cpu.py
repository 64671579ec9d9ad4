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

from trackbench.api import ControlLaw, Engine, EngineSpec, State, unstable_envs
from trackbench.plugins.engines.scene_model import SceneModels, make_state, scene_points


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
        self.models = SceneModels.build(robot, self.scenes, spec)
        self.variant_models = self.models.models
        self.model = self.models.model
        self._control_law = ControlLaw(self.robot, self.spec)
        self._nstate = self.models.nstate
        self._scratch = [mujoco.MjData(variant) for variant in self.variant_models]
        self._variant = np.arange(num_envs) % len(self.scenes)
        threads = spec.num_threads or os.cpu_count() or 1
        self.num_threads = threads
        self._pool = rollout.Rollout(nthread=threads)
        self._datas = [mujoco.MjData(self.model) for _ in range(threads)]
        self.env_models = [self.variant_models[v] for v in self._variant]
        self._nstep = spec.physics_steps_per_control
        n, nstate, nu = num_envs, self._nstate, self.model.nu
        self._physics = self.models.default_physics[self._variant].copy()
        self._control = np.zeros((n, self._nstep, nu))
        self._out_state = np.zeros((n, self._nstep, nstate))
        self._out_sensors = np.zeros((n, self._nstep, self.model.nsensordata))
        self._sensors = np.zeros((n, self.model.nsensordata))
        self._targets = np.tile(self.models.default_qpos, (n, 1))
        self._steps = np.zeros(n, dtype=np.int64)
        self._unstable = np.zeros(n, dtype=bool)
        self.unstable_resets = 0
        self._points = torch.as_tensor(np.stack([scene_points(s) for s in self.scenes])[self._variant],
                                       dtype=torch.float32)  # [N, n_obj, P, 3] body frames
        self._class_ids = torch.tensor(
            [[o.class_id for o in self.scenes[v].objects] for v in self._variant], dtype=torch.long
        ).reshape(n, len(self.scene.objects))
        self.reset(torch.arange(n))

    def model_of(self, env_id: int):
        """The compiled model env ``env_id`` runs (its scene variant's)."""
        return self.env_models[env_id]

    # ---- the Engine contract -------------------------------------------------------------------
    def reset(self, env_ids, robot_qpos=None, object_pos=None, object_quat=None) -> None:
        ids = np.asarray(env_ids.cpu() if hasattr(env_ids, "cpu") else env_ids, dtype=np.int64)
        if ids.size == 0:
            return
        physics = self.models.default_physics[self._variant[ids]]
        qpos = physics[:, self.models.qpos_at:self.models.qpos_at + self.model.nq]
        targets = self.models.reset_qpos(qpos, *(None if value is None else _numpy(value)
                                                 for value in (robot_qpos, object_pos, object_quat)))
        self._physics[ids] = physics
        self._targets[ids] = targets
        self._steps[ids] = 0
        self._refresh_sensors(ids)

    def step(self, actions):
        self.check_actions(actions)
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
        qvel = self._physics[:, self.models.qvel_at:self.models.qvel_at + self.model.nv]
        expected_time = self._steps * self._nstep * self.model.opt.timestep
        restarted = np.abs(self._physics[:, 0] - expected_time) > 1e-6  # time comes first
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
        torch, models = self._torch, self.models
        qpos = self._physics[:, models.qpos_at:models.qpos_at + self.model.nq]
        qvel = self._physics[:, models.qvel_at:models.qvel_at + self.model.nv]
        tensor = lambda x: torch.as_tensor(np.ascontiguousarray(x))  # noqa: E731
        return make_state(models, tensor(qpos), tensor(qvel), tensor(self._sensors),
                          tensor(self._targets), tensor(self._steps), self._points,
                          self._class_ids)

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
