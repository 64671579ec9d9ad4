"""Contract checks for a plugin package's own test suite, as pytest and datasette give their
plugin authors: does my robot, task or method keep trackbench's contract? ::

    from trackbench.testing import assert_robot_contract, assert_task_contract

    def test_my_hand_keeps_the_robot_contract():
        assert_robot_contract(MyHand)

Each helper adds the classes it is given to the installed plugins (:func:`registry_with`), plans
one cell as ``trackbench run`` does — so the harness's own checks run: Spec defaults and
overrides, ``Robot.check_model``, ``Task.check_compatible``, ``Method.check_spec`` and
``Method.check_compatible`` — and steps that cell in a real VecEnv on the MuJoCo engine
(:data:`NUM_ENVS` envs, :data:`STEPS` control steps; a second or two of CPU). A broken contract
raises AssertionError whose message names the plugin and what is wrong, and no other exception
escapes for a plugin's fault (the original one is chained as the cause).

Only a plugin's *tests* import this module, never its plugin modules: it imports the host and
loads the installed plugins, which ``trackbench.api`` keeps plugins away from
(``tests/test_plugin_boundary.py``).
"""

from __future__ import annotations

import inspect
from typing import Any, Callable

import torch

from trackbench.harness.env import VecEnv
from trackbench.harness.errors import NonFiniteError, TrackbenchError
from trackbench.harness.matrix import plan
from trackbench.harness.method import Method, MethodSpec
from trackbench.harness.plugins import load_registry
from trackbench.harness.registry import KIND_CONTRACTS, Registry
from trackbench.harness.rewards import ENERGY_TERMS, RewardTerm
from trackbench.harness.robot import Robot, RobotSpec
from trackbench.harness.scene import table_with_box
from trackbench.harness.specs import MatrixSpec
from trackbench.harness.task import ResetPlan, Task, TaskFrame, TaskSpec, randomized_joints

NUM_ENVS = 2
STEPS = 3  # control steps (0.15 s at the policy's 20 Hz)
SEED = 0
# A hand joint commanded to a limit for STEPS control steps moves at least this far towards it
# (a free Allegro finger moves ~0.1 rad); joints already closer than MIN_ROOM are not judged.
MIN_TRAVEL, MIN_ROOM = 1e-3, 0.05  # rad (m for a slide)
# Two keypoints closer than this are one point: two KeypointSpecs name one site.
MIN_KEYPOINT_GAP = 1e-3  # m

PluginRef = str | type  # a registered name, or a plugin class that registry_with adds


def registry_with(*classes: type) -> Registry:
    """The installed plugins (the built-ins and every installed package) plus ``classes``, each
    registered as the kind its base class says (a Robot subclass as a robot, ...). A class
    already installed under its name (through your package's own entry point) is kept as is.

    Raises AssertionError listing every problem: an object that is no plugin class, a name
    another plugin has, a Spec whose defaults do not validate, an abstract method left
    unimplemented, or a problem of an installed plugin (``trackbench run`` would refuse it too).
    """
    registry = load_registry()
    for cls in classes:
        kind = _kind_of(cls)
        installed = registry.entries[kind].get(getattr(cls, "name", None))
        if installed is not None and installed.cls is cls:
            continue
        module = getattr(cls, "__module__", "")
        registry.add(kind, cls, package=module.split(".")[0], entry_point=module)
    if registry.problems:
        raise AssertionError("the plugins cannot be registered:\n" + "\n".join(registry.problems))
    return registry


def assert_robot_contract(robot: type[Robot], overrides: dict[str, Any] | None = None) -> None:
    """Check that ``robot`` (with its Spec's defaults, or ``overrides`` of its Spec fields)
    plans, builds and moves: the Spec validates; ``check_model`` finds no problem (every site,
    joint and actuator the Spec names, one actuator per joint in action order); the keypoints
    are distinct points; in a table-and-box scene, hand joints commanded towards their limits
    move there (an actuator that drives another joint than its name fails this), and no env's
    physics blows up. Raises AssertionError naming each problem."""
    registry = registry_with(robot, _ContractTable, _EveryTerm)
    subject = f"robot '{robot.name}'"
    env = _planned_env(subject, registry, robot.name, _ContractTable.name, _EveryTerm.name,
                       {"robot": overrides or {}})
    spec: RobotSpec = env.task.robot
    start = env.engine.state.joint_pos.clone()
    actions = _hand_towards_limits(spec, env.num_envs)
    _step(subject, env, lambda: actions)
    state = env.engine.state
    problems = _coincident_keypoints(spec, state.keypoints[0])
    problems += _stuck_hand_joints(spec, start, state.joint_pos, actions)
    if problems:
        raise AssertionError(f"{subject}:\n" + "\n".join(problems))


