"""A small real task for the training tests: the engine's table-and-box scene with a fixed rule.

Even envs succeed at control step ``succeed_at``; odd envs never succeed and run into the
episode's time-out. So per-episode success rates are known exactly, whatever the policy does.
"""

from __future__ import annotations

import torch
from pydantic import Field

from trackbench.harness.plugins import load_registry
from trackbench.harness.registry import Registry
from trackbench.harness.rewards import RewardTerm
from trackbench.harness.scene import table_with_box
from trackbench.harness.task import ResetPlan, Task, TaskFrame, TaskSpec, randomized_joints


def tip_box_distances(frame: TaskFrame) -> torch.Tensor:
    state = frame.state
    return (state.keypoints - state.object_pos[:, :1]).norm(dim=-1)  # [N, K]


def reach(frame: TaskFrame) -> torch.Tensor:
    """−mean_k ‖tip_k − box‖"""
    return -tip_box_distances(frame).mean(dim=1)


def bonus(frame: TaskFrame) -> torch.Tensor:
    """[success]"""
    return frame.success.float()


class ProbeTask(Task):
    """Probe: even envs succeed at a fixed step, odd envs time out."""

    name = "probe"

    class Spec(TaskSpec):
        episode_length: int = Field(default=8, gt=0, description="control steps per episode")
        succeed_at: int = Field(default=5, gt=0, description="step at which even envs succeed")

    def scenes(self):
        return (table_with_box(),)

    def reset(self, env_ids, generator):
        qpos = randomized_joints(self.robot, len(env_ids), 0.1, 0.1, generator, self.device)
        return ResetPlan(robot_qpos=qpos)

    def begin(self, env_ids, state):
        pass

    def events(self):
        return ("lift", "odd")

    def update(self, state):
        ids = torch.arange(state.num_envs, device=state.step.device)
        success = (ids % 2 == 0) & (state.step == self.spec.succeed_at)
        return TaskFrame(state, len(self.robot.arm_joints), success, torch.zeros_like(success),
                         flags={"lift": state.object_pos[:, 0, 2] > 0.2, "odd": ids % 2 == 1})

    def reward_terms(self):
        return {"task": (RewardTerm("bonus", bonus, 10.0),),
                "dense": (RewardTerm("reach", reach, 1.0), RewardTerm("bonus", bonus, 1.0))}

    def policy_points(self, state):
        return state.object_points[:, 0]

    def privileged(self, frame):
        return tip_box_distances(frame)


def probe_registry() -> Registry:
    """The installed plugins plus the probe task."""
    registry = load_registry()
    registry.add("tasks", ProbeTask, "tests", "tests.harness.training.probe")
    return registry
