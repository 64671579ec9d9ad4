"""What does the `track` reward pay a robot that holds still, and one that goes to the target?

Issue 13: `track` policies on cabinet stand still 0.30 m from the handle (``approach.py``). If
r_track pays stillness better than the approach Π_h itself predicts when followed by a real arm,
PPO has no reason to move before the sparse term is found. This script reads a `track` run's
spec (RUN_DIR/spec.json; its Π_h, robot and task settings; no policy is needed) and plays
scripted wrist-delta behaviours from the task's standard resets (evaluation seeds):

- ``still``: every action 0;
- ``toward S``: the wrist's linear action S × the unit vector from the fingertip centroid to the
  target (object 0: the object, the drawer handle), clipped to [−1, 1]; rotations and hand 0.

For each it prints, over the first STEPS control steps, the mean per-step r_track (the method's
weighted "track" term, as the run's return sums it), the fingertip centroid's distance to the
target at the end (m), and the share of envs whose task flagged its first event (lift, drawer
moved) — the sparse term a moving robot could find.

    .venv/bin/python benchmarks/track_landscape.py RUN_DIR [ENVS] [STEPS] [norm=NORM] [form=FORM] [wrist=M_PER_S] [checkpoint=PI_H]
    .venv/bin/python benchmarks/track_landscape.py runs/cabinet_track_drawers/allegro__cabinet__track__s0 16 120
"""

from __future__ import annotations

import torch

from trackbench.harness.env import VecEnv
from trackbench.harness.plugins import load_registry
from trackbench.harness.specs import RunSpec
from trackbench.harness.training.policy import built_on_cpu
from script_cli import BadArguments, positive_number, run_script, split_arguments, \
    whole_number, written_spec

SPEEDS = (0.25, 0.5, 1.0)


def play(env: VecEnv, eval_seed: int, speed: float | str | None, steps: int
         ) -> dict[str, float]:
    """One scripted behaviour (``speed`` None = still, "follow") for ``steps`` control steps."""
    envs = env.num_envs
    env.reseed([eval_seed + i for i in range(envs)])
    with env.evaluation():
        env.reset(full_episodes=True)
    num_actions = env.task.robot.num_actions
    step_length = env.task.robot.wrist_linear_speed / env.engine.spec.control_hz  # m, action 1
    for _ in range(steps):
        actions = torch.zeros(envs, num_actions)
        if speed == "follow":  # as far toward Π_h's next centroid as the wrist goes in a step
            method = env.rewards.method
            tips = method.history.map.robot_tips(env._state().keypoints)
            wanted = method.fingertip_targets().mean(dim=1) - tips.mean(dim=1)
            actions[:, :3] = (wanted / step_length).clamp(-1.0, 1.0)
        elif speed is not None:
            state = env._state()
            to_target = state.object_pos[:, 0] - state.keypoints.mean(dim=1)
            unit = to_target / to_target.norm(dim=-1, keepdim=True).clamp(min=1e-6)
            actions[:, :3] = (speed * unit).clamp(-1.0, 1.0)
        env.step(actions)
    state = env._state()
    distance = (state.object_pos[:, 0] - state.keypoints.mean(dim=1)).norm(dim=-1)
    flags = env.episode_flags()
    first_event = next(iter(flags.values())) if flags else torch.zeros(envs, dtype=torch.bool)
    return {"track_per_step": float(env.rewards.sums["track"].mean()) / steps,
            "distance_m": float(distance.mean()),
            "first_event_rate": float(first_event.float().mean()),
            "first_event": next(iter(flags), "none")}


def main(run: str, envs: int, steps: int, method: dict[str, str],
         wrist: float | None = None) -> None:
    registry = load_registry()
    written = written_spec(run, registry)
    written["num_envs"] = envs
    for key, value in method.items():  # the run's Π_h and settings, r_track computed otherwise
        written["method_spec"] = {**written["method_spec"], key: value}
    if wrist is not None:  # ... or with another wrist speed (m/s along an axis at action 1)
        written["robot_spec"] = {**written["robot_spec"], "wrist_linear_speed": wrist}
    spec = RunSpec(**written)
    if spec.method != "track":
        raise BadArguments(f"{run}: a `track` run is needed (this one is '{spec.method}')")
    if spec.robot_spec.get("arm_action") != "wrist_delta":
        raise BadArguments(f"{run}: needs a wrist-delta robot (robot.arm_action=wrist_delta)")
    with built_on_cpu(spec, registry) as (ppo, env):
        if steps >= env.task.spec.episode_length:
            raise BadArguments(f"STEPS must be below the episode length "
                               f"({env.task.spec.episode_length}), got {steps}")
        print(f"{spec.robot} / {spec.task}, {envs} evaluation resets, {steps} control steps, "
              f"norm {spec.method_spec.get('norm', 'l1_mean')}, form "
              f"{spec.method_spec.get('form', 'distance')}, wrist "
              f"{env.task.robot.wrist_linear_speed} m/s")
        for speed in (None,) + SPEEDS + ("follow",):
            row = play(env, ppo.eval_seed, speed, steps)
            name = ("still" if speed is None else speed if isinstance(speed, str)
                    else f"toward {speed:.2f}")
            print(f"  {name:12s} r_track per step {row['track_per_step']:+.4f}, centroid–target "
                  f"at the end {row['distance_m']:.3f} m, {row['first_event']} "
                  f"{row['first_event_rate']:.2f}")


USAGE = ("usage: benchmarks/track_landscape.py RUN_DIR [ENVS ≥ 1] [STEPS ≥ 1] [norm=NORM] "
         "[form=FORM] [wrist=M_PER_S > 0] [checkpoint=PI_H] (RUN_DIR: a `track` cell's folder "
         "with spec.json; NORM, FORM, PI_H: method.norm, method.form, method.checkpoint values)")


def arguments(argv: list[str]) -> tuple[str, int, int, dict[str, str], float | None]:
    """(run, envs, steps, method settings, wrist speed) from the command line; BadArguments,
    saying what is wrong, for anything else."""
    positional, options = split_arguments(argv, ("norm", "form", "wrist", "checkpoint"), 3)
    envs = whole_number(positional[1] if len(positional) > 1 else None, "ENVS", 16)
    steps = whole_number(positional[2] if len(positional) > 2 else None, "STEPS", 120)
    method = {key: options[key] for key in ("norm", "form", "checkpoint") if key in options}
    return positional[0], envs, steps, method, positive_number(options.get("wrist"), "wrist")


if __name__ == "__main__":
    run_script(main, arguments, USAGE)
