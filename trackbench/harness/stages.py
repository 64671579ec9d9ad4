"""Where the time of a training loop goes: named stage timers, read by `trackbench bench --train`.

The VecEnv and the agent time their parts through a ``StageTimes``; by default they hold
:data:`NO_TIMES`, whose stages cost one attribute lookup and an empty ``with``.
"""

from __future__ import annotations

import contextlib
import time
from typing import Callable, ContextManager

# In loop order. physics: the engine's control step; task: judging it (update); method: its
# reward terms (track: Π_h's prediction and history); reset: reset plans, engine resets and the
# episode buffers of task and method; observation: assembling and checking obs; policy: the
# actor/critic forward passes of the rollout; ppo_update: rl-games' mini-epochs; logging:
# metrics, TensorBoard and checkpoints.
STAGES = ("physics", "task", "method", "reset", "observation", "policy", "ppo_update", "logging")


class StageTimes:
    """Seconds spent per stage, summed over every call.

    sync: called before a stage starts and before it ends, for work that runs asynchronously
    (``torch.cuda.synchronize`` on a GPU, whose kernels a stage only queues); the waits slow the
    loop a little but put each stage's GPU time into that stage.
    """

    def __init__(self, sync: Callable[[], None] | None = None) -> None:
        self.seconds = dict.fromkeys(STAGES, 0.0)
        self._sync = sync

    @contextlib.contextmanager
    def stage(self, name: str):
        if self._sync is not None:
            self._sync()
        start = time.perf_counter()
        try:
            yield
        finally:
            if self._sync is not None:
                self._sync()
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
