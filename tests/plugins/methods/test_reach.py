"""Method `reach`: the fingertips' mean distance to the target, as a reward, on grasp_lift."""

from __future__ import annotations

import pytest
import torch

from trackbench.harness.env import VecEnv
from trackbench.harness.matrix import plan
from trackbench.harness.plugins import load_registry
from trackbench.harness.specs import MatrixSpec

REGISTRY = load_registry()


@pytest.mark.parametrize("form", ["tanh", "negative"])
def test_reach_rewards_the_mean_fingertip_distance_to_the_target(form):
    matrix = MatrixSpec(robots=["allegro"], tasks=["grasp_lift"], methods=["reach"], agent_steps=10,
                        num_envs=2, overrides={"method": {"form": form, "scale": 0.2}})
    env = VecEnv.build(plan(matrix, REGISTRY)[0], REGISTRY)
    assert env.term_names == ["reach", "energy"]  # energy weighted 0 by default
    step = env.step(torch.rand(2, env.num_actions) * 2 - 1)
    state = env.engine.state
    distance = (state.keypoints - state.object_pos[:, :1]).norm(dim=-1).mean(dim=1)
    expected = 1 - torch.tanh(distance / 0.2) if form == "tanh" else -distance
    assert torch.allclose(step.reward, expected, atol=1e-6)
    assert abs(env.method.metrics()["mean_tip_distance"] - float(distance.mean())) < 1e-5
    assert env.method.metrics()["mean_tip_distance"] == 0.0  # reset by the call before
