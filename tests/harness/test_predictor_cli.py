"""`trackbench predictor train|eval` through Typer's CliRunner."""

from __future__ import annotations

import json

import torch

from tests.harness.conftest import assert_user_error
from trackbench.plugins.predictors.transformer import Transformer, TransformerSpec


def test_predictor_commands_are_listed(cli):
    result = cli("predictor", "--help")
    assert result.exit_code == 0 and "train" in result.output and "eval" in result.output


def test_eval_of_a_missing_checkpoint_is_a_user_error(cli, tmp_path):
    result = cli("predictor", "eval", str(tmp_path / "none.pt"))
    assert_user_error(result, "none.pt", "does not exist")


def test_eval_of_a_corrupt_checkpoint_names_the_file(cli, tmp_path):
    bad = tmp_path / "bad.pt"
    bad.write_bytes(b"\x00garbage")
    assert_user_error(cli("predictor", "eval", str(bad)), "bad.pt", "damaged or not a torch file")


def test_eval_needs_a_known_dataset(cli, tmp_path):
    path = Transformer(TransformerSpec(width=16, heads=2, depth=1)).save(
        tmp_path / "pi.pt", dataset={"name": "no_such_data", "spec": {}})
    assert_user_error(cli("predictor", "eval", str(path)), "unknown dataset 'no_such_data'")


def test_train_rejects_unknown_names_and_bad_fields(cli, tmp_path):
    out = str(tmp_path / "pi.pt")
    assert_user_error(cli("predictor", "train", "--out", out, "--predictor", "transformr"),
                      "unknown predictor 'transformr'", "Did you mean 'transformer'?")
    assert_user_error(cli("predictor", "train", "--out", out, "--set", "widht=3"),
                      "predictor 'transformer'", "widht")
    assert_user_error(cli("predictor", "train", "--out", out, "--set", "width"), "FIELD=VALUE")
    assert_user_error(cli("predictor", "train", "--out", out, "--preset", "huge"), "preset")


def test_train_keeps_an_existing_checkpoint_unless_forced(cli, tmp_path):
    out = tmp_path / "pi.pt"
    out.write_bytes(b"a run's Pi_h")
    train = ("predictor", "train", "--dataset-set", "num_sequences=20", "--set", "steps=1",
             "--set", "batch_size=8", "--out", str(out), "--json")
    assert_user_error(cli(*train), "pi.pt exists; nothing was trained", "--force")
    assert out.read_bytes() == b"a run's Pi_h"
    result = cli(*train, "--force")
    assert result.exit_code == 0, result.output
    assert torch.load(out, weights_only=True)["metadata"]["training"]["steps"] == 1


def test_train_then_eval_on_the_synthetic_set(cli, tmp_path):
    out = tmp_path / "pi.pt"
    result = cli("predictor", "train", "--dataset", "synthetic", "--dataset-set", "num_sequences=20",
                 "--set", "steps=3", "--set", "batch_size=8", "--out", str(out), "--json")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert summary["checkpoint"] == str(out) and out.is_file()
    assert summary["spec"]["preset"] == "cpu" and summary["spec"]["steps"] == 3
    assert summary["training"]["steps"] == 3 and 10 <= summary["training"]["train_sequences"] < 20
    metadata = torch.load(out, weights_only=True)["metadata"]
    assert metadata["dataset"] == {"name": "synthetic", "spec": metadata["dataset"]["spec"]}
    assert metadata["dataset"]["spec"]["num_sequences"] == 20

    result = cli("predictor", "eval", str(out), "--json")  # the training set's test split
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["dataset"] == "synthetic" and report["split"] == "test"
    assert 1 <= report["sequences"] < 10 and report["one_step_cm"] > 0
    assert set(report["drift_cm"]) == {"10", "20"}

    table = cli("predictor", "eval", str(out), "--split", "val")
    assert table.exit_code == 0 and "closed loop, 20 steps" in table.output
    result = cli("predictor", "eval", str(out), "--split", "nope")
    assert_user_error(result, "no sequences in split 'nope'")


# ---- predictor probe --------------------------------------------------------------------------
TINY_DATA = {"name": "synthetic", "spec": {"num_sequences": 4, "objects": ["036_wood_block"],
                                           "max_objects": 1}}


