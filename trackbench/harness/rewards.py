"""Named, weighted reward terms, and the one place a method's terms are evaluated and summed.

A term is a function of a :class:`~trackbench.harness.task.TaskFrame` (the post-step State plus
the task's per-env buffers) returning an unweighted value per env; its docstring's first line is
its formula. A method declares its terms (``Method.terms``); the :class:`RewardManager` checks
their names once, evaluates them once per control step, hands PPO the sum of ``weight · value``
and keeps every term's weighted per-episode sum, logged as ``term/<name>``.
"""

from __future__ import annotations

import inspect
from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable

import torch

from trackbench.harness.errors import TrackbenchError

if TYPE_CHECKING:
    from trackbench.harness.method import Method
    from trackbench.harness.task import Task, TaskFrame

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

    def scaled(self, factor: float) -> "RewardTerm":
        """The same term with its weight multiplied by ``factor``."""
        return RewardTerm(self.name, self.fn, self.weight * factor)

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


def energy_terms(scale: float = 1.0) -> tuple[RewardTerm, ...]:
    """The shared energy penalty, its weights multiplied by ``scale`` (0 keeps the term, and so
    the logged ``term/energy`` column, but switches its reward off)."""
    return tuple(term.scaled(scale) for term in ENERGY_TERMS)


def name_problems(terms: tuple[RewardTerm, ...]) -> list[str]:
    """Why ``terms`` cannot be one reward: two of them share a name (each is summed and logged
    under its name). Empty if they can."""
    names = [term.name for term in terms]
    shared = sorted(name for name, count in Counter(names).items() if count > 1)
    if not shared:
        return []
    return [f"reward terms share the name {', '.join(map(repr, shared))} (terms: "
            f"{', '.join(names)}); each term is logged as term/<name>, so names must differ"]


def reward_problems(method: "Method", task: "Task") -> list[str]:
    """:func:`name_problems` of ``method``'s terms on ``task``: the planner's check, before setup."""
    return name_problems(tuple(method.terms(task)))


class RewardManager:
    """One method's reward on a batch of ``num_envs`` envs.

    Built once the method is set up, it takes the method's terms and checks their names; each
    control step (:meth:`step`) the method observes the frame, then every term is evaluated once,
    the unstable envs' values are zeroed, and the total goes to PPO. Per env it keeps each term's
    running sum over the current episode, which :meth:`pop` hands over when the episode ends.
    """

    def __init__(self, method: "Method", num_envs: int | None = None,
                 device: torch.device | str | None = None):
        """``num_envs`` and ``device`` default to those the method was set up with."""
        if method.task is None:
            raise RuntimeError(f"method '{method.name}' needs setup() before its reward")
        self.method = method
        self.terms = tuple(method.terms(method.task))
        problems = name_problems(self.terms)
        if problems:
            raise TrackbenchError(f"method '{method.name}': {problems[0]}")
        self.names = [term.name for term in self.terms]
        self.num_envs = method.num_envs if num_envs is None else num_envs
        self.device = method.device if device is None else torch.device(device)
        self.sums = {name: torch.zeros(self.num_envs, device=self.device) for name in self.names}

    def step(self, frame: "TaskFrame", keep: torch.Tensor | None = None
             ) -> tuple[dict[str, torch.Tensor], torch.Tensor]:
        """This step's weighted value [N] of every term (0 where ``keep`` [N] is False) and
        their total [N], added to the running episode sums."""
        self.method.observe(frame)
        values = evaluate(self.terms, frame)
        if keep is not None:
            values = {name: torch.where(keep, value, 0.0) for name, value in values.items()}
        reward = total(values) if values else torch.zeros(self.num_envs, device=self.device)
        for name, value in values.items():
            self.sums[name] += value
        return values, reward

    def pop(self, env_ids: torch.Tensor) -> dict[str, torch.Tensor]:
        """The finished episodes' sums [len(env_ids)] per term; those envs restart from zero."""
        finished = {name: running[env_ids].clone() for name, running in self.sums.items()}
        for running in self.sums.values():
            running[env_ids] = 0.0
        return finished

    # ---- checkpoints: the running sums, by term name ---------------------------------------------
    def state_dict(self) -> dict[str, torch.Tensor]:
        return {name: running.clone() for name, running in self.sums.items()}

    def load_state_dict(self, sums: dict[str, torch.Tensor]) -> None:
        for name, value in sums.items():
            self.sums[name].copy_(value)
