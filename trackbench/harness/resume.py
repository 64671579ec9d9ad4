"""What an existing run directory means for a planned cell: start, resume, skip or extend.

A run directory's identity is its run id; its settings are its spec.json. A cell may continue a
directory only if every setting but the budget (``agent_steps``) is the same, so a result never
describes settings other than the ones asked for. The budget may grow (a finished cell is
*extended*: training continues from its final checkpoint and it is evaluated again, the earlier
result kept as ``result.at_<steps>.json``), never shrink. ``trackbench run`` checks every cell of
the matrix before the first one starts (:func:`check_plan`); ``--force`` starts cells over.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import ValidationError

from trackbench.harness.errors import TrackbenchError, describe_validation_error
from trackbench.harness.results import RunDir, read_json
from trackbench.harness.specs import RunSpec, as_written

if TYPE_CHECKING:
    from trackbench.harness.registry import Registry

# The budget may grow between sessions; anything else must match the existing run, except the
# thread counts: they say how the same computation is spread over a machine's cores (a run may
# continue on another machine, or alone after sharing the cores), not what is computed. torch's
# reductions may round differently with another count, so such a continuation is exact up to
# float rounding, not bit for bit. Which checkpoints are kept (keep_every) changes nothing
# computed either.
BUDGET = "agent_steps"
EXECUTION_SETTINGS = frozenset({"ppo_spec.torch_threads", "ppo_spec.rollout_torch_threads",
                                "engine_spec.num_threads", "engine_spec.variant_streams",
                                "ppo_spec.keep_every"})


@dataclass(frozen=True)
class CellStatus:
    kind: Literal["new", "resume", "done", "extend", "restart"]
    saved_steps: int | None = None  # agent steps of the checkpoint or of the finished run

    def describe(self, asked: int) -> str:
        return {"new": "to run", "restart": "to run (--force: from scratch)",
                "resume": f"resume at {self.saved_steps or 0:,}", "done": "done (skip)",
                "extend": f"extend {self.saved_steps or 0:,} → {asked:,}"}[self.kind]


def status_of(spec: RunSpec, run_dir: RunDir, registry: "Registry | None" = None, *,
              force: bool = False) -> CellStatus:
    """What running ``spec`` in ``run_dir`` will do; raises TrackbenchError if it must not run
    there (other settings, a smaller budget than already trained, an unreadable spec)."""
    from trackbench.harness.training import checkpoint

    if force:
        return CellStatus("restart")
    overwritten = checkpoint.kept_past(run_dir)
    if overwritten:
        raise TrackbenchError(overwritten)
    has_checkpoint = checkpoint.checkpoint_path(run_dir).is_file()
    if not run_dir.spec_file.is_file():
        if has_checkpoint or run_dir.is_complete():
            raise TrackbenchError(f"{run_dir.path} holds a run without its spec.json, so its "
                                  f"settings are unknown; rerun with --force or use another --out")
        return CellStatus("new")
    if not (has_checkpoint or run_dir.is_complete()):
        return CellStatus("new")  # nothing was trained there yet: nothing to continue or lose
    existing = read_json(run_dir.spec_file)
    if not isinstance(existing, dict):
        raise TrackbenchError(f"{run_dir.spec_file} is not a run spec (a JSON object); rerun with "
                              f"--force or use another --out")
    differences = spec_differences(as_read_today(existing, registry), spec.model_dump(mode="json"))
    if differences:
        raise TrackbenchError(
            f"{run_dir.path} holds a run of {spec.run_id} with other settings "
            f"({'; '.join(differences)}); ask the settings it has (the values 'there') to "
            f"continue it, rerun with --force to start it over, or use another --out")
    asked, earlier_budget = spec.agent_steps, _count(existing.get(BUDGET), run_dir.spec_file, BUDGET)
    if run_dir.is_complete():
        result = run_dir.read_result()
        if not isinstance(result, dict):
            raise TrackbenchError(f"{run_dir.result_file} is not a result (a JSON object); rerun "
                                  f"with --force or use another --out")
        trained = _count(result.get("agent_steps", earlier_budget), run_dir.result_file, "agent_steps")
        if asked == earlier_budget or earlier_budget < asked <= trained:
            return CellStatus("done", trained)  # the result already covers the budget asked
        if asked < earlier_budget:
            raise TrackbenchError(
                f"{run_dir.path} holds a finished run of {earlier_budget:,} agent steps, more than "
                f"the {asked:,} asked; use --steps {earlier_budget}, --force or another --out")
        if not has_checkpoint:  # extending continues from it; without it training would restart
            raise TrackbenchError(
                f"{run_dir.path} holds a finished run whose checkpoint "
                f"({checkpoint.checkpoint_path(run_dir)}) is missing, so it cannot be extended to "
                f"{asked:,} agent steps; rerun with --force to train it over, or use another --out")
        return CellStatus("extend", trained)
    saved = checkpoint.saved_agent_steps(run_dir) or 0
    # Epochs are whole batches, so the last checkpoint of a budget that is not a multiple of the
    # batch lies past it: a run killed after training (during evaluation) resumes to evaluate.
    if saved > asked and asked < earlier_budget:
        raise TrackbenchError(
            f"{run_dir.path} holds a checkpoint at {saved:,} agent steps, past the {asked:,} "
            f"asked; use --steps {earlier_budget}, --force or another --out")
    return CellStatus("resume", saved)


def _count(value: Any, path: Path, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise TrackbenchError(f"{path}: '{field}' must be a whole number of agent steps, got "
                              f"{value!r}; rerun with --force or use another --out")
    return value


def check_plan(cells: list[RunSpec], out: Path, registry: "Registry | None" = None, *,
               force: bool = False) -> dict[str, CellStatus]:
    """run id → status for every cell; raises one TrackbenchError listing every cell that
    cannot run, before any starts."""
    statuses, problems = {}, []
    for cell in cells:
        try:
            statuses[cell.run_id] = status_of(cell, RunDir.for_spec(out, cell), registry,
                                              force=force)
        except TrackbenchError as error:
            problems.append(str(error))
    if problems:
        raise TrackbenchError("\n".join(problems))
    return statuses


def as_read_today(existing: dict[str, Any], registry: "Registry | None", *,
                  strict: bool = False) -> dict[str, Any]:
    """An existing spec.json as today's models read it: each plugin spec and the PPO spec
    validated, fields added since it was written set to the value those runs ran where the field
    says one (:func:`~trackbench.harness.specs.added_setting`), else to their defaults — so a
    new setting does not make every earlier run look different, and a new default does not
    change one. A spec that no longer validates (a field was removed, a value is out of range) is
    left as it is and compares as different, or with ``strict`` raises TrackbenchError naming the
    field. A plugin not installed here is left as written either way."""
    from trackbench.harness.training.ppo import PPOSpec

    read = dict(existing)
    for kind in ("engine", "robot", "task", "method"):
        name, values = existing.get(kind), existing.get(f"{kind}_spec")
        if (registry is None or not isinstance(name, str) or not isinstance(values, dict)
                or name not in registry.names(f"{kind}s")):
            continue
        try:
            spec_cls = registry.get(f"{kind}s", name).cls.Spec
            read[f"{kind}_spec"] = registry.resolve_spec(
                f"{kind}s", name, as_written(spec_cls, values)).model_dump(mode="json")
        except TrackbenchError:
            if strict:
                raise
    if isinstance(existing.get("ppo_spec"), dict):
        written = as_written(PPOSpec, existing["ppo_spec"])
        try:
            read["ppo_spec"] = PPOSpec(**written).model_dump(mode="json")
        except ValidationError as error:
            if strict:
                raise TrackbenchError(describe_validation_error("ppo_spec", error)) from None
    return read


def read_run_spec(run_dir: RunDir, registry: "Registry") -> RunSpec:
    """spec.json as the run was trained (defaults of settings added since filled in as
    :func:`as_read_today` reads them); TrackbenchError naming the file if it is no run spec or
    a setting of an installed plugin does not validate."""
    existing = read_json(run_dir.spec_file)
    if not isinstance(existing, dict):
        raise TrackbenchError(f"{run_dir.spec_file} is not a run spec (a JSON object)")
    try:
        return RunSpec.model_validate(as_read_today(existing, registry, strict=True))
    except TrackbenchError as error:
        raise TrackbenchError(f"{run_dir.spec_file}: {error}") from None
    except ValidationError as error:
        raise TrackbenchError(describe_validation_error(str(run_dir.spec_file), error)) from None


def spec_differences(existing: dict[str, Any], asked: dict[str, Any]) -> list[str]:
    """'ppo_spec.learning_rate: 0.0001 there, 0.0003 asked' for each differing leaf (the
    budget and the thread counts, EXECUTION_SETTINGS, excepted)."""
    return [f"{name}: {old!r} there, {new!r} asked"
            for name, old, new in differing_settings(existing, asked)]


def differing_settings(existing: dict[str, Any], asked: dict[str, Any],
                       prefix: str = "") -> list[tuple[str, Any, Any]]:
    """(dotted name, existing value, asked value) of each differing leaf of two specs as JSON,
    "(unset)" where one lacks it; the budget and EXECUTION_SETTINGS excepted."""
    found = []
    for key in sorted(set(existing) | set(asked)):
        name = f"{prefix}{key}"
        if name == BUDGET or name in EXECUTION_SETTINGS:
            continue
        old, new = existing.get(key, "(unset)"), asked.get(key, "(unset)")
        if isinstance(old, dict) and isinstance(new, dict):
            found += differing_settings(old, new, f"{name}.")
        elif old != new:
            found.append((name, old, new))
    return found


def archive_result(run_dir: RunDir) -> Path:
    """Keep a finished run's result.json as result.at_<agent steps>.json before extending it."""
    steps = int(run_dir.read_result().get("agent_steps", 0))
    target = run_dir.path / f"result.at_{steps}.json"
    run_dir.result_file.replace(target)
    return target
