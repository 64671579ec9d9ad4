"""`trackbench data retarget`: human sequences → robot demonstrations on a task, and their quality."""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from trackbench.harness import console
from trackbench.harness.errors import TrackbenchError

DEMOS_FILE, QUALITY_FILE = "demonstrations.npz", "quality.json"


def retarget_command(
    robot: str = typer.Option(..., "--robot", help="robot plugin to retarget onto"),
    dataset: str = typer.Option(..., "--dataset", help="human dataset plugin"),
    task: str = typer.Option("grasp_lift", "--task", help="task whose scene replays the demos"),
    out: Path = typer.Option(..., "--out", help="folder to write (must be empty or new)"),
    num: int = typer.Option(50, "--num", min=1, max=100_000,
                            help="demonstrations: the first N sequences of the 'train' split"),
    path: Optional[str] = typer.Option(None, "--dataset-path", help="dataset root on disk"),
    engine: str = typer.Option("mujoco", "--engine", help="engine plugin of the physics replay"),
    settings: List[str] = typer.Option([], "--set", help=(
        "KIND.FIELD=VALUE for KIND robot, task, dataset or engine (e.g. robot.hand_kp=40)")),
    as_json: bool = typer.Option(False, "--json", help="print the quality as JSON, no progress bar"),
) -> None:
    """Retarget human hand data onto a robot (mink IK), replay it with physics in a task's scene,
    and write the demonstrations (observations, actions, joint targets) and their quality."""
    from trackbench.harness.atomic import atomic_directory, check_creatable, remove_leftovers, write_json_atomic
    from trackbench.harness.build import make_engine, make_robot, make_task
    from trackbench.harness.cli.options import only_kinds, parse_overrides, with_dataset_path
    from trackbench.harness.demonstrations import first_sequences, record
    from trackbench.harness.plugins import load_registry
    from trackbench.harness.retarget import retarget_problems

    check_creatable(out)
    remove_leftovers(out.absolute().parent, target=out.name)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise TrackbenchError(f"{out} exists and is not an empty folder; choose a new --out")
    overrides = only_kinds(parse_overrides(settings), ("robot", "task", "dataset", "engine"),
                           "data retarget")
    registry = load_registry()
    registry.raise_problems()
    robot_plugin = make_robot(registry, robot, overrides.get("robot"))
    problems = retarget_problems(robot_plugin.spec) + robot_plugin.check_model()
    if problems:
        raise TrackbenchError(f"robot '{robot}' cannot be retargeted onto: {problems[0]}")
    task_plugin = make_task(registry, task, overrides.get("task"))
    problems = task_plugin.check_compatible(robot_plugin.spec)
    if problems:
        raise TrackbenchError(f"task '{task}' with robot '{robot}': {problems[0]}")
    # An unknown engine or a bad engine setting fails before any work.
    registry.resolve_spec("engines", engine, overrides.get("engine", {}))
    dataset_spec = registry.resolve_spec("datasets", dataset,
                                         with_dataset_path(overrides.get("dataset", {}), path))
    source = registry.get("datasets", dataset).cls(dataset_spec)
    sequences = first_sequences(source.sequences("train"), num)
    if not sequences:
        raise TrackbenchError(f"dataset '{dataset}' has no sequences in its 'train' split")

    columns = (TextColumn(f"retargeting onto {robot}"), BarColumn(), MofNCompleteColumn(),
               TimeElapsedColumn())
    with Progress(*columns, console=console.err, disable=as_json) as progress, \
            atomic_directory(out) as staging:
        bar = progress.add_task("retarget", total=len(sequences))
        demos, quality = record(
            robot_plugin, task_plugin, sequences,
            engine=lambda n: make_engine(registry, engine, robot_plugin, task_plugin.scenes(), n,
                                         0, overrides.get("engine")),
            on_demo=lambda: progress.advance(bar))
        demos.save(staging / DEMOS_FILE)
        summary = {"robot": robot, "task": task, "dataset": dataset, **quality}
        write_json_atomic(staging / QUALITY_FILE, summary)
    summary["out"] = str(out)
    if as_json:
        console.print_json(summary)
        return
    error = quality["fingertip_error_cm"]
    events = "".join(f", {name} {rate:.2f}" for name, rate in quality["replay_events"].items())
    console.out.print(
        f"wrote {quality['demos']} demonstrations ({quality['steps']} control steps from "
        f"{quality['frames']} human frames) of {robot} on {task} to {out}\n"
        f"fingertip error after IK: mean {error['mean']:.2f} cm, p95 {error['p95']:.2f} cm; "
        f"joint-limit violations: {quality['limit_violations']}; arm actions clipped: "
        f"{quality['arm_actions_clipped']:.1%}\n"
        f"replay by the task's rules: success {quality['replay_task_success']:.2f}{events}; "
        f"object 0 lifted 5 cm: {quality['replay_success']:.2f} (mean rise "
        f"{quality['mean_rise_cm']:.1f} cm); placements: {quality['placements']}")
