"""Evaluation never changes what it measures: the same policy, evaluated twice, scores the same."""

from __future__ import annotations

import pytest

from tests.harness.training.test_training import (  # noqa: F401 (fixtures)
    method_settings, plan_cell, registry, tiny_predictor,
)
from trackbench.harness.results import RunDir
from trackbench.harness.training.evaluate import evaluate_policy
from trackbench.harness.training.ppo import PPOSpec
from trackbench.harness.training.trainer import train_cell

TWO_EPOCHS = 64  # 4 envs × horizon 8 × 2 PPO epochs


def _evaluate(trained, spec) -> dict:
    ppo = PPOSpec(**spec.ppo_spec)
    return evaluate_policy(trained.agent.model, trained.env, ppo.eval_episodes, ppo.eval_seed)


@pytest.mark.parametrize("method", ["dense", "task", "track", "amp"])
def test_evaluating_a_policy_twice_and_after_reloading_gives_the_same_numbers(
        method, registry, tmp_path, request):
    # amp would otherwise update its discriminator during the evaluation it is scored by.
    settings = method_settings(method, request) | ({"update_every": 2} if method == "amp" else {})
    spec = plan_cell(registry, method, steps=TWO_EPOCHS, method_spec=settings)
    run = RunDir.for_spec(tmp_path, spec)
    run.prepare(spec)

    trained = train_cell(spec, registry, run)
    first = _evaluate(trained, spec)
    second = _evaluate(trained, spec)
    reloaded = _evaluate(train_cell(spec, registry, run), spec)  # from the checkpoint, no training

    assert first["episodes"] == 4 and any(name.startswith("term/") for name in first)
    assert second == first
    assert reloaded == first
