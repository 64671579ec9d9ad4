"""grasp_lift: pick one YCB object up from the table and hold it at a goal point above it.

As the paper's released code (`AllegroXarmNew`): one object per env, the six `simpleObjects`
round-robin over envs, spawned upright at a random xy within ±0.10 m of the table centre; success
once the object centre has stayed within 0.1125 m of the goal for 50 consecutive control steps;
failure once it leaves the table area or falls below the table top. Shared logic: `lifting.py`.
"""

from __future__ import annotations

from trackbench.plugins.tasks.lifting import (
    PointGoalSpec, PointGoalTask, SpawnSpec, scattered_positions, tabletop_scene,
)


class GraspLift(PointGoalTask):
    """Grasp one YCB object from the table and hold it at a goal 0.32 m above the table."""

    name = "grasp_lift"

    class Spec(PointGoalSpec, SpawnSpec):
        pass

    def build_scenes(self):
        return tuple(tabletop_scene((name,)) for name in self.spec.objects)

    def object_positions(self, variants, generator):
        return scattered_positions(self.spec, self.rest_heights(variants), generator)
