"""What a checkpointed grasp/lift policy does: one deterministic evaluation episode per env.

Used for the learning checks (issue 13) to tell "never gets near" from "gets near and backs off"
from "touches but never closes". Reads RUN_DIR/spec.json and RUN_DIR/checkpoints/last.pth, resets
from the evaluation seeds (the same as `trackbench run`'s evaluation) and prints the policy's
exploration std (arm, hand) and, over the episode: mean fingertip-to-object distance (m) and the
fingertips' centroid's distance to the object's centre (m; where the hand aims) at five points
in time, each env's closest approach and its highest and lowest object rise (cm), the
fraction of steps with the fingertips near the object (mean distance ≤ 0.12 m, the task's "near"
flag) and the mean hand action while near and while far (−1 = fully open targets, +1 = fully
closed).

    .venv/bin/python benchmarks/policy_behaviour.py runs/learning/allegro__grasp_lift__dense__s0 [ENVS] [pregrasp|grasped] [raise] [progress=LOW,HIGH] [open=D]

With ``pregrasp`` every episode starts in a pre-grasp instead (the ``task.pregrasp_start``
curriculum's starts, which evaluation never uses): does the policy close and lift from there?
``progress=LOW,HIGH`` places them that far in from the reset (``task.pregrasp_progress``; default
the run's own). A run's ``task.start_stages`` are set aside for these starts.

With ``grasped`` every episode starts holding the object (the ``task.grasped_start``
curriculum's starts, ``harness/grasped.py``).

With ``raise`` (wrist-delta robots only) the script takes over the arm once an env has held a
grip (thumb and a finger within the ``grasp`` method's grip distance) for ``HOLD_STEPS`` steps:
the wrist goes straight up at full speed for ``RAISE_STEPS`` steps while the policy keeps the
hand. It tells "the policy's grip would carry the object; it just never raises" from "its grip
is a touch that lets go when the arm moves".

With ``open=D`` the script holds the hand (zero hand and close actions: the PD targets stay
where the reset put them) while the env's mean fingertip–object distance is above D m, and gives
the hand back to the policy from the first step it comes within D: does the policy lift from far
starts when it arrives with an open hand?

A summary line: how many envs lifted the object (≥ 5 cm, the "lift" flag) and came near.

Lifting tasks only (the target object is object 0; its start height is the task's).
"""

from pathlib import Path

import torch

from trackbench.harness.control import fold_close_action
from trackbench.harness.plugins import load_registry
from trackbench.harness.results import RunDir
from trackbench.harness.specs import RunSpec
from trackbench.harness.training.policy import built_on_cpu, load_policy
from trackbench.harness.grip import GRIP_DISTANCE, thumb_and_finger, tip_surface_distances
from script_cli import BadArguments, count_or_flag, positive_number, run_script, split_arguments, \
    split_flags, still_running, trained_run_folder, written_spec

NEAR = 0.12  # m, the lifting tasks' "near" flag
LIFTED = 0.05  # m, the lifting tasks' "lift" flag: the object's centre rose this far
HOLD_STEPS, RAISE_STEPS = 10, 20  # control steps (20 Hz): a held grip, then 1 s of +z wrist
WRIST_UP = 2  # the wrist-delta action that moves the wrist along world +z


