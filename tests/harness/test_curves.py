"""Learning curves: the mean over seeds from metrics.jsonl and its 95% bootstrap band, drawn to a
PNG per task and, with several tasks, to one figure with a panel each."""

from __future__ import annotations

import json

import numpy as np
import pytest

from tests.harness.conftest import assert_user_error
from trackbench.harness.curves import (HEIGHT, WIDTH, aggregate, collect, draw, read_series,
                                       write_curves, y_axis)
from trackbench.harness.report_stats import Bootstrap, mean_interval
from trackbench.harness.plot import PALETTE
from trackbench.harness.png import read_png_size
from trackbench.harness.results import RunDir
from trackbench.harness.specs import RunSpec
from trackbench.harness.plugins import load_registry

REGISTRY = load_registry()  # the runs' specs are read with the installed plugins


def finished_run(out, method, seed, rows):
    spec = RunSpec(engine="mujoco", robot="allegro", task="grasp_lift", method=method, seed=seed,
                   agent_steps=300, num_envs=4)
    run = RunDir.for_spec(out, spec)
    run.prepare(spec)
    for steps, success in rows:
        run.append_metrics({"agent_steps": steps, "success_rate": success})
    run.write_result({"status": "ok", "success_rate": 0.5})
    return run


def logged_run(out, method, seed, rows, finished=True):
    """A run whose metrics.jsonl holds ``rows`` (dicts without agent_steps: one per 100 steps)."""
    run = finished_run(out, method, seed, [])
    for i, row in enumerate(rows):
        run.append_metrics({"agent_steps": 100 * (i + 1), **row})
    if not finished:
        run.result_file.unlink()
    return run


def two_runs_with_many_metrics(out):
    logged_run(out, "dense", 0, [{"success_rate": 0.0, "lift_rate": 0.1, "term/energy": -9.3},
                                 {"success_rate": 0.0, "lift_rate": 0.3, "term/energy": -8.1}])
    logged_run(out, "dense", 1, [{"success_rate": 0.0, "lift_rate": 0.5, "term/energy": -12.5},
                                 {"success_rate": 0.0, "lift_rate": 0.7, "term/energy": -10.1}])


def test_seeds_average_on_a_common_grid(tmp_path):
    a = finished_run(tmp_path, "dense", 0, [(100, None), (200, 0.2), (300, 0.4)])
    b = finished_run(tmp_path, "dense", 1, [(100, 0.0), (200, 0.6), (300, 0.8)])
    curve = aggregate("dense", [read_series(a), read_series(b)])
    at_300 = np.argmin(np.abs(curve.grid - 300))
    assert curve.seeds == 2
    # Two seeds: a bootstrap mean is either seed (chance 1/4 each) or their mean, so the 2.5%
    # and 97.5% points are the two seeds' values.
    assert np.isclose(curve.mean[at_300], 0.6)
    assert (curve.low[at_300], curve.high[at_300]) == pytest.approx((0.4, 0.8))
    at_150 = np.argmin(np.abs(curve.grid - 150))
    assert np.isclose(curve.mean[at_150], 0.0)  # seed 0 has no value yet: seed 1's
    assert np.isnan(curve.low[at_150]) and np.isnan(curve.high[at_150])  # one seed: no band
    assert np.isnan(curve.mean[0])  # before any episode ended


def test_the_band_is_the_bootstrap_interval_of_the_mean_and_absent_for_one_seed():
    values = np.array([[0.1, 0.2, np.nan], [0.3, 0.6, 0.5], [0.5, 1.0, 0.7]])  # 3 seeds, 3 points
    low, high = mean_interval(values, Bootstrap(reps=2000, seed=0))
    assert (low[0], high[0]) == pytest.approx((0.1, 0.5))  # 3 draws of the lowest / highest seed
    assert low[0] < 0.3 < high[0] and low[1] < 0.6 < high[1]
    assert 0.5 <= low[2] < high[2] <= 0.7  # the seed without a value is left out
    again = mean_interval(values, Bootstrap(reps=2000, seed=0))[0]
    assert np.array_equal(again, low, equal_nan=True)  # seeded
    low, high = mean_interval(values[:1], Bootstrap())
    assert np.isnan(low).all() and np.isnan(high).all()


