"""Offscreen rendering: extra markers keep their exact colour, shadows are optional, and the GL
context is made once per scene variant and size."""

from __future__ import annotations

import numpy as np
import pytest

from trackbench.harness.build import make_engine, make_robot, make_task, start_episodes
from trackbench.harness.plugins import load_registry

CYAN = (0.0, 1.0, 1.0, 1.0)


@pytest.fixture(scope="module")
def engine():
    registry = load_registry()
    task = make_task(registry, "grasp_lift")
    sim = make_engine(registry, "mujoco", make_robot(registry, "allegro"), task.scenes(), 1, 0)
    start_episodes(task, sim, 0)
    return sim


def exactly(image: np.ndarray, rgb: tuple[int, int, int]) -> int:
    return int((image == rgb).all(axis=-1).sum())


def test_markers_are_drawn_unlit_in_their_exact_colour(engine):
    above_object = engine.state.object_pos[0, 0].numpy() + [0.0, 0.0, 0.15]
    plain = engine.render(0, 160, 120, "front", keypoints=True, shadows=False)
    marked = engine.render(0, 160, 120, "front", keypoints=True, shadows=False,
                           markers=[(above_object, CYAN)])
    assert exactly(plain, (0, 255, 255)) == 0 and exactly(marked, (0, 255, 255)) >= 4
    assert (plain != marked).any(axis=-1).sum() < 40  # only the marker changed


def test_the_renderer_is_kept_per_size_and_shadows_change_the_picture(engine):
    engine.render(0, 96, 64, "front")
    made = dict(engine._offscreen)
    shadowed = engine.render(0, 96, 64, "front")
    assert engine._offscreen == made  # the same size reuses its context
    assert not np.array_equal(shadowed, engine.render(0, 96, 64, "front", shadows=False))
    engine.render(0, 64, 48, "front")
    assert len(engine._offscreen) == len(made) + 1
