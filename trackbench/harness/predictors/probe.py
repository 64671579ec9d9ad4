"""Probe Π_h as the ``track`` method meets it: real reset states of a robot × task, no RL.

Two questions about the predictor the robot would be rewarded for tracking:

* **still-robot speed**: a robot that holds still at its reset (the history is the reset frame,
  as after ``PredictionHistory.reset``, then the same frame pushed again) — how far does Π_h say
  the fingertips move in one control step? Compared with how far human fingertips move in one
  frame of the data Π_h was trained on (both per 1/20 s: sequences are resampled to
  ``POLICY_HZ`` and the engine acts at ``control_hz``, 20 Hz by default).
* **closed loop**: a robot that reaches every prediction exactly (its fingertip keypoints are
  set to the predicted ones and pushed back into the history; objects static, no physics) —
  does the hand go to the target object, close and lift?

Units: metres, seconds; "per step" is per control step. Fingertips are the robot's real
fingertip keypoints (``FingertipMap.robot_tips``), the ones ``track`` rewards.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from trackbench.harness.dataset import POLICY_HZ, HumanSequence
from trackbench.harness.errors import TrackbenchError
from trackbench.harness.robot import HUMAN_FINGERTIPS

if TYPE_CHECKING:
    from trackbench.harness.prediction_history import PredictionHistory
    from trackbench.harness.predictor import Predictor
    from trackbench.harness.registry import Registry
    from trackbench.harness.robot import RobotSpec
    from trackbench.harness.state import State

NEAR = 0.03  # m: "reached the object" (fingertips this close to its surface) for the summary
STILL_STEPS = 5  # still-robot steps summarised as "the first steps"


@dataclass
class ResetBatch:
    """What the history is fed at reset, as ``Track.begin`` feeds it (CPU tensors)."""

    keypoints: torch.Tensor  # [N, K, 3] robot keypoints (m, world frame)
    points: torch.Tensor  # [N, n_obj, P, 3] the clouds task.predictor_objects gives Π_h
    object_ids: torch.Tensor  # [N, n_obj] long
    goal_label: torch.Tensor  # [N] long
    robot: "RobotSpec"  # the keypoint layout (FingertipMap)
    control_hz: float = POLICY_HZ
    # Training's start curricula at these resets (``StartCurriculum.metrics``: e.g.
    # pregrasp_starts_total, pregrasp_misses_total; a miss leaves the task's reset); empty: none.
    starts: dict[str, int] = field(default_factory=dict)

    @property
    def target_points(self) -> torch.Tensor:
        """[N, P, 3] the target's cloud (tracked object 0, what every task acts on)."""
        return self.points[:, 0]

    @property
    def env_ids(self) -> torch.Tensor:
        return torch.arange(self.keypoints.shape[0])


# ---- the predictor and the states ----------------------------------------------------------------
def load_track_predictor(registry: "Registry", preset: str | None, dataset: str,
                         checkpoint: Path | None) -> "Predictor":
    """The Π_h that ``track`` with these settings would load (its own ``_load_predictor``), but
    never trained here: a missing cache entry is a TrackbenchError saying how to make one."""
    from trackbench.harness.context import RunContext
    from trackbench.harness.predictors.workflow import cache_only

    overrides: dict[str, Any] = {"preset": preset, "dataset": dataset}
    if checkpoint is not None:
        overrides["checkpoint"] = str(checkpoint)
    spec = registry.resolve_spec("methods", "track", overrides)
    method = registry.get("methods", "track").cls(spec)
    if checkpoint is None:
        method.check_spec(spec, registry)
    with cache_only("the probe"):
        return method._load_predictor(RunContext(registry)).eval()


def reset_batch(registry: "Registry", robot: str, task: str, num_envs: int,
                seed: int = 0, overrides: dict[str, dict[str, Any]] | None = None) -> ResetBatch:
    """``num_envs`` envs of robot × task built and reset as training builds them (``plan`` and
    ``VecEnv.build``, env i drawing from generator seed·SEED_STRIDE + i). ``overrides``: spec
    settings per kind as ``MatrixSpec.overrides`` (engine, robot, task), so training's start
    curricula (``task.pregrasp_start``, ``harness/starts.py``) can be probed too. Raises
    TrackbenchError for unknown names or invalid settings (``plan``)."""
    from trackbench.harness.env import VecEnv
    from trackbench.harness.matrix import plan
    from trackbench.harness.specs import MatrixSpec

    if num_envs < 1:
        raise TrackbenchError(f"--envs must be at least 1, got {num_envs}")
    # The sparse method: it loads nothing, so building the env costs only the physics.
    spec = plan(MatrixSpec(robots=[robot], tasks=[task], methods=["task"], num_envs=num_envs,
                           seeds=seed + 1, overrides=overrides or {}), registry)[seed]
    env = VecEnv.build(spec, registry)
    state = env.engine.state
    return replace(batch_from_state(env.task, state, float(env.engine.spec.control_hz)),
                   starts=env.starts.metrics())


