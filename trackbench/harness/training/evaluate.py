"""Evaluate a trained policy on separate episodes: deterministic actions, fixed seeds.

Episode k of an evaluation resets from seed ``eval_seed + k`` in every cell, so methods and
seeds are compared on the same initial states. Envs run in rounds of up to ``num_envs`` episodes;
each env plays exactly one episode per round (an env that ends early waits for the round), so
short episodes are not over-counted. The success rate is the fraction of episodes that succeeded.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import torch

from trackbench.harness.training.episodes import EpisodeStats

if TYPE_CHECKING:
    from trackbench.harness.env import VecEnv


def evaluate_policy(model: Any, env: "VecEnv", episodes: int, eval_seed: int) -> dict[str, Any]:
    """Run ``episodes`` evaluation episodes of ``model`` (an rl-games model; actions = μ).

    Returns the EpisodeStats summary (success_rate, episode_return, <flag>_rate, term/<name>, ...)
    plus the seeds used. Evaluating changes nothing it measures: the model (its running
    normalisers) is in eval mode and the method only scores (``VecEnv.evaluation``), so the
    same policy evaluated again gives the same summary.
    """
    model.eval()
    with env.evaluation():
        return _play(model, env, episodes, eval_seed)


def _play(model: Any, env: "VecEnv", episodes: int, eval_seed: int) -> dict[str, Any]:
    stats = EpisodeStats()
    n = env.num_envs
    played = 0
    while played < episodes:
        count = min(n, episodes - played)
        env.reseed([eval_seed + played + i for i in range(n)])
        obs = env.reset(full_episodes=True)[1]
        pending = torch.zeros(n, dtype=torch.bool, device=env.device)
        pending[:count] = True
        while pending.any():
            with torch.no_grad():
                result = model({"is_train": False, "obs": obs, "prev_actions": None,
                                "rnn_states": None})
            step = env.step(result["mus"].clamp(-1.0, 1.0))
            if step.episodes is not None:
                ended = step.episodes.env_ids
                stats.add(step.episodes.select(pending[ended]))
                pending[ended] = False
            obs = step.critic_obs
        played += count
    summary = stats.summary()
    summary["seeds"] = [eval_seed, eval_seed + episodes - 1]
    return summary
