"""A tiny raster plotter on numpy RGB arrays: lines, translucent bands and 5×7 bitmap text.

Enough for learning curves without a plotting dependency; images are written with png.py.
Text is drawn in capitals (the font has no lower case).
"""

from __future__ import annotations

import numpy as np

# 5×7 glyphs, one string per row, '#' = ink. Lower-case text is drawn with these capitals.
_GLYPHS: dict[str, tuple[str, ...]] = {
    "A": (" ### ", "#   #", "#   #", "#####", "#   #", "#   #", "#   #"),
    "B": ("#### ", "#   #", "#   #", "#### ", "#   #", "#   #", "#### "),
    "C": (" ####", "#    ", "#    ", "#    ", "#    ", "#    ", " ####"),
    "D": ("#### ", "#   #", "#   #", "#   #", "#   #", "#   #", "#### "),
    "E": ("#####", "#    ", "#    ", "#### ", "#    ", "#    ", "#####"),
    "F": ("#####", "#    ", "#    ", "#### ", "#    ", "#    ", "#    "),
    "G": (" ####", "#    ", "#    ", "#  ##", "#   #", "#   #", " ### "),
    "H": ("#   #", "#   #", "#   #", "#####", "#   #", "#   #", "#   #"),
    "I": ("#####", "  #  ", "  #  ", "  #  ", "  #  ", "  #  ", "#####"),
    "J": ("  ###", "   # ", "   # ", "   # ", "   # ", "#  # ", " ##  "),
    "K": ("#   #", "#  # ", "# #  ", "##   ", "# #  ", "#  # ", "#   #"),
    "L": ("#    ", "#    ", "#    ", "#    ", "#    ", "#    ", "#####"),
    "M": ("#   #", "## ##", "# # #", "# # #", "#   #", "#   #", "#   #"),
    "N": ("#   #", "##  #", "# # #", "#  ##", "#   #", "#   #", "#   #"),
    "O": (" ### ", "#   #", "#   #", "#   #", "#   #", "#   #", " ### "),
    "P": ("#### ", "#   #", "#   #", "#### ", "#    ", "#    ", "#    "),
    "Q": (" ### ", "#   #", "#   #", "#   #", "# # #", "#  # ", " ## #"),
    "R": ("#### ", "#   #", "#   #", "#### ", "# #  ", "#  # ", "#   #"),
    "S": (" ####", "#    ", "#    ", " ### ", "    #", "    #", "#### "),
    "T": ("#####", "  #  ", "  #  ", "  #  ", "  #  ", "  #  ", "  #  "),
    "U": ("#   #", "#   #", "#   #", "#   #", "#   #", "#   #", " ### "),
    "V": ("#   #", "#   #", "#   #", "#   #", "#   #", " # # ", "  #  "),
    "W": ("#   #", "#   #", "#   #", "# # #", "# # #", "## ##", "#   #"),
    "X": ("#   #", "#   #", " # # ", "  #  ", " # # ", "#   #", "#   #"),
    "Y": ("#   #", "#   #", " # # ", "  #  ", "  #  ", "  #  ", "  #  "),
    "Z": ("#####", "    #", "   # ", "  #  ", " #   ", "#    ", "#####"),
    "0": (" ### ", "#   #", "#  ##", "# # #", "##  #", "#   #", " ### "),
    "1": ("  #  ", " ##  ", "  #  ", "  #  ", "  #  ", "  #  ", " ### "),
    "2": (" ### ", "#   #", "    #", "   # ", "  #  ", " #   ", "#####"),
    "3": ("#####", "   # ", "  #  ", "   # ", "    #", "#   #", " ### "),
    "4": ("   # ", "  ## ", " # # ", "#  # ", "#####", "   # ", "   # "),
    "5": ("#####", "#    ", "#### ", "    #", "    #", "#   #", " ### "),
    "6": ("  ## ", " #   ", "#    ", "#### ", "#   #", "#   #", " ### "),
    "7": ("#####", "    #", "   # ", "  #  ", " #   ", " #   ", " #   "),
    "8": (" ### ", "#   #", "#   #", " ### ", "#   #", "#   #", " ### "),
    "9": (" ### ", "#   #", "#   #", " ####", "    #", "   # ", " ##  "),
    " ": ("     ",) * 7,
    ".": ("     ", "     ", "     ", "     ", "     ", " ##  ", " ##  "),
    ",": ("     ", "     ", "     ", "     ", " ##  ", "  #  ", " #   "),
    ":": ("     ", " ##  ", " ##  ", "     ", " ##  ", " ##  ", "     "),
    "-": ("     ", "     ", "     ", "#####", "     ", "     ", "     "),
    "_": ("     ", "     ", "     ", "     ", "     ", "     ", "#####"),
    "+": ("     ", "  #  ", "  #  ", "#####", "  #  ", "  #  ", "     "),
    "=": ("     ", "     ", "#####", "     ", "#####", "     ", "     "),
    "/": ("    #", "    #", "   # ", "  #  ", " #   ", "#    ", "#    "),
    "%": ("##   ", "##  #", "   # ", "  #  ", " #   ", "#  ##", "   ##"),
    "(": ("   # ", "  #  ", " #   ", " #   ", " #   ", "  #  ", "   # "),
    ")": (" #   ", "  #  ", "   # ", "   # ", "   # ", "  #  ", " #   "),
    "±": ("  #  ", "  #  ", "#####", "  #  ", "  #  ", "     ", "#####"),
    "×": ("     ", "#   #", " # # ", "  #  ", " # # ", "#   #", "     "),
    "[": (" ### ", " #   ", " #   ", " #   ", " #   ", " #   ", " ### "),
    "]": (" ### ", "   # ", "   # ", "   # ", "   # ", "   # ", " ### "),
    "…": ("     ", "     ", "     ", "     ", "     ", "     ", "# # #"),
    "?": (" ### ", "#   #", "    #", "   # ", "  #  ", "     ", "  #  "),
}
GLYPH_W, GLYPH_H = 5, 7
_MASKS = {c: np.array([[ch == "#" for ch in row] for row in rows]) for c, rows in _GLYPHS.items()}

