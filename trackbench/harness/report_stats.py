"""Statistics of `trackbench report` over seeds: interquartile mean (IQM) with a stratified
bootstrap 95% confidence interval, and the probability of improvement of one method over another.

Following Agarwal et al., "Deep Reinforcement Learning at the Edge of the Statistical Precipice",
NeurIPS 2021, and computed by their library, rliable (``rliable.metrics.aggregate_iqm``,
``rliable.metrics.probability_of_improvement``, ``rliable.library.get_interval_estimates``;
percentile bootstrap, rliable's default). The score of a run is its final evaluation success rate
in [0, 1]. rliable's convention is a score matrix of shape (runs, tasks): for one robot × task it
is (seeds, 1); for the aggregate of a method it is (seeds, robot×task pairs), each robot × task a
stratum that the bootstrap resamples runs within.

An interval is never made up: one seed (or one seed per stratum) has no spread to resample, so its
interval is undefined and says why, as does an aggregate whose strata hold different numbers of
seeds (no (runs, tasks) matrix exists). The bootstrap is seeded, so a report is reproducible; each
estimate is seeded alike, so adding runs to one cell does not move another cell's interval.
"""

from __future__ import annotations

import warnings
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from trackbench.harness.errors import TrackbenchError

if TYPE_CHECKING:
    import numpy as np

    from trackbench.harness.report import Report

REFERENCE = ('Agarwal et al., "Deep Reinforcement Learning at the Edge of the Statistical '
             'Precipice", NeurIPS 2021')
CONFIDENCE = 0.95
BOOTSTRAP_METHOD = "percentile"
DEFAULT_REPS = 2000
DEFAULT_SEED = 0
# A 95% percentile interval reads the 2.5% tails of the replicates: below ~100 they are a
# handful of draws.
MIN_REPS = 100

BEST, OVERLAPS_BEST = "best", "overlaps_best"
MARKS = {BEST: "*", OVERLAPS_BEST: "≈"}
MARK_LEGEND = ("* highest IQM of the row, every method tied at it (no marks if it has no "
               "interval); ≈ its 95% interval overlaps a *'s (not separated at this n)")
NO_INTERVAL_LEGEND = "[—] no interval (one seed)"


@dataclass(frozen=True)
class Bootstrap:
    """How intervals are drawn: ``reps`` bootstrap replicates (at least MIN_REPS) from numpy's
    global generator seeded with ``seed`` before each estimate (and restored after it)."""

    reps: int = DEFAULT_REPS
    seed: int = DEFAULT_SEED

    def __post_init__(self) -> None:
        if self.reps < MIN_REPS:
            raise TrackbenchError(
                f"--bootstrap-reps {self.reps}: need at least {MIN_REPS} replicates for a "
                f"{CONFIDENCE:.0%} interval (its tails would be a handful of draws)")
        if self.seed < 0:
            raise TrackbenchError(f"--bootstrap-seed {self.seed}: must be 0 or more")

    def to_json(self) -> dict:
        return {"reps": self.reps, "seed": self.seed, "confidence": CONFIDENCE,
                "method": BOOTSTRAP_METHOD, "library": "rliable", "reference": REFERENCE}


@dataclass(frozen=True)
class Estimate:
    """A point estimate and its 95% interval [low, high], or no interval and ``undefined`` saying
    why (then low and high are None)."""

    value: float
    low: float | None = None
    high: float | None = None
    undefined: str | None = None

    def overlaps(self, other: Estimate) -> bool | None:
        """Whether the two intervals share a point; None if either has none."""
        if self.low is None or other.low is None:
            return None
        return self.low <= other.high and other.low <= self.high

    def interval_text(self) -> str:
        return "[—]" if self.low is None else f"[{self.low:.2f}, {self.high:.2f}]"

    def to_json(self) -> dict:
        return {"estimate": self.value,
                "ci95": None if self.low is None else [self.low, self.high],
                "ci95_undefined": self.undefined}


@contextmanager
def seeded(seed: int):
    """rliable 1.2's StratifiedBootstrap draws its indices with ``np.random.choice`` and ignores
    the ``random_state`` it is given, so the global generator is what must be seeded."""
    import numpy as np

    state = np.random.get_state()
    np.random.seed(seed)
    try:
        yield
    finally:
        np.random.set_state(state)


def _iqm_of(scores: np.ndarray) -> np.ndarray:
    import numpy as np
    from rliable import metrics

    return np.array([metrics.aggregate_iqm(scores)])


def iqm(scores: np.ndarray, bootstrap: Bootstrap, undefined: str | None = None) -> Estimate:
    """IQM of ``scores``, shape (runs, tasks), with rliable's stratified-bootstrap 95% interval.

    IQM is the mean of the middle half of all runs × tasks scores (``scipy.stats.trim_mean``
    cutting ⌊N/4⌋ at each end, so with fewer than 4 scores it is the plain mean); Agarwal et al.
    2021 recommend it over the mean (outliers) and the median (variance). The interval is
    undefined with one run (no spread), or when the caller says why in ``undefined``.
    """
    from rliable import library

    value = float(_iqm_of(scores)[0])
    if undefined is None and scores.shape[0] < 2:
        undefined = "one seed: a bootstrap over one run has no spread"
    if undefined is not None:
        return Estimate(value, undefined=undefined)
    with seeded(bootstrap.seed):
        _, intervals = library.get_interval_estimates(
            {"scores": scores}, _iqm_of, method=BOOTSTRAP_METHOD, reps=bootstrap.reps,
            confidence_interval_size=CONFIDENCE)
    low, high = intervals["scores"][:, 0]
    return Estimate(value, float(low), float(high))


