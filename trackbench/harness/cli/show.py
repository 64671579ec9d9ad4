"""`trackbench show --robot R [--task T] --out scene.png`: render a scene to check it by eye."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from trackbench.harness import console
from trackbench.harness.build import make_engine, make_robot, scenes_for
from trackbench.harness.plugins import load_registry
from trackbench.harness.png import write_png


def show_command(
    robot: str = typer.Option(..., "--robot", help="robot name"),
    task: Optional[str] = typer.Option(None, "--task", help="task whose scene to build"),
    out: Path = typer.Option(Path("scene.png"), "--out", help="PNG file to write"),
    engine: str = typer.Option("mujoco", "--engine"),
    width: int = typer.Option(960, "--width", min=16, max=4096),
    height: int = typer.Option(720, "--height", min=16, max=4096),
    camera: Optional[str] = typer.Option("front", "--camera", help="named camera; '' = free camera"),
) -> None:
    """Render one environment offscreen, keypoints drawn as coloured spheres."""
    registry = load_registry()
    registry.raise_problems()
    scene = scenes_for(registry, task)
    sim = make_engine(registry, engine, make_robot(registry, robot), scene, num_envs=1, seed=0)
    image = sim.render(0, width, height, camera or None, keypoints=True)
    write_png(out, image)
    console.out.print(
        f"wrote {out} ({width}×{height}): robot {robot}, scene {task or 'table + box'}; keypoints: "
        "thumb red, index green, middle blue, ring yellow, little magenta, wrist white"
    )
