"""Π_h during RL: robot keypoints ↔ human fingertips, and the per-env history it predicts from.

As in the authors' code (``docs/reference/paper-code-facts.md`` §3): each env keeps a FIFO of its
last CL frames; a reset fills every slot with the current frame and sets the attention mask to
[0, …, 0, 1] (timesteps = cumsum(mask) − 1, padded slots = CL); every step shifts the newest frame
in. One batched call under ``torch.inference_mode()`` predicts the next fingertips of every env.

With ``rest_shapes`` (the ``track`` option ``hand_shape=human_rest``; not the paper's, which feeds
the robot's keypoints as they are) each episode's fingertips are shifted by a constant per-finger
offset fixed at its reset: the one that turns the robot's fingertip layout at reset into the
closest human hand at rest (:func:`nearest_rest_offsets`). Π_h then sees a human-shaped hand
with the robot's centroid and every later move of the robot's fingers; predictions are shifted
back before they are compared with the robot's keypoints. Why: a robot hand's fingertips sit
2–3× further apart than a human's (the Allegro thumb 18 cm from their centroid; a human's
at rest 6.5–13 cm, median 11, in the synthetic set),
and Π_h's first prediction "corrects" that shape by 5–10 cm, more than a human fingertip moves in
a step (docs/results "Π_h probe").

Object clouds enter the history as per-object features (the predictor's PointNet embedding),
encoded once when a frame is pushed, so a step costs one encoding per env per object rather than
one per history slot.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

import numpy as np
import torch

from trackbench.harness.predictor import (
    NUM_FINGERTIPS,
    Predictor,
    PredictorInput,
    timesteps_from_mask,
)
from trackbench.harness.robot import HUMAN_FINGERTIPS, RobotSpec

if TYPE_CHECKING:
    from trackbench.harness.dataset import HumanSequence

REST_SHAPE_SEQUENCES = 200  # the training sequences whose first frames give the human rest shapes
HandShape = Literal["robot", "human_rest"]  # the hand Π_h sees (track's method.hand_shape)


def fingertip_map_problems(robot: RobotSpec) -> list[str]:
    """Why :class:`FingertipMap` cannot map ``robot`` (fingertips it neither plays nor
    synthesises), worded as a problem of the method that needs the map; empty if none."""
    missing = robot.missing_human_fingertips()
    if not missing:
        return []
    return [f"it maps the robot's fingertips onto the five human ones, but the robot plays no "
            f"human fingertip {missing} and synthesises none; declare synthetic_keypoints for "
            f"them (as allegro does for the ring fingertip, 16)"]


def human_rest_shapes(sequences: "list[HumanSequence]") -> torch.Tensor:
    """[S, 5, 3] each sequence's five fingertips at its first frame (the person at rest, as a
    robot at reset) minus their centroid (m, world frame). Raises ValueError for no sequences."""
    if not sequences:
        raise ValueError("no human sequences to take rest shapes from")
    first = np.stack([s.keypoints[0, list(HUMAN_FINGERTIPS)] for s in sequences])
    return torch.as_tensor(first - first.mean(axis=1, keepdims=True), dtype=torch.float32)


def nearest_rest_offsets(fingertips: torch.Tensor, rest_shapes: torch.Tensor) -> torch.Tensor:
    """[n, 5, 3] per-finger offsets (m) that give ``fingertips`` [n, 5, 3] the shape of their
    nearest human rest shape (of ``rest_shapes`` [S, 5, 3]; nearest = the smallest mean
    fingertip distance once both are centred) and keep their centroid."""
    shape = fingertips - fingertips.mean(dim=1, keepdim=True)
    rest_shapes = rest_shapes.to(fingertips)
    nearest = (shape[:, None] - rest_shapes[None]).norm(dim=-1).mean(dim=-1).argmin(dim=1)
    return rest_shapes[nearest] - shape


class FingertipMap:
    """A robot's keypoints → the five human fingertips (synthesised ones averaged in), and the
    predicted human fingertips → the robot's real fingertip keypoints (synthesised ones dropped).

    Allegro: human = [thumb, index, middle, (middle + 4th)/2, 4th]; back: drop the ring slot.
    Robot keypoints that play no human fingertip (none of 4, 8, 12, 16, 20) are not tracked.
    Raises TrackbenchError for a robot with :func:`fingertip_map_problems`.
    """

    def __init__(self, robot: RobotSpec):
        sources = robot.human_fingertip_sources()
        weights = torch.zeros(NUM_FINGERTIPS, len(robot.keypoints))
        for slot, robot_indices in enumerate(sources):
            weights[slot, list(robot_indices)] = 1.0 / len(robot_indices)
        self.weights = weights  # [5, K]: human = weights @ robot
        self.robot_indices = [i for i, keypoint in enumerate(robot.keypoints)
                              if keypoint.human_index in HUMAN_FINGERTIPS]
        self.human_slots = [HUMAN_FINGERTIPS.index(robot.keypoints[i].human_index)
                            for i in self.robot_indices]

    def to_human(self, keypoints: torch.Tensor) -> torch.Tensor:
        """[..., K, 3] robot keypoints → [..., 5, 3] human fingertips."""
        return torch.einsum("hk,...kc->...hc", self.weights.to(keypoints), keypoints)

    def to_robot(self, fingertips: torch.Tensor) -> torch.Tensor:
        """[..., 5, 3] human fingertips → [..., K_tips, 3] the robot's real fingertip keypoints."""
        return fingertips[..., self.human_slots, :]

    def robot_tips(self, keypoints: torch.Tensor) -> torch.Tensor:
        """[..., K, 3] → [..., K_tips, 3]: the keypoints :meth:`to_robot` predicts, same order."""
        return keypoints[..., self.robot_indices, :]


