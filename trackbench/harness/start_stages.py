"""The stages of a staged start curriculum (``task.start_stages``, lift tasks; issue 13).

A reverse curriculum in stages (Florensa et al., "Reverse Curriculum Generation for
Reinforcement Learning", CoRL 2017), scheduled on training progress the way Isaac Lab's
curriculum terms are: stage k's start mix (pre-grasp and grasped fractions, pre-grasp progress)
applies to training resets until ``until`` agent steps (every env's control steps, rl-games'
frames), then stage k + 1's; after the last stage, the task's own fields. The recipe it was made
for starts every reset in a grasp, then mixes in pre-grasps on the way in, then ends on the task's
own resets, all in one resumable run. Evaluation never uses any of it.

Pydantic only (no torch): task specs load when the CLI shows ``--help``.
"""

from __future__ import annotations

from pydantic import Field, model_validator

from trackbench.harness.specs import FrozenSpec


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
    """One stage: the start mix of training resets until ``until`` agent steps. Fields it omits
    take StartMix's defaults, not the task's top-level fields."""

    until: int = Field(gt=0, description=(
        "agent steps (all envs' control steps) up to which this stage's starts apply"))


def stages_problem(stages: "tuple[StartStage, ...]") -> str | None:
    """Why a schedule is invalid, or None: each stage must end after the one before."""
    ends = [stage.until for stage in stages]
    if any(later <= earlier for earlier, later in zip(ends, ends[1:])):
        return f"start_stages must end in increasing order of 'until', got {ends}"
    return None
