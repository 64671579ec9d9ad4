"""A trained policy read back from a run directory, to play it outside training (``video``,
``evaluate``).

The rl-games model is rebuilt from the run's PPO settings (network sizes, normalisers) and the
VecEnv it will act in (observation layout), then given the ``model`` weights of
``checkpoints/last.pth``, which include the running input normaliser. Only weights are read
(``torch.load(weights_only=True)``), as everywhere checkpoints are read.
"""

from __future__ import annotations

import contextlib
import io
from typing import TYPE_CHECKING, Any, Iterator

import torch

from trackbench.harness.errors import TrackbenchError
from trackbench.harness.safe_load import load_tensors
from trackbench.harness.training.checkpoint import LAST, checkpoint_path
from trackbench.harness.training.ppo import PPOSpec, rl_games_config

if TYPE_CHECKING:
    from pathlib import Path

    from trackbench.harness.env import VecEnv
    from trackbench.harness.registry import Registry
    from trackbench.harness.specs import RunSpec
    from trackbench.harness.results import RunDir


def checkpoint_weights(path: Path) -> dict[str, torch.Tensor]:
    """The model weights (actor, critic and their normalisers; name → tensor) of the checkpoint
    file ``path``. Raises TrackbenchError naming it if it is unreadable, holds no model weights
    or non-finite ones."""
    state = load_tensors(path, "the checkpoint")
    weights = state.get("model") if isinstance(state, dict) else None
    if not isinstance(weights, dict) or not weights or \
            not all(isinstance(value, torch.Tensor) for value in weights.values()):
        raise TrackbenchError(f"the checkpoint {path} holds no policy weights ('model')")
    # torch.compile prefixes parameter names
    weights = {name.removeprefix("_orig_mod."): value for name, value in weights.items()}
    bad = [name for name, value in weights.items()
           if value.is_floating_point() and not bool(torch.isfinite(value).all())]
    if bad:
        raise TrackbenchError(f"the checkpoint {path} holds non-finite weights ('{bad[0]}')")
    return weights


def load_weights(model: torch.nn.Module, weights: dict[str, torch.Tensor], misfit: str) -> None:
    """Give ``model`` the ``weights`` (:func:`checkpoint_weights`). Raises TrackbenchError
    ``misfit`` if parameters are missing, unexpected or shaped otherwise, with the first few
    differences ('a2c_network.sigma: [22] there, [23] here' — a sigma or mu of another size is
    another action count)."""
    try:
        model.load_state_dict(weights)
    except RuntimeError as error:
        ours = model.state_dict()
        differences = [f"{name}: {list(value.shape)} there, {list(ours[name].shape)} here"
                       for name, value in weights.items()
                       if name in ours and value.shape != ours[name].shape]
        differences += [f"{name}: missing there" for name in ours if name not in weights]
        differences += [f"{name}: not in this network" for name in weights if name not in ours]
        detail = "; ".join(differences[:3]) or str(error).strip().splitlines()[0][:200]
        raise TrackbenchError(f"{misfit} ({detail})") from None


def load_policy(run_dir: "RunDir", ppo: PPOSpec, env: "VecEnv", checkpoint: str = LAST) -> Any:
    """The run's policy at ``checkpoint`` (a name from ``checkpoint.playable``; default its last)
    as an rl-games model in eval mode on the CPU: called with
    ``{"is_train": False, "obs": critic_obs [N, D], ...}`` it returns ``"mus"`` [N, n_dof], the
    deterministic actions (clamp them to [-1, 1] as evaluation does).

    Raises TrackbenchError naming the checkpoint if it is missing, unreadable, holds no model
    weights, non-finite ones, or weights of another network than ``ppo`` and ``env`` describe.
    """
    from rl_games.algos_torch.model_builder import ModelBuilder

    from trackbench.harness.training import network

    path = checkpoint_path(run_dir, checkpoint)
    if not path.is_file():
        raise TrackbenchError(f"{run_dir.path} holds no checkpoint ({path} is missing): train "
                              f"the run first with `trackbench run`")
    weights = checkpoint_weights(path)

    network.register()
    params = rl_games_config(ppo, num_envs=env.num_envs, agent_steps=1, seed=0, device="cpu",
                             train_dir=str(run_dir.path), layout=env.layout,
                             env_key="unused")["params"]
    with contextlib.redirect_stdout(io.StringIO()):  # rl-games prints its normalisers' shapes
        model = ModelBuilder().load(params).build({
            "actions_num": env.num_actions, "input_shape": (env.critic_dim,),
            "num_seqs": env.num_envs, "value_size": 1,
            "normalize_value": ppo.normalize_value, "normalize_input": ppo.normalize_input})
    load_weights(model, weights, f"the checkpoint {path} does not fit the network of its spec.json")
    return model.eval()


@contextlib.contextmanager
def built_on_cpu(spec: "RunSpec", registry: "Registry") -> "Iterator[tuple[PPOSpec, VecEnv]]":
    """(PPO settings, env) of the run ``spec`` outside training: the env built as the run's, on
    the CPU whatever the run trained on; building and using it run under the run's
    ``ppo.rollout_torch_threads``. Raises TrackbenchError as ``VecEnv.build``."""
    from trackbench.harness.env import VecEnv
    from trackbench.harness.threads import torch_threads

    ppo = PPOSpec(**spec.ppo_spec)
    with torch_threads(ppo.rollout_torch_threads):
        yield ppo, VecEnv.build(spec.model_copy(update={"device": "cpu"}), registry,
                                obs_clip=ppo.obs_clip, policy_points=ppo.policy_points)


@contextlib.contextmanager
def played_on_cpu(run_dir: "RunDir", spec: "RunSpec", registry: "Registry",
                  checkpoint: str = LAST) -> "Iterator[tuple[PPOSpec, VecEnv, Any]]":
    """(PPO settings, env, policy) to play the run ``spec`` (its spec.json, as
    ``resume.read_run_spec`` reads it) outside training: :func:`built_on_cpu`'s env and
    :func:`load_policy`'s model at ``checkpoint``. Raises as ``load_policy``."""
    with built_on_cpu(spec, registry) as (ppo, env):
        yield ppo, env, load_policy(run_dir, ppo, env, checkpoint)
