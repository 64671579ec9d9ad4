"""`trackbench report [DIR] [--metric NAME] [--running] [--bootstrap-reps N] [--json]`: one table
per task, robots × methods, the IQM of success over seeds with a 95% bootstrap interval; the
probability of improvement of each pair of methods; each method over all robots and tasks. Beside
the runs: a learning-curve PNG per task (and all tasks in one, curves.py) and rliable's interval
plot and performance profile (report_plots.py). Statistics: report_stats.py (Agarwal et al.
2021)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.table import Table
from rich.text import Text

from trackbench.harness import console
from trackbench.harness.errors import TrackbenchError
from trackbench.harness.report import Report, build_report
from trackbench.harness.report_stats import (
    DEFAULT_REPS, DEFAULT_SEED, MARK_LEGEND, NO_INTERVAL_LEGEND, Bootstrap, Statistics,
    report_statistics)
from trackbench.harness.results import DEFAULT_METRIC

if TYPE_CHECKING:
    from trackbench.harness.curves import CurveFiles
    from trackbench.harness.registry import Registry
    from trackbench.harness.report_plots import Figure

FIGURE_NAMES = {"iqm_intervals": "IQM interval plot", "performance_profile": "performance profile"}


def render_tables(report: Report, stats: Statistics) -> None:
    for task in sorted(report.tasks):
        methods = report.methods(task)
        table = Table(title=f"{task}: final success, IQM over seeds [95% CI] n",
                      caption=f"{MARK_LEGEND}; {NO_INTERVAL_LEGEND}", title_justify="left",
                      caption_justify="left")
        table.add_column("robot")
        for method in methods:
            table.add_column(Text(method), justify="right")  # a variant's [...] is no markup
        for robot in report.robots(task):
            row, comparison = report.tasks[task][robot], stats.cells[task][robot]
            table.add_row(robot, *[row[m].text(comparison.text(m)) if m in row else "missing"
                                   for m in methods])
        console.out.print(table)
        _render_events(report, task, methods)
        _render_improvement(task, stats)
    _render_aggregate(stats)


def _render_improvement(task: str, stats: Statistics) -> None:
    """Every pair of methods on each robot: P(A > B), the chance a run of A beats one of B."""
    rows = sorted(stats.cells[task].items())
    if not any(comparison.pairs for _, comparison in rows):
        return
    table = Table(title=f"{task}: probability of improvement over seeds, P(A > B) = 1 − P(B > A)",
                  title_justify="left")
    for name, justify in (("robot", "left"), ("A", "left"), ("B", "left"),
                          ("P(A > B)", "right"), ("95% CI", "right")):
        table.add_column(name, justify=justify)
    for robot, comparison in rows:
        for i, pair in enumerate(comparison.pairs):
            table.add_row(robot if i == 0 else "", Text(pair.a), Text(pair.b),
                          f"{pair.probability.value:.2f}", pair.probability.interval_text(),
                          end_section=i == len(comparison.pairs) - 1)
    console.out.print(table)


def _render_aggregate(stats: Statistics) -> None:
    """Each method over all its robot/task pairs; shown when some method has more than one."""
    aggregate = stats.aggregate
    if not any(len(strata) > 1 for strata in aggregate.strata.values()):
        return
    comparison = aggregate.comparison
    caption = aggregate.not_comparable or MARK_LEGEND
    table = Table(title="all robots and tasks: final success, IQM over each method's runs "
                        "[95% CI, bootstrap stratified by robot/task]",
                  caption=caption, title_justify="left", caption_justify="left")
    for name, justify in (("method", "left"), ("IQM [95% CI]", "right"), ("runs", "right"),
                          ("robot/task", "right"), ("mark or why no interval", "left")):
        table.add_column(name, justify=justify)
    for method, estimate in comparison.iqm.items():
        table.add_row(Text(method), f"{estimate.value:.2f} {estimate.interval_text()}",
                      str(comparison.n[method]), str(len(aggregate.strata[method])),
                      comparison.mark(method) or (estimate.undefined or ""))
    console.out.print(table)


def _render_events(report: Report, task: str, methods: list[str]) -> None:
    """The task's event rates (e.g. lift: the object rose 5 cm), mean over seeds."""
    rows = {robot: report.tasks[task][robot] for robot in report.robots(task)}
    if not any(cell.events for row in rows.values() for cell in row.values()):
        return
    table = Table(title=f"{task}: task events, fraction of evaluation episodes, mean over seeds",
                  title_justify="left")
    table.add_column("robot")
    for method in methods:
        table.add_column(Text(method), justify="right")
    for robot, row in rows.items():
        table.add_row(robot, *[row[m].events_text() if m in row else "missing" for m in methods])
    console.out.print(table)


