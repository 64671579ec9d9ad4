"""An ensemble of Π_h: the mean of several loaded predictors' next-fingertip predictions.

Why: from a robot's resets, Π_h's closed loop depends on its training seed more than on its data
or training length (docs/results "Session 29"); the mean of six came closer to the object than
the best of them in 5 of 8 robot × task probes (docs/results "Session 30",
``benchmarks/pi_h_ensemble.py``). Not the paper's (one Π_h).
"""

from __future__ import annotations

import torch

from trackbench.harness.errors import TrackbenchError
from trackbench.harness.predictor import Predictor, PredictorInput


class MeanPredictor(Predictor):
    """The mean prediction of ``members`` (loaded Π_h of one context length).

    Object features are the members' own, concatenated along the last axis by
    ``encode_objects`` ([..., P, 3] → [..., F₁ + F₂ + …]) and split again per member, so each
    member reads exactly what it would alone. ``metadata`` is the first member's.

    Raises TrackbenchError for fewer than two members or differing context lengths.
    """

    name = "mean"  # not a plugin: built from loaded predictors, never from a spec

    def __init__(self, members: list[Predictor]):
        if len(members) < 2:
            raise TrackbenchError(f"an ensemble needs at least two predictors, got {len(members)}")
        lengths = sorted({member.context_length for member in members})
        if len(lengths) != 1:
            raise TrackbenchError(f"the ensemble's predictors have different context lengths "
                                  f"{lengths}; train them with the same preset")
        super().__init__(members[0].spec)
        self.members = torch.nn.ModuleList(members)
        self.metadata = dict(members[0].metadata)
        probe = torch.zeros(1, 1, 4, 3, device=members[0].device)  # one env, one cloud of 4 points
        # The feature widths, fixed here so a history restored from a checkpoint splits too.
        with torch.inference_mode():
            self._widths = [int(member.encode_objects(probe).shape[-1]) for member in members]

    def encode_objects(self, points: torch.Tensor) -> torch.Tensor:
        return torch.cat([member.encode_objects(points) for member in self.members], dim=-1)

    def _own_inputs(self, inputs: PredictorInput) -> list[PredictorInput]:
        if inputs.object_features is None:  # raw clouds: each member encodes them itself
            return [inputs] * len(self.members)
        parts = inputs.object_features.split(self._widths, dim=-1)
        return [PredictorInput(fingertips=inputs.fingertips, object_ids=inputs.object_ids,
                               goal_label=inputs.goal_label, attention_mask=inputs.attention_mask,
                               timesteps=inputs.timesteps, object_features=part)
                for part in parts]

    def predict(self, inputs: PredictorInput) -> torch.Tensor:
        """[N, T, 5, 3]: the members' mean."""
        return torch.stack([member.predict(own) for member, own
                            in zip(self.members, self._own_inputs(inputs))]).mean(dim=0)

    def predict_next(self, inputs: PredictorInput) -> torch.Tensor:
        """[N, 5, 3]: the members' mean."""
        return torch.stack([member.predict_next(own) for member, own
                            in zip(self.members, self._own_inputs(inputs))]).mean(dim=0)
