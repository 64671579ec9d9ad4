"""Text and a status band drawn into RGB frames, with a built-in 3×5 pixel font.

The project keeps image libraries out of its dependencies (see png.py), and a video's overlay
needs only capitals, digits and a few signs: each glyph is 5 rows of 3 pixels, scaled by a whole
factor. Characters without a glyph are drawn as '?'.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

GLYPH_WIDTH, GLYPH_HEIGHT = 3, 5

# Rows top to bottom, '#' = ink.
_GLYPHS = {
    "0": "### #.# #.# #.# ###", "1": ".#. ##. .#. .#. ###", "2": "### ..# ### #.. ###",
    "3": "### ..# .## ..# ###", "4": "#.# #.# ### ..# ..#", "5": "### #.. ### ..# ###",
    "6": "### #.. ### #.# ###", "7": "### ..# .#. .#. .#.", "8": "### #.# ### #.# ###",
    "9": "### #.# ### ..# ###",
    "A": ".#. #.# ### #.# #.#", "B": "##. #.# ##. #.# ##.", "C": ".## #.. #.. #.. .##",
    "D": "##. #.# #.# #.# ##.", "E": "### #.. ##. #.. ###", "F": "### #.. ##. #.. #..",
    "G": ".## #.. #.# #.# .##", "H": "#.# #.# ### #.# #.#", "I": "### .#. .#. .#. ###",
    "J": "..# ..# ..# #.# .#.", "K": "#.# #.# ##. #.# #.#", "L": "#.. #.. #.. #.. ###",
    "M": "#.# ### ### #.# #.#", "N": "##. #.# #.# #.# #.#", "O": ".#. #.# #.# #.# .#.",
    "P": "##. #.# ##. #.. #..", "Q": ".#. #.# #.# ##. .##", "R": "##. #.# ##. #.# #.#",
    "S": ".## #.. .#. ..# ##.", "T": "### .#. .#. .#. .#.", "U": "#.# #.# #.# #.# ###",
    "V": "#.# #.# #.# #.# .#.", "W": "#.# #.# ### ### #.#", "X": "#.# #.# .#. #.# #.#",
    "Y": "#.# #.# .#. .#. .#.", "Z": "### ..# .#. #.. ###",
    " ": "... ... ... ... ...", "-": "... ... ### ... ...", "_": "... ... ... ... ###",
    ".": "... ... ... ... .#.", ":": "... .#. ... .#. ...", "/": "..# ..# .#. #.. #..",
    "%": "#.# ..# .#. #.. #.#", "?": "### ..# .## ... .#.",
}
GLYPHS: dict[str, np.ndarray] = {
    char: np.array([[cell == "#" for cell in row] for row in rows.split()], dtype=bool)
    for char, rows in _GLYPHS.items()
}

WHITE = (255, 255, 255)
DIM = (110, 110, 110)
SUCCESS_GREEN = (40, 150, 60)
FAILED_RED = (170, 40, 40)
BAND = (30, 30, 30)


def font_scale(height: int) -> int:
    """Pixels per font pixel for a frame ``height`` pixels tall: 1 up to 319, 2 at 320, ..."""
    return max(1, height // 160)


def text_width(text: str, scale: int) -> int:
    """Pixels the text takes: 3 per glyph plus 1 between glyphs, times ``scale``."""
    return max(0, len(text) * (GLYPH_WIDTH + 1) - 1) * scale


def draw_text(image: np.ndarray, text: str, x: int, y: int, colour: tuple[int, int, int],
              scale: int = 1) -> int:
    """Draw ``text`` (upper-cased) into ``image`` [H, W, 3] uint8 in place, top-left at (x, y)
    in pixels; what falls outside the image is clipped. Returns the x after the text."""
    height, width = image.shape[:2]
    for char in text.upper():
        glyph = GLYPHS.get(char, GLYPHS["?"])
        ink = np.kron(glyph, np.ones((scale, scale), dtype=bool))
        top, left = max(y, 0), max(x, 0)
        bottom, right = min(y + ink.shape[0], height), min(x + ink.shape[1], width)
        if top < bottom and left < right:
            region = ink[top - y:bottom - y, left - x:right - x]
            image[top:bottom, left:right][region] = colour
        x += (GLYPH_WIDTH + 1) * scale
    return x


@dataclass(frozen=True)
class Status:
    """What the band at the top of a video frame says."""

    episode: int  # 1-based
    episodes: int
    step: int  # control steps into the episode (0 = its first state)
    episode_length: int
    flags: dict[str, bool]  # the task's events so far in this episode (lift, near, ...)
    outcome: str | None = None  # "success", "failed" or "time-out" on the episode's last frames


def draw_status(image: np.ndarray, status: Status) -> None:
    """Draw the status band into ``image`` [H, W, 3] uint8 in place: 'EP 1/2 STEP 12/600' on the
    left, the task's events on the right (white once they happened, grey before), and on the
    last frames the outcome; the band turns green for a success and red for a failure."""
    scale = font_scale(image.shape[0])
    pad, margin = scale, 2 * scale  # above and below the text; left and right of the frame
    band_height = GLYPH_HEIGHT * scale + 2 * pad
    background = {"success": SUCCESS_GREEN, "failed": FAILED_RED}.get(status.outcome or "", BAND)
    image[:band_height] = background
    left = (f"EP {status.episode}/{status.episodes} "
            f"STEP {status.step}/{status.episode_length}")
    draw_text(image, left, margin, pad, WHITE, scale)
    words = [(name, WHITE if seen else DIM) for name, seen in sorted(status.flags.items())]
    if status.outcome is not None:
        words.append((status.outcome, WHITE))
    right = " ".join(name for name, _ in words)
    x = image.shape[1] - margin - text_width(right, scale)
    for name, colour in words:
        x = draw_text(image, name + " ", x, pad, colour, scale)
