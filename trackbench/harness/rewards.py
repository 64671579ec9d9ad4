"""Named, weighted reward terms and their per-episode sums.

A term is a pure function of a :class:`~trackbench.harness.task.TaskFrame` (the post-step State
plus the task's per-env buffers) returning an unweighted value per env; its docstring's first
line is its formula. The reward PPO sees is the sum of ``weight · value`` over a method's terms,
and every term's weighted per-episode sum is logged under its name.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable

import torch

if TYPE_CHECKING:
    from trackbench.harness.task import TaskFrame

# Paper code: kukaActionsPenaltyScale (arm) and allegroActionsPenaltyScale (hand).
ARM_ENERGY_SCALE = 0.003
HAND_ENERGY_SCALE = 0.0003


@dataclass(frozen=True)
class RewardTerm:
    name: str
    fn: Callable[["TaskFrame"], torch.Tensor]
    weight: float = 1.0

    @property
    def formula(self) -> str:
        doc = inspect.getdoc(self.fn) or ""
        return doc.strip().splitlines()[0] if doc.strip() else ""

    def __call__(self, frame: "TaskFrame") -> torch.Tensor:
        return self.weight * self.fn(frame)


def evaluate(terms: tuple[RewardTerm, ...], frame: "TaskFrame") -> dict[str, torch.Tensor]:
    """Weighted value [N] of every term, by name."""
    return {term.name: term(frame) for term in terms}


def total(values: dict[str, torch.Tensor]) -> torch.Tensor:
    return torch.stack(list(values.values())).sum(dim=0)


def joint_energy(frame: "TaskFrame") -> torch.Tensor:
    """−(0.003·Σ|q̇_arm| + 0.0003·Σ|q̇_hand|)"""
    velocity = frame.state.joint_vel.abs()
    arm, hand = velocity[:, :frame.n_arm], velocity[:, frame.n_arm:]
    return -(ARM_ENERGY_SCALE * arm.sum(dim=1) + HAND_ENERGY_SCALE * hand.sum(dim=1))


ENERGY_TERMS = (RewardTerm("energy", joint_energy, 1.0),)


class EpisodeSums:
    """Per-env running sums of each term over the current episode."""

    def __init__(self, names: list[str], num_envs: int, device: torch.device | str = "cpu"):
        self.sums = {name: torch.zeros(num_envs, device=device) for name in names}

    def add(self, values: dict[str, torch.Tensor]) -> None:
        for name, value in values.items():
            self.sums[name] += value

    def pop(self, env_ids: torch.Tensor) -> dict[str, torch.Tensor]:
        """The finished episodes' sums [len(env_ids)] per term; those envs restart from zero."""
        finished = {name: total[env_ids].clone() for name, total in self.sums.items()}
        for total in self.sums.values():
            total[env_ids] = 0.0
        return finished
