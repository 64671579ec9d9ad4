"""`trackbench run` planning and skipping, the results store, and `trackbench report`."""

from __future__ import annotations

import json
from pathlib import Path

import torch

from tests.harness.conftest import assert_user_error
from trackbench.harness.matrix import plan
from trackbench.harness.plugins import load_registry
from trackbench.harness.results import RunDir, write_json_atomic
from trackbench.harness.specs import MatrixSpec, RunSpec

TOY_MATRIX = ("--robot", "a,b", "--task", "t", "--method", "m,n", "--seeds", "3")


def test_dry_run_plans_the_cross_product(cli, toy_plugins, tmp_path):
    result = cli("run", *TOY_MATRIX, "--dry-run", "--out", str(tmp_path))
    assert result.exit_code == 0, result.output
    assert "plan: 12 cell(s)" in result.stdout
    for run_id in ("a__t__m__s0", "b__t__n__s2"):
        assert run_id in result.stdout
    assert list(tmp_path.iterdir()) == []  # a dry run writes nothing


def test_one_unknown_name_rejects_the_whole_plan(cli, toy_plugins, tmp_path):
    result = cli("run", "--robot", "a,bb", "--task", "t", "--method", "m,nn", "--dry-run",
                 "--out", str(tmp_path))
    assert_user_error(result, "unknown robot 'bb'", "Did you mean 'b'?", "unknown method 'nn'",
                      "Valid methods: amp, dapg, dense, grasp, m, n, reach, task, track")
    assert "plan:" not in result.output


def test_bad_spec_override_names_plugin_field_and_problem(cli, toy_plugins):
    result = cli("run", "--robot", "a", "--task", "t", "--method", "m", "--set", "task.height=high",
                 "--dry-run")
    assert_user_error(result, "task 't'", "field 'height'", "valid number")
    result = cli("run", "--robot", "a", "--task", "t", "--method", "m", "--set", "task.heigth=1",
                 "--dry-run")
    assert_user_error(result, "task 't'", "field 'heigth'", "Extra inputs are not permitted")


def test_an_override_goes_to_the_selected_plugins_that_declare_the_field():
    matrix = MatrixSpec(robots=["allegro"], tasks=["grasp_lift"], methods=["dense", "track"],
                        overrides={"method": {"preset": "paper", "energy_scale": 0.5}})
    specs = {cell.method: cell.method_spec for cell in plan(matrix, load_registry())}
    assert specs["track"]["preset"] == "paper" and "preset" not in specs["dense"]
    assert specs["track"]["energy_scale"] == specs["dense"]["energy_scale"] == 0.5


def test_cuda_without_a_cuda_device_is_refused_at_plan_time(cli, monkeypatch, tmp_path):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    result = cli("run", "--device", "cuda", "--out", str(tmp_path))
    assert_user_error(result, "--device cuda: torch sees no CUDA device")
    assert_user_error(cli("run", "--device", "gpu", "--dry-run"), "field 'device'")
    assert not any(tmp_path.iterdir())


def test_malformed_options_are_user_errors(cli, toy_plugins):
    assert_user_error(cli("run", "--set", "nonsense", "--dry-run"), "KIND.FIELD=VALUE")
    assert_user_error(cli("run", "--robot", "a,a", "--task", "t", "--method", "m", "--dry-run"),
                      "names repeat")
    assert_user_error(cli("run", "--robot", "a", "--task", "t", "--method", "m", "--seeds", "0",
                          "--dry-run"), "field 'seeds'")


def test_run_without_an_engine_says_so(cli, monkeypatch, tmp_path):
    monkeypatch.setenv("TRACKBENCH_DISABLE_PLUGINS", "engines")  # block the built-in engine
    result = cli("run", "--robot", "allegro", "--out", str(tmp_path))
    assert_user_error(result, "no engine plugin is installed")
    assert list(tmp_path.iterdir()) == []


