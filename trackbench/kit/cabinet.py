"""The cabinet of the `cabinet` task and of the synthetic drawer openings, written with MjSpec:
a fixed carcass, a top drawer on a prismatic joint and a bar handle on the drawer front.

Placement follows the paper's code: the cabinet frame sits at (0, −0.45, 0.20) with yaw +90°, so
its local +x (the drawer's opening direction) is world +y, toward the robot at y = +0.45. The
proportions are a simplified IKEA Sektion (the model the paper used): the top drawer's joint
travels 0..0.4 m and its handle sits at z ≈ 0.52, about where the Sektion's top handle is in the
paper's scene. Local frame: x out of the drawer front, y along the handle bar, z up.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import mujoco

PREFIX = "cabinet/"
CARCASS_BODY = PREFIX + "carcass"
DRAWER_BODY = PREFIX + "drawer"
HANDLE_BODY = PREFIX + "handle"
DRAWER_JOINT = PREFIX + "drawer_slide"

CABINET_POS = (0.0, -0.45, 0.20)  # the paper's cabinet origin (world)
CABINET_YAW = math.pi / 2  # local +x → world +y
DRAWER_TRAVEL = 0.4  # m, the Sektion's drawer_top limit

# Carcass extents in the cabinet frame (m). Its bottom rests on the table top (world z = 0).
WIDTH, DEPTH_BACK, DEPTH_FRONT = 0.60, -0.15, 0.30  # y half-span 0.30; x from back to front face
BOTTOM, TOP, PANEL = -0.20, 0.42, 0.02
SLOT_LOW, SLOT_HIGH = 0.24, 0.40  # the top drawer's opening in the front (cabinet-frame z)

# The drawer frame is the centre of its front plate's outer face when closed.
DRAWER_ORIGIN = (DEPTH_FRONT, 0.0, (SLOT_LOW + SLOT_HIGH) / 2)
DRAWER_BOX_DEPTH = 0.40
# Handle: a bar across the drawer front on two posts, with a 4 cm gap behind it for the fingers.
HANDLE_GAP = 0.04
HANDLE_HALF = (0.01, 0.08, 0.012)  # bar half sizes: depth (x), length (y), height (z)
HANDLE_POS = (HANDLE_GAP + HANDLE_HALF[0], 0.0, 0.0)  # bar centre in the drawer frame

WORLD_RGBA = {"carcass": (0.86, 0.84, 0.80, 1), "front": (0.45, 0.45, 0.48, 1),
              "handle": (0.75, 0.75, 0.78, 1)}


@dataclass(frozen=True)
class DrawerDynamics:
    """Slide properties. MuJoCo's frictionloss is dry (Coulomb) friction: the drawer does not
    move unless something pushes it with more than this force, as a real drawer on runners."""

    damping: float = 5.0  # N·s/m
    friction: float = 2.0  # N
    mass: float = 1.5  # kg, drawer box + front plate


def handle_points(count: int = 100, seed: int = 0) -> np.ndarray:
    """[count, 3] deterministic samples on the handle bar's surface in the handle body's frame
    (its origin is the bar centre, so these are box-surface samples)."""
    from trackbench.harness.scene import box_points

    return box_points(HANDLE_HALF, count, seed=seed).astype(np.float32)


Vector = tuple[float, float, float]


def handle_boxes() -> tuple[tuple[Vector, Vector, float], ...]:
    """(centre, half sizes, mass kg) of the handle's boxes in the handle body's frame (m): the
    bar, then the two posts from the drawer front to the bar's back face."""
    post_half = (HANDLE_GAP / 2, 0.006, 0.008)
    post_x = -HANDLE_HALF[0] - HANDLE_GAP / 2
    posts = tuple(((post_x, side * (HANDLE_HALF[1] - 0.012), 0.0), post_half, 0.01)
                  for side in (-1, 1))
    return (((0.0, 0.0, 0.0), HANDLE_HALF, 0.05),) + posts


def closed_handle_world_pos() -> np.ndarray:
    """World position of the handle bar's centre with the drawer closed."""
    local = np.add(DRAWER_ORIGIN, HANDLE_POS)
    c, s = math.cos(CABINET_YAW), math.sin(CABINET_YAW)
    return np.array([CABINET_POS[0] + c * local[0] - s * local[1],
                     CABINET_POS[1] + s * local[0] + c * local[1],
                     CABINET_POS[2] + local[2]])


