"""lift_throw: lift a YCB object and drop it into a bin beside the table.

As the paper's released code (`AllegroXarmThrowing`): the object starts at (0, −0.05) on the table,
the bin stands at x = 0.37 (the table area ends at x = 0.335), and the reward is grasp_lift's
lift-gated progress toward a goal 0.10 m above the bin's floor. The paper's bucket mesh is not
published, so the bin is a square box of our own (`bin.py`); it sits on the table top, straddling
the +x edge, where every robot's hand reaches. Success: the object centre stays inside the bin's
inner volume for `hold_steps` consecutive steps. Failure: the object leaves the table area
(which extends over the bin, as the paper's x < 0.90) or drops below the table top, outside the bin.
"""

from __future__ import annotations

from pydantic import Field

from trackbench.api import TABLE_TOP_Z
from trackbench.plugins.tasks.bin import Bin
from trackbench.plugins.tasks.lifting import LiftTask, SpawnSpec, scattered_positions, tabletop_scene


class LiftThrow(LiftTask):
    """Lift a YCB object from the table and drop it into a bin beside it."""

    name = "lift_throw"

    class Spec(SpawnSpec):
        hold_steps: int = Field(default=10, gt=0, description=(
            "consecutive control steps the object centre must stay in the bin (0.5 s: an object "
            "bouncing off the rim does not count; the paper's 50 steps near a goal inside its "
            "bucket amount to the same thing)"))
        area_x: tuple[float, float] = Field(default=(-0.335, 0.90), description=(
            "the episode fails once the object leaves this x range outside the bin (paper: "
            "x < −0.34 or x > 0.90)"))
        spawn_center: tuple[float, float] = Field(default=(0.0, -0.05), description=(
            "xy the object is spawned around (paper: (0, −0.05))"))
        bin_center: tuple[float, float] = Field(default=(0.37, 0.0), description=(
            "xy of the bin's axis (paper's bucket: (0.37, 0))"))
        bin_inner_half: tuple[float, float] = Field(default=(0.11, 0.11), description=(
            "half the bin's inner width along x and y (m); fits every paper object upright"))
        bin_wall_height: float = Field(default=0.12, gt=0, description=(
            "height of the bin's walls above its floor (m)"))
        goal_above_floor: float = Field(default=0.10, gt=0, description=(
            "the goal is this far above the centre of the bin's floor (paper: bucket + 0.10)"))

    @property
    def bin(self) -> Bin:
        spec = self.spec
        return Bin(center=spec.bin_center, floor_z=TABLE_TOP_Z, inner_half=spec.bin_inner_half,
                   wall_height=spec.bin_wall_height)

    def build_scenes(self):
        return tuple(tabletop_scene((name,), extra=self.bin.add_to) for name in self.spec.objects)

    def object_positions(self, variants, generator):
        return scattered_positions(self.spec, self.rest_heights(variants), generator)

    def goal_position(self):
        x, y = self.spec.bin_center
        return (x, y, self.bin.floor_top + self.spec.goal_above_floor)

    def at_goal(self, target, distance):
        return self.bin.contains(target)

    def off_limits(self, target):
        return super().off_limits(target) & ~self.bin.contains(target)
