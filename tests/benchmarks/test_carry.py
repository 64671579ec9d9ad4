"""benchmarks/carry.sh: a stopped run packed into docs/results/carry/ comes back byte for byte with
what exact resume reads; bad input is named, exit 2, and nothing is overwritten."""

from __future__ import annotations

import shutil
import subprocess
import tarfile
from pathlib import Path

CARRY = Path(__file__).resolve().parents[2] / "benchmarks" / "carry.sh"
CELL = "allegro__grasp_lift__track__s0"
CARRIED = {f"{CELL}/spec.json", f"{CELL}/metrics.jsonl", f"{CELL}/checkpoints/last.pth",
           f"{CELL}/checkpoints/last.json", "pi_h.pt", "pi_h_long_s1.pt", "track.log"}


def _repo(tmp_path: Path) -> Path:
    """A copy of the script in a folder laid out as the repository (it works from its root)."""
    (tmp_path / "benchmarks").mkdir()
    shutil.copy(CARRY, tmp_path / "benchmarks" / "carry.sh")
    run = tmp_path / "runs" / "track_ng"
    # An ensemble's further Π_h (pi_h_*.pt) go too; kept epochs and other files stay.
    for name in CARRIED | {f"{CELL}/.lock", f"{CELL}/rl_games/summaries/events.out",
                           f"{CELL}/checkpoints/epoch_000020.pth", "notes.pt"}:
        (run / name).parent.mkdir(parents=True, exist_ok=True)
        (run / name).write_bytes(name.encode() * 3)
    return tmp_path


def _carry(repo: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", str(repo / "benchmarks" / "carry.sh"), *args],
                          capture_output=True, text=True, check=False)


def test_a_packed_run_unpacks_to_what_resume_reads(tmp_path):
    repo = _repo(tmp_path)
    assert _carry(repo, "pack", "runs/track_ng").returncode == 0
    archive = repo / "docs" / "results" / "carry" / "track_ng.tar.gz"
    with tarfile.open(archive) as tar:
        assert {name.removeprefix("track_ng/") for name in tar.getnames()} == CARRIED
    shutil.move(repo / "runs" / "track_ng", repo / "original")
    assert _carry(repo, "unpack", "track_ng").returncode == 0
    for name in CARRIED:
        assert (repo / "runs" / "track_ng" / name).read_bytes() == (
            repo / "original" / name).read_bytes()


def test_bad_input_is_named_with_exit_2_and_nothing_is_overwritten(tmp_path):
    repo = _repo(tmp_path)
    for args, words in ((("pack", "runs/nope"), "no run folder runs/nope"),
                        (("unpack", "nope"), "no docs/results/carry/nope.tar.gz"),
                        (("move", "x"), "usage:"), (("pack",), "usage:")):
        result = _carry(repo, *args)
        assert (result.returncode, words in result.stderr) == (2, True), result.stderr
    assert _carry(repo, "pack", "runs/track_ng").returncode == 0
    spec = repo / "runs" / "track_ng" / CELL / "spec.json"
    spec.write_text("changed since the pack")
    result = _carry(repo, "unpack", "track_ng")
    assert (result.returncode, "exists" in result.stderr) == (2, True)
    assert spec.read_text() == "changed since the pack"
