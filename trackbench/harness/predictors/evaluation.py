"""How good is a predictor on held-out sequences: one-step error and closed-loop drift, in cm.

* one-step: full history of CL true frames, error of the predicted next fingertips;
* closed-loop drift at horizon H: start from CL true frames, then feed each prediction back as the
  newest history frame (object clouds stay the recorded ones) and measure the error after H steps,
  which is how Π_h is used when a policy follows it.

Errors are Euclidean distances per fingertip, averaged over fingertips and windows. A "hold"
baseline (the fingertips stay where they last were) is reported beside each figure.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import torch

from trackbench.harness.dataset import HumanSequence
from trackbench.harness.errors import TrackbenchError
from trackbench.harness.predictor import Predictor, PredictorInput, full_history_timing
from trackbench.harness.predictors.windows import (
    cut,
    default_objects,
    long_enough,
    stack,
    to_tensors,
    window_starts,
)

DRIFT_HORIZONS = (10, 20)
MAX_WINDOWS = 2048  # evenly spaced windows beyond this; keeps evaluation to seconds on a CPU
CHUNK = 256


@dataclass
class Evaluation:
    sequences: int
    one_step_windows: int
    one_step_cm: float
    one_step_hold_cm: float
    drift_windows: dict[int, int] = field(default_factory=dict)
    drift_cm: dict[int, float] = field(default_factory=dict)
    drift_hold_cm: dict[int, float] = field(default_factory=dict)

    def to_json(self) -> dict:
        return {key: ({str(k): v for k, v in value.items()} if isinstance(value, dict) else value)
                for key, value in asdict(self).items()}


def _spread(starts: list, limit: int) -> list:
    if len(starts) <= limit:
        return starts
    step = len(starts) / limit
    return [starts[int(i * step)] for i in range(limit)]


def _tip_error_cm(prediction: torch.Tensor, truth: torch.Tensor) -> torch.Tensor:
    """[B] mean over fingertips of the Euclidean distance, in cm."""
    return 100.0 * (prediction - truth).norm(dim=-1).mean(dim=-1)


@torch.inference_mode()
def evaluate(model: Predictor, sequences: list[HumanSequence],
             horizons: tuple[int, ...] = DRIFT_HORIZONS, max_extra_objects: int = 2) -> Evaluation:
    model.eval()
    data = to_tensors(sequences)
    cl = model.context_length
    usable = long_enough(data, cl + 1)
    if not usable:
        raise TrackbenchError(
            f"no evaluation sequence has the {cl + 1} frames one window needs ({len(data)} given)"
        )
    device = model.device
    errors, holds = [], []
    starts = _spread(window_starts(usable, cl + 1), MAX_WINDOWS)
    for chunk in range(0, len(starts), CHUNK):
        windows = [cut(usable[i], s, cl + 1, default_objects(usable[i], max_extra_objects))
                   for i, s in starts[chunk:chunk + CHUNK]]
        fingertips, points, ids, goal = (t.to(device) for t in stack(windows))
        mask, timesteps = full_history_timing(len(windows), cl, device)
        inputs = PredictorInput(fingertips=fingertips[:, :cl], object_ids=ids, goal_label=goal,
                                attention_mask=mask, timesteps=timesteps,
                                object_points=points[:, :cl])
        predicted = model.predict(inputs)[:, -1]
        errors.append(_tip_error_cm(predicted, fingertips[:, cl]))
        holds.append(_tip_error_cm(fingertips[:, cl - 1], fingertips[:, cl]))
    result = Evaluation(sequences=len(usable), one_step_windows=len(starts),
                        one_step_cm=float(torch.cat(errors).mean()),
                        one_step_hold_cm=float(torch.cat(holds).mean()))
    for horizon in horizons:
        drift = _drift(model, data, horizon, max_extra_objects)
        if drift is not None:
            windows, error, hold = drift
            result.drift_windows[horizon] = windows
            result.drift_cm[horizon], result.drift_hold_cm[horizon] = error, hold
    return result


def _drift(model: Predictor, data, horizon: int, max_extra_objects: int
           ) -> tuple[int, float, float] | None:
    """(windows, error after ``horizon`` fed-back steps, hold-baseline error), or None when no
    sequence is long enough."""
    cl, device = model.context_length, model.device
    usable = long_enough(data, cl + horizon)
    if not usable:
        return None
    starts = _spread(window_starts(usable, cl + horizon), MAX_WINDOWS // 4)
    errors, holds = [], []
    for chunk in range(0, len(starts), CHUNK):
        windows = [cut(usable[i], s, cl + horizon, default_objects(usable[i], max_extra_objects))
                   for i, s in starts[chunk:chunk + CHUNK]]
        fingertips, points, ids, goal = (t.to(device) for t in stack(windows))
        features = model.encode_objects(points)  # every frame's clouds once, reused as they slide
        mask, timesteps = full_history_timing(len(windows), cl, device)
        history = fingertips[:, :cl]
        for step in range(horizon):
            inputs = PredictorInput(fingertips=history, object_ids=ids, goal_label=goal,
                                    attention_mask=mask, timesteps=timesteps,
                                    object_features=features[:, step:step + cl])
            predicted = model.predict(inputs)[:, -1]
            history = torch.cat([history[:, 1:], predicted[:, None]], dim=1)
        truth = fingertips[:, cl + horizon - 1]
        errors.append(_tip_error_cm(predicted, truth))
        holds.append(_tip_error_cm(fingertips[:, cl - 1], truth))
    return len(starts), float(torch.cat(errors).mean()), float(torch.cat(holds).mean())
