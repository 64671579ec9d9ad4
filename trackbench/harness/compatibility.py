"""Plan-time compatibility of the chosen plugins: everything a cell would otherwise find only
when it starts (a site missing from a robot's model, fingertips ``track`` cannot map, a reward
group a task lacks) is asked of the plugins' check hooks — ``Robot.check_model``,
``Task.check_compatible``, ``Method.check_compatible`` — for every planned cell before any runs.
The harness's own rules are checked here too, with the functions a starting cell uses: a task's
event names (``Task.events``) and the names of a method's reward terms (``Method.terms``).
"""

from __future__ import annotations

from typing import Any, Callable

from trackbench.harness.build import make_robot, make_task
from trackbench.harness.errors import TrackbenchError
from trackbench.harness.registry import Registry
from trackbench.harness.rewards import reward_problems
from trackbench.harness.specs import RunSpec
from trackbench.harness.training.episodes import event_problems


def check_compatibility(cells: list[RunSpec], registry: Registry) -> None:
    """Ask every robot, robot × task pair and robot × task × method cell of the plan whether it
    can run (seeds share the answer, so each is asked once).

    Raises TrackbenchError listing every problem, one line each, naming the robot, pair or cell.
    """
    problems: list[str] = []
    robots, tasks, pairs, triples = {}, {}, set(), set()
    for cell in cells:
        if cell.robot not in robots:
            robots[cell.robot] = make_robot(registry, cell.robot, cell.robot_spec)
            problems += _asked(f"robot '{cell.robot}'", robots[cell.robot].check_model)
        robot = robots[cell.robot]
        if cell.task not in tasks:
            tasks[cell.task] = make_task(registry, cell.task, cell.task_spec)
            problems += _asked(f"task '{cell.task}'", task_event_problems, tasks[cell.task])
        task = tasks[cell.task]
        if (cell.robot, cell.task) not in pairs:
            pairs.add((cell.robot, cell.task))
            problems += _asked(f"{cell.robot} × {cell.task}: task '{cell.task}'",
                               task.check_compatible, robot.spec)
        if (cell.robot, cell.task, cell.method) not in triples:
            triples.add((cell.robot, cell.task, cell.method))
            method = _make_method(registry, cell)
            subject = f"{cell.robot} × {cell.task} × {cell.method}: method '{cell.method}'"
            found = _asked(subject, method.check_compatible, task, robot.spec)
            # Its terms are built only where the method found nothing missing (a reward group).
            problems += found or _asked(subject, reward_problems, method, task)
    if problems:
        raise TrackbenchError("the plan cannot run, so no cell was started:\n" + "\n".join(problems))


def task_event_problems(task) -> list[str]:
    """:func:`event_problems` of the events ``task`` declares."""
    return event_problems(tuple(task.events()))


def _make_method(registry: Registry, cell: RunSpec):
    spec = registry.resolve_spec("methods", cell.method, cell.method_spec)
    return registry.get("methods", cell.method).cls(spec)


def _asked(subject: str, check: Callable[..., list[str]], *args: Any) -> list[str]:
    """``check(*args)``'s problems, each prefixed with ``subject``. A hook that raises instead of
    returning its problems is a plugin bug; it is reported like a problem, not as a traceback."""
    try:
        found = list(check(*args))
    except TrackbenchError as error:
        found = [str(error)]
    except Exception as error:
        found = [f"{getattr(check, '__qualname__', check)} raised {type(error).__name__}: {error}"]
    return [f"{subject}: {problem}" for problem in found]
