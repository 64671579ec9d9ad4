"""reach: the bottom rung of the learning sanity ladder — bring the fingertips to the target.

Reward = the fingertips' mean distance to the centre of tracked object 0 (the target of every
lift task), nothing else (energy off by default). Any task with a target object can be used, so
``--task grasp_lift --method reach`` trains on grasp_lift's scene, resets and terminations.

    tanh form (default):  r = 1 − tanh(d̄ / scale),   d̄ = mean_k ‖tip_k − target centre‖
    negative form:        r = −d̄

The tanh form is positive, so ending an episode early (knocking the object off the table, a
task failure) never pays; the negative form makes an early end attractive.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch
from pydantic import Field

from trackbench.api import Method, MethodSpec, RewardTerm, energy_terms

if TYPE_CHECKING:
    from collections.abc import Callable

    from trackbench.api import Task, TaskFrame


def mean_tip_distance(frame: "TaskFrame") -> torch.Tensor:
    """mean_k ‖tip_k − target centre‖ (m)"""
    state = frame.state
    return (state.keypoints - state.object_pos[:, :1]).norm(dim=-1).mean(dim=1)


def tip_closeness(scale: float) -> "Callable[[TaskFrame], torch.Tensor]":
    """The tanh reach term: ``frame`` → [N] 1 − tanh(d̄ / ``scale``) ∈ (0, 1], d̄ in metres."""
    def reach(frame: "TaskFrame") -> torch.Tensor:
        """1 − tanh(mean_k ‖tip_k − target centre‖ / scale)"""
        return 1.0 - torch.tanh(mean_tip_distance(frame) / scale)
    return reach


class Reach(Method):
    """Sanity rung: reward only the fingertips' closeness to the target object's centre."""

    name = "reach"

    class Spec(MethodSpec):
        form: str = Field(default="tanh", pattern="^(tanh|negative)$",
                          description="tanh: 1 − tanh(d̄/scale); negative: −d̄")
        scale: float = Field(default=0.2, gt=0, description="tanh distance scale (m)")
        weight: float = Field(default=1.0, gt=0, description="multiplies the reach term")
        energy_scale: float = Field(default=0.0, ge=0, description="shared energy penalty × this")

    def setup(self, task, robot, num_envs, context=None) -> None:
        super().setup(task, robot, num_envs, context)
        self._distance_sum = torch.zeros((), device=self.device)
        self._distance_count = 0

    def terms(self, task: "Task") -> tuple[RewardTerm, ...]:
        spec = self.spec
        scale = spec.scale
        if spec.form == "tanh":
            reach = tip_closeness(scale)
        else:
            def reach(frame: "TaskFrame") -> torch.Tensor:
                """−mean_k ‖tip_k − target centre‖"""
                return -mean_tip_distance(frame)
        # energy is always a term (weight 0 by default) so every method logs term/energy.
        return (RewardTerm("reach", reach, spec.weight),) + energy_terms(spec.energy_scale)

    def observe(self, frame: "TaskFrame") -> None:
        distance = mean_tip_distance(frame)
        self._distance_sum = self._distance_sum + distance.sum()
        self._distance_count += distance.numel()

    def metrics(self) -> dict[str, float]:
        """mean fingertip-to-target distance over the env-steps since the last call (m)."""
        mean = float(self._distance_sum) / max(self._distance_count, 1)
        self._distance_sum = torch.zeros((), device=self.device)
        self._distance_count = 0
        return {"mean_tip_distance": mean}
