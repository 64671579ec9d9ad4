"""Grasping is physically possible: a scripted grasp through the policy's action space lifts the
paper's objects with the engine's default friction settings (elliptic cones, impratio 10), and
the settings reach the compiled model. The full table: benchmarks/scripted_grasp.py."""

from __future__ import annotations

import mujoco
import pytest

from benchmarks.scripted_grasp import lift_rises
from tests.plugins.tasks.support import start
from trackbench.plugins.tasks.lifting import LIFT_FLAG_RISE


def test_the_friction_settings_reach_the_compiled_model():
    _, engine = start("grasp_lift", num_envs=1)
    assert engine.model.opt.cone == mujoco.mjtCone.mjCONE_ELLIPTIC
    assert engine.model.opt.impratio == pytest.approx(10.0)


def test_a_scripted_grasp_lifts_objects_that_slip_out_with_mujocos_default_friction():
    # One approach direction (thumb towards +x +y), the six paper objects twice each. Over all
    # eight directions and 24 envs the benchmark measured 40 of 192 lifts against 5 of 192.
    held, _ = lift_rises("allegro", "grasp_lift", 12, 45.0)
    slipped, _ = lift_rises("allegro", "grasp_lift", 12, 45.0,
                            {"friction_cone": "pyramidal", "impratio": 1.0})
    assert int((held >= LIFT_FLAG_RISE).sum()) >= 4, held  # measured: 6 of 12 (0.09-0.15 m)
    assert int((slipped >= LIFT_FLAG_RISE).sum()) <= 1, slipped  # measured: 0 of 12
