"""The synthetic dataset: deterministic, plausible hands, objects that rest and then rise."""

from __future__ import annotations

import numpy as np
import pytest

from trackbench.harness.dataset import SPLITS
from trackbench.harness.errors import TrackbenchError
from trackbench.harness.registry import Registry
from trackbench.kit import ycb
from trackbench.kit.geometry import nearest_indices, rigid_fit, sample_surface
from trackbench.plugins.datasets import human_hand
from trackbench.plugins.datasets.grasps import grasp_library, object_surface
from trackbench.plugins.datasets.synthetic import PAPER_OBJECTS, WORKSPACE_STARTS, SyntheticDataset

NUM = 40


@pytest.fixture(scope="module")
def sequences():
    return list(SyntheticDataset(SyntheticDataset.Spec(num_sequences=NUM, seed=3)).sequences())


def _goal_poses(sequence):
    """Per frame, (R, t) of the grasped object, fitted to its cloud (the tasks' 100 points)."""
    canonical = ycb.surface_points(sequence.goal_label).astype(np.float64)
    cloud = sequence.object_points[:, sequence.grasped].astype(np.float64)
    return [rigid_fit(canonical, cloud[t]) for t in range(sequence.num_frames)]


def test_default_spec_is_the_paper_objects_and_a_thousand_sequences():
    spec = SyntheticDataset.Spec()
    assert spec.num_sequences == 1000 and spec.path is None
    assert {ycb.class_id(name) for name in spec.objects} == {1, 16, 9, 14, 13, 4}
    assert set(PAPER_OBJECTS) == set(spec.objects)


def test_same_seed_same_arrays_other_seed_other_arrays(sequences):
    again = SyntheticDataset(SyntheticDataset.Spec(num_sequences=NUM, seed=3))
    for index in (0, 7, NUM - 1):
        a, b = sequences[index], again.generate(index)
        np.testing.assert_array_equal(a.keypoints, b.keypoints)
        np.testing.assert_array_equal(a.object_points, b.object_points)
        np.testing.assert_array_equal(a.object_ids, b.object_ids)
        assert (a.grasped, a.split, a.name) == (b.grasped, b.split, b.name)
    other = SyntheticDataset(SyntheticDataset.Spec(num_sequences=NUM, seed=4)).generate(0)
    assert other.keypoints.shape != sequences[0].keypoints.shape \
        or not np.allclose(other.keypoints, sequences[0].keypoints)


def test_a_sequence_depends_only_on_seed_and_index(sequences):
    small = SyntheticDataset(SyntheticDataset.Spec(num_sequences=3, seed=3))
    np.testing.assert_array_equal(small.generate(2).keypoints, sequences[2].keypoints)


def test_every_sequence_is_valid_20hz_two_to_six_seconds(sequences):
    for sequence in sequences:
        assert sequence.validate() == []
        assert sequence.keypoints.dtype == np.float32 and sequence.object_points.dtype == np.float32
        assert 2.0 <= (sequence.num_frames - 1) / 20.0 <= 6.0
        assert 1 <= len(sequence.object_ids) <= 3
        assert sequence.object_points.shape[1:] == (len(sequence.object_ids), 100, 3)
        assert len(set(sequence.object_ids.tolist())) == len(sequence.object_ids)


def test_bone_lengths_are_constant_and_adult_sized(sequences):
    for sequence in sequences:
        lengths = human_hand.bone_lengths(sequence.keypoints.astype(np.float64))
        assert np.ptp(lengths, axis=0).max() < 1e-5
    hand = human_hand.local_keypoints(np.zeros(5))
    assert 0.17 < np.linalg.norm(hand[12] - hand[0]) < 0.21  # wrist to middle tip, flat hand


