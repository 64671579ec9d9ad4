"""A plugin whose robot hook returns the class itself instead of a list holding it."""

from trackbench import hookimpl
from trackbench_toy.hooks import RobotA


class BareRobot(RobotA):
    """Registered wrongly: the hook forgets the list."""

    name = "bare"


@hookimpl
def trackbench_register_robots():
    return BareRobot
