"""Where the time of a training loop goes: named stage timers, read by `trackbench bench --train`.

The VecEnv and the agent time their parts through a ``StageTimes``; by default they hold
:data:`NO_TIMES`, whose stages cost one attribute lookup and an empty ``with``.
"""

from __future__ import annotations

import contextlib
import time
from typing import ContextManager

# In loop order. physics: the engine's control step; task: judging it (update); method: its
# reward terms (track: Π_h's prediction and history); reset: reset plans, engine resets and the
# episode buffers of task and method; observation: assembling and checking obs; policy: the
# actor/critic forward passes of the rollout; ppo_update: rl-games' mini-epochs; logging:
# metrics, TensorBoard and checkpoints.
STAGES = ("physics", "task", "method", "reset", "observation", "policy", "ppo_update", "logging")


class StageTimes:
    """Seconds spent per stage, summed over every call."""

    def __init__(self) -> None:
        self.seconds = dict.fromkeys(STAGES, 0.0)

    @contextlib.contextmanager
    def stage(self, name: str):
        start = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[name] += time.perf_counter() - start

    def add(self, name: str, seconds: float) -> None:
        self.seconds[name] += seconds


class _NoTimes:
    _null = contextlib.nullcontext()

    def stage(self, name: str) -> ContextManager[None]:
        return self._null

    def add(self, name: str, seconds: float) -> None:
        pass


NO_TIMES = _NoTimes()
