"""`trackbench bench --robot R [--envs N] [--steps K] [--json]`: engine vs raw MuJoCo throughput."""

from __future__ import annotations

from typing import Optional

import typer
from rich.table import Table

from trackbench.harness import console
from trackbench.harness.benchmark import bench_engine
from trackbench.harness.build import make_engine, make_robot, scenes_for
from trackbench.harness.plugins import load_registry


def bench_command(
    robot: str = typer.Option("allegro", "--robot", help="robot name"),
    task: Optional[str] = typer.Option(None, "--task", help="task scene (default: table + box)"),
    engine: str = typer.Option("mujoco", "--engine"),
    num_envs: int = typer.Option(64, "--envs", min=1),
    steps: int = typer.Option(100, "--steps", min=1, help="control steps to time"),
    threads: int = typer.Option(0, "--threads", min=0, help="0 = all cores"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Measure the engine's control steps per second against raw mujoco.rollout."""
    registry = load_registry()
    registry.raise_problems()
    sim = make_engine(registry, engine, make_robot(registry, robot), scenes_for(registry, task),
                      num_envs, seed=0, overrides={"num_threads": threads})
    result = bench_engine(sim, steps, scene_name=task or "table+box")
    if as_json:
        console.print_json(result.to_json())
        return
    table = Table(title=f"{robot} on {result.scene}: {num_envs} envs, {steps} control steps, "
                  f"{result.threads} threads", title_justify="left")
    for column in ("", "env steps/s", "physics steps/s", "seconds"):
        table.add_column(column, justify="right")
    table.add_row("engine", f"{result.engine_env_steps_per_s:,.0f}",
                  f"{result.engine_physics_steps_per_s:,.0f}", f"{result.engine_seconds:.2f}")
    table.add_row("raw rollout", f"{result.raw_env_steps_per_s:,.0f}",
                  f"{result.raw_physics_steps_per_s:,.0f}", f"{result.raw_seconds:.2f}")
    console.out.print(table)
    console.out.print(f"ratio engine/raw: [bold]{result.ratio:.2f}[/]")
