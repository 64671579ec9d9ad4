"""The policy being trained, as a method that shapes PPO's loss sees it (``dapg``'s BC term).

:class:`PolicyLikelihood` turns raw observation blocks (what ``harness/demonstrations.py``
records) into the policy's observation exactly as the VecEnv does
(:meth:`VecEnv.compose_observation`: the same point subsample and clipping) and returns the log
likelihood of actions under the current Gaussian policy, differentiably. It never updates the
observation normaliser unless asked: rl-games updates it from every minibatch it trains on, and
demonstrations must not shift the statistics of the states the policy meets.
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Any, Iterator

import torch

if TYPE_CHECKING:
    from trackbench.harness.env import VecEnv


class PolicyLikelihood:
    """log π(a | s) of the agent's current model (rl-games' continuous_a2c_logstd)."""

    def __init__(self, agent: Any, env: "VecEnv"):
        self._agent, self._env = agent, env

    @property
    def _model(self) -> Any:
        model = self._agent.model  # looked up per call: torch.compile replaces it after restore
        return getattr(model, "_orig_mod", model)

    def log_prob(self, joint_pos: torch.Tensor, joint_vel: torch.Tensor, points: torch.Tensor,
                 privileged: torch.Tensor, actions: torch.Tensor, *,
                 update_normaliser: bool = False) -> torch.Tensor:
        """[B] log π(actions | s) (nats, summed over the A action dimensions) at the states
        given by their raw blocks: ``joint_pos``, ``joint_vel`` [B, n_dof] (rad, rad/s),
        ``points`` [B, P, 3] the task's policy points (all of them, world frame, m),
        ``privileged`` [B, D], ``actions`` [B, A] in [-1, 1]. Differentiable in the model's
        parameters. ``update_normaliser``: let the observation normaliser learn these states
        (BC pre-training, before any rollout). Raises TrackbenchError if the blocks do not
        fit the run's observation layout."""
        device = self._agent.ppo_device
        obs = self._env.compose_observation(joint_pos.to(device), joint_vel.to(device),
                                            points.to(device), privileged.to(device))
        model = self._model
        with _normaliser(model, update_normaliser):
            result = model({"is_train": True, "prev_actions": actions.to(device), "obs": obs})
        return -result["prev_neglogp"]

    def parameters(self) -> Iterator[torch.nn.Parameter]:
        """The model's parameters (actor and critic share one model; BC moves the actor's)."""
        return self._model.parameters()


@contextlib.contextmanager
def _normaliser(model: Any, update: bool):
    """The model's observation normaliser in training mode iff ``update``, restored after."""
    normaliser = getattr(model, "running_mean_std", None)
    if normaliser is None:
        yield
        return
    was_training = normaliser.training
    normaliser.train(update)
    try:
        yield
    finally:
        normaliser.train(was_training)
