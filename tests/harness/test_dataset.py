"""The dataset contract refuses implausible human hands on load, naming where they came from."""

from __future__ import annotations

from typing import Iterator

import numpy as np
import pytest

from trackbench.harness.dataset import (
    MAX_FINGERTIP_STEP_M, Dataset, DatasetSpec, HumanSequence, plausibility_problems,
)
from trackbench.harness.errors import TrackbenchError
from trackbench.plugins.datasets.human_hand import local_keypoints

FRAMES = 12


def _reach(frames: int = FRAMES) -> np.ndarray:
    """A model hand closing while it moves 2 cm a frame along x: plausible in every way."""
    closure = np.linspace(0.0, 0.8, frames)[:, None].repeat(5, axis=1)
    hand = local_keypoints(closure) + np.array([0.0, 0.3, 0.2])
    hand[..., 0] += 0.02 * np.arange(frames)[:, None]
    return hand.astype(np.float32)


def _sequence(keypoints: np.ndarray, source: str = "") -> HumanSequence:
    frames = len(keypoints)
    return HumanSequence("subject/seq", keypoints, np.zeros((frames, 1, 10, 3), np.float32),
                         np.array([4]), 0, source=source)


class ThirdParty(Dataset):
    """A dataset plugin as a third party writes one: no check of its own."""

    name = "third_party"
    Spec = DatasetSpec
    keypoints = _reach()

    def sequences(self, split: str | None = None) -> Iterator[HumanSequence]:
        yield _sequence(self.keypoints, source="/data/subject/seq.npz")


def _glitch() -> np.ndarray:
    hand = _reach()
    hand[6] += [1.5, 0.0, 0.0]  # one frame 1.5 m away, rigidly (bones unchanged)
    return hand


def _swapped_joints() -> np.ndarray:
    hand = _reach()
    hand[7:, [8, 12]] = hand[7:, [12, 8]]  # index and middle tips exchanged from frame 7
    hand[7:, 8] += [0.0, 0.0, 0.06]
    return hand


def test_a_plausible_hand_and_the_model_hand_pass():
    assert plausibility_problems(_reach()) == []
    assert plausibility_problems(_reach(frames=1)) == []  # one frame: no speed to judge


@pytest.mark.parametrize("change, message", [
    (lambda k: k * 1000, "millimetres"),
    (lambda k: k * 100, "centimetres"),
    (lambda k: k * 0.2, "the hand measures"),
    (lambda k: np.concatenate([k[:, :5], k[:, :1].repeat(16, axis=1)], axis=1), "bone 0-5 is 0"),
    (lambda k: k + np.eye(21)[None, :, :1] * 0.3, "bone 0-1 is"),  # thumb base 30 cm out
    (lambda k: _swapped_joints(), "changes length by"),
    (lambda k: _glitch(), "between frames 5 and 6"),
])
def test_an_implausible_hand_is_named_with_its_problem(change, message):
    problems = plausibility_problems(np.asarray(change(_reach()), dtype=np.float32))
    assert problems and message in "; ".join(problems), problems


def test_speed_limit_sits_between_a_fast_reach_and_a_teleport():
    fast = _reach()
    fast[..., 0] += 0.8 * MAX_FINGERTIP_STEP_M * np.arange(FRAMES)[:, None]
    assert plausibility_problems(fast) == []
    fast[..., 0] += 0.4 * MAX_FINGERTIP_STEP_M * np.arange(FRAMES)[:, None]
    assert plausibility_problems(fast)


def test_every_dataset_plugin_is_checked_on_load_and_the_file_is_named(monkeypatch):
    dataset = ThirdParty(DatasetSpec())
    assert len(list(dataset.sequences())) == 1
    monkeypatch.setattr(ThirdParty, "keypoints", _reach() * 1000)
    with pytest.raises(TrackbenchError) as caught:
        list(dataset.sequences())
    message = str(caught.value)
    assert message.startswith("/data/subject/seq.npz: sequence subject/seq is not a plausible")
    assert "millimetres" in message and "\n" not in message


def test_a_generated_sequence_is_named_by_its_dataset():
    glitchy = type("Generated", (ThirdParty,), {
        "name": "generated",
        "sequences": lambda self, split=None: iter([_sequence(_glitch())]),
    })
    with pytest.raises(TrackbenchError, match="^dataset 'generated': sequence subject/seq .*"
                                              "fingertip moves"):
        list(glitchy(DatasetSpec()).sequences())


def test_a_dataset_without_a_layout_refuses_to_write(tmp_path):
    with pytest.raises(TrackbenchError, match="'third_party' has no on-disk layout"):
        ThirdParty.write(tmp_path, _sequence(_reach()))
    assert list(tmp_path.iterdir()) == []


def test_checked_dataset_spec_checks_the_data_folder_before_anything_is_read(tmp_path):
    from trackbench.harness.dataset import checked_dataset_spec
    from trackbench.harness.plugins import load_registry

    registry = load_registry()
    assert checked_dataset_spec(registry, "synthetic", {"num_sequences": 3}).num_sequences == 3
    a_file = tmp_path / "a_file.npy"
    a_file.write_text("")
    for name in ("trackr", "dexycb"):
        with pytest.raises(TrackbenchError, match=f"dataset '{name}' reads data from disk and no "
                                                  f"folder is set: set its path"):
            checked_dataset_spec(registry, name, {})
        with pytest.raises(TrackbenchError, match="no folder is set: --set here$"):
            checked_dataset_spec(registry, name, {}, how_to_set="--set here")
        with pytest.raises(TrackbenchError, match="no does not exist"):
            checked_dataset_spec(registry, name, {"path": str(tmp_path / "no")})
        with pytest.raises(TrackbenchError, match="a_file.npy is a file; its path is the data"):
            checked_dataset_spec(registry, name, {"path": str(a_file)})
        # a folder without the dataset's files is refused as its loader refuses it (each
        # plugin's tests check the messages agree); a folder with them passes there too
        with pytest.raises(TrackbenchError, match=f"^dataset '{name}': no "):
            checked_dataset_spec(registry, name, {"path": str(tmp_path)})
