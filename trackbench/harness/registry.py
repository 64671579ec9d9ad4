"""Name → plugin class, per kind. Duplicates and unknown names fail loudly."""

from __future__ import annotations

import inspect
import re
import reprlib
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from trackbench.harness.dataset import Dataset, DatasetSpec
from trackbench.harness.engine import Engine, EngineSpec
from trackbench.harness.errors import TrackbenchError, describe_validation_error, unknown_name_error
from trackbench.harness.method import Method, MethodSpec
from trackbench.harness.predictor import Predictor, PredictorSpec
from trackbench.harness.robot import Robot, RobotSpec
from trackbench.harness.specs import NAME_PATTERN, PluginSpec
from trackbench.harness.task import Task, TaskSpec

# kind (plural, as in hook names and `list --json`) → singular, for messages.
KINDS: dict[str, str] = {
    "engines": "engine",
    "robots": "robot",
    "tasks": "task",
    "methods": "method",
    "predictors": "predictor",
    "datasets": "dataset",
}


# The base class (and Spec base) a plugin of each kind must extend.
KIND_CONTRACTS: dict[str, tuple[type, type]] = {
    "engines": (Engine, EngineSpec),
    "robots": (Robot, RobotSpec),
    "tasks": (Task, TaskSpec),
    "methods": (Method, MethodSpec),
    "predictors": (Predictor, PredictorSpec),
    "datasets": (Dataset, DatasetSpec),
}


@dataclass(frozen=True)
class PluginEntry:
    kind: str
    name: str
    cls: type
    package: str
    entry_point: str

    @property
    def description(self) -> str:
        doc = inspect.getdoc(self.cls) or ""
        return doc.strip().splitlines()[0] if doc.strip() else ""


@dataclass
class Registry:
    entries: dict[str, dict[str, PluginEntry]] = field(
        default_factory=lambda: {kind: {} for kind in KINDS}
    )
    # Problems found while loading (broken imports, bad classes, duplicates). Loading continues so
    # that `list` can still show the healthy plugins; commands that run anything refuse to start.
    problems: list[str] = field(default_factory=list)

    def add(self, kind: str, cls: Any, package: str, entry_point: str) -> None:
        """Register ``cls`` as a plugin of ``kind``; never raises. A class that breaks the contract
        (see ``hookspecs``) or reuses a name is recorded in :attr:`problems`, naming its package."""
        where = f"entry point '{entry_point}' (package '{package}')"
        problem = _class_problem(KINDS[kind], cls, where) or _contract_problem(kind, cls, where)
        if problem:
            self.problems.append(problem)
            return
        existing = self.entries[kind].get(cls.name)
        if existing is not None:
            self.problems.append(
                f"two {kind} are named '{cls.name}': one from package '{existing.package}' "
                f"(entry point '{existing.entry_point}'), one from package '{package}' "
                f"(entry point '{entry_point}'). Uninstall one, or block one entry point with "
                f"TRACKBENCH_DISABLE_PLUGINS=package:entry_point."
            )
            return
        self.entries[kind][cls.name] = PluginEntry(kind, cls.name, cls, package, entry_point)

    def names(self, kind: str) -> list[str]:
        return sorted(self.entries[kind])

    def get(self, kind: str, name: str) -> PluginEntry:
        try:
            return self.entries[kind][name]
        except KeyError:
            raise unknown_name_error(KINDS[kind], name, self.names(kind)) from None

    def raise_problems(self) -> None:
        """Refuse to run anything while a plugin failed to load (tox's check_pending idea)."""
        if self.problems:
            raise TrackbenchError("\n".join(self.problems))

    def resolve_spec(self, kind: str, name: str, overrides: dict[str, Any]) -> PluginSpec:
        entry = self.get(kind, name)
        try:
            return entry.cls.Spec(**overrides)
        except ValidationError as error:
            raise TrackbenchError(
                describe_validation_error(f"{KINDS[kind]} '{name}'", error)
            ) from None


def _class_problem(kind: str, cls: Any, where: str) -> str | None:
    """Why a registered object is not a usable plugin class, or None."""
    if not inspect.isclass(cls):
        return f"{where} registered {reprlib.repr(cls)} as a {kind}; expected a class."
    name = getattr(cls, "name", None)
    if not isinstance(name, str) or not re.match(NAME_PATTERN, name):
        return (
            f"{where}: {kind} class {cls.__qualname__} needs a class attribute `name` matching "
            f"{NAME_PATTERN}, got {name!r}."
        )
    spec = getattr(cls, "Spec", None)
    if not (inspect.isclass(spec) and issubclass(spec, PluginSpec)):
        return (
            f"{where}: {kind} '{name}' needs a nested `Spec` class subclassing "
            f"trackbench.harness.specs.PluginSpec."
        )
    try:
        spec()
    except ValidationError as error:
        return f"{where}: default spec is invalid.\n" + describe_validation_error(
            f"{kind} '{name}'", error
        )
    except Exception as error:  # a default factory or validator that crashes is the plugin's bug
        return f"{where}: {kind} '{name}': Spec() raised {type(error).__name__}: {error}"
    return None


def _contract_problem(kind: str, cls: Any, where: str) -> str | None:
    if kind not in KIND_CONTRACTS:
        return None
    base, spec_base = KIND_CONTRACTS[kind]
    if not issubclass(cls, base) or not issubclass(cls.Spec, spec_base):
        return (
            f"{where}: {KINDS[kind]} '{cls.name}' must subclass "
            f"{base.__module__}.{base.__name__} and its Spec {spec_base.__module__}.{spec_base.__name__}."
        )
    if inspect.isabstract(cls):
        missing = ", ".join(sorted(cls.__abstractmethods__))
        return f"{where}: {KINDS[kind]} '{cls.name}' does not implement {missing}."
    return None
