"""The authors' preprocessed human data: one pickled-dict ``.npy`` file per episode.

Layout (the released loader, ``algo/tracking/human_dataset.py`` of hgaurav2k/trackr):
``<root>/<subject>/<sequence>/*.npy``, each file a dict with

- ``hand_joints``: [T, 1, 21, 3], MANO/DexYCB joint order, metres;
- ``object_pc``: {DexYCB id: [T, 1, 100, 3]}, the object's surface points;
- ``object_ids``: the scene's DexYCB ids (1..21); ``ycb_grasp_id``: index of the grasped one.

The data are already in the simulator's world frame (the authors baked the DexYCB → sim
transform into their files), so nothing is transformed on load. The files carry no frame rate:
``fps`` says it (default 20 Hz, the policy rate, on the assumption that the authors subsampled
to the rate their predictor runs at; this is not stated in their code). Sequences are resampled
to 20 Hz when ``fps`` differs. The files carry no split either: an optional ``split`` key
(written by ``trackbench data synth``) wins; otherwise a stable hash of the sequence name
assigns ``val_fraction`` / ``test_fraction`` of the sequences to val and test.

**Security:** these files are pickles, and ``np.load(..., allow_pickle=True)`` would run any
code a pickle carries. They are read with :func:`trackbench.harness.safe_load.load_plain_npy`
instead, which builds only numpy arrays, numbers, strings, lists and dicts: a file whose pickle
names anything else (``os.system``, a class of some package) is refused with the file and the
refused name in the message, and nothing in it runs.
"""

from __future__ import annotations

import zlib
from pathlib import Path
from typing import Iterator

import numpy as np
from pydantic import Field

from trackbench.api import (
    FRAME_RATE_RANGE_HZ, NUM_HAND_JOINTS, PATH_HINT, POLICY_HZ, SPLITS, Dataset, DatasetSpec,
    HumanSequence, TrackbenchError, atomic_path, dataset_root, load_plain_npy, resample,
)

REQUIRED_KEYS = ("hand_joints", "object_pc", "object_ids", "ycb_grasp_id")
EPISODE_PATTERN = "*/*/*.npy"  # <root>/<subject>/<sequence>/*.npy


class TrackrSpec(DatasetSpec):
    fps: float = Field(default=POLICY_HZ, ge=FRAME_RATE_RANGE_HZ[0], le=FRAME_RATE_RANGE_HZ[1],
                       description="frame rate of the files (they do "
                       "not say); 20 = the policy rate, no resampling")
    val_fraction: float = Field(default=0.1, ge=0.0, le=0.5,
                                description="share of unlabelled sequences put in val "
                                            "(by a hash of the name)")
    test_fraction: float = Field(default=0.1, ge=0.0, le=0.5,
                                 description="share of unlabelled sequences put in test")


class TrackrDataset(Dataset):
    """The authors' preprocessed episodes: <root>/<subject>/<sequence>/*.npy pickled dicts."""

    name = "trackr"
    Spec = TrackrSpec
    reads_from_disk = True

    @classmethod
    def check_spec(cls, spec: TrackrSpec, how_to_set: str = PATH_HINT) -> None:
        """Raise TrackbenchError, as :meth:`sequences` would, if the data folder is not set, not
        there, a file, or holds no episode file; the files themselves are read when a run
        starts. Stops at the first episode file: a large folder is not listed."""
        root = dataset_root(spec.path, cls.name, how_to_set)
        if next(episode_files(root), None) is None:
            raise no_episode_files(root)

    def sequences(self, split: str | None = None) -> Iterator[HumanSequence]:
        if split is not None and split not in SPLITS:
            raise TrackbenchError(f"unknown split '{split}'. Valid splits: {', '.join(SPLITS)}.")
        root = dataset_root(self.spec.path, self.name)
        files = sorted(episode_files(root))
        if not files:
            raise no_episode_files(root)
        per_folder: dict[Path, int] = {}
        for path in files:
            per_folder[path.parent] = per_folder.get(path.parent, 0) + 1
        for path in files:
            subject, sequence = path.parent.parent.name, path.parent.name
            name = f"{subject}/{sequence}"
            if per_folder[path.parent] > 1:
                name += f"/{path.stem}"
            item = read_episode(path, name, self.spec.fps, self._split_by_hash(name))
            if split is None or item.split == split:
                yield item

    @classmethod
    def write(cls, root: Path, sequence: HumanSequence) -> Path:
        return write_episode(root, sequence)

    def _split_by_hash(self, name: str) -> str:
        position = zlib.crc32(name.encode()) / 2 ** 32
        if position < 1.0 - self.spec.val_fraction - self.spec.test_fraction:
            return "train"
        return "val" if position < 1.0 - self.spec.test_fraction else "test"


