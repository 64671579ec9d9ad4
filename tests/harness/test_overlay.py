"""The video overlay's 3×5 font and status band (drawn into numpy frames, no image library)."""

from __future__ import annotations

import numpy as np

from trackbench.harness.overlay import (BAND, GLYPHS, SUCCESS_GREEN, WHITE, Status, draw_status,
                                        draw_text, font_scale, text_width)


def test_each_glyph_is_five_rows_of_three_pixels_and_the_text_draws_them_in_a_row():
    assert all(glyph.shape == (5, 3) for glyph in GLYPHS.values())
    assert set("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ -_.:/%?") <= set(GLYPHS)
    image = np.zeros((5, 7, 3), dtype=np.uint8)
    end = draw_text(image, "l7", 0, 0, WHITE)  # lower case is drawn as upper case
    assert end == 8
    ink = image[..., 0] == 255
    assert np.array_equal(ink[:, :3], GLYPHS["L"]) and np.array_equal(ink[:, 4:7], GLYPHS["7"])
    assert not ink[:, 3].any()  # one blank column between glyphs


def test_text_is_scaled_clipped_at_the_edges_and_unknown_characters_are_question_marks():
    image = np.zeros((12, 4, 3), dtype=np.uint8)
    draw_text(image, "1", -2, 1, WHITE, scale=2)  # 6 × 10 pixels, 2 columns cut off on the left
    ink = image[..., 0] == 255
    assert np.array_equal(ink[1:11, :4], np.kron(GLYPHS["1"], np.ones((2, 2), bool))[:, 2:])
    other = np.zeros((5, 3, 3), dtype=np.uint8)
    draw_text(other, "é", 0, 0, WHITE)
    assert np.array_equal(other[..., 0] == 255, GLYPHS["?"])
    assert text_width("AB", 3) == 21 and font_scale(120) == 1 and font_scale(480) == 3


def test_the_status_band_says_episode_step_events_and_turns_green_on_success():
    image = np.full((120, 160, 3), 200, dtype=np.uint8)
    draw_status(image, Status(1, 2, 12, 600, {"lift": True, "near": False}))
    assert tuple(image[0, 0]) == BAND and (image[:7] == 255).all(axis=-1).any()
    assert (image[7:] == 200).all()  # only the band is drawn over
    draw_status(image, Status(2, 2, 40, 600, {"lift": True}, outcome="success"))
    assert tuple(image[0, 0]) == SUCCESS_GREEN
