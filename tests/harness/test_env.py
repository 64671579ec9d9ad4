"""The VecEnv on the real MuJoCo engine: observations, time-outs, episode bookkeeping, seeding."""

from __future__ import annotations

import pytest
import torch

from tests.harness.training.probe import ProbeTask, probe_registry
from trackbench.harness.env import Episodes, VecEnv
from trackbench.harness.errors import TrackbenchError
from trackbench.harness.matrix import plan
from trackbench.harness.specs import MatrixSpec
from trackbench.harness.training.episodes import EpisodeStats, event_problems
from trackbench.harness.training.evaluate import evaluate_policy

NUM_ENVS = 4


def make_env(method: str = "dense", seed: int = 0, num_envs: int = NUM_ENVS,
             robot: dict | None = None, **options) -> VecEnv:
    registry = probe_registry()
    matrix = MatrixSpec(robots=["allegro"], tasks=["probe"], methods=[method], seeds=seed + 1,
                        agent_steps=64, num_envs=num_envs, overrides={"robot": robot or {}})
    return VecEnv.build(plan(matrix, registry)[seed], registry, **options)


@pytest.fixture(scope="module")
def env() -> VecEnv:
    return make_env()


def test_observation_blocks_have_the_paper_layout(env):
    obs, critic = env.reset()
    n_dof, points = env.n_dof, env.num_points
    assert obs.shape == (NUM_ENVS, 2 * n_dof + 3 * points)
    assert critic.shape == (NUM_ENVS, obs.shape[1] + 4)  # + 4 fingertip distances (allegro)
    assert env.layout == {"joints": 2 * n_dof, "points": points, "privileged": 4,
                          "arm_actions": env.engine.robot.spec.num_arm_actions,
                          "hand_joint_actions": len(env.engine.robot.spec.hand_joints)}
    assert torch.equal(critic[:, :obs.shape[1]], obs)  # the critic sees the actor's obs, then more
    step = env.step(torch.rand(NUM_ENVS, env.num_actions) * 2 - 1)
    for tensor in (step.obs, step.critic_obs, step.reward):
        assert torch.isfinite(tensor).all()
    assert step.obs.abs().max() <= env.obs_clip
    scaled = step.obs[:, :n_dof]
    assert scaled.min() >= -1.0 - 1e-5 and scaled.max() <= 1.0 + 1e-5  # positions scaled by limits


def test_time_out_is_a_truncation_and_success_is_terminal(env):
    env.reset()
    zero = torch.zeros(NUM_ENVS, env.num_actions)
    steps = [env.step(zero) for _ in range(8)]
    # Even envs succeed at step 5: done, not a time-out (no bootstrap).
    assert steps[4].done.tolist() == [True, False, True, False]
    assert not steps[4].time_out.any()
    # Odd envs reach the episode length (8): done and flagged as time-outs for bootstrapping.
    assert steps[7].done.tolist() == [False, True, False, True]
    assert steps[7].time_out.tolist() == [False, True, False, True]


def test_episodes_that_run_on_after_success_count_it_at_the_clock_and_resume_with_it():
    """A task whose success does not end the episode (the paper's cabinet): the success latches,
    the clock ends the episode as a truncation (bootstrapped) that counts as a success."""
    def running_on(env: VecEnv) -> VecEnv:
        env.task.success_ends_episode = lambda: False
        env.reset()
        return env

    env = running_on(make_env())
    zero = torch.zeros(NUM_ENVS, env.num_actions)
    steps = [env.step(zero) for _ in range(6)]
    assert not any(step.done.any() for step in steps)  # even envs succeeded at step 5, run on
    resumed = running_on(make_env())
    resumed.load_state_dict(env.state_dict())
    for runner in (env, resumed):
        last = [runner.step(zero) for _ in range(2)][-1]
        assert last.done.all() and last.time_out.all()  # the clock: bootstrapped truncations
        assert last.episodes.success.tolist() == [True, False, True, False]
        assert last.episodes.time_out.tolist() == [False, True, False, True]
        assert last.episodes.lengths.tolist() == [8] * NUM_ENVS
    env.task.spec = env.task.spec.model_copy(update={"succeed_at": 100})  # no success now
    follow = [env.step(zero) for _ in range(8)][-1].episodes  # the latch reset with the episode
    assert not follow.success.any() and follow.time_out.all()


