"""`trackbench evaluate RUN_DIR [--episodes K] [--episode-length T] [--checkpoint NAME] [--json]`:
score a run's last checkpoint, or one it kept.

    trackbench evaluate runs/close_staged/allegro__grasp_lift__grasp__s0 --episodes 64
    trackbench evaluate runs/lift_staged_dense/allegro__grasp_lift__dense__s0 --episode-length 600
    trackbench evaluate runs/track_s2/allegro__grasp_lift__track__s2 --checkpoint 1700

The evaluation `trackbench run` gives a finished cell (the task's standard resets, deterministic
actions, the run's evaluation seeds), for any checkpoint: a run still training or one stopped
early, as rl-games' ``--play`` and Isaac Lab's ``play.py`` do. It writes nothing. A run trained
on episodes shorter than the task's default (``task.episode_length``) can be scored on longer
ones (``--episode-length``: the policy does not observe time, so only the horizon changes).
A run trained with ``--set ppo.keep_every=N`` keeps the checkpoint of every Nth epoch;
``--checkpoint`` plays one of those (by epoch, ``1700``, or name, ``epoch_001700``), for example
where a wall-time budget ended after the run went on.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from trackbench.harness import console
from trackbench.harness.cli.options import checkpoint_option


def evaluate_command(
    run_dir: Path = typer.Argument(..., help="a run directory: spec.json and checkpoints/last.pth"),
    episodes: Optional[int] = typer.Option(None, "--episodes", min=1, max=100_000,
                                           help="evaluation episodes (default: the run's "
                                           "ppo.eval_episodes)"),
    episode_length: Optional[int] = typer.Option(
        None, "--episode-length", min=1, help="control steps per "
        "episode (default: the run's task.episode_length; e.g. 600, the lifting tasks' default, "
        "for a run trained on shorter episodes)"),
    checkpoint: str = checkpoint_option(),
    as_json: bool = typer.Option(False, "--json", help="print the summary as JSON"),
) -> None:
    """Evaluate a run's last checkpoint (or one it kept) on the task's standard resets, as `run`
    does at the end."""
    # Deferred: they import torch and MuJoCo, which `trackbench --help` must not pay for.
    from trackbench.harness.cli.options import trained_run
    from trackbench.harness.plugins import load_registry
    from trackbench.harness.training.evaluate import evaluate_run

    run = trained_run(run_dir)
    registry = load_registry()
    registry.raise_problems()
    summary = evaluate_run(run, registry, episodes, episode_length, checkpoint)
    if as_json:
        console.print_json(summary)
        return
    at = summary["checkpoint"]
    where = (f"epoch {at['epoch']} ({at['agent_steps']:,} agent steps)" if at else
             f"an unnamed checkpoint (checkpoints/{summary['checkpoint_name']}.json is missing or "
             f"unreadable)")
    events = ", ".join(f"{name} {rate:.2f}" for name, rate in summary["events"].items())
    console.out.print(
        f"{summary['run_id']} at {where}: {summary['episodes']} episodes from the task's standard "
        f"resets (seeds {summary['seeds'][0]}–{summary['seeds'][1]}, "
        f"at most {summary['max_episode_length']} steps each): success {summary['success_rate']:.2f}"
        + (f", {events}" if events else "") + f"; mean return {summary['episode_return']:.1f}",
        highlight=False)
