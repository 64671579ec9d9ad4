"""Run one planned cell: train with PPO (resuming exactly if interrupted), evaluate, write result.json.

One process at a time works in a run directory (``runlock``). result.json is written atomically
and last, so a crash or a kill leaves none and the next ``trackbench run`` resumes the cell from
its last checkpoint. Interruptions and I/O errors (a full disk) end with one message that says
what is saved; the last checkpoint is never damaged by them.
"""

from __future__ import annotations

import errno
import importlib.metadata
import os
import shutil
import time
from typing import TYPE_CHECKING, Any

from trackbench.harness.atomic import remove_leftovers
from trackbench.harness.errors import TrackbenchError
from trackbench.harness.interrupts import EXIT_SIGINT, Interrupted
from trackbench.harness.registry import Registry
from trackbench.harness.results import RunDir
from trackbench.harness.resume import archive_result, status_of
from trackbench.harness.runlock import LOCK_FILE, RunLock
from trackbench.harness.specs import RunSpec

if TYPE_CHECKING:
    from trackbench.harness.training.trainer import EpochCallback, MetricsCallback

# Errors of the storage, not of trackbench: reported in one message, never as a traceback.
STORAGE_ERRORS = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EIO, errno.EROFS, errno.EACCES,
                  errno.EPERM, errno.ENOTDIR, errno.EISDIR, errno.EEXIST}


def execute_cell(spec: RunSpec, registry: Registry, run_dir: RunDir, *, restart: bool = False,
                 on_epoch: "EpochCallback | None" = None,
                 on_metrics: "MetricsCallback | None" = None) -> dict[str, Any]:
    """Train, evaluate and record one cell; ``restart`` discards an earlier run in ``run_dir``.
    ``on_epoch`` and ``on_metrics`` are called after every PPO epoch (``train_cell``).

    Raises TrackbenchError if another process works in ``run_dir``, if the directory holds a
    run of other settings, on a full disk or an I/O error; :class:`Interrupted` on Ctrl-C or
    SIGTERM. In every case the last checkpoint is intact and the message says so.
    """
    from trackbench.harness.training import checkpoint

    try:
        with RunLock(run_dir.path, f"cell {spec.run_id}"):
            return _execute(spec, registry, run_dir, restart, on_epoch, on_metrics)
    except KeyboardInterrupt as error:
        saved = checkpoint.describe(run_dir)
        progress = (f"progress is saved in {saved} in {run_dir.path}; rerun the same command "
                    f"to resume from it" if saved else
                    "no checkpoint had been written yet; rerun the same command to start again")
        raise Interrupted(f"{str(error) or 'interrupted'}: {spec.run_id} stopped; {progress}.",
                          getattr(error, "exit_code", EXIT_SIGINT)) from None
    except OSError as error:
        if error.errno not in STORAGE_ERRORS:
            raise
        where = f" ({error.filename})" if error.filename else ""
        raise TrackbenchError(
            f"{spec.run_id}: {os.strerror(error.errno)}{where}. Training stopped and no "
            f"temporary file was left; {checkpoint.kept(run_dir)} once the cause is fixed (free "
            f"space, permissions, a writable disk)."
        ) from None


def _execute(spec: RunSpec, registry: Registry, run_dir: RunDir, restart: bool,
             on_epoch: "EpochCallback | None",
             on_metrics: "MetricsCallback | None") -> dict[str, Any]:
    from trackbench.harness.training.evaluate import evaluate_policy, event_rates
    from trackbench.harness.training.ppo import PPOSpec
    from trackbench.harness.threads import torch_threads
    from trackbench.harness.training.trainer import train_cell

    if restart:
        clear_run_dir(run_dir)
    remove_leftovers(run_dir.path, owned=True, recursive=True)  # we hold the lock: all are stale
    run_dir.failed_file.unlink(missing_ok=True)  # an earlier failure: this attempt supersedes it
    if status_of(spec, run_dir, registry).kind == "extend":
        archive_result(run_dir)
    run_dir.prepare(spec)
    ppo = PPOSpec(**spec.ppo_spec)
    trained = train_cell(spec, registry, run_dir, on_epoch=on_epoch, on_metrics=on_metrics)
    eval_start = time.perf_counter()
    unstable = trained.env.unstable_env_steps  # of training, over every session
    with torch_threads(ppo.rollout_torch_threads):
        evaluation = evaluate_policy(trained.agent.model, trained.env, ppo.eval_episodes,
                                     ppo.eval_seed)
    evaluation["unstable_env_steps"] = trained.env.unstable_env_steps - unstable
    eval_seconds = time.perf_counter() - eval_start
    result = {
        "status": "ok",
        "run_id": spec.run_id,
        "success_rate": evaluation["success_rate"],
        # The task's events (Task.events): the share of evaluation episodes with each.
        "events": event_rates(evaluation, trained.env.events),
        "mean_return": evaluation["episode_return"],
        "agent_steps": trained.agent_steps,
        # Env-steps the engine reset because the physics blew up, over all training sessions.
        "unstable_env_steps": unstable,
        "unstable_fraction": unstable / max(trained.agent_steps, 1),
        "train_seconds": trained.train_seconds,
        "eval_seconds": eval_seconds,
        "wall_seconds": trained.train_seconds + eval_seconds,
        "fps": trained.agent_steps / max(trained.train_seconds, 1e-9),
        "resumed_from": trained.resumed_from,
        "evaluation": evaluation,
        "versions": versions(),
    }
    run_dir.write_result(result)
    return result


def clear_run_dir(run_dir: RunDir) -> None:
    """Remove everything a previous attempt of this cell wrote (the lock file stays: its holder
    is this process)."""
    if not run_dir.path.is_dir():
        return
    for entry in run_dir.path.iterdir():
        if entry.name == LOCK_FILE:
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry)
        else:
            entry.unlink()


def versions() -> dict[str, str]:
    import mujoco
    import torch

    import trackbench

    found = {"trackbench": trackbench.__version__, "torch": torch.__version__,
             "mujoco": mujoco.__version__, "rl_games": importlib.metadata.version("rl-games")}
    try:  # the mjwarp engine's simulator, where the gpu extra is installed
        found["mujoco_warp"] = importlib.metadata.version("mujoco-warp")
    except importlib.metadata.PackageNotFoundError:
        pass
    return found
