"""The synthetic dataset: generated grasp-and-lift demonstrations of a model human hand.

DATA.md — what this data is
===========================

**It is synthetic.** No person recorded it. Each sequence is computed from a seed by a
kinematic model (``human_hand``) and a grasp search (``grasps``); it stands in for DexYCB where
DexYCB is not available (DexYCB cannot be redistributed), so that the predictor Π_h, the
``track`` reward and the tests run out of the box. Train on real data (``dexycb`` or ``trackr``)
for any result that should say something about human motion.

One sequence (20 Hz, 2–6 s, the world frame: table-top centre origin, z up, metres):

1. 1–3 YCB objects rest upright on the table at xy within ±0.10 m of the origin (where the
   tasks place them), random yaws, no overlaps. One is the goal; the others are distractors.
2. A right hand starts relaxed (from an open, extended hand to loosely curled fingers), palm
   down, fingers pointing roughly at the goal, and rests 0.15–1.2 s (up to 24 frames: a still
   history as long as Π_h's context, as a robot holding still at its reset gives it). Where it
   starts is the spec's ``starts``: ``workspace`` (default), anywhere in the box above the
   table where the registered robots' resets put their hands (wrist x ∈ [−0.55, 0.60],
   y ∈ [−0.05, 0.50], z ∈ [0.12, 0.50], at least 0.2 m from the goal; measured with
   ``trackbench predictor probe``), so that Π_h has seen a hand at rest wherever a robot starts;
   or ``person``, a person's side of the table only (0.3–0.5 m toward +y, the person faces −y so
   their right is −x, 0.12–0.28 m up), where no robot starts.
3. Reach: two overlapping minimum-jerk submovements (Flash & Hogan 1985; Flash & Henis 1991),
   start → pre-grasp 5–10 cm back along the approach → grasp, while the wrist turns (slerp on
   the same profile) and the fingers open into a pre-shape. The reach lasts (0.45 + 1.2 s/m ·
   distance) × 0.85–1.15 × the person's speed: longer for farther starts, as human reaches are
   (Fitts 1954), so peak speeds stay human wherever the hand starts.
4. Close: each finger closes along its synergy onto the object until its tip touches the
   surface (the grasp found by ``grasps``: thumb, index and middle always touch; ring and
   little touch when they can reach, else they curl freely). Fingertips end on the surface.
5. Lift: the hand rises 10–20 cm (minimum jerk), the object moves rigidly with it, then holds.

With ``drawer_fraction`` > 0 that share of the sequences opens the ``cabinet`` task's drawer
instead (``drawer``: the same rest, reach and timeline; the fingers hook behind the handle bar,
the hand pulls it 0.33–0.39 m out; the handle is object id 0, which Π_h hides, as the authors'
code passes the cabinet). Default 0: grasp-and-lift only, as DexYCB.

Speeds, start poses, placements, object yaws, approach directions, grasps and pauses are drawn
per sequence. The approach is the spec's ``approach``: ``person`` (default), from +y ±45°, a
person across the table, wherever the hand starts (a hand that starts at −x swings
round to the object's +y side); or ``start``, from the side the hand starts on ±45° (the
horizontal direction start → object), as a robot beside the table reaches. Sequence ``i``
depends only on (seed, i), so the first 20 of a 1,000-sequence set equal a 20-sequence set with
the same seed. Splits are by sequence.

**What it does not capture**: real finger kinematics (one synergy per finger, no independent
joints, no per-person hand shape), real contacts (fingertips are points; no pad deformation,
no finger thickness, no palm contact), human variability (hesitation, corrections, regrasps,
bimanual or left-handed grasps, grasps other than the few families searched), the physics of
the object (no slip, no mass, no tilting when lifted, no collisions with distractors during the
reach), tasks other than grasp-and-lift and the one drawer (no throwing), and every object the
grasp search finds no grasp for: such objects (``024_bowl`` among the paper's six: a person grasps
it with the thumb inside the rim, which the simulator's convex hull closes) appear only as
distractors. Nothing is cached on disk: the grasp library lives in memory for one process.
"""

from __future__ import annotations

import dataclasses
import functools
from typing import Iterator, Literal

