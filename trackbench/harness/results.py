"""The results store: ``<out>/<run_id>/`` holds spec.json, metrics.jsonl, checkpoints/ and,
written atomically last, result.json. A run directory without result.json is incomplete."""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from trackbench.harness.errors import TrackbenchError
from trackbench.harness.specs import RunSpec

SPEC_FILE = "spec.json"
METRICS_FILE = "metrics.jsonl"
RESULT_FILE = "result.json"
CHECKPOINT_DIR = "checkpoints"


def write_json_atomic(path: Path, payload: Any) -> None:
    """Write to a temporary file in the same directory, fsync, then rename over `path`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w") as handle:
            json.dump(payload, handle, indent=2)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        raise TrackbenchError(f"missing file: {path}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise TrackbenchError(f"corrupt JSON in {path}: {error}") from None


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

    def append_metrics(self, record: dict[str, Any]) -> None:
        with self.metrics_file.open("a") as handle:
            handle.write(json.dumps(record) + "\n")

    def write_result(self, result: dict[str, Any]) -> None:
        write_json_atomic(self.result_file, result)

    def read_result(self) -> dict[str, Any]:
        return read_json(self.result_file)

    def read_spec(self) -> RunSpec:
        from pydantic import ValidationError

        try:
            return RunSpec.model_validate(read_json(self.spec_file))
        except ValidationError as error:
            raise TrackbenchError(f"invalid run spec in {self.spec_file}: {error}") from None
