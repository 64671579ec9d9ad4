"""The diagnostic scripts' command line (benchmarks/script_cli.py): bad input is named, exit 2."""

from __future__ import annotations

import re
import runpy
import subprocess
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"
sys.path.insert(0, str(BENCHMARKS))

from script_cli import (  # noqa: E402  (the scripts' folder is not a package)
    BadArguments, choice, count_or_flag, non_negative_number, positive_number, run_script,
    split_arguments, split_flags, still_running, whole_number,
)


def test_options_and_positional_arguments_are_split_and_checked():
    assert split_arguments(["run", "5", "wrist=0.4"], ("wrist",), 2) == (["run", "5"],
                                                                        {"wrist": "0.4"})
    for argv, words in ((["run", "foo=1"], "unknown option 'foo' (known: wrist)"),
                        (["run", "wrist="], "option 'wrist' has no value"),
                        (["run", "wrist=1", "wrist=2"], "given twice"),
                        (["wrist=1"], "RUN_DIR is missing"),
                        (["a", "b", "c"], "at most 2 arguments")):
        with pytest.raises(BadArguments, match=re.escape(words)):
            split_arguments(argv, ("wrist",), 2)


@pytest.mark.parametrize("text", ["0", "-1", "abc", "nan", "inf"])
def test_a_speed_must_be_a_finite_positive_number(text):
    with pytest.raises(BadArguments, match="wrist must be"):
        positive_number(text, "wrist")


def test_counts_and_choices():
    assert whole_number(None, "STEPS", 140) == 140 and whole_number("3", "STEPS", 140) == 3
    for text in ("0", "2.5", "x"):
        with pytest.raises(BadArguments, match="STEPS must be a whole number"):
            whole_number(text, "STEPS", 140)
    assert choice(None, "clip", ("axis", "norm")) == "axis"
    with pytest.raises(BadArguments, match=re.escape("clip must be one of axis, norm, got 'x'")):
        choice("x", "clip", ("axis", "norm"))


@pytest.mark.parametrize("script", ["follow_trace.py", "track_landscape.py"])
def test_a_script_answers_bad_input_with_one_message_and_exit_status_2(script, tmp_path):
    (tmp_path / "spec.json").write_text("[]")
    for argv, words in (([str(tmp_path / "nope")], "is not a folder"),
                        ([str(tmp_path)], "is not a run spec"),
                        ([str(tmp_path), "shape=x" if script == "follow_trace.py" else "norm"],
                         "error: ")):
        done = subprocess.run([sys.executable, str(BENCHMARKS / script), *argv],
                              capture_output=True, text=True)
        assert done.returncode == 2, done.stderr
        assert words in done.stderr and "Traceback" not in done.stderr


# ---- every script of benchmarks/ that takes arguments: bad input, one message, exit status 2 ----
SCRIPTS = ("approach.py", "episode_failures.py", "grasp_noise.py", "hand_span.py",
           "pi_h_ensemble.py", "policy_behaviour.py", "pregrasp_paths.py", "scripted_grasp.py", "task_timing.py",
           "uniform_close.py")


def test_flags_counts_and_settings_of_the_other_scripts():
    assert split_flags(["run", "raise", "8"], ("raise", "pregrasp")) == (["run", "8"], {"raise"})
    with pytest.raises(BadArguments, match="'raise' given twice"):
        split_flags(["run", "raise", "raise"], ("raise",))
    assert split_arguments(["allegro", "robot.x=1"], None, 3, required=None) == (
        ["allegro"], {"robot.x": "1"})
    assert split_arguments([], (), 3, required=None) == ([], {})
    with pytest.raises(BadArguments, match=re.escape("option 'a' (this script takes none)")):
        split_arguments(["a=1"], (), 3, required=None)
    with pytest.raises(BadArguments, match=re.escape("nor one of noise")):
        count_or_flag("nosie", "ENVS", 32, ("noise",))
    assert count_or_flag(None, "ENVS", 32, ("noise",)) == 32
    assert whole_number("0", "at", 60, least=0) == 0 and non_negative_number("0", "STD") == 0.0
    with pytest.raises(BadArguments, match="STD must be a finite number ≥ 0, got -1"):
        non_negative_number("-1", "STD")


