"""Does closing every finger together lift the object? An open-loop check of the close action.

Issue 13's grasp bottleneck: policies trained from pre-grasps reach the object and do not close
on it. This script asks whether the simplest coordinated motion would do: from the
``task.pregrasp_start`` curriculum's pre-grasps (evaluation seeds), every hand joint's delta
action is ``+1`` for ``CLOSE`` control steps (the arm still), then the wrist goes straight up at
full speed for the rest of the episode. It prints the share of envs whose object rose ≥ 5 cm (the
lift tasks' "lift" event) and each env's highest rise, for the hand's own actions set to +1
(``all``: the spread joints too, as the close action does), for the flexion joints only
(``flex``, allegro only: its abduction joints 0, 4, 8 held), and
with the hand left open (``none``: the control). This is what ``robot.hand_close_action=true``
does at action +1.

    .venv/bin/python benchmarks/uniform_close.py [ROBOT] [ENVS] [CLOSE] [all|flex|none]
    .venv/bin/python benchmarks/uniform_close.py allegro 24 10 all

Settings: the lift rung's (wrist-delta arm, delta hand, hand effort 0.7 N·m, episode 150 steps),
allegro / xhand / svh on grasp_lift, 20 Hz control. Wrist-delta robots only.
"""

from __future__ import annotations

import torch

from trackbench.harness.env import VecEnv
from trackbench.harness.matrix import plan
from trackbench.harness.plugins import load_registry
from trackbench.harness.specs import MatrixSpec
from trackbench.harness.training.ppo import PPOSpec
from trackbench.plugins.tasks.lifting import LIFT_FLAG_RISE
from script_cli import BadArguments, choice, run_script, split_arguments, still_running, \
    whole_number

WRIST_UP = 2  # the wrist-delta action along world +z
ABDUCTION = {"allegro": (0, 4, 8)}  # hand-joint indices that spread the fingers


def rises(robot: str, envs: int, close: int, which: str) -> torch.Tensor:
    """[envs] each object's highest rise (m) over one episode of the scripted close-and-raise."""
    torch.set_num_threads(1)
    matrix = MatrixSpec(robots=[robot], tasks=["grasp_lift"], methods=["grasp"], num_envs=envs,
                        overrides={"robot": {"hand_effort": 0.7, "arm_action": "wrist_delta",
                                             "hand_action": "delta"},
                                   "task": {"episode_length": 150, "pregrasp_start": 1.0}})
    spec = plan(matrix, load_registry())[0]
    ppo = PPOSpec(**spec.ppo_spec)
    env = VecEnv.build(spec, load_registry(), obs_clip=ppo.obs_clip,
                       policy_points=ppo.policy_points)
    env.reseed([ppo.eval_seed + i for i in range(envs)])
    env.reset(full_episodes=True)
    robot_spec = env.task.robot
    hand = torch.zeros(len(robot_spec.hand_joints))
    if which != "none":
        hand[:] = 1.0
    if which == "flex":
        hand[list(ABDUCTION.get(robot, ()))] = 0.0
    start = env._state().object_pos[:, 0, 2].clone()
    highest = torch.full((envs,), -1.0)
    running = torch.ones(envs, dtype=torch.bool)
    for t in range(env.task.spec.episode_length):
        actions = torch.zeros(envs, robot_spec.num_actions)
        if t < close:
            actions[:, robot_spec.hand_joint_actions] = hand
        else:
            actions[:, WRIST_UP] = 1.0
        running = still_running(running, env.step(actions))  # an ended env shows its next reset
        rise = env._state().object_pos[:, 0, 2] - start
        highest = torch.where(running, torch.maximum(highest, rise), highest)
    return highest


def main(robot: str, envs: int, close: int, which: str) -> None:
    highest = rises(robot, envs, close, which)
    lifted = float((highest >= LIFT_FLAG_RISE).float().mean())
    print(f"{robot} grasp_lift, {envs} pre-grasps, hand {which} +1 for {close} steps then wrist up: "
          f"lift ≥ {LIFT_FLAG_RISE * 100:.0f} cm in {lifted:.2f}; highest rise per env (cm): "
          f"{[round(float(h) * 100, 1) for h in highest]}")


USAGE = ("usage: benchmarks/uniform_close.py [ROBOT] [ENVS ≥ 1] [CLOSE ≥ 1] [all|flex|none] "
         "(defaults allegro 24 10 all; flex: allegro only)")


def arguments(argv: list[str]) -> tuple[str, int, int, str]:
    """(robot, envs, close steps, which) from the command line; BadArguments, saying what is
    wrong, for anything else (an unknown robot: TrackbenchError when the env is planned)."""
    positional, _ = split_arguments(argv, (), 4, required=None)
    given = positional + [None] * (4 - len(positional))
    robot = "allegro" if given[0] is None else given[0]
    envs, close = whole_number(given[1], "ENVS", 24), whole_number(given[2], "CLOSE", 10)
    which = choice(given[3], "the hand's actions", ("all", "flex", "none"))
    if which == "flex" and robot not in ABDUCTION:
        raise BadArguments(f"flex holds the abduction joints of {', '.join(ABDUCTION)} only, "
                           f"not of '{robot}'")
    return robot, envs, close, which


if __name__ == "__main__":
    run_script(main, arguments, USAGE)
