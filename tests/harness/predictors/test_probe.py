"""The predictor probe's measures, checked against predictors whose output is known."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from trackbench.harness.dataset import HumanSequence
from trackbench.harness.prediction_history import PredictionHistory
from trackbench.harness.predictor import Predictor, PredictorSpec
from trackbench.harness.predictors import probe
from trackbench.plugins.robots.allegro import Allegro
from trackbench.plugins.robots.xhand import XHand

OFFSET = torch.tensor([0.03, -0.04, 0.0])  # |OFFSET| = 5 cm


class Offset(Predictor):
    """Predicts the newest fingertips plus a fixed offset."""

    name = "offset"
    Spec = PredictorSpec

    def __init__(self, offset: torch.Tensor = OFFSET, context_length: int = 4):
        super().__init__(PredictorSpec(context_length=context_length))
        self.offset = offset

    def predict(self, inputs):
        return inputs.fingertips + self.offset


def make_batch(n: int = 3, robot=None, centre=(0.0, 0.0, 0.05)) -> probe.ResetBatch:
    robot = robot or Allegro.Spec()
    k = len(robot.keypoints)
    generator = torch.Generator().manual_seed(0)
    points = torch.tensor(centre) + 0.01 * torch.randn(n, 1, 20, 3, generator=generator)
    points -= points.mean(dim=2, keepdim=True) - torch.tensor(centre)  # centroid exactly there
    return probe.ResetBatch(
        keypoints=torch.rand(n, k, 3, generator=generator) * 0.1 + torch.tensor([0.0, 0.3, 0.2]),
        points=points, object_ids=torch.full((n, 1), 4), goal_label=torch.full((n,), 4),
        robot=robot)


@pytest.mark.parametrize("robot", [Allegro.Spec(), XHand.Spec()], ids=["allegro", "xhand"])
def test_a_still_robot_is_predicted_to_move_by_the_offset(robot):
    batch = make_batch(robot=robot)
    history = PredictionHistory(Offset(), robot, 3)
    speeds = probe.still_speeds(history, batch, steps=5)
    tips = len(history.map.robot_indices)
    assert speeds.shape == (5, 3, tips)
    assert torch.allclose(speeds, torch.full_like(speeds, float(OFFSET.norm())), atol=1e-6)


def test_rest_shapes_change_what_pi_h_sees_not_the_robot_frame_it_answers_in():
    """An offset predictor moves every fingertip by the offset whatever shape it is shown: with
    rest shapes the still speeds and the closed loop in the robot's frame are unchanged."""
    rest = torch.tensor([[[0.02, 0.0, 0.0], [0.0, 0.01, 0.0], [0.0, 0.0, 0.0],
                          [0.0, -0.01, 0.0], [-0.02, 0.0, 0.0]]])
    batch = make_batch()
    shown = PredictionHistory(Offset(), Allegro.Spec(), 3, rest_shapes=rest)
    speeds = probe.still_speeds(shown, batch, steps=2)
    assert torch.allclose(speeds, torch.full_like(speeds, float(OFFSET.norm())), atol=1e-6)
    seen = shown.inputs().fingertips[:, -1]
    assert torch.allclose(seen - seen.mean(dim=1, keepdim=True), rest.expand(3, -1, -1), atol=1e-6)
    plain = probe.closed_loop(PredictionHistory(Offset(), Allegro.Spec(), 3), batch, steps=4)
    rested = probe.closed_loop(shown, batch, steps=4)
    assert torch.allclose(rested.tips, plain.tips, atol=1e-6)


def test_the_still_history_repeats_the_reset_frame():
    """The prediction at every still step reads only the reset frame (mask fills up with it)."""
    seen = []

    class Recorder(Offset):
        def predict(self, inputs):
            seen.append((inputs.fingertips.clone(), inputs.attention_mask.clone()))
            return super().predict(inputs)

    batch = make_batch()
    history = PredictionHistory(Recorder(context_length=4), Allegro.Spec(), 3)
    probe.still_speeds(history, batch, steps=3)
    first = seen[0][0][:, -1]
    for step, (fingertips, mask) in enumerate(seen):
        assert torch.equal(fingertips, first[:, None].expand_as(fingertips))
        assert mask[0].tolist() == [0] * (3 - step) + [1] * (step + 1)


