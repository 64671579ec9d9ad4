"""A killed `trackbench run` continues exactly, loses nothing and says what it saved (issue 11).

Every run here is the `trackbench` command in a subprocess, stopped with a real signal.
"""

from __future__ import annotations

import json
import os
import resource
import signal
from pathlib import Path

import pytest

from tests.harness.training import cell
from tests.harness.training.cell import RUN_ID, method_args, rows, without_clock

METHODS = ("dense", "task", "track", "amp")
# A start stage that ends on its measured criterion: 8 pre-grasp episodes end at control step 20
# (inside epoch 3, the first checkpoint) and 8 more at step 40, filling the window of 16, so the
# run is killed with the window half full and must advance where the uninterrupted run did.
STAGED = ("--set", 'task.start_stages=[{"pregrasp_start": 1.0, "advance_rate": 0.25, '
                   '"advance_event": "near", "advance_window": 16}]')


@pytest.fixture(scope="module")
def tiny_predictor(tmp_path_factory) -> Path:
    """An (untrained) small Π_h checkpoint for `track`: its numbers are what is compared."""
    from trackbench.plugins.predictors.transformer import Transformer, TransformerSpec

    spec = TransformerSpec(width=16, depth=1, heads=2, pointnet_width=8)
    return Transformer(spec).save(tmp_path_factory.mktemp("predictor") / "tiny.pt")


@pytest.mark.slow
@pytest.mark.parametrize("method", METHODS)
def test_a_killed_run_continues_exactly_as_if_never_stopped(method, tmp_path, tiny_predictor):
    assert_resumes_exactly(tmp_path, method, method_args(method, tiny_predictor))


@pytest.mark.slow
def test_a_killed_run_advances_its_start_stages_exactly_as_if_never_stopped(tmp_path):
    rows_seen = assert_resumes_exactly(tmp_path, "dense", ["--method", "dense", *STAGED])
    stages = [row["start_stage"] for row in rows_seen if "start_stage" in row]
    assert stages[0] == 0 and stages[-1] == 1  # it did advance, on its criterion


def assert_resumes_exactly(tmp_path: Path, method: str, args: list[str]) -> list[dict]:
    """Run ``args`` once uninterrupted and once killed after a checkpoint and resumed; assert
    every metrics row and the result agree. Returns the resumed run's rows."""
    reference = cell.run(tmp_path / "reference", *args)
    assert reference.returncode == 0, reference.stderr
    run_dir = tmp_path / "killed" / RUN_ID.format(method=method)

    status, _ = cell.signal_after_checkpoint(cell.start(tmp_path / "killed", *args), run_dir, 3)
    assert status == -signal.SIGKILL
    checkpoint_bytes = (run_dir / "checkpoints" / "last.pth").read_bytes()
    saved_steps = json.loads((run_dir / "checkpoints" / "last.json").read_text())["agent_steps"]
    metrics = run_dir / "metrics.jsonl"
    before = metrics.read_bytes()
    kept = b"".join(line for line in before.splitlines(keepends=True)
                    if json.loads(line)["agent_steps"] <= saved_steps)
    # A kill during an append leaves a cut-off last line (case 2).
    with metrics.open("ab") as handle:
        handle.write(b'{"agent_steps": 99')
    inode = metrics.stat().st_ino

    resumed = cell.run(tmp_path / "killed", *args)
    assert resumed.returncode == 0, resumed.stderr
    assert "Traceback" not in resumed.stderr

    # Every row, the ones before the checkpoint included, equals the uninterrupted run's.
    expected = [without_clock(r) for r in rows(tmp_path / "reference" / RUN_ID.format(method=method)
                                               / "metrics.jsonl")]
    assert [without_clock(r) for r in rows(metrics)] == expected
    assert len(expected) == cell.STEPS // 64
    # Resume appended to the file it truncated, never rewrote it (case 3).
    assert metrics.stat().st_ino == inode and metrics.read_bytes().startswith(kept)
    result = json.loads((run_dir / "result.json").read_text())
    reference_result = json.loads((tmp_path / "reference" / RUN_ID.format(method=method)
                                   / "result.json").read_text())
    assert result["resumed_from"] == saved_steps
    assert without_clock(result) == without_clock(reference_result)
    assert checkpoint_bytes  # the checkpoint it resumed from was complete
    assert not list(run_dir.rglob(".*.tmp"))
    return rows(metrics)


