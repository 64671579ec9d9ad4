"""Grasps of the human hand model on the YCB objects, found by closing the fingers until contact.

For one object class we try a grid of hand placements in the object frame (bounding-box centre
origin, upright, as in ``trackbench.kit.ycb``) and keep the ones a person could use:

- *side* grasps: the palm faces the object from the side at some height, fingers horizontal
  (tilted by a roll about the approach axis), thumb up — how one picks up a glass;
- *rim* grasps: the hand hangs over the object's edge, fingers down its far side, thumb on top;
- *top* grasps: the palm faces down over the object (from before its centre to over its far
  rim), fingers pitched down along the approach direction — how one picks up a block.

For each placement the palm is backed off along the approach axis (side, rim) or raised (top)
until its skin is just clear of the object; then every finger closes from the open pre-shape
along the first of ``human_hand.SYNERGIES`` that brings its tip onto the surface before any of
its joints sinks in, without dipping under the table. A placement is kept when the thumb, index
and middle tips touch (ring and little touch too when they can, else they curl freely), each
tip within TIP_TO_MESH of the real mesh, the thumb opposes the fingers, the open hand is clear
and nothing goes below the table. Most objects keep 5-35 grasps of the 288 tried; flat or
thin ones (the bowl, scissors, marker, boxes lying flat) keep none.

The contact surface is the object's convex hull as MuJoCo builds it for the simulated tasks
(``ycb.HULL_MAX_VERTICES``): the human hand meets the same solid the robot hand meets, so the
hollows of the bowl and the mug are closed, as in the simulator. Inside a convex hull the signed
distance is exactly the largest face-plane distance, so contact detection is exact and cheap.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from trackbench.api import nearest_indices, rotation_about, sample_surface, ycb
from trackbench.plugins.datasets import human_hand

AZIMUTHS = 12  # approach directions tried around the object
PALM_CLEARANCE = 0.006  # m between the palm's skin and the object
JOINT_CLEARANCE = 0.0  # joint centres stay outside the object (they sit inside the finger)
TABLE_CLEARANCE = 0.007  # joint centres (~7 mm inside the skin) stay this far above the table ...
TIP_TABLE_CLEARANCE = 0.002  # ... and fingertips this far (pads may slide under a low rim)
TIP_TO_MESH = 0.004  # a tip on the hull must also be this close to the real surface
# Side grasps: roll of the hand about the approach axis (deg) and palm heights as fractions of
# the object's height.
SIDE_POSES = ((-25.0, (0.35, 0.55, 0.75)), (0.0, (0.35, 0.55, 0.75)), (25.0, (0.35, 0.55, 0.75)))
RIM_HEIGHTS = (0.03, 0.045, 0.06)  # rim grasps: palm centre this far above the object's top
SHIFTS = (-0.5, 0.0, 0.5, 1.0)  # top grasps: palm centre from before the centre to over the rim
OPPOSITION = 0.3  # the thumb's contact normal · the fingers' mean normal stays below −this
FREE_CLOSURE = 0.7  # fingers off the object curl at most this far ...
FREE_CLEARANCE = 0.005  # ... keeping this far from object and table
OPEN_CLOSURE = -0.15  # the open pre-shape the fingers close from (extended base joints)
SWEEP = np.linspace(OPEN_CLOSURE, 1.0, 24)  # closures tried per finger, open to fist
FAR = 0.02  # m beyond an object's bounding sphere: far enough not to need the exact distance


@dataclass(frozen=True)
class Grasp:
    """One grasp in the object frame: hand pose, per-finger pose, approach direction."""

    family: str  # "side" or "top"
    rotation: np.ndarray  # [3, 3] hand frame → object frame
    wrist: np.ndarray  # [3] wrist position, object frame
    closure: np.ndarray  # [5] per finger, along its synergy (human_hand.synergy_pose)
    synergy: np.ndarray  # [5, 2]
    contact: np.ndarray  # [5] bool: whose tip touches the object (thumb, index, middle always)
    approach: np.ndarray  # [3] unit horizontal direction from the hand toward the object

    def keypoints(self) -> np.ndarray:
        """The hand's 21 keypoints [21, 3] in the object frame."""
        local = human_hand.local_keypoints(*human_hand.synergy_pose(self.closure, self.synergy))
        return local @ self.rotation.T + self.wrist

    @property
    def azimuth(self) -> float:
        return float(np.arctan2(self.approach[1], self.approach[0]))


