"""The PPO-Dense baseline: the task's hand-engineered shaped reward."""

from __future__ import annotations

from typing import TYPE_CHECKING

from trackbench.api import ENERGY_TERMS, RewardTerm, added_setting
from trackbench.plugins.methods.composed import ComposedMethod, ComposedSpec
from trackbench.plugins.methods.reach import tip_closeness

if TYPE_CHECKING:
    from trackbench.api import Task


class Dense(ComposedMethod):
    """PPO-Dense baseline: the task's "dense" shaped reward terms + energy penalty.

    ``reach_weight`` > 0 adds the reach rung's term, ``reach_weight`` · (1 − tanh(d̄ /
    ``reach_scale``)) per control step (d̄: the fingertips' mean distance to the target's centre,
    m; see :mod:`trackbench.plugins.methods.reach`), between the task's terms and the energy
    penalty. A named departure from the paper's dense reward, whose fingertip term pays only a
    new closest distance (the task's ``dense_fingertip``): the reach term pays for being close on
    every step, so a hand that stops short of the object is paid less than one that arrives."""

    name = "dense"
    group = "dense"

    class Spec(ComposedSpec):
        reach_weight: float = added_setting(0.0, before=0.0, since="2026-12-02", ge=0, description=(
            "weight of an added reach term 1 − tanh(d̄/reach_scale) per control step "
            "(0: the paper's dense reward)"))
        reach_scale: float = added_setting(0.2, before=0.2, since="2026-12-02", gt=0, description=(
            "distance scale of the reach term (m)"))

    def terms(self, task: "Task") -> tuple[RewardTerm, ...]:
        composed = super().terms(task)
        if self.spec.reach_weight == 0:
            return composed
        energy = len(composed) - len(ENERGY_TERMS)  # weighted_group puts the energy terms last
        reach = RewardTerm("reach", tip_closeness(self.spec.reach_scale), self.spec.reach_weight)
        return composed[:energy] + (reach,) + composed[energy:]