def test_the_closed_loop_follows_its_own_predictions():
    lift = torch.tensor([0.0, 0.0, 0.01])
    batch = make_batch()
    history = PredictionHistory(Offset(lift), Allegro.Spec(), 3)
    rollout = probe.closed_loop(history, batch, steps=6)
    assert rollout.tips.shape == (7, 3, 4, 3)
    start = batch.keypoints  # every Allegro keypoint is a fingertip
    for step in range(7):
        assert torch.allclose(rollout.tips[step], start + step * lift, atol=1e-6)
    assert torch.allclose(rollout.rise[:, 0], torch.arange(7) * 0.01, atol=1e-6)
    assert torch.allclose(rollout.spread, rollout.spread[:1].expand_as(rollout.spread), atol=1e-6)


def test_closed_loop_summary_times_the_approach():
    # One env whose four tips sit on the target (a one-point cloud) from step 3 on, at 20 Hz.
    centre = torch.zeros(1, 1, 3)
    tips = torch.zeros(6, 1, 4, 3)
    tips[:3] = torch.tensor([0.1, 0.0, 0.0])
    tips[3:, 0, :, 2] = torch.tensor([0.0, 0.0, 0.02, 0.02])
    summary = probe.rollout_summary(probe.Rollout(tips, centre, control_hz=20.0))
    assert summary["steps"] == 5
    assert summary["initial_distance_m"] == pytest.approx(0.1)
    assert summary["first_below_3cm_s"] == pytest.approx(0.15)
    assert summary["min_distance_m"] == pytest.approx(0.01)
    assert summary["envs_below_3cm"] == 1.0
    assert summary["max_rise_m"] == pytest.approx(0.01)
    assert summary["initial_spread_m"] == pytest.approx(0.0)
    assert summary["final_spread_m"] == pytest.approx(0.01)
    assert len(summary["distance_m"]) == 6


def line_sequence(step: float, frames: int = 10) -> HumanSequence:
    """Every joint moves ``step`` m along x per frame; the object sits at the origin."""
    keypoints = np.zeros((frames, 21, 3), dtype=np.float32)
    keypoints[:, :, 0] = (np.arange(frames) * step)[:, None]
    keypoints[:, :, 2] = 0.1
    return HumanSequence(name="line", keypoints=keypoints,
                         object_points=np.zeros((frames, 1, 5, 3), dtype=np.float32),
                         object_ids=np.array([4]), grasped=0)


def test_human_speed_is_per_frame_of_every_fingertip():
    speeds = probe.human_step_speeds([line_sequence(0.01), line_sequence(0.02, frames=4)])
    assert speeds.shape == (9 * 5 + 3 * 5,)
    assert np.allclose(np.sort(speeds), [0.01] * 45 + [0.02] * 15)
    stats = probe.human_statistics([line_sequence(0.01)])
    assert stats["speed_mean_m"] == pytest.approx(0.01)
    assert stats["speed_max_m"] == pytest.approx(0.01)
    assert stats["grasp_distance_mean_m"] == pytest.approx(0.1)  # frame 0: tips 0.1 m above it


def test_probe_reports_speed_against_the_human_data():
    human = probe.human_statistics([line_sequence(0.01)])
    report, rollout = probe.probe(Offset(), make_batch(), seconds=0.5, human=human)
    assert report["still"]["first_step_mean_m"] == pytest.approx(0.05)
    assert report["still"]["ratio_to_human_mean"] == pytest.approx(5.0)
    assert report["closed_loop"]["steps"] == 10 and rollout.tips.shape[0] == 11
    assert report["fingertips"] == 4 and report["envs"] == 3
