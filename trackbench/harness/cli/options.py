"""Option parsing shared by the commands: cell lists, the one `--set` parser (run, bench
--train, predictor train, data), run's `--config` settings file, and the trained-run argument
(video, evaluate)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from trackbench.harness.errors import TrackbenchError

if TYPE_CHECKING:
    from trackbench.harness.results import RunDir


class _ExponentSafeLoader(yaml.SafeLoader):
    """YAML 1.1 reads ``2e6`` and ``1.5e3`` (no dot, or no sign in the exponent) as strings;
    people write step counts so. This loader also reads them as floats (YAML 1.2's rule)."""


_EXPONENT_FLOAT = re.compile(r"^[-+]?(?:[0-9][0-9_]*(?:\.[0-9_]*)?|\.[0-9_]+)[eE][-+]?[0-9]+$")
_ExponentSafeLoader.add_implicit_resolver("tag:yaml.org,2002:float", _EXPONENT_FLOAT,
                                          list("-+0123456789."))


def names(values: str | list[str]) -> list[str]:
    """Plugin names from an option given comma-separated, repeated, or both:
    ["a,b", "c"] → ["a", "b", "c"]."""
    values = [values] if isinstance(values, str) else values
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


def parse_overrides(settings: list[str]) -> dict[str, dict[str, Any]]:
    """`robot.hand_kp=40` → {"robot": {"hand_kp": 40}}; values are parsed as YAML scalars.
    Raises TrackbenchError for a setting that is not KIND.FIELD=VALUE."""
    overrides: dict[str, dict[str, Any]] = {}
    for setting in settings:
        key, value = _key_and_value(setting, "KIND.FIELD=VALUE (e.g. robot.hand_kp=40)")
        kind, dot, field = key.partition(".")
        if not (dot and kind and field):
            raise TrackbenchError(f"--set expects KIND.FIELD=VALUE (e.g. robot.hand_kp=40), got "
                                  f"'{setting}'")
        overrides.setdefault(kind, {})[field] = value
    return overrides


def read_settings_file(path: Path) -> dict[str, dict[str, Any]]:
    """A YAML file of spec settings, ``{KIND: {FIELD: VALUE}}`` with KIND one of engine, robot,
    task, method, ppo: what ``--set KIND.FIELD=VALUE`` gives one at a time, kept in a file so a
    recipe is named and versioned (as rl-games and IsaacGymEnvs keep theirs in YAML). Values are
    read as ``--set`` reads them (``2e6`` is a number). An empty file holds no settings. Raises
    TrackbenchError for a missing or unreadable file, YAML that does not parse (with its line), or
    a file that is not that two-level mapping; unknown kinds and fields are judged later, as
    ``--set``'s are."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise TrackbenchError(f"--config {path}: no such file") from None
    except (OSError, UnicodeDecodeError) as error:  # a folder, no permission, not text
        raise TrackbenchError(f"--config {path}: cannot be read ({error})") from None
    try:
        data = yaml.load(text, Loader=_ExponentSafeLoader)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        problem = getattr(error, "problem", None) or "not valid YAML"
        raise TrackbenchError(f"--config {path}: not valid YAML{where} ({problem})") from None
    if data is None:
        return {}
    form = "a mapping of KIND: {FIELD: VALUE} (e.g. robot: {hand_kp: 40})"
    if not isinstance(data, dict):
        raise TrackbenchError(f"--config {path}: expected {form}, got a {type(data).__name__}")
    settings: dict[str, dict[str, Any]] = {}
    for kind, fields in data.items():
        if not isinstance(fields, dict) or not all(isinstance(key, str) for key in fields):
            raise TrackbenchError(f"--config {path}: '{kind}' holds {fields!r}; expected {form}")
        settings[str(kind)] = dict(fields)
    return settings


def merged_settings(base: dict[str, dict[str, Any]], overrides: dict[str, dict[str, Any]]
                    ) -> dict[str, dict[str, Any]]:
    """``base`` (a settings file's) with each field ``overrides`` (``--set``'s) names replaced:
    the command line wins over the file, field by field."""
    merged = {kind: dict(fields) for kind, fields in base.items()}
    for kind, fields in overrides.items():
        merged.setdefault(kind, {}).update(fields)
    return merged


def parse_fields(settings: list[str]) -> dict[str, Any]:
    """`width=128` → {"width": 128} (the predictor and dataset options, whose kind the command
    names); values are parsed as YAML scalars. Raises TrackbenchError for a setting that is not
    FIELD=VALUE."""
    return dict(_key_and_value(setting, "FIELD=VALUE (e.g. width=128)") for setting in settings)


def with_dataset_path(fields: dict[str, Any], path: str | None) -> dict[str, Any]:
    """A dataset's ``fields`` (from ``--set``) with ``path`` (``--dataset-path``) as its path.
    Raises TrackbenchError if ``--set path=`` names another folder: which one was meant is the
    user's to say."""
    if not path:
        return fields
    given = fields.get("path")
    if given is not None and str(given) != path:
        raise TrackbenchError(f"--dataset-path {path} and --set path={given} name two folders; "
                              f"give one of them")
    return {**fields, "path": path}


def _key_and_value(setting: str, form: str) -> tuple[str, Any]:
    key, sep, raw = setting.partition("=")
    if not (sep and key.strip()):
        raise TrackbenchError(f"--set expects {form}, got '{setting}'")
    try:
        value = yaml.load(raw, Loader=_ExponentSafeLoader)
    except yaml.YAMLError as error:
        if raw.strip()[:1] in ("{", "["):  # meant as a mapping or list: say why it is not one
            problem = getattr(error, "problem", None) or "not valid YAML"
            raise TrackbenchError(f"--set {key.strip()}: {raw.strip()} is not a valid YAML "
                                  f"{'mapping' if raw.strip()[0] == '{' else 'list'} "
                                  f"({problem})") from None
        value = raw  # not YAML: the plain string, which the field's own validation judges
    return key.strip(), value


def trained_run(run_dir: Path) -> "RunDir":
    """The RunDir of a run directory holding spec.json and checkpoints/last.pth; TrackbenchError
    saying which is missing otherwise (a missing folder, a file, an untrained run)."""
    from trackbench.harness.results import RunDir
    from trackbench.harness.training.checkpoint import checkpoint_path

    if not run_dir.is_dir():
        raise TrackbenchError(f"run directory {run_dir} not found" if not run_dir.exists()
                              else f"{run_dir} is a file, not a run directory")
    run = RunDir(run_dir)
    if not run.spec_file.is_file():
        raise TrackbenchError(f"{run_dir} is not a run directory: it has no spec.json")
    if not checkpoint_path(run).is_file():
        raise TrackbenchError(f"{run_dir} holds no checkpoint (checkpoints/last.pth): train the "
                              f"run first with `trackbench run`")
    return run
