"""Can the robot lift the task's objects at all? A scripted grasp through the policy's action space.

The lift rung's physics check (issue 13): before asking PPO to learn a lift, show that the scene
allows one. For each env (the paper's six objects round-robin) the script

1. resets as training does, then moves the hand into a pre-grasp around the object
   (``trackbench.harness.pregrasp``, the ``task.pregrasp_start`` curriculum's poses);
2. closes the hand: hand actions ramp over 1 s to the IK pose whose fingertips aim ``SQUEEZE`` m
   inside the object's extent (position servos then press with their effort limit);
3. lifts: arm delta actions (the control law's ≤ arm_speed_scale · sim_dt per step) towards the
   IK solution that raises the wrist by ``RAISE`` m, for up to 6 s, then holds 1 s;

and reports each object's rise (m) and whether it counts as the task's "lift" event (5 cm), and
how far the thumb and the closest other fingertip keypoint sit from the object's surface samples
in the holds (what the ``grasp`` method's grip term reads).

    .venv/bin/python benchmarks/scripted_grasp.py [ROBOT] [TASK] [ENVS] [ENGINE_FIELD=VALUE ...]
    .venv/bin/python benchmarks/scripted_grasp.py allegro grasp_lift 12 friction_cone=pyramidal impratio=1
    .venv/bin/python benchmarks/scripted_grasp.py allegro grasp_lift 12 robot.hand_effort=0.7

A ``robot.`` prefix overrides the robot's spec instead of the engine's (the grip-margin check).

Each of the 8 approach directions (thumb side, 45° apart) is tried for every env; ~10 s each.
"""

from __future__ import annotations

import numpy as np
import torch

from trackbench.harness.build import make_engine, make_robot, make_task, start_episodes
from trackbench.harness.plugins import load_registry
from trackbench.harness.pregrasp import PregraspSearch
from trackbench.harness.grip import thumb_and_finger, tip_surface_distances
from trackbench.plugins.tasks.lifting import LIFT_FLAG_RISE
from script_cli import BadArguments, run_script, split_arguments, whole_number

SQUEEZE = 0.015  # m inside the object's extent: the servos press rather than touch
RAISE = 0.15  # m the wrist is raised
GRIP_HEIGHT = 0.5  # of the object's height where the squeeze aims (the pre-grasp aims higher)
CLOSE_STEPS, LIFT_STEPS, HOLD_STEPS = 40, 120, 20  # control steps (20 Hz)


def wrist_raise_targets(search: PregraspSearch, env: int, qpos: np.ndarray, n_arm: int,
                        wrist: str) -> np.ndarray:
    """Arm joint targets [n_arm] that raise the wrist site by RAISE, orientation kept (mink)."""
    import mink
    import mujoco

    variant = env % len(search.scenes)
    model, data = search._models[variant], search._datas[variant]
    mujoco.mj_resetData(model, data)
    data.qpos[search._qpos[variant]] = qpos
    mujoco.mj_forward(model, data)
    configuration = mink.Configuration(model, data.qpos.copy())
    goal = mink.SE3.from_rotation_and_translation(
        mink.SO3.from_matrix(data.site(wrist).xmat.reshape(3, 3).copy()),
        data.site(wrist).xpos + np.array([0.0, 0.0, RAISE]))
    task = mink.FrameTask(wrist, "site", position_cost=1.0, orientation_cost=0.5)
    task.set_target(goal)
    posture = mink.PostureTask(model, cost=1e-3)
    posture.set_target(data.qpos.copy())
    for _ in range(60):
        velocity = mink.solve_ik(configuration, [task, posture], 0.1, "daqp", damping=1e-3,
                                 limits=[mink.ConfigurationLimit(model)])
        configuration.integrate_inplace(velocity, 0.1)
    return configuration.q[search._qpos[variant]][:n_arm]


