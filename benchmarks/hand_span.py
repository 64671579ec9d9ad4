"""Is a robot's hand the size of a human one? Thumb–index tip distance, human data vs robot resets.

Π_h learns hand shapes from the human set; a robot whose open hand is larger than every hand in
it is out of distribution from its first frame, and Π_h pulls its thumb in (docs/results, "Next").
Prints the distance (m) in the first frame of the synthetic sequences (p5 / p50 / p95 / max) and
at each robot's grasp_lift resets.

    .venv/bin/python benchmarks/hand_span.py [SEQUENCES] [RESETS]     # 60 8
"""

import numpy as np

from trackbench.harness.build import make_engine, make_robot, make_task, start_episodes
from trackbench.harness.plugins import load_registry
from script_cli import run_script, split_arguments, whole_number

THUMB, INDEX = 4, 8  # MANO fingertips


def main(sequences: int = 60, resets: int = 8) -> None:
    registry = load_registry()
    spec = registry.resolve_spec("datasets", "synthetic", {"num_sequences": sequences})
    dataset = registry.get("datasets", "synthetic").cls(spec)
    spans = [float(np.linalg.norm(s.keypoints[0, THUMB] - s.keypoints[0, INDEX]))
             for s in dataset.sequences()]
    print(f"synthetic, first frames of {len(spans)} sequences: p5/p50/p95 "
          f"{np.percentile(spans, [5, 50, 95]).round(3).tolist()} max {max(spans):.3f} m")
    for name in registry.names("robots"):
        task = make_task(registry, "grasp_lift")
        engine = make_engine(registry, "mujoco", make_robot(registry, name), task.scenes(), resets, 0)
        start_episodes(task, engine, 0)
        played = [k.human_index for k in engine.robot.spec.keypoints]
        if THUMB not in played or INDEX not in played:
            print(f"{name}: no thumb or index keypoint")
            continue
        tips = engine.state.keypoints
        span = (tips[:, played.index(THUMB)] - tips[:, played.index(INDEX)]).norm(dim=-1)
        print(f"{name}, {resets} resets: {float(span.min()):.3f}–{float(span.max()):.3f} m")


USAGE = "usage: benchmarks/hand_span.py [SEQUENCES ≥ 1] [RESETS ≥ 1] (defaults 60 8)"


def arguments(argv: list[str]) -> tuple[int, int]:
    """(sequences, resets) from the command line; BadArguments, saying what is wrong, for
    anything else."""
    positional, _ = split_arguments(argv, (), 2, required=None)
    given = positional + [None] * (2 - len(positional))
    return whole_number(given[0], "SEQUENCES", 60), whole_number(given[1], "RESETS", 8)


if __name__ == "__main__":
    run_script(main, arguments, USAGE)
