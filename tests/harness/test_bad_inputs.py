"""Every bad input gets one clean message and exit status 2, never a traceback (issue 14).

One table walks the CLI: each row is an argv, the exit status, fragments of the message and,
for rows that need them, crafted files (damaged results, checkpoints, read-only folders). Every
row is fast: dry runs, reports on crafted folders, refusals before any training.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import pytest

from trackbench.harness.results import RunDir
from trackbench.harness.specs import RunSpec

RUN_ID = "allegro__grasp_lift__dense__s{seed}"
ONE_GOOD_SEED = "0.50 [—] n=1"  # the report's cell of the one valid run: IQM, no interval, n


def read_only_folders_stop_us() -> bool:
    """False for root (CAP_DAC_OVERRIDE writes in read-only folders): those rows then cannot be
    checked. `setpriv --bounding-set -dac_override` lets root check them."""
    with tempfile.TemporaryDirectory() as folder:
        os.chmod(folder, 0o555)
        try:
            Path(folder, "probe").touch()
        except PermissionError:
            return True
        finally:
            os.chmod(folder, 0o755)
        return False


def unreadable_files_stop_us() -> bool:
    """False for root (CAP_DAC_OVERRIDE reads files of mode 000): those rows then cannot be
    checked. `setpriv --bounding-set -dac_override` lets root check them."""
    with tempfile.TemporaryDirectory() as folder:
        probe = Path(folder, "probe")
        probe.write_text("x")
        probe.chmod(0o000)
        try:
            probe.read_bytes()
        except PermissionError:
            return True
        return False


@dataclass(frozen=True)
class Row:
    name: str
    argv: tuple[str, ...]  # "{tmp}" is the row's own temporary folder
    fragments: tuple[str, ...]  # each must be in the output
    exit_status: int = 2
    setup: Callable[[Path], None] | None = None
    absent: tuple[str, ...] = ()  # paths under {tmp} that must not exist afterwards
    needs_read_only: bool = False  # a row about read-only folders
    needs_unreadable: bool = False  # a row about files this process cannot read


def dry_run(*args: str) -> tuple[str, ...]:
    return ("run", "--method", "dense", *args, "--out", "{tmp}/runs", "--dry-run")


def train(*args: str) -> tuple[str, ...]:
    """A run without --dry-run that must be refused before training; tiny, should it not be."""
    return ("run", "--method", "dense", "--envs", "1", "--steps", "32", *args)


def predictor_train(*args: str, out: str = "{tmp}/pi.pt") -> tuple[str, ...]:
    return ("predictor", "train", "--out", out, *args)


# ---- crafted results directories ---------------------------------------------------------------
def write_run(out: Path, seed: int, result: dict | str | None, folder: str | None = None) -> RunDir:
    """A run directory as `run` writes it; ``result`` as JSON, or raw text if a str."""
    spec = RunSpec(engine="mujoco", robot="allegro", task="grasp_lift", method="dense", seed=seed,
                   agent_steps=1000, num_envs=4)
    run = RunDir(out / (folder or spec.run_id))
    run.prepare(spec)
    if isinstance(result, str):
        run.result_file.write_text(result)
    elif result is not None:
        run.write_result(result)
    return run


def good_run_and(result: dict | str) -> Callable[[Path], None]:
    """One valid run (success 0.5, seed 0) and one whose result.json is ``result`` (seed 1)."""
    def setup(tmp: Path) -> None:
        write_run(tmp, 0, {"status": "ok", "success_rate": 0.5})
        write_run(tmp, 1, result)
    return setup


def result_without_spec(tmp: Path) -> None:
    write_run(tmp, 0, {"status": "ok", "success_rate": 0.5})
    write_run(tmp, 1, {"status": "ok", "success_rate": 0.9}).spec_file.unlink()


def spec_is_a_list(tmp: Path) -> None:
    write_run(tmp, 0, {"status": "ok", "success_rate": 0.5})
    write_run(tmp, 1, {"status": "ok", "success_rate": 0.9}).spec_file.write_text("[1, 2]")


def copied_run(tmp: Path) -> None:
    original = write_run(tmp, 0, {"status": "ok", "success_rate": 0.5})
    copy = tmp / "backup_of_s0"
    copy.mkdir()
    for name in ("spec.json", "result.json"):
        (copy / name).write_bytes((original.path / name).read_bytes())


def corrupt_metrics_line(tmp: Path) -> None:
    run = write_run(tmp, 0, {"status": "ok", "success_rate": 0.5})
    run.metrics_file.write_text(
        '{"agent_steps": 10, "success_rate": 0.1}\n{"agent_st\n[1]\n\n'
        '{"agent_steps": "abc", "success_rate": 0.1}\n{"agent_steps": null}\n'
        '{"agent_steps": 1e999}\n{"agent_steps": 20, "success_rate": 0.2}\r{"agent_steps": 30}\n'
        '{"agent_steps": 40, "success_rate": 0.2}\n{"agent_steps": 5')


def metrics_a_folder(tmp: Path) -> None:
    write_run(tmp, 0, {"status": "ok", "success_rate": 0.5}).metrics_file.mkdir()


def metrics_unreadable(tmp: Path) -> None:
    """Two finished runs with learning curves; seed 1's metrics.jsonl cannot be read."""
    for seed in (0, 1):
        run = write_run(tmp, seed, {"status": "ok", "success_rate": 0.5})
        run.metrics_file.write_text('{"agent_steps": 10, "success_rate": 0.1}\n'
                                    '{"agent_steps": 20, "success_rate": 0.5}\n')
    run.metrics_file.chmod(0o000)