def test_one_png_per_task_with_a_line_per_method(tmp_path):
    finished_run(tmp_path, "dense", 0, [(100, 0.1), (200, 0.5)])
    finished_run(tmp_path, "track", 0, [(100, 0.3), (200, 0.9)])
    unfinished = finished_run(tmp_path, "task", 0, [(100, 0.2)])
    unfinished.result_file.unlink()  # incomplete runs are not drawn
    written = write_curves(tmp_path, registry=REGISTRY)
    paths = written.tasks
    assert list(paths) == ["grasp_lift"] and written.combined is None  # one task: no figure of all
    path = paths["grasp_lift"]
    assert path.name == "curves_grasp_lift.png" and read_png_size(path) == (880, 520)
    curves = collect(tmp_path, registry=REGISTRY)["grasp_lift"]
    assert [c.label for c in curves] == ["dense", "track"]
    assert [c.legend() for c in curves] == ["dense (n=1, no band)", "track (n=1, no band)"]
    image = draw("grasp_lift", curves)
    for color in PALETTE[:2]:
        assert (image == np.array(color, dtype=np.uint8)).all(axis=-1).sum() > 100  # drawn lines
    assert not (image == np.array(PALETTE[2], dtype=np.uint8)).all(axis=-1).any()


def test_any_metric_is_drawn_to_its_own_png(tmp_path):
    two_runs_with_many_metrics(tmp_path)
    lift = write_curves(tmp_path, "lift_rate", registry=REGISTRY).tasks["grasp_lift"]
    energy = write_curves(tmp_path, "term/energy", registry=REGISTRY).tasks["grasp_lift"]
    assert lift.name == "curves_grasp_lift_lift_rate.png"
    assert energy.name == "curves_grasp_lift_term-energy.png"
    assert read_png_size(lift) == read_png_size(energy) == (WIDTH, HEIGHT)
    assert not (tmp_path / "curves_grasp_lift.png").exists()  # the success-rate PNG is untouched
    (curve,) = collect(tmp_path, "term/energy", registry=REGISTRY)["grasp_lift"]
    assert np.isclose(curve.mean[-1], -9.1)
    assert (curve.low[-1], curve.high[-1]) == pytest.approx((-10.1, -8.1))


def test_rates_keep_the_unit_axis_and_other_metrics_fit_their_range():
    unit = [0.0, 0.25, 0.5, 0.75, 1.0]
    assert [t for t, _ in y_axis(0.0, 0.3, "success_rate").ticks] == unit
    assert [t for t, _ in y_axis(0.1, 0.7, "lift_rate").ticks] == unit
    assert y_axis(0.0, 1.4, "near_rate").high >= 1.4  # not a rate after all: fit it
    axis = y_axis(-12.5, -8.1, "term/energy")
    values = [t for t, _ in axis.ticks]
    assert axis.low <= -12.5 and axis.high >= -8.1 and axis.high - axis.low < 10
    assert 3 <= len(values) <= 7 and values == sorted(values)
    assert [label for _, label in axis.ticks] == ["-14", "-12", "-10", "-8"]
    assert [label for _, label in y_axis(-12.5, 239.3, "episode_return").ticks] == [
        "-100", "0", "100", "200", "300"]
    assert [label for _, label in y_axis(0.0014, 0.0022, "lr").ticks][0] == "0.00125"
    flat = y_axis(5.0, 5.0, "episode_length")
    assert flat.low < 5.0 < flat.high
    assert [label for _, label in y_axis(12000, 98000, "fps").ticks][-1] == "100K"


