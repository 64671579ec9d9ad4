"""Every registered task with every registered robot: resets, resting objects, random actions,
reward terms and critic values (ManiSkill's `test_envs.py` idea: the registry is the test list)."""

from __future__ import annotations

import math

import pytest
import torch

from tests.plugins.tasks.support import REGISTRY, free_objects, hold_actions
from trackbench.harness.build import make_engine, make_robot, make_task, start_episodes
from trackbench.harness.rewards import ENERGY_TERMS
from trackbench.harness.scene import TABLE_TOP_Z

NUM_ENVS = 3
REWARD_GROUPS = ("task", "dense")  # the groups Task.reward_terms() must return
CASES = [(task, robot) for task in REGISTRY.names("tasks") for robot in REGISTRY.names("robots")]


@pytest.fixture(scope="module", params=CASES, ids=[f"{t}-{r}" for t, r in CASES])
def built(request):
    """(task, engine) for one task × robot; each test starts its own episodes on it."""
    task_name, robot_name = request.param
    task = make_task(REGISTRY, task_name)
    engine = make_engine(REGISTRY, "mujoco", make_robot(REGISTRY, robot_name), task.scenes(),
                         NUM_ENVS, seed=0)
    return task, engine


def test_reset_gives_valid_finite_states(built):
    task, engine = built
    start_episodes(task, engine, seed=1)
    state = engine.state
    k, n_obj = len(engine.robot.spec.keypoints), len(task.scenes()[0].objects)
    assert state.is_finite().all()
    assert state.keypoints.shape == (NUM_ENVS, k, 3)
    assert state.object_pos.shape == (NUM_ENVS, n_obj, 3)
    assert state.object_points.shape[:2] == (NUM_ENVS, n_obj)
    assert (state.step == 0).all()
    expected_ids = [[o.class_id for o in task.scenes()[v].objects]
                    for v in task.variant_of(torch.arange(NUM_ENVS)).tolist()]
    assert state.object_class_ids.tolist() == expected_ids
    # Resets draw only from the generator: the same seed gives the same plan.
    ids = torch.arange(NUM_ENVS)
    first, again = (task.reset(ids, torch.Generator().manual_seed(5)) for _ in range(2))
    for a, b in zip(first.as_kwargs().values(), again.as_kwargs().values()):
        assert (a is None and b is None) or torch.equal(a, b)


def test_objects_start_at_rest(built):
    """The task's object placement alone: the arm's base joint is turned half a turn so the hand
    points away from the table and cannot touch the objects. Free objects rest on the table;
    articulated ones (the cabinet's drawer handle) stay where the scene put them. (From the task's
    randomised robot pose the hand does touch a tall object in a few per cent of resets, as in the
    paper.)"""
    task, engine = built
    start_episodes(task, engine, seed=2)  # sets the task up, so the test also runs alone
    robot = engine.robot.spec
    ids = torch.arange(NUM_ENVS)
    plan = task.reset(ids, torch.Generator().manual_seed(2))
    joints = robot.arm_joints + robot.hand_joints
    turned = torch.tensor([[j.default for j in joints]]).repeat(NUM_ENVS, 1)
    turned[:, 0] += math.pi
    engine.reset(ids, robot_qpos=turned, object_pos=plan.object_pos, object_quat=plan.object_quat)
    task.begin(ids, engine.state)
    start = engine.state.object_pos.clone()
    assert engine.state.keypoints[..., 1].min() > 0.35  # behind the table's far edge (y = 0.3)
    for _ in range(20):
        state = engine.step(hold_actions(engine))
    assert not engine.unstable.any()
    moved = (state.object_pos - start).norm(dim=-1)  # [N, n_obj], every tracked object
    assert moved.numel() and (moved < 0.01).all(), moved
    free = torch.tensor(free_objects(engine))
    if free.any():  # only free objects lie on the table (the cabinet's handle hangs on its drawer)
        lowest = state.object_points[:, free, :, 2].amin(dim=-1)  # [N, n_free] bottom of each cloud
        assert (lowest > TABLE_TOP_Z - 0.003).all(), lowest


def test_random_actions_keep_states_rewards_and_critic_values_finite(built):
    task, engine = built
    start_episodes(task, engine, seed=3)
    generator = torch.Generator().manual_seed(0)
    terms = task.reward_terms()
    k = len(engine.robot.spec.keypoints)
    for _ in range(20):
        state = engine.step(torch.rand(NUM_ENVS, engine.num_actions, generator=generator) * 2 - 1)
        frame = task.update(state)
        assert state.is_finite().all()
        assert frame.success.shape == frame.failed.shape == (NUM_ENVS,)
        assert frame.success.dtype == frame.failed.dtype == torch.bool
        for group in REWARD_GROUPS:
            for term in terms[group]:
                value = term(frame)
                assert value.shape == (NUM_ENVS,) and torch.isfinite(value).all(), term.name
        privileged = task.privileged(frame)
        assert privileged.dim() == 2 and privileged.shape[0] == NUM_ENVS
        assert privileged.shape[1] >= k and torch.isfinite(privileged).all()
        done = (frame.success | frame.failed | engine.unstable).nonzero().squeeze(1)
        if done.numel():  # as the harness does
            plan = task.reset(done, generator)
            engine.reset(done, **plan.as_kwargs())
            task.begin(done, engine.state)


def test_reward_terms_are_named_documented_and_grouped(built):
    task, _ = built
    terms = task.reward_terms()
    assert set(terms) == set(REWARD_GROUPS)
    names = [term.name for group in REWARD_GROUPS for term in terms[group]]
    assert len(names) == len(set(names)), names
    assert not set(names) & {term.name for term in ENERGY_TERMS}  # methods add energy
    assert all(term.formula for group in REWARD_GROUPS for term in terms[group])
    assert terms["task"] and terms["dense"]


def test_what_policy_and_predictor_see(built):
    task, engine = built
    start_episodes(task, engine, seed=4)
    state = engine.state
    points = task.policy_points(state)
    assert points.dim() == 3 and points.shape[0] == NUM_ENVS and points.shape[2] == 3
    label = task.goal_label(state)
    assert label.shape == (NUM_ENVS,) and label.dtype == torch.long
    assert ((label >= 0) & (label <= 21)).all()
    clouds, ids = task.predictor_objects(state)
    assert clouds.shape[:2] == ids.shape and clouds.shape[0] == NUM_ENVS and clouds.shape[-1] == 3
