"""`trackbench run`: expand robot × task × method × seed, validate every cell, then train each:
in this process one by one, or through a launcher (--parallel N local processes, or Ray:
harness/launchers/); with --video film each cell at its end (video.py), with --wandb mirror it
to W&B (tracking.py)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from pydantic import ValidationError
from rich.table import Table

from trackbench.harness import console
from trackbench.harness.atomic import writable_folder_problem
from trackbench.harness.cli.cell import print_result, run_cell
from trackbench.harness.cli.options import names, parse_overrides
from trackbench.harness.cli.report import show_report
from trackbench.harness.cli.settings_file import settings_from, with_sources
from trackbench.harness.errors import TrackbenchError, describe_validation_error
from trackbench.harness.launchers.options import DEFAULT_RETRIES, LaunchOptions, launch_options
from trackbench.harness.results import RunDir
from trackbench.harness.resume import CellStatus, check_plan
from trackbench.harness.specs import MatrixSpec, RunSpec
from trackbench.harness.start_stages import stages_note
from trackbench.harness.tracking import require_wandb, track_cell
from trackbench.harness.training.ppo import PPOSpec

if TYPE_CHECKING:
    from trackbench.harness.registry import Registry

# The embedded default: one small cell that trains, evaluates and reports on a 2-core CPU
# machine in under 10 minutes. Measured (`time trackbench run`, 2026-11-30, Π_h cached) with the
# paper's PPO preset: 3 min 56 s, 96k agent steps at 481 fps, 64 evaluation episodes 26 s; the cpu
# preset (now the default) trains ~3× as fast. Π_h's first-use training adds 1.5–3 min (README).
DEFAULT_ROBOT, DEFAULT_TASK, DEFAULT_METHOD = "allegro", "grasp_lift", "track"
DEFAULT_STEPS, DEFAULT_ENVS = 96_000, 64  # ≈ 1,500 steps (2.5 episodes) per env


def _print_plan(cells: list[RunSpec], out: Path, statuses: dict[str, CellStatus]) -> None:
    table = Table(title=f"plan: {len(cells)} cell(s) → {out}", title_justify="left")
    for column in ("run id", "engine", "agent steps", "envs", "status"):
        table.add_column(column)
    for cell in cells:
        status = statuses[cell.run_id].describe(cell.agent_steps)
        table.add_row(cell.run_id, cell.engine, f"{cell.agent_steps:,}", str(cell.num_envs), status)
    console.out.print(table)
    # Every cell shares num_envs, the budget and the PPO settings, so one note covers the plan.
    notes = [PPOSpec(**cells[0].ppo_spec).minibatch_note(cells[0].num_envs)]
    for spec in {cell.task: cell for cell in cells}.values():  # each task's stages, once
        note = stages_note(spec.task_spec.get("start_stages", []), spec.agent_steps)
        notes.append(note and f"task '{spec.task}': {note}")
    for note in filter(None, notes):
        console.out.print(f"note: {note}", highlight=False)


def run_command(
    # Lists: `--task a --task b` means both, as `--task a,b` does (not silently the last).
    robot: list[str] = typer.Option([DEFAULT_ROBOT], "--robot",
                                    help="robot name(s), comma-separated or repeated"),
    task: list[str] = typer.Option([DEFAULT_TASK], "--task",
                                   help="task name(s), comma-separated or repeated"),
    method: list[str] = typer.Option([DEFAULT_METHOD], "--method",
                                     help="method name(s), comma-separated or repeated"),
    seeds: int = typer.Option(1, "--seeds", help="number of seeds per cell (K..K+N-1)"),
    first_seed: int = typer.Option(0, "--first-seed", help="K, the first seed of each cell: "
                                   "--first-seed 1 --seeds 1 runs seed 1 alone"),
    engine: str = typer.Option("mujoco", "--engine", help="simulator engine"),
    steps: int = typer.Option(DEFAULT_STEPS, "--steps", help="agent steps per cell"),
    num_envs: int = typer.Option(DEFAULT_ENVS, "--envs", help="parallel environments per cell"),
    device: str = typer.Option("cpu", "--device", help="training device: cpu or cuda"),
    out: Path = typer.Option(Path("runs"), "--out", help="results directory"),
    settings: list[str] = typer.Option(
        [], "--set", help="spec override KIND.FIELD=VALUE, KIND one of engine, robot, task, "
        "method, ppo (repeatable); wins over --config"),
    config: list[Path] = typer.Option(
        [], "--config", help="a YAML file of spec settings, {KIND: {FIELD: VALUE}} (a recipe: "
        "benchmarks/recipes/); repeated, later files win; --set wins over them"),
    dry_run: bool = typer.Option(False, "--dry-run", help="validate and print the plan only"),
    force: bool = typer.Option(False, "--force", help="rerun cells from scratch, finished or not "
                               "(what they trained, kept checkpoints included, is deleted)"),
    video: bool = typer.Option(
        False, "--video", help="film one evaluation episode of each cell at its end into "
        "<cell>/video.mp4 (as `trackbench video` does by default: 640×480, front camera); a "
        "finished cell without one is filmed too"),
    use_wandb: bool = typer.Option(  # "\\[" keeps Rich's help markup off "[wandb]"
        False, "--wandb", help="mirror each cell's metrics, spec.json, result and video to "
        "Weights & Biases (pip install -e '.\\[wandb]' in a checkout): offline into "
        "<cell>/wandb/ unless you are logged in to W&B or WANDB_MODE says otherwise"),
    launcher: str = typer.Option(
        "local", "--launcher", help="local: on this machine (one cell at a time in this process, "
        "or --parallel N); ray: each cell a Ray task (pip install -e '.\\[ray]' in a "
        "checkout); --out must be a filesystem every worker shares"),
    parallel: int = typer.Option(
        None, "--parallel", help="local: run N cells side by side, each in a process of its own "
        "(a killed one is retried); each gets cores/N threads"),
    address: str = typer.Option(
        None, "--address", help="ray: the cluster, auto (the one `ray start` runs here) or "
        "HOST:PORT; default: start a local Ray instance on this machine"),
    cpus_per_cell: int = typer.Option(
        None, "--cpus-per-cell", help="ray: CPUs each cell asks for, and its thread count "
        "(default 1)"),
    gpus_per_cell: float = typer.Option(
        None, "--gpus-per-cell", help="ray: GPUs each cell asks for; 0.5 shares one between two "
        "(default 1 with --device cuda, else 0)"),
    max_retries: int = typer.Option(
        None, "--max-retries", help=f"ray, or local with --parallel: restarts of a cell whose "
        f"worker died, each from its last checkpoint (default {DEFAULT_RETRIES})"),
) -> None:
    """Train every cell of the robot × task × method × seed matrix, then print the report.

    An interrupted cell resumes exactly from its last checkpoint; finished cells are skipped, or
    trained on if --steps grew. A cell whose directory holds other settings stops the whole plan
    before any cell starts (--force starts such cells over). --wandb without the wandb package
    stops before anything starts too.

    With --parallel or --launcher ray a cell that raises is recorded as failed (its failed.json)
    and the others go on; the run then exits with status 2, naming it."""
    # Deferred: planning loads the plugins (torch, MuJoCo), which `trackbench --help` must not
    # pay for.
    from trackbench.harness.matrix import plan
    from trackbench.harness.plugins import load_registry

    try:
        matrix = MatrixSpec(
            robots=names(robot), tasks=names(task), methods=names(method), seeds=seeds,
            first_seed=first_seed,
            engine=engine, agent_steps=steps, num_envs=num_envs, device=device,
            overrides=settings_from(config, parse_overrides(settings)),
        )
    except ValidationError as error:
        raise TrackbenchError(with_sources(describe_validation_error("run options", error),
                                           config)) from None
    options = launch_options(device, launcher=launcher, parallel=parallel, address=address,
                             cpus_per_cell=cpus_per_cell, gpus_per_cell=gpus_per_cell,
                             max_retries=max_retries)
    if options.launcher == "ray":
        from trackbench.harness.launchers.ray_cluster import require_ray

        require_ray()
    wandb_mode = require_wandb() if use_wandb else None
    registry = load_registry()
    try:
        cells = plan(matrix, registry)
    except TrackbenchError as error:
        raise TrackbenchError(with_sources(str(error), config)) from None
    statuses = check_plan(cells, out, registry, force=force)
    _refuse_unwritable(out, cells, statuses)
    _print_plan(cells, out, statuses)
    if wandb_mode is not None:
        console.out.print(f"wandb: {wandb_mode} mode; each cell's W&B run is written under "
                          f"<cell>/wandb/" + (" (`wandb sync <run folder>` uploads it)"
                                              if wandb_mode == "offline" else ""))
    if dry_run:
        return
    if options.in_process:
        for cell in cells:
            run_cell(cell, registry, out, statuses[cell.run_id].kind == "done", force, video,
                     wandb_mode)
        show_report(out, registry)
    else:
        _launch(cells, statuses, options, out, force, video, wandb_mode, registry)


def _launch(cells: list[RunSpec], statuses: dict[str, CellStatus], options: LaunchOptions,
            out: Path, force: bool, video: bool, wandb_mode: str | None,
            registry: "Registry") -> None:
    """The cells through a launcher, then the report; raises TrackbenchError naming the cells
    that failed for good, after the report of the others."""
    from trackbench.harness.cli.worker import run_job
    from trackbench.harness.launchers.launch import launch

    def on_result(cell: RunSpec, outcome: dict[str, Any]) -> None:
        if outcome["result"] is not None:
            print_result(cell, outcome["result"])
        if outcome["video"] is not None:
            console.out.print(f"video of {cell.run_id}: {outcome['video']}", highlight=False)

    done = {cell.run_id for cell in cells if statuses[cell.run_id].kind == "done"}
    failed = launch(cells, done, options, out, worker=run_job, force=force, video=video,
                    wandb_mode=wandb_mode, on_result=on_result)
    try:
        show_report(out, registry)
    except TrackbenchError:
        if not failed:
            raise  # else nothing is left to report (no cell got as far as its spec.json)
    if failed:
        lines = [f"{run_id}: {error}" for run_id, error in failed.items()]
        raise TrackbenchError(
            f"{len(failed)} of {len(cells)} cell(s) failed (each run directory's failed.json "
            f"holds the error; rerun the same command to retry them):\n" + "\n".join(lines))


def _refuse_unwritable(out: Path, cells: list[RunSpec], statuses: dict[str, CellStatus]) -> None:
    """Raises TrackbenchError, before any cell starts, if --out or the directory of a cell still
    to train cannot be written (a file, read-only): the matrix would otherwise stop midway, and
    the report writes its curves into --out."""
    problem = writable_folder_problem(out)
    if problem:  # then every cell's directory has it too: one line says it
        raise TrackbenchError(problem)
    to_train = [RunDir.for_spec(out, cell).path for cell in cells
                if statuses[cell.run_id].kind != "done"]
    problems = [problem for problem in map(writable_folder_problem, to_train) if problem]
    if problems:
        raise TrackbenchError("\n".join(problems))
