"""`trackbench show --robot R [--task T] --out scene.png`: render a scene to check it by eye."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from trackbench.harness import console


def show_command(
    robot: str = typer.Option(..., "--robot", help="robot name"),
    task: Optional[str] = typer.Option(None, "--task", help="task whose scene to build and reset"),
    out: Path = typer.Option(Path("scene.png"), "--out", help="PNG file to write"),
    engine: str = typer.Option("mujoco", "--engine"),
    env: int = typer.Option(0, "--env", min=0, help="env to render; env i runs the task's scene "
                            "variant i mod the number of variants"),
    seed: int = typer.Option(0, "--seed", min=0, help="seed of the task's reset"),
    width: int = typer.Option(960, "--width", min=16, max=4096),
    height: int = typer.Option(720, "--height", min=16, max=4096),
    camera: Optional[str] = typer.Option("front", "--camera", help="named camera; '' = free camera"),
) -> None:
    """Render one environment offscreen as the task resets it, keypoints drawn as coloured spheres."""
    # Deferred: they import torch and MuJoCo, which `trackbench --help` must not pay for.
    from trackbench.harness.build import make_engine, make_robot, make_task, start_episodes
    from trackbench.harness.plugins import load_registry
    from trackbench.harness.png import write_png
    from trackbench.harness.scene import table_with_box

    registry = load_registry()
    registry.raise_problems()
    arm_and_hand = make_robot(registry, robot)
    the_task = make_task(registry, task) if task is not None else None
    scenes = the_task.scenes() if the_task is not None else (table_with_box(),)
    sim = make_engine(registry, engine, arm_and_hand, scenes, num_envs=env + 1, seed=seed)
    if the_task is not None:
        start_episodes(the_task, sim, seed)
    image = sim.render(env, width, height, camera or None, keypoints=True)
    write_png(out, image)
    console.out.print(
        f"wrote {out} ({width}×{height}): robot {robot}, scene {task or 'table + box'}, env {env}; "
        "keypoints: thumb red, index green, middle blue, ring yellow, little magenta, wrist white"
    )