def episode_files(root: Path) -> Iterator[Path]:
    """The episode files under ``root``, unsorted, found one at a time (check_spec and the loader
    both find them here, so that the two agree on what counts)."""
    return (path for path in root.glob(EPISODE_PATTERN) if path.is_file())


def no_episode_files(root: Path) -> TrackbenchError:
    """The error for a data folder without episode files, raised at plan time and on load."""
    return TrackbenchError(f"dataset 'trackr': no episode files under {root} "
                           "(expected <root>/<subject>/<sequence>/*.npy)")


def read_episode(path: Path, name: str, fps: float, default_split: str) -> HumanSequence:
    """One episode file as a HumanSequence; any problem is a TrackbenchError naming the file."""
    episode = load_plain_npy(path)  # plain data only: see the module docstring
    if not isinstance(episode, dict):
        raise TrackbenchError(f"{path}: expected a pickled dict, found {type(episode).__name__}")
    missing = [key for key in REQUIRED_KEYS if key not in episode]
    if missing:
        raise TrackbenchError(f"{path}: missing key(s) {', '.join(missing)}")
    try:
        joints = np.asarray(episode["hand_joints"], dtype=np.float32)
        if joints.ndim == 4 and joints.shape[1] == 1:  # [T, 1, 21, 3]: one hand
            joints = joints[:, 0]
        if joints.ndim != 3 or joints.shape[1:] != (NUM_HAND_JOINTS, 3):
            raise ValueError(f"hand_joints has shape {np.shape(episode['hand_joints'])}, "
                             "expected [T, 1, 21, 3]")
        ids = [int(i) for i in np.asarray(episode["object_ids"]).reshape(-1)]
        if len(set(ids)) != len(ids):
            raise ValueError(f"object_ids {ids} repeat an id (object_pc is keyed by id)")
        clouds = {int(k): v for k, v in dict(episode["object_pc"]).items()}
        absent = [i for i in ids if i not in clouds]
        if absent:
            raise ValueError(f"object_pc has no cloud for object id(s) {absent}")
        points = []
        for i in ids:
            cloud = np.asarray(clouds[i], dtype=np.float32)
            if cloud.ndim == 4 and cloud.shape[1] == 1:
                cloud = cloud[:, 0]
            if cloud.ndim != 3 or cloud.shape[0] != len(joints) or cloud.shape[2] != 3:
                raise ValueError(f"object_pc[{i}] has shape {np.shape(clouds[i])}, "
                                 f"expected [{len(joints)}, 1, P, 3]")
            points.append(cloud)
        object_points = np.stack(points, axis=1)
        grasped = int(episode["ycb_grasp_id"])
    except (TypeError, ValueError) as error:
        raise TrackbenchError(f"{path}: {error}") from None
    split = str(episode.get("split", default_split))
    sequence = HumanSequence(
        name=name,
        keypoints=resample(joints, fps),
        object_points=resample(object_points, fps),
        object_ids=np.asarray(ids, dtype=np.int64),
        grasped=grasped,
        split=split,
        source=str(path),
    )
    problems = sequence.validate()
    if problems:
        raise TrackbenchError(f"{path}: " + "; ".join(problems))
    return sequence


def write_episode(root: Path, sequence: HumanSequence) -> Path:
    """Write one sequence in the authors' layout (plus a ``split`` key); returns the file.

    A name "subject/sequence" goes to <root>/subject/sequence/sequence.npy; a name without a
    subject to <root>/sequences/<name>/<name>.npy. Both read back under the same name.
    """
    parts = sequence.name.split("/")
    subject, episode = (parts[0], parts[1]) if len(parts) == 2 else ("sequences", "_".join(parts))
    folder = Path(root) / subject / episode
    folder.mkdir(parents=True, exist_ok=True)
    ids = [int(i) for i in sequence.object_ids]
    if len(set(ids)) != len(ids):
        raise TrackbenchError(f"sequence {sequence.name}: the trackr format keys object clouds by "
                              f"id, so ids cannot repeat ({ids})")
    data = {
        "hand_joints": sequence.keypoints[:, None].astype(np.float32),
        "object_pc": {i: sequence.object_points[:, k, None].astype(np.float32)
                      for k, i in enumerate(ids)},
        "object_ids": ids,
        "ycb_grasp_id": int(sequence.grasped),
        "split": sequence.split,
    }
    path = folder / f"{episode}.npy"
    with atomic_path(path) as temporary, temporary.open("wb") as handle:
        np.save(handle, np.array(data, dtype=object), allow_pickle=True)
    return path
