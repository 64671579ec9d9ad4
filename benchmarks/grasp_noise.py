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

import torch

from trackbench.harness.env import VecEnv
from trackbench.harness.grasped import hand_close_actions
from trackbench.harness.plugins import load_registry
from trackbench.harness.replay import ActionInverse
from trackbench.harness.specs import RunSpec
from trackbench.harness.training.policy import built_on_cpu
from trackbench.plugins.tasks.lifting import LIFT_FLAG_RISE
from script_cli import BadArguments, choice, non_negative_number, run_folder, run_script, \
    whole_number, written_spec

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


def main(run: str, envs: int, steps: int, stds: list[float], part: str,
         hand_std: float | None, robot: dict[str, str]) -> None:
    torch.set_num_threads(1)
    registry = load_registry()
    written = written_spec(run, registry)
    written["num_envs"] = envs
    written["task_spec"] = {**written["task_spec"], "pregrasp_start": 0.0, "grasped_start": 1.0}
    written["robot_spec"] = {**written["robot_spec"], **robot}
    spec = RunSpec(**written)
    if spec.robot_spec.get("arm_action") != "wrist_delta":
        raise BadArguments(f"{run}: grasp_noise needs a wrist-delta run "
                           f"(robot.arm_action=wrist_delta)")
    # on the CPU whatever the run trained on, as the other scripts that replay a run
    with built_on_cpu(spec, registry) as (_, env):
        print(f"{run}: {spec.robot} / {spec.task} / {spec.method}, hands "
              f"{spec.robot_spec.get('hand_action', 'absolute')}, {envs} grasped starts "
              f"({env.curriculum_metrics()}), {steps} steps, noise on {part}"
              + (f", hand std {hand_std}" if hand_std is not None else ""))
        for std in stds:
            for lift in (False, True):
                generator = torch.Generator().manual_seed(0)
                mean, lifted = scripted_returns(env, lift, std, part, steps, generator, hand_std)
                print(f"  std {std:<5} {'lift' if lift else 'hold'}: return {mean:7.1f}, "
                      f"object ≥ 5 cm in {lifted}/{envs}")


USAGE = ("usage: benchmarks/grasp_noise.py RUN_DIR [ENVS ≥ 1] [STEPS ≥ 1] [STD ≥ 0 ...] "
         "[--part all|hand|arm] [--hand-std STD ≥ 0] [--robot FIELD=VALUE ...] (RUN_DIR: a "
         "wrist-delta run's folder with spec.json; defaults ENVS 24, STEPS 100, STD 0 0.37)")
PARTS = ("all", "hand", "arm")


class _Parser(argparse.ArgumentParser):
    """argparse, whose complaints become BadArguments (one message, exit 2, no traceback)."""

    def error(self, message: str):
        raise BadArguments(message)


def _parser() -> argparse.ArgumentParser:
    """The script's arguments as text: each is checked by :func:`arguments` with its own words
    (argparse's ``type=`` would say only "invalid int value"). -h is run_script's."""
    parser = _Parser(add_help=False)
    parser.add_argument("run", nargs="?")
    parser.add_argument("envs", nargs="?")
    parser.add_argument("steps", nargs="?")
    parser.add_argument("stds", nargs="*")
    parser.add_argument("--part")
    parser.add_argument("--hand-std")  # the hand's std where it differs (a per-group log σ)
    parser.add_argument("--robot", action="append", default=[])  # FIELD=VALUE robot settings
    return parser


def robot_settings(pairs: list[str]) -> dict[str, str]:
    """``--robot FIELD=VALUE`` overrides as {field: value} (validated with the robot's spec
    when the env is built); BadArguments for one without '=', a field or a value, or a field
    given twice."""
    settings: dict[str, str] = {}
    for pair in pairs:
        field, _, value = pair.partition("=")
        if not field or not value:
            raise BadArguments(f"--robot expects FIELD=VALUE (e.g. hand_effort=0.7), got '{pair}'")
        if field in settings:
            raise BadArguments(f"--robot {field} given twice")
        settings[field] = value
    return settings


def arguments(argv: list[str]) -> tuple[str, int, int, list[float], str, float | None,
                                         dict[str, str]]:
    """(run, envs, steps, stds, part, hand std, robot settings) from the command line;
    BadArguments, saying what is wrong, for anything else."""
    given, unknown = _parser().parse_known_args(argv)
    if unknown:
        raise BadArguments(f"unknown option or extra argument '{unknown[0]}' (options: --part, "
                           f"--hand-std, --robot)")
    if given.run is None:
        raise BadArguments("RUN_DIR is missing")
    stds = [non_negative_number(text, "STD") for text in given.stds] or [0.0, 0.37]
    hand_std = None if given.hand_std is None else non_negative_number(given.hand_std,
                                                                        "--hand-std")
    return (run_folder(given.run), whole_number(given.envs, "ENVS", 24),
            whole_number(given.steps, "STEPS", 100), stds,
            choice(given.part, "--part", PARTS), hand_std, robot_settings(given.robot))


if __name__ == "__main__":
    run_script(main, arguments, USAGE)