@pytest.mark.slow
@pytest.mark.parametrize("signum, status, name", [(signal.SIGINT, 130, "interrupted"),
                                                  (signal.SIGTERM, 143, "terminated")])
def test_ctrl_c_and_sigterm_say_that_progress_is_saved_and_how_to_resume(signum, status, name,
                                                                         tmp_path):
    run_dir = tmp_path / RUN_ID.format(method="dense")
    code, stderr = cell.signal_after_checkpoint(cell.start(tmp_path, "--method", "dense"), run_dir,
                                                3, signum)
    assert code == status, stderr
    cell.assert_one_message(stderr, name, "progress is saved in the checkpoint at epoch",
                            "rerun the same command to resume")
    assert stderr.count("error:") == 1
    assert (run_dir / "checkpoints" / "last.pth").is_file()
    assert not (run_dir / "result.json").exists()


def _file_size_limit(limit: int):
    def apply() -> None:  # in the child: writes past `limit` bytes fail with EFBIG, as on a full disk
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    return apply


@pytest.mark.slow
def test_a_full_disk_stops_with_one_message_and_keeps_the_last_checkpoint(tmp_path):
    run_dir = tmp_path / RUN_ID.format(method="dense")
    status, _ = cell.signal_after_checkpoint(cell.start(tmp_path, "--method", "dense"), run_dir, 3)
    assert status == -signal.SIGKILL
    good = (run_dir / "checkpoints" / "last.pth").read_bytes()
    saved = json.loads((run_dir / "checkpoints" / "last.json").read_text())

    # The OS now refuses any file larger than half a checkpoint: the next checkpoint cannot be
    # written (a real write error from the kernel, as on a full disk).
    full = cell.run(tmp_path, "--method", "dense", preexec_fn=_file_size_limit(len(good) // 2))
    assert full.returncode == 2, full.stderr
    cell.assert_one_message(full.stderr, "File too large", "last.pth",
                            f"the checkpoint at epoch {saved['epoch']}", "is intact",
                            "resumes from it")
    assert (run_dir / "checkpoints" / "last.pth").read_bytes() == good
    assert not list(tmp_path.rglob(".*.tmp"))  # nothing left that keeps the disk full

    again = cell.run(tmp_path, "--method", "dense")
    assert again.returncode == 0, again.stderr
    assert json.loads((run_dir / "result.json").read_text())["resumed_from"] == saved["agent_steps"]


def test_the_file_size_limit_helper_really_limits(tmp_path):
    """The full-disk test relies on RLIMIT_FSIZE making writes fail; check it does here."""
    import subprocess
    import sys

    code = "with open('big', 'wb') as f: f.write(b'x' * 4096)"
    outcome = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True,
                             text=True, preexec_fn=_file_size_limit(1024))
    assert outcome.returncode != 0 and "File too large" in outcome.stderr
    assert os.path.getsize(tmp_path / "big") <= 1024


def test_ctrl_c_while_the_command_starts_is_one_line_too(tmp_path):
    import subprocess
    import sys
    import time
    from pathlib import Path

    trackbench = str(Path(sys.executable).with_name("trackbench"))
    process = subprocess.Popen([trackbench, "list"], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    time.sleep(0.5)  # importing torch and MuJoCo takes seconds
    # Press Ctrl-C until it stops, as a user would: a library may swallow one arriving in the
    # middle of its own import.
    deadline = time.monotonic() + 30
    while process.poll() is None and time.monotonic() < deadline:
        process.send_signal(signal.SIGINT)
        time.sleep(0.2)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr
    cell.assert_one_message(stderr, "interrupted")
    assert stderr.count("error:") == 1
