"""The launcher options are checked, together, before anything is planned or submitted; without
Ray, `--launcher ray` is one message naming the extra to install."""

from __future__ import annotations

import sys

import pytest

from tests.harness.conftest import assert_user_error
from trackbench.harness.launchers.job import fit_threads
from trackbench.harness.launchers.options import launch_options
from trackbench.harness.specs import RunSpec


@pytest.mark.parametrize("args, fragments", [
    (["--launcher", "slurm"], ["field 'launcher'", "'local' or 'ray'"]),
    (["--launcher", "ray", "--parallel", "2"], ["--parallel applies to --launcher local only"]),
    (["--address", "auto", "--cpus-per-cell", "2"],
     ["--address, --cpus-per-cell apply to --launcher ray only"]),
    (["--max-retries", "2"], ["--max-retries needs --parallel N"]),
    (["--parallel", "0"], ["field 'parallel'", "greater than or equal to 1"]),
    (["--launcher", "ray", "--address", "not an address"], ["--address must be auto or HOST:PORT"]),
    (["--launcher", "ray", "--device", "cuda", "--gpus-per-cell", "0"], ["--gpus-per-cell 0"]),
])
def test_launcher_options_that_cannot_work_are_one_message(cli, tmp_path, args, fragments):
    result = cli("run", *args, "--dry-run", "--out", str(tmp_path))
    assert_user_error(result, *fragments)
    assert not any(tmp_path.iterdir())


def test_launcher_ray_without_ray_names_the_extra(cli, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)  # `import ray` raises ImportError
    result = cli("run", "--launcher", "ray", "--dry-run", "--out", str(tmp_path))
    assert_user_error(result, "needs Ray", "pip install -e '.[ray]'")
    assert result.output.count("error:") == 1


def test_defaults_ask_ray_for_a_gpu_only_on_cuda():
    options = launch_options("cpu", launcher="ray")
    assert (options.cpus, options.gpus("cpu"), options.gpus("cuda"), options.retries) == (1, 0, 1, 3)
    assert launch_options("cpu").in_process and not launch_options("cpu", parallel=1).in_process


def test_cells_side_by_side_get_their_share_of_the_cores_unless_set():
    cell = RunSpec(engine="mujoco", robot="a", task="t", method="m", seed=0, agent_steps=8,
                   num_envs=1, engine_spec={"num_threads": 0}, ppo_spec={"torch_threads": 3})
    fitted = fit_threads(cell, 2)
    assert fitted.engine_spec["num_threads"] == 2  # automatic: the cell's share
    assert fitted.ppo_spec["torch_threads"] == 3  # set with --set: kept
    assert fitted.run_id == cell.run_id


def test_a_ray_address_where_nothing_listens_is_one_message_before_anything_is_written(
        cli, tmp_path):
    pytest.importorskip("ray")
    result = cli("run", "--robot", "allegro", "--method", "dense", "--envs", "1", "--steps", "32",
                 "--launcher", "ray", "--address", "127.0.0.1:1", "--out", str(tmp_path))
    assert_user_error(result, "nothing answers at 127.0.0.1:1", "ray start --head")
    assert not any(tmp_path.iterdir())
