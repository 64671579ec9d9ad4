"""A plugin that misspells a hook name."""

from trackbench import hookimpl


@hookimpl
def trackbench_register_robot():
    return []
