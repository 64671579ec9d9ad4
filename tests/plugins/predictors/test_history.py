"""RL-time history buffers and the robot ↔ human fingertip mapping."""

from __future__ import annotations

import pytest
import torch

from trackbench.harness.prediction_history import FingertipMap, PredictionHistory
from trackbench.harness.predictor import Predictor, PredictorSpec
from trackbench.plugins.robots.allegro import Allegro
from trackbench.plugins.robots.xhand import XHand
from trackbench.plugins.predictors.transformer import Transformer, TransformerSpec

CL = 8


class CountingCentroid(Predictor):
    """Object features = centroids; counts how many clouds it encodes."""

    name = "counting"
    Spec = PredictorSpec

    def __init__(self, spec):
        super().__init__(spec)
        self.encoded = 0

    def encode_objects(self, points):
        self.encoded += points[..., 0, 0].numel()
        return points.mean(dim=-2)

    def predict(self, inputs):
        return inputs.fingertips + 0.01


def allegro_keypoints(n: int, seed: int = 0) -> torch.Tensor:
    return torch.rand(n, 4, 3, generator=torch.Generator().manual_seed(seed))


def test_allegro_maps_four_tips_to_five_and_back():
    mapping = FingertipMap(Allegro.Spec())
    robot = allegro_keypoints(6)  # thumb, index, middle, 4th finger
    human = mapping.to_human(robot)
    assert human.shape == (6, 5, 3)
    assert torch.allclose(human[:, [0, 1, 2, 4]], robot)
    assert torch.allclose(human[:, 3], (robot[:, 2] + robot[:, 3]) / 2)  # synthetic ring tip
    assert torch.equal(mapping.to_robot(human), robot)  # round trip drops the ring tip
    assert torch.equal(mapping.robot_tips(robot), robot)


def test_five_finger_hands_map_one_to_one():
    mapping = FingertipMap(XHand.Spec())
    robot = torch.rand(3, 5, 3)
    assert torch.equal(mapping.to_human(robot), robot)
    assert torch.equal(mapping.to_robot(robot), robot)


def test_every_registered_robots_tips_survive_the_round_trip_through_human_fingertips():
    """What track's form=progress relies on: the history's newest human frame mapped back gives
    exactly the robot's fingertip keypoints of that frame."""
    from trackbench.harness.plugins import load_registry

    registry = load_registry()
    for name in registry.names("robots"):
        spec = registry.get("robots", name).cls.Spec()
        if spec.missing_human_fingertips():
            continue
        mapping = FingertipMap(spec)
        keypoints = torch.rand(3, len(spec.keypoints), 3)
        assert torch.allclose(mapping.to_robot(mapping.to_human(keypoints)),
                              mapping.robot_tips(keypoints)), name


def make_history(n: int = 4) -> PredictionHistory:
    return PredictionHistory(CountingCentroid(PredictorSpec(context_length=CL)), Allegro.Spec(), n)


def reset_all(history: PredictionHistory, keypoints, points):
    n = keypoints.shape[0]
    history.reset(torch.arange(n), keypoints, points, torch.tensor([[5, 9]] * n), torch.full((n,), 5))


def test_reset_fills_every_slot_with_the_current_frame():
    history = make_history()
    keypoints, points = allegro_keypoints(4), torch.rand(4, 2, 100, 3)
    reset_all(history, keypoints, points)
    inputs = history.inputs()
    human = FingertipMap(Allegro.Spec()).to_human(keypoints)
    assert torch.equal(inputs.fingertips, human[:, None].expand(4, CL, 5, 3))
    assert torch.allclose(inputs.object_features, points.mean(-2)[:, None].expand(4, CL, 2, 3))
    assert inputs.attention_mask.tolist() == [[0] * (CL - 1) + [1]] * 4
    assert inputs.timesteps.tolist() == [[CL] * (CL - 1) + [0]] * 4
    assert inputs.object_ids.tolist() == [[5, 9]] * 4 and inputs.goal_label.tolist() == [5] * 4


def test_a_step_shifts_the_newest_frame_in():
    history = make_history()
    first, second = allegro_keypoints(4, 0), allegro_keypoints(4, 1)
    reset_all(history, first, torch.rand(4, 2, 100, 3))
    history.push(second, torch.rand(4, 2, 100, 3))
    inputs = history.inputs()
    mapping = FingertipMap(Allegro.Spec())
    assert torch.equal(inputs.fingertips[:, -1], mapping.to_human(second))
    assert torch.equal(inputs.fingertips[:, -2], mapping.to_human(first))
    assert inputs.attention_mask[0].tolist() == [0] * (CL - 2) + [1, 1]
    assert inputs.timesteps[0].tolist() == [CL] * (CL - 2) + [0, 1]
    for _ in range(CL):
        history.push(second, torch.rand(4, 2, 100, 3))
    assert history.inputs().timesteps[0].tolist() == list(range(CL))  # full: no padding left


def test_each_cloud_is_encoded_once_per_step_not_per_slot():
    history = make_history(n=4)
    reset_all(history, allegro_keypoints(4), torch.rand(4, 2, 100, 3))
    assert history.predictor.encoded == 4 * 2
    history.push(allegro_keypoints(4), torch.rand(4, 2, 100, 3))
    assert history.predictor.encoded == 2 * 4 * 2


