"""The `track` method: r_track from the pre-step history, λ on task terms, checkpoints and cache."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from tests.harness.conftest import assert_user_error
from tests.plugins.predictors.motion import make_sequences
from trackbench.harness.context import CACHE_ENV, RunContext, default_cache_dir
from trackbench.harness.dataset import Dataset, DatasetSpec
from trackbench.harness.errors import TrackbenchError
from trackbench.harness.plugins import load_registry
from trackbench.harness.predictor import PredictorInput, load_predictor, timesteps_from_mask
from trackbench.harness.predictors.workflow import cache_path, cached_predictor
from trackbench.harness.rewards import RewardManager, RewardTerm, reward_problems
from trackbench.harness.scene import table_with_box
from trackbench.harness.state import State
from trackbench.harness.task import ResetPlan, Task, TaskFrame, TaskSpec
from trackbench.plugins.methods.track import Track, tracking_distance
from trackbench.plugins.predictors.transformer import Transformer, TransformerSpec
from trackbench.plugins.robots.allegro import Allegro

N, CL, N_ARM = 3, 8, 7
REGISTRY = load_registry()


def lifted(frame: TaskFrame) -> torch.Tensor:
    """[object above 0.2 m]"""
    return (frame.state.object_pos[:, 0, 2] > 0.2).float()


class HandMadeTask(Task):
    """A task with one sparse term, for driving methods with hand-made States."""

    name = "hand_made"
    Spec = TaskSpec

    def scenes(self):
        return (table_with_box(),)

    def reset(self, env_ids, generator):
        return ResetPlan()

    def begin(self, env_ids, state):
        pass

    def update(self, state):
        never = torch.zeros(state.num_envs, dtype=torch.bool)
        return TaskFrame(state, N_ARM, never, never.clone())

    def reward_terms(self):
        return {"task": (RewardTerm("lift", lifted, 2.0),), "dense": ()}

    def policy_points(self, state):
        return state.object_points[:, 0]

    def privileged(self, frame):
        return torch.zeros(frame.state.num_envs, 0)


def hand_made_state(seed: int, lifted_envs=()) -> State:
    g = torch.Generator().manual_seed(seed)
    n_dof = 23
    object_pos = torch.rand(N, 1, 3, generator=g) * 0.1
    object_pos[list(lifted_envs), 0, 2] = 0.3
    return State(
        joint_pos=torch.zeros(N, n_dof), joint_vel=torch.rand(N, n_dof, generator=g) - 0.5,
        joint_target=torch.zeros(N, n_dof), keypoints=torch.rand(N, 4, 3, generator=g) * 0.3,
        wrist_pos=torch.zeros(N, 3), wrist_quat=torch.tensor([[1.0, 0, 0, 0]] * N),
        object_pos=object_pos, object_quat=torch.tensor([[[1.0, 0, 0, 0]]] * N),
        object_linvel=torch.zeros(N, 1, 3), object_angvel=torch.zeros(N, 1, 3),
        object_points=object_pos[:, :, None] + torch.rand(N, 1, 100, 3, generator=g) * 0.05,
        object_class_ids=torch.tensor([[4]] * N), articulation_pos=torch.zeros(N, 0),
        step=torch.zeros(N, dtype=torch.long),
    )


def make_track(checkpoint, **fields) -> Track:
    task = HandMadeTask(TaskSpec())
    robot = Allegro.Spec()
    task.setup(robot, N)
    method = Track(Track.Spec(checkpoint=str(checkpoint), **fields))
    method.setup(task, robot, N, RunContext(REGISTRY))
    return method


def rewards(method: Track, frame: TaskFrame) -> dict[str, torch.Tensor]:
    """Each term's weighted value for one step, as the harness computes it."""
    return RewardManager(method).step(frame)[0]


def human(keypoints: torch.Tensor) -> torch.Tensor:
    """Allegro [thumb, index, middle, 4th] → human [thumb, index, middle, ring, little]."""
    k = keypoints
    return torch.stack([k[:, 0], k[:, 1], k[:, 2], (k[:, 2] + k[:, 3]) / 2, k[:, 3]], dim=1)


