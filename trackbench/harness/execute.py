"""Run one planned cell: train with PPO (resuming if interrupted), evaluate, write result.json.

result.json is written atomically and last, so a crash or a kill leaves none and the next
``trackbench run`` resumes the cell from its last checkpoint.
"""

from __future__ import annotations

import importlib.metadata
import shutil
import time
from typing import TYPE_CHECKING, Any

from trackbench.harness.errors import TrackbenchError
from trackbench.harness.registry import Registry
from trackbench.harness.results import RunDir, read_json
from trackbench.harness.specs import RunSpec

if TYPE_CHECKING:
    from trackbench.harness.training.trainer import EpochCallback

# The budget may grow between sessions (train longer); anything else must match the checkpoint.
RESUMABLE_CHANGES = {"agent_steps"}


def execute_cell(spec: RunSpec, registry: Registry, run_dir: RunDir, *, restart: bool = False,
                 on_epoch: "EpochCallback | None" = None) -> dict[str, Any]:
    """Train, evaluate and record one cell; ``restart`` discards an earlier partial run."""
    from trackbench.harness.training.evaluate import evaluate_policy
    from trackbench.harness.training.ppo import PPOSpec
    from trackbench.harness.training.trainer import train_cell

    if restart:
        clear_run_dir(run_dir)
    _check_resumable(spec, run_dir)
    run_dir.prepare(spec)
    ppo = PPOSpec(**spec.ppo_spec)
    trained = train_cell(spec, registry, run_dir, on_epoch=on_epoch)
    eval_start = time.perf_counter()
    evaluation = evaluate_policy(trained.agent.model, trained.env, ppo.eval_episodes, ppo.eval_seed)
    eval_seconds = time.perf_counter() - eval_start
    result = {
        "status": "ok",
        "run_id": spec.run_id,
        "success_rate": evaluation["success_rate"],
        "lift_rate": evaluation.get("lift_rate"),
        "mean_return": evaluation["episode_return"],
        "agent_steps": trained.agent_steps,
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
    """Remove everything a previous attempt of this cell wrote."""
    if run_dir.path.is_dir():
        shutil.rmtree(run_dir.path)


def _check_resumable(spec: RunSpec, run_dir: RunDir) -> None:
    from trackbench.harness.training.trainer import checkpoint_path

    if not (run_dir.spec_file.is_file() and checkpoint_path(run_dir).is_file()):
        return
    earlier = read_json(run_dir.spec_file)
    now = spec.model_dump(mode="json")
    changed = sorted(k for k in set(earlier) | set(now)
                     if earlier.get(k) != now.get(k) and k not in RESUMABLE_CHANGES)
    if changed:
        raise TrackbenchError(
            f"{run_dir.path} holds a partial run of {spec.run_id} with different settings "
            f"({', '.join(changed)}); rerun with --force to start it over, or use another --out"
        )


def versions() -> dict[str, str]:
    import mujoco
    import torch

    import trackbench

    return {"trackbench": trackbench.__version__, "torch": torch.__version__,
            "mujoco": mujoco.__version__, "rl_games": importlib.metadata.version("rl-games")}
