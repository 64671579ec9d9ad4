"""The report's statistics (report_stats.py): IQM, its stratified-bootstrap interval and the
probability of improvement agree with rliable called directly; one seed has no interval; the
table and --json carry them. Few bootstrap replicates keep it quick."""

from __future__ import annotations

import json

import numpy as np
import pytest
from rliable import library, metrics

from tests.harness.test_run_and_report import _finished_run
from trackbench.harness.plugins import load_registry
from trackbench.harness.report import build_report
from trackbench.harness.report_stats import (
    Bootstrap, aggregate, compare, improvement_probability, iqm, report_statistics)

REGISTRY = load_registry()  # the runs' specs are read with the installed plugins
REPS = 100  # MIN_REPS
FAST = Bootstrap(reps=REPS, seed=3)
# Final success rates of 6 seeds of one method on one robot × task.
SEEDS = [0.10, 0.55, 0.60, 0.62, 0.70, 0.95]


def column(values: list[float]) -> np.ndarray:
    return np.asarray(values, dtype=float).reshape(-1, 1)  # rliable's (runs, tasks)


def rliable_iqm(scores: np.ndarray, seed: int) -> tuple[float, float, float]:
    np.random.seed(seed)
    points, intervals = library.get_interval_estimates(
        {"x": scores}, lambda s: np.array([metrics.aggregate_iqm(s)]), reps=REPS)
    return float(points["x"][0]), *map(float, intervals["x"][:, 0])


@pytest.mark.parametrize("values, by_hand", [
    # 8 scores: drop the 2 lowest and 2 highest, mean of 0.2, 0.3, 0.4, 0.5 (the mean is 0.425).
    ([1.0, 0.0, 0.9, 0.5, 0.4, 0.2, 0.3, 0.1], 0.35),
    # 4 scores: drop 0.0 and 1.0, mean of 0.2 and 0.4 (the mean is 0.4).
    ([0.4, 1.0, 0.0, 0.2], 0.3),
])
def test_iqm_is_the_mean_of_the_middle_half(values, by_hand):
    assert iqm(column(values), FAST).value == pytest.approx(by_hand)


def test_iqm_and_interval_are_rliables(tmp_path):
    estimate = iqm(column(SEEDS), FAST)
    assert (estimate.value, estimate.low, estimate.high) == pytest.approx(
        rliable_iqm(column(SEEDS), seed=3))
    assert estimate.low < estimate.value < estimate.high and estimate.undefined is None
    assert iqm(column(SEEDS), FAST) == estimate  # seeded: reproducible
    assert iqm(column(SEEDS), Bootstrap(reps=REPS, seed=4)) != estimate  # the seed is used


def test_the_bootstrap_leaves_numpys_global_generator_as_it_was():
    np.random.seed(11)
    expected = np.random.random()
    np.random.seed(11)
    iqm(column(SEEDS), FAST)
    assert np.random.random() == expected


def test_one_seed_has_no_interval():
    estimate = iqm(column([0.7]), FAST)
    assert estimate.value == 0.7 and estimate.low is None and estimate.high is None
    assert "one seed" in estimate.undefined
    assert estimate.interval_text() == "[—]"
    assert estimate.to_json() == {"estimate": 0.7, "ci95": None,
                                  "ci95_undefined": estimate.undefined}


def test_a_dominating_method_improves_with_probability_one():
    better, worse = column([0.8, 0.9, 0.85, 1.0]), column([0.1, 0.0, 0.3])
    estimate = improvement_probability(better, worse, FAST)
    assert (estimate.value, estimate.low, estimate.high) == (1.0, 1.0, 1.0)
    assert improvement_probability(worse, better, FAST).value == 0.0


def test_probability_of_improvement_and_interval_are_rliables():
    x, y = column([0.2, 0.5, 0.5, 0.9]), column([0.5, 0.3, 0.6])  # a tie across methods
    estimate = improvement_probability(x, y, FAST)
    np.random.seed(3)
    points, intervals = library.get_interval_estimates(
        {"pair": (x, y)}, metrics.probability_of_improvement, reps=REPS)
    assert estimate.value == pytest.approx(float(points["pair"]))
    assert [estimate.low, estimate.high] == pytest.approx(intervals["pair"].reshape(2).tolist())
    assert 0 < estimate.low < estimate.high < 1
    assert improvement_probability(x, column([0.4]), FAST).low is None  # one seed on a side


