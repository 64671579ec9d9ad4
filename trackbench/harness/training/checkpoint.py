"""checkpoints/last.pth: the whole training state, so that a resumed run continues exactly.

Contents (format 2), all tensors, numbers and containers, so it loads with
``torch.load(weights_only=True)`` (nothing in it can run code):

    model, optimizer, epoch, frame     rl-games' own (model includes the input and value
                                       normalisers)
    env_state                          VecEnv.state_dict(): physics of every env, task buffers,
                                       the method's state (Π_h history, AMP's D and replay), reset
                                       generators, running episode sums, instability counts
    trackbench.agent                   ResumableAgent.rollout_state(): observations, dones,
                                       running returns, learning rate, rl-games' meters
    trackbench.episodes                the training metrics' episode window
    trackbench.rng                     torch, numpy and Python RNG states
    trackbench.metrics_bytes           length of metrics.jsonl when the checkpoint was taken: a
                                       resume truncates the file there (dropping rows it will
                                       write again and a line cut off by a kill)
    trackbench.train_seconds, agent_steps, epoch

``checkpoints/last.json`` repeats (format, epoch, agent_steps) so that ``run`` can plan without
loading the checkpoint. Both are written atomically (``trackbench.harness.atomic``).

With ``ppo.keep_every`` set, every checkpoint of an epoch it divides is also kept under its
epoch's name, ``checkpoints/epoch_000120.pth`` and ``.json`` (as IsaacGymEnvs' periodic
checkpoints), so that a policy can be evaluated where a budget ended after the run went on
(``trackbench evaluate RUN --checkpoint epoch_000120``). Resume reads ``last`` only.
"""

from __future__ import annotations

import io
import random
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from trackbench.harness.atomic import write_bytes_atomic, write_json_atomic
from trackbench.harness.errors import TrackbenchError
from trackbench.harness.results import read_json
from trackbench.harness.safe_load import load_tensors

if TYPE_CHECKING:
    from trackbench.harness.results import RunDir

FORMAT = 2
LAST = "last"
CHECKPOINT_NAME = f"{LAST}.pth"
SUMMARY_NAME = f"{LAST}.json"


def checkpoint_path(run_dir: "RunDir", name: str = LAST) -> Path:
    return run_dir.checkpoint_dir / f"{name}.pth"


def summary_path(run_dir: "RunDir", name: str = LAST) -> Path:
    return run_dir.checkpoint_dir / f"{name}.json"


def kept_name(epoch: int) -> str:
    """The name a checkpoint kept at ``epoch`` has ('epoch_000120')."""
    return f"epoch_{epoch:06d}"


_KEPT = re.compile(r"epoch_([0-9]{6,})")
_ASKED = re.compile(r"(?:epoch_)?([0-9]+)")


def kept_epochs(run_dir: "RunDir") -> list[int]:
    """Epochs of the checkpoints kept by ``ppo.keep_every`` (files named as :func:`kept_name`
    makes them; anything else in the folder is not one), in order."""
    folder = run_dir.checkpoint_dir
    if not folder.is_dir():
        return []
    return sorted(int(match.group(1)) for path in folder.glob("epoch_*.pth")
                  if path.is_file() and (match := _KEPT.fullmatch(path.stem)))


def kept_past(run_dir: "RunDir") -> str | None:
    """Why training in ``run_dir`` would overwrite checkpoints it kept, or None: kept epochs past
    the one it would continue from (its last.json's; 0 without a last.pth) belong to a training
    it no longer continues (last.pth deleted or put back older), and the new training would
    write over them when it reaches those epochs."""
    from_epoch = 0
    if checkpoint_path(run_dir).is_file():
        summary = read_summary(run_dir)
        if summary is None:
            return None  # the resume reads the epoch from the checkpoint itself; kept ones pass
        from_epoch = summary["epoch"]
    past = [kept_name(epoch) for epoch in kept_epochs(run_dir) if epoch > from_epoch]
    if not past:
        return None
    start = f"epoch {from_epoch}" if from_epoch else "scratch (it has no last.pth)"
    return (f"{run_dir.path} keeps checkpoints of a training it no longer continues "
            f"({', '.join(past)}, past {start}); training on would overwrite them. Move them out "
            f"of {run_dir.checkpoint_dir}, rerun with --force to start over (deleting them), or "
            f"use another --out")