def test_episode_sums_are_logged_per_term_and_add_up_to_the_return(env):
    env.reset()
    returns = torch.zeros(NUM_ENVS)
    finished = None
    for _ in range(5):
        step = env.step(torch.rand(NUM_ENVS, env.num_actions) * 2 - 1)
        returns += step.reward
        finished = step.episodes
    assert finished is not None and finished.env_ids.tolist() == [0, 2]
    assert set(finished.terms) == {"reach", "bonus", "energy"}
    assert torch.allclose(finished.returns, returns[[0, 2]], atol=1e-5)
    assert torch.allclose(sum(finished.terms.values()), finished.returns, atol=1e-5)
    assert torch.allclose(finished.terms["bonus"], torch.ones(2))  # weight 1 × one success step
    assert finished.lengths.tolist() == [5, 5] and finished.success.all()
    assert finished.flags["odd"].tolist() == [False, False] and "lift" in finished.flags


def test_before_reset_sees_the_last_state_of_the_envs_whose_episode_ended(env):
    env.reset()
    zero = torch.zeros(NUM_ENVS, env.num_actions)
    seen = []

    def look(ended: torch.Tensor) -> None:
        seen.append((ended.tolist(), env.engine.state.step[ended].tolist()))

    for _ in range(5):
        env.step(zero, before_reset=look)
    assert seen == [([0, 2], [5, 5])]  # the even envs' success at step 5, before their reset
    assert env.engine.state.step.tolist() == [0, 5, 0, 5]
    # Their events restarted with the new episode; the odd envs' ran on.
    assert env.episode_flags()["odd"].tolist() == [False, True, False, True]


def test_the_policy_may_observe_its_pd_targets_after_the_velocities(env):
    seeing = make_env(robot={"hand_action": "delta", "observe_targets": True})
    n, points = seeing.n_dof, seeing.num_points
    assert seeing.layout["joints"] == 3 * n and points == env.num_points
    assert seeing.observation_blocks["joint targets"] == slice(2 * n, 3 * n)
    seeing.reset()
    step = seeing.step(torch.ones(NUM_ENVS, seeing.num_actions))  # every target moves
    state = seeing.engine.state
    scaled = 2 * (state.joint_target - seeing._lower) / (seeing._upper - seeing._lower) - 1
    assert torch.allclose(step.obs[:, 2 * n:3 * n], scaled.float(), atol=1e-6)
    assert step.obs.shape[1] == env.obs_dim + n
    assert not torch.allclose(step.obs[:, 2 * n:3 * n], step.obs[:, :n])  # not the positions
    with pytest.raises(TrackbenchError, match="observes its PD joint targets"):
        seeing.compose_observation(state.joint_pos, state.joint_vel,
                                   seeing.task.policy_points(state), torch.zeros(NUM_ENVS, 4))


def test_the_policy_may_observe_its_keypoints_relative_to_the_object(env):
    seeing = make_env(robot={"observe_keypoints": True})
    n, k = seeing.n_dof, len(seeing.engine.robot.spec.keypoints)
    assert seeing.layout["joints"] == 2 * n + 3 * k and seeing.num_points == env.num_points
    assert seeing.observation_blocks["keypoints"] == slice(2 * n, 2 * n + 3 * k)
    assert seeing.observation_blocks["policy points"].start == 2 * n + 3 * k
    seeing.reset()
    step = seeing.step(torch.ones(NUM_ENVS, seeing.num_actions))
    state = seeing.engine.state
    centroid = seeing.task.policy_points(state).mean(dim=1, keepdim=True)  # all points, not the subsample
    relative = (state.keypoints - centroid).reshape(NUM_ENVS, -1)
    assert torch.allclose(step.obs[:, 2 * n:2 * n + 3 * k], relative.float(), atol=1e-6)
    assert step.obs.shape[1] == env.obs_dim + 3 * k
    assert torch.equal(step.obs[:, :2 * n], step.critic_obs[:, :2 * n])
    with pytest.raises(TrackbenchError, match="observes its keypoints"):
        seeing.compose_observation(state.joint_pos, state.joint_vel,
                                   seeing.task.policy_points(state), torch.zeros(NUM_ENVS, 4))


