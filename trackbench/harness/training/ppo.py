"""PPO settings, in two named presets, and their translation to an rl-games config.

Every field is overridable per run with ``--set ppo.FIELD=VALUE``; a preset fills every field the
user did not set (``--set ppo.preset=paper``). ``paper`` is the released code's effective
configuration (``AllegroXarmNewPPO_mlp`` + the RL scripts' overrides, docs/reference/
paper-code-facts.md), made for 4096 GPU envs; the paper code runs its own PPO, so this mirrors its
numbers on rl-games' ``a2c_continuous``. ``cpu`` (the default) is for tens to hundreds of CPU envs:
longer horizons so that a batch holds enough samples, and a narrower network over fewer points so
that the PPO update does not dominate the loop (``trackbench bench --train``; README
"Performance"). Each run's spec.json records the preset and every resolved field.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import Field, model_validator

from trackbench.harness.errors import TrackbenchError
from trackbench.harness.specs import MAX_LAYERS, FrozenSpec, LayerUnits, added_setting, with_preset

NETWORK_NAME = "trackbench_pointnet"  # the network builder registered by training/network.py
ENV_NAME = "trackbench"  # the env_configurations entry registered by training/vecenv.py

# Upper bounds on what allocates: a typo (horizon_length=1000000) would otherwise reach torch as
# an out-of-memory crash minutes into a run.
MAX_BATCH = 2**22  # envs × horizon samples in one rollout buffer (the paper: 4096 × 10)
MAX_HORIZON = 4096
MAX_POLICY_POINTS = 1024  # the paper's policy sees 100
MAX_EPISODES = 100_000
MAX_THREADS = 1024
# PPO sees reward × reward_scale in float32: a scale near 1e38 overflows the returns, and one far
# above any reward's size only says "non-finite loss" mid-run. The paper uses 0.1.
MAX_REWARD_SCALE = 1e6


# A preset fills every field the user did not set. Fields not named here have one default for both.
PRESETS: dict[str, dict[str, Any]] = {
    "paper": dict(horizon_length=10, minibatch_size=4096, mini_epochs=5, policy_points=None,
                  pointnet_units=(64, 64, 64), actor_units=(512, 256, 128),
                  critic_units=(512, 256, 128), random_episode_start=False),
    "cpu": dict(horizon_length=32, minibatch_size=2048, mini_epochs=4, policy_points=32,
                pointnet_units=(32, 32), actor_units=(256, 128, 64), critic_units=(256, 128, 64),
                random_episode_start=True),
}


class PPOSpec(FrozenSpec):
    """PPO and its training loop; written into each run's spec.json as ``ppo_spec``."""

    # Runs written before presets existed ran the paper's settings, then the only defaults.
    preset: Literal["cpu", "paper"] = added_setting(
        "cpu", before="paper", since="2026-11-30", description=(
        "named settings: paper (the authors' 4096-env GPU settings) or cpu (tens to hundreds of "
        "envs); explicit fields override it"))

    # ---- batch layout ---------------------------------------------------------------------------
    horizon_length: int = Field(default=32, gt=0, le=MAX_HORIZON, description="steps per env per PPO epoch (paper 10, cpu 32)")
    minibatch_size: int = Field(
        default=2048, gt=0, le=MAX_BATCH, description="paper 4096, cpu 2048; capped at the "
        "batch (envs × horizon), which it must divide; the plan says when it is capped")
    mini_epochs: int = Field(default=4, gt=0, le=1000,
                             description="passes over each batch (paper 5, cpu 4)")
    # ---- optimiser and schedule -----------------------------------------------------------------
    learning_rate: float = Field(default=1e-4, gt=0, le=1, description="initial Adam lr (paper 1e-4)")
    lr_schedule: str = Field(default="adaptive", pattern="^(adaptive|linear|constant)$",
                             description="adaptive: lr ÷1.5 when KL > 2·kl_threshold, ×1.5 when < ½")
    kl_threshold: float = Field(default=0.02, gt=0, description="adaptive-lr KL target (paper 0.02)")
    max_lr: float = Field(default=5e-3, gt=0, le=1, description=(
        "adaptive-lr ceiling (paper 5e-3; rl-games' own AdaptiveScheduler hard-codes 1e-2)"))
    # ---- returns and losses ---------------------------------------------------------------------
    gamma: float = Field(default=0.99, gt=0, le=1, description="discount γ (paper 0.99)")
    tau: float = Field(default=0.95, gt=0, le=1, description="GAE λ (paper 0.95)")
    e_clip: float = Field(default=0.2, gt=0, description="PPO ratio clip and value clip (paper 0.2)")
    critic_coef: float = Field(default=4.0, ge=0, description="loss = a + 0.5·critic_coef·c (paper 4)")
    entropy_coef: float = Field(default=0.0, ge=0, description="entropy bonus (paper 0)")
    bounds_loss_coef: float = Field(default=0.0, ge=0,
                                    description="penalty on |μ| > 1.1 (paper: configured, unused)")
    grad_norm: float = Field(default=1.0, gt=0, description="gradient-norm clip (paper 1.0)")
    # ---- normalisation --------------------------------------------------------------------------
    normalize_input: bool = Field(default=True, description="running mean/std over the whole obs")
    normalize_value: bool = Field(default=True, description="running mean/std of value targets")
    normalize_advantage: bool = Field(default=True, description="advantages normalised per batch")
    # Why per start kind: grasped starts' returns (goal and lift bonuses) dwarf those of starts far
    # from the object and set the batch's spread (docs/results "Session 21"; training/advantages.py).
    advantage_groups: Literal["batch", "start_kind"] = added_setting(
        "batch", before="batch", since="2026-12-02", description=(
            "with normalize_advantage: batch standardises the batch's advantages as one "
            "population (rl-games, paper); start_kind standardises the samples of each start "
            "kind (standard, pregrasp, grasped; task.pregrasp_start / grasped_start) on their own"))
    value_bootstrap: bool = Field(default=True, description="bootstrap V at time-outs (truncation)")
    reward_scale: float = Field(default=0.1, gt=0, le=MAX_REWARD_SCALE,
                                description="PPO sees reward × this (paper 0.1)")
    obs_clip: float = Field(default=10.0, gt=0, description="observations clamped to ±this (paper 10)")
    policy_points: int | None = Field(default=32, ge=1, le=MAX_POLICY_POINTS, description=(
        "points of the task's object cloud the policy sees, evenly spaced over it; None: all of "
        "them (paper: all 100; cpu 32). The PointNet's cost grows with it"))
    # ---- network --------------------------------------------------------------------------------
    pointnet_units: LayerUnits = Field(
        default=(32, 32), min_length=1, max_length=MAX_LAYERS,
        description="per-point MLP, max-pooled (paper 3→64→64→64, cpu 3→32→32)")
    actor_units: LayerUnits = Field(
        default=(256, 128, 64), min_length=1, max_length=MAX_LAYERS,
        description="actor MLP, ELU (paper [512, 256, 128], cpu [256, 128, 64])")
    critic_units: LayerUnits = Field(
        default=(256, 128, 64), min_length=1, max_length=MAX_LAYERS,
        description="critic MLP, ELU (paper [512, 256, 128], cpu [256, 128, 64])")
    init_log_std: float = Field(default=0.0, description="initial state-independent log σ (paper 0)")
    # Why a separate hand σ: from a grasp, finger noise of σ 0.05–0.37 breaks the hold before the
    # arm's noise does, so a noisy policy learns that lifting pays less than holding still
    # (docs/results "Session 8": benchmarks/grasp_noise.py).
    hand_init_log_std: float | None = Field(default=None, description=(
        "initial log σ of the hand joints' actions (those after the robot's arm actions; not "
        "the close action's); None: init_log_std for every action (paper)"))
    # Why its own σ: the close action moves every finger at once, so its noise is what a held
    # grasp feels most, and what finds closing from a pre-grasp (docs/results "Session 12").
    close_init_log_std: float | None = Field(default=None, description=(
        "initial log σ of the close action (robot.hand_close_action); None: init_log_std"))
    random_episode_start: bool = added_setting(True, before=False, since="2026-11-30", description=(
        "training: each env's first episode ends at a random step (a time-out), so envs do not "
        "run in lockstep and a batch spans every phase of an episode (Isaac Lab's "
        "init_at_random_ep_len; paper False, cpu True). Evaluation always plays full episodes"))
    init_from: str | None = Field(default=None, max_length=4096, description=(
        "start from another run's policy (actor, critic and their normalisers) instead of a "
        "random one: a run directory (its checkpoints/last.pth) or a checkpoint file. The next "
        "rung of a curriculum from the last, as rl-games' and Isaac Lab's checkpoint loading. "
        "Its network and observation layout must be this run's; the optimiser, lr schedule and "
        "epoch count start afresh. A resumed run continues from its own checkpoint"))
    # ---- the run around it ----------------------------------------------------------------------
    checkpoint_every: int = Field(default=20, gt=0,
                                  description="epochs between checkpoints (and after the last)")
    keep_every: int = added_setting(0, before=0, since="2026-12-04", ge=0, description=(
        "also keep the checkpoint of every epoch this divides as checkpoints/epoch_NNNNNN.pth "
        "(a multiple of checkpoint_every; 0 = keep only last.pth), to evaluate a policy where a "
        "budget ended after the run went on: `trackbench evaluate RUN --checkpoint NNN`. About "
        "3 MB each at the cpu preset's network sizes"))
    eval_episodes: int = Field(default=64, gt=0, le=MAX_EPISODES, description="evaluation episodes of the final policy")
    eval_seed: int = Field(default=1_000_000, ge=0, description=(
        "evaluation episode k resets from seed eval_seed + k, the same in every cell"))
    max_unstable_fraction: float = Field(default=0.5, ge=0, le=1, description=(
        "training stops with a message when more than this fraction of an epoch's env-steps blew "
        "up in the engine (a setting that makes the physics diverge)"))
    games_to_track: int = Field(default=100, gt=0, le=MAX_EPISODES,
                                description="training metrics average the last N episodes")
    torch_compile: bool = Field(default=False,
                                description="torch.compile the networks (slow to start; off on CPU)")
    # Physics and PPO take turns, so torch may use every core. On the 2-core machine, track at
    # 64 envs: 972 fps with all cores, 672 with 1; OMP_WAIT_POLICY=PASSIVE lost (767).
    torch_threads: int = Field(default=0, ge=0, le=MAX_THREADS, description=(
        "torch CPU threads (0 = torch's default, all cores); set 1 when other jobs share the cores"))
    # While the rollout runs, torch's OpenMP workers keep spinning after each policy pass and take
    # the cores from MuJoCo's threads: physics then ran at ~1.3x its standalone time. One torch
    # thread for the rollout's small forward passes removed that (README "Performance").
    rollout_torch_threads: int = Field(default=1, ge=0, le=MAX_THREADS, description=(
        "torch CPU threads while the rollout is collected (policy inference, the method's "
        "networks such as track's Π_h); 0 = torch_threads. The PPO update uses torch_threads"))

    @model_validator(mode="before")
    @classmethod
    def _apply_preset(cls, data: Any) -> Any:
        return with_preset(data, PRESETS, "cpu")

    @model_validator(mode="after")
    def _groups_need_normalising(self) -> "PPOSpec":
        if self.advantage_groups != "batch" and not self.normalize_advantage:
            raise ValueError(f"advantage_groups={self.advantage_groups} normalises advantages: it "
                             f"needs normalize_advantage=true")
        return self

    @model_validator(mode="after")
    def _kept_epochs_are_checkpointed(self) -> "PPOSpec":
        if self.keep_every % self.checkpoint_every:
            raise ValueError(f"keep_every={self.keep_every} keeps checkpoints that are never "
                             f"written: it must be a multiple of checkpoint_every="
                             f"{self.checkpoint_every} (or 0)")
        return self

    def keeps(self, epoch: int) -> bool:
        """Whether the checkpoint of ``epoch`` is kept under its epoch's name (``keep_every``)."""
        return bool(self.keep_every) and epoch % self.keep_every == 0

    def init_checkpoint(self) -> Path | None:
        """The checkpoint file ``init_from`` names (a run directory's checkpoints/last.pth, or the
        file itself), or None. Raises TrackbenchError if there is none there."""
        if self.init_from is None:
            return None
        from trackbench.harness.training.checkpoint import CHECKPOINT_NAME

        given = Path(self.init_from).expanduser()
        path = given / "checkpoints" / CHECKPOINT_NAME if given.is_dir() else given
        if not path.is_file():
            raise TrackbenchError(f"ppo.init_from: {self.init_from} is neither a checkpoint file "
                                  f"nor a run directory holding checkpoints/{CHECKPOINT_NAME}")
        return path

    def minibatch_for(self, num_envs: int) -> int:
        """The minibatch actually used: ``minibatch_size`` capped at the batch, dividing it.

        Raises TrackbenchError if the batch (num_envs × horizon_length) exceeds MAX_BATCH or the
        minibatch does not divide it."""
        batch = num_envs * self.horizon_length
        if batch > MAX_BATCH:
            raise TrackbenchError(
                f"the batch num_envs × ppo.horizon_length = {num_envs} × {self.horizon_length} = "
                f"{batch:,} samples exceeds {MAX_BATCH:,}; use fewer envs or a shorter horizon")
        minibatch = min(self.minibatch_size, batch)
        if batch % minibatch:
            raise TrackbenchError(
                f"ppo.minibatch_size {minibatch} must divide the batch num_envs × horizon_length = "
                f"{num_envs} × {self.horizon_length} = {batch}"
            )
        return minibatch

    def minibatch_note(self, num_envs: int) -> str | None:
        """For the plan: how ``minibatch_size`` was capped at a smaller batch, or None.

        The cap stays (the presets' minibatch fits their usual env counts, and a small test run
        should not need a matching --set), but it is said, so that a run's settings are never
        silently other than asked."""
        used = self.minibatch_for(num_envs)
        if used == self.minibatch_size:
            return None
        return (f"ppo.minibatch_size {self.minibatch_size} is larger than the batch of "
                f"{num_envs} envs × {self.horizon_length} steps: each mini-epoch uses the whole "
                f"batch of {used} as one minibatch")