def test_ppo_settings_are_validated_before_any_cell_runs(cli, toy_plugins, tmp_path):
    base = ("run", "--robot", "a", "--task", "t", "--method", "m", "--out", str(tmp_path))
    assert_user_error(cli(*base, "--set", "ppo.horizon_lenght=8"), "ppo: field 'horizon_lenght'",
                      "Extra inputs are not permitted")
    assert_user_error(cli(*base, "--set", "ppo.gamma=2"), "ppo: field 'gamma'")
    assert_user_error(cli(*base, "--envs", "6", "--set", "ppo.minibatch_size=7"),
                      "ppo.minibatch_size 7 must divide the batch", "6 × 32 = 192")
    assert list(tmp_path.iterdir()) == []  # nothing half-written


def test_ppo_settings_reach_the_planned_cells(cli, toy_plugins, tmp_path):
    result = cli("run", "--robot", "a", "--task", "t", "--method", "m", "--envs", "8", "--dry-run",
                 "--set", "ppo.horizon_length=16", "--set", "ppo.actor_units=[64, 32]")
    assert result.exit_code == 0, result.output
    from trackbench.harness.matrix import plan
    from trackbench.harness.plugins import load_registry
    from trackbench.harness.specs import MatrixSpec

    cell = plan(MatrixSpec(robots=["a"], tasks=["t"], methods=["m"], num_envs=8,
                           overrides={"ppo": {"horizon_length": 16, "actor_units": [64, 32]}}),
                load_registry())[0]
    assert cell.ppo_spec["horizon_length"] == 16 and cell.ppo_spec["actor_units"] == [64, 32]
    assert cell.ppo_spec["learning_rate"] == 1e-4  # the default (cpu) preset fills the rest
    assert cell.ppo_spec["preset"] == "cpu" and cell.ppo_spec["mini_epochs"] == 4


def _finished_run(out: Path, robot: str, task: str, method: str, seed: int, result: dict | None,
                  **settings):
    spec = RunSpec(**{"engine": "mujoco", "robot": robot, "task": task, "method": method,
                      "seed": seed, "agent_steps": 1000, "num_envs": 4, **settings})
    run = RunDir.for_spec(out, spec)
    run.prepare(spec)
    if result is not None:
        run.write_result(result)
    return run


def test_complete_cells_are_skipped(cli, toy_plugins, tmp_path):
    matrix = MatrixSpec(robots=["a"], tasks=["t"], methods=["m"], seeds=2, engine="toy_engine",
                        agent_steps=1000, num_envs=4)
    for cell in plan(matrix, load_registry()):
        run = RunDir.for_spec(tmp_path, cell)
        run.prepare(cell)
        run.write_result({"status": "ok", "success_rate": 0.5, "agent_steps": 1000})
    result = cli("run", "--robot", "a", "--task", "t", "--method", "m", "--seeds", "2",
                 "--engine", "toy_engine", "--steps", "1000", "--envs", "4", "--out", str(tmp_path))
    assert result.exit_code == 0, result.output
    assert result.stdout.count("already complete") == 2
    assert result.stdout.count("done (skip)") == 2


def test_atomic_write_leaves_no_temporary_files(tmp_path):
    target = tmp_path / "result.json"
    write_json_atomic(target, {"success_rate": 0.25})
    write_json_atomic(target, {"success_rate": 0.75})
    assert json.loads(target.read_text()) == {"success_rate": 0.75}
    assert [p.name for p in tmp_path.iterdir()] == ["result.json"]


def test_report_tables_show_iqm_interval_n_and_missing_and_incomplete(cli, tmp_path):
    for seed, success in enumerate((0.5, 0.7, 0.6)):
        _finished_run(tmp_path, "allegro", "grasp_lift", "dense", seed, {"status": "ok", "success_rate": success})
    _finished_run(tmp_path, "xhand", "grasp_lift", "task", 0, None)  # interrupted: no result.json
    _finished_run(tmp_path, "xhand", "cabinet", "dense", 0, {"status": "ok", "success_rate": 1.0})

    result = cli("report", str(tmp_path))
    assert result.exit_code == 0, result.output
    text = result.stdout
    assert "grasp_lift" in text and "cabinet" in text
    # IQM of 3 seeds is their mean; the bootstrap's 2.5% and 97.5% means of 3 resampled are
    # all-0.5 and all-0.7 (each drawn with chance 1/27 > 2.5%).
    assert "0.60 [0.50, 0.70] n=3" in text
    assert "1.00 [—] n=1" in text  # xhand × dense on cabinet: one seed, no interval
    assert "incomplete ×1" in text
    assert "missing" in text  # xhand × dense on grasp_lift was never run

    report = json.loads(cli("report", str(tmp_path), "--json").stdout)
    cell = report["tasks"]["grasp_lift"]["cells"]["allegro"]["dense"]
    assert cell["n"] == 3 and abs(cell["mean"] - 0.6) < 1e-9 and cell["seeds"] == [0, 1, 2]
    assert report["tasks"]["grasp_lift"]["cells"]["xhand"]["task"]["incomplete"] == 1
    assert report["tasks"]["cabinet"]["robots"] == ["xhand"]


