"""rliable's figures of the report (Agarwal et al. 2021), written beside it in the results
directory: each method over all its robot × task pairs.

``iqm_intervals.png``       rliable's interval-estimate plot: per method, the IQM of the final
                            success rates of its runs (a vertical tick) and its 95%
                            stratified-bootstrap interval (a bar), the numbers of the report's
                            aggregate table (``report_stats.aggregate``).
``performance_profile.png`` rliable's performance profile: per method, the fraction of its runs
                            whose final success rate exceeds τ, for τ from 0 to 1 (a run-score
                            distribution, averaged over robot × task), with a 95%
                            stratified-bootstrap band.

Nothing is made up: a method without an interval (one seed per robot × task, or robot × task
pairs with different numbers of seeds) is drawn as a point or a line without a bar or band, and
the figure says why; with no interval at all the interval plot is not written, and with no
finished run neither is. Drawn with matplotlib (a dependency of rliable) on its file-only Agg
backend, and written atomically (``atomic.py``).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from trackbench.harness.atomic import atomic_path
from trackbench.harness.plot import PALETTE
from trackbench.harness.report_stats import (
    BOOTSTRAP_METHOD, CONFIDENCE, Bootstrap, Statistics, method_scores, score_matrix, seeded)

if TYPE_CHECKING:
    import numpy as np

    from trackbench.harness.report import Report

INTERVALS_FILE = "iqm_intervals.png"
PROFILE_FILE = "performance_profile.png"
TAUS = 101  # thresholds of the profile, 0 to 1
DPI = 120


@dataclass(frozen=True)
class Figure:
    """A figure of the report: ``path`` written, or None and ``skipped`` saying why."""

    path: Path | None
    skipped: str | None = None

    def to_json(self) -> dict:
        return {"path": None if self.path is None else str(self.path), "skipped": self.skipped}


def write_report_figures(results_dir: Path, report: Report, stats: Statistics,
                         bootstrap: Bootstrap) -> dict[str, Figure]:
    """The interval plot and the performance profile, as {"iqm_intervals": …,
    "performance_profile": …}. Raises OSError naming the file if it cannot be written (no
    temporary file is left)."""
    return {"iqm_intervals": write_intervals(results_dir / INTERVALS_FILE, stats),
            "performance_profile": write_profile(results_dir / PROFILE_FILE, report, bootstrap)}


def write_intervals(path: Path, stats: Statistics) -> Figure:
    """rliable's ``plot_interval_estimates`` of the aggregate IQMs (success rate, 0 to 1)."""
    import numpy as np

    comparison = stats.aggregate.comparison
    if not comparison.iqm:
        return Figure(None, "no finished run")
    if all(estimate.low is None for estimate in comparison.iqm.values()):
        reasons = sorted({estimate.undefined for estimate in comparison.iqm.values()})
        return Figure(None, "no method has a 95% interval (" + "; ".join(reasons) + ")")
    plt, plot_utils = _plotting()
    methods = list(comparison.iqm)
    labels = [f"{m} (n={comparison.n[m]})" for m in methods]
    points = {label: np.array([comparison.iqm[m].value]) for label, m in zip(labels, methods)}
    intervals = {label: np.array([[e.low], [e.high]]) if e.low is not None else
                 np.array([[e.value], [e.value]])  # no bar: the tick alone
                 for label, e in ((label, comparison.iqm[m]) for label, m in zip(labels, methods))}
    pairs = len({s for strata in stats.aggregate.strata.values() for s in strata})
    fig, axes = plot_utils.plot_interval_estimates(
        points, intervals, [f"IQM of final success over {pairs} robot/task pair(s)"], labels,
        colors=_colors(labels), subfigure_width=7.0, row_height=0.7, xlabel="")
    axes.set_xlabel("success rate", fontsize="xx-large")  # below the ticks, whatever the height
    for row, method in enumerate(methods):
        estimate = comparison.iqm[method]
        if estimate.low is None:
            axes.annotate(f"no interval: {estimate.undefined}", (estimate.value, row),
                          xytext=(6, 4), textcoords="offset points", fontsize="small")
    _caption(axes, below=65)
    return Figure(_save(fig, path, plt))