def test_hand_starts_anywhere_in_the_robots_workspace_and_stays_above_the_table(sequences):
    wrists = np.stack([sequence.keypoints[0, 0] for sequence in sequences])
    for sequence, wrist in zip(sequences, wrists):
        goal_start = sequence.object_points[0, sequence.grasped].mean(axis=0)
        assert np.linalg.norm(wrist - goal_start) >= 0.2 - 0.05  # clearance from the goal's base
        assert sequence.keypoints[..., 2].min() > 0.0
    for axis, (low, high) in enumerate(WORKSPACE_STARTS):
        assert low <= wrists[:, axis].min() and wrists[:, axis].max() <= high
        assert np.ptp(wrists[:, axis]) > 0.5 * (high - low)  # spread over the box, not one corner
    assert (wrists[:, 1] < 0.2).any() and (wrists[:, 0] > 0.2).any()  # where no person starts


def test_the_hand_rests_relaxed_long_enough_for_a_still_history(sequences):
    """Rests of 0.15–1.2 s: some as long as a full window of Π_h's context (8 + 1 frames), as a
    robot holding still at its reset gives it; relaxed hands from open (~6.5 cm fingertip spread)
    to curled (~4 cm)."""
    tips = list(human_hand.TIP_INDICES)
    still, spreads = [], []
    for sequence in sequences:
        moved = np.abs(sequence.keypoints - sequence.keypoints[0]).max(axis=(1, 2)) > 1e-6
        still.append(int(np.argmax(moved)))  # frames identical to the first
        first = sequence.keypoints[0, tips]
        spreads.append(np.linalg.norm(first - first.mean(axis=0), axis=1).mean())
    still = np.array(still)
    assert still.min() >= 3 and still.max() <= 25
    assert (still >= 9).mean() > 0.3
    assert min(spreads) < 0.045 and max(spreads) > 0.06


def test_person_starts_come_from_plus_y():
    person = SyntheticDataset(SyntheticDataset.Spec(num_sequences=10, seed=3, starts="person"))
    for sequence in person.sequences():
        goal_start = sequence.object_points[0, sequence.grasped].mean(axis=0)
        assert sequence.keypoints[0, 0, 1] > goal_start[1] + 0.15  # the reach comes from +y
        assert sequence.keypoints[..., 2].min() > 0.0


def test_reaches_stay_at_human_speed_wherever_the_hand_starts(sequences):
    """Per-step (50 ms) fingertip displacement: reaches last longer from farther starts."""
    tips = [4, 8, 12, 16, 20]
    speeds = np.concatenate([np.linalg.norm(np.diff(s.keypoints[:, tips], axis=0), axis=-1).ravel()
                             for s in sequences])
    assert speeds.max() < 0.09 and np.percentile(speeds, 99) < 0.06


def test_goal_rests_on_the_table_then_rises_with_the_hand(sequences):
    for sequence in sequences:
        poses = _goal_poses(sequence)
        height = np.array([t[2] for _, t in poses])
        lifted = np.nonzero(height > height[0] + 2e-6)[0]
        assert len(lifted) > 5
        start = lifted[0] - 1  # last frame at rest
        rest = height[:start + 1]
        np.testing.assert_allclose(rest, ycb.half_height(sequence.goal_label), atol=1e-5)
        for rotation, _ in poses[:start + 1]:
            np.testing.assert_allclose(rotation[:, 2], [0, 0, 1], atol=1e-5)  # upright
        assert height[-1] - height[0] > 0.09
        # Rigidly attached: the goal moves exactly as the wrist does after the lift starts.
        wrist = sequence.keypoints[:, 0].astype(np.float64)
        centre = np.array([t for _, t in poses])
        np.testing.assert_allclose(centre[lifted] - centre[start], wrist[lifted] - wrist[start],
                                   atol=1e-5)


