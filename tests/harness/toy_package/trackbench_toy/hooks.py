"""One toy plugin of every kind: names a, b (robots), t (task), m, n (methods), ..."""

import mujoco
import torch

from trackbench import hookimpl
from trackbench.api import (
    HUMAN_FINGERTIPS, ROBOT_CONAFFINITY, ROBOT_CONTYPE, WRIST_SITE, Dataset, DatasetSpec, Engine,
    EngineSpec, JointSpec, KeypointSpec, Method, MethodSpec, Predictor, PredictorSpec, ResetPlan,
    RobotSpec, Task, TaskFrame, TaskSpec, XArm7MountedHand, table_with_box, xarm7_joints,
)


class ToySpec(RobotSpec):
    arm_joints: tuple[JointSpec, ...] = xarm7_joints()
    hand_joints: tuple[JointSpec, ...] = (JointSpec(name="toy/finger", lower=0.0, upper=1.0),)
    keypoints: tuple[KeypointSpec, ...] = tuple(
        KeypointSpec(site=f"toy/tip{i}", human_index=h) for i, h in enumerate(HUMAN_FINGERTIPS)
    )
    wrist_site: str = WRIST_SITE


class RobotA(XArm7MountedHand):
    """Toy robot A: an xArm7 with a one-joint paddle."""

    name = "a"
    Spec = ToySpec

    def build_hand(self, flange):
        body = flange.add_body(name="toy/paddle", pos=[0, 0, 0.05])
        body.add_joint(name="toy/finger", type=mujoco.mjtJoint.mjJNT_HINGE, axis=[1, 0, 0],
                       range=[0, 1], armature=0.01)
        body.add_geom(type=mujoco.mjtGeom.mjGEOM_BOX, size=[0.04, 0.01, 0.05], mass=0.2,
                      contype=ROBOT_CONTYPE, conaffinity=ROBOT_CONAFFINITY)
        for i in range(len(HUMAN_FINGERTIPS)):
            body.add_site(name=f"toy/tip{i}", pos=[0.02 * i - 0.04, 0, 0.1])


class RobotB(RobotA):
    """Toy robot B."""

    name = "b"


class TaskT(Task):
    """Toy task t: a box on the table that never succeeds."""

    name = "t"

    class Spec(TaskSpec):
        height: float = 0.1

    def scenes(self):
        return (table_with_box(),)

    def reset(self, env_ids, generator):
        return ResetPlan()

    def begin(self, env_ids, state):
        pass

    def update(self, state):
        never = torch.zeros(state.num_envs, dtype=torch.bool)
        return TaskFrame(state, len(self.robot.arm_joints), never, never.clone())

    def reward_terms(self):
        return {"task": (), "dense": ()}

    def policy_points(self, state):
        return state.object_points[:, 0]

    def privileged(self, frame):
        return torch.zeros(frame.state.num_envs, 0)


def _method(method_name: str, doc: str):
    class Spec(MethodSpec):
        weight: float = 1.0

    def terms(self, task):
        return ()

    return type(f"Method_{method_name}", (Method,), {
        "name": method_name, "Spec": Spec, "__doc__": doc, "terms": terms,
    })


class ToyEngine(Engine):
    """Toy engine: holds still; no physics behind it."""

    name = "toy_engine"

    class Spec(EngineSpec):
        pass

    def reset(self, env_ids, robot_qpos=None, object_pos=None, object_quat=None):
        pass

    def step(self, actions):
        return self.state

    @property
    def state(self):
        return None

    @property
    def unstable(self):
        return None

    def render(self, env_id=0, width=640, height=480, camera=None, keypoints=True, *,
               markers=(), shadows=True):
        raise RuntimeError("the toy engine cannot render")


class ToyPredictor(Predictor):
    """Toy predictor: the fingertips stay where they are."""

    name = "toy_predictor"

    class Spec(PredictorSpec):
        width: int = 8

    def predict(self, inputs):
        return inputs.fingertips.clone()


class ToyDataset(Dataset):
    """Toy dataset: no sequences."""

    name = "toy_dataset"

    class Spec(DatasetSpec):
        path: str = ""

    def sequences(self, split=None):
        return iter(())


@hookimpl
def trackbench_register_robots():
    return [RobotA, RobotB]


@hookimpl
def trackbench_register_tasks():
    return [TaskT]


@hookimpl
def trackbench_register_methods():
    return [_method("m", "Toy method m."), _method("n", "Toy method n.")]


@hookimpl
def trackbench_register_engines():
    return [ToyEngine]


@hookimpl
def trackbench_register_predictors():
    return [ToyPredictor]


@hookimpl
def trackbench_register_datasets():
    return [ToyDataset]
