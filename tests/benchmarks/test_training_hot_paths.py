"""pytest-benchmark: the hot functions of one training step, 64 envs (run with `make bench`).

Beside `trackbench bench --train`, which times them in a real loop: engine step (in
test_engine_throughput.py), task update, Π_h's prediction from the per-env history, and one
PPO gradient step (forward, backward, Adam) of the actor-critic on a 640-sample minibatch.
"""

from __future__ import annotations

import pytest
import torch

from trackbench.harness.build import make_engine, make_robot, make_task, start_episodes
from trackbench.harness.plugins import load_registry

REGISTRY = load_registry()
NUM_ENVS = 64


@pytest.fixture(scope="module")
def grasp_lift():
    robot = make_robot(REGISTRY, "allegro")
    task = make_task(REGISTRY, "grasp_lift")
    engine = make_engine(REGISTRY, "mujoco", robot, task.scenes(), NUM_ENVS, 0)
    start_episodes(task, engine, seed=0)
    engine.step(torch.zeros(NUM_ENVS, engine.num_actions))
    return robot, task, engine


def test_task_update(benchmark, grasp_lift):
    _, task, engine = grasp_lift
    frame = benchmark(task.update, engine.state)
    assert frame.success.shape == (NUM_ENVS,)


def test_predictor_next_fingertips(benchmark, grasp_lift):
    from trackbench.harness.prediction_history import PredictionHistory
    from trackbench.plugins.predictors.transformer import Transformer, TransformerSpec

    robot, task, engine = grasp_lift
    history = PredictionHistory(Transformer(TransformerSpec(preset="cpu")).eval(), robot.spec,
                                NUM_ENVS)
    state = engine.state
    points, ids = task.predictor_objects(state)
    history.reset(torch.arange(NUM_ENVS), state.keypoints, points, ids, task.goal_label(state))
    predicted = benchmark(history.predict)
    assert predicted.shape[0] == NUM_ENVS


@pytest.mark.parametrize("sizes", ["paper", "small"])
def test_ppo_gradient_step(benchmark, sizes):
    from trackbench.harness.training.network import PointNetActorCritic

    units = {"paper": ([64, 64, 64], [512, 256, 128]), "small": ([32, 32], [256, 128, 64])}[sizes]
    layout = {"joints": 46, "points": 100, "privileged": 19}
    params = {"layout": layout, "pointnet_units": units[0], "actor_units": units[1],
              "critic_units": units[1], "init_log_std": 0.0}
    width = 46 + 300 + 19
    net = PointNetActorCritic(params, actions_num=23, input_shape=(width,))
    optimizer = torch.optim.Adam(net.parameters(), lr=1e-4)
    obs = torch.randn(640, width)

    def step():
        mu, _, value, _ = net({"obs": obs})
        loss = mu.square().mean() + value.square().mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        return loss

    assert torch.isfinite(benchmark(step))


@pytest.mark.parametrize("arm_action", ["joint_delta", "wrist_delta"])
def test_control_law(benchmark, arm_action):
    """One control step's PD targets for 128 envs: the paper's joint deltas, or wrist deltas
    (one wrist Jacobian per env, then damped least squares)."""
    import numpy as np

    from trackbench.harness.control import ControlLaw
    from trackbench.harness.engine import EngineSpec

    robot = make_robot(REGISTRY, "allegro", {"arm_action": arm_action})
    law = ControlLaw(robot, EngineSpec())
    joints = robot.spec.arm_joints + robot.spec.hand_joints
    previous = np.tile([j.default for j in joints], (128, 1))
    actions = np.random.default_rng(0).uniform(-1, 1, (128, robot.spec.num_actions))
    targets = benchmark(law, previous, actions)
    assert targets.shape == previous.shape
