"""Where and when a checkpointed policy's episodes fail: the object's last position before each.

A learning check (issue 13): a training run whose time-out rate falls while its success rate
stays 0 is failing episodes; the lifting tasks fail once the target object leaves the table area
(``LiftSpec.area_x``, ``area_y``) or drops below the table top. This plays the run's policy from
the run's own *training* resets (its start curricula included, so a ``task.grasped_start`` run
starts holding the object) for ``STEPS`` control steps in ``ENVS`` envs, with the policy's own
exploration noise when ``noise`` is given (as in training) or its mean action otherwise, and
prints every failed episode: the step, the target's position (m) the step before it failed, its
highest rise above its start (cm) and the episode's length; then the policy's mean |μ| of the arm
actions against its σ.

    .venv/bin/python benchmarks/episode_failures.py RUN_DIR [ENVS] [STEPS] [noise]
    .venv/bin/python benchmarks/episode_failures.py runs/grasped_targets/allegro__grasp_lift__grasp__s0 32 700 noise

Lifting tasks only (the target object is object 0).
"""

from __future__ import annotations

from pathlib import Path

import torch

from trackbench.harness.plugins import load_registry
from trackbench.harness.results import RunDir
from trackbench.harness.specs import RunSpec
from trackbench.harness.training.policy import played_on_cpu
from script_cli import count_or_flag, run_script, split_arguments, split_flags, \
    trained_run_folder, written_spec


def main(run: str, envs: int = 32, steps: int = 700, noise: bool = False) -> None:
    torch.set_num_threads(1)
    registry = load_registry()
    written = written_spec(run, registry)
    written["num_envs"] = envs
    spec = RunSpec(**written)
    # on the CPU whatever the run trained on, as the other scripts that replay a run
    with played_on_cpu(RunDir(Path(run)), spec, registry) as (_, env, model):
        n_arm = env.task.robot.num_arm_actions
        obs = env.reset(full_episodes=True)[1]
        generator = torch.Generator().manual_seed(0)
        start_height = env.engine.state.object_pos[:, 0, 2].clone()
        highest = torch.zeros(envs)
        failures, ended, mean_mu, sigma = [], 0, 0.0, None
        for t in range(steps):
            with torch.no_grad():
                out = model({"is_train": False, "obs": obs, "prev_actions": None,
                             "rnn_states": None})
            actions, sigma = out["mus"], out["sigmas"][0]
            mean_mu += float(actions[:, :n_arm].abs().mean()) / steps
            if noise:
                actions = actions + out["sigmas"] * torch.randn(actions.shape,
                                                                generator=generator)
            before = env.engine.state.object_pos[:, 0].clone()
            step = env.step(actions.clamp(-1.0, 1.0))
            state = env.engine.state
            highest = torch.maximum(highest, state.object_pos[:, 0, 2] - start_height)
            if step.episodes is not None:
                for i, e in enumerate(step.episodes.env_ids.tolist()):
                    ended += 1
                    if not bool(step.episodes.time_out[i] | step.episodes.success[i]):
                        failures.append((t, e, before[e].tolist(), float(highest[e]),
                                         int(step.episodes.lengths[i])))
                ids = step.episodes.env_ids
                highest[ids] = 0.0  # the env already holds its next episode's start
                start_height[ids] = state.object_pos[ids, 0, 2]
            obs = step.critic_obs
        print(f"{run}: {'sampled' if noise else 'mean'} actions, {envs} envs × {steps} steps: "
              f"{len(failures)} failed of {ended} episodes that ended")
        for t, e, (x, y, z), rise, length in failures:
            print(f"  step {t:4d} env {e:3d}: object at ({x:.3f}, {y:.3f}, {z:.3f}) m, highest "
                  f"rise {rise * 100:.1f} cm, episode length {length}")
        joints = env.task.robot.hand_joint_actions
        print(f"  mean |μ| of the arm actions {mean_mu:.3f}; σ arm {sigma[:n_arm].mean():.2f}, "
              f"hand {sigma[joints].mean():.2f}"
              + (f", close action {sigma[-1]:.2f}" if env.task.robot.hand_close_action else ""))


USAGE = ("usage: benchmarks/episode_failures.py RUN_DIR [ENVS ≥ 1] [STEPS ≥ 1] [noise] (RUN_DIR: "
         "a lifting cell's folder with spec.json and checkpoints/last.pth; defaults 32 700)")
FLAGS = ("noise",)


def arguments(argv: list[str]) -> tuple[str, int, int, bool]:
    """(run, envs, steps, noise) from the command line; BadArguments, saying what is wrong, for
    anything else."""
    rest, flags = split_flags(argv, FLAGS)
    positional, _ = split_arguments(rest, (), 3)
    given = positional + [None] * (3 - len(positional))
    return (trained_run_folder(given[0]), count_or_flag(given[1], "ENVS", 32, FLAGS),
            count_or_flag(given[2], "STEPS", 700, FLAGS), "noise" in flags)


if __name__ == "__main__":
    run_script(main, arguments, USAGE)
