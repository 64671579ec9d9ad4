"""The plugin manager: built-ins and third-party packages, all through entry-point group
``trackbench``.

An entry point is identified by its distribution *and* its name: pluggy keys plugins by name, so
keying them by the bare entry-point name would let a package whose entry point is also called
``robots`` silently replace trackbench's own robots. ``TRACKBENCH_DISABLE_PLUGINS`` takes a
comma-separated list of entry points to block: ``name`` blocks that name in every package,
``package:name`` blocks it in one package only.
"""

from __future__ import annotations

import inspect
import os
import re
import reprlib
from dataclasses import dataclass
from importlib.metadata import EntryPoint, entry_points
from typing import Any

import pluggy

from trackbench import PROJECT_NAME
from trackbench.harness import hookspecs
from trackbench.harness.registry import KINDS, Registry

DISABLE_ENV = "TRACKBENCH_DISABLE_PLUGINS"


@dataclass(frozen=True)
class Source:
    """Where a plugin module came from: its distribution (package) and entry-point name."""

    package: str
    name: str
    value: str  # "module.path" the entry point names

    @property
    def key(self) -> str:
        """The name pluggy registers the module under; unique per (package, entry point)."""
        return f"{self.package}:{self.name}"

    def __str__(self) -> str:
        return f"entry point '{self.name}' (package '{self.package}')"


def normalized_package(package: str) -> str:
    """PEP 503 normalisation, so that ``trackbench_toy:x`` blocks package ``trackbench-toy``."""
    return re.sub(r"[-_.]+", "-", package).lower()


def disabled_entry_points() -> set[str]:
    """The blocked entry points, each ``name`` or ``normalized-package:name``."""
    raw = os.environ.get(DISABLE_ENV, "")
    blocked = set()
    for token in (part.strip() for part in raw.split(",")):
        package, colon, name = token.rpartition(":")
        if token:
            blocked.add(f"{normalized_package(package)}:{name}" if colon else token)
    return blocked


def is_blocked(source: Source, blocked: set[str]) -> bool:
    return source.name in blocked or f"{normalized_package(source.package)}:{source.name}" in blocked


def _source_of(entry_point: EntryPoint) -> Source:
    dist = getattr(entry_point, "dist", None)
    return Source(dist.name if dist is not None else "unknown", entry_point.name, entry_point.value)


def load_registry() -> Registry:
    """Load every enabled entry point, call every register hook, and build the registry.

    Never raises for a bad plugin: a plugin that raises on import, misnames a hook, returns
    something other than a list of plugin classes, or registers a name another package already
    uses is recorded in ``Registry.problems`` with its package; the other plugins still load.
    """
    manager = pluggy.PluginManager(PROJECT_NAME)
    manager.add_hookspecs(hookspecs)
    registry = Registry()
    sources = _register_entry_points(manager, registry)
    _drop_plugins_with_unknown_hooks(manager, registry, sources)
    for kind in KINDS:
        _collect_classes(kind, manager, registry, sources)
    return registry


def _register_entry_points(manager: pluggy.PluginManager, registry: Registry) -> dict[str, Source]:
    """Import and register every enabled entry point; returns pluggy name → its Source."""
    blocked = disabled_entry_points()
    sources: dict[str, Source] = {}
    for entry_point in entry_points(group=PROJECT_NAME):
        source = _source_of(entry_point)
        if is_blocked(source, blocked) or source.key in sources:
            continue
        try:
            manager.register(entry_point.load(), name=source.key)
        except Exception as error:  # a broken plugin must not take the others down
            registry.problems.append(
                f"plugin {source} ('{source.value}') failed to load: {type(error).__name__}: {error}"
            )
            continue
        sources[source.key] = source
    return sources


def _drop_plugins_with_unknown_hooks(manager: pluggy.PluginManager, registry: Registry,
                                     sources: dict[str, Source]) -> None:
    """Report and unregister every plugin implementing a hook the contract lacks (a typo)."""
    while True:  # check_pending raises for one plugin at a time
        try:
            manager.check_pending()
            return
        except pluggy.PluginValidationError as error:
            key = manager.get_name(error.plugin)
            registry.problems.append(f"plugin {sources.get(key, key)}: {error}")
            manager.unregister(error.plugin)


def _collect_classes(kind: str, manager: pluggy.PluginManager, registry: Registry,
                     sources: dict[str, Source]) -> None:
    """Call each plugin's register hook of ``kind`` on its own, so one bad result (or one that
    raises) is that plugin's problem and the other plugins' classes are still added."""
    hook_name = f"trackbench_register_{kind}"
    for implementation in getattr(manager.hook, hook_name).get_hookimpls():
        source = sources[implementation.plugin_name]
        try:
            result = implementation.function()
        except Exception as error:
            registry.problems.append(
                f"plugin {source}: {hook_name}() raised {type(error).__name__}: {error}"
            )
            continue
        problem = hook_result_problem(result, hook_name, KINDS[kind])
        if problem:
            registry.problems.append(f"plugin {source}: {problem}")
            continue
        for cls in result or ():  # None: the hook has nothing to register
            registry.add(kind, cls, source.package, source.name)


def hook_result_problem(result: Any, hook_name: str, kind: str) -> str | None:
    """Why a register hook's return value is not a list of classes, or None if it is one (or
    None). The items themselves are checked by ``Registry.add``."""
    if result is None or isinstance(result, (list, tuple)):
        return None
    if inspect.isclass(result):
        return (f"{hook_name}() returned the class {result.__qualname__} itself; it must return "
                f"a list of {kind} classes, e.g. [{result.__qualname__}].")
    return (f"{hook_name}() returned {reprlib.repr(result)} ({type(result).__name__}); it must "
            f"return a list of {kind} classes.")
