"""grasp_lift, grasp_lift_clutter and lift_throw, scripted: resets, success after exactly the hold,
the lift-gated sparse reward, the dense approach reward, failures off the table, the bin."""

from __future__ import annotations

from dataclasses import replace

import pytest
import torch

from tests.plugins.tasks.support import hold_actions, place, start, with_target_at
from trackbench.harness.errors import TrackbenchError
from trackbench.harness.rewards import evaluate, total
from trackbench.kit import ycb
from trackbench.plugins.tasks.grasp_lift_clutter import DEFAULT_TRIPLES
from trackbench.plugins.tasks.lifting import PAPER_OBJECTS

POINT_GOAL_TASKS = ("grasp_lift", "grasp_lift_clutter")


def term(task, name):
    return next(t for group in task.reward_terms().values() for t in group if t.name == name)


# ---- resets ---------------------------------------------------------------------------------
def test_grasp_lift_spawns_the_paper_objects_round_robin_upright_near_the_centre():
    task, engine = start("grasp_lift", num_envs=8, seed=3)
    state = engine.state
    classes = [ycb.class_id(name) for name in PAPER_OBJECTS]
    assert state.object_class_ids[:, 0].tolist() == [classes[i % 6] for i in range(8)]
    assert task.goal_label(state).tolist() == state.object_class_ids[:, 0].tolist()
    xy, z = state.object_pos[:, 0, :2], state.object_pos[:, 0, 2]
    assert (xy.abs() <= 0.10 + 1e-6).all() and xy.std(dim=0).min() > 0.01  # spread, in range
    heights = torch.tensor([ycb.half_height(c) for c in state.object_class_ids[:, 0].tolist()])
    torch.testing.assert_close(z, heights, atol=1e-5, rtol=0)
    assert torch.allclose(state.object_quat[:, 0], torch.tensor([1.0, 0, 0, 0]))
    torch.testing.assert_close(task.policy_points(state), state.object_points[:, 0])


def test_clutter_puts_three_objects_on_distinct_grid_cells_and_the_target_first():
    task, engine = start("grasp_lift_clutter", num_envs=6, seed=4)
    state = engine.state
    targets = [ycb.class_id(triple[0]) for triple in DEFAULT_TRIPLES]
    assert task.goal_label(state).tolist() == targets
    clouds, ids = task.predictor_objects(state)
    assert clouds.shape[:2] == (6, 3) and ids.tolist() == [
        [ycb.class_id(name) for name in triple] for triple in DEFAULT_TRIPLES]
    assert task.policy_points(state).shape == (6, 100, 3)
    xy = state.object_pos[..., :2]
    grid_x, grid_y = torch.tensor([-0.223, 0.0, 0.223]), torch.tensor([-0.197, -0.05, 0.097])
    assert ((xy[..., 0, None] - grid_x).abs().amin(dim=-1) < 1e-4).all()
    assert ((xy[..., 1, None] - grid_y).abs().amin(dim=-1) < 1e-4).all()
    gaps = (xy[:, :, None] - xy[:, None]).norm(dim=-1) + torch.eye(3) * 10
    assert gaps.amin() > 0.14  # three different cells in every env
    again = task.reset(torch.arange(6), torch.Generator().manual_seed(4)).object_pos
    other = task.reset(torch.arange(6), torch.Generator().manual_seed(5)).object_pos
    torch.testing.assert_close(again, state.object_pos, atol=1e-6, rtol=0)  # drawn from the seed
    assert not torch.equal(again, other)


def test_specs_reject_unknown_and_repeated_objects():
    with pytest.raises(TrackbenchError, match="Did you mean '025_mug'"):
        start("grasp_lift", objects=("025_mugg",))
    with pytest.raises(TrackbenchError, match="repeats an object"):
        start("grasp_lift_clutter", triples=(("025_mug", "025_mug", "024_bowl"),))


# ---- success -----------------------------------------------------------------------------
@pytest.mark.parametrize("task_name", POINT_GOAL_TASKS)
def test_success_after_exactly_the_hold_count_near_the_goal(task_name):
    task, engine = start(task_name, num_envs=2)
    hold = task.spec.hold_steps
    goal = torch.tensor(task.spec.goal)
    near = with_target_at(engine.state, goal + torch.tensor([0.0, 0.0, 0.1]))  # 0.1 < 0.1125
    away = with_target_at(engine.state, goal + torch.tensor([0.0, 0.0, 0.12]))
    bonus = term(task, "task_goal_bonus")
    for _ in range(hold - 1):
        frame = task.update(near)
        assert not frame.success.any() and not frame.failed.any()
        assert torch.equal(bonus(frame), torch.full((2,), 200.0))  # 10000 / 50 per held step
    assert not task.update(away).success.any()  # one step away restarts the count
    assert torch.equal(bonus(task.update(away)), torch.zeros(2))
    for _ in range(hold - 1):
        assert not task.update(near).success.any()
    assert task.update(near).success.all()


