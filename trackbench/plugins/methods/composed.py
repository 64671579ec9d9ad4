"""Methods whose reward is one of the task's reward groups plus the shared energy penalty.

``dense`` and ``task`` differ only in the group they take from ``Task.reward_terms()``; other
methods (``track``, ``amp``) add their own term to a group through :func:`weighted_group`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from pydantic import Field

from trackbench.api import Method, MethodSpec, RewardTerm, energy_terms

if TYPE_CHECKING:
    from trackbench.api import RobotSpec, Task


class ComposedSpec(MethodSpec):
    energy_scale: float = Field(
        default=1.0, ge=0, description="multiplies the shared energy penalty (0 switches it off)"
    )


def group_problems(task: "Task", group: str) -> list[str]:
    """Why the task's ``group`` terms cannot be taken: the task lacks the group. Empty if they
    can. Reads only ``task.reward_terms()``, so it works on a task that is not set up (the
    planner's check); the planner checks the composed terms' names after it."""
    groups = task.reward_terms()
    if group not in groups:
        return [f"task '{task.name}' defines no '{group}' reward group "
                f"(it has: {', '.join(sorted(groups)) or 'none'})"]
    return []


def weighted_group(task: "Task", group: str, weight: float = 1.0,
                   energy_scale: float = 1.0) -> tuple[RewardTerm, ...]:
    """The task's ``group`` terms scaled by ``weight`` (the λ of ``track``, the task_reward_w of
    ``amp``), followed by the energy terms scaled by ``energy_scale``."""
    group_terms = tuple(term.scaled(weight) for term in task.reward_terms()[group])
    return group_terms + energy_terms(energy_scale)


class ComposedMethod(Method):
    """Base of methods rewarding one task group + energy; subclasses set ``group``."""

    group: ClassVar[str]
    Spec = ComposedSpec

    def check_compatible(self, task: "Task", robot: "RobotSpec") -> list[str]:
        return group_problems(task, self.group)

    def terms(self, task: "Task") -> tuple[RewardTerm, ...]:
        return weighted_group(task, self.group, energy_scale=self.spec.energy_scale)
