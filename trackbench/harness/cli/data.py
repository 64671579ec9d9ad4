"""`trackbench data synth|show|retarget`: write the synthetic set to disk; count a dataset's
sequences; retarget one onto a robot (``retarget.py``)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Optional

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from trackbench.harness import console
from trackbench.harness.cli.options import parse_fields, with_dataset_path
from trackbench.harness.cli.retarget import retarget_command
from trackbench.harness.atomic import atomic_directory, check_creatable, remove_leftovers
from trackbench.harness.errors import TrackbenchError

if TYPE_CHECKING:
    from trackbench.harness.dataset import Dataset
    from trackbench.harness.registry import Registry

app = typer.Typer(help="Human motion datasets: generate the synthetic set, inspect any set, "
                  "retarget one onto a robot.", no_args_is_help=True)
app.command("retarget")(retarget_command)


def open_dataset(name: str, overrides: dict, registry: "Registry | None" = None) -> "Dataset":
    """The dataset plugin `name` with its spec validated from `overrides`."""
    # Deferred: loading plugins imports torch and MuJoCo, which `trackbench --help` must not pay for.
    from trackbench.harness.plugins import load_registry

    if registry is None:
        registry = load_registry()
        registry.raise_problems()
    spec = registry.resolve_spec("datasets", name, overrides)
    return registry.get("datasets", name).cls(spec)


@app.command("synth")
def synth_command(
    out: Path = typer.Option(..., "--out", help="folder to write (must be empty or new)"),
    num: int = typer.Option(1000, "--num", min=1, help="sequences to generate"),
    seed: int = typer.Option(0, "--seed", min=0, help="generator seed"),
    drawer_fraction: float = typer.Option(
        0.0, "--drawer-fraction", min=0.0, max=1.0,
        help="share of sequences that open the cabinet's drawer (object id 0)"),
    settings: list[str] = typer.Option(
        [], "--set", help="any other synthetic dataset setting FIELD=VALUE (repeatable), e.g. "
        "approach=start (see `trackbench list datasets --settings`)"),
    as_json: bool = typer.Option(False, "--json", help="print a JSON summary, no progress bar"),
) -> None:
    """Generate the synthetic set and write it in the authors' layout, readable as 'trackr'."""
    from trackbench.harness.dataset import SPLITS
    from trackbench.harness.plugins import load_registry

    named = {"num_sequences": num, "seed": seed, "drawer_fraction": drawer_fraction}
    fields = parse_fields(settings)
    options = {"num_sequences": "--num", "seed": "--seed", "drawer_fraction": "--drawer-fraction"}
    clash = sorted(fields.keys() & named.keys())
    if clash:
        raise TrackbenchError(f"--set {clash[0]}=…: give it as {options[clash[0]]}")
    check_creatable(out)
    remove_leftovers(out.absolute().parent, target=out.name)  # a synth killed midway
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise TrackbenchError(f"{out} exists and is not an empty folder; choose a new --out")
    registry = load_registry()
    registry.raise_problems()
    dataset = open_dataset("synthetic", {**fields, **named}, registry)
    trackr = registry.get("datasets", "trackr").cls  # the authors' layout, which it reads back
    counts = dict.fromkeys(SPLITS, 0)
    frames = 0
    columns = (TextColumn("synthesising"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    # Written to a temporary folder renamed to --out at the end: a killed synth leaves no
    # half-written set behind (and its temporary folder is removed by the next synth).
    with Progress(*columns, console=console.err, disable=as_json) as progress, \
            atomic_directory(out) as staging:
        task = progress.add_task("synth", total=num)
        for sequence in dataset.sequences():
            trackr.write(staging, sequence)
            counts[sequence.split] += 1
            frames += sequence.num_frames
            progress.advance(task)
    summary = {"out": str(out), "sequences": num, "frames": frames, "splits": counts,
               "read_back": f"--dataset trackr --dataset-path {out}"}
    if as_json:
        console.print_json(summary)
    else:
        console.out.print(f"wrote {num} synthetic sequences ({frames} frames at 20 Hz; "
                          f"train {counts['train']}, val {counts['val']}, test {counts['test']}) "
                          f"to {out}; read them with --dataset trackr --dataset-path {out}")


@app.command("show")
def show_command(
    dataset: str = typer.Option("synthetic", "--dataset", help="dataset plugin"),
    path: Optional[str] = typer.Option(None, "--dataset-path", "--path",
                                       help="dataset root on disk"),
    settings: list[str] = typer.Option(
        [], "--set", help="dataset spec FIELD=VALUE (repeatable), e.g. drawer_fraction=0.2"),
    as_json: bool = typer.Option(False, "--json", help="print JSON instead of a table"),
) -> None:
    """Count a dataset's sequences and frames per split, and the objects they move (id 0: the
    cabinet's drawer handle, which the authors' code passes for the drawer)."""
    from trackbench.harness.dataset import NOT_YCB_ID, SPLITS

    loaded = open_dataset(dataset, with_dataset_path(parse_fields(settings), path))
    stats = {split: {"sequences": 0, "frames": 0, "seconds": 0.0} for split in SPLITS}
    goals: dict[int, int] = {}
    for sequence in loaded.sequences():
        row = stats[sequence.split]
        row["sequences"] += 1
        row["frames"] += sequence.num_frames
        row["seconds"] += sequence.num_frames / 20.0
        goals[sequence.goal_label] = goals.get(sequence.goal_label, 0) + 1
    skipped = list(getattr(loaded, "skipped", []))
    if as_json:
        grasped = {cid: n for cid, n in goals.items() if cid != NOT_YCB_ID}
        console.print_json({"dataset": dataset, "splits": stats, "grasped_ids": grasped,
                            "not_ycb_object_sequences": goals.get(NOT_YCB_ID, 0),
                            "skipped": skipped})
        return
    table = Table(title=f"dataset '{dataset}'", title_justify="left")
    for column in ("split", "sequences", "frames", "seconds (20 Hz)"):
        table.add_column(column)
    for split, row in stats.items():
        table.add_row(split, str(row["sequences"]), str(row["frames"]), f"{row['seconds']:.1f}")
    console.out.print(table)
    names = ", ".join(f"{cid}×{n}" for cid, n in sorted(goals.items()) if cid != NOT_YCB_ID)
    console.out.print(f"grasped object ids: {names or 'none'}")
    if NOT_YCB_ID in goals:
        console.out.print(f"sequences moving object id {NOT_YCB_ID} (no YCB object; the synthetic "
                          f"set's drawer handle): {goals[NOT_YCB_ID]}")
    for line in skipped:
        console.out.print(f"skipped {line}")
