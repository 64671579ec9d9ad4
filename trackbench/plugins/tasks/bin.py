"""The open bin of `lift_throw`: a fixed floor and four walls of box geoms, and its inner volume.

The paper's bucket (`urdf/bucket.urdf`, VHACD collision) is not published; this square bin
stands in for it. It is part of the world (no joint), so only the robot and the objects touch it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import torch

if TYPE_CHECKING:
    import mujoco

BIN_RGBA = (0.25, 0.45, 0.6, 1.0)


@dataclass(frozen=True)
class Bin:
    """A square-footprint bin whose floor's underside sits at `floor_z`."""

    center: tuple[float, float]  # xy of the bin's axis, world frame
    floor_z: float  # height of the floor's underside
    inner_half: tuple[float, float]  # half the inner width along x and y
    wall_height: float  # from the floor's top surface to the rim
    thickness: float = 0.01  # of the floor and of each wall

    @property
    def floor_top(self) -> float:
        return self.floor_z + self.thickness

    def inner_bounds(self) -> tuple[tuple[float, float, float], tuple[float, float, float]]:
        """(low, high) corners of the inner volume: on the floor, inside the walls, up to the rim."""
        (cx, cy), (hx, hy) = self.center, self.inner_half
        return ((cx - hx, cy - hy, self.floor_top),
                (cx + hx, cy + hy, self.floor_top + self.wall_height))

    def contains(self, points: torch.Tensor) -> torch.Tensor:
        """[...] bool: which points [..., 3] lie inside the inner volume."""
        low, high = (torch.tensor(corner, dtype=points.dtype, device=points.device)
                     for corner in self.inner_bounds())
        return ((points >= low) & (points <= high)).all(dim=-1)

    def add_to(self, model: "mujoco.MjSpec", name: str = "bin") -> None:
        """Add the floor and walls to the world body as fixed geoms `<name>_floor`, `<name>_wall_*`."""
        import mujoco

        from trackbench.api import WORLD_CONAFFINITY, WORLD_CONTYPE

        (cx, cy), (hx, hy), t = self.center, self.inner_half, self.thickness
        wall_z = self.floor_top + self.wall_height / 2
        half_wall = self.wall_height / 2
        boxes = {  # name: (centre, half sizes); the x walls span the full outer width
            "floor": ((cx, cy, self.floor_z + t / 2), (hx + t, hy + t, t / 2)),
            "wall_px": ((cx + hx + t / 2, cy, wall_z), (t / 2, hy + t, half_wall)),
            "wall_nx": ((cx - hx - t / 2, cy, wall_z), (t / 2, hy + t, half_wall)),
            "wall_py": ((cx, cy + hy + t / 2, wall_z), (hx, t / 2, half_wall)),
            "wall_ny": ((cx, cy - hy - t / 2, wall_z), (hx, t / 2, half_wall)),
        }
        for part, (pos, half_sizes) in boxes.items():
            model.worldbody.add_geom(
                name=f"{name}_{part}", type=mujoco.mjtGeom.mjGEOM_BOX, pos=list(pos),
                size=list(half_sizes), rgba=list(BIN_RGBA), contype=WORLD_CONTYPE,
                conaffinity=WORLD_CONAFFINITY, friction=[1.0, 0.005, 0.0001],
            )
