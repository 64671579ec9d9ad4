"""trackbench.testing: the contract checks pass for every built-in plugin they can run, and fail,
naming the problem, for plugins broken in one way each."""

from __future__ import annotations

from dataclasses import replace

import pytest
import torch
from pydantic import Field

from tests.harness.training.probe import ProbeTask, bonus
from trackbench.api import KeypointSpec, Method, MethodSpec, RewardTerm, randomized_joints
from trackbench.harness.plugins import load_registry
from trackbench.plugins.robots.allegro import Allegro
from trackbench.testing import (
    assert_method_contract, assert_robot_contract, assert_task_contract, registry_with,
)

REGISTRY = load_registry()
# track needs a trained predictor, amp generated human data and dapg recorded demonstrations:
# minutes, not the seconds these checks take; their own tests (tests/plugins/methods/) build them.
SLOW_SETUP_METHODS = {"track", "amp", "dapg"}


def failure(check, *args, **kwargs) -> str:
    """The message of the AssertionError that ``check(*args, **kwargs)`` must raise."""
    with pytest.raises(AssertionError) as error:
        check(*args, **kwargs)
    return str(error.value)


# ---- the built-ins keep their contracts ---------------------------------------------------------

@pytest.mark.parametrize("name", REGISTRY.names("robots"))
def test_every_built_in_robot_keeps_the_robot_contract(name):
    assert_robot_contract(REGISTRY.get("robots", name).cls)


@pytest.mark.parametrize("name", REGISTRY.names("tasks"))
def test_every_built_in_task_keeps_the_task_contract(name):
    assert_task_contract(REGISTRY.get("tasks", name).cls)


@pytest.mark.parametrize("name", sorted(set(REGISTRY.names("methods")) - SLOW_SETUP_METHODS))
def test_the_built_in_methods_keep_the_method_contract(name):
    assert_method_contract(REGISTRY.get("methods", name).cls)


# ---- robots broken in one way each ---------------------------------------------------------------

ALLEGRO_TIPS = Allegro.Spec().keypoints


class MisnamedWrist(Allegro):
    """Names a wrist site its model lacks."""

    name = "misnamed_wrist"

    class Spec(Allegro.Spec):
        wrist_site: str = "no_such_wrist"


class OneSiteTwice(Allegro):
    """Its index keypoint names the thumb's site."""

    name = "one_site_twice"

    class Spec(Allegro.Spec):
        keypoints: tuple[KeypointSpec, ...] = (
            ALLEGRO_TIPS[0], ALLEGRO_TIPS[1].model_copy(update={"site": ALLEGRO_TIPS[0].site}),
            *ALLEGRO_TIPS[2:])


class CrossedActuators(Allegro):
    """The actuators of its first two hand joints drive each other's joint (names still right,
    so check_model cannot see it)."""

    name = "crossed_actuators"

    def build(self):
        model = super().build()
        first, second = (model.actuator(joint.name) for joint in self.spec.hand_joints[:2])
        first.target, second.target = second.target, first.target
        return model


@pytest.mark.parametrize("robot, message", [
    (MisnamedWrist, "wrist site 'no_such_wrist' is not in the model"),
    (OneSiteTwice, "keypoints 'allegro/kp_thumb' and 'allegro/kp_thumb' (human indices 4, 8) "
                   "are 0.00 mm apart"),
    (CrossedActuators, "hand joint 'allegro/joint_0' commanded from"),
])
def test_a_broken_robot_fails_the_robot_contract(robot, message):
    text = failure(assert_robot_contract, robot)
    assert f"robot '{robot.name}'" in text and message in text


@pytest.mark.parametrize("overrides, message", [
    ({"hand_kp": -1.0}, "robot 'allegro': field 'hand_kp': Input should be greater than 0"),
    # Without armature the light finger links are unstable at a 1/240 s step (README), the
    # faster the stiffer the servo.
    ({"hand_armature": 0.0, "hand_kp": 1e4, "hand_effort": 100.0},
     "the physics of 2 env(s) blew up by control step 1"),
])
def test_overrides_that_break_a_robot_fail_the_robot_contract(overrides, message):
    assert message in failure(assert_robot_contract, Allegro, overrides=overrides)


# ---- tasks broken in one way each ----------------------------------------------------------------

class UnseededReset(ProbeTask):
    """Draws its reset noise from torch's global generator, not the one it is handed."""

    name = "unseeded_reset"

    def reset(self, env_ids, generator):
        return replace(super().reset(env_ids, generator), robot_qpos=randomized_joints(
            self.robot, len(env_ids), 0.1, 0.1, None, self.device))


