"""What grasp_lift, grasp_lift_clutter and lift_throw share: specs, buffers, judging and rewards.

Tracked object 0 is always the object to lift (the target). Per env the task keeps its start
height, the `lifted` latch, the closest object-to-goal and fingertip-to-object distances so far
and the count of consecutive steps the success condition held. Every step ``update`` turns them
into a :class:`LiftStep` (``frame.buffers``), and the reward terms below read only that.

Numbers are the paper's released code (`docs/reference/paper-code-facts.md` §6-7) unless a
docstring says otherwise; the dense group follows IsaacGymEnvs' AllegroKuka reward
(`docs/reference/anchors.md` §4.1) inside the paper's task class, which computes the lift height as
0.02 + Δz (AllegroKuka: 0.05 + Δz with threshold 0.15); so both groups share one `lifted` latch.
"""

from __future__ import annotations

from abc import abstractmethod
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable

import torch
from pydantic import Field, field_validator, model_validator

from trackbench.api import (
    TABLE_TOP_Z, ResetPlan, RewardTerm, Scene, StartStage, Task, TaskFrame, TaskSpec,
    TrackbenchError, add_stage, add_table, randomized_joints, start_mix_problem, stages_problem,
    ycb,
)

if TYPE_CHECKING:
    import mujoco

    from trackbench.api import State

# The paper's `simpleObjects`, in its order (env i gets object i % 6).
PAPER_OBJECTS = ("002_master_chef_can", "036_wood_block", "010_potted_meat_can", "025_mug",
                 "024_bowl", "005_tomato_soup_can")
LIFT_OFFSET = 0.02  # lift height = LIFT_OFFSET + rise of the object centre since the episode began
LIFT_THRESHOLD = 0.10  # `lifted` latches once the lift height exceeds this (so after an 8 cm rise)
LIFT_FLAG_RISE = 0.05  # the reported "lift" event: the object centre rose 5 cm
NEAR_FLAG_DISTANCE = 0.12  # the reported "near" event: mean fingertip-to-target distance (m)
LIFT_EVENTS = ("lift", "near")  # what update() flags, in this order (Task.events)
MAX_GOAL_PROGRESS = 100.0  # clip of one step's goal progress (m)
MAX_FINGERTIP_PROGRESS = 10.0  # clip of one step's progress per fingertip (m)
MAX_LIFTING_REWARD = 0.5  # clip of the pre-lift lifting reward (m)
# Reward weights: task group (paper code) and dense group (AllegroKuka / HOP dense configs).
TASK_PROGRESS_SCALE = 2000.0  # keypointRewScale
TASK_REACH_GOAL_BONUS = 10000.0  # reachGoalBonus, paid as bonus / hold_steps per held step
DENSE_FINGERTIP_SCALE = 50.0  # distanceDeltaRewScale
DENSE_LIFTING_SCALE = 20.0  # liftingRewScale
DENSE_LIFT_BONUS = 300.0  # liftingBonus
DENSE_KEYPOINT_SCALE = 200.0  # keypointRewScale
DENSE_REACH_GOAL_BONUS = 1000.0  # reachGoalBonus


def check_classes(names: tuple[str, ...]) -> tuple[str, ...]:
    """`names` if each is a YCB class (name or DexYCB id); else ValueError naming the closest."""
    for name in names:
        try:
            ycb.class_id(name)
        except TrackbenchError as error:
            raise ValueError(str(error)) from None
    return names


def _ordered(pair: tuple[float, float], what: str) -> None:
    if not pair[0] < pair[1]:
        raise ValueError(f"{what} must be (low, high) with low < high, got {pair}")


