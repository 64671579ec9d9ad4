"""Robot demonstrations from human data: place, retarget, replay with physics, record; the file
they are kept in, and the cache ``dapg`` makes them in on first use.

For each human sequence (a dataset's "train" split, in order, up to ``max_demos``):

1. **Place.** The human data and the task each put an object on the table. If one of the task's
   scene variants tracks the human's grasped object class (``TrackedObject.class_id``), the
   replay runs in that variant with the object exactly where the human's was (its pose fitted
   to the sequence's first object point cloud, Kabsch; the synthetic set and the lift tasks
   sample the same 100 surface points, so the fit is exact) and the human trajectory stays as
   recorded. The synthetic set places objects at xy ∈ ±0.10 m of the table centre, as
   grasp_lift spawns them, so nothing moves. A class the task lacks (the training tests' box),
   or a cloud sampled otherwise (fit residual > ``FIT_TOLERANCE``), falls back: the task's own
   reset places its object and the human trajectory is translated in xy so that the human
   object's centre lands on the task object's (a cloud of the right class but other samples
   keeps its class variant and is placed at the human cloud's centre, upright).
2. **Retarget** the (placed) keypoints onto the robot (``harness/retarget.py``).
3. **Replay** the joints with physics on an engine, as the policy acts (``harness/replay.py``),
   recording the observations' raw blocks and the actions.

Quality (:func:`quality`): fingertip error after IK (cm, mean and 95th percentile), joint-limit
violations, the share of arm actions clipped to ±1 (a human wrist faster than the arm's action
scale) and **replay success**: the share of demonstrations whose replay ends with object 0
``LIFT_RISE`` (5 cm) above its start, as ManiSkill reports when it converts demonstrations;
and by the task's own rules, the share whose replay met the task's success rule at some step
(``replay_task_success``) and the share that raised each of the task's events
(``replay_events``; the cabinet's drawer_moved and drawer_at_goal, the lift tasks' lift and near).
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable

import numpy as np
import torch

from trackbench.harness.errors import TrackbenchError
from trackbench.harness.replay import ActionInverse, Replay, replay, retime
from trackbench.harness.retarget import Retargeted, Retargeter, RetargetSettings
from trackbench.harness.specs import cache_key_values

if TYPE_CHECKING:
    from trackbench.harness.context import RunContext
    from trackbench.harness.dataset import HumanSequence
    from trackbench.harness.registry import Registry
    from trackbench.harness.robot import Robot, RobotSpec
    from trackbench.harness.scene import Scene
    from trackbench.harness.task import Task

FORMAT = 1
FIT_TOLERANCE = 0.005  # m, RMS residual of the object pose fit that counts as the same samples
SLOTS_PER_VARIANT = 8  # envs per scene variant replayed side by side
MAX_DEMOS = 100_000
_ARRAYS = ("starts", "joint_pos", "joint_vel", "points", "privileged", "actions", "targets",
           "lifted")


@dataclass(frozen=True)
class Demonstrations:
    """Demonstrations of one robot on one task; rows are control steps, demo e is rows
    ``starts[e]:starts[e + 1]``. The blocks are raw: ``VecEnv.compose_observation`` turns them
    into the policy's observation (subsampled points, clipping) for any PPO setting."""

    names: tuple[str, ...]  # [E] the human sequences they came from
    starts: np.ndarray  # [E + 1] int64 row offsets
    joint_pos: np.ndarray  # [M, n_dof] float32 rad, measured before the step
    joint_vel: np.ndarray  # [M, n_dof]
    points: np.ndarray  # [M, P, 3] the task's policy points, all P, world frame (m)
    privileged: np.ndarray  # [M, D] the task's privileged values
    actions: np.ndarray  # [M, A] in [-1, 1], the robot's action space
    targets: np.ndarray  # [M, n_dof] the retargeted joints each step aimed at
    lifted: np.ndarray  # [E] bool, the replay lifted object 0

    @property
    def num_demos(self) -> int:
        return len(self.names)

    @property
    def num_steps(self) -> int:
        return int(self.starts[-1])

    def save(self, path: Path) -> None:
        """Write an ``.npz`` (no pickled objects) atomically."""
        from trackbench.harness.atomic import atomic_path

        with atomic_path(path) as temporary, open(temporary, "wb") as handle:
            np.savez(handle, format=np.array(FORMAT), names=np.array(self.names, dtype=str),
                     **{name: getattr(self, name) for name in _ARRAYS})

    @classmethod
    def load(cls, path: Path) -> "Demonstrations":
        """Read :meth:`save`'s file; TrackbenchError naming it if it is unreadable or foreign."""
        try:
            with np.load(path, allow_pickle=False) as data:
                if int(data["format"]) != FORMAT:
                    raise TrackbenchError(f"{path}: demonstrations format {int(data['format'])}, "
                                          f"this trackbench reads {FORMAT}")
                loaded = cls(names=tuple(str(n) for n in data["names"]),
                             **{name: data[name] for name in _ARRAYS})
        except (OSError, KeyError, ValueError) as error:
            raise TrackbenchError(f"{path} is not a demonstrations file ({error}); delete it "
                                  f"to record it again") from None
        if loaded.num_demos == 0 or len(loaded.starts) != loaded.num_demos + 1 \
                or any(len(getattr(loaded, n)) != loaded.num_steps for n in _ARRAYS[1:-1]):
            raise TrackbenchError(f"{path}: inconsistent demonstrations; delete it to record "
                                  f"it again")
        return loaded


