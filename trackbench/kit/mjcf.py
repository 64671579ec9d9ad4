"""Small helpers for writing robot models with MjSpec from published URDF tables."""

from __future__ import annotations

import math

import mujoco
import numpy as np

from trackbench.harness.scene import ROBOT_CONAFFINITY, ROBOT_CONTYPE


def rpy_to_quat(roll: float, pitch: float, yaw: float) -> list[float]:
    """URDF fixed-axis roll-pitch-yaw (R = Rz·Ry·Rx) → MuJoCo quaternion (w, x, y, z)."""
    cr, sr = math.cos(roll / 2), math.sin(roll / 2)
    cp, sp = math.cos(pitch / 2), math.sin(pitch / 2)
    cy, sy = math.cos(yaw / 2), math.sin(yaw / 2)
    return [
        cr * cp * cy + sr * sp * sy,
        sr * cp * cy - cr * sp * sy,
        cr * sp * cy + sr * cp * sy,
        cr * cp * sy - sr * sp * cy,
    ]


def add_link(
    parent: mujoco.MjsBody,
    name: str,
    pos=(0.0, 0.0, 0.0),
    quat=(1.0, 0.0, 0.0, 0.0),
) -> mujoco.MjsBody:
    return parent.add_body(name=name, pos=list(pos), quat=list(quat))


def add_hinge(body: mujoco.MjsBody, name: str, axis, lower: float, upper: float, **extra):
    return body.add_joint(
        name=name,
        type=mujoco.mjtJoint.mjJNT_HINGE,
        axis=list(axis),
        range=[lower, upper],
        limited=mujoco.mjtLimited.mjLIMITED_TRUE,
        **extra,
    )


def add_capsule(
    body: mujoco.MjsBody, start, end, radius: float, mass: float, rgba=(0.7, 0.7, 0.7, 1.0), name=""
) -> mujoco.MjsGeom:
    """A robot capsule from `start` to `end` (body frame) carrying `mass` kg."""
    start, end = np.asarray(start, float), np.asarray(end, float)
    if np.linalg.norm(end - start) < 1e-6:  # degenerate: a sphere
        return add_sphere(body, start, radius, mass, rgba, name)
    return body.add_geom(
        name=name,
        type=mujoco.mjtGeom.mjGEOM_CAPSULE,
        fromto=np.concatenate([start, end]).tolist(),
        size=[radius, 0, 0],
        mass=mass,
        rgba=list(rgba),
        contype=ROBOT_CONTYPE,
        conaffinity=ROBOT_CONAFFINITY,
    )


def add_sphere(body, pos, radius: float, mass: float, rgba=(0.7, 0.7, 0.7, 1.0), name=""):
    return body.add_geom(
        name=name,
        type=mujoco.mjtGeom.mjGEOM_SPHERE,
        pos=list(pos),
        size=[radius, 0, 0],
        mass=mass,
        rgba=list(rgba),
        contype=ROBOT_CONTYPE,
        conaffinity=ROBOT_CONAFFINITY,
    )


def add_box(body, pos, half_sizes, mass: float, rgba=(0.7, 0.7, 0.7, 1.0), quat=(1, 0, 0, 0), name=""):
    return body.add_geom(
        name=name,
        type=mujoco.mjtGeom.mjGEOM_BOX,
        pos=list(pos),
        quat=list(quat),
        size=list(half_sizes),
        mass=mass,
        rgba=list(rgba),
        contype=ROBOT_CONTYPE,
        conaffinity=ROBOT_CONAFFINITY,
    )