def expected_prediction(model, frames: list[State]) -> torch.Tensor:
    """Π_h's next Allegro fingertips for a history of ``frames`` after a reset, built by hand."""
    repeats = CL - len(frames) + 1  # the reset frame fills every slot before the real ones
    fingertips = [human(frames[0].keypoints)] * repeats + [human(s.keypoints) for s in frames[1:]]
    points = [frames[0].object_points] * repeats + [s.object_points for s in frames[1:]]
    mask = torch.tensor([[0] * (CL - len(frames)) + [1] * len(frames)] * N)
    inputs = PredictorInput(
        fingertips=torch.stack(fingertips, dim=1), object_ids=torch.tensor([[4]] * N),
        goal_label=torch.tensor([4] * N), attention_mask=mask,
        timesteps=timesteps_from_mask(mask, pad=CL), object_points=torch.stack(points, dim=1))
    with torch.no_grad():
        predicted = model.predict(inputs)[:, -1]
    return predicted[:, [0, 1, 2, 4]]  # drop the synthetic ring tip


def test_track_reward_is_minus_the_distance_to_the_pre_step_prediction(checkpoint):
    method = make_track(checkpoint)
    model = load_predictor(checkpoint, REGISTRY)
    reset, after_one, after_two = hand_made_state(0), hand_made_state(1), hand_made_state(2)
    method.begin(torch.arange(N), reset)
    frame = method.task.update(after_one)
    reward = rewards(method, frame)["track"]
    predicted = expected_prediction(model, [reset])
    expected = -(predicted - after_one.keypoints).abs().mean(dim=(1, 2))
    assert torch.allclose(reward, expected, atol=1e-6)
    # The next step predicts from [reset, …, reset, after_one]: the history took in the new frame.
    reward = rewards(method, method.task.update(after_two))["track"]
    predicted = expected_prediction(model, [reset, after_one])
    expected = -(predicted - after_two.keypoints).abs().mean(dim=(1, 2))
    assert torch.allclose(reward, expected, atol=1e-6)


def test_l2_norms_follow_the_paper(checkpoint):
    predicted, actual = torch.zeros(1, 4, 3), torch.zeros(1, 4, 3)
    actual[0, 0] = torch.tensor([0.03, 0.04, 0.0])
    assert tracking_distance(predicted, actual, "l1_mean").item() == pytest.approx(0.07 / 12)
    assert tracking_distance(predicted, actual, "l2").item() == pytest.approx(0.05)
    assert tracking_distance(predicted, actual, "l2_squared").item() == pytest.approx(0.0025)
    method = make_track(checkpoint, norm="l2", track_weight=2.0)
    reset, after = hand_made_state(0), hand_made_state(1)
    method.begin(torch.arange(N), reset)
    reward = rewards(method, method.task.update(after))["track"]
    predicted = expected_prediction(load_predictor(checkpoint, REGISTRY), [reset])
    expected = -2.0 * (predicted - after.keypoints).flatten(1).norm(dim=1)
    assert torch.allclose(reward, expected, atol=1e-6)


def test_the_centroid_norm_ignores_the_hands_shape(checkpoint):
    predicted, actual = torch.zeros(1, 4, 3), torch.zeros(1, 4, 3)
    actual[0, 0], actual[0, 1] = torch.tensor([0.02, 0.0, 0.0]), torch.tensor([-0.02, 0.0, 0.0])
    assert tracking_distance(predicted, actual, "centroid").item() == pytest.approx(0.0)
    actual[0] += torch.tensor([0.0, 0.03, 0.04])
    assert tracking_distance(predicted, actual, "centroid").item() == pytest.approx(0.05)


