"""Small reach-grasp-lift human sequences for the predictor tests (no dataset plugin needed)."""

from __future__ import annotations

import numpy as np

from trackbench.harness.dataset import HumanSequence

TIPS = (4, 8, 12, 16, 20)
# Fingertip offsets from the grasp centre, open hand (thumb opposes the four fingers along x).
OPEN = np.array([[-0.06, 0.0, 0.0], [0.06, 0.03, 0.0], [0.06, 0.01, 0.0], [0.06, -0.01, 0.0],
                 [0.06, -0.03, 0.0]])


def _box_points(rng: np.random.Generator, half: np.ndarray, count: int = 100) -> np.ndarray:
    """Points on the surface of a box centred at the origin."""
    points = rng.uniform(-half, half, size=(count, 3))
    axis = rng.integers(0, 3, size=count)
    sign = rng.choice([-1.0, 1.0], size=count)
    points[np.arange(count), axis] = sign * half[axis]
    return points


def _smooth(u: np.ndarray) -> np.ndarray:
    u = np.clip(u, 0.0, 1.0)
    return u * u * u * (10 - 15 * u + 6 * u * u)  # minimum-jerk profile


def make_sequence(rng: np.random.Generator, name: str, frames: int | None = None,
                  num_objects: int | None = None, split: str = "train") -> HumanSequence:
    frames = frames or int(rng.integers(40, 70))
    num_objects = num_objects or int(rng.integers(1, 4))
    halves = rng.uniform(0.02, 0.045, size=(num_objects, 3))
    centres = np.stack([rng.uniform(-0.12, 0.12, num_objects), rng.uniform(-0.12, 0.12, num_objects),
                        halves[:, 2]], axis=1)
    clouds = np.stack([_box_points(rng, h) for h in halves])  # [n_obj, P, 3] object frame
    grasped = int(rng.integers(0, num_objects))
    start = np.array([rng.uniform(-0.2, 0.2), rng.uniform(0.15, 0.3), rng.uniform(0.25, 0.4)])
    grasp_at = centres[grasped] + np.array([0.0, 0.0, halves[grasped, 2] * 0.5])
    reach_end, close_end = int(frames * 0.45), int(frames * 0.6)
    t = np.arange(frames)
    reach = _smooth(t / reach_end)[:, None]
    lift = 0.2 * _smooth((t - close_end) / max(frames - close_end - 1, 1))
    aperture = 1.0 - 0.55 * _smooth((t - reach_end) / max(close_end - reach_end, 1))
    centre = start + reach * (grasp_at - start)
    centre[:, 2] += lift
    keypoints = np.zeros((frames, 21, 3))
    wrist = centre + np.array([0.0, 0.0, 0.09])
    keypoints[:, 0] = wrist
    for finger, tip in enumerate(TIPS):
        tips = centre + aperture[:, None] * OPEN[finger]
        for joint in range(1, 5):  # joints along the finger, from wrist to tip
            keypoints[:, tip - 4 + joint] = wrist + joint / 4 * (tips - wrist)
    keypoints += rng.normal(0, 0.001, keypoints.shape)  # labelling noise, 1 mm
    positions = np.repeat(centres[None], frames, axis=0)
    positions[:, grasped, 2] += lift
    points = positions[:, :, None] + clouds[None]
    ids = rng.choice(np.arange(1, 22), size=num_objects, replace=False)
    return HumanSequence(name=name, keypoints=keypoints.astype(np.float32),
                         object_points=points.astype(np.float32), object_ids=ids.astype(np.int64),
                         grasped=grasped, split=split)


def make_sequences(count: int, seed: int = 0, frames: int | None = None) -> list[HumanSequence]:
    """``count`` sequences split 80 / 10 / 10 into train / val / test."""
    rng = np.random.default_rng(seed)
    splits = ["train"] * count
    for i in range(count):
        fraction = i / count
        splits[i] = "train" if fraction < 0.8 else ("val" if fraction < 0.9 else "test")
    return [make_sequence(rng, f"seq{i:04d}", frames=frames, split=splits[i]) for i in range(count)]
