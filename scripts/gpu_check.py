"""The GPU check of the mjwarp engine: one short run on a machine with an NVIDIA GPU.

    bash scripts/gpu_check.sh [--pi-h FILE] [--curve-seconds S]   (or: python scripts/gpu_check.py)

Prints, phase by phase (each as soon as it is measured, so a run cut short still reports):
  0. warp's kernels compiled or loaded from the kernel cache (allegro/grasp_lift, 64 worlds);
  1. physics env-steps/s of allegro/grasp_lift at 1024, 4096, 8192 and 16384 worlds (random
     actions, the engine's own step: control law, graph replay, State; no policy), and at 8192
     with the scene variants stepped one after another (engine.variant_streams=false);
  2. the training loop's agent steps/s for the dense method at 4096 envs (whole PPO loop);
  3. the same for the track method (Π_h from --pi-h, else the cache, which trains it first:
     minutes);
  4. where dense's loop time goes at 4096 envs: per stage, the GPU synchronised at each stage's
     edges (as `trackbench bench --train --device cuda`; printed before 2 and 3);
  5. a dense training of --curve-seconds (default 120) at 4096 envs: its curve (agent steps,
     success rate, return);
and the GPU memory in use after each phase. Training uses the `paper` PPO preset (the authors'
4096-env settings: horizon 10, minibatch 4096, 5 mini-epochs). A phase that fails prints its
traceback and the check goes on to the next; the exit status is then 1. Exits 2 at once, with a
message, where there is no CUDA device or mujoco-warp is missing. Targets (issue 16): physics ≥
300k env-steps/s at 8192 worlds, training ≥ 100k agent steps/s for dense at 4096 envs.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
import traceback
from pathlib import Path

ROBOT, TASK = "allegro", "grasp_lift"
WORLDS = (1024, 4096, 8192, 16384)
TRAIN_ENVS = 4096
HORIZON = 10  # the paper preset's horizon: agent steps per env and PPO epoch


def cuda_problem(device: str) -> str | None:
    """Why this machine cannot run the check on ``device``, or None."""
    import torch

    if not torch.cuda.is_available():  # before importing trackbench: fail in seconds
        return (f"no CUDA device: torch {torch.__version__} sees none (torch.cuda.is_available() "
                "is False). Run this check on a machine with an NVIDIA GPU and a CUDA build of torch.")
    from trackbench.plugins.engines.mujoco_warp import install_problem

    return install_problem(device)


def say(*parts) -> None:
    print(*parts, flush=True)


def memory(device: str) -> str:
    import torch

    free, total = torch.cuda.mem_get_info(torch.device(device))
    return f"GPU memory in use: {(total - free) / 2**30:.1f} of {total / 2**30:.0f} GiB"


def make(registry, device: str, worlds: int, streams: bool):
    """An mjwarp engine of ``worlds`` allegro/grasp_lift envs (``streams``: variant_streams)."""
    from trackbench.harness.build import make_engine, make_robot, make_task

    task = make_task(registry, TASK)
    return make_engine(registry, "mjwarp", make_robot(registry, ROBOT), task.scenes(), worlds,
                       0, {"device": device, "variant_streams": streams})


def physics(registry, device: str, worlds: int, steps: int = 50, streams: bool = True) -> float:
    """env-steps/s of the mjwarp engine stepping ``worlds`` envs with random actions
    (``streams``: the engine's variant_streams)."""
    import torch

    engine = make(registry, device, worlds, streams)
    actions = torch.rand(steps + 5, worlds, engine.num_actions, device=device) * 2 - 1
    for k in range(5):  # warm-up: graphs launched once, allocator settled
        engine.step(actions[k])
    torch.cuda.synchronize()
    start = time.perf_counter()
    for k in range(5, steps + 5):
        engine.step(actions[k])
    torch.cuda.synchronize()
    seconds = time.perf_counter() - start
    if engine.unstable_resets:
        say(f"  ({engine.unstable_resets} env resets for instability, {engine.overflow_resets} "
            f"of them buffer overflows)")
    return worlds * steps / seconds


def streams_agree(registry, device: str, worlds: int = 1024, steps: int = 20) -> tuple[float, float]:
    """Largest |difference| of joint positions (rad) and object positions (m) between the
    variants stepped side by side and one after another, from the same reset and actions."""
    import torch

    engines = [make(registry, device, worlds, streams) for streams in (True, False)]
    generator = torch.Generator(device=device).manual_seed(0)
    for _ in range(steps):
        actions = torch.rand(worlds, engines[0].num_actions, device=device,
                             generator=generator) * 2 - 1
        states = [engine.step(actions) for engine in engines]
    return (float((states[0].joint_pos - states[1].joint_pos).abs().max()),
            float((states[0].object_pos - states[1].object_pos).abs().max()))


def train(registry, device: str, method: str, agent_steps: int, out: Path, streams: bool,
          method_settings: dict | None = None, times=None) -> list[dict]:
    """Train one cell of ``agent_steps`` on the GPU (paper preset; ``streams``: the engine's
    variant_streams); returns its metrics rows."""
    from trackbench.harness.matrix import plan
    from trackbench.harness.results import RunDir
    from trackbench.harness.specs import MatrixSpec
    from trackbench.harness.training.trainer import train_cell

    overrides = {"ppo": {"preset": "paper"}, "engine": {"variant_streams": streams}}
    if method_settings:
        overrides["method"] = method_settings
    matrix = MatrixSpec(robots=[ROBOT], tasks=[TASK], methods=[method], engine="mjwarp",
                        agent_steps=agent_steps, num_envs=TRAIN_ENVS, device=device,
                        overrides=overrides)
    spec = plan(matrix, registry)[0]
    run_dir = RunDir(out / spec.run_id)
    run_dir.prepare(spec)
    train_cell(spec, registry, run_dir, times=times)
    rows = [json.loads(line) for line in (run_dir.path / "metrics.jsonl").read_text().splitlines()]
    return [row for row in rows if "fps" in row]


def steady_fps(rows: list[dict]) -> float:
    """Median agent steps/s of the epochs after the first (which pays the warm-up)."""
    import statistics

    fps = [row["fps"] for row in rows[1:]] or [row["fps"] for row in rows]
    return statistics.median(fps)


def phase(failures: list[str], name: str, work) -> None:
    """Run one phase; a failure prints its traceback and is counted, and the check goes on."""
    try:
        work()
    except Exception:  # noqa: BLE001 - a GPU check reports every phase it can
        failures.append(name)
        say(f"   phase '{name}' failed:")
        say(traceback.format_exc())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cuda", help="cuda or cuda:N")
    parser.add_argument("--pi-h", type=Path, default=None,
                        help="Π_h checkpoint for the track phase (default: the cache)")
    parser.add_argument("--curve-seconds", type=float, default=120.0,
                        help="wall time of phase 5's dense training (0: no phase 5)")
    args = parser.parse_args()
    device = args.device
    problem = cuda_problem(device)
    if problem:
        print(f"error: {problem}", file=sys.stderr)
        return 2
    if args.pi_h is not None and not args.pi_h.is_file():
        print(f"error: --pi-h {args.pi_h}: no such file", file=sys.stderr)
        return 2
    import torch

    from trackbench.harness.plugins import load_registry
    from trackbench.plugins.engines.warp_worlds import import_warp

    registry = load_registry()
    registry.raise_problems()
    wp, _ = import_warp()
    say(f"device: {torch.cuda.get_device_name(torch.device(device))}; torch {torch.__version__}, "
        f"warp {wp.__version__}; trackbench mjwarp on {ROBOT}/{TASK}")
    start = time.perf_counter()
    failures: list[str] = []
    per_epoch = TRAIN_ENVS * HORIZON
    fps: dict[str, float] = {}
    streams_ok = [False]  # phase 1 ran the variants side by side: training uses them too

    def compile_kernels():
        physics(registry, device, 64, steps=2, streams=False)
        say(f"0. kernels compiled or loaded from warp's cache: {time.perf_counter() - start:.0f} s")

    def physics_rates():
        say("1. physics (engine.step, random actions):")
        rate = physics(registry, device, 8192, streams=False)
        say(f"    8192 worlds, variants one after another: {rate:12,.0f} env-steps/s")
        joints, objects = streams_agree(registry, device)
        say(f"   side by side vs one after another, 1024 worlds, 20 steps: joints within "
            f"{joints:.2e} rad, objects within {objects:.2e} m")
        streams_ok[0] = True
        for worlds in WORLDS:
            say(f"   {worlds:5d} worlds: {physics(registry, device, worlds):12,.0f} env-steps/s")
        say(f"   {memory(device)}")

    def loop_rate(method: str, number: int, settings: dict | None, out: Path):
        def work():
            rows = train(registry, device, method, 4 * per_epoch, out, streams_ok[0], settings)
            fps[method] = steady_fps(rows)
            say(f"{number}. training loop, {method}, {TRAIN_ENVS} envs: {fps[method]:,.0f} "
                "agent steps/s")
            say(f"   {memory(device)}")
        return work

    def stages(out: Path):
        def work():
            from trackbench.harness.stages import STAGES, StageTimes

            times = StageTimes(sync=torch.cuda.synchronize)
            begin = time.perf_counter()
            rows = train(registry, device, "dense", 4 * per_epoch, out, streams_ok[0],
                         times=times)
            seconds = time.perf_counter() - begin
            steps = rows[-1]["agent_steps"]
            say(f"4. where dense's loop time goes ({steps:,} agent steps, {seconds:.1f} s with set-up;"
                " µs per agent step, GPU synchronised per stage):")
            for name in STAGES:
                say(f"   {name:12s} {1e6 * times.seconds[name] / steps:9.2f}")
        return work

    def curve(out: Path):
        def work():
            rate = fps.get("dense", 10_000.0)
            budget = int(rate * args.curve_seconds) // per_epoch * per_epoch or per_epoch
            say(f"5. a {args.curve_seconds:.0f}-second dense training ({budget:,} agent steps):")
            say("   agent_steps  success_rate  episode_return  agent_steps/s")
            for row in train(registry, device, "dense", budget, out, streams_ok[0]):
                success, ret = row.get("success_rate"), row.get("episode_return")
                say(f"   {row['agent_steps']:11,d}  {'-' if success is None else f'{success:.3f}':>12}"
                    f"  {'-' if ret is None else f'{ret:.2f}':>14}  {row['fps']:13,.0f}")
        return work

    track_settings = None if args.pi_h is None else {"checkpoint": str(args.pi_h.resolve())}
    with tempfile.TemporaryDirectory(prefix="trackbench-gpu-check-") as scratch:
        out = Path(scratch)
        phase(failures, "kernels", compile_kernels)
        phase(failures, "physics", physics_rates)
        say(f"   training phases: engine.variant_streams={streams_ok[0]}")
        phase(failures, "dense stages", stages(out / "dense_stages"))
        phase(failures, "dense loop", loop_rate("dense", 2, None, out / "dense_speed"))
        phase(failures, "track loop", loop_rate("track", 3, track_settings, out / "track_speed"))
        if args.curve_seconds > 0:
            phase(failures, "dense curve", curve(out / "dense_curve"))
    say(f"done in {time.perf_counter() - start:.0f} s"
        + (f"; failed: {', '.join(failures)}" if failures else ""))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