def test_the_progress_form_pays_how_far_the_step_closed_the_gap(checkpoint):
    """form=progress: d(prediction, tips before the step) − d(prediction, tips after it); a still
    robot earns 0, by hand for two steps (the second's "before" is the first's "after")."""
    method = make_track(checkpoint, form="progress", track_weight=3.0)
    model = load_predictor(checkpoint, REGISTRY)
    reset, after_one, after_two = hand_made_state(0), hand_made_state(1), hand_made_state(2)
    method.begin(torch.arange(N), reset)
    reward = rewards(method, method.task.update(after_one))["track"]

    def l1(a, b):
        return (a - b).abs().mean(dim=(1, 2))

    predicted = expected_prediction(model, [reset])
    expected = 3.0 * (l1(predicted, reset.keypoints) - l1(predicted, after_one.keypoints))
    assert torch.allclose(reward, expected, atol=1e-6)
    reward = rewards(method, method.task.update(after_two))["track"]
    predicted = expected_prediction(model, [reset, after_one])
    expected = 3.0 * (l1(predicted, after_one.keypoints) - l1(predicted, after_two.keypoints))
    assert torch.allclose(reward, expected, atol=1e-6)
    still = make_track(checkpoint, form="progress")
    still.begin(torch.arange(N), reset)
    assert torch.allclose(rewards(still, still.task.update(reset))["track"], torch.zeros(N),
                          atol=1e-7)


def test_task_terms_are_weighted_by_lambda_and_energy_is_added(checkpoint):
    method = make_track(checkpoint, task_weight=0.5)
    assert [term.name for term in method.terms(method.task)] == ["track", "lift", "energy"]
    reset, after = hand_made_state(0), hand_made_state(1, lifted_envs=[1])
    method.begin(torch.arange(N), reset)
    values = rewards(method, method.task.update(after))
    assert values["lift"].tolist() == [0.0, 0.5 * 2.0, 0.0]
    velocity = after.joint_vel.abs()
    energy = -(0.003 * velocity[:, :N_ARM].sum(1) + 0.0003 * velocity[:, N_ARM:].sum(1))
    assert torch.allclose(values["energy"], energy)
    assert (values["track"] < 0).all()


def test_an_explicit_checkpoint_that_does_not_exist_is_an_error(tmp_path, checkpoint):
    registry = load_registry()
    with pytest.raises(TrackbenchError, match="field 'checkpoint'.*nope.pt does not exist"):
        registry.resolve_spec("methods", "track", {"checkpoint": str(tmp_path / "nope.pt")})
    gone = tmp_path / "gone.pt"  # valid when the plan was made, deleted before the cell starts
    gone.write_bytes(checkpoint.read_bytes())
    method = Track(Track.Spec(checkpoint=str(gone)))
    gone.unlink()
    task = HandMadeTask(TaskSpec())
    task.setup(Allegro.Spec(), N)
    with pytest.raises(TrackbenchError, match="gone.pt does not exist"):
        method.setup(task, Allegro.Spec(), N, RunContext(registry))


def test_a_checkpoint_of_another_predictor_is_refused(checkpoint):
    with pytest.raises(TrackbenchError, match="holds predictor 'transformer'"):
        make_track(checkpoint, predictor="hold")


@pytest.mark.parametrize(("setting", "problem"), [
    ("method.predictor=transformr", "unknown predictor 'transformr'"),
    ("method.preset=tiny", "field 'preset'"),
    ("method.dataset=dexycbb", "unknown dataset 'dexycbb'"),
    # the cache would train on the defaults, which name no data folder: say how to train one
    ("method.dataset=dexycb", "trackbench predictor train --dataset dexycb --dataset-path DIR"),
])
def test_a_predictor_setting_that_cannot_work_fails_before_any_cell(cli, tmp_path, setting,
                                                                   problem):
    result = cli("run", "--method", "track", "--set", setting, "--out", str(tmp_path))
    assert_user_error(result, "method 'track'", problem)
    assert "plan:" not in result.output and not any(tmp_path.iterdir())


class MotionDataset(Dataset):
    """Test dataset: the reach-grasp-lift sequences of tests/plugins/predictors/motion.py."""

    name = "motion"

    class Spec(DatasetSpec):
        count: int = 12

    def sequences(self, split=None):
        return iter(s for s in make_sequences(self.spec.count, seed=5) if split in (None, s.split))


