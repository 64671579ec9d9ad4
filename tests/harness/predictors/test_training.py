"""Training windows: noise on inputs only, reset-like padding, and a short fit that learns."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from tests.plugins.predictors.motion import make_sequence, make_sequences
from trackbench.harness.errors import TrackbenchError
from trackbench.harness.predictors.evaluation import evaluate
from trackbench.harness.predictors.training import WindowPool, pad_like_reset, sample_batch
from trackbench.harness.predictors.windows import to_tensors
from trackbench.plugins.predictors.transformer import Transformer, TransformerSpec

CL = 8


def one_window_pool() -> WindowPool:
    """One sequence exactly CL + 1 frames long: every sampled window is the same window."""
    sequence = make_sequence(np.random.default_rng(1), "only", frames=CL + 1, num_objects=2)
    return WindowPool(to_tensors([sequence]), CL + 1)


def draw(pool, **fields):
    spec = TransformerSpec(**fields)
    return sample_batch(pool, spec, np.random.default_rng(0), torch.Generator().manual_seed(0))


def test_noise_is_added_to_inputs_only_and_is_zero_mean():
    pool = one_window_pool()
    batch = draw(pool, batch_size=512, keypoint_noise=0.05, point_noise=0.01, reset_padding=0.0)
    truth = pool.sequences[0].fingertips
    assert torch.equal(batch.targets, truth[1:].expand_as(batch.targets))  # targets are clean
    keypoint_noise = batch.fingertips - truth[:CL]
    assert keypoint_noise.abs().min() > 0  # every input coordinate moved
    assert abs(float(keypoint_noise.mean())) < 0.002
    assert float(keypoint_noise.std()) == pytest.approx(0.05, rel=0.05)
    point_noise = batch.clouds - pool.clouds[batch.cloud_keys]
    assert point_noise.abs().min() > 0
    assert abs(float(point_noise.mean())) < 0.001
    assert float(point_noise.std()) == pytest.approx(0.01, rel=0.1)
    assert batch.loss_mask.all()


def test_without_noise_inputs_are_the_recorded_frames(tmp_path):
    pool = one_window_pool()
    batch = draw(pool, batch_size=16, keypoint_noise=0.0, point_noise=0.0, reset_padding=0.0)
    sequence = pool.sequences[0]
    assert torch.equal(batch.fingertips[0], sequence.fingertips[:CL])
    model = Transformer(TransformerSpec())
    inputs = batch.inputs(model)
    assert torch.equal(inputs.timesteps[0], torch.arange(CL))
    # Encoding each distinct cloud once gives every frame the features of its own cloud.
    for row in range(16):
        real = [i for i in inputs.object_ids[row].tolist() if i != 0]  # 0 = padding object
        objects = [sequence.object_ids.tolist().index(i) for i in real]
        frames = sequence.points[:CL, objects]
        features = inputs.object_features[row, :, :len(real)]
        assert torch.allclose(features, model.encode_objects(frames), atol=1e-6)
    assert len(batch.clouds) < CL * 2  # objects at rest share one cloud over their frames


def test_reset_padding_repeats_the_first_real_frame_and_masks_the_rest():
    frames = torch.arange(CL, dtype=torch.float32)[None, :, None, None].expand(2, CL, 5, 3)
    points = frames[:, :, None, :1].expand(2, CL, 1, 100, 3)
    fingertips, clouds, mask = pad_like_reset(frames, points, torch.tensor([0, 3]))
    assert fingertips[0, :, 0, 0].tolist() == list(range(CL))
    assert fingertips[1, :, 0, 0].tolist() == [3, 3, 3, 3, 4, 5, 6, 7]
    assert clouds[1, :, 0, 0, 0].tolist() == [3, 3, 3, 3, 4, 5, 6, 7]
    assert mask.tolist() == [[1] * CL, [0, 0, 0] + [1] * 5]


def test_sampled_batches_mix_reset_padded_windows():
    batch = draw(one_window_pool(), batch_size=200, reset_padding=0.5)
    padded = (batch.attention_mask == 0).any(dim=1).float().mean()
    assert 0.35 < float(padded) < 0.65
    assert torch.equal(batch.loss_mask, batch.attention_mask.float())


def test_reset_padded_windows_begin_at_their_sequence_start_or_anywhere():
    """``sequence_start``: after p masked slots come frames 0, 1, … (an episode's first frames);
    ``anywhere``: a window from any start has its first p frames overwritten."""
    sequence = make_sequence(np.random.default_rng(1), "long", frames=40, num_objects=1)
    pool = WindowPool(to_tensors([sequence]), CL + 1)
    truth = pool.sequences[0].fingertips
    fields = dict(batch_size=64, keypoint_noise=0.0, point_noise=0.0, reset_padding=1.0)
    batch = draw(pool, reset_windows="sequence_start", **fields)
    for row in range(64):
        pads = int((batch.attention_mask[row] == 0).sum())
        assert pads >= 1
        assert torch.equal(batch.fingertips[row], truth[[max(s - pads, 0) for s in range(CL)]])
        assert torch.equal(batch.targets[row, pads:], truth[1:CL - pads + 1])
    anywhere = draw(pool, reset_windows="anywhere", **fields)
    firsts = {int(torch.nonzero((truth == anywhere.fingertips[row, -1]).all(-1).all(-1))[0])
              - CL + 1 for row in range(64)}
    assert len(firsts) > 5  # windows from many starts


def test_cosine_schedule_decays_the_learning_rate_to_zero(monkeypatch):
    sequences = make_sequences(10, seed=3)
    model = Transformer(TransformerSpec(steps=20, batch_size=8, lr_schedule="cosine"))
    seen = []
    step = torch.optim.AdamW.step

    def spy(self, *args, **kwargs):
        seen.append(self.param_groups[0]["lr"])
        return step(self, *args, **kwargs)

    monkeypatch.setattr(torch.optim.AdamW, "step", spy)
    model.fit([s for s in sequences if s.split == "train"], [], progress=False)
    assert seen[0] == pytest.approx(1e-3) and seen[-1] < 0.01 * seen[0]
    assert all(a >= b for a, b in zip(seen, seen[1:]))


def test_a_short_fit_beats_the_untrained_model():
    sequences = make_sequences(30, seed=3)
    train = [s for s in sequences if s.split == "train"]
    held_out = [s for s in sequences if s.split != "train"]
    torch.manual_seed(0)
    model = Transformer(TransformerSpec(steps=100, batch_size=32, lr=3e-3))
    untrained = evaluate(model, held_out, horizons=()).one_step_cm
    summary = model.fit(train, held_out, progress=False)
    trained = evaluate(model, held_out, horizons=()).one_step_cm
    assert summary["steps"] == 100 and summary["train_sequences"] == len(train)
    assert "val" in summary and summary["val"]["one_step_cm"] == pytest.approx(trained, rel=1e-4)
    assert trained < 0.5 * untrained


def test_sequences_too_short_for_a_window_are_refused():
    short = [make_sequence(np.random.default_rng(0), "short", frames=CL)]
    model = Transformer(TransformerSpec(steps=1))
    with pytest.raises(TrackbenchError, match="9 frames"):
        model.fit(short, [], progress=False)


def test_fingertip_spread_keeps_each_frames_centroid_and_widens_the_hand_by_one_factor_per_finger():
    from trackbench.harness.predictors.training import spread_fingertips

    generator = torch.Generator().manual_seed(0)
    path = torch.randn(16, CL + 1, 1, 3, generator=generator)  # the centroid's path
    shape = 0.03 * torch.randn(16, 1, 5, 3, generator=generator)  # a hand that keeps its shape
    windows = path + shape - shape.mean(dim=2, keepdim=True)
    spread = spread_fingertips(windows, (1.5, 3.0), np.random.default_rng(0))
    assert torch.allclose(spread.mean(dim=2), windows.mean(dim=2), atol=1e-6)  # path kept
    offsets = spread - spread.mean(dim=2, keepdim=True)
    assert torch.allclose(offsets, offsets[:, :1].expand_as(offsets), atol=1e-6)  # per window
    # s·d re-centred, s drawn per window and finger from [1.5, 3].
    scales = torch.as_tensor(np.random.default_rng(0).uniform(1.5, 3.0, size=(16, 1, 5, 1)),
                             dtype=torch.float32)
    scaled = scales * (windows - windows.mean(dim=2, keepdim=True))
    assert torch.allclose(offsets, scaled - scaled.mean(dim=2, keepdim=True), atol=1e-6)
    assert float(scales.min()) >= 1.5 and float(scales.max()) <= 3.0 and scales.std() > 0.1
    widened = offsets.norm(dim=-1).mean() / (windows - path).norm(dim=-1).mean()
    assert 1.5 < float(widened) < 3.0


def test_fingertip_spread_is_applied_to_inputs_and_targets_alike():
    pool = one_window_pool()
    plain = draw(pool, batch_size=64, keypoint_noise=0.0, point_noise=0.0, reset_padding=0.0)
    spread = draw(pool, batch_size=64, keypoint_noise=0.0, point_noise=0.0, reset_padding=0.0,
                  fingertip_spread=(1.5, 3.0))
    assert torch.allclose(spread.targets.mean(dim=2), plain.targets.mean(dim=2), atol=1e-6)
    assert not torch.allclose(spread.targets, plain.targets, atol=1e-3)
    # Frame t+1 is window position t's target and position t+1's input: the same factors.
    assert torch.allclose(spread.targets[:, :-1], spread.fingertips[:, 1:], atol=1e-6)


def test_fingertip_spread_of_one_samples_exactly_what_training_sampled_before():
    pool = one_window_pool()
    default = draw(pool, batch_size=32)
    explicit = draw(pool, batch_size=32, fingertip_spread=(1.0, 1.0))
    assert torch.equal(default.fingertips, explicit.fingertips)
    assert torch.equal(default.targets, explicit.targets)


@pytest.mark.parametrize("spread", [(0.0, 1.0), (2.0, 1.0), (1.0, 6.0)])
def test_fingertip_spread_out_of_range_is_refused(spread):
    with pytest.raises(ValueError, match="fingertip_spread must be"):
        TransformerSpec(fingertip_spread=spread)