def test_marks_the_best_and_the_methods_it_is_not_separated_from():
    comparison = compare({"hi": [0.9, 0.92, 0.95, 1.0], "mid": [0.85, 0.9, 0.95, 0.99],
                          "lo": [0.0, 0.05, 0.1, 0.02], "unfinished": []}, FAST, pairs=False)
    assert comparison.marks == {"hi": "best", "mid": "overlaps_best"}
    assert comparison.text("hi").endswith("n=4 *") and comparison.text("mid").endswith("≈")
    assert comparison.text("unfinished") == "" and comparison.n["unfinished"] == 0
    # No marks when the highest IQM has no interval: nothing to be separated from.
    assert compare({"one": [1.0], "many": [0.2, 0.3, 0.4]}, FAST, pairs=False).marks == {}


def test_methods_tied_at_the_highest_iqm_are_all_marked_best():
    # every method at 0.00 (the CPU budgets' usual result): no method may read as the winner
    tied = compare({"dense": [0.0, 0.0], "grasp": [0.0, 0.0], "reach": [0.0, 0.0]}, FAST, pairs=False)
    assert tied.marks == {"dense": "best", "grasp": "best", "reach": "best"}
    mixed = compare({"a": [0.5, 0.5], "b": [0.5, 0.5], "c": [0.0, 0.1]}, FAST, pairs=False)
    assert mixed.marks == {"a": "best", "b": "best"}


def test_every_pair_of_finished_methods_once_in_name_order():
    comparison = compare({"c": [0.3], "a": [0.1], "b": [0.2], "unfinished": []}, FAST)
    assert [(p.a, p.b) for p in comparison.pairs] == [("a", "b"), ("a", "c"), ("b", "c")]
    assert [p.probability.value for p in comparison.pairs] == [0.0, 0.0, 0.0]


def _write_matrix(out, seeds_per_cell: dict[tuple[str, str, str], list[float]]) -> None:
    for (robot, task, method), successes in seeds_per_cell.items():
        for seed, success in enumerate(successes):
            _finished_run(out, robot, task, method, seed, {"status": "ok", "success_rate": success})


def test_the_aggregate_bootstraps_the_runs_by_tasks_matrix_stratified_by_robot_and_task(tmp_path):
    cells = {("allegro", "cabinet", "dense"): [0.1, 0.4, 0.3],
             ("allegro", "grasp_lift", "dense"): [0.9, 0.7, 0.8],
             ("xhand", "cabinet", "dense"): [0.0, 0.2, 0.1],
             ("xhand", "grasp_lift", "dense"): [0.5, 0.6, 1.0]}
    _write_matrix(tmp_path, cells)
    result = aggregate(build_report(tmp_path, registry=REGISTRY), FAST)
    assert result.strata["dense"] == ["allegro/cabinet", "allegro/grasp_lift", "xhand/cabinet",
                                      "xhand/grasp_lift"]
    matrix = np.array([cells[(robot, task, "dense")] for robot, task in
                       (s.split("/") for s in result.strata["dense"])]).T  # (3 seeds, 4 strata)
    estimate = result.comparison.iqm["dense"]
    assert (estimate.value, estimate.low, estimate.high) == pytest.approx(rliable_iqm(matrix, 3))
    assert result.comparison.n["dense"] == 12


def test_the_aggregate_has_no_interval_without_a_score_matrix(tmp_path):
    _write_matrix(tmp_path, {("allegro", "cabinet", "dense"): [0.1, 0.4, 0.3],
                             ("allegro", "grasp_lift", "dense"): [0.9, 0.7],
                             ("allegro", "cabinet", "task"): [0.2],
                             ("allegro", "grasp_lift", "task"): [0.4]})
    result = aggregate(build_report(tmp_path, registry=REGISTRY), FAST)
    dense, task = result.comparison.iqm["dense"], result.comparison.iqm["task"]
    assert dense.low is None and "seeds per robot/task differ (2 to 3)" in dense.undefined
    assert dense.value == pytest.approx(metrics.aggregate_iqm(np.array([0.1, 0.4, 0.3, 0.9, 0.7])))
    assert task.low is None and "one seed per robot/task" in task.undefined
    assert result.not_comparable is None and result.comparison.marks == {}


