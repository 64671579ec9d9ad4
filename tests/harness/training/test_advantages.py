"""ppo.advantage_groups=start_kind: each start kind's advantages standardised on their own."""

from __future__ import annotations

import pytest
import torch

from tests.harness.training.probe import probe_registry
from tests.harness.training.test_training import NUM_ENVS, STEPS, TINY_PPO
from trackbench.harness.execute import execute_cell
from trackbench.harness.matrix import plan
from trackbench.harness.results import RunDir
from trackbench.harness.specs import MatrixSpec
from trackbench.harness.training import agent as agent_module
from trackbench.harness.training.advantages import normalised_per_group
from trackbench.harness.training.ppo import PPOSpec, rl_games_config


def test_each_group_has_zero_mean_and_unit_std():
    advantages = torch.tensor([1000.0, -500.0, 2000.0, 0.3, -0.1, 0.2, 0.0])
    groups = torch.tensor([2, 2, 2, 0, 0, 0, 0])
    out = normalised_per_group(advantages, groups)
    for label in (0, 2):
        part = out[groups == label]
        assert part.mean().item() == pytest.approx(0.0, abs=1e-6)
        assert part.std().item() == pytest.approx(1.0, rel=1e-5)


def test_a_small_return_group_is_not_drowned_by_a_large_one():
    """Why the option exists: batch-wide, the small group's advantages shrink to ~1e-4."""
    advantages = torch.tensor([1000.0, -1000.0, 0.2, -0.2])
    groups = torch.tensor([2, 2, 0, 0])
    batch_wide = (advantages - advantages.mean()) / (advantages.std() + 1e-8)
    assert batch_wide[2:].abs().max() < 1e-3
    assert normalised_per_group(advantages, groups)[2:].abs().min() > 0.5


def test_one_group_is_rl_games_batch_normalisation():
    advantages = torch.randn(64, generator=torch.Generator().manual_seed(0)) * 7 + 3
    expected = (advantages - advantages.mean()) / (advantages.std() + 1e-8)
    torch.testing.assert_close(normalised_per_group(advantages, torch.zeros(64, dtype=torch.long)),
                               expected)


def test_a_group_of_one_sample_gets_zero():
    out = normalised_per_group(torch.tensor([5.0, 1.0, 3.0]), torch.tensor([1, 0, 0]))
    assert out[0].item() == 0.0 and torch.isfinite(out).all()


def test_shapes_must_match():
    with pytest.raises(ValueError, match="same 1-d shape"):
        normalised_per_group(torch.zeros(4), torch.zeros(3, dtype=torch.long))


def test_start_kind_needs_normalize_advantage_and_replaces_rl_games_own(tmp_path):
    with pytest.raises(ValueError, match="needs normalize_advantage=true"):
        PPOSpec(advantage_groups="start_kind", normalize_advantage=False)
    assert PPOSpec().advantage_groups == "batch"
    config = rl_games_config(PPOSpec(advantage_groups="start_kind"), num_envs=4, agent_steps=64,
                             seed=0, device="cpu", train_dir=str(tmp_path), layout={},
                             env_key="test")
    assert config["params"]["config"]["normalize_advantage"] is False
    assert config["params"]["config"]["advantage_groups"] == "start_kind"


def test_training_groups_samples_by_the_start_kind_of_their_episode(tmp_path, monkeypatch):
    """End to end: each sample is labelled with its env's start kind, in rl-games' batch order
    (env-major), and the method's update sees the per-group advantages. Env i is made to
    report start kind i % 3, so a wrong order would mislabel samples."""
    from trackbench.harness.env import VecEnv

    monkeypatch.setattr(VecEnv, "start_kinds",
                        property(lambda env: torch.arange(env.num_envs) % 3))
    seen = []

    def spy(advantages, groups):
        out = normalised_per_group(advantages, groups)
        seen.append((groups.clone(), out.clone()))
        return out

    monkeypatch.setattr(agent_module, "normalised_per_group", spy)
    matrix = MatrixSpec(robots=["allegro"], tasks=["probe"], methods=["dense"], agent_steps=STEPS,
                        num_envs=NUM_ENVS,
                        overrides={"ppo": {**TINY_PPO, "advantage_groups": "start_kind"}})
    registry = probe_registry()
    spec = plan(matrix, registry)[0]
    execute_cell(spec, registry, RunDir.for_spec(tmp_path, spec))
    horizon = TINY_PPO["horizon_length"]
    assert len(seen) == STEPS // (NUM_ENVS * horizon)
    expected = (torch.arange(NUM_ENVS) % 3).repeat_interleave(horizon)
    for groups, out in seen:
        assert torch.equal(groups, expected)
        for label in range(3):
            assert out[groups == label].mean().item() == pytest.approx(0.0, abs=1e-5)
