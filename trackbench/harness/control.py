"""The control law every engine applies: policy actions → PD joint targets, once per control step.

It follows the paper's released code: hand targets are absolute (actions in [-1, 1] scaled to the
joint limits), arm targets are deltas (previous target + arm_speed_scale · sim_dt · action),
clamped to the joint limits. It lives in the harness, not in an engine, so that every engine
(MuJoCo on the CPU, a GPU engine) drives the robot the same way; an engine only holds the targets
this returns until the next control step.

Works on NumPy arrays and torch tensors alike (float64 arrays give the CPU engine's exact values).
"""

from __future__ import annotations

from typing import TypeVar

Array = TypeVar("Array")  # numpy.ndarray or torch.Tensor; all arguments of one call alike


def joint_targets(previous: Array, actions: Array, lower: Array, upper: Array, n_arm: int,
                  arm_speed_scale: float, sim_dt: float) -> Array:
    """The PD targets [N, n_dof] for the next control step (rad for hinges, m for slides).

    previous: [N, n_dof] the targets of the last control step (arm joints first, then the hand).
    actions: [N, n_dof] the policy's actions; clipped to [-1, 1] here.
    lower, upper: [n_dof] the joint limits, same units as the targets.
    n_arm: how many leading joints are arm joints (driven by deltas).
    arm_speed_scale: rad/s (m/s for slides), the released code's dofSpeedScale: an arm target
        moves arm_speed_scale · sim_dt · action per control step.
    sim_dt: s, the paper's physics dt (1/120 s); the released code scales by it, not by the
        control period (1/20 s).

    The hand's targets lie in the limits by construction, so only the arm's are clamped (as in
    the released code; clamping the hand too could move a target by one rounding step).
    """
    actions = actions.clip(-1.0, 1.0)
    targets = previous.clone() if hasattr(previous, "clone") else previous.copy()
    arm = previous[:, :n_arm] + arm_speed_scale * sim_dt * actions[:, :n_arm]
    targets[:, :n_arm] = arm.clip(lower[:n_arm], upper[:n_arm])
    hand_lower, hand_range = lower[n_arm:], upper[n_arm:] - lower[n_arm:]
    targets[:, n_arm:] = hand_lower + 0.5 * (actions[:, n_arm:] + 1.0) * hand_range
    return targets
