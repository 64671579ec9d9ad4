"""rl-games glue for the VecEnv: an ``IVecEnv`` adapter and its two registrations.

rl-games builds its env itself, from ``config["env_name"]`` and ``config["env_config"]``, and its
Runner deep-copies the config, so a live MuJoCo env cannot ride inside it. The trainer builds the
VecEnv, hands it in with :func:`provide` and puts the returned key in ``env_config``; the factory
registered here takes it back out.

What rl-games sees as the observation is the *critic's* vector (actor obs ++ privileged values):
the actor and critic share one model whose network reads the actor's prefix for the policy and
the whole vector for the value (see network.py), so the policy never sees privileged values.
"""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING, Any

import numpy as np
import torch
from rl_games.common.ivecenv import IVecEnv

from trackbench.harness.errors import TrackbenchError
from trackbench.harness.training.ppo import ENV_NAME

if TYPE_CHECKING:
    from trackbench.harness.env import VecEnv

VECENV_TYPE = "TRACKBENCH"
_pending: dict[str, "VecEnv"] = {}
_keys = itertools.count()


def provide(env: "VecEnv") -> str:
    """Park ``env`` for the next rl-games agent; returns the key for ``env_config["env_key"]``."""
    key = f"env{next(_keys)}"
    _pending[key] = env
    return key


def withdraw(key: str) -> None:
    _pending.pop(key, None)


def register() -> None:
    """Register the vec-env type and the env entry with rl-games (idempotent)."""
    from rl_games.common import env_configurations, vecenv

    vecenv.register(VECENV_TYPE, _create)
    env_configurations.register(ENV_NAME, {"vecenv_type": VECENV_TYPE, "env_creator": _no_single_env})


def _create(config_name: str, num_actors: int, **env_config: Any) -> "RlGamesVecEnv":
    key = env_config.get("env_key")
    if key not in _pending:
        raise TrackbenchError(f"no VecEnv was provided under key {key!r} (call provide() first)")
    env = _pending[key]
    if env.num_envs != num_actors:
        raise TrackbenchError(f"rl-games asks for {num_actors} actors, the VecEnv has {env.num_envs}")
    return RlGamesVecEnv(env)


def _no_single_env(**kwargs: Any):
    raise TrackbenchError("the trackbench env is vectorised; rl-games must create it through "
                          f"vec-env type {VECENV_TYPE}")


class RlGamesVecEnv(IVecEnv):
    """The VecEnv as rl-games' IVecEnv: torch tensors in and out, time-outs for bootstrapping."""

    def __init__(self, env: "VecEnv"):
        self.env = env

    def step(self, actions: torch.Tensor):
        step = self.env.step(actions)
        infos = {"time_outs": step.time_out, "episodes": step.episodes}
        return step.critic_obs, step.reward, step.done.to(torch.uint8), infos

    def reset(self) -> torch.Tensor:
        return self.env.reset()[1]

    def get_number_of_agents(self) -> int:
        return 1

    def get_env_info(self) -> dict[str, Any]:
        from rl_games.common.gym_compat import spaces

        n_act = self.env.num_actions
        return {
            "observation_space": spaces.Box(-np.inf, np.inf, (self.env.critic_dim,), np.float32),
            "action_space": spaces.Box(-1.0, 1.0, (n_act,), np.float32),
            "agents": 1,
            "value_size": 1,
        }

    def get_env_state(self) -> dict[str, Any]:
        # rl-games saves this into its checkpoints: every env's state, for an exact resume.
        return self.env.state_dict()

    def set_env_state(self, env_state: dict[str, Any] | None) -> None:
        if env_state and "engine" in env_state:
            self.env.load_state_dict(env_state)
        elif env_state and "generators" in env_state:  # trackbench 0.1: reset generators only
            self.env.set_generator_states(env_state["generators"])