class LiftSpec(TaskSpec):
    hold_steps: int = Field(default=50, gt=0, description=(
        "consecutive control steps the success condition must hold (paper code: 50 = 2.5 s; the "
        "paper's text says 5 s for grasp_lift)"))
    area_x: tuple[float, float] = Field(default=(-0.335, 0.335), description=(
        "the episode fails once the target's centre leaves this x range (paper: |x| > 0.335)"))
    area_y: tuple[float, float] = Field(default=(-0.27, 0.17), description=(
        "... or this y range (paper: |y + 0.05| > 0.22), or drops below the table top"))

    # A named variant for the learning checks (issue 13), not the paper's: with the default the
    # dense lifting term pays 0.4 per step for an object resting untouched, which touching it
    # risks; 0 pays only for a raised object. The lifted flag and success keep LIFT_OFFSET.
    lifting_reward_offset: float = Field(default=LIFT_OFFSET, ge=0, le=LIFT_THRESHOLD, description=(
        "dense lifting term = 20 · clip(offset + rise, 0, 0.5) before the lift (paper code: 0.02, "
        "so an untouched object pays; 0 = only a raised object pays, a named variant)"))

    # A named curriculum for the learning checks (issue 13), not the paper's: training resets
    # that start with the hand open around the object (harness/pregrasp.py).
    pregrasp_start: float = Field(default=0.0, ge=0, le=1, description=(
        "training only: fraction of resets where the hand starts open around the object, posed "
        "by IK (a named curriculum, needs the 'mink' package; evaluation always uses the "
        "standard reset). Paper: 0"))
    # Why: the task's reset leaves the fingertips ~0.3 m from the object while a pre-grasp is
    # within 4 cm; starts drawn in between bridge the two (a reverse curriculum, issue 13).
    pregrasp_progress: tuple[float, float] = Field(default=(1.0, 1.0), description=(
        "training only: (low, high) a pre-grasp start is placed a fraction drawn uniformly from "
        "this range of the way from the task's reset pose to the pre-grasp, joint by joint "
        "(0 = the reset, 1 = the pre-grasp; a reverse curriculum). Paper: none"))
    grasped_start: float = Field(default=0.0, ge=0, le=1, description=(
        "training only: fraction of resets where the object starts in the closed hand, settled "
        "by physics before the run's first reset (the lift rung's reverse curriculum, "
        "harness/grasped.py; needs 'mink'; pregrasp_start + grasped_start <= 1). Paper: 0"))

    start_stages: tuple[StartStage, ...] = Field(default=(), description=(
        "training only: a staged start curriculum, each stage {pregrasp_start, grasped_start, "
        "pregrasp_progress} applying until 'until' agent steps or until advance_rate of its "
        "last advance_window episodes from advance_start starts raised advance_event; after "
        "the last, the fields above (harness/start_stages.py). Paper: none"))

    @model_validator(mode="after")
    def _starts_fit(self) -> "LiftSpec":
        problem = start_mix_problem(self.pregrasp_start, self.grasped_start,
                                    self.pregrasp_progress) or \
            stages_problem(self.start_stages, LIFT_EVENTS)
        if problem:
            raise ValueError(problem)
        return self

    @model_validator(mode="after")
    def _areas_ordered(self) -> "LiftSpec":
        _ordered(self.area_x, "area_x")
        _ordered(self.area_y, "area_y")
        return self


class PointGoalSpec(LiftSpec):
    goal: tuple[float, float, float] = Field(default=(0.0, 0.0, 0.32), description=(
        "goal of the target's centre, world frame (m). Paper: (0, 0, 0.45) with objects spawning "
        "at z = 0.13; the YCB URDF origins sit near the object's bottom, so 0.13 is about the "
        "paper's table top and the goal is 0.32 m above it"))
    success_tolerance: float = Field(default=0.1125, gt=0, description=(
        "the target is at the goal within this distance (paper: 0.075 · keypointScale 1.5)"))


class SpawnSpec(LiftSpec):
    objects: tuple[str, ...] = Field(default=PAPER_OBJECTS, min_length=1, description=(
        "YCB objects, one scene variant each, env i gets objects[i % len] (paper's six)"))
    spawn_center: tuple[float, float] = Field(default=(0.0, 0.0), description=(
        "xy the object is spawned around, world frame (m)"))
    spawn_noise: float = Field(default=0.10, ge=0, description=(
        "spawn xy = spawn_center + U(±spawn_noise) per axis (paper: 0.10); upright, resting"))

    @field_validator("objects")
    @classmethod
    def _known_classes(cls, names: tuple[str, ...]) -> tuple[str, ...]:
        return check_classes(names)


