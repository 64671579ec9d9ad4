"""`trackbench predictor probe --robot R --task T`: what Π_h predicts from a robot's real reset
states (still-robot speed vs the human data's, and a closed loop on its own predictions)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Optional, get_args

import typer
from rich.table import Table

from trackbench.harness import console
from trackbench.harness.cli.options import only_kinds, parse_overrides
from trackbench.harness.errors import TrackbenchError

# The spec kinds that shape the states the probe resets; Π_h itself comes from --preset,
# --dataset, --checkpoint and --hand-shape, and no policy is trained.
ENV_KINDS = ("engine", "robot", "task")


def probe_command(
    robot: str = typer.Option(..., "--robot", help="robot name"),
    task: str = typer.Option(..., "--task", help="task name"),
    envs: int = typer.Option(16, "--envs", help="envs reset from the task's distribution"),
    seconds: float = typer.Option(4.0, "--seconds", help="closed-loop length (s)"),
    seed: int = typer.Option(0, "--seed", help="seed of the resets (as a run's seed)"),
    preset: Optional[str] = typer.Option("cpu", "--preset", help="cached predictor preset"),
    dataset: str = typer.Option("synthetic", "--dataset",
                                help="dataset the cached predictor was trained on"),
    checkpoint: Optional[Path] = typer.Option(None, "--checkpoint",
                                              help="predictor file instead of the cache"),
    human_sequences: Optional[int] = typer.Option(
        None, "--human-sequences", help="train sequences for the human speeds (default: all)"),
    hand_shape: str = typer.Option(
        "robot", "--hand-shape", help="the hand Π_h sees, as track's method.hand_shape: robot "
        "(its keypoints as they are) or human_rest (shifted into the closest human rest shape)"),
    settings: list[str] = typer.Option(
        [], "--set", help="setting of the env the probe resets, KIND.FIELD=VALUE with KIND one of "
        f"{', '.join(ENV_KINDS)} (repeatable; e.g. task.pregrasp_start=1 for training's "
        "pre-grasp starts)"),
    out: Optional[Path] = typer.Option(None, "--out", help="folder for probe_<robot>_<task>.png"),
    as_json: bool = typer.Option(False, "--json", help="print JSON instead of a table"),
) -> None:
    """Probe the `track` method's Π_h on real reset states: still-robot predicted speed against
    the human data's per-step speed, and a closed loop fed its own predictions."""
    # Deferred: torch and the plugins, which `trackbench --help` must not pay for.
    import torch

    from trackbench.harness.plugins import load_registry
    from trackbench.harness.prediction_history import (
        REST_SHAPE_SEQUENCES, HandShape, human_rest_shapes,
    )
    from trackbench.harness.predictors import probe, probe_plot

    for name, value, low in (("--envs", envs, 1), ("--seed", seed, 0),
                             ("--human-sequences", human_sequences, 1)):
        if value is not None and value < low:
            raise TrackbenchError(f"{name} must be at least {low}, got {value}")
    if not (seconds > 0 and seconds <= 60):
        raise TrackbenchError(f"--seconds must be in (0, 60], got {seconds}")
    if hand_shape not in get_args(HandShape):
        raise TrackbenchError(f"--hand-shape must be one of {', '.join(get_args(HandShape))}, "
                              f"got '{hand_shape}'")
    overrides = only_kinds(parse_overrides(settings), ENV_KINDS, "predictor probe",
                           "Π_h is chosen by --preset, --dataset, --checkpoint and --hand-shape")
    torch.set_num_threads(1)
    registry = load_registry()
    registry.raise_problems()
    # Names and settings are checked here first.
    batch = probe.reset_batch(registry, robot, task, envs, seed, overrides)
    predictor = probe.load_track_predictor(registry, preset, dataset, checkpoint)
    name, sequences = probe.human_sequences(registry, predictor, human_sequences)
    human = {"dataset": name, **probe.human_statistics(sequences)}
    rest_shapes = None
    if hand_shape == "human_rest":  # the first training sequences: already read, if enough
        rest_shapes = (human_rest_shapes(sequences[:REST_SHAPE_SEQUENCES])
                       if len(sequences) >= REST_SHAPE_SEQUENCES
                       else probe.training_rest_shapes(registry, predictor))
    report, rollout = probe.probe(predictor, batch, seconds, human, rest_shapes)
    report = {"robot": robot, "task": task, "seed": seed, "hand_shape": hand_shape,
              "settings": overrides,
              "predictor": checkpoint and str(checkpoint) or f"cache: {preset} preset, {dataset}",
              **report}
    if out is not None:
        shown = min(probe_plot.MAX_ENVS, envs)
        path = probe_plot.write(
            Path(out) / f"probe_{robot}_{task}.png", f"probe {robot} {task}: predicted paths",
            rollout.tips[:, :shown].numpy(), batch.points[:shown].mean(dim=2).numpy())
        report["png"] = str(path)
    if as_json:
        console.print_json(report)
        return
    console.out.print(_table(report))
    if out is not None:
        console.out.print(f"wrote {report['png']}")


def _table(report: dict[str, Any]) -> Table:
    still, human, loop = report["still"], report["human"], report["closed_loop"]
    table = Table(title=(
        f"Π_h probe: {report['robot']} × {report['task']}, {report['envs']} envs, "
        f"{report['fingertips']} fingertips ({report['hand_shape']} shape), {report['predictor']} "
        f"(cm per step of {1000 / report['control_hz']:.0f} ms)"
        + "".join(f", {kind}.{field}={value}" for kind, fields in report["settings"].items()
                  for field, value in fields.items())), title_justify="left")
    table.add_column("")
    table.add_column("value", justify="right")
    cm = lambda metres: f"{100 * metres:.2f}"  # noqa: E731
    rows = [
        ("still robot, first step: mean / max", f"{cm(still['first_step_mean_m'])} / "
         f"{cm(still['first_step_max_m'])}"),
        (f"still robot, first {still['first_steps']} steps: mean / max",
         f"{cm(still['first_steps_mean_m'])} / {cm(still['first_steps_max_m'])}"),
        (f"human ({human['dataset']}, {human['sequences']} seq.): mean / p99 / max",
         f"{cm(human['speed_mean_m'])} / {cm(human['speed_p99_m'])} / {cm(human['speed_max_m'])}"),
        ("still first step ÷ human mean", f"{still['ratio_to_human_mean']:.1f}×"),
        ("closed loop: fingertips to the target's surface, start → min (cm)",
         f"{cm(loop['initial_distance_m'])} → {cm(loop['min_distance_m'])} "
         f"at {loop['min_distance_s']:.2f} s"),
        ("closed loop: first < 3 cm (env mean); envs ever < 3 cm",
         f"{_seconds(loop['first_below_3cm_s'])}; {100 * loop['envs_below_3cm']:.0f}%"),
        ("human: closest mean fingertip–surface distance (cm)",
         cm(human["grasp_distance_mean_m"])),
        ("closed loop: spread start → end (cm)",
         f"{cm(loop['initial_spread_m'])} → {cm(loop['final_spread_m'])}"),
        ("closed loop: max rise (cm)", cm(loop["max_rise_m"])),
    ]
    if report["starts"]:  # training's start curricula (--set task.pregrasp_start=…)
        rows.insert(0, ("training starts at these resets", ", ".join(
            f"{name.removesuffix('_total')} {count}" for name, count in report["starts"].items())))
    for label, value in rows:
        table.add_row(label, value)
    return table


def _seconds(value: float | None) -> str:
    return "never" if value is None else f"{value:.2f} s"
