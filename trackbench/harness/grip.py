"""Where the fingertips sit on the target object: the distances grip rewards and grip checks read.

Shared by the ``grasp`` method's terms, the grasped-start curriculum (``harness/grasped.py``) and
the learning-check scripts, so that "thumb and a finger on the object" means one thing everywhere.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch

if TYPE_CHECKING:
    from trackbench.harness.state import State

# m, thumb and closest other fingertip keypoint to the target's surface samples in a hold: the
# largest distances seen in scripted holds that lifted the object (allegro / grasp_lift, 40 of 192
# tries: thumb p95 3.5 cm, max 4.3 cm; other fingertip max 3.2 cm; docs/results, session 6).
GRIP_DISTANCE = 0.045


def tip_surface_distances(state: "State") -> torch.Tensor:
    """[N, K] distance (m) of each keypoint to the nearest surface sample of tracked object 0."""
    points = state.object_points[:, 0]  # [N, P, 3]
    return torch.cdist(state.keypoints, points).min(dim=-1).values


def thumb_and_finger(distances: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """([N] thumb distance, [N] closest other fingertip's distance) from [N, K] distances (m);
    keypoint 0 is the thumb (the robot contract's order)."""
    return distances[:, 0], distances[:, 1:].min(dim=1).values


def gripped(state: "State", distance: float = GRIP_DISTANCE) -> torch.Tensor:
    """[N] bool: the thumb and some other fingertip both within ``distance`` (m) of object 0."""
    thumb, finger = thumb_and_finger(tip_surface_distances(state))
    return (thumb < distance) & (finger < distance)
