"""A plugin that registers a robot under a name the built-ins already use."""

from trackbench import hookimpl
from trackbench_toy.hooks import RobotA


class FakeAllegro(RobotA):
    """Not the real Allegro."""

    name = "allegro"


@hookimpl
def trackbench_register_robots():
    return [FakeAllegro]