def test_resetting_some_envs_leaves_the_others_alone():
    history = make_history()
    reset_all(history, allegro_keypoints(4, 0), torch.rand(4, 2, 100, 3))
    history.push(allegro_keypoints(4, 1), torch.rand(4, 2, 100, 3))
    before = history.inputs().fingertips.clone()
    fresh = allegro_keypoints(1, 7)
    history.reset(torch.tensor([2]), fresh, torch.rand(1, 2, 100, 3), torch.tensor([[4, 0]]),
                  torch.tensor([4]))
    inputs = history.inputs()
    assert torch.equal(inputs.fingertips[[0, 1, 3]], before[[0, 1, 3]])
    assert inputs.attention_mask[2].tolist() == [0] * (CL - 1) + [1]
    assert inputs.attention_mask[0].tolist() == [0] * (CL - 2) + [1, 1]
    assert inputs.object_ids[2].tolist() == [4, 0] and inputs.goal_label.tolist() == [5, 5, 4, 5]


def test_prediction_comes_back_in_robot_order():
    history = make_history()
    keypoints = allegro_keypoints(4)
    reset_all(history, keypoints, torch.rand(4, 2, 100, 3))
    assert torch.allclose(history.predict(), keypoints + 0.01)  # the toy predicts +1 cm


def test_transformer_history_prediction_matches_a_direct_call():
    torch.manual_seed(0)
    model = Transformer(TransformerSpec()).eval()
    history = PredictionHistory(model, Allegro.Spec(), 3)
    points = torch.rand(3, 1, 100, 3)
    history.reset(torch.arange(3), allegro_keypoints(3), points, torch.tensor([[2]] * 3),
                  torch.tensor([2] * 3))
    history.push(allegro_keypoints(3, 1), points)
    with torch.inference_mode():  # the history's buffers are inference tensors
        direct = model.predict(history.inputs())[:, -1]
    assert torch.allclose(history.predict_human(), direct, atol=1e-5)


def test_using_the_history_before_a_reset_is_a_programming_error():
    with pytest.raises(RuntimeError, match="before any env was reset"):
        make_history().predict()


# ---- hand_shape=human_rest: the robot's hand presented in the closest human rest shape ---------
def two_rest_shapes() -> torch.Tensor:
    """[2, 5, 3]: a small hand along x and one along y, each centred."""
    along = torch.linspace(-0.02, 0.02, 5)
    flat_x = torch.stack([along, torch.zeros(5), torch.zeros(5)], dim=-1)
    flat_y = flat_x[:, [1, 0, 2]]
    return torch.stack([flat_x, flat_y])


def test_nearest_rest_offsets_keep_the_centroid_and_give_the_nearest_shape():
    from trackbench.harness.prediction_history import nearest_rest_offsets

    rest = two_rest_shapes()
    centre = torch.tensor([0.3, -0.1, 0.2])
    big_along_y = centre + 3 * rest[1]  # the y hand at three times the size
    offsets = nearest_rest_offsets(big_along_y[None], rest)
    shifted = big_along_y[None] + offsets
    assert torch.allclose(shifted.mean(dim=1), centre[None], atol=1e-6)
    assert torch.allclose(shifted[0] - centre, rest[1], atol=1e-6)  # y, not x


def test_human_rest_shapes_are_the_first_frames_centred():
    import numpy as np

    from trackbench.harness.prediction_history import human_rest_shapes
    from trackbench.harness.robot import HUMAN_FINGERTIPS

    class Recorded:  # what human_rest_shapes reads of a HumanSequence
        def __init__(self, seed):
            self.keypoints = np.random.default_rng(seed).random((7, 21, 3))

    sequences = [Recorded(0), Recorded(1)]
    shapes = human_rest_shapes(sequences)
    first = sequences[1].keypoints[0, list(HUMAN_FINGERTIPS)]
    assert shapes.shape == (2, 5, 3)
    assert np.allclose(shapes[1].numpy(), first - first.mean(axis=0), atol=1e-6)
    with pytest.raises(ValueError, match="no human sequences"):
        human_rest_shapes([])


def rest_history(n: int = 4) -> PredictionHistory:
    return PredictionHistory(CountingCentroid(PredictorSpec(context_length=CL)), Allegro.Spec(),
                             n, rest_shapes=two_rest_shapes())


def test_with_rest_shapes_each_episode_keeps_its_reset_offsets_and_predictions_come_back():
    from trackbench.harness.prediction_history import nearest_rest_offsets

    history = rest_history()
    mapping = FingertipMap(Allegro.Spec())
    first, second = allegro_keypoints(4, 0), allegro_keypoints(4, 1)
    reset_all(history, first, torch.rand(4, 2, 100, 3))
    offsets = nearest_rest_offsets(mapping.to_human(first), two_rest_shapes())
    seen = history.inputs().fingertips
    assert torch.allclose(seen[:, -1], mapping.to_human(first) + offsets, atol=1e-6)
    history.push(second, torch.rand(4, 2, 100, 3))  # same offsets, the new frame's fingers
    assert torch.allclose(history.inputs().fingertips[:, -1], mapping.to_human(second) + offsets,
                          atol=1e-6)
    assert torch.allclose(history.newest_robot_tips(), second, atol=1e-6)
    # CountingCentroid predicts +1 cm on every coordinate: in the robot's frame too.
    assert torch.allclose(history.predict(), second + 0.01, atol=1e-6)
    # A new episode of env 0 takes its own offsets; the others keep theirs.
    kept = history.offsets[1:].clone()
    history.reset(torch.tensor([0]), 2 * second[:1], torch.rand(1, 2, 100, 3),
                  torch.tensor([[5, 9]]), torch.tensor([5]))
    assert torch.allclose(history.offsets[0], nearest_rest_offsets(
        mapping.to_human(2 * second[:1]), two_rest_shapes())[0])
    assert torch.equal(history.offsets[1:], kept)


def test_without_rest_shapes_the_history_holds_no_offsets():
    history = make_history()
    reset_all(history, allegro_keypoints(4), torch.rand(4, 2, 100, 3))
    assert history.offsets is None
    assert torch.equal(history.newest_robot_tips(), allegro_keypoints(4))
