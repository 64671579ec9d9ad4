"""Learning curves from metrics.jsonl: a metric vs agent steps, one line per method, the mean over
seeds with its 95% bootstrap interval as a band (the paper's Figure 3), drawn to
``<results>/curves_<task>.png``, and with two or more tasks all of them side by side, one panel
per task, in ``<results>/curves.png``.

By default each finished run contributes its training success rate (over the last
``games_to_track`` episodes) after every epoch. Any other numeric column of metrics.jsonl can be
drawn instead (``curves_<task>_<metric>.png``), and runs that have not finished can be included;
their legend entry says so. Seeds are put on a common grid of agent steps by carrying each run's
last value forward; before a run's first value (e.g. its first finished episode) it has none.
The band is drawn where at least 2 seeds have a value; a method with one seed gets none, and its
legend entry says so.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from trackbench.harness.errors import TrackbenchError
from trackbench.harness.plot import BLACK, GREY, PALETTE, Canvas, text_width
from trackbench.harness.png import write_png
from trackbench.harness.report import find_runs
from trackbench.harness.report_stats import Bootstrap, mean_interval
from trackbench.harness.results import DEFAULT_METRIC, RunDir
from trackbench.harness.variants import method_labels

if TYPE_CHECKING:
    from trackbench.harness.registry import Registry

GRID_POINTS = 80
WIDTH, HEIGHT = 880, 520
LEFT, RIGHT, TOP, BOTTOM = 80, 30, 60, 60
RATE_SUFFIXES = ("_rate", "_fraction")  # such metrics in [0, 1] keep the fixed 0..1 axis
PANEL_COLUMNS = 2  # of the all-tasks figure


@dataclass
class Series:
    """One run's metric after each epoch: ``steps`` (agent steps) and ``values``, both of shape
    (rows,).

    ``running`` is True for a run without result.json (still training, or killed).
    """

    steps: np.ndarray
    values: np.ndarray
    running: bool = False


@dataclass
class Curve:
    """One method's line: the metric's mean over ``seeds`` runs and its 95% interval [low, high]
    on a grid of agent steps, all shape (GRID_POINTS,); ``running`` of the seeds have not
    finished."""

    label: str
    grid: np.ndarray  # agent steps
    mean: np.ndarray  # NaN where no seed has a value yet
    low: np.ndarray  # NaN where fewer than 2 seeds have a value (no interval)
    high: np.ndarray
    seeds: int
    running: int = 0

    def legend(self) -> str:
        """``dense (n=2)``; ``dense (n=1, no band)`` for one seed; ``dense (n=1, running)`` or
        ``dense (n=3, 1 running)`` when some seeds have not finished, so a partial curve is not
        mistaken for a result."""
        notes = ["no band"] if self.seeds == 1 else []
        if self.running:
            notes.append("running" if self.running == self.seeds else f"{self.running} running")
        return f"{self.label} ({', '.join([f'n={self.seeds}', *notes])})"


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def read_series(run: RunDir, metric: str = DEFAULT_METRIC) -> Series | None:
    """The run's (agent steps, ``metric``) rows with a finite number for the metric; None if it
    logged none."""
    steps, values = [], []
    for row in run.read_metrics():
        value = row.get(metric)
        if _is_number(value) and math.isfinite(value) and "agent_steps" in row:
            steps.append(float(row["agent_steps"]))
            values.append(float(value))
    if not steps:
        return None
    return Series(np.array(steps), np.array(values), running=not run.is_complete())


def metric_names(rows: list[dict]) -> set[str]:
    """The numeric columns of metrics.jsonl rows (a column that is null in some rows counts)."""
    return {key for row in rows for key, value in row.items() if value is None or _is_number(value)}


def collect(results_dir: Path, metric: str = DEFAULT_METRIC, running: bool = False,
            bootstrap: Bootstrap = Bootstrap(), *, registry: "Registry"
            ) -> dict[str, list[Curve]]:
    """task → one Curve per (robot, method) over the seeds of its finished runs, and of its
    unfinished ones too if ``running`` (specs read with ``registry``'s plugins).

    Raises TrackbenchError, naming the metrics that exist, if ``metric`` is in no row of any run;
    the default metric never raises (no rows yet simply means no curves).
    """
    groups: dict[tuple[str, str, str], list[Series]] = {}
    known: set[str] = set()
    # The report names what find_runs leaves out, and the variants the labels tell apart.
    runs = find_runs(results_dir, registry=registry).runs
    labels, _ = method_labels([found.spec for found in runs])
    for found, method in zip(runs, labels):
        run, spec = found.run, found.spec
        if metric != DEFAULT_METRIC:
            known |= metric_names(run.read_metrics())
        if not (running or run.is_complete()):
            continue
        series = read_series(run, metric)
        if series is not None:
            groups.setdefault((spec.task, spec.robot, method), []).append(series)
    if metric != DEFAULT_METRIC and metric not in known:
        names = ", ".join(sorted(known - {"agent_steps"})) or "(no run has logged metrics yet)"
        raise TrackbenchError(f"unknown metric '{metric}': no row of metrics.jsonl in "
                              f"{results_dir} has it. Metrics logged: {names}.")
    curves: dict[str, list[Curve]] = {}
    robots_per_task: dict[str, set[str]] = {}
    for task, robot, _ in groups:
        robots_per_task.setdefault(task, set()).add(robot)
    for (task, robot, method), runs in sorted(groups.items()):
        label = method if len(robots_per_task[task]) == 1 else f"{robot} {method}"
        curves.setdefault(task, []).append(aggregate(label, runs, bootstrap))
    return curves


def aggregate(label: str, runs: list[Series], bootstrap: Bootstrap = Bootstrap()) -> Curve:
    """Mean over the runs (seeds) and its 95% bootstrap interval (``report_stats.mean_interval``)
    on GRID_POINTS agent steps from 0 to the longest run."""
    grid = np.linspace(0.0, max(float(r.steps.max()) for r in runs), GRID_POINTS)
    values = np.full((len(runs), GRID_POINTS), np.nan)
    for i, run in enumerate(runs):
        order = np.argsort(run.steps, kind="stable")
        steps, metric = run.steps[order], run.values[order]
        index = np.searchsorted(steps, grid, side="right") - 1  # last row at or before the point
        known = index >= 0
        values[i, known] = metric[index[known]]
        values[i, grid > steps[-1]] = np.nan  # a shorter run says nothing past its end
    with np.errstate(all="ignore"):
        counts = np.isfinite(values).sum(axis=0)
        mean = np.where(counts > 0, np.nansum(values, axis=0) / np.maximum(counts, 1), np.nan)
    low, high = mean_interval(values, bootstrap)
    return Curve(label, grid, mean, low, high, len(runs), sum(r.running for r in runs))


def curve_path(results_dir: Path, task: str | None, metric: str = DEFAULT_METRIC) -> Path:
    """``curves_<task>.png`` for the success rate, else ``curves_<task>_<metric>.png`` with the
    metric made filename-safe (``term/energy`` → ``term-energy``); task None: the all-tasks
    figure, ``curves.png`` or ``curves_<metric>.png``."""
    parts = ["curves"] + ([task] if task is not None else [])
    if metric != DEFAULT_METRIC:
        parts.append(re.sub(r"[^A-Za-z0-9._-]+", "-", metric).strip("-") or "metric")
    return results_dir / ("_".join(parts) + ".png")


@dataclass
class CurveFiles:
    """The PNGs written: one per task, and the all-tasks figure (None with fewer than 2 tasks)."""

    tasks: dict[str, Path]
    combined: Path | None = None


def write_curves(results_dir: Path, metric: str = DEFAULT_METRIC, running: bool = False,
                 bootstrap: Bootstrap = Bootstrap(), *, registry: "Registry") -> CurveFiles:
    """Draw one PNG per task and, with two or more tasks, all of them in one figure, each written
    atomically (see ``collect`` for ``metric``, ``running`` and the error). Nothing is written
    when no run has logged the metric."""
    written, panels = CurveFiles({}), []
    for task, curves in collect(results_dir, metric, running, bootstrap,
                                registry=registry).items():
        path = curve_path(results_dir, task, metric)
        panels.append(draw(task, curves, metric))
        write_png(path, panels[-1])
        written.tasks[task] = path
    if len(panels) >= 2:
        written.combined = curve_path(results_dir, None, metric)
        write_png(written.combined, tile(panels, PANEL_COLUMNS))
    return written


def tile(panels: list[np.ndarray], columns: int) -> np.ndarray:
    """Equal-sized RGB panels in rows of ``columns``, left to right; a short last row is padded
    white."""
    height, width, _ = panels[0].shape
    rows = -(-len(panels) // columns)
    image = np.full((rows * height, columns * width, 3), 255, dtype=np.uint8)
    for i, panel in enumerate(panels):
        row, column = divmod(i, columns)
        image[row * height:(row + 1) * height, column * width:(column + 1) * width] = panel
    return image


@dataclass
class Axis:
    """A value axis from ``low`` to ``high`` with its ``ticks`` as (value, label) pairs."""

    low: float
    high: float
    ticks: list[tuple[float, str]]


def y_axis(low: float, high: float, metric: str = DEFAULT_METRIC) -> Axis:
    """The y axis for data from ``low`` to ``high`` (NaN: no data yet).

    A rate (``*_rate``, ``*_fraction``) within [0, 1] gets the fixed 0..1 axis; anything else
    gets 3 to 7 round ticks covering its range, negative values included.
    """
    if _rate_axis_fits(metric, low, high):
        return Axis(0.0, 1.0, [(t, f"{t:.2f}") for t in (0.0, 0.25, 0.5, 0.75, 1.0)])
    if not (math.isfinite(low) and math.isfinite(high)):
        low, high = 0.0, 1.0
    if high - low <= 1e-9 * max(1.0, abs(high)):  # a flat line: centre it
        pad = abs(high) * 0.1 or 1.0
        low, high = low - pad, high + pad
    step = _nice_step((high - low) / 4)
    first, last = math.floor(low / step + 1e-9), math.ceil(high / step - 1e-9)
    decimals = next(d for d in range(12) if abs(round(step, d) - step) <= step * 1e-6)
    ticks = []
    for k in range(first, last + 1):
        value = k * step
        label = _short(value) if decimals == 0 and abs(value) >= 1e4 else f"{value:.{decimals}f}"
        ticks.append((value, label))
    return Axis(first * step, last * step, ticks)


def _rate_axis_fits(metric: str, low: float, high: float) -> bool:
    return metric.endswith(RATE_SUFFIXES) and not (low < 0.0 or high > 1.0)  # NaN: no data yet


def _data_range(curves: list[Curve], with_band: bool) -> tuple[float, float]:
    parts = [c.mean for c in curves] + ([c.low for c in curves] + [c.high for c in curves]
                                        if with_band else [])
    values = np.concatenate(parts)
    values = values[np.isfinite(values)]
    return (float(values.min()), float(values.max())) if values.size else (math.nan, math.nan)


def draw(task: str, curves: list[Curve], metric: str = DEFAULT_METRIC) -> np.ndarray:
    """The plot as an (HEIGHT, WIDTH, 3) uint8 RGB image: ``metric`` vs agent steps."""
    canvas = Canvas(WIDTH, HEIGHT)
    x0, x1, y0, y1 = LEFT, WIDTH - RIGHT, HEIGHT - BOTTOM, TOP  # y grows downwards
    max_steps = max(float(c.grid[-1]) for c in curves) or 1.0
    low, high = _data_range(curves, with_band=False)
    if not _rate_axis_fits(metric, low, high):
        low, high = _data_range(curves, with_band=True)  # the bands fit as well
    axis = y_axis(low, high, metric)

    def px(steps):
        return x0 + (np.asarray(steps) / max_steps) * (x1 - x0)

    def py(value):  # a little room below and above the axis, so lines there stay off the axes
        clipped = np.clip(np.asarray(value), axis.low, axis.high)
        fraction = (clipped - axis.low) / (axis.high - axis.low)
        return y0 - (fraction + 0.03) / 1.06 * (y0 - y1)

    name = "success rate" if metric == DEFAULT_METRIC else metric
    canvas.text(WIDTH // 2, 14, f"{task}: {name} (mean, 95% CI over seeds)", anchor="center")
    for tick, text in axis.ticks:
        y = int(py(tick))
        canvas.rect(x0, y, x1, y + 1, GREY)
        scale = 2 if text_width(text) <= x0 - 12 else 1
        canvas.text(x0 - 8, y - 7 if scale == 2 else y - 3, text, scale=scale, anchor="right")
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
        banded = np.isfinite(curve.low)
        if banded.any():
            grid = curve.grid[banded]
            lo = np.interp(at, grid, curve.low[banded], left=np.nan, right=np.nan)
            hi = np.interp(at, grid, curve.high[banded], left=np.nan, right=np.nan)
            canvas.band(columns, py(lo), py(hi), color)
        if finite.any():
            canvas.line(px(curve.grid), np.where(finite, py(curve.mean), np.nan), color)
        ly = y1 + 10 + 22 * i
        canvas.rect(x0 + 14, ly + 3, x0 + 30, ly + 11, color)
        canvas.text(x0 + 38, ly, curve.legend())
    return canvas.image


def _nice_step(raw: float) -> float:
    magnitude = 10 ** math.floor(math.log10(raw)) if raw > 0 else 1
    return next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)


def _nice_ticks(limit: float, count: int = 5) -> list[float]:
    step = _nice_step(limit / count)
    return [k * step for k in range(int(limit // step) + 1)]


def _short(value: float) -> str:
    for unit, scale in (("G", 1e9), ("M", 1e6), ("K", 1e3)):
        if abs(value) >= scale:
            text = f"{value / scale:.1f}".rstrip("0").rstrip(".")
            return text + unit
    return f"{value:.0f}"