def main(run: str, envs: int = 16, pregrasp: bool = False, take_over: bool = False,
         grasped: bool = False, progress: list[float] | None = None,
         open_until: float | None = None) -> None:
    torch.set_num_threads(1)
    registry = load_registry()
    written = written_spec(run, registry)
    written["num_envs"] = envs
    if pregrasp or grasped:
        written["task_spec"] = {**written["task_spec"], "pregrasp_start": float(pregrasp),
                                "grasped_start": float(grasped and not pregrasp),
                                "start_stages": []}
        if progress is not None:
            written["task_spec"]["pregrasp_progress"] = progress
    spec = RunSpec(**written)
    # on the CPU whatever the run trained on, as the other scripts that replay a run
    with built_on_cpu(spec, registry) as (ppo, env):
        if take_over and env.task.robot.arm_action != "wrist_delta":  # before loading and playing
            raise BadArguments(f"{run}: raise needs a wrist-delta robot "
                               f"(robot.arm_action=wrist_delta)")
        model = load_policy(RunDir(Path(run)), ppo, env)
        sigma = model.a2c_network.sigma.detach().exp()  # [n_dof] the exploration std (rl-games' log σ)
        n_arm, joints = env.task.robot.num_arm_actions, env.task.robot.hand_joint_actions
        closing = env.task.robot.hand_close_action
        print(f"exploration std: arm {float(sigma[:n_arm].mean()):.3f} "
              f"({float(sigma[:n_arm].min()):.3f}–{float(sigma[:n_arm].max()):.3f}), hand "
              f"{float(sigma[joints].mean()):.3f} ({float(sigma[joints].min()):.3f}–"
              f"{float(sigma[joints].max()):.3f})"
              + (f", close action {float(sigma[-1]):.3f}" if closing else ""))
        env.reseed([ppo.eval_seed + i for i in range(envs)])
        if pregrasp or grasped:  # training resets: every one in a pre-grasp (or a grasp)
            obs = env.reset(full_episodes=True)[1]
            print(f"curriculum starts: {env.curriculum_metrics()}")
        else:
            with env.evaluation():  # the task's standard resets, as `trackbench run` evaluates
                obs = env.reset(full_episodes=True)[1]
        start_height = env._state().object_pos[:, 0, 2].clone()
        grip_distance = spec.method_spec.get("grip_distance", GRIP_DISTANCE)
        held_for = torch.zeros(envs, dtype=torch.long)
        raised_for = torch.zeros(envs, dtype=torch.long)
        raise_start = torch.full((envs,), torch.nan)
        running = torch.ones(envs, dtype=torch.bool)
        arrived = torch.zeros(envs, dtype=torch.bool)
        tips, rises, hand, centres = [], [], [], []
        while running.any():
            with torch.no_grad():
                action = model({"is_train": False, "obs": obs, "prev_actions": None,
                                "rnn_states": None})["mus"].clamp(-1, 1)
            if open_until is not None:  # hold the hand open until the fingertips first come near
                state = env._state()
                distance = (state.keypoints - state.object_pos[:, 0, None]).norm(dim=-1).mean(1)
                arrived |= distance <= open_until
                action[~arrived, n_arm:] = 0.0
            if take_over:
                thumb, finger = thumb_and_finger(tip_surface_distances(env._state()))
                gripped = (thumb < grip_distance) & (finger < grip_distance)
                held_for = torch.where(gripped, held_for + 1, torch.zeros_like(held_for))
                taking = (raised_for > 0) | (held_for >= HOLD_STEPS)
                taking &= (raised_for < RAISE_STEPS) & running
                raise_start = torch.where(taking & (raised_for == 0),
                                          env._state().object_pos[:, 0, 2], raise_start)
                action[taking, :n_arm] = 0.0
                action[taking, WRIST_UP] = 1.0
                raised_for += taking.long()
            step = env.step(action)
            running = still_running(running, step)  # an ended env already shows its next reset
            state = env._state()
            target = state.object_pos[:, 0]
            # Where the hand aims: the fingertips' centroid against the object's centre, per env.
            centres.append(torch.where(running, (state.keypoints.mean(1) - target).norm(dim=-1),
                                       torch.nan))
            tips.append(torch.where(running, (state.keypoints - target[:, None]).norm(dim=-1).mean(1),
                                    torch.nan))
            rises.append(torch.where(running, target[:, 2] - start_height, torch.nan))
            # The hand's mean action as the control law applies it (a close action folded in).
            applied = fold_close_action(action, joints) if closing else action
            hand.append(torch.where(running, applied[:, joints].clip(-1, 1).mean(1), torch.nan))
            obs = step.critic_obs
        tip, rise, close = torch.stack(tips), torch.stack(rises), torch.stack(hand)
        centre = torch.stack(centres)
        steps = tip.shape[0]
        print(f"{run}: {envs} episodes, longest {steps} steps")
        for t in (0, steps // 4, steps // 2, 3 * steps // 4, steps - 1):
            print(f"  step {t:4d}: mean fingertip distance {tip[t].nanmean():.3f} m, fingertip "
                  f"centroid to object centre {centre[t].nanmean():.3f} m")
        print("  closest approach per env (m):", [round(float(x), 3) for x in tip.nan_to_num(9).min(0).values])
        print("  highest rise per env (cm):", [round(float(x) * 100, 1) for x in rise.nan_to_num(-9).max(0).values])
        print("  lowest rise per env (cm):", [round(float(x) * 100, 1) for x in rise.nan_to_num(9).min(0).values])
        closest, highest = tip.nan_to_num(9).min(0).values, rise.nan_to_num(-9).max(0).values
        print(f"  summary: lifted (≥ {LIFTED * 100:.0f} cm) {int((highest >= LIFTED).sum())} of "
              f"{envs}, came near (≤ {NEAR} m) {int((closest <= NEAR).sum())} of {envs}, closest "
              f"approach median {float(closest.median()):.3f} m")
        near = tip <= NEAR
        far = (tip > NEAR)
        print(f"  steps near: {float(near.sum() / (~tip.isnan()).sum()):.2f}; mean hand action near "
              f"{float(close[near].mean()) if near.any() else float('nan'):.2f}, far {float(close[far].mean()):.2f}")
        if take_over:
            raised = raised_for > 0
            print(f"  raised by the script after a {HOLD_STEPS}-step grip: {int(raised.sum())} of {envs} "
                  f"envs; highest rise (cm) above the height where the raise began:",
                  [round(float(r - s) * 100, 1) if ok else None for ok, r, s in
                   zip(raised, rise.nan_to_num(-9).max(0).values + start_height, raise_start)])


USAGE = ("usage: benchmarks/policy_behaviour.py RUN_DIR [ENVS ≥ 1] [pregrasp|grasped] [raise] "
         "[progress=LOW,HIGH] [open=D > 0] (RUN_DIR: a lifting cell's folder with spec.json and "
         "checkpoints/last.pth; ENVS 16 by default; progress: 0 ≤ LOW ≤ HIGH ≤ 1, with pregrasp)")
FLAGS = ("pregrasp", "grasped", "raise")


def progress_range(text: str | None) -> list[float] | None:
    """``progress=LOW,HIGH`` as [low, high] with 0 ≤ low ≤ high ≤ 1 (None if not given);
    BadArguments otherwise."""
    if text is None:
        return None
    try:
        low, high = (float(part) for part in text.split(","))
    except ValueError:
        raise BadArguments(f"progress must be LOW,HIGH (two numbers, e.g. 0.75,1), "
                           f"got '{text}'") from None
    if not 0 <= low <= high <= 1:
        raise BadArguments(f"progress must be LOW,HIGH with 0 ≤ LOW ≤ HIGH ≤ 1, got '{text}'")
    return [low, high]


def arguments(argv: list[str]) -> tuple[str, int, bool, bool, bool, list[float] | None,
                                         float | None]:
    """(run, envs, pregrasp, raise, grasped, progress, open distance), main's order, from the
    command line; BadArguments, saying what is wrong, for anything else."""
    rest, flags = split_flags(argv, FLAGS)
    positional, options = split_arguments(rest, ("progress", "open"), 2)
    run = trained_run_folder(positional[0])
    envs = count_or_flag(positional[1] if len(positional) > 1 else None, "ENVS", 16, FLAGS)
    if {"pregrasp", "grasped"} <= flags:
        raise BadArguments("pregrasp and grasped are two kinds of start: give one of them")
    if "progress" in options and "pregrasp" not in flags:
        # Only pre-grasp starts are placed part of the way in; without them it would do nothing.
        raise BadArguments("progress=LOW,HIGH places pre-grasp starts: give pregrasp too")
    return (run, envs, "pregrasp" in flags, "raise" in flags, "grasped" in flags,
            progress_range(options.get("progress")), positive_number(options.get("open"), "open"))


if __name__ == "__main__":
    run_script(main, arguments, USAGE)
