"""The batched State contract between engines and tasks/methods.

Every field is a torch tensor whose first dimension is ``num_envs``. All positions are in the one
world frame: origin at the table-top centre, z up, metres. Quaternions are (w, x, y, z).
Tasks and methods are pure functions of State (plus their own small per-env buffers), so the same
task code runs on the CPU engine and on a GPU engine.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import torch


@dataclass
class State:
    joint_pos: torch.Tensor  # [N, n_dof] robot joints in action order (arm first, then hand)
    joint_vel: torch.Tensor  # [N, n_dof]
    joint_target: torch.Tensor  # [N, n_dof] the PD targets applied during the last step
    keypoints: torch.Tensor  # [N, K, 3] robot keypoints in the robot spec's keypoint order
    wrist_pos: torch.Tensor  # [N, 3]
    wrist_quat: torch.Tensor  # [N, 4]
    object_pos: torch.Tensor  # [N, n_obj, 3] object frame origins (mesh centroid)
    object_quat: torch.Tensor  # [N, n_obj, 4]
    object_linvel: torch.Tensor  # [N, n_obj, 3]
    object_angvel: torch.Tensor  # [N, n_obj, 3]
    object_points: torch.Tensor  # [N, n_obj, P, 3] surface samples posed in the world frame
    object_class_ids: torch.Tensor  # [N, n_obj] long, DexYCB class ids (1..21; 0 = not a YCB object)
    articulation_pos: torch.Tensor  # [N, n_art] e.g. the drawer's prismatic joint
    step: torch.Tensor  # [N] long, control steps since the env's last reset

    @property
    def num_envs(self) -> int:
        return self.joint_pos.shape[0]

    def is_finite(self) -> torch.Tensor:
        """[N] bool: every float field of the env is finite."""
        ok = torch.ones(self.num_envs, dtype=torch.bool, device=self.joint_pos.device)
        for f in fields(self):
            value = getattr(self, f.name)
            if value.is_floating_point():
                ok &= torch.isfinite(value.reshape(self.num_envs, -1)).all(dim=1)
        return ok
