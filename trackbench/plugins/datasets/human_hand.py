"""A 21-keypoint kinematic model of an adult right hand, in the MANO/DexYCB joint order.

Joint order: 0 wrist; thumb 1-4 (CMC, MCP, IP, tip); index 5-8, middle 9-12, ring 13-16,
little 17-20 (MCP, PIP, DIP, tip). Keypoints are joint centres, tips are the fingertip ends.

Hand frame (right hand): origin at the wrist, **x** toward the fingers, **y** toward the thumb
side, **z** out of the back of the hand (so the palm faces −z). The shape is fixed; the pose is
two numbers per finger (thumb, index, middle, ring, little):

- *flex* drives the base joint (index..little: MCP flexion toward the palm; thumb: the swing of
  its metacarpal from abduction beside the palm to opposition in front of it), *curl* the joints
  beyond it (PIP and DIP; thumb MCP and IP). 0 is a flat hand with spread fingers, 1 a fist;
  negative flex extends the base joints (the open pre-shape before a grasp). The fingers'
  spread shrinks as they flex;
- a grasp closes each finger along a *synergy*, a fixed (flex, curl) ratio from SYNERGIES
  scaled by one closure value (``synergy_pose``), so the whole hand has five closure values.

Bone lengths are rounded adult averages (hand length, wrist to middle tip, 0.19 m); every bone
has the same length in every pose, which tests check. What the model does not have: joint limits
per person, finger pad thickness (tips are points), skin, or independent joint control.
"""

from __future__ import annotations

import numpy as np

from trackbench.api import HAND_BONES

FINGERS = ("thumb", "index", "middle", "ring", "little")
TIP_INDICES = (4, 8, 12, 16, 20)
BONES = HAND_BONES  # (parent, child) keypoint pairs: wrist→base of each finger, then along it

# Index, middle, ring, little: MCP positions in the hand frame (m); the metacarpal arch bends the
# ring and little knuckles slightly toward the palm.
FINGER_MCP = np.array([
    [0.086, 0.025, 0.000],
    [0.091, 0.004, 0.000],
    [0.086, -0.015, -0.002],
    [0.074, -0.032, -0.005],
])
# Proximal, middle and distal phalanx (MCP→PIP, PIP→DIP, DIP→tip), m.
FINGER_PHALANGES = np.array([
    [0.041, 0.025, 0.022],
    [0.045, 0.028, 0.024],
    [0.043, 0.027, 0.023],
    [0.034, 0.020, 0.020],
])
FINGER_FAN = np.radians([7.0, 0.0, -7.0, -15.0])  # direction in the palm plane, toward the thumb
FINGER_FLEX_AT_FIST = np.radians([75.0, 100.0, 70.0])  # MCP, PIP, DIP flexion at flex = curl = 1

THUMB_CMC = np.array([0.024, 0.019, -0.012])
THUMB_PHALANGES = np.array([0.046, 0.032, 0.028])  # metacarpal, proximal, distal (to the tip)
_THUMB_ABDUCTED = np.array([0.45, 0.85, -0.25])  # metacarpal direction in the open hand
_THUMB_OPPOSED = np.array([0.60, 0.20, -0.78])  # ... and in full opposition
_THUMB_BEND_TOWARD = np.array([-0.15, -0.75, -0.65])  # MCP/IP flexion toward palm and fingers
THUMB_FLEX_AT_FIST = np.radians([45.0, 65.0])  # MCP, IP

POSE_RANGE = (-0.3, 1.0)
# Synergies tried when closing a finger on an object, in order of preference: (flex, curl) per
# unit of closure. Balanced flexion first, then a flat pinch, a curl, straight fingers, a hook.
SYNERGIES = np.array([[1.0, 1.0], [1.0, 0.45], [0.55, 1.0], [1.0, 0.0], [0.25, 1.0]])


def _unit(v: np.ndarray) -> np.ndarray:
    return v / np.linalg.norm(v, axis=-1, keepdims=True)