def test_hold_count_is_the_spec_field():
    task, engine = start("grasp_lift", num_envs=1, hold_steps=3)
    near = with_target_at(engine.state, torch.tensor(task.spec.goal))
    assert [bool(task.update(near).success) for _ in range(3)] == [False, False, True]


# ---- rewards --------------------------------------------------------------------------------
def test_sparse_reward_is_zero_before_the_lift_latch_and_pays_progress_after():
    task, engine = start("grasp_lift", num_envs=1, seed=5)
    state = engine.state
    start_pos = state.object_pos[0, 0].clone()
    progress, lift_bonus = term(task, "task_progress"), term(task, "dense_lift_bonus")
    previous = (start_pos - torch.tensor(task.spec.goal)).norm()
    latched_at = None
    for i in range(1, 21):  # straight up in 1 cm steps, every step closer to the goal
        frame = task.update(with_target_at(state, start_pos + torch.tensor([0.0, 0.0, 0.01 * i])))
        distance = frame.buffers.distance[0]
        assert distance < previous
        if i <= 7:  # 0.02 + 0.07 < 0.10: not lifted yet
            assert progress(frame).item() == 0.0 and not frame.buffers.lifted.any()
        elif i >= 9:
            assert frame.buffers.lifted.all()
            assert progress(frame).item() == pytest.approx(2000 * (previous - distance).item(),
                                                           rel=1e-4)
        if lift_bonus(frame).item() > 0:
            assert latched_at is None and lift_bonus(frame).item() == 300.0
            latched_at = i
        previous = distance
    assert latched_at in (8, 9)  # 0.02 + 0.08 sits on the 0.10 threshold in float32
    top = start_pos + torch.tensor([0.0, 0.0, 0.20])
    assert progress(task.update(with_target_at(state, top - torch.tensor([0, 0, 0.02])))) == 0.0
    # Back up by 1 cm: still farther than the best so far, so nothing is paid.
    assert progress(task.update(with_target_at(state, top - torch.tensor([0, 0, 0.01])))) == 0.0
    assert progress(task.update(with_target_at(state, top + torch.tensor([0, 0, 0.01])))) > 0.0


@pytest.mark.parametrize("robot", ["allegro", "xhand", "svh"])
def test_dense_reward_increases_along_a_fingertip_approach(robot):
    task, engine = start("grasp_lift", robot, num_envs=1, seed=6)
    state = engine.state
    dense = task.reward_terms()["dense"]
    target = state.object_pos[:, 0:1]  # [1, 1, 3]
    far = state.keypoints.clone()
    returns = [0.0]
    for i in range(1, 11):
        tips = far + 0.09 * i * (target - far)  # 90 % of the way in 10 steps
        values = evaluate(dense, task.update(replace(state, keypoints=tips)))
        step_closer = (((far + 0.09 * (i - 1) * (target - far)) - target).norm(dim=-1)
                       - (tips - target).norm(dim=-1)).sum()
        assert values["dense_fingertip"].item() == pytest.approx(50 * step_closer.item(), rel=1e-4)
        returns.append(returns[-1] + total(values).item())
    assert all(b > a for a, b in zip(returns, returns[1:]))
    standing = evaluate(dense, task.update(replace(state, keypoints=tips)))
    retreat = evaluate(dense, task.update(replace(state, keypoints=far)))
    assert standing["dense_fingertip"].item() == retreat["dense_fingertip"].item() == 0.0
    assert returns[-1] - returns[-2] > total(standing).item()  # approaching beats standing still


def test_privileged_starts_with_fingertip_distances():
    task, engine = start("grasp_lift", "xhand", num_envs=2)
    frame = task.update(engine.state)
    values = task.privileged(frame)
    k = engine.state.keypoints.shape[1]
    assert values.shape == (2, k + 14)
    expected = (engine.state.keypoints - engine.state.object_pos[:, :1]).norm(dim=-1)
    torch.testing.assert_close(values[:, :k], expected)


# ---- failure --------------------------------------------------------------------------------
def run_until_done(task, engine, steps):
    """(first step [1-based] with success, first with failure) per env, None where never."""
    n = engine.num_envs
    first_success, first_failure = [None] * n, [None] * n
    for step in range(1, steps + 1):
        frame = task.update(engine.step(hold_actions(engine)))
        for env in range(n):
            if frame.success[env] and first_success[env] is None:
                first_success[env] = step
            if frame.failed[env] and first_failure[env] is None:
                first_failure[env] = step
    return first_success, first_failure


