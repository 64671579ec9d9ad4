"""scripts/gpu_check.sh, as whoever has a GPU runs it, on a machine without one: it stops at once
with one message and exit status 2 (the measurements themselves need a GPU)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

ROOT = Path(__file__).resolve().parents[3]


@pytest.mark.skipif(torch.cuda.is_available(), reason="with a GPU the script runs the whole check")
def test_the_gpu_check_stops_at_once_without_a_cuda_device():
    result = subprocess.run(["bash", str(ROOT / "scripts" / "gpu_check.sh")], capture_output=True,
                            text=True, env={**os.environ, "PYTHON": sys.executable}, timeout=300)
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith("error: no CUDA device: torch ") and "NVIDIA GPU" in result.stderr
    assert "Traceback" not in result.stderr and result.stdout == ""
