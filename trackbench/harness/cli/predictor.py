"""`trackbench predictor train|eval|probe`: train Π_h on a human dataset; measure it on held-out
data; probe it on a robot's reset states (``predictor_probe.py``)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Optional

import typer
from rich.table import Table

from trackbench.harness import console
from trackbench.harness.atomic import writable_file_problem
from trackbench.harness.cli.options import parse_fields, with_dataset_path
from trackbench.harness.cli.predictor_probe import probe_command
from trackbench.harness.errors import TrackbenchError

app = typer.Typer(help="Train, evaluate and probe the human-motion predictor Π_h.",
                  no_args_is_help=True)
app.command("probe")(probe_command)


@app.command("train")
def train_command(
    out: Path = typer.Option(..., "--out", help="checkpoint file to write"),
    predictor: str = typer.Option("transformer", "--predictor", help="predictor plugin"),
    preset: Optional[str] = typer.Option("cpu", "--preset", help="named preset (cpu, paper)"),
    dataset: str = typer.Option("synthetic", "--dataset", help="human dataset plugin"),
    dataset_path: Optional[str] = typer.Option(None, "--dataset-path", help="dataset root on disk"),
    settings: list[str] = typer.Option([], "--set", help="predictor spec FIELD=VALUE (repeatable)"),
    dataset_settings: list[str] = typer.Option(
        [], "--dataset-set", help="dataset spec FIELD=VALUE (repeatable), e.g. num_sequences=100"),
    device: str = typer.Option("cpu", "--device", help="torch device: cpu or cuda"),
    threads: int = typer.Option(
        1, "--threads", min=0, help="torch CPU threads while training (0 = torch's default)"),
    as_json: bool = typer.Option(False, "--json", help="print the training summary as JSON"),
    force: bool = typer.Option(False, "--force", help="overwrite an existing --out file"),
) -> None:
    """Train a predictor on a dataset's train split (val split monitors) and save a checkpoint."""
    # Deferred: the plugins import torch, which `trackbench --help` must not pay for.
    from trackbench.harness.plugins import load_registry
    from trackbench.harness.predictors.workflow import train_on_dataset

    problem = writable_file_problem(out)
    if problem:  # before minutes of training, not after
        raise TrackbenchError(f"{problem}; nothing was trained")
    if out.is_file() and not force:  # a checkpoint a track run names would be lost
        raise TrackbenchError(f"{out} exists; nothing was trained. Pass --force to overwrite it "
                              f"(a run trained with it then refuses to resume: its Π_h changed)")
    registry = load_registry()
    registry.raise_problems()
    overrides = parse_fields(settings)
    if preset is not None:
        overrides.setdefault("preset", preset)
    dataset_overrides = with_dataset_path(parse_fields(dataset_settings), dataset_path)
    if isinstance(dataset_overrides.get("path"), str) and dataset_overrides["path"].strip():
        # The checkpoint names its data (track's hand_shape=human_rest reads it again): as an
        # absolute path, so that it means the same folder wherever the checkpoint is used.
        dataset_overrides["path"] = str(Path(dataset_overrides["path"]).expanduser().absolute())
    started = time.perf_counter()
    model, description, summary = train_on_dataset(
        registry, predictor, overrides, dataset, dataset_overrides, progress=not as_json,
        device=device, threads=threads,
    )
    summary["total_seconds"] = round(time.perf_counter() - started, 1)
    path = model.save(out, dataset=description, training=summary)
    if as_json:
        console.print_json({"checkpoint": str(path), "spec": model.spec.model_dump(mode="json"),
                            "training": summary})
        return
    console.out.print(
        f"trained [bold]{predictor}[/] on '{dataset}' ({summary['train_sequences']} sequences, "
        f"{summary['steps']} steps) in {summary['total_seconds']:.1f} s → {path}"
    )
    if "val" in summary:
        console.out.print(_table(summary["val"], f"validation split of '{dataset}'"))


@app.command("eval")
def eval_command(
    checkpoint: Path = typer.Argument(..., help="checkpoint written by `predictor train`"),
    dataset: Optional[str] = typer.Option(None, "--dataset", help="default: the training dataset"),
    dataset_path: Optional[str] = typer.Option(None, "--dataset-path", help="dataset root on disk"),
    dataset_settings: list[str] = typer.Option(
        [], "--dataset-set", help="dataset spec FIELD=VALUE (repeatable); default: as trained"),
    split: str = typer.Option("test", "--split", help="which split to evaluate on"),
    device: str = typer.Option("cpu", "--device", help="torch device: cpu or cuda"),
    as_json: bool = typer.Option(False, "--json", help="print JSON instead of a table"),
) -> None:
    """One-step error and closed-loop drift (cm) on held-out sequences."""
    from trackbench.harness.plugins import load_registry
    from trackbench.harness.predictor import load_predictor
    from trackbench.harness.predictors.evaluation import evaluate
    from trackbench.harness.predictors.workflow import load_split

    registry = load_registry()
    registry.raise_problems()
    model = load_predictor(checkpoint, registry).to(device)
    trained_on = model.metadata.get("dataset") or {}
    name = dataset or trained_on.get("name")
    if not name:
        raise TrackbenchError(f"checkpoint {checkpoint} names no dataset; pass --dataset")
    overrides = dict(trained_on.get("spec", {})) if name == trained_on.get("name") else {}
    overrides.update(with_dataset_path(parse_fields(dataset_settings), dataset_path))
    sequences, _ = load_split(registry, name, overrides, (split,))
    if not sequences:
        raise TrackbenchError(f"dataset '{name}' has no sequences in split '{split}'")
    result = evaluate(model, sequences).to_json()
    if as_json:
        console.print_json({"checkpoint": str(checkpoint), "dataset": name, "split": split, **result})
        return
    console.out.print(_table(result, f"{checkpoint} on '{name}' / {split}"))


def _table(result: dict[str, Any], title: str) -> Table:
    table = Table(
        title=f"{title}: {result['sequences']} sequences (errors in cm, mean per fingertip)",
        title_justify="left",
    )
    for column in ("", "predictor", "hold last frame", "windows"):
        table.add_column(column, justify="right")
    table.add_row("one-step", f"{result['one_step_cm']:.2f}", f"{result['one_step_hold_cm']:.2f}",
                  str(result["one_step_windows"]))
    for horizon, error in result["drift_cm"].items():
        hold, windows = result["drift_hold_cm"][horizon], result["drift_windows"][horizon]
        table.add_row(f"closed loop, {horizon} steps", f"{error:.2f}", f"{hold:.2f}", str(windows))
    return table
