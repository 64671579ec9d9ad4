"""Train one cell with rl-games PPO: checkpoints, exact resume, metrics.jsonl, TensorBoard, progress.

Files under the run directory:

    checkpoints/last.pth   the full training state (checkpoint.py), written atomically every
                           ``checkpoint_every`` epochs and at the end; a rerun resumes from it and
                           continues exactly as the uninterrupted run would have
    metrics.jsonl          one row per PPO epoch, only ever appended; a resume truncates it to its
                           length at the checkpoint (one truncate call, so a kill cannot empty it)
    rl_games/summaries/    TensorBoard events (rl-games' losses and ours under episode/), written
                           synchronously; each session starts a new events file, and TensorBoard
                           reads up to a record cut off by a kill
    rl_games.log           rl-games' own console output

Every epoch is checked before it is recorded: the PPO losses and the weights must be finite and
at most ``max_unstable_fraction`` of its env-steps may have blown up in the engine; otherwise
training stops with one message and the last checkpoint stays as it was. Rewards and
observations are checked at every step (``VecEnv.step``).
"""

from __future__ import annotations

import contextlib
import random
import shutil
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable

import numpy as np
import torch
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from trackbench.harness import console
from trackbench.harness.device import require_device
from trackbench.harness.env import VecEnv
from trackbench.harness.errors import NonFiniteError, TrackbenchError
from trackbench.harness.training import checkpoint
from trackbench.harness.training.episodes import EpisodeStats
from trackbench.harness.training.ppo import PPOSpec, rl_games_config

TORCH_DEFAULT_THREADS = torch.get_num_threads()  # before any cell changes it

if TYPE_CHECKING:
    from pathlib import Path

    from trackbench.harness.registry import Registry
    from trackbench.harness.results import RunDir
    from trackbench.harness.specs import RunSpec
    from trackbench.harness.stages import StageTimes

TENSORBOARD_FLUSH_SECONDS = 10.0
# Called after every PPO epoch with (epoch, agent steps); raising stops training there.
EpochCallback = Callable[[int, int], None]
# Called with every metrics.jsonl row once it is written (an experiment tracker mirrors them).
MetricsCallback = Callable[[dict], None]


@dataclass
class Trained:
    agent: Any  # the ResumableAgent; agent.model is the policy
    env: VecEnv
    agent_steps: int  # agent steps trained in total, over every session of the run
    train_seconds: float  # wall time spent training, over every session
    resumed_from: int | None  # agent steps of the checkpoint this session started from


def train_cell(spec: "RunSpec", registry: "Registry", run_dir: "RunDir", *,
               on_epoch: EpochCallback | None = None, times: "StageTimes | None" = None,
               on_metrics: MetricsCallback | None = None) -> Trained:
    """Train ``spec`` until ``spec.agent_steps``, resuming exactly from its checkpoint if present.

    ``times`` collects where the time goes (``trackbench bench --train``).
    Raises TrackbenchError when training cannot go on (a non-finite value, an engine that blows
    up most env-steps, a checkpoint that does not fit); the last checkpoint is then untouched.
    """
    from rl_games.torch_runner import Runner

    from trackbench.harness.training import network, vecenv
    from trackbench.harness.training.agent import ResumableAgent

    require_device(spec.device)
    ppo = PPOSpec(**spec.ppo_spec)
    # Before the env: a method's set-up (track's Π_h) runs torch too. 0 restores torch's own
    # default, which an earlier cell in this process may have changed.
    torch.set_num_threads(ppo.torch_threads or TORCH_DEFAULT_THREADS)
    env = VecEnv.build(spec, registry, obs_clip=ppo.obs_clip, policy_points=ppo.policy_points,
                       random_episode_start=ppo.random_episode_start)
    env.times = times or env.times
    vecenv.register()
    network.register()
    key = vecenv.provide(env)
    try:
        config = rl_games_config(
            ppo, num_envs=spec.num_envs, agent_steps=spec.agent_steps, seed=spec.seed,
            device=spec.device, train_dir=str(run_dir.path), layout=env.layout, env_key=key,
        )
        observer = TrainingObserver(spec, ppo, run_dir, on_epoch, env, on_metrics)
        runner = Runner(observer)
        with _rl_games_output(run_dir):
            runner.load(config)
            _seed_everything(spec.seed)  # rl-games skips seeding when the seed is 0
            agent = ResumableAgent(base_name="run", params=runner.params)
            agent.times = times or agent.times
            try:
                resumed_from = _restore(agent, run_dir, observer)
                if resumed_from is None:
                    _initialise_from(agent, ppo.init_checkpoint())
                    agent.pretrain()  # the method's, if any (dapg's BC epochs)
                if ppo.torch_compile:  # after restoring: compiling renames the parameters
                    agent.model = torch.compile(agent.model)
                if agent.frame < spec.agent_steps:
                    with observer.progress_bar(resumed_from or 0):
                        agent.train()
            except NonFiniteError as error:
                raise TrackbenchError(observer.stopped(str(error))) from None
            finally:
                agent.writer.close()
            shutil.rmtree(run_dir.path / "rl_games" / "nn", ignore_errors=True)
        return Trained(agent, env, int(agent.frame), observer.train_seconds(), resumed_from)
    finally:
        vecenv.withdraw(key)


