"""The authors' .npy episodes: known answers on files written here, and clear errors."""

from __future__ import annotations

import numpy as np
import pytest

from trackbench.harness.dataset import HumanSequence
from trackbench.harness.errors import TrackbenchError
from trackbench.plugins.datasets.trackr import TrackrDataset


def _episode(frames: int, ids=(4, 14), grasp=1, **extra) -> dict:
    """Joint j ≥ 1 at frame t sits at (t, j, 0) cm, the wrist at (t, 9, 3) cm (bones of 1-9 cm:
    a plausible hand); object o's points at (t, 100 + o, p) cm."""
    t = np.arange(frames, dtype=np.float32)[:, None, None]
    joints = np.concatenate([np.broadcast_to(t, (frames, 21, 1)),
                             np.broadcast_to(np.arange(21.0)[None, :, None], (frames, 21, 1)),
                             np.zeros((frames, 21, 1))], axis=2) / 100
    joints[:, 0, 1:] = [0.09, 0.03]
    clouds = {}
    for o, cid in enumerate(ids):
        p = np.arange(100, dtype=np.float32)[None, :, None]
        clouds[cid] = (np.concatenate([np.broadcast_to(t, (frames, 100, 1)),
                                       np.full((frames, 100, 1), 100.0 + o),
                                       np.broadcast_to(p, (frames, 100, 1))], axis=2)
                       / 100)[:, None].astype(np.float32)
    return {"hand_joints": joints[:, None].astype(np.float32), "object_pc": clouds,
            "object_ids": list(ids), "ycb_grasp_id": grasp, **extra}


def _save(root, relative, data) -> None:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    np.save(path, np.array(data, dtype=object), allow_pickle=True)


def _dataset(root, **spec) -> TrackrDataset:
    return TrackrDataset(TrackrDataset.Spec(path=str(root), **spec))


def test_reads_the_authors_layout_as_is(tmp_path):
    _save(tmp_path, "subject-a/seq-1/episode.npy", _episode(12))
    (sequence,) = list(_dataset(tmp_path).sequences())
    assert sequence.name == "subject-a/seq-1" and sequence.validate() == []
    assert sequence.num_frames == 12
    np.testing.assert_allclose(sequence.keypoints[5, 7], [0.05, 0.07, 0.0], atol=1e-7)
    assert sequence.object_ids.tolist() == [4, 14] and sequence.grasped == 1
    assert sequence.goal_label == 14
    np.testing.assert_allclose(sequence.object_points[3, 1, 42], [0.03, 1.01, 0.42], atol=1e-6)


def test_resamples_to_20_hz_from_the_stated_rate(tmp_path):
    _save(tmp_path, "s/q/e.npy", _episode(11))  # 10 frames apart = 1 s at 10 fps
    (sequence,) = list(_dataset(tmp_path, fps=10.0).sequences())
    assert sequence.num_frames == 21
    np.testing.assert_allclose(sequence.keypoints[:, 0, 0], np.arange(21) * 0.005, atol=1e-7)
    (sequence,) = list(_dataset(tmp_path, fps=40.0).sequences())  # 0.25 s → 6 frames
    np.testing.assert_allclose(sequence.keypoints[:, 0, 0], np.arange(6) * 0.02, atol=1e-7)


def test_split_key_wins_and_names_hash_into_fractions(tmp_path):
    _save(tmp_path, "s/labelled/e.npy", _episode(10, split="test"))
    for k in range(60):
        _save(tmp_path, f"s/q{k:02d}/e.npy", _episode(10))
    dataset = _dataset(tmp_path, val_fraction=0.25, test_fraction=0.25)
    assert [s.name for s in dataset.sequences("test")].count("s/labelled") == 1
    counts = {split: len(list(dataset.sequences(split))) for split in ("train", "val", "test")}
    assert sum(counts.values()) == 61 and min(counts.values()) >= 8
    again = {split: [s.name for s in dataset.sequences(split)] for split in ("val",)}
    assert again["val"] == [s.name for s in _dataset(tmp_path, val_fraction=0.25,
                                                        test_fraction=0.25).sequences("val")]


def test_several_files_in_a_folder_are_several_sequences(tmp_path):
    _save(tmp_path, "s/q/a.npy", _episode(10))
    _save(tmp_path, "s/q/b.npy", _episode(10, ids=(1,), grasp=0))
    names = sorted(s.name for s in _dataset(tmp_path).sequences())
    assert names == ["s/q/a", "s/q/b"]