def batch_from_state(task, state: "State", control_hz: float = POLICY_HZ) -> ResetBatch:
    points, object_ids = task.predictor_objects(state)
    return ResetBatch(keypoints=state.keypoints.detach().cpu().clone(),
                      points=points.detach().cpu().clone(),
                      object_ids=object_ids.detach().cpu().long(),
                      goal_label=task.goal_label(state).detach().cpu().long(),
                      robot=task.robot, control_hz=control_hz)


# ---- (a) still robot -----------------------------------------------------------------------------
def still_speeds(history: "PredictionHistory", batch: ResetBatch, steps: int) -> torch.Tensor:
    """[steps, N, K_tips] ‖prediction − current fingertips‖ (m per control step) of a robot
    that holds still: step 0 predicts from the reset history, each later step after the same
    frame was pushed again."""
    if steps < 1:
        raise ValueError(f"steps must be ≥ 1, got {steps}")
    history.reset(batch.env_ids, batch.keypoints, batch.points, batch.object_ids, batch.goal_label)
    current = history.map.robot_tips(batch.keypoints)
    speeds = []
    for step in range(steps):
        if step:
            history.push(batch.keypoints, batch.points)
        speeds.append((history.predict().cpu() - current).norm(dim=-1))
    return torch.stack(speeds)


def human_step_speeds(sequences: list[HumanSequence]) -> np.ndarray:
    """[M] every per-frame displacement (m per 1/POLICY_HZ s) of the five human fingertips over
    all ``sequences`` (each at POLICY_HZ, the HumanSequence contract)."""
    parts = [np.linalg.norm(np.diff(s.keypoints[:, list(HUMAN_FINGERTIPS)], axis=0), axis=-1)
             .reshape(-1) for s in sequences if s.num_frames >= 2]
    if not parts:
        raise TrackbenchError("the dataset has no sequence of 2 frames or more")
    return np.concatenate(parts).astype(np.float64)


def surface_distance(tips: torch.Tensor, points: torch.Tensor) -> torch.Tensor:
    """[..., N] mean over fingertips of each tip's distance (m) to the nearest point of the
    object's cloud, from tips [..., N, K, 3] and points [N, P, 3]: 0 when every tip touches it."""
    return (tips.unsqueeze(-2) - points.unsqueeze(-3)).norm(dim=-1).min(dim=-1).values.mean(dim=-1)


def human_grasp_distances(sequences: list[HumanSequence]) -> np.ndarray:
    """[S] per sequence, the smallest :func:`surface_distance` of the five fingertips to the
    grasped object's cloud: what "reached the object" looks like in the data."""
    out = []
    for s in sequences:
        tips = torch.as_tensor(s.keypoints[:, list(HUMAN_FINGERTIPS)])  # [T, 5, 3]
        points = torch.as_tensor(s.object_points[:, s.grasped])  # [T, P, 3]
        out.append(float(surface_distance(tips[:, None], points[:, None])[:, 0].min()))
    return np.asarray(out)


def human_statistics(sequences: list[HumanSequence]) -> dict[str, Any]:
    speeds = human_step_speeds(sequences)
    grasp = human_grasp_distances(sequences)
    return {"sequences": len(sequences), "hz": POLICY_HZ,
            "speed_mean_m": float(speeds.mean()), "speed_p50_m": float(np.percentile(speeds, 50)),
            "speed_p99_m": float(np.percentile(speeds, 99)), "speed_max_m": float(speeds.max()),
            "grasp_distance_mean_m": float(grasp.mean())}


def human_sequences(registry: "Registry", predictor: "Predictor", limit: int | None = None
                    ) -> tuple[str, list[HumanSequence]]:
    """(dataset name, train-split sequences) of the dataset named in the predictor's metadata
    (what it was trained on); at most ``limit`` sequences."""
    from itertools import islice

    trained_on = predictor.metadata.get("dataset") or {}
    name = trained_on.get("name")
    if not name:
        raise TrackbenchError("the predictor's checkpoint names no training dataset")
    spec = registry.resolve_spec("datasets", name, dict(trained_on.get("spec", {})))
    source = registry.get("datasets", name).cls(spec)
    sequences = list(islice(source.sequences("train"), limit))
    if not sequences:
        raise TrackbenchError(f"dataset '{name}' has no sequences in its 'train' split")
    return name, sequences


def training_rest_shapes(registry: "Registry", predictor: "Predictor") -> torch.Tensor:
    """[S, 5, 3] the human rest shapes (``human_rest_shapes``) of the first
    ``REST_SHAPE_SEQUENCES`` training sequences of the dataset Π_h was trained on (its
    checkpoint names it): what ``track``'s ``hand_shape=human_rest`` presents the robot's hand
    in. Raises TrackbenchError when that dataset cannot be read here."""
    from trackbench.harness.prediction_history import REST_SHAPE_SEQUENCES, human_rest_shapes

    _, sequences = human_sequences(registry, predictor, REST_SHAPE_SEQUENCES)
    return human_rest_shapes(sequences)


