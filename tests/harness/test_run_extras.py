"""`trackbench run --video --wandb` on a tiny cell: the cell's evaluation episode filmed to
video.mp4, and an offline W&B run under the cell holding its config, every metrics row and the
video. W&B never reaches the network here (WANDB_MODE=offline). Without the wandb package
--wandb gets one message and exit status 2 before anything starts."""

from __future__ import annotations

import json
import struct
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from tests.harness.conftest import assert_user_error
from tests.harness.test_video import CONTROL_HZ, EPISODE_LENGTH, decode
from trackbench.harness.tracking import wandb_mode
from trackbench.harness.video import CELL_VIDEO, HOLD_SECONDS

RUN_ID = "allegro__grasp_lift__dense__s0"
# 2 PPO epochs of 4 envs × horizon 8, 20-step episodes, a tiny network: seconds of training.
TINY_DENSE_RUN = ["run", "--robot", "allegro", "--task", "grasp_lift", "--method", "dense",
                  "--envs", "4", "--steps", "64", "--set", f"task.episode_length={EPISODE_LENGTH}",
                  "--set", "ppo.horizon_length=8", "--set", "ppo.minibatch_size=32",
                  "--set", "ppo.mini_epochs=1", "--set", "ppo.eval_episodes=4",
                  "--set", "ppo.actor_units=[32,32]", "--set", "ppo.critic_units=[32,32]",
                  "--set", "ppo.pointnet_units=[16,16]"]


@pytest.fixture(scope="module")
def filmed_and_tracked(tmp_path_factory) -> tuple[Path, str]:
    """The results directory of one tiny dense cell run with --video --wandb, and its output."""
    from typer.testing import CliRunner

    from trackbench.harness.cli.app import app

    out = tmp_path_factory.mktemp("extras") / "runs"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("WANDB_MODE", "offline")  # never the network
        patch.setenv("WANDB_SILENT", "true")
        result = CliRunner().invoke(app, [*TINY_DENSE_RUN, "--video", "--wandb", "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out, result.output


def test_run_video_films_one_evaluation_episode_into_the_cell(filmed_and_tracked):
    out, output = filmed_and_tracked
    cell = out / RUN_ID
    video = cell / CELL_VIDEO
    summary = next(line for line in output.splitlines() if line.startswith(f"video of {RUN_ID}"))
    steps = int(summary.split(" steps")[0].rsplit(" ", 1)[1])
    frames = int(summary.split(" frames")[0].rsplit(" ", 1)[1])
    assert str(video) in summary and "evaluation episode 0" in summary
    assert 1 <= steps <= EPISODE_LENGTH
    assert frames == steps + 1 + round(HOLD_SECONDS * CONTROL_HZ)  # first state, steps, hold
    meta, decoded = decode(video)
    assert meta["size"] == (640, 480) and meta["fps"] == CONTROL_HZ
    assert len(decoded) == frames
    assert not [p.name for p in cell.iterdir() if p.name.endswith(".tmp")]


def wandb_records(path: Path):
    """The protobuf records of an offline run's run-<id>.wandb: a 7-byte header (":W&B", magic,
    version), then LevelDB log blocks of 32 KiB whose chunks (crc, length, type) carry them."""
    from wandb.proto import wandb_internal_pb2

    data, position, pending = path.read_bytes(), 7, b""
    assert data[:4] == b":W&B"
    while position + 7 <= len(data):
        room = 32768 - position % 32768
        if room < 7:  # the block's padding
            position += room
            continue
        _, length, kind = struct.unpack("<IHB", data[position:position + 7])
        chunk, position = data[position + 7:position + 7 + length], position + 7 + length
        pending = chunk if kind in (1, 2) else pending + chunk  # full/first, or middle/last
        if kind in (1, 4):
            record = wandb_internal_pb2.Record()
            record.ParseFromString(pending)
            yield record


def values(items) -> dict:
    """Config, history or summary items as a dict; a nested key's parts joined by dots."""
    return {item.key or ".".join(item.nested_key): json.loads(item.value_json) for item in items}


def test_wandb_offline_run_under_the_cell_holds_config_metrics_and_video(filmed_and_tracked):
    out, output = filmed_and_tracked
    cell = out / RUN_ID
    assert "wandb: offline mode" in output
    (run_file,) = (cell / "wandb").glob("offline-run-*/run-*.wandb")
    records = list(wandb_records(run_file))
    (run,) = [r.run for r in records if r.WhichOneof("record_type") == "run"]
    config = values(run.config.update)
    assert run.display_name == RUN_ID and run.run_group == "allegro__grasp_lift__dense"
    assert run.project == "trackbench"
    spec = json.loads((cell / "spec.json").read_text())
    assert {key: config[key] for key in spec} == spec  # the resolved spec, every field
    rows = [values(r.history.item) for r in records if r.WhichOneof("record_type") == "history"]
    metrics = [json.loads(line) for line in (cell / "metrics.jsonl").read_text().splitlines()]
    logged = [row for row in rows if "epoch" in row]
    assert len(metrics) == 2 and [row["agent_steps"] for row in logged] == [32, 64]
    for row, metric in zip(logged, metrics):
        assert row["lr"] == metric["lr"] and row["episodes_total"] == metric["episodes_total"]
    (video_row,) = [row for row in rows if "video._type" in row]
    assert video_row["video._type"] == "video-file" and video_row["agent_steps"] == 64
    copy = run_file.parent / "files" / video_row["video.path"]
    assert copy.read_bytes() == (cell / CELL_VIDEO).read_bytes()
    summary = {key: value for r in records if r.WhichOneof("record_type") == "summary"
               for key, value in values(r.summary.update).items()}
    result = json.loads((cell / "result.json").read_text())
    assert summary["success_rate"] == result["success_rate"]


def test_wandb_without_the_package_is_one_message_before_anything_starts(cli, tmp_path,
                                                                         monkeypatch):
    monkeypatch.setitem(sys.modules, "wandb", None)  # `import wandb` raises ImportError
    result = cli(*TINY_DENSE_RUN, "--wandb", "--out", str(tmp_path / "runs"))
    assert_user_error(result, "--wandb needs the wandb package", "pip install -e '.[wandb]'")
    assert not (tmp_path / "runs").exists()


def test_wandb_is_offline_unless_logged_in_or_told(monkeypatch):
    monkeypatch.delenv("WANDB_MODE", raising=False)
    logged_in = SimpleNamespace(login=lambda prompt, verify: True)
    logged_out = SimpleNamespace(login=lambda prompt, verify: False)
    assert wandb_mode(logged_in) == "online" and wandb_mode(logged_out) == "offline"
    monkeypatch.setenv("WANDB_MODE", "disabled")
    assert wandb_mode(logged_in) == "disabled"
