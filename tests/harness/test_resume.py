"""What an existing run directory means for a planned cell (issue 11, case 7), and one process
per cell (case 4): through `trackbench run`, as a user meets them."""

from __future__ import annotations

import json
import signal
import subprocess
import sys

import pytest

from tests.harness.conftest import assert_user_error
from tests.harness.training.cell import RUN_ID, SMALL
from trackbench.harness.resume import spec_differences

DENSE = RUN_ID.format(method="dense")


def run(cli, out, *args):
    return cli("run", *SMALL, *args, "--out", str(out))


@pytest.mark.slow
def test_a_finished_cell_is_never_reported_for_other_settings(cli, tmp_path):
    first = run(cli, tmp_path, "--method", "dense", "--steps", "320")
    assert first.exit_code == 0, first.output
    result_file = tmp_path / DENSE / "result.json"
    finished = result_file.read_bytes()

    # Other settings, in a matrix whose other cell is new: refused before any cell starts.
    other = run(cli, tmp_path, "--method", "task,dense", "--steps", "640",
                "--set", "ppo.learning_rate=3e-4")
    assert_user_error(other, DENSE, "other settings", "ppo_spec.learning_rate: 0.0001 there, "
                      "0.0003 asked", "--force")
    assert result_file.read_bytes() == finished
    assert not (tmp_path / RUN_ID.format(method="task")).exists()
    assert "done (skip)" not in other.output  # the plan is not even printed

    # A smaller budget than the finished one is refused.
    smaller = run(cli, tmp_path, "--method", "dense", "--steps", "128")
    assert_user_error(smaller, "finished run of 320 agent steps", "--steps 320")

    # A larger budget extends the cell from its final checkpoint; the old result is kept.
    leftovers = [tmp_path / DENSE / ".result.json.123.tmp",
                 tmp_path / DENSE / "checkpoints" / ".last.pth.4194303.tmp"]
    for leftover in leftovers:  # what kills during writes leave behind
        leftover.write_bytes(b"x" * 100)
    extended = run(cli, tmp_path, "--method", "dense", "--steps", "640")
    assert extended.exit_code == 0, extended.output
    assert "extend 320 → 640" in extended.output and "resumed at 320" in extended.output
    assert json.loads(result_file.read_text())["agent_steps"] == 640
    assert (tmp_path / DENSE / "result.at_320.json").read_bytes() == finished
    assert not any(leftover.exists() for leftover in leftovers)
    rows = [json.loads(line)["agent_steps"] for line in
            (tmp_path / DENSE / "metrics.jsonl").read_text().splitlines()]
    assert rows == list(range(64, 641, 64))

    # A checkpoint past the budget (an incomplete cell) is refused too.
    result_file.unlink()
    past = run(cli, tmp_path, "--method", "dense", "--steps", "320")
    assert_user_error(past, "checkpoint at 640 agent steps, past the 320 asked")

    # The last checkpoint of a budget that is not a whole number of batches lies past it; a
    # run killed after training (here: the result lost) resumes with the same command and only
    # evaluates.
    overshoot = run(cli, tmp_path, "--method", "dense", "--steps", "300", "--force")
    assert overshoot.exit_code == 0, overshoot.output
    assert json.loads(result_file.read_text())["agent_steps"] == 320
    result_file.unlink()
    again = run(cli, tmp_path, "--method", "dense", "--steps", "300")
    assert again.exit_code == 0, again.output
    assert "resume at 320" in again.output and json.loads(result_file.read_text())["agent_steps"] == 320

    # --force starts over with the new settings.
    forced = run(cli, tmp_path, "--method", "dense", "--steps", "128", "--force",
                 "--set", "ppo.learning_rate=3e-4")
    assert forced.exit_code == 0, forced.output
    assert json.loads(result_file.read_text())["agent_steps"] == 128
    assert not (tmp_path / DENSE / "result.at_320.json").exists()