def test_the_table_shows_iqm_interval_n_and_one_seed_without_an_interval(cli, tmp_path):
    _write_matrix(tmp_path, {("allegro", "grasp_lift", "dense"): SEEDS,
                             ("allegro", "grasp_lift", "task"): [0.0, 0.08, 0.05],
                             ("xhand", "grasp_lift", "dense"): [0.4]})
    result = cli("report", str(tmp_path), "--bootstrap-reps", str(REPS), "--bootstrap-seed", "3")
    assert result.exit_code == 0, result.output
    estimate = iqm(column(SEEDS), FAST)
    assert f"{estimate.value:.2f} {estimate.interval_text()} n=6 *" in result.stdout
    assert "0.40 [—] n=1" in result.stdout
    assert "probability of improvement" in result.stdout
    assert table_row(result.stdout, "allegro", "dense", "task") == [
        "allegro", "dense", "task", "1.00", "[1.00, 1.00]"]


def table_row(text: str, *first_cells: str) -> list[str]:
    """The cells of the first table row of ``text`` that starts with ``first_cells``."""
    for line in text.splitlines():
        cells = [cell.strip() for cell in line.strip("│ ").split("│")]
        if cells[:len(first_cells)] == list(first_cells):
            return cells
    raise AssertionError(f"no row starting {first_cells} in:\n{text}")


def test_json_carries_the_statistics(cli, tmp_path):
    _write_matrix(tmp_path, {("allegro", "grasp_lift", "dense"): SEEDS,
                             ("allegro", "grasp_lift", "task"): [0.0, 0.08, 0.05],
                             ("xhand", "grasp_lift", "dense"): [0.4]})
    result = cli("report", str(tmp_path), "--json", "--bootstrap-reps", str(REPS),
                 "--bootstrap-seed", "3")
    assert result.exit_code == 0, result.output
    stats = json.loads(result.stdout)["statistics"]
    assert stats["bootstrap"]["reps"] == REPS and stats["bootstrap"]["seed"] == 3
    assert stats["bootstrap"]["confidence"] == 0.95 and "Agarwal" in stats["bootstrap"]["reference"]
    allegro = stats["tasks"]["grasp_lift"]["allegro"]
    assert allegro["methods"]["dense"]["n"] == 6 and allegro["methods"]["dense"]["mark"] == "best"
    assert allegro["methods"]["dense"]["iqm"] == iqm(column(SEEDS), FAST).to_json()
    [pair] = allegro["probability_of_improvement"]
    assert (pair["a"], pair["b"]) == ("dense", "task")
    assert pair["a_over_b"] == {"estimate": 1.0, "ci95": [1.0, 1.0], "ci95_undefined": None}
    one_seed = stats["tasks"]["grasp_lift"]["xhand"]["methods"]["dense"]
    assert one_seed["n"] == 1 and one_seed["iqm"]["ci95"] is None
    assert "one seed" in one_seed["iqm"]["ci95_undefined"]
    dense = stats["aggregate"]["methods"]["dense"]
    assert dense["n"] == 7 and dense["strata"] == ["allegro/grasp_lift", "xhand/grasp_lift"]
    assert "seeds per robot/task differ" in dense["iqm"]["ci95_undefined"]
    assert stats["aggregate"]["not_comparable"] == "methods cover different robot/task pairs; not marked"


def test_report_statistics_covers_every_robot_and_task(tmp_path):
    _write_matrix(tmp_path, {("allegro", "grasp_lift", "dense"): [0.5, 0.6],
                             ("xhand", "cabinet", "task"): [0.1, 0.2]})
    stats = report_statistics(build_report(tmp_path, registry=REGISTRY), FAST)
    assert {task: sorted(rows) for task, rows in stats.cells.items()} == {
        "grasp_lift": ["allegro"], "cabinet": ["xhand"]}
