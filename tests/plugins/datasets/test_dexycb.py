"""DexYCB from its release layout: a small tree written here, with answers worked out by hand."""

from __future__ import annotations

import numpy as np
import pytest
import yaml

from trackbench.harness.errors import TrackbenchError
from trackbench.plugins.datasets.dexycb import DexYCBDataset, official_split
from trackbench.plugins.datasets.human_hand import local_keypoints

CAMERA_A, CAMERA_B = "836212060125", "839512060362"
EXTRINSICS_ID = "20200702_151821"
# Camera A → world: a quarter turn about z, then (0.1, 0.2, 0.3). Camera B is the master (identity).
CAMERA_A_TO_WORLD = [0, -1, 0, 0.1, 1, 0, 0, 0.2, 0, 0, 1, 0.3]
# Tag → world: half a turn about x (the master camera looks down on the table), then (0, 0.1, 0.8).
TAG_TO_WORLD = [1, 0, 0, 0.0, 0, -1, 0, 0.1, 0, 0, -1, 0.8]
JOINT_IN_CAMERA = np.array([0.01, 0.02, 0.03])  # where joint 5 (index knuckle) is
# The model hand, flat, placed with its index knuckle at JOINT_IN_CAMERA: a plausible hand.
HAND_SHAPE = local_keypoints(np.zeros(5)) - local_keypoints(np.zeros(5))[5]
FRAMES = 20  # frames 0, 1 have no hand yet (all −1), frame 19 lost it (all 0)


def _cube_obj(half: float) -> str:
    corners = [(x, y, z) for x in (-half, half) for y in (-half, half) for z in (-half, half)]
    quads = [(1, 2, 4, 3), (5, 7, 8, 6), (1, 5, 6, 2), (3, 4, 8, 7), (1, 3, 7, 5), (2, 6, 8, 4)]
    lines = [f"v {x} {y} {z}" for x, y, z in corners] + ["vt 0 0"]
    lines += ["f " + " ".join(f"{i}/1" for i in quad) for quad in quads]  # quads, v/vt tokens
    return "\n".join(lines) + "\n"


def _write_sequence(folder, side="right", missing_labels=False):
    folder.mkdir(parents=True)
    meta = {"serials": [CAMERA_A, CAMERA_B], "num_frames": FRAMES, "ycb_ids": [4, 14],
            "ycb_grasp_ind": 1, "mano_sides": [side], "mano_calib": ["x"],
            "extrinsics": EXTRINSICS_ID}
    (folder / "meta.yml").write_text(yaml.safe_dump(meta))
    pose = np.zeros((FRAMES, 2, 7), dtype=np.float32)
    pose[:, :, 3] = 1.0  # identity rotations (qw = 1)
    pose[:, 0, 4:] = [0.1, 0.15, 0.75]  # the soup can, still
    pose[:, 1, 4:] = [0.2, 0.1, 0.7]  # the mug (the grasped object)
    np.savez(folder / "pose.npz", pose_y=pose)
    for serial in (CAMERA_A, CAMERA_B):
        (folder / serial).mkdir()
        for f in range(FRAMES):
            if missing_labels and f == 7 and serial == CAMERA_A:
                continue
            joints = (JOINT_IN_CAMERA + [0.01 * f, 0.0, 0.0] + HAND_SHAPE)[None]
            joints = np.full((1, 21, 3), -1.0) if f < 2 else \
                np.zeros((1, 21, 3)) if f == FRAMES - 1 else joints
            np.savez(folder / serial / f"labels_{f:06d}.npz", joint_3d=joints.astype(np.float32))


@pytest.fixture(scope="module")
def root(tmp_path_factory):
    root = tmp_path_factory.mktemp("dex_ycb")
    calibration = root / "calibration" / f"extrinsics_{EXTRINSICS_ID}"
    calibration.mkdir(parents=True)
    (calibration / "extrinsics.yml").write_text(yaml.safe_dump({
        "extrinsics": {CAMERA_A: CAMERA_A_TO_WORLD, CAMERA_B: [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0],
                       "apriltag": TAG_TO_WORLD},
        "master": CAMERA_B}))
    for name, half in (("005_tomato_soup_can", 0.03), ("025_mug", 0.04)):
        (root / "models" / name).mkdir(parents=True)
        (root / "models" / name / "textured_simple.obj").write_text(_cube_obj(half))
    for subject in ("20200709-subject-01", "20200820-subject-03"):  # subject indices 0 and 2
        for i in range(5):
            _write_sequence(root / subject / f"20200709_14175{i}",
                            side="left" if (subject.endswith("03") and i == 1) else "right")
    return root


def _dataset(root, **spec) -> DexYCBDataset:
    return DexYCBDataset(DexYCBDataset.Spec(path=str(root), **spec))


