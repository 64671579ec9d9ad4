"""Offscreen rendering of one env with the keypoints drawn as coloured spheres.

MuJoCo picks the GL backend from MUJOCO_GL: EGL works on GPU machines and, through Mesa, on this
CPU machine; OSMesa is the fallback where EGL is missing.

A ``mujoco.Renderer`` (a GL context and its buffers) is kept per scene variant and image size on
the engine: making one costs more than rendering a frame, and ``trackbench video`` renders one
per control step. On Mesa's software renderer the shadow pass (a 4096² shadow map) takes ~90 % of
a frame (0.33 s of 0.35 s at 640×480 on the 2-core machine), hence ``shadows=False``.
"""

from __future__ import annotations

import os

import numpy as np

from trackbench.api import TrackbenchError

# One colour per human fingertip: thumb, index, middle, ring, little (and the wrist).
KEYPOINT_COLOURS = {
    0: (1.0, 1.0, 1.0, 1.0),
    4: (0.95, 0.2, 0.2, 1.0),
    8: (0.2, 0.85, 0.2, 1.0),
    12: (0.2, 0.4, 1.0, 1.0),
    16: (0.95, 0.85, 0.1, 1.0),
    20: (0.85, 0.2, 0.85, 1.0),
}


def render_env(engine, env_id: int, width: int, height: int, camera: str | None, keypoints: bool,
               markers=(), shadows: bool = True) -> np.ndarray:
    """[height, width, 3] uint8; see ``Engine.render``."""
    import mujoco

    model = engine.model_of(env_id) if hasattr(engine, 'model_of') else engine.model
    cameras = [model.camera(i).name for i in range(model.ncam)]
    if camera is not None and camera not in cameras:
        raise TrackbenchError(f"unknown camera '{camera}'. Cameras in this scene: {cameras or 'none'}")
    renderer, data = _offscreen(engine, model, width, height)
    mujoco.mj_setState(model, data, engine.physics_state(env_id), mujoco.mjtState.mjSTATE_FULLPHYSICS)
    mujoco.mj_forward(model, data)
    renderer.update_scene(data, camera=camera if camera else -1)
    renderer.scene.flags[mujoco.mjtRndFlag.mjRND_SHADOW] = shadows
    if keypoints:
        spec = engine.robot.spec
        points = [(k.human_index, data.site(k.site).xpos) for k in spec.keypoints]
        points.append((0, data.site(spec.wrist_site).xpos))
        for human_index, pos in points:
            _add_marker(renderer.scene, pos, KEYPOINT_COLOURS.get(human_index, (1, 1, 1, 1)))
    for pos, rgba in markers:
        _add_marker(renderer.scene, pos, rgba, unlit=True)
    return renderer.render().copy()


def _offscreen(engine, model, width: int, height: int):
    """The (Renderer, MjData) this engine keeps for ``model`` at this size, made on first use."""
    import mujoco

    cache = engine.__dict__.setdefault("_offscreen", {})
    key = (id(model), width, height)
    if key not in cache:
        model.vis.global_.offwidth = max(model.vis.global_.offwidth, width)
        model.vis.global_.offheight = max(model.vis.global_.offheight, height)
        try:
            renderer = mujoco.Renderer(model, height, width)
        except Exception as error:  # no GL context on this machine
            raise TrackbenchError(
                f"offscreen rendering failed with MUJOCO_GL={os.environ.get('MUJOCO_GL')}: {error}. "
                "Install libegl1 (or libosmesa6 and set MUJOCO_GL=osmesa)."
            ) from None
        cache[key] = (renderer, mujoco.MjData(model))
    return cache[key]


def _add_marker(scene, pos, rgba, radius: float = 0.012, unlit: bool = False) -> None:
    import mujoco

    if scene.ngeom >= scene.maxgeom:
        return
    geom = scene.geoms[scene.ngeom]
    mujoco.mjv_initGeom(geom, mujoco.mjtGeom.mjGEOM_SPHERE, np.array([radius, 0, 0]),
                        np.asarray(pos, dtype=np.float64), np.eye(3).flatten(),
                        np.asarray(rgba, dtype=np.float32))
    if unlit:  # emission saturates the colour; no specular highlight tints it
        geom.emission, geom.specular, geom.reflectance = 1.0, 0.0, 0.0
    scene.ngeom += 1
