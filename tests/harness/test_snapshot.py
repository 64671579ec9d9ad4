"""The default plugin state for exact resume: capture and restore attributes."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from trackbench.harness.errors import TrackbenchError
from trackbench.harness.snapshot import capture, restore


class Buffers:
    def __init__(self, n: int):
        self.best = torch.zeros(n)
        self.physics = np.zeros((n, 3))
        self.generator = torch.Generator().manual_seed(1)
        self.count = 0
        self.name = "not state"
        with torch.inference_mode():
            self.history = torch.zeros(n, 2)


def test_capture_then_restore_brings_every_buffer_back():
    owner = Buffers(4)
    owner.best += 1.5
    owner.physics[:] = 2.0
    owner.count = 7
    state = capture(owner)
    assert set(state) == {"best", "physics", "generator", "count", "history"}
    assert all(isinstance(value, torch.Tensor) for key, value in state.items()
               if key in ("best", "physics"))  # loadable with weights_only
    expected_draw = torch.rand(3, generator=owner.generator)

    fresh = Buffers(4)
    alias = fresh.best
    restore(fresh, state, "task 'probe'")
    assert torch.equal(fresh.best, torch.full((4,), 1.5)) and fresh.best is alias  # in place
    assert isinstance(fresh.physics, np.ndarray) and (fresh.physics == 2.0).all()
    assert fresh.count == 7 and fresh.name == "not state"
    assert torch.equal(torch.rand(3, generator=fresh.generator), expected_draw)


def test_a_state_of_another_run_size_is_refused_by_name():
    with pytest.raises(TrackbenchError, match=r"task 'probe'.*'best' was saved as Tensor \(4,\)"):
        restore(Buffers(8), capture(Buffers(4)), "task 'probe'")
