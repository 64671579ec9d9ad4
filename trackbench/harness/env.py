"""The VecEnv: engine + task + method stepped as one batch of episodes (see task.py's loop).

Observations (the authors' code, ``docs/reference/paper-code-facts.md`` §5), per env:

    obs        = [joint positions scaled to [−1, 1] by the limits | joint velocities |
                  (robot.observe_targets only) the PD joint targets, scaled as the positions |
                  (robot.observe_keypoints only) the keypoints minus the policy points'
                  centroid, K·3 (m) |
                  the task's policy points, flattened P·3]                  clamped to ±obs_clip
    critic_obs = obs ++ task.privileged(frame)                              (asymmetric critic)

The reward is the sum of the method's weighted terms in the method's own units; PPO's reward scale
is applied by the trainer. Episodes end on success (unless ``task.success_ends_episode()`` is
False: then the episode runs on and is a success if the rule fired in it), on failure, at
``task.spec.episode_length`` control steps (with ``random_episode_start``, each env's first
episode after a full reset at a random step), or when the engine reports the env unstable; the
last two are *time-outs* (truncations: PPO bootstraps the value there). Every env resets from
its own seeded ``torch.Generator``, so a reset never depends on which other envs happened to end
with it.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, fields, replace
from typing import TYPE_CHECKING, Callable, Iterator, Sequence

import torch

from trackbench.harness.errors import NonFiniteError, TrackbenchError
from trackbench.harness.rewards import RewardManager
from trackbench.harness.task import ResetPlan
from trackbench.harness.stages import NO_TIMES
from trackbench.harness.starts import StartCurriculum
from trackbench.harness.training.episodes import STANDARD, event_problems

if TYPE_CHECKING:
    from trackbench.harness.engine import Engine
    from trackbench.harness.method import Method
    from trackbench.harness.registry import Registry
    from trackbench.harness.specs import RunSpec
    from trackbench.harness.state import State
    from trackbench.harness.task import Task, TaskFrame

# Env i of a run with seed s draws its resets from generator seed s · SEED_STRIDE + i.
SEED_STRIDE = 1_000_003


@dataclass
class Episodes:
    """The episodes that ended in one step, one entry per env that ended."""

    env_ids: torch.Tensor  # [k] long
    returns: torch.Tensor  # [k] sum of the method's weighted reward over the episode
    lengths: torch.Tensor  # [k] long, control steps
    success: torch.Tensor  # [k] bool: the task's success rule fired in the episode
    time_out: torch.Tensor  # [k] bool: ended by the clock or an engine instability, no success
    flags: dict[str, torch.Tensor]  # name → [k] bool, the task's events ORed over the episode
    terms: dict[str, torch.Tensor]  # name → [k] per-episode sum of each weighted reward term
    # [k] long, what each episode started from: an index into training/episodes.py START_KINDS
    # (standard, pregrasp, grasped; harness/starts.py picks); None where nobody recorded it
    start: torch.Tensor | None = None

    def __len__(self) -> int:
        return int(self.env_ids.numel())

    def select(self, mask: torch.Tensor) -> "Episodes":
        """The entries where ``mask`` [k] holds."""
        return Episodes(self.env_ids[mask], self.returns[mask], self.lengths[mask],
                        self.success[mask], self.time_out[mask],
                        {k: v[mask] for k, v in self.flags.items()},
                        {k: v[mask] for k, v in self.terms.items()},
                        None if self.start is None else self.start[mask])


@dataclass
class Step:
    obs: torch.Tensor  # [N, obs_dim]
    critic_obs: torch.Tensor  # [N, obs_dim + privileged_dim]
    reward: torch.Tensor  # [N]
    done: torch.Tensor  # [N] bool; these envs were reset and obs is their new episode's first
    time_out: torch.Tensor  # [N] bool, a subset of done: truncated (PPO bootstraps), not terminal
    episodes: Episodes | None  # the finished episodes' bookkeeping, None if none ended


class VecEnv:
    """N envs of one task, rewarded by one method, on one engine."""

    def __init__(self, engine: "Engine", task: "Task", method: "Method", *, seed: int,
                 obs_clip: float = 10.0, policy_points: int | None = None,
                 random_episode_start: bool = False, device: torch.device | str = "cpu"):
        self.engine, self.task, self.method = engine, task, method
        # Training only: a full reset cuts each env's first episode at a random length, so that
        # the envs do not run their episodes in lockstep (Isaac Lab's init_at_random_ep_len).
        self.random_episode_start = random_episode_start
        self.device = torch.device(device)
        self.num_envs = engine.num_envs
        self.obs_clip = obs_clip
        self.policy_points = policy_points
        self._point_index: torch.Tensor | None = None  # the subset of the task's cloud, if any
        self._block_shapes: tuple | None = None  # observation blocks' shapes, from the first
        robot = task.robot
        if robot is None:
            raise TrackbenchError(f"task '{task.name}' was not set up with a robot")
        joints = robot.arm_joints + robot.hand_joints
        self._lower = torch.tensor([j.lower for j in joints], device=self.device)
        self._upper = torch.tensor([j.upper for j in joints], device=self.device)
        self.n_dof = len(joints)
        self.observe_targets = engine.robot.spec.observe_targets
        # joint columns per joint: position, velocity (and target)
        self._joint_blocks = 3 if self.observe_targets else 2
        self.observe_keypoints = engine.robot.spec.observe_keypoints
        self._keypoint_columns = 3 * len(robot.keypoints) if self.observe_keypoints else 0
        self.rewards = RewardManager(method, engine.num_envs, self.device)
        self.events = tuple(task.events())
        problems = event_problems(self.events)
        if problems:
            raise TrackbenchError(f"task '{task.name}': {problems[0]}")
        self.generators = [torch.Generator() for _ in range(self.num_envs)]
        self.reseed([seed * SEED_STRIDE + i for i in range(self.num_envs)])
        n = self.num_envs
        self._returns = torch.zeros(n, device=self.device)
        self._lengths = torch.zeros(n, dtype=torch.long, device=self.device)
        self._flags = {name: torch.zeros(n, dtype=torch.bool, device=self.device)
                       for name in self.events}
        self._start = torch.zeros(n, dtype=torch.long, device=self.device)  # START_KINDS index
        self._succeeded = torch.zeros(n, dtype=torch.bool, device=self.device)  # in this episode
        self.times = NO_TIMES  # `trackbench bench --train` sets a StageTimes
        self.unstable_env_steps = 0  # env-steps whose physics blew up (the engine reset them)
        self.training_steps = 0  # control steps taken in training (not evaluation) mode
        # The task's named start curricula (training resets only; harness/starts.py). Built
        # before the first reset: grasped starts are made by stepping this engine.
        self._training = True
        self.starts = StartCurriculum(task, engine, seed)
        obs, critic_obs = self.reset()
        self.obs_dim, self.critic_dim = obs.shape[1], critic_obs.shape[1]
        self.num_points = (self.obs_dim - self._flat_columns) // 3  # after subsampling

    # ---- construction ---------------------------------------------------------------------------
    @classmethod
    def build(cls, spec: "RunSpec", registry: "Registry", *, obs_clip: float = 10.0,
              policy_points: int | None = None, num_envs: int | None = None,
              random_episode_start: bool = False) -> "VecEnv":
        """Robot, task, method and engine of one planned cell, set up for ``num_envs`` envs."""
        from trackbench.harness.build import make_engine, make_robot, make_task
        from trackbench.harness.context import RunContext

        n = num_envs or spec.num_envs
        device = torch.device(spec.device)
        robot = make_robot(registry, spec.robot, spec.robot_spec)
        task = make_task(registry, spec.task, spec.task_spec)
        task.setup(robot.spec, n, device)
        method_spec = registry.resolve_spec("methods", spec.method, spec.method_spec)
        method = registry.get("methods", spec.method).cls(method_spec)
        method.setup(task, robot.spec, n, RunContext(registry, device, spec.seed))
        engine = make_engine(registry, spec.engine, robot, task.scenes(), n, spec.seed,
                             spec.engine_spec)
        return cls(engine, task, method, seed=spec.seed, obs_clip=obs_clip,
                   policy_points=policy_points, random_episode_start=random_episode_start,
                   device=device)

    @property
    def term_names(self) -> list[str]:
        """The method's reward terms, in the order they are summed (the logged columns)."""
        return self.rewards.names

    @property
    def num_actions(self) -> int:
        return self.engine.num_actions

    @property
    def layout(self) -> dict[str, int]:
        """Where the blocks of critic_obs sit: joints (2·n_dof, 3·n_dof with the targets, + 3·K
        with the keypoints: every column before the points), points (P), privileged (D); and
        where the actions split: the first ``arm_actions`` drive the arm, the next
        ``hand_joint_actions`` the hand's joints, the rest (the close action of
        ``robot.hand_close_action``) all hand joints together."""
        spec = self.engine.robot.spec
        return {"joints": self._flat_columns, "points": self.num_points,
                "privileged": self.critic_dim - self.obs_dim,
                "arm_actions": spec.num_arm_actions, "hand_joint_actions": len(spec.hand_joints)}

    @property
    def observation_blocks(self) -> dict[str, slice]:
        """Name → columns of critic_obs, for messages about a bad value."""
        n, p = self.n_dof, 3 * self.num_points
        j = self._joint_blocks * n
        blocks = {"joint positions": slice(0, n), "joint velocities": slice(n, 2 * n)}
        if self.observe_targets:
            blocks["joint targets"] = slice(2 * n, 3 * n)
        if self.observe_keypoints:
            blocks["keypoints"] = slice(j, j + self._keypoint_columns)
        j += self._keypoint_columns
        return blocks | {"policy points": slice(j, j + p), "privileged values": slice(j + p, None)}

    @property
    def _flat_columns(self) -> int:
        """Columns before the policy points: the joint blocks and the keypoints, if observed."""
        return self._joint_blocks * self.n_dof + self._keypoint_columns

    # ---- exact resume ---------------------------------------------------------------------------
    def state_dict(self) -> dict:
        """Every env's state between two steps: engine, task and method state, the reset
        generators and the running episode sums (see ``trackbench.harness.snapshot``)."""
        return {
            "generators": self.generator_states(),
            "returns": self._returns.clone(), "lengths": self._lengths.clone(),
            "limits": self._limits.clone(),
            "sums": self.rewards.state_dict(),
            "flags": {name: value.clone() for name, value in self._flags.items()},
            "unstable_env_steps": self.unstable_env_steps, "training_steps": self.training_steps,
            "starts": self.starts.state_dict(), "start_kinds": self._start.clone(),
            "succeeded": self._succeeded.clone(),
            "engine": self.engine.state_dict(), "task": self.task.state_dict(),
            "method": self.method.state_dict(),
        }

    def load_state_dict(self, state: dict) -> None:
        """Restore :meth:`state_dict`; raises TrackbenchError if it does not fit this run."""
        self.set_generator_states(state["generators"])
        if tuple(state["returns"].shape) != (self.num_envs,) or \
                set(state["sums"]) != set(self.term_names):
            raise TrackbenchError(
                f"the checkpoint holds {tuple(state['returns'].shape)[0]} envs with reward terms "
                f"{sorted(state['sums'])}; this run has {self.num_envs} envs with terms "
                f"{sorted(self.term_names)}. Rerun with --force to start over.")
        self._returns.copy_(state["returns"])
        self._lengths.copy_(state["lengths"])
        if "limits" in state:  # checkpoints before random episode starts: every episode is full
            self._limits.copy_(state["limits"])
        self.rewards.load_state_dict(state["sums"])
        self._load_flags(state["flags"])
        self.unstable_env_steps = int(state["unstable_env_steps"])
        # Checkpoints before start stages did not count; their runs had no stages to schedule.
        self.training_steps = int(state.get("training_steps", 0))
        # Checkpoints before grasped starts hold "pregrasp": (starts, misses).
        self.starts.load_state_dict(state.get("starts", state.get("pregrasp", (0, 0))),
                                    self.agent_steps)
        # Checkpoints before start kinds were recorded: their running episodes count as standard.
        self._start.copy_(state.get("start_kinds", torch.zeros_like(self._start)))
        # Checkpoints before episodes ran on after success: theirs ended at it (none running).
        self._succeeded.copy_(state.get("succeeded", torch.zeros_like(self._succeeded)))
        self.engine.load_state_dict(state["engine"])
        self.task.load_state_dict(state["task"])
        self.method.load_state_dict(state["method"])

    @contextlib.contextmanager
    def evaluation(self) -> Iterator[None]:
        """While inside, the method only scores (``Method.set_training(False)``): evaluating a
        policy changes nothing the next evaluation or training step would see."""
        self.method.set_training(False)
        self._training = False  # evaluation uses the task's standard resets
        try:
            yield
        finally:
            self.method.set_training(True)
            self._training = True

    # ---- seeding --------------------------------------------------------------------------------
    @property
    def start_kinds(self) -> torch.Tensor:
        """[num_envs] long: what each env's current episode started from, an index into
        ``training/episodes.py`` START_KINDS (standard, pregrasp, grasped). A copy."""
        return self._start.clone()

    def reseed(self, seeds: Sequence[int]) -> None:
        """Seed each env's reset generator (``len(seeds) == num_envs``)."""
        if len(seeds) != self.num_envs:
            raise ValueError(f"need {self.num_envs} seeds, got {len(seeds)}")
        for generator, seed in zip(self.generators, seeds):
            generator.manual_seed(int(seed))

    def generator_states(self) -> list[torch.Tensor]:
        return [g.get_state() for g in self.generators]

    def set_generator_states(self, states: Sequence[torch.Tensor]) -> None:
        if len(states) != self.num_envs:
            raise TrackbenchError(f"checkpoint holds {len(states)} env generators, run has {self.num_envs}")
        for generator, state in zip(self.generators, states):
            generator.set_state(state)

    # ---- the loop -------------------------------------------------------------------------------
    def reset(self, *, full_episodes: bool = False) -> tuple[torch.Tensor, torch.Tensor]:
        """Start a fresh episode in every env; returns (obs, critic_obs). With
        ``random_episode_start`` the first episodes are cut at random steps unless
        ``full_episodes`` (evaluation)."""
        ids = torch.arange(self.num_envs, device=self.device)
        self._reset_envs(ids)
        # The critic's extra values come from a TaskFrame; at a full reset there is none yet, so
        # judge the start state once and then restart the task's episode buffers from it.
        state = self._state()
        frame = self.task.update(state)
        self.task.begin(ids, state)
        self._returns.zero_()
        self._lengths.zero_()
        self._limits = self._first_episode_limits(self.random_episode_start and not full_episodes)
        self.rewards.pop(ids)
        for seen in self._flags.values():
            seen.zero_()
        self._succeeded.zero_()
        return self._observe(frame)

    def step(self, actions: torch.Tensor, *,
             before_reset: Callable[[torch.Tensor], None] | None = None) -> Step:
        """One control step of every env; envs whose episode ended are reset. ``before_reset``
        is called with their ids [k] while the engine still holds their last state (what
        ``trackbench video`` films); after an engine instability that state is already reset."""
        times = self.times
        self.training_steps += int(self._training)
        with times.stage("physics"):
            state = _to_device(self.engine.step(actions), self.device)
            unstable = self.engine.unstable.to(self.device)
        self.unstable_env_steps += int(unstable.sum())
        with times.stage("task"):
            frame = self.task.update(state)
        # An env that blew up was reset by the engine mid-step: its reward and events mean nothing.
        stable = ~unstable
        with times.stage("method"):
            values, reward = self.rewards.step(frame, keep=stable)
        with times.stage("task"):
            success, failed = frame.success & stable, frame.failed & stable
            clock = state.step >= self._limits
            self._succeeded |= success
            # A task whose episodes run on after success (the paper's cabinet) ends them only by
            # the clock: a truncation, bootstrapped, though the episode counts as a success.
            terminal = failed | (success if self.task.success_ends_episode() else False)
            done = terminal | clock | unstable
            time_out = done & ~terminal

            self._returns += reward
            self._lengths += 1
            self._see(frame.flags, stable)

        episodes = None
        ended = done.nonzero().squeeze(1)
        if ended.numel():
            if before_reset is not None:
                before_reset(ended)
            with times.stage("reset"):
                episodes = self._finish(ended, time_out)
                if self._training and self.starts.stages:
                    self.starts.record(episodes, self.agent_steps)
                self._limits[ended] = self.task.spec.episode_length
                self._reset_envs(ended)
                frame = replace(frame, state=self._state())
        with times.stage("observation"):
            obs, critic_obs = self._observe(frame)
            check_finite(values, reward, critic_obs, lambda: self.observation_blocks, state.step)
        return Step(obs, critic_obs, reward, done, time_out, episodes)

    def episode_flags(self) -> dict[str, torch.Tensor]:
        """The task's events so far in each env's running episode: name → [N] bool (an ended
        episode's come in ``Step.episodes``)."""
        return {name: seen.clone() for name, seen in self._flags.items()}

    # ---- internals ------------------------------------------------------------------------------
    def _see(self, flags: dict[str, torch.Tensor], stable: torch.Tensor) -> None:
        """OR this step's task events into the running episodes'."""
        if flags.keys() != self._flags.keys():
            raise TrackbenchError(
                f"task '{self.task.name}' flagged the events {sorted(flags)} but declares "
                f"{sorted(self._flags)}; Task.events() must name every flag of its TaskFrame")
        for name, flag in flags.items():
            self._flags[name] |= flag.to(self.device) & stable

    def _load_flags(self, saved: dict[str, torch.Tensor]) -> None:
        unknown = sorted(set(saved) - set(self._flags))
        if unknown:
            raise TrackbenchError(f"the checkpoint holds task events {unknown} that task "
                                  f"'{self.task.name}' does not declare. Rerun with --force to "
                                  f"start over.")
        for name, seen in self._flags.items():
            if name in saved:
                seen.copy_(saved[name])
            else:  # a checkpoint taken before the first step holds none
                seen.zero_()

    def _state(self) -> "State":
        return _to_device(self.engine.state, self.device)

    def _reset_envs(self, ids: torch.Tensor) -> None:
        plans = [self.task.reset(ids[i:i + 1], self.generators[int(ids[i])]) for i in range(len(ids))]
        self._start[ids] = STANDARD
        if self.starts.active and self._training:
            chosen = [self.starts.plan(env_id, plan, self.generators[env_id], self.agent_steps)
                      for env_id, plan in zip(ids.tolist(), plans)]
            plans = [plan for plan, _ in chosen]
            self._start[ids] = torch.tensor([kind for _, kind in chosen], device=self.device)
        self.engine.reset(ids, **ResetPlan.concatenate(plans).as_kwargs())
        state = self._state()
        self.task.begin(ids, state)
        self.method.begin(ids, state)

    @property
    def agent_steps(self) -> int:
        """Training agent steps so far: control steps in training mode × envs (rl-games' frames;
        what ``task.start_stages`` is scheduled on)."""
        return self.training_steps * self.num_envs

    def curriculum_metrics(self) -> dict[str, float]:
        """Counts of the start curricula's resets so far (empty when none is active), and when
        the task has stages the index of the one in force and (once it has counted an episode)
        its advance criterion's measured rate."""
        if not self.starts.stages:
            return self.starts.metrics()
        stage = self.starts.stage(self.agent_steps)
        rate = self.starts.advance_rate()
        return self.starts.metrics() | {"start_stage": stage} | \
            ({} if rate is None else {"start_stage_rate": rate})

    def _first_episode_limits(self, random: bool) -> torch.Tensor:
        """[N] control steps of each env's first episode after a full reset: the task's episode
        length, or if ``random`` uniform in 1..episode_length from the env's own reset generator
        (so a seed fixes them). The cut is a time-out, bootstrapped like any."""
        length = self.task.spec.episode_length
        if not random:
            return torch.full((self.num_envs,), length, dtype=torch.long, device=self.device)
        draws = [int(torch.randint(1, length + 1, (1,), generator=g)) for g in self.generators]
        return torch.tensor(draws, dtype=torch.long, device=self.device)

    def _finish(self, ids: torch.Tensor, time_out: torch.Tensor) -> Episodes:
        success = self._succeeded[ids].clone()
        episodes = Episodes(
            env_ids=ids.clone(), returns=self._returns[ids].clone(),
            lengths=self._lengths[ids].clone(), success=success,
            time_out=time_out[ids] & ~success,
            flags={name: seen[ids].clone() for name, seen in self._flags.items()},
            terms=self.rewards.pop(ids), start=self._start[ids].clone(),
        )
        self._returns[ids] = 0.0
        self._lengths[ids] = 0
        self._succeeded[ids] = False
        for seen in self._flags.values():
            seen[ids] = False
        return episodes

    def _scaled(self, joints: torch.Tensor) -> torch.Tensor:
        """[B, n_dof] joint values → [-1, 1] over each joint's limits."""
        return 2.0 * (joints - self._lower) / (self._upper - self._lower) - 1.0

    def _subsample(self, points: torch.Tensor) -> torch.Tensor:
        """[N, P, 3] → [N, policy_points, 3], evenly spaced over the cloud (whose points are
        random surface samples, so this is a uniform subsample)."""
        if self.policy_points is None:
            return points
        if self._point_index is None:
            self._point_index = evenly_spaced(self.policy_points, points.shape[1]).to(points.device)
        return points.index_select(1, self._point_index)

    def _observe(self, frame: "TaskFrame") -> tuple[torch.Tensor, torch.Tensor]:
        # Envs reset this step see their new state; the task's privileged values of those envs
        # still describe the step that ended their episode (a task judges states only in update).
        state = frame.state
        privileged = self.task.privileged(frame).reshape(self.num_envs, -1)
        critic_obs = self.compose_observation(
            state.joint_pos, state.joint_vel, self.task.policy_points(state), privileged,
            joint_target=state.joint_target if self.observe_targets else None,
            keypoints=state.keypoints if self.observe_keypoints else None)
        return critic_obs[:, :critic_obs.shape[1] - privileged.shape[1]], critic_obs

    def compose_observation(self, joint_pos: torch.Tensor, joint_vel: torch.Tensor,
                            points: torch.Tensor, privileged: torch.Tensor, *,
                            joint_target: torch.Tensor | None = None,
                            keypoints: torch.Tensor | None = None) -> torch.Tensor:
        """critic_obs [B, critic_dim] (the module docstring's layout) from raw blocks:
        ``joint_pos``, ``joint_vel`` [B, n_dof], the task's policy ``points`` [B, P, 3] (all of
        them, world frame, m: subsampled here), ``privileged`` [B, D], when the robot observes
        its targets (``robot.observe_targets``) ``joint_target`` [B, n_dof], and when it
        observes its keypoints (``robot.observe_keypoints``) ``keypoints`` [B, K, 3] (world
        frame, m; observed relative to the centroid of all P points). Every observation of this
        env is made here, and so are the states of recorded demonstrations (``dapg``). Raises
        TrackbenchError if the blocks are shaped otherwise than this env's own, or the targets
        or keypoints are missing where the robot observes them."""
        if self.observe_targets and joint_target is None:
            raise TrackbenchError("this robot observes its PD joint targets (robot.observe_targets)"
                                  " but none were given")
        if self.observe_keypoints and keypoints is None:
            raise TrackbenchError("this robot observes its keypoints (robot.observe_keypoints) but "
                                  "none were given")
        count = joint_pos.shape[0]
        shapes = (tuple(joint_pos.shape[1:]), tuple(points.shape[1:]),
                  tuple(privileged.reshape(count, -1).shape[1:]))
        if self._block_shapes is not None and self._block_shapes != shapes:
            raise TrackbenchError(
                f"observation blocks of joints {list(shapes[0])}, points {list(shapes[1])} and "
                f"privileged values {list(shapes[2])} do not fit task '{self.task.name}' with "
                f"this robot (joints {list(self._block_shapes[0])}, points "
                f"{list(self._block_shapes[1])}, privileged {list(self._block_shapes[2])})")
        self._block_shapes = shapes
        joints = [self._scaled(joint_pos), joint_vel]
        if self.observe_targets:
            joints.append(self._scaled(joint_target.to(joint_pos.dtype)))
        if self.observe_keypoints:  # where the hand is, seen from the object it acts on
            relative = keypoints.to(points.dtype) - points.mean(dim=1, keepdim=True)
            joints.append(relative.reshape(count, -1))
        flat = self._subsample(points).reshape(count, -1)
        critic_obs = torch.cat([*joints, flat, privileged.reshape(count, -1)], dim=1)
        return critic_obs.clamp(-self.obs_clip, self.obs_clip)


