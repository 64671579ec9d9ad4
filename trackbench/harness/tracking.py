"""`trackbench run --wandb`: mirror each cell to Weights & Biases, as IsaacGymEnvs'
``wandb_activate`` does. TensorBoard (rl_games/summaries/) is written either way.

One W&B run per training session of a cell, named by its run id and grouped by robot, task and
method (W&B's group view then averages the seeds), tagged with the robot, task and method; its
config is the cell's resolved spec.json. Mirrored: every metrics.jsonl row as it is written
(plotted against ``agent_steps``), the cell's result.json numbers in the run's summary, and the
``run --video`` film. A resumed cell starts a new W&B run holding the epochs from its
checkpoint on (``resumed_from`` in its summary).

Mode: ``WANDB_MODE`` if set (online, offline, disabled); otherwise online when wandb holds an API
key (``wandb login``, or ``WANDB_API_KEY``), else offline. The run's files go under the cell
directory, ``<cell>/wandb/<mode>-run-<time>-<id>/`` (an offline run's ``run-<id>.wandb`` holds
everything; ``wandb sync <that folder>`` uploads it later). The project is ``WANDB_PROJECT`` or
``trackbench``; the entity is ``WANDB_ENTITY`` or the account's default.

wandb is an optional extra: ``pip install -e '.[wandb]'`` in a checkout.
"""

from __future__ import annotations

import contextlib
import math
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator

from trackbench.harness.errors import TrackbenchError

if TYPE_CHECKING:
    from trackbench.harness.results import RunDir
    from trackbench.harness.specs import RunSpec

DEFAULT_PROJECT = "trackbench"
MISSING = ("--wandb needs the wandb package, which is not installed: "
           "pip install wandb (in a trackbench checkout: pip install -e '.[wandb]')")


def require_wandb() -> str:
    """Check that wandb can be imported and choose its mode; returns the mode. Raises
    TrackbenchError naming the extra to install if it cannot."""
    try:
        import wandb
    except ImportError:
        raise TrackbenchError(MISSING) from None
    return wandb_mode(wandb)


def wandb_mode(wandb: Any) -> str:
    """``WANDB_MODE`` if set, else online if wandb has an API key (checked locally, without the
    network), else offline."""
    chosen = os.environ.get("WANDB_MODE")
    if chosen:
        return chosen
    return "online" if wandb.login(prompt=False, verify=False) else "offline"


class CellTracker:
    """The W&B run of one cell's session: ``log_metrics`` per epoch, then ``log_result`` and
    ``log_video``."""

    def __init__(self, run: Any):
        self.run = run

    def log_metrics(self, row: dict) -> None:
        """One metrics.jsonl row; its numbers only (null before the first finished episode)."""
        self.run.log({key: value for key, value in row.items() if _is_number(value)})

    def log_video(self, path: Path, agent_steps: int) -> None:
        import wandb

        self.run.log({"video": wandb.Video(str(path), format="mp4"), "agent_steps": agent_steps})

    def log_result(self, result: dict) -> None:
        """result.json's numbers into the run's summary (``evaluation/…`` for the evaluation's
        rates)."""
        summary = {key: value for key, value in result.items() if _is_number(value)}
        summary.update({f"evaluation/{key}": value
                        for key, value in result.get("evaluation", {}).items()
                        if _is_number(value)})
        self.run.summary.update(summary)


@contextlib.contextmanager
def track_cell(spec: "RunSpec", run_dir: "RunDir",
               mode: str | None) -> Iterator[CellTracker | None]:
    """A W&B run for the cell while the block runs (None, and nothing done, if ``mode`` is None).

    The run is finished when the block ends, marked failed (exit code 1) if it raised. Raises
    TrackbenchError if wandb cannot start the run (online without network, a bad WANDB_MODE).
    """
    if mode is None:
        yield None
        return
    import wandb

    config = {**spec.model_dump(mode="json"), "run_dir": str(run_dir.path)}
    try:
        run = wandb.init(
            project=os.environ.get("WANDB_PROJECT", DEFAULT_PROJECT), name=spec.run_id,
            group=f"{spec.robot}__{spec.task}__{spec.method}",
            tags=[spec.robot, spec.task, spec.method], job_type="train", config=config,
            dir=str(run_dir.path), mode=mode,
            settings=wandb.Settings(console="off"))  # our progress bars and logs stay ours
    except Exception as error:  # wandb raises its own kinds (UsageError, CommError, …)
        raise TrackbenchError(f"{spec.run_id}: wandb could not start a run ({error}); "
                              f"WANDB_MODE=offline keeps it on this machine") from None
    run.define_metric("agent_steps")
    run.define_metric("*", step_metric="agent_steps")
    failed = True
    try:
        yield CellTracker(run)
        failed = False
    finally:
        run.finish(exit_code=1 if failed else 0)


def _is_number(value: object) -> bool:
    return (isinstance(value, (int, float)) and not isinstance(value, bool)
            and math.isfinite(value))
