"""`trackbench run --launcher ray` on a real local Ray instance (2 CPUs, no dashboard), started
once for the module; the CLI uses this process's connection (``ray_cluster.connected``)."""

from __future__ import annotations

import json
import signal
import subprocess
import sys

import pytest

from tests.harness.launchers.cells import (CHECKPOINT_STEPS, KillAtCheckpoint, metric_steps, run,
                                           run_id)
from tests.harness.test_resume import HOLD

ray = pytest.importorskip("ray")
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module", autouse=True)
def local_ray():
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()


def test_a_four_cell_matrix_goes_on_past_a_failed_cell_and_the_report_reads_it(cli, tmp_path):
    # Seed 3's run directory is held by another process: that cell fails ("is in use").
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(tmp_path / run_id(3))],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        result = run(cli, tmp_path, "--seeds", "4", "--launcher", "ray")
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
    assert result.exit_code == 2, result.output
    assert "1 of 4 cell(s) failed" in result.output and "is in use" in result.output
    assert "Traceback" not in result.output
    for seed in range(3):
        assert json.loads((tmp_path / run_id(seed) / "result.json").read_text())["agent_steps"] == 640
    failure = json.loads((tmp_path / run_id(3) / "failed.json").read_text())
    assert "is in use" in failure["error"] and failure["launcher"] == "ray"
    assert "0.00 [0.00, 0.00] n=3" in result.stdout  # the report of the three that finished

    report = cli("report", str(tmp_path))
    assert report.exit_code == 0, report.output
    assert "n=3" in report.stdout
    assert f"{run_id(3)} failed before it started" in report.output  # it never wrote spec.json

    again = run(cli, tmp_path, "--seeds", "4", "--launcher", "ray")  # the lock is free now
    assert again.exit_code == 0, again.output
    assert again.stdout.count("already complete") == 3
    assert (tmp_path / run_id(3) / "result.json").is_file()
    assert not (tmp_path / run_id(3) / "failed.json").exists()
    # The first session's folder stays (its logs, which failed.json named); the second went
    # well and left nothing behind.
    assert len(list((tmp_path / ".launch").iterdir())) == 1
    assert "n=4" in cli("report", str(tmp_path)).stdout


def test_a_killed_worker_is_retried_and_resumes_from_its_checkpoint(cli, tmp_path):
    killer = KillAtCheckpoint(tmp_path, run_id(0))
    killer.start()
    result = run(cli, tmp_path, "--launcher", "ray", "--max-retries", "1")
    killer.join(timeout=1)
    assert killer.killed is not None, result.output
    assert result.exit_code == 0, result.output
    outcome = json.loads((tmp_path / run_id(0) / "result.json").read_text())
    assert outcome["resumed_from"] >= CHECKPOINT_STEPS
    assert f"resumed at {outcome['resumed_from']:,}" in result.stdout
    assert metric_steps(tmp_path, run_id(0)) == list(range(64, 641, 64))  # one row per epoch
