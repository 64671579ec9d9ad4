"""The command line of the diagnostic scripts in benchmarks/ (follow_trace.py, approach.py, ...):
``KEY=VALUE`` options and bare-word flags beside positional arguments, the run folder's spec as
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


def split_arguments(argv: Sequence[str], known: Sequence[str] | None, most_positional: int,
                    required: str | None = "RUN_DIR") -> tuple[list[str], dict[str, str]]:
    """(positional arguments, KEY=VALUE options). ``known``: the option keys, None for any key
    (settings the script passes on, validated where they are used); ``required``: the name of
    the first positional argument if it must be given, None if every one may be left out.

    Raises BadArguments for an unknown or empty option, one given twice, a missing ``required``
    argument, or more than ``most_positional`` positional arguments."""
    positional, options = [], {}
    for argument in argv:
        if "=" not in argument:
            positional.append(argument)
            continue
        key, value = argument.split("=", 1)
        if not key:
            raise BadArguments(f"option '{argument}' has no name (KEY=VALUE)")
        if known is not None and key not in known:
            offered = f"known: {', '.join(known)}" if known else "this script takes none"
            raise BadArguments(f"unknown option '{key}' ({offered})")
        if not value:
            raise BadArguments(f"option '{key}' has no value")
        if key in options:
            raise BadArguments(f"option '{key}' given twice")
        options[key] = value
    if required is not None and not positional:
        raise BadArguments(f"{required} is missing")
    if len(positional) > most_positional:
        raise BadArguments(f"at most {most_positional} arguments besides the KEY=VALUE options, "
                           f"got {len(positional)}: {' '.join(positional)}")
    return positional, options


def split_flags(argv: Sequence[str], flags: Sequence[str]) -> tuple[list[str], set[str]]:
    """(the arguments that are not ``flags``, the bare-word flags given, e.g. ``raise``), for
    :func:`split_arguments` to split the rest; BadArguments for a flag given twice."""
    rest, given = [], set()
    for argument in argv:
        if argument not in flags:
            rest.append(argument)
        elif argument in given:
            raise BadArguments(f"'{argument}' given twice")
        else:
            given.add(argument)
    return rest, given


def whole_number(text: str | None, name: str, default: int, least: int = 1) -> int:
    """``text`` as an integer ≥ ``least`` (``default`` if None); BadArguments otherwise."""
    if text is None:
        return default
    try:
        value = int(text)
    except ValueError:
        raise BadArguments(f"{name} must be a whole number ≥ {least}, got '{text}'") from None
    if value < least:
        raise BadArguments(f"{name} must be a whole number ≥ {least}, got {value}")
    return value


def count_or_flag(text: str | None, name: str, default: int, flags: Sequence[str],
                  least: int = 1) -> int:
    """:func:`whole_number`, for a positional slot beside bare-word flags: a word that is
    neither (a misspelt flag) is named as such; BadArguments."""
    if text is not None and not text.lstrip("+-").isdigit():
        raise BadArguments(f"'{text}' is neither {name} (a whole number) nor one of "
                           f"{', '.join(flags)}")
    return whole_number(text, name, default, least)


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


def non_negative_number(text: str, name: str) -> float:
    """``text`` as a finite number ≥ 0 (a noise's standard deviation); BadArguments otherwise."""
    try:
        value = float(text)
    except ValueError:
        raise BadArguments(f"{name} must be a number ≥ 0, got '{text}'") from None
    if not 0 <= value < math.inf:
        raise BadArguments(f"{name} must be a finite number ≥ 0, got {text}")
    return value


def choice(text: str | None, name: str, choices: Sequence[str]) -> str:
    """``text`` if one of ``choices`` (the first if None); BadArguments otherwise."""
    if text is None:
        return choices[0]
    if text not in choices:
        raise BadArguments(f"{name} must be one of {', '.join(choices)}, got '{text}'")
    return text


def run_folder(run: str) -> str:
    """``run`` if it is a run's folder (it holds spec.json); BadArguments otherwise."""
    folder = Path(run)
    if not folder.is_dir():
        raise BadArguments(f"{run} is not a folder (RUN_DIR: a run's folder with spec.json)")
    if not (folder / "spec.json").is_file():
        raise BadArguments(f"{run} has no spec.json (RUN_DIR: a run's folder, e.g. "
                           f"runs/NAME/allegro__grasp_lift__track__s0)")
    return run


def trained_run_folder(run: str) -> str:
    """``run`` if it is a run's folder with its policy's checkpoint (checkpoints/last.pth), for
    the scripts that play the policy: checked before any env is built; BadArguments."""
    from trackbench.harness.results import RunDir
    from trackbench.harness.training.checkpoint import checkpoint_path

    checkpoint = checkpoint_path(RunDir(Path(run_folder(run))))
    if not checkpoint.is_file():
        raise BadArguments(f"{run} holds no policy checkpoint ({checkpoint} is missing): train "
                           f"the run first with `trackbench run`")
    return run


def written_spec(run: str, registry: Any) -> dict[str, Any]:
    """The run folder's spec.json as the run was trained, as a dict to change and validate
    again; BadArguments for a folder without one, TrackbenchError (naming the file) for one
    that is no run spec."""
    from trackbench.harness.resume import read_run_spec
    from trackbench.harness.results import RunDir

    return read_run_spec(RunDir(Path(run_folder(run))), registry).model_dump(mode="json")


def still_running(running: Any, step: Any) -> Any:
    """[N] bool: the envs of ``running`` whose episode did not end in ``step`` (a
    ``trackbench.harness.env.Step``). Read a state after ``env.step`` only where this holds: an
    env whose episode just ended has already been reset, so its state is the next episode's
    start (and the state it ended in cannot be read)."""
    if step.episodes is None:
        return running
    kept = running.clone()
    kept[step.episodes.env_ids] = False
    return kept


def run_script(main: Callable[..., None], arguments: Callable[[list[str]], tuple],
               usage: str) -> None:
    """``main(*arguments(sys.argv[1:]))``; bad input (BadArguments, a TrackbenchError, a
    setting that does not validate, a file that cannot be read) prints one message and exits
    with status 2."""
    from trackbench.harness.errors import TrackbenchError

    argv = sys.argv[1:]
    if "-h" in argv or "--help" in argv:  # anywhere, as typer's commands: `RUN_DIR -h` too
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
    except OSError as error:  # a file the user named that cannot be read (as trackbench's CLI)
        where = f"{error.filename}: " if error.filename else ""
        print(f"error: {where}{error.strerror or error}", file=sys.stderr)
        raise SystemExit(USAGE_ERROR) from None
