"""Construct plugin instances from names and spec overrides (used by run, show and bench)."""

from __future__ import annotations

from typing import Any

from trackbench.harness.errors import TrackbenchError
from trackbench.harness.registry import Registry
from trackbench.harness.scene import Scene, table_with_box


def make_robot(registry: Registry, name: str, overrides: dict[str, Any] | None = None):
    spec = registry.resolve_spec("robots", name, overrides or {})
    return registry.get("robots", name).cls(spec)


def make_task(registry: Registry, name: str, overrides: dict[str, Any] | None = None):
    spec = registry.resolve_spec("tasks", name, overrides or {})
    return registry.get("tasks", name).cls(spec)


def make_engine(registry: Registry, name: str, robot, scene: Scene, num_envs: int, seed: int,
                overrides: dict[str, Any] | None = None):
    spec = registry.resolve_spec("engines", name, overrides or {})
    return registry.get("engines", name).cls(spec, robot, scene, num_envs, seed)


def scene_for(registry: Registry, task: str | None) -> Scene:
    """The task's scene, or the engine's own table-and-box scene when no task is named."""
    if task is None:
        return table_with_box()
    if not callable(getattr(registry.get("tasks", task).cls, "scene", None)):
        raise TrackbenchError(f"task '{task}' does not provide a scene() to build")
    return make_task(registry, task).scene()
