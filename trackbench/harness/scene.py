"""What a task hands an engine: how to add its scene to the model, and which bodies to track.

Engines only know MJCF (both the CPU MuJoCo engine and MuJoCo Warp compile the same MjSpec), so a
scene is a function that edits the model plus a declarative list of tracked bodies.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable

import numpy as np

if TYPE_CHECKING:
    import mujoco

TABLE_TOP_Z = 0.0  # the world frame's origin is the table-top centre

# Collision groups: robot geoms collide with the world and objects, never with each other
# (hand self-collision is off, as is common in IsaacGym hand tasks, and it halves contact work).
ROBOT_CONTYPE, ROBOT_CONAFFINITY = 2, 1
WORLD_CONTYPE, WORLD_CONAFFINITY = 1, 3


@dataclass(frozen=True)
class TrackedObject:
    """A body whose pose, velocity and point cloud appear in State.

    If the body has a free joint, the engine can place it at reset (``init_pos``/``init_quat``);
    otherwise (a drawer, a handle) it is posed by the model's joints.
    """

    body: str
    class_id: int  # DexYCB class id 1..21, 0 for non-YCB objects (the predictor's padding id)
    points: np.ndarray  # [P, 3] surface samples in the body frame
    init_pos: tuple[float, float, float] = (0.0, 0.0, 0.0)
    init_quat: tuple[float, float, float, float] = (1.0, 0.0, 0.0, 0.0)


@dataclass(frozen=True)
class Scene:
    build: Callable[["mujoco.MjSpec"], None]  # adds table, objects and fixtures to the model
    objects: tuple[TrackedObject, ...] = ()
    articulations: tuple[str, ...] = ()  # joint names reported in State.articulation_pos


def check_variants(scenes: tuple[Scene, ...]) -> None:
    """Variants of one task's scene must line up: same tracked bodies and articulations."""
    from trackbench.harness.errors import TrackbenchError

    if not scenes:
        raise TrackbenchError("a task must provide at least one scene")
    first = scenes[0]
    for scene in scenes[1:]:
        if [o.body for o in scene.objects] != [o.body for o in first.objects] \
                or scene.articulations != first.articulations \
                or {o.points.shape for o in scene.objects} != {o.points.shape for o in first.objects}:
            raise TrackbenchError(
                "scene variants differ in their tracked objects or articulations: "
                f"{[o.body for o in first.objects]} vs {[o.body for o in scene.objects]}"
            )


def box_points(half_sizes, count: int, seed: int = 0) -> np.ndarray:
    """`count` points sampled uniformly (by area) on a box surface, in the box frame."""
    rng = np.random.default_rng(seed)
    hx, hy, hz = half_sizes
    areas = np.array([hy * hz, hy * hz, hx * hz, hx * hz, hx * hy, hx * hy])
    faces = rng.choice(6, size=count, p=areas / areas.sum())
    uv = rng.uniform(-1.0, 1.0, size=(count, 3))
    points = uv * np.array([hx, hy, hz])
    axis, sign = faces // 2, np.where(faces % 2 == 0, 1.0, -1.0)
    points[np.arange(count), axis] = sign * np.array([hx, hy, hz])[axis]
    return points


def add_stage(model: "mujoco.MjSpec") -> None:
    """Floor, light and a front camera: what every scene shares."""
    import mujoco

    world = model.worldbody
    world.add_geom(type=mujoco.mjtGeom.mjGEOM_PLANE, pos=[0, 0, -0.75], size=[2, 2, 0.1],
                   rgba=[0.35, 0.37, 0.4, 1])
    world.add_light(pos=[0.3, -0.6, 1.6], dir=[-0.2, 0.4, -1], diffuse=[0.8, 0.8, 0.8])
    world.add_light(pos=[-0.5, 0.8, 1.5], dir=[0.3, -0.5, -1], diffuse=[0.4, 0.4, 0.4])
    world.add_camera(name="front", pos=[0.0, -1.0, 0.75], xyaxes=[1, 0, 0, 0, 0.6, 0.8])


def add_table(model: "mujoco.MjSpec", half_sizes=(0.4, 0.3, 0.375), center=(0.0, 0.0)) -> None:
    """A fixed table whose top is the world origin's plane (z = 0)."""
    import mujoco

    model.worldbody.add_geom(
        name="table", type=mujoco.mjtGeom.mjGEOM_BOX,
        pos=[center[0], center[1], TABLE_TOP_Z - half_sizes[2]], size=list(half_sizes),
        rgba=[0.62, 0.5, 0.38, 1], contype=WORLD_CONTYPE, conaffinity=WORLD_CONAFFINITY,
        friction=[1.0, 0.005, 0.0001],
    )


def table_with_box(half_size: float = 0.03, mass: float = 0.1) -> Scene:
    """The engine's own test scene: a table and one free box resting on it."""
    import mujoco

    pos = (0.0, 0.0, TABLE_TOP_Z + half_size)

    def build(model: "mujoco.MjSpec") -> None:
        add_stage(model)
        add_table(model)
        body = model.worldbody.add_body(name="box", pos=list(pos))
        body.add_freejoint(name="box_free")
        body.add_geom(type=mujoco.mjtGeom.mjGEOM_BOX, size=[half_size] * 3, mass=mass,
                      rgba=[0.2, 0.5, 0.85, 1], contype=WORLD_CONTYPE, conaffinity=WORLD_CONAFFINITY)

    points = box_points((half_size,) * 3, 100)
    return Scene(build=build, objects=(TrackedObject("box", 0, points, pos),))
