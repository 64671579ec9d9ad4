"""Does averaging several Π_h make the closed loop from a robot's resets reliable?

Sessions 28–29 found that Π_h's closed loop from allegro's resets depends on its training seed
more than on its data or training length (docs/results "Session 29"). This script probes the
mean prediction of several Π_h checkpoints (an ensemble: each member sees the same history and
its own object features; the next fingertips are the members' mean) exactly as `trackbench
predictor probe` probes one, and prints each member's closed loop beside the ensemble's.

    .venv/bin/python benchmarks/pi_h_ensemble.py CHECKPOINT CHECKPOINT [...] [robot=allegro]
        [task=grasp_lift] [envs=16] [seconds=4] [progress=P] [json=FILE]

``progress=P`` starts every env that far from the reset towards the pre-grasp (as the probe's
``--set task.pregrasp_start=1 --set "task.pregrasp_progress=[P,P]"``); default: the task's own
resets. Numbers: env mean of each env's closest distance of the predicted fingertips to the
object's surface (cm), the share of envs that come within 3 cm, the still robot's first
predicted step (cm).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from script_cli import BadArguments, positive_number, run_script, split_arguments, \
    whole_number  # noqa: E402

import torch  # noqa: E402

from trackbench.harness.predictors.ensemble import MeanPredictor  # noqa: E402

USAGE = ("usage: benchmarks/pi_h_ensemble.py CHECKPOINT CHECKPOINT [...] [robot=R] [task=T] "
         "[envs=N] [seconds=S] [progress=P] [json=FILE]")
KEYS = ("robot", "task", "envs", "seconds", "progress", "json")
MAX_MEMBERS = 16


def arguments(argv: list[str]) -> tuple:
    paths, options = split_arguments(argv, KEYS, MAX_MEMBERS, required="CHECKPOINT")
    if len(paths) < 2:
        raise BadArguments("give at least two checkpoints")
    for path in paths:
        if not Path(path).is_file():
            raise BadArguments(f"{path}: no such file")
    progress = options.get("progress")
    if progress is not None:
        try:
            progress = float(progress)
        except ValueError:
            raise BadArguments(f"progress must be a number in [0, 1], got '{progress}'") from None
        if not 0 <= progress <= 1:
            raise BadArguments(f"progress must be a number in [0, 1], got {progress}")
    return ([Path(path) for path in paths], options.get("robot", "allegro"),
            options.get("task", "grasp_lift"), whole_number(options.get("envs"), "envs", 16),
            positive_number(options.get("seconds"), "seconds") or 4.0, progress,
            options.get("json"))


def main(paths, robot, task, envs, seconds, progress, json_file) -> None:
    from trackbench.harness.plugins import load_registry
    from trackbench.harness.predictors import probe

    torch.set_num_threads(1)
    registry = load_registry()
    registry.raise_problems()
    overrides = {} if progress is None else {
        "task": {"pregrasp_start": 1.0, "pregrasp_progress": [progress, progress]}}
    batch = probe.reset_batch(registry, robot, task, envs, 0, overrides)
    members = [probe.load_track_predictor(registry, None, "synthetic", path) for path in paths]
    _, sequences = probe.human_sequences(registry, members[0], None)
    human = probe.human_statistics(sequences)
    rows = {}
    for name, predictor in [*((str(path), member) for path, member in zip(paths, members)),
                            ("mean of all", MeanPredictor(members).eval())]:
        report, _ = probe.probe(predictor, batch, seconds, human)
        loop = report["closed_loop"]
        rows[name] = {"env_closest_mean_m": loop["env_min_distance_m"]["mean"],
                      "envs_below_3cm": loop["envs_below_3cm"],
                      "closest_of_mean_m": loop["min_distance_m"],
                      "mean_below_3cm_s": loop["first_below_3cm_s"],
                      "still_first_step_m": report["still"]["first_step_mean_m"]}
    print(f"{robot} / {task}, {envs} envs, {seconds:g} s, "
          f"{'the task resets' if progress is None else f'pre-grasp progress {progress:g}'}")
    print(f"{'Π_h':48s} {'env closest, mean (cm)':>23s} {'envs < 3 cm':>12s} "
          f"{'still step (cm)':>16s}")
    for name, row in rows.items():
        print(f"{name[-48:]:48s} {100 * row['env_closest_mean_m']:23.1f} "
              f"{100 * row['envs_below_3cm']:11.0f}% {100 * row['still_first_step_m']:16.2f}")
    if json_file:
        Path(json_file).write_text(json.dumps({"robot": robot, "task": task, "envs": envs,
                                               "seconds": seconds, "progress": progress,
                                               "rows": rows}, indent=1))


if __name__ == "__main__":
    run_script(main, arguments, USAGE)
