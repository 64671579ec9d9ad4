"""Methods whose reward is one of the task's reward groups plus the shared energy penalty.

``dense`` and ``task`` differ only in the group they take from ``Task.reward_terms()``; other
methods (``track``) can reuse :func:`group_with_energy` for their task part.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

import torch
from pydantic import Field

from trackbench.api import ENERGY_TERMS, Method, MethodSpec, RewardTerm, evaluate

if TYPE_CHECKING:
    from trackbench.api import Registry, RobotSpec, Task, TaskFrame


class ComposedSpec(MethodSpec):
    energy_scale: float = Field(
        default=1.0, ge=0, description="multiplies the shared energy penalty (0 switches it off)"
    )


def group_problems(task: "Task", group: str, own_terms: tuple[str, ...] = ()) -> list[str]:
    """Why the task's ``group`` terms plus the energy terms cannot be one reward: the task lacks
    the group, two terms share a name, or a task term takes a name of the method's
    ``own_terms`` (``track``'s "track"). Empty if they can. Reads only ``task.reward_terms()``,
    so it works on a task that is not set up (the planner's check)."""
    groups = task.reward_terms()
    if group not in groups:
        return [f"task '{task.name}' defines no '{group}' reward group "
                f"(it has: {', '.join(sorted(groups)) or 'none'})"]
    names = [term.name for term in groups[group]] + [term.name for term in ENERGY_TERMS]
    problems = []
    if len(set(names)) != len(names):
        problems.append(f"task '{task.name}' term names clash: {names}")
    taken = sorted(set(own_terms) & set(names))
    if taken:
        problems.append(f"task '{task.name}' has its own term named {', '.join(map(repr, taken))}, "
                        f"a name the method's reward uses")
    return problems


def group_with_energy(task: "Task", group: str, energy_scale: float = 1.0) -> tuple[RewardTerm, ...]:
    """The task's ``group`` terms followed by the energy terms scaled by ``energy_scale``.

    Called from a method's ``setup`` after ``Method.setup``, which has already raised
    TrackbenchError for every :func:`group_problems` (through ``check_compatible``), so the
    group exists and no names clash here."""
    energy = tuple(RewardTerm(t.name, t.fn, t.weight * energy_scale) for t in ENERGY_TERMS)
    return tuple(task.reward_terms()[group]) + energy


def weighted_group(task: "Task", group: str, weight: float,
                   energy_scale: float = 1.0) -> tuple[RewardTerm, ...]:
    """:func:`group_with_energy` with the group's terms (not the energy) scaled by ``weight``:
    the λ of ``track``, the task_reward_w of ``amp``."""
    energy = {term.name for term in ENERGY_TERMS}
    return tuple(
        term if term.name in energy else RewardTerm(term.name, term.fn, term.weight * weight)
        for term in group_with_energy(task, group, energy_scale)
    )


class ComposedMethod(Method):
    """Base of methods rewarding one task group + energy; subclasses set ``group``."""

    group: ClassVar[str]
    Spec = ComposedSpec

    def setup(self, task: "Task", robot: "RobotSpec", num_envs: int,
              device: torch.device | str = "cpu", registry: "Registry | None" = None) -> None:
        super().setup(task, robot, num_envs, device, registry)
        self.terms = group_with_energy(task, self.group, self.spec.energy_scale)

    def check_compatible(self, task: "Task", robot: "RobotSpec") -> list[str]:
        return group_problems(task, self.group)

    def term_names(self) -> list[str]:
        if self.task is None:
            raise RuntimeError(f"method '{self.name}' needs setup() before term_names()")
        return [term.name for term in self.terms]

    def rewards(self, frame: "TaskFrame") -> dict[str, torch.Tensor]:
        return evaluate(self.terms, frame)
