"""A plugin whose entry point is named `robots`, exactly as trackbench's own robot entry point."""

from trackbench import hookimpl
from trackbench_toy.hooks import RobotA


class Leap(RobotA):
    """Toy LEAP hand: loads beside trackbench's robots despite the shared entry-point name."""

    name = "leap"


@hookimpl
def trackbench_register_robots():
    return [Leap]