def test_report_shows_the_tasks_event_rates_over_seeds(cli, tmp_path):
    # Seed 0 as trackbench wrote result.json before typed events (a top-level lift_rate, the
    # events only in the evaluation's rates); seed 1 as it writes it now.
    _finished_run(tmp_path, "allegro", "grasp_lift", "dense", 0, {
        "status": "ok", "success_rate": 0.0, "lift_rate": 0.25,
        "evaluation": {"success_rate": 0.0, "time_out_rate": 1.0, "lift_rate": 0.25}})
    _finished_run(tmp_path, "allegro", "grasp_lift", "dense", 1, {
        "status": "ok", "success_rate": 0.0, "events": {"lift": 0.75},
        "evaluation": {"success_rate": 0.0, "time_out_rate": 1.0, "lift_rate": 0.75}})
    _finished_run(tmp_path, "allegro", "cabinet", "dense", 0, {  # old: lift_rate null, no lift
        "status": "ok", "success_rate": 0.0, "lift_rate": None,
        "evaluation": {"success_rate": 0.0, "drawer_moved_rate": 0.5, "drawer_at_goal_rate": 0.0}})
    text = cli("report", str(tmp_path)).stdout
    assert "lift 0.50" in text and "drawer_at_goal 0.00 · drawer_moved 0.50" in text
    assert "time_out" not in text and "success 0" not in text  # not task events
    report = json.loads(cli("report", str(tmp_path), "--json").stdout)
    assert report["tasks"]["grasp_lift"]["cells"]["allegro"]["dense"]["lift_rate"] == 0.5
    assert "lift_rate" not in report["tasks"]["cabinet"]["cells"]["allegro"]["dense"]


def test_report_shows_runs_of_a_cell_with_different_settings_as_variants(cli, tmp_path):
    ok, better = {"status": "ok", "success_rate": 0.5}, {"status": "ok", "success_rate": 0.75}
    _finished_run(tmp_path, "allegro", "grasp_lift", "dense", 0, ok, robot_spec={"hand_kp": 40.0})
    _finished_run(tmp_path, "allegro", "grasp_lift", "dense", 1, ok, robot_spec={"hand_kp": 40.0},
                  agent_steps=2000)  # another budget is the same configuration
    _finished_run(tmp_path, "allegro", "grasp_lift", "dense", 2, better,
                  robot_spec={"hand_kp": 80.0})
    report = json.loads(cli("report", str(tmp_path), "--json").stdout)
    cells = report["tasks"]["grasp_lift"]["cells"]["allegro"]
    assert sorted(cells) == ["dense [robot.hand_kp=40.0]", "dense [robot.hand_kp=80.0]"]
    assert cells["dense [robot.hand_kp=40.0]"]["seeds"] == [0, 1]
    assert cells["dense [robot.hand_kp=80.0]"]["mean"] == 0.75
    assert report["notes"] == ["allegro × grasp_lift × dense: runs trained with different "
                               "settings are shown as 2 variants (dense [robot.hand_kp=40.0]: "
                               "robot.hand_kp=40.0; dense [robot.hand_kp=80.0]: "
                               "robot.hand_kp=80.0)"]
    table = cli("report", str(tmp_path)).stdout  # the labels are text, not Rich markup
    assert "P(A > B)" in table and table.count("[robot.hand_kp=80.0]") >= 2