@dataclass
class Placement:
    variant: int  # the scene variant the replay runs in
    keypoints: np.ndarray  # [T, 21, 3] the human keypoints, translated if they had to be
    pose: tuple[np.ndarray, np.ndarray] | None  # object 0 (position [3], quat wxyz [4]) or None
    how: str  # "as recorded", "centred" or "translated"


def place(sequence: "HumanSequence", scenes: "tuple[Scene, ...]") -> Placement:
    """Where the replay of ``sequence`` runs and its object 0 sits (module docstring, step 1);
    ``pose`` None: where the task's reset puts it (the keypoints are translated later)."""
    from trackbench.kit.geometry import rigid_fit

    cloud = sequence.object_points[0, sequence.grasped].astype(np.float64)
    keypoints = sequence.keypoints.astype(np.float64)
    matching = [v for v, scene in enumerate(scenes)
                if scene.objects and scene.objects[0].class_id == sequence.goal_label]
    if not matching:
        return Placement(-1, keypoints, None, "translated")
    variant = matching[0]
    model = scenes[variant].objects[0].points.astype(np.float64)
    if model.shape == cloud.shape:
        rotation, position = rigid_fit(model, cloud)
        residual = math.sqrt(np.mean(np.sum((model @ rotation.T + position - cloud) ** 2, 1)))
        if residual <= FIT_TOLERANCE:
            return Placement(variant, keypoints, (position, _quat_wxyz(rotation)), "as recorded")
    position = cloud.mean(axis=0) - model.mean(axis=0)
    return Placement(variant, keypoints, (position, np.array([1.0, 0, 0, 0])), "centred")


def _quat_wxyz(rotation: np.ndarray) -> np.ndarray:
    import mujoco

    quat = np.zeros(4)
    mujoco.mju_mat2Quat(quat, rotation.reshape(9))
    return quat


