"""Minimal PNG writer for RGB uint8 images (keeps Pillow out of the dependencies)."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import numpy as np

from trackbench.harness.atomic import write_bytes_atomic


def _chunk(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(
        ">I", zlib.crc32(kind + payload) & 0xFFFFFFFF
    )


def write_png(path: Path, rgb: np.ndarray) -> None:
    image = np.ascontiguousarray(rgb, dtype=np.uint8)
    if image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(f"expected an RGB image [H, W, 3], got {image.shape}")
    height, width, _ = image.shape
    rows = b"".join(b"\x00" + image[y].tobytes() for y in range(height))  # filter 0 per row
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    write_bytes_atomic(  # a report rewritten while someone views it is never torn
        path, b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", zlib.compress(rows, 6))
        + _chunk(b"IEND", b"")
    )


def read_png_size(path: Path) -> tuple[int, int]:
    """(width, height) from the IHDR chunk; used to check written images."""
    data = path.read_bytes()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError(f"{path} is not a PNG")
    return struct.unpack(">II", data[16:24])
