"""Writes a kill or a full disk cannot tear, and leftovers that are cleaned up (issue 11)."""

from __future__ import annotations

import errno
import os
import subprocess
import sys

import pytest

from tests.harness.conftest import assert_user_error
from trackbench.harness.atomic import (
    atomic_directory,
    atomic_path,
    remove_leftovers,
    write_json_atomic,
)


def test_a_failed_write_keeps_the_old_file_and_leaves_no_temporary_file(tmp_path):
    target = tmp_path / "result.json"
    write_json_atomic(target, {"old": True})
    with pytest.raises(OSError) as raised:
        with atomic_path(target) as temporary:
            temporary.write_bytes(b"half a fi")
            raise OSError(errno.ENOSPC, "No space left on device")
    assert raised.value.errno == errno.ENOSPC and raised.value.filename == str(target)
    assert target.read_text() == '{\n  "old": true\n}'
    assert [p.name for p in tmp_path.iterdir()] == ["result.json"]


def _dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def test_leftovers_of_dead_writers_are_removed_and_live_ones_kept(tmp_path):
    dead, alive = _dead_pid(), os.getpid()
    (tmp_path / f".last.pth.{dead}.tmp").write_bytes(b"x")
    (tmp_path / f".result.json.{alive}.tmp").write_bytes(b"x")
    (tmp_path / ".result.json.k3j2x.tmp").write_bytes(b"x")  # no pid: the writer is unknown
    (tmp_path / f".synth.{dead}.tmp").mkdir()
    (tmp_path / "keep.tmp").write_bytes(b"x")  # not ours
    removed = remove_leftovers(tmp_path)
    assert sorted(p.name for p in removed) == [f".last.pth.{dead}.tmp", f".synth.{dead}.tmp"]
    remove_leftovers(tmp_path, owned=True)  # the caller holds the directory's lock
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.tmp"]


def test_an_atomic_directory_appears_whole_or_not_at_all(tmp_path):
    out = tmp_path / "set"
    with pytest.raises(KeyboardInterrupt):
        with atomic_directory(out) as staging:
            (staging / "0.npy").write_bytes(b"x")
            raise KeyboardInterrupt
    assert list(tmp_path.iterdir()) == []
    with atomic_directory(out) as staging:
        (staging / "0.npy").write_bytes(b"x")
    assert [p.name for p in out.iterdir()] == ["0.npy"]


def test_a_killed_data_synth_leaves_nothing_and_can_be_rerun(cli, tmp_path, monkeypatch):
    from trackbench.plugins.datasets import trackr

    written = {"n": 0}
    original = trackr.write_episode

    def killed_after_two(folder, sequence):
        written["n"] += 1
        if written["n"] > 2:
            raise KeyboardInterrupt
        return original(folder, sequence)

    monkeypatch.setattr(trackr, "write_episode", killed_after_two)
    out = tmp_path / "synth"
    interrupted = cli("data", "synth", "--out", str(out), "--num", "4", "--json")
    assert interrupted.exit_code == 130
    assert list(tmp_path.iterdir()) == []  # no half-written set that a rerun would refuse
    monkeypatch.setattr(trackr, "write_episode", original)
    again = cli("data", "synth", "--out", str(out), "--num", "4", "--json")
    assert again.exit_code == 0, again.output
    assert len(list(out.rglob("*.npy"))) == 4


def test_data_synth_into_a_non_empty_folder_is_refused(cli, tmp_path):
    (tmp_path / "other").write_text("mine")
    assert_user_error(cli("data", "synth", "--out", str(tmp_path), "--num", "2"), "not an empty folder")
    assert (tmp_path / "other").read_text() == "mine"


def test_leftovers_of_one_target_leave_other_files_alone(tmp_path):
    dead = _dead_pid()
    for name in (f".synth.{dead}.tmp", f".notes.{dead}.tmp", f".synth.json.{dead}.tmp"):
        (tmp_path / name).write_bytes(b"x")
    removed = remove_leftovers(tmp_path, target="synth")
    assert [p.name for p in removed] == [f".synth.{dead}.tmp"]
    assert sorted(p.name for p in tmp_path.iterdir()) == [f".notes.{dead}.tmp",
                                                          f".synth.json.{dead}.tmp"]


@pytest.mark.parametrize("umask", [0o022, 0o002, 0o077])
def test_files_are_created_with_the_users_umask(tmp_path, umask):
    """spec.json and result.json are read by others (a shared results folder): created as the
    user's umask says, not 0600 as tempfile.mkstemp would make them."""
    import torch

    from trackbench.harness.atomic import write_bytes_atomic

    previous = os.umask(umask)
    try:
        write_json_atomic(tmp_path / "result.json", {"success_rate": 0.5})
        write_bytes_atomic(tmp_path / "curves.png", b"png")
        with atomic_path(tmp_path / "checkpoints" / "last.pth") as temporary:
            torch.save({"w": torch.zeros(1)}, temporary)
    finally:
        os.umask(previous)
    for name in ("result.json", "curves.png", "checkpoints/last.pth"):
        assert (tmp_path / name).stat().st_mode & 0o777 == 0o666 & ~umask, name


def test_writable_problems_name_what_stands_in_the_way(tmp_path):
    from trackbench.harness.atomic import writable_file_problem, writable_folder_problem

    (tmp_path / "a_file").write_text("mine")
    assert writable_file_problem(tmp_path / "new" / "deeper" / "x.pt") is None
    assert writable_folder_problem(tmp_path / "new" / "runs") is None
    assert writable_file_problem(tmp_path) == f"cannot write {tmp_path}: it is a folder"
    assert writable_file_problem(tmp_path / "a_file" / "x.pt") == (
        f"cannot write {tmp_path}/a_file/x.pt: {tmp_path}/a_file is a file, not a folder")
    assert writable_folder_problem(tmp_path / "a_file") == (
        f"cannot write in {tmp_path}/a_file: it is a file, not a folder")
    assert not (tmp_path / "new").exists()  # checking creates nothing
