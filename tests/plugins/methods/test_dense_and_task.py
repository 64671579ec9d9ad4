"""Methods `dense` and `task`: one reward group of the task + the energy penalty, on every task."""

from __future__ import annotations

import pytest
import torch

from trackbench.harness.env import VecEnv
from trackbench.harness.errors import TrackbenchError
from trackbench.harness.matrix import plan
from trackbench.harness.plugins import load_registry
from trackbench.harness.rewards import ENERGY_TERMS, RewardManager, RewardTerm, evaluate
from trackbench.harness.specs import MatrixSpec
from trackbench.plugins.methods.dense import Dense
from trackbench.plugins.methods.task import TaskMethod

REGISTRY = load_registry()
GROUP = {"dense": "dense", "task": "task"}


@pytest.mark.parametrize("task", REGISTRY.names("tasks"))
@pytest.mark.parametrize("method", sorted(GROUP))
def test_reward_is_the_tasks_group_plus_energy_on_every_task(task, method):
    matrix = MatrixSpec(robots=["allegro"], tasks=[task], methods=[method], agent_steps=10, num_envs=2)
    env = VecEnv.build(plan(matrix, REGISTRY)[0], REGISTRY)
    group = env.task.reward_terms()[GROUP[method]]
    assert env.term_names == [t.name for t in group] + [t.name for t in ENERGY_TERMS]
    env.step(torch.rand(2, env.num_actions) * 2 - 1)
    frame = env.task.update(env.engine.state)
    values = RewardManager(env.method).step(frame)[0]
    expected = evaluate(tuple(group) + ENERGY_TERMS, frame)
    assert list(values) == list(expected)
    for name in values:
        assert torch.allclose(values[name], expected[name]), name
    assert (values["energy"] <= 0).all()


class TwoGroups:
    """Just enough of a task for set-up: named groups of terms."""

    name = "stub"

    def __init__(self, groups):
        self.groups = groups

    def reward_terms(self):
        return self.groups


def constant(frame):
    """1"""
    return torch.ones(2)


def test_energy_scale_and_the_two_groups():
    task = TwoGroups({"task": (RewardTerm("bonus", constant, 5.0),),
                      "dense": (RewardTerm("shaping", constant, 2.0),)})
    robot = REGISTRY.get("robots", "allegro").cls.Spec()
    dense, task_only = Dense(Dense.Spec(energy_scale=0.0)), TaskMethod(TaskMethod.Spec())
    dense.setup(task, robot, 2)
    task_only.setup(task, robot, 2)
    assert RewardManager(dense).names == ["shaping", "energy"]
    assert RewardManager(task_only).names == ["bonus", "energy"]
    assert dense.terms(task)[-1].weight == 0.0 and task_only.terms(task)[-1].weight == 1.0
    assert TaskMethod.name == "task" and Dense.name == "dense"


def test_a_missing_group_or_a_clashing_name_is_a_user_error():
    robot = REGISTRY.get("robots", "allegro").cls.Spec()
    with pytest.raises(TrackbenchError, match="defines no 'dense' reward group"):
        Dense(Dense.Spec()).setup(TwoGroups({"task": ()}), robot, 2)
    method = TaskMethod(TaskMethod.Spec())
    method.setup(TwoGroups({"task": (RewardTerm("energy", constant),)}), robot, 2)
    with pytest.raises(TrackbenchError, match="method 'task': reward terms share the name 'energy'"):
        RewardManager(method)


def test_dense_reach_weight_adds_the_reach_term_before_energy():
    matrix = MatrixSpec(robots=["allegro"], tasks=["grasp_lift"], methods=["dense"], agent_steps=10,
                        num_envs=2, overrides={"method": {"reach_weight": 3.0, "reach_scale": 0.1}})
    env = VecEnv.build(plan(matrix, REGISTRY)[0], REGISTRY)
    group = [t.name for t in env.task.reward_terms()["dense"]]
    assert env.term_names == group + ["reach", "energy"]
    env.step(torch.rand(2, env.num_actions) * 2 - 1)
    frame = env.task.update(env.engine.state)
    values = RewardManager(env.method).step(frame)[0]
    state = env.engine.state
    distance = (state.keypoints - state.object_pos[:, :1]).norm(dim=-1).mean(dim=1)
    assert torch.allclose(values["reach"], 3.0 * (1 - torch.tanh(distance / 0.1)), atol=1e-6)


def test_dense_reach_is_off_by_default_and_refuses_a_negative_weight():
    assert [t.name for t in Dense(Dense.Spec()).terms(TwoGroups({"dense": ()}))] == ["energy"]
    with pytest.raises(ValueError):
        Dense.Spec(reach_weight=-1.0)