def lift_rises(robot_name: str, task_name: str, num_envs: int, direction_deg: float,
               engine_overrides: dict | None = None, robot_overrides: dict | None = None
               ) -> tuple[torch.Tensor, list[bool]]:
    """([N] rise of each env's object (m) at the end of the hold, [N] whether a collision-free
    pre-grasp existed) for one approach direction (degrees about world z; thumb on that side)."""
    rise, posed, _ = scripted_grasps(robot_name, task_name, num_envs, direction_deg,
                                     engine_overrides, robot_overrides)
    return rise, posed


def scripted_grasps(robot_name: str, task_name: str, num_envs: int, direction_deg: float,
                    engine_overrides: dict | None = None, robot_overrides: dict | None = None
                    ) -> tuple[torch.Tensor, list[bool], torch.Tensor]:
    """:func:`lift_rises`, plus [N, K] each fingertip keypoint's distance to the nearest surface
    sample of the object at the end of the hold (m; what the ``grasp`` method's grip reads)."""
    registry = load_registry()
    task = make_task(registry, task_name, {})
    robot = make_robot(registry, robot_name, robot_overrides)
    engine = make_engine(registry, "mujoco", robot, task.scenes(), num_envs, 0, engine_overrides)
    start_episodes(task, engine, seed=0)
    search = PregraspSearch(robot, task.scenes())
    spec = robot.spec
    n_arm = len(spec.arm_joints)
    joints = spec.arm_joints + spec.hand_joints
    lower = torch.tensor([j.lower for j in joints])
    upper = torch.tensor([j.upper for j in joints])
    state = engine.state
    angle = float(np.radians(direction_deg))
    poses, squeezes, posed = state.joint_pos.clone(), state.joint_pos.clone(), []
    for env in range(num_envs):
        pose = search.pose(env, state.joint_pos[env], state.object_pos[env, 0],
                           state.object_quat[env, 0], angle)
        posed.append(pose is not None)
        if pose is None:
            continue
        poses[env] = pose
        squeezes[env] = search.pose(env, pose, state.object_pos[env, 0], state.object_quat[env, 0],
                                    angle, gap=-SQUEEZE, height=GRIP_HEIGHT)
    engine.reset(torch.arange(num_envs), robot_qpos=poses, object_pos=state.object_pos,
                 object_quat=state.object_quat)
    start_height = engine.state.object_pos[:, 0, 2].clone()
    per_step = spec.arm_speed_scale * engine.spec.sim_dt

    def hand_actions(targets: torch.Tensor) -> torch.Tensor:
        return 2.0 * (targets - lower[n_arm:]) / (upper[n_arm:] - lower[n_arm:]) - 1.0

    def arm_actions(targets: torch.Tensor) -> torch.Tensor:
        """Arm deltas towards `targets`, as fast as the control law allows."""
        return ((targets - engine.state.joint_target[:, :n_arm]) / per_step).clamp(-1.0, 1.0)

    actions = torch.zeros(num_envs, len(joints))
    for k in range(CLOSE_STEPS):  # the arm settles to the grip height while the hand closes
        blend = min(1.0, 2 * (k + 1) / CLOSE_STEPS)
        actions[:, :n_arm] = arm_actions(squeezes[:, :n_arm])
        actions[:, n_arm:] = hand_actions((1 - blend) * poses[:, n_arm:] + blend * squeezes[:, n_arm:])
        engine.step(actions)
    raised = torch.stack([torch.as_tensor(wrist_raise_targets(
        search, env, engine.state.joint_pos[env].double().numpy(), n_arm, spec.wrist_site))
        for env in range(num_envs)]).float()
    for _ in range(LIFT_STEPS + HOLD_STEPS):
        actions[:, :n_arm] = arm_actions(raised)
        engine.step(actions)
    rise = engine.state.object_pos[:, 0, 2] - start_height
    rise = torch.where(torch.tensor(posed), rise, torch.zeros_like(rise))
    return rise, posed, tip_surface_distances(engine.state)


