"""`trackbench run --config FILE`: spec settings from YAML recipes, ``{KIND: {FIELD: VALUE}}``,
what ``--set KIND.FIELD=VALUE`` gives one at a time, kept in a file so that a recipe is named and
versioned (as rl-games and IsaacGymEnvs keep their settings in YAML). Files given more than once
apply in order; ``--set`` wins over all of them, field by field."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from trackbench.harness.cli.options import SettingsSafeLoader
from trackbench.harness.errors import TrackbenchError

Settings = dict[str, dict[str, Any]]  # {kind: {field: value}}
_FORM = "a mapping of KIND: {FIELD: VALUE} (e.g. robot: {hand_kp: 40})"


def read_settings_file(path: Path) -> Settings:
    """The settings in one YAML file. Values are read as ``--set`` reads them (``2e6`` is a
    number); an empty file, or a kind with every field commented out, holds no settings.

    Raises TrackbenchError, naming the file, for a missing or unreadable file, YAML that does not
    parse (with its line), a key repeated in one mapping, nesting too deep to read, or a file that
    is not that two-level mapping with names for keys; unknown kinds and fields are judged when
    the plan is made, as ``--set``'s are."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        where = "" if path.is_absolute() else f" (looked for {path.absolute()})"
        raise TrackbenchError(f"--config {path}: no such file{where}") from None
    except (OSError, UnicodeDecodeError) as error:  # a folder, no permission, not text
        raise TrackbenchError(f"--config {path}: cannot be read ({error})") from None
    try:
        data = yaml.load(text, Loader=SettingsSafeLoader)
    except RecursionError:
        raise TrackbenchError(f"--config {path}: nested too deeply to read") from None
    except yaml.YAMLError as error:
        raise TrackbenchError(f"--config {path}: not valid YAML ({_yaml_problem(error)})") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise TrackbenchError(f"--config {path}: expected {_FORM}, got {_shape(data)}")
    settings: Settings = {}
    for kind, fields in data.items():
        if not isinstance(kind, str):
            raise TrackbenchError(f"--config {path}: a kind must be a name, got {kind!r} "
                                  f"({_shape(kind)}); expected {_FORM}")
        fields = {} if fields is None else fields
        if not isinstance(fields, dict):
            raise TrackbenchError(f"--config {path}: '{kind}' holds {_shape(fields)}, not "
                                  f"FIELD: VALUE pairs; expected {_FORM}")
        bad = [key for key in fields if not isinstance(key, str)]
        if bad:
            raise TrackbenchError(f"--config {path}: '{kind}' has a field named {bad[0]!r}, "
                                  f"not a name; expected {_FORM}")
        settings[kind] = dict(fields)
    return settings


def settings_from(files: list[Path], overrides: Settings) -> Settings:
    """The settings of ``files`` in order, each later one replacing the fields it names, then
    ``overrides`` (``--set``'s) on top. Raises TrackbenchError as read_settings_file does."""
    merged: Settings = {}
    for layer in [*map(read_settings_file, files), overrides]:
        for kind, fields in layer.items():
            merged.setdefault(kind, {}).update(fields)
    return merged


def with_sources(message: str, files: list[Path]) -> str:
    """A plan-time error's message with the files its settings came from named after it (the
    plugins' validation names kinds and fields, not where they were written)."""
    if not files:
        return message
    return f"{message}\n(settings read from --config {', '.join(map(str, files))}; --set wins)"


def _yaml_problem(error: yaml.YAMLError) -> str:
    """PyYAML's problem and where it is, in lines (1-based): 'expected ',' or ']' at line 4,
    in a flow sequence begun at line 3'."""
    problem = getattr(error, "problem", None) or "not valid YAML"
    mark, context = getattr(error, "problem_mark", None), getattr(error, "context_mark", None)
    text = problem + (f" at line {mark.line + 1}" if mark is not None else "")
    if context is not None and getattr(error, "context", None):
        within = error.context.replace("while parsing ", "in ")
        text += f", {within} begun at line {context.line + 1}"
    return text


def _shape(value: Any) -> str:
    """A YAML word for what a value is: 'a list', 'a mapping', 'a single value (40)'."""
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return "nothing" if value is None else f"a single value ({value!r})"