def test_write_then_read_round_trips(tmp_path):
    rng = np.random.default_rng(0)
    hand = _episode(15)["hand_joints"][:, 0] + rng.normal(0, 0.0002, (15, 21, 3))
    sequence = HumanSequence("synthetic-s0/seq_00003", hand.astype(np.float32),
                             rng.random((15, 2, 100, 3), dtype=np.float32),
                             np.array([9, 16]), grasped=1, split="val")
    path = TrackrDataset.write(tmp_path, sequence)  # the Dataset.write contract
    assert path == tmp_path / "synthetic-s0" / "seq_00003" / "seq_00003.npy"
    raw = np.load(path, allow_pickle=True).item()
    assert raw["hand_joints"].shape == (15, 1, 21, 3) and raw["object_pc"][16].shape == (15, 1, 100, 3)
    (back,) = list(_dataset(tmp_path).sequences())
    assert (back.name, back.grasped, back.split) == (sequence.name, 1, "val")
    np.testing.assert_array_equal(back.keypoints, sequence.keypoints)
    np.testing.assert_array_equal(back.object_points, sequence.object_points)


@pytest.mark.parametrize("content, message", [
    (b"\x93NUMPY garbage", "not a readable .npy file"),
    (b"", "not a readable .npy file"),
])
def test_corrupt_file_is_named(tmp_path, content, message):
    bad = tmp_path / "s" / "q" / "broken.npy"
    bad.parent.mkdir(parents=True)
    bad.write_bytes(content)
    with pytest.raises(TrackbenchError, match=message) as caught:
        list(_dataset(tmp_path).sequences())
    assert str(bad) in str(caught.value)


@pytest.mark.parametrize("change, message", [
    (lambda e: e.pop("ycb_grasp_id"), "missing key\\(s\\) ycb_grasp_id"),
    (lambda e: e.update(hand_joints=np.zeros((5, 1, 20, 3))), "hand_joints has shape"),
    (lambda e: e.update(object_ids=[4, 4]), "repeat an id"),
    (lambda e: e.update(object_ids=[4, 7]), "no cloud for object id"),
    (lambda e: e.update(ycb_grasp_id=5), "grasped index 5"),
])
def test_malformed_episode_is_named(tmp_path, change, message):
    episode = _episode(10)
    change(episode)
    _save(tmp_path, "s/q/e.npy", episode)
    with pytest.raises(TrackbenchError, match=message) as caught:
        list(_dataset(tmp_path).sequences())
    assert str(tmp_path / "s" / "q" / "e.npy") in str(caught.value)


def test_missing_root_unset_path_and_empty_root(tmp_path):
    with pytest.raises(TrackbenchError, match="set its path"):
        list(TrackrDataset(TrackrDataset.Spec()).sequences())
    with pytest.raises(TrackbenchError, match="does not exist"):
        list(_dataset(tmp_path / "nowhere").sequences())
    with pytest.raises(TrackbenchError, match="no episode files"):
        list(_dataset(tmp_path).sequences())


def test_check_spec_refuses_a_folder_without_episodes_as_the_loader_does(tmp_path):
    spec = TrackrDataset.Spec(path=str(tmp_path))
    (tmp_path / "s" / "q").mkdir(parents=True)
    (tmp_path / "s" / "q" / "notes.txt").write_text("not an episode")
    (tmp_path / "s" / "top.npy").write_bytes(b"")  # not at <root>/<subject>/<sequence>/
    with pytest.raises(TrackbenchError) as planned:
        TrackrDataset.check_spec(spec, "--here")
    with pytest.raises(TrackbenchError) as loaded:
        list(_dataset(tmp_path).sequences())
    assert str(planned.value) == str(loaded.value) == (
        f"dataset 'trackr': no episode files under {tmp_path} "
        "(expected <root>/<subject>/<sequence>/*.npy)")
    # One episode file is enough, and it is not read: it is refused when a run starts.
    (tmp_path / "s" / "q" / "e.npy").write_bytes(b"not numpy")
    TrackrDataset.check_spec(spec)
    with pytest.raises(TrackbenchError, match="e.npy"):
        list(_dataset(tmp_path).sequences())


class _Touches:
    """Unpickling this creates ``marker`` (through os.system, as a real attack would run code)."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        import os

        return os.system, (f"touch {self.marker}",)


def test_an_episode_whose_pickle_would_run_code_is_refused_and_never_runs(tmp_path):
    marker = tmp_path / "ran"
    _save(tmp_path, "s/q/e.npy", _episode(10, extra=_Touches(marker)))
    with pytest.raises(TrackbenchError, match="refused to load.*system") as caught:
        list(_dataset(tmp_path).sequences())
    assert str(tmp_path / "s" / "q" / "e.npy") in str(caught.value)
    assert not marker.exists()


@pytest.mark.parametrize("fps", [1.0, 30_000.0])
def test_a_declared_frame_rate_no_hand_is_recorded_at_is_refused(fps):
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="fps"):
        TrackrDataset.Spec(path="x", fps=fps)