def record(robot: "Robot", task: "Task", sequences: Iterable["HumanSequence"], *,
           engine: Callable[[int], Any], settings: RetargetSettings | None = None, seed: int = 0,
           slow_down: bool = True, on_demo: Callable[[], None] | None = None
           ) -> tuple[Demonstrations, dict[str, Any]]:
    """Demonstrations of ``robot`` on ``task`` (a fresh, not set-up instance) from
    ``sequences`` (each of two frames or more), and their :func:`quality`. ``engine(n)`` builds
    an engine of n envs for the robot and the task's scenes; ``slow_down``: retime each
    trajectory to the arm's speed (``replay.retime``); ``on_demo`` is called per demo.
    Raises TrackbenchError if there is no sequence (an empty dataset) or the robot cannot
    be retargeted onto (``retarget_problems``)."""
    retargeter = Retargeter(robot, settings)
    scenes = task.scenes()
    pending = [s for s in sequences if s.num_frames >= 2]
    if not pending:
        raise TrackbenchError("no human sequence of two or more frames to retarget (an empty "
                              "dataset or split?)")
    # A hand that opens a drawer (goal id 0: no YCB object) demonstrates nothing on an object
    # it would be translated onto; such sequences go only to tasks whose object 0 is id 0.
    if not any(scene.objects and scene.objects[0].class_id == 0 for scene in scenes):
        kept = [s for s in pending if s.goal_label != 0]
        if not kept:
            raise TrackbenchError(
                f"every sequence grasps an object of id 0 (not a YCB object: the synthetic "
                f"set's drawer openings), which task '{task.name}' does not have; nothing to "
                f"retarget (use the cabinet task, or drawer_fraction=0)")
        pending = kept
    slots_per = SLOTS_PER_VARIANT if len(scenes) == 1 else max(1, SLOTS_PER_VARIANT // 2)
    slots_per = min(slots_per, len(pending))
    num_envs = len(scenes) * slots_per
    task.setup(robot.spec, num_envs, "cpu")
    sim = engine(num_envs)
    inverse = ActionInverse(sim)
    results: list[tuple[str, Retargeted, Replay, str]] = []
    for batch in _batches(pending, scenes, slots_per):
        slots, trajectories, solved, poses, hows = [], [], [], [], []
        for index, (slot, sequence) in enumerate(batch):
            placement = place(sequence, scenes)
            object_pos, object_quat = _object_start(task, slot, placement, seed + len(results)
                                                    + index)
            if placement.pose is None:  # translate the human onto the task's object
                shift = object_pos[0].numpy() - sequence.object_points[0, sequence.grasped].mean(0)
                placement.keypoints = placement.keypoints + np.array([shift[0], shift[1], 0.0])
            retargeted = retargeter.retarget(placement.keypoints)
            slots.append(slot)
            trajectories.append(retime(retargeted.qpos, inverse) if slow_down
                                else retargeted.qpos)
            solved.append(retargeted)
            poses.append((object_pos, object_quat))
            hows.append(placement.how)
        replays = replay(sim, task, slots, trajectories,
                         torch.stack([p for p, _ in poses]), torch.stack([q for _, q in poses]))
        for (_, sequence), retargeted, replayed, how in zip(batch, solved, replays, hows):
            results.append((sequence.name, retargeted, replayed, how))
            if on_demo is not None:
                on_demo()
    return _collect(results), quality(results)


def _batches(sequences: list["HumanSequence"], scenes: "tuple[Scene, ...]", slots_per: int):
    """Lists of (env slot, sequence): each sequence in an env of its object's scene variant (any
    variant, round robin, if the task lacks its class), at most ``slots_per`` per variant."""
    wanted = []
    for index, sequence in enumerate(sequences):
        variant = place(sequence, scenes).variant
        wanted.append((variant if variant >= 0 else index % len(scenes), sequence))
    while wanted:
        used: dict[int, int] = {}
        batch, rest = [], []
        for variant, sequence in wanted:
            count = used.get(variant, 0)
            if count < slots_per:
                batch.append((variant + count * len(scenes), sequence))
                used[variant] = count + 1
            else:
                rest.append((variant, sequence))
        yield batch
        wanted = rest


def _object_start(task: "Task", slot: int, placement: Placement, seed: int
                  ) -> tuple[torch.Tensor, torch.Tensor]:
    """([n_obj, 3], [n_obj, 4]) every object's start in env ``slot``: the task's reset plan
    (scene defaults where it has none), with object 0 at the placement's pose if it has one."""
    plan = task.reset(torch.tensor([slot]), torch.Generator().manual_seed(seed))
    scene = task.scenes()[slot % len(task.scenes())]
    positions = plan.object_pos[0].cpu().double() if plan.object_pos is not None else \
        torch.tensor([o.init_pos for o in scene.objects], dtype=torch.float64)
    quats = plan.object_quat[0].cpu().double() if plan.object_quat is not None else \
        torch.tensor([o.init_quat for o in scene.objects], dtype=torch.float64)
    if placement.pose is not None:
        positions[0] = torch.as_tensor(placement.pose[0])
        quats[0] = torch.as_tensor(placement.pose[1])
    return positions, quats


def _collect(results: list[tuple[str, Retargeted, Replay, str]]) -> Demonstrations:
    replays = [r for _, _, r, _ in results]
    lengths = [len(r.actions) for r in replays]
    blocks = {f.name: np.concatenate([getattr(r, f.name) for r in replays])
              for f in fields(Replay) if f.name in _ARRAYS[1:-1]}
    return Demonstrations(names=tuple(name for name, _, _, _ in results),
                          starts=np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64),
                          lifted=np.array([r.lifted for r in replays]), **blocks)


def quality(results: list[tuple[str, Retargeted, Replay, str]]) -> dict[str, Any]:
    """The numbers of the module docstring, over every demonstration."""
    errors = np.concatenate([r.fingertip_error.ravel() for _, r, _, _ in results]) * 100.0
    clipped = sum(p.clipped for _, _, p, _ in results)
    entries = sum(p.arm_entries for _, _, p, _ in results)
    placements: dict[str, int] = {}
    for _, _, _, how in results:
        placements[how] = placements.get(how, 0) + 1
    return {
        "demos": len(results),
        "frames": int(sum(r.num_frames for _, r, _, _ in results)),
        "steps": int(sum(len(p.actions) for _, _, p, _ in results)),
        "fingertip_error_cm": {"mean": float(errors.mean()),
                               "p95": float(np.percentile(errors, 95))},
        "limit_violations": int(sum(r.limit_violations for _, r, _, _ in results)),
        "arm_actions_clipped": clipped / max(entries, 1),
        "replay_success": float(np.mean([p.lifted for _, _, p, _ in results])),
        "mean_rise_cm": float(np.mean([p.rise for _, _, p, _ in results]) * 100.0),
        "replay_task_success": float(np.mean([p.succeeded for _, _, p, _ in results])),
        "replay_events": {name: float(np.mean([p.events[name] for _, _, p, _ in results]))
                          for name in (results[0][2].events if results else {})},
        "placements": placements,
    }


