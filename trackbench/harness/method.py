"""The reward-method plugin contract: what reward PPO sees, composed from named terms.

A method is set up once per run with the task, the robot, the batch size and the run's context
(:class:`~trackbench.harness.context.RunContext`: registry, device, seed, cache directory,
progress reporter); ``begin`` is called for envs that just reset (after the task's ``begin``).
Its reward is the weighted reward terms :meth:`Method.terms` declares: the harness
(``trackbench.harness.rewards.RewardManager``) checks their names once, and once per control
step calls :meth:`Method.observe` with the task's frame, evaluates every term, sums them for PPO
and logs each term's per-episode sum under its name.

Plugins never load the registry themselves: a method that needs other plugins (``track`` its
predictor, ``amp`` its dataset) takes them from the context :meth:`Method.setup` is handed, so
a run (or a test) that built its own registry gets exactly those plugins, and a process loads the
entry points once.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import TYPE_CHECKING, Any, ClassVar

import torch

from trackbench.harness.errors import TrackbenchError
from trackbench.harness.specs import PluginSpec

if TYPE_CHECKING:
    from trackbench.harness.context import RunContext
    from trackbench.harness.registry import Registry
    from trackbench.harness.rewards import RewardTerm
    from trackbench.harness.robot import RobotSpec
    from trackbench.harness.state import State
    from trackbench.harness.task import Task, TaskFrame


class MethodSpec(PluginSpec):
    pass


class Method(ABC):
    """Base of reward-method plugins. Subclasses set ``name``, ``Spec`` and implement the below."""

    name: ClassVar[str]
    Spec: ClassVar[type[MethodSpec]]

    def __init__(self, spec: MethodSpec):
        self.spec = spec
        self.task: "Task | None" = None
        self.robot: "RobotSpec | None" = None
        self.num_envs = 0
        self.device = torch.device("cpu")
        self.training = True  # False while the harness evaluates a policy (set_training)
        self.context: "RunContext | None" = None  # the run's, handed to setup

    @classmethod
    def check_spec(cls, spec: MethodSpec, registry: "Registry") -> None:
        """Raise TrackbenchError if ``spec`` names plugins or settings that cannot work.

        ``trackbench run`` calls this for every planned method before any cell starts, so that a
        wrong predictor or dataset name fails at once rather than hours into a matrix. A Spec's
        own validators cannot see the registry; this hook can. ``run`` prefixes the message with
        the method's name."""

    def check_compatible(self, task: "Task", robot: "RobotSpec") -> list[str]:
        """Problems that keep this method from running on ``task`` with ``robot`` — what
        :meth:`setup` would otherwise find hours into a matrix (a reward group the task lacks,
        fingertips the robot neither has nor synthesises). Each is one sentence; empty if none.
        Term names that clash need no check here: the planner checks :meth:`terms` after this.

        ``trackbench run`` (``--dry-run`` included) calls this for every robot × task × method
        cell before any cell starts, and names the cell in the message. It gets the same
        arguments :meth:`setup` will, but neither the method nor the task is set up: read specs
        and ``task.reward_terms()`` only; build no models and touch no files. Must not raise."""
        return []

    def setup(self, task: "Task", robot: "RobotSpec", num_envs: int,
              context: "RunContext | None" = None) -> None:
        """Bind to a run; methods that need models or buffers (``track``) create them here, on
        ``context.device``. ``context`` is the run's (the harness always passes one); a method
        that needs other plugins, a seed or the cache takes it through :meth:`run_context`.
        Without one (a test of a method that needs only its spec) the method runs on the CPU.
        Overrides must accept and pass on ``context``. Raise TrackbenchError for anything the
        user must fix that :meth:`check_compatible` cannot see (a missing checkpoint, ...). This
        base implementation raises TrackbenchError for :meth:`check_compatible`'s problems, for
        callers that did not plan (tests, probes)."""
        problems = self.check_compatible(task, robot)
        if problems:
            raise TrackbenchError("\n".join(f"method '{self.name}': {p}" for p in problems))
        self.task, self.robot, self.num_envs = task, robot, num_envs
        self.device = context.device if context is not None else torch.device("cpu")
        self.context = context

    def run_context(self) -> "RunContext":
        """The context :meth:`setup` was handed. Raises RuntimeError if it had none: a method
        that needs other plugins must not fall back to loading a registry of its own, which
        would not be the caller's (a test's registry, a run's blocked entry points)."""
        if self.context is None:
            raise RuntimeError(f"method '{self.name}' needs the run's context: "
                               f"call setup(..., context=RunContext(registry, ...))")
        return self.context

    @abstractmethod
    def terms(self, task: "Task") -> tuple["RewardTerm", ...]:
        """The weighted terms of this method's reward on ``task``, in a stable order: the order
        they are summed in and the logged ``term/<name>`` columns. Names must differ (the
        harness checks, at plan time and when the run starts).

        Called before :meth:`setup` too (the planner reads the names), so build the terms from
        the spec and ``task.reward_terms()`` only; a term's function may read what the method
        sets up and what :meth:`observe` stores, since it is evaluated only after both."""

    def begin(self, env_ids: torch.Tensor, state: "State") -> None:
        """Envs ``env_ids`` start a new episode in ``state`` (fill history buffers, ...)."""

    def observe(self, frame: "TaskFrame") -> None:
        """Once per control step, before the terms are evaluated on ``frame``: advance what the
        method carries from step to step (``track``'s Π_h history, ``amp``'s transitions and
        discriminator) and count what :meth:`metrics` reports. A method that learns from what it
        rewards (``amp``) learns only while :attr:`training` is True."""

    def set_training(self, training: bool) -> None:
        """The harness sets False while it evaluates a policy and True again after. Evaluation
        must never change what it measures: while not training, the terms score with
        what the method has learned and changes none of it (the same policy evaluated twice
        scores the same), and per-episode buffers are still kept."""
        self.training = training

    # ---- checkpoints ------------------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        """Everything the method carries from step to step (history buffers, what it learns:
        ``amp``'s discriminator, optimiser and replay), saved with each training checkpoint so
        that a resumed run continues exactly. The default takes every tensor and number
        attribute (``trackbench.harness.snapshot``); override it for state in nested objects."""
        from trackbench.harness.snapshot import capture

        return capture(self)

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore :meth:`state_dict` after :meth:`setup`, when a run resumes."""
        from trackbench.harness.snapshot import restore

        restore(self, state, f"method '{self.name}'")

    def fingertip_targets(self) -> torch.Tensor | None:
        """[N, K, 3] where the method's reward wants the robot's fingertip keypoints after the
        next step (world frame, metres), or None (the default) for methods without such a target.
        For display only (``trackbench video``); computing it changes no state."""
        return None

    def metrics(self) -> dict[str, float]:
        """Numbers about the method itself (``amp``: the discriminator's loss and accuracy),
        logged after every PPO epoch as ``method/<name>`` in metrics.jsonl and TensorBoard."""
        return {}
