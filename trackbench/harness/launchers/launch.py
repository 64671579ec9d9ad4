"""Run a validated plan's cells through a launcher: ``local`` processes (--parallel N) or Ray."""

from __future__ import annotations

import contextlib
import os
import shutil
from pathlib import Path
from typing import Any, Callable

from trackbench.harness import console
from trackbench.harness.launchers.board import Board
from trackbench.harness.launchers.driver import Launch
from trackbench.harness.launchers.job import fit_threads, make_job, new_session
from trackbench.harness.launchers.options import LaunchOptions
from trackbench.harness.specs import RunSpec

Worker = Callable[[dict[str, Any]], dict[str, Any]]


def launch(cells: list[RunSpec], done: set[str], options: LaunchOptions, out: Path, *,
           worker: Worker, force: bool, video: bool, wandb_mode: str | None,
           on_result: Callable[[RunSpec, dict[str, Any]], None]) -> dict[str, str]:
    """Train ``cells`` (``done``: run ids already complete, skipped unless --video must film
    them) with ``worker`` (``cli.worker.run_job``: run in a process of its own, or a Ray task).
    Returns the cells that failed for good, run id → error; each has a failed.json.

    Raises TrackbenchError if Ray is missing, cannot connect or has no node that fits a cell;
    :class:`Interrupted` on Ctrl-C, after cancelling the running cells (checkpoints intact)."""
    todo = [cell for cell in cells if cell.run_id not in done or video]
    for cell in cells:
        if cell not in todo:
            console.out.print(f"[dim]skip {cell.run_id}: already complete (--force reruns it)[/]")
    if not todo:
        return {}
    budgets = {cell.run_id: cell.agent_steps for cell in todo}

    def run(backend_for: Callable[[Path], Any], threads: int, title: str) -> dict[str, str]:
        session = new_session(out)  # once the backend is reachable: nothing is left otherwise

        def job(cell: RunSpec, attempt: int) -> dict[str, Any]:
            return make_job(cell, out, session, attempt=attempt, done=cell.run_id in done,
                            force=force, video=video, wandb_mode=wandb_mode)

        with Board(title, budgets, out, session) as board:
            failed = Launch(backend_for(session), board, out, session, options.retries, job,
                            on_result).run([fit_threads(cell, threads) for cell in todo])
        if not failed:  # the jobs, logs and worker notes of a session that went well
            shutil.rmtree(session, ignore_errors=True)
            with contextlib.suppress(OSError):
                session.parent.rmdir()  # .launch/, if no other session is left in it
        return failed

    if options.launcher == "local":
        from trackbench.harness.launchers.local import LocalBackend

        return run(lambda session: LocalBackend(options.parallel, worker.__module__, session),
                   max(1, (os.cpu_count() or 1) // options.parallel),
                   f"{len(todo)} cell(s), {options.parallel} at a time on this machine")
    from trackbench.harness.launchers.ray_cluster import (
        RayBackend, connected, describe_cluster, require_fit)

    gpus = options.gpus(todo[0].device)
    with connected(options.address) as ray:
        require_fit(ray, options.cpus, gpus)
        console.out.print(f"ray: {describe_cluster(ray)}; each cell asks for {options.cpus} "
                          f"CPU(s), {gpus:g} GPU(s)", highlight=False)
        return run(lambda session: RayBackend(ray, worker, options.cpus, gpus), options.cpus,
                   f"{len(todo)} cell(s) on Ray")
