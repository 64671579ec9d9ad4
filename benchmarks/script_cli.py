"""The command line of the diagnostic scripts that replay a run (follow_trace.py,
track_landscape.py): ``KEY=VALUE`` options beside positional arguments, the run folder's spec as
the run was trained, and bad input answered with one message, the usage line and exit status 2
(trackbench's rule for every command), never a traceback.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

USAGE_ERROR = 2  # the exit status of bad input, as trackbench's CLI


class BadArguments(Exception):
    """What is wrong with the command line, in words (the usage line follows it)."""


def split_arguments(argv: Sequence[str], known: Sequence[str], most_positional: int
                    ) -> tuple[list[str], dict[str, str]]:
    """(positional arguments, KEY=VALUE options); BadArguments for an unknown or empty option,
    one given twice, or more than ``most_positional`` positional arguments."""
    positional, options = [], {}
    for argument in argv:
        if "=" not in argument:
            positional.append(argument)
            continue
        key, value = argument.split("=", 1)
        if key not in known:
            raise BadArguments(f"unknown option '{key}' (known: {', '.join(known)})")
        if not value:
            raise BadArguments(f"option '{key}' has no value")
        if key in options:
            raise BadArguments(f"option '{key}' given twice")
        options[key] = value
    if not positional:
        raise BadArguments("RUN_DIR is missing")
    if len(positional) > most_positional:
        raise BadArguments(f"at most {most_positional} arguments besides the KEY=VALUE options, "
                           f"got {len(positional)}: {' '.join(positional)}")
    return positional, options


def whole_number(text: str | None, name: str, default: int) -> int:
    """``text`` as an integer ≥ 1 (``default`` if None); BadArguments otherwise."""
    if text is None:
        return default
    try:
        value = int(text)
    except ValueError:
        raise BadArguments(f"{name} must be a whole number ≥ 1, got '{text}'") from None
    if value < 1:
        raise BadArguments(f"{name} must be a whole number ≥ 1, got {value}")
    return value


def positive_number(text: str | None, name: str) -> float | None:
    """``text`` as a finite number > 0 (None if None); BadArguments otherwise."""
    if text is None:
        return None
    try:
        value = float(text)
    except ValueError:
        raise BadArguments(f"{name} must be a number > 0, got '{text}'") from None
    if not 0 < value < math.inf:
        raise BadArguments(f"{name} must be a finite number > 0, got {text}")
    return value


def choice(text: str | None, name: str, choices: Sequence[str]) -> str:
    """``text`` if one of ``choices`` (the first if None); BadArguments otherwise."""
    if text is None:
        return choices[0]
    if text not in choices:
        raise BadArguments(f"{name} must be one of {', '.join(choices)}, got '{text}'")
    return text


def written_spec(run: str, registry: Any) -> dict[str, Any]:
    """The run folder's spec.json as the run was trained, as a dict to change and validate
    again; BadArguments for a folder without one, TrackbenchError (naming the file) for one
    that is no run spec."""
    from trackbench.harness.resume import read_run_spec
    from trackbench.harness.results import RunDir

    folder = Path(run)
    if not folder.is_dir():
        raise BadArguments(f"{run} is not a folder (RUN_DIR: a run's folder with spec.json)")
    if not (folder / "spec.json").is_file():
        raise BadArguments(f"{run} has no spec.json (RUN_DIR: a run's folder, e.g. "
                           f"runs/NAME/allegro__grasp_lift__track__s0)")
    return read_run_spec(RunDir(folder), registry).model_dump(mode="json")


def run_script(main: Callable[..., None], arguments: Callable[[list[str]], tuple],
               usage: str) -> None:
    """``main(*arguments(sys.argv[1:]))``; bad input (BadArguments, a TrackbenchError, a
    setting that does not validate) prints one message and exits with status 2."""
    from trackbench.harness.errors import TrackbenchError

    argv = sys.argv[1:]
    if argv in (["-h"], ["--help"]):
        print(usage)
        return
    try:
        main(*arguments(argv))
    except BadArguments as error:
        print(f"error: {error}\n{usage}", file=sys.stderr)
        raise SystemExit(USAGE_ERROR) from None
    except (TrackbenchError, ValueError) as error:  # pydantic's ValidationError is a ValueError
        print(f"error: {error}", file=sys.stderr)
        raise SystemExit(USAGE_ERROR) from None
