"""The live table of a launch: every cell, its state, its agent steps so far and where it runs.

A worker announces itself in the session folder (``job.announce_worker``) and its cell's
metrics.jsonl grows with each PPO epoch; the board reads both from the shared filesystem, so it
shows the same for a local process and for a Ray worker on another machine."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from rich.live import Live
from rich.table import Table

from trackbench.harness import console
from trackbench.harness.launchers.job import read_worker
from trackbench.harness.results import RunDir

# Each state as the table shows it.
STYLES = {"queued": "dim", "running": "cyan", "retrying": "yellow", "done": "green",
          "skipped": "dim", "failed": "red", "cancelled": "yellow"}


@dataclass
class Row:
    budget: int
    state: str = "queued"
    attempt: int = 0
    detail: str = ""
    steps: int | None = None


class Board:
    """``with Board(...) as board:`` shows the table live (refreshed by :meth:`update`) and
    leaves its last state on the screen."""

    def __init__(self, title: str, budgets: dict[str, int], out: Path, session: Path):
        self.title, self.out, self.session = title, out, session
        self.rows = {run_id: Row(budget) for run_id, budget in budgets.items()}
        self._live = Live(console=console.out, auto_refresh=False, transient=False)

    def __enter__(self) -> "Board":
        self._live.start()
        self.update()
        return self

    def __exit__(self, *exc) -> None:
        self.update()
        self._live.stop()
        if not console.out.is_terminal:  # Live ends its last drawing with a newline on one only
            console.out.line()

    def set(self, run_id: str, state: str, detail: str = "", attempt: int | None = None) -> None:
        row = self.rows[run_id]
        row.state, row.detail = state, detail
        if attempt is not None:
            row.attempt = attempt
        if state not in ("queued", "running", "retrying"):  # ended: its last count, once
            row.steps = last_agent_steps(RunDir(self.out / run_id))

    def update(self) -> None:
        """Read what the running cells' workers wrote, then redraw."""
        for run_id, row in self.rows.items():
            if row.state not in ("queued", "running", "retrying"):
                continue
            worker = read_worker(self.session, run_id)
            if worker is not None and worker.get("attempt") == row.attempt:
                row.state = "running"
                row.detail = f"{worker.get('host')} pid {worker.get('pid')}"
            row.steps = last_agent_steps(RunDir(self.out / run_id))
        self._live.update(self.table(), refresh=True)

    def table(self) -> Table:
        table = Table(title=self.title, title_justify="left")
        table.add_column("run id", no_wrap=True)
        for column, justify in (("state", "left"), ("agent steps", "right"),
                                ("attempt", "right"), ("where / why", "left")):
            table.add_column(column, justify=justify)
        for run_id, row in self.rows.items():
            steps = "" if row.steps is None else f"{row.steps:,} / {row.budget:,}"
            table.add_row(run_id, f"[{STYLES[row.state]}]{row.state}[/]", steps,
                          str(row.attempt or ""), row.detail)
        return table


def last_agent_steps(run_dir: RunDir) -> int | None:
    """agent_steps of the last whole row of the cell's metrics.jsonl (read from its end)."""
    try:
        with run_dir.metrics_file.open("rb") as handle:
            handle.seek(max(handle.seek(0, 2) - 8192, 0))
            lines = handle.read().splitlines()
    except OSError:
        return None
    for line in reversed(lines):
        try:
            steps = json.loads(line).get("agent_steps")
        except (ValueError, AttributeError):
            continue
        if isinstance(steps, int):
            return steps
    return None
