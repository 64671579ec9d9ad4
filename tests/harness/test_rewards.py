"""The reward manager: a method's terms checked once, evaluated once per step, summed per episode."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
import torch

from trackbench.harness.errors import TrackbenchError
from trackbench.harness.method import Method, MethodSpec
from trackbench.harness.rewards import (
    RewardManager, RewardTerm, energy_terms, name_problems, reward_problems,
)


def height(frame) -> torch.Tensor:
    """z of object 0"""
    return frame.state.object_pos[:, 0, 2]


class Counting(Method):
    """A method whose term reads what observe() stored: the number of steps observed."""

    name = "counting"
    Spec = MethodSpec

    def setup(self, task, robot, num_envs, context=None) -> None:
        super().setup(task, robot, num_envs, context)
        self.observed = 0

    def observe(self, frame) -> None:
        self.observed += 1

    def terms(self, task):
        return (RewardTerm("height", height, 2.0),
                RewardTerm("count", lambda frame: torch.full((2,), float(self.observed))),
                *task.extra)


def counting(extra=()) -> Counting:
    method = Counting(MethodSpec())
    method.setup(SimpleNamespace(extra=extra, reward_terms=dict), None, 2)
    return method


def frame_at(z: list[float]):
    object_pos = torch.zeros(2, 1, 3)
    object_pos[:, 0, 2] = torch.tensor(z)
    return SimpleNamespace(state=SimpleNamespace(object_pos=object_pos))


def test_each_step_observes_then_evaluates_every_weighted_term_and_sums_the_episode():
    rewards = RewardManager(counting())
    assert rewards.names == ["height", "count"]
    values, reward = rewards.step(frame_at([0.5, 1.0]))
    assert values["height"].tolist() == [1.0, 2.0] and values["count"].tolist() == [1.0, 1.0]
    assert reward.tolist() == [2.0, 3.0]
    values, reward = rewards.step(frame_at([0.0, 0.25]), keep=torch.tensor([True, False]))
    assert values["count"].tolist() == [2.0, 0.0] and reward.tolist() == [2.0, 0.0]  # env 1 kept out
    finished = rewards.pop(torch.tensor([1]))
    assert finished == {"height": torch.tensor([2.0]), "count": torch.tensor([1.0])}
    assert rewards.sums["height"].tolist() == [1.0, 0.0]  # env 1 starts again, env 0 runs on
    restored = RewardManager(counting())
    restored.load_state_dict(rewards.state_dict())
    assert all(torch.equal(restored.sums[n], rewards.sums[n]) for n in rewards.names)


def test_a_term_name_used_twice_is_refused_before_setup_and_when_the_run_starts():
    clash = (RewardTerm("height", height),)
    problems = reward_problems(Counting(MethodSpec()), SimpleNamespace(extra=clash))
    assert problems == ["reward terms share the name 'height' (terms: height, count, height); "
                        "each term is logged as term/<name>, so names must differ"]
    with pytest.raises(TrackbenchError, match="method 'counting': reward terms share the name"):
        RewardManager(counting(clash))
    assert name_problems(energy_terms()) == []


def test_a_method_that_is_not_set_up_has_no_reward_yet():
    with pytest.raises(RuntimeError, match="needs setup"):
        RewardManager(Counting(MethodSpec()))


def test_energy_terms_scale_the_shared_penalty_and_keep_its_name():
    (energy,) = energy_terms(0.5)
    assert energy.name == "energy" and energy.weight == 0.5
    assert energy.formula == "−(0.003·Σ|q̇_arm| + 0.0003·Σ|q̇_hand|)"
