"""`cabinet`: pull the top drawer of a cabinet open (the paper's Open Cabinet task).

Scene: the cabinet of ``trackbench.kit.cabinet`` across the table from the robot; the table top
stands in for the ground the paper's arm and cabinet stand on (its arm is mounted at z = 0, as
ours is).
Tracked object 0 is the drawer handle (class id 0, the padding id the paper's code passes to Π_h);
``State.articulation_pos[:, 0]`` is the drawer's opening in metres.

Rewards. "task" is the paper code's sparse reward, 1·[drawer > 0.01 m] + 1·[drawer ≥ 0.30 m]
(`docs/reference/paper-code-facts.md` §6).
"dense" adapts IsaacGymEnvs' FrankaCabinet reward to a multi-finger hand:
- the gripper grasp point becomes the fingertip centroid (no palm frame is shared by every hand);
- Franka's two-finger distance term (paid only while the fingers straddle the handle) becomes
  twice the mean over fingertips of max(0, 0.04 − d_k), d_k = the fingertip's distance to the
  handle bar, paid whatever the grip, so its scale does not grow with finger count;
- "around the handle" (two fingers straddling it) becomes: a non-thumb fingertip hooked behind the
  bar (between it and the drawer front) with the thumb tip in front of the bar's back face;
- "around" keeps Franka's value, 0.5 when the fingers wrap the bar, in the open reward and the
  staged bonuses as well as in its own term (`docs/reference/anchors.md` §4.2);
- the goal bonus fires at the success opening (0.32 m) instead of Franka's 0.39 m, the opening
  success asks for; the gripper-alignment term and the action penalty are dropped (no robot-
  agnostic gripper axes; methods add the shared energy penalty instead), and so is Franka's style
  guard (r = −1 once a finger passes 0.04 m beyond the handle into the drawer).

Episodes run to their end, as in the paper's code (``docs/reference/paper-code-facts.md`` §7: the
cabinet resets only at episode end, its success binarised then): an episode is a success if the
drawer stood at ≥ 0.32 m for 10 consecutive steps in it (the paper counts the steps at 0.32 m;
whether consecutively is not stated), and the sparse terms keep paying after it.
``success_ends_episode=true`` ends it there instead (trackbench until 2026-12-02).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from pydantic import Field

from trackbench.api import (
    HUMAN_FINGERTIPS, ResetPlan, RewardTerm, Scene, Task, TaskFrame, TaskSpec, TrackedObject,
    add_stage, add_table, added_setting, randomized_joints,
)
from trackbench.api import cabinet as cm

FINGER_REACH = 0.04  # m: a fingertip closer than this to the bar earns the fingertip term
AROUND_HANDLE_VALUE = 0.5  # FrankaCabinet's around_handle_reward when the fingers wrap the handle
HOOK_HEIGHT_TOLERANCE = 0.03  # m: a hooked fingertip may sit this far above/below the bar


@dataclass
class CabinetBuffers:
    """Per-env values of one step, read by the reward terms (all tensors [N, ...])."""

    opening: torch.Tensor  # [N] drawer joint position (m)
    opening_velocity: torch.Tensor  # [N] m/s along the drawer axis
    hold_steps: torch.Tensor  # [N] long: consecutive steps at or beyond the success opening
    tip_handle_dist: torch.Tensor  # [N, K] fingertip to handle-bar surface (m)
    grasp_dist: torch.Tensor  # [N] fingertip centroid to the bar centre (m)
    around_handle: torch.Tensor  # [N] bool: fingers wrap the bar (see module docstring)
    moved_opening: float
    goal_opening: float
    success_opening: float


# ---- reward terms: pure functions of the TaskFrame ---------------------------------------------
def drawer_moved(frame: TaskFrame) -> torch.Tensor:
    """[drawer > 0.01 m]"""
    b = frame.buffers
    return (b.opening > b.moved_opening).float()


def drawer_at_goal(frame: TaskFrame) -> torch.Tensor:
    """[drawer ≥ 0.30 m]"""
    b = frame.buffers
    return (b.opening >= b.goal_opening).float()


def approach_handle(frame: TaskFrame) -> torch.Tensor:
    """(1/(1 + d²))² · (2 if d ≤ 0.02 else 1), d = ‖fingertip centroid − handle centre‖"""
    d = frame.buffers.grasp_dist
    reward = (1.0 / (1.0 + d ** 2)) ** 2
    return torch.where(d <= 0.02, 2.0 * reward, reward)


def fingertips_near_handle(frame: TaskFrame) -> torch.Tensor:
    """2 · mean_k max(0, 0.04 − d_k), d_k = fingertip k to the handle bar"""
    return 2.0 * (FINGER_REACH - frame.buffers.tip_handle_dist).clamp(min=0.0).mean(dim=1)


def around_value(frame: TaskFrame) -> torch.Tensor:
    """around = 0.5·[a finger hooks behind the bar and the thumb is in front of it]

    FrankaCabinet's ``around_handle_reward`` (0.5 or 0), which also enters the open reward and
    the staged bonuses (``docs/reference/anchors.md`` §4.2).
    """
    return AROUND_HANDLE_VALUE * frame.buffers.around_handle.float()


def open_distance(frame: TaskFrame) -> torch.Tensor:
    """q · (1 + around), q = drawer opening (m), around ∈ {0, 0.5}"""
    return frame.buffers.opening * (1.0 + around_value(frame))


def open_bonus(frame: TaskFrame) -> torch.Tensor:
    """0.5·[q > 0.01] + around·[q > 0.2] + 2·around·[q ≥ 0.32], around ∈ {0, 0.5}"""
    b = frame.buffers
    around = around_value(frame)
    return (0.5 * (b.opening > b.moved_opening).float() + around * (b.opening > 0.2).float()
            + 2.0 * around * (b.opening >= b.success_opening).float())


TASK_TERMS = (RewardTerm("cabinet_drawer_moved", drawer_moved, 1.0),
              RewardTerm("cabinet_drawer_at_goal", drawer_at_goal, 1.0))
# FrankaCabinet weights: dist 2.0, around 0.25, finger_dist 5.0, open 7.5, bonuses 1.0.
DENSE_TERMS = (RewardTerm("cabinet_approach_handle", approach_handle, 2.0),
               RewardTerm("cabinet_fingertips_near_handle", fingertips_near_handle, 5.0),
               RewardTerm("cabinet_around_handle", around_value, 0.25),
               RewardTerm("cabinet_open_distance", open_distance, 7.5),
               RewardTerm("cabinet_open_bonus", open_bonus, 1.0))


class Cabinet(Task):
    """Open a cabinet's top drawer by its handle to ≥ 0.32 m and hold it (paper: Open Cabinet)."""

    name = "cabinet"

    class Spec(TaskSpec):
        arm_reset_noise: float = Field(
            default=0.05, ge=0, le=1,
            description="arm joints reset to default + coeff·U(default→limit) (paper code: 0.05 "
            "for the cabinet)"
        )
        success_opening: float = Field(
            default=0.32, gt=0, le=cm.DRAWER_TRAVEL, description="drawer opening (m) that counts "
            "towards success (paper code: 0.32)"
        )
        success_hold_steps: int = Field(
            default=10, ge=1, description="consecutive control steps at the success opening that "
            "make the episode a success (paper code: 10)"
        )
        success_ends_episode: bool = added_setting(
            False, before=True, since="2026-12-02", description="end the episode when the drawer has been held (trackbench "
            "until 2026-12-02); False: the paper's code, the episode runs to its end (the sparse "
            "terms keep paying) and is a success if the drawer was held in it"
        )
        goal_opening: float = Field(
            default=0.30, gt=0, le=cm.DRAWER_TRAVEL,
            description="opening (m) that earns the sparse goal bonus (paper code: 0.30)"
        )
        moved_opening: float = Field(
            default=0.01, gt=0, le=cm.DRAWER_TRAVEL,
            description="opening (m) that earns the sparse 'drawer moved' bonus (paper code: 0.01)"
        )
        drawer_damping: float = Field(
            default=cm.DrawerDynamics.damping, ge=0, description="drawer slide damping (N·s/m)"
        )
        drawer_friction: float = Field(
            default=cm.DrawerDynamics.friction, ge=0,
            description="drawer slide dry friction (N): the force needed to start it moving"
        )

    # ---- the scene ---------------------------------------------------------------------------
    def scenes(self) -> tuple[Scene, ...]:
        dynamics = cm.DrawerDynamics(damping=self.spec.drawer_damping,
                                     friction=self.spec.drawer_friction)

        import mujoco

        def build(model) -> None:
            add_stage(model)
            # One table top under the arm and the cabinet: the paper's ground at the arm base.
            add_table(model, half_sizes=(0.55, 0.625, 0.375), center=(0.05, -0.025))
            cm.add_cabinet(model, dynamics)
            # The stage's front camera would look at the cabinet's back; view from the side.
            camera = model.camera("front")
            camera.pos = [1.1, 0.35, 0.95]
            camera.alt.type = mujoco.mjtOrientation.mjORIENTATION_XYAXES
            camera.alt.xyaxes = [-0.414, 0.91, 0.0, -0.431, -0.196, 0.881]

        handle = TrackedObject(cm.HANDLE_BODY, 0, cm.handle_points(100, seed=0))
        return (Scene(build=build, objects=(handle,), articulations=(cm.DRAWER_JOINT,)),)

    # ---- the episode ---------------------------------------------------------------------------
    def check_compatible(self, robot) -> list[str]:
        """The hook test reads keypoint 0 as the thumb and the keypoints after it as fingers."""
        played = [k.human_index for k in robot.keypoints]
        if len(played) >= 2 and played[0] == HUMAN_FINGERTIPS[0]:
            return []
        return [f"the drawer-handle grasp test needs the thumb tip (human index "
                f"{HUMAN_FINGERTIPS[0]}) as the first keypoint and a finger after it; the robot's "
                f"keypoints play human indices {played}"]

    def setup(self, robot, num_envs, device="cpu") -> None:
        super().setup(robot, num_envs, device)
        self.hold_steps = torch.zeros(num_envs, dtype=torch.long, device=self.device)

    def reset(self, env_ids: torch.Tensor, generator: torch.Generator) -> ResetPlan:
        # The drawer needs no plan: the engine puts every non-robot joint back at its default
        # (0, closed).
        qpos = randomized_joints(self.robot, len(env_ids), self.spec.arm_reset_noise,
                                 self.spec.hand_reset_noise, generator, self.device)
        return ResetPlan(robot_qpos=qpos)

    def begin(self, env_ids: torch.Tensor, state) -> None:
        self.hold_steps[env_ids.to(self.device)] = 0

    def success_ends_episode(self) -> bool:
        return self.spec.success_ends_episode

    def events(self) -> tuple[str, ...]:
        """drawer_moved: opened past moved_opening; drawer_at_goal: opened to goal_opening."""
        return ("drawer_moved", "drawer_at_goal")

    def update(self, state) -> TaskFrame:
        spec = self.spec
        opening = state.articulation_pos[:, 0]
        self.hold_steps = torch.where(opening >= spec.success_opening, self.hold_steps + 1,
                                      torch.zeros_like(self.hold_steps))
        buffers = self._measure(state, opening)
        success = self.hold_steps >= spec.success_hold_steps
        return TaskFrame(
            state=state, n_arm=len(self.robot.arm_joints), success=success,
            failed=torch.zeros_like(success),
            flags={"drawer_moved": opening > spec.moved_opening,
                   "drawer_at_goal": opening >= spec.goal_opening},
            buffers=buffers,
        )

    def _measure(self, state, opening: torch.Tensor) -> CabinetBuffers:
        handle_pos, handle_quat = state.object_pos[:, 0], state.object_quat[:, 0]
        tips = rotate_inverse(handle_quat[:, None], state.keypoints - handle_pos[:, None])
        half = tips.new_tensor(cm.HANDLE_HALF)
        tip_dist = (tips.abs() - half).clamp(min=0.0).norm(dim=-1)
        hooked = ((tips[..., 0] < 0) & (tips[..., 0] > -(half[0] + cm.HANDLE_GAP))
                  & (tips[..., 1].abs() <= half[1])
                  & (tips[..., 2].abs() <= half[2] + HOOK_HEIGHT_TOLERANCE))
        thumb_in_front = tips[:, 0, 0] > -half[0]
        axis = rotate(handle_quat, handle_quat.new_tensor([1.0, 0.0, 0.0]).expand_as(handle_pos))
        return CabinetBuffers(
            opening=opening,
            opening_velocity=(state.object_linvel[:, 0] * axis).sum(dim=-1),
            hold_steps=self.hold_steps.clone(),
            tip_handle_dist=tip_dist,
            grasp_dist=(state.keypoints.mean(dim=1) - handle_pos).norm(dim=-1),
            around_handle=hooked[:, 1:].any(dim=1) & thumb_in_front,
            moved_opening=self.spec.moved_opening, goal_opening=self.spec.goal_opening,
            success_opening=self.spec.success_opening,
        )

    # ---- rewards and observations ----------------------------------------------------------------
    def reward_terms(self) -> dict[str, tuple[RewardTerm, ...]]:
        return {"task": TASK_TERMS, "dense": DENSE_TERMS}

    def policy_points(self, state) -> torch.Tensor:
        return state.object_points[:, 0]

    def privileged(self, frame: TaskFrame) -> torch.Tensor:
        """Fingertip-to-handle distances [K], drawer opening and velocity, handle − wrist [3]."""
        b, state = frame.buffers, frame.state
        return torch.cat([b.tip_handle_dist, b.opening[:, None], b.opening_velocity[:, None],
                          state.object_pos[:, 0] - state.wrist_pos], dim=1)

    def goal_label(self, state) -> torch.Tensor:
        # The paper's code passes label 0 (the padding id) for the handle.
        return torch.zeros(state.num_envs, dtype=torch.long, device=state.object_pos.device)


def rotate(quat: torch.Tensor, vec: torch.Tensor) -> torch.Tensor:
    """Rotate vectors [..., 3] by unit quaternions (w, x, y, z) [..., 4] (broadcasting)."""
    w, xyz = quat[..., :1], quat[..., 1:]
    xyz = xyz.expand_as(vec)
    t = 2.0 * torch.cross(xyz, vec, dim=-1)
    return vec + w * t + torch.cross(xyz, t, dim=-1)


def rotate_inverse(quat: torch.Tensor, vec: torch.Tensor) -> torch.Tensor:
    """Rotate vectors by the inverse of unit quaternions (w, x, y, z)."""
    return rotate(torch.cat([quat[..., :1], -quat[..., 1:]], dim=-1), vec)
