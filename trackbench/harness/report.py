"""Read a results directory and build the comparison: per task, robots × methods, success over seeds.

Only files a run wrote are read (spec.json, result.json, failed.json), each validated. Missing,
incomplete, failed and invalid cells are reported as such, never hidden: an invalid file is named with its
field and left out of the averages. A run is its run id and its files' content, so a copy of a run
directory beside it counts once.
"""

from __future__ import annotations

import hashlib
import statistics
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from trackbench.harness.errors import TrackbenchError
from trackbench.harness.results import SPEC_FILE, RunDir, RunResult
from trackbench.harness.specs import RunSpec
from trackbench.harness.variants import differences, method_labels, settings

if TYPE_CHECKING:
    from trackbench.harness.registry import Registry

@dataclass
class Cell:
    successes: list[float] = field(default_factory=list)
    seeds: list[int] = field(default_factory=list)
    # Task events as rates over the evaluation episodes (lift, drawer_moved, ...), per seed.
    events: dict[str, list[float]] = field(default_factory=dict)
    returns: list[float] = field(default_factory=list)
    # Fraction of training env-steps whose physics blew up (the engine reset them), per seed.
    unstable: list[float] = field(default_factory=list)
    incomplete: int = 0
    failed: int = 0  # incomplete runs whose failed.json says they failed for good

    @property
    def n(self) -> int:
        return len(self.successes)

    def mean(self) -> float | None:
        return statistics.fmean(self.successes) if self.successes else None

    def std(self) -> float | None:
        # Population std over seeds: with one seed it is 0, not undefined.
        return statistics.pstdev(self.successes) if self.successes else None

    def add(self, result: RunResult, seed: int) -> None:
        """Count one finished run's validated result."""
        self.successes.append(result.success_rate)
        self.seeds.append(seed)
        for event, rate in result.events.items():
            self.events.setdefault(event, []).append(rate)
        if result.mean_return is not None:
            self.returns.append(result.mean_return)
        if result.unstable_fraction is not None:
            self.unstable.append(result.unstable_fraction)

    def to_json(self) -> dict:
        return {"mean": self.mean(), "std": self.std(), "n": self.n, "seeds": self.seeds,
                "incomplete": self.incomplete, "failed": self.failed,
                "mean_return": _mean(self.returns), "unstable_fraction": _mean(self.unstable),
                **{f"{event}_rate": _mean(rates) for event, rates in sorted(self.events.items())}}

    def text(self, summary: str) -> str:
        """``summary`` (the success statistic over seeds; report_stats.py), then unstable physics
        and unfinished runs."""
        parts = [summary] if summary else []
        if any(self.unstable):
            parts.append(f"unstable {_mean(self.unstable):.1%} of env-steps")
        if self.incomplete:
            parts.append(f"incomplete ×{self.incomplete}")
        if self.failed:
            parts.append(f"failed ×{self.failed}")
        return ", ".join(parts)

    def events_text(self) -> str:
        """Mean event rates over seeds, e.g. 'lift 0.25'; methods' returns are not comparable."""
        return " · ".join(f"{event} {_mean(rates):.2f}" for event, rates in sorted(self.events.items()))


@dataclass
class Report:
    # task → robot → method → Cell
    tasks: dict[str, dict[str, dict[str, Cell]]] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)  # files left out, and why
    notes: list[str] = field(default_factory=list)  # what was counted once though found twice

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
            "notes": self.notes,
        }


def _mean(values: list[float]) -> float | None:
    return statistics.fmean(values) if values else None


@dataclass(frozen=True)
class FoundRun:
    run: RunDir
    spec: RunSpec


@dataclass
class RunSurvey:
    """The distinct runs of a results directory, and what was left out or merged."""

    runs: list[FoundRun] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def find_runs(results_dir: Path, *, registry: "Registry") -> RunSurvey:
    """The runs directly under ``results_dir``, each once, their specs read with ``registry``'s
    plugins.

    Specs are read as the runs were trained (:func:`~trackbench.harness.resume.read_run_spec`:
    settings added since at the value those runs ran), so runs compare by what they ran.
    Left out and named as a problem: a spec.json that does not validate or cannot be read (no
    permission), a result.json without a spec.json beside it, metrics.jsonl lines that hold no
    metrics row (and a metrics.jsonl that is no file or cannot be read), and a second directory
    holding the same run id and the same settings (variants.py) with other results, or whose
    files cannot be read to compare them;
    a run folder that cannot be looked into (no permission) is left out and named too. A
    directory holding an identical copy of a run counts once, with a note. Of several
    directories with one run id, the one named after it is kept; one with other settings is
    another variant of the cell, kept too (``variants.method_labels`` tells them apart).
    """
    survey = RunSurvey()
    by_run_id: dict[str, list[FoundRun]] = {}
    for run_path in sorted(p for p in results_dir.iterdir() if p.is_dir()):
        try:
            found = _found_run(RunDir(run_path), survey, registry)
        except OSError as error:  # a folder without permission: one run, not the whole report
            survey.problems.append(f"{run_path} cannot be read ({error.strerror or error}); "
                                   f"left out")
            continue
        if found is not None:
            by_run_id.setdefault(found.spec.run_id, []).append(found)
    for run_id, found in sorted(by_run_id.items()):
        found.sort(key=lambda f: f.run.path.name != run_id)  # stable: the rest stay sorted
        kept_of_id = [found[0]]  # one run per variant of this run id
        for other in found[1:]:
            # The kept run of other's variant; a run of a new variant is kept itself.
            kept = next((run for run in kept_of_id
                         if not differences(settings(run.spec), settings(other.spec))), None)
            if kept is None:
                kept_of_id.append(other)  # a variant (variants.py): the same seed, other settings
                continue
            try:
                same = _fingerprint(other.run) == _fingerprint(kept.run)
            except OSError as error:  # e.g. no read permission: one run, not the whole report
                survey.problems.append(
                    f"{other.run.path} holds run {run_id} too, and {error.filename} cannot be "
                    f"read ({error.strerror or error}) to compare it with {kept.run.path}; "
                    f"left out")
                continue
            if same:
                survey.notes.append(f"{other.run.path} is a copy of {kept.run.path}; counted once")
            else:
                survey.problems.append(
                    f"{other.run.path} holds run {run_id} too, with the same settings but another "
                    f"result.json or spec.json than {kept.run.path}; left out (move one of them "
                    f"to another results directory)")
        survey.runs.extend(kept_of_id)
    return survey