@pytest.mark.parametrize("task_name", POINT_GOAL_TASKS)
def test_object_off_the_table_ends_the_episode_as_a_failure(task_name):
    task, engine = start(task_name, num_envs=4)
    positions = engine.state.object_pos.clone()
    heights = positions[:, 0, 2].clone()
    positions[0, 0] = torch.tensor([0.0, -0.05, heights[0]])  # on the table, stays put
    positions[1, 0] = torch.tensor([0.6, -0.05, 0.2])  # beyond the table's +x edge (0.4)
    positions[2, 0] = torch.tensor([0.37, -0.05, heights[2]])  # on the table, past x = 0.335
    positions[3, 0] = torch.tensor([0.0, -0.35, 0.1])  # beyond the front edge (y = −0.3)
    place(engine, task, positions)
    success, failure = run_until_done(task, engine, 15)
    assert success == [None] * 4
    assert failure[0] is None and failure[1] == failure[2] == failure[3] == 1


def test_object_below_the_table_top_fails_even_inside_the_area():
    task, engine = start("grasp_lift", num_envs=1)
    assert task.update(with_target_at(engine.state, torch.tensor([0.0, 0.0, -0.01]))).failed.all()


def test_clutter_judges_the_target_only():
    task, engine = start("grasp_lift_clutter", num_envs=2)
    positions = engine.state.object_pos.clone()
    positions[0, 1] = torch.tensor([0.6, 0.0, 0.2])  # a distractor falls off the table
    positions[1, 0] = torch.tensor([0.6, 0.0, 0.2])  # the target falls off the table
    place(engine, task, positions)
    success, failure = run_until_done(task, engine, 10)
    assert failure == [None, 1] and success == [None, None]


# ---- the bin ------------------------------------------------------------------------------
def test_throw_counts_an_object_in_the_bin_as_success_after_the_hold():
    task, engine = start("lift_throw", num_envs=2)
    bin_ = task.bin
    positions = engine.state.object_pos.clone()
    rest = task.rest_heights(torch.arange(2))[:, 0]
    positions[:, 0] = torch.stack([
        torch.tensor([bin_.center[0], bin_.center[1], bin_.floor_top + rest[0] + 0.002]),
        torch.tensor([0.0, -0.05, rest[1]]),  # on the table: neither success nor failure
    ])
    place(engine, task, positions)
    hold = task.spec.hold_steps
    bonus = term(task, "task_goal_bonus")
    for step in range(1, hold + 1):
        frame = task.update(engine.step(hold_actions(engine)))
        assert frame.buffers.at_goal.tolist() == [True, False]
        assert bonus(frame).tolist() == [10000.0 / hold, 0.0]
        assert frame.success.tolist() == [step == hold, False] and not frame.failed.any()


def test_throw_fails_outside_the_bin_but_not_above_it():
    task, engine = start("lift_throw", num_envs=3)
    positions = engine.state.object_pos.clone()
    positions[0, 0] = torch.tensor([0.7, 0.0, 0.15])  # past the bin: falls to the floor
    positions[1, 0] = torch.tensor([0.0, 0.25, 0.1])  # past the area's back edge (y = 0.17)
    positions[2, 0] = torch.tensor([task.bin.center[0], 0.0, 0.3])  # above the bin: drops in
    place(engine, task, positions)
    success, failure = run_until_done(task, engine, 25)
    assert failure[1] == 1 and failure[0] is not None and failure[2] is None
    assert success[2] is not None and success[0] is None
    # Carried high over the floor between table and the paper's x = 0.90 limit: not a failure.
    carried = with_target_at(engine.state, torch.tensor([0.6, 0.0, 0.3]))
    assert not task.update(carried).failed.any()


def test_throw_goal_is_above_the_bin_floor_and_its_progress_is_lift_gated():
    task, engine = start("lift_throw", num_envs=1)
    (cx, cy), floor = task.bin.center, task.bin.floor_top
    assert task.goal_position() == pytest.approx((cx, cy, floor + 0.10))
    state = engine.state
    start_pos = state.object_pos[0, 0].clone()
    progress = term(task, "task_progress")
    slid = with_target_at(state, start_pos + torch.tensor([0.1, 0.0, 0.0]))  # pushed toward the bin
    assert progress(task.update(slid)).item() == 0.0
    lifted = with_target_at(state, start_pos + torch.tensor([0.15, 0.0, 0.12]))
    assert progress(task.update(lifted)).item() > 0.0


