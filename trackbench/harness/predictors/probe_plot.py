"""The probe's picture: predicted fingertip paths of a few envs, top view (x–y) beside side view
(x–z), with the objects' cloud centroids (squares; the target filled) and the start points
(rings). Drawn with the repo's own raster plotter (``trackbench.harness.plot``)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from trackbench.harness.plot import BLACK, GREY, PALETTE, Canvas
from trackbench.harness.png import write_png

PANEL = 420  # px, each view is square
MARGIN, TOP, BOTTOM = 50, 60, 50
WIDTH, HEIGHT = 3 * MARGIN + 2 * PANEL, TOP + PANEL + BOTTOM
MAX_ENVS = 4


def draw(title: str, tips: np.ndarray, objects: np.ndarray) -> np.ndarray:
    """RGB [HEIGHT, WIDTH, 3]. tips [S + 1, n, K, 3]: fingertip paths (m) of n ≤ MAX_ENVS envs,
    row 0 the start; objects [n, n_obj, 3]: object centroids, object 0 the target."""
    canvas = Canvas(WIDTH, HEIGHT)
    canvas.text(WIDTH // 2, 12, title, anchor="center")
    for panel, (axis, name) in enumerate(((1, "top view: x-y"), (2, "side view: x-z"))):
        left = MARGIN + panel * (PANEL + MARGIN)
        coords = [tips[..., [0, axis]].reshape(-1, 2), objects[..., [0, axis]].reshape(-1, 2)]
        low, high = _square_bounds(np.concatenate(coords))
        _frame(canvas, left, name, low, high, axis)

        def px(xy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            u = left + (xy[..., 0] - low[0]) / (high[0] - low[0]) * PANEL
            v = TOP + PANEL - (xy[..., 1] - low[1]) / (high[1] - low[1]) * PANEL
            return u, v

        for env in range(tips.shape[1]):
            color = PALETTE[env % len(PALETTE)]
            for tip in range(tips.shape[2]):
                u, v = px(tips[:, env, tip][:, [0, axis]])
                canvas.line(u, v, color, width=1)
                _ring(canvas, int(u[0]), int(v[0]), color)
            for k in range(objects.shape[1]):
                u, v = px(objects[env, k][[0, axis]])
                size = 5 if k == 0 else 3
                canvas.rect(int(u) - size, int(v) - size, int(u) + size + 1, int(v) + size + 1,
                            color if k == 0 else GREY)
    canvas.text(MARGIN, HEIGHT - 22, "lines: fingertip paths  rings: start  "
                "squares: target, grey: others")
    return canvas.image


def write(path: Path, title: str, tips: np.ndarray, objects: np.ndarray) -> Path:
    """Draw and write the PNG atomically (``write_png``); returns ``path``."""
    write_png(path, draw(title, tips, objects))
    return path


def _square_bounds(points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Equal-scale bounds (m) around the points, 10 % padding, at least 10 cm wide."""
    finite = points[np.isfinite(points).all(axis=1)]
    if not len(finite):
        finite = np.zeros((1, 2))
    low, high = finite.min(axis=0), finite.max(axis=0)
    centre, half = (low + high) / 2, max(float((high - low).max()) * 0.55, 0.05)
    return centre - half, centre + half


def _frame(canvas: Canvas, left: int, name: str, low: np.ndarray, high: np.ndarray,
           axis: int) -> None:
    canvas.rect(left, TOP, left + PANEL, TOP + 1, BLACK)
    canvas.rect(left, TOP + PANEL, left + PANEL, TOP + PANEL + 1, BLACK)
    canvas.rect(left, TOP, left + 1, TOP + PANEL, BLACK)
    canvas.rect(left + PANEL, TOP, left + PANEL + 1, TOP + PANEL + 1, BLACK)
    canvas.text(left + PANEL // 2, TOP - 20, name, anchor="center")
    label = "y" if axis == 1 else "z"
    canvas.text(left, TOP + PANEL + 6, f"x {low[0]:.2f}", scale=1)
    canvas.text(left + PANEL, TOP + PANEL + 6, f"{high[0]:.2f} m", scale=1, anchor="right")
    canvas.text(left + 4, TOP + 4, f"{label} {high[1]:.2f}", scale=1)
    canvas.text(left + 4, TOP + PANEL - 10, f"{label} {low[1]:.2f}", scale=1)


def _ring(canvas: Canvas, u: int, v: int, color, radius: int = 4) -> None:
    angles = np.linspace(0, 2 * np.pi, 24)
    canvas.line(u + radius * np.cos(angles), v + radius * np.sin(angles), color, width=1)
