"""MuJoCo Warp: thousands of worlds of the scenes the ``mujoco`` engine builds, on a GPU.

The same compiled MjModels (``scene_model.py``: robot MJCF, task scene, EngineSpec options,
sensors) are put on a warp device, one mjwarp Model and Data per scene variant: env i runs
variant i % V as world i // V of that variant's Data. Per control step the ``ControlLaw`` runs
on the device in torch, its targets are written into the worlds' ctrl in place, and one captured
graph per variant replays decimation × substeps ``mjw.step`` calls (``warp_worlds.py``). State,
instability and resets stay on the device; the step's one host sync is asking whether any env
blew up.

Differences from the CPU engine: mjwarp computes in float32 (the CPU engine in float64), so
trajectories agree within a tolerance, not bitwise; contacts and constraint rows live in
buffers of fixed size (``nconmax``, ``njmax``), and a world that overflows one is reset like
a world that blew up (``unstable_envs``' ``overflowed``) and counted in ``overflow_resets``.
``num_threads`` does not apply to warp; it only sets the threads of ``trackbench bench``'s CPU
comparison. Timing note as for the CPU engine: sensors (keypoints, wrist and object poses) are
evaluated before integrating, one physics substep before ``joint_pos``.

Install: ``pip install 'mujoco-warp==4.0.0'`` (the release built for MuJoCo 4.0; the ``gpu``
extra of trackbench pins it). Warp compiles its kernels on first use (minutes on a CPU) into
its kernel cache (``~/.cache/warp``), which later processes reuse.
"""

from __future__ import annotations

import importlib.util
import os

import numpy as np
from pydantic import Field

from trackbench.api import ControlLaw, Engine, EngineSpec, TrackbenchError, capture, restore
from trackbench.api import unstable_envs
from trackbench.plugins.engines.scene_model import SceneModels, make_state, scene_points

INSTALL = "pip install 'mujoco-warp==4.0.0' (or pip install -e '.[gpu]' in a trackbench checkout)"


def install_problem(device: str) -> str | None:
    """Why the mjwarp engine cannot run on ``device`` here, or None if it can."""
    if importlib.util.find_spec("mujoco_warp") is None:
        return f"it needs MuJoCo Warp, which is not installed: {INSTALL}"
    from importlib.metadata import version

    import mujoco

    warp_version, mujoco_version = version("mujoco-warp"), mujoco.__version__
    if warp_version.split(".")[:2] != mujoco_version.split(".")[:2]:
        return (f"mujoco-warp {warp_version} does not match mujoco "
                f"{mujoco_version}; install the mujoco-warp release of the same MuJoCo version")
    if device.startswith("cuda"):
        from trackbench.plugins.engines.warp_worlds import import_warp

        wp, _ = import_warp()
        index = int(device.partition(":")[2] or 0)
        if index >= wp.get_cuda_device_count():
            return (f"--device {device}: warp sees {wp.get_cuda_device_count()} CUDA device(s) "
                    f"on this machine; use --device cpu (warp's CPU device, for tests)")
    return None