def test_camera_keypoints_land_at_the_hand_computed_table_position(root):
    sequence = next(_dataset(root, centre="tag", align_reach=False).sequences())
    # world = R_A p + t_A = (0.08, 0.21, 0.33); table = R_tagᵀ (world − t_tag) = (0.08, −0.11, 0.47)
    # at the first complete frame (2), where the joint is 0.02 further along camera x (= −table y).
    np.testing.assert_allclose(sequence.keypoints[0, 5], [0.08, -0.13, 0.47], atol=1e-6)
    assert sequence.validate() == [] and sequence.split == "train"
    assert sequence.name == "20200709-subject-01/20200709_141750"
    assert sequence.object_ids.tolist() == [4, 14] and sequence.grasped == 1
    # The soup can: world (0.1, 0.15, 0.75) → table (0.1, −0.05, 0.05); its cube has half size 3 cm.
    offsets = sequence.object_points[0, 0] - [0.1, -0.05, 0.05]
    np.testing.assert_allclose(np.abs(offsets).max(axis=1), 0.03, atol=1e-6)


def test_other_camera_gives_its_own_transform(root):
    sequence = next(_dataset(root, centre="tag", align_reach=False,
                             camera=CAMERA_B).sequences())
    # Camera B is the world: table = R_tagᵀ ((0.03, 0.02, 0.03) − (0, 0.1, 0.8)).
    np.testing.assert_allclose(sequence.keypoints[0, 5], [0.03, 0.08, 0.77], atol=1e-6)
    with pytest.raises(TrackbenchError, match="camera 123 is not among its serials"):
        next(_dataset(root, camera="123").sequences())


def test_trims_handless_frames_and_resamples_25_to_20_hz(root):
    sequence = next(_dataset(root, centre="tag", align_reach=False).sequences())
    # Complete frames 2..18: 16 intervals at 25 fps = 0.64 s → 12 intervals at 20 Hz.
    assert sequence.num_frames == 13
    # Output frame k is source frame 2 + 1.25 k; the joint moves −0.01 m in table y per frame.
    expected = -0.11 - 0.01 * (2 + 1.25 * np.arange(13))
    np.testing.assert_allclose(sequence.keypoints[:, 5, 1], expected, atol=1e-6)
    at_30 = next(_dataset(root, centre="tag", align_reach=False, fps=30.0).sequences())
    assert at_30.num_frames == 11  # 16 / 30 s → floor(10.67) intervals


def test_default_frame_centres_the_grasped_object_and_reaches_from_plus_y(root):
    sequence = next(_dataset(root).sequences())
    # The mug's origin, world (0.2, 0.1, 0.7), is table (0.2, 0.0, 0.1): now (0, 0, 0.1).
    radii = np.linalg.norm(sequence.object_points[0, 1] - [0.0, 0.0, 0.1], axis=1)
    assert radii.min() >= 0.04 - 1e-6 and radii.max() <= 0.04 * np.sqrt(3) + 1e-6  # its cube
    wrist = sequence.keypoints[0, 0]
    assert abs(wrist[0]) < 1e-6 and wrist[1] > 0
    raw = next(_dataset(root, centre="tag", align_reach=False).sequences())
    assert sequence.keypoints[0, 0, 2] == pytest.approx(raw.keypoints[0, 0, 2], abs=1e-6)
    np.testing.assert_allclose(  # a rigid motion: distances are kept
        np.linalg.norm(sequence.keypoints[0, 0] - sequence.object_points[0, 0, 0]),
        np.linalg.norm(raw.keypoints[0, 0] - raw.object_points[0, 0, 0]), atol=1e-6)


def test_official_splits_and_right_hands_by_default(root):
    names = {split: [s.name for s in _dataset(root).sequences(split)]
             for split in ("train", "val", "test")}
    assert names["val"] == ["20200709-subject-01/20200709_141754"]  # subject 0, i % 5 == 4
    assert names["test"] == ["20200820-subject-03/20200709_141754"]  # subject 2, i % 5 == 4
    assert len(names["train"]) == 7  # 8 with i % 5 != 4, less the left hand
    both = [s.name for s in _dataset(root, hands="both").sequences()]
    assert "20200820-subject-03/20200709_141751" in both and len(both) == 10
    left = [s.name for s in _dataset(root, hands="left").sequences()]
    assert left == ["20200820-subject-03/20200709_141751"]
    s1 = {split: len(list(_dataset(root, setup="s1").sequences(split))) for split in ("train",
                                                                                       "val")}
    assert s1 == {"train": 9, "val": 0}  # subjects 0 and 2 both train in s1


@pytest.mark.parametrize("setup, subject, index, split", [
    ("s0", 0, 3, "train"), ("s0", 1, 9, "val"), ("s0", 5, 14, "test"),
    ("s1", 9, 50, "train"), ("s1", 6, 0, "val"), ("s1", 7, 99, "test"), ("s1", 8, 4, "test"),
    ("s3", 4, 14, "train"), ("s3", 4, 15, "val"), ("s3", 0, 99, "val"), ("s3", 3, 35, "test"),
    ("s3", 9, 59, "test"), ("s3", 9, 79, "test"), ("s3", 9, 80, "train"),
])
def test_official_split_table(setup, subject, index, split):
    assert official_split(setup, subject, index) == split