import numpy as np
from pydantic import Field, field_validator, model_validator

from trackbench.api import (
    PATH_HINT, POLICY_HZ, SPLITS, Dataset, DatasetSpec, HumanSequence, LowHigh, TrackbenchError,
    added_setting, resample, rotation_z,
)
from trackbench.plugins.datasets import drawer
from trackbench.plugins.datasets.grasps import grasp_library, object_surface
from trackbench.plugins.datasets.motion import (  # noqa: F401  (WORKSPACE_STARTS: tests, docs)
    WORKSPACE_STARTS, HandGoal, demonstration, wrist_start,
)

PAPER_OBJECTS = ("002_master_chef_can", "036_wood_block", "010_potted_meat_can", "025_mug",
                 "024_bowl", "005_tomato_soup_can")
PLACEMENT_HALF_WIDTH = 0.10  # m, as the tasks place objects
APPROACH_SPREAD = np.pi / 4  # rad either side of the approach direction
MAX_TRIES = 50  # demonstrations drawn per sequence until one keeps the hand out of the goal
GOAL_TOLERANCE = 0.002  # m a keypoint may enter the goal's hull (fingertips end on it)
DISTRACTOR_CLEARANCE = 0.01  # m between distractors and the hand or the lifted goal
MAX_TIME_SCALE = 4.0  # slowest play-back factor (the sequences grow as long)
_GOLDEN = 0.6180339887498949  # i·φ⁻¹ mod 1 spreads sequences evenly over the split fractions


class SyntheticSpec(DatasetSpec):
    # Bounded: every sequence is generated and held in memory.
    num_sequences: int = Field(default=1000, ge=1, le=100_000,
                               description="sequences to generate")
    seed: int = Field(default=0, ge=0, description="sequence i is generated from (seed, i)")
    objects: tuple[str, ...] = Field(
        default=PAPER_OBJECTS, min_length=1,
        description="YCB names (or DexYCB ids) that may appear; those the hand finds no grasp "
                    "for are distractors only")
    max_objects: int = Field(default=3, ge=1, le=3, description="objects per scene, at most")
    drawer_fraction: float = Field(default=0.0, ge=0.0, le=1.0, description=(
        "share of sequences that open the cabinet task's drawer instead of grasping and lifting "
        "(the `drawer` module; 0 = grasp-and-lift only, as DexYCB)"))
    starts: Literal["workspace", "person"] = Field(default="workspace", description=(
        "where the hand starts: workspace (every region the robots' resets cover) or person "
        "(a person's side of the table only)"))
    approach: Literal["person", "start"] = added_setting(
        "person", before="person", since="2026-12-04", description=(
        "the direction the hand comes in to grasp: person (from +y, ±45°: a person across the "
        "table) or start (from the side the hand starts on, ±45°: a hand that starts beside "
        "the object, as a robot's does, reaches it from there)"))
    time_scale: LowHigh = added_setting(
        (1.0, 1.0), before=(1.0, 1.0), since="2026-12-02", description=(
        "[low, high]: each sequence is played slower by a factor drawn uniformly from this "
        "range (resampled in time; 2 = half the speed, 1 = as generated). Robot arms move "
        "slower than people; a predictor that has seen slow motions continues them"))
    val_fraction: float = Field(default=0.1, ge=0.0, le=0.5,
                                description="share of sequences in val")
    test_fraction: float = Field(default=0.1, ge=0.0, le=0.5, description="share in test")

    @field_validator("objects")
    @classmethod
    def _known_objects(cls, names: tuple[str, ...]) -> tuple[str, ...]:
        from trackbench.api import ycb

        for name in names:
            try:
                ycb.class_id(name)
            except TrackbenchError as error:
                raise ValueError(str(error)) from None
        return names

    @field_validator("time_scale")
    @classmethod
    def _slower_not_faster(cls, scale: tuple[float, float]) -> tuple[float, float]:
        low, high = scale
        if not 1.0 <= low <= high <= MAX_TIME_SCALE:
            raise ValueError(f"time_scale must be [low, high] with 1 ≤ low ≤ high ≤ "
                             f"{MAX_TIME_SCALE:g} (slower only: faster than the generated "
                             f"motion is faster than people move), got [{low:g}, {high:g}]")
        return scale

    @model_validator(mode="after")
    def _generated_not_read(self):
        if self.path is not None:
            raise ValueError("the synthetic dataset is generated, not read: leave `path` unset "
                             "(to read a set written by `trackbench data synth`, use 'trackr')")
        return self


