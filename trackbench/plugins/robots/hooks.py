"""Built-in robots: Allegro (16 DoF), XHand (12 DoF), Schunk SVH (20 DoF), each on an xArm7."""

from trackbench import hookimpl


@hookimpl
def trackbench_register_robots():
    from trackbench.plugins.robots.allegro import Allegro
    from trackbench.plugins.robots.svh import SchunkSVH
    from trackbench.plugins.robots.xhand import XHand

    return [Allegro, XHand, SchunkSVH]
