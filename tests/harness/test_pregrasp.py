"""The pre-grasp curriculum (task.pregrasp_start): IK poses around the object on the real engine,
training resets only, counted and restored with the env, validated at plan time."""

from __future__ import annotations

import importlib.util
import math

import pytest
import torch

from tests.harness.lift_env import REGISTRY, make_lift_env
from trackbench.harness.build import make_robot, make_task
from trackbench.harness.env import VecEnv
from trackbench.harness.errors import TrackbenchError
from trackbench.harness.pregrasp import GAP, PENETRATION, PregraspSearch, _deepest_robot_contact

NUM_ENVS = 6  # one of each paper object


def make_env(fraction: float, num_envs: int = NUM_ENVS, **task_fields) -> VecEnv:
    return make_lift_env({"pregrasp_start": fraction, **task_fields}, num_envs)


@pytest.fixture(scope="module")
def env() -> VecEnv:
    return make_env(1.0)


def tip_to_object(env: VecEnv) -> torch.Tensor:
    """[N] mean distance (m) of the keypoints to object 0's centre."""
    state = env.engine.state
    return (state.keypoints - state.object_pos[:, :1]).norm(dim=-1).mean(dim=1)


def test_every_training_reset_starts_with_the_hand_open_around_its_object(env):
    assert env.curriculum_metrics() == {"pregrasp_starts_total": NUM_ENVS, "pregrasp_misses_total": 0}
    # Standard resets leave the fingertips ~0.3 m from the object; a pre-grasp within reach.
    assert (tip_to_object(env) < 0.15).all(), tip_to_object(env)
    start = env.engine.state.object_pos[:, 0].clone()
    hold = env.engine.state.joint_target.clone()
    n_arm = len(env.task.robot.arm_joints)
    actions = torch.zeros(NUM_ENVS, env.num_actions)
    lower, upper = env._lower[n_arm:], env._upper[n_arm:]
    for _ in range(10):  # hold the pose: the object was not teleported into the hand
        actions[:, n_arm:] = 2 * (hold[:, n_arm:] - lower) / (upper - lower) - 1
        env.step(actions)
    moved = (env.engine.state.object_pos[:, 0] - start).norm(dim=-1)
    assert (moved < 0.03).all(), moved


@pytest.fixture(scope="module")
def one_reset():
    """(task, robot, search, reset pose [n_dof], (object pos [3], quat [4])) of env 0's reset."""
    task = make_task(REGISTRY, "grasp_lift", {})
    robot = make_robot(REGISTRY, "allegro")
    task.setup(robot.spec, 1)
    search = PregraspSearch(robot, task.scenes())
    plan = task.reset(torch.tensor([0]), torch.Generator().manual_seed(1))
    return task, robot, search, plan.robot_qpos[0], (plan.object_pos[0, 0], plan.object_quat[0, 0])


def test_a_pose_penetrates_nothing_and_the_tips_stand_off_by_the_gap(one_reset):
    task, robot, search, reset, obj = one_reset
    pose = search.solve(0, reset, *obj, torch.Generator().manual_seed(2))
    assert pose is not None
    model, data = search._models[0], search._datas[0]  # solve leaves the accepted pose there
    assert _deepest_robot_contact(model, data, search._robot_body[0]) >= -PENETRATION
    body = model.body(task.scenes()[0].objects[0].body).id
    for site in robot.spec.fingertip_sites():
        gap = float(((data.site(site).xpos - data.xpos[body])[:2] ** 2).sum() ** 0.5)
        assert gap > GAP / 2  # outside the can (radius 5 cm) with room to close


def test_evaluation_uses_the_standard_reset(env):
    with env.evaluation():
        env.reset(full_episodes=True)
        assert (tip_to_object(env) > 0.2).all(), tip_to_object(env)
    assert env.curriculum_metrics()["pregrasp_starts_total"] == NUM_ENVS  # none drawn meanwhile


def test_the_fraction_is_a_per_reset_draw_and_off_by_default():
    half = make_env(0.5, num_envs=12)
    counts = half.curriculum_metrics()
    assert 0 < counts["pregrasp_starts_total"] + counts["pregrasp_misses_total"] < 12
    assert make_env(0.0, num_envs=2).curriculum_metrics() == {}


