"""`trackbench run --launcher local --parallel N`: cells side by side, each in a process of its
own, through the launch loop the Ray launcher uses; Ctrl-C stops them with their checkpoints."""

from __future__ import annotations

import json
import os
import signal
import time

import pytest

from tests.harness.launchers.cells import DENSE, metric_steps, run, run_id
from tests.harness.training.cell import assert_one_message, start

pytestmark = pytest.mark.slow
PARALLEL = "--seeds", "2", "--steps", "1280", "--launcher", "local", "--parallel", "2"


def test_ctrl_c_cancels_the_cells_side_by_side_and_a_rerun_resumes_both(cli, tmp_path):
    process = start(tmp_path, *DENSE, *PARALLEL)
    checkpoints = [tmp_path / run_id(seed) / "checkpoints" / "last.json" for seed in (0, 1)]
    deadline = time.monotonic() + 300
    while not all(path.is_file() for path in checkpoints):
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "no checkpoints within 300 s"
        time.sleep(0.05)
    workers = [json.loads(path.read_text())["pid"]
               for path in tmp_path.glob(".launch/*/*.worker.json")]
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 130, stderr
    assert_one_message(stderr, "cancelled the running cells", run_id(0), run_id(1),
                       "rerun the same command to resume them")
    assert len(workers) == 2
    for pid in workers:  # the cells' processes stopped too
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
    for seed in (0, 1):
        assert not (tmp_path / run_id(seed) / "result.json").exists()
        log = next(tmp_path.glob(f".launch/*/{run_id(seed)}.log")).read_text()
        assert "progress is saved in" in log  # the cell's own message: what it kept

    resumed = run(cli, tmp_path, *PARALLEL)
    assert resumed.exit_code == 0, resumed.output
    assert resumed.stdout.count("(resumed at") == 2
    for seed in (0, 1):
        assert metric_steps(tmp_path, run_id(seed)) == list(range(64, 1281, 64))
