"""The paper code's actor-critic as an rl-games network: a PointNet shared by actor and critic.

Input: the critic's observation vector (see vecenv.py), laid out as

    [ joints: scaled positions + velocities (+ targets, + keypoints: the env's flat block)
      | points: P × 3 | privileged: D ]

    embedding = max over points of MLP_pointnet(point)          3 → 64 → 64 → 64, ELU
    actor     = MLP([joints, embedding])        → μ              [512, 256, 128], ELU
    critic    = MLP([joints, embedding, privileged]) → V         [512, 256, 128], ELU
    σ         = exp(log σ), log σ a learned vector (state independent), initialised to 0
                (the hand's entries optionally lower: ppo.hand_init_log_std)

Why one model and not rl-games' central-value critic: the paper shares the PointNet between
actor and critic, lets critic gradients flow into it and trains both with one Adam optimiser under
the adaptive-KL learning rate. rl-games' central value is a separate model with its own optimiser
and a constant learning rate, so sharing the encoder there is not possible. Here the critic reads
the privileged block and the actor does not: the policy is asymmetric by construction.
"""

from __future__ import annotations

from typing import Any

import torch
from rl_games.algos_torch import model_builder
from rl_games.algos_torch.network_builder import NetworkBuilder
from torch import nn

from trackbench.harness.errors import TrackbenchError
from trackbench.harness.training.ppo import NETWORK_NAME


def _mlp(in_size: int, units: list[int]) -> nn.Sequential:
    layers: list[nn.Module] = []
    for width in units:
        layers += [nn.Linear(in_size, width), nn.ELU()]
        in_size = width
    return nn.Sequential(*layers)


class PointNetActorCritic(NetworkBuilder.BaseNetwork):
    def __init__(self, params: dict[str, Any], actions_num: int, input_shape, value_size: int = 1,
                 **kwargs: Any):
        super().__init__()
        layout = params["layout"]
        self.n_joints, self.n_points = int(layout["joints"]), int(layout["points"])
        self.n_privileged = int(layout["privileged"])
        expected = self.n_joints + 3 * self.n_points + self.n_privileged
        if tuple(input_shape) != (expected,):
            raise TrackbenchError(f"network layout {layout} needs {expected} inputs, got {input_shape}")
        pointnet_units = list(params["pointnet_units"])
        self.pointnet = _mlp(3, pointnet_units) if self.n_points else None
        embedding = pointnet_units[-1] if self.n_points else 0
        actor_in = self.n_joints + embedding
        self.actor_mlp = _mlp(actor_in, list(params["actor_units"]))
        self.critic_mlp = _mlp(actor_in + self.n_privileged, list(params["critic_units"]))
        self.mu = nn.Linear(params["actor_units"][-1], actions_num)
        self.value = nn.Linear(params["critic_units"][-1], value_size)
        self.sigma = nn.Parameter(self._initial_log_std(params, layout, actions_num))
        for module in self.modules():
            if isinstance(module, nn.Linear):
                nn.init.zeros_(module.bias)  # as the paper code

    @staticmethod
    def _initial_log_std(params: dict[str, Any], layout: dict[str, int],
                         actions_num: int) -> torch.Tensor:
        """(actions_num,) initial log σ: ``init_log_std``, the hand joints' actions (the layout's
        ``hand_joint_actions`` after its ``arm_actions``; all the rest if it has no
        ``hand_joint_actions``) at ``hand_init_log_std`` when that is set; the actions after them
        (the close action of ``robot.hand_close_action``) at ``close_init_log_std`` when set, else
        ``init_log_std``: it is there to be found."""
        log_std = torch.full((actions_num,), float(params["init_log_std"]))
        hand = params.get("hand_init_log_std")
        if hand is not None:
            if "arm_actions" not in layout or not 0 <= int(layout["arm_actions"]) < actions_num:
                raise TrackbenchError(f"ppo.hand_init_log_std needs the arm/hand action split; "
                                      f"the layout {layout} has none for {actions_num} actions")
            start = int(layout["arm_actions"])
            end = start + int(layout.get("hand_joint_actions", actions_num - start))
            log_std[start:end] = float(hand)
        close = params.get("close_init_log_std")
        if close is not None:
            if "hand_joint_actions" not in layout:
                raise TrackbenchError(f"ppo.close_init_log_std needs the hand/close action split; "
                                      f"the layout {layout} has none for {actions_num} actions")
            log_std[int(layout["arm_actions"]) + int(layout["hand_joint_actions"]):] = float(close)
        return log_std

    def forward(self, obs_dict: dict[str, Any]):
        obs = obs_dict["obs"]
        joints_end = self.n_joints
        points_end = joints_end + 3 * self.n_points
        features = [obs[:, :joints_end]]
        if self.pointnet is not None:
            points = obs[:, joints_end:points_end].reshape(obs.shape[0], self.n_points, 3)
            features.append(self.pointnet(points).max(dim=1).values)
        actor_in = torch.cat(features, dim=1)
        mu = self.mu(self.actor_mlp(actor_in))
        value = self.value(self.critic_mlp(torch.cat([actor_in, obs[:, points_end:]], dim=1)))
        return mu, mu * 0.0 + self.sigma, value, None

    def is_rnn(self) -> bool:
        return False

    def get_default_rnn_state(self):
        return None


class PointNetActorCriticBuilder(NetworkBuilder):
    def load(self, params: dict[str, Any]) -> None:
        self.params = params

    def build(self, name: str, **kwargs: Any) -> PointNetActorCritic:
        return PointNetActorCritic(self.params, **kwargs)


def register() -> None:
    """Make the network available to rl-games' model builder (idempotent)."""
    model_builder.register_network(NETWORK_NAME, PointNetActorCriticBuilder)
