"""The task plugin contract: scene, resets, success/termination and named reward terms.

How the harness drives a task (``trackbench.harness.env``), per control step::

    state = engine.step(actions)
    frame = task.update(state)            # advance per-env buffers, decide success / failure
    reward = rewards.step(frame)          # the method's weighted terms (harness/rewards.py)
    done = frame.success | frame.failed | (state.step >= spec.episode_length) | engine.unstable
           # (frame.success only if task.success_ends_episode(); the episode's success latches)
    for the done envs:  plan = task.reset(ids, generator); engine.reset(ids, **plan.as_kwargs())
                        task.begin(ids, engine.state); method.begin(ids, engine.state)

A task never names a robot: it reads joint limits and defaults from the RobotSpec it is set up
with, and robot keypoints (fingertips, thumb first) from State. Everything per env lives in
torch tensors on the training device, so the same task runs on every engine.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

import torch
from pydantic import Field

from trackbench.harness.errors import TrackbenchError
from trackbench.harness.specs import PluginSpec

if TYPE_CHECKING:
    from trackbench.harness.rewards import RewardTerm
    from trackbench.harness.robot import RobotSpec
    from trackbench.harness.scene import Scene
    from trackbench.harness.start_stages import StartStage
    from trackbench.harness.state import State


MAX_EPISODE_LENGTH = 100_000  # control steps: 83 min at 20 Hz


class TaskSpec(PluginSpec):
    # The bound keeps a typo from an evaluation that never ends (episodes end on the clock).
    episode_length: int = Field(default=600, gt=0, le=MAX_EPISODE_LENGTH,
                                description="control steps per episode (30 s)")
    arm_reset_noise: float = Field(
        default=0.1, ge=0, le=1, description="arm joints reset to default + coeff·U(default→limit)"
    )
    hand_reset_noise: float = Field(
        default=0.1, ge=0, le=1, description="hand joints reset to default + coeff·U(default→limit)"
    )


@dataclass
class ResetPlan:
    """Where ``engine.reset`` puts the robot and the free objects of the envs being reset."""

    robot_qpos: torch.Tensor | None = None  # [n, n_dof]
    object_pos: torch.Tensor | None = None  # [n, n_obj, 3]
    object_quat: torch.Tensor | None = None  # [n, n_obj, 4] (w, x, y, z)

    def as_kwargs(self) -> dict[str, torch.Tensor | None]:
        return {"robot_qpos": self.robot_qpos, "object_pos": self.object_pos,
                "object_quat": self.object_quat}

    @classmethod
    def concatenate(cls, plans: "list[ResetPlan]") -> "ResetPlan":
        """One plan for several envs from one plan per env, in order. Raises TrackbenchError if
        some plans set a field and others leave it to the engine."""
        merged = {}
        for name in ("robot_qpos", "object_pos", "object_quat"):
            parts = [getattr(plan, name) for plan in plans]
            given = [p is not None for p in parts]
            if any(given) and not all(given):
                raise TrackbenchError(f"task resets set {name} for some envs but not others")
            merged[name] = torch.cat(parts) if all(given) and parts else None
        return cls(**merged)


@dataclass
class TaskFrame:
    """What one control step means for the task; reward terms are pure functions of it."""

    state: "State"  # after the step
    n_arm: int  # the first n_arm joints are the arm's (energy penalty weights them differently)
    success: torch.Tensor  # [N] bool: the success rule fired this step (the episode ends a
    # success; if Task.success_ends_episode() is False it runs on and counts as one)
    failed: torch.Tensor  # [N] bool: terminated as a failure this step (e.g. object off the table)
    # One [N] bool per event of Task.events() (e.g. "lift": the object rose 5 cm), ORed over an
    # episode and reported as a rate at its end.
    flags: dict[str, torch.Tensor] = field(default_factory=dict)
    buffers: Any = None  # the task's own per-env values its reward terms read


class Task(ABC):
    """Base of task plugins. Subclasses set ``name``, ``Spec`` (a TaskSpec) and the methods below."""

    name: ClassVar[str]
    Spec: ClassVar[type[TaskSpec]]

    def __init__(self, spec: TaskSpec):
        self.spec = spec
        self.robot: "RobotSpec | None" = None
        self.num_envs = 0
        self.device = torch.device("cpu")

    # ---- the scene ---------------------------------------------------------------------------
    @abstractmethod
    def scenes(self) -> tuple["Scene", ...]:
        """Scene variants (e.g. one per object class); env i gets ``scenes()[i % len]``. Variants
        must track the same number of objects and articulations."""

    def variant_of(self, env_ids: torch.Tensor) -> torch.Tensor:
        """Which scene variant each env runs."""
        return env_ids % len(self.scenes())

    # ---- the episode ---------------------------------------------------------------------------
    def check_compatible(self, robot: "RobotSpec") -> list[str]:
        """Problems that keep this task from running with ``robot`` (say, a keypoint layout its
        rewards cannot read). Each is one sentence; empty if none.

        ``trackbench run`` (``--dry-run`` included) calls this for every robot × task pair before
        any cell starts, and names the cell in the message. The task is built from its spec but
        not set up: read specs only; build no scene and touch no files. Must not raise."""
        return []

    def setup(self, robot: "RobotSpec", num_envs: int, device: torch.device | str = "cpu") -> None:
        """Bind to a robot and a batch size; subclasses allocate their per-env buffers here.
        Raises TrackbenchError for :meth:`check_compatible`'s problems (for callers that did not
        plan: ``show``, tests)."""
        problems = self.check_compatible(robot)
        if problems:
            raise TrackbenchError("\n".join(f"task '{self.name}': {p}" for p in problems))
        self.robot, self.num_envs, self.device = robot, num_envs, torch.device(device)

    def pregrasp_start(self) -> float:
        """Fraction of *training* resets the harness moves into a pre-grasp around object 0
        (``trackbench.harness.pregrasp``, a named curriculum); 0 (the default) for none.
        Evaluation never uses it. A task offering it needs a free object 0 in every scene."""
        return 0.0

    def pregrasp_progress(self) -> tuple[float, float]:
        """(low, high): each pre-grasp start is placed a fraction drawn uniformly from this range
        of the way from the task's reset pose to the pre-grasp, joint by joint (a reverse
        curriculum, Florensa et al., "Reverse Curriculum Generation for Reinforcement
        Learning", CoRL 2017). (1, 1), the default, starts at the pre-grasp itself."""
        return (1.0, 1.0)

    def grasped_start(self) -> float:
        """Fraction of *training* resets the harness starts with object 0 in a closed hand
        (``trackbench.harness.grasped``, a named curriculum); 0 (the default) for none. Drawn
        after the pre-grasp fraction; the two sum to at most 1. Evaluation never uses it."""
        return 0.0

    def start_stages(self) -> "tuple[StartStage, ...]":
        """A staged start curriculum for *training* resets (``harness/start_stages.py``): each
        stage's mix applies until its ``until`` agent steps or its advance criterion (a rate of
        one of :meth:`events`) is met, then the next; after the last, the three methods above.
        Empty (the default) for none."""
        return ()

    @abstractmethod
    def reset(self, env_ids: torch.Tensor, generator: torch.Generator) -> ResetPlan:
        """Randomised initial robot pose and object poses for ``env_ids`` (draws only from
        ``generator``, so resets are reproducible per seed)."""

    @abstractmethod
    def begin(self, env_ids: torch.Tensor, state: "State") -> None:
        """Start the episode buffers of ``env_ids`` from the post-reset State."""

    @abstractmethod
    def update(self, state: "State") -> TaskFrame:
        """Advance every env's buffers with the post-step State and judge the step; the frame's
        ``flags`` hold exactly the :meth:`events`."""

    def events(self) -> tuple[str, ...]:
        """The events this task reports, e.g. ``("lift", "near")``: :meth:`update` flags each per
        env and step (``TaskFrame.flags``), the harness ORs it over the episode and reports the
        fraction of episodes in which it happened as ``<event>_rate`` (metrics.jsonl) and in
        result.json's ``events``. Names are identifiers; success and time-out are reported for
        every task and are not events. None by default."""
        return ()

    def success_ends_episode(self) -> bool:
        """Whether the success rule ends the episode (the default, as the authors' lifting
        tasks reset on success) or the episode runs to its end and counts as a success if the
        rule fired in it (the authors' cabinet: per-step sparse rewards keep paying)."""
        return True

    # ---- exact resume ---------------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        """The per-env episode buffers (latches, best distances, hold counters), saved with each
        training checkpoint so a resumed run continues every episode where it stopped. The
        default takes every tensor and number attribute (``trackbench.harness.snapshot``);
        override it if you keep buffers in nested objects."""
        from trackbench.harness.snapshot import capture

        return capture(self)

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore :meth:`state_dict` after :meth:`setup`."""
        from trackbench.harness.snapshot import restore

        restore(self, state, f"task '{self.name}'")

    # ---- rewards and observations ----------------------------------------------------------------
    @abstractmethod
    def reward_terms(self) -> dict[str, tuple["RewardTerm", ...]]:
        """Named, weighted terms per group: "task" (the paper's sparse reward and success bonus)
        and "dense" (the hand-engineered shaped reward). The energy penalty is shared
        (``trackbench.harness.rewards.ENERGY_TERMS``) and added by methods."""

    @abstractmethod
    def policy_points(self, state: "State") -> torch.Tensor:
        """[N, P, 3] the point cloud the policy sees (the target object, the drawer handle)."""

    @abstractmethod
    def privileged(self, frame: TaskFrame) -> torch.Tensor:
        """[N, D] extra values only the critic sees; at least the fingertip-to-target distances."""

    def goal_label(self, state: "State") -> torch.Tensor:
        """[N] long: the DexYCB class id of the object to act on (the predictor's goal token);
        by default tracked object 0. 0 (padding) where the target is not a YCB object."""
        return state.object_class_ids[:, 0].clone()

    def predictor_objects(self, state: "State") -> tuple[torch.Tensor, torch.Tensor]:
        """(points [N, n_obj, P, 3], class ids [N, n_obj]) the predictor sees; by default every
        tracked object."""
        return state.object_points, state.object_class_ids


def randomized_joints(robot: "RobotSpec", count: int, arm_noise: float, hand_noise: float,
                      generator: torch.Generator, device: torch.device | str = "cpu") -> torch.Tensor:
    """[count, n_dof] default pose + coeff · U(0, 1) · (limit − default) towards a random limit
    per joint, as the paper's code resets (coeff 0.1 for arm and hand by default)."""
    joints = robot.arm_joints + robot.hand_joints
    default = torch.tensor([j.default for j in joints], dtype=torch.float32)
    lower = torch.tensor([j.lower for j in joints], dtype=torch.float32)
    upper = torch.tensor([j.upper for j in joints], dtype=torch.float32)
    coeff = torch.tensor([arm_noise] * len(robot.arm_joints) + [hand_noise] * len(robot.hand_joints))
    u = torch.rand(count, len(joints), generator=generator) * 2.0 - 1.0  # U(-1, 1)
    span = torch.where(u >= 0, upper - default, default - lower)
    return (default + coeff * u * span).to(device)
