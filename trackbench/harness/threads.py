"""Torch CPU thread counts for one stretch of work.

On a few cores, torch's OpenMP workers keep spinning for a while after each parallel region and
take the cores from whatever runs next (MuJoCo's threads, another process). Small forward passes
gain little from more threads, so the rollout, the evaluation and Π_h's training run with fewer.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import torch


@contextlib.contextmanager
def torch_threads(threads: int) -> Iterator[None]:
    """Run the block with ``threads`` torch CPU threads (0 = leave torch's setting), then
    restore the previous count, also when the block raises."""
    previous = torch.get_num_threads()
    if threads:
        torch.set_num_threads(threads)
    try:
        yield
    finally:
        torch.set_num_threads(previous)
