"""The run context: what the host hands a reward method for one run, instead of globals.

``VecEnv.build`` makes one per run and passes it to :meth:`Method.setup`; a method that needs
more than its spec (``track`` its predictor, ``amp`` its human data and a seed) takes it from
there, never from process state, so a test that builds its own context gets exactly its own
registry, device, seed and cache. Tasks and engines need less and are handed just that: a task
its device (``Task.setup``) and a generator per env seeded from the run's seed (``Task.reset``),
an engine the seed and the device.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable

import torch

from trackbench.harness import console

if TYPE_CHECKING:
    from trackbench.harness.registry import Registry

CACHE_ENV = "TRACKBENCH_CACHE"


def default_cache_dir() -> Path:
    """``$TRACKBENCH_CACHE``, or ``~/.cache/trackbench``."""
    return Path(os.environ.get(CACHE_ENV) or "~/.cache/trackbench").expanduser()


def to_stderr(message: str) -> None:
    """The default progress reporter: stderr, so that stdout stays clean for ``--json``."""
    console.err.print(message)


@dataclass(frozen=True)
class RunContext:
    """One run's plugins, device, seed, cache directory and progress reporter."""

    registry: "Registry"  # the plugins the run was planned with; the CLI loads them once
    device: torch.device | str = "cpu"  # where the run's tensors live (a torch.device after init)
    seed: int = 0  # the run's seed (RunSpec.seed): seed a method's own random draws from it
    cache_dir: Path = field(default_factory=default_cache_dir)  # what the host trains on first use
    progress: Callable[[str], None] = to_stderr  # one line for the user (Rich markup allowed)

    def __post_init__(self) -> None:
        object.__setattr__(self, "device", torch.device(self.device))
