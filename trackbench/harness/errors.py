"""User-facing errors: the CLI prints their message and exits with status 2, never a traceback."""

from __future__ import annotations

import difflib

from pydantic import ValidationError


class TrackbenchError(Exception):
    """An error the user can fix; its message is the whole story."""


class NonFiniteError(TrackbenchError):
    """A NaN or infinity reached a reward, an observation, a loss or the weights; the message
    names the first such quantity."""


def closest_match(name: str, choices: list[str]) -> str | None:
    matches = difflib.get_close_matches(name, choices, n=1, cutoff=0.5)
    return matches[0] if matches else None


def unknown_name_error(kind: str, name: str, valid: list[str]) -> TrackbenchError:
    valid_text = ", ".join(sorted(valid)) if valid else "(none installed)"
    message = f"unknown {kind} '{name}'. Valid {kind}s: {valid_text}."
    guess = closest_match(name, valid)
    if guess:
        message += f" Did you mean '{guess}'?"
    return TrackbenchError(message)


def describe_validation_error(subject: str, error: ValidationError) -> str:
    """One line per offending field: '<subject>: field 'x': <problem>' ('<subject>: <problem>'
    for a problem of the whole, such as a JSON list where an object belongs)."""
    lines = []
    for problem in error.errors():
        field = ".".join(str(part) for part in problem["loc"])
        where = f"field '{field}': " if field else ""
        # Pydantic prefixes a validator's own ValueError with its label; the reader needs the reason.
        lines.append(f"{subject}: {where}{problem['msg'].removeprefix('Value error, ')}")
    return "\n".join(lines)