def test_the_cache_trains_once_and_then_loads(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv(CACHE_ENV, str(tmp_path))
    registry = load_registry()
    registry.add("datasets", MotionDataset, "tests", "tests.plugins.methods.test_track")
    context = RunContext(registry)  # the cache directory and progress reporter by default
    overrides = {"preset": "cpu", "steps": 5, "batch_size": 8}
    path = cache_path(context, "transformer", overrides, "motion")
    assert path.parent == tmp_path / "predictors" and not path.exists()
    trained = cached_predictor(context, "transformer", overrides, "motion")
    assert path.is_file() and "training it once now" in capsys.readouterr().err  # not --json's stdout
    stamp = path.stat().st_mtime_ns
    loaded = cached_predictor(context, "transformer", overrides, "motion")
    assert "training" not in capsys.readouterr().err and path.stat().st_mtime_ns == stamp
    assert loaded.metadata == trained.metadata and loaded.metadata["dataset"]["name"] == "motion"
    assert loaded.metadata["training"]["steps"] == 5
    for name, tensor in trained.state_dict().items():
        assert torch.equal(tensor, loaded.state_dict()[name])
    # A different spec is a different cache entry, and so is other data under the same spec.
    assert cache_path(context, "transformer", {**overrides, "steps": 6}, "motion") != path
    assert cache_path(context, "transformer", {**overrides, "fingertip_spread": [1, 3]},
                      "motion") != path
    # A setting added later at the value runs had before it keeps the key those runs cached.
    assert cache_path(context, "transformer", {**overrides, "fingertip_spread": [1, 1]},
                      "motion") == path
    monkeypatch.setattr(MotionDataset, "version", 2)
    assert cache_path(context, "transformer", overrides, "motion") != path


def test_the_cache_directory_and_the_progress_come_from_the_run_context(tmp_path, monkeypatch,
                                                                        capsys):
    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "from_env"))
    assert default_cache_dir() == tmp_path / "from_env"
    registry = load_registry()
    registry.add("datasets", MotionDataset, "tests", "tests.plugins.methods.test_track")
    said: list[str] = []
    context = RunContext(registry, cache_dir=tmp_path / "own", progress=said.append)
    overrides = {"preset": "cpu", "steps": 2, "batch_size": 8}
    cached_predictor(context, "transformer", overrides, "motion")
    assert cache_path(context, "transformer", overrides, "motion").is_file()
    assert [path.name for path in tmp_path.iterdir()] == ["own"]  # not $TRACKBENCH_CACHE
    assert "training it once now" in said[0] and said[1].startswith("predictor cached at")
    assert "once now" not in capsys.readouterr().err


def test_track_runs_in_the_vec_env_on_a_real_task(checkpoint):
    from trackbench.harness.env import VecEnv
    from trackbench.harness.specs import RunSpec

    spec = RunSpec(engine="mujoco", robot="allegro", task="grasp_lift", method="track", seed=0,
                   agent_steps=64, num_envs=2, method_spec={"checkpoint": str(checkpoint)})
    env = VecEnv.build(spec, load_registry())
    assert env.term_names[0] == "track" and env.term_names[-1] == "energy"
    result = env.step(torch.rand(2, env.num_actions) * 2 - 1)
    assert torch.isfinite(result.reward).all()
    history = env.method.history
    assert history.inputs().attention_mask[0].tolist() == [0] * (CL - 2) + [1, 1]
    # One more step by hand: the reward compares the pre-step prediction with the reached tips.
    predicted = history.predict()
    state = env.engine.step(torch.rand(2, env.num_actions) * 2 - 1)
    values = rewards(env.method, env.task.update(state))
    assert torch.allclose(values["track"], -(predicted - state.keypoints).abs().mean(dim=(1, 2)))
    assert history.inputs().attention_mask[0].tolist() == [0] * (CL - 3) + [1, 1, 1]


def test_the_fingertip_targets_are_the_next_steps_prediction_and_change_nothing(checkpoint):
    method = make_track(checkpoint)
    reset, after_one = hand_made_state(0), hand_made_state(1)
    method.begin(torch.arange(N), reset)
    before = {name: getattr(method.history, name).clone() for name in ("fingertips", "mask")}
    targets = method.fingertip_targets()
    assert targets.shape == (N, 4, 3)
    assert all(torch.equal(getattr(method.history, k), v) for k, v in before.items())
    # The next step's r_track compares the reached fingertips with exactly these targets.
    reward = rewards(method, method.task.update(after_one))["track"]
    assert torch.allclose(reward, -(targets - after_one.keypoints).abs().mean(dim=(1, 2)))


