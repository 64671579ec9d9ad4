"""Does a lift survive the policy's exploration noise? Scripted policies from grasped starts.

The lift rung's exploration check (issue 13). From the ``task.grasped_start`` curriculum's starts
(``harness/grasped.py``: the object settled in a closed hand) of a run's settings (its
``spec.json``: robot, task, method and their fields; wrist-delta arm actions needed), two scripted
policies act through the robot's own control law:

- ``hold``: the hand's targets stay at the settled pose, the arm still;
- ``lift``: the hand's targets close 25 % of the way to the joints' upper limits (over 5 steps),
  then the wrist goes up at full speed for 20 steps (10 cm), then holds;

each with Gaussian noise of standard deviation ``STD`` added to every action (PPO's exploration:
``exp(ppo.init_log_std)`` at the start) on ``all`` actions, the ``hand``'s or the ``arm``'s only,
clipped to [-1, 1]. Printed: the mean return of the run's reward over ``STEPS`` control steps and
how many envs raised the object above 5 cm. If ``lift`` returns less than ``hold`` under the
noise, a policy that explores with that noise learns that lifting does not pay.

    .venv/bin/python benchmarks/grasp_noise.py RUN_DIR [ENVS] [STEPS] [STD ...] [--part all|hand|arm]
        [--hand-std STD] [--robot FIELD=VALUE ...]
    .venv/bin/python benchmarks/grasp_noise.py runs/grasped_delta/allegro__grasp_lift__grasp__s0 24 100 0 0.05 0.37
"""

from __future__ import annotations

import argparse
import json

import torch

from trackbench.harness.env import VecEnv
from trackbench.harness.grasped import hand_close_actions
from trackbench.harness.plugins import load_registry
from trackbench.harness.replay import ActionInverse
from trackbench.harness.specs import RunSpec
from trackbench.harness.training.ppo import PPOSpec
from trackbench.plugins.tasks.lifting import LIFT_FLAG_RISE

CLOSE_STEPS, RAISE_STEPS = 5, 20  # control steps (20 Hz)
TIGHTEN = 0.25  # of the way from the settled finger joints to their upper limits
WRIST_UP = 2  # the wrist-delta action along world +z


def scripted_returns(env: VecEnv, lift: bool, std: float, part: str, steps: int,
                     generator: torch.Generator, hand_std: float | None = None) -> tuple[float, int]:
    """(mean return over ``steps`` control steps, envs whose object rose ≥ 5 cm) of one scripted
    policy from fresh grasped starts; an env's return stops at its first episode end."""
    env.reset(full_episodes=True)
    state = env.engine.state
    n = env.num_envs
    start_height = state.object_pos[:, 0, 2].clone()
    spec = env.engine.robot.spec
    n_arm_actions = spec.num_arm_actions
    upper = torch.tensor([j.upper for j in spec.hand_joints])
    closed = state.joint_pos.clone()
    if lift:
        closed[:, -len(upper):] += TIGHTEN * (upper - closed[:, -len(upper):])
    inverse = ActionInverse(env.engine)
    total, highest = torch.zeros(n), torch.zeros(n)
    running = torch.ones(n, dtype=torch.bool)
    for k in range(steps):
        actions = hand_close_actions(env.engine, inverse, closed)
        if lift and CLOSE_STEPS <= k < CLOSE_STEPS + RAISE_STEPS:
            actions[:, WRIST_UP] = 1.0
        scale = torch.full((actions.shape[1],), std)
        if hand_std is not None:  # the hand joints'; a close action keeps std, as in training
            scale[spec.hand_joint_actions] = hand_std
        noise = scale * torch.randn(actions.shape, generator=generator)
        if part == "hand":
            noise[:, :n_arm_actions] = 0.0
        elif part == "arm":
            noise[:, n_arm_actions:] = 0.0
        step = env.step((actions + noise).clamp(-1.0, 1.0))
        total += torch.where(running, step.reward, 0.0)
        rise = env.engine.state.object_pos[:, 0, 2] - start_height
        highest = torch.where(running, torch.maximum(highest, rise), highest)
        running &= ~step.done
    return float(total.mean()), int((highest >= LIFT_FLAG_RISE).sum())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("run", help="a run directory (its spec.json gives the settings)")
    parser.add_argument("envs", type=int, nargs="?", default=24)
    parser.add_argument("steps", type=int, nargs="?", default=100)
    parser.add_argument("stds", type=float, nargs="*", default=[0.0, 0.37])
    parser.add_argument("--part", choices=("all", "hand", "arm"), default="all")
    parser.add_argument("--hand-std", type=float, default=None, help=(
        "the hand's noise std when it differs from the arm's (a per-group initial log σ)"))
    parser.add_argument("--robot", action="append", default=[], metavar="FIELD=VALUE",
                        help="override a robot spec field (e.g. hand_effort=0.7)")
    args = parser.parse_args()
    torch.set_num_threads(1)
    written = json.load(open(f"{args.run}/spec.json"))
    written["num_envs"] = args.envs
    written["task_spec"] = {**written["task_spec"], "pregrasp_start": 0.0, "grasped_start": 1.0}
    written["robot_spec"] = {**written["robot_spec"], **dict(a.split("=", 1) for a in args.robot)}
    spec = RunSpec(**written)
    if spec.robot_spec.get("arm_action") != "wrist_delta":
        raise SystemExit("grasp_noise needs a wrist-delta run (robot.arm_action=wrist_delta)")
    ppo = PPOSpec(**spec.ppo_spec)
    env = VecEnv.build(spec, load_registry(), obs_clip=ppo.obs_clip,
                       policy_points=ppo.policy_points)
    print(f"{args.run}: {spec.robot} / {spec.task} / {spec.method}, hands "
          f"{spec.robot_spec.get('hand_action', 'absolute')}, {args.envs} grasped starts "
          f"({env.curriculum_metrics()}), {args.steps} steps, noise on {args.part}"
          + (f", hand std {args.hand_std}" if args.hand_std is not None else ""))
    for std in args.stds:
        for lift in (False, True):
            generator = torch.Generator().manual_seed(0)
            mean, lifted = scripted_returns(env, lift, std, args.part, args.steps, generator,
                                            args.hand_std)
            print(f"  std {std:<5} {'lift' if lift else 'hold'}: return {mean:7.1f}, "
                  f"object ≥ 5 cm in {lifted}/{args.envs}")


if __name__ == "__main__":
    main()
