"""`trackbench report [DIR] [--json]`: one table per task, robots × methods, success over seeds,
and a learning-curve PNG per task next to the runs."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from trackbench.harness import console
from trackbench.harness.curves import write_curves
from trackbench.harness.errors import TrackbenchError
from trackbench.harness.report import Report, build_report


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
    report = build_report(results_dir)
    render_tables(report)
    for task, path in sorted(write_curves(results_dir).items()):
        console.out.print(f"learning curves of {task}: {path}")
    for problem in report.problems:
        console.warn(problem)
    return report


def report_command(
    results_dir: Path = typer.Argument(Path("runs"), help="results directory written by `run`"),
    as_json: bool = typer.Option(False, "--json", help="print JSON instead of tables"),
) -> None:
    """Compare finished runs: success rate per task, robot and method, plus learning curves."""
    report = build_report(results_dir)
    curves = write_curves(results_dir)
    if as_json:
        payload = report.to_json()
        payload["curves"] = {task: str(path) for task, path in sorted(curves.items())}
        console.print_json(payload)
    else:
        render_tables(report)
        for task, path in sorted(curves.items()):
            console.out.print(f"learning curves of {task}: {path}")
    if report.problems:
        raise TrackbenchError("\n".join(report.problems))
