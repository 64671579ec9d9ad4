"""Plugin discovery: built-ins and a real third-party package through the same entry points."""

from __future__ import annotations

import json

import pytest

from tests.harness.conftest import TOY_OPTIONAL_ENTRY_POINTS, assert_user_error
from trackbench.harness import hookspecs
from trackbench.harness.plugins import DISABLE_ENV, hook_result_problem, load_registry
from trackbench.harness.registry import KINDS, Registry
from trackbench.harness.robot import RobotSpec


def test_every_hookspec_is_documented_and_prefixed():
    hooks = [name for name in dir(hookspecs) if name.startswith("trackbench_register_")]
    assert sorted(hooks) == sorted(f"trackbench_register_{kind}" for kind in KINDS)
    for name in hooks:
        assert len((getattr(hookspecs, name).__doc__ or "").strip()) > 40, name


def test_builtins_register_through_the_entry_point_group():
    registry = load_registry()
    assert not registry.problems
    assert registry.names("engines") == ["mjwarp", "mujoco"]
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


def test_list_settings_gives_every_field_of_every_plugin_spec(cli):
    from trackbench.harness.plugins import load_registry

    result = cli("list", "--settings", "--json")
    assert result.exit_code == 0, result.output
    listing = json.loads(result.stdout)
    registry = load_registry()
    for kind in KINDS:
        for item in listing[kind]:
            spec_cls = registry.get(kind, item["name"]).cls.Spec
            assert [s["name"] for s in item["settings"]] == list(spec_cls.model_fields), item
    transformer = {s["name"]: s for s in listing["predictors"][0]["settings"]}
    assert transformer["fingertip_spread"]["default"] == [1.0, 1.0]
    assert transformer["fingertip_spread"]["type"] == "tuple[float, float]"
    assert transformer["fingertip_spread"]["description"].startswith("[low, high]")
    table = cli("list", "methods", "--settings")
    assert table.exit_code == 0 and "track settings (--set method.FIELD=VALUE)" in table.stdout
    assert "form" in table.stdout and "checkpoint" in table.stdout


def test_list_ppo_gives_every_ppo_setting(cli):
    from trackbench.harness.training.ppo import PPOSpec

    result = cli("list", "ppo", "--json")
    assert result.exit_code == 0, result.output
    settings = {s["name"]: s for s in json.loads(result.stdout)["ppo"]["settings"]}
    assert list(settings) == list(PPOSpec.model_fields)
    assert settings["preset"]["default"] == "cpu"
    assert all(setting["description"] for setting in settings.values())
    table = cli("list", "ppo")
    assert table.exit_code == 0 and "PPOSpec settings (--set ppo.FIELD=VALUE)" in table.stdout


def test_list_unknown_kind(cli):
    assert_user_error(cli("list", "robts"), "unknown kind 'robts'", "Did you mean 'robots'?")
    assert_user_error(cli("list", "pp"), "Valid kinds: datasets, engines, methods, ppo,")


def test_disabled_plugins_are_not_loaded(cli, toy_plugins, monkeypatch):
    monkeypatch.setenv(DISABLE_ENV, ",".join(("toy",) + TOY_OPTIONAL_ENTRY_POINTS))
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


def robot_names(cli) -> list[str]:
    return [item["name"] for item in json.loads(cli("list", "--json").stdout)["robots"]]


def test_hook_returning_a_bare_class_is_its_problem_and_others_still_load(cli, toy_plugins):
    toy_plugins("toy_bare")
    listing = cli("list", "robots")
    assert_user_error(listing, "entry point 'toy_bare' (package 'trackbench-toy')",
                      "returned the class BareRobot itself", "e.g. [BareRobot]")
    assert "allegro" in listing.stdout and "│ a " in listing.stdout
    assert "│ bare " not in listing.stdout
    dry_run = cli("run", "--robot", "a", "--task", "t", "--method", "m", "--dry-run")
    assert_user_error(dry_run, "toy_bare", "returned the class BareRobot itself")


def test_an_entry_point_named_like_a_builtin_one_loads_beside_it(cli, toy_plugins):
    toy_plugins("trackbench-toy:robots")
    result = cli("list", "--json")
    assert result.exit_code == 0, result.output
    robots = {item["name"]: item for item in json.loads(result.stdout)["robots"]}
    assert {"allegro", "svh", "xhand", "leap", "a", "b"} == set(robots)
    assert (robots["leap"]["package"], robots["leap"]["entry_point"]) == ("trackbench-toy", "robots")
    assert (robots["allegro"]["package"], robots["allegro"]["entry_point"]) == ("trackbench", "robots")


def test_a_package_qualified_name_blocks_one_package_a_bare_name_every_package(cli, toy_plugins,
                                                                              monkeypatch):
    others = [e for e in TOY_OPTIONAL_ENTRY_POINTS if e != "trackbench-toy:robots"]
    # The package is written as its import name: blocking normalises it (PEP 503).
    monkeypatch.setenv(DISABLE_ENV, ",".join(others + ["trackbench_toy:robots"]))
    assert robot_names(cli) == ["a", "allegro", "b", "svh", "xhand"]
    monkeypatch.setenv(DISABLE_ENV, ",".join(others + ["robots"]))
    assert robot_names(cli) == ["a", "b"]


@pytest.mark.parametrize("result, fragment", [
    ("allegro", "returned 'allegro' (str); it must return a list of robot classes."),
    ({"leap": 1}, "returned {'leap': 1} (dict)"),
    (RobotSpec, "returned the class RobotSpec itself"),
])
def test_a_hook_result_that_is_not_a_list_is_described(result, fragment):
    problem = hook_result_problem(result, "trackbench_register_robots", "robot")
    assert problem is not None and fragment in problem, problem


@pytest.mark.parametrize("result", [None, [], (), [RobotSpec]])
def test_lists_tuples_and_none_pass_the_result_check(result):
    # The items are Registry.add's to check; None is a hook with nothing to register.
    assert hook_result_problem(result, "trackbench_register_robots", "robot") is None


def test_items_that_are_not_plugin_classes_are_named_with_their_package():
    class Nameless:
        """No name."""

    class Specless:
        """No Spec."""

        name = "specless"

    class ExplodingSpec:
        """Spec() raises something other than a ValidationError."""

        name = "exploding"

        class Spec(RobotSpec):
            def __init__(self, **data):
                raise RuntimeError("boom")

    registry = Registry()
    for item in ("leap", Nameless, Specless, ExplodingSpec):
        registry.add("robots", item, "leap-pkg", "leap")
    assert registry.names("robots") == []
    assert len(registry.problems) == 4
    assert all("entry point 'leap' (package 'leap-pkg')" in p for p in registry.problems)
    assert "registered 'leap' as a robot; expected a class" in registry.problems[0]
    assert "needs a class attribute `name`" in registry.problems[1]
    assert "robot 'specless' needs a nested `Spec`" in registry.problems[2]
    assert "robot 'exploding': Spec() raised RuntimeError: boom" in registry.problems[3]