def improvement_probability(x: np.ndarray, y: np.ndarray, bootstrap: Bootstrap) -> Estimate:
    """P(X > Y) + ½ P(X = Y) for a random run of X and one of Y, averaged over tasks, with a 95%
    interval from resampling each method's runs independently within each task.

    ``x`` and ``y`` have shape (runs_x, tasks) and (runs_y, tasks). rliable's
    ``metrics.probability_of_improvement`` (the Mann-Whitney U statistic over runs_x × runs_y;
    Agarwal et al. 2021). Undefined interval when either side has one run.
    """
    from rliable import library, metrics

    value = float(metrics.probability_of_improvement(x, y))
    if min(x.shape[0], y.shape[0]) < 2:
        return Estimate(value, undefined="one seed on a side: no interval")
    with seeded(bootstrap.seed):
        _, intervals = library.get_interval_estimates(
            {"pair": (x, y)}, metrics.probability_of_improvement, method=BOOTSTRAP_METHOD,
            reps=bootstrap.reps, confidence_interval_size=CONFIDENCE)
    low, high = intervals["pair"].reshape(2)
    return Estimate(value, float(low), float(high))


@dataclass(frozen=True)
class Pair:
    """How likely method ``a`` beats ``b`` (``probability``; P(b > a) is 1 minus it)."""

    a: str
    b: str
    probability: Estimate

    def to_json(self) -> dict:
        return {"a": self.a, "b": self.b, "a_over_b": self.probability.to_json()}


@dataclass
class Comparison:
    """Methods side by side on one robot × task (or over all of them): IQM and seeds per method,
    which has the highest IQM and whose interval overlaps it, and, if asked, every pair's
    probability of improvement (names in sorted order, ``a`` before ``b``)."""

    iqm: dict[str, Estimate]
    n: dict[str, int]
    pairs: list[Pair] = field(default_factory=list)
    marks: dict[str, str] = field(default_factory=dict)

    def mark(self, method: str) -> str:
        return MARKS.get(self.marks.get(method, ""), "")

    def text(self, method: str) -> str:
        """``0.60 [0.50, 0.70] n=3 ≈``; empty with no finished run."""
        if method not in self.iqm:
            return ""
        estimate = self.iqm[method]
        text = f"{estimate.value:.2f} {estimate.interval_text()} n={self.n[method]}"
        return f"{text} {self.mark(method)}".rstrip()

    def to_json(self) -> dict:
        return {"methods": {m: {"n": n, "iqm": self.iqm[m].to_json() if m in self.iqm else None,
                                "mark": self.marks.get(m)} for m, n in self.n.items()},
                "probability_of_improvement": [pair.to_json() for pair in self.pairs]}


def _mark(comparison: Comparison) -> None:
    """``best``: the highest IQM, every method tied at it (a tie must not read as a winner);
    ``overlaps_best``: another method whose interval shares a point with a best's. No marks when
    a best has no interval."""
    if len(comparison.iqm) < 2:
        return
    top = max(estimate.value for estimate in comparison.iqm.values())
    bests = [m for m, estimate in comparison.iqm.items() if estimate.value == top]
    if any(comparison.iqm[m].low is None for m in bests):
        return
    for method, estimate in comparison.iqm.items():
        if method in bests:
            comparison.marks[method] = BEST
        elif any(estimate.overlaps(comparison.iqm[m]) for m in bests):
            comparison.marks[method] = OVERLAPS_BEST


def compare(scores: dict[str, list[float]], bootstrap: Bootstrap, pairs: bool = True) -> Comparison:
    """Compare methods on one robot × task; ``scores`` maps a method to its runs' success rates
    (possibly none: its runs failed or are unfinished)."""
    import numpy as np

    columns = {m: np.asarray(s, dtype=float).reshape(-1, 1) for m, s in sorted(scores.items())}
    comparison = Comparison(
        iqm={m: iqm(c, bootstrap) for m, c in columns.items() if len(c)},
        n={m: len(c) for m, c in columns.items()})
    if pairs:
        finished = [m for m in columns if len(columns[m])]
        comparison.pairs = [Pair(a, b, improvement_probability(columns[a], columns[b], bootstrap))
                            for i, a in enumerate(finished) for b in finished[i + 1:]]
    _mark(comparison)
    return comparison


