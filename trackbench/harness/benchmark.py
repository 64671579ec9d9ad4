"""Engine throughput against raw MuJoCo on the same compiled model and threads.

The engine steps K control steps with random actions; its PD targets are recorded, and the same
control sequence is then replayed from the same initial states by one raw ``mujoco.rollout`` call
(all K·substeps physics steps in C, no Python between control steps). Same model, same threads,
same trajectory: the ratio is the engine's overhead.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass

import numpy as np


@dataclass
class BenchResult:
    robot: str
    scene: str
    num_envs: int
    control_steps: int
    physics_steps_per_control: int
    threads: int
    engine_seconds: float
    raw_seconds: float
    engine_env_steps_per_s: float  # control (agent) steps per second, all envs together
    raw_env_steps_per_s: float
    engine_physics_steps_per_s: float
    raw_physics_steps_per_s: float
    ratio: float  # engine / raw
    unstable_resets: int

    def to_json(self) -> dict:
        return asdict(self)


def bench_engine(engine, control_steps: int, seed: int = 0, scene_name: str = "",
                 repeats: int = 3) -> BenchResult:
    import mujoco
    import torch

    from trackbench.harness.errors import TrackbenchError

    if not all(hasattr(engine, attr) for attr in ("model", "env_models", "physics_state", "num_threads")):
        raise TrackbenchError(
            f"bench compares an engine with raw mujoco.rollout on its compiled model; engine "
            f"'{engine.name}' exposes no MuJoCo model (model, env_models, physics_state, num_threads)"
        )
    generator = torch.Generator().manual_seed(seed)
    n, nu = engine.num_envs, engine.robot.spec.num_dof  # one actuator per joint
    actions = torch.rand(control_steps + 1, n, engine.num_actions, generator=generator) * 2 - 1
    engine.step(actions[-1])  # warm-up: thread pool and caches
    engine.reset(torch.arange(n))
    initial = np.stack([engine.physics_state(i).copy() for i in range(n)])
    nstep = engine.spec.physics_steps_per_control
    targets = np.empty((n, control_steps * nstep, nu))

    engine_seconds = float("inf")  # best of `repeats`: this VM's timings vary ±20-40 %
    for _ in range(repeats):
        engine.reset(torch.arange(n))
        start = time.perf_counter()
        for k in range(control_steps):
            state = engine.step(actions[k])
            targets[:, k * nstep:(k + 1) * nstep] = state.joint_target.double().numpy()[:, None, :]
        engine_seconds = min(engine_seconds, time.perf_counter() - start)

    from mujoco import rollout

    with rollout.Rollout(nthread=engine.num_threads) as pool:
        datas = [mujoco.MjData(engine.model) for _ in range(engine.num_threads)]
        models = list(engine.env_models)
        state = np.empty((n, control_steps * nstep, initial.shape[1]))
        sensors = np.empty((n, control_steps * nstep, engine.model.nsensordata))
        pool.rollout(models, datas, initial, targets[:, :1].copy(), nstep=1, skip_checks=False)
        raw_seconds = float("inf")
        for _ in range(repeats):
            start = time.perf_counter()
            pool.rollout(models, datas, initial, targets, nstep=control_steps * nstep, state=state,
                         sensordata=sensors, skip_checks=True)
            raw_seconds = min(raw_seconds, time.perf_counter() - start)

    env_steps = n * control_steps
    return BenchResult(
        robot=engine.robot.name, scene=scene_name, num_envs=n, control_steps=control_steps,
        physics_steps_per_control=nstep, threads=engine.num_threads,
        engine_seconds=engine_seconds, raw_seconds=raw_seconds,
        engine_env_steps_per_s=env_steps / engine_seconds, raw_env_steps_per_s=env_steps / raw_seconds,
        engine_physics_steps_per_s=env_steps * nstep / engine_seconds,
        raw_physics_steps_per_s=env_steps * nstep / raw_seconds,
        ratio=raw_seconds / engine_seconds, unstable_resets=engine.unstable_resets,
    )