def test_the_counts_travel_with_the_env_state(env):
    state = env.state_dict()
    other = make_env(1.0)
    other.starts.counts["pregrasp_starts_total"] = 0
    other.load_state_dict(state)
    assert other.curriculum_metrics() == env.curriculum_metrics()


def test_a_keypoint_may_name_its_fingertip_surface_site():
    allegro = REGISTRY.get("robots", "allegro")
    assert allegro.cls.Spec().fingertip_sites()[0] == "allegro/tip_thumb"
    spec = allegro.cls.Spec(keypoints=[
        {"site": "allegro/kp_thumb", "human_index": 4, "surface_site": "allegro/nope"},
        {"site": "allegro/kp_index", "human_index": 8}], synthetic_keypoints=())
    assert spec.fingertip_sites() == ("allegro/nope", "allegro/kp_index")  # the site when unnamed
    problems = allegro.cls(spec).check_model()
    assert "fingertip surface site 'allegro/nope' is not in the model" in problems


@pytest.mark.parametrize("field", ["pregrasp_start", "grasped_start"])
def test_without_mink_the_plan_names_the_install(monkeypatch, field):
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "mink" else real(name, *a))
    task = make_task(REGISTRY, "grasp_lift", {field: 0.5})
    robot = make_robot(REGISTRY, "allegro")
    assert task.check_compatible(robot.spec) == [
        f"task.{field} needs the 'mink' package (pip install mink)"]
    with pytest.raises(TrackbenchError, match="pip install mink"):
        task.setup(robot.spec, 1)


def test_progress_places_the_start_on_the_way_in_from_the_reset():
    standard = tip_to_object(make_env(0.0))  # the same seed: the same resets and objects
    at_reset = make_env(1.0, pregrasp_progress=(0.0, 0.0))
    assert at_reset.curriculum_metrics()["pregrasp_starts_total"] == NUM_ENVS
    assert torch.allclose(tip_to_object(at_reset), standard, atol=1e-4)
    halfway = make_env(1.0, pregrasp_progress=(0.5, 0.5))
    made = halfway.curriculum_metrics()["pregrasp_starts_total"]
    assert made >= NUM_ENVS - 1, halfway.curriculum_metrics()  # a penetrating pose is a miss
    # Halfway in joint space is not halfway in distance for every env (the path may round the
    # object), but on average it is well inside the reset and short of the pre-grasp.
    assert 0.15 < tip_to_object(halfway).mean() < standard.mean() - 0.05, \
        (tip_to_object(halfway), standard)


def test_between_interpolates_joint_by_joint_and_refuses_a_fraction_outside_0_1(one_reset):
    _, _, search, reset, obj = one_reset
    pose = search.solve(0, reset, *obj, torch.Generator().manual_seed(2))
    assert torch.equal(search.between(0, reset, pose, 0.0, *obj), reset)
    assert torch.allclose(search.between(0, reset, pose, 1.0, *obj), pose)
    # solve(progress=...) returns such a pose for the first direction whose path is clear too
    quarter = search.solve(0, reset, *obj, torch.Generator().manual_seed(2), progress=0.25)
    model, data = search._models[0], search._datas[0]  # left there by the accepted check
    assert _deepest_robot_contact(model, data, search._robot_body[0]) >= -PENETRATION
    ends = [search.pose(0, reset, *obj, 2 * math.pi * k / 8) for k in range(8)]
    assert any(end is not None and torch.allclose(quarter, reset + 0.25 * (end - reset))
               for end in ends)
    with pytest.raises(ValueError, match="progress must be in \\[0, 1\\]"):
        search.between(0, reset, pose, 1.5, *obj)


@pytest.mark.parametrize("progress", [(0.8, 0.2), (-0.1, 1.0), (0.0, 1.2)])
def test_a_progress_range_outside_0_1_or_reversed_is_refused_at_load(progress):
    with pytest.raises(TrackbenchError, match="pregrasp_progress must be \\(low, high\\)"):
        make_task(REGISTRY, "grasp_lift", {"pregrasp_progress": progress})
