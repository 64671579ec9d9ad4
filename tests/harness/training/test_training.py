"""End to end: train a cell per registered method with rl-games, resume a killed run, report."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from tests.harness.training.probe import probe_registry
from trackbench.harness.execute import execute_cell
from trackbench.harness.matrix import plan
from trackbench.harness.context import CACHE_ENV
from trackbench.harness.results import RunDir
from trackbench.harness.specs import MatrixSpec
from trackbench.harness.training.checkpoint import checkpoint_path

# 4 envs × horizon 8 = 32 agent steps per PPO epoch; 3 epochs; a checkpoint after each.
TINY_PPO = {"horizon_length": 8, "minibatch_size": 16, "mini_epochs": 2, "eval_episodes": 4,
            "checkpoint_every": 1, "actor_units": [32, 32], "critic_units": [32, 32],
            "pointnet_units": [16, 16]}
NUM_ENVS, STEPS = 4, 96


@pytest.fixture(scope="module")
def registry():
    return probe_registry()


@pytest.fixture(scope="module")
def tiny_predictor(tmp_path_factory) -> Path:
    """An (untrained) small Π_h checkpoint for `track`: training is not what is tested here."""
    from trackbench.plugins.predictors.transformer import Transformer, TransformerSpec

    spec = TransformerSpec(width=16, depth=1, heads=2, pointnet_width=8)
    return Transformer(spec).save(tmp_path_factory.mktemp("predictor") / "tiny.pt")


@pytest.fixture(scope="module")
def demo_cache(tmp_path_factory) -> Path:
    """One $TRACKBENCH_CACHE for the module: dapg records its demonstration once."""
    return tmp_path_factory.mktemp("cache")


def method_settings(method: str, request) -> dict:
    """Spec overrides that keep a method tiny in tests (every registered method is trained)."""
    if method == "dapg":  # one demonstration, recorded into the module's cache on first use
        request.getfixturevalue("monkeypatch").setenv(CACHE_ENV,
                                                      str(request.getfixturevalue("demo_cache")))
        return {"max_demos": 1, "pretrain_epochs": 1}
    if method == "track":
        return {"checkpoint": str(request.getfixturevalue("tiny_predictor"))}
    if method == "amp":
        return {"max_sequences": 4, "disc_units": [16], "batch_size": 8}
    return {}


def plan_cell(registry, method: str, steps: int = STEPS, method_spec: dict | None = None):
    matrix = MatrixSpec(robots=["allegro"], tasks=["probe"], methods=[method], agent_steps=steps,
                        num_envs=NUM_ENVS, overrides={"ppo": TINY_PPO, "method": method_spec or {}})
    return plan(matrix, registry)[0]


@pytest.mark.parametrize("method", probe_registry().names("methods"))
def test_a_cell_trains_evaluates_and_reports(method, registry, tmp_path, cli, request):
    spec = plan_cell(registry, method, method_spec=method_settings(method, request))
    run = RunDir.for_spec(tmp_path, spec)
    result = execute_cell(spec, registry, run)

    assert result["agent_steps"] == STEPS and result["resumed_from"] is None
    assert result["evaluation"]["episodes"] == 4
    assert result["success_rate"] == pytest.approx(0.5)  # envs 0 and 2 of 4 succeed (probe rule)
    assert result["events"] == {"lift": 0.0, "odd": 0.5} and result["fps"] > 0
    assert set(result["versions"]) - {"mujoco_warp"} == {"trackbench", "torch", "mujoco", "rl_games"}
    assert json.loads(run.result_file.read_text()) == result
    assert json.loads(run.spec_file.read_text())["ppo_spec"]["horizon_length"] == 8
    assert checkpoint_path(run).is_file()
    assert list((run.path / "rl_games" / "summaries").glob("events.out.tfevents.*"))

    rows = [json.loads(line) for line in run.metrics_file.read_text().splitlines()]
    assert [row["agent_steps"] for row in rows] == [32, 64, 96]
    last = rows[-1]
    assert last["episodes_total"] > 0 and 0.0 <= last["success_rate"] <= 1.0
    assert "lift_rate" in last and "odd_rate" in last and last["fps"] > 0
    terms = {name for name in last if name.startswith("term/")}
    assert "term/energy" in terms and len(terms) >= 2  # every reward term of the method is logged

    report = json.loads(cli("report", str(tmp_path), "--json").stdout)
    cell = report["tasks"]["probe"]["cells"]["allegro"][method]
    assert cell["n"] == 1 and cell["mean"] == pytest.approx(0.5)
    assert cell["lift_rate"] == 0.0 and cell["odd_rate"] == pytest.approx(0.5)  # the task's events
    assert Path(report["curves"]["probe"]).is_file()


class Kill(Exception):
    pass


def test_a_killed_run_resumes_from_its_checkpoint_and_finished_cells_are_skipped(
        registry, tmp_path, cli, monkeypatch):
    spec = plan_cell(registry, "dense")
    run = RunDir.for_spec(tmp_path, spec)

    def kill_after_two_epochs(epoch: int, steps: int) -> None:
        if epoch == 2:
            raise Kill()

    with pytest.raises(Kill):
        execute_cell(spec, registry, run, on_epoch=kill_after_two_epochs)
    assert not run.is_complete()  # no result.json after a crash
    saved = torch.load(checkpoint_path(run), weights_only=False)
    assert saved["frame"] == 64 and saved["epoch"] == 2

    epochs_seen = []
    result = execute_cell(spec, registry, run,
                          on_epoch=lambda epoch, steps: epochs_seen.append((epoch, steps)))
    assert result["resumed_from"] == 64
    assert epochs_seen == [(3, 96)]  # continued from the saved epoch and agent steps
    rows = [json.loads(line)["agent_steps"] for line in run.metrics_file.read_text().splitlines()]
    assert rows == [32, 64, 96]

    # The CLI skips the finished cell instead of training it again.
    import trackbench.harness.plugins as plugins_module  # `run` imports load_registry when called

    monkeypatch.setattr(plugins_module, "load_registry", lambda: registry)
    tiny = [f"ppo.{k}={json.dumps(v)}" for k, v in TINY_PPO.items()]
    args = ["run", "--robot", "allegro", "--task", "probe", "--method", "dense", "--steps", str(STEPS),
            "--envs", str(NUM_ENVS), "--out", str(tmp_path)]
    for setting in tiny:
        args += ["--set", setting]
    outcome = cli(*args)
    assert outcome.exit_code == 0, outcome.output
    assert "already complete" in outcome.stdout and "probe" in outcome.stdout  # report printed


def test_a_cell_trains_with_the_close_action_exploring_like_the_arm(registry, tmp_path):
    """robot.hand_close_action end to end: the policy has one more action, its σ starts at
    init_log_std while the hand joints' start at hand_init_log_std. The robot also observes
    its keypoints (robot.observe_keypoints): the actor's flat block grows by 3·K."""
    from trackbench.harness.env import VecEnv
    from trackbench.harness.training.policy import load_policy
    from trackbench.harness.training.ppo import PPOSpec

    robot = {"arm_action": "wrist_delta", "hand_action": "delta", "hand_close_action": True,
             "observe_keypoints": True}
    ppo = {**TINY_PPO, "init_log_std": -1.0, "hand_init_log_std": -3.0}
    matrix = MatrixSpec(robots=["allegro"], tasks=["probe"], methods=["dense"], agent_steps=STEPS,
                        num_envs=NUM_ENVS, overrides={"ppo": ppo, "robot": robot})
    spec = plan(matrix, registry)[0]
    run = RunDir.for_spec(tmp_path, spec)
    assert execute_cell(spec, registry, run)["agent_steps"] == STEPS
    trained = PPOSpec(**spec.ppo_spec)
    env = VecEnv.build(spec, registry, obs_clip=trained.obs_clip,
                       policy_points=trained.policy_points)
    network = load_policy(run, trained, env).a2c_network
    assert network.n_joints == 2 * 23 + 3 * 4  # allegro: 23 joints' positions, velocities; 4 tips
    log_std = network.sigma.detach()
    assert log_std.shape == (6 + 16 + 1,)  # wrist, allegro's 16 joints, the close action
    assert log_std[-1] > log_std[6:22].max() + 1.0  # ~−1 against ~−3 after three tiny epochs


