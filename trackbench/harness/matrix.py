"""Expand a MatrixSpec into RunSpecs, validating every cell before any starts."""

from __future__ import annotations

import itertools
from typing import Any

from pydantic import ValidationError

from trackbench.harness.compatibility import check_compatibility
from trackbench.harness.device import require_device
from trackbench.harness.errors import TrackbenchError, describe_validation_error
from trackbench.harness.registry import Registry
from trackbench.harness.specs import MatrixSpec, RunSpec
from trackbench.harness.training.ppo import PPOSpec

OVERRIDABLE = ("engine", "robot", "task", "method", "ppo")


def plan(matrix: MatrixSpec, registry: Registry) -> list[RunSpec]:
    """All cells of the cross product, each with its plugin specs resolved.

    Raises TrackbenchError, listing every problem at once, for unknown names, invalid specs or
    settings, and plugins that cannot work together in some cell (``check_compatibility``).
    """
    registry.raise_problems()
    if not registry.names("engines"):
        raise TrackbenchError(
            "no engine plugin is installed, so nothing can be simulated. The built-in 'mujoco' "
            "engine ships with trackbench; check TRACKBENCH_DISABLE_PLUGINS and `trackbench list`."
        )
    require_device(matrix.device)
    unknown = [kind for kind in matrix.overrides if kind not in OVERRIDABLE]
    if unknown:
        raise TrackbenchError(
            f"cannot override {unknown}; overridable kinds: {', '.join(OVERRIDABLE)}"
        )
    problems: list[str] = []
    names = {"engines": [matrix.engine], "robots": matrix.robots, "tasks": matrix.tasks,
             "methods": matrix.methods}
    for kind, wanted in names.items():
        for name in wanted:
            try:
                registry.get(kind, name)
            except TrackbenchError as error:
                problems.append(str(error))
    if problems:
        raise TrackbenchError("\n".join(problems))

    def resolved(kind: str, name: str) -> dict:
        selected = names[kind + "s"]
        overrides = _overrides_for(registry, kind + "s", name, selected, matrix.overrides.get(kind, {}))
        spec = registry.resolve_spec(kind + "s", name, overrides)
        return spec.model_dump(mode="json")

    engine_spec = resolved("engine", matrix.engine)
    engine_cls = registry.get("engines", matrix.engine).cls
    if "device" in engine_cls.Spec.model_fields and "device" not in matrix.overrides.get("engine", {}):
        engine_spec["device"] = matrix.device  # an engine with a device runs on --device
    try:
        engine_cls.check_spec(engine_cls.Spec(**engine_spec))
    except TrackbenchError as error:
        raise TrackbenchError(f"engine '{matrix.engine}': {error}") from None
    try:
        ppo = PPOSpec(**matrix.overrides.get("ppo", {}))
    except ValidationError as error:
        raise TrackbenchError(describe_validation_error("ppo", error)) from None
    ppo.minibatch_for(matrix.num_envs)  # a batch layout that cannot work fails before any cell
    ppo.init_checkpoint()  # so does a policy to start from that is not there
    ppo_spec = ppo.model_dump(mode="json")
    robot_specs = {robot: resolved("robot", robot) for robot in matrix.robots}
    without = [robot for robot, spec in robot_specs.items() if not spec["hand_close_action"]]
    if ppo.close_init_log_std is not None and without:
        raise TrackbenchError(f"ppo.close_init_log_std sets the close action's σ, and robot(s) "
                              f"{', '.join(without)} have none: add --set "
                              f"robot.hand_close_action=true (with robot.hand_action=delta)")
    task_specs = {task: resolved("task", task) for task in matrix.tasks}
    method_specs = {method: resolved("method", method) for method in matrix.methods}
    for method, method_spec in method_specs.items():
        cls = registry.get("methods", method).cls
        try:
            cls.check_spec(cls.Spec(**method_spec), registry)
        except TrackbenchError as error:
            raise TrackbenchError(f"method '{method}': {error}") from None
    cells = _cells(matrix, engine_spec, robot_specs, task_specs, method_specs, ppo_spec)
    check_compatibility(cells, registry)
    _check_init_actions(ppo, robot_specs, registry)
    return cells


def _check_init_actions(ppo: PPOSpec, robot_specs: dict, registry: Registry) -> None:
    """Refuse, before any cell runs, a ``ppo.init_from`` policy whose action count (its log σ's
    length) differs from a planned robot's (another arm or hand action space, a close action).
    Other misfits (observation, network sizes) are named when the run loads it."""
    path = ppo.init_checkpoint()
    if path is None:
        return
    from trackbench.harness.training.policy import checkpoint_weights

    sigma = checkpoint_weights(path).get("a2c_network.sigma")
    if sigma is None:
        return
    wrong = [f"{robot} has {actions}" for robot, actions in
             ((robot, registry.resolve_spec("robots", robot, spec).num_actions)
              for robot, spec in robot_specs.items()) if actions != sigma.shape[0]]
    if wrong:
        raise TrackbenchError(f"ppo.init_from: the policy in {path} has {sigma.shape[0]} actions; "
                              f"robot {', '.join(wrong)} (check robot.arm_action, "
                              f"robot.hand_close_action)")


def _cells(matrix: MatrixSpec, engine_spec: dict, robot_specs: dict, task_specs: dict,
           method_specs: dict, ppo_spec: dict) -> list[RunSpec]:
    cells = []
    for robot, task, method in itertools.product(matrix.robots, matrix.tasks, matrix.methods):
        for seed in range(matrix.first_seed, matrix.first_seed + matrix.seeds):
            cells.append(
                RunSpec(
                    engine=matrix.engine, robot=robot, task=task, method=method, seed=seed,
                    agent_steps=matrix.agent_steps, num_envs=matrix.num_envs,
                    device=matrix.device, engine_spec=engine_spec, robot_spec=robot_specs[robot],
                    task_spec=task_specs[task], method_spec=method_specs[method],
                    ppo_spec=ppo_spec,
                )
            )
    return cells


def _overrides_for(registry: Registry, kind: str, name: str, selected: list[str],
                   overrides: dict[str, Any]) -> dict[str, Any]:
    """The overrides of ``kind`` that plugin ``name`` receives.

    ``--method dense,track --set method.task_weight=2`` must not fail because ``dense`` has no
    ``task_weight``: a field goes to the selected plugins whose Spec declares it. A field that no
    selected plugin declares goes to all of them, so that the Spec itself reports the typo.
    """
    def declares(plugin: str, field: str) -> bool:
        return field in registry.get(kind, plugin).cls.Spec.model_fields

    return {field: value for field, value in overrides.items()
            if declares(name, field) or not any(declares(other, field) for other in selected)}

