"""The PPO-Dense baseline: the task's hand-engineered shaped reward."""

from __future__ import annotations

from trackbench.plugins.methods.composed import ComposedMethod, ComposedSpec


class Dense(ComposedMethod):
    """PPO-Dense baseline: the task's "dense" shaped reward terms + energy penalty."""

    name = "dense"
    group = "dense"

    class Spec(ComposedSpec):
        pass
