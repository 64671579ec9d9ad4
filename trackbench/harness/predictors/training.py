"""Teacher-forced training of a predictor on windows of CL + 1 human frames.

Each window gives inputs = frames 0..CL−1 and targets = frames 1..CL (the next fingertips at every
position). Zero-mean Gaussian noise is added to the *input* fingertips and object points only, never
to the targets: the paper's remedy for closed-loop drift. Sequences are split by
``HumanSequence.split``, so no window of a validation sequence is ever trained on.

Each distinct object cloud of a batch is encoded once (objects at rest repeat the same cloud over
many frames), so its point noise is drawn once per batch rather than once per frame as in the
authors' code; with real, jittery poses every frame is distinct and the two coincide.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from trackbench.harness import console
from trackbench.harness.dataset import HumanSequence
from trackbench.harness.errors import TrackbenchError
from trackbench.harness.predictor import Predictor, PredictorInput, timesteps_from_mask
from trackbench.harness.predictors.windows import (
    SequenceTensors,
    long_enough,
    random_objects,
    to_tensors,
    window_starts,
)
from trackbench.harness.threads import torch_threads


class WindowPool:
    """Every training window of CL + 1 frames, and one table of every distinct object cloud."""

    def __init__(self, sequences: list[SequenceTensors], frames: int):
        self.sequences = sequences
        self.starts = window_starts(sequences, frames)
        points = sequences[0].clouds.shape[1]
        # One zero cloud at the end stands in for padding objects (id 0, masked by the model).
        self.clouds = torch.cat([s.clouds for s in sequences] + [torch.zeros(1, points, 3)])
        sizes = torch.tensor([0] + [len(s.clouds) for s in sequences])
        self.offsets = torch.cumsum(sizes, dim=0)[:-1].tolist()
        self.padding_key = len(self.clouds) - 1


@dataclass
class TrainingBatch:
    """Noisy, possibly reset-padded inputs and clean targets. Object clouds come as the batch's
    distinct clouds plus an index, so each is encoded once per step (see :meth:`inputs`)."""

    fingertips: torch.Tensor  # [B, CL, 5, 3] inputs
    clouds: torch.Tensor  # [U, P, 3] the batch's distinct clouds (inputs)
    cloud_keys: torch.Tensor  # [U] their rows in WindowPool.clouds
    cloud_index: torch.Tensor  # [B, CL, n_obj] into clouds
    object_ids: torch.Tensor  # [B, n_obj]
    goal_label: torch.Tensor  # [B]
    attention_mask: torch.Tensor  # [B, CL]
    targets: torch.Tensor  # [B, CL, 5, 3] the clean next fingertips at every position
    loss_mask: torch.Tensor  # [B, CL] 1 where the position is a real frame

    def to(self, device: torch.device | str) -> "TrainingBatch":
        return TrainingBatch(**{k: v.to(device) for k, v in self.__dict__.items()})

    def inputs(self, model: Predictor) -> PredictorInput:
        features = model.encode_objects(self.clouds)[self.cloud_index]
        return PredictorInput(
            fingertips=self.fingertips, object_ids=self.object_ids, goal_label=self.goal_label,
            attention_mask=self.attention_mask,
            timesteps=timesteps_from_mask(self.attention_mask, pad=model.context_length),
            object_features=features,
        )


def sample_batch(pool: WindowPool, spec, rng: np.random.Generator,
                 generator: torch.Generator) -> TrainingBatch:
    """``spec.batch_size`` random windows, reset-padded with probability ``spec.reset_padding``,
    fingertips spread per ``spec.fingertip_spread`` (:func:`spread_fingertips`), with Gaussian
    noise on the input fingertips and on every input cloud's points.

    A reset-padded window with ``p`` padded slots begins where ``spec.reset_windows`` says: at
    its sequence's first frame (``sequence_start``: slots p.. hold frames 0.., as an episode's
    history holds its first frames) or at any window start (``anywhere``: its first p frames are
    overwritten)."""
    cl, batch_size = spec.context_length, spec.batch_size
    picks = rng.integers(0, len(pool.starts), size=batch_size)
    chosen = []
    for pick in picks:
        sequence_index, start = pool.starts[pick]
        sequence = pool.sequences[sequence_index]
        chosen.append((sequence_index, start, random_objects(sequence, spec.max_extra_objects, rng)))
    padded = np.where(rng.random(batch_size) < spec.reset_padding,
                      rng.integers(1, cl, size=batch_size) if cl > 1 else 0, 0)
    from_start = (padded > 0) & (spec.reset_windows == "sequence_start")
    n_obj = max(len(objects) for _, _, objects in chosen)
    keys = torch.full((batch_size, cl, n_obj), pool.padding_key, dtype=torch.long)
    ids = torch.zeros(batch_size, n_obj, dtype=torch.long)
    fingertips, goal = [], []
    for row, (sequence_index, start, objects) in enumerate(chosen):
        sequence = pool.sequences[sequence_index]
        index = torch.as_tensor(objects)
        # Frames of slots 0..CL (inputs 0..CL-1, targets 1..CL); a sequence-start window shifts
        # them right by its padding, so its first real slot holds frame 0.
        shift = int(padded[row]) if from_start[row] else 0
        frames = torch.clamp(torch.arange(cl + 1) - shift, min=0) + (0 if shift else start)
        fingertips.append(sequence.fingertips[frames])
        local = sequence.cloud_index[frames[:cl]][:, index]
        keys[row, :, :len(objects)] = pool.offsets[sequence_index] + local
        ids[row, :len(objects)] = sequence.object_ids[index]
        goal.append(sequence.goal_label)
    fingertips = spread_fingertips(torch.stack(fingertips), spec.fingertip_spread, rng)
    targets = fingertips[:, 1:].clone()
    inputs, keys, mask = pad_like_reset(fingertips[:, :cl], keys, torch.as_tensor(padded))
    unique, cloud_index = torch.unique(keys, return_inverse=True)
    return TrainingBatch(
        fingertips=inputs + spec.keypoint_noise * torch.randn(inputs.shape, generator=generator),
        clouds=pool.clouds[unique] + spec.point_noise * torch.randn(
            (len(unique), *pool.clouds.shape[1:]), generator=generator),
        cloud_keys=unique, cloud_index=cloud_index, object_ids=ids,
        goal_label=torch.tensor(goal, dtype=torch.long), attention_mask=mask, targets=targets,
        loss_mask=mask.float(),
    )


def spread_fingertips(fingertips: torch.Tensor, spread: tuple[float, float],
                      rng: np.random.Generator) -> torch.Tensor:
    """[B, L, 5, 3] windows with each fingertip's offset from the fingertips' centroid in its
    frame, d, made s·d (s one factor per window and finger drawn uniformly from ``spread`` =
    [low, high], the same in every frame), then re-centred so every frame keeps its centroid:
    the hand's path is the recorded one, its shape is wider (s > 1) or narrower. [1, 1] returns
    the windows as they are and draws nothing, so training without it samples what it sampled
    before."""
    low, high = spread
    if low == high == 1.0:
        return fingertips
    scales = torch.as_tensor(rng.uniform(low, high, size=(fingertips.shape[0], 1,
                                                          fingertips.shape[2], 1)),
                             dtype=fingertips.dtype)
    centroid = fingertips.mean(dim=2, keepdim=True)
    offsets = scales * (fingertips - centroid)
    return centroid + offsets - offsets.mean(dim=2, keepdim=True)


def pad_like_reset(fingertips: torch.Tensor, objects: torch.Tensor, pads: torch.Tensor
                   ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Make window b look like an RL history ``pads[b]`` steps after a reset: its first
    ``pads[b]`` slots repeat frame ``pads[b]`` and are masked out (mask 0). ``objects`` is any
    per-slot tensor [B, L, ...] (clouds, cloud keys)."""
    batch, length = fingertips.shape[:2]
    slot = torch.arange(length)[None].expand(batch, length)
    source = torch.maximum(slot, pads[:, None])  # padded slots read the first real frame
    rows = torch.arange(batch)[:, None]
    mask = (slot >= pads[:, None]).long()
    return fingertips[rows, source], objects[rows, source], mask


