"""Shared by the task tests: build a task on a real engine, hold poses, hand-made States."""

from __future__ import annotations

from dataclasses import replace

import torch

from trackbench.harness.build import make_engine, make_robot, make_task, start_episodes
from trackbench.harness.plugins import load_registry

REGISTRY = load_registry()


def start(task_name: str, robot_name: str = "allegro", num_envs: int = 2, seed: int = 0,
          **overrides):
    """(task, engine): the task's scenes on the MuJoCo engine, every env reset by the task."""
    task = make_task(REGISTRY, task_name, overrides)
    engine = make_engine(REGISTRY, "mujoco", make_robot(REGISTRY, robot_name), task.scenes(),
                         num_envs, seed)
    start_episodes(task, engine, seed)
    return task, engine


def hold_actions(engine) -> torch.Tensor:
    """Actions that keep every joint target where it is: arm deltas 0, hand targets re-scaled."""
    robot = engine.robot.spec
    n_arm = len(robot.arm_joints)
    lower = torch.tensor([j.lower for j in robot.hand_joints])
    upper = torch.tensor([j.upper for j in robot.hand_joints])
    actions = torch.zeros(engine.num_envs, robot.num_dof)
    hand_targets = engine.state.joint_target[:, n_arm:]
    actions[:, n_arm:] = 2.0 * (hand_targets - lower) / (upper - lower) - 1.0
    return actions


def free_objects(engine) -> list[bool]:
    """Per tracked object: whether its body moves on a free joint (rather than a hinge, a slide)."""
    import mujoco

    model = engine.model
    free = []
    for tracked in engine.scene.objects:
        body = model.body(tracked.body).id
        free.append(any(model.jnt_bodyid[j] == body and model.jnt_type[j] == mujoco.mjtJoint.mjJNT_FREE
                        for j in range(model.njnt)))
    return free


def with_target_at(state, position) -> object:
    """`state` with tracked object 0's centre moved to `position` ([3] or [N, 3])."""
    object_pos = state.object_pos.clone()
    object_pos[:, 0] = torch.as_tensor(position, dtype=object_pos.dtype)
    return replace(state, object_pos=object_pos)


def place(engine, task, positions) -> None:
    """Reset every env with the task's robot pose and the objects at `positions` [N, n_obj, 3]."""
    ids = torch.arange(engine.num_envs)
    plan = task.reset(ids, torch.Generator().manual_seed(0))
    engine.reset(ids, robot_qpos=plan.robot_qpos, object_pos=positions, object_quat=plan.object_quat)
    task.begin(ids, engine.state)