def spec_unreadable(tmp: Path) -> None:
    """One valid run (seed 0) and one (seed 1) whose spec.json cannot be read."""
    write_run(tmp, 0, {"status": "ok", "success_rate": 0.5})
    write_run(tmp, 1, {"status": "ok", "success_rate": 0.9}).spec_file.chmod(0o000)


def result_unreadable(tmp: Path) -> None:
    """One valid run (seed 0) and one (seed 1) whose result.json cannot be read."""
    write_run(tmp, 0, {"status": "ok", "success_rate": 0.5})
    write_run(tmp, 1, {"status": "ok", "success_rate": 0.9}).result_file.chmod(0o000)


def run_folder_unreadable(tmp: Path) -> None:
    """One valid run (seed 0) and one (seed 1) whose folder cannot be looked into."""
    write_run(tmp, 0, {"status": "ok", "success_rate": 0.5})
    write_run(tmp, 1, {"status": "ok", "success_rate": 0.9}).path.chmod(0o000)


def copied_run_unreadable(tmp: Path) -> None:
    """A run and a copy of it whose result.json cannot be read, so the two cannot be compared."""
    copied_run(tmp)
    (tmp / "backup_of_s0" / "result.json").chmod(0o000)


def same_run_id_other_result(tmp: Path) -> None:
    write_run(tmp, 0, {"status": "ok", "success_rate": 0.5})
    write_run(tmp, 0, {"status": "ok", "success_rate": 0.1}, folder="older_s0")


def planned_dense_cell(tmp: Path) -> RunDir:
    """The run directory `run --method dense --out {tmp}/runs` plans, with its spec.json."""
    from trackbench.harness.matrix import plan
    from trackbench.harness.plugins import load_registry
    from trackbench.harness.specs import MatrixSpec

    matrix = MatrixSpec(robots=["allegro"], tasks=["grasp_lift"], methods=["dense"])
    cell = plan(matrix, load_registry())[0]
    run = RunDir.for_spec(tmp / "runs", cell)
    run.prepare(cell)
    return run


def run_spec_is_a_list(tmp: Path) -> None:
    run = planned_dense_cell(tmp)
    run.spec_file.write_text("[]")
    run.write_result({"status": "ok", "success_rate": 0.5})


def damaged_checkpoint(content: bytes) -> Callable[[Path], None]:
    def setup(tmp: Path) -> None:
        run = planned_dense_cell(tmp)
        (run.checkpoint_dir / "last.pth").write_bytes(content)
    return setup


def read_only_run_directory(tmp: Path) -> None:
    planned_dense_cell(tmp).path.chmod(0o555)


def read_only_folder(tmp: Path) -> None:
    (tmp / "runs").mkdir()
    (tmp / "runs").chmod(0o555)


def a_file(name: str) -> Callable[[Path], None]:
    def setup(tmp: Path) -> None:
        (tmp / name).write_text("mine")
    return setup


