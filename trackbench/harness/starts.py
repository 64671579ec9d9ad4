"""The task's named start curricula for *training* resets: pre-grasp and grasped starts.

A task offers them through ``Task.pregrasp_start()`` (the hand open around the object,
``harness/pregrasp.py``) and ``Task.grasped_start()`` (the object already in a closed hand,
``harness/grasped.py``), each the fraction of training resets it replaces. One draw of the env's
generator per reset picks: below the pre-grasp fraction a pre-grasp, below the sum of both a
grasped start, otherwise the task's own reset. ``Task.pregrasp_progress()`` may place a
pre-grasp start part of the way in from the reset (a reverse curriculum; one more draw), and
``Task.start_stages()`` may change the mix as training goes on (``harness/start_stages.py``).
A start that cannot be made (no collision-free pre-grasp; no kept grasp for the env's scene
variant) leaves the task's reset standing and is counted as a miss. Evaluation never calls this
(``VecEnv.evaluation``).
"""

from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING

import torch

from trackbench.harness.start_stages import StartMix
from trackbench.harness.task import ResetPlan
from trackbench.harness.training.episodes import GRASPED, PREGRASP, STANDARD, START_KINDS

if TYPE_CHECKING:
    from trackbench.harness.engine import Engine
    from trackbench.harness.env import Episodes
    from trackbench.harness.task import Task


