"""Pydantic specs: the base every plugin ``Spec`` extends, and the run/matrix specs.

All specs forbid unknown fields, reject NaN and infinity (``--set robot.base_yaw=nan`` would
otherwise reach the physics and poison a run) and are frozen, so a mistake fails at load and
plan time, not mid-matrix.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

RUN_ID_SEPARATOR = "__"
NAME_PATTERN = r"^[a-z][a-z0-9_]*$"


class FrozenSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True,
                              allow_inf_nan=False)


def with_preset(data: Any, presets: dict[str, dict[str, Any]], default: str) -> Any:
    """Raw spec input with the fields of its named preset (``data["preset"]``, else ``default``)
    filled in where ``data`` does not set them; for a ``model_validator(mode="before")``. An
    unknown preset name is left for the field's own ``Literal`` check to report."""
    if isinstance(data, dict):
        preset = data.get("preset", default)
        if preset in presets:
            return {**presets[preset], **data}
    return data


class PluginSpec(FrozenSpec):
    """Base of every plugin's nested ``Spec``. Fields need defaults: ``Spec()`` must validate."""


class RunSpec(FrozenSpec):
    """One cell of the matrix: fully resolved, written to ``runs/<run_id>/spec.json``."""

    engine: str = Field(description="engine plugin name")
    robot: str = Field(description="robot plugin name")
    task: str = Field(description="task plugin name")
    method: str = Field(description="reward-method plugin name")
    seed: int = Field(ge=0, description="seed of the engine, the resets and PPO")
    agent_steps: int = Field(gt=0, description="training budget in agent (env) steps")
    num_envs: int = Field(gt=0, description="parallel environments")
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
    seeds: int = Field(default=1, ge=1, description="seeds 0..seeds-1 per cell")
    engine: str = "mujoco"
    agent_steps: int = Field(default=200_000, gt=0)
    num_envs: int = Field(default=64, gt=0)
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
