"""Predictor checkpoints: round trip with metadata, weights-only loading, and clear errors."""

from __future__ import annotations

import pytest
import torch

import trackbench
from trackbench.harness.errors import TrackbenchError
from trackbench.harness.predictor import load_predictor, read_checkpoint
from trackbench.harness.registry import Registry
from trackbench.plugins.predictors.transformer import Transformer, TransformerSpec
from tests.plugins.predictors.test_transformer import batch


@pytest.fixture
def registry() -> Registry:
    registry = Registry()
    registry.add("predictors", Transformer, "trackbench", "predictors")
    return registry


@pytest.fixture
def saved(tmp_path):
    torch.manual_seed(1)
    model = Transformer(TransformerSpec(width=16, heads=2, depth=1)).eval()
    path = model.save(tmp_path / "pi.pt", dataset={"name": "synthetic", "spec": {"path": None}},
                      training={"steps": 3})
    return model, path


def test_round_trip_keeps_weights_spec_and_metadata(saved, registry):
    model, path = saved
    loaded = load_predictor(path, registry)
    assert isinstance(loaded, Transformer) and loaded.spec == model.spec
    inputs = batch()
    assert torch.equal(loaded.predict(inputs), model.predict(inputs))
    assert loaded.metadata["dataset"]["name"] == "synthetic"
    assert loaded.metadata["training"] == {"steps": 3}
    assert loaded.metadata["trackbench_version"] == trackbench.__version__
    assert loaded.metadata["spec"]["width"] == 16


def test_checkpoints_load_with_weights_only(saved):
    _, path = saved
    payload = torch.load(path, weights_only=True)  # no pickled classes inside
    assert set(payload) == {"metadata", "state_dict"}


def test_a_corrupt_file_is_a_clear_error(tmp_path, saved, registry):
    _, path = saved
    truncated = tmp_path / "truncated.pt"
    truncated.write_bytes(path.read_bytes()[:200])
    with pytest.raises(TrackbenchError, match=f"{truncated}: it is damaged"):
        load_predictor(truncated, registry)
    text = tmp_path / "notes.pt"
    text.write_text("not a checkpoint")
    with pytest.raises(TrackbenchError, match=str(text)):
        load_predictor(text, registry)


def test_a_foreign_torch_file_is_refused(tmp_path, registry):
    foreign = tmp_path / "foreign.pt"
    torch.save({"weights": torch.zeros(3)}, foreign)
    with pytest.raises(TrackbenchError, match=f"{foreign} lacks trackbench metadata"):
        load_predictor(foreign, registry)


def test_a_missing_file_is_a_clear_error(tmp_path, registry):
    with pytest.raises(TrackbenchError, match="does not exist"):
        load_predictor(tmp_path / "nope.pt", registry)


def test_weights_that_do_not_fit_the_stored_spec_are_refused(tmp_path, saved, registry):
    _, path = saved
    payload = read_checkpoint(path)
    payload["metadata"]["spec"]["width"] = 32  # the weights are 16 wide
    mismatched = tmp_path / "mismatched.pt"
    torch.save(payload, mismatched)
    with pytest.raises(TrackbenchError, match=f"{mismatched}: weights do not fit"):
        load_predictor(mismatched, registry)


def test_a_spec_this_version_rejects_is_refused(tmp_path, saved, registry):
    _, path = saved
    payload = read_checkpoint(path)
    payload["metadata"]["spec"]["retired_field"] = 1
    stale = tmp_path / "stale.pt"
    torch.save(payload, stale)
    with pytest.raises(TrackbenchError, match=f"{stale} does not match predictor 'transformer'"):
        load_predictor(stale, registry)


def test_an_unregistered_predictor_is_named(tmp_path, saved):
    _, path = saved
    with pytest.raises(TrackbenchError, match="unknown predictor 'transformer'"):
        load_predictor(path, Registry())
