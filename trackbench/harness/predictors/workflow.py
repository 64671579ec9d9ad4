"""Train a predictor on a dataset plugin, and the checkpoint cache the `track` method trains into
on first use (the run context's ``cache_dir``: ``$TRACKBENCH_CACHE``, default
``~/.cache/trackbench``)."""

from __future__ import annotations

import contextlib
import hashlib
import json
from contextvars import ContextVar
from pathlib import Path
from typing import Any, Iterator

import trackbench
from trackbench.harness.atomic import remove_leftovers
from trackbench.harness.context import RunContext
from trackbench.harness.dataset import HumanSequence
from trackbench.harness.errors import TrackbenchError
from trackbench.harness.predictor import Predictor, load_predictor
from trackbench.harness.registry import Registry
from trackbench.harness.specs import cache_key_values

# Who refuses to train a missing cache entry (``cache_only``); None: train it.
_REFUSED_BY: ContextVar[str | None] = ContextVar("trackbench_cache_only", default=None)


def load_split(registry: Registry, dataset: str, overrides: dict[str, Any], splits: tuple[str, ...]
               ) -> tuple[list[HumanSequence], dict[str, Any]]:
    """The sequences of ``splits`` and a description of the dataset for checkpoint metadata."""
    spec = registry.resolve_spec("datasets", dataset, overrides)
    source = registry.get("datasets", dataset).cls(spec)
    sequences = [s for s in source.sequences() if s.split in splits]
    return sequences, {"name": dataset, "spec": spec.model_dump(mode="json")}


def train_on_dataset(registry: Registry, predictor: str, overrides: dict[str, Any], dataset: str,
                     dataset_overrides: dict[str, Any], progress: bool = True,
                     device: str = "cpu", threads: int = 1
                     ) -> tuple[Predictor, dict[str, Any], dict[str, Any]]:
    """Build ``predictor`` with ``overrides``, train it on the dataset's "train" split (the "val"
    split monitors it). Returns (model, dataset description, training summary)."""
    spec = registry.resolve_spec("predictors", predictor, overrides)
    model = registry.get("predictors", predictor).cls(spec).to(device)
    everything, description = load_split(registry, dataset, dataset_overrides, ("train", "val"))
    train = [s for s in everything if s.split == "train"]
    val = [s for s in everything if s.split == "val"]
    if not train:
        raise TrackbenchError(f"dataset '{dataset}' has no sequences in its 'train' split")
    summary = model.fit(train, val, progress=progress, threads=threads)
    return model, description, summary


def cache_path(context: RunContext, predictor: str, overrides: dict[str, Any], dataset: str
               ) -> Path:
    """Where the checkpoint of this predictor spec trained on this dataset spec is cached."""
    registry = context.registry
    predictor_spec = registry.resolve_spec("predictors", predictor, overrides)
    dataset_spec = registry.resolve_spec("datasets", dataset, {})
    version = registry.get("datasets", dataset).cls.version
    key = json.dumps({
        "predictor": predictor, "spec": cache_key_values(predictor_spec),
        "dataset": dataset, "dataset_spec": cache_key_values(dataset_spec),
        # Version 1 is left out so that keys written before versions existed still match.
        **({"dataset_version": version} if version != 1 else {}),
        "trackbench": trackbench.__version__,
    }, sort_keys=True)
    digest = hashlib.sha256(key.encode()).hexdigest()[:12]
    preset = overrides.get("preset", "default")
    return context.cache_dir / "predictors" / f"{predictor}-{preset}-{dataset}-{digest}.pt"


def cached_predictor(context: RunContext, predictor: str, overrides: dict[str, Any], dataset: str
                     ) -> Predictor:
    """The cached checkpoint for this predictor + spec + dataset on ``context.device``, trained
    now (and reported through ``context.progress``) if there is none."""
    registry, device = context.registry, str(context.device)
    path = cache_path(context, predictor, overrides, dataset)
    if path.is_file():
        return load_predictor(path, registry).to(device)
    refused_by = _REFUSED_BY.get()
    if refused_by is not None:
        preset = overrides.get("preset")
        raise TrackbenchError(
            f"no cached '{predictor}' predictor ({preset} preset) for dataset '{dataset}' at "
            f"{path}; {refused_by} does not train one. Run a `track` cell once, or `trackbench "
            f"predictor train --preset {preset} --dataset {dataset} --out FILE` and pass "
            f"--checkpoint FILE")
    remove_leftovers(path.parent, target=path.name)  # of cache writes that were killed
    context.progress(
        f"[bold]No cached '{predictor}' predictor ({overrides.get('preset', 'default')} preset) for "
        f"dataset '{dataset}': training it once now[/] (a few minutes on a CPU); it will be cached "
        f"at {path}"
    )
    model, description, summary = train_on_dataset(registry, predictor, overrides, dataset, {},
                                                   device=device)
    model.save(path, dataset=description, training=summary)
    context.progress(f"predictor cached at {path}")
    return model.eval()


@contextlib.contextmanager
def cache_only(refused_by: str) -> Iterator[None]:
    """Within the block, :func:`cached_predictor` raises a TrackbenchError saying how to make a
    missing checkpoint (``refused_by`` "does not train one") instead of training it: a predictor
    is loaded exactly as a method would load it, but never trained."""
    token = _REFUSED_BY.set(refused_by)
    try:
        yield
    finally:
        _REFUSED_BY.reset(token)