class SyntheticDataset(Dataset):
    """Generated grasp-and-lift (and drawer-opening) demonstrations of a model human hand
    (synthetic, not recorded)."""

    name = "synthetic"
    Spec = SyntheticSpec
    version = 2  # 2: rests up to 1.2 s, relaxed hands from open to curled

    @classmethod
    def check_spec(cls, spec: SyntheticSpec, how_to_set: str = PATH_HINT) -> None:
        """Raise TrackbenchError if the settings leave the 'train' split empty (the methods and
        the predictor train on it). Computed from :meth:`split_of`, the generator's own split,
        stopping at the first training sequence: nothing is generated. Sequence 0 is always in
        train unless val_fraction + test_fraction reach 1, so num_sequences alone never empties
        it."""
        dataset = cls(spec)
        if not any(dataset.split_of(index) == "train" for index in range(spec.num_sequences)):
            raise TrackbenchError(
                f"dataset 'synthetic': val_fraction {spec.val_fraction:g} and test_fraction "
                f"{spec.test_fraction:g} put all {spec.num_sequences} sequences in val or test, "
                f"so its 'train' split is empty; keep val_fraction + test_fraction below 1")

    def sequences(self, split: str | None = None) -> Iterator[HumanSequence]:
        if split is not None and split not in SPLITS:
            raise TrackbenchError(f"unknown split '{split}'. Valid splits: {', '.join(SPLITS)}.")
        for index in range(self.spec.num_sequences):
            if split is None or self.split_of(index) == split:
                yield self.slowed(self.generate(index), index)

    def slowed(self, sequence: HumanSequence, index: int) -> HumanSequence:
        """``sequence`` played slower by sequence ``index``'s ``time_scale`` factor (a random
        stream of its own, so that a set's factors never change its motions' shapes)."""
        low, high = self.spec.time_scale
        if high == 1.0:
            return sequence
        factor = np.random.default_rng([self.spec.seed, index, 2]).uniform(low, high)
        return dataclasses.replace(
            sequence, keypoints=resample(sequence.keypoints, POLICY_HZ, POLICY_HZ * factor),
            object_points=resample(sequence.object_points, POLICY_HZ, POLICY_HZ * factor))

    def split_of(self, index: int) -> str:
        position = (index * _GOLDEN) % 1.0
        if position < 1.0 - self.spec.val_fraction - self.spec.test_fraction:
            return "train"
        return "val" if position < 1.0 - self.spec.test_fraction else "test"

    def generate(self, index: int) -> HumanSequence:
        """Sequence `index` of this spec's set (depends only on the seed and the index)."""
        rng = np.random.default_rng([self.spec.seed, index])
        if self.is_drawer(index):
            return self._drawer_sequence(index, rng)
        ids = self._object_ids()
        goal = _pick_goal(rng, ids)
        others = [cid for cid in ids if cid != goal]
        wanted = min(int(rng.integers(1, self.spec.max_objects + 1)) - 1, len(others))
        distractors = [others[k] for k in rng.permutation(len(others))[:wanted]]

        for _ in range(MAX_TRIES):  # a demonstration whose hand enters the goal is redrawn
            if self.spec.approach == "person":
                placement, start = _goal_placement(rng, goal), None
            else:
                placement, start = _placement_from_start(rng, goal, self.spec.starts)
            keypoints, lift = _demonstration(rng, *placement, starts=self.spec.starts,
                                             start=start)
            if _hand_clear_of_goal(keypoints, lift, goal, *placement[1:]):
                break
        else:
            raise TrackbenchError(f"synthetic sequence {index}: no collision-free demonstration "
                                  f"on object {goal} in {MAX_TRIES} tries")
        _, rotation, position = placement
        goal_cloud = _posed_cloud(goal, rotation, position)[None] + lift[:, None, :]
        objects = [(goal, rotation, position)] + _place_distractors(
            rng, distractors, position, _footprint_radius(goal), keypoints, goal_cloud)
        order = rng.permutation(len(objects))  # the goal's index in the scene is not always 0
        clouds = [goal_cloud if k == 0 else
                  np.broadcast_to(_posed_cloud(*objects[k]), goal_cloud.shape) for k in order]
        return HumanSequence(
            name=f"synthetic-s{self.spec.seed}/seq_{index:05d}",
            keypoints=keypoints.astype(np.float32),
            object_points=np.stack(clouds, axis=1).astype(np.float32),
            object_ids=np.asarray([objects[k][0] for k in order], dtype=np.int64),
            grasped=int(np.argmin(order)),
            split=self.split_of(index),
        )

    def is_drawer(self, index: int) -> bool:
        """Whether sequence `index` opens the drawer (a stream of its own: the grasp-and-lift
        sequences of a set with drawers equal those of the same set without)."""
        if self.spec.drawer_fraction == 0.0:
            return False
        return bool(np.random.default_rng([self.spec.seed, index, 1]).random()
                    < self.spec.drawer_fraction)

    def _drawer_sequence(self, index: int, rng: np.random.Generator) -> HumanSequence:
        keypoints, pulled = drawer.opening(rng, starts=self.spec.starts)
        return HumanSequence(
            name=f"synthetic-s{self.spec.seed}/drawer_{index:05d}",
            keypoints=keypoints.astype(np.float32),
            object_points=drawer.handle_cloud(pulled)[:, None].astype(np.float32),
            object_ids=np.array([drawer.HANDLE_ID], dtype=np.int64),
            grasped=0,
            split=self.split_of(index),
        )

    def _object_ids(self) -> list[int]:
        from trackbench.api import ycb

        return list(dict.fromkeys(ycb.class_id(name) for name in self.spec.objects))


