"""Run one planned cell: engine + robot + task + method, trained with PPO, results written."""

from __future__ import annotations

from trackbench.harness.errors import TrackbenchError
from trackbench.harness.registry import Registry
from trackbench.harness.results import RunDir
from trackbench.harness.specs import RunSpec


def execute_cell(spec: RunSpec, registry: Registry, run_dir: RunDir) -> None:
    # Training (rl-games PPO) is the next milestone; refuse plainly rather than pretend.
    raise TrackbenchError(
        f"cannot train {spec.run_id}: the PPO trainer has not landed yet (see the README's status "
        f"table). `trackbench run --dry-run` validates and prints the plan."
    )