@dataclass
class LiftStep:
    """One step of a lift task, as the reward terms and the critic see it (``frame.buffers``)."""

    to_goal: torch.Tensor  # [N, 3] goal − target centre
    distance: torch.Tensor  # [N] ‖goal − target centre‖
    best_distance: torch.Tensor  # [N] closest distance so far this episode, this step included
    goal_progress: torch.Tensor  # [N] clip(best distance before this step − distance, 0, 100)
    lift_height: torch.Tensor  # [N] LIFT_OFFSET + rise of the target centre
    lifting_height: torch.Tensor  # [N] spec.lifting_reward_offset + rise (the dense lifting term's)
    lifted: torch.Tensor  # [N] bool, latched
    just_lifted: torch.Tensor  # [N] bool, latched this step
    fingertip_distances: torch.Tensor  # [N, K] ‖keypoint_k − target centre‖
    fingertip_progress: torch.Tensor  # [N] Σ_k clip(closest so far_k − distance_k, 0, 10)
    at_goal: torch.Tensor  # [N] bool, the success condition holds this step
    held_steps: torch.Tensor  # [N] long, consecutive steps at the goal, this step included


# ---- reward terms: pure functions of the frame ------------------------------------------------
def lifted_goal_progress(frame: TaskFrame) -> torch.Tensor:
    """lifted · clip(best_dist − dist, 0, 100), dist = ‖target centre − goal‖"""
    step: LiftStep = frame.buffers
    return step.lifted.float() * step.goal_progress


def goal_reached(frame: TaskFrame) -> torch.Tensor:
    """[success condition holds]: target within tolerance of the goal (lift_throw: in the bin)"""
    return frame.buffers.at_goal.float()


def fingertip_progress(frame: TaskFrame) -> torch.Tensor:
    """(1 − lifted) · Σ_k clip(best_tip_dist_k − tip_dist_k, 0, 10)

    tip_dist_k = ‖keypoint_k − target centre‖, best_tip_dist_k its minimum so far this episode.
    """
    step: LiftStep = frame.buffers
    return (~step.lifted).float() * step.fingertip_progress


def lifting_height(frame: TaskFrame) -> torch.Tensor:
    """(1 − lifted) · clip(offset + z − z_init, 0, 0.5), offset = spec.lifting_reward_offset
    (paper code and default 0.02)"""
    step: LiftStep = frame.buffers
    return (~step.lifted).float() * step.lifting_height.clamp(0.0, MAX_LIFTING_REWARD)


def lift_bonus(frame: TaskFrame) -> torch.Tensor:
    """[lifted latched this step] (0.02 + z − z_init > 0.10 for the first time)"""
    return frame.buffers.just_lifted.float()


# ---- scenes -------------------------------------------------------------------------------------
def tabletop_scene(classes: tuple[str, ...], extra: Callable[["mujoco.MjSpec"], None] | None = None
                   ) -> Scene:
    """Stage, table and the YCB objects `object0..` (upright, resting at the table centre until a
    reset places them); `extra` adds fixtures such as a bin."""
    rest = [(0.0, 0.0, TABLE_TOP_Z + ycb.half_height(c)) for c in classes]

    def build(model: "mujoco.MjSpec") -> None:
        add_stage(model)
        add_table(model)
        for index, (cls, pos) in enumerate(zip(classes, rest)):
            ycb.add_object(model, f"object{index}", cls, pos)
        if extra is not None:
            extra(model)

    return Scene(build=build, objects=tuple(
        ycb.tracked_object(f"object{index}", cls, pos)
        for index, (cls, pos) in enumerate(zip(classes, rest))))