WHITE = (255, 255, 255)
BLACK = (20, 20, 20)
GREY = (200, 200, 200)
# Distinct line colours (colour-blind friendly ordering).
PALETTE = ((0, 114, 178), (213, 94, 0), (0, 158, 115), (204, 121, 167), (230, 159, 0),
           (86, 180, 233), (120, 120, 120))


class Canvas:
    def __init__(self, width: int, height: int, background=WHITE):
        self.image = np.empty((height, width, 3), dtype=np.uint8)
        self.image[:] = background
        self.height, self.width = height, width

    def rect(self, x0: int, y0: int, x1: int, y1: int, color) -> None:
        """Fill [x0, x1) × [y0, y1), clipped to the canvas."""
        x0, x1 = max(0, x0), min(self.width, x1)
        y0, y1 = max(0, y0), min(self.height, y1)
        if x0 < x1 and y0 < y1:
            self.image[y0:y1, x0:x1] = color

    def line(self, xs, ys, color, width: int = 2) -> None:
        """Polyline through pixel coordinates (xs[i], ys[i]); NaN points break the line."""
        xs, ys = np.asarray(xs, dtype=float), np.asarray(ys, dtype=float)
        for i in range(len(xs) - 1):
            x0, y0, x1, y1 = xs[i], ys[i], xs[i + 1], ys[i + 1]
            if not np.isfinite([x0, y0, x1, y1]).all():
                continue
            n = int(max(abs(x1 - x0), abs(y1 - y0))) + 2
            px = np.rint(np.linspace(x0, x1, n)).astype(int)
            py = np.rint(np.linspace(y0, y1, n)).astype(int)
            for dx in range(width):
                for dy in range(width):
                    qx, qy = px + dx - width // 2, py + dy - width // 2
                    keep = (qx >= 0) & (qx < self.width) & (qy >= 0) & (qy < self.height)
                    self.image[qy[keep], qx[keep]] = color

    def band(self, columns, lows, highs, color, alpha: float = 0.25) -> None:
        """Blend ``color`` over each pixel column between rows lows[i] and highs[i]."""
        tint = np.asarray(color, dtype=float)
        for x, lo, hi in zip(columns, lows, highs):
            if not (np.isfinite(lo) and np.isfinite(hi)) or not 0 <= x < self.width:
                continue
            top, bottom = int(max(0, min(lo, hi))), int(min(self.height - 1, max(lo, hi)))
            span = self.image[top:bottom + 1, int(x)].astype(float)
            self.image[top:bottom + 1, int(x)] = (span * (1 - alpha) + tint * alpha).astype(np.uint8)

    def text(self, x: int, y: int, message: str, color=BLACK, scale: int = 2,
             anchor: str = "left") -> None:
        """Draw ``message`` with its top edge at y; anchor left, center or right at x."""
        message = message.upper()
        width = text_width(message, scale)
        if anchor == "center":
            x -= width // 2
        elif anchor == "right":
            x -= width
        for char in message:
            mask = _MASKS.get(char, _MASKS["?"])
            big = np.kron(mask, np.ones((scale, scale), dtype=bool))
            h, w = big.shape
            y0, x0 = max(0, y), max(0, x)
            y1, x1 = min(self.height, y + h), min(self.width, x + w)
            if y0 < y1 and x0 < x1:
                region = self.image[y0:y1, x0:x1]
                region[big[y0 - y:y1 - y, x0 - x:x1 - x]] = color
            x += (GLYPH_W + 1) * scale


def text_width(message: str, scale: int = 2) -> int:
    return len(message) * (GLYPH_W + 1) * scale - scale if message else 0
