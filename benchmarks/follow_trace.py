"""Where does Π_h take a robot that follows it? A per-step trace of track_landscape's "follow".

Issue 13: a wrist that follows Π_h's predicted fingertip centroid from grasp_lift's resets stops
about 0.2 m from the object (``track_landscape.py``). This script plays that behaviour from the
task's standard resets (evaluation seeds; no policy needed: a `track` run's spec gives Π_h, robot
and task) and prints every 10 control steps, as means over the envs: the asked move |Π_h's
predicted centroid − the fingertips' centroid| (cm) and its vertical part, the cosine between the
asked move and the direction to the object, how far the centroid moved that step (cm), the
centroid's and the object's heights (m), the shape error (mean distance between predicted and
reached fingertips once both are centred, cm) and the centroid–object distance (m).

``clip=axis`` (default, as track_landscape.py) clips the wrist action per axis; ``clip=norm``
scales the asked move down to the wrist's step and keeps its direction.

    .venv/bin/python benchmarks/follow_trace.py RUN_DIR [STEPS] [checkpoint=PI_H] [clip=axis|norm]
    .venv/bin/python benchmarks/follow_trace.py runs/lift_staged_track/allegro__grasp_lift__track__s0 140
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import torch

from trackbench.harness.plugins import load_registry
from trackbench.harness.specs import RunSpec
from trackbench.harness.training.policy import built_on_cpu

ENVS = 16
EVERY = 10  # control steps between printed rows


def wrist_action(wanted: torch.Tensor, step_length: float, clip: str) -> torch.Tensor:
    """[N, 3] wrist action in [−1, 1] that moves the wrist by ``wanted`` [N, 3] (m), at most
    ``step_length`` m per axis (``clip="axis"``) or in norm (``clip="norm"``)."""
    scaled = wanted / step_length
    if clip == "axis":
        return scaled.clamp(-1.0, 1.0)
    return scaled / scaled.norm(dim=-1, keepdim=True).clamp(min=1.0)


def main(run: str, steps: int, checkpoint: str | None, clip: str) -> None:
    written = json.loads(Path(run, "spec.json").read_text())
    written["num_envs"] = ENVS
    if checkpoint is not None:
        written["method_spec"] = {**written["method_spec"], "checkpoint": checkpoint}
    spec = RunSpec(**written)
    if spec.method != "track" or spec.robot_spec.get("arm_action") != "wrist_delta":
        raise SystemExit(f"{run}: a `track` run with robot.arm_action=wrist_delta is needed")
    with built_on_cpu(spec, load_registry()) as (ppo, env):
        if steps >= env.task.spec.episode_length:
            raise SystemExit(f"STEPS must be below the episode length "
                             f"({env.task.spec.episode_length})")
        env.reseed([ppo.eval_seed + i for i in range(ENVS)])
        with env.evaluation():
            env.reset(full_episodes=True)
        step_length = env.task.robot.wrist_linear_speed / env.engine.spec.control_hz
        method = env.rewards.method
        print(f"{spec.robot} / {spec.task}, {ENVS} evaluation resets, clip {clip}, wrist step "
              f"{100 * step_length:.2f} cm")
        for step in range(steps):
            before = env._state()
            tips = method.history.map.robot_tips(before.keypoints)
            predicted = method.fingertip_targets()
            wanted = predicted.mean(dim=1) - tips.mean(dim=1)
            shape = ((predicted - predicted.mean(1, keepdim=True))
                     - (tips - tips.mean(1, keepdim=True))).norm(dim=-1).mean()
            centroid = before.keypoints.mean(dim=1)
            cosine = torch.nn.functional.cosine_similarity(
                wanted, before.object_pos[:, 0] - centroid, dim=-1).mean()
            actions = torch.zeros(ENVS, env.task.robot.num_actions)
            actions[:, :3] = wrist_action(wanted, step_length, clip)
            env.step(actions)
            after = env._state()
            now = after.keypoints.mean(dim=1)
            if step % EVERY == 0:
                print(f"step {step:3d}: asked {100 * wanted.norm(dim=-1).mean():.2f} cm "
                      f"(z {100 * wanted[:, 2].mean():+.2f}), cos to object {cosine:+.2f}, moved "
                      f"{100 * (now - centroid).norm(dim=-1).mean():.2f} cm, height "
                      f"{now[:, 2].mean():.3f} m (object {after.object_pos[:, 0, 2].mean():.3f}),"
                      f" shape error {100 * shape:.1f} cm, distance "
                      f"{(after.object_pos[:, 0] - now).norm(dim=-1).mean():.3f} m")


def arguments(argv: list[str]) -> tuple[str, int, str | None, str]:
    """(run, steps, checkpoint, clip) from the command line; SystemExit with the usage line for
    anything else."""
    usage = ("usage: benchmarks/follow_trace.py RUN_DIR [STEPS ≥ 1] [checkpoint=PI_H] "
             "[clip=axis|norm] (a `track` cell's folder with spec.json)")
    options = dict(a.split("=", 1) for a in argv if "=" in a)
    args = [a for a in argv if "=" not in a]
    if not args or len(args) > 2 or not Path(args[0], "spec.json").is_file() \
            or set(options) - {"checkpoint", "clip"} \
            or options.get("clip", "axis") not in ("axis", "norm"):
        raise SystemExit(usage)
    try:
        steps = int(args[1]) if len(args) > 1 else 140
    except ValueError:
        raise SystemExit(usage) from None
    if steps < 1:
        raise SystemExit(usage)
    return args[0], steps, options.get("checkpoint"), options.get("clip", "axis")


if __name__ == "__main__":
    from trackbench.harness.errors import TrackbenchError

    try:
        main(*arguments(sys.argv[1:]))
    except (TrackbenchError, ValueError) as error:  # pydantic's ValidationError is a ValueError
        raise SystemExit(f"error: {error}") from None