def test_a_variant_may_share_its_run_id_with_the_default_in_one_results_directory(cli, tmp_path):
    """An ablation: the same seed with and without a named option, folders named freely."""
    from trackbench.harness.curves import collect
    from trackbench.harness.plugins import load_registry

    ok = {"status": "ok", "success_rate": 0.5}
    for run in (_finished_run(tmp_path / "base", "allegro", "grasp_lift", "dense", 0, ok),
                _finished_run(tmp_path / "option", "allegro", "grasp_lift", "dense", 0, ok,
                              robot_spec={"hand_kp": 80.0})):
        run.append_metrics({"agent_steps": 500, "success_rate": 0.25})
    both = tmp_path / "both"
    both.mkdir()
    for name in ("base", "option"):
        (both / name).symlink_to(tmp_path / name / "allegro__grasp_lift__dense__s0")
    result = cli("report", str(both), "--json")
    assert result.exit_code == 0, result.output
    cells = json.loads(result.stdout)["tasks"]["grasp_lift"]["cells"]["allegro"]
    assert sorted(cells) == ["dense [robot.hand_kp=40.0]", "dense [robot.hand_kp=80.0]"]  # default 40
    curves = collect(both, registry=load_registry())["grasp_lift"]
    assert sorted(curve.label for curve in curves) == sorted(cells)
    # A third folder of the option's settings with another result is a clash, not a variant.
    _finished_run(tmp_path / "again", "allegro", "grasp_lift", "dense", 0,
                  {"status": "ok", "success_rate": 0.0}, robot_spec={"hand_kp": 80.0})
    (both / "option_again").symlink_to(tmp_path / "again" / "allegro__grasp_lift__dense__s0")
    result = cli("report", str(both), "--json")
    assert "option_again holds run allegro__grasp_lift__dense__s0 too, with the same settings" in (
        " ".join(result.output.split()))
    cells = json.loads(result.stdout)["tasks"]["grasp_lift"]["cells"]["allegro"]
    assert [cell["n"] for cell in cells.values()] == [1, 1]


def test_variant_labels_name_files_by_their_names_and_number_labels_that_collide():
    from trackbench.harness.variants import LABEL_VALUE_CHARS, method_labels

    def spec(seed: int, **method_spec) -> RunSpec:
        return RunSpec(engine="mujoco", robot="allegro", task="grasp_lift", method="track",
                       seed=seed, agent_steps=1000, num_envs=4, method_spec=method_spec)

    labels, _ = method_labels([spec(0, ensemble=[]), spec(1, ensemble=["/x/a.pt", "/y/b.pt"]),
                               spec(0, ensemble=[]), spec(2, ppo_threads=1)])
    assert labels[:3] == ["track [method.ensemble=[], method.ppo_threads=(unset)]",
                          "track [method.ensemble=a.pt,b.pt, method.ppo_threads=(unset)]",
                          "track [method.ensemble=[], method.ppo_threads=(unset)]"]
    long = "z" * LABEL_VALUE_CHARS
    labels, notes = method_labels([spec(0, checkpoint=long + "1"), spec(0, checkpoint=long + "2")])
    assert labels == ["track [variant 1]", "track [variant 2]"]
    assert long + "1" in notes[0] and long + "2" in notes[0]
    labels, notes = method_labels([spec(0), spec(1)])
    assert labels == ["track", "track"] and notes == []


def test_report_takes_copies_of_one_file_as_the_same_setting(cli, tmp_path):
    """benchmarks/learning.sh copies Π_h into each run's folder: identical bytes are one setting,
    other bytes another."""
    ok = {"status": "ok", "success_rate": 0.5}
    runs = tmp_path / "runs"
    files = {}
    for name, content in (("a.pt", b"weights"), ("b.pt", b"weights"), ("c.pt", b"other")):
        files[name] = tmp_path / name
        files[name].write_bytes(content)
    for seed, name in enumerate(("a.pt", "b.pt")):
        _finished_run(runs, "allegro", "grasp_lift", "track", seed, ok,
                      method_spec={"checkpoint": str(files[name])})
    text = " ".join(cli("report", str(runs)).output.split())
    assert "variants" not in text and "n=2" in text
    for seed, names in ((3, ["a.pt", "c.pt"]), (4, ["b.pt", "c.pt"])):  # lists: an ensemble's
        _finished_run(tmp_path / "ensembles", "allegro", "grasp_lift", "track", seed, ok,
                      method_spec={"checkpoint": str(files["c.pt"]),
                                   "ensemble": [str(files[name]) for name in names]})
    text = " ".join(cli("report", str(tmp_path / "ensembles")).output.split())
    assert "variants" not in text and "n=2" in text
    _finished_run(runs, "allegro", "grasp_lift", "track", 2, ok,
                  method_spec={"checkpoint": str(files["c.pt"])})
    cells = json.loads(cli("report", str(runs), "--json").stdout)["tasks"]["grasp_lift"]["cells"]
    assert sorted(cells["allegro"]) == ["track [method.checkpoint=a.pt]",
                                        "track [method.checkpoint=c.pt]"]


