"""How many control steps does a lifting task need at the arm's speed limit? (issue 13)

A scripted best case from the task's own resets through a run's action interface (its robot
settings: ``robot.arm_action=wrist_delta``, ``robot.hand_close_action=true``): before asking
PPO to succeed within ``task.episode_length`` steps, show that a success fits in them at all.
From the evaluation seeds, with episodes made long enough to finish, every env

1. reaches: wrist linear actions saturated to bring the fingertips' centroid over the object
   at ``CLEARANCE`` m, then down to ``ABOVE`` m over its centre (no rotation, hand open),
   until the centroid is within ``REACHED`` m of that point;
2. closes: the close action at 1 for ``CLOSE_STEPS`` steps;
3. lifts: wrist actions saturated towards the goal until the object's centre has been within the
   task's success tolerance of the goal for ``task.hold_steps`` consecutive steps (the task's
   success rule), or ``LIMIT`` steps have passed.

Prints, per phase, the step it ended at (median and range over the envs that got there), how
many envs succeeded and at which step, and the kinematic lower bound: the median reach plus the
close steps plus the object's required rise at the wrist's top speed plus the hold, against the run's episode length. A crude script, so its successes are a lower
bound on what is possible; its reach and lift times are an upper bound on what the arm needs.

    .venv/bin/python benchmarks/task_timing.py RUN_DIR [ENVS] [speed=M_PER_S]

``speed`` overrides ``robot.wrist_linear_speed`` (m/s at action 1).
"""

from __future__ import annotations

import copy

import torch

from trackbench.harness.env import VecEnv
from trackbench.harness.plugins import load_registry
from trackbench.harness.specs import RunSpec
from trackbench.harness.training.ppo import PPOSpec
from script_cli import BadArguments, positive_number, run_script, split_arguments, \
    run_folder, whole_number, written_spec

ABOVE = 0.04  # m over the object's centre the fingertips' centroid is steered to
REACHED = 0.02  # m from that point the reach ends
ALIGNED = 0.03  # m: until the centroid is this close to over the object, it keeps CLEARANCE
CLEARANCE = 0.12  # m over the object's centre while moving across
CLOSE_STEPS = 15  # control steps of the close action at 1 (0.75 s at 20 Hz)
LIMIT = 600  # control steps the script plays at most (the paper's grasp_lift episode)
GAIN = 1 / 0.02  # wrist action per metre of error (saturates beyond 2 cm)


def play(written: dict, envs: int, speed: float | None, limit: int = LIMIT) -> dict:
    """Per-env phase ends (steps; -1 where not reached within ``limit`` steps), the wrist's top
    speed (m per control step) and the task's numbers, for a run's spec as written
    (``RunSpec.model_dump``; not changed). BadArguments for a robot without wrist-delta arm
    actions or a close action; TrackbenchError for a spec that does not load."""
    registry = load_registry()
    written = copy.deepcopy(written)
    robot = written["robot_spec"]
    resolved = registry.resolve_spec("robots", written["robot"], robot)
    if resolved.arm_action != "wrist_delta" or not resolved.hand_close_action:
        raise BadArguments("the run's robot needs robot.arm_action=wrist_delta and "
                           "robot.hand_close_action=true")
    episode_length = registry.resolve_spec("tasks", written["task"],
                                           written["task_spec"]).episode_length
    written["task_spec"]["episode_length"] = limit + 1  # the script's own time, not the run's
    if speed is not None:
        robot["wrist_linear_speed"] = speed
    written["num_envs"], written["device"] = envs, "cpu"
    spec = RunSpec(**written)
    env = VecEnv.build(spec, registry)
    goal = torch.tensor(env.task.spec.goal)
    tolerance, hold = env.task.spec.success_tolerance, env.task.spec.hold_steps
    eval_seed = PPOSpec(**spec.ppo_spec).eval_seed
    env.reseed([eval_seed + i for i in range(envs)])
    with env.evaluation():
        env.reset(full_episodes=True)
    start_z = env._state().object_pos[:, 0, 2].clone()
    ends = {name: torch.full((envs,), -1) for name in ("reach", "close", "success")}
    held = torch.zeros(envs, dtype=torch.long)
    for t in range(limit):
        state = env._state()
        centroid, obj = state.keypoints.mean(dim=1), state.object_pos[:, 0]
        reaching, closing = ends["reach"] < 0, (ends["reach"] >= 0) & (ends["close"] < 0)
        lifting = ends["close"] >= 0
        # Over the object first, then down onto it: a diagonal path sweeps the fingers into it.
        aligned = (obj[:, :2] - centroid[:, :2]).norm(dim=-1) < ALIGNED
        above = torch.where(aligned, ABOVE, CLEARANCE)
        target = obj + torch.stack([torch.zeros_like(above), torch.zeros_like(above), above], -1)
        error = torch.where(reaching[:, None], target - centroid, goal - obj)
        action = torch.zeros(envs, env.num_actions)
        action[:, :3] = torch.where((reaching | lifting)[:, None], (GAIN * error).clamp(-1, 1),
                                    torch.zeros(3))
        action[:, -1] = torch.where(reaching, -1.0, 1.0)  # open while reaching, then close
        ends["reach"][reaching & aligned & (error.norm(dim=-1) < REACHED)] = t
        ends["close"][closing & (t - ends["reach"] >= CLOSE_STEPS)] = t
        at_goal = (obj - goal).norm(dim=-1) <= tolerance
        held = torch.where(lifting & at_goal, held + 1, torch.zeros_like(held))
        ends["success"][(held >= hold) & (ends["success"] < 0)] = t
        env.step(action)
    rise = float((goal[2] - tolerance - start_z).clamp(min=0).mean())
    per_step = spec_speed(env) / env.engine.spec.control_hz
    return {"ends": ends, "per_step": per_step, "episode_length": episode_length, "hold": hold,
            "rise": rise, "speed": spec_speed(env)}


