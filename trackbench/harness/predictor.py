"""The predictor plugin contract: Π_h maps a fingertip history (+ object clouds, goal id) to the
next fingertips, and its checkpoints.

Everything a predictor sees is in the human layout: the five MANO fingertips (thumb 4, index 8,
middle 12, ring 16, little 20, in that order) in the table-top world frame, metres, 20 Hz. Robots
are mapped to that layout by ``trackbench.harness.prediction_history.FingertipMap``; datasets deliver
it directly.

A predictor is a ``torch.nn.Module``. It predicts, for every history position ``t``, the
fingertips at ``t + 1`` (teacher forcing), so one call yields the training targets of a whole
window and, at RL time, the last position's output is the next-step prediction.
"""

from __future__ import annotations

import io
from abc import ABCMeta, abstractmethod
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import torch
from pydantic import Field, ValidationError

import trackbench
from trackbench.harness.atomic import write_bytes_atomic
from trackbench.harness.errors import NonFiniteError, TrackbenchError, describe_validation_error
from trackbench.harness.safe_load import load_tensors
from trackbench.harness.specs import PluginSpec

if TYPE_CHECKING:
    from trackbench.harness.registry import Registry

NUM_FINGERTIPS = 5  # human fingertips, thumb first: MANO 4, 8, 12, 16, 20
CHECKPOINT_FORMAT = 1  # bump when the checkpoint layout changes


class PredictorSpec(PluginSpec):
    context_length: int = Field(
        default=8, ge=1,
        description="history frames the predictor sees (CL); a checkpoint is tied to it",
    )


@dataclass
class PredictorInput:
    """One batch of histories, oldest frame first. Exactly one of ``object_points`` and
    ``object_features`` is set: raw clouds, or the output of :meth:`Predictor.encode_objects`
    (cached per frame at RL time so each cloud is encoded once, not once per history slot).

    Padded history slots (an episode younger than CL frames) carry ``attention_mask`` 0 and
    ``timesteps`` = CL; real slots count 0, 1, … from the oldest real frame.
    """

    fingertips: torch.Tensor  # [N, T, 5, 3] human order, world frame
    object_ids: torch.Tensor  # [N, n_obj] long, DexYCB class ids; 0 = padding (no object)
    goal_label: torch.Tensor  # [N] long, class id of the object to act on (0 = none)
    attention_mask: torch.Tensor  # [N, T] 1 = real frame, 0 = padded
    timesteps: torch.Tensor  # [N, T] long
    object_points: torch.Tensor | None = None  # [N, T, n_obj, P, 3]
    object_features: torch.Tensor | None = None  # [N, T, n_obj, F]

    def __post_init__(self) -> None:
        if (self.object_points is None) == (self.object_features is None):
            raise ValueError("set exactly one of object_points and object_features")

    @property
    def batch_size(self) -> int:
        return int(self.fingertips.shape[0])

    @property
    def length(self) -> int:
        return int(self.fingertips.shape[1])

    def to(self, device: torch.device | str) -> "PredictorInput":
        moved = {name: (value.to(device) if isinstance(value, torch.Tensor) else value)
                 for name, value in self.__dict__.items()}
        return PredictorInput(**moved)


def full_history_timing(batch_size: int, length: int, device: torch.device | str = "cpu"
                        ) -> tuple[torch.Tensor, torch.Tensor]:
    """(attention_mask, timesteps) of histories with no padding: all ones, 0..T−1."""
    mask = torch.ones(batch_size, length, dtype=torch.long, device=device)
    return mask, timesteps_from_mask(mask, pad=length)


def timesteps_from_mask(mask: torch.Tensor, pad: int) -> torch.Tensor:
    """timesteps = cumsum(mask) − 1, with padded slots set to ``pad`` (= CL), as the authors' code."""
    steps = torch.cumsum(mask.long(), dim=1) - 1
    return torch.where(mask.bool(), steps, torch.full_like(steps, pad))