def masked_loss(prediction: torch.Tensor, targets: torch.Tensor, mask: torch.Tensor,
                kind: str) -> torch.Tensor:
    """Mean |error| (l1) or error² (mse) over coordinates and real positions."""
    error = prediction - targets
    per_coordinate = error.abs() if kind == "l1" else error.square()
    per_position = per_coordinate.mean(dim=(-1, -2))
    return (per_position * mask).sum() / mask.sum().clamp(min=1.0)


def planned_steps(spec, num_windows: int) -> int:
    if spec.epochs is not None:
        return max(1, math.ceil(spec.epochs * num_windows / spec.batch_size))
    return int(spec.steps)


def train_predictor(model: Predictor, train_sequences: list[HumanSequence],
                    val_sequences: list[HumanSequence], progress: bool = True,
                    threads: int = 1) -> dict[str, Any]:
    """Train ``model`` in place (AdamW, spec's loss, noise and schedule); return a summary.

    ``threads``: torch CPU threads while training (0 = leave torch's setting). One is the
    default because a small model gains little from a second thread on an idle 2-core machine
    (17 vs 22 ms per step) and loses badly when another process shares the cores: OpenMP's
    spinning workers then slowed steps 20–60× in our measurements.
    """
    with torch_threads(threads if model.device.type == "cpu" else 0):
        return _train(model, train_sequences, val_sequences, progress)


