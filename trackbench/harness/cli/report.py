"""`trackbench report [DIR] [--json]`: one table per task, robots × methods, success over seeds."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from trackbench.harness import console
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


def report_command(
    results_dir: Path = typer.Argument(Path("runs"), help="results directory written by `run`"),
    as_json: bool = typer.Option(False, "--json", help="print JSON instead of tables"),
) -> None:
    """Compare finished runs: success rate per task, robot and method."""
    report = build_report(results_dir)
    if as_json:
        console.print_json(report.to_json())
    else:
        render_tables(report)
    if report.problems:
        raise TrackbenchError("\n".join(report.problems))
