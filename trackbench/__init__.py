"""trackbench: a plugin-based benchmark harness for dexterous robot-hand RL.

A plugin package needs only this module and the spec bases::

    from trackbench import hookimpl
"""

import pluggy

__version__ = "0.1.0"

PROJECT_NAME = "trackbench"
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)

__all__ = ["hookimpl", "__version__", "PROJECT_NAME"]
