"""Exact resume: the per-env state a plugin hands to a checkpoint and takes back on resume.

A checkpoint is taken between two PPO epochs, in the middle of every env's episode. To continue
*exactly* as if the run had never stopped, the engine (physics of every env), the task (its
episode buffers: latches, best distances, hold counters) and the method (Π_h's history, AMP's
discriminator and replay) must come back as they were. Each plugin kind therefore has
``state_dict()`` / ``load_state_dict()``; their default, :func:`capture` / :func:`restore`, takes
every tensor, array, generator and number held directly on the object, which is all a plugin that
keeps its buffers as attributes needs (the way ``torch.nn.Module`` treats buffers). Plugins that
keep state in nested objects override the pair (``track``, ``amp``, the MuJoCo engine).
"""

from __future__ import annotations

from typing import Any, Iterable

import numpy as np
import torch

from trackbench.harness.errors import TrackbenchError

_GENERATOR = "__torch_generator_state__"


def capture(owner: Any, names: Iterable[str] | None = None) -> dict[str, Any]:
    """Copies of ``owner``'s tensor, ndarray, torch.Generator and number attributes (all of
    them, or ``names``); attributes of other types are skipped. Arrays are stored as tensors,
    so a checkpoint holds nothing that ``torch.load(weights_only=True)`` refuses."""
    items = vars(owner).items() if names is None else ((n, getattr(owner, n)) for n in names)
    state: dict[str, Any] = {}
    for name, value in items:
        if isinstance(value, torch.Tensor):
            state[name] = value.detach().clone()
        elif isinstance(value, np.ndarray):  # as a tensor: checkpoints load with weights_only
            state[name] = torch.from_numpy(value.copy())
        elif isinstance(value, torch.Generator):
            state[name] = {_GENERATOR: value.get_state()}
        elif isinstance(value, (bool, int, float)):
            state[name] = value
    return state


def restore(owner: Any, state: dict[str, Any], label: str) -> None:
    """Put :func:`capture`'s values back on ``owner``. Tensors of the same shape and dtype are
    copied in place (other references to them stay valid).

    Raises TrackbenchError naming ``label`` (e.g. "task 'grasp_lift'") when the checkpoint's
    values do not fit this run (another env count, another robot).
    """
    for name, value in state.items():
        current = getattr(owner, name, None)
        if isinstance(value, dict) and _GENERATOR in value:
            if not isinstance(current, torch.Generator):
                raise _mismatch(label, name, "a random generator", current)
            current.set_state(value[_GENERATOR])
        elif isinstance(value, (torch.Tensor, np.ndarray)):
            if isinstance(current, np.ndarray) and isinstance(value, torch.Tensor):
                value = value.numpy()
            if current is None:
                setattr(owner, name, value)
            elif type(current) is not type(value) or current.shape != value.shape \
                    or current.dtype != value.dtype:
                raise _mismatch(label, name, _describe(value), current)
            elif isinstance(current, torch.Tensor):
                # Inference tensors (Π_h's history) may be written only in inference mode.
                with torch.inference_mode(current.is_inference()):
                    current.copy_(value)
            else:
                current[...] = value
        else:
            setattr(owner, name, value)


def _describe(value: Any) -> str:
    if isinstance(value, (torch.Tensor, np.ndarray)):
        return f"{type(value).__name__} {tuple(value.shape)} {value.dtype}"
    return type(value).__name__


def _mismatch(label: str, name: str, saved: str, current: Any) -> TrackbenchError:
    return TrackbenchError(
        f"the checkpoint's state of {label} does not fit this run: '{name}' was saved as {saved}, "
        f"the run has {_describe(current)}. Rerun with --force to start over."
    )