class Predictor(torch.nn.Module, metaclass=ABCMeta):
    """Base of predictor plugins. Subclasses set ``name``, ``Spec`` (a PredictorSpec) and
    implement :meth:`predict`; trainable ones implement :meth:`fit`."""

    name: ClassVar[str]
    Spec: ClassVar[type[PredictorSpec]]

    def __init__(self, spec: PredictorSpec):
        super().__init__()
        self.spec = spec
        self.metadata: dict[str, Any] = {}  # filled by save() and by loading a checkpoint

    @property
    def context_length(self) -> int:
        return self.spec.context_length

    @property
    def device(self) -> torch.device:
        for tensor in self.parameters():
            return tensor.device
        return torch.device("cpu")

    def encode_objects(self, points: torch.Tensor) -> torch.Tensor:
        """[..., P, 3] object clouds → [..., F] per-object features. The default keeps the
        centroid; predictors with a point-cloud encoder (PointNet) return its embedding."""
        return points.mean(dim=-2)

    def object_features(self, inputs: PredictorInput) -> torch.Tensor:
        if inputs.object_features is not None:
            return inputs.object_features
        return self.encode_objects(inputs.object_points)

    @abstractmethod
    def predict(self, inputs: PredictorInput) -> torch.Tensor:
        """[N, T, 5, 3]: at every history position t, the fingertips at t + 1. Outputs at
        position t depend only on inputs at positions ≤ t (causal)."""

    def predict_next(self, inputs: PredictorInput) -> torch.Tensor:
        """[N, 5, 3]: the fingertips after the last history frame (what RL-time use needs).
        Predictors may override it with a cheaper path; it must equal ``predict(inputs)[:, -1]``."""
        return self.predict(inputs)[:, -1]

    def forward(self, inputs: PredictorInput) -> torch.Tensor:
        return self.predict(inputs)

    def fit(self, train: list, val: list, progress: bool = True, threads: int = 1) -> dict[str, Any]:
        """Train on HumanSequences ``train`` (``val`` for monitoring) with ``threads`` torch CPU
        threads (0 = torch's setting); returns a summary dict stored in the checkpoint."""
        raise TrackbenchError(f"predictor '{self.name}' has nothing to train")

    # ---- checkpoints ---------------------------------------------------------------------------
    def save(self, path: str | Path, dataset: dict[str, Any] | None = None,
             training: dict[str, Any] | None = None) -> Path:
        """Write weights + metadata atomically (temporary file, then rename).

        Raises NonFiniteError, writing nothing, if a weight is NaN or infinite (a training that
        diverged): such a checkpoint would only fail later, in every run that loads it."""
        path = Path(path)
        broken = [name for name, tensor in self.state_dict().items()
                  if tensor.is_floating_point() and not torch.isfinite(tensor).all()]
        if broken:
            raise NonFiniteError(
                f"not saving {path}: the weights {', '.join(broken[:3])}"
                f"{' and others' if len(broken) > 3 else ''} are not finite (the training "
                f"diverged; a smaller lr may help)")
        path.parent.mkdir(parents=True, exist_ok=True)
        metadata = {
            "format": CHECKPOINT_FORMAT,
            "predictor": self.name,
            "spec": self.spec.model_dump(mode="json"),
            "dataset": dataset or {},
            "training": training or {},
            "trackbench_version": trackbench.__version__,
        }
        state = {name: tensor.detach().cpu() for name, tensor in self.state_dict().items()}
        buffer = io.BytesIO()  # via Python's I/O, so a full disk is an OSError (ENOSPC)
        torch.save({"metadata": metadata, "state_dict": state}, buffer)
        write_bytes_atomic(path, buffer.getvalue())
        self.metadata = metadata
        return path

    @classmethod
    def from_checkpoint(cls, path: str | Path, payload: dict[str, Any] | None = None) -> "Predictor":
        """Rebuild this predictor class from a checkpoint written by :meth:`save`."""
        path = Path(path)
        payload = payload if payload is not None else read_checkpoint(path)
        metadata = payload["metadata"]
        if metadata["predictor"] != cls.name:
            raise TrackbenchError(
                f"checkpoint {path} holds predictor '{metadata['predictor']}', not '{cls.name}'"
            )
        try:
            spec = cls.Spec(**metadata["spec"])
        except ValidationError as error:
            raise TrackbenchError(
                f"checkpoint {path} does not match predictor '{cls.name}' of this trackbench "
                f"version:\n" + describe_validation_error(f"predictor '{cls.name}'", error)
            ) from None
        model = cls(spec)
        try:
            model.load_state_dict(payload["state_dict"])
        except RuntimeError as error:
            first = str(error).strip().splitlines()
            raise TrackbenchError(
                f"checkpoint {path}: weights do not fit predictor '{cls.name}' with its stored spec "
                f"({' '.join(first[:2])})"
            ) from None
        model.metadata = metadata
        return model.eval()


