"""Pydantic specs: the base every plugin ``Spec`` extends, and the run/matrix specs.

All specs forbid unknown fields, reject NaN and infinity (``--set robot.base_yaw=nan`` would
otherwise reach the physics and poison a run), refuse a boolean where a number belongs
(``--set robot.hand_kp=true`` is a typo, not 1.0) and are frozen, so a mistake fails at load and
plan time, not mid-matrix. Counts that allocate memory or cells have upper bounds, named in the
message when exceeded.
"""

from __future__ import annotations

import types
import typing
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationInfo, field_validator

RUN_ID_SEPARATOR = "__"
NAME_PATTERN = r"^[a-z][a-z0-9_]*$"

# Upper bounds of the matrix: a typo such as --seeds 1000000 would otherwise plan for minutes and
# allocate gigabytes before the first cell starts.
MAX_SEEDS = 1000
MAX_ENVS = 16_384  # 4x the paper's 4096 GPU envs; each env holds its own MuJoCo state
MAX_AGENT_STEPS = 10**12  # ~30 years at the paper's 1,000 agent steps/s on a CPU
# Network sizes (PPO's actor, critic and PointNet, AMP's discriminator, predictors): a typo such as
# actor_units=[10**9] would otherwise end minutes into a run as an out-of-memory crash.
MAX_UNITS = 4096  # neurons in one layer (the paper's widest: 1024)
MAX_LAYERS = 16

LayerUnits = tuple[Annotated[int, Field(ge=1, le=MAX_UNITS)], ...]


def _two_numbers(value: Any) -> Any:
    if not isinstance(value, (list, tuple)) or len(value) != 2:
        raise ValueError(f"must be [low, high] (two numbers), got {value!r}")
    return value


# A range setting written [low, high]; anything but two items is refused in those words.
LowHigh = Annotated[tuple[float, float], BeforeValidator(_two_numbers)]


class FrozenSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True,
                              allow_inf_nan=False)

    @field_validator("*", mode="before")
    @classmethod
    def _no_boolean_as_number(cls, value: Any, info: ValidationInfo) -> Any:
        """Pydantic's lax mode reads true as 1 for int and float fields; YAML's true, yes and on
        then pass silently as numbers. Raises ValueError for a boolean where a number belongs."""
        annotation = cls.model_fields[info.field_name].annotation
        if not _boolean_where_number(annotation, value):
            return value
        if isinstance(value, bool):
            raise ValueError(f"expected a number, got the boolean {str(value).lower()}")
        raise ValueError(f"expected numbers, got a boolean among {list(value)}")


def _boolean_where_number(annotation: Any, value: Any) -> bool:
    """Whether ``value`` is, or (in a tuple or list) holds, a boolean in a place ``annotation``
    types as a number (int or float) and not as a boolean."""
    if isinstance(value, bool):
        allowed = _plain_types(annotation)
        return bool(allowed & {int, float}) and not allowed & {bool, Any}
    if isinstance(value, (list, tuple)):  # tuple[int, ...], tuple[float, float] | None, ...
        return any(_boolean_in_items(member, value) for member in _union_members(annotation)
                   if typing.get_origin(member) in (tuple, list))
    return False


def _boolean_in_items(sequence_type: Any, items: list | tuple) -> bool:
    arguments = [a for a in typing.get_args(sequence_type) if a is not Ellipsis]
    if len(arguments) == 1:  # tuple[int, ...], list[float]
        arguments *= len(items)
    return any(_boolean_where_number(a, item) for a, item in zip(arguments, items))


def _union_members(annotation: Any) -> tuple[Any, ...]:
    if typing.get_origin(annotation) is typing.Annotated:  # Annotated[int, Field(ge=1)]
        return _union_members(typing.get_args(annotation)[0])
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        return tuple(m for member in typing.get_args(annotation) for m in _union_members(member))
    return (annotation,)


def _plain_types(annotation: Any) -> set[Any]:
    """The plain classes (and Any) an annotation admits at its top level."""
    return {member for member in _union_members(annotation)
            if member is Any or isinstance(member, type)}


def with_preset(data: Any, presets: dict[str, dict[str, Any]], default: str) -> Any:
    """Raw spec input with the fields of its named preset (``data["preset"]``, else ``default``)
    filled in where ``data`` does not set them; for a ``model_validator(mode="before")``. An
    unknown preset name is left for the field's own ``Literal`` check to report."""
    if isinstance(data, dict):
        preset = data.get("preset", default)
        if preset in presets:
            return {**presets[preset], **data}
    return data


# Key, in a field's json_schema_extra, of the value runs ran before the field existed.
BEFORE_KEY = "before"


