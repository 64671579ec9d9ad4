"""`trackbench video`: a trained run's evaluation episodes as an MP4 that decodes frame for frame,
with the method's fingertip targets drawn in; bad inputs get one message and exit status 2."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import pytest
import torch

from tests.harness.conftest import assert_user_error
from tests.harness.test_bad_inputs import play
from trackbench.harness.results import RunDir
from trackbench.harness.specs import RunSpec
from trackbench.harness.video import HOLD_SECONDS

RUN_ID = "allegro__grasp_lift__track__s0"
NUM_ENVS, EPISODE_LENGTH, CONTROL_HZ = 4, 20, 20
# 2 PPO epochs of 4 envs × horizon 8, 20-step episodes, a tiny network: seconds, not minutes.
TINY_RUN = ["--robot", "allegro", "--task", "grasp_lift", "--method", "track",
            "--envs", str(NUM_ENVS), "--steps", "64",
            "--set", f"task.episode_length={EPISODE_LENGTH}",
            "--set", "ppo.horizon_length=8", "--set", "ppo.minibatch_size=32",
            "--set", "ppo.mini_epochs=1", "--set", "ppo.eval_episodes=4",
            "--set", "ppo.actor_units=[32,32]", "--set", "ppo.critic_units=[32,32]",
            "--set", "ppo.pointnet_units=[16,16]"]


def is_cyan(frame: np.ndarray) -> np.ndarray:
    """[H, W] bool: the targets' cyan after H.264. The scene's nearest colour, the can's lit top
    (87, 207, 255), fails the red bound."""
    rgb = frame.astype(int)
    return (rgb[..., 0] < 40) & (rgb[..., 1] > 200) & (rgb[..., 2] > 200)


def decode(path: Path) -> tuple[dict, list[np.ndarray]]:
    import imageio_ffmpeg

    reader = imageio_ffmpeg.read_frames(str(path))
    meta = next(reader)
    width, height = meta["size"]
    return meta, [np.frombuffer(frame, np.uint8).reshape(height, width, 3) for frame in reader]


@pytest.fixture(scope="module")
def track_run(tmp_path_factory) -> Path:
    """A real allegro / grasp_lift / track run with a small untrained Π_h (seeded, so that its
    predictions, and where the targets are drawn, are the same every time)."""
    from typer.testing import CliRunner

    from trackbench.harness.cli.app import app
    from trackbench.plugins.predictors.transformer import Transformer, TransformerSpec

    root = tmp_path_factory.mktemp("video")
    torch.manual_seed(0)
    predictor = Transformer(TransformerSpec(width=16, depth=1, heads=2, pointnet_width=8))
    checkpoint = predictor.save(root / "pi.pt")
    result = CliRunner().invoke(app, ["run", *TINY_RUN, "--set", f"method.checkpoint={checkpoint}",
                                      "--out", str(root / "runs")])
    assert result.exit_code == 0, result.output
    return root / "runs" / RUN_ID


def test_video_writes_every_control_step_and_holds_each_last_frame(cli, track_run, tmp_path):
    out = tmp_path / "films" / "lift.mp4"  # the folder is made
    result = cli("video", str(track_run), "--episodes", "2", "--out", str(out), "--width", "320",
                 "--height", "240", "--json")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    hold = round(HOLD_SECONDS * CONTROL_HZ)
    episodes = summary["episodes"]
    # Env 0 plays evaluation episodes 0 and 4 (rounds of 4 envs), from their evaluation seeds.
    assert [e["evaluation_episode"] for e in episodes] == [0, NUM_ENVS]
    assert [e["seed"] for e in episodes] == [1_000_000, 1_000_000 + NUM_ENVS]
    for episode in episodes:
        assert 1 <= episode["steps"] <= EPISODE_LENGTH
        assert episode["outcome"] in ("success", "failed", "time-out")
        assert set(episode["flags"]) == {"lift", "near"}
        assert episode["frames"] == episode["steps"] + 1 + hold
    assert summary["frames"] == sum(e["frames"] for e in episodes)
    assert summary["fps"] == CONTROL_HZ

    meta, frames = decode(out)
    assert meta["size"] == (320, 240) and meta["fps"] == CONTROL_HZ
    assert len(frames) == summary["frames"]
    assert max(int(is_cyan(frame).sum()) for frame in frames) > 0  # Π_h's targets are drawn
    # The status band: dark (no success, no failure on these frames) with white text.
    band = frames[1][:5].astype(int)
    assert band.mean() < 120 and (band.min(axis=-1) > 200).any()
    assert [p.name for p in out.parent.iterdir()] == ["lift.mp4"]  # no temporary file left


def test_the_scene_alone_has_no_target_cyan(cli, tmp_path):
    """The check above means something: the same scene shows no such pixel without targets."""
    from trackbench.harness.build import make_engine, make_robot, make_task, start_episodes
    from trackbench.harness.plugins import load_registry

    registry = load_registry()
    task = make_task(registry, "grasp_lift")
    engine = make_engine(registry, "mujoco", make_robot(registry, "allegro"), task.scenes(), 1, 0)
    start_episodes(task, engine, 0)
    assert not is_cyan(engine.render(0, 320, 240, "front", keypoints=True, shadows=False)).any()


def test_the_default_output_is_named_after_the_run_and_says_what_it_shows(cli, track_run,
                                                                          tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = cli("video", str(track_run), "--width", "64", "--height", "48", "--env", "3",
                 "--fps", "40")
    assert result.exit_code == 0, result.output
    assert f"wrote {RUN_ID}.mp4 (64×48" in result.stdout and "at 40 fps" in result.stdout
    assert "episode 1 (evaluation episode 3)" in result.stdout
    assert "cyan: the method's fingertip targets" in result.stdout
    _, frames = decode(tmp_path / f"{RUN_ID}.mp4")
    assert len(frames) > round(HOLD_SECONDS * 40)


def test_a_failed_film_leaves_an_existing_video_as_it_was(cli, track_run, tmp_path):
    out = tmp_path / "old.mp4"
    out.write_bytes(b"an earlier video")
    result = cli("video", str(track_run), "--out", str(out), "--camera", "top",
                 "--width", "64", "--height", "48")
    assert_user_error(result, "unknown camera 'top'", "front")  # found at the first frame
    assert out.read_bytes() == b"an earlier video"
    assert [p.name for p in tmp_path.iterdir()] == ["old.mp4"]  # the temporary file is gone


# ---- bad inputs ----------------------------------------------------------------------------------
def crafted_run(tmp: Path, checkpoint: bool = False) -> RunDir:
    """A run directory with spec.json (allegro / grasp_lift / dense, 4 envs) and, if asked, a
    placeholder checkpoint file (enough for the checks made before it is read)."""
    spec = RunSpec(engine="mujoco", robot="allegro", task="grasp_lift", method="dense", seed=0,
                   agent_steps=64, num_envs=4)
    run = RunDir.for_spec(tmp / "runs", spec)
    run.prepare(spec)
    if checkpoint:
        (run.checkpoint_dir / "last.pth").write_bytes(b"placeholder")
    return run


RUN = "{tmp}/runs/allegro__grasp_lift__dense__s0"


@dataclass(frozen=True)
class Row:
    name: str
    argv: tuple[str, ...]  # "{tmp}" is the row's own temporary folder
    fragments: tuple[str, ...]
    setup: Callable[[Path], object] | None = None
    needs_read_only: bool = False


def with_checkpoint(tmp: Path) -> None:
    crafted_run(tmp, checkpoint=True)


def a_file(name: str) -> Callable[[Path], None]:
    return lambda tmp: (tmp / name).write_text("mine")


def read_only_folder(tmp: Path) -> None:
    with_checkpoint(tmp)
    (tmp / "films").mkdir()
    (tmp / "films").chmod(0o555)


ROWS = [
    Row("RUN_DIR missing", ("video", "{tmp}/nope"), ("run directory {tmp}/nope not found",)),
    Row("RUN_DIR a file", ("video", "{tmp}/a_file"), ("a_file is a file, not a run directory",),
        setup=a_file("a_file")),
    Row("RUN_DIR without spec.json", ("video", "{tmp}"), ("has no spec.json",)),
    Row("RUN_DIR without a checkpoint", ("video", RUN), ("holds no checkpoint", "trackbench run"),
        setup=crafted_run),
    Row("spec.json a list", ("video", RUN), ("spec.json is not a run spec",),
        setup=lambda tmp: crafted_run(tmp, checkpoint=True).spec_file.write_text("[]")),
    Row("a damaged checkpoint", ("video", RUN, "--out", "{tmp}/f.mp4"),
        ("last.pth", "damaged or not a torch file"), setup=lambda tmp: (
            crafted_run(tmp).checkpoint_dir / "last.pth").write_bytes(b"\x00garbage")),
    Row("--episodes 0", ("video", RUN, "--episodes", "0"), ("Invalid value", "--episodes"),
        setup=with_checkpoint),
    Row("--out not an MP4", ("video", RUN, "--out", "{tmp}/film.avi"), ("name it *.mp4",),
        setup=with_checkpoint),
    Row("--out under a file", ("video", RUN, "--out", "{tmp}/a_file/film.mp4"),
        ("a_file is a file, not a folder",), setup=lambda tmp: (with_checkpoint(tmp),
                                                               a_file("a_file")(tmp))),
    Row("--out a folder", ("video", RUN, "--out", "{tmp}/films.mp4"), ("it is a folder",),
        setup=lambda tmp: (with_checkpoint(tmp), (tmp / "films.mp4").mkdir())),
    Row("--out in a read-only folder", ("video", RUN, "--out", "{tmp}/films/film.mp4"),
        ("films is not writable",), setup=read_only_folder, needs_read_only=True),
    Row("an odd width", ("video", RUN, "--width", "161"), ("H.264 video needs even sizes",),
        setup=with_checkpoint),
    Row("an env the run does not have", ("video", RUN, "--env", "4", "--out", "{tmp}/f.mp4"),
        ("--env 4: the run has 4 env(s), 0 to 3",), setup=with_checkpoint),
    Row("a checkpoint the run did not keep", ("video", RUN, "--checkpoint", "40", "--out",
                                              "{tmp}/f.mp4"),
        ("no checkpoint '40'", "it has: last", "ppo.keep_every"), setup=with_checkpoint),
]


@pytest.mark.parametrize("row", ROWS, ids=[row.name for row in ROWS])
def test_a_bad_input_gets_one_message(cli, tmp_path, row: Row):
    result, before = play(cli, tmp_path, row)
    assert_user_error(result, *(f.replace("{tmp}", str(tmp_path)) for f in row.fragments))
    assert sorted(str(p) for p in tmp_path.rglob("*")) == before  # nothing was written
