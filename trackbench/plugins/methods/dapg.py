"""The DAPG baseline: PPO on the task's reward plus behaviour cloning on retargeted human demos.

Demonstration Augmented Policy Gradient (Rajeswaran et al., "Learning Complex Dexterous
Manipulation with Deep Reinforcement Learning and Demonstrations", RSS 2018, Eq. 6) augments the
policy gradient with the demonstrations' log likelihood, weighted by a decaying heuristic:

    g_aug = Σ_{(s,a)∈ρ_π} ∇ ln π(a|s) A^π(s,a) + Σ_{(s,a)∈ρ_D} ∇ ln π(a|s) w(s,a)
    w(s,a) = λ₀ · λ₁^k · max_{(s′,a′)∈ρ_π} A^π(s′,a′)          k: the iteration (PPO epoch)

Here the first sum is PPO's clipped surrogate (rl-games, the network every method trains), and
each minibatch's loss gains  w_k · mean_{(s,a)∈D_b} [−ln π(a|s)]  over a demonstration minibatch
D_b as large as the PPO minibatch (``bc_batch`` overrides), so a demo sample weighs w_k as a
policy sample weighs its advantage. max A is over the whole rollout batch's advantages as PPO
uses them (normalised by default), once per epoch (``update_begins``). Defaults λ₀ = 1e-2,
λ₁ = 0.95 are hand_dapg's (``dapg/examples/dapg.txt``: lam_0 1e-2, lam_1 0.95). Where this
departs from hand_dapg's code: it weighs demos by the constant λ₀·λ₁^k (its advantages are
normalised, so max A is folded away) and runs NPG, not PPO; the max-advantage factor here is the
paper's. Optional BC pre-training (``pretrain_epochs``, hand_dapg: 5 epochs, batch 32, lr 1e-3)
runs once before the first rollout of a fresh run.

The reward is the task's ``group`` (``dense`` by default, as the paper's Table 1 reports DAPG;
``--set method.group=task`` for the sparse one) plus the shared energy penalty. The
demonstrations are the dataset's human sequences retargeted onto the robot and replayed with
physics in the task's scene (``trackbench data retarget``), recorded on first use and cached
(``$TRACKBENCH_CACHE/demonstrations``), keyed by robot, task and dataset and their specs. On
the cabinet, ``--set 'method.dataset_spec={drawer_fraction: 1.0}'`` makes them the synthetic
set's drawer openings (retargeted onto allegro, 4 of 4 replays open the drawer past 0.30 m:
``trackbench data retarget --robot allegro --task cabinet --set dataset.drawer_fraction=1.0
--num 4 --out DIR``); the default set's grasps are translated onto the drawer's handle.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

import torch
from pydantic import Field

from trackbench.api import Method, RewardTerm, TrackbenchError
from trackbench.plugins.methods.composed import ComposedSpec, group_problems, weighted_group

if TYPE_CHECKING:
    from trackbench.api import PolicyLikelihood, Registry, RobotSpec, RunContext, Task

MAX_DEMOS = 100_000
MAX_BATCH = 1_000_000
_BLOCKS = ("joint_pos", "joint_vel", "points", "privileged", "actions")


def bc_weight(lambda0: float, lambda1: float, iteration: int, max_advantage: float) -> float:
    """w_k = λ₀ · λ₁^k · max(A, 0): the demonstrations' weight in iteration k (Eq. 6 above; a
    batch whose advantages are all ≤ 0 gives the demonstrations no weight)."""
    return lambda0 * lambda1 ** iteration * max(max_advantage, 0.0)


class DAPG(Method):
    """DAPG baseline: PPO + λ₀λ₁ᵏ·max(A)-weighted BC on retargeted human demos + dense reward."""

    name = "dapg"

    class Spec(ComposedSpec):
        group: Literal["dense", "task"] = Field(
            default="dense", description="the task's reward group (paper: DAPG with dense)")
        dataset: str = Field(default="synthetic", description="human dataset retargeted to demos")
        dataset_spec: dict[str, Any] = Field(default_factory=dict, description=(
            "the dataset's spec fields, e.g. {drawer_fraction: 1.0}: the synthetic set's drawer "
            "openings, demonstrations for the cabinet; {} = the dataset's defaults"))
        max_demos: int = Field(default=50, gt=0, le=MAX_DEMOS, description=(
            "demonstrations: the first N training sequences, retargeted and replayed"))
        lambda0: float = Field(default=1e-2, ge=0, description="λ₀ of the BC weight (hand_dapg 1e-2)")
        lambda1: float = Field(default=0.95, gt=0, le=1, description=(
            "λ₁: the BC weight's decay per PPO epoch (hand_dapg 0.95 per iteration)"))
        bc_batch: int | None = Field(default=None, gt=0, le=MAX_BATCH, description=(
            "demo samples per minibatch; None: as many as the PPO minibatch"))
        pretrain_epochs: int = Field(default=0, ge=0, le=1000, description=(
            "BC epochs over the demos before RL (hand_dapg 5; 0: none)"))
        pretrain_batch: int = Field(default=32, gt=0, le=MAX_BATCH,
                                    description="BC pre-training batch (hand_dapg 32)")
        pretrain_lr: float = Field(default=1e-3, gt=0, le=1,
                                   description="BC pre-training Adam lr (hand_dapg 1e-3)")
        seed: int = Field(default=0, ge=0, description=(
            "added to the run's seed to seed the demo sampling (as amp's method.seed)"))

    @classmethod
    def check_spec(cls, spec: "DAPG.Spec", registry: "Registry") -> None:
        from trackbench.api import METHOD_PATH_HINT, checked_dataset_spec

        checked_dataset_spec(registry, spec.dataset, spec.dataset_spec,
                             how_to_set=METHOD_PATH_HINT)

    def check_compatible(self, task: "Task", robot: "RobotSpec") -> list[str]:
        """The robot must cover the human fingertips (retargeting), the task have ``group``, and
        the policy not observe PD targets or keypoints (the demonstrations record neither)."""
        from trackbench.api import retarget_problems

        targets = ["the demonstrations record no PD joint targets, so the policy cannot observe "
                   "them: drop robot.observe_targets"] if robot.observe_targets else []
        keypoints = ["the demonstrations record no keypoints, so the policy cannot observe them: "
                     "drop robot.observe_keypoints"] if robot.observe_keypoints else []
        return retarget_problems(robot) + group_problems(task, self.spec.group) + targets + keypoints

    def setup(self, task: "Task", robot: "RobotSpec", num_envs: int,
              context: "RunContext | None" = None) -> None:
        from trackbench.api import cached_demonstrations

        super().setup(task, robot, num_envs, context)
        demos = cached_demonstrations(self.run_context(), robot, task, self.spec.dataset,
                                      max_demos=self.spec.max_demos,
                                      dataset_settings=self.spec.dataset_spec)
        if demos.actions.shape[1] != robot.num_actions:
            raise TrackbenchError(f"method 'dapg': the demonstrations have "
                                  f"{demos.actions.shape[1]} actions, the robot {robot.num_actions}")
        self.demos = {name: torch.as_tensor(getattr(demos, name), dtype=torch.float32,
                                            device=self.device) for name in _BLOCKS}
        self.num_demo_steps = demos.num_steps
        self.generator = torch.Generator().manual_seed(self.run_context().seed + self.spec.seed)
        self.iteration = 0  # k: PPO epochs begun
        self.weight = 0.0  # w_k of the current epoch
        self.bc_nll = 0.0  # the last minibatch's mean −ln π(a|s) on demos

    def terms(self, task: "Task") -> tuple[RewardTerm, ...]:
        return weighted_group(task, self.spec.group, 1.0, self.spec.energy_scale)

    # ---- the BC term ------------------------------------------------------------------------------
    def update_begins(self, advantages: torch.Tensor) -> None:
        spec = self.spec
        self.weight = bc_weight(spec.lambda0, spec.lambda1, self.iteration,
                                float(advantages.max()))
        self.iteration += 1

    def policy_loss(self, policy: "PolicyLikelihood", batch_size: int) -> torch.Tensor | None:
        """w_k · mean over a demo minibatch of −ln π(a|s)."""
        if self.weight == 0.0:
            return None
        nll = -self._log_prob(policy, self.spec.bc_batch or batch_size).mean()
        self.bc_nll = float(nll.detach())
        return self.weight * nll

    def pretrain_policy(self, policy: "PolicyLikelihood") -> None:
        """``pretrain_epochs`` epochs of Adam on mean −ln π(a|s) over shuffled demo batches; the
        observation normaliser learns the demos' states meanwhile (no rollout has run yet)."""
        spec = self.spec
        if spec.pretrain_epochs == 0:
            return
        optimizer = torch.optim.Adam(policy.parameters(), lr=spec.pretrain_lr)
        with torch.enable_grad():
            for _ in range(spec.pretrain_epochs):
                order = torch.randperm(self.num_demo_steps, generator=self.generator)
                for start in range(0, self.num_demo_steps, spec.pretrain_batch):
                    rows = order[start:start + spec.pretrain_batch].to(self.device)
                    nll = -policy.log_prob(*(self.demos[n][rows] for n in _BLOCKS),
                                           update_normaliser=True).mean()
                    optimizer.zero_grad(set_to_none=True)
                    nll.backward()
                    optimizer.step()
                    self.bc_nll = float(nll.detach())

    def _log_prob(self, policy: "PolicyLikelihood", count: int) -> torch.Tensor:
        rows = torch.randint(self.num_demo_steps, (count,), generator=self.generator)
        rows = rows.to(self.device)
        return policy.log_prob(*(self.demos[n][rows] for n in _BLOCKS))

    def metrics(self) -> dict[str, float]:
        return {"bc_weight": self.weight, "bc_nll": self.bc_nll, "iteration": float(self.iteration)}

    # ---- checkpoints: k, the weight, the sampling generator (the demos come from the cache) -------
    def state_dict(self) -> dict[str, Any]:
        return {"iteration": self.iteration, "weight": self.weight, "bc_nll": self.bc_nll,
                "generator": self.generator.get_state()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.iteration, self.weight = int(state["iteration"]), float(state["weight"])
        self.bc_nll = float(state["bc_nll"])
        self.generator.set_state(state["generator"])
