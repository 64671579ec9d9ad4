"""`trackbench video RUN_DIR [--episodes K] [--out FILE.mp4] [--checkpoint NAME]`: film a trained
policy.

    trackbench video runs/allegro__grasp_lift__track__s0 --episodes 2 --out lift.mp4

Plays evaluation episodes of the run's last checkpoint, or one it kept (``--checkpoint``, as
``evaluate``), in env --env with deterministic actions, and writes every control step as a
frame, with the keypoints, track's Π_h targets and a status band drawn in
(``trackbench.harness.video``).
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Callable, Iterator, Optional

import typer

from trackbench.harness import console
from trackbench.harness.cli.options import checkpoint_option
from trackbench.harness.errors import TrackbenchError

KEYPOINT_LEGEND = ("keypoints: thumb red, index green, middle blue, ring yellow, little magenta, "
                   "wrist white")


def video_command(
    run_dir: Path = typer.Argument(..., help="a run directory: spec.json and checkpoints/last.pth"),
    episodes: int = typer.Option(1, "--episodes", min=1, max=1000,
                                 help="evaluation episodes to film, one after the other"),
    out: Optional[Path] = typer.Option(None, "--out", help="MP4 file to write (default: "
                                       "<run id>.mp4 in the current folder)"),
    env: int = typer.Option(0, "--env", min=0, help="env to film: episode k is the run's "
                            "evaluation episode k·N + env (N envs), in that env's scene variant"),
    width: int = typer.Option(640, "--width", min=16, max=4096, help="even (H.264)"),
    height: int = typer.Option(480, "--height", min=16, max=4096, help="even (H.264)"),
    camera: Optional[str] = typer.Option("front", "--camera",
                                         help="named camera; '' = free camera"),
    fps: Optional[float] = typer.Option(None, "--fps", min=1, max=240,
                                        help="frames per second (default: the control rate, "
                                        "real time)"),
    shadows: bool = typer.Option(False, "--shadows/--no-shadows",
                                 help="render shadows (about 10x slower on a software renderer)"),
    checkpoint: str = checkpoint_option(),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Film evaluation episodes of a trained run as an MP4, every control step a frame."""
    from trackbench.harness.atomic import writable_file_problem
    from trackbench.harness.cli.options import trained_run

    out = out if out is not None else Path(f"{run_dir.name}.mp4")
    if out.suffix.lower() != ".mp4":
        raise TrackbenchError(f"--out {out}: the video is an MP4 file; name it *.mp4")
    problem = writable_file_problem(out)
    if problem:
        raise TrackbenchError(problem)
    if width % 2 or height % 2:
        raise TrackbenchError(f"--width {width} --height {height}: H.264 video needs even sizes")
    run = trained_run(run_dir)
    _film(run, out, episodes, env, width, height, camera or None, fps, shadows, checkpoint,
          as_json)


@contextlib.contextmanager
def filming_progress(name: str, episodes: int,
                     disable: bool = False) -> Iterator[Callable[[int, int], None]]:
    """A progress bar on stderr while ``name`` is filmed; yields the ``on_step(episode, step)``
    that ``film_run`` calls."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    progress = Progress(TextColumn("[bold]filming {task.description}"), BarColumn(),
                        TextColumn("episode {task.fields[episode]}/" + str(episodes)),
                        TextColumn("step {task.fields[step]}"), TimeElapsedColumn(),
                        console=console.err, transient=True, disable=disable)
    with progress:
        task = progress.add_task(name, total=episodes, episode=1, step=0)

        def on_step(episode: int, step: int) -> None:
            progress.update(task, completed=episode, episode=episode + 1, step=step)

        yield on_step


def _film(run, out: Path, episodes: int, env: int, width: int, height: int,
          camera: str | None, fps: float | None, shadows: bool, checkpoint: str,
          as_json: bool) -> None:
    # Deferred: they import torch and MuJoCo, which `trackbench --help` must not pay for.
    from trackbench.harness.plugins import load_registry
    from trackbench.harness.video import View, film_run

    registry = load_registry()
    registry.raise_problems()
    with filming_progress(run.path.name, episodes, disable=as_json) as on_step:
        summary = film_run(run, out, registry, episodes=episodes, env_id=env,
                           view=View(width, height, camera, shadows), fps=fps, on_step=on_step,
                           checkpoint=checkpoint)
    if as_json:
        console.print_json(summary)
        return
    lines = [f"wrote {out} ({width}×{height}, {summary['frames']} frames at {summary['fps']:g} "
             f"fps, {summary['seconds']:.1f} s): {summary['run_id']}, env {env}"]
    for k, episode in enumerate(summary["episodes"], start=1):
        events = [name for name, seen in episode["flags"].items() if seen]
        lines.append(f"  episode {k} (evaluation episode {episode['evaluation_episode']}): "
                     f"{episode['steps']} steps, {episode['outcome']}"
                     + (f"; {', '.join(events)}" if events else ""))
    lines.append(f"{KEYPOINT_LEGEND}; cyan: the method's fingertip targets (track: Π_h's "
                 "prediction)")
    console.out.print("\n".join(lines), highlight=False)
