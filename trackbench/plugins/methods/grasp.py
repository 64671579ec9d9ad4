"""grasp: rungs 2 and 3 of the learning sanity ladder — touch the target with an opposed grip, lift it.

Not the paper's reward: a staged, bounded shaping in the style of ManiSkill's dense rewards
(reach, then grasp, then lift; each term in [0, 1]) that asks one thing at a time, so that a
pipeline which learns nothing can be told apart from a reward that is hard to learn at a small
budget. Every term is positive, so ending an episode early (the task's failure rule: the object
pushed off the table) never pays.

With d_k the distance of fingertip k (keypoint 0 is the thumb, the robot contract's order) to
the nearest of the target's surface samples (``State.object_points[:, 0]``):

    reach = 1 − tanh(mean_k d_k / reach_scale)
    grip  = (1 − tanh(d_thumb / grip_scale)) · (1 − tanh(min_{k>0} d_k / grip_scale))
    lift  = [d_thumb < grip_distance and min_{k>0} d_k < grip_distance] · clip(Δz / lift_height, 0, 1)
    squeeze = [same grip] · mean_j min(hand_kp · |target_j − q_j|, hand_effort) / hand_effort

Δz is the rise of the target's centre since the episode began (m). Rung 2 (touch) is
``--set method.lift_weight=0``; rung 3 (lift) the defaults.

``squeeze`` (weight 0 by default, a named option): the share of the hand's servo torque spent
against something while thumb and a finger are at the object. A position servo whose finger is
free reaches its target (|target − q| → 0); one blocked by the object pushes with
kp · |target − q| up to its effort limit, so this reads grip force from the State without contact
sensors, in the spirit of ManiSkill's ``is_grasped`` (contact impulses on both fingers). The
proximity terms alone let a policy cage the object loosely: a policy trained on them raised it
≤ 1.7 cm where a scripted squeeze 1.5 cm inside the object lifts it (docs/results, session 7).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch
from pydantic import Field

from trackbench.api import (GRIP_DISTANCE, Method, MethodSpec, RewardTerm, energy_terms,
                            thumb_and_finger, tip_surface_distances)

if TYPE_CHECKING:
    from trackbench.api import RobotSpec, State, Task, TaskFrame


class Grasp(Method):
    """Sanity rungs 2–3: reach the target, close thumb and a finger on it, raise it."""

    name = "grasp"

    class Spec(MethodSpec):
        reach_scale: float = Field(default=0.1, gt=0, description="reach tanh distance scale (m)")
        grip_scale: float = Field(default=0.05, gt=0, description=(
            "grip tanh distance scale (m); a held object's median grip (2.1 cm, 2.1 cm) pays 0.36"))
        grip_distance: float = Field(default=GRIP_DISTANCE, gt=0, description=(
            "thumb and another fingertip within this of the surface count as a grip for the lift "
            "term (m). Scripted holds on allegro read thumb 1.3-4.3 cm, closest other fingertip "
            "1.4-3.2 cm (keypoints sit inside the pads; 100 surface samples): "
            "benchmarks/scripted_grasp.py allegro grasp_lift 24"))
        lift_height: float = Field(default=0.10, gt=0, description="rise paying the full lift term (m)")
        reach_weight: float = Field(default=1.0, ge=0, description="weight of the reach term")
        grip_weight: float = Field(default=1.0, ge=0, description="weight of the grip term")
        lift_weight: float = Field(default=4.0, ge=0, description="weight of the lift term (0 = rung 2)")
        squeeze_weight: float = Field(default=0.0, ge=0, description=(
            "weight of the squeeze term: hand servo torque against a resistance while gripped "
            "(0 = off)"))
        energy_scale: float = Field(default=0.0, ge=0, description="shared energy penalty × this")

    def check_compatible(self, task: "Task", robot: "RobotSpec") -> list[str]:
        if len(robot.keypoints) < 2:
            return [f"grasp needs the thumb and at least one other fingertip; robot {robot.name!r} "
                    f"has {len(robot.keypoints)} keypoint(s)"]
        return []

    def setup(self, task, robot, num_envs, context=None) -> None:
        super().setup(task, robot, num_envs, context)
        self._start_z = torch.zeros(num_envs, device=self.device)
        self._gripped_steps = torch.zeros((), device=self.device)
        self._steps = 0
        # This step's ([N] mean d_k, [N] d_thumb, [N] min_{k>0} d_k), set by observe() before the
        # terms read it: one distance computation per step. A tuple, so checkpoints skip it.
        self._distances: tuple[torch.Tensor, torch.Tensor, torch.Tensor] | None = None

    def terms(self, task: "Task") -> tuple[RewardTerm, ...]:
        spec = self.spec

        def reach(frame: "TaskFrame") -> torch.Tensor:
            """1 − tanh(mean_k d_k / reach_scale), d_k fingertip k to the target's surface"""
            mean, _, _ = self._distances
            return 1.0 - torch.tanh(mean / spec.reach_scale)

        def grip(frame: "TaskFrame") -> torch.Tensor:
            """(1 − tanh(d_thumb / grip_scale)) · (1 − tanh(min_{k>0} d_k / grip_scale))"""
            _, thumb, finger = self._distances
            return (1.0 - torch.tanh(thumb / spec.grip_scale)) * (1.0 - torch.tanh(finger / spec.grip_scale))

        def lift(frame: "TaskFrame") -> torch.Tensor:
            """[thumb and a finger within grip_distance] · clip(Δz / lift_height, 0, 1)"""
            rise = frame.state.object_pos[:, 0, 2] - self._start_z
            return self._gripped().float() * (rise / spec.lift_height).clamp(0.0, 1.0)

        def squeeze(frame: "TaskFrame") -> torch.Tensor:
            """[gripped] · mean_j min(hand_kp·|target_j − q_j|, hand_effort) / hand_effort"""
            state, robot, n_arm = frame.state, self.robot, frame.n_arm
            lag = (state.joint_target[:, n_arm:] - state.joint_pos[:, n_arm:]).abs()
            torque = (robot.hand_kp * lag).clamp(max=robot.hand_effort) / robot.hand_effort
            return self._gripped().float() * torque.mean(dim=1)

        # energy is always a term (weight 0 by default) so every method logs term/energy.
        extra = (RewardTerm("squeeze", squeeze, spec.squeeze_weight),) if spec.squeeze_weight else ()
        return (
            RewardTerm("reach", reach, spec.reach_weight),
            RewardTerm("grip", grip, spec.grip_weight),
            RewardTerm("lift", lift, spec.lift_weight),
        ) + extra + energy_terms(spec.energy_scale)

    def begin(self, env_ids: torch.Tensor, state: "State") -> None:
        self._start_z[env_ids] = state.object_pos[env_ids, 0, 2]

    def observe(self, frame: "TaskFrame") -> None:
        distances = tip_surface_distances(frame.state)
        self._distances = (distances.mean(dim=1), *thumb_and_finger(distances))
        gripped = self._gripped()
        self._gripped_steps = self._gripped_steps + gripped.sum()
        self._steps += gripped.numel()

    def _gripped(self) -> torch.Tensor:
        """[N] bool: this step's thumb and closest other fingertip both within grip_distance."""
        _, thumb, finger = self._distances
        return (thumb < self.spec.grip_distance) & (finger < self.spec.grip_distance)

    def metrics(self) -> dict[str, float]:
        """share of env-steps since the last call with thumb and a finger within grip_distance."""
        share = float(self._gripped_steps) / max(self._steps, 1)
        self._gripped_steps = torch.zeros((), device=self.device)
        self._steps = 0
        return {"grip_share": share}