def assert_task_contract(task: type[Task], robot: PluginRef = "allegro",
                         overrides: dict[str, Any] | None = None) -> None:
    """Check that ``task`` (with its Spec's defaults, or ``overrides`` of its Spec fields) runs
    with ``robot`` (a registered name, or a Robot class to add): it plans (its
    ``check_compatible`` and ``reward_terms`` — a dict of tuples of RewardTerm, names unique per
    group — included); its scenes build; every step's TaskFrame has bool [N] success, failed
    and flags; ``policy_points`` is [N, P, 3] and ``privileged`` [N, D]; every reward term of
    every group gives a finite [N] value; no env's physics blows up; and ``reset`` plans are
    reproducible from the generator, shaped [N, n_dof] / [N, n_obj, 3] / [N, n_obj, 4], with
    robot poses inside the joint limits. Raises AssertionError naming the problem."""
    registry = registry_with(task, _EveryTerm, *_classes(robot))
    subject = f"task '{task.name}' with robot '{_name(robot)}'"
    env = _planned_env(subject, registry, _name(robot), task.name, _EveryTerm.name,
                       {"task": overrides or {}})
    _step(subject, env, _random_actions(env))
    problems = _reset_problems(env.task, env.num_envs)
    if problems:
        raise AssertionError(f"{subject}: reset():\n" + "\n".join(problems))


def assert_method_contract(method: type[Method], task: PluginRef = "grasp_lift",
                           robot: PluginRef = "allegro",
                           overrides: dict[str, Any] | None = None) -> None:
    """Check that ``method`` (with its Spec's defaults, or ``overrides`` of its Spec fields)
    rewards ``task`` with ``robot`` (registered names, or classes to add): it plans (its
    ``check_spec`` and ``check_compatible`` included, and its terms' names differ), sets up, and
    every step each of its ``terms`` gives a finite float [N] value. Raises AssertionError
    naming the problem."""
    registry = registry_with(method, *_classes(task, robot))
    subject = f"method '{method.name}' on task '{_name(task)}' with robot '{_name(robot)}'"
    env = _planned_env(subject, registry, _name(robot), _name(task), method.name,
                       {"method": overrides or {}})
    _step(subject, env, _random_actions(env))


# ---- one planned cell, stepped and watched ----------------------------------------------------

def _planned_env(subject: str, registry: Registry, robot: str, task: str, method: str,
                 overrides: dict[str, dict[str, Any]]) -> VecEnv:
    matrix = MatrixSpec(robots=[robot], tasks=[task], methods=[method], num_envs=NUM_ENVS,
                        seeds=1, overrides=overrides)
    try:
        cell = plan(matrix, registry)[0]
    except TrackbenchError as error:
        raise AssertionError(f"{subject}: trackbench refuses to plan it:\n{error}") from None
    try:
        env = VecEnv.build(cell, registry)
    except Exception as error:
        raise AssertionError(f"{subject}: building its env raised "
                             f"{type(error).__name__}: {error}") from error
    _watch_rewards(subject, env)
    return env


def _step(subject: str, env: VecEnv, actions: Callable[[], torch.Tensor]) -> None:
    """STEPS control steps; a non-finite value, an exception or a physics blow-up fails."""
    for step in range(1, STEPS + 1):
        try:
            env.step(actions())
        except AssertionError:
            raise
        except NonFiniteError as error:
            raise AssertionError(f"{subject}: {error}") from None
        except Exception as error:
            raise AssertionError(f"{subject}: control step {step} raised "
                                 f"{type(error).__name__}: {error}") from error
        if env.unstable_env_steps:
            raise AssertionError(
                f"{subject}: the physics of {env.unstable_env_steps} env(s) blew up by control "
                f"step {step} (non-finite, or faster than engine.max_joint_speed)")