class MjwarpEngine(Engine):
    """MuJoCo Warp: the same scenes as 'mujoco', thousands of worlds on a GPU (extra 'gpu')."""

    name = "mjwarp"

    class Spec(EngineSpec):
        device: str = Field(default="cpu", pattern=r"^(cpu|cuda(:\d+)?)$", description=(
            "warp device of the worlds: cuda[:N], or cpu (warp's CPU device: tests only); "
            "`trackbench run --device` sets it"))
        nconmax: int = Field(default=64, ge=1, le=4096, description=(
            "contacts allocated per world (one pool per scene variant)"))
        njmax: int = Field(default=256, ge=1, le=16384, description=(
            "constraint rows allocated per world (contacts, limits)"))
        graph: bool = Field(default=True, description=(
            "replay each control step's physics as a captured graph (CUDA graph on a GPU)"))
        # Results are the same either way (each variant's worlds are their own Model and Data):
        # an execution setting, like the thread counts, that a resume may change. Off by
        # default until measured on a GPU (scripts/gpu_check.py measures both).
        variant_streams: bool = Field(default=False, description=(
            "on a GPU, step each scene variant's worlds on a CUDA stream of its own, side by "
            "side (not yet measured on a GPU); false: one after another on warp's stream"))

    @classmethod
    def check_spec(cls, spec) -> None:
        problem = install_problem(spec.device)
        if problem:
            raise TrackbenchError(problem)

    def __init__(self, spec, robot, scenes, num_envs, seed):
        super().__init__(spec, robot, scenes, num_envs, seed)
        try:
            self.check_spec(spec)
        except TrackbenchError as error:
            raise TrackbenchError(f"engine '{self.name}': {error}") from None
        import torch

        from trackbench.plugins.engines.warp_worlds import WarpWorlds

        self._torch = torch
        # One name for torch and warp: "cuda" is the first GPU to both.
        device = "cuda:0" if spec.device == "cuda" else spec.device
        self.device = torch.device(device)
        self.models = SceneModels.build(robot, self.scenes, spec)
        self.model, self.variant_models = self.models.model, self.models.models
        self._control_law = ControlLaw(self.robot, self.spec)
        n_var = len(self.scenes)
        variant = np.arange(num_envs) % n_var
        self.env_models = [self.variant_models[v] for v in variant]
        self.num_threads = spec.num_threads or os.cpu_count() or 1  # bench's CPU comparison
        self._worlds, self._env_ids = [], []
        for v, model in enumerate(self.variant_models):
            ids = np.flatnonzero(variant == v)
            if ids.size == 0:  # fewer envs than variants: the last ones have no world
                break
            self._worlds.append(WarpWorlds(model, self.models.nstate, ids.size,
                                           device, spec.nconmax, spec.njmax,
                                           spec.physics_steps_per_control, spec.graph,
                                           own_stream=spec.variant_streams))
            self._env_ids.append(torch.as_tensor(ids, device=self.device))
        self._n_var = n_var
        self._default_physics = torch.as_tensor(self.models.default_physics, device=self.device)
        n = num_envs
        self._targets = torch.as_tensor(np.tile(self.models.default_qpos, (n, 1)), device=self.device)
        self._steps = torch.zeros(n, dtype=torch.long, device=self.device)
        self._unstable = torch.zeros(n, dtype=torch.bool, device=self.device)
        self.unstable_resets = 0
        self.overflow_resets = 0  # of those, envs whose contact or constraint buffer overflowed
        self._points = torch.as_tensor(np.stack([scene_points(s) for s in self.scenes])[variant],
                                       dtype=torch.float32, device=self.device)
        self._class_ids = torch.tensor(
            [[o.class_id for o in self.scenes[v].objects] for v in variant], dtype=torch.long,
        ).reshape(n, len(self.scene.objects)).to(self.device)
        self.reset(torch.arange(n))

    def model_of(self, env_id: int):
        """The compiled MjModel env ``env_id`` runs (its scene variant's)."""
        return self.env_models[env_id]

    # ---- the Engine contract -------------------------------------------------------------------
    def reset(self, env_ids, robot_qpos=None, object_pos=None, object_quat=None) -> None:
        torch = self._torch
        ids = torch.as_tensor(env_ids, dtype=torch.long, device=self.device).reshape(-1)
        if ids.numel() == 0:
            return
        # float64 like the CPU engine, so that targets (the reset pose) are the same values.
        physics = self._default_physics[ids % self._n_var].clone()
        nq, at = self.model.nq, self.models.qpos_at
        given = (None if value is None else torch.as_tensor(value, device=self.device).double()
                 for value in (robot_qpos, object_pos, object_quat))
        targets = self.models.reset_qpos(physics[:, at:at + nq], *given)
        self._targets[ids] = targets
        self._steps[ids] = 0
        for worlds, env_ids, mine in self._split(ids):
            worlds.set_physics(env_ids // self._n_var, physics[mine])
            worlds.ctrl[env_ids // self._n_var] = targets[mine].to(worlds.ctrl.dtype)
            worlds.refresh_sensors(env_ids // self._n_var)

    def _split(self, ids):
        """(worlds, env ids of ``ids`` in that variant, their mask over ``ids``) per variant."""
        if self._n_var == 1:
            yield self._worlds[0], ids, slice(None)
            return
        for v, worlds in enumerate(self._worlds):  # self._worlds[v] holds variant v
            mine = ids % self._n_var == v
            yield worlds, ids[mine], mine

    def step(self, actions):
        self.check_actions(actions)
        self._targets.copy_(self._control_law(self._targets, actions))
        # Every variant's inputs first, then every launch, then every join: no torch work between
        # two launches, so that with variant_streams the variants' physics overlap on a GPU.
        for worlds, env_ids in zip(self._worlds, self._env_ids):
            worlds.ctrl.copy_(self._targets[env_ids])
            worlds.overflow.zero_()
        for worlds in self._worlds:
            worlds.launch_step()
        for worlds in self._worlds:
            worlds.join()
        self._steps += 1
        finite, qvel, dropped = self._physics_facts()
        restarted = self._torch.zeros_like(dropped)  # mjwarp never restarts a world by itself
        self._unstable.copy_(unstable_envs(finite, qvel, restarted, self.spec.max_joint_speed,
                                           overflowed=dropped))
        if bool(self._unstable.any()):  # the step's one host sync
            bad = self._unstable.nonzero().squeeze(1)
            self.unstable_resets += int(bad.numel())
            self.overflow_resets += int(dropped[bad].sum())
            self.reset(bad)
        return self.state

    def _physics_facts(self):
        """(finite [N], qvel [N, nv], dropped [N]) for ``unstable_envs``."""
        qpos, qvel, sensors = self._gathered("qpos", "qvel", "sensordata")
        finite = (qpos.isfinite().all(dim=1) & qvel.isfinite().all(dim=1)
                  & sensors.isfinite().all(dim=1))
        dropped = self._torch.zeros(self.num_envs, dtype=self._torch.bool, device=self.device)
        for worlds, env_ids in zip(self._worlds, self._env_ids):
            dropped[env_ids] = worlds.dropped()
        return finite, qvel, dropped

    def _gathered(self, *names):
        """Per-world arrays of every variant, in env order: one [N, ...] tensor per name."""
        if len(self._worlds) == 1:
            return tuple(getattr(self._worlds[0], name) for name in names)
        out = []
        for name in names:
            first = getattr(self._worlds[0], name)
            whole = first.new_empty((self.num_envs, *first.shape[1:]))
            for worlds, env_ids in zip(self._worlds, self._env_ids):
                whole[env_ids] = getattr(worlds, name)
            out.append(whole)
        return tuple(out)

    @property
    def unstable(self):
        return self._unstable.clone()

    @property
    def state(self):
        qpos, qvel, sensors = self._gathered("qpos", "qvel", "sensordata")
        return make_state(self.models, qpos, qvel, sensors, self._targets, self._steps,
                          self._points, self._class_ids)

    # ---- exact resume: every world's full physics state and solver warm start, the sensors
    # read from them, PD targets and counters --------------------------------------------------
    RESUME_STATE = ("_physics", "_warmstart", "_sensors", "_targets", "_steps", "_unstable",
                    "unstable_resets", "overflow_resets")

    def _snapshot(self) -> None:
        physics = [worlds.physics() for worlds in self._worlds]
        whole = physics[0].new_empty((self.num_envs, physics[0].shape[1]))
        for rows, env_ids in zip(physics, self._env_ids):
            whole[env_ids] = rows
        self._physics = whole
        self._warmstart, self._sensors = (x.clone() for x in self._gathered("warmstart", "sensordata"))

    def state_dict(self) -> dict:
        self._snapshot()
        return capture(self, self.RESUME_STATE)

    def load_state_dict(self, state: dict) -> None:
        self._snapshot()
        restore(self, state, f"engine '{self.name}'")
        for worlds, env_ids in zip(self._worlds, self._env_ids):
            every = self._torch.arange(worlds.nworld, device=self.device)
            worlds.set_physics(every, self._physics[env_ids], self._warmstart[env_ids])
            worlds.sensordata.copy_(self._sensors[env_ids])

    # ---- rendering: one world copied back into a MuJoCo MjData, drawn by the CPU renderer -----
    def physics_state(self, env_id: int) -> np.ndarray:
        """[nstate] float64: env ``env_id``'s full physics state in MuJoCo's layout."""
        rows = self._worlds[env_id % self._n_var].physics()
        return rows[env_id // self._n_var].double().cpu().numpy()

    def render(self, env_id=0, width=640, height=480, camera=None, keypoints=True, *,
               markers=(), shadows=True):
        from trackbench.plugins.engines.render import render_env

        return render_env(self, env_id, width, height, camera, keypoints, markers, shadows)
