"""Advantage normalisation per group of samples (``ppo.advantage_groups=start_kind``).

rl-games standardises a batch's advantages as one population, (A − mean) / (std + 1e-8). When a
batch mixes episodes whose returns differ in scale by orders of magnitude (grasped starts that
collect the goal bonus beside starts far from the object; docs/results "Session 20"), the
large-return group sets the standard deviation and the other group's advantages shrink towards
zero, so its policy gradient all but vanishes. Standardising each group on its own gives every
group unit-scale advantages, the per-task idea of Hessel et al., "Multi-task Deep Reinforcement
Learning with PopArt" (AAAI 2019), applied to the advantages of one batch rather than to the
value targets.
"""

from __future__ import annotations

import torch

EPSILON = 1e-8  # rl-games' a2c_common.prepare_dataset adds the same to the std


def normalised_per_group(advantages: torch.Tensor, groups: torch.Tensor) -> torch.Tensor:
    """Each group's advantages standardised on their own: (A − mean_g) / (std_g + 1e-8).

    ``advantages``: [B] float; ``groups``: [B] integer labels (any values). Returns [B]. A group
    of one sample has no spread: its advantage becomes 0 (as A − mean). std is torch's unbiased
    estimate, as rl-games' own normalisation uses.

    Raises ValueError if the shapes differ.
    """
    if advantages.shape != groups.shape or advantages.dim() != 1:
        raise ValueError(f"advantages {tuple(advantages.shape)} and groups "
                         f"{tuple(groups.shape)} must be the same 1-d shape")
    out = torch.empty_like(advantages)
    for label in torch.unique(groups):
        members = groups == label
        group = advantages[members]
        centred = group - group.mean()
        out[members] = centred / (group.std() + EPSILON) if group.numel() > 1 else centred
    return out
