"""`trackbench report [DIR] [--metric NAME] [--running] [--json]`: one table per task, robots ×
methods, success over seeds, and a learning-curve PNG per task next to the runs."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from trackbench.harness import console
from trackbench.harness.errors import TrackbenchError
from trackbench.harness.report import Report, build_report
from trackbench.harness.results import DEFAULT_METRIC


def render_tables(report: Report) -> None:
    for task in sorted(report.tasks):
        methods = report.methods(task)
        table = Table(title=f"{task}: success rate, mean ± std over seeds (n)", title_justify="left")
        table.add_column("robot")
        for method in methods:
            table.add_column(method, justify="right")
        for robot in report.robots(task):
            row = report.tasks[task][robot]
            table.add_row(robot, *[row[m].text() if m in row else "missing" for m in methods])
        console.out.print(table)
        _render_events(report, task, methods)


def _render_events(report: Report, task: str, methods: list[str]) -> None:
    """The task's event rates (e.g. lift: the object rose 5 cm), mean over seeds."""
    rows = {robot: report.tasks[task][robot] for robot in report.robots(task)}
    if not any(cell.events for row in rows.values() for cell in row.values()):
        return
    table = Table(title=f"{task}: task events, fraction of evaluation episodes, mean over seeds",
                  title_justify="left")
    table.add_column("robot")
    for method in methods:
        table.add_column(method, justify="right")
    for robot, row in rows.items():
        table.add_row(robot, *[row[m].events_text() if m in row else "missing" for m in methods])
    console.out.print(table)


def show_report(results_dir: Path) -> Report:
    """Print the tables and write the curves; problems are printed as warnings."""
    from trackbench.harness.curves import write_curves  # numpy: not for `trackbench --help`

    report = build_report(results_dir)
    render_tables(report)
    for task, path in sorted(write_curves(results_dir).items()):
        console.out.print(f"learning curves of {task}: {path}")
    for message in report.notes + report.problems:
        console.warn(message)
    return report


def report_command(
    results_dir: Path = typer.Argument(Path("runs"), help="results directory written by `run`"),
    metric: str = typer.Option(
        DEFAULT_METRIC, "--metric",
        help="metrics.jsonl column to draw, e.g. lift_rate, episode_return, term/dense_fingertip; "
             "other than success_rate the PNG is curves_<task>_<metric>.png"),
    running: bool = typer.Option(
        False, "--running", help="draw unfinished runs too (labelled 'running' in the legend)"),
    as_json: bool = typer.Option(False, "--json", help="print JSON instead of tables"),
) -> None:
    """Compare finished runs: success rate per task, robot and method, plus learning curves of
    any logged metric (unfinished runs too with --running)."""
    from trackbench.harness.curves import write_curves  # numpy: not for `trackbench --help`

    report = build_report(results_dir)
    curves = write_curves(results_dir, metric, running)
    if as_json:
        payload = report.to_json()
        payload["curves"] = {task: str(path) for task, path in sorted(curves.items())}
        console.print_json(payload)
    else:
        render_tables(report)
        name = "learning curves" if metric == DEFAULT_METRIC else f"{metric} curves"
        for task, path in sorted(curves.items()):
            console.out.print(f"{name} of {task}: {path}")
        if not curves and not running:
            console.out.print(f"no curves: no finished run has logged {metric} "
                              "(--running draws unfinished runs too)")
        for note in report.notes:
            console.warn(note)
    if report.problems:
        raise TrackbenchError("\n".join(report.problems))
