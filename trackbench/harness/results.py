"""The results store: ``<out>/<run_id>/`` holds spec.json, metrics.jsonl, checkpoints/ and,
written atomically last, result.json. A run directory without result.json is incomplete; one
with failed.json (written by a launcher, ``trackbench.harness.launchers``) failed for good in its
last session, and says why.

What the report reads back is validated (:class:`RunSpec`, :class:`RunResult`): a file edited by
hand, damaged or written by something else is named with its field, never averaged in."""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from trackbench.harness.atomic import write_json_atomic
from trackbench.harness.errors import TrackbenchError, describe_validation_error
from trackbench.harness.specs import RunSpec
from trackbench.harness.training.episodes import OUTCOMES

SPEC_FILE = "spec.json"
METRICS_FILE = "metrics.jsonl"
DEFAULT_METRIC = "success_rate"  # the metrics.jsonl column learning curves draw unless told
RESULT_FILE = "result.json"
FAILED_FILE = "failed.json"
CHECKPOINT_DIR = "checkpoints"


def read_json(path: Path) -> Any:
    """``path``'s JSON. Raises TrackbenchError naming the file if it is missing, cannot be read
    (no permission, a folder: OSError) or holds no JSON."""
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        raise TrackbenchError(f"missing file: {path}") from None
    except OSError as error:  # the report leaves out that one run, as for a corrupt file
        raise TrackbenchError(f"{path} cannot be read ({error.strerror or error})") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise TrackbenchError(f"corrupt JSON in {path}: {error}") from None


class RunResult(BaseModel):
    """result.json as the report reads it: the fields it averages, checked; the others kept as
    they are. Strict: "0.9", true or null is not a success rate, and NaN or infinity is none."""

    model_config = ConfigDict(extra="allow", frozen=True, strict=True, allow_inf_nan=False)

    # Always "ok": a cell that fails writes no result.json (the next run resumes it); a launcher
    # records the failure in failed.json instead (RunDir.write_failure).
    status: Literal["ok"] = "ok"
    success_rate: float = Field(ge=0, le=1)
    mean_return: float | None = None
    unstable_fraction: float | None = Field(default=None, ge=0, le=1)
    agent_steps: int | None = Field(default=None, ge=0)
    # Rates of the evaluation episodes ("lift_rate": 0.25, ...); other entries are not checked.
    evaluation: dict[str, Any] = Field(default_factory=dict)
    # Per event the task declares (Task.events): the fraction of evaluation episodes in which
    # it happened ({"lift": 0.25, "near": 0.5}; {} for a task without events).
    events: dict[str, float] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _events_of_older_files(cls, data: Any) -> Any:
        """A result.json written before ``events`` existed (it has a top-level ``lift_rate``,
        null for a task without a lift) names its events only in ``evaluation``: every
        ``<event>_rate`` there but the outcomes'. A bad rate is left to ``evaluation``'s check."""
        if not isinstance(data, dict) or "events" in data:
            return data
        evaluation = data.get("evaluation")
        if not isinstance(evaluation, dict):
            return data
        return {**data, "events": {
            key.removesuffix("_rate"): value for key, value in evaluation.items()
            if key.endswith("_rate") and key not in OUTCOME_RATES and _is_fraction(value)}}

    @field_validator("evaluation")
    @classmethod
    def _rates_are_fractions(cls, evaluation: dict[str, Any]) -> dict[str, Any]:
        for key, value in evaluation.items():
            if key.endswith("_rate") and not _is_fraction(value):
                raise ValueError(f"'{key}' must be a number from 0 to 1, got {value!r}")
        return evaluation

    @field_validator("events")
    @classmethod
    def _events_are_fractions(cls, events: dict[str, float]) -> dict[str, float]:
        for event, rate in events.items():
            if not _is_fraction(rate):
                raise ValueError(f"event '{event}' must have a rate from 0 to 1, got {rate!r}")
        return events


# The evaluation's rates of episode outcomes, which are not task events.
OUTCOME_RATES = {f"{outcome}_rate" for outcome in OUTCOMES}


def _is_fraction(value: Any) -> bool:
    return (isinstance(value, (int, float)) and not isinstance(value, bool)
            and math.isfinite(value) and 0 <= value <= 1)


