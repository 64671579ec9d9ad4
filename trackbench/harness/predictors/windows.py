"""Human sequences → fixed-length windows of predictor inputs (for training and evaluation)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from trackbench.harness.dataset import HumanSequence
from trackbench.harness.errors import TrackbenchError
from trackbench.harness.robot import HUMAN_FINGERTIPS


@dataclass(frozen=True)
class SequenceTensors:
    """One sequence reduced to what Π_h reads: fingertips and object clouds as torch tensors.

    Clouds are stored once per run of identical frames (an object at rest, which most objects are
    most of the time): ``clouds[cloud_index[t, o]]`` is object o's cloud at frame t. Training
    encodes each distinct cloud of a batch once instead of once per frame.
    """

    name: str
    fingertips: torch.Tensor  # [T, 5, 3]
    clouds: torch.Tensor  # [D, P, 3] distinct clouds
    cloud_index: torch.Tensor  # [T, n_obj] long, into clouds
    object_ids: torch.Tensor  # [n_obj] long
    grasped: int

    @property
    def num_frames(self) -> int:
        return int(self.fingertips.shape[0])

    @property
    def points(self) -> torch.Tensor:
        """[T, n_obj, P, 3] every frame's clouds."""
        return self.clouds[self.cloud_index]

    @property
    def goal_label(self) -> int:
        return int(self.object_ids[self.grasped])


@dataclass
class Window:
    fingertips: torch.Tensor  # [L, 5, 3]
    points: torch.Tensor  # [L, k, P, 3]
    object_ids: torch.Tensor  # [k]
    goal_label: int


def to_tensors(sequences: list[HumanSequence]) -> list[SequenceTensors]:
    """Validate and convert; every sequence must carry the same number of points per object."""
    converted, counts = [], set()
    for sequence in sequences:
        problems = sequence.validate()
        if problems:
            raise TrackbenchError("\n".join(problems))
        counts.add(int(sequence.object_points.shape[2]))
        clouds, cloud_index = _distinct_runs(torch.as_tensor(np.asarray(sequence.object_points,
                                                                         dtype=np.float32)))
        converted.append(SequenceTensors(
            name=sequence.name,
            fingertips=torch.as_tensor(np.asarray(sequence.keypoints[:, list(HUMAN_FINGERTIPS)],
                                                  dtype=np.float32)),
            clouds=clouds, cloud_index=cloud_index,
            object_ids=torch.as_tensor(np.asarray(sequence.object_ids, dtype=np.int64)),
            grasped=int(sequence.grasped),
        ))
    if len(counts) > 1:
        raise TrackbenchError(
            f"sequences carry different numbers of points per object: {sorted(counts)}"
        )
    return converted


def _distinct_runs(points: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """[T, n_obj, P, 3] → (distinct clouds [D, P, 3], index [T, n_obj]): a new cloud wherever an
    object's points differ from its previous frame."""
    frames, n_obj = points.shape[:2]
    changed = torch.ones(frames, n_obj, dtype=torch.bool)
    changed[1:] = (points[1:] != points[:-1]).flatten(start_dim=2).any(dim=2)
    order = changed.T.reshape(-1)  # object-major, so each object's runs are contiguous
    run = torch.cumsum(order.long(), dim=0) - 1
    clouds = points.transpose(0, 1).reshape(-1, *points.shape[2:])[order]
    return clouds, run.view(n_obj, frames).T.contiguous()


def long_enough(sequences: list[SequenceTensors], frames: int) -> list[SequenceTensors]:
    return [s for s in sequences if s.num_frames >= frames]


def default_objects(sequence: SequenceTensors, max_extra: int) -> list[int]:
    """Grasped object first, then the others in order, at most 1 + max_extra (deterministic)."""
    others = [i for i in range(len(sequence.object_ids)) if i != sequence.grasped]
    return [sequence.grasped] + others[:max_extra]


def random_objects(sequence: SequenceTensors, max_extra: int, rng: np.random.Generator) -> list[int]:
    """Grasped object plus 0..max_extra random others, in random order (as the authors sample)."""
    others = [i for i in range(len(sequence.object_ids)) if i != sequence.grasped]
    extra = int(rng.integers(0, min(max_extra, len(others)) + 1))
    chosen = [sequence.grasped]
    if extra:
        chosen += [int(i) for i in rng.choice(others, size=extra, replace=False)]
    rng.shuffle(chosen)
    return chosen


def cut(sequence: SequenceTensors, start: int, length: int, objects: list[int]) -> Window:
    index = torch.as_tensor(objects)
    return Window(
        fingertips=sequence.fingertips[start:start + length],
        points=sequence.clouds[sequence.cloud_index[start:start + length, index]],
        object_ids=sequence.object_ids[index],
        goal_label=sequence.goal_label,
    )


def stack(windows: list[Window]) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """(fingertips [B, L, 5, 3], points [B, L, n_obj, P, 3], ids [B, n_obj], goal [B]); objects are
    zero-padded (id 0) to the largest count in the batch."""
    n_obj = max(len(w.object_ids) for w in windows)
    length, points = windows[0].points.shape[0], windows[0].points.shape[2]
    cloud = torch.zeros(len(windows), length, n_obj, points, 3)
    ids = torch.zeros(len(windows), n_obj, dtype=torch.long)
    for row, window in enumerate(windows):
        k = len(window.object_ids)
        cloud[row, :, :k] = window.points
        ids[row, :k] = window.object_ids
    fingertips = torch.stack([w.fingertips for w in windows])
    goal = torch.tensor([w.goal_label for w in windows], dtype=torch.long)
    return fingertips, cloud, ids, goal


def window_starts(sequences: list[SequenceTensors], frames: int) -> list[tuple[int, int]]:
    """Every (sequence index, start frame) of a window of ``frames`` consecutive frames."""
    return [(i, start) for i, s in enumerate(sequences) for start in range(s.num_frames - frames + 1)]