def _pick_goal(rng: np.random.Generator, object_ids: list[int]) -> int:
    from trackbench.api import ycb

    graspable = [cid for cid in object_ids if grasp_library(cid)]
    if not graspable:
        names = ", ".join(ycb.YCB_CLASSES[cid] for cid in object_ids)
        raise TrackbenchError(f"the synthetic hand finds no grasp on any of {names}; "
                              "add a graspable object (e.g. 005_tomato_soup_can)")
    return graspable[rng.integers(len(graspable))]


def _goal_placement(rng: np.random.Generator, goal: int):
    """(grasp, yaw rotation, rest position) of the goal: a grasp from the library, an approach
    direction from +y (±45°), and the object yaw that makes the two meet."""
    grasp = _draw_grasp(rng, goal)
    approach = -np.pi / 2 + rng.uniform(-APPROACH_SPREAD, APPROACH_SPREAD)
    position = _draw_position(rng, goal)
    return grasp, rotation_z(approach - grasp.azimuth), position


def _placement_from_start(rng: np.random.Generator, goal: int, starts: str):
    """((grasp, yaw rotation, rest position), wrist start [3]): the goal's placement and a hand
    start drawn first, the approach direction from the start's side (the horizontal direction
    start → object, ±45°), and the object yaw that makes grasp and approach meet."""
    grasp = _draw_grasp(rng, goal)
    position = _draw_position(rng, goal)
    start = wrist_start(rng, starts, position)
    toward = position[:2] - start[:2]
    approach = np.arctan2(toward[1], toward[0]) + rng.uniform(-APPROACH_SPREAD, APPROACH_SPREAD)
    return (grasp, rotation_z(approach - grasp.azimuth), position), start


def _draw_grasp(rng: np.random.Generator, goal: int):
    library = grasp_library(goal)
    return library[rng.integers(len(library))]


def _draw_position(rng: np.random.Generator, goal: int) -> np.ndarray:
    from trackbench.api import ycb

    return np.array([*rng.uniform(-PLACEMENT_HALF_WIDTH, PLACEMENT_HALF_WIDTH, 2),
                     ycb.half_height(goal)])


def _posed_cloud(class_id: int, rotation: np.ndarray, position: np.ndarray) -> np.ndarray:
    return _task_cloud(class_id) @ rotation.T + position


