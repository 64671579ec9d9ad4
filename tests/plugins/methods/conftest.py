"""Fixtures of the method tests."""

from __future__ import annotations

import pytest
import torch

from trackbench.plugins.predictors.transformer import Transformer, TransformerSpec


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    """An untrained transformer Π_h of seed 0, saved as a predictor checkpoint."""
    torch.manual_seed(0)
    model = Transformer(TransformerSpec())
    return model.save(tmp_path_factory.mktemp("ckpt") / "pi.pt")
