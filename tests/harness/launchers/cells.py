"""What the launcher tests share: tiny real cells (tests/harness/training/cell.py's SMALL), the
run command, and a watcher that kills a cell's worker process once it has saved a checkpoint."""

from __future__ import annotations

import json
import os
import signal
import threading
import time
from pathlib import Path

from tests.harness.training.cell import RUN_ID, SMALL

DENSE = "--method", "dense"
CHECKPOINT_STEPS = 192  # the first checkpoint of SMALL: 3 epochs × 64 agent steps


def run_id(seed: int) -> str:
    return RUN_ID.format(method="dense").replace("s0", f"s{seed}")


def run(cli, out: Path, *args: str):
    return cli("run", *SMALL, *DENSE, *args, "--out", str(out))


def metric_steps(out: Path, run: str) -> list[int]:
    return [json.loads(line)["agent_steps"]
            for line in (out / run / "metrics.jsonl").read_text().splitlines()]


class KillAtCheckpoint(threading.Thread):
    """Once ``run``'s first checkpoint exists, SIGKILL the process its worker announced
    (``<out>/.launch/<session>/<run>.worker.json``); ``killed`` holds its pid."""

    def __init__(self, out: Path, run: str, timeout: float = 300):
        super().__init__(daemon=True)
        self.out, self.run_name, self.timeout = out, run, timeout
        self.killed: int | None = None

    def run(self) -> None:
        deadline = time.monotonic() + self.timeout
        checkpoint = self.out / self.run_name / "checkpoints" / "last.json"
        while time.monotonic() < deadline and self.killed is None:
            announced = list(self.out.glob(f".launch/*/{self.run_name}.worker.json"))
            if announced and checkpoint.is_file():
                pid = json.loads(announced[0].read_text())["pid"]
                os.kill(pid, signal.SIGKILL)
                self.killed = pid
            time.sleep(0.02)