@functools.lru_cache(maxsize=None)
def _task_cloud(class_id: int) -> np.ndarray:
    """The 100 points the tasks track on this class (ycb.surface_points, seed 0), object frame."""
    from trackbench.api import ycb

    cloud = ycb.surface_points(class_id, 100, seed=0)
    cloud.flags.writeable = False
    return cloud


def _in_object_frame(points: np.ndarray, rotation: np.ndarray, position: np.ndarray):
    return (points - position) @ rotation


def _hand_clear_of_goal(keypoints, lift, goal, rotation, position) -> bool:
    """Whether no keypoint enters the goal (its hull) by more than GOAL_TOLERANCE before the
    lift; once lifted, hand and goal move together and keep the grasp's geometry."""
    still = np.all(lift == 0.0, axis=1)
    relative = _in_object_frame(keypoints[still], rotation, position)
    return bool(object_surface(goal).signed_distance(relative)[0].min() >= -GOAL_TOLERANCE)


def _place_distractors(rng, distractors, goal_position, goal_radius, keypoints, goal_cloud):
    """(id, yaw rotation, position) of each distractor that fits: footprint apart from the other
    objects', hull DISTRACTOR_CLEARANCE away from every keypoint and the goal at every frame.
    A distractor that fits nowhere in 30 draws is left out."""
    from trackbench.api import ycb

    placed, footprints = [], [(goal_position, goal_radius)]
    moving = np.concatenate([keypoints, goal_cloud], axis=1).reshape(-1, 3)
    for cid in distractors:
        radius = _footprint_radius(cid)
        for _ in range(30):
            position = np.array([*rng.uniform(-PLACEMENT_HALF_WIDTH, PLACEMENT_HALF_WIDTH, 2),
                                 ycb.half_height(cid)])
            rotation = rotation_z(rng.uniform(-np.pi, np.pi))
            if any(np.linalg.norm(position[:2] - p[:2]) < radius + r + 0.01 for p, r in footprints):
                continue
            # Only points inside the distractor's bounding cylinder (plus clearance) can touch it.
            near = (np.linalg.norm(moving[:, :2] - position[:2], axis=1)
                    < radius + DISTRACTOR_CLEARANCE) & (moving[:, 2] < 2 * position[2]
                                                        + DISTRACTOR_CLEARANCE)
            relative = _in_object_frame(moving[near], rotation, position)
            if not near.any() or object_surface(cid).signed_distance(relative)[0].min() \
                    >= DISTRACTOR_CLEARANCE:
                placed.append((cid, rotation, position))
                footprints.append((position, radius))
                break
    return placed


def _footprint_radius(class_id: int) -> float:
    from trackbench.api import ycb

    vertices, _ = ycb.mesh(class_id)
    return float(np.linalg.norm(vertices[:, :2], axis=1).max())


def _demonstration(rng: np.random.Generator, grasp, object_rotation, object_position,
                   starts: str = "workspace", start: np.ndarray | None = None):
    """Keypoints [T, 21, 3] of one reach-grasp-lift of the goal, and its displacement [T, 3];
    the hand starts at ``start`` (wrist, m) if given, else one drawn from ``starts``."""
    wrist_grasp = object_rotation @ grasp.wrist + object_position
    approach = object_rotation @ grasp.approach
    up = np.array([0.0, 0.0, 1.0])
    if grasp.family == "top":  # come down onto the object
        pre_grasp = wrist_grasp + up * rng.uniform(0.05, 0.09) - approach * rng.uniform(0.0, 0.04)
    else:  # come in along the approach axis
        pre_grasp = wrist_grasp - approach * rng.uniform(0.05, 0.10) + up * rng.uniform(0.02, 0.05)
    goal = HandGoal(rotation=object_rotation @ grasp.rotation, wrist=wrist_grasp,
                    pre_grasp=pre_grasp, closure=grasp.closure, synergy=grasp.synergy,
                    target=object_position)
    return demonstration(rng, goal, _draw_lift, starts, start=start)


def _draw_lift(rng: np.random.Generator) -> np.ndarray:
    """The lift [3] (m): 10–20 cm up, a little toward the person."""
    return np.array([rng.uniform(-0.03, 0.03), rng.uniform(0.0, 0.06), rng.uniform(0.10, 0.20)])
