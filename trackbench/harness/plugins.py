"""The plugin manager: built-ins and third-party packages, all through entry-point group
``trackbench``. ``TRACKBENCH_DISABLE_PLUGINS=name,...`` blocks entry points by name."""

from __future__ import annotations

import os
from importlib.metadata import EntryPoint, entry_points

import pluggy

from trackbench import PROJECT_NAME
from trackbench.harness import hookspecs
from trackbench.harness.registry import KINDS, Registry

DISABLE_ENV = "TRACKBENCH_DISABLE_PLUGINS"


def disabled_entry_points() -> set[str]:
    raw = os.environ.get(DISABLE_ENV, "")
    return {name.strip() for name in raw.split(",") if name.strip()}


def _package_of(entry_point: EntryPoint) -> str:
    dist = getattr(entry_point, "dist", None)
    return dist.name if dist is not None else "unknown"


def load_registry() -> Registry:
    """Load every enabled entry point, call every register hook, and build the registry.

    A plugin that raises on import, misnames a hook or returns a bad class is recorded as a
    problem; the other plugins still load.
    """
    manager = pluggy.PluginManager(PROJECT_NAME)
    manager.add_hookspecs(hookspecs)
    registry = Registry()
    blocked = disabled_entry_points()
    packages: dict[str, str] = {}

    for entry_point in entry_points(group=PROJECT_NAME):
        if entry_point.name in blocked or manager.get_plugin(entry_point.name) is not None:
            continue
        package = _package_of(entry_point)
        try:
            module = entry_point.load()
            manager.register(module, name=entry_point.name)
        except Exception as error:  # a broken plugin must not take the others down
            registry.problems.append(
                f"plugin entry point '{entry_point.name}' (package '{package}', "
                f"'{entry_point.value}') failed to load: {type(error).__name__}: {error}"
            )
            continue
        packages[entry_point.name] = package

    while True:  # report every plugin with a misnamed hook; the others still load
        try:
            manager.check_pending()
            break
        except pluggy.PluginValidationError as error:
            name = manager.get_name(error.plugin) or repr(error.plugin)
            registry.problems.append(f"plugin entry point '{name}': {error}")
            manager.unregister(error.plugin)

    for kind in KINDS:
        hook = getattr(manager.hook, f"trackbench_register_{kind}")
        for implementation in hook.get_hookimpls():
            name = implementation.plugin_name
            try:
                classes = implementation.function() or []
            except Exception as error:
                registry.problems.append(
                    f"plugin entry point '{name}': trackbench_register_{kind}() raised "
                    f"{type(error).__name__}: {error}"
                )
                continue
            for cls in classes:
                registry.add(kind, cls, packages.get(name, "unknown"), name)
    return registry
