"""`trackbench list [KIND] [--json] [--settings]`: every installed plugin with the package it
came from, and with ``--settings`` every field of its Spec (what ``--set KIND.FIELD=VALUE`` sets)."""

from __future__ import annotations

import json
from typing import Annotated, Any, Optional, get_args, get_origin

import typer
from rich.markup import escape
from rich.table import Table

from trackbench.harness import console
from trackbench.harness.errors import TrackbenchError, unknown_name_error

PPO = "ppo"  # `trackbench list ppo`: the trainer's settings beside the plugin kinds


def _kind(value: str) -> str:
    from trackbench.harness.registry import KINDS  # imports every contract, torch included

    plural = value if value in KINDS else value + "s"
    if plural not in KINDS:
        raise unknown_name_error("kind", value, [*KINDS, PPO])
    return plural


def list_command(
    kind: Optional[str] = typer.Argument(
        None, help="engines, robots, tasks, methods, predictors or datasets; ppo: PPO's settings"),
    as_json: bool = typer.Option(False, "--json", help="print JSON instead of tables"),
    settings: bool = typer.Option(
        False, "--settings", help="also every setting of each plugin: type, default, description"),
) -> None:
    """List installed engines, robots, tasks, methods, predictors and datasets."""
    # Deferred: loading plugins imports torch and MuJoCo, which `trackbench --help` must not pay for.
    from trackbench.harness.plugins import load_registry
    from trackbench.harness.registry import KINDS

    if kind == PPO:  # not a plugin kind: the trainer's one Spec
        _list_ppo(as_json)
        return
    kinds = [_kind(kind)] if kind else list(KINDS)
    registry = load_registry()
    if as_json:
        console.print_json({
            k: [{"name": e.name, "package": e.package, "description": e.description,
                 "entry_point": e.entry_point,
                 **({"settings": spec_settings(e.cls.Spec)} if settings else {})}
                for e in (registry.entries[k][name] for name in registry.names(k))]
            for k in kinds
        })
    else:
        for k in kinds:
            table = Table(title=k, title_justify="left")
            for column in ("name", "package", "description"):
                table.add_column(column)
            for name in registry.names(k):
                entry = registry.entries[k][name]
                table.add_row(entry.name, entry.package, entry.description)
            if not registry.entries[k]:
                table.add_row("—", "", "none installed")
            console.out.print(table)
            if settings:
                for name in registry.names(k):
                    console.out.print(_settings_table(k, name, registry.get(k, name).cls.Spec))
    if registry.problems:
        raise TrackbenchError("\n".join(registry.problems))


def _list_ppo(as_json: bool) -> None:
    """PPO's settings (``PPOSpec``, what ``--set ppo.FIELD=VALUE`` sets), defaults of the default
    preset."""
    from trackbench.harness.training.ppo import PPOSpec

    if as_json:
        console.print_json({PPO: {"settings": spec_settings(PPOSpec)}})
    else:
        console.out.print(_settings_table(PPO, "PPOSpec", PPOSpec))


def spec_settings(spec_cls: Any) -> list[dict[str, Any]]:
    """Every field of a plugin's Spec: name, type, default (as JSON; every plugin Spec has
    defaults, so ``Spec()`` validates) and description."""
    defaults = spec_cls().model_dump(mode="json")
    return [{"name": name, "type": _type_name(field.annotation), "default": defaults.get(name),
             "description": field.description or ""}
            for name, field in spec_cls.model_fields.items()]


def _type_name(annotation: Any) -> str:
    if get_origin(annotation) is Annotated:  # a constrained type: its base type
        annotation = get_args(annotation)[0]
    if isinstance(annotation, type) and not get_args(annotation):
        return annotation.__name__
    return str(annotation).replace("typing.", "").replace("typing_extensions.", "")


def _settings_table(kind: str, name: str, spec_cls: Any) -> Table:
    """The settings of one plugin, defaults shortened to a line."""
    how = {"engines": "--set engine.FIELD=VALUE", "robots": "--set robot.FIELD=VALUE",
           "tasks": "--set task.FIELD=VALUE", "methods": "--set method.FIELD=VALUE",
           PPO: "--set ppo.FIELD=VALUE",
           "predictors": "predictor train --set FIELD=VALUE",
           "datasets": "predictor train --dataset-set FIELD=VALUE; data retarget --set "
                         "dataset.FIELD=VALUE"}.get(kind, "")
    table = Table(title=escape(f"{name} settings ({how})"), title_justify="left")
    for column in ("setting", "type", "default", "description"):
        table.add_column(column, overflow="fold")
    for row in spec_settings(spec_cls):
        default = json.dumps(row["default"], ensure_ascii=False)
        table.add_row(*(escape(text) for text in (
            row["name"], row["type"], default if len(default) <= 40 else default[:37] + "…",
            row["description"])))
    return table
