"""pytest-benchmark: one control step of 64 envs per robot (run with `make bench`)."""

from __future__ import annotations

import pytest
import torch

from trackbench.harness.build import make_engine, make_robot
from trackbench.harness.plugins import load_registry
from trackbench.harness.scene import table_with_box

REGISTRY = load_registry()


@pytest.mark.parametrize("robot", REGISTRY.names("robots"))
def test_control_step_64_envs(benchmark, robot):
    engine = make_engine(REGISTRY, "mujoco", make_robot(REGISTRY, robot), table_with_box(), 64, 0)
    generator = torch.Generator().manual_seed(0)
    actions = torch.rand(64, engine.num_actions, generator=generator) * 2 - 1
    benchmark.extra_info["physics_steps_per_control"] = engine.spec.physics_steps_per_control
    state = benchmark(engine.step, actions)
    assert bool(state.is_finite().all())
