"""The control law every engine applies: policy actions → PD joint targets, once per control step.

By default it follows the paper's released code: hand targets are absolute (actions in [-1, 1]
scaled to the joint limits; ``RobotSpec.hand_action=delta`` makes them deltas), arm targets are
deltas (previous target + arm_speed_scale · sim_dt ·
action), clamped to the joint limits. With ``RobotSpec.hand_close_action`` one more action closes
every finger together (:func:`fold_close_action`). A robot may instead ask for wrist-delta arm actions
(``RobotSpec.arm_action``): six actions move the wrist in Cartesian space and damped least
squares turns that motion into arm joint deltas (see :func:`wrist_delta_targets`). It lives in the harness, not in an engine, so that every engine
(MuJoCo on the CPU, a GPU engine) drives the robot the same way; an engine only holds the targets
this returns until the next control step.

Works on NumPy arrays and torch tensors alike (float64 arrays give the CPU engine's exact values).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeVar

import numpy as np

if TYPE_CHECKING:
    from trackbench.harness.engine import EngineSpec
    from trackbench.harness.robot import Robot

Array = TypeVar("Array")  # numpy.ndarray or torch.Tensor; all arguments of one call alike


def joint_targets(previous: Array, actions: Array, lower: Array, upper: Array, n_arm: int,
                  arm_speed_scale: float, sim_dt: float, hand_step: float | None = None) -> Array:
    """The PD targets [N, n_dof] for the next control step (rad for hinges, m for slides).

    previous: [N, n_dof] the targets of the last control step (arm joints first, then the hand).
    actions: [N, n_dof] the policy's actions; clipped to [-1, 1] here.
    lower, upper: [n_dof] the joint limits, same units as the targets.
    n_arm: how many leading joints are arm joints (driven by deltas).
    arm_speed_scale: rad/s (m/s for slides), the released code's dofSpeedScale: an arm target
        moves arm_speed_scale · sim_dt · action per control step.
    sim_dt: s, the paper's physics dt (1/120 s); the released code scales by it, not by the
        control period (1/20 s).
    hand_step: None for the paper's absolute hand targets; rad per control step at action 1 for
        delta hand targets (``RobotSpec.hand_action``).

    Absolute hand targets lie in the limits by construction, so only the arm's are clamped (as in
    the released code; clamping the hand too could move a target by one rounding step).
    """
    actions = actions.clip(-1.0, 1.0)
    targets = previous.clone() if hasattr(previous, "clone") else previous.copy()
    arm = previous[:, :n_arm] + arm_speed_scale * sim_dt * actions[:, :n_arm]
    targets[:, :n_arm] = arm.clip(lower[:n_arm], upper[:n_arm])
    targets[:, n_arm:] = hand_targets(previous[:, n_arm:], actions[:, n_arm:], lower[n_arm:],
                                      upper[n_arm:], hand_step)
    return targets


def hand_targets(previous: Array, actions: Array, lower: Array, upper: Array,
                 hand_step: float | None) -> Array:
    """The hand's PD targets [N, n_hand] (rad) from its actions [N, n_hand] in [-1, 1]: scaled to
    the joint limits ``lower``..``upper`` [n_hand] when ``hand_step`` is None (the paper), else
    ``previous`` [N, n_hand] + hand_step · action, clamped to the limits."""
    if hand_step is None:
        return lower + 0.5 * (actions + 1.0) * (upper - lower)
    return (previous + hand_step * actions).clip(lower, upper)


def fold_close_action(actions: Array, hand: slice) -> Array:
    """Actions [N, hand.stop] from the actions [N, hand.stop + 1] of a robot with
    ``hand_close_action``: the last (the close action) is added to each of the hand joints'
    (``hand``, :attr:`RobotSpec.hand_joint_actions`) and dropped; every action is clipped to
    [-1, 1] before and each sum after, so no joint moves faster than at action 1."""
    folded = actions[:, :hand.stop].clip(-1.0, 1.0)
    close = actions[:, hand.stop:hand.stop + 1].clip(-1.0, 1.0)
    folded[:, hand] = (folded[:, hand] + close).clip(-1.0, 1.0)
    return folded


# Damped least squares λ (m or rad): Isaac Lab's DifferentialIKController default for its "dls"
# method (isaaclab.controllers.DifferentialIKControllerCfg, ik_params lambda_val 0.01).
DLS_DAMPING = 0.01


def wrist_delta_targets(previous: np.ndarray, actions: np.ndarray, lower: np.ndarray,
                        upper: np.ndarray, jacobian: np.ndarray, linear_step: float,
                        angular_step: float, damping: float = DLS_DAMPING,
                        hand_step: float | None = None) -> np.ndarray:
    """The PD targets [N, n_dof] for the wrist-delta action space (NumPy float64).

    previous: [N, n_dof] last control step's targets (arm joints first, then the hand).
    actions: [N, 6 + n_hand]: wrist linear motion (x, y, z), wrist rotation (axis-angle x, y, z),
        world frame, then the hand's actions; clipped to [-1, 1].
    jacobian: [N, 6, n_arm] the wrist's Jacobian at the previous arm targets (rows linear, then
        angular; :class:`trackbench.harness.arm_kinematics.ArmKinematics`).
    linear_step: m of wrist motion per control step at action 1; angular_step: rad.
    damping: λ of damped least squares, Δq = Jᵀ (J Jᵀ + λ² I)⁻¹ Δx (Wampler 1986; Buss,
        "Introduction to inverse kinematics with Jacobian transpose, pseudoinverse and damped
        least squares methods", 2004, eq. 11).

    The Jacobian is taken at the *targets*, not the measured joints, so a held action moves the
    commanded wrist along a straight line whatever contacts do to the arm; arm targets are
    clamped to the joint limits, hand targets follow :func:`hand_targets` (``hand_step``).
    """
    actions = np.clip(actions, -1.0, 1.0)
    n_arm = jacobian.shape[2]
    motion = np.concatenate([linear_step * actions[:, :3], angular_step * actions[:, 3:6]], axis=1)
    jjt = jacobian @ jacobian.transpose(0, 2, 1) + damping ** 2 * np.eye(6)
    delta = (jacobian.transpose(0, 2, 1) @ np.linalg.solve(jjt, motion[..., None]))[..., 0]
    targets = previous.copy()
    targets[:, :n_arm] = (previous[:, :n_arm] + delta).clip(lower[:n_arm], upper[:n_arm])
    targets[:, n_arm:] = hand_targets(previous[:, n_arm:], actions[:, 6:], lower[n_arm:],
                                      upper[n_arm:], hand_step)
    return targets


class ControlLaw:
    """One robot's control law under one engine spec: ``law(previous, actions) → targets``.

    previous: [N, n_dof] float64 targets, a NumPy array (the CPU engine) or a torch tensor on any
    device (a GPU engine); actions: [N, robot.spec.num_actions], NumPy or torch. Returns new
    float64 targets [N, n_dof] of ``previous``'s kind: with torch, joint-delta targets are
    computed on ``previous``'s device (no host round trip), the same values as with NumPy;
    wrist-delta targets need MuJoCo's CPU Jacobians, so they take one round trip to the host.
    Engines build one and call it once per control step; it holds no state of its own (nothing to
    checkpoint). Raises TrackbenchError (at construction) if a wrist-delta robot's model lacks
    its wrist.
    """

    def __init__(self, robot: "Robot", engine: "EngineSpec"):
        spec = robot.spec
        self._lower = np.array([j.lower for j in spec.arm_joints + spec.hand_joints])
        self._upper = np.array([j.upper for j in spec.arm_joints + spec.hand_joints])
        self._n_arm, self._spec, self._sim_dt = len(spec.arm_joints), spec, engine.sim_dt
        self._limits_on: dict = {}  # torch device → (lower, upper) float64 tensors
        self._kinematics = None
        self._hand_step = spec.hand_step(engine.control_hz)
        if spec.arm_action == "wrist_delta":
            from trackbench.harness.arm_kinematics import ArmKinematics

            self._kinematics = ArmKinematics(robot)
            self._linear = spec.wrist_linear_speed / engine.control_hz
            self._angular = spec.wrist_angular_speed / engine.control_hz

    def __call__(self, previous, actions):
        if hasattr(previous, "detach"):
            return self._on_device(previous, actions)
        actions = np.asarray(actions.detach().cpu() if hasattr(actions, "detach") else actions,
                             dtype=np.float64)
        if self._spec.hand_close_action:
            actions = fold_close_action(actions, self._spec.hand_joint_actions)
        if self._kinematics is None:
            return joint_targets(previous, actions, self._lower, self._upper, self._n_arm,
                                 self._spec.arm_speed_scale, self._sim_dt, self._hand_step)
        jacobian = self._kinematics.jacobian(previous[:, :self._n_arm])
        return wrist_delta_targets(previous, actions, self._lower, self._upper, jacobian,
                                   self._linear, self._angular, hand_step=self._hand_step)

    def _on_device(self, previous, actions):
        import torch

        device = previous.device
        if self._kinematics is not None:  # MuJoCo's Jacobians live on the host
            host = self(previous.detach().cpu().numpy(), actions)
            return torch.as_tensor(host, device=device)
        if device not in self._limits_on:
            self._limits_on[device] = tuple(torch.as_tensor(limit, device=device)
                                            for limit in (self._lower, self._upper))
        lower, upper = self._limits_on[device]
        actions = torch.as_tensor(actions, device=device).to(torch.float64)
        if self._spec.hand_close_action:
            actions = fold_close_action(actions, self._spec.hand_joint_actions)
        return joint_targets(previous, actions, lower, upper, self._n_arm,
                             self._spec.arm_speed_scale, self._sim_dt, self._hand_step)
