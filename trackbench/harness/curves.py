"""Learning curves from metrics.jsonl: success rate vs agent steps, one line per method, mean ±
std over seeds (the paper's Figure 3), drawn to ``<results>/curves_<task>.png``.

Each finished run contributes its training success rate (over the last ``games_to_track``
episodes) after every epoch. Seeds are put on a common grid of agent steps by carrying each
run's last value forward; before a run's first finished episode it has no value there.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from trackbench.harness.plot import BLACK, GREY, PALETTE, Canvas
from trackbench.harness.png import write_png
from trackbench.harness.results import RunDir

GRID_POINTS = 80
WIDTH, HEIGHT = 880, 520
LEFT, RIGHT, TOP, BOTTOM = 80, 30, 60, 60


@dataclass
class Series:
    """One run's success rate after each epoch."""

    steps: np.ndarray
    success: np.ndarray


@dataclass
class Curve:
    label: str
    grid: np.ndarray  # agent steps
    mean: np.ndarray  # NaN where no seed has a value yet
    std: np.ndarray
    seeds: int


def read_series(run: RunDir) -> Series | None:
    """The run's (agent steps, success rate) rows; None if it logged none with a value."""
    steps, success = [], []
    for row in run.read_metrics():
        if row.get("success_rate") is not None and "agent_steps" in row:
            steps.append(float(row["agent_steps"]))
            success.append(float(row["success_rate"]))
    return Series(np.array(steps), np.array(success)) if steps else None


def collect(results_dir: Path) -> dict[str, list[Curve]]:
    """task → one Curve per (robot, method) over the seeds of its finished runs."""
    groups: dict[tuple[str, str, str], list[Series]] = {}
    for run_path in sorted(p for p in results_dir.iterdir() if p.is_dir()):
        run = RunDir(run_path)
        if not (run.spec_file.is_file() and run.is_complete()):
            continue
        try:
            spec = run.read_spec()
        except Exception:  # report.py names unreadable specs; curves just skip them
            continue
        series = read_series(run)
        if series is not None:
            groups.setdefault((spec.task, spec.robot, spec.method), []).append(series)
    curves: dict[str, list[Curve]] = {}
    robots_per_task: dict[str, set[str]] = {}
    for task, robot, _ in groups:
        robots_per_task.setdefault(task, set()).add(robot)
    for (task, robot, method), runs in sorted(groups.items()):
        label = method if len(robots_per_task[task]) == 1 else f"{robot} {method}"
        curves.setdefault(task, []).append(aggregate(label, runs))
    return curves


def aggregate(label: str, runs: list[Series]) -> Curve:
    grid = np.linspace(0.0, max(float(r.steps.max()) for r in runs), GRID_POINTS)
    values = np.full((len(runs), GRID_POINTS), np.nan)
    for i, run in enumerate(runs):
        order = np.argsort(run.steps, kind="stable")
        steps, success = run.steps[order], run.success[order]
        index = np.searchsorted(steps, grid, side="right") - 1  # last row at or before the point
        known = index >= 0
        values[i, known] = success[index[known]]
        values[i, grid > steps[-1]] = np.nan  # a shorter run says nothing past its end
    with np.errstate(all="ignore"):
        counts = np.isfinite(values).sum(axis=0)
        mean = np.where(counts > 0, np.nansum(values, axis=0) / np.maximum(counts, 1), np.nan)
        var = np.where(counts > 0, np.nansum((values - mean) ** 2, axis=0) / np.maximum(counts, 1), np.nan)
    return Curve(label, grid, mean, np.sqrt(var), len(runs))


def write_curves(results_dir: Path) -> dict[str, Path]:
    """Draw one PNG per task; returns task → path."""
    written = {}
    for task, curves in collect(results_dir).items():
        path = results_dir / f"curves_{task}.png"
        write_png(path, draw(task, curves))
        written[task] = path
    return written


def draw(task: str, curves: list[Curve]) -> np.ndarray:
    canvas = Canvas(WIDTH, HEIGHT)
    x0, x1, y0, y1 = LEFT, WIDTH - RIGHT, HEIGHT - BOTTOM, TOP  # y grows downwards
    max_steps = max(float(c.grid[-1]) for c in curves) or 1.0

    def px(steps):
        return x0 + (np.asarray(steps) / max_steps) * (x1 - x0)

    def py(rate):  # a little room below 0 and above 1, so lines there stay off the axes
        return y0 - (np.clip(np.asarray(rate), 0.0, 1.0) + 0.03) / 1.06 * (y0 - y1)

    canvas.text(WIDTH // 2, 14, f"{task}: success rate (mean ± std over seeds)", anchor="center")
    for tick in (0.0, 0.25, 0.5, 0.75, 1.0):
        y = int(py(tick))
        canvas.rect(x0, y, x1, y + 1, GREY)
        canvas.text(x0 - 8, y - 7, f"{tick:.2f}", anchor="right")
    for tick in _nice_ticks(max_steps):
        x = int(px(tick))
        canvas.rect(x, y0, x + 1, y0 + 6, BLACK)
        canvas.text(x, y0 + 12, _short(tick), anchor="center")
    canvas.text((x0 + x1) // 2, HEIGHT - 22, "agent steps", anchor="center")
    canvas.rect(x0, y1, x0 + 2, y0 + 1, BLACK)
    canvas.rect(x0, y0, x1, y0 + 2, BLACK)

    columns = np.arange(int(x0), int(x1) + 1)
    for i, curve in enumerate(curves):
        color = PALETTE[i % len(PALETTE)]
        at = (columns - x0) / (x1 - x0) * max_steps
        finite = np.isfinite(curve.mean)
        if finite.any():
            grid = curve.grid[finite]
            lo = np.interp(at, grid, (curve.mean - curve.std)[finite], left=np.nan, right=np.nan)
            hi = np.interp(at, grid, (curve.mean + curve.std)[finite], left=np.nan, right=np.nan)
            canvas.band(columns, py(lo), py(hi), color)
            canvas.line(px(curve.grid), np.where(finite, py(curve.mean), np.nan), color)
        label = f"{curve.label} (n={curve.seeds})"
        ly = y1 + 10 + 22 * i
        canvas.rect(x0 + 14, ly + 3, x0 + 30, ly + 11, color)
        canvas.text(x0 + 38, ly, label)
    return canvas.image


def _nice_ticks(limit: float, count: int = 5) -> list[float]:
    raw = limit / count
    magnitude = 10 ** math.floor(math.log10(raw)) if raw > 0 else 1
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    return [k * step for k in range(int(limit // step) + 1)]


def _short(value: float) -> str:
    for unit, scale in (("G", 1e9), ("M", 1e6), ("K", 1e3)):
        if value >= scale:
            text = f"{value / scale:.1f}".rstrip("0").rstrip(".")
            return text + unit
    return f"{value:.0f}"

