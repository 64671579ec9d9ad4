"""Variants: runs of one robot × task × method trained with different settings.

An ablation puts a named option beside the default in one results directory (a run folder may
have any name, so two runs of one run id can sit side by side). ``report`` and its learning
curves then show each settings group of a cell as a method of its own, labelled by the settings
that tell the groups apart, e.g. ``track [method.ensemble=pi_a.pt,pi_b.pt]`` beside
``track [method.ensemble=[]]``, instead of averaging them as seeds. What does not make a
variant: the seed, the budget and the execution settings (``resume.differing_settings``), and a
checkpoint copied into each run's folder (``same_files_as_one``).
"""

from __future__ import annotations

import copy
import filecmp
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from trackbench.harness.specs import RunSpec

LABEL_VALUE_CHARS = 40  # a setting's value in a label is cut here ("…"); the notes give it whole
SPEC_PREFIX = "_spec."  # robot_spec.hand_kp is --set robot.hand_kp


def same_files_as_one(one: dict[str, Any], two: dict[str, Any]) -> None:
    """Make equal, in ``two``, each setting that names another file than ``one``'s with the same
    bytes (a checkpoint copied into each run's folder, as benchmarks/learning.sh does with Π_h):
    the runs read the same thing. Files that cannot be read (moved since, or paths relative to
    another folder) stay a difference."""
    for key in one.keys() & two.keys():
        mine, theirs = one[key], two[key]
        if isinstance(mine, dict) and isinstance(theirs, dict):
            same_files_as_one(mine, theirs)
        elif isinstance(mine, list) and isinstance(theirs, list) and len(mine) == len(theirs):
            if all(_same_file(a, b) for a, b in zip(mine, theirs)):  # e.g. an ensemble's files
                two[key] = mine
        elif _same_file(mine, theirs):
            two[key] = mine


def _same_file(mine: Any, theirs: Any) -> bool:
    """Whether ``mine`` and ``theirs`` are equal, or name two files with the same bytes."""
    if mine == theirs:
        return True
    if not (isinstance(mine, str) and isinstance(theirs, str)):
        return False
    paths = [Path(value).expanduser() for value in (mine, theirs)]
    try:
        return all(path.is_file() for path in paths) and filecmp.cmp(*paths, shallow=False)
    except OSError:
        return False


def settings(spec: RunSpec) -> dict[str, Any]:
    """``spec`` as JSON without its seed: what two seeds of one configuration share."""
    return spec.model_dump(mode="json", exclude={"seed"})


def differences(one: dict[str, Any], two: dict[str, Any]) -> list[str]:
    """The dotted names of the settings in which two runs' ``settings`` differ
    (resume.differing_settings), copies of one file counting as one."""
    from trackbench.harness.resume import differing_settings

    two = copy.deepcopy(two)
    same_files_as_one(one, two)
    return [name for name, _, _ in differing_settings(one, two)]


def method_labels(specs: Sequence[RunSpec]) -> tuple[list[str], list[str]]:
    """Each spec's method label, and a note per cell whose runs form more than one variant.

    Runs of one (task, robot, method) with equal ``settings`` (up to ``differences``) share the
    label ``method``; where there are several groups, each group's label adds its values of the
    settings in which the groups differ, named as ``--set`` names them:
    ``dense [robot.hand_kp=80.0]``. Labels that would still collide (values cut alike) number
    their groups instead: ``dense [variant 2]``; the note spells every group's values out.
    """
    groups: dict[tuple[str, str, str], list[tuple[dict[str, Any], list[int]]]] = {}
    for index, spec in enumerate(specs):
        mine = settings(spec)
        variants = groups.setdefault((spec.task, spec.robot, spec.method), [])
        for first, members in variants:
            if not differences(first, mine):
                members.append(index)
                break
        else:
            variants.append((mine, [index]))
    labels, notes = [spec.method for spec in specs], []
    for (task, robot, method), variants in groups.items():
        if len(variants) < 2:
            continue
        names = sorted({name for first, _ in variants[1:]
                        for name in differences(variants[0][0], first)})
        values = [[_value(first, name) for name in names] for first, _ in variants]
        shown = [f"{method} [" + ", ".join(f"{_flag(name)}={_cut(value)}"
                                          for name, value in zip(names, row)) + "]"
                 for row in values]
        if len(set(shown)) < len(shown):
            shown = [f"{method} [variant {number}]" for number in range(1, len(variants) + 1)]
        for label, (_, members) in zip(shown, variants):
            for index in members:
                labels[index] = label
        spelled = "; ".join(f"{label}: " + ", ".join(f"{_flag(name)}={value}"
                                                    for name, value in zip(names, row))
                            for label, row in zip(shown, values))
        notes.append(f"{robot} × {task} × {method}: runs trained with different settings are "
                     f"shown as {len(variants)} variants ({spelled})")
    return labels, notes


def _value(tree: dict[str, Any], name: str) -> str:
    for part in name.split("."):
        if not isinstance(tree, dict) or part not in tree:
            return "(unset)"
        tree = tree[part]
    if isinstance(tree, list):
        return ",".join(_short(item) for item in tree) if tree else "[]"
    return _short(tree)


def _short(value: Any) -> str:
    """A path as its file name (the folder is the same machine's detail), anything else as is."""
    text = str(value)
    return Path(text).name if isinstance(value, str) and "/" in text else text


def _flag(name: str) -> str:
    return name.replace(SPEC_PREFIX, ".", 1)


def _cut(value: str) -> str:
    return value if len(value) <= LABEL_VALUE_CHARS else value[:LABEL_VALUE_CHARS - 1] + "…"
