import pytest
import torch
from rl_games.common import a2c_common

from trackbench.harness.threads import torch_threads
from trackbench.harness.training.agent import ResumableAgent
from trackbench.harness.training.ppo import PPOSpec, rl_games_config


@pytest.fixture
def two_threads():
    previous = torch.get_num_threads()
    torch.set_num_threads(2)
    yield
    torch.set_num_threads(previous)


def test_torch_threads_sets_the_count_for_the_block_and_restores_it(two_threads):
    with torch_threads(1):
        assert torch.get_num_threads() == 1
    assert torch.get_num_threads() == 2
    with pytest.raises(RuntimeError), torch_threads(1):
        raise RuntimeError("inside")
    assert torch.get_num_threads() == 2
    with torch_threads(0):  # 0 leaves torch's setting
        assert torch.get_num_threads() == 2


def test_the_rollout_runs_with_rollout_torch_threads_and_the_update_with_the_rest(
        two_threads, monkeypatch):
    seen = []
    monkeypatch.setattr(a2c_common.ContinuousA2CBase, "play_steps",
                        lambda self: seen.append(torch.get_num_threads()) or {})
    config = rl_games_config(PPOSpec(), num_envs=64, agent_steps=1000, seed=0, device="cpu",
                             train_dir="d", layout={}, env_key="k")["params"]["config"]
    agent = object.__new__(ResumableAgent)  # play_steps reads only the config
    agent.config = config
    agent.play_steps()
    agent.config = {**config, "rollout_torch_threads": 0}
    agent.play_steps()
    assert seen == [1, 2] and torch.get_num_threads() == 2
