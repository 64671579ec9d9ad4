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


class RunsCode:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        import os

        return os.system, (f"touch {self.marker}",)


def _metadata(**changes):
    def change(payload):
        for key, value in changes.items():
            if value is DELETE:
                del payload["metadata"][key]
            else:
                payload["metadata"][key] = value
        return payload
    return change


DELETE = object()
LACKS = "lacks trackbench metadata"
# (id, payload → damaged payload, fragment of the message): every case is one message naming
# the file, through load_predictor here and through the CLI in tests/harness/test_predictor_cli.py
MALFORMED = [
    ("payload a list", lambda p: [p], LACKS),
    ("metadata a list", lambda p: {**p, "metadata": [1]}, LACKS),
    ("metadata None", lambda p: {**p, "metadata": None}, LACKS),
    ("no metadata", lambda p: {"state_dict": p["state_dict"]}, LACKS),
    ("no spec", _metadata(spec=DELETE), LACKS),
    ("no predictor", _metadata(predictor=DELETE), LACKS),
    ("no format", _metadata(format=DELETE), LACKS),
    ("format a string", _metadata(format="1"), "has format '1'"),
    ("format true", _metadata(format=True), "has format True"),
    ("format 2", _metadata(format=2), "has format 2"),
    ("predictor a number", _metadata(predictor=5), "'predictor' is 5, not a name"),
    ("predictor empty", _metadata(predictor=""), "'predictor' is '', not a name"),
    ("predictor unknown", _metadata(predictor="nosuch"), "unknown predictor 'nosuch'"),
    ("spec a list", _metadata(spec=[1, 2]), "'spec' is list"),
    ("spec with a number key", _metadata(spec={1: 2}), "'spec' is dict"),
    ("spec field of a wrong type", _metadata(spec={"width": "wide"}), "field 'width'"),
    ("dataset a string", _metadata(dataset="synthetic"), "'dataset' is str"),
    ("dataset name a number", _metadata(dataset={"name": 3}), "'dataset.name' is 3"),
    ("dataset spec a list", _metadata(dataset={"name": "synthetic", "spec": [1]}),
     "'dataset.spec' is [1]"),
    ("training a list", _metadata(training=[1]), "'training' is list"),
    ("state_dict a list", lambda p: {**p, "state_dict": [1]}, LACKS),
    ("state_dict of numbers", lambda p: {**p, "state_dict": {"w": 1.0}},
     "'state_dict' entry 'w' is not a named tensor"),
    ("state_dict empty", lambda p: {**p, "state_dict": {}}, "weights do not fit"),
]


def write_malformed(tmp_path, path, change):
    import copy

    payload = change(copy.deepcopy(read_checkpoint(path)))
    damaged = tmp_path / "damaged.pt"
    torch.save(payload, damaged)
    return damaged


@pytest.mark.parametrize("name, change, fragment", MALFORMED, ids=[c[0] for c in MALFORMED])
def test_malformed_metadata_is_one_message_naming_the_file(tmp_path, saved, registry, name,
                                                           change, fragment):
    damaged = write_malformed(tmp_path, saved[1], change)
    with pytest.raises(TrackbenchError) as caught:
        load_predictor(damaged, registry)
    assert str(damaged) in str(caught.value) and fragment in str(caught.value)


def test_a_pickled_payload_is_refused_and_never_runs(tmp_path, saved, registry):
    marker = tmp_path / "ran"
    damaged = write_malformed(tmp_path, saved[1], _metadata(training=RunsCode(marker)))
    with pytest.raises(TrackbenchError, match=f"{damaged}: it holds pickled objects "
                                              f"\\('posix.system'\\).*nothing in it ran"):
        load_predictor(damaged, registry)
    assert not marker.exists()


def test_weights_that_are_not_finite_are_never_saved(tmp_path):
    from trackbench.harness.errors import NonFiniteError

    model = Transformer(TransformerSpec(width=16, heads=2, depth=1))
    with torch.no_grad():
        next(model.parameters()).fill_(float("nan"))
    with pytest.raises(NonFiniteError, match="pi.pt: the weights .* are not finite"):
        model.save(tmp_path / "pi.pt")
    assert list(tmp_path.iterdir()) == []