def save(run_dir: "RunDir", state: dict[str, Any], keep: bool = False) -> None:
    """Write ``state`` (rl-games' full state plus a ``trackbench`` entry) and its summary as
    ``last``, and with ``keep`` under its epoch's name as well (:func:`kept_name`)."""
    data = serialize(state)
    ours = state["trackbench"]
    summary = {"format": FORMAT, "epoch": ours["epoch"], "agent_steps": ours["agent_steps"]}
    # last first: a kept epoch is never past last's (resume refuses that state, kept_past), and
    # a kill in between costs that one kept checkpoint, not the resume.
    for name in [LAST] + ([kept_name(ours["epoch"])] if keep else []):
        write_bytes_atomic(checkpoint_path(run_dir, name), data)
        write_json_atomic(summary_path(run_dir, name), summary)


def playable(run_dir: "RunDir") -> list[str]:
    """Names of the run's checkpoints that can be played: 'last' (if present), then those kept
    by ``ppo.keep_every``, oldest first."""
    last = [LAST] if checkpoint_path(run_dir).is_file() else []
    return last + [kept_name(epoch) for epoch in kept_epochs(run_dir)]


def named(run_dir: "RunDir", name: str) -> str:
    """The name of the run's checkpoint ``name`` asks for ('last', or a kept epoch as '120',
    'epoch_120' or 'epoch_000120'); TrackbenchError listing the ones it has if it has not that
    one."""
    match = _ASKED.fullmatch(name)
    wanted = kept_name(int(match.group(1))) if match else name
    available = playable(run_dir)
    if wanted not in available:
        listed = ", ".join(available) or "none"
        raise TrackbenchError(
            f"{run_dir.path} has no checkpoint '{name}' (it has: {listed}); runs keep a "
            f"checkpoint per epoch only with --set ppo.keep_every=N")
    return wanted


def serialize(state: dict[str, Any]) -> bytes:
    """``torch.save`` into memory: written to a file directly, a full disk surfaces as a
    RuntimeError from torch's zip writer; written by Python, it is an OSError naming ENOSPC."""
    buffer = io.BytesIO()
    torch.save(state, buffer)
    return buffer.getvalue()


def load(run_dir: "RunDir") -> dict[str, Any] | None:
    """The checkpoint's contents, or None if the run has none.

    Raises TrackbenchError naming the file if it is empty, damaged or foreign, holds anything but
    tensors, numbers and containers (such a file is refused, never unpickled), lacks an entry a
    resume needs, or holds non-finite weights."""
    path = checkpoint_path(run_dir)
    if not path.is_file():
        return None
    state = load_tensors(path, "the checkpoint", advice=START_OVER)
    problem = problem_with(state)
    if problem:
        raise TrackbenchError(f"the checkpoint {path} is not a complete trackbench training "
                              f"checkpoint ({problem}). {START_OVER}")
    bad = [name for name, value in state["model"].items()
           if value.is_floating_point() and not bool(torch.isfinite(value).all())]
    if bad:
        raise TrackbenchError(f"the checkpoint {path} holds non-finite weights ('{bad[0]}'), so "
                              f"it cannot be resumed. {START_OVER}")
    # torch.compile prefixes parameter names
    state["model"] = {key.removeprefix("_orig_mod."): value for key, value in state["model"].items()}
    return state


START_OVER = "Rerun with --force to start this cell over, or use another --out."

# What a resume reads, by entry: rl-games' (set_full_state_weights) and ours (format 2).
_COUNT = (int,)
_REQUIRED = {"model": dict, "optimizer": dict, "epoch": _COUNT, "frame": _COUNT}
_REQUIRED_OURS = {"epoch": _COUNT, "agent_steps": _COUNT, "metrics_bytes": _COUNT,
                  "train_seconds": (int, float), "agent": dict, "episodes": dict, "rng": dict}


