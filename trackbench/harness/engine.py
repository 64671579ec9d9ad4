"""The engine plugin contract: N parallel copies of robot + scene, stepped by PD joint targets.

Control follows the paper's released code: the policy acts at ``control_hz``; hand targets are
absolute (actions in [-1, 1] scaled to the joint limits), arm targets are deltas
(previous target + arm_speed_scale · sim_dt · action), all clamped to the joint limits, unless the
robot asks for wrist-delta arm actions. That law is ``trackbench.harness.control.ControlLaw``
and the blow-up rule is
``trackbench.harness.instability.unstable_envs``: an engine calls both, so it only steps the
targets and reports physics facts, and every engine controls and resets envs alike.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import TYPE_CHECKING, ClassVar, Literal, Sequence

from pydantic import Field, model_validator

from trackbench.harness.specs import PluginSpec, added_setting

if TYPE_CHECKING:
    import numpy as np
    import torch

    from trackbench.harness.robot import Robot
    from trackbench.harness.scene import Scene
    from trackbench.harness.state import State


MAX_PHYSICS_STEPS_PER_CONTROL = 1000  # the default is 12
MAX_THREADS = 1024  # each worker thread holds its own MjData
# A sphere ``Engine.render`` draws over the scene: (position [3] in metres, world frame; RGBA).
Marker = tuple["Sequence[float] | np.ndarray", tuple[float, float, float, float]]


class EngineSpec(PluginSpec):
    """Physics settings every engine honours. An engine whose Spec adds a ``device`` field
    (``mjwarp``) runs on the training device: ``trackbench run --device`` sets it unless
    ``--set engine.device=...`` does."""

    # Bounds keep a typo from allocating per-control-step buffers of absurd size.
    sim_dt: float = Field(default=1 / 120, ge=1e-5, le=0.1, description="physics dt of the paper (s)")
    substeps: int = Field(default=2, ge=1, le=100,
                          description="physics substeps per sim_dt (PhysX used 2)")
    control_hz: float = Field(default=20.0, gt=0, le=1000, description="policy rate (Hz)")
    num_threads: int = Field(default=0, ge=0, le=MAX_THREADS,
                             description="worker threads; 0 = all cores")
    max_joint_speed: float = Field(
        default=200.0, gt=0, description="|q̇| above this (rad/s or m/s) counts as an explosion"
    )
    # Grasping needs friction that holds. MuJoCo's defaults (pyramidal cones, impratio 1) keep
    # friction as soft as the normal contact, and a held object creeps out of the hand: a
    # scripted grasp of the paper's objects through the action space held 5 of 192 (env,
    # direction) tries with them and 40 of 192 with elliptic cones and impratio 10
    # (`benchmarks/scripted_grasp.py allegro grasp_lift 24 [friction_cone=pyramidal impratio=1]`).
    # MuJoCo's XML reference (option/@cone, option/@impratio) describes elliptic cones as the
    # more accurate model and impratio > 1 as harder friction (less slip).
    friction_cone: Literal["elliptic", "pyramidal"] = added_setting(
        "elliptic", before="pyramidal", since="2026-11-30",
        description="MuJoCo friction cone (MuJoCo's default: pyramidal)")
    impratio: float = added_setting(10.0, before=1.0, since="2026-11-30", ge=1, le=1000, description=(
        "frictional-to-normal constraint impedance ratio: > 1 makes friction harder, less slip "
        "(MuJoCo's default: 1)"))

    @model_validator(mode="after")
    def _whole_decimation(self) -> "EngineSpec":
        ratio = 1.0 / (self.control_hz * self.sim_dt)
        if abs(ratio - round(ratio)) > 1e-6 or round(ratio) < 1:
            raise ValueError(f"1/(control_hz·sim_dt) = {ratio:.4f} must be a whole number")
        if round(ratio) * self.substeps > MAX_PHYSICS_STEPS_PER_CONTROL:
            raise ValueError(f"{round(ratio)} sim_dt steps × {self.substeps} substeps per control "
                             f"step exceeds {MAX_PHYSICS_STEPS_PER_CONTROL}")
        return self

    @property
    def decimation(self) -> int:
        """sim_dt steps per control step (6 at the paper's 1/120 s and 20 Hz)."""
        return round(1.0 / (self.control_hz * self.sim_dt))

    @property
    def physics_steps_per_control(self) -> int:
        return self.decimation * self.substeps


class Engine(ABC):
    """Base of engine plugins."""

    name: ClassVar[str]
    Spec: ClassVar[type[EngineSpec]]

    def __init__(self, spec: EngineSpec, robot: "Robot", scenes: "Scene | Sequence[Scene]",
                 num_envs: int, seed: int):
        from trackbench.harness.scene import Scene, check_variants

        self.spec, self.robot = spec, robot
        # Scene variants (e.g. one object class each): env i simulates scenes[i % len(scenes)].
        self.scenes: tuple[Scene, ...] = (scenes,) if isinstance(scenes, Scene) else tuple(scenes)
        check_variants(self.scenes)
        self.scene = self.scenes[0]
        self.num_envs, self.seed = num_envs, seed

    @classmethod
    def check_spec(cls, spec: EngineSpec) -> None:
        """Raise TrackbenchError if this engine cannot run with ``spec`` on this machine (a
        package it needs is missing, its device is absent). ``trackbench run`` calls it once
        per plan before any cell starts; an engine that needs it calls it in ``__init__`` too,
        for callers that did not plan. Must be cheap: no model is built here."""

    @property
    def num_actions(self) -> int:
        return self.robot.spec.num_actions

    def check_actions(self, actions) -> None:
        """Raise TrackbenchError unless ``actions`` is [num_envs, num_actions]; engines call it
        first in :meth:`step`, so every engine refuses a wrong shape with the same message."""
        from trackbench.harness.errors import TrackbenchError

        expected = (self.num_envs, self.num_actions)
        if tuple(actions.shape) != expected:
            raise TrackbenchError(
                f"actions must have shape {list(expected)} (num_envs, num_actions) for robot "
                f"'{self.robot.name}', got {list(actions.shape)}"
            )

    @abstractmethod
    def reset(
        self,
        env_ids: "torch.Tensor",
        robot_qpos: "torch.Tensor | None" = None,
        object_pos: "torch.Tensor | None" = None,
        object_quat: "torch.Tensor | None" = None,
    ) -> None:
        """Reset only ``env_ids``: robot at ``robot_qpos`` [n, n_dof] (default pose if None), zero
        velocities, free objects at ``object_pos`` [n, n_obj, 3] / ``object_quat`` (scene defaults
        if None), PD targets = robot pose, step count 0."""

    @abstractmethod
    def step(self, actions: "torch.Tensor") -> "State":
        """Apply actions [num_envs, num_actions] in [-1, 1] for one control step; return State.

        The targets come from ``ControlLaw``. An env that ``unstable_envs`` counts as blown
        up (non-finite, too fast, restarted by the simulator) is reset and flagged in
        :attr:`unstable` for this step; the others carry on.
        """

    @property
    @abstractmethod
    def state(self) -> "State":
        """The State after the last reset/step."""

    @property
    @abstractmethod
    def unstable(self) -> "torch.Tensor":
        """[num_envs] bool: envs reset by the engine during the last step because they blew up."""

    # ---- exact resume ---------------------------------------------------------------------------
    def state_dict(self) -> dict:
        """Everything needed to continue every env exactly where it is (physics state, PD
        targets, step counters), saved with each training checkpoint. The default takes every
        tensor, array and number attribute (``trackbench.harness.snapshot``); override it when
        the physics state lives elsewhere (in a simulator handle, on a GPU)."""
        from trackbench.harness.snapshot import capture

        return capture(self)

    def load_state_dict(self, state: dict) -> None:
        """Restore :meth:`state_dict`; raises TrackbenchError if it does not fit this engine."""
        from trackbench.harness.snapshot import restore

        restore(self, state, f"engine '{self.name}'")

    @abstractmethod
    def render(self, env_id: int = 0, width: int = 640, height: int = 480,
               camera: str | None = None, keypoints: bool = True, *,
               markers: Sequence[Marker] = (), shadows: bool = True) -> "np.ndarray":
        """An RGB image [height, width, 3] uint8 of one env, keypoints drawn as coloured spheres.

        ``markers``: extra spheres (``Marker``: world position in metres, RGBA in [0, 1]) drawn
        unlit, so that each shows its exact colour where nothing hides it (``trackbench video``
        draws a method's fingertip targets with them). ``shadows=False`` skips the shadow pass,
        which dominates the cost on a software GL renderer. Engines may keep their offscreen
        context between calls of one size (a video renders thousands of frames).
        Raises TrackbenchError for an unknown camera or when no offscreen context can be made."""