def tiny_checkpoint(tmp_path):
    """An untrained tiny Π_h whose metadata names a 4-sequence synthetic set (fast to generate)."""
    torch.manual_seed(0)
    return Transformer(TransformerSpec(width=16, heads=2, depth=1, pointnet_width=8)).save(
        tmp_path / "pi.pt", dataset=TINY_DATA)


def test_probe_runs_end_to_end_with_json_and_png(cli, tmp_path):
    from trackbench.harness.png import read_png_size
    from trackbench.harness.predictors.probe_plot import HEIGHT, WIDTH

    path = tiny_checkpoint(tmp_path)
    result = cli("predictor", "probe", "--robot", "allegro", "--task", "grasp_lift", "--envs", "3",
                 "--seconds", "0.5", "--checkpoint", str(path), "--out", str(tmp_path / "out"),
                 "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["robot"] == "allegro" and report["task"] == "grasp_lift" and report["envs"] == 3
    assert report["fingertips"] == 4 and report["control_hz"] == 20.0
    still, human, loop = report["still"], report["human"], report["closed_loop"]
    assert {"first_step_mean_m", "first_step_max_m", "first_steps_mean_m", "first_steps_max_m",
            "ratio_to_human_mean"} <= set(still)
    assert 0 < still["first_step_mean_m"] <= still["first_step_max_m"]
    assert human["dataset"] == "synthetic" and 1 <= human["sequences"] < 4 and human["hz"] == 20.0
    assert 0 < human["speed_mean_m"] <= human["speed_p99_m"] <= human["speed_max_m"]
    assert loop["steps"] == 10 and len(loop["distance_m"]) == len(loop["spread_m"]) == 11
    assert {"min_distance_m", "first_below_3cm_s", "initial_spread_m", "final_spread_m",
            "max_rise_m", "envs_below_3cm"} <= set(loop)
    png = tmp_path / "out" / "probe_allegro_grasp_lift.png"
    assert report["png"] == str(png) and read_png_size(png) == (WIDTH, HEIGHT)

    table = cli("predictor", "probe", "--robot", "xhand", "--task", "cabinet", "--envs", "2",
                "--seconds", "0.2", "--checkpoint", str(path))
    assert table.exit_code == 0, table.output
    assert "still robot, first step" in table.output and "human (synthetic" in table.output
    assert "(robot shape)" in table.output

    rest = cli("predictor", "probe", "--robot", "allegro", "--task", "grasp_lift", "--envs", "3",
               "--seconds", "0.5", "--checkpoint", str(path), "--hand-shape", "human_rest",
               "--json")
    assert rest.exit_code == 0, rest.output
    rested = json.loads(rest.output)
    assert report["hand_shape"] == "robot" and rested["hand_shape"] == "human_rest"
    # Same resets, same Π_h: only what it sees of the hand differs.
    assert rested["closed_loop"]["initial_distance_m"] == loop["initial_distance_m"]
    assert rested["still"]["first_step_mean_m"] != still["first_step_mean_m"]


def test_probe_set_resets_the_env_as_training_would(cli, tmp_path):
    # Training's pre-grasp starts at the pre-grasp itself: the hand starts at the object, far
    # closer than from the task's reset; the settings are reported with the numbers.
    path = tiny_checkpoint(tmp_path)

    def initial_distance(*settings):
        result = cli("predictor", "probe", "--robot", "allegro", "--task", "grasp_lift", "--envs",
                     "1", "--seconds", "0.1", "--checkpoint", str(path), "--json", *settings)
        assert result.exit_code == 0, result.output
        report = json.loads(result.output)
        return report["settings"], report["starts"], report["closed_loop"]["initial_distance_m"]

    plain, no_starts, reset = initial_distance()
    settings, starts, pregrasp = initial_distance("--set", "task.pregrasp_start=1",
                                                  "--set", "task.pregrasp_progress=[1,1]")
    assert plain == {} and no_starts == {}
    assert settings == {"task": {"pregrasp_start": 1, "pregrasp_progress": [1, 1]}}
    assert starts == {"pregrasp_starts_total": 1, "pregrasp_misses_total": 0}
    assert reset > 0.2 and pregrasp < 0.1, (reset, pregrasp)


def test_probe_rejects_bad_names_and_values(cli, tmp_path):
    def probe(*args):
        return cli("predictor", "probe", "--robot", "allegro", "--task", "grasp_lift", *args)

    assert_user_error(cli("predictor", "probe", "--robot", "alegro", "--task", "grasp_lift"),
                      "unknown robot 'alegro'", "Did you mean 'allegro'?")
    assert_user_error(cli("predictor", "probe", "--robot", "allegro", "--task", "grasp"),
                      "unknown task 'grasp'")
    assert_user_error(probe("--envs", "0"), "--envs must be at least 1")
    assert_user_error(probe("--seconds", "-1"), "--seconds must be in")
    assert_user_error(probe("--checkpoint", str(tmp_path / "none.pt")), "none.pt", "does not exist")
    assert_user_error(probe("--preset", "huge"), "preset")
    assert_user_error(probe("--hand-shape", "human"),
                      "--hand-shape must be one of robot, human_rest, got 'human'")
    assert_user_error(probe("--set", "ppo.horizon_length=8"),
                      "predictor probe takes settings of the engine, robot or task",
                      "Π_h is chosen by --preset")
    assert_user_error(probe("--set", "task.episode_lenght=8"), "episode_lenght")
    assert_user_error(probe("--set", "pregrasp_start"), "--set expects KIND.FIELD=VALUE")


def test_probe_never_trains_a_missing_cached_predictor(cli, tmp_path, monkeypatch):
    monkeypatch.setenv("TRACKBENCH_CACHE", str(tmp_path / "cache"))
    result = cli("predictor", "probe", "--robot", "allegro", "--task", "grasp_lift", "--envs", "1")
    assert_user_error(result, "no cached 'transformer' predictor", "does not train")
    assert not (tmp_path / "cache" / "predictors").exists() or \
        not any((tmp_path / "cache" / "predictors").iterdir())


def test_eval_and_run_of_a_malformed_predictor_file_are_one_message(cli, tmp_path):
    """Every case of tests/plugins/predictors/test_checkpoint.py's MALFORMED table through
    `predictor eval FILE`; a few through `run --set method.checkpoint=FILE --dry-run` (checked
    while planning, before any cell)."""
    import pytest

    from tests.plugins.predictors.test_checkpoint import (
        MALFORMED, RunsCode, _metadata, write_malformed,
    )

    path = Transformer(TransformerSpec(width=16, heads=2, depth=1)).save(
        tmp_path / "pi.pt", dataset={"name": "synthetic", "spec": {"num_sequences": 4}})
    marker = tmp_path / "ran"
    cases = [*((name, change, fragment) for name, change, fragment in MALFORMED),
             ("pickled code", _metadata(dataset=RunsCode(marker)), "'posix.system'")]
    for name, change, fragment in cases:
        damaged = write_malformed(tmp_path, path, change)
        try:
            assert_user_error(cli("predictor", "eval", str(damaged)), str(damaged), fragment)
            if name in ("metadata a list", "spec a list", "dataset a string", "predictor a number",
                        "state_dict of numbers", "pickled code", "predictor unknown"):
                assert_user_error(cli("run", "--method", "track", "--set",
                                      f"method.checkpoint={damaged}", "--dry-run"),
                                  str(damaged), fragment)
        except AssertionError as error:
            pytest.fail(f"case '{name}': {error}")
    assert not marker.exists()
    renamed = write_malformed(tmp_path, path, _metadata(predictor="transformer"))
    assert cli("run", "--method", "track", "--set", f"method.checkpoint={renamed}",
               "--dry-run").exit_code == 0


def test_train_records_its_data_folder_as_an_absolute_path(cli, tmp_path, monkeypatch):
    """track's hand_shape=human_rest reads the checkpoint's data again, from wherever it runs."""
    monkeypatch.chdir(tmp_path)
    assert cli("data", "synth", "--out", "data", "--num", "20").exit_code == 0
    result = cli("predictor", "train", "--dataset", "trackr", "--dataset-path", "data", "--set",
                 "steps=1", "--set", "batch_size=8", "--out", "pi.pt", "--json")
    assert result.exit_code == 0, result.output
    spec = torch.load(tmp_path / "pi.pt", weights_only=True)["metadata"]["dataset"]["spec"]
    assert spec["path"] == str(tmp_path / "data")
