"""The PointNet actor-critic as rl-games builds it, and the PPO spec → rl-games config."""

from __future__ import annotations

import pytest
import torch

from trackbench.harness.errors import TrackbenchError
from trackbench.harness.training import network
from trackbench.harness.training.ppo import PRESETS, PPOSpec, rl_games_config

LAYOUT = {"joints": 6, "points": 5, "privileged": 2}
OBS = 6 + 15 + 2


def build_model(ppo: PPOSpec = PPOSpec(), layout: dict[str, int] = LAYOUT):
    from rl_games.algos_torch.model_builder import ModelBuilder

    network.register()
    params = rl_games_config(ppo, num_envs=4, agent_steps=100, seed=0, device="cpu",
                             train_dir="unused", layout=layout, env_key="unused")["params"]
    model = ModelBuilder().load(params).build({
        "actions_num": 3, "input_shape": (OBS,), "num_seqs": 4, "value_size": 1,
        "normalize_value": False, "normalize_input": False})
    return model.eval()


def forward(model, obs):
    with torch.no_grad():
        return model({"is_train": False, "obs": obs.clone(), "prev_actions": None, "rnn_states": None})


def test_the_actor_never_reads_the_critics_privileged_values():
    torch.manual_seed(0)
    model = build_model()
    obs = torch.randn(8, OBS)
    other = obs.clone()
    other[:, -2:] += 5.0  # change only the privileged block
    a, b = forward(model, obs), forward(model, other)
    assert torch.equal(a["mus"], b["mus"])
    assert not torch.allclose(a["values"], b["values"])


def test_the_point_cloud_is_pooled_over_points_and_shared():
    torch.manual_seed(0)
    model = build_model(PPOSpec(preset="paper"))
    obs = torch.randn(8, OBS)
    shuffled = obs.clone()
    points = shuffled[:, 6:21].reshape(8, 5, 3)
    shuffled[:, 6:21] = points[:, torch.tensor([4, 2, 0, 1, 3])].reshape(8, 15)
    a, b = forward(model, obs), forward(model, shuffled)
    assert torch.allclose(a["mus"], b["mus"], atol=1e-6)  # max-pool: order of points is irrelevant
    net = model.a2c_network
    assert [m.out_features for m in net.pointnet if isinstance(m, torch.nn.Linear)] == [64, 64, 64]
    assert [m.out_features for m in net.actor_mlp if isinstance(m, torch.nn.Linear)] == [512, 256, 128]
    assert [m.out_features for m in net.critic_mlp if isinstance(m, torch.nn.Linear)] == [512, 256, 128]
    assert torch.equal(a["sigmas"], torch.ones(8, 3))  # state-independent log σ, initialised to 0


def test_the_hands_initial_sigma_can_differ_from_the_arms():
    arm_and_hand = {**LAYOUT, "arm_actions": 1}  # 3 actions: 1 arm, 2 hand
    split = build_model(PPOSpec(init_log_std=-1.0, hand_init_log_std=-3.0), arm_and_hand)
    sigmas = forward(split, torch.randn(2, OBS))["sigmas"]
    assert torch.allclose(sigmas[0], torch.exp(torch.tensor([-1.0, -3.0, -3.0])))
    same = forward(build_model(PPOSpec(init_log_std=-1.0), arm_and_hand), torch.randn(2, OBS))
    assert torch.allclose(same["sigmas"], torch.full((2, 3), torch.exp(torch.tensor(-1.0)).item()))
    with pytest.raises(TrackbenchError, match="arm/hand action split"):
        build_model(PPOSpec(hand_init_log_std=-3.0), LAYOUT)
    # robot.hand_close_action: 1 arm, 1 hand joint, the close action last explores like the arm
    closing = build_model(PPOSpec(init_log_std=-1.0, hand_init_log_std=-3.0),
                          {**arm_and_hand, "hand_joint_actions": 1})
    sigmas = forward(closing, torch.randn(2, OBS))["sigmas"]
    assert torch.allclose(sigmas[0], torch.exp(torch.tensor([-1.0, -3.0, -1.0])))
    own = build_model(PPOSpec(init_log_std=-1.0, hand_init_log_std=-3.0, close_init_log_std=-2.0),
                      {**arm_and_hand, "hand_joint_actions": 1})
    sigmas = forward(own, torch.randn(2, OBS))["sigmas"]
    assert torch.allclose(sigmas[0], torch.exp(torch.tensor([-1.0, -3.0, -2.0])))


def test_ppo_spec_maps_to_rl_games_keys_with_the_paper_preset():
    config = rl_games_config(PPOSpec(preset="paper"), num_envs=64, agent_steps=1000, seed=3, device="cpu",
                             train_dir="d", layout=LAYOUT, env_key="k")["params"]["config"]
    assert config["horizon_length"] == 10 and config["mini_epochs"] == 5
    assert config["minibatch_size"] == 640  # 4096 capped at 64 envs × horizon 10
    assert config["learning_rate"] == 1e-4 and config["lr_schedule"] == "adaptive"
    assert config["kl_threshold"] == 0.02 and config["critic_coef"] == 4.0
    assert config["max_lr"] == 5e-3  # the paper's ceiling; ResumableAgent sets it on rl-games'
    assert config["gamma"] == 0.99 and config["tau"] == 0.95 and config["e_clip"] == 0.2
    assert config["reward_shaper"] == {"scale_value": 0.1} and config["value_bootstrap"]
    assert config["normalize_input"] and config["normalize_value"] and config["grad_norm"] == 1.0
    assert config["torch_compile"] is False and config["max_frames"] == 1000


def test_the_cpu_preset_is_the_default_and_explicit_fields_override_a_preset():
    cpu, paper = PPOSpec(), PPOSpec(preset="paper")
    assert cpu.preset == "cpu" and (cpu.horizon_length, cpu.mini_epochs, cpu.policy_points) == (32, 4, 32)
    assert cpu.pointnet_units == (32, 32) and cpu.actor_units == (256, 128, 64)
    assert paper.policy_points is None and paper.pointnet_units == (64, 64, 64)
    assert paper.actor_units == paper.critic_units == (512, 256, 128)
    mixed = PPOSpec(preset="paper", horizon_length=16, policy_points=50)
    assert (mixed.horizon_length, mixed.policy_points, mixed.mini_epochs) == (16, 50, 5)
    # Everything else is shared: a preset changes only the batch layout and the network.
    shared = set(PPOSpec.model_fields) - {"preset", *PRESETS["cpu"]}
    assert all(getattr(cpu, name) == getattr(paper, name) for name in shared)


def test_a_minibatch_that_does_not_divide_the_batch_is_refused():
    with pytest.raises(TrackbenchError, match="must divide the batch"):
        PPOSpec(horizon_length=10, minibatch_size=48).minibatch_for(10)  # batch 100
    assert PPOSpec(horizon_length=10, minibatch_size=50).minibatch_for(10) == 50
