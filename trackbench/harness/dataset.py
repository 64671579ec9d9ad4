"""The dataset plugin contract and trackbench's one human-trajectory format.

Every human dataset (DexYCB, the authors' preprocessed files, the synthetic generator) converts its
data to :class:`HumanSequence` on load: the predictor Π_h and its trainer never see another layout
or another frame.

Every sequence a dataset plugin yields is checked for plausibility before anyone sees it
(:func:`plausibility_problems`; :class:`Dataset` wraps each plugin's ``sequences``, so a
third-party dataset is checked too): a hand the size of a real hand (metres, not millimetres),
bones of human lengths that keep their length, and fingertips no faster than a hand moves. Data
that fail are refused with the file they came from, rather than teaching Π_h something no robot
can imitate.
"""

from __future__ import annotations

import functools
from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Iterator

import numpy as np
from pydantic import Field

from trackbench.harness.errors import TrackbenchError
from trackbench.harness.robot import HUMAN_FINGERTIPS
from trackbench.harness.specs import PluginSpec

if TYPE_CHECKING:
    from trackbench.harness.registry import Registry

POLICY_HZ = 20.0  # sequences are resampled to the policy rate
NUM_HAND_JOINTS = 21  # MANO / DexYCB order: 0 wrist; thumb 1-4, index 5-8, middle 9-12, ring 13-16, little 17-20
SPLITS = ("train", "val", "test")
# Where the data and predictor commands take a dataset's folder (methods name their own way).
PATH_HINT = "set its path (--dataset-path DIR, or path=DIR in the dataset spec)"
# ... and where the methods that read a dataset (amp, dapg) take it.
METHOD_PATH_HINT = "set its path with --set 'method.dataset_spec={path: DIR}'"
NOT_YCB_ID = 0  # object id of a thing that is no YCB object (Π_h hides its cloud)
# Bones of the 21-keypoint hand as (parent, child): wrist → each finger's base, then along it.
HAND_BONES = tuple((0 if k == 0 else 4 * f + k, 4 * f + k + 1) for f in range(5) for k in range(4))

# ---- plausibility: what a recorded human hand can be (the reasoning is in each comment) ----------
# Hand size = the largest wrist-to-keypoint distance (median over frames). An adult hand is
# 0.17-0.21 m from wrist to middle tip (trackbench's model hand: 0.19 m); a fist still keeps the
# PIP knuckles ~0.11 m from the wrist and a child's open hand reaches ~0.12 m. Millimetres read as
# metres give 100-200 m; centimetres 10-20 m.
HAND_SIZE_RANGE_M = (0.06, 0.35)
# Each bone's median length. The shortest real bones are distal phalanges (~1.5-2 cm), the longest
# the wrist → index/middle knuckle (~9 cm; DexYCB's MANO hands and the model hand agree).
# 0.5 cm and 12 cm leave room for small and large hands and for labelling noise.
BONE_LENGTH_RANGE_M = (0.005, 0.12)
# Bones are rigid: (95th − 5th percentile) / median of a bone's length over a sequence. MANO fits
# (DexYCB) keep them exact, resampling shortens a turning bone by a few per cent, and labelled or
# detected keypoints carry millimetres of noise per frame (2 mm on a 2.7 cm bone already spans
# ±20 % at its extremes, hence percentiles, not min and max); a change of half its length in a
# tenth of the frames or more means another hand, a swapped joint or a unit change mid-sequence.
MAX_BONE_LENGTH_SPREAD = 0.5
# A fingertip's displacement from one 20 Hz frame to the next. Reaching hands peak at 1-2 m/s
# (5-10 cm a frame); 1 m a frame (20 m/s) is beyond any grasp or throw in the tasks, so only a
# teleport exceeds it: a glitch frame, frames out of order, or a frame rate declared far too low.
MAX_FINGERTIP_STEP_M = 1.0
# A declared source frame rate (the ``fps`` of DexYCB and trackr). Below 5 Hz a one-second grasp
# has under 5 frames and resampling to 20 Hz would invent most of the motion; no hand-capture
# system records above 1 kHz, so a larger number is a unit mistake (a period, or ms).
FRAME_RATE_RANGE_HZ = (5.0, 1000.0)