def a_folder(name: str) -> Callable[[Path], None]:
    def setup(tmp: Path) -> None:
        (tmp / name).mkdir()
    return setup


def garbage_predictor(tmp: Path) -> None:
    (tmp / "pi.pt").write_bytes(b"\x00garbage")


NO_RING_FINGERTIP = ("--set", "robot.synthetic_keypoints=[]")  # Allegro then lacks human tip 16
# Allegro's own keypoint sites, little finger first: cabinet reads keypoint 0 as the thumb.
THUMB_LAST = ("robot.keypoints=[{site: allegro/kp_little, human_index: 20}, "
              "{site: allegro/kp_middle, human_index: 12}, {site: allegro/kp_index, human_index: 8}, "
              "{site: allegro/kp_thumb, human_index: 4}]")


def plan(*args: str) -> tuple[str, ...]:
    """A dry run of allegro / grasp_lift with the method given in ``args``."""
    return ("run", "--robot", "allegro", "--task", "grasp_lift", *args, "--out", "{tmp}/runs",
            "--dry-run")


FINITE = "finite number"
BOOLEAN = "expected a number, got the boolean"

ROWS = [
    # ---- names and --set syntax (fixed before issue 14) -----------------------------------------
    Row("unknown robot", dry_run("--robot", "alegro"), ("unknown robot 'alegro'", "'allegro'")),
    Row("unknown task", dry_run("--task", "grasp"), ("unknown task 'grasp'",)),
    Row("unknown method", ("run", "--method", "trak", "--out", "{tmp}", "--dry-run"),
        ("unknown method 'trak'", "Did you mean 'track'?")),
    Row("unknown engine", dry_run("--engine", "mujo"), ("unknown engine 'mujo'",)),
    Row("--set without a kind", dry_run("--set", "hand_kp=40"), ("--set expects KIND.FIELD=VALUE",)),
    Row("--set without a value", dry_run("--set", "robot.hand_kp"), ("KIND.FIELD=VALUE",)),
    Row("--set of an unknown field", dry_run("--set", "robot.hand_kpp=40"),
        ("robot 'allegro': field 'hand_kpp'", "Extra inputs are not permitted")),
    Row("--set of an unknown kind", dry_run("--set", "world.gravity=0"), ("cannot override",)),
    Row("a robot named twice", dry_run("--robot", "allegro,allegro"), ("names repeat",)),
    Row("an unknown device", dry_run("--device", "tpu"), ("run options: field 'device'",)),
    Row("--seeds not a number", dry_run("--seeds", "many"), ("Invalid value",)),
    # ---- case 5: numbers that are not numbers ---------------------------------------------------
    Row("robot.hand_kp=inf", dry_run("--set", "robot.hand_kp=inf"), ("field 'hand_kp'", FINITE)),
    Row("robot.base_yaw=nan", dry_run("--set", "robot.base_yaw=nan"), ("field 'base_yaw'", FINITE)),
    Row("ppo.learning_rate=inf", dry_run("--set", "ppo.learning_rate=inf"),
        ("ppo: field 'learning_rate'", FINITE)),
    Row("ppo.reward_scale=inf", dry_run("--set", "ppo.reward_scale=inf"),
        ("field 'reward_scale'", FINITE)),
    Row("ppo.init_log_std=nan", dry_run("--set", "ppo.init_log_std=nan"),
        ("field 'init_log_std'", FINITE)),
    Row("method.energy_scale=inf", dry_run("--set", "method.energy_scale=inf"),
        ("method 'dense': field 'energy_scale'", FINITE)),
    Row("method.track_weight=nan",
        ("run", "--method", "track", "--set", "method.track_weight=nan", "--out", "{tmp}",
         "--dry-run"), ("method 'track': field 'track_weight'", FINITE)),
    Row("method.task_weight=-inf",
        ("run", "--method", "track", "--set", "method.task_weight=-inf", "--out", "{tmp}",
         "--dry-run"), ("field 'task_weight'", FINITE)),
    Row("method.disc_weight=inf",
        ("run", "--method", "amp", "--set", "method.disc_weight=inf", "--out", "{tmp}",
         "--dry-run"), ("method 'amp': field 'disc_weight'", FINITE)),
    Row("engine.sim_dt=nan", dry_run("--set", "engine.sim_dt=nan"), ("field 'sim_dt'", FINITE)),
    Row("task.spawn_noise=inf", dry_run("--set", "task.spawn_noise=inf"),
        ("task 'grasp_lift': field 'spawn_noise'", FINITE)),
    Row("a close action without delta hands", dry_run("--set", "robot.hand_close_action=true"),
        ("hand_close_action", "hand_action=delta")),
    Row("a close-action σ without the close action", dry_run("--set", "ppo.close_init_log_std=-2"),
        ("ppo.close_init_log_std", "robot.hand_close_action=true")),
    Row("robot.hand_kp=true", dry_run("--set", "robot.hand_kp=true"),
        ("field 'hand_kp'", f"{BOOLEAN} true")),
    Row("ppo.horizon_length=yes (YAML's true)", dry_run("--set", "ppo.horizon_length=yes"),
        ("field 'horizon_length'", BOOLEAN)),
    Row("a boolean among layer sizes", dry_run("--set", "ppo.actor_units=[64,true]"),
        ("field 'actor_units'", "expected numbers, got a boolean among [64, True]")),
    Row("a boolean in a start stage", dry_run("--set", 'task.start_stages=[{"until": true}]'),
        ("field 'start_stages.0.until'", f"{BOOLEAN} true")),
    Row("a start stage's fraction as yes", dry_run(
        "--set", 'task.start_stages=[{"until": 48, "grasped_start": yes}]'),
        ("field 'start_stages.0.grasped_start'", BOOLEAN)),
    Row("a start stage's until as 2.5e6 steps", dry_run(
        "--set", 'task.start_stages=[{"until": 2.5e6}, {"until": 1e6}]'),
        ("start_stages must end in increasing order of 'until', got [2500000, 1000000]",)),
    Row("a start stage with no end", dry_run(
        "--set", 'task.start_stages=[{"pregrasp_start": 0.5}]'),
        ("field 'start_stages.0'", "needs 'until' (agent steps), 'advance_rate' or both")),
    Row("a start stage advancing on an event the task lacks", dry_run(
        "--set", 'task.start_stages=[{"pregrasp_start": 0.5, "advance_rate": 0.2, '
                 '"advance_event": "success"}]'),
        ("advance_event must be one of the task's events ['lift', 'near'], got 'success'",)),
    Row("--seeds 1000000", dry_run("--seeds", "1000000"),
        ("field 'seeds'", "less than or equal to 1000")),
    Row("--seeds 10^20", dry_run("--seeds", str(10**20)), ("less than or equal to 1000",)),
    Row("--envs 1000000", dry_run("--envs", "1000000"), ("field 'num_envs'", "16384")),
    Row("--steps 10^13", dry_run("--steps", str(10**13)), ("field 'agent_steps'", "1000000000000")),
    Row("engine.substeps=1000000", dry_run("--set", "engine.substeps=1000000"),
        ("field 'substeps'", "less than or equal to 100")),
    Row("engine.num_threads=100000", dry_run("--set", "engine.num_threads=100000"),
        ("field 'num_threads'", "1024")),
    Row("ppo.horizon_length=1000000", dry_run("--set", "ppo.horizon_length=1000000"),
        ("field 'horizon_length'", "4096")),
    Row("a layer of 10^8 units", dry_run("--set", "ppo.actor_units=[100000000]"),
        ("field 'actor_units.0'", "4096")),
    Row("ppo.policy_points=1000000", dry_run("--set", "ppo.policy_points=1000000"),
        ("field 'policy_points'", "1024")),
    Row("ppo.reward_scale=1e308", dry_run("--set", "ppo.reward_scale=1e308"),
        ("field 'reward_scale'", "less than or equal to 1000000")),
    Row("a batch over the bound", dry_run("--envs", "16384", "--set", "ppo.horizon_length=4096"),
        ("67,108,864 samples exceeds 4,194,304",)),
    Row("a minibatch that does not divide the batch",
        dry_run("--envs", "6", "--set", "ppo.minibatch_size=7"), ("must divide the batch",)),
    Row("a minibatch capped at the batch is said in the plan", dry_run("--envs", "4"),
        ("note: ppo.minibatch_size 2048 is larger than the batch of 4 envs × 32 steps",
         "whole batch of 128"), exit_status=0),
    Row("method.replay_size=10^9",
        ("run", "--method", "amp", "--set", "method.replay_size=1000000000", "--out", "{tmp}",
         "--dry-run"), ("field 'replay_size'", "10000000")),
    Row("predictor lr=inf", predictor_train("--set", "lr=inf"),
        ("predictor 'transformer': field 'lr'", FINITE), absent=("pi.pt",)),
    Row("predictor lr=true", predictor_train("--set", "lr=true"), ("field 'lr'", BOOLEAN),
        absent=("pi.pt",)),
    Row("predictor width=100000", predictor_train("--set", "width=100000"),
        ("field 'width'", "4096"), absent=("pi.pt",)),
    Row("dataset num_sequences=10^9", predictor_train("--dataset-set", "num_sequences=1000000000"),
        ("dataset 'synthetic': field 'num_sequences'", "100000"), absent=("pi.pt",)),
    Row("data synth --num 10^9", ("data", "synth", "--out", "{tmp}/synth", "--num", "1000000000"),
        ("field 'num_sequences'", "100000"), absent=("synth",)),
    Row("unknown predictor", predictor_train("--predictor", "transformr"),
        ("unknown predictor 'transformr'",)),
    Row("predictor --set without a value", predictor_train("--set", "width"), ("FIELD=VALUE",)),
    Row("predictor train onto an existing checkpoint", predictor_train("--set", "steps=1"),
        ("pi.pt exists; nothing was trained", "--force"), setup=lambda tmp: (
            (tmp / "pi.pt").write_bytes(b"the run's Pi_h") and None)),
    # ---- case 6: results the report must not trust blindly -------------------------------------
    Row("success_rate a string", ("report", "{tmp}"),
        (f"{RUN_ID.format(seed=1)}/result.json: field 'success_rate'", ONE_GOOD_SEED),
        setup=good_run_and({"status": "ok", "success_rate": "0.9"})),
    Row("success_rate a boolean", ("report", "{tmp}"),
        ("result.json: field 'success_rate'", ONE_GOOD_SEED),
        setup=good_run_and({"status": "ok", "success_rate": True})),
    Row("success_rate -5", ("report", "{tmp}"),
        ("field 'success_rate'", "greater than or equal to 0", ONE_GOOD_SEED),
        setup=good_run_and({"status": "ok", "success_rate": -5})),
    Row("success_rate 7.0", ("report", "{tmp}"),
        ("field 'success_rate'", "less than or equal to 1", ONE_GOOD_SEED),
        setup=good_run_and({"status": "ok", "success_rate": 7.0})),
    Row("success_rate NaN", ("report", "{tmp}"),
        ("field 'success_rate'", FINITE, ONE_GOOD_SEED),
        setup=good_run_and('{"status": "ok", "success_rate": NaN}')),
    Row("a finished result without success_rate", ("report", "{tmp}"),
        ("result.json: field 'success_rate'", ONE_GOOD_SEED), setup=good_run_and({"status": "ok"})),
    Row("a result of a status trackbench never writes", ("report", "{tmp}"),
        ("result.json: field 'status'", ONE_GOOD_SEED),
        setup=good_run_and({"status": "failed", "error": "NaN"})),
    Row("an event rate that is not a rate", ("report", "{tmp}"),
        ("field 'evaluation'", "'lift_rate' must be a number from 0 to 1"),
        setup=good_run_and({"status": "ok", "success_rate": 0.2,
                            "evaluation": {"lift_rate": "high"}})),
    Row("an event of events that is not a rate", ("report", "{tmp}"),
        ("field 'events'", "event 'lift' must have a rate from 0 to 1", ONE_GOOD_SEED),
        setup=good_run_and({"status": "ok", "success_rate": 0.2, "events": {"lift": 1.5}})),
    Row("result.json a list", ("report", "{tmp}"), ("result.json: Input should be",),
        setup=good_run_and("[0.9]")),
    Row("result.json cut short", ("report", "{tmp}"), ("corrupt JSON", "result.json"),
        setup=good_run_and('{"status": "ok", "succ')),
    Row("result.json without spec.json", ("report", "{tmp}"),
        ("result.json: no spec.json beside it", ONE_GOOD_SEED), setup=result_without_spec),
    Row("spec.json a list (report)", ("report", "{tmp}"),
        ("spec.json is not a run spec (a JSON object); left out", ONE_GOOD_SEED),
        setup=spec_is_a_list),
    Row("a copy of a run counts once", ("report", "{tmp}"),
        ("backup_of_s0 is a copy of", ONE_GOOD_SEED), exit_status=0, setup=copied_run),
    Row("a metrics.jsonl line that is no JSON row", ("report", "{tmp}"),
        ("metrics.jsonl: 6 line(s) (2, 3, 5, 6, 7, …) hold no metrics row",
         "left out of its learning curves", ONE_GOOD_SEED), setup=corrupt_metrics_line),
    Row("a metrics.jsonl that is a folder", ("report", "{tmp}"),
        ("metrics.jsonl is not a file; the run's learning curves are left out", ONE_GOOD_SEED),
        setup=metrics_a_folder),
    Row("a metrics.jsonl that cannot be read", ("report", "{tmp}"),
        (f"{RUN_ID.format(seed=1)}/metrics.jsonl cannot be read (Permission denied); the run's "
         "learning curves are left out", "learning curves of grasp_lift: ", "n=2"),
        setup=metrics_unreadable, needs_unreadable=True),
    Row("a spec.json that cannot be read", ("report", "{tmp}"),
        (f"{RUN_ID.format(seed=1)}/spec.json cannot be read (Permission denied); left out",
         ONE_GOOD_SEED), setup=spec_unreadable, needs_unreadable=True),
    Row("a result.json that cannot be read", ("report", "{tmp}"),
        (f"{RUN_ID.format(seed=1)}/result.json cannot be read (Permission denied); left out of "
         "the averages", ONE_GOOD_SEED), setup=result_unreadable, needs_unreadable=True),
    Row("a run folder that cannot be read", ("report", "{tmp}"),
        (f"{RUN_ID.format(seed=1)} cannot be read (Permission denied); left out", ONE_GOOD_SEED),
        setup=run_folder_unreadable, needs_unreadable=True),
    Row("a copy of a run whose result.json cannot be read", ("report", "{tmp}"),
        ("backup_of_s0 holds run allegro__grasp_lift__dense__s0 too, and ",
         "backup_of_s0/result.json cannot be read (Permission denied) to compare it with",
         ONE_GOOD_SEED), setup=copied_run_unreadable, needs_unreadable=True),
    Row("two different runs of one run id", ("report", "{tmp}"),
        ("older_s0 holds run allegro__grasp_lift__dense__s0 too", ONE_GOOD_SEED),
        setup=same_run_id_other_result),
    Row("report of a missing folder", ("report", "{tmp}/nope"), ("results directory not found",)),
    Row("report --metric ''", ("report", "{tmp}", "--metric", ""),
        ("--metric is empty: name a metrics.jsonl column",)),
    Row("report of a file", ("report", "{tmp}/a_file"), ("a_file is a file; a results directory",),
        setup=a_file("a_file")),
    Row("report of one run's folder", ("report", "{tmp}/allegro__grasp_lift__dense__s0"),
        ("is one run's folder (it holds spec.json)", "trackbench report {tmp}"),
        setup=lambda tmp: write_run(tmp, 0, {"status": "ok", "success_rate": 0.5}) and None),
    Row("a predictor checkpoint that is a folder (run)",
        ("run", "--method", "track", "--set", "method.checkpoint={tmp}/a_folder", "--out",
         "{tmp}/runs", "--dry-run"), ("a_folder is a folder, not a file",),
        setup=a_folder("a_folder")),
    Row("a predictor checkpoint that is a folder (eval)", ("predictor", "eval", "{tmp}/a_folder"),
        ("a_folder is a folder, not a checkpoint file",), setup=a_folder("a_folder")),
    Row("report --bootstrap-reps 10", ("report", "{tmp}", "--bootstrap-reps", "10"),
        ("--bootstrap-reps 10: need at least 100",),
        setup=good_run_and({"status": "ok", "success_rate": 0.2})),
    Row("report of an unknown metric", ("report", "{tmp}", "--metric", "nope"),
        ("unknown metric 'nope'",), setup=good_run_and({"status": "ok", "success_rate": 0.2})),
    Row("spec.json a list (run)", dry_run(), ("spec.json is not a run spec", "--force"),
        setup=run_spec_is_a_list),
    # ---- damaged checkpoints and predictor files (fixed before issue 14) ------------------------
    Row("last.pth of random bytes", dry_run(), ("last.pth", "damaged or not a torch file"),
        setup=damaged_checkpoint(os.urandom(4096))),
    Row("last.pth empty", dry_run(), ("last.pth", "is empty or cut short"),
        setup=damaged_checkpoint(b"")),
    Row("a predictor file of garbage (eval)", ("predictor", "eval", "{tmp}/pi.pt"),
        ("pi.pt", "damaged or not a torch file"), setup=garbage_predictor),
    Row("a predictor file of garbage (run)",
        ("run", "--method", "track", "--set", "method.checkpoint={tmp}/pi.pt", "--out", "{tmp}",
         "--dry-run"), ("pi.pt", "damaged or not a torch file"), setup=garbage_predictor),
    Row("a predictor file that does not exist", ("predictor", "eval", "{tmp}/none.pt"),
        ("none.pt", "does not exist")),
    # ---- case 7: files and folders --------------------------------------------------------------
    Row("--out a file", ("run", "--method", "dense", "--out", "{tmp}/a_file", "--dry-run"),
        ("a_file: it is a file, not a folder",), setup=a_file("a_file")),
    Row("--out under a file", train("--out", "{tmp}/a_file/runs"),
        ("a_file is a file, not a folder",), setup=a_file("a_file")),
    Row("--out read-only", train("--out", "{tmp}/runs"),
        ("runs is not writable",), setup=read_only_folder, needs_read_only=True),
    Row("a read-only run directory", train("--out", "{tmp}/runs"),
        (f"{RUN_ID.format(seed=0)} is not writable",), setup=read_only_run_directory,
        needs_read_only=True),
    Row("predictor --out under a file", predictor_train(out="{tmp}/a_file/pi.pt"),
        ("a_file is a file, not a folder", "nothing was trained"), setup=a_file("a_file")),
    Row("predictor --out a folder", predictor_train(out="{tmp}/models"),
        ("models: it is a folder", "nothing was trained"), setup=a_folder("models")),
    Row("predictor --out read-only", predictor_train(out="{tmp}/runs/pi.pt"),
        ("runs is not writable", "nothing was trained"), setup=read_only_folder,
        needs_read_only=True),
    Row("data synth --out a file", ("data", "synth", "--out", "{tmp}/a_file", "--num", "2"),
        ("exists and is not an empty folder",), setup=a_file("a_file")),
    Row("data synth --out under a file", ("data", "synth", "--out", "{tmp}/a_file/s", "--num", "2"),
        ("a_file",), setup=a_file("a_file")),
    Row("bench --set without --train", ("bench", "--set", "robot.hand_kp=1"),
        ("--set and --device apply to --train only",)),
    Row("bench --envs 0", ("bench", "--envs", "0"), ("Invalid value",)),
    # ---- case 4: compatibility between the chosen plugins, at plan time -------------------------
    Row("track on a robot without a ring fingertip",
        plan("--method", "track", *NO_RING_FINGERTIP),
        ("allegro × grasp_lift × track: method 'track': it maps the robot's fingertips",)),
    Row("amp on a robot without a ring fingertip", plan("--method", "amp", *NO_RING_FINGERTIP),
        ("plays no human fingertip [16] and synthesises none",)),
    Row("dapg on a robot without a ring fingertip", plan("--method", "dapg", *NO_RING_FINGERTIP),
        ("allegro × grasp_lift × dapg: method 'dapg': its keypoints cannot cover the human "
         "fingertips [16]",)),
    Row("amp on a trackr folder without episodes (plan time)",
        plan("--method", "amp", "--set", "method.dataset=trackr",
             "--set", "method.dataset_spec={path: {tmp}/empty}"),
        ("dataset 'trackr': no episode files under {tmp}/empty",), setup=a_folder("empty"),
        absent=("runs",)),
    Row("dapg on a synthetic set without training sequences (plan time)",
        plan("--method", "dapg", "--set",
             "method.dataset_spec={val_fraction: 0.5, test_fraction: 0.5}"),
        ("val_fraction 0.5 and test_fraction 0.5 put all 1000 sequences in val or test",),
        absent=("runs",)),
    Row("data retarget onto an unknown robot",
        ("data", "retarget", "--robot", "alegro", "--dataset", "synthetic", "--out", "{tmp}/d"),
        ("unknown robot 'alegro'", "Did you mean 'allegro'?"), absent=("d",)),
    Row("data retarget from an unknown dataset",
        ("data", "retarget", "--robot", "allegro", "--dataset", "synthetc", "--out", "{tmp}/d"),
        ("unknown dataset 'synthetc'",), absent=("d",)),
    Row("data retarget onto a robot that cannot cover the human fingertips",
        ("data", "retarget", "--robot", "allegro", "--dataset", "synthetic", *NO_RING_FINGERTIP,
         "--out", "{tmp}/d"),
        ("robot 'allegro' cannot be retargeted onto", "cannot cover the human fingertips [16]"),
        absent=("d",)),
    Row("data retarget from an empty dataset",
        ("data", "retarget", "--robot", "allegro", "--dataset", "trackr", "--dataset-path",
         "{tmp}/empty", "--out", "{tmp}/d"),
        ("no episode files",), setup=a_folder("empty"), absent=("d",)),
    Row("data retarget --set of another kind",
        ("data", "retarget", "--robot", "allegro", "--dataset", "synthetic", "--set",
         "method.group=task", "--out", "{tmp}/d"),
        ("takes settings of the robot, task, dataset or engine",), absent=("d",)),
    Row("a wrist site missing from the model", dry_run("--set", "robot.wrist_site=nowhere"),
        ("robot 'allegro': wrist site 'nowhere' is not in the model",)),
    Row("a keypoint site missing from the model",
        dry_run(*NO_RING_FINGERTIP, "--set", "robot.keypoints=[{site: allegro/nope, human_index: 4}]"),
        ("keypoint site 'allegro/nope' (human index 4) is not in the model",)),
    Row("cabinet on keypoints that do not start with the thumb",
        dry_run("--task", "cabinet", "--set", THUMB_LAST),
        ("allegro × cabinet: task 'cabinet': the drawer-handle grasp test needs the thumb tip",)),
]


