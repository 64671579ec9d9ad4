"""`trackbench evaluate`: a run's last checkpoint scored as `run` scores a finished cell."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.harness.conftest import assert_user_error

RUN_ID = "allegro__grasp_lift__dense__s0"
TINY_RUN = ["--robot", "allegro", "--task", "grasp_lift", "--method", "dense", "--envs", "4",
            "--steps", "64", "--set", "task.episode_length=20", "--set", "ppo.horizon_length=8",
            "--set", "ppo.minibatch_size=32", "--set", "ppo.mini_epochs=1",
            "--set", "ppo.eval_episodes=6", "--set", "ppo.actor_units=[32,32]",
            "--set", "ppo.critic_units=[32,32]", "--set", "ppo.pointnet_units=[16,16]"]


@pytest.fixture(scope="module")
def dense_run(tmp_path_factory) -> Path:
    from typer.testing import CliRunner

    from trackbench.harness.cli.app import app

    root = tmp_path_factory.mktemp("evaluate")
    result = CliRunner().invoke(app, ["run", *TINY_RUN, "--out", str(root)])
    assert result.exit_code == 0, result.output
    return root / RUN_ID


def test_evaluate_reproduces_the_runs_own_evaluation(cli, dense_run):
    """The finished run's last checkpoint, evaluated again: the numbers of its result.json."""
    result = cli("evaluate", str(dense_run), "--json")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    written = json.loads((dense_run / "result.json").read_text())
    own = written["evaluation"]
    assert summary["episodes"] == own["episodes"] == 6
    for key in ("success_rate", "episode_return", "seeds", "lift_rate", "near_rate"):
        assert summary[key] == own[key], key
    assert summary["events"] == written["events"]
    assert summary["checkpoint"] == {"epoch": 2, "agent_steps": 64}
    assert summary["max_episode_length"] == 20 and summary["run_id"] == RUN_ID


def test_evaluate_takes_an_episode_count_and_writes_nothing(cli, dense_run):
    before = {path: path.stat().st_mtime_ns for path in dense_run.rglob("*")}
    result = cli("evaluate", str(dense_run), "--episodes", "2")
    assert result.exit_code == 0, result.output
    assert f"{RUN_ID} at epoch 2 (64 agent steps): 2 episodes" in result.stdout
    assert "at most 20 steps each" in result.stdout and "lift" in result.stdout
    assert {path: path.stat().st_mtime_ns for path in dense_run.rglob("*")} == before


def test_evaluate_on_longer_episodes_than_the_run_trained_on(cli, dense_run):
    """--episode-length: the same policy and seeds, a longer horizon; the run is not changed."""
    spec_before = (dense_run / "spec.json").read_text()
    result = cli("evaluate", str(dense_run), "--episodes", "2", "--episode-length", "30",
                 "--json")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["max_episode_length"] == 30
    # Episodes that neither succeed nor fail now run the 30 steps (the run's own end at 20).
    assert 20 < summary["episode_length"] <= 30 or summary["success_rate"] > 0
    assert (dense_run / "spec.json").read_text() == spec_before
    assert_user_error(cli("evaluate", str(dense_run), "--episode-length", "0"),
                      "--episode-length")
    # The task's own bound (TaskSpec), named before any env is built.
    assert_user_error(cli("evaluate", str(dense_run), "--episode-length", str(10**12)),
                      "episode_length")


def test_evaluate_refuses_what_is_no_trained_run(cli, dense_run, tmp_path):
    assert_user_error(cli("evaluate", str(tmp_path / "nowhere")), "not found")
    assert_user_error(cli("evaluate", str(tmp_path)), "no spec.json")
    untrained = tmp_path / "untrained"
    untrained.mkdir()
    shutil.copy(dense_run / "spec.json", untrained / "spec.json")
    assert_user_error(cli("evaluate", str(untrained)), "holds no checkpoint")
    assert_user_error(cli("evaluate", str(dense_run), "--episodes", "0"), "--episodes")