class TrainingObserver:
    """rl-games' AlgoObserver hooks: collect finished episodes, and after every epoch write a
    metrics row, TensorBoard scalars, a checkpoint when due, and advance the progress bar."""

    def __init__(self, spec: "RunSpec", ppo: PPOSpec, run_dir: "RunDir",
                 on_epoch: EpochCallback | None, env: VecEnv,
                 on_metrics: MetricsCallback | None = None):
        self.spec, self.ppo, self.run_dir, self.on_epoch = spec, ppo, run_dir, on_epoch
        self.on_metrics = on_metrics
        self.env, self.method = env, env.method
        self.epoch = 0  # the last epoch recorded
        self._unstable_seen = 0  # the env's unstable env-steps at the last epoch
        self.window = EpisodeStats(ppo.games_to_track)
        self.algo: Any = None
        self.progress: Progress | None = None
        self.task_id: Any = None
        self._earlier_seconds = 0.0
        self._session_start = time.perf_counter()
        self._epoch_start = time.perf_counter()
        self._flushed = time.perf_counter()

    # ---- rl-games' AlgoObserver interface --------------------------------------------------------
    def before_init(self, base_name: str, config: dict, experiment_name: str) -> None:
        pass

    def after_init(self, algo: Any) -> None:
        self.algo = algo

    def process_infos(self, infos: dict, done_indices: torch.Tensor) -> None:
        self.window.add(infos.get("episodes"))

    def after_steps(self) -> None:
        pass

    def after_clear_stats(self) -> None:
        pass

    def after_print_stats(self, frame: int, epoch_num: int, total_time: float) -> None:
        steps = int(self.algo.frame)  # already counts this epoch
        now = time.perf_counter()
        epoch_seconds, self._epoch_start = now - self._epoch_start, now
        unstable, fraction = self._check_epoch(int(epoch_num))
        row = {"agent_steps": steps, "epoch": int(epoch_num), **self.window.summary(),
               "episodes_total": self.window.total,
               "unstable_env_steps": unstable, "unstable_fraction": fraction,
               "fps": self.algo.curr_frames / max(epoch_seconds, 1e-9),
               "wall_s": self.train_seconds(), "lr": float(self.algo.last_lr),
               **self.env.curriculum_metrics(),
               **{f"method/{name}": value for name, value in self.method.metrics().items()}}
        self.run_dir.append_metrics(row)
        if self.on_metrics is not None:
            self.on_metrics(row)
        for name, value in row.items():
            if isinstance(value, (int, float)) and name not in ("agent_steps", "epoch"):
                self.algo.writer.add_scalar(f"episode/{name}", value, steps)
        self.epoch = int(epoch_num)
        due = epoch_num % self.ppo.checkpoint_every == 0 or steps >= self.spec.agent_steps
        if due or now - self._flushed > TENSORBOARD_FLUSH_SECONDS:
            self.algo.writer.flush()  # an fsync: with each checkpoint, else every 10 s at most
            self._flushed = now
        if due:
            self.save_checkpoint(steps, int(epoch_num), keep=self.ppo.keeps(int(epoch_num)))
        self._advance(steps, row)
        if self.on_epoch is not None:
            self.on_epoch(int(epoch_num), steps)

    # ---- checks, checkpoints and resume ----------------------------------------------------------
    def _check_epoch(self, epoch: int) -> tuple[int, float]:
        """(unstable env-steps, their fraction) of this epoch; raises if the epoch must not be
        recorded: non-finite weights, or most env-steps blown up in the engine."""
        for name, value in self.algo.model.state_dict().items():
            if value.is_floating_point() and not bool(torch.isfinite(value).all()):
                raise NonFiniteError(f"the network's '{name}' became non-finite in the PPO update "
                                     f"of epoch {epoch}")
        played = int(self.algo.curr_frames)
        unstable = self.env.unstable_env_steps - self._unstable_seen
        self._unstable_seen = self.env.unstable_env_steps
        fraction = unstable / max(played, 1)
        if fraction > self.ppo.max_unstable_fraction:
            raise TrackbenchError(
                f"{self.spec.run_id}: {unstable:,} of the {played:,} env-steps of epoch {epoch} "
                f"({fraction:.0%}) blew up in the engine (non-finite physics or a joint faster "
                f"than engine.max_joint_speed) and were reset, so nothing can be learned. Check "
                f"the robot and engine settings (gains, limits, time step). Training stopped; "
                f"{checkpoint.kept(self.run_dir)}, or --force starts over."
            )
        return unstable, fraction

    def save_checkpoint(self, steps: int, epoch: int, keep: bool = False) -> None:
        state = self.algo.get_full_state_weights()  # model, optimiser, epoch, frame, env_state
        self.run_dir.sync_metrics()  # the rows the checkpoint counts are on disk before it is
        state["trackbench"] = {
            "format": checkpoint.FORMAT, "epoch": epoch, "agent_steps": steps,
            "train_seconds": self.train_seconds(), "metrics_bytes": self.run_dir.metrics_size(),
            "agent": self.algo.rollout_state(), "episodes": self.window.state_dict(),
            "rng": checkpoint.rng_state(),
        }
        checkpoint.save(self.run_dir, state, keep=keep)

    def resume(self, saved: dict[str, Any]) -> None:
        """Continue from a checkpoint's ``trackbench`` entry (format 2)."""
        self.window.load_state_dict(saved["episodes"])
        self._unstable_seen = self.env.unstable_env_steps  # restored with the envs
        self.epoch = int(saved["epoch"])
        self._earlier_seconds = float(saved["train_seconds"])

    def resume_legacy(self, train_seconds: float) -> None:
        self._earlier_seconds = train_seconds

    def stopped(self, reason: str) -> str:
        """The message when training cannot go on during the epoch after ``self.epoch``."""
        return (f"{self.spec.run_id}: {reason} (during PPO epoch {self.epoch + 1}). Training "
                f"stopped before recording anything non-finite; fix the cause (a setting, the "
                f"predictor checkpoint): {checkpoint.kept(self.run_dir)}, or --force starts over.")

    # ---- time and progress ----------------------------------------------------------------------
    def start(self) -> None:
        self._session_start = self._epoch_start = time.perf_counter()

    def train_seconds(self) -> float:
        return self._earlier_seconds + time.perf_counter() - self._session_start

    @contextlib.contextmanager
    def progress_bar(self, start_steps: int):
        self.progress = Progress(
            TextColumn("[bold]{task.description}"), BarColumn(),
            TextColumn("{task.completed:,.0f}/{task.total:,.0f} steps"),
            TextColumn("{task.fields[fps]} fps"), TextColumn("success {task.fields[success]}"),
            TimeElapsedColumn(), console=console.err, transient=False,
        )
        self.task_id = self.progress.add_task(self.spec.run_id, total=self.spec.agent_steps,
                                              completed=start_steps, fps="-", success="-")
        with self.progress:
            yield
        self.progress = None

    def _advance(self, steps: int, row: dict) -> None:
        if self.progress is None:
            return
        success = row["success_rate"]
        self.progress.update(self.task_id, completed=min(steps, self.spec.agent_steps),
                             fps=f"{row['fps']:,.0f}",
                             success="-" if success is None else f"{success:.2f} ({row['episodes']} ep)")