@dataclass
class Aggregate:
    """Each method over all the robot × task pairs it has finished runs on (its strata); marks
    only when every method covers the same strata (``not_comparable`` says otherwise)."""

    comparison: Comparison
    strata: dict[str, list[str]]  # method → ["robot/task", ...]
    not_comparable: str | None = None

    def to_json(self) -> dict:
        payload = self.comparison.to_json()
        for method, entry in payload["methods"].items():
            entry["strata"] = self.strata[method]
        del payload["probability_of_improvement"]  # not computed over strata (see aggregate())
        return {"strata": "robot/task", **payload, "not_comparable": self.not_comparable}


def method_scores(report: Report) -> dict[str, dict[str, list[float]]]:
    """method → "robot/task" → the final success rates of its finished runs there (its strata),
    methods and strata sorted."""
    columns: dict[str, dict[str, list[float]]] = {}
    for task, rows in report.tasks.items():
        for robot, cells in rows.items():
            for method, cell in cells.items():
                if cell.n:
                    columns.setdefault(method, {})[f"{robot}/{task}"] = cell.successes
    return {method: dict(sorted(by_stratum.items()))
            for method, by_stratum in sorted(columns.items())}


def score_matrix(by_stratum: dict[str, list[float]]) -> tuple[np.ndarray, str | None]:
    """rliable's (runs, tasks) score matrix of one method's strata (``method_scores``), and why a
    bootstrap over it has no interval (None if it has one).

    With different numbers of seeds per stratum no such matrix exists: the runs are returned as
    one column, and the reason says so.
    """
    import numpy as np

    counts = {len(runs) for runs in by_stratum.values()}
    if len(counts) == 1:
        matrix = np.array(list(by_stratum.values()), dtype=float).T
        return matrix, ("one seed per robot/task: resampling within each has no spread"
                        if matrix.shape[0] < 2 else None)
    matrix = np.array([r for runs in by_stratum.values() for r in runs]).reshape(-1, 1)
    return matrix, (f"seeds per robot/task differ ({min(counts)} to {max(counts)}): no "
                    f"(runs, tasks) score matrix to bootstrap")


def aggregate(report: Report, bootstrap: Bootstrap) -> Aggregate:
    """Per method, the IQM of all its finished runs with a bootstrap stratified over robot × task,
    on the (seeds, robot×task) score matrix. Undefined interval when its strata hold different
    numbers of seeds (no matrix) or one seed each."""
    estimates, n, strata = {}, {}, {}
    for method, by_stratum in method_scores(report).items():
        strata[method] = list(by_stratum)
        n[method] = sum(len(runs) for runs in by_stratum.values())
        matrix, reason = score_matrix(by_stratum)
        estimates[method] = iqm(matrix, bootstrap, undefined=reason)
    result = Aggregate(Comparison(iqm=estimates, n=n), strata)
    if len({tuple(s) for s in strata.values()}) > 1:
        result.not_comparable = "methods cover different robot/task pairs; not marked"
    else:
        _mark(result.comparison)
    return result


def mean_interval(values: np.ndarray, bootstrap: Bootstrap) -> tuple[np.ndarray, np.ndarray]:
    """The 95% percentile-bootstrap interval of the mean over seeds at each point of a curve.

    ``values`` has shape (seeds, points), NaN where a seed has no value. Each replicate draws
    ``bootstrap.reps`` × seeds runs with replacement (from a generator seeded with
    ``bootstrap.seed``) and averages the drawn runs that have a value; as rliable's bootstrap of
    (runs, tasks, frames) scores, the interval is pointwise. Returns (low, high), each of shape
    (points,), NaN where fewer than 2 seeds have a value: no spread, so no interval.
    """
    import numpy as np

    seeds, points = values.shape
    known = np.isfinite(values).sum(axis=0)
    low, high = np.full(points, np.nan), np.full(points, np.nan)
    if seeds < 2 or not (known >= 2).any():
        return low, high
    draws = np.random.default_rng(bootstrap.seed).integers(0, seeds, (bootstrap.reps, seeds))
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a draw of seeds that have no value yet
        means = np.nanmean(values[draws], axis=1)  # (reps, points)
        tails = np.nanpercentile(means, [50 * (1 - CONFIDENCE), 50 * (1 + CONFIDENCE)], axis=0)
    spread = known >= 2
    low[spread], high[spread] = tails[0][spread], tails[1][spread]
    return low, high


@dataclass
class Statistics:
    """The report's statistics: ``cells[task][robot]`` compares the methods there."""

    bootstrap: Bootstrap
    cells: dict[str, dict[str, Comparison]]
    aggregate: Aggregate

    def to_json(self) -> dict:
        return {"score": "final evaluation success rate of each seed",
                "bootstrap": self.bootstrap.to_json(),
                "tasks": {task: {robot: c.to_json() for robot, c in sorted(rows.items())}
                          for task, rows in sorted(self.cells.items())},
                "aggregate": self.aggregate.to_json()}


def report_statistics(report: Report, bootstrap: Bootstrap) -> Statistics:
    """IQM, intervals and probabilities of improvement for every robot × task of ``report``, and
    the per-method aggregate."""
    cells = {task: {robot: compare({m: c.successes for m, c in cells.items()}, bootstrap)
                    for robot, cells in rows.items()}
             for task, rows in report.tasks.items()}
    return Statistics(bootstrap, cells, aggregate(report, bootstrap))
