"""Ctrl-C and SIGTERM: stop cleanly and tell the user what was saved and how to go on.

Python turns SIGINT into KeyboardInterrupt; :func:`terminate_as_interrupt` does the same for
SIGTERM (what schedulers, ``timeout`` and ``kill`` send), so one path handles both. Atomic writes
(``trackbench.harness.atomic``) make sure no file is left torn by either.
"""

from __future__ import annotations

import contextlib
import signal
from typing import Iterator

EXIT_SIGINT, EXIT_SIGTERM = 130, 143  # 128 + signal number, as shells report them


class Interrupted(KeyboardInterrupt):
    """A KeyboardInterrupt carrying the message to print and the exit status."""

    def __init__(self, message: str = "interrupted", exit_code: int = EXIT_SIGINT):
        super().__init__(message)
        self.exit_code = exit_code


@contextlib.contextmanager
def terminate_as_interrupt() -> Iterator[None]:
    """Within the block, SIGTERM raises :class:`Interrupted` (exit status 143) in the main thread."""
    def handle(signum, frame):
        raise Interrupted("terminated (SIGTERM)", EXIT_SIGTERM)

    try:
        previous = signal.signal(signal.SIGTERM, handle)
    except ValueError:  # not the main thread (e.g. an embedding application): leave it alone
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
