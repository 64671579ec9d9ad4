"""Evaluation metrics, checked with predictors whose errors are known in advance."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from tests.plugins.predictors.motion import make_sequences
from trackbench.harness.dataset import HumanSequence
from trackbench.harness.predictor import Predictor, PredictorSpec
from trackbench.harness.predictors.evaluation import evaluate


class Hold(Predictor):
    """The fingertips stay where they last were."""

    name = "hold"
    Spec = PredictorSpec

    def predict(self, inputs):
        return inputs.fingertips.clone()


class ConstantVelocity(Predictor):
    """Extrapolate the last displacement."""

    name = "constant_velocity"
    Spec = PredictorSpec

    def predict(self, inputs):
        previous = torch.cat([inputs.fingertips[:, :1], inputs.fingertips[:, :-1]], dim=1)
        return 2 * inputs.fingertips - previous


def linear_motion(count: int = 4, frames: int = 40) -> list[HumanSequence]:
    """Every joint moves 1 cm per frame along x."""
    sequences = []
    for i in range(count):
        keypoints = np.zeros((frames, 21, 3), dtype=np.float32)
        keypoints[:, :, 0] = 0.01 * np.arange(frames)[:, None]
        keypoints[:, :, 1] = 0.05 * i
        points = np.zeros((frames, 1, 100, 3), dtype=np.float32)
        sequences.append(HumanSequence(f"line{i}", keypoints, points, np.array([2]), 0, "test"))
    return sequences


def test_hold_predictor_matches_the_hold_baseline():
    result = evaluate(Hold(PredictorSpec()), make_sequences(12, seed=2))
    assert result.one_step_cm == pytest.approx(result.one_step_hold_cm, rel=1e-5)
    for horizon in (10, 20):
        assert result.drift_cm[horizon] == pytest.approx(result.drift_hold_cm[horizon], rel=1e-5)
        assert result.drift_hold_cm[horizon] > result.one_step_hold_cm  # errors grow with horizon


def test_errors_are_in_centimetres_per_fingertip():
    result = evaluate(Hold(PredictorSpec()), linear_motion())
    assert result.one_step_hold_cm == pytest.approx(1.0, rel=1e-4)  # 1 cm per frame
    assert result.drift_hold_cm[10] == pytest.approx(10.0, rel=1e-4)
    assert result.drift_hold_cm[20] == pytest.approx(20.0, rel=1e-4)


def test_closed_loop_feeds_predictions_back():
    result = evaluate(ConstantVelocity(PredictorSpec()), linear_motion())
    # Exact extrapolation stays exact only if each fed-back prediction becomes the new history.
    assert result.one_step_cm == pytest.approx(0.0, abs=1e-3)
    assert result.drift_cm[20] == pytest.approx(0.0, abs=1e-2)


def test_horizons_longer_than_every_sequence_are_left_out():
    result = evaluate(Hold(PredictorSpec()), linear_motion(frames=25))
    assert 10 in result.drift_cm and 20 not in result.drift_cm
    assert result.to_json()["drift_cm"] == {"10": result.drift_cm[10]}