class OwnTrackTerm(HandMadeTask):
    """A task whose sparse group already holds a term named like track's own."""

    name = "own_track_term"

    def reward_terms(self):
        return {"task": (RewardTerm("track", lifted, 1.0),), "dense": ()}


def test_track_names_its_incompatibilities_before_setup_and_setup_refuses_them():
    no_ring = Allegro.Spec(synthetic_keypoints=())
    method = Track(Track.Spec())
    assert method.check_compatible(HandMadeTask(TaskSpec()), Allegro.Spec()) == []
    problems = method.check_compatible(OwnTrackTerm(TaskSpec()), no_ring)
    assert len(problems) == 1 and "plays no human fingertip [16] and synthesises none" in problems[0]
    # The harness checks the terms' names, before setup (the planner) and when a run starts.
    clash = reward_problems(method, OwnTrackTerm(TaskSpec()))
    assert len(clash) == 1 and "share the name 'track' (terms: track, track, energy)" in clash[0]
    # A caller that did not plan gets the same problems from setup, before any predictor loads.
    with pytest.raises(TrackbenchError, match=r"method 'track': it maps .* fingertip \[16\]"):
        method.setup(HandMadeTask(TaskSpec()), no_ring, N)


class OnlyInThisRegistry(Transformer):
    """A predictor the installed plugins do not register: only a registry handed over has it."""

    name = "only_in_this_registry"


def test_track_takes_its_predictor_from_the_registry_of_its_run_context(tmp_path):
    registry = load_registry()
    registry.add("predictors", OnlyInThisRegistry, "tests", "test_track")
    assert registry.problems == []
    torch.manual_seed(0)
    path = OnlyInThisRegistry(TransformerSpec()).save(tmp_path / "own.pt")
    task = HandMadeTask(TaskSpec())
    task.setup(Allegro.Spec(), N)
    spec = Track.Spec(predictor=OnlyInThisRegistry.name, checkpoint=str(path))
    method = Track(spec)
    method.setup(task, Allegro.Spec(), N, RunContext(registry))
    assert type(method.history.predictor) is OnlyInThisRegistry
    # The installed plugins lack it: had track loaded a registry of its own, this is what it got.
    with pytest.raises(TrackbenchError, match="only_in_this_registry"):
        Track(spec).setup(task, Allegro.Spec(), N, RunContext(REGISTRY))
    with pytest.raises(RuntimeError, match="needs the run's context"):
        Track(spec).setup(task, Allegro.Spec(), N)


# ---- hand_shape=human_rest ----------------------------------------------------------------------
REST_SHAPES = torch.tensor([[[0.04, 0.0, 0.0], [0.01, 0.02, 0.0], [0.0, 0.0, 0.0],
                             [-0.02, 0.01, 0.0], [-0.03, -0.03, 0.0]]])  # [1, 5, 3], centred


