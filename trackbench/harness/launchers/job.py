"""A cell as a launcher hands it to a worker: a JSON-able job, and the files through which the
worker and the launcher see each other on the shared filesystem.

Workers write the results layout under ``--out`` directly, so ``--out`` must be one filesystem
that every worker and this process see at the same path (a local disk on one machine; NFS,
Lustre or the like on a cluster). Besides the run directories a launch keeps a session folder,
``<out>/.launch/<session>/``: per cell its job, its worker's output (``<run id>.log``) and which
process runs its current attempt (``<run id>.worker.json``: host, pid, attempt).
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import sys
import time
import uuid
from pathlib import Path
from typing import Any, Iterator

from trackbench.harness.atomic import write_json_atomic
from trackbench.harness.specs import RunSpec

SESSIONS = ".launch"


def new_session(out: Path) -> Path:
    """A fresh session folder under ``out`` (created)."""
    path = out / SESSIONS / f"{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:8]}"
    path.mkdir(parents=True)
    return path


def make_job(cell: RunSpec, out: Path, session: Path, *, attempt: int, done: bool,
             force: bool, video: bool, wandb_mode: str | None) -> dict[str, Any]:
    """The job of one attempt: --force starts the first attempt over, never a retry (which
    resumes from the checkpoint the dead attempt left)."""
    return {"run_id": cell.run_id, "spec": cell.model_dump(mode="json"), "out": str(out),
            "session": str(session),
            "attempt": attempt, "done": done, "restart": force and attempt == 1,
            "video": video, "wandb_mode": wandb_mode}


def fit_threads(cell: RunSpec, threads: int) -> RunSpec:
    """``cell`` with its automatic thread counts (0: all the machine's cores) set to ``threads``,
    the cores a launcher gives it, so that cells side by side do not fight over cores. Counts
    set with --set stay. Thread counts are execution settings, not the cell's identity
    (``resume.EXECUTION_SETTINGS``): a cell may resume with other counts."""
    engine = dict(cell.engine_spec)
    ppo = dict(cell.ppo_spec)
    if engine.get("num_threads") == 0:
        engine["num_threads"] = threads
    if ppo.get("torch_threads") == 0:
        ppo["torch_threads"] = threads
    return cell.model_copy(update={"engine_spec": engine, "ppo_spec": ppo})


def log_path(session: Path, run_id: str) -> Path:
    return session / f"{run_id}.log"


def worker_path(session: Path, run_id: str) -> Path:
    return session / f"{run_id}.worker.json"


def announce_worker(session: Path, run_id: str, attempt: int) -> None:
    """Say, from the worker, which process runs this attempt of the cell."""
    write_json_atomic(worker_path(session, run_id), {
        "host": socket.gethostname(), "pid": os.getpid(), "attempt": attempt,
        "started": time.time()})


def read_worker(session: Path, run_id: str) -> dict[str, Any] | None:
    """What the cell's worker announced, None if nothing (yet) or unreadable."""
    try:
        found = json.loads(worker_path(session, run_id).read_text())
    except (OSError, ValueError):
        return None
    return found if isinstance(found, dict) else None


@contextlib.contextmanager
def output_to(path: Path) -> Iterator[None]:
    """Send this process's Python-level stdout and stderr (the console's output, the training
    progress) to ``path``, appended, while the block runs."""
    with path.open("a", buffering=1) as log, contextlib.redirect_stdout(log), \
            contextlib.redirect_stderr(log):
        try:
            yield
        finally:
            sys.stdout.flush()
