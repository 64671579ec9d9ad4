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
    assert_user_error(cli("predictor", "eval", str(bad)), "bad.pt", "corrupt")


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
