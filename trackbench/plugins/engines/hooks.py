"""Built-in engines: MuJoCo on the CPU (default), MuJoCo Warp (needs the 'gpu' extra)."""

from trackbench import hookimpl


@hookimpl
def trackbench_register_engines():
    from trackbench.plugins.engines.mujoco_cpu import MujocoEngine
    from trackbench.plugins.engines.mujoco_warp import MjwarpEngine

    return [MujocoEngine, MjwarpEngine]
