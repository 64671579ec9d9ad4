"""Plugin discovery: built-ins and a real third-party package through the same entry points."""

from __future__ import annotations

import json

from tests.harness.conftest import assert_user_error
from trackbench.harness import hookspecs
from trackbench.harness.plugins import load_registry
from trackbench.harness.registry import KINDS


def test_every_hookspec_is_documented_and_prefixed():
    hooks = [name for name in dir(hookspecs) if name.startswith("trackbench_register_")]
    assert sorted(hooks) == sorted(f"trackbench_register_{kind}" for kind in KINDS)
    for name in hooks:
        assert len((getattr(hookspecs, name).__doc__ or "").strip()) > 40, name


def test_builtins_register_through_the_entry_point_group():
    registry = load_registry()
    assert not registry.problems
    assert registry.names("engines") == ["mujoco"]
    assert registry.names("robots") == ["allegro", "svh", "xhand"]
    for entry in registry.entries["robots"].values():
        assert entry.package == "trackbench"
        assert entry.entry_point == "robots"


def test_third_party_package_is_listed_with_its_package(cli, toy_plugins):
    result = cli("list", "--json")
    assert result.exit_code == 0, result.output
    listing = json.loads(result.stdout)
    assert set(listing) == set(KINDS)
    robots = {item["name"]: item for item in listing["robots"]}
    assert robots["a"]["package"] == "trackbench-toy"
    assert robots["a"]["description"] == "Toy robot A: an xArm7 with a one-joint paddle."
    assert robots["allegro"]["package"] == "trackbench"
    # Every hook has a plugin answering it: the toy package implements all six.
    for kind in KINDS:
        assert any(item["package"] == "trackbench-toy" for item in listing[kind]), kind


def test_list_one_kind_as_table(cli, toy_plugins):
    result = cli("list", "robot")
    assert result.exit_code == 0
    assert "trackbench-toy" in result.stdout and "allegro" in result.stdout
    assert "tasks" not in result.stdout


def test_list_unknown_kind(cli):
    assert_user_error(cli("list", "robts"), "unknown kind 'robts'", "Did you mean 'robots'?")


def test_disabled_plugins_are_not_loaded(cli, toy_plugins, monkeypatch):
    monkeypatch.setenv("TRACKBENCH_DISABLE_PLUGINS", "toy,toy_broken,toy_duplicate,toy_badspec,toy_typo,toy_notrobot")
    listing = json.loads(cli("list", "--json").stdout)
    assert [item["name"] for item in listing["robots"]] == ["allegro", "svh", "xhand"]


def test_plugin_raising_on_import_is_named_and_others_still_load(cli, toy_plugins):
    toy_plugins("toy_broken")
    result = cli("list", "robots")
    assert_user_error(result, "toy_broken", "trackbench-toy", "toy plugin exploded on import")
    assert "allegro" in result.stdout and "│ a " in result.stdout


def test_duplicate_names_name_both_packages(cli, toy_plugins):
    toy_plugins("toy_duplicate")
    result = cli("run", "--robot", "allegro", "--task", "t", "--method", "m", "--dry-run")
    assert_user_error(result, "two robots are named 'allegro'", "'trackbench'", "'trackbench-toy'")


def test_invalid_default_spec_names_plugin_field_and_problem(cli, toy_plugins):
    toy_plugins("toy_badspec")
    result = cli("list")
    assert_user_error(result, "method 'bad_method'", "field 'weight'", "greater than 0")


def test_misspelled_hook_is_reported(cli, toy_plugins):
    toy_plugins("toy_typo")
    assert_user_error(cli("list"), "toy_typo", "trackbench_register_robot")


def test_robot_that_is_not_a_robot_subclass_is_rejected_at_load(cli, toy_plugins):
    toy_plugins("toy_notrobot")
    result = cli("list", "robots")
    assert_user_error(result, "toy_notrobot", "robot 'gripper' must subclass trackbench.harness.robot.Robot")
    assert "gripper" not in result.stdout


def test_engine_with_unimplemented_methods_is_rejected_at_load():
    from trackbench.harness.engine import Engine, EngineSpec
    from trackbench.harness.registry import Registry

    class HalfEngine(Engine):
        """Implements nothing."""

        name = "half"

        class Spec(EngineSpec):
            pass

    registry = Registry()
    registry.add("engines", HalfEngine, "half-pkg", "half")
    assert registry.names("engines") == []
    assert "engine 'half' does not implement render, reset, state, step, unstable" in registry.problems[0]