@dataclass(frozen=True)
class HumanSequence:
    """One human hand–object trajectory in the world frame (table-top origin, z up, metres), 20 Hz.

    ``keypoints[t, j]`` is MANO joint ``j`` at frame ``t``; ``object_points[t, o]`` are the 100
    surface points of object ``o`` posed at frame ``t``; ``object_ids[o]`` its DexYCB class id
    (1..21), or 0 for a thing that is no YCB object (the cabinet's drawer handle: Π_h hides the
    cloud of id 0, as the authors' code does for the cabinet); ``object_ids[grasped]`` is the
    object the hand grasps (the goal label).
    """

    name: str  # unique within its dataset, e.g. "20200709-subject-01/20200709_141754"
    keypoints: np.ndarray  # [T, 21, 3] float32
    object_points: np.ndarray  # [T, n_obj, P, 3] float32
    object_ids: np.ndarray  # [n_obj] int64, DexYCB class ids 1..21 (0: not a YCB object)
    grasped: int  # index into object_ids
    split: str = "train"  # one of SPLITS
    source: str = ""  # the file or folder it was read from ("" for generated data), for messages

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
        if not all(0 <= int(i) <= 21 for i in self.object_ids):
            problems.append(f"object ids {list(self.object_ids)} outside DexYCB's 1..21 "
                            "(or 0: not a YCB object)")
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
    """Base of dataset plugins: reads (or generates) human sequences in the HumanSequence format.

    A subclass's ``sequences`` is wrapped on definition so that every sequence it yields passes
    :func:`refuse_implausible` first: no plugin can hand Π_h a hand in millimetres.
    """

    name: ClassVar[str]
    Spec: ClassVar[type[DatasetSpec]]
    # Bump when the same spec starts to yield other sequences (a generator or loader change):
    # predictors cached for the old data are then retrained, not reused.
    version: ClassVar[int] = 1
    # True for a dataset read from the folder ``spec.path``: check_spec then requires that folder.
    reads_from_disk: ClassVar[bool] = False

    def __init__(self, spec: DatasetSpec):
        self.spec = spec

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "sequences" in vars(cls):
            cls.sequences = _checked(vars(cls)["sequences"])

    @classmethod
    def check_spec(cls, spec: DatasetSpec, how_to_set: str = PATH_HINT) -> None:
        """Raise TrackbenchError if ``spec`` cannot yield sequences, as far as that shows without
        reading any (a message about a missing setting ends with ``how_to_set``). Called at plan
        time, through :func:`checked_dataset_spec`, by the methods that read a dataset. Here: a
        dataset that ``reads_from_disk`` needs its folder (:func:`dataset_root`); override to
        check more."""
        if cls.reads_from_disk:
            dataset_root(spec.path, cls.name, how_to_set)  # its files are read when a run starts

    @abstractmethod
    def sequences(self, split: str | None = None) -> Iterator[HumanSequence]:
        """Yield the sequences of one split (all splits if None). A missing root, a missing or
        corrupt file raises TrackbenchError naming the file; so does an implausible sequence
        (checked by this base class; set ``HumanSequence.source`` so the message names it)."""

    @classmethod
    def write(cls, root: Path, sequence: HumanSequence) -> Path:
        """Write one sequence under ``root`` in this dataset's own layout, so that the dataset
        reads it back; returns the file. Only datasets with an on-disk layout implement it
        (``trackbench data synth`` writes through ``trackr``'s)."""
        raise TrackbenchError(f"dataset '{cls.name}' has no on-disk layout to write sequences in")


def _checked(read):
    """``read`` (a plugin's ``sequences``), refusing each implausible sequence it yields."""

    @functools.wraps(read)
    def sequences(self, split=None):
        for sequence in read(self, split):
            refuse_implausible(sequence, self.name)
            yield sequence

    return sequences


def refuse_implausible(sequence: HumanSequence, dataset: str) -> None:
    """Raise TrackbenchError naming the sequence's file (or the dataset and sequence) and every
    :func:`plausibility_problems` it has; return if there are none."""
    problems = plausibility_problems(sequence.keypoints)
    if not problems:
        return
    where = sequence.source or f"dataset '{dataset}'"
    raise TrackbenchError(f"{where}: sequence {sequence.name} is not a plausible human hand: "
                          + "; ".join(problems))


def plausibility_problems(keypoints: np.ndarray) -> list[str]:
    """Every way keypoints [T, 21, 3] (metres, 20 Hz) fail to be a human hand (empty if none):
    size (units), bone lengths and their constancy, fingertip speed. Wrongly shaped or
    non-finite keypoints are left to :meth:`HumanSequence.validate`."""
    if keypoints.ndim != 3 or keypoints.shape[1:] != (NUM_HAND_JOINTS, 3) \
            or not np.isfinite(keypoints).all() or len(keypoints) == 0:
        return []
    keypoints = keypoints.astype(np.float64)
    return _size_problems(keypoints) + _bone_problems(keypoints) + _speed_problems(keypoints)


