"""Film a trained policy: evaluation episodes of one env, rendered every control step, as an MP4.

Which episodes: the VecEnv is built from the run's spec.json with the run's number of envs (on
the CPU) and played as evaluation plays (``training/evaluate.py``): in round r every env i resets
from seed ``eval_seed + r·N + i``, the policy acts deterministically (μ clamped to [-1, 1]) and
the method only scores (``VecEnv.evaluation``). Env E is filmed, so video episode r is
evaluation episode r·N + E: the same env, scene variant and reset; for r·N + E below
``ppo.eval_episodes`` it is an episode the run's result counted. The other envs play unfilmed.

Frames: the episode's first state, the state after each control step (the last one rendered
before the env is reset, ``VecEnv.step(before_reset=...)``), and that last frame held for
HOLD_SECONDS so that the outcome can be read: T + 1 + round(HOLD_SECONDS · fps) frames for a
T-step episode. Drawn over the scene: the robot's keypoints (the renderer's coloured spheres), the
method's fingertip targets (``Method.fingertip_targets``; track: Π_h's prediction) as cyan
spheres, and a status band (``overlay.py``).

The file is H.264 (yuv420p, so even sizes) from imageio-ffmpeg's bundled ffmpeg, written to a
temporary file that is checked (it decodes to the frames written) and renamed over the target.
"""

from __future__ import annotations

import contextlib
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterator

import numpy as np
import torch

from trackbench.harness.atomic import atomic_path
from trackbench.harness.errors import TrackbenchError
from trackbench.harness.overlay import Status, draw_status
from trackbench.harness.results import RunDir

if TYPE_CHECKING:
    from trackbench.harness.env import VecEnv
    from trackbench.harness.registry import Registry

HOLD_SECONDS = 1.0
CELL_VIDEO = "video.mp4"  # `trackbench run --video`: in the cell's directory
# Cyan, drawn unlit (exactly 0, 255, 255 before compression): no scene material is cyan, and the
# keypoints are red, green, blue, yellow, magenta and white.
TARGET_RGBA = (0.0, 1.0, 1.0, 1.0)
# imageio-ffmpeg's 1–10 scale; 8 is H.264 crf 10: markers a few pixels wide keep their colour.
QUALITY = 8
MAX_EPISODES = 1000


@dataclass(frozen=True)
class View:
    """How frames are rendered: size in pixels, named camera (None: the free camera)."""

    width: int
    height: int
    camera: str | None
    shadows: bool


@dataclass
class FilmedEpisode:
    evaluation_episode: int  # its index in the run's evaluation (round · N + env)
    seed: int  # the reset seed
    steps: int  # control steps
    outcome: str  # success, failed or time-out
    flags: dict[str, bool]  # the task's events over the episode
    frames: int


def film_run(run_dir: RunDir, out: Path, registry: "Registry", *, episodes: int, env_id: int,
             view: View, fps: float | None = None,
             on_step: Callable[[int, int], None] | None = None,
             checkpoint: str = "last") -> dict[str, Any]:
    """Write ``episodes`` evaluation episodes of env ``env_id`` of the run's ``checkpoint``
    ('last', or one kept by ``ppo.keep_every``, as ``checkpoint.named`` reads it) to ``out``
    (MP4) at ``fps`` frames per second (None: the engine's control rate, i.e. real time).
    ``on_step`` is called with (episode, step) after each filmed control step.

    Returns a summary: out, run_id, width, height, fps, frames, seconds, env and per episode
    :class:`FilmedEpisode`'s fields. Raises TrackbenchError for an env the run does not have, a
    checkpoint that is missing or does not fit, a camera the scene lacks, no offscreen GL, or an
    ffmpeg failure; ``out`` is then left as it was.
    """
    from trackbench.harness.resume import read_run_spec
    from trackbench.harness.training.checkpoint import named
    from trackbench.harness.training.policy import played_on_cpu

    name = named(run_dir, checkpoint)
    spec = read_run_spec(run_dir, registry)
    if env_id >= spec.num_envs:
        raise TrackbenchError(f"--env {env_id}: the run has {spec.num_envs} env(s), "
                              f"0 to {spec.num_envs - 1}")
    # Filmed on the CPU, whatever the run trained on: rendering is the CPU's anyway.
    with played_on_cpu(run_dir, spec, registry, name) as (ppo, env, policy):
        rate = float(fps or env.engine.spec.control_hz)
        source = FrameSource(env, env_id, view)
        filmed = []
        with mp4_writer(out, view.width, view.height, rate) as write, env.evaluation():
            for r in range(episodes):
                filmed.append(_film_episode(env, policy, source, write, r, episodes, ppo.eval_seed,
                                            round(HOLD_SECONDS * rate), on_step))
    frames = sum(episode.frames for episode in filmed)
    return {"out": str(out), "run_id": spec.run_id, "width": view.width, "height": view.height,
            "fps": rate, "frames": frames, "seconds": frames / rate, "env": env_id,
            "episodes": [asdict(episode) for episode in filmed]}


def film_cell(run_dir: RunDir, registry: "Registry",
              on_step: Callable[[int, int], None] | None = None) -> dict[str, Any]:
    """`trackbench run --video`: evaluation episode 0 (env 0) of a trained cell, as the `video`
    command films it by default (640×480, the front camera, no shadows, real time), to
    ``<run dir>/video.mp4``. Returns and raises as :func:`film_run`."""
    return film_run(run_dir, run_dir.path / CELL_VIDEO, registry, episodes=1, env_id=0,
                    view=View(640, 480, "front", shadows=False), on_step=on_step)


