"""MuJoCo Warp engines for the tests, built once per test session and reset for each use.

Warp compiles its kernels on first use: minutes per robot × scene on a cold kernel cache
(``~/.cache/warp``), a few seconds per robot from a warm one, plus warp's own code generation
(about half a minute) once per process. Every test that needs an ``mjwarp`` engine asks
:func:`warp_engine`, which keeps one engine per robot, env count and scene for the session and
hands it back reset, so that the session pays each of these costs once.
"""

from __future__ import annotations

import importlib.util

import pytest
import torch

HAS_WARP = importlib.util.find_spec("mujoco_warp") is not None
needs_warp = pytest.mark.skipif(not HAS_WARP, reason="mujoco-warp is not installed (extra 'gpu')")

_ENGINES: dict = {}


def warp_engine(registry, robot: str, num_envs: int, scenes, scene_key: str, **overrides):
    """The session's mjwarp engine of ``robot`` × ``scene_key`` with ``num_envs`` worlds, every env
    reset to the scenes' defaults and its counters zeroed (as freshly built)."""
    from trackbench.harness.build import make_engine, make_robot

    key = (robot, num_envs, scene_key, tuple(sorted(overrides.items())))
    if key not in _ENGINES:
        _ENGINES[key] = make_engine(registry, "mjwarp", make_robot(registry, robot), scenes,
                                    num_envs, 0, overrides)
    engine = _ENGINES[key]
    engine.reset(torch.arange(num_envs))
    engine.unstable_resets = engine.overflow_resets = 0
    engine._unstable.zero_()
    return engine


def corrupt(engine, env_id: int, index: int = 5) -> None:
    """Write NaN into qpos[index] of one env, as a diverged simulation would."""
    if engine.name == "mjwarp":
        worlds = engine._worlds[env_id % len(engine.scenes)]
        worlds.qpos[env_id // len(engine.scenes), index] = float("nan")
    else:
        engine.physics_state(env_id)[engine.models.qpos_at + index] = float("nan")