def _watch_rewards(subject: str, env: VecEnv) -> None:
    """Check each TaskFrame the task hands the reward, and the value of each of the method's
    terms before the harness sums them."""
    manager, method, task, n = env.rewards, env.method, env.task, env.num_envs
    step = manager.step

    def checked_frame(frame: TaskFrame, keep: torch.Tensor | None = None):
        problems = _frame_problems(task, frame, n)
        if problems:
            raise AssertionError(f"{subject}: task '{task.name}':\n" + "\n".join(problems))
        return step(frame, keep)

    def checked(term: RewardTerm) -> RewardTerm:
        def fn(frame: TaskFrame) -> torch.Tensor:
            value = term.fn(frame)
            if not (isinstance(value, torch.Tensor) and value.is_floating_point()
                    and tuple(value.shape) == (n,)):
                raise AssertionError(f"{subject}: method '{method.name}': reward term "
                                     f"'{term.name}' is {_shape(value)}; expected float [{n}]")
            return value
        return RewardTerm(term.name, fn, term.weight)

    # this env's reward only: the method and its class are untouched
    manager.step = checked_frame
    manager.terms = tuple(checked(term) for term in manager.terms)


def _frame_problems(task: Task, frame: TaskFrame, n: int) -> list[str]:
    if not isinstance(frame, TaskFrame):
        return [f"update() returned {type(frame).__name__}, not a TaskFrame"]
    flags = {"success": frame.success, "failed": frame.failed,
             **{f"flags['{name}']": flag for name, flag in frame.flags.items()}}
    problems = [f"TaskFrame.{name} is {_shape(flag)}; expected torch.bool [{n}]"
                for name, flag in flags.items()
                if not (isinstance(flag, torch.Tensor) and flag.dtype == torch.bool
                        and tuple(flag.shape) == (n,))]
    if frame.n_arm != len(task.robot.arm_joints):
        problems.append(f"TaskFrame.n_arm is {frame.n_arm}; the robot has "
                        f"{len(task.robot.arm_joints)} arm joints")
    points = task.policy_points(frame.state)
    if not (isinstance(points, torch.Tensor) and points.ndim == 3
            and points.shape[0] == n and points.shape[2] == 3):
        problems.append(f"policy_points() is {_shape(points)}; expected [{n}, P, 3]")
    privileged = task.privileged(frame)
    if not (isinstance(privileged, torch.Tensor) and privileged.ndim == 2
            and privileged.shape[0] == n):
        problems.append(f"privileged() is {_shape(privileged)}; expected [{n}, D]")
    return problems


def _reset_problems(task: Task, n: int) -> list[str]:
    """What is wrong with the task's reset plans for envs 0..n-1."""
    ids = torch.arange(n)
    plan_, again = (task.reset(ids, torch.Generator().manual_seed(SEED)) for _ in range(2))
    if not isinstance(plan_, ResetPlan):
        return [f"returned {type(plan_).__name__}, not a ResetPlan"]
    robot, n_obj = task.robot, len(task.scenes()[0].objects)
    expected = {"robot_qpos": (n, robot.num_dof), "object_pos": (n, n_obj, 3),
                "object_quat": (n, n_obj, 4)}
    problems = []
    for field, shape in expected.items():
        value, other = getattr(plan_, field), getattr(again, field)
        if value is None:
            continue
        if not (isinstance(value, torch.Tensor) and tuple(value.shape) == shape):
            problems.append(f"ResetPlan.{field} is {_shape(value)}; expected {list(shape)}")
        elif not (isinstance(other, torch.Tensor) and torch.equal(value, other)):
            problems.append(f"ResetPlan.{field} differs between two resets from equally seeded "
                            f"generators: draw only from the `generator` argument")
    qpos = plan_.robot_qpos
    if not problems and qpos is not None:
        joints = robot.arm_joints + robot.hand_joints
        lower = torch.tensor([j.lower for j in joints], device=qpos.device)
        upper = torch.tensor([j.upper for j in joints], device=qpos.device)
        outside = ((qpos < lower) | (qpos > upper)).any(dim=0)
        problems += [f"ResetPlan.robot_qpos puts joint '{joints[j].name}' outside its limits "
                     f"[{joints[j].lower}, {joints[j].upper}]" for j in outside.nonzero()[:, 0]]
    return problems


def _hand_towards_limits(spec: RobotSpec, n: int) -> torch.Tensor:
    """Actions holding the arm (zero deltas) and sending the hand joints to alternate limits
    (upper, lower, upper, ...): two actuators that drive each other's joints then move them
    the wrong way."""
    actions = torch.zeros(n, spec.num_actions)
    hand = torch.ones(len(spec.hand_joints))
    hand[1::2] = -1.0
    actions[:, spec.hand_joint_actions] = hand
    return actions


