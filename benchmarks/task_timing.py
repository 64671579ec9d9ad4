"""How many control steps does a lifting task need at the arm's speed limit? (issue 13)

Before asking PPO to succeed within ``task.episode_length`` steps, show whether a success fits
in them at all. From the evaluation resets of a run's task (its robot settings:
``robot.arm_action=wrist_delta``, ``robot.hand_close_action=true``), episodes made long enough
to finish, every env plays a script through the run's action interface:

1. reach: wrist linear actions saturated to bring the fingertips' centroid over the object at
   ``CLEARANCE`` m, then down to ``ABOVE`` m over its centre (no rotation, hand open), until the
   centroid is within ``REACHED`` m of that point;
2. close: the close action at 1 for ``CLOSE_STEPS`` steps;
3. lift: wrist actions saturated towards the goal, until the episode ends — on the task's own
   success rule (the object held at the goal for ``task.hold_steps`` steps), on a failure (the
   object left the table), or after ``LIMIT`` steps.

Prints, per phase, the step it ended at (median and range over the envs that got there) and how
many envs succeeded or failed. Then two step counts per env against the run's episode length:

- the **kinematic floor**, which no policy can beat: the largest per-axis distance from the
  centroid at the reset to the reached point, less ``REACHED``, plus the object's rise to the
  lowest point of the goal's tolerance sphere, each at the wrist's top speed per axis
  (``robot.wrist_linear_speed`` / ``engine.control_hz``), plus the hold; no time to close;
- the **scripted estimate**: the script's own reach and close, plus the same rise and hold.

A crude script: its successes show what is possible, not what is best; its reach times are an
upper bound on what the arm needs.

    .venv/bin/python benchmarks/task_timing.py RUN_DIR [ENVS] [speed=M_PER_S]

``speed`` overrides ``robot.wrist_linear_speed`` (m/s at action 1, at most 2).
"""

from __future__ import annotations

import copy

import torch

from trackbench.harness.plugins import load_registry
from trackbench.harness.specs import RunSpec
from trackbench.harness.training.policy import built_on_cpu
from script_cli import BadArguments, positive_number, run_script, split_arguments, \
    run_folder, whole_number, written_spec

ABOVE = 0.04  # m over the object's centre the fingertips' centroid is steered to
REACHED = 0.02  # m from that point the reach ends
ALIGNED = 0.03  # m: until the centroid is this close to over the object, it keeps CLEARANCE
CLEARANCE = 0.12  # m over the object's centre while moving across
CLOSE_STEPS = 15  # control steps of the close action at 1 (0.75 s at 20 Hz)
LIMIT = 600  # control steps the script plays at most (the paper's grasp_lift episode)
MAX_SPEED = 2.0  # m/s: robot.wrist_linear_speed's own bound
GAIN = 1 / 0.02  # wrist action per metre of error (saturates beyond 2 cm)


def play(written: dict, envs: int, speed: float | None, limit: int = LIMIT) -> dict:
    """Per-env step counts for a run's spec as written (``RunSpec.model_dump``; not changed):
    ``ends`` {reach, close, success, failure: [N] long, the step a phase or the episode ended
    at, -1 where it did not within ``limit`` steps}, ``floor`` and ``rise`` [N] (steps), and
    ``episode_length``, ``hold``, ``speed`` (m/s). BadArguments for a robot without wrist-delta
    arm actions or a close action, or a task without a point goal; TrackbenchError for a spec
    that does not load."""
    registry = load_registry()
    written = copy.deepcopy(written)
    robot = written["robot_spec"]
    resolved = registry.resolve_spec("robots", written["robot"], robot)
    if resolved.arm_action != "wrist_delta" or not resolved.hand_close_action:
        raise BadArguments("the run's robot needs robot.arm_action=wrist_delta and "
                           "robot.hand_close_action=true")
    task_spec = registry.resolve_spec("tasks", written["task"], written["task_spec"])
    if not all(hasattr(task_spec, field) for field in ("goal", "success_tolerance",
                                                       "hold_steps")):
        raise BadArguments(f"task '{written['task']}' has no point goal to lift the object to "
                           "(task.goal): give a grasp_lift or grasp_lift_clutter run")
    written["task_spec"]["episode_length"] = limit + 1  # the script's own time, not the run's
    if speed is not None:
        robot["wrist_linear_speed"] = speed
    written["num_envs"] = envs
    with built_on_cpu(RunSpec(**written), registry) as (ppo, env):
        return _script(env, ppo.eval_seed, task_spec, limit)


