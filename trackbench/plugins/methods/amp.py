"""The AMP baseline: an adversarial motion prior on fingertip transitions, plus a task reward group.

Per control step, r = disc_weight · r_disc + task_weight · (the task's ``group`` terms) + energy,
with r_disc from a discriminator D trained online to tell the human data's fingertip transitions
(s, s′) from the robot's (``discriminator.py``). The paper compares against AMP "with the dense
reward", hence ``group = "dense"`` by default. The robot's fingertips go through the same
robot → human fingertip map as ``track`` (Allegro's ring tip is synthesised).

D trains inside the method, from what the method sees, so it needs nothing from the PPO trainer:
every ``update_every`` control steps it takes ``disc_steps`` Adam steps on ``batch_size`` robot
transitions from a replay buffer and as many human ones. Where this departs from IsaacGymEnvs:
D has its own optimiser (so ``disc_coef`` becomes the learning rate), the inputs are normalised by
the human data's fixed mean and std rather than a running estimate, and every robot transition
enters the replay (no ``amp_replay_keep_prob``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

import torch
from pydantic import Field

from trackbench.api import (
    HUMAN_FINGERTIPS, MAX_LAYERS, LayerUnits, Method, RewardTerm, TrackbenchError,
)
from trackbench.plugins.methods.composed import ComposedSpec, group_problems, weighted_group
from trackbench.plugins.methods.discriminator import (
    TRANSITION_DIM,
    Discriminator,
    TransitionReplay,
    amp_reward,
    discriminator_loss,
)

if TYPE_CHECKING:
    from trackbench.api import Registry, RobotSpec, RunContext, State, Task, TaskFrame

# Allocation bounds: the human sequences and the replay are held in memory.
MAX_SEQUENCES = 100_000
MAX_REPLAY = 10_000_000  # transitions of a few dozen floats each
MAX_BATCH = 1_000_000


class AMP(Method):
    """AMP baseline: adversarial prior on human fingertip transitions + the task's dense reward."""

    name = "amp"

    class Spec(ComposedSpec):
        group: Literal["dense", "task"] = Field(
            default="dense", description="the task's reward group added (paper: AMP with dense)")
        task_weight: float = Field(default=1.0, ge=0, description="task_reward_w: weight of the group")
        disc_weight: float = Field(default=1.0, ge=0, description="disc_reward_w: weight of r_disc")
        disc_reward_scale: float = Field(default=2.0, gt=0, description="r_disc scale (IGE 2)")
        dataset: str = Field(default="synthetic", description="human dataset of the motion prior")
        dataset_spec: dict[str, Any] = Field(default_factory=dict, description=(
            "the dataset's spec fields, e.g. {path: DIR} for trackr or dexycb; {} = the "
            "dataset's defaults"))
        max_sequences: int = Field(default=200, gt=0, le=MAX_SEQUENCES,
                                   description="human training sequences loaded (the first N)")
        disc_units: LayerUnits = Field(default=(1024, 512), min_length=1, max_length=MAX_LAYERS,
                                       description="discriminator MLP (IGE [1024, 512])")
        learning_rate: float = Field(default=5e-5, gt=0, description="discriminator Adam lr (IGE 5e-5)")
        grad_penalty: float = Field(default=5.0, ge=0, description="disc_grad_penalty (IGE 5)")
        logit_reg: float = Field(default=0.05, ge=0, description="disc_logit_reg (IGE 0.05)")
        weight_decay: float = Field(default=1e-4, ge=0, description="disc_weight_decay (IGE 1e-4)")
        batch_size: int = Field(default=512, gt=0, le=MAX_BATCH,
                                description="transitions per side per step (IGE 512)")
        update_every: int = Field(default=10, gt=0,
                                  description="control steps between updates (PPO's horizon)")
        disc_steps: int = Field(default=5, gt=0, description="Adam steps per update (PPO's mini-epochs)")
        replay_size: int = Field(default=200_000, gt=0, le=MAX_REPLAY,
                                 description="robot transitions kept")
        seed: int = Field(default=0, ge=0, description="added to the run's seed for D's "
                          "initialisation and sampling (a matrix's seeds differ in D too)")

    @classmethod
    def check_spec(cls, spec: "AMP.Spec", registry: "Registry") -> None:
        from trackbench.api import METHOD_PATH_HINT, checked_dataset_spec

        checked_dataset_spec(registry, spec.dataset, spec.dataset_spec,
                             how_to_set=METHOD_PATH_HINT)

    def check_compatible(self, task: "Task", robot: "RobotSpec") -> list[str]:
        """D compares human fingertip transitions, and r_disc joins the task's ``group`` terms."""
        from trackbench.api import fingertip_map_problems

        return fingertip_map_problems(robot) + group_problems(task, self.spec.group)

    def setup(self, task: "Task", robot: "RobotSpec", num_envs: int,
              context: "RunContext | None" = None) -> None:
        from trackbench.api import FingertipMap

        super().setup(task, robot, num_envs, context)
        spec, context = self.spec, self.run_context()
        self.map = FingertipMap(robot)
        self.human = human_transitions(context.registry, spec.dataset, spec.max_sequences,
                                       self.name, spec.dataset_spec).to(self.device)
        seed = context.seed + spec.seed
        with torch.random.fork_rng(devices=[]):  # D's initial weights, without touching PPO's RNG
            torch.manual_seed(seed)
            self.disc = Discriminator(spec.disc_units, self.human)
        self.disc.to(self.device)
        self.optimizer = torch.optim.Adam(self.disc.parameters(), lr=spec.learning_rate)
        self.generator = torch.Generator().manual_seed(seed)
        self.replay = TransitionReplay(spec.replay_size, self.device)
        self.previous = torch.zeros(num_envs, 5, 3, device=self.device)
        self.transitions = torch.zeros(num_envs, TRANSITION_DIM, device=self.device)  # observe's
        self.steps = 0
        self.last_stats: dict[str, float] = {}

    def terms(self, task: "Task") -> tuple[RewardTerm, ...]:
        """r_disc, then the task's ``group`` terms (task_weight scales them, not the energy)."""
        spec = self.spec
        disc = RewardTerm("amp", self.disc_reward, spec.disc_weight)
        return (disc,) + weighted_group(task, spec.group, spec.task_weight, spec.energy_scale)

    def begin(self, env_ids: torch.Tensor, state: "State") -> None:
        ids = env_ids.to(state.keypoints.device)
        self.previous[env_ids.to(self.device)] = self.map.to_human(state.keypoints[ids].to(self.device))

    def observe(self, frame: "TaskFrame") -> None:
        """This step's fingertip transition (s, s′); while training, it enters the replay and
        every ``update_every`` steps D trains (before it scores this step)."""
        fingertips = self._fingertips(frame.state)
        self.transitions = torch.cat([self.previous.flatten(1), fingertips.flatten(1)], dim=1)
        self.previous = fingertips  # a fresh tensor each step; begin() then overwrites reset rows
        if self.training:  # an evaluation only scores: D, its replay and its clock stay as they are
            self.replay.add(self.transitions)
            self.steps += 1
            if self.steps % self.spec.update_every == 0:
                self.train_discriminator()

    def disc_reward(self, frame: "TaskFrame") -> torch.Tensor:
        """−log(max(1 − D(s, s′), 1e-4)) · disc_reward_scale of this step's transition"""
        with torch.no_grad():
            return amp_reward(self.disc(self.transitions), self.spec.disc_reward_scale)

    def train_discriminator(self) -> dict[str, float]:
        """``disc_steps`` Adam steps on robot (replay) vs human transitions; returns the last
        step's diagnostics. Runs with gradients on, even inside the trainer's no-grad rollout."""
        if self.replay.size == 0:
            return {}
        spec = self.spec
        with torch.inference_mode(False), torch.enable_grad():
            for _ in range(spec.disc_steps):
                robot = self.replay.sample(spec.batch_size, self.generator)
                pick = torch.randint(len(self.human), (spec.batch_size,), generator=self.generator)
                loss, self.last_stats = discriminator_loss(
                    self.disc, robot, self.human[pick.to(self.device)],
                    grad_penalty=spec.grad_penalty, logit_reg=spec.logit_reg,
                    weight_decay=spec.weight_decay)
                self.optimizer.zero_grad(set_to_none=True)
                loss.backward()
                self.optimizer.step()
        return self.last_stats

    def _fingertips(self, state: "State") -> torch.Tensor:
        return self.map.to_human(state.keypoints.to(self.device))

    def metrics(self) -> dict[str, float]:
        return {f"disc_{name}": value for name, value in self.last_stats.items()}

    # ---- checkpoints: D, its optimiser, the replay and the sampling generator ----------------------
    def state_dict(self) -> dict[str, Any]:
        replay = self.replay
        return {"disc": self.disc.state_dict(), "optimizer": self.optimizer.state_dict(),
                "steps": self.steps, "generator": self.generator.get_state(),
                "previous": self.previous.clone(), "last_stats": dict(self.last_stats),
                # Only the filled part: the replay holds 200k transitions when full (24 MB).
                "replay": {"data": replay.data[:replay.size].clone(), "size": replay.size,
                           "next": replay._next}}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.disc.load_state_dict(state["disc"])
        self.optimizer.load_state_dict(state["optimizer"])
        self.steps = int(state["steps"])
        self.generator.set_state(state["generator"])
        if "replay" not in state:  # a checkpoint of trackbench ≤ 0.1: D only, the replay refills
            return
        self.previous = state["previous"].to(self.device)
        self.last_stats = dict(state["last_stats"])
        replay, saved = self.replay, state["replay"]
        if saved["size"] > len(replay.data):
            raise TrackbenchError(f"method 'amp': the checkpoint's replay holds {saved['size']} "
                                  f"transitions, more than replay_size {len(replay.data)}")
        replay.data[:saved["size"]] = saved["data"].to(replay.data.device)
        replay.size, replay._next = int(saved["size"]), int(saved["next"])


def human_transitions(registry: "Registry", dataset: str, max_sequences: int,
                      method: str = "amp", settings: dict[str, Any] | None = None
                      ) -> torch.Tensor:
    """[M, 30] consecutive fingertip pairs (s, s′) of the first ``max_sequences`` training
    sequences of ``dataset`` with spec ``settings`` (20 Hz, human fingertip order, world frame).
    Raises TrackbenchError if the dataset cannot be read or has no such pair."""
    spec = registry.resolve_spec("datasets", dataset, dict(settings or {}))
    source = registry.get("datasets", dataset).cls(spec)
    pairs = []
    for count, sequence in enumerate(source.sequences("train")):
        if count == max_sequences:
            break
        tips = torch.as_tensor(sequence.keypoints[:, list(HUMAN_FINGERTIPS)], dtype=torch.float32)
        if len(tips) >= 2:
            pairs.append(torch.cat([tips[:-1].flatten(1), tips[1:].flatten(1)], dim=1))
    if not pairs:
        raise TrackbenchError(
            f"method '{method}': dataset '{dataset}' has no training sequence of two or more frames")
    return torch.cat(pairs)
