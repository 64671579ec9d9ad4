"""`trackbench data synth|show`: the synthetic set written to disk reads back through 'trackr'."""

from __future__ import annotations

import json

import numpy as np

from tests.harness.conftest import assert_user_error
from trackbench.harness.safe_load import load_plain_npy
from trackbench.plugins.datasets.synthetic import SyntheticDataset
from trackbench.plugins.datasets.trackr import TrackrDataset


def test_synth_round_trips_through_the_trackr_loader(cli, tmp_path):
    out = tmp_path / "synthetic"
    result = cli("data", "synth", "--out", str(out), "--num", "20", "--seed", "2")
    assert result.exit_code == 0, result.output
    assert "wrote 20 synthetic sequences" in result.output
    files = sorted(out.glob("*/*/*.npy"))
    assert len(files) == 20
    raw = np.load(files[0], allow_pickle=True).item()  # the plain-data reader reads it all
    plain = load_plain_npy(files[0])
    assert plain.keys() == raw.keys() and plain["object_pc"].keys() == raw["object_pc"].keys()

    generated = list(SyntheticDataset(SyntheticDataset.Spec(num_sequences=20, seed=2)).sequences())
    read = {s.name: s for s in TrackrDataset(TrackrDataset.Spec(path=str(out))).sequences()}
    assert sorted(read) == sorted(s.name for s in generated)
    for sequence in generated:
        back = read[sequence.name]
        np.testing.assert_array_equal(back.keypoints, sequence.keypoints)
        np.testing.assert_array_equal(back.object_points, sequence.object_points)
        np.testing.assert_array_equal(back.object_ids, sequence.object_ids)
        assert (back.grasped, back.split) == (sequence.grasped, sequence.split)

    shown = cli("data", "show", "--dataset", "trackr", "--path", str(out), "--json")
    assert shown.exit_code == 0, shown.output
    summary = json.loads(shown.output)
    assert sum(row["sequences"] for row in summary["splits"].values()) == 20
    assert summary["splits"]["train"]["frames"] == sum(
        s.num_frames for s in generated if s.split == "train")


def test_synth_refuses_a_folder_with_files(cli, tmp_path):
    (tmp_path / "keep.txt").write_text("mine")
    assert_user_error(cli("data", "synth", "--out", str(tmp_path), "--num", "2"),
                      "not an empty folder")


def test_show_reports_dataset_errors_cleanly(cli, tmp_path):
    assert_user_error(cli("data", "show", "--dataset", "trackr"), "set its path")
    assert_user_error(cli("data", "show", "--dataset", "trackr", "--path", str(tmp_path)),
                      "no episode files")
    assert_user_error(cli("data", "show", "--dataset", "dexycbb"), "unknown dataset 'dexycbb'",
                      "Did you mean 'dexycb'?")
    two = ("--dataset-path", str(tmp_path), "--set", f"path={tmp_path / 'other'}")
    for command in (("data", "show", "--dataset", "trackr"),
                    ("predictor", "train", "--dataset", "trackr", "--out", str(tmp_path / "p.pt"),
                     "--dataset-set", f"path={tmp_path / 'other'}", "--dataset-path",
                     str(tmp_path))):
        args = command + (two if command[0] == "data" else ())
        assert_user_error(cli(*args), f"--dataset-path {tmp_path} and --set path=", "give one")
    assert_user_error(cli("data", "show", "--dataset", "trackr", "--dataset-path", str(tmp_path),
                          "--set", f"path={tmp_path}"), "no episode files")  # the same folder


class _Touches:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        import os

        return os.system, (f"touch {self.marker}",)


def test_show_refuses_an_episode_file_that_would_run_code(cli, tmp_path):
    root, marker = tmp_path / "data", tmp_path / "ran"
    assert cli("data", "synth", "--out", str(root), "--num", "2").exit_code == 0
    victim = sorted(root.glob("*/*/*.npy"))[0]
    episode = np.load(victim, allow_pickle=True).item()
    tampered = np.array({**episode, "note": _Touches(marker)}, dtype=object)
    np.save(victim, tampered, allow_pickle=True)
    result = cli("data", "show", "--dataset", "trackr", "--path", str(root))
    assert_user_error(result, str(victim), "refused to load", "system'", "Nothing in it was run")
    assert not marker.exists()


def test_retarget_writes_demonstrations_and_their_quality(cli, tmp_path):
    from trackbench.harness.demonstrations import Demonstrations

    out = tmp_path / "demos"
    result = cli("data", "retarget", "--robot", "xhand", "--dataset", "synthetic", "--num", "2",
                 "--out", str(out), "--json")
    assert result.exit_code == 0, result.output
    quality = json.loads(result.output)
    assert quality["demos"] == 2 and quality["limit_violations"] == 0
    assert quality["fingertip_error_cm"]["mean"] < 2.0
    assert quality["arm_actions_clipped"] == 0.0  # retimed to the arm's speed
    assert 0.0 <= quality["replay_success"] <= 1.0
    assert set(quality["replay_events"]) == {"lift", "near"}
    assert 0.0 <= quality["replay_task_success"] <= 1.0
    assert quality["placements"] == {"as recorded": 2}  # grasp_lift has the synthetic objects
    assert json.loads((out / "quality.json").read_text())["demos"] == 2

    demos = Demonstrations.load(out / "demonstrations.npz")
    assert demos.num_demos == 2 and demos.starts[-1] == demos.num_steps == quality["steps"]
    assert demos.actions.shape == (demos.num_steps, 7 + 12)  # xArm7 deltas + XHand's 12 joints
    assert abs(demos.actions).max() <= 1.0
    assert demos.points.shape[1:] == (100, 3) and demos.joint_pos.shape[1] == 19


