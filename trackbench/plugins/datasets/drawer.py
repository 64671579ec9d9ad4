"""Synthetic drawer openings: the model hand reaches the `cabinet` task's top-drawer handle, hooks
its fingers behind the bar and pulls the drawer open (part of the ``synthetic`` dataset, see its
``drawer_fraction``).

Why: Π_h only predicts motions its data holds. A set of grasp-and-lift sequences teaches it
nothing about drawers, so from the cabinet's resets it predicts a hand that stays where it is
(``trackbench predictor probe --task cabinet``) and ``track`` pays for standing still. The paper
trains on DexYCB (no drawers either) yet reports cabinet results; its human data is not reachable
here, so trackbench generates drawer openings as it generates grasps: synthetic, not recorded.

The scene is the task's own cabinet (``trackbench.kit.cabinet``: fixed place, 0.40 m drawer travel). As in
the authors' code, the handle is object id 0 — "not a YCB object" — whose cloud Π_h hides, so Π_h
learns the drawer from the goal label 0 and the hand's history alone, and the ``cabinet`` task's
inputs at RL time (label 0, the handle hidden) are exactly the inputs these sequences train.

One opening (handle frame: x out of the drawer, y along the bar, z up; world = the cabinet's yaw):
the relaxed hand starts in the robots' workspace (``motion``), reaches above the bar palm down
with its fingers pitched down 20–30° and hooked, comes down so that index, middle and ring tips
sit 2–3 cm behind the bar at its height (the thumb in front of it), closes, pulls the drawer
0.33–0.39 m straight out (minimum jerk, the hand rigid with the handle) and holds. A draw whose
hand would pass through the bar, its posts or the drawer front is redrawn.

What it does not capture: other handles and cabinets, other grips (a pinch on the bar, a hand
from below), drawers that stick, a person pushing it shut.
"""

from __future__ import annotations

import functools

import numpy as np

from trackbench.api import NOT_YCB_ID, TrackbenchError, rotation_about, rotation_z
from trackbench.api import cabinet as cm
from trackbench.plugins.datasets import human_hand
from trackbench.plugins.datasets.motion import HandGoal, demonstration

HANDLE_ID = NOT_YCB_ID  # the id the authors' cabinet passes Π_h: "not a YCB object", cloud hidden
OPENING = (0.33, 0.39)  # m pulled: past the task's 0.32 m success opening, short of the 0.40 stop
PITCH_DEG = (20.0, 35.0)  # fingers pitched down from horizontal, over the bar
FINGER_CLOSURE = (0.38, 0.5)  # index..little along the curl or hook synergy
THUMB_CLOSURE = (0.3, 0.5)
TIPS_BEHIND = (0.018, 0.024)  # m from the bar centre into its 4 cm gap (the nearest tip)
TIPS_HEIGHT = (0.005, 0.012)  # m above the bar centre
TIPS_ALONG = 0.015  # m either side of the bar's middle
YAW_DEG = 10.0  # the hand turned about z
PRE_GRASP_BACK = (0.01, 0.03)  # m: the final approach comes down from above the grasp ...
PRE_GRASP_UP = (0.08, 0.11)  # ... this far up
PRE_SHAPE = 0.85  # fingers hooked this much of their final closure during the reach
CLEARANCE = 0.005  # m between every keypoint and the bar, its posts and the drawer front
MAX_TRIES = 50


def handle_frame() -> tuple[np.ndarray, np.ndarray]:
    """(rotation [3, 3] handle frame → world, bar centre [3] in the world) with the drawer shut."""
    return rotation_z(cm.CABINET_YAW), cm.closed_handle_world_pos()


def opening(rng: np.random.Generator, starts: str = "workspace") -> tuple[np.ndarray, np.ndarray]:
    """Keypoints [T, 21, 3] (world, m) of one drawer opening and the drawer's opening [T] (m).

    Raises TrackbenchError if MAX_TRIES draws all pass through the cabinet (never seen)."""
    rotation, centre = handle_frame()
    for _ in range(MAX_TRIES):
        goal = _hand_goal(rng, rotation, centre)
        keypoints, moved = demonstration(rng, goal, functools.partial(_draw_pull, rotation), starts)
        pulled = moved @ rotation[:, 0]  # [T] along the drawer's axis
        local = (keypoints - centre - moved[:, None, :]) @ rotation  # hand in the drawer's frame
        if _clear_of_cabinet(local):
            return keypoints, pulled
    raise TrackbenchError(f"no drawer opening clear of the cabinet in {MAX_TRIES} draws")


def handle_cloud(pulled: np.ndarray) -> np.ndarray:
    """The task's 100 handle points [T, 100, 3] (world) with the drawer `pulled` [T] m open."""
    rotation, centre = handle_frame()
    shut = cm.handle_points(100, seed=0).astype(np.float64) @ rotation.T + centre
    return shut[None] + np.outer(pulled, rotation[:, 0])[:, None, :]


def _hand_goal(rng: np.random.Generator, rotation: np.ndarray, centre: np.ndarray) -> HandGoal:
    # Palm down, fingers into the drawer (−x), thumb side −y: the right hand over the bar.
    palm_down = np.array([[-1.0, 0.0, 0.0], [0.0, -1.0, 0.0], [0.0, 0.0, 1.0]])
    hand = (rotation_z(np.radians(rng.uniform(-YAW_DEG, YAW_DEG)))
            @ rotation_about([0.0, -1.0, 0.0], np.radians(rng.uniform(*PITCH_DEG))) @ palm_down)
    synergy = np.tile(human_hand.SYNERGIES[rng.choice([2, 4])], (5, 1))  # curl or hook
    synergy[0] = human_hand.SYNERGIES[0]
    closure = np.array([rng.uniform(*THUMB_CLOSURE)] + [rng.uniform(*FINGER_CLOSURE)] * 4)
    local = human_hand.local_keypoints(*human_hand.synergy_pose(closure, synergy)) @ hand.T
    tips = np.array([-rng.uniform(*TIPS_BEHIND), rng.uniform(-TIPS_ALONG, TIPS_ALONG),
                     rng.uniform(*TIPS_HEIGHT)])
    # The fingertip nearest the bar (index, middle or ring) sits TIPS_BEHIND from its centre.
    fingers = local[[8, 12, 16]]
    wrist = tips - np.array([fingers[:, 0].max(), *fingers[:, 1:].mean(axis=0)])
    pre_grasp = wrist + np.array([rng.uniform(*PRE_GRASP_BACK), 0.0, rng.uniform(*PRE_GRASP_UP)])
    return HandGoal(rotation=rotation @ hand, wrist=rotation @ wrist + centre,
                    pre_grasp=rotation @ pre_grasp + centre, closure=closure, synergy=synergy,
                    target=centre, pre_shape=PRE_SHAPE * closure)


def _draw_pull(rotation: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    return rng.uniform(*OPENING) * rotation[:, 0]


def _clear_of_cabinet(local: np.ndarray) -> bool:
    """Whether keypoints [T, 21, 3] in the drawer's frame (bar centre origin) stay CLEARANCE
    outside the bar and its posts and in front of the drawer front."""
    for box_centre, half, _ in cm.handle_boxes():
        if np.all(np.abs(local - np.asarray(box_centre)) < np.asarray(half) + CLEARANCE,
                  axis=-1).any():
            return False
    front = -(cm.HANDLE_GAP + cm.HANDLE_HALF[0])
    return bool(local[..., 0].min() >= front + CLEARANCE)
