"""grasp_lift_clutter: pick the named object out of three and hold it at the goal.

As the paper's released code (`AllegroXarmMultiObj`): three objects per env on three distinct
cells, drawn at random per reset, of a 3 × 3 grid centred on the table (x offsets −0.223, 0,
0.223; y offsets −0.147, 0, 0.147); no further noise. Tracked object 0 is the target: its DexYCB
class id is the predictor's goal label and the policy sees only its point cloud, while the
predictor sees all three. Success and failure are grasp_lift's, judged on the target only.
"""

from __future__ import annotations

import torch
from pydantic import Field, field_validator

from trackbench.plugins.tasks.lifting import (
    PointGoalSpec, PointGoalTask, check_classes, tabletop_scene,
)

# Each of the paper's six objects is the target of one triple and a distractor in two others.
DEFAULT_TRIPLES = (
    ("002_master_chef_can", "036_wood_block", "025_mug"),
    ("036_wood_block", "010_potted_meat_can", "024_bowl"),
    ("010_potted_meat_can", "025_mug", "005_tomato_soup_can"),
    ("025_mug", "024_bowl", "002_master_chef_can"),
    ("024_bowl", "005_tomato_soup_can", "036_wood_block"),
    ("005_tomato_soup_can", "002_master_chef_can", "010_potted_meat_can"),
)


class GraspLiftClutter(PointGoalTask):
    """Grasp the target among three YCB objects and hold it at a goal 0.32 m above the table."""

    name = "grasp_lift_clutter"

    class Spec(PointGoalSpec):
        triples: tuple[tuple[str, str, str], ...] = Field(
            default=DEFAULT_TRIPLES, min_length=1,
            description="object classes per scene variant (target first); env i gets triples[i % len]")
        grid_center: tuple[float, float] = Field(default=(0.0, -0.05), description=(
            "xy of the grid's middle cell (paper: its table centre, (0, −0.05))"))
        grid_x: tuple[float, ...] = Field(default=(-0.223, 0.0, 0.223), min_length=1,
                                          description="x offsets of the grid's columns (m)")
        grid_y: tuple[float, ...] = Field(default=(-0.147, 0.0, 0.147), min_length=1,
                                          description="y offsets of the grid's rows (m)")

        @field_validator("triples")
        @classmethod
        def _distinct_known_classes(cls, triples):
            for triple in triples:
                check_classes(triple)
                if len(set(triple)) != len(triple):
                    raise ValueError(f"a triple repeats an object: {triple}")
            return triples

        @field_validator("grid_y")
        @classmethod
        def _enough_cells(cls, grid_y, info):
            if len(grid_y) * len(info.data.get("grid_x", ())) < 3:
                raise ValueError("the grid needs at least 3 cells for 3 objects")
            return grid_y

    def build_scenes(self):
        return tuple(tabletop_scene(triple) for triple in self.spec.triples)

    def object_positions(self, variants, generator):
        spec = self.spec
        xs, ys = torch.meshgrid(torch.tensor(spec.grid_x), torch.tensor(spec.grid_y), indexing="ij")
        cells = torch.stack([xs.flatten(), ys.flatten()], dim=1) + torch.tensor(spec.grid_center)
        n, n_obj = len(variants), 3
        chosen = torch.rand(n, len(cells), generator=generator).argsort(dim=1)[:, :n_obj]
        return torch.cat([cells[chosen], self.rest_heights(variants)[..., None]], dim=2)
