"""The torch device a run trains on, checked before anything is built on it."""

from __future__ import annotations

from trackbench.harness.errors import TrackbenchError


def require_device(device: str) -> None:
    """Raise TrackbenchError if ``device`` (cpu, cuda, cuda:N) is not usable on this machine."""
    if not device.startswith("cuda"):
        return
    import torch

    if not torch.cuda.is_available():
        raise TrackbenchError(f"--device {device}: torch sees no CUDA device on this machine "
                              f"(torch {torch.__version__}); use --device cpu")
    index = int(device.partition(":")[2] or 0)
    if index >= torch.cuda.device_count():
        raise TrackbenchError(f"--device {device}: this machine has {torch.cuda.device_count()} "
                              f"CUDA device(s)")
