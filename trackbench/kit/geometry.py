"""Small rigid-body helpers shared by plugins (numpy only; no scipy on purpose).

Rotations are 3×3 matrices acting on column vectors (``p_world = R @ p_local + t``); quaternions
are (x, y, z, w), the order DexYCB's ``pose.npz`` uses.
"""

from __future__ import annotations

import numpy as np


def quat_xyzw_to_matrix(quat: np.ndarray) -> np.ndarray:
    """[..., 4] unit quaternions (x, y, z, w) → [..., 3, 3] rotation matrices."""
    q = np.asarray(quat, dtype=np.float64)
    q = q / np.linalg.norm(q, axis=-1, keepdims=True)
    x, y, z, w = np.moveaxis(q, -1, 0)
    return np.stack([
        np.stack([1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)], -1),
        np.stack([2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)], -1),
        np.stack([2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)], -1),
    ], -2)


def matrix_to_quat_xyzw(matrix: np.ndarray) -> np.ndarray:
    """[3, 3] rotation matrix → unit quaternion (x, y, z, w) with w ≥ 0."""
    m = np.asarray(matrix, dtype=np.float64)
    # Shepperd's method: branch on the largest diagonal term for numerical stability.
    trace = np.trace(m)
    if trace > 0:
        s = 2.0 * np.sqrt(1.0 + trace)
        q = [(m[2, 1] - m[1, 2]) / s, (m[0, 2] - m[2, 0]) / s, (m[1, 0] - m[0, 1]) / s, s / 4]
    else:
        i = int(np.argmax(np.diag(m)))
        j, k = (i + 1) % 3, (i + 2) % 3
        s = 2.0 * np.sqrt(1.0 + m[i, i] - m[j, j] - m[k, k])
        q = [0.0, 0.0, 0.0, (m[k, j] - m[j, k]) / s]
        q[i] = s / 4
        q[j] = (m[j, i] + m[i, j]) / s
        q[k] = (m[k, i] + m[i, k]) / s
    q = np.asarray(q)
    return q if q[3] >= 0 else -q


def slerp_matrices(start: np.ndarray, end: np.ndarray, fraction: np.ndarray) -> np.ndarray:
    """Rotations [len(fraction), 3, 3] along the shortest arc from `start` to `end`."""
    q0, q1 = matrix_to_quat_xyzw(start), matrix_to_quat_xyzw(end)
    if np.dot(q0, q1) < 0:
        q1 = -q1
    angle = np.arccos(np.clip(np.dot(q0, q1), -1.0, 1.0))
    f = np.asarray(fraction, dtype=np.float64)[:, None]
    if angle < 1e-6:
        q = (1 - f) * q0 + f * q1
    else:
        q = (np.sin((1 - f) * angle) * q0 + np.sin(f * angle) * q1) / np.sin(angle)
    return quat_xyzw_to_matrix(q)


def rotation_z(angle: float) -> np.ndarray:
    c, s = np.cos(angle), np.sin(angle)
    return np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])


def rotation_about(axis, angle: float) -> np.ndarray:
    """Rodrigues: rotation by `angle` (rad) about unit-normalised `axis`."""
    k = np.asarray(axis, dtype=np.float64)
    k = k / np.linalg.norm(k)
    cross = np.array([[0, -k[2], k[1]], [k[2], 0, -k[0]], [-k[1], k[0], 0]])
    return np.eye(3) + np.sin(angle) * cross + (1 - np.cos(angle)) * cross @ cross


def minimum_jerk(time: np.ndarray, start: float, duration: float) -> np.ndarray:
    """Flash & Hogan's rest-to-rest profile 10τ³ − 15τ⁴ + 6τ⁵, 0 before `start`, 1 after."""
    tau = np.clip((np.asarray(time, dtype=np.float64) - start) / duration, 0.0, 1.0)
    return tau ** 3 * (10 - 15 * tau + 6 * tau ** 2)


def sample_surface(
    vertices: np.ndarray, faces: np.ndarray, count: int, seed: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Area-weighted uniform samples [count, 3] on a triangle mesh and their unit face normals.

    Normals follow the faces' winding (counter-clockwise = outward for the YCB scans).
    """
    a, b, c = (vertices[faces[:, k]] for k in range(3))
    cross = np.cross(b - a, c - a)
    areas = 0.5 * np.linalg.norm(cross, axis=1)
    rng = np.random.default_rng(seed)
    face = rng.choice(len(faces), size=count, p=areas / areas.sum())
    r1, r2 = rng.random((2, count, 1))
    s = np.sqrt(r1)  # (1 - s, s (1 - r2), s r2) is uniform on the triangle
    points = (1 - s) * a[face] + s * (1 - r2) * b[face] + s * r2 * c[face]
    normals = cross[face] / np.maximum(np.linalg.norm(cross[face], axis=1, keepdims=True), 1e-12)
    return points, normals


def nearest_indices(queries: np.ndarray, points: np.ndarray, chunk: int = 8192) -> np.ndarray:
    """Index of the nearest row of `points` [P, 3] for each query [Q, 3] (brute force, chunked).

    argmin_p |q − p|² = argmin_p (|p|² − 2 q·p): one matrix product per chunk, in float32.
    """
    p = points.astype(np.float32)
    weights = np.concatenate([-2.0 * p, (p * p).sum(1, keepdims=True)], axis=1).T  # [4, P]
    q = np.concatenate([queries.reshape(-1, 3), np.ones((queries.size // 3, 1))], axis=1)
    q = q.astype(np.float32)
    out = np.empty(len(q), dtype=np.int64)
    for start in range(0, len(q), chunk):
        out[start:start + chunk] = np.argmin(q[start:start + chunk] @ weights, axis=1)
    return out.reshape(queries.shape[:-1])


def rigid_fit(source: np.ndarray, target: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Kabsch: rotation R and translation t minimising |R source + t − target| (rows: points)."""
    mu_s, mu_t = source.mean(0), target.mean(0)
    u, _, vt = np.linalg.svd((source - mu_s).T @ (target - mu_t))
    d = np.sign(np.linalg.det(vt.T @ u.T))
    rotation = vt.T @ np.diag([1.0, 1.0, d]) @ u.T
    return rotation, mu_t - rotation @ mu_s