def test_fingertips_touch_the_goal_while_it_is_held(sequences):
    dense = {}
    all_five = 0
    for sequence in sequences:
        cid = sequence.goal_label
        if cid not in dense:  # ~2 mm apart: distances to the mesh to within a millimetre
            dense[cid] = sample_surface(*ycb.mesh(cid), 15000, seed=1)[0]
        poses = _goal_poses(sequence)
        height = np.array([t[2] for _, t in poses])
        held = np.nonzero(height > height[0] + 2e-6)[0]
        tips = np.stack([(sequence.keypoints[f, list(human_hand.TIP_INDICES)] - poses[f][1])
                         @ poses[f][0] for f in held])  # [held frames, 5, 3], object frame
        nearest = dense[cid][nearest_indices(tips, dense[cid])]
        worst = np.linalg.norm(tips - nearest, axis=-1).max(axis=0)
        assert worst[:3].max() < 0.01, (sequence.name, worst)  # thumb, index, middle always
        all_five += worst.max() < 0.01
    assert all_five >= 0.7 * len(sequences)  # ring and little touch when they can reach


def test_distractors_stay_still_and_grasp_targets_are_graspable(sequences):
    for sequence in sequences:
        for k in range(len(sequence.object_ids)):
            if k != sequence.grasped:
                np.testing.assert_array_equal(sequence.object_points[0, k],
                                              sequence.object_points[-1, k])
        assert grasp_library(sequence.goal_label)
    assert not grasp_library(13)  # the bowl: a distractor only (see the module's DATA.md)
    assert 13 not in {s.goal_label for s in sequences}


def test_splits_follow_the_fractions():
    dataset = SyntheticDataset(SyntheticDataset.Spec(num_sequences=1000))
    counts = {split: 0 for split in SPLITS}
    for index in range(1000):
        counts[dataset.split_of(index)] += 1
    assert abs(counts["val"] - 100) <= 2 and abs(counts["test"] - 100) <= 2
    small = SyntheticDataset(SyntheticDataset.Spec(num_sequences=12, seed=3))
    names = [s.name for s in small.sequences("val")]
    assert names and all(small.split_of(int(n[-5:])) == "val" for n in names)


def test_check_spec_refuses_settings_that_leave_the_train_split_empty():
    SyntheticDataset.check_spec(SyntheticDataset.Spec(num_sequences=1))  # sequence 0 trains
    SyntheticDataset.check_spec(SyntheticDataset.Spec(num_sequences=1, val_fraction=0.5,
                                                      test_fraction=0.49))
    spec = SyntheticDataset.Spec(num_sequences=5, val_fraction=0.5, test_fraction=0.5)
    with pytest.raises(TrackbenchError, match=r"^dataset 'synthetic': val_fraction 0.5 and "
                       r"test_fraction 0.5 put all 5 sequences in val or test, so its 'train' "
                       r"split is empty; keep val_fraction \+ test_fraction below 1$"):
        SyntheticDataset.check_spec(spec)
    assert list(SyntheticDataset(spec).sequences("train")) == []  # the generator agrees


def test_bad_specs_fail_with_clear_errors():
    registry = Registry()
    registry.add("datasets", SyntheticDataset, "trackbench", "datasets")
    with pytest.raises(TrackbenchError, match="generated, not read"):
        registry.resolve_spec("datasets", "synthetic", {"path": "/data"})
    with pytest.raises(TrackbenchError, match="unknown YCB object 'mug'"):
        registry.resolve_spec("datasets", "synthetic", {"objects": ["mug"]})
    only_bowl = SyntheticDataset(SyntheticDataset.Spec(objects=("024_bowl",)))
    with pytest.raises(TrackbenchError, match="finds no grasp"):
        only_bowl.generate(0)
    with pytest.raises(TrackbenchError, match="unknown split"):
        next(only_bowl.sequences("training"))


def test_the_hand_stays_out_of_the_objects(sequences):
    """Against each object as the simulator collides it (its convex hull), every frame."""
    for sequence in sequences[:15]:
        for k, cid in enumerate(sequence.object_ids.tolist()):
            canonical = ycb.surface_points(cid).astype(np.float64)
            cloud = sequence.object_points[:, k].astype(np.float64)
            deepest = min(
                object_surface(cid).signed_distance(
                    (sequence.keypoints[t] - translation) @ rotation)[0].min()
                for t, (rotation, translation) in
                ((t, rigid_fit(canonical, cloud[t])) for t in range(sequence.num_frames)))
            if k == sequence.grasped:
                assert deepest > -0.002  # fingertips end on the surface
            else:
                assert deepest > 0.0099  # distractors keep a centimetre from the hand


