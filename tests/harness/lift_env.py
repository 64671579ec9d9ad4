"""A real allegro / grasp_lift VecEnv with the dense method, for the start-curriculum tests."""

from __future__ import annotations

from trackbench.harness.build import make_engine, make_robot, make_task
from trackbench.harness.context import RunContext
from trackbench.harness.env import VecEnv
from trackbench.harness.plugins import load_registry

REGISTRY = load_registry()


def make_lift_env(task_fields: dict, num_envs: int, seed: int = 0,
                  robot_fields: dict | None = None) -> VecEnv:
    """grasp_lift with ``task_fields``, allegro with ``robot_fields``, on the MuJoCo engine."""
    task = make_task(REGISTRY, "grasp_lift", task_fields)
    robot = make_robot(REGISTRY, "allegro", robot_fields)
    task.setup(robot.spec, num_envs)
    method = REGISTRY.get("methods", "dense").cls(REGISTRY.resolve_spec("methods", "dense", {}))
    method.setup(task, robot.spec, num_envs, RunContext(REGISTRY))
    engine = make_engine(REGISTRY, "mujoco", robot, task.scenes(), num_envs, seed)
    return VecEnv(engine, task, method, seed=seed)