def test_spec_differences_name_every_differing_leaf_but_the_budget():
    existing = {"agent_steps": 1, "num_envs": 4, "ppo_spec": {"learning_rate": 1e-4, "gamma": 0.99}}
    asked = {"agent_steps": 2, "num_envs": 8, "ppo_spec": {"learning_rate": 3e-4, "gamma": 0.99}}
    assert spec_differences(existing, asked) == [
        "num_envs: 4 there, 8 asked", "ppo_spec.learning_rate: 0.0001 there, 0.0003 asked"]
    assert spec_differences(existing, {**existing, "agent_steps": 9}) == []


def test_thread_counts_may_change_between_sessions():
    existing = {"ppo_spec": {"torch_threads": 1, "rollout_torch_threads": 1, "horizon_length": 32},
                "engine_spec": {"num_threads": 1, "physics_steps_per_control": 12}}
    asked = {"ppo_spec": {"torch_threads": 0, "rollout_torch_threads": 0, "horizon_length": 32},
             "engine_spec": {"num_threads": 0, "physics_steps_per_control": 12}}
    assert spec_differences(existing, asked) == []
    asked["engine_spec"]["physics_steps_per_control"] = 6
    assert spec_differences(existing, asked) == [
        "engine_spec.physics_steps_per_control: 12 there, 6 asked"]


# Holds a run directory's lock until killed (every user SIGKILLs it): a fixed sleep let the lock go
# free before a loaded machine reached the cell (test_ray's four cells took > 120 s beside two
# trainings), and the cell that should fail ran.
HOLD = """
import sys, time
from trackbench.harness.runlock import RunLock
with RunLock(sys.argv[1]):
    print("locked", flush=True)
    time.sleep(3600)
"""


@pytest.mark.slow
def test_a_second_process_on_a_cell_is_refused_and_a_dead_holders_lock_is_taken_over(cli, tmp_path):
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(tmp_path / DENSE)],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        refused = run(cli, tmp_path, "--method", "dense", "--steps", "128")
        assert_user_error(refused, "is in use", f"pid {holder.pid}", "Wait for it")
        assert not (tmp_path / DENSE / "spec.json").exists()  # nothing touched
    finally:
        holder.send_signal(signal.SIGKILL)  # a killed holder leaves its lock file behind
        holder.wait()
    assert (tmp_path / DENSE / ".lock").is_file()
    taken_over = run(cli, tmp_path, "--method", "dense", "--steps", "128")
    assert taken_over.exit_code == 0, taken_over.output
    assert (tmp_path / DENSE / "result.json").is_file()


def test_a_run_written_before_a_setting_existed_still_counts_as_the_same(cli, toy_plugins, tmp_path):
    """A spec field added later (with a default that keeps the old behaviour) must not make
    every earlier run directory look like one of other settings."""
    from trackbench.harness.matrix import plan
    from trackbench.harness.plugins import load_registry
    from trackbench.harness.results import RunDir
    from trackbench.harness.specs import MatrixSpec

    matrix = MatrixSpec(robots=["a"], tasks=["t"], methods=["m"], engine="toy_engine",
                        agent_steps=1000, num_envs=4)
    cell = plan(matrix, load_registry())[0]
    run_dir = RunDir.for_spec(tmp_path, cell)
    run_dir.prepare(cell)
    run_dir.write_result({"status": "ok", "success_rate": 0.5, "agent_steps": 1000})
    older = json.loads(run_dir.spec_file.read_text())
    del older["ppo_spec"]["policy_points"]  # as written before that setting existed
    run_dir.spec_file.write_text(json.dumps(older))
    args = ["run", "--robot", "a", "--task", "t", "--method", "m", "--engine", "toy_engine",
            "--steps", "1000", "--envs", "4", "--out", str(tmp_path)]
    assert "done (skip)" in cli(*args).stdout
    older["ppo_spec"]["gamma"] = 0.5  # a real difference is still one
    run_dir.spec_file.write_text(json.dumps(older))
    assert_user_error(cli(*args), "ppo_spec.gamma: 0.5 there, 0.99 asked")