def test_time_scale_plays_the_same_motions_slower(sequences):
    """time_scale [2, 2] doubles every sequence's duration along the same path; [1, 3] draws a
    factor per sequence from a stream of its own; the default leaves the set as generated."""
    def fingertip_speeds(seqs):
        return np.concatenate([np.linalg.norm(np.diff(s.keypoints[:, [4, 8, 12, 16, 20]], axis=0),
                                              axis=-1).ravel() for s in seqs])

    slow = list(SyntheticDataset(SyntheticDataset.Spec(num_sequences=8, seed=3,
                                                       time_scale=(2.0, 2.0))).sequences())
    for fast, half in zip(sequences[:8], slow):
        assert half.num_frames == 2 * (fast.num_frames - 1) + 1
        np.testing.assert_allclose(half.keypoints[::2], fast.keypoints, atol=1e-6)
        np.testing.assert_allclose(half.object_points[::2], fast.object_points, atol=1e-6)
        assert (half.name, half.split, half.grasped) == (fast.name, fast.split, fast.grasped)
    np.testing.assert_allclose(fingertip_speeds(slow).max(),
                               fingertip_speeds(sequences[:8]).max() / 2, rtol=1e-3)
    mixed = list(SyntheticDataset(SyntheticDataset.Spec(num_sequences=8, seed=3,
                                                        time_scale=(1.0, 3.0))).sequences())
    ratios = [(m.num_frames - 1) / (f.num_frames - 1) for m, f in zip(mixed, sequences[:8])]
    assert 1.0 <= min(ratios) and max(ratios) <= 3.05 and len(set(np.round(ratios, 2))) > 4


@pytest.mark.parametrize("scale", [(0.5, 1.0), (2.0, 1.5), (1.0, 9.0)])
def test_time_scale_is_slower_only_and_bounded(scale):
    registry = Registry()
    registry.add("datasets", SyntheticDataset, "trackbench", "datasets")
    with pytest.raises(TrackbenchError, match="time_scale must be"):
        registry.resolve_spec("datasets", "synthetic", {"time_scale": list(scale)})


def _final_approach(sequence) -> tuple[np.ndarray, np.ndarray]:
    """(unit xy direction the wrist moves in over its last 0.3 s of motion before the lift,
    xy from the wrist's start to the goal)."""
    wrist = sequence.keypoints[:, 0].astype(np.float64)
    goal = sequence.object_points[:, sequence.grasped].mean(axis=1)
    lift = int(np.argmax(np.linalg.norm(goal - goal[0], axis=1) > 1e-6))
    end = np.nonzero(np.linalg.norm(np.diff(wrist[:lift], axis=0), axis=1) > 0.002)[0][-1]
    direction = wrist[end, :2] - wrist[end - 6, :2]
    return direction / np.linalg.norm(direction), goal[0, :2] - wrist[0, :2]


def test_approach_start_comes_in_from_the_side_the_hand_starts_on(sequences):
    """approach=start: the final approach points along start → goal (±45° and the pre-grasp's
    offsets); the default (person) comes in from +y, some hands swinging round to it."""
    def cosines(seqs):
        pairs = [_final_approach(s) for s in seqs]
        return np.array([d @ s / np.linalg.norm(s) for d, s in pairs]), \
            np.array([d[1] for d, _ in pairs])

    start = list(SyntheticDataset(SyntheticDataset.Spec(num_sequences=NUM, seed=3,
                                                        approach="start")).sequences())
    along, _ = cosines(start)
    assert along.min() > 0.6 and np.median(along) > 0.95
    person_along, person_y = cosines(sequences)
    assert np.percentile(person_y, 90) < -0.2 and person_along.min() < 0.0
    for sequence in start[:10]:  # the same grasps: valid, fingertips end on the goal
        assert sequence.validate() == []
    assert SyntheticDataset.Spec().approach == "person"