def test_human_rest_shows_pi_h_the_rest_shape_and_resumes_with_the_episodes_offsets(
        checkpoint, monkeypatch):
    monkeypatch.setattr("trackbench.api.training_rest_shapes", lambda registry, predictor:
                        REST_SHAPES)
    method = make_track(checkpoint, hand_shape="human_rest", form="progress")
    reset, after_one, after_two = hand_made_state(0), hand_made_state(1), hand_made_state(2)
    method.begin(torch.arange(N), reset)
    seen = method.history.inputs().fingertips[:, -1]  # [N, 5, 3]: the rest shape, robot centroid
    assert torch.allclose(seen - seen.mean(dim=1, keepdim=True), REST_SHAPES.expand(N, -1, -1),
                          atol=1e-6)
    assert torch.allclose(seen.mean(dim=1), human(reset.keypoints).mean(dim=1), atol=1e-6)
    first = rewards(method, method.task.update(after_one))["track"]
    # progress form: the prediction, shifted back, against the robot's own fingertips
    predicted = method.history.to_robot(method.history.predict_human())
    assert torch.allclose(method.history.newest_robot_tips(), after_one.keypoints, atol=1e-6)
    assert first.shape == (N,) and torch.isfinite(first).all()
    saved = method.state_dict()
    assert torch.equal(saved["history"]["offsets"], method.history.offsets)
    resumed = make_track(checkpoint, hand_shape="human_rest", form="progress")
    resumed.begin(torch.arange(N), hand_made_state(7))  # other offsets until the state comes back
    resumed.load_state_dict(saved)
    assert torch.equal(resumed.history.offsets, method.history.offsets)
    assert torch.allclose(resumed.history.predict(), predicted, atol=1e-6)
    frame = method.task.update(after_two)
    assert torch.allclose(rewards(resumed, frame)["track"], rewards(method, frame)["track"])


def test_human_rest_needs_a_checkpoint_that_names_its_training_data(checkpoint):
    spec = Track.Spec(checkpoint=str(checkpoint), hand_shape="human_rest")
    with pytest.raises(TrackbenchError, match="hand_shape=human_rest .* names no training dataset"):
        Track.check_spec(spec, REGISTRY)
    Track.check_spec(Track.Spec(checkpoint=str(checkpoint)), REGISTRY)  # robot: nothing to read


def test_a_run_written_before_hand_shape_ran_the_robots_own_shape():
    from trackbench.harness.specs import cache_key_values

    spec = Track.Spec()
    assert spec.hand_shape == "robot" and "hand_shape" not in cache_key_values(spec)


def test_a_resume_refuses_rest_shapes_that_changed(checkpoint, monkeypatch):
    monkeypatch.setattr("trackbench.api.training_rest_shapes", lambda registry, predictor:
                        REST_SHAPES)
    method = make_track(checkpoint, hand_shape="human_rest")
    method.begin(torch.arange(N), hand_made_state(0))
    saved = method.state_dict()
    monkeypatch.setattr("trackbench.api.training_rest_shapes", lambda registry, predictor:
                        REST_SHAPES + 0.001)  # the data Π_h was trained on changed
    changed = make_track(checkpoint, hand_shape="human_rest")
    changed.begin(torch.arange(N), hand_made_state(0))
    with pytest.raises(TrackbenchError, match="rest shapes .* not the ones this run was trained"):
        changed.load_state_dict(saved)
    plain = make_track(checkpoint)  # a robot-shape run's state (and one written before the
    plain.begin(torch.arange(N), hand_made_state(0))  # setting existed) has no rest shapes
    state = plain.state_dict()
    del state["rest_shapes_sha256"]
    make_track(checkpoint).load_state_dict(state)


def test_human_rest_names_why_it_reads_a_data_folder_that_is_gone(tmp_path):
    torch.manual_seed(0)
    path = Transformer(TransformerSpec(width=16, heads=2, depth=1, pointnet_width=8)).save(
        tmp_path / "pi.pt", dataset={"name": "trackr", "spec": {"path": str(tmp_path / "gone")}})
    spec = Track.Spec(checkpoint=str(path), hand_shape="human_rest")
    with pytest.raises(TrackbenchError, match=r"hand_shape=human_rest .* as checkpoint .*pi\.pt "
                       r"names it, and cannot read it here: .*gone does not exist.*hand_shape=robot"):
        Track.check_spec(spec, REGISTRY)


