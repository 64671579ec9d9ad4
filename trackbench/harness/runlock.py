"""One process per run directory: an advisory ``flock`` on ``<run dir>/.lock``.

The kernel drops a ``flock`` when its process dies, however it dies, so a lock left by a killed
run is stale by construction and the next process simply takes it; no pid-file heuristics. The
file holds the holder's pid only so that a refused process can name it.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

from trackbench.harness.errors import TrackbenchError

LOCK_FILE = ".lock"


class RunLock:
    """``with RunLock(directory):`` — exclusive use of ``directory`` by this process.

    Raises TrackbenchError naming the holder's pid if another process holds it.
    """

    def __init__(self, directory: Path, what: str = "run"):
        self.directory = Path(directory)
        self.path = self.directory / LOCK_FILE
        self.what = what
        self._fd: int | None = None

    def __enter__(self) -> "RunLock":
        self.directory.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 32).decode(errors="replace").strip() or "unknown"
            os.close(fd)
            raise TrackbenchError(
                f"{self.directory} is in use: another trackbench process (pid {holder}) is "
                f"running this {self.what}. Wait for it to finish or stop it, or use another --out."
            ) from None
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._fd = fd
        return self

    def __exit__(self, *exc) -> None:
        if self._fd is not None:
            # The file stays: unlinking it would let a third process lock a fresh inode while a
            # second still waits on this one.
            os.close(self._fd)
            self._fd = None
