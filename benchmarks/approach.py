"""How a wrist-delta policy approaches the object from the task's own resets (issue 13).

Tells "aims at the object but is slow" from "goes somewhere regardless of where the object is"
from "pushes the object away". Reads RUN_DIR/spec.json and RUN_DIR/checkpoints/last.pth, resets
from the evaluation seeds with the task's standard resets (as `trackbench run` evaluates) and
plays the deterministic policy. Prints, per tenth of the episode (means over the envs still
running): the fingertips' centroid's distance to the object's centre (m), the wrist's linear
action's norm |a_xyz| (1 = `robot.wrist_linear_speed` along one axis), the cosine between that
action and the direction from the centroid to the object, the lowest fingertip's height (m) and
the object's rise (cm). Then, at step ``at=T`` (default 60), per env: that distance, how far
the object was pushed in xy (cm) and its highest rise over the episode (cm); and across envs
the correlation of the centroid's x and y with the object's start x and y (≈ 0: the hand goes
where it goes whatever the object's place).

    .venv/bin/python benchmarks/approach.py RUN_DIR [ENVS] [at=T]

Lifting tasks only (the target object is object 0).
"""

import json
import sys
from pathlib import Path

import numpy as np
import torch

from trackbench.harness.plugins import load_registry
from trackbench.harness.results import RunDir
from trackbench.harness.specs import RunSpec
from trackbench.harness.training.policy import played_on_cpu

LIFTED = 0.05  # m: an object raised this far counts as lifted in the summary line
COLUMNS = ("distance", "speed", "aim", "lowest_tip", "rise", "running", "pushed", "hand_x",
           "hand_y")


def rollout(run: str, envs: int) -> tuple[dict[str, torch.Tensor], torch.Tensor]:
    """({column: [T, N]} per step, [N, 2] the objects' start xy) of one evaluation episode."""
    written = json.load(open(f"{run}/spec.json"))
    written["num_envs"] = envs
    spec = RunSpec(**written)
    if spec.robot_spec.get("arm_action") != "wrist_delta":
        raise SystemExit(f"{run}: needs a wrist-delta robot (robot.arm_action=wrist_delta)")
    with played_on_cpu(RunDir(Path(run)), spec, load_registry()) as (ppo, env, model):
        return _play(env, model, ppo.eval_seed, envs)


def _play(env, model, eval_seed: int, envs: int) -> tuple[dict[str, torch.Tensor], torch.Tensor]:
    """:func:`rollout`'s result: the deterministic ``model`` from evaluation seeds onwards."""
    env.reseed([eval_seed + i for i in range(envs)])
    with env.evaluation():
        obs = env.reset(full_episodes=True)[1]
    start = env._state().object_pos[:, 0].clone()
    running = torch.ones(envs, dtype=torch.bool)
    rows = []
    while running.any():
        with torch.no_grad():
            action = model({"is_train": False, "obs": obs, "prev_actions": None,
                            "rnn_states": None})["mus"].clamp(-1, 1)
        state = env._state()
        centroid = state.keypoints.mean(dim=1)
        to_object = state.object_pos[:, 0] - centroid
        distance, linear = to_object.norm(dim=-1), action[:, :3]
        aim = (linear * to_object).sum(-1) / (linear.norm(dim=-1) * distance + 1e-9)
        rows.append(torch.stack([
            distance, linear.norm(dim=-1), aim, state.keypoints[:, :, 2].min(dim=1).values,
            state.object_pos[:, 0, 2] - start[:, 2], running.float(),
            (state.object_pos[:, 0, :2] - start[:, :2]).norm(dim=-1), centroid[:, 0],
            centroid[:, 1]]))
        step = env.step(action)
        if step.episodes is not None:
            running[step.episodes.env_ids] = False
        obs = step.critic_obs
    table = torch.stack(rows)  # [T, columns, N]
    return {name: table[:, i] for i, name in enumerate(COLUMNS)}, start[:, :2]


def main(run: str, envs: int, at: int) -> None:
    steps, start = rollout(run, envs)
    length = steps["distance"].shape[0]
    if not 0 <= at < length:
        raise SystemExit(f"at={at}: the episodes last {length} steps")
    tenth = max(length // 10, 1)
    for first in range(0, length, tenth):
        live = steps["running"][first:first + tenth] > 0

        def mean(name: str) -> float:
            return float(steps[name][first:first + tenth][live].mean())

        print(f"steps {first:3d}+: centroid–object {mean('distance'):.3f} m, |a_xyz| "
              f"{mean('speed'):.2f}, cos(a_xyz, to object) {mean('aim'):+.2f}, lowest tip "
              f"{mean('lowest_tip'):.3f} m, rise {100 * mean('rise'):+.1f} cm")
    highest = (steps["rise"] * steps["running"]).max(dim=0).values
    print(f"objects raised ≥ {100 * LIFTED:.0f} cm: {int((highest >= LIFTED).sum())} of {envs}")
    print(f"at step {at}, per env: centroid–object (m), object pushed in xy (cm), highest rise (cm)")
    for i in range(envs):
        print(f"  {i:3d}: {float(steps['distance'][at, i]):.3f}  "
              f"{100 * float(steps['pushed'][at, i]):5.1f}  {100 * float(highest[i]):5.1f}")
    for axis, name in enumerate(("x", "y")):
        hand, place = steps[f"hand_{name}"][at].numpy(), start[:, axis].numpy()
        print(f"hand centroid {name} at step {at} against the object's start {name}: correlation "
              f"{np.corrcoef(place, hand)[0, 1]:+.2f}, slope {np.polyfit(place, hand, 1)[0]:+.2f} "
              f"(object spread {place.std():.3f} m, hand spread {hand.std():.3f} m)")


if __name__ == "__main__":
    if len(sys.argv) < 2 or not Path(sys.argv[1], "spec.json").is_file():
        raise SystemExit("usage: benchmarks/approach.py RUN_DIR [ENVS] [at=T] (a cell's folder "
                         "with spec.json and checkpoints/last.pth)")
    counts = [a for a in sys.argv[2:] if not a.startswith("at=")]
    times = [a.split("=", 1)[1] for a in sys.argv[2:] if a.startswith("at=")]
    try:
        count, at = int(counts[0]) if counts else 32, int(times[0]) if times else 60
    except ValueError:
        raise SystemExit("ENVS and at=T must be integers") from None
    if count < 2:
        raise SystemExit("ENVS must be at least 2 (correlations across envs)")
    main(sys.argv[1], count, at)