def problem_with(state: Any) -> str | None:
    """What makes ``state`` unusable for a resume (a missing or mistyped entry), or None."""
    if not isinstance(state, dict):
        return f"it holds a {type(state).__name__}, not a dict"
    problem = _missing(state, _REQUIRED, "")
    if problem:
        return problem
    if not state["model"] or not all(isinstance(v, torch.Tensor) for v in state["model"].values()):
        return "'model' holds no weights"
    optimizer = state["optimizer"]
    if not (isinstance(optimizer.get("state"), dict)
            and isinstance(optimizer.get("param_groups"), list)):
        return "'optimizer' is not an optimiser state"
    if not isinstance(state.get("env_state"), (dict, type(None))):
        return "'env_state' is not a dict"
    ours = state.get("trackbench", {})
    if not isinstance(ours, dict):
        return "'trackbench' is not a dict"
    if "format" not in ours:  # trackbench 0.1: weights, optimiser, reset generators
        return _missing(ours, {"train_seconds": (int, float), "method": dict}, "trackbench.",
                        optional=True)
    if ours["format"] != FORMAT:
        return (f"format {ours['format']!r}; this trackbench reads format {FORMAT}")
    return _missing(ours, _REQUIRED_OURS, "trackbench.")


def _missing(values: dict, required: dict, prefix: str, optional: bool = False) -> str | None:
    for key, kind in required.items():
        if key not in values:
            if optional:
                continue
            return f"no '{prefix}{key}' entry"
        value = values[key]
        if not isinstance(value, kind) or isinstance(value, bool) or (
                kind is _COUNT and value < 0):
            return f"'{prefix}{key}' is {type(value).__name__} {value!r:.40}"
    return None


def saved_agent_steps(run_dir: "RunDir") -> int | None:
    """Agent steps of the run's checkpoint (None without one): from its summary, or from the
    checkpoint itself when the summary is missing or damaged (it is only a summary)."""
    if not checkpoint_path(run_dir).is_file():
        return None
    summary = read_summary(run_dir)
    if summary is not None:
        return summary["agent_steps"]
    state = load(run_dir)  # checks that "frame" is a count
    return None if state is None else state["frame"]


def read_summary(run_dir: "RunDir", name: str = LAST) -> dict[str, int] | None:
    """checkpoints/NAME.json (default last.json) as {"epoch", "agent_steps"}, or None if missing
    or damaged."""
    try:
        summary = read_json(summary_path(run_dir, name))
    except TrackbenchError:
        return None
    if not isinstance(summary, dict):
        return None
    values = {key: summary.get(key) for key in ("epoch", "agent_steps")}
    if not all(isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in values.values()):
        return None
    return values


def describe(run_dir: "RunDir") -> str | None:
    """'the checkpoint at epoch 8 (1,280 agent steps)', or None if the run has none."""
    if not checkpoint_path(run_dir).is_file():
        return None
    summary = read_summary(run_dir)
    if summary is None:
        return f"the checkpoint {checkpoint_path(run_dir)}"
    return f"the checkpoint at epoch {summary['epoch']} ({summary['agent_steps']:,} agent steps)"


def kept(run_dir: "RunDir") -> str:
    """For messages after a stop: what is kept and what a rerun does."""
    saved = describe(run_dir)
    if saved is None:
        return "no checkpoint had been written yet, so a rerun starts the cell over"
    return f"{saved} is intact and a rerun of the same command resumes from it"


# ---- random number generators ---------------------------------------------------------------------
def rng_state() -> dict[str, Any]:
    kind, keys, position, has_gauss, gauss = np.random.get_state()
    state = {"torch": torch.get_rng_state(),
             "numpy": {"kind": kind, "keys": torch.from_numpy(keys.astype(np.int64)),
                       "position": int(position), "has_gauss": int(has_gauss), "gauss": float(gauss)},
             "python": random.getstate()}
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict[str, Any]) -> None:
    torch.set_rng_state(state["torch"])
    saved = state["numpy"]
    np.random.set_state((saved["kind"], saved["keys"].numpy().astype(np.uint32), saved["position"],
                         saved["has_gauss"], saved["gauss"]))
    version, internal, gauss = state["python"]
    random.setstate((version, tuple(internal), gauss))
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])