def spec_speed(env: VecEnv) -> float:
    """The wrist's linear speed at action 1 (m/s), as the run's robot resolved it."""
    return env.engine.robot.spec.wrist_linear_speed


def spread(steps: torch.Tensor) -> str:
    """'median (min–max) in k envs' of the reached ones, or 'none'."""
    got = steps[steps >= 0].float()
    if not len(got):
        return "none"
    return (f"step {got.median():.0f} ({got.min():.0f}–{got.max():.0f}) in {len(got)} of "
            f"{len(steps)} envs")


def main(run: str, envs: int = 16, speed: float | None = None) -> None:
    found = play(written_spec(run, load_registry()), envs, speed)
    ends, length = found["ends"], found["episode_length"]
    print(f"{run}: wrist speed {found['speed']} m/s at action 1, the run's episodes "
          f"{length} steps; scripted from {envs} evaluation resets")
    print(f"reach ({REACHED} m from {ABOVE} m over the object): {spread(ends['reach'])}")
    print(f"close ({CLOSE_STEPS} steps): {spread(ends['close'])}")
    print(f"success (held {found['hold']} steps at the goal): {spread(ends['success'])}; "
          f"within {length} steps: {int(((ends['success'] >= 0) & (ends['success'] < length)).sum())}")
    reached = ends["reach"][ends["reach"] >= 0].float()
    if len(reached):
        reach, lift = float(reached.median()), found["rise"] / found["per_step"]
        bound = reach + CLOSE_STEPS + lift + found["hold"]
        print(f"lower bound for the median env: reach {reach:.0f} + close {CLOSE_STEPS} + rise "
              f"{found['rise']:.3f} m at the wrist's {100 * found['per_step']:.2f} cm/step "
              f"{lift:.0f} + hold {found['hold']} = {bound:.0f} steps (episode {length})")
    else:
        print("no env reached the object: no lower bound")


USAGE = "usage: benchmarks/task_timing.py RUN_DIR [ENVS ≥ 1] [speed=M_PER_S]"


def arguments(argv: list[str]) -> tuple[str, int, float | None]:
    """(run folder, envs, wrist speed or None); BadArguments, saying what is wrong, otherwise."""
    positional, options = split_arguments(argv, ("speed",), 2)
    envs = whole_number(positional[1] if len(positional) > 1 else None, "ENVS", 16)
    return run_folder(positional[0]), envs, positive_number(options.get("speed"), "speed")


if __name__ == "__main__":
    run_script(main, arguments, USAGE)