# ---- the shared task --------------------------------------------------------------------------
class LiftTask(Task):
    """Base of the lift tasks: subclasses give the scenes, where objects start, and the goal."""

    spec: LiftSpec

    def __init__(self, spec: LiftSpec):
        super().__init__(spec)
        self._scenes: tuple[Scene, ...] | None = None
        self._rest_heights: torch.Tensor | None = None

    @abstractmethod
    def build_scenes(self) -> tuple[Scene, ...]:
        """The scene variants; tracked object 0 is the target."""

    @abstractmethod
    def object_positions(self, variants: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        """[n, n_obj, 3] where the objects of envs running `variants` start, resting upright."""

    @abstractmethod
    def goal_position(self) -> tuple[float, float, float]:
        """The point the target's centre is brought to, world frame."""

    @abstractmethod
    def at_goal(self, target: torch.Tensor, distance: torch.Tensor) -> torch.Tensor:
        """[N] bool: the success condition holds for target centres [N, 3] at `distance` from goal."""

    def off_limits(self, target: torch.Tensor) -> torch.Tensor:
        """[N] bool: the target left the table area or dropped below the table top."""
        x, y, z = target.unbind(dim=-1)
        (x0, x1), (y0, y1) = self.spec.area_x, self.spec.area_y
        return (x < x0) | (x > x1) | (y < y0) | (y > y1) | (z < TABLE_TOP_Z)

    def scenes(self) -> tuple[Scene, ...]:
        if self._scenes is None:
            self._scenes = self.build_scenes()
        return self._scenes

    def rest_heights(self, variants: torch.Tensor) -> torch.Tensor:
        """[n, n_obj] the centre height of each object resting upright on the table."""
        if self._rest_heights is None:  # the scenes place every object at rest on the table
            self._rest_heights = torch.tensor(
                [[o.init_pos[2] for o in scene.objects] for scene in self.scenes()])
        return self._rest_heights[variants.cpu()]

    # ---- the episode ----------------------------------------------------------------------------
    def check_compatible(self, robot) -> list[str]:
        problems = super().check_compatible(robot)
        for field in ("pregrasp_start", "grasped_start"):
            if getattr(self.spec, field) > 0:
                import importlib.util

                if importlib.util.find_spec("mink") is None:
                    problems.append(f"task.{field} needs the 'mink' package (pip install mink)")
        return problems

    def pregrasp_start(self) -> float:
        return self.spec.pregrasp_start

    def pregrasp_progress(self) -> tuple[float, float]:
        return self.spec.pregrasp_progress

    def grasped_start(self) -> float:
        return self.spec.grasped_start

    def start_stages(self) -> tuple[StartStage, ...]:
        return self.spec.start_stages

    def events(self) -> tuple[str, ...]:
        """lift: the target's centre rose LIFT_FLAG_RISE (5 cm); near: the fingertips' mean
        distance to its centre came within NEAR_FLAG_DISTANCE (0.12 m)."""
        return LIFT_EVENTS

    def setup(self, robot, num_envs, device="cpu") -> None:
        super().setup(robot, num_envs, device)
        n, k, dev = num_envs, len(robot.keypoints), self.device
        self._goal = torch.tensor(self.goal_position(), dtype=torch.float32, device=dev)
        self._start_height = torch.zeros(n, device=dev)
        self._lifted = torch.zeros(n, dtype=torch.bool, device=dev)
        self._best_distance = torch.zeros(n, device=dev)
        self._best_fingertip = torch.zeros(n, k, device=dev)
        self._held = torch.zeros(n, dtype=torch.long, device=dev)

    def reset(self, env_ids, generator) -> ResetPlan:
        ids = torch.as_tensor(env_ids, dtype=torch.long).cpu()
        robot_qpos = randomized_joints(self.robot, len(ids), self.spec.arm_reset_noise,
                                       self.spec.hand_reset_noise, generator, self.device)
        positions = self.object_positions(self.variant_of(ids), generator)
        quats = torch.zeros(*positions.shape[:2], 4)
        quats[..., 0] = 1.0  # upright, as the paper (useRandomInitRot False)
        return ResetPlan(robot_qpos, positions.to(self.device), quats.to(self.device))

    def begin(self, env_ids, state: "State") -> None:
        ids = torch.as_tensor(env_ids, dtype=torch.long, device=self.device)
        target = state.object_pos[ids, 0]
        self._start_height[ids] = target[:, 2]
        self._lifted[ids] = False
        self._best_distance[ids] = (self._goal - target).norm(dim=-1)
        self._best_fingertip[ids] = (state.keypoints[ids] - target[:, None]).norm(dim=-1)
        self._held[ids] = 0

    def update(self, state: "State") -> TaskFrame:
        target = state.object_pos[:, 0]
        to_goal = self._goal - target
        distance = to_goal.norm(dim=-1)
        rise = target[:, 2] - self._start_height
        lift_height = LIFT_OFFSET + rise
        lifted = self._lifted | (lift_height > LIFT_THRESHOLD)
        fingertips = (state.keypoints - target[:, None]).norm(dim=-1)
        at_goal = self.at_goal(target, distance)
        step = LiftStep(
            to_goal=to_goal, distance=distance,
            best_distance=torch.minimum(self._best_distance, distance),
            goal_progress=(self._best_distance - distance).clamp(0.0, MAX_GOAL_PROGRESS),
            lift_height=lift_height, lifting_height=self.spec.lifting_reward_offset + rise,
            lifted=lifted, just_lifted=lifted & ~self._lifted,
            fingertip_distances=fingertips,
            fingertip_progress=(self._best_fingertip - fingertips)
            .clamp(0.0, MAX_FINGERTIP_PROGRESS).sum(dim=1),
            at_goal=at_goal, held_steps=torch.where(at_goal, self._held + 1, 0),
        )
        self._lifted, self._held = lifted, step.held_steps
        self._best_distance = step.best_distance
        self._best_fingertip = torch.minimum(self._best_fingertip, fingertips)
        success = step.held_steps >= self.spec.hold_steps
        return TaskFrame(
            state=state, n_arm=len(self.robot.arm_joints), success=success,
            failed=self.off_limits(target) & ~success,
            flags={"lift": rise >= LIFT_FLAG_RISE,
                   "near": fingertips.mean(dim=1) <= NEAR_FLAG_DISTANCE}, buffers=step,
        )

    # ---- rewards and observations ---------------------------------------------------------------
    def reward_terms(self) -> dict[str, tuple[RewardTerm, ...]]:
        per_held_step = 1.0 / self.spec.hold_steps  # reachGoalBonus is spread over the hold
        return {
            "task": (
                RewardTerm("task_progress", lifted_goal_progress, TASK_PROGRESS_SCALE),
                RewardTerm("task_goal_bonus", goal_reached, TASK_REACH_GOAL_BONUS * per_held_step),
            ),
            "dense": (
                RewardTerm("dense_fingertip", fingertip_progress, DENSE_FINGERTIP_SCALE),
                RewardTerm("dense_lifting", lifting_height, DENSE_LIFTING_SCALE),
                RewardTerm("dense_lift_bonus", lift_bonus, DENSE_LIFT_BONUS),
                RewardTerm("dense_keypoint", lifted_goal_progress, DENSE_KEYPOINT_SCALE),
                RewardTerm("dense_goal_bonus", goal_reached, DENSE_REACH_GOAL_BONUS * per_held_step),
            ),
        }

    def policy_points(self, state: "State") -> torch.Tensor:
        return state.object_points[:, 0]

    def privileged(self, frame: TaskFrame) -> torch.Tensor:
        """[N, K + 14]: fingertip-to-target distances, target position, linear and angular
        velocity, goal − target, lifted flag, closest goal distance so far."""
        state, step = frame.state, frame.buffers
        return torch.cat([
            step.fingertip_distances, state.object_pos[:, 0], state.object_linvel[:, 0],
            state.object_angvel[:, 0], step.to_goal, step.lifted.float()[:, None],
            step.best_distance[:, None],
        ], dim=1)


class PointGoalTask(LiftTask):
    """A lift task whose goal is a fixed point (``spec.goal``) reached within a tolerance."""

    spec: PointGoalSpec

    def goal_position(self) -> tuple[float, float, float]:
        return self.spec.goal

    def at_goal(self, target, distance):
        return distance <= self.spec.success_tolerance


def scattered_positions(spec: SpawnSpec, rest_heights: torch.Tensor,
                        generator: torch.Generator) -> torch.Tensor:
    """[n, 1, 3]: spawn_center + U(±spawn_noise) in xy, resting at `rest_heights` [n, 1]."""
    n = rest_heights.shape[0]
    xy = torch.tensor(spec.spawn_center) + spec.spawn_noise * (
        2.0 * torch.rand(n, 2, generator=generator) - 1.0)
    return torch.cat([xy, rest_heights[:, :1]], dim=1)[:, None, :]
