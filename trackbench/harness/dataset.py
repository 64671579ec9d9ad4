"""The dataset plugin contract and trackbench's one human-trajectory format.

Every human dataset (DexYCB, the authors' preprocessed files, the synthetic generator) converts its
data to :class:`HumanSequence` on load: the predictor Π_h and its trainer never see another layout
or another frame.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar, Iterator

import numpy as np
from pydantic import Field

from trackbench.harness.errors import TrackbenchError
from trackbench.harness.specs import PluginSpec

POLICY_HZ = 20.0  # sequences are resampled to the policy rate
NUM_HAND_JOINTS = 21  # MANO / DexYCB order: 0 wrist; thumb 1-4, index 5-8, middle 9-12, ring 13-16, little 17-20
SPLITS = ("train", "val", "test")


@dataclass(frozen=True)
class HumanSequence:
    """One human hand–object trajectory in the world frame (table-top origin, z up, metres), 20 Hz.

    ``keypoints[t, j]`` is MANO joint ``j`` at frame ``t``; ``object_points[t, o]`` are the 100
    surface points of object ``o`` posed at frame ``t``; ``object_ids[o]`` its DexYCB class id
    (1..21); ``object_ids[grasped]`` is the object the hand grasps (the goal label).
    """

    name: str  # unique within its dataset, e.g. "20200709-subject-01/20200709_141754"
    keypoints: np.ndarray  # [T, 21, 3] float32
    object_points: np.ndarray  # [T, n_obj, P, 3] float32
    object_ids: np.ndarray  # [n_obj] int64, DexYCB class ids 1..21
    grasped: int  # index into object_ids
    split: str = "train"  # one of SPLITS

    @property
    def num_frames(self) -> int:
        return int(self.keypoints.shape[0])

    @property
    def goal_label(self) -> int:
        return int(self.object_ids[self.grasped])

    def validate(self) -> list[str]:
        """Every way this sequence breaks the format (empty when it is valid)."""
        problems = []
        t = self.keypoints.shape[0] if self.keypoints.ndim == 3 else -1
        if self.keypoints.ndim != 3 or self.keypoints.shape[1:] != (NUM_HAND_JOINTS, 3):
            problems.append(f"keypoints shape {self.keypoints.shape}, expected [T, 21, 3]")
        if self.object_points.ndim != 4 or self.object_points.shape[0] != t \
                or self.object_points.shape[3] != 3:
            problems.append(f"object_points shape {self.object_points.shape}, expected [T, n_obj, P, 3]")
        elif self.object_points.shape[1] != len(self.object_ids):
            problems.append(f"{self.object_points.shape[1]} point clouds for {len(self.object_ids)} ids")
        if not all(1 <= int(i) <= 21 for i in self.object_ids):
            problems.append(f"object ids {list(self.object_ids)} outside DexYCB's 1..21")
        if not 0 <= self.grasped < len(self.object_ids):
            problems.append(f"grasped index {self.grasped} outside the {len(self.object_ids)} objects")
        if not (np.isfinite(self.keypoints).all() and np.isfinite(self.object_points).all()):
            problems.append("non-finite values")
        if self.split not in SPLITS:
            problems.append(f"split '{self.split}' is not one of {SPLITS}")
        return [f"sequence {self.name}: {p}" for p in problems]


class DatasetSpec(PluginSpec):
    path: str | None = Field(default=None, description="root folder of the data on disk")


class Dataset(ABC):
    """Base of dataset plugins: reads (or generates) human sequences in the HumanSequence format."""

    name: ClassVar[str]
    Spec: ClassVar[type[DatasetSpec]]
    # Bump when the same spec starts to yield other sequences (a generator or loader change):
    # predictors cached for the old data are then retrained, not reused.
    version: ClassVar[int] = 1

    def __init__(self, spec: DatasetSpec):
        self.spec = spec

    @abstractmethod
    def sequences(self, split: str | None = None) -> Iterator[HumanSequence]:
        """Yield the sequences of one split (all splits if None). A missing root, a missing or
        corrupt file raises TrackbenchError naming the file."""


def resample(frames: np.ndarray, source_hz: float, target_hz: float = POLICY_HZ) -> np.ndarray:
    """Frames [T, ...] recorded at `source_hz`, linearly interpolated to `target_hz`.

    Output frame k is at time k / target_hz from the first frame, up to the last recorded
    instant (never extrapolated). Linear interpolation of point positions is exact for
    translations and a close approximation for the small rotations between two frames.
    """
    count = frames.shape[0]
    if count < 2 or source_hz == target_hz:
        return frames
    out_count = int(np.floor((count - 1) * target_hz / source_hz + 1e-9)) + 1
    position = np.arange(out_count) * (source_hz / target_hz)
    before = np.minimum(np.floor(position).astype(np.int64), count - 2)
    weight = (position - before).reshape((-1,) + (1,) * (frames.ndim - 1))
    out = (1.0 - weight) * frames[before] + weight * frames[before + 1]
    return out.astype(frames.dtype, copy=False)


def dataset_root(path: str | None, dataset: str) -> Path:
    """The existing data folder of `dataset`, or a TrackbenchError saying how to set it."""
    if path is None or not str(path).strip():
        raise TrackbenchError(
            f"dataset '{dataset}' reads data from disk: set its path "
            f"(e.g. --dataset-path DIR, or path=DIR in the dataset spec)"
        )
    root = Path(path).expanduser()
    if not root.is_dir():
        raise TrackbenchError(f"dataset '{dataset}': data folder {root} does not exist")
    return root