class PredictionHistory:
    """Per-env FIFO of the last CL frames (human fingertips, object features) with its mask."""

    def __init__(self, predictor: Predictor, robot: RobotSpec, num_envs: int,
                 device: torch.device | str = "cpu", rest_shapes: torch.Tensor | None = None):
        """``rest_shapes`` [S, 5, 3]: human fingertip shapes at rest (:func:`human_rest_shapes`)
        to present the robot's hand in (module docstring); None: the robot's own shape."""
        self.predictor = predictor
        self.rest_shapes = None if rest_shapes is None else rest_shapes.to(device)
        self.map = FingertipMap(robot)
        self.num_envs = num_envs
        self.device = torch.device(device)
        self.length = predictor.context_length
        self.fingertips: torch.Tensor | None = None  # [N, CL, 5, 3]
        self.features: torch.Tensor | None = None  # [N, CL, n_obj, F]
        self.object_ids: torch.Tensor | None = None  # [N, n_obj]
        self.goal_label: torch.Tensor | None = None  # [N]
        self.mask: torch.Tensor | None = None  # [N, CL] long
        self.offsets: torch.Tensor | None = None  # [N, 5, 3] with rest_shapes: each episode's
        # offsets (robot fingertips → the human-shaped ones Π_h sees), fixed at its reset

    @torch.inference_mode()
    def reset(self, env_ids: torch.Tensor, keypoints: torch.Tensor, points: torch.Tensor,
              object_ids: torch.Tensor, goal_label: torch.Tensor) -> None:
        """Envs ``env_ids`` start an episode: keypoints [n, K, 3], points [n, n_obj, P, 3],
        object_ids [n, n_obj], goal_label [n] — every slot holds this frame, only the last is real."""
        fingertips = self.map.to_human(keypoints.to(self.device))
        features = self.predictor.encode_objects(points.to(self.device))
        if self.fingertips is None:
            self._allocate(n_obj=features.shape[1], width=features.shape[2])
        if self.offsets is not None:
            self.offsets[env_ids] = nearest_rest_offsets(fingertips, self.rest_shapes)
            fingertips = fingertips + self.offsets[env_ids]
        self.fingertips[env_ids] = fingertips[:, None].expand(-1, self.length, -1, -1)
        self.features[env_ids] = features[:, None].expand(-1, self.length, -1, -1)
        self.object_ids[env_ids] = object_ids.to(self.device).long()
        self.goal_label[env_ids] = goal_label.to(self.device).long()
        self.mask[env_ids] = 0
        self.mask[env_ids, -1] = 1

    @torch.inference_mode()
    def push(self, keypoints: torch.Tensor, points: torch.Tensor) -> None:
        """Every env's newest frame (keypoints [N, K, 3], points [N, n_obj, P, 3]) enters; the
        oldest leaves."""
        self._require_reset()
        fingertips = self.map.to_human(keypoints.to(self.device))
        if self.offsets is not None:
            fingertips = fingertips + self.offsets
        features = self.predictor.encode_objects(points.to(self.device))
        self.fingertips = torch.cat([self.fingertips[:, 1:], fingertips[:, None]], dim=1)
        self.features = torch.cat([self.features[:, 1:], features[:, None]], dim=1)
        self.mask = torch.cat([self.mask[:, 1:], torch.ones_like(self.mask[:, :1])], dim=1)

    def inputs(self) -> PredictorInput:
        self._require_reset()
        return PredictorInput(
            fingertips=self.fingertips, object_ids=self.object_ids, goal_label=self.goal_label,
            attention_mask=self.mask, timesteps=timesteps_from_mask(self.mask, pad=self.length),
            object_features=self.features,
        )

    @torch.inference_mode()
    def predict_human(self) -> torch.Tensor:
        """[N, 5, 3] the predicted next human fingertips of every env."""
        return self.predictor.predict_next(self.inputs())

    def predict(self) -> torch.Tensor:
        """[N, K_tips, 3] the predicted next positions of the robot's fingertip keypoints."""
        return self.to_robot(self.predict_human())

    def newest_robot_tips(self) -> torch.Tensor:
        """[N, K_tips, 3] the robot's fingertip keypoints in the history's newest frame."""
        self._require_reset()
        return self.to_robot(self.fingertips[:, -1])

    def to_robot(self, fingertips: torch.Tensor) -> torch.Tensor:
        """[N, 5, 3] human fingertips as Π_h sees them → [N, K_tips, 3] the robot's (the
        episode's rest-shape offsets taken off)."""
        if self.offsets is not None:
            fingertips = fingertips - self.offsets
        return self.map.to_robot(fingertips)

    def _allocate(self, n_obj: int, width: int) -> None:
        n, cl, device = self.num_envs, self.length, self.device
        self.fingertips = torch.zeros(n, cl, NUM_FINGERTIPS, 3, device=device)
        self.features = torch.zeros(n, cl, n_obj, width, device=device)
        self.object_ids = torch.zeros(n, n_obj, dtype=torch.long, device=device)
        self.goal_label = torch.zeros(n, dtype=torch.long, device=device)
        self.mask = torch.zeros(n, cl, dtype=torch.long, device=device)
        if self.rest_shapes is not None:
            self.offsets = torch.zeros(n, NUM_FINGERTIPS, 3, device=device)

    def _require_reset(self) -> None:
        if self.fingertips is None:
            raise RuntimeError("PredictionHistory used before any env was reset")