def test_the_table_is_large_and_its_names_are_distinct():
    assert len(ROWS) >= 40
    assert len({row.name for row in ROWS}) == len(ROWS)


def play(cli, tmp_path, row):
    """Set up and run one bad-input row (any object with argv, setup, needs_read_only) in
    `tmp_path`: (the CLI result, the sorted paths under `tmp_path` after the set-up). Skips a
    read-only row where this process writes anywhere (root), and an unreadable-file row where it
    reads anything."""
    if row.needs_read_only and not read_only_folders_stop_us():
        pytest.skip("this process may write in read-only folders (root)")
    if getattr(row, "needs_unreadable", False) and not unreadable_files_stop_us():
        pytest.skip("this process may read files of mode 000 (root)")
    if row.setup:
        row.setup(tmp_path)
    before = sorted(str(p) for p in tmp_path.rglob("*"))
    try:
        return cli(*(arg.replace("{tmp}", str(tmp_path)) for arg in row.argv)), before
    finally:
        for path in tmp_path.rglob("*"):  # read-only rows: let pytest clean up
            if path.is_dir():
                path.chmod(0o755)


@pytest.mark.parametrize("row", ROWS, ids=[row.name for row in ROWS])
def test_a_bad_input_gets_one_message(cli, tmp_path, row: Row):
    result, _ = play(cli, tmp_path, row)
    output = result.output
    assert "Traceback" not in output
    assert result.exit_code == row.exit_status, output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    for fragment in row.fragments:
        assert fragment.replace("{tmp}", str(tmp_path)) in output, f"{fragment!r} not in:\n{output}"
    for name in row.absent:
        assert not (tmp_path / name).exists()


def test_report_json_names_the_problem_and_leaves_the_bad_run_out_of_the_averages(cli, tmp_path):
    good_run_and({"status": "ok", "success_rate": True})(tmp_path)
    result = cli("report", str(tmp_path), "--json")
    assert result.exit_code == 2 and "Traceback" not in result.output
    payload = json.loads(result.stdout)
    cell = payload["tasks"]["grasp_lift"]["cells"]["allegro"]["dense"]
    assert cell["n"] == 1 and cell["mean"] == 0.5 and cell["seeds"] == [0]
    assert any("field 'success_rate'" in problem for problem in payload["problems"])
