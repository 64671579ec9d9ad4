"""dapg: the BC weight's schedule, and a tiny cell that trains, checkpoints, resumes exactly and
reports (its demonstrations recorded once into a temporary cache)."""

from __future__ import annotations

import json

import pytest
import torch

from tests.harness.training.probe import probe_registry
from tests.harness.training.test_training import STEPS, plan_cell
from trackbench.harness.execute import execute_cell
from trackbench.harness.context import CACHE_ENV
from trackbench.harness.results import RunDir
from trackbench.plugins.methods.dapg import DAPG, bc_weight

TINY = {"max_demos": 1, "pretrain_epochs": 1}
CLOCK = {"fps", "wall_s"}


def test_the_bc_weight_is_lambda0_lambda1_to_the_k_times_the_batch_max_advantage():
    method = DAPG(DAPG.Spec(lambda0=1e-2, lambda1=0.95))
    method.iteration, method.weight = 0, 0.0
    advantages = torch.tensor([-1.0, 0.5, 2.0])
    weights = []
    for _ in range(12):
        method.update_begins(advantages)
        weights.append(method.weight)
    assert weights[0] == pytest.approx(1e-2 * 2.0)
    assert weights[11] == pytest.approx(1e-2 * 0.95 ** 11 * 2.0)
    assert all(b == pytest.approx(0.95 * a) for a, b in zip(weights, weights[1:]))
    assert method.iteration == 12
    assert bc_weight(1e-2, 0.95, 3, -0.5) == 0.0  # no positive advantage: no BC pull
    method.update_begins(torch.tensor([-2.0, -1.0]))
    assert method.weight == 0.0 and method.policy_loss(None, 8) is None


@pytest.fixture(scope="module")
def registry():
    return probe_registry()


class Kill(Exception):
    pass


def test_a_dapg_cell_trains_checkpoints_resumes_exactly_and_reports(registry, tmp_path, cli,
                                                                    monkeypatch):
    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "cache"))
    spec = plan_cell(registry, "dapg", method_spec=TINY)
    reference = RunDir.for_spec(tmp_path / "reference", spec)
    result = execute_cell(spec, registry, reference)
    assert result["agent_steps"] == STEPS and result["evaluation"]["episodes"] == 4
    assert len(list((tmp_path / "cache" / "demonstrations").glob("*.npz"))) == 1
    quality = json.loads(next((tmp_path / "cache" / "demonstrations").glob("*.json")).read_text())
    assert quality["quality"]["demos"] == 1 and quality["quality"]["limit_violations"] == 0

    rows = [json.loads(line) for line in reference.metrics_file.read_text().splitlines()]
    assert [row["method/iteration"] for row in rows] == [1.0, 2.0, 3.0]  # k counts PPO epochs
    assert all(row["method/bc_weight"] > 0 and row["method/bc_nll"] > 0 for row in rows)

    killed = RunDir.for_spec(tmp_path / "killed", spec)

    def kill_after_two_epochs(epoch: int, steps: int) -> None:
        if epoch == 2:
            raise Kill()

    with pytest.raises(Kill):
        execute_cell(spec, registry, killed, on_epoch=kill_after_two_epochs)
    saved = torch.load(killed.checkpoint_dir / "last.pth", weights_only=True)
    assert saved["env_state"]["method"]["iteration"] == 2  # k is in the checkpoint
    resumed = execute_cell(spec, registry, killed)
    assert resumed["resumed_from"] == 2 * STEPS // 3

    def without_clock(row: dict) -> dict:
        return {k: v for k, v in row.items() if k not in CLOCK}

    again = [json.loads(line) for line in killed.metrics_file.read_text().splitlines()]
    assert [without_clock(r) for r in again] == [without_clock(r) for r in rows]

    report = json.loads(cli("report", str(tmp_path / "reference"), "--json").stdout)
    cell = report["tasks"]["probe"]["cells"]["allegro"]["dapg"]
    assert cell["n"] == 1 and cell["mean"] == pytest.approx(0.5)


class LinearPolicy:
    """A stand-in for PolicyLikelihood: a unit-σ Gaussian whose mean is linear in the joints."""

    def __init__(self, n_dof: int, n_actions: int):
        self.layer = torch.nn.Linear(n_dof, n_actions)

    def log_prob(self, joint_pos, joint_vel, points, privileged, actions, *,
                 update_normaliser=False):
        mean = self.layer(joint_pos)
        return torch.distributions.Normal(mean, 1.0).log_prob(actions).sum(-1)

    def parameters(self):
        return self.layer.parameters()


