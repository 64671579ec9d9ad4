"""Synthetic drawer openings: the task's handle, hooked and pulled past the success opening, by a
plausible hand that never passes through the cabinet."""

from __future__ import annotations

import numpy as np
import pytest

from trackbench.harness.dataset import plausibility_problems
from trackbench.plugins.datasets import drawer, human_hand
from trackbench.plugins.datasets.synthetic import SyntheticDataset
from trackbench.kit import cabinet as cm

NUM = 40


@pytest.fixture(scope="module")
def dataset():
    return SyntheticDataset(SyntheticDataset.Spec(num_sequences=NUM, seed=3, drawer_fraction=0.5))


@pytest.fixture(scope="module")
def openings(dataset):
    return [s for s in dataset.sequences() if s.name.split("/")[1].startswith("drawer")]


def _local(sequence):
    """Keypoints [T, 21, 3] in the drawer's frame (bar centre origin, x out of the drawer), the
    hand's motion with the drawer removed, and the opening [T] (m) read off the handle cloud."""
    rotation, centre = drawer.handle_frame()
    shut = drawer.handle_cloud(np.zeros(1))[0]
    pulled = (sequence.object_points[:, 0].astype(np.float64) - shut).mean(axis=1) @ rotation[:, 0]
    moved = np.outer(pulled, rotation[:, 0])
    return (sequence.keypoints.astype(np.float64) - centre - moved[:, None]) @ rotation, pulled


def test_the_fraction_sets_the_share_and_leaves_the_grasp_sequences_as_they_were(dataset, openings):
    assert 0.3 * NUM <= len(openings) <= 0.7 * NUM
    plain = SyntheticDataset(SyntheticDataset.Spec(num_sequences=NUM, seed=3))
    for index in range(NUM):
        if not dataset.is_drawer(index):
            np.testing.assert_array_equal(dataset.generate(index).keypoints,
                                          plain.generate(index).keypoints)
    assert not any(plain.is_drawer(index) for index in range(NUM))
    again = SyntheticDataset(dataset.spec).generate(int(openings[0].name[-5:]))
    np.testing.assert_array_equal(again.keypoints, openings[0].keypoints)


def test_an_opening_is_a_valid_plausible_sequence_of_the_tasks_handle(openings):
    shut = drawer.handle_cloud(np.zeros(1))[0]
    for sequence in openings:
        assert sequence.validate() == [] and not plausibility_problems(sequence.keypoints)
        assert sequence.object_ids.tolist() == [0] and sequence.goal_label == 0  # Π_h hides it
        assert sequence.object_points.shape == (sequence.num_frames, 1, 100, 3)
        np.testing.assert_allclose(sequence.object_points[0, 0], shut, atol=1e-6)
        assert 2.0 <= (sequence.num_frames - 1) / 20.0 <= 6.0
        tips = sequence.keypoints[:, list(human_hand.TIP_INDICES)]
        assert np.linalg.norm(np.diff(tips, axis=0), axis=-1).max() < 0.09  # human speed


def test_the_handle_is_shut_then_pulled_past_the_success_opening(openings):
    rotation, centre = drawer.handle_frame()
    np.testing.assert_allclose(centre, cm.closed_handle_world_pos())
    np.testing.assert_allclose(rotation[:, 0], [0.0, 1.0, 0.0], atol=1e-12)  # toward the robot
    for sequence in openings:
        _, pulled = _local(sequence)
        assert abs(pulled[0]) < 1e-6 and (np.diff(pulled) > -1e-6).all()
        assert 0.32 < pulled[-1] < cm.DRAWER_TRAVEL


def test_the_hand_hooks_the_bar_and_moves_with_it(openings):
    """Index, middle and ring tips behind the bar at its height while it moves (the cabinet
    task's "around the handle"), the thumb in front of it; the wrist carries the pull."""
    for sequence in openings:
        local, pulled = _local(sequence)
        moving = np.nonzero(pulled > 0.01)[0]
        tips = local[moving][:, [8, 12, 16]]
        bar_back = -cm.HANDLE_HALF[0]
        assert (tips[..., 0] < bar_back).all() and (tips[..., 0] > -0.05).all()
        assert np.abs(tips[..., 2]).max() < 0.03
        assert (local[moving, 4, 0] > bar_back).all()
        # rigid: in the drawer's frame the hand no longer moves once the pull has begun
        np.testing.assert_allclose(local[moving], local[moving[:1]].repeat(len(moving), 0),
                                   atol=1e-6)


def test_the_hand_never_enters_the_handle_or_the_drawer_front(openings):
    for sequence in openings:
        local, _ = _local(sequence)
        for box_centre, half, _ in cm.handle_boxes():
            inside = np.all(np.abs(local - np.asarray(box_centre)) < np.asarray(half), axis=-1)
            assert not inside.any(), sequence.name
        assert local[..., 0].min() > -(cm.HANDLE_GAP + cm.HANDLE_HALF[0])


def test_the_fraction_is_validated():
    from trackbench.harness.errors import TrackbenchError
    from trackbench.harness.registry import Registry

    registry = Registry()
    registry.add("datasets", SyntheticDataset, "trackbench", "datasets")
    with pytest.raises(TrackbenchError, match="drawer_fraction"):
        registry.resolve_spec("datasets", "synthetic", {"drawer_fraction": 1.5})
