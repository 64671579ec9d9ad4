"""What a resume finds changed since the kill: a replaced predictor, a damaged metrics file."""

from __future__ import annotations

import json

import pytest

from tests.harness.training.test_training import Kill, plan_cell, registry  # noqa: F401
from trackbench.harness.errors import TrackbenchError
from trackbench.harness.execute import execute_cell
from trackbench.harness.results import RunDir


def _kill_after_two_epochs(epoch: int, steps: int) -> None:
    if epoch == 2:
        raise Kill()


def _tiny_predictor(path, seed: int):
    import torch

    from trackbench.plugins.predictors.transformer import Transformer, TransformerSpec

    torch.manual_seed(seed)
    return Transformer(TransformerSpec(width=16, depth=1, heads=2, pointnet_width=8)).save(path)


def test_a_track_run_refuses_to_resume_with_another_predictor_at_the_same_path(registry, tmp_path):  # noqa: F811
    predictor = _tiny_predictor(tmp_path / "pi.pt", seed=0)
    spec = plan_cell(registry, "track", method_spec={"checkpoint": str(predictor)})
    run = RunDir.for_spec(tmp_path / "runs", spec)
    with pytest.raises(Kill):
        execute_cell(spec, registry, run, on_epoch=_kill_after_two_epochs)
    _tiny_predictor(predictor, seed=1)  # retrained in place
    with pytest.raises(TrackbenchError, match="not the one this run was trained with"):
        execute_cell(spec, registry, run)
    _tiny_predictor(predictor, seed=0)  # the original is back
    assert execute_cell(spec, registry, run)["resumed_from"] == 64


def test_metrics_cut_by_hand_are_repaired_to_whole_lines_with_a_warning(registry, tmp_path, capsys):  # noqa: F811
    spec = plan_cell(registry, "dense")
    run = RunDir.for_spec(tmp_path, spec)
    with pytest.raises(Kill):
        execute_cell(spec, registry, run, on_epoch=_kill_after_two_epochs)
    text = run.metrics_file.read_bytes()
    run.metrics_file.write_bytes(text[:len(text.splitlines()[0]) + 10])  # row 2 cut mid-line
    execute_cell(spec, registry, run)
    rows = [json.loads(line) for line in run.metrics_file.read_text().splitlines()]
    assert [row["agent_steps"] for row in rows] == [32, 96]  # row 2 is lost, never glued on
    assert "shorter than when the checkpoint at epoch 2" in capsys.readouterr().err


def _kill_after_one_epoch(epoch: int, steps: int) -> None:
    if epoch == 1:
        raise Kill()


def test_a_resume_loads_weights_only_and_refuses_a_checkpoint_that_runs_code_or_does_not_fit(
        registry, tmp_path, monkeypatch):  # noqa: F811
    import torch

    from tests.harness.training.test_checkpoint import RunsCode
    from trackbench.harness.training import checkpoint

    spec = plan_cell(registry, "dense")
    run = RunDir.for_spec(tmp_path / "runs", spec)
    with pytest.raises(Kill):
        execute_cell(spec, registry, run, on_epoch=_kill_after_one_epoch)
    path = checkpoint.checkpoint_path(run)
    real = torch.load(path, weights_only=True)
    assert checkpoint.read_summary(run) is not None  # so `run` plans without reading last.pth

    loads = []
    original = torch.load
    monkeypatch.setattr(torch, "load", lambda *a, **k: loads.append(k.get("weights_only"))
                        or original(*a, **k))
    marker = tmp_path / "ran"
    torch.save({**real, "payload": RunsCode(marker)}, path)
    with pytest.raises(TrackbenchError, match=f"{path}.*'posix.system'.*nothing in it ran"):
        execute_cell(spec, registry, run)
    assert not marker.exists()

    broken = {**real, "trackbench": {**real["trackbench"], "agent": {}}}  # checked only on use
    torch.save(broken, path)
    with pytest.raises(TrackbenchError, match=f"{path} does not fit this cell \\(KeyError"):
        execute_cell(spec, registry, run)
    resized = {**real, "model": {k: v[..., :1] if v.ndim else v for k, v in real["model"].items()}}
    torch.save(resized, path)
    with pytest.raises(TrackbenchError, match=f"{path} does not fit this cell \\(RuntimeError"):
        execute_cell(spec, registry, run)
    assert loads and all(weights_only is True for weights_only in loads)