def test_success_rate_counts_episodes_not_steps(env):
    env.reset()
    stats = EpisodeStats()
    for _ in range(16):  # even envs end 3 episodes (steps 5, 10, 15), odd envs 2 (8, 16)
        stats.add(env.step(torch.zeros(NUM_ENVS, env.num_actions)).episodes)
    summary = stats.summary()
    assert summary["episodes"] == 10
    assert summary["success_rate"] == pytest.approx(6 / 10)
    assert summary["odd_rate"] == pytest.approx(4 / 10)
    assert not any("/" in name and not name.startswith("term/") for name in summary)  # no curriculum


def test_the_summary_splits_by_start_only_when_a_curriculum_started_some():
    def episodes(start: list[int], lifted: list[bool]) -> Episodes:
        k = len(start)
        return Episodes(torch.arange(k), torch.zeros(k), torch.ones(k, dtype=torch.long),
                        torch.zeros(k, dtype=torch.bool), torch.ones(k, dtype=torch.bool),
                        {"lift": torch.tensor(lifted)}, {}, torch.tensor(start))

    stats = EpisodeStats()
    stats.add(episodes([0, 0, 0], [False, True, False]))
    assert "standard/episodes" not in stats.summary()
    stats.add(episodes([2, 2, 1, 0], [True, True, False, False]))
    summary = stats.summary()
    assert summary["lift_rate"] == pytest.approx(3 / 7)
    assert (summary["standard/episodes"], summary["standard/lift_rate"]) == (4, 0.25)
    assert (summary["grasped/episodes"], summary["grasped/lift_rate"]) == (2, 1.0)
    assert (summary["pregrasp/episodes"], summary["pregrasp/success_rate"]) == (1, 0.0)
    assert summary["grasped/success_rate"] == 0.0


class StillPolicy(torch.nn.Module):
    """Holds every joint target at the middle of its range."""

    def forward(self, inputs):
        return {"mus": torch.zeros(inputs["obs"].shape[0], 23)}


def test_evaluation_plays_each_episode_once_in_rounds(env):
    # 6 episodes on 4 envs: rounds of 4 then 2; episode k of a round runs on env k. A round lasts
    # until its slowest env ends, but the even envs' repeat successes meanwhile are not counted.
    summary = evaluate_policy(StillPolicy(), env, episodes=6, eval_seed=7)
    assert summary["episodes"] == 6
    assert summary["success_rate"] == pytest.approx(3 / 6)
    assert summary["seeds"] == [7, 12]


def test_unstable_envs_are_truncated_with_zero_reward(env):
    env.reset()
    zero = torch.zeros(NUM_ENVS, env.num_actions)
    env.step(zero)
    env.engine.physics_state(1)[:] = float("nan")  # blow env 1 up
    step = env.step(zero)
    assert step.done.tolist() == [False, True, False, False]
    assert step.time_out[1] and step.reward[1] == 0.0
    assert torch.isfinite(step.obs).all()  # it was reset: its new episode starts clean


def test_resets_are_seeded_per_env():
    first, again, other = make_env(seed=0), make_env(seed=0), make_env(seed=1)
    q = [e.engine.state.joint_pos for e in (first, again, other)]
    assert torch.equal(q[0], q[1])
    assert not torch.allclose(q[0], q[2])
    # An env's reset draws only from its own generator: reseeding env 2 alone changes env 2 only.
    first.reseed([0 * 1_000_003 + i if i != 2 else 99 for i in range(NUM_ENVS)])
    again.reseed([0 * 1_000_003 + i for i in range(NUM_ENVS)])
    q_first, q_again = first.reset()[0], again.reset()[0]
    assert torch.equal(q_first[[0, 1, 3]], q_again[[0, 1, 3]])
    assert not torch.equal(q_first[2], q_again[2])


def test_the_method_is_handed_the_run_s_context():
    env = make_env(seed=1, num_envs=1)
    context = env.method.context
    assert context.seed == 1 and context.device == torch.device("cpu")
    assert "probe" in context.registry.names("tasks")  # the registry the run was planned with