class StartCurriculum:
    """The start curricula of one run. ``engine`` is the run's engine before its first reset:
    building the grasped starts steps it (``GraspedStarts``); ``seed``: the run's seed."""

    def __init__(self, task: "Task", engine: "Engine", seed: int):
        # The start mixes in order: each stage's, until its `until`; then the task's own fields.
        self.stages = tuple(task.start_stages())
        self.mixes: tuple[StartMix, ...] = self.stages + (StartMix(
            pregrasp_start=task.pregrasp_start(), grasped_start=task.grasped_start(),
            pregrasp_progress=task.pregrasp_progress()),)
        self.uses_pregrasp = any(mix.pregrasp_start > 0 for mix in self.mixes)
        self.uses_grasped = any(mix.grasped_start > 0 for mix in self.mixes)
        self.counts = {"pregrasp_starts_total": 0, "pregrasp_misses_total": 0,
                       "grasped_starts_total": 0, "grasped_misses_total": 0}
        # The stage in force, the stage each env's running episode was planned in (-1: before
        # any plan), and the current stage's advance window: its latest counted episodes, 1 where
        # the event was raised. All saved with the env: a criterion's progress resumes exactly.
        self.current = 0
        self._planned_in = [-1] * engine.num_envs
        self._window: deque[int] = deque(maxlen=self._window_size())
        self._search = self._grasped = None
        if not self.active:
            return
        from trackbench.harness.pregrasp import PregraspSearch

        self._search = PregraspSearch(engine.robot, engine.scenes)
        if self.uses_grasped:
            from trackbench.harness.grasped import GraspedStarts

            self._grasped = GraspedStarts(engine, task, self._search, seed)

    @property
    def active(self) -> bool:
        return self.uses_pregrasp or self.uses_grasped

    def stage(self, agent_steps: int) -> int:
        """Index of the mix in force after ``agent_steps`` training agent steps (advancing past
        every stage whose ``until`` they reach; a met criterion advances in :meth:`record`);
        ``len(stages)`` (the task's own fields) after all. Never goes back: the schedule is
        training's progress."""
        while self.current < len(self.stages) and \
                self.stages[self.current].until is not None and \
                agent_steps >= self.stages[self.current].until:
            self._advance()
        return self.current

    def _advance(self) -> None:
        self.current += 1
        self._window = deque(maxlen=self._window_size())

    def _window_size(self) -> int:
        return self.stages[self.current].advance_window if self.current < len(self.stages) else 0

    def advance_rate(self) -> float | None:
        """The current stage's measured advance rate (the event's fraction over its window so
        far), or None when it has no criterion or no counted episode yet."""
        if self.current >= len(self.stages) or not self._window:
            return None
        return sum(self._window) / len(self._window)

    def record(self, episodes: "Episodes", agent_steps: int) -> None:
        """Count the finished training ``episodes`` toward the current stage's criterion: those
        planned in this stage from its ``advance_start`` starts; then advance if it is met."""
        self.stage(agent_steps)
        stage = self.stages[self.current] if self.current < len(self.stages) else None
        if stage is None or stage.advance_rate is None:
            return
        kind = START_KINDS.index(stage.advance_start)
        raised = episodes.flags[stage.advance_event].tolist()
        for i, (env_id, start) in enumerate(zip(episodes.env_ids.tolist(),
                                                episodes.start.tolist())):
            if start == kind and self._planned_in[env_id] == self.current:
                self._window.append(int(raised[i]))
        # Only a new episode can meet the criterion, so it is checked here, not on every reset.
        if len(self._window) == stage.advance_window and \
                sum(self._window) >= stage.advance_rate * stage.advance_window:
            self._advance()

    def plan(self, env_id: int, plan: ResetPlan, generator: torch.Generator,
             agent_steps: int = 0) -> tuple[ResetPlan, int]:
        """The one-env ``plan`` of the task's reset, or the curriculum's start replacing it, and
        which it is (an index into START_KINDS; a missed start is ``STANDARD``), with the mix in
        force after ``agent_steps`` training agent steps."""
        self._planned_in[env_id] = self.stage(agent_steps)
        mix = self.mixes[self._planned_in[env_id]]
        draw = float(torch.rand((), generator=generator))
        if draw < mix.pregrasp_start:
            pose = self._search.solve(env_id, plan.robot_qpos[0], plan.object_pos[0, 0],
                                      plan.object_quat[0, 0], generator,
                                      _draw_progress(mix.pregrasp_progress, generator))
            if self._count("pregrasp", pose is not None):
                plan.robot_qpos[0] = pose
                return plan, PREGRASP
            return plan, STANDARD
        if draw < mix.pregrasp_start + mix.grasped_start:
            grasped = self._grasped.draw(env_id, generator)
            if self._count("grasped", grasped is not None):
                return grasped, GRASPED
        return plan, STANDARD

    def _count(self, kind: str, made: bool) -> bool:
        self.counts[f"{kind}_{'starts' if made else 'misses'}_total"] += 1
        return made

    def metrics(self) -> dict[str, int]:
        """Counts of each active curriculum's resets so far (empty when none is active)."""
        shown = [kind for kind, used in (("pregrasp", self.uses_pregrasp),
                                         ("grasped", self.uses_grasped)) if used]
        extra = {"grasped_kept": self._grasped.kept, "grasped_tried": self._grasped.tried} \
            if self._grasped is not None else {}
        return {name: value for name, value in self.counts.items()
                if name.split("_")[0] in shown} | extra

    def state_dict(self) -> dict:
        return dict(self.counts) | {"stage": self.current, "planned_in": list(self._planned_in),
                                    "window": list(self._window)}

    def load_state_dict(self, state: dict | tuple, agent_steps: int) -> None:
        """Restore :meth:`state_dict`. Checkpoints before advance criteria hold no stage: theirs
        follows from ``agent_steps`` (they had only 'until')."""
        if isinstance(state, tuple):  # checkpoints before grasped starts: (pre-grasp starts, misses)
            state = {"pregrasp_starts_total": state[0], "pregrasp_misses_total": state[1]}
        state = dict(state)
        self.current = int(state.pop("stage", 0))
        self._planned_in = list(state.pop("planned_in", [self.current] * len(self._planned_in)))
        self._window = deque(state.pop("window", []), maxlen=self._window_size())
        self.counts.update({name: int(value) for name, value in state.items()})
        self.stage(agent_steps)


def _draw_progress(progress: tuple[float, float], generator: torch.Generator) -> float:
    """How far in from the reset a pre-grasp start is placed: 1 for the default range (1, 1) with
    no draw, so that runs without the option keep their random stream; else one uniform draw."""
    low, high = progress
    if (low, high) == (1.0, 1.0):
        return 1.0
    return low + (high - low) * float(torch.rand((), generator=generator))
