"""The stages of a staged start curriculum (``task.start_stages``, lift tasks; issue 13).

A reverse curriculum in stages (Florensa et al., "Reverse Curriculum Generation for
Reinforcement Learning", CoRL 2017), scheduled on training progress the way Isaac Lab's
curriculum terms are: stage k's start mix (pre-grasp and grasped fractions, pre-grasp progress)
applies to training resets until it ends, then stage k + 1's; after the last stage, the task's own
fields. A stage ends at ``until`` agent steps (every env's control steps, rl-games' frames), or
once its policy masters its starts: of the last ``advance_window`` training episodes that began in
this stage from ``advance_start`` starts, a fraction ``advance_rate`` or more raised the task event
``advance_event`` (Florensa et al. choose starts by measured success the same way; a fixed
schedule widened the starts faster than the grasp carried over, docs/results "Session 10"),
whichever comes first. The recipe it was made for starts every reset in a grasp, then mixes in
pre-grasps on the way in, then ends on the task's own resets, all in one resumable run.
Evaluation never uses any of it.

Pydantic only (no torch): task specs load when the CLI shows ``--help``.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from trackbench.harness.specs import FrozenSpec
from trackbench.harness.training.episodes import START_KINDS

StartKind = Literal["standard", "pregrasp", "grasped"]  # START_KINDS, as a type


def start_mix_problem(pregrasp_start: float, grasped_start: float,
                      pregrasp_progress: tuple[float, float]) -> str | None:
    """Why a start mix is invalid (one sentence), or None: the fractions share the same resets,
    so they sum to at most 1; the progress range is (low, high) inside [0, 1]."""
    if pregrasp_start + grasped_start > 1:
        return (f"pregrasp_start + grasped_start must be at most 1 (fractions of the same "
                f"resets), got {pregrasp_start} + {grasped_start}")
    low, high = pregrasp_progress
    if not 0.0 <= low <= high <= 1.0:
        return (f"pregrasp_progress must be (low, high) with 0 <= low <= high <= 1, "
                f"got {pregrasp_progress}")
    return None


class StartMix(FrozenSpec):
    """What training resets start from: fractions of pre-grasp and grasped starts (the rest the
    task's own reset) and how far in pre-grasp starts are placed. A FrozenSpec: no booleans or
    NaN where numbers belong, no unknown keys."""

    pregrasp_start: float = Field(default=0.0, ge=0, le=1, description=(
        "fraction of training resets that start in a pre-grasp (as task.pregrasp_start)"))
    grasped_start: float = Field(default=0.0, ge=0, le=1, description=(
        "fraction of training resets that start grasped (as task.grasped_start)"))
    pregrasp_progress: tuple[float, float] = Field(default=(1.0, 1.0), description=(
        "how far in from the reset pre-grasp starts are placed (as task.pregrasp_progress)"))

    @model_validator(mode="after")
    def _mix_valid(self) -> "StartMix":
        problem = start_mix_problem(self.pregrasp_start, self.grasped_start,
                                    self.pregrasp_progress)
        if problem:
            raise ValueError(problem)
        return self


class StartStage(StartMix):
    """One stage: the start mix of training resets until ``until`` agent steps or until the
    ``advance_*`` criterion is met, whichever comes first (at least one must be given). Fields it
    omits take StartMix's defaults, not the task's top-level fields."""

    until: int | None = Field(default=None, gt=0, description=(
        "agent steps (all envs' control steps) at which this stage ends at the latest; "
        "none: only the advance criterion ends it"))
    advance_rate: float | None = Field(default=None, gt=0, le=1, description=(
        "end the stage once this fraction of its last advance_window training episodes from "
        "advance_start starts raised advance_event; none: only 'until' ends it"))
    advance_event: str = Field(default="lift", description=(
        "the task event (an <event>_rate column) the advance criterion counts"))
    advance_start: StartKind = Field(default="pregrasp", description=(
        "which starts' episodes the advance criterion counts: " + ", ".join(START_KINDS)))
    advance_window: int = Field(default=256, ge=1, description=(
        "how many of the stage's most recent such episodes the advance rate is measured over "
        "(none is judged before the window is full)"))

    @model_validator(mode="after")
    def _can_end(self) -> "StartStage":
        if self.until is None and self.advance_rate is None:
            raise ValueError("a start stage needs 'until' (agent steps), 'advance_rate' or both")
        share = {"pregrasp": self.pregrasp_start, "grasped": self.grasped_start,
                 "standard": 1.0 - self.pregrasp_start - self.grasped_start}[self.advance_start]
        if self.advance_rate is not None and share <= 0:
            raise ValueError(f"a stage that advances on '{self.advance_start}' starts must have "
                             f"some (its share of resets is {share:g})")
        return self


def stages_problem(stages: "tuple[StartStage, ...]", events: tuple[str, ...]) -> str | None:
    """Why a schedule is invalid for a task with these ``events``, or None: the stages that give
    'until' must end in increasing order, and an advance criterion must count one of the task's
    events."""
    ends = [stage.until for stage in stages if stage.until is not None]
    if any(later <= earlier for earlier, later in zip(ends, ends[1:])):
        return f"start_stages must end in increasing order of 'until', got {ends}"
    unknown = [stage.advance_event for stage in stages
               if stage.advance_rate is not None and stage.advance_event not in events]
    if unknown:
        return (f"start_stages' advance_event must be one of the task's events "
                f"{list(events)}, got {unknown[0]!r}")
    return None


def stages_note(stages: list[dict], agent_steps: int) -> str | None:
    """A plan-time note when a stage's ``until`` lies at or beyond the run's ``agent_steps``
    budget (the stages after it, and the task's own fields, then never apply), or None.
    ``stages`` as a RunSpec's task_spec holds them (StartStage dumps)."""
    late = [(k, stage["until"]) for k, stage in enumerate(stages)
            if stage["until"] is not None and stage["until"] >= agent_steps]
    if not late:
        return None
    k, until = late[0]
    return (f"start stage {k} ends at {until:,} agent steps, not before this run's budget of "
            f"{agent_steps:,}: the stages after it and the task's own starts never apply")