# ---- the cache --------------------------------------------------------------------------------
def robot_plugin(registry: "Registry", spec: "RobotSpec") -> "Robot":
    """The robot plugin whose Spec ``spec`` is, built with it (a method is handed only the
    ``RobotSpec``). Raises TrackbenchError if no registered robot has that Spec class."""
    for name in registry.names("robots"):
        cls = registry.get("robots", name).cls
        if cls.Spec is type(spec):
            return cls(spec)
    raise TrackbenchError(f"no registered robot has the spec class {type(spec).__name__}")


def cache_key(robot: "Robot", task: "Task", dataset: str, dataset_spec: Any, version: int,
              max_demos: int, engine: str, settings: RetargetSettings) -> tuple[str, str]:
    """(file stem, the JSON it hashes): robot, task, dataset, their specs, and what records."""
    import trackbench

    key = json.dumps({
        "robot": robot.name, "robot_spec": cache_key_values(robot.spec),
        "task": task.name, "task_spec": cache_key_values(task.spec),
        "dataset": dataset, "dataset_spec": cache_key_values(dataset_spec),
        "dataset_version": version, "max_demos": max_demos, "engine": engine,
        "retarget": settings.model_dump(mode="json"), "format": FORMAT,
        "trackbench": trackbench.__version__,
    }, sort_keys=True)
    digest = hashlib.sha256(key.encode()).hexdigest()[:12]
    return f"{robot.name}-{task.name}-{dataset}-{digest}", key


def cached_demonstrations(context: "RunContext", robot_spec: "RobotSpec", task: "Task",
                          dataset: str, *, max_demos: int, engine: str = "mujoco",
                          settings: RetargetSettings | None = None,
                          dataset_settings: dict[str, Any] | None = None) -> Demonstrations:
    """The cached demonstrations of this robot, task and dataset (its spec from
    ``dataset_settings``, else its defaults; ``context.cache_dir``/
    demonstrations/), recorded now, once, if there are none (minutes on a CPU; it says so
    through ``context.progress``). Raises TrackbenchError for what :func:`record` refuses."""
    from trackbench.harness.atomic import remove_leftovers, write_json_atomic
    from trackbench.harness.build import make_engine

    registry, settings = context.registry, settings or RetargetSettings()
    robot = robot_plugin(registry, robot_spec)
    dataset_spec = registry.resolve_spec("datasets", dataset, dict(dataset_settings or {}))
    source = registry.get("datasets", dataset).cls(dataset_spec)
    stem, key = cache_key(robot, task, dataset, dataset_spec, type(source).version, max_demos,
                          engine, settings)
    path = context.cache_dir / "demonstrations" / f"{stem}.npz"
    if path.is_file():
        return Demonstrations.load(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    remove_leftovers(path.parent, target=path.name)
    context.progress(f"[bold]No cached demonstrations of robot '{robot.name}' on task "
                      f"'{task.name}' from dataset '{dataset}': recording {max_demos} now[/] "
                      f"(retargeting and a physics replay each; minutes on a CPU); they will be "
                      f"cached at {path}")
    sequences = first_sequences(source.sequences("train"), max_demos)
    fresh = type(task)(task.spec)
    demos, report = record(robot, fresh, sequences,
                           engine=lambda n: make_engine(registry, engine, robot, fresh.scenes(),
                                                        n, 0))
    demos.save(path)
    write_json_atomic(path.with_suffix(".json"), {"key": json.loads(key), "quality": report})
    context.progress(f"demonstrations cached at {path} (replay task success "
                      f"{report['replay_task_success']:.2f}, object 0 lifted "
                      f"{report['replay_success']:.2f}, fingertip error "
                      f"{report['fingertip_error_cm']['mean']:.2f} cm)")
    return demos


def first_sequences(sequences: Iterable["HumanSequence"], count: int) -> list["HumanSequence"]:
    """The first ``count`` of ``sequences`` (a dataset generates or reads only those)."""
    out = []
    for sequence in sequences:
        if len(out) == count:
            break
        out.append(sequence)
    return out
