"""`trackbench run --config FILE`: a YAML file of spec settings (a recipe), read as `--set`
reads its values, with `--set` winning field by field; every recipe in benchmarks/recipes/
plans on the built-in plugins."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.harness.conftest import assert_user_error
from trackbench.harness.cli.options import merged_settings, parse_overrides, read_settings_file
from trackbench.harness.matrix import plan
from trackbench.harness.plugins import load_registry
from trackbench.harness.specs import MatrixSpec

RECIPES = sorted((Path(__file__).parents[3] / "benchmarks" / "recipes").glob("*.yaml"))


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "recipe.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_settings_file_reads_as_the_same_set_options(tmp_path):
    path = _write(tmp_path, "robot:\n  hand_kp: 40\ntask:\n  start_stages: [{until: 2e6}]\n"
                            "  pregrasp_progress: [0, 1]\n")
    assert read_settings_file(path) == parse_overrides(
        ["robot.hand_kp=40", "task.start_stages=[{until: 2e6}]", "task.pregrasp_progress=[0,1]"])
    assert read_settings_file(_write(tmp_path, "# nothing set\n")) == {}


def test_set_wins_over_the_file_field_by_field():
    merged = merged_settings({"robot": {"hand_kp": 40, "hand_effort": 0.7}},
                             {"robot": {"hand_kp": 20}, "ppo": {"horizon_length": 8}})
    assert merged == {"robot": {"hand_kp": 20, "hand_effort": 0.7}, "ppo": {"horizon_length": 8}}


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
                          str(bad), "--dry-run"), "task 't'", "field 'height'")
    result = cli("run", "--robot", "a", "--task", "t", "--method", "m", "--config", str(bad),
                 "--set", "task.height=2", "--out", str(out), "--dry-run")
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("text, fragment", [
    ("robot: {hand_kp: 40\n", "not valid YAML at line 2"),
    ("- robot.hand_kp=40\n", "expected a mapping of KIND: {FIELD: VALUE}"),
    ("robot: 40\n", "'robot' holds 40"),
    ("robot:\n  1: 2\n", "'robot' holds {1: 2}"),
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
