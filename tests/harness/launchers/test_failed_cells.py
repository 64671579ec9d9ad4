"""A cell a launcher gave up on leaves failed.json; the report shows it as failed, with its
error, and still reads the other runs; the next attempt removes the record."""

from __future__ import annotations

import json

from trackbench.harness.results import RunDir
from trackbench.harness.specs import RunSpec


def _run_dir(out, seed: int) -> RunDir:
    spec = RunSpec(engine="mujoco", robot="allegro", task="grasp_lift", method="dense", seed=seed,
                   agent_steps=1000, num_envs=4)
    run = RunDir.for_spec(out, spec)
    run.prepare(spec)
    return run


def test_report_shows_a_failed_cell_with_its_error_beside_the_finished_ones(cli, tmp_path):
    _run_dir(tmp_path, 0).write_result({"status": "ok", "success_rate": 0.5})
    failed = _run_dir(tmp_path, 1)
    failed.write_failure({"error": "NonFiniteError: the loss is NaN", "attempts": 1})
    broken = _run_dir(tmp_path, 2)
    broken.failed_file.write_text("{not json")

    result = cli("report", str(tmp_path))
    assert result.exit_code == 0, result.output
    assert "failed ×2" in result.stdout
    assert "allegro__grasp_lift__dense__s1 failed: NonFiniteError: the loss is NaN" in result.output
    assert "corrupt JSON" in result.output  # an unreadable record is named, not a crash
    cell = json.loads(cli("report", str(tmp_path), "--json").stdout)["tasks"]["grasp_lift"][
        "cells"]["allegro"]["dense"]
    assert (cell["n"], cell["failed"], cell["incomplete"]) == (1, 2, 0)


def test_a_finished_result_prevails_over_a_stale_failure_record(cli, tmp_path):
    run = _run_dir(tmp_path, 0)
    run.write_failure({"error": "boom"})
    run.write_result({"status": "ok", "success_rate": 1.0})
    result = cli("report", str(tmp_path))
    assert result.exit_code == 0 and "failed" not in result.output