def evenly_spaced(count: int, total: int) -> torch.Tensor:
    """``count`` indices spread evenly over ``range(total)`` (all of them if count ≥ total)."""
    if count >= total:
        return torch.arange(total)
    return torch.linspace(0, total - 1, count).round().long()


def check_finite(values: dict[str, torch.Tensor], reward: torch.Tensor, critic_obs: torch.Tensor,
                 blocks: Callable[[], dict[str, slice]], step: torch.Tensor) -> None:
    """Raise NonFiniteError naming the first non-finite reward term or observation block.

    One host sync per step: the total reward (non-finite iff a term is) and the observations
    are tested at once; the culprit is located only if something is bad.
    """
    if bool(torch.isfinite(reward).all() & torch.isfinite(critic_obs).all()):
        return
    found = [(f"reward term '{name}'", value) for name, value in values.items()]
    found += [(f"observation block '{name}'", critic_obs[:, columns])
              for name, columns in blocks().items()]
    for what, value in found:
        bad = ~torch.isfinite(value.reshape(value.shape[0], -1)).all(dim=1)
        if bad.any():
            env = int(bad.nonzero()[0, 0])
            sample = value.reshape(value.shape[0], -1)[env]
            shown = sample[~torch.isfinite(sample)][0].item()
            raise NonFiniteError(f"{what} is {shown} in env {env} at control step "
                                 f"{int(step[env])} of its episode")


def _to_device(state: "State", device: torch.device) -> "State":
    if state.joint_pos.device == device:
        return state
    return replace(state, **{f.name: getattr(state, f.name).to(device) for f in fields(state)})
