"""The `amp` baseline: the discriminator reward, D learning, the composed reward, checkpoints."""

from __future__ import annotations

import math

import pytest
import torch

from tests.harness.conftest import assert_user_error
from tests.harness.training.probe import probe_registry
from trackbench.harness.context import RunContext
from trackbench.harness.env import VecEnv
from trackbench.harness.errors import TrackbenchError
from trackbench.harness.execute import execute_cell
from trackbench.harness.matrix import plan
from trackbench.harness.plugins import load_registry
from trackbench.harness.results import RunDir
from trackbench.harness.rewards import ENERGY_TERMS, RewardManager, evaluate
from trackbench.harness.specs import MatrixSpec
from trackbench.harness.training.checkpoint import checkpoint_path
from trackbench.plugins.datasets.synthetic import SyntheticDataset
from trackbench.plugins.methods.amp import AMP, human_transitions
from trackbench.plugins.methods.discriminator import (
    Discriminator,
    TransitionReplay,
    amp_reward,
    discriminator_loss,
)

SMALL = {"max_sequences": 6, "disc_units": [32], "batch_size": 16}


def test_amp_reward_is_minus_log_one_minus_d_floored():
    logits = torch.tensor([-10.0, 0.0, 10.0])
    reward = amp_reward(logits, scale=2.0)
    assert reward[0] == pytest.approx(-2.0 * math.log(1 - 1 / (1 + math.exp(10))), abs=1e-6)
    assert reward[1] == pytest.approx(2.0 * math.log(2.0))
    assert reward[2] == pytest.approx(-2.0 * math.log(1e-4))  # 1 − D < 1e-4: floored


def test_the_discriminator_learns_to_tell_human_from_robot_motion():
    human = human_transitions(load_registry(), "synthetic", 20)
    robot = human.clone()  # the robot's fingertips move along human paths, five times as fast
    robot[:, 15:] = human[:, :15] + 5.0 * (human[:, 15:] - human[:, :15])
    torch.manual_seed(0)
    disc = Discriminator([64, 64], human)
    with torch.no_grad():
        before = amp_reward(disc(human), 2.0).mean() / amp_reward(disc(robot), 2.0).mean()
    optimizer = torch.optim.Adam(disc.parameters(), lr=1e-3)
    replay = TransitionReplay(1000, torch.device("cpu"))
    replay.add(robot)
    assert replay.size == 1000  # more than fit: the newest 1000 kept
    generator = torch.Generator().manual_seed(0)
    for _ in range(300):  # with IsaacGymEnvs' gradient penalty and regularisers
        pick = torch.randint(len(human), (64,), generator=generator)
        loss, stats = discriminator_loss(disc, replay.sample(64, generator), human[pick],
                                         grad_penalty=5.0, logit_reg=0.05, weight_decay=1e-4)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    assert set(stats) == {"loss", "robot_accuracy", "human_accuracy"}
    with torch.no_grad():
        human_logits, robot_logits = disc(human), disc(robot)
    assert (human_logits > 0).float().mean() > 0.9
    # Measured 1.7 (seeds 0 and 1); an untrained D gives about 1. The still human transitions
    # stay still at five times the speed, so D cannot reject every robot transition.
    after = amp_reward(human_logits, 2.0).mean() / amp_reward(robot_logits, 2.0).mean()
    assert after > 1.4 and abs(before - 1.0) < 0.2, (before, after)


@pytest.fixture(scope="module")
def amp_env():
    registry = load_registry()
    matrix = MatrixSpec(robots=["allegro"], tasks=["grasp_lift"], methods=["amp"], agent_steps=10,
                        num_envs=2, overrides={"method": {**SMALL, "update_every": 1000,
                                                          "task_weight": 0.5}})
    return VecEnv.build(plan(matrix, registry)[0], registry)


def test_reward_is_d_of_the_fingertip_transition_plus_weighted_dense_terms(amp_env):
    env, method = amp_env, amp_env.method
    dense = env.task.reward_terms()["dense"]
    assert env.term_names == ["amp"] + [t.name for t in dense] + [t.name for t in ENERGY_TERMS]
    before = method.map.to_human(env.engine.state.keypoints)
    env.step(torch.rand(2, env.num_actions) * 2 - 1)
    after_state = env.engine.state
    frame = env.task.update(after_state)
    method.previous = before.clone()
    values = RewardManager(method).step(frame)[0]
    after = method.map.to_human(after_state.keypoints)
    with torch.no_grad():
        expected = amp_reward(method.disc(torch.cat([before.flatten(1), after.flatten(1)], 1)), 2.0)
    assert torch.allclose(values["amp"], expected)
    plain = evaluate(tuple(dense), frame)
    for term in dense:
        assert torch.allclose(values[term.name], 0.5 * plain[term.name]), term.name  # task_weight


def test_a_new_episode_starts_its_transition_from_the_reset_state(amp_env):
    env, method = amp_env, amp_env.method
    env.step(torch.zeros(2, env.num_actions))
    state = env.engine.state
    method.begin(torch.tensor([1]), state)
    assert torch.equal(method.previous[1], method.map.to_human(state.keypoints)[1])


def test_unknown_dataset_fails_before_any_cell(cli, tmp_path):
    result = cli("run", "--method", "amp", "--set", "method.dataset=dexycbb", "--out", str(tmp_path))
    assert_user_error(result, "method 'amp'", "unknown dataset 'dexycbb'")
    assert not any(tmp_path.iterdir())


