"""Ctrl-C and SIGTERM: stop cleanly and tell the user what was saved and how to go on.

Within :func:`stop_on_signals`, the first SIGINT (Ctrl-C) or SIGTERM (what schedulers, ``timeout``
and ``kill`` send) raises :class:`Interrupted`, a KeyboardInterrupt, in the main thread; one path
then handles both. Later signals are ignored while that stop runs, so a second Ctrl-C cannot cut
the message or the clean-up short. Atomic writes (``trackbench.harness.atomic``) make sure no
file is left torn either way.
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
def stop_on_signals() -> Iterator[None]:
    """SIGINT and SIGTERM raise :class:`Interrupted` once (exit status 130 / 143)."""
    stopping = False

    def handle(signum, frame):
        nonlocal stopping
        if stopping:
            return  # already stopping: let the clean-up and the message finish
        stopping = True
        if signum == signal.SIGTERM:
            raise Interrupted("terminated (SIGTERM)", EXIT_SIGTERM)
        raise Interrupted("interrupted", EXIT_SIGINT)

    try:
        previous = {signum: signal.signal(signum, handle)
                    for signum in (signal.SIGINT, signal.SIGTERM)}
    except ValueError:  # not the main thread (an embedding application): leave them alone
        yield
        return
    try:
        yield
    finally:
        for signum, handler in previous.items():
            # Once stopping, stay deaf: the process is on its way out with its one message.
            signal.signal(signum, signal.SIG_IGN if stopping else handler)
