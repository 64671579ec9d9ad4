"""One process per run directory: the lock and its message."""

from __future__ import annotations

import os

import pytest

from trackbench.harness.errors import TrackbenchError
from trackbench.harness.runlock import RunLock


def test_a_held_lock_refuses_a_second_holder_naming_the_first(tmp_path):
    with RunLock(tmp_path / "cell", "cell x"):
        # flock belongs to the open file: a second open, even in this process, is refused.
        with pytest.raises(TrackbenchError, match=rf"pid {os.getpid()}\) is running this cell x"):
            with RunLock(tmp_path / "cell", "cell x"):
                pass
    with RunLock(tmp_path / "cell"):  # released on exit: free again
        assert (tmp_path / "cell" / ".lock").read_text().strip() == str(os.getpid())