class FrameSource:
    """Renders env ``env_id`` with its keypoints and the method's fingertip targets."""

    def __init__(self, env: "VecEnv", env_id: int, view: View):
        self.env, self.env_id, self.view = env, env_id, view

    def render(self) -> np.ndarray:
        """[H, W, 3] uint8 of the env as the engine holds it now (the band not yet drawn)."""
        targets = self.env.method.fingertip_targets()
        markers = [] if targets is None else \
            [(position, TARGET_RGBA) for position in targets[self.env_id].cpu().numpy()]
        view = self.view
        return self.env.engine.render(self.env_id, view.width, view.height, view.camera,
                                      keypoints=True, markers=markers, shadows=view.shadows)


def _film_episode(env: "VecEnv", policy: Any, source: "FrameSource",
                  write: Callable[[np.ndarray], None],
                  r: int, episodes: int, eval_seed: int, hold: int,
                  on_step: Callable[[int, int], None] | None) -> FilmedEpisode:
    n, e = env.num_envs, source.env_id
    env.reseed([eval_seed + r * n + i for i in range(n)])  # evaluation's round r
    obs = env.reset(full_episodes=True)[1]
    length = env.task.spec.episode_length

    def status(step: int, flags: dict[str, bool], outcome: str | None = None) -> Status:
        return Status(r + 1, episodes, step, length, flags, outcome)

    image = source.render()
    draw_status(image, status(0, {}))
    write(image)
    last: dict[str, np.ndarray] = {}

    def film_last(ended: torch.Tensor) -> None:
        if bool((ended == e).any()):
            last["image"] = source.render()

    step_count = 0
    while True:
        with torch.no_grad():
            result = policy({"is_train": False, "obs": obs, "prev_actions": None,
                             "rnn_states": None})
        step = env.step(result["mus"].clamp(-1.0, 1.0), before_reset=film_last)
        step_count += 1
        if on_step is not None:
            on_step(r, step_count)
        if "image" in last:
            ended = step.episodes.select(step.episodes.env_ids == e)
            outcome = ("success" if bool(ended.success[0]) else
                       "time-out" if bool(ended.time_out[0]) else "failed")
            flags = {name: bool(seen[0]) for name, seen in ended.flags.items()}
            image = last["image"]
            draw_status(image, status(step_count, flags, outcome))
            for _ in range(1 + hold):
                write(image)
            return FilmedEpisode(r * n + e, eval_seed + r * n + e, step_count, outcome, flags,
                                 step_count + 1 + hold)
        flags = {name: bool(seen[e]) for name, seen in env.episode_flags().items()}
        image = source.render()
        draw_status(image, status(step_count, flags))
        write(image)
        obs = step.critic_obs


@contextlib.contextmanager
def mp4_writer(path: Path, width: int, height: int, fps: float
               ) -> Iterator[Callable[[np.ndarray], None]]:
    """Yield ``write(frame)`` for RGB frames [height, width, 3] uint8; on leaving, ffmpeg
    finishes the file, which is checked to decode to as many frames and renamed to ``path``.
    Raises TrackbenchError with ffmpeg's complaint if it fails; ``path`` is then untouched."""
    import imageio_ffmpeg

    with atomic_path(path) as temporary:
        encoder = imageio_ffmpeg.write_frames(
            str(temporary), (width, height), fps=fps, codec="libx264", quality=QUALITY,
            macro_block_size=2, ffmpeg_log_level="error",
            # The temporary name does not end in .mp4, so the container is named; faststart
            # puts the index first, so that players start before the whole file has loaded.
            output_params=["-f", "mp4", "-movflags", "+faststart"])
        encoder.send(None)  # starts ffmpeg
        written = 0

        def write(frame: np.ndarray) -> None:
            nonlocal written
            if frame.shape != (height, width, 3) or frame.dtype != np.uint8:
                raise ValueError(f"expected a frame [{height}, {width}, 3] uint8, got "
                                 f"{frame.shape} {frame.dtype}")
            try:
                encoder.send(np.ascontiguousarray(frame))
            except OSError as error:  # ffmpeg died; it printed why (its stderr is ours)
                raise TrackbenchError(f"ffmpeg stopped while writing {path} "
                                      f"({str(error).splitlines()[0]}); its message is above, "
                                      f"and nothing was written") from None
            written += 1

        try:
            yield write
        finally:
            encoder.close()  # ffmpeg encodes what is buffered and closes the file
        decoded, _ = _count_frames(temporary, path)
        if decoded != written:
            raise TrackbenchError(f"ffmpeg wrote {decoded} of the {written} frames of {path}; "
                                  f"nothing was written (a full disk?)")


def _count_frames(video: Path, target: Path) -> tuple[int, float]:
    import imageio_ffmpeg

    try:
        return imageio_ffmpeg.count_frames_and_secs(str(video))
    except (RuntimeError, OSError) as error:
        raise TrackbenchError(f"ffmpeg wrote no readable video for {target} "
                              f"({str(error).strip().splitlines()[-1][:200]})") from None
