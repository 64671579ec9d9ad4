"""`--launcher local --parallel N`: N cells side by side on this machine, each attempt in a
process of its own (``python -m <worker module> JOB OUTCOME``), so that a cell that crashes its
process, or is killed, takes nothing else down and is retried like a Ray worker that died."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from trackbench.harness.atomic import write_json_atomic
from trackbench.harness.launchers.driver import Ended
from trackbench.harness.launchers.job import log_path

GRACE_SECONDS = 30.0  # after Ctrl-C, how long a cell may take to stop before it is killed


class LocalBackend:
    name = "local"

    def __init__(self, parallel: int, worker_module: str, session: Path):
        self.capacity = parallel
        self.worker_module, self.session = worker_module, session
        self._outcomes: dict[subprocess.Popen, Path] = {}

    def submit(self, job: dict[str, Any]) -> subprocess.Popen:
        stem = self.session / f"{job['run_id']}.{job['attempt']}"
        job_file, outcome_file = stem.with_suffix(".job.json"), stem.with_suffix(".outcome.json")
        write_json_atomic(job_file, job)
        with log_path(self.session, job["run_id"]).open("ab") as log:
            # A session of its own: Ctrl-C reaches this process only, which then stops the
            # cells itself (cancel), each saying what it saved.
            process = subprocess.Popen(
                [sys.executable, "-m", self.worker_module, str(job_file), str(outcome_file)],
                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True)
        self._outcomes[process] = outcome_file
        return process

    def wait(self, handles: list[subprocess.Popen], timeout: float) -> list[tuple[Any, Ended]]:
        deadline = time.monotonic() + timeout
        while True:
            ended = [(process, self._ended(process)) for process in handles
                     if process.poll() is not None]
            if ended or time.monotonic() >= deadline:
                return ended
            time.sleep(0.1)

    def _ended(self, process: subprocess.Popen) -> Ended:
        outcome_file = self._outcomes.pop(process)
        code = process.returncode
        if code == 0 and outcome_file.is_file():
            outcome = json.loads(outcome_file.read_text())
            return Ended("ok" if outcome["status"] == "ok" else "failed", outcome)
        how = (f"killed by {signal.Signals(-code).name}" if code < 0
               else f"exit status {code}")
        return Ended("died", why=how)

    def cancel(self, handles: list[subprocess.Popen]) -> None:
        """SIGINT to each (the cell stops and says what it saved), SIGKILL to any still running
        after GRACE_SECONDS (the last checkpoint is intact either way)."""
        for process in handles:
            if process.poll() is None:
                process.send_signal(signal.SIGINT)
        deadline = time.monotonic() + GRACE_SECONDS
        for process in handles:
            try:
                process.wait(max(deadline - time.monotonic(), 0.1))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