def write_profile(path: Path, report: Report, bootstrap: Bootstrap) -> Figure:
    """rliable's ``create_performance_profile`` and ``plot_performance_profiles`` of each method's
    final success rates over its robot × task pairs."""
    import numpy as np
    from rliable import library

    scores = method_scores(report)
    if not scores:
        return Figure(None, "no finished run")
    taus = np.linspace(0.0, 1.0, TAUS)
    profiles: dict[str, np.ndarray] = {}
    bands: dict[str, np.ndarray] = {}
    for method, by_stratum in scores.items():
        matrix, undefined = score_matrix(by_stratum)
        label = f"{method} (n={matrix.size})"
        if undefined is not None:  # the profile alone, averaged over the strata as rliable does
            profiles[f"{method} (n={matrix.size}; no band: {undefined.split(':')[0]})"] = np.mean(
                [_run_score_distribution(np.asarray(runs)[:, None], taus)
                 for runs in by_stratum.values()], axis=0)
            continue
        with seeded(bootstrap.seed):
            point, interval = library.create_performance_profile(
                {label: matrix}, taus, custom_profile_func=_run_score_distribution,
                method=BOOTSTRAP_METHOD, reps=bootstrap.reps, confidence_interval_size=CONFIDENCE)
        profiles[label], bands[label] = point[label], interval[label]
    plt, plot_utils = _plotting()
    fig, ax = plt.subplots(figsize=(8.0, 5.0))
    plot_utils.plot_performance_profiles(
        profiles, taus, performance_profile_cis=bands, colors=_colors(list(profiles)), ax=ax,
        xlabel="final success rate τ", ylabel="fraction of runs with success > τ",
        labelsize="medium", ticklabelsize="medium")
    ax.legend(loc="lower left", fontsize="small")  # profiles start at 1: that corner is free
    ax.set_title("performance profile over robot/task pairs (band: 95% CI)", fontsize="medium")
    _caption(ax, below=50)
    return Figure(_save(fig, path, plt))


def _run_score_distribution(scores: np.ndarray, taus: np.ndarray) -> np.ndarray:
    """rliable's score distribution, vectorised over τ: the fraction of (runs, tasks) scores
    above each τ (rliable's own ``score_distributions`` calls Python once per τ)."""
    return (scores[..., None] > taus).mean(axis=tuple(range(scores.ndim)))


def _caption(ax: Any, below: float) -> None:
    """The method's reference, ``below`` points under the axes' lower left corner."""
    ax.annotate("Agarwal et al., NeurIPS 2021 (rliable): 95% percentile bootstrap, stratified by "
                "robot/task", (0, 0), xycoords="axes fraction", xytext=(0, -below),
                textcoords="offset points", fontsize="small", va="top")


def _colors(labels: list[str]) -> dict[str, tuple[float, float, float]]:
    return {label: tuple(c / 255 for c in PALETTE[i % len(PALETTE)])
            for i, label in enumerate(labels)}


def _plotting() -> tuple[Any, Any]:
    """pyplot and rliable's plot_utils; matplotlib's file-only backend unless the process chose
    one already (pyplot imported)."""
    import matplotlib

    if "matplotlib.pyplot" not in sys.modules:
        matplotlib.use("Agg")  # files only: no window, no display needed
    import matplotlib.pyplot as plt
    from rliable import plot_utils

    return plt, plot_utils


def _save(fig: Any, path: Path, plt: Any) -> Path:
    try:
        with atomic_path(path) as temporary:
            fig.savefig(temporary, format="png", dpi=DPI, bbox_inches="tight")
    finally:
        plt.close(fig)
    return path
