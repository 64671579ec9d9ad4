"""Grasped start states: the hand closed on the task's object, settled by the training physics.

A named training curriculum for the lift tasks (``task.grasped_start``, issue 13), the lift
rung's reverse curriculum (Florensa et al., "Reverse Curriculum Generation for Reinforcement
Learning", CoRL 2017; resets to demonstration states, Nair et al., ICRA 2018): a fraction of
*training* resets starts with the object already in the hand, so that PPO meets raising a held
object without first having to discover the grasp. Evaluation never uses it.

The states are made once per run, before the first reset, in the run's own engine (so that they
are the training physics' states, for any engine): every env gets a standard reset drawn from a
private generator seeded by the run's seed, a pre-grasp and the same approach direction's
squeeze pose (fingertips ``SQUEEZE`` m inside the object; ``harness/pregrasp.py``); the engine
resets into the pre-grasps, holds the arm still and ramps the hand's targets to the squeeze (the
inverse control law's actions, so any arm and hand action space) over ``CLOSE_STEPS``, then holds ``HOLD_STEPS``. An
env's end state is kept if its physics stayed stable, the thumb and another fingertip are within
``GRIP_DISTANCE`` of the object (``harness/grip.py``) and the object moved less than
``MAX_SHIFT``: the robot's joint positions and every object's pose. A grasped start resets an env
to a kept state of its own scene variant, drawn from the env's generator.

A reset puts the PD targets at the joint positions (the engine contract), so the fingers press
again only once the policy commands a closed hand: the rung asks "close, keep the grip, raise".

Measured (allegro / grasp_lift, 24 envs): 19 kept, 3.8 s on the 2-core machine; from them a
scripted tighter hand and a 1 s wrist raise lift 20 of 24 objects 7–12 cm (docs/results,
session 8; ``tests/harness/test_grasped.py``). Each run logs ``grasped_kept`` of
``grasped_tried``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import torch

from trackbench.harness.grip import GRIP_DISTANCE, gripped
from trackbench.harness.replay import ActionInverse
from trackbench.harness.task import ResetPlan

if TYPE_CHECKING:
    from trackbench.harness.engine import Engine
    from trackbench.harness.pregrasp import PregraspSearch
    from trackbench.harness.task import Task

# The scripted grasp that lifts (benchmarks/scripted_grasp.py: 22 of 96 (env, direction) tries
# lift the object 5 cm on allegro / grasp_lift, and most tries that find a pre-grasp do).
SQUEEZE = 0.015  # m inside the object's extent that the closing fingertips aim at
CLOSE_STEPS, HOLD_STEPS = 20, 10  # control steps (20 Hz): close over 1 s, then settle 0.5 s
MAX_SHIFT = 0.02  # m the object's centre may move while the hand closes
SEED_OFFSET = 7_919  # the private generator's seed is the run's seed + this (any fixed prime)


class GraspedStarts:
    """Settled grasps of one engine's envs, grouped by scene variant.

    ``engine``: the run's engine, not yet in use (its envs are reset and stepped here, and left
    for the caller to reset); ``task``: the run's task, set up (its ``reset`` draws the starts);
    ``search``: a :class:`~trackbench.harness.pregrasp.PregraspSearch` for the same robot and
    scenes; ``seed``: the run's seed. Costs one pre-grasp search per env and
    ``CLOSE_STEPS + HOLD_STEPS`` control steps of the engine.
    """

    def __init__(self, engine: "Engine", task: "Task", search: "PregraspSearch", seed: int):
        n = engine.num_envs
        generator = torch.Generator().manual_seed(seed + SEED_OFFSET)
        ids = torch.arange(n)
        plans = [task.reset(ids[i:i + 1], generator) for i in range(n)]
        posed = torch.zeros(n, dtype=torch.bool)
        squeezes = torch.zeros(n, len(engine.robot.spec.arm_joints + engine.robot.spec.hand_joints))
        for i, plan in enumerate(plans):
            found = search.solve_with_squeeze(i, plan.robot_qpos[0], plan.object_pos[0, 0],
                                              plan.object_quat[0, 0], generator, SQUEEZE)
            if found is not None:
                plan.robot_qpos[0], squeezes[i] = found
                posed[i] = True
        engine.reset(ids, **ResetPlan.concatenate(plans).as_kwargs())
        state = engine.state
        start = state.object_pos[:, 0].cpu()
        opened = state.joint_pos.cpu()
        device = state.joint_pos.device  # the engine's (a GPU engine's State stays there)
        squeezes = torch.where(posed[:, None], squeezes, opened)  # no pre-grasp: the hand stays
        stable = torch.ones(n, dtype=torch.bool)
        inverse = ActionInverse(engine)
        for k in range(CLOSE_STEPS + HOLD_STEPS):
            blend = min(1.0, (k + 1) / CLOSE_STEPS)
            targets = (1.0 - blend) * opened + blend * squeezes
            engine.step(hand_close_actions(engine, inverse, targets).to(device))
            stable &= ~engine.unstable.cpu()
        state = engine.state
        shift = (state.object_pos[:, 0].cpu() - start).norm(dim=-1)
        keep = posed & stable & gripped(state).cpu() & (shift < MAX_SHIFT)
        self.kept, self.tried = int(keep.sum()), n
        variants = ids % len(engine.scenes)
        self._by_variant = [torch.nonzero(keep & (variants == v)).flatten()
                            for v in range(len(engine.scenes))]
        self._qpos = state.joint_pos.cpu().clone()
        self._object_pos = state.object_pos.cpu().clone()
        self._object_quat = state.object_quat.cpu().clone()

    def draw(self, env_id: int, generator: torch.Generator) -> ResetPlan | None:
        """A one-env plan ([1, ...] tensors) that resets ``env_id`` into a kept grasp of its scene
        variant, or None if that variant kept none. Consumes one draw of ``generator`` when a
        grasp exists."""
        choices = self._by_variant[env_id % len(self._by_variant)]
        if len(choices) == 0:
            return None
        pick = int(choices[int(torch.randint(len(choices), (1,), generator=generator))])
        return ResetPlan(robot_qpos=self._qpos[pick:pick + 1].clone(),
                         object_pos=self._object_pos[pick:pick + 1].clone(),
                         object_quat=self._object_quat[pick:pick + 1].clone())


def hand_close_actions(engine: "Engine", inverse: "ActionInverse",
                       targets: torch.Tensor) -> torch.Tensor:
    """[N, num_actions] actions that hold the arm still and move the hand's PD targets to the hand
    part of ``targets`` ([N, n_dof] joint positions, arm then hand; the arm part is ignored), by
    the inverse control law (``harness/replay.py``), clipped to [-1, 1]."""
    now = engine.state.joint_target.detach().cpu().double().numpy()
    desired = now.copy()
    n_arm = len(engine.robot.spec.arm_joints)
    desired[:, n_arm:] = targets[:, n_arm:].detach().cpu().double().numpy()
    return torch.as_tensor(np.clip(inverse(now, desired), -1.0, 1.0), dtype=torch.float32)