def _initialise_from(agent: Any, path: "Path | None") -> None:
    """A fresh run's model takes the weights of the checkpoint ``path`` (``ppo.init_from``);
    nothing if None. Raises TrackbenchError if they do not fit this run's network."""
    if path is None:
        return
    from trackbench.harness.training.policy import checkpoint_weights, load_weights

    load_weights(agent.model, checkpoint_weights(path),
                 f"ppo.init_from: the policy in {path} does not fit this run's network (another "
                 f"robot, action space, observation or network size?)")


def _restore(agent: Any, run_dir: "RunDir", observer: TrainingObserver) -> int | None:
    """Load checkpoints/last.pth if present and cut metrics.jsonl back to it.
    Returns the agent steps resumed from, or None for a fresh start.
    Raises TrackbenchError naming the checkpoint if it is unreadable or does not fit this cell."""
    state = checkpoint.load(run_dir)  # weights only, and every entry read below is there
    if state is None:
        run_dir.truncate_metrics(0)
        observer.start()
        return None
    try:
        _apply(agent, state, run_dir, observer)
    except TrackbenchError:
        raise
    except (KeyError, TypeError, ValueError, IndexError, AttributeError, RuntimeError) as error:
        # An entry nested deeper than checkpoint.load checks (a shape, a generator state).
        first = str(error).strip().splitlines()[0] if str(error).strip() else ""
        raise TrackbenchError(
            f"the checkpoint {checkpoint.checkpoint_path(run_dir)} does not fit this cell "
            f"({type(error).__name__}{': ' + first[:200] if first else ''}). "
            f"{checkpoint.START_OVER}") from None
    observer.start()
    return int(agent.frame)


