"""The loop every launcher shares: hand cells to a backend (local processes or Ray), collect
what comes back, retry a cell whose worker died, record a cell that failed, and on Ctrl-C
cancel what is running.

A backend starts one attempt of a cell per :meth:`Backend.submit` and reports, through
:meth:`Backend.wait`, how each attempt ended: ``ok`` (the worker's outcome: the cell trained),
``failed`` (the cell raised; the outcome holds the error), ``died`` (the worker process was
killed or its machine lost) or ``cancelled``. Only a death is retried: the next attempt resumes
from the last checkpoint the dead one wrote (exact resume, ``execute_cell``), and it can take
the run lock because the kernel released the dead process's ``flock`` (``runlock``). A cell is
never handed out twice at once, so two workers never train the same cell.
"""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Hashable, Literal, Protocol

from trackbench.harness import console
from trackbench.harness.interrupts import Interrupted
from trackbench.harness.launchers.board import Board
from trackbench.harness.launchers.job import log_path
from trackbench.harness.results import RunDir
from trackbench.harness.specs import RunSpec

POLL_SECONDS = 1.0  # how often the board is redrawn while cells run


@dataclass(frozen=True)
class Ended:
    """How one attempt ended; ``outcome`` is the worker's (``cli.worker.run_job``) for ok and
    failed, ``why`` says how a worker died."""

    kind: Literal["ok", "failed", "died", "cancelled"]
    outcome: dict[str, Any] = field(default_factory=dict)
    why: str = ""


class Backend(Protocol):
    name: str
    capacity: int | None  # attempts at once; None: all (the cluster queues what does not fit)

    def submit(self, job: dict[str, Any]) -> Hashable: ...

    def wait(self, handles: list[Hashable], timeout: float) -> list[tuple[Hashable, Ended]]: ...

    def cancel(self, handles: list[Hashable]) -> None: ...


@dataclass
class Launch:
    """One session's cells on one backend. ``job(cell, attempt)`` makes an attempt's job;
    ``on_result(cell, outcome)`` is called for each cell that finished."""

    backend: Backend
    board: Board
    out: Path
    session: Path
    retries: int
    job: Callable[[RunSpec, int], dict[str, Any]]
    on_result: Callable[[RunSpec, dict[str, Any]], None]
    failed: dict[str, str] = field(default_factory=dict)  # run id → error

    def run(self, cells: list[RunSpec]) -> dict[str, str]:
        """Run every cell; returns the failed ones (run id → error), each also recorded in its
        run directory's failed.json. Raises :class:`Interrupted` on Ctrl-C or SIGTERM after
        cancelling the running attempts, every checkpoint intact."""
        queue, running, attempts = deque(cells), {}, {cell.run_id: 0 for cell in cells}
        try:
            while queue or running:
                capacity = self.backend.capacity
                while queue and (capacity is None or len(running) < capacity):
                    cell = queue.popleft()
                    attempts[cell.run_id] += 1
                    attempt = attempts[cell.run_id]
                    running[self.backend.submit(self.job(cell, attempt))] = cell
                    self.board.set(cell.run_id, "queued", attempt=attempt, detail=(
                        f"retry {attempt - 1} of {self.retries}" if attempt > 1 else ""))
                for handle, ended in self.backend.wait(list(running), POLL_SECONDS):
                    cell = running.pop(handle)
                    if ended.kind == "died" and attempts[cell.run_id] <= self.retries:
                        queue.appendleft(cell)  # again first: it resumes from its checkpoint
                        self.board.set(cell.run_id, "retrying", f"worker died ({ended.why})")
                    else:
                        self._finish(cell, ended, attempts[cell.run_id])
                self.board.update()
        except KeyboardInterrupt as error:
            for cell in running.values():
                self.board.set(cell.run_id, "cancelled", "stopped")
            self.board.update()
            self.backend.cancel(list(running))
            stopped = ", ".join(cell.run_id for cell in running.values()) or "none"
            raise Interrupted(
                f"{str(error) or 'interrupted'}: cancelled the running cells ({stopped}); each "
                f"keeps its last checkpoint: rerun the same command to resume them",
                getattr(error, "exit_code", 130)) from None
        except BaseException:  # an error of the launch itself: leave no cell running unwatched
            self.backend.cancel(list(running))
            raise
        return self.failed

    def _finish(self, cell: RunSpec, ended: Ended, attempts: int) -> None:
        if ended.kind == "ok":
            self.board.set(cell.run_id, "done", _done_text(ended.outcome))
            self.on_result(cell, ended.outcome)
            return
        if ended.kind == "failed":
            error, text = ended.outcome.get("error", "?"), ended.outcome.get("traceback", "")
        elif ended.kind == "died":
            error = (f"its worker died {attempts} time(s), the last time {ended.why} "
                     f"(--max-retries {self.retries})")
            text = ""
        else:
            error, text = "cancelled", ""
        self.failed[cell.run_id] = error
        self.board.set(cell.run_id, "failed", error.splitlines()[0] if error else "")
        run_dir = RunDir.for_spec(self.out, cell)
        try:
            run_dir.write_failure({
                "run_id": cell.run_id, "error": error, "traceback": text, "attempts": attempts,
                "launcher": self.backend.name, "log": str(log_path(self.session, cell.run_id)),
                "time": time.strftime("%Y-%m-%dT%H:%M:%S%z")})
        except OSError as problem:  # the failure is still reported at the end of the run
            console.warn(f"{cell.run_id}: could not record its failure in "
                         f"{run_dir.failed_file}: {problem.strerror or problem}")


def _done_text(outcome: dict[str, Any]) -> str:
    result = outcome.get("result")
    if result is None:
        return "already complete" + (", filmed" if outcome.get("video") else "")
    resumed = result.get("resumed_from")
    return f"success {result['success_rate']:.2f}" + (f", resumed at {resumed:,}" if resumed else "")