def _size_problems(keypoints: np.ndarray) -> list[str]:
    size = float(np.median(np.linalg.norm(keypoints - keypoints[:, :1], axis=2).max(axis=1)))
    low, high = HAND_SIZE_RANGE_M
    if low <= size <= high:
        return []
    if low * 1000 <= size <= high * 1000:
        guess = " (millimetres? positions must be in metres)"
    elif low * 100 <= size <= high * 100:
        guess = " (centimetres? positions must be in metres)"
    else:
        guess = ""
    return [f"the hand measures {size:.3g} m from wrist to its farthest keypoint, outside "
            f"{low}-{high} m{guess}"]


def _bone_problems(keypoints: np.ndarray) -> list[str]:
    parents, children = (list(side) for side in zip(*HAND_BONES))
    lengths = np.linalg.norm(keypoints[:, children] - keypoints[:, parents], axis=2)  # [T, 20]
    median = np.median(lengths, axis=0)
    low, high = BONE_LENGTH_RANGE_M
    problems = [f"bone {parents[b]}-{children[b]} is {median[b] * 100:.3g} cm long, outside "
                f"{low * 100:.3g}-{high * 100:.3g} cm"
                for b in range(len(HAND_BONES)) if not low <= median[b] <= high]
    low_q, high_q = np.percentile(lengths, (5, 95), axis=0)
    spread = (high_q - low_q) / np.maximum(median, 1e-9)
    problems += [f"bone {parents[b]}-{children[b]} changes length by {spread[b]:.0%} of its "
                 f"median over the sequence (at most {MAX_BONE_LENGTH_SPREAD:.0%})"
                 for b in range(len(HAND_BONES)) if spread[b] > MAX_BONE_LENGTH_SPREAD]
    return problems[:3] + ([f"and {len(problems) - 3} more bones"] if len(problems) > 3 else [])


def _speed_problems(keypoints: np.ndarray) -> list[str]:
    if len(keypoints) < 2:
        return []
    tips = keypoints[:, list(HUMAN_FINGERTIPS)]
    steps = np.linalg.norm(np.diff(tips, axis=0), axis=2).max(axis=1)  # [T - 1]
    worst = int(np.argmax(steps))
    if steps[worst] <= MAX_FINGERTIP_STEP_M:
        return []
    return [f"a fingertip moves {steps[worst]:.3g} m between frames {worst} and {worst + 1} at "
            f"{POLICY_HZ:g} Hz (at most {MAX_FINGERTIP_STEP_M} m: a glitch, frames out of "
            f"order, or a wrong frame rate)"]


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


def checked_dataset_spec(registry: "Registry", name: str, settings: dict[str, Any],
                         how_to_set: str = PATH_HINT) -> DatasetSpec:
    """Dataset ``name``'s spec with ``settings``, checked as far as it can be before anything is
    read (:meth:`Dataset.check_spec`), so that a run fails when it is planned, not when its cell
    starts. ``how_to_set`` ends the message about a missing setting: where the caller takes the
    dataset's settings (e.g. ``--set 'method.dataset_spec={path: DIR}'``). Raises
    TrackbenchError: an unknown dataset, a setting that does not validate, a data folder that
    is not set, not there or a file, and whatever the plugin's ``check_spec`` refuses besides
    (trackr, dexycb: a folder without their files; synthetic: an empty 'train' split)."""
    spec = registry.resolve_spec("datasets", name, settings)
    registry.get("datasets", name).cls.check_spec(spec, how_to_set)
    return spec


def dataset_root(path: str | None, dataset: str, how_to_set: str = PATH_HINT) -> Path:
    """The existing data folder of `dataset`, or a TrackbenchError: no path (ending with
    ``how_to_set``, where the caller takes it), a path that is not there or is a file."""
    if path is None or not str(path).strip():
        raise TrackbenchError(f"dataset '{dataset}' reads data from disk and no folder is set: "
                              f"{how_to_set}")
    root = Path(path).expanduser()
    if root.is_file():
        raise TrackbenchError(f"dataset '{dataset}': {root} is a file; its path is the data "
                              f"folder that holds the files")
    if not root.is_dir():
        raise TrackbenchError(f"dataset '{dataset}': data folder {root} does not exist")
    return root
