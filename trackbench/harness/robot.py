"""The robot plugin contract: an arm + hand that builds its own MJCF and declares its keypoints.

A robot builds one ``mujoco.MjSpec`` holding, in this order of joints, the arm joints then the hand
joints (the action order), one position actuator per joint with the spec's PD gains, a site per
keypoint (fingertips) and a wrist site. Engines add the task's scene and compile it.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import TYPE_CHECKING, ClassVar, Literal

from pydantic import Field, model_validator

from trackbench.harness.errors import TrackbenchError
from trackbench.harness.specs import FrozenSpec, PluginSpec

if TYPE_CHECKING:
    import mujoco

# MANO / DexYCB 21-joint order: 0 wrist; thumb 1-4, index 5-8, middle 9-12, ring 13-16, little 17-20.
HUMAN_FINGERTIPS = (4, 8, 12, 16, 20)


class JointSpec(FrozenSpec):
    name: str
    lower: float
    upper: float
    default: float = 0.0

    @model_validator(mode="after")
    def _ordered(self) -> "JointSpec":
        if not self.lower < self.upper:
            raise ValueError(f"joint {self.name}: lower {self.lower} must be < upper {self.upper}")
        if not self.lower <= self.default <= self.upper:
            raise ValueError(f"joint {self.name}: default {self.default} outside limits")
        return self


class KeypointSpec(FrozenSpec):
    site: str = Field(description="MJCF site whose world position is the keypoint")
    human_index: int = Field(ge=0, le=20, description="MANO/DexYCB joint index it plays")
    surface_site: str | None = Field(default=None, description=(
        "site at the fingertip's outer end where the keypoint sits further in (Allegro: the "
        "distal-link origin); the pre-grasp curriculum aims it at the object. None: the site"))


class SyntheticKeypoint(FrozenSpec):
    """A human keypoint the hand lacks, synthesised as the mean of other human indices.

    The authors' Allegro mapping: ring tip (16) = mean(middle 12, 4th finger playing little 20);
    it is fed to the predictor and dropped from its output.
    """

    human_index: int = Field(ge=0, le=20)
    mean_of: tuple[int, ...] = Field(min_length=1)


class RobotSpec(PluginSpec):
    """Fields every robot declares. Defaults come from the paper's released code."""

    arm_joints: tuple[JointSpec, ...]
    hand_joints: tuple[JointSpec, ...]
    arm_kp: float = Field(default=1000.0, gt=0, description="arm PD stiffness (N·m/rad)")
    arm_kd: float = Field(default=100.0, ge=0, description="arm PD damping")
    arm_effort: float = Field(default=500.0, gt=0, description="arm torque limit (N·m)")
    hand_kp: float = Field(default=40.0, gt=0, description="hand PD stiffness")
    hand_kd: float = Field(default=5.0, ge=0, description="hand PD damping")
    hand_effort: float = Field(default=0.35, gt=0, description="hand torque limit (N·m)")
    hand_armature: float = Field(
        default=1e-3, ge=0, description="rotor inertia on each hand joint (kg·m²); keeps light "
        "finger links stable at a 1/240 s step"
    )
    arm_speed_scale: float = Field(
        default=1.0, gt=0, description="arm delta targets: target += scale · dt_sim · action"
    )
    # The paper's arm actions are per-joint deltas: lifting the hand straight up takes a
    # coordinated motion of several joints, which exploration seldom finds. A wrist-delta action
    # space makes "up" one action, as many manipulation benchmarks do (Isaac Lab's and
    # robosuite's end-effector controllers); it is not the paper's, so it is a named option.
    arm_action: Literal["joint_delta", "wrist_delta"] = Field(default="joint_delta", description=(
        "joint_delta: the paper's per-joint arm deltas (n_arm actions); wrist_delta: 6 actions "
        "move the wrist (x, y, z in m, rotation about x, y, z in rad; world frame), turned into "
        "arm joint deltas by damped least squares"))
    wrist_linear_speed: float = Field(default=0.1, gt=0, le=2.0, description=(
        "wrist_delta: wrist speed at action 1 (m/s)"))
    wrist_angular_speed: float = Field(default=0.5, gt=0, le=10.0, description=(
        "wrist_delta: wrist turning rate at action 1 (rad/s)"))
    # The paper's hand actions are absolute targets: a policy whose mean action is 0 sends the
    # hand half-closed at every step, so a grasp it starts in is lost at once. Delta targets
    # make "hold" the zero action (ManiSkill's pd_joint_target_delta_pos); a named option.
    hand_action: Literal["absolute", "delta"] = Field(default="absolute", description=(
        "absolute: the paper's hand targets, actions scaled to the joint limits; delta: "
        "target += hand_delta_speed / control_hz · action, clamped to the limits"))
    hand_delta_speed: float = Field(default=2.0, gt=0, le=50.0, description=(
        "hand_action=delta: finger joint target speed at action 1 (rad/s); 2 rad/s is 0.1 rad "
        "per 20 Hz control step, the bound of ManiSkill's Allegro pd_joint_target_delta_pos"))
    # Why: from a pre-grasp, closing every finger joint together at full speed for 0.5 s and then
    # raising the wrist lifts the object ≥ 5 cm from 54 % of allegro's pre-grasps, 29 % of xhand's
    # and of svh's, 0 % with the hand left open (`benchmarks/uniform_close.py R 24 10 all`; 24
    # pre-grasps, hand effort 0.7 N·m), yet PPO with one independent noise per finger joint
    # did not find "close" in millions of steps (docs/results, sessions 10–11). One action along the
    # first postural synergy of human grasps — all fingers flex together (Santello, Flanders &
    # Soechting 1998, "Postural hand synergies for tool use", J. Neurosci. 18(23)) — makes
    # closing a one-dimensional search, as eigengrasp planners do (Ciocarlie & Allen 2009).
    hand_close_action: bool = Field(default=False, description=(
        "one more action, after the hand's: it adds to every hand joint's delta action (the sum "
        "clipped to [-1, 1]), so +1 closes all fingers together at hand_delta_speed; needs "
        "hand_action=delta; default False: the paper's action space"))
    # Why: with delta actions the PD targets are state the joints do not show — a hand closed on
    # an object sits still whether its targets press 0.01 or 0.3 rad into it — so without them the
    # policy cannot tell how hard it grips. ManiSkill's target-delta controllers (use_target) put
    # their targets into the agent's observation for the same reason.
    observe_targets: bool = Field(default=False, description=(
        "the policy also observes the PD joint targets, scaled to [-1, 1] by the limits like the "
        "positions, after the joint velocities (for delta actions: hand_action=delta); default "
        "False: the paper's observation"))
    # Why: the paper's actor sees joint angles and the object's points, so it must learn the arm's
    # forward kinematics to know where its hand is. From the task's resets a staged grasp policy
    # that lifts from pre-grasps brought its hand to a place uncorrelated with the object's
    # (corr −0.07 in y at step 60; docs/results "Session 13"). IsaacGymEnvs' AllegroKuka and
    # Isaac Lab's lift tasks give the actor such relative positions; a named option here.
    observe_keypoints: bool = Field(default=False, description=(
        "the policy also observes its keypoints (fingertips, thumb first) relative to the "
        "centroid of the task's policy points (the object it acts on), m, K×3 after the joint "
        "blocks; default False: the paper's observation"))
    keypoints: tuple[KeypointSpec, ...] = Field(description="fingertips, thumb first")
    wrist_site: str = Field(description="site at the wrist (the arm flange, link7)")
    synthetic_keypoints: tuple[SyntheticKeypoint, ...] = ()
    base_pos: tuple[float, float, float] = Field(
        default=(0.0, 0.45, 0.0), description="arm base in the world frame (paper: (0, 0.45, 0))"
    )
    base_yaw: float = Field(default=-1.5708, description="arm base yaw (paper: −90°)")

    @model_validator(mode="after")
    def _consistent(self) -> "RobotSpec":
        names = [j.name for j in self.arm_joints + self.hand_joints]
        if len(set(names)) != len(names):
            raise ValueError("joint names repeat")
        if self.hand_close_action and self.hand_action != "delta":
            raise ValueError("hand_close_action adds to the hand's delta actions: it needs "
                             "hand_action=delta")
        played = [k.human_index for k in self.keypoints]
        if len(set(played)) != len(played):
            raise ValueError(f"two keypoints play the same human index: {played}")
        for synthetic in self.synthetic_keypoints:
            if synthetic.human_index in played:
                raise ValueError(f"human index {synthetic.human_index} is both real and synthetic")
            missing = [i for i in synthetic.mean_of if i not in played]
            if missing:
                raise ValueError(f"synthetic keypoint averages unmapped human indices {missing}")
        return self

    def fingertip_sites(self) -> tuple[str, ...]:
        """Sites at the fingertips' ends, thumb first: each keypoint's ``surface_site`` where it
        names one, else the keypoint's own site."""
        return tuple(k.surface_site or k.site for k in self.keypoints)

    @property
    def num_dof(self) -> int:
        return len(self.arm_joints) + len(self.hand_joints)

    def hand_step(self, control_hz: float) -> float | None:
        """rad a delta hand target moves per control step at action 1 (``hand_delta_speed`` /
        ``control_hz``, Hz), or None for the paper's absolute hand targets."""
        return self.hand_delta_speed / control_hz if self.hand_action == "delta" else None

    @property
    def num_arm_actions(self) -> int:
        """Leading actions that drive the arm: 6 for wrist_delta, one per arm joint otherwise."""
        return 6 if self.arm_action == "wrist_delta" else len(self.arm_joints)

    @property
    def hand_joint_actions(self) -> slice:
        """The actions of the hand's joints, one per hand joint, after the arm's."""
        return slice(self.num_arm_actions, self.num_arm_actions + len(self.hand_joints))

    @property
    def num_actions(self) -> int:
        """The policy's action dimension: the arm's actions, one per hand joint, then the close
        action if ``hand_close_action``."""
        return self.num_arm_actions + len(self.hand_joints) + int(self.hand_close_action)

    def missing_human_fingertips(self) -> list[int]:
        """The human fingertips (of 4, 8, 12, 16, 20) no keypoint plays and none is synthesised as."""
        covered = {k.human_index for k in self.keypoints} | {
            s.human_index for s in self.synthetic_keypoints}
        return [h for h in HUMAN_FINGERTIPS if h not in covered]

    def human_fingertip_sources(self) -> list[tuple[int, ...]]:
        """For each human fingertip (4, 8, 12, 16, 20): the robot keypoint indices to average.

        Raises TrackbenchError if :meth:`missing_human_fingertips` is not empty (methods that
        need all five report that at plan time, in ``Method.check_compatible``)."""
        missing = self.missing_human_fingertips()
        if missing:
            raise TrackbenchError(f"robot lacks human fingertips {missing} and synthesises none")
        by_human = {k.human_index: (i,) for i, k in enumerate(self.keypoints)}
        for synthetic in self.synthetic_keypoints:
            by_human[synthetic.human_index] = tuple(
                i for h in synthetic.mean_of for i in by_human[h]
            )
        return [by_human[h] for h in HUMAN_FINGERTIPS]