def local_keypoints(flex: np.ndarray, curl: np.ndarray | None = None) -> np.ndarray:
    """Keypoints [..., 21, 3] in the hand frame.

    ``flex`` [..., 5] drives each finger's base joint (index..little: MCP flexion; thumb: the
    swing from abduction to opposition); ``curl`` [..., 5] (default = flex) drives the joints
    beyond it (PIP and DIP; thumb MCP and IP). 0 is a flat hand, 1 a fist; negative flex
    extends the base joints (the open pre-shape), negative curl is treated as 0.
    """
    flex = np.clip(np.asarray(flex, dtype=np.float64), *POSE_RANGE)
    curl = flex if curl is None else np.clip(np.asarray(curl, dtype=np.float64), *POSE_RANGE)
    curl = np.maximum(curl, 0.0)
    batch = np.broadcast_shapes(flex.shape, curl.shape)[:-1]
    flex, curl = np.broadcast_to(flex, batch + (5,)), np.broadcast_to(curl, batch + (5,))
    out = np.zeros(batch + (21, 3))

    # Thumb: metacarpal direction moves from abduction to opposition as the thumb flexes.
    swing = np.clip(0.35 + 0.65 * flex[..., 0], 0.0, 1.0)[..., None]
    metacarpal = _unit((1 - swing) * _unit(_THUMB_ABDUCTED) + swing * _unit(_THUMB_OPPOSED))
    toward = _THUMB_BEND_TOWARD - (metacarpal @ _THUMB_BEND_TOWARD)[..., None] * metacarpal
    toward = _unit(toward)
    bend = curl[..., 0, None] * np.cumsum(THUMB_FLEX_AT_FIST)  # [..., 2]
    directions = [metacarpal] + [
        np.cos(bend[..., k, None]) * metacarpal + np.sin(bend[..., k, None]) * toward
        for k in range(2)
    ]
    point = np.broadcast_to(THUMB_CMC, batch + (3,))
    out[..., 1, :] = point
    for k, direction in enumerate(directions):
        point = point + THUMB_PHALANGES[k] * direction
        out[..., 2 + k, :] = point

    # Index..little: planar chains flexing toward the palm (−z); spread shrinks as they close.
    f_flex, f_curl = flex[..., 1:], curl[..., 1:]  # [..., 4]
    spread = FINGER_FAN * (0.5 + 0.9 * (1.0 - np.clip(f_flex, 0.0, 1.0)))
    along = np.stack([np.cos(spread), np.sin(spread), np.zeros_like(spread)], axis=-1)
    # Negative flex extends the MCP joints only, as far as 0.3 × 60°.
    mcp = np.where(f_flex >= 0, f_flex * FINGER_FLEX_AT_FIST[0], f_flex * np.radians(60.0))
    angles = np.stack([mcp, f_curl * FINGER_FLEX_AT_FIST[1], f_curl * FINGER_FLEX_AT_FIST[2]], -1)
    cumulative = np.cumsum(angles, axis=-1)  # [..., 4, 3]
    palmward = np.array([0.0, 0.0, -1.0])
    segment = (np.cos(cumulative)[..., None] * along[..., None, :]
               + np.sin(cumulative)[..., None] * palmward)  # [..., 4, 3 joints, 3]
    chain = FINGER_MCP[:, None, :] + np.cumsum(FINGER_PHALANGES[..., None] * segment, axis=-2)
    for f in range(4):
        base = 5 + 4 * f
        out[..., base, :] = FINGER_MCP[f]
        out[..., base + 1:base + 4, :] = chain[..., f, :, :]
    return out


def synergy_pose(closure: np.ndarray, synergy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(flex, curl) of fingers at `closure` [...] along `synergy` [..., 2] (a row of SYNERGIES).

    Below closure 0 only the base joints open, whatever the synergy: every synergy starts from
    the same open hand, so a grasp can close along any of them from one pre-shape.
    """
    flex = np.where(closure < 0, closure, closure * synergy[..., 0])
    curl = np.where(closure < 0, 0.0, closure * synergy[..., 1])
    return flex, curl


def world_keypoints(rotation, wrist, flex, curl) -> np.ndarray:
    """Keypoints [T, 21, 3] for hand rotations [T, 3, 3], wrists [T, 3], flex and curl [T, 5]."""
    return np.einsum("tij,tkj->tki", rotation, local_keypoints(flex, curl)) + wrist[:, None, :]


def bone_lengths(keypoints: np.ndarray) -> np.ndarray:
    """Length [..., 20] of each bone in BONES for keypoints [..., 21, 3]."""
    parents, children = (np.array(side) for side in zip(*BONES))
    return np.linalg.norm(keypoints[..., children, :] - keypoints[..., parents, :], axis=-1)


def palm_points() -> np.ndarray:
    """Points [N, 3] on the palm's skin (1 cm in front of the bones), to keep it off objects."""
    corners = np.array([[0.02, 0.022, 0.0], [0.02, -0.025, 0.0]])
    knuckles = FINGER_MCP[[0, 3]]
    grid = []
    for u in np.linspace(0.0, 1.0, 4):
        near, far = corners[0] * (1 - u) + corners[1] * u, knuckles[0] * (1 - u) + knuckles[1] * u
        for v in np.linspace(0.0, 1.0, 4):
            grid.append(near * (1 - v) + far * v)
    return np.array(grid) + np.array([0.0, 0.0, -0.01])
