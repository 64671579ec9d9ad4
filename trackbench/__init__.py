"""trackbench: a plugin-based benchmark harness for dexterous robot-hand RL.

A plugin package imports trackbench from two places: ``hookimpl`` from here (cheap, for its
``hooks.py``) and everything else from :mod:`trackbench.api` (base classes, specs, State, scene
helpers, reward terms, conventions and the kit)::

    from trackbench import hookimpl
    from trackbench.api import Robot, RobotSpec

It imports no other trackbench module: ``trackbench.harness`` is the host's own and may change,
and the kit (``trackbench.kit``) is reached through the API.
"""

import pluggy

__version__ = "0.1.0"

PROJECT_NAME = "trackbench"
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)

__all__ = ["hookimpl", "__version__", "PROJECT_NAME"]
