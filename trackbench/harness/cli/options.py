"""Option parsing shared by the commands that plan cells (run, bench --train)."""

from __future__ import annotations

from typing import Any

import yaml

from trackbench.harness.errors import TrackbenchError


def names(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


def parse_overrides(settings: list[str]) -> dict[str, dict[str, Any]]:
    """`robot.hand_kp=40` → {"robot": {"hand_kp": 40}}; values are parsed as YAML scalars."""
    overrides: dict[str, dict[str, Any]] = {}
    for setting in settings:
        key, sep, raw = setting.partition("=")
        kind, dot, field = key.partition(".")
        if not (sep and dot and kind and field):
            raise TrackbenchError(f"--set expects KIND.FIELD=VALUE (e.g. robot.hand_kp=40), got '{setting}'")
        try:
            value = yaml.safe_load(raw)
        except yaml.YAMLError:
            value = raw
        overrides.setdefault(kind, {})[field] = value
    return overrides