def test_a_negative_metric_is_drawn_inside_the_plot(tmp_path):
    two_runs_with_many_metrics(tmp_path)
    curves = collect(tmp_path, "term/energy", registry=REGISTRY)["grasp_lift"]
    image = draw("grasp_lift", curves, "term/energy")
    assert image.shape == (HEIGHT, WIDTH, 3)
    line = (image == np.array(PALETTE[0], dtype=np.uint8)).all(axis=-1)
    rows = np.nonzero(line[:, 120:])[0]  # right of the legend swatch
    assert rows.size > 100 and 60 < rows.min() and rows.max() < HEIGHT - 60
    assert rows.max() - rows.min() > 100  # rises from -10.9 to -9.1, not clipped flat at 0


def test_running_runs_are_drawn_only_on_request_and_say_so(tmp_path):
    finished_run(tmp_path, "dense", 0, [(100, 0.1), (200, 0.5)])
    logged_run(tmp_path, "dense", 1, [{"success_rate": 0.0}], finished=False)
    logged_run(tmp_path, "track", 0, [{"success_rate": 0.2}], finished=False)
    finished = collect(tmp_path, registry=REGISTRY)["grasp_lift"]
    assert [c.legend() for c in finished] == ["dense (n=1, no band)"]
    curves = collect(tmp_path, running=True, registry=REGISTRY)["grasp_lift"]
    assert [c.legend() for c in curves] == ["dense (n=2, 1 running)",
                                            "track (n=1, no band, running)"]
    written = write_curves(tmp_path, running=True, registry=REGISTRY)
    assert written.tasks["grasp_lift"].name == "curves_grasp_lift.png"


def test_report_cli_metric_running_and_json(cli, tmp_path):
    two_runs_with_many_metrics(tmp_path)
    logged_run(tmp_path, "track", 0, [{"lift_rate": 0.9}], finished=False)
    result = cli("report", str(tmp_path), "--metric", "lift_rate", "--running", "--json")
    assert result.exit_code == 0, result.output
    path = tmp_path / "curves_grasp_lift_lift_rate.png"
    assert json.loads(result.stdout)["curves"] == {"grasp_lift": str(path)}
    assert read_png_size(path) == (WIDTH, HEIGHT)
    text = cli("report", str(tmp_path), "--metric", "term/energy").stdout
    assert "term/energy curves of grasp_lift" in text
    assert "curves_grasp_lift_term-energy.png" in text


def test_report_cli_names_the_metrics_that_exist(cli, tmp_path):
    two_runs_with_many_metrics(tmp_path)
    assert_user_error(cli("report", str(tmp_path), "--metric", "lift"),
                      "unknown metric 'lift'", "lift_rate", "success_rate", "term/energy")
    assert not list(tmp_path.glob("*.png"))


def test_report_cli_default_draws_finished_success_rate_only(cli, tmp_path):
    finished_run(tmp_path, "dense", 0, [(100, 0.1), (200, 0.5)])
    logged_run(tmp_path, "track", 0, [{"success_rate": 0.2}], finished=False)
    result = cli("report", str(tmp_path), "--json")
    assert result.exit_code == 0, result.output
    path = tmp_path / "curves_grasp_lift.png"
    assert json.loads(result.stdout)["curves"] == {"grasp_lift": str(path)}
    finished = collect(tmp_path, registry=REGISTRY)["grasp_lift"]
    assert [c.legend() for c in finished] == ["dense (n=1, no band)"]
    assert sorted(p.name for p in tmp_path.glob("curves*.png")) == ["curves_grasp_lift.png"]


def test_report_cli_says_when_only_unfinished_runs_have_curves(cli, tmp_path):
    logged_run(tmp_path, "dense", 0, [{"success_rate": 0.0, "lift_rate": 0.1}], finished=False)
    result = cli("report", str(tmp_path), "--metric", "lift_rate")
    assert result.exit_code == 0 and "--running draws unfinished runs too" in result.stdout
    assert not list(tmp_path.glob("*.png"))
