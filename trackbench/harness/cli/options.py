"""Option parsing shared by the commands: cell lists, the one `--set` parser (run, bench
--train, predictor train, data) and its YAML loader (run's `--config` files too:
settings_file.py), and the trained-run argument and its --checkpoint (video, evaluate)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from trackbench.harness.errors import TrackbenchError

if TYPE_CHECKING:
    from trackbench.harness.results import RunDir


class SettingsSafeLoader(yaml.SafeLoader):
    """The safe loader with two changes for settings. YAML 1.1 reads ``2e6`` and ``1.5e3`` (no
    dot, or no sign in the exponent) as strings; people write step counts so: they are read as
    floats (YAML 1.2's rule). A key repeated in one mapping is an error (ConstructorError), not
    the last one silently winning: in a recipe a second ``task:`` would drop the first."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:
        seen: list[Any] = []
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":  # `<<: *anchor` merges on purpose
                continue
            key = self.construct_object(key_node, deep=True)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    "while reading a mapping", node.start_mark,
                    f"found the key {key!r} a second time", key_node.start_mark)
            seen.append(key)
        return super().construct_mapping(node, deep=deep)


_EXPONENT_FLOAT = re.compile(r"^[-+]?(?:[0-9][0-9_]*(?:\.[0-9_]*)?|\.[0-9_]+)[eE][-+]?[0-9]+$")
SettingsSafeLoader.add_implicit_resolver("tag:yaml.org,2002:float", _EXPONENT_FLOAT,
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


def only_kinds(overrides: dict[str, dict[str, Any]], kinds: tuple[str, ...], command: str,
               hint: str = "") -> dict[str, dict[str, Any]]:
    """``overrides`` (from :func:`parse_overrides`) unchanged when every kind is one of
    ``kinds``, the ones ``command`` uses; otherwise a TrackbenchError naming the first other kind
    (alphabetically), the kinds taken and ``hint`` (why, if the user may wonder)."""
    unknown = sorted(set(overrides) - set(kinds))
    if unknown:
        taken = f"{', '.join(kinds[:-1])} or {kinds[-1]}" if len(kinds) > 1 else kinds[0]
        raise TrackbenchError(f"--set {unknown[0]}.…: {command} takes settings of the {taken}"
                              + (f" ({hint})" if hint else ""))
    return overrides


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
        value = yaml.load(raw, Loader=SettingsSafeLoader)
    except RecursionError:
        raise TrackbenchError(f"--set {key.strip()}: the value is nested too deeply") from None
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


def checkpoint_option() -> Any:
    """``--checkpoint NAME`` of the commands that play a trained run (evaluate, video): 'last',
    or a checkpoint the run kept (``ppo.keep_every``) by epoch or name."""
    import typer

    return typer.Option("last", "--checkpoint", help="which checkpoint: last, or an epoch the run "
                        "kept (ppo.keep_every), as 1700 or epoch_001700")
