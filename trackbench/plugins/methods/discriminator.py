"""AMP's discriminator: human vs robot fingertip transitions, its loss, its reward, a replay buffer.

Follows IsaacGymEnvs' ``amp_continuous`` (``docs/reference/anchors.md`` §7):

    reward  r_disc = −log(max(1 − sigmoid(D(s, s′)), 1e-4)) · disc_reward_scale
    loss    ½·[BCE(D(robot), 0) + BCE(D(human), 1)]
            + grad_penalty · mean ‖∂D(human)/∂(normalised features)‖²
            + logit_reg · ‖W_last‖² + weight_decay · Σ‖W‖²

A transition (s, s′) is the five human-order fingertips at two consecutive control steps (20 Hz)
in the table-top world frame, flattened to 30 values. D reads it as (s, s′ − s), normalised by the
human data's mean and std: a step moves a fingertip millimetres against decimetres of position
spread, so without the difference D barely sees motion.
"""

from __future__ import annotations

from typing import Sequence

import torch
import torch.nn.functional as F
from torch import nn

TRANSITION_DIM = 2 * 5 * 3  # (s, s′) × five fingertips × xyz
MIN_DISAGREEMENT = 1e-4  # the max(1 − D, ·) floor of the reward


def amp_reward(logits: torch.Tensor, scale: float) -> torch.Tensor:
    """−log(max(1 − sigmoid(logits), 1e-4)) · scale: large where D believes the human."""
    return -torch.log((1.0 - torch.sigmoid(logits)).clamp(min=MIN_DISAGREEMENT)) * scale


def transition_features(transitions: torch.Tensor) -> torch.Tensor:
    """[B, 30] (s, s′) → [B, 30] (s, s′ − s)."""
    half = TRANSITION_DIM // 2
    return torch.cat([transitions[:, :half], transitions[:, half:] - transitions[:, :half]], dim=1)


class Discriminator(nn.Module):
    """MLP (ReLU) over normalised transition features → one logit (human > 0 > robot)."""

    def __init__(self, units: Sequence[int], human: torch.Tensor):
        """``human`` [M, 30]: the human transitions, whose feature statistics normalise D's input."""
        super().__init__()
        features = transition_features(human)
        mean, std = features.mean(dim=0), features.std(dim=0)
        layers: list[nn.Module] = []
        width = TRANSITION_DIM
        for size in units:
            layers += [nn.Linear(width, size), nn.ReLU()]
            width = size
        self.body = nn.Sequential(*layers)
        self.logit = nn.Linear(width, 1)
        self.register_buffer("mean", mean.reshape(TRANSITION_DIM).clone())
        self.register_buffer("std", std.reshape(TRANSITION_DIM).clamp(min=1e-4).clone())

    def forward(self, transitions: torch.Tensor) -> torch.Tensor:
        """[B, 30] raw transitions → [B] logits."""
        return self.classify(self.normalise(transitions))

    def normalise(self, transitions: torch.Tensor) -> torch.Tensor:
        """[B, 30] raw transitions → [B, 30] normalised features, what the MLP reads."""
        return (transition_features(transitions) - self.mean) / self.std

    def classify(self, features: torch.Tensor) -> torch.Tensor:
        """[B, 30] normalised features → [B] logits."""
        return self.logit(self.body(features)).squeeze(-1)

    def weights(self) -> list[torch.Tensor]:
        return [m.weight for m in self.modules() if isinstance(m, nn.Linear)]


def discriminator_loss(disc: Discriminator, robot: torch.Tensor, human: torch.Tensor, *,
                       grad_penalty: float, logit_reg: float, weight_decay: float
                       ) -> tuple[torch.Tensor, dict[str, float]]:
    """The loss above, and diagnostics (accuracy on each side)."""
    # The penalty's gradient is taken on the normalised features, as IsaacGymEnvs does: in metres
    # a fingertip step of millimetres would inflate it by 1/std ≈ 200.
    human = disc.normalise(human).detach().requires_grad_(True)
    robot_logits, human_logits = disc(robot), disc.classify(human)
    classification = 0.5 * (
        F.binary_cross_entropy_with_logits(robot_logits, torch.zeros_like(robot_logits))
        + F.binary_cross_entropy_with_logits(human_logits, torch.ones_like(human_logits)))
    (gradient,) = torch.autograd.grad(human_logits.sum(), human, create_graph=True)
    penalty = gradient.square().sum(dim=-1).mean()
    loss = (classification + grad_penalty * penalty
            + logit_reg * disc.logit.weight.square().sum()
            + weight_decay * sum(w.square().sum() for w in disc.weights()))
    stats = {"loss": classification.item(),
             "robot_accuracy": (robot_logits < 0).float().mean().item(),
             "human_accuracy": (human_logits > 0).float().mean().item()}
    return loss, stats


class TransitionReplay:
    """Ring buffer of the robot's recent transitions [capacity, 30]."""

    def __init__(self, capacity: int, device: torch.device):
        self.data = torch.zeros(capacity, TRANSITION_DIM, device=device)
        self.size = 0
        self._next = 0

    def add(self, transitions: torch.Tensor) -> None:
        transitions = transitions[-len(self.data):]  # more than fit: keep the newest
        ids = (self._next + torch.arange(len(transitions), device=self.data.device)) % len(self.data)
        self.data[ids] = transitions
        self._next = int(ids[-1]) + 1 if len(ids) else self._next
        self.size = min(self.size + len(transitions), len(self.data))

    def sample(self, count: int, generator: torch.Generator) -> torch.Tensor:
        ids = torch.randint(self.size, (count,), generator=generator)
        return self.data[ids.to(self.data.device)]
