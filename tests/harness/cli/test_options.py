"""The `--set` value parser (YAML scalars, with numbers in exponent form read as numbers) and
plugin names given comma-separated or repeated."""

from __future__ import annotations

import pytest

from trackbench.harness.cli.options import names, only_kinds, parse_overrides
from trackbench.harness.errors import TrackbenchError


@pytest.mark.parametrize("raw, value", [
    ("2e6", 2e6), ("2E+06", 2e6), ("1.5e3", 1500.0), (".5e2", 50.0), ("-3e-2", -0.03),
    ("1e-3", 1e-3), ("3", 3), ("1_000", 1000), ("1.0", 1.0), ("e3", "e3"), ("abc", "abc"),
    ("[2e6, 1]", [2e6, 1]), ('[{"until": 2e6}]', [{"until": 2e6}]),
])
def test_values_are_yaml_and_exponents_without_a_dot_are_numbers(raw, value):
    parsed = parse_overrides([f"task.x={raw}"])["task"]["x"]
    assert parsed == value and type(parsed) is type(value)


def test_names_may_be_comma_separated_repeated_or_both():
    assert names("a, b") == ["a", "b"]
    assert names(["a,b", "c", " "]) == ["a", "b", "c"]


def test_a_repeated_task_option_plans_every_task_not_the_last(cli, tmp_path):
    result = cli("run", "--task", "grasp_lift", "--task", "cabinet", "--out", str(tmp_path),
                 "--dry-run")
    assert result.exit_code == 0, result.output
    assert "allegro__grasp_lift__track__s0" in result.output
    assert "allegro__cabinet__track__s0" in result.output


@pytest.mark.parametrize("raw, kind", [("{path: /data", "mapping"), ("[1, 2", "list"),
                                       ("{path: [1,2}", "mapping")])
def test_a_mapping_or_list_that_is_not_valid_yaml_is_named_as_such(raw, kind):
    from trackbench.harness.errors import TrackbenchError

    with pytest.raises(TrackbenchError, match=rf"--set method.x: .* is not a valid YAML {kind} \("):
        parse_overrides([f"method.x={raw}"])


def test_a_bad_mapping_on_the_command_line_is_one_message(cli, tmp_path):
    from tests.harness.conftest import assert_user_error

    result = cli("run", "--method", "amp", "--set", "method.dataset_spec={path: /data",
                 "--out", str(tmp_path), "--dry-run")
    assert_user_error(result, "method.dataset_spec: {path: /data is not a valid YAML mapping")


def test_only_kinds_passes_the_taken_kinds_and_names_the_first_other():
    overrides = parse_overrides(["task.episode_length=8", "robot.hand_kp=40"])
    assert only_kinds(overrides, ("engine", "robot", "task"), "probe") == overrides
    with pytest.raises(TrackbenchError) as error:
        only_kinds(parse_overrides(["ppo.horizon_length=8", "method.form=progress"]),
                   ("robot", "task"), "probe", "why")
    assert str(error.value) == "--set method.…: probe takes settings of the robot or task (why)"