def added_setting(default: Any, *, before: Any, since: str, **field: Any) -> Any:
    """A pydantic ``Field`` for a setting added to a spec after runs were written without it:
    ``before`` (JSON-serialisable) is what those runs ran, ``since`` the date it was added
    (ISO 8601). Resuming, extending, evaluating or reporting such a run reads the absent field
    as ``before``, not as today's ``default`` (:func:`as_written`), so a new default never
    changes an earlier run silently: a resume that asks the new default is refused and names
    the difference. A setting whose default keeps the old behaviour needs the marker too where
    the spec keys a cache (a predictor's, a dataset's, the demonstrations' robot and task):
    :func:`cache_key_values` leaves such a setting out while it holds ``before``, so adding it
    does not orphan what was cached."""
    extra = {BEFORE_KEY: before, "added": since}
    return Field(default=default, json_schema_extra=extra, **field)


def cache_key_values(spec: BaseModel) -> dict[str, Any]:
    """``spec`` as JSON for a cache key: every field but those :func:`added_setting` marks that
    hold the value runs ran before they existed — a key written before a setting was added
    still matches while the setting keeps the old behaviour. (``before`` is a value the field
    validates to; tests/harness/test_resume.py checks that of every marked setting.)"""
    values = spec.model_dump(mode="json")
    for name, field in type(spec).model_fields.items():
        extra = field.json_schema_extra
        if isinstance(extra, dict) and BEFORE_KEY in extra \
                and getattr(spec, name) == extra[BEFORE_KEY]:
            del values[name]
    return values


def as_written(spec_cls: type[BaseModel], values: dict[str, Any]) -> dict[str, Any]:
    """``values`` (a spec as a run wrote it) with each absent field that :func:`added_setting`
    marks set to the value runs ran before it existed; other absent fields are left to their
    defaults."""
    filled = dict(values)
    for name, field in spec_cls.model_fields.items():
        extra = field.json_schema_extra
        if name not in values and isinstance(extra, dict) and BEFORE_KEY in extra:
            filled[name] = extra[BEFORE_KEY]
    return filled


class PluginSpec(FrozenSpec):
    """Base of every plugin's nested ``Spec``. Fields need defaults: ``Spec()`` must validate."""


class RunSpec(FrozenSpec):
    """One cell of the matrix: fully resolved, written to ``runs/<run_id>/spec.json``."""

    engine: str = Field(description="engine plugin name")
    robot: str = Field(description="robot plugin name")
    task: str = Field(description="task plugin name")
    method: str = Field(description="reward-method plugin name")
    seed: int = Field(ge=0, description="seed of the engine, the resets and PPO")
    agent_steps: int = Field(gt=0, le=MAX_AGENT_STEPS,
                             description="training budget in agent (env) steps")
    num_envs: int = Field(gt=0, le=MAX_ENVS, description="parallel environments")
    device: str = Field(default="cpu", description="torch device for training: cpu or cuda")
    engine_spec: dict[str, Any] = Field(default_factory=dict)
    robot_spec: dict[str, Any] = Field(default_factory=dict)
    task_spec: dict[str, Any] = Field(default_factory=dict)
    method_spec: dict[str, Any] = Field(default_factory=dict)
    ppo_spec: dict[str, Any] = Field(default_factory=dict, description="PPO settings (PPOSpec)")

    @property
    def run_id(self) -> str:
        return RUN_ID_SEPARATOR.join([self.robot, self.task, self.method, f"s{self.seed}"])


class MatrixSpec(FrozenSpec):
    """The cross product robots × tasks × methods × seeds, plus shared settings and overrides."""

    robots: list[str] = Field(min_length=1)
    tasks: list[str] = Field(min_length=1)
    methods: list[str] = Field(min_length=1)
    seeds: int = Field(default=1, ge=1, le=MAX_SEEDS, description=(
        "seeds per cell: first_seed .. first_seed + seeds - 1"))
    first_seed: int = Field(default=0, ge=0, le=MAX_SEEDS, description=(
        "the first seed, so that seed k of a cell can be run (or continued) on its own"))
    engine: str = "mujoco"
    agent_steps: int = Field(default=200_000, gt=0, le=MAX_AGENT_STEPS)
    num_envs: int = Field(default=64, gt=0, le=MAX_ENVS)
    device: str = Field(default="cpu", pattern=r"^(cpu|cuda(:\d+)?)$",
                        description="torch device for training: cpu, cuda or cuda:N")
    # Per-kind spec overrides, e.g. {"robot": {"hand_kp": 40.0}}; applied to every cell.
    overrides: dict[str, dict[str, Any]] = Field(default_factory=dict)

    @field_validator("robots", "tasks", "methods")
    @classmethod
    def _no_duplicates(cls, names: list[str]) -> list[str]:
        if len(set(names)) != len(names):
            raise ValueError(f"names repeat: {names}")
        return names
