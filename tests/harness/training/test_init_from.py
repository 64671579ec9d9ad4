"""ppo.init_from: a fresh run starts from another run's policy; a missing or unfitting one is refused."""

from __future__ import annotations

import pytest
import torch

from tests.harness.training.probe import probe_registry
from tests.harness.training.test_training import NUM_ENVS, STEPS, TINY_PPO
from trackbench.harness.env import VecEnv
from trackbench.harness.errors import TrackbenchError
from trackbench.harness.execute import execute_cell
from trackbench.harness.matrix import plan
from trackbench.harness.results import RunDir
from trackbench.harness.specs import MatrixSpec
from trackbench.harness.training.checkpoint import checkpoint_path
from trackbench.harness.training.policy import load_policy
from trackbench.harness.training.ppo import PPOSpec

# Steps so small that PPO moves no weight visibly: what B holds after training is what it began with.
STILL = {"learning_rate": 1e-12, "lr_schedule": "constant"}


@pytest.fixture(scope="module")
def registry():
    return probe_registry()


def cell(registry, out, **ppo):
    matrix = MatrixSpec(robots=["allegro"], tasks=["probe"], methods=["dense"], agent_steps=STEPS,
                        num_envs=NUM_ENVS, overrides={"ppo": {**TINY_PPO, **ppo}})
    spec = plan(matrix, registry)[0]
    run = RunDir.for_spec(out, spec)
    execute_cell(spec, registry, run)
    return spec, run


def actor_weights(spec, run, registry):
    ppo = PPOSpec(**spec.ppo_spec)
    env = VecEnv.build(spec, registry, obs_clip=ppo.obs_clip, policy_points=ppo.policy_points)
    weights = load_policy(run, ppo, env).state_dict()
    # the normalisers' running statistics go on learning from B's own data
    return {name: value for name, value in weights.items() if "mean_std" not in name}


def test_a_fresh_run_starts_from_the_named_runs_policy(registry, tmp_path):
    first_spec, first = cell(registry, tmp_path / "first")
    started_spec, started = cell(registry, tmp_path / "started", init_from=str(first.path), **STILL)
    scratch_spec, scratch = cell(registry, tmp_path / "scratch", **STILL)
    theirs = actor_weights(first_spec, first, registry)
    mine = actor_weights(started_spec, started, registry)
    fresh = actor_weights(scratch_spec, scratch, registry)
    assert [name for name in theirs if not torch.allclose(mine[name], theirs[name], atol=1e-6)] == []
    assert not all(torch.allclose(fresh[name], theirs[name], atol=1e-3) for name in theirs)
    # a checkpoint file works as well as its run directory
    assert PPOSpec(init_from=str(checkpoint_path(first))).init_checkpoint() == checkpoint_path(first)
    assert PPOSpec(init_from=str(first.path)).init_checkpoint() == checkpoint_path(first)


def test_a_missing_policy_is_refused_at_plan_time(registry, tmp_path):
    matrix = MatrixSpec(robots=["allegro"], tasks=["probe"], methods=["dense"], agent_steps=STEPS,
                        num_envs=NUM_ENVS, overrides={"ppo": {"init_from": str(tmp_path)}})
    with pytest.raises(TrackbenchError, match="neither a checkpoint file nor a run directory"):
        plan(matrix, registry)


def test_a_policy_of_another_network_is_refused_with_one_message(registry, tmp_path):
    _, first = cell(registry, tmp_path / "first")
    closing = MatrixSpec(robots=["allegro"], tasks=["probe"], methods=["dense"],
                         agent_steps=STEPS, num_envs=NUM_ENVS,
                         overrides={"ppo": {**TINY_PPO, "init_from": str(first.path)},
                                    "robot": {"hand_action": "delta", "hand_close_action": True}})
    with pytest.raises(TrackbenchError, match=r"has 23 actions; robot allegro has 24 \(check "
                       r"robot.arm_action, robot.hand_close_action\)"):
        plan(closing, registry)  # another action space: refused before any cell runs
    with pytest.raises(TrackbenchError, match=r"does not fit this run's network .*\(a2c_network"
                       r"\.actor_mlp\.0\.weight: \[\d+, \d+\] there, \[64, \d+\] here"):
        cell(registry, tmp_path / "wider", init_from=str(first.path), actor_units=[64, 32])