class Robot(ABC):
    """Base of robot plugins. Subclasses set ``name``, ``Spec`` and implement :meth:`build`."""

    name: ClassVar[str]
    Spec: ClassVar[type[RobotSpec]]

    def __init__(self, spec: RobotSpec):
        self.spec = spec

    @abstractmethod
    def build(self) -> "mujoco.MjSpec":
        """Return the arm + hand model (see module docstring for what it must contain)."""

    def check_model(self) -> list[str]:
        """Problems between the Spec and the model :meth:`build` returns: a keypoint site, the
        wrist site, a joint or its actuator that the Spec names and the model lacks, or
        actuators not one per joint in action order. Each is one sentence; empty if none.

        ``trackbench run`` (``--dry-run`` included) calls this once per planned robot before any
        cell starts, so a misnamed site fails at once rather than when its cell builds the
        engine. The default compiles the arm + hand alone (no task scene; tens of milliseconds);
        override it to add checks, calling ``super().check_model()``. Must not raise."""
        try:
            model = self.build().compile()
        except Exception as error:  # MuJoCo's compiler (or the plugin's build) says what is wrong
            return [f"the model does not build and compile: {type(error).__name__}: {error}"]
        return model_problems(self.spec, model)


def model_problems(spec: RobotSpec, model: "mujoco.MjModel") -> list[str]:
    """What :meth:`Robot.check_model` checks, on a compiled model."""
    problems = [f"keypoint site '{k.site}' (human index {k.human_index}) is not in the model"
                for k in spec.keypoints if not _has(model.site, k.site)]
    problems += [f"fingertip surface site '{k.surface_site}' is not in the model"
                 for k in spec.keypoints if k.surface_site and not _has(model.site, k.surface_site)]
    if not _has(model.site, spec.wrist_site):
        problems.append(f"wrist site '{spec.wrist_site}' is not in the model")
    joints = [j.name for j in spec.arm_joints + spec.hand_joints]
    problems += [f"joint '{name}' is not in the model" for name in joints
                 if not _has(model.joint, name)]
    actuators = [model.actuator(name).id if _has(model.actuator, name) else None for name in joints]
    problems += [f"joint '{name}' has no actuator named '{name}'"
                 for name, actuator in zip(joints, actuators) if actuator is None]
    if None not in actuators and (actuators != list(range(len(joints))) or model.nu != len(joints)):
        problems.append(f"the model needs exactly one actuator per joint, in action order (arm "
                        f"then hand): {len(joints)} joints, {model.nu} actuators")
    return problems


def _has(lookup, name: str) -> bool:
    """Whether MjModel's named accessor (``model.site``, ``.joint``, ...) knows ``name``."""
    try:
        lookup(name)
    except KeyError:
        return False
    return True