class ObjectSurface:
    """One YCB class as the simulator collides it (convex hull) plus samples of its real mesh."""

    def __init__(self, class_id: int):
        vertices, faces = ycb.mesh(class_id)
        self.half_height = float(vertices[:, 2].max())
        self.radius = float(np.linalg.norm(vertices[:, :2], axis=1).max())
        self.mesh_points, _ = sample_surface(vertices, faces, 4000, seed=0)
        hull_vertices, hull_faces = _mujoco_hull(class_id)
        a, b, c = (hull_vertices[hull_faces[:, k]] for k in range(3))
        normals = np.cross(b - a, c - a)
        normals /= np.linalg.norm(normals, axis=1, keepdims=True)
        centre = hull_vertices.mean(axis=0)
        normals *= np.sign(np.einsum("fj,fj->f", a - centre, normals))[:, None]  # outward
        self.normals, self.offsets = normals, np.einsum("fj,fj->f", normals, a)
        self._centre = (hull_vertices.min(axis=0) + hull_vertices.max(axis=0)) / 2
        self._bound = float(np.linalg.norm(hull_vertices - self._centre, axis=1).max())
        self._normals32 = np.ascontiguousarray(normals.T, dtype=np.float32)
        self._offsets32 = self.offsets.astype(np.float32)

    def signed_distance(self, queries: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(signed distance [...], outward normal [..., 3]) per query: inside the hull and near
        it, the largest face-plane distance and that face's normal (exact inside, a lower bound
        outside); beyond FAR of the bounding sphere, the distance to that sphere and a zero
        normal (no query that far needs more)."""
        flat = np.asarray(queries, dtype=np.float64).reshape(-1, 3)
        distance = np.linalg.norm(flat - self._centre, axis=1) - self._bound
        normal = np.zeros_like(flat)
        near = np.nonzero(distance < FAR)[0]
        points = flat[near].astype(np.float32)
        for start in range(0, len(near), 4096):  # [4096, faces] planes stay in cache
            # Flat float32 products: numpy would loop over tiny ones for a batched operand.
            planes = points[start:start + 4096] @ self._normals32 - self._offsets32
            face = planes.argmax(axis=1)
            chunk = near[start:start + 4096]
            distance[chunk] = planes[np.arange(len(chunk)), face]
            normal[chunk] = self.normals[face]
        return distance.reshape(queries.shape[:-1]), normal.reshape(queries.shape)

    def clearance_offsets(self, points: np.ndarray, directions: np.ndarray, margin: float):
        """How far [N] each point set points[n] [P, 3] must move along directions[n] [3] for
        all its points to be `margin` outside the hull: each point leaves through the first
        face plane it can cross moving that way."""
        along = directions @ self.normals.T  # [N, F]
        need = margin + self.offsets - points @ self.normals.T  # [N, P, F], ≤ 0: already clear
        exits = np.where(along[:, None, :] > 1e-9, need / np.maximum(along[:, None, :], 1e-9),
                         np.inf)
        exits = np.where(need <= 0, 0.0, exits)
        return np.maximum(exits.min(axis=-1), 0.0).max(axis=-1)

    def distance_to_mesh(self, queries: np.ndarray) -> np.ndarray:
        """Unsigned distance [...] to the nearest sample of the real (not hull) surface."""
        nearest = nearest_indices(queries, self.mesh_points)
        return np.linalg.norm(queries - self.mesh_points[nearest], axis=-1)


def _mujoco_hull(class_id: int) -> tuple[np.ndarray, np.ndarray]:
    """The convex hull MuJoCo collides for `class_id`: vertices [V, 3] (object frame), faces."""
    import mujoco

    spec = mujoco.MjSpec()
    ycb.add_object(spec, "object", class_id, (0.0, 0.0, 0.0), free=False)
    model = spec.compile()
    # mesh_graph: numvert, numface, vert_edgeadr[numvert], vert_globalid[numvert],
    # edge_localid[numvert + 3 numface], face_globalid[3 numface]
    graph = model.mesh_graph[model.mesh_graphadr[0]:]
    numvert, numface = int(graph[0]), int(graph[1])
    start = 2 + 3 * numvert + 3 * numface
    faces = graph[start:start + 3 * numface].reshape(numface, 3)
    first = model.mesh_vertadr[0]
    vertices = model.mesh_vert[first:first + model.mesh_vertnum[0]].astype(np.float64)
    # MuJoCo moves the mesh into its inertial frame and compensates with the geom pose.
    rotation = np.zeros(9)
    mujoco.mju_quat2Mat(rotation, model.geom_quat[0])
    vertices = vertices @ rotation.reshape(3, 3).T + model.geom_pos[0]
    return vertices, faces


def _candidates(surface: ObjectSurface):
    """Arrays over every placement on the grid: family names [N], hand rotations [N, 3, 3],
    anchor points [N, 3] and unit approach directions [N, 3] (horizontal, hand → object)."""
    up = np.array([0.0, 0.0, 1.0])
    hh = surface.half_height
    families, rotations, anchors, approaches = [], [], [], []
    for k in range(AZIMUTHS):
        theta = 2 * np.pi * k / AZIMUTHS
        approach = np.array([np.cos(theta), np.sin(theta), 0.0])
        side = np.stack([np.cross(approach, up), up, -approach], axis=1)  # fingers ⟂, thumb up
        for roll, fractions in SIDE_POSES:
            for fraction in fractions:
                families.append("side")
                rotations.append(rotation_about(approach, np.radians(roll)) @ side)
                anchors.append([0.0, 0.0, -hh + 2 * hh * fraction])
                approaches.append(approach)
        hanging = rotation_about(approach, np.pi / 2) @ side  # fingers down, palm toward object
        for height in RIM_HEIGHTS:
            families.append("rim")
            rotations.append(hanging)
            anchors.append([0.0, 0.0, hh + height])
            approaches.append(approach)
        top = np.stack([approach, np.cross(up, approach), up], axis=1)  # palm down, fingers along
        for pitch in np.radians([20.0, 40.0, 60.0]):
            for shift in SHIFTS:
                families.append("top")
                rotations.append(rotation_about(top[:, 1], pitch) @ top)
                anchors.append(shift * surface.radius * approach + [0.0, 0.0, hh])
                approaches.append(approach)
    return np.array(families), np.array(rotations), np.array(anchors), np.array(approaches)


def _place_palms(surface: ObjectSurface, families, rotations, anchors, approaches) -> np.ndarray:
    """Wrist positions [N, 3] that put the hand PALM_CLEARANCE off the object: it backs off from
    its anchor along the approach axis (side, rim) or rises (top) until the palm is clear, and
    for rim grasps the open fingers too, so that they hang outside the rim."""
    palm = np.einsum("nij,pj->npi", rotations, human_hand.palm_points())  # [N, P, 3]
    start = anchors - palm.mean(axis=1)
    open_hand = human_hand.local_keypoints(np.full(5, OPEN_CLOSURE), np.zeros(5))[1:]
    fingers = np.einsum("nij,pj->npi", rotations, open_hand)
    rim = (families == "rim")[:, None, None]
    clear = np.concatenate([palm, np.where(rim, fingers, palm[:, :1])], axis=1)
    direction = np.where((families == "top")[:, None], [0.0, 0.0, 1.0], -approaches)
    offsets = surface.clearance_offsets(start[:, None] + clear, direction, PALM_CLEARANCE)
    return start + offsets[:, None] * direction


def _finger_points(keypoints: np.ndarray) -> np.ndarray:
    """Per finger, its three joint centres and three phalanx midpoints: [..., 5, 6, 3]."""
    base = 4 * np.arange(5)[:, None]
    starts = keypoints[..., base + np.array([1, 2, 3]), :]
    ends = keypoints[..., base + np.array([2, 3, 4]), :]
    return np.concatenate([starts, (starts + ends) / 2], axis=-2)


def _in_object(rotations, wrists, local) -> np.ndarray:
    """Hand-frame points [..., N, K, 3] → object frame, for hands n = rotations[n], wrists[n]."""
    return np.einsum("nij,...nkj->...nki", rotations, local) + wrists[:, None]


def _close_fingers(surface: ObjectSurface, rotations, wrists) -> tuple[np.ndarray, ...]:
    """Close each finger of each hand until its tip meets the object.

    Every synergy in ``human_hand.SYNERGIES`` is tried; a finger takes the first one whose tip
    reaches the surface before any of its joints sinks in, above the table all the way. A ring or
    little finger with no such contact curls freely instead (``_free_fingers``). Returns the
    closure [N, 5] and synergy [N, 5, 2] of each finger, and which fingers [N, 5] touch.
    """
    n, synergies = len(wrists), human_hand.SYNERGIES[:, None, None, None, :]  # [S,1,1,1,2]
    tips = list(human_hand.TIP_INDICES)
    closure = np.broadcast_to(SWEEP[None, :, None, None], (len(synergies), len(SWEEP), n, 5))
    local = human_hand.local_keypoints(*human_hand.synergy_pose(closure, synergies))[..., tips, :]
    swept = _in_object(rotations, wrists, local)  # [S, K, N, 5, 3]
    distance, _ = surface.signed_distance(swept)
    inside = distance <= 0.0
    k = np.maximum(inside.argmax(axis=1), 1)  # first sweep step past the surface
    # The tip must not dip under the table on its way to the object, either.
    on_the_way = np.arange(len(SWEEP))[None, :, None, None] < k[:, None]
    lowest = np.where(on_the_way, swept[..., 2], np.inf).min(axis=1)  # [S, N, 5]
    lo, hi = SWEEP[k - 1], SWEEP[k]
    synergies = synergies[:, 0]  # [S, 1, 1, 2]
    # A finger whose joints are already in the object one step before its tip is blocked.
    pose = human_hand.synergy_pose(lo, synergies)
    before = _finger_points(_in_object(rotations, wrists, human_hand.local_keypoints(*pose)))
    found = (inside.any(axis=1) & ~inside[:, 0]
             & (surface.signed_distance(before)[0].min(-1) >= JOINT_CLEARANCE)
             & (lowest >= -surface.half_height + TIP_TABLE_CLEARANCE))
    for _ in range(11):  # bisection to 0.05 / 2^11 of closure: hundredths of a mm at the tip
        mid = (lo + hi) / 2
        local = human_hand.local_keypoints(*human_hand.synergy_pose(mid, synergies))[..., tips, :]
        d, _ = surface.signed_distance(_in_object(rotations, wrists, local))
        lo, hi = np.where(d > 0, mid, lo), np.where(d > 0, hi, mid)
    flex, curl = human_hand.synergy_pose(hi, synergies)  # [S, N, 5]; hi: on or just inside
    keypoints = _in_object(rotations, wrists, human_hand.local_keypoints(flex, curl))
    points = _finger_points(keypoints)  # [S, N, 5, 6, 3]
    table = -surface.half_height
    usable = (found & (surface.signed_distance(points)[0].min(axis=-1) >= JOINT_CLEARANCE)
              & (points[..., 2].min(axis=-1) >= table + TABLE_CLEARANCE)
              & (keypoints[..., tips, 2] >= table + TIP_TABLE_CLEARANCE))
    choice = usable.argmax(axis=0)  # first usable synergy per finger
    closure = np.take_along_axis(hi, choice[None], axis=0)[0]
    contact = usable.any(axis=0)
    loose = ~contact & (np.arange(5) >= 3)  # only ring and little may stay off the object
    closure = np.where(loose, _free_fingers(surface, rotations, wrists), closure)
    choice = np.where(loose, 0, choice)  # free fingers curl along the balanced synergy
    return closure, human_hand.SYNERGIES[choice], contact


def _free_fingers(surface: ObjectSurface, rotations, wrists) -> np.ndarray:
    """Balanced-synergy closure [N, 5] of ring and little fingers that touch nothing: as far as
    FREE_CLOSURE while every point of the finger, tip included, keeps FREE_CLEARANCE from object
    and table (nan where even the open hand is too close, and for the other fingers)."""
    steps = SWEEP[SWEEP <= FREE_CLOSURE]
    keypoints = _in_object(rotations, wrists, human_hand.local_keypoints(
        np.broadcast_to(steps[:, None, None], (len(steps), len(wrists), 5))))  # [K, N, 21, 3]
    points = np.concatenate([_finger_points(keypoints),
                             keypoints[..., list(human_hand.TIP_INDICES), None, :]], axis=-2)
    points = points[:, :, 3:]  # ring and little: [K, N, 2, 7, 3]
    clear = ((surface.signed_distance(points)[0].min(-1) >= FREE_CLEARANCE)
             & (points[..., 2].min(-1) >= -surface.half_height + FREE_CLEARANCE))  # [K, N, 2]
    last = np.where(np.cumprod(clear, axis=0).astype(bool), np.arange(len(steps))[:, None, None],
                    -1).max(axis=0)  # last step of the clear prefix
    closure = np.full((len(wrists), 5), np.nan)
    closure[:, 3:] = np.where(last >= 0, steps[np.maximum(last, 0)], np.nan)
    return closure


def _acceptable(surface: ObjectSurface, rotations, wrists, closure, synergy, contact):
    """Per-criterion pass masks [N] for whole hands in their grasp poses."""
    pose = human_hand.synergy_pose(np.nan_to_num(closure), synergy)
    keypoints = _in_object(rotations, wrists, human_hand.local_keypoints(*pose))
    tips = list(human_hand.TIP_INDICES)
    joints = [j for j in range(21) if j not in tips]
    distance, normal = surface.signed_distance(keypoints)
    touching = np.where(contact, np.abs(distance[:, tips]), 0.0)
    to_mesh = np.where(contact, surface.distance_to_mesh(keypoints[:, tips]), 0.0)
    fingers = (normal[:, tips[1:]] * contact[:, 1:, None]).sum(axis=1)
    table = -surface.half_height
    # The hand arrives open and closes from there: the open hand must be clear as well.
    opened = _in_object(rotations, wrists, human_hand.local_keypoints(
        np.full(5, OPEN_CLOSURE), np.zeros(5))[None].repeat(len(wrists), axis=0))
    return {
        "open hand clear": (surface.signed_distance(opened)[0].min(axis=1) >= 0.0)
        & (opened[..., 2].min(axis=1) >= table + TIP_TABLE_CLEARANCE),
        "thumb, index and middle touch": contact[:, :3].all(axis=1),
        "other fingers touch or curl": ~np.isnan(closure).any(axis=1),
        "tips on hull": touching.max(axis=1) <= 0.001,
        "tips on mesh": to_mesh.max(axis=1) <= TIP_TO_MESH,
        "joints outside": distance[:, joints].min(axis=1) >= JOINT_CLEARANCE,
        "above table": (keypoints[:, joints, 2].min(axis=1) >= table + TABLE_CLEARANCE)
        & (keypoints[:, tips, 2].min(axis=1) >= table + TIP_TABLE_CLEARANCE),
        "thumb opposes": np.einsum("ni,ni->n", normal[:, 4], fingers)
        < -OPPOSITION * np.linalg.norm(fingers, axis=1),
    }


@functools.lru_cache(maxsize=None)
def object_surface(class_id: int) -> ObjectSurface:
    """The ObjectSurface of one class, built once per process."""
    return ObjectSurface(class_id)


@functools.lru_cache(maxsize=None)
def grasp_library(class_id: int) -> tuple[Grasp, ...]:
    """Every acceptable grasp of one class, possibly none (computed once per process and kept
    in memory; about a second per class)."""
    surface = object_surface(class_id)
    families, rotations, anchors, approaches = _candidates(surface)
    wrists = _place_palms(surface, families, rotations, anchors, approaches)
    closure, synergy, contact = _close_fingers(surface, rotations, wrists)
    checks = _acceptable(surface, rotations, wrists, closure, synergy, contact)
    keep = np.logical_and.reduce(list(checks.values()))
    return tuple(
        Grasp(str(families[n]), rotations[n], wrists[n], closure[n], synergy[n], contact[n],
              approaches[n])
        for n in np.nonzero(keep)[0]
    )
