"""The hand model's shape and joint order, the rotation helpers, and 20 Hz resampling."""

from __future__ import annotations

import numpy as np

from trackbench.harness.dataset import resample
from trackbench.kit.geometry import (
    matrix_to_quat_xyzw, minimum_jerk, quat_xyzw_to_matrix, rigid_fit, rotation_z, slerp_matrices,
)
from trackbench.plugins.datasets import human_hand


def test_bones_keep_their_length_in_any_pose():
    rng = np.random.default_rng(0)
    flex, curl = rng.uniform(-0.3, 1.0, (200, 5)), rng.uniform(0.0, 1.0, (200, 5))
    lengths = human_hand.bone_lengths(human_hand.local_keypoints(flex, curl))
    np.testing.assert_allclose(lengths, lengths[:1].repeat(200, axis=0), atol=1e-12)
    flat = lengths[0]
    assert 0.03 < flat[0] < 0.04 and 0.085 < flat[8] < 0.095  # wrist→thumb CMC, →middle MCP


def test_right_hand_joint_order_and_closing():
    flat = human_hand.local_keypoints(np.zeros(5))
    assert np.all(flat[[8, 12, 16, 20], 0] > flat[[7, 11, 15, 19], 0])  # tips are chain ends
    assert flat[4, 1] > flat[8, 1] > flat[12, 1] > flat[16, 1] > flat[20, 1]  # thumb → little
    fist = human_hand.local_keypoints(np.ones(5))
    assert np.all(fist[list(human_hand.TIP_INDICES), 2] < -0.02)  # fingertips curl under the palm
    assert np.all(np.linalg.norm(fist[[8, 12, 16, 20]], axis=1)
                  < np.linalg.norm(flat[[8, 12, 16, 20]], axis=1) - 0.05)


def test_synergy_pose_shares_the_open_hand():
    for synergy in human_hand.SYNERGIES:
        flex, curl = human_hand.synergy_pose(np.array(-0.1), synergy)
        assert (float(flex), float(curl)) == (-0.1, 0.0)
    flex, curl = human_hand.synergy_pose(np.array(0.5), np.array([1.0, 0.45]))
    assert (float(flex), float(curl)) == (0.5, 0.225)


def test_quaternions_and_slerp():
    quarter_turn = quat_xyzw_to_matrix([0.0, 0.0, np.sqrt(0.5), np.sqrt(0.5)])
    np.testing.assert_allclose(quarter_turn, [[0, -1, 0], [1, 0, 0], [0, 0, 1]], atol=1e-12)
    np.testing.assert_allclose(matrix_to_quat_xyzw(rotation_z(2.5)),
                               [0, 0, np.sin(1.25), np.cos(1.25)], atol=1e-12)
    path = slerp_matrices(np.eye(3), rotation_z(1.0), np.array([0.0, 0.25, 1.0]))
    np.testing.assert_allclose(path[1], rotation_z(0.25), atol=1e-12)
    np.testing.assert_allclose(path[2], rotation_z(1.0), atol=1e-12)


def test_minimum_jerk_and_rigid_fit():
    np.testing.assert_allclose(minimum_jerk(np.array([0.0, 1.0, 1.5, 2.0, 3.0]), 1.0, 1.0),
                               [0.0, 0.0, 0.5, 1.0, 1.0])
    rng = np.random.default_rng(1)
    points = rng.random((50, 3))
    rotation, translation = rigid_fit(points, points @ rotation_z(0.7).T + [1, 2, 3])
    np.testing.assert_allclose(rotation, rotation_z(0.7), atol=1e-12)
    np.testing.assert_allclose(translation, [1, 2, 3], atol=1e-12)


def test_resample_known_answers():
    ramp = np.arange(31, dtype=np.float32)[:, None]  # 1 unit per frame, 30 fps, 1 s
    out = resample(ramp, 30.0)
    assert out.shape == (21, 1) and out.dtype == np.float32
    np.testing.assert_allclose(out[:, 0], np.arange(21) * 1.5, atol=1e-6)
    np.testing.assert_array_equal(resample(ramp, 20.0), ramp)
    assert resample(ramp[:1], 25.0).shape == (1, 1)
