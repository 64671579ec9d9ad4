"""A cell on a launcher's worker (a Ray task, or the process `--launcher local --parallel N`
starts per cell): it stands where the CLI does, loads the registry and runs the cell as
`trackbench run` would (``cell.run_cell``), its output going to the session's ``<run id>.log``.

``python -m trackbench.harness.cli.worker JOB OUTCOME`` runs the job in JOB (JSON, made by
``launchers.job.make_job``) and writes the outcome to OUTCOME; Ctrl-C or SIGTERM stop it with
its checkpoint intact (exit status 130 / 143)."""

from __future__ import annotations

import json
import os
import sys
import traceback
from pathlib import Path
from typing import Any

# As in cli/app.py: MuJoCo picks its GL backend (for --video) when first imported.
os.environ.setdefault("MUJOCO_GL", "egl")

from trackbench.harness.atomic import write_json_atomic  # noqa: E402
from trackbench.harness.errors import TrackbenchError  # noqa: E402
from trackbench.harness.launchers.job import announce_worker, log_path, output_to  # noqa: E402
from trackbench.harness.specs import RunSpec  # noqa: E402


def run_job(job: dict[str, Any]) -> dict[str, Any]:
    """Run one attempt of a cell; returns its outcome: ``{"status": "ok", "result": result.json's
    content or None if skipped, "video": path or None}``, or ``{"status": "failed", "error":
    message, "traceback": text}`` if the cell raised. KeyboardInterrupt (a cancel) propagates,
    the checkpoint intact."""
    from trackbench.harness.cli.cell import run_cell
    from trackbench.harness.plugins import load_registry

    spec = RunSpec.model_validate(job["spec"])
    session = Path(job["session"])
    announce_worker(session, spec.run_id, job["attempt"])
    with output_to(log_path(session, spec.run_id)):
        print(f"--- attempt {job['attempt']} of {spec.run_id}", flush=True)
        try:
            result, video = run_cell(spec, load_registry(), Path(job["out"]), job["done"],
                                     job["restart"], job["video"], job["wandb_mode"])
        except KeyboardInterrupt as error:  # cancelled: execute_cell's message says what is kept
            print(str(error) or "interrupted", file=sys.stderr)
            raise
        except Exception as error:
            text = traceback.format_exc()
            print(text, file=sys.stderr)
            message = (str(error) if isinstance(error, TrackbenchError)
                       else f"{type(error).__name__}: {error}")
            return {"status": "failed", "error": message, "traceback": text}
    return {"status": "ok", "result": result, "video": None if video is None else str(video)}


def main(argv: list[str]) -> int:
    from trackbench.harness.interrupts import stop_on_signals

    job_file, outcome_file = map(Path, argv)
    try:
        with stop_on_signals():
            outcome = run_job(json.loads(job_file.read_text()))
    except KeyboardInterrupt as error:  # run_job wrote execute_cell's message to the log
        return getattr(error, "exit_code", 130)
    write_json_atomic(outcome_file, outcome)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