def test_a_run_written_before_ppo_presets_existed_ran_the_paper_preset(toy_plugins):
    from trackbench.harness.resume import as_read_today
    from trackbench.harness.training.ppo import PPOSpec

    paper = PPOSpec(preset="paper").model_dump(mode="json")
    written = {k: v for k, v in paper.items() if k != "preset"}  # every field, then the only defaults
    assert as_read_today({"ppo_spec": written}, None)["ppo_spec"] == paper


def _toy_cell(tmp_path, steps: int = 1000):
    from trackbench.harness.matrix import plan
    from trackbench.harness.plugins import load_registry
    from trackbench.harness.results import RunDir
    from trackbench.harness.specs import MatrixSpec

    matrix = MatrixSpec(robots=["a"], tasks=["t"], methods=["m"], engine="toy_engine",
                        agent_steps=steps, num_envs=4)
    cell = plan(matrix, load_registry())[0]
    run_dir = RunDir.for_spec(tmp_path, cell)
    run_dir.prepare(cell)
    return cell, run_dir


def minimal_checkpoint(weights) -> dict:
    """What rl-games' set_full_state_weights needs, written by trackbench 0.1 (no format)."""
    return {"model": {"w": weights}, "optimizer": {"state": {}, "param_groups": []}, "epoch": 2,
            "frame": 64}


def test_damaged_files_in_a_run_directory_get_one_message_or_a_safe_fallback(toy_plugins, tmp_path):
    import torch

    from trackbench.harness.errors import TrackbenchError
    from trackbench.harness.resume import status_of
    from trackbench.harness.training import checkpoint

    cell, run_dir = _toy_cell(tmp_path)
    run_dir.checkpoint_dir.mkdir(parents=True, exist_ok=True)
    torch.save(minimal_checkpoint(torch.zeros(2)), checkpoint.checkpoint_path(run_dir))
    for damaged in ("{}", "[]", '{"agent_steps": "abc", "epoch": 1}', "{not json"):
        checkpoint.summary_path(run_dir).write_text(damaged)  # only a summary: last.pth decides
        assert status_of(cell, run_dir).saved_steps == 64
    torch.save(minimal_checkpoint(torch.tensor([float("nan")])),
               checkpoint.checkpoint_path(run_dir))
    checkpoint.summary_path(run_dir).unlink()
    with pytest.raises(TrackbenchError, match="non-finite weights .'w'.*--force"):
        status_of(cell, run_dir)

    spec = json.loads(run_dir.spec_file.read_text())
    run_dir.spec_file.write_text(json.dumps({**spec, "agent_steps": "many"}))
    with pytest.raises(TrackbenchError, match="'agent_steps' must be a whole number"):
        status_of(cell, run_dir)
    run_dir.spec_file.write_text(json.dumps(spec))
    run_dir.result_file.write_text("[]")
    with pytest.raises(TrackbenchError, match="is not a result"):
        status_of(cell, run_dir)


def test_a_finished_result_that_covers_a_larger_budget_is_not_redone(toy_plugins, tmp_path):
    from trackbench.harness.errors import TrackbenchError
    from trackbench.harness.resume import status_of

    cell, run_dir = _toy_cell(tmp_path, steps=300)
    run_dir.write_result({"status": "ok", "success_rate": 0.5, "agent_steps": 320})  # whole epochs
    assert status_of(cell.model_copy(update={"agent_steps": 310}), run_dir).kind == "done"
    # Extending continues from the final checkpoint: without one it is refused, not restarted.
    with pytest.raises(TrackbenchError, match="cannot be extended"):
        status_of(cell.model_copy(update={"agent_steps": 330}), run_dir)
    run_dir.checkpoint_dir.mkdir(parents=True, exist_ok=True)
    (run_dir.checkpoint_dir / "last.pth").write_bytes(b"")  # read only when training resumes
    assert status_of(cell.model_copy(update={"agent_steps": 330}), run_dir).kind == "extend"


def test_out_pointing_at_a_file_is_one_message(cli, toy_plugins, tmp_path):
    target = tmp_path / "a_file"
    target.write_text("mine")
    result = cli("run", "--robot", "a", "--task", "t", "--method", "m", "--engine", "toy_engine",
                 "--steps", "8", "--envs", "1", "--out", str(target))
    assert_user_error(result, "a_file")
    assert target.read_text() == "mine"