def main(robot_name: str = "allegro", task_name: str = "grasp_lift", num_envs: int = 12,
         engine_overrides: dict | None = None, robot_overrides: dict | None = None) -> None:
    task = make_task(load_registry(), task_name, {})
    labels = getattr(task.spec, "objects", None)
    print(f"{robot_name} / {task_name}, engine {engine_overrides or 'defaults'}, robot "
          f"{robot_overrides or 'defaults'}: scripted pre-grasp, "
          f"squeeze {SQUEEZE} m at {GRIP_HEIGHT} of the height, wrist raised {RAISE} m through "
          f"the action space; rise (m) at the end of a {HOLD_STEPS / 20:.0f} s hold")
    directions = list(range(0, 360, 45))
    print(f"{'env':>3}  {'object':<22}" + "".join(f"{d:>7}°" for d in directions))
    tries = [scripted_grasps(robot_name, task_name, num_envs, d, engine_overrides, robot_overrides)
             for d in directions]
    table = torch.stack([rise for rise, _, _ in tries], dim=1)
    for env in range(num_envs):
        label = labels[env % len(labels)] if labels else f"variant {env % len(task.scenes())}"
        print(f"{env:>3}  {label:<22}" + "".join(f"{float(r):8.3f}" for r in table[env]))
    lifted = table >= LIFT_FLAG_RISE
    print(f"lifted (rise ≥ {LIFT_FLAG_RISE} m): {int(lifted.sum())} of {lifted.numel()} "
          f"(env, direction) tries; {int(lifted.any(dim=1).sum())} of {num_envs} envs in some "
          f"direction")
    # What a held object's grip looks like to the `grasp` method (its grip_distance, grip_scale).
    held = torch.cat([tips[rise >= LIFT_FLAG_RISE] for rise, _, tips in tries])
    if len(held):
        thumb, finger = thumb_and_finger(held)
        for name, values in (("thumb", thumb), ("closest other fingertip", finger)):
            print(f"held objects, {name} to the nearest surface sample (cm): p5/p50/p95/max "
                  f"{[round(float(v) * 100, 1) for v in values.quantile(torch.tensor([0.05, 0.5, 0.95, 1.0]))]}")


USAGE = ("usage: benchmarks/scripted_grasp.py [ROBOT] [TASK] [ENVS ≥ 1] [FIELD=VALUE ...] "
         "(defaults allegro grasp_lift 12; FIELD: an engine setting, engine.FIELD too, or "
         "robot.FIELD for the robot's)")


def overrides(options: dict[str, str]) -> tuple[dict[str, str] | None, dict[str, str] | None]:
    """(engine settings, robot settings) from FIELD=VALUE options, None where none is given;
    BadArguments for a prefix without a field. The fields are checked by the plugins' specs
    when built (TrackbenchError)."""
    engine, robot = {}, {}
    for key, value in options.items():
        kind, field = (robot, key.removeprefix("robot.")) if key.startswith("robot.") else \
            (engine, key.removeprefix("engine."))
        if not field:
            raise BadArguments(f"option '{key}' names no field (e.g. robot.hand_effort=0.7)")
        if field in kind:  # engine.X and X are one setting
            raise BadArguments(f"option '{key}' given twice")
        kind[field] = value
    return engine or None, robot or None


def arguments(argv: list[str]) -> tuple[str, str, int, dict[str, str] | None,
                                         dict[str, str] | None]:
    """(robot, task, envs, engine settings, robot settings) from the command line;
    BadArguments, saying what is wrong, for anything else."""
    positional, options = split_arguments(argv, None, 3, required=None)
    given = positional + [None] * (3 - len(positional))
    return ("allegro" if given[0] is None else given[0],
            "grasp_lift" if given[1] is None else given[1],
            whole_number(given[2], "ENVS", 12), *overrides(options))


if __name__ == "__main__":
    run_script(main, arguments, USAGE)