def test_report_names_corrupt_files_and_keeps_the_rest(cli, tmp_path):
    _finished_run(tmp_path, "allegro", "grasp_lift", "dense", 0, {"status": "ok", "success_rate": 0.5})
    broken = _finished_run(tmp_path, "allegro", "grasp_lift", "dense", 1, {"status": "ok", "success_rate": 0.1})
    broken.result_file.write_text('{"status": "ok", "succ')
    result = cli("report", str(tmp_path))
    assert_user_error(result, "allegro__grasp_lift__dense__s1", "result.json")
    assert "0.50 [—] n=1" in result.stdout


def test_report_on_missing_or_empty_directory(cli, tmp_path):
    assert_user_error(cli("report", str(tmp_path / "nope")), "results directory not found")
    assert_user_error(cli("report", str(tmp_path)), "no runs in")


def test_metrics_append_as_json_lines(tmp_path):
    run = _finished_run(tmp_path, "a", "t", "m", 0, None)
    run.append_metrics({"agent_steps": 100, "success_rate": 0.0})
    run.append_metrics({"agent_steps": 200, "success_rate": 0.5})
    lines = [json.loads(line) for line in run.metrics_file.read_text().splitlines()]
    assert [line["agent_steps"] for line in lines] == [100, 200]
    assert not run.is_complete()


def test_report_compares_runs_as_they_ran_and_leaves_out_a_setting_that_does_not_validate(
        cli, tmp_path):
    ok = {"status": "ok", "success_rate": 0.5}
    # Seed 0 written before success_ends_episode existed: it ran the old rule, True.
    _finished_run(tmp_path, "allegro", "cabinet", "dense", 0, ok)
    _finished_run(tmp_path, "allegro", "cabinet", "dense", 1, ok,
                  task_spec={"success_ends_episode": True})
    assert "variants" not in cli("report", str(tmp_path)).output
    _finished_run(tmp_path, "allegro", "cabinet", "dense", 2, ok,
                  task_spec={"success_ends_episode": False})
    text = " ".join(cli("report", str(tmp_path)).output.split())
    assert "dense [task.success_ends_episode=True]: task.success_ends_episode=True" in text
    _finished_run(tmp_path, "allegro", "cabinet", "dense", 3, ok,
                  task_spec={"success_ends_episode": "maybe"})
    result = cli("report", str(tmp_path))
    assert_user_error(result, "allegro__cabinet__dense__s3", "spec.json", "success_ends_episode")
    text = " ".join(result.stdout.split())  # the others are still reported, as two variants
    assert "n=2" in text and "n=1" in text


def test_first_seed_plans_seeds_from_k(toy_plugins):
    matrix = MatrixSpec(robots=["a"], tasks=["t"], methods=["m"], seeds=2, first_seed=3,
                        engine="toy_engine", agent_steps=1000, num_envs=4)
    assert [cell.seed for cell in plan(matrix, load_registry())] == [3, 4]


def test_first_seed_runs_seed_k_alone(cli, toy_plugins, tmp_path):
    result = cli("run", "--robot", "a", "--task", "t", "--method", "m", "--first-seed", "1",
                 "--engine", "toy_engine", "--steps", "1000", "--envs", "4", "--out", str(tmp_path),
                 "--dry-run")
    assert result.exit_code == 0, result.output
    assert "s1" in result.stdout and "s0" not in result.stdout


def test_a_negative_first_seed_is_refused(cli, toy_plugins, tmp_path):
    result = cli("run", "--robot", "a", "--task", "t", "--method", "m", "--first-seed", "-1",
                 "--engine", "toy_engine", "--out", str(tmp_path), "--dry-run")
    assert result.exit_code == 2
    assert "first_seed" in result.output and "Traceback" not in result.output
