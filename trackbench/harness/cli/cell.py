"""One planned cell as `trackbench run` carries it out, wherever it runs (this process, a local
worker process, a Ray worker): train it unless it is done, mirror it to W&B with --wandb, film
it with --video; and the line that says what it reached."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from trackbench.harness import console
from trackbench.harness.results import RunDir
from trackbench.harness.specs import RunSpec
from trackbench.harness.tracking import track_cell


def run_cell(cell: RunSpec, registry: Any, out: Path, done: bool, restart: bool, video: bool,
             wandb_mode: str | None) -> tuple[dict[str, Any] | None, Path | None]:
    """(result, video) of ``cell``: result None if it was ``done`` already (skipped), video None
    unless filmed. ``restart`` starts it over (--force). Raises as ``execute_cell`` does."""
    from trackbench.harness.execute import execute_cell
    from trackbench.harness.video import CELL_VIDEO

    run_dir = RunDir.for_spec(out, cell)
    if done:
        console.out.print(f"[dim]skip {cell.run_id}: already complete (--force reruns it)[/]")
        if video and not (run_dir.path / CELL_VIDEO).is_file():
            return None, film(cell, run_dir, registry)
        return None, None
    filmed = None
    with track_cell(cell, run_dir, wandb_mode) as tracker:
        result = execute_cell(cell, registry, run_dir, restart=restart,
                              on_metrics=tracker.log_metrics if tracker else None)
        print_result(cell, result)
        if tracker is not None:
            tracker.log_result(result)
        if video:
            filmed = film(cell, run_dir, registry)
            if tracker is not None:
                tracker.log_video(filmed, result["agent_steps"])
    return result, filmed


def print_result(cell: RunSpec, result: dict[str, Any]) -> None:
    resumed = result["resumed_from"]
    console.out.print(
        f"{cell.run_id}: success {result['success_rate']:.2f} over "
        f"{result['evaluation']['episodes']} evaluation episodes, "
        f"{result['agent_steps']:,} agent steps at {result['fps']:,.0f} fps"
        + (f" (resumed at {resumed:,})" if resumed else "")
    )
    if result["unstable_env_steps"]:
        console.warn(f"{cell.run_id}: {result['unstable_env_steps']:,} training env-steps "
                     f"({result['unstable_fraction']:.1%}) blew up in the engine and were reset")


def film(cell: RunSpec, run_dir: RunDir, registry: Any) -> Path:
    """Film the trained cell (``video.film_cell``) and say what was filmed."""
    from trackbench.harness.cli.video import filming_progress
    from trackbench.harness.video import film_cell

    with filming_progress(cell.run_id, episodes=1) as on_step:
        summary = film_cell(run_dir, registry, on_step)
    (episode,) = summary["episodes"]
    console.out.print(f"video of {cell.run_id}: {summary['out']} (evaluation episode "
                      f"{episode['evaluation_episode']}: {episode['steps']} steps, "
                      f"{episode['outcome']}; {summary['frames']} frames)", highlight=False)
    return Path(summary["out"])