def test_human_rest_runs_in_the_vec_env_with_the_rest_shapes_of_its_training_data(tmp_path):
    """End to end: the rest shapes come from the data the checkpoint names (a tiny synthetic
    set), every env's Π_h input has one of them as its shape, and r_track is finite."""
    from trackbench.harness.env import VecEnv
    from trackbench.harness.prediction_history import human_rest_shapes
    from trackbench.harness.predictors.probe import human_sequences
    from trackbench.harness.specs import RunSpec

    torch.manual_seed(0)
    data = {"name": "synthetic", "spec": {"num_sequences": 4, "objects": ["036_wood_block"],
                                          "max_objects": 1}}
    path = Transformer(TransformerSpec(width=16, heads=2, depth=1, pointnet_width=8)).save(
        tmp_path / "pi.pt", dataset=data)
    spec = RunSpec(engine="mujoco", robot="allegro", task="grasp_lift", method="track", seed=0,
                   agent_steps=64, num_envs=2,
                   method_spec={"checkpoint": str(path), "hand_shape": "human_rest"})
    env = VecEnv.build(spec, REGISTRY)
    result = env.step(torch.rand(2, env.num_actions) * 2 - 1)
    assert torch.isfinite(result.reward).all()
    history = env.method.history
    rest = human_rest_shapes(human_sequences(REGISTRY, history.predictor, 200)[1])
    reset_frame = history.inputs().fingertips[:, 0]  # the padded slots still hold the reset frame
    shapes = reset_frame - reset_frame.mean(dim=1, keepdim=True)
    assert all((shape - rest).norm(dim=-1).mean(dim=-1).min() < 1e-5 for shape in shapes)


def test_an_ensemble_tracks_the_mean_of_its_members_predictions(checkpoint, tmp_path):
    torch.manual_seed(1)
    other = Transformer(TransformerSpec()).save(tmp_path / "other.pt")
    method = make_track(checkpoint, ensemble=[str(other)])
    models = [load_predictor(path, REGISTRY) for path in (checkpoint, other)]
    reset, after_one, after_two = hand_made_state(0), hand_made_state(1), hand_made_state(2)
    method.begin(torch.arange(N), reset)
    for history, reached in (([reset], after_one), ([reset, after_one], after_two)):
        reward = rewards(method, method.task.update(reached))["track"]
        each = [expected_prediction(model, history) for model in models]
        assert not torch.allclose(each[0], each[1], atol=1e-4)  # two different Π_h
        predicted = (each[0] + each[1]) / 2
        expected = -(predicted - reached.keypoints).abs().mean(dim=(1, 2))
        assert torch.allclose(reward, expected, atol=1e-6)
    # A resume restores the history (object features of both members) and predicts on.
    saved = method.state_dict()
    again = make_track(checkpoint, ensemble=[str(other)])
    again.load_state_dict(saved)
    assert torch.allclose(again.history.predict(), method.history.predict())
    # Another ensemble is another Π_h: the resume is refused.
    single = make_track(checkpoint)
    with pytest.raises(TrackbenchError, match="not the one this run was trained with"):
        single.load_state_dict(saved)


@pytest.mark.parametrize("fields, message", [
    ({"checkpoint": None, "ensemble": ["{ckpt}"]}, "set checkpoint too"),
    ({"ensemble": ["{tmp}/missing.pt"]}, "missing.pt does not exist"),
    ({"ensemble": ["{ckpt}"], "hand_shape": "human_rest"}, "ensemble needs hand_shape=robot"),
])
def test_an_ensemble_is_checked_when_its_spec_is_made(checkpoint, tmp_path, fields, message):
    filled = {key: (value if not isinstance(value, list) else
                    [v.format(ckpt=checkpoint, tmp=tmp_path) for v in value])
              for key, value in fields.items()}
    with pytest.raises(ValueError, match=message):
        Track.Spec(**{"checkpoint": str(checkpoint), **filled})


def test_an_ensemble_member_of_an_unknown_predictor_is_refused_at_plan_time(checkpoint, tmp_path):
    saved = torch.load(checkpoint, weights_only=False)
    saved["metadata"]["predictor"] = "transformr"
    torch.save(saved, tmp_path / "odd.pt")
    spec = Track.Spec(checkpoint=str(checkpoint), ensemble=[str(tmp_path / "odd.pt")])
    with pytest.raises(TrackbenchError, match=r"odd\.pt: .*transformr"):
        Track.check_spec(spec, REGISTRY)


def test_a_run_written_before_ensemble_ran_one_predictor():
    from trackbench.harness.specs import BEFORE_KEY

    assert Track.Spec.model_fields["ensemble"].json_schema_extra[BEFORE_KEY] == []