def _apply(agent: Any, state: dict[str, Any], run_dir: "RunDir",
           observer: TrainingObserver) -> None:
    agent.set_full_state_weights(state)  # model, optimiser, epoch, frame, VecEnv.load_state_dict
    saved = state.get("trackbench", {})
    if saved.get("format") == checkpoint.FORMAT:
        agent.resume_rollout(saved["agent"])
        observer.resume(saved)
        checkpoint.set_rng_state(saved["rng"])
        if not run_dir.truncate_metrics(saved["metrics_bytes"]):
            console.warn(f"{run_dir.metrics_file} is shorter than when {checkpoint.describe(run_dir)} "
                         "was written (rows were removed outside trackbench); training resumes "
                         "exactly, but the rows that are gone are not written again")
    else:  # trackbench 0.1: weights, optimiser and reset generators only
        if saved.get("method"):
            observer.method.load_state_dict(saved["method"])
        observer.resume_legacy(float(saved.get("train_seconds", 0.0)))
        run_dir.truncate_metrics_after(int(agent.frame))
        console.warn(f"{checkpoint.checkpoint_path(run_dir)} was written by an older "
                      "trackbench; training resumes from it, but every episode restarts and the "
                      "learning rate starts over, so it does not continue exactly")


def _seed_everything(seed: int) -> None:
    torch.manual_seed(seed)
    np.random.seed(seed)
    random.seed(seed)


@contextlib.contextmanager
def _rl_games_output(run_dir: "RunDir"):
    """rl-games prints set-up chatter to stdout; keep it in the run's log, not the user's screen
    (our own progress goes to stderr)."""
    run_dir.path.mkdir(parents=True, exist_ok=True)
    with (run_dir.path / "rl_games.log").open("a") as log, contextlib.redirect_stdout(log):
        yield