def test_an_env_whose_episode_ended_in_the_step_is_no_longer_read():
    """Its state after env.step is the next episode's reset (policy_behaviour.py read it as the
    episode's last: a pre-grasp reset counted as the hand coming near)."""
    import torch

    from trackbench.harness.env import VecEnv
    from trackbench.harness.matrix import plan
    from trackbench.harness.plugins import load_registry
    from trackbench.harness.specs import MatrixSpec

    registry = load_registry()
    matrix = MatrixSpec(robots=["allegro"], tasks=["grasp_lift"], methods=["dense"],
                        agent_steps=10, num_envs=3, overrides={"task": {"episode_length": 2}})
    env = VecEnv.build(plan(matrix, registry)[0], registry)
    env.reset(full_episodes=True)
    running = torch.tensor([True, False, True])
    first = env.step(torch.zeros(3, env.num_actions))
    assert first.episodes is None and still_running(running, first) is running
    second = env.step(torch.zeros(3, env.num_actions))  # every episode ends at its 2nd step
    assert sorted(second.episodes.env_ids.tolist()) == [0, 1, 2]
    assert still_running(running, second).tolist() == [False, False, False]
    assert running.tolist() == [True, False, True]  # the caller's mask is left as it was


def run_in_process(script: str, argv: list[str], monkeypatch, capsys) -> tuple[int, str, str]:
    """(exit status, stdout, stderr) of ``python benchmarks/SCRIPT ARGV``, run in this process
    (runpy, as __main__): the scripts' imports load once, not once per row."""
    monkeypatch.setattr(sys, "argv", [str(BENCHMARKS / script), *argv])
    try:
        runpy.run_path(str(BENCHMARKS / script), run_name="__main__")
        status = 0
    except SystemExit as stop:
        status = stop.code
    out, err = capsys.readouterr()
    return status, out, err


@pytest.fixture
def folders(tmp_path) -> dict[str, str]:
    """{name: path} for a row's "{name}": a run with a checkpoint, one without, an empty folder
    and a path that does not exist. No file is read before the arguments are checked."""
    (tmp_path / "run" / "checkpoints").mkdir(parents=True)
    (tmp_path / "run" / "spec.json").write_text("{}")
    (tmp_path / "run" / "checkpoints" / "last.pth").write_bytes(b"weights")
    (tmp_path / "untrained").mkdir()
    (tmp_path / "untrained" / "spec.json").write_text("{}")
    (tmp_path / "empty").mkdir()
    return {name: str(tmp_path / name) for name in ("run", "untrained", "empty", "nope")}