def test_missing_or_broken_files_are_named(root, tmp_path):
    broken = tmp_path / "dex"
    broken.mkdir()
    (broken / "calibration").symlink_to(root / "calibration")
    (broken / "models").symlink_to(root / "models")
    _write_sequence(broken / "20200709-subject-01" / "20200709_141750", missing_labels=True)
    with pytest.raises(TrackbenchError, match="labels_000007.npz") as caught:
        list(_dataset(broken).sequences())
    assert str(broken / "20200709-subject-01" / "20200709_141750" / CAMERA_A) in str(caught.value)
    meta = broken / "20200709-subject-01" / "20200709_141750" / "meta.yml"
    meta.write_text("serials: [unclosed")
    with pytest.raises(TrackbenchError, match="meta.yml: cannot read"):
        list(_dataset(broken).sequences())


def test_missing_root_and_layout_errors(tmp_path):
    with pytest.raises(TrackbenchError, match="set its path"):
        list(DexYCBDataset(DexYCBDataset.Spec()).sequences())
    with pytest.raises(TrackbenchError, match="does not exist"):
        list(_dataset(tmp_path / "nowhere").sequences())
    with pytest.raises(TrackbenchError, match="no subject folders"):
        list(_dataset(tmp_path).sequences())
    (tmp_path / "20990101-subject-11").mkdir()
    with pytest.raises(TrackbenchError, match="subject folders DexYCB does not have"):
        list(_dataset(tmp_path).sequences())


def _refusals(root) -> tuple[str, str]:
    """(check_spec's message, the loader's) for the data folder ``root``."""
    with pytest.raises(TrackbenchError) as planned:
        DexYCBDataset.check_spec(DexYCBDataset.Spec(path=str(root)))
    with pytest.raises(TrackbenchError) as loaded:
        list(_dataset(root).sequences())
    return str(planned.value), str(loaded.value)


def test_check_spec_refuses_a_folder_without_sequences_as_the_loader_does(tmp_path):
    (tmp_path / "calibration").mkdir()
    planned, loaded = _refusals(tmp_path)
    assert planned == loaded and "no subject folders (like 20200709-subject-01)" in planned
    subject = tmp_path / "20200709-subject-01"
    subject.mkdir()
    (subject / "notes.txt").write_text("not a sequence")
    planned, loaded = _refusals(tmp_path)
    assert planned == loaded == (
        f"dataset 'dexycb': no sequence folders in the subject folders under {tmp_path} "
        "(expected <root>/<subject>/<YYYYMMDD_HHMMSS>/meta.yml)")
    (tmp_path / "20990101-subject-11").mkdir()
    planned, loaded = _refusals(tmp_path)
    assert planned == loaded and "subject folders DexYCB does not have" in planned
    (tmp_path / "20990101-subject-11").rmdir()
    # One sequence folder is enough, and it is not read: its meta.yml is missed when a run starts.
    (subject / "20200709_141750").mkdir()
    DexYCBDataset.check_spec(DexYCBDataset.Spec(path=str(tmp_path)))
    with pytest.raises(TrackbenchError, match="meta.yml: cannot read"):
        list(_dataset(tmp_path).sequences())


@pytest.mark.parametrize("target", ["meta.yml", "extrinsics.yml"])
def test_a_yaml_file_with_a_python_tag_is_refused_and_never_runs(root, tmp_path, target):
    """The toolkit's loader reads meta.yml and extrinsics.yml; a python/object tag in either
    would run code under yaml's full loader. It is refused, naming the file."""
    broken = tmp_path / "dex"
    broken.mkdir()
    (broken / "models").symlink_to(root / "models")
    calibration = broken / "calibration" / f"extrinsics_{EXTRINSICS_ID}"
    calibration.mkdir(parents=True)
    (calibration / "extrinsics.yml").write_text(
        (root / "calibration" / f"extrinsics_{EXTRINSICS_ID}" / "extrinsics.yml").read_text())
    _write_sequence(broken / "20200709-subject-01" / "20200709_141750")
    marker = tmp_path / "ran"
    path = (broken / "20200709-subject-01" / "20200709_141750" / "meta.yml"
            if target == "meta.yml" else calibration / "extrinsics.yml")
    path.write_text(f"payload: !!python/object/apply:os.system ['touch {marker}']\n"
                    + path.read_text())
    with pytest.raises(TrackbenchError, match="cannot read") as caught:
        list(_dataset(broken).sequences())
    assert str(path) in str(caught.value) and "python/object" in str(caught.value)
    assert not marker.exists()
