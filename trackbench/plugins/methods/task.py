"""The PPO-Task baseline: only the task's sparse reward (what `track` adds its tracking term to)."""

from __future__ import annotations

from trackbench.plugins.methods.composed import ComposedMethod, ComposedSpec


class TaskMethod(ComposedMethod):
    """PPO-Task baseline: the task's sparse "task" reward terms + energy penalty."""

    name = "task"
    group = "task"

    class Spec(ComposedSpec):
        pass