def _stuck_hand_joints(spec: RobotSpec, start: torch.Tensor, end: torch.Tensor,
                       actions: torch.Tensor) -> list[str]:
    n_arm, problems = len(spec.arm_joints), []
    for j, joint in enumerate(spec.hand_joints):
        limit = joint.upper if actions[0, spec.num_arm_actions + j] > 0 else joint.lower
        room = limit - start[:, n_arm + j]
        moved = end[:, n_arm + j] - start[:, n_arm + j]
        judged = room.abs() > MIN_ROOM
        bad = judged & (moved * room.sign() < MIN_TRAVEL)
        if bad.any():
            env = int(bad.nonzero()[0, 0])
            problems.append(
                f"hand joint '{joint.name}' commanded from {float(start[env, n_arm + j]):.3f} "
                f"to its limit {limit} moved {float(moved[env]):+.4f} in {STEPS} control "
                f"steps: its actuator drives another joint, or the joint cannot move")
    return problems


def _coincident_keypoints(spec: RobotSpec, keypoints: torch.Tensor) -> list[str]:
    """Pairs of keypoints ([K, 3], one env) at one point."""
    gaps = torch.cdist(keypoints, keypoints)
    return [f"keypoints '{spec.keypoints[a].site}' and '{spec.keypoints[b].site}' (human "
            f"indices {spec.keypoints[a].human_index}, {spec.keypoints[b].human_index}) are "
            f"{float(gaps[a, b]) * 1000:.2f} mm apart: one point"
            for a in range(len(keypoints)) for b in range(a + 1, len(keypoints))
            if gaps[a, b] < MIN_KEYPOINT_GAP]


def _random_actions(env: VecEnv) -> Callable[[], torch.Tensor]:
    generator = torch.Generator().manual_seed(SEED)
    return lambda: torch.rand(env.num_envs, env.num_actions, generator=generator) * 2 - 1


def _classes(*plugins: PluginRef) -> list[type]:
    return [plugin for plugin in plugins if inspect.isclass(plugin)]


def _name(plugin: PluginRef) -> str:
    return plugin.name if inspect.isclass(plugin) else plugin


def _shape(value: Any) -> str:
    if isinstance(value, torch.Tensor):
        return f"{value.dtype} {list(value.shape)}"
    return type(value).__name__


def _kind_of(cls: Any) -> str:
    for kind, (base, _) in KIND_CONTRACTS.items():
        if inspect.isclass(cls) and issubclass(cls, base):
            return kind
    bases = ", ".join(base.__name__ for base, _ in KIND_CONTRACTS.values())
    raise AssertionError(f"{cls!r} is not a plugin class: subclass one of {bases} "
                         f"(from trackbench.api)")


# ---- the plugins these checks bring ----------------------------------------------------------

class _ContractTable(Task):
    """trackbench.testing's task for robot checks: the table and one box; never ends early."""

    name = "contract_table"
    Spec = TaskSpec

    def scenes(self):
        return (table_with_box(),)

    def reset(self, env_ids, generator):
        spec = self.spec
        return ResetPlan(robot_qpos=randomized_joints(
            self.robot, len(env_ids), spec.arm_reset_noise, spec.hand_reset_noise, generator,
            self.device))

    def begin(self, env_ids, state):
        pass

    def update(self, state):
        never = torch.zeros(state.num_envs, dtype=torch.bool, device=state.step.device)
        return TaskFrame(state, len(self.robot.arm_joints), never, never.clone())

    def reward_terms(self):
        return {}

    def policy_points(self, state):
        return state.object_points[:, 0]

    def privileged(self, frame):
        state = frame.state
        return (state.keypoints - state.object_pos[:, :1]).norm(dim=-1)


class _EveryTerm(Method):
    """trackbench.testing's method for task checks: every term of every group of the task
    (named ``group/term``), and the energy penalty."""

    name = "contract_every_term"
    Spec = MethodSpec

    def check_compatible(self, task, robot):
        groups = task.reward_terms()
        if not isinstance(groups, dict):
            return [f"reward_terms() returned {type(groups).__name__}, not a dict"]
        problems = []
        for group, terms in groups.items():
            if not (isinstance(terms, tuple) and all(isinstance(t, RewardTerm) for t in terms)):
                problems.append(f"reward_terms()['{group}'] is not a tuple of RewardTerm")
                continue
            names = [term.name for term in terms]
            if len(set(names)) != len(names):
                problems.append(f"reward_terms()['{group}'] repeats a term name: {names}")
        return problems

    def terms(self, task):
        return tuple(RewardTerm(f"{group}/{term.name}", term.fn, term.weight)
                     for group, terms in task.reward_terms().items() for term in terms
                     ) + ENERGY_TERMS
