"""`trackbench run --config FILE` (settings_file.py): YAML files of spec settings (recipes),
read as `--set` reads its values, later files and then `--set` winning field by field; bad files
are one message naming the file; every recipe in benchmarks/recipes/ plans on the built-in
plugins."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.harness.conftest import assert_user_error
from trackbench.harness.cli.options import parse_overrides
from trackbench.harness.cli.settings_file import read_settings_file, settings_from
from trackbench.harness.matrix import plan
from trackbench.harness.plugins import load_registry
from trackbench.harness.specs import MatrixSpec

RECIPES = sorted((Path(__file__).parents[3] / "benchmarks" / "recipes").glob("*.yaml"))


def _write(tmp_path: Path, text: str, name: str = "recipe.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_a_settings_file_reads_as_the_same_set_options(tmp_path):
    path = _write(tmp_path, "robot:\n  hand_kp: 40\ntask:\n  start_stages: [{until: 2e6}]\n"
                            "  pregrasp_progress: [0, 1]\n")
    assert read_settings_file(path) == parse_overrides(
        ["robot.hand_kp=40", "task.start_stages=[{until: 2e6}]", "task.pregrasp_progress=[0,1]"])
    assert read_settings_file(_write(tmp_path, "# nothing set\n")) == {}
    assert read_settings_file(_write(tmp_path, "robot:\n  # hand_kp: 40\n")) == {"robot": {}}


def test_later_files_then_set_win_field_by_field(tmp_path):
    first = _write(tmp_path, "robot: {hand_kp: 40, hand_effort: 0.7}\ntask: {x: 1}\n", "a.yaml")
    second = _write(tmp_path, "robot: {hand_kp: 30}\n", "b.yaml")
    merged = settings_from([first, second], {"robot": {"hand_effort": 0.5}, "ppo": {"y": 8}})
    assert merged == {"robot": {"hand_kp": 30, "hand_effort": 0.5}, "task": {"x": 1},
                      "ppo": {"y": 8}}


def test_a_repeated_key_is_refused_not_dropped(tmp_path):
    from trackbench.harness.errors import TrackbenchError

    path = _write(tmp_path, "task:\n  x: 1\nrobot:\n  y: 2\ntask:\n  x: 3\n")
    with pytest.raises(TrackbenchError, match="found the key 'task' a second time at line 5"):
        read_settings_file(path)
    with pytest.raises(TrackbenchError, match="found the key 'x' a second time"):
        read_settings_file(_write(tmp_path, "task: {x: 1, x: 2}\n"))
    # An anchor merged in and then overridden is YAML's own way to repeat, and allowed.
    text = "robot: &r {a: 1, b: 2}\ntask:\n  <<: *r\n  b: 3\n"
    assert read_settings_file(_write(tmp_path, text))["task"] == {"a": 1, "b": 3}
    with pytest.raises(TrackbenchError, match="is not a valid YAML mapping"):
        parse_overrides(["task.x={a: 1, a: 2}"])


def test_run_plans_with_the_file_and_set_on_top(cli, toy_plugins, tmp_path):
    path = _write(tmp_path, "task:\n  height: 1.5\n")
    out = tmp_path / "runs"
    result = cli("run", "--robot", "a", "--task", "t", "--method", "m", "--config", str(path),
                 "--out", str(out), "--dry-run")
    assert result.exit_code == 0, result.output
    assert "a__t__m__s0" in result.stdout
    # The file's value reaches the plugin's validation; --set replaces it there.
    bad = _write(tmp_path, "task:\n  height: high\n")
    assert_user_error(cli("run", "--robot", "a", "--task", "t", "--method", "m", "--config",
                          str(bad), "--dry-run"), "task 't'", "field 'height'",
                      f"(settings read from --config {bad}; --set wins)")
    result = cli("run", "--robot", "a", "--task", "t", "--method", "m", "--config", str(bad),
                 "--set", "task.height=2", "--out", str(out), "--dry-run")
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("text, fragment", [
    ("robot: {hand_kp: 40\n", "not valid YAML (expected ',' or '}', but got '<stream end>' at "
                               "line 2, in a flow mapping begun at line 1)"),
    ("- robot.hand_kp=40\n", "expected a mapping of KIND: {FIELD: VALUE} (e.g. robot: "
                              "{hand_kp: 40}), got a list"),
    ("robot: 40\n", "'robot' holds a single value (40), not FIELD: VALUE pairs"),
    ("robot:\n  1: 2\n", "'robot' has a field named 1, not a name"),
    ("null:\n  hand_kp: 2\n", "a kind must be a name, got None (nothing)"),
    ("task: {x: 1}\n" "task: {x: 2}\n", "found the key 'task' a second time at line 2"),
    ("task:\n  x: " + "[" * 3000 + "]" * 3000 + "\n", "nested too deeply to read"),
])
def test_a_malformed_file_is_one_message(cli, toy_plugins, tmp_path, text, fragment):
    path = _write(tmp_path, text)
    result = cli("run", "--robot", "a", "--task", "t", "--method", "m", "--config", str(path),
                 "--dry-run")
    assert_user_error(result, f"--config {path}", fragment)


def test_a_missing_folder_or_binary_file_is_one_message(cli, toy_plugins, tmp_path):
    binary = tmp_path / "binary.yaml"
    binary.write_bytes(b"\xff\xfe\x00robot")
    for path, fragment in ((tmp_path / "nope.yaml", "no such file"),
                           (Path("nope.yaml"), "no such file (looked for "),
                           (tmp_path, "cannot be read"), (binary, "cannot be read")):
        result = cli("run", "--robot", "a", "--task", "t", "--method", "m", "--config",
                     str(path), "--dry-run")
        assert_user_error(result, f"--config {path}", fragment)


def test_an_unknown_kind_in_the_file_is_refused_as_on_the_command_line(cli, toy_plugins, tmp_path):
    path = _write(tmp_path, "robto:\n  hand_kp: 40\n")
    from_file = cli("run", "--robot", "a", "--task", "t", "--method", "m", "--config", str(path),
                    "--dry-run")
    from_set = cli("run", "--robot", "a", "--task", "t", "--method", "m", "--set",
                   "robto.hand_kp=40", "--dry-run")
    assert from_set.exit_code == 2
    assert_user_error(from_file, from_set.output.strip().splitlines()[-1].strip())


def test_every_config_given_is_read(cli, toy_plugins, tmp_path):
    good, bad = _write(tmp_path, "task:\n  height: 1.5\n"), _write(tmp_path, "robot: 4\n", "b.yml")
    for order in ((good, bad), (bad, good)):
        result = cli("run", "--robot", "a", "--task", "t", "--method", "m", "--dry-run",
                     *[arg for path in order for arg in ("--config", str(path))])
        assert_user_error(result, f"--config {bad}: 'robot' holds a single value (4)")


def test_set_values_nested_too_deeply_are_one_message(cli, toy_plugins):
    result = cli("run", "--robot", "a", "--task", "t", "--method", "m", "--dry-run", "--set",
                 "task.height=" + "[" * 3000 + "]" * 3000)
    assert_user_error(result, "--set task.height: the value is nested too deeply")


@pytest.mark.parametrize("recipe", RECIPES, ids=[path.stem for path in RECIPES])
def test_every_committed_recipe_plans_on_the_built_in_plugins(recipe):
    settings = read_settings_file(recipe)
    matrix = MatrixSpec(robots=["allegro"], tasks=["grasp_lift"], methods=["dense"],
                        overrides=settings)
    (cell,) = plan(matrix, load_registry())
    for kind, fields in settings.items():
        resolved = getattr(cell, f"{kind}_spec")
        for field, value in fields.items():
            assert _holds(resolved[field], value), (kind, field, resolved[field])


def _holds(resolved, given) -> bool:
    """Whether a resolved spec value holds what the recipe gave: equal, with mappings allowed
    to add their defaults and tuples read as lists."""
    if isinstance(given, dict):
        return isinstance(resolved, dict) and all(
            key in resolved and _holds(resolved[key], value) for key, value in given.items())
    if isinstance(given, list):
        return (isinstance(resolved, (list, tuple)) and len(resolved) == len(given)
                and all(map(_holds, resolved, given)))
    return resolved == given


def test_there_is_a_recipe_to_test():
    assert RECIPES