def rl_games_config(ppo: PPOSpec, *, num_envs: int, agent_steps: int, seed: int, device: str,
                    train_dir: str, layout: dict[str, int], env_key: str) -> dict[str, Any]:
    """The ``{"params": ...}`` dict rl-games' Runner loads. ``layout`` tells the network where the
    joint values, the point cloud and the critic-only values sit in the observation vector."""
    schedule = {"adaptive": "adaptive", "linear": "linear", "constant": None}[ppo.lr_schedule]
    return {"params": {
        "seed": seed,
        "torch_threads": ppo.torch_threads,
        "algo": {"name": "a2c_continuous"},
        "model": {"name": "continuous_a2c_logstd"},
        "network": {
            "name": NETWORK_NAME,
            "layout": dict(layout),
            "pointnet_units": list(ppo.pointnet_units),
            "actor_units": list(ppo.actor_units),
            "critic_units": list(ppo.critic_units),
            "init_log_std": ppo.init_log_std,
            "hand_init_log_std": ppo.hand_init_log_std,
            "close_init_log_std": ppo.close_init_log_std,
        },
        "config": {
            "name": "ppo",
            "full_experiment_name": "rl_games",
            "train_dir": train_dir,
            "env_name": ENV_NAME,
            "env_config": {"env_key": env_key},
            "device": "cuda:0" if device == "cuda" else device,
            "num_actors": num_envs,
            "horizon_length": ppo.horizon_length,
            "minibatch_size": ppo.minibatch_for(num_envs),
            "mini_epochs": ppo.mini_epochs,
            "learning_rate": ppo.learning_rate,
            "lr_schedule": schedule,
            # "standard": one lr update per mini-epoch on its mean KL, as the paper code does.
            "schedule_type": "standard",
            "kl_threshold": ppo.kl_threshold,
            "max_lr": ppo.max_lr,  # read by ResumableAgent (rl-games ignores the key)
            "rollout_torch_threads": ppo.rollout_torch_threads,  # read by ResumableAgent too
            "gamma": ppo.gamma,
            "tau": ppo.tau,
            "e_clip": ppo.e_clip,
            "clip_value": True,
            "critic_coef": ppo.critic_coef,
            "entropy_coef": ppo.entropy_coef,
            "bounds_loss_coef": ppo.bounds_loss_coef,
            "grad_norm": ppo.grad_norm,
            "truncate_grads": True,
            "normalize_input": ppo.normalize_input,
            "normalize_value": ppo.normalize_value,
            # start_kind: ResumableAgent standardises each start kind's advantages itself.
            "normalize_advantage": ppo.normalize_advantage and ppo.advantage_groups == "batch",
            "advantage_groups": ppo.advantage_groups,  # read by ResumableAgent
            "value_bootstrap": ppo.value_bootstrap,
            "reward_shaper": {"scale_value": ppo.reward_scale},
            "max_frames": agent_steps,
            "games_to_track": ppo.games_to_track,
            # Checkpoints are the trainer's (run_dir/checkpoints); rl-games' own "best" snapshots
            # and per-epoch console lines are switched off.
            "save_frequency": 0,
            "save_best_after": 10**12,
            "print_stats": False,
            "mixed_precision": False,
            "torch_compile": ppo.torch_compile,
            "ppo": True,
        },
    }}