def test_synth_writes_drawer_openings_that_read_back(cli, tmp_path):
    out = tmp_path / "drawers"
    result = cli("data", "synth", "--out", str(out), "--num", "3", "--drawer-fraction", "1")
    assert result.exit_code == 0, result.output
    read = list(TrackrDataset(TrackrDataset.Spec(path=str(out))).sequences())
    assert len(read) == 3 and all(s.object_ids.tolist() == [0] for s in read)
    assert_user_error(cli("data", "synth", "--out", str(tmp_path / "x"), "--drawer-fraction", "2"),
                      "--drawer-fraction")


def test_retarget_refuses_drawer_openings_on_a_task_without_the_drawer(cli, tmp_path):
    result = cli("data", "retarget", "--robot", "allegro", "--dataset", "synthetic", "--num", "2",
                 "--set", "dataset.drawer_fraction=1.0", "--out", str(tmp_path / "demos"))
    assert_user_error(result, "id 0", "grasp_lift", "drawer_fraction=0")
    assert not (tmp_path / "demos").exists()


def test_show_counts_drawer_openings_apart_from_grasps_and_takes_spec_settings(cli):
    shown = cli("data", "show", "--set", "num_sequences=10", "--set", "drawer_fraction=0.5")
    assert shown.exit_code == 0, shown.output
    counted = int(shown.output.split("drawer handle): ")[1].split()[0])
    assert 0 < counted < 10
    summary = json.loads(cli("data", "show", "--set", "num_sequences=10", "--set",
                             "drawer_fraction=0.5", "--json").output)
    assert summary["not_ycb_object_sequences"] == counted and "0" not in summary["grasped_ids"]
    assert "drawer handle" not in cli("data", "show", "--set", "num_sequences=10").output
    assert_user_error(cli("data", "show", "--set", "drawer_fraction=2"), "drawer_fraction")


def test_retargeted_drawer_openings_open_the_cabinet_by_its_own_rules(cli, tmp_path):
    result = cli("data", "retarget", "--robot", "allegro", "--task", "cabinet", "--dataset",
                 "synthetic", "--num", "2", "--set", "dataset.drawer_fraction=1.0",
                 "--out", str(tmp_path / "demos"), "--json")
    assert result.exit_code == 0, result.output
    quality = json.loads(result.output)
    assert set(quality["replay_events"]) == {"drawer_moved", "drawer_at_goal"}
    assert quality["replay_events"]["drawer_moved"] == 1.0  # each replayed pull moves the drawer
    assert 0.0 <= quality["replay_task_success"] <= quality["replay_events"]["drawer_at_goal"]


def test_an_out_that_cannot_be_created_is_refused_before_any_work(cli, tmp_path):
    (tmp_path / "afile").write_text("mine")
    for command in (("data", "synth", "--num", "2"),
                    ("data", "retarget", "--robot", "allegro", "--dataset", "synthetic",
                     "--num", "1")):
        result = cli(*command, "--out", str(tmp_path / "afile" / "sub"))
        assert_user_error(result, "afile is a file, not a folder")
        assert "retargeting" not in result.output and "synthesising" not in result.output
    assert (tmp_path / "afile").read_text() == "mine"


def test_synth_takes_the_datasets_other_settings_and_refuses_named_ones_twice(cli, tmp_path):
    out = tmp_path / "start"
    result = cli("data", "synth", "--out", str(out), "--num", "2", "--set", "approach=start",
                 "--json")
    assert result.exit_code == 0, result.output
    written = SyntheticDataset(SyntheticDataset.Spec(num_sequences=2, approach="start"))
    default = SyntheticDataset(SyntheticDataset.Spec(num_sequences=2))
    read = {s.name: s for s in TrackrDataset(TrackrDataset.Spec(path=str(out))).sequences()}
    ours = {s.name: s for s in written.sequences()}
    theirs = {s.name: s for s in default.sequences()}
    assert sorted(read) == sorted(ours)
    for name, back in read.items():
        np.testing.assert_array_equal(back.keypoints, ours[name].keypoints)
    def differ(a, b):
        return a.shape != b.shape or not np.allclose(a, b)

    assert any(differ(read[name].keypoints, theirs[name].keypoints) for name in read)
    assert_user_error(cli("data", "synth", "--out", str(tmp_path / "x"), "--set", "seed=3"),
                      "--set seed=…: give it as --seed")
    assert_user_error(cli("data", "synth", "--out", str(tmp_path / "y"), "--set", "approach=up"),
                      "approach")
    assert not (tmp_path / "x").exists() and not (tmp_path / "y").exists()
