"""THE contract between trackbench and its plugins.

A plugin package declares one entry point in the ``trackbench`` group::

    [project.entry-points.trackbench]
    leap = "trackbench_leap.hooks"

and implements any of the hooks below in that module::

    from trackbench import hookimpl

    @hookimpl
    def trackbench_register_robots():
        return [LeapHand]

Every hook takes no arguments and returns a list of plugin *classes* (not instances).
Each class must carry:

- ``name``: a class attribute, lower-case ``[a-z][a-z0-9_]*``; unique within its kind across
  all installed packages (a duplicate stops trackbench with a message naming both packages).
- ``Spec``: a nested Pydantic v2 model subclassing :class:`trackbench.api.PluginSpec`
  (``extra="forbid"``, frozen). Its defaults must validate: trackbench builds ``Spec()`` for every
  plugin at load time, so a broken default is reported before any run starts.
- a docstring whose first line is the one-line description ``trackbench list`` shows.

A hook that returns anything but a list (a bare class, say) or lists anything but such classes
is reported with the plugin's entry point and package; the other plugins still load. Entry points
are told apart by package and name, so a package may call its entry point ``robots`` too.

The kind-specific base classes (what each plugin is constructed with and must implement) are
defined in ``trackbench.harness.engine``, ``.robot``, ``.task``, ``.method``, ``.predictor`` and
``.dataset``; a plugin imports them, like everything else of trackbench, from ``trackbench.api``.
Checks between plugins belong in ``Robot.check_model``, ``Task.check_compatible`` and
``Method.check_compatible``, which ``run`` asks for every planned cell before any cell starts.
Built-in plugins register through exactly these hooks, via the same entry-point group.
"""

from __future__ import annotations

import pluggy

from trackbench import PROJECT_NAME

hookspec = pluggy.HookspecMarker(PROJECT_NAME)


@hookspec
def trackbench_register_engines() -> list[type]:
    """Return simulator engine classes (subclasses of ``trackbench.harness.engine.Engine``).

    An engine compiles one model from a robot and a task scene, steps ``num_envs`` copies in
    parallel and returns a batched :class:`trackbench.harness.state.State` of torch tensors.
    Tasks and methods only ever see that State, so one task runs on every engine.
    """


@hookspec
def trackbench_register_robots() -> list[type]:
    """Return robot classes (subclasses of ``trackbench.harness.robot.Robot``).

    A robot builds its MJCF (arm + hand, one position actuator per joint, in action order) and
    declares in its Spec the joint limits, default pose, PD gains, keypoint sites with their
    MANO/DexYCB human indices (thumb 4, index 8, middle 12, ring 16, little 20) and, for hands with
    fewer than five fingers, how the missing human fingertip is synthesised.
    """


@hookspec
def trackbench_register_tasks() -> list[type]:
    """Return task classes (subclasses of ``trackbench.harness.task.Task``).

    A task adds its scene (table, objects, fixtures) to the model, randomises resets, and defines
    success, termination, the events it reports (``Task.events``, each counted as a rate per
    episode), the sparse task reward terms and the dense reward terms as named pure functions of
    State. A task never refers to a specific robot.
    """


@hookspec
def trackbench_register_methods() -> list[type]:
    """Return reward-method classes (subclasses of ``trackbench.harness.method.Method``).

    A method composes the reward PPO sees as named, weighted terms (``Method.terms``): the task's
    and its own (``track``'s from a predictor's output). The harness evaluates them and logs every
    term's per-episode sum. A method whose spec names other plugins checks them in
    ``Method.check_spec``, which ``run`` calls before any cell starts.
    """


@hookspec
def trackbench_register_predictors() -> list[type]:
    """Return predictor classes (Π_h): keypoint history (+ object clouds, goal id) → next keypoints."""


@hookspec
def trackbench_register_datasets() -> list[type]:
    """Return human-motion dataset classes that load sequences into trackbench's trajectory format
    (21 MANO-order keypoints per frame in the table-top world frame, z up, metres, 20 Hz)."""