def test_the_policy_may_see_an_evenly_spaced_subset_of_the_cloud(env):
    from trackbench.harness.env import evenly_spaced

    registry = probe_registry()
    matrix = MatrixSpec(robots=["allegro"], tasks=["probe"], methods=["dense"], agent_steps=64,
                        num_envs=NUM_ENVS)
    fewer = VecEnv.build(plan(matrix, registry)[0], registry, policy_points=10)
    obs, _ = fewer.reset()
    all_obs, _ = env.reset()
    assert fewer.num_points == 10 and fewer.layout["points"] == 10
    full = all_obs[:, 2 * env.n_dof:].reshape(NUM_ENVS, env.num_points, 3)
    index = evenly_spaced(10, env.num_points)
    assert index[0] == 0 and index[-1] == env.num_points - 1 and len(set(index.tolist())) == 10
    assert torch.allclose(obs[:, 2 * env.n_dof:].reshape(NUM_ENVS, 10, 3), full[:, index])


def test_random_episode_start_cuts_only_the_first_episodes_and_never_evaluation():
    """Each env's first episode after a full reset times out at its own step in 1..8 (drawn from
    the env's generator), later episodes are full, evaluation plays full episodes."""
    n = 8
    lengths = []
    for _ in range(2):
        env = make_env(method="task", num_envs=n, random_episode_start=True)
        env.reset()
        ended_at = torch.zeros(n, dtype=torch.long)
        second = torch.zeros(n, dtype=torch.long)
        odd = torch.arange(n) % 2 == 1  # the probe's odd envs never succeed
        for t in range(1, 17):
            step = env.step(torch.zeros(n, env.num_actions))
            first_end = step.done & (ended_at == 0)
            ended_at[first_end] = t
            second[step.done & ~first_end & (second == 0)] = t
        lengths.append(ended_at)
        assert (ended_at >= 1).all() and (ended_at <= 8).all()
        assert len(set(ended_at[odd].tolist())) > 1  # not in lockstep
        assert torch.equal(second[odd & (ended_at < 8)] - ended_at[odd & (ended_at < 8)],
                           torch.full((int((odd & (ended_at < 8)).sum()),), 8))  # then full
    assert torch.equal(lengths[0], lengths[1])  # the seed fixes the cuts
    summary = evaluate_policy(StillPolicy(), env, episodes=n, eval_seed=7)
    assert summary["episode_length"] == pytest.approx((4 * 5 + 4 * 8) / 8)  # full episodes


class HalfDeclared(ProbeTask):
    """The probe task declaring only one of the two events it flags."""

    name = "half_declared"

    def events(self):
        return ("lift",)


class OutcomeAsEvent(ProbeTask):
    """The probe task declaring an episode outcome as one of its events."""

    name = "outcome_as_event"

    def events(self):
        return ("lift", "odd", "success")


def test_a_task_flags_exactly_the_events_it_declares():
    registry = probe_registry()
    registry.add("tasks", HalfDeclared, "tests", "tests.harness.test_env")
    registry.add("tasks", OutcomeAsEvent, "tests", "tests.harness.test_env")
    matrix = MatrixSpec(robots=["allegro"], tasks=["outcome_as_event"], methods=["dense"],
                        agent_steps=64, num_envs=2)
    with pytest.raises(TrackbenchError, match="task 'outcome_as_event': 'success' is an episode "
                                              "outcome every task reports"):
        plan(matrix, registry)
    env = VecEnv.build(plan(matrix.model_copy(update={"tasks": ["half_declared"]}), registry)[0],
                       registry)
    assert {name: seen.tolist() for name, seen in env.episode_flags().items()} == {
        "lift": [False, False]}  # declared events are kept from the start
    with pytest.raises(TrackbenchError, match=r"task 'half_declared' flagged the events "
                                              r"\['lift', 'odd'\] but declares \['lift'\]"):
        env.step(torch.zeros(2, env.num_actions))


def test_event_names_become_rate_columns_so_they_are_distinct_identifiers():
    assert event_problems(("lift", "near")) == []
    problems = event_problems(("lift", "lift", "drawer moved", "time_out"))
    assert len(problems) == 3
    assert "name one event twice" in problems[0] and "'drawer moved'" in problems[1]
    assert "'time_out' is an episode outcome" in problems[2]
