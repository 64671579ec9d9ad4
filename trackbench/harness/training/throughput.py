"""`trackbench bench --train`: how fast the whole training loop runs, and where its time goes.

One short training of one cell (in a scratch directory) with every stage timed
(``trackbench.harness.stages``), then, in the same process, raw ``mujoco.rollout`` on the same
compiled models, env count and threads (``benchmark.bench_engine``). The headline is the ratio
of the two: agent steps per second of the training loop ÷ env steps per second of raw physics.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch

from trackbench.harness.benchmark import bench_engine
from trackbench.harness.results import RunDir
from trackbench.harness.stages import STAGES, StageTimes

if TYPE_CHECKING:
    from trackbench.harness.registry import Registry
    from trackbench.harness.specs import RunSpec


def bench_training(spec: "RunSpec", registry: "Registry", *, raw_control_steps: int = 50) -> dict[str, Any]:
    """Train ``spec`` (fresh, in a temporary directory) and measure it.

    Returns agent_steps, seconds (wall time of the training loop, set-up and evaluation
    excluded), agent_steps_per_s, raw_env_steps_per_s, ratio, and per stage (plus "other", the
    loop's time in no stage) microseconds per agent step and the fraction of the loop. With
    ``spec.device`` cuda the stages synchronise the GPU at their edges (StageTimes' ``sync``),
    which costs the loop some speed.
    """
    from trackbench.harness.training.trainer import train_cell

    # On a GPU the stages only queue kernels: synchronise at their edges to time their work.
    on_gpu = spec.device.startswith("cuda")
    times = StageTimes(sync=torch.cuda.synchronize if on_gpu else None)
    with tempfile.TemporaryDirectory(prefix="trackbench-bench-") as scratch:
        run_dir = RunDir(Path(scratch) / spec.run_id)  # private: no lock, nothing kept
        run_dir.prepare(spec)
        trained = train_cell(spec, registry, run_dir, times=times)
    seconds, steps = trained.train_seconds, trained.agent_steps
    raw = bench_engine(trained.env.engine, raw_control_steps, repeats=5)
    staged = dict(times.seconds)
    staged["other"] = max(seconds - sum(staged.values()), 0.0)
    return {
        "robot": spec.robot, "task": spec.task, "method": spec.method,
        "num_envs": spec.num_envs, "torch_threads": torch.get_num_threads(),
        "engine_threads": raw.threads, "agent_steps": steps, "seconds": seconds,
        "agent_steps_per_s": steps / seconds,
        "raw_env_steps_per_s": raw.raw_env_steps_per_s,
        "ratio": steps / seconds / raw.raw_env_steps_per_s,
        "engine_env_steps_per_s": raw.engine_env_steps_per_s,
        "stages": {name: {"us_per_agent_step": 1e6 * value / steps, "fraction": value / seconds}
                   for name, value in staged.items()},
    }


STAGE_ORDER = (*STAGES, "other")