def read_checkpoint(path: str | Path) -> dict[str, Any]:
    """The raw checkpoint (``{"metadata", "state_dict"}``), loaded with ``weights_only=True``.

    Raises TrackbenchError naming the file when it is missing, unreadable, holds pickled objects,
    or its metadata or weights are malformed (:func:`metadata_problem`)."""
    path = Path(path)
    if path.is_dir():
        raise TrackbenchError(f"predictor checkpoint {path} is a folder, not a checkpoint file")
    if not path.is_file():
        raise TrackbenchError(f"predictor checkpoint {path} does not exist")
    payload = load_tensors(path, "the predictor checkpoint")
    metadata = payload.get("metadata") if isinstance(payload, dict) else None
    if not (isinstance(metadata, dict) and isinstance(payload.get("state_dict"), dict)
            and {"format", "predictor", "spec"} <= set(metadata)):
        raise TrackbenchError(
            f"predictor checkpoint {path} lacks trackbench metadata (predictor, spec, format)"
        )
    if metadata["format"] != CHECKPOINT_FORMAT or isinstance(metadata["format"], bool):
        raise TrackbenchError(
            f"predictor checkpoint {path} has format {metadata['format']!r:.40}; this trackbench "
            f"reads format {CHECKPOINT_FORMAT}. Retrain it with `trackbench predictor train`."
        )
    problem = metadata_problem(metadata) or _weights_problem(payload["state_dict"])
    if problem:
        raise TrackbenchError(f"predictor checkpoint {path} has malformed metadata: {problem}")
    return payload


def metadata_problem(metadata: dict[str, Any]) -> str | None:
    """What is wrong with a checkpoint's metadata (as :meth:`Predictor.save` writes it), or None:
    ``predictor`` a name, ``spec`` a dict with string keys, ``dataset`` / ``training`` dicts
    (``dataset``: an optional ``name`` string and ``spec`` dict)."""
    if not isinstance(metadata["predictor"], str) or not metadata["predictor"]:
        return f"'predictor' is {metadata['predictor']!r:.40}, not a name"
    spec = metadata["spec"]
    if not isinstance(spec, dict) or not all(isinstance(key, str) for key in spec):
        return f"'spec' is {type(spec).__name__} {spec!r:.40}, not a dict of fields"
    for key in ("dataset", "training"):
        if not isinstance(metadata.get(key, {}), dict):
            return f"'{key}' is {type(metadata[key]).__name__} {metadata[key]!r:.40}, not a dict"
    dataset = metadata.get("dataset", {})
    if not isinstance(dataset.get("name", ""), (str, type(None))):
        return f"'dataset.name' is {dataset['name']!r:.40}, not a name"
    if not isinstance(dataset.get("spec", {}), dict):
        return f"'dataset.spec' is {dataset['spec']!r:.40}, not a dict"
    return None


def _weights_problem(state_dict: dict[str, Any]) -> str | None:
    bad = [key for key, value in state_dict.items()
           if not (isinstance(key, str) and isinstance(value, torch.Tensor))]
    return f"'state_dict' entry {bad[0]!r:.40} is not a named tensor" if bad else None


def load_predictor(path: str | Path, registry: "Registry") -> Predictor:
    """Load any predictor of ``registry`` (the caller's; never one loaded here) from its
    checkpoint (the class is named in the metadata)."""
    payload = read_checkpoint(path)
    try:
        entry = registry.get("predictors", payload["metadata"]["predictor"])
    except TrackbenchError as error:
        raise TrackbenchError(f"checkpoint {path}: {error}") from None
    return entry.cls.from_checkpoint(path, payload)