RUN_FOLDER_ROWS = [  # (argv, words of the message): RUN_DIR, for every script that takes one
    ([], "RUN_DIR is missing"),
    (["{nope}"], "{nope} is not a folder (RUN_DIR: a run's folder with spec.json)"),
    (["{empty}"], "{empty} has no spec.json"),
]
TRAINED_FOLDER_ROWS = RUN_FOLDER_ROWS + [  # the scripts that play the run's policy
    (["{untrained}"], "{untrained} holds no policy checkpoint ("),
]
BAD_INPUT = {
    "pi_h_ensemble.py": [  # {run}/spec.json stands in for a checkpoint: arguments come first
        ([], "CHECKPOINT is missing"),
        (["{run}/spec.json"], "give at least two checkpoints"),
        (["{run}/spec.json", "{nope}"], "{nope}: no such file"),
        (["{run}/spec.json", "{run}/spec.json", "envs=0"], "envs must be a whole number ≥ 1, got 0"),
        (["{run}/spec.json", "{run}/spec.json", "seconds=-1"],
         "seconds must be a finite number > 0, got -1"),
        (["{run}/spec.json", "{run}/spec.json", "progress=2"],
         "progress must be a number in [0, 1], got 2.0"),
        (["{run}/spec.json", "{run}/spec.json", "progress=half"],
         "progress must be a number in [0, 1], got 'half'"),
        (["{run}/spec.json", "{run}/spec.json", "width=3"], "unknown option 'width'"),
    ],
    "approach.py": TRAINED_FOLDER_ROWS + [
        (["{run}", "x"], "ENVS must be a whole number ≥ 2, got 'x'"),
        (["{run}", "1"], "ENVS must be a whole number ≥ 2, got 1"),
        (["{run}", "at=-1"], "at must be a whole number ≥ 0, got -1"),
        (["{run}", "at=soon"], "at must be a whole number ≥ 0, got 'soon'"),
        (["{run}", "every=2"], "unknown option 'every' (known: at)"),
        (["{run}", "at=1", "at=2"], "option 'at' given twice"),
        (["{run}", "at="], "option 'at' has no value"),
        (["{run}", "8", "9"], "at most 2 arguments besides the KEY=VALUE options, got 3"),
    ],
    "episode_failures.py": TRAINED_FOLDER_ROWS + [
        (["{run}", "many"], "'many' is neither ENVS (a whole number) nor one of noise"),
        (["{run}", "0"], "ENVS must be a whole number ≥ 1, got 0"),
        (["{run}", "32", "0"], "STEPS must be a whole number ≥ 1, got 0"),
        (["{run}", "32", "noisy"], "'noisy' is neither STEPS (a whole number) nor one of noise"),
        (["{run}", "noise", "noise"], "'noise' given twice"),
        (["{run}", "1", "2", "3"], "at most 3 arguments"),
        (["{run}", "seed=1"], "unknown option 'seed' (this script takes none)"),
    ],
    "grasp_noise.py": RUN_FOLDER_ROWS + [
        (["{untrained}", "x"], "ENVS must be a whole number ≥ 1, got 'x'"),
        (["{untrained}", "24", "0"], "STEPS must be a whole number ≥ 1, got 0"),
        (["{untrained}", "24", "100", "-0.1"], "STD must be a finite number ≥ 0, got -0.1"),
        (["{untrained}", "24", "100", "loud"], "STD must be a number ≥ 0, got 'loud'"),
        (["{untrained}", "--part", "legs"], "--part must be one of all, hand, arm, got 'legs'"),
        (["{untrained}", "--part"], "argument --part: expected one argument"),
        (["{untrained}", "--hand-std", "nan"], "--hand-std must be a finite number ≥ 0, got nan"),
        (["{untrained}", "--robot", "hand_effort"], "--robot expects FIELD=VALUE"),
        (["{untrained}", "--robot", "a=1", "--robot", "a=2"], "--robot a given twice"),
        (["{untrained}", "--noise", "1"], "unknown option or extra argument '--noise'"),
    ],
    "hand_span.py": [
        (["many"], "SEQUENCES must be a whole number ≥ 1, got 'many'"),
        (["60", "0"], "RESETS must be a whole number ≥ 1, got 0"),
        (["1", "2", "3"], "at most 2 arguments"),
        (["robot=svh"], "unknown option 'robot' (this script takes none)"),
    ],
    "policy_behaviour.py": TRAINED_FOLDER_ROWS + [
        (["pregrasp"], "RUN_DIR is missing"),
        (["{run}", "0"], "ENVS must be a whole number ≥ 1, got 0"),
        (["{run}", "pregrasps"],
         "'pregrasps' is neither ENVS (a whole number) nor one of pregrasp, grasped, raise"),
        (["{run}", "pregrasp", "grasped"], "pregrasp and grasped are two kinds of start"),
        (["{run}", "raise", "raise"], "'raise' given twice"),
        (["{run}", "progress=0.5,1"], "progress=LOW,HIGH places pre-grasp starts: give pregrasp"),
        (["{run}", "pregrasp", "progress=0.5"], "progress must be LOW,HIGH (two numbers"),
        (["{run}", "pregrasp", "progress=0.9,0.1"],
         "progress must be LOW,HIGH with 0 ≤ LOW ≤ HIGH ≤ 1, got '0.9,0.1'"),
        (["{run}", "open=0"], "open must be a finite number > 0, got 0"),
        (["{run}", "open=far"], "open must be a number > 0, got 'far'"),
        (["{run}", "close=1"], "unknown option 'close' (known: progress, open)"),
        (["{run}", "16", "8"], "at most 2 arguments"),
    ],
    "pregrasp_paths.py": [
        (["allegro", "grasp_lift", "0"], "RESETS must be a whole number ≥ 1, got 0"),
        (["allegro", "grasp_lift", "few"], "RESETS must be a whole number ≥ 1, got 'few'"),
        (["allegro", "grasp_lift", "12", "x"], "at most 3 arguments"),
        (["task=cabinet"], "unknown option 'task' (this script takes none)"),
    ],
    "scripted_grasp.py": [
        (["allegro", "grasp_lift", "-3"], "ENVS must be a whole number ≥ 1, got -3"),
        (["allegro", "grasp_lift", "12", "x"], "at most 3 arguments"),
        (["robot.=1"], "option 'robot.' names no field"),
        (["impratio=1", "engine.impratio=2"], "option 'engine.impratio' given twice"),
        (["impratio="], "option 'impratio' has no value"),
        (["=1"], "option '=1' has no name"),
    ],
    "task_timing.py": RUN_FOLDER_ROWS + [
        (["{untrained}", "0"], "ENVS must be a whole number ≥ 1, got 0"),
        (["{untrained}", "16", "speed=0"], "speed must be a finite number > 0, got 0"),
        (["{untrained}", "speed=fast"], "speed must be a number > 0, got 'fast'"),
        (["{untrained}", "wrist=0.2"], "unknown option 'wrist' (known: speed)"),
        (["{untrained}", "speed=5"], "speed must be at most 2.0 m/s (robot.wrist_linear_speed)"),
        (["{untrained}", "=1"], "option '=1' has no name"),
        (["{untrained}", "16", "8"], "at most 2 arguments"),
    ],
    "uniform_close.py": [
        (["allegro", "x"], "ENVS must be a whole number ≥ 1, got 'x'"),
        (["allegro", "24", "0"], "CLOSE must be a whole number ≥ 1, got 0"),
        (["allegro", "24", "10", "some"],
         "the hand's actions must be one of all, flex, none, got 'some'"),
        (["svh", "24", "10", "flex"],
         "flex holds the abduction joints of allegro only, not of 'svh'"),
        (["allegro", "24", "10", "all", "more"], "at most 4 arguments"),
        (["robot=svh"], "unknown option 'robot' (this script takes none)"),
    ],
}
ROWS = [(script, argv, words) for script, rows in BAD_INPUT.items() for argv, words in rows]


