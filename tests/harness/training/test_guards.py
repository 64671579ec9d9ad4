"""Nothing non-finite reaches a checkpoint, physics that always blows up is a failure and not a
0.00, and a dying log writer cannot hang training (issue 11, cases 5 and 6), via `trackbench run`."""

from __future__ import annotations

import errno
import json

import pytest
import torch

from tests.harness.conftest import assert_user_error
from tests.harness.training.cell import RUN_ID, SMALL

DENSE, TRACK = RUN_ID.format(method="dense"), RUN_ID.format(method="track")


def run(cli, out, *args):
    return cli("run", *SMALL, *args, "--out", str(out))


@pytest.mark.parametrize("setting, field", [("robot.base_yaw=nan", "base_yaw"),
                                            ("robot.hand_kp=inf", "hand_kp"),
                                            ("ppo.learning_rate=nan", "learning_rate")])
def test_non_finite_settings_are_refused_before_anything_runs(cli, tmp_path, setting, field):
    result = run(cli, tmp_path, "--method", "dense", "--set", setting)
    assert_user_error(result, f"field '{field}'", "finite number")
    assert not tmp_path.exists() or not any(tmp_path.iterdir())


def test_a_nan_predictor_stops_training_naming_the_track_term(cli, tmp_path):
    from trackbench.plugins.predictors.transformer import Transformer, TransformerSpec

    model = Transformer(TransformerSpec(width=16, depth=1, heads=2, pointnet_width=8))
    broken = model.save(tmp_path / "nan.pt")
    # save() refuses NaN weights, so they are put into the file afterwards, as a file damaged
    # or written by something else would hold them.
    payload = torch.load(broken, weights_only=True)
    for tensor in payload["state_dict"].values():
        if tensor.is_floating_point():
            tensor.fill_(float("nan"))
    torch.save(payload, broken)
    result = run(cli, tmp_path / "runs", "--method", "track", "--set", f"method.checkpoint={broken}")
    assert_user_error(result, TRACK, "reward term 'track' is nan", "env 0",
                      "no checkpoint had been written yet")
    assert not (tmp_path / "runs" / TRACK / "checkpoints" / "last.pth").exists()

    # The corrected setting is accepted: nothing was trained with the broken one.
    good = Transformer(TransformerSpec(width=16, depth=1, heads=2, pointnet_width=8)).save(
        tmp_path / "good.pt")
    fixed = run(cli, tmp_path / "runs", "--method", "track", "--steps", "128",
                "--set", f"method.checkpoint={good}")
    assert fixed.exit_code == 0, fixed.output


@pytest.mark.slow
def test_a_nan_mid_run_keeps_the_previous_checkpoint_and_the_run_resumes(cli, tmp_path, monkeypatch):
    from trackbench.plugins.tasks import lifting

    healthy, calls = lifting.fingertip_progress, {"n": 0}

    def breaks_in_epoch_five(frame):  # 8 control steps per epoch
        calls["n"] += 1
        value = healthy(frame)
        return value * float("nan") if calls["n"] > 4 * 8 else value

    monkeypatch.setattr(lifting, "fingertip_progress", breaks_in_epoch_five)
    checkpoint = tmp_path / DENSE / "checkpoints" / "last.pth"
    result = run(cli, tmp_path, "--method", "dense")
    assert_user_error(result, "reward term 'dense_fingertip' is nan", "during PPO epoch 5",
                      "the checkpoint at epoch 3 (192 agent steps) is intact")
    kept = checkpoint.read_bytes()
    assert torch.load(checkpoint, weights_only=True)["epoch"] == 3
    rows = (tmp_path / DENSE / "metrics.jsonl").read_text().splitlines()
    assert [json.loads(row)["epoch"] for row in rows] == [1, 2, 3, 4]

    monkeypatch.setattr(lifting, "fingertip_progress", healthy)
    resumed = run(cli, tmp_path, "--method", "dense")
    assert resumed.exit_code == 0, resumed.output
    assert "resumed at 192" in resumed.output
    assert kept != checkpoint.read_bytes()  # training went on from it


def test_physics_that_blows_up_every_step_fails_instead_of_reporting_zero(cli, tmp_path):
    result = run(cli, tmp_path, "--method", "dense", "--set", "engine.max_joint_speed=1e-9")
    assert_user_error(result, "64 of the 64 env-steps of epoch 1 (100%) blew up",
                      "engine.max_joint_speed", "no checkpoint had been written yet")
    assert not (tmp_path / DENSE / "checkpoints" / "last.pth").exists()
    assert not (tmp_path / DENSE / "result.json").exists()


def test_instability_counts_reach_metrics_result_and_report(cli, tmp_path):
    result = run(cli, tmp_path, "--method", "dense", "--steps", "128",
                 "--set", "engine.max_joint_speed=1e-9", "--set", "ppo.max_unstable_fraction=1")
    assert result.exit_code == 0, result.output
    assert "blew up in the engine" in result.output
    rows = [json.loads(line) for line in (tmp_path / DENSE / "metrics.jsonl").read_text().splitlines()]
    assert [(row["unstable_env_steps"], row["unstable_fraction"]) for row in rows] == [(64, 1.0)] * 2
    saved = json.loads((tmp_path / DENSE / "result.json").read_text())
    assert saved["unstable_env_steps"] == 128 and saved["unstable_fraction"] == 1.0
    assert saved["evaluation"]["unstable_env_steps"] > 0
    report = json.loads(cli("report", str(tmp_path), "--json").stdout)
    assert report["tasks"]["grasp_lift"]["cells"]["allegro"]["dense"]["unstable_fraction"] == 1.0
    assert "unstable 100.0% of env-steps" in cli("report", str(tmp_path)).stdout


def test_a_tensorboard_write_error_stops_training_instead_of_hanging(cli, tmp_path, monkeypatch):
    from trackbench.harness.training.agent import SyncSummaryWriter

    original, calls = SyncSummaryWriter.add_scalar, {"n": 0}

    def disk_full_after_a_while(self, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] > 60:
            raise OSError(errno.ENOSPC, "No space left on device")
        return original(self, *args, **kwargs)

    monkeypatch.setattr(SyncSummaryWriter, "add_scalar", disk_full_after_a_while)
    result = run(cli, tmp_path, "--method", "dense")
    assert_user_error(result, DENSE, "No space left on device", "no temporary file was left")
    assert not list(tmp_path.rglob(".*.tmp"))
