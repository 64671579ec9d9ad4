"""One demonstration's timeline, shared by every synthetic activity: a relaxed hand rests, reaches
a pre-grasp, approaches and closes on its target, then moves it (lifts an object, pulls a drawer).

The activities (``synthetic`` grasp-and-lift, ``drawer`` opening) decide where the hand grasps
(:class:`HandGoal`) and how the grasped thing moves; everything else — where and how the hand
starts, how long each phase lasts, the minimum-jerk profiles — is here, so both read as the same
person. The reasoning behind each range is in ``synthetic``'s DATA.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from trackbench.api import POLICY_HZ, minimum_jerk, rotation_about, rotation_z, slerp_matrices
from trackbench.plugins.datasets import human_hand
from trackbench.plugins.datasets.grasps import OPEN_CLOSURE

SEQUENCE_SECONDS = (2.0, 6.0)
# Wrist start box (m, world frame) covering every registered robot's reset fingertips (x −0.52…
# 0.62, y −0.14…0.41, z 0.07…0.53 over allegro/xhand/svh × the four tasks, 16 seeded resets each)
# with the wrist ~0.09 m behind the fingertips; starts nearer the goal than START_CLEARANCE are
# redrawn (a robot never starts that close either).
WORKSPACE_STARTS = ((-0.55, 0.60), (-0.05, 0.50), (0.12, 0.50))
PERSON_STARTS = ((-0.20, 0.05), (0.30, 0.50), (0.12, 0.28))
START_CLEARANCE = 0.20
# The hand rests this long (s) before the reach, up to 24 frames: a still history as long as
# Π_h's context (8 frames) is in the data, as it is at RL time for a robot holding still.
REST_SECONDS = (0.15, 1.2)
# Relaxed pose (flex = curl of every finger, ± 0.05 per finger): from an open, extended hand
# (fingertip spread ~6.5 cm around their centroid, as wide as the robots' resets come near) to
# loosely curled fingers (~4 cm).
RELAXED_FLEX = (-0.25, 0.35)


@dataclass(frozen=True)
class HandGoal:
    """Where a demonstration's hand grasps (world frame, metres) and how its fingers get there."""

    rotation: np.ndarray  # [3, 3] hand frame → world at the grasp
    wrist: np.ndarray  # [3] wrist at the grasp
    pre_grasp: np.ndarray  # [3] wrist where the final approach begins
    closure: np.ndarray  # [5] per finger at the grasp, along its synergy
    synergy: np.ndarray  # [5, 2] (human_hand.SYNERGIES rows)
    target: np.ndarray  # [3] what is grasped: the relaxed start points at it, starts keep clear
    pre_shape: float | np.ndarray = OPEN_CLOSURE  # closure held during the reach (open hand)


def wrist_start(rng: np.random.Generator, starts: str, goal: np.ndarray) -> np.ndarray:
    """A wrist start [3] (m) in the `starts` box ("workspace" or "person"), at least
    START_CLEARANCE from `goal`."""
    box = WORKSPACE_STARTS if starts == "workspace" else PERSON_STARTS
    while True:
        start = np.array([rng.uniform(low, high) for low, high in box])
        if np.linalg.norm(start - goal) >= START_CLEARANCE:
            return start


def demonstration(rng: np.random.Generator, goal: HandGoal,
                  draw_move: Callable[[np.random.Generator], np.ndarray],
                  starts: str = "workspace", start: np.ndarray | None = None,
                  ) -> tuple[np.ndarray, np.ndarray]:
    """Keypoints [T, 21, 3] of one rest-reach-grasp-move, and the grasped thing's displacement
    [T, 3] (m, zero until the move). ``draw_move(rng)`` draws the move's full displacement [3]
    (a lift, a pull); the hand carries it rigidly along a minimum-jerk profile, then holds. The
    wrist starts at ``start`` [3] (m) where given (an approach drawn from it), else at one drawn
    from the ``starts`` box."""
    if start is None:
        start = wrist_start(rng, starts, goal.target)
    # Relaxed start: palm down, fingers toward −y (hand columns: fingers, thumb side, back),
    # turned about z to point roughly at the goal, pitched down about x and rolled about the
    # fingers. From the person's side (+y) the turn toward the goal is small.
    palm_down = np.array([[0.0, 1.0, 0.0], [-1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])
    toward = goal.target[:2] - start[:2]
    facing = np.arctan2(toward[0], -toward[1])  # 0 when the goal lies straight toward −y
    rotation_start = (rotation_z(facing + rng.uniform(-0.45, 0.45))
                      @ rotation_about([1.0, 0.0, 0.0], rng.uniform(0.0, 0.35))
                      @ palm_down @ rotation_about([1.0, 0.0, 0.0], rng.uniform(-0.35, 0.35)))

    # Timeline (s). Durations scale together with the person's speed.
    speed = rng.uniform(0.8, 1.25)
    rest = rng.uniform(*REST_SECONDS)
    distance = float(np.linalg.norm(goal.pre_grasp - start))
    reach = (0.45 + 1.2 * distance) * rng.uniform(0.85, 1.15) * speed
    approach_time = rng.uniform(0.35, 0.6) * speed
    close_time, settle = rng.uniform(0.25, 0.45) * speed, rng.uniform(0.05, 0.2)
    move_time, hold = rng.uniform(0.7, 1.3) * speed, rng.uniform(0.2, 0.6)
    # A long rest is cut so that the sequence stays within SEQUENCE_SECONDS (the rest of the
    # timeline lasts at most ~5.4 s, so every rest keeps REST_SECONDS[0]).
    moving = 0.7 * reach + approach_time + close_time + settle + move_time + hold
    rest = min(rest, SEQUENCE_SECONDS[1] - moving)
    approach_start = rest + 0.7 * reach  # second submovement overlaps the first
    arrive = approach_start + approach_time
    move_start = arrive + close_time + settle
    total = move_start + move_time + hold  # at most SEQUENCE_SECONDS[1]: the rest is cut above
    if total < SEQUENCE_SECONDS[0]:  # a fast person waits longer at the end
        hold += SEQUENCE_SECONDS[0] - total
        total = SEQUENCE_SECONDS[0]
    time = np.arange(int(np.floor(total * POLICY_HZ + 1e-9)) + 1) / POLICY_HZ

    move = draw_move(rng)
    s_reach = minimum_jerk(time, rest, reach)
    s_approach = minimum_jerk(time, approach_start, approach_time)
    s_move = minimum_jerk(time, move_start, move_time)
    wrist = (start + np.outer(s_reach, goal.pre_grasp - start)
             + np.outer(s_approach, goal.wrist - goal.pre_grasp) + np.outer(s_move, move))
    rotation = slerp_matrices(rotation_start, goal.rotation, s_reach)

    # Fingers: relaxed → pre-shape during the reach → closed along each synergy.
    relaxed = rng.uniform(*RELAXED_FLEX) + rng.uniform(-0.05, 0.05, 5)
    s_open = minimum_jerk(time, rest + 0.1 * reach, 0.6 * reach)[:, None]
    s_close = minimum_jerk(time, arrive, close_time)[:, None]
    closure = goal.pre_shape + s_close * (goal.closure - goal.pre_shape)  # [T, 5]
    flex, curl = human_hand.synergy_pose(closure, np.broadcast_to(goal.synergy, (len(time), 5, 2)))
    flex = (1 - s_open) * relaxed + s_open * flex
    curl = (1 - s_open) * relaxed + s_open * curl
    keypoints = human_hand.world_keypoints(rotation, wrist, flex, curl)
    return keypoints, np.outer(s_move, move)