def _found_run(run: RunDir, survey: RunSurvey, registry: "Registry") -> FoundRun | None:
    """``run`` with its spec read, or None if it is no run directory or is left out; what is
    left out or noted is added to ``survey``. Raises OSError if the folder itself cannot be
    looked into (no permission); an unreadable spec.json is a problem in ``survey``."""
    from trackbench.harness.resume import read_run_spec

    if not run.spec_file.is_file():
        if run.result_file.is_file():
            survey.problems.append(f"{run.result_file}: no {SPEC_FILE} beside it, so its "
                                   f"settings are unknown; left out")
        elif run.failed_file.is_file():  # a cell that failed before it wrote its spec
            survey.notes.append(f"{run.path.name} failed before it started: "
                                f"{run.read_failure()} ({run.failed_file})")
        return None  # otherwise not a run directory
    try:
        spec = read_run_spec(run, registry)
    except TrackbenchError as error:
        survey.problems.append(f"{error}; left out")
        return None
    survey.problems.extend(_metrics_problems(run))
    return FoundRun(run, spec)


def _metrics_problems(run: RunDir) -> list[str]:
    """What of ``run``'s metrics.jsonl its learning curves leave out, worded for the report."""
    if run.metrics_file.exists() and not run.metrics_file.is_file():
        return [f"{run.metrics_file} is not a file; the run's learning curves are left out"]
    try:
        bad = run.bad_metric_lines()
    except OSError as error:  # e.g. no read permission: one run's curves, not the whole report
        return [f"{run.metrics_file} cannot be read ({error.strerror or error}); the run's "
                f"learning curves are left out"]
    if not bad:
        return []
    shown = ", ".join(map(str, bad[:5])) + (", …" if len(bad) > 5 else "")
    return [f"{run.metrics_file}: {len(bad)} line(s) ({shown}) hold no metrics row (a JSON "
            f"object with agent_steps a finite number ≥ 0); left out of its learning curves"]


def _fingerprint(run: RunDir) -> str:
    """What makes two directories of one run id the same run: their spec and result bytes.
    Raises OSError if one of them cannot be read."""
    digest = hashlib.sha256(run.spec_file.read_bytes())
    digest.update(run.result_file.read_bytes() if run.is_complete() else b"(incomplete)")
    return digest.hexdigest()


def build_report(results_dir: Path, *, registry: "Registry") -> Report:
    """The comparison of every run under ``results_dir`` (specs read with ``registry``'s plugins);
    invalid files are in ``problems``.

    Raises TrackbenchError if the directory does not exist, is a file or one run's folder, or
    holds neither runs nor problems.
    """
    if results_dir.is_file():
        raise TrackbenchError(f"{results_dir} is a file; a results directory is the folder that "
                              f"`trackbench run --out` wrote")
    if not results_dir.is_dir():
        raise TrackbenchError(f"results directory not found: {results_dir}")
    if (results_dir / SPEC_FILE).is_file():  # a run's own folder: its parent holds the runs
        raise TrackbenchError(f"{results_dir} is one run's folder (it holds {SPEC_FILE}); report "
                              f"its results directory: trackbench report {results_dir.parent}")
    survey = find_runs(results_dir, registry=registry)
    labels, variant_notes = method_labels([found.spec for found in survey.runs])
    report = Report(problems=survey.problems, notes=survey.notes + variant_notes)
    for found, label in zip(survey.runs, labels):
        spec = found.spec
        cell = report.cell(spec.task, spec.robot, label)
        if not found.run.is_complete():
            failure = found.run.read_failure()
            if failure is None:
                cell.incomplete += 1
            else:
                cell.failed += 1
                report.notes.append(f"{spec.run_id} failed: {failure} ({found.run.failed_file}; "
                                    f"`trackbench run` retries it)")
            continue
        try:
            result = found.run.read_checked_result()
        except TrackbenchError as error:
            report.problems.append(f"{error}; left out of the averages")
            continue
        cell.add(result, spec.seed)
    if not report.tasks and not report.problems:
        raise TrackbenchError(
            f"no runs in {results_dir} (a run directory holds {SPEC_FILE}); "
            f"train some with `trackbench run --out {results_dir}`"
        )
    return report