class ResetOutsideLimits(ProbeTask):
    """Puts its robot's last hand joint past its upper limit."""

    name = "reset_outside_limits"

    def reset(self, env_ids, generator):
        plan = super().reset(env_ids, generator)
        plan.robot_qpos[:, -1] = self.robot.hand_joints[-1].upper + 0.5
        return plan


class ColumnSuccess(ProbeTask):
    """Reports success as a column [N, 1]."""

    name = "column_success"

    def update(self, state):
        frame = super().update(state)
        return replace(frame, success=frame.success[:, None])


class NanTerm(ProbeTask):
    """One dense term is NaN."""

    name = "nan_term"

    def reward_terms(self):
        def broken(frame):
            """NaN"""
            return torch.full((frame.state.num_envs,), float("nan"))

        groups = super().reward_terms()
        return {**groups, "dense": groups["dense"] + (RewardTerm("broken", broken),)}


class RepeatedTerm(ProbeTask):
    """Two terms of one group share a name."""

    name = "repeated_term"

    def reward_terms(self):
        return {"task": (RewardTerm("bonus", bonus, 1.0), RewardTerm("bonus", bonus, 2.0))}


class Picky(ProbeTask):
    """Refuses every robot."""

    name = "picky"

    def check_compatible(self, robot):
        return ["needs a robot called leap"]


@pytest.mark.parametrize("task, message", [
    (UnseededReset, "ResetPlan.robot_qpos differs between two resets from equally seeded "
                    "generators"),
    (ResetOutsideLimits, "puts joint 'allegro/joint_15' outside its limits"),
    (ColumnSuccess, "TaskFrame.success is torch.bool [2, 1]; expected torch.bool [2]"),
    (NanTerm, "reward term 'dense/broken' is nan in env 0 at control step 1"),
    (RepeatedTerm, "reward_terms()['task'] repeats a term name: ['bonus', 'bonus']"),
    (Picky, "allegro × picky: task 'picky': needs a robot called leap"),
])
def test_a_broken_task_fails_the_task_contract(task, message):
    text = failure(assert_task_contract, task)
    assert f"task '{task.name}' with robot 'allegro'" in text and message in text


def test_the_task_contract_runs_a_robot_class_it_is_given():
    text = failure(assert_task_contract, ProbeTask, robot=MisnamedWrist)
    assert "wrist site 'no_such_wrist' is not in the model" in text


# ---- methods broken in one way each --------------------------------------------------------------

class Twice(Method):
    """Names two of its terms alike."""

    name = "twice"
    Spec = MethodSpec

    def terms(self, task):
        zero = lambda frame: torch.zeros(frame.state.num_envs)  # noqa: E731
        return (RewardTerm("same", zero), RewardTerm("same", zero))


class Wide(Method):
    """Gives its one term as [N, 2]."""

    name = "wide"
    Spec = MethodSpec

    def terms(self, task):
        return (RewardTerm("wide", lambda frame: torch.zeros(frame.state.num_envs, 2)),)


@pytest.mark.parametrize("method, message", [
    (Twice, "refuses to plan it"),
    (Wide, "reward term 'wide' is torch.float32 [2, 2]; expected float [2]"),
])
def test_a_broken_method_fails_the_method_contract(method, message):
    text = failure(assert_method_contract, method, task=ProbeTask)
    assert f"method '{method.name}' on task 'probe' with robot 'allegro'" in text
    assert message in text


# ---- registry_with -------------------------------------------------------------------------------

class FakeAllegro(Allegro):
    """Not the installed Allegro, under its name."""

    name = "allegro"


class BadDefault(Method):
    """Its Spec's default breaks the Spec's own bound."""

    name = "bad_default"

    class Spec(MethodSpec):
        weight: float = Field(default=-1.0, gt=0)


@pytest.mark.parametrize("plugin, message", [
    (int, "<class 'int'> is not a plugin class: subclass one of Engine, Robot, Task"),
    (FakeAllegro, "two robots are named 'allegro'"),
    (BadDefault, "method 'bad_default': field 'weight': Input should be greater than 0"),
])
def test_registry_with_refuses_what_trackbench_list_would_report(plugin, message):
    assert message in failure(registry_with, plugin)


def test_registry_with_adds_new_classes_and_keeps_installed_ones():
    registry = registry_with(Allegro, ProbeTask)
    assert registry.get("robots", "allegro").package == "trackbench"  # the installed entry
    assert registry.get("tasks", "probe").cls is ProbeTask
    assert registry.get("tasks", "probe").package == "tests"
