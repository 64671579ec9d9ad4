"""Construct plugin instances from names and spec overrides (used by run, show and bench)."""

from __future__ import annotations

from typing import Any

from trackbench.harness.registry import Registry
from trackbench.harness.scene import Scene, table_with_box


def make_robot(registry: Registry, name: str, overrides: dict[str, Any] | None = None):
    spec = registry.resolve_spec("robots", name, overrides or {})
    return registry.get("robots", name).cls(spec)


def make_task(registry: Registry, name: str, overrides: dict[str, Any] | None = None):
    spec = registry.resolve_spec("tasks", name, overrides or {})
    return registry.get("tasks", name).cls(spec)


def make_engine(registry: Registry, name: str, robot, scenes: Scene | tuple[Scene, ...],
                num_envs: int, seed: int, overrides: dict[str, Any] | None = None):
    spec = registry.resolve_spec("engines", name, overrides or {})
    return registry.get("engines", name).cls(spec, robot, scenes, num_envs, seed)


def scenes_for(registry: Registry, task: str | None) -> tuple[Scene, ...]:
    """The task's scene variants, or the engine's own table-and-box scene when no task is named."""
    if task is None:
        return (table_with_box(),)
    return tuple(make_task(registry, task).scenes())


def start_episodes(task, engine, seed: int, device: str = "cpu") -> None:
    """Set the task up on every env of `engine` and reset them all as training does: the task's
    reset plan (drawn from a generator seeded with `seed`), then the engine, then the task's
    episode buffers from the post-reset State."""
    import torch

    task.setup(engine.robot.spec, engine.num_envs, device)
    env_ids = torch.arange(engine.num_envs)
    plan = task.reset(env_ids, torch.Generator().manual_seed(seed))
    engine.reset(env_ids, **plan.as_kwargs())
    task.begin(env_ids, engine.state)
