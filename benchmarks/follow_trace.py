"""Where does Π_h take a robot that follows it? A per-step trace of track_landscape's "follow".

Issue 13: a wrist that follows Π_h's predicted fingertip centroid from grasp_lift's resets stops
about 0.2 m from the object (``track_landscape.py``). This script plays that behaviour from the
task's standard resets (evaluation seeds; no policy needed: a `track` run's spec gives Π_h, robot
and task) and prints every 10 control steps, as means over the envs: the asked move |Π_h's
predicted centroid − the fingertips' centroid| (cm) and its vertical part, the cosine between the
asked move and the direction to the object, how far the centroid moved that step (cm), the
centroid's and the object's heights (m), the shape error (mean distance between predicted and
reached fingertips once both are centred, cm) and the centroid–object distance (m).

``clip=axis`` (default, as track_landscape.py) clips the wrist action per axis; ``clip=norm``
scales the asked move down to the wrist's step and keeps its direction. ``wrist=M_PER_S`` plays
the robot with another wrist speed (``robot.wrist_linear_speed``, m/s along an axis at action 1).
``shape=human`` asks Π_h from a history whose fingertips keep the robot's centroids but take the
human hand's mean shape (the fingertips' mean offsets from their centroid over every frame of
Π_h's training data): whether Π_h's ask comes from the robot's fingertip layout or from the path.
``shape=human_rest`` plays the run with ``track``'s ``method.hand_shape=human_rest`` (each
episode's fingertips shifted into the closest human rest shape at reset, finger moves kept).

    .venv/bin/python benchmarks/follow_trace.py RUN_DIR [STEPS] [checkpoint=PI_H] [clip=axis|norm] [wrist=M_PER_S] [shape=robot|human|human_rest]
    .venv/bin/python benchmarks/follow_trace.py runs/lift_staged_track/allegro__grasp_lift__track__s0 140
"""

from __future__ import annotations

import numpy as np
import torch

from trackbench.harness.plugins import load_registry
from trackbench.harness.prediction_history import PredictionHistory
from trackbench.harness.predictors.probe import human_sequences
from trackbench.harness.robot import HUMAN_FINGERTIPS
from trackbench.harness.specs import RunSpec
from trackbench.harness.training.policy import built_on_cpu
from script_cli import BadArguments, choice, positive_number, run_script, split_arguments, \
    whole_number, written_spec

ENVS = 16
SEEN = {"robot": "the robot's fingertip shape", "human": "the human hand's mean shape",
        "human_rest": "the closest human rest shape (hand_shape=human_rest)"}
EVERY = 10  # control steps between printed rows


def wrist_action(wanted: torch.Tensor, step_length: float, clip: str) -> torch.Tensor:
    """[N, 3] wrist action in [−1, 1] that moves the wrist by ``wanted`` [N, 3] (m), at most
    ``step_length`` m per axis (``clip="axis"``) or in norm (``clip="norm"``)."""
    scaled = wanted / step_length
    if clip == "axis":
        return scaled.clamp(-1.0, 1.0)
    return scaled / scaled.norm(dim=-1, keepdim=True).clamp(min=1.0)


def human_shape(history: PredictionHistory, registry) -> torch.Tensor:
    """[5, 3] the human fingertips' mean offsets from their centroid (m) over every frame of the
    dataset Π_h was trained on (its first 200 training sequences)."""
    _, sequences = human_sequences(registry, history.predictor, limit=200)
    offsets = [tips - tips.mean(axis=1, keepdims=True)
               for tips in (s.keypoints[:, list(HUMAN_FINGERTIPS)] for s in sequences)]
    return torch.as_tensor(np.concatenate(offsets).mean(axis=0), dtype=torch.float32)


def asked_move(history: PredictionHistory, shape: torch.Tensor | None
               ) -> tuple[torch.Tensor, torch.Tensor]:
    """([N, 3] the move (m) of the robot fingertips' centroid that Π_h asks for: its
    prediction's centroid minus its newest input frame's (the fingertips now), both over the
    robot's real fingertips; [N, K_tips, 3] that prediction). With ``shape`` [5, 3], asked from
    the history's centroids with that shape instead of the robot's."""
    robot_history = history.fingertips
    try:
        if shape is not None:
            history.fingertips = robot_history.mean(dim=2, keepdim=True) + shape
        now = history.newest_robot_tips()
        predicted = history.predict()
        return predicted.mean(dim=1) - now.mean(dim=1), predicted
    finally:
        history.fingertips = robot_history