# ---- (b) closed loop -----------------------------------------------------------------------------
@dataclass
class Rollout:
    """A robot that reaches every prediction: fingertip paths and per-step measures."""

    tips: torch.Tensor  # [S + 1, N, K_tips, 3] m; row 0 is the reset
    points: torch.Tensor  # [N, P, 3] the target's cloud (static)
    control_hz: float

    @property
    def distance(self) -> torch.Tensor:
        """[S + 1, N] mean fingertip distance to the target's surface (m, :func:`surface_distance`)."""
        return surface_distance(self.tips, self.points)

    @property
    def rise(self) -> torch.Tensor:
        """[S + 1, N] fingertip-centroid height above its start (m)."""
        height = self.tips[..., 2].mean(dim=-1)
        return height - height[:1]

    @property
    def spread(self) -> torch.Tensor:
        """[S + 1, N] mean fingertip distance to the fingertip centroid (m): falls as the hand
        closes."""
        return (self.tips - self.tips.mean(dim=-2, keepdim=True)).norm(dim=-1).mean(dim=-1)


def closed_loop(history: "PredictionHistory", batch: ResetBatch, steps: int) -> Rollout:
    """Roll Π_h forward ``steps`` control steps on its own predictions: after each prediction
    the robot's fingertip keypoints are set to it (other keypoints and objects stay as reset)
    and that frame is pushed, as ``Track.rewards`` pushes the reached frame."""
    history.reset(batch.env_ids, batch.keypoints, batch.points, batch.object_ids, batch.goal_label)
    keypoints = batch.keypoints.clone()
    tips_index = history.map.robot_indices
    tips = [keypoints[:, tips_index].clone()]
    for _ in range(steps):
        predicted = history.predict().cpu()
        keypoints[:, tips_index] = predicted
        history.push(keypoints, batch.points)
        tips.append(predicted)
    return Rollout(torch.stack(tips), batch.target_points, batch.control_hz)


def rollout_summary(rollout: Rollout) -> dict[str, Any]:
    """Per-step env means and the summaries of the closed loop."""
    distance, rise, spread = rollout.distance, rollout.rise, rollout.spread
    mean_distance = distance.mean(dim=1)
    below = (mean_distance < NEAR).nonzero()
    env_below = (distance < NEAR).any(dim=0)
    return {
        "steps": int(distance.shape[0] - 1), "seconds_per_step": 1.0 / rollout.control_hz,
        "distance_m": _rounded(mean_distance), "rise_m": _rounded(rise.mean(dim=1)),
        "spread_m": _rounded(spread.mean(dim=1)),
        "initial_distance_m": float(mean_distance[0]),
        "min_distance_m": float(mean_distance.min()),
        "min_distance_s": float(int(mean_distance.argmin()) / rollout.control_hz),
        "first_below_3cm_s": (float(int(below[0, 0]) / rollout.control_hz)
                              if len(below) else None),
        "env_min_distance_m": {"mean": float(distance.min(dim=0).values.mean()),
                               "min": float(distance.min())},
        "envs_below_3cm": float(env_below.float().mean()),
        "initial_spread_m": float(spread[0].mean()), "final_spread_m": float(spread[-1].mean()),
        "max_rise_m": float(rise.mean(dim=1).max()), "env_max_rise_m": float(rise.max()),
    }


# ---- everything ----------------------------------------------------------------------------------
def probe(predictor: "Predictor", batch: ResetBatch, seconds: float, human: dict[str, Any],
          rest_shapes: torch.Tensor | None = None) -> tuple[dict[str, Any], Rollout]:
    """(the report's numbers, the closed-loop rollout) for one robot × task; ``human`` is
    :func:`human_statistics` of the predictor's training data; ``rest_shapes`` [S, 5, 3]: Π_h
    sees the robot's hand in the closest of these human rest shapes (``track``'s
    ``hand_shape=human_rest``), None: as it is."""
    from trackbench.harness.prediction_history import PredictionHistory

    if not seconds > 0:
        raise TrackbenchError(f"--seconds must be positive, got {seconds}")
    steps = max(1, round(seconds * batch.control_hz))
    history = PredictionHistory(predictor, batch.robot, batch.keypoints.shape[0],
                                rest_shapes=rest_shapes)
    with torch.inference_mode():
        speeds = still_speeds(history, batch, STILL_STEPS)
        rollout = closed_loop(history, batch, steps)
    first = speeds[0]
    still = {
        "first_step_mean_m": float(first.mean()), "first_step_max_m": float(first.max()),
        "first_steps": STILL_STEPS, "first_steps_mean_m": float(speeds.mean()),
        "first_steps_max_m": float(speeds.max()),
        "per_step_mean_m": _rounded(speeds.mean(dim=(1, 2))),
        "ratio_to_human_mean": float(first.mean()) / human["speed_mean_m"],
    }
    return {"envs": int(batch.keypoints.shape[0]), "control_hz": batch.control_hz,
            "starts": dict(batch.starts), "fingertips": int(first.shape[1]), "still": still,
            "human": human,
            "closed_loop": rollout_summary(rollout)}, rollout


def _rounded(values: torch.Tensor) -> list[float]:
    return [round(float(v), 5) for v in values]