@pytest.mark.parametrize("settings, message", [
    ([], "dataset 'trackr' reads data from disk and no folder is set: set its path with --set "
         "'method.dataset_spec={path: DIR}'"),
    (["--set", "method.dataset_spec={path: /no/such/folder}"], "/no/such/folder does not exist"),
])
def test_a_dataset_on_disk_without_its_folder_fails_before_any_cell(cli, tmp_path, settings,
                                                                    message):
    result = cli("run", "--method", "amp", "--set", "method.dataset=trackr", *settings,
                 "--out", str(tmp_path / "runs"), "--dry-run")
    assert_user_error(result, "method 'amp'", message)


def test_the_motion_prior_reads_a_dataset_on_disk_from_its_dataset_spec(tmp_path):
    registry = load_registry()
    source = SyntheticDataset(SyntheticDataset.Spec(num_sequences=4))
    for sequence in source.sequences("train"):
        registry.get("datasets", "trackr").cls.write(tmp_path, sequence)
    written = human_transitions(registry, "trackr", 10, settings={"path": str(tmp_path),
                                                                  "val_fraction": 0.0,
                                                                  "test_fraction": 0.0})
    generated = human_transitions(registry, "synthetic", 10, settings={"num_sequences": 4})
    assert written.shape == generated.shape  # the same train sequences, written and read back
    torch.testing.assert_close(written, generated, atol=1e-4, rtol=0)


class Kill(Exception):
    pass


def test_the_discriminator_is_checkpointed_and_resumed(tmp_path):
    registry = probe_registry()
    ppo = {"horizon_length": 8, "minibatch_size": 16, "mini_epochs": 1, "eval_episodes": 2,
           "checkpoint_every": 1, "actor_units": [16], "critic_units": [16], "pointnet_units": [8]}
    matrix = MatrixSpec(robots=["allegro"], tasks=["probe"], methods=["amp"], agent_steps=96,
                        num_envs=4, overrides={"ppo": ppo, "method": {**SMALL, "update_every": 4}})
    spec = plan(matrix, registry)[0]
    run = RunDir.for_spec(tmp_path, spec)

    def kill_after_two_epochs(epoch, steps):
        if epoch == 2:
            raise Kill()

    with pytest.raises(Kill):
        execute_cell(spec, registry, run, on_epoch=kill_after_two_epochs)
    saved = torch.load(checkpoint_path(run), weights_only=True)["env_state"]["method"]
    assert saved["steps"] == 16 and "logit.weight" in saved["disc"]  # 2 epochs × 8 control steps
    execute_cell(spec, registry, run)
    saved = torch.load(checkpoint_path(run), weights_only=True)["env_state"]["method"]
    assert saved["steps"] == 24  # the resumed method went on counting from the checkpoint


def test_amp_without_a_fingertip_map_or_the_reward_group_fails_at_plan_time():
    from trackbench.plugins.methods.amp import AMP

    registry = load_registry()
    task = registry.get("tasks", "grasp_lift").cls(registry.get("tasks", "grasp_lift").cls.Spec())
    allegro = registry.get("robots", "allegro").cls.Spec
    assert AMP(AMP.Spec()).check_compatible(task, allegro()) == []
    problems = AMP(AMP.Spec()).check_compatible(task, allegro(synthetic_keypoints=()))
    assert len(problems) == 1 and "human fingertip [16]" in problems[0]
    with pytest.raises(TrackbenchError) as error:
        plan(MatrixSpec(robots=["allegro"], tasks=["grasp_lift"], methods=["amp"],
                        overrides={"robot": {"synthetic_keypoints": []}}), registry)
    assert "allegro × grasp_lift × amp: method 'amp': it maps" in str(error.value)


class OnlyInThisRegistry(SyntheticDataset):
    """A dataset the installed plugins do not register: only a registry handed over has it."""

    name = "only_in_this_registry"


def test_amp_takes_its_dataset_from_the_registry_of_its_run_context():
    registry = load_registry()
    registry.add("datasets", OnlyInThisRegistry, "tests", "test_amp")
    assert registry.problems == []
    robot = registry.get("robots", "allegro").cls.Spec()
    task = registry.get("tasks", "grasp_lift").cls(registry.resolve_spec("tasks", "grasp_lift", {}))
    task.setup(robot, 2)
    spec = AMP.Spec(**{**SMALL, "dataset": OnlyInThisRegistry.name})
    method = AMP(spec)
    method.setup(task, robot, 2, RunContext(registry))
    assert method.human.shape[0] > 0
    # The installed plugins lack it: had amp loaded a registry of its own, this is what it got.
    with pytest.raises(TrackbenchError, match="only_in_this_registry"):
        AMP(spec).setup(task, robot, 2, RunContext(load_registry()))


def test_d_starts_from_the_run_seed_so_a_matrix_s_seeds_differ_in_d_too():
    registry = load_registry()
    robot = registry.get("robots", "allegro").cls.Spec()
    task = registry.get("tasks", "grasp_lift").cls(registry.resolve_spec("tasks", "grasp_lift", {}))
    task.setup(robot, 2)

    def first_weights(run_seed: int, offset: int = 0) -> torch.Tensor:
        method = AMP(AMP.Spec(**{**SMALL, "seed": offset}))
        method.setup(task, robot, 2, RunContext(registry, seed=run_seed))
        return next(method.disc.parameters()).detach().clone()

    assert torch.equal(first_weights(0), first_weights(0))
    assert not torch.equal(first_weights(0), first_weights(1))
    assert torch.equal(first_weights(1), first_weights(0, offset=1))  # the spec's seed adds on
