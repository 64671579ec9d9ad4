"""Train one cell with rl-games PPO: checkpoints, resume, metrics.jsonl, TensorBoard, progress.

Files under the run directory:

    checkpoints/last.pth   the full training state (model, optimiser, epoch, agent steps, env
                           generators), written atomically every ``checkpoint_every`` epochs and
                           at the end; a rerun resumes from it
    metrics.jsonl          one row per PPO epoch; rows past the checkpoint are dropped on resume
    rl_games/summaries/    TensorBoard events (rl-games' losses and ours under episode/)
    rl_games.log           rl-games' own console output

rl-games also saves a final snapshot of its own into rl_games/nn/ when the budget is reached; it
holds the same state as checkpoints/last.pth and is deleted, so checkpoints/ is the one place.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

import numpy as np
import torch
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from trackbench.harness import console
from trackbench.harness.device import require_device
from trackbench.harness.env import VecEnv
from trackbench.harness.training.episodes import EpisodeStats
from trackbench.harness.training.ppo import PPOSpec, rl_games_config

TORCH_DEFAULT_THREADS = torch.get_num_threads()  # before any cell changes it

if TYPE_CHECKING:
    from trackbench.harness.method import Method
    from trackbench.harness.registry import Registry
    from trackbench.harness.results import RunDir
    from trackbench.harness.specs import RunSpec

CHECKPOINT_NAME = "last.pth"
# Called after every PPO epoch with (epoch, agent steps); raising stops training there.
EpochCallback = Callable[[int, int], None]


@dataclass
class Trained:
    agent: Any  # the rl-games A2CAgent; agent.model is the policy
    env: VecEnv
    agent_steps: int  # agent steps trained in total, over every session of the run
    train_seconds: float  # wall time spent training, over every session
    resumed_from: int | None  # agent steps of the checkpoint this session started from


def checkpoint_path(run_dir: "RunDir") -> Path:
    return run_dir.checkpoint_dir / CHECKPOINT_NAME


def train_cell(spec: "RunSpec", registry: "Registry", run_dir: "RunDir", *,
               on_epoch: EpochCallback | None = None) -> Trained:
    """Train ``spec`` until ``spec.agent_steps`` (resuming from its checkpoint if present)."""
    from rl_games.torch_runner import Runner

    from trackbench.harness.training import network, vecenv

    require_device(spec.device)
    ppo = PPOSpec(**spec.ppo_spec)
    # Before the env: a method's set-up (track's Π_h) runs torch too. 0 restores torch's own
    # default, which an earlier cell in this process may have changed.
    torch.set_num_threads(ppo.torch_threads or TORCH_DEFAULT_THREADS)
    env = VecEnv.build(spec, registry, obs_clip=ppo.obs_clip)
    vecenv.register()
    network.register()
    key = vecenv.provide(env)
    try:
        config = rl_games_config(
            ppo, num_envs=spec.num_envs, agent_steps=spec.agent_steps, seed=spec.seed,
            device=spec.device, train_dir=str(run_dir.path), layout=env.layout, env_key=key,
        )
        observer = TrainingObserver(spec, ppo, run_dir, on_epoch, env.method)
        runner = Runner(observer)
        with _rl_games_output(run_dir):
            runner.load(config)
            _seed_everything(spec.seed)  # rl-games skips seeding when the seed is 0
            agent = runner.algo_factory.create(runner.algo_name, base_name="run", params=runner.params)
            resumed_from, earlier_seconds = _restore(agent, run_dir, env.method)
            if ppo.torch_compile:  # after restoring: compiling renames the parameters
                agent.model = torch.compile(agent.model)
            observer.start(earlier_seconds)
            if agent.frame < spec.agent_steps:
                with observer.progress_bar(resumed_from or 0):
                    agent.train()
                shutil.rmtree(run_dir.path / "rl_games" / "nn", ignore_errors=True)
        return Trained(agent, env, int(agent.frame), observer.train_seconds(), resumed_from)
    finally:
        vecenv.withdraw(key)


class TrainingObserver:
    """rl-games' AlgoObserver hooks: collect finished episodes, and after every epoch write a
    metrics row, TensorBoard scalars, a checkpoint when due, and advance the progress bar."""

    def __init__(self, spec: "RunSpec", ppo: PPOSpec, run_dir: "RunDir",
                 on_epoch: EpochCallback | None, method: "Method"):
        self.spec, self.ppo, self.run_dir, self.on_epoch = spec, ppo, run_dir, on_epoch
        self.method = method
        self.window = EpisodeStats(ppo.games_to_track)
        self.algo: Any = None
        self.progress: Progress | None = None
        self.task_id: Any = None
        self._earlier_seconds = 0.0
        self._session_start = time.perf_counter()
        self._epoch_start = time.perf_counter()

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
        row = {"agent_steps": steps, "epoch": int(epoch_num), **self.window.summary(),
               "episodes_total": self.window.total,
               "fps": self.algo.curr_frames / max(epoch_seconds, 1e-9),
               "wall_s": self.train_seconds(), "lr": float(self.algo.last_lr),
               **{f"method/{name}": value for name, value in self.method.metrics().items()}}
        self.run_dir.append_metrics(row)
        for name, value in row.items():
            if isinstance(value, (int, float)) and name not in ("agent_steps", "epoch"):
                self.algo.writer.add_scalar(f"episode/{name}", value, steps)
        if epoch_num % self.ppo.checkpoint_every == 0 or steps >= self.spec.agent_steps:
            save_checkpoint(self.algo, checkpoint_path(self.run_dir), self.train_seconds(),
                            self.method.state_dict())
        self._advance(steps, row)
        if self.on_epoch is not None:
            self.on_epoch(int(epoch_num), steps)

    # ---- time and progress ----------------------------------------------------------------------
    def start(self, earlier_seconds: float) -> None:
        self._earlier_seconds = earlier_seconds
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


def save_checkpoint(agent: Any, path: Path, train_seconds: float,
                    method_state: dict[str, Any] | None = None) -> None:
    """The agent's full state plus our bookkeeping and what the reward method learned (AMP's
    discriminator), written to a temporary file then renamed."""
    state = agent.get_full_state_weights()
    state["trackbench"] = {"train_seconds": train_seconds, "agent_steps": int(agent.frame),
                           "method": method_state or {}}
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    torch.save(state, tmp)
    os.replace(tmp, path)


def _restore(agent: Any, run_dir: "RunDir", method: "Method") -> tuple[int | None, float]:
    """Load checkpoints/last.pth if present; drop metrics rows it does not cover.
    Returns (agent steps resumed from or None, training seconds already spent)."""
    path = checkpoint_path(run_dir)
    if not path.is_file():
        _truncate_metrics(run_dir, 0)
        return None, 0.0
    from rl_games.algos_torch import torch_ext

    state = torch_ext.load_checkpoint(str(path))  # also strips torch.compile's name prefix
    agent.set_full_state_weights(state)
    if state.get("trackbench", {}).get("method"):
        method.load_state_dict(state["trackbench"]["method"])
    steps = int(agent.frame)
    _truncate_metrics(run_dir, steps)
    return steps, float(state.get("trackbench", {}).get("train_seconds", 0.0))


def _truncate_metrics(run_dir: "RunDir", steps: int) -> None:
    """Keep only the metrics rows of epochs the checkpoint includes (a killed run may have
    written rows past its last checkpoint; they are trained again)."""
    path = run_dir.metrics_file
    if not path.is_file():
        return
    kept = [line for line in path.read_text().splitlines()
            if line.strip() and json.loads(line).get("agent_steps", 0) <= steps]
    path.write_text("".join(line + "\n" for line in kept))


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
