"""How often a start on the way in to a pre-grasp is collision-free (``task.pregrasp_progress``).

For ``RESETS`` resets of a lift task (seeds 0..RESETS-1, env i simulating scene variant
i mod variants) and progress 0, 0.1, ..., 1, asks ``PregraspSearch.solve`` for the pose that far
of the way in from the reset to a pre-grasp; prints one row per reset ("." made, "X" none: the
reset keeps its standard start) and the count of misses.

    .venv/bin/python benchmarks/pregrasp_paths.py [ROBOT] [TASK] [RESETS]
    .venv/bin/python benchmarks/pregrasp_paths.py allegro grasp_lift 12
"""

from __future__ import annotations

import numpy as np
import torch

from trackbench.harness.build import make_robot, make_task
from trackbench.harness.plugins import load_registry
from trackbench.harness.pregrasp import PregraspSearch
from script_cli import run_script, split_arguments, whole_number


def main(robot_name: str = "allegro", task_name: str = "grasp_lift", resets: int = 12) -> None:
    registry = load_registry()
    task, robot = make_task(registry, task_name, {}), make_robot(registry, robot_name)
    variants = len(task.scenes())
    task.setup(robot.spec, variants)
    search = PregraspSearch(robot, task.scenes())
    progresses = np.linspace(0.0, 1.0, 11)
    misses = 0
    for seed in range(resets):
        env = seed % variants
        plan = task.reset(torch.tensor([env]), torch.Generator().manual_seed(seed))
        reset, obj = plan.robot_qpos[0], (plan.object_pos[0, 0], plan.object_quat[0, 0])
        row = ""
        for progress in progresses:
            pose = search.solve(env, reset, *obj, torch.Generator().manual_seed(2), float(progress))
            row += "." if pose is not None else "X"
            misses += pose is None
        print(f"reset {seed:3d} {row}")
    print(f"misses: {misses} of {resets * len(progresses)} (progress {progresses[0]:.1f} .. "
          f"{progresses[-1]:.1f} in steps of 0.1)")


USAGE = ("usage: benchmarks/pregrasp_paths.py [ROBOT] [TASK] [RESETS ≥ 1] (defaults allegro "
         "grasp_lift 12; a lift task)")


def arguments(argv: list[str]) -> tuple[str, str, int]:
    """(robot, task, resets) from the command line; BadArguments, saying what is wrong, for
    anything else (an unknown robot or task: TrackbenchError when it is built)."""
    positional, _ = split_arguments(argv, (), 3, required=None)
    given = positional + [None] * (3 - len(positional))
    return ("allegro" if given[0] is None else given[0],
            "grasp_lift" if given[1] is None else given[1], whole_number(given[2], "RESETS", 12))


if __name__ == "__main__":
    run_script(main, arguments, USAGE)