def _script(env, eval_seed: int, task_spec, limit: int) -> dict:
    """:func:`play`'s result, from ``env`` (built as the run's, ``limit`` + 1 steps long)."""
    envs = env.num_envs
    per_step = env.engine.robot.spec.wrist_linear_speed / env.engine.spec.control_hz
    goal = torch.tensor(task_spec.goal)
    env.reseed([eval_seed + i for i in range(envs)])
    ends = {name: torch.full((envs,), -1) for name in ("reach", "close", "success", "failure")}
    running = torch.ones(envs, dtype=torch.bool)  # still in the episode the reset began
    with env.evaluation():  # an ended episode restarts from a standard reset, not a training one
        env.reset(full_episodes=True)
        state = env._state()
        obj = state.object_pos[:, 0]
        reached_at = obj + torch.tensor([0.0, 0.0, ABOVE])
        travel = (reached_at - state.keypoints.mean(dim=1)).abs().max(dim=-1).values
        rise = (goal[2] - task_spec.success_tolerance - obj[:, 2]).clamp(min=0) / per_step
        floor = (travel - REACHED).clamp(min=0) / per_step + rise + task_spec.hold_steps
        for t in range(limit):
            state = env._state()
            centroid, obj = state.keypoints.mean(dim=1), state.object_pos[:, 0]
            reaching = ends["reach"] < 0
            closing = ~reaching & (ends["close"] < 0)
            # Over the object first, then down onto it: a diagonal path sweeps the fingers into it.
            aligned = (obj[:, :2] - centroid[:, :2]).norm(dim=-1) < ALIGNED
            height = torch.where(aligned, ABOVE, CLEARANCE)
            target = obj + torch.nn.functional.pad(height[:, None], (2, 0))
            error = torch.where(reaching[:, None], target - centroid, goal - obj)
            action = torch.zeros(envs, env.num_actions)
            action[:, :3] = torch.where(closing[:, None], 0.0, (GAIN * error).clamp(-1, 1))
            action[:, -1] = torch.where(reaching, -1.0, 1.0)  # open while reaching, then close
            ends["reach"][running & reaching & aligned & (error.norm(dim=-1) < REACHED)] = t
            ends["close"][running & closing & (t - ends["reach"] >= CLOSE_STEPS)] = t
            episodes = env.step(action).episodes
            if episodes is not None:
                ids = episodes.env_ids[running[episodes.env_ids]]
                succeeded = episodes.success[running[episodes.env_ids]]
                ends["success"][ids[succeeded]] = t + 1
                ends["failure"][ids[~succeeded]] = t + 1
                running[ids] = False
    return {"ends": ends, "floor": floor, "rise": rise, "hold": task_spec.hold_steps,
            "episode_length": task_spec.episode_length,
            "speed": env.engine.robot.spec.wrist_linear_speed}


def spread(steps: torch.Tensor) -> str:
    """'step median (min–max) in k of N envs' over the entries ≥ 0, or 'none of N envs'."""
    got = steps[steps >= 0].float()
    if not len(got):
        return f"none of {len(steps)} envs"
    return (f"step {got.quantile(0.5):.0f} ({got.min():.0f}–{got.max():.0f}) in {len(got)} of "
            f"{len(steps)} envs")


def main(run: str, envs: int = 16, speed: float | None = None) -> None:
    found = play(written_spec(run, load_registry()), envs, speed)
    ends, length = found["ends"], found["episode_length"]
    print(f"{run}: wrist {found['speed']} m/s at action 1, the run's episodes {length} steps; "
          f"scripted from {envs} evaluation resets, at most {LIMIT} steps")
    print(f"reach ({REACHED} m from {ABOVE} m over the object): {spread(ends['reach'])}")
    print(f"close ({CLOSE_STEPS} steps): {spread(ends['close'])}")
    print(f"success (the task's rule, held {found['hold']} steps): {spread(ends['success'])}, "
          f"{int(((ends['success'] >= 0) & (ends['success'] <= length)).sum())} within "
          f"{length} steps; failed (the object left the table): {spread(ends['failure'])}")
    floor = found["floor"]
    print(f"kinematic floor: median {floor.quantile(0.5):.0f} steps ({floor.min():.0f}–"
          f"{floor.max():.0f}); {int((floor <= length).sum())} of {envs} envs could succeed "
          f"within {length} steps at all")
    reached = ends["reach"] >= 0
    if reached.any():
        estimate = (ends["reach"] + CLOSE_STEPS + found["rise"] + found["hold"])[reached]
        print(f"scripted estimate (its reach + close {CLOSE_STEPS} + rise + hold "
              f"{found['hold']}): median {estimate.quantile(0.5):.0f} steps in the "
              f"{int(reached.sum())} envs that reached; {int((estimate <= length).sum())} within "
              f"{length}")


USAGE = "usage: benchmarks/task_timing.py RUN_DIR [ENVS ≥ 1] [speed=M_PER_S]"


def arguments(argv: list[str]) -> tuple[str, int, float | None]:
    """(run folder, envs, wrist speed or None); BadArguments, saying what is wrong, otherwise."""
    positional, options = split_arguments(argv, ("speed",), 2)
    envs = whole_number(positional[1] if len(positional) > 1 else None, "ENVS", 16)
    speed = positive_number(options.get("speed"), "speed")
    if speed is not None and speed > MAX_SPEED:
        raise BadArguments(f"speed must be at most {MAX_SPEED} m/s (robot.wrist_linear_speed), "
                           f"got {speed:g}")
    return run_folder(positional[0]), envs, speed


if __name__ == "__main__":
    run_script(main, arguments, USAGE)
