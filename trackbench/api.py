"""The one module a plugin imports: everything trackbench offers plugin authors, by name.

A plugin module imports from ``trackbench.api`` (and ``hookimpl`` from ``trackbench``, which
stays cheap for a ``hooks.py``) and from modules of its own package; nothing else of trackbench,
and never another plugin package (``tests/test_plugin_boundary.py`` checks every built-in
plugin). Every other trackbench module is host-internal and may change without notice::

    from trackbench import hookimpl
    from trackbench.api import RobotSpec, XArm7MountedHand, add_capsule, xarm7_joints

Importing this module imports torch and MuJoCo (the contracts and the kit need them), so the
CLI's ``--help`` path never imports it. The names live where the host defines them
(``trackbench/harness/``) or in the kit (``trackbench/kit/``); this module only gathers them.
"""

from trackbench import hookimpl

# ---- plugin contracts: base classes and their specs -------------------------------------------
from trackbench.harness.dataset import Dataset, DatasetSpec, HumanSequence
from trackbench.harness.engine import Engine, EngineSpec
from trackbench.harness.method import Method, MethodSpec
from trackbench.harness.predictor import Predictor, PredictorInput, PredictorSpec
from trackbench.harness.robot import JointSpec, KeypointSpec, Robot, RobotSpec, SyntheticKeypoint
from trackbench.harness.specs import (
    MAX_LAYERS, MAX_UNITS, FrozenSpec, LayerUnits, LowHigh, PluginSpec,
)
from trackbench.harness.specs import added_setting, with_preset
from trackbench.harness.start_stages import StartStage, start_mix_problem, stages_problem
from trackbench.harness.task import ResetPlan, Task, TaskFrame, TaskSpec

# ---- what the host hands plugins ----------------------------------------------------------------
from trackbench.harness.errors import NonFiniteError, TrackbenchError, unknown_name_error
from trackbench.harness.context import RunContext
from trackbench.harness.registry import Registry  # for annotations: Method.check_spec's registry
from trackbench.harness.state import State

# ---- scenes: what a task hands an engine, and the table every task stands on --------------------
from trackbench.harness.scene import (
    Scene, TrackedObject, add_stage, add_table, box_points, table_with_box,
)

# ---- rewards: the term type and how methods compose terms ---------------------------------------
from trackbench.harness.rewards import ENERGY_TERMS, RewardTerm, energy_terms, evaluate
# Where the fingertips sit on the target (grip rewards and grip checks read the same distances).
from trackbench.harness.grip import GRIP_DISTANCE, gripped, thumb_and_finger, tip_surface_distances

# ---- conventions --------------------------------------------------------------------------------
# World frame: origin at the table-top centre, z up, metres (TABLE_TOP_Z is the table top's z).
from trackbench.harness.scene import TABLE_TOP_Z
# Human keypoints: the 21-joint MANO / DexYCB order (0 wrist; thumb 1-4, index 5-8, middle 9-12,
# ring 13-16, little 17-20); fingertips 4, 8, 12, 16, 20; the 20 bones as (parent, child) pairs.
from trackbench.harness.dataset import HAND_BONES, NUM_HAND_JOINTS
from trackbench.harness.predictor import NUM_FINGERTIPS
from trackbench.harness.robot import HUMAN_FINGERTIPS
# Time: human sequences are resampled to the policy rate; files may declare rates in this range.
from trackbench.harness.dataset import (
    FRAME_RATE_RANGE_HZ, METHOD_PATH_HINT, NOT_YCB_ID, PATH_HINT, POLICY_HZ, SPLITS,
)
# Collision groups: robot geoms touch the world and objects, never each other.
from trackbench.harness.scene import (
    ROBOT_CONAFFINITY, ROBOT_CONTYPE, WORLD_CONAFFINITY, WORLD_CONTYPE,
)
# Object ids: DexYCB class ids 1..21 → YCB names (0 is the predictor's padding id).
from trackbench.kit.ycb import YCB_CLASSES

# ---- the kit: reusable models and helpers (trackbench/kit/) -------------------------------------
# MJCF helpers for writing robot models with MjSpec from URDF tables.
from trackbench.kit.mjcf import add_box, add_capsule, add_hinge, add_link, add_sphere, rpy_to_quat
# The xArm7 arm, and the base class of every hand mounted on its flange.
from trackbench.kit.xarm7 import WRIST_SITE, XArm7MountedHand, xarm7_joints
# The 21 DexYCB objects as MuJoCo bodies (a module: ycb.add_object, ycb.tracked_object, ...).
from trackbench.kit import ycb
# The paper's cabinet (a module: cabinet.add_cabinet, cabinet.handle_points, its dimensions).
from trackbench.kit import cabinet
# Rigid-body geometry (numpy): rotations, quaternions (x, y, z, w), surface sampling, fitting.
from trackbench.kit.geometry import (
    matrix_to_quat_xyzw, minimum_jerk, nearest_indices, quat_xyzw_to_matrix, rigid_fit,
    rotation_about, rotation_z, sample_surface, slerp_matrices,
)
# Reset noise around a robot's default pose, as the paper's code resets.
from trackbench.harness.task import randomized_joints