def test_every_script_with_arguments_has_rows():
    assert sorted(BAD_INPUT) == sorted(SCRIPTS)


@pytest.mark.parametrize("script, argv, words", ROWS,
                         ids=[f"{script}:{' '.join(argv) or '(none)'}" for script, argv, _ in ROWS])
def test_a_bad_argument_gets_its_own_message_the_usage_and_exit_status_2(
        script, argv, words, folders, monkeypatch, capsys):
    given = [argument.format(**folders) for argument in argv]
    status, out, err = run_in_process(script, given, monkeypatch, capsys)
    assert status == 2, err
    assert f"error: {words.format(**folders)}" in err and "Traceback" not in err, err
    assert f"usage: benchmarks/{script}" in err and not out


@pytest.mark.parametrize("script", SCRIPTS)
def test_help_prints_the_usage_with_exit_status_0(script, monkeypatch, capsys):
    for argv in (["-h"], ["--help"], ["runs/some_run", "-h"], ["runs/some_run", "8", "--help"]):
        status, out, err = run_in_process(script, argv, monkeypatch, capsys)
        assert status == 0 and out.startswith(f"usage: benchmarks/{script} ") and not err


@pytest.mark.parametrize("script, argv, words", [
    ("pregrasp_paths.py", ["alegro"], "unknown robot 'alegro'"),
    ("pregrasp_paths.py", ["allegro", "grasp"], "unknown task 'grasp'"),
])
def test_an_unknown_name_is_named_with_exit_status_2(script, argv, words, monkeypatch, capsys):
    status, _, err = run_in_process(script, argv, monkeypatch, capsys)
    assert status == 2 and words in err and "Traceback" not in err, err


