"""rl-games' continuous PPO agent, plus the state rl-games leaves out of its checkpoints.

rl-games 1.6.5 checkpoints the model (with its normalisers), the optimiser, the epoch and the
frame count. A run resumed from that alone restarts the learning rate from the config (the
adaptive schedule's value is lost), resets every env in ``train()`` and restarts its episode
meters, so it does not continue the interrupted run. :class:`ResumableAgent` adds:

- :meth:`rollout_state` / :meth:`resume_rollout`: the rollout's place (current observations,
  done flags, per-env running returns and lengths, rl-games' episode meters) and the learning
  rate and entropy coefficient the schedule reached. On resume, the ``env_reset()`` that
  ``train()`` starts with hands back the saved observations instead of resetting the envs (whose
  state the VecEnv restored from the same checkpoint).
- a synchronous TensorBoard writer: rl-games' tensorboardX writer logs through a thread whose
  bounded queue blocks training forever once the thread dies (a full disk kills it). This one
  writes in the training loop with tensorboardX's own record writer, so an I/O error reaches
  the trainer as an exception.
- ``ppo.advantage_groups=start_kind``: each start kind's advantages standardised on their own
  (training/advantages.py), from the start kind each rollout step's episode began from.
- checks that the PPO losses are finite (:class:`NonFiniteError` names the first that is not).
- the method's hooks into the update (``Method.update_begins`` / ``policy_loss`` /
  ``pretrain_policy``): a method that shapes the loss (``dapg``'s behaviour cloning) adds its
  term to every minibatch's PPO loss here, the RL core itself unchanged.

Its own snapshots (``save``) are switched off: checkpoints are the trainer's. Its ``restore``
loads with ``torch.load(weights_only=True)``, never through rl-games' ``torch_ext`` loader.
"""

from __future__ import annotations

import contextlib
import os
import time
from typing import Any

import torch
from rl_games.algos_torch import torch_ext
from rl_games.algos_torch.a2c_continuous import A2CAgent
from rl_games.common import a2c_common, schedulers

from trackbench.harness.errors import NonFiniteError
from trackbench.harness.safe_load import load_tensors
from trackbench.harness.stages import NO_TIMES
from trackbench.harness.training.advantages import normalised_per_group
from trackbench.harness.training.likelihood import PolicyLikelihood
from trackbench.harness.threads import torch_threads

_METERS = ("game_rewards", "game_shaped_rewards", "game_lengths")
_RUNNING = ("dones", "current_rewards", "current_shaped_rewards", "current_lengths")


class SyncSummaryWriter:
    """The part of tensorboardX's SummaryWriter rl-games uses, written synchronously."""

    def __init__(self, logdir: str):
        from tensorboardX.event_file_writer import EventsWriter

        os.makedirs(logdir, exist_ok=True)
        self._events = EventsWriter(os.path.join(logdir, "events"))

    def add_scalar(self, tag: str, value: Any, global_step: int | None = None,
                   walltime: float | None = None, **_: Any) -> None:
        from tensorboardX.proto import event_pb2
        from tensorboardX.summary import scalar

        event = event_pb2.Event(summary=scalar(tag, float(value)),
                                wall_time=walltime or time.time(), step=int(global_step or 0))
        self._events.write_event(event)

    def flush(self) -> None:
        self._events.flush()

    def close(self) -> None:
        self._events.close()


