"""A plugin that registers a robot which is not a trackbench Robot."""

from trackbench import hookimpl
from trackbench.api import PluginSpec


class Gripper:
    """Not a Robot subclass."""

    name = "gripper"

    class Spec(PluginSpec):
        pass


@hookimpl
def trackbench_register_robots():
    return [Gripper]
