"""`trackbench bench`: engine vs raw MuJoCo throughput, or (--train) the whole training loop.

    trackbench bench --robot R [--task T] [--envs N] [--steps K] [--json]
    trackbench bench --train --robot R --task T --method M [--envs N] [--steps K] [--set ...] [--json]
                     [--engine mjwarp --device cuda]
"""

from __future__ import annotations

from typing import Optional

import typer
from pydantic import ValidationError
from rich.table import Table

from trackbench.harness import console
from trackbench.harness.cli.options import parse_overrides
from trackbench.harness.errors import TrackbenchError, describe_validation_error


def bench_command(
    robot: str = typer.Option("allegro", "--robot", help="robot name"),
    task: Optional[str] = typer.Option(None, "--task", help="task scene (default: table + box; "
                                       "with --train: grasp_lift)"),
    engine: str = typer.Option("mujoco", "--engine"),
    num_envs: int = typer.Option(64, "--envs", min=1),
    steps: int = typer.Option(100, "--steps", min=1,
                              help="control steps to time (with --train: per env, so agent "
                              "steps = envs × steps)"),
    threads: int = typer.Option(0, "--threads", min=0, help="engine threads, 0 = all cores"),
    train: bool = typer.Option(False, "--train", help="time a short training of one cell, "
                               "stage by stage, against raw physics"),
    method: str = typer.Option("dense", "--method", help="with --train: the reward method"),
    device: str = typer.Option("cpu", "--device", help="with --train: torch device, cpu or "
                               "cuda[:N] (the mjwarp engine's too; stages then time GPU work)"),
    settings: list[str] = typer.Option([], "--set", help="with --train: KIND.FIELD=VALUE as in run"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Measure the engine against raw mujoco.rollout, or with --train the training loop."""
    # Deferred: they import torch and MuJoCo, which `trackbench --help` must not pay for.
    from trackbench.harness.benchmark import bench_engine
    from trackbench.harness.build import make_engine, make_robot, scenes_for
    from trackbench.harness.plugins import load_registry

    registry = load_registry()
    registry.raise_problems()
    if train:
        _bench_training(registry, robot, task or "grasp_lift", method, engine, num_envs, steps,
                        threads, device, settings, as_json)
        return
    if settings or device != "cpu":
        raise TrackbenchError("--set and --device apply to --train only")
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


def _bench_training(registry, robot: str, task: str, method: str, engine: str, num_envs: int,
                    steps: int, threads: int, device: str, settings: list[str],
                    as_json: bool) -> None:
    from trackbench.harness.matrix import plan
    from trackbench.harness.specs import MatrixSpec
    from trackbench.harness.training.throughput import STAGE_ORDER, bench_training

    overrides = parse_overrides(settings)
    if threads:
        overrides.setdefault("engine", {})["num_threads"] = threads
    try:
        matrix = MatrixSpec(robots=[robot], tasks=[task], methods=[method], engine=engine,
                            agent_steps=num_envs * steps, num_envs=num_envs, device=device,
                            overrides=overrides)
    except ValidationError as error:
        raise TrackbenchError(describe_validation_error("bench options", error)) from None
    result = bench_training(plan(matrix, registry)[0], registry)
    if as_json:
        console.print_json(result)
        return
    table = Table(title=f"training loop: {robot} / {task} / {method}, {num_envs} envs, "
                  f"{result['agent_steps']:,} agent steps, torch threads "
                  f"{result['torch_threads']}, engine threads {result['engine_threads']}",
                  title_justify="left")
    for column in ("stage", "µs per agent step", "share of the loop"):
        table.add_column(column, justify="right")
    for name in STAGE_ORDER:
        stage = result["stages"][name]
        table.add_row(name, f"{stage['us_per_agent_step']:,.1f}", f"{stage['fraction']:.1%}")
    console.out.print(table)
    console.out.print(
        f"loop {result['agent_steps_per_s']:,.0f} agent steps/s; raw mujoco.rollout "
        f"{result['raw_env_steps_per_s']:,.0f} env steps/s; ratio [bold]{result['ratio']:.2f}[/]")
