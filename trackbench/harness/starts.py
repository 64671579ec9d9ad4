"""The task's named start curricula for *training* resets: pre-grasp and grasped starts.

A task offers them through ``Task.pregrasp_start()`` (the hand open around the object,
``harness/pregrasp.py``) and ``Task.grasped_start()`` (the object already in a closed hand,
``harness/grasped.py``), each the fraction of training resets it replaces. One draw of the env's
generator per reset picks: below the pre-grasp fraction a pre-grasp, below the sum of both a
grasped start, otherwise the task's own reset. ``Task.pregrasp_progress()`` may place a
pre-grasp start part of the way in from the reset (a reverse curriculum; one more draw). A start that cannot be made (no collision-free
pre-grasp; no kept grasp for the env's scene variant) leaves the task's reset standing and is
counted as a miss. Evaluation never calls this (``VecEnv.evaluation``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch

from trackbench.harness.task import ResetPlan
from trackbench.harness.training.episodes import GRASPED, PREGRASP, STANDARD

if TYPE_CHECKING:
    from trackbench.harness.engine import Engine
    from trackbench.harness.task import Task


class StartCurriculum:
    """The start curricula of one run. ``engine`` is the run's engine before its first reset:
    building the grasped starts steps it (``GraspedStarts``); ``seed``: the run's seed."""

    def __init__(self, task: "Task", engine: "Engine", seed: int):
        self.pregrasp_fraction = task.pregrasp_start()
        self.grasped_fraction = task.grasped_start()
        self.progress = task.pregrasp_progress()
        self.counts = {"pregrasp_starts_total": 0, "pregrasp_misses_total": 0,
                       "grasped_starts_total": 0, "grasped_misses_total": 0}
        self._search = self._grasped = None
        if not self.active:
            return
        from trackbench.harness.pregrasp import PregraspSearch

        self._search = PregraspSearch(engine.robot, engine.scenes)
        if self.grasped_fraction > 0:
            from trackbench.harness.grasped import GraspedStarts

            self._grasped = GraspedStarts(engine, task, self._search, seed)

    @property
    def active(self) -> bool:
        return self.pregrasp_fraction > 0 or self.grasped_fraction > 0

    def plan(self, env_id: int, plan: ResetPlan,
             generator: torch.Generator) -> tuple[ResetPlan, int]:
        """The one-env ``plan`` of the task's reset, or the curriculum's start replacing it, and
        which it is (an index into START_KINDS; a missed start is ``STANDARD``)."""
        draw = float(torch.rand((), generator=generator))
        if draw < self.pregrasp_fraction:
            pose = self._search.solve(env_id, plan.robot_qpos[0], plan.object_pos[0, 0],
                                      plan.object_quat[0, 0], generator,
                                      self._draw_progress(generator))
            if self._count("pregrasp", pose is not None):
                plan.robot_qpos[0] = pose
                return plan, PREGRASP
            return plan, STANDARD
        if draw < self.pregrasp_fraction + self.grasped_fraction:
            grasped = self._grasped.draw(env_id, generator)
            if self._count("grasped", grasped is not None):
                return grasped, GRASPED
        return plan, STANDARD

    def _draw_progress(self, generator: torch.Generator) -> float:
        """How far in from the reset a pre-grasp start is placed: 1 by default (no draw, so that
        runs without the option keep their random stream), else one uniform draw in the range."""
        low, high = self.progress
        if (low, high) == (1.0, 1.0):
            return 1.0
        return low + (high - low) * float(torch.rand((), generator=generator))

    def _count(self, kind: str, made: bool) -> bool:
        self.counts[f"{kind}_{'starts' if made else 'misses'}_total"] += 1
        return made

    def metrics(self) -> dict[str, int]:
        """Counts of each active curriculum's resets so far (empty when none is active)."""
        shown = [kind for kind, fraction in (("pregrasp", self.pregrasp_fraction),
                                             ("grasped", self.grasped_fraction)) if fraction > 0]
        extra = {"grasped_kept": self._grasped.kept, "grasped_tried": self._grasped.tried} \
            if self._grasped is not None else {}
        return {name: value for name, value in self.counts.items()
                if name.split("_")[0] in shown} | extra

    def state_dict(self) -> dict[str, int]:
        return dict(self.counts)

    def load_state_dict(self, state: dict | tuple) -> None:
        if isinstance(state, tuple):  # checkpoints before grasped starts: (pre-grasp starts, misses)
            state = {"pregrasp_starts_total": state[0], "pregrasp_misses_total": state[1]}
        self.counts.update({name: int(value) for name, value in state.items()})
