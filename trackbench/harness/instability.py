"""The blow-up policy every engine applies: which envs count as exploded after a control step.

An engine reports physics facts (are its values finite, how fast each joint moves, did the
simulator restart an env on its own); this decides what counts as a blow-up, so every engine
resets the same envs. The engine then resets them and flags them in ``Engine.unstable``.

Works on NumPy arrays and torch tensors alike.
"""

from __future__ import annotations

from typing import TypeVar

import numpy as np

Array = TypeVar("Array")  # numpy.ndarray or torch.Tensor; all arguments of one call alike


def unstable_envs(finite: Array, joint_velocity: Array, restarted: Array,
                  max_joint_speed: float, overflowed: Array | None = None) -> Array:
    """[N] bool: the envs that blew up during the last control step.

    finite: [N] bool, every physics and sensor value of the env is finite.
    joint_velocity: [N, nv] every degree of freedom's velocity (rad/s for hinges, m/s for slides
        and free joints' translations), NaN allowed.
    restarted: [N] bool, the simulator reset the env by itself (MuJoCo does so on a diverging
        acceleration, which would otherwise pass as a finite, slow state).
    max_joint_speed: rad/s or m/s (``EngineSpec.max_joint_speed``); faster counts as a blow-up,
        since a state this fast is already diverging while still finite.
    overflowed: [N] bool or None, the simulator dropped contacts or constraint rows of the env
        because a fixed-size buffer was full (MuJoCo Warp's per-world overflow flags): its
        physics is wrong even where it looks finite and slow.
    """
    with np.errstate(invalid="ignore"):  # NaN velocities compare False; ~finite catches them
        fast = (abs(joint_velocity) > max_joint_speed).any(axis=1)
    unstable = ~finite | fast | restarted
    return unstable if overflowed is None else unstable | overflowed
