"""How a wrist-delta policy approaches the object from the task's own resets (issue 13).

Tells "aims at the object but is slow" from "goes somewhere regardless of where the object is"
from "pushes the object away". Reads RUN_DIR/spec.json and RUN_DIR/checkpoints/last.pth, resets
from the evaluation seeds with the task's standard resets (as `trackbench run` evaluates) and
plays the deterministic policy. Prints, per tenth of the episode (means over the envs still
running): the fingertips' centroid's distance to the object's centre (m; in the horizontal plane
too, "across"), the wrist's linear action's norm |a_xyz| (1 = `robot.wrist_linear_speed` along
one axis), the cosine between that action and the direction from the centroid to the object, the
lowest fingertip's height (m), the object's rise (cm) and the close action (with
``robot.hand_close_action``; nan without). Then, at step ``at=T`` (default 60), per env: that
distance, how far the object was pushed in xy (cm) and its highest rise over the episode (cm);
and across envs the correlation of the centroid's x and y with the object's start x and y (≈ 0:
the hand goes where it goes whatever the object's place).

    .venv/bin/python benchmarks/approach.py RUN_DIR [ENVS] [at=T]

Lifting tasks only (the target object is object 0).
"""

from pathlib import Path

import numpy as np
import torch

from trackbench.harness.plugins import load_registry
from trackbench.harness.results import RunDir
from trackbench.harness.specs import RunSpec
from trackbench.harness.training.policy import played_on_cpu
from script_cli import BadArguments, run_script, split_arguments, trained_run_folder, \
    whole_number, written_spec

LIFTED = 0.05  # m: an object raised this far counts as lifted in the summary line
COLUMNS = ("distance", "speed", "aim", "lowest_tip", "rise", "running", "pushed", "hand_x",
           "hand_y", "across", "close")


def rollout(run: str, envs: int, at: int = 0) -> tuple[dict[str, torch.Tensor], torch.Tensor]:
    """({column: [T, N]} per step, [N, 2] the objects' start xy) of one evaluation episode.
    BadArguments for a robot without wrist-delta arm actions or an ``at`` past the episode
    length (before playing); TrackbenchError for a spec or checkpoint that does not load."""
    registry = load_registry()
    written = written_spec(run, registry)
    written["num_envs"] = envs
    spec = RunSpec(**written)
    if spec.robot_spec.get("arm_action") != "wrist_delta":
        raise BadArguments(f"{run}: needs a wrist-delta robot (robot.arm_action=wrist_delta)")
    with played_on_cpu(RunDir(Path(run)), spec, registry) as (ppo, env, model):
        if at >= env.task.spec.episode_length:
            raise BadArguments(f"at={at}: the episodes last {env.task.spec.episode_length} steps")
        return _play(env, model, ppo.eval_seed, envs)


def _play(env, model, eval_seed: int, envs: int) -> tuple[dict[str, torch.Tensor], torch.Tensor]:
    """:func:`rollout`'s result: the deterministic ``model`` from evaluation seeds onwards."""
    env.reseed([eval_seed + i for i in range(envs)])
    with env.evaluation():
        obs = env.reset(full_episodes=True)[1]
    start = env._state().object_pos[:, 0].clone()
    closes = env.engine.robot.spec.hand_close_action  # the last action closes the whole hand
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
        close = action[:, -1] if closes else torch.full_like(distance, float("nan"))
        aim = (linear * to_object).sum(-1) / (linear.norm(dim=-1) * distance + 1e-9)
        rows.append(torch.stack([
            distance, linear.norm(dim=-1), aim, state.keypoints[:, :, 2].min(dim=1).values,
            state.object_pos[:, 0, 2] - start[:, 2], running.float(),
            (state.object_pos[:, 0, :2] - start[:, :2]).norm(dim=-1), centroid[:, 0],
            centroid[:, 1], to_object[:, :2].norm(dim=-1), close]))
        step = env.step(action)
        if step.episodes is not None:
            running[step.episodes.env_ids] = False
        obs = step.critic_obs
    table = torch.stack(rows)  # [T, columns, N]
    return {name: table[:, i] for i, name in enumerate(COLUMNS)}, start[:, :2]


def main(run: str, envs: int, at: int) -> None:
    steps, start = rollout(run, envs, at)
    length = steps["distance"].shape[0]
    if not 0 <= at < length:  # every episode ended early (e.g. on success)
        raise BadArguments(f"at={at}: the longest episode lasted {length} steps")
    tenth = max(length // 10, 1)
    for first in range(0, length, tenth):
        live = steps["running"][first:first + tenth] > 0

        def mean(name: str) -> float:
            return float(steps[name][first:first + tenth][live].mean())

        print(f"steps {first:3d}+: centroid–object {mean('distance'):.3f} m ({mean('across'):.3f} "
              f"across), |a_xyz| {mean('speed'):.2f}, cos(a_xyz, to object) "
              f"{mean('aim'):+.2f}, lowest tip {mean('lowest_tip'):.3f} m, rise "
              f"{100 * mean('rise'):+.1f} cm, close action {mean('close'):+.2f}")
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


USAGE = ("usage: benchmarks/approach.py RUN_DIR [ENVS ≥ 2] [at=T ≥ 0] (RUN_DIR: a wrist-delta "
         "cell's folder with spec.json and checkpoints/last.pth; defaults ENVS 32, at=60)")


def arguments(argv: list[str]) -> tuple[str, int, int]:
    """(run, envs, at) from the command line; BadArguments, saying what is wrong, for anything
    else."""
    positional, options = split_arguments(argv, ("at",), 2)
    run = trained_run_folder(positional[0])
    # Two envs at least: the summary correlates the hand's place with the object's across envs.
    envs = whole_number(positional[1] if len(positional) > 1 else None, "ENVS", 32, least=2)
    return run, envs, whole_number(options.get("at"), "at", 60, least=0)


if __name__ == "__main__":
    run_script(main, arguments, USAGE)
