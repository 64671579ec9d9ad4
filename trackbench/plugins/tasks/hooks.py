"""Built-in tasks: grasp-and-lift, grasp-and-lift in clutter, lift-and-throw, open the cabinet drawer."""

from trackbench import hookimpl
from trackbench.plugins.tasks.grasp_lift import GraspLift
from trackbench.plugins.tasks.grasp_lift_clutter import GraspLiftClutter
from trackbench.plugins.tasks.lift_throw import LiftThrow
from trackbench.plugins.tasks.cabinet import Cabinet


@hookimpl
def trackbench_register_tasks():
    return [GraspLift, GraspLiftClutter, LiftThrow, Cabinet]