TOY_RUN = ["run", "--robot", "a", "--task", "t", "--method", "m", "--engine", "toy_engine",
           "--steps", "1000", "--envs", "4"]


def test_a_damaged_or_foreign_last_pth_is_one_message_through_run(cli, toy_plugins, tmp_path):
    """Without checkpoints/last.json, `run` reads last.pth while planning (before any cell)."""
    import io
    import os

    import torch

    from tests.harness.training.test_checkpoint import RunsCode, complete_state
    from trackbench.harness.training import checkpoint

    _, run_dir = _toy_cell(tmp_path)
    run_dir.checkpoint_dir.mkdir(parents=True, exist_ok=True)
    path = checkpoint.checkpoint_path(run_dir)
    marker = tmp_path / "ran"

    def saved(state) -> bytes:
        buffer = io.BytesIO()
        torch.save(state, buffer)
        return buffer.getvalue()

    good = saved(complete_state())
    no_model = complete_state()
    del no_model["model"]
    cases = [
        (saved({**complete_state(), "payload": RunsCode(marker)}), "'posix.system'"),
        (good[: len(good) // 2], "damaged or not a torch file"),
        (os.urandom(4096), "damaged or not a torch file"),
        (b"", "is empty or cut short"),
        (saved(no_model), "no 'model' entry"),
    ]
    for content, fragment in cases:
        path.write_bytes(content)
        assert_user_error(cli(*TOY_RUN, "--out", str(tmp_path)), str(path), fragment, "--force")
    assert not marker.exists()


def test_a_run_written_before_the_friction_settings_ran_mujocos_defaults():
    from trackbench.harness.plugins import load_registry
    from trackbench.harness.resume import as_read_today

    registry = load_registry()
    today = registry.resolve_spec("engines", "mujoco", {}).model_dump(mode="json")
    written = {k: v for k, v in today.items() if k not in ("friction_cone", "impratio")}
    read = as_read_today({"engine": "mujoco", "engine_spec": written}, registry)["engine_spec"]
    assert (read["friction_cone"], read["impratio"]) == ("pyramidal", 1.0)
    assert as_read_today({"engine": "mujoco", "engine_spec": today}, registry)["engine_spec"] == today


def test_a_cabinet_run_written_before_episodes_ran_on_keeps_ending_at_success():
    from trackbench.harness.plugins import load_registry
    from trackbench.harness.resume import as_read_today

    registry = load_registry()
    today = registry.resolve_spec("tasks", "cabinet", {}).model_dump(mode="json")
    written = {k: v for k, v in today.items() if k != "success_ends_episode"}
    read = as_read_today({"task": "cabinet", "task_spec": written}, registry)["task_spec"]
    assert read["success_ends_episode"] is True  # the rule such runs trained under
    assert spec_differences(read, today) == [
        "success_ends_episode: True there, False asked"]  # so a plain resume is refused, named


def test_every_setting_marked_as_added_validates_with_its_earlier_value():
    from trackbench.harness.plugins import load_registry
    from trackbench.harness.registry import KINDS
    from trackbench.harness.specs import BEFORE_KEY, as_written
    from trackbench.harness.training.ppo import PPOSpec

    registry = load_registry()
    specs = [PPOSpec] + [registry.get(kind, name).cls.Spec for kind in KINDS
                         for name in registry.names(kind)]
    marked = 0
    for spec_cls in specs:
        earlier = {name: field.json_schema_extra[BEFORE_KEY]
                   for name, field in spec_cls.model_fields.items()
                   if isinstance(field.json_schema_extra, dict)
                   and BEFORE_KEY in field.json_schema_extra}
        marked += len(earlier)
        read = spec_cls(**as_written(spec_cls, {}))
        assert {name: getattr(read, name) for name in earlier} == earlier, spec_cls
    assert marked >= 5  # friction, impratio, preset, random start, success_ends_episode