def show_report(results_dir: Path, registry: "Registry", bootstrap: Bootstrap = Bootstrap()
                ) -> Report:
    """Print the tables, write the figures and say where; problems are printed as warnings."""
    report = build_report(results_dir, registry=registry)
    stats = report_statistics(report, bootstrap)
    render_tables(report, stats)
    write_figures(results_dir, report, stats, bootstrap, registry=registry).print()
    for message in report.notes + report.problems:
        console.warn(message)
    return report


@dataclass
class Figures:
    """What the report drew into the results directory."""

    curves: CurveFiles
    rliable: dict[str, Figure]  # iqm_intervals, performance_profile
    metric: str
    running: bool

    def print(self) -> None:
        name = "learning curves" if self.metric == DEFAULT_METRIC else f"{self.metric} curves"
        for task, path in sorted(self.curves.tasks.items()):
            console.out.print(f"{name} of {task}: {path}")
        if self.curves.combined is not None:
            console.out.print(f"{name} of all tasks, a panel each: {self.curves.combined}")
        if not self.curves.tasks and not self.running:
            console.out.print(f"no curves: no finished run has logged {self.metric} "
                              "(--running draws unfinished runs too)")
        elif not self.curves.tasks:
            console.out.print(f"no curves: no run has logged {self.metric} yet")
        for key, figure in self.rliable.items():
            console.out.print(f"{FIGURE_NAMES[key]}: {figure.path}" if figure.path is not None
                              else f"no {FIGURE_NAMES[key]}: {figure.skipped}")

    def to_json(self) -> dict[str, Any]:
        combined = self.curves.combined
        return {"curves": {task: str(path) for task, path in sorted(self.curves.tasks.items())},
                "curves_all_tasks": None if combined is None else str(combined),
                "figures": {key: figure.to_json() for key, figure in self.rliable.items()}}


def write_figures(results_dir: Path, report: Report, stats: Statistics, bootstrap: Bootstrap,
                  metric: str = DEFAULT_METRIC, running: bool = False, *,
                  registry: "Registry") -> Figures:
    """The learning curves of ``metric`` and rliable's figures, written into ``results_dir``."""
    # numpy and matplotlib: not for `trackbench --help`
    from trackbench.harness.curves import write_curves
    from trackbench.harness.report_plots import write_report_figures

    return Figures(write_curves(results_dir, metric, running, bootstrap, registry=registry),
                   write_report_figures(results_dir, report, stats, bootstrap), metric, running)


def report_command(
    results_dir: Path = typer.Argument(Path("runs"), help="results directory written by `run`"),
    metric: str = typer.Option(
        DEFAULT_METRIC, "--metric",
        help="metrics.jsonl column to draw, e.g. lift_rate, episode_return, term/dense_fingertip; "
             "other than success_rate the PNG is curves_<task>_<metric>.png"),
    running: bool = typer.Option(
        False, "--running", help="draw unfinished runs too (labelled 'running' in the legend)"),
    bootstrap_reps: int = typer.Option(
        DEFAULT_REPS, "--bootstrap-reps",
        help="bootstrap replicates per confidence interval (at least 100; time grows with it)"),
    bootstrap_seed: int = typer.Option(
        DEFAULT_SEED, "--bootstrap-seed", help="seed of the bootstrap, for reproducible intervals"),
    as_json: bool = typer.Option(False, "--json", help="print JSON instead of tables"),
) -> None:
    """Compare finished runs: final success per task, robot and method as the interquartile mean
    over seeds with a 95% bootstrap interval, the probability that one method beats another, each
    method over all robots and tasks (Agarwal et al., NeurIPS 2021); plus learning curves of any
    logged metric (mean and 95% interval over seeds; unfinished runs too with --running), and
    rliable's interval plot and performance profile, as PNGs in the results directory."""
    from trackbench.harness.plugins import load_registry

    if not metric.strip():
        raise TrackbenchError("--metric is empty: name a metrics.jsonl column, e.g. "
                              f"{DEFAULT_METRIC} or lift_rate")
    bootstrap = Bootstrap(bootstrap_reps, bootstrap_seed)
    registry = load_registry()  # the runs' specs are read with the installed plugins
    report = build_report(results_dir, registry=registry)
    stats = report_statistics(report, bootstrap)
    figures = write_figures(results_dir, report, stats, bootstrap, metric, running,
                            registry=registry)
    if as_json:
        console.print_json({**report.to_json(), "statistics": stats.to_json(),
                            **figures.to_json()})
    else:
        render_tables(report, stats)
        figures.print()
        for note in report.notes:
            console.warn(note)
    if report.problems:
        raise TrackbenchError("\n".join(report.problems))
