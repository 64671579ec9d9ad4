"""Read a results directory and build the comparison: per task, robots × methods, success over seeds.

Only files a run wrote are read (spec.json, result.json). Missing, failed, incomplete and corrupt
cells are reported as such, never hidden.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from pathlib import Path

from trackbench.harness.errors import TrackbenchError
from trackbench.harness.results import RESULT_FILE, SPEC_FILE, RunDir

STATUS_OK = "ok"
STATUS_FAILED = "failed"


@dataclass
class Cell:
    successes: list[float] = field(default_factory=list)
    seeds: list[int] = field(default_factory=list)
    # Task events as rates over the evaluation episodes (lift, drawer_moved, ...), per seed.
    events: dict[str, list[float]] = field(default_factory=dict)
    returns: list[float] = field(default_factory=list)
    # Fraction of training env-steps whose physics blew up (the engine reset them), per seed.
    unstable: list[float] = field(default_factory=list)
    failed: int = 0
    incomplete: int = 0

    @property
    def n(self) -> int:
        return len(self.successes)

    def mean(self) -> float | None:
        return statistics.fmean(self.successes) if self.successes else None

    def std(self) -> float | None:
        # Population std over seeds: with one seed it is 0, not undefined.
        return statistics.pstdev(self.successes) if self.successes else None

    def to_json(self) -> dict:
        return {"mean": self.mean(), "std": self.std(), "n": self.n, "seeds": self.seeds,
                "failed": self.failed, "incomplete": self.incomplete,
                "mean_return": _mean(self.returns), "unstable_fraction": _mean(self.unstable),
                **{f"{event}_rate": _mean(rates) for event, rates in sorted(self.events.items())}}

    def text(self) -> str:
        parts = []
        if self.successes:
            parts.append(f"{self.mean():.2f} ± {self.std():.2f} ({self.n})")
        if any(self.unstable):
            parts.append(f"unstable {_mean(self.unstable):.1%} of env-steps")
        if self.failed:
            parts.append(f"failed ×{self.failed}")
        if self.incomplete:
            parts.append(f"incomplete ×{self.incomplete}")
        return ", ".join(parts)

    def events_text(self) -> str:
        """Mean event rates over seeds, e.g. 'lift 0.25'; methods' returns are not comparable."""
        return " · ".join(f"{event} {_mean(rates):.2f}" for event, rates in sorted(self.events.items()))


@dataclass
class Report:
    # task → robot → method → Cell
    tasks: dict[str, dict[str, dict[str, Cell]]] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    def cell(self, task: str, robot: str, method: str) -> Cell:
        return self.tasks.setdefault(task, {}).setdefault(robot, {}).setdefault(method, Cell())

    def robots(self, task: str) -> list[str]:
        return sorted(self.tasks[task])

    def methods(self, task: str) -> list[str]:
        return sorted({m for robot in self.tasks[task].values() for m in robot})

    def to_json(self) -> dict:
        return {
            "tasks": {
                task: {
                    "robots": self.robots(task),
                    "methods": self.methods(task),
                    "cells": {r: {m: c.to_json() for m, c in ms.items()} for r, ms in rows.items()},
                }
                for task, rows in sorted(self.tasks.items())
            },
            "problems": self.problems,
        }


def _mean(values: list[float]) -> float | None:
    return statistics.fmean(values) if values else None


# Evaluation rates that are not task events.
NOT_EVENTS = {"success_rate", "time_out_rate"}


def _event_rates(result: dict) -> dict[str, float]:
    """event → rate of the evaluation episodes in which the task flagged it ("lift_rate" → lift)."""
    evaluation = result.get("evaluation")
    if not isinstance(evaluation, dict):
        return {}
    return {key.removesuffix("_rate"): float(value) for key, value in evaluation.items()
            if key.endswith("_rate") and key not in NOT_EVENTS
            and isinstance(value, (int, float)) and not isinstance(value, bool)}


def build_report(results_dir: Path) -> Report:
    if not results_dir.is_dir():
        raise TrackbenchError(f"results directory not found: {results_dir}")
    report = Report()
    for run_path in sorted(p for p in results_dir.iterdir() if p.is_dir()):
        run = RunDir(run_path)
        if not run.spec_file.is_file():
            continue  # not a run directory
        try:
            spec = run.read_spec()
        except TrackbenchError as error:
            report.problems.append(str(error))
            continue
        cell = report.cell(spec.task, spec.robot, spec.method)
        if not run.is_complete():
            cell.incomplete += 1
            continue
        try:
            result = run.read_result()
            status = result.get("status", STATUS_OK)
            success = None if status != STATUS_OK else float(result["success_rate"])
        except (TrackbenchError, KeyError, TypeError, ValueError, AttributeError) as error:
            report.problems.append(f"unreadable {run_path / RESULT_FILE}: {error}")
            continue
        if success is None:
            cell.failed += 1
        else:
            cell.successes.append(success)
            cell.seeds.append(spec.seed)
            for event, rate in _event_rates(result).items():
                cell.events.setdefault(event, []).append(rate)
            if isinstance(result.get("mean_return"), (int, float)):
                cell.returns.append(float(result["mean_return"]))
            if isinstance(result.get("unstable_fraction"), (int, float)):
                cell.unstable.append(float(result["unstable_fraction"]))
    if not report.tasks and not report.problems:
        raise TrackbenchError(
            f"no runs in {results_dir} (a run directory holds {SPEC_FILE}); "
            f"train some with `trackbench run --out {results_dir}`"
        )
    return report
