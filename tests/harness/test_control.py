"""The control law and the blow-up rule every engine applies, against values worked out by hand.

Dyadic numbers (speed 8, sim_dt 1/64: an arm step of 1/8) keep every expected value exact, so the
comparisons are equalities, on NumPy float64 (what the CPU engine uses) and torch alike.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from trackbench.harness.control import joint_targets
from trackbench.harness.instability import unstable_envs

# Two arm joints in [-1, 1], one hand joint in [-0.5, 1.5].
LOWER, UPPER = [-1.0, -1.0, -0.5], [1.0, 1.0, 1.5]
PREVIOUS = [[0.0, 0.5, 0.9], [1.0, -0.95, 0.9]]
ACTIONS = [[1.0, -0.5, 0.0],  # arm +1/8 and −1/16; hand mid-range
           [3.0, -1.0, -2.0]]  # clipped to [1, −1, −1]: both arm joints run into their limits
EXPECTED = [[0.125, 0.4375, 0.5],  # hand: −0.5 + 0.5·(0 + 1)·2; the previous 0.9 plays no part
            [1.0, -1.0, -0.5]]  # 1 + 1/8 and −0.95 − 1/8 clamped; hand at its lower limit


@pytest.mark.parametrize("as_array", [np.array, lambda x: torch.tensor(x, dtype=torch.float64)],
                         ids=["numpy", "torch"])
def test_joint_targets_by_hand(as_array):
    previous = as_array(PREVIOUS)
    targets = joint_targets(previous, as_array(ACTIONS), as_array(LOWER), as_array(UPPER),
                            n_arm=2, arm_speed_scale=8.0, sim_dt=1 / 64)
    assert type(targets) is type(previous)
    assert targets.tolist() == EXPECTED
    assert previous.tolist() == PREVIOUS  # a new array; the engine decides where it goes


@pytest.mark.parametrize("as_array", [np.array, torch.tensor], ids=["numpy", "torch"])
def test_unstable_envs_by_hand(as_array):
    nan = float("nan")
    finite = as_array([True, False, True, True, True, True])
    velocity = as_array([[1.0, -199.0],   # slow: fine
                         [nan, 0.0],      # non-finite (reported by the engine)
                         [0.0, -201.0],   # too fast backwards
                         [200.0, 0.0],    # at the limit: fine, only faster counts
                         [0.0, 0.0],      # restarted by the simulator
                         [nan, 0.0]])     # a NaN velocity alone is not "fast"
    restarted = as_array([False, False, False, False, True, False])
    unstable = unstable_envs(finite, velocity, restarted, max_joint_speed=200.0)
    assert unstable.tolist() == [False, True, True, False, True, False]