def _train(model: Predictor, train_sequences: list[HumanSequence],
           val_sequences: list[HumanSequence], progress: bool) -> dict[str, Any]:
    from trackbench.harness.predictors.evaluation import evaluate

    spec = model.spec
    frames = spec.context_length + 1
    train = long_enough(to_tensors(train_sequences), frames)
    if not train:
        raise TrackbenchError(
            f"no training sequence has the {frames} frames one window needs "
            f"({len(train_sequences)} training sequences given)"
        )
    pool = WindowPool(train, frames)
    steps = planned_steps(spec, len(pool.starts))
    torch.manual_seed(spec.seed)
    rng = np.random.default_rng(spec.seed)
    generator = torch.Generator().manual_seed(spec.seed)
    device = model.device
    optimiser = torch.optim.AdamW(model.parameters(), lr=spec.lr, weight_decay=spec.weight_decay)
    schedule = (torch.optim.lr_scheduler.CosineAnnealingLR(optimiser, T_max=steps)
                if spec.lr_schedule == "cosine" else None)

    model.train()
    started = time.perf_counter()
    columns = (TextColumn("[bold]training {task.fields[predictor]}[/]"), BarColumn(),
               MofNCompleteColumn(), TextColumn("loss {task.fields[loss]}"), TimeElapsedColumn(),
               TimeRemainingColumn())
    recent: list[float] = []
    with Progress(*columns, console=console.err, disable=not progress) as bar:
        task = bar.add_task("train", total=steps, predictor=model.name, loss="—")
        for step in range(steps):
            batch = sample_batch(pool, spec, rng, generator).to(device)
            prediction = model.predict(batch.inputs(model))
            loss = masked_loss(prediction, batch.targets, batch.loss_mask, spec.loss)
            optimiser.zero_grad(set_to_none=True)
            loss.backward()
            optimiser.step()
            if schedule is not None:
                schedule.step()
            recent = (recent + [loss.item()])[-50:]
            if step % 25 == 0 or step == steps - 1:
                bar.update(task, completed=step + 1, loss=f"{np.mean(recent):.4f}")
    model.eval()
    seconds = time.perf_counter() - started

    summary: dict[str, Any] = {
        "steps": steps, "seconds": round(seconds, 1), "train_sequences": len(train),
        "train_windows": len(pool.starts), "final_loss": float(np.mean(recent)),
    }
    if long_enough(to_tensors(val_sequences), frames):
        summary["val"] = evaluate(model, val_sequences).to_json()
    return summary