def main(run: str, steps: int, checkpoint: str | None, clip: str, wrist: float | None = None,
         shape: str = "robot") -> None:
    registry = load_registry()
    written = written_spec(run, registry)
    written["num_envs"] = ENVS
    if checkpoint is not None:
        written["method_spec"] = {**written["method_spec"], "checkpoint": checkpoint}
    # track's own option (per-episode offsets into a human rest shape) only for shape=human_rest,
    # whatever the run was trained with: robot and human start from the robot's own keypoints
    written["method_spec"] = {**written["method_spec"],
                              "hand_shape": "human_rest" if shape == "human_rest" else "robot"}
    if wrist is not None:
        written["robot_spec"] = {**written["robot_spec"], "wrist_linear_speed": wrist}
    spec = RunSpec(**written)
    if spec.method != "track" or spec.robot_spec.get("arm_action") != "wrist_delta":
        raise BadArguments(f"{run}: a `track` run with robot.arm_action=wrist_delta is needed "
                           f"(this one: method '{spec.method}', arm action "
                           f"'{spec.robot_spec.get('arm_action', 'joint_delta')}')")
    with built_on_cpu(spec, registry) as (ppo, env):
        if steps >= env.task.spec.episode_length:
            raise BadArguments(f"STEPS must be below the episode length "
                               f"({env.task.spec.episode_length}), got {steps}")
        env.reseed([ppo.eval_seed + i for i in range(ENVS)])
        with env.evaluation():
            env.reset(full_episodes=True)
        step_length = env.task.robot.wrist_linear_speed / env.engine.spec.control_hz
        method = env.rewards.method
        template = human_shape(method.history, registry) if shape == "human" else None
        print(f"{spec.robot} / {spec.task}, {ENVS} evaluation resets, clip {clip}, wrist step "
              f"{100 * step_length:.2f} cm, Π_h sees {SEEN[shape]}")
        for step in range(steps):
            before = env._state()
            tips = method.history.map.robot_tips(before.keypoints)
            wanted, predicted = asked_move(method.history, template)
            shape_error = ((predicted - predicted.mean(1, keepdim=True))
                     - (tips - tips.mean(1, keepdim=True))).norm(dim=-1).mean()
            centroid = before.keypoints.mean(dim=1)
            cosine = torch.nn.functional.cosine_similarity(
                wanted, before.object_pos[:, 0] - centroid, dim=-1).mean()
            actions = torch.zeros(ENVS, env.task.robot.num_actions)
            actions[:, :3] = wrist_action(wanted, step_length, clip)
            env.step(actions)
            after = env._state()
            now = after.keypoints.mean(dim=1)
            if step % EVERY == 0 or step == steps - 1:
                print(f"step {step:3d}: asked {100 * wanted.norm(dim=-1).mean():.2f} cm "
                      f"(z {100 * wanted[:, 2].mean():+.2f}), cos to object {cosine:+.2f}, moved "
                      f"{100 * (now - centroid).norm(dim=-1).mean():.2f} cm, height "
                      f"{now[:, 2].mean():.3f} m (object {after.object_pos[:, 0, 2].mean():.3f}),"
                      f" shape error {100 * shape_error:.1f} cm, distance "
                      f"{(after.object_pos[:, 0] - now).norm(dim=-1).mean():.3f} m")


USAGE = ("usage: benchmarks/follow_trace.py RUN_DIR [STEPS ≥ 1] [checkpoint=PI_H] "
         "[clip=axis|norm] [wrist=M_PER_S > 0] [shape=robot|human|human_rest] (RUN_DIR: a "
         "`track` cell's folder with spec.json)")


def arguments(argv: list[str]) -> tuple[str, int, str | None, str, float | None, str]:
    """(run, steps, checkpoint, clip, wrist, shape) from the command line; BadArguments, saying
    what is wrong, for anything else."""
    positional, options = split_arguments(argv, ("checkpoint", "clip", "wrist", "shape"), 2)
    steps = whole_number(positional[1] if len(positional) > 1 else None, "STEPS", 140)
    return (positional[0], steps, options.get("checkpoint"),
            choice(options.get("clip"), "clip", ("axis", "norm")),
            positive_number(options.get("wrist"), "wrist"),
            choice(options.get("shape"), "shape", ("robot", "human", "human_rest")))


if __name__ == "__main__":
    run_script(main, arguments, USAGE)
