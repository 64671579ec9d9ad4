"""Learning curves: mean ± std over seeds from metrics.jsonl, drawn to a PNG per task."""

from __future__ import annotations

import numpy as np

from trackbench.harness.curves import aggregate, read_series, write_curves
from trackbench.harness.plot import PALETTE
from trackbench.harness.png import read_png_size
from trackbench.harness.results import RunDir
from trackbench.harness.specs import RunSpec


def finished_run(out, method, seed, rows):
    spec = RunSpec(engine="mujoco", robot="allegro", task="grasp_lift", method=method, seed=seed,
                   agent_steps=300, num_envs=4)
    run = RunDir.for_spec(out, spec)
    run.prepare(spec)
    for steps, success in rows:
        run.append_metrics({"agent_steps": steps, "success_rate": success})
    run.write_result({"status": "ok", "success_rate": 0.5})
    return run


def test_seeds_average_on_a_common_grid(tmp_path):
    a = finished_run(tmp_path, "dense", 0, [(100, None), (200, 0.2), (300, 0.4)])
    b = finished_run(tmp_path, "dense", 1, [(100, 0.0), (200, 0.6), (300, 0.8)])
    curve = aggregate("dense", [read_series(a), read_series(b)])
    at_300 = np.argmin(np.abs(curve.grid - 300))
    assert curve.seeds == 2
    assert np.isclose(curve.mean[at_300], 0.6) and np.isclose(curve.std[at_300], 0.2)
    at_150 = np.argmin(np.abs(curve.grid - 150))
    assert np.isclose(curve.mean[at_150], 0.0) and np.isclose(curve.std[at_150], 0.0)  # seed 0: none yet
    assert np.isnan(curve.mean[0])  # before any episode ended


def test_one_png_per_task_with_a_line_per_method(tmp_path):
    finished_run(tmp_path, "dense", 0, [(100, 0.1), (200, 0.5)])
    finished_run(tmp_path, "track", 0, [(100, 0.3), (200, 0.9)])
    unfinished = finished_run(tmp_path, "task", 0, [(100, 0.2)])
    unfinished.result_file.unlink()  # incomplete runs are not drawn
    paths = write_curves(tmp_path)
    assert list(paths) == ["grasp_lift"]
    path = paths["grasp_lift"]
    assert path.name == "curves_grasp_lift.png" and read_png_size(path) == (880, 520)
    from trackbench.harness.curves import collect, draw

    curves = collect(tmp_path)["grasp_lift"]
    assert [c.label for c in curves] == ["dense", "track"]
    image = draw("grasp_lift", curves)
    for color in PALETTE[:2]:
        assert (image == np.array(color, dtype=np.uint8)).all(axis=-1).sum() > 100  # drawn lines
    assert not (image == np.array(PALETTE[2], dtype=np.uint8)).all(axis=-1).any()
