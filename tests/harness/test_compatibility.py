"""Plan-time compatibility: what a cell would find only when it starts fails `run --dry-run`."""

from __future__ import annotations

import pytest

from tests.harness.conftest import assert_user_error
from trackbench.harness.errors import TrackbenchError
from trackbench.harness.matrix import plan
from trackbench.harness.method import Method, MethodSpec
from trackbench.harness.plugins import load_registry
from trackbench.harness.specs import MatrixSpec

NO_RING = ("--set", "robot.synthetic_keypoints=[]")  # Allegro then lacks the ring fingertip, 16


def dry_run(cli, tmp_path, *args: str):
    return cli("run", *args, "--dry-run", "--out", str(tmp_path))


@pytest.mark.parametrize("method", ["track", "amp"])
def test_a_robot_without_every_human_fingertip_fails_the_dry_run_of_its_cells(cli, tmp_path,
                                                                              method):
    result = dry_run(cli, tmp_path, "--robot", "allegro", "--task", "grasp_lift",
                     "--method", f"dense,{method}", *NO_RING)
    assert_user_error(result, f"allegro × grasp_lift × {method}: method '{method}'",
                      "human fingertip [16] and synthesises none")
    assert result.output.count("synthesises none") == 1  # one message: the dense cell is fine
    assert "plan:" not in result.output  # nothing was planned, let alone started


def test_the_same_robot_plans_with_methods_that_need_no_fingertip_map(cli, tmp_path):
    result = dry_run(cli, tmp_path, "--robot", "allegro", "--task", "grasp_lift",
                     "--method", "dense,task", *NO_RING)
    assert result.exit_code == 0, result.output


def test_a_wrist_site_missing_from_the_model_fails_the_dry_run(cli, tmp_path):
    result = dry_run(cli, tmp_path, "--robot", "allegro", "--method", "dense",
                     "--set", "robot.wrist_site=nowhere")
    assert_user_error(result, "robot 'allegro': wrist site 'nowhere' is not in the model")


def test_a_keypoint_site_missing_from_the_model_fails_the_dry_run(cli, tmp_path):
    result = dry_run(cli, tmp_path, "--robot", "allegro", "--method", "dense", *NO_RING,
                     "--set", "robot.keypoints=[{site: allegro/nope, human_index: 4}]")
    assert_user_error(result, "keypoint site 'allegro/nope' (human index 4) is not in the model")


class Counting(Method):
    """Records how often the planner asks it; its check raises, as a buggy plugin's might."""

    name = "counting"
    Spec = MethodSpec
    asked = 0

    def check_compatible(self, task, robot):
        type(self).asked += 1
        raise RuntimeError(f"cannot judge {task.name}")

    def terms(self, task):
        return ()


def test_each_cell_is_asked_once_whatever_its_seeds_and_a_raising_hook_is_a_problem():
    registry = load_registry()
    registry.add("methods", Counting, "test-pkg", "counting")
    Counting.asked = 0
    matrix = MatrixSpec(robots=["allegro"], tasks=["grasp_lift", "cabinet"],
                        methods=["counting"], seeds=3)
    with pytest.raises(TrackbenchError) as error:
        plan(matrix, registry)
    assert Counting.asked == 2
    message = str(error.value)
    assert "no cell was started" in message
    assert ("allegro × cabinet × counting: method 'counting': Counting.check_compatible raised "
            "RuntimeError: cannot judge cabinet") in message
    assert "Traceback" not in message


def test_the_engine_is_asked_once_per_plan_with_its_resolved_spec():
    """``Engine.check_spec`` sees the engine's spec (``--device`` included where the Spec has a
    device field) before any cell starts; its refusal names the engine."""
    from pydantic import Field

    from trackbench.plugins.engines.mujoco_cpu import MujocoEngine
    from trackbench.testing import registry_with

    asked = []

    class Picky(MujocoEngine):
        """An engine that only runs on cuda."""

        name = "picky"

        class Spec(MujocoEngine.Spec):
            device: str = Field(default="cpu")

        @classmethod
        def check_spec(cls, spec):
            asked.append(spec.device)
            if spec.device != "cuda":
                raise TrackbenchError(f"it runs on cuda only, not {spec.device}")

    matrix = MatrixSpec(robots=["allegro"], tasks=["grasp_lift"], methods=["dense", "task"],
                        seeds=2, engine="picky")
    with pytest.raises(TrackbenchError, match=r"^engine 'picky': it runs on cuda only, not cpu$"):
        plan(matrix, registry_with(Picky))
    assert asked == ["cpu"]
    assert MujocoEngine.check_spec(MujocoEngine.Spec()) is None  # the default finds nothing
