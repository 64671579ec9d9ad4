"""`trackbench list [KIND] [--json]`: every installed plugin with the package it came from."""

from __future__ import annotations

from typing import Optional

import typer
from rich.table import Table

from trackbench.harness import console
from trackbench.harness.errors import TrackbenchError, unknown_name_error


def _kind(value: str) -> str:
    from trackbench.harness.registry import KINDS  # imports every contract, torch included

    plural = value if value in KINDS else value + "s"
    if plural not in KINDS:
        raise unknown_name_error("kind", value, list(KINDS))
    return plural


def list_command(
    kind: Optional[str] = typer.Argument(None, help="engines, robots, tasks, methods, predictors or datasets"),
    as_json: bool = typer.Option(False, "--json", help="print JSON instead of tables"),
) -> None:
    """List installed engines, robots, tasks, methods, predictors and datasets."""
    # Deferred: loading plugins imports torch and MuJoCo, which `trackbench --help` must not pay for.
    from trackbench.harness.plugins import load_registry
    from trackbench.harness.registry import KINDS

    kinds = [_kind(kind)] if kind else list(KINDS)
    registry = load_registry()
    if as_json:
        console.print_json({
            k: [{"name": e.name, "package": e.package, "description": e.description,
                 "entry_point": e.entry_point}
                for e in (registry.entries[k][name] for name in registry.names(k))]
            for k in kinds
        })
    else:
        for k in kinds:
            table = Table(title=k, title_justify="left")
            for column in ("name", "package", "description"):
                table.add_column(column)
            for name in registry.names(k):
                entry = registry.entries[k][name]
                table.add_row(entry.name, entry.package, entry.description)
            if not registry.entries[k]:
                table.add_row("—", "", "none installed")
            console.out.print(table)
    if registry.problems:
        raise TrackbenchError("\n".join(registry.problems))