# ---- hand-computed terms and the reset step (docs/reference/paper-code-facts.md §6,
# ---- docs/reference/anchors.md §4.1) ----------------------------------------------------------
def test_the_reset_state_seeds_the_best_distances_and_standing_still_pays_only_the_lift_height():
    task, engine = start("grasp_lift", num_envs=2, seed=3)
    state = engine.state  # the post-reset state the episode buffers began from
    target = state.object_pos[:, 0]
    reset_distance = (torch.tensor(task.spec.goal) - target).norm(dim=-1)
    frame = task.update(state)  # a first step that changed nothing
    torch.testing.assert_close(frame.buffers.best_distance, reset_distance)
    values = evaluate(task.reward_terms()["task"] + task.reward_terms()["dense"], frame)
    for name, value in values.items():
        # At rest the lift height is the 0.02 offset: 20 · 0.02 per step, as the reference pays.
        expected = 20.0 * 0.02 if name == "dense_lifting" else 0.0
        torch.testing.assert_close(value, torch.full((2,), expected), msg=name)
    # The first step's progress is measured from the reset state: 1 cm closer pays 50 · 0.01 per tip.
    k = state.keypoints.shape[1]
    toward = target[:, None] - state.keypoints
    tips = state.keypoints + 0.01 * toward / toward.norm(dim=-1, keepdim=True)
    task.begin(torch.arange(2), state)
    fingertip = term(task, "dense_fingertip")(task.update(replace(state, keypoints=tips)))
    torch.testing.assert_close(fingertip, torch.full((2,), 50.0 * 0.01 * k), rtol=1e-4, atol=1e-5)


def test_the_lifting_reward_offset_variant_pays_only_a_raised_object_and_keeps_the_latch():
    task, engine = start("grasp_lift", num_envs=1, seed=4, lifting_reward_offset=0.0)
    state = engine.state
    rest = state.object_pos[0, 0].clone()
    lifting = term(task, "dense_lifting")
    assert lifting(task.update(state)).item() == pytest.approx(0.0, abs=1e-6)  # at rest: nothing
    frame = task.update(with_target_at(state, rest + torch.tensor([0.0, 0.0, 0.05])))
    assert lifting(frame).item() == pytest.approx(20.0 * 0.05, abs=1e-4)
    frame = task.update(with_target_at(state, rest + torch.tensor([0.0, 0.0, 0.09])))
    assert frame.buffers.lifted.all()  # the flag still latches at 0.02 + rise > 0.10


def test_dense_lift_terms_by_hand_and_the_latch_holds_until_the_next_episode():
    task, engine = start("grasp_lift", num_envs=1, seed=4)
    state = engine.state
    rest = state.object_pos[0, 0].clone()
    goal = torch.tensor(task.spec.goal)
    names = ("dense_lifting", "dense_lift_bonus", "dense_keypoint", "task_progress")

    def rewards_at(rise):
        frame = task.update(with_target_at(state, rest + torch.tensor([0.0, 0.0, rise])))
        return frame, {name: term(task, name)(frame).item() for name in names}

    frame, r = rewards_at(0.05)  # 0.02 + 0.05 = 0.07 < 0.10: lifting pays 20 · 0.07
    assert not frame.buffers.lifted.any()
    assert r == pytest.approx({"dense_lifting": 1.4, "dense_lift_bonus": 0.0,
                               "dense_keypoint": 0.0, "task_progress": 0.0}, abs=1e-4)
    best = (goal - rest - torch.tensor([0.0, 0.0, 0.05])).norm().item()
    frame, r = rewards_at(0.09)  # latches: the lifting term stops, the bonus is paid once
    closer = best - (goal - rest - torch.tensor([0.0, 0.0, 0.09])).norm().item()
    assert frame.buffers.lifted.all()
    assert r == pytest.approx({"dense_lifting": 0.0, "dense_lift_bonus": 300.0,
                               "dense_keypoint": 200.0 * closer, "task_progress": 2000.0 * closer},
                              rel=1e-3)
    frame, r = rewards_at(0.0)  # dropped back on the table: still lifted, nothing paid
    assert frame.buffers.lifted.all()
    assert r == {name: 0.0 for name in names}
    frame, r = rewards_at(0.05)  # rises again: no second bonus, no lifting reward
    assert r["dense_lift_bonus"] == 0.0 and r["dense_lifting"] == 0.0
    task.begin(torch.arange(1), state)  # a new episode clears the latch
    frame, r = rewards_at(0.05)
    assert not frame.buffers.lifted.any() and r["dense_lifting"] == pytest.approx(1.4, abs=1e-4)


def test_goal_bonuses_are_the_reach_goal_bonus_spread_over_the_hold():
    task, engine = start("grasp_lift", num_envs=1)
    frame = task.update(with_target_at(engine.state, torch.tensor(task.spec.goal)))
    assert term(task, "task_goal_bonus")(frame).item() == pytest.approx(10000 / 50)
    assert term(task, "dense_goal_bonus")(frame).item() == pytest.approx(1000 / 50)