def test_a_partial_run_with_other_settings_is_not_resumed(registry, tmp_path):
    spec = plan_cell(registry, "dense")
    run = RunDir.for_spec(tmp_path, spec)
    with pytest.raises(Kill):
        execute_cell(spec, registry, run, on_epoch=lambda epoch, steps: (_ for _ in ()).throw(Kill()))
    changed = spec.model_copy(update={"num_envs": 2})
    from trackbench.harness.errors import TrackbenchError

    with pytest.raises(TrackbenchError, match="num_envs"):
        execute_cell(changed, registry, run)
    result = execute_cell(changed.model_copy(update={"ppo_spec": {**spec.ppo_spec, "minibatch_size": 16}}),
                          registry, run, restart=True)
    assert result["resumed_from"] is None


def test_ppo_learns_to_bring_the_fingertips_to_the_box(registry, tmp_path):
    """The loop learns: PPO on the probe's dense reach reward beats the policy it started from.

    Measured (seeds 0-2): deterministic evaluation return of the reach term −5.7 after one PPO
    epoch, −4.6 to −4.9 after 16k agent steps (about 8 s here).
    """
    ppo = {"horizon_length": 16, "minibatch_size": 128, "mini_epochs": 4, "eval_episodes": 8,
           "actor_units": [64, 64], "critic_units": [64, 64], "pointnet_units": [16, 16]}
    never = {"episode_length": 16, "succeed_at": 1000}  # every episode runs 16 steps of reaching

    def evaluated_reach(steps: int) -> float:
        matrix = MatrixSpec(robots=["allegro"], tasks=["probe"], methods=["dense"],
                            agent_steps=steps, num_envs=32,
                            overrides={"ppo": ppo, "task": never})
        spec = plan(matrix, registry)[0]
        result = execute_cell(spec, registry, RunDir.for_spec(tmp_path / str(steps), spec))
        return result["evaluation"]["term/reach"]

    untrained, trained = evaluated_reach(512), evaluated_reach(16_384)
    assert trained > untrained + 0.4, (untrained, trained)
