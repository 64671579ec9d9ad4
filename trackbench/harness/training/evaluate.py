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
    from trackbench.harness.registry import Registry
    from trackbench.harness.results import RunDir
    from trackbench.harness.specs import RunSpec


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


def event_rates(summary: dict[str, Any], events: tuple[str, ...]) -> dict[str, float]:
    """The task's events → the share of evaluation episodes with each (result.json's "events"),
    from an :func:`evaluate_policy` summary."""
    return {event: summary[f"{event}_rate"] for event in events}


def evaluate_run(run_dir: "RunDir", registry: "Registry", episodes: int | None = None,
                 episode_length: int | None = None, checkpoint: str = "last") -> dict[str, Any]:
    """Evaluate a run's checkpoint (``checkpoint``: 'last', or one kept by ``ppo.keep_every``,
    'epoch_000120' or '120') as `trackbench run` evaluates a finished cell: the run's
    env count, the task's standard resets and spec (episode length included, unless
    ``episode_length`` control steps are given: a run trained on shorter episodes than the
    task's default scored at the default), deterministic actions, ``episodes`` episodes (None:
    the run's ``ppo.eval_episodes``) from ``ppo.eval_seed``, on the CPU. Works while the run
    trains (checkpoints are replaced atomically) and writes nothing.

    Returns :func:`evaluate_policy`'s summary plus ``run_id``, ``events`` (the task's events →
    the share of episodes with each, as result.json), ``checkpoint`` ({"epoch", "agent_steps"}
    from the checkpoint's .json, or None), ``checkpoint_name`` and ``max_episode_length`` (the
    task spec's, control steps; ``episode_length`` is the episodes' mean). Raises
    TrackbenchError for a spec or checkpoint that is missing, damaged or does not fit, or a
    ``checkpoint`` the run did not keep.
    """
    from trackbench.harness.resume import read_run_spec
    from trackbench.harness.training.checkpoint import named, read_summary
    from trackbench.harness.training.policy import played_on_cpu

    name = named(run_dir, checkpoint)
    spec = read_run_spec(run_dir, registry)
    if episode_length is not None:
        spec = with_episode_length(spec, episode_length, registry)
    with played_on_cpu(run_dir, spec, registry, name) as (ppo, env, model):
        summary = evaluate_policy(model, env, episodes or ppo.eval_episodes, ppo.eval_seed)
    return {"run_id": spec.run_id, "checkpoint": read_summary(run_dir, name),
            "checkpoint_name": name,
            "max_episode_length": env.task.spec.episode_length,
            "events": event_rates(summary, env.events), **summary}


def with_episode_length(spec: "RunSpec", episode_length: int, registry: "Registry") -> "RunSpec":
    """``spec`` with its task's episodes ``episode_length`` control steps long; TrackbenchError
    (from the task's spec) if the task refuses that length."""
    task_spec = {**spec.task_spec, "episode_length": episode_length}
    registry.resolve_spec("tasks", spec.task, task_spec)  # the task's own bounds, named
    return spec.model_copy(update={"task_spec": task_spec})