class ResumableAgent(A2CAgent):
    """``a2c_continuous`` whose checkpoints continue exactly (see the module docstring)."""

    def __init__(self, base_name: str, params: dict[str, Any]):
        with _replaced(a2c_common, "SummaryWriter", SyncSummaryWriter):
            super().__init__(base_name=base_name, params=params)
        self._pending_rollout: dict[str, Any] | None = None
        if isinstance(self.scheduler, schedulers.AdaptiveScheduler):
            # rl-games hard-codes max_lr 1e-2; the paper code's adaptive schedule stops at 5e-3.
            self.scheduler.max_lr = float(self.config.get("max_lr", self.scheduler.max_lr))
        self.times = NO_TIMES  # `trackbench bench --train` sets a StageTimes
        env = self.vec_env.env  # the VecEnv behind rl-games' adapter (vecenv.RlGamesVecEnv)
        self.method, self.policy = env.method, PolicyLikelihood(self, env)
        self._group_by_start = self.config.get("advantage_groups", "batch") == "start_kind"
        self._step_start_kinds: list[torch.Tensor] = []  # [num_envs] per rollout step

    def play_steps(self):
        """rl-games' rollout, with ``rollout_torch_threads`` torch threads (see PPOSpec)."""
        self._step_start_kinds = []
        with torch_threads(int(self.config.get("rollout_torch_threads", 0))):
            return super().play_steps()

    def env_step(self, actions):
        if self._group_by_start:  # the episode each sample belongs to, read before its step
            self._step_start_kinds.append(self.vec_env.env.start_kinds)
        return super().env_step(actions)

    def get_action_values(self, obs):
        with self.times.stage("policy"):
            return super().get_action_values(obs)

    def get_values(self, obs):
        with self.times.stage("policy"):
            return super().get_values(obs)

    # ---- the method's hooks into the update -------------------------------------------------------
    def prepare_dataset(self, batch_dict):
        super().prepare_dataset(batch_dict)
        if self._group_by_start:
            values = self.dataset.values_dict
            # [horizon, num_envs] → rl-games' batch order (swap_and_flatten01: env-major)
            kinds = torch.stack(self._step_start_kinds).transpose(0, 1).reshape(-1)
            values["advantages"] = normalised_per_group(values["advantages"],
                                                        kinds.to(values["advantages"].device))
        self.method.update_begins(self.dataset.values_dict["advantages"])

    def calc_losses(self, actor_loss_func, old_action_log_probs_batch, action_log_probs,
                    advantage, *rest):
        loss, *parts = super().calc_losses(actor_loss_func, old_action_log_probs_batch,
                                           action_log_probs, advantage, *rest)
        extra = self.method.policy_loss(self.policy, int(advantage.shape[0]))
        return (loss if extra is None else loss + extra, *parts)

    def pretrain(self) -> None:
        """The method's pre-training (before the first rollout of a fresh run)."""
        self.set_train()
        self.method.pretrain_policy(self.policy)

    # ---- the rollout's place --------------------------------------------------------------------
    def rollout_state(self) -> dict[str, Any]:
        """What rl-games keeps between epochs beyond its own checkpoint; tensors and numbers."""
        return {
            "obs": {key: value.clone() for key, value in self.obs.items()
                    if isinstance(value, torch.Tensor)},
            **{name: getattr(self, name).clone() for name in _RUNNING},
            "meters": {name: {"mean": getattr(self, name).mean.clone(),
                              "size": int(getattr(self, name).current_size)} for name in _METERS},
            "last_lr": float(self.last_lr), "entropy_coef": float(self.entropy_coef),
            "mean_rewards": float(self.mean_rewards),
        }

    def resume_rollout(self, state: dict[str, Any]) -> None:
        """Restore :meth:`rollout_state`; call after ``set_full_state_weights``."""
        self.last_lr, self.entropy_coef = state["last_lr"], state["entropy_coef"]
        self.mean_rewards = state["mean_rewards"]
        self.update_lr(self.last_lr)
        for name in _METERS:
            meter = getattr(self, name)
            meter.mean = state["meters"][name]["mean"].to(meter.mean.device)
            meter.current_size = state["meters"][name]["size"]
        self._pending_rollout = state

    def env_reset(self):
        if self._pending_rollout is None:
            return super().env_reset()
        state, self._pending_rollout = self._pending_rollout, None
        for name in _RUNNING:  # train() re-created these just before calling env_reset()
            setattr(self, name, state[name].to(self.ppo_device))
        # As rl-games' own env_reset would: cast_obs notes that the env speaks torch tensors.
        return {key: self.cast_obs(value.to(self.ppo_device)) for key, value in state["obs"].items()}

    # ---- checks and switches --------------------------------------------------------------------
    def write_stats(self, total_time, epoch_num, step_time, play_time, update_time, a_losses,
                    c_losses, entropies, kls, *rest):
        for name, values in (("actor loss", a_losses), ("critic loss", c_losses), ("KL", kls)):
            value = torch_ext.mean_list(values)
            if not bool(torch.isfinite(value).all()):
                raise NonFiniteError(f"the PPO {name} of epoch {epoch_num} is {value.item()}")
        self.times.add("ppo_update", update_time)
        with self.times.stage("logging"):  # rl-games' TensorBoard scalars, then our observer
            super().write_stats(total_time, epoch_num, step_time, play_time, update_time, a_losses,
                                c_losses, entropies, kls, *rest)

    def save(self, fn: str) -> None:
        pass  # the trainer writes checkpoints/last.pth

    def restore(self, fn: str, set_epoch: bool = True) -> None:
        """rl-games' loader unpickles anything (``torch.load(weights_only=False)``); this one
        loads tensors, numbers and containers only. Raises TrackbenchError naming the file."""
        self.set_full_state_weights(load_tensors(fn, "the checkpoint"), set_epoch=set_epoch)

    def restore_central_value_function(self, fn: str) -> None:
        self.set_central_value_function_weights(load_tensors(fn, "the checkpoint"))


@contextlib.contextmanager
def _replaced(module: Any, name: str, value: Any):
    original = getattr(module, name)
    setattr(module, name, value)
    try:
        yield
    finally:
        setattr(module, name, original)