def method_with_demos(**spec) -> DAPG:
    """A dapg method holding 64 made-up demo steps (setup would record real ones)."""
    method = DAPG(DAPG.Spec(**spec))
    generator = torch.Generator().manual_seed(1)
    joints = torch.randn(64, 5, generator=generator)
    method.demos = {"joint_pos": joints, "joint_vel": torch.zeros(64, 5),
                    "points": torch.zeros(64, 4, 3), "privileged": torch.zeros(64, 2),
                    "actions": (joints[:, :3] * 0.5).clamp(-1, 1)}
    method.num_demo_steps, method.device = 64, torch.device("cpu")
    method.generator = torch.Generator().manual_seed(0)
    method.iteration, method.weight, method.bc_nll = 0, 0.0, 0.0
    return method


def test_a_robot_that_observes_its_targets_is_refused_at_plan_time(registry):
    allegro = registry.resolve_spec("robots", "allegro", {"observe_targets": True})
    task = registry.get("tasks", "grasp_lift").cls(registry.resolve_spec("tasks", "grasp_lift", {}))
    problems = DAPG(DAPG.Spec()).check_compatible(task, allegro)
    assert problems and "robot.observe_targets" in problems[-1]


def test_a_robot_that_observes_its_keypoints_is_refused_at_plan_time(registry):
    allegro = registry.resolve_spec("robots", "allegro", {"observe_keypoints": True})
    task = registry.get("tasks", "grasp_lift").cls(registry.resolve_spec("tasks", "grasp_lift", {}))
    problems = DAPG(DAPG.Spec()).check_compatible(task, allegro)
    assert problems and "robot.observe_keypoints" in problems[-1]


def test_the_bc_term_is_the_weight_times_the_demos_negative_log_likelihood():
    method, policy = method_with_demos(), LinearPolicy(5, 3)
    method.update_begins(torch.tensor([0.0, 3.0]))
    loss = method.policy_loss(policy, batch_size=16)
    assert method.weight == pytest.approx(0.03)
    assert loss.item() == pytest.approx(0.03 * method.bc_nll)
    loss.backward()  # differentiable in the policy's parameters
    assert policy.layer.weight.grad.abs().sum() > 0


def test_bc_pretraining_makes_the_demonstrated_actions_likelier():
    method, policy = method_with_demos(pretrain_epochs=20, pretrain_batch=16), LinearPolicy(5, 3)
    demos = [method.demos[name] for name in ("joint_pos", "joint_vel", "points", "privileged",
                                             "actions")]
    before = -policy.log_prob(*demos).mean().item()
    method.pretrain_policy(policy)
    after = -policy.log_prob(*demos).mean().item()
    assert after < before - 0.2, (before, after)


def test_the_dataset_spec_is_checked_at_plan_time_and_chooses_the_demonstrations(
        registry, tmp_path, monkeypatch):
    from trackbench.api import TrackbenchError, cached_demonstrations
    from trackbench.harness.context import RunContext

    with pytest.raises(TrackbenchError, match="drawer_fraction"):
        DAPG.check_spec(DAPG.Spec(dataset_spec={"drawer_fraction": 2.0}), registry)
    DAPG.check_spec(DAPG.Spec(dataset_spec={"drawer_fraction": 1.0}), registry)
    with pytest.raises(TrackbenchError, match=r"reads data from disk.*method.dataset_spec="):
        DAPG.check_spec(DAPG.Spec(dataset="trackr"), registry)
    with pytest.raises(TrackbenchError, match="does not exist"):
        DAPG.check_spec(DAPG.Spec(dataset="trackr", dataset_spec={"path": str(tmp_path / "no")}),
                        registry)
    monkeypatch.setenv(CACHE_ENV, str(tmp_path))
    allegro = registry.resolve_spec("robots", "allegro", {})
    cabinet = registry.get("tasks", "cabinet").cls(registry.resolve_spec("tasks", "cabinet", {}))
    demos = cached_demonstrations(RunContext(registry), allegro, cabinet, "synthetic",
                                  max_demos=1, dataset_settings={"drawer_fraction": 1.0})
    assert demos.names[0].split("/")[1].startswith("drawer_")  # a drawer opening, not a grasp