# ---- services for engines: the control law and blow-up rule every engine applies ----------------
from trackbench.harness.control import ControlLaw, joint_targets
from trackbench.harness.instability import unstable_envs

# ---- services for datasets: roots, resampling, safe reading, atomic writing ---------------------
from trackbench.harness.atomic import atomic_path
from trackbench.harness.dataset import checked_dataset_spec, dataset_root, resample
from trackbench.harness.safe_load import load_plain_npy

# ---- services for methods and predictors: Π_h, its history, its checkpoints ---------------------
from trackbench.harness.prediction_history import (
    REST_SHAPE_SEQUENCES, FingertipMap, HandShape, PredictionHistory, fingertip_map_problems,
    human_rest_shapes,
)
from trackbench.harness.predictors.probe import training_rest_shapes
from trackbench.harness.predictor import load_predictor, read_checkpoint
from trackbench.harness.predictors.training import train_predictor
from trackbench.harness.predictors.ensemble import MeanPredictor
from trackbench.harness.predictors.workflow import cached_predictor

# ---- services for methods that learn from demonstrations: retargeting, demos, the policy ------
from trackbench.harness.demonstrations import Demonstrations, cached_demonstrations
from trackbench.harness.retarget import Retargeter, RetargetSettings, retarget_problems
from trackbench.harness.training.likelihood import PolicyLikelihood

# ---- checkpoints of a plugin's own state (state_dict / load_state_dict) -------------------------
from trackbench.harness.snapshot import capture, restore

__all__ = [
    # registration
    "hookimpl",
    # plugin contracts
    "Dataset", "DatasetSpec", "HumanSequence",
    "Engine", "EngineSpec",
    "Method", "MethodSpec",
    "Predictor", "PredictorInput", "PredictorSpec",
    "JointSpec", "KeypointSpec", "Robot", "RobotSpec", "SyntheticKeypoint",
    "ResetPlan", "Task", "TaskFrame", "TaskSpec",
    "StartStage", "start_mix_problem", "stages_problem",
    "FrozenSpec", "PluginSpec", "LayerUnits", "LowHigh", "MAX_LAYERS", "MAX_UNITS", "with_preset",
    "added_setting",
    # what the host hands plugins
    "NonFiniteError", "TrackbenchError", "unknown_name_error", "Registry", "RunContext", "State",
    # scenes
    "Scene", "TrackedObject", "add_stage", "add_table", "box_points", "table_with_box",
    # rewards
    "ENERGY_TERMS", "RewardTerm", "energy_terms", "evaluate",
    "GRIP_DISTANCE", "gripped", "thumb_and_finger", "tip_surface_distances",
    # conventions
    "TABLE_TOP_Z", "HAND_BONES", "NUM_HAND_JOINTS", "NUM_FINGERTIPS", "HUMAN_FINGERTIPS",
    "FRAME_RATE_RANGE_HZ", "METHOD_PATH_HINT", "NOT_YCB_ID", "PATH_HINT", "POLICY_HZ", "SPLITS",
    "ROBOT_CONAFFINITY", "ROBOT_CONTYPE", "WORLD_CONAFFINITY", "WORLD_CONTYPE", "YCB_CLASSES",
    # the kit
    "add_box", "add_capsule", "add_hinge", "add_link", "add_sphere", "rpy_to_quat",
    "WRIST_SITE", "XArm7MountedHand", "xarm7_joints",
    "ycb", "cabinet",
    "matrix_to_quat_xyzw", "minimum_jerk", "nearest_indices", "quat_xyzw_to_matrix", "rigid_fit",
    "rotation_about", "rotation_z", "sample_surface", "slerp_matrices",
    "randomized_joints",
    # services for engines
    "ControlLaw", "joint_targets", "unstable_envs",
    # services for datasets
    "atomic_path", "checked_dataset_spec", "dataset_root", "resample", "load_plain_npy",
    # services for methods and predictors
    "FingertipMap", "PredictionHistory", "fingertip_map_problems", "load_predictor",
    "HandShape", "REST_SHAPE_SEQUENCES", "human_rest_shapes", "training_rest_shapes",
    "read_checkpoint", "train_predictor", "cached_predictor", "MeanPredictor",
    # services for methods that learn from demonstrations
    "Demonstrations", "cached_demonstrations", "Retargeter", "RetargetSettings",
    "retarget_problems", "PolicyLikelihood",
    # plugin state in checkpoints
    "capture", "restore",
]