def add_cabinet(model: "mujoco.MjSpec", dynamics: DrawerDynamics = DrawerDynamics()) -> None:
    """Add the carcass, the sliding drawer and its handle to ``model``'s world body."""
    import mujoco

    from trackbench.kit.mjcf import rpy_to_quat

    carcass = model.worldbody.add_body(name=CARCASS_BODY, pos=list(CABINET_POS),
                                       quat=rpy_to_quat(0.0, 0.0, CABINET_YAW))
    _add_carcass_panels(carcass)

    drawer = carcass.add_body(name=DRAWER_BODY, pos=list(DRAWER_ORIGIN))
    drawer.add_joint(name=DRAWER_JOINT, type=mujoco.mjtJoint.mjJNT_SLIDE, axis=[1, 0, 0],
                     range=[0.0, DRAWER_TRAVEL], limited=mujoco.mjtLimited.mjLIMITED_TRUE,
                     damping=dynamics.damping, frictionloss=dynamics.friction)
    _add_drawer_box(drawer, dynamics.mass)

    handle = drawer.add_body(name=HANDLE_BODY, pos=list(HANDLE_POS))
    for centre, half, mass in handle_boxes():
        _box(handle, centre, half, WORLD_RGBA["handle"], mass=mass)

    # The drawer runs inside the carcass without touching it (a prismatic joint models the
    # runners); excluding these pairs keeps contact forces from pushing the drawer by itself.
    for body in (DRAWER_BODY, HANDLE_BODY):
        model.add_exclude(bodyname1=CARCASS_BODY, bodyname2=body)


def _add_carcass_panels(carcass) -> None:
    """Six panels that meet without overlapping (overlapping coplanar faces flicker in renders)."""
    half_w, t = WIDTH / 2, PANEL / 2
    depth_c, depth_h = (DEPTH_FRONT + DEPTH_BACK) / 2, (DEPTH_FRONT - DEPTH_BACK) / 2
    inner_c, inner_h = (TOP + BOTTOM) / 2, (TOP - BOTTOM) / 2 - PANEL  # between top and bottom
    inner_w = half_w - PANEL  # between the sides
    colour = WORLD_RGBA["carcass"]
    _box(carcass, (depth_c, 0, TOP - t), (depth_h, half_w, t), colour)  # top
    _box(carcass, (depth_c, 0, BOTTOM + t), (depth_h, half_w, t), colour)  # bottom
    for side in (-1, 1):
        _box(carcass, (depth_c, side * (half_w - t), inner_c), (depth_h, t, inner_h), colour)
    _box(carcass, (DEPTH_BACK + t, 0, inner_c), (t, inner_w, inner_h), colour)  # back
    # Front below the drawer slot (the doors of the Sektion, here one fixed panel).
    low_c, low_h = (BOTTOM + PANEL + SLOT_LOW) / 2, (SLOT_LOW - BOTTOM - PANEL) / 2
    _box(carcass, (DEPTH_FRONT - t, 0, low_c), (t, inner_w, low_h), WORLD_RGBA["front"])
    # The drawer's shelf: a panel under the slot, so the open drawer has something under it.
    shelf_c, shelf_h = (DEPTH_BACK + PANEL + DEPTH_FRONT - PANEL) / 2, depth_h - PANEL
    _box(carcass, (shelf_c, 0, SLOT_LOW - t), (shelf_h, inner_w, t), colour)


def _add_drawer_box(drawer, mass: float) -> None:
    """Front plate (flush with the carcass front when closed) and an open-topped box behind it."""
    slot_half_h = (SLOT_HIGH - SLOT_LOW) / 2 - 0.004  # 4 mm clearance in the slot
    half_w = WIDTH / 2 - PANEL - 0.004
    wall = 0.006
    inner_h = slot_half_h - 0.01
    box_c = -PANEL - DRAWER_BOX_DEPTH / 2
    parts = [  # (centre, half sizes, share of the mass)
        ((-PANEL / 2, 0, 0), (PANEL / 2, half_w, slot_half_h), 0.4),  # front plate
        ((box_c, 0, -inner_h + wall), (DRAWER_BOX_DEPTH / 2, half_w - wall, wall), 0.3),  # bottom
        ((-PANEL - DRAWER_BOX_DEPTH + wall, 0, 0), (wall, half_w - wall, inner_h), 0.1),  # back
    ]
    parts += [((box_c, side * (half_w - wall), 0), (DRAWER_BOX_DEPTH / 2, wall, inner_h), 0.1)
              for side in (-1, 1)]
    for centre, half, share in parts:
        _box(drawer, centre, half, WORLD_RGBA["front"], mass=share * mass)


def _box(body, pos, half_sizes, rgba, mass: float = 0.0):
    import mujoco

    from trackbench.harness.scene import WORLD_CONAFFINITY, WORLD_CONTYPE

    extra = {"mass": mass} if mass > 0 else {}
    return body.add_geom(type=mujoco.mjtGeom.mjGEOM_BOX, pos=list(pos), size=list(half_sizes),
                         rgba=list(rgba), contype=WORLD_CONTYPE, conaffinity=WORLD_CONAFFINITY,
                         friction=[1.0, 0.005, 0.0001], **extra)
