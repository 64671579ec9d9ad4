"""The diagnostic scripts' command line (benchmarks/script_cli.py): bad input is named, exit 2."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"
sys.path.insert(0, str(BENCHMARKS))

from script_cli import (  # noqa: E402  (the scripts' folder is not a package)
    BadArguments, choice, positive_number, split_arguments, whole_number,
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