@dataclass(frozen=True)
class RunDir:
    path: Path

    @classmethod
    def for_spec(cls, out: Path, spec: RunSpec) -> "RunDir":
        return cls(out / spec.run_id)

    @property
    def spec_file(self) -> Path:
        return self.path / SPEC_FILE

    @property
    def metrics_file(self) -> Path:
        return self.path / METRICS_FILE

    @property
    def result_file(self) -> Path:
        return self.path / RESULT_FILE

    @property
    def checkpoint_dir(self) -> Path:
        return self.path / CHECKPOINT_DIR

    def is_complete(self) -> bool:
        return self.result_file.is_file()

    def prepare(self, spec: RunSpec) -> None:
        self.checkpoint_dir.mkdir(parents=True, exist_ok=True)
        write_json_atomic(self.spec_file, spec.model_dump(mode="json"))

    # ---- metrics.jsonl: appended, never rewritten ------------------------------------------------
    def append_metrics(self, record: dict[str, Any]) -> None:
        """Append one row in a single write (a kill leaves at most a cut-off last line, which
        readers skip and a resume truncates away)."""
        with self.metrics_file.open("a") as handle:
            handle.write(json.dumps(record) + "\n")

    def metrics_size(self) -> int:
        return self.metrics_file.stat().st_size if self.metrics_file.is_file() else 0

    def sync_metrics(self) -> None:
        """fsync metrics.jsonl, so that a checkpoint never counts rows a power cut could lose."""
        if self.metrics_file.is_file():
            with self.metrics_file.open("rb") as handle:
                os.fsync(handle.fileno())

    def truncate_metrics(self, size: int) -> bool:
        """Cut metrics.jsonl back to its first ``size`` bytes (its length at a checkpoint), and
        further back to the end of its last whole line. One truncate call: a kill leaves the
        file either as it was or cut, never empty. Returns False if the file held fewer than
        ``size`` bytes (rows were removed from it by hand: they cannot be written again)."""
        if not self.metrics_file.is_file():
            return size == 0
        complete = self.metrics_size() >= size
        with self.metrics_file.open("rb") as handle:
            head = handle.read(size)
        end = head.rfind(b"\n") + 1  # a line a kill or an editor cut short goes too
        if end < self.metrics_size():
            os.truncate(self.metrics_file, end)
        return complete

    def truncate_metrics_after(self, agent_steps: int) -> None:
        """Cut metrics.jsonl before its first row past ``agent_steps`` or its first unreadable
        line (for checkpoints that do not record the file's length)."""
        if not self.metrics_file.is_file():
            return
        offset = 0
        with self.metrics_file.open("rb") as handle:
            for line in handle:
                try:
                    row = json.loads(line)
                except (json.JSONDecodeError, UnicodeDecodeError):
                    break
                if not line.endswith(b"\n") or row.get("agent_steps", 0) > agent_steps:
                    break
                offset += len(line)
        self.truncate_metrics(offset)

    def bad_metric_lines(self) -> list[int]:
        """Line numbers (from 1) of metrics.jsonl that :meth:`read_metrics` leaves out although
        they are neither blank nor a last line without its newline (a row a kill cut off, which
        resume truncates): lines that hold no JSON object, or whose ``agent_steps`` is not a
        finite number ≥ 0 — rows trackbench never writes.

        Raises OSError (PermissionError, ...) if metrics.jsonl is a file that cannot be read:
        the report names it, while :meth:`read_metrics` gives no rows for it."""
        if not self.metrics_file.is_file():
            return []
        lines = self.metrics_file.read_bytes().split(b"\n")
        return [number for number, line in enumerate(lines[:-1], start=1)  # last: no newline
                if line.strip() and _metrics_row(line) is None]

    def read_metrics(self) -> list[dict[str, Any]]:
        """Every complete row: a JSON object per line whose ``agent_steps``, if it has one, is a
        finite number ≥ 0. Other lines are left out: a line cut off by a kill, and any that
        :meth:`bad_metric_lines` names. A metrics.jsonl that is no file, or that cannot be read
        (no permission: :meth:`bad_metric_lines` raises its OSError), gives no rows."""
        if not self.metrics_file.is_file():
            return []
        try:
            content = self.metrics_file.read_bytes()
        except OSError:  # the report names the file (bad_metric_lines); its curves are left out
            return []
        rows = (_metrics_row(line) for line in content.split(b"\n"))
        return [row for row in rows if row is not None]

    def write_result(self, result: dict[str, Any]) -> None:
        write_json_atomic(self.result_file, result)

    def read_result(self) -> dict[str, Any]:
        return read_json(self.result_file)

    @property
    def failed_file(self) -> Path:
        return self.path / FAILED_FILE

    def write_failure(self, record: dict[str, Any]) -> None:
        """Record why the cell failed for good (``error``: one line; ``traceback``, ``attempts``,
        ...). The next attempt removes it (``execute_cell``); result.json, if any, prevails."""
        write_json_atomic(self.failed_file, record)

    def read_failure(self) -> str | None:
        """The recorded error of a failed cell, None if none is recorded."""
        if not self.failed_file.is_file():
            return None
        try:
            record = read_json(self.failed_file)
        except TrackbenchError as error:
            return f"({error})"
        error = record.get("error") if isinstance(record, dict) else None
        return error if isinstance(error, str) else f"({self.failed_file} names no error)"

    def read_spec(self) -> RunSpec:
        """spec.json, validated; TrackbenchError naming the file and each bad field."""
        try:
            return RunSpec.model_validate(read_json(self.spec_file))
        except ValidationError as error:
            raise TrackbenchError(describe_validation_error(str(self.spec_file), error)) from None

    def read_checked_result(self) -> RunResult:
        """result.json, validated; TrackbenchError naming the file and each bad field."""
        try:
            return RunResult.model_validate(read_json(self.result_file))
        except ValidationError as error:
            raise TrackbenchError(describe_validation_error(str(self.result_file), error)) from None


def _metrics_row(line: bytes) -> dict[str, Any] | None:
    """The metrics.jsonl row on ``line``, or None if it holds none (see RunDir.read_metrics)."""
    try:
        row = json.loads(line)
    except (json.JSONDecodeError, UnicodeDecodeError):
        return None
    if not isinstance(row, dict):
        return None
    steps = row.get("agent_steps", 0)
    if isinstance(steps, bool) or not isinstance(steps, (int, float)) \
            or not 0 <= steps < math.inf:
        return None
    return row