def test_good_arguments_keep_their_meaning(folders):
    """The command lines of README.md and the scripts' docstrings, as main receives them."""
    def parsed(script: str, *argv: str) -> tuple:
        module = runpy.run_path(str(BENCHMARKS / script), run_name="benchmarks_script")
        return module["arguments"]([argument.format(**folders) for argument in argv])

    run = folders["run"]
    assert parsed("approach.py", "{run}") == (run, 32, 60)
    checkpoint = Path(run) / "spec.json"
    assert parsed("pi_h_ensemble.py", "{run}/spec.json", "{run}/spec.json", "robot=xhand",
                  "progress=0.5") == ([checkpoint, checkpoint], "xhand", "grasp_lift", 16, 4.0,
                                      0.5, None)
    assert parsed("approach.py", "{run}", "16", "at=0") == (run, 16, 0)
    assert parsed("episode_failures.py", "{run}", "32", "700", "noise") == (run, 32, 700, True)
    assert parsed("episode_failures.py", "{run}") == (run, 32, 700, False)
    assert parsed("grasp_noise.py", "{run}", "48", "100", "0.37", "--hand-std", "0.05") == (
        run, 48, 100, [0.37], "all", 0.05, {})
    assert parsed("grasp_noise.py", "{run}", "--part", "hand", "--robot", "hand_effort=0.7") == (
        run, 24, 100, [0.0, 0.37], "hand", None, {"hand_effort": "0.7"})
    assert parsed("hand_span.py") == (60, 8) and parsed("hand_span.py", "30", "4") == (30, 4)
    assert parsed("policy_behaviour.py", "{run}") == (run, 16, False, False, False, None, None)
    assert parsed("policy_behaviour.py", "{run}", "16", "pregrasp", "raise") == (
        run, 16, True, True, False, None, None)
    assert parsed("policy_behaviour.py", "{run}", "pregrasp", "progress=0.75,1", "open=0.2") == (
        run, 16, True, False, False, [0.75, 1.0], 0.2)
    assert parsed("policy_behaviour.py", "{run}", "8", "grasped") == (
        run, 8, False, False, True, None, None)
    assert parsed("task_timing.py", "{untrained}") == (folders["untrained"], 16, None)
    assert parsed("task_timing.py", "{untrained}", "8", "speed=0.2") == (
        folders["untrained"], 8, 0.2)
    assert parsed("pregrasp_paths.py") == ("allegro", "grasp_lift", 12)
    assert parsed("pregrasp_paths.py", "svh", "cabinet", "3") == ("svh", "cabinet", 3)
    assert parsed("scripted_grasp.py", "allegro", "grasp_lift", "12", "friction_cone=pyramidal",
                  "impratio=1") == ("allegro", "grasp_lift", 12,
                                    {"friction_cone": "pyramidal", "impratio": "1"}, None)
    assert parsed("scripted_grasp.py", "allegro", "grasp_lift", "12", "robot.hand_effort=0.7") == (
        "allegro", "grasp_lift", 12, None, {"hand_effort": "0.7"})
    assert parsed("uniform_close.py") == ("allegro", 24, 10, "all")
    assert parsed("uniform_close.py", "svh", "24", "10", "none") == ("svh", 24, 10, "none")


def test_a_file_that_cannot_be_read_is_named_with_exit_status_2(monkeypatch, capsys):
    def main() -> None:
        raise PermissionError(13, "Permission denied", "runs/x/spec.json")

    monkeypatch.setattr(sys, "argv", ["script.py"])
    with pytest.raises(SystemExit) as stop:
        run_script(main, lambda argv: (), "usage: script.py")
    assert stop.value.code == 2
    assert capsys.readouterr().err == "error: runs/x/spec.json: Permission denied\n"
