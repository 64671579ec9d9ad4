"""The paper's reward: track Π_h's prediction of the next fingertips, plus λ · sparse task reward.

Per control step, r = track_weight · r_track + λ · (the task's "task" terms) + energy (scaled by
``energy_scale`` as in ``dense`` and ``task``), where r_track compares Π_h's prediction from the
*pre-step* history with the fingertips the robot reached after the step
(``docs/reference/paper-code-facts.md`` §3). The history then takes in the post-step frame.

With no ``checkpoint``, the predictor comes from the run context's cache directory
(``$TRACKBENCH_CACHE``, default ``~/.cache/trackbench``), keyed by predictor, preset and dataset
spec; the first run trains it (the ``cpu`` preset on the ``synthetic`` set takes minutes on a
CPU) and says so through the context's progress reporter. With ``ensemble`` (further
checkpoints; not the paper's) Π_h is the mean of several predictors' predictions
(``harness/predictors/ensemble.py``).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Literal

import torch
from pydantic import Field, field_validator, model_validator

from trackbench.api import HandShape, Method, RewardTerm, TrackbenchError, added_setting
from trackbench.plugins.methods.composed import ComposedSpec, group_problems, weighted_group

if TYPE_CHECKING:
    from trackbench.api import (
        PredictionHistory, Registry, RobotSpec, RunContext, State, Task, TaskFrame,
    )


def tracking_distance(predicted: torch.Tensor, actual: torch.Tensor, norm: str) -> torch.Tensor:
    """[N] distance between predicted and reached fingertips [N, K, 3].

    l1_mean: mean |Δ| over all coordinates (the authors' code); l2: Euclidean norm of the whole
    keypoint vector; l2_squared: its square (the paper's Eq. 2 as written); centroid: Euclidean
    distance (m) between the fingertips' centroids — where the hand goes, not its shape (not
    the paper's: a robot hand whose fingertip spread no human hand has pays the same shape
    error at every step under the others, ``benchmarks/track_landscape.py``).
    """
    if norm == "centroid":
        return (predicted.mean(dim=1) - actual.mean(dim=1)).norm(dim=-1)
    difference = (predicted - actual).flatten(start_dim=1)
    if norm == "l1_mean":
        return difference.abs().mean(dim=1)
    if norm == "l2":
        return difference.norm(dim=1)
    if norm == "l2_squared":
        return difference.square().sum(dim=1)
    raise ValueError(f"unknown norm {norm!r}")


class Track(Method):
    """Ours: track Π_h's predicted human fingertips + λ·sparse task reward + energy penalty."""

    name = "track"

    class Spec(ComposedSpec):
        predictor: str = Field(default="transformer", description="predictor plugin Π_h")
        preset: str | None = Field(
            default="cpu", description="predictor preset trained on first use (checkpoint None)"
        )
        checkpoint: str | None = Field(
            default=None, description="predictor checkpoint; None = the cache, trained on first use"
        )
        dataset: str = Field(
            default="synthetic", description="human dataset the cached predictor is trained on"
        )
        norm: Literal["l1_mean", "l2", "l2_squared", "centroid"] = Field(
            default="l1_mean", description="tracking distance: l1_mean (authors' code), l2, "
            "l2_squared (paper Eq. 2), centroid (the fingertips' centroid only; not the paper's)"
        )
        form: Literal["distance", "progress"] = Field(
            default="distance", description="r_track = −d(prediction, reached) (distance: the "
            "paper's), or d(prediction, before the step) − d(prediction, reached) (progress: how "
            "far the step closed the gap; not the paper's)")
        hand_shape: HandShape = added_setting(
            "robot", before="robot", since="2026-12-02", description=(
                "the hand Π_h sees: robot (its keypoints as they are: the paper's) or human_rest "
                "(each episode's fingertips shifted, by per-finger offsets fixed at its reset, "
                "into the closest human hand at rest among the first frames of the first 200 "
                "training sequences of Π_h's data, centroid kept; predictions shifted back; "
                "needs a checkpoint that names its training data, readable here; not the "
                "paper's)"))
        ensemble: list[str] = added_setting(
            [], before=[], since="2026-12-04", description=(
                "further predictor checkpoints: Π_h is then the mean of `checkpoint`'s and "
                "these predictions (an ensemble; needs checkpoint and hand_shape=robot; not the "
                "paper's)"))
        track_weight: float = Field(default=1.0, description="weight of r_track (distrMatchRewScale)")
        task_weight: float = Field(default=1.0, description="λ: weight of the task's sparse terms")

        @field_validator("checkpoint")
        @classmethod
        def _checkpoint_exists(cls, checkpoint: str | None) -> str | None:
            # Checked here too, so that `run` rejects the plan before any cell starts.
            if checkpoint is not None and not Path(checkpoint).expanduser().is_file():
                kind = "is a folder, not a file" if Path(checkpoint).expanduser().is_dir() \
                    else "does not exist"
                raise ValueError(f"predictor checkpoint {checkpoint} {kind}")
            return checkpoint

        @field_validator("ensemble")
        @classmethod
        def _ensemble_files_exist(cls, ensemble: list[str]) -> list[str]:
            for path in ensemble:
                cls._checkpoint_exists(path)
            return ensemble

        @model_validator(mode="after")
        def _ensemble_needs_a_checkpoint(self) -> "Track.Spec":
            if self.ensemble and self.checkpoint is None:
                raise ValueError("ensemble averages further checkpoints with `checkpoint`'s "
                                 "predictions: set checkpoint too")
            if self.ensemble and self.hand_shape != "robot":
                raise ValueError("ensemble needs hand_shape=robot (the human rest shapes come "
                                 "from one Π_h's training data)")
            return self

    def setup(self, task: "Task", robot: "RobotSpec", num_envs: int,
              context: "RunContext | None" = None) -> None:
        from trackbench.api import PredictionHistory, training_rest_shapes

        super().setup(task, robot, num_envs, context)
        context = self.run_context()
        predictor = self._load_predictor(context).to(self.device)
        rest_shapes = (training_rest_shapes(context.registry, predictor)
                       if self.spec.hand_shape == "human_rest" else None)
        self.history: "PredictionHistory" = PredictionHistory(
            predictor, robot, num_envs, self.device, rest_shapes=rest_shapes)
        self.predictor_sha256 = weights_fingerprint(predictor)  # a resume must find the same Π_h
        # ... and the same rest shapes (read again from Π_h's training data at every start)
        self.rest_shapes_sha256 = None if rest_shapes is None else tensor_fingerprint(rest_shapes)
        self._distance = torch.zeros(num_envs, device=self.device)  # this step's, from observe

    def check_compatible(self, task: "Task", robot: "RobotSpec") -> list[str]:
        """Π_h speaks the five human fingertips, and r_track joins the task's "task" terms."""
        from trackbench.api import fingertip_map_problems

        return fingertip_map_problems(robot) + group_problems(task, "task")

    @classmethod
    def check_spec(cls, spec: "Track.Spec", registry: "Registry") -> None:
        if spec.checkpoint is not None:  # readable, well formed, of a registered predictor
            from trackbench.api import read_checkpoint

            for file in (spec.checkpoint, *spec.ensemble):
                path = Path(file).expanduser()
                name = read_checkpoint(path)["metadata"]["predictor"]
                try:
                    registry.get("predictors", name)
                except TrackbenchError as error:
                    raise TrackbenchError(f"checkpoint {path}: {error}") from None
                if name != spec.predictor:
                    raise TrackbenchError(f"checkpoint {path} holds predictor '{name}', but "
                                          f"method.predictor is '{spec.predictor}'")
            path = Path(spec.checkpoint).expanduser()
            if spec.hand_shape == "human_rest":
                _check_rest_shape_source(path, registry)
            return
        from trackbench.api import checked_dataset_spec

        registry.resolve_spec("predictors", spec.predictor, _predictor_overrides(spec, registry))
        # The cache trains on the dataset's defaults: a dataset on disk needs a checkpoint.
        checked_dataset_spec(registry, spec.dataset, {}, how_to_set=(
            f"track's predictor cache trains on the dataset's default settings, so train one "
            f"yourself (trackbench predictor train --dataset {spec.dataset} --dataset-path DIR "
            f"--out FILE) and pass --set method.checkpoint=FILE"))

    def _load_predictor(self, context: "RunContext"):
        from trackbench.api import cached_predictor, load_predictor

        if self.spec.checkpoint is not None:
            members = []
            for file in (self.spec.checkpoint, *self.spec.ensemble):
                path = Path(file).expanduser()
                predictor = load_predictor(path, context.registry)  # names a missing/corrupt file
                if predictor.name != self.spec.predictor:
                    raise TrackbenchError(
                        f"method 'track': checkpoint {path} holds predictor '{predictor.name}', "
                        f"but method.predictor is '{self.spec.predictor}'")
                members.append(predictor)
            if len(members) == 1:
                return members[0]
            from trackbench.api import MeanPredictor

            return MeanPredictor(members).eval()
        return cached_predictor(context, self.spec.predictor,
                                _predictor_overrides(self.spec, context.registry),
                                self.spec.dataset)

    def terms(self, task: "Task") -> tuple[RewardTerm, ...]:
        """r_track, then the task's sparse terms (λ scales them, not the energy penalty)."""
        spec = self.spec
        track = RewardTerm("track", self.track_reward, spec.track_weight)
        return (track,) + weighted_group(task, "task", spec.task_weight, spec.energy_scale)

    def begin(self, env_ids: torch.Tensor, state: "State") -> None:
        points, object_ids = self.task.predictor_objects(state)
        goal = self.task.goal_label(state)
        self.history.reset(env_ids, state.keypoints[env_ids], points[env_ids],
                           object_ids[env_ids], goal[env_ids])

    def observe(self, frame: "TaskFrame") -> None:
        """Compare Π_h's prediction from the history that ends before this step with the
        fingertips the step reached; then the history takes in the post-step frame."""
        state = frame.state
        predicted = self.history.predict()
        reached = self.history.map.robot_tips(state.keypoints.to(self.device))
        # Clone out of inference mode so the harness may accumulate it in place.
        self._distance = tracking_distance(predicted, reached, self.spec.norm).clone()
        if self.spec.form == "progress":  # the history's newest frame: the tips before the step
            before = self.history.newest_robot_tips()
            self._distance -= tracking_distance(predicted, before, self.spec.norm)
        points, _ = self.task.predictor_objects(state)
        self.history.push(state.keypoints, points)

    def track_reward(self, frame: "TaskFrame") -> torch.Tensor:
        """−d(Π_h's prediction from the pre-step history, the reached fingertips), d: spec.norm;
        form "progress" adds d(the prediction, the fingertips before the step)"""
        return -self._distance

    def fingertip_targets(self) -> torch.Tensor:
        """[N, K_tips, 3] Π_h's prediction from the current history: what the next step's r_track
        compares the reached fingertips with (``observe`` computes it again then; this extra
        forward pass is for display)."""
        return self.history.predict()

    def state_dict(self) -> dict:
        from trackbench.api import capture

        return {"history": capture(self.history, HISTORY_STATE),
                "predictor_sha256": self.predictor_sha256,
                "rest_shapes_sha256": self.rest_shapes_sha256}

    def load_state_dict(self, state: dict) -> None:
        from trackbench.api import restore

        saved = state.get("predictor_sha256")
        if saved is not None and saved != self.predictor_sha256:
            where = self.spec.checkpoint or "the predictor cache"
            raise TrackbenchError(
                f"method 'track': the predictor ({where}) is not the one this run was trained "
                f"with (its weights changed since the checkpoint), so the run cannot continue as "
                f"it began; put the original predictor back, or rerun with --force")
        if state.get("rest_shapes_sha256") != self.rest_shapes_sha256:
            raise TrackbenchError(
                "method 'track': the human rest shapes (hand_shape=human_rest) read from the data "
                "Π_h was trained on are not the ones this run was trained with (the dataset "
                "changed since the checkpoint), so the run cannot continue as it began; put the "
                "original data back, or rerun with --force")
        restore(self.history, state["history"], "method 'track' (Π_h's history)")


def weights_fingerprint(model: torch.nn.Module) -> str:
    """SHA-256 of a model's parameters and buffers, in state-dict order (what a resume must
    find unchanged)."""
    import hashlib

    digest = hashlib.sha256()
    for name, tensor in model.state_dict().items():
        digest.update(name.encode())
        digest.update(tensor.detach().cpu().contiguous().numpy().tobytes())
    return digest.hexdigest()


def tensor_fingerprint(tensor: torch.Tensor) -> str:
    """SHA-256 of a tensor's shape and float32 values."""
    import hashlib

    values = tensor.detach().to("cpu", torch.float32).contiguous()
    return hashlib.sha256(str(tuple(values.shape)).encode() + values.numpy().tobytes()).hexdigest()


# Π_h's per-env history (the prediction's whole input; offsets only with hand_shape=human_rest:
# capture skips None, and a run written before them has none); the weights are not state.
HISTORY_STATE = ("fingertips", "features", "object_ids", "goal_label", "mask", "offsets")


def _check_rest_shape_source(path: Path, registry: "Registry") -> None:
    """hand_shape=human_rest reads the rest shapes from the data Π_h was trained on: the
    checkpoint must name that dataset, and it must be readable here (TrackbenchError if not)."""
    from trackbench.api import checked_dataset_spec, read_checkpoint

    trained_on = read_checkpoint(path)["metadata"].get("dataset") or {}
    name = trained_on.get("name")
    if not name:
        raise TrackbenchError(
            f"method.hand_shape=human_rest takes the human rest shapes from the data Π_h was "
            f"trained on, but checkpoint {path} names no training dataset; use hand_shape=robot "
            f"or a checkpoint written by `trackbench predictor train`")
    try:
        checked_dataset_spec(registry, name, dict(trained_on.get("spec") or {}), how_to_set=(
            "the checkpoint names no data folder"))
    except TrackbenchError as error:
        raise TrackbenchError(
            f"method.hand_shape=human_rest takes the human rest shapes from the data Π_h was "
            f"trained on, as checkpoint {path} names it, and cannot read it here: {error}. Put "
            f"that data back, or use hand_shape=robot") from None


def _predictor_overrides(spec: Track.Spec, registry: "Registry") -> dict[str, str]:
    """The predictor spec fields the method sets: its preset, if any."""
    if spec.preset is None:
        return {}
    if "preset" not in registry.get("predictors", spec.predictor).cls.Spec.model_fields:
        raise TrackbenchError(
            f"predictor '{spec.predictor}' has no presets; set method.preset=null"
        )
    return {"preset": spec.preset}
