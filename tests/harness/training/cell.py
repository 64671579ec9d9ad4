"""A small real cell (allegro / grasp_lift, 8 envs, 20-step episodes, 10 PPO epochs with a
checkpoint every 3) run through the `trackbench` command in a subprocess, as a user runs it,
so that it can be killed with real signals."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable, Sequence

STEPS = 640  # 10 epochs of 8 envs × horizon 8
CHECKPOINT_EVERY = 3
RUN_ID = "allegro__grasp_lift__{method}__s0"
SMALL = ["--robot", "allegro", "--task", "grasp_lift", "--envs", "8", "--steps", str(STEPS),
         "--set", "task.episode_length=20", "--set", "ppo.horizon_length=8",
         "--set", "ppo.minibatch_size=32", "--set", "ppo.mini_epochs=2",
         "--set", "ppo.eval_episodes=8", "--set", f"ppo.checkpoint_every={CHECKPOINT_EVERY}",
         "--set", "ppo.actor_units=[32,32]", "--set", "ppo.critic_units=[32,32]",
         "--set", "ppo.pointnet_units=[16,16]"]
# Values that measure the wall clock, not the training.
CLOCK_FIELDS = {"fps", "wall_s", "train_seconds", "eval_seconds", "wall_seconds", "resumed_from"}


def method_args(method: str, predictor: Path | None = None) -> list[str]:
    args = ["--method", method]
    if method == "track":
        args += ["--set", f"method.checkpoint={predictor}"]
    if method == "amp":
        args += ["--set", "method.max_sequences=4", "--set", "method.disc_units=[16]",
                 "--set", "method.batch_size=8", "--set", "method.update_every=4"]
    return args


def command(out: Path, *args: str) -> list[str]:
    # The console script installed beside this interpreter, as a user runs it.
    return [str(Path(sys.executable).with_name("trackbench")), "run", *SMALL, *args,
            "--out", str(out)]


def run(out: Path, *args: str, preexec_fn: Callable[[], None] | None = None,
        timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run(command(out, *args), capture_output=True, text=True, timeout=timeout,
                          env=_env(), preexec_fn=preexec_fn)


def start(out: Path, *args: str) -> subprocess.Popen:
    return subprocess.Popen(command(out, *args), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=_env())


def signal_after_checkpoint(process: subprocess.Popen, run_dir: Path, epoch: int,
                            signum: int = signal.SIGKILL, timeout: float = 300) -> tuple[int, str]:
    """Send ``signum`` once the checkpoint of ``epoch`` (or a later one) exists; returns
    (exit status, stderr)."""
    summary = run_dir / "checkpoints" / "last.json"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"the run ended before epoch {epoch}: {process.stderr.read()}")
        try:
            if json.loads(summary.read_text())["epoch"] >= epoch:
                break
        except (FileNotFoundError, json.JSONDecodeError):
            pass
        time.sleep(0.02)
    else:
        process.kill()
        raise AssertionError(f"no checkpoint of epoch {epoch} within {timeout} s")
    process.send_signal(signum)
    _, stderr = process.communicate(timeout=timeout)
    return process.returncode, stderr


def rows(metrics: Path) -> list[dict]:
    return [json.loads(line) for line in metrics.read_text().splitlines()]


def without_clock(record: dict) -> dict:
    return {key: value for key, value in record.items() if key not in CLOCK_FIELDS}


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(Path(__file__).resolve().parents[3]),
                                         env.get("PYTHONPATH", "")])
    return env


def assert_one_message(stderr: str, *fragments: Sequence[str]) -> None:
    assert "Traceback" not in stderr, stderr
    for fragment in fragments:
        assert fragment in stderr, (fragment, stderr)
