"""Built-in engines: MuJoCo on the CPU (default)."""

from trackbench import hookimpl


@hookimpl
def trackbench_register_engines():
    from trackbench.plugins.engines.mujoco_cpu import MujocoEngine

    return [MujocoEngine]
