"""checkpoints/last.pth: nothing in it is unpickled unsafely, and every damaged or incomplete
file is one message naming it (issue 14, cases 1 and 2). The loader is called directly here;
tests/harness/test_resume.py sends the same files through `trackbench run`, and
test_resume_inputs.py through a real resume."""

from __future__ import annotations

import copy
import io
import os
from pathlib import Path

import pytest
import torch

from trackbench.harness.errors import TrackbenchError
from trackbench.harness.training import checkpoint


class RunsCode:
    """Unpickling this runs ``touch marker`` (os.system, as a real payload would)."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return os.system, (f"touch {self.marker}",)


def complete_state() -> dict:
    """The entries a format-2 checkpoint has (values small, types as the trainer writes them)."""
    return {
        "model": {"a2c_network.mu.weight": torch.zeros(2, 3)}, "epoch": 3, "frame": 96,
        "optimizer": {"state": {}, "param_groups": [{"lr": 1e-4, "params": [0]}]},
        "env_state": {"engine": {}}, "last_mean_rewards": -1.0,
        "trackbench": {"format": checkpoint.FORMAT, "epoch": 3, "agent_steps": 96,
                       "train_seconds": 1.5, "metrics_bytes": 120, "agent": {},
                       "episodes": {}, "rng": {}},
    }


def serialized(value) -> bytes:
    buffer = io.BytesIO()
    torch.save(value, buffer)
    return buffer.getvalue()


class FakeRun:
    def __init__(self, folder: Path):
        self.checkpoint_dir = folder


@pytest.fixture
def run_dir(tmp_path) -> FakeRun:
    return FakeRun(tmp_path / "checkpoints")


def write(run_dir: FakeRun, content: bytes) -> Path:
    path = checkpoint.checkpoint_path(run_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    return path


def test_a_complete_checkpoint_loads(run_dir):
    write(run_dir, serialized(complete_state()))
    assert checkpoint.load(run_dir)["frame"] == 96


@pytest.mark.parametrize("where", ["top level", "inside the model", "legacy serialization"])
def test_a_pickled_payload_is_refused_and_never_runs(run_dir, tmp_path, where):
    marker = tmp_path / "ran"
    state = complete_state()
    if where == "inside the model":
        state["model"]["hook"] = RunsCode(marker)
    else:
        state["payload"] = RunsCode(marker)
    buffer = io.BytesIO()
    torch.save(state, buffer, _use_new_zipfile_serialization=where != "legacy serialization")
    path = write(run_dir, buffer.getvalue())
    with pytest.raises(TrackbenchError) as caught:
        checkpoint.load(run_dir)
    message = str(caught.value)
    assert str(path) in message and "'posix.system'" in message and "nothing in it ran" in message
    assert "--force" in message and "weights_only" not in message  # no advice to unpickle it
    assert not marker.exists()


def _without(*keys):
    def change(state):
        target = state
        for key in keys[:-1]:
            target = target[key]
        del target[keys[-1]]
    return change


def _set(value, *keys):
    def change(state):
        target = state
        for key in keys[:-1]:
            target = target[key]
        target[keys[-1]] = value
    return change


GOOD = serialized(complete_state())
DAMAGED_FILES = [  # (name, bytes, fragment of the message)
    ("empty", b"", "is empty or cut short"),
    ("truncated", GOOD[: len(GOOD) // 2], "damaged or not a torch file"),
    ("random bytes", bytes(range(256)) * 8, "damaged or not a torch file"),
    ("text", b"hello, not a checkpoint\n", "damaged or not a torch file"),
    ("a list", serialized([1, 2, 3]), "holds a list, not a dict"),
    ("a tensor", serialized(torch.zeros(3)), "holds a Tensor, not a dict"),
]
INCOMPLETE = [  # (change to a complete state, fragment of the message)
    (_without("model"), "no 'model' entry"),
    (_without("optimizer"), "no 'optimizer' entry"),
    (_without("epoch"), "no 'epoch' entry"),
    (_without("frame"), "no 'frame' entry"),
    (_set([1, 2], "model"), "'model' is list"),
    (_set({}, "model"), "'model' holds no weights"),
    (_set({"w": 1.0}, "model"), "'model' holds no weights"),
    (_set({"state": {}}, "optimizer"), "'optimizer' is not an optimiser state"),
    (_set("96", "frame"), "'frame' is str '96'"),
    (_set(-1, "frame"), "'frame' is int -1"),
    (_set(True, "epoch"), "'epoch' is bool"),
    (_set([], "env_state"), "'env_state' is not a dict"),
    (_set("x", "trackbench"), "'trackbench' is not a dict"),
    (_set(7, "trackbench", "format"), "format 7; this trackbench reads format 2"),
    (_without("trackbench", "agent"), "no 'trackbench.agent' entry"),
    (_without("trackbench", "rng"), "no 'trackbench.rng' entry"),
    (_without("trackbench", "episodes"), "no 'trackbench.episodes' entry"),
    (_without("trackbench", "metrics_bytes"), "no 'trackbench.metrics_bytes' entry"),
    (_set("1.5", "trackbench", "train_seconds"), "'trackbench.train_seconds' is str"),
    (_set(None, "trackbench", "rng"), "'trackbench.rng' is NoneType"),
    (_set({"method": [1]}, "trackbench"), "'trackbench.method' is list"),  # trackbench 0.1
    (_set({"w": torch.tensor([1.0, float("inf")])}, "model"), "non-finite weights ('w')"),
]


@pytest.mark.parametrize("name, content, fragment", DAMAGED_FILES,
                         ids=[c[0] for c in DAMAGED_FILES])
def test_a_damaged_file_is_one_message_naming_it(run_dir, name, content, fragment):
    path = write(run_dir, content)
    with pytest.raises(TrackbenchError, match="--force") as caught:
        checkpoint.load(run_dir)
    assert str(path) in str(caught.value) and fragment in str(caught.value)


@pytest.mark.parametrize("change, fragment", INCOMPLETE, ids=[c[1] for c in INCOMPLETE])
def test_an_incomplete_checkpoint_is_one_message_naming_the_entry(run_dir, change, fragment):
    state = copy.deepcopy(complete_state())
    change(state)
    path = write(run_dir, serialized(state))
    with pytest.raises(TrackbenchError, match="--force") as caught:
        checkpoint.load(run_dir)
    assert str(path) in str(caught.value) and fragment in str(caught.value)


def test_a_checkpoint_of_trackbench_0_1_still_loads(run_dir):
    state = complete_state()
    state["trackbench"] = {"train_seconds": 2.0, "method": {}}
    write(run_dir, serialized(state))
    assert checkpoint.load(run_dir)["trackbench"]["train_seconds"] == 2.0
    del state["trackbench"]
    write(run_dir, serialized(state))
    assert checkpoint.load(run_dir)["epoch"] == 3


def test_without_a_summary_the_agent_steps_come_from_the_checkpoint_or_one_message(run_dir):
    write(run_dir, serialized(complete_state()))
    assert checkpoint.saved_agent_steps(run_dir) == 96
    write(run_dir, b"")
    with pytest.raises(TrackbenchError, match="is empty"):
        checkpoint.saved_agent_steps(run_dir)