def test_a_run_keeps_the_epochs_asked_and_evaluate_plays_any_of_them(cli, tmp_path):
    """ppo.keep_every=2 with a checkpoint every epoch: epochs 2 and 4 kept beside last.pth;
    --checkpoint plays a kept one (the last kept one is last.pth's weights, so its numbers are
    last's); an unknown one is a user error naming the ones there; resuming with another
    keep_every is allowed (what is kept changes nothing computed)."""
    keep = ["--set", "ppo.checkpoint_every=1", "--set", "ppo.keep_every=2"]
    result = cli("run", *TINY_RUN[:TINY_RUN.index("--steps")], "--steps", "128",
                 *TINY_RUN[TINY_RUN.index("--steps") + 2:], *keep, "--out", str(tmp_path))
    assert result.exit_code == 0, result.output
    run = tmp_path / RUN_ID
    folder = run / "checkpoints"
    assert sorted(p.name for p in folder.iterdir()) == [
        "epoch_000002.json", "epoch_000002.pth", "epoch_000004.json", "epoch_000004.pth",
        "last.json", "last.pth"]
    assert json.loads((folder / "epoch_000002.json").read_text())["agent_steps"] == 64
    assert (folder / "epoch_000002.pth").read_bytes() != (folder / "last.pth").read_bytes()

    def evaluated(*args):
        outcome = cli("evaluate", str(run), "--episodes", "2", "--json", *args)
        assert outcome.exit_code == 0, outcome.output
        return json.loads(outcome.stdout)

    last, fourth, second = evaluated(), evaluated("--checkpoint", "epoch_000004"), \
        evaluated("--checkpoint", "2")
    assert (last["checkpoint_name"], fourth["checkpoint_name"], second["checkpoint_name"]) == \
        ("last", "epoch_000004", "epoch_000002")
    assert second["checkpoint"] == {"epoch": 2, "agent_steps": 64}
    assert fourth["checkpoint"] == last["checkpoint"] == {"epoch": 4, "agent_steps": 128}
    assert fourth["episode_return"] == last["episode_return"]
    assert_user_error(cli("evaluate", str(run), "--checkpoint", "3"),
                      "no checkpoint '3'", "last, epoch_000002, epoch_000004", "ppo.keep_every")

    # Names as people write them; what is not a kept checkpoint is not listed or played.
    assert evaluated("--checkpoint", "epoch_2")["checkpoint_name"] == "epoch_000002"
    (folder / "epoch_abc.pth").write_bytes(b"mine")
    (folder / "epoch_000008.pth").mkdir()
    assert_user_error(cli("evaluate", str(run), "--checkpoint", "8"),
                      "(it has: last, epoch_000002, epoch_000004)")
    assert_user_error(cli("evaluate", str(run), "--checkpoint", "epoch_abc"), "no checkpoint")

    def extend(out: Path, steps: int = 160):
        return cli("run", *TINY_RUN[:TINY_RUN.index("--steps")], "--steps", str(steps),
                   *TINY_RUN[TINY_RUN.index("--steps") + 2:], "--set", "ppo.checkpoint_every=1",
                   "--set", "ppo.keep_every=5", "--out", str(out))

    # Kept checkpoints past the epoch training would continue from are never written over.
    rolled_back = tmp_path / "rolled_back"
    shutil.copytree(tmp_path / RUN_ID, rolled_back / RUN_ID)
    for suffix in (".pth", ".json"):
        shutil.copy(folder / f"epoch_000002{suffix}", rolled_back / RUN_ID / "checkpoints" /
                    f"last{suffix}")
    before = (rolled_back / RUN_ID / "checkpoints" / "epoch_000004.pth").read_bytes()
    assert_user_error(extend(rolled_back), "no longer continues", "epoch_000004, past epoch 2",
                      "--force")
    assert (rolled_back / RUN_ID / "checkpoints" / "epoch_000004.pth").read_bytes() == before
    for suffix in (".pth", ".json"):
        (rolled_back / RUN_ID / "checkpoints" / f"last{suffix}").unlink()
    assert_user_error(extend(rolled_back), "epoch_000002, epoch_000004, past scratch")
    for epoch in (2, 4):
        for suffix in (".pth", ".json"):
            (rolled_back / RUN_ID / "checkpoints" / f"epoch_00000{epoch}{suffix}").unlink()
    assert_user_error(extend(rolled_back), "whose checkpoint", "is missing",
                      "cannot be extended", "--force")

    extended = extend(tmp_path)
    assert extended.exit_code == 0, extended.output
    assert (folder / "epoch_000005.pth").is_file() and not (folder / "epoch_000006.pth").exists()


def test_keep_every_must_be_a_multiple_of_checkpoint_every(cli, tmp_path):
    assert_user_error(cli("run", *TINY_RUN, "--set", "ppo.checkpoint_every=2", "--set",
                          "ppo.keep_every=3", "--dry-run", "--out", str(tmp_path)),
                      "keep_every=3", "multiple of checkpoint_every=2")
